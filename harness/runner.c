/*
 * runner.c - runs a scenario against the model: every operation is traced, predicted by
 * the oracle from the harness's own record of the thread's state (a shadow of IRQL, stack
 * and nesting), executed through the WDK names, and compared; each top-level operation
 * runs under kf_guarded_call inside a simulated system thread, so a predicted stop is a
 * correct outcome and an unpredicted one is a finding.
 *
 * Also the finding report and the systematic (fail_nth) enumeration. Everything traced is
 * a value of the scenario, the options or the model's modeled state: never an address.
 * The runner's own frames run on callout stacks of a bounded size: keep locals small.
 */
#include "kfault/harness.h"

#include <ntddk.h>
#include <stdarg.h>
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
    kf_site log_site[LOG_MAX];
    kf_fault_kind log_kind[LOG_MAX];
    kfh_stop_pred expect;
    int expect_exit;
    NTSTATUS exit_code;
    int aborting;
    int cur_op;
    void *pool[KFH_POOL_SLOTS];
    unsigned pool_live;
    cframe frames[KFH_MAX_DEPTH + 1];
    int nframes;
} R;

static void exec_range(uint16_t first, uint16_t end);

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
    else if (l.callback_data != 0)
        simple_finding(KFH_INV_NO_CALLBACK_DATA_LEAK, "-", "-", "no callback data outstanding",
                       "%zu callback data outstanding %s", l.callback_data, when);
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
        kfh_trace_event("%*s  skipped: slot %u holds a block", 2 * (int)op->depth, "", op->a);
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
    if (R.log_n - log_start != 1 || R.log_site[log_start] != KF_SITE_POOL) {
        simple_finding(KFH_INV_SITES_PREDICTED, "ExAllocatePoolWithTag", "ex.pool", "sites consulted: [ex.pool]",
                       "%d consultation(s)", R.log_n - log_start);
        return;
    }
    if ((p == NULL) != (R.log_kind[log_start] != KF_FAULT_NONE))
        simple_finding(KFH_INV_POOL_RESULT, "ExAllocatePoolWithTag", "ex.pool",
                       R.log_kind[log_start] != KF_FAULT_NONE ? "NULL (the site was failed)" : "a block (the site was granted)",
                       "%s", p ? "a block" : "NULL");
}

static void exec_op(uint16_t i)
{
    const kfh_op *op = &R.s->ops[i];
    if (R.aborting)
        return;
    R.cur_op = i;
    trace_op(i);
    const char *frame = kfh_op_name(op->code);
    if (op->code == KFH_OP_EXPAND)
        frame = (op->a & KFH_EXP_EX) ? "expand.ex" : "expand";
    kfh_callpath_push(frame);
    switch (op->code) {
    case KFH_OP_PROFILE:
        if (op->depth || R.sh.depth) {
            kfh_trace_event("%*s  skipped: the profile changes only at top level", 2 * (int)op->depth, "");
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
            kfh_trace_event("%*s  skipped: the thread's stack changes only at top level", 2 * (int)op->depth, "");
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
            kfh_trace_event("%*s  ignored: plan %s", 2 * (int)op->depth, "", kfh_plan_kind_name(R.cfg->plan.kind));
        break;
    case KFH_OP_POOL_ALLOC:
        exec_pool_alloc(i);
        break;
    case KFH_OP_POOL_FREE:
        if (!R.pool[op->a]) {
            kfh_trace_event("%*s  skipped: slot %u is empty", 2 * (int)op->depth, "", op->a);
            break;
        }
        ExFreePoolWithTag(R.pool[op->a], POOL_TAG);
        R.pool[op->a] = NULL;
        R.pool_live--;
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
        R.sh = R.top;
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
    memset(&R, 0, sizeof R);
    R.s = s;
    R.cfg = cfg;
    R.res = res;
    R.plan = kfh_plan_new(&cfg->plan);
    if (!R.plan)
        return 0;
    kf_profile base = *kf_current_profile();
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

int kfh_fuzz_one(const uint8_t *data, size_t size)
{
    static kfh_config cfg;
    static int ready;
    static kfh_scenario s;
    static kfh_result res;
    char err[256];
    if (!ready) {
        if (kfh_config_from_options(&cfg, err, sizeof err)) {
            fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
            exit(2);
        }
        ready = 1;
    }
    if (kfh_scenario_decode(data, size, &s, err, sizeof err))
        return 0;
    kfh_run(&s, &cfg, &res);
    return 0;
}
