/*
 * expand.c - KeExpandKernelStackAndCallout and KeExpandKernelStackAndCalloutEx.
 *
 * The documented strategy over the modeled stack: in place when Size bytes are free, else
 * grow the current stack to a large stack, else a new stack segment; each growth or
 * segment asks the fault hook at its own site. Every rule and every decided OPEN point is
 * in model/SEMANTICS.md, in the order this file checks them. The callout always runs on a
 * real stack of its own, so its stack use is measured whatever the modeled path.
 */
#include "internal.h"
#include "ntddk.h"

static int routine_available(int ex)
{
    const kf_profile *p = kf_current_profile();
    if (ex)
        return p->os >= KF_OS_VISTA;
    return p->os >= KF_OS_VISTA || p->arch == KF_ARCH_AMD64;
}

static KIRQL max_irql(int ex)
{
    return (ex && kf_current_profile()->os >= KF_OS_WIN7) ? DISPATCH_LEVEL : APC_LEVEL;
}

/* Tries one allocation step at a fault site; returns 1 when the stack is there. */
static int obtain(kf_site site, BOOLEAN wait, kf_expand_record *rec)
{
    kf_fault_kind k = kf_fault_consult(site);
    if (k == KF_FAULT_NONE)
        return 1;
    if (k == KF_FAULT_TRANSIENT && wait) {
        rec->waited = TRUE; /* the shortage passes while the thread waits */
        return 1;
    }
    return 0;
}

static NTSTATUS expand(const char *routine, int ex, void (*callout)(PVOID), PVOID parameter, SIZE_T size,
                       BOOLEAN wait, PVOID context)
{
    kf_thread *t = kf__thread();
    const kf_profile *p = kf_current_profile();
    const kf_options *o = kf_options_get();
    kf_expand_record rec;
    memset(&rec, 0, sizeof rec);
    rec.size = size;
    rec.irql_before = t->irql;
    rec.status = STATUS_UNSUCCESSFUL;
    t->last = rec;

    /* 1. The routine must exist on the simulated OS. */
    if (!routine_available(ex)) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0,
                          "%s does not exist on %s (the Ex routine from Vista; the other from Vista, "
                          "or Server 2003 SP1 on amd64)",
                          routine, kf_profile_name(p, prof, sizeof prof));
    }
    /* 2. IRQL: above what the routine and the OS allow is a bug check. */
    KIRQL max = max_irql(ex);
    if (t->irql > max)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, max, t->irql, 0, 0,
                    "called at IRQL %u; this routine on this OS requires IRQL <= %u", t->irql, max);
    /* 3. Contract: a callout, and Context reserved. */
    if (!callout)
        kf_violation_stop(KF_VIOL_NULL_CALLOUT, routine, 0, 0, 0, "Callout is NULL");
    if (context)
        kf_violation_stop(KF_VIOL_CONTEXT_NOT_NULL, routine, (ULONG_PTR)1, 0, 0,
                          "Context is reserved and must be NULL");
    /* 4. Parameters, in parameter order. */
    if (size > p->maximum_expansion_size) {
        t->last.status = STATUS_INVALID_PARAMETER_3;
        return STATUS_INVALID_PARAMETER_3;
    }
    if (wait && t->irql >= DISPATCH_LEVEL) {
        t->last.status = STATUS_INVALID_PARAMETER_4;
        return STATUS_INVALID_PARAMETER_4;
    }
    /* 5. The internal limit: expanded callouts active on this thread. */
    if (t->depth >= o->nest_limit) {
        t->last.status = STATUS_STACK_OVERFLOW;
        return STATUS_STACK_OVERFLOW;
    }
    /* 6. The strategy. */
    kf_mstack saved = t->stack, inside = t->stack;
    SIZE_T used_modeled = t->stack.size - t->stack.remaining;
    if (t->stack.remaining >= size) {
        rec.path = KF_PATH_IN_PLACE;
    } else if (!t->stack.large && used_modeled + size <= p->large_stack_size &&
               obtain(KF_SITE_STACK_GROW, wait, &rec)) {
        rec.path = KF_PATH_GROWN;
        inside.size = p->large_stack_size;
        inside.remaining = p->large_stack_size - used_modeled;
        inside.large = TRUE;
    } else if (obtain(KF_SITE_STACK_SEGMENT, wait, &rec)) {
        rec.path = KF_PATH_SEGMENT;
        inside.size = p->large_stack_size;
        inside.remaining = p->maximum_expansion_size; /* half a page holds the segment's header */
        inside.large = TRUE;
        inside.high = saved.high - saved.size - 0x100000;
    } else {
        rec.status = STATUS_NO_MEMORY;
        t->last = rec;
        return STATUS_NO_MEMORY;
    }

    /* The real stack the callout runs on: Size, in whole pages, plus the slack. */
    size_t granted = ((size_t)size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE + (size_t)o->stack_slack;
    kf_segment *seg = kf__segment_take(granted, size);
    if (!seg) {
        /* The host itself has no memory for the stack: the same answer a kernel gives. */
        rec.path = KF_PATH_NONE;
        rec.status = STATUS_NO_MEMORY;
        t->last = rec;
        return STATUS_NO_MEMORY;
    }

    rec.modeled_remaining_in = inside.remaining;
    rec.real_stack_granted = granted;
    rec.irql_in_callout = t->irql;
    KIRQL entry_irql = t->irql;
    t->stack = inside;
    t->depth++;
    size_t used = 0;
    int r = kf__segment_run(seg, callout, parameter, &used);
    t->depth--;
    t->stack = saved;
    kf__segment_give(seg);
    rec.callout_calls = 1;
    rec.real_stack_used = used;
    rec.irql_after_callout = t->irql;
    rec.status = STATUS_SUCCESS;
    t->last = rec;
    if (r == KF_JMP_STOP)
        kf__unwind_stop(); /* a stop inside the callout travels on toward its guard */

    if (t->irql != entry_irql)
        kf_bugcheck(routine, IRQL_UNEXPECTED_VALUE, entry_irql, t->irql, 0, 0,
                    "the callout returned at IRQL %u but was called at IRQL %u", t->irql, entry_irql);
    if (used > granted)
        kf_violation_stop(KF_VIOL_STACK_OVERRUN, routine, size, used, granted,
                          "the callout asked for Size=0x%zx bytes and used 0x%zx bytes of stack (granted "
                          "0x%zx with stack_slack)",
                          (size_t)size, used, granted);
    return STATUS_SUCCESS;
}

NTSTATUS KeExpandKernelStackAndCalloutEx(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter, SIZE_T Size,
                                         BOOLEAN Wait, PVOID Context)
{
    return expand("KeExpandKernelStackAndCalloutEx", 1, Callout, Parameter, Size, Wait, Context);
}

NTSTATUS KeExpandKernelStackAndCallout(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter, SIZE_T Size)
{
    /* Decided: the non-Ex routine behaves as the Ex routine with Wait TRUE and Context NULL
     * (see SEMANTICS.md, E-OPEN-1). */
    return expand("KeExpandKernelStackAndCallout", 0, Callout, Parameter, Size, TRUE, NULL);
}

const kf_expand_record *kf_last_expand(void) { return &kf__thread()->last; }
unsigned kf_callout_depth(void) { return kf__thread()->depth; }
