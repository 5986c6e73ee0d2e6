/*
 * oracle_pred.h - the stop predictions every oracle file writes (harness/oracle*.c): a bug check
 * 0xA for a routine called above its IRQL, and a Driver Verifier violation with the parameters
 * the rules fix. Private to the harness.
 */
#ifndef KFAULT_ORACLE_PRED_H
#define KFAULT_ORACLE_PRED_H

#include "kfault/harness.h"

#include <string.h>

/* A stop with code and its first n parameters (at most 3 given here), under the rule's id. */
static inline void kfh_pred_stop(kfh_stop_pred *s, const char *rule, ULONG code, int n, ULONG_PTR p1, ULONG_PTR p2,
                                 ULONG_PTR p3)
{
    memset(s, 0, sizeof *s);
    s->stops = 1;
    s->code = code;
    s->n_params = n;
    s->param[0] = p1;
    s->param[1] = p2;
    s->param[2] = p3;
    s->rule = rule;
}

/* IRQL_NOT_LESS_OR_EQUAL (the routine's maximum, the IRQL it was called at). */
static inline void kfh_pred_irql(kfh_stop_pred *s, const char *rule, KIRQL max, KIRQL cur)
{
    kfh_pred_stop(s, rule, IRQL_NOT_LESS_OR_EQUAL, 2, max, cur, 0);
}

/* DRIVER_VERIFIER_DETECTED_VIOLATION: the violation's code, then p2 and p3 (n of them fixed). */
static inline void kfh_pred_violation(kfh_stop_pred *s, const char *rule, ULONG v, int n, ULONG_PTR p2, ULONG_PTR p3)
{
    kfh_pred_stop(s, rule, DRIVER_VERIFIER_DETECTED_VIOLATION, n, v, p2, p3);
}

#endif
