/*
 * oracle_fltport.c - what must happen when the conformance runner's filter builds and frees
 * security descriptors, creates and closes communication ports and sends its client messages,
 * and when its client (the application the runner plays) connects and sends (scenario format
 * version 15): the site consulted, the status, the stops of the misuse FP-1 to FP-7 document,
 * what a send delivers and how long it waits. Also the operand tables of the port operations.
 *
 * Written from the rules FP-1 to FP-8 (and FX-16 to FX-19, which decide what the rules leave
 * open) of model/SEMANTICS.md, never from the model's source. Must never call into the model to
 * decide a prediction: the IRQL, the runner's own record of its ports, descriptors and client,
 * and the fault decision are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

#ifndef STATUS_PORT_DISCONNECTED
#define STATUS_PORT_DISCONNECTED ((NTSTATUS)0xC0000037L)
#endif

static const char *const name_texts[KFH_PORT_NAMES] = {"\\KfaultPort", "\\KFAULTPORT", "\\KfaultScan",
                                                       "\\KfaultSpare"};
static const WCHAR name_wide[KFH_PORT_NAMES][16] = {L"\\KfaultPort", L"\\KFAULTPORT", L"\\KfaultScan",
                                                    L"\\KfaultSpare"};
static const char *const sd_free_names[KFH_SD_FREE_COUNT] = {"", "again", "foreign", "null"};
static const char *const pc_misuse_names[KFH_PC_MIS_COUNT] = {"",        "null_port",  "null_attributes",
                                                              "null_connect", "null_disconnect", "user_handle",
                                                              "no_name"};
static const char *const pcl_names[KFH_PCL_COUNT] = {"", "again", "foreign", "null"};
static const char *const pcc_names[KFH_PCC_COUNT] = {"", "copy", "server", "null"};
static const char *const timeout_names[KFH_PS_T_COUNT] = {"none", "zero", "relative", "absolute"};
static const char *const ps_misuse_names[KFH_PS_MIS_COUNT] = {"", "null_port", "null_sender", "no_length", "server"};

const char *kfh_port_name_text(int index) { return name_texts[(unsigned)index % KFH_PORT_NAMES]; }
const WCHAR *kfh_port_name_at(int index) { return name_wide[(unsigned)index % KFH_PORT_NAMES]; }
const char *kfh_sd_free_name(int variant) { return sd_free_names[(unsigned)variant % KFH_SD_FREE_COUNT]; }
const char *kfh_pc_misuse_name(int misuse) { return pc_misuse_names[(unsigned)misuse % KFH_PC_MIS_COUNT]; }
const char *kfh_pcl_name(int variant) { return pcl_names[(unsigned)variant % KFH_PCL_COUNT]; }
const char *kfh_pcc_name(int variant) { return pcc_names[(unsigned)variant % KFH_PCC_COUNT]; }
const char *kfh_ps_timeout_name(int timeout) { return timeout_names[(unsigned)timeout % KFH_PS_T_COUNT]; }
const char *kfh_ps_misuse_name(int misuse) { return ps_misuse_names[(unsigned)misuse % KFH_PS_MIS_COUNT]; }

static void start(kfh_port_pred *out, const char *rule)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = rule;
}

static int irql_stop(kfh_port_pred *out, KIRQL irql, KIRQL max)
{
    if (irql <= max)
        return 0;
    kfh_pred_irql(&out->stop, out->rule, max, irql);
    return 1;
}

/* 0x3901 with the argument's position in the prototype (FP-1, FP-2, FP-4). */
static void null_argument(kfh_port_pred *out, int position)
{
    kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_PORT_NULL_ARGUMENT, 2, (ULONG_PTR)position, 0);
}

/* 0x3900 with the kind of port the routine wanted (1 server, 2 client: FX-17). */
static void not_a_port(kfh_port_pred *out, int kind)
{
    kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_PORT_INVALID, 2, (ULONG_PTR)kind, 0);
}

void kfh_oracle_sd_build(KIRQL irql, int null, kf_fault_kind decided, kfh_port_pred *out)
{
    start(out, "FP-1");
    if (irql_stop(out, irql, APC_LEVEL))
        return;
    if (null) {
        null_argument(out, 1);
        return;
    }
    out->n_sites = 1;
    if (decided != KF_FAULT_NONE)
        out->status = STATUS_INSUFFICIENT_RESOURCES;
}

void kfh_oracle_sd_free(KIRQL irql, int state, kfh_port_pred *out)
{
    start(out, "FP-1");
    if (irql_stop(out, irql, APC_LEVEL))
        return;
    if (state == KFH_PORT_NULL)
        null_argument(out, 1);
    else if (state == KFH_PORT_NONE)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_PORT_BAD_SECURITY_DESCRIPTOR, 1, 0, 0);
}

void kfh_oracle_port_create(KIRQL irql, int misuse, LONG max, int collides, kf_fault_kind decided, kfh_port_pred *out)
{
    start(out, "FP-2");
    if (irql_stop(out, irql, PASSIVE_LEVEL))
        return;
    /* FX-18: the NULL pointers in the order of the prototype, then the parameters, the name, the
     * site. */
    switch (misuse) {
    case KFH_PC_MIS_NULL_PORT: null_argument(out, 2); return;
    case KFH_PC_MIS_NULL_ATTRIBUTES: null_argument(out, 3); return;
    case KFH_PC_MIS_NULL_CONNECT: null_argument(out, 5); return;
    case KFH_PC_MIS_NULL_DISCONNECT: null_argument(out, 6); return;
    default: break;
    }
    if (misuse == KFH_PC_MIS_USER_HANDLE || misuse == KFH_PC_MIS_NO_NAME || max <= 0) {
        out->status = STATUS_INVALID_PARAMETER;
        return;
    }
    if (collides) {
        out->status = STATUS_OBJECT_NAME_COLLISION;
        return;
    }
    out->n_sites = 1;
    if (decided != KF_FAULT_NONE)
        out->status = STATUS_INSUFFICIENT_RESOURCES;
}

void kfh_oracle_port_close(KIRQL irql, int state, kfh_port_pred *out)
{
    start(out, "FP-3");
    if (irql_stop(out, irql, PASSIVE_LEVEL))
        return;
    if (state == KFH_PORT_NULL)
        null_argument(out, 1);
    else if (state == KFH_PORT_NONE)
        not_a_port(out, 1);
}

void kfh_oracle_port_close_client(KIRQL irql, int null, int state, kfh_port_pred *out)
{
    start(out, "FP-3");
    if (irql_stop(out, irql, PASSIVE_LEVEL))
        return;
    if (null)
        null_argument(out, 2);
    else if (state == KFH_PORT_NONE)
        not_a_port(out, 2);
    /* *ClientPort NULL: nothing happens (FP-3). */
}

/* A wait nobody ends (FP-5): with Timeout NULL a stop, else STATUS_TIMEOUT once it passed. */
static void wait_forever(kfh_port_pred *out, int timeout)
{
    if (timeout == KFH_PS_T_NONE) {
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_PORT_SEND_DEADLOCK, 1, 0, 0);
        return;
    }
    out->status = STATUS_TIMEOUT;
    out->waits = 1;
}

void kfh_oracle_port_send(KIRQL irql, int misuse, int state, int app_open, int answer, ULONG reply_size,
                          int with_reply, ULONG room, int timeout, kf_fault_kind decided, kfh_port_pred *out)
{
    start(out, "FP-4");
    out->reply_length = room;
    if (irql_stop(out, irql, APC_LEVEL))
        return;
    /* FX-17: the NULL arguments by position, then the port the variable holds. */
    if (misuse == KFH_PS_MIS_NULL_PORT) {
        null_argument(out, 2);
        return;
    }
    if (misuse == KFH_PS_MIS_NULL_SENDER) {
        null_argument(out, 3);
        return;
    }
    if (misuse == KFH_PS_MIS_NO_LENGTH && with_reply) {
        null_argument(out, 6);
        return;
    }
    if (misuse != KFH_PS_MIS_SERVER && state == KFH_PORT_NULL) {
        out->status = STATUS_PORT_DISCONNECTED;
        return;
    }
    if (misuse == KFH_PS_MIS_SERVER || state == KFH_PORT_NONE) {
        not_a_port(out, 2);
        return;
    }
    if (!app_open) {
        out->status = STATUS_PORT_DISCONNECTED;
        return;
    }
    out->n_sites = 1;
    if (decided != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    out->rule = "FP-5";
    if (answer == KFH_ANSWER_NEVER_READ) {
        wait_forever(out, timeout);
        return;
    }
    out->delivered = 1;
    /* The client that reads and closes its handle: the disconnect callback runs, and only a
     * caller waiting for a reply loses the connection; without a ReplyBuffer the read ended
     * the wait. */
    out->disconnects = answer == KFH_ANSWER_DISCONNECT;
    if (!with_reply)
        return;
    if (answer == KFH_ANSWER_DISCONNECT) {
        out->status = STATUS_PORT_DISCONNECTED;
        return;
    }
    if (answer == KFH_ANSWER_NO_REPLY) {
        wait_forever(out, timeout);
        return;
    }
    out->rule = "FP-6";
    out->reply_length = reply_size < room ? reply_size : room;
    if (reply_size > room)
        out->status = STATUS_BUFFER_OVERFLOW;
}

void kfh_oracle_client_connect(int found, LONG connections, LONG max, int refused, kfh_port_pred *out)
{
    start(out, "FP-7");
    if (!found)
        out->status = STATUS_OBJECT_NAME_NOT_FOUND;
    else if (connections >= max)
        out->status = STATUS_CONNECTION_COUNT_LIMIT;
    else if (refused)
        out->status = STATUS_ACCESS_DENIED; /* the runner's connect callback's refusal, unchanged */
}

void kfh_oracle_client_send(int connected, int has_callback, ULONG claim, int with_out, ULONG room, kfh_port_pred *out)
{
    start(out, "FP-7");
    if (!connected)
        out->status = STATUS_PORT_DISCONNECTED;
    else if (!has_callback)
        out->status = STATUS_INVALID_PARAMETER;
    else if (with_out ? claim > room : claim > 0)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_PORT_REPLY_OVERRUN, 3, claim, with_out ? room : 0);
    else
        out->reply_length = claim;
}

void kfh_oracle_port_unregister(size_t servers, size_t clients, kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    /* FP-8: after the disconnect callbacks, what is still open stops the unregistration. */
    if (servers || clients)
        kfh_pred_violation(out, "FP-8", KF_VIOL_FLT_PORT_OPEN_AT_UNREGISTER, 3, servers, clients);
}

const char *kfh_port_status_name(NTSTATUS s, char *buf, size_t len)
{
    switch (s) {
    case STATUS_PORT_DISCONNECTED: return "STATUS_PORT_DISCONNECTED";
    case STATUS_TIMEOUT: return "STATUS_TIMEOUT";
    case STATUS_OBJECT_NAME_COLLISION: return "STATUS_OBJECT_NAME_COLLISION";
    case STATUS_CONNECTION_COUNT_LIMIT: return "STATUS_CONNECTION_COUNT_LIMIT";
    case STATUS_BUFFER_OVERFLOW: return "STATUS_BUFFER_OVERFLOW";
    case STATUS_ACCESS_DENIED: return "STATUS_ACCESS_DENIED";
    default: return kfh_ctx_status_name(s, buf, len);
    }
}
