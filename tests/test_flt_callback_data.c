/*
 * test_flt_callback_data.c - the life cycle of callback data: FltAllocateCallbackData(Ex),
 * FltFreeCallbackData, FltReuseCallbackData, leaks and reset. Rules F-6 to F-13, F-16 and
 * F-17 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

static FILE_OBJECT file_a, file_b;

/* ---- F-6 availability ------------------------------------------------------------------------ */

static void alloc_ex_on_instance(void *a)
{
    PFLT_CALLBACK_DATA d;
    (void)FltAllocateCallbackDataEx((PFLT_INSTANCE)a, NULL, 0, &d);
}
TEST(allocate_ex_only_from_win7)
{
    static const char *const before[] = {"ws03-amd64", "vista-x86", "vista-amd64"};
    static const char *const after[] = {"win7-x86", "win8-arm", "win10-arm64", "win11-amd64"};
    for (size_t i = 0; i < 3; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "profile=%s", before[i]);
        kft_options(opt);
        fx_fresh();
        PFLT_INSTANCE inst = fx_start();
        CHECK(fx_violation(alloc_ex_on_instance, inst, KF_VIOL_ROUTINE_UNAVAILABLE));
        /* The routine without Ex exists wherever Filter Manager does. */
        PFLT_CALLBACK_DATA d = NULL;
        CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_SUCCESS);
    }
    for (size_t i = 0; i < 4; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "profile=%s", after[i]);
        kft_options(opt);
        fx_fresh();
        PFLT_INSTANCE inst = fx_start();
        CHECK(fx_alloc(inst, NULL, 0) != NULL);
    }
}

/* ---- F-7 IRQL ----------------------------------------------------------------------------------- */

static void alloc_at_dispatch(void *a)
{
    PFLT_CALLBACK_DATA d;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltAllocateCallbackData((PFLT_INSTANCE)a, NULL, &d);
}
static void alloc_ex_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    alloc_ex_on_instance(a);
}
TEST(allocate_irql)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    CHECK(fx_bugcheck(alloc_at_dispatch, inst, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_bugcheck(alloc_ex_at_dispatch, inst, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    kf_set_irql(APC_LEVEL);
    CHECK(fx_alloc(inst, NULL, 0) != NULL);
}

/* ---- F-8 contract checks, in order ---------------------------------------------------------------- */

static void alloc_null_ret(void *a) { (void)FltAllocateCallbackDataEx((PFLT_INSTANCE)a, NULL, 0, NULL); }
static void alloc_null_instance(void *a)
{
    (void)FltAllocateCallbackDataEx(NULL, NULL, 0, (PFLT_CALLBACK_DATA *)a);
}
static void alloc_null_instance_plain(void *a) { (void)FltAllocateCallbackData(NULL, NULL, (PFLT_CALLBACK_DATA *)a); }
static void alloc_flags(void *a)
{
    PFLT_CALLBACK_DATA d;
    (void)FltAllocateCallbackDataEx((PFLT_INSTANCE)a, NULL, 0x2, &d);
}
static void alloc_flags_and_null(void *a)
{
    PFLT_CALLBACK_DATA d;
    (void)FltAllocateCallbackDataEx(NULL, NULL, 0x80000001, &d);
}
static void alloc_flags_at_dispatch(void *a)
{
    PFLT_CALLBACK_DATA d;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltAllocateCallbackDataEx(NULL, NULL, 0x2, &d);
}
TEST(allocate_contract_checks)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    CHECK(fx_violation(alloc_null_ret, inst, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(alloc_null_instance, &d, KF_VIOL_FLT_NULL_INSTANCE));
    CHECK(d == NULL); /* *RetNewCallbackData is cleared before any check that can fail */
    CHECK(fx_violation(alloc_null_instance_plain, &d, KF_VIOL_FLT_NULL_INSTANCE));
    CHECK(fx_violation(alloc_ex_on_instance, &file_a, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(alloc_flags, inst, KF_VIOL_FLT_UNKNOWN_FLAGS));
    CHECK_EQ(fx_stop.param[1], 0x2);
    /* Order: IRQL before everything, Instance before Flags. */
    CHECK(fx_violation(alloc_flags_and_null, NULL, KF_VIOL_FLT_NULL_INSTANCE));
    CHECK(fx_bugcheck(alloc_flags_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    /* None of these asked a fault site or left anything allocated. */
    CHECK_EQ(fx_consulted(KF_SITE_FLT_CALLBACK_DATA), 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

/* ---- F-9 allocation failure ----------------------------------------------------------------------- */

TEST(allocate_core_fault)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    fx_fail_site(KF_SITE_FLT_CALLBACK_DATA, 0, KF_FAULT_HARD);
    CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(d == NULL);
    d = (PFLT_CALLBACK_DATA)&file_a;
    CHECK_EQ(FltAllocateCallbackDataEx(inst, NULL, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, &d),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(d == NULL);
    /* The core structure failed first: the preallocation was never asked for. */
    CHECK_EQ(fx_consulted(KF_SITE_FLT_PREALLOCATE), 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    fx_no_faults();
}

TEST(allocate_prealloc_fault)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    fx_fail_site(KF_SITE_FLT_PREALLOCATE, 0, KF_FAULT_HARD);
    CHECK_EQ(FltAllocateCallbackDataEx(inst, NULL, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, &d),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(d == NULL);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    /* Without the flag the preallocation site is not involved. */
    CHECK(fx_alloc(inst, NULL, 0) != NULL);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_PREALLOCATE), 1);
    fx_no_faults();
}

/* F-17: a transient answer fails these sites too (nothing in Filter Manager waits). */
TEST(allocate_transient_fault_fails)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d;
    fx_fail_site(KF_SITE_FLT_CALLBACK_DATA, 1, KF_FAULT_TRANSIENT);
    CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK_EQ(kf_site_get(KF_SITE_FLT_CALLBACK_DATA)->kind, KF_FAULT_HARD);
    CHECK_EQ(kf_site_get(KF_SITE_FLT_PREALLOCATE)->kind, KF_FAULT_HARD);
    CHECK_EQ(kf_site_get(KF_SITE_FLT_ON_DEMAND)->kind, KF_FAULT_HARD);
    CHECK_EQ(kf_site_get(KF_SITE_FLT_LOWER)->kind, KF_FAULT_HARD);
    CHECK_EQ(kf_site_lookup("flt.io.lower"), KF_SITE_FLT_LOWER);
}

TEST(allocate_fail_nth_option)
{
    /* The built-in fail_nth hook reaches these sites too: 1st consult = the core structure. */
    kft_options("fail_nth=2");
    fx_fresh();
    PFLT_INSTANCE inst = fx_start(); /* consult 1: flt.filter ... */
    (void)inst;
    CHECK(kf_flt_instance(fx_filter, 0) == NULL); /* consult 2: flt.instance failed */
    kft_options("fail_nth=3");
    fx_fresh();
    inst = fx_start();
    PFLT_CALLBACK_DATA d;
    CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_INSUFFICIENT_RESOURCES); /* consult 3 */
}

/* ---- F-10 initial state --------------------------------------------------------------------------- */

TEST(allocate_initial_state)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, &file_a, 0);
    CHECK_EQ(d->Flags, FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO);
    CHECK(d->Thread == PsGetCurrentThread());
    CHECK(d->Iopb != NULL);
    CHECK(d->Iopb->TargetInstance == inst);
    CHECK(d->Iopb->TargetFileObject == &file_a);
    CHECK_EQ(d->Iopb->IrpFlags, 0);
    CHECK_EQ(d->Iopb->MajorFunction, 0);
    CHECK_EQ(d->Iopb->MinorFunction, 0);
    CHECK_EQ(d->Iopb->OperationFlags, 0);
    CHECK_EQ(d->IoStatus.Status, 0);
    CHECK_EQ(d->IoStatus.Information, 0);
    CHECK(d->TagData == NULL);
    CHECK(d->FilterContext[0] == NULL && d->FilterContext[3] == NULL);
    CHECK_EQ(d->RequestorMode, KernelMode);
    static const UCHAR zero[sizeof(FLT_PARAMETERS)];
    CHECK(memcmp(&d->Iopb->Parameters, zero, sizeof zero) == 0);
    /* FileObject is optional (a create has none). */
    PFLT_CALLBACK_DATA c = NULL;
    CHECK_EQ(FltAllocateCallbackData(inst, NULL, &c), STATUS_SUCCESS);
    CHECK(c->Iopb->TargetFileObject == NULL);
    CHECK(c != d && c->Iopb != d->Iopb);
}

/* ---- F-11 teardown --------------------------------------------------------------------------------- */

static NTSTATUS teardown_status[2];
static void alloc_during_teardown(PCFLT_RELATED_OBJECTS objs)
{
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    teardown_status[0] = FltAllocateCallbackData(objs->Instance, NULL, &d);
    CHECK(d == NULL);
}
static void alloc_during_teardown_complete(PCFLT_RELATED_OBJECTS objs)
{
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    teardown_status[1] = FltAllocateCallbackDataEx(objs->Instance, NULL, 0, &d);
    CHECK(d == NULL);
}
TEST(allocate_during_teardown_callbacks)
{
    fx_fresh();
    fx_start();
    fx_on_teardown_start = alloc_during_teardown;
    fx_on_teardown_complete = alloc_during_teardown_complete;
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(teardown_status[0], STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(teardown_status[1], STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_CALLBACK_DATA), 0);
}

TEST(allocate_on_marked_instance)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = (PFLT_CALLBACK_DATA)&file_a;
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_FLT_DELETING_OBJECT);
    CHECK(d == NULL);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    CHECK(fx_alloc(inst, NULL, 0) != NULL);
    CHECK_EQ(kf_flt_set_instance_teardown((PFLT_INSTANCE)&file_a, TRUE), -1);
    CHECK_EQ(kf_flt_set_instance_teardown(NULL, TRUE), -1);
}

/* ---- F-12 free -------------------------------------------------------------------------------------- */

TEST(free_at_dispatch_is_allowed)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    kf_set_irql(DISPATCH_LEVEL);
    FltFreeCallbackData(d);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

static void free_above_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL + 1);
    FltFreeCallbackData((PFLT_CALLBACK_DATA)a);
}
static void free_it(void *a) { FltFreeCallbackData((PFLT_CALLBACK_DATA)a); }
TEST(free_irql)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    CHECK(fx_bugcheck(free_above_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, DISPATCH_LEVEL + 1));
    CHECK_EQ(kf_flt_callback_data_outstanding(), 1);
}

TEST(free_double)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    FltFreeCallbackData(d);
    CHECK(fx_violation(free_it, d, KF_VIOL_FLT_DOUBLE_FREE));
    CHECK_EQ(fx_stop.param[1], 1); /* callback data #1 of the run */
}

TEST(free_foreign_and_null)
{
    fx_fresh();
    (void)fx_alloc(fx_start(), NULL, 0);
    FLT_CALLBACK_DATA mine;
    memset(&mine, 0, sizeof mine);
    CHECK(fx_violation(free_it, &mine, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
    CHECK(fx_violation(free_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK_EQ(kf_flt_callback_data_outstanding(), 1);
}

TEST(free_double_told_from_foreign_after_many)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA first = fx_alloc(inst, NULL, 0);
    FltFreeCallbackData(first);
    /* More frees than the model remembers push the first one out: a bounded record. */
    for (int i = 0; i < 100; i++) {
        PFLT_CALLBACK_DATA d = NULL;
        CHECK_EQ(FltAllocateCallbackData(inst, NULL, &d), STATUS_SUCCESS);
        FltFreeCallbackData(d);
    }
    PFLT_CALLBACK_DATA last = fx_alloc(inst, NULL, 0);
    FltFreeCallbackData(last);
    CHECK(fx_violation(free_it, last, KF_VIOL_FLT_DOUBLE_FREE));
    CHECK_EQ(fx_stop.param[1], 102);
#ifdef FX_HAVE_ASAN
    /* AddressSanitizer's quarantine keeps the first block's address from being handed out
     * again, so it is neither outstanding nor remembered any more: a foreign pointer. */
    CHECK(fx_violation(free_it, first, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
#endif
}

static int completions;
static VOID FLTAPI count_completion(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx) { completions++; }
TEST(free_in_flight)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    completions = 0;
    CHECK_EQ(FltPerformAsynchronousIo(d, count_completion, NULL), STATUS_PENDING);
    CHECK(fx_violation(free_it, d, KF_VIOL_FLT_IO_IN_FLIGHT));
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(completions, 1);
    FltFreeCallbackData(d); /* after the completion ran: fine */
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

#ifdef FX_HAVE_ASAN
static void read_after_free(void)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    FltFreeCallbackData(d);
    volatile NTSTATUS s = d->IoStatus.Status; /* the memory must really be gone */
    (void)s;
}
TEST(free_releases_memory)
{
    CHECK(kft_expect_death(read_after_free, "heap-use-after-free"));
}
#endif

/* ---- F-13 reuse --------------------------------------------------------------------------------------- */

TEST(reuse_keeps_targets_resets_the_rest)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, &file_a, 0);
    PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->MinorFunction = IRP_MN_NORMAL;
    d->Iopb->IrpFlags = IRP_NOCACHE | IRP_SYNCHRONOUS_API;
    d->Iopb->OperationFlags = SL_KEY_SPECIFIED;
    d->Iopb->Parameters.Read.Length = 512;
    d->FilterContext[1] = &file_b;
    d->Flags |= FLTFL_CALLBACK_DATA_DIRTY;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Information, 512);
    FltReuseCallbackData(d);
    CHECK(d->Iopb == iopb);
    CHECK(d->Iopb->TargetInstance == inst);
    CHECK(d->Iopb->TargetFileObject == &file_a);
    CHECK_EQ(d->Flags, FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO);
    CHECK_EQ(d->Iopb->MajorFunction, 0);
    CHECK_EQ(d->Iopb->IrpFlags, 0);
    CHECK_EQ(d->Iopb->OperationFlags, 0);
    CHECK_EQ(d->Iopb->Parameters.Read.Length, 0);
    CHECK_EQ(d->IoStatus.Status, 0);
    CHECK_EQ(d->IoStatus.Information, 0);
    CHECK(d->FilterContext[1] == NULL);
    CHECK(d->Thread == PsGetCurrentThread());
    CHECK_EQ(d->RequestorMode, KernelMode);
    /* The targets kept are those in the block at reuse time. */
    d->Iopb->TargetFileObject = &file_b;
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    FltPerformSynchronousIo(d);
    FltReuseCallbackData(d);
    CHECK(d->Iopb->TargetFileObject == &file_b);
    FltFreeCallbackData(d);
}

static void reuse_it(void *a) { FltReuseCallbackData((PFLT_CALLBACK_DATA)a); }
TEST(reuse_before_perform)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    CHECK(fx_violation(reuse_it, d, KF_VIOL_FLT_REUSE_BEFORE_PERFORM));
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    FltPerformSynchronousIo(d);
    FltReuseCallbackData(d);
    /* Reusing again without a Perform in between is the same mistake. */
    CHECK(fx_violation(reuse_it, d, KF_VIOL_FLT_REUSE_BEFORE_PERFORM));
}

TEST(reuse_after_failed_perform_is_allowed)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    fx_fail_site(KF_SITE_FLT_ON_DEMAND, 1, KF_FAULT_HARD);
    FltPerformSynchronousIo(d);
    fx_no_faults();
    CHECK_EQ(d->IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    FltReuseCallbackData(d);
    CHECK_EQ(d->IoStatus.Status, 0);
}

static void reuse_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    FltReuseCallbackData((PFLT_CALLBACK_DATA)a);
}
TEST(reuse_irql)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    FltPerformSynchronousIo(d);
    CHECK(fx_bugcheck(reuse_at_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(APC_LEVEL);
    FltReuseCallbackData(d);
    CHECK_EQ(d->Iopb->MajorFunction, 0);
}

TEST(reuse_after_free_and_foreign)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    FltPerformSynchronousIo(d);
    FltFreeCallbackData(d);
    CHECK(fx_violation(reuse_it, d, KF_VIOL_FLT_USE_AFTER_FREE));
    FLT_CALLBACK_DATA mine;
    memset(&mine, 0, sizeof mine);
    CHECK(fx_violation(reuse_it, &mine, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
    CHECK(fx_violation(reuse_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
}

TEST(reuse_in_flight)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_WRITE;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(d, count_completion, NULL), STATUS_PENDING);
    CHECK(fx_violation(reuse_it, d, KF_VIOL_FLT_IO_IN_FLIGHT));
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    FltReuseCallbackData(d);
    CHECK_EQ(d->Iopb->MajorFunction, 0);
}

/* ---- F-16 leaks and reset ------------------------------------------------------------------------ */

TEST(leaks_counted_and_reset_frees)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    (void)fx_alloc(inst, NULL, 0);
    PFLT_CALLBACK_DATA p = fx_alloc(inst, NULL, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
    p->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(p, count_completion, NULL), STATUS_PENDING);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.callback_data, 2);
    completions = 0;
    kf_reset();
    /* The reset freed what the run left (LeakSanitizer would report the blocks otherwise),
     * dropped the pending completion without calling it, and forgot the filter. */
    kf_leaks(&leaks);
    CHECK_EQ(leaks.callback_data, 0);
    CHECK_EQ(kf_flt_pending_completions(), 0);
    CHECK_EQ(kf_flt_run_pending_completions(), 0);
    CHECK_EQ(completions, 0);
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
}

static int lower_calls;
static void lower_count(void *ctx, kf_flt_lower_io *io) { lower_calls++; }
TEST(reset_restores_controls)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(3, NULL), 0);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    kf_flt_set_lower_hook(lower_count, NULL);
    kf_reset();
    CHECK_EQ(kf_flt_volume_count(), 1);
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    completions = 0;
    lower_calls = 0;
    CHECK_EQ(FltPerformAsynchronousIo(d, count_completion, NULL), STATUS_SUCCESS); /* inline again */
    CHECK_EQ(completions, 1);
    CHECK_EQ(lower_calls, 0);
    /* Serial numbers restart: the first callback data of this run is #1. */
    FltFreeCallbackData(d);
    CHECK(fx_violation(free_it, d, KF_VIOL_FLT_DOUBLE_FREE));
    CHECK_EQ(fx_stop.param[1], 1);
}
