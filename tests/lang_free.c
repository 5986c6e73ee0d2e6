/*
 * lang_free.c - driver-style code built as a free build (DBG 0) for test_lang (SEMANTICS.md
 * L-14 to L-16): the assertions are not evaluated, NT_VERIFY still is, NT_FRE_ASSERT and
 * PAGED_CODE still check.
 */
#define DBG 0
#include <fltKernel.h>

#include "lang_free.h"

int free_dbg_value(void) { return DBG; }

static int evaluations;
static int counted(int value)
{
    evaluations++;
    return value;
}

int free_asserts_evaluate(void)
{
    evaluations = 0;
    ASSERT(counted(0));
    ASSERTMSG("m", counted(0));
    NT_ASSERT(counted(0));
    NT_ASSERTMSG("m", counted(0));
    FLT_ASSERT(counted(0));
    FLT_ASSERTMSG("m", counted(0));
    PAGED_ASSERT(counted(0));
    return evaluations;
}

int free_verify(int value, int *evaluated)
{
    evaluations = 0;
    BOOLEAN r = NT_VERIFY(counted(value));
    BOOLEAN m = NT_VERIFYMSG("m", counted(value));
    *evaluated = evaluations;
    return r && m;
}

void free_fre_assert(int value) { NT_FRE_ASSERT(value == 1); }

void free_paged_routine(void) { PAGED_CODE(); }

/* KdPrint and KdPrintEx expand to nothing: neither the arguments nor the format (a floating
 * point conversion would stop, C-11) are looked at. */
int free_kdprint_evaluations(void)
{
    evaluations = 0;
    KdPrint(("free %d %f\n", counted(1), 1.0));
    KdPrintEx((DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, "free %d %f\n", counted(2), 2.0));
    if (evaluations == 0)
        KdPrint(("an if without braces\n"));
    else
        return -1;
    return evaluations;
}
