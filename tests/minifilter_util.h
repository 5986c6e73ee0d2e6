/*
 * minifilter_util.h - what the tests of the generic minifilter fuzzer share: one run of the
 * linked driver on a scenario given as text (parsed, encoded, run as the fuzzer runs its input).
 */
#ifndef KFAULT_TESTS_MINIFILTER_UTIL_H
#define KFAULT_TESTS_MINIFILTER_UTIL_H

#include "kfault/minifilter.h"

#include <stdio.h>

/* The run's findings (-1 when the text does not parse: the parser's sentence on stderr); the
 * run and where its finding happened into *run and where. */
static inline int mf_run_text(const char *text, kfh_drv_run *run, char *where, size_t wlen)
{
    static kfh_scenario s;
    static uint8_t bytes[4096];
    char err[160];
    if (kfh_scenario_parse(text, &s, err, sizeof err)) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    return kfh_mf_run(bytes, n, run, where, wlen);
}

#endif
