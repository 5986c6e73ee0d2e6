/*
 * minifilter_sync.c - a minifilter written as for the WDK: it registers with a positional
 * FLT_REGISTRATION, keeps the instance Filter Manager sets up on the first volume, and issues
 * its own synchronous I/O with callback data: a directory listing (IRP_MJ_DIRECTORY_CONTROL /
 * IRP_MN_QUERY_DIRECTORY, reusing one callback data across queries) and a flush
 * (IRP_MJ_FLUSH_BUFFERS, with memory preallocated). Every path frees what it allocated.
 *
 * Includes only <fltKernel.h>: it must never include a kfault header or call a kf_ routine.
 * test_minifilter_sync.c loads it, drives it and unloads it.
 */
#include <fltKernel.h>

#define SYNC_TAG 'cnyS'
#define SYNC_QUERY_BUFFER_SIZE 512

typedef struct _SYNC_GLOBALS {
    PFLT_INSTANCE Instance;     /* the instance on the first volume we attached to */
    ULONG InstancesAttached;
    BOOLEAN Unloading;
} SYNC_GLOBALS;

PFLT_FILTER SyncFilterHandle;
SYNC_GLOBALS Globals;

DRIVER_INITIALIZE DriverEntry;
NTSTATUS SyncCountDirectoryEntries(PFILE_OBJECT Directory, PULONG EntryCount);
NTSTATUS SyncFlushFile(PFILE_OBJECT FileObject);

static NTSTATUS FLTAPI SyncUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI SyncInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                         DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static NTSTATUS FLTAPI SyncInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                 FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);
static VOID FLTAPI SyncInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);
static VOID FLTAPI SyncInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_TEARDOWN_FLAGS Reason);

CONST FLT_OPERATION_REGISTRATION Callbacks[] = {
    { IRP_MJ_OPERATION_END }
};

CONST FLT_REGISTRATION FilterRegistration = {
    sizeof(FLT_REGISTRATION),           /* Size */
    FLT_REGISTRATION_VERSION,           /* Version */
    0,                                  /* Flags */
    NULL,                               /* Context */
    Callbacks,                          /* Operation callbacks */
    SyncUnload,                         /* MiniFilterUnload */
    SyncInstanceSetup,                  /* InstanceSetup */
    SyncInstanceQueryTeardown,          /* InstanceQueryTeardown */
    SyncInstanceTeardownStart,          /* InstanceTeardownStart */
    SyncInstanceTeardownComplete,       /* InstanceTeardownComplete */
    NULL,                               /* GenerateFileName */
    NULL,                               /* NormalizeNameComponent */
    NULL                                /* NormalizeContextCleanup */
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RtlZeroMemory(&Globals, sizeof(Globals));

    status = FltRegisterFilter(DriverObject, &FilterRegistration, &SyncFilterHandle);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    status = FltStartFiltering(SyncFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(SyncFilterHandle);
        SyncFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI SyncUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    Globals.Unloading = TRUE;
    FltUnregisterFilter(SyncFilterHandle);
    SyncFilterHandle = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI SyncInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                         DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);

    /* Local disk volumes only. */
    if (VolumeDeviceType == FILE_DEVICE_NETWORK_FILE_SYSTEM || VolumeFilesystemType == FLT_FSTYPE_RAW) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    if (Globals.Instance == NULL) {
        Globals.Instance = FltObjects->Instance;
    }
    Globals.InstancesAttached++;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI SyncInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                 FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    return STATUS_SUCCESS;
}

static VOID FLTAPI SyncInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(Reason);
    if (Globals.Instance == FltObjects->Instance) {
        Globals.Instance = NULL;
    }
}

static VOID FLTAPI SyncInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Reason);
    Globals.InstancesAttached--;
}

/* Counts the entries of a directory with repeated IRP_MN_QUERY_DIRECTORY requests, one
 * callback data reused for every query, until the file system says there are no more. */
NTSTATUS SyncCountDirectoryEntries(PFILE_OBJECT Directory, PULONG EntryCount)
{
    PFLT_CALLBACK_DATA data = NULL;
    PVOID buffer;
    NTSTATUS status;
    BOOLEAN first = TRUE;
    ULONG count = 0;

    *EntryCount = 0;
    if (Globals.Instance == NULL) {
        return STATUS_NOT_FOUND;
    }

    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, SYNC_QUERY_BUFFER_SIZE, SYNC_TAG);
    if (buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    status = FltAllocateCallbackData(Globals.Instance, Directory, &data);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, SYNC_TAG);
        return status;
    }

    for (;;) {
        PFLT_IO_PARAMETER_BLOCK iopb = data->Iopb;
        PFILE_NAMES_INFORMATION entry;

        iopb->MajorFunction = IRP_MJ_DIRECTORY_CONTROL;
        iopb->MinorFunction = IRP_MN_QUERY_DIRECTORY;
        iopb->IrpFlags = IRP_SYNCHRONOUS_API;
        iopb->OperationFlags = first ? SL_RESTART_SCAN : 0;
        iopb->Parameters.DirectoryControl.QueryDirectory.Length = SYNC_QUERY_BUFFER_SIZE;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileName = NULL;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass = FileNamesInformation;
        iopb->Parameters.DirectoryControl.QueryDirectory.FileIndex = 0;
        iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = buffer;
        iopb->Parameters.DirectoryControl.QueryDirectory.MdlAddress = NULL;

        FltPerformSynchronousIo(data);
        status = data->IoStatus.Status;

        if (status == STATUS_NO_MORE_FILES) {
            status = STATUS_SUCCESS;
            break;
        }
        if (!NT_SUCCESS(status)) {
            break;
        }
        if (data->IoStatus.Information == 0 ||
            data->IoStatus.Information > SYNC_QUERY_BUFFER_SIZE) {
            status = STATUS_UNSUCCESSFUL;
            break;
        }

        entry = (PFILE_NAMES_INFORMATION)buffer;
        for (;;) {
            count++;
            if (entry->NextEntryOffset == 0) {
                break;
            }
            entry = (PFILE_NAMES_INFORMATION)Add2Ptr(entry, entry->NextEntryOffset);
        }

        first = FALSE;
        FltReuseCallbackData(data);
    }

    FltFreeCallbackData(data);
    ExFreePoolWithTag(buffer, SYNC_TAG);
    if (NT_SUCCESS(status)) {
        *EntryCount = count;
    }
    return status;
}

/* Flushes a file. The callback data is allocated with all of Filter Manager's memory up front,
 * as a filter does for I/O it must be able to issue under memory pressure. */
NTSTATUS SyncFlushFile(PFILE_OBJECT FileObject)
{
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    if (Globals.Instance == NULL) {
        return STATUS_NOT_FOUND;
    }

    status = FltAllocateCallbackDataEx(Globals.Instance, FileObject,
                                       FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, &data);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    data->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    data->Iopb->MinorFunction = 0;
    data->Iopb->IrpFlags = IRP_SYNCHRONOUS_API;

    FltPerformSynchronousIo(data);
    status = data->IoStatus.Status;

    FltFreeCallbackData(data);
    return status;
}
