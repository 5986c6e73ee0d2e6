/*
 * oracle_fltwork.c - what must happen when the conformance runner's filter allocates, queues
 * and frees Filter Manager generic work items and when their routines run (scenario format
 * version 14): the site consulted, the item or NULL, the status of a queue, the stops of the
 * misuse FW-1, FW-2 and FW-4 document and the bug check of FW-5. Also the operand tables of
 * the work item operations.
 *
 * Written from the rules FW-1, FW-2, FW-4 and FW-5 (and FX-8 to FX-11, which decide what the
 * rules leave open) of model/SEMANTICS.md, never from the model's source. Must never call into
 * the model to decide a prediction: the IRQL, the runner's own record of its items and objects
 * and the fault decision are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0xE1

static const char *const misuse_names[KFH_WI_MIS_COUNT] = {"", "null_routine", "queue_type", "foreign_object",
                                                           "foreign_item"};
static const char *const do_names[KFH_WI_DO_COUNT] = {"return", "free", "requeue", "bad_irql"};
static const char *const free_names[KFH_WI_FREE_COUNT] = {"", "again", "foreign"};
static const char *const object_names[KFH_WI_OBJ_COUNT] = {"filter", "instance0", "instance1", "instance2",
                                                           "instance3"};

const char *kfh_wi_misuse_name(int misuse) { return misuse_names[(unsigned)misuse % KFH_WI_MIS_COUNT]; }
const char *kfh_wi_do_name(int action) { return do_names[(unsigned)action % KFH_WI_DO_COUNT]; }
const char *kfh_wi_free_name(int variant) { return free_names[(unsigned)variant % KFH_WI_FREE_COUNT]; }
const char *kfh_wi_object_name(int object) { return object_names[(unsigned)object % KFH_WI_OBJ_COUNT]; }

static void start(kfh_wi_pred *out, const char *rule)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = rule;
}

/* The work item routines are callable at IRQL <= DISPATCH_LEVEL (FW-1, FW-2, FW-4). */
static int irql_stop(kfh_wi_pred *out, KIRQL irql)
{
    if (irql <= DISPATCH_LEVEL)
        return 0;
    kfh_pred_irql(&out->stop, out->rule, DISPATCH_LEVEL, irql);
    return 1;
}

static void viol(kfh_wi_pred *out, ULONG code, int n_params, ULONG_PTR p2, ULONG_PTR p3)
{
    kfh_pred_violation(&out->stop, out->rule, code, n_params, p2, p3);
}

void kfh_oracle_wi_alloc(KIRQL irql, kf_fault_kind decided, kfh_wi_pred *out)
{
    start(out, "FW-1");
    if (irql_stop(out, irql))
        return;
    out->n_sites = 1;
    out->allocated = decided == KF_FAULT_NONE;
}

void kfh_oracle_wi_queue(KIRQL irql, int item, int misuse, ULONG queue_type, int object, kfh_wi_pred *out)
{
    start(out, "FW-2");
    if (irql_stop(out, irql))
        return;
    /* FW-2's order: the item, then a queued one, then the arguments in order of position. */
    if (item == KFH_WI_ITEM_NONE || misuse == KFH_WI_MIS_ITEM)
        viol(out, KF_VIOL_FLT_WORKITEM_INVALID, 1, 0, 0);
    else if (item == KFH_WI_ITEM_QUEUED)
        viol(out, KF_VIOL_FLT_WORKITEM_REQUEUE, 1, 0, 0);
    else if (misuse == KFH_WI_MIS_NULL_ROUTINE)
        viol(out, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 2, 3, 0);
    else if (misuse == KFH_WI_MIS_QUEUE_TYPE || (queue_type != CriticalWorkQueue && queue_type != DelayedWorkQueue))
        viol(out, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 3, 4, queue_type);
    else if (misuse == KFH_WI_MIS_OBJECT || object == KFH_WI_OBJECT_FOREIGN)
        viol(out, KF_VIOL_FLT_WORKITEM_BAD_ARGUMENT, 2, 2, 0);
    else if (object == KFH_WI_OBJECT_GOING)
        out->status = STATUS_FLT_DELETING_OBJECT;
}

void kfh_oracle_wi_free(KIRQL irql, int item, kfh_wi_pred *out)
{
    start(out, "FW-4");
    if (irql_stop(out, irql))
        return;
    if (item == KFH_WI_ITEM_NONE)
        viol(out, KF_VIOL_FLT_WORKITEM_INVALID, 1, 0, 0);
    else if (item == KFH_WI_ITEM_QUEUED)
        viol(out, KF_VIOL_FLT_WORKITEM_FREE_QUEUED, 1, 0, 0);
}

void kfh_oracle_wi_return(KIRQL irql, kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    if (irql == PASSIVE_LEVEL)
        return;
    /* FX-10: Parameter1, the routine's address in Windows, is 0 (no host address is a value). */
    out->stops = 1;
    out->code = WORKER_THREAD_RETURNED_AT_BAD_IRQL;
    out->param[0] = 0;
    out->param[1] = irql;
    out->n_params = 2;
    out->rule = "FW-5, FX-10";
}
