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

#define LOG_MAX 4096
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
    int wq[KFH_WI_SLOTS], n_wq;
    unsigned wi_allocs;
    int wi_running, wi_due, wi_ran, wi_depth;
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
    /* Last, and not cleared between runs (two thirds of the structure): entries are read
     * only below log_n, and a run writes each one before log_n passes it. */
    kf_site log_site[LOG_MAX];
    kf_fault_kind log_kind[LOG_MAX];
} R;

static void exec_range(uint16_t first, uint16_t end);
static int fio_pending(void);
static const char *st_name(NTSTATUS s, char *buf, size_t len);
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

static size_t wi_held(void)
{
    size_t n = 0;
    for (int k = 0; k < KFH_WI_SLOTS; k++)
        n += R.wi[k].live != 0;
    return n;
}

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
            simple_finding(KFH_INV_FLT_WORK_COUNT, "-", "flt.workitem", "the generic work items the scenario holds",
                           "%zu item(s) in the model, %zu held by the scenario %s", l.flt_work_items, wi_held(), when);
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
    kf_fault_kind none[1] = {KF_FAULT_NONE};
    kfh_flt_start_pred pred;
    kfh_oracle_flt_start(R.sh.irql, volumes, none, 0, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    PFLT_FILTER f = NULL;
    NTSTATUS st = FltRegisterFilter(&flt_driver, &flt_registration, &f);
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

/* Frees the callback data of a slot at irql, as the scenario or a completion does (F-12). */
static void flt_free_slot(int slot, KIRQL irql, int depth)
{
    cbd_slot *c = &R.cbd[slot];
    kfh_stop_pred st;
    kfh_oracle_flt_free(irql, KFH_CBD_LIVE, c->in_flight, c->serial, &st);
    if (st.stops)
        R.expect = st;
    FltFreeCallbackData(c->d);
    if (R.expect.stops) {
        missed_stop("FltFreeCallbackData");
        return;
    }
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
    /* Once the teardown has begun, a stop inside it (callback data left over, or a stop in a
     * completion it runs) leaves a filter the harness no longer predicts; the IRQL check on
     * entry (F-2) stops before anything changed. */
    if (R.sh.irql <= APC_LEVEL)
        R.flt_state = 2;
    R.running_pending = 1;
    R.flt_mark = R.log_n;
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
    R.pend_head = R.pend_tail;
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
    R.wi_running = 0;
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
            FltFreeCallbackData(R.cbd[k].d);
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

static void exec_wi_alloc(const kfh_op *op)
{
    int k = op->a % KFH_WI_SLOTS;
    if (R.wi[k].live) {
        skip_event("%*s  skipped: the item slot holds an item", IND(op));
        return;
    }
    kfh_wi_pred pred;
    kfh_oracle_wi_alloc(R.sh.irql, KF_FAULT_NONE, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    PFLT_GENERIC_WORKITEM item = FltAllocateGenericWorkItem();
    if (R.expect.stops) {
        missed_stop("FltAllocateGenericWorkItem");
        return;
    }
    kfh_oracle_wi_alloc(R.sh.irql, R.log_n > from && from < LOG_MAX ? R.log_kind[from] : KF_FAULT_NONE, &pred);
    if (R.log_n - from != pred.n_sites || (from < LOG_MAX && R.log_site[from] != KF_SITE_FLT_WORKITEM))
        simple_finding(KFH_INV_FLT_WORK_STATUS, "FltAllocateGenericWorkItem", "flt.workitem",
                       "flt.workitem consulted once (FW-1)", "%d consultation(s)", R.log_n - from);
    else if ((item != NULL) != pred.allocated)
        simple_finding(KFH_INV_FLT_WORK_STATUS, "FltAllocateGenericWorkItem", "flt.workitem",
                       pred.allocated ? "an item (the site was granted)" : "NULL (the site was failed)", "%s",
                       item ? "an item" : "NULL");
    if (R.aborting)
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
    kfh_wi_pred pred;
    kfh_oracle_wi_free(R.sh.irql, item_state, &pred);
    if (pred.stop.stops)
        R.expect = pred.stop;
    int from = R.log_n;
    FltFreeGenericWorkItem(item);
    if (R.expect.stops) {
        missed_stop("FltFreeGenericWorkItem");
        return;
    }
    if (R.log_n != from)
        simple_finding(KFH_INV_FLT_WORK_STATUS, "FltFreeGenericWorkItem", "-", "no site consulted",
                       "%d consultation(s)", R.log_n - from);
    if (R.aborting)
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
    case KFH_OP_FIO_CREATE:
        exec_fio_create(op);
        break;
    case KFH_OP_FIO_CLOSE:
        exec_fio_close(op);
        break;
    case KFH_OP_FIO_IO:
        exec_fio_io(op);
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
