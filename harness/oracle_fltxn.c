/*
 * oracle_fltxn.c - what must happen when the conformance runner's filter meets a kernel
 * transaction (scenario format version 15): the context it sets on the transaction, its
 * enlistment, the notifications the transaction manager sends it when the transaction ends, in
 * which order, what the transaction's outcome is, and what its acknowledgements and
 * FltRollbackEnlistment answer. Also the operand tables of the transaction operations.
 *
 * Written from the rules FT-3, FT-5 to FT-7, FT-10, FT-11, FT-13 and FT-14 (and FX-32 to FX-35,
 * which decide what the rules leave open) of model/SEMANTICS.md, never from the model's source.
 * Its inputs are the runner's own record of the transaction, the operation and the fault
 * decisions; it never calls into the model.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

static const char *const ack_names[KFH_TXN_ACK_COUNT] = {"preprepare",          "prepare",     "commit",
                                                         "commit_finalize",     "rollback",    "rollback_enlistment",
                                                         "get_context",         "delete_context", "foreign"};
static const char *const end_names[KFH_TXN_END_COUNT] = {"commit", "rollback"};

const char *kfh_txn_ack_name(int routine) { return ack_names[(unsigned)routine % KFH_TXN_ACK_COUNT]; }
const char *kfh_txn_end_name(int how) { return end_names[(unsigned)how % KFH_TXN_END_COUNT]; }

ULONG kfh_txn_notification(unsigned bit)
{
    switch (bit) {
    case KFH_TXN_N_PREPREPARE: return TRANSACTION_NOTIFY_PREPREPARE;
    case KFH_TXN_N_PREPARE: return TRANSACTION_NOTIFY_PREPARE;
    case KFH_TXN_N_COMMIT: return TRANSACTION_NOTIFY_COMMIT;
    case KFH_TXN_N_COMMIT_FINALIZE: return TRANSACTION_NOTIFY_COMMIT_FINALIZE;
    case KFH_TXN_N_ROLLBACK: return TRANSACTION_NOTIFY_ROLLBACK;
    default: return 0;
    }
}

/* The notification bit each phase sends (FT-5). */
static unsigned phase_bit(int phase)
{
    switch (phase) {
    case KFH_TXN_PH_PREPREPARE: return KFH_TXN_N_PREPREPARE;
    case KFH_TXN_PH_PREPARE: return KFH_TXN_N_PREPARE;
    case KFH_TXN_PH_COMMIT: return KFH_TXN_N_COMMIT;
    case KFH_TXN_PH_COMMIT_FINALIZE: return KFH_TXN_N_COMMIT_FINALIZE;
    case KFH_TXN_PH_ROLLBACK: return KFH_TXN_N_ROLLBACK;
    default: return 0;
    }
}

static void start(kfh_txn_pred *out, const char *rule)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = rule;
}

void kfh_oracle_txn_enlist(KIRQL irql, kfh_txn_rec *rec, unsigned mask, unsigned pending, const kf_fault_kind *kinds,
                           int n, int apply, kfh_txn_pred *out)
{
    int bad = (pending & KFH_TXN_BAD_ANSWER) != 0;
    start(out, "FT-3");
    if (irql > APC_LEVEL) {
        kfh_pred_irql(&out->stop, "FT-1", APC_LEVEL, irql);
        return;
    }
    int k = 0;
    int context = rec->has_context;
    if (!context) {
        /* FX-33: the runner sets its transaction context before its first enlistment; the allocation
         * is the only consultation (FC-2), the set of a new transaction's first context succeeds (FT-10). */
        out->sites[out->n_sites++] = KF_SITE_FLT_CONTEXT;
        if (k < n && kinds[k++] != KF_FAULT_NONE) {
            out->status = STATUS_INSUFFICIENT_RESOURCES;
            out->rule = "FC-2";
            return;
        }
        context = 1;
    }
    unsigned bits = mask & KFH_TXN_N_ALL;
    if (!bits)
        out->status = STATUS_INVALID_PARAMETER_4;
    else if (rec->phase != KFH_TXN_PH_ACTIVE)
        out->status = STATUS_TRANSACTION_NOT_ACTIVE;
    else if (rec->enlisted)
        out->status = STATUS_FLT_ALREADY_ENLISTED;
    else {
        out->sites[out->n_sites++] = KF_SITE_FLT_TXN;
        if (k < n && kinds[k] != KF_FAULT_NONE) {
            out->status = STATUS_INSUFFICIENT_RESOURCES;
            out->rule = "FT-13";
        }
    }
    if (!apply)
        return;
    rec->has_context = context;
    if (out->status == STATUS_SUCCESS) {
        rec->enlisted = 1;
        rec->mask = bits;
        rec->pending = pending & bits;
        rec->bad_answer = bad;
        rec->context_freed = 0;
    }
}

/* One phase begins: the enlistment is told when it asked to be (FT-5), and owes an acknowledgement
 * when its callback answers STATUS_PENDING (FT-6). */
static void deliver(kfh_txn_rec *r, int phase, kfh_txn_pred *out)
{
    unsigned bit = phase_bit(phase);
    r->phase = phase;
    if (!r->enlisted || !(r->mask & bit) || out->stop.stops)
        return;
    if (r->context_freed) { /* FT-12: before the callback would receive the freed memory */
        kfh_pred_violation(&out->stop, "FT-12", KF_VIOL_FLT_TXN_CONTEXT_FREED, 2, kfh_txn_notification(bit), 0);
        return;
    }
    if (out->n_notified < (int)(sizeof out->notified / sizeof out->notified[0]))
        out->notified[out->n_notified++] = bit;
    if ((r->pending & bit) && r->bad_answer) /* FT-8 */
        kfh_pred_stop(&out->stop, "FT-8", DRIVER_VERIFIER_DETECTED_VIOLATION, 3, KF_VIOL_FLT_TXN_CALLBACK_STATUS,
                      (ULONG_PTR)(ULONG)STATUS_UNSUCCESSFUL, kfh_txn_notification(bit));
    else if (r->pending & bit)
        r->owed = bit;
}

void kfh_oracle_txn_end(KIRQL irql, kfh_txn_rec *rec, int how, int apply, kfh_txn_pred *out)
{
    start(out, "FT-5");
    kfh_txn_rec r = *rec;
    if (irql != PASSIVE_LEVEL) { /* FT-14: refused, nothing delivered */
        out->outcome = 0;
        out->rule = "FT-14";
        return;
    }
    if (r.phase == KFH_TXN_PH_ACTIVE)
        deliver(&r, how == KFH_TXN_END_ROLLBACK || r.rollback_asked ? KFH_TXN_PH_ROLLBACK : KFH_TXN_PH_PREPREPARE, out);
    for (;;) {
        if (out->stop.stops)
            break;
        if (r.owed) { /* FT-6: the phase waits for its acknowledgement */
            out->outcome = TransactionOutcomeUndetermined;
            out->rule = "FT-6";
            break;
        }
        int next;
        if (r.phase == KFH_TXN_PH_PREPREPARE)
            next = r.rollback_asked ? KFH_TXN_PH_ROLLBACK : KFH_TXN_PH_PREPARE; /* FT-7 */
        else if (r.phase == KFH_TXN_PH_PREPARE)
            next = r.rollback_asked ? KFH_TXN_PH_ROLLBACK : KFH_TXN_PH_COMMIT;
        else if (r.phase == KFH_TXN_PH_COMMIT)
            next = KFH_TXN_PH_COMMIT_FINALIZE;
        else if (r.phase == KFH_TXN_PH_COMMIT_FINALIZE || r.phase == KFH_TXN_PH_ROLLBACK) {
            /* FT-11: the transaction ends, its contexts deleted, its enlistments gone. */
            out->outcome = r.phase == KFH_TXN_PH_ROLLBACK ? TransactionOutcomeAborted : TransactionOutcomeCommitted;
            r.phase = KFH_TXN_PH_DONE;
            r.enlisted = 0;
            r.has_context = 0;
            break;
        } else { /* FT-14: ended already, its outcome again */
            out->outcome = r.outcome;
            out->rule = "FT-14";
            break;
        }
        deliver(&r, next, out);
    }
    if (r.phase == KFH_TXN_PH_DONE)
        r.outcome = out->outcome; /* what ending it again returns (FT-14) */
    if (apply)
        *rec = r;
}

void kfh_oracle_txn_ack(KIRQL irql, kfh_txn_rec *rec, int routine, int apply, kfh_txn_pred *out)
{
    start(out, routine == KFH_TXN_ACK_ENLISTMENT ? "FT-7" : "FT-6");
    KIRQL max = routine == KFH_TXN_ACK_COMMIT || routine == KFH_TXN_ACK_ROLLBACK ? PASSIVE_LEVEL : APC_LEVEL;
    if (irql > max) {
        kfh_pred_irql(&out->stop, "FT-1", max, irql);
        return;
    }
    if (routine == KFH_TXN_ACK_FOREIGN) { /* FT-2: after the instance, before anything else */
        kfh_pred_violation(&out->stop, "FT-2", KF_VIOL_FLT_TXN_INVALID, 2, 1, 0);
        return;
    }
    if (!rec->has_context) { /* FT-6, FT-7; FC-7 and FC-10 for the context routines (FT-10) */
        out->status = STATUS_NOT_FOUND;
        if (routine >= KFH_TXN_ACK_GET_CONTEXT)
            out->rule = "FT-10";
        return;
    }
    if (routine == KFH_TXN_ACK_GET_CONTEXT) {
        out->rule = "FT-10";
        return;
    }
    if (routine == KFH_TXN_ACK_DELETE_CONTEXT) { /* FC-10: detached; an enlistment keeps the pointer (FT-4) */
        out->rule = "FT-10";
        if (apply) {
            rec->has_context = 0;
            rec->context_freed = rec->enlisted;
        }
        return;
    }
    if (routine == KFH_TXN_ACK_ENLISTMENT) {
        if (!rec->enlisted || rec->phase > KFH_TXN_PH_PREPARE)
            out->status = STATUS_TRANSACTION_REQUEST_NOT_VALID;
        else if (apply)
            rec->rollback_asked = 1;
        return;
    }
    unsigned bit = 1u << routine;
    if (!rec->enlisted || rec->owed != bit) {
        kfh_pred_violation(&out->stop, "FT-6", KF_VIOL_FLT_TXN_COMPLETE_UNEXPECTED, 2, kfh_txn_notification(bit), 0);
        return;
    }
    if (apply)
        rec->owed = 0;
}

void kfh_oracle_txn_unacknowledged(ULONG notification, kfh_stop_pred *out)
{
    kfh_pred_violation(out, "FT-9", KF_VIOL_FLT_TXN_NOT_ACKNOWLEDGED, 2, notification, 0);
}
