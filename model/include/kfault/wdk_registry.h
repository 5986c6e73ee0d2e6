/*
 * kfault/wdk_registry.h - the registry (Zw*Key, Zw*ValueKey, RtlQueryRegistryValues,
 * RtlWriteRegistryValue, RtlCheckRegistryKey, IoOpenDriverRegistryKey), with the WDK's names,
 * types, values and structure layouts. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src/registry.c and model/SEMANTICS.md
 * (section "Registry", rules G-*).
 */
#ifndef KFAULT_WDK_REGISTRY_H
#define KFAULT_WDK_REGISTRY_H

#include "nt_base.h"
#include "wdk_ob.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Key access rights ----------------------------------------------------------------- */
#define KEY_QUERY_VALUE        (0x0001)
#define KEY_SET_VALUE          (0x0002)
#define KEY_CREATE_SUB_KEY     (0x0004)
#define KEY_ENUMERATE_SUB_KEYS (0x0008)
#define KEY_NOTIFY             (0x0010)
#define KEY_CREATE_LINK        (0x0020)
#define KEY_WOW64_32KEY        (0x0200)
#define KEY_WOW64_64KEY        (0x0100)
#define KEY_WOW64_RES          (0x0300)
#define KEY_READ    ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & (~SYNCHRONIZE))
#define KEY_WRITE   ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & (~SYNCHRONIZE))
#define KEY_EXECUTE ((KEY_READ) & (~SYNCHRONIZE))
#define KEY_ALL_ACCESS                                                                               \
    ((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_ENUMERATE_SUB_KEYS | \
      KEY_NOTIFY | KEY_CREATE_LINK) & (~SYNCHRONIZE))

/* ---- Create options and dispositions ----------------------------------------------------- */
#define REG_OPTION_RESERVED        (0x00000000L)
#define REG_OPTION_NON_VOLATILE    (0x00000000L)
#define REG_OPTION_VOLATILE        (0x00000001L)
#define REG_OPTION_CREATE_LINK     (0x00000002L)
#define REG_OPTION_BACKUP_RESTORE  (0x00000004L)
#define REG_OPTION_OPEN_LINK       (0x00000008L)
#define REG_OPTION_DONT_VIRTUALIZE (0x00000010L)
#define REG_LEGAL_OPTION                                                                         \
    (REG_OPTION_RESERVED | REG_OPTION_NON_VOLATILE | REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | \
     REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK | REG_OPTION_DONT_VIRTUALIZE)
#define REG_CREATED_NEW_KEY     (0x00000001L)
#define REG_OPENED_EXISTING_KEY (0x00000002L)

/* ---- Value types ----------------------------------------------------------------------- */
#define REG_NONE                       (0ul)
#define REG_SZ                         (1ul)
#define REG_EXPAND_SZ                  (2ul)
#define REG_BINARY                     (3ul)
#define REG_DWORD                      (4ul)
#define REG_DWORD_LITTLE_ENDIAN        (4ul)
#define REG_DWORD_BIG_ENDIAN           (5ul)
#define REG_LINK                       (6ul)
#define REG_MULTI_SZ                   (7ul)
#define REG_RESOURCE_LIST              (8ul)
#define REG_FULL_RESOURCE_DESCRIPTOR   (9ul)
#define REG_RESOURCE_REQUIREMENTS_LIST (10ul)
#define REG_QWORD                      (11ul)
#define REG_QWORD_LITTLE_ENDIAN        (11ul)

/* ---- Information classes and their structures (amd64 layout checked by tests) -------------- */
typedef enum _KEY_VALUE_INFORMATION_CLASS {
    KeyValueBasicInformation,
    KeyValueFullInformation,
    KeyValuePartialInformation,
    KeyValueFullInformationAlign64,
    KeyValuePartialInformationAlign64,
    KeyValueLayerInformation,
    MaxKeyValueInfoClass
} KEY_VALUE_INFORMATION_CLASS;

typedef struct _KEY_VALUE_BASIC_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_VALUE_BASIC_INFORMATION, *PKEY_VALUE_BASIC_INFORMATION;

typedef struct _KEY_VALUE_FULL_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG DataOffset;
    ULONG DataLength;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_VALUE_FULL_INFORMATION, *PKEY_VALUE_FULL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
    ULONG TitleIndex;
    ULONG Type;
    ULONG DataLength;
    UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION_ALIGN64 {
    ULONG Type;
    ULONG DataLength;
    UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, *PKEY_VALUE_PARTIAL_INFORMATION_ALIGN64;

typedef struct _KEY_VALUE_ENTRY {
    PUNICODE_STRING ValueName;
    ULONG DataLength;
    ULONG DataOffset;
    ULONG Type;
} KEY_VALUE_ENTRY, *PKEY_VALUE_ENTRY;

typedef enum _KEY_INFORMATION_CLASS {
    KeyBasicInformation,
    KeyNodeInformation,
    KeyFullInformation,
    KeyNameInformation,
    KeyCachedInformation,
    KeyFlagsInformation,
    KeyVirtualizationInformation,
    KeyHandleTagsInformation,
    KeyTrustInformation,
    KeyLayerInformation,
    MaxKeyInfoClass
} KEY_INFORMATION_CLASS;

typedef struct _KEY_BASIC_INFORMATION {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_BASIC_INFORMATION, *PKEY_BASIC_INFORMATION;

typedef struct _KEY_NODE_INFORMATION {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex;
    ULONG ClassOffset;
    ULONG ClassLength;
    ULONG NameLength;
    WCHAR Name[1];
} KEY_NODE_INFORMATION, *PKEY_NODE_INFORMATION;

typedef struct _KEY_FULL_INFORMATION {
    LARGE_INTEGER LastWriteTime;
    ULONG TitleIndex;
    ULONG ClassOffset;
    ULONG ClassLength;
    ULONG SubKeys;
    ULONG MaxNameLen;
    ULONG MaxClassLen;
    ULONG Values;
    ULONG MaxValueNameLen;
    ULONG MaxValueDataLen;
    WCHAR Class[1];
} KEY_FULL_INFORMATION, *PKEY_FULL_INFORMATION;

/* ---- Zw registry routines ------------------------------------------------------------- */
NTSYSAPI NTSTATUS NTAPI ZwOpenKey(_Out_ PHANDLE KeyHandle, _In_ ACCESS_MASK DesiredAccess,
                                  _In_ POBJECT_ATTRIBUTES ObjectAttributes);
NTSYSAPI NTSTATUS NTAPI ZwOpenKeyEx(_Out_ PHANDLE KeyHandle, _In_ ACCESS_MASK DesiredAccess,
                                    _In_ POBJECT_ATTRIBUTES ObjectAttributes, _In_ ULONG OpenOptions);
NTSYSAPI NTSTATUS NTAPI ZwCreateKey(_Out_ PHANDLE KeyHandle, _In_ ACCESS_MASK DesiredAccess,
                                    _In_ POBJECT_ATTRIBUTES ObjectAttributes, _Reserved_ ULONG TitleIndex,
                                    _In_opt_ PUNICODE_STRING Class, _In_ ULONG CreateOptions,
                                    _Out_opt_ PULONG Disposition);
NTSYSAPI NTSTATUS NTAPI ZwQueryValueKey(_In_ HANDLE KeyHandle, _In_ PUNICODE_STRING ValueName,
                                        _In_ KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                        _Out_writes_bytes_opt_(Length) PVOID KeyValueInformation,
                                        _In_ ULONG Length, _Out_ PULONG ResultLength);
NTSYSAPI NTSTATUS NTAPI ZwSetValueKey(_In_ HANDLE KeyHandle, _In_ PUNICODE_STRING ValueName,
                                      _In_opt_ ULONG TitleIndex, _In_ ULONG Type,
                                      _In_reads_bytes_opt_(DataSize) PVOID Data, _In_ ULONG DataSize);
NTSYSAPI NTSTATUS NTAPI ZwDeleteValueKey(_In_ HANDLE KeyHandle, _In_ PUNICODE_STRING ValueName);
NTSYSAPI NTSTATUS NTAPI ZwDeleteKey(_In_ HANDLE KeyHandle);
NTSYSAPI NTSTATUS NTAPI ZwEnumerateValueKey(_In_ HANDLE KeyHandle, _In_ ULONG Index,
                                            _In_ KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                            _Out_writes_bytes_opt_(Length) PVOID KeyValueInformation,
                                            _In_ ULONG Length, _Out_ PULONG ResultLength);
NTSYSAPI NTSTATUS NTAPI ZwEnumerateKey(_In_ HANDLE KeyHandle, _In_ ULONG Index,
                                       _In_ KEY_INFORMATION_CLASS KeyInformationClass,
                                       _Out_writes_bytes_opt_(Length) PVOID KeyInformation, _In_ ULONG Length,
                                       _Out_ PULONG ResultLength);
NTSYSAPI NTSTATUS NTAPI ZwQueryKey(_In_ HANDLE KeyHandle, _In_ KEY_INFORMATION_CLASS KeyInformationClass,
                                   _Out_writes_bytes_opt_(Length) PVOID KeyInformation, _In_ ULONG Length,
                                   _Out_ PULONG ResultLength);
NTSYSAPI NTSTATUS NTAPI ZwFlushKey(_In_ HANDLE KeyHandle);

/* ---- Rtl registry helpers ------------------------------------------------------------- */
#define RTL_REGISTRY_ABSOLUTE   0
#define RTL_REGISTRY_SERVICES   1
#define RTL_REGISTRY_CONTROL    2
#define RTL_REGISTRY_WINDOWS_NT 3
#define RTL_REGISTRY_DEVICEMAP  4
#define RTL_REGISTRY_USER       5
#define RTL_REGISTRY_MAXIMUM    6
#define RTL_REGISTRY_HANDLE     0x40000000
#define RTL_REGISTRY_OPTIONAL   0x80000000

#define RTL_QUERY_REGISTRY_SUBKEY   0x00000001
#define RTL_QUERY_REGISTRY_TOPKEY   0x00000002
#define RTL_QUERY_REGISTRY_REQUIRED 0x00000004
#define RTL_QUERY_REGISTRY_NOVALUE  0x00000008
#define RTL_QUERY_REGISTRY_NOEXPAND 0x00000010
#define RTL_QUERY_REGISTRY_DIRECT   0x00000020
#define RTL_QUERY_REGISTRY_DELETE   0x00000040
#define RTL_QUERY_REGISTRY_NOSTRING 0x00000080
#define RTL_QUERY_REGISTRY_TYPECHECK 0x00000100
#define RTL_QUERY_REGISTRY_TYPECHECK_SHIFT 24
#define RTL_QUERY_REGISTRY_TYPECHECK_MASK (0xffu << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT)

typedef NTSTATUS RTL_QUERY_REGISTRY_ROUTINE(_In_z_ PWSTR ValueName, _In_ ULONG ValueType,
                                            _In_reads_bytes_opt_(ValueLength) PVOID ValueData,
                                            _In_ ULONG ValueLength, _In_opt_ PVOID Context,
                                            _In_opt_ PVOID EntryContext);
typedef RTL_QUERY_REGISTRY_ROUTINE *PRTL_QUERY_REGISTRY_ROUTINE;

typedef struct _RTL_QUERY_REGISTRY_TABLE {
    PRTL_QUERY_REGISTRY_ROUTINE QueryRoutine;
    ULONG Flags;
    PWSTR Name;
    PVOID EntryContext;
    ULONG DefaultType;
    PVOID DefaultData;
    ULONG DefaultLength;
} RTL_QUERY_REGISTRY_TABLE, *PRTL_QUERY_REGISTRY_TABLE;

NTSYSAPI NTSTATUS NTAPI RtlQueryRegistryValues(_In_ ULONG RelativeTo, _In_ PCWSTR Path,
                                               _Inout_ PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                               _In_opt_ PVOID Context, _In_opt_ PVOID Environment);
NTSYSAPI NTSTATUS NTAPI RtlWriteRegistryValue(_In_ ULONG RelativeTo, _In_ PCWSTR Path, _In_z_ PCWSTR ValueName,
                                              _In_ ULONG ValueType,
                                              _In_reads_bytes_opt_(ValueLength) PVOID ValueData,
                                              _In_ ULONG ValueLength);
NTSYSAPI NTSTATUS NTAPI RtlCheckRegistryKey(_In_ ULONG RelativeTo, _In_ PWSTR Path);
NTSYSAPI NTSTATUS NTAPI RtlDeleteRegistryValue(_In_ ULONG RelativeTo, _In_ PCWSTR Path, _In_z_ PCWSTR ValueName);
NTSYSAPI NTSTATUS NTAPI RtlCreateRegistryKey(_In_ ULONG RelativeTo, _In_ PWSTR Path);

/* ---- The driver's own keys ------------------------------------------------------------ */
typedef enum _DRIVER_REGKEY_TYPE {
    DriverRegKeyParameters,
    DriverRegKeyPersistentState,
    DriverRegKeySharedPersistentState
} DRIVER_REGKEY_TYPE, *PDRIVER_REGKEY_TYPE;

struct _DRIVER_OBJECT;
NTKERNELAPI NTSTATUS IoOpenDriverRegistryKey(_In_ struct _DRIVER_OBJECT *DriverObject,
                                             _In_ DRIVER_REGKEY_TYPE RegKeyType, _In_ ACCESS_MASK DesiredAccess,
                                             _In_ ULONG Flags, _Out_ PHANDLE DriverRegKey);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_REGISTRY_H */
