/*
 * test_harness_fltwork.c - the generic work item operations of scenario format version 14:
 * their bytes and text, the oracle's predictions (harness/oracle_fltwork.c, rules FW-1, FW-2,
 * FW-4 to FW-6 and FX-8 to FX-11 of model/SEMANTICS.md), the conformance runner's comparisons,
 * and that each of their invariants (KF-INV-062, 063) fires on a model that breaks it
 * (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 14\n"
                                  "flt_start 2\n"
                                  "wi_alloc 0\n"
                                  "wi_alloc 1\n"
                                  "wi_queue 0 filter then=free\n"
                                  "wi_queue 1 instance1 then=requeue delayed\n"
                                  "wi_run\n"
                                  "wi_queue 1 instance0 then=return null_routine\n"
                                  "wi_free 0 again\n"
                                  "wi_free 1 foreign\n"
                                  "flt_unregister\n"
                                  "wi_free 1\n";

TEST(wi_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 14);
    CHECK_EQ(s.n, 11);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(bytes[0], 14);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_ALLOC), 14);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK_EQ(kfh_op_min_version(KFH_OP_MF_ATTACH), 8);
    CHECK(KFH_SCENARIO_VERSION >= 14);
    CHECK_EQ(KFH_SCENARIO_VERSION_NEXT, KFH_SCENARIO_VERSION + 1);
}

TEST(wi_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "wi_alloc 4\n", "wi_alloc\n", "wi_queue 0 volume then=free\n", "wi_queue 0 filter\n",
        "wi_queue 0 filter then=sleep\n", "wi_queue 0 filter then=free twice\n",
        "wi_queue 0 filter then=free null_routine delayed\n", "wi_free 0 twice\n", "wi_run 1\n",
        "version 8\nwi_run\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(wi_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    /* Version 14: every byte decodes into range. */
    static const uint8_t v14[] = {14, KFH_OP_WI_ALLOC, 0xFF, KFH_OP_WI_QUEUE, 0xFF, 0xFF, 0xFF,
                                  KFH_OP_WI_FREE, 0xFF, 0xFF, KFH_OP_WI_RUN};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 4);
    CHECK_EQ(s.ops[0].a, 0xFF % KFH_WI_SLOTS);
    CHECK((s.ops[1].b & 7) < KFH_WI_OBJ_COUNT && (s.ops[1].b >> 3) < KFH_WI_MIS_COUNT);
    CHECK_EQ(s.ops[1].c, 3 | KFH_WI_DELAYED);
    CHECK_EQ(s.ops[2].b, 0xFF % KFH_WI_FREE_COUNT);
    CHECK_EQ(s.ops[3].code, KFH_OP_WI_RUN);
    /* Version 8 reads opcode 48 as 48 modulo its 48 opcodes: the end of a block, as before. */
    static const uint8_t v8[] = {8, KFH_OP_WI_ALLOC, KFH_OP_FLT_UNREGISTER};
    CHECK_EQ(kfh_scenario_decode(v8, sizeof v8, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_FLT_UNREGISTER);
    /* 9 to 13 are never versions; the next version is not one yet. */
    for (unsigned v = 9; v <= 13; v++)
        CHECK(!kfh_scenario_version_known(v));
    CHECK(kfh_scenario_version_known(14));
    CHECK(!kfh_scenario_version_known(KFH_SCENARIO_VERSION_NEXT));
}

TEST(wi_oracle_order)
{
    kfh_wi_pred p;
    kfh_oracle_wi_alloc(DISPATCH_LEVEL, KF_FAULT_NONE, &p);
    CHECK(!p.stop.stops && p.n_sites == 1 && p.allocated);
    kfh_oracle_wi_alloc(PASSIVE_LEVEL, KF_FAULT_TRANSIENT, &p);
    CHECK(!p.stop.stops && p.n_sites == 1 && !p.allocated);
    kfh_oracle_wi_alloc(HIGH_LEVEL, KF_FAULT_NONE, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == DISPATCH_LEVEL && p.n_sites == 0);
    /* FW-2: IRQL, the item, queued, then the arguments by position (3, 4, 2), then the object. */
    kfh_oracle_wi_queue(HIGH_LEVEL, KFH_WI_ITEM_NONE, KFH_WI_MIS_NULL_ROUTINE, 2, KFH_WI_OBJECT_FOREIGN, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_NONE, KFH_WI_MIS_NONE, 2, KFH_WI_OBJECT_FOREIGN, &p);
    CHECK(p.stop.code == DRIVER_VERIFIER_DETECTED_VIOLATION && p.stop.param[0] == KF_VIOL_FLT_WORKITEM_INVALID);
    kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_QUEUED, KFH_WI_MIS_NULL_ROUTINE, 2, KFH_WI_OBJECT_LIVE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_REQUEUE);
    kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_NULL_ROUTINE, 2, KFH_WI_OBJECT_FOREIGN, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT && p.stop.param[1] == 3 && p.stop.n_params == 2);
    kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_QUEUE_TYPE, 2, KFH_WI_OBJECT_FOREIGN, &p);
    CHECK(p.stop.param[1] == 4 && p.stop.param[2] == 2 && p.stop.n_params == 3);
    kfh_oracle_wi_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_NONE, DelayedWorkQueue, KFH_WI_OBJECT_FOREIGN, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT && p.stop.param[1] == 2);
    kfh_oracle_wi_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_NONE, CriticalWorkQueue, KFH_WI_OBJECT_GOING, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_DELETING_OBJECT && p.n_sites == 0);
    kfh_oracle_wi_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_WI_MIS_NONE, CriticalWorkQueue, KFH_WI_OBJECT_LIVE, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS);
    /* FW-4. */
    kfh_oracle_wi_free(PASSIVE_LEVEL, KFH_WI_ITEM_QUEUED, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_FREE_QUEUED);
    kfh_oracle_wi_free(PASSIVE_LEVEL, KFH_WI_ITEM_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_INVALID);
    kfh_oracle_wi_free(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, &p);
    CHECK(!p.stop.stops);
    /* FW-5, FX-10. */
    kfh_stop_pred sp;
    kfh_oracle_wi_return(PASSIVE_LEVEL, &sp);
    CHECK(!sp.stops);
    kfh_oracle_wi_return(APC_LEVEL, &sp);
    CHECK(sp.stops && sp.code == 0xE1 && sp.param[0] == 0 && sp.param[1] == APC_LEVEL && sp.n_params == 2);
}

static const char lifecycle[] = "version 14\n"
                                "flt_start 2\n"
                                "wi_alloc 0\n"
                                "wi_alloc 1\n"
                                "wi_alloc 2\n"
                                "wi_queue 0 filter then=free\n"
                                "wi_queue 1 instance0 then=requeue\n"
                                "wi_queue 2 instance1 then=return delayed\n"
                                "wi_run\n"
                                "wi_queue 2 filter then=return\n"
                                "wi_free 2\n";

TEST(wi_runner_lifecycle_clean)
{
    kfh_result *r = th_run(lifecycle);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1); /* the free of a queued item */
    CHECK(th_trace_has("work routine of slot 0 at PASSIVE_LEVEL: freed its item"));
    CHECK(th_trace_has("work routine of slot 1 at PASSIVE_LEVEL: queued its item again"));
    CHECK(th_trace_has("-> 3 routine(s) ran [FW-5]"));
    CHECK(th_trace_has("flt-workitem-free-queued P1=0x3911 P2=0x0 in FltFreeGenericWorkItem [predicted]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_WORKITEM], 3);
}

TEST(wi_runner_unregister_runs_queued_items)
{
    kfh_result *r = th_run("version 14\nflt_start 1\nwi_alloc 0\nwi_alloc 1\nwi_queue 0 instance0 then=requeue\n"
                           "wi_queue 1 filter then=free\nflt_unregister\nwi_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("work routine of slot 1 at PASSIVE_LEVEL: freed its item"));
    /* The item queued again during the teardown is refused (FW-2, FW-6): wi_free then frees it. */
    CHECK(th_trace_has("op 6 wi_free 0\n  -> freed [FW-4]"));
}

TEST(wi_runner_bad_irql_and_faults)
{
    kfh_result *r = th_run("version 14\nflt_start 1\nwi_alloc 0\nwi_queue 0 filter then=bad_irql\nwi_run\nwi_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("stop 0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL P1=0x0 P2=0x1"));
    /* A failed allocation leaves the slot empty: the queue is skipped. */
    static kfh_scenario s;
    static kfh_result res;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 14\nflt_start 1\nwi_alloc 0\nwi_queue 0 filter then=free\nwi_run\n", &s,
                                err, sizeof err), 0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 16, &er), 0);
    (void)res;
}

TEST(wi_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 14\nwi_alloc 0\nwi_queue 0 filter then=free\nflt_start 1\nwi_queue 1 filter "
                           "then=free\nwi_queue 0 instance3 then=free\nwi_free 1 again\nwi_free 0\nwi_alloc 0\n"
                           "wi_free 0 again\nwi_alloc 0\nwi_alloc 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the item slot holds no item"));
    CHECK(th_trace_has("skipped: no instance on that volume"));
    CHECK(th_trace_has("skipped: the slot freed no item"));
    CHECK(th_trace_has("skipped: an item was allocated since the slot's was freed"));
    CHECK(th_trace_has("skipped: the item slot holds an item"));
}

TEST(wi_invariants_fire)
{
    static const char text[] = "version 14\nflt_start 1\nwi_alloc 0\nwi_queue 0 filter then=return\nwi_run\n"
                               "wi_free 0\n";
    kfh_result *r = th_run_lying(text, 6);
    CHECK(th_has_finding(r, KFH_INV_FLT_WORK_COUNT));
    r = th_run_lying(text, 7);
    CHECK(th_has_finding(r, KFH_INV_FLT_WORK_STATUS));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}
