/*
 * test_harness_oracle.c - the oracle's prediction for every stack-expansion rule of
 * model/SEMANTICS.md (E-1..E-18) and the kernel rules the runner relies on (K-1, K-2, K-4,
 * K-5, K-7, K-8): each checked on the pure prediction and end to end (the model agrees, no
 * finding, the deciding rule in the trace). Then the checker itself: fabricated outcomes and
 * a lying fault hook must be reported with the right invariant id.
 */
#include "test_harness_util.h"

#include <ntddk.h>

static const kf_profile *prof(kf_os os, kf_arch arch)
{
    for (size_t i = 0; i < kf_profile_count(); i++)
        if (kf_profile_at(i)->os == os && kf_profile_at(i)->arch == arch)
            return kf_profile_at(i);
    return kf_profile_at(0);
}

static kfh_expand_in base_in(void)
{
    kfh_expand_in in;
    memset(&in, 0, sizeof in);
    in.profile = *prof(KF_OS_WIN11, KF_ARCH_AMD64);
    in.ex = 1;
    in.size = 0x1000;
    in.nest_limit = 5;
    in.stack_size = 0x6000;
    in.remaining = 0x6000;
    return in;
}

static kfh_expand_pred predict(const kfh_expand_in *in)
{
    kfh_expand_pred p;
    kfh_oracle_expand(in, &p);
    return p;
}

/* Runs text; checks it ran clean and that the trace has `needle`. */
#define CLEAN_WITH(text, needle)                          \
    do {                                                  \
        kfh_result *r_ = th_run(text);                    \
        CHECK_EQ(r_->n_findings, 0);                      \
        if (!th_trace_has(needle))                        \
            kft_fail(__FILE__, __LINE__, "trace lacks '%s':\n%s", needle, kfh_trace_text()); \
        else                                              \
            kft_pass();                                   \
    } while (0)

TEST(rule_E1_availability)
{
    kfh_expand_in in = base_in();
    in.profile = *prof(KF_OS_WS03, KF_ARCH_X86);
    kfh_expand_pred p = predict(&in);
    CHECK(p.stop.stops);
    CHECK_EQ(p.stop.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(p.stop.param[0], KF_VIOL_ROUTINE_UNAVAILABLE);
    in.ex = 0;
    CHECK(predict(&in).stop.stops);
    in.profile = *prof(KF_OS_WS03, KF_ARCH_AMD64);
    CHECK(!predict(&in).stop.stops); /* the non-Ex routine on Server 2003 x64 */
    in.ex = 1;
    CHECK(predict(&in).stop.stops);
    CLEAN_WITH("profile ws03-amd64\nexpand size=page\nexpand ex size=page\n", "routine-unavailable");
    CLEAN_WITH("profile ws03-x86\nexpand size=page\n", "[predicted]");
}

TEST(rule_E2_irql)
{
    kfh_expand_in in = base_in();
    in.irql = DISPATCH_LEVEL;
    CHECK(!predict(&in).stop.stops); /* Ex on win11 at DISPATCH_LEVEL */
    in.ex = 0;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.stop.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(p.stop.param[0], APC_LEVEL);
    CHECK_EQ(p.stop.param[1], DISPATCH_LEVEL);
    in.ex = 1;
    in.profile = *prof(KF_OS_VISTA, KF_ARCH_X86);
    CHECK_EQ(predict(&in).stop.code, IRQL_NOT_LESS_OR_EQUAL);
    in.profile = *prof(KF_OS_WIN7, KF_ARCH_AMD64);
    in.irql = 3;
    p = predict(&in);
    CHECK_EQ(p.stop.param[0], DISPATCH_LEVEL);
    CHECK_EQ(p.stop.param[1], 3);
    CLEAN_WITH("profile win7-amd64\nraise_irql 3\nexpand ex size=page\n", "IRQL_NOT_LESS_OR_EQUAL P1=0x2 P2=0x3");
}

TEST(rule_E3_E4_callout_and_context)
{
    kfh_expand_in in = base_in();
    in.callout_null = 1;
    in.context_nonnull = 1;
    CHECK_EQ(predict(&in).stop.param[0], KF_VIOL_NULL_CALLOUT); /* E-3 before E-4 */
    in.callout_null = 0;
    CHECK_EQ(predict(&in).stop.param[0], KF_VIOL_CONTEXT_NOT_NULL);
    CLEAN_WITH("expand ex null_callout context size=page\n", "expand-null-callout");
    CLEAN_WITH("expand ex context size=page\n", "expand-context-not-null");
}

TEST(rule_E5_size)
{
    kfh_expand_in in = base_in();
    in.size = 0x11801;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.status, STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(p.n_sites, 0);
    CHECK_EQ(p.callout_calls, 0);
    in.size = 0x11800;
    CHECK_EQ(predict(&in).status, STATUS_SUCCESS);
    in.profile = *prof(KF_OS_WIN10, KF_ARCH_X86);
    CHECK_EQ(predict(&in).status, STATUS_INVALID_PARAMETER_3); /* 0x11800 > 0xE800 */
    CLEAN_WITH("expand ex size=max+1\nexpand ex size=size_t_max\nexpand size=max+1\n", "[E-5]");
    CLEAN_WITH("profile win10-arm\nexpand ex size=max\n", "status=0x00000000");
}

TEST(rule_E6_wait_at_dispatch)
{
    kfh_expand_in in = base_in();
    in.irql = DISPATCH_LEVEL;
    in.wait = 1;
    CHECK_EQ(predict(&in).status, STATUS_INVALID_PARAMETER_4);
    in.wait = 0;
    CHECK_EQ(predict(&in).status, STATUS_SUCCESS);
    CLEAN_WITH("raise_irql 2\nexpand ex wait size=page\nlower_irql 0\n", "status=0xC00000F2");
}

TEST(rule_E7_order)
{
    kfh_expand_in in = base_in();
    in.size = 0x20000;
    in.irql = DISPATCH_LEVEL;
    in.wait = 1;
    in.depth = 9;
    CHECK_EQ(predict(&in).status, STATUS_INVALID_PARAMETER_3); /* Size before Wait and nesting */
    in.size = 0x1000;
    CHECK_EQ(predict(&in).status, STATUS_INVALID_PARAMETER_4); /* Wait before nesting */
    in.wait = 0;
    CHECK_EQ(predict(&in).status, STATUS_STACK_OVERFLOW);
    in.context_nonnull = 1;
    in.size = 0x20000;
    CHECK(predict(&in).stop.stops); /* Context before Size */
    CLEAN_WITH("raise_irql 2\nexpand ex wait size=max+1\nlower_irql 0\n", "status=0xC00000F1");
}

TEST(rule_E8_nesting)
{
    kfh_expand_in in = base_in();
    in.depth = 5;
    CHECK_EQ(predict(&in).status, STATUS_STACK_OVERFLOW);
    in.depth = 4;
    CHECK_EQ(predict(&in).status, STATUS_SUCCESS);
    CLEAN_WITH("expand ex size=page {\n expand ex size=page {\n  expand ex size=page {\n   expand ex size=page {\n"
               "    expand ex size=page {\n     expand ex size=page\n    }\n   }\n  }\n }\n}\n",
               "status=0xC00000FD");
    kft_options("nest_limit=2");
    CLEAN_WITH("expand ex size=page {\n expand ex size=page {\n  expand ex size=page\n }\n}\n", "[E-8]");
}

TEST(rule_E9_in_place)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x2000;
    in.size = 0x2000;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.path, KF_PATH_IN_PLACE);
    CHECK_EQ(p.n_sites, 0);
    CHECK_EQ(p.inside_remaining, 0x2000);
    CLEAN_WITH("set_stack 0x2000\nexpand ex size=remaining\n", "path=in-place");
}

TEST(rule_E10_grow)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x1000; /* 0x5000 in use */
    in.size = 0x4000;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.path, KF_PATH_GROWN);
    CHECK_EQ(p.n_sites, 1);
    CHECK_EQ(p.sites[0], KF_SITE_STACK_GROW);
    CHECK_EQ(p.inside_remaining, 0x12000 - 0x5000);
    in.size = 0xD001; /* 0x5000 + 0xD001 > 0x12000: no grow */
    p = predict(&in);
    CHECK_EQ(p.path, KF_PATH_SEGMENT);
    CHECK_EQ(p.n_sites, 1);
    in.large = 1; /* a large stack cannot grow */
    in.size = 0x4000;
    CHECK_EQ(predict(&in).path, KF_PATH_SEGMENT);
    CLEAN_WITH("set_stack 0x1000\nexpand ex size=remaining+1\n", "path=grown");
}

TEST(rule_E11_segment)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x100;
    in.size = 0x4000;
    in.n_decisions = 1;
    in.dsite[0] = KF_SITE_STACK_GROW;
    in.dkind[0] = KF_FAULT_HARD;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.path, KF_PATH_SEGMENT);
    CHECK_EQ(p.n_sites, 2);
    CHECK_EQ(p.sites[1], KF_SITE_STACK_SEGMENT);
    CHECK_EQ(p.inside_remaining, 0x11800);
    CLEAN_WITH("set_stack 0x100\nfault hard\nexpand ex size=0x4000\nlarge_stack on\nexpand ex size=max\n",
               "path=segment");
}

TEST(rule_E12_wait_and_no_memory)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x100;
    in.size = 0x4000;
    in.n_decisions = 2;
    in.dsite[0] = KF_SITE_STACK_GROW;
    in.dkind[0] = KF_FAULT_TRANSIENT;
    in.dsite[1] = KF_SITE_STACK_SEGMENT;
    in.dkind[1] = KF_FAULT_HARD;
    CHECK_EQ(predict(&in).status, STATUS_NO_MEMORY);
    in.wait = 1; /* the transient grow is waited out */
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.path, KF_PATH_GROWN);
    CHECK(p.waited);
    in.dkind[0] = KF_FAULT_HARD; /* hard even with Wait: falls to the segment, which is hard */
    CHECK_EQ(predict(&in).status, STATUS_NO_MEMORY);
    CLEAN_WITH("set_stack 0x100\nfault transient\nfault hard\nexpand ex size=0x4000\n", "status=0xC0000017");
    CLEAN_WITH("set_stack 0x100\nfault transient\nexpand ex wait size=0x4000\n", "waited=1");
}

TEST(rule_E13_non_ex_waits)
{
    kfh_expand_in in = base_in();
    in.ex = 0;
    in.wait = 0; /* ignored: the non-Ex routine waits */
    in.remaining = 0x100;
    in.size = 0x4000;
    in.n_decisions = 1;
    in.dsite[0] = KF_SITE_STACK_GROW;
    in.dkind[0] = KF_FAULT_TRANSIENT;
    kfh_expand_pred p = predict(&in);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK(p.waited);
    in.context_nonnull = 1; /* the non-Ex routine has no Context */
    CHECK(!predict(&in).stop.stops);
    CLEAN_WITH("set_stack 0x100\nfault transient\nexpand size=0x4000\n", "waited=1");
}

TEST(rule_E14_success_iff_called)
{
    /* Every predicted success calls once, every predicted failure never. */
    kfh_expand_in in = base_in();
    static const SIZE_T sizes[] = {0, 0x1000, 0x6000, 0x11800, 0x11801};
    int checked = 0;
    for (size_t s = 0; s < 5; s++)
        for (KIRQL irql = 0; irql <= 2; irql++)
            for (int wait = 0; wait <= 1; wait++)
                for (int k = 0; k < 3; k++) {
                    in.size = sizes[s];
                    in.irql = irql;
                    in.wait = wait;
                    in.remaining = 0x100;
                    in.n_decisions = 2;
                    in.dsite[0] = KF_SITE_STACK_GROW;
                    in.dsite[1] = KF_SITE_STACK_SEGMENT;
                    in.dkind[0] = in.dkind[1] = (kf_fault_kind)k;
                    kfh_expand_pred p = predict(&in);
                    if (p.stop.stops)
                        continue;
                    CHECK_EQ(p.status == STATUS_SUCCESS, p.callout_calls == 1);
                    CHECK(p.callout_calls <= 1);
                    if (p.callout_calls)
                        CHECK(p.inside_remaining >= in.size);
                    checked++;
                }
    CHECK(checked > 50);
    CLEAN_WITH("raise_irql 1\nexpand ex size=page {\n  set_stack 0x10\n}\nlower_irql 0\n", "callout enter irql=1");
}

TEST(rule_E15_irql_changed_in_callout)
{
    kfh_stop_pred st;
    kfh_oracle_callout_exit(0, 1, &st);
    CHECK_EQ(st.code, IRQL_UNEXPECTED_VALUE);
    CHECK_EQ(st.param[0], 0);
    CHECK_EQ(st.param[1], 1);
    kfh_oracle_callout_exit(1, 1, &st);
    CHECK(!st.stops);
    CLEAN_WITH("expand ex size=page {\n  raise_irql 2\n}\n", "IRQL_UNEXPECTED_VALUE P1=0x0 P2=0x2");
    CLEAN_WITH("expand ex size=page {\n  raise_irql 2\n  lower_irql 0\n}\n", "callout exit irql=0");
}

TEST(rule_E16_exception_in_callout)
{
    kfh_stop_pred st;
    kfh_oracle_unhandled(STATUS_ACCESS_VIOLATION, 1, &st);
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_ACCESS_VIOLATION);
    CLEAN_WITH("expand ex size=page {\n  raise STATUS_NO_MEMORY\n}\n", "KMODE_EXCEPTION_NOT_HANDLED P1=0xc0000017");
    CLEAN_WITH("expand ex size=page {\n  consume 0x100 {\n    raise STATUS_NO_MEMORY caught\n  }\n}\n", "status=0x00000000");
}

TEST(rule_E17_terminate_in_callout)
{
    kfh_stop_pred st;
    kfh_oracle_terminate(1, 0x1234, &st);
    CHECK_EQ(st.code, KERNEL_EXPAND_STACK_ACTIVE);
    CHECK_EQ(st.param[0], 0x1234);
    kfh_oracle_terminate(0, 0x1234, &st);
    CHECK(!st.stops);
    CLEAN_WITH("expand size=page {\n  expand ex size=page {\n    terminate STATUS_SUCCESS\n  }\n}\n",
               "KERNEL_EXPAND_STACK_ACTIVE");
}

TEST(rule_E18_state_restored)
{
    /* After success and failure alike, IRQL and the remaining stack are as before: the
     * runner checks both after every call and every operation. */
    CLEAN_WITH("raise_irql 1\nset_stack 0x300\nexpand ex size=0x4000 {\n  set_stack 0x10\n}\n"
               "fault hard\nfault hard\nexpand ex size=0x4000\nlower_irql 0\n",
               "status=0xC0000017");
    kfh_result *r = th_run("set_stack 0x300\nexpand ex size=0x4000 {\n  raise_irql 2\n}\nexpand ex size=0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1); /* K-7: the guard restored IRQL and the stack; the next call is clean */
}

TEST(rule_K1_K2_irql_routines)
{
    kfh_stop_pred st;
    kfh_oracle_raise_irql(prof(KF_OS_WIN11, KF_ARCH_AMD64), 2, 1, &st);
    CHECK_EQ(st.code, IRQL_NOT_GREATER_OR_EQUAL);
    CHECK_EQ(st.param[0], 2);
    CHECK_EQ(st.param[1], 1);
    kfh_oracle_raise_irql(prof(KF_OS_WIN11, KF_ARCH_AMD64), 2, 31, &st);
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_raise_irql(prof(KF_OS_WIN10, KF_ARCH_X86), 2, 31, &st);
    CHECK(!st.stops);
    kfh_oracle_lower_irql(0, 2, &st);
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], 2);
    CLEAN_WITH("raise_irql 2\nraise_irql 1\n", "IRQL_NOT_GREATER_OR_EQUAL P1=0x2 P2=0x1");
    CLEAN_WITH("raise_irql 31\n", "IRQL_NOT_LESS_OR_EQUAL");
    CLEAN_WITH("profile win10-x86\nraise_irql 31\nlower_irql 0\n", "op 2 lower_irql 0");
    CLEAN_WITH("lower_irql 1\n", "in KeLowerIrql [predicted]");
}

TEST(rule_K4_K5_thread_and_exceptions)
{
    CLEAN_WITH("terminate STATUS_CANCELLED\nexpand ex size=page\n", "thread exit status=0xC0000120");
    CLEAN_WITH("consume 0x1000 {\n  terminate STATUS_UNSUCCESSFUL\n}\nexpand ex size=stack\n", "thread exit status=0xC0000001");
    CLEAN_WITH("raise STATUS_CANCELLED\n", "KMODE_EXCEPTION_NOT_HANDLED");
    CLEAN_WITH("raise STATUS_CANCELLED caught\n", "op 0 raise STATUS_CANCELLED caught");
}

TEST(rule_K8_pool)
{
    kfh_stop_pred st;
    kfh_oracle_pool_alloc(APC_LEVEL, 1, &st);
    CHECK(!st.stops);
    kfh_oracle_pool_alloc(DISPATCH_LEVEL, 1, &st);
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_pool_alloc(DISPATCH_LEVEL, 0, &st);
    CHECK(!st.stops);
    CLEAN_WITH("fault hard\npool_alloc 0\npool_alloc 1\nraise_irql 2\npool_alloc 2 paged\n", "-> NULL");
    CLEAN_WITH("raise_irql 2\npool_alloc 2\nlower_irql 0\npool_free 2\npool_free 2\n", "skipped: slot 2 is empty");
}

/* ---- The checker fires --------------------------------------------------------------- */

static kfh_expand_obs obs_from(const kfh_expand_in *in, const kfh_expand_pred *p)
{
    kfh_expand_obs o;
    memset(&o, 0, sizeof o);
    o.status = p->status;
    o.calls = p->callout_calls;
    o.param_ok = 1;
    o.remaining_in = p->inside_remaining;
    o.irql_in = in->irql;
    o.irql_after = in->irql;
    o.remaining_after = in->remaining;
    o.depth_in = in->depth + 1;
    o.rec.path = p->path;
    o.rec.status = p->status;
    o.rec.callout_calls = p->callout_calls;
    o.rec.size = in->size;
    o.rec.waited = (BOOLEAN)p->waited;
    o.n_sites = p->n_sites;
    for (int i = 0; i < p->n_sites; i++)
        o.sites[i] = p->sites[i];
    return o;
}

static int fires(const kfh_expand_in *in, const kfh_expand_pred *p, const kfh_expand_obs *o, int inv)
{
    kfh_finding f[8];
    int n = kfh_check_expand(in, p, o, f, 8);
    for (int i = 0; i < n && i < 8; i++)
        if (f[i].inv == inv)
            return 1;
    return 0;
}

TEST(checker_accepts_the_prediction_itself)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x100;
    in.size = 0x4000;
    kfh_expand_pred p = predict(&in);
    kfh_expand_obs o = obs_from(&in, &p);
    kfh_finding f[8];
    CHECK_EQ(kfh_check_expand(&in, &p, &o, f, 8), 0);
}

TEST(checker_reports_fabricated_outcomes)
{
    kfh_expand_in in = base_in();
    in.remaining = 0x100;
    in.size = 0x4000;
    kfh_expand_pred p = predict(&in);
    kfh_expand_obs o = obs_from(&in, &p);
    o.calls = 0; /* success without a call */
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_IFF_SUCCESS));
    o = obs_from(&in, &p);
    o.calls = 2;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_ONCE));
    o = obs_from(&in, &p);
    o.param_ok = 0;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_PARAMETER));
    o = obs_from(&in, &p);
    o.remaining_in = 0x3FFF;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_STACK));
    o = obs_from(&in, &p);
    o.irql_in = 1;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_IRQL));
    o = obs_from(&in, &p);
    o.irql_after = 2;
    CHECK(fires(&in, &p, &o, KFH_INV_IRQL_RESTORED));
    o = obs_from(&in, &p);
    o.remaining_after = 0x50;
    CHECK(fires(&in, &p, &o, KFH_INV_STACK_RESTORED));
    o = obs_from(&in, &p);
    o.status = STATUS_INSUFFICIENT_RESOURCES; /* an undocumented code, and no call */
    o.calls = 0;
    o.rec.status = o.status;
    o.rec.callout_calls = 0;
    CHECK(fires(&in, &p, &o, KFH_INV_STATUS_PREDICTED));
    o = obs_from(&in, &p);
    o.rec.path = KF_PATH_SEGMENT;
    CHECK(fires(&in, &p, &o, KFH_INV_PATH_PREDICTED));
    o = obs_from(&in, &p);
    o.n_sites = 2;
    o.sites[1] = KF_SITE_STACK_SEGMENT;
    CHECK(fires(&in, &p, &o, KFH_INV_SITES_PREDICTED));
    o = obs_from(&in, &p);
    o.depth_in = 3;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_DEPTH));
    o = obs_from(&in, &p);
    o.rec.waited = 1;
    CHECK(fires(&in, &p, &o, KFH_INV_EXPAND_RECORD));
    /* A failure that ran the callout anyway (the loader's fallback would run it twice). */
    in.size = 0x11801;
    p = predict(&in);
    o = obs_from(&in, &p);
    o.calls = 1;
    CHECK(fires(&in, &p, &o, KFH_INV_CALLOUT_IFF_SUCCESS));
}

TEST(checker_reports_stops)
{
    kfh_stop_pred p;
    kf_stop actual;
    kfh_finding f;
    memset(&actual, 0, sizeof actual);
    kfh_oracle_callout_exit(0, 2, &p);
    actual.code = IRQL_UNEXPECTED_VALUE;
    actual.param[0] = 0;
    actual.param[1] = 2;
    actual.routine = "KeExpandKernelStackAndCalloutEx";
    CHECK_EQ(kfh_check_stop(&p, &actual, &f), 0);
    actual.param[1] = 1; /* wrong parameter */
    CHECK_EQ(kfh_check_stop(&p, &actual, &f), 1);
    CHECK_EQ(f.inv, KFH_INV_STOP_PREDICTED);
    CHECK(strcmp(f.signature, "KF-INV-009/KeExpandKernelStackAndCalloutEx/-") == 0);
    CHECK_EQ(kfh_check_stop(&p, NULL, &f), 1); /* predicted, did not happen */
    CHECK_EQ(kfh_check_stop(NULL, &actual, &f), 1); /* happened, not predicted */
}

TEST(checker_catches_a_lying_fault_hook)
{
    /* The hook tells the oracle "none" while the model gets "hard": the outcome diverges
     * and the statistics disagree. */
    kfh_scenario s;
    char err[256];
    CHECK_EQ(kfh_scenario_parse("set_stack 0x100\nexpand ex size=0x4000\n", &s, err, sizeof err), 0);
    kfh_config cfg;
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.lie = 1;
    static kfh_result r;
    CHECK(kfh_run(&s, &cfg, &r) > 0);
    CHECK(th_has_finding(&r, KFH_INV_STATUS_PREDICTED));
    CHECK(strncmp(r.findings[0].signature, "KF-INV-", 7) == 0);
    CHECK(strstr(r.findings[0].signature, "KeExpandKernelStackAndCalloutEx/ke.stack.segment") != NULL);
    /* Pool: the model returns NULL while the log says granted. */
    CHECK_EQ(kfh_scenario_parse("pool_alloc 0\n", &s, err, sizeof err), 0);
    kfh_run(&s, &cfg, &r);
    CHECK(th_has_finding(&r, KFH_INV_POOL_RESULT));
    /* A run with nothing else to check still compares the statistics at the end. */
    CHECK_EQ(kfh_scenario_parse("set_stack 0x100\nexpand ex size=0x4000 {\n}\n", &s, err, sizeof err), 0);
    cfg.lie = 0;
    kfh_run(&s, &cfg, &r);
    CHECK_EQ(r.n_findings, 0);
}

TEST(invariant_table_ids_are_stable)
{
    CHECK(kfh_inv_count() >= 21);
    const kfh_inv_info *i = kfh_inv_get(KFH_INV_CALLOUT_IFF_SUCCESS);
    CHECK(i != NULL && strcmp(i->name, "callout-iff-success") == 0);
    /* Numbered from 1 and in order; a number is never reused. A gap is a number a family
     * developed beside this one holds. */
    for (size_t k = 0; k < kfh_inv_count(); k++) {
        CHECK(k == 0 ? kfh_inv_at(k)->num == 1 : kfh_inv_at(k)->num > kfh_inv_at(k - 1)->num);
        CHECK(strlen(kfh_inv_at(k)->sentence) > 20);
    }
}
