/*
 * wrtrack.c - an example minifilter for kfault's out-of-tree example, doing its work in the
 * operation callbacks Filter Manager calls: it keeps a tally of the files user-mode programs
 * open for writing, by kind (documents, programs, other), and of the bytes they write, as the
 * change tracking of a backup agent would.
 *
 *  - pre-create lets kernel-mode opens, directories, the paging file and opens without write
 *    access pass untouched; for the others it takes the normalized name and hands it to
 *    post-create as the completion context;
 *  - post-create counts the open by the name's extension once the file system opened it, and
 *    releases the name;
 *  - pre-write adds the length of every write a program issued (paging writes are the cache
 *    writing back bytes already counted).
 *
 * It has one bug, left in on purpose for the fuzzer to find: when the layers below fail an
 * open for writing, post-create counts the refusal and returns without releasing the name
 * (file name information still held once the filter is unloaded). Its fuzzer has no target
 * code: kfault's generic minifilter fuzzer drives the callbacks registered here.
 *
 * Driver code: it includes only WDK headers and its own.
 */
#include <fltKernel.h>

#include "wrtrack.h"

PFLT_FILTER WtkFilterHandle;
WTK_TALLY WtkTally;

static NTSTATUS FLTAPI WtkUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI WtkInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static NTSTATUS FLTAPI WtkInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);
static FLT_PREOP_CALLBACK_STATUS FLTAPI WtkPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID *CompletionContext);
static FLT_POSTOP_CALLBACK_STATUS FLTAPI WtkPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                       PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags);
static FLT_PREOP_CALLBACK_STATUS FLTAPI WtkPreWrite(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext);

static CONST FLT_OPERATION_REGISTRATION WtkOperations[] = {
    { IRP_MJ_CREATE, 0, WtkPreCreate, WtkPostCreate, NULL },
    { IRP_MJ_WRITE, 0, WtkPreWrite, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION WtkRegistration = {
    sizeof(FLT_REGISTRATION),
    FLT_REGISTRATION_VERSION,
    0,                          /* Flags */
    NULL,                       /* ContextRegistration */
    WtkOperations,
    WtkUnload,
    WtkInstanceSetup,
    WtkInstanceQueryTeardown,
    NULL,                       /* InstanceTeardownStart */
    NULL,                       /* InstanceTeardownComplete */
    NULL, NULL, NULL, NULL, NULL, NULL
};

/* The extensions of each kind, compared without regard to case. */
static CONST UNICODE_STRING WtkDocuments[] = {
    RTL_CONSTANT_STRING(L"txt"), RTL_CONSTANT_STRING(L"docx"), RTL_CONSTANT_STRING(L"xlsx"),
    RTL_CONSTANT_STRING(L"pdf"),
};
static CONST UNICODE_STRING WtkPrograms[] = {
    RTL_CONSTANT_STRING(L"exe"), RTL_CONSTANT_STRING(L"dll"), RTL_CONSTANT_STRING(L"sys"),
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    RtlZeroMemory(&WtkTally, sizeof(WtkTally));
    WtkFilterHandle = NULL;
    status = FltRegisterFilter(DriverObject, &WtkRegistration, &WtkFilterHandle);
    if (!NT_SUCCESS(status)) {
        WtkFilterHandle = NULL;
        return status;
    }
    status = FltStartFiltering(WtkFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(WtkFilterHandle);
        WtkFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI WtkUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(WtkFilterHandle);
    WtkFilterHandle = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI WtkInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    /* Local disks only: network redirectors and raw volumes hold nothing to back up. */
    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM || VolumeFilesystemType == FLT_FSTYPE_RAW) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI WtkInstanceQueryTeardown(PCFLT_RELATED_OBJECTS FltObjects,
                                                FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    return STATUS_SUCCESS; /* an administrator may detach the filter from a volume */
}

static BOOLEAN WtkIsOneOf(PCUNICODE_STRING Extension, CONST UNICODE_STRING *Table, ULONG Count)
{
    ULONG i;

    for (i = 0; i < Count; i++) {
        if (RtlEqualUnicodeString(Extension, &Table[i], TRUE)) {
            return TRUE;
        }
    }
    return FALSE;
}

static WTK_KIND WtkKindOf(PCUNICODE_STRING Extension)
{
    if (WtkIsOneOf(Extension, WtkDocuments, ARRAYSIZE(WtkDocuments))) {
        return WtkDocument;
    }
    if (WtkIsOneOf(Extension, WtkPrograms, ARRAYSIZE(WtkPrograms))) {
        return WtkProgram;
    }
    return WtkOther;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI WtkPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                     PVOID *CompletionContext)
{
    PFLT_PARAMETERS params = &Data->Iopb->Parameters;
    PFLT_FILE_NAME_INFORMATION name = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    if (Data->RequestorMode == KernelMode) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (FlagOn(params->Create.Options, FILE_DIRECTORY_FILE) ||
        FlagOn(Data->Iopb->OperationFlags, SL_OPEN_PAGING_FILE)) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (!FlagOn(params->Create.SecurityContext->DesiredAccess, FILE_WRITE_DATA | FILE_APPEND_DATA)) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltGetFileNameInformation(Data, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT, &name);
    if (!NT_SUCCESS(status)) {
        InterlockedIncrement(&WtkTally.NamesMissed);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltParseFileNameInformation(name);
    if (!NT_SUCCESS(status)) {
        InterlockedIncrement(&WtkTally.NamesMissed);
        FltReleaseFileNameInformation(name);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    *CompletionContext = name; /* post-create releases it */
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI WtkPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                       PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags)
{
    PFLT_FILE_NAME_INFORMATION name = CompletionContext;
    WTK_KIND kind;

    UNREFERENCED_PARAMETER(FltObjects);
    if (FlagOn(Flags, FLTFL_POST_OPERATION_DRAINING)) {
        FltReleaseFileNameInformation(name);
        return FLT_POSTOP_FINISHED_PROCESSING;
    }
    if (!NT_SUCCESS(Data->IoStatus.Status)) {
        /* Nothing was opened: count the refusal. (The bug: the name stays referenced.) */
        InterlockedIncrement(&WtkTally.Refused);
        return FLT_POSTOP_FINISHED_PROCESSING;
    }
    kind = WtkKindOf(&name->Extension);
    InterlockedIncrement(&WtkTally.Opened[kind]);
    FltReleaseFileNameInformation(name);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI WtkPreWrite(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext)
{
    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    if (!FlagOn(Data->Iopb->IrpFlags, IRP_PAGING_IO)) {
        InterlockedExchangeAdd64(&WtkTally.BytesWritten, (LONG64)Data->Iopb->Parameters.Write.Length);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}
