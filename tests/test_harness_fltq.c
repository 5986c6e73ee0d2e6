/*
 * test_harness_fltq.c - the deferred I/O work item and cancel-safe queue operations of scenario
 * format version 15: their bytes and text, the oracle's predictions (harness/oracle_fltq.c,
 * rules FW-3 to FW-9 and FX-12 to FX-15 of model/SEMANTICS.md), the conformance runner's
 * comparisons, and that each of their invariants (KF-INV-064 to 066) fires on a model that
 * breaks it (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 15\n"
                                  "flt_start 2\n"
                                  "cbd_alloc 0 volume=0 flags=0x0\n"
                                  "cbd_alloc 1 volume=1 flags=0x0\n"
                                  "dw_alloc 0\n"
                                  "dw_queue 0 cbd=0 then=free\n"
                                  "dw_queue 0 cbd=1 then=return delayed null_routine\n"
                                  "wi_run\n"
                                  "cq_init 0 volume=1\n"
                                  "cq_insert 0 cbd=0 context\n"
                                  "cq_insert 0 cbd=1 answer=pending\n"
                                  "cq_remove 0 cbd=0\n"
                                  "cq_next 0 peek=1 unbalanced\n"
                                  "cq_disable 0\n"
                                  "cq_insert 0 cbd=0 context\n"
                                  "cq_enable 0\n"
                                  "cq_insert 0 cbd=0 context answer=fail reenter\n"
                                  "cq_cancel 0 cbd=1\n"
                                  "dw_free 0 again\n";

TEST(q_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 15);
    CHECK_EQ(s.n, 18);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(bytes[0], 15);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_op_min_version(KFH_OP_DW_ALLOC), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_CQ_CANCEL), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK_EQ(KFH_SCENARIO_VERSION, 15);
    CHECK_EQ(KFH_SCENARIO_VERSION_NEXT, 16);
    /* The optional words may come in any order; the printer puts them in its own. */
    CHECK_EQ(kfh_scenario_parse("version 15\ncq_insert 1 cbd=3 reenter_release not_irp answer=fail context\n"
                                "cq_init 1 volume=3 null=8\ncq_remove 1 cbd=2 peek_foreign null_context\n",
                                &s, err, sizeof err), 0);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, "version 15\ncq_insert 1 cbd=3 context answer=fail not_irp reenter_release\n"
                       "cq_init 1 volume=3 null=8\ncq_remove 1 cbd=2 null_context peek_foreign\n") == 0);
}

TEST(q_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "dw_alloc 4\n", "dw_alloc\n", "dw_queue 0 cbd=4 then=free\n", "dw_queue 0 cbd=0\n",
        "dw_queue 0 cbd=0 then=free delayed delayed\n", "dw_queue 0 cbd=0 then=free context\n", "dw_free 0 twice\n",
        "cq_init 2 volume=0\n", "cq_init 0 volume=4\n", "cq_init 0 volume=0 null=9\n", "cq_init 0 volume=0 null=0\n",
        "cq_init 0 volume=0 null=1 foreign_instance\n", "cq_insert 0\n", "cq_insert 0 cbd=0 answer=maybe\n",
        "cq_insert 0 cbd=0 null_cbd not_irp\n", "cq_remove 0 cbd=0 context\n", "cq_next 0 peek=4\n",
        "cq_next 0 reenter unbalanced\n", "cq_enable 0 1\n", "cq_cancel 0 cbd=0 null_context\n",
        "version 14\ncq_enable 0\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(q_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    static const uint8_t v15[] = {15, KFH_OP_DW_ALLOC, 0xFF, KFH_OP_DW_QUEUE, 0xFF, 0xFF, 0xFF, KFH_OP_DW_FREE, 0xFF,
                                  0xFF, KFH_OP_CQ_INIT, 0xFF, 0xFF, KFH_OP_CQ_INSERT, 0xFF, 0xFF, 0xFF,
                                  KFH_OP_CQ_NEXT, 0xFF, 0xFF, 0xFF, KFH_OP_CQ_DISABLE, 0xFF};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 7);
    CHECK_EQ(s.ops[0].a, 0xFF % KFH_DW_SLOTS);
    CHECK((s.ops[1].b >> 2) < KFH_DW_MIS_COUNT && s.ops[1].c == (3 | KFH_WI_DELAYED));
    CHECK_EQ(s.ops[2].b, 0xFF % KFH_DW_FREE_COUNT);
    CHECK(s.ops[3].a < KFH_CQ_QUEUES && (s.ops[3].b >> 2) < KFH_CQ_INIT_COUNT);
    CHECK((s.ops[4].b >> 3) < KFH_CQ_MIS_COUNT && (s.ops[4].c & 3) < KFH_CQ_ANSWER_COUNT &&
          (s.ops[4].c >> 2) < KFH_CQ_BAD_COUNT);
    CHECK(s.ops[5].b <= KFH_CBD_SLOTS && (s.ops[5].c & 3) == 0);
    CHECK_EQ(s.ops[6].code, KFH_OP_CQ_DISABLE);
    /* Version 14 reads opcode 52 as 52 modulo its 52 opcodes: the end of a block, as before. */
    static const uint8_t v14[] = {14, KFH_OP_DW_ALLOC, KFH_OP_WI_RUN};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_WI_RUN);
    CHECK(kfh_scenario_version_known(15));
    CHECK(!kfh_scenario_version_known(16));
}

TEST(dw_oracle_order)
{
    kfh_wi_pred p;
    kfh_dw_data d = {0, 1, 0, KFH_WI_OBJECT_LIVE};
    /* FW-2's checks first, in its order. */
    kfh_oracle_dw_queue(HIGH_LEVEL, KFH_WI_ITEM_NONE, KFH_DW_MIS_NULL_DATA, 2, &d, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == DISPATCH_LEVEL);
    kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_NONE, KFH_DW_MIS_NULL_ROUTINE, 2, &d, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_INVALID);
    kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_QUEUED, KFH_DW_MIS_NULL_ROUTINE, 2, &d, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_REQUEUE);
    kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NULL_ROUTINE, 2, &d, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT && p.stop.param[1] == 3);
    kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_QUEUE_TYPE, HyperCriticalWorkQueue, &d, &p);
    CHECK(p.stop.param[1] == 4 && p.stop.param[2] == HyperCriticalWorkQueue && p.stop.n_params == 3);
    /* Then Data: NULL, not postable, its instance. */
    kfh_oracle_dw_queue(PASSIVE_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NULL_DATA, CriticalWorkQueue, &d, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT && p.stop.param[1] == 2);
    d.paging = 1;
    d.instance = KFH_WI_OBJECT_FOREIGN;
    kfh_oracle_dw_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NONE, DelayedWorkQueue, &d, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
    d.paging = 0;
    kfh_oracle_dw_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NOT_IRP, DelayedWorkQueue, &d, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_NOT_SAFE_TO_POST_OPERATION);
    kfh_oracle_dw_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NONE, DelayedWorkQueue, &d, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT && p.stop.param[1] == 2);
    d.instance = KFH_WI_OBJECT_GOING;
    kfh_oracle_dw_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NONE, DelayedWorkQueue, &d, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_DELETING_OBJECT);
    d.instance = KFH_WI_OBJECT_LIVE;
    kfh_oracle_dw_queue(DISPATCH_LEVEL, KFH_WI_ITEM_IDLE, KFH_DW_MIS_NONE, CriticalWorkQueue, &d, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS && p.n_sites == 0);
}

static void cq_in(kfh_cq_in *in, int op)
{
    memset(in, 0, sizeof *in);
    in->op = op;
    in->initialized = in->enabled = 1;
}

TEST(cq_oracle_order)
{
    kfh_cq_in in;
    kfh_cq_pred p;
    /* FltCbdqInitialize: any IRQL, the arguments by position, then the instance. */
    cq_in(&in, KFH_OP_CQ_INIT);
    in.irql = HIGH_LEVEL;
    in.initialized = 0;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS && !p.locked);
    in.init_misuse = 7;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_BAD_ARGUMENT && p.stop.param[1] == 7 && p.stop.n_params == 2);
    in.init_misuse = KFH_CQ_INIT_FOREIGN_INSTANCE;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_INVALID_INSTANCE);
    /* The others: IRQL, a queue never initialized, then their own checks. */
    cq_in(&in, KFH_OP_CQ_INSERT);
    in.irql = HIGH_LEVEL;
    in.initialized = 0;
    in.null_arg = 1;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_NOT_INITIALIZED);
    in.initialized = 1;
    in.enabled = 0;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_BAD_ARGUMENT && p.stop.param[1] == 2);
    in.null_arg = 0;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_CBDQ_DISABLED && !p.locked && !p.insert_io);
    in.enabled = 1;
    in.answer = KFH_CQ_ANSWER_PENDING;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.status == STATUS_PENDING && p.locked && p.insert_io && p.changed);
    in.answer = KFH_CQ_ANSWER_FAIL;
    kfh_oracle_cq(&in, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.insert_io && !p.changed);
    /* FX-13: an unbalanced Release is seen only below DISPATCH_LEVEL. */
    in.answer = KFH_CQ_ANSWER_SUCCESS;
    in.bad = KFH_CQ_BAD_UNBALANCED;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.changed);
    in.irql = APC_LEVEL;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_LOCK_UNBALANCED && p.stop.param[1] == APC_LEVEL &&
          p.stop.param[2] == DISPATCH_LEVEL && p.changed);
    /* FX-14: re-entry from InsertIo (nothing queued yet), Acquire, Release (queued already). */
    in.bad = KFH_CQ_BAD_REENTER;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_REENTERED && !p.changed);
    in.bad = KFH_CQ_BAD_REENTER_RELEASE;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_REENTERED && p.changed);
    /* A removal by Context: NULL Context, nothing found (no RemoveIo, so no re-entry), found. */
    cq_in(&in, KFH_OP_CQ_REMOVE);
    in.bad = KFH_CQ_BAD_REENTER;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.locked && p.returned == -1 && !p.changed);
    in.found = 1;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_REENTERED && p.changed);
    in.null_arg = 1;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_BAD_ARGUMENT && !p.locked);
    /* RemoveNextIo: PeekNextIo is called even on an empty queue. */
    cq_in(&in, KFH_OP_CQ_NEXT);
    in.bad = KFH_CQ_BAD_PEEK_FOREIGN;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_PEEK_FOREIGN && !p.changed);
    in.bad = KFH_CQ_BAD_REENTER_ACQUIRE;
    in.found = 1;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_REENTERED && !p.changed);
    /* The cancel: only a queued entry; RemoveIo, Release, then CompleteCanceledIo. */
    cq_in(&in, KFH_OP_CQ_CANCEL);
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.returned == -1 && !p.locked && !p.completed);
    in.in_queue = 1;
    kfh_oracle_cq(&in, &p);
    CHECK(!p.stop.stops && p.returned == 0 && p.locked && p.changed && p.completed);
    in.bad = KFH_CQ_BAD_UNBALANCED;
    kfh_oracle_cq(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CBDQ_LOCK_UNBALANCED && p.changed && !p.completed);
    /* FW-9. */
    kfh_stop_pred sp;
    kfh_oracle_cq_unregister(0, &sp);
    CHECK(!sp.stops);
    kfh_oracle_cq_unregister(2, &sp);
    CHECK(sp.param[0] == KF_VIOL_FLT_CBDQ_OUTSTANDING_AT_UNREGISTER && sp.param[1] == 2 && sp.n_params == 2);
}

TEST(dw_runner_lifecycle_clean)
{
    kfh_result *r = th_run("version 15\nflt_start 2\ncbd_alloc 0 volume=0 flags=0x0\ncbd_alloc 1 volume=1 flags=0x0\n"
                           "wi_alloc 0\ndw_alloc 0\ndw_alloc 1\ndw_queue 0 cbd=0 then=free\n"
                           "wi_queue 0 filter then=free\ndw_queue 1 cbd=1 then=requeue delayed\nwi_run\n"
                           "teardown 1 on\nwi_run\ndw_free 1\niopb 0 read minor=0 irp=paging_io length=0x0\n"
                           "dw_alloc 0\ndw_queue 0 cbd=0 then=return\ndw_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    /* One queue for both kinds, in queue order. */
    CHECK(th_trace_has("deferred routine of slot 0 at PASSIVE_LEVEL: freed its item\n"
                       "  work routine of slot 0 at PASSIVE_LEVEL: freed its item\n"
                       "  deferred routine of slot 1 at PASSIVE_LEVEL: queued its item again"));
    /* Queued again on an instance marked for teardown: refused (FW-3), so the free finds it idle. */
    CHECK(th_trace_has("op 12 dw_free 1\n  -> freed [FW-4]"));
    CHECK(th_trace_has("-> STATUS_FLT_NOT_SAFE_TO_POST_OPERATION [FW-3, FX-12]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_WORKITEM], 4);
}

TEST(dw_runner_unregister_and_misuse)
{
    kfh_result *r = th_run("version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\ndw_alloc 0\ndw_alloc 1\n"
                           "dw_queue 0 cbd=0 then=requeue\ndw_queue 0 cbd=0 then=free\ndw_queue 1 cbd=0 then=free "
                           "not_irp\ndw_queue 1 cbd=0 then=free queue_type\ndw_queue 1 cbd=0 then=bad_irql\nwi_run\n"
                           "dw_free 1\ncbd_free 0\nflt_unregister\ndw_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 3); /* queued twice, HyperCriticalWorkQueue, the routine returning at APC_LEVEL */
    CHECK(th_trace_has("flt-workitem-requeue P1=0x3912"));
    CHECK(th_trace_has("flt-workitem-bad-argument P1=0x3913 P2=0x4"));
    CHECK(th_trace_has("stop 0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL P1=0x0 P2=0x1 in FltQueueDeferredIoWorkItem"));
    CHECK(th_trace_has("-> STATUS_FLT_NOT_SAFE_TO_POST_OPERATION"));
    /* The item queued again runs first in FltUnregisterFilter: its callback data is gone. */
    CHECK(th_trace_has("deferred routine of slot 0: its callback data is gone, no queue"));
}

TEST(cq_runner_lifecycle_clean)
{
    kfh_result *r = th_run(doc_example);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 4); /* queued twice (FW-2's order: before the NULL routine), unbalanced, reenter, freed twice */
    CHECK(th_trace_has("cq_remove 0 cbd=0\n  -> the entry, 1 queued"));
    CHECK(th_trace_has("flt-cbdq-lock-unbalanced P1=0x3923 P2=0x0 in FltCbdqRemoveNextIo [predicted]"));
    CHECK(th_trace_has("-> STATUS_FLT_CBDQ_DISABLED, 0 queued"));
    CHECK(th_trace_has("flt-cbdq-reentered P1=0x3922 P2=0x0 in FltCbdqEnable [predicted]"));
    CHECK(th_trace_has("cq_cancel 0 cbd=1\n  skipped: a stop inside the queue's callbacks left its lock taken"));
}

TEST(cq_runner_misbehaviour_and_unregister)
{
    kfh_result *r = th_run("version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\ncbd_alloc 1 volume=0 flags=0x0\n"
                           "cq_next 0\ncq_init 0 volume=0 null=5\ncq_init 0 volume=0\ncq_insert 0 cbd=0 context\n"
                           "cq_insert 0 cbd=0\ncq_insert 0 cbd=1 not_irp\ncq_next 0 peek_foreign\n"
                           "cq_next 0 reenter_acquire\ncq_init 1 volume=0\ncq_insert 1 cbd=1 context\n"
                           "cq_cancel 1 cbd=1\ncq_remove 1 cbd=1\ncq_insert 1 cbd=1\ncbd_free 1\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("flt-cbdq-not-initialized P1=0x3920 P2=0x0 in FltCbdqRemoveNextIo [predicted]"));
    CHECK(th_trace_has("flt-cbdq-bad-argument P1=0x3921 P2=0x5 in FltCbdqInitialize [predicted]"));
    CHECK(th_trace_has("flt-cbdq-bad-argument P1=0x3921 P2=0x2 in FltCbdqInsertIo [predicted]"));
    CHECK(th_trace_has("flt-cbdq-peek-foreign P1=0x3925 P2=0x0 in FltCbdqRemoveNextIo [predicted]"));
    CHECK(th_trace_has("flt-cbdq-reentered P1=0x3922 P2=0x0 in FltCbdqEnable [predicted]"));
    CHECK(th_trace_has("canceled, completed after the lock, 0 queued"));
    CHECK(th_trace_has("cq_remove 1 cbd=1\n  -> NULL, 0 queued"));
    /* Callback data freed while queued: FltUnregisterFilter finds it in the queue (FW-9); the
     * one of slot 0 is still allocated on the instance, and that stop (F-6) comes first. */
    CHECK(th_trace_has("flt-callback-data-outstanding P1=0x2008 P2=0x1 in FltUnregisterFilter [predicted]"));
}

TEST(cq_runner_outstanding_at_unregister)
{
    kfh_result *r = th_run("version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\ncq_init 1 volume=0\n"
                           "cq_insert 1 cbd=0\ncbd_free 0\ncbd_alloc 0 volume=0 flags=0x0\ncq_insert 1 cbd=0\n"
                           "cbd_free 0\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    /* The second allocation may or may not reuse the first's block: either is predicted. */
    CHECK(th_trace_has("flt-cbdq-outstanding P1=0x3924 P2=0x2 in FltUnregisterFilter [predicted]") ||
          th_trace_has("flt-cbdq-outstanding P1=0x3924 P2=0x1 in FltUnregisterFilter [predicted]"));
}

TEST(q_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\ndw_queue 0 cbd=0 then=free\ncq_init 0 volume=0\nflt_start 1\n"
                           "dw_alloc 0\ndw_queue 0 cbd=0 then=free\ndw_free 1 again\ndw_free 0 generic\n"
                           "cq_init 0 volume=2\ncq_insert 0 cbd=0\ncbd_alloc 0 volume=0 flags=0x0\ncq_init 0 volume=0\n"
                           "cq_init 1 volume=0\ncq_insert 0 cbd=0\ncq_insert 1 cbd=0\ncq_init 0 volume=0\n"
                           "raise_irql 15\ncq_cancel 0 cbd=0\ndw_alloc 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the callback data slot holds no callback data"));
    CHECK(th_trace_has("skipped: the slot freed no item"));
    CHECK(th_trace_has("skipped: the generic item slot holds no item"));
    CHECK(th_trace_has("skipped: no instance on that volume"));
    CHECK(th_trace_has("skipped: the callback data is in the other queue"));
    CHECK(th_trace_has("skipped: the queue holds callback data: initializing it again would lose them"));
    CHECK(th_trace_has("skipped: the I/O manager cancels at or below DISPATCH_LEVEL"));
}

TEST(q_invariants_fire)
{
    static const char dw[] = "version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\ndw_alloc 0\n"
                             "dw_queue 0 cbd=0 then=free\nwi_run\n";
    static const char cq[] = "version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\ncq_init 0 volume=0\n"
                             "cbd_alloc 1 volume=0 flags=0x0\ncq_insert 0 cbd=0 context\ncq_insert 0 cbd=1\n"
                             "cq_remove 0 cbd=0\n";
    kfh_result *r = th_run_lying(dw, 8);
    CHECK(th_has_finding(r, KFH_INV_FLT_DEFERRED_STATUS));
    r = th_run_lying(cq, 8);
    CHECK(th_has_finding(r, KFH_INV_FLT_CBDQ_STATUS));
    r = th_run_lying(cq, 9);
    CHECK(th_has_finding(r, KFH_INV_FLT_CBDQ_COUNT));
    r = th_run_lying(dw, 0);
    CHECK_EQ(r->n_findings, 0);
    r = th_run_lying(cq, 0);
    CHECK_EQ(r->n_findings, 0);
}
