/*
 * test_harness_fltxn.c - the transaction operations of scenario format version 15: their bytes
 * and text, the oracle's predictions (harness/oracle_fltxn.c, rules FT-3, FT-5 to FT-7, FT-9 to
 * FT-11, FT-13, FT-14 and FX-32 to FX-35 of model/SEMANTICS.md), the conformance runner's
 * comparisons, and that its invariant (KF-INV-078) fires on a model that breaks it
 * (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 15\n"
                                  "flt_start 1\n"
                                  "txn_new 0\n"
                                  "txn_enlist 0 mask=15 pending=2\n"
                                  "txn_end 0 commit\n"
                                  "txn_ack 0 prepare\n"
                                  "txn_end 0 commit\n"
                                  "txn_new 1\n"
                                  "txn_enlist 1 mask=16 pending=0\n"
                                  "txn_ack 1 rollback_enlistment\n"
                                  "txn_end 1 commit\n"
                                  "txn_ack 1 rollback\n";

TEST(txn_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 15);
    CHECK_EQ(s.n, 11);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK(n > 0);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK_EQ(t.n, s.n);
    for (int i = 0; i < s.n; i++)
        CHECK(t.ops[i].code == s.ops[i].code && t.ops[i].a == s.ops[i].a && t.ops[i].b == s.ops[i].b &&
              t.ops[i].c == s.ops[i].c);
    CHECK_EQ(kfh_op_min_version(KFH_OP_TXN_NEW), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_TXN_ACK), 15);
}

TEST(txn_text_errors)
{
    static kfh_scenario s;
    char err[256];
    CHECK(kfh_scenario_parse("version 15\ntxn_new 2\n", &s, err, sizeof err) != 0);
    CHECK(kfh_scenario_parse("version 15\ntxn_enlist 0 mask=32 pending=0\n", &s, err, sizeof err) != 0);
    CHECK(kfh_scenario_parse("version 15\ntxn_enlist 0 mask=3\n", &s, err, sizeof err) != 0);
    CHECK(strstr(err, "txn_enlist takes") != NULL);
    CHECK(kfh_scenario_parse("version 15\ntxn_end 0 abort\n", &s, err, sizeof err) != 0);
    CHECK(strstr(err, "commit or rollback") != NULL);
    CHECK(kfh_scenario_parse("version 15\ntxn_ack 0 finalize\n", &s, err, sizeof err) != 0);
    CHECK(kfh_scenario_parse("version 14\ntxn_new 0\n", &s, err, sizeof err) != 0);
}

TEST(txn_bytes_clamped)
{
    static kfh_scenario s;
    char err[256];
    static const uint8_t v15[] = {15,   KFH_OP_TXN_NEW, 0xFF, KFH_OP_TXN_ENLIST, 0xFF, 0xFF, 0xFF, KFH_OP_TXN_END,
                                  0xFF, 0xFF,           KFH_OP_TXN_ACK, 0xFF, 0xFF};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 4);
    CHECK_EQ(s.ops[0].a, 0xFF % KFH_TXN_SLOTS);
    CHECK_EQ(s.ops[1].b, KFH_TXN_N_ALL);
    CHECK_EQ(s.ops[1].c, KFH_TXN_N_ALL | KFH_TXN_BAD_ANSWER);
    CHECK_EQ(s.ops[2].b, 0xFF % KFH_TXN_END_COUNT);
    CHECK_EQ(s.ops[3].b, 0xFF % KFH_TXN_ACK_COUNT);
}

/* ---- The oracle ------------------------------------------------------------------------------ */

static kfh_txn_rec active(void)
{
    kfh_txn_rec r;
    memset(&r, 0, sizeof r);
    r.live = 1;
    return r;
}

TEST(txn_oracle_enlist_statuses)
{
    kfh_txn_rec r = active();
    kfh_txn_pred p;
    kf_fault_kind kinds[2] = {KF_FAULT_HARD, KF_FAULT_NONE};
    /* FX-33: the context first; its allocation failing ends the operation (FC-2). */
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 31, 0, kinds, 1, 1, &p);
    CHECK_EQ(p.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK(p.n_sites == 1 && p.sites[0] == KF_SITE_FLT_CONTEXT);
    CHECK(!r.has_context && !r.enlisted);
    /* FT-3: no mask is refused before the site; the context stays set. */
    kinds[0] = KF_FAULT_NONE;
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 0, 0, kinds, 1, 1, &p);
    CHECK_EQ(p.status, STATUS_INVALID_PARAMETER_4);
    CHECK(p.n_sites == 1 && r.has_context && !r.enlisted);
    /* FT-13: flt.txn last. */
    kinds[0] = KF_FAULT_HARD;
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 31, 0, kinds, 1, 1, &p);
    CHECK_EQ(p.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK(p.n_sites == 1 && p.sites[0] == KF_SITE_FLT_TXN && !r.enlisted);
    kinds[0] = KF_FAULT_NONE;
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 5, 4, kinds, 1, 1, &p);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK(r.enlisted && r.mask == 5 && r.pending == 4);
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 5, 0, kinds, 0, 1, &p);
    CHECK_EQ(p.status, STATUS_FLT_ALREADY_ENLISTED);
    CHECK_EQ(p.n_sites, 0);
    r.phase = KFH_TXN_PH_PREPARE;
    kfh_oracle_txn_enlist(PASSIVE_LEVEL, &r, 5, 0, kinds, 0, 0, &p);
    CHECK_EQ(p.status, STATUS_TRANSACTION_NOT_ACTIVE);
    kfh_oracle_txn_enlist(DISPATCH_LEVEL, &r, 5, 0, kinds, 0, 0, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
}

TEST(txn_oracle_end_phases)
{
    kfh_txn_rec r = active();
    r.has_context = r.enlisted = 1;
    r.mask = KFH_TXN_N_PREPARE | KFH_TXN_N_COMMIT_FINALIZE | KFH_TXN_N_ROLLBACK;
    r.pending = KFH_TXN_N_PREPARE;
    kfh_txn_pred p;
    /* FT-5, FT-6: pre-prepare not asked for, prepare answered STATUS_PENDING: the end waits. */
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_COMMIT, 1, &p);
    CHECK(p.n_notified == 1 && p.notified[0] == KFH_TXN_N_PREPARE);
    CHECK_EQ(p.outcome, TransactionOutcomeUndetermined);
    CHECK(r.phase == KFH_TXN_PH_PREPARE && r.owed == KFH_TXN_N_PREPARE);
    /* FT-7: the enlistment asks for the rollback while the prepare phase is in progress. */
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_ENLISTMENT, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && r.rollback_asked);
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_PREPARE, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && !r.owed);
    /* The next phase is the rollback, whatever the client asked; FT-11: the context goes. */
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_COMMIT, 1, &p);
    CHECK(p.n_notified == 1 && p.notified[0] == KFH_TXN_N_ROLLBACK);
    CHECK_EQ(p.outcome, TransactionOutcomeAborted);
    CHECK(r.phase == KFH_TXN_PH_DONE && !r.has_context && !r.enlisted);
    /* FT-14: ended again, the same outcome and nothing sent. */
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_COMMIT, 1, &p);
    CHECK(p.n_notified == 0 && p.outcome == TransactionOutcomeAborted);
    /* A full commit: four phases in order. */
    r = active();
    r.has_context = r.enlisted = 1;
    r.mask = KFH_TXN_N_ALL;
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_COMMIT, 1, &p);
    CHECK_EQ(p.n_notified, 4);
    CHECK(p.notified[0] == KFH_TXN_N_PREPREPARE && p.notified[3] == KFH_TXN_N_COMMIT_FINALIZE);
    CHECK_EQ(p.outcome, TransactionOutcomeCommitted);
    /* FT-14: refused above PASSIVE_LEVEL. */
    r = active();
    kfh_oracle_txn_end(APC_LEVEL, &r, KFH_TXN_END_ROLLBACK, 1, &p);
    CHECK(p.outcome == 0 && r.phase == KFH_TXN_PH_ACTIVE);
}

TEST(txn_oracle_acknowledgements)
{
    kfh_txn_rec r = active();
    kfh_txn_pred p;
    /* FT-6, FT-7: no context set: STATUS_NOT_FOUND. */
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_COMMIT, 1, &p);
    CHECK(p.status == STATUS_NOT_FOUND && !p.stop.stops);
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_ENLISTMENT, 1, &p);
    CHECK_EQ(p.status, STATUS_NOT_FOUND);
    r.has_context = 1;
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_ENLISTMENT, 1, &p);
    CHECK_EQ(p.status, STATUS_TRANSACTION_REQUEST_NOT_VALID);
    /* Nothing owed: a stop, Parameter2 the notification. */
    r.enlisted = 1;
    r.owed = KFH_TXN_N_COMMIT;
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_PREPARE, 1, &p);
    CHECK(p.stop.stops && p.stop.param[0] == KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED);
    CHECK_EQ(p.stop.param[1], TRANSACTION_NOTIFY_PREPARE);
    CHECK_EQ(r.owed, KFH_TXN_N_COMMIT);
    /* FT-1: FltCommitComplete at PASSIVE_LEVEL only, FltPrepareComplete up to APC_LEVEL. */
    kfh_oracle_txn_ack(APC_LEVEL, &r, KFH_TXN_ACK_COMMIT, 1, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_COMMIT, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && !p.stop.stops && !r.owed);
    /* FT-7: too late once the commit phase is reached. */
    r.phase = KFH_TXN_PH_COMMIT;
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_ENLISTMENT, 1, &p);
    CHECK_EQ(p.status, STATUS_TRANSACTION_REQUEST_NOT_VALID);
    kfh_stop_pred s;
    memset(&s, 0, sizeof s);
    kfh_oracle_txn_unacknowledged(TRANSACTION_NOTIFY_COMMIT, &s);
    CHECK(s.stops && s.param[0] == KF_VIOL_FLT_TXN_NOT_ACKNOWLEDGED && s.param[1] == TRANSACTION_NOTIFY_COMMIT);
}

/* ---- The runner ------------------------------------------------------------------------------ */

TEST(txn_runner_round_trip_clean)
{
    kfh_result *r = th_run(doc_example);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("transaction notification prepare"));
    CHECK(th_trace_has("-> 2 notification(s), undetermined [FT-6]"));
    CHECK(th_trace_has("-> 2 notification(s), committed [FT-5]"));
    CHECK(th_trace_has("-> 1 notification(s), aborted [FT-5]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_TXN], 2);
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_CONTEXT], 2);
}

TEST(txn_runner_stops_predicted)
{
    kfh_result *r = th_run("version 15\nflt_start 1\ntxn_new 0\ntxn_enlist 0 mask=1 pending=1\ntxn_ack 0 commit\n"
                           "txn_end 0 commit\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 2);
    CHECK(th_trace_has("flt-txn-complete-unexpected P1=0x3e22 P2=0x4 in FltCommitComplete [predicted]"));
    CHECK(th_trace_has("flt-txn-not-acknowledged P1=0x3e23 P2=0x1 in FltUnregisterFilter [predicted]"));
}

TEST(txn_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\ntxn_enlist 0 mask=1 pending=0\ntxn_new 0\ntxn_enlist 0 mask=1 pending=0\n"
                           "flt_start 1\ntxn_new 0\ntxn_enlist 0 mask=1 pending=0\ntxn_new 0\n"
                           "txn_end 0 rollback\ntxn_enlist 0 mask=1 pending=0\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: the slot holds no transaction"));
    CHECK(th_trace_has("skipped: no instance of the runner's filter on volume 0 outside its teardown"));
    CHECK(th_trace_has("skipped: the slot's transaction has not ended"));
    CHECK(th_trace_has("skipped: the transaction has ended: no context can be set on it (FT-10)"));
}

TEST(txn_runner_contexts_deleted_at_unregister)
{
    kfh_result *r = th_run("version 15\nflt_start 1\ntxn_new 0\ntxn_enlist 0 mask=31 pending=0\ntxn_new 1\n"
                           "txn_enlist 1 mask=3 pending=0\nflt_unregister\ntxn_end 0 commit\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    /* The enlistments ended with the instance: the commit sends nothing (FT-9). */
    CHECK(th_trace_has("-> 0 notification(s), committed [FT-5]"));
}

TEST(txn_runner_faults_enumerated)
{
    static kfh_scenario s;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 15\nflt_start 1\ntxn_new 0\ntxn_enlist 0 mask=31 pending=4\n"
                                "txn_end 0 commit\ntxn_ack 0 commit\ntxn_end 0 commit\ntxn_new 1\n"
                                "txn_enlist 1 mask=16 pending=0\nflt_unregister\n",
                                &s, err, sizeof err),
             0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 64, &er), 0);
    CHECK(er.complete);
    CHECK_EQ(er.n_findings, 0);
    CHECK(er.runs >= 5);
}

TEST(txn_invariant_fires)
{
    static const char text[] = "version 15\nflt_start 1\ntxn_new 0\ntxn_enlist 0 mask=31 pending=0\n"
                               "txn_end 0 commit\n";
    kfh_result *r = th_run_lying(text, 18);
    CHECK(th_has_finding(r, KFH_INV_FLT_TXN_STATUS));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}

TEST(txn_runner_context_misuse_predicted)
{
    /* FT-10 (FC-7, FC-10), FT-12, FT-8, FT-2: every stop predicted, the stuck transaction's
     * context counted until the filter deletes it. */
    kfh_result *r = th_run("version 15\nflt_start 1\ntxn_new 0\ntxn_ack 0 get_context\n"
                           "txn_enlist 0 mask=31 pending=0\ntxn_ack 0 get_context\ntxn_ack 0 delete_context\n"
                           "txn_end 0 commit\ntxn_new 1\ntxn_enlist 1 mask=2 pending=2 bad_answer\n"
                           "txn_ack 1 foreign\ntxn_end 1 commit\ntxn_new 1\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 3);
    CHECK(th_trace_has("-> STATUS_NOT_FOUND [FT-10]"));
    CHECK(th_trace_has("flt-txn-context-freed P1=0x3e25 P2=0x1 in TransactionNotificationCallback [predicted]"));
    CHECK(th_trace_has("flt-txn-invalid P1=0x3e21 P2=0x1 in FltCommitComplete [predicted]"));
    CHECK(th_trace_has("flt-txn-callback-status P1=0x3e24 P2=0xc0000001 in TransactionNotificationCallback "
                       "[predicted]"));
}

TEST(txn_oracle_context_routines)
{
    kfh_txn_rec r = active();
    kfh_txn_pred p;
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_DELETE_CONTEXT, 1, &p);
    CHECK_EQ(p.status, STATUS_NOT_FOUND);
    r.has_context = r.enlisted = 1;
    r.mask = KFH_TXN_N_ALL;
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_GET_CONTEXT, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && r.has_context);
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_DELETE_CONTEXT, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && !r.has_context && r.context_freed);
    /* FT-12: the first notification due stops, before any callback. */
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_COMMIT, 1, &p);
    CHECK(p.stop.stops && p.stop.param[0] == KF_VIOL_FLT_TXN_CONTEXT_FREED);
    CHECK_EQ(p.stop.param[1], TRANSACTION_NOTIFY_PREPREPARE);
    CHECK_EQ(p.n_notified, 0);
    /* FT-8: a callback answering STATUS_UNSUCCESSFUL where STATUS_PENDING was asked for. */
    r = active();
    r.has_context = r.enlisted = r.bad_answer = 1;
    r.mask = r.pending = KFH_TXN_N_ROLLBACK;
    kfh_oracle_txn_end(PASSIVE_LEVEL, &r, KFH_TXN_END_ROLLBACK, 1, &p);
    CHECK(p.stop.stops && p.stop.param[0] == KF_VIOL_FLT_TXN_CALLBACK_STATUS);
    CHECK(p.stop.param[1] == (ULONG_PTR)(ULONG)STATUS_UNSUCCESSFUL && p.stop.param[2] == TRANSACTION_NOTIFY_ROLLBACK);
    /* FT-2: a pointer that is no transaction, whatever the record says. */
    r = active();
    kfh_oracle_txn_ack(PASSIVE_LEVEL, &r, KFH_TXN_ACK_FOREIGN, 1, &p);
    CHECK(p.stop.stops && p.stop.param[0] == KF_VIOL_FLT_TXN_INVALID && p.stop.param[1] == 1);
}

TEST(txn_runner_two_owed_at_unregister)
{
    /* FT-9 orders no two transactions: with two owing different acknowledgements the stop's code
     * is predicted, not which notification it names. */
    kfh_result *r = th_run("version 15\nflt_start 1\ntxn_new 0\ntxn_enlist 0 mask=2 pending=2\ntxn_end 0 commit\n"
                           "txn_new 1\ntxn_enlist 1 mask=1 pending=1\ntxn_end 1 commit\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-txn-not-acknowledged P1=0x3e23"));
}
