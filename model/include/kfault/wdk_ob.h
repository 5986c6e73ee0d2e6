/*
 * kfault/wdk_ob.h - objects and handles: OBJECT_ATTRIBUTES and the OBJ_ attributes, the
 * standard access rights, the exported object types, ObReference* / ObDereference*,
 * ObOpenObjectByPointer, ZwClose / NtClose, with the WDK's names and types. Included by wdm.h
 * (as in the WDK, where all of this comes with wdm.h); drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src/object.c and model/SEMANTICS.md
 * (section "Objects and handles", rules B-*).
 */
#ifndef KFAULT_WDK_OB_H
#define KFAULT_WDK_OB_H

#include "nt_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Standard and generic access rights (winnt.h / wdm.h) ------------------------------ */
#ifndef DELETE
#define DELETE                   (0x00010000L)
#endif
#ifndef READ_CONTROL
#define READ_CONTROL             (0x00020000L)
#endif
#ifndef WRITE_DAC
#define WRITE_DAC                (0x00040000L)
#endif
#ifndef WRITE_OWNER
#define WRITE_OWNER              (0x00080000L)
#endif
#ifndef SYNCHRONIZE
#define SYNCHRONIZE              (0x00100000L)
#endif
#ifndef STANDARD_RIGHTS_REQUIRED
#define STANDARD_RIGHTS_REQUIRED (0x000F0000L)
#endif
#ifndef STANDARD_RIGHTS_READ
#define STANDARD_RIGHTS_READ     (READ_CONTROL)
#endif
#ifndef STANDARD_RIGHTS_WRITE
#define STANDARD_RIGHTS_WRITE    (READ_CONTROL)
#endif
#ifndef STANDARD_RIGHTS_EXECUTE
#define STANDARD_RIGHTS_EXECUTE  (READ_CONTROL)
#endif
#ifndef STANDARD_RIGHTS_ALL
#define STANDARD_RIGHTS_ALL      (0x001F0000L)
#endif
#ifndef SPECIFIC_RIGHTS_ALL
#define SPECIFIC_RIGHTS_ALL      (0x0000FFFFL)
#endif
#ifndef ACCESS_SYSTEM_SECURITY
#define ACCESS_SYSTEM_SECURITY   (0x01000000L)
#endif
#ifndef MAXIMUM_ALLOWED
#define MAXIMUM_ALLOWED          (0x02000000L)
#endif
#ifndef GENERIC_READ
#define GENERIC_READ             (0x80000000L)
#endif
#ifndef GENERIC_WRITE
#define GENERIC_WRITE            (0x40000000L)
#endif
#ifndef GENERIC_EXECUTE
#define GENERIC_EXECUTE          (0x20000000L)
#endif
#ifndef GENERIC_ALL
#define GENERIC_ALL              (0x10000000L)
#endif

/* ---- OBJECT_ATTRIBUTES -------------------------------------------------------------- */
#define OBJ_INHERIT              0x00000002L
#define OBJ_PERMANENT            0x00000010L
#define OBJ_EXCLUSIVE            0x00000020L
#define OBJ_CASE_INSENSITIVE     0x00000040L
#define OBJ_OPENIF               0x00000080L
#define OBJ_OPENLINK             0x00000100L
#define OBJ_KERNEL_HANDLE        0x00000200L
#define OBJ_FORCE_ACCESS_CHECK   0x00000400L
#define OBJ_IGNORE_IMPERSONATED_DEVICEMAP 0x00000800L
#define OBJ_DONT_REPARSE         0x00001000L
#define OBJ_VALID_ATTRIBUTES     0x00001FF2L

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
    do {                                          \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);  \
        (p)->RootDirectory = (r);                 \
        (p)->Attributes = (a);                    \
        (p)->ObjectName = (n);                    \
        (p)->SecurityDescriptor = (s);            \
        (p)->SecurityQualityOfService = NULL;     \
    } while (0)

typedef struct _OBJECT_HANDLE_INFORMATION {
    ULONG HandleAttributes;
    ACCESS_MASK GrantedAccess;
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

/* The pseudo handles of the current process and thread. */
#ifndef NtCurrentProcess
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#endif
#ifndef ZwCurrentProcess
#define ZwCurrentProcess() NtCurrentProcess()
#endif
#ifndef NtCurrentThread
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#endif
#ifndef ZwCurrentThread
#define ZwCurrentThread() NtCurrentThread()
#endif

#ifndef PROCESS_ALL_ACCESS
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#endif
#ifndef THREAD_ALL_ACCESS
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#endif

/* Bug check of NtClose on an invalid handle from kernel mode (bugcodes.h). */
#ifndef INVALID_KERNEL_HANDLE
#define INVALID_KERNEL_HANDLE 0x00000093
#endif

/* ---- Object types ------------------------------------------------------------------- */
typedef struct _OBJECT_TYPE *POBJECT_TYPE;
typedef struct _ACCESS_STATE *PACCESS_STATE;

extern POBJECT_TYPE *IoFileObjectType;
extern POBJECT_TYPE *IoDeviceObjectType;
extern POBJECT_TYPE *IoDriverObjectType;
extern POBJECT_TYPE *PsProcessType;
extern POBJECT_TYPE *PsThreadType;
extern POBJECT_TYPE *ExEventObjectType;
extern POBJECT_TYPE *ExSemaphoreObjectType;
extern POBJECT_TYPE *SeTokenObjectType;
extern POBJECT_TYPE *CmKeyObjectType;

/* ---- References ----------------------------------------------------------------------- */
NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObject(_In_ PVOID Object);
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(_In_ PVOID Object);
NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObjectWithTag(_In_ PVOID Object, _In_ ULONG Tag);
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObjectWithTag(_In_ PVOID Object, _In_ ULONG Tag);
NTKERNELAPI VOID ObDereferenceObjectDeferDelete(_In_ PVOID Object);
NTKERNELAPI VOID ObDereferenceObjectDeferDeleteWithTag(_In_ PVOID Object, _In_ ULONG Tag);
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#define ObDereferenceObject(Object) ObfDereferenceObject(Object)
#define ObReferenceObjectWithTag(Object, Tag) ObfReferenceObjectWithTag(Object, Tag)
#define ObDereferenceObjectWithTag(Object, Tag) ObfDereferenceObjectWithTag(Object, Tag)

NTKERNELAPI NTSTATUS ObReferenceObjectByPointer(_In_ PVOID Object, _In_ ACCESS_MASK DesiredAccess,
                                                _In_opt_ POBJECT_TYPE ObjectType,
                                                _In_ KPROCESSOR_MODE AccessMode);
NTKERNELAPI NTSTATUS ObReferenceObjectByPointerWithTag(_In_ PVOID Object, _In_ ACCESS_MASK DesiredAccess,
                                                       _In_opt_ POBJECT_TYPE ObjectType,
                                                       _In_ KPROCESSOR_MODE AccessMode, _In_ ULONG Tag);
NTKERNELAPI NTSTATUS ObReferenceObjectByHandle(_In_ HANDLE Handle, _In_ ACCESS_MASK DesiredAccess,
                                               _In_opt_ POBJECT_TYPE ObjectType,
                                               _In_ KPROCESSOR_MODE AccessMode, _Out_ PVOID *Object,
                                               _Out_opt_ POBJECT_HANDLE_INFORMATION HandleInformation);
NTKERNELAPI NTSTATUS ObReferenceObjectByHandleWithTag(_In_ HANDLE Handle, _In_ ACCESS_MASK DesiredAccess,
                                                      _In_opt_ POBJECT_TYPE ObjectType,
                                                      _In_ KPROCESSOR_MODE AccessMode, _In_ ULONG Tag,
                                                      _Out_ PVOID *Object,
                                                      _Out_opt_ POBJECT_HANDLE_INFORMATION HandleInformation);

/* ---- Handles -------------------------------------------------------------------------- */
NTKERNELAPI NTSTATUS ObOpenObjectByPointer(_In_ PVOID Object, _In_ ULONG HandleAttributes,
                                           _In_opt_ PACCESS_STATE PassedAccessState,
                                           _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                                           _In_ KPROCESSOR_MODE AccessMode, _Out_ PHANDLE Handle);
NTSYSAPI NTSTATUS NTAPI ZwClose(_In_ HANDLE Handle);
NTSYSCALLAPI NTSTATUS NTAPI NtClose(_In_ HANDLE Handle);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_OB_H */
