/*
 * mf_port.c - an example minifilter that talks to its user-mode service over a Filter Manager
 * communication port, written the way real filters are: DriverEntry registers the filter with
 * an instance context (its cleanup callback frees the volume name the context owns), builds a
 * default security descriptor and creates the port (connect, disconnect and message
 * callbacks), then starts filtering. Each instance counts the files opened on its volume and
 * those with a watched extension; the service sets and reads the watched extensions, queries a
 * volume's counters, asks the driver to notify it (FltSendMessage with a reply and a timeout)
 * and queues scans that a generic work item does later. The protocol is in mf_port.h. Every
 * length the service sends is checked against the buffers Filter Manager hands over, every
 * access to the service's buffers is inside __try / __except, every reference taken is dropped
 * and every path frees what it allocated.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header. Planted-bug
 * variants (one change each, for the tests):
 *   KF_PLANT_MESSAGE_LENGTH_TRUSTED  the header's PayloadLength is copied without checking it
 *                                    against InputBufferLength
 *   KF_PLANT_REPLY_LENGTH_TRUSTED    the extension list is written to the output buffer
 *                                    without checking OutputBufferLength
 *   KF_PLANT_CONTEXT_LEAK            a volume query whose output buffer is too small returns
 *                                    without releasing the instance context it got
 *   KF_PLANT_CLIENT_PORT_OPEN        the disconnect callback does not close the client port
 *   KF_PLANT_WORK_ITEM_LEAK          a scan of a slot with no volume frees its request but not
 *                                    its work item
 */
#include <fltKernel.h>

#include "mf_port.h"

#define MFP_TAG 'tPfM'           /* the extension table and copies of messages */
#define MFP_NAME_TAG 'nPfM'      /* volume names owned by instance contexts */
#define MFP_SCAN_TAG 'sPfM'      /* scan requests */
#define MFP_NOTIFY_TIMEOUT (-10LL * 1000 * 100) /* 100 ms, relative */

/* Per instance: the counters and the volume's name (freed by the cleanup callback). */
typedef struct _MFP_INSTANCE_CONTEXT {
    ULONG Slot;
    volatile LONG Opens;
    volatile LONG Matches;
    volatile LONG Scans;
    UNICODE_STRING VolumeName;
} MFP_INSTANCE_CONTEXT, *PMFP_INSTANCE_CONTEXT;

/* The watched extensions: replaced whole, never changed in place. */
typedef struct _MFP_EXTENSIONS {
    ULONG Count;
    USHORT Chars[MFP_MAX_EXTENSIONS];
    WCHAR Text[MFP_MAX_EXTENSIONS][MFP_MAX_EXTENSION_CHARS];
} MFP_EXTENSIONS;

/* A scan waiting for its worker: holds a reference on the instance. */
typedef struct _MFP_SCAN_REQUEST {
    ULONG Slot;
    PFLT_INSTANCE Instance;
} MFP_SCAN_REQUEST;

typedef struct _MFP_GLOBALS {
    PFLT_PORT ServerPort;
    PFLT_PORT ClientPort;          /* the one connection; NULL when none */
    ULONG ClientFlags;             /* MFP_CONNECT_* of that connection */
    EX_PUSH_LOCK Lock;             /* protects Instances and Extensions */
    BOOLEAN LockReady;
    PFLT_INSTANCE Instances[MFP_MAX_VOLUMES];
    MFP_EXTENSIONS *Extensions;
    volatile LONG Sequence;
} MFP_GLOBALS;

PFLT_FILTER MfpFilterHandle;
static MFP_GLOBALS MfpGlobals;
static MFP_TOTALS MfpTotals;

static NTSTATUS FLTAPI MfpUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI MfpInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static VOID FLTAPI MfpInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);
static VOID FLTAPI MfpContextCleanup(PFLT_CONTEXT Context, FLT_CONTEXT_TYPE ContextType);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfpPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext);

static CONST FLT_CONTEXT_REGISTRATION MfpContexts[] = {
    { FLT_INSTANCE_CONTEXT, 0, MfpContextCleanup, sizeof(MFP_INSTANCE_CONTEXT), MFP_TAG, NULL, NULL, NULL },
    { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

static CONST FLT_OPERATION_REGISTRATION MfpCallbacks[] = {
    { IRP_MJ_CREATE, 0, MfpPreCreate, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION MfpRegistration = {
    sizeof(FLT_REGISTRATION),     /* Size */
    FLT_REGISTRATION_VERSION,     /* Version */
    0,                            /* Flags */
    MfpContexts,                  /* Context */
    MfpCallbacks,                 /* Operation callbacks */
    MfpUnload,                    /* MiniFilterUnload */
    MfpInstanceSetup,             /* InstanceSetup */
    NULL,                         /* InstanceQueryTeardown */
    NULL,                         /* InstanceTeardownStart */
    MfpInstanceTeardownComplete,  /* InstanceTeardownComplete */
    NULL,                         /* GenerateFileName */
    NULL,                         /* NormalizeNameComponent */
    NULL,                         /* NormalizeContextCleanup */
    NULL,                         /* TransactionNotification */
    NULL,                         /* NormalizeNameComponentEx */
    NULL                          /* SectionNotification */
};

/* ---- The service's buffers ------------------------------------------------------------- */

/* The buffers Filter Manager hands the message callback are the service's own memory: it
 * probed them, but the service can change or unmap them at any time, so every access is a
 * guarded copy. */
static NTSTATUS MfpCopyFromService(PVOID Destination, CONST VOID *Source, SIZE_T Length)
{
    NTSTATUS status = STATUS_SUCCESS;

    __try {
        RtlCopyMemory(Destination, Source, Length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

static NTSTATUS MfpCopyToService(PVOID Destination, CONST VOID *Source, SIZE_T Length)
{
    NTSTATUS status = STATUS_SUCCESS;

    __try {
        RtlCopyMemory(Destination, Source, Length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

/* An output buffer the driver writes ULONG fields into must be aligned for them: Filter
 * Manager does not check it. */
static BOOLEAN MfpOutputAligned(PVOID OutputBuffer)
{
    return ((ULONG_PTR)OutputBuffer & (sizeof(ULONG) - 1)) == 0;
}

/* ---- Volumes ------------------------------------------------------------------------------ */

/* The instance in Slot with a reference the caller drops (FltObjectDereference). */
static NTSTATUS MfpReferenceInstance(ULONG Slot, PFLT_INSTANCE *Instance)
{
    NTSTATUS status = STATUS_NOT_FOUND;

    *Instance = NULL;
    if (Slot >= MFP_MAX_VOLUMES) {
        return STATUS_NOT_FOUND;
    }
    FltAcquirePushLockShared(&MfpGlobals.Lock);
    if (MfpGlobals.Instances[Slot] != NULL) {
        status = FltObjectReference(MfpGlobals.Instances[Slot]);
        if (NT_SUCCESS(status)) {
            *Instance = MfpGlobals.Instances[Slot];
        }
    }
    FltReleasePushLock(&MfpGlobals.Lock);
    return status;
}

static NTSTATUS MfpCaptureVolumeName(PFLT_VOLUME Volume, PUNICODE_STRING Name)
{
    ULONG needed = 0;
    NTSTATUS status;

    RtlInitEmptyUnicodeString(Name, NULL, 0);
    status = FltGetVolumeName(Volume, NULL, &needed);
    if (status != STATUS_BUFFER_TOO_SMALL) {
        return NT_SUCCESS(status) ? STATUS_UNSUCCESSFUL : status;
    }
    if (needed == 0 || needed > MAXUSHORT) {
        return STATUS_UNSUCCESSFUL;
    }
    Name->Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, needed, MFP_NAME_TAG);
    if (Name->Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Name->MaximumLength = (USHORT)needed;
    status = FltGetVolumeName(Volume, Name, &needed);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(Name->Buffer, MFP_NAME_TAG);
        RtlInitEmptyUnicodeString(Name, NULL, 0);
    }
    return status;
}

static NTSTATUS FLTAPI MfpInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    PMFP_INSTANCE_CONTEXT context = NULL;
    NTSTATUS status;
    ULONG slot;

    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    PAGED_CODE();

    if (VolumeDeviceType == FILE_DEVICE_NETWORK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    status = FltAllocateContext(FltObjects->Filter, FLT_INSTANCE_CONTEXT, sizeof(MFP_INSTANCE_CONTEXT),
                                NonPagedPoolNx, (PFLT_CONTEXT *)&context);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlZeroMemory(context, sizeof(*context));
    context->Slot = MAXULONG;
    status = MfpCaptureVolumeName(FltObjects->Volume, &context->VolumeName);
    if (!NT_SUCCESS(status)) {
        FltReleaseContext(context); /* the cleanup callback frees what the context owns */
        return status;
    }

    FltAcquirePushLockExclusive(&MfpGlobals.Lock);
    for (slot = 0; slot < MFP_MAX_VOLUMES; slot++) {
        if (MfpGlobals.Instances[slot] == NULL) {
            MfpGlobals.Instances[slot] = FltObjects->Instance;
            context->Slot = slot;
            break;
        }
    }
    FltReleasePushLock(&MfpGlobals.Lock);
    if (context->Slot == MAXULONG) {
        FltReleaseContext(context);
        return STATUS_FLT_DO_NOT_ATTACH;
    }

    status = FltSetInstanceContext(FltObjects->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, context, NULL);
    if (!NT_SUCCESS(status)) {
        FltAcquirePushLockExclusive(&MfpGlobals.Lock);
        MfpGlobals.Instances[context->Slot] = NULL;
        FltReleasePushLock(&MfpGlobals.Lock);
    }
    FltReleaseContext(context);
    return status;
}

static VOID FLTAPI MfpInstanceTeardownComplete(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    ULONG slot;

    UNREFERENCED_PARAMETER(Reason);
    PAGED_CODE();

    FltAcquirePushLockExclusive(&MfpGlobals.Lock);
    for (slot = 0; slot < MFP_MAX_VOLUMES; slot++) {
        if (MfpGlobals.Instances[slot] == FltObjects->Instance) {
            MfpGlobals.Instances[slot] = NULL;
        }
    }
    FltReleasePushLock(&MfpGlobals.Lock);
}

static VOID FLTAPI MfpContextCleanup(PFLT_CONTEXT Context, FLT_CONTEXT_TYPE ContextType)
{
    PMFP_INSTANCE_CONTEXT context = Context;

    if (ContextType == FLT_INSTANCE_CONTEXT && context->VolumeName.Buffer != NULL) {
        ExFreePoolWithTag(context->VolumeName.Buffer, MFP_NAME_TAG);
        RtlInitEmptyUnicodeString(&context->VolumeName, NULL, 0);
    }
}

/* ---- Watched extensions ----------------------------------------------------------------- */

static BOOLEAN MfpIsWatched(CONST MFP_EXTENSIONS *Extensions, PCUNICODE_STRING Extension)
{
    UNICODE_STRING candidate;
    ULONG i;

    for (i = 0; Extensions != NULL && i < Extensions->Count; i++) {
        candidate.Buffer = (PWCH)Extensions->Text[i];
        candidate.Length = candidate.MaximumLength = (USHORT)(Extensions->Chars[i] * sizeof(WCHAR));
        if (RtlEqualUnicodeString(Extension, &candidate, TRUE)) {
            return TRUE;
        }
    }
    return FALSE;
}

VOID MfpFileOpened(PFLT_INSTANCE Instance, PCUNICODE_STRING FileName)
{
    PMFP_INSTANCE_CONTEXT context = NULL;
    UNICODE_STRING extension;
    USHORT chars = FileName->Length / sizeof(WCHAR), i;
    BOOLEAN watched = FALSE;

    if (!NT_SUCCESS(FltGetInstanceContext(Instance, (PFLT_CONTEXT *)&context))) {
        return;
    }
    /* The extension: after the last dot of the final component. */
    for (i = chars; i > 0 && FileName->Buffer[i - 1] != L'.' && FileName->Buffer[i - 1] != L'\\'; i--) {
    }
    if (i > 0 && FileName->Buffer[i - 1] == L'.') {
        extension.Buffer = &FileName->Buffer[i];
        extension.Length = extension.MaximumLength = (USHORT)((chars - i) * sizeof(WCHAR));
        FltAcquirePushLockShared(&MfpGlobals.Lock);
        watched = MfpIsWatched(MfpGlobals.Extensions, &extension);
        FltReleasePushLock(&MfpGlobals.Lock);
    }
    InterlockedIncrement(&context->Opens);
    InterlockedIncrement((volatile LONG *)&MfpTotals.Opens);
    if (watched) {
        InterlockedIncrement(&context->Matches);
        InterlockedIncrement((volatile LONG *)&MfpTotals.Matches);
    }
    FltReleaseContext(context);
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI MfpPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext)
{
    UNREFERENCED_PARAMETER(CompletionContext);

    if (Data->Iopb->TargetFileObject != NULL) {
        MfpFileOpened(FltObjects->Instance, &Data->Iopb->TargetFileObject->FileName);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

/* Parses a SET_EXTENSIONS payload (a copy in system memory) into a new table. */
static NTSTATUS MfpParseExtensions(CONST UCHAR *Payload, ULONG Length, MFP_EXTENSIONS **Table)
{
    CONST WCHAR *chars = (CONST WCHAR *)Payload;
    ULONG count = Length / sizeof(WCHAR), i = 0, start;
    MFP_EXTENSIONS *table;

    *Table = NULL;
    if (Length % sizeof(WCHAR) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    table = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*table), MFP_TAG);
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (;;) {
        if (i >= count) {
            goto invalid; /* no empty string ends the list */
        }
        if (chars[i] == UNICODE_NULL) {
            break;
        }
        if (table->Count == MFP_MAX_EXTENSIONS) {
            goto invalid;
        }
        for (start = i; i < count && chars[i] != UNICODE_NULL; i++) {
            if (chars[i] == L'.' || chars[i] == L'\\' || i - start >= MFP_MAX_EXTENSION_CHARS) {
                goto invalid;
            }
            table->Text[table->Count][i - start] = chars[i];
        }
        if (i >= count) {
            goto invalid; /* not terminated */
        }
        table->Chars[table->Count] = (USHORT)(i - start);
        table->Count++;
        i++;
    }
    if (i + 1 != count) {
        goto invalid; /* bytes after the list */
    }
    *Table = table;
    return STATUS_SUCCESS;

invalid:
    ExFreePoolWithTag(table, MFP_TAG);
    return STATUS_INVALID_PARAMETER;
}

static NTSTATUS MfpSetExtensions(CONST UCHAR *Payload, ULONG Length)
{
    MFP_EXTENSIONS *table, *old;
    NTSTATUS status;

    status = MfpParseExtensions(Payload, Length, &table);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    FltAcquirePushLockExclusive(&MfpGlobals.Lock);
    old = MfpGlobals.Extensions;
    MfpGlobals.Extensions = table;
    FltReleasePushLock(&MfpGlobals.Lock);
    if (old != NULL) {
        ExFreePoolWithTag(old, MFP_TAG);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS MfpGetExtensions(PVOID OutputBuffer, ULONG OutputBufferLength, PULONG Returned)
{
    WCHAR list[MFP_MAX_EXTENSIONS * (MFP_MAX_EXTENSION_CHARS + 1) + 1];
    ULONG used = 0, i;
    NTSTATUS status;

    FltAcquirePushLockShared(&MfpGlobals.Lock);
    for (i = 0; MfpGlobals.Extensions != NULL && i < MfpGlobals.Extensions->Count; i++) {
        RtlCopyMemory(&list[used], MfpGlobals.Extensions->Text[i], MfpGlobals.Extensions->Chars[i] * sizeof(WCHAR));
        used += MfpGlobals.Extensions->Chars[i];
        list[used++] = UNICODE_NULL;
    }
    FltReleasePushLock(&MfpGlobals.Lock);
    list[used++] = UNICODE_NULL;

    if (OutputBuffer == NULL) {
        return STATUS_BUFFER_TOO_SMALL;
    }
#ifndef KF_PLANT_REPLY_LENGTH_TRUSTED
    if (OutputBufferLength < used * sizeof(WCHAR)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
#else
    UNREFERENCED_PARAMETER(OutputBufferLength);
#endif
    if (!MfpOutputAligned(OutputBuffer)) {
        return STATUS_DATATYPE_MISALIGNMENT;
    }
    status = MfpCopyToService(OutputBuffer, list, used * sizeof(WCHAR));
    if (NT_SUCCESS(status)) {
        *Returned = used * sizeof(WCHAR);
    }
    return status;
}

/* ---- Volume queries and scans -------------------------------------------------------------- */

static NTSTATUS MfpQueryVolume(ULONG Slot, PVOID OutputBuffer, ULONG OutputBufferLength, PULONG Returned)
{
    MFP_VOLUME_STATS *stats;
    PMFP_INSTANCE_CONTEXT context = NULL;
    PFLT_INSTANCE instance;
    ULONG needed;
    NTSTATUS status;

    status = MfpReferenceInstance(Slot, &instance);
    if (!NT_SUCCESS(status)) {
        return STATUS_NOT_FOUND;
    }
    status = FltGetInstanceContext(instance, (PFLT_CONTEXT *)&context);
    if (!NT_SUCCESS(status)) {
        FltObjectDereference(instance);
        return STATUS_NOT_FOUND;
    }
    needed = MFP_VOLUME_STATS_FIXED + context->VolumeName.Length;
    if (OutputBuffer == NULL || OutputBufferLength < needed) {
#ifndef KF_PLANT_CONTEXT_LEAK
        FltReleaseContext(context);
#endif
        FltObjectDereference(instance);
        return STATUS_BUFFER_TOO_SMALL;
    }
    /* The reply is built in system memory, then copied out once. */
    stats = ExAllocatePool2(POOL_FLAG_NON_PAGED, needed, MFP_TAG);
    if (stats != NULL) {
        stats->Opens = (ULONG)context->Opens;
        stats->Matches = (ULONG)context->Matches;
        stats->Scans = (ULONG)context->Scans;
        stats->NameLength = context->VolumeName.Length;
        RtlCopyMemory(stats->Name, context->VolumeName.Buffer, context->VolumeName.Length);
    }
    FltReleaseContext(context);
    FltObjectDereference(instance);
    if (stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    status = STATUS_DATATYPE_MISALIGNMENT;
    if (MfpOutputAligned(OutputBuffer)) {
        status = MfpCopyToService(OutputBuffer, stats, needed);
    }
    if (NT_SUCCESS(status)) {
        *Returned = needed;
    }
    ExFreePoolWithTag(stats, MFP_TAG);
    return status;
}

/* Sends the service a notification; with Reply, waits for its reply too (up to the timeout). */
static NTSTATUS MfpNotify(ULONG Kind, ULONG Cookie, ULONG Slot, MFP_NOTIFY_REPLY *Reply, PULONG ReplyLength)
{
    MFP_NOTIFICATION notification;
    LARGE_INTEGER timeout;
    NTSTATUS status;

    notification.Kind = Kind;
    notification.Sequence = (ULONG)InterlockedIncrement(&MfpGlobals.Sequence);
    notification.Cookie = Cookie;
    notification.Slot = Slot;
    timeout.QuadPart = MFP_NOTIFY_TIMEOUT;
    /* The address of the global: FltCloseClientPort in the disconnect callback NULLs it, and
     * FltSendMessage then fails instead of using a closed port. */
    status = FltSendMessage(MfpFilterHandle, &MfpGlobals.ClientPort, &notification, sizeof(notification), Reply,
                            Reply != NULL ? ReplyLength : NULL, &timeout);
    if (status == STATUS_SUCCESS) {
        InterlockedIncrement((volatile LONG *)&MfpTotals.Notifications);
    }
    return status;
}

static NTSTATUS MfpEcho(ULONG Cookie, PVOID OutputBuffer, ULONG OutputBufferLength, PULONG Returned)
{
    MFP_NOTIFY_REPLY reply;
    MFP_NOTIFY_RESULT result;
    ULONG replyLength = sizeof(reply);
    NTSTATUS status;

    RtlZeroMemory(&reply, sizeof(reply));
    RtlZeroMemory(&result, sizeof(result));
    status = MfpNotify(MFP_NOTIFY_ECHO, Cookie, MAXULONG, &reply, &replyLength);
    result.SendStatus = status;
    /* STATUS_TIMEOUT is a success code: only STATUS_SUCCESS means a reply came. */
    if (status == STATUS_SUCCESS) {
        result.ReplyLength = replyLength;
        if (replyLength == sizeof(reply) && reply.Cookie == Cookie) {
            result.Verdict = reply.Verdict;
        }
    }
    if (OutputBuffer == NULL || OutputBufferLength < sizeof(result)) {
        return STATUS_SUCCESS; /* the notification went; the service asked for no result */
    }
    if (!MfpOutputAligned(OutputBuffer)) {
        return STATUS_DATATYPE_MISALIGNMENT;
    }
    status = MfpCopyToService(OutputBuffer, &result, sizeof(result));
    if (NT_SUCCESS(status)) {
        *Returned = sizeof(result);
    }
    return status;
}

static VOID FLTAPI MfpScanWorker(PFLT_GENERIC_WORKITEM WorkItem, PVOID FltObject, PVOID Context)
{
    MFP_SCAN_REQUEST *request = Context;
    PMFP_INSTANCE_CONTEXT context = NULL;

    UNREFERENCED_PARAMETER(FltObject);
    PAGED_CODE();

    if (NT_SUCCESS(FltGetInstanceContext(request->Instance, (PFLT_CONTEXT *)&context))) {
        InterlockedIncrement(&context->Scans);
        FltReleaseContext(context);
    }
    if (FlagOn(MfpGlobals.ClientFlags, MFP_CONNECT_SCAN_NOTIFICATIONS)) {
        (VOID)MfpNotify(MFP_NOTIFY_SCAN_DONE, 0, request->Slot, NULL, NULL);
    }
    FltObjectDereference(request->Instance);
    ExFreePoolWithTag(request, MFP_SCAN_TAG);
    FltFreeGenericWorkItem(WorkItem);
}

static NTSTATUS MfpQueueScan(ULONG Slot)
{
    PFLT_GENERIC_WORKITEM item;
    MFP_SCAN_REQUEST *request;
    NTSTATUS status;

    item = FltAllocateGenericWorkItem();
    request = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*request), MFP_SCAN_TAG);
    if (item == NULL || request == NULL) {
        if (item != NULL) {
            FltFreeGenericWorkItem(item);
        }
        if (request != NULL) {
            ExFreePoolWithTag(request, MFP_SCAN_TAG);
        }
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = MfpReferenceInstance(Slot, &request->Instance);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(request, MFP_SCAN_TAG);
#ifndef KF_PLANT_WORK_ITEM_LEAK
        FltFreeGenericWorkItem(item);
#endif
        return STATUS_NOT_FOUND;
    }
    request->Slot = Slot;
    status = FltQueueGenericWorkItem(item, request->Instance, MfpScanWorker, DelayedWorkQueue, request);
    if (!NT_SUCCESS(status)) {
        FltObjectDereference(request->Instance);
        ExFreePoolWithTag(request, MFP_SCAN_TAG);
        FltFreeGenericWorkItem(item);
    }
    return status;
}

/* ---- The port's callbacks ---------------------------------------------------------------- */

static NTSTATUS FLTAPI MfpConnect(PFLT_PORT ClientPort, PVOID ServerPortCookie, PVOID ConnectionContext,
                                  ULONG SizeOfContext, PVOID *ConnectionPortCookie)
{
    MFP_CONNECT_CONTEXT context;

    UNREFERENCED_PARAMETER(ServerPortCookie);
    PAGED_CODE();

    /* Filter Manager captured the context into system memory: no guard needed. */
    if (ConnectionContext == NULL || SizeOfContext < sizeof(context)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(&context, ConnectionContext, sizeof(context));
    if (context.Version != MFP_PROTOCOL_VERSION) {
        return STATUS_NOT_SUPPORTED; /* another protocol version */
    }
    MfpGlobals.ClientFlags = context.Flags;
    MfpGlobals.ClientPort = ClientPort;
    *ConnectionPortCookie = NULL;
    return STATUS_SUCCESS;
}

static VOID FLTAPI MfpDisconnect(PVOID ConnectionCookie)
{
    UNREFERENCED_PARAMETER(ConnectionCookie);
    PAGED_CODE();

    MfpGlobals.ClientFlags = 0;
#ifndef KF_PLANT_CLIENT_PORT_OPEN
    FltCloseClientPort(MfpFilterHandle, &MfpGlobals.ClientPort);
#endif
}

static NTSTATUS MfpDispatch(ULONG Command, CONST UCHAR *Payload, ULONG PayloadLength, PVOID OutputBuffer,
                            ULONG OutputBufferLength, PULONG Returned)
{
    ULONG value = 0;

    if (Command == MFP_CMD_QUERY_VOLUME || Command == MFP_CMD_NOTIFY || Command == MFP_CMD_QUEUE_SCAN) {
        if (PayloadLength != sizeof(ULONG)) {
            return STATUS_INVALID_PARAMETER;
        }
        RtlCopyMemory(&value, Payload, sizeof(ULONG));
    }
    switch (Command) {
    case MFP_CMD_SET_EXTENSIONS:
        return MfpSetExtensions(Payload, PayloadLength);
    case MFP_CMD_GET_EXTENSIONS:
        if (PayloadLength != 0) {
            return STATUS_INVALID_PARAMETER;
        }
        return MfpGetExtensions(OutputBuffer, OutputBufferLength, Returned);
    case MFP_CMD_QUERY_VOLUME:
        return MfpQueryVolume(value, OutputBuffer, OutputBufferLength, Returned);
    case MFP_CMD_NOTIFY:
        return MfpEcho(value, OutputBuffer, OutputBufferLength, Returned);
    case MFP_CMD_QUEUE_SCAN:
        return MfpQueueScan(value);
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

static NTSTATUS FLTAPI MfpMessage(PVOID PortCookie, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                  ULONG OutputBufferLength, PULONG ReturnOutputBufferLength)
{
    MFP_MESSAGE_HEADER header;
    UCHAR *payload = NULL;
    ULONG returned = 0;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(PortCookie);
    PAGED_CODE();

    *ReturnOutputBufferLength = 0;
    InterlockedIncrement((volatile LONG *)&MfpTotals.Messages);
    if (InputBuffer == NULL || InputBufferLength < sizeof(header)) {
        return STATUS_INVALID_PARAMETER;
    }
    status = MfpCopyFromService(&header, InputBuffer, sizeof(header));
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (header.PayloadLength > MFP_MAX_PAYLOAD) {
        return STATUS_INVALID_PARAMETER;
    }
#ifndef KF_PLANT_MESSAGE_LENGTH_TRUSTED
    if (header.PayloadLength > InputBufferLength - sizeof(header)) {
        return STATUS_INVALID_PARAMETER;
    }
#endif
    /* The payload is copied once into system memory: the service cannot change it while the
     * driver validates and uses it. */
    if (header.PayloadLength != 0) {
        payload = ExAllocatePool2(POOL_FLAG_NON_PAGED, header.PayloadLength, MFP_TAG);
        if (payload == NULL) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        status = MfpCopyFromService(payload, (CONST UCHAR *)InputBuffer + sizeof(header), header.PayloadLength);
    }
    if (NT_SUCCESS(status)) {
        status = MfpDispatch(header.Command, payload, header.PayloadLength, OutputBuffer, OutputBufferLength,
                             &returned);
    }
    if (payload != NULL) {
        ExFreePoolWithTag(payload, MFP_TAG);
    }
    *ReturnOutputBufferLength = returned;
    return status;
}

/* ---- Loading and unloading -------------------------------------------------------------------- */

static NTSTATUS MfpCreatePort(VOID)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(MFP_PORT_NAME);
    OBJECT_ATTRIBUTES attributes;
    PSECURITY_DESCRIPTOR descriptor;
    NTSTATUS status;

    status = FltBuildDefaultSecurityDescriptor(&descriptor, FLT_PORT_ALL_ACCESS);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, descriptor);
    status = FltCreateCommunicationPort(MfpFilterHandle, &MfpGlobals.ServerPort, &attributes, NULL, MfpConnect,
                                        MfpDisconnect, MfpMessage, 1);
    FltFreeSecurityDescriptor(descriptor);
    return status;
}

static NTSTATUS MfpDefaultExtensions(VOID)
{
    static CONST WCHAR defaults[][4] = { L"exe", L"dll" };
    MFP_EXTENSIONS *table;
    ULONG i;

    table = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*table), MFP_TAG);
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (i = 0; i < RTL_NUMBER_OF(defaults); i++) {
        RtlCopyMemory(table->Text[i], defaults[i], 3 * sizeof(WCHAR));
        table->Chars[i] = 3;
    }
    table->Count = RTL_NUMBER_OF(defaults);
    MfpGlobals.Extensions = table;
    return STATUS_SUCCESS;
}

static VOID MfpFreeGlobals(VOID)
{
    if (MfpGlobals.Extensions != NULL) {
        ExFreePoolWithTag(MfpGlobals.Extensions, MFP_TAG);
        MfpGlobals.Extensions = NULL;
    }
    if (MfpGlobals.LockReady) {
        FltDeletePushLock(&MfpGlobals.Lock);
        MfpGlobals.LockReady = FALSE;
    }
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);

    RtlZeroMemory(&MfpGlobals, sizeof(MfpGlobals));
    RtlZeroMemory(&MfpTotals, sizeof(MfpTotals));
    MfpFilterHandle = NULL;
    FltInitializePushLock(&MfpGlobals.Lock);
    MfpGlobals.LockReady = TRUE;

    status = MfpDefaultExtensions();
    if (!NT_SUCCESS(status)) {
        MfpFreeGlobals();
        return status;
    }
    status = FltRegisterFilter(DriverObject, &MfpRegistration, &MfpFilterHandle);
    if (!NT_SUCCESS(status)) {
        MfpFreeGlobals();
        return status;
    }
    status = MfpCreatePort();
    if (NT_SUCCESS(status)) {
        status = FltStartFiltering(MfpFilterHandle);
        if (!NT_SUCCESS(status)) {
            FltCloseCommunicationPort(MfpGlobals.ServerPort);
            MfpGlobals.ServerPort = NULL;
        }
    }
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(MfpFilterHandle);
        MfpFilterHandle = NULL;
        MfpFreeGlobals();
    }
    return status;
}

static NTSTATUS FLTAPI MfpUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    PAGED_CODE();

    /* No new connection from here on; Filter Manager disconnects the service (our disconnect
     * callback closes its port) and runs queued scans while it unregisters. */
    FltCloseCommunicationPort(MfpGlobals.ServerPort);
    MfpGlobals.ServerPort = NULL;
    FltUnregisterFilter(MfpFilterHandle);
    MfpFilterHandle = NULL;
    MfpFreeGlobals();
    return STATUS_SUCCESS;
}

VOID MfpQueryTotals(MFP_TOTALS *Totals)
{
    *Totals = MfpTotals;
}
