/*
 * test_flt_txn.c - kernel transactions in Filter Manager: the transaction object, enlistment, the
 * notification protocol of a commit and of a rollback, acknowledgements of pended notifications,
 * FltRollbackEnlistment, transaction contexts and their deletion when the transaction ends, the
 * fault site, and every misuse stop. Rules FT-1 to FT-14 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <stddef.h>
#include <string.h>

#define TAG 'xTkf'

/* ---- A transaction-aware filter ------------------------------------------------------------------- */

static char trace[512];
static unsigned cleanups;
static KIRQL callback_irql;
static PCFLT_RELATED_OBJECTS seen_objs_ptr;
static FLT_RELATED_OBJECTS seen_objs;
static PFLT_CONTEXT seen_context;
/* What the callback answers, per notification; and what it does before answering. */
static NTSTATUS answer_prepare, answer_preprepare, answer_commit, answer_finalize, answer_rollback;
static void (*on_notify)(PCFLT_RELATED_OBJECTS objs, ULONG notification);

static void add(const char *s)
{
    size_t n = strlen(trace);
    snprintf(trace + n, sizeof trace - n, "%s ", s);
}

static NTSTATUS FLTAPI notify_cb(PCFLT_RELATED_OBJECTS objs, PFLT_CONTEXT ctx, ULONG notification)
{
    seen_objs_ptr = objs;
    memcpy(&seen_objs, objs, sizeof seen_objs);
    seen_context = ctx;
    callback_irql = KeGetCurrentIrql();
    NTSTATUS answer = STATUS_SUCCESS;
    switch (notification) {
    case TRANSACTION_NOTIFY_PREPREPARE: add("preprepare"); answer = answer_preprepare; break;
    case TRANSACTION_NOTIFY_PREPARE: add("prepare"); answer = answer_prepare; break;
    case TRANSACTION_NOTIFY_COMMIT: add("commit"); answer = answer_commit; break;
    case TRANSACTION_NOTIFY_COMMIT_FINALIZE: add("finalize"); answer = answer_finalize; break;
    case TRANSACTION_NOTIFY_ROLLBACK: add("rollback"); answer = answer_rollback; break;
    default: add("?"); break;
    }
    if (on_notify)
        on_notify(objs, notification);
    return answer;
}

static VOID FLTAPI cleanup_cb(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
    (void)c;
    add(t == FLT_TRANSACTION_CONTEXT ? "cleanup" : "cleanup-other");
    cleanups++;
}

static const FLT_CONTEXT_REGISTRATION regs[] = {
    {FLT_TRANSACTION_CONTEXT, 0, cleanup_cb, 16, TAG, NULL, NULL, NULL},
    {FLT_STREAMHANDLE_CONTEXT, 0, cleanup_cb, 16, TAG, NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

#define ALL_NOTIFICATIONS                                                                             \
    (TRANSACTION_NOTIFY_PREPREPARE | TRANSACTION_NOTIFY_PREPARE | TRANSACTION_NOTIFY_COMMIT |          \
     TRANSACTION_NOTIFY_COMMIT_FINALIZE | TRANSACTION_NOTIFY_ROLLBACK)

static PFLT_INSTANCE start(void)
{
    fx_fresh();
    trace[0] = 0;
    cleanups = 0;
    seen_context = NULL;
    seen_objs_ptr = NULL;
    on_notify = NULL;
    answer_prepare = answer_preprepare = answer_commit = answer_finalize = answer_rollback = STATUS_SUCCESS;
    fx_registration.ContextRegistration = regs;
    fx_registration.TransactionNotificationCallback = notify_cb;
    return fx_start();
}

static PFLT_CONTEXT alloc_ctx(FLT_CONTEXT_TYPE type)
{
    PFLT_CONTEXT c = NULL;
    CHECK_EQ(FltAllocateContext(fx_filter, type, 16, PagedPool, &c), STATUS_SUCCESS);
    return c;
}

/* The documented pattern: allocate, set on the transaction, enlist, release the allocation's reference. */
static PFLT_CONTEXT enlist(PFLT_INSTANCE inst, PKTRANSACTION t, NOTIFICATION_MASK mask)
{
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, mask), STATUS_SUCCESS);
    FltReleaseContext(c);
    return c;
}

/* ---- FT-2 the transaction object -------------------------------------------------------------------- */

TEST(transaction_is_an_object_of_its_type)
{
    start();
    PKTRANSACTION t = kf_flt_new_transaction();
    CHECK(t != NULL);
    CHECK(kf_flt_new_transaction() != t);
    CHECK_EQ(ObReferenceObjectByPointer(t, TRANSACTION_QUERY_INFORMATION, *TmTransactionObjectType, KernelMode),
             STATUS_SUCCESS);
    ObDereferenceObject(t);
    CHECK_EQ(ObReferenceObjectByPointer(t, 0, *IoFileObjectType, KernelMode), STATUS_OBJECT_TYPE_MISMATCH);
    HANDLE h = NULL;
    CHECK_EQ(ObOpenObjectByPointer(t, OBJ_KERNEL_HANDLE, NULL, GENERIC_READ, *TmTransactionObjectType, KernelMode, &h),
             STATUS_SUCCESS);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_transaction_outcome(t), TransactionOutcomeUndetermined);
    CHECK_EQ(kf_flt_transaction_enlistments(t), 0);
    CHECK_EQ(TRANSACTION_ALL_ACCESS, 0x001F003F);
    CHECK_EQ(TRANSACTION_GENERIC_READ, 0x00120001);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.objects, 0); /* the model's references are not the driver's */
    static int not_a_transaction;
    CHECK_EQ(kf_flt_transaction_end((PKTRANSACTION)&not_a_transaction, KF_FLT_TXN_COMMIT), 0);
    CHECK_EQ(kf_flt_transaction_outcome(NULL), 0);
}

/* ---- FT-5 a commit, phase by phase ------------------------------------------------------------------- */

TEST(commit_notifies_each_phase_then_deletes_contexts)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    PFLT_CONTEXT c = enlist(inst, t, ALL_NOTIFICATIONS);
    CHECK_EQ(kf_flt_transaction_enlistments(t), 1);
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    /* Contexts are deleted after the last notification. */
    CHECK(!strcmp(trace, "preprepare prepare commit finalize cleanup "));
    CHECK(seen_context == c);
    CHECK_EQ(seen_objs.Size, sizeof(FLT_RELATED_OBJECTS));
    CHECK(seen_objs.Transaction == t && seen_objs.Instance == inst && seen_objs.Filter == fx_filter);
    CHECK(seen_objs.Volume != NULL && seen_objs.FileObject == NULL);
    CHECK_EQ(callback_irql, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_transaction_outcome(t), TransactionOutcomeCommitted);
    CHECK_EQ(kf_flt_transaction_enlistments(t), 0);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, 0);
    /* Ended: it cannot take a context or an enlistment any more; ending it again changes nothing. */
    PFLT_CONTEXT c2 = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c2, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c2, TRANSACTION_NOTIFY_COMMIT), STATUS_TRANSACTION_NOT_ACTIVE);
    FltReleaseContext(c2);
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_ROLLBACK), TransactionOutcomeCommitted);
    FltUnregisterFilter(fx_filter);
}

TEST(only_the_notifications_asked_for)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT_FINALIZE | TRANSACTION_NOTIFY_ROLLBACK);
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK(!strcmp(trace, "finalize cleanup "));
    trace[0] = 0;
    PKTRANSACTION u = kf_flt_new_transaction();
    enlist(inst, u, FLT_MAX_TRANSACTION_NOTIFICATIONS);
    CHECK_EQ(kf_flt_transaction_end(u, KF_FLT_TXN_ROLLBACK), TransactionOutcomeAborted);
    CHECK(!strcmp(trace, "rollback cleanup "));
    /* A transaction nobody enlisted in ends at once. */
    PKTRANSACTION v = kf_flt_new_transaction();
    CHECK_EQ(kf_flt_transaction_end(v, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    FltUnregisterFilter(fx_filter);
}

/* Two instances (two volumes) enlist: each phase reaches both before the next starts. */
TEST(phases_reach_every_enlistment_in_order)
{
    fx_fresh();
    kf_flt_set_volumes(2, NULL);
    trace[0] = 0;
    cleanups = 0;
    on_notify = NULL;
    answer_prepare = answer_preprepare = answer_commit = answer_finalize = answer_rollback = STATUS_SUCCESS;
    fx_registration.ContextRegistration = regs;
    fx_registration.TransactionNotificationCallback = notify_cb;
    PFLT_INSTANCE i0 = fx_start(), i1 = kf_flt_instance(fx_filter, 1);
    PKTRANSACTION t = kf_flt_new_transaction();
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    /* One context per (filter, transaction): both instances enlist with it. */
    CHECK_EQ(FltSetTransactionContext(i0, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), STATUS_SUCCESS);
    PFLT_CONTEXT old = NULL;
    PFLT_CONTEXT c1 = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltSetTransactionContext(i1, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c1, &old),
             STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    CHECK(old == c);
    FltReleaseContext(old);
    FltReleaseContext(c1);
    CHECK_EQ(FltEnlistInTransaction(i0, t, c, TRANSACTION_NOTIFY_PREPARE | TRANSACTION_NOTIFY_COMMIT), STATUS_SUCCESS);
    CHECK_EQ(FltEnlistInTransaction(i1, t, c, TRANSACTION_NOTIFY_PREPARE | TRANSACTION_NOTIFY_COMMIT), STATUS_SUCCESS);
    CHECK_EQ(FltEnlistInTransaction(i1, t, c, TRANSACTION_NOTIFY_PREPARE), STATUS_FLT_ALREADY_ENLISTED);
    FltReleaseContext(c);
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    /* c1, never set, went at its release; c after the last notification. */
    CHECK(!strcmp(trace, "cleanup prepare prepare commit commit cleanup "));
    CHECK_EQ(cleanups, 2u); /* c1 (never set) and c */
    FltUnregisterFilter(fx_filter);
}

/* ---- FT-6 pending notifications and their acknowledgement -------------------------------------------- */

TEST(pending_prepare_waits_for_its_acknowledgement)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, ALL_NOTIFICATIONS);
    answer_prepare = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeUndetermined);
    CHECK(!strcmp(trace, "preprepare prepare "));
    CHECK_EQ(kf_flt_transaction_unacknowledged(t), 1);
    /* Not yet acknowledged: continuing changes nothing. */
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_ROLLBACK), TransactionOutcomeUndetermined);
    CHECK(!strcmp(trace, "preprepare prepare "));
    CHECK_EQ(FltPrepareComplete(inst, t, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_transaction_unacknowledged(t), 0);
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_ROLLBACK), TransactionOutcomeCommitted);
    CHECK(!strcmp(trace, "preprepare prepare commit finalize cleanup "));
    FltUnregisterFilter(fx_filter);
}

/* The driver posts the work and acknowledges from a work item: the phase waits for it. */
static PFLT_GENERIC_WORKITEM work;
static PKTRANSACTION work_txn;
static VOID FLTAPI ack_commit_later(PFLT_GENERIC_WORKITEM item, PVOID filter_object, PVOID ctx)
{
    (void)ctx;
    add("work");
    CHECK_EQ(FltCommitComplete((PFLT_INSTANCE)filter_object, work_txn, NULL), STATUS_SUCCESS);
    FltFreeGenericWorkItem(item);
}
static void post_commit(PCFLT_RELATED_OBJECTS objs, ULONG notification)
{
    if (notification != TRANSACTION_NOTIFY_COMMIT)
        return;
    work = FltAllocateGenericWorkItem();
    CHECK(work != NULL);
    CHECK_EQ(FltQueueGenericWorkItem(work, objs->Instance, ack_commit_later, DelayedWorkQueue, NULL), STATUS_SUCCESS);
}

TEST(pending_commit_acknowledged_by_a_work_item)
{
    PFLT_INSTANCE inst = start();
    work_txn = kf_flt_new_transaction();
    enlist(inst, work_txn, TRANSACTION_NOTIFY_COMMIT | TRANSACTION_NOTIFY_COMMIT_FINALIZE);
    answer_commit = STATUS_PENDING;
    on_notify = post_commit;
    CHECK_EQ(kf_flt_transaction_end(work_txn, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK(!strcmp(trace, "commit work finalize cleanup "));
    FltUnregisterFilter(fx_filter);
}

/* Acknowledged from inside the callback before it returns STATUS_PENDING: fine. */
static void ack_inside(PCFLT_RELATED_OBJECTS objs, ULONG notification)
{
    if (notification == TRANSACTION_NOTIFY_PREPREPARE)
        CHECK_EQ(FltPrePrepareComplete(objs->Instance, objs->Transaction, NULL), STATUS_SUCCESS);
    if (notification == TRANSACTION_NOTIFY_ROLLBACK)
        CHECK_EQ(FltRollbackComplete(objs->Instance, objs->Transaction, NULL), STATUS_SUCCESS);
}

TEST(acknowledged_inside_the_callback)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, ALL_NOTIFICATIONS);
    answer_preprepare = STATUS_PENDING;
    on_notify = ack_inside;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    PKTRANSACTION u = kf_flt_new_transaction();
    enlist(inst, u, ALL_NOTIFICATIONS);
    answer_rollback = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(u, KF_FLT_TXN_ROLLBACK), TransactionOutcomeAborted);
    FltUnregisterFilter(fx_filter);
}

static PFLT_INSTANCE misuse_inst;
static PKTRANSACTION misuse_txn;
static void commit_complete(void *arg)
{
    (void)arg;
    FltCommitComplete(misuse_inst, misuse_txn, NULL);
}
static void finalize_complete(void *arg)
{
    (void)arg;
    FltCommitFinalizeComplete(misuse_inst, misuse_txn, NULL);
}

TEST(acknowledgement_not_owed_stops)
{
    misuse_inst = start();
    misuse_txn = kf_flt_new_transaction();
    enlist(misuse_inst, misuse_txn, ALL_NOTIFICATIONS);
    /* Nothing sent yet. */
    CHECK(fx_violation(commit_complete, NULL, KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED));
    CHECK_EQ(fx_stop.param[1], TRANSACTION_NOTIFY_COMMIT);
    answer_commit = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(misuse_txn, KF_FLT_TXN_COMMIT), TransactionOutcomeUndetermined);
    /* The wrong routine: commit-finalize was not sent. */
    CHECK(fx_violation(finalize_complete, NULL, KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED));
    CHECK_EQ(FltCommitComplete(misuse_inst, misuse_txn, NULL), STATUS_SUCCESS);
    /* Twice. */
    CHECK(fx_violation(commit_complete, NULL, KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED));
}

/* Acknowledging inside the callback and then answering STATUS_SUCCESS acknowledges twice. */
static void ack_then_success(void *arg)
{
    (void)arg;
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_PREPREPARE);
    on_notify = ack_inside;
    kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT);
}
TEST(acknowledged_inside_then_success_stops)
{
    CHECK(fx_violation(ack_then_success, NULL, KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED));
    CHECK_EQ(fx_stop.param[1], TRANSACTION_NOTIFY_PREPREPARE);
}

TEST(acknowledgement_without_a_context_is_not_found)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    CHECK_EQ(FltCommitComplete(inst, t, NULL), STATUS_NOT_FOUND);
    CHECK_EQ(FltPrepareComplete(inst, t, NULL), STATUS_NOT_FOUND);
    CHECK_EQ(FltPrePrepareComplete(inst, t, NULL), STATUS_NOT_FOUND);
    CHECK_EQ(FltRollbackComplete(inst, t, NULL), STATUS_NOT_FOUND);
    CHECK_EQ(FltCommitFinalizeComplete(inst, t, NULL), STATUS_NOT_FOUND);
    CHECK_EQ(FltRollbackEnlistment(inst, t, NULL), STATUS_NOT_FOUND);
}

/* ---- FT-7 FltRollbackEnlistment ---------------------------------------------------------------------- */

static void roll_back_in_prepare(PCFLT_RELATED_OBJECTS objs, ULONG notification)
{
    if (notification == TRANSACTION_NOTIFY_PREPARE)
        CHECK_EQ(FltRollbackEnlistment(objs->Instance, objs->Transaction, NULL), STATUS_SUCCESS);
    if (notification == TRANSACTION_NOTIFY_ROLLBACK)
        CHECK_EQ(FltRollbackEnlistment(objs->Instance, objs->Transaction, NULL), STATUS_TRANSACTION_REQUEST_NOT_VALID);
}

TEST(rollback_enlistment_aborts_the_commit)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, ALL_NOTIFICATIONS);
    on_notify = roll_back_in_prepare;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeAborted);
    CHECK(!strcmp(trace, "preprepare prepare rollback cleanup "));
    /* Asked while the transaction is still active: its end is a rollback, whatever the client asks. */
    trace[0] = 0;
    on_notify = NULL;
    PKTRANSACTION u = kf_flt_new_transaction();
    enlist(inst, u, ALL_NOTIFICATIONS);
    CHECK_EQ(FltRollbackEnlistment(inst, u, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltRollbackEnlistment(inst, u, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_transaction_end(u, KF_FLT_TXN_COMMIT), TransactionOutcomeAborted);
    CHECK(!strcmp(trace, "rollback cleanup "));
    FltUnregisterFilter(fx_filter);
}

static void roll_back_in_commit(PCFLT_RELATED_OBJECTS objs, ULONG notification)
{
    if (notification == TRANSACTION_NOTIFY_COMMIT)
        CHECK_EQ(FltRollbackEnlistment(objs->Instance, objs->Transaction, NULL), STATUS_TRANSACTION_REQUEST_NOT_VALID);
}

TEST(rollback_enlistment_too_late_or_not_enlisted)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, ALL_NOTIFICATIONS);
    on_notify = roll_back_in_commit;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    /* A context set, but no enlistment. */
    PKTRANSACTION u = kf_flt_new_transaction();
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltSetTransactionContext(inst, u, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), STATUS_SUCCESS);
    FltReleaseContext(c);
    CHECK_EQ(FltRollbackEnlistment(inst, u, NULL), STATUS_TRANSACTION_REQUEST_NOT_VALID);
    CHECK_EQ(kf_flt_transaction_end(u, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    FltUnregisterFilter(fx_filter);
}

/* ---- FT-3, FT-4 enlistment statuses and stops ----------------------------------------------------------- */

TEST(enlist_statuses)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, 0), STATUS_INVALID_PARAMETER_4);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT_COMPLETE), STATUS_INVALID_PARAMETER_4);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT | 0x80000000u), STATUS_INVALID_PARAMETER_4);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    /* FT-13: the site is asked once per enlistment, last. */
    fx_fail_site(KF_SITE_FLT_TXN, 1, KF_FAULT_HARD);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(kf_flt_transaction_enlistments(t), 0);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT), STATUS_SUCCESS);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_TXN), 2);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_ROLLBACK), STATUS_FLT_ALREADY_ENLISTED);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_TXN), 2);
    /* The enlistment does not need the context set on the transaction; the notification gets it,
     * and the driver's reference keeps it alive meanwhile (FT-12). */
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK(seen_context == c);
    CHECK(!strcmp(trace, "commit "));
    FltReleaseContext(c);
    CHECK(!strcmp(trace, "commit cleanup "));
    FltUnregisterFilter(fx_filter);
}

TEST(enlist_needs_a_notification_callback)
{
    fx_fresh();
    fx_registration.ContextRegistration = regs;
    PFLT_INSTANCE inst = fx_start(); /* no TransactionNotificationCallback */
    PKTRANSACTION t = kf_flt_new_transaction();
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT), STATUS_INVALID_PARAMETER);
    FltReleaseContext(c);
    /* A version 0x0200 registration has no such member at all. */
    FltUnregisterFilter(fx_filter);
    fx_fresh();
    fx_registration.ContextRegistration = regs;
    fx_registration.TransactionNotificationCallback = notify_cb;
    fx_registration.Version = FLT_REGISTRATION_VERSION_0200;
    fx_registration.Size = (USHORT)offsetof(FLT_REGISTRATION, TransactionNotificationCallback);
    inst = fx_start();
    c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltEnlistInTransaction(inst, t, c, TRANSACTION_NOTIFY_COMMIT), STATUS_INVALID_PARAMETER);
    FltReleaseContext(c);
}

static PFLT_CONTEXT misuse_ctx;
static void enlist_null_instance(void *arg)
{
    (void)arg;
    FltEnlistInTransaction(NULL, misuse_txn, misuse_ctx, TRANSACTION_NOTIFY_COMMIT);
}
static void enlist_bad_txn(void *arg)
{
    FltEnlistInTransaction(misuse_inst, (PKTRANSACTION)arg, misuse_ctx, TRANSACTION_NOTIFY_COMMIT);
}
static void enlist_ctx(void *arg)
{
    FltEnlistInTransaction(misuse_inst, misuse_txn, (PFLT_CONTEXT)arg, TRANSACTION_NOTIFY_COMMIT);
}
static void enlist_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    FltEnlistInTransaction(misuse_inst, misuse_txn, misuse_ctx, TRANSACTION_NOTIFY_COMMIT);
}
static void commit_complete_at_apc(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    FltCommitComplete(misuse_inst, misuse_txn, NULL);
}
static void rollback_complete_at_apc(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    FltRollbackComplete(misuse_inst, misuse_txn, NULL);
}
static void prepare_complete_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    FltPrepareComplete(misuse_inst, misuse_txn, NULL);
}

TEST(enlist_and_acknowledge_misuse_stops)
{
    misuse_inst = start();
    misuse_txn = kf_flt_new_transaction();
    misuse_ctx = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    static int foreign;
    CHECK(fx_violation(enlist_null_instance, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(enlist_bad_txn, NULL, KF_VIOL_FLT_TXN_INVALID));
    CHECK(fx_violation(enlist_bad_txn, &foreign, KF_VIOL_FLT_TXN_INVALID));
    CHECK(fx_violation(enlist_ctx, NULL, KF_VIOL_FLT_CONTEXT_INVALID));
    PFLT_CONTEXT other = alloc_ctx(FLT_STREAMHANDLE_CONTEXT);
    CHECK(fx_violation(enlist_ctx, other, KF_VIOL_FLT_CONTEXT_WRONG_TYPE));
    PFLT_CONTEXT gone = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    FltReleaseContext(gone);
    CHECK(fx_violation(enlist_ctx, gone, KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE));
    CHECK(fx_bugcheck(enlist_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_bugcheck(commit_complete_at_apc, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    CHECK(fx_bugcheck(rollback_complete_at_apc, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    CHECK(fx_bugcheck(prepare_complete_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    /* APC_LEVEL is fine for enlisting. */
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    CHECK_EQ(FltEnlistInTransaction(misuse_inst, misuse_txn, misuse_ctx, TRANSACTION_NOTIFY_COMMIT), STATUS_SUCCESS);
    KeLowerIrql(old);
}

/* A context allocated by another filter. */
static DRIVER_OBJECT driver2;
TEST(enlist_with_another_filters_context_stops)
{
    misuse_inst = start();
    misuse_txn = kf_flt_new_transaction();
    FLT_REGISTRATION r2 = fx_registration;
    r2.InstanceSetupCallback = NULL;
    PFLT_FILTER f2 = NULL;
    CHECK_EQ(FltRegisterFilter(&driver2, &r2, &f2), STATUS_SUCCESS);
    PFLT_CONTEXT theirs = NULL;
    CHECK_EQ(FltAllocateContext(f2, FLT_TRANSACTION_CONTEXT, 16, PagedPool, &theirs), STATUS_SUCCESS);
    CHECK(fx_violation(enlist_ctx, theirs, KF_VIOL_FLT_CONTEXT_FOREIGN));
}

TEST(routines_exist_from_vista)
{
    static const char *const profiles[] = {"profile=ws03-amd64", "profile=vista-x86"};
    for (int i = 0; i < 2; i++) {
        kft_options(profiles[i]);
        misuse_inst = start();
        misuse_txn = kf_flt_new_transaction();
        misuse_ctx = alloc_ctx(FLT_TRANSACTION_CONTEXT);
        if (i == 0) {
            CHECK(fx_violation(enlist_ctx, misuse_ctx, KF_VIOL_ROUTINE_UNAVAILABLE));
            CHECK(fx_violation(commit_complete, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
        } else {
            CHECK_EQ(FltEnlistInTransaction(misuse_inst, misuse_txn, misuse_ctx, TRANSACTION_NOTIFY_COMMIT_FINALIZE),
                     STATUS_SUCCESS);
        }
    }
    kft_options("");
}

/* ---- FT-8 callback statuses ------------------------------------------------------------------------------ */

static void end_with_bad_answer(void *arg)
{
    (void)arg;
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_PREPARE);
    answer_prepare = STATUS_UNSUCCESSFUL;
    kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT);
}
TEST(callback_must_answer_success_or_pending)
{
    CHECK(fx_violation(end_with_bad_answer, NULL, KF_VIOL_FLT_TXN_CALLBACK_STATUS));
    CHECK_EQ(fx_stop.param[1], (ULONG)STATUS_UNSUCCESSFUL);
    CHECK_EQ(fx_stop.param[2], TRANSACTION_NOTIFY_PREPARE);
}

/* ---- FT-9 instances that go away ------------------------------------------------------------------------- */

static void unregister_owing(void *arg)
{
    (void)arg;
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT);
    answer_commit = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeUndetermined);
    FltUnregisterFilter(fx_filter);
}
TEST(unacknowledged_at_unregister_stops)
{
    CHECK(fx_violation(unregister_owing, NULL, KF_VIOL_FLT_TXN_NOT_ACKNOWLEDGED));
    CHECK_EQ(fx_stop.param[1], TRANSACTION_NOTIFY_COMMIT);
    CHECK(!strcmp(fx_stop.routine, "FltUnregisterFilter"));
}

static PKTRANSACTION teardown_txn;
static void ack_in_teardown(PCFLT_RELATED_OBJECTS objs)
{
    CHECK_EQ(FltCommitComplete(objs->Instance, teardown_txn, NULL), STATUS_SUCCESS);
}

TEST(acknowledged_in_teardown_then_unregister_is_clean)
{
    PFLT_INSTANCE inst = start();
    teardown_txn = kf_flt_new_transaction();
    enlist(inst, teardown_txn, TRANSACTION_NOTIFY_COMMIT | TRANSACTION_NOTIFY_COMMIT_FINALIZE);
    answer_commit = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(teardown_txn, KF_FLT_TXN_COMMIT), TransactionOutcomeUndetermined);
    fx_on_teardown_start = ack_in_teardown;
    FltUnregisterFilter(fx_filter);
    /* The enlistment ended with the instance; the transaction's context went at unregister. */
    CHECK_EQ(kf_flt_transaction_enlistments(teardown_txn), 0);
    CHECK_EQ(cleanups, 1u);
    trace[0] = 0;
    CHECK_EQ(kf_flt_transaction_end(teardown_txn, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK(!strcmp(trace, "")); /* no notification reaches a filter that is gone */
}

/* ---- FT-10 transaction contexts ---------------------------------------------------------------------------- */

TEST(transaction_context_set_get_delete)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    PFLT_CONTEXT got = (PFLT_CONTEXT)1;
    CHECK_EQ(FltGetTransactionContext(inst, t, &got), STATUS_NOT_FOUND);
    CHECK(got == NULL);
    CHECK_EQ(FltDeleteTransactionContext(inst, t, NULL), STATUS_NOT_FOUND);
    PFLT_CONTEXT c = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(FltSetTransactionContext(inst, t, (FLT_SET_CONTEXT_OPERATION)7, c, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, NULL),
             STATUS_FLT_CONTEXT_ALREADY_LINKED);
    CHECK_EQ(FltGetTransactionContext(inst, t, &got), STATUS_SUCCESS);
    CHECK(got == c);
    FltReleaseContext(got);
    /* FltGetContexts finds it through FltObjects->Transaction. */
    FLT_RELATED_OBJECTS objs = {sizeof objs, 0, fx_filter, NULL, inst, NULL, t};
    FLT_RELATED_CONTEXTS ctxs;
    FltGetContexts(&objs, FLT_TRANSACTION_CONTEXT | FLT_INSTANCE_CONTEXT, &ctxs);
    CHECK(ctxs.TransactionContext == c && ctxs.InstanceContext == NULL);
    FltReleaseContexts(&ctxs);
    /* REPLACE hands the old one back; delete with OldContext hands it over too. */
    PFLT_CONTEXT c2 = alloc_ctx(FLT_TRANSACTION_CONTEXT), old = NULL;
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c2, &old), STATUS_SUCCESS);
    CHECK(old == c);
    FltReleaseContext(old);
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 1u);
    CHECK_EQ(FltDeleteTransactionContext(inst, t, &old), STATUS_SUCCESS);
    CHECK(old == c2);
    FltReleaseContext(old);
    CHECK_EQ(cleanups, 1u); /* the allocation's reference is still held */
    FltReleaseContext(c2);
    CHECK_EQ(cleanups, 2u);
    CHECK_EQ(FltGetTransactionContext(inst, t, &got), STATUS_NOT_FOUND);
    /* Being torn down. */
    PFLT_CONTEXT c3 = alloc_ctx(FLT_TRANSACTION_CONTEXT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c3, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    CHECK_EQ(FltSetTransactionContext(inst, t, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c3, NULL), STATUS_SUCCESS);
    FltReleaseContext(c3);
    /* FT-11 without enlistment: the end of the transaction deletes it too. */
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_ROLLBACK), TransactionOutcomeAborted);
    CHECK_EQ(cleanups, 3u);
    FltUnregisterFilter(fx_filter);
}

static void get_txn_ctx(void *arg)
{
    PFLT_CONTEXT c;
    FltGetTransactionContext(misuse_inst, (PKTRANSACTION)arg, &c);
}
static void get_txn_ctx_no_instance(void *arg)
{
    (void)arg;
    PFLT_CONTEXT c;
    FltGetTransactionContext(NULL, misuse_txn, &c);
}
static void get_txn_ctx_null_out(void *arg)
{
    (void)arg;
    FltGetTransactionContext(misuse_inst, misuse_txn, NULL);
}
static void set_wrong_type(void *arg)
{
    FltSetTransactionContext(misuse_inst, misuse_txn, FLT_SET_CONTEXT_KEEP_IF_EXISTS, (PFLT_CONTEXT)arg, NULL);
}
static void delete_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    FltDeleteTransactionContext(misuse_inst, misuse_txn, NULL);
}

TEST(transaction_context_misuse_stops)
{
    misuse_inst = start();
    misuse_txn = kf_flt_new_transaction();
    static int foreign;
    CHECK(fx_violation(get_txn_ctx, &foreign, KF_VIOL_FLT_TXN_INVALID));
    CHECK(fx_violation(get_txn_ctx, NULL, KF_VIOL_FLT_TXN_INVALID));
    CHECK(fx_violation(get_txn_ctx_no_instance, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(get_txn_ctx_null_out, NULL, KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT));
    PFLT_CONTEXT sh = alloc_ctx(FLT_STREAMHANDLE_CONTEXT);
    CHECK(fx_violation(set_wrong_type, sh, KF_VIOL_FLT_CONTEXT_WRONG_TYPE));
    CHECK(fx_bugcheck(delete_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
}

/* A transaction context set and never ended is Filter Manager's to delete at unregister. */
TEST(transaction_context_deleted_at_unregister)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT);
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(cleanups, 1u);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, 0);
}

/* ---- FT-12 a context freed while enlisted ------------------------------------------------------------------ */

static void delete_then_end(void *arg)
{
    (void)arg;
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT);
    CHECK_EQ(FltDeleteTransactionContext(inst, t, NULL), STATUS_SUCCESS); /* its last reference */
    kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT);
}
TEST(context_freed_while_enlisted_stops)
{
    CHECK(fx_violation(delete_then_end, NULL, KF_VIOL_FLT_TXN_CONTEXT_FREED));
    CHECK_EQ(fx_stop.param[1], TRANSACTION_NOTIFY_COMMIT);
}

/* ---- FT-14 the controls ------------------------------------------------------------------------------------- */

static PKTRANSACTION reenter_txn;
static void end_from_callback(PCFLT_RELATED_OBJECTS objs, ULONG notification)
{
    (void)objs;
    (void)notification;
    CHECK_EQ(kf_flt_transaction_end(reenter_txn, KF_FLT_TXN_COMMIT), 0); /* already being ended */
}

TEST(controls_refuse_what_they_cannot_do)
{
    PFLT_INSTANCE inst = start();
    reenter_txn = kf_flt_new_transaction();
    enlist(inst, reenter_txn, TRANSACTION_NOTIFY_COMMIT);
    on_notify = end_from_callback;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    CHECK_EQ(kf_flt_transaction_end(reenter_txn, KF_FLT_TXN_COMMIT), 0);
    KeLowerIrql(old);
    CHECK_EQ(kf_flt_transaction_end(reenter_txn, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK_EQ(kf_flt_transaction_enlistments(NULL), 0);
    CHECK_EQ(kf_flt_transaction_unacknowledged(NULL), 0);
    FltUnregisterFilter(fx_filter);
}

TEST(reset_forgets_transactions)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT);
    answer_commit = STATUS_PENDING;
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeUndetermined);
    kf_reset();
    CHECK_EQ(kf_flt_transaction_outcome(t), 0);
    CHECK_EQ(kf_flt_transaction_enlistments(t), 0);
    CHECK_EQ(cleanups, 0u); /* the driver is not called back at reset */
}

/* ---- FT-15 ZwQueryInformationTransaction ----------------------------------------------------------------- */

static void query_properties(void *arg)
{
    UCHAR buf[64];
    (void)ZwQueryInformationTransaction((HANDLE)arg, TransactionPropertiesInformation, buf, sizeof buf, NULL);
}

TEST(query_information_transaction_outcome)
{
    PFLT_INSTANCE inst = start();
    PKTRANSACTION t = kf_flt_new_transaction();
    enlist(inst, t, TRANSACTION_NOTIFY_COMMIT);
    HANDLE h = NULL;
    CHECK_EQ(ObOpenObjectByPointer(t, OBJ_KERNEL_HANDLE, NULL, GENERIC_READ, *TmTransactionObjectType, KernelMode, &h),
             STATUS_SUCCESS);
    TRANSACTION_BASIC_INFORMATION info;
    memset(&info, 0xCC, sizeof info);
    ULONG len = 0;
    CHECK_EQ(ZwQueryInformationTransaction(h, TransactionBasicInformation, &info, sizeof info, &len), STATUS_SUCCESS);
    CHECK_EQ(len, sizeof info);
    CHECK_EQ(info.Outcome, TransactionOutcomeUndetermined);
    CHECK_EQ(info.State, TransactionStateNormal);
    CHECK_EQ(ZwQueryInformationTransaction(h, TransactionBasicInformation, &info, sizeof info - 1, NULL),
             STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(ZwQueryInformationTransaction(h, (TRANSACTION_INFORMATION_CLASS)9, &info, sizeof info, NULL),
             STATUS_INVALID_INFO_CLASS);
    CHECK(fx_violation(query_properties, h, KF_VIOL_NOT_MODELED));
    CHECK_EQ(kf_flt_transaction_end(t, KF_FLT_TXN_COMMIT), TransactionOutcomeCommitted);
    CHECK_EQ(ZwQueryInformationTransaction(h, TransactionBasicInformation, &info, sizeof info, NULL), STATUS_SUCCESS);
    CHECK_EQ(info.Outcome, TransactionOutcomeCommitted);
    CHECK_EQ(info.State, TransactionStateCommittedNotify);
    /* The handle must allow TRANSACTION_QUERY_INFORMATION. */
    HANDLE w = NULL;
    CHECK_EQ(ObOpenObjectByPointer(t, OBJ_KERNEL_HANDLE, NULL, TRANSACTION_COMMIT, *TmTransactionObjectType, KernelMode,
                                   &w),
             STATUS_SUCCESS);
    CHECK_EQ(ZwQueryInformationTransaction(w, TransactionBasicInformation, &info, sizeof info, NULL),
             STATUS_ACCESS_DENIED);
    PFILE_OBJECT not_txn = kf_flt_new_file_object(0, L"\\x", NULL);
    HANDLE fh = NULL;
    CHECK_EQ(ObOpenObjectByPointer(not_txn, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &fh), STATUS_SUCCESS);
    CHECK_EQ(ZwQueryInformationTransaction(fh, TransactionBasicInformation, &info, sizeof info, NULL),
             STATUS_OBJECT_TYPE_MISMATCH);
    CHECK_EQ(ZwClose(fh), STATUS_SUCCESS);
    ObDereferenceObject(not_txn);
    CHECK_EQ(ZwClose(w), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"ZwQueryInformationTransaction");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ZwQueryInformationTransaction);
    FltUnregisterFilter(fx_filter);
}
