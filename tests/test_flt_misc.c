/*
 * test_flt_misc.c - Filter Manager's and FsRtl's smaller routines (rules FM-1 and FM-2 of
 * model/SEMANTICS.md): the callback data's dirty flag and FsRtlIsNtstatusExpected.
 * Must never leave the IRQL raised when a test ends.
 */
#include "kft.h"
#include <fltKernel.h>

#include <string.h>

static FLT_CALLBACK_DATA data;

static void set_dirty(void *p)
{
    (void)p;
    FltSetCallbackDataDirty(&data);
}
static void clear_dirty(void *p)
{
    (void)p;
    FltClearCallbackDataDirty(&data);
}
static void is_dirty(void *p)
{
    (void)p;
    (void)FltIsCallbackDataDirty(&data);
}

/* ---- FM-1 ------------------------------------------------------------------------------- */

TEST(dirty_flag_set_clear_query)
{
    memset(&data, 0, sizeof data);
    data.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_POST_OPERATION;
    CHECK(!FltIsCallbackDataDirty(&data));
    FltSetCallbackDataDirty(&data);
    CHECK(FltIsCallbackDataDirty(&data));
    CHECK_EQ(data.Flags, (ULONG)(FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_POST_OPERATION |
                                 FLTFL_CALLBACK_DATA_DIRTY));
    FltSetCallbackDataDirty(&data); /* setting it twice keeps it set */
    CHECK(FltIsCallbackDataDirty(&data));
    FltClearCallbackDataDirty(&data);
    CHECK(!FltIsCallbackDataDirty(&data));
    CHECK_EQ(data.Flags, (ULONG)(FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_POST_OPERATION));
}

TEST(dirty_flag_irql)
{
    void (*fn[3])(void *) = {set_dirty, clear_dirty, is_dirty};
    memset(&data, 0, sizeof data);
    for (int i = 0; i < 3; i++) {
        kf_stop st;
        kf_set_irql(DISPATCH_LEVEL);
        CHECK(!kft_stops(fn[i], NULL, &st));
        kf_set_irql((KIRQL)(DISPATCH_LEVEL + 1));
        CHECK(kft_stops(fn[i], NULL, &st));
        CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
        CHECK_EQ(st.param[0], DISPATCH_LEVEL);
        kf_set_irql(PASSIVE_LEVEL);
    }
}

/* ---- FM-2 ------------------------------------------------------------------------------- */

TEST(ntstatus_expected)
{
    CHECK(!FsRtlIsNtstatusExpected(STATUS_DATATYPE_MISALIGNMENT));
    CHECK(!FsRtlIsNtstatusExpected(STATUS_ACCESS_VIOLATION));
    CHECK(!FsRtlIsNtstatusExpected(STATUS_ILLEGAL_INSTRUCTION));
    CHECK(!FsRtlIsNtstatusExpected(STATUS_INSTRUCTION_MISALIGNMENT));
    CHECK_EQ(STATUS_INSTRUCTION_MISALIGNMENT, (NTSTATUS)0xC00000AAL);
    CHECK(FsRtlIsNtstatusExpected(STATUS_SUCCESS));
    CHECK(FsRtlIsNtstatusExpected(STATUS_INSUFFICIENT_RESOURCES));
    CHECK(FsRtlIsNtstatusExpected(STATUS_INVALID_PARAMETER));
    CHECK(FsRtlIsNtstatusExpected(STATUS_BUFFER_OVERFLOW));
}
