/*
 * sync.c - synchronization on the simulated thread: spin locks (ordinary, in-stack
 * queued, the cancel spin lock), fast and guarded mutexes, ERESOURCE, Filter Manager push locks, critical and
 * guarded regions, lists under a spin lock, S-lists, and kf_held. Rules M-1 to M-34 of
 * model/SEMANTICS.md; violations 0x3301 to 0x337F.
 *
 * State lives in the driver's own object storage (a spin lock or push lock in its word, a
 * mutex or resource in its opaque fields, each marked by a magic) plus, per thread, the
 * ordered list of what the thread holds and its APC-disable counts. Ownership is stamped
 * with the run's generation: kf_reset starts a new generation, so what a run left held is
 * free in the next run without the model ever writing driver memory that may be gone.
 * One simulated thread: a lock the thread holds and asks again can never be granted (a
 * real machine hangs), so that is a stop, never a hang. Must never wait, sleep or spin,
 * and never put a host address in a value a driver sees or a report.
 */
#include "internal.h"
#include "fltKernel.h"

/* ---- The thread's holdings ------------------------------------------------------------ */

typedef struct held_entry {
    int kind;
    const void *obj;
    const char *routine;
} held_entry;

#define MAX_HELD 256

static _Thread_local struct {
    held_entry held[MAX_HELD];
    unsigned n;
    unsigned crit;     /* normal kernel APCs disabled (critical regions, incl. implicit ones) */
    unsigned guarded;  /* all APCs disabled (guarded regions, incl. guarded mutexes) */
} T;

/* The run's generation: ownership stamped with an older one is void. Starts at 1 so that
 * a zeroed field never looks owned. */
static ULONG_PTR generation = 1;
static ULONG serials[KF__HELD_KINDS];

ULONG_PTR kf__sync_generation(void) { return generation; }

ULONG kf__sync_serial(int kind) { return ++serials[kind]; }

void kf__sync_hold(int kind, const void *obj, const char *routine)
{
    if (T.n >= MAX_HELD)
        kf_violation_stop(KF_VIOL_SYNC_TOO_MANY_HELD, routine, 0, KeGetCurrentIrql(), T.n,
                          "%s: the thread already holds %u locks and regions", routine, T.n);
    T.held[T.n].kind = kind;
    T.held[T.n].obj = obj;
    T.held[T.n].routine = routine;
    T.n++;
}

/* Removes the most recent holding of kind (and obj, unless NULL); 1 when one was found. */
int kf__sync_drop(int kind, const void *obj)
{
    for (unsigned i = T.n; i-- > 0;) {
        if (T.held[i].kind == kind && (obj == NULL || T.held[i].obj == obj)) {
            memmove(&T.held[i], &T.held[i + 1], (T.n - i - 1) * sizeof T.held[0]);
            T.n--;
            return 1;
        }
    }
    return 0;
}

int kf__sync_holds(int kind, const void *obj)
{
    for (unsigned i = 0; i < T.n; i++)
        if (T.held[i].kind == kind && T.held[i].obj == obj)
            return 1;
    return 0;
}

void kf__sync_apc_disable(int normal, int delta)
{
    if (normal)
        T.crit = (unsigned)((int)T.crit + delta);
    else
        T.guarded = (unsigned)((int)T.guarded + delta);
}

void kf_held(kf_held_report *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < T.n; i++) {
        switch (T.held[i].kind) {
        case KF__HELD_SPIN:
        case KF__HELD_QSPIN:
        case KF__HELD_DISPATCHER:
            out->spin_locks++;
            break;
        case KF__HELD_FAST:
        case KF__HELD_FAST_UNSAFE:
        case KF__HELD_GUARDED:
        case KF__HELD_KMUTEX:
            out->mutexes++;
            break;
        case KF__HELD_RESOURCE:
            out->resources++;
            break;
        case KF__HELD_PUSH:
            out->push_locks++;
            break;
        case KF__HELD_CRITICAL:
            out->critical_regions++;
            break;
        default:
            out->guarded_regions++;
            break;
        }
    }
    out->first = T.n ? T.held[0].routine : NULL;
}

static void sync_reset(void)
{
    memset(&T, 0, sizeof T);
    generation++;
    memset(serials, 0, sizeof serials);
}

__attribute__((constructor)) static void sync_register(void) { kf__register_reset(sync_reset); }

/* ---- Shared checks -------------------------------------------------------------------- */

static KIRQL irql(void) { return kf__thread()->irql; }

static void set_irql(KIRQL v) { kf__thread()->irql = v; }

static int apcs_disabled(void) { return T.crit > 0 || T.guarded > 0 || irql() >= APC_LEVEL; }

static void require_irql(kf_violation v, const char *routine, KIRQL max, ULONG dv)
{
    kf__wait_check_signal(routine);
    if (irql() > max)
        kf_violation_stop(v, routine, dv, irql(), max, "%s called at IRQL %u (allowed up to %u)", routine, irql(),
                          max);
}

/* ---- Spin locks: state in the lock word --------------------------------------------------
 * 0, or a word stamped by an older generation: free. SPIN_TAG | generation << 16 | form: held
 * by this thread in this run. Anything else: a word the model never wrote. */

#define SPIN_TAG ((ULONG_PTR)0x5350ull << 48)
#define TAG_MASK ((ULONG_PTR)0xFFFFull << 48)
#define FORM_ORDINARY 1u
#define FORM_QUEUED 2u

static ULONG_PTR stamp(ULONG_PTR tag, unsigned low) { return tag | ((generation & 0xFFFFFFFFu) << 16) | low; }

static int word_current(ULONG_PTR w) { return ((w >> 16) & 0xFFFFFFFFu) == (generation & 0xFFFFFFFFu); }

static int spin_held(ULONG_PTR w) { return (w & TAG_MASK) == SPIN_TAG && word_current(w) && (w & 0xFFFF) != 0; }

static void spin_take(const char *routine, PKSPIN_LOCK lock, unsigned form)
{
    ULONG_PTR w = *lock;
    if (spin_held(w)) {
        if ((w & 0xFFFF) != form)
            kf_violation_stop(KF_VIOL_SPIN_MIXED, routine, 0, irql(), w & 0xFFFF,
                              "%s on a spin lock the thread holds through the %s form", routine,
                              (w & 0xFFFF) == FORM_QUEUED ? "in-stack queued" : "ordinary");
        kf_violation_stop(KF_VIOL_SYNC_SELF_DEADLOCK, routine, 0, irql(), KF__HELD_SPIN,
                          "%s on a spin lock the thread already holds: a recursive acquire spins forever", routine);
    }
    if (w != 0 && (w & TAG_MASK) != SPIN_TAG)
        kf_violation_stop(KF_VIOL_SPIN_CORRUPT, routine, 0, irql(), 0,
                          "%s on a spin lock whose word is neither free nor held (never initialized with "
                          "KeInitializeSpinLock, or overwritten): a real machine spins forever",
                          routine);
    *lock = stamp(SPIN_TAG, form);
    kf__sync_hold(form == FORM_QUEUED ? KF__HELD_QSPIN : KF__HELD_SPIN, lock, routine);
}

static void spin_give(const char *routine, PKSPIN_LOCK lock, unsigned form)
{
    ULONG_PTR w = *lock;
    if (!spin_held(w))
        kf_violation_stop(KF_VIOL_SPIN_NOT_HELD, routine, 0, irql(), 0,
                          "%s of a spin lock the thread does not hold (a double release, or a lock never "
                          "acquired)",
                          routine);
    if ((w & 0xFFFF) != form)
        kf_violation_stop(KF_VIOL_SPIN_MIXED, routine, 0, irql(), w & 0xFFFF,
                          "%s of a spin lock acquired with the %s form", routine,
                          (w & 0xFFFF) == FORM_QUEUED ? "in-stack queued" : "ordinary");
    kf__sync_drop(form == FORM_QUEUED ? KF__HELD_QSPIN : KF__HELD_SPIN, lock);
    *lock = 0;
}

VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

static KIRQL spin_raise(const char *routine, ULONG dv)
{
    kf__wait_check_signal(routine);
    KIRQL old = irql();
    if (old > DISPATCH_LEVEL)
        kf_violation_stop(KF_VIOL_SPIN_ACQUIRE_IRQL, routine, dv, old, 0,
                          "%s at IRQL %u: a spin lock is acquired at DISPATCH_LEVEL or below", routine, old);
    return old;
}

KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    const char *routine = "KeAcquireSpinLockRaiseToDpc";
    KIRQL old = spin_raise(routine, 0x42);
    spin_take(routine, SpinLock, FORM_ORDINARY);
    set_irql(DISPATCH_LEVEL);
    return old;
}

static void release_at_dispatch(const char *routine, KIRQL new_irql)
{
    kf__wait_check_signal(routine);
    if (irql() != DISPATCH_LEVEL)
        kf_violation_stop(KF_VIOL_SPIN_RELEASE_IRQL, routine, irql() < DISPATCH_LEVEL ? 0x32 : 0x35, irql(),
                          new_irql, "%s at IRQL %u: a spin lock is released at DISPATCH_LEVEL", routine, irql());
    if (new_irql > DISPATCH_LEVEL)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, new_irql, irql(), 0, 0,
                    "%s to IRQL %u, above the current DISPATCH_LEVEL", routine, new_irql);
}

VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    const char *routine = "KeReleaseSpinLock";
    release_at_dispatch(routine, NewIrql);
    spin_give(routine, SpinLock, FORM_ORDINARY);
    set_irql(NewIrql);
}

static void require_dpc(const char *routine, ULONG dv)
{
    kf__wait_check_signal(routine);
    if (irql() < DISPATCH_LEVEL)
        kf_violation_stop(KF_VIOL_SPIN_DPC_IRQL, routine, dv, irql(), 0,
                          "%s at IRQL %u: the caller must already run at DISPATCH_LEVEL or above", routine, irql());
}

VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    require_dpc("KeAcquireSpinLockAtDpcLevel", 0x40);
    spin_take("KeAcquireSpinLockAtDpcLevel", SpinLock, FORM_ORDINARY);
}

VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    require_dpc("KeReleaseSpinLockFromDpcLevel", 0x41);
    spin_give("KeReleaseSpinLockFromDpcLevel", SpinLock, FORM_ORDINARY);
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    require_dpc("KeTryToAcquireSpinLockAtDpcLevel", 0x40);
    /* Held by this thread: a real try fails (it does not spin); so does the model. */
    if (spin_held(*SpinLock))
        return FALSE;
    spin_take("KeTryToAcquireSpinLockAtDpcLevel", SpinLock, FORM_ORDINARY);
    return TRUE;
}

BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    kf__wait_check_signal("KeTestSpinLock");
    return spin_held(*SpinLock) ? FALSE : TRUE;
}

/* The handle names the lock; the thread's holdings list the handle, so a handle no acquire
 * filled (or one already released) is refused before the lock is touched. */
static void queued_take(const char *routine, PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    spin_take(routine, SpinLock, FORM_QUEUED);
    kf__sync_drop(KF__HELD_QSPIN, SpinLock);
    kf__sync_hold(KF__HELD_QSPIN, LockHandle, routine);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->LockQueue.Lock = SpinLock;
}

static PKSPIN_LOCK queued_give(const char *routine, PKLOCK_QUEUE_HANDLE LockHandle)
{
    if (!kf__sync_holds(KF__HELD_QSPIN, LockHandle))
        kf_violation_stop(KF_VIOL_SPIN_NOT_HELD, routine, 0, irql(), 0,
                          "%s with a lock queue handle that no in-stack queued acquire filled, or one already "
                          "released",
                          routine);
    PKSPIN_LOCK lock = LockHandle->LockQueue.Lock;
    kf__sync_drop(KF__HELD_QSPIN, LockHandle);
    kf__sync_hold(KF__HELD_QSPIN, lock, routine);
    spin_give(routine, lock, FORM_QUEUED);
    LockHandle->LockQueue.Lock = NULL;
    return lock;
}

VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    const char *routine = "KeAcquireInStackQueuedSpinLock";
    KIRQL old = spin_raise(routine, 0x42);
    queued_take(routine, SpinLock, LockHandle);
    LockHandle->OldIrql = old;
    set_irql(DISPATCH_LEVEL);
}

VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    const char *routine = "KeReleaseInStackQueuedSpinLock";
    release_at_dispatch(routine, LockHandle->OldIrql);
    queued_give(routine, LockHandle);
    set_irql(LockHandle->OldIrql);
}

VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    require_dpc("KeAcquireInStackQueuedSpinLockAtDpcLevel", 0x40);
    queued_take("KeAcquireInStackQueuedSpinLockAtDpcLevel", SpinLock, LockHandle);
    LockHandle->OldIrql = irql();
}

VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
    require_dpc("KeReleaseInStackQueuedSpinLockFromDpcLevel", 0x41);
    queued_give("KeReleaseInStackQueuedSpinLockFromDpcLevel", LockHandle);
}

/* The cancel spin lock: one lock word for the whole system, free again in each new run. */
static KSPIN_LOCK cancel_lock;

VOID IoAcquireCancelSpinLock(PKIRQL Irql)
{
    const char *routine = "IoAcquireCancelSpinLock";
    KIRQL old = spin_raise(routine, 0);
    spin_take(routine, &cancel_lock, FORM_ORDINARY);
    set_irql(DISPATCH_LEVEL);
    *Irql = old;
}

VOID IoReleaseCancelSpinLock(KIRQL Irql)
{
    const char *routine = "IoReleaseCancelSpinLock";
    release_at_dispatch(routine, Irql);
    spin_give(routine, &cancel_lock, FORM_ORDINARY);
    set_irql(Irql);
}

/* ---- Critical and guarded regions ------------------------------------------------------ */

static void region_enter(const char *routine, int normal, int record)
{
    if (irql() > APC_LEVEL)
        kf_violation_stop(KF_VIOL_REGION_IRQL, routine, 0x11A, irql(), APC_LEVEL,
                          "%s at IRQL %u (allowed up to APC_LEVEL)", routine, irql());
    kf__sync_apc_disable(normal, 1);
    if (record)
        kf__sync_hold(normal ? KF__HELD_CRITICAL : KF__HELD_GUARDED_REGION, NULL, routine);
}

static void region_leave(const char *routine, int normal)
{
    if (irql() > APC_LEVEL)
        kf_violation_stop(KF_VIOL_REGION_IRQL, routine, 0x11B, irql(), APC_LEVEL,
                          "%s at IRQL %u (allowed up to APC_LEVEL)", routine, irql());
    if ((normal ? T.crit : T.guarded) == 0)
        kf_violation_stop(KF_VIOL_REGION_UNBALANCED, routine, normal ? 0x3E : 0, irql(), 0,
                          "%s with no %s region entered on the thread", routine, normal ? "critical" : "guarded");
    kf__sync_apc_disable(normal, -1);
    kf__sync_drop(normal ? KF__HELD_CRITICAL : KF__HELD_GUARDED_REGION, NULL);
}

VOID KeEnterCriticalRegion(VOID)
{
    kf__wait_check_signal("KeEnterCriticalRegion");
    region_enter("KeEnterCriticalRegion", 1, 1);
}

VOID KeLeaveCriticalRegion(VOID)
{
    kf__wait_check_signal("KeLeaveCriticalRegion");
    region_leave("KeLeaveCriticalRegion", 1);
}

VOID KeEnterGuardedRegion(VOID)
{
    kf__wait_check_signal("KeEnterGuardedRegion");
    region_enter("KeEnterGuardedRegion", 0, 1);
}

VOID KeLeaveGuardedRegion(VOID)
{
    kf__wait_check_signal("KeLeaveGuardedRegion");
    region_leave("KeLeaveGuardedRegion", 0);
}

BOOLEAN KeAreApcsDisabled(VOID) { return apcs_disabled() ? TRUE : FALSE; }

BOOLEAN KeAreAllApcsDisabled(VOID) { return (T.guarded > 0 || irql() >= APC_LEVEL) ? TRUE : FALSE; }

/* ---- Fast and guarded mutexes ------------------------------------------------------------
 * Opaque[0] magic, [1] generation of the owning run (0: free), [2] how it was taken,
 * [3] the IRQL to restore, [4] serial number (reports name mutexes by it). */

#define FAST_MAGIC ((ULONG_PTR)0x4B46464D55544558ull)    /* "KFFMUTEX" */
#define GUARDED_MAGIC ((ULONG_PTR)0x4B46474D55544558ull) /* "KFGMUTEX" */
#define TAKEN_SAFE 1
#define TAKEN_UNSAFE 2

static void mutex_init(ULONG_PTR *o, ULONG_PTR magic, int kind)
{
    memset(o, 0, sizeof(FAST_MUTEX));
    o[0] = magic;
    o[4] = kf__sync_serial(kind);
}

static ULONG_PTR *mutex_get(const char *routine, PFAST_MUTEX m, ULONG_PTR magic)
{
    ULONG_PTR *o = m->Opaque;
    if (o[0] != magic)
        kf_violation_stop(KF_VIOL_MUTEX_UNINITIALIZED, routine, 0, irql(), 0,
                          "%s on a %s mutex that was never initialized (%s)", routine,
                          magic == FAST_MAGIC ? "fast" : "guarded",
                          magic == FAST_MAGIC ? "ExInitializeFastMutex" : "KeInitializeGuardedMutex");
    return o;
}

static int mutex_owned(const ULONG_PTR *o) { return o[1] == generation; }

VOID ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    require_irql(KF_VIOL_FAST_MUTEX_ACQUIRE_IRQL, "ExInitializeFastMutex", DISPATCH_LEVEL, 0);
    mutex_init(FastMutex->Opaque, FAST_MAGIC, KF__HELD_FAST);
}

/* Returns 0 when the caller must fail a try: owned already. */
static int mutex_take(const char *routine, ULONG_PTR *o, int kind, int try_only, ULONG_PTR how)
{
    if (mutex_owned(o)) {
        if (try_only)
            return 0;
        kf_violation_stop(KF_VIOL_SYNC_SELF_DEADLOCK, routine, 0, irql(), (ULONG_PTR)kind,
                          "%s on %s mutex #%lu that the thread already holds: mutexes are not recursive",
                          routine, kind == KF__HELD_GUARDED ? "guarded" : "fast", (unsigned long)o[4]);
    }
    o[1] = generation;
    o[2] = how;
    kf__sync_hold(kind, o, routine);
    return 1;
}

static void mutex_give(const char *routine, ULONG_PTR *o, int kind)
{
    if (!mutex_owned(o) || !kf__sync_drop(kind, o))
        kf_violation_stop(KF_VIOL_MUTEX_NOT_HELD, routine, 0, irql(), 0,
                          "%s of %s mutex #%lu that the thread does not hold", routine,
                          kind == KF__HELD_GUARDED ? "guarded" : "fast", (unsigned long)o[4]);
    o[1] = 0;
}

static void fast_acquire(const char *routine, PFAST_MUTEX m, int try_only, BOOLEAN *got)
{
    require_irql(KF_VIOL_FAST_MUTEX_ACQUIRE_IRQL, routine, APC_LEVEL, 0x33);
    ULONG_PTR *o = mutex_get(routine, m, FAST_MAGIC);
    if (!mutex_take(routine, o, KF__HELD_FAST, try_only, TAKEN_SAFE)) {
        *got = FALSE;
        return;
    }
    o[3] = irql();
    set_irql(APC_LEVEL);
    *got = TRUE;
}

VOID ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    BOOLEAN got;
    fast_acquire("ExAcquireFastMutex", FastMutex, 0, &got);
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    BOOLEAN got;
    fast_acquire("ExTryToAcquireFastMutex", FastMutex, 1, &got);
    return got;
}

VOID ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    const char *routine = "ExReleaseFastMutex";
    kf__wait_check_signal(routine);
    ULONG_PTR *o = mutex_get(routine, FastMutex, FAST_MAGIC);
    if (irql() != APC_LEVEL)
        kf_violation_stop(KF_VIOL_FAST_MUTEX_RELEASE_IRQL, routine, 0x34, irql(), APC_LEVEL,
                          "%s of fast mutex #%lu at IRQL %u: it is released at APC_LEVEL", routine,
                          (unsigned long)o[4], irql());
    if (mutex_owned(o) && o[2] == TAKEN_UNSAFE)
        kf_violation_stop(KF_VIOL_FAST_MUTEX_MIXED, routine, 0, irql(), 0,
                          "%s of fast mutex #%lu, taken with ExAcquireFastMutexUnsafe", routine, (unsigned long)o[4]);
    KIRQL restore = (KIRQL)o[3];
    mutex_give(routine, o, KF__HELD_FAST);
    set_irql(restore);
}

static ULONG_PTR *unsafe_check(const char *routine, PFAST_MUTEX m)
{
    require_irql(KF_VIOL_FAST_MUTEX_ACQUIRE_IRQL, routine, APC_LEVEL, 0);
    ULONG_PTR *o = mutex_get(routine, m, FAST_MAGIC);
    if (!apcs_disabled())
        kf_violation_stop(KF_VIOL_FAST_MUTEX_UNSAFE_APCS, routine, 0, irql(), 0,
                          "%s of fast mutex #%lu with normal kernel APCs enabled (enter a critical region or "
                          "raise to APC_LEVEL first)",
                          routine, (unsigned long)o[4]);
    return o;
}

VOID ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    const char *routine = "ExAcquireFastMutexUnsafe";
    ULONG_PTR *o = unsafe_check(routine, FastMutex);
    mutex_take(routine, o, KF__HELD_FAST_UNSAFE, 0, TAKEN_UNSAFE);
}

VOID ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    const char *routine = "ExReleaseFastMutexUnsafe";
    ULONG_PTR *o = unsafe_check(routine, FastMutex);
    if (mutex_owned(o) && o[2] == TAKEN_SAFE)
        kf_violation_stop(KF_VIOL_FAST_MUTEX_MIXED, routine, 0, irql(), 0,
                          "%s of fast mutex #%lu, taken with ExAcquireFastMutex", routine, (unsigned long)o[4]);
    mutex_give(routine, o, KF__HELD_FAST_UNSAFE);
}

VOID KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    require_irql(KF_VIOL_FAST_MUTEX_ACQUIRE_IRQL, "KeInitializeGuardedMutex", DISPATCH_LEVEL, 0);
    mutex_init(Mutex->Opaque, GUARDED_MAGIC, KF__HELD_GUARDED);
}

static BOOLEAN guarded_acquire(const char *routine, PKGUARDED_MUTEX m, int try_only)
{
    require_irql(KF_VIOL_FAST_MUTEX_ACQUIRE_IRQL, routine, APC_LEVEL, 0);
    ULONG_PTR *o = mutex_get(routine, m, GUARDED_MAGIC);
    if (!mutex_take(routine, o, KF__HELD_GUARDED, try_only, TAKEN_SAFE))
        return FALSE;
    kf__sync_apc_disable(0, 1);
    return TRUE;
}

VOID KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex) { (void)guarded_acquire("KeAcquireGuardedMutex", Mutex, 0); }

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    return guarded_acquire("KeTryToAcquireGuardedMutex", Mutex, 1);
}

VOID KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    const char *routine = "KeReleaseGuardedMutex";
    require_irql(KF_VIOL_FAST_MUTEX_RELEASE_IRQL, routine, APC_LEVEL, 0);
    ULONG_PTR *o = mutex_get(routine, Mutex, GUARDED_MAGIC);
    mutex_give(routine, o, KF__HELD_GUARDED);
    if (T.guarded == 0)
        kf_violation_stop(KF_VIOL_REGION_UNBALANCED, routine, 0, irql(), 0,
                          "%s: the guarded region the acquire entered was already left (KeLeaveGuardedRegion "
                          "without KeEnterGuardedRegion)",
                          routine);
    kf__sync_apc_disable(0, -1);
}

/* ---- ERESOURCE ----------------------------------------------------------------------------
 * Opaque[0] magic (live / deleted), [1] generation of the owning run (0: free), [2] the
 * thread's acquisitions, [3] 1 when the first of them was exclusive, [4] serial number. */

#define RES_MAGIC ((ULONG_PTR)0x4B46455245534F55ull)   /* "KFERESOU" */
#define RES_DELETED ((ULONG_PTR)0x4B46524553444541ull) /* "KFRESDEA" */

static ULONG_PTR *res_get(const char *routine, PERESOURCE r)
{
    ULONG_PTR *o = r->Opaque;
    if (o[0] != RES_MAGIC)
        kf_violation_stop(KF_VIOL_RESOURCE_UNINITIALIZED, routine, 0xD1, irql(), o[0] == RES_DELETED,
                          "%s on a resource that %s", routine,
                          o[0] == RES_DELETED ? "ExDeleteResourceLite deleted" : "ExInitializeResourceLite never "
                                                                                  "initialized");
    if (o[1] != generation) {
        o[1] = 0;
        o[2] = 0;
        o[3] = 0;
    }
    return o;
}

NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)
{
    const char *routine = "ExInitializeResourceLite";
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, DISPATCH_LEVEL, 0);
    ULONG_PTR *o = Resource->Opaque;
    if (o[0] == RES_MAGIC && o[5] == generation)
        kf_violation_stop(KF_VIOL_RESOURCE_REINIT, routine, 0xD0, irql(), 0,
                          "%s on resource #%lu, initialized and not deleted", routine, (unsigned long)o[4]);
    memset(o, 0, sizeof(ERESOURCE));
    o[0] = RES_MAGIC;
    o[4] = kf__sync_serial(KF__HELD_RESOURCE);
    o[5] = generation; /* the run that initialized it: a later run may initialize it again */
    return STATUS_SUCCESS;
}

NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)
{
    const char *routine = "ExDeleteResourceLite";
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, APC_LEVEL, 0);
    ULONG_PTR *o = res_get(routine, Resource);
    if (o[2] > 0)
        kf_violation_stop(KF_VIOL_RESOURCE_DELETE_HELD, routine, 0, irql(), o[2],
                          "%s of resource #%lu that the thread still holds (%lu acquisition(s))", routine,
                          (unsigned long)o[4], (unsigned long)o[2]);
    o[0] = RES_DELETED;
    return STATUS_SUCCESS;
}

static BOOLEAN res_acquire(const char *routine, PERESOURCE r, BOOLEAN Wait, int exclusive)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, APC_LEVEL, 0);
    ULONG_PTR *o = res_get(routine, r);
    if (!apcs_disabled())
        kf_violation_stop(KF_VIOL_RESOURCE_APCS_ACQUIRE, routine, 0x37, irql(), 0,
                          "%s of resource #%lu with normal kernel APCs enabled (call KeEnterCriticalRegion "
                          "first)",
                          routine, (unsigned long)o[4]);
    if (o[2] > 0 && exclusive && !o[3]) {
        if (!Wait)
            return FALSE;
        kf_violation_stop(KF_VIOL_SYNC_SELF_DEADLOCK, routine, 0, irql(), KF__HELD_RESOURCE,
                          "%s of resource #%lu that the thread holds shared only: the exclusive request waits "
                          "for the thread itself",
                          routine, (unsigned long)o[4]);
    }
    if (o[2] == 0)
        o[3] = exclusive ? 1 : 0;
    o[1] = generation;
    o[2]++;
    kf__sync_hold(KF__HELD_RESOURCE, o, routine);
    return TRUE;
}

BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
    return res_acquire("ExAcquireResourceSharedLite", Resource, Wait, 0);
}

BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
    return res_acquire("ExAcquireResourceExclusiveLite", Resource, Wait, 1);
}

BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    return res_acquire("ExAcquireSharedStarveExclusive", Resource, Wait, 0);
}

BOOLEAN ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    return res_acquire("ExAcquireSharedWaitForExclusive", Resource, Wait, 0);
}

BOOLEAN ExTryToAcquireResourceExclusiveLite(PERESOURCE Resource)
{
    return res_acquire("ExTryToAcquireResourceExclusiveLite", Resource, FALSE, 1);
}

NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource)
{
    const char *routine = "ExReinitializeResourceLite";
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, DISPATCH_LEVEL, 0);
    ULONG_PTR *o = res_get(routine, Resource);
    if (o[2] > 0)
        kf_violation_stop(KF_VIOL_RESOURCE_DELETE_HELD, routine, 0, irql(), o[2],
                          "%s of resource #%lu that the thread still holds (%lu acquisition(s))", routine,
                          (unsigned long)o[4], (unsigned long)o[2]);
    o[1] = 0;
    o[3] = 0;
    return STATUS_SUCCESS;
}

/* Every exclusive acquisition of the thread becomes a shared one; the count is kept. */
VOID ExConvertExclusiveToSharedLite(PERESOURCE Resource)
{
    const char *routine = "ExConvertExclusiveToSharedLite";
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, DISPATCH_LEVEL, 0);
    ULONG_PTR *o = res_get(routine, Resource);
    if (o[2] == 0 || !o[3])
        kf_violation_stop(KF_VIOL_RESOURCE_NOT_HELD, routine, 0, irql(), o[2],
                          "%s of resource #%lu that the thread does not hold exclusive", routine,
                          (unsigned long)o[4]);
    o[3] = 0;
}

/* With one simulated thread nobody else can be waiting. */
ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, "ExGetExclusiveWaiterCount", DISPATCH_LEVEL, 0);
    (void)res_get("ExGetExclusiveWaiterCount", Resource);
    return 0;
}

ULONG ExGetSharedWaiterCount(PERESOURCE Resource)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, "ExGetSharedWaiterCount", DISPATCH_LEVEL, 0);
    (void)res_get("ExGetSharedWaiterCount", Resource);
    return 0;
}

static void res_release(const char *routine, PERESOURCE r)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, routine, DISPATCH_LEVEL, 0);
    ULONG_PTR *o = res_get(routine, r);
    if (o[2] == 0 || !kf__sync_drop(KF__HELD_RESOURCE, o))
        kf_violation_stop(KF_VIOL_RESOURCE_NOT_HELD, routine, 0, irql(), 0,
                          "%s of resource #%lu that the thread does not hold", routine, (unsigned long)o[4]);
    if (!apcs_disabled())
        kf_violation_stop(KF_VIOL_RESOURCE_APCS_RELEASE, routine, 0x38, irql(), 0,
                          "%s of resource #%lu with normal kernel APCs enabled (the critical region was left "
                          "before the release)",
                          routine, (unsigned long)o[4]);
    if (--o[2] == 0) {
        o[1] = 0;
        o[3] = 0;
    }
}

VOID ExReleaseResourceLite(PERESOURCE Resource) { res_release("ExReleaseResourceLite", Resource); }

VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
{
    const char *routine = "ExReleaseResourceForThreadLite";
    if (ResourceThreadId != (ERESOURCE_THREAD)PsGetCurrentThread()) {
        ULONG_PTR *o = res_get(routine, Resource);
        kf_violation_stop(KF_VIOL_RESOURCE_NOT_HELD, routine, 0, irql(), 0,
                          "%s of resource #%lu for a thread that does not hold it (the model has one thread)",
                          routine, (unsigned long)o[4]);
    }
    res_release(routine, Resource);
}

BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, "ExIsResourceAcquiredExclusiveLite", DISPATCH_LEVEL, 0);
    ULONG_PTR *o = res_get("ExIsResourceAcquiredExclusiveLite", Resource);
    return (o[2] > 0 && o[3]) ? TRUE : FALSE;
}

ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
    require_irql(KF_VIOL_RESOURCE_IRQL, "ExIsResourceAcquiredSharedLite", DISPATCH_LEVEL, 0);
    return (ULONG)res_get("ExIsResourceAcquiredSharedLite", Resource)[2];
}

static PVOID enter_and_acquire(const char *routine, PERESOURCE r, int exclusive)
{
    kf__wait_check_signal(routine);
    region_enter(routine, 1, 1);
    res_acquire(routine, r, TRUE, exclusive);
    /* "An opaque system structure; drivers ignore it": the modeled thread. */
    return (PVOID)PsGetCurrentThread();
}

PVOID ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)
{
    return enter_and_acquire("ExEnterCriticalRegionAndAcquireResourceExclusive", Resource, 1);
}

PVOID ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)
{
    return enter_and_acquire("ExEnterCriticalRegionAndAcquireResourceShared", Resource, 0);
}

PVOID ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(PERESOURCE Resource)
{
    return enter_and_acquire("ExEnterCriticalRegionAndAcquireSharedWaitForExclusive", Resource, 0);
}

static void release_and_leave(const char *routine, PERESOURCE r)
{
    res_release(routine, r);
    region_leave(routine, 1);
}

VOID ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)
{
    release_and_leave("ExReleaseResourceAndLeaveCriticalRegion", Resource);
}

VOID FLTAPI FltAcquireResourceExclusive(PERESOURCE Resource)
{
    (void)enter_and_acquire("FltAcquireResourceExclusive", Resource, 1);
}

VOID FLTAPI FltAcquireResourceShared(PERESOURCE Resource)
{
    (void)enter_and_acquire("FltAcquireResourceShared", Resource, 0);
}

VOID FLTAPI FltReleaseResource(PERESOURCE Resource) { release_and_leave("FltReleaseResource", Resource); }

/* ---- Filter Manager push locks: state in the push lock word ------------------------------
 * PUSH_TAG | generation << 16 | state (0 free, 1 exclusive, 2 shared): initialized; the
 * state counts only when stamped by this run. DEAD_TAG: deleted. Anything else: never
 * initialized. */

#define PUSH_TAG ((ULONG_PTR)0x5055ull << 48)
#define DEAD_TAG ((ULONG_PTR)0x5044ull << 48)
#define PUSH_EXCLUSIVE 1u
#define PUSH_SHARED 2u

static unsigned push_state(const char *routine, PEX_PUSH_LOCK p)
{
    if (irql() > APC_LEVEL)
        kf_violation_stop(KF_VIOL_PUSH_LOCK_IRQL, routine, 0, irql(), APC_LEVEL,
                          "%s at IRQL %u (allowed up to APC_LEVEL)", routine, irql());
    ULONG_PTR w = *p;
    if ((w & TAG_MASK) != PUSH_TAG)
        kf_violation_stop(KF_VIOL_PUSH_LOCK_UNINITIALIZED, routine, 0, irql(), (w & TAG_MASK) == DEAD_TAG,
                          "%s on a push lock %s", routine,
                          (w & TAG_MASK) == DEAD_TAG ? "that FltDeletePushLock deleted"
                                                     : "that FltInitializePushLock never initialized");
    return word_current(w) ? (unsigned)(w & 0xFFFF) : 0;
}

static void push_flags(const char *routine, ULONG flags)
{
    if (flags & ~(ULONG)FLT_PUSH_LOCK_VALID_FLAGS)
        kf_violation_stop(KF_VIOL_PUSH_LOCK_FLAGS, routine, 0, irql(), flags,
                          "%s with Flags 0x%X (valid: 0x%X)", routine, (unsigned)flags,
                          (unsigned)FLT_PUSH_LOCK_VALID_FLAGS);
}

VOID FLTAPI FltInitializePushLock(PEX_PUSH_LOCK PushLock)
{
    kf__wait_check_signal("FltInitializePushLock");
    if (irql() > APC_LEVEL)
        kf_violation_stop(KF_VIOL_PUSH_LOCK_IRQL, "FltInitializePushLock", 0, irql(), APC_LEVEL,
                          "FltInitializePushLock at IRQL %u (allowed up to APC_LEVEL)", irql());
    *PushLock = stamp(PUSH_TAG, 0);
}

VOID FLTAPI FltInitializePushLockEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    push_flags("FltInitializePushLockEx", Flags);
    FltInitializePushLock(PushLock);
}

VOID FLTAPI FltDeletePushLock(PEX_PUSH_LOCK PushLock)
{
    kf__wait_check_signal("FltDeletePushLock");
    if (push_state("FltDeletePushLock", PushLock) != 0)
        kf_violation_stop(KF_VIOL_PUSH_LOCK_DELETE_HELD, "FltDeletePushLock", 0, irql(), 0,
                          "FltDeletePushLock of a push lock the thread still holds");
    *PushLock = DEAD_TAG;
}

static void push_acquire(const char *routine, PEX_PUSH_LOCK p, unsigned mode)
{
    kf__wait_check_signal(routine);
    if (push_state(routine, p) != 0)
        kf_violation_stop(KF_VIOL_SYNC_SELF_DEADLOCK, routine, 0, irql(), KF__HELD_PUSH,
                          "%s on a push lock the thread already holds %s: push locks are not recursive in "
                          "any mode",
                          routine, push_state(routine, p) == PUSH_EXCLUSIVE ? "exclusive" : "shared");
    kf__sync_apc_disable(1, 1);
    *p = stamp(PUSH_TAG, mode);
    kf__sync_hold(KF__HELD_PUSH, p, routine);
}

static void push_release(const char *routine, PEX_PUSH_LOCK p)
{
    kf__wait_check_signal(routine);
    if (push_state(routine, p) == 0 || !kf__sync_drop(KF__HELD_PUSH, p))
        kf_violation_stop(KF_VIOL_PUSH_LOCK_NOT_HELD, routine, 0, irql(), 0,
                          "%s of a push lock the thread does not hold", routine);
    *p = stamp(PUSH_TAG, 0);
    if (T.crit == 0)
        kf_violation_stop(KF_VIOL_REGION_UNBALANCED, routine, 0x3E, irql(), 0,
                          "%s: the critical region the acquire entered was already left", routine);
    kf__sync_apc_disable(1, -1);
}

VOID FLTAPI FltAcquirePushLockExclusive(PEX_PUSH_LOCK PushLock)
{
    push_acquire("FltAcquirePushLockExclusive", PushLock, PUSH_EXCLUSIVE);
}

VOID FLTAPI FltAcquirePushLockShared(PEX_PUSH_LOCK PushLock)
{
    push_acquire("FltAcquirePushLockShared", PushLock, PUSH_SHARED);
}

VOID FLTAPI FltReleasePushLock(PEX_PUSH_LOCK PushLock) { push_release("FltReleasePushLock", PushLock); }

VOID FLTAPI FltAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    push_flags("FltAcquirePushLockExclusiveEx", Flags);
    push_acquire("FltAcquirePushLockExclusiveEx", PushLock, PUSH_EXCLUSIVE);
}

VOID FLTAPI FltAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    push_flags("FltAcquirePushLockSharedEx", Flags);
    push_acquire("FltAcquirePushLockSharedEx", PushLock, PUSH_SHARED);
}

VOID FLTAPI FltReleasePushLockEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    push_flags("FltReleasePushLockEx", Flags);
    push_release("FltReleasePushLockEx", PushLock);
}

/* ---- Lists under a spin lock: any IRQL; the lock is taken and given back inside ------------ */

static void list_lock(const char *routine, PKSPIN_LOCK lock)
{
    kf__wait_check_signal(routine);
    spin_take(routine, lock, FORM_ORDINARY);
}

static void list_unlock(const char *routine, PKSPIN_LOCK lock) { spin_give(routine, lock, FORM_ORDINARY); }

PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    const char *routine = "ExInterlockedInsertHeadList";
    list_lock(routine, Lock);
    PLIST_ENTRY first = ListHead->Flink == ListHead ? NULL : ListHead->Flink;
    InsertHeadList(ListHead, ListEntry);
    list_unlock(routine, Lock);
    return first;
}

PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    const char *routine = "ExInterlockedInsertTailList";
    list_lock(routine, Lock);
    PLIST_ENTRY last = ListHead->Blink == ListHead ? NULL : ListHead->Blink;
    InsertTailList(ListHead, ListEntry);
    list_unlock(routine, Lock);
    return last;
}

PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    const char *routine = "ExInterlockedRemoveHeadList";
    list_lock(routine, Lock);
    PLIST_ENTRY e = ListHead->Flink == ListHead ? NULL : RemoveHeadList(ListHead);
    list_unlock(routine, Lock);
    return e;
}

PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                              PKSPIN_LOCK Lock)
{
    const char *routine = "ExInterlockedPushEntryList";
    list_lock(routine, Lock);
    PSINGLE_LIST_ENTRY old = ListHead->Next;
    ListEntry->Next = old;
    ListHead->Next = ListEntry;
    list_unlock(routine, Lock);
    return old;
}

PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    const char *routine = "ExInterlockedPopEntryList";
    list_lock(routine, Lock);
    PSINGLE_LIST_ENTRY e = ListHead->Next;
    if (e)
        ListHead->Next = e->Next;
    list_unlock(routine, Lock);
    return e;
}

/* ---- S-lists: Alignment holds the first entry, Region the depth. One simulated thread
 * runs at a time, so the pair is updated without a double-width atomic. */

VOID InitializeSListHead(PSLIST_HEADER SListHead)
{
    SListHead->Alignment = 0;
    SListHead->Region = 0;
}

PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
    PSLIST_ENTRY old = (PSLIST_ENTRY)(ULONG_PTR)ListHead->Alignment;
    ListEntry->Next = old;
    ListHead->Alignment = (ULONGLONG)(ULONG_PTR)ListEntry;
    ListHead->Region++;
    return old;
}

PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
    PSLIST_ENTRY e = (PSLIST_ENTRY)(ULONG_PTR)ListHead->Alignment;
    if (e) {
        ListHead->Alignment = (ULONGLONG)(ULONG_PTR)e->Next;
        ListHead->Region--;
    }
    return e;
}

PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)
{
    PSLIST_ENTRY e = (PSLIST_ENTRY)(ULONG_PTR)ListHead->Alignment;
    ListHead->Alignment = 0;
    ListHead->Region = 0;
    return e;
}

USHORT ExQueryDepthSList(PSLIST_HEADER SListHead) { return (USHORT)SListHead->Region; }
