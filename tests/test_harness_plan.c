/*
 * test_harness_plan.c - the fault plans: site filters, input, nth, probability (seed,
 * times, interval), once per call path, fail kinds, options, installation as the model's
 * hook, per-site statistics, and the systematic enumeration.
 */
#include "test_harness_util.h"

#include <ntddk.h>

static kfh_plan_config cfg_of(kfh_plan_kind kind)
{
    kfh_plan_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    strcpy(c.sites, "*");
    c.interval = 1;
    return c;
}

TEST(plan_site_filter_globs_and_lists)
{
    CHECK(kfh_site_matches("*", "ke.stack.grow"));
    CHECK(kfh_site_matches("", "ex.pool"));
    CHECK(kfh_site_matches("ke.stack.*", "ke.stack.segment"));
    CHECK(!kfh_site_matches("ke.stack.*", "ex.pool"));
    CHECK(kfh_site_matches("ex.pool|ke.stack.grow", "ke.stack.grow"));
    CHECK(kfh_site_matches("ex.pool,ke.stack.grow", "ex.pool"));
    CHECK(!kfh_site_matches("ex.pool,ke.stack.grow", "ke.stack.segment"));
    char err[256];
    CHECK_EQ(kfh_sites_validate("ke.*|ex.pool", err, sizeof err), 0);
    CHECK_EQ(kfh_sites_validate("ke.stack.grow,no.such.site", err, sizeof err), -1);
    CHECK(strstr(err, "no.such.site") != NULL);
}

TEST(plan_none_never_fails)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_NONE);
    kfh_plan *p = kfh_plan_new(&c);
    for (int i = 0; i < 50; i++)
        CHECK_EQ(kfh_plan_decide(p, (kf_site)(i % KF_SITE_COUNT)), KF_FAULT_NONE);
    CHECK(!kfh_plan_injected_any(p));
    CHECK_EQ(kfh_plan_stats(p)->total_consulted, 50);
    kfh_plan_free(p);
}

TEST(plan_input_queue_in_order_and_filtered)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_INPUT);
    strcpy(c.sites, "ke.stack.*");
    kfh_plan *p = kfh_plan_new(&c);
    kfh_plan_push_decision(p, KF_FAULT_HARD);
    kfh_plan_push_decision(p, KF_FAULT_NONE);
    kfh_plan_push_decision(p, KF_FAULT_TRANSIENT);
    /* ex.pool does not match the filter: never failed, consumes no decision. */
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_POOL), KF_FAULT_NONE);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_HARD);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_NONE);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_POOL), KF_FAULT_NONE);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_TRANSIENT);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_NONE); /* queue empty */
    const kfh_site_stats *st = kfh_plan_stats(p);
    CHECK_EQ(st->consulted[KF_SITE_POOL], 2);
    CHECK_EQ(st->injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(st->injected[KF_SITE_STACK_SEGMENT], 1);
    CHECK_EQ(st->total_injected, 2);
    kfh_plan_reset(p);
    CHECK_EQ(kfh_plan_stats(p)->total_consulted, 0);
    kfh_plan_free(p);
}

TEST(plan_nth_fails_only_the_nth_counted)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_NTH);
    c.nth = 3;
    strcpy(c.sites, "ke.stack.grow|ke.stack.segment");
    kfh_plan *p = kfh_plan_new(&c);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_NONE);    /* 1 */
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_POOL), KF_FAULT_NONE);          /* not counted */
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_NONE); /* 2 */
    CHECK(!kfh_plan_injected_any(p));
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_TRANSIENT); /* 3: the site's kind */
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_NONE);
    CHECK(kfh_plan_injected_any(p));
    kfh_plan_free(p);

    c.kind = KFH_PLAN_NTH;
    c.nth = 1;
    strcpy(c.sites, "*");
    c.fail_kind = KF_FAILKIND_HARD;
    p = kfh_plan_new(&c);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_HARD);
    kfh_plan_free(p);
    c.fail_kind = KF_FAILKIND_TRANSIENT;
    p = kfh_plan_new(&c);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_POOL), KF_FAULT_TRANSIENT);
    kfh_plan_free(p);
}

static unsigned count_failures(kfh_plan_config *c, int n, unsigned char *pattern)
{
    kfh_plan *p = kfh_plan_new(c);
    unsigned fails = 0;
    for (int i = 0; i < n; i++) {
        int f = kfh_plan_decide(p, KF_SITE_POOL) != KF_FAULT_NONE;
        if (pattern)
            pattern[i] = (unsigned char)f;
        fails += (unsigned)f;
    }
    kfh_plan_free(p);
    return fails;
}

TEST(plan_probability_is_seeded_and_deterministic)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_PROBABILITY);
    c.probability = 600;
    c.seed = 42;
    static unsigned char a[100000], b[100000];
    unsigned fa = count_failures(&c, 100000, a);
    unsigned fb = count_failures(&c, 100000, b);
    CHECK_EQ(fa, fb);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* 6% of 100000, within a generous band. */
    CHECK(fa > 5400 && fa < 6600);
    c.seed = 43;
    count_failures(&c, 100000, b);
    CHECK(memcmp(a, b, sizeof a) != 0);
    c.probability = 0;
    CHECK_EQ(count_failures(&c, 1000, NULL), 0);
    c.probability = 10000;
    CHECK_EQ(count_failures(&c, 1000, NULL), 1000);
}

TEST(plan_probability_times_and_interval)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_PROBABILITY);
    c.probability = 10000;
    c.times = 3;
    CHECK_EQ(count_failures(&c, 100, NULL), 3);
    c.times = 0;
    c.interval = 4;
    unsigned char pat[20];
    CHECK_EQ(count_failures(&c, 20, pat), 5);
    for (int i = 0; i < 20; i++)
        CHECK_EQ(pat[i], (i + 1) % 4 == 0);
}

TEST(plan_path_fails_each_path_once)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_PATH);
    kfh_plan *p = kfh_plan_new(&c);
    kfh_callpath_clear();
    kfh_callpath_push("expand.ex");
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_TRANSIENT);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_NONE);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_SEGMENT), KF_FAULT_TRANSIENT); /* another site */
    kfh_callpath_push("expand");
    char buf[64];
    CHECK(strcmp(kfh_callpath_text(buf, sizeof buf), "expand.ex/expand") == 0);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_TRANSIENT); /* another path */
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_NONE);
    kfh_callpath_pop();
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_NONE); /* seen before */
    kfh_plan_reset(p);
    CHECK_EQ(kfh_plan_decide(p, KF_SITE_STACK_GROW), KF_FAULT_TRANSIENT); /* a new run */
    kfh_callpath_clear();
    kfh_plan_free(p);
}

TEST(plan_config_from_options)
{
    kf_options o;
    kfh_plan_config c;
    char err[256];
    kf_options_defaults(&o);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), 0);
    CHECK_EQ(c.kind, KFH_PLAN_INPUT);
    CHECK_EQ(kf_options_parse("fail_nth=4:sites=ke.stack.grow|ex.pool", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), 0);
    CHECK_EQ(c.kind, KFH_PLAN_NTH);
    CHECK_EQ(c.nth, 4);
    CHECK(strcmp(c.sites, "ke.stack.grow|ex.pool") == 0);
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("plan=probability:probability=250:seed=9:times=2:interval=3", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), 0);
    CHECK_EQ(c.kind, KFH_PLAN_PROBABILITY);
    CHECK_EQ(c.probability, 250);
    CHECK_EQ(c.seed, 9);
    CHECK_EQ(c.times, 2);
    CHECK_EQ(c.interval, 3);
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("plan=sometimes", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), -1);
    CHECK(strstr(err, "sometimes") != NULL);
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("plan=nth", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), -1);
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("plan=probability:probability=10001", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), -1);
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("sites=ke.stak.*", &o, err, sizeof err), 0);
    CHECK_EQ(kfh_plan_config_from_options(&o, &c, err, sizeof err), -1);
}

static int ran;
static void co(PVOID p) { ran++; }

TEST(plan_installed_drives_the_model)
{
    kfh_plan_config c = cfg_of(KFH_PLAN_NTH);
    c.nth = 1;
    c.fail_kind = KF_FAILKIND_HARD;
    kfh_plan *p = kfh_plan_new(&c);
    kfh_plan_install(p);
    kf_set_remaining_stack(0x100);
    ran = 0;
    /* Grow is failed (hard), the segment is granted. */
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(co, NULL, 0x4000, TRUE, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK_EQ(ran, 1);
    CHECK_EQ(kfh_plan_stats(p)->injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_STACK_GROW], 1);
    kfh_plan_install(NULL);
    kfh_plan_free(p);
}

TEST(plan_transient_versus_hard_with_wait)
{
    /* fail_kind=transient on every consultation: Wait TRUE waits it out, FALSE fails. */
    kft_options("plan=probability:probability=10000:fail_kind=transient");
    kfh_result *r = th_run("set_stack 0x100\nexpand ex wait size=0x4000\nexpand ex size=0x4000\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("status=0x00000000 path=grown calls=1 waited=1"));
    CHECK(th_trace_has("status=0xC0000017 path=none calls=0"));
    kft_options("plan=probability:probability=10000:fail_kind=hard");
    r = th_run("set_stack 0x100\nexpand ex wait size=0x4000\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("status=0xC0000017 path=none calls=0"));
}

TEST(plan_enumeration_until_nothing_injected)
{
    kfh_scenario s;
    char err[256];
    /* Three consultations: grow, segment (grow failed, hard), pool. */
    CHECK_EQ(kfh_scenario_parse("set_stack 0x100\nexpand ex size=0x4000\npool_alloc 0\n", &s, err, sizeof err), 0);
    kfh_config cfg;
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.plan.fail_kind = KF_FAILKIND_HARD;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 100, &er), 0);
    CHECK(er.complete);
    /* nth=1 fails grow (the segment and the pool pass); nth=2: grow passes, so no segment is
     * asked and the pool is the 2nd consultation and fails; nth=3 injects nothing. */
    CHECK_EQ(er.runs, 3);
    CHECK_EQ(er.n_findings, 0);
    CHECK_EQ(kfh_enumerate(&s, &cfg, 2, &er), 0);
    CHECK(!er.complete);
    CHECK_EQ(er.runs, 2);
}
