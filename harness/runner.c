/*
 * runner.c - runs a scenario against the model: every operation is traced, predicted by
 * the oracle from the harness's own record of the thread's state (a shadow of IRQL, stack
 * and nesting), executed through the WDK names, and compared; each top-level operation
 * runs under kf_guarded_call inside a simulated system thread, so a predicted stop is a
 * correct outcome and an unpredicted one is a finding.
 *
 * The Filter Manager operations (format version 2) run the harness's own filter and up to
 * four callback data; completions of asynchronous I/O come back to runner_flt_done, which
 * counts and checks them and does the scenario's completion action. Format version 7 adds the
 * filter's contexts (its context registration, eight reference slots, three file objects) and
 * the file names of its callback data (four name slots), predicted by harness/oracle_fltx.c; a
 * cleanup callback is checked against the state the call in progress is predicted to leave.
 *
 * Also the finding report and the systematic (fail_nth) enumeration. Everything traced is
 * a value of the scenario, the options or the model's modeled state: never an address.
 * The runner's own frames run on callout stacks of a bounded size: keep locals small.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"

#include <ntddk.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MAX 4096
#define ECP_RECORDS 48 /* ECPs a run makes or receives from above */
#define ECPL_RECORDS 24 /* ECP lists */
#define POOL_TAG 0x6b66484bu /* 'KHfk' */

typedef struct shadow {
    KIRQL irql;
    SIZE_T size, remaining;
    int large;
    unsigned depth; /* expanded callouts active */
} shadow;

/* What the harness knows of the callback data in one slot (Filter Manager scenarios). */
typedef struct cbd_slot {
    PFLT_CALLBACK_DATA d;
    int live;          /* allocated and not freed */
    int stale;         /* d was freed; a double free may pass it again */
    unsigned serial;   /* the run's 1-based number of this callback data */
    unsigned stale_at; /* successful allocations in the run when it was freed */
    int uncertain;     /* a stop inside a completion of it: the harness leaves it alone */
    int prealloc, performed, in_flight, file;
    unsigned vol;
    PFLT_INSTANCE inst;
    UCHAR major;
    ULONG irp_flags, length;
} cbd_slot;

#define MAX_TICKETS 64
#define NAME_RECORDS 48
#define OBJ_RECORDS 32
/* One asynchronous I/O the harness started; its completion context. */
typedef struct ticket {
    int slot, action, deferred;
    int log_at_cb;     /* log index when its callback began */
    unsigned calls;
    KIRQL irql;
    NTSTATUS status;
    ULONG_PTR info;
} ticket;

typedef struct cframe {
    uint16_t op;
    int log_start, log_at_entry;
    unsigned calls;
    int param_ok;
    SIZE_T remaining_in;
    KIRQL irql_in;
    unsigned depth_in;
    kfh_expand_in in;
} cframe;

static struct runner {
    const kfh_scenario *s;
    const kfh_config *cfg;
    kfh_result *res;
    kfh_plan *plan;
    kf_profile profile;
    shadow sh, top;
    int log_n;
    kfh_stop_pred expect;
    int expect_exit;
    NTSTATUS exit_code;
    int aborting;
    int cur_op;
    void *pool[KFH_POOL_SLOTS];
    unsigned pool_live;
    cframe frames[KFH_MAX_DEPTH + 1];
    int nframes;
    /* Filter Manager */
    PFLT_FILTER filter;
    int flt_state; /* 0 none, 1 registered, 2 unknown (a stop in FltUnregisterFilter) */
    unsigned volumes, instances, teardown;
    PFLT_INSTANCE inst[KFH_FLT_VOLUMES];
    cbd_slot cbd[KFH_CBD_SLOTS];
    unsigned cbd_allocs;
    int lower_set;
    NTSTATUS lower_status;
    ULONG_PTR lower_info;
    KIRQL async_irql;
    int async_deferred;
    ticket tickets[MAX_TICKETS];
    int n_tickets;
    int pend[MAX_TICKETS], pend_head, pend_tail;
    int running_pending; /* inside kf_flt_run_pending_completions: tickets before this index run */
    int cb_slot[4], cb_depth;
    int flt_mark;        /* log index where the current completion's consultations start */
    /* Contexts (version 7): the harness's record, the contexts' memory, the state a call in
     * progress is predicted to leave (its cleanup callbacks are checked against it), and the
     * volumes of the instances (FltGetVolumeFromInstance at flt_start). */
    kfh_ctx_state ctx;
    void *ctx_mem[KFH_CTX_RECORDS];
    kfh_ctx_state *ctx_after;
    unsigned ctx_cleanups; /* cleanup callbacks in the run */
    /* File names (version 7): one record per structure FltGetFileNameInformation returned, the
     * references each name slot holds, what each slot released last. */
    struct name_rec {
        int refs, parsed;
        uint8_t vol, index, format;
        unsigned serial, freed_at;
    } nrec[NAME_RECORDS];
    PFLT_FILE_NAME_INFORMATION nmem[NAME_RECORDS];
    int n_names;
    unsigned name_gets;
    int nslot[KFH_NAME_SLOTS], nstale[KFH_NAME_SLOTS];
    PFLT_VOLUME fvol[KFH_FLT_VOLUMES];
    /* Generic work items (version 14): what each slot holds, the items in the order they were
     * queued, the run in progress (1 wi_run, 2 FltUnregisterFilter) with how many routines it
     * must call and has called. */
    struct wi_rec {
        PFLT_GENERIC_WORKITEM mem, stale;
        int live, queued, stale_ok;
        uint8_t obj, action;
        PVOID object;
        WORK_QUEUE_TYPE type;
        unsigned freed_at;
    } wi[KFH_WI_SLOTS];
    int wq[KFH_WI_SLOTS + KFH_DW_SLOTS], n_wq;
    unsigned wi_allocs;
    int wi_running, wi_due, wi_ran, wi_depth;
    /* Deferred I/O work items (version 15), recorded as the generic ones; both kinds share one
     * queue, R.wq, where deferred slot k is KFH_WI_SLOTS + k. */
    struct dw_rec {
        PFLT_DEFERRED_IO_WORKITEM mem, stale;
        int live, queued, stale_ok;
        uint8_t cbd, action;
        PFLT_CALLBACK_DATA data;
        WORK_QUEUE_TYPE type;
        unsigned freed_at;
    } dw[KFH_DW_SLOTS];
    /* Cancel-safe queues (version 15): each queue's own list as its InsertIo and RemoveIo keep it,
     * with the callback data slot whose Context each entry was inserted with (-1 none). stuck: a
     * stop inside its callbacks left its lock taken. */
    struct cq_rec {
        int initialized, enabled, stuck, n;
        PFLT_CALLBACK_DATA ent[KFH_CBD_SLOTS * 2];
        int ctx[KFH_CBD_SLOTS * 2];
    } cq[KFH_CQ_QUEUES];
    unsigned cq_removed;
    /* The queue operation in progress, which the queue's callbacks check they are called for. */
    struct cq_call {
        const char *routine;
        int q, op, bad, answer, ctx, locked, reentered;
        int acquires, releases, inserts, removes, peeks, completes;
        KIRQL stored;
        PFLT_CALLBACK_DATA data;
        PVOID peek;
    } cqc;
    /* Callback data whose IRP flag the runner cleared for one call (misuse not_irp), restored
     * after it, a stop or not. */
    PFLT_CALLBACK_DATA flags_cbd;
    ULONG flags_saved;
    /* Communication ports (version 15): the descriptors, server ports and connections the
     * scenario holds, the application's message buffer (the version-4 steps), and what the
     * call in progress must make of the port's callbacks. */
    struct sd_rec {
        PSECURITY_DESCRIPTOR mem, stale;
        int live, stale_ok;
        unsigned freed_at;
    } sd[KFH_SD_SLOTS];
    unsigned sd_builds;
    struct srv_rec {
        PFLT_PORT mem, stale;
        int live, stale_ok, ci, no_msg;
        uint8_t name;
        LONG max, conns;
        unsigned closed_at;
    } srv[KFH_SERVER_SLOTS];
    struct cl_rec {
        unsigned number;   /* the model's client while the application holds its handle, else 0 */
        PFLT_PORT port;    /* the driver's variable: the ClientPort ConnectNotify got, NULL once closed */
        PFLT_PORT stale;   /* the port the variable held last */
        int stale_ok;
        unsigned closed_at;
        int via;           /* 1 + the server slot it connected through, 0 once that port closed */
        int keep;          /* the disconnect callback leaves the port open */
        int gone;          /* the driver closed the port while the application held its handle */
        int has_msg;       /* the port has a message callback */
        int answer;
        ULONG reply_size;
        UCHAR reply[KFH_MSG_MAX];
    } cl[KFH_CLIENT_SLOTS];
    unsigned port_allocs, connects;
    UCHAR msg[KFH_MSG_MAX];
    ULONG msg_len;
    int pc_connect_slot, pc_connect_srv, pc_connect_calls;
    ULONG pc_ctx_size;
    const UCHAR *pc_ctx;
    int pc_msg_slot, pc_msg_calls, pc_in_null, pc_out_null;
    ULONG pc_in, pc_out;
    const UCHAR *pc_in_bytes;
    unsigned pc_disc_mask;
    int pc_stop_needs_site; /* the stop predicted comes only if flt.message is granted (FP-5) */
    /* Objects and volumes (version 15): one record per address the runner holds or held
     * references on (FV-2 counts them by address), the record each object slot names (1-based,
     * 0 none), the volumes of the last flt_start, and the aligned pool slots. */
    struct obj_rec {
        const void *p;
        int refs;
        uint8_t volume, vol; /* a volume (and its index), else a filter or an instance (on volume vol) */
    } orec[OBJ_RECORDS];
    int n_orec;
    int oslot[KFH_OBJ_SLOTS];
    unsigned obj_volumes;
    struct apool_rec {
        void *mem, *stale;
        PFLT_INSTANCE inst;
        int live, paged, stale_ok, freed_log;
    } ap[KFH_APOOL_SLOTS];
    /* Extra create parameters (version 15): a record of every list and ECP the run made or a
     * create carried (a record of one from above learns its address when a routine first hands
     * it out), the slots that point at records (a freed record stays pointed at, for `again`),
     * the lookaside lists, the counts of what was made and freed (whether a freed block's address
     * is surely still the model's freed one), and the cleanup callbacks the call in progress
     * must run, in order. */
    struct ecp_rec {
        void *mem;
        ULONG size;
        int8_t type, list, cbd, la; /* list: the record of the list it is in; cbd: the create that carried it */
        uint8_t live, above, acked, user, la_deleted;
        unsigned freed_at, freed_n;
    } erec[ECP_RECORDS];
    struct ecpl_rec {
        void *mem;
        int8_t cbd; /* the callback data slot whose create it is attached to, or -1 */
        uint8_t live, above, n;
        int8_t member[KFH_ECP_TYPES];
        unsigned freed_at, freed_n;
    } lrec[ECPL_RECORDS];
    int n_erec, n_lrec;
    int8_t eslot[KFH_ECP_SLOTS], lslot[KFH_ECP_LIST_SLOTS];
    struct ecp_la {
        uint8_t live;
        ULONG flags;
    } la[KFH_ECP_LA_SLOTS];
    unsigned ecp_news, ecp_frees, ecpl_frees;
    int8_t ecp_due[ECP_RECORDS];
    int ecp_n_due, ecp_n_called, ecp_armed, ecp_depth;
    /* Filter-initiated file I/O (version 15): the runner's record of the files below its filter,
     * what each handle slot holds (its handle, and for Ex and Ex2 the file object's reference),
     * the handle a slot closed last, the handles made in the run, and what an asynchronous read
     * or write's routine saw. */
    kfh_fio_fs fs;
    struct fio_rec {
        HANDLE h, stale;
        PFILE_OBJECT fo;
        int open, has_fo, stale_ok;
        unsigned closed_at;
        uint8_t vol, name;
        LONGLONG pos; /* the file object's CurrentByteOffset: it opens synchronous (FI-8) */
    } fio[KFH_FIO_SLOTS];
    unsigned fio_handles;
    int fio_foreign; /* handles ObOpenObjectByPointer opened for a foreign close (it stops) */
    HANDLE fio_foreign_h[8];
    PFILE_OBJECT fio_foreign_fo[8]; /* the file object each keeps alive */
    /* The reads and writes started to complete deferred, in start order: what each one's
     * completion must show, its buffer, and how often its routine ran. */
    struct fio_pend {
        kfh_fio_io_in in;
        int slot, calls;
        PFILE_OBJECT fo;
        UCHAR buf[256];
    } fpend[4];
    int n_fpend;
    int fio_cb_calls;
    NTSTATUS fio_cb_status;
    ULONG_PTR fio_cb_info;
    KIRQL fio_cb_irql;
    /* Transactions (version 15): each slot's transaction, the transaction context the runner's
     * filter set on it (Filter Manager holds its only reference), the runner's record of both,
     * the notifications its callback received during the operation in progress, and the cleanups
     * of transaction contexts. */
    struct txn_slot {
        PKTRANSACTION obj;
        PFLT_CONTEXT ctx;
        kfh_txn_rec rec;
        int stuck; /* a stop interrupted its end: the model leaves it there */
    } txn[KFH_TXN_SLOTS];
    unsigned txn_orphans; /* contexts still attached to stuck transactions the slots let go of */
    PFLT_CONTEXT txn_orphan_ctx[4];
    unsigned txn_seen[8];
    int txn_n_seen, txn_bad_call;
    unsigned txn_cleanups, txn_contexts;
    /* Last, and not cleared between runs (two thirds of the structure): entries are read
     * only below log_n, and a run writes each one before log_n passes it. */
    kf_site log_site[LOG_MAX];
    kf_fault_kind log_kind[LOG_MAX];
} R;

static void exec_range(uint16_t first, uint16_t end);
static int fio_pending(void);
static const char *st_name(NTSTATUS s, char *buf, size_t len);
static size_t ports_held(void);
static void port_unregister_begin(kfh_stop_pred *stop, unsigned *disconnects);
static void port_finish(void);
static int ctx_adopt(const kfh_ctx_pred *p, const char *routine, unsigned cleanups_before);

/* ---- Findings ------------------------------------------------------------------------ */

static void report_to(FILE *f, const kfh_finding *fd, const kfh_scenario *s, int with_log);

static void finding(kfh_finding *f)
{
    if (f->op < 0)
        f->op = R.cur_op;
    kfh_finding_sign(f);
    kfh_trace_event("FINDING %s at op %d: expected %s; actual %s", f->signature, f->op, f->expected, f->actual);
    if (!R.cfg->capture) {
        report_to(stderr, f, R.s, 1);
        abort();
    }
    if (R.res->n_findings < KFH_MAX_FINDINGS)
        R.res->findings[R.res->n_findings] = *f;
    R.res->n_findings++;
    R.aborting = 1;
}

static void simple_finding(int inv, const char *routine, const char *site, const char *expected, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void simple_finding(int inv, const char *routine, const char *site, const char *expected, const char *fmt, ...)
{
    kfh_finding f;
    va_list ap;
    memset(&f, 0, sizeof f);
    f.inv = inv;
    f.op = -1;
    snprintf(f.routine, sizeof f.routine, "%s", routine ? routine : "-");
    snprintf(f.site, sizeof f.site, "%s", site ? site : "-");
    snprintf(f.expected, sizeof f.expected, "%s", expected);
    va_start(ap, fmt);
    vsnprintf(f.actual, sizeof f.actual, fmt, ap);
    va_end(ap);
    finding(&f);
}

/* A stop was predicted but the call returned. */
static void missed_stop(const char *routine)
{
    kfh_finding f;
    kfh_check_stop(&R.expect, NULL, &f);
    snprintf(f.routine, sizeof f.routine, "%s", routine);
    memset(&R.expect, 0, sizeof R.expect);
    finding(&f);
}

/* ---- Reach (kfh_config.reach) ------------------------------------------------------- */

static void reach(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reach(const char *fmt, ...)
{
    if (!R.cfg->reach || R.aborting)
        return;
    va_list ap;
    va_start(ap, fmt);
    kfh_reach_voutcome(R.cfg->reach, fmt, ap);
    va_end(ap);
}

/* Traces why the current operation does nothing, and counts it as skipped. */
static void skip_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void skip_event(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kfh_trace_event("%s", line);
    if (R.cfg->reach)
        R.cfg->reach->skipped[R.s->ops[R.cur_op].code % KFH_OP_COUNT]++;
}

/* ---- Fault hook ---------------------------------------------------------------------- */

static const char *const kind_names[3] = {"none", "transient", "hard"};

static kf_fault_kind runner_hook(void *ctx, kf_site site)
{
    (void)ctx;
    kf_fault_kind k = kfh_plan_decide(R.plan, site);
    kf_fault_kind logged = R.cfg->lie ? KF_FAULT_NONE : k;
    if (R.pc_stop_needs_site && site == KF_SITE_FLT_MESSAGE) {
        /* A send's wait that never ends: only when the message is queued at all. */
        if (logged != KF_FAULT_NONE)
            memset(&R.expect, 0, sizeof R.expect);
        R.pc_stop_needs_site = 0;
    }
    if (R.log_n < LOG_MAX) {
        R.log_site[R.log_n] = site;
        R.log_kind[R.log_n] = logged;
    }
    R.log_n++;
    char path[160];
    kfh_trace_event("%*sfault %s path=%s -> %s", 2 * (int)(R.sh.depth + 1), "",
                    (unsigned)site < KF_SITE_COUNT ? kf_site_get(site)->name : "?",
                    kfh_callpath_text(path, sizeof path), kind_names[logged % 3]);
    return R.cfg->lie ? KF_FAULT_HARD : k;
}

/* ---- State checks -------------------------------------------------------------------- */

static void check_state(const char *where)
{
    if (R.aborting)
        return;
    KIRQL irql = KeGetCurrentIrql();
    SIZE_T rem = IoGetRemainingStackSize();
    if (irql != R.sh.irql || rem != R.sh.remaining) {
        char e[128];
        snprintf(e, sizeof e, "IRQL %u, remaining stack 0x%llx (%s)", R.sh.irql,
                 (unsigned long long)R.sh.remaining, where);
        simple_finding(KFH_INV_STATE_QUERIES, irql != R.sh.irql ? "KeGetCurrentIrql" : "IoGetRemainingStackSize", "-",
                       e, "IRQL %u, remaining stack 0x%llx", irql, (unsigned long long)rem);
    }
}

static size_t names_held(void)
{
    size_t n = 0;
    for (int k = 0; k < R.n_names; k++)
        n += (size_t)R.nrec[k].refs;
    return n;
}

static size_t obj_held(void);
static size_t txn_contexts_kept(void);
static ULONG txn_owed(int *several);
static int obj_refs_on(const void *p);
static void obj_finish(void);

static size_t wi_held(void)
{
    size_t n = 0;
    for (int k = 0; k < KFH_WI_SLOTS; k++)
        n += R.wi[k].live != 0;
    for (int k = 0; k < KFH_DW_SLOTS; k++)
        n += R.dw[k].live != 0;
    return n;
}

/* The callback data the runner's cancel-safe queues hold (model_lie 9: one less once one was
 * taken out, as if the model had kept it). */
static size_t cq_held(void)
{
    size_t n = 0;
    for (int q = 0; q < KFH_CQ_QUEUES; q++)
        n += (size_t)R.cq[q].n;
    return n - (R.cfg->model_lie == 9 && R.cq_removed && n);
}

static size_t ecp_owned(void);

/* The handles the slots hold open, and the file objects they keep alive (a handle or a reference). */
static size_t fio_handles_held(void)
{
    size_t n = (size_t)R.fio_foreign;
    for (int k = 0; k < KFH_FIO_SLOTS; k++)
        n += R.fio[k].open != 0;
    return n;
}

static size_t fio_objects_held(void)
{
    /* The file objects the slots keep (a plain create's by its handle alone, its pointer unknown),
     * those a pending read or write keeps (FI-10) and those a foreign handle keeps, each once. */
    PFILE_OBJECT seen[KFH_FIO_SLOTS + 4 + 8];
    size_t n = 0, plain = 0;
    for (int k = 0; k < KFH_FIO_SLOTS; k++)
        if (R.fio[k].open || R.fio[k].has_fo) {
            if (R.fio[k].fo)
                seen[n++] = R.fio[k].fo;
            else
                plain++;
        }
    for (int j = 0; j < R.n_fpend + R.fio_foreign; j++) {
        PFILE_OBJECT fo = j < R.n_fpend ? (R.fpend[j].calls ? NULL : R.fpend[j].fo) : R.fio_foreign_fo[j - R.n_fpend];
        size_t i = 0;
        while (fo && i < n && seen[i] != fo)
            i++;
        if (fo && i == n)
            seen[n++] = fo;
    }
    return n + plain;
}

static void check_leaks(const char *when)
{
    if (R.aborting)
        return;
    kf_leak_report l;
    kf_leaks(&l);
    if (l.segments != 0)
        simple_finding(KFH_INV_NO_SEGMENT_LEAK, "-", "-", "no stack segment in use with no callout active",
                       "%zu segment(s) in use %s", l.segments, when);
    else if (l.pool_blocks != R.pool_live)
        simple_finding(KFH_INV_NO_POOL_LEAK, "-", "ex.pool", "the pool blocks the scenario holds",
                       "%zu block(s) in the model, %u held by the scenario %s", l.pool_blocks, R.pool_live, when);
    else {
        unsigned held = 0;
        for (int k = 0; k < KFH_CBD_SLOTS; k++)
            held += R.cbd[k].live != 0;
        if (l.callback_data != held)
            simple_finding(KFH_INV_NO_CALLBACK_DATA_LEAK, "-", "-", "the callback data the scenario holds",
                           "%zu callback data in the model, %u held by the scenario %s", l.callback_data, held, when);
        else if (wi_held() != l.flt_work_items)
            simple_finding(KFH_INV_FLT_WORK_COUNT, "-", "flt.workitem", "the work items the scenario holds",
                           "%zu item(s) in the model, %zu held by the scenario %s", l.flt_work_items, wi_held(), when);
        else if (cq_held() != l.flt_cbdq_entries)
            simple_finding(KFH_INV_FLT_CBDQ_COUNT, "-", "-", "the callback data the scenario's cancel-safe queues hold",
                           "%zu in the model's queues, %zu in the scenario's %s", l.flt_cbdq_entries, cq_held(), when);
        else if (ports_held() != l.flt_ports)
            simple_finding(KFH_INV_FLT_PORT_COUNT, "-", "flt.port", "the ports and descriptors the scenario holds",
                           "%zu in the model, %zu held by the scenario %s", l.flt_ports, ports_held(), when);
        else if (obj_held() != l.flt_object_refs)
            simple_finding(KFH_INV_FLT_OBJ_COUNT, "-", "-", "the object references the scenario holds",
                           "%zu reference(s) in the model, %zu held by the scenario %s", l.flt_object_refs, obj_held(),
                           when);
        else if (ecp_owned() != l.flt_ecps)
            simple_finding(KFH_INV_FLT_ECP_COUNT, "-", "flt.ecp",
                           "the ECP lists, ECPs and lookaside lists the driver owns",
                           "%zu in the model, %zu owned by the scenario's record %s", l.flt_ecps, ecp_owned(), when);
        else if (l.handles != fio_handles_held() || kf_flt_file_objects_outstanding() != fio_objects_held())
            simple_finding(KFH_INV_FLT_FIO_HELD, "-", "flt.create", "the handles and file objects the scenario holds",
                           "%zu handle(s) and %zu file object(s) in the model, %zu and %zu held by the scenario %s",
                           l.handles, kf_flt_file_objects_outstanding(), fio_handles_held(), fio_objects_held(),
                           when);
        else if (names_held() != l.flt_names)
            simple_finding(KFH_INV_FLT_NAME_COUNT, "-", "flt.name", "the file name references the scenario holds",
                           "%zu reference(s) in the model, %zu held by the scenario %s", l.flt_names, names_held(),
                           when);
        else if (R.flt_state != 2) {
            /* Contexts (FC-12, FC-16): not yet freed = not yet cleaned up. */
            size_t kept = 0;
            for (int k = 0; k < R.ctx.n; k++)
                kept += !R.ctx.rec[k].cleaned;
            kept += txn_contexts_kept();
            if (l.flt_contexts != kept)
                simple_finding(KFH_INV_FLT_CTX_COUNT, "-", "flt.context",
                               "the contexts the scenario's references and Filter Manager's attachments keep",
                               "%zu context(s) in the model, %zu kept %s", l.flt_contexts, kept, when);
        }
    }
}

/* ---- Operations ---------------------------------------------------------------------- */

static void trace_op(uint16_t i)
{
    char line[160];
    kfh_op_format(&R.s->ops[i], line, sizeof line);
    kfh_trace_event("%*sop %u %s", 2 * (int)R.s->ops[i].depth, "", (unsigned)i, line);
}

static void runner_callout(PVOID param)
{
    if (R.nframes <= 0)
        return;
    cframe *f = &R.frames[R.nframes - 1];
    f->calls++;
    if (param != (PVOID)f)
        f->param_ok = 0;
    if (f->calls > 1 || R.aborting)
        return; /* a second call is counted and reported after the return; the body runs once */
    f->log_at_entry = R.log_n;
    f->remaining_in = IoGetRemainingStackSize();
    f->irql_in = KeGetCurrentIrql();
    f->depth_in = kf_callout_depth();

    /* The stack the callout should have, from the decisions given so far. */
    kfh_expand_in in = f->in;
    in.n_decisions = 0;
    for (int k = f->log_start; k < R.log_n && k < LOG_MAX && in.n_decisions < 4; k++) {
        in.dsite[in.n_decisions] = R.log_site[k];
        in.dkind[in.n_decisions++] = R.log_kind[k];
    }
    kfh_expand_pred pred;
    kfh_oracle_expand(&in, &pred);
    if (pred.callout_calls) {
        R.sh.size = pred.inside_size;
        R.sh.remaining = pred.inside_remaining;
        R.sh.large = pred.inside_large;
    } else {
        R.sh.remaining = f->remaining_in; /* reported after the return; avoid a cascade */
    }
    R.sh.depth++;
    kfh_trace_event("%*scallout enter irql=%u remaining=0x%llx depth=%u", 2 * (int)R.sh.depth, "", f->irql_in,
                    (unsigned long long)f->remaining_in, f->depth_in);
    const kfh_op *op = &R.s->ops[f->op];
    exec_range((uint16_t)(f->op + 1), (uint16_t)(f->op + 1 + op->body));
    if (R.aborting)
        return;
    kfh_trace_event("%*scallout exit irql=%u", 2 * (int)R.sh.depth, "", R.sh.irql);
    kfh_stop_pred st;
    kfh_oracle_callout_exit(f->in.irql, R.sh.irql, &st);
    if (st.stops)
        R.expect = st;
}

static const char *expand_routine(int ex)
{
    return ex ? "KeExpandKernelStackAndCalloutEx" : "KeExpandKernelStackAndCallout";
}

static void exec_expand(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    if (R.nframes > KFH_MAX_DEPTH)
        return;
    shadow saved = R.sh;
    cframe *f = &R.frames[R.nframes];
    memset(f, 0, sizeof *f);
    f->op = i;
    f->param_ok = 1;
    f->log_start = R.log_n;
    f->log_at_entry = -1;
    kfh_expand_in *in = &f->in;
    in->profile = R.profile;
    in->ex = (op->a & KFH_EXP_EX) != 0;
    in->irql = R.sh.irql;
    in->callout_null = (op->a & KFH_EXP_NULL_CALLOUT) != 0;
    in->context_nonnull = (op->a & KFH_EXP_CONTEXT) != 0;
    in->wait = (op->a & KFH_EXP_WAIT) != 0;
    in->size = kfh_size_resolve(op->size_sel, op->size_raw, &R.profile, R.sh.remaining);
    in->depth = R.sh.depth;
    in->nest_limit = kf_options_get()->nest_limit;
    in->stack_size = R.sh.size;
    in->remaining = R.sh.remaining;
    in->large = R.sh.large;
    kfh_expand_pred pred;
    kfh_oracle_expand(in, &pred); /* entry stops do not depend on fault decisions */
    if (pred.stop.stops)
        R.expect = pred.stop;
    R.nframes++;
    kfh_trace_event("%*s  call size=0x%llx irql=%u remaining=0x%llx depth=%u", 2 * (int)op->depth, "",
                    (unsigned long long)in->size, in->irql, (unsigned long long)in->remaining, in->depth);
    PEXPAND_STACK_CALLOUT co = in->callout_null ? NULL : runner_callout;
    PVOID ctx = in->context_nonnull ? (PVOID)&R : NULL;
    NTSTATUS status = in->ex ? KeExpandKernelStackAndCalloutEx(co, f, in->size, (BOOLEAN)in->wait, ctx)
                             : KeExpandKernelStackAndCallout(co, f, in->size);
    R.nframes--;
    KIRQL irql_after = KeGetCurrentIrql();
    SIZE_T rem_after = IoGetRemainingStackSize();
    R.sh = saved;
    if (R.aborting)
        return;
    if (R.expect.stops) {
        missed_stop(expand_routine(in->ex));
        return;
    }
    int log_end = f->log_at_entry >= 0 ? f->log_at_entry : R.log_n;
    kfh_expand_obs obs;
    memset(&obs, 0, sizeof obs);
    in->n_decisions = 0;
    for (int k = f->log_start; k < log_end && k < LOG_MAX; k++) {
        if (in->n_decisions < 4) {
            in->dsite[in->n_decisions] = R.log_site[k];
            in->dkind[in->n_decisions++] = R.log_kind[k];
        }
        if (obs.n_sites < 8)
            obs.sites[obs.n_sites++] = R.log_site[k];
    }
    kfh_oracle_expand(in, &pred);
    obs.status = status;
    obs.calls = f->calls;
    obs.param_ok = f->param_ok;
    obs.remaining_in = f->remaining_in;
    obs.irql_in = f->irql_in;
    obs.irql_after = irql_after;
    obs.remaining_after = rem_after;
    obs.depth_in = f->depth_in;
    obs.rec = *kf_last_expand();
    static const char *const paths[] = {"none", "in-place", "grown", "segment"};
    kfh_trace_event("%*s  -> status=0x%08X path=%s calls=%u waited=%d [%s]", 2 * (int)op->depth, "",
                    (unsigned)status, (unsigned)obs.rec.path < 4 ? paths[obs.rec.path] : "?", obs.calls,
                    obs.rec.waited ? 1 : 0, pred.rule ? pred.rule : "-");
    char sb[16];
    reach("%s: %s", expand_routine(in->ex), st_name(status, sb, sizeof sb));
    if (obs.calls)
        kfh_trace_note("real stack granted 0x%llx used 0x%llx", (unsigned long long)obs.rec.real_stack_granted,
                       (unsigned long long)obs.rec.real_stack_used);
    kfh_finding fs[8];
    int n = kfh_check_expand(in, &pred, &obs, fs, 8);
    for (int k = 0; k < n && k < 8; k++)
        finding(&fs[k]);
}

static void consume_body(void *arg)
{
    uint16_t i = *(const uint16_t *)arg;
    exec_range((uint16_t)(i + 1), (uint16_t)(i + 1 + R.s->ops[i].body));
}

static void exec_consume(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    SIZE_T bytes = kfh_size_resolve(op->size_sel, op->size_raw, &R.profile, R.sh.remaining);
    SIZE_T saved = R.sh.remaining;
    R.sh.remaining -= bytes > saved ? saved : bytes;
    kfh_trace_event("%*s  remaining 0x%llx while the body runs", 2 * (int)op->depth, "",
                    (unsigned long long)R.sh.remaining);
    uint16_t arg = i;
    kf_with_stack_consumed(bytes, consume_body, &arg);
    R.sh.remaining = saved;
}

static void exec_irql(uint16_t i, int raise)
{
    KIRQL to = R.s->ops[i].a;
    kfh_stop_pred st;
    if (raise)
        kfh_oracle_raise_irql(&R.profile, R.sh.irql, to, &st);
    else
        kfh_oracle_lower_irql(R.sh.irql, to, &st);
    if (st.stops)
        R.expect = st;
    KIRQL old = 0xFF;
    if (raise)
        KeRaiseIrql(to, &old);
    else
        KeLowerIrql(to);
    if (R.expect.stops) {
        missed_stop(raise ? "KeRaiseIrql" : "KeLowerIrql");
        return;
    }
    reach("%s: %s", raise ? "KeRaiseIrql" : "KeLowerIrql", raise ? "raised" : "lowered");
    if (raise && old != R.sh.irql)
        simple_finding(KFH_INV_STATE_QUERIES, "KeRaiseIrql", "-", "OldIrql is the IRQL before the raise",
                       "OldIrql %u, IRQL before %u", old, R.sh.irql);
    R.sh.irql = to;
}

static void reseat_stack(int large)
{
    kf_set_large_stack((BOOLEAN)large);
    R.sh.large = large;
    R.sh.size = large ? R.profile.large_stack_size : R.profile.kernel_stack_size;
    if (R.sh.remaining > R.sh.size)
        R.sh.remaining = R.sh.size;
    kf_set_remaining_stack(R.sh.remaining);
}

static void exec_raise(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    NTSTATUS code = kfh_status_at(op->a);
    if (op->b) {
        volatile int caught = 0;
        volatile NTSTATUS got = 0;
        __try {
            ExRaiseStatus(code);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            caught = 1;
            got = GetExceptionCode();
        }
        if (caught)
            reach("ExRaiseStatus: caught by the handler");
        if (!caught || got != code)
            simple_finding(KFH_INV_EXCEPTION_CAUGHT, "ExRaiseStatus", "-", "the handler around the raise runs with its code",
                           caught ? "handler ran with 0x%08X" : "handler did not run (0x%08X)", (unsigned)got);
        return;
    }
    kfh_oracle_unhandled(code, R.sh.depth, &R.expect);
    ExRaiseStatus(code);
}

static void exec_terminate(uint16_t i)
{
    NTSTATUS code = kfh_status_at(R.s->ops[i].a);
    kfh_oracle_terminate(R.sh.depth, (ULONG_PTR)PsGetCurrentThread(), &R.expect);
    if (!R.expect.stops) {
        R.expect_exit = 1;
        R.exit_code = code;
    }
    PsTerminateSystemThread(code);
    if (R.expect.stops) {
        missed_stop("PsTerminateSystemThread");
        return;
    }
    R.expect_exit = 0;
    simple_finding(KFH_INV_THREAD_EXIT, "PsTerminateSystemThread", "-", "the system thread ends",
                   "PsTerminateSystemThread returned");
}

static void exec_pool_alloc(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    if (R.pool[op->a]) {
        skip_event("%*s  skipped: slot %u holds a block", 2 * (int)op->depth, "", op->a);
        return;
    }
    kfh_oracle_pool_alloc(R.sh.irql, op->b, &R.expect);
    int log_start = R.log_n;
    void *p = ExAllocatePoolWithTag(op->b ? PagedPool : NonPagedPoolNx, 64, POOL_TAG);
    if (R.expect.stops) {
        missed_stop("ExAllocatePoolWithTag");
        return;
    }
    if (p) {
        R.pool[op->a] = p;
        R.pool_live++;
    }
    kfh_trace_event("%*s  -> %s", 2 * (int)op->depth, "", p ? "block" : "NULL");
    reach("ExAllocatePoolWithTag: %s", p ? "block" : "NULL");
    /* Past LOG_MAX consultations the log keeps no entry: only the count can be checked. */
    int kept = log_start < LOG_MAX;
    if (R.log_n - log_start != 1 || (kept && R.log_site[log_start] != KF_SITE_POOL)) {
        simple_finding(KFH_INV_SITES_PREDICTED, "ExAllocatePoolWithTag", "ex.pool", "sites consulted: [ex.pool]",
                       "%d consultation(s)", R.log_n - log_start);
        return;
    }
    if (kept && (p == NULL) != (R.log_kind[log_start] != KF_FAULT_NONE))
        simple_finding(KFH_INV_POOL_RESULT, "ExAllocatePoolWithTag", "ex.pool",
                       R.log_kind[log_start] != KF_FAULT_NONE ? "NULL (the site was failed)" : "a block (the site was granted)",
                       "%s", p ? "a block" : "NULL");
}

/* ---- Filter Manager operations ---------------------------------------------------------- */

static DRIVER_OBJECT flt_driver;
static FILE_OBJECT flt_file;
static FLT_CALLBACK_DATA flt_foreign; /* never allocated by Filter Manager */
static const FLT_OPERATION_REGISTRATION flt_operations[] = {{IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL}};
static VOID FLTAPI runner_ctx_cleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type);
/* The contexts of the harness's filter (version 7; the sizes in harness.h, KFH_CTX_*): every
 * type but the stream's of a fixed size, each with a cleanup callback. */
static const FLT_CONTEXT_REGISTRATION flt_contexts[] = {
    {FLT_VOLUME_CONTEXT, 0, runner_ctx_cleanup, KFH_CTX_VOLUME_SIZE, 0x7643484bu /* 'KHCv' */, NULL, NULL, NULL},
    {FLT_INSTANCE_CONTEXT, 0, runner_ctx_cleanup, KFH_CTX_INSTANCE_SIZE, 0x6943484bu, NULL, NULL, NULL},
    {FLT_STREAM_CONTEXT, 0, runner_ctx_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, 0x7343484bu, NULL, NULL, NULL},
    {FLT_STREAMHANDLE_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, runner_ctx_cleanup,
     KFH_CTX_HANDLE_SIZE, 0x6843484bu, NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const FLT_REGISTRATION flt_registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, flt_contexts, flt_operations, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL,
};
/* From version 15 the filter also has a transaction context type and a TransactionNotificationCallback
 * (FX-32); older scenarios keep the registration above, so that their traces stay what they were. */
static NTSTATUS FLTAPI runner_txn_notify(PCFLT_RELATED_OBJECTS objs, PFLT_CONTEXT ctx, ULONG notification);
static VOID FLTAPI runner_txn_ctx_cleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type);
#define TXN_CTX_SIZE 24
static const FLT_CONTEXT_REGISTRATION flt_contexts_v15[] = {
    {FLT_VOLUME_CONTEXT, 0, runner_ctx_cleanup, KFH_CTX_VOLUME_SIZE, 0x7643484bu, NULL, NULL, NULL},
    {FLT_INSTANCE_CONTEXT, 0, runner_ctx_cleanup, KFH_CTX_INSTANCE_SIZE, 0x6943484bu, NULL, NULL, NULL},
    {FLT_STREAM_CONTEXT, 0, runner_ctx_cleanup, FLT_VARIABLE_SIZED_CONTEXTS, 0x7343484bu, NULL, NULL, NULL},
    {FLT_STREAMHANDLE_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, runner_ctx_cleanup,
     KFH_CTX_HANDLE_SIZE, 0x6843484bu, NULL, NULL, NULL},
    {FLT_TRANSACTION_CONTEXT, 0, runner_txn_ctx_cleanup, TXN_CTX_SIZE, 0x7443484bu, NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};
static const FLT_REGISTRATION flt_registration_v15 = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, flt_contexts_v15, flt_operations, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, runner_txn_notify, NULL, NULL,
};

#define IND(op) 2 * (int)(op)->depth, ""

static const char *st_name(NTSTATUS s, char *buf, size_t len)
{
    const char *n = kfh_status_name(s);
    if (n)
        return n;
    snprintf(buf, len, "0x%08X", (unsigned)s);
    return buf;
}

/* The consultations logged since `from`: sites and decisions. */
static int logged(int from, kf_site *site, kf_fault_kind *kind, int max)
{
    int n = 0;
    for (int k = from; k < R.log_n && k < LOG_MAX && n < max; k++, n++) {
        site[n] = R.log_site[k];
        if (kind)
            kind[n] = R.log_kind[k];
    }
    return n;
}

static void flt_findings(kfh_finding *fs, int n)
{
    for (int k = 0; k < n && !R.aborting; k++) {
        fs[k].op = -1;
        finding(&fs[k]);
    }
}

/* A slot the operation can work on, or NULL (traced as skipped). */
static cbd_slot *usable_slot(const kfh_op *op, int need_live)
{
    cbd_slot *c = &R.cbd[op->a % KFH_CBD_SLOTS];
    const char *why = NULL;
    if (R.flt_state == 2)
        why = "the filter's state is unknown after a stop in FltUnregisterFilter";
    else if (c->uncertain)
        why = "a stop interrupted a completion of this callback data";
    else if (need_live && !c->live)
        why = "the slot holds no callback data";
    else if (!need_live && c->live)
        why = "the slot holds callback data";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return NULL;
    }
    return c;
}

static void exec_flt_start(const kfh_op *op)
{
    if (R.flt_state) {
        skip_event("%*s  skipped: the filter is registered already", IND(op));
        return;
    }
    unsigned volumes = op->a > KFH_FLT_VOLUMES ? KFH_FLT_VOLUMES : op->a;
    kf_flt_set_volumes(volumes, NULL);
    R.obj_volumes = volumes;
    kf_fault_kind none[1] = {KF_FAULT_NONE};
    kfh_flt_start_pred pred;
    kfh_oracle_flt_start(R.sh.irql, volumes, none, 0, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    PFLT_FILTER f = NULL;
    NTSTATUS st = FltRegisterFilter(&flt_driver, R.s->version >= 15 ? &flt_registration_v15 : &flt_registration, &f);
    if (R.expect.stops) {
        missed_stop("FltRegisterFilter");
        return;
    }
    NTSTATUS start = STATUS_UNSUCCESSFUL;
    if (st == STATUS_SUCCESS) {
        R.filter = f;
        R.flt_state = 1;
        R.volumes = volumes;
        start = FltStartFiltering(f);
    }
    kf_site sites[8];
    kf_fault_kind kinds[8];
    int n = logged(from, sites, kinds, 8);
    kfh_oracle_flt_start(R.sh.irql, volumes, kinds, n, &pred);
    R.instances = 0;
    for (unsigned v = 0; v < KFH_FLT_VOLUMES; v++) {
        R.inst[v] = R.flt_state == 1 && v < volumes ? kf_flt_instance(f, v) : NULL;
        if (R.inst[v])
            R.instances |= 1u << v;
    }
    R.teardown = 0;
    /* The volumes a context operation names (the reference is not kept: the modeled volumes
     * live as long as the run). */
    memset(R.fvol, 0, sizeof R.fvol);
    for (unsigned v = 0; v < KFH_FLT_VOLUMES; v++)
        if (R.inst[v] && FltGetVolumeFromInstance(R.inst[v], &R.fvol[v]) == STATUS_SUCCESS)
            FltObjectDereference(R.fvol[v]);
    char b1[16], b2[16];
    kfh_trace_event("%*s  -> register %s start %s instances=0x%x", IND(op), st_name(st, b1, sizeof b1),
                    st == STATUS_SUCCESS ? st_name(start, b2, sizeof b2) : "-", R.instances);
    reach("FltRegisterFilter: %s", st_name(st, b1, sizeof b1));
    if (st == STATUS_SUCCESS)
        reach("FltStartFiltering: %s", st_name(start, b2, sizeof b2));
    if (st == STATUS_SUCCESS && R.instances != (1u << volumes) - 1u)
        reach("FltStartFiltering: a volume without an instance");
    int same = n == pred.n_sites;
    for (int k = 0; same && k < n; k++)
        same = sites[k] == pred.sites[k];
    if (!same)
        simple_finding(KFH_INV_FLT_SITES, "FltRegisterFilter", "flt.filter", "flt.filter, then flt.instance per volume",
                       "%d consultation(s)", n);
    else if (st != pred.status || (st == STATUS_SUCCESS && start != STATUS_SUCCESS))
        simple_finding(KFH_INV_FLT_STATUS, "FltRegisterFilter", "flt.filter", "the status F-2 and F-3 give",
                       "register 0x%08X, start 0x%08X", (unsigned)st, (unsigned)start);
    else if (st == STATUS_SUCCESS && R.instances != pred.instances)
        simple_finding(KFH_INV_FLT_STATUS, "FltStartFiltering", "flt.instance",
                       "an instance on every volume whose flt.instance site was granted", "instances 0x%x, expected 0x%x",
                       R.instances, pred.instances);
}

/* F-10: the fields of callback data fresh from allocation or reuse. */
static int fields_initial(PFLT_CALLBACK_DATA d, int check_thread)
{
    static const UCHAR zero[sizeof(FLT_PARAMETERS)];
    PFLT_IO_PARAMETER_BLOCK b = d->Iopb;
    return d->Flags == (FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO) && b &&
           b->MajorFunction == 0 && b->MinorFunction == 0 && b->IrpFlags == 0 && b->OperationFlags == 0 &&
           memcmp(&b->Parameters, zero, sizeof zero) == 0 && d->IoStatus.Status == 0 && d->IoStatus.Information == 0 &&
           d->TagData == NULL && d->FilterContext[0] == NULL && d->FilterContext[1] == NULL &&
           d->FilterContext[2] == NULL && d->FilterContext[3] == NULL && d->RequestorMode == KernelMode &&
           (!check_thread || d->Thread == PsGetCurrentThread());
}

static void exec_cbd_alloc(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 0);
    if (!c)
        return;
    kfh_flt_alloc_in in;
    memset(&in, 0, sizeof in);
    in.profile = R.profile;
    in.ex = (op->b & KFH_CBD_EX) != 0;
    in.irql = R.sh.irql;
    unsigned vol = (op->b >> 3) & 3u;
    PFLT_INSTANCE inst = (op->b & KFH_CBD_NULL_INSTANCE) || R.flt_state != 1 ? NULL : R.inst[vol];
    in.instance_null = inst == NULL;
    in.teardown = inst && (R.teardown & (1u << vol));
    in.flags = kfh_alloc_flags_at(op->c);
    PFILE_OBJECT file = (op->b & KFH_CBD_FILE) ? &flt_file : NULL;
    kfh_flt_alloc_pred pred;
    kfh_oracle_flt_alloc(&in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    PFLT_CALLBACK_DATA d = &flt_foreign; /* must be overwritten */
    NTSTATUS st = in.ex ? FltAllocateCallbackDataEx(inst, file, in.flags, &d) : FltAllocateCallbackData(inst, file, &d);
    if (R.expect.stops) {
        missed_stop(in.ex ? "FltAllocateCallbackDataEx" : "FltAllocateCallbackData");
        return;
    }
    kfh_flt_alloc_obs obs;
    memset(&obs, 0, sizeof obs);
    in.n_decisions = logged(from, in.dsite, in.dkind, 4);
    obs.n_sites = logged(from, obs.sites, NULL, 8);
    kfh_oracle_flt_alloc(&in, &pred);
    obs.status = st;
    obs.ret_null = d == NULL;
    if (st == STATUS_SUCCESS && d && d != &flt_foreign) {
        obs.targets_ok = d->Iopb && d->Iopb->TargetInstance == inst && d->Iopb->TargetFileObject == file;
        obs.fields_ok = fields_initial(d, 1);
        memset(c, 0, sizeof *c);
        c->d = d;
        c->live = 1;
        c->serial = ++R.cbd_allocs;
        c->prealloc = in.ex && (in.flags & FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
        c->file = file != NULL;
        c->vol = vol;
        c->inst = inst;
    }
    char b[16];
    kfh_trace_event("%*s  -> %s%s [%s]", IND(op), st_name(st, b, sizeof b), d ? "" : " data=NULL", pred.rule);
    reach("%s: %s", in.ex ? "FltAllocateCallbackDataEx" : "FltAllocateCallbackData", st_name(st, b, sizeof b));
    kfh_finding fs[6];
    flt_findings(fs, kfh_check_flt_alloc(&in, &pred, &obs, fs, 6));
}

static void set_length(PFLT_CALLBACK_DATA d, UCHAR major, ULONG length)
{
    FLT_PARAMETERS *p = &d->Iopb->Parameters;
    switch (major) {
    case IRP_MJ_READ:
        p->Read.Length = length;
        break;
    case IRP_MJ_WRITE:
        p->Write.Length = length;
        break;
    case IRP_MJ_QUERY_INFORMATION:
        p->QueryFileInformation.Length = length;
        break;
    case IRP_MJ_SET_INFORMATION:
        p->SetFileInformation.Length = length;
        break;
    case IRP_MJ_DIRECTORY_CONTROL:
        p->DirectoryControl.QueryDirectory.Length = length;
        break;
    default:
        break;
    }
}

static void exec_iopb(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 1);
    if (!c)
        return;
    if (c->in_flight) {
        skip_event("%*s  skipped: its asynchronous I/O has not completed", IND(op));
        return;
    }
    c->major = kfh_major_at(op->b);
    c->irp_flags = kfh_irpflags_at((op->c >> 2) & 3u);
    c->length = op->size_raw;
    c->d->Iopb->MajorFunction = c->major;
    c->d->Iopb->MinorFunction = (UCHAR)(op->c & 3u);
    c->d->Iopb->IrpFlags = c->irp_flags;
    set_length(c->d, c->major, c->length);
}

static void io_in(kfh_flt_io_in *in, const cbd_slot *c, KIRQL irql)
{
    memset(in, 0, sizeof *in);
    in->irql = irql;
    in->prealloc = c->prealloc;
    in->in_flight = c->in_flight;
    in->major = c->major;
    in->irp_flags = c->irp_flags;
    in->length = c->length;
    in->completion_irql = R.async_irql;
    in->lower_set = R.lower_set;
    in->lower_status = R.lower_status;
    in->lower_info = R.lower_info;
}

static void exec_sync(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 1);
    if (!c)
        return;
    kfh_flt_io_in in;
    kfh_flt_io_pred pred;
    io_in(&in, c, R.sh.irql);
    kfh_oracle_flt_io(&in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    FltPerformSynchronousIo(c->d);
    if (R.expect.stops) {
        missed_stop("FltPerformSynchronousIo");
        return;
    }
    c->performed = 1;
    kfh_flt_io_obs obs;
    memset(&obs, 0, sizeof obs);
    in.n_decisions = logged(from, in.dsite, in.dkind, 4);
    obs.n_sites = logged(from, obs.sites, NULL, 8);
    kfh_oracle_flt_io(&in, &pred);
    obs.io_status = c->d->IoStatus.Status;
    obs.io_info = c->d->IoStatus.Information;
    char b[16];
    kfh_trace_event("%*s  -> IoStatus %s info=0x%llx [%s]", IND(op), st_name(obs.io_status, b, sizeof b),
                    (unsigned long long)obs.io_info, pred.rule);
    reach("FltPerformSynchronousIo: IoStatus %s", st_name(obs.io_status, b, sizeof b));
    kfh_finding fs[6];
    flt_findings(fs, kfh_check_flt_io(&in, &pred, &obs, fs, 6));
}

static void flt_reuse(int slot, KIRQL irql, int depth);
static void flt_async(int slot, int action, KIRQL irql, int depth);
static int ecp_end_expect(int k, int depth);
static void ecp_end_done(int k, const char *routine);

/* Frees the callback data of a slot at irql, as the scenario or a completion does (F-12). */
static void flt_free_slot(int slot, KIRQL irql, int depth)
{
    cbd_slot *c = &R.cbd[slot];
    kfh_stop_pred st;
    kfh_oracle_flt_free(irql, KFH_CBD_LIVE, c->in_flight, c->serial, &st);
    if (st.stops)
        R.expect = st;
    else
        (void)ecp_end_expect(slot, depth); /* FE-12: its create ends */
    FltFreeCallbackData(c->d);
    if (R.expect.stops) {
        missed_stop("FltFreeCallbackData");
        return;
    }
    ecp_end_done(slot, "FltFreeCallbackData");
    c->live = 0;
    c->stale = 1;
    c->stale_at = R.cbd_allocs;
    kfh_trace_event("%*s  -> freed #%u", 2 * depth, "", c->serial);
    reach("FltFreeCallbackData: freed%s", R.cb_depth ? " in a completion" : "");
}

static VOID FLTAPI runner_flt_done(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    ticket *t = (ticket *)ctx;
    t->calls++;
    if (t->calls > 1 || R.aborting)
        return; /* counted; a second call is reported by the caller */
    t->log_at_cb = R.log_n;
    t->irql = KeGetCurrentIrql();
    t->status = d->IoStatus.Status;
    t->info = d->IoStatus.Information;
    cbd_slot *c = &R.cbd[t->slot];
    c->in_flight = 0;
    c->performed = 1;
    int depth = (int)R.sh.depth + 2;
    char b[16];
    kfh_trace_event("%*scompletion slot=%d irql=%u IoStatus %s info=0x%llx", 2 * depth, "", t->slot, t->irql,
                    st_name(t->status, b, sizeof b), (unsigned long long)t->info);
    reach("FltPerformAsynchronousIo: completion IoStatus %s", st_name(t->status, b, sizeof b));
    if (t->deferred) {
        /* The deferred completion itself: the lower layers were asked since the mark. */
        kfh_flt_io_in in;
        kfh_flt_io_pred pred;
        kfh_flt_io_obs obs;
        io_in(&in, c, R.sh.irql);
        in.completion = 1;
        in.n_decisions = logged(R.flt_mark, in.dsite, in.dkind, 4);
        kfh_oracle_flt_io(&in, &pred);
        memset(&obs, 0, sizeof obs);
        obs.n_sites = logged(R.flt_mark, obs.sites, NULL, 8);
        obs.callbacks = 1;
        obs.callback_irql = t->irql;
        obs.io_status = t->status;
        obs.io_info = t->info;
        kfh_finding fs[6];
        flt_findings(fs, kfh_check_flt_io(&in, &pred, &obs, fs, 6));
    }
    if (R.cb_depth < 4)
        R.cb_slot[R.cb_depth] = t->slot;
    R.cb_depth++;
    /* The completion's own calls get their own predictions: the stop expected of the call
     * that completes the I/O (FltUnregisterFilter's 0x2008) is not theirs. */
    kfh_stop_pred outer = R.expect;
    memset(&R.expect, 0, sizeof R.expect);
    switch (t->action) {
    case KFH_THEN_FREE:
        flt_free_slot(t->slot, t->irql, depth);
        break;
    case KFH_THEN_REUSE:
        flt_reuse(t->slot, t->irql, depth);
        break;
    case KFH_THEN_REISSUE: {
        UCHAR major = c->major;
        ULONG flags = c->irp_flags, length = c->length;
        flt_reuse(t->slot, t->irql, depth);
        if (R.aborting || R.expect.stops)
            break;
        c->major = major;
        c->irp_flags = flags;
        c->length = length;
        c->d->Iopb->MajorFunction = major;
        c->d->Iopb->IrpFlags = flags;
        set_length(c->d, major, length);
        flt_async(t->slot, KFH_THEN_NOTHING, t->irql, depth);
        break;
    }
    default:
        break;
    }
    R.cb_depth--;
    R.flt_mark = R.log_n;
    if (!R.expect.stops)
        R.expect = outer;
}

/* Starts asynchronous I/O on a slot at irql, from the scenario or from a completion. */
static void flt_async(int slot, int action, KIRQL irql, int depth)
{
    cbd_slot *c = &R.cbd[slot];
    if (R.n_tickets >= MAX_TICKETS) {
        skip_event("%*s  skipped: %d asynchronous I/Os in this run already", 2 * depth, "", MAX_TICKETS);
        return;
    }
    ticket *t = &R.tickets[R.n_tickets++];
    memset(t, 0, sizeof *t);
    t->slot = slot;
    t->action = action;
    kfh_flt_io_in in;
    kfh_flt_io_pred pred;
    io_in(&in, c, irql);
    in.async = 1;
    in.deferred = R.async_deferred;
    kfh_oracle_flt_io(&in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    else
        c->in_flight = 1; /* until its completion runs */
    int from = R.log_n;
    R.flt_mark = R.log_n;
    NTSTATUS ret = FltPerformAsynchronousIo(c->d, runner_flt_done, t);
    if (R.expect.stops && !R.aborting) {
        missed_stop("FltPerformAsynchronousIo");
        return;
    }
    if (R.aborting)
        return;
    kfh_flt_io_obs obs;
    memset(&obs, 0, sizeof obs);
    /* The consultations of this call, up to its completion callback's own work. */
    int upto = t->calls ? t->log_at_cb : R.log_n;
    in.n_decisions = 0;
    for (int k = from; k < upto && k < LOG_MAX && in.n_decisions < 2; k++) {
        kf_site s = R.log_site[k];
        if (s != KF_SITE_FLT_ON_DEMAND && s != KF_SITE_FLT_LOWER)
            break;
        in.dsite[in.n_decisions] = s;
        in.dkind[in.n_decisions++] = R.log_kind[k];
        obs.sites[obs.n_sites++] = s;
    }
    kfh_oracle_flt_io(&in, &pred);
    obs.ret = ret;
    obs.callbacks = t->calls;
    obs.callback_irql = t->irql;
    if (t->calls) {
        obs.io_status = t->status;
        obs.io_info = t->info;
    } else {
        obs.io_status = c->live ? c->d->IoStatus.Status : STATUS_PENDING;
        obs.io_info = pred.io_info;
    }
    char b[16];
    kfh_trace_event("%*s  -> %s calls=%u [%s]", 2 * depth, "", st_name(ret, b, sizeof b), t->calls, pred.rule);
    reach("FltPerformAsynchronousIo: %s", st_name(ret, b, sizeof b));
    if (pred.pending && !t->calls) {
        t->deferred = 1; /* its callback, when it runs, is the deferred completion */
        R.pend[R.pend_tail++] = (int)(t - R.tickets);
    } else if (!t->calls) {
        c->in_flight = 0;
    }
    kfh_finding fs[6];
    flt_findings(fs, kfh_check_flt_io(&in, &pred, &obs, fs, 6));
}

static void flt_reuse(int slot, KIRQL irql, int depth)
{
    cbd_slot *c = &R.cbd[slot];
    kfh_stop_pred st;
    kfh_oracle_flt_reuse(irql, KFH_CBD_LIVE, c->in_flight, c->performed, &st);
    if (st.stops)
        R.expect = st;
    FltReuseCallbackData(c->d);
    if (R.expect.stops) {
        missed_stop("FltReuseCallbackData");
        return;
    }
    PFLT_IO_PARAMETER_BLOCK b = c->d->Iopb;
    int targets_ok = b && b->TargetInstance == c->inst && b->TargetFileObject == (c->file ? &flt_file : NULL);
    int fields_ok = fields_initial(c->d, 0);
    const void *thread = c->d->Thread;
    c->performed = 0;
    c->major = 0;
    c->irp_flags = 0;
    c->length = 0;
    kfh_trace_event("%*s  -> reused #%u", 2 * depth, "", c->serial);
    reach("FltReuseCallbackData: reused%s", R.cb_depth ? " in a completion" : "");
    kfh_finding fs[3];
    int n = kfh_check_flt_reuse(targets_ok, fields_ok, fs, 2);
    n += kfh_check_flt_reuse_thread(thread, PsGetCurrentThread(), &fs[n]);
    flt_findings(fs, n);
}

static void exec_async(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 1);
    if (!c)
        return;
    R.async_deferred = op->c & 1;
    R.async_irql = (KIRQL)((op->c >> 1) % KFH_ASYNC_IRQL_COUNT);
    if (kf_flt_set_async_mode(R.async_deferred ? KF_FLT_COMPLETE_DEFERRED : KF_FLT_COMPLETE_INLINE, R.async_irql))
        simple_finding(KFH_INV_FLT_COMPLETION_IRQL, "kf_flt_set_async_mode", "-", "IRQL up to DISPATCH_LEVEL accepted",
                       "IRQL %u refused", R.async_irql);
    flt_async((int)(c - R.cbd), op->b % KFH_THEN_COUNT, R.sh.irql, (int)op->depth);
}

static void exec_run_pending(const kfh_op *op)
{
    int first = R.pend_head, last = R.pend_tail;
    int files = fio_pending(); /* the runner's own reads and writes complete here too (F-20) */
    R.running_pending = 1;
    R.flt_mark = R.log_n;
    size_t done = kf_flt_run_pending_completions();
    R.running_pending = 0;
    if (R.aborting)
        return;
    R.pend_head = last;
    kfh_trace_event("%*s  -> %zu completed", IND(op), done);
    if (done != (size_t)(last - first + files))
        simple_finding(KFH_INV_FLT_ASYNC_ONCE, "kf_flt_run_pending_completions", "-",
                       "every I/O pending when called completes", "%zu completed, %d pending", done,
                       last - first + files);
    else if (fio_pending())
        simple_finding(KFH_INV_FLT_FIO_STATUS, "kf_flt_run_pending_completions", "-",
                       "the routine of every read and write pending called (FI-10, F-20)", "%d not called",
                       fio_pending());
    for (int k = first; k < last && !R.aborting; k++) {
        kfh_finding f;
        if (kfh_check_flt_completions(R.tickets[R.pend[k]].calls, &f))
            finding(&f);
    }
}

static void exec_cbd_reuse(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 1);
    if (c)
        flt_reuse((int)(c - R.cbd), R.sh.irql, (int)op->depth);
}

static void exec_cbd_free(const kfh_op *op)
{
    kfh_stop_pred st;
    if (op->b == KFH_FREE_FOREIGN) {
        memset(&flt_foreign, 0, sizeof flt_foreign);
        kfh_oracle_flt_free(R.sh.irql, KFH_CBD_FOREIGN, 0, 0, &st);
        R.expect = st;
        FltFreeCallbackData(&flt_foreign);
        if (R.expect.stops)
            missed_stop("FltFreeCallbackData");
        return;
    }
    cbd_slot *c = &R.cbd[op->a % KFH_CBD_SLOTS];
    if (op->b == KFH_FREE_AGAIN) {
        /* Only while no allocation since the free could have been given the same block. */
        if (R.flt_state == 2 || !c->stale || c->live || c->stale_at != R.cbd_allocs) {
            skip_event("%*s  skipped: no freed callback data whose block is surely still free", IND(op));
            return;
        }
        kfh_oracle_flt_free(R.sh.irql, KFH_CBD_FREED, 0, c->serial, &st);
        R.expect = st;
        FltFreeCallbackData(c->d);
        if (R.expect.stops)
            missed_stop("FltFreeCallbackData");
        return;
    }
    if (!usable_slot(op, 1))
        return;
    flt_free_slot((int)(c - R.cbd), R.sh.irql, (int)op->depth);
}

static void runner_lower(void *ctx, kf_flt_lower_io *io)
{
    (void)ctx;
    if (R.lower_set && !io->fault) {
        io->status = R.lower_status;
        io->information = R.lower_info;
    }
}

static void exec_teardown(const kfh_op *op)
{
    unsigned v = op->a % KFH_FLT_VOLUMES;
    if (R.flt_state != 1 || !R.inst[v]) {
        skip_event("%*s  skipped: no instance on volume %u", IND(op), v);
        return;
    }
    if (kf_flt_set_instance_teardown(R.inst[v], (BOOLEAN)op->b)) {
        simple_finding(KFH_INV_FLT_STATUS, "kf_flt_set_instance_teardown", "-", "a live instance accepts the mark",
                       "refused");
        return;
    }
    R.teardown = op->b ? (R.teardown | (1u << v)) : (R.teardown & ~(1u << v));
}

static void wi_begin(int how, const kfh_op *op);

static void exec_unregister(const kfh_op *op)
{
    if (R.flt_state != 1) {
        skip_event("%*s  skipped: no filter registered", IND(op));
        return;
    }
    if (fio_pending()) {
        /* Its teardown would complete them (F-6) among the callback data it predicts. */
        skip_event("%*s  skipped: a read or write of the runner's files is pending", IND(op));
        return;
    }
    kfh_flt_held held[KFH_CBD_SLOTS + MAX_TICKETS];
    int n = 0;
    for (int k = R.pend_head; k < R.pend_tail; k++) {
        const ticket *t = &R.tickets[R.pend[k]];
        if (t->calls || !R.cbd[t->slot].live)
            continue;
        if (t->action == KFH_THEN_REISSUE) {
            skip_event("%*s  skipped: a pending completion would start I/O during the teardown", IND(op));
            return;
        }
        held[n].volume = R.cbd[t->slot].vol;
        held[n].pending = 1;
        held[n++].then = t->action;
    }
    for (int k = 0; k < KFH_CBD_SLOTS; k++)
        if (R.cbd[k].live && !R.cbd[k].in_flight) {
            held[n].volume = R.cbd[k].vol;
            held[n].pending = 0;
            held[n++].then = KFH_THEN_NOTHING;
        }
    kfh_oracle_flt_unregister(R.sh.irql, held, n, R.volumes, R.async_irql, &R.expect);
    /* FW-9: once the instances are gone, callback data left in the filter's queues. */
    if (!R.expect.stops && R.sh.irql <= APC_LEVEL)
        kfh_oracle_cq_unregister(cq_held(), &R.expect);
    /* Then the filter's contexts (FC-14, FC-15). Their detachment is predicted even when a stop
     * of F-6 is, since an instance's teardown may detach (and free) its contexts before that
     * stop; the contexts' own stop only when F-6 predicts none. */
    static kfh_ctx_pred cp;
    int ctx_checked = 0;
    unsigned cleanups = R.ctx_cleanups;
    if (R.sh.irql <= APC_LEVEL) {
        kfh_oracle_ctx_unregister(&R.ctx, &cp);
        R.ctx_after = &cp.after;
        if (!R.expect.stops) {
            ctx_checked = 1;
            if (cp.stop.stops)
                R.expect = cp.stop;
        }
    }
    /* FT-9: an instance going away with an acknowledgement still owed stops the unregistration
     * when its enlistments end, after the work items ran and before its contexts go; the runner
     * does not predict which of two such stops comes first, so it leaves that case out. */
    int several = 0;
    ULONG owed = R.sh.irql <= APC_LEVEL ? txn_owed(&several) : 0;
    if (owed && R.expect.stops) {
        memset(&R.expect, 0, sizeof R.expect);
        R.ctx_after = NULL;
        skip_event("%*s  skipped: an acknowledgement is owed and another stop is predicted too", IND(op));
        return;
    }
    if (owed) {
        kfh_oracle_txn_unacknowledged(owed, &R.expect);
        if (several)
            R.expect.n_params = 1; /* the code only: which transaction's enlistment ends first is not the rules' */
        ctx_checked = 0;
    }
    unsigned txn_cleanups = R.txn_cleanups, txn_deleted = (unsigned)txn_contexts_kept();
    /* FP-8 comes first: the connections the application holds are disconnected, then ports
     * still open stop the unregistration before anything else is torn down. */
    kfh_stop_pred port_stop;
    unsigned disconnects = 0;
    memset(&port_stop, 0, sizeof port_stop);
    if (R.sh.irql <= APC_LEVEL) {
        port_unregister_begin(&port_stop, &disconnects);
        if (port_stop.stops) {
            R.expect = port_stop;
            ctx_checked = 0;
        }
    }
    /* Once the teardown has begun, a stop inside it (callback data left over, or a stop in a
     * completion it runs) leaves a filter the harness no longer predicts; the IRQL check on
     * entry (F-2) stops before anything changed. */
    if (R.sh.irql <= APC_LEVEL)
        R.flt_state = 2;
    R.running_pending = 1;
    R.flt_mark = R.log_n;
    /* FV-10: references the scenario holds on the filter hold its rundown off, once the teardown
     * (F-6) and the contexts (FC-15) stopped nothing. */
    if (R.sh.irql <= APC_LEVEL && !R.expect.stops && obj_refs_on(R.filter))
        kfh_oracle_obj_unregister(obj_refs_on(R.filter), &R.expect);
    /* FW-6: the items queued on the filter or its instances run first, all of them. */
    int wi_due = R.n_wq;
    if (R.sh.irql <= APC_LEVEL)
        wi_begin(2, op);
    FltUnregisterFilter(R.filter);
    R.wi_running = 0;
    R.running_pending = 0;
    R.ctx_after = NULL;
    if (R.expect.stops) {
        missed_stop("FltUnregisterFilter");
        return;
    }
    for (int k = R.pend_head; k < R.pend_tail && !R.aborting; k++) {
        kfh_finding f;
        if (kfh_check_flt_completions(R.tickets[R.pend[k]].calls, &f))
            finding(&f);
    }
    reach("FltUnregisterFilter: unregistered");
    if (R.pc_disc_mask && !R.aborting)
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "FltUnregisterFilter", "-",
                       "DisconnectNotifyCallback for each connection the application held (FP-8)",
                       "not called for slot mask 0x%x", R.pc_disc_mask);
    else if (disconnects)
        reach("FltUnregisterFilter: connections disconnected");
    R.pc_disc_mask = 0;
    if (R.wi_ran != wi_due && !R.aborting)
        simple_finding(KFH_INV_FLT_WORK_STATUS, "FltUnregisterFilter", "-",
                       "every work item queued on the filter run before the teardown (FW-6)", "%d of %d ran", R.wi_ran,
                       wi_due);
    else if (wi_due)
        reach("FltUnregisterFilter: queued work items ran");
    if (ctx_checked) {
        int freed = ctx_adopt(&cp, "FltUnregisterFilter", cleanups);
        if (freed)
            reach("FltUnregisterFilter: attached contexts freed");
    }
    /* FT-9, FT-11: the enlistments ended, the transaction contexts went with the filter (FC-14). */
    if (R.txn_cleanups - txn_cleanups != txn_deleted && !R.aborting)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "FltUnregisterFilter", "-",
                       "the filter's transaction contexts deleted with it (FT-11)", "%u cleanup(s), %u predicted",
                       R.txn_cleanups - txn_cleanups, txn_deleted);
    else if (txn_deleted)
        reach("FltUnregisterFilter: transaction contexts deleted");
    for (int k = 0; k < KFH_TXN_SLOTS; k++) {
        R.txn[k].rec.enlisted = 0;
        R.txn[k].rec.owed = 0;
        R.txn[k].rec.has_context = 0;
    }
    R.txn_orphans = 0;
    R.pend_head = R.pend_tail;
    /* FW-9: Filter Manager forgets the filter's queues. */
    memset(R.cq, 0, sizeof R.cq);
    R.flt_state = 0;
    R.filter = NULL;
    R.instances = R.teardown = 0;
    memset(R.inst, 0, sizeof R.inst);
}

/* After a stop: callback data whose completion was interrupted is in a state the rules do
 * not describe. A run of completions the stop cut short (kf_flt_run_pending_completions, in
 * start order, or FltUnregisterFilter's teardown, instance by instance) completed those
 * whose callback was called, in whatever order it went; the model keeps the others pending,
 * in their start order, and so does the harness. */
static void flt_after_stop(void)
{
    R.ctx_after = NULL;
    R.pc_connect_slot = R.pc_msg_slot = -1;
    R.pc_disc_mask = 0;
    R.pc_stop_needs_site = 0;
    R.wi_running = 0;
    /* A queue whose callback re-entered it keeps its lock taken in the model (FX-14). */
    if (R.cqc.routine && R.cqc.reentered)
        R.cq[R.cqc.q].stuck = 1;
    memset(&R.cqc, 0, sizeof R.cqc);
    if (R.flags_cbd) {
        R.flags_cbd->Flags = R.flags_saved;
        R.flags_cbd = NULL;
    }
    R.ecp_armed = 0;
    for (int k = 0; k < R.cb_depth && k < 4; k++)
        R.cbd[R.cb_slot[k]].uncertain = 1;
    R.cb_depth = 0;
    if (R.running_pending) {
        int w = R.pend_head;
        for (int k = R.pend_head; k < R.pend_tail; k++)
            if (!R.tickets[R.pend[k]].calls)
                R.pend[w++] = R.pend[k];
        R.pend_tail = w;
        R.running_pending = 0;
    }
}

/* At the end of a run: give back the callback data the scenario still holds, as a driver
 * would before unloading (at PASSIVE_LEVEL). In-flight and uncertain ones stay for kf_reset. */
static void flt_finish(void)
{
    port_finish();
    obj_finish();
    /* The handles and file object references the scenario's slots hold, closed and dropped as a
     * driver does before it unloads (FI-5, FI-6). */
    for (int k = 0; k < R.fio_foreign && R.flt_state != 2; k++) {
        kf_set_irql(PASSIVE_LEVEL);
        (void)ZwClose(R.fio_foreign_h[k]); /* a handle of the object manager's: ZwClose closes it */
    }
    if (R.flt_state != 2)
        R.fio_foreign = 0;
    for (int k = 0; k < KFH_FIO_SLOTS && R.flt_state != 2; k++) {
        if (R.fio[k].open) {
            kf_set_irql(PASSIVE_LEVEL);
            R.fio[k].open = 0;
            (void)FltClose(R.fio[k].h);
        }
        if (R.fio[k].has_fo) {
            kf_set_irql(PASSIVE_LEVEL);
            R.fio[k].has_fo = 0;
            ObDereferenceObject(R.fio[k].fo);
        }
    }
    /* The generic work items the slots hold and that are not queued, freed as a driver frees
     * them; queued ones stay for kf_reset (their routines would run after the scenario). */
    for (int k = 0; k < KFH_WI_SLOTS; k++)
        if (R.wi[k].live && !R.wi[k].queued) {
            kf_set_irql(PASSIVE_LEVEL);
            R.wi[k].live = 0;
            FltFreeGenericWorkItem(R.wi[k].mem);
        }
    for (int k = 0; k < KFH_DW_SLOTS; k++)
        if (R.dw[k].live && !R.dw[k].queued) {
            kf_set_irql(PASSIVE_LEVEL);
            R.dw[k].live = 0;
            FltFreeDeferredIoWorkItem(R.dw[k].mem);
        }
    /* The file name references the scenario's slots hold. */
    for (int k = 0; k < KFH_NAME_SLOTS; k++) {
        int r = R.nslot[k];
        if (r < 0)
            continue;
        kf_set_irql(PASSIVE_LEVEL);
        R.nslot[k] = -1;
        R.nrec[r].refs--;
        FltReleaseFileNameInformation(R.nmem[r]);
    }
    /* The references the scenario's context slots hold, released as a driver releases them. */
    for (int k = 0; k < KFH_CTX_SLOTS && R.flt_state != 2; k++) {
        int r = R.ctx.slot[k];
        if (r < 0)
            continue;
        kf_set_irql(PASSIVE_LEVEL);
        R.ctx.slot[k] = -1;
        if (--R.ctx.rec[r].refs == 0)
            R.ctx.rec[r].freed_at = R.ctx.allocs;
        FltReleaseContext(R.ctx_mem[r]);
    }
    int any = 0;
    for (int k = 0; k < KFH_CBD_SLOTS; k++)
        any |= R.cbd[k].live && !R.cbd[k].in_flight && !R.cbd[k].uncertain && R.flt_state != 2;
    if (!any)
        return;
    kf_set_irql(PASSIVE_LEVEL);
    for (int k = 0; k < KFH_CBD_SLOTS; k++)
        if (R.cbd[k].live && !R.cbd[k].in_flight && !R.cbd[k].uncertain && R.flt_state != 2) {
            (void)ecp_end_expect(k, 0);
            FltFreeCallbackData(R.cbd[k].d);
            ecp_end_done(k, "FltFreeCallbackData");
            R.cbd[k].live = 0;
        }
}


/* ---- Contexts (version 7; harness/oracle_fltx.c, SEMANTICS.md FC-*) --------------------------- */

/* The file objects a stream or stream-handle context is set on: 0 and 1 are two handles of one
 * stream (one FsContext), 2 has none (FC-13). */
static FILE_OBJECT ctx_files[KFH_CTX_FILES];
static int ctx_stream;
static long long ctx_foreign[4]; /* never a context */

/* The record of a context the harness knows and whose cleanup has not run, or -1. */
static int ctx_find(const void *mem)
{
    for (int k = 0; k < R.ctx.n; k++)
        if (!R.ctx.rec[k].cleaned && R.ctx_mem[k] == mem)
            return k;
    return -1;
}

static VOID FLTAPI runner_ctx_cleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
    int k = ctx_find(context);
    KIRQL irql = KeGetCurrentIrql();
    R.ctx_cleanups++;
    if (k < 0) {
        if (!R.aborting)
            simple_finding(KFH_INV_FLT_CTX_CLEANUP, "ContextCleanupCallback", "-",
                           "one cleanup of a context whose last reference went (FC-11)",
                           "a cleanup of a context the harness does not know or cleaned up already");
        return;
    }
    /* Checked against the state the call in progress is predicted to leave. */
    const kfh_ctx_rec *rec = R.ctx_after ? &R.ctx_after->rec[k] : &R.ctx.rec[k];
    int refs = rec->refs;
    unsigned short want = kfh_ctx_type_at(rec->type);
    R.ctx.rec[k].cleaned = 1;
    if (R.ctx_after)
        R.ctx_after->rec[k].cleaned = 1;
    kfh_trace_event("%*scontext cleanup #%d %s irql=%u", 2 * (int)(R.sh.depth + 2), "", k,
                    kfh_ctx_type_name(rec->type), irql);
    if (R.aborting)
        return;
    if (refs != 0)
        simple_finding(KFH_INV_FLT_CTX_CLEANUP, "ContextCleanupCallback", "-",
                       "the cleanup only once the last reference went (FC-11, FC-12)",
                       "context #%d cleaned up with %d reference(s) left", k, refs);
    else if (type != want)
        simple_finding(KFH_INV_FLT_CTX_CLEANUP, "ContextCleanupCallback", "-", "the context's own type (FC-11)",
                       "type 0x%x for a context of type 0x%x", (unsigned)type, (unsigned)want);
    else if (irql > APC_LEVEL)
        simple_finding(KFH_INV_FLT_CTX_CLEANUP, "ContextCleanupCallback", "-", "IRQL <= APC_LEVEL (FC-11)",
                       "IRQL %u", irql);
}

/* Takes the state a call that returned was predicted to leave (the cleanups its callbacks
 * saw are marked in it). Where the routine frees what was deferred (FC-11), nothing may be
 * left without its cleanup. Returns how many cleanups the call made. */
static int ctx_adopt(const kfh_ctx_pred *p, const char *routine, unsigned cleanups_before)
{
    R.ctx = p->after;
    if (R.aborting || !p->drains)
        return (int)(R.ctx_cleanups - cleanups_before);
    for (int k = 0; k < R.ctx.n; k++)
        if (R.ctx.rec[k].refs == 0 && !R.ctx.rec[k].cleaned) {
            simple_finding(KFH_INV_FLT_CTX_CLEANUP, routine, "-",
                           "every context whose last reference went cleaned up by the return (FC-11)",
                           "context #%d (%s) not cleaned up", k, kfh_ctx_type_name(R.ctx.rec[k].type));
            break;
        }
    return (int)(R.ctx_cleanups - cleanups_before);
}

static const char *ctx_routine(int code, int kind)
{
    static const char *const set[4] = {"FltSetVolumeContext", "FltSetInstanceContext", "FltSetStreamContext",
                                       "FltSetStreamHandleContext"};
    static const char *const get[4] = {"FltGetVolumeContext", "FltGetInstanceContext", "FltGetStreamContext",
                                       "FltGetStreamHandleContext"};
    static const char *const del[4] = {"FltDeleteVolumeContext", "FltDeleteInstanceContext",
                                       "FltDeleteStreamContext", "FltDeleteStreamHandleContext"};
    switch (code) {
    case KFH_OP_CTX_ALLOC:
        return "FltAllocateContext";
    case KFH_OP_CTX_SET:
        return set[kind & 3];
    case KFH_OP_CTX_GET:
        return get[kind & 3];
    case KFH_OP_CTX_DELETE:
        return del[kind & 3];
    case KFH_OP_CTX_REF:
        return "FltReferenceContext";
    case KFH_OP_CTX_RELEASE:
        return "FltReleaseContext";
    default:
        return "FltDeleteContext";
    }
}

/* Why a context operation cannot run now (NULL: it can); fills in. */
static const char *ctx_input(const kfh_op *op, kfh_ctx_in *in)
{
    const kfh_ctx_state *c = &R.ctx;
    memset(in, 0, sizeof *in);
    in->op = op->code;
    in->irql = R.sh.irql;
    in->slot = op->a % KFH_CTX_SLOTS;
    int no_filter = !(op->code == KFH_OP_CTX_RELEASE && (op->b == KFH_CTX_REL_NULL || op->b == KFH_CTX_REL_FOREIGN));
    if (no_filter && R.flt_state == 2)
        return "the filter's state is unknown after a stop in FltUnregisterFilter";
    if (no_filter && R.flt_state != 1)
        return "no filter registered";
    switch (op->code) {
    case KFH_OP_CTX_ALLOC:
        in->type = (op->b & 7) % KFH_CTX_TYPES;
        in->pool = (op->b >> 3) & 3;
        in->size = op->c % KFH_CTX_SIZES;
        if (c->slot[in->slot] >= 0)
            return "the slot holds a context";
        if (c->n >= KFH_CTX_RECORDS)
            return "the run allocated as many contexts as the harness records";
        return NULL;
    case KFH_OP_CTX_SET:
    case KFH_OP_CTX_GET:
    case KFH_OP_CTX_DELETE:
        in->kind = op->b & KFH_CTX_KIND_MASK;
        in->vol = (op->b >> KFH_CTX_VOL_SHIFT) & 3;
        in->file = ((op->b >> KFH_CTX_FILE_SHIFT) & 3) % KFH_CTX_FILES;
        in->teardown = (R.teardown >> in->vol) & 1;
        if (!R.inst[in->vol] || !R.fvol[in->vol])
            return "no instance on the volume";
        if (op->code == KFH_OP_CTX_SET) {
            in->set_op = (op->c & 3) % KFH_CTX_OPS;
            in->with_old = (op->c & KFH_CTX_WITH_OLD) != 0;
            in->slot2 = (op->c >> KFH_CTX_OLD_SHIFT) % KFH_CTX_SLOTS;
            if (c->slot[in->slot] < 0)
                return "the slot holds no context";
            if (in->with_old && (in->slot2 == in->slot || c->slot[in->slot2] >= 0))
                return "OldContext's slot is not free";
        } else if (op->code == KFH_OP_CTX_GET) {
            in->null_out = (op->b & KFH_CTX_FLAG) != 0;
            if (!in->null_out && c->slot[in->slot] >= 0)
                return "the slot holds a context";
        } else {
            in->with_old = (op->b & KFH_CTX_FLAG) != 0;
            if (in->with_old && c->slot[in->slot] >= 0)
                return "OldContext's slot holds a context";
        }
        return NULL;
    case KFH_OP_CTX_REF:
        in->slot2 = op->b % KFH_CTX_SLOTS;
        if (c->slot[in->slot] < 0)
            return "the slot holds no context";
        if (c->slot[in->slot2] >= 0)
            return "the slot that receives the reference holds a context";
        return NULL;
    case KFH_OP_CTX_RELEASE:
        in->variant = op->b % KFH_CTX_REL_COUNT;
        if (in->variant == KFH_CTX_REL_SLOT && c->slot[in->slot] < 0)
            return "the slot holds no context";
        if (in->variant == KFH_CTX_REL_AGAIN) {
            int r = c->stale[in->slot];
            if (r < 0)
                return "the slot released no context";
            const kfh_ctx_rec *rec = &c->rec[r];
            /* Only while no allocation since its last reference went could have reused its
             * memory, and never taking a reference someone else holds. */
            if (rec->refs == 0 && rec->freed_at != c->allocs)
                return "a context was allocated since the released one's last reference went";
            if (rec->refs > 0 && !(rec->attached && rec->refs == 1))
                return "the context has other references: a release would take one of them";
        }
        return NULL;
    default: /* KFH_OP_CTX_UNLINK */
        if (c->slot[in->slot] < 0)
            return "the slot holds no context";
        return NULL;
    }
}

static void exec_ctx(const kfh_op *op)
{
    static kfh_ctx_in in;
    static kfh_ctx_pred pred;
    const char *why = ctx_input(op, &in);
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    const char *routine = ctx_routine(op->code, in.kind);
    kfh_oracle_ctx(&R.ctx, &in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    unsigned cleanups = R.ctx_cleanups;
    PFLT_CONTEXT out = (PFLT_CONTEXT)ctx_foreign; /* must be overwritten */
    PFLT_CONTEXT *outp = &out;
    NTSTATUS st = STATUS_SUCCESS;
    PFLT_INSTANCE inst = R.inst[in.vol];
    PFLT_VOLUME vol = R.fvol[in.vol];
    PFILE_OBJECT fo = &ctx_files[in.file];
    ctx_files[0].FsContext = ctx_files[1].FsContext = &ctx_stream;
    ctx_files[2].FsContext = NULL;
    int unlinked = op->code == KFH_OP_CTX_UNLINK && R.ctx.rec[R.ctx.slot[in.slot]].attached;
    R.ctx_after = &pred.after;
    switch (op->code) {
    case KFH_OP_CTX_ALLOC:
        st = FltAllocateContext(R.filter, kfh_ctx_type_at((size_t)in.type),
                                kfh_ctx_size((size_t)in.type, (size_t)in.size) + (R.cfg->model_lie == 2),
                                (POOL_TYPE)kfh_ctx_pool_at((size_t)in.pool), outp);
        break;
    case KFH_OP_CTX_SET: {
        PFLT_CONTEXT nc = R.ctx_mem[R.ctx.slot[in.slot]];
        FLT_SET_CONTEXT_OPERATION how = (FLT_SET_CONTEXT_OPERATION)kfh_ctx_op_at((size_t)in.set_op);
        outp = in.with_old ? &out : NULL;
        if (in.kind == KFH_CTX_VOLUME)
            st = FltSetVolumeContext(vol, how, nc, outp);
        else if (in.kind == KFH_CTX_INSTANCE)
            st = FltSetInstanceContext(inst, how, nc, outp);
        else if (in.kind == KFH_CTX_STREAM)
            st = FltSetStreamContext(inst, fo, how, nc, outp);
        else
            st = FltSetStreamHandleContext(inst, fo, how, nc, outp);
        break;
    }
    case KFH_OP_CTX_GET:
        outp = in.null_out ? NULL : &out;
        if (in.kind == KFH_CTX_VOLUME)
            st = FltGetVolumeContext(R.filter, vol, outp);
        else if (in.kind == KFH_CTX_INSTANCE)
            st = FltGetInstanceContext(inst, outp);
        else if (in.kind == KFH_CTX_STREAM)
            st = FltGetStreamContext(inst, fo, outp);
        else
            st = FltGetStreamHandleContext(inst, fo, outp);
        break;
    case KFH_OP_CTX_DELETE:
        outp = in.with_old ? &out : NULL;
        if (in.kind == KFH_CTX_VOLUME)
            st = FltDeleteVolumeContext(R.filter, vol, outp);
        else if (in.kind == KFH_CTX_INSTANCE)
            st = FltDeleteInstanceContext(inst, outp);
        else if (in.kind == KFH_CTX_STREAM)
            st = FltDeleteStreamContext(inst, fo, outp);
        else
            st = FltDeleteStreamHandleContext(inst, fo, outp);
        break;
    case KFH_OP_CTX_REF:
        outp = NULL;
        FltReferenceContext(R.ctx_mem[R.ctx.slot[in.slot]]);
        break;
    case KFH_OP_CTX_RELEASE:
        outp = NULL;
        FltReleaseContext(in.variant == KFH_CTX_REL_SLOT    ? R.ctx_mem[R.ctx.slot[in.slot]]
                          : in.variant == KFH_CTX_REL_AGAIN ? R.ctx_mem[R.ctx.stale[in.slot]]
                          : in.variant == KFH_CTX_REL_NULL  ? NULL
                                                            : (PFLT_CONTEXT)ctx_foreign);
        break;
    default:
        outp = NULL;
        FltDeleteContext(R.ctx_mem[R.ctx.slot[in.slot]]);
        break;
    }
    R.ctx_after = NULL;
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    if (R.aborting)
        return;
    /* The prediction again, with the fault decisions the call met. */
    in.n_decisions = logged(from, in.dsite, in.dkind, 2);
    kfh_oracle_ctx(&R.ctx, &in, &pred);
    kf_site sites[4];
    int ns = logged(from, sites, NULL, 4);
    char b[48], e[48];
    int has_status = op->code == KFH_OP_CTX_ALLOC || op->code == KFH_OP_CTX_SET || op->code == KFH_OP_CTX_GET ||
                     op->code == KFH_OP_CTX_DELETE;
    if (R.log_n - from != pred.n_sites || (ns && sites[0] != pred.sites[0]))
        simple_finding(KFH_INV_FLT_CTX_STATUS, routine, ns ? kf_site_get(sites[0])->name : "-",
                       pred.n_sites ? "flt.context consulted once" : "no site consulted", "%d consultation(s) [%s]",
                       R.log_n - from, pred.rule);
    else if (has_status && st != pred.status)
        simple_finding(KFH_INV_FLT_CTX_STATUS, routine, "-", kfh_ctx_status_name(pred.status, e, sizeof e), "%s [%s]",
                       kfh_ctx_status_name(st, b, sizeof b), pred.rule);
    else if (outp && pred.out_rec < 0 && out != NULL)
        simple_finding(KFH_INV_FLT_CTX_STATUS, routine, "-", "the out pointer NULL", "a context [%s]", pred.rule);
    else if (outp && pred.out_rec >= 0 && op->code == KFH_OP_CTX_ALLOC && (out == NULL || out == ctx_foreign))
        simple_finding(KFH_INV_FLT_CTX_STATUS, routine, "-", "a new context", "no context [%s]", pred.rule);
    else if (outp && pred.out_rec >= 0 && op->code != KFH_OP_CTX_ALLOC && out != R.ctx_mem[pred.out_rec])
        simple_finding(KFH_INV_FLT_CTX_STATUS, routine, "-", "the context the rules name", "context #%d expected [%s]",
                       pred.out_rec, pred.rule);
    if (R.aborting)
        return;
    if (op->code == KFH_OP_CTX_ALLOC && pred.out_rec >= 0) {
        R.ctx_mem[pred.out_rec] = out;
        /* FC-3: filled with 0xA5, never zeroed. */
        const unsigned char *m = out;
        SIZE_T n = kfh_ctx_size((size_t)in.type, (size_t)in.size);
        for (SIZE_T i = 0; i < n && i < 8; i++)
            if (m[i] != 0xA5) {
                simple_finding(KFH_INV_FLT_CTX_STATUS, routine, "-", "a new context filled with 0xA5 (FC-3)",
                               "byte %zu is 0x%02x", (size_t)i, m[i]);
                return;
            }
    }
    int freed = ctx_adopt(&pred, routine, cleanups);
    if (op->code == KFH_OP_CTX_ALLOC && pred.out_rec >= 0 && R.cfg->model_lie == 1)
        R.ctx.rec[pred.out_rec].refs++;
    if (op->code == KFH_OP_CTX_ALLOC && pred.out_rec >= 0 && R.cfg->model_lie == 3)
        R.ctx.rec[pred.out_rec].cleaned = 1;
    char outs[16] = "";
    if (pred.out_rec >= 0)
        snprintf(outs, sizeof outs, " #%d", pred.out_rec);
    if (has_status) {
        kfh_trace_event("%*s  -> %s%s [%s]", IND(op), kfh_ctx_status_name(st, b, sizeof b), outs, pred.rule);
        reach("%s: %s", routine, b);
        return;
    }
    const char *what;
    if (op->code == KFH_OP_CTX_REF)
        what = "referenced";
    else if (op->code == KFH_OP_CTX_UNLINK)
        what = unlinked ? "unlinked" : "not attached";
    else {
        int r = R.ctx.stale[in.slot];
        what = R.ctx.rec[r].refs ? "released" : R.ctx.rec[r].cleaned ? "freed" : "free deferred";
    }
    kfh_trace_event("%*s  -> %s%s [%s]", IND(op), what, freed ? " (cleanup ran)" : "", pred.rule);
    reach("%s: %s", routine, what);
}

/* ---- File names (version 7; harness/oracle_fltx.c, SEMANTICS.md FN-*) --------------------------- */

static long long name_foreign[8]; /* never a name structure */

/* Compares one part of a parsed name: absent (NULL, 0) or at Name + at, chars long. */
static int part_ok(const UNICODE_STRING *u, const WCHAR *name, size_t at, size_t chars)
{
    if (!chars)
        return u->Buffer == NULL && u->Length == 0;
    return u->Buffer == name + at && u->Length == chars * sizeof(WCHAR);
}

static void exec_name_get(const kfh_op *op)
{
    static kfh_name_in in;
    static kfh_name_pred pred;
    static WCHAR want[256];
    cbd_slot *c = usable_slot(op, 1);
    if (!c)
        return;
    int ns = op->b % KFH_NAME_SLOTS;
    const char *why = c->in_flight                    ? "its asynchronous I/O has not completed"
                      : R.nslot[ns] >= 0              ? "the name slot holds a name"
                      : R.n_names >= NAME_RECORDS     ? "the run got as many names as the harness records"
                                                      : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    memset(&in, 0, sizeof in);
    in.irql = R.sh.irql;
    in.has_file = c->file;
    in.major = c->major;
    in.irp_flags = c->irp_flags;
    in.format = op->c & 3;
    in.method = ((op->c >> 2) & 7) % KFH_NAME_METHODS;
    kfh_oracle_name_get(&in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    const WCHAR *fname = kfh_name_at((size_t)op->size_sel + (R.cfg->model_lie == 4));
    USHORT chars = 0;
    while (fname[chars])
        chars++;
    flt_file.FileName.Buffer = (PWCH)fname;
    flt_file.FileName.Length = flt_file.FileName.MaximumLength = (USHORT)(chars * sizeof(WCHAR));
    int from = R.log_n;
    PFLT_FILE_NAME_INFORMATION info = (PFLT_FILE_NAME_INFORMATION)name_foreign; /* must be overwritten */
    NTSTATUS st = FltGetFileNameInformation(c->d, (FLT_FILE_NAME_OPTIONS)kfh_name_options((size_t)in.format,
                                                                                          (size_t)in.method), &info);
    memset(&flt_file.FileName, 0, sizeof flt_file.FileName);
    if (R.expect.stops) {
        missed_stop("FltGetFileNameInformation");
        return;
    }
    in.n_decisions = logged(from, in.dsite, in.dkind, 2);
    kfh_oracle_name_get(&in, &pred);
    char b[48], e[48];
    size_t vchars = 0, n = kfh_name_expected(c->vol, op->size_sel, in.format, want, 256, &vchars);
    int got = st == STATUS_SUCCESS && info && info != (PFLT_FILE_NAME_INFORMATION)name_foreign;
    if (R.log_n - from != pred.n_sites)
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "flt.name",
                       pred.n_sites ? "flt.name consulted once" : "no site consulted", "%d consultation(s) [%s]",
                       R.log_n - from, pred.rule);
    else if (st != pred.status)
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "-",
                       kfh_ctx_status_name(pred.status, e, sizeof e), "%s [%s]", kfh_ctx_status_name(st, b, sizeof b),
                       pred.rule);
    else if (st != STATUS_SUCCESS && info != NULL)
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "-",
                       "*FileNameInformation NULL after a failure (FN-2, FN-5)", "not NULL");
    else if (st == STATUS_SUCCESS && !got)
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "-", "a structure (FN-1)", "none");
    else if (got && (info->Name.Length != n * sizeof(WCHAR) || !info->Name.Buffer ||
                     memcmp(info->Name.Buffer, want, n * sizeof(WCHAR)) != 0))
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "-",
                       "the volume's name and the file object's (FN-1, FV-3)", "another Name (%u bytes for %zu)",
                       (unsigned)info->Name.Length, n * sizeof(WCHAR));
    else if (got && (info->Format != (kfh_name_options((size_t)in.format, 0) & FLT_VALID_FILE_NAME_FORMATS) ||
                     info->Volume.Buffer != info->Name.Buffer || info->Volume.Length != vchars * sizeof(WCHAR) ||
                     info->NamesParsed != 0))
        simple_finding(KFH_INV_FLT_NAME_STATUS, "FltGetFileNameInformation", "-",
                       "Format as asked, Volume the name's volume part, nothing parsed (FN-1)", "other fields");
    if (R.aborting)
        return;
    if (got) {
        int k = R.n_names++;
        memset(&R.nrec[k], 0, sizeof R.nrec[k]);
        R.nrec[k].refs = 1;
        R.nrec[k].vol = (uint8_t)c->vol;
        R.nrec[k].index = op->size_sel;
        R.nrec[k].format = (uint8_t)in.format;
        R.nrec[k].serial = ++R.name_gets;
        R.nmem[k] = info;
        R.nslot[ns] = k;
        if (R.cfg->model_lie == 5)
            R.nrec[k].refs++;
    }
    kfh_trace_event("%*s  -> %s%s [%s]", IND(op), kfh_ctx_status_name(st, b, sizeof b), got ? " name" : "", pred.rule);
    reach("FltGetFileNameInformation: %s", b);
}

static void exec_name(const kfh_op *op)
{
    static const char *const routines[] = {"FltReferenceFileNameInformation", "FltReleaseFileNameInformation",
                                           "FltParseFileNameInformation"};
    const char *routine = routines[op->code - KFH_OP_NAME_REF];
    int ns = op->a % KFH_NAME_SLOTS, r = R.nslot[ns];
    int variant = op->code == KFH_OP_NAME_RELEASE ? op->b % KFH_NAME_REL_COUNT : 0;
    const char *why = NULL;
    if (variant == KFH_NAME_REL_AGAIN) {
        r = R.nstale[ns];
        why = r < 0                                ? "the slot released no name"
              : R.nrec[r].refs > 0                 ? "the name has other references: a release would take one of them"
              : R.nrec[r].freed_at != R.name_gets  ? "a name was got since the released one's last reference went"
                                                   : NULL;
    } else if (variant == KFH_NAME_REL_SLOT && r < 0) {
        why = "the name slot holds no name";
    } else if (op->code == KFH_OP_NAME_REF && R.nslot[op->b % KFH_NAME_SLOTS] >= 0) {
        why = "the slot that receives the reference holds a name";
    }
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    /* FN-4 first, then FN-6: a structure whose last reference went, or none at all. */
    kfh_stop_pred st;
    memset(&st, 0, sizeof st);
    if (R.sh.irql > APC_LEVEL) {
        st.stops = 1;
        st.code = IRQL_NOT_LESS_OR_EQUAL;
        st.n_params = 2;
        st.param[0] = APC_LEVEL;
        st.param[1] = R.sh.irql;
        st.rule = "FN-4";
    } else if (variant) {
        st.stops = 1;
        st.code = DRIVER_VERIFIER_DETECTED_VIOLATION;
        st.param[0] = variant == KFH_NAME_REL_AGAIN ? KF_VIOL_FLT_NAME_OVER_RELEASE : KF_VIOL_FLT_NAME_FOREIGN;
        st.param[1] = variant == KFH_NAME_REL_AGAIN ? R.nrec[r].serial : 0;
        st.n_params = variant == KFH_NAME_REL_AGAIN ? 2 : 1;
        st.rule = "FN-6";
    }
    if (st.stops)
        R.expect = st;
    PFLT_FILE_NAME_INFORMATION info = variant == KFH_NAME_REL_FOREIGN ? (PFLT_FILE_NAME_INFORMATION)name_foreign
                                                                      : R.nmem[r];
    int from = R.log_n;
    NTSTATUS pst = STATUS_SUCCESS;
    ULONG parsed_before = op->code == KFH_OP_NAME_PARSE ? info->NamesParsed : 0;
    if (op->code == KFH_OP_NAME_REF)
        FltReferenceFileNameInformation(info);
    else if (op->code == KFH_OP_NAME_RELEASE)
        FltReleaseFileNameInformation(info);
    else
        pst = FltParseFileNameInformation(info);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    if (R.log_n != from)
        simple_finding(KFH_INV_FLT_NAME_STATUS, routine, "-", "no site consulted", "%d consultation(s)", R.log_n - from);
    if (R.aborting)
        return;
    const char *what = NULL;
    char b[48], e[48];
    if (op->code == KFH_OP_NAME_REF) {
        int to = op->b % KFH_NAME_SLOTS;
        R.nrec[r].refs++;
        R.nslot[to] = r;
        what = "referenced";
    } else if (op->code == KFH_OP_NAME_RELEASE) {
        R.nslot[ns] = -1;
        R.nstale[ns] = r;
        if (--R.nrec[r].refs == 0)
            R.nrec[r].freed_at = R.name_gets;
        what = R.nrec[r].refs ? "released" : "freed";
    } else {
        static WCHAR want[256];
        kfh_name_parts parts;
        size_t vchars = 0;
        size_t n = kfh_name_expected(R.nrec[r].vol, R.nrec[r].index, R.nrec[r].format, want, 256, &vchars);
        kfh_oracle_name_parse(want, n, vchars, &parts);
        const WCHAR *w = info->Name.Buffer;
        const ULONG all = FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT | FLTFL_FILE_NAME_PARSED_EXTENSION |
                          FLTFL_FILE_NAME_PARSED_STREAM | FLTFL_FILE_NAME_PARSED_PARENT_DIR;
        if (pst != parts.status)
            simple_finding(KFH_INV_FLT_NAME_STATUS, routine, "-", kfh_ctx_status_name(parts.status, e, sizeof e),
                           "%s [FN-8, FN-9]", kfh_ctx_status_name(pst, b, sizeof b));
        else if (pst != STATUS_SUCCESS && info->NamesParsed != parsed_before)
            simple_finding(KFH_INV_FLT_NAME_STATUS, routine, "-", "nothing changed by a name that does not parse (FN-9)",
                           "NamesParsed 0x%x", (unsigned)info->NamesParsed);
        else if (pst == STATUS_SUCCESS &&
                 (!part_ok(&info->Volume, w, 0, parts.volume) || !part_ok(&info->Share, w, 0, 0) ||
                  !part_ok(&info->ParentDir, w, parts.parent_at, parts.parent) ||
                  !part_ok(&info->FinalComponent, w, parts.final_at, parts.final) ||
                  !part_ok(&info->Stream, w, parts.stream_at, parts.stream) ||
                  !part_ok(&info->Extension, w, parts.ext_at, parts.ext) || (info->NamesParsed & all) != all))
            simple_finding(KFH_INV_FLT_NAME_STATUS, routine, "-", "the parts FN-8 gives, pointing into Name",
                           "other parts or NamesParsed 0x%x", (unsigned)info->NamesParsed);
        what = kfh_ctx_status_name(pst, b, sizeof b);
    }
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> %s", IND(op), what);
    reach("%s: %s", routine, what);
}

/* ---- Generic work items (version 14; harness/oracle_fltwork.c, SEMANTICS.md FW-*, FX-8..FX-11) ---- */

static int wi_ctx[KFH_WI_SLOTS];     /* the Context of slot k's item is &wi_ctx[k] */
static long long wi_foreign[4];      /* never a work item, never a filter or instance */

static const char *const wi_do_text[KFH_WI_DO_COUNT] = {"returned", "freed its item", "queued its item again",
                                                        "returned at APC_LEVEL"};

/* The state of FltObject `obj` for a queue now (FW-2): the filter unregistering or the instance
 * marked for teardown is going. */
static int wi_object_state(int obj)
{
    if (R.wi_running == 2)
        return KFH_WI_OBJECT_GOING;
    if (obj >= KFH_WI_OBJ_INSTANCE0 && (R.teardown & (1u << (obj - KFH_WI_OBJ_INSTANCE0))))
        return KFH_WI_OBJECT_GOING;
    return KFH_WI_OBJECT_LIVE;
}

static VOID FLTAPI runner_wi_routine(PFLT_GENERIC_WORKITEM item, PVOID object, PVOID context);

/* Queues slot k's item (its record filled) and checks the status against pred. */
static NTSTATUS wi_queue_call(int k, PFLT_GENERIC_WORKITEM item, PVOID object, int null_routine, WORK_QUEUE_TYPE type)
{
    return FltQueueGenericWorkItem(item, object, null_routine ? NULL : runner_wi_routine, type, &wi_ctx[k]);
}

static void wi_push(int k)
{
    R.wi[k].queued = 1;
    R.wq[R.n_wq++] = k;
}

static void wi_freed(int k)
{
    R.wi[k].live = 0;
    R.wi[k].queued = 0;
    R.wi[k].stale = R.wi[k].mem;
    R.wi[k].stale_ok = 1;
    R.wi[k].freed_at = R.wi_allocs;
}

static VOID FLTAPI runner_wi_routine(PFLT_GENERIC_WORKITEM item, PVOID object, PVOID context)
{
    if (R.aborting)
        return;
    int k = (int *)context >= wi_ctx && (int *)context < wi_ctx + KFH_WI_SLOTS ? (int)((int *)context - wi_ctx) : -1;
    const char *where = R.wi_running == 2 ? "FltUnregisterFilter" : "kf_flt_run_work_items";
    if (!R.wi_running || R.wi_ran >= R.wi_due || R.n_wq == 0) {
        simple_finding(KFH_INV_FLT_WORK_STATUS, where, "-", "no routine but those queued when the run began (FW-5)",
                       "a routine ran after %d of %d", R.wi_ran, R.wi_due);
        return;
    }
    int want = R.wq[0];
    if (want >= KFH_WI_SLOTS) {
        simple_finding(KFH_INV_FLT_WORK_STATUS, where, "-", "the item queued first (FW-5)",
                       "the generic routine of slot %d before deferred item %d", k, want - KFH_WI_SLOTS);
        return;
    }
    if (k != want || item != R.wi[want].mem || object != R.wi[want].object) {
        simple_finding(KFH_INV_FLT_WORK_STATUS, where, "-",
                       "the item queued first, with its FltObject and Context (FW-2, FW-5)",
                       "slot %d's Context, %s item, %s FltObject for slot %d", k,
                       item == R.wi[want].mem ? "its" : "another", object == R.wi[want].object ? "its" : "another", want);
        return;
    }
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        simple_finding(KFH_INV_FLT_WORK_STATUS, where, "-", "the routine called at PASSIVE_LEVEL (FW-5)", "IRQL %u",
                       KeGetCurrentIrql());
        return;
    }
    R.wi_ran++;
    memmove(R.wq, R.wq + 1, (size_t)(--R.n_wq) * sizeof R.wq[0]);
    R.wi[k].queued = 0;
    int depth = R.wi_depth;
    int action = R.wi[k].action;
    char b[48], e[48];
    kfh_wi_pred pred;
    switch (action) {
    case KFH_WI_DO_FREE:
        wi_freed(k);
        FltFreeGenericWorkItem(item);
        break;
    case KFH_WI_DO_REQUEUE: {
        kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_NONE, (ULONG)R.wi[k].type,
                            wi_object_state(R.wi[k].obj), &pred);
        int from = R.log_n;
        NTSTATUS st = wi_queue_call(k, item, object, 0, R.wi[k].type);
        if (R.log_n != from || st != pred.status) {
            simple_finding(KFH_INV_FLT_WORK_STATUS, "FltQueueGenericWorkItem", "-",
                           kfh_ctx_status_name(pred.status, e, sizeof e), "%s, %d consultation(s) [%s, FW-5]",
                           kfh_ctx_status_name(st, b, sizeof b), R.log_n - from, pred.rule);
            return;
        }
        if (st == STATUS_SUCCESS)
            wi_push(k);
        reach("work routine: queued its item again, %s", kfh_ctx_status_name(st, b, sizeof b));
        break;
    }
    case KFH_WI_DO_BAD_IRQL: {
        KIRQL old;
        KeRaiseIrql(APC_LEVEL, &old);
        (void)old;
        kfh_oracle_wi_return(APC_LEVEL, &R.expect);
        break;
    }
    default:
        break;
    }
    kfh_trace_event("%*s  work routine of slot %d at PASSIVE_LEVEL: %s", 2 * depth, "", k, wi_do_text[action]);
    reach("work routine: %s", wi_do_text[action]);
}

/* Starts a run of the queued routines: how 1 wi_run, 2 FltUnregisterFilter. */
static void wi_begin(int how, const kfh_op *op)
{
    R.wi_running = how;
    R.wi_due = R.n_wq;
    R.wi_ran = 0;
    R.wi_depth = op->depth;
}

/* FltAllocateGenericWorkItem or FltAllocateDeferredIoWorkItem (FW-1), predicted and checked the
 * same way: the flt.workitem consultation and an item exactly when it was granted. Returns the
 * item or NULL; *over is set when the operation ends here (a stop the oracle predicted did not
 * come, or the run is aborting). */
static PVOID work_item_alloc(const char *routine, kfh_inv inv, PVOID (*allocate)(void), int *over)
{
    *over = 1;
    kfh_wi_pred pred;
    kfh_oracle_wi_alloc(R.sh.irql, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    PVOID item = allocate();
    if (R.expect.stops) {
        missed_stop(routine);
        return NULL;
    }
    kfh_oracle_wi_alloc(R.sh.irql, R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE, &pred);
    if (R.log_n - from != pred.n_sites || (from < LOG_MAX && R.log_site[from] != KF_SITE_FLT_WORKITEM))
        simple_finding(inv, routine, "flt.workitem", "flt.workitem consulted once (FW-1)", "%d consultation(s)",
                       R.log_n - from);
    else if ((item != NULL) != pred.allocated)
        simple_finding(inv, routine, "flt.workitem",
                       pred.allocated ? "an item (the site was granted)" : "NULL (the site was failed)", "%s",
                       item ? "an item" : "NULL");
    *over = R.aborting;
    return item;
}

static PVOID allocate_generic(void) { return FltAllocateGenericWorkItem(); }
static PVOID allocate_deferred(void) { return FltAllocateDeferredIoWorkItem(); }

/* FltFreeGenericWorkItem or FltFreeDeferredIoWorkItem (FW-4) of `item`, whose state the record
 * gives (KFH_WI_ITEM_*): the stop predicted, no site consulted. Returns 1 when the operation ends
 * here (a stop came or was missed, or the run is aborting). */
static int work_item_free(const char *routine, kfh_inv inv, void (*release)(PVOID), PVOID item, int item_state)
{
    kfh_wi_pred pred;
    kfh_oracle_wi_free(R.sh.irql, item_state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    release(item);
    if (R.expect.stops) {
        missed_stop(routine);
        return 1;
    }
    if (R.log_n != from)
        simple_finding(inv, routine, "-", "no site consulted", "%d consultation(s)", R.log_n - from);
    return R.aborting;
}

static void free_generic(PVOID item) { FltFreeGenericWorkItem(item); }
static void free_deferred(PVOID item) { FltFreeDeferredIoWorkItem(item); }

static void exec_wi_alloc(const kfh_op *op)
{
    int k = op->a % KFH_WI_SLOTS;
    if (R.wi[k].live) {
        skip_event("%*s  skipped: the item slot holds an item", IND(op));
        return;
    }
    int over;
    PFLT_GENERIC_WORKITEM item =
        work_item_alloc("FltAllocateGenericWorkItem", KFH_INV_FLT_WORK_STATUS, allocate_generic, &over);
    if (over)
        return;
    if (item) {
        struct wi_rec keep = R.wi[k]; /* what the slot freed last stays for wi_free again */
        memset(&R.wi[k], 0, sizeof R.wi[k]);
        R.wi[k].stale = keep.stale;
        R.wi[k].stale_ok = keep.stale_ok;
        R.wi[k].freed_at = keep.freed_at;
        R.wi[k].mem = item;
        R.wi[k].live = 1;
        R.wi_allocs++;
    }
    kfh_trace_event("%*s  -> %s [FW-1]", IND(op), item ? "item" : "NULL");
    reach("FltAllocateGenericWorkItem: %s", item ? "item" : "NULL");
}

static void exec_wi_queue(const kfh_op *op)
{
    int k = op->a % KFH_WI_SLOTS, obj = (op->b & 7) % KFH_WI_OBJ_COUNT, misuse = (op->b >> 3) % KFH_WI_MIS_COUNT;
    const char *why = R.flt_state != 1                                ? "no filter registered"
                      : misuse != KFH_WI_MIS_ITEM && !R.wi[k].live     ? "the item slot holds no item"
                      : obj >= KFH_WI_OBJ_INSTANCE0 && !R.inst[obj - KFH_WI_OBJ_INSTANCE0] ? "no instance on that volume"
                                                                       : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    PVOID object = misuse == KFH_WI_MIS_OBJECT      ? (PVOID)wi_foreign
                   : obj == KFH_WI_OBJ_FILTER       ? (PVOID)R.filter
                                                    : (PVOID)R.inst[obj - KFH_WI_OBJ_INSTANCE0];
    WORK_QUEUE_TYPE type = misuse == KFH_WI_MIS_QUEUE_TYPE ? HyperCriticalWorkQueue
                           : (op->c & KFH_WI_DELAYED)      ? DelayedWorkQueue
                                                           : CriticalWorkQueue;
    int item_state = misuse == KFH_WI_MIS_ITEM ? KFH_WI_ITEM_NONE
                     : R.wi[k].queued          ? KFH_WI_ITEM_QUEUED
                                               : KFH_WI_ITEM_IDLE;
    int object_state = misuse == KFH_WI_MIS_OBJECT ? KFH_WI_OBJECT_FOREIGN : wi_object_state(obj);
    kfh_wi_pred pred;
    kfh_oracle_wi_queue(R.sh.irql, item_state, misuse, (ULONG)type, object_state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    PFLT_GENERIC_WORKITEM item = misuse == KFH_WI_MIS_ITEM ? (PFLT_GENERIC_WORKITEM)wi_foreign : R.wi[k].mem;
    int from = R.log_n;
    NTSTATUS st = wi_queue_call(k, item, object, misuse == KFH_WI_MIS_NULL_ROUTINE, type);
    if (R.expect.stops) {
        missed_stop("FltQueueGenericWorkItem");
        return;
    }
    char b[48], e[48];
    if (R.log_n != from || st != pred.status)
        simple_finding(KFH_INV_FLT_WORK_STATUS, "FltQueueGenericWorkItem", "-",
                       kfh_ctx_status_name(pred.status, e, sizeof e), "%s, %d consultation(s) [%s]",
                       kfh_ctx_status_name(st, b, sizeof b), R.log_n - from, pred.rule);
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        R.wi[k].obj = (uint8_t)obj;
        R.wi[k].action = (uint8_t)(op->c & 3);
        R.wi[k].object = object;
        R.wi[k].type = type;
        wi_push(k);
    }
    kfh_trace_event("%*s  -> %s [FW-2]", IND(op), kfh_ctx_status_name(st, b, sizeof b));
    reach("FltQueueGenericWorkItem: %s", b);
}

static void exec_wi_free(const kfh_op *op)
{
    int k = op->a % KFH_WI_SLOTS, variant = op->b % KFH_WI_FREE_COUNT;
    const char *why = NULL;
    if (variant == KFH_WI_FREE_SLOT && !R.wi[k].live)
        why = "the item slot holds no item";
    else if (variant == KFH_WI_FREE_AGAIN && !R.wi[k].stale_ok)
        why = "the slot freed no item";
    else if (variant == KFH_WI_FREE_AGAIN && R.wi[k].freed_at != R.wi_allocs)
        why = "an item was allocated since the slot's was freed: it may have its memory";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int item_state = variant != KFH_WI_FREE_SLOT ? KFH_WI_ITEM_NONE
                     : R.wi[k].queued          ? KFH_WI_ITEM_QUEUED
                                               : KFH_WI_ITEM_IDLE;
    PFLT_GENERIC_WORKITEM item = variant == KFH_WI_FREE_SLOT    ? R.wi[k].mem
                                 : variant == KFH_WI_FREE_AGAIN ? R.wi[k].stale
                                                                : (PFLT_GENERIC_WORKITEM)wi_foreign;
    if (work_item_free("FltFreeGenericWorkItem", KFH_INV_FLT_WORK_STATUS, free_generic, item, item_state))
        return;
    wi_freed(k);
    if (R.cfg->model_lie == 6 && variant == KFH_WI_FREE_SLOT)
        R.wi[k].live = 1; /* as if the model had kept it: FW-4 */
    kfh_trace_event("%*s  -> freed [FW-4]", IND(op));
    reach("FltFreeGenericWorkItem: freed");
}

static void exec_wi_run(const kfh_op *op)
{
    if (R.flt_state == 2) {
        skip_event("%*s  skipped: the filter's state is unknown after a stop in FltUnregisterFilter", IND(op));
        return;
    }
    wi_begin(1, op);
    if (R.cfg->model_lie == 7 && R.n_wq)
        R.wi_due++; /* as if the model had run one routine less: FW-5 */
    size_t ran = kf_flt_run_work_items();
    R.wi_running = 0;
    if (R.aborting)
        return;
    if (R.expect.stops) {
        missed_stop("kf_flt_run_work_items");
        return;
    }
    if (ran != (size_t)R.wi_due || R.wi_ran != R.wi_due)
        simple_finding(KFH_INV_FLT_WORK_STATUS, "kf_flt_run_work_items", "-",
                       "every item queued when the run began, and only those (FW-5)", "%zu run, %d routine(s) called, %d due",
                       ran, R.wi_ran, R.wi_due);
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> %zu routine(s) ran [FW-5]", IND(op), ran);
    reach("kf_flt_run_work_items: %s", ran ? "routines ran" : "nothing queued");
}

/* ---- Deferred I/O work items (version 15; harness/oracle_fltq.c, SEMANTICS.md FW-3, FX-12) ---------- */

static int dw_ctx[KFH_DW_SLOTS]; /* the Context of deferred slot k's item is &dw_ctx[k] */

/* Status names, with the two of this family that older traces never print (kept out of the
 * shared table so that no older trace changes). */
static const char *q_status_name(NTSTATUS s, char *buf, size_t len)
{
    const char *n = s == STATUS_FLT_NOT_SAFE_TO_POST_OPERATION ? "STATUS_FLT_NOT_SAFE_TO_POST_OPERATION"
                    : s == STATUS_FLT_CBDQ_DISABLED             ? "STATUS_FLT_CBDQ_DISABLED"
                                                                : NULL;
    if (!n)
        return kfh_ctx_status_name(s, buf, len);
    snprintf(buf, len, "%s", n); /* the callers read buf too */
    return buf;
}

static VOID FLTAPI runner_dw_routine(PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, PVOID context);

/* Clears the IRP flag of d for one call (misuse not_irp); dw_flags_back or a stop restores it. */
static void flags_clear_irp(PFLT_CALLBACK_DATA d)
{
    R.flags_cbd = d;
    R.flags_saved = d->Flags;
    d->Flags &= ~(ULONG)FLTFL_CALLBACK_DATA_IRP_OPERATION;
}

static void flags_back(void)
{
    if (R.flags_cbd)
        R.flags_cbd->Flags = R.flags_saved;
    R.flags_cbd = NULL;
}

/* What FW-3 looks at in the callback data of slot c, as the runner's record has it. */
static void dw_data_state(int c, int misuse, kfh_dw_data *out)
{
    memset(out, 0, sizeof *out);
    out->null = misuse == KFH_DW_MIS_NULL_DATA;
    out->irp = misuse != KFH_DW_MIS_NOT_IRP; /* F-12: the runner's callback data are IRP-based */
    out->paging = (R.cbd[c].irp_flags & IRP_PAGING_IO) != 0;
    out->instance = R.cbd[c].inst == NULL                                       ? KFH_WI_OBJECT_FOREIGN
                    : R.wi_running == 2 || (R.teardown & (1u << R.cbd[c].vol)) ? KFH_WI_OBJECT_GOING
                                                                                : KFH_WI_OBJECT_LIVE;
}

static NTSTATUS dw_queue_call(int k, PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, int null_routine,
                              WORK_QUEUE_TYPE type)
{
    return FltQueueDeferredIoWorkItem(item, data, null_routine ? NULL : runner_dw_routine, type, &dw_ctx[k]);
}

static void dw_freed(int k)
{
    R.dw[k].live = 0;
    R.dw[k].queued = 0;
    R.dw[k].stale = R.dw[k].mem;
    R.dw[k].stale_ok = 1;
    R.dw[k].freed_at = R.wi_allocs;
}

static VOID FLTAPI runner_dw_routine(PFLT_DEFERRED_IO_WORKITEM item, PFLT_CALLBACK_DATA data, PVOID context)
{
    if (R.aborting)
        return;
    int k = (int *)context >= dw_ctx && (int *)context < dw_ctx + KFH_DW_SLOTS ? (int)((int *)context - dw_ctx) : -1;
    const char *where = R.wi_running == 2 ? "FltUnregisterFilter" : "kf_flt_run_work_items";
    if (!R.wi_running || R.wi_ran >= R.wi_due || R.n_wq == 0) {
        simple_finding(KFH_INV_FLT_DEFERRED_STATUS, where, "-", "no routine but those queued when the run began (FW-5)",
                       "a deferred routine ran after %d of %d", R.wi_ran, R.wi_due);
        return;
    }
    int want = R.wq[0] - KFH_WI_SLOTS;
    if (want < 0 || k != want || item != R.dw[want].mem || data != R.dw[want].data) {
        simple_finding(KFH_INV_FLT_DEFERRED_STATUS, where, "-",
                       "the item queued first, with its Data and Context (FW-3, FW-5)",
                       "deferred slot %d's routine, the head of the queue %s slot %d", k,
                       want < 0 ? "is generic" : "is deferred", want < 0 ? R.wq[0] : want);
        return;
    }
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        simple_finding(KFH_INV_FLT_DEFERRED_STATUS, where, "-", "the routine called at PASSIVE_LEVEL (FW-5)",
                       "IRQL %u", KeGetCurrentIrql());
        return;
    }
    R.wi_ran++;
    memmove(R.wq, R.wq + 1, (size_t)(--R.n_wq) * sizeof R.wq[0]);
    R.dw[k].queued = 0;
    int depth = R.wi_depth, action = R.dw[k].action, c = R.dw[k].cbd;
    char b[48], e[48];
    switch (action) {
    case KFH_WI_DO_FREE:
        dw_freed(k);
        FltFreeDeferredIoWorkItem(item);
        break;
    case KFH_WI_DO_REQUEUE: {
        /* Only on the callback data it was posted with, while the slot still holds it. */
        if (!R.cbd[c].live || R.cbd[c].d != data || R.cbd[c].uncertain) {
            kfh_trace_event("%*s  deferred routine of slot %d: its callback data is gone, no queue", 2 * depth, "", k);
            action = KFH_WI_DO_NOTHING;
            break;
        }
        kfh_dw_data ds;
        kfh_wi_pred pred;
        dw_data_state(c, KFH_DW_MIS_NONE, &ds);
        kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NONE, (ULONG)R.dw[k].type, &ds, &pred);
        int from = R.log_n;
        NTSTATUS st = dw_queue_call(k, item, data, 0, R.dw[k].type);
        if (R.log_n != from || st != pred.status) {
            simple_finding(KFH_INV_FLT_DEFERRED_STATUS, "FltQueueDeferredIoWorkItem", "-",
                           q_status_name(pred.status, e, sizeof e), "%s, %d consultation(s) [%s, FW-5]",
                           q_status_name(st, b, sizeof b), R.log_n - from, pred.rule);
            return;
        }
        if (st == STATUS_SUCCESS) {
            R.dw[k].queued = 1;
            R.wq[R.n_wq++] = KFH_WI_SLOTS + k;
        }
        reach("deferred routine: queued its item again, %s", q_status_name(st, b, sizeof b));
        break;
    }
    case KFH_WI_DO_BAD_IRQL: {
        KIRQL old;
        KeRaiseIrql(APC_LEVEL, &old);
        (void)old;
        kfh_oracle_wi_return(APC_LEVEL, &R.expect);
        break;
    }
    default:
        break;
    }
    kfh_trace_event("%*s  deferred routine of slot %d at PASSIVE_LEVEL: %s", 2 * depth, "", k, wi_do_text[action]);
    reach("deferred routine: %s", wi_do_text[action]);
}

static void exec_dw_alloc(const kfh_op *op)
{
    int k = op->a % KFH_DW_SLOTS;
    if (R.dw[k].live) {
        skip_event("%*s  skipped: the item slot holds an item", IND(op));
        return;
    }
    int over;
    PFLT_DEFERRED_IO_WORKITEM item =
        work_item_alloc("FltAllocateDeferredIoWorkItem", KFH_INV_FLT_DEFERRED_STATUS, allocate_deferred, &over);
    if (over)
        return;
    if (item) {
        struct dw_rec keep = R.dw[k];
        memset(&R.dw[k], 0, sizeof R.dw[k]);
        R.dw[k].stale = keep.stale;
        R.dw[k].stale_ok = keep.stale_ok;
        R.dw[k].freed_at = keep.freed_at;
        R.dw[k].mem = item;
        R.dw[k].live = 1;
        R.wi_allocs++; /* one allocator for both kinds: a stale pointer of either may come back */
    }
    kfh_trace_event("%*s  -> %s [FW-1]", IND(op), item ? "item" : "NULL");
    reach("FltAllocateDeferredIoWorkItem: %s", item ? "item" : "NULL");
}

static void exec_dw_queue(const kfh_op *op)
{
    int k = op->a % KFH_DW_SLOTS, c = op->b & 3, misuse = (op->b >> 2) % KFH_DW_MIS_COUNT;
    const char *why = R.flt_state != 1                              ? "no filter registered"
                      : misuse != KFH_DW_MIS_ITEM && !R.dw[k].live   ? "the item slot holds no item"
                      : misuse != KFH_DW_MIS_NULL_DATA && (!R.cbd[c].live || R.cbd[c].uncertain)
                          ? "the callback data slot holds no callback data"
                          : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    WORK_QUEUE_TYPE type = misuse == KFH_DW_MIS_QUEUE_TYPE ? HyperCriticalWorkQueue
                           : (op->c & KFH_WI_DELAYED)      ? DelayedWorkQueue
                                                           : CriticalWorkQueue;
    int item_state = misuse == KFH_DW_MIS_ITEM ? KFH_WI_ITEM_NONE
                     : R.dw[k].queued          ? KFH_WI_ITEM_QUEUED
                                               : KFH_WI_ITEM_IDLE;
    kfh_dw_data ds;
    dw_data_state(c, misuse, &ds);
    kfh_wi_pred pred;
    kfh_oracle_dw_queue(R.sh.irql, item_state, misuse, (ULONG)type, &ds, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    PFLT_DEFERRED_IO_WORKITEM item = misuse == KFH_DW_MIS_ITEM ? (PFLT_DEFERRED_IO_WORKITEM)wi_foreign : R.dw[k].mem;
    PFLT_CALLBACK_DATA data = misuse == KFH_DW_MIS_NULL_DATA ? NULL : R.cbd[c].d;
    if (misuse == KFH_DW_MIS_NOT_IRP)
        flags_clear_irp(data);
    int from = R.log_n;
    NTSTATUS st = dw_queue_call(k, item, data, misuse == KFH_DW_MIS_NULL_ROUTINE, type);
    flags_back();
    if (R.expect.stops) {
        missed_stop("FltQueueDeferredIoWorkItem");
        return;
    }
    if (R.cfg->model_lie == 8)
        st = st == STATUS_SUCCESS ? STATUS_FLT_DELETING_OBJECT : STATUS_SUCCESS; /* as if the model erred: FW-3 */
    char b[48], e[48];
    if (R.log_n != from || st != pred.status)
        simple_finding(KFH_INV_FLT_DEFERRED_STATUS, "FltQueueDeferredIoWorkItem", "-",
                       q_status_name(pred.status, e, sizeof e), "%s, %d consultation(s) [%s]",
                       q_status_name(st, b, sizeof b), R.log_n - from, pred.rule);
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        R.dw[k].cbd = (uint8_t)c;
        R.dw[k].action = (uint8_t)(op->c & 3);
        R.dw[k].data = data;
        R.dw[k].type = type;
        R.dw[k].queued = 1;
        R.wq[R.n_wq++] = KFH_WI_SLOTS + k;
    }
    kfh_trace_event("%*s  -> %s [%s]", IND(op), q_status_name(st, b, sizeof b), pred.rule);
    reach("FltQueueDeferredIoWorkItem: %s", b);
}

static void exec_dw_free(const kfh_op *op)
{
    int k = op->a % KFH_DW_SLOTS, variant = op->b % KFH_DW_FREE_COUNT;
    const char *why = NULL;
    if (variant == KFH_DW_FREE_SLOT && !R.dw[k].live)
        why = "the item slot holds no item";
    else if (variant == KFH_DW_FREE_AGAIN && !R.dw[k].stale_ok)
        why = "the slot freed no item";
    else if (variant == KFH_DW_FREE_AGAIN && R.dw[k].freed_at != R.wi_allocs)
        why = "an item was allocated since the slot's was freed: it may have its memory";
    else if (variant == KFH_DW_FREE_GENERIC && (k >= KFH_WI_SLOTS || !R.wi[k].live))
        why = "the generic item slot holds no item";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int item_state = variant != KFH_DW_FREE_SLOT ? KFH_WI_ITEM_NONE
                     : R.dw[k].queued          ? KFH_WI_ITEM_QUEUED
                                               : KFH_WI_ITEM_IDLE;
    PFLT_DEFERRED_IO_WORKITEM item = variant == KFH_DW_FREE_SLOT      ? R.dw[k].mem
                                     : variant == KFH_DW_FREE_AGAIN   ? R.dw[k].stale
                                     : variant == KFH_DW_FREE_GENERIC ? (PFLT_DEFERRED_IO_WORKITEM)R.wi[k].mem
                                                                      : (PFLT_DEFERRED_IO_WORKITEM)wi_foreign;
    if (work_item_free("FltFreeDeferredIoWorkItem", KFH_INV_FLT_DEFERRED_STATUS, free_deferred, item, item_state))
        return;
    dw_freed(k);
    kfh_trace_event("%*s  -> freed [FW-4]", IND(op));
    reach("FltFreeDeferredIoWorkItem: freed");
}

/* ---- Cancel-safe callback data queues (version 15; harness/oracle_fltq.c, FW-7 to FW-9, FX-13 to FX-15) ---- */

static FLT_CALLBACK_DATA_QUEUE cq_mem[KFH_CQ_QUEUES];
static FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT cq_ioctx[KFH_CBD_SLOTS]; /* the Context of callback data slot k */
static int cq_peekctx[KFH_CBD_SLOTS];                             /* PeekContext: the entry of slot k */
static int cq_insctx;                                             /* the InsertContext of every insert */

/* Checks that a queue callback is called for the operation in progress on its own queue, under
 * the lock or not as `locked` says; returns the queue's index, or -1 after a finding. */
static int cq_called(PFLT_CALLBACK_DATA_QUEUE q, const char *callback, int locked)
{
    int k = q >= cq_mem && q < cq_mem + KFH_CQ_QUEUES ? (int)(q - cq_mem) : -1;
    if (R.aborting)
        return -1;
    if (!R.cqc.routine || k != R.cqc.q)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine ? R.cqc.routine : "-", "-",
                       "a queue callback only inside an operation on its own queue (FW-7)", "%s of queue %d", callback,
                       k);
    else if (R.cqc.locked != locked)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-",
                       locked ? "the callback called under the queue's lock (FW-7)"
                              : "the callback called outside the queue's lock (FW-7, FW-8)",
                       "%s called %s it", callback, locked ? "outside" : "under");
    return R.aborting ? -1 : k;
}

/* A callback calls back into its own queue (misbehaviour reenter*): FW-7's 0x3922 is predicted. */
static void cq_reenter(int k)
{
    R.cqc.reentered = 1;
    FltCbdqEnable(&cq_mem[k]);
}

static VOID FLTAPI runner_cq_acquire(PFLT_CALLBACK_DATA_QUEUE q, PKIRQL irql)
{
    int k = cq_called(q, "Acquire", 0);
    R.cqc.acquires++;
    if (k >= 0 && R.cqc.bad == KFH_CQ_BAD_REENTER_ACQUIRE)
        cq_reenter(k);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (irql)
        *irql = old;
    else if (k >= 0)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-", "Acquire given a place for the IRQL (FW-7)",
                       "Irql NULL");
    R.cqc.stored = old;
    R.cqc.locked = 1;
}

static VOID FLTAPI runner_cq_release(PFLT_CALLBACK_DATA_QUEUE q, KIRQL irql)
{
    int k = cq_called(q, "Release", 1);
    R.cqc.releases++;
    if (k >= 0 && irql != R.cqc.stored)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-", "Release given the IRQL Acquire stored (FW-7)",
                       "IRQL %u, stored %u", irql, R.cqc.stored);
    R.cqc.locked = 0;
    if (k >= 0 && R.cqc.bad == KFH_CQ_BAD_REENTER_RELEASE)
        cq_reenter(k);
    if (R.cqc.bad != KFH_CQ_BAD_UNBALANCED)
        KeLowerIrql(irql);
}

static NTSTATUS FLTAPI runner_cq_insert(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID insert_context)
{
    int k = cq_called(q, "InsertIo", 1);
    R.cqc.inserts++;
    if (k < 0)
        return STATUS_UNSUCCESSFUL;
    if (d != R.cqc.data || insert_context != &cq_insctx) {
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-",
                       "InsertIo given the callback data and InsertContext inserted (FW-8)", "%s callback data, %s context",
                       d == R.cqc.data ? "the" : "other", insert_context == &cq_insctx ? "its" : "another");
        return STATUS_UNSUCCESSFUL;
    }
    if (R.cqc.bad == KFH_CQ_BAD_REENTER)
        cq_reenter(k);
    NTSTATUS st = R.cqc.answer == KFH_CQ_ANSWER_SUCCESS   ? STATUS_SUCCESS
                  : R.cqc.answer == KFH_CQ_ANSWER_PENDING ? STATUS_PENDING
                                                          : STATUS_INSUFFICIENT_RESOURCES;
    struct cq_rec *r = &R.cq[k];
    if (NT_SUCCESS(st)) {
        r->ent[r->n] = d;
        r->ctx[r->n++] = R.cqc.ctx;
    }
    return st;
}

static VOID FLTAPI runner_cq_remove(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    int k = cq_called(q, "RemoveIo", 1);
    R.cqc.removes++;
    if (k < 0)
        return;
    struct cq_rec *r = &R.cq[k];
    int at = 0;
    while (at < r->n && r->ent[at] != d)
        at++;
    if (at == r->n || d != R.cqc.data) {
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-", "RemoveIo given the entry taken out (FW-8)",
                       "%s callback data", at == r->n ? "unqueued" : "another queued");
        return;
    }
    r->n--;
    memmove(&r->ent[at], &r->ent[at + 1], (size_t)(r->n - at) * sizeof r->ent[0]);
    memmove(&r->ctx[at], &r->ctx[at + 1], (size_t)(r->n - at) * sizeof r->ctx[0]);
    R.cq_removed++;
    if (R.cqc.bad == KFH_CQ_BAD_REENTER)
        cq_reenter(k);
}

/* The first entry PeekContext selects: any (NULL), or the callback data of one slot; -1 none. */
static int cq_match(const struct cq_rec *r, PVOID peek)
{
    for (int i = 0; i < r->n; i++)
        if (!peek || r->ent[i] == R.cbd[(int *)peek - cq_peekctx].d)
            return i;
    return -1;
}

static PFLT_CALLBACK_DATA FLTAPI runner_cq_peek(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID peek)
{
    int k = cq_called(q, "PeekNextIo", 1);
    R.cqc.peeks++;
    if (k < 0)
        return NULL;
    if (d != NULL || peek != R.cqc.peek) {
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-",
                       "PeekNextIo from the head (Cbd NULL) with the PeekContext passed (FW-8)", "Cbd %s, %s PeekContext",
                       d ? "not NULL" : "NULL", peek == R.cqc.peek ? "its" : "another");
        return NULL;
    }
    if (R.cqc.bad == KFH_CQ_BAD_REENTER)
        cq_reenter(k);
    if (R.cqc.bad == KFH_CQ_BAD_PEEK_FOREIGN)
        return &flt_foreign;
    int at = cq_match(&R.cq[k], peek);
    R.cqc.data = at < 0 ? NULL : R.cq[k].ent[at];
    return R.cqc.data;
}

static VOID FLTAPI runner_cq_complete(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    int k = cq_called(q, "CompleteCanceledIo", 0);
    R.cqc.completes++;
    if (k < 0)
        return;
    if (d != R.cqc.data || R.cqc.removes != 1 || KeGetCurrentIrql() != R.sh.irql)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, R.cqc.routine, "-",
                       "CompleteCanceledIo with the canceled callback data, after RemoveIo and Release (FW-8)",
                       "%s callback data, %d RemoveIo, IRQL %u", d == R.cqc.data ? "the" : "other", R.cqc.removes,
                       KeGetCurrentIrql());
}

static const char *const cq_routines[] = {"FltCbdqInitialize", "FltCbdqInsertIo", "FltCbdqRemoveIo",
                                          "FltCbdqRemoveNextIo", "FltCbdqEnable", "FltCbdqDisable",
                                          "kf_flt_cbdq_cancel"};

/* The queue, if any, whose list holds d; its position in *at. */
static int cq_holding(PFLT_CALLBACK_DATA d, int *at)
{
    for (int q = 0; q < KFH_CQ_QUEUES; q++)
        for (int i = 0; d && i < R.cq[q].n; i++)
            if (R.cq[q].ent[i] == d) {
                *at = i;
                return q;
            }
    return -1;
}

static void exec_cq(const kfh_op *op)
{
    int q = op->a % KFH_CQ_QUEUES, code = op->code, c = op->b & 3, misuse = 0, at = -1;
    struct cq_rec *r = &R.cq[q];
    const char *routine = cq_routines[code - KFH_OP_CQ_INIT];
    kfh_cq_in in;
    memset(&in, 0, sizeof in);
    in.op = code;
    in.irql = R.sh.irql;
    in.initialized = r->initialized;
    in.enabled = r->enabled;
    int takes_bad = code == KFH_OP_CQ_INSERT || code == KFH_OP_CQ_REMOVE || code == KFH_OP_CQ_NEXT ||
                    code == KFH_OP_CQ_CANCEL;
    in.bad = takes_bad ? (op->c >> 2) % KFH_CQ_BAD_COUNT : 0;
    PFLT_CALLBACK_DATA data = NULL;
    PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT ctx = NULL;
    PVOID peek = NULL;
    const char *why = R.flt_state == 2 ? "the filter's state is unknown after a stop in FltUnregisterFilter"
                      : r->stuck       ? "a stop inside the queue's callbacks left its lock taken"
                                       : NULL;
    switch (code) {
    case KFH_OP_CQ_INIT:
        misuse = (op->b >> 2) % KFH_CQ_INIT_COUNT;
        in.init_misuse = misuse;
        if (!why && R.flt_state != 1)
            why = "no filter registered";
        else if (!why && misuse != 1 && misuse != KFH_CQ_INIT_FOREIGN_INSTANCE && !R.inst[c])
            why = "no instance on that volume";
        else if (!why && r->n)
            why = "the queue holds callback data: initializing it again would lose them";
        break;
    case KFH_OP_CQ_INSERT:
        misuse = (op->b >> 3) % KFH_CQ_MIS_COUNT;
        if (!why && misuse != KFH_CQ_MIS_NULL_CBD && (!R.cbd[c].live || R.cbd[c].uncertain))
            why = "the callback data slot holds no callback data";
        else if (!why && misuse != KFH_CQ_MIS_NULL_CBD && cq_holding(R.cbd[c].d, &at) >= 0 &&
                 cq_holding(R.cbd[c].d, &at) != q)
            why = "the callback data is in the other queue";
        else if (!why && r->n == (int)(sizeof r->ent / sizeof r->ent[0]))
            why = "the queue's record is full";
        data = misuse == KFH_CQ_MIS_NULL_CBD ? NULL : R.cbd[c].d;
        ctx = (op->b & 4) ? &cq_ioctx[c] : NULL;
        in.null_arg = data == NULL;
        in.not_irp = misuse == KFH_CQ_MIS_NOT_IRP;
        in.in_queue = data && cq_holding(data, &at) == q;
        in.answer = (op->c & 3) % KFH_CQ_ANSWER_COUNT;
        break;
    case KFH_OP_CQ_REMOVE:
        ctx = (op->b & 4) ? NULL : &cq_ioctx[c];
        in.null_arg = ctx == NULL;
        for (int i = 0; i < r->n && at < 0; i++)
            if (r->ctx[i] == c)
                at = i;
        in.found = at >= 0;
        data = at >= 0 ? r->ent[at] : NULL;
        break;
    case KFH_OP_CQ_NEXT:
        peek = op->b ? (PVOID)&cq_peekctx[(op->b - 1) % KFH_CBD_SLOTS] : NULL;
        at = cq_match(r, peek);
        in.found = at >= 0;
        data = at >= 0 ? r->ent[at] : NULL;
        break;
    case KFH_OP_CQ_CANCEL:
        if (!why && R.sh.irql > DISPATCH_LEVEL)
            why = "the I/O manager cancels at or below DISPATCH_LEVEL";
        data = R.cbd[c].d;
        in.in_queue = data && cq_holding(data, &at) == q;
        break;
    default:
        break;
    }
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    kfh_cq_pred pred;
    kfh_oracle_cq(&in, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    memset(&R.cqc, 0, sizeof R.cqc);
    R.cqc.routine = routine;
    R.cqc.q = q;
    R.cqc.op = code;
    R.cqc.bad = in.bad;
    R.cqc.answer = in.answer;
    R.cqc.ctx = ctx ? c : -1;
    R.cqc.data = data;
    R.cqc.peek = peek;
    if (in.not_irp)
        flags_clear_irp(data);
    int from = R.log_n, n_before = r->n, rc = 0;
    NTSTATUS st = STATUS_SUCCESS;
    PFLT_CALLBACK_DATA got = NULL;
    PFLT_INSTANCE inst = misuse == KFH_CQ_INIT_FOREIGN_INSTANCE ? (PFLT_INSTANCE)wi_foreign
                         : misuse == 1                         ? NULL
                                                               : R.inst[c];
    switch (code) {
    case KFH_OP_CQ_INIT:
        st = FltCbdqInitialize(inst, misuse == 2 ? NULL : &cq_mem[q], misuse == 3 ? NULL : runner_cq_insert,
                               misuse == 4 ? NULL : runner_cq_remove, misuse == 5 ? NULL : runner_cq_peek,
                               misuse == 6 ? NULL : runner_cq_acquire, misuse == 7 ? NULL : runner_cq_release,
                               misuse == 8 ? NULL : runner_cq_complete);
        break;
    case KFH_OP_CQ_INSERT:
        st = FltCbdqInsertIo(&cq_mem[q], data, ctx, &cq_insctx);
        break;
    case KFH_OP_CQ_REMOVE:
        got = FltCbdqRemoveIo(&cq_mem[q], ctx);
        break;
    case KFH_OP_CQ_NEXT:
        got = FltCbdqRemoveNextIo(&cq_mem[q], peek);
        break;
    case KFH_OP_CQ_ENABLE:
        FltCbdqEnable(&cq_mem[q]);
        break;
    case KFH_OP_CQ_DISABLE:
        FltCbdqDisable(&cq_mem[q]);
        break;
    default:
        rc = kf_flt_cbdq_cancel(&cq_mem[q], data);
        break;
    }
    flags_back();
    struct cq_call call = R.cqc;
    memset(&R.cqc, 0, sizeof R.cqc);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    if (R.aborting)
        return;
    if (R.cfg->model_lie == 8 && got)
        got = NULL; /* as if the model had answered a removal with nothing: FW-8 */
    int removal = code == KFH_OP_CQ_REMOVE || code == KFH_OP_CQ_NEXT || code == KFH_OP_CQ_CANCEL;
    int n_want = n_before + (code == KFH_OP_CQ_INSERT ? pred.changed : removal ? -pred.changed : 0);
    char b[48], e[48];
    if (R.log_n != from)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, routine, "-", "no site consulted", "%d consultation(s)",
                       R.log_n - from);
    else if (st != pred.status)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, routine, "-", q_status_name(pred.status, e, sizeof e), "%s [%s]",
                       q_status_name(st, b, sizeof b), pred.rule);
    else if ((code == KFH_OP_CQ_REMOVE || code == KFH_OP_CQ_NEXT) && got != (pred.returned == 0 ? data : NULL))
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, routine, "-",
                       pred.returned == 0 ? "the entry found (FW-8)" : "NULL (no entry matches, FW-8)", "%s [%s]",
                       got ? (got == data ? "the entry found" : "other callback data") : "NULL", pred.rule);
    else if (code == KFH_OP_CQ_CANCEL && rc != pred.returned)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, routine, "-", pred.returned ? "-1 (nothing to cancel)" : "0 (canceled)",
                       "%d [%s]", rc, pred.rule);
    else if (call.acquires != pred.locked || call.releases != pred.locked || call.inserts != pred.insert_io ||
             call.completes != pred.completed || (removal && call.removes != pred.changed) ||
             call.peeks != (code == KFH_OP_CQ_NEXT && pred.locked) || r->n != n_want)
        simple_finding(KFH_INV_FLT_CBDQ_STATUS, routine, "-", "the callbacks FW-7 and FW-8 call",
                       "Acquire %d, Release %d, InsertIo %d, RemoveIo %d, PeekNextIo %d, CompleteCanceledIo %d, "
                       "%d entries for %d [%s]",
                       call.acquires, call.releases, call.inserts, call.removes, call.peeks, call.completes, r->n,
                       n_want, pred.rule);
    if (R.aborting)
        return;
    const char *what = NULL;
    switch (code) {
    case KFH_OP_CQ_INIT:
        r->initialized = r->enabled = 1;
        what = "STATUS_SUCCESS";
        break;
    case KFH_OP_CQ_INSERT:
        what = q_status_name(st, b, sizeof b);
        break;
    case KFH_OP_CQ_REMOVE:
    case KFH_OP_CQ_NEXT:
        what = got ? "the entry" : "NULL";
        break;
    case KFH_OP_CQ_ENABLE:
    case KFH_OP_CQ_DISABLE:
        r->enabled = code == KFH_OP_CQ_ENABLE;
        what = r->enabled ? "enabled" : "disabled";
        break;
    default:
        what = rc ? "nothing to cancel" : "canceled, completed after the lock";
        break;
    }
    kfh_trace_event("%*s  -> %s, %d queued [%s]", IND(op), what, r->n, pred.rule);
    reach("%s: %s", routine, what);
}

/* ---- Communication ports (version 15; harness/oracle_fltport.c, SEMANTICS.md FP-*, FX-16..FX-19) ---- */

static int pc_srv_cookie[KFH_SERVER_SLOTS]; /* the ServerPortCookie of server slot j is &pc_srv_cookie[j] */
static int pc_cl_cookie[KFH_CLIENT_SLOTS];  /* the connection cookie of client slot k is &pc_cl_cookie[k] */
static long long port_foreign[4];           /* never a port or a security descriptor */

static size_t ports_held(void)
{
    size_t n = 0;
    for (int j = 0; j < KFH_SERVER_SLOTS; j++)
        n += R.srv[j].live != 0;
    for (int k = 0; k < KFH_CLIENT_SLOTS; k++)
        n += R.cl[k].port != NULL;
    for (int k = 0; k < KFH_SD_SLOTS; k++)
        n += R.sd[k].live != 0;
    return n;
}

static int port_known(PFLT_PORT p)
{
    for (int j = 0; j < KFH_SERVER_SLOTS; j++)
        if (R.srv[j].live && R.srv[j].mem == p)
            return 1;
    for (int k = 0; k < KFH_CLIENT_SLOTS; k++)
        if (R.cl[k].port == p)
            return 1;
    return 0;
}

/* The client slot whose connection cookie c is, or -1. */
static int pc_slot_of(PVOID c)
{
    int *p = (int *)c;
    return p >= pc_cl_cookie && p < pc_cl_cookie + KFH_CLIENT_SLOTS ? (int)(p - pc_cl_cookie) : -1;
}

static void port_trace_status(const kfh_op *op, const char *routine, NTSTATUS st, const char *rule)
{
    char b[48];
    const char *name = kfh_port_status_name(st, b, sizeof b);
    kfh_trace_event("%*s  -> %s [%s]", IND(op), name, rule);
    reach("%s: %s", routine, name);
}

/* The driver closes slot k's client port through its variable (FltCloseClientPort, FP-3). */
static void pc_close_client(int k)
{
    PFLT_PORT was = R.cl[k].port;
    FltCloseClientPort(R.filter, &R.cl[k].port);
    if (R.cl[k].port != NULL && !R.aborting)
        simple_finding(KFH_INV_FLT_PORT_STATUS, "FltCloseClientPort", "-", "*ClientPort NULL afterwards (FP-3)",
                       "the variable still holds the port");
    R.cl[k].port = NULL;
    if (R.cl[k].via)
        R.srv[R.cl[k].via - 1].conns--;
    R.cl[k].via = 0;
    R.cl[k].stale = was;
    R.cl[k].stale_ok = 1;
    R.cl[k].closed_at = R.port_allocs;
    R.cl[k].gone = R.cl[k].number != 0;
}

/* ConnectNotifyCallback: checks what it is given; the first context byte's bit 0 refuses the
 * connection, bit 1 tells the disconnect callback to leave the port open (FX-16). */
static NTSTATUS FLTAPI runner_port_connect(PFLT_PORT client, PVOID server_cookie, PVOID ctx, ULONG size,
                                           PVOID *cookie)
{
    if (R.aborting)
        return STATUS_ACCESS_DENIED;
    int k = R.pc_connect_slot;
    const char *bad = NULL;
    if (k < 0 || R.pc_connect_calls++)
        bad = "no ConnectNotifyCallback but one for the connect the application makes (FP-7)";
    else if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        bad = "ConnectNotifyCallback at PASSIVE_LEVEL (FP-7)";
    else if (server_cookie != &pc_srv_cookie[R.pc_connect_srv])
        bad = "the ServerPortCookie of the port connected to (FP-7)";
    else if (!client || port_known(client))
        bad = "a new ClientPort (FP-7)";
    else if (!cookie)
        bad = "a ConnectionPortCookie to fill (FP-7)";
    else if (size != R.pc_ctx_size || (size ? ctx == NULL || memcmp(ctx, R.pc_ctx, size) != 0 : ctx != NULL))
        bad = "the application's context, exactly its size and bytes, NULL and 0 without one (FP-7)";
    if (bad) {
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "ConnectNotifyCallback", "-", bad,
                       "slot %d, context of %lu byte(s) where %lu were passed", k, (unsigned long)size,
                       (unsigned long)R.pc_ctx_size);
        return STATUS_ACCESS_DENIED;
    }
    UCHAR first = size ? ((const UCHAR *)ctx)[0] : 0;
    if (first & 1)
        return STATUS_ACCESS_DENIED;
    R.cl[k].port = client;
    R.cl[k].keep = (first & 2) != 0;
    *cookie = &pc_cl_cookie[k];
    return STATUS_SUCCESS;
}

/* MessageNotifyCallback: checks the buffers; claims as many output bytes as the first input
 * byte says (0 without input) and writes that many, as far as the output buffer goes (FX-16). */
static NTSTATUS FLTAPI runner_port_message(PVOID cookie, PVOID in, ULONG in_len, PVOID out, ULONG out_len,
                                           PULONG returned)
{
    if (R.aborting)
        return STATUS_SUCCESS;
    int k = R.pc_msg_slot;
    const char *bad = NULL;
    if (k < 0 || R.pc_msg_calls++)
        bad = "no MessageNotifyCallback but one for the application's send (FP-7)";
    else if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        bad = "MessageNotifyCallback at PASSIVE_LEVEL (FP-7)";
    else if (cookie != &pc_cl_cookie[k])
        bad = "the connection's cookie (FP-7)";
    else if ((in == NULL) != R.pc_in_null || in_len != R.pc_in ||
             (in && in_len && memcmp(in, R.pc_in_bytes, in_len) != 0))
        bad = "the application's input, exactly its size and bytes, NULL and 0 without one (FP-7)";
    else if ((out == NULL) != R.pc_out_null || out_len != R.pc_out || !returned)
        bad = "an output buffer of exactly the size offered, NULL and 0 without one (FP-7)";
    if (bad) {
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "MessageNotifyCallback", "-", bad,
                       "slot %d, input %s%lu byte(s) (%lu sent), output %s%lu (%lu offered)", k, in ? "" : "NULL, ",
                       (unsigned long)in_len, (unsigned long)R.pc_in, out ? "" : "NULL, ", (unsigned long)out_len,
                       (unsigned long)R.pc_out);
        if (returned)
            *returned = 0;
        return STATUS_SUCCESS;
    }
    ULONG claim = in && in_len ? ((const UCHAR *)in)[0] : 0;
    for (ULONG i = 0; out && i < claim && i < out_len; i++)
        ((UCHAR *)out)[i] = (UCHAR)(0xC0 + i);
    *returned = claim;
    return STATUS_SUCCESS;
}

/* DisconnectNotifyCallback: the application closed its handle (or the filter unregisters); the
 * driver closes its client port unless the connection said to keep it. */
static VOID FLTAPI runner_port_disconnect(PVOID cookie)
{
    if (R.aborting)
        return;
    int k = pc_slot_of(cookie);
    if (k < 0 || !(R.pc_disc_mask & (1u << k)) || KeGetCurrentIrql() != PASSIVE_LEVEL) {
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "DisconnectNotifyCallback", "-",
                       "once for each connection whose application handle closes, at PASSIVE_LEVEL, with its cookie "
                       "(FP-5, FP-7, FP-8)",
                       "slot %d at IRQL %u, expected mask 0x%x", k, KeGetCurrentIrql(), R.pc_disc_mask);
        return;
    }
    R.pc_disc_mask &= ~(1u << k);
    R.cl[k].number = 0;
    R.cl[k].gone = 0;
    if (!R.cl[k].keep && R.cl[k].port)
        pc_close_client(k);
}

/* FP-8: which connections FltUnregisterFilter disconnects and what then remains open. */
static void port_unregister_begin(kfh_stop_pred *stop, unsigned *disconnects)
{
    size_t servers = 0, clients = 0;
    unsigned mask = 0;
    for (int k = 0; k < KFH_CLIENT_SLOTS; k++) {
        int held = R.cl[k].number && !R.cl[k].gone;
        mask |= held ? 1u << k : 0;
        clients += R.cl[k].port != NULL && !(held && !R.cl[k].keep);
    }
    for (int j = 0; j < KFH_SERVER_SLOTS; j++)
        servers += R.srv[j].live != 0;
    R.pc_disc_mask = mask;
    *disconnects = mask;
    kfh_oracle_port_unregister(servers, clients, stop);
}

/* The end of a run: the application closes its handles, the driver its ports and descriptors,
 * as a driver unloading does. After a stop in FltUnregisterFilter the ports stay for kf_reset. */
static void port_finish(void)
{
    kf_set_irql(PASSIVE_LEVEL);
    if (R.flt_state == 1) {
        for (int k = 0; k < KFH_CLIENT_SLOTS && !R.aborting; k++)
            if (R.cl[k].number && !R.cl[k].gone) {
                R.pc_disc_mask = 1u << k;
                kf_flt_client_disconnect(R.cl[k].number);
                R.pc_disc_mask = 0;
            }
        for (int k = 0; k < KFH_CLIENT_SLOTS && !R.aborting; k++)
            if (R.cl[k].port)
                pc_close_client(k);
        for (int j = 0; j < KFH_SERVER_SLOTS && !R.aborting; j++)
            if (R.srv[j].live) {
                R.srv[j].live = 0;
                FltCloseCommunicationPort(R.srv[j].mem);
            }
    }
    for (int k = 0; k < KFH_SD_SLOTS && !R.aborting; k++)
        if (R.sd[k].live) {
            R.sd[k].live = 0;
            FltFreeSecurityDescriptor(R.sd[k].mem);
        }
}

/* The first n bytes of the message buffer (zeros past what msg_word appended) into out; the
 * buffer is empty afterwards (FH-7's buffer, for the runner's client). */
static void pc_take_msg(UCHAR *out, ULONG n)
{
    memset(out, 0, n);
    memcpy(out, R.msg, n < R.msg_len ? n : R.msg_len);
    R.msg_len = 0;
}

/* Checks the consultations of call that began at log index `from` against pred.n_sites at site. */
static int pc_sites_ok(int from, int n_sites, kf_site site, const char *routine, const char *rule)
{
    if (R.log_n - from == n_sites && (n_sites == 0 || (from < LOG_MAX && R.log_site[from] == site)))
        return 1;
    simple_finding(KFH_INV_FLT_PORT_STATUS, routine, kf_site_get(site)->name, "the site consulted as the rules say",
                   "%d consultation(s), %d predicted [%s]", R.log_n - from, n_sites, rule);
    return 0;
}

static kf_fault_kind pc_decided(int from)
{
    return R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE;
}

static void pc_connect(const kfh_op *op, int k)
{
    static UCHAR ctx[KFH_MSG_MAX];
    ULONG n = op->size_raw;
    pc_take_msg(ctx, n);
    const char *why = R.flt_state == 2       ? "the filter's state is unknown after a stop in FltUnregisterFilter"
                      : R.cl[k].number       ? "the slot holds a connection"
                      : R.cl[k].port         ? "the driver still holds the slot's client port"
                      : R.connects >= KF_FLT_MAX_CLIENTS ? "the model numbers at most 16 clients in a run"
                                             : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    /* The application names the port exactly; a port created case-insensitive matches any case. */
    int j = -1;
    const char *want = kfh_port_name_text(op->b);
    for (int i = 0; i < KFH_SERVER_SLOTS && j < 0; i++) {
        const char *have = kfh_port_name_text(R.srv[i].name);
        if (R.srv[i].live && (R.srv[i].ci ? !strcasecmp(have, want) : !strcmp(have, want)))
            j = i;
    }
    int refused = n && (ctx[0] & 1);
    kfh_port_pred pred;
    kfh_oracle_client_connect(j >= 0, j >= 0 ? R.srv[j].conns : 0, j >= 0 ? R.srv[j].max : 0, refused, &pred);
    int called = j >= 0 && R.srv[j].conns < R.srv[j].max;
    if (called) {
        R.connects++;
        R.port_allocs++;
    }
    R.pc_connect_slot = called ? k : -1;
    R.pc_connect_srv = j;
    R.pc_connect_calls = 0;
    R.pc_ctx_size = n;
    R.pc_ctx = ctx;
    unsigned number = 0;
    int from = R.log_n;
    NTSTATUS st = kf_flt_client_connect(kfh_port_name_at(op->b), n ? ctx : NULL, n, &number);
    R.pc_connect_slot = -1;
    if (R.aborting)
        return;
    char b[48], e[48];
    if (st != pred.status || R.log_n != from || (number != 0) != (st == STATUS_SUCCESS))
        simple_finding(KFH_INV_FLT_PORT_STATUS, "kf_flt_client_connect", "-",
                       kfh_port_status_name(pred.status, e, sizeof e), "%s, client %u, %d consultation(s) [%s]",
                       kfh_port_status_name(st, b, sizeof b), number, R.log_n - from, pred.rule);
    else if (R.pc_connect_calls != called)
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "kf_flt_client_connect", "-",
                       called ? "ConnectNotifyCallback once (FP-7)" : "no ConnectNotifyCallback (FP-7)", "%d call(s)",
                       R.pc_connect_calls);
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        R.cl[k].number = number;
        R.cl[k].via = j + 1;
        R.cl[k].gone = 0;
        R.cl[k].has_msg = !R.srv[j].no_msg;
        R.cl[k].answer = KFH_ANSWER_REPLY;
        R.cl[k].reply_size = 0;
        R.srv[j].conns++;
    } else {
        R.cl[k].port = NULL;
    }
    kfh_trace_event("%*s  client %d: connect %s with %lu context byte(s)", IND(op), k, want, (unsigned long)n);
    port_trace_status(op, "kf_flt_client_connect", st, pred.rule);
}

static void pc_send(const kfh_op *op, int k)
{
    static UCHAR in[KFH_MSG_MAX], out[KFH_MSG_MAX];
    ULONG in_size = KFH_SEND_IN(op), out_size = KFH_SEND_OUT(op), returned = 0;
    int no_in = (op->b & KFH_SEND_NO_INPUT) != 0, no_out = (op->b & KFH_SEND_NO_OUTPUT) != 0;
    pc_take_msg(in, in_size);
    const char *why = R.flt_state == 2 ? "the filter's state is unknown after a stop in FltUnregisterFilter"
                      : !R.cl[k].number ? "no connection in the slot"
                                        : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    ULONG claim = !no_in && in_size ? in[0] : 0;
    kfh_port_pred pred;
    kfh_oracle_client_send(!R.cl[k].gone, R.cl[k].has_msg, claim, !no_out, out_size, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int called = !R.cl[k].gone && R.cl[k].has_msg;
    R.pc_msg_slot = called ? k : -1;
    R.pc_msg_calls = 0;
    R.pc_in_null = no_in;
    R.pc_out_null = no_out;
    R.pc_in = no_in ? 0 : in_size + (R.cfg->model_lie == 11); /* as if the model handed one byte less */
    R.pc_out = no_out ? 0 : out_size;
    R.pc_in_bytes = in;
    memset(out, 0x5A, sizeof out);
    int from = R.log_n;
    NTSTATUS st = kf_flt_client_send(R.cl[k].number, no_in ? NULL : in, in_size, no_out ? NULL : out, out_size,
                                     &returned);
    R.pc_msg_slot = -1;
    if (R.expect.stops) {
        missed_stop("kf_flt_client_send");
        return;
    }
    if (R.aborting)
        return;
    char b[48], e[48];
    int bytes_ok = 1;
    for (ULONG i = 0; st == STATUS_SUCCESS && !no_out && i < returned && i < out_size; i++)
        bytes_ok &= out[i] == (UCHAR)(0xC0 + i);
    if (st != pred.status || R.log_n != from || (st == STATUS_SUCCESS && (returned != pred.reply_length || !bytes_ok)))
        simple_finding(KFH_INV_FLT_PORT_STATUS, "kf_flt_client_send", "-",
                       kfh_port_status_name(pred.status, e, sizeof e),
                       "%s, %lu byte(s) returned (%lu predicted)%s [%s]", kfh_port_status_name(st, b, sizeof b),
                       (unsigned long)returned, (unsigned long)pred.reply_length,
                       bytes_ok ? "" : ", not the bytes the callback wrote", pred.rule);
    else if (R.pc_msg_calls != called)
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "kf_flt_client_send", "-",
                       called ? "MessageNotifyCallback once (FP-7)" : "no MessageNotifyCallback (FP-7)", "%d call(s)",
                       R.pc_msg_calls);
    if (R.aborting)
        return;
    kfh_trace_event("%*s  client %d: send %s%lu byte(s), output %s%lu, %lu returned", IND(op), k,
                    no_in ? "no input, " : "", (unsigned long)in_size, no_out ? "none, " : "", (unsigned long)out_size,
                    (unsigned long)returned);
    port_trace_status(op, "kf_flt_client_send", st, pred.rule);
}

static void pc_answer(const kfh_op *op, int k)
{
    static UCHAR reply[KFH_MSG_MAX];
    ULONG n = op->size_raw;
    pc_take_msg(reply, n);
    const char *why = R.flt_state == 2 ? "the filter's state is unknown after a stop in FltUnregisterFilter"
                      : !R.cl[k].number ? "no connection in the slot"
                                        : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int rc = kf_flt_client_set_answer(R.cl[k].number, (kf_flt_answer)op->b, n ? reply : NULL, n);
    if (rc != (R.cl[k].gone ? -1 : 0)) {
        simple_finding(KFH_INV_FLT_PORT_STATUS, "kf_flt_client_set_answer", "-",
                       R.cl[k].gone ? "-1: the driver closed the connection" : "0: the connection is open", "%d", rc);
        return;
    }
    R.cl[k].answer = op->b % KFH_ANSWER_COUNT;
    R.cl[k].reply_size = n;
    memcpy(R.cl[k].reply, reply, n);
    kfh_trace_event("%*s  client %d: answer %s with %lu byte(s)%s", IND(op), k, kfh_answer_name(op->b),
                    (unsigned long)n, rc ? ": the connection is gone" : "");
    reach("kf_flt_client_set_answer: %s", rc ? "the connection is gone" : "set");
}

static void pc_disconnect(const kfh_op *op, int k)
{
    const char *why = R.flt_state == 2 ? "the filter's state is unknown after a stop in FltUnregisterFilter"
                      : !R.cl[k].number ? "no connection in the slot"
                                        : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int gone = R.cl[k].gone;
    R.pc_disc_mask = gone ? 0 : 1u << k;
    int rc = kf_flt_client_disconnect(R.cl[k].number);
    if (R.aborting)
        return;
    if (rc != (gone ? -1 : 0) || R.pc_disc_mask)
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "kf_flt_client_disconnect", "-",
                       gone ? "-1 and no callback: the driver closed the connection"
                            : "DisconnectNotifyCallback with the connection's cookie (FP-7)",
                       "%d, callback %s", rc, R.pc_disc_mask ? "not called" : "called or not due");
    R.pc_disc_mask = 0;
    R.cl[k].number = 0;
    R.cl[k].gone = 0;
    kfh_trace_event("%*s  client %d: disconnect%s", IND(op), k, gone ? ": the connection was gone" : "");
    reach("kf_flt_client_disconnect: %s", gone ? "the connection was gone" : "DisconnectNotifyCallback ran");
}

/* The version-4 steps: the runner plays the application of its own ports. */
static void exec_client(const kfh_op *op)
{
    int k = op->a % KFH_CLIENT_SLOTS;
    kf_set_irql(PASSIVE_LEVEL); /* the application is user mode */
    switch (op->code) {
    case KFH_OP_MSG_WORD:
        if (R.msg_len + 4 > KFH_MSG_MAX) {
            kfh_trace_event("%*s  message buffer full (%d bytes): word dropped", IND(op), KFH_MSG_MAX);
            break;
        }
        for (int b = 0; b < 4; b++)
            R.msg[R.msg_len++] = (UCHAR)(op->size_raw >> (8 * b));
        break;
    case KFH_OP_PORT_CONNECT:
        pc_connect(op, k);
        break;
    case KFH_OP_MSG_SEND:
        pc_send(op, k);
        break;
    case KFH_OP_PORT_ANSWER:
        pc_answer(op, k);
        break;
    default:
        pc_disconnect(op, k);
        break;
    }
    kf_set_irql(R.sh.irql);
}

static void exec_sd_build(const kfh_op *op)
{
    int k = op->a % KFH_SD_SLOTS, null = op->b & 1;
    if (R.sd[k].live) {
        skip_event("%*s  skipped: the descriptor slot holds one", IND(op));
        return;
    }
    kfh_port_pred pred;
    kfh_oracle_sd_build(R.sh.irql, null, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    PSECURITY_DESCRIPTOR sd = (PSECURITY_DESCRIPTOR)port_foreign; /* must become the descriptor or NULL */
    int from = R.log_n;
    NTSTATUS st = FltBuildDefaultSecurityDescriptor(null ? NULL : &sd, FLT_PORT_ALL_ACCESS);
    if (R.expect.stops) {
        missed_stop("FltBuildDefaultSecurityDescriptor");
        return;
    }
    kfh_oracle_sd_build(R.sh.irql, null, pc_decided(from), &pred);
    char b[48], e[48];
    if (pc_sites_ok(from, pred.n_sites, KF_SITE_FLT_PORT_SD, "FltBuildDefaultSecurityDescriptor", pred.rule) &&
        (st != pred.status || (sd != NULL) != (st == STATUS_SUCCESS) || sd == (PSECURITY_DESCRIPTOR)port_foreign))
        simple_finding(KFH_INV_FLT_PORT_STATUS, "FltBuildDefaultSecurityDescriptor", "flt.port.sd",
                       kfh_port_status_name(pred.status, e, sizeof e), "%s, *SecurityDescriptor %s [FP-1]",
                       kfh_port_status_name(st, b, sizeof b), sd ? "set" : "NULL");
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        R.sd[k].mem = sd;
        R.sd[k].live = 1;
        R.sd_builds++;
    }
    port_trace_status(op, "FltBuildDefaultSecurityDescriptor", st, pred.rule);
}

static void exec_sd_free(const kfh_op *op)
{
    int k = op->a % KFH_SD_SLOTS, variant = op->b % KFH_SD_FREE_COUNT;
    const char *why = variant == KFH_SD_FREE_SLOT && !R.sd[k].live    ? "the descriptor slot holds none"
                      : variant == KFH_SD_FREE_AGAIN && !R.sd[k].stale_ok ? "the slot freed no descriptor"
                      : variant == KFH_SD_FREE_AGAIN && R.sd[k].freed_at != R.sd_builds
                          ? "a descriptor was built since the slot's was freed: it may have its memory"
                          : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int state = variant == KFH_SD_FREE_SLOT   ? KFH_PORT_LIVE
                : variant == KFH_SD_FREE_NULL ? KFH_PORT_NULL
                                              : KFH_PORT_NONE;
    PSECURITY_DESCRIPTOR sd = variant == KFH_SD_FREE_SLOT    ? R.sd[k].mem
                              : variant == KFH_SD_FREE_AGAIN ? R.sd[k].stale
                              : variant == KFH_SD_FREE_NULL  ? NULL
                                                             : (PSECURITY_DESCRIPTOR)port_foreign;
    kfh_port_pred pred;
    kfh_oracle_sd_free(R.sh.irql, state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    FltFreeSecurityDescriptor(sd);
    if (R.expect.stops) {
        missed_stop("FltFreeSecurityDescriptor");
        return;
    }
    pc_sites_ok(from, 0, KF_SITE_FLT_PORT_SD, "FltFreeSecurityDescriptor", pred.rule);
    if (R.aborting)
        return;
    R.sd[k].live = R.cfg->model_lie == 10; /* 10: as if the model had kept it (FP-1) */
    R.sd[k].stale = sd;
    R.sd[k].stale_ok = 1;
    R.sd[k].freed_at = R.sd_builds;
    kfh_trace_event("%*s  -> freed [FP-1]", IND(op));
    reach("FltFreeSecurityDescriptor: freed");
}

static void exec_port_create(const kfh_op *op)
{
    int k = op->a % KFH_SERVER_SLOTS, name = op->b & 3, ci = (op->b & KFH_PC_CASE) != 0;
    int no_msg = (op->b & KFH_PC_NO_MESSAGE) != 0, misuse = op->c % KFH_PC_MIS_COUNT;
    LONG max = (op->b >> 2) & 3;
    const char *why = R.flt_state != 1 ? "no filter registered" : R.srv[k].live ? "the server slot holds a port" : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    /* FP-2: a name an open server port has, compared without case when either asked for that. */
    int collides = 0;
    for (int j = 0; j < KFH_SERVER_SLOTS; j++) {
        const char *a = kfh_port_name_text(name), *b = kfh_port_name_text(R.srv[j].name);
        collides |= R.srv[j].live && ((ci || R.srv[j].ci) ? !strcasecmp(a, b) : !strcmp(a, b));
    }
    kfh_port_pred pred;
    kfh_oracle_port_create(R.sh.irql, misuse, max, collides, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    UNICODE_STRING us;
    const WCHAR *w = kfh_port_name_at(name);
    USHORT chars = 0;
    while (w[chars])
        chars++;
    us.Buffer = (PWCH)w;
    us.Length = (USHORT)(chars * sizeof(WCHAR));
    us.MaximumLength = us.Length;
    OBJECT_ATTRIBUTES oa;
    memset(&oa, 0, sizeof oa);
    oa.Length = sizeof oa;
    oa.ObjectName = misuse == KFH_PC_MIS_NO_NAME ? NULL : &us;
    oa.Attributes = (misuse == KFH_PC_MIS_USER_HANDLE ? 0 : OBJ_KERNEL_HANDLE) | (ci ? OBJ_CASE_INSENSITIVE : 0);
    oa.SecurityDescriptor = R.sd[0].live ? R.sd[0].mem : NULL;
    PFLT_PORT port = (PFLT_PORT)port_foreign; /* must become the port or NULL */
    int from = R.log_n;
    NTSTATUS st = FltCreateCommunicationPort(R.filter, misuse == KFH_PC_MIS_NULL_PORT ? NULL : &port,
                                             misuse == KFH_PC_MIS_NULL_ATTRIBUTES ? NULL : &oa, &pc_srv_cookie[k],
                                             misuse == KFH_PC_MIS_NULL_CONNECT ? NULL : runner_port_connect,
                                             misuse == KFH_PC_MIS_NULL_DISCONNECT ? NULL : runner_port_disconnect,
                                             no_msg ? NULL : runner_port_message, max);
    if (R.expect.stops) {
        missed_stop("FltCreateCommunicationPort");
        return;
    }
    kfh_oracle_port_create(R.sh.irql, misuse, max, collides, pc_decided(from), &pred);
    char b[48], e[48];
    if (pc_sites_ok(from, pred.n_sites, KF_SITE_FLT_PORT, "FltCreateCommunicationPort", pred.rule) &&
        (st != pred.status || (port != NULL) != (st == STATUS_SUCCESS) || port == (PFLT_PORT)port_foreign))
        simple_finding(KFH_INV_FLT_PORT_STATUS, "FltCreateCommunicationPort", "flt.port",
                       kfh_port_status_name(pred.status, e, sizeof e), "%s, *ServerPort %s [FP-2]",
                       kfh_port_status_name(st, b, sizeof b), port ? "set" : "NULL");
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        struct srv_rec keep = R.srv[k];
        memset(&R.srv[k], 0, sizeof R.srv[k]);
        R.srv[k].stale = keep.stale;
        R.srv[k].stale_ok = keep.stale_ok;
        R.srv[k].closed_at = keep.closed_at;
        R.srv[k].mem = port;
        R.srv[k].live = 1;
        R.srv[k].ci = ci;
        R.srv[k].no_msg = no_msg;
        R.srv[k].name = (uint8_t)name;
        R.srv[k].max = max;
        R.port_allocs++;
    }
    port_trace_status(op, "FltCreateCommunicationPort", st, pred.rule);
}

static void exec_port_close(const kfh_op *op)
{
    int k = op->a % KFH_SERVER_SLOTS, variant = op->b % KFH_PCL_COUNT;
    const char *why = variant == KFH_PCL_SLOT && !R.srv[k].live      ? "the server slot holds no port"
                      : variant == KFH_PCL_AGAIN && !R.srv[k].stale_ok ? "the slot closed no port"
                      : variant == KFH_PCL_AGAIN && R.srv[k].closed_at != R.port_allocs
                          ? "a port was created or connected since the slot's was closed: it may have its memory"
                          : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int state = variant == KFH_PCL_SLOT ? KFH_PORT_LIVE : variant == KFH_PCL_NULL ? KFH_PORT_NULL : KFH_PORT_NONE;
    PFLT_PORT port = variant == KFH_PCL_SLOT    ? R.srv[k].mem
                     : variant == KFH_PCL_AGAIN ? R.srv[k].stale
                     : variant == KFH_PCL_NULL  ? NULL
                                                : (PFLT_PORT)port_foreign;
    kfh_port_pred pred;
    kfh_oracle_port_close(R.sh.irql, state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    FltCloseCommunicationPort(port);
    if (R.expect.stops) {
        missed_stop("FltCloseCommunicationPort");
        return;
    }
    pc_sites_ok(from, 0, KF_SITE_FLT_PORT, "FltCloseCommunicationPort", pred.rule);
    R.srv[k].live = 0;
    R.srv[k].stale = port;
    R.srv[k].stale_ok = 1;
    R.srv[k].closed_at = R.port_allocs;
    /* The connections made through it stay, no longer counted against it (FP-3). */
    for (int c = 0; c < KFH_CLIENT_SLOTS; c++)
        if (R.cl[c].via == k + 1)
            R.cl[c].via = 0;
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> closed [FP-3]", IND(op));
    reach("FltCloseCommunicationPort: closed");
}

static int pc_open_server(void)
{
    for (int j = 0; j < KFH_SERVER_SLOTS; j++)
        if (R.srv[j].live)
            return j;
    return -1;
}

static void exec_port_close_client(const kfh_op *op)
{
    int k = op->a % KFH_CLIENT_SLOTS, variant = op->b % KFH_PCC_COUNT;
    const char *why = R.flt_state != 1                                  ? "no filter registered"
                      : variant == KFH_PCC_COPY && !R.cl[k].stale_ok      ? "the slot's variable closed no port"
                      : variant == KFH_PCC_COPY && R.cl[k].closed_at != R.port_allocs
                          ? "a port was created or connected since the slot's was closed: it may have its memory"
                      : variant == KFH_PCC_SERVER && pc_open_server() < 0 ? "no server port open"
                                                                          : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int state = variant == KFH_PCC_SLOT ? (R.cl[k].port ? KFH_PORT_LIVE : KFH_PORT_NULL) : KFH_PORT_NONE;
    kfh_port_pred pred;
    kfh_oracle_port_close_client(R.sh.irql, variant == KFH_PCC_NULL, state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    if (variant == KFH_PCC_SLOT && state == KFH_PORT_LIVE) {
        pc_close_client(k);
    } else {
        PFLT_PORT copy = variant == KFH_PCC_COPY     ? R.cl[k].stale
                         : variant == KFH_PCC_SERVER ? R.srv[pc_open_server()].mem
                                                     : NULL;
        FltCloseClientPort(R.filter, variant == KFH_PCC_NULL ? NULL : variant == KFH_PCC_SLOT ? &R.cl[k].port : &copy);
    }
    if (R.expect.stops) {
        missed_stop("FltCloseClientPort");
        return;
    }
    pc_sites_ok(from, 0, KF_SITE_FLT_PORT, "FltCloseClientPort", pred.rule);
    if (R.aborting)
        return;
    const char *what = state == KFH_PORT_LIVE ? "closed" : "nothing to close (*ClientPort NULL)";
    kfh_trace_event("%*s  -> %s [FP-3]", IND(op), what);
    reach("FltCloseClientPort: %s", what);
}

static void exec_port_send(const kfh_op *op)
{
    int k = op->a % KFH_CLIENT_SLOTS, misuse = (op->size_sel >> 2) % KFH_PS_MIS_COUNT, timeout = op->size_sel & 3;
    int with_reply = (op->c & KFH_PS_REPLY) != 0;
    ULONG room = op->c & 0x7Fu, in_size = op->b;
    const char *why = R.flt_state != 1                                       ? "no filter registered"
                      : misuse == KFH_PS_MIS_SERVER && pc_open_server() < 0 ? "no server port open"
                                                                             : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int state = R.cl[k].port ? KFH_PORT_LIVE : KFH_PORT_NULL;
    int app_open = R.cl[k].number != 0;
    kfh_port_pred pred;
    kfh_oracle_port_send(R.sh.irql, misuse, state, app_open, R.cl[k].answer, R.cl[k].reply_size, with_reply, room,
                         timeout, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    static UCHAR sender[256], reply[128];
    for (ULONG i = 0; i < sizeof sender; i++)
        sender[i] = (UCHAR)(0x30 + i + (ULONG)k);
    memset(reply, 0xEE, sizeof reply);
    ULONG rlen = room;
    LARGE_INTEGER t;
    t.QuadPart = timeout == KFH_PS_T_RELATIVE ? -100000 : timeout == KFH_PS_T_ABSOLUTE ? 1 : 0;
    PFLT_PORT server = misuse == KFH_PS_MIS_SERVER ? R.srv[pc_open_server()].mem : NULL;
    unsigned number = R.cl[k].number;
    /* Messages read before (a stop after the read, 0x3902, leaves the count one up). */
    unsigned read_before = number ? kf_flt_client_messages(number) : 0;
    /* Reading the modeled clock moves it by one step: the step is measured, then left out. */
    ULONGLONG c0 = KeQueryInterruptTime(), clock = KeQueryInterruptTime(), step = clock - c0;
    int from = R.log_n;
    R.pc_disc_mask = 0;
    /* The application that reads and closes its handle: its disconnect callback runs inside (FP-5). */
    int disc_allowed = pred.disconnects; /* as predicted with the site granted */
    R.pc_stop_needs_site = pred.stop.stops && pred.n_sites;
    if (disc_allowed)
        R.pc_disc_mask = 1u << k; /* whether it runs depends on the site too: checked after the call */
    NTSTATUS st = FltSendMessage(R.filter,
                                 misuse == KFH_PS_MIS_NULL_PORT ? NULL : misuse == KFH_PS_MIS_SERVER ? &server
                                                                                                  : &R.cl[k].port,
                                 misuse == KFH_PS_MIS_NULL_SENDER ? NULL : sender, in_size, with_reply ? reply : NULL,
                                 with_reply && misuse != KFH_PS_MIS_NO_LENGTH ? &rlen : NULL,
                                 timeout == KFH_PS_T_NONE ? NULL : &t);
    R.pc_stop_needs_site = 0;
    if (R.expect.stops) {
        missed_stop("FltSendMessage");
        return;
    }
    if (R.aborting)
        return;
    kfh_oracle_port_send(R.sh.irql, misuse, state, app_open, R.cl[k].answer, R.cl[k].reply_size, with_reply, room,
                         timeout, pc_decided(from), &pred);
    char b[48], e[48];
    ULONGLONG waited = KeQueryInterruptTime() - clock - step;
    ULONGLONG want_wait = pred.waits && timeout == KFH_PS_T_RELATIVE ? 100000 : 0;
    int reply_ok = !with_reply || (rlen == pred.reply_length &&
                                   (pred.status != STATUS_SUCCESS && pred.status != STATUS_BUFFER_OVERFLOW
                                        ? 1
                                        : memcmp(reply, R.cl[k].reply, rlen) == 0));
    if (!pc_sites_ok(from, pred.n_sites, KF_SITE_FLT_MESSAGE, "FltSendMessage", pred.rule))
        return;
    if (st != pred.status || !reply_ok || waited != want_wait)
        simple_finding(KFH_INV_FLT_PORT_STATUS, "FltSendMessage", "flt.message",
                       kfh_port_status_name(pred.status, e, sizeof e),
                       "%s, *ReplyLength %lu (%lu predicted)%s, %llu waited (%llu predicted) [%s]",
                       kfh_port_status_name(st, b, sizeof b), (unsigned long)rlen, (unsigned long)pred.reply_length,
                       reply_ok ? "" : ", not the client's reply", waited, want_wait, pred.rule);
    else if ((disc_allowed && !R.pc_disc_mask) != pred.disconnects || (pred.disconnects && R.cl[k].number))
        simple_finding(KFH_INV_FLT_PORT_CALLBACKS, "FltSendMessage", "-",
                       pred.disconnects
                           ? "DisconnectNotifyCallback when the client closes its handle after reading (FP-5)"
                           : "no DisconnectNotifyCallback (FP-5)",
                       "%s", pred.disconnects ? "not called" : "called");
    else if (pred.delivered && number && R.cl[k].number) {
        static UCHAR last[256];
        unsigned got = kf_flt_client_messages(number);
        ULONG size = kf_flt_client_last_message(number, last, sizeof last);
        if (got != read_before + 1 || size != in_size || memcmp(last, sender, in_size) != 0)
            simple_finding(KFH_INV_FLT_PORT_STATUS, "FltSendMessage", "-",
                           "the client read the message, exactly its bytes (FP-5)", "%u message(s) read (%u before), "
                           "the last of %lu byte(s) (%lu sent)", got, read_before, (unsigned long)size,
                           (unsigned long)in_size);
    } else if (number && R.cl[k].number && kf_flt_client_messages(number) != read_before) {
        simple_finding(KFH_INV_FLT_PORT_STATUS, "FltSendMessage", "-", "no message read (FP-4, FP-5)",
                       "%u message(s) read, %u before", kf_flt_client_messages(number), read_before);
    }
    R.pc_disc_mask = 0;
    if (R.aborting)
        return;
    port_trace_status(op, "FltSendMessage", st, pred.rule);
}

/* ---- Objects and volumes (version 15; harness/oracle_fltobj.c, SEMANTICS.md FV-*, FO-*, FX-20..FX-23) ---- */

#define APOOL_TAG 0x6150484bu /* 'KHPa' */
static long long obj_foreign[4];   /* never a filter, instance, volume or pool */
static FILE_OBJECT obj_file;       /* a file object the harness made: no device (FO-1) */

/* A status by name, with the two of this family the shared tables do not name. */
static const char *obj_status_name(NTSTATUS s, char *buf, size_t len)
{
    const char *n = s == STATUS_BUFFER_TOO_SMALL       ? "STATUS_BUFFER_TOO_SMALL"
                    : s == STATUS_FLT_VOLUME_NOT_FOUND ? "STATUS_FLT_VOLUME_NOT_FOUND"
                                                       : NULL;
    if (!n)
        return kfh_ctx_status_name(s, buf, len);
    snprintf(buf, len, "%s", n);
    return buf;
}

/* What the pointer of record r is now (KFH_OBJ_IS_*), from the runner's own record: a volume by
 * its index (the volumes are the model's for the whole run), a filter or an instance by its
 * address among those the runner registered and that FltStartFiltering attached. */
static int obj_is(int r)
{
    const struct obj_rec *o = &R.orec[r];
    if (o->volume)
        return o->vol < R.obj_volumes ? KFH_OBJ_IS_VOLUME : KFH_OBJ_IS_NONE;
    if (R.flt_state != 1)
        return KFH_OBJ_IS_NONE;
    if (o->p == R.filter)
        return KFH_OBJ_IS_FILTER;
    for (unsigned v = 0; v < KFH_FLT_VOLUMES; v++)
        if (R.inst[v] && o->p == (const void *)R.inst[v])
            return (R.teardown & (1u << v)) ? KFH_OBJ_IS_GOING : KFH_OBJ_IS_INSTANCE;
    return KFH_OBJ_IS_NONE;
}

/* The record of address p (FV-2 counts references by address), made when new; -1 when full. */
static int obj_record(const void *p, int volume, unsigned vol)
{
    for (int r = 0; r < R.n_orec; r++)
        if (R.orec[r].p == p) {
            R.orec[r].volume = (uint8_t)volume;
            R.orec[r].vol = (uint8_t)vol;
            return r;
        }
    if (R.n_orec >= OBJ_RECORDS)
        return -1;
    struct obj_rec *o = &R.orec[R.n_orec];
    memset(o, 0, sizeof *o);
    o->p = p;
    o->volume = (uint8_t)volume;
    o->vol = (uint8_t)vol;
    return R.n_orec++;
}

static size_t obj_held(void)
{
    size_t n = 0;
    for (int r = 0; r < R.n_orec; r++)
        n += (size_t)R.orec[r].refs;
    return n;
}

static int obj_refs_on(const void *p)
{
    for (int r = 0; r < R.n_orec; r++)
        if (R.orec[r].p == p)
            return R.orec[r].refs;
    return 0;
}

/* The model's count moved by `delta` during a call that began with `before` (a reference on
 * exactly what is returned, FV-1, FV-2, FO-2, FO-5). */
static void obj_delta(const char *routine, size_t before, long delta, const char *rule)
{
    long got = (long)kf_flt_object_refs_outstanding() - (long)before;
    if (got != delta && !R.aborting)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-", "a reference exactly on what is returned",
                       "%ld reference(s) taken, %ld expected [%s]", got, delta, rule);
}

/* The record the object slot names, or -1 (traced as skipped). */
static int obj_slot(const kfh_op *op)
{
    const char *why = NULL;
    int r = R.oslot[op->a % KFH_OBJ_SLOTS] - 1;
    if (R.flt_state == 2)
        why = "the filter's state is unknown after a stop in FltUnregisterFilter";
    else if (r < 0)
        why = "the object slot names no object";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return -1;
    }
    return r;
}

static void exec_obj_get(const kfh_op *op)
{
    static const char *const routines[KFH_OBJ_FROM_COUNT] = {
        "FltGetVolumeFromInstance", "FltGetFilterFromInstance",   "FltObjectReference",
        "FltGetVolumeFromName",     "FltGetVolumeFromFileObject", "FltGetVolumeFromFileObject"};
    int k = op->a % KFH_OBJ_SLOTS, from = (op->b & 7) % KFH_OBJ_FROM_COUNT;
    int on_instance = from <= KFH_OBJ_FROM_INSTANCE, on_file = from >= KFH_OBJ_FROM_FILE;
    /* A file object without a device stands for the first volume (FO-1). */
    unsigned v = on_file ? 0 : (op->b >> 3) & 3;
    const char *routine = routines[from];
    const char *why = R.flt_state != 1                               ? "no filter registered"
                      : on_instance && !R.inst[v]                    ? "no instance on that volume"
                      : R.n_orec >= OBJ_RECORDS                      ? "the runner's object record is full"
                                                                     : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    WCHAR wname[64];
    char aname[64];
    int names = kfh_obj_volume_name(op->b >> 5, v, aname, sizeof aname); /* file sources have form 0 */
    int is = !on_instance               ? (v < R.obj_volumes && names ? KFH_OBJ_IS_VOLUME : KFH_OBJ_IS_NONE)
             : (R.teardown & (1u << v)) ? KFH_OBJ_IS_GOING
                                        : KFH_OBJ_IS_INSTANCE;
    kfh_obj_pred pred;
    kfh_oracle_obj_get(R.sh.irql, from, is, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int len = (int)strlen(aname);
    for (int c = 0; c <= len; c++)
        wname[c] = (WCHAR)aname[c];
    UNICODE_STRING name = {(USHORT)(len * sizeof(WCHAR)), (USHORT)sizeof wname, wname};
    PVOID got = NULL;
    NTSTATUS st;
    size_t before = kf_flt_object_refs_outstanding();
    int from_log = R.log_n;
    switch (from) {
    case KFH_OBJ_FROM_VOLUME:
        st = FltGetVolumeFromInstance(R.inst[v], (PFLT_VOLUME *)&got);
        break;
    case KFH_OBJ_FROM_FILTER:
        st = FltGetFilterFromInstance(R.inst[v], (PFLT_FILTER *)&got);
        break;
    case KFH_OBJ_FROM_INSTANCE:
        st = FltObjectReference(R.inst[v]);
        if (st == STATUS_SUCCESS)
            got = R.inst[v];
        break;
    case KFH_OBJ_FROM_NAME:
        st = FltGetVolumeFromName(R.filter, &name, (PFLT_VOLUME *)&got);
        break;
    default:
        memset(&obj_file, 0, sizeof obj_file);
        obj_file.Type = IO_TYPE_FILE;
        obj_file.Size = (CSHORT)sizeof obj_file;
        st = FltGetVolumeFromFileObject(R.filter, from == KFH_OBJ_FROM_FILE ? &obj_file : NULL, (PFLT_VOLUME *)&got);
        break;
    }
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    char b[48], e[48];
    obj_status_name(st, b, sizeof b);
    /* The object expected: the filter, the instance, or the volume FltStartFiltering's instance is on. */
    const void *want = from == KFH_OBJ_FROM_FILTER ? (const void *)R.filter
                       : from == KFH_OBJ_FROM_INSTANCE ? (const void *)R.inst[v]
                                                       : (const void *)R.fvol[v];
    if (R.log_n != from_log || st != pred.status)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-", obj_status_name(pred.status, e, sizeof e),
                       "%s, %d consultation(s) [%s]", b, R.log_n - from_log, pred.rule);
    else if (st == STATUS_SUCCESS ? (want ? got != want : got == NULL) : got != NULL)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-",
                       st == STATUS_SUCCESS ? "the object the rule names" : "nothing returned on a failure",
                       "%s", got ? "another object" : "NULL");
    obj_delta(routine, before, pred.referenced, pred.rule);
    if (R.aborting)
        return;
    if (st == STATUS_SUCCESS) {
        int volume = from != KFH_OBJ_FROM_FILTER && from != KFH_OBJ_FROM_INSTANCE;
        int r = obj_record(got, volume, v);
        R.orec[r].refs++;
        R.oslot[k] = r + 1;
    }
    kfh_trace_event("%*s  -> %s [%s]", IND(op), b, pred.rule);
    reach("%s: %s", routine, b);
}

static void exec_obj_ref(const kfh_op *op, int deref)
{
    const char *routine = deref ? "FltObjectDereference" : "FltObjectReference";
    int r = -1;
    if (!op->b && (r = obj_slot(op)) < 0)
        return;
    if (op->b && R.flt_state == 2) {
        skip_event("%*s  skipped: the filter's state is unknown after a stop in FltUnregisterFilter", IND(op));
        return;
    }
    PVOID p = r < 0 ? (PVOID)obj_foreign : (PVOID)R.orec[r].p;
    int is = r < 0 ? KFH_OBJ_IS_NONE : obj_is(r);
    int held = r < 0 ? 0 : R.orec[r].refs;
    kfh_obj_pred pred;
    if (deref)
        kfh_oracle_obj_deref(R.sh.irql, is, held, &pred);
    else
        kfh_oracle_obj_ref(R.sh.irql, is, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    size_t before = kf_flt_object_refs_outstanding();
    int from = R.log_n;
    NTSTATUS st = STATUS_SUCCESS;
    if (deref)
        FltObjectDereference(p);
    else
        st = FltObjectReference(p);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    char b[48], e[48];
    obj_status_name(st, b, sizeof b);
    if (R.log_n != from || st != pred.status)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-", obj_status_name(pred.status, e, sizeof e),
                       "%s, %d consultation(s) [%s]", b, R.log_n - from, pred.rule);
    obj_delta(routine, before, pred.referenced, pred.rule);
    if (R.aborting)
        return;
    if (r >= 0)
        R.orec[r].refs += pred.referenced;
    if (R.cfg->model_lie == 12 && !deref && pred.referenced)
        R.orec[r].refs++; /* as if the model had taken one reference less: FV-2 */
    kfh_trace_event("%*s  -> %s [%s]", IND(op), deref ? "dereferenced" : b, pred.rule);
    reach("%s: %s", routine, deref ? "dereferenced" : b);
}

/* FO-4: the names an instance information structure of `total` bytes points to, '|' between
 * them, equal `text`; NextEntryOffset 0, every name inside the structure after the fixed part. */
static int obj_info_matches(const INSTANCE_FULL_INFORMATION *f, int full, ULONG total, const char *text)
{
    const USHORT parts[4][2] = {{f->InstanceNameBufferOffset, f->InstanceNameLength},
                                {f->AltitudeBufferOffset, f->AltitudeLength},
                                {f->VolumeNameBufferOffset, f->VolumeNameLength},
                                {f->FilterNameBufferOffset, f->FilterNameLength}};
    ULONG fixed = full ? (ULONG)sizeof(INSTANCE_FULL_INFORMATION) : (ULONG)sizeof(INSTANCE_BASIC_INFORMATION);
    char got[64];
    int at = 0;
    if (f->NextEntryOffset != 0)
        return 0;
    for (int i = 0; i < (full ? 4 : 1); i++) {
        ULONG off = parts[i][0], len = parts[i][1];
        if (off < fixed || off + len > total || len % sizeof(WCHAR))
            return 0;
        const WCHAR *w = (const WCHAR *)((const unsigned char *)f + off);
        for (ULONG c = 0; c < len / sizeof(WCHAR) && at < (int)sizeof got - 2; c++)
            got[at++] = (char)w[c];
        if (i < (full ? 3 : 0))
            got[at++] = '|';
    }
    got[at] = 0;
    return strcmp(got, text) == 0;
}

/* FV-4 to FV-8, FO-4: a query of the slot's object with the buffer the operation names. */
static void exec_obj_query(const kfh_op *op)
{
    static const char *const routines[KFH_OBJ_Q_COUNT] = {"FltGetVolumeName", "FltGetVolumeGuidName",
                                                          "FltGetVolumeProperties", "FltGetFileSystemType",
                                                          "FltIsVolumeWritable",    "FltGetInstanceInformation",
                                                          "FltGetInstanceInformation"};
    int r = obj_slot(op);
    if (r < 0)
        return;
    int q = op->b % KFH_OBJ_Q_COUNT, bsel = op->c % KFH_OBJ_BUF_COUNT, is = obj_is(r);
    int info = q == KFH_OBJ_Q_BASIC || q == KFH_OBJ_Q_FULL;
    if (info && is != KFH_OBJ_IS_INSTANCE && is != KFH_OBJ_IS_GOING) {
        skip_event("%*s  skipped: the object slot names no live instance", IND(op));
        return;
    }
    const char *routine = routines[q];
    static kfh_obj_pred pred;
    kfh_oracle_obj_query(R.sh.irql, q, bsel, is, R.orec[r].vol, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    /* The buffers start filled with a pattern: a failure must leave them so. */
    static union {
        FLT_VOLUME_PROPERTIES props;
        INSTANCE_BASIC_INFORMATION basic;
        INSTANCE_FULL_INFORMATION full;
        WCHAR w[160];
        unsigned char bytes[320];
    } buf;
    memset(&buf, 0xA5, sizeof buf);
    PVOID p = (PVOID)R.orec[r].p;
    ULONG needed = 0xFFFFFFFFu;
    UNICODE_STRING us = {0, 0, buf.w};
    FLT_FILESYSTEM_TYPE fs = (FLT_FILESYSTEM_TYPE)0x5A5A;
    BOOLEAN writable = 0x5A;
    NTSTATUS st;
    /* The sizes asked for come from the rule's answer (a name's bytes, the properties' parts). */
    ULONG want = pred.needed == ~0u ? 64 : pred.needed;
    if (bsel == KFH_OBJ_BUF_SMALL)
        us.MaximumLength = (USHORT)(want - sizeof(WCHAR));
    else if (bsel == KFH_OBJ_BUF_FIT)
        us.MaximumLength = (USHORT)want;
    int from = R.log_n;
    switch (q) {
    case KFH_OBJ_Q_NAME:
    case KFH_OBJ_Q_GUID: {
        PUNICODE_STRING name = bsel >= KFH_OBJ_BUF_SMALL ? &us : NULL;
        PULONG size = bsel == KFH_OBJ_BUF_NONE ? NULL : &needed;
        st = q == KFH_OBJ_Q_NAME ? FltGetVolumeName((PFLT_VOLUME)p, name, size)
                                 : FltGetVolumeGuidName((PFLT_VOLUME)p, name, size);
        break;
    }
    case KFH_OBJ_Q_PROPERTIES: {
        ULONG len = bsel == KFH_OBJ_BUF_NONE   ? 0
                    : bsel == KFH_OBJ_BUF_SIZE ? (ULONG)sizeof(FLT_VOLUME_PROPERTIES) - 1
                    : bsel == KFH_OBJ_BUF_SMALL ? (ULONG)sizeof(FLT_VOLUME_PROPERTIES)
                                                : (want <= sizeof buf ? want : (ULONG)sizeof buf);
        st = FltGetVolumeProperties((PFLT_VOLUME)p, bsel == KFH_OBJ_BUF_NONE ? NULL : &buf.props, len, &needed);
        break;
    }
    case KFH_OBJ_Q_BASIC:
    case KFH_OBJ_Q_FULL: {
        ULONG len = bsel == KFH_OBJ_BUF_NONE    ? 0
                    : bsel == KFH_OBJ_BUF_SIZE  ? want - 1
                    : bsel == KFH_OBJ_BUF_SMALL ? pred.fixed
                                                : (want <= sizeof buf ? want : (ULONG)sizeof buf);
        st = FltGetInstanceInformation((PFLT_INSTANCE)p,
                                       q == KFH_OBJ_Q_BASIC ? InstanceBasicInformation : InstanceFullInformation,
                                       bsel == KFH_OBJ_BUF_NONE ? NULL : &buf, len, &needed);
        break;
    }
    case KFH_OBJ_Q_FSTYPE:
        st = FltGetFileSystemType(p, &fs);
        break;
    default:
        st = FltIsVolumeWritable(p, &writable);
        break;
    }
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    kfh_oracle_obj_query(R.sh.irql, q, bsel, is, R.orec[r].vol,
                         R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE, &pred);
    char b[48], e[48], text[64];
    obj_status_name(st, b, sizeof b);
    const char *wrong = NULL;
    int guid_logged = from < LOG_MAX && R.log_site[from] == KF_SITE_FLT_VOLUME_GUID;
    if (R.log_n - from != pred.n_sites || (pred.n_sites && from < LOG_MAX && !guid_logged))
        wrong = q == KFH_OBJ_Q_GUID ? "flt.volume.guid consulted once, after the other checks (FV-5)"
                                    : "no site consulted";
    else if (st != pred.status)
        wrong = obj_status_name(pred.status, e, sizeof e);
    else if (pred.needed != ~0u && needed != pred.needed)
        wrong = q == KFH_OBJ_Q_PROPERTIES ? "LengthReturned as the rule gives" : "BufferSizeNeeded the name's bytes";
    else if (q <= KFH_OBJ_Q_GUID && st == STATUS_SUCCESS) {
        int n = us.Length / (int)sizeof(WCHAR);
        for (int c = 0; c < n && c < (int)sizeof text - 1; c++)
            text[c] = (char)buf.w[c];
        text[n < (int)sizeof text ? n : (int)sizeof text - 1] = 0;
        if (us.Length != pred.needed || strcmp(text, pred.text))
            wrong = pred.text;
    } else if (q <= KFH_OBJ_Q_GUID && buf.bytes[0] != 0xA5)
        wrong = "nothing written on a failure";
    else if (q == KFH_OBJ_Q_PROPERTIES && st == STATUS_BUFFER_TOO_SMALL && buf.bytes[0] != 0xA5)
        wrong = "nothing written when the fixed part does not fit (FV-6)";
    else if (q == KFH_OBJ_Q_PROPERTIES && (st == STATUS_SUCCESS || st == STATUS_BUFFER_OVERFLOW) &&
             (buf.props.DeviceType != FILE_DEVICE_DISK || buf.props.SectorSize != 512))
        wrong = "DeviceType FILE_DEVICE_DISK, SectorSize 512 (FV-6)";
    else if (q == KFH_OBJ_Q_PROPERTIES && st == STATUS_SUCCESS) {
        const UNICODE_STRING *parts[3] = {&buf.props.FileSystemDriverName, &buf.props.FileSystemDeviceName,
                                          &buf.props.RealDeviceName};
        int at = 0;
        for (int i = 0; i < 3; i++) {
            const WCHAR *w = parts[i]->Buffer;
            int n = parts[i]->Length / (int)sizeof(WCHAR);
            if (n && ((const unsigned char *)w < buf.bytes + sizeof buf.props ||
                      (const unsigned char *)(w + n) > buf.bytes + sizeof buf))
                n = 0, wrong = "the names inside the caller's buffer, after the fixed part (FV-6)";
            for (int c = 0; c < n && at < (int)sizeof text - 2; c++)
                text[at++] = (char)w[c];
            text[at++] = i < 2 ? '|' : 0;
        }
        if (!wrong && strcmp(text, pred.text))
            wrong = pred.text;
    } else if (info && st != STATUS_SUCCESS && buf.bytes[0] != 0xA5)
        wrong = "nothing written when the buffer is too small (FO-4)";
    else if (info && st == STATUS_SUCCESS && !obj_info_matches(&buf.full, q == KFH_OBJ_Q_FULL, pred.needed, pred.text))
        wrong = pred.text;
    else if (q == KFH_OBJ_Q_FSTYPE && fs != (st == STATUS_SUCCESS ? FLT_FSTYPE_NTFS : FLT_FSTYPE_UNKNOWN))
        wrong = st == STATUS_SUCCESS ? "FLT_FSTYPE_NTFS (F-4's volumes)" : "FLT_FSTYPE_UNKNOWN (FV-7)";
    else if (q == KFH_OBJ_Q_WRITABLE && st == STATUS_SUCCESS && writable != TRUE)
        wrong = "TRUE (no identity makes the runner's volumes read-only, FV-8)";
    if (wrong && !R.aborting)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, q == KFH_OBJ_Q_GUID ? "flt.volume.guid" : "-", wrong,
                       "%s, %d consultation(s), size 0x%X [%s]", b, R.log_n - from, (unsigned)needed, pred.rule);
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> %s size=0x%X [%s]", IND(op), b, (unsigned)needed, pred.rule);
    reach("%s: %s", routine, b);
}

/* FO-5: the objects an enumeration must list, from the runner's record. */
static ULONG obj_expected_list(int kind, const void **list, uint8_t *vols, int *volume)
{
    ULONG n = 0;
    *volume = kind == KFH_OBJ_ENUM_VOLUMES;
    if (kind == KFH_OBJ_ENUM_FILTERS) {
        vols[n] = 0;
        list[n++] = R.filter;
        return n;
    }
    for (unsigned v = 0; v < R.obj_volumes && v < KFH_FLT_VOLUMES; v++) {
        vols[n] = (uint8_t)v;
        if (kind == KFH_OBJ_ENUM_VOLUMES)
            list[n++] = R.fvol[v]; /* NULL: a volume without the runner's instance, not known yet */
        else if (R.inst[v] && !(R.teardown & (1u << v)))
            list[n++] = R.inst[v];
    }
    return n;
}

static void exec_obj_enum(const kfh_op *op)
{
    static const char *const routines[KFH_OBJ_ENUM_COUNT] = {"FltEnumerateVolumes", "FltEnumerateInstances",
                                                             "FltEnumerateFilters"};
    int kind = op->b % KFH_OBJ_ENUM_COUNT;
    ULONG size = op->c <= KFH_OBJ_LIST_MAX ? op->c : KFH_OBJ_LIST_MAX;
    const char *routine = routines[kind];
    if (R.flt_state != 1 || R.n_orec + KFH_OBJ_LIST_MAX > OBJ_RECORDS) {
        skip_event("%*s  skipped: %s", IND(op),
                   R.flt_state != 1 ? "no filter registered" : "the runner's object record is full");
        return;
    }
    const void *want[KFH_OBJ_LIST_MAX];
    uint8_t vols[KFH_OBJ_LIST_MAX];
    int volume;
    ULONG n = obj_expected_list(kind, want, vols, &volume);
    kfh_obj_pred pred;
    kfh_oracle_obj_enum(R.sh.irql, kind, size, n, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    PVOID list[KFH_OBJ_LIST_MAX];
    memset(list, 0, sizeof list);
    PVOID *lp = size ? list : NULL;
    ULONG got = 0xFFFFFFFFu;
    size_t before = kf_flt_object_refs_outstanding();
    int from = R.log_n;
    NTSTATUS st;
    if (kind == KFH_OBJ_ENUM_VOLUMES)
        st = FltEnumerateVolumes(R.filter, (PFLT_VOLUME *)lp, size, &got);
    else if (kind == KFH_OBJ_ENUM_INSTANCES)
        st = FltEnumerateInstances(NULL, R.filter, (PFLT_INSTANCE *)lp, size, &got);
    else
        st = FltEnumerateFilters((PFLT_FILTER *)lp, size, &got);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    if (R.cfg->model_lie == 13 && got)
        got--; /* as if the model had counted one object less: FO-5 */
    char b[48], e[48];
    obj_status_name(st, b, sizeof b);
    ULONG listed = st == STATUS_SUCCESS ? n : 0;
    const char *wrong = NULL;
    if (R.log_n != from || st != pred.status)
        wrong = obj_status_name(pred.status, e, sizeof e);
    else if (got != pred.needed)
        wrong = "the count of the objects to list (FO-5)";
    for (ULONG i = 0; i < listed && !wrong; i++)
        if (want[i] ? list[i] != want[i] : list[i] == NULL)
            wrong = "the objects FO-5 lists, in its order";
    for (ULONG i = listed; i < KFH_OBJ_LIST_MAX && !wrong; i++)
        if (list[i])
            wrong = "nothing written past the objects listed, nothing on a failure (FO-5)";
    if (wrong && !R.aborting)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-", wrong, "%s, count %u, %d consultation(s) [%s]", b,
                       (unsigned)got, R.log_n - from, pred.rule);
    obj_delta(routine, before, pred.referenced ? (long)n : 0, pred.rule);
    if (R.aborting)
        return;
    for (ULONG i = 0; i < listed; i++) {
        int r = obj_record(list[i], volume, vols[i]);
        if (r < 0)
            break;
        R.orec[r].refs++;
        if (i < KFH_OBJ_SLOTS)
            R.oslot[(op->a + i) % KFH_OBJ_SLOTS] = r + 1;
    }
    kfh_trace_event("%*s  -> %s count=%u [%s]", IND(op), b, (unsigned)got, pred.rule);
    reach("%s: %s", routine, b);
}

static void exec_apool_alloc(const kfh_op *op)
{
    static const char routine[] = "FltAllocatePoolAlignedWithTag";
    struct apool_rec *a = &R.ap[op->a % KFH_APOOL_SLOTS];
    unsigned v = op->b & 3;
    int paged = (op->b & KFH_APOOL_PAGED) != 0;
    SIZE_T size = kfh_apool_size((op->b >> 3) & 3);
    const char *why = a->live                            ? "the aligned pool slot holds a buffer"
                      : R.flt_state != 1 || !R.inst[v]   ? "no instance on that volume"
                                                         : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    kfh_obj_pred pred;
    kfh_oracle_apool_alloc(R.sh.irql, paged, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    unsigned char *p = FltAllocatePoolAlignedWithTag(R.inst[v], paged ? PagedPool : NonPagedPoolNx, size, APOOL_TAG);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    kfh_oracle_apool_alloc(R.sh.irql, paged, R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE,
                           &pred);
    /* FO-8: one sector for 0 bytes, aligned to the sector (512: the runner's volumes have no identity),
     * filled with 0xCD (P-1). */
    SIZE_T filled = size ? size : 512;
    if (R.log_n - from != pred.n_sites || (from < LOG_MAX && R.log_site[from] != KF_SITE_FLT_POOL_ALIGNED))
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "flt.pool.aligned", "flt.pool.aligned consulted once (FO-8)",
                       "%d consultation(s)", R.log_n - from);
    else if ((p != NULL) != pred.allocated)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "flt.pool.aligned",
                       pred.allocated ? "a buffer (the site was granted)" : "NULL (the site was failed)", "%s",
                       p ? "a buffer" : "NULL");
    else if (p && (((uintptr_t)p % 512) != 0 || p[0] != 0xCD || p[filled - 1] != 0xCD))
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "flt.pool.aligned",
                       "a buffer aligned to the sector size, filled with 0xCD (FO-8, P-1)",
                       "offset %u, bytes 0x%02X 0x%02X",
                       (unsigned)((uintptr_t)p % 512), p[0], p[filled - 1]);
    if (R.aborting)
        return;
    if (p) {
        void *stale = a->stale;
        int stale_ok = a->stale_ok, freed_log = a->freed_log;
        memset(a, 0, sizeof *a);
        a->stale = stale;
        a->stale_ok = stale_ok;
        a->freed_log = freed_log;
        a->mem = p;
        a->inst = R.inst[v];
        a->paged = paged;
        a->live = 1;
        R.pool_live++;
    }
    kfh_trace_event("%*s  -> %s [FO-8]", IND(op), p ? "buffer" : "NULL");
    reach("%s: %s", routine, p ? "buffer" : "NULL");
}

static void exec_apool_free(const kfh_op *op)
{
    int k = op->a % KFH_APOOL_SLOTS, variant = op->b % KFH_APOOL_FREE_COUNT;
    struct apool_rec *a = &R.ap[k];
    const char *why = NULL;
    if (variant == KFH_APOOL_FREE_AGAIN && !a->stale_ok)
        why = "the slot freed no buffer";
    else if (variant == KFH_APOOL_FREE_AGAIN && a->freed_log != R.log_n)
        why = "a site was consulted since the slot's buffer was freed: an allocation may have its memory";
    else if (variant == KFH_APOOL_FREE_POOL && !R.pool[k % KFH_POOL_SLOTS])
        why = "the pool slot holds no block";
    else if (variant != KFH_APOOL_FREE_AGAIN && variant != KFH_APOOL_FREE_FOREIGN && variant != KFH_APOOL_FREE_POOL &&
             !a->live)
        why = "the aligned pool slot holds no buffer";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int is = variant == KFH_APOOL_FREE_AGAIN || variant == KFH_APOOL_FREE_FOREIGN ? KFH_APOOL_IS_NONE
             : variant == KFH_APOOL_FREE_POOL                                    ? KFH_APOOL_IS_EX
                                                                                 : KFH_APOOL_IS_ALIGNED;
    void *p = variant == KFH_APOOL_FREE_AGAIN     ? a->stale
              : variant == KFH_APOOL_FREE_FOREIGN ? (void *)obj_foreign
              : variant == KFH_APOOL_FREE_POOL    ? R.pool[k % KFH_POOL_SLOTS]
                                                  : a->mem;
    /* "other" passes NULL: an Instance other than the one the buffer was allocated with. */
    PFLT_INSTANCE inst = variant == KFH_APOOL_FREE_OTHER || is != KFH_APOOL_IS_ALIGNED ? NULL : a->inst;
    ULONG tag = variant == KFH_APOOL_FREE_TAG ? APOOL_TAG ^ 0x01000000u : APOOL_TAG;
    kfh_obj_pred pred;
    kfh_oracle_apool_free(R.sh.irql, is, variant == KFH_APOOL_FREE_EX, variant != KFH_APOOL_FREE_OTHER,
                          variant != KFH_APOOL_FREE_TAG, a->paged, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    const char *routine = variant == KFH_APOOL_FREE_EX ? "ExFreePoolWithTag" : "FltFreePoolAlignedWithTag";
    int from = R.log_n;
    if (variant == KFH_APOOL_FREE_EX)
        ExFreePoolWithTag(p, tag);
    else
        FltFreePoolAlignedWithTag(inst, p, tag);
    if (R.expect.stops) {
        missed_stop(routine);
        return;
    }
    if (R.log_n != from)
        simple_finding(KFH_INV_FLT_OBJ_STATUS, routine, "-", "no site consulted", "%d consultation(s)", R.log_n - from);
    if (R.aborting)
        return;
    a->live = 0;
    a->stale = a->mem;
    a->stale_ok = 1;
    a->freed_log = R.log_n;
    R.pool_live--;
    kfh_trace_event("%*s  -> freed [FO-8]", IND(op));
    reach("%s: freed", routine);
}

/* At the end of a run: the references and the aligned buffers the scenario holds, given back as a
 * driver gives them back before unloading. */
static void obj_finish(void)
{
    for (int r = 0; r < R.n_orec; r++)
        while (R.orec[r].refs > 0) {
            kf_set_irql(PASSIVE_LEVEL);
            R.orec[r].refs--;
            FltObjectDereference((PVOID)R.orec[r].p);
        }
    for (int k = 0; k < KFH_APOOL_SLOTS; k++)
        if (R.ap[k].live) {
            kf_set_irql(PASSIVE_LEVEL);
            R.ap[k].live = 0;
            R.pool_live--;
            FltFreePoolAlignedWithTag(R.ap[k].inst, R.ap[k].mem, APOOL_TAG);
        }
}

/* ---- Extra create parameters (version 15; harness/oracle_fltecp.c, SEMANTICS.md FE-*, FX-28..FX-31) ---- */

static long long ecp_foreign[4]; /* never a list, an ECP or a callback data */
static long long ecp_la_mem[KFH_ECP_LA_SLOTS][8]; /* the driver's lookaside list heads, never read */
#define ECP_TAG 0x6345484bu  /* 'KHEc' */
#define ECP_LA_SIZE 64
#define ECP_RING_SAFE 48     /* frees after which a freed address may have left the model's record */

/* The statuses of the ECP routines by name (those the status table lacks added). */
static const char *ecp_st(NTSTATUS s, char *buf, size_t len)
{
    if (s == STATUS_INVALID_PARAMETER_2)
        return "STATUS_INVALID_PARAMETER_2";
    if (s == STATUS_INVALID_PARAMETER_3)
        return "STATUS_INVALID_PARAMETER_3";
    return kfh_ctx_status_name(s, buf, len);
}

/* FE-13: what the driver owns: its lists not attached to a create, its ECPs not in a create's
 * list, its lookaside lists not deleted. */
static size_t ecp_owned(void)
{
    size_t n = 0;
    for (int l = 0; l < R.n_lrec; l++)
        n += R.lrec[l].live && !R.lrec[l].above && R.lrec[l].cbd < 0;
    for (int r = 0; r < R.n_erec; r++)
        n += R.erec[r].live && !R.erec[r].above && !(R.erec[r].list >= 0 && R.lrec[R.erec[r].list].cbd >= 0);
    for (int k = 0; k < KFH_ECP_LA_SLOTS; k++)
        n += R.la[k].live;
    return n;
}

static int ecp_list_of_cbd(int k)
{
    for (int l = 0; l < R.n_lrec; l++)
        if (R.lrec[l].live && R.lrec[l].cbd == k)
            return l;
    return -1;
}

static int ecp_member_of_type(int l, int type)
{
    for (int i = 0; i < R.lrec[l].n; i++)
        if (R.erec[R.lrec[l].member[i]].type == type)
            return R.lrec[l].member[i];
    return -1;
}

static void ecp_unlink(int r)
{
    int l = R.erec[r].list;
    if (l < 0)
        return;
    struct ecpl_rec *L = &R.lrec[l];
    for (int i = 0; i < L->n; i++)
        if (L->member[i] == r) {
            memmove(&L->member[i], &L->member[i + 1], (size_t)(L->n - i - 1));
            L->n--;
            break;
        }
    R.erec[r].list = -1;
}

static void ecp_append(int l, int r)
{
    R.lrec[l].member[R.lrec[l].n++] = (int8_t)r;
    R.erec[r].list = (int8_t)l;
}

static void ecp_rec_freed(int r)
{
    ecp_unlink(r);
    R.erec[r].live = 0;
    R.erec[r].freed_at = R.ecp_news;
    R.erec[r].freed_n = R.ecp_frees++;
}

static void ecpl_rec_freed(int l)
{
    while (R.lrec[l].n)
        ecp_rec_freed(R.lrec[l].member[0]);
    R.lrec[l].live = 0;
    R.lrec[l].cbd = -1;
    R.lrec[l].freed_at = R.ecp_news;
    R.lrec[l].freed_n = R.ecpl_frees++;
}

static int ecp_new(void *mem, int type, ULONG size)
{
    int r = R.n_erec++;
    memset(&R.erec[r], 0, sizeof R.erec[r]);
    R.erec[r].mem = mem;
    R.erec[r].type = (int8_t)type;
    R.erec[r].size = size;
    R.erec[r].list = R.erec[r].cbd = R.erec[r].la = -1;
    R.erec[r].live = 1;
    R.ecp_news++;
    return r;
}

static int ecpl_new(void *mem)
{
    int l = R.n_lrec++;
    memset(&R.lrec[l], 0, sizeof R.lrec[l]);
    R.lrec[l].mem = mem;
    R.lrec[l].cbd = -1;
    R.lrec[l].live = 1;
    R.ecp_news++;
    return l;
}

/* The cleanup callbacks a call must run (FE-3, FE-8, FE-12): those of the driver's ECPs (an ECP
 * from above has none), in the order given. */
static void ecp_arm(void)
{
    R.ecp_n_due = R.ecp_n_called = 0;
    R.ecp_armed = 1;
}

static void ecp_due(int r)
{
    if (!R.erec[r].above && R.ecp_n_due < ECP_RECORDS)
        R.ecp_due[R.ecp_n_due++] = (int8_t)r;
}

static void ecp_disarm(const char *routine)
{
    R.ecp_armed = 0;
    if (!R.aborting && R.ecp_n_called != R.ecp_n_due)
        simple_finding(KFH_INV_FLT_ECP_STATUS, routine, "-",
                       "the cleanup callback of each of the driver's ECPs freed, once (FE-3, FE-8, FE-12)",
                       "%d of %d called", R.ecp_n_called, R.ecp_n_due);
}

static VOID NTAPI runner_ecp_cleanup(PVOID context, LPCGUID type)
{
    if (R.aborting)
        return;
    int want = R.ecp_armed && R.ecp_n_called < R.ecp_n_due ? R.ecp_due[R.ecp_n_called] : -1;
    if (want < 0 || context != R.erec[want].mem || !type ||
        memcmp(type, kfh_ecp_type_at(R.erec[want].type), sizeof(GUID))) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "ECP cleanup callback", "-",
                       "the cleanup callback of the next ECP the call frees, with its context and type (FE-8)", "%s",
                       want < 0 ? "a call no free explains" : "another ECP, or another type");
        return;
    }
    R.ecp_n_called++;
    kfh_trace_event("%*s  cleanup callback of ECP #%d", 2 * R.ecp_depth, "", want + 1);
    reach("ECP cleanup callback: called");
}

/* FE-12: the ECPs the end of slot k's create frees: its list with every ECP in it, then every
 * ECP that came down with it wherever it is now. Arms their cleanup callbacks; returns how many. */
static int ecp_end_expect(int k, int depth)
{
    ecp_arm();
    R.ecp_depth = depth;
    int n = 0, l = ecp_list_of_cbd(k);
    for (int i = 0; l >= 0 && i < R.lrec[l].n; i++, n++)
        ecp_due(R.lrec[l].member[i]);
    for (int r = 0; r < R.n_erec; r++)
        n += R.erec[r].live && R.erec[r].above && R.erec[r].cbd == k && (l < 0 || R.erec[r].list != l);
    return n;
}

static void ecp_end_done(int k, const char *routine)
{
    ecp_disarm(routine);
    int l = ecp_list_of_cbd(k);
    if (l >= 0)
        ecpl_rec_freed(l);
    for (int r = 0; r < R.n_erec; r++)
        if (R.erec[r].live && R.erec[r].above && R.erec[r].cbd == k)
            ecp_rec_freed(r);
}

/* The pointer a routine gets from ECP slot k: the live ECP, or (pass again, or any operation
 * without a pass operand when the slot's ECP was freed) the freed one while the model surely
 * still knows that address as freed. Returns why not, or NULL. */
static const char *ecp_pick(int k, int pass, void **p, int *state, int *rec)
{
    int r = R.eslot[k];
    *rec = r;
    *p = NULL;
    if (pass == KFH_ECP_PASS_FOREIGN || pass == KFH_ECP_PASS_NULL) {
        *rec = -1;
        *p = pass == KFH_ECP_PASS_FOREIGN ? (void *)ecp_foreign : NULL;
        *state = pass == KFH_ECP_PASS_FOREIGN ? KFH_ECP_PTR_FOREIGN : KFH_ECP_PTR_NULL;
        return NULL;
    }
    if (r < 0 || (pass == KFH_ECP_PASS_SLOT && !R.erec[r].live))
        return "the ECP slot holds no ECP";
    if (R.erec[r].live && pass == KFH_ECP_PASS_AGAIN)
        return "the ECP slot's ECP is not freed";
    if (!R.erec[r].live && (R.erec[r].freed_at != R.ecp_news || R.ecp_frees - R.erec[r].freed_n > ECP_RING_SAFE))
        return "a list or ECP was made since the slot's ECP was freed: it may have its memory";
    if (!R.erec[r].mem)
        return "the ECP slot's ECP from above was never handed out";
    *p = R.erec[r].mem;
    *state = R.erec[r].live ? KFH_ECP_PTR_LIVE : KFH_ECP_PTR_FREED;
    return NULL;
}

static const char *ecpl_pick(int k, int pass, void **p, int *state, int *rec)
{
    int l = R.lslot[k];
    *rec = l;
    *p = NULL;
    if (pass == KFH_ECP_PASS_FOREIGN || pass == KFH_ECP_PASS_NULL) {
        *rec = -1;
        *p = pass == KFH_ECP_PASS_FOREIGN ? (void *)ecp_foreign : NULL;
        *state = pass == KFH_ECP_PASS_FOREIGN ? KFH_ECP_PTR_FOREIGN : KFH_ECP_PTR_NULL;
        return NULL;
    }
    if (l < 0 || (pass == KFH_ECP_PASS_SLOT && !R.lrec[l].live))
        return "the list slot holds no list";
    if (R.lrec[l].live && pass == KFH_ECP_PASS_AGAIN)
        return "the list slot's list is not freed";
    if (!R.lrec[l].live && (R.lrec[l].freed_at != R.ecp_news || R.ecpl_frees - R.lrec[l].freed_n > ECP_RING_SAFE))
        return "a list or ECP was made since the slot's list was freed: it may have its memory";
    *p = R.lrec[l].mem;
    *state = R.lrec[l].live ? KFH_ECP_PTR_LIVE : KFH_ECP_PTR_FREED;
    return NULL;
}

/* A slot an operation may point elsewhere: not the only handle on a live list or ECP the driver
 * owns outside any list (that one would be lost). */
static const char *ecp_into_ok(int k)
{
    int r = R.eslot[k];
    return r >= 0 && R.erec[r].live && !R.erec[r].above && R.erec[r].list < 0 ? "the ECP slot holds an ECP" : NULL;
}

static const char *ecpl_into_ok(int k)
{
    int l = R.lslot[k];
    return l >= 0 && R.lrec[l].live && !R.lrec[l].above && R.lrec[l].cbd < 0 ? "the list slot holds a list" : NULL;
}

static void ecp_in(kfh_ecp_in *in, int routine)
{
    memset(in, 0, sizeof *in);
    in->routine = routine;
    in->irql = R.sh.irql;
    in->os = (int)R.profile.os;
    in->decided = KF_FAULT_NONE;
}

/* Fills what the oracle reads of list record l and ECP record r (either -1). */
static void ecp_in_recs(kfh_ecp_in *in, int l, int r)
{
    if (l >= 0) {
        in->list_above = R.lrec[l].above;
        in->list_attached = R.lrec[l].cbd >= 0 && !R.lrec[l].above;
        for (int i = 0; i < R.lrec[l].n; i++)
            in->list_holds_above |= R.erec[R.lrec[l].member[i]].above;
    }
    if (r >= 0) {
        in->ecp_above = R.erec[r].above;
        in->ecp_in_list = R.erec[r].list >= 0;
        in->ecp_in_this_list = l >= 0 && R.erec[r].list == l;
        in->ecp_la_deleted = R.erec[r].la_deleted;
    }
}

/* Skips the operation with a reason (traced), or 0. */
static int ecp_skip(const kfh_op *op, const char *why)
{
    if (!why && R.flt_state != 1)
        why = "no filter registered";
    if (!why)
        return 0;
    skip_event("%*s  skipped: %s", IND(op), why);
    return 1;
}

/* After the call: the status and the consultations, as predicted. */
static int ecp_check(const kfh_ecp_in *in, const kfh_ecp_pred *pred, NTSTATUS st, int from)
{
    char b[48], e[48];
    int sites = R.log_n - from;
    int ok = sites == pred->n_sites && (!sites || (from < LOG_MAX && R.log_site[from] == KF_SITE_FLT_ECP));
    if (ok && st == pred->status)
        return 0;
    simple_finding(KFH_INV_FLT_ECP_STATUS, kfh_ecp_routine_name(in->routine), "flt.ecp",
                   ecp_st(pred->status, e, sizeof e), "%s, %d consultation(s) [%s]", ecp_st(st, b, sizeof b), sites,
                   pred->rule);
    return 1;
}

/* Predicts; a predicted stop becomes the expectation. */
static void ecp_predict(const kfh_ecp_in *in, kfh_ecp_pred *pred)
{
    kfh_oracle_ecp(in, pred);
    if (pred->stop.stops)
        R.expect = pred->stop;
}

static int ecp_returned(const kfh_ecp_in *in)
{
    if (R.expect.stops) {
        missed_stop(kfh_ecp_routine_name(in->routine));
        return 0;
    }
    return !R.aborting;
}

static void ecp_done(const kfh_op *op, const kfh_ecp_in *in, const kfh_ecp_pred *pred, const char *what)
{
    kfh_trace_event("%*s  -> %s [%s]", IND(op), what, pred->rule);
    reach("%s: %s", kfh_ecp_routine_name(in->routine), what);
}

static void exec_ecp_list_alloc(const kfh_op *op)
{
    int k = op->a % KFH_ECP_LIST_SLOTS, mis = (op->b >> 1) % KFH_ECPL_MIS_COUNT;
    if (ecp_skip(op, R.n_lrec >= ECPL_RECORDS ? "the run's list records are full" : ecpl_into_ok(k)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_LIST_ALLOC);
    in.misuse = mis;
    in.flags = ((op->b & 1) ? FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA : 0) |
               (mis == KFH_ECPL_MIS_FLAGS ? KFH_ECP_BAD_FLAGS : 0);
    ecp_predict(&in, &pred);
    PECP_LIST list = (PECP_LIST)ecp_foreign;
    int from = R.log_n;
    NTSTATUS st = FltAllocateExtraCreateParameterList(R.filter, in.flags, mis == KFH_ECPL_MIS_NULL ? NULL : &list);
    if (!ecp_returned(&in))
        return;
    in.decided = R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE;
    kfh_oracle_ecp(&in, &pred);
    if (ecp_check(&in, &pred, st, from))
        return;
    if ((list != NULL) != pred.made || list == (PECP_LIST)ecp_foreign) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "FltAllocateExtraCreateParameterList", "flt.ecp",
                       pred.made ? "a new list" : "*EcpList NULL", "%s", list ? "a list" : "NULL");
        return;
    }
    if (list)
        R.lslot[k] = (int8_t)ecpl_new(list);
    char b[48];
    ecp_done(op, &in, &pred, ecp_st(st, b, sizeof b));
}

static void exec_ecp_list_free(const kfh_op *op)
{
    int k = op->a % KFH_ECP_LIST_SLOTS, state = 0, l;
    void *p;
    if (ecp_skip(op, ecpl_pick(k, op->b % KFH_ECP_PASS_COUNT, &p, &state, &l)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_LIST_FREE);
    in.list = state;
    ecp_in_recs(&in, state == KFH_ECP_PTR_LIVE ? l : -1, -1);
    ecp_predict(&in, &pred);
    if (!pred.stop.stops) {
        ecp_arm();
        R.ecp_depth = op->depth;
        for (int i = 0; i < R.lrec[l].n; i++)
            ecp_due(R.lrec[l].member[i]);
    }
    int from = R.log_n;
    FltFreeExtraCreateParameterList(R.filter, (PECP_LIST)p);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, STATUS_SUCCESS, from))
        return;
    ecp_disarm("FltFreeExtraCreateParameterList");
    if (R.aborting)
        return;
    ecpl_rec_freed(l);
    ecp_done(op, &in, &pred, "freed");
}

static void exec_ecp_alloc(const kfh_op *op)
{
    int k = op->a % KFH_ECP_SLOTS, mis = (op->b >> 5) % KFH_ECP_MIS_COUNT, la = (op->b & KFH_ECP_FROM_LA) != 0;
    int las = (op->b >> 4) & 1, type = op->b & 3;
    const char *why = R.n_erec >= ECP_RECORDS      ? "the run's ECP records are full"
                      : la && mis == KFH_ECP_MIS_TAG ? "an allocation from a lookaside list takes no pool tag"
                                                     : ecp_into_ok(k);
    if (ecp_skip(op, why))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, la ? KFH_ECP_R_ALLOC_LA : KFH_ECP_R_ALLOC);
    in.misuse = mis;
    in.nonpaged = (op->b & KFH_ECP_NONPAGED) != 0;
    in.size = kfh_ecp_size_at(op->c);
    in.flags = (in.nonpaged ? FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL : 0) |
               (mis == KFH_ECP_MIS_FLAGS ? KFH_ECP_BAD_FLAGS : 0);
    in.la_live = la && R.la[las].live;
    ecp_predict(&in, &pred);
    LPCGUID t = mis == KFH_ECP_MIS_NULL_TYPE ? NULL : kfh_ecp_type_at(type);
    PVOID ctx = ecp_foreign, *pctx = mis == KFH_ECP_MIS_NULL_CONTEXT ? NULL : &ctx;
    int from = R.log_n;
    NTSTATUS st;
    if (la)
        st = FltAllocateExtraCreateParameterFromLookasideList(R.filter, t, in.size, in.flags, runner_ecp_cleanup,
                                                              ecp_la_mem[las], pctx);
    else
        st = FltAllocateExtraCreateParameter(R.filter, t, in.size, in.flags, runner_ecp_cleanup,
                                             mis == KFH_ECP_MIS_TAG ? 0 : ECP_TAG, pctx);
    if (!ecp_returned(&in))
        return;
    in.decided = R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE;
    kfh_oracle_ecp(&in, &pred);
    if (ecp_check(&in, &pred, st, from))
        return;
    /* FE-4: an ECP exactly when predicted, of SizeOfContext bytes of uninitialized pool. */
    int fill_ok = 1;
    for (ULONG i = 0; ctx && ctx != ecp_foreign && i < in.size; i++)
        fill_ok &= ((const UCHAR *)ctx)[i] == 0xCD;
    if ((ctx != NULL) != pred.made || ctx == ecp_foreign || !fill_ok) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, kfh_ecp_routine_name(in.routine), "flt.ecp",
                       pred.made ? "a new ECP filled as uninitialized pool (FE-4)" : "*EcpContext NULL", "%s",
                       !ctx ? "NULL" : fill_ok ? "an ECP" : "an ECP with other contents");
        return;
    }
    if (ctx) {
        int r = ecp_new(ctx, type, in.size);
        R.erec[r].la = (int8_t)(la ? las : -1);
        R.eslot[k] = (int8_t)r;
    }
    char b[48];
    ecp_done(op, &in, &pred, ecp_st(st, b, sizeof b));
}

static void exec_ecp_free(const kfh_op *op)
{
    int k = op->a % KFH_ECP_SLOTS, state = 0, r;
    void *p;
    if (ecp_skip(op, ecp_pick(k, op->b % KFH_ECP_PASS_COUNT, &p, &state, &r)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_FREE);
    in.ecp = state;
    ecp_in_recs(&in, -1, state == KFH_ECP_PTR_LIVE ? r : -1);
    ecp_predict(&in, &pred);
    if (!pred.stop.stops) {
        ecp_arm();
        R.ecp_depth = op->depth;
        ecp_due(r);
    }
    int from = R.log_n;
    FltFreeExtraCreateParameter(R.filter, p);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, STATUS_SUCCESS, from))
        return;
    ecp_disarm("FltFreeExtraCreateParameter");
    if (R.aborting)
        return;
    if (R.cfg->model_lie != 16)
        ecp_rec_freed(r); /* model_lie 16: as if the model had kept it (FE-8, FE-13) */
    ecp_done(op, &in, &pred, "freed");
}

/* A list and an ECP for insert, walk and set: the slots' pointers, live or surely freed. */
static const char *ecp_pair(int lk, int ek, int need_ecp, void **lp, int *ls, int *l, void **ep, int *es, int *r)
{
    const char *why = ecpl_pick(lk, KFH_ECP_PASS_SLOT, lp, ls, l);
    if (why && R.lslot[lk] >= 0 && !R.lrec[R.lslot[lk]].live)
        why = ecpl_pick(lk, KFH_ECP_PASS_AGAIN, lp, ls, l);
    if (!why && need_ecp) {
        why = ecp_pick(ek, KFH_ECP_PASS_SLOT, ep, es, r);
        if (why && R.eslot[ek] >= 0 && !R.erec[R.eslot[ek]].live)
            why = ecp_pick(ek, KFH_ECP_PASS_AGAIN, ep, es, r);
    }
    return why;
}

static void exec_ecp_insert(const kfh_op *op)
{
    int ls = 0, es = 0, l, r;
    void *lp, *ep;
    if (ecp_skip(op, ecp_pair(op->a % KFH_ECP_LIST_SLOTS, op->b % KFH_ECP_SLOTS, 1, &lp, &ls, &l, &ep, &es, &r)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_INSERT);
    in.list = ls;
    in.ecp = es;
    ecp_in_recs(&in, ls == KFH_ECP_PTR_LIVE ? l : -1, es == KFH_ECP_PTR_LIVE ? r : -1);
    in.type_in_list = ls == KFH_ECP_PTR_LIVE && es == KFH_ECP_PTR_LIVE && ecp_member_of_type(l, R.erec[r].type) >= 0;
    ecp_predict(&in, &pred);
    int from = R.log_n;
    NTSTATUS st = FltInsertExtraCreateParameter(R.filter, (PECP_LIST)lp, ep);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, st, from))
        return;
    if (st == STATUS_SUCCESS)
        ecp_append(l, r);
    char b[48];
    ecp_done(op, &in, &pred, ecp_st(st, b, sizeof b));
}

/* An ECP a routine handed out: record r's when it is that ECP (its size, and its type when given);
 * a record from above learns its address here. -1 when the answer is another ECP. */
static int ecp_handed(int r, const void *ctx, ULONG size, const GUID *type)
{
    if (r < 0 || !ctx || size != R.erec[r].size ||
        (type && memcmp(type, kfh_ecp_type_at(R.erec[r].type), sizeof *type)))
        return -1;
    if (!R.erec[r].mem) {
        for (int i = 0; i < R.n_erec; i++)
            if (R.erec[i].mem == ctx && R.erec[i].live)
                return -1;
        R.erec[r].mem = (void *)ctx;
        /* FE-14: the originator's contents, zeros when none are given. */
        for (ULONG i = 0; i < size; i++)
            if (((const UCHAR *)ctx)[i] != 0)
                return -1;
    }
    return R.erec[r].mem == ctx ? r : -1;
}

static void exec_ecp_lookup(const kfh_op *op, int remove)
{
    int ls = 0, es = 0, l, r;
    void *lp, *ep;
    int into = op->c % KFH_ECP_SLOTS, type = op->b % KFH_ECP_TYPES;
    const char *why = ecp_pair(op->a % KFH_ECP_LIST_SLOTS, 0, 0, &lp, &ls, &l, &ep, &es, &r);
    if (ecp_skip(op, why ? why : ecp_into_ok(into)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, remove ? KFH_ECP_R_REMOVE : KFH_ECP_R_FIND);
    in.list = ls;
    int m = ls == KFH_ECP_PTR_LIVE ? ecp_member_of_type(l, type) : -1;
    in.type_in_list = m >= 0;
    ecp_predict(&in, &pred);
    PVOID ctx = ecp_foreign;
    ULONG size = 0xFFFFFFFFu;
    int from = R.log_n;
    NTSTATUS st = remove ? FltRemoveExtraCreateParameter(R.filter, (PECP_LIST)lp, kfh_ecp_type_at(type), &ctx, &size)
                         : FltFindExtraCreateParameter(R.filter, (PECP_LIST)lp, kfh_ecp_type_at(type), &ctx, &size);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, st, from))
        return;
    int got = st == STATUS_SUCCESS ? ecp_handed(m, ctx, size, NULL) : -1;
    /* FE-7, FE-8: the ECP of that type with its size; not found: NULL (and a size of 0 for a find). */
    if (st == STATUS_SUCCESS ? got < 0 : ctx != NULL || (!remove && size != 0)) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, kfh_ecp_routine_name(in.routine), "-",
                       st == STATUS_SUCCESS ? "the list's ECP of that type, with its size" : "NULL, size 0",
                       "another context or size");
        return;
    }
    if (got >= 0) {
        if (remove)
            ecp_unlink(got);
        R.eslot[into] = (int8_t)got;
    }
    char b[48];
    ecp_done(op, &in, &pred, ecp_st(st, b, sizeof b));
}

static void exec_ecp_next(const kfh_op *op)
{
    int ls = KFH_ECP_PTR_NULL, es = 0, l = -1, r = -1, into = op->c % KFH_ECP_SLOTS;
    int b = op->b % KFH_ECP_NEXT_COUNT, with = b >= KFH_ECP_NEXT_AFTER0 && b < KFH_ECP_NEXT_NULL_LIST;
    void *lp = NULL, *ep = NULL;
    const char *why = b == KFH_ECP_NEXT_NULL_LIST
                          ? NULL
                          : ecp_pair(op->a % KFH_ECP_LIST_SLOTS, b - KFH_ECP_NEXT_AFTER0, with, &lp, &ls, &l, &ep,
                                     &es, &r);
    if (ecp_skip(op, why ? why : ecp_into_ok(into)))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_NEXT);
    in.list = ls;
    in.with_current = with;
    in.ecp = es;
    ecp_in_recs(&in, ls == KFH_ECP_PTR_LIVE ? l : -1, with && es == KFH_ECP_PTR_LIVE ? r : -1);
    int next = -1;
    if (ls == KFH_ECP_PTR_LIVE) {
        int at = 0;
        if (with && in.ecp_in_this_list)
            for (at = 0; at < R.lrec[l].n && R.lrec[l].member[at] != r; at++)
                ;
        at += with;
        next = at < R.lrec[l].n ? R.lrec[l].member[at] : -1;
    }
    in.has_next = next >= 0;
    ecp_predict(&in, &pred);
    GUID type;
    memset(&type, 0, sizeof type);
    PVOID ctx = ecp_foreign;
    ULONG size = 0xFFFFFFFFu;
    int from = R.log_n;
    NTSTATUS st = FltGetNextExtraCreateParameter(R.filter, (PECP_LIST)lp, with ? ep : NULL, &type, &ctx, &size);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, st, from))
        return;
    int got = st == STATUS_SUCCESS ? ecp_handed(next, ctx, size, &type) : -1;
    int bad = st == STATUS_SUCCESS ? got < 0 : st == STATUS_NOT_FOUND && (ctx != NULL || size != 0);
    if (bad) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "FltGetNextExtraCreateParameter", "-",
                       st == STATUS_SUCCESS ? "the next ECP in insertion order, with its type and size (FE-7)"
                                            : "NULL, size 0",
                       "another context, type or size");
        return;
    }
    if (got >= 0)
        R.eslot[into] = (int8_t)got;
    char t[48];
    ecp_done(op, &in, &pred, ecp_st(st, t, sizeof t));
}

static void exec_ecp_mark(const kfh_op *op)
{
    static const int routines[KFH_ECP_MARK_COUNT] = {KFH_ECP_R_ACK, KFH_ECP_R_IS_ACK, KFH_ECP_R_REUSE,
                                                     KFH_ECP_R_FROM_USER};
    int es = 0, r, mark = op->b % KFH_ECP_MARK_COUNT;
    void *ep;
    const char *why = ecp_pick(op->a % KFH_ECP_SLOTS, KFH_ECP_PASS_SLOT, &ep, &es, &r);
    if (why && R.eslot[op->a % KFH_ECP_SLOTS] >= 0 && !R.erec[R.eslot[op->a % KFH_ECP_SLOTS]].live)
        why = ecp_pick(op->a % KFH_ECP_SLOTS, KFH_ECP_PASS_AGAIN, &ep, &es, &r);
    if (ecp_skip(op, why))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, routines[mark]);
    in.ecp = es;
    ecp_predict(&in, &pred);
    BOOLEAN answer = FALSE;
    int from = R.log_n;
    switch (mark) {
    case KFH_ECP_MARK_ACK:
        FltAcknowledgeEcp(R.filter, ep);
        break;
    case KFH_ECP_MARK_IS_ACK:
        answer = FltIsEcpAcknowledged(R.filter, ep);
        break;
    case KFH_ECP_MARK_REUSE:
        FltPrepareToReuseEcp(R.filter, ep);
        break;
    default:
        answer = FltIsEcpFromUserMode(R.filter, ep);
        break;
    }
    if (!ecp_returned(&in) || ecp_check(&in, &pred, STATUS_SUCCESS, from))
        return;
    const char *what = "acknowledged";
    if (mark == KFH_ECP_MARK_ACK && R.cfg->model_lie != 17) /* 17: as if the model forgot the mark (FE-9) */
        R.erec[r].acked = 1;
    if (mark == KFH_ECP_MARK_REUSE) {
        R.erec[r].acked = 0;
        what = "cleared";
    }
    if (mark == KFH_ECP_MARK_IS_ACK || mark == KFH_ECP_MARK_FROM_USER) {
        int want = mark == KFH_ECP_MARK_IS_ACK ? R.erec[r].acked : R.erec[r].user;
        what = answer ? "TRUE" : "FALSE";
        if ((answer != FALSE) != (want != 0)) {
            simple_finding(KFH_INV_FLT_ECP_STATUS, kfh_ecp_routine_name(in.routine), "-", want ? "TRUE" : "FALSE",
                           "%s [FE-9]", what);
            return;
        }
    }
    ecp_done(op, &in, &pred, what);
}

static void exec_ecp_lookaside(const kfh_op *op)
{
    int k = op->a % KFH_ECP_LA_SLOTS, del = op->b & KFH_ECP_LA_DELETE, mis = (op->b >> 2) % KFH_ECP_LA_MIS_COUNT;
    if (ecp_skip(op, del && mis == KFH_ECP_LA_MIS_TAG ? "a delete takes no pool tag" : NULL))
        return;
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, del ? KFH_ECP_R_LA_DELETE : KFH_ECP_R_LA_INIT);
    in.misuse = mis;
    in.nonpaged = (op->b & KFH_ECP_LA_NONPAGED) != 0;
    in.flags = (in.nonpaged ? FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL : 0) |
               (mis == KFH_ECP_LA_MIS_FLAGS ? KFH_ECP_BAD_FLAGS : 0);
    in.la_live = R.la[k].live;
    in.la_init_flags = R.la[k].flags;
    in.size = ECP_LA_SIZE;
    ecp_predict(&in, &pred);
    int from = R.log_n;
    if (del)
        FltDeleteExtraCreateParameterLookasideList(R.filter, ecp_la_mem[k], in.flags);
    else
        FltInitExtraCreateParameterLookasideList(R.filter, ecp_la_mem[k], in.flags, ECP_LA_SIZE,
                                                 mis == KFH_ECP_LA_MIS_TAG ? 0 : ECP_TAG);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, STATUS_SUCCESS, from))
        return;
    R.la[k].live = !del;
    if (del) {
        for (int r = 0; r < R.n_erec; r++)
            if (R.erec[r].live && R.erec[r].la == k)
                R.erec[r].la_deleted = 1;
    } else {
        R.la[k].flags = in.flags;
    }
    ecp_done(op, &in, &pred, del ? "deleted" : "initialized");
}

/* A callback data slot an ECP operation works on: live, not in flight. */
static cbd_slot *ecp_cbd(const kfh_op *op)
{
    cbd_slot *c = usable_slot(op, 1);
    if (c && c->in_flight) {
        skip_event("%*s  skipped: its asynchronous I/O has not completed", IND(op));
        return NULL;
    }
    return c;
}

static void exec_ecp_get(const kfh_op *op)
{
    int lk = op->b % KFH_ECP_LIST_SLOTS;
    if (ecp_skip(op, ecpl_into_ok(lk)))
        return;
    cbd_slot *c = ecp_cbd(op);
    if (!c)
        return;
    int k = (int)(c - R.cbd), l = ecp_list_of_cbd(k);
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_GET);
    in.is_create = c->major == IRP_MJ_CREATE;
    ecp_predict(&in, &pred);
    PECP_LIST list = (PECP_LIST)ecp_foreign;
    int from = R.log_n;
    NTSTATUS st = FltGetEcpListFromCallbackData(R.filter, c->d, &list);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, st, from))
        return;
    /* FE-11: the list attached to it, NULL when none; *EcpList untouched when not a create. A list
     * from above learns its address here. */
    if (st == STATUS_SUCCESS && l >= 0 && !R.lrec[l].mem && list && list != (PECP_LIST)ecp_foreign)
        R.lrec[l].mem = list;
    void *want = st != STATUS_SUCCESS ? (void *)ecp_foreign : l >= 0 ? R.lrec[l].mem : NULL;
    if ((void *)list != want) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "FltGetEcpListFromCallbackData", "-",
                       st != STATUS_SUCCESS ? "*EcpList untouched" : l >= 0 ? "the list attached" : "NULL",
                       "%s", list ? "another list" : "NULL");
        return;
    }
    if (st == STATUS_SUCCESS)
        R.lslot[lk] = (int8_t)l;
    char b[48];
    ecp_done(op, &in, &pred, st != STATUS_SUCCESS ? ecp_st(st, b, sizeof b) : l >= 0 ? "a list" : "no list");
}

static void exec_ecp_set(const kfh_op *op)
{
    int ls = 0, es, l, r;
    void *lp, *ep;
    if (ecp_skip(op, ecp_pair(op->b % KFH_ECP_LIST_SLOTS, 0, 0, &lp, &ls, &l, &ep, &es, &r)))
        return;
    cbd_slot *c = ecp_cbd(op);
    if (!c)
        return;
    int k = (int)(c - R.cbd);
    kfh_ecp_in in;
    kfh_ecp_pred pred;
    ecp_in(&in, KFH_ECP_R_SET);
    in.list = ls;
    ecp_in_recs(&in, ls == KFH_ECP_PTR_LIVE ? l : -1, -1);
    in.is_create = c->major == IRP_MJ_CREATE;
    in.cbd_has_list = ecp_list_of_cbd(k) >= 0;
    ecp_predict(&in, &pred);
    int from = R.log_n;
    NTSTATUS st = FltSetEcpListIntoCallbackData(R.filter, c->d, (PECP_LIST)lp);
    if (!ecp_returned(&in) || ecp_check(&in, &pred, st, from))
        return;
    if (st == STATUS_SUCCESS)
        R.lrec[l].cbd = (int8_t)k;
    char b[48];
    ecp_done(op, &in, &pred, ecp_st(st, b, sizeof b));
}

static void exec_ecp_create_done(const kfh_op *op)
{
    cbd_slot *c = ecp_cbd(op);
    if (!c)
        return;
    int k = (int)(c - R.cbd);
    int due = ecp_end_expect(k, op->depth);
    size_t n = kf_flt_ecp_create_done(c->d);
    if (R.aborting)
        return;
    ecp_end_done(k, "kf_flt_ecp_create_done");
    if (R.aborting)
        return;
    if (n != (size_t)due) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "kf_flt_ecp_create_done", "-",
                       "the ECPs of the create's list and those that came down with it (FE-12)", "%zu freed, %d due", n,
                       due);
        return;
    }
    kfh_trace_event("%*s  -> %zu ECP(s) freed [FE-12]", IND(op), n);
    reach("kf_flt_ecp_create_done: %s", n ? "ECPs freed" : "no ECP freed");
}

static void exec_ecp_attach(const kfh_op *op)
{
    int n = op->b & 3;
    if (R.n_erec + n > ECP_RECORDS || R.n_lrec >= ECPL_RECORDS) {
        skip_event("%*s  skipped: the run's records are full", IND(op));
        return;
    }
    cbd_slot *c = ecp_cbd(op);
    if (!c)
        return;
    int k = (int)(c - R.cbd);
    kf_flt_ecp_spec specs[3];
    memset(specs, 0, sizeof specs);
    for (int i = 0; i < n; i++) {
        specs[i].type = *kfh_ecp_type_at(i);
        specs[i].size = 8u * (ULONG)(i + 1);
        specs[i].from_user_mode = (op->b & KFH_ECP_ATTACH_USER) != 0;
        specs[i].acknowledged = (op->b & KFH_ECP_ATTACH_ACKED) != 0;
    }
    /* FE-14: refused while the callback data carries a list. */
    int refused = ecp_list_of_cbd(k) >= 0;
    int from = R.log_n;
    int rc = kf_flt_attach_ecps(c->d, specs, (unsigned)n);
    if (R.aborting)
        return;
    if ((rc != 0) != refused || R.log_n != from) {
        simple_finding(KFH_INV_FLT_ECP_STATUS, "kf_flt_attach_ecps", "-",
                       refused ? "-1: the callback data carries a list (FE-14)" : "0, no site consulted (FE-14)",
                       "%d, %d consultation(s)", rc, R.log_n - from);
        return;
    }
    if (!refused) {
        int l = ecpl_new(NULL);
        R.lrec[l].above = 1;
        R.lrec[l].cbd = (int8_t)k;
        for (int i = 0; i < n; i++) {
            int r = ecp_new(NULL, i, specs[i].size);
            R.erec[r].above = 1;
            R.erec[r].cbd = (int8_t)k;
            R.erec[r].user = specs[i].from_user_mode;
            R.erec[r].acked = specs[i].acknowledged;
            ecp_append(l, r);
        }
    }
    kfh_trace_event("%*s  -> %s [FE-14]", IND(op), refused ? "refused" : "attached");
    reach("kf_flt_attach_ecps: %s", refused ? "refused" : "attached");
}

/* ---- Filter-initiated file I/O (version 15; harness/oracle_fltio.c, SEMANTICS.md FI-*, FS-*, FX-24..FX-27) ---- */

/* The consultations since `from` equal pred's sites; kinds gets their decisions. */
static int fio_sites_match(int from, const kfh_fio_pred *pred)
{
    if (R.log_n - from != pred->n_sites)
        return 0;
    for (int k = 0; k < pred->n_sites; k++)
        if (from + k >= LOG_MAX || R.log_site[from + k] != pred->sites[k])
            return 0;
    return 1;
}

static int fio_kinds(int from, kf_fault_kind *kinds)
{
    int n = 0;
    for (int k = from; k < R.log_n && k < LOG_MAX && n < 3; k++)
        kinds[n++] = R.log_kind[k];
    return n;
}

static void fio_mismatch(const char *routine, const char *site, const kfh_fio_pred *pred, NTSTATUS st, int from,
                         const char *what)
{
    char b[48], e[160], eb[48];
    snprintf(e, sizeof e, "%s, %d consultation(s)%s%s [%s]", kfh_fio_status_name(pred->status, eb, sizeof eb),
             pred->n_sites, what ? "; " : "", what ? what : "", pred->rule);
    simple_finding(KFH_INV_FLT_FIO_STATUS, routine, site, e, "%s, %d consultation(s)",
                   kfh_fio_status_name(st, b, sizeof b), R.log_n - from);
}

/* `file`: FS-1, with the directories above it put first as the driver targets put them. */
static void exec_fio_put(const kfh_op *op)
{
    static UCHAR bytes[65536];
    unsigned vol = op->b & KFH_FILE_VOLUME_MASK;
    const WCHAR *name = kfh_file_name_at(op->a);
    WCHAR prefix[256];
    int from = R.log_n;
    for (size_t n = 0; name[n] && n + 1 < sizeof prefix / sizeof *prefix; n++) {
        if (n > 0 && (name[n] == L'\\' || name[n] == L':')) {
            prefix[n] = 0;
            kf_flt_file_spec parent = {prefix, name[n] == L':' ? 0 : FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
            (void)kf_flt_add_file(vol, &parent); /* one already there is fine */
        }
        prefix[n] = name[n];
    }
    ULONG size = kfh_file_bytes(op, bytes, sizeof bytes);
    ULONG attrs = ((op->b & KFH_FILE_DIRECTORY) ? FILE_ATTRIBUTE_DIRECTORY : 0) |
                  ((op->b & KFH_FILE_READONLY) ? FILE_ATTRIBUTE_READONLY : 0) |
                  ((op->b & KFH_FILE_HIDDEN) ? FILE_ATTRIBUTE_HIDDEN : 0);
    kf_flt_file_spec spec = {name, attrs, size ? bytes : NULL, size};
    int rc = kf_flt_add_file(vol, &spec);
    int want = kfh_oracle_fio_put(&R.fs, vol, op);
    if (rc != want || R.log_n != from)
        simple_finding(KFH_INV_FLT_FIO_STATUS, "kf_flt_add_file", "-",
                       want ? "refused (FS-1: a parent that is no directory, or the name taken)" : "put (FS-1)",
                       "%s, %d consultation(s)", rc ? "refused" : "put", R.log_n - from);
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> %s %s on volume %u [FS-1]", IND(op), rc ? "refused" : "put", kfh_file_name_text(op->a),
                    vol);
    reach("file: %s", rc ? "refused" : "put");
}

static NTSTATUS fio_call_create(int routine, PFLT_INSTANCE inst, PHANDLE h, PFILE_OBJECT *fo, ACCESS_MASK access,
                                POBJECT_ATTRIBUTES oa, PIO_STATUS_BLOCK iosb, ULONG disposition, ULONG options,
                                ULONG flags)
{
    ULONG share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    switch (routine) {
    case KFH_FIO_CR_PLAIN:
        return FltCreateFile(R.filter, inst, h, access, oa, iosb, NULL, FILE_ATTRIBUTE_NORMAL, share, disposition,
                             options, NULL, 0, flags);
    case KFH_FIO_CR_EX:
        return FltCreateFileEx(R.filter, inst, h, fo, access, oa, iosb, NULL, FILE_ATTRIBUTE_NORMAL, share,
                               disposition, options, NULL, 0, flags);
    default:
        return FltCreateFileEx2(R.filter, inst, h, fo, access, oa, iosb, NULL, FILE_ATTRIBUTE_NORMAL, share,
                                disposition, options, NULL, 0, flags, NULL);
    }
}

/* The first volume other than v with an instance, or -1. */
static int fio_other_volume(unsigned v)
{
    for (unsigned k = 0; k < KFH_FLT_VOLUMES; k++)
        if (k != v && R.inst[k])
            return (int)k;
    return -1;
}

static const char *fio_information_name(ULONG_PTR info)
{
    switch (info) {
    case FILE_SUPERSEDED: return "FILE_SUPERSEDED";
    case FILE_OPENED: return "FILE_OPENED";
    case FILE_CREATED: return "FILE_CREATED";
    case FILE_OVERWRITTEN: return "FILE_OVERWRITTEN";
    default: return "other";
    }
}

#define LOWER_SCRIPTED "a scripted lower answer replaces the file system's"

static void exec_fio_create(const kfh_op *op)
{
    int k = op->a % KFH_FIO_SLOTS;
    struct fio_rec *f = &R.fio[k];
    unsigned vol = op->b & 3, name = op->size_sel % KFH_FILE_NAMES;
    int routine = ((op->b >> 2) & 3) % KFH_FIO_CR_COUNT, misuse = (op->b >> 5) % KFH_FIO_CMIS_COUNT;
    int any = (op->b & KFH_FIO_ANY_INSTANCE) != 0 && misuse != KFH_FIO_CMIS_OTHER_VOLUME;
    int other = misuse == KFH_FIO_CMIS_OTHER_VOLUME ? fio_other_volume(vol) : -1;
    const char *why = R.flt_state != 1                                  ? "no filter registered"
                      : R.lower_set                                      ? LOWER_SCRIPTED
                      : f->open || f->has_fo                             ? "the handle slot holds a file"
                      : misuse == KFH_FIO_CMIS_OTHER_VOLUME && other < 0 ? "no instance on another volume"
                      : !any && other < 0 && !R.inst[vol]                ? "no instance on that volume"
                      : any && vol < R.volumes && !R.inst[vol]           ? "no instance on that volume"
                                                                         : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    PFLT_INSTANCE inst = any ? NULL : other >= 0 ? R.inst[other] : R.inst[vol];
    unsigned inst_vol = other >= 0 ? (unsigned)other : vol;
    kfh_fio_create_in in;
    memset(&in, 0, sizeof in);
    in.irql = R.sh.irql;
    in.routine = routine;
    in.misuse = misuse;
    in.volume = vol;
    in.name = name;
    in.volumes = R.volumes;
    in.any_instance = any;
    in.instance_going = inst && (R.teardown & (1u << inst_vol));
    in.disposition = op->c & KFH_FIO_DISPOSITION;
    in.dir = (op->c & KFH_FIO_DIR) != 0;
    in.nondir = (op->c & KFH_FIO_NONDIR) != 0;
    in.write = !(op->c & KFH_FIO_READ_ONLY);
    kfh_fio_pred pred;
    kfh_oracle_fio_create(&in, NULL, 0, &R.fs, 0, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    /* The name: the volume's device name and the file's path, a device no volume has, or the path
     * without its leading backslash. */
    static WCHAR path[320];
    char dev[48];
    size_t n = 0;
    if (misuse != KFH_FIO_CMIS_RELATIVE) {
        snprintf(dev, sizeof dev, "\\Device\\HarddiskVolume%u", misuse == KFH_FIO_CMIS_NO_VOLUME ? 9u : vol + 1);
        for (const char *c = dev; *c; c++)
            path[n++] = (WCHAR)*c;
    }
    const WCHAR *file = kfh_file_name_at(name) + (misuse == KFH_FIO_CMIS_RELATIVE);
    while (*file && n + 1 < sizeof path / sizeof *path)
        path[n++] = *file++;
    UNICODE_STRING us = {(USHORT)(n * sizeof(WCHAR)), (USHORT)(n * sizeof(WCHAR)), path};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    iosb.Status = (NTSTATUS)0x7E7E7E7E;
    iosb.Information = 0x7E7E;
    HANDLE h = (HANDLE)(ULONG_PTR)0x7E7E;
    PFILE_OBJECT fo = (PFILE_OBJECT)(ULONG_PTR)0x7E7E;
    ACCESS_MASK access = FILE_GENERIC_READ | SYNCHRONIZE | (in.write ? FILE_GENERIC_WRITE : 0);
    ULONG options = FILE_SYNCHRONOUS_IO_NONALERT | (in.dir ? FILE_DIRECTORY_FILE : 0) |
                    (in.nondir ? FILE_NON_DIRECTORY_FILE : 0);
    const char *rname = kfh_fio_routine_name(routine);
    int from = R.log_n;
    NTSTATUS st = fio_call_create(routine, inst, &h, routine == KFH_FIO_CR_PLAIN ? NULL : &fo, access, &oa,
                                  misuse == KFH_FIO_CMIS_NULL_IOSB ? NULL : &iosb, in.disposition, options,
                                  misuse == KFH_FIO_CMIS_FLAGS ? 0x40000000u : 0);
    if (R.expect.stops) {
        missed_stop(rname);
        return;
    }
    kf_fault_kind kinds[3];
    int nk = fio_kinds(from, kinds);
    kfh_oracle_fio_create(&in, kinds, nk, &R.fs, 1, &pred);
    int got = st == STATUS_SUCCESS && h != NULL && (routine == KFH_FIO_CR_PLAIN || fo != NULL);
    char b[48], w[96];
    if (!fio_sites_match(from, &pred) || st != pred.status)
        fio_mismatch(rname, "flt.create", &pred, st, from, NULL);
    else if (pred.iosb ? (iosb.Status != st || iosb.Information != pred.information)
                       : (iosb.Status != (NTSTATUS)0x7E7E7E7E || iosb.Information != 0x7E7E)) {
        snprintf(w, sizeof w, pred.iosb ? "IoStatusBlock %s, Information %s" : "IoStatusBlock not written",
                 kfh_fio_status_name(st, b, sizeof b), fio_information_name(pred.information));
        fio_mismatch(rname, "flt.create", &pred, st, from, w);
    } else if (got != pred.handle || (!pred.handle && (h != NULL || (routine != KFH_FIO_CR_PLAIN && fo != NULL))))
        fio_mismatch(rname, "ob.handle", &pred, st, from,
                     pred.handle ? "a handle (and file object)" : "*FileHandle and *FileObject NULL (FI-1)");
    if (R.aborting)
        return;
    if (got) {
        f->h = h;
        f->open = 1;
        f->fo = routine == KFH_FIO_CR_PLAIN ? NULL : fo;
        f->has_fo = routine != KFH_FIO_CR_PLAIN;
        f->vol = (uint8_t)vol;
        f->name = (uint8_t)name;
        f->pos = 0;
        R.fio_handles++;
    }
    const char *sn = kfh_fio_status_name(st, b, sizeof b);
    kfh_trace_event("%*s  -> %s, IoStatusBlock %s%s [%s]", IND(op), sn,
                    !pred.iosb ? "not written" : st == STATUS_SUCCESS ? fio_information_name(pred.information)
                                                                      : "the status",
                    got ? ", a handle" : "", pred.rule);
    reach("%s: %s", rname, sn);
    if (st == STATUS_SUCCESS)
        reach("create: %s", fio_information_name(pred.information));
}

static void exec_fio_close(const kfh_op *op)
{
    int k = op->a % KFH_FIO_SLOTS, variant = op->b % KFH_FIO_CLOSE_COUNT;
    struct fio_rec *f = &R.fio[k];
    const char *why = NULL;
    if (R.flt_state == 2)
        why = "the filter's state is unknown after a stop in FltUnregisterFilter";
    else if (variant == KFH_FIO_CLOSE_HANDLE && !f->open)
        why = "the handle slot holds no open handle";
    else if (variant == KFH_FIO_CLOSE_AGAIN && !f->stale_ok)
        why = "the slot closed no handle";
    else if (variant == KFH_FIO_CLOSE_AGAIN && f->closed_at != R.fio_handles)
        why = "a handle was made since the slot's was closed: it may have its value";
    else if ((variant == KFH_FIO_CLOSE_FOREIGN || variant == KFH_FIO_CLOSE_OBJECT) && !f->has_fo)
        why = "the slot holds no file object";
    else if ((variant == KFH_FIO_CLOSE_FOREIGN || variant == KFH_FIO_CLOSE_OBJECT) && R.sh.irql != PASSIVE_LEVEL)
        why = "the runner opens handles and drops file objects at PASSIVE_LEVEL";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    if (variant == KFH_FIO_CLOSE_OBJECT) {
        /* The caller's reference of FltCreateFileEx(2): its last one closes the file (FI-6). */
        int from = R.log_n;
        f->has_fo = 0;
        ObDereferenceObject(f->fo);
        if (R.log_n != from)
            simple_finding(KFH_INV_FLT_FIO_STATUS, "ObDereferenceObject", "-", "no site consulted (FI-6)",
                           "%d consultation(s)", R.log_n - from);
        if (!R.aborting)
            reach("ObDereferenceObject: file object %s", f->open ? "kept by its handle" : "closed");
        return;
    }
    HANDLE h = variant == KFH_FIO_CLOSE_HANDLE ? f->h : variant == KFH_FIO_CLOSE_AGAIN ? f->stale : NULL;
    if (variant == KFH_FIO_CLOSE_FOREIGN) {
        if (R.fio_foreign >= 8 ||
            ObOpenObjectByPointer(f->fo, OBJ_KERNEL_HANDLE, NULL, 0, *IoFileObjectType, KernelMode, &h) !=
                STATUS_SUCCESS) {
            skip_event("%*s  skipped: ObOpenObjectByPointer made no handle", IND(op));
            return;
        }
        R.fio_foreign_fo[R.fio_foreign] = f->fo;
        R.fio_foreign_h[R.fio_foreign++] = h;
    }
    kfh_fio_pred pred;
    kfh_oracle_fio_close(R.sh.irql, variant, (ULONG_PTR)h, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    NTSTATUS st = FltClose(h);
    if (R.expect.stops) {
        missed_stop("FltClose");
        return;
    }
    if (R.log_n != from || st != pred.status)
        fio_mismatch("FltClose", "-", &pred, st, from, NULL);
    if (R.aborting)
        return;
    if (variant == KFH_FIO_CLOSE_HANDLE) {
        f->open = R.cfg->model_lie == 14; /* 14: as if the model had kept the handle open (FI-5) */
        f->stale = f->h;
        f->stale_ok = 1;
        f->closed_at = R.fio_handles;
    }
    char b[48];
    const char *sn = kfh_fio_status_name(st, b, sizeof b);
    kfh_trace_event("%*s  -> %s [FI-5]", IND(op), sn);
    reach("FltClose: %s", sn);
}

/* The deferred completion of pending read or write p (FI-10, F-20, F-21): the layers below answer
 * now, and the routine runs once, at the completion IRQL. */
static void fio_deferred_done(PFLT_CALLBACK_DATA d, struct fio_pend *p)
{
    if (++p->calls > 1) {
        simple_finding(KFH_INV_FLT_FIO_STATUS, "kf_flt_run_pending_completions", "-",
                       "a read or write's routine called once (FI-10)", "called %d times", p->calls);
        return;
    }
    if (R.aborting)
        return;
    const char *rname = p->in.routine == KFH_FIO_IO_READ ? "FltReadFile" : "FltWriteFile";
    int from = R.flt_mark;
    kf_fault_kind lower = R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE;
    kfh_fio_node *node = kfh_fio_lookup(&R.fs, p->in.volume, p->in.name);
    int data_ok = 1;
    if (p->in.routine == KFH_FIO_IO_READ && d->IoStatus.Status == STATUS_SUCCESS && node)
        for (ULONG i = 0; i < p->in.length && p->in.offset + i < node->size && data_ok; i++)
            data_ok = p->buf[i] == node->data[p->in.offset + i];
    kfh_fio_pred pred;
    kfh_oracle_fio_complete(&p->in, lower, &R.fs, 1, &pred);
    if (pred.status == STATUS_SUCCESS && pred.information)
        R.fio[p->slot].pos = (LONGLONG)p->in.offset + (LONGLONG)pred.information;
    /* A `lower` answer scripted since the request started replaces the file system's (F-18),
     * which still acted on the file. */
    if (R.lower_set && lower == KF_FAULT_NONE) {
        pred.status = R.lower_status;
        pred.information = R.lower_info;
        pred.rule = "F-18";
        data_ok = 1;
    }
    KIRQL want = R.async_irql > R.sh.irql ? R.async_irql : R.sh.irql;
    char w[128];
    w[0] = 0;
    if (!fio_sites_match(from, &pred) || d->IoStatus.Status != pred.status || d->IoStatus.Information != pred.information)
        snprintf(w, sizeof w, "IoStatus with Information %lu (FI-10, F-20)", (unsigned long)pred.information);
    else if (KeGetCurrentIrql() != want)
        snprintf(w, sizeof w, "the routine at IRQL %u (F-21)", want);
    else if (!data_ok)
        snprintf(w, sizeof w, "the bytes the file holds when the completion runs (FS-7, F-20)");
    if (w[0]) {
        fio_mismatch(rname, "flt.io.lower", &pred, d->IoStatus.Status, from, w);
        return;
    }
    char b[48];
    const char *sn = kfh_fio_status_name(pred.status, b, sizeof b);
    kfh_trace_event("%*s  deferred completion of slot %d's %s at IRQL %u: %s, Information %lu [%s]",
                    2 * (int)(R.sh.depth + 1), "", p->slot, rname, want, sn, (unsigned long)pred.information, pred.rule);
    reach("%s: deferred completion %s", rname, sn);
    R.flt_mark = R.log_n;
}

static VOID FLTAPI runner_fio_done(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    if (ctx) {
        fio_deferred_done(d, (struct fio_pend *)ctx);
        return;
    }
    R.fio_cb_calls++;
    R.fio_cb_status = d->IoStatus.Status;
    R.fio_cb_info = d->IoStatus.Information;
    R.fio_cb_irql = KeGetCurrentIrql();
}

static const char *const fio_routines[KFH_FIO_IO_COUNT] = {
    "FltReadFile", "FltWriteFile", "FltQueryInformationFile", "FltSetInformationFile", "FltQueryVolumeInformation",
    "FltFlushBuffers", "FltQueryDirectoryFile"};

/* The reads and writes started and not completed. */
static int fio_pending(void)
{
    int n = 0;
    for (int j = 0; j < R.n_fpend; j++)
        n += !R.fpend[j].calls;
    return n;
}

static void exec_fio_io(const kfh_op *op)
{
    /* Once none is pending, the entries are free again (a pending one's address is its context). */
    if (!fio_pending())
        R.n_fpend = 0;
    int routine = (op->b & 7) % KFH_FIO_IO_COUNT, misuse = ((op->b >> 4) & 7) % KFH_FIO_MIS_COUNT;
    int rw = routine == KFH_FIO_IO_READ || routine == KFH_FIO_IO_WRITE;
    int async = rw && (op->b & KFH_FIO_ASYNC);
    int volq = routine == KFH_FIO_IO_VOLUME;
    struct fio_rec *f = &R.fio[op->a % KFH_FIO_SLOTS];
    unsigned vol = volq ? op->a % KFH_FLT_VOLUMES : f->vol;
    int other = misuse == KFH_FIO_MIS_WRONG_VOLUME ? fio_other_volume(vol) : -1;
    const char *why = R.flt_state != 1                                 ? "no filter registered"
                      : R.lower_set                                     ? LOWER_SCRIPTED
                      : volq && misuse                                  ? "the volume query takes no misuse"
                      : !volq && !f->has_fo                             ? "the handle slot holds no file object"
                      : !R.inst[vol]                                    ? "no instance on that volume"
                      : misuse == KFH_FIO_MIS_WRONG_VOLUME && other < 0 ? "no instance on another volume"
                      : misuse == KFH_FIO_MIS_FLAGS && !rw              ? "only reads and writes take Flags"
                      : async && R.async_deferred && R.n_fpend >= 4 ? "four reads and writes pending already"
                                                                    : NULL;
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    PFLT_INSTANCE inst = other >= 0 ? R.inst[other] : R.inst[vol];
    PFILE_OBJECT fo = misuse == KFH_FIO_MIS_NULL_OBJECT ? NULL : f->fo;
    kfh_fio_io_in in;
    memset(&in, 0, sizeof in);
    in.irql = R.sh.irql;
    in.routine = routine;
    in.async = async;
    in.misuse = misuse;
    in.volume = vol;
    in.name = f->name;
    in.other_volume = other >= 0 ? (unsigned)other : vol;
    in.fo_state = volq || f->open ? KFH_FIO_FO_OPEN : KFH_FIO_FO_CLEANED;
    in.instance_going = (R.teardown & (1u << (other >= 0 ? (unsigned)other : vol))) != 0;
    in.offset = op->c;
    in.length = op->size_sel;
    in.deferred = async && R.async_deferred;
    kfh_fio_pred pred;
    kfh_oracle_fio_io(&in, NULL, 0, &R.fs, 0, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    /* A deferred request's buffer lives until its completion. */
    static UCHAR sbuf[KFH_FIO_SHADOW];
    struct fio_pend *pend = in.deferred ? &R.fpend[R.n_fpend] : NULL;
    UCHAR *buf = pend ? pend->buf : sbuf;
    memset(buf, 0xCC, pend ? sizeof pend->buf : sizeof sbuf);
    if (pend) {
        pend->in = in;
        pend->slot = op->a % KFH_FIO_SLOTS;
        pend->calls = 0;
        pend->fo = fo;
    }
    if (routine == KFH_FIO_IO_WRITE)
        for (ULONG i = 0; i < in.length; i++)
            buf[i] = kfh_fio_byte(in.offset, i);
    LARGE_INTEGER off;
    off.QuadPart = in.offset;
    ULONG flags = misuse == KFH_FIO_MIS_FLAGS ? KFH_FIO_BAD_FLAG : 0;
    ULONG got = 0x7E7E;
    IO_STATUS_BLOCK iosb;
    iosb.Status = (NTSTATUS)0x7E7E7E7E;
    iosb.Information = 0x7E7E;
    R.fio_cb_calls = 0;
    const char *rname = fio_routines[routine];
    int from = R.log_n;
    NTSTATUS st;
    switch (routine) {
    case KFH_FIO_IO_READ:
        st = FltReadFile(inst, fo, &off, in.length, buf, flags, &got, async ? runner_fio_done : NULL, pend);
        break;
    case KFH_FIO_IO_WRITE:
        st = FltWriteFile(inst, fo, &off, in.length, buf, flags, &got, async ? runner_fio_done : NULL, pend);
        break;
    case KFH_FIO_IO_QUERY:
        st = FltQueryInformationFile(inst, fo, buf, sizeof(FILE_STANDARD_INFORMATION), FileStandardInformation, &got);
        break;
    case KFH_FIO_IO_SET_EOF: {
        FILE_END_OF_FILE_INFORMATION e;
        e.EndOfFile.QuadPart = in.offset;
        st = FltSetInformationFile(inst, fo, &e, sizeof e, FileEndOfFileInformation);
        break;
    }
    case KFH_FIO_IO_VOLUME:
        st = FltQueryVolumeInformation(inst, &iosb, buf, sizeof(FILE_FS_DEVICE_INFORMATION), FileFsDeviceInformation);
        break;
    case KFH_FIO_IO_FLUSH:
        st = FltFlushBuffers(inst, fo);
        break;
    default:
        st = FltQueryDirectoryFile(inst, fo, buf, 256, FileNamesInformation, TRUE, NULL, TRUE, &got);
        break;
    }
    if (R.expect.stops) {
        missed_stop(rname);
        return;
    }
    if (R.aborting)
        return;
    /* What the file holds, before the prediction applies a write or a set to the record. */
    kfh_fio_node *node = volq ? NULL : kfh_fio_lookup(&R.fs, vol, f->name);
    int data_ok = 1;
    if (routine == KFH_FIO_IO_READ && st == STATUS_SUCCESS && node)
        for (ULONG i = 0; i < in.length && in.offset + i < node->size && data_ok; i++)
            data_ok = buf[i] == node->data[in.offset + i];
    kf_fault_kind kinds[3];
    int nk = fio_kinds(from, kinds);
    kfh_oracle_fio_io(&in, kinds, nk, &R.fs, 1, &pred);
    if (R.cfg->model_lie == 15 && routine == KFH_FIO_IO_READ && !async && got && got != 0x7E7E)
        got--; /* 15: as if the model had read one byte less than the file holds (FS-7) */
    char b[48], w[160];
    w[0] = 0;
    int reached = pred.n_sites == 2;
    if (!fio_sites_match(from, &pred) || st != pred.status)
        snprintf(w, sizeof w, "the status");
    else if (pend && pend->calls)
        snprintf(w, sizeof w, "the routine not called before the pending completions run (FI-10, F-20)");
    else if (async && !pend && (R.fio_cb_calls != pred.callback ||
                       (pred.callback && (R.fio_cb_status != st || R.fio_cb_info != pred.information ||
                                          R.fio_cb_irql != (R.async_irql > R.sh.irql ? R.async_irql : R.sh.irql)))))
        snprintf(w, sizeof w, "the routine called %d time(s) with the status and Information %lu at IRQL %u (FI-10)",
                 pred.callback, (unsigned long)pred.information,
                 R.async_irql > R.sh.irql ? R.async_irql : R.sh.irql);
    else if (async && got != 0x7E7E)
        snprintf(w, sizeof w, "BytesRead not written with a CallbackRoutine (FI-10)");
    else if (!async && rw && reached && got != pred.information)
        snprintf(w, sizeof w, "BytesRead / BytesWritten %lu (FI-9)", (unsigned long)pred.information);
    else if ((routine == KFH_FIO_IO_QUERY || routine == KFH_FIO_IO_DIRECTORY) && got != pred.information)
        snprintf(w, sizeof w, "LengthReturned %lu (FI-11)", (unsigned long)pred.information);
    else if (volq && (iosb.Status != st || iosb.Information != pred.information))
        snprintf(w, sizeof w, "Iosb %s with Information %lu (FI-12)", kfh_fio_status_name(st, b, sizeof b),
                 (unsigned long)pred.information);
    else if (!data_ok)
        snprintf(w, sizeof w, "the bytes the file holds (FS-7)");
    else if (rw && fo && fo->CurrentByteOffset.QuadPart != (st == STATUS_SUCCESS && pred.information
                                                                   ? (LONGLONG)in.offset + (LONGLONG)pred.information
                                                                   : f->pos))
        snprintf(w, sizeof w, "CurrentByteOffset %lld (FI-8, FS-7: a synchronous file object's position follows)",
                 st == STATUS_SUCCESS && pred.information ? (long long)(in.offset + pred.information)
                                                          : (long long)f->pos);
    else if (routine == KFH_FIO_IO_QUERY && st == STATUS_SUCCESS &&
             ((ULONGLONG)((PFILE_STANDARD_INFORMATION)buf)->EndOfFile.QuadPart != pred.end_of_file ||
              ((PFILE_STANDARD_INFORMATION)buf)->Directory != (node && node->dir)))
        snprintf(w, sizeof w, "EndOfFile %u, Directory %d (FS-12)", (unsigned)pred.end_of_file, node && node->dir);
    else if (volq && st == STATUS_SUCCESS &&
             (((PFILE_FS_DEVICE_INFORMATION)buf)->DeviceType != FILE_DEVICE_DISK ||
              !(((PFILE_FS_DEVICE_INFORMATION)buf)->Characteristics & FILE_DEVICE_IS_MOUNTED)))
        snprintf(w, sizeof w, "FILE_DEVICE_DISK, FILE_DEVICE_IS_MOUNTED (FS-19)");
    else if (routine == KFH_FIO_IO_DIRECTORY && st == STATUS_SUCCESS &&
             (((PFILE_NAMES_INFORMATION)buf)->FileNameLength != sizeof(WCHAR) ||
              ((PFILE_NAMES_INFORMATION)buf)->FileName[0] != L'.'))
        snprintf(w, sizeof w, "the entry \".\" (FS-17)");
    if (w[0])
        fio_mismatch(rname, reached ? "flt.io.lower" : "flt.fileio", &pred, st, from, w);
    if (R.aborting)
        return;
    if (rw && st == STATUS_SUCCESS && pred.information)
        f->pos = (LONGLONG)in.offset + (LONGLONG)pred.information;
    if (pend && st == STATUS_PENDING)
        R.n_fpend++;
    const char *sn = kfh_fio_status_name(st, b, sizeof b);
    kfh_trace_event("%*s  -> %s, Information %lu%s [%s]", IND(op), sn,
                    (unsigned long)pred.information,
                    !async ? "" : st == STATUS_PENDING ? ", pending" : pred.callback ? ", its routine ran" : ", no routine",
                    pred.rule);
    reach("%s: %s%s", rname, sn, async ? " (asynchronous)" : "");
}

/* ---- Transactions (version 15; harness/oracle_fltxn.c, SEMANTICS.md FT-*, FX-32 to FX-35) ---------- */

/* Status names, with the transaction manager's that older traces never print (kept out of the
 * shared table so that no older trace changes). */
static const char *txn_st(NTSTATUS s, char *buf, size_t len)
{
    const char *n = s == STATUS_TRANSACTION_NOT_ACTIVE          ? "STATUS_TRANSACTION_NOT_ACTIVE"
                    : s == STATUS_FLT_ALREADY_ENLISTED          ? "STATUS_FLT_ALREADY_ENLISTED"
                    : s == STATUS_TRANSACTION_REQUEST_NOT_VALID ? "STATUS_TRANSACTION_REQUEST_NOT_VALID"
                    : s == STATUS_NOT_FOUND                     ? "STATUS_NOT_FOUND"
                    : s == STATUS_INVALID_PARAMETER_4           ? "STATUS_INVALID_PARAMETER_4"
                                                                : NULL;
    return n ? n : st_name(s, buf, len);
}

static const char *const outcome_names[] = {"0", "undetermined", "committed", "aborted"};

static const char *txn_outcome_name(int o) { return o >= 0 && o <= 3 ? outcome_names[o] : "?"; }

/* The transaction contexts Filter Manager keeps for the runner's filter (FC-12 counts them). */
static size_t txn_contexts_kept(void)
{
    size_t n = 0;
    for (int k = 0; k < KFH_TXN_SLOTS; k++)
        n += R.txn[k].rec.live && R.txn[k].rec.has_context;
    return n + R.txn_orphans;
}

/* The notification the transaction slots owe an acknowledgement of (0: none); *several set when
 * two transactions owe different ones (FT-9 does not say which one's end comes first). */
static ULONG txn_owed(int *several)
{
    ULONG n = 0;
    *several = 0;
    for (int k = 0; k < KFH_TXN_SLOTS; k++)
        if (R.txn[k].rec.live && !R.txn[k].stuck && R.txn[k].rec.enlisted && R.txn[k].rec.owed) {
            ULONG this_one = kfh_txn_notification(R.txn[k].rec.owed);
            *several |= n && n != this_one;
            n = this_one;
        }
    return n;
}

/* The callback checks what it is called with (FT-5) and answers as the enlistment asked (FX-34). */
static NTSTATUS FLTAPI runner_txn_notify(PCFLT_RELATED_OBJECTS objs, PFLT_CONTEXT ctx, ULONG notification)
{
    int k = -1;
    for (int i = 0; i < KFH_TXN_SLOTS; i++)
        if (R.txn[i].rec.live && objs && objs->Transaction == R.txn[i].obj)
            k = i;
    unsigned bit = 0;
    for (unsigned b = 1; b <= KFH_TXN_N_ROLLBACK; b <<= 1)
        if (kfh_txn_notification(b) == notification)
            bit = b;
    if (k < 0 || !bit || objs->Size != sizeof(FLT_RELATED_OBJECTS) || objs->Filter != R.filter ||
        objs->Instance != R.inst[0] || objs->FileObject != NULL || ctx != R.txn[k].ctx ||
        KeGetCurrentIrql() != PASSIVE_LEVEL)
        R.txn_bad_call = 1;
    if (R.txn_n_seen < (int)(sizeof R.txn_seen / sizeof R.txn_seen[0]))
        R.txn_seen[R.txn_n_seen++] = bit;
    kfh_trace_event("%*stransaction notification %s", 2 * (int)(R.sh.depth + 2), "",
                    bit ? kfh_txn_ack_name(__builtin_ctz(bit)) : "unknown");
    if (k >= 0 && (R.txn[k].rec.pending & bit))
        return R.txn[k].rec.bad_answer ? STATUS_UNSUCCESSFUL : STATUS_PENDING; /* FT-8 when bad */
    return STATUS_SUCCESS;
}

static VOID FLTAPI runner_txn_ctx_cleanup(PFLT_CONTEXT context, FLT_CONTEXT_TYPE type)
{
    int known = 0;
    for (int k = 0; k < KFH_TXN_SLOTS; k++)
        known |= R.txn[k].ctx == context;
    for (unsigned k = 0; k < R.txn_orphans; k++)
        known |= R.txn_orphan_ctx[k] == context;
    R.txn_cleanups++;
    if (!R.aborting && (!known || type != FLT_TRANSACTION_CONTEXT))
        simple_finding(KFH_INV_FLT_TXN_STATUS, "ContextCleanupCallback", "-",
                       "the cleanup of a transaction context the runner set (FT-11)", "context %s, type 0x%x",
                       known ? "known" : "unknown", (unsigned)type);
}

/* Why a transaction operation on slot k cannot run, or NULL. */
static const char *txn_unusable(int k, int need_instance)
{
    if (kf_current_profile()->os < KF_OS_VISTA)
        return "the profile has no transactions (FT-1)";
    if (R.sh.irql != PASSIVE_LEVEL)
        return "the runner meets transactions at PASSIVE_LEVEL only";
    if (!R.txn[k].rec.live)
        return "the slot holds no transaction";
    if (R.txn[k].stuck)
        return "a stop interrupted the end of the slot's transaction";
    if (R.flt_state == 2)
        return "the filter's state is unknown after a stop in FltUnregisterFilter";
    if (need_instance && (R.flt_state != 1 || !R.inst[0] || (R.teardown & 1u)))
        return "no instance of the runner's filter on volume 0 outside its teardown";
    return NULL;
}

static void txn_sites_status(const char *routine, const kfh_txn_pred *pred, int from, NTSTATUS st)
{
    kf_site sites[4];
    int n = logged(from, sites, NULL, 4);
    int same = n == pred->n_sites;
    for (int i = 0; same && i < n; i++)
        same = sites[i] == pred->sites[i];
    char b1[48], b2[48];
    if (!same)
        simple_finding(KFH_INV_FLT_TXN_STATUS, routine, "flt.txn", "the sites FC-2 and FT-13 consult",
                       "%d consultation(s), %d predicted", n, pred->n_sites);
    else if (st != pred->status)
        simple_finding(KFH_INV_FLT_TXN_STATUS, routine, n ? "flt.txn" : "-", pred->rule, "%s, expected %s",
                       txn_st(st, b1, sizeof b1), txn_st(pred->status, b2, sizeof b2));
}

static void exec_txn_new(const kfh_op *op)
{
    int k = op->a % KFH_TXN_SLOTS;
    if (R.txn[k].rec.live && R.txn[k].rec.phase != KFH_TXN_PH_DONE && !R.txn[k].stuck) {
        skip_event("%*s  skipped: the slot's transaction has not ended", IND(op));
        return;
    }
    int from = R.log_n;
    PKTRANSACTION t = kf_flt_new_transaction();
    if (!t || R.log_n != from) {
        simple_finding(KFH_INV_FLT_TXN_STATUS, "kf_flt_new_transaction", "-", "a transaction, no site consulted (FT-2)",
                       "%s, %d consultation(s)", t ? "a transaction" : "NULL", R.log_n - from);
        return;
    }
    if (R.txn[k].stuck && R.txn[k].rec.has_context) {
        if (R.txn_orphans == sizeof R.txn_orphan_ctx / sizeof R.txn_orphan_ctx[0]) {
            skip_event("%*s  skipped: the runner keeps no more contexts of stuck transactions", IND(op));
            return;
        }
        R.txn_orphan_ctx[R.txn_orphans++] = R.txn[k].ctx;
    }
    memset(&R.txn[k], 0, sizeof R.txn[k]);
    R.txn[k].obj = t;
    R.txn[k].rec.live = 1;
    kfh_trace_event("%*s  -> active [FT-2]", IND(op));
    reach("kf_flt_new_transaction: active");
}

static void exec_txn_enlist(const kfh_op *op)
{
    static const char routine[] = "FltEnlistInTransaction";
    int k = op->a % KFH_TXN_SLOTS;
    const char *why = txn_unusable(k, 1);
    if (!why && !R.txn[k].rec.has_context && R.txn[k].rec.phase != KFH_TXN_PH_ACTIVE)
        why = "the transaction has ended: no context can be set on it (FT-10)";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    unsigned mask = op->b & KFH_TXN_N_ALL, pending = op->c & (KFH_TXN_N_ALL | KFH_TXN_BAD_ANSWER);
    NOTIFICATION_MASK nm = 0;
    for (unsigned b = 1; b <= KFH_TXN_N_ROLLBACK; b <<= 1)
        if (mask & b)
            nm |= kfh_txn_notification(b);
    int from = R.log_n;
    NTSTATUS st = STATUS_SUCCESS;
    const char *called = routine;
    if (!R.txn[k].rec.has_context) {
        PFLT_CONTEXT c = NULL;
        called = "FltAllocateContext";
        st = FltAllocateContext(R.filter, FLT_TRANSACTION_CONTEXT, TXN_CTX_SIZE, NonPagedPool, &c);
        if (st == STATUS_SUCCESS) {
            R.txn[k].ctx = c;
            NTSTATUS set = FltSetTransactionContext(R.inst[0], R.txn[k].obj, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
            FltReleaseContext(c); /* Filter Manager's reference keeps it while it is attached (FT-11) */
            if (set != STATUS_SUCCESS) {
                char b1[48];
                simple_finding(KFH_INV_FLT_TXN_STATUS, "FltSetTransactionContext", "-",
                               "STATUS_SUCCESS for the first context of an active transaction (FT-10)", "%s",
                               txn_st(set, b1, sizeof b1));
                return;
            }
        }
    }
    if (st == STATUS_SUCCESS) {
        called = routine;
        st = FltEnlistInTransaction(R.inst[0], R.txn[k].obj, R.txn[k].ctx, nm);
    }
    kf_site sites[4];
    kf_fault_kind kinds[4];
    int n = logged(from, sites, kinds, 4);
    kfh_txn_pred pred;
    kfh_oracle_txn_enlist(R.sh.irql, &R.txn[k].rec, mask, pending, kinds, n, 1, &pred);
    txn_sites_status(called, &pred, from, st);
    if (R.aborting)
        return;
    char b1[48];
    kfh_trace_event("%*s  -> %s %s [%s]", IND(op), called, txn_st(st, b1, sizeof b1), pred.rule);
    reach("%s: %s", called, txn_st(st, b1, sizeof b1));
}

static void exec_txn_end(const kfh_op *op)
{
    int k = op->a % KFH_TXN_SLOTS;
    const char *why = txn_unusable(k, 0);
    /* A phase waiting for an acknowledgement runs the model's pending work (FT-6): the runner's
     * other families' work is predicted by their own operations, so it must be idle then. */
    if (!why && R.txn[k].rec.enlisted && R.txn[k].rec.pending &&
        (R.n_wq || fio_pending() || R.pend_tail > R.pend_head))
        why = "other work of the runner is pending, which a waiting phase would run";
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    int how = op->b % KFH_TXN_END_COUNT;
    kfh_txn_rec before = R.txn[k].rec;
    kfh_txn_pred pred;
    kfh_oracle_txn_end(R.sh.irql, &R.txn[k].rec, how, 1, &pred);
    if (pred.stop.stops) {
        R.expect = pred.stop;
        R.txn[k].stuck = 1;
    }
    R.txn_n_seen = 0;
    R.txn_bad_call = 0;
    unsigned cleanups = R.txn_cleanups;
    int from = R.log_n;
    TRANSACTION_OUTCOME o =
        kf_flt_transaction_end(R.txn[k].obj, how == KFH_TXN_END_ROLLBACK ? KF_FLT_TXN_ROLLBACK : KF_FLT_TXN_COMMIT);
    if (R.aborting)
        return;
    if (R.expect.stops) {
        missed_stop("kf_flt_transaction_end");
        return;
    }
    if (R.cfg->model_lie == 18 && R.txn_n_seen)
        R.txn_n_seen--; /* as if the model had left out the last notification: FT-5 */
    unsigned deleted = before.has_context && !R.txn[k].rec.has_context;
    int same = R.txn_n_seen == pred.n_notified;
    for (int i = 0; same && i < R.txn_n_seen; i++)
        same = R.txn_seen[i] == pred.notified[i];
    if (R.log_n != from)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "kf_flt_transaction_end", "-", "no site consulted",
                       "%d consultation(s)", R.log_n - from);
    else if (R.txn_bad_call)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "TransactionNotificationCallback", "-",
                       "the enlistment's instance, context and transaction at PASSIVE_LEVEL (FT-5)", "other arguments");
    else if (!same)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "kf_flt_transaction_end", "-", "the notifications FT-5 to FT-7 send",
                       "%d notification(s), %d predicted", R.txn_n_seen, pred.n_notified);
    else if ((int)o != pred.outcome)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "kf_flt_transaction_end", "-", pred.rule, "outcome %s, expected %s",
                       txn_outcome_name((int)o), txn_outcome_name(pred.outcome));
    else if (R.txn_cleanups - cleanups != deleted)
        simple_finding(KFH_INV_FLT_TXN_STATUS, "kf_flt_transaction_end", "-",
                       "the transaction's context deleted when it ends (FT-11)", "%u cleanup(s), %u predicted",
                       R.txn_cleanups - cleanups, deleted);
    if (R.aborting)
        return;
    kfh_trace_event("%*s  -> %d notification(s), %s [%s]", IND(op), R.txn_n_seen, txn_outcome_name((int)o), pred.rule);
    reach("kf_flt_transaction_end: %s%s", txn_outcome_name((int)o),
          R.txn[k].rec.owed ? " (an acknowledgement owed)" : "");
}

static void exec_txn_ack(const kfh_op *op)
{
    static const char *const routines[KFH_TXN_ACK_COUNT] = {
        "FltPrePrepareComplete",     "FltPrepareComplete",          "FltCommitComplete",
        "FltCommitFinalizeComplete", "FltRollbackComplete",         "FltRollbackEnlistment",
        "FltGetTransactionContext",  "FltDeleteTransactionContext", "FltCommitComplete"};
    static char foreign[64]; /* no transaction of the model */
    int k = op->a % KFH_TXN_SLOTS, which = op->b % KFH_TXN_ACK_COUNT;
    const char *why = txn_unusable(k, 1);
    if (why) {
        skip_event("%*s  skipped: %s", IND(op), why);
        return;
    }
    kfh_txn_pred pred;
    kfh_txn_rec rec = R.txn[k].rec;
    kfh_oracle_txn_ack(R.sh.irql, &rec, which, 0, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    PFLT_INSTANCE inst = R.inst[0];
    PKTRANSACTION t = R.txn[k].obj;
    PFLT_CONTEXT c = R.txn[k].ctx;
    int from = R.log_n;
    unsigned cleanups = R.txn_cleanups;
    PFLT_CONTEXT got = NULL;
    NTSTATUS st;
    switch (which) {
    case KFH_TXN_ACK_PREPREPARE: st = FltPrePrepareComplete(inst, t, c); break;
    case KFH_TXN_ACK_PREPARE: st = FltPrepareComplete(inst, t, c); break;
    case KFH_TXN_ACK_COMMIT: st = FltCommitComplete(inst, t, c); break;
    case KFH_TXN_ACK_COMMIT_FINALIZE: st = FltCommitFinalizeComplete(inst, t, c); break;
    case KFH_TXN_ACK_ROLLBACK: st = FltRollbackComplete(inst, t, c); break;
    case KFH_TXN_ACK_ENLISTMENT: st = FltRollbackEnlistment(inst, t, c); break;
    case KFH_TXN_ACK_GET_CONTEXT: st = FltGetTransactionContext(inst, t, &got); break;
    case KFH_TXN_ACK_DELETE_CONTEXT: st = FltDeleteTransactionContext(inst, t, NULL); break;
    default: st = FltCommitComplete(inst, (PKTRANSACTION)foreign, c); break;
    }
    if (got && !R.expect.stops)
        FltReleaseContext(got);
    if (R.expect.stops) {
        missed_stop(routines[which]);
        return;
    }
    txn_sites_status(routines[which], &pred, from, st);
    if (R.aborting)
        return;
    /* FC-7: the slot's context, referenced; FC-10: deleted, Filter Manager's reference (the only one) dropped. */
    unsigned deleted = which == KFH_TXN_ACK_DELETE_CONTEXT && st == STATUS_SUCCESS;
    if (which == KFH_TXN_ACK_GET_CONTEXT && got != (st == STATUS_SUCCESS ? c : NULL))
        simple_finding(KFH_INV_FLT_TXN_STATUS, routines[which], "-", "the context the runner set (FC-7, FT-10)",
                       "another pointer");
    else if (R.txn_cleanups - cleanups != deleted)
        simple_finding(KFH_INV_FLT_TXN_STATUS, routines[which], "-", "one cleanup for a deleted context (FC-10)",
                       "%u cleanup(s), %u predicted", R.txn_cleanups - cleanups, deleted);
    if (R.aborting)
        return;
    kfh_oracle_txn_ack(R.sh.irql, &R.txn[k].rec, which, 1, &pred);
    char b1[48];
    kfh_trace_event("%*s  -> %s [%s]", IND(op), txn_st(st, b1, sizeof b1), pred.rule);
    reach("%s: %s", routines[which], txn_st(st, b1, sizeof b1));
}

static void exec_op(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    if (R.aborting)
        return;
    R.cur_op = i;
    trace_op(i);
    if (R.cfg->reach)
        R.cfg->reach->ops[op->code % KFH_OP_COUNT]++;
    const char *frame = kfh_op_name(op->code);
    if (op->code == KFH_OP_EXPAND)
        frame = (op->a & KFH_EXP_EX) ? "expand.ex" : "expand";
    kfh_callpath_push(frame);
    switch (op->code) {
    case KFH_OP_PROFILE:
        if (op->depth || R.sh.depth) {
            skip_event("%*s  skipped: the profile changes only at top level", 2 * (int)op->depth, "");
            break;
        }
        R.profile = *kf_profile_at(op->a);
        kf_set_profile(&R.profile);
        reseat_stack(R.sh.large);
        break;
    case KFH_OP_RAISE_IRQL:
    case KFH_OP_LOWER_IRQL:
        exec_irql(i, op->code == KFH_OP_RAISE_IRQL);
        break;
    case KFH_OP_SET_STACK: {
        SIZE_T v = kfh_size_resolve(op->size_sel, op->size_raw, &R.profile, R.sh.remaining);
        kf_set_remaining_stack(v);
        R.sh.remaining = v > R.sh.size ? R.sh.size : v;
        break;
    }
    case KFH_OP_LARGE_STACK:
        if (op->depth || R.sh.depth) {
            skip_event("%*s  skipped: the thread's stack changes only at top level", 2 * (int)op->depth, "");
            break;
        }
        reseat_stack(op->a);
        break;
    case KFH_OP_EXPAND:
        exec_expand(i);
        break;
    case KFH_OP_CONSUME:
        exec_consume(i);
        break;
    case KFH_OP_RAISE:
        exec_raise(i);
        break;
    case KFH_OP_TERMINATE:
        exec_terminate(i);
        break;
    case KFH_OP_FAULT:
        if (R.cfg->plan.kind == KFH_PLAN_INPUT)
            kfh_plan_push_decision(R.plan, (kf_fault_kind)(op->a % 3));
        else
            skip_event("%*s  ignored: plan %s", 2 * (int)op->depth, "", kfh_plan_kind_name(R.cfg->plan.kind));
        break;
    case KFH_OP_POOL_ALLOC:
        exec_pool_alloc(i);
        break;
    case KFH_OP_POOL_FREE:
        if (!R.pool[op->a]) {
            skip_event("%*s  skipped: slot %u is empty", 2 * (int)op->depth, "", op->a);
            break;
        }
        ExFreePoolWithTag(R.pool[op->a], POOL_TAG);
        R.pool[op->a] = NULL;
        R.pool_live--;
        break;
    case KFH_OP_FLT_START:
        exec_flt_start(op);
        break;
    case KFH_OP_CBD_ALLOC:
        exec_cbd_alloc(op);
        break;
    case KFH_OP_IOPB:
        exec_iopb(op);
        break;
    case KFH_OP_SYNC_IO:
        exec_sync(op);
        break;
    case KFH_OP_ASYNC_IO:
        exec_async(op);
        break;
    case KFH_OP_RUN_PENDING:
        exec_run_pending(op);
        break;
    case KFH_OP_CBD_REUSE:
        exec_cbd_reuse(op);
        break;
    case KFH_OP_CBD_FREE:
        exec_cbd_free(op);
        break;
    case KFH_OP_LOWER:
        R.lower_set = op->a != 0;
        R.lower_status = kfh_lower_status_at(op->a);
        R.lower_info = op->size_raw;
        break;
    case KFH_OP_TEARDOWN:
        exec_teardown(op);
        break;
    case KFH_OP_FLT_UNREGISTER:
        exec_unregister(op);
        break;
    case KFH_OP_REG_VALUE:
        /* The registry a driver reads: only driver targets have a driver to read it. */
        skip_event("%*s  skipped: registry values are read by driver targets only", 2 * (int)op->depth, "");
        break;
    case KFH_OP_MSG_WORD:
    case KFH_OP_PORT_CONNECT:
    case KFH_OP_MSG_SEND:
    case KFH_OP_PORT_ANSWER:
    case KFH_OP_PORT_DISCONNECT:
        /* From version 15 on, the application: the client of the runner's own ports. Older
         * scenarios had no ports to connect to and skip the steps, as they always did. */
        if (R.s->version >= 15) {
            exec_client(op);
            break;
        }
        /* fall through */
    case KFH_OP_RUN_WORK:
        /* The user-mode client and the worker threads: only a driver target has a driver whose
         * port a client connects to and whose work items run. */
        skip_event("%*s  skipped: the port client and the worker threads are played for driver targets only",
                   2 * (int)op->depth, "");
        break;
    case KFH_OP_FILE:
        /* The runner puts files on its volumes from version 15 on (filter-initiated I/O reads
         * them); an older scenario's `file` stays what it was, a minifilter target's. */
        if (R.s->version >= 15)
            exec_fio_put(op);
        else
            skip_event("%*s  skipped: files are put on volumes by minifilter driver targets only", 2 * (int)op->depth,
                       "");
        break;
    case KFH_OP_MF_CREATE:
    case KFH_OP_MF_IO:
    case KFH_OP_MF_DETACH:
    case KFH_OP_MF_UNLOAD:
    case KFH_OP_MF_ATTACH:
        /* The I/O a minifilter meets: only the minifilter fuzzer has a minifilter to deliver it to. */
        skip_event("%*s  skipped: minifilter I/O is delivered by the minifilter fuzzer only", 2 * (int)op->depth, "");
        break;
    case KFH_OP_CTX_ALLOC:
    case KFH_OP_CTX_SET:
    case KFH_OP_CTX_GET:
    case KFH_OP_CTX_DELETE:
    case KFH_OP_CTX_REF:
    case KFH_OP_CTX_RELEASE:
    case KFH_OP_CTX_UNLINK:
        exec_ctx(op);
        break;
    case KFH_OP_NAME_GET:
        exec_name_get(op);
        break;
    case KFH_OP_NAME_REF:
    case KFH_OP_NAME_RELEASE:
    case KFH_OP_NAME_PARSE:
        exec_name(op);
        break;
    case KFH_OP_WI_ALLOC:
        exec_wi_alloc(op);
        break;
    case KFH_OP_WI_QUEUE:
        exec_wi_queue(op);
        break;
    case KFH_OP_WI_FREE:
        exec_wi_free(op);
        break;
    case KFH_OP_WI_RUN:
        exec_wi_run(op);
        break;
    case KFH_OP_DW_ALLOC:
        exec_dw_alloc(op);
        break;
    case KFH_OP_DW_QUEUE:
        exec_dw_queue(op);
        break;
    case KFH_OP_DW_FREE:
        exec_dw_free(op);
        break;
    case KFH_OP_CQ_INIT:
    case KFH_OP_CQ_INSERT:
    case KFH_OP_CQ_REMOVE:
    case KFH_OP_CQ_NEXT:
    case KFH_OP_CQ_ENABLE:
    case KFH_OP_CQ_DISABLE:
    case KFH_OP_CQ_CANCEL:
        exec_cq(op);
        break;
    case KFH_OP_SD_BUILD:
        exec_sd_build(op);
        break;
    case KFH_OP_SD_FREE:
        exec_sd_free(op);
        break;
    case KFH_OP_PORT_CREATE:
        exec_port_create(op);
        break;
    case KFH_OP_PORT_CLOSE:
        exec_port_close(op);
        break;
    case KFH_OP_PORT_CLOSE_CLIENT:
        exec_port_close_client(op);
        break;
    case KFH_OP_PORT_SEND:
        exec_port_send(op);
        break;
    case KFH_OP_OBJ_GET:
        exec_obj_get(op);
        break;
    case KFH_OP_OBJ_REF:
    case KFH_OP_OBJ_DEREF:
        exec_obj_ref(op, op->code == KFH_OP_OBJ_DEREF);
        break;
    case KFH_OP_OBJ_QUERY:
        exec_obj_query(op);
        break;
    case KFH_OP_OBJ_ENUM:
        exec_obj_enum(op);
        break;
    case KFH_OP_APOOL_ALLOC:
        exec_apool_alloc(op);
        break;
    case KFH_OP_APOOL_FREE:
        exec_apool_free(op);
        break;
    case KFH_OP_ECP_LIST_ALLOC:
        exec_ecp_list_alloc(op);
        break;
    case KFH_OP_ECP_LIST_FREE:
        exec_ecp_list_free(op);
        break;
    case KFH_OP_ECP_ALLOC:
        exec_ecp_alloc(op);
        break;
    case KFH_OP_ECP_FREE:
        exec_ecp_free(op);
        break;
    case KFH_OP_ECP_INSERT:
        exec_ecp_insert(op);
        break;
    case KFH_OP_ECP_REMOVE:
    case KFH_OP_ECP_FIND:
        exec_ecp_lookup(op, op->code == KFH_OP_ECP_REMOVE);
        break;
    case KFH_OP_ECP_NEXT:
        exec_ecp_next(op);
        break;
    case KFH_OP_ECP_MARK:
        exec_ecp_mark(op);
        break;
    case KFH_OP_ECP_LOOKASIDE:
        exec_ecp_lookaside(op);
        break;
    case KFH_OP_ECP_GET:
        exec_ecp_get(op);
        break;
    case KFH_OP_ECP_SET:
        exec_ecp_set(op);
        break;
    case KFH_OP_ECP_DONE:
        exec_ecp_create_done(op);
        break;
    case KFH_OP_ECP_ATTACH:
        exec_ecp_attach(op);
        break;
    case KFH_OP_FIO_CREATE:
        exec_fio_create(op);
        break;
    case KFH_OP_FIO_CLOSE:
        exec_fio_close(op);
        break;
    case KFH_OP_FIO_IO:
        exec_fio_io(op);
        break;
    case KFH_OP_TXN_NEW:
        exec_txn_new(op);
        break;
    case KFH_OP_TXN_ENLIST:
        exec_txn_enlist(op);
        break;
    case KFH_OP_TXN_END:
        exec_txn_end(op);
        break;
    case KFH_OP_TXN_ACK:
        exec_txn_ack(op);
        break;
    default:
        break;
    }
    kfh_callpath_pop();
    check_state(kfh_op_name(op->code));
}

static void exec_range(uint16_t first, uint16_t end)
{
    for (uint16_t i = first; i < end && i < R.s->n && !R.aborting; i = (uint16_t)(i + 1 + R.s->ops[i].body))
        exec_op(i);
}

/* ---- Top level ----------------------------------------------------------------------- */

static NTSTATUS thread_status;

static void thread_fn(void *arg) { exec_op(*(const uint16_t *)arg); }

static void top_fn(void *arg) { thread_status = kf_run_system_thread(thread_fn, arg); }

static void run_top(uint16_t i)
{
    R.top = R.sh;
    memset(&R.expect, 0, sizeof R.expect);
    R.expect_exit = 0;
    R.nframes = 0;
    thread_status = STATUS_SUCCESS;
    kf_stop st;
    uint16_t arg = i;
    int stopped = kf_guarded_call(top_fn, &arg, &st);
    kfh_callpath_clear();
    R.nframes = 0;
    if (stopped) {
        R.res->stops++;
        const char *vname = st.code == DRIVER_VERIFIER_DETECTED_VIOLATION ? kf_violation_name((ULONG)st.param[0]) : NULL;
        kfh_trace_event("stop 0x%X %s%s%s P1=0x%llx P2=0x%llx in %s [%s]", (unsigned)st.code, kf_bugcheck_name(st.code),
                        vname ? " " : "", vname ? vname : "", (unsigned long long)st.param[0],
                        (unsigned long long)st.param[1], st.routine ? st.routine : "-",
                        R.expect.stops ? "predicted" : "NOT predicted");
        if (vname)
            reach("%s: violation 0x%X %s", st.routine ? st.routine : "-", (unsigned)st.param[0], vname);
        else
            reach("%s: bug check 0x%X %s", st.routine ? st.routine : "-", (unsigned)st.code, kf_bugcheck_name(st.code));
        R.sh = R.top;
        flt_after_stop();
        kfh_finding f;
        if (!R.aborting && kfh_check_stop(&R.expect, &st, &f)) {
            f.op = i;
            finding(&f);
        }
        if (!R.aborting && (KeGetCurrentIrql() != R.top.irql))
            simple_finding(KFH_INV_IRQL_RESTORED, st.routine ? st.routine : "-", "-", "the guard's IRQL after a stop",
                           "IRQL %u, expected %u", KeGetCurrentIrql(), R.top.irql);
        if (!R.aborting && IoGetRemainingStackSize() != R.top.remaining)
            simple_finding(KFH_INV_STACK_RESTORED, st.routine ? st.routine : "-", "-", "the guard's stack after a stop",
                           "remaining 0x%llx, expected 0x%llx", (unsigned long long)IoGetRemainingStackSize(),
                           (unsigned long long)R.top.remaining);
        if (!R.aborting && kf_callout_depth() != 0)
            simple_finding(KFH_INV_CALLOUT_DEPTH, st.routine ? st.routine : "-", "-", "no callout active after a stop",
                           "%u active", kf_callout_depth());
    } else if (R.expect_exit) {
        kfh_trace_event("thread exit status=0x%08X", (unsigned)thread_status);
        reach("PsTerminateSystemThread: the thread ended");
        if (!R.aborting && thread_status != R.exit_code)
            simple_finding(KFH_INV_THREAD_EXIT, "PsTerminateSystemThread", "-", "the thread's status reaches its creator",
                           "0x%08X instead of 0x%08X", (unsigned)thread_status, (unsigned)R.exit_code);
        /* The terminated thread's successor starts from the state before the operation. */
        R.sh = R.top;
        kf_set_irql(R.sh.irql);
        kf_set_remaining_stack(R.sh.remaining);
    } else if (!R.aborting && R.expect.stops) {
        missed_stop("-");
    } else if (!R.aborting && thread_status != STATUS_SUCCESS) {
        simple_finding(KFH_INV_THREAD_EXIT, "kf_run_system_thread", "-", "STATUS_SUCCESS from a thread that returned",
                       "0x%08X", (unsigned)thread_status);
    }
    memset(&R.expect, 0, sizeof R.expect);
    check_state("after the operation");
    if (!R.aborting && kf_callout_depth() != 0)
        simple_finding(KFH_INV_CALLOUT_DEPTH, "-", "-", "no callout active between operations", "%u active",
                       kf_callout_depth());
    check_leaks("between operations");
}

int kfh_run(const kfh_scenario *s, const kfh_config *cfg, kfh_result *res)
{
    memset(res, 0, sizeof *res);
    memset(&R, 0, offsetof(struct runner, log_site));
    R.s = s;
    R.cfg = cfg;
    R.res = res;
    R.plan = kfh_plan_new(&cfg->plan);
    if (!R.plan)
        return 0;
    kf_profile base = *kf_current_profile();
    /* The model checks by default that pool is freed at an IRQL its kind allows (SEMANTICS.md
     * P-12), but this runner's scenario operations predate that rule: a scenario may free
     * nonpaged pool above DISPATCH_LEVEL (the seeds do, at IRQL 3), and the runner gives back
     * what a scenario holds at the scenario's IRQL, while its oracle predicts no stop there.
     * The check is off for the runner's own runs; predicting it would be a migration of the
     * oracle and of the corpus. */
    int free_irql_checked = kf_pool_free_irql_checked();
    kf_pool_check_free_irql(0);
    kf_reset();
    R.profile = base;
    R.sh.irql = PASSIVE_LEVEL;
    R.sh.size = base.kernel_stack_size;
    R.sh.remaining = base.kernel_stack_size;
    R.sh.large = 0;
    kfh_callpath_clear();
    kfh_trace_begin();
    kfh_trace_echo(cfg->echo);
    kf_set_fault_hook(runner_hook, NULL);
    kf_flt_set_lower_hook(runner_lower, NULL);
    R.async_irql = PASSIVE_LEVEL;
    kfh_ctx_state_init(&R.ctx);
    for (int k = 0; k < KFH_NAME_SLOTS; k++)
        R.nslot[k] = R.nstale[k] = -1;
    R.pc_connect_slot = R.pc_msg_slot = -1;
    memset(R.eslot, -1, sizeof R.eslot);
    memset(R.lslot, -1, sizeof R.lslot);
    char pname[32];
    kfh_trace_event("run version=%u ops=%u profile=%s plan=%s sites=%s nest_limit=%llu", s->version, s->n,
                    kf_profile_name(&base, pname, sizeof pname), kfh_plan_kind_name(cfg->plan.kind), cfg->plan.sites,
                    kf_options_get()->nest_limit);
    check_state("at the start");
    for (uint16_t i = 0; i < s->n && !R.aborting; i = (uint16_t)(i + 1 + s->ops[i].body))
        run_top(i);
    /* Give back what the scenario holds, then nothing may remain. */
    for (int k = 0; k < KFH_POOL_SLOTS; k++)
        if (R.pool[k]) {
            ExFreePoolWithTag(R.pool[k], POOL_TAG);
            R.pool[k] = NULL;
            R.pool_live--;
        }
    if (!R.aborting)
        flt_finish();
    check_leaks("at the end of the run");
    const kf_fault_stats *ms = kf_fault_get_stats();
    const kfh_site_stats *ps = kfh_plan_stats(R.plan);
    for (int k = 0; k < KF_SITE_COUNT && !R.aborting; k++)
        if (ms->consulted[k] != ps->consulted[k] || ms->injected[k] != ps->injected[k])
            simple_finding(KFH_INV_FAULT_STATS, "kf_fault_get_stats", kf_site_get((kf_site)k)->name,
                           "the model's statistics equal the plan's", "model %llu consulted / %llu injected, plan %llu / %llu",
                           ms->consulted[k], ms->injected[k], ps->consulted[k], ps->injected[k]);
    for (int k = 0; k < KF_SITE_COUNT; k++)
        if (ps->consulted[k])
            kfh_trace_event("site %s consulted=%llu injected=%llu", kf_site_get((kf_site)k)->name, ps->consulted[k],
                            ps->injected[k]);
    kfh_trace_event("end findings=%d stops=%d injected=%d", res->n_findings, res->stops, kfh_plan_injected_any(R.plan));
    if (cfg->reach)
        for (int k = 0; k < KF_SITE_COUNT; k++) {
            cfg->reach->consulted[k] += ps->consulted[k];
            cfg->reach->injected[k] += ps->injected[k];
        }
    res->plan_stats = *ps;
    res->model_stats = *ms;
    res->injected_any = kfh_plan_injected_any(R.plan);
    res->trace_hash = kfh_trace_hash();
    res->events = kfh_trace_events();
    kfh_trace_echo(NULL);
    kf_set_fault_hook(NULL, NULL);
    kfh_plan_free(R.plan);
    R.plan = NULL;
    kf_set_profile(&base);
    kf_reset();
    kf_pool_check_free_irql(free_irql_checked);
    return res->n_findings;
}

/* ---- Reports ------------------------------------------------------------------------- */

static void report_to(FILE *out, const kfh_finding *fd, const kfh_scenario *s, int with_log)
{
    const kfh_inv_info *inv = kfh_inv_get(fd->inv);
    char pname[32];
    fprintf(out, "==kfault== FINDING %s %s\n", inv ? inv->id : "KF-INV-???", inv ? inv->name : "?");
    if (inv)
        fprintf(out, "  rule:      %s (model/SEMANTICS.md): %s\n", inv->source, inv->sentence);
    fprintf(out, "  where:     operation %d, routine %s, site %s\n", fd->op, fd->routine, fd->site);
    fprintf(out, "  expected:  %s\n  actual:    %s\n", fd->expected, fd->actual);
    fprintf(out, "  signature: %s\n", fd->signature);
    fprintf(out, "  profile:   %s\n", kf_profile_name(with_log ? &R.profile : kf_current_profile(), pname, sizeof pname));
    if (with_log && R.cfg)
        fprintf(out, "  plan:      %s, sites %s\n", kfh_plan_kind_name(R.cfg->plan.kind), R.cfg->plan.sites);
    if (with_log) {
        fprintf(out, "  fault decisions (%d):", R.log_n);
        for (int k = 0; k < R.log_n && k < 32; k++)
            fprintf(out, " %s=%s", kf_site_get(R.log_site[k])->name, kind_names[R.log_kind[k] % 3]);
        fprintf(out, "%s\n", R.log_n > 32 ? " ..." : "");
    }
    if (s) {
        size_t n = kfh_scenario_format(s, NULL, 0) + 1;
        char *text = malloc(n);
        if (text) {
            kfh_scenario_format(s, text, n);
            fprintf(out, "  scenario:\n");
            for (char *l = text; *l;) {
                size_t len = strcspn(l, "\n");
                fprintf(out, "    %.*s\n", (int)len, l);
                l += len + (l[len] == '\n');
            }
            free(text);
        }
    }
    fprintf(out, "  trace (last events):\n");
    kfh_trace_tail(out, 16);
    fflush(out);
}

void kfh_report(FILE *f, const kfh_finding *fd, const kfh_scenario *s) { report_to(f, fd, s, 0); }

/* ---- Configuration, enumeration, fuzzing ---------------------------------------------- */

int kfh_config_from_options(kfh_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    return kfh_plan_config_from_options(kf_options_get(), &cfg->plan, err, errlen);
}

int kfh_enumerate(const kfh_scenario *s, const kfh_config *cfg, unsigned max_runs, kfh_enum_result *out)
{
    kfh_config c = *cfg;
    kfh_result *res = malloc(sizeof *res);
    memset(out, 0, sizeof *out);
    if (!res)
        return -1;
    c.plan.kind = KFH_PLAN_NTH;
    for (unsigned long long nth = 1; out->runs < max_runs; nth++) {
        c.plan.nth = nth;
        kfh_run(s, &c, res);
        out->runs++;
        if (res->n_findings) {
            if (!out->n_findings) {
                out->first = res->findings[0];
                out->first_nth = nth;
            }
            out->n_findings += res->n_findings;
        }
        if (!res->injected_any) {
            out->complete = 1;
            break;
        }
    }
    free(res);
    return out->n_findings;
}

int kfh_fuzz_decode(const uint8_t *data, size_t size, kfh_scenario *s, kfh_config *cfg)
{
    static kfh_config options;
    static int ready;
    char err[256];
    if (!ready) {
        if (kfh_config_from_options(&options, err, sizeof err)) {
            fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
            exit(2);
        }
        ready = 1;
    }
    *cfg = options;
    return kfh_scenario_decode(data, size, s, err, sizeof err);
}

int kfh_fuzz_one(const uint8_t *data, size_t size)
{
    static kfh_scenario s;
    static kfh_result res;
    kfh_config cfg;
    if (kfh_fuzz_decode(data, size, &s, &cfg))
        return 0;
    kfh_run_fuzz(&s, &cfg, &res);
    return 0;
}

void kfh_run_fuzz(const kfh_scenario *s, const kfh_config *cfg, kfh_result *res)
{
    /* The text only for a report: runs are deterministic, so the run that reports is the
     * same run again. */
    kfh_config quiet = *cfg;
    quiet.capture = 1;
    kfh_trace_keep_text(0);
    kfh_run(s, &quiet, res);
    kfh_trace_keep_text(1);
    if (!res->n_findings)
        return;
    kfh_finding first = res->findings[0];
    kfh_config loud = *cfg;
    kfh_run(s, &loud, res); /* in abort mode: reports and aborts */
    if (cfg->capture)
        return;
    fprintf(stderr, "==kfault== the finding did not repeat when the run was made again with its trace text; "
                    "the first run found:\n");
    kfh_report(stderr, &first, s);
    abort();
}
