/*
 * kfault_main.c - the `kfault` command: decode, encode, run and list.
 *
 * A thin shell over the harness library: every decision (decoding, running, judging) lives
 * there. Exit status: 0 clean, 1 a finding (or a trace hash other than the one expected),
 * 2 an error in the command line, the options or the input. Bad input gets a sentence on
 * stderr and exit 2; this program must never crash on any file.
 */
#include "kfault/harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage_main =
    "usage: kfault <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  decode FILE            print a scenario (bytes or text) as text\n"
    "  encode FILE OUT        write a scenario (text or bytes) as canonical bytes to OUT\n"
    "  run [options] FILE     run a scenario; print its trace, verdict and trace hash\n"
    "  list WHAT              list options, sites, invariants, profiles or ops\n"
    "  hashes [--check F|--write F] DIR  trace hash of every corpus file, checked or recorded\n"
    "\n"
    "`kfault <command> --help` describes a command. Runtime options come from the\n"
    "KFAULT_OPTIONS environment variable (key=value pairs separated by ':'), or --options.\n"
    "Exit status: 0 clean, 1 finding, 2 error.\n";

static const char *const usage_decode =
    "usage: kfault decode FILE\n"
    "Prints the scenario in FILE (the byte form or the text form) as text, one operation per\n"
    "line. The text encodes back to a scenario that runs identically.\n";

static const char *const usage_encode =
    "usage: kfault encode FILE OUT\n"
    "Reads the scenario in FILE (text or bytes) and writes its canonical byte form to OUT.\n"
    "OUT is written whole or not at all (a temporary file beside it, then a rename).\n";

static const char *const usage_run =
    "usage: kfault run [--options TEXT] [--quiet] [--expect-hash HASH] [--enumerate[=MAX]]\n"
    "                  [--flt-prologue] [--reach] FILE\n"
    "Runs the scenario in FILE (bytes or text) from a fresh model, checking every operation\n"
    "against the oracle and the invariants. Prints the trace, the verdict and the trace hash.\n"
    "  --options TEXT     KFAULT_OPTIONS for this run (replaces the environment's)\n"
    "  --quiet            print only findings, the verdict and the hash\n"
    "  --expect-hash HASH exit 1 unless the trace hash is HASH (0x... as printed)\n"
    "  --enumerate[=MAX]  systematic fault injection: run with fail_nth = 1, 2, ... until a\n"
    "                     run injects nothing (at most MAX runs, default 1000)\n"
    "  --flt-prologue     start the filter first, as flt_fuzz and mixed_fuzz do: a version-2\n"
    "                     scenario not starting with flt_start gets `flt_start 4` in front\n"
    "  --reach            after the run(s), list the operations executed, the fault sites\n"
    "                     consulted and failed, and every outcome of a routine reached\n"
    "Exit status: 0 clean, 1 finding or hash mismatch, 2 error.\n";

static const char *const usage_list =
    "usage: kfault list options|sites|invariants|profiles|ops\n"
    "  options     every KFAULT_OPTIONS key, its type, default and meaning\n"
    "  sites       every fault site: name, routine, natural failure kind, what allocates\n"
    "  invariants  every checked invariant: id, name, source rule, sentence\n"
    "  profiles    every simulated OS/architecture with its stack constants\n"
    "  ops         every scenario operation with its opcode\n";

int kfault_cmd_hashes(int argc, char **argv); /* kfault_hashes.c */
int kfault_write_file(const char *path, const void *data, size_t n);

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "kfault: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

static int load(const char *path, kfh_scenario *s)
{
    char err[512];
    if (kfh_scenario_load(path, s, err, sizeof err)) {
        fprintf(stderr, "kfault: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_decode(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage_decode, stdout);
        return 0;
    }
    if (argc != 1)
        return fputs(usage_decode, stderr), 2;
    kfh_scenario *s = malloc(sizeof *s);
    if (!s || load(argv[0], s)) {
        free(s);
        return 2;
    }
    size_t n = kfh_scenario_format(s, NULL, 0) + 1;
    char *text = malloc(n);
    if (text) {
        kfh_scenario_format(s, text, n);
        fputs(text, stdout);
    }
    free(text);
    free(s);
    return text ? 0 : 2;
}

static int cmd_encode(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage_encode, stdout);
        return 0;
    }
    if (argc != 2)
        return fputs(usage_encode, stderr), 2;
    kfh_scenario *s = malloc(sizeof *s);
    if (!s || load(argv[0], s)) {
        free(s);
        return 2;
    }
    size_t n = kfh_scenario_encode(s, NULL, 0);
    uint8_t *buf = malloc(n);
    int rc = 2;
    if (buf) {
        kfh_scenario_encode(s, buf, n);
        /* All or nothing: an existing OUT keeps its content when the write fails. */
        if (kfault_write_file(argv[1], buf, n) == 0)
            rc = 0;
    }
    free(buf);
    free(s);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *options = NULL, *expect = NULL;
    int quiet = 0, prologue = 0, want_reach = 0;
    unsigned long enumerate = 0;
    if (wants_help(argc, argv)) {
        fputs(usage_run, stdout);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--options") && i + 1 < argc)
            options = argv[++i];
        else if (!strcmp(argv[i], "--expect-hash") && i + 1 < argc)
            expect = argv[++i];
        else if (!strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (!strcmp(argv[i], "--flt-prologue"))
            prologue = 1;
        else if (!strcmp(argv[i], "--reach"))
            want_reach = 1;
        else if (!strcmp(argv[i], "--enumerate"))
            enumerate = 1000;
        else if (!strncmp(argv[i], "--enumerate=", 12)) {
            char *end;
            enumerate = strtoul(argv[i] + 12, &end, 10);
            if (*end || enumerate == 0)
                return fail("--enumerate=%s: not a positive number%s", argv[i] + 12, "");
        } else if (argv[i][0] == '-' && argv[i][1])
            return fail("run: unknown or incomplete option '%s' (kfault run --help)%s", argv[i], "");
        else if (!path)
            path = argv[i];
        else
            return fail("run: more than one FILE ('%s')%s", argv[i], "");
    }
    if (!path)
        return fputs(usage_run, stderr), 2;
    unsigned long long want = 0;
    if (expect) {
        char *end;
        errno = 0;
        want = strtoull(expect, &end, 16);
        if (errno || *end || !*expect)
            return fail("--expect-hash %s: not a hexadecimal hash%s", expect, "");
    }
    char err[512], with_slack[4096];
    if (options && kf_options_set(kfh_scenario_options(options, with_slack, sizeof with_slack), err, sizeof err))
        return fail("--options: %s%s", err, "");
    kfh_config cfg;
    if (kfh_config_from_options(&cfg, err, sizeof err))
        return fail("options: %s%s", err, "");
    cfg.capture = 1;
    kfh_scenario *s = malloc(sizeof *s);
    kfh_result *res = malloc(sizeof *res);
    if (!s || !res || load(path, s)) {
        free(s);
        free(res);
        return 2;
    }
    kfh_reach *reach = want_reach ? calloc(1, sizeof *reach) : NULL;
    if (want_reach && !reach) {
        free(s);
        free(res);
        return fail("out of memory%s%s", "", "");
    }
    cfg.reach = reach;
    if (prologue && kfh_scenario_flt_prologue(s, KFH_PROLOGUE_VOLUMES))
        printf("prologue: flt_start %u in front of the scenario\n", KFH_PROLOGUE_VOLUMES);
    int rc = 0;
    if (enumerate) {
        kfh_enum_result er;
        kfh_enumerate(s, &cfg, (unsigned)enumerate, &er);
        printf("enumerated %u run(s) with fail_nth = 1..%u%s\n", er.runs, er.runs,
               er.complete ? " (the last injected nothing)" : " (stopped at the bound)");
        if (er.n_findings) {
            printf("first finding with fail_nth=%llu:\n", er.first_nth);
            kfh_report(stdout, &er.first, s);
            printf("verdict: FINDING %s (%d finding(s) in all)\n", er.first.signature, er.n_findings);
            rc = 1;
        } else {
            printf("verdict: clean\n");
        }
    } else {
        cfg.echo = quiet ? NULL : stdout;
        kfh_run(s, &cfg, res);
        for (int i = 0; i < res->n_findings && i < KFH_MAX_FINDINGS; i++)
            kfh_report(stdout, &res->findings[i], s);
        if (res->n_findings) {
            printf("verdict: FINDING %s\n", res->findings[0].signature);
            rc = 1;
        } else {
            printf("verdict: clean (%d stop(s), all predicted)\n", res->stops);
        }
        printf("trace hash: 0x%016llx (%zu events)\n", (unsigned long long)res->trace_hash, res->events);
        if (expect && res->trace_hash != want) {
            printf("trace hash mismatch: expected 0x%016llx\n", want);
            rc = 1;
        }
    }
    if (reach)
        kfh_reach_print(stdout, reach);
    free(reach);
    free(s);
    free(res);
    return rc;
}

static int cmd_list(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(usage_list, stdout);
        return 0;
    }
    if (argc != 1)
        return fputs(usage_list, stderr), 2;
    const char *what = argv[0];
    if (!strcmp(what, "options")) {
        kf_options_print_help(stdout);
    } else if (!strcmp(what, "sites")) {
        static const char *const kinds[] = {"none", "transient", "hard"};
        for (int i = 0; i < KF_SITE_COUNT; i++) {
            const kf_site_info *s = kf_site_get((kf_site)i);
            printf("%-20s %-10s %-36s %s\n", s->name, kinds[s->kind % 3], s->routine, s->what);
        }
    } else if (!strcmp(what, "invariants")) {
        for (size_t i = 0; i < kfh_inv_count(); i++) {
            const kfh_inv_info *v = kfh_inv_at(i);
            printf("KF-INV-%03d %-24s [%s] %s\n", v->num, v->name, v->source, v->sentence);
        }
    } else if (!strcmp(what, "profiles")) {
        for (size_t i = 0; i < kf_profile_count(); i++) {
            const kf_profile *p = kf_profile_at(i);
            char name[32];
            printf("%2zu %-12s KERNEL_STACK_SIZE=0x%llx KERNEL_LARGE_STACK_SIZE=0x%llx MAXIMUM_EXPANSION_SIZE=0x%llx\n",
                   i, kf_profile_name(p, name, sizeof name), (unsigned long long)p->kernel_stack_size,
                   (unsigned long long)p->large_stack_size, (unsigned long long)p->maximum_expansion_size);
        }
    } else if (!strcmp(what, "ops")) {
        for (int c = 0; c < KFH_OP_COUNT; c++) {
            int v = kfh_op_min_version(c);
            printf("%2d %s", c, kfh_op_name(c));
            if (v > 1)
                printf(" (version %d)", v);
            printf("\n");
        }
    } else {
        return fail("list: unknown list '%s' (options, sites, invariants, profiles, ops)%s", what, "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* Scenarios run here as in the scenario targets: their interpreter's frames sit inside the
     * callouts, so callouts get the same stack_slack (unless KFAULT_OPTIONS sets one). */
    kfh_default_scenario_slack();
    if (argc < 2)
        return fputs(usage_main, stderr), 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(cmd, "decode"))
        return cmd_decode(argc - 2, argv + 2);
    if (!strcmp(cmd, "encode"))
        return cmd_encode(argc - 2, argv + 2);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc - 2, argv + 2);
    if (!strcmp(cmd, "hashes")) /* kfault_hashes.c */
        return kfault_cmd_hashes(argc - 2, argv + 2);
    fprintf(stderr, "kfault: unknown command '%s'\n\n%s", cmd, usage_main);
    return 2;
}
