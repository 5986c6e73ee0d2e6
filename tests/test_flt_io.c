/*
 * test_flt_io.c - I/O on callback data: FltPerformSynchronousIo, FltPerformAsynchronousIo, the
 * on-demand and preallocated memory, the modeled lower layers, deferred completion. Rules F-14
 * and F-15 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

static PFLT_CALLBACK_DATA read_data(PFLT_INSTANCE inst, ULONG flags, ULONG length)
{
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, flags);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->Parameters.Read.Length = length;
    return d;
}

/* ---- F-14 synchronous I/O: IRQL and contract ----------------------------------------------- */

static void sync_it(void *a) { FltPerformSynchronousIo((PFLT_CALLBACK_DATA)a); }
static void sync_at_apc(void *a)
{
    kf_set_irql(APC_LEVEL);
    FltPerformSynchronousIo((PFLT_CALLBACK_DATA)a);
}
static void sync_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    FltPerformSynchronousIo((PFLT_CALLBACK_DATA)a);
}
TEST(sync_irql)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 8);
    /* Not paging I/O: PASSIVE_LEVEL only. */
    CHECK(fx_bugcheck(sync_at_apc, d, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    /* Paging I/O: APC_LEVEL allowed, DISPATCH_LEVEL not. */
    d->Iopb->IrpFlags = IRP_PAGING_IO | IRP_NOCACHE;
    kf_set_irql(APC_LEVEL);
    FltPerformSynchronousIo(d);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK(fx_bugcheck(sync_at_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
}

TEST(sync_contract)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 8);
    d->Iopb->MajorFunction = IRP_MJ_MAXIMUM_FUNCTION + 1;
    CHECK(fx_violation(sync_it, d, KF_VIOL_FLT_INVALID_MAJOR_FUNCTION));
    d->Iopb->MajorFunction = IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION; /* not IRP-based */
    CHECK(fx_violation(sync_it, d, KF_VIOL_FLT_INVALID_MAJOR_FUNCTION));
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 0);
    FltFreeCallbackData(d);
    CHECK(fx_violation(sync_it, d, KF_VIOL_FLT_USE_AFTER_FREE));
    FLT_CALLBACK_DATA mine;
    memset(&mine, 0, sizeof mine);
    CHECK(fx_violation(sync_it, &mine, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
    CHECK(fx_violation(sync_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
}

static VOID FLTAPI nothing(PFLT_CALLBACK_DATA d, PFLT_CONTEXT c) {}
TEST(sync_in_flight)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 8);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(d, nothing, NULL), STATUS_PENDING);
    CHECK(fx_violation(sync_it, d, KF_VIOL_FLT_IO_IN_FLIGHT));
}

/* ---- F-14 on-demand and preallocated memory ---------------------------------------------------- */

TEST(sync_on_demand_consulted_each_perform)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 8);
    for (int i = 0; i < 5; i++)
        FltPerformSynchronousIo(d);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 5);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), 5);
}

static int lower_calls;
static void lower_count(void *ctx, kf_flt_lower_io *io) { lower_calls++; }
TEST(sync_on_demand_failure)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 8);
    kf_flt_set_lower_hook(lower_count, NULL);
    lower_calls = 0;
    fx_fail_site(KF_SITE_FLT_ON_DEMAND, 2, KF_FAULT_HARD);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(lower_calls, 1);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(d->IoStatus.Information, 0);
    /* The I/O never reached the lower layers. */
    CHECK_EQ(lower_calls, 1);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), 1);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    fx_no_faults();
}

/* The invariant: with the preallocate flag, the on-demand site is never consulted, whatever
 * the I/O, however often, synchronous or asynchronous, inline or deferred, after reuse. */
static VOID FLTAPI reissue_once(PFLT_CALLBACK_DATA d, PFLT_CONTEXT c)
{
    int *left = c;
    if ((*left)-- > 0) {
        FltReuseCallbackData(d);
        d->Iopb->MajorFunction = IRP_MJ_WRITE;
        d->Iopb->Parameters.Write.Length = 4;
        (void)FltPerformAsynchronousIo(d, reissue_once, c);
    }
}
TEST(prealloc_never_consults_on_demand)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    static const UCHAR majors[] = {IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION,
                                   IRP_MJ_DIRECTORY_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_FILE_SYSTEM_CONTROL,
                                   IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE};
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
    for (size_t i = 0; i < sizeof majors; i++) {
        d->Iopb->MajorFunction = majors[i];
        FltPerformSynchronousIo(d);
        FltReuseCallbackData(d);
    }
    int left = 3;
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(FltPerformAsynchronousIo(d, reissue_once, &left), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    left = 3;
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(FltPerformAsynchronousIo(d, reissue_once, &left), STATUS_PENDING);
    while (kf_flt_run_pending_completions())
        ;
    CHECK_EQ(left, -1);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 0);
    /* ... while the lower layers were asked for every I/O that reached them (the create was
     * synchronous here, so it did too). */
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), sizeof majors + 4 + 4);
    FltFreeCallbackData(d);
    /* The same work without the flag asks the on-demand site for each I/O. */
    d = fx_alloc(inst, NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    FltPerformSynchronousIo(d);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 1);
}

TEST(prealloc_io_still_fails_below)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, 64);
    fx_fail_site(KF_SITE_FLT_LOWER, 1, KF_FAULT_HARD);
    FltPerformSynchronousIo(d);
    fx_no_faults();
    /* The flag covers Filter Manager's memory only: the file system can still run short. */
    CHECK_EQ(d->IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(d->IoStatus.Information, 0);
}

/* ---- F-14 the lower layers --------------------------------------------------------------------- */

TEST(lower_defaults)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = read_data(inst, 0, 300);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(d->IoStatus.Information, 300);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_WRITE;
    d->Iopb->Parameters.Write.Length = 77;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Information, 77);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_DIRECTORY_CONTROL;
    d->Iopb->MinorFunction = IRP_MN_QUERY_DIRECTORY;
    d->Iopb->Parameters.DirectoryControl.QueryDirectory.Length = 4096;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(d->IoStatus.Information, 0);
}

TEST(lower_fault_default)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 300);
    fx_fail_site(KF_SITE_FLT_LOWER, 0, KF_FAULT_HARD);
    FltPerformSynchronousIo(d);
    fx_no_faults();
    CHECK_EQ(d->IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(d->IoStatus.Information, 0);
}

static struct {
    UCHAR major, minor;
    BOOLEAN fault;
    NTSTATUS default_status;
    ULONG_PTR default_information;
} seen;
static void lower_end_of_file(void *ctx, kf_flt_lower_io *io)
{
    seen.major = io->data->Iopb->MajorFunction;
    seen.minor = io->data->Iopb->MinorFunction;
    seen.fault = io->fault;
    seen.default_status = io->status;
    seen.default_information = io->information;
    if (io->data->Iopb->MajorFunction == IRP_MJ_READ) {
        memset(io->data->Iopb->Parameters.Read.ReadBuffer, 'k', 3);
        io->status = *(NTSTATUS *)ctx;
        io->information = 3;
    }
}
TEST(lower_hook_decides)
{
    fx_fresh();
    char buffer[16] = {0};
    NTSTATUS answer = STATUS_END_OF_FILE;
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, sizeof buffer);
    d->Iopb->Parameters.Read.ReadBuffer = buffer;
    kf_flt_set_lower_hook(lower_end_of_file, &answer);
    FltPerformSynchronousIo(d);
    CHECK_EQ(seen.major, IRP_MJ_READ);
    CHECK_EQ(seen.fault, FALSE);
    CHECK_EQ(seen.default_status, STATUS_SUCCESS);
    CHECK_EQ(seen.default_information, sizeof buffer);
    CHECK_EQ(d->IoStatus.Status, STATUS_END_OF_FILE);
    CHECK_EQ(d->IoStatus.Information, 3);
    CHECK(memcmp(buffer, "kkk", 4) == 0);
    /* The hook sees a failed site, with the failure as default, and may keep it. */
    fx_fail_site(KF_SITE_FLT_LOWER, 0, KF_FAULT_HARD);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    d->Iopb->MinorFunction = IRP_MN_FLUSH_DATA_ONLY;
    FltPerformSynchronousIo(d);
    fx_no_faults();
    CHECK_EQ(seen.major, IRP_MJ_FLUSH_BUFFERS);
    CHECK_EQ(seen.minor, IRP_MN_FLUSH_DATA_ONLY);
    CHECK_EQ(seen.fault, TRUE);
    CHECK_EQ(seen.default_status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(d->IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    /* NULL removes the hook. */
    kf_flt_set_lower_hook(NULL, NULL);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->Parameters.Read.Length = 5;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(d->IoStatus.Information, 5);
}

/* ---- F-15 asynchronous I/O ------------------------------------------------------------------- */

static struct {
    int calls;
    KIRQL irql;
    NTSTATUS status;
    ULONG_PTR information;
    PVOID context;
    PFLT_CALLBACK_DATA data;
} done;
static VOID FLTAPI record(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    done.calls++;
    done.irql = KeGetCurrentIrql();
    done.status = d->IoStatus.Status;
    done.information = d->IoStatus.Information;
    done.context = ctx;
    done.data = d;
}

TEST(async_inline)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 40);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, &done), STATUS_SUCCESS);
    /* STATUS_SUCCESS: the I/O completed and the callback already ran. */
    CHECK_EQ(done.calls, 1);
    CHECK_EQ(done.status, STATUS_SUCCESS);
    CHECK_EQ(done.information, 40);
    CHECK(done.context == &done);
    CHECK(done.data == d);
    CHECK_EQ(done.irql, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_pending_completions(), 0);
}

TEST(async_deferred)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 40);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    kf_flt_set_lower_hook(lower_count, NULL);
    lower_calls = 0;
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_PENDING);
    CHECK_EQ(done.calls, 0);
    CHECK_EQ(d->IoStatus.Status, STATUS_PENDING);
    CHECK_EQ(kf_flt_pending_completions(), 1);
    /* The lower layers complete it when it completes, not before. */
    CHECK_EQ(lower_calls, 0);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(lower_calls, 1);
    CHECK_EQ(done.calls, 1);
    CHECK_EQ(done.status, STATUS_SUCCESS);
    CHECK_EQ(done.information, 40);
    CHECK_EQ(kf_flt_run_pending_completions(), 0);
    CHECK_EQ(done.calls, 1); /* exactly once */
}

TEST(async_completion_irql)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 40);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL + 1), -1);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_PENDING);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(done.irql, DISPATCH_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL); /* restored after the callback */
    /* Inline at DISPATCH_LEVEL: raised inside the routine, restored before it returns. */
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_INLINE, DISPATCH_LEVEL), 0);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_SUCCESS);
    CHECK_EQ(done.irql, DISPATCH_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    /* Never below the IRQL of the code that completes it. */
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_INLINE, PASSIVE_LEVEL), 0);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_SUCCESS);
    CHECK_EQ(done.irql, APC_LEVEL);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(async_create_refused)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_CREATE;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
    /* The callback ran already, at the caller's IRQL, with the refusal in IoStatus; nothing
     * is pending and no memory was asked for. */
    CHECK_EQ(done.calls, 1);
    CHECK_EQ(done.status, STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
    CHECK_EQ(done.irql, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_pending_completions(), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), 0);
    /* It counts as performed: the data can be reused for a synchronous create. */
    FltReuseCallbackData(d);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
}

TEST(async_on_demand_failure_calls_back)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 40);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    fx_fail_site(KF_SITE_FLT_ON_DEMAND, 1, KF_FAULT_HARD);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK_EQ(done.calls, 1);
    CHECK_EQ(done.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(done.irql, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_pending_completions(), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), 0);
}

TEST(async_lower_failure_calls_back)
{
    fx_fresh();
    memset(&done, 0, sizeof done);
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 40);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    fx_fail_site(KF_SITE_FLT_LOWER, 1, KF_FAULT_HARD);
    CHECK_EQ(FltPerformAsynchronousIo(d, record, NULL), STATUS_PENDING); /* started */
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    fx_no_faults();
    CHECK_EQ(done.calls, 1);
    CHECK_EQ(done.status, STATUS_INSUFFICIENT_RESOURCES);
}

static int order[4], n_order;
static VOID FLTAPI note_order(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx) { order[n_order++] = (int)(ULONG_PTR)ctx; }
TEST(async_completes_in_start_order)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    n_order = 0;
    for (int i = 1; i <= 3; i++)
        CHECK_EQ(FltPerformAsynchronousIo(read_data(inst, 0, 1), note_order, (PVOID)(ULONG_PTR)i), STATUS_PENDING);
    CHECK_EQ(kf_flt_pending_completions(), 3);
    CHECK_EQ(kf_flt_run_pending_completions(), 3);
    CHECK_EQ(n_order, 3);
    CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
}

static VOID FLTAPI free_in_completion(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    FltFreeCallbackData(d);
    (*(int *)ctx)++;
}
TEST(async_free_in_completion_at_dispatch)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    int freed = 0;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_INLINE, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(read_data(inst, 0, 1), free_in_completion, &freed), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(read_data(inst, 0, 1), free_in_completion, &freed), STATUS_PENDING);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(freed, 2);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

static VOID FLTAPI reuse_in_completion(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    FltReuseCallbackData(d);
    (*(int *)ctx)++;
}
static void reuse_in_completion_at_dispatch(void *a)
{
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo((PFLT_CALLBACK_DATA)a, reuse_in_completion, &(int){0}), STATUS_PENDING);
    kf_flt_run_pending_completions();
}
TEST(async_reuse_in_completion)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    int reused = 0;
    /* At PASSIVE_LEVEL a completion may reuse its data. */
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(read_data(inst, 0, 1), reuse_in_completion, &reused), STATUS_PENDING);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(reused, 1);
    /* At DISPATCH_LEVEL the same code bug checks (FltReuseCallbackData needs <= APC_LEVEL). */
    CHECK(fx_bugcheck(reuse_in_completion_at_dispatch, read_data(inst, 0, 1), IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL,
                      DISPATCH_LEVEL));
    CHECK(fx_stop.routine && strcmp(fx_stop.routine, "FltReuseCallbackData") == 0);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static VOID FLTAPI start_another(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    (*(int *)ctx)++;
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    (void)FltPerformAsynchronousIo(d, start_another, ctx);
}
TEST(async_io_started_in_completion_waits)
{
    fx_fresh();
    int runs = 0;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(read_data(fx_start(), 0, 1), start_another, &runs), STATUS_PENDING);
    /* Each run completes only what was pending when it began: a callback that always starts
     * another I/O cannot keep the harness in the loop. */
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(runs, 1);
    CHECK_EQ(kf_flt_pending_completions(), 1);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(runs, 2);
}

static void async_it(void *a) { (void)FltPerformAsynchronousIo((PFLT_CALLBACK_DATA)a, nothing, NULL); }
static void async_null_routine(void *a) { (void)FltPerformAsynchronousIo((PFLT_CALLBACK_DATA)a, NULL, NULL); }
static void async_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    async_it(a);
}
TEST(async_contract)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = read_data(fx_start(), 0, 1);
    CHECK(fx_violation(async_null_routine, d, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_bugcheck(async_at_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltPerformAsynchronousIo(d, nothing, NULL), STATUS_SUCCESS);
    kf_set_irql(PASSIVE_LEVEL);
    d->Iopb->MajorFunction = 0x40;
    CHECK(fx_violation(async_it, d, KF_VIOL_FLT_INVALID_MAJOR_FUNCTION));
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    CHECK_EQ(FltPerformAsynchronousIo(d, nothing, NULL), STATUS_PENDING);
    CHECK(fx_violation(async_it, d, KF_VIOL_FLT_IO_IN_FLIGHT));
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    FltFreeCallbackData(d);
    CHECK(fx_violation(async_it, d, KF_VIOL_FLT_USE_AFTER_FREE));
}
