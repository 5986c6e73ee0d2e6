/*
 * test_strsafe.c - ntstrsafe.h (rules U-20 .. U-27 of model/SEMANTICS.md): the C-string copy, cat,
 * printf and length forms with their statuses and truncation, the Ex flags, the UNICODE_STRING
 * forms; and ntintsafe.h (U-28): every helper at the boundaries of its type, against a reference
 * computed in wider arithmetic.
 */
#include "kft.h"
#include <ntddk.h>
#include <ntintsafe.h>
#include <ntstrsafe.h>

#include <stdlib.h>
#include <string.h>

static int weq(const WCHAR *w, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (w[i] != (WCHAR)(unsigned char)s[i])
            return 0;
    return w[i] == 0;
}
static int ueq(const UNICODE_STRING *u, const char *s)
{
    if (u->Length != 2 * strlen(s))
        return 0;
    for (size_t i = 0; s[i]; i++)
        if (u->Buffer[i] != (WCHAR)(unsigned char)s[i])
            return 0;
    return 1;
}
#define CHECK_W(w, s) (weq((w), (s)) ? kft_pass() : kft_fail(__FILE__, __LINE__, "wide string is not \"%s\"", (s)))
#define CHECK_U(u, s) (ueq((u), (s)) ? kft_pass() : kft_fail(__FILE__, __LINE__, "UNICODE_STRING is not \"%s\"", (s)))

static void fill(WCHAR *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = 0x7777;
}

/* ---- U-20, U-27: copy ----------------------------------------------------------------------------- */

static void copy_null_dest(void *a) { (void)a; RtlStringCchCopyW(NULL, 4, L"x"); }
static void copy_null_src(void *a) { WCHAR b[4]; (void)a; RtlStringCchCopyW(b, 4, NULL); }

TEST(copy_forms)
{
    WCHAR b[6];
    fill(b, 6);
    CHECK_EQ(RtlStringCchCopyW(b, 5, L"abcd"), STATUS_SUCCESS); /* exactly fits */
    CHECK_W(b, "abcd");
    CHECK_EQ(b[5], 0x7777);
    fill(b, 6);
    CHECK_EQ(RtlStringCchCopyW(b, 4, L"abcdef"), STATUS_BUFFER_OVERFLOW);
    CHECK_W(b, "abc"); /* truncated and NUL-terminated */
    CHECK_EQ(b[4], 0x7777);
    CHECK_EQ(RtlStringCchCopyW(b, 0, L"a"), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchCopyW(b, (size_t)NTSTRSAFE_MAX_CCH + 1, L"a"), STATUS_INVALID_PARAMETER);
    fill(b, 6);
    CHECK_EQ(RtlStringCbCopyW(b, 7, L"abcdef"), STATUS_BUFFER_OVERFLOW); /* 7 bytes: 3 characters */
    CHECK_W(b, "ab");
    CHECK_EQ(RtlStringCbCopyW(b, 1, L""), STATUS_INVALID_PARAMETER); /* less than one character */
    CHECK_EQ(RtlStringCchCopyNW(b, 6, L"abcdef", 2), STATUS_SUCCESS);
    CHECK_W(b, "ab");
    CHECK_EQ(RtlStringCbCopyNW(b, 12, L"abcdef", 6), STATUS_SUCCESS);
    CHECK_W(b, "abc");
    CHECK_EQ(RtlStringCchCopyNW(b, 3, L"abcdef", 4), STATUS_BUFFER_OVERFLOW);
    CHECK_W(b, "ab");
    CHECK_EQ(RtlStringCchCopyNW(b, 6, L"abc", (size_t)NTSTRSAFE_MAX_CCH), STATUS_INVALID_PARAMETER);
    CHECK_EQ(b[0], 0);
    char n[4];
    CHECK_EQ(RtlStringCbCopyA(n, 4, "xyz"), STATUS_SUCCESS);
    CHECK(!strcmp(n, "xyz"));
    CHECK_EQ(RtlStringCchCopyA(n, 3, "xyz"), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(n, "xy"));
    CHECK_EQ(RtlStringCchCopyNA(n, 4, "hello", 1), STATUS_SUCCESS);
    CHECK(!strcmp(n, "h"));
    CHECK_EQ(RtlStringCbCopyNA(n, 4, "hello", 5), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(n, "hel"));
    kf_stop st;
    CHECK(kft_stops(copy_null_dest, NULL, &st));
    CHECK_EQ(st.param[0], 0x3207);
    CHECK(kft_stops(copy_null_src, NULL, &st));
    CHECK_EQ(st.param[0], 0x3207);
}

/* ---- U-21: cat ----------------------------------------------------------------------------------- */

TEST(cat_forms)
{
    WCHAR b[6];
    fill(b, 6);
    RtlStringCchCopyW(b, 6, L"ab");
    CHECK_EQ(RtlStringCchCatW(b, 6, L"cd"), STATUS_SUCCESS);
    CHECK_W(b, "abcd");
    CHECK_EQ(RtlStringCchCatW(b, 6, L"efg"), STATUS_BUFFER_OVERFLOW);
    CHECK_W(b, "abcde");
    /* Full: no NUL within the size. */
    fill(b, 6);
    CHECK_EQ(RtlStringCchCatW(b, 6, L"x"), STATUS_INVALID_PARAMETER);
    RtlStringCbCopyW(b, sizeof b, L"a");
    CHECK_EQ(RtlStringCbCatW(b, sizeof b, L"bc"), STATUS_SUCCESS);
    CHECK_W(b, "abc");
    CHECK_EQ(RtlStringCchCatNW(b, 6, L"xyz", 1), STATUS_SUCCESS);
    CHECK_W(b, "abcx");
    CHECK_EQ(RtlStringCbCatNW(b, 12, L"yz", 4), STATUS_BUFFER_OVERFLOW); /* room for one */
    CHECK_W(b, "abcxy");
    char n[5] = "ab";
    CHECK_EQ(RtlStringCchCatA(n, 5, "cd"), STATUS_SUCCESS);
    CHECK(!strcmp(n, "abcd"));
    CHECK_EQ(RtlStringCbCatA(n, 5, "e"), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(n, "abcd"));
}

/* ---- U-22: printf -------------------------------------------------------------------------------- */

TEST(printf_forms)
{
    WCHAR b[8];
    fill(b, 8);
    CHECK_EQ(RtlStringCbPrintfW(b, sizeof b, L"%s=%d", L"ab", 42), STATUS_SUCCESS);
    CHECK_W(b, "ab=42");
    fill(b, 8);
    CHECK_EQ(RtlStringCchPrintfW(b, 4, L"%x", 0x12345u), STATUS_BUFFER_OVERFLOW);
    CHECK_W(b, "123");
    CHECK_EQ(b[4], 0x7777);
    CHECK_EQ(RtlStringCchPrintfW(b, 4, L"abc"), STATUS_SUCCESS); /* exactly fits */
    CHECK_EQ(RtlStringCchPrintfW(b, 0, L"abc"), STATUS_INVALID_PARAMETER);
    char n[6];
    CHECK_EQ(RtlStringCbPrintfA(n, sizeof n, "%s%u", "v", 1234u), STATUS_SUCCESS);
    CHECK(!strcmp(n, "v1234"));
    CHECK_EQ(RtlStringCchPrintfA(n, 3, "%d", -100), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(n, "-1"));
    UNICODE_STRING u = RTL_CONSTANT_STRING(L"nm");
    CHECK_EQ(RtlStringCbPrintfA(n, sizeof n, "<%wZ>", &u), STATUS_SUCCESS);
    CHECK(!strcmp(n, "<nm>"));
}

/* ---- U-23: length -------------------------------------------------------------------------------- */

TEST(length_forms)
{
    size_t n = 99;
    CHECK_EQ(RtlStringCchLengthW(L"abc", 4, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 3);
    CHECK_EQ(RtlStringCchLengthW(L"abc", 3, &n), STATUS_INVALID_PARAMETER); /* no NUL within 3 */
    CHECK_EQ(n, 0);
    CHECK_EQ(RtlStringCbLengthW(L"abc", 8, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 6);
    CHECK_EQ(RtlStringCbLengthW(L"abc", 7, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchLengthW(NULL, 4, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchLengthW(L"a", (size_t)NTSTRSAFE_MAX_CCH + 1, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchLengthA("ab", 3, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 2);
    CHECK_EQ(RtlStringCbLengthA("ab", 2, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCbLengthA("ab", 3, NULL), STATUS_SUCCESS);
}

/* ---- U-24: the Ex forms -------------------------------------------------------------------------- */

TEST(ex_flags)
{
    WCHAR b[6], *end = NULL;
    size_t rem = 0;
    CHECK_EQ(RtlStringCchCopyExW(b, 6, NULL, &end, &rem, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    CHECK(b[0] == 0 && end == b && rem == 6);
    CHECK_EQ(RtlStringCchCopyExW(NULL, 0, L"", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    CHECK_EQ(RtlStringCchCopyExW(NULL, 0, L"a", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchCopyExW(b, 0, L"a", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(RtlStringCchCopyExW(b, 6, L"ab", &end, &rem, 0), STATUS_SUCCESS);
    CHECK(end == b + 2 && rem == 4);
    CHECK_EQ(RtlStringCbCopyExW(b, sizeof b, L"ab", &end, &rem, 0), STATUS_SUCCESS);
    CHECK(end == b + 2 && rem == 8); /* bytes */
    /* FILL_BEHIND_NULL: the rest of the buffer gets the fill byte. */
    fill(b, 6);
    CHECK_EQ(RtlStringCchCopyExW(b, 6, L"ab", NULL, NULL, STRSAFE_FILL_BYTE(0x41)), STATUS_SUCCESS);
    CHECK(b[2] == 0 && b[3] == 0x4141 && b[5] == 0x4141);
    /* On failure: fill, empty, or the original kept (NO_TRUNCATION). */
    CHECK_EQ(RtlStringCchCopyExW(b, 3, L"abcd", &end, &rem, STRSAFE_FAILURE_BYTE(0x42)), STATUS_BUFFER_OVERFLOW);
    CHECK(b[0] == 0x4242 && b[1] == 0x4242 && b[2] == 0 && end == b + 2 && rem == 1);
    CHECK_EQ(RtlStringCchCopyExW(b, 3, L"abcd", &end, &rem, STRSAFE_NULL_ON_FAILURE), STATUS_BUFFER_OVERFLOW);
    CHECK(b[0] == 0 && end == b && rem == 3);
    RtlStringCchCopyW(b, 6, L"ab");
    CHECK_EQ(RtlStringCchCatExW(b, 6, L"cdef", &end, &rem, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
    CHECK_W(b, "ab");
    CHECK(end == b + 2 && rem == 4);
    CHECK_EQ(RtlStringCchCatExW(b, 6, L"cd", &end, &rem, 0), STATUS_SUCCESS);
    CHECK(end == b + 4 && rem == 2);
    CHECK_EQ(RtlStringCbCatExW(b, sizeof b, L"e", &end, &rem, 0), STATUS_SUCCESS);
    CHECK(end == b + 5 && rem == 2);
    CHECK_EQ(RtlStringCchCopyExW(b, 6, L"a", NULL, NULL, 0x80000000u), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchPrintfExW(b, 6, &end, &rem, 0, L"%d", 12), STATUS_SUCCESS);
    CHECK(end == b + 2 && rem == 4);
    CHECK_W(b, "12");
    CHECK_EQ(RtlStringCchPrintfExW(b, 6, &end, &rem, STRSAFE_IGNORE_NULLS, NULL), STATUS_SUCCESS);
    CHECK(b[0] == 0);
}

/* ---- U-25, U-26: UNICODE_STRING forms (UNCONFIRMED 12 decided: 32767 characters) ------------------ */

TEST(unicode_string_init_validate)
{
    UNICODE_STRING u;
    CHECK_EQ(NTSTRSAFE_UNICODE_STRING_MAX_CCH, 32767);
    CHECK_EQ(RtlUnicodeStringInit(&u, L"abc"), STATUS_SUCCESS);
    CHECK(u.Length == 6 && u.MaximumLength == 8);
    CHECK_EQ(RtlUnicodeStringInit(&u, NULL), STATUS_SUCCESS);
    CHECK(u.Length == 0 && u.MaximumLength == 0 && u.Buffer == NULL);
    WCHAR *big = malloc(32768 * sizeof(WCHAR));
    for (size_t i = 0; i < 32767; i++)
        big[i] = 'x';
    big[32767] = 0;
    CHECK_EQ(RtlUnicodeStringInit(&u, big), STATUS_INVALID_PARAMETER);
    CHECK(u.Length == 0 && u.Buffer == NULL);
    big[32766] = 0;
    CHECK_EQ(RtlUnicodeStringInit(&u, big), STATUS_SUCCESS);
    CHECK(u.Length == 65532 && u.MaximumLength == 65534);
    CHECK_EQ(RtlUnicodeStringValidate(&u), STATUS_SUCCESS);
    free(big);
    CHECK_EQ(RtlUnicodeStringInitEx(NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    CHECK_EQ(RtlUnicodeStringInitEx(NULL, L"a", STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlUnicodeStringInitEx(&u, L"a", STRSAFE_FILL_BEHIND_NULL), STATUS_INVALID_PARAMETER);

    WCHAR b[4];
    UNICODE_STRING v = {2, 8, b};
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_SUCCESS);
    v.Length = 3;
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
    v.Length = 2, v.MaximumLength = 7;
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
    v.Length = 10, v.MaximumLength = 8;
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
    v.Length = 0, v.MaximumLength = 8, v.Buffer = NULL;
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_INVALID_PARAMETER);
    v.MaximumLength = 0;
    CHECK_EQ(RtlUnicodeStringValidate(&v), STATUS_SUCCESS);
    CHECK_EQ(RtlUnicodeStringValidate(NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlUnicodeStringValidateEx(NULL, STRSAFE_IGNORE_NULL_UNICODE_STRINGS), STATUS_SUCCESS);
    CHECK_EQ(RtlUnicodeStringValidateEx(&v, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    /* A driver's lower limit (passed by the header's inline routines). */
    v.Buffer = b, v.Length = 2, v.MaximumLength = 8;
    CHECK_EQ(kf__us_validate(&v, 0, 3, 0), STATUS_INVALID_PARAMETER);
    CHECK_EQ(kf__us_validate(&v, 0, 4, 0), STATUS_SUCCESS);
}

TEST(unicode_string_copy_cat_printf)
{
    WCHAR b[5];
    fill(b, 5);
    UNICODE_STRING d = {0, 8, b}, s = RTL_CONSTANT_STRING(L"abc"), l = RTL_CONSTANT_STRING(L"longer");
    CHECK_EQ(RtlUnicodeStringCopy(&d, &s), STATUS_SUCCESS);
    CHECK_U(&d, "abc");
    CHECK_EQ(b[3], 0x7777); /* no NUL added */
    CHECK_EQ(RtlUnicodeStringCopy(&d, &l), STATUS_BUFFER_OVERFLOW);
    CHECK_U(&d, "long"); /* filled to MaximumLength */
    CHECK_EQ(b[4], 0x7777);
    CHECK_EQ(RtlUnicodeStringCopyString(&d, L"xy"), STATUS_SUCCESS);
    CHECK_U(&d, "xy");
    CHECK_EQ(RtlUnicodeStringCatString(&d, L"z"), STATUS_SUCCESS);
    CHECK_U(&d, "xyz");
    CHECK_EQ(RtlUnicodeStringCat(&d, &s), STATUS_BUFFER_OVERFLOW);
    CHECK_U(&d, "xyza");
    CHECK_EQ(RtlUnicodeStringCatString(&d, L""), STATUS_SUCCESS);
    CHECK_EQ(RtlUnicodeStringCatString(&d, L"q"), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(RtlUnicodeStringCopyString(&d, L"abcdefgh"), STATUS_BUFFER_OVERFLOW);
    CHECK_U(&d, "abcd");
    UNICODE_STRING bad = {3, 8, b};
    CHECK_EQ(RtlUnicodeStringCopy(&bad, &s), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlUnicodeStringCopy(&d, &bad), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlUnicodeStringCat(&d, &bad), STATUS_INVALID_PARAMETER);
    fill(b, 5);
    CHECK_EQ(RtlUnicodeStringPrintf(&d, L"%d-%s", 7, L"x"), STATUS_SUCCESS);
    CHECK_U(&d, "7-x");
    CHECK_EQ(b[3], 0x7777);
    CHECK_EQ(RtlUnicodeStringPrintf(&d, L"%d", 123456), STATUS_BUFFER_OVERFLOW);
    CHECK_U(&d, "1234");
    CHECK_EQ(b[4], 0x7777);
}

/* ---- U-28: ntintsafe at the boundaries ------------------------------------------------------------ */

static const unsigned long long u_edges[] = {0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF,
                                             0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF,
                                             0x100000000ull, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
                                             0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull};
#define N_EDGES (sizeof u_edges / sizeof u_edges[0])

/* Unsigned arithmetic over every pair of edges that fit the type, against 128-bit arithmetic. */
#define CHECK_UNSIGNED_ARITH(T, MAXV, ERR, Add, Sub, Mult)                                          \
    do {                                                                                            \
        for (size_t i = 0; i < N_EDGES; i++)                                                        \
            for (size_t j = 0; j < N_EDGES; j++) {                                                  \
                if (u_edges[i] > (MAXV) || u_edges[j] > (MAXV))                                     \
                    continue;                                                                       \
                T a = (T)u_edges[i], b = (T)u_edges[j], r;                                          \
                unsigned __int128 wa = a, wb = b;                                                   \
                unsigned __int128 ws = wa + wb, wm = wa * wb;                                       \
                NTSTATUS s = Add(a, b, &r);                                                         \
                CHECK_EQ(s, ws > (MAXV) ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);                \
                CHECK_EQ(r, ws > (MAXV) ? (T)(ERR) : (T)ws);                                        \
                s = Sub(a, b, &r);                                                                  \
                CHECK_EQ(s, a < b ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);                      \
                CHECK_EQ(r, a < b ? (T)(ERR) : (T)(a - b));                                         \
                s = Mult(a, b, &r);                                                                 \
                CHECK_EQ(s, wm > (MAXV) ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);                \
                CHECK_EQ(r, wm > (MAXV) ? (T)(ERR) : (T)wm);                                        \
            }                                                                                       \
    } while (0)

TEST(intsafe_unsigned_boundaries)
{
    CHECK_UNSIGNED_ARITH(USHORT, 0xFFFFull, USHORT_ERROR, RtlUShortAdd, RtlUShortSub, RtlUShortMult);
    CHECK_UNSIGNED_ARITH(ULONG, 0xFFFFFFFFull, ULONG_ERROR, RtlULongAdd, RtlULongSub, RtlULongMult);
    CHECK_UNSIGNED_ARITH(UINT, 0xFFFFFFFFull, UINT_ERROR, RtlUIntAdd, RtlUIntSub, RtlUIntMult);
    CHECK_UNSIGNED_ARITH(DWORD, 0xFFFFFFFFull, DWORD_ERROR, RtlDWordAdd, RtlDWordSub, RtlDWordMult);
    CHECK_UNSIGNED_ARITH(ULONGLONG, 0xFFFFFFFFFFFFFFFFull, ULONGLONG_ERROR, RtlULongLongAdd, RtlULongLongSub,
                         RtlULongLongMult);
    CHECK_UNSIGNED_ARITH(SIZE_T, (unsigned long long)(SIZE_T)-1, SIZET_ERROR, RtlSizeTAdd, RtlSizeTSub,
                         RtlSizeTMult);
    CHECK_UNSIGNED_ARITH(ULONG_PTR, (unsigned long long)(ULONG_PTR)-1, ULONG_PTR_ERROR, RtlULongPtrAdd,
                         RtlULongPtrSub, RtlULongPtrMult);
    SIZE_T r;
    CHECK_EQ(RtlSIZETAdd(1, 2, &r), STATUS_SUCCESS);
    CHECK_EQ(r, 3);
    CHECK_EQ(ULONG_ERROR, 0xFFFFFFFFu);
}

static const long long s_edges[] = {0, 1, -1, 2, -2, 0x7F, -0x80, 0x7FFF, -0x8000, 0x7FFFFFFF, -0x7FFFFFFF - 1,
                                    0x40000000, -0x40000000, 0x7FFFFFFFFFFFFFFFll, -0x7FFFFFFFFFFFFFFFll - 1,
                                    0x4000000000000000ll, 46341, -46341};
#define N_SEDGES (sizeof s_edges / sizeof s_edges[0])

#define CHECK_SIGNED_ARITH(T, MINV, MAXV, Add, Sub, Mult)                                           \
    do {                                                                                            \
        for (size_t i = 0; i < N_SEDGES; i++)                                                       \
            for (size_t j = 0; j < N_SEDGES; j++) {                                                 \
                if (s_edges[i] < (MINV) || s_edges[i] > (MAXV) || s_edges[j] < (MINV) || s_edges[j] > (MAXV)) \
                    continue;                                                                       \
                T a = (T)s_edges[i], b = (T)s_edges[j], r;                                          \
                __int128 ws = (__int128)a + b, wd = (__int128)a - b, wm = (__int128)a * b;          \
                int os = ws < (MINV) || ws > (MAXV), od = wd < (MINV) || wd > (MAXV),               \
                    om = wm < (MINV) || wm > (MAXV);                                                \
                CHECK_EQ(Add(a, b, &r), os ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);             \
                CHECK_EQ(r, os ? (T)-1 : (T)ws);                                                    \
                CHECK_EQ(Sub(a, b, &r), od ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);             \
                CHECK_EQ(r, od ? (T)-1 : (T)wd);                                                    \
                CHECK_EQ(Mult(a, b, &r), om ? STATUS_INTEGER_OVERFLOW : STATUS_SUCCESS);            \
                CHECK_EQ(r, om ? (T)-1 : (T)wm);                                                    \
            }                                                                                       \
    } while (0)

TEST(intsafe_signed_boundaries)
{
    CHECK_SIGNED_ARITH(SHORT, -0x8000ll, 0x7FFFll, RtlShortAdd, RtlShortSub, RtlShortMult);
    CHECK_SIGNED_ARITH(LONG, -0x80000000ll, 0x7FFFFFFFll, RtlLongAdd, RtlLongSub, RtlLongMult);
    CHECK_SIGNED_ARITH(INT, -0x80000000ll, 0x7FFFFFFFll, RtlIntAdd, RtlIntSub, RtlIntMult);
    CHECK_SIGNED_ARITH(LONGLONG, (-0x7FFFFFFFFFFFFFFFll - 1), 0x7FFFFFFFFFFFFFFFll, RtlLongLongAdd, RtlLongLongSub,
                       RtlLongLongMult);
    CHECK_SIGNED_ARITH(LONG_PTR, (-0x7FFFFFFFFFFFFFFFll - 1), 0x7FFFFFFFFFFFFFFFll, RtlLongPtrAdd, RtlLongPtrSub,
                       RtlLongPtrMult);
    CHECK_EQ((ULONG)LONG_ERROR, 0xFFFFFFFFu);
}

TEST(intsafe_conversions)
{
    USHORT us;
    UCHAR uc;
    LONG l;
    ULONG ul;
    INT i;
    SIZE_T sz;
    CHECK_EQ(RtlULongToUShort(0xFFFF, &us), STATUS_SUCCESS);
    CHECK_EQ(us, 0xFFFF);
    CHECK_EQ(RtlULongToUShort(0x10000, &us), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(us, USHORT_ERROR);
    CHECK_EQ(RtlULongToUChar(0xFF, &uc), STATUS_SUCCESS);
    CHECK_EQ(RtlULongToUChar(0x100, &uc), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(uc, 0xFF);
    CHECK_EQ(RtlULongToLong(0x7FFFFFFF, &l), STATUS_SUCCESS);
    CHECK_EQ(RtlULongToLong(0x80000000u, &l), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(l, -1);
    CHECK_EQ(RtlULongToInt(0x80000000u, &i), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlUShortToUChar(0x100, &uc), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlLongToULong(0, &ul), STATUS_SUCCESS);
    CHECK_EQ(RtlLongToULong(-1, &ul), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(ul, ULONG_ERROR);
    CHECK_EQ(RtlLongToUShort(0x10000, &us), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlLongToUShort(-1, &us), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlLongToSizeT(-1, &sz), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(sz, SIZET_ERROR);
    CHECK_EQ(RtlIntToULong(5, &ul), STATUS_SUCCESS);
    CHECK_EQ(ul, 5);
    CHECK_EQ(RtlULongLongToULong(0xFFFFFFFFull, &ul), STATUS_SUCCESS);
    CHECK_EQ(RtlULongLongToULong(0x100000000ull, &ul), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlULongLongToUShort(0x10000ull, &us), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlULongLongToLong(0x80000000ull, &l), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlULongLongToSizeT(0xFFFFFFFFFFFFFFFFull, &sz), STATUS_SUCCESS);
    CHECK_EQ(RtlLongLongToULong(-1, &ul), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlLongLongToULong(0xFFFFFFFFll, &ul), STATUS_SUCCESS);
    CHECK_EQ(RtlLongLongToLong(-0x80000000ll, &l), STATUS_SUCCESS);
    CHECK_EQ(RtlLongLongToLong(-0x80000001ll, &l), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlSizeTToULong(0x100000000ull, &ul), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlSizeTToULong(0xFFFFFFFFull, &ul), STATUS_SUCCESS);
    CHECK_EQ(RtlSizeTToUShort(0x10000, &us), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlSizeTToLong(0x80000000ull, &l), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlULongPtrToULong(0x100000000ull, &ul), STATUS_INTEGER_OVERFLOW);
    CHECK_EQ(RtlULongPtrToUShort(0xFFFF, &us), STATUS_SUCCESS);
}

/* ---- U-24, U-27: NULL arguments ------------------------------------------------------------------- */

static WCHAR nb[4];
static UNICODE_STRING nus = {0, 8, nb};
static void cat_null_src(void *a) { (void)a; RtlStringCchCatW(nb, 4, NULL); }
static void printf_null_fmt(void *a) { (void)a; RtlStringCchPrintfW(nb, 4, NULL); }
static void init_null_dest(void *a) { (void)a; RtlUnicodeStringInit(NULL, L"x"); }
static void us_cat_null(void *a) { (void)a; RtlUnicodeStringCatString(&nus, NULL); }
static void us_printf_null(void *a) { (void)a; RtlUnicodeStringPrintf(&nus, NULL); }

TEST(null_arguments_stop)
{
    kf_stop st;
    void (*fns[])(void *) = {cat_null_src, printf_null_fmt, init_null_dest, us_cat_null, us_printf_null};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        CHECK(kft_stops(fns[i], NULL, &st));
        CHECK_EQ(st.param[0], 0x3207);
    }
    WCHAR b[4];
    CHECK_EQ(RtlStringCchCatExW(b, 0, L"x", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_INVALID_PARAMETER);
    b[0] = 0;
    CHECK_EQ(RtlStringCchCatExW(b, 4, NULL, NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    CHECK_EQ(RtlStringCchPrintfExW(b, 0, NULL, NULL, STRSAFE_IGNORE_NULLS, L"x"), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(RtlStringCchPrintfExW(NULL, 0, NULL, NULL, STRSAFE_IGNORE_NULLS, L"x"), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchPrintfExW(NULL, 0, NULL, NULL, STRSAFE_IGNORE_NULLS, L""), STATUS_SUCCESS);
    CHECK_EQ(RtlStringCchCatNW(b, 4, L"x", (size_t)NTSTRSAFE_MAX_CCH), STATUS_INVALID_PARAMETER);
    CHECK_EQ(RtlStringCchPrintfW(b, (size_t)NTSTRSAFE_MAX_CCH + 1, L"x"), STATUS_INVALID_PARAMETER);
    UNICODE_STRING bad = {2, 1, b};
    CHECK_EQ(RtlUnicodeStringPrintf(&bad, L"x"), STATUS_INVALID_PARAMETER);
}

/* ---- U-20 .. U-24: the narrow Ex forms and the Cb printf Ex form ------------------------------------ */

static NTSTATUS vprintf_a(char *d, size_t cch, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    NTSTATUS s = RtlStringCchVPrintfA(d, cch, fmt, ap);
    va_end(ap);
    return s;
}

TEST(narrow_ex_forms)
{
    char b[6], *end = NULL;
    size_t rem = 0;
    CHECK_EQ(RtlStringCchCopyExA(b, 6, "abc", &end, &rem, 0), STATUS_SUCCESS);
    CHECK(end == b + 3 && rem == 3 && !strcmp(b, "abc"));
    CHECK_EQ(RtlStringCchCatExA(b, 6, "defg", &end, &rem, STRSAFE_NO_TRUNCATION), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(b, "abc") && end == b + 3);
    CHECK_EQ(RtlStringCchCatNA(b, 6, "xyz", 1), STATUS_SUCCESS);
    CHECK(!strcmp(b, "abcx"));
    CHECK_EQ(RtlStringCbCatNA(b, 6, "yz", 2), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(b, "abcxy"));
    CHECK_EQ(RtlStringCchPrintfExA(b, 6, &end, &rem, STRSAFE_FILL_BYTE('-'), "%d", 7), STATUS_SUCCESS);
    CHECK(!memcmp(b, "7\0----", 6) && end == b + 1 && rem == 5);
    CHECK_EQ(vprintf_a(b, 4, "%s", "hello"), STATUS_BUFFER_OVERFLOW);
    CHECK(!strcmp(b, "hel"));
    WCHAR w[4], *wend = NULL;
    CHECK_EQ(RtlStringCbPrintfExW(w, sizeof w, &wend, &rem, 0, L"%u", 12u), STATUS_SUCCESS);
    CHECK(wend == w + 2 && rem == 4 && w[0] == '1' && w[2] == 0);
    CHECK_EQ(RtlStringCbPrintfExW(w, sizeof w, &wend, &rem, STRSAFE_NULL_ON_FAILURE, L"%u", 12345u),
             STATUS_BUFFER_OVERFLOW);
    CHECK(w[0] == 0 && wend == w && rem == 8);
}
