/*
 * test_sync.c - synchronization on the simulated thread (rules M-1 to M-34 of
 * model/SEMANTICS.md): spin locks, critical and guarded regions, fast and guarded mutexes,
 * ERESOURCE and the Filter Manager resource wrappers, push locks, interlocked operations,
 * lists under a spin lock, S-lists, kf_held, and the harness finding for a driver entry
 * point that returns holding something.
 *
 * Every misuse is run under kft_stops and checked for its violation code (and Driver
 * Verifier's subcode in Parameter2); the model is reset after each stop, since a stop
 * leaves the thread's holdings as they were. Must never leave a lock held across tests.
 */
#include "kft.h"
#include "kfault/driver_env.h"
#include <fltKernel.h>

#include <string.h>

#define CHECK_STR(hay, needle)                                                                  \
    ((strstr((hay), (needle)) != NULL)                                                          \
         ? kft_pass()                                                                           \
         : kft_fail(__FILE__, __LINE__, "\"%s\" not found in \"%s\"", (needle), (hay)))

static kf_stop last;

/* Runs fn under a guard: it must stop with violation v (and Driver Verifier subcode dv when
 * not ~0). Resets the model afterwards. */
static void expect_violation(void (*fn)(void *), void *arg, ULONG v, ULONG_PTR dv, int line)
{
    kf_stop s;
    memset(&s, 0, sizeof s);
    int r = kft_stops(fn, arg, &s);
    last = s;
    if (!r)
        kft_fail(__FILE__, line, "no stop; expected violation 0x%X", (unsigned)v);
    else if (s.code != DRIVER_VERIFIER_DETECTED_VIOLATION || s.param[0] != v)
        kft_fail(__FILE__, line, "stop 0x%X P1=0x%llX (%s); expected violation 0x%X", (unsigned)s.code,
                 (unsigned long long)s.param[0], s.reason, (unsigned)v);
    else if (dv != (ULONG_PTR)~0ull && s.param[1] != dv)
        kft_fail(__FILE__, line, "Driver Verifier subcode 0x%llX, expected 0x%llX", (unsigned long long)s.param[1],
                 (unsigned long long)dv);
    else
        kft_pass();
    kf_reset();
}
#define EXPECT_VIOLATION(fn, arg, v) expect_violation(fn, arg, v, ~0ull, __LINE__)
#define EXPECT_VIOLATION_DV(fn, arg, v, dv) expect_violation(fn, arg, v, dv, __LINE__)

static void expect_bugcheck(void (*fn)(void *), void *arg, ULONG code, int line)
{
    kf_stop s;
    memset(&s, 0, sizeof s);
    int r = kft_stops(fn, arg, &s);
    last = s;
    if (!r || s.code != code)
        kft_fail(__FILE__, line, "stop %d code 0x%X, expected bug check 0x%X", r, (unsigned)s.code, (unsigned)code);
    else
        kft_pass();
    kf_reset();
}
#define EXPECT_BUGCHECK(fn, arg, code) expect_bugcheck(fn, arg, code, __LINE__)

static void expect_nothing_held(int line)
{
    kf_held_report h;
    kf_held(&h);
    if (h.spin_locks || h.mutexes || h.resources || h.push_locks || h.critical_regions || h.guarded_regions ||
        h.first)
        kft_fail(__FILE__, line, "something is still held (first: %s)", h.first ? h.first : "-");
    else
        kft_pass();
}
#define CHECK_NOTHING_HELD() expect_nothing_held(__LINE__)

/* ==== Spin locks ============================================================================ */

static KSPIN_LOCK lock_a, lock_b;
static KLOCK_QUEUE_HANDLE qh_a, qh_b;
static KIRQL old_a, old_b;

TEST(spin_acquire_raises_release_restores)
{
    KeInitializeSpinLock(&lock_a);
    CHECK_EQ(lock_a, 0);
    CHECK(KeTestSpinLock(&lock_a));
    KeAcquireSpinLock(&lock_a, &old_a);
    CHECK_EQ(old_a, PASSIVE_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    CHECK(!KeTestSpinLock(&lock_a));
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 1);
    CHECK(h.first && !strcmp(h.first, "KeAcquireSpinLockRaiseToDpc"));
    KeReleaseSpinLock(&lock_a, old_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK(KeTestSpinLock(&lock_a));
    CHECK_NOTHING_HELD();
    /* From APC_LEVEL and from DISPATCH_LEVEL: the old IRQL is each time the caller's. */
    kf_set_irql(APC_LEVEL);
    KeAcquireSpinLock(&lock_a, &old_a);
    CHECK_EQ(old_a, APC_LEVEL);
    KeReleaseSpinLock(&lock_a, old_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    kf_set_irql(DISPATCH_LEVEL);
    KeAcquireSpinLock(&lock_a, &old_a);
    CHECK_EQ(old_a, DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_a, old_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
}

static void spin_twice(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeAcquireSpinLock(&lock_a, &old_b);
}
static void spin_twice_at_dpc(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeAcquireSpinLockAtDpcLevel(&lock_a);
}

TEST(spin_recursive_acquire_is_deadlock)
{
    EXPECT_VIOLATION(spin_twice, NULL, 0x3301);
    CHECK_STR(last.reason, "already holds");
    EXPECT_VIOLATION(spin_twice_at_dpc, NULL, 0x3301);
    CHECK_STR(last.routine, "KeAcquireSpinLockAtDpcLevel");
}

static void spin_at_high(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    kf_set_irql(HIGH_LEVEL);
    KeAcquireSpinLock(&lock_a, &old_a);
}
static void queued_at_high(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    kf_set_irql(DISPATCH_LEVEL + 1);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
}

TEST(spin_acquire_above_dispatch)
{
    EXPECT_VIOLATION_DV(spin_at_high, NULL, 0x3302, 0x42);
    CHECK_EQ(last.param[2], HIGH_LEVEL);
    EXPECT_VIOLATION_DV(queued_at_high, NULL, 0x3302, 0x42);
}

static void release_below_dispatch(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeLowerIrql(PASSIVE_LEVEL);
    KeReleaseSpinLock(&lock_a, old_a);
}
static void release_above_dispatch(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeRaiseIrql(HIGH_LEVEL, &old_b);
    KeReleaseSpinLock(&lock_a, old_a);
}
static void release_twice(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeReleaseSpinLock(&lock_a, old_a);
    KeReleaseSpinLock(&lock_a, old_a);
}
static void release_never_taken(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    kf_set_irql(DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_a, PASSIVE_LEVEL);
}
static void release_to_high(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeReleaseSpinLock(&lock_a, HIGH_LEVEL);
}

TEST(spin_release_rules)
{
    EXPECT_VIOLATION_DV(release_below_dispatch, NULL, 0x3304, 0x32);
    EXPECT_VIOLATION_DV(release_above_dispatch, NULL, 0x3304, 0x35);
    /* A double release after the first restored PASSIVE_LEVEL: the IRQL rule catches it. */
    EXPECT_VIOLATION_DV(release_twice, NULL, 0x3304, 0x32);
    EXPECT_VIOLATION(release_never_taken, NULL, 0x3305);
    EXPECT_BUGCHECK(release_to_high, NULL, IRQL_NOT_LESS_OR_EQUAL);
}

static void out_of_order(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeInitializeSpinLock(&lock_b);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeAcquireSpinLock(&lock_b, &old_b);
    KeReleaseSpinLock(&lock_a, old_a); /* back at PASSIVE_LEVEL while B is held */
    KeReleaseSpinLock(&lock_b, old_b);
}

TEST(spin_out_of_order_release)
{
    /* Hand over hand, as drivers legitimately do: B taken at DPC level, A's IRQL given to B. */
    KeInitializeSpinLock(&lock_a);
    KeInitializeSpinLock(&lock_b);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeAcquireSpinLockAtDpcLevel(&lock_b);
    KeReleaseSpinLockFromDpcLevel(&lock_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLock(&lock_b, old_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK_NOTHING_HELD();
    /* Releasing the first of two raised locks first lowers the IRQL under the second. */
    EXPECT_VIOLATION_DV(out_of_order, NULL, 0x3304, 0x32);
    CHECK_STR(last.routine, "KeReleaseSpinLock");
}

static void dpc_acquire_passive(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLockAtDpcLevel(&lock_a);
}
static void dpc_release_passive(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    kf_set_irql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(&lock_a);
    kf_set_irql(APC_LEVEL);
    KeReleaseSpinLockFromDpcLevel(&lock_a);
}
static void dpc_try_passive(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeTryToAcquireSpinLockAtDpcLevel(&lock_a);
}

TEST(spin_dpc_forms)
{
    KeInitializeSpinLock(&lock_a);
    kf_set_irql(DISPATCH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(&lock_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    CHECK(!KeTestSpinLock(&lock_a));
    CHECK(!KeTryToAcquireSpinLockAtDpcLevel(&lock_a)); /* held: a try fails, never spins */
    KeReleaseSpinLockFromDpcLevel(&lock_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    CHECK(KeTryToAcquireSpinLockAtDpcLevel(&lock_a));
    CHECK(!KeTestSpinLock(&lock_a));
    KeReleaseSpinLockFromDpcLevel(&lock_a);
    CHECK_NOTHING_HELD();
    kf_set_irql(PASSIVE_LEVEL);
    EXPECT_VIOLATION_DV(dpc_acquire_passive, NULL, 0x3303, 0x40);
    EXPECT_VIOLATION_DV(dpc_release_passive, NULL, 0x3303, 0x41);
    EXPECT_VIOLATION_DV(dpc_try_passive, NULL, 0x3303, 0x40);
}

TEST(spin_queued_raise_and_restore)
{
    KeInitializeSpinLock(&lock_a);
    KeInitializeSpinLock(&lock_b);
    kf_set_irql(APC_LEVEL);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
    CHECK_EQ(qh_a.OldIrql, APC_LEVEL);
    CHECK(qh_a.LockQueue.Lock == &lock_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_b, &qh_b);
    CHECK(!KeTestSpinLock(&lock_b));
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 2);
    CHECK(h.first && !strcmp(h.first, "KeAcquireInStackQueuedSpinLock"));
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&qh_b);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseInStackQueuedSpinLock(&qh_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    CHECK(KeTestSpinLock(&lock_a));
    CHECK(KeTestSpinLock(&lock_b));
    CHECK_NOTHING_HELD();
}

static void queued_then_ordinary_release(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
    KeReleaseSpinLock(&lock_a, PASSIVE_LEVEL);
}
static void ordinary_then_queued_acquire(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_a, &qh_a);
}
static void release_unfilled_handle(void *p)
{
    (void)p;
    KLOCK_QUEUE_HANDLE h;
    memset(&h, 0, sizeof h);
    h.LockQueue.Lock = &lock_a;
    kf_set_irql(DISPATCH_LEVEL);
    KeReleaseInStackQueuedSpinLock(&h);
}
static void release_handle_twice(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
    KeRaiseIrql(DISPATCH_LEVEL, &old_a);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&qh_a);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&qh_a);
}
static void queued_recursive(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock_a, &qh_b);
}
static void queued_release_passive(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    KeAcquireInStackQueuedSpinLock(&lock_a, &qh_a);
    kf_set_irql(PASSIVE_LEVEL);
    KeReleaseInStackQueuedSpinLock(&qh_a);
}

TEST(spin_queued_misuse)
{
    EXPECT_VIOLATION(queued_then_ordinary_release, NULL, 0x3306);
    EXPECT_VIOLATION(ordinary_then_queued_acquire, NULL, 0x3306);
    EXPECT_VIOLATION(release_unfilled_handle, NULL, 0x3305);
    EXPECT_VIOLATION(release_handle_twice, NULL, 0x3305);
    EXPECT_VIOLATION(queued_recursive, NULL, 0x3301);
    EXPECT_VIOLATION_DV(queued_release_passive, NULL, 0x3304, 0x32);
}

static void spin_garbage(void *p)
{
    (void)p;
    lock_a = 0x1234;
    KeAcquireSpinLock(&lock_a, &old_a);
}

TEST(spin_corrupt_word)
{
    EXPECT_VIOLATION(spin_garbage, NULL, 0x3307);
    CHECK_STR(last.reason, "KeInitializeSpinLock");
}

TEST(spin_left_held_is_free_after_reset)
{
    KeInitializeSpinLock(&lock_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    kf_reset();
    CHECK_NOTHING_HELD();
    CHECK(KeTestSpinLock(&lock_a));
    KeAcquireSpinLock(&lock_a, &old_a); /* no self-deadlock: the holder's run has ended */
    CHECK_EQ(old_a, PASSIVE_LEVEL);
    KeReleaseSpinLock(&lock_a, old_a);
    CHECK_NOTHING_HELD();
}

static void cancel_twice(void *p)
{
    (void)p;
    IoAcquireCancelSpinLock(&old_a);
    IoAcquireCancelSpinLock(&old_b);
}
static void cancel_release_unheld(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL);
    IoReleaseCancelSpinLock(PASSIVE_LEVEL);
}
static void cancel_release_passive(void *p)
{
    (void)p;
    IoAcquireCancelSpinLock(&old_a);
    kf_set_irql(PASSIVE_LEVEL);
    IoReleaseCancelSpinLock(old_a);
}
static void cancel_at_high(void *p)
{
    (void)p;
    kf_set_irql(HIGH_LEVEL);
    IoAcquireCancelSpinLock(&old_a);
}

TEST(cancel_spin_lock)
{
    kf_set_irql(APC_LEVEL);
    IoAcquireCancelSpinLock(&old_a);
    CHECK_EQ(old_a, APC_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 1);
    CHECK(h.first && !strcmp(h.first, "IoAcquireCancelSpinLock"));
    IoReleaseCancelSpinLock(old_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    CHECK_NOTHING_HELD();
    /* Left held by a run: free in the next. */
    IoAcquireCancelSpinLock(&old_a);
    kf_reset();
    IoAcquireCancelSpinLock(&old_a);
    IoReleaseCancelSpinLock(old_a);
    CHECK_NOTHING_HELD();
    EXPECT_VIOLATION(cancel_twice, NULL, 0x3301);
    EXPECT_VIOLATION(cancel_release_unheld, NULL, 0x3305);
    EXPECT_VIOLATION_DV(cancel_release_passive, NULL, 0x3304, 0x32);
    EXPECT_VIOLATION(cancel_at_high, NULL, 0x3302);
}

/* ==== Critical and guarded regions ============================================================ */

static void leave_critical_unentered(void *p)
{
    (void)p;
    KeLeaveCriticalRegion();
}
static void leave_guarded_unentered(void *p)
{
    (void)p;
    KeLeaveGuardedRegion();
}
static void enter_critical_dispatch(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL);
    KeEnterCriticalRegion();
}
static void leave_critical_dispatch(void *p)
{
    (void)p;
    KeEnterCriticalRegion();
    kf_set_irql(DISPATCH_LEVEL);
    KeLeaveCriticalRegion();
}
static void enter_guarded_dispatch(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL);
    KeEnterGuardedRegion();
}

TEST(critical_region_rules)
{
    CHECK(!KeAreApcsDisabled());
    KeEnterCriticalRegion();
    CHECK(KeAreApcsDisabled());
    CHECK(!KeAreAllApcsDisabled());
    FsRtlEnterFileSystem();
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.critical_regions, 2);
    CHECK(h.first && !strcmp(h.first, "KeEnterCriticalRegion"));
    FsRtlExitFileSystem();
    CHECK(KeAreApcsDisabled());
    KeLeaveCriticalRegion();
    CHECK(!KeAreApcsDisabled());
    CHECK_NOTHING_HELD();
    kf_set_irql(APC_LEVEL); /* APC_LEVEL disables them too */
    CHECK(KeAreApcsDisabled());
    CHECK(KeAreAllApcsDisabled());
    kf_set_irql(PASSIVE_LEVEL);
    EXPECT_VIOLATION_DV(leave_critical_unentered, NULL, 0x3315, 0x3E);
    EXPECT_VIOLATION_DV(enter_critical_dispatch, NULL, 0x3316, 0x11A);
    EXPECT_VIOLATION_DV(leave_critical_dispatch, NULL, 0x3316, 0x11B);
}

TEST(guarded_region_rules)
{
    KeEnterGuardedRegion();
    CHECK(KeAreAllApcsDisabled());
    CHECK(KeAreApcsDisabled());
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.guarded_regions, 1);
    CHECK_EQ(h.critical_regions, 0);
    KeLeaveGuardedRegion();
    CHECK(!KeAreAllApcsDisabled());
    CHECK_NOTHING_HELD();
    EXPECT_VIOLATION(leave_guarded_unentered, NULL, 0x3315);
    EXPECT_VIOLATION(enter_guarded_dispatch, NULL, 0x3316);
}

/* ==== Fast and guarded mutexes ================================================================== */

static FAST_MUTEX fm_a, fm_b;
static KGUARDED_MUTEX gm_a;

TEST(fast_mutex_raises_to_apc_and_restores)
{
    CHECK_EQ(sizeof(FAST_MUTEX), 56);
    ExInitializeFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.mutexes, 1);
    CHECK(h.first && !strcmp(h.first, "ExAcquireFastMutex"));
    ExReleaseFastMutex(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK_NOTHING_HELD();
    /* Nested in reverse order: each restores what its acquire saw. */
    ExInitializeFastMutex(&fm_b);
    ExAcquireFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_b);
    ExReleaseFastMutex(&fm_b);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    ExReleaseFastMutex(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* Try: TRUE and raised when free, FALSE and unchanged when held. */
    CHECK(ExTryToAcquireFastMutex(&fm_a));
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    CHECK(!ExTryToAcquireFastMutex(&fm_a));
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    ExReleaseFastMutex(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK_NOTHING_HELD();
}

static void fm_uninitialized(void *p)
{
    (void)p;
    memset(&fm_a, 0, sizeof fm_a);
    ExAcquireFastMutex(&fm_a);
}
static void fm_at_dispatch(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    kf_set_irql(DISPATCH_LEVEL);
    ExAcquireFastMutex(&fm_a);
}
static void fm_release_passive(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_a);
    KeLowerIrql(PASSIVE_LEVEL);
    ExReleaseFastMutex(&fm_a);
}
static void fm_twice(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_a);
}
static void fm_release_not_held(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    kf_set_irql(APC_LEVEL);
    ExReleaseFastMutex(&fm_a);
}
static void fm_out_of_order(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    ExInitializeFastMutex(&fm_b);
    ExAcquireFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_b);
    ExReleaseFastMutex(&fm_a); /* restores PASSIVE_LEVEL while B is held */
    ExReleaseFastMutex(&fm_b);
}

TEST(fast_mutex_misuse)
{
    EXPECT_VIOLATION(fm_uninitialized, NULL, 0x3308);
    CHECK_STR(last.reason, "ExInitializeFastMutex");
    EXPECT_VIOLATION_DV(fm_at_dispatch, NULL, 0x3309, 0x33);
    EXPECT_VIOLATION_DV(fm_release_passive, NULL, 0x330A, 0x34);
    EXPECT_VIOLATION(fm_twice, NULL, 0x3301);
    CHECK_STR(last.reason, "not recursive");
    EXPECT_VIOLATION(fm_release_not_held, NULL, 0x330B);
    EXPECT_VIOLATION_DV(fm_out_of_order, NULL, 0x330A, 0x34);
}

static void fm_unsafe_apcs_enabled(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    ExAcquireFastMutexUnsafe(&fm_a);
}
static void fm_unsafe_then_safe_release(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&fm_a);
    kf_set_irql(APC_LEVEL);
    ExReleaseFastMutex(&fm_a);
}
static void fm_safe_then_unsafe_release(void *p)
{
    (void)p;
    ExInitializeFastMutex(&fm_a);
    ExAcquireFastMutex(&fm_a);
    ExReleaseFastMutexUnsafe(&fm_a);
}

TEST(fast_mutex_unsafe_forms)
{
    ExInitializeFastMutex(&fm_a);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.mutexes, 1);
    CHECK_EQ(h.critical_regions, 1);
    ExReleaseFastMutexUnsafe(&fm_a);
    KeLeaveCriticalRegion();
    CHECK_NOTHING_HELD();
    kf_set_irql(APC_LEVEL); /* APC_LEVEL is enough */
    ExAcquireFastMutexUnsafe(&fm_a);
    ExReleaseFastMutexUnsafe(&fm_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    kf_set_irql(PASSIVE_LEVEL);
    EXPECT_VIOLATION(fm_unsafe_apcs_enabled, NULL, 0x330D);
    EXPECT_VIOLATION(fm_unsafe_then_safe_release, NULL, 0x330C);
    EXPECT_VIOLATION(fm_safe_then_unsafe_release, NULL, 0x330C);
}

static void gm_twice(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    KeAcquireGuardedMutex(&gm_a);
    KeAcquireGuardedMutex(&gm_a);
}
static void gm_uninitialized(void *p)
{
    (void)p;
    memset(&gm_a, 0, sizeof gm_a);
    KeAcquireGuardedMutex(&gm_a);
}
static void gm_release_not_held(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    KeReleaseGuardedMutex(&gm_a);
}
static void gm_at_dispatch(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    kf_set_irql(DISPATCH_LEVEL);
    KeAcquireGuardedMutex(&gm_a);
}
static void gm_release_dispatch(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    KeAcquireGuardedMutex(&gm_a);
    kf_set_irql(DISPATCH_LEVEL);
    KeReleaseGuardedMutex(&gm_a);
}
static void gm_region_left_inside(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    KeAcquireGuardedMutex(&gm_a);
    KeLeaveGuardedRegion(); /* leaves the mutex's own region */
    KeReleaseGuardedMutex(&gm_a);
}
static void fm_init_high(void *p)
{
    (void)p;
    kf_set_irql(HIGH_LEVEL);
    ExInitializeFastMutex(&fm_a);
}
static void gm_as_fast(void *p)
{
    (void)p;
    KeInitializeGuardedMutex(&gm_a);
    ExAcquireFastMutex(&gm_a);
}

TEST(guarded_mutex_rules)
{
    KeInitializeGuardedMutex(&gm_a);
    KeAcquireGuardedMutex(&gm_a);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK(KeAreAllApcsDisabled());
    CHECK(!KeTryToAcquireGuardedMutex(&gm_a));
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.mutexes, 1);
    CHECK_EQ(h.guarded_regions, 0);
    KeReleaseGuardedMutex(&gm_a);
    CHECK(!KeAreAllApcsDisabled());
    CHECK(KeTryToAcquireGuardedMutex(&gm_a));
    CHECK(KeAreAllApcsDisabled());
    KeReleaseGuardedMutex(&gm_a);
    CHECK_NOTHING_HELD();
    EXPECT_VIOLATION(gm_twice, NULL, 0x3301);
    EXPECT_VIOLATION(gm_uninitialized, NULL, 0x3308);
    EXPECT_VIOLATION(gm_release_not_held, NULL, 0x330B);
    EXPECT_VIOLATION(gm_at_dispatch, NULL, 0x3309);
    EXPECT_VIOLATION(gm_release_dispatch, NULL, 0x330A);
    EXPECT_VIOLATION(fm_init_high, NULL, 0x3309);
    EXPECT_VIOLATION(gm_region_left_inside, NULL, 0x3315);
    CHECK_STR(last.routine, "KeReleaseGuardedMutex");
    EXPECT_VIOLATION(gm_as_fast, NULL, 0x3308); /* a guarded mutex is not a fast mutex */
}

/* ==== ERESOURCE ================================================================================== */

static ERESOURCE res_a;

TEST(resource_recursion_rules)
{
    CHECK_EQ(sizeof(ERESOURCE), 104);
    CHECK_EQ(ExInitializeResourceLite(&res_a), STATUS_SUCCESS);
    KeEnterCriticalRegion();
    /* Shared recurses. */
    CHECK(ExAcquireResourceSharedLite(&res_a, TRUE));
    CHECK(ExAcquireResourceSharedLite(&res_a, FALSE));
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 2);
    CHECK(!ExIsResourceAcquiredExclusiveLite(&res_a));
    /* Exclusive while holding only shared, without waiting: FALSE, nothing taken. */
    CHECK(!ExAcquireResourceExclusiveLite(&res_a, FALSE));
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 2);
    ExReleaseResourceLite(&res_a);
    ExReleaseResourceLite(&res_a);
    CHECK_EQ(ExIsResourceAcquiredLite(&res_a), 0);
    /* Exclusive recurses, and shared inside exclusive is granted; exclusive counts as shared. */
    CHECK(ExAcquireResourceExclusiveLite(&res_a, TRUE));
    CHECK(ExAcquireResourceExclusiveLite(&res_a, TRUE));
    CHECK(ExAcquireResourceSharedLite(&res_a, TRUE));
    CHECK(ExAcquireSharedStarveExclusive(&res_a, TRUE));
    CHECK(ExAcquireSharedWaitForExclusive(&res_a, FALSE));
    CHECK(ExIsResourceAcquiredExclusiveLite(&res_a));
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 5);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.resources, 5);
    CHECK(h.first && !strcmp(h.first, "KeEnterCriticalRegion"));
    for (int i = 0; i < 4; i++)
        ExReleaseResourceLite(&res_a);
    CHECK(ExIsResourceAcquiredExclusiveLite(&res_a));
    ExReleaseResourceForThreadLite(&res_a, ExGetCurrentResourceThread());
    CHECK(!ExIsResourceAcquiredExclusiveLite(&res_a));
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 0);
    KeLeaveCriticalRegion();
    CHECK_NOTHING_HELD();
    CHECK_EQ(ExDeleteResourceLite(&res_a), STATUS_SUCCESS);
    /* APC_LEVEL disables normal kernel APCs: no region needed there. */
    ExInitializeResourceLite(&res_a);
    kf_set_irql(APC_LEVEL);
    CHECK(ExAcquireResourceExclusiveLite(&res_a, TRUE));
    ExReleaseResourceLite(&res_a);
    kf_set_irql(PASSIVE_LEVEL);
    ExDeleteResourceLite(&res_a);
}

TEST(resource_ntifs_routines)
{
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    CHECK(ExTryToAcquireResourceExclusiveLite(&res_a));
    CHECK(ExTryToAcquireResourceExclusiveLite(&res_a)); /* recursion */
    CHECK_EQ(ExGetExclusiveWaiterCount(&res_a), 0);
    CHECK_EQ(ExGetSharedWaiterCount(&res_a), 0);
    /* Converted: both acquisitions are shared now, so an exclusive one would wait for itself. */
    ExConvertExclusiveToSharedLite(&res_a);
    CHECK(!ExIsResourceAcquiredExclusiveLite(&res_a));
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 2);
    CHECK(!ExTryToAcquireResourceExclusiveLite(&res_a));
    ExReleaseResourceLite(&res_a);
    ExReleaseResourceLite(&res_a);
    KeLeaveCriticalRegion();
    CHECK_EQ(ExReinitializeResourceLite(&res_a), STATUS_SUCCESS);
    CHECK_EQ(ExDeleteResourceLite(&res_a), STATUS_SUCCESS);
    CHECK_NOTHING_HELD();
}

static void res_reinit_held(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    FltAcquireResourceShared(&res_a);
    ExReinitializeResourceLite(&res_a);
}
static void res_reinit_uninitialized(void *p)
{
    (void)p;
    memset(&res_a, 0, sizeof res_a);
    ExReinitializeResourceLite(&res_a);
}
static void res_convert_shared(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    FltAcquireResourceShared(&res_a);
    ExConvertExclusiveToSharedLite(&res_a);
}
static void res_try_apcs(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    ExTryToAcquireResourceExclusiveLite(&res_a);
}

TEST(resource_ntifs_misuse)
{
    EXPECT_VIOLATION(res_reinit_held, NULL, 0x3314);
    EXPECT_VIOLATION(res_reinit_uninitialized, NULL, 0x330F);
    EXPECT_VIOLATION(res_convert_shared, NULL, 0x3312);
    EXPECT_VIOLATION_DV(res_try_apcs, NULL, 0x3310, 0x37);
}

static void res_shared_then_exclusive(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&res_a, TRUE);
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
}
static void res_reinit(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    ExInitializeResourceLite(&res_a);
}
static void res_delete_uninit(void *p)
{
    (void)p;
    memset(&res_a, 0, sizeof res_a);
    ExDeleteResourceLite(&res_a);
}
static void res_use_after_delete(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    ExDeleteResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&res_a, TRUE);
}
static void res_acquire_apcs(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
}
static void res_release_apcs(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
    KeLeaveCriticalRegion();
    ExReleaseResourceLite(&res_a);
}
static void res_release_not_held(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExReleaseResourceLite(&res_a);
}
static void res_release_other_thread(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
    ExReleaseResourceForThreadLite(&res_a, (ERESOURCE_THREAD)0x1234);
}
static void res_delete_held(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&res_a, TRUE);
    ExDeleteResourceLite(&res_a);
}
static void res_acquire_dispatch(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    kf_set_irql(DISPATCH_LEVEL);
    ExAcquireResourceSharedLite(&res_a, FALSE);
}

TEST(resource_misuse)
{
    EXPECT_VIOLATION(res_shared_then_exclusive, NULL, 0x3301);
    CHECK_STR(last.reason, "shared only");
    EXPECT_VIOLATION_DV(res_reinit, NULL, 0x330E, 0xD0);
    EXPECT_VIOLATION_DV(res_delete_uninit, NULL, 0x330F, 0xD1);
    EXPECT_VIOLATION(res_use_after_delete, NULL, 0x330F);
    CHECK_STR(last.reason, "ExDeleteResourceLite deleted");
    EXPECT_VIOLATION_DV(res_acquire_apcs, NULL, 0x3310, 0x37);
    EXPECT_VIOLATION_DV(res_release_apcs, NULL, 0x3311, 0x38);
    EXPECT_VIOLATION(res_release_not_held, NULL, 0x3312);
    EXPECT_VIOLATION(res_release_other_thread, NULL, 0x3312);
    EXPECT_VIOLATION(res_delete_held, NULL, 0x3314);
    EXPECT_VIOLATION(res_acquire_dispatch, NULL, 0x3313);
}

TEST(resource_initialized_by_an_earlier_run)
{
    /* A run that ends with its resource held and not deleted: the next run may initialize
     * it again (a new driver load), and finds it free. */
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
    kf_reset();
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 0);
    CHECK_EQ(ExInitializeResourceLite(&res_a), STATUS_SUCCESS);
    ExDeleteResourceLite(&res_a);
}

TEST(resource_flt_wrappers_enter_the_region)
{
    ExInitializeResourceLite(&res_a);
    FltAcquireResourceExclusive(&res_a); /* no KeEnterCriticalRegion needed */
    CHECK(KeAreApcsDisabled());
    CHECK(ExIsResourceAcquiredExclusiveLite(&res_a));
    FltReleaseResource(&res_a);
    CHECK(!KeAreApcsDisabled());
    FltAcquireResourceShared(&res_a);
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 1);
    FltReleaseResource(&res_a);
    CHECK_NOTHING_HELD();
    CHECK(ExEnterCriticalRegionAndAcquireResourceExclusive(&res_a) != NULL);
    CHECK(ExIsResourceAcquiredExclusiveLite(&res_a));
    ExReleaseResourceAndLeaveCriticalRegion(&res_a);
    ExEnterCriticalRegionAndAcquireResourceShared(&res_a);
    ExEnterCriticalRegionAndAcquireSharedWaitForExclusive(&res_a);
    CHECK_EQ(ExIsResourceAcquiredSharedLite(&res_a), 2);
    ExReleaseResourceAndLeaveCriticalRegion(&res_a);
    ExReleaseResourceAndLeaveCriticalRegion(&res_a);
    CHECK(!KeAreApcsDisabled());
    CHECK_NOTHING_HELD();
    /* A Flt acquire released with the Ex routine leaves the critical region entered. */
    FltAcquireResourceExclusive(&res_a);
    ExReleaseResourceLite(&res_a);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.resources, 0);
    CHECK_EQ(h.critical_regions, 1);
    CHECK(h.first && !strcmp(h.first, "FltAcquireResourceExclusive"));
    KeLeaveCriticalRegion();
    CHECK_NOTHING_HELD();
    ExDeleteResourceLite(&res_a);
}

static void flt_release_without_region(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&res_a, TRUE);
    KeLeaveCriticalRegion();
    kf_set_irql(APC_LEVEL);
    FltReleaseResource(&res_a); /* releases, then leaves a region never entered */
}

TEST(resource_flt_release_unbalanced)
{
    EXPECT_VIOLATION_DV(flt_release_without_region, NULL, 0x3315, 0x3E);
    CHECK_STR(last.routine, "FltReleaseResource");
}

/* ==== Push locks ================================================================================== */

static EX_PUSH_LOCK pl_a;

TEST(push_lock_rules)
{
    FltInitializePushLock(&pl_a);
    FltAcquirePushLockExclusive(&pl_a);
    CHECK(KeAreApcsDisabled()); /* the acquire disables normal kernel APCs itself */
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.push_locks, 1);
    CHECK_EQ(h.critical_regions, 0);
    CHECK(h.first && !strcmp(h.first, "FltAcquirePushLockExclusive"));
    FltReleasePushLock(&pl_a);
    CHECK(!KeAreApcsDisabled());
    FltAcquirePushLockShared(&pl_a);
    FltReleasePushLock(&pl_a);
    FltAcquirePushLockExclusiveEx(&pl_a, FLT_PUSH_LOCK_ENABLE_AUTO_BOOST);
    FltReleasePushLockEx(&pl_a, 0);
    FltAcquirePushLockSharedEx(&pl_a, FLT_PUSH_LOCK_DISABLE_AUTO_BOOST);
    FltReleasePushLockEx(&pl_a, FLT_PUSH_LOCK_DISABLE_AUTO_BOOST);
    CHECK_NOTHING_HELD();
    FltDeletePushLock(&pl_a);
    FltInitializePushLockEx(&pl_a, 0);
    kf_set_irql(APC_LEVEL);
    FltAcquirePushLockShared(&pl_a);
    FltReleasePushLock(&pl_a);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    CHECK_NOTHING_HELD();
}

static void pl_twice(void *p)
{
    FltInitializePushLock(&pl_a);
    if (p)
        FltAcquirePushLockShared(&pl_a);
    else
        FltAcquirePushLockExclusive(&pl_a);
    FltAcquirePushLockShared(&pl_a);
}
static void pl_release_not_held(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    FltReleasePushLock(&pl_a);
}
static void pl_uninitialized(void *p)
{
    (void)p;
    pl_a = 0;
    FltAcquirePushLockExclusive(&pl_a);
}
static void pl_after_delete(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    FltDeletePushLock(&pl_a);
    FltAcquirePushLockShared(&pl_a);
}
static void pl_delete_held(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    FltAcquirePushLockExclusive(&pl_a);
    FltDeletePushLock(&pl_a);
}
static void pl_bad_flags(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    FltAcquirePushLockExclusiveEx(&pl_a, 0x4);
}
static void pl_dispatch(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    kf_set_irql(DISPATCH_LEVEL);
    FltAcquirePushLockShared(&pl_a);
}
static void pl_init_dispatch(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL);
    FltInitializePushLock(&pl_a);
}
static void pl_region_left_early(void *p)
{
    (void)p;
    FltInitializePushLock(&pl_a);
    FltAcquirePushLockExclusive(&pl_a);
    KeLeaveCriticalRegion();
    FltReleasePushLock(&pl_a);
}

TEST(push_lock_misuse)
{
    EXPECT_VIOLATION(pl_twice, NULL, 0x3301);
    CHECK_STR(last.reason, "exclusive");
    EXPECT_VIOLATION(pl_twice, (void *)1, 0x3301); /* shared twice too */
    CHECK_STR(last.reason, "shared");
    EXPECT_VIOLATION(pl_release_not_held, NULL, 0x3318);
    EXPECT_VIOLATION(pl_uninitialized, NULL, 0x3319);
    CHECK_STR(last.reason, "never initialized");
    EXPECT_VIOLATION(pl_after_delete, NULL, 0x3319);
    CHECK_STR(last.reason, "FltDeletePushLock deleted");
    EXPECT_VIOLATION(pl_delete_held, NULL, 0x331B);
    EXPECT_VIOLATION(pl_bad_flags, NULL, 0x331A);
    EXPECT_VIOLATION(pl_dispatch, NULL, 0x3317);
    EXPECT_VIOLATION(pl_init_dispatch, NULL, 0x3317);
    EXPECT_VIOLATION_DV(pl_region_left_early, NULL, 0x3315, 0x3E);
}

/* ==== Interlocked operations ==================================================================== */

TEST(interlocked_return_values)
{
    volatile LONG v = 5;
    CHECK_EQ(sizeof v, 4);
    CHECK_EQ(InterlockedIncrement(&v), 6); /* the new value */
    CHECK_EQ(InterlockedDecrement(&v), 5);
    CHECK_EQ(InterlockedExchange(&v, 9), 5); /* the old value */
    CHECK_EQ(InterlockedExchangeAdd(&v, 3), 9);
    CHECK_EQ(v, 12);
    CHECK_EQ(InterlockedAdd(&v, 3), 15);
    CHECK_EQ(InterlockedCompareExchange(&v, 1, 99), 15); /* no match: unchanged */
    CHECK_EQ(v, 15);
    CHECK_EQ(InterlockedCompareExchange(&v, 1, 15), 15);
    CHECK_EQ(v, 1);
    CHECK_EQ(InterlockedOr(&v, 6), 1);
    CHECK_EQ(v, 7);
    CHECK_EQ(InterlockedAnd(&v, 3), 7);
    CHECK_EQ(v, 3);
    CHECK_EQ(InterlockedXor(&v, 1), 3);
    CHECK_EQ(v, 2);
    v = 0x7FFFFFFF;
    CHECK_EQ(InterlockedIncrement(&v), (LONG)0x80000000); /* 32-bit wrap, as on Windows */
    CHECK(RtlInterlockedSetBits(&v, 1) == (LONG)0x80000000);
    CHECK(RtlInterlockedClearBits(&v, 0x80000000) == (LONG)0x80000001);
    CHECK_EQ(v, 1);
    CHECK(InterlockedBitTestAndSet(&v, 4) == 0);
    CHECK_EQ(v, 0x11);
    CHECK(InterlockedBitTestAndSet(&v, 4) == 1);
    CHECK(InterlockedBitTestAndReset(&v, 0) == 1);
    CHECK_EQ(v, 0x10);

    volatile LONG64 w = 0x100000000ll;
    CHECK_EQ(InterlockedIncrement64(&w), 0x100000001ll);
    CHECK_EQ(InterlockedDecrement64(&w), 0x100000000ll);
    CHECK_EQ(InterlockedExchange64(&w, 7), 0x100000000ll);
    CHECK_EQ(InterlockedExchangeAdd64(&w, 1), 7);
    CHECK_EQ(InterlockedAdd64(&w, 1), 9);
    CHECK_EQ(InterlockedCompareExchange64(&w, 2, 9), 9);
    CHECK_EQ(InterlockedOr64(&w, 0x10), 2);
    CHECK_EQ(InterlockedAnd64(&w, 0x10), 0x12);
    CHECK_EQ(InterlockedXor64(&w, 0x11), 0x10);
    CHECK_EQ(w, 1);

    volatile SHORT s = 0x7FFF;
    CHECK_EQ((USHORT)InterlockedIncrement16(&s), 0x8000);
    CHECK_EQ((USHORT)InterlockedDecrement16(&s), 0x7FFF);
    CHECK_EQ(InterlockedCompareExchange16(&s, 1, 0x7FFF), 0x7FFF);
    CHECK_EQ(InterlockedExchange16(&s, 3), 1);
    CHECK_EQ(InterlockedOr16(&s, 4), 3);
    CHECK_EQ(InterlockedAnd16(&s, 4), 7);
    volatile CHAR c = 1;
    CHECK_EQ(InterlockedOr8(&c, 2), 1);
    CHECK_EQ(InterlockedAnd8(&c, 2), 3);
    CHECK_EQ(InterlockedExchange8(&c, 9), 2);

    int x = 1, y = 2;
    PVOID volatile ptr = &x;
    CHECK(InterlockedExchangePointer(&ptr, &y) == &x);
    CHECK(InterlockedCompareExchangePointer(&ptr, &x, &x) == &y); /* no match */
    CHECK(ptr == &y);
    CHECK(InterlockedCompareExchangePointer(&ptr, &x, &y) == &y);
    CHECK(ptr == &x);

    volatile SIZE_T n = 1;
    CHECK_EQ(InterlockedIncrementSizeT(&n), 2);
    CHECK_EQ(InterlockedDecrementSizeT(&n), 1);
    CHECK_EQ(InterlockedExchangeAddSizeT(&n, 5), 1);
    CHECK_EQ(n, 6);

    LONG r = 3;
    KeMemoryBarrier();
    MemoryBarrier();
    _ReadWriteBarrier();
    WriteRelease(&r, 4);
    CHECK_EQ(ReadAcquire(&r), 4);
    WriteNoFence(&r, 5);
    CHECK_EQ(ReadNoFence(&r), 5);
    /* Any IRQL, nothing held. */
    kf_set_irql(HIGH_LEVEL);
    CHECK_EQ(InterlockedIncrement(&r), 6);
    CHECK_NOTHING_HELD();
}

/* ==== Lists under a spin lock, S-lists ========================================================== */

static LIST_ENTRY list_head;
static LIST_ENTRY items[3];

TEST(interlocked_lists)
{
    KeInitializeSpinLock(&lock_a);
    InitializeListHead(&list_head);
    CHECK(ExInterlockedInsertTailList(&list_head, &items[0], &lock_a) == NULL);
    CHECK(ExInterlockedInsertTailList(&list_head, &items[1], &lock_a) == &items[0]);
    CHECK(ExInterlockedInsertHeadList(&list_head, &items[2], &lock_a) == &items[0]);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK(KeTestSpinLock(&lock_a));
    CHECK_NOTHING_HELD();
    CHECK(ExInterlockedRemoveHeadList(&list_head, &lock_a) == &items[2]);
    CHECK(ExInterlockedRemoveHeadList(&list_head, &lock_a) == &items[0]);
    CHECK(ExInterlockedRemoveHeadList(&list_head, &lock_a) == &items[1]);
    CHECK(ExInterlockedRemoveHeadList(&list_head, &lock_a) == NULL);
    CHECK(IsListEmpty(&list_head));
    /* Any IRQL. */
    kf_set_irql(HIGH_LEVEL);
    CHECK(ExInterlockedInsertHeadList(&list_head, &items[0], &lock_a) == NULL);
    CHECK_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
    kf_set_irql(PASSIVE_LEVEL);

    SINGLE_LIST_ENTRY shead = {NULL}, s1, s2;
    CHECK(ExInterlockedPushEntryList(&shead, &s1, &lock_a) == NULL);
    CHECK(ExInterlockedPushEntryList(&shead, &s2, &lock_a) == &s1);
    CHECK(ExInterlockedPopEntryList(&shead, &lock_a) == &s2);
    CHECK(ExInterlockedPopEntryList(&shead, &lock_a) == &s1);
    CHECK(ExInterlockedPopEntryList(&shead, &lock_a) == NULL);

    SLIST_HEADER sl;
    SLIST_ENTRY e1, e2;
    CHECK_EQ(sizeof sl, 16);
    InitializeSListHead(&sl);
    CHECK_EQ(ExQueryDepthSList(&sl), 0);
    CHECK(InterlockedPushEntrySList(&sl, &e1) == NULL);
    CHECK(ExInterlockedPushEntrySList(&sl, &e2, &lock_a) == &e1);
    CHECK_EQ(ExQueryDepthSList(&sl), 2);
    CHECK(InterlockedPopEntrySList(&sl) == &e2);
    CHECK_EQ(ExQueryDepthSList(&sl), 1);
    CHECK(ExInterlockedPopEntrySList(&sl, &lock_a) == &e1);
    CHECK(InterlockedPopEntrySList(&sl) == NULL);
    InterlockedPushEntrySList(&sl, &e1);
    InterlockedPushEntrySList(&sl, &e2);
    CHECK(InterlockedFlushSList(&sl) == &e2);
    CHECK_EQ(ExQueryDepthSList(&sl), 0);
    CHECK(e2.Next == &e1);
}

static void list_under_own_lock(void *p)
{
    (void)p;
    KeInitializeSpinLock(&lock_a);
    InitializeListHead(&list_head);
    KeAcquireSpinLock(&lock_a, &old_a);
    ExInterlockedInsertTailList(&list_head, &items[0], &lock_a);
}

TEST(interlocked_list_lock_held_by_caller)
{
    EXPECT_VIOLATION(list_under_own_lock, NULL, 0x3301);
    CHECK_STR(last.routine, "ExInterlockedInsertTailList");
}

/* ==== kf_held and the harness finding ============================================================= */

TEST(held_report_counts_and_first)
{
    CHECK_NOTHING_HELD();
    ExInitializeResourceLite(&res_a);
    FltInitializePushLock(&pl_a);
    ExInitializeFastMutex(&fm_a);
    KeInitializeGuardedMutex(&gm_a);
    KeInitializeSpinLock(&lock_a);
    FltAcquireResourceShared(&res_a);
    KeEnterGuardedRegion();
    FltAcquirePushLockShared(&pl_a);
    KeAcquireGuardedMutex(&gm_a);
    ExAcquireFastMutex(&fm_a);
    KeAcquireSpinLock(&lock_a, &old_a);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 1);
    CHECK_EQ(h.mutexes, 2);
    CHECK_EQ(h.resources, 1);
    CHECK_EQ(h.push_locks, 1);
    CHECK_EQ(h.critical_regions, 1);
    CHECK_EQ(h.guarded_regions, 1);
    CHECK(h.first && !strcmp(h.first, "FltAcquireResourceShared"));
    /* Released in any order but the oldest: first still names it. */
    KeReleaseSpinLock(&lock_a, old_a);
    ExReleaseFastMutex(&fm_a);
    KeReleaseGuardedMutex(&gm_a);
    FltReleasePushLock(&pl_a);
    KeLeaveGuardedRegion();
    kf_held(&h);
    CHECK(h.first && !strcmp(h.first, "FltAcquireResourceShared"));
    CHECK_EQ(h.resources + h.critical_regions, 2);
    FltReleaseResource(&res_a);
    CHECK_NOTHING_HELD();
    /* kf_reset forgets what a run left. */
    KeEnterCriticalRegion();
    KeAcquireGuardedMutex(&gm_a);
    kf_reset();
    CHECK_NOTHING_HELD();
    CHECK(!KeAreApcsDisabled());
}

static void hold_too_many(void *p)
{
    (void)p;
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    for (int i = 0; i < 256; i++)
        ExAcquireResourceSharedLite(&res_a, TRUE);
}

TEST(held_list_limit)
{
    ExInitializeResourceLite(&res_a);
    KeEnterCriticalRegion();
    for (int i = 0; i < 255; i++)
        ExAcquireResourceSharedLite(&res_a, TRUE); /* 256 holdings with the region */
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.resources, 255);
    kf_reset();
    EXPECT_VIOLATION(hold_too_many, NULL, 0x331C);
}

static void driver_leaves_resource(void)
{
    static ERESOURCE r;
    ExInitializeResourceLite(&r);
    FltAcquireResourceExclusive(&r);
    ExReleaseResourceLite(&r); /* the Ex release does not leave the Flt acquire's region */
}
static void driver_balanced(void)
{
    static ERESOURCE r;
    ExInitializeResourceLite(&r);
    FltAcquireResourceExclusive(&r);
    FltReleaseResource(&r);
    ExDeleteResourceLite(&r);
}

static const kfh_driver_target leaves_target = {.name = "sync_leaves_region", .min_os = KF_OS_WIN7,
                                                .arch_mask = 1u << KF_ARCH_AMD64, .min_irql = PASSIVE_LEVEL,
                                                .max_irql = PASSIVE_LEVEL, .call = driver_leaves_resource};
static const kfh_driver_target balanced_target = {.name = "sync_balanced", .min_os = KF_OS_WIN7,
                                                  .arch_mask = 1u << KF_ARCH_AMD64, .min_irql = PASSIVE_LEVEL,
                                                  .max_irql = PASSIVE_LEVEL, .call = driver_balanced};

TEST(harness_finds_region_left_entered)
{
    static kfh_drv_run run;
    const uint8_t none[1] = {1}; /* a scenario of format version 1 and no operations */
    kfh_driver_run(&leaves_target, none, 1, &run);
    CHECK(run.returned);
    CHECK_EQ(run.n_findings, 1);
    CHECK_EQ(run.finding.inv, KFH_INV_DRIVER_HELD);
    CHECK_STR(run.finding.actual, "FltAcquireResourceExclusive");
    CHECK_STR(run.finding.actual, "1 critical");
    CHECK_NOTHING_HELD(); /* released before the next run */
    kfh_driver_run(&balanced_target, none, 1, &run);
    CHECK(run.returned);
    CHECK_EQ(run.n_findings, 0);
}
