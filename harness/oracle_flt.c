/*
 * oracle_flt.c - what must happen when a minifilter registers, allocates callback data,
 * issues I/O on it, reuses and frees it, and unregisters: statuses, stops, fault sites
 * consulted, IoStatus, completion calls and their IRQL. Also the comparison of these
 * predictions with what the runner observed.
 *
 * Written from the rules F-* of model/SEMANTICS.md and the Filter Manager facts of the
 * project's ROUTINES.md, never from the model's source. Must never call into the model to
 * decide a prediction: profile, IRQL, the harness's own record of each callback data and
 * the fault decisions are the only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <stdarg.h>
#include <string.h>



/* The decision for the i-th consultation of one call, when it was at `site`. */
static kf_fault_kind decided(int n, const kf_site *dsite, const kf_fault_kind *dkind, int i, kf_site site)
{
    return i < n && dsite[i] == site ? dkind[i] : KF_FAULT_NONE;
}

/* ---- Registration (F-2, F-3, F-4) ----------------------------------------------------- */

void kfh_oracle_flt_start(KIRQL irql, unsigned volumes, const kf_fault_kind *dkind, int n_decisions,
                          kfh_flt_start_pred *out)
{
    memset(out, 0, sizeof *out);
    if (irql > APC_LEVEL) {
        kfh_pred_irql(&out->stop, "F-2", APC_LEVEL, irql);
        return;
    }
    if (volumes > KFH_FLT_VOLUMES)
        volumes = KFH_FLT_VOLUMES;
    out->sites[out->n_sites++] = KF_SITE_FLT_FILTER;
    /* Every answer but "none" fails a Filter Manager site: nothing there waits. */
    if (n_decisions > 0 && dkind[0] != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    out->status = STATUS_SUCCESS;
    for (unsigned v = 0; v < volumes; v++) {
        out->sites[out->n_sites++] = KF_SITE_FLT_INSTANCE;
        int k = 1 + (int)v;
        if (k >= n_decisions || dkind[k] == KF_FAULT_NONE)
            out->instances |= 1u << v;
    }
}

/* ---- Allocation (F-8 to F-13) --------------------------------------------------- */

void kfh_oracle_flt_alloc(const kfh_flt_alloc_in *in, kfh_flt_alloc_pred *out)
{
    memset(out, 0, sizeof *out);
    /* F-8: the Ex routine from Windows 7 on; the others on every profile. */
    if (in->ex && in->profile.os < KF_OS_WIN7) {
        kfh_pred_violation(&out->stop, "F-8", KF_VIOL_ROUTINE_UNAVAILABLE, 1, 0, 0);
        out->rule = "F-8";
        return;
    }
    if (in->irql > APC_LEVEL) { /* F-9 */
        kfh_pred_irql(&out->stop, "F-9", APC_LEVEL, in->irql);
        out->rule = "F-9";
        return;
    }
    if (in->instance_null) { /* F-10: Instance before Flags */
        kfh_pred_violation(&out->stop, "F-10", KF_VIOL_FLT_NULL_INSTANCE, 1, 0, 0);
        out->rule = "F-10";
        return;
    }
    ULONG flags = in->ex ? in->flags : 0;
    if (flags & ~(ULONG)FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY) {
        kfh_pred_violation(&out->stop, "F-10", KF_VIOL_FLT_UNKNOWN_FLAGS, 2, flags, 0);
        out->rule = "F-10";
        return;
    }
    if (in->teardown) { /* F-13: no memory is asked for an instance on its way out */
        out->status = STATUS_FLT_DELETING_OBJECT;
        out->rule = "F-13";
        return;
    }
    out->sites[out->n_sites++] = KF_SITE_FLT_CALLBACK_DATA;
    if (decided(in->n_decisions, in->dsite, in->dkind, 0, KF_SITE_FLT_CALLBACK_DATA) != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        out->rule = "F-11";
        return;
    }
    if (flags & FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY) {
        out->sites[out->n_sites++] = KF_SITE_FLT_PREALLOCATE;
        if (decided(in->n_decisions, in->dsite, in->dkind, 1, KF_SITE_FLT_PREALLOCATE) != KF_FAULT_NONE) {
            out->status = STATUS_INSUFFICIENT_RESOURCES;
            out->rule = "F-11";
            return;
        }
    }
    out->status = STATUS_SUCCESS;
    out->rule = "F-12";
}

/* ---- I/O (F-16 to F-21) ------------------------------------------------------------------- */

/* What the lower layers complete an I/O with (F-14): a failed site is a failure; otherwise
 * the answer the scenario chose, or the defaults (the Length of a read or write). */
static void lower_outcome(const kfh_flt_io_in *in, kf_fault_kind k, kfh_flt_io_pred *out)
{
    if (k != KF_FAULT_NONE) {
        out->io_status = STATUS_INSUFFICIENT_RESOURCES;
        out->io_info = 0;
    } else if (in->lower_set) {
        out->io_status = in->lower_status;
        out->io_info = in->lower_info;
    } else {
        out->io_status = STATUS_SUCCESS;
        out->io_info = (in->major == IRP_MJ_READ || in->major == IRP_MJ_WRITE) ? in->length : 0;
    }
}

void kfh_oracle_flt_io(const kfh_flt_io_in *in, kfh_flt_io_pred *out)
{
    memset(out, 0, sizeof *out);
    const int n = in->n_decisions;
    KIRQL later = in->completion_irql > in->irql ? in->completion_irql : in->irql;
    if (in->completion) {
        /* F-20: the lower layers complete it, then the callback runs, once, at the IRQL of
         * F-21. */
        out->sites[out->n_sites++] = KF_SITE_FLT_LOWER;
        lower_outcome(in, decided(n, in->dsite, in->dkind, 0, KF_SITE_FLT_LOWER), out);
        out->callbacks = 1;
        out->callback_irql = later;
        out->rule = "F-20";
        return;
    }
    out->rule = "F-18";
    /* F-9, F-16: APC_LEVEL for both first; then, the data being valid, the synchronous
     * routine's PASSIVE_LEVEL bound for I/O that is not paging I/O. */
    KIRQL max = APC_LEVEL;
    if (in->irql <= APC_LEVEL && !in->async && !(in->irp_flags & IRP_PAGING_IO))
        max = PASSIVE_LEVEL;
    if (in->irql > max) {
        kfh_pred_irql(&out->stop, "F-9", max, in->irql);
        out->rule = "F-9";
        return;
    }
    if (in->in_flight) { /* F-16 */
        kfh_pred_violation(&out->stop, "F-16", KF_VIOL_FLT_IO_IN_FLIGHT, 1, 0, 0);
        out->rule = "F-16";
        return;
    }
    if (in->major > IRP_MJ_MAXIMUM_FUNCTION) { /* F-16: only IRP-based operations */
        kfh_pred_violation(&out->stop, "F-16", KF_VIOL_FLT_INVALID_MAJOR_FUNCTION, 1, 0, 0);
        out->rule = "F-16";
        return;
    }
    if (in->async && in->major == IRP_MJ_CREATE) { /* F-19 */
        out->rule = "F-19";
        out->ret = out->io_status = STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST;
        out->callbacks = 1;
        out->callback_irql = in->irql;
        return;
    }
    int i = 0;
    if (!in->prealloc) { /* F-17: Filter Manager's memory on demand, each time */
        out->sites[out->n_sites++] = KF_SITE_FLT_ON_DEMAND;
        if (decided(n, in->dsite, in->dkind, i++, KF_SITE_FLT_ON_DEMAND) != KF_FAULT_NONE) {
            out->rule = in->async ? "F-19" : "F-17";
            out->ret = out->io_status = STATUS_INSUFFICIENT_RESOURCES;
            out->io_info = 0;
            if (in->async) {
                out->callbacks = 1;
                out->callback_irql = in->irql;
            }
            return;
        }
    }
    if (in->async && in->deferred) { /* F-20 */
        out->rule = "F-20";
        out->ret = out->io_status = STATUS_PENDING;
        out->pending = 1;
        return;
    }
    out->sites[out->n_sites++] = KF_SITE_FLT_LOWER;
    lower_outcome(in, decided(n, in->dsite, in->dkind, i, KF_SITE_FLT_LOWER), out);
    if (in->async) {
        out->ret = STATUS_SUCCESS;
        out->callbacks = 1;
        out->callback_irql = later;
    }
}

/* ---- Reuse, free, unregister (F-6, F-14, F-15) ------------------------------------------- */

void kfh_oracle_flt_reuse(KIRQL irql, kfh_cbd_state st, int in_flight, int performed, kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    if (irql > APC_LEVEL)
        kfh_pred_irql(out, "F-15", APC_LEVEL, irql);
    else if (st == KFH_CBD_FOREIGN)
        kfh_pred_violation(out, "F-15", KF_VIOL_FLT_FOREIGN_CALLBACK_DATA, 1, 0, 0);
    else if (st == KFH_CBD_FREED)
        kfh_pred_violation(out, "F-15", KF_VIOL_FLT_USE_AFTER_FREE, 1, 0, 0);
    else if (in_flight)
        kfh_pred_violation(out, "F-15", KF_VIOL_FLT_IO_IN_FLIGHT, 1, 0, 0);
    else if (!performed)
        kfh_pred_violation(out, "F-15", KF_VIOL_FLT_REUSE_BEFORE_PERFORM, 1, 0, 0);
}

void kfh_oracle_flt_free(KIRQL irql, kfh_cbd_state st, int in_flight, unsigned serial, kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    if (irql > DISPATCH_LEVEL)
        kfh_pred_irql(out, "F-14", DISPATCH_LEVEL, irql);
    else if (st == KFH_CBD_FOREIGN)
        kfh_pred_violation(out, "F-14", KF_VIOL_FLT_FOREIGN_CALLBACK_DATA, 1, 0, 0);
    else if (st == KFH_CBD_FREED)
        kfh_pred_violation(out, "F-14", KF_VIOL_FLT_DOUBLE_FREE, 2, serial, 0);
    else if (in_flight)
        kfh_pred_violation(out, "F-14", KF_VIOL_FLT_IO_IN_FLIGHT, 1, 0, 0);
}

void kfh_oracle_flt_unregister(KIRQL irql, const kfh_flt_held *held, int n, unsigned volumes, KIRQL completion_irql,
                               kfh_stop_pred *out)
{
    memset(out, 0, sizeof *out);
    if (irql > APC_LEVEL) {
        kfh_pred_irql(out, "F-2", APC_LEVEL, irql);
        return;
    }
    KIRQL at = completion_irql > irql ? completion_irql : irql;
    for (unsigned v = 0; v < volumes; v++) {
        /* F-6: the instance's pending I/O completes first (F-20, at the IRQL of F-21) ... */
        unsigned left = 0;
        for (int k = 0; k < n; k++) {
            if (held[k].volume != v)
                continue;
            if (held[k].pending && held[k].then == KFH_THEN_FREE)
                continue;
            if (held[k].pending && held[k].then != KFH_THEN_NOTHING && at > APC_LEVEL) {
                kfh_pred_irql(out, "F-21", APC_LEVEL, at); /* FltReuseCallbackData in the completion */
                return;
            }
            left++;
        }
        /* ... then what is still allocated on it is a leak. */
        if (left) {
            kfh_pred_violation(out, "F-6", KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER, 3, left, v);
            return;
        }
    }
}

/* ---- Checks ------------------------------------------------------------------------------ */

static int add(kfh_finding *out, int max, int *n, int inv, const char *routine, const char *site,
               const char *expected, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
static int add(kfh_finding *out, int max, int *n, int inv, const char *routine, const char *site,
               const char *expected, const char *fmt, ...)
{
    if (*n >= max)
        return 0;
    kfh_finding *f = &out[(*n)++];
    va_list ap;
    memset(f, 0, sizeof *f);
    f->inv = inv;
    f->op = -1;
    snprintf(f->routine, sizeof f->routine, "%s", routine);
    snprintf(f->site, sizeof f->site, "%s", site);
    snprintf(f->expected, sizeof f->expected, "%s", expected);
    va_start(ap, fmt);
    vsnprintf(f->actual, sizeof f->actual, fmt, ap);
    va_end(ap);
    kfh_finding_sign(f);
    return 1;
}

static void sites_text(char *buf, size_t len, const kf_site *s, int n)
{
    size_t u = 0;
    buf[0] = 0;
    u += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < n && u < len; i++)
        u += (size_t)snprintf(buf + u, len - u, "%s%s", i ? " " : "", kf_site_get(s[i])->name);
    if (u < len)
        snprintf(buf + u, len - u, "]");
}

static int same_sites(const kf_site *a, int na, const kf_site *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static const char *status_text(NTSTATUS s, char *buf, size_t len)
{
    const char *name = kfh_status_name(s);
    if (name)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "0x%08X", (unsigned)s);
    return buf;
}

int kfh_check_flt_alloc(const kfh_flt_alloc_in *in, const kfh_flt_alloc_pred *pred, const kfh_flt_alloc_obs *obs,
                        kfh_finding *out, int max)
{
    const char *routine = in->ex ? "FltAllocateCallbackDataEx" : "FltAllocateCallbackData";
    int n = 0;
    char e[96], a[96];
    if (!same_sites(pred->sites, pred->n_sites, obs->sites, obs->n_sites)) {
        sites_text(e, sizeof e, pred->sites, pred->n_sites);
        sites_text(a, sizeof a, obs->sites, obs->n_sites);
        char exp[128];
        snprintf(exp, sizeof exp, "sites %s [%s]", e, pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_SITES, routine, obs->n_sites ? kf_site_get(obs->sites[0])->name : "-", exp,
            "sites %s", a);
    }
    if (obs->status != pred->status) {
        char exp[128];
        snprintf(exp, sizeof exp, "%s [%s]", status_text(pred->status, e, sizeof e), pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_STATUS, routine, pred->n_sites ? kf_site_get(pred->sites[pred->n_sites - 1])->name : "-",
            exp, "%s", status_text(obs->status, a, sizeof a));
    }
    if (obs->ret_null != (obs->status != STATUS_SUCCESS))
        add(out, max, &n, KFH_INV_FLT_RET_NULL, routine, "-",
            obs->status != STATUS_SUCCESS ? "*RetNewCallbackData NULL after a failure" : "callback data after success",
            "%s", obs->ret_null ? "NULL" : "not NULL");
    if (obs->status == STATUS_SUCCESS && !obs->ret_null) {
        if (!obs->targets_ok)
            add(out, max, &n, KFH_INV_FLT_REUSE_TARGETS, routine, "-",
                "Iopb->TargetInstance and TargetFileObject as passed", "other targets");
        if (!obs->fields_ok)
            add(out, max, &n, KFH_INV_FLT_INITIAL_STATE, routine, "-",
                "Flags IRP_OPERATION|GENERATED_IO, the rest zero (F-10)", "other field values");
    }
    return n;
}

int kfh_check_flt_io(const kfh_flt_io_in *in, const kfh_flt_io_pred *pred, const kfh_flt_io_obs *obs,
                     kfh_finding *out, int max)
{
    const char *routine = in->completion ? "kf_flt_run_pending_completions"
                          : in->async    ? "FltPerformAsynchronousIo"
                                         : "FltPerformSynchronousIo";
    int n = 0;
    char e[96], a[96], exp[160];
    int promise_broken = 0;
    if (in->prealloc)
        for (int i = 0; i < obs->n_sites; i++)
            promise_broken |= obs->sites[i] == KF_SITE_FLT_ON_DEMAND;
    if (promise_broken) {
        sites_text(a, sizeof a, obs->sites, obs->n_sites);
        add(out, max, &n, KFH_INV_FLT_PREALLOC_PROMISE, routine, "flt.io.ondemand",
            "no consultation of flt.io.ondemand for preallocated callback data", "sites %s", a);
    } else if (!same_sites(pred->sites, pred->n_sites, obs->sites, obs->n_sites)) {
        sites_text(e, sizeof e, pred->sites, pred->n_sites);
        sites_text(a, sizeof a, obs->sites, obs->n_sites);
        snprintf(exp, sizeof exp, "sites %s [%s]", e, pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_SITES, routine, obs->n_sites ? kf_site_get(obs->sites[0])->name : "-", exp,
            "sites %s", a);
    }
    if (in->async && !in->completion && obs->ret != pred->ret) {
        snprintf(exp, sizeof exp, "%s [%s]", status_text(pred->ret, e, sizeof e), pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_STATUS, routine, "-", exp, "%s", status_text(obs->ret, a, sizeof a));
    }
    if ((in->async || in->completion) && obs->callbacks != pred->callbacks) {
        snprintf(exp, sizeof exp, "%u completion call(s) before the return [%s]", pred->callbacks, pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_ASYNC_ONCE, routine, "-", exp, "%u", obs->callbacks);
    }
    if (pred->callbacks && obs->callbacks && obs->callback_irql != pred->callback_irql) {
        snprintf(exp, sizeof exp, "completion at IRQL %u [%s]", pred->callback_irql, pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_COMPLETION_IRQL, routine, "-", exp, "IRQL %u", obs->callback_irql);
    }
    /* IoStatus: known once the I/O completed; STATUS_PENDING while it has not. */
    int completed = !in->async || in->completion || pred->callbacks;
    if (obs->io_status != pred->io_status || (completed && !pred->pending && obs->io_info != pred->io_info)) {
        snprintf(exp, sizeof exp, "IoStatus %s / 0x%llx [%s]", status_text(pred->io_status, e, sizeof e),
                 (unsigned long long)pred->io_info, pred->rule ? pred->rule : "-");
        add(out, max, &n, KFH_INV_FLT_IO_STATUS, routine, "-", exp, "IoStatus %s / 0x%llx",
            status_text(obs->io_status, a, sizeof a), (unsigned long long)obs->io_info);
    }
    return n;
}

int kfh_check_flt_reuse(int targets_ok, int fields_ok, kfh_finding *out, int max)
{
    int n = 0;
    if (!targets_ok)
        add(out, max, &n, KFH_INV_FLT_REUSE_TARGETS, "FltReuseCallbackData", "-",
            "Iopb->TargetInstance and TargetFileObject kept", "changed");
    if (!fields_ok)
        add(out, max, &n, KFH_INV_FLT_INITIAL_STATE, "FltReuseCallbackData", "-",
            "Flags IRP_OPERATION|GENERATED_IO, the rest reinitialized (F-13)", "other field values");
    return n;
}

int kfh_check_flt_reuse_thread(const void *thread, const void *current, kfh_finding *out)
{
    int n = 0;
    if (thread != current)
        add(out, 1, &n, KFH_INV_FLT_INITIAL_STATE, "FltReuseCallbackData", "-",
            "Thread = PsGetCurrentThread() of the reusing thread (F-12, F-15)",
            thread ? "Thread is another thread" : "Thread is NULL");
    return n;
}

int kfh_check_flt_completions(unsigned calls, kfh_finding *out)
{
    int n = 0;
    if (calls != 1)
        add(out, 1, &n, KFH_INV_FLT_ASYNC_ONCE, "FltPerformAsynchronousIo", "-",
            "the completion callback ran once", "%u call(s)", calls);
    return n;
}
