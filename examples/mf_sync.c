/*
 * mf_sync.c - an example minifilter that issues synchronous I/O of its own: on request it
 * lists a directory below itself (IRP_MJ_DIRECTORY_CONTROL / IRP_MN_QUERY_DIRECTORY into a
 * pool buffer, one callback data reused for every query) and then flushes it
 * (IRP_MJ_FLUSH_BUFFERS, the same callback data reused once more). The callback data is
 * allocated with FltAllocateCallbackDataEx, with all of Filter Manager's memory up front
 * when the caller asks for it. Every status is checked; every path frees what it allocated.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variants (one line each, for the tests):
 *   KF_PLANT_IOSTATUS_AFTER_FREE   the flush's status is read after FltFreeCallbackData
 *   KF_PLANT_LEAK_ON_ERROR         a failed listing returns without freeing the callback data
 */
#include <fltKernel.h>

#include "mf_sync.h"

#define MFS_TAG 0x2053664Du /* 'MfS ' */

typedef struct _MFS_GLOBALS {
    PFLT_INSTANCE Instance;  /* the instance requests go to: the first one attached */
    ULONG InstancesAttached;
} MFS_GLOBALS;

PFLT_FILTER MfsFilterHandle;
static MFS_GLOBALS MfsGlobals;

static NTSTATUS FLTAPI MfsUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI MfsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static VOID FLTAPI MfsInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);
static VOID FLTAPI MfsInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);

static CONST FLT_OPERATION_REGISTRATION MfsCallbacks[] = {
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION MfsRegistration = {
    sizeof(FLT_REGISTRATION),     /* Size */
    FLT_REGISTRATION_VERSION,     /* Version */
    0,                            /* Flags */
    NULL,                         /* Context */
    MfsCallbacks,                 /* Operation callbacks */
    MfsUnload,                    /* MiniFilterUnload */
    MfsInstanceSetup,             /* InstanceSetup */
    NULL,                         /* InstanceQueryTeardown */
    MfsInstanceTeardownStart,     /* InstanceTeardownStart */
    MfsInstanceTeardownComplete,  /* InstanceTeardownComplete */
    NULL,                         /* GenerateFileName */
    NULL,                         /* NormalizeNameComponent */
    NULL,                         /* NormalizeContextCleanup */
    NULL,                         /* TransactionNotification */
    NULL,                         /* NormalizeNameComponentEx */
    NULL                          /* SectionNotification */
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RtlZeroMemory(&MfsGlobals, sizeof(MfsGlobals));
    MfsFilterHandle = NULL;

    status = FltRegisterFilter(DriverObject, &MfsRegistration, &MfsFilterHandle);
    if (!NT_SUCCESS(status)) {
        MfsFilterHandle = NULL;
        return status;
    }
    status = FltStartFiltering(MfsFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(MfsFilterHandle);
        MfsFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI MfsUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(MfsFilterHandle);
    MfsFilterHandle = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI MfsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);

    /* Local disk volumes only. */
    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM || VolumeFilesystemType == FLT_FSTYPE_RAW) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    if (MfsGlobals.Instance == NULL) {
        MfsGlobals.Instance = FltObjects->Instance;
    }
    MfsGlobals.InstancesAttached++;
    return STATUS_SUCCESS;
}

static VOID FLTAPI MfsInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(Reason);
    if (MfsGlobals.Instance == FltObjects->Instance) {
        MfsGlobals.Instance = NULL;
    }
}

static VOID FLTAPI MfsInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Reason);
    MfsGlobals.InstancesAttached--;
}

/* Counts the entries of one FILE_NAMES_INFORMATION listing of Length bytes; 0 when the
 * listing does not hold together. */
static ULONG MfspCountNames(PVOID Buffer, ULONG_PTR Length)
{
    ULONG_PTR offset = 0;
    ULONG count = 0;

    if (Length < (ULONG_PTR)FIELD_OFFSET(FILE_NAMES_INFORMATION, FileName) || Length > MFS_QUERY_BUFFER_SIZE) {
        return 0;
    }
    for (;;) {
        PFILE_NAMES_INFORMATION entry = (PFILE_NAMES_INFORMATION)Add2Ptr(Buffer, offset);
        ULONG next;

        count++;
        next = entry->NextEntryOffset;
        if (next == 0) {
            return count;
        }
        if (next > Length - offset ||
            Length - offset - next < (ULONG_PTR)FIELD_OFFSET(FILE_NAMES_INFORMATION, FileName)) {
            return 0;
        }
        offset += next;
    }
}

/* Queries the directory until the file system has no more files, reusing Data between the
 * queries. Leaves Data used (reusable, never freed). */
static NTSTATUS MfspListDirectory(PFLT_CALLBACK_DATA Data, PVOID Buffer, PMFS_REQUEST Request)
{
    NTSTATUS status;

    for (;;) {
        PFLT_IO_PARAMETER_BLOCK iopb = Data->Iopb;
        ULONG names;

        if (Request->Queries > 0) {
            FltReuseCallbackData(Data);
        }
        iopb->MajorFunction = IRP_MJ_DIRECTORY_CONTROL;
        iopb->MinorFunction = IRP_MN_QUERY_DIRECTORY;
        iopb->IrpFlags = IRP_SYNCHRONOUS_API;
        iopb->OperationFlags = Request->Queries == 0 ? SL_RESTART_SCAN : 0;
        iopb->Parameters.DirectoryControl.QueryDirectory.Length = MFS_QUERY_BUFFER_SIZE;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileName = NULL;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass = FileNamesInformation;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileIndex = 0;
        iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = Buffer;
        iopb->Parameters.DirectoryControl.QueryDirectory.MdlAddress = NULL;

        FltPerformSynchronousIo(Data);
        Request->Queries++;
        status = Data->IoStatus.Status;
        if (status == STATUS_NO_MORE_FILES) {
            return STATUS_SUCCESS;
        }
        if (!NT_SUCCESS(status)) {
            return status;
        }
        names = MfspCountNames(Buffer, Data->IoStatus.Information);
        if (names == 0) {
            return STATUS_UNSUCCESSFUL;
        }
        Request->Entries += names;
    }
}

NTSTATUS MfsScanDirectory(PMFS_REQUEST Request)
{
    PFLT_CALLBACK_DATA data;
    PVOID buffer;
    NTSTATUS status;

    Request->Queries = 0;
    Request->Entries = 0;
    Request->Flushed = FALSE;
    if (MfsGlobals.Instance == NULL) {
        return STATUS_NOT_FOUND;
    }

    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, MFS_QUERY_BUFFER_SIZE, MFS_TAG);
    if (buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = FltAllocateCallbackDataEx(MfsGlobals.Instance, Request->Directory,
                                       Request->Preallocate ? FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY : 0,
                                       &data);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, MFS_TAG);
        return status;
    }

    status = MfspListDirectory(data, buffer, Request);
    if (!NT_SUCCESS(status)) {
#ifndef KF_PLANT_LEAK_ON_ERROR
        FltFreeCallbackData(data);
#endif
        ExFreePoolWithTag(buffer, MFS_TAG);
        return status;
    }

    FltReuseCallbackData(data);
    data->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    data->Iopb->MinorFunction = 0;
    data->Iopb->IrpFlags = IRP_SYNCHRONOUS_API;
    FltPerformSynchronousIo(data);
#ifdef KF_PLANT_IOSTATUS_AFTER_FREE
    FltFreeCallbackData(data);
    status = data->IoStatus.Status;
#else
    status = data->IoStatus.Status;
    FltFreeCallbackData(data);
#endif
    Request->Flushed = NT_SUCCESS(status);

    ExFreePoolWithTag(buffer, MFS_TAG);
    return status;
}
