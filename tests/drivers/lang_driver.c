/*
 * lang_driver.c - a driver-style source file for the language of driver code (SEMANTICS.md
 * L-10 to L-17): it sees only WDK headers, uses the WDK's #pragma forms, every SAL
 * annotation kfault defines, the old SEH keywords, PAGED_CODE and the common macros, and is
 * built with -Wall -Wextra -Wimplicit-fallthrough -Werror: being built warning-free is half
 * of its test, test_lang checks what its routines compute.
 */
#include <ntifs.h>
#include <dontuse.h>
#include <suppress.h>
#include <ntdef.h>
#include <windef.h>
#include <excpt.h>
#include <sehmap.h>
#include <initguid.h>
#include "lang_driver.h"

#pragma prefast(disable: __WARNING_ENCODE_MEMBER_FUNCTION_POINTER, "kernel-mode code")
#pragma warning(push)
#pragma warning(disable: 4127 4201)
#pragma warning(pop)
#pragma code_seg("PAGE")
#pragma code_seg()
#pragma data_seg("NONPAGED")
#pragma data_seg()
#pragma alloc_text(PAGE, LangPagedRoutine)
#pragma alloc_text(INIT, LangMacros)
#pragma optimize("", on)
#pragma intrinsic(memcpy)
#pragma prefast(suppress: 28175, "a structure member the driver may touch")

#define LANG_QUIET(x) __pragma(warning(suppress: 4127)) x

#ifdef ALLOC_PRAGMA
#error "ALLOC_PRAGMA must stay undefined in a kfault build"
#endif

typedef struct _LANG_RECORD {
    CSHORT Type;
    CSHORT Size;
    ULONG Flags;
    UCHAR Name[6];
    ULONG Tail;
} LANG_RECORD, *PLANG_RECORD;

C_ASSERT(sizeof(CSHORT) == 2);
C_ASSERT(sizeof(UNICODE_NULL) == 2);
C_ASSERT(RTL_SIZEOF_THROUGH_FIELD(LANG_RECORD, Flags) == 8);
C_ASSERT(RTL_NUMBER_OF_FIELD(LANG_RECORD, Name) == 6);

static DECLSPEC_CACHEALIGN LONG LangAligned;
static LONG LangLock POINTER_ALIGNMENT;

FORCEINLINE ULONG LangDouble(_In_ ULONG Value) { return Value * 2; }

EXTERN_C ULONG LangExternC(VOID);
ULONG LangExternC(VOID) { return 5; }

/* Every annotation of L-10 once (generated from the list in kfault/nt_base.h). */
VOID LangAnnotatedObjectLike(
    _In_
    _In_opt_
    _In_z_
    _In_opt_z_
    _Inout_
    _Inout_opt_
    _Inout_z_
    _Inout_opt_z_
    _Out_
    _Out_opt_
    _Outptr_
    _Outptr_opt_
    _Outptr_result_maybenull_
    _Outptr_opt_result_maybenull_
    _Outptr_result_nullonfailure_
    _Outptr_opt_result_nullonfailure_
    _Outptr_result_z_
    _Outptr_opt_result_z_
    _Outptr_result_maybenull_z_
    _Outptr_opt_result_maybenull_z_
    _COM_Outptr_
    _COM_Outptr_opt_
    _COM_Outptr_result_maybenull_
    _COM_Outptr_opt_result_maybenull_
    _Outref_
    _Outref_result_maybenull_
    _Outref_result_nullonfailure_
    _Ret_maybenull_
    _Ret_notnull_
    _Ret_null_
    _Ret_z_
    _Ret_maybenull_z_
    _Ret_notnull_z_
    _Ret_valid_
    _Ret_opt_valid_
    _Must_inspect_result_
    _Check_return_
    _Use_decl_annotations_
    _Reserved_
    _Frees_ptr_
    _Frees_ptr_opt_
    _Post_invalid_
    _Pre_invalid_
    _Post_ptr_invalid_
    _Null_terminated_
    _NullNull_terminated_
    _Printf_format_string_
    _Scanf_format_string_
    _Pre_notnull_
    _Pre_maybenull_
    _Pre_null_
    _Pre_valid_
    _Pre_opt_valid_
    _Pre_z_
    _Pre_opt_z_
    _Pre_readonly_
    _Pre_writable_
    _Pre_defensive_
    _Post_defensive_
    _Post_notnull_
    _Post_null_
    _Post_maybenull_
    _Post_valid_
    _Post_z_
    _Post_maybez_
    _Notnull_
    _Maybenull_
    _Null_
    _Valid_
    _Notvalid_
    _Maybevalid_
    _Const_
    _Literal_
    _Notliteral_
    _Points_to_data_
    _Notref_
    _Deref_out_
    _Deref_out_opt_
    _Deref_opt_out_
    _Deref_opt_out_opt_
    _Deref_out_z_
    _Deref_opt_out_z_
    _Deref_inout_z_
    _Deref_pre_z_
    _Deref_post_z_
    _Deref_pre_maybenull_
    _Deref_post_maybenull_
    _Deref_pre_null_
    _Deref_post_null_
    _Deref_pre_notnull_
    _Deref_post_notnull_
    _Deref_pre_valid_
    _Deref_post_valid_
    _Deref_post_opt_valid_
    _Deref_pre_invalid_
    _Deref_post_invalid_
    _Deref_ret_z_
    _Deref_pre_readonly_
    _Deref2_pre_readonly_
    _Deref_in_bound_
    _Deref_out_bound_
    _Deref_inout_bound_
    _Deref_ret_bound_
    _In_bound_
    _Out_bound_
    _Ret_bound_
    _Unreferenced_parameter_
    _Flt_CompletionContext_Outptr_
    _Flt_ConnectionCookie_Outptr_
    _Global_critical_region_
    _Global_cancel_spin_lock_
    _Global_interlock_
    _Global_priority_region_
    _Curr_
    _Interlocked_operand_
    _Requires_no_locks_held_
    _No_competing_thread_
    _Analysis_noreturn_
    _Strict_type_match_
    _Enum_is_bitflag_
    _Maybe_raises_SEH_exception_
    _Raises_SEH_exception_
    _Field_z_
    _Kernel_float_saved_
    _Kernel_float_restored_
    _Kernel_float_used_
    _Kernel_IoGetDmaAdapter_
    _IRQL_requires_same_
    _IRQL_saves_
    _IRQL_restores_
    _IRQL_is_cancel_
    _IRQL_uses_cancel_
    _Lock_kind_mutex_
    _Lock_kind_event_
    _Lock_kind_semaphore_
    _Lock_kind_spin_lock_
    _Lock_kind_critical_section_
    _Callback_
    _Inout_cap_c_one_
    _Ret_writes_maybenull_z_
    _Post_equal_to_this_
    __drv_sameIRQL
    __drv_savesIRQL
    __drv_restoresIRQL
    __drv_aliasesMem
    __drv_inTry
    __drv_notInTry
    __drv_isObjectPointer
    __drv_dispatchType_other
    __drv_acquiresCancelSpinLock
    __drv_releasesCancelSpinLock
    __drv_mustHoldCancelSpinLock
    __drv_neverHoldCancelSpinLock
    __drv_acquiresCriticalRegion
    __drv_releasesCriticalRegion
    __drv_mustHoldCriticalRegion
    __drv_neverHoldCriticalRegion
    __drv_acquiresPriorityRegion
    __drv_releasesPriorityRegion
    __drv_mustHoldPriorityRegion
    __drv_neverHoldPriorityRegion
    __drv_floatSaved
    __drv_floatRestored
    __drv_floatUsed
    __drv_interlocked
    __drv_constant
    __drv_nonConstant
    __drv_useCancelIRQL
    __drv_IoGetDmaAdapter
    __drv_typeConst
    __drv_typeCond
    __drv_typeBitset
    __drv_typeExpr
    __drv_maxFunctionIRQL
    __drv_minFunctionIRQL
    __in
    __in_opt
    __out
    __out_opt
    __inout
    __inout_opt
    __deref_out
    __deref_out_opt
    __checkReturn
    PVOID Parameter);
VOID LangAnnotatedFunctionLike(
    _In_reads_(Count, 1)
    _In_reads_opt_(Count, 1)
    _In_reads_bytes_(Count, 1)
    _In_reads_bytes_opt_(Count, 1)
    _In_reads_z_(Count, 1)
    _In_reads_opt_z_(Count, 1)
    _In_reads_or_z_(Count, 1)
    _In_reads_or_z_opt_(Count, 1)
    _In_reads_to_ptr_(Count, 1)
    _In_reads_to_ptr_opt_(Count, 1)
    _In_reads_to_ptr_z_(Count, 1)
    _In_reads_to_ptr_opt_z_(Count, 1)
    _Out_writes_(Count, 1)
    _Out_writes_opt_(Count, 1)
    _Out_writes_bytes_(Count, 1)
    _Out_writes_bytes_opt_(Count, 1)
    _Out_writes_z_(Count, 1)
    _Out_writes_opt_z_(Count, 1)
    _Out_writes_to_(Count, 1)
    _Out_writes_to_opt_(Count, 1)
    _Out_writes_all_(Count, 1)
    _Out_writes_all_opt_(Count, 1)
    _Out_writes_bytes_to_(Count, 1)
    _Out_writes_bytes_to_opt_(Count, 1)
    _Out_writes_bytes_all_(Count, 1)
    _Out_writes_bytes_all_opt_(Count, 1)
    _Out_writes_to_ptr_(Count, 1)
    _Out_writes_to_ptr_opt_(Count, 1)
    _Out_writes_to_ptr_z_(Count, 1)
    _Out_writes_to_ptr_opt_z_(Count, 1)
    _Inout_updates_(Count, 1)
    _Inout_updates_opt_(Count, 1)
    _Inout_updates_z_(Count, 1)
    _Inout_updates_opt_z_(Count, 1)
    _Inout_updates_to_(Count, 1)
    _Inout_updates_to_opt_(Count, 1)
    _Inout_updates_all_(Count, 1)
    _Inout_updates_all_opt_(Count, 1)
    _Inout_updates_bytes_(Count, 1)
    _Inout_updates_bytes_opt_(Count, 1)
    _Inout_updates_bytes_to_(Count, 1)
    _Inout_updates_bytes_to_opt_(Count, 1)
    _Inout_updates_bytes_all_(Count, 1)
    _Inout_updates_bytes_all_opt_(Count, 1)
    _Outptr_result_buffer_(Count, 1)
    _Outptr_opt_result_buffer_(Count, 1)
    _Outptr_result_buffer_to_(Count, 1)
    _Outptr_opt_result_buffer_to_(Count, 1)
    _Outptr_result_buffer_all_(Count, 1)
    _Outptr_opt_result_buffer_all_(Count, 1)
    _Outptr_result_buffer_maybenull_(Count, 1)
    _Outptr_opt_result_buffer_maybenull_(Count, 1)
    _Outptr_result_buffer_to_maybenull_(Count, 1)
    _Outptr_opt_result_buffer_to_maybenull_(Count, 1)
    _Outptr_result_buffer_all_maybenull_(Count, 1)
    _Outptr_opt_result_buffer_all_maybenull_(Count, 1)
    _Outptr_result_bytebuffer_(Count, 1)
    _Outptr_opt_result_bytebuffer_(Count, 1)
    _Outptr_result_bytebuffer_to_(Count, 1)
    _Outptr_opt_result_bytebuffer_to_(Count, 1)
    _Outptr_result_bytebuffer_all_(Count, 1)
    _Outptr_opt_result_bytebuffer_all_(Count, 1)
    _Outptr_result_bytebuffer_maybenull_(Count, 1)
    _Outptr_opt_result_bytebuffer_maybenull_(Count, 1)
    _Outptr_result_bytebuffer_to_maybenull_(Count, 1)
    _Outptr_opt_result_bytebuffer_to_maybenull_(Count, 1)
    _Outptr_result_bytebuffer_all_maybenull_(Count, 1)
    _Outptr_opt_result_bytebuffer_all_maybenull_(Count, 1)
    _Ret_writes_(Count, 1)
    _Ret_writes_z_(Count, 1)
    _Ret_writes_maybenull_(Count, 1)
    _Ret_writes_bytes_(Count, 1)
    _Ret_writes_bytes_maybenull_(Count, 1)
    _Ret_writes_to_(Count, 1)
    _Ret_writes_bytes_to_(Count, 1)
    _Ret_writes_to_maybenull_(Count, 1)
    _Ret_writes_bytes_to_maybenull_(Count, 1)
    _Ret_reallocated_bytes_(Count, 1)
    _Ret_range_(Count, 1)
    _Post_writable_byte_size_(Count, 1)
    _Post_writable_size_(Count, 1)
    _Post_readable_byte_size_(Count, 1)
    _Post_readable_size_(Count, 1)
    _Pre_writable_byte_size_(Count, 1)
    _Pre_writable_size_(Count, 1)
    _Pre_readable_byte_size_(Count, 1)
    _Pre_readable_size_(Count, 1)
    _Field_size_(Count, 1)
    _Field_size_opt_(Count, 1)
    _Field_size_bytes_(Count, 1)
    _Field_size_bytes_opt_(Count, 1)
    _Field_size_part_(Count, 1)
    _Field_size_part_opt_(Count, 1)
    _Field_size_bytes_part_(Count, 1)
    _Field_size_bytes_part_opt_(Count, 1)
    _Field_size_full_(Count, 1)
    _Field_size_full_opt_(Count, 1)
    _Field_size_bytes_full_(Count, 1)
    _Field_size_bytes_full_opt_(Count, 1)
    _Field_range_(Count, 1)
    _Struct_size_bytes_(Count, 1)
    _Readable_bytes_(Count, 1)
    _Readable_elements_(Count, 1)
    _Writable_bytes_(Count, 1)
    _Writable_elements_(Count, 1)
    _Deref_out_range_(Count, 1)
    _Deref_in_range_(Count, 1)
    _Deref_inout_range_(Count, 1)
    _Deref_ret_range_(Count, 1)
    _In_range_(Count, 1)
    _Out_range_(Count, 1)
    _Pre_equal_to_(Count, 1)
    _Post_equal_to_(Count, 1)
    _Pre_satisfies_(Count, 1)
    _Post_satisfies_(Count, 1)
    _Satisfies_(Count, 1)
    _Unchanged_(Count, 1)
    _Old_(Count, 1)
    _Analysis_assume_(Count, 1)
    _Analysis_mode_(Count, 1)
    _Success_(Count, 1)
    _Return_type_success_(Count, 1)
    _Always_(Count, 1)
    _On_failure_(Count, 1)
    _When_(Count, 1)
    _At_(Count, 1)
    _At_buffer_(Count, 1)
    _Group_(Count, 1)
    _Inexpressible_(Count, 1)
    _In_defensive_(Count, 1)
    _Out_defensive_(Count, 1)
    _Inout_defensive_(Count, 1)
    _Printf_format_string_params_(Count, 1)
    _Scanf_format_string_params_(Count, 1)
    _Called_from_function_class_(Count, 1)
    _Function_class_(Count, 1)
    _Dispatch_type_(Count, 1)
    _Guarded_by_(Count, 1)
    _Write_guarded_by_(Count, 1)
    _Requires_lock_held_(Count, 1)
    _Requires_lock_not_held_(Count, 1)
    _Requires_exclusive_lock_held_(Count, 1)
    _Requires_shared_lock_held_(Count, 1)
    _Acquires_lock_(Count, 1)
    _Acquires_exclusive_lock_(Count, 1)
    _Acquires_shared_lock_(Count, 1)
    _Releases_lock_(Count, 1)
    _Releases_exclusive_lock_(Count, 1)
    _Releases_shared_lock_(Count, 1)
    _Acquires_nonreentrant_lock_(Count, 1)
    _Releases_nonreentrant_lock_(Count, 1)
    _Post_same_lock_(Count, 1)
    _Create_lock_level_(Count, 1)
    _Has_lock_kind_(Count, 1)
    _Has_lock_level_(Count, 1)
    _Lock_level_order_(Count, 1)
    _Analysis_assume_lock_held_(Count, 1)
    _Analysis_assume_lock_not_held_(Count, 1)
    _Analysis_assume_lock_acquired_(Count, 1)
    _Analysis_assume_lock_released_(Count, 1)
    _Analysis_assume_same_lock_(Count, 1)
    _Analysis_assume_nullterminated_(Count, 1)
    _Kernel_requires_resource_held_(Count, 1)
    _Kernel_requires_resource_not_held_(Count, 1)
    _Kernel_acquires_resource_(Count, 1)
    _Kernel_releases_resource_(Count, 1)
    _Kernel_clear_do_init_(Count, 1)
    _IRQL_requires_(Count, 1)
    _IRQL_requires_max_(Count, 1)
    _IRQL_requires_min_(Count, 1)
    _IRQL_raises_(Count, 1)
    _IRQL_saves_global_(Count, 1)
    _IRQL_restores_global_(Count, 1)
    _IRQL_always_function_max_(Count, 1)
    _IRQL_always_function_min_(Count, 1)
    _Deref_in_bound_size_(Count, 1)
    _Deref_out_bound_size_(Count, 1)
    _Pre_bytecap_(Count, 1)
    _Pre_cap_(Count, 1)
    _Post_bytecap_(Count, 1)
    _Post_cap_(Count, 1)
    __drv_reportError(Count, 1)
    __drv_maxIRQL(Count, 1)
    __drv_minIRQL(Count, 1)
    __drv_setsIRQL(Count, 1)
    __drv_requiresIRQL(Count, 1)
    __drv_raisesIRQL(Count, 1)
    __drv_savesIRQLGlobal(Count, 1)
    __drv_restoresIRQLGlobal(Count, 1)
    __drv_when(Count, 1)
    __drv_allocatesMem(Count, 1)
    __drv_freesMem(Count, 1)
    __drv_arg(Count, 1)
    __drv_in(Count, 1)
    __drv_out(Count, 1)
    __drv_deref(Count, 1)
    __drv_in_deref(Count, 1)
    __drv_out_deref(Count, 1)
    __drv_at(Count, 1)
    __drv_dispatchType(Count, 1)
    __drv_completionType(Count, 1)
    __drv_functionClass(Count, 1)
    __drv_valueIs(Count, 1)
    __drv_strictType(Count, 1)
    __drv_strictTypeMatch(Count, 1)
    __drv_acquiresResource(Count, 1)
    __drv_releasesResource(Count, 1)
    __drv_mustHold(Count, 1)
    __drv_neverHold(Count, 1)
    __drv_acquiresExclusiveResource(Count, 1)
    __drv_releasesExclusiveResource(Count, 1)
    __drv_acquiresResourceGlobal(Count, 1)
    __drv_releasesResourceGlobal(Count, 1)
    __drv_mustHoldGlobal(Count, 1)
    __drv_neverHoldGlobal(Count, 1)
    __drv_preferredFunction(Count, 1)
    __drv_unit(Count, 1)
    __drv_formatString(Count, 1)
    __drv_clearDoInit(Count, 1)
    __drv_innerMustHoldGlobal(Count, 1)
    __drv_innerNeverHoldGlobal(Count, 1)
    __drv_innerAcquiresGlobal(Count, 1)
    __drv_innerReleasesGlobal(Count, 1)
    __drv_declspec(Count, 1)
    __drv_Mode_impl(Count, 1)
    __drv_defined(Count, 1)
    __drv_nop(Count, 1)
    __in_bcount(Count, 1)
    __in_ecount(Count, 1)
    __in_bcount_opt(Count, 1)
    __in_ecount_opt(Count, 1)
    __out_bcount(Count, 1)
    __out_ecount(Count, 1)
    __out_bcount_opt(Count, 1)
    __out_ecount_opt(Count, 1)
    __out_bcount_part(Count, 1)
    __out_ecount_part(Count, 1)
    __inout_bcount(Count, 1)
    __inout_ecount(Count, 1)
    __deref_out_bcount(Count, 1)
    __deref_out_ecount(Count, 1)
    __field_bcount(Count, 1)
    __field_ecount(Count, 1)
    PVOID Parameter, ULONG Count);

VOID LangAnnotatedObjectLike(PVOID Parameter) { UNREFERENCED_PARAMETER(Parameter); }
VOID LangAnnotatedFunctionLike(PVOID Parameter, ULONG Count)
{
    DBG_UNREFERENCED_PARAMETER(Parameter);
    UNREFERENCED_PARAMETER(Count);
}

_IRQL_requires_max_(PASSIVE_LEVEL)
_Must_inspect_result_
ULONG LangMacros(VOID)
{
    LANG_RECORD record;
    ULONG sum = 0, flags = 0;
    GUID copy = GUID_LANG_TEST_DRIVER;
    DBG_UNREFERENCED_LOCAL_VARIABLE(record);

    RtlZeroMemory(&record, sizeof record);
    SetFlag(flags, 0x11);
    ClearFlag(flags, 0x01);
    sum += FlagOn(flags, 0x10) ? 1 : 0;                           /* 1 */
    sum += BooleanFlagOn(flags, 0x01) ? 100 : 2;                  /* 3 */
    sum += min(7u, 9u) + max(7u, 9u);                             /* 19 */
    sum += IS_ALIGNED(&LangAligned, SYSTEM_CACHE_ALIGNMENT_SIZE) ? 10 : 1000; /* 29 */
    sum += IS_ALIGNED(&LangLock, sizeof(LONG)) ? 10 : 1000;       /* 39 */
    sum += (ULONG)ALIGN_UP_BY(13, 8) + (ULONG)ALIGN_DOWN_BY(13, 8) + (ULONG)ALIGN_UP(5, ULONG); /* 39+16+8+8 = 71 */
    sum += (ULONG)ROUND_TO_SIZE(17, 16);                          /* 103 */
    sum += MAXUCHAR == 0xFF && MAXUSHORT == 0xFFFF && MAXULONG == 0xFFFFFFFFu && MAXLONG == 0x7FFFFFFF ? 1 : 1000; /* 104 */
    sum += UNICODE_NULL == 0 && ANSI_NULL == 0 ? 1 : 1000;        /* 105 */
    sum += (NTDDI_VERSION >= NTDDI_WIN10) ? 1 : 1000;              /* 106 */
    sum += IsEqualGUID(&copy, &GUID_LANG_TEST_DRIVER) ? 1 : 1000; /* 107 */
    sum += LangDouble(LangExternC());                             /* 117 */
    sum += NT_VERIFY(sum == 117) ? 1 : 1000;                      /* 118 */
    NT_ASSERT(sum == 118);
    NT_ASSERTMSG("never fails", TRUE);
    LANG_QUIET(sum += 2;)                                         /* 120 */
    NOTHING;
    return sum;
}

ULONG LangPagedRoutine(ULONG Value)
{
    PAGED_CODE();
    return Value + 1;
}

NTSTATUS LangKeywordSeh(BOOLEAN Raise, PULONG Finals)
{
    volatile NTSTATUS status = STATUS_SUCCESS;
    try {
        try {
            if (!Raise)
                leave;
            ExRaiseStatus(STATUS_FILE_CORRUPT_ERROR);
        } finally {
            (*Finals)++;
            if (AbnormalTermination())
                (*Finals) += 10;
        }
    } except (GetExceptionCode() == STATUS_FILE_CORRUPT_ERROR ? EXCEPTION_EXECUTE_HANDLER
                                                              : EXCEPTION_CONTINUE_SEARCH) {
        status = GetExceptionCode();
    }
    return status;
}

ULONG LangFallThrough(ULONG Kind)
{
    ULONG n = 0;
    switch (Kind) {
    case 0:
        n++;
        __fallthrough;
    case 1:
        n++;
        _Fallthrough_;
    case 2:
        n++;
        break;
    default:
        break;
    }
    return n;
}
