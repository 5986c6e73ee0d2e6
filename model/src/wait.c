/*
 * wait.c - dispatcher objects and waits on the simulated thread: events (notification and
 * synchronization), kernel mutexes (KMUTEX), semaphores, KeWaitForSingleObject,
 * KeWaitForMultipleObjects, FltCancellableWaitForSingleObject, the Wait TRUE form of the
 * signaling routines, and kf_defer (work another thread would do later). Rules W-1 to W-17
 * of model/SEMANTICS.md; violations 0x3380 to 0x33FF.
 *
 * An object's state lives in its own storage: the 24-byte dispatcher header holds the type,
 * the signal state, a magic that marks it initialized and a serial number (reports name
 * objects by it). There is one simulated thread, so a wait that is not satisfied at once
 * runs the model's pending work (kf__run_pending) until the objects are signaled or nothing
 * is left to run; then a finite timeout expires (the modeled clock advances by it, as the
 * thread was blocked that long) and an infinite wait is a deadlock stop. Waits never sleep
 * and never read a host clock.
 */
#include "internal.h"
#include "fltKernel.h"

/* Dispatcher header: [0] object type, [1] signal state, [2] magic, [3] serial, [4] the low
 * bits of the generation of the run that owns a mutex. */
#define OBJ_MAGIC 0x4B464F42 /* "KFOB" */
enum { TYPE_NOTIFICATION = 0, TYPE_SYNCHRONIZATION = 1, TYPE_MUTEX = 2, TYPE_PROCESS = 3, TYPE_SEMAPHORE = 5,
       TYPE_THREAD = 6 };

static const char *type_name(LONG t)
{
    switch (t) {
    case TYPE_NOTIFICATION:
        return "notification event";
    case TYPE_SYNCHRONIZATION:
        return "synchronization event";
    case TYPE_MUTEX:
        return "mutex";
    case TYPE_PROCESS:
        return "the current process";
    case TYPE_THREAD:
        return "the current thread";
    default:
        return "semaphore";
    }
}

static KIRQL irql(void) { return kf__thread()->irql; }

/* ---- Wait TRUE: the signal returns at DISPATCH_LEVEL and the next call must be a wait ---- */

static _Thread_local struct {
    int active;
    KIRQL old;
    const char *routine;
} S;

void kf__wait_check_signal(const char *routine)
{
    if (S.active)
        kf_violation_stop(KF_VIOL_SIGNAL_WAIT_NOT_FOLLOWED, routine, 0, irql(), 0,
                          "%s called after %s with Wait TRUE: that call must be followed at once by a "
                          "KeWaitXxx routine",
                          routine, S.routine);
}

static void signal_wait_begin(const char *routine)
{
    S.active = 1;
    S.old = irql();
    S.routine = routine;
    kf__thread()->irql = DISPATCH_LEVEL;
    kf__sync_hold(KF__HELD_DISPATCHER, NULL, routine);
}

/* A wait ends the Wait TRUE state: the IRQL the signal raised is restored first. */
static void signal_wait_end(void)
{
    if (!S.active)
        return;
    S.active = 0;
    kf__sync_drop(KF__HELD_DISPATCHER, NULL);
    kf__thread()->irql = S.old;
}

/* ---- Deferred work (kf_defer) ------------------------------------------------------------ */

#define MAX_DEFERRED 64
static struct {
    void (*fn)(void *);
    void *ctx;
} deferred[MAX_DEFERRED];
static unsigned n_deferred;

int kf_defer(void (*fn)(void *ctx), void *ctx)
{
    if (n_deferred >= MAX_DEFERRED)
        return -1;
    deferred[n_deferred].fn = fn;
    deferred[n_deferred].ctx = ctx;
    n_deferred++;
    return 0;
}

unsigned kf_deferred(void) { return n_deferred; }

/* Runs the oldest deferred call; nonzero when there was one. */
static int deferred_run(void)
{
    if (n_deferred == 0)
        return 0;
    void (*fn)(void *) = deferred[0].fn;
    void *ctx = deferred[0].ctx;
    memmove(&deferred[0], &deferred[1], (n_deferred - 1) * sizeof deferred[0]);
    n_deferred--;
    fn(ctx);
    return 1;
}

static void wait_reset(void)
{
    memset(&S, 0, sizeof S);
    n_deferred = 0;
}

__attribute__((constructor)) static void wait_register(void)
{
    kf__register_reset(wait_reset);
    kf__register_pending(deferred_run);
}

/* ---- Objects ------------------------------------------------------------------------------ */

static LONG gen_low(void) { return (LONG)(ULONG)(kf__sync_generation() & 0xFFFFFFFFu); }

/* The modeled thread and processes (object.c) are dispatcher objects in the WDK too (W-17), but
 * live at modeled addresses that must never be read: they get headers of their own, never
 * signaled (a thread cannot terminate while it waits, nor its process; the system process never
 * exits), serial 1. */
static LONG thread_header[6] = {TYPE_THREAD, 0, OBJ_MAGIC, 1, 0, 0};
static LONG process_header[6] = {TYPE_PROCESS, 0, OBJ_MAGIC, 1, 0, 0};

static LONG *obj_get(const char *routine, PVOID object)
{
    if (object && (object == kf__current_thread() || kf__object_type(object) == &kf__type_thread))
        return thread_header;
    if (object && (object == kf__current_process() || kf__object_type(object) == &kf__type_process))
        return process_header;
    LONG *h = (LONG *)object;
    if (!h || h[2] != OBJ_MAGIC ||
        (h[0] != TYPE_NOTIFICATION && h[0] != TYPE_SYNCHRONIZATION && h[0] != TYPE_MUTEX && h[0] != TYPE_SEMAPHORE))
        kf_violation_stop(KF_VIOL_DISPATCHER_UNINITIALIZED, routine, 0, irql(), 0,
                          "%s on %s", routine,
                          h ? "an object the model cannot wait on: it can wait on events, kernel mutexes, "
                              "semaphores (once initialized), the current thread and the current process; not "
                              "on timers or a file object's event"
                            : "a NULL object");
    if (h[0] == TYPE_MUTEX && h[1] <= 0 && h[4] != gen_low()) {
        /* Owned by a run that has ended: free. */
        PRKMUTEX m = (PRKMUTEX)object;
        h[1] = 1;
        h[4] = 0;
        m->OwnerThread = NULL;
    }
    return h;
}

static LONG *event_get(const char *routine, PRKEVENT e)
{
    LONG *h = obj_get(routine, e);
    if (h[0] != TYPE_NOTIFICATION && h[0] != TYPE_SYNCHRONIZATION)
        kf_violation_stop(KF_VIOL_DISPATCHER_UNINITIALIZED, routine, 0, irql(), 0,
                          "%s on %s #%ld, not an event", routine, type_name(h[0]), (long)h[3]);
    return h;
}

static void header_init(LONG *h, LONG type, LONG state, int kind)
{
    memset(h, 0, 6 * sizeof(LONG));
    h[0] = type;
    h[1] = state;
    h[2] = OBJ_MAGIC;
    h[3] = (LONG)kf__sync_serial(kind);
}

static int owned_by_me(const LONG *h) { return h[1] <= 0 && h[4] == gen_low(); }

static int is_signaled(const LONG *h)
{
    if (h[0] == TYPE_MUTEX)
        return h[1] > 0 || owned_by_me(h);
    return h[1] > 0;
}

/* A satisfied wait: a synchronization event resets, a semaphore counts down, a mutex is
 * owned (once more) by the thread, which then runs with normal kernel APCs disabled. */
static void consume(LONG *h, const char *routine)
{
    switch (h[0]) {
    case TYPE_SYNCHRONIZATION:
        h[1] = 0;
        break;
    case TYPE_SEMAPHORE:
        h[1]--;
        break;
    case TYPE_MUTEX:
        if (h[1] == 1)
            kf__sync_apc_disable(1, 1);
        h[1]--;
        h[4] = gen_low();
        ((PRKMUTEX)h)->OwnerThread = (PVOID)PsGetCurrentThread();
        kf__sync_hold(KF__HELD_KMUTEX, h, routine);
        break;
    default:
        break;
    }
}

/* ---- Events ------------------------------------------------------------------------------- */

static void require_signal_irql(const char *routine, BOOLEAN wait, ULONG dv)
{
    kf__wait_check_signal(routine);
    KIRQL max = wait ? APC_LEVEL : DISPATCH_LEVEL;
    if (irql() > max)
        kf_violation_stop(KF_VIOL_SIGNAL_IRQL, routine, irql() > DISPATCH_LEVEL ? dv : 0, irql(), max,
                          "%s%s at IRQL %u (allowed up to %u)", routine, wait ? " with Wait TRUE" : "", irql(), max);
}

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    kf__wait_check_signal("KeInitializeEvent");
    if (Type != NotificationEvent && Type != SynchronizationEvent)
        kf_violation_stop(KF_VIOL_WAIT_ARGUMENT, "KeInitializeEvent", 0, irql(), (ULONG_PTR)Type,
                          "KeInitializeEvent with Type %d (NotificationEvent 0 or SynchronizationEvent 1)", (int)Type);
    header_init(Event->Header, (LONG)Type, State ? 1 : 0, KF__HELD_EVENT);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    (void)Increment;
    require_signal_irql("KeSetEvent", Wait, 0x80);
    LONG *h = event_get("KeSetEvent", Event);
    LONG prev = h[1];
    h[1] = 1;
    if (Wait)
        signal_wait_begin("KeSetEvent");
    return prev;
}

VOID KeClearEvent(PRKEVENT Event)
{
    require_signal_irql("KeClearEvent", FALSE, 0);
    event_get("KeClearEvent", Event)[1] = 0;
}

LONG KeResetEvent(PRKEVENT Event)
{
    require_signal_irql("KeResetEvent", FALSE, 0);
    LONG *h = event_get("KeResetEvent", Event);
    LONG prev = h[1];
    h[1] = 0;
    return prev;
}

LONG KeReadStateEvent(PRKEVENT Event)
{
    kf__wait_check_signal("KeReadStateEvent");
    return event_get("KeReadStateEvent", Event)[1];
}

/* ---- Kernel mutexes and semaphores ----------------------------------------------------------- */

VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
    (void)Level;
    require_signal_irql("KeInitializeMutex", FALSE, 0);
    memset(Mutex, 0, sizeof *Mutex);
    header_init(Mutex->Header, TYPE_MUTEX, 1, KF__HELD_KMUTEX);
    Mutex->ApcDisable = 1;
    InitializeListHead(&Mutex->MutantListEntry);
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
    require_signal_irql("KeReleaseMutex", Wait, 0);
    LONG *h = obj_get("KeReleaseMutex", Mutex);
    if (h[0] != TYPE_MUTEX)
        kf_violation_stop(KF_VIOL_DISPATCHER_UNINITIALIZED, "KeReleaseMutex", 0, irql(), 0,
                          "KeReleaseMutex on %s #%ld, not a mutex", type_name(h[0]), (long)h[3]);
    if (!owned_by_me(h))
        ExRaiseStatus(STATUS_MUTANT_NOT_OWNED);
    LONG prev = h[1];
    kf__sync_drop(KF__HELD_KMUTEX, h);
    if (++h[1] == 1) {
        h[4] = 0;
        Mutex->OwnerThread = NULL;
        kf__sync_apc_disable(1, -1);
    }
    if (Wait)
        signal_wait_begin("KeReleaseMutex");
    return prev;
}

LONG KeReadStateMutex(PRKMUTEX Mutex)
{
    kf__wait_check_signal("KeReadStateMutex");
    return obj_get("KeReadStateMutex", Mutex)[1];
}

VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    require_signal_irql("KeInitializeSemaphore", FALSE, 0);
    if (Count < 0 || Limit <= 0 || Count > Limit)
        kf_violation_stop(KF_VIOL_WAIT_ARGUMENT, "KeInitializeSemaphore", 0, irql(), (ULONG_PTR)(ULONG)Count,
                          "KeInitializeSemaphore with Count %ld and Limit %ld (0 <= Count <= Limit, Limit > 0)",
                          (long)Count, (long)Limit);
    header_init(Semaphore->Header, TYPE_SEMAPHORE, Count, KF__HELD_SEMAPHORE);
    Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
    (void)Increment;
    require_signal_irql("KeReleaseSemaphore", Wait, 0);
    LONG *h = obj_get("KeReleaseSemaphore", Semaphore);
    if (h[0] != TYPE_SEMAPHORE)
        kf_violation_stop(KF_VIOL_DISPATCHER_UNINITIALIZED, "KeReleaseSemaphore", 0, irql(), 0,
                          "KeReleaseSemaphore on %s #%ld, not a semaphore", type_name(h[0]), (long)h[3]);
    if (Adjustment <= 0)
        kf_violation_stop(KF_VIOL_WAIT_ARGUMENT, "KeReleaseSemaphore", 0, irql(), (ULONG_PTR)(ULONG)Adjustment,
                          "KeReleaseSemaphore with Adjustment %ld (must be positive)", (long)Adjustment);
    LONG prev = h[1];
    if ((long long)prev + Adjustment > Semaphore->Limit)
        ExRaiseStatus(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    h[1] = prev + Adjustment;
    if (Wait)
        signal_wait_begin("KeReleaseSemaphore");
    return prev;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
{
    kf__wait_check_signal("KeReadStateSemaphore");
    return obj_get("KeReadStateSemaphore", Semaphore)[1];
}

/* ---- Waits -------------------------------------------------------------------------------- */

static void wait_entry(const char *routine, KPROCESSOR_MODE mode, PLARGE_INTEGER Timeout)
{
    signal_wait_end();
    KIRQL now = irql();
    int zero = Timeout && Timeout->QuadPart == 0;
    if (now > DISPATCH_LEVEL || (now == DISPATCH_LEVEL && !zero))
        kf_violation_stop(KF_VIOL_WAIT_IRQL, routine, now > DISPATCH_LEVEL ? 0x120 : 0x3B, now, zero,
                          "%s at IRQL %u with %s (only a zero timeout may be used at DISPATCH_LEVEL, and "
                          "nothing above it)",
                          routine, now, Timeout ? (zero ? "a zero timeout" : "a non-zero timeout") : "no timeout");
    if (mode != KernelMode && mode != UserMode)
        kf_violation_stop(KF_VIOL_WAIT_ARGUMENT, routine, 0, now, (ULONG_PTR)(UCHAR)mode,
                          "%s with WaitMode %d (KernelMode 0 or UserMode 1)", routine, (int)mode);
}

/* The index of a satisfying object for WaitAny, 0 for WaitAll when all are signaled; -1
 * when the wait is not satisfied. */
static int satisfied(PVOID *objs, ULONG n, int all, const char *routine)
{
    if (all) {
        for (ULONG i = 0; i < n; i++)
            if (!is_signaled(obj_get(routine, objs[i])))
                return -1;
        return 0;
    }
    for (ULONG i = 0; i < n; i++)
        if (is_signaled(obj_get(routine, objs[i])))
            return (int)i;
    return -1;
}

/* Outcome of a wait the model cannot satisfy: -1 when the caller decides (cancellable). */
static NTSTATUS wait_core(const char *routine, PVOID *objs, ULONG n, int all, PLARGE_INTEGER Timeout, int any_status,
                          int *hopeless)
{
    for (ULONG i = 0; i < n; i++)
        (void)obj_get(routine, objs[i]);
    for (;;) {
        int k = satisfied(objs, n, all, routine);
        if (k >= 0) {
            if (all) {
                for (ULONG i = 0; i < n; i++)
                    consume(obj_get(routine, objs[i]), routine);
                return STATUS_SUCCESS;
            }
            consume(obj_get(routine, objs[k]), routine);
            return any_status ? (NTSTATUS)(STATUS_WAIT_0 + k) : STATUS_SUCCESS;
        }
        if (Timeout && Timeout->QuadPart == 0)
            return STATUS_TIMEOUT;
        if (!kf__run_pending())
            break;
    }
    if (Timeout) {
        /* The thread was blocked until the timeout expired: the modeled clock passes it (W-5). */
        kf__clock_pass(Timeout);
        return STATUS_TIMEOUT;
    }
    if (hopeless) {
        *hopeless = 1;
        return STATUS_SUCCESS;
    }
    ULONG first = 0;
    while (first < n && is_signaled(obj_get(routine, objs[first])))
        first++;
    LONG *h = obj_get(routine, objs[first < n ? first : 0]);
    if (h[0] == TYPE_THREAD || h[0] == TYPE_PROCESS)
        kf_violation_stop(KF_VIOL_WAIT_DEADLOCK, routine, 0, irql(), (ULONG_PTR)h[3],
                          "%s with no timeout on %s%s, which is signaled only when it terminates, and it cannot "
                          "while this thread waits: the thread waits forever",
                          routine, type_name(h[0]),
                          n > 1 ? (all ? " (WaitAll: not every object is signaled)" : " (WaitAny: none is signaled)")
                                : "");
    kf_violation_stop(KF_VIOL_WAIT_DEADLOCK, routine, 0, irql(), (ULONG_PTR)h[3],
                      "%s with no timeout on %s #%ld%s, which nothing in the model can signal any more: the "
                      "thread waits forever",
                      routine, type_name(h[0]), (long)h[3],
                      n > 1 ? (all ? " (WaitAll: not every object is signaled)" : " (WaitAny: none is signaled)") : "");
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout)
{
    (void)WaitReason;
    (void)Alertable;
    const char *routine = "KeWaitForSingleObject";
    wait_entry(routine, WaitMode, Timeout);
    return wait_core(routine, &Object, 1, 0, Timeout, 0, NULL);
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                  KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray)
{
    (void)WaitReason;
    (void)Alertable;
    const char *routine = "KeWaitForMultipleObjects";
    wait_entry(routine, WaitMode, Timeout);
    if (Count > MAXIMUM_WAIT_OBJECTS || (Count > THREAD_WAIT_OBJECTS && WaitBlockArray == NULL))
        kf_bugcheck(routine, MAXIMUM_WAIT_OBJECTS_EXCEEDED, Count, WaitBlockArray != NULL, 0, 0,
                    "%s with Count %lu %s", routine, (unsigned long)Count,
                    Count > MAXIMUM_WAIT_OBJECTS ? "(at most MAXIMUM_WAIT_OBJECTS, 64)"
                                                 : "and no WaitBlockArray (needed above THREAD_WAIT_OBJECTS, 3)");
    if (Count == 0 || (WaitType != WaitAll && WaitType != WaitAny))
        kf_violation_stop(KF_VIOL_WAIT_ARGUMENT, routine, 0, irql(), Count,
                          "%s with Count %lu and WaitType %d (Count from 1, WaitAll 0 or WaitAny 1)", routine,
                          (unsigned long)Count, (int)WaitType);
    return wait_core(routine, Object, Count, WaitType == WaitAll, Timeout, 1, NULL);
}

NTSTATUS FLTAPI FltCancellableWaitForSingleObject(PVOID Object, PLARGE_INTEGER Timeout, PFLT_CALLBACK_DATA CallbackData)
{
    const char *routine = "FltCancellableWaitForSingleObject";
    signal_wait_end();
    KIRQL max = (CallbackData && FLT_IS_IRP_OPERATION(CallbackData)) ? PASSIVE_LEVEL : APC_LEVEL;
    if (irql() > max)
        kf_violation_stop(KF_VIOL_CANCELLABLE_WAIT_IRQL, routine, 0, irql(), max,
                          "%s at IRQL %u (allowed up to %u%s)", routine, irql(), max,
                          max == PASSIVE_LEVEL ? " for an IRP operation" : "");
    int hopeless = 0;
    NTSTATUS st = wait_core(routine, &Object, 1, 0, Timeout, 0, CallbackData ? &hopeless : NULL);
    /* Only the requester cancelling the I/O can end such a wait on a real machine. */
    return hopeless ? STATUS_CANCELLED : st;
}
