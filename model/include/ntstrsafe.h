/*
 * ntstrsafe.h - the WDK's kernel-mode safe string functions: RtlStringCb* / RtlStringCch* over
 * NUL-terminated strings and RtlUnicodeString* over UNICODE_STRING, with the WDK's names, types,
 * constants and toggles (NTSTRSAFE_NO_CB_FUNCTIONS, NTSTRSAFE_NO_CCH_FUNCTIONS,
 * NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS; NTSTRSAFE_LIB is accepted and changes nothing).
 *
 * Each routine is a small inline function, as in the WDK, that passes the limits in force in the
 * driver (NTSTRSAFE_MAX_CCH and NTSTRSAFE_UNICODE_STRING_MAX_CCH, which a driver may lower
 * before including this header) to kfault's implementation in model/src/strsafe.c.
 * Rules U-20 .. U-29 of model/SEMANTICS.md.
 */
#ifndef KFAULT_NTSTRSAFE_H
#define KFAULT_NTSTRSAFE_H

#include "wdm.h"
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NTSTRSAFE_MAX_CCH
#define NTSTRSAFE_MAX_CCH 2147483647
#endif
#if NTSTRSAFE_MAX_CCH > 2147483647
#error "NTSTRSAFE_MAX_CCH may not be larger than 2147483647"
#endif
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
#ifndef NTSTRSAFE_UNICODE_STRING_MAX_CCH
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH (0xffff / 2) /* 0xffff / sizeof(wchar_t) */
#endif
#if NTSTRSAFE_UNICODE_STRING_MAX_CCH > (0xffff / 2)
#error "NTSTRSAFE_UNICODE_STRING_MAX_CCH may not be larger than 32767"
#endif

#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000
#define STRSAFE_IGNORE_NULL_UNICODE_STRINGS 0x00010000
#define STRSAFE_UNICODE_STRING_DEST_NULL_TERMINATED 0x00020000
#define STRSAFE_FILL_BYTE(x) ((unsigned long)(((x) & 0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((unsigned long)(((x) & 0x000000FF) | STRSAFE_FILL_ON_FAILURE))

typedef char *NTSTRSAFE_PSTR;
typedef const char *NTSTRSAFE_PCSTR;
typedef wchar_t *NTSTRSAFE_PWSTR;
typedef const wchar_t *NTSTRSAFE_PCWSTR;
typedef ULONG STRSAFE_DWORD;

/* kfault's implementation (model/src/strsafe.c). wide: WCHAR units, else char; cch counts units;
 * maxcch is the driver's limit; ex: the Ex form (flags honoured, NULLs as flags say). */
NTSTATUS kf__ss_copy(const char *routine, int wide, void *dst, size_t cch_dest, const void *src, size_t cch_src,
                     void **end, size_t *remaining, ULONG flags, size_t maxcch, int ex);
NTSTATUS kf__ss_cat(const char *routine, int wide, void *dst, size_t cch_dest, const void *src, size_t cch_src,
                    void **end, size_t *remaining, ULONG flags, size_t maxcch, int ex);
NTSTATUS kf__ss_vprintf(const char *routine, int wide, void *dst, size_t cch_dest, void **end, size_t *remaining,
                        ULONG flags, size_t maxcch, int ex, const void *fmt, va_list ap);
NTSTATUS kf__ss_length(const char *routine, int wide, const void *s, size_t cch_max, size_t *len, size_t maxcch);
NTSTATUS kf__us_init(const char *routine, PUNICODE_STRING d, PCWSTR src, ULONG flags, size_t maxcch, int ex);
NTSTATUS kf__us_validate(PCUNICODE_STRING s, ULONG flags, size_t maxcch, int ex);
NTSTATUS kf__us_put(const char *routine, PUNICODE_STRING d, const WCHAR *src, size_t units, int counted,
                    int append, size_t maxcch);
NTSTATUS kf__us_vprintf(const char *routine, PUNICODE_STRING d, size_t maxcch, PCWSTR fmt, va_list ap);

#define KF__SS_END(e) ((void **)(void *)(e))

#ifndef NTSTRSAFE_NO_CCH_FUNCTIONS
FORCEINLINE NTSTATUS RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__ss_copy("RtlStringCchCopyW", 1, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return kf__ss_copy("RtlStringCchCopyA", 0, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                        size_t cchToCopy)
{
    return kf__ss_copy("RtlStringCchCopyNW", 1, pszDest, cchDest, pszSrc, cchToCopy, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                        size_t cchToCopy)
{
    return kf__ss_copy("RtlStringCchCopyNA", 0, pszDest, cchDest, pszSrc, cchToCopy, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                         NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, STRSAFE_DWORD dwFlags)
{
    return kf__ss_copy("RtlStringCchCopyExW", 1, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH,
                       KF__SS_END(ppszDestEnd), pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__ss_cat("RtlStringCchCatW", 1, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return kf__ss_cat("RtlStringCchCatA", 0, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                       size_t cchToAppend)
{
    return kf__ss_cat("RtlStringCchCatNW", 1, pszDest, cchDest, pszSrc, cchToAppend, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                        NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, STRSAFE_DWORD dwFlags)
{
    return kf__ss_cat("RtlStringCchCatExW", 1, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH,
                      KF__SS_END(ppszDestEnd), pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                                          va_list argList)
{
    return kf__ss_vprintf("RtlStringCchVPrintfW", 1, pszDest, cchDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                          pszFormat, argList);
}
static inline NTSTATUS RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCchPrintfW", 1, pszDest, cchDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                                pszFormat, ap);
    va_end(ap);
    return s;
}
static inline NTSTATUS RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCchPrintfA", 0, pszDest, cchDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                                pszFormat, ap);
    va_end(ap);
    return s;
}
static inline NTSTATUS RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                             size_t *pcchRemaining, STRSAFE_DWORD dwFlags,
                                             NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCchPrintfExW", 1, pszDest, cchDest, KF__SS_END(ppszDestEnd),
                                pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1, pszFormat, ap);
    va_end(ap);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                         NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, STRSAFE_DWORD dwFlags)
{
    return kf__ss_copy("RtlStringCchCopyExA", 0, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH,
                       KF__SS_END(ppszDestEnd), pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                        NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, STRSAFE_DWORD dwFlags)
{
    return kf__ss_cat("RtlStringCchCatExA", 0, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_LENGTH,
                      KF__SS_END(ppszDestEnd), pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                       size_t cchToAppend)
{
    return kf__ss_cat("RtlStringCchCatNA", 0, pszDest, cchDest, pszSrc, cchToAppend, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat,
                                          va_list argList)
{
    return kf__ss_vprintf("RtlStringCchVPrintfA", 0, pszDest, cchDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                          pszFormat, argList);
}
static inline NTSTATUS RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                             size_t *pcchRemaining, STRSAFE_DWORD dwFlags,
                                             NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCchPrintfExA", 0, pszDest, cchDest, KF__SS_END(ppszDestEnd),
                                pcchRemaining, dwFlags, NTSTRSAFE_MAX_CCH, 1, pszFormat, ap);
    va_end(ap);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax, size_t *pcchLength)
{
    return kf__ss_length("RtlStringCchLengthW", 1, psz, cchMax, pcchLength, NTSTRSAFE_MAX_CCH);
}
FORCEINLINE NTSTATUS RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax, size_t *pcchLength)
{
    return kf__ss_length("RtlStringCchLengthA", 0, psz, cchMax, pcchLength, NTSTRSAFE_MAX_CCH);
}
#endif /* NTSTRSAFE_NO_CCH_FUNCTIONS */

#ifndef NTSTRSAFE_NO_CB_FUNCTIONS
/* Byte counts: a wide destination of cb bytes holds cb / 2 characters; remaining counts return bytes. */
FORCEINLINE NTSTATUS RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__ss_copy("RtlStringCbCopyW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc, NTSTRSAFE_MAX_LENGTH,
                       NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return kf__ss_copy("RtlStringCbCopyA", 0, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                       size_t cbToCopy)
{
    return kf__ss_copy("RtlStringCbCopyNW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc,
                       cbToCopy / sizeof(wchar_t), NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                       size_t cbToCopy)
{
    return kf__ss_copy("RtlStringCbCopyNA", 0, pszDest, cbDest, pszSrc, cbToCopy, NULL, NULL, 0,
                       NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                        NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, STRSAFE_DWORD dwFlags)
{
    size_t cch = 0;
    NTSTATUS s = kf__ss_copy("RtlStringCbCopyExW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc,
                             NTSTRSAFE_MAX_LENGTH, KF__SS_END(ppszDestEnd), &cch, dwFlags, NTSTRSAFE_MAX_CCH, 1);
    if (pcbRemaining && s != STATUS_INVALID_PARAMETER)
        *pcbRemaining = cch * sizeof(wchar_t) + cbDest % sizeof(wchar_t);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__ss_cat("RtlStringCbCatW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc, NTSTRSAFE_MAX_LENGTH,
                      NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return kf__ss_cat("RtlStringCbCatA", 0, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_LENGTH, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                      size_t cbToAppend)
{
    return kf__ss_cat("RtlStringCbCatNW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc,
                      cbToAppend / sizeof(wchar_t), NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                       NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, STRSAFE_DWORD dwFlags)
{
    size_t cch = 0;
    NTSTATUS s = kf__ss_cat("RtlStringCbCatExW", 1, pszDest, cbDest / sizeof(wchar_t), pszSrc,
                            NTSTRSAFE_MAX_LENGTH, KF__SS_END(ppszDestEnd), &cch, dwFlags, NTSTRSAFE_MAX_CCH, 1);
    if (pcbRemaining && s != STATUS_INVALID_PARAMETER)
        *pcbRemaining = cch * sizeof(wchar_t) + cbDest % sizeof(wchar_t);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                      size_t cbToAppend)
{
    return kf__ss_cat("RtlStringCbCatNA", 0, pszDest, cbDest, pszSrc, cbToAppend, NULL, NULL, 0,
                      NTSTRSAFE_MAX_CCH, 0);
}
static inline NTSTATUS RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                            size_t *pcbRemaining, STRSAFE_DWORD dwFlags,
                                            NTSTRSAFE_PCWSTR pszFormat, ...)
{
    size_t cch = 0;
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCbPrintfExW", 1, pszDest, cbDest / sizeof(wchar_t),
                                KF__SS_END(ppszDestEnd), &cch, dwFlags, NTSTRSAFE_MAX_CCH, 1, pszFormat, ap);
    va_end(ap);
    if (pcbRemaining && s != STATUS_INVALID_PARAMETER)
        *pcbRemaining = cch * sizeof(wchar_t) + cbDest % sizeof(wchar_t);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat,
                                         va_list argList)
{
    return kf__ss_vprintf("RtlStringCbVPrintfW", 1, pszDest, cbDest / sizeof(wchar_t), NULL, NULL, 0,
                          NTSTRSAFE_MAX_CCH, 0, pszFormat, argList);
}
FORCEINLINE NTSTATUS RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat,
                                         va_list argList)
{
    return kf__ss_vprintf("RtlStringCbVPrintfA", 0, pszDest, cbDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                          pszFormat, argList);
}
static inline NTSTATUS RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCbPrintfW", 1, pszDest, cbDest / sizeof(wchar_t), NULL, NULL, 0,
                                NTSTRSAFE_MAX_CCH, 0, pszFormat, ap);
    va_end(ap);
    return s;
}
static inline NTSTATUS RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__ss_vprintf("RtlStringCbPrintfA", 0, pszDest, cbDest, NULL, NULL, 0, NTSTRSAFE_MAX_CCH, 0,
                                pszFormat, ap);
    va_end(ap);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax, size_t *pcbLength)
{
    size_t cch = 0;
    NTSTATUS s = kf__ss_length("RtlStringCbLengthW", 1, psz, cbMax / sizeof(wchar_t), &cch, NTSTRSAFE_MAX_CCH);
    if (pcbLength)
        *pcbLength = cch * sizeof(wchar_t);
    return s;
}
FORCEINLINE NTSTATUS RtlStringCbLengthA(NTSTRSAFE_PCSTR psz, size_t cbMax, size_t *pcbLength)
{
    return kf__ss_length("RtlStringCbLengthA", 0, psz, cbMax, pcbLength, NTSTRSAFE_MAX_CCH);
}
#endif /* NTSTRSAFE_NO_CB_FUNCTIONS */

#ifndef NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS
FORCEINLINE NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__us_init("RtlUnicodeStringInit", DestinationString, pszSrc, 0, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                            STRSAFE_DWORD dwFlags)
{
    return kf__us_init("RtlUnicodeStringInitEx", DestinationString, pszSrc, dwFlags,
                       NTSTRSAFE_UNICODE_STRING_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlUnicodeStringValidate(PCUNICODE_STRING SourceString)
{
    return kf__us_validate(SourceString, 0, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0);
}
FORCEINLINE NTSTATUS RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString, STRSAFE_DWORD dwFlags)
{
    return kf__us_validate(SourceString, dwFlags, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 1);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    NTSTATUS s = kf__us_validate(SourceString, 0, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0);
    if (!NT_SUCCESS(s))
        return s;
    return kf__us_put("RtlUnicodeStringCopy", DestinationString, SourceString->Buffer,
                      SourceString->Length / sizeof(wchar_t), 1, 0, NTSTRSAFE_UNICODE_STRING_MAX_CCH);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__us_put("RtlUnicodeStringCopyString", DestinationString, pszSrc, 0, 0, 0,
                      NTSTRSAFE_UNICODE_STRING_MAX_CCH);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCat(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    NTSTATUS s = kf__us_validate(SourceString, 0, NTSTRSAFE_UNICODE_STRING_MAX_CCH, 0);
    if (!NT_SUCCESS(s))
        return s;
    return kf__us_put("RtlUnicodeStringCat", DestinationString, SourceString->Buffer,
                      SourceString->Length / sizeof(wchar_t), 1, 1, NTSTRSAFE_UNICODE_STRING_MAX_CCH);
}
FORCEINLINE NTSTATUS RtlUnicodeStringCatString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    return kf__us_put("RtlUnicodeStringCatString", DestinationString, pszSrc, 0, 0, 1,
                      NTSTRSAFE_UNICODE_STRING_MAX_CCH);
}
static inline NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS s = kf__us_vprintf("RtlUnicodeStringPrintf", DestinationString, NTSTRSAFE_UNICODE_STRING_MAX_CCH,
                                pszFormat, ap);
    va_end(ap);
    return s;
}
FORCEINLINE NTSTATUS RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat,
                                             va_list argList)
{
    return kf__us_vprintf("RtlUnicodeStringVPrintf", DestinationString, NTSTRSAFE_UNICODE_STRING_MAX_CCH,
                          pszFormat, argList);
}
#endif /* NTSTRSAFE_NO_UNICODE_STRING_FUNCTIONS */

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTSTRSAFE_H */
