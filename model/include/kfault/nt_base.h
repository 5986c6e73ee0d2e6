/*
 * kfault/nt_base.h - the WDK's basic types, status codes, bug check codes, IRQL levels,
 * SAL annotations and per-architecture stack constants, shaped so that driver source
 * written for the WDK compiles unchanged in user mode.
 *
 * Included by ntddk.h, wdm.h, ntifs.h and fltKernel.h; drivers never include it directly.
 * Must never declare anything that a real WDK header does not (the kf_* control surface
 * lives in kfault/model.h), and must never depend on host headers beyond the C library.
 */
#ifndef KFAULT_NT_BASE_H
#define KFAULT_NT_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Target architecture, as the WDK's build environment defines it ---------------- */
#if !defined(_X86_) && !defined(_AMD64_) && !defined(_ARM_) && !defined(_ARM64_)
#define _AMD64_ 1
#endif
#if (defined(_X86_) + defined(_AMD64_) + defined(_ARM_) + defined(_ARM64_)) != 1
#error "kfault: define exactly one of _X86_, _AMD64_, _ARM_, _ARM64_"
#endif

/* ---- Calling conventions and declaration decorations (no meaning in user mode) ------ */
#define NTAPI
#define NTSYSAPI
#define NTKERNELAPI
#define NTHALAPI
#define NTSYSCALLAPI
#define FASTCALL
#define FORCEINLINE static inline
/* The GNU attribute as well: clang's coverage mapping only ends a region after a call whose
 * function type is noreturn, which C11 _Noreturn alone does not make it. */
#define DECLSPEC_NORETURN _Noreturn __attribute__((noreturn))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define CALLBACK
#define WINAPI
#define IN
#define OUT
#define OPTIONAL
#define CONST const
#define EXTERN_C extern
#define __forceinline static inline
#define __inline inline

/* ---- SAL annotations: empty, as they are to any compiler but the WDK's analyzer ------ */
#define _In_
#define _In_opt_
#define _In_z_
#define _In_reads_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _Inout_
#define _Inout_opt_
#define _Out_
#define _Out_opt_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Out_writes_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Ret_maybenull_
#define _Must_inspect_result_
#define _Check_return_
#define _Success_(e)
#define _Use_decl_annotations_
#define _Function_class_(n)
#define _IRQL_requires_(i)
#define _IRQL_requires_max_(i)
#define _IRQL_requires_min_(i)
#define _IRQL_requires_same_
#define _IRQL_raises_(i)
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_saves_global_(k, v)
#define _IRQL_restores_global_(k, v)
#define _IRQL_always_function_max_(i)
#define _When_(c, a)
#define _Analysis_assume_(e)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Post_satisfies_(e)
#define _Pre_satisfies_(e)
#define _Field_size_(n)
#define _Field_size_bytes_(n)
#define _Field_size_bytes_opt_(n)
#define _Field_range_(a, b)
#define _Reserved_
#define _Dispatch_type_(t)
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Post_invalid_
#define _Null_terminated_
#define _Printf_format_string_
#define __drv_reportError(s)
#define __drv_maxIRQL(i)
#define __drv_sameIRQL
#define __drv_when(c, a)
#define __drv_allocatesMem(k)
#define __drv_freesMem(k)
#define __drv_aliasesMem
#define __in
#define __in_opt
#define __out
#define __out_opt
#define __inout
#define __inout_opt

/* ---- Basic types ------------------------------------------------------------------ */
#define VOID void
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *PCVOID;
typedef char CHAR, *PCHAR;
typedef const char *PCSTR, *PCSZ;
typedef char *PSTR, *PSZ;
typedef unsigned char UCHAR, *PUCHAR;
typedef short SHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT;
typedef int LONG, *PLONG;
typedef unsigned int ULONG, *PULONG;
typedef int INT, *PINT;
typedef unsigned int UINT, *PUINT;
typedef long long LONGLONG, *PLONGLONG;
typedef unsigned long long ULONGLONG, *PULONGLONG;
typedef int32_t LONG32;
typedef uint32_t ULONG32, DWORD32;
typedef int64_t LONG64, *PLONG64;
typedef uint64_t ULONG64, *PULONG64, DWORD64;
typedef int8_t INT8;
typedef uint8_t UINT8;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef uint8_t BYTE, *PBYTE;
typedef uint16_t WORD, *PWORD;
typedef uint32_t DWORD, *PDWORD;
typedef intptr_t LONG_PTR, *PLONG_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T;
typedef LONG_PTR SSIZE_T;
typedef ULONG_PTR KAFFINITY;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef int BOOL;
/* WCHAR is wchar_t, 2 bytes as on Windows: driver code must be compiled with -fshort-wchar
 * (kfault.pc and the CMake target kfault::model carry it), or every L"..." byte count is wrong. */
#ifdef __cplusplus
static_assert(sizeof(wchar_t) == 2, "kfault: compile driver code with -fshort-wchar (WCHAR is 2 bytes on Windows)");
#else
_Static_assert(sizeof(wchar_t) == 2, "kfault: compile driver code with -fshort-wchar (WCHAR is 2 bytes on Windows)");
#endif
typedef wchar_t WCHAR, *PWCHAR, *PWSTR, *LPWSTR, *PWCH;
typedef const wchar_t *PCWSTR, *LPCWSTR, *PCWCH;
typedef void *HANDLE, **PHANDLE;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef UCHAR KIRQL, *PKIRQL;
typedef CHAR KPROCESSOR_MODE;
typedef ULONG ACCESS_MASK;
typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
typedef LONG KPRIORITY;
typedef ULONG LOGICAL;
typedef ULONG CLONG;
typedef ULONG64 POOL_FLAGS;

#define TRUE 1
#define FALSE 0
#ifndef NULL
#define NULL ((void *)0)
#endif

typedef union _LARGE_INTEGER {
    struct { ULONG LowPart; LONG HighPart; } u;
    struct { ULONG LowPart; LONG HighPart; };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct { ULONG LowPart; ULONG HighPart; } u;
    struct { ULONG LowPart; ULONG HighPart; };
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, ANSI_STRING, *PSTRING, *PANSI_STRING;

typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID, *PGUID;

/* ---- Status values ---------------------------------------------------------------- */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

#include "../ntstatus.h"

/* ---- Bug check codes -------------------------------------------------------------- */
#define IRQL_NOT_GREATER_OR_EQUAL        0x00000009
#define IRQL_NOT_LESS_OR_EQUAL           0x0000000A
#define KMODE_EXCEPTION_NOT_HANDLED      0x0000001E
#define IRQL_UNEXPECTED_VALUE            0x000000C8
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4
#define DRIVER_IRQL_NOT_LESS_OR_EQUAL    0x000000D1
#define KERNEL_EXPAND_STACK_ACTIVE       0x00000107

/* ---- IRQL levels ------------------------------------------------------------------ */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#if defined(_AMD64_) || defined(_ARM64_)
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15
#else
#define CLOCK_LEVEL 28
#define IPI_LEVEL 29
#define POWER_LEVEL 30
#define PROFILE_LEVEL 27
#define HIGH_LEVEL 31
#endif

/* ---- Stack constants for the architecture the driver is compiled for --------------- */
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12
#if defined(_X86_)
#define KERNEL_STACK_SIZE 12288
#define KERNEL_LARGE_STACK_SIZE 61440
#define KERNEL_LARGE_STACK_COMMIT 12288
#elif defined(_AMD64_)
#define KERNEL_STACK_SIZE 0x6000
#define KERNEL_LARGE_STACK_SIZE 0x12000
#define KERNEL_LARGE_STACK_COMMIT KERNEL_STACK_SIZE
#elif defined(_ARM_)
#define KERNEL_STACK_SIZE 0x3000
#define KERNEL_LARGE_STACK_SIZE 0xF000
#define KERNEL_LARGE_STACK_COMMIT KERNEL_STACK_SIZE
#elif defined(_ARM64_)
#define KERNEL_STACK_SIZE 0x8000
#define KERNEL_LARGE_STACK_SIZE 0x12000
#define KERNEL_LARGE_STACK_COMMIT KERNEL_STACK_SIZE
#endif
#define MAXIMUM_EXPANSION_SIZE (KERNEL_LARGE_STACK_SIZE - (PAGE_SIZE / 2))

/* ---- Common macros ---------------------------------------------------------------- */
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define ARGUMENT_PRESENT(p) ((p) != NULL)
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_NUMBER_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - (ULONG_PTR)(&((type *)0)->field)))
#define ALIGN_UP_BY(length, alignment) \
    (((ULONG_PTR)(length) + (alignment) - 1) & ~((ULONG_PTR)(alignment) - 1))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) (((ULONG_PTR)(Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlEqualMemory(a, b, n) (memcmp((a), (b), (n)) == 0)
#define RTL_CONSTANT_STRING(s) { sizeof(s) - sizeof((s)[0]), sizeof(s), (PWSTR)(s) }

/* RtlCompareMemory: the number of leading bytes that match. */
static inline SIZE_T RtlCompareMemory(const void *Source1, const void *Source2, SIZE_T Length)
{
    const UCHAR *a = (const UCHAR *)Source1, *b = (const UCHAR *)Source2;
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NT_BASE_H */
