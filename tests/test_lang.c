/*
 * test_lang.c - the language of driver code beyond SEH (SEMANTICS.md L-10 to L-17): SAL and
 * the WDK's pragmas (tests/drivers/lang_driver.c is built with every annotation and pragma
 * under -Wall -Wextra -Werror, and its routines are checked here), DBG and the assertion
 * family in a checked build (this file) and a free one (lang_free.c), PAGED_CODE, the
 * version and GUID macros.
 */
#include "kft.h"
#include <fltKernel.h>

#include "drivers/lang_driver.h"
#include "lang_free.h"

#include <string.h>

/* ---- L-10, L-11, L-12: the driver file built warning-free, and what it computes ---------- */

TEST(driver_file_macros)
{
    CHECK_EQ(LangMacros(), 120);
    CHECK_EQ(LangFallThrough(0), 3);
    CHECK_EQ(LangFallThrough(1), 2);
    CHECK_EQ(LangFallThrough(2), 1);
    CHECK_EQ(LangFallThrough(3), 0);
}

TEST(driver_file_keyword_seh)
{
    ULONG finals = 0;
    CHECK_EQ(LangKeywordSeh(FALSE, &finals), STATUS_SUCCESS);
    CHECK_EQ(finals, 1);
    finals = 0;
    CHECK_EQ(LangKeywordSeh(TRUE, &finals), STATUS_FILE_CORRUPT_ERROR);
    CHECK_EQ(finals, 11);
}

TEST(common_macros)
{
    ULONG f = 0;
    SetFlag(f, 6);
    CHECK_EQ(FlagOn(f, 2), 2);
    CHECK_EQ(BooleanFlagOn(f, 4), TRUE);
    ClearFlag(f, 2);
    CHECK_EQ(f, 4);
    CHECK_EQ(min(3, -2), -2);
    CHECK_EQ(max(3, -2), 3);
    CHECK(IS_ALIGNED(0x1000, 0x1000));
    CHECK(!IS_ALIGNED(0x1004, 8));
    CHECK_EQ(ALIGN_DOWN_BY(0x1007, 8), 0x1000);
    CHECK_EQ(ALIGN_UP_BY(0x1001, 8), 0x1008);
    CHECK_EQ(ALIGN_UP(3, ULONGLONG), 8);
    CHECK_EQ(ALIGN_DOWN(15, ULONGLONG), 8);
    CHECK_EQ(ROUND_TO_SIZE(1, 512), 512);
    CHECK_EQ(MAXUCHAR, 0xFF);
    CHECK_EQ(MAXUSHORT, 0xFFFF);
    CHECK_EQ(MAXULONG, 0xFFFFFFFFu);
    CHECK_EQ(MAXLONG, 0x7FFFFFFF);
    CHECK_EQ(sizeof(CSHORT), 2);
    CHECK_EQ(sizeof(CCHAR), 1);
    CHECK_EQ(sizeof(UNICODE_NULL), 2);
    CHECK_EQ(UNICODE_STRING_MAX_BYTES, 65534);
    CHECK_EQ(SYSTEM_CACHE_ALIGNMENT_SIZE, 64);
    CHECK_EQ(_Alignof(struct { DECLSPEC_CACHEALIGN int x; }), SYSTEM_CACHE_ALIGNMENT_SIZE);
    C_ASSERT(RTL_SIZEOF_THROUGH_FIELD(UNICODE_STRING, MaximumLength) == 4);
    C_ASSERT(RTL_SIZEOF_THROUGH_FIELD(UNICODE_STRING, MaximumLength) == 4); /* twice in a scope */
}

/* L-11: a pool tag written as a multi-character constant compiles warning-free (this file is
 * built with -Werror, gcc warns on them by default) and has the value MSVC gives it. */
TEST(pool_tag_constants)
{
    CHECK_EQ('abcd', 0x61626364);
    CHECK_EQ('gfCM', 0x6766434D);
    CHECK_EQ((ULONG)'1gaT', 0x31676154u);
}

TEST(version_macros)
{
    CHECK_EQ(NTDDI_VERSION, NTDDI_WIN11_GE);
    CHECK_EQ(NTDDI_WIN11_GE, 0x0A000010);
    CHECK_EQ(NTDDI_VISTA, 0x06000000);
    CHECK_EQ(NTDDI_WIN7, 0x06010000);
    CHECK_EQ(_WIN32_WINNT, 0x0A00);
    CHECK_EQ(WINVER, 0x0A00);
    CHECK_EQ(OSVER(NTDDI_WS03SP2), NTDDI_WS03);
    CHECK_EQ(SPVER(NTDDI_WS03SP2), 2);
    CHECK_EQ(NTDDI_VERSION_FROM_WIN32_WINNT(_WIN32_WINNT_WIN8), NTDDI_WIN8);
}

/* ---- L-13: DEFINE_GUID defines where INITGUID is on, declares elsewhere ------------------- */

TEST(guid_defined_by_initguid)
{
    static const GUID same = {0x6b1f0c2a, 0x5d33, 0x4e8b, {0x9a, 0x41, 0x0c, 0x7e, 0x2f, 0x58, 0xd1, 0x90}};
    GUID other = same;
    other.Data4[7] ^= 1;
    CHECK_EQ(GUID_LANG_TEST_DRIVER.Data1, 0x6b1f0c2a);
    CHECK(IsEqualGUID(&GUID_LANG_TEST_DRIVER, &same));
    CHECK(InlineIsEqualGUID(&GUID_LANG_TEST_DRIVER, &same));
    CHECK(!IsEqualGUID(&GUID_LANG_TEST_DRIVER, &other));
    CHECK(!InlineIsEqualGUID(&GUID_LANG_TEST_DRIVER, &other));
}

/* ---- L-14: DBG and the assertion family ---------------------------------------------------- */

static int evaluations;
static int counted(int value)
{
    evaluations++;
    return value;
}

TEST(dbg_default_and_free)
{
    CHECK_EQ(DBG, 1);
    CHECK_EQ(free_dbg_value(), 0);
}

/* C-12: KdPrint / KdPrintEx are DbgPrint / DbgPrintEx with DBG 1 (arguments evaluated, the
 * format checked: a floating-point conversion stops) and nothing with DBG 0. */
static void kdprint_float(void *p)
{
    (void)p;
    KdPrint(("%f\n", 1.0));
}

TEST(kdprint_follows_dbg)
{
    evaluations = 0;
    KdPrint(("checked %d\n", counted(1)));
    KdPrintEx((DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, "checked %d\n", counted(2)));
    CHECK_EQ(evaluations, 2);
    CHECK_EQ(KdPrint(("x")), STATUS_SUCCESS);
    kf_stop st;
    CHECK(kft_stops(kdprint_float, NULL, &st));
    CHECK_EQ(st.param[0], 0x3204);
    CHECK_EQ(free_kdprint_evaluations(), 0);
}

static void fail_assert(void *p) { (void)p; ASSERT(counted(0)); }
static void fail_assertmsg(void *p) { (void)p; ASSERTMSG("message", counted(0)); }
static void fail_nt_assert(void *p) { (void)p; NT_ASSERT(counted(0)); }
static void fail_nt_assertmsg(void *p) { (void)p; NT_ASSERTMSG("message", counted(0)); }
static void fail_flt_assert(void *p) { (void)p; FLT_ASSERT(counted(0)); }
static void fail_flt_assertmsg(void *p) { (void)p; FLT_ASSERTMSG("message", counted(0)); }
static void fail_paged_assert(void *p) { (void)p; PAGED_ASSERT(counted(0)); }
static void fail_nt_verify(void *p) { (void)p; (void)NT_VERIFY(counted(0)); }
static void fail_nt_verifymsg(void *p) { (void)p; (void)NT_VERIFYMSG("message", counted(0)); }
static void fail_fre_assert(void *p) { (void)p; NT_FRE_ASSERT(counted(0)); }

TEST(checked_build_asserts_stop)
{
    void (*const fns[])(void *) = {fail_assert,     fail_assertmsg,     fail_nt_assert,    fail_nt_assertmsg,
                                   fail_flt_assert, fail_flt_assertmsg, fail_paged_assert, fail_nt_verify,
                                   fail_nt_verifymsg, fail_fre_assert};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        kf_stop st;
        evaluations = 0;
        CHECK(kft_stops(fns[i], NULL, &st));
        CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        CHECK_EQ(st.param[0], 0x1008);
        CHECK_EQ(evaluations, 1);
    }
    /* Passing assertions evaluate once and go on. */
    evaluations = 0;
    ASSERT(counted(1));
    NT_ASSERT(counted(1));
    FLT_ASSERT(counted(1));
    CHECK_EQ(NT_VERIFY(counted(5)), TRUE);
    CHECK_EQ(evaluations, 4);
}

TEST(free_build_asserts_not_evaluated)
{
    int evaluated = -1;
    CHECK_EQ(free_asserts_evaluate(), 0);
    /* NT_VERIFY is evaluated in a free build too, and returns the truth. */
    CHECK_EQ(free_verify(1, &evaluated), 1);
    CHECK_EQ(evaluated, 2);
    evaluated = -1;
    CHECK_EQ(free_verify(0, &evaluated), 0);
    CHECK_EQ(evaluated, 2);
}

static void fre_assert_fails(void *p)
{
    (void)p;
    free_fre_assert(0);
}

TEST(free_build_fre_assert_checks)
{
    kf_stop st;
    free_fre_assert(1);
    CHECK(kft_stops(fre_assert_fails, NULL, &st));
    CHECK_EQ(st.param[0], 0x1008);
}

/* ---- L-15: PAGED_CODE ------------------------------------------------------------------------ */

static void paged_at(void *p)
{
    KIRQL old;
    KeRaiseIrql((KIRQL)(ULONG_PTR)p, &old);
    (void)LangPagedRoutine(1);
    KeLowerIrql(old);
}

static void free_paged_at_dispatch(void *p)
{
    KIRQL old;
    (void)p;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    free_paged_routine();
}

static void locked_at_dispatch(void *p)
{
    KIRQL old;
    (void)p;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PAGED_CODE_LOCKED();
    KeLowerIrql(old);
}

TEST(paged_code_irql)
{
    kf_stop st;
    CHECK_EQ(LangPagedRoutine(41), 42);
    CHECK(!kft_stops(paged_at, (void *)(ULONG_PTR)APC_LEVEL, &st));
    CHECK(kft_stops(paged_at, (void *)(ULONG_PTR)DISPATCH_LEVEL, &st));
    CHECK_EQ(st.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], 0);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
    CHECK_EQ(st.param[2], 8);
    CHECK_EQ(st.param[3], 0);
    CHECK(st.routine && !strcmp(st.routine, "LangPagedRoutine"));
    CHECK(strstr(st.reason, "LangPagedRoutine") != NULL);
    /* Whatever DBG says. */
    CHECK(kft_stops(free_paged_at_dispatch, NULL, &st));
    CHECK_EQ(st.code, DRIVER_IRQL_NOT_LESS_OR_EQUAL);
    CHECK(st.routine && !strcmp(st.routine, "free_paged_routine"));
    /* Locked pageable code may run at DISPATCH_LEVEL. */
    CHECK(!kft_stops(locked_at_dispatch, NULL, &st));
}

/* ---- L-18: the names the simplest sample minifilters need ------------------------------------ */

TEST(fsctl_codes)
{
    CHECK_EQ(FSCTL_REQUEST_OPLOCK_LEVEL_1, 0x00090000);
    CHECK_EQ(FSCTL_REQUEST_OPLOCK_LEVEL_2, 0x00090004);
    CHECK_EQ(FSCTL_REQUEST_BATCH_OPLOCK, 0x00090008);
    CHECK_EQ(FSCTL_REQUEST_FILTER_OPLOCK, 0x0009005C);
    CHECK_EQ(CTL_CODE(0x22, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS), 0x00222000);
}

static void call_status_callback(void *p)
{
    (void)p;
    (void)FltCancelIo(NULL);
}

/* FltGetIrpName and FltRequestOperationStatusCallback, the routines of L-18, are modeled since
 * Filter Manager's dispatch (SEMANTICS.md FD-20, FD-30); a routine still declared and not modeled
 * stops naming itself. */
TEST(sample_routines_not_modeled)
{
    kf_stop st;
    CHECK(kft_stops(call_status_callback, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x1009);
    CHECK(st.routine && !strcmp(st.routine, "FltCancelIo"));
}
