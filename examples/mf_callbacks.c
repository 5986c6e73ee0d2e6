/*
 * mf_callbacks.c - an example minifilter that does its work where real ones do, in the
 * operation callbacks Filter Manager calls: an auditor of user documents.
 *
 *  - pre-create takes the opened name, refuses user-mode write or delete opens under
 *    \Windows\ (completing the create with STATUS_ACCESS_DENIED), and hands documents
 *    (.docx, .xlsx, .pptx, .pdf) to post-create with the name as completion context;
 *  - post-create gives each opened document a stream context counting its opens;
 *  - pre-read hands the read's offset to post-read, which takes the file's name once the
 *    read completed, posting that work when it runs at DISPATCH_LEVEL
 *    (FltDoCompletionProcessingWhenSafe);
 *  - pre-write asks the file system below for the file's size first, with callback data of
 *    its own (FltAllocateCallbackData, FltPerformSynchronousIo);
 *  - pre-set-information holds deletes back (FLT_PREOP_PENDING, in a cancel-safe queue of the
 *    instance's context) for an audit worker (a generic work item) that lets them through;
 *    the instance's teardown lets through whatever is still queued.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must never
 * know it runs in user mode. Planted-bug variants (one each, for the tests of the generic
 * minifilter fuzzer):
 *   KF_PLANT_COMPLETE_PENDING      the refused create is completed with STATUS_PENDING
 *   KF_PLANT_PENDED_NEVER_COMPLETED the worker forgets deletes given as FileDispositionInformationEx
 *   KF_PLANT_NAME_LEAK_DOCX        pre-create keeps the name of a .docx file (never released)
 *   KF_PLANT_NAME_AT_DISPATCH      post-read takes the name at any IRQL, DISPATCH_LEVEL included
 *   KF_PLANT_CONTEXT_FREED_TWICE   post-read frees the read's completion context twice when it failed
 *   KF_PLANT_CBD_LEAK_ON_LOWER_FAILURE pre-write keeps its callback data when the query below fails
 */
#include <fltKernel.h>

#include "mf_callbacks.h"

#define MFC_TAG 0x6243664Du /* 'MfCb' */

/* A document's stream: how often it was opened. */
typedef struct _MFC_STREAM_CONTEXT {
    LONG Opens;
} MFC_STREAM_CONTEXT, *PMFC_STREAM_CONTEXT;

/* An instance: the deletes held back for the audit worker. */
typedef struct _MFC_INSTANCE_CONTEXT {
    FLT_CALLBACK_DATA_QUEUE Queue;
    KSPIN_LOCK QueueLock;
    LIST_ENTRY Held;
    BOOLEAN QueueReady;
} MFC_INSTANCE_CONTEXT, *PMFC_INSTANCE_CONTEXT;

/* From pre-create to post-create: the document's name. */
typedef struct _MFC_CREATE_CONTEXT {
    PFLT_FILE_NAME_INFORMATION Name;
} MFC_CREATE_CONTEXT, *PMFC_CREATE_CONTEXT;

/* From pre-read to post-read: what was asked for. */
typedef struct _MFC_READ_CONTEXT {
    LARGE_INTEGER Offset;
    ULONG Length;
} MFC_READ_CONTEXT, *PMFC_READ_CONTEXT;

PFLT_FILTER MfcFilterHandle;
MFC_STATISTICS MfcStatistics;

static NTSTATUS FLTAPI MfcUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI MfcInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static NTSTATUS FLTAPI MfcInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);
static VOID FLTAPI MfcInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID *CompletionContext);
static FLT_POSTOP_CALLBACK_STATUS FLTAPI MfcPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                       PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreRead(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                   PVOID *CompletionContext);
static FLT_POSTOP_CALLBACK_STATUS FLTAPI MfcPostRead(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreWrite(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreSetInformation(PFLT_CALLBACK_DATA Data,
                                                             PCFLT_RELATED_OBJECTS FltObjects,
                                                             PVOID *CompletionContext);

static CONST FLT_CONTEXT_REGISTRATION MfcContexts[] = {
    { FLT_INSTANCE_CONTEXT, 0, NULL, sizeof(MFC_INSTANCE_CONTEXT), MFC_TAG, NULL, NULL, NULL },
    { FLT_STREAM_CONTEXT, 0, NULL, sizeof(MFC_STREAM_CONTEXT), MFC_TAG, NULL, NULL, NULL },
    { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static CONST FLT_OPERATION_REGISTRATION MfcCallbacks[] = {
    { IRP_MJ_CREATE, 0, MfcPreCreate, MfcPostCreate, NULL },
    { IRP_MJ_READ, 0, MfcPreRead, MfcPostRead, NULL },
    { IRP_MJ_WRITE, FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO, MfcPreWrite, NULL, NULL },
    { IRP_MJ_SET_INFORMATION, 0, MfcPreSetInformation, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION MfcRegistration = {
    sizeof(FLT_REGISTRATION),     /* Size */
    FLT_REGISTRATION_VERSION,     /* Version */
    0,                            /* Flags */
    MfcContexts,                  /* Context */
    MfcCallbacks,                 /* Operation callbacks */
    MfcUnload,                    /* MiniFilterUnload */
    MfcInstanceSetup,             /* InstanceSetup */
    MfcInstanceQueryTeardown,     /* InstanceQueryTeardown */
    MfcInstanceTeardownStart,     /* InstanceTeardownStart */
    NULL,                         /* InstanceTeardownComplete */
    NULL,                         /* GenerateFileName */
    NULL,                         /* NormalizeNameComponent */
    NULL,                         /* NormalizeContextCleanup */
    NULL,                         /* TransactionNotification */
    NULL,                         /* NormalizeNameComponentEx */
    NULL                          /* SectionNotification */
};

/* ---- Loading and unloading ------------------------------------------------------------------- */

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RtlZeroMemory(&MfcStatistics, sizeof(MfcStatistics));
    MfcFilterHandle = NULL;

    status = FltRegisterFilter(DriverObject, &MfcRegistration, &MfcFilterHandle);
    if (!NT_SUCCESS(status)) {
        MfcFilterHandle = NULL;
        return status;
    }
    status = FltStartFiltering(MfcFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(MfcFilterHandle);
        MfcFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI MfcUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(MfcFilterHandle);
    MfcFilterHandle = NULL;
    return STATUS_SUCCESS;
}

/* ---- The queue of held deletes ------------------------------------------------------------------ */

static PMFC_INSTANCE_CONTEXT MfcQueueOwner(PFLT_CALLBACK_DATA_QUEUE Queue)
{
    return CONTAINING_RECORD(Queue, MFC_INSTANCE_CONTEXT, Queue);
}

static NTSTATUS FLTAPI MfcQueueInsert(PFLT_CALLBACK_DATA_QUEUE Queue, PFLT_CALLBACK_DATA Data, PVOID InsertContext)
{
    UNREFERENCED_PARAMETER(InsertContext);
    InsertTailList(&MfcQueueOwner(Queue)->Held, &Data->QueueLinks);
    return STATUS_SUCCESS;
}

static VOID FLTAPI MfcQueueRemove(PFLT_CALLBACK_DATA_QUEUE Queue, PFLT_CALLBACK_DATA Data)
{
    UNREFERENCED_PARAMETER(Queue);
    RemoveEntryList(&Data->QueueLinks);
}

static PFLT_CALLBACK_DATA FLTAPI MfcQueuePeek(PFLT_CALLBACK_DATA_QUEUE Queue, PFLT_CALLBACK_DATA Data, PVOID PeekContext)
{
    PMFC_INSTANCE_CONTEXT owner = MfcQueueOwner(Queue);
    PLIST_ENTRY next;

    UNREFERENCED_PARAMETER(PeekContext);
    next = Data == NULL ? owner->Held.Flink : Data->QueueLinks.Flink;
    if (next == &owner->Held) {
        return NULL;
    }
    return CONTAINING_RECORD(next, FLT_CALLBACK_DATA, QueueLinks);
}

static VOID FLTAPI MfcQueueAcquire(PFLT_CALLBACK_DATA_QUEUE Queue, PKIRQL Irql)
{
    KeAcquireSpinLock(&MfcQueueOwner(Queue)->QueueLock, Irql);
}

static VOID FLTAPI MfcQueueRelease(PFLT_CALLBACK_DATA_QUEUE Queue, KIRQL Irql)
{
    KeReleaseSpinLock(&MfcQueueOwner(Queue)->QueueLock, Irql);
}

static VOID FLTAPI MfcQueueCanceled(PFLT_CALLBACK_DATA_QUEUE Queue, PFLT_CALLBACK_DATA Data)
{
    UNREFERENCED_PARAMETER(Queue);
    Data->IoStatus.Status = STATUS_CANCELLED;
    Data->IoStatus.Information = 0;
    FltCompletePendedPreOperation(Data, FLT_PREOP_COMPLETE, NULL);
}

/* Is this held operation one the auditor lets through? Every delete is. */
static BOOLEAN MfcAuditDelete(PFLT_CALLBACK_DATA Data)
{
#ifdef KF_PLANT_PENDED_NEVER_COMPLETED
    if (Data->Iopb->Parameters.SetFileInformation.FileInformationClass == FileDispositionInformationEx) {
        return FALSE;
    }
#else
    UNREFERENCED_PARAMETER(Data);
#endif
    return TRUE;
}

/* The audit worker: lets every held delete through, then lets go of the instance's context. */
static VOID FLTAPI MfcAuditWorker(PFLT_GENERIC_WORKITEM WorkItem, PVOID FltObject, PVOID Context)
{
    PMFC_INSTANCE_CONTEXT instance = Context;
    PFLT_CALLBACK_DATA data;

    UNREFERENCED_PARAMETER(FltObject);
    while ((data = FltCbdqRemoveNextIo(&instance->Queue, NULL)) != NULL) {
        if (!MfcAuditDelete(data)) {
            continue;
        }
        InterlockedIncrement(&MfcStatistics.DeletesAudited);
        FltCompletePendedPreOperation(data, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    }
    FltReleaseContext(instance);
    FltFreeGenericWorkItem(WorkItem);
}

/* ---- Instances --------------------------------------------------------------------------------- */

static NTSTATUS FLTAPI MfcInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    PMFC_INSTANCE_CONTEXT instance = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    status = FltAllocateContext(FltObjects->Filter, FLT_INSTANCE_CONTEXT, sizeof(MFC_INSTANCE_CONTEXT),
                                NonPagedPoolNx, (PFLT_CONTEXT *)&instance);
    if (!NT_SUCCESS(status)) {
        return STATUS_SUCCESS; /* attached, without holding deletes back */
    }
    RtlZeroMemory(instance, sizeof(*instance));
    KeInitializeSpinLock(&instance->QueueLock);
    InitializeListHead(&instance->Held);
    status = FltCbdqInitialize(FltObjects->Instance, &instance->Queue, MfcQueueInsert, MfcQueueRemove, MfcQueuePeek,
                               MfcQueueAcquire, MfcQueueRelease, MfcQueueCanceled);
    instance->QueueReady = NT_SUCCESS(status);
    if (instance->QueueReady) {
        status = FltSetInstanceContext(FltObjects->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, instance, NULL);
        if (!NT_SUCCESS(status)) {
            FltCbdqDisable(&instance->Queue);
        }
    }
    FltReleaseContext(instance);
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI MfcInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    return STATUS_SUCCESS;
}

static VOID FLTAPI MfcInstanceTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    PMFC_INSTANCE_CONTEXT instance;
    PFLT_CALLBACK_DATA data;

    UNREFERENCED_PARAMETER(Reason);
    if (!NT_SUCCESS(FltGetInstanceContext(FltObjects->Instance, (PFLT_CONTEXT *)&instance))) {
        return;
    }
    /* No new delete is held back; those still held go through now. */
    FltCbdqDisable(&instance->Queue);
    while ((data = FltCbdqRemoveNextIo(&instance->Queue, NULL)) != NULL) {
        FltCompletePendedPreOperation(data, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    }
    FltReleaseContext(instance);
}

/* ---- Names ---------------------------------------------------------------------------------- */

/* Index of the extension in the document list (0: docx), or -1. */
static int MfcDocumentKind(PCUNICODE_STRING Extension)
{
    static CONST UNICODE_STRING documents[] = {
        RTL_CONSTANT_STRING(L"docx"), RTL_CONSTANT_STRING(L"xlsx"), RTL_CONSTANT_STRING(L"pptx"),
        RTL_CONSTANT_STRING(L"pdf"),
    };
    for (int i = 0; i < (int)(sizeof(documents) / sizeof(documents[0])); i++) {
        if (RtlEqualUnicodeString(Extension, &documents[i], TRUE)) {
            return i;
        }
    }
    return -1;
}

static BOOLEAN MfcIsProtected(PFLT_FILE_NAME_INFORMATION Name)
{
    static CONST UNICODE_STRING windows = RTL_CONSTANT_STRING(L"\\Windows\\");
    return RtlPrefixUnicodeString(&windows, &Name->ParentDir, TRUE);
}

/* ---- Create ----------------------------------------------------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID *CompletionContext)
{
    PFLT_FILE_NAME_INFORMATION name;
    PMFC_CREATE_CONTEXT context;
    ACCESS_MASK access;
    NTSTATUS status;
    int kind;

    UNREFERENCED_PARAMETER(FltObjects);
    if (FlagOn(Data->Iopb->OperationFlags, SL_OPEN_PAGING_FILE)) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltGetFileNameInformation(Data, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT, &name);
    if (!NT_SUCCESS(status)) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltParseFileNameInformation(name);
    if (!NT_SUCCESS(status)) {
        FltReleaseFileNameInformation(name);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }

    /* Nothing under \Windows\ is opened by an application for writing or deleting. */
    access = Data->Iopb->Parameters.Create.SecurityContext->DesiredAccess;
    if (Data->RequestorMode == UserMode && MfcIsProtected(name) &&
        FlagOn(access, FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE)) {
        FltReleaseFileNameInformation(name);
        InterlockedIncrement(&MfcStatistics.OpensDenied);
#ifdef KF_PLANT_COMPLETE_PENDING
        Data->IoStatus.Status = STATUS_PENDING;
#else
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
#endif
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }

    kind = MfcDocumentKind(&name->Extension);
#ifdef KF_PLANT_NAME_LEAK_DOCX
    if (kind == 0) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
#endif
    if (kind < 0) {
        FltReleaseFileNameInformation(name);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    context = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*context), MFC_TAG);
    if (context == NULL) {
        FltReleaseFileNameInformation(name);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    context->Name = name; /* post-create releases it */
    *CompletionContext = context;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI MfcPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                       PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags)
{
    PMFC_CREATE_CONTEXT context = CompletionContext;
    PMFC_STREAM_CONTEXT stream = NULL, existing = NULL;
    NTSTATUS status;

    if (!FlagOn(Flags, FLTFL_POST_OPERATION_DRAINING) && NT_SUCCESS(Data->IoStatus.Status) &&
        Data->IoStatus.Status != STATUS_REPARSE) {
        InterlockedIncrement(&MfcStatistics.DocumentsOpened);
        status = FltAllocateContext(FltObjects->Filter, FLT_STREAM_CONTEXT, sizeof(MFC_STREAM_CONTEXT),
                                    NonPagedPoolNx, (PFLT_CONTEXT *)&stream);
        if (NT_SUCCESS(status)) {
            stream->Opens = 1;
            status = FltSetStreamContext(FltObjects->Instance, FltObjects->FileObject, FLT_SET_CONTEXT_KEEP_IF_EXISTS,
                                         stream, (PFLT_CONTEXT *)&existing);
            if (status == STATUS_FLT_CONTEXT_ALREADY_DEFINED && existing != NULL) {
                InterlockedIncrement(&existing->Opens);
                FltReleaseContext(existing);
            }
            FltReleaseContext(stream);
        }
    }
    FltReleaseFileNameInformation(context->Name);
    ExFreePoolWithTag(context, MFC_TAG);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

/* ---- Read ---------------------------------------------------------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreRead(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                   PVOID *CompletionContext)
{
    PMFC_READ_CONTEXT context;

    UNREFERENCED_PARAMETER(FltObjects);
    context = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*context), MFC_TAG);
    if (context == NULL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    context->Offset = Data->Iopb->Parameters.Read.ByteOffset;
    context->Length = Data->Iopb->Parameters.Read.Length;
    *CompletionContext = context;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

/* Post-read's work at IRQL <= APC_LEVEL: the name of the file read; frees the context. */
static FLT_POSTOP_CALLBACK_STATUS FLTAPI MfcPostReadWhenSafe(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                             PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags)
{
    PFLT_FILE_NAME_INFORMATION name;

    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    if (NT_SUCCESS(FltGetFileNameInformation(Data, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &name))) {
        InterlockedIncrement(&MfcStatistics.ReadsLogged);
        FltReleaseFileNameInformation(name);
    }
    ExFreePoolWithTag(CompletionContext, MFC_TAG);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI MfcPostRead(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags)
{
    PMFC_READ_CONTEXT context = CompletionContext;
#ifndef KF_PLANT_NAME_AT_DISPATCH
    FLT_POSTOP_CALLBACK_STATUS result = FLT_POSTOP_FINISHED_PROCESSING;
#endif

    if (FlagOn(Flags, FLTFL_POST_OPERATION_DRAINING) || !NT_SUCCESS(Data->IoStatus.Status) ||
        Data->IoStatus.Information == 0) {
#ifdef KF_PLANT_CONTEXT_FREED_TWICE
        if (!NT_SUCCESS(Data->IoStatus.Status)) {
            ExFreePoolWithTag(context, MFC_TAG);
        }
#endif
        goto done;
    }
#ifdef KF_PLANT_NAME_AT_DISPATCH
    return MfcPostReadWhenSafe(Data, FltObjects, context, Flags);
#else
    if (KeGetCurrentIrql() <= APC_LEVEL) {
        return MfcPostReadWhenSafe(Data, FltObjects, context, Flags);
    }
    /* At DISPATCH_LEVEL the name waits for a worker; paging I/O cannot be posted. */
    if (FLT_IS_IRP_OPERATION(Data) && !FlagOn(Data->Iopb->IrpFlags, IRP_PAGING_IO) &&
        FltDoCompletionProcessingWhenSafe(Data, FltObjects, context, Flags, MfcPostReadWhenSafe, &result)) {
        return result;
    }
#endif
done:
    ExFreePoolWithTag(context, MFC_TAG);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

/* ---- Write ----------------------------------------------------------------------------------------- */

/* Asks the file system below for the file's size, with callback data of the filter's own. */
static NTSTATUS MfcQueryEndOfFile(PCFLT_RELATED_OBJECTS FltObjects, PLARGE_INTEGER EndOfFile)
{
    FILE_STANDARD_INFORMATION information;
    PFLT_CALLBACK_DATA query;
    NTSTATUS status;

    status = FltAllocateCallbackData(FltObjects->Instance, FltObjects->FileObject, &query);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlZeroMemory(&information, sizeof(information));
    query->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
    query->Iopb->IrpFlags = IRP_SYNCHRONOUS_API;
    query->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileStandardInformation;
    query->Iopb->Parameters.QueryFileInformation.Length = sizeof(information);
    query->Iopb->Parameters.QueryFileInformation.InfoBuffer = &information;
    FltPerformSynchronousIo(query);
    status = query->IoStatus.Status;
    if (!NT_SUCCESS(status)) {
#ifndef KF_PLANT_CBD_LEAK_ON_LOWER_FAILURE
        FltFreeCallbackData(query);
#endif
        return status;
    }
    *EndOfFile = query->IoStatus.Information >= sizeof(information) ? information.EndOfFile : (LARGE_INTEGER){0};
    FltFreeCallbackData(query);
    return STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreWrite(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext)
{
    LARGE_INTEGER end;

    UNREFERENCED_PARAMETER(CompletionContext);
    /* The query below is synchronous I/O: PASSIVE_LEVEL, an IRP, and never for paging I/O (the
     * registration skips it). */
    if (!FLT_IS_IRP_OPERATION(Data) || KeGetCurrentIrql() != PASSIVE_LEVEL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (NT_SUCCESS(MfcQueryEndOfFile(FltObjects, &end))) {
        InterlockedIncrement(&MfcStatistics.WritesChecked);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

/* ---- Set information: deletes wait for the auditor ------------------------------------------------ */

static BOOLEAN MfcIsDelete(PFLT_CALLBACK_DATA Data)
{
    PVOID buffer = Data->Iopb->Parameters.SetFileInformation.InfoBuffer;
    ULONG length = Data->Iopb->Parameters.SetFileInformation.Length;

    switch (Data->Iopb->Parameters.SetFileInformation.FileInformationClass) {
    case FileDispositionInformation:
        return length >= sizeof(FILE_DISPOSITION_INFORMATION) &&
               ((PFILE_DISPOSITION_INFORMATION)buffer)->DeleteFile;
    case FileDispositionInformationEx:
        return length >= sizeof(FILE_DISPOSITION_INFORMATION_EX) &&
               FlagOn(((PFILE_DISPOSITION_INFORMATION_EX)buffer)->Flags, FILE_DISPOSITION_DELETE);
    default:
        return FALSE;
    }
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreSetInformation(PFLT_CALLBACK_DATA Data,
                                                             PCFLT_RELATED_OBJECTS FltObjects,
                                                             PVOID *CompletionContext)
{
    PMFC_INSTANCE_CONTEXT instance;
    PFLT_GENERIC_WORKITEM worker;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(CompletionContext);
    if (!FLT_IS_IRP_OPERATION(Data) || !MfcIsDelete(Data)) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (!NT_SUCCESS(FltGetInstanceContext(FltObjects->Instance, (PFLT_CONTEXT *)&instance))) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    /* The worker first: a delete is held back only when someone will let it through. */
    worker = FltAllocateGenericWorkItem();
    if (worker == NULL) {
        FltReleaseContext(instance);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltCbdqInsertIo(&instance->Queue, Data, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        FltFreeGenericWorkItem(worker);
        FltReleaseContext(instance);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    /* The worker keeps the instance's context (this reference) until it is done. */
    status = FltQueueGenericWorkItem(worker, FltObjects->Filter, MfcAuditWorker, DelayedWorkQueue, instance);
    if (!NT_SUCCESS(status)) {
        /* The queue is drained by the teardown that made this fail, or by the next worker. */
        FltFreeGenericWorkItem(worker);
        FltReleaseContext(instance);
    }
    return FLT_PREOP_PENDING;
}
