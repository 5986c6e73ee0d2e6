/*
 * test_kernel.c - the routines around stack expansion (rules K-1 to K-10 of
 * model/SEMANTICS.md): IRQL, the modeled stack queries, system threads, __try/__except,
 * driver bug checks, guarded calls and the default stop report, pool, ASSERT, kf_reset.
 *
 * A stop is caught with kf_guarded_call (kft_stops) or, for the default report and abort,
 * in a child (kft_expect_death). Must never leave a fault hook installed when a test ends.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, dup, dup2 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>
#include <unistd.h>

#define CHECK_STR(hay, needle)                                                                  \
    ((strstr((hay), (needle)) != NULL)                                                          \
         ? kft_pass()                                                                           \
         : kft_fail(__FILE__, __LINE__, "\"%s\" not found in \"%s\"", (needle), (hay)))

static void use_profile(const char *name)
{
    char text[64];
    snprintf(text, sizeof text, "profile=%s", name);
    kft_options(text);
}

/* ---- K-1, K-2: raising and lowering IRQL ------------------------------------------------- */

static KIRQL target_irql, old_irql;
static void raise_to_target(void *p)
{
    (void)p;
    KeRaiseIrql(target_irql, &old_irql);
}
static void raise_to_dpc(void *p)
{
    (void)p;
    old_irql = KeRaiseIrqlToDpcLevel();
}
static void lower_to_target(void *p)
{
    (void)p;
    KeLowerIrql(target_irql);
}

TEST(raise_returns_old_irql)
{
    KIRQL old = 0xEE;
    KeRaiseIrql(APC_LEVEL, &old);
    CHECK_EQ(old, PASSIVE_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    KeRaiseIrql(APC_LEVEL, &old); /* the same level is allowed */
    CHECK_EQ(old, APC_LEVEL);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    CHECK_EQ(old, APC_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    CHECK_EQ(KeRaiseIrqlToDpcLevel(), PASSIVE_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(APC_LEVEL);
    CHECK_EQ(KeRaiseIrqlToDpcLevel(), APC_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
}

TEST(raise_to_lower_irql_bugchecks)
{
    kf_stop st;
    kf_set_irql(DISPATCH_LEVEL);
    target_irql = APC_LEVEL;
    CHECK(kft_stops(raise_to_target, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_GREATER_OR_EQUAL);
    CHECK_EQ(st.param[0], DISPATCH_LEVEL);
    CHECK_EQ(st.param[1], APC_LEVEL);
    CHECK(!strcmp(st.routine, "KeRaiseIrql"));
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    /* KeRaiseIrqlToDpcLevel from above DISPATCH_LEVEL is the same mistake. */
    kf_set_irql(5);
    CHECK(kft_stops(raise_to_dpc, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_GREATER_OR_EQUAL);
}

TEST(raise_above_high_level)
{
    static const struct {
        const char *profile;
        KIRQL high;
    } p[] = {{"win11-amd64", 15}, {"win11-arm64", 15}, {"win10-x86", 31}, {"win10-arm", 31}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        kf_stop st;
        use_profile(p[i].profile);
        target_irql = p[i].high;
        CHECK(!kft_stops(raise_to_target, NULL, &st));
        CHECK_EQ(KeGetCurrentIrql(), p[i].high);
        kf_set_irql(PASSIVE_LEVEL);
        target_irql = (KIRQL)(p[i].high + 1);
        CHECK(kft_stops(raise_to_target, NULL, &st));
        CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
        CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    }
}

TEST(lower_to_higher_irql_bugchecks)
{
    kf_stop st;
    target_irql = APC_LEVEL;
    CHECK(kft_stops(lower_to_target, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
    CHECK_EQ(st.param[1], PASSIVE_LEVEL);
    CHECK(!strcmp(st.routine, "KeLowerIrql"));
    kf_set_irql(APC_LEVEL);
    target_irql = DISPATCH_LEVEL;
    CHECK(kft_stops(lower_to_target, NULL, &st));
    CHECK_EQ(st.param[0], DISPATCH_LEVEL);
    CHECK_EQ(st.param[1], APC_LEVEL);
}

TEST(lower_to_lower_or_same)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(DISPATCH_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* ---- K-3: the modeled stack --------------------------------------------------------------- */

static ULONG_PTR inside_remaining;
static void note_remaining(void *p)
{
    (void)p;
    inside_remaining = IoGetRemainingStackSize();
}
static VOID nothing(PVOID Parameter) { (void)Parameter; }
static void expand_small(void *p)
{
    (void)p;
    inside_remaining = IoGetRemainingStackSize();
    KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, FALSE, NULL);
}

TEST(stack_queries)
{
    ULONG_PTR lo, hi, lo2, hi2;
    CHECK_EQ(IoGetRemainingStackSize(), 0x6000);
    IoGetStackLimits(&lo, &hi);
    CHECK_EQ(hi - lo, 0x6000);
    kf_set_remaining_stack(0x1234);
    CHECK_EQ(IoGetRemainingStackSize(), 0x1234);
    kf_set_remaining_stack(0x100000); /* clamped to the stack */
    CHECK_EQ(IoGetRemainingStackSize(), 0x6000);
    /* A large stack keeps what is in use. */
    kf_set_remaining_stack(0x5000);
    kf_set_large_stack(TRUE);
    CHECK_EQ(IoGetRemainingStackSize(), 0x12000 - 0x1000);
    IoGetStackLimits(&lo2, &hi2);
    CHECK_EQ(hi2 - lo2, 0x12000);
    kf_set_large_stack(FALSE);
    CHECK_EQ(IoGetRemainingStackSize(), 0x5000);
    /* Consumed for the duration of a call, and given back. */
    kf_with_stack_consumed(0x1000, note_remaining, NULL);
    CHECK_EQ(inside_remaining, 0x4000);
    kf_with_stack_consumed(0x9000, note_remaining, NULL);
    CHECK_EQ(inside_remaining, 0);
    CHECK_EQ(IoGetRemainingStackSize(), 0x5000);
    /* What is consumed decides the path of an expansion made meanwhile. */
    kf_with_stack_consumed(0x4800, expand_small, NULL);
    CHECK_EQ(inside_remaining, 0x800);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    kf_with_stack_consumed(0x1000, expand_small, NULL);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_IN_PLACE);
}

TEST(stack_limits_modeled_and_repeatable)
{
    ULONG_PTR lo1, hi1, lo2, hi2;
    IoGetStackLimits(&lo1, &hi1);
    kf_set_remaining_stack(0x10);
    kf_reset();
    IoGetStackLimits(&lo2, &hi2);
    CHECK_EQ(lo1, lo2);
    CHECK_EQ(hi1, hi2);
    /* Not the host stack: the host frame lies outside the modeled limits. */
    ULONG_PTR here = (ULONG_PTR)__builtin_frame_address(0);
    CHECK(here < lo1 || here >= hi1);
    /* A 32-bit profile's stack is at a 32-bit kernel address. */
    use_profile("win10-x86");
    IoGetStackLimits(&lo2, &hi2);
    CHECK(hi2 <= 0xFFFFFFFFu);
    CHECK(lo2 >= 0x80000000u);
    CHECK_EQ(hi2 - lo2, 0x3000);
}

/* ---- K-4: system threads ------------------------------------------------------------------ */

static int after_terminate;
static void terminates(void *ctx)
{
    PsTerminateSystemThread(*(NTSTATUS *)ctx);
    after_terminate = 1;
}
static void returns_normally(void *ctx) { *(int *)ctx = 7; }
static void terminates_inside_try(void *ctx)
{
    __try {
        PsTerminateSystemThread(*(NTSTATUS *)ctx);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        after_terminate = 2;
    }
    after_terminate = 1;
}
static VOID callout_returns(PVOID Parameter) { *(int *)Parameter = 1; }
static void terminates_after_callout(void *ctx)
{
    static int ran;
    ran = 0;
    KeExpandKernelStackAndCalloutEx(callout_returns, &ran, 0x1000, FALSE, NULL);
    if (ran && kf_callout_depth() == 0)
        PsTerminateSystemThread(*(NTSTATUS *)ctx);
    after_terminate = 1;
}
static void raise_unhandled(void *p)
{
    (void)p;
    ExRaiseStatus(STATUS_UNSUCCESSFUL);
}
static void terminate_outside(void *p)
{
    (void)p;
    PsTerminateSystemThread(STATUS_CANCELLED);
}

TEST(terminate_ends_system_thread)
{
    NTSTATUS code = STATUS_CANCELLED;
    after_terminate = 0;
    CHECK_EQ(kf_run_system_thread(terminates, &code), STATUS_CANCELLED);
    CHECK_EQ(after_terminate, 0);
    code = STATUS_SUCCESS;
    CHECK_EQ(kf_run_system_thread(terminates, &code), STATUS_SUCCESS);
    CHECK_EQ(after_terminate, 0);
    int v = 0;
    CHECK_EQ(kf_run_system_thread(returns_normally, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 7);
    code = STATUS_NO_MEMORY;
    CHECK_EQ(kf_run_system_thread(terminates_after_callout, &code), STATUS_NO_MEMORY);
    CHECK_EQ(after_terminate, 0);
}

TEST(terminate_passes_handlers_and_leaves_none)
{
    kf_stop st;
    NTSTATUS code = STATUS_DISK_FULL;
    after_terminate = 0;
    CHECK_EQ(kf_run_system_thread(terminates_inside_try, &code), STATUS_DISK_FULL);
    CHECK_EQ(after_terminate, 0); /* not an exception: the handler does not run */
    /* The __try frame went with the thread: a raise now has no handler. */
    CHECK(kft_stops(raise_unhandled, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_UNSUCCESSFUL);
}

/* Without a guard on top, a raise after the thread ended must find no handler of the dead
 * thread (its frames are gone): the bug check report, not a jump into a dead frame. */
static void terminate_then_raise(void)
{
    NTSTATUS code = STATUS_DISK_FULL;
    kf_run_system_thread(terminates_inside_try, &code);
    ExRaiseStatus(STATUS_UNSUCCESSFUL);
}

TEST(terminate_leaves_no_frames_unguarded)
{
    CHECK(kft_expect_death(terminate_then_raise, "STOP: 0x0000001E (0xC0000001, 0x0, 0x0, 0x0)"));
}

TEST(terminate_outside_system_thread)
{
    kf_stop st;
    CHECK(kft_stops(terminate_outside, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x1004);
    CHECK_EQ(st.param[1], (ULONG)STATUS_CANCELLED);
    CHECK(!strcmp(st.routine, "PsTerminateSystemThread"));
}

/* ---- K-5: __try / __except ------------------------------------------------------------------ */

static NTSTATUS filtered_code;
static int filter_saw(NTSTATUS want)
{
    filtered_code = GetExceptionCode();
    return filtered_code == want ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

/* Locals that live across a __try and are read after an exception reached it are volatile:
 * __try is setjmp underneath (see kfault/seh.h), and C leaves such locals indeterminate. */

TEST(seh_execute_handler)
{
    volatile NTSTATUS code = 0;
    int after = 0;
    __try {
        ExRaiseStatus(STATUS_ACCESS_DENIED);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    after = 1;
    CHECK_EQ(code, STATUS_ACCESS_DENIED);
    CHECK_EQ(after, 1);
}

TEST(seh_try_without_exception)
{
    volatile int handler = 0, body = 0;
    __try {
        body = 1;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        handler = 1;
    }
    CHECK_EQ(body, 1);
    CHECK_EQ(handler, 0);
}

/* A filter that handles an exception of its own before deciding. */
static int filter_with_own_exception(void)
{
    NTSTATUS seen_first = GetExceptionCode();
    __try {
        ExRaiseStatus(STATUS_OBJECT_NAME_INVALID);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
    return seen_first == STATUS_SHARING_VIOLATION ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

TEST(seh_handler_code_after_nested_exception_in_filter)
{
    volatile NTSTATUS code = 0;
    __try {
        ExRaiseStatus(STATUS_SHARING_VIOLATION);
    } __except (filter_with_own_exception()) {
        code = GetExceptionCode();
    }
    CHECK_EQ(code, STATUS_SHARING_VIOLATION);
}

static void inner_search(void)
{
    __try {
        ExRaiseStatus(STATUS_END_OF_FILE);
    } __except (filter_saw(STATUS_ACCESS_DENIED)) {
        filtered_code = 0; /* not for this handler */
    }
}

TEST(seh_continue_search_reaches_outer)
{
    volatile NTSTATUS outer = 0;
    __try {
        inner_search();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(outer, STATUS_END_OF_FILE);
    CHECK_EQ(filtered_code, STATUS_END_OF_FILE); /* the inner filter saw it first */
}

static void inner_continue(void)
{
    __try {
        ExRaiseStatus(STATUS_END_OF_FILE);
    } __except (EXCEPTION_CONTINUE_EXECUTION) {
        filtered_code = 0;
    }
}

TEST(seh_continue_execution_is_noncontinuable)
{
    volatile NTSTATUS outer = 0;
    __try {
        inner_continue();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(outer, STATUS_NONCONTINUABLE_EXCEPTION);
}

TEST(seh_completed_try_is_gone)
{
    /* After a __try block ends (normally or by its handler), its handler is no longer
     * on the chain: the next raise goes to the enclosing one. */
    volatile NTSTATUS outer = 0;
    volatile int inner_handled = 0;
    __try {
        __try {
            inner_handled = 0;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            inner_handled = 1;
        }
        __try {
            ExRaiseStatus(STATUS_CANCELLED);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            inner_handled = 2;
        }
        ExRaiseStatus(STATUS_FILE_CLOSED);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(inner_handled, 2);
    CHECK_EQ(outer, STATUS_FILE_CLOSED);
}

TEST(seh_raise_in_handler_goes_outward)
{
    volatile NTSTATUS outer = 0;
    __try {
        __try {
            ExRaiseStatus(STATUS_CANCELLED);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            ExRaiseStatus(GetExceptionCode() == STATUS_CANCELLED ? STATUS_NOT_FOUND : STATUS_UNSUCCESSFUL);
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(outer, STATUS_NOT_FOUND);
}

static void search_to_nothing(void *p)
{
    (void)p;
    __try {
        ExRaiseStatus(STATUS_END_OF_FILE);
    } __except (EXCEPTION_CONTINUE_SEARCH) {
        filtered_code = 1;
    }
}

TEST(seh_no_handler_bugchecks)
{
    kf_stop st;
    CHECK(kft_stops(raise_unhandled, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_UNSUCCESSFUL);
    filtered_code = 0;
    CHECK(kft_stops(search_to_nothing, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_END_OF_FILE);
    CHECK_EQ(filtered_code, 0);
}

/* ---- K-6: the driver's own bug checks -------------------------------------------------------- */

static void driver_bugcheck_ex(void *p)
{
    (void)p;
    KeBugCheckEx(0xDEAD, 1, 2, 3, 4);
}
static void driver_bugcheck_plain(void *p)
{
    (void)p;
    KeBugCheck(0x1234);
}

TEST(driver_bugcheck)
{
    kf_stop st;
    CHECK(kft_stops(driver_bugcheck_ex, NULL, &st));
    CHECK_EQ(st.code, 0xDEAD);
    CHECK_EQ(st.param[0], 1);
    CHECK_EQ(st.param[1], 2);
    CHECK_EQ(st.param[2], 3);
    CHECK_EQ(st.param[3], 4);
    CHECK(!strcmp(st.routine, "KeBugCheckEx"));
    char text[1024];
    kf_stop_format(&st, text, sizeof text); /* a driver's own code: the report has no name for it */
    CHECK_STR(text, "STOP: 0x0000DEAD (0x1, 0x2, 0x3, 0x4)");
    CHECK_STR(text, "*** UNKNOWN_BUGCHECK\n");
    CHECK(kft_stops(driver_bugcheck_plain, NULL, &st));
    CHECK_EQ(st.code, 0x1234);
    CHECK_EQ(st.param[0] | st.param[1] | st.param[2] | st.param[3], 0);
    CHECK(!strcmp(st.routine, "KeBugCheck"));
}

/* ---- K-7: guarded calls and the default report ------------------------------------------------- */

static unsigned levels_left;
static VOID stop_deep(PVOID Parameter)
{
    (void)Parameter;
    if (levels_left-- == 0) {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeBugCheckEx(0xE2, 0x11, 0x22, 0x33, 0x44);
    }
    kf_set_remaining_stack(0);
    __try {
        KeExpandKernelStackAndCalloutEx(stop_deep, NULL, 0x2000, FALSE, NULL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        levels_left = 99; /* a stop is not an exception */
    }
}
static void three_deep(void *p)
{
    (void)p;
    levels_left = 3;
    KeExpandKernelStackAndCalloutEx(stop_deep, NULL, 0x2000, FALSE, NULL);
}

TEST(guarded_stop_restores_thread)
{
    kf_stop st;
    ULONG_PTR lo, hi, lo2, hi2;
    kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0x700);
    kf_set_irql(APC_LEVEL);
    IoGetStackLimits(&lo, &hi);
    memset(&st, 0, sizeof st);
    CHECK_EQ(kf_guarded_call(three_deep, NULL, &st), 1);
    CHECK_EQ(st.code, 0xE2);
    CHECK_EQ(st.param[0], 0x11);
    CHECK_EQ(st.param[3], 0x44);
    CHECK(!strcmp(st.routine, "KeBugCheckEx"));
    CHECK(st.reason[0] != 0);
    CHECK_EQ(levels_left, (unsigned)-1);
    CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    CHECK_EQ(kf_callout_depth(), 0);
    CHECK_EQ(kf_segments_in_use(), 0);
    CHECK_EQ(IoGetRemainingStackSize(), 0x700);
    IoGetStackLimits(&lo2, &hi2);
    CHECK_EQ(lo2, lo);
    CHECK_EQ(hi2, hi);
    /* The thread works as before: nesting to the limit, exceptions to handlers. */
    kf_set_irql(PASSIVE_LEVEL);
    NTSTATUS code = 0;
    __try {
        ExRaiseStatus(STATUS_CANCELLED);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    CHECK_EQ(code, STATUS_CANCELLED);
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, FALSE, NULL), STATUS_SUCCESS);
}

static void bugcheck_now(void *p)
{
    (void)p;
    KeBugCheckEx(0xE3, 0, 0, 0, 0);
}
static void consume_then_stop(void *p)
{
    (void)p;
    kf_set_remaining_stack(0x200);
    kf_with_stack_consumed(0x100, bugcheck_now, NULL);
}

TEST(guarded_stop_restores_stack_outside_callouts)
{
    /* No callout involved: the stack changed by the code under the guard comes back too. */
    kf_stop st;
    kf_set_remaining_stack(0x3000);
    CHECK_EQ(kf_guarded_call(consume_then_stop, NULL, &st), 1);
    CHECK_EQ(st.code, 0xE3);
    CHECK_EQ(IoGetRemainingStackSize(), 0x3000);
}

static int guarded_ran;
static void runs_fine(void *p)
{
    (void)p;
    guarded_ran++;
}

TEST(guarded_call_without_stop)
{
    kf_stop st;
    st.code = 0x77;
    CHECK_EQ(kf_guarded_call(runs_fine, NULL, &st), 0);
    CHECK_EQ(guarded_ran, 1);
    CHECK_EQ(kf_guarded_call(runs_fine, NULL, NULL), 0);
    CHECK_EQ(guarded_ran, 2);
}

static int inner_result;
static kf_stop inner_stop;
static void guard_inside(void *p)
{
    (void)p;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    inner_result = kf_guarded_call(driver_bugcheck_ex, NULL, &inner_stop);
    KeLowerIrql(old);
}
static void guard_inside_callout(void *p)
{
    (void)p;
    KeExpandKernelStackAndCalloutEx(guard_inside, NULL, 0x2000, FALSE, NULL);
}

TEST(guarded_calls_nest)
{
    kf_stop st;
    inner_result = 0;
    CHECK_EQ(kf_guarded_call(guard_inside, NULL, &st), 0);
    CHECK_EQ(inner_result, 1);
    CHECK_EQ(inner_stop.code, 0xDEAD);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* A guard inside a callout catches there; the callout then returns normally. */
    inner_result = 0;
    kf_set_remaining_stack(0);
    CHECK_EQ(kf_guarded_call(guard_inside_callout, NULL, &st), 0);
    CHECK_EQ(inner_result, 1);
    CHECK_EQ(kf_last_expand()->status, STATUS_SUCCESS);
    CHECK_EQ(kf_callout_depth(), 0);
    CHECK_EQ(kf_segments_in_use(), 0);
}

static void lower_wrongly(void) { KeLowerIrql(APC_LEVEL); }
static void assert_wrongly(void)
{
    volatile int x = 1;
    ASSERT(x == 2);
}
static void stop_in_callout_unguarded(void)
{
    levels_left = 1;
    KeExpandKernelStackAndCalloutEx(stop_deep, NULL, 0x2000, FALSE, NULL);
}

TEST(stop_report_aborts)
{
    CHECK(kft_expect_death(lower_wrongly, "STOP: 0x0000000A (0x1, 0x0, 0x0, 0x0)"));
    CHECK(kft_expect_death(lower_wrongly, "IRQL_NOT_LESS_OR_EQUAL"));
    CHECK(kft_expect_death(lower_wrongly, "routine: KeLowerIrql"));
    CHECK(kft_expect_death(lower_wrongly, "reason: KeLowerIrql to 1"));
    CHECK(kft_expect_death(lower_wrongly, "profile: win11-amd64"));
    CHECK(kft_expect_death(assert_wrongly, "STOP: 0x000000C4 (0x1008,"));
    CHECK(kft_expect_death(assert_wrongly, "DRIVER_VERIFIER_DETECTED_VIOLATION (assert-failed)"));
    CHECK(kft_expect_death(stop_in_callout_unguarded, "STOP: 0x000000E2 (0x11, 0x22, 0x33, 0x44)"));
}

TEST(stop_format_fields)
{
    kf_stop s;
    char text[1024];
    memset(&s, 0, sizeof s);
    s.code = KERNEL_EXPAND_STACK_ACTIVE;
    s.param[0] = 0xABC;
    s.routine = "PsTerminateSystemThread";
    snprintf(s.reason, sizeof s.reason, "a reason");
    use_profile("vista-x86");
    kf_stop_format(&s, text, sizeof text);
    CHECK_STR(text, "STOP: 0x00000107 (0xABC, 0x0, 0x0, 0x0)");
    CHECK_STR(text, "KERNEL_EXPAND_STACK_ACTIVE");
    CHECK_STR(text, "PsTerminateSystemThread");
    CHECK_STR(text, "a reason");
    CHECK_STR(text, "vista-x86");
    CHECK(!strcmp(kf_bugcheck_name(KMODE_EXCEPTION_NOT_HANDLED), "KMODE_EXCEPTION_NOT_HANDLED"));
    CHECK(!strcmp(kf_bugcheck_name(IRQL_UNEXPECTED_VALUE), "IRQL_UNEXPECTED_VALUE"));
    CHECK(!strcmp(kf_bugcheck_name(IRQL_NOT_GREATER_OR_EQUAL), "IRQL_NOT_GREATER_OR_EQUAL"));
    CHECK(!strcmp(kf_violation_name(0x1001), "routine-unavailable"));
    CHECK(!strcmp(kf_violation_name(0x1005), "expand-null-callout"));
    CHECK(kf_violation_what(0x1002) != NULL);
    CHECK(kf_violation_name(0x0FFF) == NULL);
    CHECK(kf_violation_what(0x0FFF) == NULL);
    /* A code the tables do not know still gets a report: named UNKNOWN_BUGCHECK, and a
     * violation code nobody defined adds no name after it. */
    CHECK(!strcmp(kf_bugcheck_name(0xDEAD), "UNKNOWN_BUGCHECK"));
    s.code = DRIVER_VERIFIER_DETECTED_VIOLATION;
    s.param[0] = 0x0FFF;
    kf_stop_format(&s, text, sizeof text);
    CHECK_STR(text, "*** DRIVER_VERIFIER_DETECTED_VIOLATION\n");
}

/* ---- K-8: pool -------------------------------------------------------------------------------- */

#define TAG 0x6C6F6F50u

static kf_fault_kind pool_answer;
static kf_fault_kind pool_hook(void *ctx, kf_site site)
{
    (void)ctx;
    return site == KF_SITE_POOL ? pool_answer : KF_FAULT_NONE;
}

TEST(pool_alloc_and_free)
{
    kf_leak_report lr;
    unsigned char *a = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    unsigned char *b = ExAllocatePoolZero(PagedPool, 300, TAG);
    unsigned char *c = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, TAG);
    unsigned char *d = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 10, TAG);
    CHECK(a && b && c && d);
    if (!(a && b && c && d))
        return;
    memset(a, 0xFF, 100);
    int zero = 1;
    for (int i = 0; i < 300; i++)
        zero &= b[i] == 0;
    for (int i = 0; i < 200; i++)
        zero &= c[i] == 0;
    CHECK(zero);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 4);
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 4);
    ExFreePoolWithTag(a, TAG);
    ExFreePool(b);
    ExFreePoolWithTag(c, TAG);
    ExFreePool(d);
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
}

static int raised;
static PVOID raising_alloc_result;
static void alloc_raising(void)
{
    raised = 0;
    raising_alloc_result = (PVOID)1;
    __try {
        raising_alloc_result = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64, TAG);
    } __except (GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES ? EXCEPTION_EXECUTE_HANDLER
                                                                     : EXCEPTION_CONTINUE_SEARCH) {
        raised = 1;
    }
}

TEST(pool_failure_returns_null)
{
    kf_set_fault_hook(pool_hook, NULL);
    pool_answer = KF_FAULT_HARD;
    CHECK(ExAllocatePoolWithTag(NonPagedPool, 16, TAG) == NULL);
    CHECK(ExAllocatePoolZero(PagedPool, 16, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, TAG) == NULL);
    pool_answer = KF_FAULT_TRANSIENT; /* the pool does not wait */
    CHECK(ExAllocatePool2(POOL_FLAG_PAGED, 16, TAG) == NULL);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_POOL], 4);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
    kf_set_fault_hook(NULL, NULL);
}

/* No host can back a request above 2^40 bytes: it fails as an injected failure does, after
 * the site was asked, and leaves nothing allocated. */
TEST(pool_huge_request_returns_null)
{
    const SIZE_T huge = ((SIZE_T)1 << 40) + 1;
    CHECK(ExAllocatePoolWithTag(NonPagedPool, huge, TAG) == NULL);
    CHECK(ExAllocatePoolZero(PagedPool, huge, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED, huge, TAG) == NULL);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 3);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_POOL], 0);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
    PVOID p = ExAllocatePoolWithTag(NonPagedPool, (SIZE_T)1 << 12, TAG); /* the limit is not lower */
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
}

TEST(pool_raise_on_failure)
{
    kf_set_fault_hook(pool_hook, NULL);
    pool_answer = KF_FAULT_HARD;
    alloc_raising();
    CHECK_EQ(raised, 1);
    CHECK(raising_alloc_result == (PVOID)1); /* the assignment never happened */
    pool_answer = KF_FAULT_NONE;
    alloc_raising();
    CHECK_EQ(raised, 0);
    CHECK(raising_alloc_result != NULL && raising_alloc_result != (PVOID)1);
    if (raising_alloc_result && raising_alloc_result != (PVOID)1)
        ExFreePoolWithTag(raising_alloc_result, TAG);
    kf_set_fault_hook(NULL, NULL);
}

typedef struct pool_case {
    int api; /* 0: WithTag, 1: Zero, 2: Pool2 */
    POOL_TYPE type;
    POOL_FLAGS flags;
    KIRQL irql;
    int ok;
    KIRQL max;
} pool_case;

static PVOID pool_case_result;
static void pool_case_run(void *p)
{
    const pool_case *c = p;
    kf_set_irql(c->irql);
    pool_case_result = c->api == 0   ? ExAllocatePoolWithTag(c->type, 32, TAG)
                       : c->api == 1 ? ExAllocatePoolZero(c->type, 32, TAG)
                                     : ExAllocatePool2(c->flags, 32, TAG);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(pool_irql_rules)
{
    static const pool_case cases[] = {
        {0, PagedPool, 0, APC_LEVEL, 1, 0},
        {0, PagedPool, 0, DISPATCH_LEVEL, 0, APC_LEVEL},
        {1, PagedPoolCacheAligned, 0, DISPATCH_LEVEL, 0, APC_LEVEL},
        {2, 0, POOL_FLAG_PAGED, DISPATCH_LEVEL, 0, APC_LEVEL},
        {0, NonPagedPool, 0, DISPATCH_LEVEL, 1, 0},
        {0, NonPagedPoolNx, 0, DISPATCH_LEVEL, 1, 0},
        {1, NonPagedPoolNx, 0, DISPATCH_LEVEL, 1, 0},
        {2, 0, POOL_FLAG_NON_PAGED, DISPATCH_LEVEL, 1, 0},
        {0, NonPagedPoolNx, 0, DISPATCH_LEVEL + 1, 0, DISPATCH_LEVEL},
        {2, 0, POOL_FLAG_NON_PAGED, HIGH_LEVEL, 0, DISPATCH_LEVEL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kf_stop st;
        pool_case_result = NULL;
        int stopped = kft_stops(pool_case_run, (void *)&cases[i], &st);
        if (cases[i].ok) {
            CHECK(!stopped);
            CHECK(pool_case_result != NULL);
            if (pool_case_result)
                ExFreePool(pool_case_result);
        } else {
            CHECK(stopped);
            CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
            CHECK_EQ(st.param[0], cases[i].max);
            CHECK_EQ(st.param[1], cases[i].irql);
        }
        CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    }
}

static PVOID to_free;
static void free_it(void *p)
{
    if (p)
        ExFreePool(to_free);
    else
        ExFreePoolWithTag(to_free, TAG);
}

TEST(pool_invalid_free)
{
    kf_stop st;
    int on_stack = 0;
    to_free = &on_stack;
    CHECK(kft_stops(free_it, (void *)1, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x1006);
    CHECK(!strcmp(st.routine, "ExFreePool"));
    /* A double free. */
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG);
    CHECK(!kft_stops(free_it, NULL, &st));
    CHECK(kft_stops(free_it, NULL, &st));
    CHECK_EQ(st.param[0], 0x1006);
    CHECK(!strcmp(st.routine, "ExFreePoolWithTag"));
    /* NULL is not an allocation either. */
    to_free = NULL;
    CHECK(kft_stops(free_it, (void *)1, &st));
    CHECK_EQ(st.param[0], 0x1006);
}

/* ---- K-9: ASSERT ------------------------------------------------------------------------------- */

static int assert_line;
static void failing_assert(void *p)
{
    volatile int x = (int)(ULONG_PTR)p;
    assert_line = __LINE__ + 1;
    ASSERT(x == 2);
}
static void nt_assert_fails(void *p)
{
    volatile int x = (int)(ULONG_PTR)p;
    NT_ASSERT(x == 3);
}

TEST(assert_fails)
{
    kf_stop st;
    CHECK(kft_stops(failing_assert, (void *)1, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x1008);
    CHECK_EQ(st.param[1], assert_line);
    CHECK_STR(st.reason, "x == 2");
    CHECK_STR(st.reason, "test_kernel.c");
    CHECK(!kft_stops(failing_assert, (void *)2, &st));
    CHECK(kft_stops(nt_assert_fails, (void *)1, &st));
    CHECK_EQ(st.param[0], 0x1008);
    CHECK(!kft_stops(nt_assert_fails, (void *)3, &st));
}

/* The dbgprint option (kfault/options.def): DbgPrint, DbgPrintEx and KdPrint write the
 * driver's text to stderr when it is 1, nothing when it is 0 (the default). */
static size_t debug_output(char *buf, size_t len)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    size_t n = 0;
    if (!tmp || saved < 0) {
        if (tmp)
            fclose(tmp);
        return (size_t)-1;
    }
    fflush(stderr);
    dup2(fileno(tmp), 2);
    DbgPrint("kft-dbg %d\n", 7);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "kft-dbgex %s\n", "x");
    KdPrint(("kft-kd %u\n", 9u));
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    n = fread(buf, 1, len - 1, tmp);
    buf[n] = 0;
    fclose(tmp);
    return n;
}

TEST(dbgprint_option)
{
    char out[256];
    CHECK_EQ(debug_output(out, sizeof out), 0);
    kft_options("dbgprint=1");
    CHECK(debug_output(out, sizeof out) != (size_t)-1);
    CHECK(!strcmp(out, "kft-dbg 7\nkft-dbgex x\nkft-kd 9\n"));
    kft_options("");
    CHECK_EQ(debug_output(out, sizeof out), 0);
}

/* ---- K-10: kf_reset ---------------------------------------------------------------------------- */

TEST(reset_starts_a_run)
{
    ULONG_PTR lo, hi, lo0, hi0;
    IoGetStackLimits(&lo0, &hi0);
    kf_set_irql(DISPATCH_LEVEL);
    kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0x80);
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG);
    CHECK(p != NULL);
    CHECK(kf_fault_get_stats()->total_consulted > 0);
    kf_reset();
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK_EQ(IoGetRemainingStackSize(), 0x6000);
    IoGetStackLimits(&lo, &hi);
    CHECK_EQ(lo, lo0);
    CHECK_EQ(hi, hi0);
    CHECK_EQ(kf_fault_get_stats()->total_consulted, 0);
    CHECK_EQ(kf_callout_depth(), 0);
    /* Not a large stack any more: a starved call grows it. */
    kf_set_remaining_stack(0);
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
}

TEST(reset_frees_leaks)
{
    kf_leak_report lr;
    kf_stop st;
    for (int i = 0; i < 3; i++)
        CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TAG) != NULL);
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 8, TAG);
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 4);
    CHECK_EQ(lr.segments, 0);
    kf_reset();
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
    CHECK_EQ(lr.segments, 0);
    /* What the last run allocated is gone: freeing it now is invalid. */
    CHECK(kft_stops(free_it, NULL, &st));
    CHECK_EQ(st.param[0], 0x1006);
}

static VOID leaky_callout(PVOID Parameter)
{
    (void)Parameter;
    ExAllocatePoolWithTag(NonPagedPoolNx, 256, TAG);
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x3000, FALSE, NULL);
}
static void one_run(void *p)
{
    (void)p;
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(leaky_callout, NULL, 0x2000, FALSE, NULL);
    KeExpandKernelStackAndCalloutEx(stop_deep, NULL, 0x2000, FALSE, NULL);
}

TEST(reset_nothing_grows_across_runs)
{
    kf_leak_report lr;
    kf_stop st;
    for (int i = 0; i < 3; i++) {
        levels_left = 2;
        kft_stops(one_run, NULL, &st);
        kf_reset();
    }
    unsigned long long sys = kf_segment_syscalls();
    for (int i = 0; i < 500; i++) {
        levels_left = 2;
        CHECK(kft_stops(one_run, NULL, &st));
        kf_leaks(&lr);
        CHECK_EQ(lr.pool_blocks, 1);
        CHECK_EQ(lr.segments, 0);
        kf_reset();
        kf_leaks(&lr);
        CHECK_EQ(lr.pool_blocks, 0);
    }
    CHECK_EQ(kf_segment_syscalls(), sys);
}

/* ---- K-11: every bug check the model raises has a name ---------------------------------- */

/* The bug check codes the model's sources pass to kf_bugcheck, by the macro they spell. A
 * source naming a code not in this table fails the test: add the code here and its name to
 * stop.c's table. `code` is KeBugCheckEx / KeBugCheck passing the driver's own code. */
static const struct {
    const char *macro;
    ULONG code;
} raised_codes[] = {
    {"IRQL_NOT_LESS_OR_EQUAL", IRQL_NOT_LESS_OR_EQUAL},
    {"IRQL_NOT_GREATER_OR_EQUAL", IRQL_NOT_GREATER_OR_EQUAL},
    {"IRQL_UNEXPECTED_VALUE", IRQL_UNEXPECTED_VALUE},
    {"KERNEL_EXPAND_STACK_ACTIVE", KERNEL_EXPAND_STACK_ACTIVE},
    {"KMODE_EXCEPTION_NOT_HANDLED", KMODE_EXCEPTION_NOT_HANDLED},
    {"DRIVER_IRQL_NOT_LESS_OR_EQUAL", DRIVER_IRQL_NOT_LESS_OR_EQUAL},
    {"DRIVER_VERIFIER_DETECTED_VIOLATION", DRIVER_VERIFIER_DETECTED_VIOLATION},
    {"INVALID_KERNEL_HANDLE", INVALID_KERNEL_HANDLE},
    {"BAD_POOL_CALLER", BAD_POOL_CALLER},
    {"MAXIMUM_WAIT_OBJECTS_EXCEEDED", MAXIMUM_WAIT_OBJECTS_EXCEEDED},
    {"NO_MORE_SYSTEM_PTES", 0x3F},
    {"WORKER_THREAD_RETURNED_AT_BAD_IRQL", 0xE1},
};

static int raised_code_known(const char *macro)
{
    if (!strcmp(macro, "code"))
        return 1;
    for (size_t i = 0; i < sizeof raised_codes / sizeof raised_codes[0]; i++)
        if (!strcmp(raised_codes[i].macro, macro))
            return 1;
    return 0;
}

TEST(every_raised_bugcheck_has_a_name)
{
    for (size_t i = 0; i < sizeof raised_codes / sizeof raised_codes[0]; i++) {
        const char *name = kf_bugcheck_name(raised_codes[i].code);
        if (strcmp(name, raised_codes[i].macro))
            kft_fail(__FILE__, __LINE__, "bug check 0x%X is named %s, expected %s", (unsigned)raised_codes[i].code,
                     name, raised_codes[i].macro);
        else
            kft_pass();
    }
    CHECK(!strcmp(kf_bugcheck_name(0x12345), "UNKNOWN_BUGCHECK"));
    /* Scan the model's sources for the second argument of every kf_bugcheck call. */
    static const char *const sources[] = {"expand.c", "flt_filter.c", "flt_io.c", "kernel.c", "lang.c", "object.c",
                                          "pool.c", "registry.c", "rtl_string.c", "stop.c", "sync.c", "system.c",
                                          "wait.c", "crt.c", "strsafe.c", "dbgprint.c", "stack.c"};
    unsigned calls = 0;
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        char path[512];
        snprintf(path, sizeof path, "%s/model/src/%s", KFAULT_SOURCE_DIR, sources[s]);
        FILE *f = fopen(path, "r");
        if (!f) {
            kft_fail(__FILE__, __LINE__, "cannot read %s", path);
            continue;
        }
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = 0;
        for (char *p = strstr(text, "kf_bugcheck("); p; p = strstr(p + 1, "kf_bugcheck(")) {
            char *comma = strchr(p, ',');
            if (!comma || comma - p > 200 || strchr(p, ';') < comma || !strncmp(p + 12, "const char", 10))
                continue; /* a mention in a comment, the declaration or the definition */
            char macro[64];
            size_t k = 0;
            for (const char *q = comma + 1; *q == ' ' || *q == '\n';)
                comma = (char *)++q;
            while (k + 1 < sizeof macro && (comma[k] == '_' || (comma[k] >= 'A' && comma[k] <= 'Z') ||
                                              (comma[k] >= 'a' && comma[k] <= 'z') || (comma[k] >= '0' && comma[k] <= '9')))
                k++;
            memcpy(macro, comma, k);
            macro[k] = 0;
            if (!k)
                continue;
            calls++;
            if (!raised_code_known(macro))
                kft_fail(__FILE__, __LINE__, "%s raises bug check %s, which the table (and stop.c's names) lack",
                         sources[s], macro);
        }
    }
    CHECK(calls >= 20);
}

/* The stop of a bug check the object manager raises carries its name in the report. */
static void close_never_issued(void *p)
{
    (void)p;
    ZwClose((HANDLE)(ULONG_PTR)0x7000);
}

TEST(invalid_kernel_handle_is_named)
{
    kf_stop st;
    CHECK(kft_stops(close_never_issued, NULL, &st));
    CHECK_EQ(st.code, INVALID_KERNEL_HANDLE);
    char report[1024];
    kf_stop_format(&st, report, sizeof report);
    CHECK_STR(report, "INVALID_KERNEL_HANDLE");
}
