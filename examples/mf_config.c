/*
 * mf_config.c - an example minifilter configured from the registry, written the way real
 * filters are: DriverEntry reads its parameters from the service key's Parameters subkey
 * (a REG_MULTI_SZ list of file extensions, a REG_DWORD bound and flags, a REG_SZ log prefix),
 * builds a table of extensions in pool, protects it with an ERESOURCE, counts lookups under
 * a spin lock, signals an event when the configuration is ready, and cleans up with
 * __try / __finally on every failure. MfcIsWatched answers whether a file name's extension
 * is one of those configured. Every status is checked; every path frees what it allocated.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header. Planted-bug
 * variants (one change each, for the tests):
 *   KF_PLANT_LEAK_ON_ERROR      an invalid extension fails the load without freeing the table
 *   KF_PLANT_LOCK_HELD          a name without an extension returns with the resource held
 *   KF_PLANT_PAGED_AT_DISPATCH  a match is logged by pageable code inside the spin lock
 *   KF_PLANT_REGISTRY_OVERFLOW  a LogPrefix longer than the buffer is copied whole
 *                               (STATUS_BUFFER_OVERFLOW taken for success)
 *   KF_PLANT_TAG_MISMATCH       the unload frees the table with another tag than it was
 *                               allocated with
 */
#include <fltKernel.h>
#include <ntintsafe.h>
#include <ntstrsafe.h>

#include "mf_config.h"

#define MFC_TAG 'gfCM'       /* the table and the extension strings */
#define MFC_TEMP_TAG 'pTCM'  /* registry buffers while loading */

typedef struct _MFC_GLOBALS {
    ERESOURCE TableLock;          /* protects Extensions and ExtensionCount */
    BOOLEAN TableLockReady;
    UNICODE_STRING *Extensions;   /* ExtensionCount strings, one pool block with their characters */
    ULONG ExtensionCount;
    ULONG Flags;
    WCHAR Prefix[MFC_PREFIX_CHARS];
    KSPIN_LOCK StatsLock;
    MFC_STATS Stats;
    KEVENT ConfigReady;           /* notification: set once the table is built */
} MFC_GLOBALS;

PFLT_FILTER MfcFilterHandle;
static MFC_GLOBALS MfcGlobals;

static NTSTATUS FLTAPI MfcUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext);

static CONST FLT_OPERATION_REGISTRATION MfcCallbacks[] = {
    { IRP_MJ_CREATE, 0, MfcPreCreate, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION MfcRegistration = {
    sizeof(FLT_REGISTRATION),     /* Size */
    FLT_REGISTRATION_VERSION,     /* Version */
    0,                            /* Flags */
    NULL,                         /* Context */
    MfcCallbacks,                 /* Operation callbacks */
    MfcUnload,                    /* MiniFilterUnload */
    NULL,                         /* InstanceSetup */
    NULL,                         /* InstanceQueryTeardown */
    NULL,                         /* InstanceTeardownStart */
    NULL,                         /* InstanceTeardownComplete */
    NULL,                         /* GenerateFileName */
    NULL,                         /* NormalizeNameComponent */
    NULL,                         /* NormalizeContextCleanup */
    NULL,                         /* TransactionNotification */
    NULL,                         /* NormalizeNameComponentEx */
    NULL                          /* SectionNotification */
};

/* ---- Reading the configuration ------------------------------------------------------- */

/* Opens <RegistryPath>\Parameters for reading. */
static NTSTATUS MfcOpenParameters(PUNICODE_STRING RegistryPath, HANDLE *Key)
{
    static CONST WCHAR Suffix[] = L"\\Parameters";
    UNICODE_STRING path;
    OBJECT_ATTRIBUTES attributes;
    NTSTATUS status;
    ULONG bytes;

    PAGED_CODE();

    status = RtlULongAdd(RegistryPath->Length, sizeof(Suffix), &bytes);
    if (!NT_SUCCESS(status) || bytes > UNICODE_STRING_MAX_BYTES) {
        return STATUS_INVALID_PARAMETER;
    }
    path.Buffer = ExAllocatePoolZero(PagedPool, bytes, MFC_TEMP_TAG);
    if (path.Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    path.Length = 0;
    path.MaximumLength = (USHORT)bytes;
    RtlCopyUnicodeString(&path, RegistryPath);
    status = RtlAppendUnicodeToString(&path, Suffix);
    if (NT_SUCCESS(status)) {
        InitializeObjectAttributes(&attributes, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
        status = ZwOpenKey(Key, KEY_READ, &attributes);
    }
    ExFreePoolWithTag(path.Buffer, MFC_TEMP_TAG);
    return status;
}

/* Reads a REG_DWORD value; a missing value or one of another shape leaves *Value alone. */
static VOID MfcReadDword(HANDLE Key, PCWSTR Name, ULONG *Value)
{
    UCHAR buffer[FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(ULONG)];
    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
    UNICODE_STRING name;
    ULONG length;
    NTSTATUS status;

    PAGED_CODE();

    RtlInitUnicodeString(&name, Name);
    status = ZwQueryValueKey(Key, &name, KeyValuePartialInformation, info, sizeof(buffer), &length);
    if (NT_SUCCESS(status) && info->Type == REG_DWORD && info->DataLength == sizeof(ULONG)) {
        RtlCopyMemory(Value, info->Data, sizeof(ULONG));
    }
}

/* Reads LogPrefix into the globals; anything but a REG_SZ that fits keeps the default. */
static VOID MfcReadPrefix(HANDLE Key)
{
    UCHAR buffer[FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + sizeof(MfcGlobals.Prefix)];
    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
    UNICODE_STRING name;
    ULONG length;
    NTSTATUS status;

    PAGED_CODE();

    RtlInitUnicodeString(&name, MFC_VALUE_LOG_PREFIX);
    status = ZwQueryValueKey(Key, &name, KeyValuePartialInformation, info, sizeof(buffer), &length);
#ifdef KF_PLANT_REGISTRY_OVERFLOW
    if ((NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) && info->Type == REG_SZ) {
        RtlCopyMemory(MfcGlobals.Prefix, info->Data, info->DataLength);
        MfcGlobals.Prefix[MFC_PREFIX_CHARS - 1] = UNICODE_NULL;
    }
#else
    if (NT_SUCCESS(status) && info->Type == REG_SZ && info->DataLength <= sizeof(MfcGlobals.Prefix)) {
        RtlZeroMemory(MfcGlobals.Prefix, sizeof(MfcGlobals.Prefix));
        RtlCopyMemory(MfcGlobals.Prefix, info->Data, info->DataLength);
        MfcGlobals.Prefix[MFC_PREFIX_CHARS - 1] = UNICODE_NULL;
    }
#endif
}

/* Reads the whole of a value of any size into pool (freed by the caller with MFC_TEMP_TAG). */
static NTSTATUS MfcReadValue(HANDLE Key, PCWSTR Name, PKEY_VALUE_PARTIAL_INFORMATION *Info)
{
    UNICODE_STRING name;
    ULONG needed = 0;
    NTSTATUS status;

    PAGED_CODE();

    *Info = NULL;
    RtlInitUnicodeString(&name, Name);
    status = ZwQueryValueKey(Key, &name, KeyValuePartialInformation, NULL, 0, &needed);
    if (status != STATUS_BUFFER_TOO_SMALL && status != STATUS_BUFFER_OVERFLOW) {
        return NT_SUCCESS(status) ? STATUS_UNSUCCESSFUL : status;
    }
    *Info = ExAllocatePoolZero(PagedPool, needed, MFC_TEMP_TAG);
    if (*Info == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = ZwQueryValueKey(Key, &name, KeyValuePartialInformation, *Info, needed, &needed);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(*Info, MFC_TEMP_TAG);
        *Info = NULL;
    }
    return status;
}

/* Builds the extension table from a REG_MULTI_SZ: one block holding the UNICODE_STRINGs
 * and their characters. An extension that is longer than MFC_MAX_EXTENSION_CHARS or holds
 * a dot or a backslash makes the whole configuration invalid. */
static NTSTATUS MfcBuildTable(PKEY_VALUE_PARTIAL_INFORMATION Info, ULONG MaxEntries)
{
    PCWCH chars = (PCWCH)Info->Data;
    ULONG count = Info->DataLength / sizeof(WCHAR);
    ULONG entries = 0, start, i;
    UNICODE_STRING *table;
    PWCH copy;

    PAGED_CODE();

    if (Info->Type != REG_MULTI_SZ) {
        return STATUS_INVALID_PARAMETER;
    }
    for (i = 0; i < count && chars[i] != UNICODE_NULL && entries < MaxEntries; entries++) {
        while (i < count && chars[i] != UNICODE_NULL) {
            i++;
        }
        i++;
    }
    if (entries == 0) {
        return STATUS_INVALID_PARAMETER;
    }
    table = ExAllocatePoolZero(NonPagedPoolNx, entries * sizeof(UNICODE_STRING) + count * sizeof(WCHAR), MFC_TAG);
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    copy = (PWCH)(table + entries);
    RtlCopyMemory(copy, chars, count * sizeof(WCHAR));
    for (i = 0, entries = 0; i < count && copy[i] != UNICODE_NULL && entries < MaxEntries; entries++) {
        start = i;
        while (i < count && copy[i] != UNICODE_NULL) {
            if (copy[i] == L'.' || copy[i] == L'\\' || i - start >= MFC_MAX_EXTENSION_CHARS) {
#ifndef KF_PLANT_LEAK_ON_ERROR
                ExFreePoolWithTag(table, MFC_TAG);
#endif
                return STATUS_INVALID_PARAMETER;
            }
            i++;
        }
        table[entries].Buffer = &copy[start];
        table[entries].Length = (USHORT)((i - start) * sizeof(WCHAR));
        table[entries].MaximumLength = table[entries].Length;
        i++;
    }
    MfcGlobals.Extensions = table;
    MfcGlobals.ExtensionCount = entries;
    return STATUS_SUCCESS;
}

static VOID MfcFreeTable(VOID)
{
    if (MfcGlobals.Extensions != NULL) {
#ifdef KF_PLANT_TAG_MISMATCH
        ExFreePoolWithTag(MfcGlobals.Extensions, MFC_TEMP_TAG);
#else
        ExFreePoolWithTag(MfcGlobals.Extensions, MFC_TAG);
#endif
        MfcGlobals.Extensions = NULL;
        MfcGlobals.ExtensionCount = 0;
    }
}

static NTSTATUS MfcLoadConfiguration(PUNICODE_STRING RegistryPath)
{
    PKEY_VALUE_PARTIAL_INFORMATION extensions = NULL;
    HANDLE key = NULL;
    ULONG maxEntries = 8;
    NTSTATUS status;

    PAGED_CODE();

    status = MfcOpenParameters(RegistryPath, &key);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        MfcReadDword(key, MFC_VALUE_MAX_ENTRIES, &maxEntries);
        MfcReadDword(key, MFC_VALUE_FLAGS, &MfcGlobals.Flags);
        if (maxEntries == 0 || maxEntries > 64) {
            status = STATUS_INVALID_PARAMETER;
            __leave;
        }
        MfcReadPrefix(key);
        status = MfcReadValue(key, MFC_VALUE_EXTENSIONS, &extensions);
        if (!NT_SUCCESS(status)) {
            __leave;
        }
        status = MfcBuildTable(extensions, maxEntries);
    } __finally {
        if (extensions != NULL) {
            ExFreePoolWithTag(extensions, MFC_TEMP_TAG);
        }
        ZwClose(key);
    }
    return status;
}

/* ---- Loading and unloading ------------------------------------------------------------ */

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    RtlZeroMemory(&MfcGlobals, sizeof(MfcGlobals));
    (VOID)RtlStringCchCopyW(MfcGlobals.Prefix, MFC_PREFIX_CHARS, L"mfconfig");
    KeInitializeSpinLock(&MfcGlobals.StatsLock);
    KeInitializeEvent(&MfcGlobals.ConfigReady, NotificationEvent, FALSE);

    status = ExInitializeResourceLite(&MfcGlobals.TableLock);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    MfcGlobals.TableLockReady = TRUE;

    __try {
        status = MfcLoadConfiguration(RegistryPath);
        if (!NT_SUCCESS(status)) {
            __leave;
        }
        status = FltRegisterFilter(DriverObject, &MfcRegistration, &MfcFilterHandle);
        if (!NT_SUCCESS(status)) {
            __leave;
        }
        status = FltStartFiltering(MfcFilterHandle);
        if (!NT_SUCCESS(status)) {
            FltUnregisterFilter(MfcFilterHandle);
            MfcFilterHandle = NULL;
            __leave;
        }
        KeSetEvent(&MfcGlobals.ConfigReady, IO_NO_INCREMENT, FALSE);
        DbgPrint("%ws: watching %lu extension(s)\n", MfcGlobals.Prefix, MfcGlobals.ExtensionCount);
    } __finally {
        if (!NT_SUCCESS(status)) {
            MfcFreeTable();
            ExDeleteResourceLite(&MfcGlobals.TableLock);
            MfcGlobals.TableLockReady = FALSE;
        }
    }
    return status;
}

static NTSTATUS FLTAPI MfcUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    PAGED_CODE();

    FltUnregisterFilter(MfcFilterHandle);
    MfcFilterHandle = NULL;
    KeClearEvent(&MfcGlobals.ConfigReady);
    MfcFreeTable();
    if (MfcGlobals.TableLockReady) {
        ExDeleteResourceLite(&MfcGlobals.TableLock);
        MfcGlobals.TableLockReady = FALSE;
    }
    return STATUS_SUCCESS;
}

/* ---- Lookups -------------------------------------------------------------------------- */

/* Pageable: logs a match. DbgPrint's Unicode conversions are allowed only at PASSIVE_LEVEL,
 * so a match found at APC_LEVEL is counted but not logged. */
static VOID MfcLogMatch(PCUNICODE_STRING FileName)
{
    PAGED_CODE();
    if (KeGetCurrentIrql() == PASSIVE_LEVEL) {
        DbgPrint("%ws: %wZ\n", MfcGlobals.Prefix, FileName);
    }
}

static VOID MfcCount(BOOLEAN Matched, PCUNICODE_STRING FileName)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&MfcGlobals.StatsLock, &oldIrql);
    MfcGlobals.Stats.Checks++;
    if (Matched) {
        MfcGlobals.Stats.Matches++;
#ifdef KF_PLANT_PAGED_AT_DISPATCH
        if (FlagOn(MfcGlobals.Flags, MFC_FLAG_LOG_MATCHES)) {
            MfcLogMatch(FileName);
        }
#endif
    }
    KeReleaseSpinLock(&MfcGlobals.StatsLock, oldIrql);
#ifndef KF_PLANT_PAGED_AT_DISPATCH
    if (Matched && FlagOn(MfcGlobals.Flags, MFC_FLAG_LOG_MATCHES)) {
        MfcLogMatch(FileName);
    }
#endif
}

BOOLEAN MfcIsWatched(PCUNICODE_STRING FileName)
{
    LARGE_INTEGER noWait;
    UNICODE_STRING extension;
    BOOLEAN matched = FALSE;
    USHORT i, chars;

    noWait.QuadPart = 0;
    if (KeWaitForSingleObject(&MfcGlobals.ConfigReady, Executive, KernelMode, FALSE, &noWait) != STATUS_SUCCESS) {
        return FALSE;
    }

    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&MfcGlobals.TableLock, TRUE);

    /* The extension: the characters after the last dot of the final component. */
    chars = FileName->Length / sizeof(WCHAR);
    for (i = chars; i > 0 && FileName->Buffer[i - 1] != L'.' && FileName->Buffer[i - 1] != L'\\'; i--) {
    }
    if (i == 0 || FileName->Buffer[i - 1] != L'.') {
#ifdef KF_PLANT_LOCK_HELD
        return FALSE;
#endif
        goto done;
    }
    extension.Buffer = &FileName->Buffer[i];
    extension.Length = (USHORT)((chars - i) * sizeof(WCHAR));
    extension.MaximumLength = extension.Length;
    for (i = 0; i < MfcGlobals.ExtensionCount && !matched; i++) {
        matched = RtlEqualUnicodeString(&extension, &MfcGlobals.Extensions[i], TRUE);
    }

done:
    ExReleaseResourceLite(&MfcGlobals.TableLock);
    KeLeaveCriticalRegion();
    MfcCount(matched, FileName);
    return matched;
}

VOID MfcQueryStats(MFC_STATS *Stats)
{
    KIRQL oldIrql;

    KeAcquireSpinLock(&MfcGlobals.StatsLock, &oldIrql);
    *Stats = MfcGlobals.Stats;
    KeReleaseSpinLock(&MfcGlobals.StatsLock, oldIrql);
}

ULONG MfcExtensionCount(VOID)
{
    return MfcGlobals.ExtensionCount;
}

/* Watches opens of files with a configured extension (counted; never refused). */
static FLT_PREOP_CALLBACK_STATUS FLTAPI MfcPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                    PVOID *CompletionContext)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(CompletionContext);

    if (Data->Iopb->TargetFileObject != NULL) {
        (VOID)MfcIsWatched(&Data->Iopb->TargetFileObject->FileName);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}
