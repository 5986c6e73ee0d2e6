/* test_smoke.c - the stack switch, unwinding and overrun report work at all. */
#include "kft.h"
#include <ntddk.h>

static int ran;
static void co(PVOID p) { ran += (int)(ULONG_PTR)p; }
TEST(smoke_segment)
{
    kf_set_remaining_stack(0x100);
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(co, (PVOID)7, 0x4000, FALSE, NULL);
    CHECK_EQ(s, STATUS_SUCCESS);
    CHECK_EQ(ran, 7);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    CHECK(kf_last_expand()->real_stack_used > 0);
}
static void raise_in(PVOID p) { ExRaiseStatus(STATUS_ACCESS_VIOLATION); }
static void call_raise(void *a) { KeExpandKernelStackAndCalloutEx(raise_in, NULL, 0x1000, FALSE, NULL); }
TEST(smoke_exception_escapes)
{
    kf_stop st;
    CHECK(kft_stops(call_raise, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(kf_segments_in_use(), 0);
    CHECK_EQ(kf_callout_depth(), 0);
}
static void big(PVOID p)
{
    volatile char buf[200000];
    buf[0] = 1;
    buf[199999] = 2;
    (void)buf[0];
}
static void overrun(void) { KeExpandKernelStackAndCalloutEx(big, NULL, 0x1000, FALSE, NULL); }
TEST(smoke_overrun) { CHECK(kft_expect_death(overrun, "callout stack overrun")); }
static void inner_try(PVOID p)
{
    NTSTATUS *code = p;
    __try {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        *code = GetExceptionCode();
    }
}
TEST(smoke_try)
{
    NTSTATUS code = 0;
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(inner_try, &code, 0x2000, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(code, STATUS_INSUFFICIENT_RESOURCES);
}
