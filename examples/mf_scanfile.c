/*
 * mf_scanfile.c - an example minifilter that reads files itself, written the way scanning
 * filters are: each instance remembers its volume's name when it attaches; on a request
 * (MfsScanFile, which a service would send through a port) the instance of the volume the name
 * names opens the file with FltCreateFileEx2 (a kernel handle, below the filter), asks its size
 * with FltQueryInformationFile, reads its header with FltReadFile into pool sized from the file
 * (never more than MFS_HEADER_CAP), parses the scan header, and asks the file's attributes with
 * callback data of its own sent by FltPerformSynchronousIo (as filters do when the layers
 * above must not see the query); a file to quarantine has its opened name recorded (asked with
 * FltGetFileNameInformationUnsafe at PASSIVE_LEVEL, copied under a spin lock, since the record
 * is read at DISPATCH_LEVEL); then it closes everything on every path.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header. Planted-bug
 * variants (one change each, for the tests):
 *   KF_PLANT_HANDLE_LEAK    a failed read returns without FltClose
 *   KF_PLANT_OBJECT_LEAK    an empty file returns without dereferencing the file object
 *   KF_PLANT_SIZE_TRUSTED   the read asks for the file's size while the buffer is capped
 *   KF_PLANT_CBD_LEAK       callback data is not freed when its query fails
 *   KF_PLANT_NAME_TWICE     a name too long for the record is released, then released again
 *   KF_PLANT_NAME_IRQL      the name is asked for while the record's spin lock is held
 */
#include <fltKernel.h>

#include "mf_scanfile.h"

#define MFS_TAG 'nScM'
#define MFS_MAX_VOLUMES 4
#define MFS_VOLUME_NAME_CHARS 64

typedef struct _MFS_VOLUME {
    PFLT_INSTANCE Instance;       /* NULL: the slot is free */
    UNICODE_STRING Name;          /* \Device\HarddiskVolumeN, in NameBuffer */
    WCHAR NameBuffer[MFS_VOLUME_NAME_CHARS];
} MFS_VOLUME;

#define MFS_QUARANTINE_CHARS 96

typedef struct _MFS_GLOBALS {
    FAST_MUTEX Lock;              /* protects Volumes and Stats */
    MFS_VOLUME Volumes[MFS_MAX_VOLUMES];
    MFS_STATS Stats;
    KSPIN_LOCK QuarantineLock;    /* protects the last quarantined name */
    USHORT QuarantineChars;
    WCHAR Quarantine[MFS_QUARANTINE_CHARS];
} MFS_GLOBALS;

PFLT_FILTER MfsFilterHandle;
static MFS_GLOBALS MfsGlobals;

static NTSTATUS FLTAPI MfsUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI MfsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static VOID FLTAPI MfsInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Flags);

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
    NULL,                         /* InstanceTeardownStart */
    MfsInstanceTeardownComplete,  /* InstanceTeardownComplete */
    NULL,                         /* GenerateFileName */
    NULL,                         /* NormalizeNameComponent */
    NULL,                         /* NormalizeContextCleanup */
    NULL,                         /* TransactionNotification */
    NULL,                         /* NormalizeNameComponentEx */
    NULL                          /* SectionNotification */
};

/* ---- Instances --------------------------------------------------------------------------- */

static NTSTATUS FLTAPI MfsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    MFS_VOLUME *slot = NULL;
    UNICODE_STRING name;
    WCHAR buffer[MFS_VOLUME_NAME_CHARS];
    NTSTATUS status;
    ULONG i;

    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    PAGED_CODE();

    if (VolumeDeviceType == FILE_DEVICE_NETWORK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    RtlInitEmptyUnicodeString(&name, buffer, sizeof(buffer));
    status = FltGetVolumeName(FltObjects->Volume, &name, NULL);
    if (!NT_SUCCESS(status)) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    ExAcquireFastMutex(&MfsGlobals.Lock);
    for (i = 0; i < MFS_MAX_VOLUMES; i++) {
        if (MfsGlobals.Volumes[i].Instance == NULL) {
            slot = &MfsGlobals.Volumes[i];
            break;
        }
    }
    if (slot != NULL) {
        slot->Instance = FltObjects->Instance;
        RtlInitEmptyUnicodeString(&slot->Name, slot->NameBuffer, sizeof(slot->NameBuffer));
        RtlCopyUnicodeString(&slot->Name, &name);
    }
    ExReleaseFastMutex(&MfsGlobals.Lock);
    return slot != NULL ? STATUS_SUCCESS : STATUS_FLT_DO_NOT_ATTACH;
}

static VOID FLTAPI MfsInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Flags)
{
    ULONG i;

    UNREFERENCED_PARAMETER(Flags);
    PAGED_CODE();

    ExAcquireFastMutex(&MfsGlobals.Lock);
    for (i = 0; i < MFS_MAX_VOLUMES; i++) {
        if (MfsGlobals.Volumes[i].Instance == FltObjects->Instance) {
            MfsGlobals.Volumes[i].Instance = NULL;
        }
    }
    ExReleaseFastMutex(&MfsGlobals.Lock);
}

/* The instance whose volume FileName is on, referenced (FltObjectDereference when done), and
 * the name's length after the volume. */
static NTSTATUS MfsFindInstance(PCUNICODE_STRING FileName, PFLT_INSTANCE *Instance)
{
    NTSTATUS status = STATUS_FLT_INSTANCE_NOT_FOUND;
    ULONG i;

    *Instance = NULL;
    ExAcquireFastMutex(&MfsGlobals.Lock);
    for (i = 0; i < MFS_MAX_VOLUMES; i++) {
        MFS_VOLUME *v = &MfsGlobals.Volumes[i];
        if (v->Instance == NULL || FileName->Length <= v->Name.Length ||
            FileName->Buffer[v->Name.Length / sizeof(WCHAR)] != L'\\' ||
            !RtlPrefixUnicodeString(&v->Name, FileName, TRUE)) {
            continue;
        }
        status = FltObjectReference(v->Instance);
        if (NT_SUCCESS(status)) {
            *Instance = v->Instance;
        }
        break;
    }
    ExReleaseFastMutex(&MfsGlobals.Lock);
    return status;
}

/* ---- The scan ------------------------------------------------------------------------------ */

/* Parses the header in Buffer (Length bytes read) into Result. */
static VOID MfsParseHeader(CONST UCHAR *Buffer, ULONG Length, MFS_RESULT *Result)
{
    ULONG count, available, i;
    MFS_RECORD record;

    if (Length < 4 || Buffer[0] != MFS_MAGIC0 || Buffer[1] != MFS_MAGIC1) {
        return;
    }
    Result->Ours = TRUE;
    count = Buffer[3];
    if (count > MFS_MAX_RECORDS) {
        count = MFS_MAX_RECORDS;
    }
    available = (Length - 4) / sizeof(MFS_RECORD);
    if (count > available) {
        Result->Truncated = TRUE;
        count = available;
    }
    for (i = 0; i < count; i++) {
        RtlCopyMemory(&record, Buffer + 4 + i * sizeof(MFS_RECORD), sizeof(record));
        if (record.Kind == 0) {
            Result->Truncated = TRUE;
            break;
        }
        Result->Records++;
        Result->Score += record.Weight;
    }
    Result->Quarantine = (Buffer[2] & MFS_FLAG_QUARANTINE) != 0 && Result->Score >= MFS_QUARANTINE_SCORE;
}

/* The file's attributes, asked with callback data of the filter's own below the instance. */
static NTSTATUS MfsQueryAttributes(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, ULONG *Attributes)
{
    PFLT_CALLBACK_DATA data = NULL;
    FILE_BASIC_INFORMATION basic;
    NTSTATUS status;

    status = FltAllocateCallbackData(Instance, FileObject, &data);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlZeroMemory(&basic, sizeof(basic));
    data->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
    data->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileBasicInformation;
    data->Iopb->Parameters.QueryFileInformation.Length = sizeof(basic);
    data->Iopb->Parameters.QueryFileInformation.InfoBuffer = &basic;
    FltPerformSynchronousIo(data);
    status = data->IoStatus.Status;
    if (!NT_SUCCESS(status)) {
#ifndef KF_PLANT_CBD_LEAK
        FltFreeCallbackData(data);
#endif
        return status;
    }
    *Attributes = basic.FileAttributes;
    FltFreeCallbackData(data);
    return STATUS_SUCCESS;
}

/* Records the opened name of a file to quarantine; a name longer than the record is not kept. */
static VOID MfsRecordQuarantine(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject)
{
    PFLT_FILE_NAME_INFORMATION name = NULL;
    KIRQL irql;
    BOOLEAN fits;
    NTSTATUS status;

#ifdef KF_PLANT_NAME_IRQL
    KeAcquireSpinLock(&MfsGlobals.QuarantineLock, &irql);
    status = FltGetFileNameInformationUnsafe(FileObject, Instance, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                             &name);
    KeReleaseSpinLock(&MfsGlobals.QuarantineLock, irql);
#else
    status = FltGetFileNameInformationUnsafe(FileObject, Instance, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT,
                                             &name);
#endif
    if (!NT_SUCCESS(status)) {
        return;
    }
    fits = name->Name.Length <= sizeof(MfsGlobals.Quarantine);
    if (!fits) {
        FltReleaseFileNameInformation(name);
#ifndef KF_PLANT_NAME_TWICE
        return;
#endif
    }
    if (fits) {
        KeAcquireSpinLock(&MfsGlobals.QuarantineLock, &irql);
        RtlCopyMemory(MfsGlobals.Quarantine, name->Name.Buffer, name->Name.Length);
        MfsGlobals.QuarantineChars = name->Name.Length / sizeof(WCHAR);
        KeReleaseSpinLock(&MfsGlobals.QuarantineLock, irql);
    }
    FltReleaseFileNameInformation(name);
}

NTSTATUS MfsScanFile(PCUNICODE_STRING FileName, MFS_RESULT *Result)
{
    PFLT_INSTANCE instance = NULL;
    HANDLE handle = NULL;
    PFILE_OBJECT fileObject = NULL;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    IO_DRIVER_CREATE_CONTEXT createContext;
    FILE_STANDARD_INFORMATION standard;
    LARGE_INTEGER offset;
    PUCHAR buffer = NULL;
    ULONG toRead, bytesRead = 0;
    NTSTATUS status;

    PAGED_CODE();

    RtlZeroMemory(Result, sizeof(*Result));
    status = MfsFindInstance(FileName, &instance);
    if (!NT_SUCCESS(status)) {
        goto done;
    }
    InitializeObjectAttributes(&attributes, (PUNICODE_STRING)FileName, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
                               NULL, NULL);
    IoInitializeDriverCreateContext(&createContext);
    status = FltCreateFileEx2(MfsFilterHandle, instance, &handle, &fileObject, FILE_READ_DATA | FILE_READ_ATTRIBUTES,
                              &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN,
                              FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY, NULL, 0, IO_IGNORE_SHARE_ACCESS_CHECK,
                              &createContext);
    if (!NT_SUCCESS(status)) {
        goto done;
    }
    status = FltQueryInformationFile(instance, fileObject, &standard, sizeof(standard), FileStandardInformation, NULL);
    if (!NT_SUCCESS(status)) {
        goto close;
    }
    Result->FileSize = (ULONGLONG)standard.EndOfFile.QuadPart;
    if (Result->FileSize == 0) {
#ifdef KF_PLANT_OBJECT_LEAK
        FltClose(handle);
        FltObjectDereference(instance);
        return STATUS_SUCCESS;
#else
        goto close; /* nothing to read */
#endif
    }
    toRead = Result->FileSize < MFS_HEADER_CAP ? (ULONG)Result->FileSize : MFS_HEADER_CAP;
    buffer = ExAllocatePoolZero(NonPagedPoolNx, toRead, MFS_TAG);
    if (buffer == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto close;
    }
#ifdef KF_PLANT_SIZE_TRUSTED
    toRead = (ULONG)Result->FileSize;
#endif
    offset.QuadPart = 0;
    status = FltReadFile(instance, fileObject, &offset, toRead, buffer, 0, &bytesRead, NULL, NULL);
    if (!NT_SUCCESS(status)) {
#ifdef KF_PLANT_HANDLE_LEAK
        ExFreePoolWithTag(buffer, MFS_TAG);
        ObDereferenceObject(fileObject);
        FltObjectDereference(instance);
        return status;
#else
        goto close;
#endif
    }
    Result->BytesRead = bytesRead;
    MfsParseHeader(buffer, bytesRead, Result);
    status = MfsQueryAttributes(instance, fileObject, &Result->Attributes);
    if (NT_SUCCESS(status) && Result->Quarantine) {
        MfsRecordQuarantine(instance, fileObject);
    }

close:
    if (buffer != NULL) {
        ExFreePoolWithTag(buffer, MFS_TAG);
    }
    ObDereferenceObject(fileObject);
    FltClose(handle);
done:
    if (instance != NULL) {
        FltObjectDereference(instance);
    }
    ExAcquireFastMutex(&MfsGlobals.Lock);
    MfsGlobals.Stats.Scans++;
    if (!NT_SUCCESS(status)) {
        MfsGlobals.Stats.Failures++;
    } else if (Result->Ours) {
        MfsGlobals.Stats.Matches++;
    }
    ExReleaseFastMutex(&MfsGlobals.Lock);
    return status;
}

VOID MfsQueryStats(MFS_STATS *Stats)
{
    ExAcquireFastMutex(&MfsGlobals.Lock);
    *Stats = MfsGlobals.Stats;
    ExReleaseFastMutex(&MfsGlobals.Lock);
}

/* ---- Loading and unloading --------------------------------------------------------------- */

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);

    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    RtlZeroMemory(&MfsGlobals, sizeof(MfsGlobals));
    ExInitializeFastMutex(&MfsGlobals.Lock);
    KeInitializeSpinLock(&MfsGlobals.QuarantineLock);

    status = FltRegisterFilter(DriverObject, &MfsRegistration, &MfsFilterHandle);
    if (!NT_SUCCESS(status)) {
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
    PAGED_CODE();

    FltUnregisterFilter(MfsFilterHandle);
    MfsFilterHandle = NULL;
    return STATUS_SUCCESS;
}
