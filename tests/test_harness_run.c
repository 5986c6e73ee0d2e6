/*
 * test_harness_run.c - runs as a whole: the same scenario gives the same trace and hash
 * twice (and after other runs in between), options change the hash, the high-water mark
 * stays out of the hash, the run leaves the model clean, and a finding in abort mode
 * prints the report and aborts (the fuzzer's road).
 */
#include "test_harness_util.h"

#include <ntddk.h>

static const char *const mixed =
    "set_stack 0x200\n"
    "fault transient\n"
    "expand ex wait size=0x4000 {\n"
    "  expand size=stack {\n"
    "    consume page {\n"
    "      pool_alloc 1\n"
    "    }\n"
    "  }\n"
    "  raise STATUS_CANCELLED caught\n"
    "}\n"
    "raise_irql 2\n"
    "expand ex size=page {\n"
    "  raise_irql 3\n"
    "}\n"
    "lower_irql 0\n";

TEST(run_same_hash_twice)
{
    kfh_result *r = th_run(mixed);
    uint64_t h1 = r->trace_hash;
    size_t e1 = r->events;
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    th_run("expand ex size=max\nfault hard\npool_alloc 0\n");
    r = th_run(mixed);
    CHECK_EQ(r->trace_hash, h1);
    CHECK_EQ(r->events, e1);
    CHECK(h1 != 0);
}

TEST(run_options_change_the_hash)
{
    uint64_t h1 = th_run(mixed)->trace_hash;
    kft_options("profile=win10-x86");
    uint64_t h2 = th_run(mixed)->trace_hash;
    CHECK(h1 != h2);
    kft_options("plan=nth:fail_nth=1:fail_kind=hard");
    kfh_result *r = th_run(mixed);
    CHECK_EQ(r->n_findings, 0);
    CHECK(r->injected_any);
    CHECK(r->trace_hash != h1);
}

TEST(run_high_water_mark_not_hashed)
{
    kfh_result *r = th_run("expand ex size=page\n");
    uint64_t h = r->trace_hash;
    CHECK(th_trace_has(" ;; real stack granted"));
    /* More real slack changes the granted bytes and the measured use, never the hash. */
    kft_options("stack_slack=0x10000");
    r = th_run("expand ex size=page\n");
    CHECK_EQ(r->trace_hash, h);
}

TEST(run_leaves_the_model_clean)
{
    kfh_result *r = th_run("profile vista-x86\npool_alloc 0\npool_alloc 1 paged\nexpand size=page {\n  raise_irql 1\n}\n");
    CHECK_EQ(r->n_findings, 0);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.pool_blocks, 0);
    CHECK_EQ(l.segments, 0);
    CHECK_EQ(kf_current_profile()->os, KF_OS_WIN11); /* the options' profile is back */
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST(run_statistics_per_site)
{
    kfh_result *r = th_run("set_stack 0x100\nfault hard\nexpand ex size=0x4000\npool_alloc 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->plan_stats.consulted[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(r->plan_stats.injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(r->plan_stats.consulted[KF_SITE_STACK_SEGMENT], 1);
    CHECK_EQ(r->plan_stats.consulted[KF_SITE_POOL], 1);
    CHECK_EQ(r->model_stats.total_consulted, 3);
    CHECK(th_trace_has("site ke.stack.grow consulted=1 injected=1"));
}

TEST(run_path_plan_systematic)
{
    /* Each distinct site + path fails the first time: the second identical expansion
     * passes, the nested one (another path) fails again. */
    kft_options("plan=path:fail_kind=hard");
    kfh_result *r = th_run("set_stack 0x100\nexpand ex size=0x4000\nexpand ex size=0x4000\n"
                           "expand ex size=page {\n  set_stack 0x100\n  expand ex size=0x4000\n}\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("op 1 expand ex size=0x4000\n  call size=0x4000 irql=0 remaining=0x100 depth=0\n"
                       "  fault ke.stack.grow path=expand.ex -> hard\n"
                       "  fault ke.stack.segment path=expand.ex -> hard\n"));
    /* Inside the grown (large) stack only a segment can be had: a new path for it. */
    CHECK(th_trace_has("fault ke.stack.segment path=expand.ex/expand.ex -> hard"));
    CHECK_EQ(r->plan_stats.injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(r->plan_stats.injected[KF_SITE_STACK_SEGMENT], 2);
}

static void abort_mode_finding(void)
{
    kfh_scenario s;
    char err[128];
    kfh_config cfg;
    static kfh_result r;
    kfh_scenario_parse("set_stack 0x100\nexpand ex size=0x4000\n", &s, err, sizeof err);
    kfh_config_from_options(&cfg, err, sizeof err);
    cfg.lie = 1; /* a deliberately wrong outcome, so there is something to report */
    kfh_run(&s, &cfg, &r);
}

TEST(run_finding_report_then_abort)
{
    CHECK(kft_expect_death(abort_mode_finding, "==kfault== FINDING KF-INV-"));
    CHECK(kft_expect_death(abort_mode_finding, "scenario:\n    version 1\n    set_stack 0x100"));
    CHECK(kft_expect_death(abort_mode_finding, "signature: KF-INV-"));
}

TEST(run_fuzz_entry_accepts_anything)
{
    static const uint8_t junk[] = {1, 6, 0xFF, 3, 1, 2, 3, 4, 8, 0, 1, 0, 0, 0, 7};
    CHECK_EQ(kfh_fuzz_one(junk, sizeof junk), 0);
    CHECK_EQ(kfh_fuzz_one(junk, 0), 0);
    static const uint8_t v9[] = {9, 1};
    CHECK_EQ(kfh_fuzz_one(v9, sizeof v9), 0);
}
