/*
 * test_harness_util.h - helpers shared by the harness tests: run a scenario given as text
 * in capture mode, and find text in the trace. Test code only; never linked elsewhere.
 */
#ifndef TEST_HARNESS_UTIL_H
#define TEST_HARNESS_UTIL_H

#include "kft.h"
#include "kfault/harness.h"

#include <stdlib.h>
#include <string.h>

/* Parses text (failing the test on a parse error), runs it with the options in force and the
 * model lie `lie` (kfh_config.model_lie: 0 none) and returns the result (static storage). */
static inline kfh_result *th_run_lying(const char *text, int lie)
{
    static kfh_scenario s;
    static kfh_result r;
    char err[256];
    kfh_config cfg;
    memset(&r, 0, sizeof r);
    if (kfh_scenario_parse(text, &s, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "parse: %s", err);
        r.n_findings = -1;
        return &r;
    }
    if (kfh_config_from_options(&cfg, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "config: %s", err);
        r.n_findings = -1;
        return &r;
    }
    cfg.capture = 1;
    cfg.model_lie = lie;
    kfh_run(&s, &cfg, &r);
    return &r;
}

/* The printed example of a format section: it parses to `n_ops` operations of `version`, prints
 * back to the same text, and its canonical bytes (version first) decode to the same scenario. */
static inline void th_doc_round_trip(const char *doc, int version, int n_ops)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, version);
    CHECK_EQ(s.n, n_ops);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(bytes[0], version);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
}

/* The same without a lie. */
static inline kfh_result *th_run(const char *text) { return th_run_lying(text, 0); }

static inline int th_trace_has(const char *needle) { return strstr(kfh_trace_text(), needle) != NULL; }

/* 1 when some finding of r carries invariant inv. */
static inline int th_has_finding(const kfh_result *r, int inv)
{
    for (int i = 0; i < r->n_findings && i < KFH_MAX_FINDINGS; i++)
        if (r->findings[i].inv == inv)
            return 1;
    return 0;
}

#endif
