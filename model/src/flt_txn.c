/*
 * flt_txn.c - kernel transactions as a minifilter meets them: transaction objects (of
 * *TmTransactionObjectType), FltEnlistInTransaction, FltRollbackEnlistment, the notification
 * protocol the transaction manager drives through a filter's TransactionNotificationCallback
 * (pre-prepare, prepare, commit, commit-finalize, rollback) with its acknowledgements
 * (FltPrePrepareComplete, FltPrepareComplete, FltCommitComplete, FltCommitFinalizeComplete,
 * FltRollbackComplete), and the harness controls that make a transaction and end it. Rules FT-1
 * to FT-14 of model/SEMANTICS.md ("Filter Manager transactions"); the transaction contexts live
 * with the other contexts (flt_context.c, their transaction block).
 *
 * The transaction object is the object manager's (object.c, which defines its type "TmTx"); the
 * model's records of it and of its enlistments live here, found by address, never read through a
 * pointer a driver hands in.
 * Never call a driver's notification callback for an instance that went away, never deliver a
 * phase before the previous one was acknowledged, never free a transaction object here (kf_reset
 * does, in the object part).
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

/* The size of the object body a driver gets a pointer to (it is opaque to drivers). */
#define TXN_OBJECT_BYTES 64
/* The memory of one enlistment (its existence is what matters: it is allocated at site flt.txn). */
#define ENLISTMENT_BYTES 48
/* How many rounds of the model's pending work a waiting phase runs before it reports itself
 * unacknowledged (a work item that requeues itself must not hang the harness). */
#define PENDING_ROUNDS 64

#define VALID_NOTIFICATIONS                                                                          \
    (TRANSACTION_NOTIFY_PREPREPARE | TRANSACTION_NOTIFY_PREPARE | TRANSACTION_NOTIFY_COMMIT |        \
     TRANSACTION_NOTIFY_ROLLBACK | TRANSACTION_NOTIFY_COMMIT_FINALIZE)

enum phase { PH_ACTIVE, PH_PREPREPARE, PH_PREPARE, PH_COMMIT, PH_COMMIT_FINALIZE, PH_ROLLBACK, PH_DONE };
static const ULONG phase_notification[] = {0,
                                           TRANSACTION_NOTIFY_PREPREPARE,
                                           TRANSACTION_NOTIFY_PREPARE,
                                           TRANSACTION_NOTIFY_COMMIT,
                                           TRANSACTION_NOTIFY_COMMIT_FINALIZE,
                                           TRANSACTION_NOTIFY_ROLLBACK,
                                           0};

typedef struct enlistment {
    struct enlistment *next;
    const struct _FLT_INSTANCE *inst;
    PFLT_CONTEXT context;
    NOTIFICATION_MASK mask;
    ULONG owed;            /* the notification answered STATUS_PENDING and not acknowledged yet */
    ULONG delivering;      /* the notification whose callback is running now */
    BOOLEAN acked_early;   /* acknowledged from inside that callback, before it returned */
    void *mem;             /* Filter Manager's enlistment (site flt.txn) */
} enlistment;

typedef struct txn {
    struct txn *next;
    void *object;
    unsigned serial;
    enum phase phase;
    TRANSACTION_OUTCOME outcome;
    BOOLEAN rollback_asked; /* FltRollbackEnlistment while the outcome was open */
    BOOLEAN running;        /* kf_flt_transaction_end is driving it */
    enlistment *enlisted;   /* in enlistment order */
} txn;

static txn *txns;
static unsigned txn_serials;

static const char *notification_name(ULONG n)
{
    switch (n) {
    case TRANSACTION_NOTIFY_PREPREPARE: return "TRANSACTION_NOTIFY_PREPREPARE";
    case TRANSACTION_NOTIFY_PREPARE: return "TRANSACTION_NOTIFY_PREPARE";
    case TRANSACTION_NOTIFY_COMMIT: return "TRANSACTION_NOTIFY_COMMIT";
    case TRANSACTION_NOTIFY_COMMIT_FINALIZE: return "TRANSACTION_NOTIFY_COMMIT_FINALIZE";
    case TRANSACTION_NOTIFY_ROLLBACK: return "TRANSACTION_NOTIFY_ROLLBACK";
    default: return "an unknown notification";
    }
}

/* ---- Records ---------------------------------------------------------------------------------- */

static txn *find_txn(const void *p)
{
    for (txn *t = txns; p && t; t = t->next)
        if (t->object == p)
            return t;
    return NULL;
}

static txn *require_txn(const char *routine, const void *p)
{
    txn *t = find_txn(p);
    if (!t)
        kf_violation_stop(KF_VIOL_FLT_TXN_INVALID, routine, p ? 1 : 0, 0, 0,
                          "%s: Transaction %s is not a transaction object", routine, p ? "(non-NULL)" : "NULL");
    return t;
}

BOOLEAN kf__flt_txn_require(const char *routine, const void *p) { return require_txn(routine, p)->phase == PH_DONE; }

static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE p)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(p);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0, "%s: Instance %s is not a live instance",
                          routine, p ? "(non-NULL)" : "NULL");
    return inst;
}

static enlistment *enlistment_of(const txn *t, const struct _FLT_INSTANCE *inst)
{
    for (enlistment *e = t->enlisted; e; e = e->next)
        if (e->inst == inst)
            return e;
    return NULL;
}

static size_t unacknowledged(const txn *t)
{
    size_t n = 0;
    for (const enlistment *e = t->enlisted; e; e = e->next)
        n += e->owed != 0;
    return n;
}

static void free_enlistment(enlistment *e)
{
    free(e->mem);
    free(e);
}

/* FT-1: the routines exist from Vista on; then the IRQL rule. */
static void enter(const char *routine, KIRQL max)
{
    const kf_profile *p = kf_current_profile();
    if (p->os < KF_OS_VISTA) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0, "%s does not exist on %s (Vista and later)",
                          routine, kf_profile_name(p, prof, sizeof prof));
    }
    kf__flt_require_irql(routine, max);
}

/* ---- FltEnlistInTransaction (FT-3, FT-4) -------------------------------------------------------- */

NTSTATUS FLTAPI FltEnlistInTransaction(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                       PFLT_CONTEXT TransactionContext, NOTIFICATION_MASK NotificationMask)
{
    static const char routine[] = "FltEnlistInTransaction";
    enter(routine, APC_LEVEL);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    txn *t = require_txn(routine, Transaction);
    kf__flt_context_require_txn(routine, TransactionContext, inst->filter);
    if (!inst->filter->reg.TransactionNotificationCallback)
        return STATUS_INVALID_PARAMETER;
    if (!NotificationMask || (NotificationMask & ~(NOTIFICATION_MASK)VALID_NOTIFICATIONS))
        return STATUS_INVALID_PARAMETER_4;
    if (inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    if (t->phase != PH_ACTIVE)
        return STATUS_TRANSACTION_NOT_ACTIVE;
    if (enlistment_of(t, inst))
        return STATUS_FLT_ALREADY_ENLISTED;
    if (kf_fault_consult(KF_SITE_FLT_TXN) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    enlistment *e = calloc(1, sizeof *e);
    void *mem = malloc(ENLISTMENT_BYTES);
    if (!e || !mem) {
        free(e);
        free(mem);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    e->mem = mem;
    e->inst = inst;
    e->context = TransactionContext;
    e->mask = NotificationMask;
    enlistment **tail = &t->enlisted;
    while (*tail)
        tail = &(*tail)->next;
    *tail = e;
    return STATUS_SUCCESS;
}

/* ---- FltRollbackEnlistment (FT-7) ----------------------------------------------------------------- */

NTSTATUS FLTAPI FltRollbackEnlistment(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                      PFLT_CONTEXT TransactionContext)
{
    static const char routine[] = "FltRollbackEnlistment";
    enter(routine, APC_LEVEL);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    txn *t = require_txn(routine, Transaction);
    (void)TransactionContext;
    if (!kf__flt_context_of_transaction(inst->filter, Transaction))
        return STATUS_NOT_FOUND;
    if (!enlistment_of(t, inst))
        return STATUS_TRANSACTION_REQUEST_NOT_VALID;
    if (t->phase != PH_ACTIVE && t->phase != PH_PREPREPARE && t->phase != PH_PREPARE)
        return STATUS_TRANSACTION_REQUEST_NOT_VALID;
    t->rollback_asked = TRUE;
    return STATUS_SUCCESS;
}

/* ---- Acknowledgements (FT-6) ------------------------------------------------------------------------ */

static NTSTATUS acknowledge(const char *routine, KIRQL max, ULONG notification, PFLT_INSTANCE Instance,
                            PKTRANSACTION Transaction, PFLT_CONTEXT TransactionContext)
{
    enter(routine, max);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    txn *t = require_txn(routine, Transaction);
    (void)TransactionContext;
    if (!kf__flt_context_of_transaction(inst->filter, Transaction))
        return STATUS_NOT_FOUND;
    enlistment *e = enlistment_of(t, inst);
    if (e && e->delivering == notification && !e->acked_early) {
        e->acked_early = TRUE; /* answered before its callback returned STATUS_PENDING */
        return STATUS_SUCCESS;
    }
    if (!e || e->owed != notification)
        kf_violation_stop(KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED, routine, notification, t->serial, 0,
                          "%s: the instance owes no acknowledgement of %s on transaction #%u (never sent, answered "
                          "STATUS_SUCCESS, or acknowledged already)",
                          routine, notification_name(notification), t->serial);
    e->owed = 0;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltCommitComplete(PFLT_INSTANCE Instance, PKTRANSACTION Transaction, PFLT_CONTEXT TransactionContext)
{
    return acknowledge("FltCommitComplete", PASSIVE_LEVEL, TRANSACTION_NOTIFY_COMMIT, Instance, Transaction,
                       TransactionContext);
}

NTSTATUS FLTAPI FltCommitFinalizeComplete(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                          PFLT_CONTEXT TransactionContext)
{
    return acknowledge("FltCommitFinalizeComplete", APC_LEVEL, TRANSACTION_NOTIFY_COMMIT_FINALIZE, Instance,
                       Transaction, TransactionContext);
}

NTSTATUS FLTAPI FltRollbackComplete(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                    PFLT_CONTEXT TransactionContext)
{
    return acknowledge("FltRollbackComplete", PASSIVE_LEVEL, TRANSACTION_NOTIFY_ROLLBACK, Instance, Transaction,
                       TransactionContext);
}

NTSTATUS FLTAPI FltPrepareComplete(PFLT_INSTANCE Instance, PKTRANSACTION Transaction, PFLT_CONTEXT TransactionContext)
{
    return acknowledge("FltPrepareComplete", APC_LEVEL, TRANSACTION_NOTIFY_PREPARE, Instance, Transaction,
                       TransactionContext);
}

NTSTATUS FLTAPI FltPrePrepareComplete(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                      PFLT_CONTEXT TransactionContext)
{
    return acknowledge("FltPrePrepareComplete", APC_LEVEL, TRANSACTION_NOTIFY_PREPREPARE, Instance, Transaction,
                       TransactionContext);
}

/* ---- The notification protocol (FT-5, FT-8, FT-11) ------------------------------------------------------ */

/* Delivers one phase's notification to every enlistment that asked for it, in enlistment order. */
static void deliver(txn *t, ULONG notification)
{
    static const char routine[] = "TransactionNotificationCallback";
    for (enlistment *e = t->enlisted; e; e = e->next) {
        if (!e->inst || !(e->mask & notification))
            continue;
        const struct _FLT_INSTANCE *inst = e->inst;
        if (!kf__flt_context_live(e->context))
            kf_violation_stop(KF_VIOL_FLT_TXN_CONTEXT_FREED, routine, notification, t->serial, 0,
                              "the transaction context the instance enlisted with in transaction #%u was freed "
                              "before %s could be delivered",
                              t->serial, notification_name(notification));
        FLT_RELATED_OBJECTS objs = {sizeof(FLT_RELATED_OBJECTS), 0, inst->filter, inst->volume,
                                    (PFLT_INSTANCE)inst, NULL, (PKTRANSACTION)t->object};
        e->delivering = notification;
        e->acked_early = FALSE;
        NTSTATUS st = inst->filter->reg.TransactionNotificationCallback(&objs, e->context, notification);
        e->delivering = 0;
        if (st == STATUS_PENDING) {
            if (!e->acked_early)
                e->owed = notification;
        } else if (st != STATUS_SUCCESS) {
            kf_violation_stop(KF_VIOL_FLT_TXN_CALLBACK_STATUS, routine, (ULONG_PTR)(ULONG)st, notification, 0,
                              "the callback answered %s on transaction #%u with 0x%08X; it may only return "
                              "STATUS_SUCCESS or STATUS_PENDING",
                              notification_name(notification), t->serial, (unsigned)st);
        } else if (e->acked_early) {
            kf_violation_stop(KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED, routine, notification, t->serial, 0,
                              "the callback acknowledged %s on transaction #%u with its Flt*Complete routine and "
                              "then returned STATUS_SUCCESS: the notification was acknowledged twice",
                              notification_name(notification), t->serial);
        }
    }
    /* Enlistments whose instance went away while their callback ran (FT-9) end now. */
    for (enlistment **pp = &t->enlisted; *pp;) {
        enlistment *e = *pp;
        if (e->inst) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        free_enlistment(e);
    }
}

/* The transaction is over: its contexts are deleted after the last notification (FT-11). */
static void finish(txn *t)
{
    t->phase = PH_DONE;
    while (t->enlisted) {
        enlistment *e = t->enlisted;
        t->enlisted = e->next;
        free_enlistment(e);
    }
    kf__flt_context_transaction_gone(t->object);
}

static TRANSACTION_OUTCOME run(txn *t)
{
    for (;;) {
        for (int i = 0; i < PENDING_ROUNDS && unacknowledged(t); i++)
            if (!kf__run_pending())
                break;
        if (unacknowledged(t))
            return TransactionOutcomeUndetermined;
        enum phase next;
        switch (t->phase) {
        case PH_PREPREPARE:
            next = t->rollback_asked ? PH_ROLLBACK : PH_PREPARE;
            break;
        case PH_PREPARE:
            next = t->rollback_asked ? PH_ROLLBACK : PH_COMMIT;
            break;
        case PH_COMMIT:
            next = PH_COMMIT_FINALIZE;
            break;
        case PH_COMMIT_FINALIZE:
        case PH_ROLLBACK:
            finish(t);
            return t->outcome;
        default:
            return t->outcome;
        }
        t->phase = next;
        if (next == PH_COMMIT)
            t->outcome = TransactionOutcomeCommitted;
        else if (next == PH_ROLLBACK)
            t->outcome = TransactionOutcomeAborted;
        deliver(t, phase_notification[next]);
    }
}

/* ---- Instance teardown (FT-9) ----------------------------------------------------------------------- */

void kf__flt_txn_instance_gone(const struct _FLT_INSTANCE *inst)
{
    const char *routine = inst->filter->unregistering ? "FltUnregisterFilter" : "FltStartFiltering";
    for (txn *t = txns; t; t = t->next) {
        for (enlistment **pp = &t->enlisted; *pp;) {
            enlistment *e = *pp;
            if (e->inst != inst) {
                pp = &e->next;
                continue;
            }
            if (e->delivering) { /* its callback is running: the delivery loop ends it */
                e->inst = NULL;
                pp = &e->next;
                continue;
            }
            if (e->owed)
                kf_violation_stop(KF_VIOL_FLT_TXN_NOT_ACKNOWLEDGED, routine, e->owed, t->serial, 0,
                                  "the instance answered %s on transaction #%u with STATUS_PENDING and never "
                                  "acknowledged it; the instance is going away and the transaction manager waits "
                                  "for the acknowledgement forever",
                                  notification_name(e->owed), t->serial);
            *pp = e->next;
            free_enlistment(e);
        }
    }
}

/* ---- Harness controls (kfault/flt_model.h) ---------------------------------------------------------- */

PKTRANSACTION kf_flt_new_transaction(void)
{
    txn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    void *object = kf__object_create(*TmTransactionObjectType, TXN_OBJECT_BYTES, "Transaction");
    if (!object) {
        free(t);
        return NULL;
    }
    t->object = object;
    t->serial = ++txn_serials;
    t->phase = PH_ACTIVE;
    t->outcome = TransactionOutcomeUndetermined;
    t->next = txns;
    txns = t;
    return (PKTRANSACTION)object;
}

TRANSACTION_OUTCOME kf_flt_transaction_end(PKTRANSACTION txn_object, kf_flt_txn_end how)
{
    txn *t = find_txn(txn_object);
    if (!t || t->running || KeGetCurrentIrql() != PASSIVE_LEVEL)
        return (TRANSACTION_OUTCOME)0;
    t->running = TRUE;
    if (t->phase == PH_ACTIVE) {
        if (how == KF_FLT_TXN_ROLLBACK || t->rollback_asked) {
            t->phase = PH_ROLLBACK;
            t->outcome = TransactionOutcomeAborted;
        } else {
            t->phase = PH_PREPREPARE;
        }
        deliver(t, phase_notification[t->phase]);
    }
    TRANSACTION_OUTCOME o = run(t);
    t->running = FALSE;
    return o;
}

TRANSACTION_OUTCOME kf_flt_transaction_outcome(PKTRANSACTION txn_object)
{
    txn *t = find_txn(txn_object);
    return t ? t->outcome : (TRANSACTION_OUTCOME)0;
}

size_t kf_flt_transaction_enlistments(PKTRANSACTION txn_object)
{
    txn *t = find_txn(txn_object);
    size_t n = 0;
    for (enlistment *e = t ? t->enlisted : NULL; e; e = e->next)
        n++;
    return n;
}

size_t kf_flt_transaction_unacknowledged(PKTRANSACTION txn_object)
{
    txn *t = find_txn(txn_object);
    return t ? unacknowledged(t) : 0;
}

/* ---- Reset ------------------------------------------------------------------------------------------ */

static void txn_reset(void)
{
    /* The objects are the object part's: its reset frees them. */
    while (txns) {
        txn *t = txns;
        txns = t->next;
        while (t->enlisted) {
            enlistment *e = t->enlisted;
            t->enlisted = e->next;
            free_enlistment(e);
        }
        free(t);
    }
    txn_serials = 0;
}

__attribute__((constructor)) static void txn_register(void) { kf__register_reset(txn_reset); }

/* ---- FT-15 ZwQueryInformationTransaction (the basic information a scanner asks for the outcome) ---- */

NTSTATUS NTAPI ZwQueryInformationTransaction(HANDLE TransactionHandle,
                                             TRANSACTION_INFORMATION_CLASS TransactionInformationClass,
                                             PVOID TransactionInformation, ULONG TransactionInformationLength,
                                             PULONG ReturnLength)
{
    static const char routine[] = "ZwQueryInformationTransaction";
    kf__irql_passive(routine);
    void *object = NULL;
    NTSTATUS st = kf__handle_lookup(routine, TransactionHandle, TRANSACTION_QUERY_INFORMATION, *TmTransactionObjectType,
                                    KernelMode, 1, &object, NULL);
    if (!NT_SUCCESS(st))
        return st;
    if (TransactionInformationClass != TransactionBasicInformation) {
        if ((unsigned)TransactionInformationClass <= (unsigned)TransactionSuperiorEnlistmentInformation)
            kf_violation_stop(KF_VIOL_NOT_MODELED, routine, 0, 0, 0,
                              "%s: information class %d is not modeled (only TransactionBasicInformation is)",
                              routine, (int)TransactionInformationClass);
        return STATUS_INVALID_INFO_CLASS;
    }
    if (TransactionInformationLength < sizeof(TRANSACTION_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!TransactionInformation)
        kf_violation_stop(KF_VIOL_OB_NULL_ARGUMENT, routine, 3, 0, 0, "%s: TransactionInformation is NULL", routine);
    txn *t = find_txn(object);
    TRANSACTION_BASIC_INFORMATION info;
    memset(&info, 0, sizeof info);
    /* A GUID of the model's own: the transaction's serial in the first field, a fixed tail. */
    info.TransactionId.Data1 = t ? t->serial : 0;
    info.TransactionId.Data2 = 0x4B46;
    info.TransactionId.Data3 = 0x5458;
    info.Outcome = t ? (ULONG)t->outcome : (ULONG)TransactionOutcomeUndetermined;
    info.State = info.Outcome == TransactionOutcomeCommitted ? TransactionStateCommittedNotify : TransactionStateNormal;
    memcpy(TransactionInformation, &info, sizeof info);
    if (ReturnLength)
        *ReturnLength = sizeof info;
    return STATUS_SUCCESS;
}
