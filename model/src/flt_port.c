/*
 * flt_port.c - Filter Manager communication ports: FltBuildDefaultSecurityDescriptor /
 * FltFreeSecurityDescriptor, FltCreateCommunicationPort, FltCloseCommunicationPort,
 * FltCloseClientPort, FltSendMessage, and the modeled user-mode client the harness drives
 * (kf_flt_client_*): connect, send, disconnect, and how it answers the driver's messages.
 * Rules FP-1 to FP-9 of model/SEMANTICS.md.
 *
 * Must never: dereference a port pointer a driver hands in before finding it among the live
 * ports (lookups compare addresses), wait for real (a wait nobody can end is a stop), or hand
 * a callback a message buffer larger than the client sent (they are heap blocks of exactly
 * the client's size, so a driver reading past InputBufferLength is AddressSanitizer's finding).
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 256
#define MAX_SD 64
#define MAX_REPLY 4096

enum port_kind { PORT_SERVER = 1, PORT_CLIENT = 2 };

struct _FLT_PORT {
    struct _FLT_PORT *next;
    enum port_kind kind;
    struct _FLT_FILTER *filter;
    /* server */
    WCHAR name[NAME_MAX_CHARS];
    USHORT name_chars;
    BOOLEAN case_insensitive;
    PVOID server_cookie;
    PFLT_CONNECT_NOTIFY on_connect;
    PFLT_DISCONNECT_NOTIFY on_disconnect;
    PFLT_MESSAGE_NOTIFY on_message;
    LONG max_connections;
    LONG connections;               /* clients connected through this server port */
    /* client */
    struct _FLT_PORT *server;       /* NULL once the server port is closed */
    PFLT_DISCONNECT_NOTIFY client_on_disconnect;
    PFLT_MESSAGE_NOTIFY client_on_message;
    PVOID server_cookie_copy;
    PVOID connection_cookie;        /* what ConnectNotify stored */
    BOOLEAN kernel_open;            /* the driver has not closed it (FltCloseClientPort) */
    BOOLEAN user_open;              /* the application's handle is open */
    unsigned number;                /* the harness's client number */
    kf_flt_answer answer;
    UCHAR reply[MAX_REPLY];
    ULONG reply_size;
    unsigned messages;
    UCHAR *last;                    /* last message read (heap, its exact size) */
    ULONG last_size;
};

static struct _FLT_PORT *ports;                     /* server and client ports alive */
static struct _FLT_PORT *clients[KF_FLT_MAX_CLIENTS + 1];
static unsigned n_clients;
static void *sds[MAX_SD];                           /* security descriptors built, not freed */
/* The client's buffers while a driver callback runs (a stop there leaves them to the reset). */
static void *inflight[3];

static _Noreturn void null_arg(const char *routine, unsigned pos, const char *what) __attribute__((noreturn));
static void null_arg(const char *routine, unsigned pos, const char *what)
{
    kf_violation_stop(KF_VIOL_FLT_PORT_NULL_ARGUMENT, routine, pos, 0, 0, "%s: %s is NULL", routine, what);
}

static struct _FLT_PORT *find_port(PFLT_PORT p, enum port_kind kind)
{
    for (struct _FLT_PORT *q = ports; q; q = q->next)
        if (q == p && q->kind == kind && (kind == PORT_SERVER || q->kernel_open))
            return q;
    return NULL;
}

static struct _FLT_PORT *require_port(const char *routine, PFLT_PORT p, enum port_kind kind)
{
    struct _FLT_PORT *q = find_port(p, kind);
    if (!q)
        kf_violation_stop(KF_VIOL_FLT_PORT_INVALID, routine, kind, 0, 0,
                          "%s: the %s port is not an open port of this kind (closed already, or never "
                          "returned by Filter Manager)",
                          routine, kind == PORT_SERVER ? "server" : "client");
    return q;
}

static void unlink_port(struct _FLT_PORT *p)
{
    for (struct _FLT_PORT **pp = &ports; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

/* A client port goes away once neither the driver nor the application holds it. */
static void maybe_free_client(struct _FLT_PORT *c)
{
    if (c->kernel_open || c->user_open)
        return;
    unlink_port(c);
    if (c->number && clients[c->number] == c)
        clients[c->number] = NULL;
    free(c->last);
    free(c);
}

static struct _FLT_FILTER *require_filter(const char *routine, PFLT_FILTER p)
{
    struct _FLT_FILTER *f = kf__flt_find_filter(p);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0,
                          "%s: Filter %s is not a registered filter", routine, p ? "(non-NULL)" : "NULL");
    return f;
}

/* ---- FP-1 Security descriptors ----------------------------------------------------------- */

NTSTATUS FLTAPI FltBuildDefaultSecurityDescriptor(PSECURITY_DESCRIPTOR *SecurityDescriptor, ACCESS_MASK DesiredAccess)
{
    static const char routine[] = "FltBuildDefaultSecurityDescriptor";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!SecurityDescriptor)
        null_arg(routine, 1, "SecurityDescriptor");
    *SecurityDescriptor = NULL;
    if (kf_fault_consult(KF_SITE_FLT_PORT_SD) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    int slot = -1;
    for (int i = 0; i < MAX_SD; i++)
        if (!sds[i]) {
            slot = i;
            break;
        }
    if (slot < 0)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* An opaque block: a self-relative descriptor's header, the access mask it grants System
     * and Administrators kept in it. Drivers only pass it on. */
    ULONG *sd = calloc(1, 64);
    if (!sd)
        return STATUS_INSUFFICIENT_RESOURCES;
    sd[0] = 0x80040001u; /* revision 1, SE_SELF_RELATIVE | SE_DACL_PRESENT */
    sd[1] = DesiredAccess;
    sds[slot] = sd;
    *SecurityDescriptor = sd;
    return STATUS_SUCCESS;
}

VOID FLTAPI FltFreeSecurityDescriptor(PSECURITY_DESCRIPTOR SecurityDescriptor)
{
    static const char routine[] = "FltFreeSecurityDescriptor";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!SecurityDescriptor)
        null_arg(routine, 1, "SecurityDescriptor");
    for (int i = 0; i < MAX_SD; i++)
        if (sds[i] && sds[i] == SecurityDescriptor) {
            free(sds[i]);
            sds[i] = NULL;
            return;
        }
    kf_violation_stop(KF_VIOL_FLT_PORT_BAD_SECURITY_DESCRIPTOR, routine, 0, 0, 0,
                      "FltFreeSecurityDescriptor: the descriptor was not built by "
                      "FltBuildDefaultSecurityDescriptor, or was freed already");
}

/* ---- FP-2 FltCreateCommunicationPort ---------------------------------------------------------- */

static WCHAR fold(WCHAR c) { return (c >= L'a' && c <= L'z') ? (WCHAR)(c - L'a' + L'A') : c; }

static BOOLEAN same_name(const struct _FLT_PORT *s, const WCHAR *name, USHORT chars, BOOLEAN ci)
{
    if (s->name_chars != chars)
        return FALSE;
    for (USHORT i = 0; i < chars; i++) {
        WCHAR a = s->name[i], b = name[i];
        if (ci || s->case_insensitive) {
            a = fold(a);
            b = fold(b);
        }
        if (a != b)
            return FALSE;
    }
    return TRUE;
}

static struct _FLT_PORT *find_server_by_name(const WCHAR *name, USHORT chars, BOOLEAN ci)
{
    for (struct _FLT_PORT *q = ports; q; q = q->next)
        if (q->kind == PORT_SERVER && same_name(q, name, chars, ci))
            return q;
    return NULL;
}

NTSTATUS FLTAPI FltCreateCommunicationPort(PFLT_FILTER Filter, PFLT_PORT *ServerPort, POBJECT_ATTRIBUTES ObjectAttributes,
                                           PVOID ServerPortCookie, PFLT_CONNECT_NOTIFY ConnectNotifyCallback,
                                           PFLT_DISCONNECT_NOTIFY DisconnectNotifyCallback,
                                           PFLT_MESSAGE_NOTIFY MessageNotifyCallback, LONG MaxConnections)
{
    static const char routine[] = "FltCreateCommunicationPort";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    if (!ServerPort)
        null_arg(routine, 2, "ServerPort");
    *ServerPort = NULL;
    if (!ObjectAttributes)
        null_arg(routine, 3, "ObjectAttributes");
    if (!ConnectNotifyCallback)
        null_arg(routine, 5, "ConnectNotifyCallback");
    if (!DisconnectNotifyCallback)
        null_arg(routine, 6, "DisconnectNotifyCallback");
    if (f->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    PUNICODE_STRING name = ObjectAttributes->ObjectName;
    if (!(ObjectAttributes->Attributes & OBJ_KERNEL_HANDLE) || MaxConnections <= 0 || !name || !name->Buffer ||
        name->Length == 0 || (name->Length & 1) || name->Length / 2 > NAME_MAX_CHARS)
        return STATUS_INVALID_PARAMETER;
    USHORT chars = name->Length / 2;
    BOOLEAN ci = (ObjectAttributes->Attributes & OBJ_CASE_INSENSITIVE) != 0;
    if (find_server_by_name(name->Buffer, chars, ci))
        return STATUS_OBJECT_NAME_COLLISION;
    if (kf_fault_consult(KF_SITE_FLT_PORT) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    struct _FLT_PORT *p = calloc(1, sizeof *p);
    if (!p)
        return STATUS_INSUFFICIENT_RESOURCES;
    p->kind = PORT_SERVER;
    p->filter = f;
    memcpy(p->name, name->Buffer, (size_t)chars * sizeof(WCHAR));
    p->name_chars = chars;
    p->case_insensitive = ci;
    p->server_cookie = ServerPortCookie;
    p->on_connect = ConnectNotifyCallback;
    p->on_disconnect = DisconnectNotifyCallback;
    p->on_message = MessageNotifyCallback;
    p->max_connections = MaxConnections;
    p->next = ports;
    ports = p;
    *ServerPort = p;
    return STATUS_SUCCESS;
}

/* ---- FP-3 Closing ------------------------------------------------------------------------------ */

VOID FLTAPI FltCloseCommunicationPort(PFLT_PORT ServerPort)
{
    static const char routine[] = "FltCloseCommunicationPort";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    if (!ServerPort)
        null_arg(routine, 1, "ServerPort");
    struct _FLT_PORT *s = require_port(routine, ServerPort, PORT_SERVER);
    /* New connections stop; existing ones stay until closed. */
    for (struct _FLT_PORT *q = ports; q; q = q->next)
        if (q->kind == PORT_CLIENT && q->server == s)
            q->server = NULL;
    unlink_port(s);
    free(s);
}

VOID FLTAPI FltCloseClientPort(PFLT_FILTER Filter, PFLT_PORT *ClientPort)
{
    static const char routine[] = "FltCloseClientPort";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    (void)require_filter(routine, Filter);
    if (!ClientPort)
        null_arg(routine, 2, "ClientPort");
    if (!*ClientPort)
        return; /* closed already through this variable: FP-3 */
    struct _FLT_PORT *c = require_port(routine, *ClientPort, PORT_CLIENT);
    *ClientPort = NULL;
    c->kernel_open = FALSE;
    if (c->server)
        c->server->connections--;
    c->server = NULL;
    /* The application's handle now leads nowhere: its next call fails. */
    c->user_open = FALSE;
    maybe_free_client(c);
}

/* ---- FP-4..FP-6 FltSendMessage ----------------------------------------------------------------- */

static void deliver(struct _FLT_PORT *c, const void *buf, ULONG len)
{
    free(c->last);
    c->last = malloc(len ? len : 1);
    if (c->last)
        memcpy(c->last, buf, len);
    c->last_size = c->last ? len : 0;
    c->messages++;
}

/* The wait nobody ends: with no timeout a stop, else the timeout passes on the modeled clock
 * (a relative one by its length, an absolute one until that time if it is still ahead). */
static NTSTATUS wait_forever(const char *routine, PLARGE_INTEGER Timeout, const char *what)
{
    if (!Timeout)
        kf_violation_stop(KF_VIOL_FLT_PORT_SEND_DEADLOCK, routine, 0, 0, 0,
                          "FltSendMessage with a NULL Timeout waits forever: the client %s", what);
    kf__clock_pass(Timeout);
    return STATUS_TIMEOUT;
}

NTSTATUS FLTAPI FltSendMessage(PFLT_FILTER Filter, PFLT_PORT *ClientPort, PVOID SenderBuffer, ULONG SenderBufferLength,
                               PVOID ReplyBuffer, PULONG ReplyLength, PLARGE_INTEGER Timeout)
{
    static const char routine[] = "FltSendMessage";
    kf__flt_require_irql(routine, APC_LEVEL);
    (void)require_filter(routine, Filter);
    if (!ClientPort)
        null_arg(routine, 2, "ClientPort");
    if (!SenderBuffer)
        null_arg(routine, 3, "SenderBuffer");
    if (ReplyBuffer && !ReplyLength)
        null_arg(routine, 6, "ReplyLength (with a ReplyBuffer)");
    if (!*ClientPort)
        return STATUS_PORT_DISCONNECTED; /* closed with FltCloseClientPort: FP-4 */
    struct _FLT_PORT *c = require_port(routine, *ClientPort, PORT_CLIENT);
    if (!c->user_open)
        return STATUS_PORT_DISCONNECTED;
    if (kf_fault_consult(KF_SITE_FLT_MESSAGE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (c->answer == KF_FLT_ANSWER_NEVER_READ)
        return wait_forever(routine, Timeout, "never reads its messages");
    deliver(c, SenderBuffer, SenderBufferLength);
    if (c->answer == KF_FLT_ANSWER_DISCONNECT) {
        /* The application closes its handle with the message read and unanswered: a caller
         * waiting for a reply loses the connection, one that waited only for the read has
         * what it waited for (FP-5). */
        kf_flt_client_disconnect(c->number);
        return ReplyBuffer ? STATUS_PORT_DISCONNECTED : STATUS_SUCCESS;
    }
    if (!ReplyBuffer)
        return STATUS_SUCCESS;
    if (c->answer == KF_FLT_ANSWER_NO_REPLY)
        return wait_forever(routine, Timeout, "read the message but never replies");
    ULONG room = *ReplyLength;
    ULONG n = c->reply_size < room ? c->reply_size : room;
    memcpy(ReplyBuffer, c->reply, n);
    *ReplyLength = n;
    return c->reply_size > room ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* ---- FP-7 The modeled client ------------------------------------------------------------------- */

static struct _FLT_PORT *client_of(unsigned number)
{
    if (number == 0 || number > KF_FLT_MAX_CLIENTS)
        return NULL;
    return clients[number];
}

static KIRQL to_passive(void)
{
    KIRQL old = KeGetCurrentIrql();
    kf_set_irql(PASSIVE_LEVEL);
    return old;
}

NTSTATUS kf_flt_client_connect(const WCHAR *port_name, const void *context, ULONG context_size, unsigned *client)
{
    if (client)
        *client = 0;
    if (!port_name || !client)
        return STATUS_INVALID_PARAMETER;
    USHORT chars = 0;
    while (chars < NAME_MAX_CHARS && port_name[chars])
        chars++;
    struct _FLT_PORT *s = find_server_by_name(port_name, chars, FALSE);
    if (!s || s->filter->unregistering)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (s->connections >= s->max_connections || n_clients >= KF_FLT_MAX_CLIENTS)
        return STATUS_CONNECTION_COUNT_LIMIT;
    struct _FLT_PORT *c = calloc(1, sizeof *c);
    if (!c)
        return STATUS_INSUFFICIENT_RESOURCES;
    c->kind = PORT_CLIENT;
    c->filter = s->filter;
    c->server = s;
    c->client_on_disconnect = s->on_disconnect;
    c->client_on_message = s->on_message;
    c->server_cookie_copy = s->server_cookie;
    c->kernel_open = TRUE;
    c->user_open = TRUE;
    c->number = ++n_clients;
    clients[c->number] = c;
    c->next = ports;
    ports = c;
    s->connections++;
    /* The context is the application's buffer: exactly its size. */
    void *ctx = NULL;
    if (context && context_size) {
        ctx = inflight[0] = malloc(context_size);
        if (!ctx) {
            c->kernel_open = c->user_open = FALSE;
            s->connections--;
            maybe_free_client(c);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memcpy(ctx, context, context_size);
    }
    PVOID cookie = NULL;
    KIRQL old = to_passive();
    NTSTATUS st = s->on_connect(c, s->server_cookie, ctx, ctx ? context_size : 0, &cookie);
    kf_set_irql(old);
    free(ctx);
    inflight[0] = NULL;
    if (!NT_SUCCESS(st)) {
        /* Refused: Filter Manager closes the client port itself. */
        for (struct _FLT_PORT *q = ports; q; q = q->next)
            if (q == c) {
                if (c->server)
                    c->server->connections--;
                c->server = NULL;
                c->kernel_open = c->user_open = FALSE;
                maybe_free_client(c);
                break;
            }
        return st;
    }
    c->connection_cookie = cookie;
    *client = c->number;
    return STATUS_SUCCESS;
}

NTSTATUS kf_flt_client_send(unsigned client, const void *in, ULONG in_size, void *out, ULONG out_size, ULONG *returned)
{
    if (returned)
        *returned = 0;
    struct _FLT_PORT *c = client_of(client);
    if (!c || !c->user_open || !c->kernel_open)
        return STATUS_PORT_DISCONNECTED;
    if (!c->client_on_message)
        return STATUS_INVALID_PARAMETER;
    void *ib = NULL, *ob = NULL;
    if (in) {
        ib = inflight[1] = malloc(in_size ? in_size : 1);
        if (!ib)
            return STATUS_INSUFFICIENT_RESOURCES;
        memcpy(ib, in, in_size);
    }
    if (out) {
        ob = inflight[2] = calloc(1, out_size ? out_size : 1);
        if (!ob) {
            free(ib);
            inflight[1] = NULL;
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    ULONG ret = 0;
    PVOID cookie = c->connection_cookie;
    PFLT_MESSAGE_NOTIFY fn = c->client_on_message;
    KIRQL old = to_passive();
    NTSTATUS st = fn(cookie, ib, ib ? in_size : 0, ob, ob ? out_size : 0, &ret);
    kf_set_irql(old);
    inflight[1] = inflight[2] = NULL;
    if (ob && ret > out_size) {
        free(ib);
        free(ob);
        kf_violation_stop(KF_VIOL_FLT_PORT_REPLY_OVERRUN, "MessageNotifyCallback", ret, out_size, 0,
                          "the message callback returned ReturnOutputBufferLength %lu for an OutputBuffer of "
                          "%lu bytes",
                          (unsigned long)ret, (unsigned long)out_size);
    }
    if (!ob && ret > 0) {
        free(ib);
        kf_violation_stop(KF_VIOL_FLT_PORT_REPLY_OVERRUN, "MessageNotifyCallback", ret, 0, 0,
                          "the message callback returned ReturnOutputBufferLength %lu without an OutputBuffer",
                          (unsigned long)ret);
    }
    if (ob && out)
        memcpy(out, ob, ret);
    if (returned)
        *returned = ret;
    free(ib);
    free(ob);
    return st;
}

int kf_flt_client_disconnect(unsigned client)
{
    struct _FLT_PORT *c = client_of(client);
    if (!c || !c->user_open)
        return -1;
    c->user_open = FALSE;
    PFLT_DISCONNECT_NOTIFY fn = c->client_on_disconnect;
    PVOID cookie = c->connection_cookie;
    if (!c->kernel_open) {
        maybe_free_client(c);
        return 0;
    }
    /* The callback normally closes the client port, which may free it. */
    KIRQL old = to_passive();
    fn(cookie);
    kf_set_irql(old);
    return 0;
}

int kf_flt_client_set_answer(unsigned client, kf_flt_answer answer, const void *reply, ULONG reply_size)
{
    struct _FLT_PORT *c = client_of(client);
    if (!c || reply_size > MAX_REPLY || (reply_size && !reply) || answer > KF_FLT_ANSWER_DISCONNECT)
        return -1;
    c->answer = answer;
    if (reply_size)
        memcpy(c->reply, reply, reply_size);
    c->reply_size = reply_size;
    return 0;
}

unsigned kf_flt_client_messages(unsigned client)
{
    struct _FLT_PORT *c = client_of(client);
    return c ? c->messages : 0;
}

ULONG kf_flt_client_last_message(unsigned client, void *buf, ULONG cap)
{
    struct _FLT_PORT *c = client_of(client);
    if (!c || !c->last)
        return 0;
    if (buf)
        memcpy(buf, c->last, c->last_size < cap ? c->last_size : cap);
    return c->last_size;
}

KF__NO_COVERAGE size_t kf_flt_ports_outstanding(void)
{
    size_t n = 0;
    for (struct _FLT_PORT *q = ports; q; q = q->next)
        if (q->kind == PORT_SERVER || q->kernel_open)
            n++;
    for (int i = 0; i < MAX_SD; i++)
        if (sds[i])
            n++;
    return n;
}

/* The name of the index-th server port still open, oldest first (kfault/flt_model.h). */
ULONG kf_flt_server_port_name(unsigned index, WCHAR *buf, ULONG cap)
{
    unsigned open = 0;
    for (struct _FLT_PORT *q = ports; q; q = q->next)
        open += q->kind == PORT_SERVER;
    if (index >= open)
        return 0;
    unsigned want = open - 1 - index, k = 0; /* the list holds the newest first */
    for (struct _FLT_PORT *q = ports; q; q = q->next) {
        if (q->kind != PORT_SERVER || k++ != want)
            continue;
        if (!buf || cap <= q->name_chars)
            return 0;
        memcpy(buf, q->name, (size_t)q->name_chars * sizeof(WCHAR));
        buf[q->name_chars] = 0;
        return q->name_chars;
    }
    return 0;
}

/* For the driver harness's finding (kfault/flt_model.h): kf_flt_ports_outstanding, told apart. */
void kf_flt_ports_left(size_t *server_ports, size_t *client_ports, size_t *security_descriptors)
{
    size_t s = 0, c = 0, d = 0;
    for (struct _FLT_PORT *q = ports; q; q = q->next) {
        if (q->kind == PORT_SERVER)
            s++;
        else if (q->kernel_open)
            c++;
    }
    for (int i = 0; i < MAX_SD; i++)
        if (sds[i])
            d++;
    if (server_ports)
        *server_ports = s;
    if (client_ports)
        *client_ports = c;
    if (security_descriptors)
        *security_descriptors = d;
}

/* ---- FP-8 Unload ------------------------------------------------------------------------------ */

void kf__flt_ports_at_unregister(struct _FLT_FILTER *f)
{
    /* Filter Manager calls DisconnectNotify for each connection still open when the filter is
     * about to unload; the callback normally closes the client port. */
    for (unsigned i = 1; i <= KF_FLT_MAX_CLIENTS; i++) {
        struct _FLT_PORT *c = clients[i];
        if (c && c->filter == f && c->user_open && c->kernel_open)
            kf_flt_client_disconnect(i);
    }
    size_t servers = 0, open_clients = 0;
    for (struct _FLT_PORT *q = ports; q; q = q->next) {
        if (q->filter != f)
            continue;
        if (q->kind == PORT_SERVER)
            servers++;
        else if (q->kernel_open)
            open_clients++;
    }
    if (servers || open_clients)
        kf_violation_stop(KF_VIOL_FLT_PORT_OPEN_AT_UNREGISTER, "FltUnregisterFilter", servers, open_clients, 0,
                          "FltUnregisterFilter with %zu server port(s) open and %zu client port(s) not closed "
                          "(each holds a reference on the filter: a real unload waits forever)",
                          servers, open_clients);
}

/* ---- Reset -------------------------------------------------------------------------------------- */

static void ports_reset(void)
{
    while (ports) {
        struct _FLT_PORT *p = ports;
        ports = p->next;
        free(p->last);
        free(p);
    }
    memset(clients, 0, sizeof clients);
    n_clients = 0;
    for (int i = 0; i < 3; i++) {
        free(inflight[i]);
        inflight[i] = NULL;
    }
    for (int i = 0; i < MAX_SD; i++) {
        free(sds[i]);
        sds[i] = NULL;
    }
}

__attribute__((constructor)) static void ports_register(void)
{
    kf__register_reset(ports_reset);
    kf__flt_ports_outstanding = kf_flt_ports_outstanding;
}
