/*
 * oracle_fltecp.c - what must happen when the conformance runner's filter allocates, inserts,
 * finds, walks, removes and frees extra create parameters (ECPs) and their lists, marks them,
 * keeps ECP lookaside lists, and gets or sets the list of a create (scenario format version 15):
 * the site consulted, the status, the stops of FE-1 to FE-11 in their order. Also the operand
 * tables of the ECP operations.
 *
 * Written from the rules FE-1 to FE-14 (and FX-28 to FX-31, which decide what the rules leave
 * open) of model/SEMANTICS.md, never from the model's source. Must never call into the model to
 * decide a prediction: the IRQL, the profile, the runner's own record of its lists, ECPs,
 * lookaside lists and callback data, and the fault decision are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

#define BAD_POOL_CALLER_CODE 0xC2
/* The largest ECP FE-4 allows. */
#define ECP_MAX (16u * 1024 * 1024)

static const char *const routine_names[KFH_ECP_R_COUNT] = {
    "FltAllocateExtraCreateParameterList", "FltFreeExtraCreateParameterList", "FltAllocateExtraCreateParameter",
    "FltAllocateExtraCreateParameterFromLookasideList", "FltFreeExtraCreateParameter", "FltInsertExtraCreateParameter",
    "FltRemoveExtraCreateParameter", "FltFindExtraCreateParameter", "FltGetNextExtraCreateParameter",
    "FltAcknowledgeEcp", "FltIsEcpAcknowledged", "FltPrepareToReuseEcp", "FltIsEcpFromUserMode",
    "FltInitExtraCreateParameterLookasideList", "FltDeleteExtraCreateParameterLookasideList",
    "FltGetEcpListFromCallbackData", "FltSetEcpListIntoCallbackData",
};
static const char *const ecpl_mis_names[KFH_ECPL_MIS_COUNT] = {"", "null_list", "bad_flags"};
static const char *const ecp_mis_names[KFH_ECP_MIS_COUNT] = {"", "null_type", "null_context", "bad_flags", "bad_tag"};
static const char *const pass_names[KFH_ECP_PASS_COUNT] = {"", "again", "foreign", "null"};
static const char *const mark_names[KFH_ECP_MARK_COUNT] = {"ack", "is_ack", "reuse", "from_user"};
static const char *const la_mis_names[KFH_ECP_LA_MIS_COUNT] = {"", "bad_flags", "bad_tag"};
static const ULONG sizes[KFH_ECP_SIZES] = {0, 16, 200, ECP_MAX + 1};
static const char *const size_names[KFH_ECP_SIZES] = {"0", "16", "200", "huge"};
/* The runner's own ECP types: GUIDs of no system ECP. */
static const GUID types[KFH_ECP_TYPES] = {
    {0x6b664543, 0x0000, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 0}},
    {0x6b664543, 0x0001, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 1}},
    {0x6b664543, 0x0002, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 2}},
    {0x6b664543, 0x0003, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 3}},
};

const char *kfh_ecp_routine_name(int routine) { return routine_names[(unsigned)routine % KFH_ECP_R_COUNT]; }
const char *kfh_ecpl_misuse_name(int misuse) { return ecpl_mis_names[(unsigned)misuse % KFH_ECPL_MIS_COUNT]; }
const char *kfh_ecp_misuse_name(int misuse) { return ecp_mis_names[(unsigned)misuse % KFH_ECP_MIS_COUNT]; }
const char *kfh_ecp_pass_name(int pass) { return pass_names[(unsigned)pass % KFH_ECP_PASS_COUNT]; }
const char *kfh_ecp_mark_name(int mark) { return mark_names[(unsigned)mark % KFH_ECP_MARK_COUNT]; }
const char *kfh_ecp_la_misuse_name(int misuse) { return la_mis_names[(unsigned)misuse % KFH_ECP_LA_MIS_COUNT]; }
ULONG kfh_ecp_size_at(int i) { return sizes[(unsigned)i % KFH_ECP_SIZES]; }
const char *kfh_ecp_size_name(int i) { return size_names[(unsigned)i % KFH_ECP_SIZES]; }
const GUID *kfh_ecp_type_at(int t) { return &types[(unsigned)t % KFH_ECP_TYPES]; }

static void viol(kfh_ecp_pred *out, ULONG code, int n, ULONG_PTR p2, ULONG_PTR p3)
{
    kfh_pred_violation(&out->stop, out->rule, code, n, p2, p3);
}

/* FE-1: availability (Vista, FltPrepareToReuseEcp Windows 8), then IRQL <= APC_LEVEL; the
 * runner passes only its registered filter, so the third check never stops. */
static int enter(const kfh_ecp_in *in, kfh_ecp_pred *out)
{
    int first = in->routine == KFH_ECP_R_REUSE ? KF_OS_WIN8 : KF_OS_VISTA;
    if (in->os < first) {
        viol(out, KF_VIOL_ROUTINE_UNAVAILABLE, 1, 0, 0);
        out->stop.rule = "FE-1";
        return 1;
    }
    if (in->irql > APC_LEVEL) {
        kfh_pred_irql(&out->stop, "FE-1", APC_LEVEL, in->irql);
        return 1;
    }
    return 0;
}

/* FE-3 and FE-6: a list or ECP pointer that is NULL or never allocated, or one freed. The
 * parameters after the code (a serial, or where it went wrong) are not fixed by the rules. */
static int bad_list(int state, kfh_ecp_pred *out)
{
    if (state == KFH_ECP_PTR_NULL || state == KFH_ECP_PTR_FOREIGN)
        viol(out, KF_VIOL_FLT_ECP_LIST_INVALID, 1, 0, 0);
    else if (state == KFH_ECP_PTR_FREED)
        viol(out, KF_VIOL_FLT_ECP_LIST_FREED, 1, 0, 0);
    return out->stop.stops;
}

static int bad_ecp(int state, kfh_ecp_pred *out)
{
    if (state == KFH_ECP_PTR_NULL || state == KFH_ECP_PTR_FOREIGN)
        viol(out, KF_VIOL_FLT_ECP_INVALID, 1, 0, 0);
    else if (state == KFH_ECP_PTR_FREED)
        viol(out, KF_VIOL_FLT_ECP_FREED, 1, 0, 0);
    return out->stop.stops;
}

/* FE-5 (P-5): a pool tag of zero is BAD_POOL_CALLER 0x9B with the pool type and the size. */
static void tag_zero(kfh_ecp_pred *out, int nonpaged, ULONG_PTR size)
{
    kfh_pred_stop(&out->stop, "FE-5", BAD_POOL_CALLER_CODE, 3, 0x9B, nonpaged ? NonPagedPool : PagedPool, size);
}

/* FE-4: the site, then the size bound after it. */
static void allocate(const kfh_ecp_in *in, kfh_ecp_pred *out)
{
    out->n_sites = 1;
    if (in->decided != KF_FAULT_NONE || in->size > ECP_MAX)
        out->status = STATUS_INSUFFICIENT_RESOURCES;
    else
        out->made = 1;
}

void kfh_oracle_ecp(const kfh_ecp_in *in, kfh_ecp_pred *out)
{
    static const char *const rules[KFH_ECP_R_COUNT] = {
        "FE-2", "FE-3", "FE-4, FE-5", "FE-4, FE-10", "FE-8", "FE-6", "FE-8", "FE-7", "FE-7", "FE-9", "FE-9",
        "FE-9", "FE-9", "FE-10", "FE-10", "FE-11", "FE-11",
    };
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = rules[(unsigned)in->routine % KFH_ECP_R_COUNT];
    if (enter(in, out))
        return;
    switch (in->routine) {
    case KFH_ECP_R_LIST_ALLOC:
        if (in->misuse == KFH_ECPL_MIS_NULL)
            viol(out, KF_VIOL_FLT_ECP_NULL_ARGUMENT, 2, 3, 0);
        else if (in->misuse == KFH_ECPL_MIS_FLAGS)
            viol(out, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, 2, in->flags, 0);
        else {
            out->n_sites = 1;
            out->made = in->decided == KF_FAULT_NONE;
            if (!out->made)
                out->status = STATUS_INSUFFICIENT_RESOURCES;
        }
        return;
    case KFH_ECP_R_LIST_FREE:
        /* FE-3, FX-30: the pointer, then the list's own state (came down with a create, attached to
         * one), then what it holds. */
        if (bad_list(in->list, out))
            return;
        if (in->list_above)
            viol(out, KF_VIOL_FLT_ECP_NOT_OWNED, 1, 0, 0);
        else if (in->list_attached)
            viol(out, KF_VIOL_FLT_ECP_LIST_ATTACHED, 1, 0, 0);
        else if (in->list_holds_above)
            viol(out, KF_VIOL_FLT_ECP_NOT_OWNED, 1, 0, 0);
        return;
    case KFH_ECP_R_ALLOC:
    case KFH_ECP_R_ALLOC_LA: {
        /* FE-4: EcpType (2), EcpContext (7), Flags, then the tag or the lookaside list, the site. */
        int la = in->routine == KFH_ECP_R_ALLOC_LA;
        if (in->misuse == KFH_ECP_MIS_NULL_TYPE)
            viol(out, KF_VIOL_FLT_ECP_NULL_ARGUMENT, 2, 2, 0);
        else if (in->misuse == KFH_ECP_MIS_NULL_CONTEXT)
            viol(out, KF_VIOL_FLT_ECP_NULL_ARGUMENT, 2, 7, 0);
        else if (in->misuse == KFH_ECP_MIS_FLAGS)
            viol(out, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, 2, in->flags, 0);
        else if (!la && in->misuse == KFH_ECP_MIS_TAG)
            tag_zero(out, in->nonpaged, in->size);
        else if (la && !in->la_live)
            viol(out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, 2, 1, 0);
        else
            allocate(in, out);
        return;
    }
    case KFH_ECP_R_FREE:
        if (bad_ecp(in->ecp, out))
            return;
        if (in->ecp_above)
            viol(out, KF_VIOL_FLT_ECP_NOT_OWNED, 1, 0, 0);
        else if (in->ecp_in_list)
            viol(out, KF_VIOL_FLT_ECP_FREE_IN_LIST, 1, 0, 0);
        else if (in->ecp_la_deleted)
            viol(out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, 2, 4, 0);
        return;
    case KFH_ECP_R_INSERT:
        /* The arguments by position: EcpList, then EcpContext. */
        if (bad_list(in->list, out) || bad_ecp(in->ecp, out))
            return;
        if (in->ecp_in_list)
            viol(out, KF_VIOL_FLT_ECP_ALREADY_INSERTED, 1, 0, 0);
        else if (in->type_in_list)
            out->status = STATUS_INVALID_PARAMETER;
        return;
    case KFH_ECP_R_REMOVE:
    case KFH_ECP_R_FIND:
        if (bad_list(in->list, out))
            return;
        if (!in->type_in_list)
            out->status = STATUS_NOT_FOUND;
        return;
    case KFH_ECP_R_NEXT:
        /* FE-7: EcpList NULL is a status, not a stop; then the list, then the current ECP. */
        if (in->list == KFH_ECP_PTR_NULL) {
            out->status = STATUS_INVALID_PARAMETER;
            return;
        }
        if (bad_list(in->list, out) || (in->with_current && bad_ecp(in->ecp, out)))
            return;
        if (in->with_current && !in->ecp_in_this_list)
            viol(out, KF_VIOL_FLT_ECP_NOT_IN_LIST, 1, 0, 0);
        else if (!in->has_next)
            out->status = STATUS_NOT_FOUND;
        return;
    case KFH_ECP_R_ACK:
    case KFH_ECP_R_IS_ACK:
    case KFH_ECP_R_REUSE:
    case KFH_ECP_R_FROM_USER:
        (void)bad_ecp(in->ecp, out);
        return;
    case KFH_ECP_R_LA_INIT:
        if (in->misuse == KFH_ECP_LA_MIS_FLAGS)
            viol(out, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, 2, in->flags, 0);
        else if (in->misuse == KFH_ECP_LA_MIS_TAG)
            tag_zero(out, in->nonpaged, in->size);
        else if (in->la_live)
            viol(out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, 2, 2, 0);
        return;
    case KFH_ECP_R_LA_DELETE:
        if (!in->la_live)
            viol(out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, 2, 1, 0);
        else if (in->flags != in->la_init_flags) {
            viol(out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, 3, 3, in->flags);
            out->stop.param[3] = in->la_init_flags;
            out->stop.n_params = 4;
        }
        return;
    case KFH_ECP_R_GET:
        if (!in->is_create)
            out->status = STATUS_INVALID_PARAMETER;
        return;
    case KFH_ECP_R_SET:
        /* FX-30: the list pointer's stops first (FE-3: in every routine that takes a list). */
        if (bad_list(in->list, out))
            return;
        if (!in->is_create)
            out->status = STATUS_INVALID_PARAMETER_2;
        else if (in->cbd_has_list)
            out->status = STATUS_INVALID_PARAMETER_3;
        else if (in->list_attached || in->list_above)
            viol(out, KF_VIOL_FLT_ECP_LIST_ATTACHED, 1, 0, 0);
        return;
    default:
        return;
    }
}
