/*
 * flt_dispatch.c - Filter Manager's dispatch of I/O to the minifilters' operation callbacks:
 * the I/O manager's request on a file object becomes Filter Manager's own callback data, each
 * attached filter's registered pre-operation callback runs (the first registered filter
 * highest), the status it returns decides what happens next (pass down with or without a
 * post-operation callback, complete, pend, synchronize, disallow fast I/O), the layers below
 * answer (flt_io.c's lower path: the modeled file system, a harness's hook), and the
 * post-operation callbacks run in the reverse order at the IRQL the I/O completes at. Pended
 * operations wait for FltCompletePendedPreOperation / FltCompletePendedPostOperation; posted
 * completion processing (FltDoCompletionProcessingWhenSafe) runs in a modeled worker; an
 * instance torn down with I/O in flight drains it (FLTFL_POST_OPERATION_DRAINING). Also
 * FltCancelFileOpen, FltGetIrpName, FltIsOperationSynchronous, FltGetRequestorProcess(Id),
 * and the I/O manager's side of file objects (create, cleanup, close).
 *
 * Implements SEMANTICS.md "Filter Manager's dispatch of I/O" FD-1 .. FD-30 (FD-26 is cmp_hook.c). Must never: call
 * a callback the filter did not register for the operation, call a post-operation callback
 * twice for one filter, read a pointer a driver hands in before finding it among the records,
 * decide a failure itself (it asks io.irp and flt.safe.post), or let an address decide
 * anything. Filter Manager's callback data is one heap block per operation, really freed when
 * the operation completes, so a filter that keeps it meets AddressSanitizer.
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REG_ENTRIES 256 /* bound on a registration list without its IRP_MJ_OPERATION_END */
#define MAX_ACTIVE 32       /* callbacks running inside one another (pended completions nest) */

/* Filter Manager's callback data for one operation, with what it points to. */
typedef struct io_block {
    FLT_CALLBACK_DATA data;
    FLT_IO_PARAMETER_BLOCK iopb;
    IO_SECURITY_CONTEXT security;
} io_block;

enum post_state { POST_NONE, POST_WANTED, POST_SYNC, POST_DRAINED, POST_DONE };

/* One filter's part in an operation. */
typedef struct level {
    struct _FLT_INSTANCE *inst;              /* NULL once the instance is gone */
    const FLT_OPERATION_REGISTRATION *reg;   /* its entry for the major function; NULL: not called */
    PVOID context;                           /* CompletionContext */
    enum post_state post;
    FLT_IO_PARAMETER_BLOCK before;           /* the parameters its pre-operation callback got */
    PVOID swapped_buffer;                    /* buffers it swapped in (FD-18) */
    PMDL swapped_mdl;
    BOOLEAN safe_queued;                     /* FltDoCompletionProcessingWhenSafe posted its post */
    PFLT_GET_OPERATION_STATUS_CALLBACK status_routine; /* FltRequestOperationStatusCallback (FD-30) */
    PVOID status_context;
} level;

enum phase { PH_PRE, PH_PRE_PENDED, PH_BELOW, PH_POST, PH_POST_PENDED };
enum cb_kind { CB_NONE, CB_PRE, CB_POST };

typedef struct io_rec {
    struct io_rec *next;
    unsigned long long serial;
    io_block *block;
    PFILE_OBJECT fo;
    unsigned volume;
    unsigned n;                 /* levels */
    level lv[KF_FLT_MAX_LEVELS];
    unsigned at;                /* pre: the next level; post: levels left (the next post is lv[at - 1]) */
    enum phase phase;
    enum cb_kind in_cb;         /* a callback of this operation is running, at level cb_level */
    unsigned cb_level;
    BOOLEAN early;              /* the pended stage was completed before its callback returned */
    PMDL paging_mdl;            /* the MDL a paging read or write carries (FD-32), freed at completion */
    FLT_PREOP_CALLBACK_STATUS early_status;
    PVOID early_context;
    BOOLEAN held;               /* the layers below hold it (lower_pends) */
    kf_flt_io io;
    KIRQL pre_irql;
    BOOLEAN fs_opened;          /* create: the file system opened the file object */
    BOOLEAN cancelled;          /* create: FltCancelFileOpen */
    PEPROCESS process;
    ULONG process_id;
    kf_flt_io_done_fn done;
    void *done_ctx;
} io_rec;

/* Senders waiting inside kf_flt_send_io: the final status of an operation that completes before
 * the call returns is kept here (by serial, never a pointer into a frame a stop may unwind). */
#define MAX_WAITING 64
static struct {
    unsigned long long serial;
    NTSTATUS status;
} waiting[MAX_WAITING];

/* A file object the I/O manager made for I/O. */
typedef struct fo_io {
    struct fo_io *next;
    PFILE_OBJECT fo;
    unsigned volume;
    BOOLEAN create_sent, opened, cleaned, close_wanted, closing, close_deferred;
} fo_io;

/* Completion processing posted to a worker (FltDoCompletionProcessingWhenSafe at DISPATCH_LEVEL). */
typedef struct safe_work {
    struct safe_work *next;
    unsigned long long serial;
    unsigned level;
    PFLT_POST_OPERATION_CALLBACK routine;
    PVOID context;
    FLT_POST_OPERATION_FLAGS flags;
} safe_work;

/* A buffer a filter swapped in that was still allocated when its operation completed. */
typedef struct swap_rec {
    struct swap_rec *next;
    const void *buffer;
    unsigned long long serial;
    UCHAR major;
} swap_rec;

static io_rec *ios, **ios_tail = &ios;

static size_t n_ios;
static unsigned long long next_serial;
static fo_io *fos;
static safe_work *safe_head, **safe_tail = &safe_head;
static swap_rec *swaps;
static kf_flt_observer_fn observer;
static void *observer_ctx;
static struct {
    io_rec *r;
    enum cb_kind kind;
} active[MAX_ACTIVE];
static unsigned n_active;

static const char pre_routine[] = "PFLT_PRE_OPERATION_CALLBACK";
static const char post_routine[] = "PFLT_POST_OPERATION_CALLBACK";

/* ---- Names (FD-20) ------------------------------------------------------------------------- */

static const char *const major_names[IRP_MJ_MAXIMUM_FUNCTION + 1] = {
    "IRP_MJ_CREATE", "IRP_MJ_CREATE_NAMED_PIPE", "IRP_MJ_CLOSE", "IRP_MJ_READ", "IRP_MJ_WRITE",
    "IRP_MJ_QUERY_INFORMATION", "IRP_MJ_SET_INFORMATION", "IRP_MJ_QUERY_EA", "IRP_MJ_SET_EA",
    "IRP_MJ_FLUSH_BUFFERS", "IRP_MJ_QUERY_VOLUME_INFORMATION", "IRP_MJ_SET_VOLUME_INFORMATION",
    "IRP_MJ_DIRECTORY_CONTROL", "IRP_MJ_FILE_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CONTROL",
    "IRP_MJ_INTERNAL_DEVICE_CONTROL", "IRP_MJ_SHUTDOWN", "IRP_MJ_LOCK_CONTROL", "IRP_MJ_CLEANUP",
    "IRP_MJ_CREATE_MAILSLOT", "IRP_MJ_QUERY_SECURITY", "IRP_MJ_SET_SECURITY", "IRP_MJ_POWER",
    "IRP_MJ_SYSTEM_CONTROL", "IRP_MJ_DEVICE_CHANGE", "IRP_MJ_QUERY_QUOTA", "IRP_MJ_SET_QUOTA", "IRP_MJ_PNP",
};

static const char *major_name(UCHAR m)
{
    static const struct {
        UCHAR code;
        const char *name;
    } fltmgr[] = {
        {IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION, "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION"},
        {IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION, "IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION"},
        {IRP_MJ_ACQUIRE_FOR_MOD_WRITE, "IRP_MJ_ACQUIRE_FOR_MOD_WRITE"},
        {IRP_MJ_RELEASE_FOR_MOD_WRITE, "IRP_MJ_RELEASE_FOR_MOD_WRITE"},
        {IRP_MJ_ACQUIRE_FOR_CC_FLUSH, "IRP_MJ_ACQUIRE_FOR_CC_FLUSH"},
        {IRP_MJ_RELEASE_FOR_CC_FLUSH, "IRP_MJ_RELEASE_FOR_CC_FLUSH"},
        {IRP_MJ_QUERY_OPEN, "IRP_MJ_QUERY_OPEN"},
        {IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE, "IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE"},
        {IRP_MJ_NETWORK_QUERY_OPEN, "IRP_MJ_NETWORK_QUERY_OPEN"},
        {IRP_MJ_MDL_READ, "IRP_MJ_MDL_READ"},
        {IRP_MJ_MDL_READ_COMPLETE, "IRP_MJ_MDL_READ_COMPLETE"},
        {IRP_MJ_PREPARE_MDL_WRITE, "IRP_MJ_PREPARE_MDL_WRITE"},
        {IRP_MJ_MDL_WRITE_COMPLETE, "IRP_MJ_MDL_WRITE_COMPLETE"},
        {IRP_MJ_VOLUME_MOUNT, "IRP_MJ_VOLUME_MOUNT"},
        {IRP_MJ_VOLUME_DISMOUNT, "IRP_MJ_VOLUME_DISMOUNT"},
    };
    if (m <= IRP_MJ_MAXIMUM_FUNCTION)
        return major_names[m];
    for (size_t i = 0; i < sizeof fltmgr / sizeof fltmgr[0]; i++)
        if (fltmgr[i].code == m)
            return fltmgr[i].name;
    return "IRP_MJ_UNKNOWN";
}

/* The returned string is Filter Manager's, never to be written (a static table here). */
PCHAR FLTAPI FltGetIrpName(UCHAR IrpMajorCode) { return (PCHAR)major_name(IrpMajorCode); }

/* ---- Records ---------------------------------------------------------------------------- */

static io_rec *find_data(const void *p)
{
    if (!p)
        return NULL;
    for (io_rec *r = ios; r; r = r->next)
        if (&r->block->data == p)
            return r;
    return NULL;
}

static io_rec *find_serial(unsigned long long serial)
{
    for (io_rec *r = ios; r; r = r->next)
        if (r->serial == serial)
            return r;
    return NULL;
}

BOOLEAN kf__flt_dispatch_owns(const void *p) { return find_data(p) != NULL; }

static fo_io *find_fo(const void *p)
{
    for (fo_io *f = fos; f; f = f->next)
        if (f->fo == p)
            return f;
    return NULL;
}

static BOOLEAN is_irp(const io_rec *r) { return !r->io.fast_io; }

/* The name a report gives an operation: "IRP_MJ_CREATE on \dir\a.txt". */
static const char *file_text(const io_rec *r, char *buf, size_t cap)
{
    size_t k = 0;
    const UNICODE_STRING *n = &r->fo->FileName;
    for (USHORT i = 0; n->Buffer && i < n->Length / sizeof(WCHAR) && k + 1 < cap; i++)
        buf[k++] = kf__wide_to_ansi(n->Buffer[i]);
    buf[k] = 0;
    return buf;
}

static void notify(kf_flt_event_kind kind, const io_rec *r, unsigned level, LONG status, ULONG flags)
{
    if (!observer)
        return;
    kf_flt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.serial = r->serial;
    ev.major = r->io.major;
    ev.minor = r->io.minor;
    ev.volume = r->volume;
    ev.level = level;
    ev.file = &r->fo->FileName;
    ev.status = status;
    ev.irql = KeGetCurrentIrql();
    ev.flags = flags;
    observer(observer_ctx, &ev);
}

void kf_flt_set_observer(kf_flt_observer_fn fn, void *ctx)
{
    observer = fn;
    observer_ctx = ctx;
}

/* ---- The operation registration -------------------------------------------------------------- */

/* The filter's entry for the operation, or NULL when it registered none or its flags skip it
 * (FD-2). */
static const FLT_OPERATION_REGISTRATION *registration_for(const struct _FLT_INSTANCE *inst, const io_rec *r)
{
    const FLT_OPERATION_REGISTRATION *e = inst->filter->reg.OperationRegistration;
    if (!e)
        return NULL;
    for (unsigned i = 0; i < MAX_REG_ENTRIES && e[i].MajorFunction != IRP_MJ_OPERATION_END; i++) {
        if (e[i].MajorFunction != r->io.major)
            continue;
        if (!e[i].PreOperation && !e[i].PostOperation)
            return NULL;
        ULONG flags = e[i].Flags;
        ULONG irpf = r->io.irp_flags;
        BOOLEAN rw = r->io.major == IRP_MJ_READ || r->io.major == IRP_MJ_WRITE;
        BOOLEAN paging = is_irp(r) && (irpf & IRP_PAGING_IO);
        BOOLEAN cached = rw && (r->io.fast_io || !(irpf & (IRP_NOCACHE | IRP_PAGING_IO)));
        if ((flags & FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO) && paging)
            return NULL;
        if ((flags & FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO) && cached)
            return NULL;
        /* Every file object here names a file: only a volume open (an empty name) is DASD. */
        if ((flags & FLTFL_OPERATION_REGISTRATION_SKIP_NON_DASD_IO) && r->fo->FileName.Length != 0)
            return NULL;
        if ((flags & FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO) && rw && !cached && !paging)
            return NULL;
        return &e[i];
    }
    return NULL;
}

/* ---- Callbacks ---------------------------------------------------------------------------- */

static void active_push(io_rec *r, enum cb_kind kind)
{
    if (n_active < MAX_ACTIVE) {
        active[n_active].r = r;
        active[n_active].kind = kind;
    }
    n_active++;
}

static void active_pop(void)
{
    if (n_active)
        n_active--;
}

static void related_objects(const io_rec *r, const struct _FLT_INSTANCE *inst, FLT_RELATED_OBJECTS *o)
{
    FLT_RELATED_OBJECTS v = {sizeof(FLT_RELATED_OBJECTS), 0, inst->filter, inst->volume, (PFLT_INSTANCE)inst,
                             r->fo, NULL};
    memcpy(o, &v, sizeof v);
}

static void check_returned_irql(const char *routine, const io_rec *r, KIRQL called, const char *what)
{
    KIRQL now = KeGetCurrentIrql();
    if (now != called)
        kf_violation_stop(KF_VIOL_FLT_CALLBACK_IRQL, routine, r->io.major, called, now,
                          "the %s callback of %s returned at IRQL %u, called at IRQL %u", what,
                          major_name(r->io.major), now, called);
}

static FLT_PREOP_CALLBACK_STATUS call_pre(io_rec *r, unsigned k, PVOID *context)
{
    level *l = &r->lv[k];
    FLT_RELATED_OBJECTS objs;
    related_objects(r, l->inst, &objs);
    r->block->iopb.TargetInstance = l->inst;
    l->before = r->block->iopb;
    KIRQL irql = KeGetCurrentIrql();
    notify(KF_FLT_EV_PRE, r, k, 0, 0);
    r->in_cb = CB_PRE;
    r->cb_level = k;
    r->early = FALSE;
    active_push(r, CB_PRE);
    *context = NULL;
    FLT_PREOP_CALLBACK_STATUS st = l->reg->PreOperation(&r->block->data, &objs, context);
    active_pop();
    r->in_cb = CB_NONE;
    check_returned_irql(pre_routine, r, irql, "pre-operation");
    notify(KF_FLT_EV_PRE_RETURN, r, k, (LONG)st, 0);
    return st;
}

/* The IRQL a post-operation callback runs at (FD-11), never below the current one. */
static KIRQL post_irql(const io_rec *r, const level *l, FLT_POST_OPERATION_FLAGS flags)
{
    KIRQL want = r->io.post_irql;
    if (r->io.major == IRP_MJ_CREATE || (flags & FLTFL_POST_OPERATION_DRAINING))
        want = PASSIVE_LEVEL;
    else if (!is_irp(r) || l->post == POST_SYNC)
        want = r->pre_irql;
    KIRQL now = KeGetCurrentIrql();
    return want > now ? want : now;
}

static FLT_POSTOP_CALLBACK_STATUS call_post(io_rec *r, unsigned k, PFLT_CALLBACK_DATA data,
                                            FLT_POST_OPERATION_FLAGS flags)
{
    level *l = &r->lv[k];
    FLT_RELATED_OBJECTS objs;
    related_objects(r, l->inst, &objs);
    /* Each filter's post-operation callback sees the parameters its pre-operation callback saw. */
    *data->Iopb = l->before;
    data->Flags |= FLTFL_CALLBACK_DATA_POST_OPERATION;
    KIRQL before = KeGetCurrentIrql(), irql = post_irql(r, l, flags);
    kf_set_irql(irql);
    notify(KF_FLT_EV_POST, r, k, 0, flags);
    r->in_cb = CB_POST;
    r->cb_level = k;
    r->early = FALSE;
    active_push(r, CB_POST);
    FLT_POSTOP_CALLBACK_STATUS st = l->reg->PostOperation(data, &objs, l->context, flags);
    active_pop();
    r->in_cb = CB_NONE;
    check_returned_irql(post_routine, r, irql, "post-operation");
    kf_set_irql(before);
    notify(KF_FLT_EV_POST_RETURN, r, k, (LONG)st, flags);
    return st;
}

/* ---- Parameters a filter changes (FD-17, FD-18) -------------------------------------------------- */

static void buffer_fields(PFLT_IO_PARAMETER_BLOCK p, PVOID **buf, PMDL **mdl)
{
    *buf = NULL;
    *mdl = NULL;
    switch (p->MajorFunction) {
    case IRP_MJ_READ:
        *buf = &p->Parameters.Read.ReadBuffer;
        *mdl = &p->Parameters.Read.MdlAddress;
        break;
    case IRP_MJ_WRITE:
        *buf = &p->Parameters.Write.WriteBuffer;
        *mdl = &p->Parameters.Write.MdlAddress;
        break;
    case IRP_MJ_DIRECTORY_CONTROL:
        if (p->MinorFunction == IRP_MN_QUERY_DIRECTORY) {
            *buf = &p->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
            *mdl = &p->Parameters.DirectoryControl.QueryDirectory.MdlAddress;
        } else if (p->MinorFunction == IRP_MN_NOTIFY_CHANGE_DIRECTORY) {
            /* A change notification's buffer is swapped like a query's (its IRP's MDL too). */
            *buf = &p->Parameters.DirectoryControl.NotifyDirectory.DirectoryBuffer;
            *mdl = &p->Parameters.DirectoryControl.NotifyDirectory.MdlAddress;
        }
        break;
    case IRP_MJ_QUERY_INFORMATION:
        *buf = &p->Parameters.QueryFileInformation.InfoBuffer;
        break;
    case IRP_MJ_SET_INFORMATION:
        *buf = &p->Parameters.SetFileInformation.InfoBuffer;
        break;
    default:
        break;
    }
}

/* After level k passed the operation down: the parameters are the ones it got, or it marked
 * the callback data dirty (FD-17); a buffer or MDL it put in is recorded (FD-18). */
static void passdown_checks(io_rec *r, unsigned k, const char *routine)
{
    level *l = &r->lv[k];
    PFLT_IO_PARAMETER_BLOCK now = &r->block->iopb;
    if (!memcmp(&l->before, now, sizeof *now))
        goto clean;
    if (!(r->block->data.Flags & FLTFL_CALLBACK_DATA_DIRTY))
        kf_violation_stop(KF_VIOL_FLT_PARAMETERS_NOT_DIRTY, routine, r->io.major, k, 0,
                          "the pre-operation callback of %s changed the I/O parameter block and passed the "
                          "operation down without FltSetCallbackDataDirty",
                          major_name(r->io.major));
    PVOID *b0, *b1;
    PMDL *m0, *m1;
    buffer_fields(&l->before, &b0, &m0);
    buffer_fields(now, &b1, &m1);
    if (b0 && b1 && *b0 != *b1 && *b1)
        l->swapped_buffer = *b1;
    if (m0 && m1 && *m0 != *m1 && *m1 && kf__mdl_live(*m1))
        l->swapped_mdl = *m1;
clean:
    r->block->data.Flags &= ~(ULONG)FLTFL_CALLBACK_DATA_DIRTY;
}

/* Level k is done with the operation: Filter Manager frees the MDL it swapped in; a swapped
 * buffer still allocated is remembered (FD-18). */
static void release_swaps(io_rec *r, unsigned k)
{
    level *l = &r->lv[k];
    if (l->swapped_mdl) {
        PMDL m = l->swapped_mdl;
        l->swapped_mdl = NULL;
        if (!kf__mdl_live(m))
            kf_violation_stop(KF_VIOL_FLT_SWAPPED_MDL_FREED, post_routine, r->io.major, k, 0,
                              "the MDL the filter swapped into %s was freed by the filter; Filter Manager "
                              "frees it when the post-operation callback returns",
                              major_name(r->io.major));
        IoFreeMdl(m);
    }
    if (l->swapped_buffer) {
        const void *b = l->swapped_buffer;
        l->swapped_buffer = NULL;
        if (kf__pool_block_live(b)) {
            swap_rec *s = malloc(sizeof *s);
            if (s) {
                s->buffer = b;
                s->serial = r->serial;
                s->major = r->io.major;
                s->next = swaps;
                swaps = s;
            }
        }
    }
}

size_t kf_flt_swapped_buffers_left(unsigned long long *serial, UCHAR *major)
{
    size_t n = 0;
    const swap_rec *first = NULL;
    for (const swap_rec *s = swaps; s; s = s->next)
        if (kf__pool_block_live(s->buffer)) {
            n++;
            first = s; /* the list is newest first: the last one found is the oldest */
        }
    if (first && serial)
        *serial = first->serial;
    if (first && major)
        *major = first->major;
    return n;
}

/* ---- The pre-operation status (FD-3 .. FD-8, FD-12) -------------------------------------------------- */

static BOOLEAN synchronize_forbidden(const io_rec *r)
{
    const FLT_PARAMETERS *p = &r->io.parameters;
    switch (r->io.major) {
    case IRP_MJ_READ:
    case IRP_MJ_WRITE:
        return !FltIsOperationSynchronous(&r->block->data);
    case IRP_MJ_FILE_SYSTEM_CONTROL: {
        ULONG code = p->FileSystemControl.Common.FsControlCode;
        return code == FSCTL_REQUEST_OPLOCK_LEVEL_1 || code == FSCTL_REQUEST_OPLOCK_LEVEL_2 ||
               code == FSCTL_REQUEST_BATCH_OPLOCK || code == FSCTL_REQUEST_FILTER_OPLOCK;
    }
    case IRP_MJ_DIRECTORY_CONTROL:
        return r->io.minor == IRP_MN_NOTIFY_CHANGE_DIRECTORY || r->io.minor == IRP_MN_NOTIFY_CHANGE_DIRECTORY_EX;
    case IRP_MJ_LOCK_CONTROL:
        return r->io.minor == IRP_MN_LOCK;
    default:
        return FALSE;
    }
}

static void operation_status(io_rec *r, unsigned below, NTSTATUS status);

/* Acts on the status level k's pre-operation callback gave (returned, or through
 * FltCompletePendedPreOperation). PENDING is the caller's. */
static void pre_status(io_rec *r, unsigned k, FLT_PREOP_CALLBACK_STATUS st, PVOID context, const char *routine)
{
    level *l = &r->lv[k];
    const char *name = major_name(r->io.major);
    if (context && st != FLT_PREOP_SUCCESS_WITH_CALLBACK && st != FLT_PREOP_SYNCHRONIZE)
        kf_violation_stop(KF_VIOL_FLT_COMPLETION_CONTEXT_UNUSED, routine, r->io.major, (ULONG_PTR)st, 0,
                          "the pre-operation callback of %s set a CompletionContext and returned status %d, "
                          "which calls no post-operation callback",
                          name, (int)st);
    switch (st) {
    case FLT_PREOP_SUCCESS_WITH_CALLBACK:
    case FLT_PREOP_SYNCHRONIZE:
        if (!l->reg->PostOperation)
            kf_violation_stop(KF_VIOL_FLT_NO_POST_CALLBACK, routine, 0x66, r->io.major, (ULONG_PTR)st,
                              "the pre-operation callback of %s returned %s, but the filter registered no "
                              "post-operation callback for it (Filter Verifier: bug check 0xF5 "
                              "FLTMGR_FILE_SYSTEM, Parameter1 0x66)",
                              name, st == FLT_PREOP_SYNCHRONIZE ? "FLT_PREOP_SYNCHRONIZE" : "FLT_PREOP_SUCCESS_WITH_CALLBACK");
        if (st == FLT_PREOP_SYNCHRONIZE && is_irp(r) && synchronize_forbidden(r))
            kf_violation_stop(KF_VIOL_FLT_SYNCHRONIZE_FORBIDDEN, routine, r->io.major, r->io.minor, 0,
                              "FLT_PREOP_SYNCHRONIZE for %s (minor 0x%02X), an operation that may never "
                              "complete while the originating thread waits",
                              name, r->io.minor);
        passdown_checks(r, k, routine);
        /* On a fast I/O operation SYNCHRONIZE is SUCCESS_WITH_CALLBACK. */
        l->post = st == FLT_PREOP_SYNCHRONIZE && is_irp(r) ? POST_SYNC : POST_WANTED;
        l->context = context;
        r->at = k + 1;
        return;
    case FLT_PREOP_SUCCESS_NO_CALLBACK:
        passdown_checks(r, k, routine);
        l->post = POST_NONE; /* what it swapped in is released when the operation completes */
        r->at = k + 1;
        return;
    case FLT_PREOP_COMPLETE: {
        NTSTATUS fin = r->block->data.IoStatus.Status;
        BOOLEAN bad = fin == STATUS_PENDING || fin == STATUS_FLT_DISALLOW_FAST_IO ||
                      ((r->io.major == IRP_MJ_CLEANUP || r->io.major == IRP_MJ_CLOSE) && !NT_SUCCESS(fin));
        if (bad)
            kf_violation_stop(KF_VIOL_FLT_PREOP_COMPLETE_STATUS, routine, r->io.major, (ULONG)fin, 0,
                              "the pre-operation callback of %s returned FLT_PREOP_COMPLETE with IoStatus.Status "
                              "0x%08X, which the operation cannot complete with",
                              name, (unsigned)fin);
        l->post = POST_NONE;
        r->block->data.Flags &= ~(ULONG)FLTFL_CALLBACK_DATA_DIRTY;
        r->phase = PH_POST;
        r->at = k;
        operation_status(r, k, fin); /* FD-30: the higher filters' requests see the status */
        return;
    }
    case FLT_PREOP_DISALLOW_FASTIO:
        if (is_irp(r))
            kf_violation_stop(KF_VIOL_FLT_DISALLOW_FASTIO_ON_IRP, routine, r->io.major, 0, 0,
                              "the pre-operation callback of the IRP-based %s returned FLT_PREOP_DISALLOW_FASTIO",
                              name);
        r->block->data.IoStatus.Status = STATUS_FLT_DISALLOW_FAST_IO;
        r->block->data.IoStatus.Information = 0;
        l->post = POST_NONE;
        r->phase = PH_POST;
        r->at = k;
        return;
    default:
        kf_violation_stop(KF_VIOL_FLT_PREOP_STATUS_INVALID, routine, r->io.major, (ULONG_PTR)(ULONG)st, 0,
                          "the pre-operation callback of %s returned %d, which is no status it may return "
                          "for this operation",
                          name, (int)st);
    }
}

/* ---- Running an operation --------------------------------------------------------------------- */

static void complete(io_rec *r);
static void run_below(io_rec *r);

/* Runs the operation until it completes or waits (pended, held below). */
static void advance(io_rec *r)
{
    for (;;) {
        if (r->phase == PH_PRE) {
            while (r->phase == PH_PRE && r->at < r->n) {
                unsigned k = r->at;
                level *l = &r->lv[k];
                if (!l->reg || !l->inst) {
                    r->at++;
                    continue;
                }
                if (!l->reg->PreOperation) { /* only a post-operation callback: it is called */
                    l->before = r->block->iopb;
                    l->before.TargetInstance = l->inst;
                    l->post = POST_WANTED;
                    l->context = NULL;
                    r->at++;
                    continue;
                }
                PVOID context;
                FLT_PREOP_CALLBACK_STATUS st = call_pre(r, k, &context);
                if (st == FLT_PREOP_PENDING) {
                    if (!is_irp(r))
                        kf_violation_stop(KF_VIOL_FLT_PENDED_NOT_IRP, pre_routine, r->io.major, 0, 0,
                                          "the pre-operation callback of the fast I/O %s returned FLT_PREOP_PENDING",
                                          major_name(r->io.major));
                    if (context)
                        kf_violation_stop(KF_VIOL_FLT_COMPLETION_CONTEXT_UNUSED, pre_routine, r->io.major,
                                          FLT_PREOP_PENDING, 0,
                                          "the pre-operation callback of %s set a CompletionContext and returned "
                                          "FLT_PREOP_PENDING",
                                          major_name(r->io.major));
                    if (!r->early) {
                        r->phase = PH_PRE_PENDED;
                        return;
                    }
                    r->early = FALSE; /* completed before the PENDING reached Filter Manager */
                    pre_status(r, k, r->early_status, r->early_context, "FltCompletePendedPreOperation");
                    continue;
                }
                if (r->early)
                    kf_violation_stop(KF_VIOL_FLT_COMPLETE_NOT_PENDED, "FltCompletePendedPreOperation", r->io.major, 0, 0,
                                      "the pre-operation callback of %s completed its own operation with "
                                      "FltCompletePendedPreOperation, then returned %d instead of FLT_PREOP_PENDING",
                                      major_name(r->io.major), (int)st);
                pre_status(r, k, st, context, pre_routine);
            }
            if (r->phase == PH_PRE) {
                run_below(r);
                if (r->phase == PH_BELOW)
                    return; /* held below */
            }
            continue;
        }
        if (r->phase == PH_POST) {
            while (r->phase == PH_POST && r->at > 0) {
                unsigned k = r->at - 1;
                level *l = &r->lv[k];
                if (!l->inst || (l->post != POST_WANTED && l->post != POST_SYNC)) {
                    if (l->inst && l->post == POST_NONE)
                        release_swaps(r, k);
                    r->at--;
                    continue;
                }
                FLT_POSTOP_CALLBACK_STATUS st = call_post(r, k, &r->block->data, 0);
                if (st == FLT_POSTOP_MORE_PROCESSING_REQUIRED) {
                    if (!is_irp(r))
                        kf_violation_stop(KF_VIOL_FLT_PENDED_NOT_IRP, post_routine, r->io.major, 0, 0,
                                          "the post-operation callback of the fast I/O %s returned "
                                          "FLT_POSTOP_MORE_PROCESSING_REQUIRED",
                                          major_name(r->io.major));
                    if (!r->early) {
                        r->phase = PH_POST_PENDED;
                        return;
                    }
                    r->early = FALSE;
                } else if (st != FLT_POSTOP_FINISHED_PROCESSING) {
                    kf_violation_stop(KF_VIOL_FLT_POSTOP_STATUS_INVALID, post_routine, r->io.major, (ULONG_PTR)(ULONG)st, 0,
                                      "the post-operation callback of %s returned %d, which is no status it may "
                                      "return for this operation",
                                      major_name(r->io.major), (int)st);
                } else if (r->early || l->safe_queued) {
                    kf_violation_stop(r->early ? KF_VIOL_FLT_COMPLETE_NOT_PENDED : KF_VIOL_FLT_SAFE_POST_MISUSE,
                                      post_routine, r->io.major, 0, 0,
                                      r->early ? "the post-operation callback of %s completed its operation with "
                                                 "FltCompletePendedPostOperation, then returned "
                                                 "FLT_POSTOP_FINISHED_PROCESSING"
                                               : "the post-operation callback of %s returned "
                                                 "FLT_POSTOP_FINISHED_PROCESSING after FltDoCompletionProcessingWhenSafe "
                                                 "posted its completion (it must return what the routine gave it)",
                                      major_name(r->io.major));
                }
                l->post = POST_DONE;
                release_swaps(r, k);
                r->at--;
            }
            if (r->phase == PH_POST)
                complete(r);
            return;
        }
        return; /* pended or held: someone else continues it */
    }
}

/* The layers below answer (or hold) the operation. */
static void answer_below(io_rec *r)
{
    PFLT_CALLBACK_DATA d = &r->block->data;
    d->Iopb->TargetInstance = NULL; /* below every filter */
    if (r->io.major == IRP_MJ_CLEANUP) {
        /* The file system completes what it still holds on the file object (FD-16). */
        for (io_rec *o = ios; o;) {
            io_rec *next = o->next;
            if (o != r && o->held && o->fo == r->fo) {
                BOOLEAN notify_dir = o->io.major == IRP_MJ_DIRECTORY_CONTROL &&
                                     (o->io.minor == IRP_MN_NOTIFY_CHANGE_DIRECTORY ||
                                      o->io.minor == IRP_MN_NOTIFY_CHANGE_DIRECTORY_EX);
                unsigned long long serial = o->serial;
                o->held = FALSE;
                o->block->data.IoStatus.Status = notify_dir ? STATUS_NOTIFY_CLEANUP : STATUS_CANCELLED;
                o->block->data.IoStatus.Information = 0;
                o->phase = PH_POST;
                o->at = o->n;
                advance(o);
                /* The list may have changed: start again after the one just completed. */
                next = ios;
                while (next && next->serial <= serial)
                    next = next->next;
            }
            o = next;
        }
    }
    if (r->io.lower_override) {
        d->IoStatus.Status = r->io.lower_status;
        d->IoStatus.Information = r->io.lower_information;
    } else {
        kf__flt_lower_answer(d);
    }
    if (r->io.major == IRP_MJ_CREATE) {
        r->fs_opened = NT_SUCCESS(d->IoStatus.Status) && (r->fo->Flags & FO_FILE_OPEN) != 0;
        /* The handle exists only once the create completed (the I/O manager makes it). */
        r->fo->Flags &= ~(ULONG)FO_HANDLE_CREATED;
    }
}

/* FD-30: what the layers below returned to the filters that asked, lowest first, for the levels
 * above `below` (the level that stopped the operation, or n when it went to the layers below). */
static void operation_status(io_rec *r, unsigned below, NTSTATUS status)
{
    unsigned long long serial = r->serial;
    for (unsigned k = below; k-- > 0;) {
        level *l = &r->lv[k];
        PFLT_GET_OPERATION_STATUS_CALLBACK cb = l->status_routine;
        if (!cb || !l->inst)
            continue;
        l->status_routine = NULL;
        FLT_RELATED_OBJECTS objs;
        related_objects(r, l->inst, &objs);
        FLT_IO_PARAMETER_BLOCK snapshot = r->block->iopb;
        cb(&objs, &snapshot, status, l->status_context);
        if (find_serial(serial) != r)
            return;
    }
}

static void run_below(io_rec *r)
{
    if (r->io.lower_pends) {
        r->phase = PH_BELOW;
        r->held = TRUE;
        operation_status(r, r->n, STATUS_PENDING);
        return;
    }
    answer_below(r);
    r->phase = PH_POST;
    r->at = r->n;
    operation_status(r, r->n, r->block->data.IoStatus.Status);
}

static void unlink_io(io_rec *r)
{
    for (io_rec **pp = &ios; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            if (ios_tail == &r->next)
                ios_tail = pp;
            n_ios--;
            return;
        }
}

static void let_go(fo_io *f);
static void forget_fo(fo_io *f);

static void complete(io_rec *r)
{
    PFLT_CALLBACK_DATA d = &r->block->data;
    NTSTATUS st = d->IoStatus.Status;
    ULONG_PTR info = d->IoStatus.Information;
    PFILE_OBJECT fo = r->fo;
    fo_io *f = find_fo(fo);
    if (r->io.major == IRP_MJ_CREATE) {
        if (r->cancelled ? NT_SUCCESS(st) : (r->fs_opened && !NT_SUCCESS(st)))
            kf_violation_stop(KF_VIOL_FLT_CREATE_RESULT, post_routine, (ULONG)st, r->cancelled, 0,
                              r->cancelled ? "a create canceled with FltCancelFileOpen completed with status 0x%08X "
                                             "(a canceled create must fail)"
                                           : "a create the file system opened completed with status 0x%08X without "
                                             "FltCancelFileOpen (the file stays open below)",
                              (unsigned)st);
        if (NT_SUCCESS(st)) { /* the I/O manager makes the handle now */
            r->fo->Flags |= FO_HANDLE_CREATED;
            if (f)
                f->opened = TRUE;
        }
    }
    notify(KF_FLT_EV_COMPLETE, r, 0, (LONG)st, 0);
    for (unsigned i = 0; i < MAX_WAITING; i++)
        if (waiting[i].serial == r->serial)
            waiting[i].status = st;
    unlink_io(r);
    kf_flt_io_done_fn done = r->done;
    void *ctx = r->done_ctx;
    unsigned long long serial = r->serial;
    /* The I/O manager frees what the operation's IRP carried: the MDLs FltLockUserBuffer made
     * for it (FI-*), the extra create parameters of a create (FE-12). */
    kf__flt_fileio_data_gone(&r->block->data);
    kf__flt_ecp_callback_data_gone(&r->block->data);
    if (r->paging_mdl && kf__mdl_live(r->paging_mdl))
        IoFreeMdl(r->paging_mdl);
    free(r->block);
    free(r);
    if (done)
        done(ctx, serial, st, info);
    /* A close the I/O manager was waiting to send goes once nothing is in flight on the object
     * (the done routine may have let go of it already). */
    f = find_fo(fo);
    if (f && f->close_wanted) {
        BOOLEAN busy = FALSE;
        for (io_rec *o = ios; o; o = o->next)
            busy |= o->fo == fo;
        if (!busy && f->closing)
            forget_fo(f); /* its close (pended by a filter) completed */
        else if (!busy && KeGetCurrentIrql() > APC_LEVEL)
            f->close_deferred = TRUE; /* the I/O manager sends it from a worker (kf_flt_run_safe_posts) */
        else if (!busy)
            let_go(f);
    }
}

/* ---- Sending I/O ----------------------------------------------------------------------------- */

PFILE_OBJECT kf_flt_io_file_object(unsigned volume, const WCHAR *name, USHORT chars, PFILE_OBJECT related)
{
    struct _FLT_VOLUME *v = kf__flt_volume_at(volume);
    if (!v || (related && !find_fo(related)))
        return NULL;
    fo_io *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    PFILE_OBJECT fo = kf__flt_file_object_new(v, name, chars, related);
    if (!fo) {
        free(f);
        return NULL;
    }
    f->fo = fo;
    f->volume = volume;
    f->next = fos;
    fos = f;
    return fo;
}

size_t kf_flt_io_file_objects(void)
{
    size_t n = 0;
    for (fo_io *f = fos; f; f = f->next)
        n++;
    return n;
}

static NTSTATUS send(fo_io *f, const kf_flt_io *io, kf_flt_io_done_fn done, void *ctx, unsigned long long *serial,
                     BOOLEAN internal)
{
    if (serial)
        *serial = 0;
    /* What the I/O manager never sends (FD-1); the close is its own (kf_flt_io_close). */
    if (!io || io->major > IRP_MJ_MAXIMUM_FUNCTION || io->post_irql > DISPATCH_LEVEL ||
        (io->major == IRP_MJ_CLOSE && !internal) ||
        KeGetCurrentIrql() > APC_LEVEL || (io->major == IRP_MJ_CREATE) == (f->create_sent != 0) ||
        (io->fast_io && (io->major == IRP_MJ_CREATE || io->major == IRP_MJ_CLEANUP || io->major == IRP_MJ_CLOSE)))
        return STATUS_INVALID_PARAMETER;
    if (io->major != IRP_MJ_CREATE && !f->opened)
        return STATUS_INVALID_PARAMETER;
    /* Once its handle is closed (cleanup sent), a file object sees no second cleanup and no I/O
     * through the handle: only the cache and memory managers' paging reads and writes, their
     * kernel-mode information requests, and the close (FD-33). */
    if (f->cleaned && !internal) {
        BOOLEAN paging = (io->major == IRP_MJ_READ || io->major == IRP_MJ_WRITE) && (io->irp_flags & IRP_PAGING_IO) &&
                         !io->fast_io;
        BOOLEAN kernel_info = (io->major == IRP_MJ_QUERY_INFORMATION || io->major == IRP_MJ_SET_INFORMATION) &&
                              io->requestor_mode == KernelMode && !io->fast_io;
        if (!paging && !kernel_info)
            return STATUS_INVALID_PARAMETER;
    }
    if (io->major == IRP_MJ_CREATE)
        f->create_sent = TRUE;
    if (io->major == IRP_MJ_CLEANUP)
        f->cleaned = TRUE;
    /* The IRP and Filter Manager's callback data (cleanup and close must succeed; fast I/O has
     * no IRP). */
    BOOLEAN must = io->fast_io || io->major == IRP_MJ_CLEANUP || io->major == IRP_MJ_CLOSE;
    if (!must && kf_fault_consult(KF_SITE_IO_IRP) != KF_FAULT_NONE) {
        if (done)
            done(ctx, 0, STATUS_INSUFFICIENT_RESOURCES, 0);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    io_rec *r = calloc(1, sizeof *r);
    io_block *b = calloc(1, sizeof *b);
    if (!r || !b) {
        free(r);
        free(b);
        if (done)
            done(ctx, 0, STATUS_INSUFFICIENT_RESOURCES, 0);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    r->serial = ++next_serial;
    if (serial)
        *serial = r->serial;
    r->block = b;
    r->fo = f->fo;
    r->volume = f->volume;
    r->io = *io;
    r->done = done;
    r->done_ctx = ctx;
    r->pre_irql = KeGetCurrentIrql();

    /* Filter Manager's callback data (FD-1). */
    PETHREAD thread = PsGetCurrentThread();
    PFLT_IO_PARAMETER_BLOCK iopb = &b->iopb;
    memcpy((void *)&b->data.Thread, &thread, sizeof thread);
    memcpy((void *)&b->data.Iopb, &iopb, sizeof iopb);
    b->data.Flags = io->fast_io ? FLTFL_CALLBACK_DATA_FAST_IO_OPERATION : FLTFL_CALLBACK_DATA_IRP_OPERATION;
    if (io->system_buffer)
        b->data.Flags |= FLTFL_CALLBACK_DATA_SYSTEM_BUFFER;
    b->data.RequestorMode = io->requestor_mode;
    iopb->IrpFlags = io->fast_io ? 0 : io->irp_flags;
    iopb->MajorFunction = io->major;
    iopb->MinorFunction = io->minor;
    iopb->OperationFlags = io->operation_flags;
    iopb->TargetFileObject = f->fo;
    iopb->Parameters = io->parameters;
    /* Paging I/O always describes its pages with an MDL (the memory manager builds it): a paging
     * read or write given only a buffer gets one for it (FD-32). */
    if (!io->fast_io && (io->irp_flags & IRP_PAGING_IO)) {
        if (io->major == IRP_MJ_READ && !iopb->Parameters.Read.MdlAddress)
            iopb->Parameters.Read.MdlAddress = r->paging_mdl =
                kf__mdl_for_system_buffer(iopb->Parameters.Read.ReadBuffer, iopb->Parameters.Read.Length);
        else if (io->major == IRP_MJ_WRITE && !iopb->Parameters.Write.MdlAddress)
            iopb->Parameters.Write.MdlAddress = r->paging_mdl =
                kf__mdl_for_system_buffer(iopb->Parameters.Write.WriteBuffer, iopb->Parameters.Write.Length);
    }
    if (io->major == IRP_MJ_CREATE) {
        b->security.DesiredAccess = io->desired_access;
        b->security.FullCreateOptions = io->parameters.Create.Options;
        iopb->Parameters.Create.SecurityContext = &b->security;
    }

    /* The filters attached to the volume, the first registered highest (FD-2). */
    struct _FLT_INSTANCE *insts[KF_FLT_MAX_LEVELS];
    r->n = kf__flt_instances_on(f->volume, insts, KF_FLT_MAX_LEVELS);
    for (unsigned k = 0; k < r->n; k++) {
        r->lv[k].inst = insts[k];
        r->lv[k].reg = registration_for(insts[k], r);
    }
    r->phase = PH_PRE;
    *ios_tail = r;
    ios_tail = &r->next;
    n_ios++;

    /* The request runs in the requestor's process until it leaves the originating thread. */
    int was_user = kf__user_context();
    kf_set_user_process_context(io->requestor_mode == UserMode);
    r->process = PsGetCurrentProcess();
    r->process_id = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
    unsigned long long me = r->serial;
    unsigned slot = MAX_WAITING;
    for (unsigned i = 0; i < MAX_WAITING && slot == MAX_WAITING; i++)
        if (!waiting[i].serial)
            slot = i;
    if (slot < MAX_WAITING) {
        waiting[slot].serial = me;
        waiting[slot].status = STATUS_PENDING;
    }
    advance(r);
    kf_set_user_process_context(was_user ? TRUE : FALSE);
    NTSTATUS result = STATUS_PENDING;
    if (slot < MAX_WAITING) {
        result = waiting[slot].status;
        waiting[slot].serial = 0;
    }
    return find_serial(me) ? STATUS_PENDING : result;
}

NTSTATUS kf_flt_send_io(PFILE_OBJECT fo, const kf_flt_io *io, kf_flt_io_done_fn done, void *ctx,
                        unsigned long long *serial)
{
    fo_io *f = find_fo(fo);
    if (!f)
        return STATUS_INVALID_PARAMETER;
    return send(f, io, done, ctx, serial, FALSE);
}

/* ---- Cleanup and close: the I/O manager lets go of a file object (FD-16) --------------------- */

static void forget_fo(fo_io *f)
{
    for (fo_io **pp = &fos; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    PFILE_OBJECT fo = f->fo;
    free(f);
    kf__object_deref(fo); /* the I/O manager's reference: the object goes when it was the last */
}

static void send_close(fo_io *f)
{
    /* The close reaches the filters only when the I/O manager's reference is the last one; a
     * reference the driver still holds keeps the object (the driver's leak, K-12). */
    if (f->opened && kf__object_other_refs(f->fo) == 0) {
        kf_flt_io io;
        memset(&io, 0, sizeof io);
        io.major = IRP_MJ_CLOSE;
        io.irp_flags = IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API;
        PFILE_OBJECT fo = f->fo;
        f->closing = TRUE;
        (void)send(f, &io, NULL, NULL, NULL, TRUE);
        if (find_fo(fo) != f)
            return;
        for (io_rec *o = ios; o; o = o->next)
            if (o->fo == fo)
                return; /* a filter pended the close itself: the object goes when it completes */
    }
    forget_fo(f);
}

/* The I/O manager lets go: the cleanup once a handle exists, then the close once nothing is in
 * flight on the object (an operation holds a reference on it). */
static void let_go(fo_io *f)
{
    PFILE_OBJECT fo = f->fo;
    f->close_wanted = TRUE;
    if (f->opened && !f->cleaned) {
        kf_flt_io io;
        memset(&io, 0, sizeof io);
        io.major = IRP_MJ_CLEANUP;
        io.irp_flags = IRP_SYNCHRONOUS_API;
        (void)send(f, &io, NULL, NULL, NULL, TRUE);
        if (find_fo(fo) != f || !f->close_wanted)
            return;
    }
    for (io_rec *o = ios; o; o = o->next)
        if (o->fo == fo)
            return; /* the close waits for it */
    send_close(f);
}

int kf_flt_io_close(PFILE_OBJECT fo)
{
    fo_io *f = find_fo(fo);
    if (!f || f->close_wanted)
        return -1;
    let_go(f);
    return 0;
}

/* ---- The layers below complete what they held (FD-13) ----------------------------------------- */

size_t kf_flt_complete_lower(void)
{
    unsigned long long upto = next_serial;
    size_t done = 0;
    for (;;) {
        io_rec *r = ios;
        while (r && !(r->held && r->serial <= upto))
            r = r->next;
        if (!r)
            return done;
        r->held = FALSE;
        answer_below(r);
        r->phase = PH_POST;
        r->at = r->n;
        done++;
        advance(r);
    }
}

/* ---- Pended operations (FD-9, FD-10) ---------------------------------------------------------- */

VOID FLTAPI FltCompletePendedPreOperation(PFLT_CALLBACK_DATA CallbackData, FLT_PREOP_CALLBACK_STATUS CallbackStatus,
                                          PVOID Context)
{
    static const char routine[] = "FltCompletePendedPreOperation";
    kf__flt_require_irql(routine, CallbackStatus == FLT_PREOP_COMPLETE ? DISPATCH_LEVEL : APC_LEVEL);
    io_rec *r = find_data(CallbackData);
    BOOLEAN early = r && r->in_cb == CB_PRE && !r->early;
    if (!r || (r->phase != PH_PRE_PENDED && !early))
        kf_violation_stop(KF_VIOL_FLT_COMPLETE_NOT_PENDED, routine, r ? r->io.major : 0, 0, 0,
                          "FltCompletePendedPreOperation for callback data whose operation %s",
                          !r ? "is not one Filter Manager delivered (or it completed already)"
                             : "is not pended in its pre-operation stage (completed twice, or never pended)");
    if (CallbackStatus != FLT_PREOP_COMPLETE && CallbackStatus != FLT_PREOP_SUCCESS_NO_CALLBACK &&
        CallbackStatus != FLT_PREOP_SUCCESS_WITH_CALLBACK)
        kf_violation_stop(KF_VIOL_FLT_COMPLETE_PENDED_STATUS, routine, r->io.major, (ULONG_PTR)(ULONG)CallbackStatus, 0,
                          "FltCompletePendedPreOperation with status %d (only FLT_PREOP_COMPLETE, "
                          "FLT_PREOP_SUCCESS_NO_CALLBACK and FLT_PREOP_SUCCESS_WITH_CALLBACK complete a pended "
                          "operation)",
                          (int)CallbackStatus);
    if (Context && CallbackStatus != FLT_PREOP_SUCCESS_WITH_CALLBACK)
        kf_violation_stop(KF_VIOL_FLT_COMPLETE_PENDED_STATUS, routine, r->io.major, (ULONG_PTR)(ULONG)CallbackStatus, 1,
                          "FltCompletePendedPreOperation with a Context and status %d (a Context goes only with "
                          "FLT_PREOP_SUCCESS_WITH_CALLBACK)",
                          (int)CallbackStatus);
    if (early) { /* before the PENDING reached Filter Manager: applied when the callback returns */
        r->early = TRUE;
        r->early_status = CallbackStatus;
        r->early_context = Context;
        return;
    }
    unsigned k = r->at;
    r->phase = PH_PRE;
    pre_status(r, k, CallbackStatus, Context, routine);
    advance(r);
}

/* The post stage of level lv[at - 1] is over: Filter Manager goes on with the completion. */
static void post_stage_done(io_rec *r)
{
    unsigned k = r->at - 1;
    r->lv[k].post = POST_DONE;
    r->lv[k].safe_queued = FALSE;
    release_swaps(r, k);
    r->at--;
    r->phase = PH_POST;
    advance(r);
}

VOID FLTAPI FltCompletePendedPostOperation(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltCompletePendedPostOperation";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    io_rec *r = find_data(CallbackData);
    BOOLEAN early = r && r->in_cb == CB_POST && !r->early;
    if (!r || !((r->phase == PH_POST_PENDED && !r->lv[r->at - 1].safe_queued) || early))
        kf_violation_stop(KF_VIOL_FLT_COMPLETE_NOT_PENDED, routine, r ? r->io.major : 0, 1, 0,
                          "FltCompletePendedPostOperation for callback data whose operation %s",
                          !r ? "is not one Filter Manager delivered (or it completed already)"
                             : "did not return FLT_POSTOP_MORE_PROCESSING_REQUIRED from its post-operation callback "
                               "(completed twice, or never pended)");
    if (early) {
        r->early = TRUE;
        return;
    }
    post_stage_done(r);
}

/* ---- FltDoCompletionProcessingWhenSafe (FD-21) ---------------------------------------------- */

static int run_safe(safe_work *w)
{
    unsigned long long serial = w->serial;
    unsigned k = w->level;
    PFLT_POST_OPERATION_CALLBACK routine = w->routine;
    PVOID context = w->context;
    FLT_POST_OPERATION_FLAGS flags = w->flags;
    free(w);
    io_rec *r = find_serial(serial);
    if (!r || r->phase != PH_POST_PENDED || r->at == 0 || r->at - 1 != k)
        return 0;
    level *l = &r->lv[k];
    if (!l->safe_queued || !l->inst)
        return 0;
    FLT_RELATED_OBJECTS objs;
    related_objects(r, l->inst, &objs);
    KIRQL saved = KeGetCurrentIrql();
    kf_set_irql(PASSIVE_LEVEL);
    *r->block->data.Iopb = l->before;
    notify(KF_FLT_EV_POST, r, k, 0, flags);
    r->in_cb = CB_POST;
    r->cb_level = k;
    r->early = FALSE;
    active_push(r, CB_POST);
    FLT_POSTOP_CALLBACK_STATUS st = routine(&r->block->data, &objs, context, flags);
    active_pop();
    r->in_cb = CB_NONE;
    check_returned_irql(post_routine, r, PASSIVE_LEVEL, "safe post-operation");
    kf_set_irql(saved);
    notify(KF_FLT_EV_POST_RETURN, r, k, (LONG)st, flags);
    l->safe_queued = FALSE;
    if (st == FLT_POSTOP_FINISHED_PROCESSING) {
        if (r->early)
            kf_violation_stop(KF_VIOL_FLT_COMPLETE_NOT_PENDED, post_routine, r->io.major, 0, 0,
                              "the safe post-operation callback of %s completed its operation with "
                              "FltCompletePendedPostOperation, then returned FLT_POSTOP_FINISHED_PROCESSING",
                              major_name(r->io.major));
        post_stage_done(r); /* Filter Manager resumes the completion itself */
    } else if (st == FLT_POSTOP_MORE_PROCESSING_REQUIRED) {
        if (r->early) {
            r->early = FALSE;
            post_stage_done(r);
        }
        /* else the filter completes it with FltCompletePendedPostOperation */
    } else {
        kf_violation_stop(KF_VIOL_FLT_POSTOP_STATUS_INVALID, post_routine, r->io.major, (ULONG_PTR)(ULONG)st, 0,
                          "the safe post-operation callback of %s returned %d", major_name(r->io.major), (int)st);
    }
    return 1;
}

size_t kf_flt_run_safe_posts(void)
{
    size_t due = 0, ran = 0;
    /* The I/O manager's own work first: closes that waited for I/O completed at DISPATCH_LEVEL. */
    for (fo_io *f = fos; f;) {
        if (!f->close_deferred) {
            f = f->next;
            continue;
        }
        f->close_deferred = FALSE;
        KIRQL saved = KeGetCurrentIrql();
        kf_set_irql(PASSIVE_LEVEL);
        let_go(f);
        kf_set_irql(saved);
        ran++;
        f = fos; /* the list may have changed */
    }
    for (safe_work *w = safe_head; w; w = w->next)
        due++;
    while (safe_head && due--) {
        safe_work *w = safe_head;
        safe_head = w->next;
        if (!safe_head)
            safe_tail = &safe_head;
        ran += (size_t)run_safe(w);
    }
    return ran;
}

static int safe_pending(void) { return kf_flt_run_safe_posts() != 0; }

BOOLEAN FLTAPI FltDoCompletionProcessingWhenSafe(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                 PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags,
                                                 PFLT_POST_OPERATION_CALLBACK SafePostCallback,
                                                 PFLT_POSTOP_CALLBACK_STATUS RetPostOperationStatus)
{
    static const char routine[] = "FltDoCompletionProcessingWhenSafe";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    if (!SafePostCallback || !RetPostOperationStatus || !FltObjects)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0,
                          "FltDoCompletionProcessingWhenSafe: %s is NULL",
                          !SafePostCallback ? "SafePostCallback" : !RetPostOperationStatus ? "RetPostOperationStatus"
                                                                                        : "FltObjects");
    io_rec *r = find_data(Data);
    const char *why = NULL;
    if (!r || r->in_cb != CB_POST)
        why = "outside a post-operation callback of the operation";
    else if (Flags & FLTFL_POST_OPERATION_DRAINING)
        why = "while the operation is draining (FLTFL_POST_OPERATION_DRAINING)";
    else if (!is_irp(r))
        why = "for an operation that is not IRP-based";
    else if (r->io.irp_flags & IRP_PAGING_IO)
        why = "for paging I/O";
    if (why)
        kf_violation_stop(KF_VIOL_FLT_SAFE_POST_MISUSE, routine, r ? r->io.major : 0, Flags, 0,
                          "FltDoCompletionProcessingWhenSafe %s", why);
    if (KeGetCurrentIrql() < DISPATCH_LEVEL) {
        /* Safe already: the callback runs at once, here. */
        *RetPostOperationStatus = SafePostCallback(Data, FltObjects, CompletionContext, Flags);
        return TRUE;
    }
    safe_work *w = NULL;
    if (kf_fault_consult(KF_SITE_FLT_SAFE_POST) == KF_FAULT_NONE)
        w = malloc(sizeof *w);
    if (!w) {
        *RetPostOperationStatus = FLT_POSTOP_FINISHED_PROCESSING;
        return FALSE;
    }
    w->next = NULL;
    w->serial = r->serial;
    w->level = r->cb_level;
    w->routine = SafePostCallback;
    w->context = CompletionContext;
    w->flags = Flags;
    r->lv[r->cb_level].safe_queued = TRUE;
    *safe_tail = w;
    safe_tail = &w->next;
    *RetPostOperationStatus = FLT_POSTOP_MORE_PROCESSING_REQUIRED;
    return TRUE;
}

/* ---- FltCancelFileOpen (FD-22) ----------------------------------------------------------------- */

VOID FLTAPI FltCancelFileOpen(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject)
{
    static const char routine[] = "FltCancelFileOpen";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    if (!kf__flt_find_instance(Instance))
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "FltCancelFileOpen: Instance is not a live instance");
    io_rec *r = n_active && n_active <= MAX_ACTIVE ? active[n_active - 1].r : NULL;
    BOOLEAN post_create = r && active[n_active - 1].kind == CB_POST && r->io.major == IRP_MJ_CREATE &&
                          r->fo == FileObject;
    if (!post_create || r->cancelled || !r->fs_opened)
        kf_violation_stop(KF_VIOL_FLT_CANCEL_OPEN_MISUSE, routine, post_create, post_create && r->cancelled, 0,
                          "FltCancelFileOpen %s",
                          !post_create ? "outside the post-create callback of that file object"
                          : r->cancelled ? "a second time for the same create"
                                         : "for a create that did not succeed below");
    /* The layers below see a cleanup and a close; the file object is marked canceled. */
    io_block tmp;
    memset(&tmp, 0, sizeof tmp);
    PFLT_IO_PARAMETER_BLOCK iopb = &tmp.iopb;
    memcpy((void *)&tmp.data.Iopb, &iopb, sizeof iopb);
    tmp.data.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION;
    tmp.iopb.TargetFileObject = FileObject;
    static const UCHAR steps[2] = {IRP_MJ_CLEANUP, IRP_MJ_CLOSE};
    for (int i = 0; i < 2; i++) {
        tmp.iopb.MajorFunction = steps[i];
        kf_flt_lower_io io = {&tmp.data, FALSE, STATUS_SUCCESS, 0};
        (void)kf__flt_fs_answer(&io);
    }
    FileObject->Flags |= FO_FILE_OPEN_CANCELLED;
    r->cancelled = TRUE;
}

/* ---- Questions about an operation (FD-23) -------------------------------------------------- */

BOOLEAN FLTAPI FltIsOperationSynchronous(PFLT_CALLBACK_DATA CallbackData)
{
    if (!CallbackData)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, "FltIsOperationSynchronous", 0, 0, 0,
                          "FltIsOperationSynchronous: CallbackData is NULL");
    if (!FLT_IS_IRP_OPERATION(CallbackData))
        return TRUE;
    PFLT_IO_PARAMETER_BLOCK p = CallbackData->Iopb;
    if (p->IrpFlags & IRP_PAGING_IO)
        return (p->IrpFlags & IRP_SYNCHRONOUS_PAGING_IO) ? TRUE : FALSE;
    if (p->TargetFileObject && kf__flt_file_object_volume(p->TargetFileObject, NULL) &&
        (p->TargetFileObject->Flags & FO_SYNCHRONOUS_IO))
        return TRUE;
    if (p->IrpFlags & IRP_SYNCHRONOUS_API)
        return TRUE;
    ULONG code = 0;
    switch (p->MajorFunction) {
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL:
        code = p->Parameters.DeviceIoControl.Common.IoControlCode;
        return (code & 3) == METHOD_BUFFERED;
    case IRP_MJ_FILE_SYSTEM_CONTROL:
        code = p->Parameters.FileSystemControl.Common.FsControlCode;
        return (code & 3) == METHOD_BUFFERED;
    default:
        return FALSE;
    }
}

static io_rec *require_io(const char *routine, PFLT_CALLBACK_DATA d)
{
    io_rec *r = find_data(d);
    if (!r)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0,
                          "%s: CallbackData is not the callback data of an operation in flight", routine);
    return r;
}

PEPROCESS FLTAPI FltGetRequestorProcess(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltGetRequestorProcess";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    return require_io(routine, CallbackData)->process;
}

ULONG FLTAPI FltGetRequestorProcessId(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltGetRequestorProcessId";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    return require_io(routine, CallbackData)->process_id;
}

/* ---- Instance teardown with I/O in flight (FD-14, FD-15, FD-28) -------------------------------------------- */

/* Operations the filter pended on `inst` (pre or post) and not yet completed. */
static size_t pended_on(const struct _FLT_INSTANCE *inst)
{
    size_t n = 0;
    for (io_rec *r = ios; r; r = r->next)
        if ((r->phase == PH_PRE_PENDED && r->at < r->n && r->lv[r->at].inst == inst) ||
            (r->phase == PH_POST_PENDED && r->at > 0 && r->lv[r->at - 1].inst == inst))
            n++;
    return n;
}

void kf__flt_dispatch_teardown(const struct _FLT_INSTANCE *inst)
{
    /* Filter Manager waits for what the filter pended: meanwhile the system's worker threads run
     * what is queued (the filter's work items, posted completions), as long as any of it runs. */
    for (int round = 0; round < 64 && pended_on(inst) && kf__run_pending(); round++)
        ;
    /* Work on a snapshot of serials: draining callbacks may complete other operations. */
    unsigned long long upto = next_serial;
    for (unsigned long long s = 1; s <= upto; s++) {
        io_rec *r = find_serial(s);
        if (!r)
            continue;
        for (unsigned k = 0; r == find_serial(s) && k < r->n; k++) {
            level *l = &r->lv[k];
            if (l->inst != inst)
                continue;
            if (r->phase == PH_PRE_PENDED && r->at == k)
            {
                char fname[96];
                kf_violation_stop(KF_VIOL_FLT_PENDED_NOT_COMPLETED, "InstanceTeardownStartCallback", r->io.major, s, 0,
                                  "operation #%llu (%s of %s) the filter pended in its pre-operation callback was "
                                  "not completed when InstanceTeardownStartCallback returned",
                                  s, major_name(r->io.major), file_text(r, fname, sizeof fname));
            }
            if (r->phase == PH_POST_PENDED && r->at - 1 == k) {
                if (l->safe_queued) { /* Filter Manager's own worker: it runs before the teardown ends */
                    for (safe_work **pp = &safe_head; *pp; pp = &(*pp)->next)
                        if ((*pp)->serial == s) {
                            safe_work *w = *pp;
                            *pp = w->next;
                            if (safe_tail == &w->next)
                                safe_tail = pp;
                            run_safe(w);
                            break;
                        }
                    if (r != find_serial(s) || r->phase != PH_POST_PENDED || r->at - 1 != k)
                        continue;
                }
                char fname[96];
                kf_violation_stop(KF_VIOL_FLT_PENDED_NOT_COMPLETED, "InstanceTeardownStartCallback", r->io.major, s, 1,
                                  "operation #%llu (%s of %s) whose post-operation callback returned "
                                  "FLT_POSTOP_MORE_PROCESSING_REQUIRED was not completed when "
                                  "InstanceTeardownStartCallback returned",
                                  s, major_name(r->io.major), file_text(r, fname, sizeof fname));
            }
            /* Its post-operation callback is still owed while the I/O is below this level. */
            BOOLEAN owed = (l->post == POST_WANTED || l->post == POST_SYNC) &&
                           (r->phase == PH_BELOW || (r->phase == PH_PRE_PENDED && r->at > k) ||
                            ((r->phase == PH_POST || r->phase == PH_POST_PENDED) && r->at - 1 > k));
            if (owed) {
                io_block *copy = malloc(sizeof *copy); /* Data is a copy while draining */
                if (copy) {
                    memcpy(copy, r->block, sizeof *copy);
                    PFLT_IO_PARAMETER_BLOCK cp = &copy->iopb;
                    memcpy((void *)&copy->data.Iopb, &cp, sizeof cp);
                    copy->data.Flags |= FLTFL_CALLBACK_DATA_DRAINING_IO;
                    FLT_POSTOP_CALLBACK_STATUS st = call_post(r, k, &copy->data, FLTFL_POST_OPERATION_DRAINING);
                    free(copy);
                    if (st != FLT_POSTOP_FINISHED_PROCESSING)
                        kf_violation_stop(KF_VIOL_FLT_POSTOP_STATUS_INVALID, post_routine, r->io.major,
                                          (ULONG_PTR)(ULONG)st, 1,
                                          "the post-operation callback of %s returned %d while draining (only "
                                          "FLT_POSTOP_FINISHED_PROCESSING)",
                                          major_name(r->io.major), (int)st);
                }
                if (r != find_serial(s))
                    break;
                l->post = POST_DRAINED;
                /* The layers below still hold the request: they complete into the buffers the
                 * drained filter received, never into ones it may free now. */
                PVOID *b0, *b1;
                PMDL *m0, *m1;
                buffer_fields(&l->before, &b0, &m0);
                buffer_fields(&r->block->iopb, &b1, &m1);
                if (b0 && b1)
                    *b1 = *b0;
                if (m0 && m1)
                    *m1 = *m0;
                release_swaps(r, k);
            }
            l->inst = NULL; /* no callback of the instance runs for it again */
            l->reg = NULL;
        }
    }
}

/* ---- Reading back, reset -------------------------------------------------------------------------- */

size_t kf_flt_ios_in_flight(void) { return n_ios; }

size_t kf_flt_ios_pended(void)
{
    size_t n = 0;
    for (io_rec *r = ios; r; r = r->next)
        n += r->phase == PH_PRE_PENDED || (r->phase == PH_POST_PENDED && !r->lv[r->at - 1].safe_queued);
    return n;
}

static void dispatch_reset(void)
{
    while (ios) {
        io_rec *r = ios;
        ios = r->next;
        free(r->block);
        free(r);
    }
    ios_tail = &ios;
    n_ios = 0;
    next_serial = 0;
    while (fos) { /* the object part frees the file objects themselves */
        fo_io *f = fos;
        fos = f->next;
        free(f);
    }
    while (safe_head) {
        safe_work *w = safe_head;
        safe_head = w->next;
        free(w);
    }
    safe_tail = &safe_head;
    while (swaps) {
        swap_rec *s = swaps;
        swaps = s->next;
        free(s);
    }
    memset(waiting, 0, sizeof waiting);
    observer = NULL;
    observer_ctx = NULL;
    n_active = 0;
}

__attribute__((constructor)) static void dispatch_register(void)
{
    kf__register_reset(dispatch_reset);
    kf__register_pending(safe_pending);
}

/* ---- FltRequestOperationStatusCallback (FD-30) ---------------------------------------------- */

NTSTATUS FLTAPI FltRequestOperationStatusCallback(PFLT_CALLBACK_DATA Data, PFLT_GET_OPERATION_STATUS_CALLBACK CallbackRoutine,
                                                  PVOID RequesterContext)
{
    static const char routine[] = "FltRequestOperationStatusCallback";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    if (!Data || !CallbackRoutine)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine,
                          !Data ? "Data" : "CallbackRoutine");
    io_rec *r = find_data(Data);
    if (!r || r->in_cb != CB_PRE || !is_irp(r) || r->io.major == IRP_MJ_CLOSE)
        return STATUS_INVALID_PARAMETER; /* not from a pre-operation callback, or a close */
    level *l = &r->lv[r->cb_level];
    if (!l->inst || l->inst->state == FLT_INST_TEARDOWN || l->inst->marked_teardown)
        return STATUS_FLT_DELETING_OBJECT;
    if (kf_fault_consult(KF_SITE_FLT_OP_STATUS) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    l->status_routine = CallbackRoutine;
    l->status_context = RequesterContext;
    return STATUS_SUCCESS;
}
