/*
 * minifilter_entry.c - the libFuzzer entry points of the generic minifilter fuzzer (in its own
 * object, so that a program with entry points of its own can still use kfault/minifilter.h).
 * LLVMFuzzerInitialize reads KFAULT_OPTIONS, the driver's INF (-kfault_inf=FILE or KFAULT_INF) and,
 * given -kfault_seeds=DIR, writes the seeds made from the linked driver's registration into DIR
 * and exits; LLVMFuzzerTestOneInput runs one
 * input. The replay main (harness/replay_main.c) calls them the same way. Must stay this thin.
 */
#include "kfault/minifilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An INF built into the binary (kfault_add_minifilter_fuzzer's INF argument generates them):
 * used when neither -kfault_inf nor KFAULT_INF names one. */
extern const unsigned char kfh_mf_builtin_inf[] __attribute__((weak));
extern const unsigned long kfh_mf_builtin_inf_size __attribute__((weak));

static void load_inf(const char *path, const char *from)
{
    char err[320];
    int n = kfh_mf_set_inf_file(path, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "kfault: %s (%s)\n", err, from);
        exit(2);
    }
    fprintf(stderr, "kfault: %d registry value(s) from %s\n", n, path);
}

/* The last -NAME=yes|no among the arguments: 1 for yes, 0 for no, -1 when absent; anything else
 * is a usage error that names the two choices. */
static int choice(int *argc, char ***argv, const char *flag, const char *yes, const char *no, const char *say)
{
    int v = -1;
    size_t n = strlen(flag);
    for (int i = 1; argc && argv && i < *argc; i++) {
        const char *a = (*argv)[i];
        if (strncmp(a, flag, n))
            continue;
        if (strcmp(a + n, yes) && strcmp(a + n, no)) {
            fprintf(stderr, "kfault: %s: say %s\n", a, say);
            exit(2);
        }
        v = !strcmp(a + n, yes);
    }
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    kfh_options_init();
    /* The INF first: the seeds depend on how the driver loads with its parameters. */
    const char *inf = getenv("KFAULT_INF");
    const char *from = "KFAULT_INF";
    static const char inf_flag[] = "-kfault_inf=";
    for (int i = 1; argc && argv && i < *argc; i++)
        if (!strncmp((*argv)[i], inf_flag, sizeof inf_flag - 1)) {
            inf = (*argv)[i] + sizeof inf_flag - 1;
            from = "-kfault_inf";
        }
    if (inf && *inf)
        load_inf(inf, from);
    else if (&kfh_mf_builtin_inf_size && kfh_mf_builtin_inf) {
        char err[320];
        if (kfh_mf_set_inf(kfh_mf_builtin_inf, kfh_mf_builtin_inf_size, err, sizeof err) < 0) {
            fprintf(stderr, "kfault: the INF built into this fuzzer: %s\n", err);
            exit(2);
        }
    }
    int fixed = choice(argc, argv, "-kfault_registry=", "fixed", "fuzzed",
                       "fixed (the INF's values as installed) or fuzzed (changed by the scenario's reg_value, the default)");
    if (fixed >= 0)
        kfh_mf_set_registry_fixed(fixed);
    int trusted = choice(argc, argv, "-kfault_client=", "trusted", "fuzzed",
                         "trusted (the service always replies) or fuzzed (it answers as the scenario's port_answer "
                         "says, the default)");
    if (trusted >= 0)
        kfh_mf_set_client_trusted(trusted);
    for (int i = 1; argc && argv && i < *argc; i++) {
        const char *a = (*argv)[i];
        static const char flag[] = "-kfault_seeds=";
        if (strncmp(a, flag, sizeof flag - 1))
            continue;
        char err[256];
        int n = kfh_mf_write_seeds(a + sizeof flag - 1, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "kfault: %s\n", err);
            exit(2);
        }
        fprintf(stderr, "kfault: %d seed(s) written to %s\n", n, a + sizeof flag - 1);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return kfh_mf_fuzz_one(data, size); }
