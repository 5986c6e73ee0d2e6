/*
 * pool_driver.c - a sample driver written the way real drivers use the base layer: it opts
 * in to NX pool, keeps its per-request records in a nonpaged lookaside list, describes the
 * caller's buffer with an MDL to copy it, and hands each record to a work item that logs it
 * at PASSIVE_LEVEL and gives the record back. Every allocation may fail, and every failure
 * path gives back what it took.
 *
 * Driver code: must include only <ntddk.h> (and its own header), never a kfault header, and
 * must never know it runs in user mode.
 */
#define POOL_NX_OPTIN 1
#include "pool_driver.h"

#define PD_TAG 'rDdP' /* "PdDr" in the debugger */
#define PD_DATA_MAX 64

typedef struct _PD_RECORD {
    PIO_WORKITEM WorkItem;
    ULONG Length;
    UCHAR Data[PD_DATA_MAX];
} PD_RECORD, *PPD_RECORD;

static PDEVICE_OBJECT PdDevice;
static NPAGED_LOOKASIDE_LIST PdRecords;
static BOOLEAN PdListReady;
static LONG PdPending;
static ULONG PdLogCount;

static IO_WORKITEM_ROUTINE PdLogWork;

static VOID PdLogWork(PDEVICE_OBJECT Device, PVOID Context)
{
    PPD_RECORD record = (PPD_RECORD)Context;
    PUCHAR copy;

    UNREFERENCED_PARAMETER(Device);
    copy = ExAllocatePool2(POOL_FLAG_PAGED, record->Length, PD_TAG);
    if (copy != NULL) {
        RtlCopyMemory(copy, record->Data, record->Length);
        PdLogCount++;
        ExFreePoolWithTag(copy, PD_TAG);
    }
    IoFreeWorkItem(record->WorkItem);
    ExFreeToNPagedLookasideList(&PdRecords, record);
    PdPending--;
}

NTSTATUS PdLoad(PDEVICE_OBJECT Device)
{
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    PdDevice = Device;
    PdPending = 0;
    PdLogCount = 0;
    ExInitializeNPagedLookasideList(&PdRecords, NULL, NULL, 0, sizeof(PD_RECORD), PD_TAG, 0);
    PdListReady = TRUE;
    return STATUS_SUCCESS;
}

NTSTATUS PdRequest(const UCHAR *Data, ULONG Length)
{
    PPD_RECORD record;
    PMDL mdl;
    PUCHAR mapped;

    if (Length == 0 || Length > PD_DATA_MAX) {
        return STATUS_INVALID_PARAMETER;
    }
    record = ExAllocateFromNPagedLookasideList(&PdRecords);
    if (record == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    record->Length = Length;
    mdl = IoAllocateMdl((PVOID)Data, Length, FALSE, FALSE, NULL);
    if (mdl == NULL) {
        ExFreeToNPagedLookasideList(&PdRecords, record);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    __try {
        MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        IoFreeMdl(mdl);
        ExFreeToNPagedLookasideList(&PdRecords, record);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    mapped = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    if (mapped == NULL) {
        MmUnlockPages(mdl);
        IoFreeMdl(mdl);
        ExFreeToNPagedLookasideList(&PdRecords, record);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(record->Data, mapped, Length);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);

    record->WorkItem = IoAllocateWorkItem(PdDevice);
    if (record->WorkItem == NULL) {
        ExFreeToNPagedLookasideList(&PdRecords, record);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    PdPending++;
    IoQueueWorkItem(record->WorkItem, PdLogWork, DelayedWorkQueue, record);
    return STATUS_PENDING;
}

VOID PdUnload(VOID)
{
    LARGE_INTEGER interval;

    interval.QuadPart = -10 * 1000 * 10; /* 10 ms */
    while (PdPending > 0) {
        KeDelayExecutionThread(KernelMode, FALSE, &interval);
    }
    if (PdListReady) {
        ExDeleteNPagedLookasideList(&PdRecords);
        PdListReady = FALSE;
    }
}

ULONG PdLogged(VOID) { return PdLogCount; }
