/*
 * oracle_fltq.c - what must happen when the conformance runner's filter queues deferred I/O
 * work items on its callback data and works a cancel-safe callback data queue (scenario format
 * version 15): the status of a deferred queue and the stops of FW-3, and for every FltCbdq
 * routine the stop, the status, which of the queue's callbacks run and what the queue then
 * holds (FW-7 to FW-9). Also the operand tables of these operations.
 *
 * Written from the rules FW-1, FW-3 to FW-9 (and FX-12 to FX-15, which decide what the rules
 * leave open) of model/SEMANTICS.md, never from the model's source. Must never call into the
 * model to decide a prediction: the IRQL and the runner's own record of its items, callback
 * data and queues are its only inputs. Allocation, freeing and the routines' return are the
 * generic items' rules and predicted by harness/oracle_fltwork.c.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

static const char *const dw_misuse_names[KFH_DW_MIS_COUNT] = {"", "null_routine", "queue_type", "null_data",
                                                              "foreign_item", "not_irp"};
static const char *const dw_free_names[KFH_DW_FREE_COUNT] = {"", "again", "foreign", "generic"};
static const char *const cq_mis_names[KFH_CQ_MIS_COUNT] = {"", "null_cbd", "not_irp"};
static const char *const cq_answer_names[KFH_CQ_ANSWER_COUNT] = {"", "pending", "fail"};
static const char *const cq_bad_names[KFH_CQ_BAD_COUNT] = {"", "reenter", "reenter_acquire", "reenter_release",
                                                           "unbalanced", "peek_foreign"};

const char *kfh_dw_misuse_name(int misuse) { return dw_misuse_names[(unsigned)misuse % KFH_DW_MIS_COUNT]; }
const char *kfh_dw_free_name(int variant) { return dw_free_names[(unsigned)variant % KFH_DW_FREE_COUNT]; }
const char *kfh_cq_mis_name(int misuse) { return cq_mis_names[(unsigned)misuse % KFH_CQ_MIS_COUNT]; }
const char *kfh_cq_answer_name(int answer) { return cq_answer_names[(unsigned)answer % KFH_CQ_ANSWER_COUNT]; }
const char *kfh_cq_bad_name(int bad) { return cq_bad_names[(unsigned)bad % KFH_CQ_BAD_COUNT]; }

void kfh_oracle_dw_queue(KIRQL irql, int item, int misuse, ULONG queue_type, const kfh_dw_data *data, kfh_wi_pred *out)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = "FW-3, FX-12";
    /* FW-2's checks first (FW-3 says so), in FW-2's order; then Data's own, in FW-3's. */
    if (irql > DISPATCH_LEVEL)
        kfh_pred_irql(&out->stop, out->rule, DISPATCH_LEVEL, irql);
    else if (item == KFH_WI_ITEM_NONE || misuse == KFH_DW_MIS_ITEM)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_INVALID, 1, 0, 0);
    else if (item == KFH_WI_ITEM_QUEUED)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_REQUEUE, 1, 0, 0);
    else if (misuse == KFH_DW_MIS_NULL_ROUTINE)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 2, 3, 0);
    else if (misuse == KFH_DW_MIS_QUEUE_TYPE || (queue_type != CriticalWorkQueue && queue_type != DelayedWorkQueue))
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 3, 4, queue_type);
    else if (misuse == KFH_DW_MIS_NULL_DATA || data->null)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 2, 2, 0);
    else if (misuse == KFH_DW_MIS_NOT_IRP || !data->irp || data->paging)
        out->status = STATUS_FLT_NOT_SAFE_TO_POST_OPERATION;
    else if (data->instance == KFH_WI_OBJECT_FOREIGN)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 2, 2, 0);
    else if (data->instance == KFH_WI_OBJECT_GOING)
        out->status = STATUS_FLT_DELETING_OBJECT;
}

/* FltCbdqInitialize (FW-7): any IRQL; every argument, in the order of the prototype; then the
 * Instance. A queue initialized again starts over, enabled. */
static void cq_init(const kfh_cq_in *in, kfh_cq_pred *out)
{
    out->rule = "FW-7, FX-15";
    if (in->init_misuse >= 1 && in->init_misuse <= 8)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, 2, (ULONG_PTR)in->init_misuse, 0);
    else if (in->init_misuse == KFH_CQ_INIT_FOREIGN_INSTANCE)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_INVALID_INSTANCE, 1, 0, 0);
}

/* The lock of an operation that takes it (FW-7, FX-13, FX-14): Acquire, the callbacks, Release.
 * `first_called`: the first callback under the lock (InsertIo, RemoveIo or PeekNextIo) is called;
 * `first_changes`: the entry has changed when that callback is (RemoveIo: it is out already).
 * Returns 1 when a stop ends the operation. */
static int cq_lock(const kfh_cq_in *in, kfh_cq_pred *out, int first_called, int first_changes)
{
    out->locked = 1;
    if (in->bad == KFH_CQ_BAD_REENTER_ACQUIRE) {
        kfh_pred_violation(&out->stop, "FW-7, FX-14", KF_VIOL_FLT_CBDQ_REENTERED, 1, 0, 0);
        return 1;
    }
    if (in->bad == KFH_CQ_BAD_REENTER && first_called) {
        out->changed = first_changes;
        kfh_pred_violation(&out->stop, "FW-7, FX-14", KF_VIOL_FLT_CBDQ_REENTERED, 1, 0, 0);
        return 1;
    }
    return 0;
}

/* After the callbacks: Release, then FW-7's comparison of the IRQL before Acquire and after
 * Release. The runner's Acquire raises to DISPATCH_LEVEL; its unbalanced Release leaves it there. */
static void cq_unlock(const kfh_cq_in *in, kfh_cq_pred *out)
{
    if (in->bad == KFH_CQ_BAD_REENTER_RELEASE)
        kfh_pred_violation(&out->stop, "FW-7, FX-14", KF_VIOL_FLT_CBDQ_REENTERED, 1, 0, 0);
    else if (in->bad == KFH_CQ_BAD_UNBALANCED && in->irql < DISPATCH_LEVEL)
        kfh_pred_violation(&out->stop, "FW-7, FX-13", KF_VIOL_FLT_CBDQ_LOCK_UNBALANCED, 3, in->irql, DISPATCH_LEVEL);
}

void kfh_oracle_cq(const kfh_cq_in *in, kfh_cq_pred *out)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->returned = -1;
    if (in->op == KFH_OP_CQ_INIT) {
        cq_init(in, out);
        return;
    }
    if (in->op == KFH_OP_CQ_CANCEL) {
        /* The I/O manager's cancel (FW-8): nothing to cancel unless the entry is queued. */
        out->rule = "FW-8, FX-13";
        if (!in->initialized || !in->in_queue)
            return;
        out->returned = 0;
        if (cq_lock(in, out, 1, 1))
            return;
        out->changed = 1;
        cq_unlock(in, out);
        out->completed = !out->stop.stops;
        return;
    }
    /* FW-7: the IRQL, a queue never initialized, then the routine's own checks. */
    out->rule = in->op == KFH_OP_CQ_INSERT ? "FW-8" : in->op == KFH_OP_CQ_ENABLE || in->op == KFH_OP_CQ_DISABLE
                                                          ? "FW-7, FW-8"
                                                          : "FW-8, FX-13";
    if (in->irql > DISPATCH_LEVEL) {
        kfh_pred_irql(&out->stop, out->rule, DISPATCH_LEVEL, in->irql);
        return;
    }
    if (!in->initialized) {
        kfh_pred_violation(&out->stop, "FW-7", KF_VIOL_FLT_CBDQ_NOT_INITIALIZED, 1, 0, 0);
        return;
    }
    switch (in->op) {
    case KFH_OP_CQ_INSERT:
        if (in->null_arg || in->not_irp || in->in_queue) {
            kfh_pred_violation(&out->stop, "FW-8, FX-15", KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, 2, 2, 0);
            return;
        }
        if (!in->enabled) {
            out->status = STATUS_FLT_CBDQ_DISABLED;
            return;
        }
        out->insert_io = 1;
        if (cq_lock(in, out, 1, 0))
            return;
        out->status = in->answer == KFH_CQ_ANSWER_SUCCESS   ? STATUS_SUCCESS
                      : in->answer == KFH_CQ_ANSWER_PENDING ? STATUS_PENDING
                                                            : STATUS_INSUFFICIENT_RESOURCES;
        out->changed = NT_SUCCESS(out->status);
        cq_unlock(in, out);
        return;
    case KFH_OP_CQ_REMOVE:
        if (in->null_arg) {
            kfh_pred_violation(&out->stop, "FW-8", KF_VIOL_FLT_CBDQ_BAD_ARGUMENT, 2, 2, 0);
            return;
        }
        if (cq_lock(in, out, in->found, 1))
            return;
        out->changed = in->found;
        out->returned = in->found ? 0 : -1;
        cq_unlock(in, out);
        return;
    case KFH_OP_CQ_NEXT:
        /* PeekNextIo is called first, whatever the queue holds. */
        if (cq_lock(in, out, 1, 0))
            return;
        if (in->bad == KFH_CQ_BAD_PEEK_FOREIGN) {
            kfh_pred_violation(&out->stop, "FW-8", KF_VIOL_FLT_CBDQ_PEEK_FOREIGN, 1, 0, 0);
            return;
        }
        out->changed = in->found;
        out->returned = in->found ? 0 : -1;
        cq_unlock(in, out);
        return;
    default: /* enable, disable: no callback */
        return;
    }
}

void kfh_oracle_cq_unregister(size_t entries, kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    if (entries)
        kfh_pred_violation(out, "FW-9", KF_VIOL_FLT_CBDQ_OUTSTANDING_AT_UNREGISTER, 2, entries, 0);
}
