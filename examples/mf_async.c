/*
 * mf_async.c - an example minifilter that reads a file below itself with asynchronous I/O:
 * one callback data, one IRP_MJ_READ of MFA_CHUNK_SIZE at a time with
 * FltPerformAsynchronousIo. The completion routine issues the next chunk itself, reusing
 * the callback data, but only at IRQL <= APC_LEVEL, where FltReuseCallbackData may be
 * called: at DISPATCH_LEVEL it hands the next chunk back to the issuing routine when that is
 * still waiting in FltPerformAsynchronousIo, and otherwise frees the data and stops short.
 * It also stops once its instance's teardown has started, so that no I/O is started that
 * would outlive the instance. Refused or failed reads end the read with their status; the
 * completion routine frees the callback data on every path, exactly once.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variant (one line, for the tests):
 *   KF_PLANT_REUSE_AT_DISPATCH   the completion reuses the callback data at any IRQL
 */
#include <fltKernel.h>

#include "mf_async.h"

typedef struct _MFA_GLOBALS {
    PFLT_INSTANCE Instance;  /* the instance reads go to: the first one attached */
    BOOLEAN TearingDown;     /* its teardown has started */
} MFA_GLOBALS;

PFLT_FILTER MfaFilterHandle;
static MFA_GLOBALS MfaGlobals;

static NTSTATUS FLTAPI MfaUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI MfaInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static VOID FLTAPI MfaInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);
static VOID FLTAPI MfaReadDone(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context);

static CONST FLT_OPERATION_REGISTRATION MfaCallbacks[] = {
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION MfaRegistration = {
    sizeof(FLT_REGISTRATION),     /* Size */
    FLT_REGISTRATION_VERSION,     /* Version */
    0,                            /* Flags */
    NULL,                         /* Context */
    MfaCallbacks,                 /* Operation callbacks */
    MfaUnload,                    /* MiniFilterUnload */
    MfaInstanceSetup,             /* InstanceSetup */
    NULL,                         /* InstanceQueryTeardown */
    MfaInstanceTeardownStart,     /* InstanceTeardownStart */
    NULL,                         /* InstanceTeardownComplete */
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
    RtlZeroMemory(&MfaGlobals, sizeof(MfaGlobals));
    MfaFilterHandle = NULL;

    status = FltRegisterFilter(DriverObject, &MfaRegistration, &MfaFilterHandle);
    if (!NT_SUCCESS(status)) {
        MfaFilterHandle = NULL;
        return status;
    }
    status = FltStartFiltering(MfaFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(MfaFilterHandle);
        MfaFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI MfaUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(MfaFilterHandle);
    MfaFilterHandle = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI MfaInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);

    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    if (MfaGlobals.Instance == NULL) {
        MfaGlobals.Instance = FltObjects->Instance;
    }
    return STATUS_SUCCESS;
}

static VOID FLTAPI MfaInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(Reason);
    if (MfaGlobals.Instance == FltObjects->Instance) {
        MfaGlobals.TearingDown = TRUE;
        MfaGlobals.Instance = NULL;
    }
}

/* Describes the next chunk in Data and starts it. Data belongs to Filter Manager and then
 * to MfaReadDone from here on, whatever the status. */
static NTSTATUS MfapIssue(PFLT_CALLBACK_DATA Data, PMFA_READ Read)
{
    PFLT_IO_PARAMETER_BLOCK iopb = Data->Iopb;
    ULONG left = Read->Length - Read->BytesRead;

    iopb->MajorFunction = IRP_MJ_READ;
    iopb->MinorFunction = 0;
    iopb->IrpFlags = IRP_NOCACHE;
    iopb->Parameters.Read.Length = left < MFA_CHUNK_SIZE ? left : MFA_CHUNK_SIZE;
    iopb->Parameters.Read.Key = 0;
    iopb->Parameters.Read.ByteOffset.QuadPart = Read->BytesRead;
    iopb->Parameters.Read.ReadBuffer = Read->Buffer + Read->BytesRead;
    iopb->Parameters.Read.MdlAddress = NULL;
    return FltPerformAsynchronousIo(Data, MfaReadDone, Read);
}

static VOID MfapFinish(PFLT_CALLBACK_DATA Data, PMFA_READ Read, NTSTATUS Status, BOOLEAN Stopped)
{
    FltFreeCallbackData(Data);
    Read->Stopped = Stopped;
    Read->Status = Status;
    Read->Done = TRUE;
}

static VOID FLTAPI MfaReadDone(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context)
{
    PMFA_READ read = (PMFA_READ)Context;
    NTSTATUS status = Data->IoStatus.Status;
    ULONG asked = Data->Iopb->Parameters.Read.Length;
    ULONG_PTR got = Data->IoStatus.Information;

    read->Chunks++;
    if (status == STATUS_END_OF_FILE) {
        MfapFinish(Data, read, STATUS_SUCCESS, FALSE);
        return;
    }
    if (!NT_SUCCESS(status)) {
        MfapFinish(Data, read, status, FALSE);
        return;
    }
    if (got > asked) {
        MfapFinish(Data, read, STATUS_UNSUCCESSFUL, FALSE);
        return;
    }
    read->BytesRead += (ULONG)got;
    if (got < asked || read->BytesRead == read->Length) {
        MfapFinish(Data, read, STATUS_SUCCESS, FALSE);
        return;
    }
    if (MfaGlobals.TearingDown) {
        MfapFinish(Data, read, STATUS_SUCCESS, TRUE);
        return;
    }
#ifdef KF_PLANT_REUSE_AT_DISPATCH
    if (TRUE) {
#else
    if (KeGetCurrentIrql() <= APC_LEVEL) {
#endif
        FltReuseCallbackData(Data);
        (VOID)MfapIssue(Data, read);
        return;
    }
    if (read->Issuing) {
        /* Still inside FltPerformAsynchronousIo in MfaReadFile, at the caller's IRQL. */
        read->ContinueHere = TRUE;
        return;
    }
    MfapFinish(Data, read, STATUS_SUCCESS, TRUE);
}

NTSTATUS MfaReadFile(PMFA_READ Read)
{
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    Read->Chunks = 0;
    Read->BytesRead = 0;
    Read->Stopped = FALSE;
    Read->Issuing = FALSE;
    Read->ContinueHere = FALSE;
    Read->Done = TRUE;
    if (MfaGlobals.Instance == NULL) {
        Read->Status = STATUS_NOT_FOUND;
        return Read->Status;
    }
    if (Read->Length == 0) {
        Read->Status = STATUS_SUCCESS;
        return Read->Status;
    }
    status = FltAllocateCallbackDataEx(MfaGlobals.Instance, Read->File,
                                       Read->Preallocate ? FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY : 0,
                                       &data);
    if (!NT_SUCCESS(status)) {
        Read->Status = status;
        return status;
    }

    Read->Done = FALSE;
    Read->Status = STATUS_PENDING;
    Read->Issuing = TRUE;
    do {
        Read->ContinueHere = FALSE;
        (VOID)MfapIssue(data, Read);
        if (Read->ContinueHere) {
            /* The completion ran at DISPATCH_LEVEL and left the next chunk to us. */
            FltReuseCallbackData(data);
        }
    } while (Read->ContinueHere);
    Read->Issuing = FALSE;
    return Read->Done ? Read->Status : STATUS_PENDING;
}
