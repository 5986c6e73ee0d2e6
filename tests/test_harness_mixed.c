/*
 * test_harness_mixed.c - Filter Manager operations among the rest: inside expand and
 * consume bodies, in completions run by FltUnregisterFilter, after stops that cut a run of
 * completions short or interrupt a teardown; the Filter Manager prologue of flt_fuzz and
 * mixed_fuzz; the reach record a run fills. Each scenario here once produced a false
 * finding, or checks a promise of docs/SCENARIO_FORMAT.md; none may pass by asserting
 * nothing.
 */
#include "test_harness_util.h"

/* Runs text with a reach record attached (capture mode, options in force). */
static kfh_result *run_reach(const char *text, kfh_reach *reach)
{
    static kfh_scenario s;
    static kfh_result r;
    char err[256];
    kfh_config cfg;
    memset(&r, 0, sizeof r);
    r.n_findings = -1;
    if (kfh_scenario_parse(text, &s, err, sizeof err) || kfh_config_from_options(&cfg, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "%s", err);
        return &r;
    }
    cfg.capture = 1;
    cfg.reach = reach;
    kfh_run(&s, &cfg, &r);
    return &r;
}

TEST(mixed_completion_run_by_unregister_gets_its_own_prediction)
{
    /* The completion frees its data inside FltUnregisterFilter, whose own predicted stop
     * (slot 1 left over) must not be expected of that FltFreeCallbackData. */
    kfh_result *r = th_run("version 2\n"
                           "flt_start 1\n"
                           "cbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 read minor=0 irp=none length=0x10\n"
                           "async_io 0 then=free deferred irql=2\n"
                           "cbd_alloc 1 volume=0 flags=0x0\n"
                           "flt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("-> freed #1"));
    CHECK(th_trace_has("flt-callback-data-outstanding"));
}

TEST(mixed_cut_short_run_pending_leaves_the_rest_pending)
{
    /* The first completion stops (reuse at DISPATCH_LEVEL); the second I/O stays pending in
     * the model and completes at the next run_pending. */
    kfh_result *r = th_run("version 2\n"
                           "flt_start 1\n"
                           "cbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 read minor=0 irp=none length=0x10\n"
                           "async_io 0 then=reuse deferred irql=2\n"
                           "cbd_alloc 1 volume=0 flags=0x0\n"
                           "iopb 1 read minor=0 irp=none length=0x10\n"
                           "async_io 1 then=free deferred irql=2\n"
                           "run_pending\n"
                           "run_pending\n"
                           "run_pending\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("-> freed #2\n  -> 1 completed"));
    CHECK(th_trace_has("-> 0 completed"));
}

TEST(mixed_teardown_cut_short_out_of_start_order_leaves_the_rest_pending)
{
    /* FltUnregisterFilter completes instance by instance: volume 0's I/O (started second)
     * completes first and stops (reuse at DISPATCH_LEVEL); volume 1's, started first, stays
     * pending and completes at run_pending. Found by mixed_fuzz: the harness kept both as
     * pending (a false KF-INV-032). */
    kfh_result *r = th_run("version 2\n"
                           "flt_start 4\n"
                           "cbd_alloc 1 volume=1 flags=0x0\n"
                           "iopb 1 directory_control minor=1 irp=none length=0x200\n"
                           "cbd_alloc 0 ex file volume=0 flags=0x1\n"
                           "iopb 0 read minor=0 irp=none length=0x200\n"
                           "async_io 1 then=free deferred irql=2\n"
                           "async_io 0 then=reuse deferred irql=2\n"
                           "flt_unregister\n"
                           "run_pending\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("completion slot=0 irql=2"));
    CHECK(th_trace_has("completion slot=1 irql=2 IoStatus STATUS_SUCCESS info=0x0\n      -> freed #1\n  -> 1 completed"));
}

TEST(mixed_stop_in_a_teardown_completion_leaves_the_filter_alone)
{
    kfh_result *r = th_run("version 2\n"
                           "flt_start 2\n"
                           "cbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 read minor=0 irp=none length=0x10\n"
                           "async_io 0 then=reuse deferred irql=2\n"
                           "flt_unregister\n"
                           "cbd_alloc 1 volume=1 flags=0x0\n"
                           "flt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("skipped: the filter's state is unknown after a stop in FltUnregisterFilter"));
    CHECK(th_trace_has("skipped: no filter registered"));
}

TEST(mixed_unregister_at_dispatch_keeps_the_filter)
{
    /* The IRQL check on entry changes nothing: the filter is still there afterwards. */
    kfh_result *r = th_run("version 2\n"
                           "flt_start 1\n"
                           "raise_irql 2\n"
                           "flt_unregister\n"
                           "lower_irql 0\n"
                           "cbd_alloc 0 volume=0 flags=0x0\n"
                           "cbd_free 0\n"
                           "flt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("-> freed #1"));
    CHECK(!th_trace_has("skipped"));
}

TEST(mixed_callback_data_inside_blocks)
{
    kfh_result *r = th_run("version 2\n"
                           "flt_start 2\n"
                           "expand ex size=page {\n"
                           "  cbd_alloc 0 ex volume=0 flags=0x1\n"
                           "  iopb 0 read minor=0 irp=none length=0x10\n"
                           "  async_io 0 then=free deferred irql=2\n"
                           "  consume page {\n"
                           "    cbd_alloc 1 volume=1 flags=0x0\n"
                           "    iopb 1 write minor=0 irp=none length=0x20\n"
                           "    sync_io 1\n"
                           "    run_pending\n"
                           "  }\n"
                           "}\n"
                           "expand ex size=page {\n"
                           "  iopb 1 read minor=0 irp=none length=0x4\n"
                           "  async_io 1 then=reissue deferred irql=1\n"
                           "  expand size=stack {\n"
                           "    run_pending\n"
                           "    terminate STATUS_SUCCESS\n"
                           "  }\n"
                           "}\n"
                           "run_pending\n"
                           "expand ex size=page {\n"
                           "  cbd_alloc 2 volume=0 flags=0x0\n"
                           "  raise STATUS_NO_MEMORY\n"
                           "}\n"
                           "cbd_free 2\n"
                           "cbd_free 1\n"
                           "expand ex size=page {\n"
                           "  flt_unregister\n"
                           "}\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 2);
    CHECK(th_trace_has("path=expand.ex/consume/cbd_alloc"));
    CHECK(th_trace_has("path=expand.ex/expand/run_pending"));
    CHECK(th_trace_has("KERNEL_EXPAND_STACK_ACTIVE"));
    CHECK(!th_trace_has("skipped"));
}

TEST(prologue_starts_the_filter_first)
{
    kfh_scenario s;
    char err[256], text[512];
    CHECK_EQ(kfh_scenario_parse("version 2\ncbd_alloc 0 volume=3 flags=0x0\nexpand ex size=page {\n  sync_io 0\n}\n",
                                &s, err, sizeof err), 0);
    CHECK_EQ(kfh_scenario_flt_prologue(&s, 4), 1);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strstr(text, "version 2\nflt_start 4\ncbd_alloc 0 volume=3") != NULL);
    CHECK_EQ(s.n, 4);
    CHECK_EQ(s.ops[2].body, 1);
    CHECK_EQ(s.ops[3].depth, 1);
    /* Already first: left alone; version 1: left alone. */
    CHECK_EQ(kfh_scenario_flt_prologue(&s, 2), 0);
    CHECK_EQ(s.ops[0].a, 4);
    CHECK_EQ(kfh_scenario_parse("version 1\nexpand ex size=page\n", &s, err, sizeof err), 0);
    CHECK_EQ(kfh_scenario_flt_prologue(&s, 4), 0);
    CHECK_EQ(s.n, 1);
}

TEST(prologue_cuts_a_full_scenario)
{
    static uint8_t bytes[8 + 2 * KFH_MAX_OPS];
    kfh_scenario s;
    char err[128];
    bytes[0] = 2;
    /* expand { sync_io 0 ... } filling every operation: the cut op is inside the block. */
    bytes[1] = KFH_OP_EXPAND;
    size_t n = 2 + 6;
    while (n + 2 <= sizeof bytes) {
        bytes[n++] = KFH_OP_SYNC_IO;
        bytes[n++] = 0;
    }
    CHECK_EQ(kfh_scenario_decode(bytes, n, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, KFH_MAX_OPS);
    CHECK_EQ(kfh_scenario_flt_prologue(&s, 1), 1);
    CHECK_EQ(s.n, KFH_MAX_OPS);
    CHECK_EQ(s.ops[0].code, KFH_OP_FLT_START);
    CHECK_EQ(s.ops[1].body, KFH_MAX_OPS - 2);
}

TEST(reach_counts_operations_outcomes_and_sites)
{
    static kfh_reach reach;
    memset(&reach, 0, sizeof reach);
    kfh_result *r = run_reach("version 2\n"
                              "flt_start 1\n"
                              "flt_start 1\n"
                              "fault hard\n"
                              "cbd_alloc 0 volume=0 flags=0x0\n"
                              "cbd_alloc 0 ex null_instance volume=0 flags=0x0\n"
                              "expand ex size=max+1\n"
                              "expand ex size=page\n",
                              &reach);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(reach.ops[KFH_OP_FLT_START], 2);
    CHECK_EQ(reach.skipped[KFH_OP_FLT_START], 1);
    CHECK_EQ(reach.ops[KFH_OP_CBD_ALLOC], 2);
    CHECK_EQ(reach.skipped[KFH_OP_CBD_ALLOC], 0);
    CHECK_EQ(kfh_reach_count(&reach, "FltAllocateCallbackData: STATUS_INSUFFICIENT_RESOURCES"), 1);
    CHECK_EQ(kfh_reach_count(&reach, "FltAllocateCallbackDataEx: violation 0x2001 flt-null-instance"), 1);
    CHECK_EQ(kfh_reach_count(&reach, "KeExpandKernelStackAndCalloutEx: STATUS_INVALID_PARAMETER_3"), 1);
    CHECK_EQ(kfh_reach_count(&reach, "KeExpandKernelStackAndCalloutEx: STATUS_SUCCESS"), 1);
    CHECK_EQ(kfh_reach_count(&reach, "KeExpandKernelStackAndCalloutEx: STATUS_NO_MEMORY"), 0);
    CHECK_EQ(reach.consulted[KF_SITE_FLT_CALLBACK_DATA], 1);
    CHECK_EQ(reach.injected[KF_SITE_FLT_CALLBACK_DATA], 1);
    /* A second run adds to the same record; the trace hash is the one without a record. */
    uint64_t h = r->trace_hash;
    run_reach("version 2\nflt_start 1\nexpand ex size=max+1\n", &reach);
    CHECK_EQ(kfh_reach_count(&reach, "KeExpandKernelStackAndCalloutEx: STATUS_INVALID_PARAMETER_3"), 2);
    CHECK_EQ(reach.ops[KFH_OP_FLT_START], 3);
    r = run_reach("version 2\n"
                  "flt_start 1\n"
                  "flt_start 1\n"
                  "fault hard\n"
                  "cbd_alloc 0 volume=0 flags=0x0\n"
                  "cbd_alloc 0 ex null_instance volume=0 flags=0x0\n"
                  "expand ex size=max+1\n"
                  "expand ex size=page\n",
                  NULL);
    CHECK_EQ(r->trace_hash, h);
}
