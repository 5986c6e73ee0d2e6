/*
 * flt_misc.c - Filter Manager's and FsRtl's smaller routines (SEMANTICS.md FM-1, FM-2):
 * the callback data's dirty flag (FltSetCallbackDataDirty, FltClearCallbackDataDirty,
 * FltIsCallbackDataDirty) and FsRtlIsNtstatusExpected.
 *
 * Holds no state of its own. Must never change any flag of the callback data other than
 * FLTFL_CALLBACK_DATA_DIRTY.
 */
#include <fltKernel.h>

#include "internal.h"

/* FM-1 */
VOID FLTAPI FltSetCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
    kf__irql_at_most("FltSetCallbackDataDirty", DISPATCH_LEVEL);
    Data->Flags |= FLTFL_CALLBACK_DATA_DIRTY;
}

VOID FLTAPI FltClearCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
    kf__irql_at_most("FltClearCallbackDataDirty", DISPATCH_LEVEL);
    Data->Flags &= ~(ULONG)FLTFL_CALLBACK_DATA_DIRTY;
}

BOOLEAN FLTAPI FltIsCallbackDataDirty(PFLT_CALLBACK_DATA Data)
{
    kf__irql_at_most("FltIsCallbackDataDirty", DISPATCH_LEVEL);
    return (Data->Flags & FLTFL_CALLBACK_DATA_DIRTY) ? TRUE : FALSE;
}

/* FM-2 */
BOOLEAN FsRtlIsNtstatusExpected(NTSTATUS Exception)
{
    switch (Exception) {
    case STATUS_DATATYPE_MISALIGNMENT:
    case STATUS_ACCESS_VIOLATION:
    case STATUS_ILLEGAL_INSTRUCTION:
    case STATUS_INSTRUCTION_MISALIGNMENT:
        return FALSE;
    default:
        return TRUE;
    }
}
