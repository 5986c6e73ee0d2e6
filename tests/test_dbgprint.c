/*
 * test_dbgprint.c - DbgPrint / DbgPrintEx / vDbgPrintEx / KdPrint(Ex) and the one formatter they
 * share with the wide CRT and ntstrsafe (rules C-9 .. C-13 of model/SEMANTICS.md):
 * Microsoft's conversions and sizes, widths, precision and flags, the stops (floating point,
 * %n, unknown conversions, malformed counted strings, Unicode conversions above PASSIVE_LEVEL),
 * the 512-byte limit and the `dbgprint` option.
 *
 * Expected text is written out by hand; nothing is compared with the host's printf.
 */
#define _POSIX_C_SOURCE 200809L /* fileno, dup, dup2 */
#include "kft.h"
#include <ntddk.h>
#include <ntstrsafe.h>

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#define CHECK_STR(got, want)                                                                            \
    (!strcmp((got), (want)) ? kft_pass()                                                                \
                            : kft_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"", (got), (want)))

/* The formatter with narrow output (the path DbgPrint takes, without the IRQL rule). */
static char fbuf[700];
static const char *F(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    NTSTATUS s = RtlStringCbVPrintfA(fbuf, sizeof fbuf, fmt, ap);
    va_end(ap);
    return NT_SUCCESS(s) ? fbuf : "<failed>";
}

/* ---- C-9: integers -------------------------------------------------------------------------- */

TEST(format_integers)
{
    CHECK_STR(F("%d|%i|%u", 0, -1, 4294967295u), "0|-1|4294967295");
    CHECK_STR(F("%d", INT_MIN), "-2147483648");
    CHECK_STR(F("[%5d][%-5d][%05d][%+d][% d]", 42, 42, 42, 42, 42), "[   42][42   ][00042][+42][ 42]");
    CHECK_STR(F("[%.3d][%.0d][%08.3d][%-+6d]", 42, 0, 42, 7), "[042][][     042][+7    ]");
    CHECK_STR(F("%05d", -42), "-0042");
    /* Huge widths and precisions are counted, not written past the buffer. */
    CHECK_EQ(_snwprintf(NULL, 0, L"%.5000d|%*d", 1, 100000000, 2), 5000 + 1 + 100000000);
    CHECK_EQ(RtlStringCbPrintfA(fbuf, 8, "%100d", 1), STATUS_BUFFER_OVERFLOW);
    CHECK_STR(fbuf, "       ");
    CHECK_STR(F("%x %X %#x %#X %#x", 255u, 255u, 255u, 255u, 0u), "ff FF 0xff 0XFF 0");
    CHECK_STR(F("%o %#o %#o", 8u, 8u, 0u), "10 010 0");
    CHECK_STR(F("%#010x", 255u), "0x000000ff");
    /* l is 32 bits (LLP64): ULONG and LONG. */
    CHECK_STR(F("%lx %ld %lu", (ULONG)0xFFFFFFFF, (LONG)-5, (ULONG)7), "ffffffff -5 7");
    CHECK_STR(F("%I64x %I64d %I64u", 0x123456789ABCDEF0ull, -1ll, 18446744073709551615ull),
              "123456789abcdef0 -1 18446744073709551615");
    CHECK_STR(F("%lld %llu %llX", LLONG_MIN, ULLONG_MAX, 0xABCull), "-9223372036854775808 18446744073709551615 ABC");
    CHECK_STR(F("%Ix %Id %Iu %zu %I32d", (SIZE_T)0x123456789ull, (SSIZE_T)-2, (SIZE_T)3, (size_t)12345678901ull, -9),
              "123456789 -2 3 12345678901 -9");
    CHECK_STR(F("%hd %hu %hhd %hhu %hx", 65535, 65541, 255, 256, 0x12345), "-1 5 -1 0 2345");
}

TEST(format_pointers_chars_percent)
{
    CHECK_STR(F("%p", (void *)0x1234), "0000000000001234");
    CHECK_STR(F("%p", NULL), "0000000000000000");
    CHECK_STR(F("[%20p]", (void *)0xABCDEF), "[    0000000000ABCDEF]");
    CHECK_STR(F("%c%c", 'A', 'b'), "Ab");
    CHECK_STR(F("[%3c][%-3c]", 'x', 'y'), "[  x][y  ]");
    CHECK_STR(F("%C%wc%lc", (int)L'W', (int)0xE9, (int)0x100), "W\xE9?"); /* beyond Latin-1: '?' */
    CHECK_STR(F("100%%"), "100%");
    CHECK_STR(F("%*d|%-*d|%*d", 4, 7, 3, 8, -3, 9), "   7|8  |9  ");
}

TEST(format_strings)
{
    CHECK_STR(F("%s|%hs|%.2s|%5s|%-5s|", "abc", "def", "ghi", "jk", "lm"), "abc|def|gh|   jk|lm   |");
    CHECK_STR(F("%s", (char *)NULL), "(null)");
    CHECK_STR(F("%ws|%S|%ls|%.2ws", L"wide", L"up", L"ell", L"prec"), "wide|up|ell|pr");
    CHECK_STR(F("%ws", (WCHAR *)NULL), "(null)");
    CHECK_STR(F("%.*s|%.*s", 1, "xyz", -1, "xyz"), "x|xyz");
    /* %wZ prints Length bytes from Buffer: no NUL needed, nothing beyond Length. */
    WCHAR raw[4] = {'a', 'b', 'c', 'd'};
    UNICODE_STRING u = {4, 8, raw}, empty = {0, 0, NULL};
    CHECK_STR(F("[%wZ][%6wZ][%-4wZ][%.1wZ]", &u, &u, &u, &u), "[ab][    ab][ab  ][a]");
    CHECK_STR(F("%wZ|%wZ", (UNICODE_STRING *)NULL, &empty), "(null)|(null)");
    char nraw[3] = {'x', 'y', 'z'};
    ANSI_STRING a = {2, 3, nraw};
    CHECK_STR(F("%Z|%Z", &a, (ANSI_STRING *)NULL), "xy|(null)");
}

/* ---- C-10, C-11: the stops ---------------------------------------------------------------------- */

static const char *stop_fmt;
static void format_it(void *arg) { F(stop_fmt, arg, arg); }
static void check_format_stop(const char *fmt, void *arg, unsigned code, unsigned offset)
{
    kf_stop st;
    stop_fmt = fmt;
    CHECK(kft_stops(format_it, arg, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], code);
    if (code != 0x3202)
        CHECK_EQ(st.param[1], offset);
}

TEST(format_stops)
{
    check_format_stop("x=%f", NULL, 0x3204, 2);
    check_format_stop("%e", NULL, 0x3204, 0);
    check_format_stop("%5.2g", NULL, 0x3204, 0);
    check_format_stop("%a", NULL, 0x3204, 0);
    check_format_stop("%E %G %F %A", NULL, 0x3204, 0);
    check_format_stop("ab%n", NULL, 0x3206, 2);
    check_format_stop("%y", NULL, 0x3206, 0);
    check_format_stop("end%", NULL, 0x3206, 3);
    /* A buffer passed where %wZ wants a UNICODE_STRING: L"ab" read as Length 'a', MaximumLength 'b'. */
    check_format_stop("%wZ", (void *)L"ab", 0x3202, 0);
    static WCHAR w[2];
    static UNICODE_STRING over = {6, 4, w};
    check_format_stop("%wZ", &over, 0x3202, 0);
    static ANSI_STRING aover = {6, 4, NULL};
    check_format_stop("%Z", &aover, 0x3202, 0);
}

/* ---- C-12, C-13: DbgPrint itself ------------------------------------------------------------------ */

typedef void (*print_fn)(void);
static size_t captured(print_fn fn, char *buf, size_t len)
{
    FILE *tmp = tmpfile();
    int saved = dup(2);
    if (!tmp || saved < 0) {
        if (tmp)
            fclose(tmp);
        return (size_t)-1;
    }
    fflush(stderr);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, len - 1, tmp);
    buf[n] = 0;
    fclose(tmp);
    return n;
}

static UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\Kf");
static void print_some(void)
{
    DbgPrint("[%wZ] %I64x %ws\n", &name, 0xFEDCBA9876543210ull, L"w");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "ex %lu\n", (ULONG)3);
    KdPrint(("kd %s\n", "k"));
    KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "kdex %c\n", 'z'));
}

static char long_text[600];
static void print_long(void) { DbgPrint("%s", long_text); }

TEST(dbgprint_output_and_limit)
{
    char out[1024];
    CHECK_EQ(captured(print_some, out, sizeof out), 0); /* dbgprint=0: nothing printed */
    kft_options("dbgprint=1");
    captured(print_some, out, sizeof out);
    CHECK_STR(out, "[\\Device\\Kf] fedcba9876543210 w\nex 3\nkd k\nkdex z\n");
    memset(long_text, 'x', sizeof long_text - 1);
    CHECK_EQ(captured(print_long, out, sizeof out), 512); /* at most 512 bytes per call */
    kft_options("");
    CHECK_EQ(DbgPrint("%d", 1), STATUS_SUCCESS);
}

static void dbg_wz(void *a) { DbgPrint("%wZ", a); }
static void dbg_ws(void *a) { DbgPrint("%ws", a); }
static void dbg_S(void *a) { DbgPrintEx(0, 0, "%S", a); }
static void dbg_C(void *a) { (void)a; DbgPrint("%C", (int)L'x'); }
static void dbg_wc(void *a) { (void)a; DbgPrint("%wc", (int)L'x'); }
static void dbg_narrow(void *a) { DbgPrint("%s %d %c", (char *)a, 5, 'c'); }
static void dbg_float(void *a) { (void)a; DbgPrint("%f", 1.5); }

TEST(dbgprint_unicode_needs_passive)
{
    kf_stop st;
    kf_set_irql(APC_LEVEL);
    CHECK(kft_stops(dbg_wz, &name, &st));
    CHECK_EQ(st.param[0], 0x3205);
    CHECK_EQ(st.param[1], APC_LEVEL);
    CHECK(!strcmp(st.routine, "DbgPrint"));
    kf_set_irql(DISPATCH_LEVEL);
    CHECK(kft_stops(dbg_ws, (void *)L"x", &st));
    CHECK_EQ(st.param[0], 0x3205);
    CHECK(kft_stops(dbg_S, (void *)L"x", &st));
    CHECK_EQ(st.param[0], 0x3205);
    CHECK(kft_stops(dbg_C, NULL, &st));
    CHECK_EQ(st.param[0], 0x3205);
    CHECK(kft_stops(dbg_wc, NULL, &st));
    CHECK_EQ(st.param[0], 0x3205);
    /* Narrow conversions are allowed at any IRQL (DIRQL included). */
    kf_set_irql(HIGH_LEVEL);
    CHECK(!kft_stops(dbg_narrow, (void *)"n", &st));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(!kft_stops(dbg_wz, &name, &st));
}

TEST(dbgprint_checks_run_when_not_printed)
{
    kf_stop st;
    static UNICODE_STRING odd = {3, 8, NULL};
    WCHAR w[4];
    odd.Buffer = w;
    CHECK(!kf_options_get()->dbgprint);
    CHECK(kft_stops(dbg_wz, &odd, &st));
    CHECK_EQ(st.param[0], 0x3202);
    CHECK(!strcmp(st.routine, "DbgPrint"));
    CHECK(kft_stops(dbg_float, NULL, &st));
    CHECK_EQ(st.param[0], 0x3204);
}

/* ---- C-5, C-10: wide output, wide formats --------------------------------------------------------- */

TEST(format_wide_output)
{
    WCHAR b[32];
    /* Units beyond Latin-1 survive wide output. */
    UNICODE_STRING u = RTL_CONSTANT_STRING(L"\x0100z");
    CHECK_EQ(_snwprintf(b, 32, L"%wZ|%s|%hs|%c|%3d", &u, L"\x4E2D", "n", (int)0x263A, 5), 12);
    CHECK(b[0] == 0x100 && b[1] == 'z' && b[2] == '|' && b[3] == 0x4E2D && b[5] == 'n' && b[7] == 0x263A);
    CHECK(b[9] == ' ' && b[10] == ' ' && b[11] == '5' && b[12] == 0);
    /* A narrow byte widens as Latin-1. */
    CHECK_EQ(_snwprintf(b, 32, L"%S%C", "\xE9", (int)'\xFF'), 2);
    CHECK(b[0] == 0xE9 && b[1] == 0xFF);
}

static void dbg_null_format(void *a)
{
    (void)a;
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, NULL);
}

TEST(dbgprint_null_format_stops)
{
    kf_stop st;
    CHECK(kft_stops(dbg_null_format, NULL, &st));
    CHECK_EQ(st.param[0], 0x3207);
    CHECK(!strcmp(st.routine, "DbgPrint"));
}
