/*
 * reach.c - what runs reached (operations, fault sites, outcomes of routines), and the
 * Filter Manager prologue with the fuzzing entry point that uses it.
 *
 * The reach record only counts: it never changes a run, its trace or its hash. The
 * prologue changes a scenario only in the way its documentation says (one flt_start in
 * front), so a scenario it produced prints, encodes and runs like any other.
 */
#include "kfault/harness.h"

#include <stdlib.h>
#include <string.h>

void kfh_reach_voutcome(kfh_reach *r, const char *fmt, va_list ap)
{
    char text[KFH_REACH_TEXT];
    vsnprintf(text, sizeof text, fmt, ap);
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->outcome[i], text)) {
            r->count[i]++;
            return;
        }
    if (r->n >= KFH_REACH_MAX) {
        r->lost++;
        return;
    }
    memcpy(r->outcome[r->n], text, sizeof text);
    r->count[r->n++] = 1;
}

void kfh_reach_outcome(kfh_reach *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kfh_reach_voutcome(r, fmt, ap);
    va_end(ap);
}

unsigned long long kfh_reach_count(const kfh_reach *r, const char *outcome)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->outcome[i], outcome))
            return r->count[i];
    return 0;
}

void kfh_reach_print(FILE *f, const kfh_reach *r)
{
    for (int c = 1; c < KFH_OP_COUNT_V5; c++)
        fprintf(f, "op %-20s executed=%llu skipped=%llu\n", kfh_op_name(c), r->ops[c] - r->skipped[c], r->skipped[c]);
    for (int k = 0; k < KF_SITE_COUNT; k++)
        fprintf(f, "site %-18s consulted=%llu injected=%llu\n", kf_site_get((kf_site)k)->name, r->consulted[k],
                r->injected[k]);
    for (int i = 0; i < r->n; i++)
        fprintf(f, "outcome %s (%llu)\n", r->outcome[i], r->count[i]);
    if (r->lost)
        fprintf(f, "outcomes not recorded (no room): %llu\n", r->lost);
}

int kfh_scenario_flt_prologue(kfh_scenario *s, unsigned volumes)
{
    if (s->version < 2 || (s->n > 0 && s->ops[0].code == KFH_OP_FLT_START))
        return 0;
    size_t n = kfh_scenario_encode(s, NULL, 0);
    uint8_t *buf = malloc(n + 2);
    if (!buf)
        return 0;
    /* Bytes: the version, the new operation, then the old operations as they were. */
    kfh_scenario_encode(s, buf + 2, n);
    buf[0] = buf[2];
    buf[1] = KFH_OP_FLT_START;
    buf[2] = (uint8_t)volumes;
    char err[128];
    kfh_scenario *t = malloc(sizeof *t);
    int rc = 0;
    if (t && kfh_scenario_decode(buf, n + 2, t, err, sizeof err) == 0) {
        *s = *t;
        rc = 1;
    }
    free(t);
    free(buf);
    return rc;
}

int kfh_flt_fuzz_one(const uint8_t *data, size_t size)
{
    static kfh_scenario s;
    static kfh_result res;
    kfh_config cfg;
    if (kfh_fuzz_decode(data, size, &s, &cfg))
        return 0;
    kfh_scenario_flt_prologue(&s, KFH_PROLOGUE_VOLUMES);
    kfh_run_fuzz(&s, &cfg, &res);
    return 0;
}
