/*
 * kfault/nt_base.h - the WDK's basic types, status codes, bug check codes, IRQL levels,
 * SAL annotations and per-architecture stack constants, shaped so that driver source
 * written for the WDK compiles unchanged in user mode; and the language around them
 * (SEMANTICS.md L-10 to L-17): the WDK's pragmas ignored, DBG and the assertion family,
 * PAGED_CODE, limits, alignment and field macros, target versions, GUID helpers.
 *
 * Included by ntddk.h, wdm.h, ntifs.h and fltKernel.h; drivers never include it directly.
 * Must never declare anything that a real WDK header does not (the kf_* control surface
 * lives in kfault/model.h), except kf_paged_code, which PAGED_CODE expands to, and must
 * never depend on host headers beyond the C library.
 */
#ifndef KFAULT_NT_BASE_H
#define KFAULT_NT_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>

/* ---- The WDK's #pragma forms (L-11) -------------------------------------------------- */
/* #pragma alloc_text, code_seg, data_seg, prefast, warning, ... mean nothing to a user-mode
 * build: every driver file that includes a kfault header has them ignored silently, whatever
 * -Wall asks (the pragma is not part of the push/pop of any later header). __pragma(x), the
 * MSVC operator form, expands to nothing. */
/* Pool tags are written as multi-character constants ('gaT1') in every driver, which MSVC
 * accepts silently; gcc warns on each by default. Their value is implementation-defined in
 * C, and gcc and clang give the one MSVC gives for four characters ('abcd' == 0x61626364),
 * which test_lang checks: the warning says nothing about driver code, so it is off (L-11). */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-pragmas"
#pragma clang diagnostic ignored "-Wignored-pragmas"
#pragma clang diagnostic ignored "-Wmultichar"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#pragma GCC diagnostic ignored "-Wmultichar"
#endif
#if !defined(_MSC_EXTENSIONS) && !defined(__pragma)
#define __pragma(x)
#endif

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
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define DECLSPEC_NOTHROW
#define DECLSPEC_NOVTABLE
#define DECLSPEC_UUID(x)
#define DECLSPEC_NOALIAS
#define DECLSPEC_RESTRICT
#define DECLSPEC_SAFEBUFFERS
#define DECLSPEC_GUARDNOCF
#define DECLSPEC_GUARD_SUPPRESS
#define DECLSPEC_ADDRSAFE
#define DECLSPEC_ALLOCATOR
#define DECLSPEC_HOTPATCH
#define DECLSPEC_CHPE_GUEST
#define DECLSPEC_CHPE_PATCHABLE
#define DECLSPEC_DEPRECATED __attribute__((deprecated))
#define DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_DEPRECATED_DDK_WINXP
#define DECLSPEC_DEPRECATED_DDK_WIN2K
/* One definition however many files define the same object (GUIDs: L-13). */
#define DECLSPEC_SELECTANY __attribute__((weak))
#if defined(_AMD64_) || defined(_X86_)
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
#else
#define SYSTEM_CACHE_ALIGNMENT_SIZE 128
#endif
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(SYSTEM_CACHE_ALIGNMENT_SIZE)
#ifndef POINTER_ALIGNMENT
#if defined(_AMD64_) || defined(_ARM64_)
#define POINTER_ALIGNMENT DECLSPEC_ALIGN(8)
#else
#define POINTER_ALIGNMENT
#endif
#endif
#define CALLBACK
#define WINAPI
#define NTAPI_INLINE
#define STDAPICALLTYPE
#define IN
#define OUT
#define OPTIONAL
#define CONST const
#define UNALIGNED
#define UNALIGNED64
#define RESTRICTED_POINTER
#ifdef __cplusplus
#define EXTERN_C extern "C"
#define EXTERN_C_START extern "C" {
#define EXTERN_C_END }
#else
#define EXTERN_C extern
#define EXTERN_C_START
#define EXTERN_C_END
#endif
#define __forceinline static inline
#define __inline inline
#define NOTHING
/* A SAL-style fall-through mark: the compilers' own statement attribute (-Wimplicit-fallthrough). */
#define __fallthrough __attribute__((fallthrough))

/* ---- SAL annotations: empty, as they are to any compiler but the WDK's analyzer ------ */
/* Every annotation the public driver samples use and the families around them (L-10). The
 * function-like ones take any arguments: their arguments are never evaluated. */
#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_opt_z_
#define _Out_
#define _Out_opt_
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_nullonfailure_
#define _Outptr_opt_result_nullonfailure_
#define _Outptr_result_z_
#define _Outptr_opt_result_z_
#define _Outptr_result_maybenull_z_
#define _Outptr_opt_result_maybenull_z_
#define _COM_Outptr_
#define _COM_Outptr_opt_
#define _COM_Outptr_result_maybenull_
#define _COM_Outptr_opt_result_maybenull_
#define _Outref_
#define _Outref_result_maybenull_
#define _Outref_result_nullonfailure_
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Ret_null_
#define _Ret_z_
#define _Ret_maybenull_z_
#define _Ret_notnull_z_
#define _Ret_valid_
#define _Ret_opt_valid_
#define _Must_inspect_result_
#define _Check_return_
#define _Use_decl_annotations_
#define _Reserved_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Post_invalid_
#define _Pre_invalid_
#define _Post_ptr_invalid_
#define _Null_terminated_
#define _NullNull_terminated_
#define _Printf_format_string_
#define _Scanf_format_string_
#define _Pre_notnull_
#define _Pre_maybenull_
#define _Pre_null_
#define _Pre_valid_
#define _Pre_opt_valid_
#define _Pre_z_
#define _Pre_opt_z_
#define _Pre_readonly_
#define _Pre_writable_
#define _Pre_defensive_
#define _Post_defensive_
#define _Post_notnull_
#define _Post_null_
#define _Post_maybenull_
#define _Post_valid_
#define _Post_z_
#define _Post_maybez_
#define _Notnull_
#define _Maybenull_
#define _Null_
#define _Valid_
#define _Notvalid_
#define _Maybevalid_
#define _Const_
#define _Literal_
#define _Notliteral_
#define _Points_to_data_
#define _Notref_
#define _Deref_out_
#define _Deref_out_opt_
#define _Deref_opt_out_
#define _Deref_opt_out_opt_
#define _Deref_out_z_
#define _Deref_opt_out_z_
#define _Deref_inout_z_
#define _Deref_pre_z_
#define _Deref_post_z_
#define _Deref_pre_maybenull_
#define _Deref_post_maybenull_
#define _Deref_pre_null_
#define _Deref_post_null_
#define _Deref_pre_notnull_
#define _Deref_post_notnull_
#define _Deref_pre_valid_
#define _Deref_post_valid_
#define _Deref_post_opt_valid_
#define _Deref_pre_invalid_
#define _Deref_post_invalid_
#define _Deref_ret_z_
#define _Deref_pre_readonly_
#define _Deref2_pre_readonly_
#define _Deref_in_bound_
#define _Deref_out_bound_
#define _Deref_inout_bound_
#define _Deref_ret_bound_
#define _In_bound_
#define _Out_bound_
#define _Ret_bound_
#define _Unreferenced_parameter_
#define _Flt_CompletionContext_Outptr_
#define _Flt_ConnectionCookie_Outptr_
#define _Global_critical_region_
#define _Global_cancel_spin_lock_
#define _Global_interlock_
#define _Global_priority_region_
#define _Curr_
#define _Interlocked_operand_
#define _Requires_no_locks_held_
#define _No_competing_thread_
#define _Analysis_noreturn_
#define _Strict_type_match_
#define _Enum_is_bitflag_
#define _Maybe_raises_SEH_exception_
#define _Raises_SEH_exception_
#define _Field_z_
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_float_used_
#define _Kernel_IoGetDmaAdapter_
#define _IRQL_requires_same_
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_is_cancel_
#define _IRQL_uses_cancel_
#define _Lock_kind_mutex_
#define _Lock_kind_event_
#define _Lock_kind_semaphore_
#define _Lock_kind_spin_lock_
#define _Lock_kind_critical_section_
#define _Callback_
#define _Inout_cap_c_one_
#define _Ret_writes_maybenull_z_
#define _Post_equal_to_this_
#define _Fallthrough_ __attribute__((fallthrough))
#define __drv_sameIRQL
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_aliasesMem
#define __drv_inTry
#define __drv_notInTry
#define __drv_isObjectPointer
#define __drv_dispatchType_other
#define __drv_acquiresCancelSpinLock
#define __drv_releasesCancelSpinLock
#define __drv_mustHoldCancelSpinLock
#define __drv_neverHoldCancelSpinLock
#define __drv_acquiresCriticalRegion
#define __drv_releasesCriticalRegion
#define __drv_mustHoldCriticalRegion
#define __drv_neverHoldCriticalRegion
#define __drv_acquiresPriorityRegion
#define __drv_releasesPriorityRegion
#define __drv_mustHoldPriorityRegion
#define __drv_neverHoldPriorityRegion
#define __drv_floatSaved
#define __drv_floatRestored
#define __drv_floatUsed
#define __drv_interlocked
#define __drv_constant
#define __drv_nonConstant
#define __drv_useCancelIRQL
#define __drv_IoGetDmaAdapter
#define __drv_typeConst
#define __drv_typeCond
#define __drv_typeBitset
#define __drv_typeExpr
#define __drv_maxFunctionIRQL
#define __drv_minFunctionIRQL
#define __in
#define __in_opt
#define __out
#define __out_opt
#define __inout
#define __inout_opt
#define __deref_out
#define __deref_out_opt
#define __checkReturn
#define _In_reads_(...)
#define _In_reads_opt_(...)
#define _In_reads_bytes_(...)
#define _In_reads_bytes_opt_(...)
#define _In_reads_z_(...)
#define _In_reads_opt_z_(...)
#define _In_reads_or_z_(...)
#define _In_reads_or_z_opt_(...)
#define _In_reads_to_ptr_(...)
#define _In_reads_to_ptr_opt_(...)
#define _In_reads_to_ptr_z_(...)
#define _In_reads_to_ptr_opt_z_(...)
#define _Out_writes_(...)
#define _Out_writes_opt_(...)
#define _Out_writes_bytes_(...)
#define _Out_writes_bytes_opt_(...)
#define _Out_writes_z_(...)
#define _Out_writes_opt_z_(...)
#define _Out_writes_to_(...)
#define _Out_writes_to_opt_(...)
#define _Out_writes_all_(...)
#define _Out_writes_all_opt_(...)
#define _Out_writes_bytes_to_(...)
#define _Out_writes_bytes_to_opt_(...)
#define _Out_writes_bytes_all_(...)
#define _Out_writes_bytes_all_opt_(...)
#define _Out_writes_to_ptr_(...)
#define _Out_writes_to_ptr_opt_(...)
#define _Out_writes_to_ptr_z_(...)
#define _Out_writes_to_ptr_opt_z_(...)
#define _Inout_updates_(...)
#define _Inout_updates_opt_(...)
#define _Inout_updates_z_(...)
#define _Inout_updates_opt_z_(...)
#define _Inout_updates_to_(...)
#define _Inout_updates_to_opt_(...)
#define _Inout_updates_all_(...)
#define _Inout_updates_all_opt_(...)
#define _Inout_updates_bytes_(...)
#define _Inout_updates_bytes_opt_(...)
#define _Inout_updates_bytes_to_(...)
#define _Inout_updates_bytes_to_opt_(...)
#define _Inout_updates_bytes_all_(...)
#define _Inout_updates_bytes_all_opt_(...)
#define _Outptr_result_buffer_(...)
#define _Outptr_opt_result_buffer_(...)
#define _Outptr_result_buffer_to_(...)
#define _Outptr_opt_result_buffer_to_(...)
#define _Outptr_result_buffer_all_(...)
#define _Outptr_opt_result_buffer_all_(...)
#define _Outptr_result_buffer_maybenull_(...)
#define _Outptr_opt_result_buffer_maybenull_(...)
#define _Outptr_result_buffer_to_maybenull_(...)
#define _Outptr_opt_result_buffer_to_maybenull_(...)
#define _Outptr_result_buffer_all_maybenull_(...)
#define _Outptr_opt_result_buffer_all_maybenull_(...)
#define _Outptr_result_bytebuffer_(...)
#define _Outptr_opt_result_bytebuffer_(...)
#define _Outptr_result_bytebuffer_to_(...)
#define _Outptr_opt_result_bytebuffer_to_(...)
#define _Outptr_result_bytebuffer_all_(...)
#define _Outptr_opt_result_bytebuffer_all_(...)
#define _Outptr_result_bytebuffer_maybenull_(...)
#define _Outptr_opt_result_bytebuffer_maybenull_(...)
#define _Outptr_result_bytebuffer_to_maybenull_(...)
#define _Outptr_opt_result_bytebuffer_to_maybenull_(...)
#define _Outptr_result_bytebuffer_all_maybenull_(...)
#define _Outptr_opt_result_bytebuffer_all_maybenull_(...)
#define _Ret_writes_(...)
#define _Ret_writes_z_(...)
#define _Ret_writes_maybenull_(...)
#define _Ret_writes_bytes_(...)
#define _Ret_writes_bytes_maybenull_(...)
#define _Ret_writes_to_(...)
#define _Ret_writes_bytes_to_(...)
#define _Ret_writes_to_maybenull_(...)
#define _Ret_writes_bytes_to_maybenull_(...)
#define _Ret_reallocated_bytes_(...)
#define _Ret_range_(...)
#define _Post_writable_byte_size_(...)
#define _Post_writable_size_(...)
#define _Post_readable_byte_size_(...)
#define _Post_readable_size_(...)
#define _Pre_writable_byte_size_(...)
#define _Pre_writable_size_(...)
#define _Pre_readable_byte_size_(...)
#define _Pre_readable_size_(...)
#define _Field_size_(...)
#define _Field_size_opt_(...)
#define _Field_size_bytes_(...)
#define _Field_size_bytes_opt_(...)
#define _Field_size_part_(...)
#define _Field_size_part_opt_(...)
#define _Field_size_bytes_part_(...)
#define _Field_size_bytes_part_opt_(...)
#define _Field_size_full_(...)
#define _Field_size_full_opt_(...)
#define _Field_size_bytes_full_(...)
#define _Field_size_bytes_full_opt_(...)
#define _Field_range_(...)
#define _Struct_size_bytes_(...)
#define _Readable_bytes_(...)
#define _Readable_elements_(...)
#define _Writable_bytes_(...)
#define _Writable_elements_(...)
#define _Deref_out_range_(...)
#define _Deref_in_range_(...)
#define _Deref_inout_range_(...)
#define _Deref_ret_range_(...)
#define _In_range_(...)
#define _Out_range_(...)
#define _Pre_equal_to_(...)
#define _Post_equal_to_(...)
#define _Pre_satisfies_(...)
#define _Post_satisfies_(...)
#define _Satisfies_(...)
#define _Unchanged_(...)
#define _Old_(...)
#define _Analysis_assume_(...)
#define _Analysis_mode_(...)
#define _Success_(...)
#define _Return_type_success_(...)
#define _Always_(...)
#define _On_failure_(...)
#define _When_(...)
#define _At_(...)
#define _At_buffer_(...)
#define _Group_(...)
#define _Inexpressible_(...)
#define _In_defensive_(...)
#define _Out_defensive_(...)
#define _Inout_defensive_(...)
#define _Printf_format_string_params_(...)
#define _Scanf_format_string_params_(...)
#define _Called_from_function_class_(...)
#define _Function_class_(...)
#define _Dispatch_type_(...)
#define _Guarded_by_(...)
#define _Write_guarded_by_(...)
#define _Requires_lock_held_(...)
#define _Requires_lock_not_held_(...)
#define _Requires_exclusive_lock_held_(...)
#define _Requires_shared_lock_held_(...)
#define _Acquires_lock_(...)
#define _Acquires_exclusive_lock_(...)
#define _Acquires_shared_lock_(...)
#define _Releases_lock_(...)
#define _Releases_exclusive_lock_(...)
#define _Releases_shared_lock_(...)
#define _Acquires_nonreentrant_lock_(...)
#define _Releases_nonreentrant_lock_(...)
#define _Post_same_lock_(...)
#define _Create_lock_level_(...)
#define _Has_lock_kind_(...)
#define _Has_lock_level_(...)
#define _Lock_level_order_(...)
#define _Analysis_assume_lock_held_(...)
#define _Analysis_assume_lock_not_held_(...)
#define _Analysis_assume_lock_acquired_(...)
#define _Analysis_assume_lock_released_(...)
#define _Analysis_assume_same_lock_(...)
#define _Analysis_assume_nullterminated_(...)
#define _Kernel_requires_resource_held_(...)
#define _Kernel_requires_resource_not_held_(...)
#define _Kernel_acquires_resource_(...)
#define _Kernel_releases_resource_(...)
#define _Kernel_clear_do_init_(...)
#define _IRQL_requires_(...)
#define _IRQL_requires_max_(...)
#define _IRQL_requires_min_(...)
#define _IRQL_raises_(...)
#define _IRQL_saves_global_(...)
#define _IRQL_restores_global_(...)
#define _IRQL_always_function_max_(...)
#define _IRQL_always_function_min_(...)
#define _Deref_in_bound_size_(...)
#define _Deref_out_bound_size_(...)
#define _Pre_bytecap_(...)
#define _Pre_cap_(...)
#define _Post_bytecap_(...)
#define _Post_cap_(...)
#define __drv_reportError(...)
#define __drv_maxIRQL(...)
#define __drv_minIRQL(...)
#define __drv_setsIRQL(...)
#define __drv_requiresIRQL(...)
#define __drv_raisesIRQL(...)
#define __drv_savesIRQLGlobal(...)
#define __drv_restoresIRQLGlobal(...)
#define __drv_when(...)
#define __drv_allocatesMem(...)
#define __drv_freesMem(...)
#define __drv_arg(...)
#define __drv_in(...)
#define __drv_out(...)
#define __drv_deref(...)
#define __drv_in_deref(...)
#define __drv_out_deref(...)
#define __drv_at(...)
#define __drv_dispatchType(...)
#define __drv_completionType(...)
#define __drv_functionClass(...)
#define __drv_valueIs(...)
#define __drv_strictType(...)
#define __drv_strictTypeMatch(...)
#define __drv_acquiresResource(...)
#define __drv_releasesResource(...)
#define __drv_mustHold(...)
#define __drv_neverHold(...)
#define __drv_acquiresExclusiveResource(...)
#define __drv_releasesExclusiveResource(...)
#define __drv_acquiresResourceGlobal(...)
#define __drv_releasesResourceGlobal(...)
#define __drv_mustHoldGlobal(...)
#define __drv_neverHoldGlobal(...)
#define __drv_preferredFunction(...)
#define __drv_unit(...)
#define __drv_formatString(...)
#define __drv_clearDoInit(...)
#define __drv_innerMustHoldGlobal(...)
#define __drv_innerNeverHoldGlobal(...)
#define __drv_innerAcquiresGlobal(...)
#define __drv_innerReleasesGlobal(...)
#define __drv_declspec(...)
#define __drv_Mode_impl(...)
#define __drv_defined(...)
#define __drv_nop(...)
#define __in_bcount(...)
#define __in_ecount(...)
#define __in_bcount_opt(...)
#define __in_ecount_opt(...)
#define __out_bcount(...)
#define __out_ecount(...)
#define __out_bcount_opt(...)
#define __out_ecount_opt(...)
#define __out_bcount_part(...)
#define __out_ecount_part(...)
#define __inout_bcount(...)
#define __inout_ecount(...)
#define __deref_out_bcount(...)
#define __deref_out_ecount(...)
#define __field_bcount(...)
#define __field_ecount(...)

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
/* Through offsetof: the WDK's spelling, a member of a null pointer, is undefined behaviour
 * that UBSan reports (e.g. for a member of an anonymous struct), a false finding on correct
 * driver code. */
#define CONTAINING_RECORD(address, type, field) ((type *)((PCHAR)(address) - offsetof(type, field)))
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

/* ---- Types and limits of ntdef.h ----------------------------------------------------- */
typedef char CCHAR, *PCCHAR;
typedef short CSHORT, *PCSHORT;
typedef ULONG CLONG, *PCLONG;
typedef GUID *LPGUID;
typedef const GUID *LPCGUID;
typedef GUID IID, CLSID, *LPIID, *LPCLSID;
#ifdef __cplusplus
#define REFGUID const GUID &
#define REFIID const IID &
#else
#define REFGUID const GUID *
#define REFIID const IID *
#endif

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)
#define MINCHAR 0x80
#define MAXCHAR 0x7f
#define MINSHORT 0x8000
#define MAXSHORT 0x7fff
#define MINLONG 0x80000000
#define MAXLONG 0x7fffffff
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffff
#define MAXLONGLONG (0x7fffffffffffffffLL)
#define MINLONGLONG ((LONGLONG)~MAXLONGLONG)
#define MAXULONGLONG ((ULONGLONG)~((ULONGLONG)0))
#define MAXBYTE 0xff
#define MAXWORD 0xffff
#define MAXDWORD 0xffffffff
#define MAXUINT ((UINT)~((UINT)0))
#define MAXINT ((INT)(MAXUINT >> 1))
#define MININT ((INT)~MAXINT)
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))
#define MINLONG_PTR (~MAXLONG_PTR)
#define MAXSIZE_T ((SIZE_T)~((SIZE_T)0))
#define MAXSSIZE_T ((SSIZE_T)(MAXSIZE_T >> 1))
#define MAXUINT8 ((UINT8)~((UINT8)0))
#define MAXUINT16 ((UINT16)~((UINT16)0))
#define MAXUINT32 ((UINT32)~((UINT32)0))
#define MAXUINT64 ((UINT64)~((UINT64)0))
#define MAXINT8 ((INT8)(MAXUINT8 >> 1))
#define MAXINT16 ((INT16)(MAXUINT16 >> 1))
#define MAXINT32 ((INT32)(MAXUINT32 >> 1))
#define MAXINT64 ((INT64)(MAXUINT64 >> 1))

/* min / max as ntdef.h (and windef.h) define them, unless NOMINMAX. They evaluate an
 * argument twice, as the WDK's do. */
#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

/* ---- Flags, alignment, fields (ntdef.h, ntifs.h) ---------------------------------------- */
#ifndef FlagOn
#define FlagOn(_F, _SF) ((_F) & (_SF))
#endif
#ifndef BooleanFlagOn
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#endif
#ifndef SetFlag
#define SetFlag(_F, _SF) ((_F) |= (_SF))
#endif
#ifndef ClearFlag
#define ClearFlag(_F, _SF) ((_F) &= ~(_SF))
#endif
#define IS_ALIGNED(_pointer, _alignment) ((((ULONG_PTR)(_pointer)) & ((_alignment) - 1)) == 0)
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_DOWN_POINTER_BY(address, alignment) \
    ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment) \
    (ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define ALIGN_DOWN_POINTER(address, type) ALIGN_DOWN_POINTER_BY(address, sizeof(type))
#define ALIGN_UP_POINTER(address, type) ALIGN_UP_POINTER_BY(address, sizeof(type))
#define ROUND_TO_SIZE(_length, _alignment) \
    ((((ULONG_PTR)(_length)) + ((_alignment) - 1)) & ~(ULONG_PTR)((_alignment) - 1))
#define RTL_FIELD_TYPE(type, field) (((type *)0)->field)
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_CONTAINS_FIELD(Struct, Size, Field) \
    ((((PCHAR)(&(Struct)->Field)) + sizeof((Struct)->Field)) <= (((PCHAR)(Struct)) + (Size)))
#define RTL_NUMBER_OF_V1(A) (sizeof(A) / sizeof((A)[0]))
#define RTL_NUMBER_OF_V2(A) RTL_NUMBER_OF_V1(A)
#define RTL_NUMBER_OF_FIELD(type, field) (RTL_NUMBER_OF(RTL_FIELD_TYPE(type, field)))
#define _ARRAYSIZE(A) RTL_NUMBER_OF_V1(A)
/* A compile-time assertion that may appear more than once in a scope. */
#ifdef __cplusplus
#define C_ASSERT(e) static_assert((e), "C_ASSERT(" #e ")")
#else
#define C_ASSERT(e) _Static_assert((e), "C_ASSERT(" #e ")")
#endif

/* ---- Target versions (sdkddkver.h): the newest Windows the model knows (L-12) ----------- */
#define NTDDI_WIN2K 0x05000000
#define NTDDI_WIN2KSP1 0x05000100
#define NTDDI_WIN2KSP2 0x05000200
#define NTDDI_WIN2KSP3 0x05000300
#define NTDDI_WIN2KSP4 0x05000400
#define NTDDI_WINXP 0x05010000
#define NTDDI_WINXPSP1 0x05010100
#define NTDDI_WINXPSP2 0x05010200
#define NTDDI_WINXPSP3 0x05010300
#define NTDDI_WINXPSP4 0x05010400
#define NTDDI_WS03 0x05020000
#define NTDDI_WS03SP1 0x05020100
#define NTDDI_WS03SP2 0x05020200
#define NTDDI_WS03SP3 0x05020300
#define NTDDI_WS03SP4 0x05020400
#define NTDDI_WIN6 0x06000000
#define NTDDI_WIN6SP1 0x06000100
#define NTDDI_WIN6SP2 0x06000200
#define NTDDI_WIN6SP3 0x06000300
#define NTDDI_WIN6SP4 0x06000400
#define NTDDI_VISTA NTDDI_WIN6
#define NTDDI_VISTASP1 NTDDI_WIN6SP1
#define NTDDI_VISTASP2 NTDDI_WIN6SP2
#define NTDDI_VISTASP3 NTDDI_WIN6SP3
#define NTDDI_VISTASP4 NTDDI_WIN6SP4
#define NTDDI_LONGHORN NTDDI_VISTA
#define NTDDI_WS08 NTDDI_WIN6SP1
#define NTDDI_WS08SP2 NTDDI_WIN6SP2
#define NTDDI_WS08SP3 NTDDI_WIN6SP3
#define NTDDI_WS08SP4 NTDDI_WIN6SP4
#define NTDDI_WIN7 0x06010000
#define NTDDI_WIN8 0x06020000
#define NTDDI_WINBLUE 0x06030000
#define NTDDI_WINTHRESHOLD 0x0A000000
#define NTDDI_WIN10 0x0A000000
#define NTDDI_WIN10_TH2 0x0A000001
#define NTDDI_WIN10_RS1 0x0A000002
#define NTDDI_WIN10_RS2 0x0A000003
#define NTDDI_WIN10_RS3 0x0A000004
#define NTDDI_WIN10_RS4 0x0A000005
#define NTDDI_WIN10_RS5 0x0A000006
#define NTDDI_WIN10_19H1 0x0A000007
#define NTDDI_WIN10_VB 0x0A000008
#define NTDDI_WIN10_MN 0x0A000009
#define NTDDI_WIN10_FE 0x0A00000A
#define NTDDI_WIN10_CO 0x0A00000B
#define NTDDI_WIN10_NI 0x0A00000C
#define NTDDI_WIN10_CU 0x0A00000D
#define NTDDI_WIN11_ZN 0x0A00000E
#define NTDDI_WIN11_GA 0x0A00000F
#define NTDDI_WIN11_GE 0x0A000010
#define WDK_NTDDI_VERSION NTDDI_WIN11_GE
#define OSVERSION_MASK 0xFFFF0000U
#define SPVERSION_MASK 0x0000FF00
#define SUBVERSION_MASK 0x000000FF
#define OSVER(Version) ((Version) & OSVERSION_MASK)
#define SPVER(Version) (((Version) & SPVERSION_MASK) >> 8)
#define SUBVER(Version) (((Version) & SUBVERSION_MASK))
#define NTDDI_VERSION_FROM_WIN32_WINNT2(ver) ver##0000
#define NTDDI_VERSION_FROM_WIN32_WINNT(ver) NTDDI_VERSION_FROM_WIN32_WINNT2(ver)
#define _WIN32_WINNT_NT4 0x0400
#define _WIN32_WINNT_WIN2K 0x0500
#define _WIN32_WINNT_WINXP 0x0501
#define _WIN32_WINNT_WS03 0x0502
#define _WIN32_WINNT_WIN6 0x0600
#define _WIN32_WINNT_VISTA 0x0600
#define _WIN32_WINNT_WS08 0x0600
#define _WIN32_WINNT_LONGHORN 0x0600
#define _WIN32_WINNT_WIN7 0x0601
#define _WIN32_WINNT_WIN8 0x0602
#define _WIN32_WINNT_WINBLUE 0x0603
#define _WIN32_WINNT_WINTHRESHOLD 0x0A00
#define _WIN32_WINNT_WIN10 0x0A00
#ifndef NTDDI_VERSION
#define NTDDI_VERSION WDK_NTDDI_VERSION
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT (NTDDI_VERSION >> 16)
#endif
#ifndef WINVER
#define WINVER _WIN32_WINNT
#endif
/* _WIN64 as the 64-bit WDK compilers define it (_WIN32 is left alone: host headers test it). */
#if (defined(_AMD64_) || defined(_ARM64_)) && !defined(_WIN64)
#define _WIN64 1
#endif

/* ---- DBG, assertions, paged code (L-14 to L-16) ----------------------------------------- */
/* DBG is 1 (a checked build: every assertion is checked) unless the driver's build defines
 * it; DBG 0 gives a free build's assertions, which are not evaluated at all. */
#ifndef DBG
#define DBG 1
#endif
NTSYSAPI VOID RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber, PSTR Message);
#define KF__ASSERT(e, msg) ((e) ? (void)0 : RtlAssert((PVOID) #e, (PVOID)__FILE__, __LINE__, (PSTR)(msg)))
#define KF__VERIFY(e, msg) \
    ((e) ? TRUE : (RtlAssert((PVOID) #e, (PVOID)__FILE__, __LINE__, (PSTR)(msg)), FALSE))
#if DBG
#define ASSERT(e) KF__ASSERT(e, NULL)
#define ASSERTMSG(msg, e) KF__ASSERT(e, msg)
#define RTL_SOFT_ASSERT(e) KF__ASSERT(e, NULL)
#define RTL_SOFT_ASSERTMSG(msg, e) KF__ASSERT(e, msg)
#define NT_ASSERT(e) KF__ASSERT(e, NULL)
#define NT_ASSERTMSG(msg, e) KF__ASSERT(e, msg)
#define NT_ASSERTMSGW(msg, e) KF__ASSERT(e, NULL)
#define NT_ASSERT_ASSUME(e) KF__ASSERT(e, NULL)
#define NT_ASSERT_NOASSUME(e) KF__ASSERT(e, NULL)
#define NT_ASSERTMSG_ASSUME(msg, e) KF__ASSERT(e, msg)
#define NT_ASSERTMSG_NOASSUME(msg, e) KF__ASSERT(e, msg)
#define NT_VERIFY(e) KF__VERIFY(e, NULL)
#define NT_VERIFYMSG(msg, e) KF__VERIFY(e, msg)
#define NT_VERIFYMSGW(msg, e) KF__VERIFY(e, NULL)
#else
#define ASSERT(e) ((void)0)
#define ASSERTMSG(msg, e) ((void)0)
#define RTL_SOFT_ASSERT(e) ((void)0)
#define RTL_SOFT_ASSERTMSG(msg, e) ((void)0)
#define NT_ASSERT(e) ((void)0)
#define NT_ASSERTMSG(msg, e) ((void)0)
#define NT_ASSERTMSGW(msg, e) ((void)0)
#define NT_ASSERT_ASSUME(e) ((void)0)
#define NT_ASSERT_NOASSUME(e) ((void)0)
#define NT_ASSERTMSG_ASSUME(msg, e) ((void)0)
#define NT_ASSERTMSG_NOASSUME(msg, e) ((void)0)
/* NT_VERIFY evaluates its expression in every build. */
#define NT_VERIFY(e) ((e) ? TRUE : FALSE)
#define NT_VERIFYMSG(msg, e) ((e) ? TRUE : FALSE)
#define NT_VERIFYMSGW(msg, e) ((e) ? TRUE : FALSE)
#endif
/* Checked in every build, as its name says. */
#define NT_FRE_ASSERT(e) KF__ASSERT(e, NULL)
#define NT_FRE_ASSERTMSG(msg, e) KF__ASSERT(e, msg)
#define PAGED_ASSERT(e) NT_ASSERT(e)

/* A pageable function entered above APC_LEVEL: what Driver Verifier's IRQL checking catches
 * (bug check DRIVER_IRQL_NOT_LESS_OR_EQUAL, naming the function), whatever DBG says.
 * PAGED_CODE_LOCKED marks pageable code the driver has locked into memory, which may run at
 * any IRQL: it checks nothing. */
VOID kf_paged_code(const char *Function);
#define PAGED_CODE() kf_paged_code(__func__)
#define PAGED_CODE_LOCKED() ((void)0)
#define NOP_FUNCTION ((void)0)

/* The sections of #pragma alloc_text / data_seg do not exist in a user-mode build; the
 * samples guard those pragmas with ALLOC_PRAGMA / ALLOC_DATA_PRAGMA, which stay undefined. */

/* ---- GUIDs (guiddef.h: DEFINE_GUID follows INITGUID each time it is included) ---------- */
#define IsEqualGUID(rguid1, rguid2) (!memcmp((rguid1), (rguid2), sizeof(GUID)))
#define IsEqualIID(riid1, riid2) IsEqualGUID(riid1, riid2)
static inline int InlineIsEqualGUID(const GUID *rguid1, const GUID *rguid2)
{
    const ULONG *a = (const ULONG *)(const void *)rguid1, *b = (const ULONG *)(const void *)rguid2;
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* ---- ntdef.h: neutral ANSI / Unicode character types (Unicode when UNICODE is defined) and the
 * OEM string ---------------------------------------------------------------------------------- */
#ifndef KF_HAVE_TCHAR
#define KF_HAVE_TCHAR 1
#ifdef UNICODE
typedef WCHAR TCHAR, *PTCHAR;
typedef WCHAR TUCHAR, *PTUCHAR;
#else
typedef char TCHAR, *PTCHAR;
typedef unsigned char TUCHAR, *PTUCHAR;
#endif
#endif
#ifndef ANYSIZE_ARRAY
#define ANYSIZE_ARRAY 1
#endif
#ifndef KF_HAVE_OEM_STRING
#define KF_HAVE_OEM_STRING 1
typedef STRING OEM_STRING, *POEM_STRING;
typedef const STRING *PCOEM_STRING;
#endif

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NT_BASE_H */
#include "../guiddef.h"
