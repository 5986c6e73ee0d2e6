/*
 * test_harness_client.c - scenario format version 4 (docs/SCENARIO_FORMAT.md) and the driver
 * environment playing a minifilter's user-mode service (SEMANTICS.md FH-7, FH-8): each
 * operation's bytes, text, clamping and version, the conformance runner skipping them, and the
 * driver harness executing them against a tiny minifilter whose port callbacks record what they
 * were handed.
 */
#include "kft.h"
#include "kfault/driver_env.h"

#include <string.h>

static kfh_scenario sa, sb;
static char text[8192], err[256];

static void parse_ok(const char *t, kfh_scenario *s)
{
    if (kfh_scenario_parse(t, s, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "parse: %s\n%s", err, t);
        return;
    }
    kft_pass();
}

/* ---- The format -------------------------------------------------------------------------- */

static const char all_ops[] = "version 4\n"
                              "msg_word 0x0000002e\n"
                              "port_connect 3 port=1 context=512\n"
                              "msg_send 2 in=12 out=64\n"
                              "msg_send 0 in=none out=none\n"
                              "msg_send 1 in=0 out=none\n"
                              "port_answer 1 reply size=8\n"
                              "port_answer 0 no_reply\n"
                              "port_answer 0 never_read\n"
                              "port_answer 0 disconnect\n"
                              "port_disconnect 2\n"
                              "run_work\n";

TEST(v4_text_prints_back_as_written)
{
    parse_ok(all_ops, &sa);
    CHECK_EQ(sa.version, 4);
    CHECK_EQ(sa.n, 11);
    CHECK_EQ(sa.ops[0].code, KFH_OP_MSG_WORD);
    CHECK_EQ(sa.ops[0].size_raw, 0x2e);
    CHECK_EQ(sa.ops[1].code, KFH_OP_PORT_CONNECT);
    CHECK_EQ(sa.ops[1].a, 3);
    CHECK_EQ(sa.ops[1].b, 1);
    CHECK_EQ(sa.ops[1].size_raw, 512);
    CHECK_EQ(KFH_SEND_IN(&sa.ops[2]), 12);
    CHECK_EQ(KFH_SEND_OUT(&sa.ops[2]), 64);
    CHECK_EQ(sa.ops[3].b, KFH_SEND_NO_INPUT | KFH_SEND_NO_OUTPUT);
    CHECK_EQ(sa.ops[4].b, KFH_SEND_NO_OUTPUT);
    CHECK_EQ(sa.ops[5].b, KFH_ANSWER_REPLY);
    CHECK_EQ(sa.ops[5].size_raw, 8);
    CHECK_EQ(sa.ops[8].b, KFH_ANSWER_DISCONNECT);
    CHECK_EQ(sa.ops[10].code, KFH_OP_RUN_WORK);
    kfh_scenario_format(&sa, text, sizeof text);
    CHECK(!strcmp(text, all_ops));
    if (strcmp(text, all_ops))
        fprintf(stderr, "%s", text);
    char msg[512];
    CHECK_EQ(kfh_selfcheck_text(all_ops, msg, sizeof msg), 0);
}

TEST(v4_bytes_fixed_widths_and_layout)
{
    static const uint8_t expect[] = {
        4,
        KFH_OP_MSG_WORD, 0x2e, 0, 0, 0,
        KFH_OP_PORT_CONNECT, 3, 1, 0x00, 0x02,
        KFH_OP_MSG_SEND, 2, 0, 12, 0, 64, 0,
        KFH_OP_MSG_SEND, 0, 3, 0, 0, 0, 0,
        KFH_OP_MSG_SEND, 1, 2, 0, 0, 0, 0,
        KFH_OP_PORT_ANSWER, 1, 0, 8, 0,
        KFH_OP_PORT_ANSWER, 0, 1, 0, 0,
        KFH_OP_PORT_ANSWER, 0, 2, 0, 0,
        KFH_OP_PORT_ANSWER, 0, 3, 0, 0,
        KFH_OP_PORT_DISCONNECT, 2,
        KFH_OP_RUN_WORK,
    };
    uint8_t buf[128];
    parse_ok(all_ops, &sa);
    size_t n = kfh_scenario_encode(&sa, buf, sizeof buf);
    CHECK_EQ(n, sizeof expect);
    CHECK(n == sizeof expect && !memcmp(buf, expect, n));
    CHECK_EQ(kfh_scenario_decode(expect, sizeof expect, &sb, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&sa, &sb, err, sizeof err));
}

TEST(v4_fields_clamped_to_canonical)
{
    /* Slots modulo 4, ports modulo 4, sizes modulo 513; an absent buffer and a non-reply
     * answer have no size. */
    static const uint8_t in[] = {
        4,
        KFH_OP_PORT_CONNECT + KFH_OP_COUNT_V4, 7, 6, 0x01, 0x02, /* slot 3, port 2, 0x201 % 513 = 0 */
        KFH_OP_MSG_SEND, 5, 0xFF, 0x34, 0x12, 0x02, 0x02,          /* slot 1, both absent: sizes 0 */
        KFH_OP_MSG_SEND, 0, 0, 0xFF, 0xFF, 0x00, 0x02,             /* 65535 % 513 = 384, 512 */
        KFH_OP_PORT_ANSWER, 4, 5, 9, 0,                            /* slot 0, no_reply: size 0 */
        KFH_OP_PORT_DISCONNECT, 9,                                 /* slot 1 */
    };
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.n, 5);
    CHECK_EQ(sa.ops[0].code, KFH_OP_PORT_CONNECT);
    CHECK_EQ(sa.ops[0].a, 3);
    CHECK_EQ(sa.ops[0].b, 2);
    CHECK_EQ(sa.ops[0].size_raw, 0);
    CHECK_EQ(sa.ops[1].a, 1);
    CHECK_EQ(sa.ops[1].b, KFH_SEND_NO_INPUT | KFH_SEND_NO_OUTPUT);
    CHECK_EQ(sa.ops[1].size_raw, 0);
    CHECK_EQ(KFH_SEND_IN(&sa.ops[2]), 384);
    CHECK_EQ(KFH_SEND_OUT(&sa.ops[2]), 512);
    CHECK_EQ(sa.ops[3].a, 0);
    CHECK_EQ(sa.ops[3].b, KFH_ANSWER_NO_REPLY);
    CHECK_EQ(sa.ops[3].size_raw, 0);
    CHECK_EQ(sa.ops[4].a, 1);
    char msg[512];
    CHECK_EQ(kfh_selfcheck_bytes(in, sizeof in, msg, sizeof msg), 0);
}

TEST(v4_versions)
{
    /* The new opcodes are version 4's: a version-3 file never reaches them (its opcode byte is
     * taken modulo 25, so 25 is `end`), and one that needs them says so. */
    static const uint8_t v3[] = {3, KFH_OP_MSG_WORD, 1, 2, 3, 4};
    CHECK_EQ(kfh_scenario_decode(v3, sizeof v3, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.version, 3);
    for (uint16_t i = 0; i < sa.n; i++)
        CHECK(sa.ops[i].code < KFH_OP_COUNT_V3);
    CHECK_EQ(kfh_op_min_version(KFH_OP_REG_VALUE), 3);
    CHECK_EQ(kfh_op_min_version(KFH_OP_MSG_WORD), 4);
    CHECK_EQ(kfh_op_min_version(KFH_OP_RUN_WORK), 4);
    CHECK_EQ(kfh_op_min_version(KFH_OP_FLT_START), 2);
    CHECK_EQ(kfh_op_min_version(KFH_OP_EXPAND), 1);
    CHECK_EQ(kfh_scenario_parse("version 3\nrun_work\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "'run_work' needs scenario format version 4 (the file says version 3)") != NULL);
    parse_ok("flt_start 1\nport_disconnect 0\n", &sa);
    CHECK_EQ(sa.version, 4);
    CHECK(KFH_SCENARIO_VERSION >= 4);
    CHECK_EQ(KFH_OP_COUNT_V4, 31);
    CHECK(!strcmp(kfh_op_name(KFH_OP_PORT_ANSWER), "port_answer"));
    CHECK(!strcmp(kfh_op_name(KFH_OP_COUNT), "?"));
}

TEST(v4_text_errors)
{
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"msg_word\n", "msg_word takes one 32-bit word"},
        {"msg_word 0x100000000\n", "msg_word takes one 32-bit word"},
        {"port_connect 4 port=0 context=0\n", "'4' is not a client slot (0..3)"},
        {"port_connect 0 port=4 context=0\n", "'4' is not a port index (0..3)"},
        {"port_connect 0 port=0 context=513\n", "not a byte count of the message buffer (0 to 512)"},
        {"port_connect 0 port=0 context=none\n", "not a byte count"},
        {"port_connect 0 port=0\n", "port_connect takes SLOT port=N context=N"},
        {"msg_send 0 in=1 size=2\n", "expected out=N (0 to 512) or none"},
        {"msg_send 0 in=600 out=1\n", "not a byte count of the message buffer"},
        {"port_answer 0 maybe\n", "port_answer takes SLOT and reply size=N, no_reply, never_read or disconnect"},
        {"port_answer 0 no_reply size=4\n", "only a reply takes size=N"},
        {"port_answer 0 reply\n", "port_answer SLOT reply takes size=N"},
        {"port_disconnect\n", "port_disconnect takes a client slot"},
        {"run_work now\n", "run_work takes no argument"},
    };
    char msg[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = kfh_scenario_parse(bad[i].text, &sa, err, sizeof err);
        if (rc == 0 || !strstr(err, bad[i].says))
            kft_fail(__FILE__, __LINE__, "'%s': got '%s'", bad[i].text, rc ? err : "(parsed)");
        else
            kft_pass();
        CHECK_EQ(kfh_selfcheck_text(bad[i].text, msg, sizeof msg), 0);
    }
}

TEST(v4_conformance_runner_skips_the_client)
{
    kfh_config cfg;
    static kfh_result res;
    static kfh_reach reach;
    memset(&reach, 0, sizeof reach);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.reach = &reach;
    parse_ok(all_ops, &sa);
    kfh_run(&sa, &cfg, &res);
    CHECK_EQ(res.n_findings, 0);
    CHECK_EQ(res.stops, 0);
    CHECK(strstr(kfh_trace_text(), "op 10 run_work\n  skipped: the port client and the worker threads are played "
                                   "for driver targets only") != NULL);
    for (int c = KFH_OP_COUNT_V3; c < KFH_OP_COUNT_V4; c++)
        CHECK_EQ(reach.ops[c], reach.skipped[c]);
    CHECK_EQ(reach.ops[KFH_OP_MSG_SEND], 3);
}

/* ---- The driver environment plays the service ------------------------------------------------ */

static PFLT_FILTER filter;
static PFLT_PORT server_port, client_port;
static DRIVER_OBJECT driver;
static EX_PUSH_LOCK lock;
static int connects, disconnects, work_runs, unloads;
static UCHAR seen_context[600];
static ULONG seen_context_size;
static int seen_context_null;
static UCHAR seen_input[600];
static ULONG seen_input_size;
static int seen_input_null, seen_output_null;
static ULONG seen_output_size;
static NTSTATUS send_status;
static int leave_locked;

static NTSTATUS FLTAPI on_connect(PFLT_PORT client, PVOID cookie, PVOID ctx, ULONG size, PVOID *conn)
{
    (void)cookie;
    connects++;
    seen_context_null = ctx == NULL;
    seen_context_size = size;
    if (ctx && size <= sizeof seen_context)
        memcpy(seen_context, ctx, size);
    if (size == 1 && ((UCHAR *)ctx)[0] == 'R')
        return STATUS_ACCESS_DENIED; /* the driver refuses this service */
    client_port = client;
    *conn = NULL;
    return STATUS_SUCCESS;
}

static VOID FLTAPI on_disconnect(PVOID conn)
{
    (void)conn;
    disconnects++;
    FltCloseClientPort(filter, &client_port);
}

static VOID FLTAPI counting_worker(PFLT_GENERIC_WORKITEM item, PVOID obj, PVOID ctx)
{
    (void)obj;
    (void)ctx;
    work_runs++;
    FltFreeGenericWorkItem(item);
}

/* The first input byte says what to do: 'S' send the service a message and report the reply,
 * 'W' queue a work item, 'C' report the work items run so far, 'L' return holding a lock;
 * anything else: echo the input into the output. */
static NTSTATUS FLTAPI on_message(PVOID cookie, PVOID in, ULONG in_size, PVOID out, ULONG out_size, PULONG returned)
{
    (void)cookie;
    seen_input_null = in == NULL;
    seen_input_size = in_size;
    seen_output_null = out == NULL;
    seen_output_size = out_size;
    if (in && in_size <= sizeof seen_input)
        memcpy(seen_input, in, in_size);
    *returned = 0;
    UCHAR what = in && in_size ? ((UCHAR *)in)[0] : 0;
    if (what == 'S') {
        UCHAR note[4] = {'n', 'o', 't', 'e'}, reply[16];
        ULONG reply_size = sizeof reply;
        LARGE_INTEGER timeout = {.QuadPart = -10000};
        memset(reply, 0, sizeof reply);
        send_status = FltSendMessage(filter, &client_port, note, sizeof note, reply, &reply_size, &timeout);
        if (out && out_size >= 4 + sizeof reply) {
            memcpy(out, &reply_size, 4);
            memcpy((UCHAR *)out + 4, reply, sizeof reply);
            *returned = 4 + sizeof reply;
        }
    } else if (what == 'W') {
        PFLT_GENERIC_WORKITEM item = FltAllocateGenericWorkItem();
        if (item && !NT_SUCCESS(FltQueueGenericWorkItem(item, filter, counting_worker, DelayedWorkQueue, NULL)))
            FltFreeGenericWorkItem(item);
    } else if (what == 'C') {
        if (out && out_size >= 1) {
            *(UCHAR *)out = (UCHAR)work_runs;
            *returned = 1;
        }
    } else if (what == 'L') {
        FltAcquirePushLockExclusive(&lock);
        leave_locked = 1;
    } else if (in && out) {
        ULONG n = in_size < out_size ? in_size : out_size;
        memcpy(out, in, n);
        *returned = n;
    }
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
    (void)flags;
    unloads++;
    if (leave_locked)
        FltReleasePushLock(&lock);
    FltDeletePushLock(&lock);
    FltCloseCommunicationPort(server_port);
    FltUnregisterFilter(filter);
    filter = NULL;
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION ops[] = {{IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL}};
static const FLT_REGISTRATION registration = {sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, ops,
                                              unload, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
static const WCHAR port_wname[] = L"\\TinyClientPort";

static NTSTATUS load(void)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(port_wname);
    OBJECT_ATTRIBUTES oa;
    connects = disconnects = work_runs = unloads = leave_locked = 0;
    seen_context_size = seen_input_size = seen_output_size = 0;
    seen_context_null = seen_input_null = seen_output_null = -1;
    send_status = STATUS_PENDING;
    server_port = client_port = NULL;
    FltInitializePushLock(&lock);
    NTSTATUS st = FltRegisterFilter(&driver, &registration, &filter);
    if (!NT_SUCCESS(st))
        return st;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    st = FltCreateCommunicationPort(filter, &server_port, &oa, NULL, on_connect, on_disconnect, on_message, 1);
    if (NT_SUCCESS(st))
        st = FltStartFiltering(filter);
    if (!NT_SUCCESS(st)) {
        if (server_port)
            FltCloseCommunicationPort(server_port);
        FltUnregisterFilter(filter);
        filter = NULL;
    }
    return st;
}

static PFLT_FILTER tiny_filter(void) { return filter; }
static void call(void) {}

static const kfh_minifilter tiny = {.load = load, .filter = tiny_filter, .ports = {NULL, port_wname}};
static const kfh_driver_target target = {
    .name = "TinyPort",
    .min_os = KF_OS_WIN8,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .minifilter = &tiny,
};
/* The same driver without Filter Manager: the client steps mean nothing to it. */
static const kfh_driver_target plain_target = {
    .name = "TinyPlain",
    .min_os = KF_OS_WIN8,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
};

static kfh_drv_run run;

static void run_text(const kfh_driver_target *t, const char *scenario)
{
    static uint8_t bytes[4096];
    parse_ok(scenario, &sa);
    size_t n = kfh_scenario_encode(&sa, bytes, sizeof bytes);
    kfh_driver_run(t, bytes, n, &run);
}

static void expect_clean(void)
{
    CHECK_EQ(run.n_findings, 0);
    if (run.n_findings)
        kft_fail(__FILE__, __LINE__, "%s: %s", run.finding.signature, run.finding.actual);
}

TEST(client_connect_hands_over_the_context)
{
    /* Two words appended, six bytes taken: the context is exactly those bytes. */
    run_text(&target, "msg_word 0x04030201\nmsg_word 0x08070605\nport_connect 0 port=1 context=6\n");
    expect_clean();
    CHECK_EQ(run.env.client_steps, 3);
    CHECK_EQ(run.connects, 1);
    CHECK_EQ(run.connected, 1);
    CHECK_EQ(connects, 1);
    CHECK_EQ(seen_context_null, 0);
    CHECK_EQ(seen_context_size, 6);
    CHECK(!memcmp(seen_context, "\x01\x02\x03\x04\x05\x06", 6));
    /* Still connected at the unload: FltUnregisterFilter disconnects it (FP-8). */
    CHECK_EQ(disconnects, 1);
    CHECK_EQ(unloads, 1);
    /* No context: NULL and 0; past what was appended: zeros. */
    run_text(&target, "port_connect 0 port=1 context=0\n");
    CHECK_EQ(seen_context_null, 1);
    CHECK_EQ(seen_context_size, 0);
    run_text(&target, "msg_word 0x000000ff\nport_connect 0 port=1 context=9\n");
    CHECK_EQ(seen_context_size, 9);
    CHECK(!memcmp(seen_context, "\xff\0\0\0\0\0\0\0\0", 9));
    expect_clean();
}

TEST(client_connect_refused_or_skipped)
{
    /* Refused by the driver: the slot stays empty, and a send from it is skipped. */
    run_text(&target, "msg_word 0x52\nport_connect 0 port=1 context=1\nmsg_send 0 in=4 out=4\n");
    expect_clean();
    CHECK_EQ(run.connects, 1);
    CHECK_EQ(run.connected, 0);
    CHECK_EQ(run.sends, 0);
    CHECK(strstr(kfh_trace_text(), "client 0: connect port 1 with 1 context byte(s) -> 0xC0000022") != NULL);
    CHECK(strstr(kfh_trace_text(), "client 0: skipped: no connection in the slot") != NULL);
    /* A port the driver does not name; an occupied slot; MaxConnections 1. */
    run_text(&target, "port_connect 0 port=0 context=0\nport_connect 1 port=1 context=0\n"
                      "port_connect 1 port=1 context=0\nport_connect 2 port=1 context=0\n");
    expect_clean();
    CHECK(strstr(kfh_trace_text(), "client 0: skipped: the driver names no port 0") != NULL);
    CHECK(strstr(kfh_trace_text(), "client 1: skipped: the slot holds a connection") != NULL);
    CHECK(strstr(kfh_trace_text(), "client 2: connect port 1 with 0 context byte(s) -> 0xC0000246") != NULL);
    CHECK_EQ(run.connects, 2);
    CHECK_EQ(run.connected, 1);
}

TEST(client_send_exact_buffers)
{
    run_text(&target, "port_connect 0 port=1 context=0\n"
                      "msg_word 0x64636261\nmsg_word 0x68676665\n"
                      "msg_send 0 in=7 out=5\n"
                      "msg_send 0 in=3 out=16\n");
    expect_clean();
    CHECK_EQ(run.sends, 2);
    /* First: 7 of the 8 appended bytes, an output of 5 gets 5 back. */
    CHECK_EQ(run.send[0].status, STATUS_SUCCESS);
    CHECK_EQ(run.send[0].in_size, 7);
    CHECK_EQ(run.send[0].out_size, 5);
    CHECK_EQ(run.send[0].returned, 5);
    CHECK(!memcmp(run.send[0].out, "abcde", 5));
    /* Second: the buffer was emptied by the first send, so 3 zeros. */
    CHECK_EQ(run.send[1].returned, 3);
    CHECK(!memcmp(run.send[1].out, "\0\0\0", 3));
    CHECK_EQ(seen_input_size, 3);
    CHECK(strstr(kfh_trace_text(), "client 0: send 7 byte(s), output 5 -> 0x00000000, 5 returned\n  output 5 "
                                   "byte(s): 6162636465\n") != NULL);
}

TEST(client_send_without_buffers)
{
    run_text(&target, "port_connect 0 port=1 context=0\nmsg_send 0 in=none out=none\n");
    expect_clean();
    CHECK_EQ(seen_input_null, 1);
    CHECK_EQ(seen_output_null, 1);
    CHECK_EQ(seen_input_size, 0);
    CHECK_EQ(seen_output_size, 0);
    run_text(&target, "port_connect 0 port=1 context=0\nmsg_send 0 in=0 out=0\n");
    CHECK_EQ(seen_input_null, 0);
    CHECK_EQ(seen_output_null, 0);
    CHECK_EQ(seen_input_size, 0);
    expect_clean();
}

TEST(client_message_buffer_bounded)
{
    /* 129 words: the last one does not fit in 512 bytes and is dropped, the rest are sent. */
    static char t[8192];
    size_t n = (size_t)snprintf(t, sizeof t, "port_connect 0 port=1 context=0\n");
    for (int i = 0; i < 129; i++)
        n += (size_t)snprintf(t + n, sizeof t - n, "msg_word 0x%08x\n", 0x01010101u * (unsigned)(i % 200 + 1));
    snprintf(t + n, sizeof t - n, "msg_send 0 in=512 out=none\n");
    run_text(&target, t);
    expect_clean();
    CHECK_EQ(seen_input_size, 512);
    CHECK_EQ(seen_input[0], 1);
    CHECK_EQ(seen_input[511], 128);
    CHECK(strstr(kfh_trace_text(), "client: message buffer full (512 bytes): word dropped") != NULL);
}

TEST(client_answers_the_drivers_messages)
{
    /* A reply of 6 bytes for the driver's FltSendMessage with room for 16. */
    run_text(&target, "port_connect 0 port=1 context=0\n"
                      "msg_word 0x6c706572\nmsg_word 0x00002179\nport_answer 0 reply size=6\n"
                      "msg_word 0x53\nmsg_send 0 in=1 out=20\n");
    expect_clean();
    CHECK_EQ(send_status, STATUS_SUCCESS);
    CHECK_EQ(run.send[0].returned, 20);
    CHECK(!memcmp(run.send[0].out, "\x06\0\0\0reply!", 10));
    /* No reply, and never reading: the driver's timeout passes. */
    run_text(&target, "port_connect 0 port=1 context=0\nport_answer 0 no_reply\nmsg_word 0x53\nmsg_send 0 in=1 out=20\n");
    CHECK_EQ(send_status, STATUS_TIMEOUT);
    run_text(&target, "port_connect 0 port=1 context=0\nport_answer 0 never_read\nmsg_word 0x53\n"
                      "msg_send 0 in=1 out=20\n");
    CHECK_EQ(send_status, STATUS_TIMEOUT);
    /* Closing the handle instead of replying: the disconnect callback runs inside the send. */
    run_text(&target, "port_connect 0 port=1 context=0\nport_answer 0 disconnect\nmsg_word 0x53\n"
                      "msg_send 0 in=1 out=20\nmsg_send 0 in=1 out=20\n");
    CHECK_EQ(send_status, STATUS_PORT_DISCONNECTED);
    CHECK_EQ(disconnects, 1);
    CHECK_EQ(run.send[1].status, STATUS_PORT_DISCONNECTED);
    expect_clean();
    /* An answer for an empty slot is skipped. */
    run_text(&target, "port_answer 3 no_reply\n");
    CHECK(strstr(kfh_trace_text(), "client 3: skipped: no connection in the slot") != NULL);
}

TEST(client_disconnects)
{
    run_text(&target, "port_connect 0 port=1 context=0\nport_disconnect 0\nport_disconnect 0\n"
                      "msg_send 0 in=1 out=1\nport_connect 0 port=1 context=0\n");
    expect_clean();
    CHECK_EQ(disconnects, 2); /* ours, then FltUnregisterFilter's for the second connection */
    CHECK_EQ(run.connected, 2);
    CHECK_EQ(run.sends, 0);
    CHECK(strstr(kfh_trace_text(), "client 0: disconnect\n") != NULL);
}

TEST(run_work_runs_the_queued_items_where_it_stands)
{
    /* Queued by a message, not run before run_work; run by it; the next message sees it. */
    run_text(&target, "port_connect 0 port=1 context=0\n"
                      "msg_word 0x57\nmsg_send 0 in=1 out=none\n"
                      "msg_word 0x43\nmsg_send 0 in=1 out=1\n"
                      "run_work\n"
                      "msg_word 0x43\nmsg_send 0 in=1 out=1\n");
    expect_clean();
    CHECK_EQ(run.send[1].out[0], 0);
    CHECK_EQ(run.send[2].out[0], 1);
    CHECK_EQ(run.work_run, 1);
    CHECK(strstr(kfh_trace_text(), "run work: 1 flt work item(s), 0 work item(s)") != NULL);
    /* Without run_work the harness runs it after the steps, before the unload (FH-5). */
    run_text(&target, "port_connect 0 port=1 context=0\nmsg_word 0x57\nmsg_send 0 in=1 out=none\n");
    expect_clean();
    CHECK_EQ(work_runs, 1);
    CHECK_EQ(run.work_run, 0);
    CHECK(strstr(kfh_trace_text(), "flt work items: 1 run after the call") != NULL);
}

TEST(lock_held_by_a_port_callback_is_a_finding)
{
    run_text(&target, "port_connect 0 port=1 context=0\nmsg_word 0x4c\nmsg_send 0 in=1 out=none\n");
    CHECK_EQ(run.n_findings, 1);
    CHECK_EQ(run.finding.inv, KFH_INV_DRIVER_HELD);
    CHECK(strstr(run.finding.actual, "1 push lock(s)") != NULL);
}

TEST(client_steps_only_for_minifilter_targets)
{
    run_text(&plain_target, "msg_word 0x1\nport_connect 0 port=1 context=4\nrun_work\n");
    expect_clean();
    CHECK_EQ(run.env.client_steps, 0);
    CHECK_EQ(run.connects, 0);
    CHECK(strstr(kfh_trace_text(), "client") == NULL);
    /* A minifilter whose load fails meets no service. */
    run_text(&target, "fault none\nfault hard\nport_connect 0 port=1 context=0\n");
    CHECK(!run.loaded);
    CHECK_EQ(run.connects, 0);
    expect_clean();
}
