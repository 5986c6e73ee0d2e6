/*
 * enum_bench.c - the cost of systematic fault enumeration (kfh_enumerate, what
 * systematic_fuzz runs for every input) against the number of fault sites a scenario
 * consults.
 *
 * For n = 1, 2, 4, ... it builds a scenario that consults exactly n sites when nothing
 * fails: n pool_alloc / pool_free pairs (site ex.pool), or n expansions one byte larger
 * than the remaining stack (site ke.stack.grow). Enumeration then makes n + 1 runs (fail
 * the 1st, ..., the nth consultation, then one that injects nothing), each consulting about
 * n sites: the total is expected to grow as n * (n + 1), the time per run linearly in n,
 * and the time per consulted site to stay flat once the fixed cost of a run is amortized.
 * The program checks each enumeration (no finding, complete, n + 1 runs) and exits with
 * status 1 when one is not as expected, so a figure always describes the work it names.
 *
 * usage: enum_bench [--max-n N] [--ms M] [--kind pool|expand|both]
 * Output: "enum_bench kind=K n=N sites_per_run=S runs=R us_per_enum=T us_per_run=U
 * ns_per_site=V" per size, then per kind a "enum_bench fit ..." line: the least-squares
 * line us_per_run = a + b * n with its r2, and log-log slopes of the total time and of the
 * time per run over n >= 8 (expected: about 2 and about 1).
 */
#include "kfault/harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_POINTS 16

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static kfh_op op(uint8_t code, uint8_t a, uint8_t size_sel)
{
    kfh_op o;
    memset(&o, 0, sizeof o);
    o.code = code;
    o.a = a;
    o.size_sel = size_sel;
    return o;
}

/* A scenario consulting n sites of the kind when no fault is injected. */
static void build(kfh_scenario *s, const char *kind, unsigned n)
{
    memset(s, 0, sizeof *s);
    s->version = 1;
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(kind, "pool") == 0) {
            s->ops[s->n++] = op(KFH_OP_POOL_ALLOC, 0, 0);
            s->ops[s->n++] = op(KFH_OP_POOL_FREE, 0, 0);
        } else {
            s->ops[s->n++] = op(KFH_OP_EXPAND, KFH_EXP_EX, KFH_SIZE_REMAINING_PLUS1);
        }
    }
}

/* Least-squares slope and intercept of y on x; r2 when asked. */
static void fit(const double *x, const double *y, int m, double *slope, double *icept, double *r2)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    for (int i = 0; i < m; i++) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
        syy += y[i] * y[i];
    }
    double d = m * sxx - sx * sx;
    *slope = d != 0 ? (m * sxy - sx * sy) / d : 0;
    *icept = (sy - *slope * sx) / m;
    if (r2) {
        double num = m * sxy - sx * sy, den = d * (m * syy - sy * sy);
        *r2 = den > 0 ? num * num / den : 1;
    }
}

static int bench_kind(const char *kind, unsigned max_n, double ms, const kfh_config *cfg)
{
    static kfh_scenario s;
    static kfh_result res;
    double xs[MAX_POINTS], per_run[MAX_POINTS], total[MAX_POINTS];
    int m = 0;
    for (unsigned n = 1; n <= max_n && m < MAX_POINTS; n *= 2, m++) {
        build(&s, kind, n);
        /* Sites one run consults with no fault. */
        kfh_config none = *cfg;
        none.plan.kind = KFH_PLAN_NONE;
        if (kfh_run(&s, &none, &res) != 0 || res.plan_stats.total_consulted != n) {
            fprintf(stderr, "enum_bench: %s n=%u: the plain run consulted %llu sites with %d findings\n", kind, n,
                    res.plan_stats.total_consulted, res.n_findings);
            return -1;
        }
        unsigned long long reps = 0, runs = 0;
        double start = now_ns(), end = start;
        do {
            kfh_enum_result er;
            if (kfh_enumerate(&s, cfg, 4 * n + 8, &er) != 0 || !er.complete || er.runs != n + 1) {
                fprintf(stderr, "enum_bench: %s n=%u: %u runs, complete=%d, %d findings (expected %u runs, none)\n",
                        kind, n, er.runs, er.complete, er.n_findings, n + 1);
                return -1;
            }
            runs += er.runs;
            reps++;
            end = now_ns();
        } while (end - start < ms * 1e6);
        double us_enum = (end - start) / 1e3 / (double)reps;
        double us_run = (end - start) / 1e3 / (double)runs;
        xs[m] = n;
        per_run[m] = us_run;
        total[m] = us_enum;
        printf("enum_bench kind=%s n=%u sites_per_run=%u runs=%u us_per_enum=%.1f us_per_run=%.2f ns_per_site=%.1f\n",
               kind, n, n, n + 1, us_enum, us_run, us_run * 1e3 / n);
        fflush(stdout);
    }
    double b, a, r2;
    fit(xs, per_run, m, &b, &a, &r2);
    /* Log-log slopes over n >= 8, where the fixed cost of a run weighs less. */
    double lx[MAX_POINTS], lt[MAX_POINTS], lr[MAX_POINTS];
    int k = 0;
    for (int i = 0; i < m; i++)
        if (xs[i] >= 8) {
            lx[k] = log(xs[i]);
            lt[k] = log(total[i]);
            lr[k] = log(per_run[i]);
            k++;
        }
    double st = 0, sr = 0, unused;
    if (k >= 2) {
        fit(lx, lt, k, &st, &unused, NULL);
        fit(lx, lr, k, &sr, &unused, NULL);
    }
    printf("enum_bench fit kind=%s us_per_run=%.2f+%.3f*n r2=%.4f ns_per_site_marginal=%.1f "
           "loglog_total_slope=%.2f loglog_per_run_slope=%.2f\n",
           kind, a, b, r2, b * 1e3, st, sr);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned max_n = 64;
    double ms = 200;
    const char *kind = "both";
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--max-n") == 0 && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "enum_bench: --max-n wants 1 to 64 (the scenario holds 256 operations)\n");
                return 2;
            }
            max_n = (unsigned)v;
        } else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
            ms = strtod(argv[++i], &end);
            if (*end || ms <= 0 || ms > 60000) {
                fprintf(stderr, "enum_bench: --ms wants milliseconds in (0, 60000]\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            kind = argv[++i];
            if (strcmp(kind, "pool") && strcmp(kind, "expand") && strcmp(kind, "both")) {
                fprintf(stderr, "enum_bench: --kind is pool, expand or both, not '%s'\n", kind);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: enum_bench [--max-n N] [--ms M] [--kind pool|expand|both]\n"
                   "Times kfh_enumerate on scenarios consulting n = 1, 2, 4, ... N fault sites\n"
                   "(default 64), at least M ms per size (default 200); prints the time per\n"
                   "enumeration, per run and per consulted site, and a linear fit.\n");
            return 0;
        } else {
            fprintf(stderr, "enum_bench: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    kfh_default_scenario_slack();
    kfh_config cfg;
    char err[256];
    if (kfh_config_from_options(&cfg, err, sizeof err)) {
        fprintf(stderr, "enum_bench: KFAULT_OPTIONS: %s\n", err);
        return 2;
    }
    cfg.capture = 1;
    if (strcmp(kind, "expand") && bench_kind("pool", max_n, ms, &cfg))
        return 1;
    if (strcmp(kind, "pool") && bench_kind("expand", max_n, ms, &cfg))
        return 1;
    return 0;
}
