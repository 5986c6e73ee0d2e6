/*
 * driver_env.c - runs driver code in an environment made from fuzz bytes and judges it:
 * the profile, the caller's IRQL, the remaining stack, a large stack and the fault
 * decisions come from the scenario's environment operations; the driver's entry point
 * runs once in a simulated system thread under kf_guarded_call; any stop, leak, IRQL left
 * changed, rejected expansion argument or broken condition of the driver is a finding.
 * Also the systematic (fail_nth over every consulted site) fuzz body.
 *
 * Only environments the driver claims to support are built: an operation asking for
 * another profile or IRQL is skipped, never mapped to something else, so the text form of
 * an input says exactly what the driver met. Must never decide from an address or a clock.
 */
#include "kfault/driver_env.h"

#include <ntddk.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[3] = {"none", "transient", "hard"};

static struct {
    const kfh_driver_target *t;
    kfh_plan *plan;
    kfh_drv_run *run;
} D;

/* ---- Findings ------------------------------------------------------------------------ */

static void drv_vfail(kfh_drv_run *run, int inv, const char *routine, const char *expected, const char *fmt,
                      va_list ap)
{
    run->n_findings++;
    if (run->n_findings > 1)
        return;
    kfh_finding *f = &run->finding;
    memset(f, 0, sizeof *f);
    f->inv = inv;
    f->op = -1;
    snprintf(f->routine, sizeof f->routine, "%s", routine ? routine : "-");
    snprintf(f->site, sizeof f->site, "-");
    snprintf(f->expected, sizeof f->expected, "%s", expected);
    vsnprintf(f->actual, sizeof f->actual, fmt, ap);
    kfh_finding_sign(f);
    kfh_trace_event("FINDING %s: expected %s; actual %s", f->signature, f->expected, f->actual);
}

void kfh_drv_fail(kfh_drv_run *run, int inv, const char *routine, const char *expected, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    drv_vfail(run, inv, routine, expected, fmt, ap);
    va_end(ap);
}

/* ---- The environment ------------------------------------------------------------------ */

static int profile_supported(const kfh_driver_target *t, const kf_profile *p)
{
    return p->os >= t->min_os && (t->arch_mask & (1u << p->arch));
}

/* The options' profile when the driver supports it, else the newest one it supports. */
static kf_profile start_profile(const kfh_driver_target *t)
{
    const kf_profile *o = kf_current_profile();
    if (profile_supported(t, o))
        return *o;
    kf_profile best = *o;
    for (size_t i = 0; i < kf_profile_count(); i++)
        if (profile_supported(t, kf_profile_at(i)))
            best = *kf_profile_at(i);
    return best;
}

static const KIRQL irql_table[8] = {0, 1, 2, 3, 4, 13, 15, 31};

static SIZE_T stack_size_of(const kfh_env *e)
{
    return e->large ? e->profile.large_stack_size : e->profile.kernel_stack_size;
}

/* Reads the environment operations of s into *e, queueing fault decisions into plan. */
static void build_env(const kfh_driver_target *t, const kfh_scenario *s, kfh_plan *plan, int input_plan, kfh_env *e)
{
    char pname[32];
    memset(e, 0, sizeof *e);
    e->profile = start_profile(t);
    e->irql = t->min_irql;
    e->remaining = e->profile.kernel_stack_size;
    for (uint16_t i = 0; i < s->n; i++) {
        const kfh_op *op = &s->ops[i];
        switch (op->code) {
        case KFH_OP_PROFILE: {
            const kf_profile *p = kf_profile_at(op->a % kf_profile_count());
            if (!profile_supported(t, p)) {
                kfh_trace_event("env skipped: profile %s is not one the driver supports",
                                kf_profile_name(p, pname, sizeof pname));
                break;
            }
            e->profile = *p;
            if (e->remaining > stack_size_of(e))
                e->remaining = stack_size_of(e);
            break;
        }
        case KFH_OP_RAISE_IRQL:
        case KFH_OP_LOWER_IRQL: {
            KIRQL v = irql_table[op->a % 8];
            if (v < t->min_irql || v > t->max_irql) {
                kfh_trace_event("env skipped: the driver's caller is never at IRQL %u", v);
                break;
            }
            e->irql = v;
            break;
        }
        case KFH_OP_SET_STACK: {
            SIZE_T v = kfh_size_resolve(op->size_sel, op->size_raw, &e->profile, e->remaining);
            e->remaining = v > stack_size_of(e) ? stack_size_of(e) : v;
            break;
        }
        case KFH_OP_CONSUME: {
            SIZE_T v = kfh_size_resolve(op->size_sel, op->size_raw, &e->profile, e->remaining);
            e->remaining = v > e->remaining ? 0 : e->remaining - v;
            break;
        }
        case KFH_OP_LARGE_STACK: {
            SIZE_T used = stack_size_of(e) - e->remaining;
            e->large = op->a & 1;
            e->remaining = used > stack_size_of(e) ? 0 : stack_size_of(e) - used;
            break;
        }
        case KFH_OP_FAULT:
            if (input_plan) {
                kfh_plan_push_decision(plan, (kf_fault_kind)(op->a % 3));
                e->faults++;
            }
            break;
        default:
            break;
        }
    }
    kfh_trace_event("env profile=%s irql=%u large=%d remaining=0x%llx faults=%u",
                    kf_profile_name(&e->profile, pname, sizeof pname), e->irql, e->large,
                    (unsigned long long)e->remaining, e->faults);
}

/* ---- Running the driver --------------------------------------------------------------- */

static kf_fault_kind env_hook(void *ctx, kf_site site)
{
    (void)ctx;
    kf_fault_kind k = kfh_plan_decide(D.plan, site);
    kfh_trace_event("fault %s -> %s", kf_site_get(site)->name, kind_names[k % 3]);
    return k;
}

static void thread_start(void *arg)
{
    kfh_drv_run *run = arg;
    kf_set_irql(run->env.irql);
    D.t->call();
    run->returned = 1;
    run->irql_after = KeGetCurrentIrql();
    kf_set_irql(PASSIVE_LEVEL);
}

static void guarded(void *arg)
{
    kfh_drv_run *run = arg;
    run->thread_status = kf_run_system_thread(thread_start, run);
    run->thread_exited = !run->returned;
}

static void judge(kfh_drv_run *run, int stopped, const kf_stop *st)
{
    const kfh_driver_target *t = D.t;
    const kf_expand_record *rec = kf_last_expand();
    run->expand = *rec;
    run->expanded = rec->size != 0 || rec->status != STATUS_SUCCESS || rec->callout_calls != 0;
    run->pool_injected = kfh_plan_stats(D.plan)->injected[KF_SITE_POOL];
    run->injected = kfh_plan_stats(D.plan)->total_injected;
    if (stopped) {
        const char *vname =
            st->code == DRIVER_VERIFIER_DETECTED_VIOLATION ? kf_violation_name((ULONG)st->param[0]) : NULL;
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_STOP, st->routine ? st->routine : "-", "no bug check, no violation",
                     "bug check 0x%X %s%s%s (P1=0x%llx P2=0x%llx): %s", (unsigned)st->code, kf_bugcheck_name(st->code),
                     vname ? " " : "", vname ? vname : "", (unsigned long long)st->param[0],
                     (unsigned long long)st->param[1], st->reason);
        return;
    }
    if (run->expanded && (rec->status == STATUS_INVALID_PARAMETER_3 || rec->status == STATUS_INVALID_PARAMETER_4))
        kfh_drv_fail(run, KFH_INV_DRIVER_ARGUMENTS, "KeExpandKernelStackAndCalloutEx", "arguments the routine accepts",
                     "0x%08X for Size=0x%llx at IRQL %u", (unsigned)rec->status, (unsigned long long)rec->size,
                     rec->irql_before);
    if (run->returned && run->irql_after != run->env.irql)
        kfh_drv_fail(run, KFH_INV_DRIVER_IRQL, t->name, "the caller's IRQL", "returned at IRQL %u, called at %u",
                     run->irql_after, run->env.irql);
    if (kf_callout_depth() != 0)
        kfh_drv_fail(run, KFH_INV_CALLOUT_DEPTH, t->name, "no callout active after the call", "%u active",
                     kf_callout_depth());
    kf_leak_report l;
    kf_leaks(&l);
    if (l.pool_blocks)
        kfh_drv_fail(run, KFH_INV_NO_POOL_LEAK, t->name, "every pool block freed", "%zu block(s) left",
                     l.pool_blocks);
    if (l.segments)
        kfh_drv_fail(run, KFH_INV_NO_SEGMENT_LEAK, t->name, "no stack segment in use", "%zu segment(s) in use",
                     l.segments);
    if (t->check)
        t->check(run);
}

int kfh_driver_run(const kfh_driver_target *t, const uint8_t *data, size_t size, kfh_drv_run *out)
{
    static kfh_config cfg;
    static int ready;
    static kfh_scenario s;
    char err[256];
    memset(out, 0, sizeof *out);
    if (!ready) {
        if (kfh_config_from_options(&cfg, err, sizeof err)) {
            fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
            exit(2);
        }
        ready = 1;
    }
    if (kfh_scenario_decode(data, size, &s, err, sizeof err))
        return 0;
    kfh_plan *plan = kfh_plan_new(&cfg.plan);
    if (!plan)
        return 0;
    kf_profile base = *kf_current_profile();
    D.t = t;
    D.plan = plan;
    D.run = out;
    kf_reset();
    kfh_callpath_clear();
    kfh_trace_begin();
    kfh_trace_event("driver %s plan=%s", t->name, kfh_plan_kind_name(cfg.plan.kind));
    build_env(t, &s, plan, cfg.plan.kind == KFH_PLAN_INPUT, &out->env);
    kf_set_profile(&out->env.profile);
    kf_reset();
    kf_set_large_stack(out->env.large ? TRUE : FALSE);
    kf_set_remaining_stack(out->env.remaining);
    kf_set_fault_hook(env_hook, NULL);
    kfh_callpath_push(t->name);
    kf_stop st;
    int stopped = kf_guarded_call(guarded, out, &st);
    kfh_callpath_clear();
    kf_set_fault_hook(NULL, NULL);
    kfh_trace_event("driver %s: %s thread=0x%08X", t->name,
                    stopped ? "stopped" : out->returned ? "returned" : "ended its thread", (unsigned)out->thread_status);
    judge(out, stopped, &st);
    kf_set_profile(&base);
    kf_reset();
    kfh_plan_free(plan);
    D.plan = NULL;
    return out->n_findings;
}

static void drv_report(const kfh_driver_target *t, const kfh_drv_run *run, const uint8_t *data, size_t size)
{
    char pname[32];
    kfh_scenario s;
    char err[64];
    fprintf(stderr, "==kfault== driver %s, environment: profile %s, caller IRQL %u, remaining stack 0x%llx%s, "
                    "%u fault decision(s), %llu injected\n",
            t->name, kf_profile_name(&run->env.profile, pname, sizeof pname), run->env.irql,
            (unsigned long long)run->env.remaining, run->env.large ? " (large stack)" : "", run->env.faults,
            run->injected);
    kfh_report(stderr, &run->finding, kfh_scenario_decode(data, size, &s, err, sizeof err) ? NULL : &s);
}

int kfh_driver_fuzz_one(const kfh_driver_target *t, const uint8_t *data, size_t size)
{
    static kfh_drv_run run;
    if (kfh_driver_run(t, data, size, &run)) {
        drv_report(t, &run, data, size);
        abort();
    }
    return 0;
}

/* ---- Systematic enumeration ------------------------------------------------------------ */

#define SYSTEMATIC_MAX_RUNS 64

int kfh_systematic_fuzz_one(const uint8_t *data, size_t size)
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
        cfg.capture = 1;
        ready = 1;
    }
    if (kfh_scenario_decode(data, size, &s, err, sizeof err))
        return 0;
    /* Once with no fault at all, then every consultation failed in turn. */
    kfh_config none = cfg;
    none.plan.kind = KFH_PLAN_NONE;
    kfh_run(&s, &none, &res);
    if (res.n_findings) {
        none.capture = 0;
        kfh_run(&s, &none, &res); /* reports and aborts */
        abort();
    }
    kfh_enum_result er;
    if (kfh_enumerate(&s, &cfg, SYSTEMATIC_MAX_RUNS, &er) > 0) {
        kfh_config again = cfg;
        again.capture = 0;
        again.plan.kind = KFH_PLAN_NTH;
        again.plan.nth = er.first_nth;
        fprintf(stderr, "==kfault== systematic: finding with fail_nth=%llu (of %u runs)\n", er.first_nth, er.runs);
        kfh_run(&s, &again, &res); /* reports and aborts */
        kfh_report(stderr, &er.first, &s);
        abort();
    }
    return 0;
}
