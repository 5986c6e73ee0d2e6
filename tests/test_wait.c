/*
 * test_wait.c - events, kernel mutexes, semaphores and waits (rules W-1 to W-16 of
 * model/SEMANTICS.md): signal states, what a satisfied wait consumes, polls and timeouts,
 * the deadlock stop, pending work that signals a waited object (kf_defer), the Wait TRUE
 * form of the signaling routines, KeWaitForMultipleObjects, FltCancellableWaitForSingleObject.
 *
 * Misuse runs under kft_stops and is checked for its violation code (Driver Verifier's
 * subcode in Parameter2) or bug check; the model is reset after each stop.
 */
#include "kft.h"
#include <fltKernel.h>

#include <string.h>

#define CHECK_STR(hay, needle)                                                                  \
    ((strstr((hay), (needle)) != NULL)                                                          \
         ? kft_pass()                                                                           \
         : kft_fail(__FILE__, __LINE__, "\"%s\" not found in \"%s\"", (needle), (hay)))

static kf_stop last;

static void expect_stop(void (*fn)(void *), void *arg, ULONG code, ULONG_PTR p1, ULONG_PTR dv, int line)
{
    kf_stop s;
    memset(&s, 0, sizeof s);
    int r = kft_stops(fn, arg, &s);
    last = s;
    if (!r)
        kft_fail(__FILE__, line, "no stop; expected 0x%X / 0x%llX", (unsigned)code, (unsigned long long)p1);
    else if (s.code != code || s.param[0] != p1)
        kft_fail(__FILE__, line, "stop 0x%X P1=0x%llX (%s); expected 0x%X / 0x%llX", (unsigned)s.code,
                 (unsigned long long)s.param[0], s.reason, (unsigned)code, (unsigned long long)p1);
    else if (dv != (ULONG_PTR)~0ull && s.param[1] != dv)
        kft_fail(__FILE__, line, "P2 0x%llX, expected 0x%llX", (unsigned long long)s.param[1],
                 (unsigned long long)dv);
    else
        kft_pass();
    kf_reset();
}
#define EXPECT_VIOLATION(fn, arg, v) expect_stop(fn, arg, DRIVER_VERIFIER_DETECTED_VIOLATION, v, ~0ull, __LINE__)
#define EXPECT_VIOLATION_DV(fn, arg, v, dv) expect_stop(fn, arg, DRIVER_VERIFIER_DETECTED_VIOLATION, v, dv, __LINE__)
#define EXPECT_BUGCHECK(fn, arg, code, p1) expect_stop(fn, arg, code, p1, ~0ull, __LINE__)

static KEVENT ev_a, ev_b, ev_c;
static LARGE_INTEGER zero = {.QuadPart = 0};
static LARGE_INTEGER rel_10ms = {.QuadPart = -100000};
static LARGE_INTEGER absolute = {.QuadPart = 0x01D0000000000000ll};

/* ==== Events ====================================================================================== */

TEST(event_states)
{
    CHECK_EQ(sizeof(KEVENT), 24);
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    CHECK_EQ(KeReadStateEvent(&ev_a), 0);
    CHECK_EQ(KeSetEvent(&ev_a, 0, FALSE), 0); /* previous state */
    CHECK_EQ(KeReadStateEvent(&ev_a), 1);
    CHECK(KeSetEvent(&ev_a, 0, FALSE) != 0);
    CHECK(KeResetEvent(&ev_a) != 0);
    CHECK_EQ(KeResetEvent(&ev_a), 0);
    KeSetEvent(&ev_a, 0, FALSE);
    KeClearEvent(&ev_a);
    CHECK_EQ(KeReadStateEvent(&ev_a), 0);
    KeInitializeEvent(&ev_b, SynchronizationEvent, TRUE);
    CHECK_EQ(KeReadStateEvent(&ev_b), 1);
    /* Setting and clearing at DISPATCH_LEVEL is allowed. */
    kf_set_irql(DISPATCH_LEVEL);
    KeSetEvent(&ev_a, 0, FALSE);
    KeClearEvent(&ev_a);
    KeResetEvent(&ev_a);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
}

static void set_uninitialized(void *p)
{
    (void)p;
    memset(&ev_a, 0, sizeof ev_a);
    KeSetEvent(&ev_a, 0, FALSE);
}
static void wait_uninitialized(void *p)
{
    (void)p;
    memset(&ev_a, 0xAB, sizeof ev_a);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL);
}
static void read_uninitialized(void *p)
{
    (void)p;
    memset(&ev_a, 0, sizeof ev_a);
    KeReadStateEvent(&ev_a);
}
static void bad_event_type(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, (EVENT_TYPE)2, FALSE);
}
static void set_above_dispatch(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    kf_set_irql(DISPATCH_LEVEL + 1);
    KeSetEvent(&ev_a, 0, FALSE);
}
static void clear_above_dispatch(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    kf_set_irql(HIGH_LEVEL);
    KeClearEvent(&ev_a);
}

TEST(event_misuse)
{
    EXPECT_VIOLATION(set_uninitialized, NULL, 0x3380);
    CHECK_STR(last.routine, "KeSetEvent");
    EXPECT_VIOLATION(wait_uninitialized, NULL, 0x3380);
    CHECK_STR(last.routine, "KeWaitForSingleObject");
    EXPECT_VIOLATION(read_uninitialized, NULL, 0x3380);
    EXPECT_VIOLATION(bad_event_type, NULL, 0x3385);
    EXPECT_VIOLATION_DV(set_above_dispatch, NULL, 0x3382, 0x80);
    EXPECT_VIOLATION(clear_above_dispatch, NULL, 0x3382);
}

/* ==== Waits on one object ========================================================================= */

TEST(wait_signaled_events)
{
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateEvent(&ev_a), 1); /* a notification event stays signaled */
    CHECK_EQ(KeWaitForSingleObject(&ev_a, UserRequest, UserMode, TRUE, NULL), STATUS_SUCCESS);
    KeInitializeEvent(&ev_b, SynchronizationEvent, TRUE);
    CHECK_EQ(KeWaitForSingleObject(&ev_b, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateEvent(&ev_b), 0); /* a synchronization event is reset by the wait */
    CHECK_EQ(KeWaitForSingleObject(&ev_b, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    /* A wait at APC_LEVEL with no timeout is allowed. */
    KeSetEvent(&ev_b, 0, FALSE);
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(KeWaitForSingleObject(&ev_b, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
}

TEST(wait_timeouts)
{
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &rel_10ms), STATUS_TIMEOUT);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &absolute), STATUS_TIMEOUT);
    /* A poll is allowed at DISPATCH_LEVEL, signaled or not. */
    kf_set_irql(DISPATCH_LEVEL);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KeSetEvent(&ev_a, 0, FALSE);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
}

/* W-5: a finite timeout that expires passes on the modeled clock: a relative one by its length,
 * an absolute one up to its deadline when that is later (an earlier one passes nothing); a poll
 * passes nothing. Each KeQuerySystemTime itself advances the clock by 1 microsecond (Y-4). */
TEST(timed_out_wait_advances_the_clock)
{
    LARGE_INTEGER before, after;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    KeQuerySystemTime(&before);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &rel_10ms), STATUS_TIMEOUT);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart - before.QuadPart, 100000 + 10);
    PVOID objs[2] = {&ev_a, &ev_b};
    KeInitializeEvent(&ev_b, SynchronizationEvent, FALSE);
    KeQuerySystemTime(&before);
    CHECK_EQ(KeWaitForMultipleObjects(2, objs, WaitAny, Executive, KernelMode, FALSE, &rel_10ms, NULL),
             STATUS_TIMEOUT);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart - before.QuadPart, 100000 + 10);
    KeQuerySystemTime(&before);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &absolute), STATUS_TIMEOUT);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart - before.QuadPart, 10);
    LARGE_INTEGER deadline = {.QuadPart = after.QuadPart + 5000000};
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &deadline), STATUS_TIMEOUT);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart, deadline.QuadPart);
    /* KeDelayExecutionThread passes time the same way. */
    KeQuerySystemTime(&before);
    CHECK_EQ(KeDelayExecutionThread(KernelMode, FALSE, &rel_10ms), STATUS_SUCCESS);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart - before.QuadPart, 100000 + 10);
    /* A satisfied wait passes nothing. */
    KeSetEvent(&ev_a, 0, FALSE);
    KeQuerySystemTime(&before);
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &rel_10ms), STATUS_SUCCESS);
    KeQuerySystemTime(&after);
    CHECK_EQ(after.QuadPart - before.QuadPart, 10);
}

/* W-17: the current thread and process are waitable dispatcher objects that never become
 * signaled while the thread waits; anything else the model does not know stops with a message
 * naming what it can wait on. */
static void wait_on_thread_forever(void *p)
{
    (void)p;
    KeWaitForSingleObject(PsGetCurrentThread(), Executive, KernelMode, FALSE, NULL);
}
static void wait_on_process_forever(void *p)
{
    (void)p;
    KeWaitForSingleObject(PsGetCurrentProcess(), Executive, KernelMode, FALSE, NULL);
}
static void set_thread_as_event(void *p)
{
    (void)p;
    KeSetEvent((PRKEVENT)PsGetCurrentThread(), 0, FALSE);
}
static LONG not_an_object[8];
static void wait_on_unknown(void *p)
{
    (void)p;
    KeWaitForSingleObject(not_an_object, Executive, KernelMode, FALSE, &zero);
}

TEST(wait_on_thread_and_process)
{
    CHECK_EQ(KeWaitForSingleObject(PsGetCurrentThread(), Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    CHECK_EQ(KeWaitForSingleObject(PsGetCurrentThread(), Executive, KernelMode, FALSE, &rel_10ms), STATUS_TIMEOUT);
    CHECK_EQ(KeWaitForSingleObject(PsGetCurrentProcess(), Executive, KernelMode, FALSE, &rel_10ms), STATUS_TIMEOUT);
    kf_set_user_process_context(TRUE);
    CHECK_EQ(KeWaitForSingleObject(PsGetCurrentProcess(), Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    kf_set_user_process_context(FALSE);
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    PVOID objs[3] = {PsGetCurrentThread(), PsGetCurrentProcess(), &ev_a};
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAny, Executive, KernelMode, FALSE, &rel_10ms, NULL), STATUS_WAIT_0 + 2);
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAll, Executive, KernelMode, FALSE, &zero, NULL), STATUS_TIMEOUT);
    kf_stop st;
    CHECK(kft_stops(wait_on_thread_forever, NULL, &st));
    CHECK_EQ(st.param[0], 0x3383);
    CHECK(strstr(st.reason, "the current thread") != NULL);
    CHECK(kft_stops(wait_on_process_forever, NULL, &st));
    CHECK_EQ(st.param[0], 0x3383);
    CHECK(strstr(st.reason, "the current process") != NULL);
    CHECK(kft_stops(set_thread_as_event, NULL, &st));
    CHECK_EQ(st.param[0], 0x3380);
    CHECK(kft_stops(wait_on_unknown, NULL, &st));
    CHECK_EQ(st.param[0], 0x3380);
    CHECK(strstr(st.reason, "it can wait on events, kernel mutexes, semaphores (once initialized), the current thread") != NULL);
}

static void wait_forever(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    KeInitializeEvent(&ev_b, SynchronizationEvent, FALSE);
    KeWaitForSingleObject(&ev_b, Executive, KernelMode, FALSE, NULL);
}

TEST(wait_forever_is_deadlock)
{
    EXPECT_VIOLATION(wait_forever, NULL, 0x3383);
    CHECK_STR(last.routine, "KeWaitForSingleObject");
    CHECK_STR(last.reason, "synchronization event #2");
    CHECK_EQ(last.param[3], 2);
}

static void wait_dispatch_forever(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    kf_set_irql(DISPATCH_LEVEL);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL);
}
static void wait_dispatch_timeout(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    kf_set_irql(DISPATCH_LEVEL);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &rel_10ms);
}
static void wait_above_dispatch_poll(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    kf_set_irql(DISPATCH_LEVEL + 1);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero);
}
static void wait_under_spin_lock(void *p)
{
    (void)p;
    static KSPIN_LOCK l;
    KIRQL old;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeInitializeSpinLock(&l);
    KeAcquireSpinLock(&l, &old);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL);
}
static void wait_bad_mode(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeWaitForSingleObject(&ev_a, Executive, (KPROCESSOR_MODE)5, FALSE, NULL);
}

TEST(wait_irql_rules)
{
    /* Even a signaled object: the rule is checked on every call, as Driver Verifier does. */
    EXPECT_VIOLATION_DV(wait_dispatch_forever, NULL, 0x3381, 0x3B);
    EXPECT_VIOLATION_DV(wait_dispatch_timeout, NULL, 0x3381, 0x3B);
    EXPECT_VIOLATION_DV(wait_above_dispatch_poll, NULL, 0x3381, 0x120);
    EXPECT_VIOLATION_DV(wait_under_spin_lock, NULL, 0x3381, 0x3B);
    EXPECT_VIOLATION(wait_bad_mode, NULL, 0x3385);
}

/* ==== Pending work that signals ==================================================================== */

static int deferred_runs;
static void set_event_later(void *ctx)
{
    deferred_runs++;
    KeSetEvent((PRKEVENT)ctx, 0, FALSE);
}
static void do_nothing_later(void *ctx)
{
    (void)ctx;
    deferred_runs++;
}

TEST(wait_runs_pending_work)
{
    deferred_runs = 0;
    KeInitializeEvent(&ev_a, SynchronizationEvent, FALSE);
    CHECK_EQ(kf_defer(do_nothing_later, NULL), 0);
    CHECK_EQ(kf_defer(set_event_later, &ev_a), 0);
    CHECK_EQ(kf_defer(do_nothing_later, NULL), 0);
    CHECK_EQ(kf_deferred(), 3);
    /* A poll runs nothing. */
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    CHECK_EQ(deferred_runs, 0);
    /* The wait runs the queue in order until the event is signaled, and no further. */
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(deferred_runs, 2);
    CHECK_EQ(kf_deferred(), 1);
    CHECK_EQ(KeReadStateEvent(&ev_a), 0);
    /* A finite timeout runs what is left first, then expires. */
    CHECK_EQ(KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, &rel_10ms), STATUS_TIMEOUT);
    CHECK_EQ(deferred_runs, 3);
    CHECK_EQ(kf_deferred(), 0);
    /* kf_reset drops the queue. */
    kf_defer(set_event_later, &ev_a);
    kf_reset();
    CHECK_EQ(kf_deferred(), 0);
    for (int i = 0; i < 64; i++)
        CHECK_EQ(kf_defer(do_nothing_later, NULL), 0);
    CHECK_EQ(kf_defer(do_nothing_later, NULL), -1);
    kf_reset();
}

static void wait_after_useless_work(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    kf_defer(do_nothing_later, NULL);
    KeWaitForSingleObject(&ev_a, Executive, KernelMode, FALSE, NULL);
}

TEST(wait_deadlock_after_pending_work)
{
    deferred_runs = 0;
    EXPECT_VIOLATION(wait_after_useless_work, NULL, 0x3383);
    CHECK_EQ(deferred_runs, 1);
}

/* ==== Wait TRUE ====================================================================================== */

TEST(set_event_wait_true)
{
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    KeInitializeEvent(&ev_b, NotificationEvent, TRUE);
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(KeSetEvent(&ev_a, 0, TRUE), 0);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL); /* returns with the dispatcher lock held */
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 1);
    CHECK(h.first && !strcmp(h.first, "KeSetEvent"));
    /* The wait that follows runs at the IRQL of the KeSetEvent call, and restores it. */
    CHECK_EQ(KeWaitForSingleObject(&ev_b, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    kf_held(&h);
    CHECK_EQ(h.spin_locks, 0);
    CHECK(h.first == NULL);
}

static void set_wait_then_other(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    KeSetEvent(&ev_a, 0, TRUE);
    KeClearEvent(&ev_a);
}
static void set_wait_then_lock(void *p)
{
    (void)p;
    static FAST_MUTEX m;
    ExInitializeFastMutex(&m);
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    KeSetEvent(&ev_a, 0, TRUE);
    ExAcquireFastMutex(&m);
}
static void set_wait_at_dispatch(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    kf_set_irql(DISPATCH_LEVEL);
    KeSetEvent(&ev_a, 0, TRUE);
}

TEST(set_event_wait_true_misuse)
{
    EXPECT_VIOLATION(set_wait_then_other, NULL, 0x3384);
    CHECK_STR(last.routine, "KeClearEvent");
    CHECK_STR(last.reason, "KeSetEvent");
    EXPECT_VIOLATION(set_wait_then_lock, NULL, 0x3384);
    EXPECT_VIOLATION(set_wait_at_dispatch, NULL, 0x3382);
}

/* ==== Several objects ================================================================================= */

static KWAIT_BLOCK blocks[8];

TEST(wait_multiple_any_and_all)
{
    PVOID objs[4] = {&ev_a, &ev_b, &ev_c, NULL};
    KeInitializeEvent(&ev_a, SynchronizationEvent, FALSE);
    KeInitializeEvent(&ev_b, SynchronizationEvent, TRUE);
    KeInitializeEvent(&ev_c, SynchronizationEvent, TRUE);
    /* WaitAny: the first signaled object, and only it is consumed. */
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAny, Executive, KernelMode, FALSE, NULL, NULL), STATUS_WAIT_1);
    CHECK_EQ(KeReadStateEvent(&ev_b), 0);
    CHECK_EQ(KeReadStateEvent(&ev_c), 1);
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
             STATUS_WAIT_0 + 2);
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAny, Executive, KernelMode, FALSE, &zero, NULL), STATUS_TIMEOUT);
    /* WaitAll: satisfied only when all are; then all are consumed. */
    KeSetEvent(&ev_a, 0, FALSE);
    KeSetEvent(&ev_b, 0, FALSE);
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAll, Executive, KernelMode, FALSE, &zero, NULL), STATUS_TIMEOUT);
    CHECK_EQ(KeReadStateEvent(&ev_a), 1); /* nothing consumed by an unsatisfied WaitAll */
    KeSetEvent(&ev_c, 0, FALSE);
    CHECK_EQ(KeWaitForMultipleObjects(3, objs, WaitAll, Executive, KernelMode, FALSE, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateEvent(&ev_a) + KeReadStateEvent(&ev_b) + KeReadStateEvent(&ev_c), 0);
    /* More than THREAD_WAIT_OBJECTS with a wait block array. */
    static KEVENT many[5];
    PVOID more[5];
    for (int i = 0; i < 5; i++) {
        KeInitializeEvent(&many[i], NotificationEvent, i == 4);
        more[i] = &many[i];
    }
    CHECK_EQ(KeWaitForMultipleObjects(5, more, WaitAny, Executive, KernelMode, FALSE, NULL, blocks), 4);
    /* Pending work that signals one of them. */
    KeClearEvent(&many[4]);
    kf_defer(set_event_later, &many[3]);
    CHECK_EQ(KeWaitForMultipleObjects(5, more, WaitAny, Executive, KernelMode, FALSE, NULL, blocks), 3);
}

static PVOID four[4] = {&ev_a, &ev_a, &ev_a, &ev_a};
static void multiple_no_blocks(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeWaitForMultipleObjects(4, four, WaitAny, Executive, KernelMode, FALSE, NULL, NULL);
}
static void multiple_too_many(void *p)
{
    (void)p;
    static PVOID objs[65];
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    for (int i = 0; i < 65; i++)
        objs[i] = &ev_a;
    KeWaitForMultipleObjects(65, objs, WaitAny, Executive, KernelMode, FALSE, NULL, blocks);
}
static void multiple_bad_type(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeWaitForMultipleObjects(2, four, WaitNotification, Executive, KernelMode, FALSE, NULL, NULL);
}
static void multiple_zero(void *p)
{
    (void)p;
    KeWaitForMultipleObjects(0, four, WaitAny, Executive, KernelMode, FALSE, NULL, NULL);
}
static void multiple_all_forever(void *p)
{
    (void)p;
    static PVOID two[2] = {&ev_a, &ev_b};
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeInitializeEvent(&ev_b, NotificationEvent, FALSE);
    KeWaitForMultipleObjects(2, two, WaitAll, Executive, KernelMode, FALSE, NULL, NULL);
}

TEST(wait_multiple_misuse)
{
    EXPECT_BUGCHECK(multiple_no_blocks, NULL, MAXIMUM_WAIT_OBJECTS_EXCEEDED, 4);
    EXPECT_BUGCHECK(multiple_too_many, NULL, MAXIMUM_WAIT_OBJECTS_EXCEEDED, 65);
    EXPECT_VIOLATION(multiple_bad_type, NULL, 0x3385);
    EXPECT_VIOLATION(multiple_zero, NULL, 0x3385);
    EXPECT_VIOLATION(multiple_all_forever, NULL, 0x3383);
    CHECK_STR(last.reason, "WaitAll");
    CHECK_STR(last.reason, "notification event #2");
}

/* ==== Kernel mutexes and semaphores ==================================================================== */

static KMUTEX km;
static KSEMAPHORE sem;

TEST(kernel_mutex_rules)
{
    KeInitializeMutex(&km, 0);
    CHECK_EQ(KeReadStateMutex(&km), 1);
    CHECK_EQ(KeWaitForMutexObject(&km, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateMutex(&km), 0);
    CHECK(km.OwnerThread == (PVOID)PsGetCurrentThread());
    CHECK(KeAreApcsDisabled()); /* owning a mutex disables normal kernel APCs */
    /* The owner may acquire it again. */
    CHECK_EQ(KeWaitForSingleObject(&km, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    kf_held_report h;
    kf_held(&h);
    CHECK_EQ(h.mutexes, 2);
    CHECK(h.first && !strcmp(h.first, "KeWaitForSingleObject"));
    CHECK_EQ(KeReleaseMutex(&km, FALSE), -1);
    CHECK(KeAreApcsDisabled());
    CHECK_EQ(KeReleaseMutex(&km, FALSE), 0);
    CHECK_EQ(KeReadStateMutex(&km), 1);
    CHECK(!KeAreApcsDisabled());
    CHECK(km.OwnerThread == NULL);
    kf_held(&h);
    CHECK_EQ(h.mutexes, 0);
    /* Wait TRUE: the release returns at DISPATCH_LEVEL, the wait that follows restores. */
    KeWaitForSingleObject(&km, Executive, KernelMode, FALSE, NULL);
    CHECK_EQ(KeReleaseMutex(&km, TRUE), 0);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    CHECK_EQ(KeWaitForSingleObject(&km, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeReleaseMutex(&km, FALSE);
    /* Owned by a run that has ended: free in the next one. */
    KeWaitForSingleObject(&km, Executive, KernelMode, FALSE, NULL);
    kf_reset();
    CHECK_EQ(KeReadStateMutex(&km), 1);
}

static void release_unowned_mutex(void *p)
{
    (void)p;
    KeInitializeMutex(&km, 0);
    KeReleaseMutex(&km, FALSE);
}
static void release_mutex_as_semaphore(void *p)
{
    (void)p;
    KeInitializeMutex(&km, 0);
    KeReleaseSemaphore((PRKSEMAPHORE)&km, 0, 1, FALSE);
}

static void init_mutex_high(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL + 1);
    KeInitializeMutex(&km, 0);
}
static void init_semaphore_high(void *p)
{
    (void)p;
    kf_set_irql(DISPATCH_LEVEL + 1);
    KeInitializeSemaphore(&sem, 0, 1);
}

static void set_a_mutex(void *p)
{
    (void)p;
    KeInitializeMutex(&km, 0);
    KeSetEvent((PRKEVENT)&km, 0, FALSE);
}
static void release_event_as_mutex(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    KeReleaseMutex((PRKMUTEX)&ev_a, FALSE);
}

TEST(kernel_mutex_misuse)
{
    EXPECT_VIOLATION(set_a_mutex, NULL, 0x3380);
    CHECK_STR(last.reason, "not an event");
    EXPECT_VIOLATION(release_event_as_mutex, NULL, 0x3380);
    CHECK_STR(last.reason, "not a mutex");
    EXPECT_VIOLATION(init_mutex_high, NULL, 0x3382);
    EXPECT_VIOLATION(init_semaphore_high, NULL, 0x3382);
    /* The research kernel raises STATUS_MUTANT_NOT_OWNED; with no handler, bug check 0x1E. */
    EXPECT_BUGCHECK(release_unowned_mutex, NULL, KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_MUTANT_NOT_OWNED);
    EXPECT_VIOLATION(release_mutex_as_semaphore, NULL, 0x3380);
}

TEST(semaphore_rules)
{
    KeInitializeSemaphore(&sem, 2, 3);
    CHECK_EQ(KeReadStateSemaphore(&sem), 2);
    CHECK_EQ(KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateSemaphore(&sem), 0);
    CHECK_EQ(KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    CHECK_EQ(KeReleaseSemaphore(&sem, 0, 3, FALSE), 0); /* previous count */
    CHECK_EQ(KeReadStateSemaphore(&sem), 3);
    /* Beyond the limit: the exception, and the count unchanged. */
    volatile NTSTATUS caught = 0;
    __try {
        KeReleaseSemaphore(&sem, 0, 1, FALSE);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode();
    }
    CHECK_EQ(caught, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    CHECK_EQ(KeReadStateSemaphore(&sem), 3);
    /* Wait TRUE works for semaphores too. */
    CHECK_EQ(KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    KeReleaseSemaphore(&sem, 0, 1, TRUE);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    CHECK_EQ(KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void sem_bad_init(void *p)
{
    (void)p;
    KeInitializeSemaphore(&sem, 4, 3);
}
static void sem_bad_adjustment(void *p)
{
    (void)p;
    KeInitializeSemaphore(&sem, 0, 3);
    KeReleaseSemaphore(&sem, 0, 0, FALSE);
}
static void sem_limit_unhandled(void *p)
{
    (void)p;
    KeInitializeSemaphore(&sem, 1, 1);
    KeReleaseSemaphore(&sem, 0, 1, FALSE);
}
static void sem_wait_forever(void *p)
{
    (void)p;
    KeInitializeSemaphore(&sem, 0, 1);
    KeWaitForSingleObject(&sem, Executive, KernelMode, FALSE, NULL);
}

TEST(semaphore_misuse)
{
    EXPECT_VIOLATION(sem_bad_init, NULL, 0x3385);
    EXPECT_VIOLATION(sem_bad_adjustment, NULL, 0x3385);
    EXPECT_BUGCHECK(sem_limit_unhandled, NULL, KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    EXPECT_VIOLATION(sem_wait_forever, NULL, 0x3383);
    CHECK_STR(last.reason, "semaphore #1");
}

/* ==== FltCancellableWaitForSingleObject =============================================================== */

static FLT_CALLBACK_DATA cbd;

TEST(cancellable_wait_outcomes)
{
    memset(&cbd, 0, sizeof cbd);
    KeInitializeEvent(&ev_a, SynchronizationEvent, TRUE);
    CHECK_EQ(FltCancellableWaitForSingleObject(&ev_a, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(KeReadStateEvent(&ev_a), 0);
    CHECK_EQ(FltCancellableWaitForSingleObject(&ev_a, &rel_10ms, &cbd), STATUS_TIMEOUT);
    /* Nothing will signal it: only the requester cancelling ends the wait. */
    CHECK_EQ(FltCancellableWaitForSingleObject(&ev_a, NULL, &cbd), STATUS_CANCELLED);
    /* Pending work first. */
    kf_defer(set_event_later, &ev_a);
    CHECK_EQ(FltCancellableWaitForSingleObject(&ev_a, NULL, &cbd), STATUS_SUCCESS);
    /* A non-IRP operation may wait at APC_LEVEL. */
    cbd.Flags = 0;
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltCancellableWaitForSingleObject(&ev_a, &zero, &cbd), STATUS_TIMEOUT);
}

static void cancellable_forever_no_data(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, FALSE);
    FltCancellableWaitForSingleObject(&ev_a, NULL, NULL);
}
static void cancellable_irp_at_apc(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    memset(&cbd, 0, sizeof cbd);
    cbd.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION;
    kf_set_irql(APC_LEVEL);
    FltCancellableWaitForSingleObject(&ev_a, NULL, &cbd);
}
static void cancellable_at_dispatch(void *p)
{
    (void)p;
    KeInitializeEvent(&ev_a, NotificationEvent, TRUE);
    kf_set_irql(DISPATCH_LEVEL);
    FltCancellableWaitForSingleObject(&ev_a, &zero, NULL);
}

TEST(cancellable_wait_misuse)
{
    EXPECT_VIOLATION(cancellable_forever_no_data, NULL, 0x3383);
    CHECK_STR(last.routine, "FltCancellableWaitForSingleObject");
    EXPECT_VIOLATION(cancellable_irp_at_apc, NULL, 0x3386);
    EXPECT_VIOLATION(cancellable_at_dispatch, NULL, 0x3386);
}
