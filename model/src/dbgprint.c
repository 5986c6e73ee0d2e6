/*
 * dbgprint.c - DbgPrint, DbgPrintEx and vDbgPrintEx (KdPrint / KdPrintEx are macros over them):
 * the driver's debug output, formatted by the model's one formatter (crt.c) with Microsoft's
 * conversions, at most 512 bytes per call, written to stderr only with the `dbgprint` option.
 *
 * Rules C-12 and C-13 of model/SEMANTICS.md. The format and its arguments are checked on every
 * call, printed or not (a bad %wZ argument is found even when nothing is printed). Must never
 * pass a driver's format string to the host's printf.
 */
#include "internal.h"
#include "ntddk.h"

#define DBGPRINT_MAX 512

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, va_list arglist)
{
    char text[DBGPRINT_MAX + 1];
    (void)ComponentId;
    (void)Level;
    if (!Format)
        kf_violation_stop(KF_VIOL_RTL_NULL_ARGUMENT, "DbgPrint", 0, 0, 0, "DbgPrint(Ex) with a NULL Format");
    size_t n = kf__vformat("DbgPrint", KF_FMT_DBGPRINT, text, DBGPRINT_MAX, Format, arglist);
    if (n > DBGPRINT_MAX)
        n = DBGPRINT_MAX;
    if (kf_options_get()->dbgprint) {
        fwrite(text, 1, n, stderr);
        fflush(stderr);
    }
    return STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    ULONG r = vDbgPrintEx(ComponentId, Level, Format, ap);
    va_end(ap);
    return r;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list ap;
    va_start(ap, Format);
    ULONG r = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_INFO_LEVEL, Format, ap);
    va_end(ap);
    return r;
}
