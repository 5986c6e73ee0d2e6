/*
 * crt.c - the kernel's wide-character C runtime (kfault/wdk_crt.h: kf_wcslen and the rest,
 * mapped to the WDK names by macros), the model's case table shared with the Rtl routines, and
 * the one formatter behind DbgPrint, swprintf_s / _snwprintf and RtlStringCbPrintf.
 *
 * Rules C-1 .. C-11, C-14 and U-9 of model/SEMANTICS.md.
 * WCHAR is 2 bytes: every wide string is walked here by hand. Must never call the host C
 * library's wide functions (they assume 4-byte wchar_t), never produce a value that depends on
 * an address or the clock, and never return from an invalid-parameter case (a stop).
 */
#include "internal.h"
#include "ntddk.h"

/* ---- Case (C-6) ---------------------------------------------------------------------------- */

WCHAR kf__upcase(WCHAR c)
{
    unsigned u = c;
    if (u < 0x80)
        return (WCHAR)(u >= 'a' && u <= 'z' ? u - 0x20 : u);
    if (u >= 0xE0 && u <= 0xFE && u != 0xF7)
        return (WCHAR)(u - 0x20);
    if (u == 0xFF)
        return 0x178;
    if (u == 0x130 || u == 0x131) /* dotted / dotless I: no simple pair */
        return c;
    if ((u >= 0x100 && u <= 0x137) || (u >= 0x14A && u <= 0x177))
        return (WCHAR)(u & 1 ? u - 1 : u);
    if ((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E))
        return (WCHAR)(u & 1 ? u : u - 1);
    if ((u >= 0x3B1 && u <= 0x3C1) || (u >= 0x3C3 && u <= 0x3CB))
        return (WCHAR)(u - 0x20);
    if (u == 0x3C2)
        return 0x3A3;
    if (u == 0x3AC)
        return 0x386;
    if (u >= 0x3AD && u <= 0x3AF)
        return (WCHAR)(u - 0x25);
    if (u == 0x3CC)
        return 0x38C;
    if (u == 0x3CD || u == 0x3CE)
        return (WCHAR)(u - 0x3F);
    if (u >= 0x430 && u <= 0x44F)
        return (WCHAR)(u - 0x20);
    if (u >= 0x450 && u <= 0x45F)
        return (WCHAR)(u - 0x50);
    if (u >= 0xFF41 && u <= 0xFF5A)
        return (WCHAR)(u - 0x20);
    return c;
}

WCHAR kf__downcase(WCHAR c)
{
    unsigned u = c;
    if (u < 0x80)
        return (WCHAR)(u >= 'A' && u <= 'Z' ? u + 0x20 : u);
    if (u >= 0xC0 && u <= 0xDE && u != 0xD7)
        return (WCHAR)(u + 0x20);
    if (u == 0x178)
        return 0xFF;
    if (u == 0x130 || u == 0x131)
        return c;
    if ((u >= 0x100 && u <= 0x137) || (u >= 0x14A && u <= 0x177))
        return (WCHAR)(u & 1 ? u : u + 1);
    if ((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E))
        return (WCHAR)(u & 1 ? u + 1 : u);
    if ((u >= 0x391 && u <= 0x3A1) || (u >= 0x3A3 && u <= 0x3AB))
        return (WCHAR)(u + 0x20);
    if (u == 0x386)
        return 0x3AC;
    if (u >= 0x388 && u <= 0x38A)
        return (WCHAR)(u + 0x25);
    if (u == 0x38C)
        return 0x3CC;
    if (u == 0x38E || u == 0x38F)
        return (WCHAR)(u + 0x3F);
    if (u >= 0x410 && u <= 0x42F)
        return (WCHAR)(u + 0x20);
    if (u >= 0x400 && u <= 0x40F)
        return (WCHAR)(u + 0x50);
    if (u >= 0xFF21 && u <= 0xFF3A)
        return (WCHAR)(u + 0x20);
    return c;
}

char kf__wide_to_ansi(WCHAR c) { return c <= 0xFF ? (char)(unsigned char)c : '?'; }

/* The "C" locale of the kernel's CRT: only ASCII letters have case (C-6). */
wint_t kf_towupper(wint_t c) { return c >= 'a' && c <= 'z' ? c - 0x20 : c; }
wint_t kf_towlower(wint_t c) { return c >= 'A' && c <= 'Z' ? c + 0x20 : c; }
int kf_iswspace(wint_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }
int kf_iswdigit(wint_t c) { return c >= '0' && c <= '9'; }
int kf_iswxdigit(wint_t c) { return kf_iswdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int kf_iswupper(wint_t c) { return c >= 'A' && c <= 'Z'; }
int kf_iswlower(wint_t c) { return c >= 'a' && c <= 'z'; }
int kf_iswalpha(wint_t c) { return kf_iswupper(c) || kf_iswlower(c); }
int kf_iswalnum(wint_t c) { return kf_iswalpha(c) || kf_iswdigit(c); }

wchar_t *kf__wcsupr(wchar_t *s)
{
    for (wchar_t *p = s; *p; p++)
        *p = (wchar_t)kf_towupper((wint_t)*p);
    return s;
}

wchar_t *kf__wcslwr(wchar_t *s)
{
    for (wchar_t *p = s; *p; p++)
        *p = (wchar_t)kf_towlower((wint_t)*p);
    return s;
}

/* ---- Lengths, copies, comparisons (C-1, C-2) ------------------------------------------------ */

size_t kf_wcslen(const wchar_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t kf_wcsnlen(const wchar_t *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

wchar_t *kf_wcscpy(wchar_t *dst, const wchar_t *src)
{
    size_t i = 0;
    do
        dst[i] = src[i];
    while (src[i++]);
    return dst;
}

wchar_t *kf_wcsncpy(wchar_t *dst, const wchar_t *src, size_t count)
{
    size_t i = 0;
    for (; i < count && src[i]; i++)
        dst[i] = src[i];
    for (; i < count; i++)
        dst[i] = 0;
    return dst;
}

wchar_t *kf_wcscat(wchar_t *dst, const wchar_t *src)
{
    kf_wcscpy(dst + kf_wcslen(dst), src);
    return dst;
}

wchar_t *kf_wcsncat(wchar_t *dst, const wchar_t *src, size_t count)
{
    wchar_t *d = dst + kf_wcslen(dst);
    size_t i = 0;
    for (; i < count && src[i]; i++)
        d[i] = src[i];
    d[i] = 0;
    return dst;
}

/* The length of s up to count code units (and at most the hook's), for the fuzzing engine. */
static size_t hook_len(const wchar_t *s, size_t count)
{
    size_t n = 0;
    while (n < count && n < 64 && s[n])
        n++;
    return n;
}

/* Code units compare as unsigned 16-bit values. */
int kf_wcsncmp(const wchar_t *a, const wchar_t *b, size_t count)
{
    kf__cmp_hook(__builtin_return_address(0), (const WCHAR *)a, hook_len(a, count), (const WCHAR *)b,
                 hook_len(b, count)); /* FD-26 */
    for (size_t i = 0; i < count; i++) {
        unsigned x = (unsigned short)a[i], y = (unsigned short)b[i];
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            break;
    }
    return 0;
}

int kf_wcscmp(const wchar_t *a, const wchar_t *b) { return kf_wcsncmp(a, b, (size_t)-1); }

/* Compares the lowercase forms (C locale), as the Microsoft CRT does. */
int kf__wcsnicmp(const wchar_t *a, const wchar_t *b, size_t count)
{
    kf__cmp_hook(__builtin_return_address(0), (const WCHAR *)a, hook_len(a, count), (const WCHAR *)b,
                 hook_len(b, count)); /* FD-26 */
    for (size_t i = 0; i < count; i++) {
        unsigned x = (unsigned)kf_towlower((unsigned short)a[i]), y = (unsigned)kf_towlower((unsigned short)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            break;
    }
    return 0;
}

int kf__wcsicmp(const wchar_t *a, const wchar_t *b) { return kf__wcsnicmp(a, b, (size_t)-1); }

wchar_t *kf_wcschr(const wchar_t *s, wchar_t c)
{
    for (;; s++) {
        if (*s == c)
            return (wchar_t *)s;
        if (!*s)
            return NULL;
    }
}

wchar_t *kf_wcsrchr(const wchar_t *s, wchar_t c)
{
    const wchar_t *last = NULL;
    for (;; s++) {
        if (*s == c)
            last = s;
        if (!*s)
            return (wchar_t *)last;
    }
}

wchar_t *kf_wcsstr(const wchar_t *s, const wchar_t *sub)
{
    size_t n = kf_wcslen(sub);
    if (!n)
        return (wchar_t *)s;
    for (; *s; s++)
        if (*s == *sub && kf_wcsncmp(s, sub, n) == 0)
            return (wchar_t *)s;
    return NULL;
}

wchar_t *kf_wmemcpy(wchar_t *dst, const wchar_t *src, size_t n) { return memcpy(dst, src, n * sizeof(wchar_t)); }
wchar_t *kf_wmemmove(wchar_t *dst, const wchar_t *src, size_t n) { return memmove(dst, src, n * sizeof(wchar_t)); }

wchar_t *kf_wmemset(wchar_t *dst, wchar_t c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = c;
    return dst;
}

int kf_wmemcmp(const wchar_t *a, const wchar_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (unsigned short)a[i] < (unsigned short)b[i] ? -1 : 1;
    return 0;
}

wchar_t *kf_wmemchr(const wchar_t *s, wchar_t c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == c)
            return (wchar_t *)s + i;
    return NULL;
}

static int in_set(wchar_t c, const wchar_t *set)
{
    for (; *set; set++)
        if (*set == c)
            return 1;
    return 0;
}

size_t kf_wcsspn(const wchar_t *s, const wchar_t *set)
{
    size_t n = 0;
    while (s[n] && in_set(s[n], set))
        n++;
    return n;
}

size_t kf_wcscspn(const wchar_t *s, const wchar_t *set)
{
    size_t n = 0;
    while (s[n] && !in_set(s[n], set))
        n++;
    return n;
}

wchar_t *kf_wcspbrk(const wchar_t *s, const wchar_t *set)
{
    size_t n = kf_wcscspn(s, set);
    return s[n] ? (wchar_t *)s + n : NULL;
}

int kf_iswcntrl(wint_t c) { return c < 0x20 || c == 0x7F; }
int kf_iswprint(wint_t c) { return c >= 0x20 && c < 0x7F; }
int kf_iswgraph(wint_t c) { return c > 0x20 && c < 0x7F; }
int kf_iswpunct(wint_t c) { return kf_iswgraph(c) && !kf_iswalnum(c); }

int kf__wtol(const wchar_t *s) { return kf_wcstol(s, NULL, 10); }
int kf__wtoi(const wchar_t *s) { return kf_wcstol(s, NULL, 10); }

/* ---- The bounds-checked forms (C-3, C-4) ----------------------------------------------------- */

/* The kernel's invalid-parameter handler: the routine's errno value travels in Parameter 3. */
static _Noreturn void invalid_parameter(const char *routine, int err, const char *why)
{
    kf_violation_stop(KF_VIOL_CRT_INVALID_PARAMETER, routine, (ULONG_PTR)err, 0, 0,
                      "%s: %s (%s); the kernel's invalid-parameter handler does not return", routine, why,
                      err == EINVAL ? "EINVAL" : "ERANGE");
}

errno_t kf_wcscpy_s(wchar_t *dst, rsize_t size, const wchar_t *src)
{
    if (!dst || size == 0)
        invalid_parameter("wcscpy_s", EINVAL, "the destination is NULL or has no room");
    if (!src) {
        dst[0] = 0;
        invalid_parameter("wcscpy_s", EINVAL, "the source is NULL");
    }
    size_t n = kf_wcsnlen(src, size);
    if (n == size) {
        dst[0] = 0;
        invalid_parameter("wcscpy_s", ERANGE, "the source does not fit in the destination");
    }
    memmove(dst, src, (n + 1) * sizeof(wchar_t));
    return 0;
}

errno_t kf_wcsncpy_s(wchar_t *dst, rsize_t size, const wchar_t *src, rsize_t count)
{
    if (!dst && size == 0 && count == 0)
        return 0;
    if (!dst || size == 0)
        invalid_parameter("wcsncpy_s", EINVAL, "the destination is NULL or has no room");
    if (!src) {
        dst[0] = 0;
        if (count == 0)
            return 0;
        invalid_parameter("wcsncpy_s", EINVAL, "the source is NULL");
    }
    size_t n = kf_wcsnlen(src, count);
    if (n < size) {
        memmove(dst, src, n * sizeof(wchar_t));
        dst[n] = 0;
        return 0;
    }
    if (count == _TRUNCATE) {
        memmove(dst, src, (size - 1) * sizeof(wchar_t));
        dst[size - 1] = 0;
        return STRUNCATE;
    }
    dst[0] = 0;
    invalid_parameter("wcsncpy_s", ERANGE, "the characters asked for do not fit in the destination");
}

static errno_t cat_s(const char *routine, wchar_t *dst, rsize_t size, const wchar_t *src, rsize_t count)
{
    if (!dst && size == 0 && count == 0 && !strcmp(routine, "wcsncat_s"))
        return 0;
    if (!dst || size == 0)
        invalid_parameter(routine, EINVAL, "the destination is NULL or has no room");
    if (!src) {
        if (count == 0)
            return 0;
        dst[0] = 0;
        invalid_parameter(routine, EINVAL, "the source is NULL");
    }
    size_t have = kf_wcsnlen(dst, size);
    if (have == size) {
        dst[0] = 0;
        invalid_parameter(routine, EINVAL, "the destination is not NUL-terminated within its size");
    }
    size_t n = kf_wcsnlen(src, count);
    if (have + n < size) {
        memmove(dst + have, src, n * sizeof(wchar_t));
        dst[have + n] = 0;
        return 0;
    }
    if (count == _TRUNCATE) {
        memmove(dst + have, src, (size - 1 - have) * sizeof(wchar_t));
        dst[size - 1] = 0;
        return STRUNCATE;
    }
    dst[0] = 0;
    invalid_parameter(routine, ERANGE, "the result does not fit in the destination");
}

errno_t kf_wcscat_s(wchar_t *dst, rsize_t size, const wchar_t *src)
{
    return cat_s("wcscat_s", dst, size, src, (rsize_t)-1 - 1); /* no limit, and not _TRUNCATE */
}

errno_t kf_wcsncat_s(wchar_t *dst, rsize_t size, const wchar_t *src, rsize_t count)
{
    return cat_s("wcsncat_s", dst, size, src, count);
}

/* ---- Microsoft's narrow additions (C-14): the same rules over char ------------------------------- */

int kf__strnicmp(const char *a, const char *b, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        unsigned x = (unsigned)kf_towlower((unsigned char)a[i]), y = (unsigned)kf_towlower((unsigned char)b[i]);
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            break;
    }
    return 0;
}

int kf__stricmp(const char *a, const char *b) { return kf__strnicmp(a, b, (size_t)-1); }

char *kf__strupr(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)kf_towupper((unsigned char)*p);
    return s;
}

char *kf__strlwr(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)kf_towlower((unsigned char)*p);
    return s;
}

static size_t nlen_a(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

/* strcpy_s .. strncat_s in one: at = append, count = the most to take (_TRUNCATE allowed when
 * truncate_ok). */
static errno_t narrow_s(const char *routine, char *dst, rsize_t size, const char *src, rsize_t count, int append,
                        int truncate_ok)
{
    if (!dst && size == 0 && count == 0 && truncate_ok)
        return 0;
    if (!dst || size == 0)
        invalid_parameter(routine, EINVAL, "the destination is NULL or has no room");
    if (!src) {
        if (count == 0 && truncate_ok) {
            if (!append)
                dst[0] = 0;
            return 0;
        }
        dst[0] = 0;
        invalid_parameter(routine, EINVAL, "the source is NULL");
    }
    size_t have = append ? nlen_a(dst, size) : 0;
    if (have == size) {
        dst[0] = 0;
        invalid_parameter(routine, EINVAL, "the destination is not NUL-terminated within its size");
    }
    size_t n = nlen_a(src, count);
    if (have + n < size) {
        memmove(dst + have, src, n);
        dst[have + n] = 0;
        return 0;
    }
    if (truncate_ok && count == _TRUNCATE) {
        memmove(dst + have, src, size - 1 - have);
        dst[size - 1] = 0;
        return STRUNCATE;
    }
    dst[0] = 0;
    invalid_parameter(routine, ERANGE, "the result does not fit in the destination");
}

errno_t kf_strcpy_s(char *dst, rsize_t size, const char *src)
{
    return narrow_s("strcpy_s", dst, size, src, (rsize_t)-1 - 1, 0, 0);
}

errno_t kf_strncpy_s(char *dst, rsize_t size, const char *src, rsize_t count)
{
    return narrow_s("strncpy_s", dst, size, src, count, 0, 1);
}

errno_t kf_strcat_s(char *dst, rsize_t size, const char *src)
{
    return narrow_s("strcat_s", dst, size, src, (rsize_t)-1 - 1, 1, 0);
}

errno_t kf_strncat_s(char *dst, rsize_t size, const char *src, rsize_t count)
{
    return narrow_s("strncat_s", dst, size, src, count, 1, 1);
}

int kf__vsnprintf(char *buf, size_t count, const char *fmt, va_list ap)
{
    if (!fmt || (!buf && count))
        invalid_parameter("_vsnprintf", EINVAL, "the format or the buffer is NULL");
    size_t n = kf__vformat("_vsnprintf", 0, buf, count, fmt, ap);
    if (n < count) {
        buf[n] = 0;
        return (int)n;
    }
    if (!buf || n == count)
        return (int)n;
    return -1;
}

int kf__snprintf(char *buf, size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kf__vsnprintf(buf, count, fmt, ap);
    va_end(ap);
    return r;
}

int kf_sprintf_s(char *buf, size_t size, const char *fmt, ...)
{
    if (!buf || size == 0)
        invalid_parameter("sprintf_s", EINVAL, "the buffer is NULL or has no room");
    if (!fmt) {
        buf[0] = 0;
        invalid_parameter("sprintf_s", EINVAL, "the format is NULL");
    }
    va_list ap;
    va_start(ap, fmt);
    size_t n = kf__vformat("sprintf_s", 0, buf, size, fmt, ap);
    va_end(ap);
    if (n >= size) {
        buf[0] = 0;
        invalid_parameter("sprintf_s", ERANGE, "the result does not fit in the buffer");
    }
    buf[n] = 0;
    return (int)n;
}

/* ---- Formatting (C-5) ------------------------------------------------------------------------ */

int kf__vsnwprintf(wchar_t *buf, size_t count, const wchar_t *fmt, va_list ap)
{
    if (!fmt || (!buf && count))
        invalid_parameter("_vsnwprintf", EINVAL, "the format or the buffer is NULL");
    size_t n = kf__vformat("_vsnwprintf", KF_FMT_WIDE_OUT | KF_FMT_WIDE_FMT, buf, count, fmt, ap);
    if (n < count) {
        buf[n] = 0;
        return (int)n;
    }
    if (!buf || n == count)
        return (int)n;
    return -1;
}

int kf__snwprintf(wchar_t *buf, size_t count, const wchar_t *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kf__vsnwprintf(buf, count, fmt, ap);
    va_end(ap);
    return r;
}

int kf_vswprintf(wchar_t *buf, size_t count, const wchar_t *fmt, va_list ap)
{
    if (!fmt || !buf)
        invalid_parameter("swprintf", EINVAL, "the format or the buffer is NULL");
    size_t n = kf__vformat("swprintf", KF_FMT_WIDE_OUT | KF_FMT_WIDE_FMT, buf, count, fmt, ap);
    if (n < count) {
        buf[n] = 0;
        return (int)n;
    }
    if (count)
        buf[count - 1] = 0;
    return -1;
}

int kf_swprintf(wchar_t *buf, size_t count, const wchar_t *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kf_vswprintf(buf, count, fmt, ap);
    va_end(ap);
    return r;
}

int kf_swprintf_s(wchar_t *buf, size_t size, const wchar_t *fmt, ...)
{
    if (!buf || size == 0)
        invalid_parameter("swprintf_s", EINVAL, "the buffer is NULL or has no room");
    if (!fmt) {
        buf[0] = 0;
        invalid_parameter("swprintf_s", EINVAL, "the format is NULL");
    }
    va_list ap;
    va_start(ap, fmt);
    size_t n = kf__vformat("swprintf_s", KF_FMT_WIDE_OUT | KF_FMT_WIDE_FMT, buf, size, fmt, ap);
    va_end(ap);
    if (n >= size) {
        buf[0] = 0;
        invalid_parameter("swprintf_s", ERANGE, "the result does not fit in the buffer");
    }
    buf[n] = 0;
    return (int)n;
}

/* ---- Numbers (C-7, C-8) ---------------------------------------------------------------------- */

static int digit_value(wchar_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parses as wcstoul; *neg gets the sign, *overflow whether the magnitude left 32 bits. */
static unsigned long long parse_number(const wchar_t *s, wchar_t **end, int base, int *neg, int *overflow)
{
    const wchar_t *p = s;
    unsigned long long v = 0;
    *neg = 0;
    *overflow = 0;
    if (base < 0 || base == 1 || base > 36) {
        if (end)
            *end = (wchar_t *)s;
        return 0;
    }
    while (kf_iswspace((wint_t)*p))
        p++;
    if (*p == '-' || *p == '+')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    const wchar_t *digits = p;
    for (int d; (d = digit_value(*p)) < base; p++) {
        v = v * (unsigned)base + (unsigned)d;
        if (v > 0xFFFFFFFFull) {
            *overflow = 1;
            v = 0x100000000ull;
        }
    }
    if (end)
        *end = (wchar_t *)(p == digits ? s : p);
    return p == digits ? 0 : v;
}

unsigned int kf_wcstoul(const wchar_t *s, wchar_t **end, int base)
{
    int neg, overflow;
    unsigned long long v = parse_number(s, end, base, &neg, &overflow);
    if (overflow)
        return 0xFFFFFFFFu;
    return neg ? (unsigned int)(0u - (unsigned int)v) : (unsigned int)v;
}

int kf_wcstol(const wchar_t *s, wchar_t **end, int base)
{
    int neg, overflow;
    unsigned long long v = parse_number(s, end, base, &neg, &overflow);
    if (neg)
        return overflow || v > 0x80000000ull ? (int)0x80000000u : (int)(0u - (unsigned)v);
    return overflow || v > 0x7FFFFFFFull ? 0x7FFFFFFF : (int)v;
}

static errno_t to_wide_s(const char *routine, unsigned long long mag, int neg, wchar_t *buf, size_t size, int radix)
{
    wchar_t tmp[72];
    size_t n = 0;
    if (!buf || size == 0)
        invalid_parameter(routine, EINVAL, "the buffer is NULL or has no room");
    if (radix < 2 || radix > 36) {
        buf[0] = 0;
        invalid_parameter(routine, EINVAL, "the radix is outside 2..36");
    }
    do {
        unsigned d = (unsigned)(mag % (unsigned)radix);
        tmp[n++] = (wchar_t)(d < 10 ? '0' + d : 'a' + d - 10);
        mag /= (unsigned)radix;
    } while (mag);
    if (neg)
        tmp[n++] = '-';
    if (n + 1 > size) {
        buf[0] = 0;
        invalid_parameter(routine, ERANGE, "the number does not fit in the buffer");
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return 0;
}

/* A negative value has a sign only in radix 10; other radixes show the 32-bit pattern. */
errno_t kf__itow_s(int value, wchar_t *buf, size_t size, int radix)
{
    int neg = radix == 10 && value < 0;
    unsigned long long mag = neg ? 0ull - (unsigned long long)(long long)value : (unsigned)value;
    return to_wide_s("_itow_s", mag, neg, buf, size, radix);
}

errno_t kf__ultow_s(unsigned int value, wchar_t *buf, size_t size, int radix)
{
    return to_wide_s("_ultow_s", value, 0, buf, size, radix);
}

/* ---- The formatter (C-9 .. C-11) ---------------------------------------------------------------- */

typedef struct sink {
    unsigned flags;
    void *out;
    size_t cap, len;
} sink;

static void put(sink *s, unsigned c)
{
    if (s->len < s->cap) {
        if (s->flags & KF_FMT_WIDE_OUT)
            ((WCHAR *)s->out)[s->len] = (WCHAR)c;
        else
            ((char *)s->out)[s->len] = kf__wide_to_ansi((WCHAR)c);
    }
    s->len++;
}

static void pad(sink *s, unsigned c, size_t n)
{
    while (n && s->len < s->cap) {
        put(s, c);
        n--;
    }
    s->len += n;
}

static unsigned fmt_at(const void *fmt, unsigned flags, size_t i)
{
    return (flags & KF_FMT_WIDE_FMT) ? (unsigned short)((const WCHAR *)fmt)[i] : (unsigned char)((const char *)fmt)[i];
}

enum { SZ_NONE, SZ_HH, SZ_H, SZ_L, SZ_LL, SZ_W, SZ_PTR, SZ_I32, SZ_I64 };
enum { F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_HASH = 8, F_ZERO = 16 };

typedef struct spec {
    unsigned flags;
    size_t width;
    long long prec; /* -1: none */
} spec;

/* A string argument: narrow (char units) or wide (WCHAR units), n units. */
static void emit_text(sink *s, const spec *sp, const void *p, int wide, size_t n)
{
    if (sp->prec >= 0 && (size_t)sp->prec < n)
        n = (size_t)sp->prec;
    size_t padn = sp->width > n ? sp->width - n : 0;
    if (!(sp->flags & F_MINUS))
        pad(s, ' ', padn);
    for (size_t i = 0; i < n; i++)
        put(s, wide ? (unsigned short)((const WCHAR *)p)[i] : (unsigned char)((const char *)p)[i]);
    if (sp->flags & F_MINUS)
        pad(s, ' ', padn);
}

static void emit_number(sink *s, const spec *sp, unsigned long long mag, int neg, int is_signed, unsigned base,
                        int upper, int ptr)
{
    char digits[80];
    size_t nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (!(sp->prec == 0 && mag == 0 && !ptr)) {
        unsigned long long m = mag;
        do {
            digits[nd++] = set[m % base];
            m /= base;
        } while (m);
    }
    size_t prec = sp->prec > 0 ? (size_t)sp->prec : 0;
    if (ptr)
        prec = sizeof(void *) * 2;
    size_t zeros = prec > nd ? prec - nd : 0;
    if (base == 8 && (sp->flags & F_HASH) && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
        zeros = 1;
    char prefix[3] = {0};
    size_t np = 0;
    if (is_signed) {
        if (neg)
            prefix[np++] = '-';
        else if (sp->flags & F_PLUS)
            prefix[np++] = '+';
        else if (sp->flags & F_SPACE)
            prefix[np++] = ' ';
    }
    if (base == 16 && (sp->flags & F_HASH) && mag != 0 && !ptr) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    size_t body = np + zeros + nd;
    size_t padn = sp->width > body ? sp->width - body : 0;
    int zero_pad = (sp->flags & F_ZERO) && !(sp->flags & F_MINUS) && sp->prec < 0;
    if (!(sp->flags & F_MINUS) && !zero_pad)
        pad(s, ' ', padn);
    for (size_t i = 0; i < np; i++)
        put(s, (unsigned char)prefix[i]);
    if (zero_pad)
        pad(s, '0', padn);
    pad(s, '0', zeros);
    while (nd)
        put(s, (unsigned char)digits[--nd]);
    if (sp->flags & F_MINUS)
        pad(s, ' ', padn);
}

static const char null_text[] = "(null)";

void kf__check_unicode_string(const char *routine, const UNICODE_STRING *s, const char *what)
{
    /* Length and MaximumLength first: when a driver passed a bare WCHAR buffer, its first two
     * characters are all that may be read (Buffer lies beyond them). */
    USHORT len = s->Length, max = s->MaximumLength;
    if (len > max || (len & 1))
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, len, max, 0,
                          "%s: %s has Length %u and MaximumLength %u (Length must be even and at most "
                          "MaximumLength; a pointer to characters where a UNICODE_STRING belongs looks like this)",
                          routine, what, len, max);
    if (!s->Buffer && len)
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, len, max, 0,
                          "%s: %s has Length %u and a NULL Buffer", routine, what, len);
}

void kf__check_ansi_string(const char *routine, const STRING *s, const char *what)
{
    if (s->Length > s->MaximumLength || (!s->Buffer && s->Length))
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, s->Length, s->MaximumLength, 0,
                          "%s: %s has Length %u and MaximumLength %u%s", routine, what, s->Length,
                          s->MaximumLength, s->Buffer ? "" : " with a NULL Buffer");
}

static void unicode_irql(const char *routine, unsigned flags, const char *conv)
{
    KIRQL irql = KeGetCurrentIrql();
    if ((flags & KF_FMT_DBGPRINT) && irql > PASSIVE_LEVEL)
        kf_violation_stop(KF_VIOL_DBGPRINT_UNICODE_IRQL, routine, irql, 0, 0,
                          "%s with the Unicode conversion %s at IRQL %u (Unicode conversions are allowed only "
                          "at PASSIVE_LEVEL)",
                          routine, conv, irql);
}

size_t kf__vformat(const char *routine, unsigned flags, void *out, size_t cap, const void *fmt, va_list ap_in)
{
    sink s = {flags, out, out ? cap : 0, 0};
    va_list ap;
    va_copy(ap, ap_in);
    int wide_fmt = (flags & KF_FMT_WIDE_FMT) != 0;
    for (size_t i = 0;;) {
        unsigned c = fmt_at(fmt, flags, i++);
        if (!c)
            break;
        if (c != '%') {
            put(&s, c);
            continue;
        }
        size_t start = i - 1;
        spec sp = {0, 0, -1};
        for (;; i++) {
            c = fmt_at(fmt, flags, i);
            if (c == '-')
                sp.flags |= F_MINUS;
            else if (c == '+')
                sp.flags |= F_PLUS;
            else if (c == ' ')
                sp.flags |= F_SPACE;
            else if (c == '#')
                sp.flags |= F_HASH;
            else if (c == '0')
                sp.flags |= F_ZERO;
            else
                break;
        }
        if (fmt_at(fmt, flags, i) == '*') {
            int w = va_arg(ap, int);
            if (w < 0) {
                sp.flags |= F_MINUS;
                w = w == (int)0x80000000u ? 0x7FFFFFFF : -w;
            }
            sp.width = (size_t)w;
            i++;
        } else {
            while ((c = fmt_at(fmt, flags, i)) >= '0' && c <= '9') {
                if (sp.width < 100000000)
                    sp.width = sp.width * 10 + (c - '0');
                i++;
            }
        }
        if (fmt_at(fmt, flags, i) == '.') {
            i++;
            sp.prec = 0;
            if (fmt_at(fmt, flags, i) == '*') {
                int p = va_arg(ap, int);
                sp.prec = p < 0 ? -1 : p;
                i++;
            } else {
                while ((c = fmt_at(fmt, flags, i)) >= '0' && c <= '9') {
                    if (sp.prec < 100000000)
                        sp.prec = sp.prec * 10 + (c - '0');
                    i++;
                }
            }
        }
        int size = SZ_NONE;
        c = fmt_at(fmt, flags, i);
        if (c == 'h') {
            size = SZ_H;
            if (fmt_at(fmt, flags, ++i) == 'h')
                size = SZ_HH, i++;
        } else if (c == 'l') {
            size = SZ_L;
            if (fmt_at(fmt, flags, ++i) == 'l')
                size = SZ_LL, i++;
        } else if (c == 'w') {
            size = SZ_W, i++;
        } else if (c == 'L') {
            size = SZ_LL, i++;
        } else if (c == 'z' || c == 't' || c == 'j') {
            size = SZ_PTR, i++;
        } else if (c == 'I') {
            i++;
            if (fmt_at(fmt, flags, i) == '6' && fmt_at(fmt, flags, i + 1) == '4')
                size = SZ_I64, i += 2;
            else if (fmt_at(fmt, flags, i) == '3' && fmt_at(fmt, flags, i + 1) == '2')
                size = SZ_I32, i += 2;
            else
                size = SZ_PTR;
        }
        unsigned conv = fmt_at(fmt, flags, i);
        if (conv)
            i++;
        switch (conv) {
        case '%':
            put(&s, '%');
            break;
        case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
            unsigned long long mag;
            int neg = 0, is_signed = conv == 'd' || conv == 'i';
            long long v;
            if (size == SZ_LL || size == SZ_I64 || size == SZ_PTR)
                v = va_arg(ap, long long);
            else
                v = va_arg(ap, int);
            if (size == SZ_HH)
                v = is_signed ? (signed char)v : (unsigned char)v;
            else if (size == SZ_H)
                v = is_signed ? (short)v : (unsigned short)v;
            else if (size != SZ_LL && size != SZ_I64 && size != SZ_PTR)
                v = is_signed ? (int)v : (long long)(unsigned int)v;
            if (is_signed && v < 0) {
                neg = 1;
                mag = 0ull - (unsigned long long)v;
            } else {
                mag = (unsigned long long)v;
            }
            emit_number(&s, &sp, mag, neg, is_signed, conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10,
                        conv == 'X', 0);
            break;
        }
        case 'p':
            emit_number(&s, &sp, (unsigned long long)(uintptr_t)va_arg(ap, void *), 0, 0, 16, 1, 1);
            break;
        case 'c': case 'C': {
            /* Narrow format: %c narrow, %C wide; a wide format the reverse; h / l / w decide. */
            int wide_arg = (conv == 'c') == wide_fmt;
            if (size == SZ_H)
                wide_arg = 0;
            else if (size == SZ_L || size == SZ_W)
                wide_arg = 1;
            int v = va_arg(ap, int);
            if (wide_arg && !wide_fmt)
                unicode_irql(routine, flags, "%C");
            if (wide_arg) {
                WCHAR w = (WCHAR)v;
                emit_text(&s, &(spec){sp.flags, sp.width, -1}, &w, 1, 1);
            } else {
                char n = (char)v;
                emit_text(&s, &(spec){sp.flags, sp.width, -1}, &n, 0, 1);
            }
            break;
        }
        case 's': case 'S': {
            int wide_arg = (conv == 's') == wide_fmt;
            if (size == SZ_H)
                wide_arg = 0;
            else if (size == SZ_L || size == SZ_W)
                wide_arg = 1;
            const void *p = va_arg(ap, const void *);
            if (wide_arg && !wide_fmt)
                unicode_irql(routine, flags, "%ws");
            if (!p) {
                emit_text(&s, &sp, null_text, 0, sizeof null_text - 1);
            } else if (wide_arg) {
                size_t n = sp.prec >= 0 ? kf_wcsnlen(p, (size_t)sp.prec) : kf_wcslen(p);
                emit_text(&s, &sp, p, 1, n);
            } else {
                size_t n = 0;
                const char *q = p;
                while ((sp.prec < 0 || n < (size_t)sp.prec) && q[n])
                    n++;
                emit_text(&s, &sp, p, 0, n);
            }
            break;
        }
        case 'Z': {
            const void *p = va_arg(ap, const void *);
            if (size == SZ_W || size == SZ_L) {
                const UNICODE_STRING *u = p;
                unicode_irql(routine, flags, "%wZ");
                if (u)
                    kf__check_unicode_string(routine, u, "the %wZ argument");
                if (!u || !u->Buffer)
                    emit_text(&s, &sp, null_text, 0, sizeof null_text - 1);
                else
                    emit_text(&s, &sp, u->Buffer, 1, u->Length / sizeof(WCHAR));
            } else {
                const STRING *a = p;
                if (a)
                    kf__check_ansi_string(routine, a, "the %Z argument");
                if (!a || !a->Buffer)
                    emit_text(&s, &sp, null_text, 0, sizeof null_text - 1);
                else
                    emit_text(&s, &sp, a->Buffer, 0, a->Length);
            }
            break;
        }
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
            va_end(ap);
            kf_violation_stop(KF_VIOL_FORMAT_FLOAT, routine, (ULONG_PTR)start, conv, 0,
                              "%s: the format has the floating-point conversion %%%c at offset %zu (no "
                              "floating point in kernel format strings)",
                              routine, (char)conv, start);
        default:
            va_end(ap);
            kf_violation_stop(KF_VIOL_FORMAT_INVALID, routine, (ULONG_PTR)start, conv, 0,
                              "%s: the format has %s at offset %zu", routine,
                              conv == 'n' ? "%n (writing through an argument is not supported)"
                              : conv == 0 ? "a dangling %"
                                          : "an unknown conversion",
                              start);
        }
    }
    va_end(ap);
    return s.len;
}
