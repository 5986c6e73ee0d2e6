/*
 * flt_io.c - Filter Manager callback data and the I/O a minifilter issues with it:
 * FltAllocateCallbackData(Ex), FltFreeCallbackData, FltReuseCallbackData,
 * FltPerformSynchronousIo, FltPerformAsynchronousIo; the modeled layers below the instance;
 * deferred completions.
 *
 * Every callback data lives in its own heap block, really released by free() when the driver
 * frees it, so AddressSanitizer catches any touch afterwards. The model keeps its own record
 * of each one elsewhere and never reads a pointer the driver hands in before finding it among
 * the outstanding ones. Filter Manager's own callback data for the Flt*File routines
 * (flt_fileio.c) lives here too, apart from the driver's count and out of its reach. Every allocation asks its fault site first; the model never decides a
 * failure itself. The rules, in the order checked, are in model/SEMANTICS.md "Filter Manager".
 */
#include "flt_internal.h"

#include <stdlib.h>

/* What the driver sees: one heap block per callback data. */
typedef struct cbd_block {
    FLT_CALLBACK_DATA data;
    FLT_IO_PARAMETER_BLOCK iopb;
} cbd_block;

/* The model's record of one outstanding callback data (never inside the driver's block). */
typedef struct cbd_rec {
    struct cbd_rec *prev, *next;
    cbd_block *block;
    const struct _FLT_INSTANCE *instance; /* the instance named at allocation (its rundown) */
    unsigned long long serial;            /* 1, 2, ... in allocation order within a run */
    void *prealloc;                       /* memory taken up front (the preallocate flag) */
    void *per_io;                         /* memory of the I/O in progress, on-demand kind */
    BOOLEAN preallocated;
    BOOLEAN performed;                    /* used in a Perform call since allocation / reuse */
    BOOLEAN in_flight;                    /* asynchronous I/O started, callback not yet run */
    BOOLEAN owned;                        /* Filter Manager's own, for a Flt*File routine (flt_fileio.c) */
} cbd_rec;

typedef struct pending_io {
    struct pending_io *next;
    cbd_rec *rec;
    PFLT_COMPLETED_ASYNC_IO_CALLBACK routine;
    PVOID context;
} pending_io;

/* The memory a real Filter Manager needs per I/O (an IRP and its bookkeeping): only its
 * existence matters here, so that the allocation is real and its release can be checked. */
#define PER_IO_BYTES 256

static cbd_rec outstanding = {&outstanding, &outstanding, NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0};
static size_t n_outstanding;
static unsigned long long next_serial;

/* Recently freed blocks, to tell a double free from a pointer the model never handed out
 * without touching freed memory. Bounded: older frees are reported as foreign pointers. */
#define FREED_RING 64
static struct {
    const void *ptr;
    unsigned long long serial;
} freed[FREED_RING];
static unsigned freed_next;

static pending_io *pending_head, **pending_tail = &pending_head;
static size_t n_pending;

static kf_flt_lower_fn lower_hook;
static void *lower_ctx;
static kf_flt_completion async_mode = KF_FLT_COMPLETE_INLINE;
static KIRQL completion_irql = PASSIVE_LEVEL;

/* ---- Records ---------------------------------------------------------------------------- */

static cbd_rec *find(PFLT_CALLBACK_DATA p)
{
    if (!p)
        return NULL;
    for (cbd_rec *r = outstanding.next; r != &outstanding; r = r->next)
        if (&r->block->data == p)
            return r;
    return NULL;
}

/* Serial of a recently freed block at p, or 0. */
static unsigned long long freed_serial(const void *p)
{
    for (unsigned i = 0; i < FREED_RING; i++)
        if (freed[i].ptr && freed[i].ptr == p)
            return freed[i].serial;
    return 0;
}

static void forget_freed(const void *p)
{
    for (unsigned i = 0; i < FREED_RING; i++)
        if (freed[i].ptr == p)
            freed[i].ptr = NULL;
}

/* The outstanding record of p, or a stop that says what p is instead. */
static cbd_rec *require_outstanding(const char *routine, PFLT_CALLBACK_DATA p, int is_free)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: CallbackData is NULL", routine);
    cbd_rec *r = find(p);
    if (r && r->owned)
        kf_violation_stop(KF_VIOL_FLT_FILEIO_OWNED_CALLBACK_DATA, routine, 0, 0, 0,
                          "%s on the callback data Filter Manager built for a Flt*File routine's I/O (it is "
                          "the completion routine's to look at, and Filter Manager's to free)",
                          routine);
    if (r)
        return r;
    if (kf__flt_dispatch_owns(p)) /* SEMANTICS.md FD-19 */
        kf_violation_stop(KF_VIOL_FLT_IO_CALLBACK_DATA_OWNED, routine, 0, 0, 0,
                          "%s on the callback data of an operation Filter Manager delivered to the filter "
                          "(Filter Manager owns it; only callback data of FltAllocateCallbackData(Ex) is the "
                          "filter's)",
                          routine);
    unsigned long long serial = freed_serial(p);
    if (serial && is_free)
        kf_violation_stop(KF_VIOL_FLT_DOUBLE_FREE, routine, serial, 0, 0,
                          "FltFreeCallbackData of callback data #%llu, which was already freed", serial);
    if (serial)
        kf_violation_stop(KF_VIOL_FLT_USE_AFTER_FREE, routine, serial, 0, 0,
                          "%s on callback data #%llu after FltFreeCallbackData freed it", routine, serial);
    kf_violation_stop(KF_VIOL_FLT_FOREIGN_CALLBACK_DATA, routine, 0, 0, 0,
                      "%s of a pointer that is not callback data allocated by FltAllocateCallbackData(Ex) "
                      "(nor any recently freed)",
                      routine);
}

static void require_not_in_flight(const char *routine, const cbd_rec *r)
{
    if (r->in_flight)
        kf_violation_stop(KF_VIOL_FLT_IO_IN_FLIGHT, routine, r->serial, 0, 0,
                          "%s on callback data #%llu while its asynchronous I/O is in flight (its completion "
                          "callback has not run yet)",
                          routine, r->serial);
}

static void init_block(cbd_block *b, PFLT_INSTANCE instance, PFILE_OBJECT file_object)
{
    PETHREAD thread = PsGetCurrentThread();
    PFLT_IO_PARAMETER_BLOCK iopb = &b->iopb;
    memset(b, 0, sizeof *b);
    /* Thread and Iopb are const to the driver; Filter Manager fills them. */
    memcpy((void *)&b->data.Thread, &thread, sizeof thread);
    memcpy((void *)&b->data.Iopb, &iopb, sizeof iopb);
    b->data.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO;
    b->data.RequestorMode = KernelMode;
    b->iopb.TargetFileObject = file_object;
    b->iopb.TargetInstance = instance;
}

/* Always inlined: a report of a use after free names FltFreeCallbackData as the routine that freed. */
static inline __attribute__((always_inline)) void release(cbd_rec *r)
{
    kf__flt_fileio_data_gone(&r->block->data); /* MDLs FltLockUserBuffer made for it */
    kf__flt_ecp_callback_data_gone(&r->block->data); /* ECPs (FE-12): the create it carried is over */
    r->prev->next = r->next;
    r->next->prev = r->prev;
    if (!r->owned) {
        n_outstanding--;
        freed[freed_next].ptr = r->block;
        freed[freed_next].serial = r->serial;
        freed_next = (freed_next + 1) % FREED_RING;
    }
    free(r->prealloc);
    free(r->per_io);
    free(r->block);
    free(r);
}

/* ---- Allocation ------------------------------------------------------------------------ */

static NTSTATUS allocate(const char *routine, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                         FLT_ALLOCATE_CALLBACK_DATA_FLAGS Flags, PFLT_CALLBACK_DATA *RetNewCallbackData)
{
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!RetNewCallbackData)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: RetNewCallbackData is NULL", routine);
    *RetNewCallbackData = NULL; /* whatever happens below, a failure leaves NULL here */
    if (!Instance)
        kf_violation_stop(KF_VIOL_FLT_NULL_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance is NULL (it is required)", routine);
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance is not a live instance (never set up, declined, or torn down)",
                          routine);
    if (Flags & ~(FLT_ALLOCATE_CALLBACK_DATA_FLAGS)FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY)
        kf_violation_stop(KF_VIOL_FLT_UNKNOWN_FLAGS, routine, Flags, 0, 0,
                          "%s: Flags 0x%X holds bits other than FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY",
                          routine, (unsigned)Flags);
    if (inst->state == FLT_INST_TEARDOWN || inst->marked_teardown)
        return STATUS_FLT_DELETING_OBJECT;

    if (kf_fault_consult(KF_SITE_FLT_CALLBACK_DATA) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    BOOLEAN pre = (Flags & FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY) != 0;
    if (pre && kf_fault_consult(KF_SITE_FLT_PREALLOCATE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;

    cbd_rec *r = calloc(1, sizeof *r);
    cbd_block *b = malloc(sizeof *b);
    void *extra = pre ? malloc(PER_IO_BYTES) : NULL;
    if (!r || !b || (pre && !extra)) {
        free(r);
        free(b);
        free(extra);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    init_block(b, Instance, FileObject);
    r->block = b;
    r->instance = inst;
    r->serial = ++next_serial;
    r->prealloc = extra;
    r->preallocated = pre;
    r->next = &outstanding;
    r->prev = outstanding.prev;
    outstanding.prev->next = r;
    outstanding.prev = r;
    n_outstanding++;
    forget_freed(b);
    *RetNewCallbackData = &b->data;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltAllocateCallbackData(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                        PFLT_CALLBACK_DATA *RetNewCallbackData)
{
    return allocate("FltAllocateCallbackData", Instance, FileObject, 0, RetNewCallbackData);
}

NTSTATUS FLTAPI FltAllocateCallbackDataEx(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                          FLT_ALLOCATE_CALLBACK_DATA_FLAGS Flags,
                                          PFLT_CALLBACK_DATA *RetNewCallbackData)
{
    static const char routine[] = "FltAllocateCallbackDataEx";
    const kf_profile *p = kf_current_profile();
    if (p->os < KF_OS_WIN7) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0,
                          "FltAllocateCallbackDataEx does not exist on %s (Windows 7 and later)",
                          kf_profile_name(p, prof, sizeof prof));
    }
    return allocate(routine, Instance, FileObject, Flags, RetNewCallbackData);
}

/* ---- Free and reuse ---------------------------------------------------------------------- */

VOID FLTAPI FltFreeCallbackData(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltFreeCallbackData";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    cbd_rec *r = require_outstanding(routine, CallbackData, 1);
    require_not_in_flight(routine, r);
    release(r);
}

VOID FLTAPI FltReuseCallbackData(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltReuseCallbackData";
    kf__flt_require_irql(routine, APC_LEVEL);
    cbd_rec *r = require_outstanding(routine, CallbackData, 0);
    require_not_in_flight(routine, r);
    if (!r->performed)
        kf_violation_stop(KF_VIOL_FLT_REUSE_BEFORE_PERFORM, routine, r->serial, 0, 0,
                          "FltReuseCallbackData on callback data #%llu, not used in a Perform call since it "
                          "was allocated or last reused",
                          r->serial);
    kf__flt_fileio_data_gone(CallbackData); /* MDLs FltLockUserBuffer made for it */
    /* The two targets survive, whatever the driver put there since; all else starts over. */
    PFLT_INSTANCE instance = r->block->iopb.TargetInstance;
    PFILE_OBJECT file_object = r->block->iopb.TargetFileObject;
    init_block(r->block, instance, file_object);
    r->performed = FALSE;
}

/* ---- The layers below the instance -------------------------------------------------------- */

void kf_flt_set_lower_hook(kf_flt_lower_fn fn, void *ctx)
{
    lower_hook = fn;
    lower_ctx = ctx;
}

/* Filter Manager's own memory for one I/O; FALSE (and IoStatus set) when it is not there. */
static BOOLEAN start_io(cbd_rec *r)
{
    r->performed = TRUE;
    if (r->preallocated)
        return TRUE; /* everything was allocated up front: no fault site is asked */
    void *mem = NULL;
    if (kf_fault_consult(KF_SITE_FLT_ON_DEMAND) == KF_FAULT_NONE)
        mem = malloc(PER_IO_BYTES);
    if (!mem) {
        r->block->data.IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        r->block->data.IoStatus.Information = 0;
        return FALSE;
    }
    r->per_io = mem;
    return TRUE;
}

/* The lower filters and the file system answer one I/O; `consult` 0 for an I/O that cannot
 * fail for want of memory (a cleanup or close, which the I/O manager sends as must-succeed). */
static void lower_answer_ex(PFLT_CALLBACK_DATA d, int consult)
{
    kf_flt_lower_io io;
    io.data = d;
    io.fault = consult && kf_fault_consult(KF_SITE_FLT_LOWER) != KF_FAULT_NONE;
    if (io.fault) {
        io.status = STATUS_INSUFFICIENT_RESOURCES;
        io.information = 0;
    } else {
        io.status = STATUS_SUCCESS;
        switch (d->Iopb->MajorFunction) {
        case IRP_MJ_READ:
            io.information = d->Iopb->Parameters.Read.Length;
            break;
        case IRP_MJ_WRITE:
            io.information = d->Iopb->Parameters.Write.Length;
            break;
        default:
            io.information = 0;
        }
    }
    (void)kf__flt_fs_answer(&io); /* a file of the modeled file system: its answer */
    if (lower_hook)
        lower_hook(lower_ctx, &io);
    d->IoStatus.Status = io.status;
    d->IoStatus.Information = io.information;
}

/* The same for the I/O Filter Manager delivers to the filters (flt_dispatch.c). */
void kf__flt_lower_answer(PFLT_CALLBACK_DATA d) { lower_answer_ex(d, 1); }

/* The lower filters and the file system complete the I/O. */
static void lower_complete_ex(cbd_rec *r, int consult)
{
    lower_answer_ex(&r->block->data, consult);
    free(r->per_io);
    r->per_io = NULL;
}

static void lower_complete(cbd_rec *r) { lower_complete_ex(r, 1); }

static void require_irp_operation(const char *routine, const cbd_rec *r)
{
    UCHAR major = r->block->iopb.MajorFunction;
    if (major > IRP_MJ_MAXIMUM_FUNCTION)
        kf_violation_stop(KF_VIOL_FLT_INVALID_MAJOR_FUNCTION, routine, r->serial, major, 0,
                          "%s on callback data #%llu with MajorFunction 0x%02X (only IRP-based operations, "
                          "0x00..0x%02X, can be issued)",
                          routine, r->serial, major, IRP_MJ_MAXIMUM_FUNCTION);
}

/* ---- Synchronous I/O --------------------------------------------------------------------- */

VOID FLTAPI FltPerformSynchronousIo(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltPerformSynchronousIo";
    kf__flt_require_irql(routine, APC_LEVEL);
    cbd_rec *r = require_outstanding(routine, CallbackData, 0);
    if (!(r->block->iopb.IrpFlags & IRP_PAGING_IO))
        kf__flt_require_irql(routine, PASSIVE_LEVEL); /* APC_LEVEL only for paging I/O */
    require_not_in_flight(routine, r);
    require_irp_operation(routine, r);
    if (start_io(r))
        lower_complete(r);
}

/* ---- Asynchronous I/O -------------------------------------------------------------------- */

/* Calls a completion callback at `irql` (never below the current IRQL), restoring after. */
static void call_completion(PFLT_COMPLETED_ASYNC_IO_CALLBACK routine, PFLT_CALLBACK_DATA data, PVOID ctx,
                            KIRQL irql)
{
    KIRQL before = KeGetCurrentIrql();
    kf_set_irql(irql > before ? irql : before);
    routine(data, ctx);
    kf_set_irql(before);
}

NTSTATUS FLTAPI FltPerformAsynchronousIo(PFLT_CALLBACK_DATA CallbackData,
                                         PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext)
{
    static const char routine[] = "FltPerformAsynchronousIo";
    kf__flt_require_irql(routine, APC_LEVEL);
    cbd_rec *r = require_outstanding(routine, CallbackData, 0);
    if (!CallbackRoutine)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, r->serial, 0, 0,
                          "FltPerformAsynchronousIo: CallbackRoutine is NULL (it is required)");
    require_not_in_flight(routine, r);
    require_irp_operation(routine, r);

    /* Refusals: the callback still runs, here, at the caller's IRQL; the routine returns the
     * same failure the callback sees. */
    if (r->block->iopb.MajorFunction == IRP_MJ_CREATE) {
        r->performed = TRUE;
        CallbackData->IoStatus.Status = STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST;
        CallbackData->IoStatus.Information = 0;
        call_completion(CallbackRoutine, CallbackData, CallbackContext, PASSIVE_LEVEL);
        return STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST;
    }
    if (!start_io(r)) {
        call_completion(CallbackRoutine, CallbackData, CallbackContext, PASSIVE_LEVEL);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    if (async_mode == KF_FLT_COMPLETE_INLINE) {
        lower_complete(r);
        call_completion(CallbackRoutine, CallbackData, CallbackContext, completion_irql);
        return STATUS_SUCCESS; /* the callback may have freed the data: not touched again */
    }

    pending_io *p = malloc(sizeof *p);
    if (!p) {
        /* The host itself is out of memory: complete now rather than lose the completion. */
        lower_complete(r);
        call_completion(CallbackRoutine, CallbackData, CallbackContext, completion_irql);
        return STATUS_SUCCESS;
    }
    p->next = NULL;
    p->rec = r;
    p->routine = CallbackRoutine;
    p->context = CallbackContext;
    *pending_tail = p;
    pending_tail = &p->next;
    n_pending++;
    r->in_flight = TRUE;
    CallbackData->IoStatus.Status = STATUS_PENDING;
    CallbackData->IoStatus.Information = 0;
    return STATUS_PENDING;
}

int kf_flt_set_async_mode(kf_flt_completion mode, KIRQL irql)
{
    if (irql > DISPATCH_LEVEL || (mode != KF_FLT_COMPLETE_INLINE && mode != KF_FLT_COMPLETE_DEFERRED))
        return -1;
    async_mode = mode;
    completion_irql = irql;
    return 0;
}

size_t kf_flt_pending_completions(void) { return n_pending; }

/* Unlinks *pp from the pending queue and completes it. */
static void deliver(pending_io **pp)
{
    pending_io *p = *pp;
    *pp = p->next;
    if (pending_tail == &p->next)
        pending_tail = pp;
    n_pending--;
    cbd_rec *r = p->rec;
    PFLT_COMPLETED_ASYNC_IO_CALLBACK routine = p->routine;
    PVOID ctx = p->context;
    free(p);
    lower_complete(r);
    r->in_flight = FALSE; /* from here the callback owns it: it may free or reuse it */
    call_completion(routine, &r->block->data, ctx, completion_irql);
}

size_t kf_flt_run_pending_completions(void)
{
    size_t n = n_pending, done = 0;
    while (done < n && pending_head) {
        deliver(&pending_head);
        done++;
    }
    return done;
}

void kf__flt_complete_pending_on(const struct _FLT_INSTANCE *inst)
{
    size_t n = 0;
    for (pending_io *p = pending_head; p; p = p->next)
        n += p->rec->instance == inst;
    while (n--) {
        pending_io **pp = &pending_head;
        while (*pp && (*pp)->rec->instance != inst)
            pp = &(*pp)->next;
        if (!*pp)
            break;
        deliver(pp);
    }
}

/* ---- Filter Manager's own callback data, for the Flt*File routines (flt_fileio.c) ------------
 * The routine that issues the I/O has consulted its own fault site (flt.create, flt.fileio):
 * none of flt.cbd, flt.cbd.prealloc or flt.io.ondemand is asked here; the layers below still
 * ask flt.io.lower (F-18). Such data is never the driver's: it is not counted as the driver's
 * callback data, and the driver's Free, Reuse and Perform calls on it stop (FI-*). */

PFLT_CALLBACK_DATA kf__flt_io_new_own(PFLT_INSTANCE instance, PFILE_OBJECT file_object)
{
    cbd_rec *r = calloc(1, sizeof *r);
    cbd_block *b = malloc(sizeof *b);
    if (!r || !b) {
        free(r);
        free(b);
        return NULL;
    }
    init_block(b, instance, file_object);
    r->block = b;
    r->instance = kf__flt_find_instance(instance);
    r->owned = TRUE;
    r->next = &outstanding;
    r->prev = outstanding.prev;
    outstanding.prev->next = r;
    outstanding.prev = r;
    return &b->data;
}

static cbd_rec *own_rec(PFLT_CALLBACK_DATA d)
{
    cbd_rec *r = find(d);
    if (!r || !r->owned) {
        fprintf(stderr, "kfault: internal error: Filter Manager's own callback data expected\n");
        abort();
    }
    return r;
}

BOOLEAN kf__flt_io_is_own(PFLT_CALLBACK_DATA d)
{
    cbd_rec *r = find(d);
    return r && r->owned;
}

void kf__flt_io_perform_own(PFLT_CALLBACK_DATA d, BOOLEAN must_succeed)
{
    cbd_rec *r = own_rec(d);
    r->performed = TRUE;
    lower_complete_ex(r, !must_succeed);
}

NTSTATUS kf__flt_io_start_own(PFLT_CALLBACK_DATA d, PFLT_COMPLETED_ASYNC_IO_CALLBACK routine, PVOID context)
{
    cbd_rec *r = own_rec(d);
    r->performed = TRUE;
    pending_io *p = async_mode == KF_FLT_COMPLETE_INLINE ? NULL : malloc(sizeof *p);
    if (!p) {
        lower_complete(r);
        call_completion(routine, d, context, completion_irql);
        return STATUS_SUCCESS; /* the routine may have released the data: not touched again */
    }
    p->next = NULL;
    p->rec = r;
    p->routine = routine;
    p->context = context;
    *pending_tail = p;
    pending_tail = &p->next;
    n_pending++;
    r->in_flight = TRUE;
    d->IoStatus.Status = STATUS_PENDING;
    d->IoStatus.Information = 0;
    return STATUS_PENDING;
}

void kf__flt_io_free_own(PFLT_CALLBACK_DATA d) { release(own_rec(d)); }

/* ---- Reading back, reset -------------------------------------------------------------------- */

size_t kf_flt_callback_data_outstanding(void) { return n_outstanding; }

size_t kf__flt_callback_data_on(const struct _FLT_INSTANCE *inst)
{
    size_t n = 0;
    for (cbd_rec *r = outstanding.next; r != &outstanding; r = r->next)
        n += r->instance == inst && !r->owned;
    return n;
}

void kf__flt_io_reset(void)
{
    while (pending_head) {
        pending_io *p = pending_head;
        pending_head = p->next;
        free(p);
    }
    pending_tail = &pending_head;
    n_pending = 0;
    while (outstanding.next != &outstanding) {
        cbd_rec *r = outstanding.next;
        r->prev->next = r->next;
        r->next->prev = r->prev;
        free(r->prealloc);
        free(r->per_io);
        free(r->block);
        free(r);
    }
    n_outstanding = 0;
    next_serial = 0;
    memset(freed, 0, sizeof freed);
    freed_next = 0;
    lower_hook = NULL;
    lower_ctx = NULL;
    async_mode = KF_FLT_COMPLETE_INLINE;
    completion_irql = PASSIVE_LEVEL;
}

static void flt_reset(void)
{
    kf__flt_io_reset();
    kf__flt_filters_reset();
}

__attribute__((constructor)) static void flt_register(void)
{
    kf__callback_data_outstanding = kf_flt_callback_data_outstanding;
    kf__register_reset(flt_reset);
}
