/*
 * test_stack.c - the real stacks callouts run on (rules S-1 to S-4 of model/SEMANTICS.md):
 * size granted, the guard region and its report, the high-water mark, the segment cache,
 * and unwinding on a switched stack staying clean under AddressSanitizer.
 *
 * Tests that must end the process run in a child (kft_expect_death). Must never assert
 * on timing or on where the host maps memory beyond "not the caller's own stack".
 */
#define _GNU_SOURCE
#include "kft.h"
#include <ntddk.h>

#include <signal.h>
#include <string.h>

#define KIB ((SIZE_T)1024)

static SIZE_T pages(SIZE_T n) { return (n + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE; }

/* ---- S-1: a real stack of Size in pages plus stack_slack, for every path ------------------ */

static ULONG_PTR callout_frame;
static unsigned callout_runs;
static VOID note_frame(PVOID Parameter)
{
    (void)Parameter;
    callout_runs++;
    callout_frame = (ULONG_PTR)__builtin_frame_address(0);
}

static ULONG_PTR distance(ULONG_PTR a, ULONG_PTR b) { return a > b ? a - b : b - a; }

static void check_granted(const char *where, SIZE_T size, kf_expand_path path, SIZE_T slack)
{
    ULONG_PTR here = (ULONG_PTR)__builtin_frame_address(0);
    callout_runs = 0;
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(note_frame, NULL, size, FALSE, NULL);
    const kf_expand_record *r = kf_last_expand();
    if (s != STATUS_SUCCESS || r->path != path || r->real_stack_granted != pages(size) + slack)
        kft_fail(__FILE__, __LINE__, "[%s] status 0x%x path %d granted 0x%zx", where, (unsigned)s, r->path,
                 (size_t)r->real_stack_granted);
    else
        kft_pass();
    CHECK_EQ(callout_runs, 1);
    /* Not on the caller's stack, even in place: its own stack, measured. */
    CHECK(distance(callout_frame, here) > 256 * KIB);
    CHECK(r->real_stack_used > 0);
    CHECK(r->real_stack_used <= r->real_stack_granted);
}

TEST(granted_on_every_path)
{
    check_granted("in place", 0x2000, KF_PATH_IN_PLACE, 0x8000);
    check_granted("in place, Size 0", 0, KF_PATH_IN_PLACE, 0x8000);
    kf_set_remaining_stack(0x1000);
    check_granted("grow", 0x4001, KF_PATH_GROWN, 0x8000);
    kf_set_remaining_stack(0);
    check_granted("segment", 0x11800, KF_PATH_SEGMENT, 0x8000);
    CHECK_EQ(kf_options_get()->stack_slack, 0x8000);
}

TEST(granted_follows_stack_slack)
{
    kft_options("stack_slack=0x10000");
    check_granted("slack 64K", 0x1001, KF_PATH_IN_PLACE, 0x10000);
    kft_options("stack_slack=0x4000");
    kf_set_remaining_stack(0);
    check_granted("slack 16K", 0x3000, KF_PATH_GROWN, 0x4000);
}

/* ---- S-2: running into the guard region ----------------------------------------------------- */

/* Touches `bytes` below its frame: far past what the callout asked for. */
static void deep(SIZE_T bytes)
{
    volatile unsigned char *p = __builtin_alloca(bytes);
    p[0] = 1;
    p[bytes - 1] = 2;
}
static VOID overrun_200k(PVOID Parameter)
{
    (void)Parameter;
    deep(200 * KIB);
}
static VOID overrun_960k(PVOID Parameter)
{
    (void)Parameter;
    deep(960 * KIB);
}
static void overrun_small_size(void) { KeExpandKernelStackAndCalloutEx(overrun_200k, NULL, 0x1000, FALSE, NULL); }
static void overrun_max_size(void)
{
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCallout(overrun_200k, NULL, 0x11800);
}
static void overrun_whole_guard(void) { KeExpandKernelStackAndCalloutEx(overrun_960k, NULL, 0x1000, FALSE, NULL); }
static VOID overrun_nested_outer(PVOID Parameter)
{
    (void)Parameter;
    KeExpandKernelStackAndCalloutEx(overrun_200k, NULL, 0x3000, FALSE, NULL);
}
static void overrun_nested(void) { KeExpandKernelStackAndCalloutEx(overrun_nested_outer, NULL, 0x1000, FALSE, NULL); }

TEST(overrun_reported)
{
    /* A report, never a bare SIGSEGV: kft_expect_death accepts only an abort or an exit. */
    CHECK(kft_expect_death(overrun_small_size, "callout stack overrun"));
    CHECK(kft_expect_death(overrun_small_size, "Size=0x1000 (4096)"));
    CHECK(kft_expect_death(overrun_small_size, "granted 0x9000 bytes"));
    CHECK(kft_expect_death(overrun_small_size, "callout-stack-overrun"));
    CHECK(kft_expect_death(overrun_max_size, "Size=0x11800 (71680)"));
    CHECK(kft_expect_death(overrun_max_size, "granted 0x1a000 bytes"));
    CHECK(kft_expect_death(overrun_nested, "Size=0x3000 (12288)"));
}

TEST(overrun_names_bytes_used)
{
    /* The 200 KiB alloca lies well below the top; the report says how far it went. */
    CHECK(kft_expect_death(overrun_small_size, "touched 0x"));
    CHECK(kft_expect_death(overrun_small_size, "bytes below the top of its stack"));
}

TEST(guard_region_one_mib)
{
    /* 960 KiB past a 48 KiB segment still lands in the guard region below it. */
    CHECK(kft_expect_death(overrun_whole_guard, "callout stack overrun"));
}

/* ---- S-3: the high-water mark ----------------------------------------------------------------- */

static void touch(SIZE_T bytes)
{
    volatile unsigned char *p = __builtin_alloca(bytes);
    for (SIZE_T i = 0; i < bytes; i += 64)
        p[i] = (unsigned char)i;
    p[bytes - 1] = 1;
}
static VOID touch_16k(PVOID Parameter)
{
    (void)Parameter;
    touch(16 * KIB);
}
static VOID touch_40k(PVOID Parameter)
{
    (void)Parameter;
    touch(40 * KIB);
}
static VOID small_callout(PVOID Parameter) { *(volatile int *)Parameter += 1; }

static SIZE_T used_by(PEXPAND_STACK_CALLOUT fn, SIZE_T size)
{
    static volatile int counter;
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(fn, (PVOID)&counter, size, FALSE, NULL);
    CHECK_EQ(s, STATUS_SUCCESS);
    return kf_last_expand()->real_stack_used;
}

TEST(high_water_measures_locals)
{
    SIZE_T small = used_by(small_callout, 0xA000);
    SIZE_T mid = used_by(touch_16k, 0xA000);
    SIZE_T big = used_by(touch_40k, 0xA000);
    CHECK(mid >= 16 * KIB);
    CHECK(big >= 40 * KIB);
    CHECK(small < 8 * KIB);
    CHECK(small < mid);
    CHECK(mid < big);
    /* The same on every path. */
    kf_set_remaining_stack(0);
    CHECK(used_by(touch_40k, 0xA000) >= 40 * KIB);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    kf_set_remaining_stack(0);
    kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0);
    CHECK(used_by(touch_40k, 0xA000) >= 40 * KIB);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
}

TEST(high_water_fresh_for_each_callout)
{
    /* A big callout, then a small one with the same Size (so the same cached stack): the
     * small one's mark is its own. */
    SIZE_T big = used_by(touch_40k, 0xA000);
    SIZE_T small = used_by(small_callout, 0xA000);
    CHECK(big >= 40 * KIB);
    CHECK(small < 8 * KIB);
}

static VOID touch_8k(PVOID Parameter)
{
    (void)Parameter;
    touch(8 * KIB);
}
static void overuse(void *p)
{
    (void)p;
    KeExpandKernelStackAndCalloutEx(touch_8k, NULL, 0x1000, FALSE, NULL);
}

TEST(high_water_past_grant_is_violation)
{
    /* Without slack a Size of 0x1000 is granted 0x1000 bytes; the real stack is rounded up
     * to 16 KiB, so 8 KiB of locals stay clear of the guard region and are caught by the
     * high-water mark instead. */
    kf_stop st;
    kft_options("stack_slack=0");
    CHECK(kft_stops(overuse, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x1003);
    CHECK_EQ(st.param[1], 0x1000);
    CHECK(st.param[2] >= 8 * KIB);
    CHECK_EQ(st.param[3], 0x1000);
    CHECK_EQ(kf_last_expand()->real_stack_used, st.param[2]);
    CHECK_EQ(kf_segments_in_use(), 0);
    CHECK_EQ(kf_callout_depth(), 0);
    /* With the default slack the same callout is within its grant. */
    kft_options("");
    CHECK(kft_stops(overuse, NULL, &st) == 0);
    CHECK_EQ(kf_last_expand()->status, STATUS_SUCCESS);
}

/* ---- S-4: the segment cache --------------------------------------------------------------- */

static unsigned nest_left;
static VOID nest_down(PVOID Parameter)
{
    (void)Parameter;
    if (nest_left == 0)
        return;
    nest_left--;
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(nest_down, NULL, 0x2000, FALSE, NULL);
}

/* One round of the steady stream: the three paths, two Sizes, and nesting to the limit. */
static void stream_round(void)
{
    static volatile int counter;
    kf_reset();
    KeExpandKernelStackAndCalloutEx(small_callout, (PVOID)&counter, 0x1000, FALSE, NULL);
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(small_callout, (PVOID)&counter, 0x4000, FALSE, NULL);
    KeExpandKernelStackAndCalloutEx(small_callout, (PVOID)&counter, 0x11800, FALSE, NULL);
    nest_left = 5;
    KeExpandKernelStackAndCalloutEx(nest_down, NULL, 0x2000, FALSE, NULL);
}

TEST(cache_no_syscalls_nested_to_raised_limit)
{
    kft_options("nest_limit=8");
    for (int i = 0; i < 3; i++) {
        nest_left = 8;
        KeExpandKernelStackAndCalloutEx(nest_down, NULL, 0x2000, FALSE, NULL);
    }
    unsigned long long before = kf_segment_syscalls();
    for (int i = 0; i < 200; i++) {
        kf_reset();
        nest_left = 8;
        KeExpandKernelStackAndCalloutEx(nest_down, NULL, 0x2000, FALSE, NULL);
        CHECK_EQ(kf_segments_in_use(), 0);
    }
    CHECK_EQ(kf_segment_syscalls(), before);
}

TEST(cache_no_syscalls)
{
    for (int i = 0; i < 3; i++)
        stream_round(); /* warm-up: the cache fills */
    unsigned long long before = kf_segment_syscalls();
    for (int i = 0; i < 1000; i++)
        stream_round();
    CHECK_EQ(kf_segment_syscalls(), before);
    CHECK_EQ(kf_segments_in_use(), 0);
}

static VOID bugcheck_at_bottom(PVOID Parameter)
{
    (void)Parameter;
    if (nest_left == 0)
        KeBugCheckEx(0xE2, 0, 0, 0, 0);
    nest_left--;
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(bugcheck_at_bottom, NULL, 0x2000, FALSE, NULL);
}
static void nested_stop(void *p)
{
    (void)p;
    nest_left = 4;
    KeExpandKernelStackAndCalloutEx(bugcheck_at_bottom, NULL, 0x2000, FALSE, NULL);
}

TEST(cache_returns_segments_after_stops)
{
    /* A stop five callouts deep gives every segment back, to the cache. */
    kf_stop st;
    for (int i = 0; i < 3; i++)
        stream_round();
    kf_reset(); /* warm-up: the stop's report is deeper than the stream's callouts */
    CHECK(kft_stops(nested_stop, NULL, &st));
    unsigned long long before = kf_segment_syscalls();
    for (int i = 0; i < 100; i++) {
        kf_reset();
        CHECK(kft_stops(nested_stop, NULL, &st));
        CHECK_EQ(st.code, 0xE2);
        CHECK_EQ(kf_segments_in_use(), 0);
        CHECK_EQ(kf_callout_depth(), 0);
    }
    CHECK_EQ(kf_segment_syscalls(), before);
}

/* ---- S-1: unwinding on a switched stack (AddressSanitizer's fiber annotations) --------------- */

static volatile int raise_at_bottom = 1;
static NTSTATUS deep_raise(int levels)
{
    volatile unsigned char frame[1024];
    frame[0] = (unsigned char)levels;
    frame[1023] = 0;
    if (levels == 0) {
        if (raise_at_bottom)
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        return 0;
    }
    return deep_raise(levels - 1) + frame[0];
}

static int wide_frame_sum(void)
{
    /* A different frame layout over the memory the raised frames used. */
    volatile unsigned char wide[12 * 1024];
    int sum = 0;
    for (size_t i = 0; i < sizeof wide; i++)
        wide[i] = (unsigned char)(i * 7);
    for (size_t i = 0; i < sizeof wide; i += 97)
        sum += wide[i];
    return sum;
}

static int expected_sum(void)
{
    int sum = 0;
    for (size_t i = 0; i < 12 * 1024; i += 97)
        sum += (unsigned char)(i * 7);
    return sum;
}

static VOID raise_then_reuse(PVOID Parameter)
{
    int *sum = Parameter;
    volatile NTSTATUS code = 0; /* set by the handler, read after it: __try is setjmp */
    __try {
        deep_raise(8);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    *sum = code == STATUS_INSUFFICIENT_RESOURCES ? wide_frame_sum() : -1;
}

static VOID bugcheck_deep(PVOID Parameter)
{
    (void)Parameter;
    volatile unsigned char frame[4096];
    frame[0] = 1;
    KeBugCheckEx(0xE2, frame[0], 0, 0, 0);
}
static void stop_on_segment(void *p)
{
    (void)p;
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(bugcheck_deep, NULL, 0x4000, FALSE, NULL);
}

TEST(unwind_on_switched_stack_is_clean)
{
    /* Under AddressSanitizer, wrong fiber annotations leave stale poison behind a longjmp on
     * the callout's stack, and the wide frame that follows is then reported (and the test
     * binary aborts). Without sanitizers this checks the results. */
    int sum = 0;
    for (int round = 0; round < 3; round++) {
        sum = 0;
        CHECK_EQ(KeExpandKernelStackAndCalloutEx(raise_then_reuse, &sum, 0x8000, FALSE, NULL), STATUS_SUCCESS);
        CHECK_EQ(sum, expected_sum());
        kf_stop st;
        CHECK(kft_stops(stop_on_segment, NULL, &st));
        CHECK_EQ(st.code, 0xE2);
        CHECK_EQ(kf_segments_in_use(), 0);
    }
    /* The main stack is clean too after all of that. */
    CHECK_EQ(wide_frame_sum(), expected_sum());
}

/* ---- S-5: only the top of a segment is open; the rest opens on first touch ---------------- */

static SIZE_T deep_bytes;
/* Writes one byte deep_bytes below its frame and nothing in between: the pages between stay
 * closed until that touch, and the mark must still be exact. */
static __attribute__((noinline)) VOID touch_one_deep(PVOID Parameter)
{
    (void)Parameter;
    volatile unsigned char *p = __builtin_alloca(deep_bytes);
    p[0] = 0x5A;
}

TEST(high_water_exact_below_closed_pages)
{
    /* A Size class no earlier test used: a new segment, closed but for its top. */
    kft_options("stack_slack=0x40000");
    const SIZE_T size = 0x11000;
    SIZE_T small = used_by(small_callout, size);
    CHECK(small < 8 * KIB);
    unsigned long long opens = kf_segment_opens();
    deep_bytes = 150 * KIB;
    SIZE_T deep = used_by(touch_one_deep, size);
    CHECK(kf_segment_opens() > opens); /* the touch opened closed pages */
    CHECK(deep >= 150 * KIB);
    CHECK(deep < 150 * KIB + 4 * KIB); /* the byte written, not the pages opened for it */
    /* Deeper again on the same segment: exact again. */
    deep_bytes = 170 * KIB;
    SIZE_T deeper = used_by(touch_one_deep, size);
    CHECK(deeper >= 170 * KIB);
    CHECK(deeper < 170 * KIB + 4 * KIB);
    /* And a small callout after it has its own mark. */
    CHECK(used_by(small_callout, size) < 8 * KIB);
}

TEST(unused_open_part_closes_again)
{
    kft_options("stack_slack=0x48000");
    const SIZE_T size = 0x11000;
    deep_bytes = 120 * KIB;
    CHECK(used_by(touch_one_deep, size) >= 120 * KIB);
    /* Many shallow callouts: the open part closes down to what they need (one more system
     * call), then a steady stream makes none. */
    unsigned long long before = kf_segment_syscalls();
    for (int i = 0; i < 300; i++)
        CHECK(used_by(small_callout, size) < 8 * KIB);
    CHECK_EQ(kf_segment_syscalls(), before + 1);
    before = kf_segment_syscalls();
    for (int i = 0; i < 300; i++)
        (void)used_by(small_callout, size);
    CHECK_EQ(kf_segment_syscalls(), before);
    /* The deep callout opens the pages again, and its mark is exact. */
    unsigned long long opens = kf_segment_opens();
    SIZE_T deep = used_by(touch_one_deep, size);
    CHECK(kf_segment_opens() > opens);
    CHECK(deep >= 120 * KIB);
    CHECK(deep < 124 * KIB);
}

static volatile int usr1_seen;
static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen++;
}
static VOID raise_at_edge(PVOID Parameter)
{
    (void)Parameter;
    /* Near the bottom of the open part of a new segment: a signal frame pushed onto this stack
     * could land on a closed page, which is why the handler must run on the alternate stack. */
    volatile unsigned char *p = __builtin_alloca(3 * KIB);
    p[0] = 1;
    raise(SIGUSR1);
}

TEST(signal_inside_callout_runs_on_alternate_stack)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_ONSTACK */
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    usr1_seen = 0;
    /* A new segment (a Size class of its own) makes the model look at the handlers again. */
    static volatile int counter;
    kft_options("stack_slack=0x50000");
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(raise_at_edge, (PVOID)&counter, 0x11000, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(usr1_seen, 1);
    struct sigaction now;
    CHECK_EQ(sigaction(SIGUSR1, NULL, &now), 0);
    CHECK(now.sa_flags & SA_ONSTACK);
    CHECK(now.sa_handler == on_usr1); /* the same handler */
    sigaction(SIGUSR1, &old, NULL);
}
