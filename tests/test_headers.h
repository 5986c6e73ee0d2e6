/*
 * test_headers.h - the checks shared by the header tests test_headers_<arch>.c: each of
 * those is compiled for one architecture (-D_X86_, -D_AMD64_, -D_ARM_, -D_ARM64_ or none),
 * sets the EXPECT_* values of the fact sheet for it, and includes this file.
 *
 * Checks twice: at compile time (_Static_assert) and at run time (CHECK), and ties the
 * compiled-in constants to the model's profile of the same architecture. Must never take
 * an expected value from the headers under test.
 */
#ifndef TEST_HEADERS_H
#define TEST_HEADERS_H

#include <wdm.h>
#include <ntddk.h>
#include <ntifs.h>

#include "kft.h"

#include <string.h>

#if !defined(EXPECT_KERNEL_STACK_SIZE) || !defined(EXPECT_LARGE_STACK_SIZE) || \
    !defined(EXPECT_LARGE_STACK_COMMIT) || !defined(EXPECT_MAXIMUM_EXPANSION_SIZE) || \
    !defined(EXPECT_HIGH_LEVEL) || !defined(EXPECT_PROFILE)
#error "set the EXPECT_* values before including test_headers.h"
#endif

/* ---- Exactly one architecture ---------------------------------------------------------- */
#if (defined(_X86_) + defined(_AMD64_) + defined(_ARM_) + defined(_ARM64_)) != 1
#error "the headers must leave exactly one architecture defined"
#endif

/* ---- Stack constants --------------------------------------------------------------------- */
_Static_assert(PAGE_SIZE == 0x1000, "PAGE_SIZE");
_Static_assert(KERNEL_STACK_SIZE == EXPECT_KERNEL_STACK_SIZE, "KERNEL_STACK_SIZE");
_Static_assert(KERNEL_LARGE_STACK_SIZE == EXPECT_LARGE_STACK_SIZE, "KERNEL_LARGE_STACK_SIZE");
_Static_assert(KERNEL_LARGE_STACK_COMMIT == EXPECT_LARGE_STACK_COMMIT, "KERNEL_LARGE_STACK_COMMIT");
_Static_assert(MAXIMUM_EXPANSION_SIZE == EXPECT_MAXIMUM_EXPANSION_SIZE, "MAXIMUM_EXPANSION_SIZE");
_Static_assert(MAXIMUM_EXPANSION_SIZE == KERNEL_LARGE_STACK_SIZE - PAGE_SIZE / 2, "its definition");

/* ---- IRQL levels ---------------------------------------------------------------------------- */
_Static_assert(PASSIVE_LEVEL == 0 && APC_LEVEL == 1 && DISPATCH_LEVEL == 2, "IRQL levels");
_Static_assert(HIGH_LEVEL == EXPECT_HIGH_LEVEL, "HIGH_LEVEL");

/* ---- Types ------------------------------------------------------------------------------------ */
_Static_assert(sizeof(UCHAR) == 1 && sizeof(CHAR) == 1, "UCHAR, CHAR");
_Static_assert(sizeof(USHORT) == 2 && sizeof(SHORT) == 2 && sizeof(WCHAR) == 2, "USHORT, WCHAR");
_Static_assert(sizeof(ULONG) == 4 && sizeof(LONG) == 4, "ULONG, LONG");
_Static_assert(sizeof(ULONGLONG) == 8 && sizeof(LONGLONG) == 8, "ULONGLONG");
_Static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER");
_Static_assert(sizeof(KIRQL) == 1, "KIRQL");
_Static_assert(sizeof(BOOLEAN) == 1, "BOOLEAN");
_Static_assert(sizeof(NTSTATUS) == 4, "NTSTATUS");
_Static_assert(sizeof(SIZE_T) == sizeof(void *) && sizeof(ULONG_PTR) == sizeof(void *), "SIZE_T");
_Static_assert((NTSTATUS)-1 < 0, "NTSTATUS is signed");
_Static_assert((KIRQL)-1 > 0 && (ULONG)-1 > 0 && (SIZE_T)-1 > 0, "unsigned types");

/* ---- Status values and bug check codes of the fact sheet ---------------------------------------- */
#define SAME_STATUS(s, v) ((ULONG)(s) == (ULONG)(v##u))
_Static_assert(SAME_STATUS(STATUS_SUCCESS, 0x00000000), "STATUS_SUCCESS");
_Static_assert(SAME_STATUS(STATUS_PENDING, 0x00000103), "STATUS_PENDING");
_Static_assert(SAME_STATUS(STATUS_INVALID_PARAMETER, 0xC000000D), "STATUS_INVALID_PARAMETER");
_Static_assert(SAME_STATUS(STATUS_NO_MEMORY, 0xC0000017), "STATUS_NO_MEMORY");
_Static_assert(SAME_STATUS(STATUS_INSUFFICIENT_RESOURCES, 0xC000009A), "STATUS_INSUFFICIENT_RESOURCES");
_Static_assert(SAME_STATUS(STATUS_INVALID_PARAMETER_2, 0xC00000F0), "STATUS_INVALID_PARAMETER_2");
_Static_assert(SAME_STATUS(STATUS_INVALID_PARAMETER_3, 0xC00000F1), "STATUS_INVALID_PARAMETER_3");
_Static_assert(SAME_STATUS(STATUS_INVALID_PARAMETER_4, 0xC00000F2), "STATUS_INVALID_PARAMETER_4");
_Static_assert(SAME_STATUS(STATUS_STACK_OVERFLOW, 0xC00000FD), "STATUS_STACK_OVERFLOW");
_Static_assert(SAME_STATUS(STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST, 0xC01C0003), "STATUS_FLT_INVALID_ASYNC");
_Static_assert(SAME_STATUS(STATUS_FLT_DELETING_OBJECT, 0xC01C000B), "STATUS_FLT_DELETING_OBJECT");
_Static_assert(SAME_STATUS(STATUS_NONCONTINUABLE_EXCEPTION, 0xC0000025), "STATUS_NONCONTINUABLE_EXCEPTION");
_Static_assert(SAME_STATUS(STATUS_ACCESS_VIOLATION, 0xC0000005), "STATUS_ACCESS_VIOLATION");

_Static_assert(IRQL_NOT_LESS_OR_EQUAL == 0x0A, "IRQL_NOT_LESS_OR_EQUAL");
_Static_assert(KMODE_EXCEPTION_NOT_HANDLED == 0x1E, "KMODE_EXCEPTION_NOT_HANDLED");
_Static_assert(IRQL_UNEXPECTED_VALUE == 0xC8, "IRQL_UNEXPECTED_VALUE");
_Static_assert(DRIVER_IRQL_NOT_LESS_OR_EQUAL == 0xD1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL");
_Static_assert(KERNEL_EXPAND_STACK_ACTIVE == 0x107, "KERNEL_EXPAND_STACK_ACTIVE");
_Static_assert(IRQL_NOT_GREATER_OR_EQUAL == 0x09, "IRQL_NOT_GREATER_OR_EQUAL");
_Static_assert(DRIVER_VERIFIER_DETECTED_VIOLATION == 0xC4, "DRIVER_VERIFIER_DETECTED_VIOLATION");

/* ---- Declarations with the WDK's types (a mismatch is a compile error under -Werror) ---------- */
static NTSTATUS (*const ex_routine)(PEXPAND_STACK_CALLOUT, PVOID, SIZE_T, BOOLEAN, PVOID) =
    KeExpandKernelStackAndCalloutEx;
static NTSTATUS (*const nonex_routine)(PEXPAND_STACK_CALLOUT, PVOID, SIZE_T) = KeExpandKernelStackAndCallout;
static ULONG_PTR (*const remaining_routine)(void) = IoGetRemainingStackSize;
static void (*const limits_routine)(PULONG_PTR, PULONG_PTR) = IoGetStackLimits;
static void (*const raise_routine)(KIRQL, PKIRQL) = KeRaiseIrql;
static void (*const lower_routine)(KIRQL) = KeLowerIrql;
static NTSTATUS (*const terminate_routine)(NTSTATUS) = PsTerminateSystemThread;

/* A callout declared the WDK way: by its role type, then defined. */
static EXPAND_STACK_CALLOUT header_callout;
static ULONG_PTR callout_saw;
static VOID header_callout(PVOID Parameter) { callout_saw = (ULONG_PTR)Parameter; }

/* ---- Run-time checks ------------------------------------------------------------------------ */

static void check_arch_constants(void)
{
    CHECK_EQ(PAGE_SIZE, 0x1000);
    CHECK_EQ(KERNEL_STACK_SIZE, EXPECT_KERNEL_STACK_SIZE);
    CHECK_EQ(KERNEL_LARGE_STACK_SIZE, EXPECT_LARGE_STACK_SIZE);
    CHECK_EQ(KERNEL_LARGE_STACK_COMMIT, EXPECT_LARGE_STACK_COMMIT);
    CHECK_EQ(MAXIMUM_EXPANSION_SIZE, EXPECT_MAXIMUM_EXPANSION_SIZE);
    CHECK_EQ(HIGH_LEVEL, EXPECT_HIGH_LEVEL);
    CHECK_EQ(PASSIVE_LEVEL, 0);
    CHECK_EQ(APC_LEVEL, 1);
    CHECK_EQ(DISPATCH_LEVEL, 2);
}

static void check_types_and_codes(void)
{
    CHECK_EQ(sizeof(ULONG), 4);
    CHECK_EQ(sizeof(KIRQL), 1);
    CHECK_EQ(sizeof(NTSTATUS), 4);
    CHECK_EQ(sizeof(BOOLEAN), 1);
    CHECK_EQ(sizeof(USHORT), 2);
    CHECK_EQ(sizeof(SIZE_T), sizeof(void *));
    CHECK(NT_SUCCESS(STATUS_SUCCESS));
    CHECK(NT_SUCCESS(STATUS_PENDING));
    CHECK(!NT_SUCCESS(STATUS_BUFFER_OVERFLOW)); /* a warning is not success */
    CHECK(!NT_SUCCESS(STATUS_NO_MEMORY));
    CHECK(!NT_SUCCESS(STATUS_INVALID_PARAMETER_3));
    CHECK(!NT_SUCCESS(STATUS_FLT_DELETING_OBJECT));
    static const struct {
        NTSTATUS status;
        ULONG value;
    } statuses[] = {
        {STATUS_SUCCESS, 0x00000000u},
        {STATUS_PENDING, 0x00000103u},
        {STATUS_INVALID_PARAMETER, 0xC000000Du},
        {STATUS_NO_MEMORY, 0xC0000017u},
        {STATUS_INSUFFICIENT_RESOURCES, 0xC000009Au},
        {STATUS_INVALID_PARAMETER_2, 0xC00000F0u},
        {STATUS_INVALID_PARAMETER_3, 0xC00000F1u},
        {STATUS_INVALID_PARAMETER_4, 0xC00000F2u},
        {STATUS_STACK_OVERFLOW, 0xC00000FDu},
        {STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST, 0xC01C0003u},
        {STATUS_FLT_DELETING_OBJECT, 0xC01C000Bu},
    };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        CHECK_EQ((ULONG)statuses[i].status, statuses[i].value);
    static const ULONG codes[][2] = {
        {IRQL_NOT_LESS_OR_EQUAL, 0x0A},      {KMODE_EXCEPTION_NOT_HANDLED, 0x1E},
        {IRQL_UNEXPECTED_VALUE, 0xC8},       {DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0xD1},
        {KERNEL_EXPAND_STACK_ACTIVE, 0x107},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        CHECK_EQ(codes[i][0], codes[i][1]);
}

/* The compiled-in constants are the model's profile of the same architecture: Size equal to
 * this build's MAXIMUM_EXPANSION_SIZE succeeds there, one more byte does not. */
static void check_profile_matches_headers(void)
{
    char err[256];
    if (kf_options_set("profile=" EXPECT_PROFILE, err, sizeof err) != 0) {
        kft_fail(__FILE__, __LINE__, "%s", err);
        return;
    }
    kf_reset();
    const kf_profile *p = kf_current_profile();
    CHECK_EQ(p->kernel_stack_size, KERNEL_STACK_SIZE);
    CHECK_EQ(p->large_stack_size, KERNEL_LARGE_STACK_SIZE);
    CHECK_EQ(p->large_stack_commit, KERNEL_LARGE_STACK_COMMIT);
    CHECK_EQ(p->maximum_expansion_size, MAXIMUM_EXPANSION_SIZE);
    CHECK_EQ(remaining_routine(), KERNEL_STACK_SIZE);
    ULONG_PTR lo, hi;
    limits_routine(&lo, &hi);
    CHECK_EQ(hi - lo, KERNEL_STACK_SIZE);
    callout_saw = 0;
    CHECK_EQ(ex_routine(header_callout, (PVOID)0x51, MAXIMUM_EXPANSION_SIZE, TRUE, NULL), STATUS_SUCCESS);
    CHECK_EQ(callout_saw, 0x51);
    CHECK_EQ(nonex_routine(header_callout, (PVOID)0x52, MAXIMUM_EXPANSION_SIZE), STATUS_SUCCESS);
    CHECK_EQ(callout_saw, 0x52);
    callout_saw = 0;
    CHECK_EQ(ex_routine(header_callout, NULL, MAXIMUM_EXPANSION_SIZE + 1, TRUE, NULL), STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(nonex_routine(header_callout, NULL, MAXIMUM_EXPANSION_SIZE + 1), STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(ex_routine(header_callout, NULL, (SIZE_T)-1, FALSE, NULL), STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(callout_saw, 0);
    /* The levels compiled in are the levels the model checks. */
    KIRQL old;
    raise_routine(HIGH_LEVEL, &old);
    CHECK_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
    lower_routine(old);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    CHECK(terminate_routine != NULL);
}

#endif /* TEST_HEADERS_H */
