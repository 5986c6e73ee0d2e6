/*
 * test_harness_fltport.c - the communication port operations of scenario format version 15 and
 * the version-4 client steps the conformance runner plays from that version on: their bytes and
 * text, the oracle's predictions (harness/oracle_fltport.c, rules FP-1 to FP-8 and FX-16 to
 * FX-19 of model/SEMANTICS.md), the runner's comparisons and its callbacks' checks, and that each
 * of their invariants (KF-INV-067 to 069) fires on a model that breaks it.
 */
#include "test_harness_util.h"

#include <fltKernel.h>
#include "kfault/flt_model.h"

static const char doc_example[] = "version 15\n"
                                  "flt_start 1\n"
                                  "sd_build 0\n"
                                  "port_create 0 name=0 max=2 case\n"
                                  "port_create 1 name=2 max=1 no_message\n"
                                  "sd_free 0\n"
                                  "msg_word 0x00000002\n"
                                  "port_connect 0 port=1 context=4\n"
                                  "msg_word 0x00000304\n"
                                  "msg_send 0 in=4 out=8\n"
                                  "msg_word 0x64636261\n"
                                  "port_answer 0 reply size=4\n"
                                  "port_send 0 in=8 reply=2 timeout=relative\n"
                                  "port_send 0 in=8 reply=none timeout=none null_sender\n"
                                  "port_disconnect 0\n"
                                  "port_close_client 0\n"
                                  "port_close_client 0 copy\n"
                                  "port_close 1\n"
                                  "port_close 1 again\n"
                                  "sd_free 0 again\n"
                                  "flt_unregister\n";

TEST(port_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 15);
    CHECK_EQ(s.n, 20);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(bytes[0], 15);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_op_min_version(KFH_OP_SD_BUILD), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_PORT_SEND), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK_EQ(KFH_SCENARIO_VERSION, 15);
    CHECK_EQ(KFH_SCENARIO_VERSION_NEXT, 16);
    /* Every order of the create's words reads the same; the printer has one. */
    CHECK_EQ(kfh_scenario_parse("version 15\nport_create 1 name=3 max=1 null_connect no_message case\n", &s, err,
                                sizeof err), 0);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strstr(text, "port_create 1 name=3 max=1 case no_message null_connect\n") != NULL);
}

TEST(port_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "sd_build 2\n", "sd_build 0 twice\n", "sd_free 0 twice\n", "sd_free\n", "port_create 0 name=4 max=1\n",
        "port_create 0 name=0 max=4\n", "port_create 0 max=1 name=0\n", "port_create 0 name=0 max=1 case case\n",
        "port_create 0 name=0 max=1 null_port no_name\n", "port_close 2\n", "port_close 0 copy\n",
        "port_close_client 4\n", "port_close_client 0 again\n", "port_send 0 in=256 reply=none timeout=none\n",
        "port_send 0 in=1 reply=128 timeout=none\n", "port_send 0 in=1 reply=none\n",
        "port_send 0 in=1 reply=none timeout=never\n", "port_send 0 in=1 reply=none timeout=none foreign\n",
        "version 14\nsd_build 0\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(port_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    static const uint8_t v15[] = {15,   KFH_OP_SD_BUILD, 0xFF, 0xFF, KFH_OP_SD_FREE, 0xFF, 0xFF,
                                  KFH_OP_PORT_CREATE, 0xFF, 0xFF, 0xFF, KFH_OP_PORT_CLOSE, 0xFF, 0xFF,
                                  KFH_OP_PORT_CLOSE_CLIENT, 0xFF, 0xFF, KFH_OP_PORT_SEND, 0xFF, 0x7F, 0x7F, 0xFF};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 6);
    CHECK_EQ(s.ops[0].a, 1);
    CHECK_EQ(s.ops[0].b, 1);
    CHECK_EQ(s.ops[1].b, 0xFF % KFH_SD_FREE_COUNT);
    CHECK_EQ(s.ops[2].a, 1);
    CHECK_EQ(s.ops[2].b, 15 | KFH_PC_CASE | KFH_PC_NO_MESSAGE);
    CHECK_EQ(s.ops[2].c, 0xFF % KFH_PC_MIS_COUNT);
    CHECK_EQ(s.ops[3].b, 0xFF % KFH_PCL_COUNT);
    CHECK_EQ(s.ops[4].a, 3);
    CHECK_EQ(s.ops[4].b, 0xFF % KFH_PCC_COUNT);
    CHECK_EQ(s.ops[5].b, 0x7F);
    CHECK_EQ(s.ops[5].c, 0); /* no reply buffer, no room */
    CHECK_EQ(s.ops[5].size_sel >> 2, 7 % KFH_PS_MIS_COUNT);
    /* Version 14 reads the first opcode of version 15 (52) modulo its 52 opcodes: the end of a block. */
    static const uint8_t v14[] = {14, KFH_OP_COUNT_V14, KFH_OP_WI_RUN};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_WI_RUN);
    CHECK(kfh_scenario_version_known(15));
    CHECK(!kfh_scenario_version_known(16));
}

TEST(port_oracle_order)
{
    kfh_port_pred p;
    /* FP-1. */
    kfh_oracle_sd_build(DISPATCH_LEVEL, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == APC_LEVEL && p.n_sites == 0);
    kfh_oracle_sd_build(APC_LEVEL, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_NULL_ARGUMENT && p.stop.param[1] == 1 && p.n_sites == 0);
    kfh_oracle_sd_build(PASSIVE_LEVEL, 0, KF_FAULT_TRANSIENT, &p);
    CHECK(!p.stop.stops && p.n_sites == 1 && p.status == STATUS_INSUFFICIENT_RESOURCES);
    kfh_oracle_sd_free(PASSIVE_LEVEL, KFH_PORT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_BAD_SECURITY_DESCRIPTOR && p.stop.n_params == 1);
    kfh_oracle_sd_free(APC_LEVEL, KFH_PORT_LIVE, &p);
    CHECK(!p.stop.stops);
    /* FP-2, FX-18: IRQL, the NULL pointers by position, the parameters, the name, the site. */
    kfh_oracle_port_create(APC_LEVEL, KFH_PC_MIS_NULL_PORT, 0, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == PASSIVE_LEVEL);
    kfh_oracle_port_create(PASSIVE_LEVEL, KFH_PC_MIS_NULL_DISCONNECT, 0, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_NULL_ARGUMENT && p.stop.param[1] == 6);
    kfh_oracle_port_create(PASSIVE_LEVEL, KFH_PC_MIS_NONE, 0, 1, KF_FAULT_NONE, &p);
    CHECK(!p.stop.stops && p.status == STATUS_INVALID_PARAMETER && p.n_sites == 0);
    kfh_oracle_port_create(PASSIVE_LEVEL, KFH_PC_MIS_NONE, 1, 1, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_OBJECT_NAME_COLLISION && p.n_sites == 0);
    kfh_oracle_port_create(PASSIVE_LEVEL, KFH_PC_MIS_NONE, 1, 0, KF_FAULT_HARD, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 1);
    /* FP-3. */
    kfh_oracle_port_close(PASSIVE_LEVEL, KFH_PORT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_INVALID && p.stop.param[1] == 1);
    kfh_oracle_port_close_client(PASSIVE_LEVEL, 0, KFH_PORT_NULL, &p);
    CHECK(!p.stop.stops);
    kfh_oracle_port_close_client(PASSIVE_LEVEL, 0, KFH_PORT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_INVALID && p.stop.param[1] == 2);
    kfh_oracle_port_close_client(PASSIVE_LEVEL, 1, KFH_PORT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_NULL_ARGUMENT && p.stop.param[1] == 2);
    /* FP-4 to FP-6, FX-17. */
    kfh_oracle_port_send(PASSIVE_LEVEL, KFH_PS_MIS_NO_LENGTH, KFH_PORT_NULL, 0, 0, 0, 1, 4, 0, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_NULL_ARGUMENT && p.stop.param[1] == 6);
    kfh_oracle_port_send(PASSIVE_LEVEL, KFH_PS_MIS_NO_LENGTH, KFH_PORT_NULL, 0, 0, 0, 0, 4, 0, KF_FAULT_NONE, &p);
    CHECK(!p.stop.stops && p.status == STATUS_PORT_DISCONNECTED && p.n_sites == 0);
    kfh_oracle_port_send(PASSIVE_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 0, 0, 0, 0, 0, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_PORT_DISCONNECTED && p.n_sites == 0);
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_NEVER_READ, 0, 0, 0,
                         KFH_PS_T_NONE, KF_FAULT_HARD, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 1 && !p.delivered);
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_NEVER_READ, 0, 0, 0,
                         KFH_PS_T_NONE, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_SEND_DEADLOCK);
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_NO_REPLY, 0, 0, 0,
                         KFH_PS_T_NONE, KF_FAULT_NONE, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS && p.delivered); /* no reply awaited */
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_NO_REPLY, 0, 1, 4,
                         KFH_PS_T_ZERO, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_TIMEOUT && p.waits && p.delivered && p.reply_length == 4);
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_DISCONNECT, 0, 1, 4,
                         KFH_PS_T_NONE, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_PORT_DISCONNECTED && p.disconnects && p.delivered);
    kfh_oracle_port_send(APC_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_DISCONNECT, 0, 0, 0,
                         KFH_PS_T_NONE, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS && p.disconnects && p.delivered); /* the read ended the wait */
    kfh_oracle_port_send(PASSIVE_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_REPLY, 6, 1, 4, KFH_PS_T_NONE,
                         KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_BUFFER_OVERFLOW && p.reply_length == 4);
    kfh_oracle_port_send(PASSIVE_LEVEL, KFH_PS_MIS_NONE, KFH_PORT_LIVE, 1, KFH_ANSWER_REPLY, 3, 1, 4, KFH_PS_T_NONE,
                         KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS && p.reply_length == 3);
    /* FP-7. */
    kfh_oracle_client_connect(0, 0, 0, 1, &p);
    CHECK(p.status == STATUS_OBJECT_NAME_NOT_FOUND);
    kfh_oracle_client_connect(1, 2, 2, 1, &p);
    CHECK(p.status == STATUS_CONNECTION_COUNT_LIMIT);
    kfh_oracle_client_connect(1, 1, 2, 1, &p);
    CHECK(p.status == STATUS_ACCESS_DENIED);
    kfh_oracle_client_send(1, 1, 9, 1, 8, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_REPLY_OVERRUN && p.stop.param[1] == 9 && p.stop.param[2] == 8);
    kfh_oracle_client_send(1, 1, 1, 0, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_PORT_REPLY_OVERRUN && p.stop.param[2] == 0);
    kfh_oracle_client_send(1, 0, 1, 0, 0, &p);
    CHECK(!p.stop.stops && p.status == STATUS_INVALID_PARAMETER);
    kfh_oracle_client_send(0, 1, 9, 1, 8, &p);
    CHECK(!p.stop.stops && p.status == STATUS_PORT_DISCONNECTED);
    /* FP-8. */
    kfh_stop_pred sp;
    kfh_oracle_port_unregister(0, 0, &sp);
    CHECK(!sp.stops);
    kfh_oracle_port_unregister(1, 2, &sp);
    CHECK(sp.param[0] == KF_VIOL_FLT_PORT_OPEN_AT_UNREGISTER && sp.param[1] == 1 && sp.param[2] == 2 &&
          sp.n_params == 3);
}

TEST(port_runner_lifecycle_clean)
{
    kfh_result *r = th_run(doc_example);
    CHECK_EQ(r->n_findings, 0);
    /* The NULL SenderBuffer, the copy, the port and the descriptor freed twice, and the server
     * port 0 still open at the unregistration. */
    CHECK_EQ(r->stops, 5);
    CHECK(th_trace_has("flt-port-open-at-unregister P1=0x3904 P2=0x1 in FltUnregisterFilter [predicted]"));
    CHECK(th_trace_has("client 0: send 4 byte(s), output 8, 4 returned"));
    CHECK(th_trace_has("op 11 port_send 0 in=8 reply=2 timeout=relative\n  fault flt.message path=port_send -> none\n"
                       "  -> STATUS_BUFFER_OVERFLOW [FP-6]"));
    CHECK(th_trace_has("flt-port-invalid P1=0x3900 P2=0x2 in FltCloseClientPort [predicted]"));
    CHECK(th_trace_has("flt-security-descriptor-invalid P1=0x3905 P2=0x0 in FltFreeSecurityDescriptor [predicted]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_PORT], 2);
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_MESSAGE], 1);
}

TEST(port_runner_callbacks_and_unregistration)
{
    /* Slot 0 keeps its port at disconnect; slot 1 is disconnected by FltUnregisterFilter, whose
     * disconnect callback closes its port; slot 0's port, still open, stops the unregistration. */
    kfh_result *r = th_run("version 15\nflt_start 1\nport_create 0 name=0 max=3\nmsg_word 0x2\n"
                           "port_connect 0 port=0 context=1\nport_connect 1 port=0 context=0\nport_disconnect 0\n"
                           "port_close 0\nflt_unregister\nport_send 0 in=1 reply=none timeout=none\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-port-open-at-unregister P1=0x3904 P2=0x0 in FltUnregisterFilter [predicted]"));
    CHECK(th_trace_has("op 8 port_send 0 in=1 reply=none timeout=none\n  skipped: no filter registered"));
    /* Without the kept port the unregistration disconnects slot 1 and succeeds. */
    r = th_run("version 15\nflt_start 1\nport_create 0 name=0 max=3\nport_connect 1 port=0 context=0\n"
               "port_close 0\nflt_unregister\nport_disconnect 1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("op 5 port_disconnect 1\n  skipped: no connection in the slot"));
    /* A message read and never answered stops the send (0x3902) with the message read: the next
     * send's message is the client's second. */
    r = th_run("version 15\nflt_start 1\nport_create 0 name=0 max=1\nport_connect 0 port=0 context=0\n"
               "port_answer 0 no_reply\nport_send 0 in=3 reply=4 timeout=none\nport_send 0 in=5 reply=none "
               "timeout=none\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-port-send-deadlock P1=0x3902"));
}

TEST(port_client_steps_from_version_15)
{
    /* The same steps: skipped in a version-14 scenario (its trace as before), played in 15. */
    static const char steps[] = "flt_start 1\nmsg_word 0x1\nport_connect 0 port=0 context=4\n";
    static char text[256];
    snprintf(text, sizeof text, "version 14\n%s", steps);
    kfh_result *r = th_run(text);
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: the port client and the worker threads are played for driver targets only"));
    snprintf(text, sizeof text, "version 15\n%s", steps);
    r = th_run(text);
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("-> STATUS_OBJECT_NAME_NOT_FOUND [FP-7]"));
    r = th_run("version 15\nflt_start 1\nport_create 1 name=2 max=1 case\nmsg_word 0x1\n"
               "port_connect 2 port=2 context=4\nport_connect 2 port=2 context=0\nmsg_word 0x3\n"
               "msg_send 2 in=4 out=3\nmsg_send 2 in=none out=0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("-> STATUS_ACCESS_DENIED [FP-7]"));
    CHECK(th_trace_has("client 2: send 4 byte(s), output 3, 3 returned"));
    CHECK(th_trace_has("client 2: send no input, 0 byte(s), output 0, 0 returned"));
    /* `no_length` without a ReplyBuffer is no misuse: the client reads, disconnects, and the
     * send has what it waited for. */
    r = th_run("version 15\nflt_start 1\nport_create 0 name=0 max=1\nport_connect 1 port=0 context=0\n"
               "port_answer 1 disconnect\nport_send 1 in=2 reply=none timeout=relative no_length\n"
               "port_send 1 in=2 reply=none timeout=relative\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("op 4 port_send 1 in=2 reply=none timeout=relative no_length\n"
                       "  fault flt.message path=port_send -> none\n  -> STATUS_SUCCESS [FP-5]"));
    CHECK(th_trace_has("op 5 port_send 1 in=2 reply=none timeout=relative\n  -> STATUS_PORT_DISCONNECTED [FP-4]"));
}

TEST(port_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\nport_create 0 name=0 max=1\nport_send 0 in=1 reply=none timeout=none\n"
                           "port_close_client 0\nflt_start 1\nsd_free 0\nsd_free 0 again\nsd_build 0\n"
                           "sd_free 0\nsd_build 1\nsd_free 0 again\nsd_build 1\nport_close 0 again\n"
                           "port_close_client 0 copy\nport_close_client 0 server\n"
                           "port_send 0 in=1 reply=none timeout=none server\nmsg_send 0 in=0 out=0\n"
                           "port_create 0 name=0 max=1\nport_create 0 name=1 max=1\nport_disconnect 3\n"
                           "port_answer 3 never_read\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the descriptor slot holds none"));
    CHECK(th_trace_has("skipped: the slot freed no descriptor"));
    CHECK(th_trace_has("skipped: a descriptor was built since the slot's was freed"));
    CHECK(th_trace_has("skipped: the descriptor slot holds one"));
    CHECK(th_trace_has("skipped: the slot closed no port"));
    CHECK(th_trace_has("skipped: the slot's variable closed no port"));
    CHECK(th_trace_has("skipped: no server port open"));
    CHECK(th_trace_has("skipped: the server slot holds a port"));
    CHECK(th_trace_has("skipped: no connection in the slot"));
}

TEST(port_faults_enumerated)
{
    /* Every consultation failed in turn (fail_nth), each run predicted: a failed message to a
     * client that would read and disconnect leaves it connected, and one to a client that never
     * reads returns instead of waiting forever (0x3902 only when the message is queued). */
    static kfh_scenario s;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 15\nflt_start 1\nsd_build 0\nport_create 0 name=0 max=2\n"
                                "port_connect 0 port=0 context=0\nport_send 0 in=2 reply=4 timeout=zero\n"
                                "port_send 0 in=2 reply=none timeout=none\nport_answer 0 disconnect\n"
                                "port_send 0 in=2 reply=4 timeout=none\nport_connect 1 port=0 context=0\n"
                                "port_answer 1 never_read\nport_send 1 in=1 reply=none timeout=none\n"
                                "flt_unregister\n",
                                &s, err, sizeof err), 0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 16, &er), 0);
    CHECK(er.complete);
    CHECK(er.runs >= 6);
}

static kfh_result *run_lying(const char *text, int lie, int model_lie)
{
    static kfh_scenario s;
    static kfh_result r;
    char err[256];
    kfh_config cfg;
    memset(&r, 0, sizeof r);
    CHECK_EQ(kfh_scenario_parse(text, &s, err, sizeof err), 0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.lie = lie;
    cfg.model_lie = model_lie;
    kfh_run(&s, &cfg, &r);
    return &r;
}

TEST(port_invariants_fire)
{
    static const char text[] = "version 15\nflt_start 1\nsd_build 0\nport_create 0 name=0 max=1\nsd_free 0\n"
                               "port_connect 0 port=0 context=0\nmsg_word 0x1\nmsg_send 0 in=4 out=4\n";
    /* The fault hook answers "hard" while it logs "none": the descriptor is refused though the
     * runner saw its site granted (KF-INV-067). No filter: flt.port.sd is the first site. */
    kfh_result *r = run_lying("version 15\nsd_build 0\n", 1, 0);
    CHECK(th_has_finding(r, KFH_INV_FLT_PORT_STATUS));
    r = run_lying(text, 0, 10);
    CHECK(th_has_finding(r, KFH_INV_FLT_PORT_COUNT));
    r = run_lying(text, 0, 11);
    CHECK(th_has_finding(r, KFH_INV_FLT_PORT_CALLBACKS));
    r = run_lying(text, 0, 0);
    CHECK_EQ(r->n_findings, 0);
}
