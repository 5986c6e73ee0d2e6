/*
 * stop.c - bug checks, contract violations, exceptions and the frames they travel through.
 *
 * Each simulated thread keeps one chain of frames: driver __try handlers (SEH), callout
 * barriers (one per active expanded callout), system-thread entries and harness guards.
 * An exception unwinds to the innermost handler but never through a barrier (that bug
 * checks KMODE_EXCEPTION_NOT_HANDLED, before any __finally block runs). Exceptions are
 * dispatched in Windows' two phases (SEMANTICS.md L-1 to L-9). A stop unwinds barrier by
 * barrier, each longjmp staying on one stack, to the innermost guard; with no guard it
 * prints its report and aborts. Nothing here ever returns to code past a stop.
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
    {0x93, "INVALID_KERNEL_HANDLE"},
    {0x0C, "MAXIMUM_WAIT_OBJECTS_EXCEEDED"},
    {0x44, "MULTIPLE_IRP_COMPLETE_REQUESTS"},
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
        if (f->kind == KF_FRAME_BARRIER || f->kind == KF_FRAME_GUARD || f->kind == KF_FRAME_WORKER) {
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
    struct kf_dispatch *volatile dispatch = t->dispatch;
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
        t->dispatch = dispatch;
        if (out)
            *out = t->stop;
        return 1;
    }
}

/* ---- Structured exception handling (SEMANTICS.md L-1 to L-9) ------------------------
 *
 * A raise is dispatched as on Windows. Search: from the innermost frame outward, each
 * __except filter is evaluated (the __finally frames are passed over) until one answers
 * EXCEPTION_EXECUTE_HANDLER; reaching a callout barrier, a guard, a system-thread entry or
 * the end of the chain first bug checks 0x1E there and then, before anything is unwound.
 * Unwind: the __finally blocks between the raise and the chosen handler run innermost first
 * (each with AbnormalTermination() true), then the handler.
 *
 * To evaluate a filter, the dispatcher longjmps into the function of its __try, which moves
 * its stack pointer below the raise point (kf_seh_frame.pad) before it calls anything, so
 * the frames the exception came through, whose __finally blocks may still have to run, and
 * the dispatcher itself, stay intact; the filter's answer comes back by longjmp. The unwind
 * then only ever longjmps outward. The state of each __try lives in its kf_seh_frame; the
 * macros of kfault/seh.h drive it through kf_seh_enter on every pass of their loop.
 */

enum {
    S_NEW = 0,     /* before the first pass */
    S_PROBE,       /* first pass: the macros say whether __except or __finally follows */
    S_BODY_NEXT,   /* on the chain, the body starts on this pass */
    S_BODY,        /* the body is running */
    S_LEFT,        /* the body ended (end reached, or __leave) */
    S_FILTERING,   /* its filter is being evaluated */
    S_HANDLER,     /* an exception unwound to it: its handler runs next */
    S_FIN_PENDING, /* an exception unwinds through it: its __finally block runs next */
    S_FIN_RUNNING, /* its __finally block is running (the frame stays on the chain) */
    S_DONE,
    S_HANDLED      /* left for its handler (kf_seh_handled) */
};
enum { T_UNKNOWN = 0, T_EXCEPT = 1, T_FINALLY = 2 };
_Static_assert(S_FILTERING == KF_SEH_FILTERING, "seh.h tests the filtering state inline");

struct kf_dispatch {
    jmp_buf jb;                 /* the dispatcher, waiting for a filter's answer */
    EXCEPTION_RECORD record;
    EXCEPTION_POINTERS pointers;
    struct kf_dispatch *prev;   /* the exception whose filter raised this one */
    kf_seh_frame *first;        /* the innermost frame when it was raised */
    kf_seh_frame *filtering;    /* the frame whose filter is running */
    kf_seh_frame *cursor;       /* the frame the search stands at */
    char *mark;                 /* below every frame the dispatch must keep */
    long disposition;
};

/* Below the caller's frame: a dispatcher's frame and everything above it lie higher. */
static __attribute__((noinline)) char *stack_mark(void)
{
    char *volatile fa = (char *)__builtin_frame_address(0);
    return fa;
}

void kf_seh_pad_use(volatile char *pad) { pad[0] = 0; }

static _Noreturn void seh_model_bug(const char *what)
{
    fprintf(stderr, "kfault: SEH model error: %s\n", what);
    abort();
}

static void frame_pop_top(kf_seh_frame *f)
{
    kf_thread *t = kf__thread();
    if (t->frames != f)
        seh_model_bug("a __try frame left while another was innermost");
    t->frames = f->prev;
}

static _Noreturn void unhandled(NTSTATUS code, const kf_seh_frame *f)
{
    if (f && f->kind == KF_FRAME_BARRIER)
        kf_bugcheck("ExRaiseStatus", KMODE_EXCEPTION_NOT_HANDLED, (ULONG)code, 0, 0, 0,
                    "exception 0x%08X escaped an expanded-stack callout (a callout must handle "
                    "every exception it raises); no __finally block ran",
                    (unsigned)code);
    if (f && f->kind == KF_FRAME_WORKER)
        kf_bugcheck("ExRaiseStatus", KMODE_EXCEPTION_NOT_HANDLED, (ULONG)code, 0, 0, 0,
                    "exception 0x%08X escaped a work item routine (a worker thread has no handler for it); "
                    "no __finally block ran",
                    (unsigned)code);
    kf_bugcheck("ExRaiseStatus", KMODE_EXCEPTION_NOT_HANDLED, (ULONG)code, 0, 0, 0,
                "exception 0x%08X raised with no handler on the thread", (unsigned)code);
}

/* Phase 2 from wherever it stands: the next __finally block between the innermost frame and
 * the target, or the target's handler. */
static _Noreturn void unwind_continue(kf_seh_frame *target)
{
    kf_thread *t = kf__thread();
    for (;;) {
        kf_seh_frame *f = t->frames;
        if (f == target) {
            t->frames = target->prev;
            target->state = S_HANDLER;
            longjmp(target->jb, KF_JMP_EXCEPTION);
        }
        if (!f || f->kind != KF_FRAME_SEH)
            seh_model_bug("an unwind lost its target");
        if (f->type == T_FINALLY && f->state == S_BODY) {
            f->state = S_FIN_PENDING;
            f->abnormal = 1;
            f->target = target;
            longjmp(f->jb, KF_JMP_EXCEPTION);
        }
        /* An __except whose body (or filter) the exception leaves, or a __finally whose block
         * was already running: gone. */
        t->frames = f->prev;
        f->state = S_DONE;
    }
}

static int frame_above(const kf_seh_frame *top, const kf_seh_frame *target, const kf_seh_frame *x)
{
    for (const kf_seh_frame *f = top; f && f != target; f = f->prev)
        if (f == x)
            return 1;
    return 0;
}

static _Noreturn void dispatch(NTSTATUS code, ULONG flags, kf_seh_frame *start, PEXCEPTION_RECORD chained);

/* ExRaiseStatus exceptions cannot be continued: a filter that answers
 * EXCEPTION_CONTINUE_EXECUTION gets a new exception, searched for from the next frame out,
 * that records the first. */
static _Noreturn void noncontinuable(kf_seh_frame *next, PEXCEPTION_RECORD first)
{
    dispatch(STATUS_NONCONTINUABLE_EXCEPTION, EXCEPTION_NONCONTINUABLE, next, first);
}

static _Noreturn void dispatch(NTSTATUS code, ULONG flags, kf_seh_frame *start, PEXCEPTION_RECORD chained)
{
    kf_thread *t = kf__thread();
    /* Everything that lives across the setjmp below is in d (memory), never in a register. */
    struct kf_dispatch d;
    memset(&d, 0, sizeof d);
    d.record.ExceptionCode = code;
    d.record.ExceptionFlags = flags;
    d.record.ExceptionRecord = chained;
    d.pointers.ExceptionRecord = &d.record;
    d.pointers.ContextRecord = NULL;
    d.prev = t->dispatch;
    d.first = t->frames;
    d.cursor = start;
    d.mark = stack_mark();
    t->dispatch = &d;
    t->exception_code = code;

    for (;; d.cursor = d.cursor->prev) {
        /* An exception raised in a filter passes over the frames its enclosing exception
         * was raised through, and the frame whose filter raised it. */
        for (struct kf_dispatch *e = d.prev; e; e = e->prev)
            if (e->filtering && d.cursor == e->first)
                d.cursor = e->filtering->prev;
        if (!d.cursor || d.cursor->kind != KF_FRAME_SEH)
            unhandled(d.record.ExceptionCode, d.cursor);
        if (d.cursor->type != T_EXCEPT || d.cursor->state != S_BODY)
            continue;
        d.filtering = d.cursor;
        d.cursor->state = S_FILTERING;
        /* The filter runs below the pad: from the frame of its function (always at or above
         * its stack pointer) down past this dispatcher, plus room for the calls that set the
         * pad up. */
        d.cursor->pad = (char *)d.cursor->owner > d.mark ? (size_t)((char *)d.cursor->owner - d.mark) + 1024 : 1;
        t->exception_code = d.record.ExceptionCode;
        if (setjmp(d.jb) == 0)
            longjmp(d.cursor->jb, KF_JMP_EXCEPTION);
        d.filtering = NULL;
        d.cursor->state = S_BODY;
        t->exception_code = d.record.ExceptionCode;
        if (d.disposition > 0)
            break;
        if (d.disposition < 0)
            noncontinuable(d.cursor->prev, &d.record);
    }

    /* Phase 2. The exceptions whose filters ran in frames the unwind removes are over. */
    d.cursor->code = d.record.ExceptionCode;
    while (t->dispatch) {
        struct kf_dispatch *e = t->dispatch;
        if (e->filtering && !frame_above(t->frames, d.cursor, e->filtering))
            break;
        t->dispatch = e->prev;
    }
    unwind_continue(d.cursor);
}

DECLSPEC_NORETURN VOID ExRaiseStatus(NTSTATUS status)
{
    dispatch(status, EXCEPTION_NONCONTINUABLE, kf__thread()->frames, NULL);
}

DECLSPEC_NORETURN VOID ExRaiseAccessViolation(VOID)
{
    dispatch(STATUS_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, kf__thread()->frames, NULL);
}

DECLSPEC_NORETURN VOID ExRaiseDatatypeMisalignment(VOID)
{
    dispatch(STATUS_DATATYPE_MISALIGNMENT, EXCEPTION_NONCONTINUABLE, kf__thread()->frames, NULL);
}

int kf_seh_enter(kf_seh_frame *f)
{
    kf_thread *t = kf__thread();
    switch (f->state) {
    case S_NEW:
        /* What an earlier __try left for its __except is stale once another __try starts. */
        memset(&t->seh_exit, 0, sizeof t->seh_exit);
        f->state = S_PROBE;
        return 1;
    case S_PROBE:
        if (f->type == T_UNKNOWN)
            seh_model_bug("a __try without __except or __finally");
        f->code = 0;
        kf__frame_push(f, KF_FRAME_SEH);
        f->state = S_BODY_NEXT;
        return 1;
    case S_BODY:
        frame_pop_top(f);
        f->state = S_DONE;
        kf_violation_stop(KF_VIOL_SEH_JUMP_NOT_MODELED, "__try", 1, 0, 0,
                          "a continue written directly in a __try block left it; on Windows it "
                          "continues the enclosing loop (running any __finally block), which C "
                          "cannot do from kfault's __try: kfault limit, not a driver bug");
    case S_LEFT:
        if (f->type == T_FINALLY) {
            f->state = S_FIN_RUNNING;
            f->abnormal = 0;
            f->fin_ended = 0;
            return 1;
        }
        frame_pop_top(f);
        f->state = S_DONE;
        return 0;
    case S_FILTERING:
        return 1;
    case S_HANDLER:
        f->state = S_HANDLED;
        return 0;
    case S_FIN_PENDING:
        f->state = S_FIN_RUNNING;
        f->fin_ended = 0;
        return 1;
    case S_FIN_RUNNING:
        frame_pop_top(f);
        f->state = S_DONE;
        if (!f->fin_ended) {
            if (f->abnormal)
                kf_violation_stop(KF_VIOL_SEH_JUMP_OUT_OF_FINALLY, "__finally", 2, 0, 0,
                                  "a break left a __finally block while exception 0x%08X unwound "
                                  "through it (undefined behavior on Windows, MSVC warning C4532)",
                                  (unsigned)f->target->code);
            kf_violation_stop(KF_VIOL_SEH_JUMP_NOT_MODELED, "__finally", 2, 0, 0,
                              "a break written directly in a __finally block left it; on Windows "
                              "it leaves the enclosing loop, which C cannot do from kfault's "
                              "__finally: kfault limit, not a driver bug");
        }
        if (f->abnormal)
            unwind_continue(f->target);
        return 0;
    default:
        return 0;
    }
}

int kf_seh_body(kf_seh_frame *f)
{
    if (f->state != S_BODY_NEXT)
        return 0;
    f->state = S_BODY;
    return 1;
}

void kf_seh_body_end(kf_seh_frame *f)
{
    if (f->state == S_BODY)
        f->state = S_LEFT;
}

int kf_seh_filtering(kf_seh_frame *f, const char *file, int line)
{
    if (f->state == S_PROBE) {
        f->type = T_EXCEPT;
        f->file = file;
        f->line = line;
    }
    return 0;
}

_Noreturn void kf_seh_filter_done(kf_seh_frame *f, long disposition)
{
    struct kf_dispatch *d = kf__thread()->dispatch;
    if (!d || d->filtering != f)
        seh_model_bug("a filter answered for an exception that is not being dispatched");
    d->disposition = disposition;
    longjmp(d->jb, 1);
}

int kf_seh_finally(kf_seh_frame *f)
{
    if (f->state == S_PROBE) {
        f->type = T_FINALLY;
        return 0;
    }
    return f->state == S_FIN_RUNNING;
}

int kf_seh_finally_once(kf_seh_frame *f) { return !f->fin_ended; }

void kf_seh_finally_next(kf_seh_frame *f) { f->fin_ended = 1; }

void kf_seh_cleanup(kf_seh_frame *f)
{
    kf_thread *t = kf__thread();
    switch (f->state) {
    case S_HANDLED:
    case S_BODY:
        if (f->state == S_BODY) {
            frame_pop_top(f);
            f->state = S_DONE;
            if (f->type == T_FINALLY)
                kf_violation_stop(KF_VIOL_SEH_JUMP_NOT_MODELED, "__try", 3, 0, 0,
                                  "a return, goto or break left a __try block that has a __finally "
                                  "block; Windows runs the block first (AbnormalTermination() "
                                  "true), which C cannot do: kfault limit, not a driver bug");
            f->state = S_BODY;
        }
        /* For the __except after the loop: a handler to run, or a break out of the body. */
        t->seh_exit.file = f->file;
        t->seh_exit.line = f->line;
        t->seh_exit.owner = f->owner;
        t->seh_exit.state = f->state;
        t->seh_exit.code = f->code;
        f->state = S_DONE;
        break;
    case S_FIN_RUNNING:
        /* A return or goto out of a __finally block: legal after normal termination. */
        frame_pop_top(f);
        f->state = S_DONE;
        if (f->abnormal)
            kf_violation_stop(KF_VIOL_SEH_JUMP_OUT_OF_FINALLY, "__finally", 3, 0, 0,
                              "a return or goto left a __finally block while exception 0x%08X "
                              "unwound through it (undefined behavior on Windows, MSVC warning "
                              "C4532)",
                              (unsigned)f->target->code);
        break;
    default:
        break;
    }
}

int kf_seh_handled(const char *file, int line, void *owner)
{
    kf_thread *t = kf__thread();
    int state = t->seh_exit.state;
    NTSTATUS code = t->seh_exit.code;
    int mine = t->seh_exit.owner == owner && t->seh_exit.line == line && t->seh_exit.file &&
               (t->seh_exit.file == file || !strcmp(t->seh_exit.file, file));
    memset(&t->seh_exit, 0, sizeof t->seh_exit);
    if (!mine)
        return 0;
    if (state == S_HANDLED) {
        t->exception_code = code;
        return 1;
    }
    if (state == S_BODY)
        kf_violation_stop(KF_VIOL_SEH_JUMP_NOT_MODELED, "__try", 4, 0, 0,
                          "a break written directly in a __try block left it; on Windows it leaves "
                          "the enclosing loop, which C cannot do from kfault's __try: kfault limit, "
                          "not a driver bug");
    return 0;
}

NTSTATUS kf_seh_code(void) { return kf__thread()->exception_code; }

PEXCEPTION_POINTERS kf_seh_info(void)
{
    struct kf_dispatch *d = kf__thread()->dispatch;
    return d && d->filtering ? &d->pointers : NULL;
}

int kf_seh_abnormal(void)
{
    for (kf_seh_frame *f = kf__thread()->frames; f && f->kind == KF_FRAME_SEH; f = f->prev)
        if (f->state == S_FIN_RUNNING)
            return f->abnormal;
    return 0;
}
