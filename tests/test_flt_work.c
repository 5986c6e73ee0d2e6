/*
 * test_flt_work.c - Filter Manager work items: the rules FW-1 to FW-6 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <stddef.h>
#include <string.h>

static char trace[512];
static PVOID seen_object, seen_context;
static KIRQL seen_irql;
static int free_in_routine = 1;
static int stay_at_apc;

static void note(const char *s)
{
    size_t n = strlen(trace);
    if (n + strlen(s) + 1 < sizeof trace)
        strcat(trace, s);
}

static VOID FLTAPI generic_routine(PFLT_GENERIC_WORKITEM item, PVOID obj, PVOID ctx)
{
    seen_object = obj;
    seen_context = ctx;
    seen_irql = KeGetCurrentIrql();
    note(ctx ? (const char *)ctx : "?");
    if (stay_at_apc)
        kf_set_irql(APC_LEVEL);
    if (free_in_routine)
        FltFreeGenericWorkItem(item);
}

static VOID FLTAPI deferred_routine(PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, PVOID ctx)
{
    seen_object = data;
    seen_context = ctx;
    seen_irql = KeGetCurrentIrql();
    note("d");
    FltFreeDeferredIoWorkItem(item);
}

static void fresh(void)
{
    fx_fresh();
    trace[0] = 0;
    seen_object = seen_context = NULL;
    seen_irql = HIGH_LEVEL;
    free_in_routine = 1;
    stay_at_apc = 0;
}

/* ---- FW-1 / FW-2 / FW-5 generic items ------------------------------------------------------- */

TEST(work_generic_runs_in_order_at_passive)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_GENERIC_WORKITEM a = FltAllocateGenericWorkItem(), b = FltAllocateGenericWorkItem();
    CHECK(a != NULL && b != NULL);
    CHECK_EQ(kf_flt_work_items_outstanding(), 2);
    kf_set_irql(DISPATCH_LEVEL);
    CHECK_EQ(FltQueueGenericWorkItem(a, fx_filter, generic_routine, DelayedWorkQueue, "a"), STATUS_SUCCESS);
    CHECK_EQ(FltQueueGenericWorkItem(b, inst, generic_routine, CriticalWorkQueue, "b"), STATUS_SUCCESS);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(trace[0], 0); /* nothing runs at queue time */
    CHECK_EQ(kf_flt_work_items_queued(), 2);
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(kf_flt_run_work_items(), 2);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL); /* the caller's IRQL comes back */
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(strcmp(trace, "ab") == 0);
    CHECK(seen_object == inst);
    CHECK_EQ(seen_irql, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
    CHECK_EQ(kf_flt_run_work_items(), 0);
}

TEST(work_generic_leak_counted)
{
    fresh();
    fx_start();
    PFLT_GENERIC_WORKITEM a = FltAllocateGenericWorkItem();
    CHECK(a != NULL);
    free_in_routine = 0;
    CHECK_EQ(FltQueueGenericWorkItem(a, fx_filter, generic_routine, DelayedWorkQueue, "a"), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_run_work_items(), 1);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_work_items, 1);
    /* The same item can be queued again once its routine has run. */
    CHECK_EQ(FltQueueGenericWorkItem(a, fx_filter, generic_routine, DelayedWorkQueue, "b"), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_run_work_items(), 1);
    FltFreeGenericWorkItem(a);
    kf_leaks(&r);
    CHECK_EQ(r.flt_work_items, 0);
}

TEST(work_allocate_fault)
{
    fresh();
    fx_fail_site(KF_SITE_FLT_WORKITEM, 1, KF_FAULT_HARD);
    CHECK(FltAllocateGenericWorkItem() == NULL);
    fx_fail_site(KF_SITE_FLT_WORKITEM, 2, KF_FAULT_HARD);
    CHECK(FltAllocateDeferredIoWorkItem() == NULL);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_WORKITEM), 2);
}

static PFLT_GENERIC_WORKITEM misuse_item;
static void free_queued(void *a)
{
    misuse_item = FltAllocateGenericWorkItem();
    (void)FltQueueGenericWorkItem(misuse_item, fx_filter, generic_routine, DelayedWorkQueue, "x");
    FltFreeGenericWorkItem(misuse_item);
}
static void free_twice(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    FltFreeGenericWorkItem(w);
    FltFreeGenericWorkItem(w);
}
static void requeue(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    (void)FltQueueGenericWorkItem(w, fx_filter, generic_routine, DelayedWorkQueue, "x");
    (void)FltQueueGenericWorkItem(w, fx_filter, generic_routine, DelayedWorkQueue, "x");
}
static void bad_queue_type(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    (void)FltQueueGenericWorkItem(w, fx_filter, generic_routine, HyperCriticalWorkQueue, "x");
}
static void null_routine(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    (void)FltQueueGenericWorkItem(w, fx_filter, NULL, DelayedWorkQueue, "x");
}
static void bad_object(void *a)
{
    static int not_an_object;
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    (void)FltQueueGenericWorkItem(w, &not_an_object, generic_routine, DelayedWorkQueue, "x");
}
static void wrong_kind(void *a)
{
    PFLT_DEFERRED_IO_WORKITEM w = FltAllocateDeferredIoWorkItem();
    FltFreeGenericWorkItem((PFLT_GENERIC_WORKITEM)w);
}
static void allocate_high(void *a)
{
    kf_set_irql(HIGH_LEVEL);
    (void)FltAllocateGenericWorkItem();
}
static void returns_at_apc(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    stay_at_apc = 1;
    (void)FltQueueGenericWorkItem(w, fx_filter, generic_routine, DelayedWorkQueue, "x");
    (void)kf_flt_run_work_items();
}
TEST(work_generic_misuse)
{
    fresh();
    fx_start();
    CHECK(fx_violation(free_queued, NULL, KF_VIOL_FLT_WORKITEM_FREE_QUEUED));
    CHECK(fx_violation(free_twice, NULL, KF_VIOL_FLT_WORKITEM_INVALID));
    CHECK(fx_violation(requeue, NULL, KF_VIOL_FLT_WORKITEM_REQUEUE));
    CHECK(fx_violation(bad_queue_type, NULL, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 4);
    CHECK_EQ(fx_stop.param[2], HyperCriticalWorkQueue);
    CHECK(fx_violation(null_routine, NULL, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT));
    CHECK(fx_violation(bad_object, NULL, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT));
    CHECK(fx_violation(wrong_kind, NULL, KF_VIOL_FLT_WORKITEM_INVALID));
    CHECK(fx_bugcheck(allocate_high, NULL, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, HIGH_LEVEL));
    CHECK(fx_bugcheck(returns_at_apc, NULL, 0xE1, 0, APC_LEVEL));
}

/* ---- FW-6 unregistering ---------------------------------------------------------------------- */

TEST(work_generic_unregister)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_GENERIC_WORKITEM a = FltAllocateGenericWorkItem();
    CHECK_EQ(FltQueueGenericWorkItem(a, inst, generic_routine, DelayedWorkQueue, "a"), STATUS_SUCCESS);
    /* Filter Manager waits for the queued item's rundown: it runs before the filter goes. */
    FltUnregisterFilter(fx_filter);
    CHECK(strcmp(trace, "a") == 0);
    CHECK_EQ(kf_flt_work_items_queued(), 0);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
}

static PFLT_GENERIC_WORKITEM teardown_item;
static NTSTATUS teardown_status;
static void queue_in_teardown(PCFLT_RELATED_OBJECTS objs)
{
    teardown_status = FltQueueGenericWorkItem(teardown_item, objs->Filter, generic_routine, DelayedWorkQueue, "t");
}
TEST(work_generic_deleting_object)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    teardown_item = FltAllocateGenericWorkItem();
    fx_on_teardown_start = queue_in_teardown;
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltQueueGenericWorkItem(teardown_item, inst, generic_routine, DelayedWorkQueue, "i"),
             STATUS_FLT_DELETING_OBJECT);
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(teardown_status, STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(trace[0], 0);
    FltFreeGenericWorkItem(teardown_item);
}

/* ---- FW-3 deferred I/O items ----------------------------------------------------------------- */

TEST(work_deferred_runs)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    PFLT_DEFERRED_IO_WORKITEM w = FltAllocateDeferredIoWorkItem();
    CHECK(w != NULL);
    CHECK_EQ(FltQueueDeferredIoWorkItem(w, d, deferred_routine, DelayedWorkQueue, "ctx"), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_run_work_items(), 1);
    CHECK(seen_object == d);
    CHECK(strcmp((const char *)seen_context, "ctx") == 0);
    CHECK_EQ(seen_irql, PASSIVE_LEVEL);
    CHECK(strcmp(trace, "d") == 0);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
    FltFreeCallbackData(d);
}

TEST(work_deferred_not_safe_to_post)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    PFLT_DEFERRED_IO_WORKITEM w = FltAllocateDeferredIoWorkItem();
    d->Iopb->IrpFlags = IRP_PAGING_IO;
    CHECK_EQ(FltQueueDeferredIoWorkItem(w, d, deferred_routine, DelayedWorkQueue, NULL),
             STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
    d->Iopb->IrpFlags = 0;
    ULONG flags = d->Flags;
    d->Flags = FLTFL_CALLBACK_DATA_FAST_IO_OPERATION;
    CHECK_EQ(FltQueueDeferredIoWorkItem(w, d, deferred_routine, DelayedWorkQueue, NULL),
             STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
    d->Flags = FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION;
    CHECK_EQ(FltQueueDeferredIoWorkItem(w, d, deferred_routine, DelayedWorkQueue, NULL),
             STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
    d->Flags = flags;
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltQueueDeferredIoWorkItem(w, d, deferred_routine, DelayedWorkQueue, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    CHECK_EQ(kf_flt_work_items_queued(), 0);
    FltFreeDeferredIoWorkItem(w);
    FltFreeCallbackData(d);
}

static void deferred_null_data(void *a)
{
    PFLT_DEFERRED_IO_WORKITEM w = FltAllocateDeferredIoWorkItem();
    (void)FltQueueDeferredIoWorkItem(w, NULL, deferred_routine, DelayedWorkQueue, NULL);
}
static void deferred_free_queued(void *a)
{
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    PFLT_DEFERRED_IO_WORKITEM w = FltAllocateDeferredIoWorkItem();
    (void)FltQueueDeferredIoWorkItem(w, d, deferred_routine, CriticalWorkQueue, NULL);
    FltFreeDeferredIoWorkItem(w);
}
static void deferred_as_generic(void *a)
{
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    (void)FltQueueDeferredIoWorkItem((PFLT_DEFERRED_IO_WORKITEM)w, d, deferred_routine, CriticalWorkQueue, NULL);
}
TEST(work_deferred_misuse)
{
    fresh();
    fx_start();
    CHECK(fx_violation(deferred_null_data, NULL, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT));
    CHECK(fx_violation(deferred_free_queued, NULL, KF_VIOL_FLT_WORKITEM_FREE_QUEUED));
    CHECK(fx_violation(deferred_as_generic, NULL, KF_VIOL_FLT_WORKITEM_INVALID));
}

/* A wait nobody else can end runs the model's pending work, these items included. */
static KEVENT ev;
static VOID FLTAPI signal_routine(PFLT_GENERIC_WORKITEM item, PVOID obj, PVOID ctx)
{
    KeSetEvent(&ev, 0, FALSE);
    FltFreeGenericWorkItem(item);
}
TEST(work_runs_as_pending_work)
{
    fresh();
    fx_start();
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PFLT_GENERIC_WORKITEM w = FltAllocateGenericWorkItem();
    CHECK_EQ(FltQueueGenericWorkItem(w, fx_filter, signal_routine, DelayedWorkQueue, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
}

/* ---- FW-7..FW-9 cancel-safe callback data queues --------------------------------------------- */

/* The test driver's queue: a list through Data->QueueLinks under a spin lock. */
static struct {
    FLT_CALLBACK_DATA_QUEUE cbdq;
    LIST_ENTRY list;
    KSPIN_LOCK lock;
} dq;
static char qtrace[512];
static KIRQL insert_irql;
static NTSTATUS insert_result;
static int bad_release; /* Release leaves the IRQL raised */
static int reenter;     /* InsertIo calls FltCbdqDisable */
static int reenter_lock; /* 1 Acquire, 2 Release, 3 CompleteCanceledIo calls FltCbdqEnable */
static PFLT_CALLBACK_DATA peek_override;

static void qnote(const char *s)
{
    if (strlen(qtrace) + strlen(s) + 1 < sizeof qtrace)
        strcat(qtrace, s);
}

static NTSTATUS FLTAPI q_insert(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID ctx)
{
    qnote("I");
    insert_irql = KeGetCurrentIrql();
    if (reenter)
        FltCbdqDisable(q);
    if (!NT_SUCCESS(insert_result))
        return insert_result;
    InsertTailList(&dq.list, &d->QueueLinks);
    return insert_result;
}
static VOID FLTAPI q_remove(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    qnote("R");
    RemoveEntryList(&d->QueueLinks);
}
static PFLT_CALLBACK_DATA FLTAPI q_peek(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID peek)
{
    qnote("P");
    if (peek_override)
        return peek_override;
    PLIST_ENTRY next = d ? d->QueueLinks.Flink : dq.list.Flink;
    if (next == &dq.list)
        return NULL;
    /* As drivers write it: CONTAINING_RECORD of a member of an anonymous struct, which must
     * not draw a UBSan report (nt_base.h builds it on offsetof). */
    return CONTAINING_RECORD(next, FLT_CALLBACK_DATA, QueueLinks);
}
static VOID FLTAPI q_acquire(PFLT_CALLBACK_DATA_QUEUE q, PKIRQL irql)
{
    qnote("(");
    if (reenter_lock == 1)
        FltCbdqEnable(q);
    KeAcquireSpinLock(&dq.lock, irql);
}
static VOID FLTAPI q_release(PFLT_CALLBACK_DATA_QUEUE q, KIRQL irql)
{
    qnote(")");
    if (reenter_lock == 2)
        FltCbdqEnable(q);
    KeReleaseSpinLock(&dq.lock, bad_release ? DISPATCH_LEVEL : irql);
}
static PFLT_CALLBACK_DATA canceled;
static VOID FLTAPI q_complete_canceled(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    qnote("C");
    canceled = d;
    if (reenter_lock == 3)
        FltCbdqEnable(q); /* after Release: the lock is not held */
}

static PFLT_INSTANCE queue_fresh(void)
{
    kf_reset(); /* a stop earlier in the test left a queue locked */
    fresh();
    PFLT_INSTANCE inst = fx_start();
    memset(&dq, 0, sizeof dq);
    InitializeListHead(&dq.list);
    KeInitializeSpinLock(&dq.lock);
    qtrace[0] = 0;
    insert_result = STATUS_SUCCESS;
    bad_release = reenter = reenter_lock = 0;
    peek_override = canceled = NULL;
    CHECK_EQ(FltCbdqInitialize(inst, &dq.cbdq, q_insert, q_remove, q_peek, q_acquire, q_release, q_complete_canceled),
             STATUS_SUCCESS);
    CHECK(dq.cbdq.Instance == inst);
    return inst;
}

TEST(cbdq_insert_remove_under_lock)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0), b = fx_alloc(inst, NULL, 0);
    FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT ca, cb;
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, &ca, NULL), STATUS_SUCCESS);
    CHECK_EQ(insert_irql, DISPATCH_LEVEL); /* InsertIo runs with the queue's lock held */
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    insert_result = STATUS_PENDING; /* whatever InsertIo returns is returned */
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, b, &cb, NULL), STATUS_PENDING);
    CHECK(ca.Csq == &dq.cbdq.Csq);
    CHECK_EQ(kf_flt_cbdq_entries(), 2);
    CHECK(FltCbdqRemoveIo(&dq.cbdq, &cb) == b);
    CHECK(FltCbdqRemoveIo(&dq.cbdq, &cb) == NULL); /* the second removal fails */
    CHECK(FltCbdqRemoveNextIo(&dq.cbdq, NULL) == a);
    CHECK(FltCbdqRemoveNextIo(&dq.cbdq, NULL) == NULL);
    CHECK(strcmp(qtrace, "(I)(I)(R)()(PR)(P)") == 0);
    CHECK_EQ(kf_flt_cbdq_entries(), 0);
    FltFreeCallbackData(a);
    FltFreeCallbackData(b);
}

TEST(cbdq_insert_failure_not_queued)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    insert_result = STATUS_INSUFFICIENT_RESOURCES;
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(kf_flt_cbdq_entries(), 0);
    FltFreeCallbackData(a);
}

TEST(cbdq_disable_enable)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    FltCbdqDisable(&dq.cbdq);
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_FLT_CBDQ_DISABLED);
    CHECK_EQ(qtrace[0], 0); /* InsertIo was not called */
    FltCbdqEnable(&dq.cbdq);
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_SUCCESS);
    /* Disabling keeps what is queued: the driver drains it. */
    FltCbdqDisable(&dq.cbdq);
    CHECK(FltCbdqRemoveNextIo(&dq.cbdq, NULL) == a);
    FltFreeCallbackData(a);
}

TEST(cbdq_cancel)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT ca;
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, &ca, NULL), STATUS_SUCCESS);
    qtrace[0] = 0;
    CHECK_EQ(kf_flt_cbdq_cancel(&dq.cbdq, a), 0);
    CHECK(strcmp(qtrace, "(R)C") == 0); /* RemoveIo under the lock, CompleteCanceledIo after it */
    CHECK(canceled == a);
    CHECK(FltCbdqRemoveIo(&dq.cbdq, &ca) == NULL); /* the cancel won the race */
    CHECK_EQ(kf_flt_cbdq_cancel(&dq.cbdq, a), -1);
    FltFreeCallbackData(a);
}

static void unregister_filter(void *a) { FltUnregisterFilter(fx_filter); }
TEST(cbdq_outstanding_at_unregister)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_SUCCESS);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_cbdq_entries, 1);
    /* The callback data itself is also outstanding: flt_filter's own stop comes first. */
    CHECK(fx_violation(unregister_filter, NULL, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
}

static void drain_in_teardown(PCFLT_RELATED_OBJECTS objs)
{
    PFLT_CALLBACK_DATA d;
    FltCbdqDisable(&dq.cbdq);
    while ((d = FltCbdqRemoveNextIo(&dq.cbdq, NULL)) != NULL)
        FltFreeCallbackData(d);
}
static PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT no_context;
TEST(cbdq_queue_not_drained_is_found)
{
    /* Callback data that Filter Manager owns (not the driver's allocation) left queued: the
     * model's own count stops FltUnregisterFilter. Simulated with stack callback data. */
    PFLT_INSTANCE inst = queue_fresh();
    static FLT_IO_PARAMETER_BLOCK iopb;
    static FLT_CALLBACK_DATA d = {.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION, .Iopb = &iopb};
    iopb.TargetInstance = inst;
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, &d, no_context, NULL), STATUS_SUCCESS);
    CHECK(fx_violation(unregister_filter, NULL, KF_VIOL_FLT_CBDQ_OUTSTANDING_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 1);
}

TEST(cbdq_drained_in_teardown)
{
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_SUCCESS);
    fx_on_teardown_start = drain_in_teardown;
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(kf_flt_cbdq_entries(), 0);
}

static void insert_twice(void *a)
{
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    (void)FltCbdqInsertIo(&dq.cbdq, d, NULL, NULL);
    (void)FltCbdqInsertIo(&dq.cbdq, d, NULL, NULL);
}
static void insert_fast_io(void *a)
{
    static FLT_IO_PARAMETER_BLOCK iopb;
    static FLT_CALLBACK_DATA d = {.Flags = FLTFL_CALLBACK_DATA_FAST_IO_OPERATION, .Iopb = &iopb};
    (void)FltCbdqInsertIo(&dq.cbdq, &d, NULL, NULL);
}
static void insert_uninitialized(void *a)
{
    static FLT_CALLBACK_DATA_QUEUE never;
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    (void)FltCbdqInsertIo(&never, d, NULL, NULL);
}
static void insert_reentering(void *a)
{
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    reenter = 1;
    (void)FltCbdqInsertIo(&dq.cbdq, d, NULL, NULL);
}
static void insert_bad_release(void *a)
{
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    bad_release = 1;
    (void)FltCbdqInsertIo(&dq.cbdq, d, NULL, NULL);
}
static void peek_foreign(void *a)
{
    static FLT_CALLBACK_DATA other;
    peek_override = &other;
    (void)FltCbdqRemoveNextIo(&dq.cbdq, NULL);
}
static void init_null(void *a)
{
    (void)FltCbdqInitialize(kf_flt_instance(fx_filter, 0), &dq.cbdq, q_insert, q_remove, NULL, q_acquire, q_release,
                            q_complete_canceled);
}
static void remove_null_context(void *a) { (void)FltCbdqRemoveIo(&dq.cbdq, NULL); }
static void insert_above_dispatch(void *a)
{
    PFLT_CALLBACK_DATA d = fx_alloc(kf_flt_instance(fx_filter, 0), NULL, 0);
    kf_set_irql(HIGH_LEVEL);
    (void)FltCbdqInsertIo(&dq.cbdq, d, NULL, NULL);
}
TEST(cbdq_misuse)
{
    (void)queue_fresh();
    CHECK(fx_violation(insert_twice, NULL, KF_VIOL_FLT_CBDQ_BAD_ARGUMENT));
    (void)queue_fresh();
    CHECK(fx_violation(insert_fast_io, NULL, KF_VIOL_FLT_CBDQ_BAD_ARGUMENT));
    CHECK(fx_violation(insert_uninitialized, NULL, KF_VIOL_FLT_CBDQ_NOT_INITIALIZED));
    (void)queue_fresh();
    CHECK(fx_violation(insert_reentering, NULL, KF_VIOL_FLT_CBDQ_REENTERED));
    (void)queue_fresh();
    CHECK(fx_violation(insert_bad_release, NULL, KF_VIOL_FLT_CBDQ_LOCK_UNBALANCED));
    CHECK_EQ(fx_stop.param[1], PASSIVE_LEVEL);
    CHECK_EQ(fx_stop.param[2], DISPATCH_LEVEL);
    (void)queue_fresh();
    CHECK(fx_violation(peek_foreign, NULL, KF_VIOL_FLT_CBDQ_PEEK_FOREIGN));
    (void)queue_fresh();
    CHECK(fx_violation(init_null, NULL, KF_VIOL_FLT_CBDQ_BAD_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 5);
    CHECK(fx_violation(remove_null_context, NULL, KF_VIOL_FLT_CBDQ_BAD_ARGUMENT));
    CHECK(fx_bugcheck(insert_above_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, HIGH_LEVEL));
}

/* FW-7, FX-14: Acquire and Release are the queue's callbacks too; the lock is the queue's from the
 * call of Acquire until Release returns. CompleteCanceledIo runs after Release and may call. */
static void next_reentering_lock(void *a)
{
    reenter_lock = (int)(intptr_t)a;
    (void)FltCbdqRemoveNextIo(&dq.cbdq, NULL);
}
TEST(cbdq_reentered_from_acquire_or_release)
{
    (void)queue_fresh();
    CHECK(fx_violation(next_reentering_lock, (void *)1, KF_VIOL_FLT_CBDQ_REENTERED));
    (void)queue_fresh();
    CHECK(fx_violation(next_reentering_lock, (void *)2, KF_VIOL_FLT_CBDQ_REENTERED));
    PFLT_INSTANCE inst = queue_fresh();
    PFLT_CALLBACK_DATA a = fx_alloc(inst, NULL, 0);
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_SUCCESS);
    reenter_lock = 3;
    qtrace[0] = 0;
    CHECK_EQ(kf_flt_cbdq_cancel(&dq.cbdq, a), 0);
    CHECK(strcmp(qtrace, "(R)C") == 0);
    CHECK(canceled == a);
    reenter_lock = 0;
    CHECK_EQ(FltCbdqInsertIo(&dq.cbdq, a, NULL, NULL), STATUS_SUCCESS); /* the queue's lock is free */
    CHECK(FltCbdqRemoveNextIo(&dq.cbdq, NULL) == a);
    FltFreeCallbackData(a);
}
