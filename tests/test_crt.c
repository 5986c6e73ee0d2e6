/*
 * test_crt.c - the kernel's wide C runtime (rules C-1 .. C-9 of model/SEMANTICS.md): lengths,
 * copies, comparisons and searches over 2-byte WCHAR, the _s forms with their error codes and
 * the kernel's invalid-parameter stop, the wide printf forms, case and classes, numbers; and
 * the ntstrsafe toggles and limits a driver defines (U-25, U-29).
 *
 * This file includes the host's <wchar.h> BEFORE the WDK header (test_rtl_string.c includes it
 * after): every WDK name must still be kfault's. Expected strings are written out by hand, never
 * produced by the host's wide functions.
 */
#include <wchar.h>
#include <wctype.h>
#include "kft.h"
#include <ntddk.h>
/* A driver's toggles and a lower limit (U-25, U-29). */
#define NTSTRSAFE_NO_CB_FUNCTIONS
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH 16
#define NTSTRSAFE_LIB
#include <ntstrsafe.h>

#include <string.h>

/* A wide string equals an ASCII string, unit for unit. */
static int weq(const WCHAR *w, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (w[i] != (WCHAR)(unsigned char)s[i])
            return 0;
    return w[i] == 0;
}
#define CHECK_W(w, s)                                                                                 \
    (weq((w), (s)) ? kft_pass() : kft_fail(__FILE__, __LINE__, "wide string is not \"%s\"", (s)))

/* ---- C-1: WCHAR is 2 bytes and the names are kfault's ------------------------------------------ */

TEST(wchar_is_two_bytes_and_names_are_kfaults)
{
    CHECK_EQ(sizeof(WCHAR), 2);
    CHECK_EQ(sizeof(L"abc"), 8);
    /* The host's 4-byte wcslen would read L"abc" as two units and run past its end. */
    CHECK_EQ(wcslen(L"abc"), 3);
    CHECK_EQ(wcslen(L""), 0);
    CHECK(wcslen == kf_wcslen);
    CHECK(wcscpy_s == kf_wcscpy_s);
    CHECK(towupper == kf_towupper);
    CHECK(swprintf == kf_swprintf);
    CHECK_EQ(wcsnlen(L"abcdef", 4), 4);
    CHECK_EQ(wcsnlen(L"ab", 4), 2);
}

/* ---- C-2: copies, concatenation, comparison, search ------------------------------------------- */

TEST(copy_cat_compare_search)
{
    WCHAR b[16];
    WCHAR guard[4] = {0x7777, 0x7777, 0x7777, 0x7777};
    CHECK(wcscpy(b, L"abc") == b);
    CHECK_W(b, "abc");
    CHECK(wcscat(b, L"de") == b);
    CHECK_W(b, "abcde");
    CHECK(wcsncat(b, L"xyz", 2) == b);
    CHECK_W(b, "abcdexy");
    /* wcsncpy pads with NULs up to count, and does not terminate when src is longer. */
    memcpy(b, guard, sizeof guard);
    wcsncpy(b, L"ab", 4);
    CHECK(b[0] == 'a' && b[1] == 'b' && b[2] == 0 && b[3] == 0);
    memcpy(b, guard, sizeof guard);
    wcsncpy(b, L"abcdef", 3);
    CHECK(b[2] == 'c' && b[3] == 0x7777);

    CHECK_EQ(wcscmp(L"abc", L"abc"), 0);
    CHECK(wcscmp(L"abc", L"abd") < 0);
    CHECK(wcscmp(L"abd", L"abc") > 0);
    CHECK(wcscmp(L"ab", L"abc") < 0);
    /* Units compare unsigned: U+FFFF is above 'a'. */
    CHECK(wcscmp(L"\xFFFF", L"a") > 0);
    CHECK_EQ(wcsncmp(L"abcX", L"abcY", 3), 0);
    CHECK(wcsncmp(L"abcX", L"abcY", 4) < 0);
    CHECK_EQ(_wcsicmp(L"HeLLo", L"hello"), 0);
    CHECK(_wcsicmp(L"a", L"B") < 0);
    /* Lowercase forms are compared: '_' (0x5F) is below 'a' but above 'A'. */
    CHECK(_wcsicmp(L"_", L"A") < 0);
    CHECK_EQ(_wcsnicmp(L"ABCx", L"abcy", 3), 0);
    CHECK(_wcsnicmp(L"ABCx", L"abcy", 4) < 0);
    /* C locale: no case outside ASCII. */
    CHECK(_wcsicmp(L"\x00E9", L"\x00C9") != 0);

    const WCHAR *s = L"a/b/c";
    CHECK(wcschr(s, '/') == s + 1);
    CHECK(wcsrchr(s, '/') == s + 3);
    CHECK(wcschr(s, 'z') == NULL);
    CHECK(wcschr(s, 0) == s + 5);
    CHECK(wcsrchr(s, 'z') == NULL);
    CHECK(wcsstr(s, L"b/c") == s + 2);
    CHECK(wcsstr(s, L"") == s);
    CHECK(wcsstr(s, L"c/") == NULL);
}

/* ---- C-3, C-4: the _s forms ------------------------------------------------------------------- */

static WCHAR sbuf[8];
static void cpy_s_null_dest(void *a) { (void)a; wcscpy_s(NULL, 4, L"x"); }
static void cpy_s_zero(void *a) { (void)a; wcscpy_s(sbuf, 0, L"x"); }
static void cpy_s_null_src(void *a) { (void)a; wcscpy_s(sbuf, 8, NULL); }
static void cpy_s_range(void *a) { (void)a; wcscpy_s(sbuf, 4, L"abcd"); }
static void ncpy_s_range(void *a) { (void)a; wcsncpy_s(sbuf, 4, L"abcdef", 5); }
static void cat_s_range(void *a) { (void)a; wcscat_s(sbuf, 5, L"cde"); }
static void cat_s_unterminated(void *a) { (void)a; wcscat_s(sbuf, 2, L"x"); }
static void ncat_s_range(void *a) { (void)a; wcsncat_s(sbuf, 5, L"cdef", 3); }

static void check_invalid(void (*fn)(void *), int err, const char *routine)
{
    kf_stop st;
    CHECK(kft_stops(fn, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x3203);
    CHECK_EQ(st.param[1], (unsigned)err);
    CHECK(st.routine && !strcmp(st.routine, routine));
}

TEST(wcscpy_s_codes)
{
    CHECK_EQ(wcscpy_s(sbuf, 8, L"abc"), 0);
    CHECK_W(sbuf, "abc");
    CHECK_EQ(wcscpy_s(sbuf, 4, L"xyz"), 0); /* exactly fits with its NUL */
    CHECK_W(sbuf, "xyz");
    check_invalid(cpy_s_null_dest, EINVAL, "wcscpy_s");
    check_invalid(cpy_s_zero, EINVAL, "wcscpy_s");
    sbuf[0] = 'q';
    check_invalid(cpy_s_null_src, EINVAL, "wcscpy_s");
    CHECK_EQ(sbuf[0], 0); /* the destination is emptied before the handler */
    sbuf[0] = 'q';
    check_invalid(cpy_s_range, ERANGE, "wcscpy_s");
    CHECK_EQ(sbuf[0], 0);
}

TEST(wcsncpy_s_truncate_and_codes)
{
    CHECK_EQ(wcsncpy_s(sbuf, 8, L"abcdef", 3), 0);
    CHECK_W(sbuf, "abc");
    CHECK_EQ(wcsncpy_s(sbuf, 4, L"abcdef", _TRUNCATE), STRUNCATE);
    CHECK_W(sbuf, "abc");
    CHECK_EQ(wcsncpy_s(sbuf, 4, L"ab", _TRUNCATE), 0);
    CHECK_W(sbuf, "ab");
    CHECK_EQ(wcsncpy_s(NULL, 0, NULL, 0), 0);
    CHECK_EQ(wcsncpy_s(sbuf, 8, NULL, 0), 0);
    CHECK_EQ(sbuf[0], 0);
    sbuf[0] = 'q';
    check_invalid(ncpy_s_range, ERANGE, "wcsncpy_s");
    CHECK_EQ(sbuf[0], 0);
}

TEST(wcscat_s_codes)
{
    wcscpy_s(sbuf, 8, L"ab");
    CHECK_EQ(wcscat_s(sbuf, 8, L"cd"), 0);
    CHECK_W(sbuf, "abcd");
    wcscpy_s(sbuf, 8, L"ab");
    check_invalid(cat_s_range, ERANGE, "wcscat_s");
    CHECK_EQ(sbuf[0], 0);
    wcscpy_s(sbuf, 8, L"abc");
    check_invalid(cat_s_unterminated, EINVAL, "wcscat_s");
    CHECK_EQ(sbuf[0], 0);
    wcscpy_s(sbuf, 8, L"ab");
    CHECK_EQ(wcsncat_s(sbuf, 8, L"cdef", 2), 0);
    CHECK_W(sbuf, "abcd");
    CHECK_EQ(wcsncat_s(sbuf, 6, L"xyz", _TRUNCATE), STRUNCATE);
    CHECK_W(sbuf, "abcdx");
    wcscpy_s(sbuf, 8, L"ab");
    check_invalid(ncat_s_range, ERANGE, "wcsncat_s");
}

/* ---- C-5: the wide printf forms ---------------------------------------------------------------- */

static void swprintf_s_range(void *a)
{
    (void)a;
    swprintf_s(sbuf, 4, L"%d", 12345);
}

TEST(wide_printf_forms)
{
    WCHAR b[8];
    /* In a wide format %s takes a wide string, %hs a narrow one, %S a narrow one. */
    CHECK_EQ(swprintf_s(b, 8, L"%s-%hs", L"ab", "cd"), 5);
    CHECK_W(b, "ab-cd");
    CHECK_EQ(swprintf_s(b, 8, L"%S%c%C", "xy", L'z', 'w'), 4);
    CHECK_W(b, "xyzw");
    sbuf[0] = 'q';
    check_invalid(swprintf_s_range, ERANGE, "swprintf_s");
    CHECK_EQ(sbuf[0], 0);

    /* _snwprintf: fits -> NUL; exactly count -> no NUL, count; more -> no NUL, -1. */
    for (size_t i = 0; i < 8; i++)
        b[i] = 0x7777;
    CHECK_EQ(_snwprintf(b, 8, L"%d", 42), 2);
    CHECK_W(b, "42");
    for (size_t i = 0; i < 8; i++)
        b[i] = 0x7777;
    CHECK_EQ(_snwprintf(b, 3, L"abc"), 3);
    CHECK(b[0] == 'a' && b[2] == 'c' && b[3] == 0x7777);
    CHECK_EQ(_snwprintf(b, 3, L"abcd"), -1);
    CHECK(b[2] == 'c' && b[3] == 0x7777);
    CHECK_EQ(_snwprintf(NULL, 0, L"%d", 1234), 4);

    /* swprintf (count form): truncated output is terminated and -1 returned. */
    CHECK_EQ(swprintf(b, 8, L"%x", 255u), 2);
    CHECK_W(b, "ff");
    CHECK_EQ(swprintf(b, 3, L"abcd"), -1);
    CHECK_W(b, "ab");
}

/* ---- C-6: case and classes --------------------------------------------------------------------- */

TEST(case_and_classes)
{
    CHECK_EQ(towupper('a'), 'A');
    CHECK_EQ(towupper('z'), 'Z');
    CHECK_EQ(towupper('A'), 'A');
    CHECK_EQ(towupper('{'), '{');
    CHECK_EQ(towupper(0xE9), 0xE9); /* C locale: ASCII only */
    CHECK_EQ(towlower('Q'), 'q');
    CHECK_EQ(towlower('@'), '@');
    CHECK(iswspace(' ') && iswspace('\t') && iswspace('\r') && !iswspace('x') && !iswspace(0xA0));
    CHECK(iswdigit('0') && iswdigit('9') && !iswdigit('a') && !iswdigit(0x0660));
    CHECK(iswalpha('a') && iswalpha('Z') && !iswalpha('1') && !iswalpha(0xE9));
    CHECK(iswxdigit('f') && iswxdigit('F') && !iswxdigit('g'));
    CHECK(iswalnum('7') && !iswalnum('-'));
    CHECK(iswupper('A') && !iswupper('a') && iswlower('a') && !iswlower('A'));
    WCHAR b[8];
    wcscpy_s(b, 8, L"aBc\x00E9");
    CHECK(_wcsupr(b) == b);
    CHECK(b[0] == 'A' && b[1] == 'B' && b[2] == 'C' && b[3] == 0xE9);
    _wcslwr(b);
    CHECK(b[0] == 'a' && b[1] == 'b' && b[2] == 'c' && b[3] == 0xE9);
}

/* ---- C-7, C-8: numbers ------------------------------------------------------------------------- */

static WCHAR nbuf[4];
static void itow_range(void *a) { (void)a; _itow_s(12345, nbuf, 4, 10); }
static void itow_radix(void *a) { (void)a; _itow_s(1, nbuf, 4, 1); }

TEST(numbers)
{
    WCHAR *end;
    const WCHAR *s = L"  -123xyz";
    CHECK_EQ(wcstol(s, &end, 10), -123);
    CHECK(end == s + 6);
    CHECK_EQ(wcstol(L"0x1F", NULL, 0), 31);
    CHECK_EQ(wcstol(L"017", NULL, 0), 15);
    CHECK_EQ(wcstol(L"ff", NULL, 16), 255);
    CHECK_EQ((unsigned)wcstol(L"2147483648", NULL, 10), 0x7FFFFFFFu);
    CHECK_EQ((unsigned)wcstol(L"-2147483648", NULL, 10), 0x80000000u);
    CHECK_EQ((unsigned)wcstol(L"-2147483649", NULL, 10), 0x80000000u);
    CHECK_EQ(wcstoul(L"4294967295", NULL, 10), 0xFFFFFFFFu);
    CHECK_EQ(wcstoul(L"4294967296", NULL, 10), 0xFFFFFFFFu); /* 32 bits: long is 32 bits here */
    CHECK_EQ(wcstoul(L"-1", NULL, 10), 0xFFFFFFFFu);
    s = L"xyz";
    CHECK_EQ(wcstoul(s, &end, 10), 0);
    CHECK(end == s);
    WCHAR b[40];
    CHECK_EQ(_itow_s(-42, b, 40, 10), 0);
    CHECK_W(b, "-42");
    CHECK_EQ(_itow_s(-1, b, 40, 16), 0);
    CHECK_W(b, "ffffffff");
    CHECK_EQ(_ultow_s(0xFFFFFFFFu, b, 40, 2), 0);
    CHECK_EQ(wcslen(b), 32);
    CHECK_EQ(_itow_s(123, nbuf, 4, 10), 0); /* three digits and the NUL fit */
    CHECK_W(nbuf, "123");
    check_invalid(itow_range, ERANGE, "_itow_s");
    CHECK_EQ(nbuf[0], 0);
    check_invalid(itow_radix, EINVAL, "_itow_s");
}

/* ---- U-25, U-29: ntstrsafe toggles and a driver's lower limit ----------------------------------- */

/* With NTSTRSAFE_NO_CB_FUNCTIONS the Cb group is not declared: this file may use a name of it. */
static int RtlStringCbCopyW(int x) { return x + 1; }

TEST(strsafe_toggles_and_driver_limits)
{
    CHECK_EQ(RtlStringCbCopyW(1), 2);
    UNICODE_STRING u;
    CHECK_EQ(RtlUnicodeStringInit(&u, L"0123456789abcde"), STATUS_SUCCESS); /* 15 characters */
    CHECK_EQ(u.Length, 30);
    CHECK_EQ(RtlUnicodeStringInit(&u, L"0123456789abcdef"), STATUS_INVALID_PARAMETER); /* 16 */
    WCHAR b[17] = {0};
    UNICODE_STRING big = {32, 34, b};
    CHECK_EQ(RtlUnicodeStringValidate(&big), STATUS_INVALID_PARAMETER); /* MaximumLength above 16 x 2 */
    WCHAR c[4];
    CHECK_EQ(RtlStringCchCopyW(c, 4, L"ab"), STATUS_SUCCESS); /* the Cch group is still there */
}

/* ---- C-3, C-5, C-7: the remaining invalid-parameter cases ---------------------------------------- */

static void ncpy_s_null_dest(void *a) { (void)a; wcsncpy_s(NULL, 4, L"x", 1); }
static void ncpy_s_null_src(void *a) { (void)a; wcsncpy_s(sbuf, 8, NULL, 1); }
static void cat_s_null_dest(void *a) { (void)a; wcscat_s(NULL, 0, L"x"); }
static void cat_s_null_src(void *a) { (void)a; wcscat_s(sbuf, 8, NULL); }
static void swprintf_s_null_buf(void *a) { (void)a; swprintf_s(NULL, 4, L"x"); }
static void swprintf_s_null_fmt(void *a) { (void)a; swprintf_s(sbuf, 8, NULL); }
static void vsnwprintf_null_fmt(void *a) { (void)a; _snwprintf(sbuf, 8, NULL); }
static void swprintf_null_buf(void *a) { (void)a; swprintf(NULL, 8, L"x"); }
static void itow_null_buf(void *a) { (void)a; _ultow_s(1, NULL, 4, 10); }

TEST(invalid_parameter_paths)
{
    check_invalid(ncpy_s_null_dest, EINVAL, "wcsncpy_s");
    check_invalid(ncpy_s_null_src, EINVAL, "wcsncpy_s");
    check_invalid(cat_s_null_dest, EINVAL, "wcscat_s");
    wcscpy_s(sbuf, 8, L"ab");
    check_invalid(cat_s_null_src, EINVAL, "wcscat_s");
    CHECK_EQ(sbuf[0], 0);
    CHECK_EQ(wcsncat_s(NULL, 0, NULL, 0), 0);
    wcscpy_s(sbuf, 8, L"ab");
    CHECK_EQ(wcsncat_s(sbuf, 8, NULL, 0), 0);
    CHECK_W(sbuf, "ab");
    check_invalid(swprintf_s_null_buf, EINVAL, "swprintf_s");
    check_invalid(swprintf_s_null_fmt, EINVAL, "swprintf_s");
    check_invalid(vsnwprintf_null_fmt, EINVAL, "_vsnwprintf");
    check_invalid(swprintf_null_buf, EINVAL, "swprintf");
    check_invalid(itow_null_buf, EINVAL, "_ultow_s");
    WCHAR *end = NULL;
    const WCHAR *s = L"12";
    CHECK_EQ(wcstoul(s, &end, 1), 0); /* base 1 is no base */
    CHECK(end == s);
    CHECK_EQ(wcstoul(s, &end, 37), 0);
    WCHAR b[8];
    CHECK_EQ(_snwprintf(b, 8, L"%Lx", 0x123456789ull), -1); /* L: 64 bits, nine digits */
    CHECK_EQ(_snwprintf(b, 8, L"%Lx", 0x1234567ull), 7);
    CHECK_W(b, "1234567");
}

/* ---- C-14: Microsoft's narrow additions ---------------------------------------------------------- */

static char nsb[6];
static void strcpy_s_range(void *a) { (void)a; strcpy_s(nsb, 3, "abc"); }
static void strcat_s_range(void *a) { (void)a; strcat_s(nsb, 4, "cd"); }
static void sprintf_s_range(void *a) { (void)a; sprintf_s(nsb, 3, "%d", 100); }
static void strncpy_s_null(void *a) { (void)a; strncpy_s(NULL, 3, "a", 1); }

TEST(narrow_additions)
{
    CHECK_EQ(_stricmp("HeLLo", "hello"), 0);
    CHECK(_stricmp("a", "B") < 0);
    CHECK(_stricmp("_", "A") < 0);
    CHECK_EQ(_strnicmp("ABCx", "abcy", 3), 0);
    CHECK(_strnicmp("ABCx", "abcy", 4) < 0);
    char s[8] = "aB\xE9z";
    CHECK(_strupr(s) == s && !strcmp(s, "AB\xE9Z"));
    CHECK(_strlwr(s) == s && !strcmp(s, "ab\xE9z"));
    CHECK_EQ(strcpy_s(nsb, 6, "abc"), 0);
    CHECK(!strcmp(nsb, "abc"));
    CHECK_EQ(strcat_s(nsb, 6, "de"), 0);
    CHECK(!strcmp(nsb, "abcde"));
    CHECK_EQ(strncpy_s(nsb, 6, "xyzuvw", _TRUNCATE), STRUNCATE);
    CHECK(!strcmp(nsb, "xyzuv"));
    CHECK_EQ(strncpy_s(nsb, 6, "xyz", 2), 0);
    CHECK(!strcmp(nsb, "xy"));
    CHECK_EQ(strncat_s(nsb, 6, "1234", _TRUNCATE), STRUNCATE);
    CHECK(!strcmp(nsb, "xy123"));
    CHECK_EQ(strncpy_s(NULL, 0, NULL, 0), 0);
    nsb[0] = 'q';
    check_invalid(strcpy_s_range, ERANGE, "strcpy_s");
    CHECK_EQ(nsb[0], 0);
    strcpy_s(nsb, 6, "ab");
    check_invalid(strcat_s_range, ERANGE, "strcat_s");
    check_invalid(sprintf_s_range, ERANGE, "sprintf_s");
    check_invalid(strncpy_s_null, EINVAL, "strncpy_s");
    /* The formatter's Microsoft conversions, not the host's. */
    UNICODE_STRING u = RTL_CONSTANT_STRING(L"dev");
    char b[16];
    CHECK_EQ(sprintf_s(b, sizeof b, "%wZ:%ws:%I64x", &u, L"w", 0x10ull), 8);
    CHECK(!strcmp(b, "dev:w:10"));
    CHECK_EQ(_snprintf(b, 3, "abc"), 3);
    CHECK(b[0] == 'a' && b[2] == 'c');
    CHECK_EQ(_snprintf(b, 3, "abcd"), -1);
    CHECK_EQ(_snprintf(b, 16, "%S", L"x"), 1);
    CHECK(!strcmp(b, "x"));
}

/* ---- C-15: memory over WCHAR units, spans, classes; the names kfault maps but does not model ------ */

static void call_wcstok(void *a)
{
    WCHAR s[4] = {'a', ',', 'b', 0};
    WCHAR *ctx = NULL;
    (void)a;
    wcstok(s, L",", &ctx);
}
static void call_mbstowcs(void *a)
{
    WCHAR d[4];
    (void)a;
    mbstowcs(d, "ab", 4);
}

TEST(wmem_spans_and_unmodeled_names)
{
    WCHAR a[4] = {1, 2, 3, 0xFFFF}, b[4];
    CHECK(wmemcpy(b, a, 4) == b && b[3] == 0xFFFF);
    CHECK_EQ(wmemcmp(a, b, 4), 0);
    b[1] = 9;
    CHECK(wmemcmp(a, b, 4) < 0);
    CHECK(wmemcmp(b, a, 1) == 0);
    CHECK(wmemchr(a, 3, 4) == a + 2);
    CHECK(wmemchr(a, 3, 2) == NULL);
    CHECK(wmemset(b, 'z', 3) == b && b[0] == 'z' && b[2] == 'z' && b[3] == 0xFFFF);
    CHECK(wmemmove(a + 1, a, 3) == a + 1 && a[1] == 1 && a[3] == 3);
    CHECK(wmemcmp(L"\xFFFF", L"a", 1) > 0); /* units compare unsigned */
    const WCHAR *s = L"aab,c";
    CHECK_EQ(wcsspn(s, L"ab"), 3);
    CHECK_EQ(wcscspn(s, L",c"), 3);
    CHECK(wcspbrk(s, L"c,") == s + 3);
    CHECK(wcspbrk(s, L"xy") == NULL);
    CHECK(iswprint(' ') && !iswprint('\n') && iswgraph('!') && !iswgraph(' '));
    CHECK(iswpunct(',') && !iswpunct('a') && iswcntrl(0x7F) && !iswcntrl('a'));
    CHECK(_wtoi(L" -42z") == -42);
    CHECK_EQ(_wtol(L"7"), 7);
    kf_stop st;
    CHECK(kft_stops(call_wcstok, NULL, &st));
    CHECK_EQ(st.param[0], 0x1009);
    CHECK(!strcmp(st.routine, "kf_wcstok"));
    CHECK(kft_stops(call_mbstowcs, NULL, &st));
    CHECK_EQ(st.param[0], 0x1009);
}
