/*
 * test_rtl_string.c - the Rtl string family (rules U-1 .. U-19 of model/SEMANTICS.md):
 * initialization and its limits, copy and append with their NUL side effects, comparison and
 * case, the buffers allocated for the caller (fault site rtl.string, RtlFreeUnicodeString's
 * rule INV-U-2), conversions, numbers, GUIDs, IRQL of the pageable routines, malformed strings.
 *
 * This file includes the host's <wchar.h> AFTER the WDK header (test_crt.c includes it before).
 */
#include "kft.h"
#include <ntddk.h>
#include <ntifs.h> /* RtlIsNameLegalDOS8Dot3 */
#include <wchar.h>

#include <stdlib.h>
#include <string.h>

extern kf_leak_report kf__leaks_at_reset;
size_t kf__rtl_strings_outstanding(void);

static int weq(const WCHAR *w, size_t n, const char *s)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (WCHAR)(unsigned char)s[i])
            return 0;
    return 1;
}
#define CHECK_US(u, s)                                                                                 \
    (weq((u)->Buffer, (u)->Length / 2u, (s)) ? kft_pass()                                             \
                                              : kft_fail(__FILE__, __LINE__, "string is not \"%s\"", (s)))

static void check_violation(void (*fn)(void *), void *arg, unsigned code, const char *routine)
{
    kf_stop st;
    CHECK(kft_stops(fn, arg, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], code);
    CHECK(st.routine && !strcmp(st.routine, routine));
}

/* ---- U-1: constants and declarations ------------------------------------------------------------ */

TEST(constant_string_and_declarations)
{
    UNICODE_STRING c = RTL_CONSTANT_STRING(L"abc");
    CHECK_EQ(c.Length, 6);
    CHECK_EQ(c.MaximumLength, 8);
    CHECK_US(&c, "abc");
    DECLARE_CONST_UNICODE_STRING(k, L"\\Device");
    CHECK_EQ(k.Length, 14);
    CHECK_EQ(k.MaximumLength, 16);
    CHECK_US(&k, "\\Device");
    DECLARE_UNICODE_STRING_SIZE(d, 10);
    CHECK_EQ(d.Length, 0);
    CHECK_EQ(d.MaximumLength, 20);
    CHECK(d.Buffer == d_buffer);
    CHECK_EQ(UNICODE_STRING_MAX_BYTES, 65534);
    CHECK_EQ(UNICODE_STRING_MAX_CHARS, 32767);
    /* <wchar.h> after the WDK header: still kfault's 2-byte wcslen. */
    CHECK_EQ(wcslen(L"abcd"), 4);
    CHECK(wcslen == kf_wcslen);
}

/* ---- U-2, U-5: initialization ------------------------------------------------------------------- */

static void init_null_dest(void *a) { RtlInitUnicodeString(NULL, a); }

TEST(init_unicode_string)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"hello");
    CHECK_EQ(u.Length, 10);
    CHECK_EQ(u.MaximumLength, 12);
    RtlInitUnicodeString(&u, NULL);
    CHECK(u.Length == 0 && u.MaximumLength == 0 && u.Buffer == NULL);
    RtlInitUnicodeString(&u, L"");
    CHECK(u.Length == 0 && u.MaximumLength == 2);
    WCHAR b[4];
    RtlInitEmptyUnicodeString(&u, b, sizeof b);
    CHECK(u.Length == 0 && u.MaximumLength == 8 && u.Buffer == b);
    check_violation(init_null_dest, (void *)L"x", 0x3207, "RtlInitUnicodeString");
    /* Initialization is not pageable: any IRQL. */
    kf_set_irql(DISPATCH_LEVEL);
    RtlInitUnicodeString(&u, L"ab");
    CHECK_EQ(u.Length, 4);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(init_too_long)
{
    size_t n = 40000;
    WCHAR *big = malloc((n + 1) * sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        big[i] = 'x';
    big[n] = 0;
    UNICODE_STRING u = {2, 4, NULL};
    /* Clamped, as documented: the values then misdescribe the source. */
    RtlInitUnicodeString(&u, big);
    CHECK_EQ(u.Length, 0xFFFC);
    CHECK_EQ(u.MaximumLength, 0xFFFE);
    u.Length = 2;
    u.MaximumLength = 4;
    u.Buffer = NULL;
    CHECK_EQ(RtlInitUnicodeStringEx(&u, big), STATUS_NAME_TOO_LONG);
    CHECK(u.Length == 2 && u.MaximumLength == 4 && u.Buffer == NULL); /* untouched */
    big[32766] = 0; /* 65532 bytes: the longest that fits with its NUL */
    CHECK_EQ(RtlInitUnicodeStringEx(&u, big), STATUS_SUCCESS);
    CHECK_EQ(u.Length, 0xFFFC);
    big[32766] = 'x';
    big[32767] = 0; /* 32767 characters: 65534 bytes leave no room for the NUL */
    CHECK_EQ(RtlInitUnicodeStringEx(&u, big), STATUS_NAME_TOO_LONG);
    free(big);
}

TEST(init_ansi_string)
{
    ANSI_STRING a;
    RtlInitAnsiString(&a, "abc");
    CHECK(a.Length == 3 && a.MaximumLength == 4);
    STRING s;
    RtlInitString(&s, NULL);
    CHECK(s.Length == 0 && s.MaximumLength == 0 && s.Buffer == NULL);
    char b[5];
    RtlInitEmptyAnsiString(&a, b, 5);
    CHECK(a.Length == 0 && a.MaximumLength == 5 && a.Buffer == b);
}

/* ---- U-6, U-7: copy and append (UNCONFIRMED 11 decided: a NUL when room is left) ---------------- */

TEST(copy_unicode_string)
{
    WCHAR b[5];
    UNICODE_STRING d, s = RTL_CONSTANT_STRING(L"abc");
    for (int i = 0; i < 5; i++)
        b[i] = 0x7777;
    RtlInitEmptyUnicodeString(&d, b, sizeof b);
    RtlCopyUnicodeString(&d, &s);
    CHECK_US(&d, "abc");
    CHECK_EQ(b[3], 0); /* room left: NUL */
    CHECK_EQ(d.MaximumLength, 10);
    /* Exactly full: no NUL written past the data. */
    for (int i = 0; i < 5; i++)
        b[i] = 0x7777;
    RtlInitEmptyUnicodeString(&d, b, 6);
    RtlCopyUnicodeString(&d, &s);
    CHECK_US(&d, "abc");
    CHECK_EQ(b[3], 0x7777);
    /* Silently truncated to MaximumLength. */
    for (int i = 0; i < 5; i++)
        b[i] = 0x7777;
    RtlInitEmptyUnicodeString(&d, b, 4);
    RtlCopyUnicodeString(&d, &s);
    CHECK_US(&d, "ab");
    CHECK_EQ(b[2], 0x7777);
    /* Source NULL: Length 0. */
    RtlCopyUnicodeString(&d, NULL);
    CHECK_EQ(d.Length, 0);
    /* An odd MaximumLength never gives half a character. */
    RtlInitEmptyUnicodeString(&d, b, 5);
    RtlCopyUnicodeString(&d, &s);
    CHECK_EQ(d.Length, 4);

    char nb[4] = {'x', 'x', 'x', 'x'};
    STRING ad, as;
    RtlInitString(&as, "hello");
    RtlInitEmptyAnsiString(&ad, nb, 4);
    RtlCopyString(&ad, &as);
    CHECK(ad.Length == 4 && !memcmp(nb, "hell", 4));
    RtlInitString(&as, "hi");
    RtlCopyString(&ad, &as);
    CHECK(ad.Length == 2 && nb[2] == 0);
}

TEST(append)
{
    WCHAR b[7];
    for (int i = 0; i < 7; i++)
        b[i] = 0x7777;
    UNICODE_STRING d, s = RTL_CONSTANT_STRING(L"cd");
    RtlInitEmptyUnicodeString(&d, b, 12); /* six characters; b[6] is a guard */
    CHECK_EQ(RtlAppendUnicodeToString(&d, L"ab"), STATUS_SUCCESS);
    CHECK_EQ(b[2], 0); /* room left: NUL */
    CHECK_EQ(RtlAppendUnicodeStringToString(&d, &s), STATUS_SUCCESS);
    CHECK_US(&d, "abcd");
    CHECK_EQ(b[4], 0);
    /* Too long: STATUS_BUFFER_TOO_SMALL, nothing changed. */
    CHECK_EQ(RtlAppendUnicodeToString(&d, L"xyz"), STATUS_BUFFER_TOO_SMALL);
    CHECK_US(&d, "abcd");
    UNICODE_STRING s3 = RTL_CONSTANT_STRING(L"xyz");
    CHECK_EQ(RtlAppendUnicodeStringToString(&d, &s3), STATUS_BUFFER_TOO_SMALL);
    CHECK_US(&d, "abcd");
    CHECK_EQ(b[4], 0);
    /* Exactly full: no NUL after it. */
    CHECK_EQ(RtlAppendUnicodeStringToString(&d, &s), STATUS_SUCCESS);
    CHECK_US(&d, "abcdcd");
    CHECK_EQ(b[6], 0x7777);
    CHECK_EQ(RtlAppendUnicodeToString(&d, NULL), STATUS_SUCCESS);
    CHECK_EQ(RtlAppendUnicodeToString(&d, L""), STATUS_SUCCESS);
    CHECK_EQ(RtlAppendUnicodeToString(&d, L"e"), STATUS_BUFFER_TOO_SMALL);
}

/* ---- U-3: malformed strings --------------------------------------------------------------------- */

static UNICODE_STRING bad;
static void equal_bad(void *a)
{
    UNICODE_STRING ok = RTL_CONSTANT_STRING(L"ab");
    (void)a;
    RtlEqualUnicodeString(&ok, &bad, FALSE);
}
static void copy_bad(void *a)
{
    WCHAR b[4];
    UNICODE_STRING d;
    (void)a;
    RtlInitEmptyUnicodeString(&d, b, sizeof b);
    RtlCopyUnicodeString(&d, &bad);
}
static void append_to_bad(void *a)
{
    (void)a;
    RtlAppendUnicodeToString(&bad, L"x");
}

TEST(malformed_strings_stop)
{
    static WCHAR buf[8];
    bad.Buffer = buf;
    bad.Length = 3; /* odd */
    bad.MaximumLength = 8;
    check_violation(equal_bad, NULL, 0x3202, "RtlEqualUnicodeString");
    check_violation(copy_bad, NULL, 0x3202, "RtlCopyUnicodeString");
    bad.Length = 10; /* > MaximumLength */
    check_violation(equal_bad, NULL, 0x3202, "RtlEqualUnicodeString");
    check_violation(append_to_bad, NULL, 0x3202, "RtlAppendUnicodeToString");
    bad.Buffer = NULL;
    bad.Length = 2;
    check_violation(equal_bad, NULL, 0x3202, "RtlEqualUnicodeString");
    bad.Length = 0; /* well formed to read, but no room to write into */
    check_violation(append_to_bad, NULL, 0x3202, "RtlAppendUnicodeToString");
    bad.Length = 0;
    bad.MaximumLength = 0;
    kf_stop st;
    CHECK(!kft_stops(equal_bad, NULL, &st)); /* an empty string with no buffer is well formed */
}

/* ---- U-8, U-9: comparison ----------------------------------------------------------------------- */

TEST(compare)
{
    UNICODE_STRING a = RTL_CONSTANT_STRING(L"Hello"), b = RTL_CONSTANT_STRING(L"hello"),
                   c = RTL_CONSTANT_STRING(L"hell"), e = RTL_CONSTANT_STRING(L"LLO"), z = {0, 0, NULL};
    CHECK(RtlCompareUnicodeString(&a, &b, FALSE) < 0);
    CHECK(RtlCompareUnicodeString(&b, &a, FALSE) > 0);
    CHECK_EQ(RtlCompareUnicodeString(&a, &b, TRUE), 0);
    CHECK(RtlCompareUnicodeString(&c, &b, TRUE) < 0);
    CHECK(RtlCompareUnicodeString(&b, &c, FALSE) > 0);
    CHECK(RtlCompareUnicodeString(&z, &c, FALSE) < 0);
    CHECK(!RtlEqualUnicodeString(&a, &b, FALSE));
    CHECK(RtlEqualUnicodeString(&a, &b, TRUE));
    CHECK(!RtlEqualUnicodeString(&a, &c, TRUE));
    CHECK(RtlPrefixUnicodeString(&c, &a, TRUE));
    CHECK(!RtlPrefixUnicodeString(&c, &a, FALSE));
    CHECK(!RtlPrefixUnicodeString(&a, &c, TRUE));
    CHECK(RtlPrefixUnicodeString(&z, &a, FALSE));
    CHECK(RtlSuffixUnicodeString(&e, &a, TRUE));
    CHECK(!RtlSuffixUnicodeString(&e, &a, FALSE));
    CHECK(!RtlSuffixUnicodeString(&a, &e, TRUE));
    CHECK(RtlSuffixUnicodeString(&z, &z, FALSE));
    CHECK(RtlSuffixUnicodeString(&z, &a, FALSE));
    CHECK_EQ(RtlCompareUnicodeStrings(L"abc", 3, L"ABD", 3, TRUE) < 0, 1);
    CHECK_EQ(RtlCompareUnicodeStrings(L"abc", 2, L"abX", 2, FALSE), 0);
    /* Case-insensitive beyond ASCII with the model's table (C locale CRT would differ). */
    UNICODE_STRING e1 = RTL_CONSTANT_STRING(L"caf\x00E9"), e2 = RTL_CONSTANT_STRING(L"CAF\x00C9");
    CHECK(RtlEqualUnicodeString(&e1, &e2, TRUE));
    STRING s1, s2;
    RtlInitString(&s1, "Abc");
    RtlInitString(&s2, "aBC");
    CHECK(RtlEqualString(&s1, &s2, TRUE));
    CHECK(!RtlEqualString(&s1, &s2, FALSE));
    CHECK(RtlCompareString(&s1, &s2, FALSE) < 0);
    CHECK_EQ(RtlCompareString(&s1, &s2, TRUE), 0);
}

/* ---- U-4: pageable routines above APC_LEVEL ----------------------------------------------------- */

static void compare_at_irql(void *a)
{
    UNICODE_STRING x = RTL_CONSTANT_STRING(L"a");
    (void)a;
    RtlCompareUnicodeString(&x, &x, TRUE);
}
static void upcase_at_irql(void *a)
{
    UNICODE_STRING x = RTL_CONSTANT_STRING(L"a"), d;
    (void)a;
    RtlUpcaseUnicodeString(&d, &x, TRUE);
}
static void equal_at_irql(void *a)
{
    UNICODE_STRING x = RTL_CONSTANT_STRING(L"a");
    (void)a;
    RtlEqualUnicodeString(&x, &x, TRUE);
}

TEST(pageable_above_apc_bugchecks)
{
    kf_stop st;
    kf_set_irql(APC_LEVEL);
    CHECK(!kft_stops(compare_at_irql, NULL, &st));
    kf_set_irql(DISPATCH_LEVEL);
    CHECK(kft_stops(compare_at_irql, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
    CHECK(!strcmp(st.routine, "RtlCompareUnicodeString"));
    CHECK(kft_stops(upcase_at_irql, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK(!strcmp(st.routine, "RtlUpcaseUnicodeString"));
    CHECK(kft_stops(equal_at_irql, NULL, &st));
    CHECK(!strcmp(st.routine, "RtlEqualUnicodeString"));
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_RTL_STRING], 0); /* stopped before allocating */
    kf_set_irql(PASSIVE_LEVEL);
}

/* ---- U-10, U-13: case conversion, allocation, the fault site ------------------------------------ */

TEST(upcase_downcase)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"aB1z"), d;
    CHECK_EQ(RtlUpcaseUnicodeString(&d, &s, TRUE), STATUS_SUCCESS);
    CHECK_US(&d, "AB1Z");
    CHECK_EQ(d.MaximumLength, 8);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_RTL_STRING], 1);
    RtlFreeUnicodeString(&d);
    CHECK(d.Buffer == NULL && d.Length == 0 && d.MaximumLength == 0);
    WCHAR b[4];
    RtlInitEmptyUnicodeString(&d, b, sizeof b);
    CHECK_EQ(RtlDowncaseUnicodeString(&d, &s, FALSE), STATUS_SUCCESS);
    CHECK_US(&d, "ab1z");
    RtlInitEmptyUnicodeString(&d, b, 6);
    CHECK_EQ(RtlUpcaseUnicodeString(&d, &s, FALSE), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(d.Length, 0);
    /* In place. */
    WCHAR w[3] = {'x', 'y', 0};
    UNICODE_STRING in;
    RtlInitUnicodeString(&in, w);
    CHECK_EQ(RtlUpcaseUnicodeString(&in, &in, FALSE), STATUS_SUCCESS);
    CHECK_US(&in, "XY");
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_RTL_STRING], 1); /* FALSE allocates nothing */
}

TEST(case_table)
{
    static const WCHAR pairs[][2] = {
        {'a', 'A'},     {0xE9, 0xC9},   {0xFE, 0xDE},   {0xFF, 0x178},  {0x101, 0x100}, {0x13A, 0x139},
        {0x148, 0x147}, {0x14B, 0x14A}, {0x17E, 0x17D}, {0x3B1, 0x391}, {0x3C9, 0x3A9}, {0x3AC, 0x386},
        {0x3CE, 0x38F}, {0x430, 0x410}, {0x44F, 0x42F}, {0x451, 0x401}, {0xFF41, 0xFF21}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        CHECK_EQ(RtlUpcaseUnicodeChar(pairs[i][0]), pairs[i][1]);
        CHECK_EQ(RtlDowncaseUnicodeChar(pairs[i][1]), pairs[i][0]);
    }
    CHECK_EQ(RtlUpcaseUnicodeChar(0x3AD), 0x388); /* accented Greek */
    CHECK_EQ(RtlDowncaseUnicodeChar(0x38A), 0x3AF);
    CHECK_EQ(RtlUpcaseUnicodeChar(0x3CC), 0x38C);
    CHECK_EQ(RtlDowncaseUnicodeChar(0x38C), 0x3CC);
    CHECK_EQ(RtlDowncaseUnicodeChar(0x130), 0x130);
    CHECK_EQ(RtlUpcaseUnicodeChar(0x3C2), 0x3A3); /* final sigma */
    CHECK_EQ(RtlDowncaseUnicodeChar(0x3A3), 0x3C3);
    /* Out of the table's scope: unchanged. */
    CHECK_EQ(RtlUpcaseUnicodeChar(0xDF), 0xDF);
    CHECK_EQ(RtlUpcaseUnicodeChar(0xF7), 0xF7);
    CHECK_EQ(RtlDowncaseUnicodeChar(0xD7), 0xD7);
    CHECK_EQ(RtlUpcaseUnicodeChar(0x131), 0x131);
    CHECK_EQ(RtlUpcaseUnicodeChar(0x138), 0x138);
    CHECK_EQ(RtlUpcaseUnicodeChar(0x180), 0x180);
    CHECK_EQ(RtlUpcaseUnicodeChar('1'), '1');
}

TEST(allocation_fails_at_site)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"ab"), d = {0, 0, NULL};
    kft_options("fail_nth=1");
    CHECK_EQ(RtlUpcaseUnicodeString(&d, &s, TRUE), STATUS_NO_MEMORY);
    CHECK(d.Buffer == NULL);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_RTL_STRING], 1);
    kft_options("fail_nth=2");
    CHECK_EQ(RtlDuplicateUnicodeString(0, &s, &d), STATUS_SUCCESS);
    ANSI_STRING a;
    CHECK_EQ(RtlUnicodeStringToAnsiString(&a, &s, TRUE), STATUS_NO_MEMORY);
    RtlFreeUnicodeString(&d);
    kft_options("fail_nth=1");
    CHECK(!RtlCreateUnicodeString(&d, L"x"));
    kft_options("fail_nth=1");
    GUID g = {0};
    CHECK_EQ(RtlStringFromGUID(&g, &d), STATUS_NO_MEMORY);
    kft_options("fail_nth=1");
    ANSI_STRING as;
    RtlInitAnsiString(&as, "x");
    CHECK_EQ(RtlAnsiStringToUnicodeString(&d, &as, TRUE), STATUS_NO_MEMORY);
    kft_options("");
    CHECK(kf_site_lookup("rtl.string") == KF_SITE_RTL_STRING);
}

/* ---- U-14: RtlFreeUnicodeString only frees what the Rtl routines allocated (INV-U-2) ------------ */

static void free_init_string(void *a)
{
    UNICODE_STRING u;
    (void)a;
    RtlInitUnicodeString(&u, L"static");
    RtlFreeUnicodeString(&u);
}
static void free_pool_string(void *a)
{
    UNICODE_STRING u;
    (void)a;
    u.Buffer = ExAllocatePoolWithTag(PagedPool, 8, 0x74736554);
    u.Length = 0;
    u.MaximumLength = 8;
    RtlFreeUnicodeString(&u);
}
static void free_twice(void *a)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"ab"), d, copy;
    (void)a;
    RtlUpcaseUnicodeString(&d, &s, TRUE);
    copy = d;
    RtlFreeUnicodeString(&d);
    RtlFreeUnicodeString(&copy);
}
static void free_ansi_as_unicode(void *a)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"ab"), u;
    ANSI_STRING as;
    (void)a;
    RtlUnicodeStringToAnsiString(&as, &s, TRUE);
    u.Buffer = (PWSTR)(void *)as.Buffer;
    u.Length = 0;
    u.MaximumLength = 2;
    RtlFreeUnicodeString(&u);
}
static void free_unicode_as_ansi(void *a)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"ab"), d;
    ANSI_STRING as;
    (void)a;
    RtlUpcaseUnicodeString(&d, &s, TRUE);
    as.Buffer = (PCHAR)(void *)d.Buffer;
    as.Length = 0;
    as.MaximumLength = 2;
    RtlFreeAnsiString(&as);
}

TEST(free_foreign_buffers_stop)
{
    check_violation(free_init_string, NULL, 0x3201, "RtlFreeUnicodeString");
    check_violation(free_pool_string, NULL, 0x3201, "RtlFreeUnicodeString");
    check_violation(free_twice, NULL, 0x3201, "RtlFreeUnicodeString");
    check_violation(free_ansi_as_unicode, NULL, 0x3201, "RtlFreeUnicodeString");
    check_violation(free_unicode_as_ansi, NULL, 0x3201, "RtlFreeAnsiString");
    /* A zeroed string is freed as nothing. */
    UNICODE_STRING z = {0, 0, NULL};
    RtlFreeUnicodeString(&z);
    ANSI_STRING za = {0, 0, NULL};
    RtlFreeAnsiString(&za);
    CHECK(z.Buffer == NULL && za.Buffer == NULL);
}

TEST(leftover_buffers_counted_at_reset)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"ab"), d1, d2;
    CHECK_EQ(RtlUpcaseUnicodeString(&d1, &s, TRUE), STATUS_SUCCESS);
    CHECK_EQ(RtlDuplicateUnicodeString(1, &s, &d2), STATUS_SUCCESS);
    CHECK_EQ(kf__rtl_strings_outstanding(), 2);
    RtlFreeUnicodeString(&d1);
    CHECK_EQ(kf__rtl_strings_outstanding(), 1);
    CHECK_EQ(RtlUpcaseUnicodeString(&d1, &s, TRUE), STATUS_SUCCESS);
    /* kf_leaks counts them as pool (they are the driver's pool to free) and apart. */
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.rtl_strings, 2);
    CHECK_EQ(l.pool_blocks, 2);
    kf_reset();
    CHECK_EQ(kf__leaks_at_reset.pool_blocks, 2);
    CHECK_EQ(kf__leaks_at_reset.rtl_strings, 2);
    kf_reset();
    CHECK_EQ(kf__leaks_at_reset.pool_blocks, 0);
    CHECK_EQ(kf__leaks_at_reset.rtl_strings, 0);
}

/* ---- U-11, U-12: ANSI <-> Unicode --------------------------------------------------------------- */

TEST(ansi_unicode_conversions)
{
    ANSI_STRING a;
    UNICODE_STRING u;
    RtlInitAnsiString(&a, "k\xE9y");
    CHECK_EQ(RtlAnsiStringToUnicodeString(&u, &a, TRUE), STATUS_SUCCESS);
    CHECK(u.Length == 6 && u.MaximumLength == 8 && u.Buffer[1] == 0xE9 && u.Buffer[3] == 0);
    RtlFreeUnicodeString(&u);
    WCHAR b[4];
    RtlInitEmptyUnicodeString(&u, b, 8);
    CHECK_EQ(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_SUCCESS);
    CHECK_EQ(u.Length, 6);
    RtlInitEmptyUnicodeString(&u, b, 6); /* no room for the NUL */
    CHECK_EQ(RtlAnsiStringToUnicodeString(&u, &a, FALSE), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(u.Length, 0);

    UNICODE_STRING s = RTL_CONSTANT_STRING(L"a\x0100z");
    CHECK_EQ(RtlUnicodeStringToAnsiString(&a, &s, TRUE), STATUS_SUCCESS);
    CHECK(a.Length == 3 && a.MaximumLength == 4 && !strcmp(a.Buffer, "a?z"));
    RtlFreeAnsiString(&a);
    CHECK(a.Buffer == NULL);
    char nb[3] = {'x', 'x', 'x'};
    RtlInitEmptyAnsiString(&a, nb, 3);
    CHECK_EQ(RtlUnicodeStringToAnsiString(&a, &s, FALSE), STATUS_BUFFER_OVERFLOW);
    CHECK(a.Length == 2 && nb[0] == 'a' && nb[1] == '?' && nb[2] == 0);
    RtlInitEmptyAnsiString(&a, nb, 0);
    CHECK_EQ(RtlUnicodeStringToAnsiString(&a, &s, FALSE), STATUS_BUFFER_OVERFLOW);
}

/* ---- U-15, U-16: numbers ------------------------------------------------------------------------ */

TEST(integers)
{
    ULONG v = 7;
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"  -12x");
    CHECK_EQ(RtlUnicodeStringToInteger(&s, 10, &v), STATUS_SUCCESS);
    CHECK_EQ(v, (ULONG)-12);
    UNICODE_STRING h = RTL_CONSTANT_STRING(L"0x1f"), o = RTL_CONSTANT_STRING(L"0o17"), bi = RTL_CONSTANT_STRING(L"0b101"),
                   d = RTL_CONSTANT_STRING(L"0x1f");
    CHECK_EQ(RtlUnicodeStringToInteger(&h, 0, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 31);
    CHECK_EQ(RtlUnicodeStringToInteger(&o, 0, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 15);
    CHECK_EQ(RtlUnicodeStringToInteger(&bi, 0, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 5);
    CHECK_EQ(RtlUnicodeStringToInteger(&d, 10, &v), STATUS_SUCCESS); /* stops at 'x' */
    CHECK_EQ(v, 0);
    CHECK_EQ(RtlUnicodeStringToInteger(&d, 7, &v), STATUS_INVALID_PARAMETER);
    UNICODE_STRING part = {4, 8, (PWSTR)L"1234"}; /* only Length counts */
    CHECK_EQ(RtlUnicodeStringToInteger(&part, 16, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 0x12);
    CHECK_EQ(RtlCharToInteger("  +4096", 0, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 4096);
    CHECK_EQ(RtlCharToInteger("ff", 16, &v), STATUS_SUCCESS);
    CHECK_EQ(v, 255);
    CHECK_EQ(RtlCharToInteger("1", 3, &v), STATUS_INVALID_PARAMETER);

    WCHAR b[5];
    UNICODE_STRING out;
    RtlInitEmptyUnicodeString(&out, b, sizeof b);
    CHECK_EQ(RtlIntegerToUnicodeString(255, 16, &out), STATUS_SUCCESS);
    CHECK_US(&out, "FF");
    CHECK_EQ(b[2], 0);
    CHECK_EQ(RtlIntegerToUnicodeString(1234, 0, &out), STATUS_SUCCESS);
    CHECK_US(&out, "1234");
    CHECK_EQ(RtlIntegerToUnicodeString(12345, 10, &out), STATUS_BUFFER_OVERFLOW); /* no room for the NUL */
    CHECK_EQ(RtlIntegerToUnicodeString(1, 3, &out), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlIntegerToUnicodeString(5, 2, &out), STATUS_SUCCESS);
    CHECK_US(&out, "101");
    WCHAR big[24];
    RtlInitEmptyUnicodeString(&out, big, sizeof big);
    CHECK_EQ(RtlInt64ToUnicodeString(0x123456789ull, 16, &out), STATUS_SUCCESS);
    CHECK_US(&out, "123456789");
    CHECK_EQ(RtlInt64ToUnicodeString(18446744073709551615ull, 10, &out), STATUS_SUCCESS);
    CHECK_US(&out, "18446744073709551615");
}

/* ---- U-17: GUIDs -------------------------------------------------------------------------------- */

TEST(guids)
{
    GUID g = {0x12345678, 0x9ABC, 0xDEF0, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}}, back;
    UNICODE_STRING s;
    CHECK_EQ(RtlStringFromGUID(&g, &s), STATUS_SUCCESS);
    CHECK_US(&s, "{12345678-9ABC-DEF0-0123-456789ABCDEF}");
    CHECK_EQ(s.MaximumLength, 78);
    CHECK_EQ(s.Buffer[38], 0);
    CHECK_EQ(RtlGUIDFromString(&s, &back), STATUS_SUCCESS);
    CHECK(!memcmp(&g, &back, sizeof g));
    RtlFreeUnicodeString(&s);
    UNICODE_STRING lower = RTL_CONSTANT_STRING(L"{12345678-9abc-def0-0123-456789abcdef}");
    CHECK_EQ(RtlGUIDFromString(&lower, &back), STATUS_SUCCESS);
    CHECK(!memcmp(&g, &back, sizeof g));
    UNICODE_STRING nobrace = RTL_CONSTANT_STRING(L"12345678-9abc-def0-0123-456789abcdef"),
                   baddigit = RTL_CONSTANT_STRING(L"{12345678-9abc-def0-0123-456789abcdeg}"),
                   baddash = RTL_CONSTANT_STRING(L"{12345678-9abc-def0+0123-456789abcdef}");
    CHECK_EQ(RtlGUIDFromString(&nobrace, &back), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlGUIDFromString(&baddigit, &back), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlGUIDFromString(&baddash, &back), STATUS_INVALID_PARAMETER);
}

/* ---- U-18, U-19: duplicate and create ------------------------------------------------------------ */

TEST(duplicate_and_create)
{
    UNICODE_STRING s = RTL_CONSTANT_STRING(L"abc"), d, empty = {0, 0, NULL};
    CHECK_EQ(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &s, &d), STATUS_SUCCESS);
    CHECK(d.Length == 6 && d.MaximumLength == 8 && d.Buffer[3] == 0 && d.Buffer != s.Buffer);
    RtlFreeUnicodeString(&d);
    CHECK_EQ(RtlDuplicateUnicodeString(0, &s, &d), STATUS_SUCCESS);
    CHECK(d.Length == 6 && d.MaximumLength == 6);
    CHECK_US(&d, "abc");
    RtlFreeUnicodeString(&d);
    CHECK_EQ(RtlDuplicateUnicodeString(0, &empty, &d), STATUS_SUCCESS);
    CHECK(d.Buffer == NULL && d.Length == 0 && d.MaximumLength == 0);
    CHECK_EQ(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING, &empty, &d),
             STATUS_SUCCESS);
    CHECK(d.Buffer != NULL && d.Length == 0 && d.MaximumLength == 2 && d.Buffer[0] == 0);
    RtlFreeUnicodeString(&d);
    CHECK_EQ(RtlDuplicateUnicodeString(4, &s, &d), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlDuplicateUnicodeString(0, NULL, &d), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlDuplicateUnicodeString(0, &s, NULL), STATUS_INVALID_PARAMETER);
    UNICODE_STRING full = {0xFFFE, 0xFFFE, NULL};
    full.Buffer = calloc(0x7FFF, sizeof(WCHAR));
    CHECK_EQ(RtlDuplicateUnicodeString(1, &full, &d), STATUS_NAME_TOO_LONG);
    free(full.Buffer);

    CHECK(RtlCreateUnicodeString(&d, L"xy"));
    CHECK(d.Length == 4 && d.MaximumLength == 6 && d.Buffer[2] == 0);
    CHECK_US(&d, "xy");
    RtlFreeUnicodeString(&d);
}

/* ---- U-2, U-3, U-11: remaining limits and NULL arguments ------------------------------------------ */

static void compare_null_with_length(void *a)
{
    (void)a;
    RtlCompareUnicodeStrings(NULL, 2, L"ab", 2, FALSE);
}
static void equal_bad_ansi(void *a)
{
    STRING x = {4, 2, (PCHAR) "abcd"}, y = {0, 0, NULL};
    (void)a;
    RtlEqualString(&x, &y, FALSE);
}

TEST(limits_and_null_arguments)
{
    check_violation(compare_null_with_length, NULL, 0x3207, "RtlCompareUnicodeStrings");
    CHECK_EQ(RtlCompareUnicodeStrings(NULL, 0, NULL, 0, TRUE), 0);
    check_violation(equal_bad_ansi, NULL, 0x3202, "RtlEqualString");
    /* An ANSI string whose Unicode form would pass 0xFFFF bytes. */
    STRING big = {0x8000, 0x8000, NULL};
    big.Buffer = calloc(0x8000, 1);
    UNICODE_STRING u;
    CHECK_EQ(RtlAnsiStringToUnicodeString(&u, &big, TRUE), STATUS_INVALID_PARAMETER_2);
    free(big.Buffer);
    char nb[4] = "xyz";
    STRING d = {3, 4, nb};
    RtlCopyString(&d, NULL);
    CHECK_EQ(d.Length, 0);
    size_t n = 0x10000;
    char *longa = malloc(n + 1);
    memset(longa, 'a', n);
    longa[n] = 0;
    RtlInitAnsiString(&d, longa);
    CHECK(d.Length == 0xFFFE && d.MaximumLength == 0xFFFF);
    free(longa);
    WCHAR *longw = malloc(40000 * sizeof(WCHAR));
    for (size_t i = 0; i < 39999; i++)
        longw[i] = 'w';
    longw[39999] = 0;
    CHECK(!RtlCreateUnicodeString(&u, longw)); /* more than 65534 bytes */
    free(longw);
}

/* ---- U-30 RtlIsNameLegalDOS8Dot3 ------------------------------------------------------------ */

static BOOLEAN legal(const WCHAR *name, char *oem_out, BOOLEAN *spaces)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, name);
    static CHAR buf[16];
    OEM_STRING oem = {0, sizeof buf, buf};
    *spaces = 2;
    BOOLEAN r = RtlIsNameLegalDOS8Dot3(&u, &oem, spaces);
    if (oem_out) {
        memcpy(oem_out, buf, oem.Length);
        oem_out[oem.Length] = 0;
    }
    return r;
}

static void dos_name_at_high(void *a)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"a.txt");
    kf_set_irql(DISPATCH_LEVEL + 1);
    (void)RtlIsNameLegalDOS8Dot3(&u, NULL, NULL);
}
static void dos_name_null(void *a) { (void)RtlIsNameLegalDOS8Dot3(NULL, NULL, NULL); }

TEST(is_name_legal_dos_8dot3)
{
    char oem[16];
    BOOLEAN sp;
    /* Legal: uppercased into the OEM buffer, spaces told. */
    CHECK(legal(L"readme.txt", oem, &sp) && !strcmp(oem, "README.TXT") && sp == FALSE);
    CHECK(legal(L"ABCDEFGH.XYZ", oem, &sp) && !strcmp(oem, "ABCDEFGH.XYZ"));
    CHECK(legal(L"a", oem, &sp) && !strcmp(oem, "A"));
    CHECK(legal(L"my doc.t", oem, &sp) && sp == TRUE && !strcmp(oem, "MY DOC.T"));
    CHECK(legal(L".", oem, &sp) && !strcmp(oem, "."));
    CHECK(legal(L"..", oem, &sp) && !strcmp(oem, ".."));
    CHECK(legal(L"a~1.b_c", NULL, &sp));
    /* Not 8.3: too long, two dots, empty base or extension, leading dot, trailing spaces,
     * illegal and non-ASCII characters. */
    CHECK(!legal(L"abcdefghi", NULL, &sp));
    CHECK(!legal(L"a.abcd", NULL, &sp));
    CHECK(!legal(L"a.b.c", NULL, &sp));
    CHECK(!legal(L".profile", NULL, &sp));
    CHECK(!legal(L"a.", NULL, &sp));
    CHECK(!legal(L"...", NULL, &sp));
    CHECK(!legal(L"ab .c", NULL, &sp));
    CHECK(!legal(L"ab ", NULL, &sp));
    CHECK(!legal(L"a*b", NULL, &sp));
    CHECK(!legal(L"a+b.c", NULL, &sp));
    CHECK(!legal(L"x\\y", NULL, &sp));
    CHECK(!legal(L"caf\u00e9", NULL, &sp));
    CHECK(!legal(L"", NULL, &sp));
    /* NameContainsSpaces is written only for a legal name. */
    CHECK(!legal(L"a b c d e f", NULL, &sp) && sp == 2);
    /* Optional outputs; an OEM buffer too small: not legal. */
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"report.doc");
    CHECK(RtlIsNameLegalDOS8Dot3(&u, NULL, NULL));
    CHAR small[4];
    OEM_STRING o = {0, sizeof small, small};
    CHECK(!RtlIsNameLegalDOS8Dot3(&u, &o, NULL));
    CHECK_EQ(o.Length, 0);
    /* DISPATCH_LEVEL is allowed; above it is a bug check; a NULL name a violation. */
    kf_set_irql(DISPATCH_LEVEL);
    CHECK(RtlIsNameLegalDOS8Dot3(&u, NULL, NULL));
    kf_set_irql(PASSIVE_LEVEL);
    kf_stop st;
    CHECK(kft_stops(dos_name_at_high, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK(kft_stops(dos_name_null, NULL, &st));
    CHECK_EQ(st.param[0], KF_VIOL_RTL_NULL_ARGUMENT);
}
