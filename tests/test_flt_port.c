/*
 * test_flt_port.c - Filter Manager communication ports: the rules FP-1 to FP-9 of
 * model/SEMANTICS.md, with a small test driver whose connect, disconnect and message callbacks
 * the modeled user-mode client (kf_flt_client_*) drives.
 */
#include "flt_fixture.h"

#include <string.h>

/* ---- The test driver's port --------------------------------------------------------------- */

static PFLT_PORT server_port, client_port;
static int connects, disconnects, messages;
static PVOID seen_server_cookie, seen_disconnect_cookie, seen_message_cookie;
static ULONG seen_context_size;
static UCHAR seen_context[64];
static NTSTATUS connect_result;
static KIRQL seen_irql;
static ULONG reply_claim;          /* what the message callback puts in ReturnOutputBufferLength */
static ULONG expected_input = 8;   /* the size of the driver's request structure */
static int close_in_disconnect = 1;
static int cookie_value;
static volatile ULONGLONG input_sum;

static NTSTATUS FLTAPI on_connect(PFLT_PORT ClientPort, PVOID ServerPortCookie, PVOID ConnectionContext,
                                  ULONG SizeOfContext, PVOID *ConnectionPortCookie)
{
    connects++;
    seen_irql = KeGetCurrentIrql();
    seen_server_cookie = ServerPortCookie;
    seen_context_size = SizeOfContext;
    if (ConnectionContext && SizeOfContext <= sizeof seen_context)
        memcpy(seen_context, ConnectionContext, SizeOfContext);
    if (!NT_SUCCESS(connect_result))
        return connect_result;
    client_port = ClientPort;
    *ConnectionPortCookie = &cookie_value;
    return STATUS_SUCCESS;
}

static VOID FLTAPI on_disconnect(PVOID ConnectionCookie)
{
    disconnects++;
    seen_disconnect_cookie = ConnectionCookie;
    if (close_in_disconnect)
        FltCloseClientPort(fx_filter, &client_port);
}

/* Reads its request as the driver's 8-byte structure (trusting the size: the bug a short
 * message exposes) and answers with 4 bytes, claiming reply_claim. */
static NTSTATUS FLTAPI on_message(PVOID PortCookie, PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                  ULONG OutputBufferLength, PULONG ReturnOutputBufferLength)
{
    messages++;
    seen_irql = KeGetCurrentIrql();
    seen_message_cookie = PortCookie;
    ULONGLONG sum = 0;
    if (InputBuffer) {
        const volatile UCHAR *in = InputBuffer;
        for (ULONG i = 0; i < expected_input; i++)
            sum += in[i];
        input_sum = sum;
    }
    (void)InputBufferLength;
    *ReturnOutputBufferLength = 0;
    if (OutputBuffer && OutputBufferLength >= 4) {
        memcpy(OutputBuffer, "ok!!", 4);
        *ReturnOutputBufferLength = reply_claim ? reply_claim : 4;
    } else if (reply_claim) {
        *ReturnOutputBufferLength = reply_claim;
    }
    return STATUS_SUCCESS;
}

static UNICODE_STRING port_name = RTL_CONSTANT_STRING(L"\\KfTestPort");
static const WCHAR port_wname[] = L"\\KfTestPort";

static void reset_driver(void)
{
    server_port = client_port = NULL;
    connects = disconnects = messages = 0;
    seen_server_cookie = seen_disconnect_cookie = seen_message_cookie = NULL;
    seen_context_size = 0;
    connect_result = STATUS_SUCCESS;
    reply_claim = 0;
    expected_input = 8;
    close_in_disconnect = 1;
}

static NTSTATUS create_port(PFLT_PORT *port, ULONG attributes, LONG max, PFLT_MESSAGE_NOTIFY msg)
{
    OBJECT_ATTRIBUTES oa;
    PSECURITY_DESCRIPTOR sd = NULL;
    CHECK_EQ(FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS), STATUS_SUCCESS);
    InitializeObjectAttributes(&oa, &port_name, attributes, NULL, sd);
    NTSTATUS st = FltCreateCommunicationPort(fx_filter, port, &oa, (PVOID)0x5eed, on_connect, on_disconnect, msg, max);
    FltFreeSecurityDescriptor(sd);
    return st;
}

/* A started filter with its server port open. */
static void start_with_port(void)
{
    fx_fresh();
    reset_driver();
    fx_start();
    CHECK_EQ(create_port(&server_port, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, 1, on_message), STATUS_SUCCESS);
    CHECK(server_port != NULL);
}

static unsigned connect_client(void)
{
    unsigned c = 0;
    CHECK_EQ(kf_flt_client_connect(port_wname, "hello", 5, &c), STATUS_SUCCESS);
    CHECK(c != 0);
    return c;
}

/* ---- FP-1 security descriptors ------------------------------------------------------------- */

static void sd_free_twice(void *a)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    (void)FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
    FltFreeSecurityDescriptor(sd);
    FltFreeSecurityDescriptor(sd);
}
static void sd_free_foreign(void *a)
{
    static int not_a_descriptor;
    FltFreeSecurityDescriptor(&not_a_descriptor);
}
static void sd_null(void *a) { (void)FltBuildDefaultSecurityDescriptor(NULL, FLT_PORT_ALL_ACCESS); }
static void sd_at_dispatch(void *a)
{
    PSECURITY_DESCRIPTOR sd;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
}
TEST(port_security_descriptor)
{
    fx_fresh();
    CHECK_EQ(FLT_PORT_ALL_ACCESS, 0x001F0001);
    PSECURITY_DESCRIPTOR sd = NULL;
    CHECK_EQ(FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS), STATUS_SUCCESS);
    CHECK(sd != NULL);
    CHECK_EQ(kf_flt_ports_outstanding(), 1);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_ports, 1);
    FltFreeSecurityDescriptor(sd);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
    CHECK(fx_violation(sd_free_twice, NULL, KF_VIOL_FLT_PORT_BAD_SECURITY_DESCRIPTOR));
    CHECK(fx_violation(sd_free_foreign, NULL, KF_VIOL_FLT_PORT_BAD_SECURITY_DESCRIPTOR));
    CHECK(fx_violation(sd_null, NULL, KF_VIOL_FLT_PORT_NULL_ARGUMENT));
    CHECK(fx_bugcheck(sd_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
}

TEST(port_security_descriptor_fault)
{
    fx_fresh();
    fx_fail_site(KF_SITE_FLT_PORT_SD, 1, KF_FAULT_HARD);
    PSECURITY_DESCRIPTOR sd = (PSECURITY_DESCRIPTOR)1;
    CHECK_EQ(FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(sd == NULL);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_PORT_SD), 1);
}

/* ---- FP-2 FltCreateCommunicationPort -------------------------------------------------------- */

TEST(port_create_and_collision)
{
    start_with_port();
    CHECK_EQ(kf_flt_ports_outstanding(), 1);
    PFLT_PORT second = (PFLT_PORT)1;
    CHECK_EQ(create_port(&second, OBJ_KERNEL_HANDLE, 1, on_message), STATUS_OBJECT_NAME_COLLISION);
    CHECK(second == NULL);
    FltCloseCommunicationPort(server_port);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
    /* The name is free again. */
    CHECK_EQ(create_port(&second, OBJ_KERNEL_HANDLE, 1, on_message), STATUS_SUCCESS);
    FltCloseCommunicationPort(second);
}

TEST(port_server_names_oldest_first)
{
    start_with_port();
    WCHAR name[64];
    ULONG n = kf_flt_server_port_name(0, name, 64);
    CHECK(n > 0);
    CHECK(n < 64);
    CHECK_EQ(name[n], 0);
    size_t want = 0;
    while (port_wname[want])
        want++;
    CHECK_EQ(n, want);
    CHECK(memcmp(name, port_wname, n * sizeof(WCHAR)) == 0);
    /* No second port yet; a buffer without room for the NUL gets nothing. */
    CHECK_EQ(kf_flt_server_port_name(1, name, 64), 0);
    CHECK_EQ(kf_flt_server_port_name(0, name, n), 0);
    /* A second port comes after the first; closing the first moves it up. */
    static const WCHAR other[] = L"\\Other";
    UNICODE_STRING u = {sizeof other - sizeof(WCHAR), sizeof other, (PWSTR)other};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &u, OBJ_KERNEL_HANDLE, NULL, NULL);
    PFLT_PORT second = NULL;
    CHECK_EQ(FltCreateCommunicationPort(fx_filter, &second, &oa, NULL, on_connect, on_disconnect, on_message, 1),
             STATUS_SUCCESS);
    CHECK_EQ(kf_flt_server_port_name(1, name, 64), 6);
    CHECK(memcmp(name, other, 6 * sizeof(WCHAR)) == 0);
    FltCloseCommunicationPort(server_port);
    CHECK_EQ(kf_flt_server_port_name(0, name, 64), 6);
    CHECK_EQ(kf_flt_server_port_name(1, name, 64), 0);
    FltCloseCommunicationPort(second);
    CHECK_EQ(kf_flt_server_port_name(0, name, 64), 0);
}

TEST(port_create_invalid_parameters)
{
    fx_fresh();
    reset_driver();
    fx_start();
    PFLT_PORT p = NULL;
    CHECK_EQ(create_port(&p, OBJ_CASE_INSENSITIVE, 1, on_message), STATUS_INVALID_PARAMETER); /* no OBJ_KERNEL_HANDLE */
    CHECK_EQ(create_port(&p, OBJ_KERNEL_HANDLE, 0, on_message), STATUS_INVALID_PARAMETER);   /* MaxConnections 0 */
    CHECK(p == NULL);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
}

static void create_null_connect(void *a)
{
    OBJECT_ATTRIBUTES oa;
    PFLT_PORT p;
    InitializeObjectAttributes(&oa, &port_name, OBJ_KERNEL_HANDLE, NULL, NULL);
    (void)FltCreateCommunicationPort(fx_filter, &p, &oa, NULL, NULL, on_disconnect, NULL, 1);
}
static void create_null_attributes(void *a)
{
    PFLT_PORT p;
    (void)FltCreateCommunicationPort(fx_filter, &p, NULL, NULL, on_connect, on_disconnect, NULL, 1);
}
static void create_bad_filter(void *a)
{
    OBJECT_ATTRIBUTES oa;
    PFLT_PORT p;
    static int not_a_filter;
    InitializeObjectAttributes(&oa, &port_name, OBJ_KERNEL_HANDLE, NULL, NULL);
    (void)FltCreateCommunicationPort((PFLT_FILTER)&not_a_filter, &p, &oa, NULL, on_connect, on_disconnect, NULL, 1);
}
static void create_at_apc(void *a)
{
    PFLT_PORT p;
    kf_set_irql(APC_LEVEL);
    (void)create_port(&p, OBJ_KERNEL_HANDLE, 1, NULL);
}
TEST(port_create_misuse)
{
    fx_fresh();
    reset_driver();
    fx_start();
    CHECK(fx_violation(create_null_connect, NULL, KF_VIOL_FLT_PORT_NULL_ARGUMENT));
    CHECK(fx_violation(create_null_attributes, NULL, KF_VIOL_FLT_PORT_NULL_ARGUMENT));
    CHECK(fx_violation(create_bad_filter, NULL, KF_VIOL_FLT_INVALID_FILTER));
    CHECK(fx_bugcheck(create_at_apc, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
}

TEST(port_create_fault)
{
    fx_fresh();
    reset_driver();
    fx_start();
    fx_fail_site(KF_SITE_FLT_PORT, 1, KF_FAULT_HARD);
    PFLT_PORT p = (PFLT_PORT)1;
    CHECK_EQ(create_port(&p, OBJ_KERNEL_HANDLE, 1, on_message), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(p == NULL);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_PORT), 1);
}

/* ---- FP-7 the client: connect, send, disconnect ----------------------------------------------- */

TEST(port_client_connect)
{
    start_with_port();
    kf_set_irql(APC_LEVEL); /* the callbacks run at PASSIVE_LEVEL whatever the harness's IRQL */
    unsigned c = connect_client();
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(connects, 1);
    CHECK_EQ(seen_irql, PASSIVE_LEVEL);
    CHECK(seen_server_cookie == (PVOID)0x5eed);
    CHECK_EQ(seen_context_size, 5);
    CHECK(memcmp(seen_context, "hello", 5) == 0);
    CHECK(client_port != NULL);
    CHECK_EQ(kf_flt_ports_outstanding(), 2);
    /* MaxConnections 1 */
    unsigned c2 = 99;
    CHECK_EQ(kf_flt_client_connect(port_wname, NULL, 0, &c2), STATUS_CONNECTION_COUNT_LIMIT);
    CHECK_EQ(c2, 0);
    /* Unknown name; the port was created case-insensitive. */
    CHECK_EQ(kf_flt_client_connect(L"\\NoSuchPort", NULL, 0, &c2), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    CHECK_EQ(disconnects, 1);
    CHECK(seen_disconnect_cookie == &cookie_value);
    CHECK(client_port == NULL); /* FltCloseClientPort set it to NULL */
    CHECK_EQ(kf_flt_client_disconnect(c), -1);
    CHECK_EQ(kf_flt_client_connect(L"\\KFTESTPORT", NULL, 0, &c2), STATUS_SUCCESS);
    CHECK_EQ(seen_context_size, 0);
    CHECK_EQ(kf_flt_client_disconnect(c2), 0);
    FltCloseCommunicationPort(server_port);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
}

TEST(port_client_connect_refused)
{
    start_with_port();
    connect_result = STATUS_ACCESS_DENIED;
    unsigned c = 7;
    CHECK_EQ(kf_flt_client_connect(port_wname, NULL, 0, &c), STATUS_ACCESS_DENIED);
    CHECK_EQ(c, 0);
    CHECK_EQ(kf_flt_ports_outstanding(), 1); /* only the server port */
    connect_result = STATUS_SUCCESS;
    c = connect_client(); /* the refused one did not use the single connection */
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    FltCloseCommunicationPort(server_port);
}

TEST(port_closed_server_keeps_connections)
{
    start_with_port();
    unsigned c = connect_client();
    FltCloseCommunicationPort(server_port);
    unsigned c2;
    CHECK_EQ(kf_flt_client_connect(port_wname, NULL, 0, &c2), STATUS_OBJECT_NAME_NOT_FOUND);
    UCHAR msg[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[16];
    ULONG ret = 0;
    CHECK_EQ(kf_flt_client_send(c, msg, sizeof msg, out, sizeof out, &ret), STATUS_SUCCESS);
    CHECK_EQ(ret, 4);
    CHECK(memcmp(out, "ok!!", 4) == 0);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
}

TEST(port_client_send)
{
    start_with_port();
    unsigned c = connect_client();
    UCHAR msg[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[16];
    ULONG ret = 0;
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(kf_flt_client_send(c, msg, sizeof msg, out, sizeof out, &ret), STATUS_SUCCESS);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(seen_irql, PASSIVE_LEVEL);
    CHECK(seen_message_cookie == &cookie_value);
    CHECK_EQ(messages, 1);
    CHECK_EQ(ret, 4);
    /* Without room for a reply. */
    CHECK_EQ(kf_flt_client_send(c, msg, sizeof msg, NULL, 0, &ret), STATUS_SUCCESS);
    CHECK_EQ(ret, 0);
    /* A longer message than the driver expects is fine for this driver. */
    UCHAR big[32] = {0};
    CHECK_EQ(kf_flt_client_send(c, big, sizeof big, NULL, 0, &ret), STATUS_SUCCESS);
    CHECK_EQ(messages, 3);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    CHECK_EQ(kf_flt_client_send(c, msg, sizeof msg, NULL, 0, &ret), STATUS_PORT_DISCONNECTED);
    FltCloseCommunicationPort(server_port);
}

TEST(port_client_send_without_message_callback)
{
    fx_fresh();
    reset_driver();
    fx_start();
    CHECK_EQ(create_port(&server_port, OBJ_KERNEL_HANDLE, 1, NULL), STATUS_SUCCESS);
    unsigned c = connect_client();
    UCHAR msg[8] = {0};
    CHECK_EQ(kf_flt_client_send(c, msg, sizeof msg, NULL, 0, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    FltCloseCommunicationPort(server_port);
}

static unsigned send_client;
static __attribute__((unused)) void send_short_message(void)
{
    UCHAR msg[3] = {1, 2, 3};
    (void)kf_flt_client_send(send_client, msg, sizeof msg, NULL, 0, NULL);
}
/* The driver reads 8 bytes of a 3-byte message: the buffer is exactly 3 bytes, so AddressSanitizer reports it. */
TEST(port_client_short_message_is_found)
{
#ifdef FX_HAVE_ASAN
    start_with_port();
    send_client = connect_client();
    CHECK(kft_expect_death(send_short_message, "heap-buffer-overflow"));
#endif
}

static void send_overclaim(void *a)
{
    UCHAR msg[8] = {0}, out[8];
    ULONG ret;
    reply_claim = 9;
    (void)kf_flt_client_send(send_client, msg, sizeof msg, out, sizeof out, &ret);
}
static void send_claim_without_buffer(void *a)
{
    UCHAR msg[8] = {0};
    ULONG ret;
    reply_claim = 2;
    (void)kf_flt_client_send(send_client, msg, sizeof msg, NULL, 0, &ret);
}
TEST(port_client_reply_overrun)
{
    start_with_port();
    send_client = connect_client();
    CHECK(fx_violation(send_overclaim, NULL, KF_VIOL_FLT_PORT_REPLY_OVERRUN));
    CHECK_EQ(fx_stop.param[1], 9);
    CHECK_EQ(fx_stop.param[2], 8);
    CHECK(fx_violation(send_claim_without_buffer, NULL, KF_VIOL_FLT_PORT_REPLY_OVERRUN));
}

/* ---- FP-4..FP-6 FltSendMessage ---------------------------------------------------------------- */

TEST(port_send_message_reply)
{
    start_with_port();
    unsigned c = connect_client();
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_REPLY, "abcdef", 6), 0);
    char req[5] = "scan", reply[16] = {0};
    ULONG len = sizeof reply;
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, NULL), STATUS_SUCCESS);
    CHECK_EQ(len, 6);
    CHECK(memcmp(reply, "abcdef", 6) == 0);
    CHECK_EQ(kf_flt_client_messages(c), 1);
    char got[8];
    CHECK_EQ(kf_flt_client_last_message(c, got, sizeof got), 5);
    CHECK(memcmp(got, "scan", 5) == 0);
    /* Reply buffer too small: the first bytes, ReplyLength the bytes copied, STATUS_BUFFER_OVERFLOW. */
    memset(reply, 0, sizeof reply);
    len = 4;
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, NULL), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(len, 4);
    CHECK(memcmp(reply, "abcd\0", 5) == 0);
    /* A shorter reply: ReplyLength becomes its size. */
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_REPLY, "xy", 2), 0);
    len = sizeof reply;
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, NULL), STATUS_SUCCESS);
    CHECK_EQ(len, 2);
    /* No reply buffer: returns once delivered. */
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_client_messages(c), 4);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    FltCloseCommunicationPort(server_port);
}

TEST(port_send_message_timeouts)
{
    start_with_port();
    unsigned c = connect_client();
    char req[4] = "abc", reply[8];
    ULONG len = sizeof reply;
    LARGE_INTEGER zero = {.QuadPart = 0}, finite = {.QuadPart = -10000000};
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_NEVER_READ, NULL, 0), 0);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, &zero), STATUS_TIMEOUT);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, &finite), STATUS_TIMEOUT);
    CHECK_EQ(kf_flt_client_messages(c), 0);
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_NO_REPLY, NULL, 0), 0);
    /* Delivered; no reply asked: success. */
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, &zero), STATUS_TIMEOUT);
    CHECK_EQ(kf_flt_client_messages(c), 2);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    FltCloseCommunicationPort(server_port);
}

static void send_forever(void *a)
{
    char req[4] = "abc", reply[8];
    ULONG len = sizeof reply;
    (void)FltSendMessage(fx_filter, &client_port, req, sizeof req, a ? reply : NULL, a ? &len : NULL, NULL);
}
TEST(port_send_message_absolute_timeout_waits_until_then)
{
    /* An absolute Timeout still ahead: the wait that nobody ends lasts until that time (FP-5:
     * the timeout passes on the modeled clock), one already past returns at once. */
    start_with_port();
    unsigned c = connect_client();
    char req[4] = "abc";
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_NEVER_READ, NULL, 0), 0);
    LARGE_INTEGER now, later, past = {.QuadPart = 1};
    KeQuerySystemTime(&now);
    LARGE_INTEGER deadline = {.QuadPart = now.QuadPart + 50000000}; /* 5 seconds ahead */
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, &deadline), STATUS_TIMEOUT);
    KeQuerySystemTime(&later);
    CHECK(later.QuadPart >= deadline.QuadPart);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, &past), STATUS_TIMEOUT);
    KeQuerySystemTime(&now);
    CHECK(now.QuadPart - later.QuadPart < 10000000);
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    FltCloseCommunicationPort(server_port);
}

TEST(port_send_message_deadlock)
{
    start_with_port();
    unsigned c = connect_client();
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_NEVER_READ, NULL, 0), 0);
    CHECK(fx_violation(send_forever, NULL, KF_VIOL_FLT_PORT_SEND_DEADLOCK));
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_NO_REPLY, NULL, 0), 0);
    CHECK(fx_violation(send_forever, (void *)1, KF_VIOL_FLT_PORT_SEND_DEADLOCK));
}

TEST(port_send_message_disconnected)
{
    start_with_port();
    unsigned c = connect_client();
    char req[4] = "abc", reply[8];
    ULONG len = sizeof reply;
    /* The client disconnects while the driver waits for its reply. */
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_DISCONNECT, NULL, 0), 0);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, &len, NULL), STATUS_PORT_DISCONNECTED);
    CHECK_EQ(disconnects, 1);
    CHECK(client_port == NULL);
    /* After FltCloseClientPort the variable is NULL: STATUS_PORT_DISCONNECTED. */
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_PORT_DISCONNECTED);
    /* The application gone, the driver not yet closed: also STATUS_PORT_DISCONNECTED. */
    close_in_disconnect = 0;
    c = connect_client();
    CHECK_EQ(kf_flt_client_disconnect(c), 0);
    CHECK(client_port != NULL);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_PORT_DISCONNECTED);
    FltCloseClientPort(fx_filter, &client_port);
    CHECK(client_port == NULL);
    FltCloseClientPort(fx_filter, &client_port); /* NULL: nothing to do */
    FltCloseCommunicationPort(server_port);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
}

TEST(port_send_message_read_then_disconnected_without_reply)
{
    /* No ReplyBuffer: the call is over once the client reads the message (FP-5), so a client
     * that reads and then closes its handle leaves it STATUS_SUCCESS; its disconnect callback
     * still runs. */
    start_with_port();
    unsigned c = connect_client();
    char req[4] = "abc";
    int before = disconnects;
    CHECK_EQ(kf_flt_client_set_answer(c, KF_FLT_ANSWER_DISCONNECT, NULL, 0), 0);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(disconnects, before + 1);
    CHECK(client_port == NULL);
    FltCloseCommunicationPort(server_port);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
}

TEST(port_send_message_fault)
{
    start_with_port();
    unsigned c = connect_client();
    fx_fail_site(KF_SITE_FLT_MESSAGE, 1, KF_FAULT_HARD);
    char req[4] = "abc";
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(kf_flt_client_messages(c), 0);
    CHECK_EQ(FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_MESSAGE), 2);
}

static PFLT_PORT stale;
static void send_stale(void *a)
{
    char req[4] = "abc";
    (void)FltSendMessage(fx_filter, &stale, req, sizeof req, NULL, NULL, NULL);
}
static void send_null_sender(void *a) { (void)FltSendMessage(fx_filter, &client_port, NULL, 0, NULL, NULL, NULL); }
static void send_reply_without_length(void *a)
{
    char req[4] = "abc", reply[4];
    (void)FltSendMessage(fx_filter, &client_port, req, sizeof req, reply, NULL, NULL);
}
static void send_at_dispatch(void *a)
{
    char req[4] = "abc";
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltSendMessage(fx_filter, &client_port, req, sizeof req, NULL, NULL, NULL);
}
static void close_client_twice(void *a) { FltCloseClientPort(fx_filter, &stale); }
static void close_server_twice(void *a) { FltCloseCommunicationPort(server_port); }
static void close_client_as_server(void *a) { FltCloseCommunicationPort(client_port); }
TEST(port_misuse)
{
    start_with_port();
    (void)connect_client();
    CHECK(fx_violation(send_null_sender, NULL, KF_VIOL_FLT_PORT_NULL_ARGUMENT));
    CHECK(fx_violation(send_reply_without_length, NULL, KF_VIOL_FLT_PORT_NULL_ARGUMENT));
    CHECK(fx_bugcheck(send_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_violation(close_client_as_server, NULL, KF_VIOL_FLT_PORT_INVALID));
    stale = client_port;
    FltCloseClientPort(fx_filter, &client_port);
    CHECK(fx_violation(send_stale, NULL, KF_VIOL_FLT_PORT_INVALID));
    CHECK(fx_violation(close_client_twice, NULL, KF_VIOL_FLT_PORT_INVALID));
    FltCloseCommunicationPort(server_port);
    CHECK(fx_violation(close_server_twice, NULL, KF_VIOL_FLT_PORT_INVALID));
}

/* ---- FP-8 unload ----------------------------------------------------------------------------- */

static void unregister(void *a) { FltUnregisterFilter(fx_filter); }
TEST(port_open_at_unregister)
{
    start_with_port();
    CHECK(fx_violation(unregister, NULL, KF_VIOL_FLT_PORT_OPEN_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 1);
    CHECK_EQ(fx_stop.param[2], 0);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_ports, 1);
}

TEST(port_unregister_disconnects_clients)
{
    start_with_port();
    unsigned c = connect_client();
    FltCloseCommunicationPort(server_port);
    /* Filter Manager calls DisconnectNotify for the live connection; the driver closes it. */
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(disconnects, 1);
    CHECK_EQ(kf_flt_ports_outstanding(), 0);
    CHECK_EQ(kf_flt_client_disconnect(c), -1);
}

TEST(port_client_not_closed_at_unregister)
{
    start_with_port();
    close_in_disconnect = 0;
    (void)connect_client();
    FltCloseCommunicationPort(server_port);
    CHECK(fx_violation(unregister, NULL, KF_VIOL_FLT_PORT_OPEN_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 0);
    CHECK_EQ(fx_stop.param[2], 1);
}
