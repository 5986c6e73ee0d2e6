/*
 * stop.c - bug checks, contract violations, exceptions and the frames they travel through.
 *
 * Each simulated thread keeps one chain of frames: driver __try handlers (SEH), callout
 * barriers (one per active expanded callout), system-thread entries and harness guards.
 * An exception unwinds to the innermost handler but never through a barrier (that bug
 * checks KMODE_EXCEPTION_NOT_HANDLED). A stop unwinds barrier by barrier, each longjmp
 * staying on one stack, to the innermost guard; with no guard it prints its report and
 * aborts. Nothing here ever returns to code past a stop.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>

static const struct {
    ULONG code;
    const char *name;
} bugcheck_names[] = {
    {IRQL_NOT_GREATER_OR_EQUAL, "IRQL_NOT_GREATER_OR_EQUAL"},
    {IRQL_NOT_LESS_OR_EQUAL, "IRQL_NOT_LESS_OR_EQUAL"},
    {KMODE_EXCEPTION_NOT_HANDLED, "KMODE_EXCEPTION_NOT_HANDLED"},
    {DRIVER_VERIFIER_DETECTED_VIOLATION, "DRIVER_VERIFIER_DETECTED_VIOLATION"},
    {IRQL_UNEXPECTED_VALUE, "IRQL_UNEXPECTED_VALUE"},
    {DRIVER_IRQL_NOT_LESS_OR_EQUAL, "DRIVER_IRQL_NOT_LESS_OR_EQUAL"},
    {KERNEL_EXPAND_STACK_ACTIVE, "KERNEL_EXPAND_STACK_ACTIVE"},
    {0xC2, "BAD_POOL_CALLER"},
    {0x3F, "NO_MORE_SYSTEM_PTES"},
    {0xE1, "WORKER_THREAD_RETURNED_AT_BAD_IRQL"},
};

static const struct {
    ULONG code;
    const char *name, *what;
} violations[] = {
#define KF_VIOLATION(id, code, name, what) {code, name, what},
#include "kfault/violations.def"
#undef KF_VIOLATION
};

const char *kf_bugcheck_name(ULONG code)
{
    for (size_t i = 0; i < sizeof bugcheck_names / sizeof bugcheck_names[0]; i++)
        if (bugcheck_names[i].code == code)
            return bugcheck_names[i].name;
    return "UNKNOWN_BUGCHECK";
}

const char *kf_violation_name(ULONG code)
{
    for (size_t i = 0; i < sizeof violations / sizeof violations[0]; i++)
        if (violations[i].code == code)
            return violations[i].name;
    return NULL;
}

const char *kf_violation_what(ULONG code)
{
    for (size_t i = 0; i < sizeof violations / sizeof violations[0]; i++)
        if (violations[i].code == code)
            return violations[i].what;
    return NULL;
}

void kf_stop_format(const kf_stop *s, char *buf, size_t len)
{
    char prof[32];
    const char *vname = s->code == DRIVER_VERIFIER_DETECTED_VIOLATION ? kf_violation_name((ULONG)s->param[0]) : NULL;
    snprintf(buf, len,
             "*** STOP: 0x%08X (0x%llX, 0x%llX, 0x%llX, 0x%llX)\n"
             "*** %s%s%s%s\n"
             "*** routine: %s\n"
             "*** reason: %s\n"
             "*** profile: %s\n",
             (unsigned)s->code, (unsigned long long)s->param[0], (unsigned long long)s->param[1],
             (unsigned long long)s->param[2], (unsigned long long)s->param[3], kf_bugcheck_name(s->code),
             vname ? " (" : "", vname ? vname : "", vname ? ")" : "", s->routine ? s->routine : "?",
             s->reason, kf_profile_name(kf_current_profile(), prof, sizeof prof));
}

/* ---- Frames ----------------------------------------------------------------------- */

void kf__frame_push(kf_seh_frame *f, int kind)
{
    kf_thread *t = kf__thread();
    f->kind = kind;
    f->prev = t->frames;
    t->frames = f;
}

void kf__frame_pop(kf_seh_frame *f)
{
    kf_thread *t = kf__thread();
    if (t->frames == f)
        t->frames = f->prev;
}

int kf__has_frame(int kind)
{
    for (kf_seh_frame *f = kf__thread()->frames; f; f = f->prev)
        if (f->kind == kind)
            return 1;
    return 0;
}

/* ---- Stops ------------------------------------------------------------------------ */

_Noreturn void kf__unwind_stop(void)
{
    kf_thread *t = kf__thread();
    for (kf_seh_frame *f = t->frames; f; f = f->prev) {
        if (f->kind == KF_FRAME_BARRIER || f->kind == KF_FRAME_GUARD) {
            t->frames = f->prev;
            t->unwinding = 1;
            longjmp(f->jb, KF_JMP_STOP);
        }
    }
    /* kf__stop only unwinds when a guard exists; reaching here is a model bug. */
    abort();
}

_Noreturn void kf__stop(const kf_stop *s)
{
    kf_thread *t = kf__thread();
    t->stop = *s;
    if (kf__has_frame(KF_FRAME_GUARD))
        kf__unwind_stop();
    char report[1024];
    kf_stop_format(s, report, sizeof report);
    fprintf(stderr, "\nkfault: the simulated kernel stopped\n%s", report);
    fflush(stderr);
    abort();
}

static _Noreturn void vstop(const char *routine, ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3,
                            ULONG_PTR p4, const char *fmt, va_list ap)
{
    kf_stop s;
    memset(&s, 0, sizeof s);
    s.code = code;
    s.param[0] = p1;
    s.param[1] = p2;
    s.param[2] = p3;
    s.param[3] = p4;
    s.routine = routine;
    vsnprintf(s.reason, sizeof s.reason, fmt, ap);
    kf__stop(&s);
}

_Noreturn void kf_bugcheck(const char *routine, ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3,
                           ULONG_PTR p4, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstop(routine, code, p1, p2, p3, p4, fmt, ap);
}

_Noreturn void kf_violation_stop(kf_violation v, const char *routine, ULONG_PTR p2, ULONG_PTR p3,
                                 ULONG_PTR p4, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstop(routine, DRIVER_VERIFIER_DETECTED_VIOLATION, (ULONG_PTR)v, p2, p3, p4, fmt, ap);
}

DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG code, ULONG_PTR p1, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4)
{
    kf_bugcheck("KeBugCheckEx", code, p1, p2, p3, p4, "the driver called KeBugCheckEx");
}

DECLSPEC_NORETURN VOID KeBugCheck(ULONG code)
{
    kf_bugcheck("KeBugCheck", code, 0, 0, 0, 0, "the driver called KeBugCheck");
}

int kf_guarded_call(void (*fn)(void *), void *arg, kf_stop *out)
{
    kf_thread *t = kf__thread();
    kf_seh_frame guard;
    /* Saved in the frame (not in locals) so that they survive the longjmp. */
    volatile KIRQL irql = t->irql;
    volatile kf_mstack stack = t->stack;
    volatile unsigned depth = t->depth;
    kf__frame_push(&guard, KF_FRAME_GUARD);
    /* A switch, not an if: each case has a coverage counter of its own, where an else would
     * be counted as entries minus then-branches, which is 0 when setjmp returns twice. */
    switch (setjmp(guard.jb)) {
    case 0:
        fn(arg);
        kf__frame_pop(&guard);
        return 0;
    default:
        /* A stop unwound to here: the chain above the guard is gone already. */
        t->unwinding = 0;
        t->irql = irql;
        t->stack = stack;
        t->depth = depth;
        if (out)
            *out = t->stop;
        return 1;
    }
}

/* ---- Exceptions ------------------------------------------------------------------- */

DECLSPEC_NORETURN VOID ExRaiseStatus(NTSTATUS status)
{
    kf_thread *t = kf__thread();
    kf_seh_frame *f = t->frames;
    t->exception_code = status;
    if (f && f->kind == KF_FRAME_SEH) {
        t->frames = f->prev;
        f->state = KF_SEH_CAUGHT;
        f->code = status;
        longjmp(f->jb, KF_JMP_EXCEPTION);
    }
    if (f && f->kind == KF_FRAME_BARRIER)
        kf_bugcheck("ExRaiseStatus", KMODE_EXCEPTION_NOT_HANDLED, (ULONG)status, 0, 0, 0,
                    "exception 0x%08X escaped an expanded-stack callout (a callout must handle "
                    "every exception it raises)",
                    (unsigned)status);
    kf_bugcheck("ExRaiseStatus", KMODE_EXCEPTION_NOT_HANDLED, (ULONG)status, 0, 0, 0,
                "exception 0x%08X raised with no handler on the thread", (unsigned)status);
}

int kf_seh_enter(kf_seh_frame *f)
{
    switch (f->state) {
    case KF_SEH_NEW:
        f->state = KF_SEH_IN_TRY;
        f->code = 0;
        kf__frame_push(f, KF_FRAME_SEH);
        return 1;
    case KF_SEH_IN_TRY:
        kf__frame_pop(f);
        f->state = KF_SEH_DONE;
        return 0;
    default:
        f->state = KF_SEH_DONE;
        return 0;
    }
}

void kf_seh_cleanup(kf_seh_frame *f)
{
    if (f->state == KF_SEH_IN_TRY)
        kf__frame_pop(f);
    f->state = KF_SEH_DONE;
}

int kf_seh_filter(kf_seh_frame *f, int disposition)
{
    kf__thread()->exception_code = f->code;
    if (disposition > 0)
        return 1;
    f->state = KF_SEH_DONE;
    if (disposition == EXCEPTION_CONTINUE_SEARCH)
        ExRaiseStatus(f->code);
    /* EXCEPTION_CONTINUE_EXECUTION: ExRaiseStatus exceptions cannot be continued. */
    ExRaiseStatus(STATUS_NONCONTINUABLE_EXCEPTION);
}

NTSTATUS kf_seh_code(void) { return kf__thread()->exception_code; }
