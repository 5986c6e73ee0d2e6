/*
 * flt_work.c - Filter Manager work items: FltAllocateGenericWorkItem / FltQueueGenericWorkItem /
 * FltFreeGenericWorkItem and FltAllocateDeferredIoWorkItem / FltQueueDeferredIoWorkItem /
 * FltFreeDeferredIoWorkItem. Queued items run in queue order at PASSIVE_LEVEL when the harness
 * calls kf_flt_run_work_items, when the model runs its pending work (a wait nobody else can
 * end), and, for a filter's own items, when the filter unregisters. Rules FW-1 to FW-6 of
 * model/SEMANTICS.md. And the cancel-safe callback data queues (FltCbdq*): the queue's
 * callbacks are called with its lock taken through its own Acquire / Release; the model keeps
 * its own record of what is queued to tell leaks, double inserts and foreign entries (FW-7 to
 * FW-9).
 *
 * Must never: run a work item from inside the routine that queued it, dereference an item
 * pointer the driver hands in before finding it among the live items, or decide a failure
 * itself (it asks the fault hook at flt.workitem).
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1

enum wi_kind { WI_GENERIC = 1, WI_DEFERRED = 2 };

/* One allocation: the opaque item the driver holds is this record. */
struct wi {
    struct wi *next;   /* all items allocated */
    struct wi *qnext;  /* the queue */
    enum wi_kind kind;
    BOOLEAN queued;
    struct _FLT_FILTER *filter; /* whose rundown the queued item holds */
    PFLT_GENERIC_WORKITEM_ROUTINE generic;
    PFLT_DEFERRED_IO_WORKITEM_ROUTINE deferred;
    PVOID object;      /* FltObject, or the callback data */
    PVOID context;
};

static struct wi *items;
static struct wi *q_head, *q_tail;

static struct wi *find_item(const void *p, enum wi_kind kind)
{
    for (struct wi *w = items; w; w = w->next)
        if ((const void *)w == p && w->kind == kind)
            return w;
    return NULL;
}

static struct wi *require_item(const char *routine, const void *p, enum wi_kind kind)
{
    struct wi *w = find_item(p, kind);
    if (!w)
        kf_violation_stop(KF_VIOL_FLT_WORKITEM_INVALID, routine, kind, 0, 0,
                          "%s: the work item is not an allocated %s work item (freed already, never allocated, "
                          "or of the other kind)",
                          routine, kind == WI_GENERIC ? "generic" : "deferred I/O");
    return w;
}

static _Noreturn void bad_arg(const char *routine, unsigned pos, ULONG_PTR value, const char *what)
    __attribute__((noreturn));
static void bad_arg(const char *routine, unsigned pos, ULONG_PTR value, const char *what)
{
    kf_violation_stop(KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, routine, pos, value, 0, "%s: %s", routine, what);
}

/* ---- FW-1 allocation ------------------------------------------------------------------------ */

static void *allocate(const char *routine, enum wi_kind kind)
{
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    if (kf_fault_consult(KF_SITE_FLT_WORKITEM) != KF_FAULT_NONE)
        return NULL;
    struct wi *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->kind = kind;
    w->next = items;
    items = w;
    return w;
}

PFLT_GENERIC_WORKITEM FLTAPI FltAllocateGenericWorkItem(VOID)
{
    return (PFLT_GENERIC_WORKITEM)allocate("FltAllocateGenericWorkItem", WI_GENERIC);
}

PFLT_DEFERRED_IO_WORKITEM FLTAPI FltAllocateDeferredIoWorkItem(VOID)
{
    return (PFLT_DEFERRED_IO_WORKITEM)allocate("FltAllocateDeferredIoWorkItem", WI_DEFERRED);
}

/* ---- FW-4 freeing ----------------------------------------------------------------------------- */

static void release(const char *routine, const void *p, enum wi_kind kind)
{
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    struct wi *w = require_item(routine, p, kind);
    if (w->queued)
        kf_violation_stop(KF_VIOL_FLT_WORKITEM_FREE_QUEUED, routine, 0, 0, 0,
                          "%s: the work item is still queued (its routine has not started)", routine);
    for (struct wi **pp = &items; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    free(w);
}

VOID FLTAPI FltFreeGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem)
{
    release("FltFreeGenericWorkItem", FltWorkItem, WI_GENERIC);
}

VOID FLTAPI FltFreeDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem)
{
    release("FltFreeDeferredIoWorkItem", FltWorkItem, WI_DEFERRED);
}

/* ---- FW-2 / FW-3 queueing ---------------------------------------------------------------------- */

static struct wi *queue_checks(const char *routine, const void *item, enum wi_kind kind, int routine_null,
                               WORK_QUEUE_TYPE type)
{
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    struct wi *w = require_item(routine, item, kind);
    if (w->queued)
        kf_violation_stop(KF_VIOL_FLT_WORKITEM_REQUEUE, routine, 0, 0, 0,
                          "%s: the work item is queued already and its routine has not started", routine);
    if (routine_null)
        bad_arg(routine, 3, 0, "WorkerRoutine is NULL");
    if (type != CriticalWorkQueue && type != DelayedWorkQueue)
        bad_arg(routine, 4, (ULONG_PTR)type,
                "QueueType must be CriticalWorkQueue or DelayedWorkQueue (the only queues Filter Manager accepts)");
    return w;
}

static void enqueue(struct wi *w, struct _FLT_FILTER *f, PVOID object, PVOID context)
{
    w->queued = TRUE;
    w->filter = f;
    w->object = object;
    w->context = context;
    w->qnext = NULL;
    if (q_tail)
        q_tail->qnext = w;
    else
        q_head = w;
    q_tail = w;
}

static BOOLEAN instance_going(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

NTSTATUS FLTAPI FltQueueGenericWorkItem(PFLT_GENERIC_WORKITEM FltWorkItem, PVOID FltObject,
                                        PFLT_GENERIC_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                                        PVOID Context)
{
    static const char routine[] = "FltQueueGenericWorkItem";
    struct wi *w = queue_checks(routine, FltWorkItem, WI_GENERIC, WorkerRoutine == NULL, QueueType);
    struct _FLT_FILTER *f = kf__flt_find_filter((PFLT_FILTER)FltObject);
    struct _FLT_INSTANCE *inst = f ? NULL : kf__flt_find_instance((PFLT_INSTANCE)FltObject);
    if (!f && !inst)
        bad_arg(routine, 2, 0, "FltObject is not a registered filter or a live instance");
    if (f ? f->unregistering : instance_going(inst))
        return STATUS_FLT_DELETING_OBJECT;
    w->generic = WorkerRoutine;
    enqueue(w, f ? f : inst->filter, FltObject, Context);
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltQueueDeferredIoWorkItem(PFLT_DEFERRED_IO_WORKITEM FltWorkItem, PFLT_CALLBACK_DATA Data,
                                           PFLT_DEFERRED_IO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                                           PVOID Context)
{
    static const char routine[] = "FltQueueDeferredIoWorkItem";
    struct wi *w = queue_checks(routine, FltWorkItem, WI_DEFERRED, WorkerRoutine == NULL, QueueType);
    if (!Data || !Data->Iopb)
        bad_arg(routine, 2, 0, "Data is NULL (or has no parameter block)");
    /* FW-3: only an IRP-based operation that is not paging I/O can be posted. */
    if (!FLT_IS_IRP_OPERATION(Data) || (Data->Iopb->IrpFlags & IRP_PAGING_IO))
        return STATUS_FLT_NOT_SAFE_TO_POST_OPERATION;
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Data->Iopb->TargetInstance);
    if (!inst)
        bad_arg(routine, 2, 0, "Data->Iopb->TargetInstance is not a live instance");
    if (instance_going(inst))
        return STATUS_FLT_DELETING_OBJECT;
    w->deferred = WorkerRoutine;
    enqueue(w, inst->filter, Data, Context);
    return STATUS_SUCCESS;
}

/* ---- FW-5 running -------------------------------------------------------------------------------- */

static void run_one(struct wi *w)
{
    /* Dequeue first: the routine normally frees its item. */
    struct wi **pp = &q_head;
    struct wi *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->qnext;
    }
    if (!*pp)
        return;
    *pp = w->qnext;
    if (q_tail == w)
        q_tail = prev;
    w->queued = FALSE;
    w->qnext = NULL;
    enum wi_kind kind = w->kind;
    PFLT_GENERIC_WORKITEM_ROUTINE g = w->generic;
    PFLT_DEFERRED_IO_WORKITEM_ROUTINE d = w->deferred;
    PVOID object = w->object, context = w->context;
    KIRQL saved = KeGetCurrentIrql();
    kf_set_irql(PASSIVE_LEVEL);
    if (kind == WI_GENERIC)
        g((PFLT_GENERIC_WORKITEM)w, object, context);
    else
        d((PFLT_DEFERRED_IO_WORKITEM)w, (PFLT_CALLBACK_DATA)object, context);
    KIRQL now = KeGetCurrentIrql();
    if (now != PASSIVE_LEVEL)
        kf_bugcheck(kind == WI_GENERIC ? "FltQueueGenericWorkItem" : "FltQueueDeferredIoWorkItem",
                    WORKER_THREAD_RETURNED_AT_BAD_IRQL, 0, now, 0, 0,
                    "a Flt work item routine returned at IRQL %u (work items run and must return at PASSIVE_LEVEL)",
                    now);
    kf_set_irql(saved);
}

size_t kf_flt_run_work_items(void)
{
    /* Only what is queued now: items the routines queue wait for the next run. */
    size_t due = kf_flt_work_items_queued(), ran = 0;
    while (q_head && ran < due) {
        run_one(q_head);
        ran++;
    }
    return ran;
}

size_t kf_flt_work_items_queued(void)
{
    size_t n = 0;
    for (struct wi *w = q_head; w; w = w->qnext)
        n++;
    return n;
}

size_t kf_flt_work_items_outstanding(void)
{
    size_t n = 0;
    for (struct wi *w = items; w; w = w->next)
        n++;
    return n;
}

/* For the driver harness's finding (kfault/flt_model.h): kf_flt_work_items_outstanding, told apart. */
void kf_flt_work_items_left(size_t *generic, size_t *deferred, size_t *queued)
{
    size_t g = 0, d = 0, q = 0;
    for (struct wi *w = items; w; w = w->next) {
        if (w->kind == WI_GENERIC)
            g++;
        else
            d++;
        q += w->queued != 0;
    }
    if (generic)
        *generic = g;
    if (deferred)
        *deferred = d;
    if (queued)
        *queued = q;
}

/* ---- FW-6 unregistering ---------------------------------------------------------------------------- */

void kf__flt_work_at_unregister(struct _FLT_FILTER *f)
{
    /* New queueing for f already returns STATUS_FLT_DELETING_OBJECT, so this ends. */
    for (;;) {
        struct wi *w = q_head;
        while (w && w->filter != f)
            w = w->qnext;
        if (!w)
            return;
        run_one(w);
    }
}


/* ---- FW-7..FW-9 cancel-safe callback data queues ------------------------------------------------ */

#define MAX_QUEUES 32

struct cbdq_entry {
    struct cbdq_entry *next;
    PFLT_CALLBACK_DATA data;
    PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT context; /* NULL: inserted without one */
};

struct cbdq_rec {
    PFLT_CALLBACK_DATA_QUEUE q;  /* the driver's queue (compared, and its callbacks read) */
    struct _FLT_FILTER *filter;
    BOOLEAN enabled;
    BOOLEAN locked;              /* between Acquire and Release */
    struct cbdq_entry *entries;  /* in insertion order */
};

static struct cbdq_rec queues[MAX_QUEUES];
static struct cbdq_entry *spare_entry;

static struct cbdq_rec *find_queue(PFLT_CALLBACK_DATA_QUEUE q)
{
    for (int i = 0; i < MAX_QUEUES; i++)
        if (queues[i].q && queues[i].q == q)
            return &queues[i];
    return NULL;
}

static struct cbdq_rec *require_queue(const char *routine, PFLT_CALLBACK_DATA_QUEUE q)
{
    if (!q)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, 1, 0, 0, "%s: Cbdq is NULL", routine);
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    struct cbdq_rec *r = find_queue(q);
    if (!r)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_NOT_INITIALIZED, routine, 0, 0, 0,
                          "%s: the queue was never initialized with FltCbdqInitialize", routine);
    if (r->locked)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_REENTERED, routine, 0, 0, 0,
                          "%s called from one of the queue's callbacks while the queue's lock is held", routine);
    return r;
}

/* The queue counts as locked from the call of Acquire until Release returns: both are the
 * queue's callbacks, and one that calls back into the queue takes the driver's lock twice (FW-7). */
static KIRQL lock_queue(struct cbdq_rec *r, KIRQL *before)
{
    KIRQL irql = PASSIVE_LEVEL;
    *before = KeGetCurrentIrql();
    r->locked = TRUE;
    r->q->Acquire(r->q, &irql);
    return irql;
}

static void unlock_queue(const char *routine, struct cbdq_rec *r, KIRQL irql, KIRQL before)
{
    r->q->Release(r->q, irql);
    r->locked = FALSE;
    KIRQL after = KeGetCurrentIrql();
    if (after != before)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_LOCK_UNBALANCED, routine, before, after, 0,
                          "%s: IRQL %u before the queue's Acquire callback, %u after its Release callback", routine,
                          before, after);
}

static struct cbdq_entry **find_entry(struct cbdq_rec *r, PFLT_CALLBACK_DATA d)
{
    for (struct cbdq_entry **pp = &r->entries; *pp; pp = &(*pp)->next)
        if ((*pp)->data == d)
            return pp;
    return NULL;
}

static void drop_entry(struct cbdq_entry **pp)
{
    struct cbdq_entry *e = *pp;
    *pp = e->next;
    free(e);
}

NTSTATUS FLTAPI FltCbdqInitialize(PFLT_INSTANCE Instance, PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                  PFLT_CALLBACK_DATA_QUEUE_INSERT_IO CbdqInsertIo,
                                  PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO CbdqRemoveIo,
                                  PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO CbdqPeekNextIo,
                                  PFLT_CALLBACK_DATA_QUEUE_ACQUIRE CbdqAcquire,
                                  PFLT_CALLBACK_DATA_QUEUE_RELEASE CbdqRelease,
                                  PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CbdqCompleteCanceledIo)
{
    static const char routine[] = "FltCbdqInitialize";
    const void *args[8] = {Instance, Cbdq, (void *)CbdqInsertIo, (void *)CbdqRemoveIo, (void *)CbdqPeekNextIo,
                           (void *)CbdqAcquire, (void *)CbdqRelease, (void *)CbdqCompleteCanceledIo};
    for (unsigned i = 0; i < 8; i++)
        if (!args[i])
            kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, i + 1, 0, 0,
                              "FltCbdqInitialize: argument %u is NULL", i + 1);
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "FltCbdqInitialize: Instance is not a live instance");
    struct cbdq_rec *r = find_queue(Cbdq);
    if (r && r->locked)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_REENTERED, routine, 0, 0, 0,
                          "FltCbdqInitialize on a queue whose lock is held");
    if (!r)
        for (int i = 0; i < MAX_QUEUES && !r; i++)
            if (!queues[i].q)
                r = &queues[i];
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES; /* the model's bound: never reached by the tests' drivers */
    while (r->entries)
        drop_entry(&r->entries);
    memset(&Cbdq->Csq, 0, sizeof Cbdq->Csq);
    Cbdq->Flags = 0;
    Cbdq->Instance = Instance;
    Cbdq->InsertIo = CbdqInsertIo;
    Cbdq->RemoveIo = CbdqRemoveIo;
    Cbdq->PeekNextIo = CbdqPeekNextIo;
    Cbdq->Acquire = CbdqAcquire;
    Cbdq->Release = CbdqRelease;
    Cbdq->CompleteCanceledIo = CbdqCompleteCanceledIo;
    r->q = Cbdq;
    r->filter = inst->filter;
    r->enabled = TRUE;
    r->locked = FALSE;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltCbdqInsertIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PFLT_CALLBACK_DATA Cbd,
                                PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context, PVOID InsertContext)
{
    static const char routine[] = "FltCbdqInsertIo";
    struct cbdq_rec *r = require_queue(routine, Cbdq);
    if (!Cbd)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, 2, 0, 0, "FltCbdqInsertIo: Cbd is NULL");
    if (!FLT_IS_IRP_OPERATION(Cbd))
        kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, 2, Cbd->Flags, 0,
                          "FltCbdqInsertIo: only IRP-based operations can be queued (Flags 0x%lx)",
                          (unsigned long)Cbd->Flags);
    if (find_entry(r, Cbd))
        kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, 2, 0, 0,
                          "FltCbdqInsertIo: the callback data is in the queue already");
    if (!r->enabled)
        return STATUS_FLT_CBDQ_DISABLED;
    /* The record is allocated before the lock and kept aside, so that a stop inside a
     * callback leaves nothing the reset cannot free. */
    if (!spare_entry)
        spare_entry = calloc(1, sizeof *spare_entry);
    if (!spare_entry)
        return STATUS_INSUFFICIENT_RESOURCES;
    KIRQL before, irql = lock_queue(r, &before);
    NTSTATUS st = Cbdq->InsertIo(Cbdq, Cbd, InsertContext);
    if (NT_SUCCESS(st)) {
        struct cbdq_entry *e = spare_entry;
        spare_entry = NULL;
        e->data = Cbd;
        e->context = Context;
        struct cbdq_entry **tail = &r->entries;
        while (*tail)
            tail = &(*tail)->next;
        *tail = e;
        if (Context) {
            Context->Type = 2; /* IO_TYPE_CSQ_IRP_CONTEXT */
            Context->Irp = NULL; /* the model's operations have no IRP */
            Context->Csq = &Cbdq->Csq;
        }
    }
    unlock_queue(routine, r, irql, before);
    return st;
}

PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context)
{
    static const char routine[] = "FltCbdqRemoveIo";
    struct cbdq_rec *r = require_queue(routine, Cbdq);
    if (!Context)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, routine, 2, 0, 0, "FltCbdqRemoveIo: Context is NULL");
    KIRQL before, irql = lock_queue(r, &before);
    PFLT_CALLBACK_DATA d = NULL;
    for (struct cbdq_entry **pp = &r->entries; *pp; pp = &(*pp)->next)
        if ((*pp)->context == Context) {
            d = (*pp)->data;
            drop_entry(pp);
            Cbdq->RemoveIo(Cbdq, d);
            break;
        }
    unlock_queue(routine, r, irql, before);
    return d;
}

PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveNextIo(PFLT_CALLBACK_DATA_QUEUE Cbdq, PVOID PeekContext)
{
    static const char routine[] = "FltCbdqRemoveNextIo";
    struct cbdq_rec *r = require_queue(routine, Cbdq);
    KIRQL before, irql = lock_queue(r, &before);
    PFLT_CALLBACK_DATA d = Cbdq->PeekNextIo(Cbdq, NULL, PeekContext);
    if (d) {
        struct cbdq_entry **pp = find_entry(r, d);
        if (!pp) {
            r->locked = FALSE;
            kf_violation_stop(KF_VIOL_FLT_CBDQ_PEEK_FOREIGN, routine, 0, 0, 0,
                              "FltCbdqRemoveNextIo: PeekNextIo returned callback data that is not in the queue");
        }
        drop_entry(pp);
        Cbdq->RemoveIo(Cbdq, d);
    }
    unlock_queue(routine, r, irql, before);
    return d;
}

VOID FLTAPI FltCbdqEnable(PFLT_CALLBACK_DATA_QUEUE Cbdq) { require_queue("FltCbdqEnable", Cbdq)->enabled = TRUE; }

VOID FLTAPI FltCbdqDisable(PFLT_CALLBACK_DATA_QUEUE Cbdq) { require_queue("FltCbdqDisable", Cbdq)->enabled = FALSE; }

int kf_flt_cbdq_cancel(PFLT_CALLBACK_DATA_QUEUE queue, PFLT_CALLBACK_DATA data)
{
    struct cbdq_rec *r = find_queue(queue);
    if (!r || r->locked)
        return -1;
    struct cbdq_entry **pp = find_entry(r, data);
    if (!pp)
        return -1;
    KIRQL before, irql = lock_queue(r, &before);
    drop_entry(pp);
    queue->RemoveIo(queue, data);
    unlock_queue("kf_flt_cbdq_cancel", r, irql, before);
    queue->CompleteCanceledIo(queue, data);
    return 0;
}

KF__NO_COVERAGE size_t kf_flt_cbdq_entries(void)
{
    size_t n = 0;
    for (int i = 0; i < MAX_QUEUES; i++)
        for (struct cbdq_entry *e = queues[i].entries; e; e = e->next)
            n++;
    return n;
}

void kf__flt_cbdq_at_unregister(struct _FLT_FILTER *f)
{
    size_t left = 0;
    for (int i = 0; i < MAX_QUEUES; i++)
        if (queues[i].q && queues[i].filter == f)
            for (struct cbdq_entry *e = queues[i].entries; e; e = e->next)
                left++;
    if (left)
        kf_violation_stop(KF_VIOL_FLT_CBDQ_OUTSTANDING_AT_UNREGISTER, "FltUnregisterFilter", left, 0, 0,
                          "%zu callback data still in the filter's cancel-safe queues after its instances were "
                          "torn down (they are never completed)",
                          left);
    for (int i = 0; i < MAX_QUEUES; i++)
        if (queues[i].q && queues[i].filter == f)
            memset(&queues[i], 0, sizeof queues[i]);
}

static void cbdq_reset(void)
{
    free(spare_entry);
    spare_entry = NULL;
    for (int i = 0; i < MAX_QUEUES; i++) {
        while (queues[i].entries)
            drop_entry(&queues[i].entries);
        memset(&queues[i], 0, sizeof queues[i]);
    }
}

/* ---- Reset ---------------------------------------------------------------------------------------- */

static void work_reset(void)
{
    while (items) {
        struct wi *w = items;
        items = w->next;
        free(w);
    }
    q_head = q_tail = NULL;
    cbdq_reset();
}

static int run_pending(void) { return kf_flt_run_work_items() != 0; }

__attribute__((constructor)) static void work_register(void)
{
    kf__register_reset(work_reset);
    kf__register_pending(run_pending);
    kf__flt_work_outstanding = kf_flt_work_items_outstanding;
    kf__flt_cbdq_outstanding = kf_flt_cbdq_entries;
}
