/*
 * kernel.c - the simulated thread and the small kernel routines around stack expansion:
 * IRQL, remaining stack and stack limits, system threads and PsTerminateSystemThread,
 * debug output, assertions, the reset between runs (pool is in pool.c), kf_leaks, which
 * gathers what every part of the model counts as left behind (K-12), and the IRQL rule most
 * routines share (kf__irql_at_most).
 *
 * Everything is a function of the calls made and the options: no clock, no addresses in
 * any value a driver or a report sees (thread "addresses" and stack limits are modeled).
 */
#include "internal.h"
#include "ntddk.h"

#include <stdarg.h>
#include <stdlib.h>

static _Thread_local kf_thread thread;
static _Thread_local int thread_ready;

#define MODELED_THREAD ((ULONG_PTR)0xFFFFC08000001080ull)

static void thread_init(kf_thread *t)
{
    const kf_profile *p = kf_current_profile();
    memset(t, 0, sizeof *t);
    t->irql = PASSIVE_LEVEL;
    t->large_base = FALSE;
    t->stack.size = p->kernel_stack_size;
    t->stack.remaining = p->kernel_stack_size;
    t->stack.high = kf__stack_high_base();
    t->stack.large = FALSE;
}

kf_thread *kf__thread(void)
{
    if (!thread_ready) {
        thread_init(&thread);
        thread_ready = 1;
    }
    return &thread;
}

/* ---- Parts of the model that keep state of their own -------------------------------- */

#define MAX_PARTS 32
static kf_reset_fn reset_fns[MAX_PARTS];
static size_t n_parts;
kf_leak_report kf__leaks_at_reset;
size_t (*kf__callback_data_outstanding)(void);
size_t (*kf__flt_ports_outstanding)(void);
size_t (*kf__flt_work_outstanding)(void);
size_t (*kf__flt_cbdq_outstanding)(void);
size_t (*kf__flt_contexts_outstanding)(void);
size_t (*kf__flt_names_outstanding)(void);
size_t (*kf__flt_object_refs_outstanding)(void);
size_t (*kf__io_devices_outstanding)(void);
size_t (*kf__io_symbolic_links_outstanding)(void);
size_t (*kf__io_irps_pending)(void);
size_t (*kf__flt_ecps_outstanding)(void);
size_t (*kf__flt_sections_outstanding)(void);
size_t (*kf__flt_views_outstanding)(void);

void kf__register_reset(kf_reset_fn fn)
{
    for (size_t i = 0; i < n_parts; i++)
        if (reset_fns[i] == fn)
            return;
    if (n_parts < MAX_PARTS)
        reset_fns[n_parts++] = fn;
}

/* Runners of deferred work the model owns (queued work items, completions): a wait that
 * nothing else could satisfy runs them before it is judged a deadlock. */
static kf_pending_fn pending_fns[MAX_PARTS];
static size_t n_pending;

void kf__register_pending(kf_pending_fn fn)
{
    for (size_t i = 0; i < n_pending; i++)
        if (pending_fns[i] == fn)
            return;
    if (n_pending < MAX_PARTS)
        pending_fns[n_pending++] = fn;
}

int kf__run_pending(void)
{
    int ran = 0;
    for (size_t i = 0; i < n_pending; i++)
        ran |= pending_fns[i]() != 0;
    return ran;
}

/* Every field of kf_leak_report, from the part that owns it: pool (with the Rtl string
 * buffers, which are pool to the driver), stack segments, callback data, handles and object
 * references, lookaside lists, work items and MDLs. */
void kf_leaks(kf_leak_report *out)
{
    memset(out, 0, sizeof *out);
    kf__pool_leaks(out);
    out->rtl_strings = kf__rtl_strings_outstanding();
    out->pool_blocks = kf__pool_outstanding() + out->rtl_strings;
    out->segments = kf_segments_in_use();
    out->callback_data = kf__callback_data_outstanding ? kf__callback_data_outstanding() : 0;
    kf__object_leaks(&out->handles, &out->objects);
    out->flt_ports = kf__flt_ports_outstanding ? kf__flt_ports_outstanding() : 0;
    out->flt_work_items = kf__flt_work_outstanding ? kf__flt_work_outstanding() : 0;
    out->flt_cbdq_entries = kf__flt_cbdq_outstanding ? kf__flt_cbdq_outstanding() : 0;
    out->flt_contexts = kf__flt_contexts_outstanding ? kf__flt_contexts_outstanding() : 0;
    out->flt_names = kf__flt_names_outstanding ? kf__flt_names_outstanding() : 0;
    out->flt_object_refs = kf__flt_object_refs_outstanding ? kf__flt_object_refs_outstanding() : 0;
    out->device_objects = kf__io_devices_outstanding ? kf__io_devices_outstanding() : 0;
    out->symbolic_links = kf__io_symbolic_links_outstanding ? kf__io_symbolic_links_outstanding() : 0;
    out->irps_pending = kf__io_irps_pending ? kf__io_irps_pending() : 0;
    out->flt_ecps = kf__flt_ecps_outstanding ? kf__flt_ecps_outstanding() : 0;
    out->flt_sections = kf__flt_sections_outstanding ? kf__flt_sections_outstanding() : 0;
    out->flt_views = kf__flt_views_outstanding ? kf__flt_views_outstanding() : 0;
}

void kf_reset(void)
{
    kf_leaks(&kf__leaks_at_reset);
    kf__pool_release_all();
    for (size_t i = 0; i < n_parts; i++)
        reset_fns[i]();
    kf_thread *t = kf__thread();
    thread_init(t);
    kf_fault_reset_stats();
}

/* ---- The modeled stack -------------------------------------------------------------- */

void kf_set_remaining_stack(SIZE_T remaining)
{
    kf_thread *t = kf__thread();
    t->stack.remaining = remaining > t->stack.size ? t->stack.size : remaining;
}

void kf_set_large_stack(BOOLEAN large)
{
    kf_thread *t = kf__thread();
    const kf_profile *p = kf_current_profile();
    SIZE_T used = t->stack.size - t->stack.remaining;
    t->large_base = large ? TRUE : FALSE;
    t->stack.large = t->large_base;
    t->stack.size = large ? p->large_stack_size : p->kernel_stack_size;
    t->stack.remaining = used > t->stack.size ? 0 : t->stack.size - used;
}

void kf_with_stack_consumed(SIZE_T bytes, void (*fn)(void *), void *arg)
{
    kf_thread *t = kf__thread();
    SIZE_T saved = t->stack.remaining;
    t->stack.remaining -= bytes > saved ? saved : bytes;
    fn(arg);
    t->stack.remaining = saved;
}

ULONG_PTR IoGetRemainingStackSize(VOID) { return kf__thread()->stack.remaining; }

VOID IoGetStackLimits(PULONG_PTR LowLimit, PULONG_PTR HighLimit)
{
    kf_thread *t = kf__thread();
    *HighLimit = t->stack.high;
    *LowLimit = t->stack.high - t->stack.size;
}

/* ---- IRQL --------------------------------------------------------------------------- */

static KIRQL high_level(void)
{
    kf_arch a = kf_current_profile()->arch;
    return (a == KF_ARCH_AMD64 || a == KF_ARCH_ARM64) ? 15 : 31;
}

void kf_set_irql(KIRQL irql) { kf__thread()->irql = irql; }

KIRQL KeGetCurrentIrql(VOID) { return kf__thread()->irql; }

void kf__irql_at_most(const char *routine, KIRQL max)
{
    kf_thread *t = kf__thread();
    if (t->irql > max)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, max, t->irql, 0, 0, "%s at IRQL %u (requires IRQL <= %u)", routine,
                    t->irql, max);
}

VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    kf_thread *t = kf__thread();
    if (NewIrql < t->irql)
        kf_bugcheck("KeRaiseIrql", IRQL_NOT_GREATER_OR_EQUAL, t->irql, NewIrql, 0, 0,
                    "KeRaiseIrql to %u from the higher IRQL %u", NewIrql, t->irql);
    if (NewIrql > high_level())
        kf_bugcheck("KeRaiseIrql", IRQL_NOT_LESS_OR_EQUAL, NewIrql, high_level(), 0, 0,
                    "KeRaiseIrql to %u, above HIGH_LEVEL (%u) of this architecture", NewIrql, high_level());
    *OldIrql = t->irql;
    t->irql = NewIrql;
}

KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    return old;
}

VOID KeLowerIrql(KIRQL NewIrql)
{
    kf_thread *t = kf__thread();
    if (NewIrql > t->irql)
        kf_bugcheck("KeLowerIrql", IRQL_NOT_LESS_OR_EQUAL, NewIrql, t->irql, 0, 0,
                    "KeLowerIrql to %u from the lower IRQL %u", NewIrql, t->irql);
    t->irql = NewIrql;
}

/* ---- Threads ------------------------------------------------------------------------ */

PETHREAD PsGetCurrentThread(VOID) { return (PETHREAD)MODELED_THREAD; }
HANDLE PsGetCurrentThreadId(VOID) { return (HANDLE)(ULONG_PTR)0x1004; }

NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    kf_thread *t = kf__thread();
    if (t->depth > 0)
        kf_bugcheck("PsTerminateSystemThread", KERNEL_EXPAND_STACK_ACTIVE, MODELED_THREAD, 0, 0, 0,
                    "PsTerminateSystemThread while %u expanded-stack callout(s) are active on the thread",
                    t->depth);
    for (kf_seh_frame *f = t->frames; f; f = f->prev) {
        if (f->kind == KF_FRAME_THREAD) {
            t->frames = f->prev;
            t->exit_status = ExitStatus;
            longjmp(f->jb, KF_JMP_TERMINATE);
        }
    }
    kf_violation_stop(KF_VIOL_NOT_SYSTEM_THREAD, "PsTerminateSystemThread", (ULONG_PTR)(ULONG)ExitStatus, 0, 0,
                      "PsTerminateSystemThread(0x%08X) outside a system thread", (unsigned)ExitStatus);
}

NTSTATUS kf_run_system_thread(void (*start)(void *), void *ctx)
{
    kf_thread *t = kf__thread();
    kf_seh_frame f;
    memset(&f, 0, sizeof f);
    kf__frame_push(&f, KF_FRAME_THREAD);
    /* A switch gives the second return of setjmp a coverage counter of its own (see
     * kf_guarded_call). */
    switch (setjmp(f.jb)) {
    case 0:
        start(ctx);
        kf__frame_pop(&f);
        return STATUS_SUCCESS;
    default:
        return t->exit_status;
    }
}

/* ---- Debug output and assertions ----------------------------------------------------- */

VOID RtlAssert(PVOID FailedAssertion, PVOID FileName, ULONG LineNumber, PSTR Message)
{
    kf_violation_stop(KF_VIOL_ASSERT_FAILED, "RtlAssert", LineNumber, 0, 0, "ASSERT(%s) failed at %s:%u%s%s",
                      (const char *)FailedAssertion, (const char *)FileName, LineNumber, Message ? ": " : "",
                      Message ? Message : "");
}
