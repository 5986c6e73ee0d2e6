/*
 * minifilter_entry.c - the libFuzzer entry points of the generic minifilter fuzzer (in its own
 * object, so that a program with entry points of its own can still use kfault/minifilter.h).
 * LLVMFuzzerInitialize reads KFAULT_OPTIONS and, given -kfault_seeds=DIR, writes the seeds made
 * from the linked driver's registration into DIR and exits; LLVMFuzzerTestOneInput runs one
 * input. The replay main (harness/replay_main.c) calls them the same way. Must stay this thin.
 */
#include "kfault/minifilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    kfh_options_init();
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
