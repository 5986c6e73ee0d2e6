/*
 * oracle.c - what the documentation says must happen, computed from the state before a
 * call: status, stop (bug check code and parameters), path, callout count, the fault sites
 * consulted and the stack the callout gets. Also the comparison of a prediction with what
 * the model did, which turns every disagreement into a finding with an invariant id.
 *
 * Written from model/SEMANTICS.md (rule ids in the comments) and the fact sheet, never from
 * the model's source: the two must be able to disagree. Must never call into the model to
 * decide a prediction (the profile and the fault decisions are inputs, not queries).
 */
#include "kfault/harness.h"

#include <stdarg.h>
#include <string.h>

#include "oracle_pred.h"

static void no_stop(kfh_stop_pred *s) { memset(s, 0, sizeof *s); }

static void stop2(kfh_stop_pred *s, const char *rule, ULONG code, int n, ULONG_PTR p1, ULONG_PTR p2)
{
    kfh_pred_stop(s, rule, code, n, p1, p2, 0);
}

static void violation(kfh_stop_pred *s, const char *rule, kf_violation v)
{
    stop2(s, rule, DRIVER_VERIFIER_DETECTED_VIOLATION, 1, (ULONG_PTR)v, 0);
}

/* E-1: the Ex routine from Vista; the other from Vista, or on Server 2003 for amd64. */
static int available(const kf_profile *p, int ex)
{
    if (p->os >= KF_OS_VISTA)
        return 1;
    return !ex && p->os == KF_OS_WS03 && p->arch == KF_ARCH_AMD64;
}

/* Decision the plan gave for the i-th consultation of this call, if it was at `site`. */
static kf_fault_kind decision(const kfh_expand_in *in, int i, kf_site site)
{
    if (i < in->n_decisions && in->dsite[i] == site)
        return in->dkind[i];
    return KF_FAULT_NONE;
}

/* E-12: a step succeeds unless failed; a transient shortage is waited out with Wait TRUE. */
static int step_granted(kf_fault_kind k, int wait, int *waited)
{
    if (k == KF_FAULT_NONE)
        return 1;
    if (k == KF_FAULT_TRANSIENT && wait) {
        *waited = 1;
        return 1;
    }
    return 0;
}

void kfh_oracle_expand(const kfh_expand_in *in, kfh_expand_pred *out)
{
    const kf_profile *p = &in->profile;
    memset(out, 0, sizeof *out);
    out->path = KF_PATH_NONE;
    out->status = STATUS_UNSUCCESSFUL;
    /* E-13: the non-Ex routine is the Ex routine with Wait TRUE and Context NULL. */
    int wait = in->ex ? in->wait : 1;
    int context = in->ex ? in->context_nonnull : 0;

    /* E-7 gives the order: availability, IRQL, Callout, Context, Size, Wait, nesting, memory. */
    if (!available(p, in->ex)) {
        violation(&out->stop, "E-1", KF_VIOL_ROUTINE_UNAVAILABLE);
        out->rule = "E-1";
        return;
    }
    /* E-2 */
    KIRQL max = (in->ex && p->os >= KF_OS_WIN7) ? DISPATCH_LEVEL : APC_LEVEL;
    if (in->irql > max) {
        stop2(&out->stop, "E-2", IRQL_NOT_LESS_OR_EQUAL, 2, max, in->irql);
        out->rule = "E-2";
        return;
    }
    if (in->callout_null) { /* E-3 */
        violation(&out->stop, "E-3", KF_VIOL_NULL_CALLOUT);
        out->rule = "E-3";
        return;
    }
    if (context) { /* E-4 */
        violation(&out->stop, "E-4", KF_VIOL_CONTEXT_NOT_NULL);
        out->rule = "E-4";
        return;
    }
    if (in->size > p->maximum_expansion_size) { /* E-5 */
        out->status = STATUS_INVALID_PARAMETER_3;
        out->rule = "E-5";
        return;
    }
    if (wait && in->irql >= DISPATCH_LEVEL) { /* E-6 */
        out->status = STATUS_INVALID_PARAMETER_4;
        out->rule = "E-6";
        return;
    }
    if (in->depth >= in->nest_limit) { /* E-8 */
        out->status = STATUS_STACK_OVERFLOW;
        out->rule = "E-8";
        return;
    }
    /* E-9: in place, no site consulted, the stack inside is the stack outside. */
    if (in->remaining >= in->size) {
        out->status = STATUS_SUCCESS;
        out->path = KF_PATH_IN_PLACE;
        out->callout_calls = 1;
        out->inside_size = in->stack_size;
        out->inside_remaining = in->remaining;
        out->inside_large = in->large;
        out->rule = "E-9";
        return;
    }
    int next = 0, waited = 0;
    SIZE_T used = in->stack_size - in->remaining;
    /* E-10: grow, when the stack is not large and what is used plus Size fits. */
    if (!in->large && used + in->size <= p->large_stack_size) {
        out->sites[out->n_sites++] = KF_SITE_STACK_GROW;
        if (step_granted(decision(in, next++, KF_SITE_STACK_GROW), wait, &waited)) {
            out->status = STATUS_SUCCESS;
            out->path = KF_PATH_GROWN;
            out->callout_calls = 1;
            out->waited = waited;
            out->inside_size = p->large_stack_size;
            out->inside_remaining = p->large_stack_size - used;
            out->inside_large = 1;
            out->rule = "E-10";
            return;
        }
    }
    /* E-11: a new segment with MAXIMUM_EXPANSION_SIZE free. */
    out->sites[out->n_sites++] = KF_SITE_STACK_SEGMENT;
    if (step_granted(decision(in, next++, KF_SITE_STACK_SEGMENT), wait, &waited)) {
        out->status = STATUS_SUCCESS;
        out->path = KF_PATH_SEGMENT;
        out->callout_calls = 1;
        out->waited = waited;
        out->inside_size = p->large_stack_size;
        out->inside_remaining = p->maximum_expansion_size;
        out->inside_large = 1;
        out->rule = "E-11";
        return;
    }
    /* E-12: the segment failed too. */
    out->status = STATUS_NO_MEMORY;
    out->waited = waited;
    out->rule = "E-12";
}

void kfh_oracle_callout_exit(KIRQL entry_irql, KIRQL exit_irql, kfh_stop_pred *out)
{
    if (entry_irql != exit_irql) /* E-15 */
        stop2(out, "E-15", IRQL_UNEXPECTED_VALUE, 2, entry_irql, exit_irql);
    else
        no_stop(out);
}

static KIRQL high_level(const kf_profile *p)
{
    return (p->arch == KF_ARCH_AMD64 || p->arch == KF_ARCH_ARM64) ? 15 : 31;
}

void kfh_oracle_raise_irql(const kf_profile *p, KIRQL cur, KIRQL to, kfh_stop_pred *out)
{
    if (to < cur) /* K-1: Parameter1 current, Parameter2 new */
        stop2(out, "K-1", IRQL_NOT_GREATER_OR_EQUAL, 2, cur, to);
    else if (to > high_level(p)) /* K-1: above HIGH_LEVEL; the rule fixes the code only */
        stop2(out, "K-1", IRQL_NOT_LESS_OR_EQUAL, 0, 0, 0);
    else
        no_stop(out);
}

void kfh_oracle_lower_irql(KIRQL cur, KIRQL to, kfh_stop_pred *out)
{
    if (to > cur) /* K-2: Parameter1 new, Parameter2 current */
        stop2(out, "K-2", IRQL_NOT_LESS_OR_EQUAL, 2, to, cur);
    else
        no_stop(out);
}

void kfh_oracle_unhandled(NTSTATUS code, unsigned depth, kfh_stop_pred *out)
{
    /* E-16 inside a callout (Parameter1 the code); K-5 with no handler at all (the code only). */
    if (depth > 0)
        stop2(out, "E-16", KMODE_EXCEPTION_NOT_HANDLED, 1, (ULONG_PTR)(ULONG)code, 0);
    else
        stop2(out, "K-5", KMODE_EXCEPTION_NOT_HANDLED, 0, 0, 0);
}

void kfh_oracle_terminate(unsigned depth, ULONG_PTR thread, kfh_stop_pred *out)
{
    if (depth > 0) /* E-17 */
        stop2(out, "E-17", KERNEL_EXPAND_STACK_ACTIVE, 1, thread, 0);
    else
        no_stop(out); /* K-4: the system thread ends with the status */
}

void kfh_oracle_pool_alloc(KIRQL irql, int paged, kfh_stop_pred *out)
{
    KIRQL max = paged ? APC_LEVEL : DISPATCH_LEVEL; /* K-8 */
    if (irql > max)
        stop2(out, "K-8", IRQL_NOT_LESS_OR_EQUAL, 0, 0, 0);
    else
        no_stop(out);
}

/* ---- Comparison ---------------------------------------------------------------------- */

void kfh_finding_sign(kfh_finding *f)
{
    const kfh_inv_info *i = kfh_inv_get(f->inv);
    snprintf(f->signature, sizeof f->signature, "%s/%s/%s", i ? i->id : "KF-INV-???",
             f->routine[0] ? f->routine : "-", f->site[0] ? f->site : "-");
}

static void fill(kfh_finding *f, int inv, const char *routine, const char *site, const char *expected,
                 const char *actual_fmt, ...) __attribute__((format(printf, 6, 7)));
static void fill(kfh_finding *f, int inv, const char *routine, const char *site, const char *expected,
                 const char *actual_fmt, ...)
{
    va_list ap;
    memset(f, 0, sizeof *f);
    f->inv = inv;
    f->op = -1;
    snprintf(f->routine, sizeof f->routine, "%s", routine ? routine : "-");
    snprintf(f->site, sizeof f->site, "%s", site ? site : "-");
    snprintf(f->expected, sizeof f->expected, "%s", expected);
    va_start(ap, actual_fmt);
    vsnprintf(f->actual, sizeof f->actual, actual_fmt, ap);
    va_end(ap);
    kfh_finding_sign(f);
}

static const char *path_name(kf_expand_path p)
{
    switch (p) {
    case KF_PATH_IN_PLACE:
        return "in-place";
    case KF_PATH_GROWN:
        return "grown";
    case KF_PATH_SEGMENT:
        return "segment";
    default:
        return "none";
    }
}

static void stop_text(char *buf, size_t len, ULONG code, const ULONG_PTR *param, int n)
{
    size_t u = (size_t)kfh_format(buf, len, "stop 0x%X %s", (unsigned)code, kf_bugcheck_name(code));
    for (int i = 0; i < n && u < len; i++)
        u += (size_t)kfh_format(buf + u, len - u, "%sP%d=0x%llx", i ? " " : " (", i + 1,
                              (unsigned long long)param[i]);
    if (n && u < len)
        kfh_format(buf + u, len - u, ")");
}

int kfh_check_stop(const kfh_stop_pred *pred, const kf_stop *actual, kfh_finding *out)
{
    int bad = 0;
    if (!pred || !pred->stops)
        bad = actual != NULL;
    else if (!actual || actual->code != pred->code)
        bad = 1;
    else
        for (int i = 0; i < pred->n_params; i++)
            if (actual->param[i] != pred->param[i])
                bad = 1;
    if (!bad)
        return 0;
    /* The texts only for a finding: every run checks its stops, few disagree. */
    char exp[256], act[256];
    if (pred && pred->stops) {
        stop_text(exp, sizeof exp, pred->code, pred->param, pred->n_params);
        if (pred->rule) {
            size_t u = strlen(exp);
            kfh_format(exp + u, sizeof exp - u, " [%s]", pred->rule);
        }
    } else {
        kfh_format(exp, sizeof exp, "no stop");
    }
    if (actual)
        stop_text(act, sizeof act, actual->code, actual->param, 4);
    else
        kfh_format(act, sizeof act, "no stop: the call returned");
    fill(out, KFH_INV_STOP_PREDICTED, actual && actual->routine ? actual->routine : "-", "-", exp, "%s", act);
    return 1;
}

int kfh_check_expand(const kfh_expand_in *in, const kfh_expand_pred *pred, const kfh_expand_obs *obs,
                     kfh_finding *out, int max)
{
    const char *routine = in->ex ? "KeExpandKernelStackAndCalloutEx" : "KeExpandKernelStackAndCallout";
    const char *site = "-";
    if (obs->n_sites > 0 && (unsigned)obs->sites[obs->n_sites - 1] < KF_SITE_COUNT)
        site = kf_site_get(obs->sites[obs->n_sites - 1])->name;
    else if (pred->n_sites > 0)
        site = kf_site_get(pred->sites[pred->n_sites - 1])->name;
    int n = 0;
    char e[256];
#define FIND(inv, ...)                                  \
    do {                                                \
        if (n < max)                                    \
            fill(&out[n], inv, routine, site, __VA_ARGS__); \
        n++;                                            \
    } while (0)

    if ((obs->status == STATUS_SUCCESS) != (obs->calls > 0)) {
        FIND(KFH_INV_CALLOUT_IFF_SUCCESS, obs->status == STATUS_SUCCESS ? "the callout ran, since STATUS_SUCCESS was returned"
                                                                        : "no callout, since the call failed",
             "status 0x%08X with %u callout call(s)", (unsigned)obs->status, obs->calls);
    }
    if (obs->status == STATUS_SUCCESS && obs->calls != 1)
        FIND(KFH_INV_CALLOUT_ONCE, "exactly one callout call", "%u callout calls", obs->calls);
    if (obs->calls > 0 && !obs->param_ok)
        FIND(KFH_INV_CALLOUT_PARAMETER, "the callout receives the Parameter passed", "another Parameter");
    if (obs->status != pred->status) {
        snprintf(e, sizeof e, "status 0x%08X %s [%s]", (unsigned)pred->status,
                 kfh_status_name(pred->status) ? kfh_status_name(pred->status) : "", pred->rule ? pred->rule : "");
        FIND(KFH_INV_STATUS_PREDICTED, e, "status 0x%08X %s", (unsigned)obs->status,
             kfh_status_name(obs->status) ? kfh_status_name(obs->status) : "");
    }
    if (obs->calls > 0 && pred->callout_calls > 0) {
        if (obs->remaining_in < in->size || obs->remaining_in != pred->inside_remaining) {
            snprintf(e, sizeof e, "IoGetRemainingStackSize() 0x%llx inside the callout (Size 0x%llx, path %s)",
                     (unsigned long long)pred->inside_remaining, (unsigned long long)in->size,
                     path_name(pred->path));
            FIND(KFH_INV_CALLOUT_STACK, e, "0x%llx", (unsigned long long)obs->remaining_in);
        }
        if (obs->irql_in != in->irql) {
            snprintf(e, sizeof e, "IRQL %u inside the callout (the caller's)", in->irql);
            FIND(KFH_INV_CALLOUT_IRQL, e, "IRQL %u", obs->irql_in);
        }
        if (obs->depth_in != in->depth + 1) {
            snprintf(e, sizeof e, "%u active callouts inside", in->depth + 1);
            FIND(KFH_INV_CALLOUT_DEPTH, e, "%u", obs->depth_in);
        }
    }
    if (obs->irql_after != in->irql) {
        snprintf(e, sizeof e, "IRQL %u after the call", in->irql);
        FIND(KFH_INV_IRQL_RESTORED, e, "IRQL %u", obs->irql_after);
    }
    if (obs->remaining_after != in->remaining) {
        snprintf(e, sizeof e, "remaining stack 0x%llx after the call", (unsigned long long)in->remaining);
        FIND(KFH_INV_STACK_RESTORED, e, "0x%llx", (unsigned long long)obs->remaining_after);
    }
    int sites_ok = obs->n_sites == pred->n_sites;
    for (int i = 0; sites_ok && i < pred->n_sites; i++)
        sites_ok = obs->sites[i] == pred->sites[i];
    if (!sites_ok) {
        char a[128] = "", b[128] = "";
        size_t ua = 0, ub = 0;
        for (int i = 0; i < pred->n_sites; i++)
            ua += (size_t)snprintf(a + ua, sizeof a - ua, "%s%s", i ? "," : "", kf_site_get(pred->sites[i])->name);
        for (int i = 0; i < obs->n_sites && i < 8 && ub < sizeof b; i++)
            ub += (size_t)snprintf(b + ub, sizeof b - ub, "%s%s", i ? "," : "",
                                   (unsigned)obs->sites[i] < KF_SITE_COUNT ? kf_site_get(obs->sites[i])->name : "?");
        snprintf(e, sizeof e, "sites consulted: [%s]", a);
        FIND(KFH_INV_SITES_PREDICTED, e, "[%s]", b);
    }
    if (obs->status == pred->status && obs->rec.path != pred->path) {
        snprintf(e, sizeof e, "path %s [%s]", path_name(pred->path), pred->rule ? pred->rule : "");
        FIND(KFH_INV_PATH_PREDICTED, e, "path %s", path_name(obs->rec.path));
    }
    if (obs->rec.status != obs->status || obs->rec.callout_calls != obs->calls || obs->rec.size != in->size ||
        (obs->status == pred->status && !!obs->rec.waited != !!pred->waited)) {
        snprintf(e, sizeof e, "record: status 0x%08X, %u call(s), Size 0x%llx, waited %d", (unsigned)obs->status,
                 obs->calls, (unsigned long long)in->size, pred->waited);
        FIND(KFH_INV_EXPAND_RECORD, e, "record: status 0x%08X, %u call(s), Size 0x%llx, waited %d",
             (unsigned)obs->rec.status, obs->rec.callout_calls, (unsigned long long)obs->rec.size, obs->rec.waited);
    }
#undef FIND
    return n;
}
