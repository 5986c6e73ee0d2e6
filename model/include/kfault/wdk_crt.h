/*
 * kfault/wdk_crt.h - the kernel's wide-character C runtime (wcslen, wcscpy_s, swprintf_s, ...),
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * WCHAR is a 2-byte wchar_t (-fshort-wchar). The host C library's wide functions assume 4 bytes
 * (and AddressSanitizer intercepts them with that assumption), so they must never see a driver's
 * string: the kernel's versions are kfault's own, named kf_wcslen etc., and each WDK name is an
 * object-like macro for kfault's. The host's <wchar.h> and <wctype.h> are included first, so
 * that a driver including them after this header gets nothing new (their include guards), and
 * one including them before still has every name mapped by the macros below.
 *
 * Rules C-1 .. C-13 of model/SEMANTICS.md; implementation in model/src/crt.c.
 * Narrow functions (strlen, strcpy, memcpy, snprintf, ...) are the host C library's: they agree
 * with the kernel's for what drivers pass them; Microsoft's own narrow names (_stricmp, strcpy_s,
 * sprintf_s, _snprintf, ...) are kfault's, with the formatter's Microsoft conversions.
 */
#ifndef KFAULT_WDK_CRT_H
#define KFAULT_WDK_CRT_H

#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <wchar.h>
#include <wctype.h>
#include <stdlib.h> /* mbstowcs and friends: declared before they are mapped */

#ifdef __cplusplus
extern "C" {
#endif

#ifndef STRUNCATE
#define STRUNCATE 80
#endif
#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif
#ifndef _ERRNO_T_DEFINED
#define _ERRNO_T_DEFINED
typedef int errno_t;
#endif
#ifndef _RSIZE_T_DEFINED
#define _RSIZE_T_DEFINED
typedef size_t rsize_t;
#endif

/* Lengths, copies, concatenation, comparison, search. */
size_t kf_wcslen(const wchar_t *s);
size_t kf_wcsnlen(const wchar_t *s, size_t max);
wchar_t *kf_wcscpy(wchar_t *dst, const wchar_t *src);
wchar_t *kf_wcsncpy(wchar_t *dst, const wchar_t *src, size_t count);
wchar_t *kf_wcscat(wchar_t *dst, const wchar_t *src);
wchar_t *kf_wcsncat(wchar_t *dst, const wchar_t *src, size_t count);
int kf_wcscmp(const wchar_t *a, const wchar_t *b);
int kf_wcsncmp(const wchar_t *a, const wchar_t *b, size_t count);
int kf__wcsicmp(const wchar_t *a, const wchar_t *b);
int kf__wcsnicmp(const wchar_t *a, const wchar_t *b, size_t count);
wchar_t *kf_wcschr(const wchar_t *s, wchar_t c);
wchar_t *kf_wcsrchr(const wchar_t *s, wchar_t c);
wchar_t *kf_wcsstr(const wchar_t *s, const wchar_t *sub);

/* The bounds-checked forms (Annex K as the Microsoft CRT has it). */
errno_t kf_wcscpy_s(wchar_t *dst, rsize_t size, const wchar_t *src);
errno_t kf_wcsncpy_s(wchar_t *dst, rsize_t size, const wchar_t *src, rsize_t count);
errno_t kf_wcscat_s(wchar_t *dst, rsize_t size, const wchar_t *src);
errno_t kf_wcsncat_s(wchar_t *dst, rsize_t size, const wchar_t *src, rsize_t count);

/* Formatting (one formatter with DbgPrint and ntstrsafe: SEMANTICS.md C-9). */
int kf_swprintf_s(wchar_t *buf, size_t size, const wchar_t *fmt, ...);
int kf__snwprintf(wchar_t *buf, size_t count, const wchar_t *fmt, ...);
int kf__vsnwprintf(wchar_t *buf, size_t count, const wchar_t *fmt, va_list ap);
int kf_swprintf(wchar_t *buf, size_t count, const wchar_t *fmt, ...);
int kf_vswprintf(wchar_t *buf, size_t count, const wchar_t *fmt, va_list ap);

/* Character classes and case (the "C" locale: ASCII only, as the kernel has no locale). */
wint_t kf_towupper(wint_t c);
wint_t kf_towlower(wint_t c);
int kf_iswspace(wint_t c);
int kf_iswdigit(wint_t c);
int kf_iswxdigit(wint_t c);
int kf_iswalpha(wint_t c);
int kf_iswalnum(wint_t c);
int kf_iswupper(wint_t c);
int kf_iswlower(wint_t c);
wchar_t *kf__wcsupr(wchar_t *s);
wchar_t *kf__wcslwr(wchar_t *s);

/* Numbers. long is 32 bits in the kernel (LLP64): these return ULONG / LONG values. */
unsigned int kf_wcstoul(const wchar_t *s, wchar_t **end, int base);
int kf_wcstol(const wchar_t *s, wchar_t **end, int base);
errno_t kf__itow_s(int value, wchar_t *buf, size_t size, int radix);
errno_t kf__ultow_s(unsigned int value, wchar_t *buf, size_t size, int radix);

/* Memory over WCHAR units, spans, more classes, and the _wtoi family. */
wchar_t *kf_wmemcpy(wchar_t *dst, const wchar_t *src, size_t n);
wchar_t *kf_wmemmove(wchar_t *dst, const wchar_t *src, size_t n);
wchar_t *kf_wmemset(wchar_t *dst, wchar_t c, size_t n);
int kf_wmemcmp(const wchar_t *a, const wchar_t *b, size_t n);
wchar_t *kf_wmemchr(const wchar_t *s, wchar_t c, size_t n);
size_t kf_wcsspn(const wchar_t *s, const wchar_t *set);
size_t kf_wcscspn(const wchar_t *s, const wchar_t *set);
wchar_t *kf_wcspbrk(const wchar_t *s, const wchar_t *set);
int kf_iswprint(wint_t c);
int kf_iswgraph(wint_t c);
int kf_iswpunct(wint_t c);
int kf_iswcntrl(wint_t c);
int kf__wtoi(const wchar_t *s);
int kf__wtol(const wchar_t *s);
/* Declared so that the host's 4-byte versions are never reached; not modeled (not_modeled.def):
 * a call stops with violation routine-not-modeled. */
wchar_t *kf_wcstok(wchar_t *s, const wchar_t *delim, wchar_t **context);
int kf_wcscoll(const wchar_t *a, const wchar_t *b);
size_t kf_wcsxfrm(wchar_t *dst, const wchar_t *src, size_t n);
long long kf_wcstoll(const wchar_t *s, wchar_t **end, int base);
unsigned long long kf_wcstoull(const wchar_t *s, wchar_t **end, int base);
size_t kf_mbstowcs(wchar_t *dst, const char *src, size_t n);
size_t kf_wcstombs(char *dst, const wchar_t *src, size_t n);
int kf_mbtowc(wchar_t *dst, const char *src, size_t n);
int kf_wctomb(char *dst, wchar_t c);

#define wmemcpy kf_wmemcpy
#define wmemmove kf_wmemmove
#define wmemset kf_wmemset
#define wmemcmp kf_wmemcmp
#define wmemchr kf_wmemchr
#define wcsspn kf_wcsspn
#define wcscspn kf_wcscspn
#define wcspbrk kf_wcspbrk
#define iswprint kf_iswprint
#define iswgraph kf_iswgraph
#define iswpunct kf_iswpunct
#define iswcntrl kf_iswcntrl
#define _wtoi kf__wtoi
#define _wtol kf__wtol
#define wcstok kf_wcstok
#define wcscoll kf_wcscoll
#define wcsxfrm kf_wcsxfrm
#define wcstoll kf_wcstoll
#define wcstoull kf_wcstoull
#define mbstowcs kf_mbstowcs
#define wcstombs kf_wcstombs
#define mbtowc kf_mbtowc
#define wctomb kf_wctomb

/* Microsoft's narrow additions (the host C library's narrow functions serve the rest). */
int kf__stricmp(const char *a, const char *b);
int kf__strnicmp(const char *a, const char *b, size_t count);
char *kf__strupr(char *s);
char *kf__strlwr(char *s);
errno_t kf_strcpy_s(char *dst, rsize_t size, const char *src);
errno_t kf_strncpy_s(char *dst, rsize_t size, const char *src, rsize_t count);
errno_t kf_strcat_s(char *dst, rsize_t size, const char *src);
errno_t kf_strncat_s(char *dst, rsize_t size, const char *src, rsize_t count);
int kf_sprintf_s(char *buf, size_t size, const char *fmt, ...);
int kf__snprintf(char *buf, size_t count, const char *fmt, ...);
int kf__vsnprintf(char *buf, size_t count, const char *fmt, va_list ap);

#define _stricmp kf__stricmp
#define _strnicmp kf__strnicmp
#define _strupr kf__strupr
#define _strlwr kf__strlwr
#define strcpy_s kf_strcpy_s
#define strncpy_s kf_strncpy_s
#define strcat_s kf_strcat_s
#define strncat_s kf_strncat_s
#define sprintf_s kf_sprintf_s
#define _snprintf kf__snprintf
#define _vsnprintf kf__vsnprintf

#define wcslen kf_wcslen
#define wcsnlen kf_wcsnlen
#define wcscpy kf_wcscpy
#define wcsncpy kf_wcsncpy
#define wcscat kf_wcscat
#define wcsncat kf_wcsncat
#define wcscmp kf_wcscmp
#define wcsncmp kf_wcsncmp
#define _wcsicmp kf__wcsicmp
#define _wcsnicmp kf__wcsnicmp
#define wcschr kf_wcschr
#define wcsrchr kf_wcsrchr
#define wcsstr kf_wcsstr
#define wcscpy_s kf_wcscpy_s
#define wcsncpy_s kf_wcsncpy_s
#define wcscat_s kf_wcscat_s
#define wcsncat_s kf_wcsncat_s
#define swprintf_s kf_swprintf_s
#define _snwprintf kf__snwprintf
#define _vsnwprintf kf__vsnwprintf
#define swprintf kf_swprintf
#define vswprintf kf_vswprintf
#define towupper kf_towupper
#define towlower kf_towlower
#define iswspace kf_iswspace
#define iswdigit kf_iswdigit
#define iswxdigit kf_iswxdigit
#define iswalpha kf_iswalpha
#define iswalnum kf_iswalnum
#define iswupper kf_iswupper
#define iswlower kf_iswlower
#define _wcsupr kf__wcsupr
#define _wcslwr kf__wcslwr
#define wcstoul kf_wcstoul
#define wcstol kf_wcstol
#define _itow_s kf__itow_s
#define _ultow_s kf__ultow_s

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_CRT_H */
