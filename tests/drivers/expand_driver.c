/*
 * expand_driver.c - a sample driver written the way real drivers use stack expansion, to
 * show that such source compiles unchanged against kfault's <ntddk.h> and behaves as the
 * documentation says. Three callers of KeExpandKernelStackAndCalloutEx:
 *
 *   - a loader: Size MAXIMUM_EXPANSION_SIZE, Wait TRUE at PASSIVE_LEVEL, and a fallback that
 *     runs the work directly when the call fails (it relies on "no callout on failure");
 *   - a packet classifier at DISPATCH_LEVEL with Wait FALSE and 16 KiB, which gives up and
 *     returns the failure when no stack is to be had;
 *   - a file system create path: KERNEL_STACK_SIZE with Wait FALSE, a callout that catches
 *     the work's exceptions and stores the code, the caller raising it again after the call
 *     returns, and STATUS_NO_MEMORY mapped to STATUS_INSUFFICIENT_RESOURCES.
 *
 * Driver code: must include only <ntddk.h> (and its own header), never a kfault header, and
 * must never know it runs in user mode.
 */
#include <ntddk.h>

#include "expand_driver.h"

#define EXD_TAG 0x20647845u /* 'Exd ' */
#define EXD_CLASSIFY_STACK (16 * 1024)
#define EXD_TABLE_BYTES 512

/* ---- The work ------------------------------------------------------------------------- */

/* Each level keeps a table on the stack, as recursive parsers do: the reason to expand. */
static ULONG ExdpWalk(ULONG Seed, ULONG Depth, PUCHAR Scratch)
{
    UCHAR table[EXD_TABLE_BYTES];
    ULONG sum = Seed;
    ULONG i;

    for (i = 0; i < EXD_TABLE_BYTES; i++) {
        table[i] = (UCHAR)(Seed * 31 + i + Scratch[i % 64]);
    }
    for (i = 0; i < EXD_TABLE_BYTES; i++) {
        sum = sum * 33 + table[i];
    }
    if (Depth > 0) {
        sum ^= ExdpWalk(sum, Depth - 1, Scratch);
    }
    return sum;
}

static VOID ExdpFillScratch(PUCHAR Scratch, ULONG Seed)
{
    ULONG i;

    for (i = 0; i < 64; i++) {
        Scratch[i] = (UCHAR)(Seed >> (i % 24));
    }
}

/* The loader's work: paged scratch memory, may fail. */
static VOID ExdpLoadWork(PEXD_REQUEST Request)
{
    PUCHAR scratch;

    Request->TimesRun++;
    scratch = ExAllocatePoolWithTag(PagedPool, 64, EXD_TAG);
    if (scratch == NULL) {
        Request->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    ExdpFillScratch(scratch, Request->Seed);
    Request->Checksum = ExdpWalk(Request->Seed, Request->Depth, scratch);
    ExFreePoolWithTag(scratch, EXD_TAG);
    Request->Status = STATUS_SUCCESS;
}

/* The classifier's work: nonpaged memory (it runs at DISPATCH_LEVEL). */
static VOID ExdpClassifyWork(PEXD_REQUEST Request)
{
    PUCHAR scratch;

    ASSERT(KeGetCurrentIrql() == DISPATCH_LEVEL);
    Request->TimesRun++;
    scratch = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, EXD_TAG);
    if (scratch == NULL) {
        Request->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    ExdpFillScratch(scratch, Request->Seed);
    Request->Checksum = ExdpWalk(Request->Seed, Request->Depth, scratch);
    ExFreePoolWithTag(scratch, EXD_TAG);
    Request->Status = STATUS_SUCCESS;
}

/* The file system's work: allocations raise on failure, as its pool helpers do. */
static VOID ExdpFsWork(PEXD_REQUEST Request)
{
    PUCHAR scratch;

    Request->TimesRun++;
    scratch = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64, EXD_TAG);
    ExdpFillScratch(scratch, Request->Seed);
    Request->Checksum = ExdpWalk(Request->Seed, Request->Depth, scratch);
    ExFreePoolWithTag(scratch, EXD_TAG);
    Request->Status = STATUS_SUCCESS;
}

/* ---- The loader ----------------------------------------------------------------------- */

static EXPAND_STACK_CALLOUT ExdpLoadCallout;

static VOID ExdpLoadCallout(PVOID Parameter)
{
    ExdpLoadWork((PEXD_REQUEST)Parameter);
}

NTSTATUS ExdLoadImage(PEXD_REQUEST Request)
{
    NTSTATUS status;

    status = KeExpandKernelStackAndCalloutEx(ExdpLoadCallout, Request, MAXIMUM_EXPANSION_SIZE, TRUE, NULL);
    if (!NT_SUCCESS(status)) {
        /* No bigger stack: try on this one, it is usually enough. */
        KdPrint(("exd: stack expansion failed (0x%08X), loading on the current stack\n", (unsigned)status));
        ExdpLoadCallout(Request);
    }
    return Request->Status;
}

/* ---- The classifier ------------------------------------------------------------------- */

static EXPAND_STACK_CALLOUT ExdpClassifyCallout;

static VOID ExdpClassifyCallout(PVOID Parameter)
{
    ExdpClassifyWork((PEXD_REQUEST)Parameter);
}

NTSTATUS ExdClassifyPacket(PEXD_REQUEST Request)
{
    KIRQL oldIrql;
    NTSTATUS status;

    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    status = KeExpandKernelStackAndCalloutEx(ExdpClassifyCallout, Request, EXD_CLASSIFY_STACK, FALSE, NULL);
    KeLowerIrql(oldIrql);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    return Request->Status;
}

/* ---- The file system ------------------------------------------------------------------- */

typedef struct _EXD_CREATE_CONTEXT {
    PEXD_REQUEST Request;
    NTSTATUS ExceptionCode;
    BOOLEAN ExceptionRaised;
} EXD_CREATE_CONTEXT, *PEXD_CREATE_CONTEXT;

static EXPAND_STACK_CALLOUT ExdpCreateCallout;

static VOID ExdpCreateCallout(PVOID Parameter)
{
    PEXD_CREATE_CONTEXT context = (PEXD_CREATE_CONTEXT)Parameter;

    /* Nothing may escape a callout: keep the code and raise it again on the caller's side. */
    __try {
        ExdpFsWork(context->Request);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        context->ExceptionCode = GetExceptionCode();
        context->ExceptionRaised = TRUE;
    }
}

static NTSTATUS ExdpCommonCreate(PEXD_REQUEST Request)
{
    EXD_CREATE_CONTEXT context;
    NTSTATUS status;

    RtlZeroMemory(&context, sizeof(context));
    context.Request = Request;
    status = KeExpandKernelStackAndCalloutEx(ExdpCreateCallout, &context, KERNEL_STACK_SIZE, FALSE, NULL);
    if (status == STATUS_NO_MEMORY) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (context.ExceptionRaised) {
        ExRaiseStatus(context.ExceptionCode);
    }
    return Request->Status;
}

NTSTATUS ExdFsdCreate(PEXD_REQUEST Request)
{
    NTSTATUS status = STATUS_SUCCESS;

    __try {
        status = ExdpCommonCreate(Request);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

/* ---- Load and unload -------------------------------------------------------------------- */

static DRIVER_UNLOAD ExdUnload;

static VOID ExdUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    EXD_REQUEST configuration;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = ExdUnload;
    RtlZeroMemory(&configuration, sizeof(configuration));
    configuration.Seed = 0x4B46;
    configuration.Depth = 8;
    return ExdLoadImage(&configuration);
}
