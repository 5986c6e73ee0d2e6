/*
 * rtl_string.c - the Rtl string family: UNICODE_STRING / ANSI_STRING initialization, copy,
 * append, comparison, case, conversions, numbers and GUIDs, and the buffers these routines
 * allocate for the caller (site rtl.string, freed only by RtlFreeUnicodeString /
 * RtlFreeAnsiString).
 *
 * Rules U-1 .. U-19 of model/SEMANTICS.md. WCHAR arrays are walked by hand. Must never read a
 * string past its Length (counted strings need no NUL), never write past MaximumLength, never
 * free what it did not allocate, and never let an address decide anything a driver sees.
 */
#include "internal.h"
#include "ntifs.h" /* ntddk.h, and the file system Rtl routines (RtlIsNameLegalDOS8Dot3) */

#include <stdlib.h>

/* ---- Buffers allocated for the caller (U-13, U-14) -------------------------------------------- */

enum { KIND_UNICODE = 1, KIND_ANSI = 2 };

typedef struct rtl_block {
    struct rtl_block *next;
    void *buffer;
    int kind;
} rtl_block;

static rtl_block *blocks;
static size_t n_blocks;

size_t kf__rtl_strings_outstanding(void) { return n_blocks; }

/* kf_leaks counts the buffers (in pool_blocks and rtl_strings) before the reset frees them. */
static void rtl_reset(void)
{
    while (blocks) {
        rtl_block *b = blocks;
        blocks = b->next;
        free(b->buffer);
        free(b);
    }
    n_blocks = 0;
}

static void *rtl_alloc(size_t bytes, int kind)
{
    kf__register_reset(rtl_reset);
    if (kf_fault_consult(KF_SITE_RTL_STRING) != KF_FAULT_NONE)
        return NULL;
    rtl_block *b = malloc(sizeof *b);
    void *p = malloc(bytes ? bytes : 1);
    if (!b || !p) {
        free(b);
        free(p);
        return NULL;
    }
    b->buffer = p;
    b->kind = kind;
    b->next = blocks;
    blocks = b;
    n_blocks++;
    return p;
}

static void rtl_free(const char *routine, void *p, int kind)
{
    for (rtl_block **pb = &blocks; *pb; pb = &(*pb)->next) {
        rtl_block *b = *pb;
        if (b->buffer != p)
            continue;
        if (b->kind != kind)
            kf_violation_stop(KF_VIOL_RTL_FREE_FOREIGN, routine, 0, 0, 0,
                              "%s of a buffer that was allocated for %s string", routine,
                              b->kind == KIND_UNICODE ? "a UNICODE" : "an ANSI");
        *pb = b->next;
        n_blocks--;
        free(b->buffer);
        free(b);
        return;
    }
    kf_violation_stop(KF_VIOL_RTL_FREE_FOREIGN, routine, 0, 0, 0,
                      "%s of a buffer that no Rtl routine allocated for the caller (the driver's own pool, an "
                      "RtlInit* string, a stack buffer, or one already freed)",
                      routine);
}

/* ---- Checks (U-2, U-3, U-4) ------------------------------------------------------------------ */

static void need(const char *routine, const void *p, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_RTL_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine, what);
}

static void check_u(const char *routine, const UNICODE_STRING *s, const char *what)
{
    need(routine, s, what);
    kf__check_unicode_string(routine, s, what);
}

static void check_a(const char *routine, const STRING *s, const char *what)
{
    need(routine, s, what);
    kf__check_ansi_string(routine, s, what);
}

/* A destination that is written: its Buffer must hold MaximumLength bytes. */
static void check_dest(const char *routine, const void *buffer, USHORT max, const char *what)
{
    if (!buffer && max)
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, 0, max, 0,
                          "%s: %s has MaximumLength %u and a NULL Buffer", routine, what, max);
}

/* Pageable routines (documented PASSIVE_LEVEL / <= APC_LEVEL): with Driver Verifier's IRQL
 * checking, pageable code touched above APC_LEVEL is bug check IRQL_NOT_LESS_OR_EQUAL. */
static void pageable(const char *routine)
{
    KIRQL irql = KeGetCurrentIrql();
    if (irql > APC_LEVEL)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, irql, 0, 0,
                    "%s is pageable (documented for PASSIVE_LEVEL) and was called at IRQL %u", routine, irql);
}

/* ---- Initialization (U-1, U-5) ----------------------------------------------------------------- */

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    need("RtlInitUnicodeString", DestinationString, "DestinationString");
    size_t bytes = SourceString ? kf_wcslen(SourceString) * sizeof(WCHAR) : 0;
    if (bytes > UNICODE_STRING_MAX_BYTES - sizeof(WCHAR))
        bytes = UNICODE_STRING_MAX_BYTES - sizeof(WCHAR);
    DestinationString->Length = (USHORT)bytes;
    DestinationString->MaximumLength = SourceString ? (USHORT)(bytes + sizeof(WCHAR)) : 0;
    DestinationString->Buffer = (PWSTR)SourceString;
}

NTSTATUS RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    need("RtlInitUnicodeStringEx", DestinationString, "DestinationString");
    size_t bytes = SourceString ? kf_wcslen(SourceString) * sizeof(WCHAR) : 0;
    if (bytes > UNICODE_STRING_MAX_BYTES - sizeof(WCHAR))
        return STATUS_NAME_TOO_LONG;
    DestinationString->Length = (USHORT)bytes;
    DestinationString->MaximumLength = SourceString ? (USHORT)(bytes + sizeof(WCHAR)) : 0;
    DestinationString->Buffer = (PWSTR)SourceString;
    return STATUS_SUCCESS;
}

static void init_ansi(const char *routine, PSTRING d, PCSZ s)
{
    need(routine, d, "DestinationString");
    size_t n = s ? strlen(s) : 0;
    if (n > MAXUSHORT - 1)
        n = MAXUSHORT - 1;
    d->Length = (USHORT)n;
    d->MaximumLength = s ? (USHORT)(n + 1) : 0;
    d->Buffer = (PCHAR)s;
}

VOID RtlInitString(PSTRING DestinationString, PCSZ SourceString)
{
    init_ansi("RtlInitString", DestinationString, SourceString);
}

VOID RtlInitAnsiString(PANSI_STRING DestinationString, PCSZ SourceString)
{
    init_ansi("RtlInitAnsiString", DestinationString, SourceString);
}

BOOLEAN RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    pageable("RtlCreateUnicodeString");
    need("RtlCreateUnicodeString", DestinationString, "DestinationString");
    need("RtlCreateUnicodeString", SourceString, "SourceString");
    size_t bytes = (kf_wcslen(SourceString) + 1) * sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES)
        return FALSE;
    PWSTR p = rtl_alloc(bytes, KIND_UNICODE);
    if (!p)
        return FALSE;
    memcpy(p, SourceString, bytes);
    DestinationString->Buffer = p;
    DestinationString->Length = (USHORT)(bytes - sizeof(WCHAR));
    DestinationString->MaximumLength = (USHORT)bytes;
    return TRUE;
}

/* ---- Copy and append (U-6, U-7: a NUL follows when at least one WCHAR of room is left) ------ */

VOID RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    need("RtlCopyUnicodeString", DestinationString, "DestinationString");
    check_dest("RtlCopyUnicodeString", DestinationString->Buffer, DestinationString->MaximumLength,
               "DestinationString");
    if (!SourceString) {
        DestinationString->Length = 0;
        return;
    }
    kf__check_unicode_string("RtlCopyUnicodeString", SourceString, "SourceString");
    USHORT n = SourceString->Length;
    if (n > (DestinationString->MaximumLength & ~1u))
        n = (USHORT)(DestinationString->MaximumLength & ~1u);
    if (n)
        memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    if ((size_t)n + sizeof(WCHAR) <= DestinationString->MaximumLength)
        DestinationString->Buffer[n / sizeof(WCHAR)] = UNICODE_NULL;
}

VOID RtlCopyString(PSTRING DestinationString, const STRING *SourceString)
{
    need("RtlCopyString", DestinationString, "DestinationString");
    check_dest("RtlCopyString", DestinationString->Buffer, DestinationString->MaximumLength, "DestinationString");
    if (!SourceString) {
        DestinationString->Length = 0;
        return;
    }
    check_a("RtlCopyString", SourceString, "SourceString");
    USHORT n = SourceString->Length;
    if (n > DestinationString->MaximumLength)
        n = DestinationString->MaximumLength;
    if (n)
        memmove(DestinationString->Buffer, SourceString->Buffer, n);
    DestinationString->Length = n;
    if (n < DestinationString->MaximumLength)
        DestinationString->Buffer[n] = ANSI_NULL;
}

static NTSTATUS append(const char *routine, PUNICODE_STRING d, const WCHAR *src, size_t bytes)
{
    kf__check_unicode_string(routine, d, "Destination");
    check_dest(routine, d->Buffer, d->MaximumLength, "Destination");
    if (!bytes)
        return STATUS_SUCCESS;
    if ((size_t)d->Length + bytes > d->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    memmove((char *)d->Buffer + d->Length, src, bytes);
    d->Length = (USHORT)(d->Length + bytes);
    if ((size_t)d->Length + sizeof(WCHAR) <= d->MaximumLength)
        d->Buffer[d->Length / sizeof(WCHAR)] = UNICODE_NULL;
    return STATUS_SUCCESS;
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    need("RtlAppendUnicodeToString", Destination, "Destination");
    size_t bytes = Source ? kf_wcslen(Source) * sizeof(WCHAR) : 0;
    return append("RtlAppendUnicodeToString", Destination, Source, bytes);
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source)
{
    need("RtlAppendUnicodeStringToString", Destination, "Destination");
    check_u("RtlAppendUnicodeStringToString", Source, "Source");
    return append("RtlAppendUnicodeStringToString", Destination, Source->Buffer, Source->Length);
}

NTSTATUS RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut)
{
    pageable("RtlDuplicateUnicodeString");
    if (!StringIn || !StringOut ||
        (Flags & ~(ULONG)(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE | RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)))
        return STATUS_INVALID_PARAMETER;
    kf__check_unicode_string("RtlDuplicateUnicodeString", StringIn, "StringIn");
    int nul = (Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE) != 0;
    if (StringIn->Length == 0 && !(Flags & RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)) {
        StringOut->Length = StringOut->MaximumLength = 0;
        StringOut->Buffer = NULL;
        return STATUS_SUCCESS;
    }
    size_t max = StringIn->Length + ((nul || StringIn->Length == 0) ? sizeof(WCHAR) : 0);
    if (max > UNICODE_STRING_MAX_BYTES)
        return STATUS_NAME_TOO_LONG;
    PWSTR p = rtl_alloc(max, KIND_UNICODE);
    if (!p)
        return STATUS_NO_MEMORY;
    if (StringIn->Length)
        memcpy(p, StringIn->Buffer, StringIn->Length);
    if (max > StringIn->Length)
        p[StringIn->Length / sizeof(WCHAR)] = UNICODE_NULL;
    StringOut->Buffer = p;
    StringOut->Length = StringIn->Length;
    StringOut->MaximumLength = (USHORT)max;
    return STATUS_SUCCESS;
}

/* ---- Comparison (U-8, U-9) --------------------------------------------------------------------- */

WCHAR RtlUpcaseUnicodeChar(WCHAR SourceCharacter)
{
    pageable("RtlUpcaseUnicodeChar");
    return kf__upcase(SourceCharacter);
}

WCHAR RtlDowncaseUnicodeChar(WCHAR SourceCharacter)
{
    pageable("RtlDowncaseUnicodeChar");
    return kf__downcase(SourceCharacter);
}

static LONG compare_units(const WCHAR *a, size_t na, const WCHAR *b, size_t nb, BOOLEAN ci)
{
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        WCHAR x = a[i], y = b[i];
        if (ci) {
            x = kf__upcase(x);
            y = kf__upcase(y);
        }
        if (x != y)
            return (LONG)x - (LONG)y;
    }
    return (LONG)na - (LONG)nb;
}

LONG RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T String2Length,
                              BOOLEAN CaseInSensitive)
{
    pageable("RtlCompareUnicodeStrings");
    if ((!String1 && String1Length) || (!String2 && String2Length))
        kf_violation_stop(KF_VIOL_RTL_NULL_ARGUMENT, "RtlCompareUnicodeStrings", 0, 0, 0,
                          "RtlCompareUnicodeStrings: a NULL string with a non-zero length");
    kf__cmp_hook(__builtin_return_address(0), String1, String1Length, String2, String2Length); /* FD-26 */
    return compare_units(String1, String1Length, String2, String2Length, CaseInSensitive);
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlCompareUnicodeString");
    check_u("RtlCompareUnicodeString", String1, "String1");
    check_u("RtlCompareUnicodeString", String2, "String2");
    kf__cmp_hook(__builtin_return_address(0), String1->Buffer, String1->Length / 2u, String2->Buffer,
                 String2->Length / 2u); /* FD-26 */
    return compare_units(String1->Buffer, String1->Length / 2u, String2->Buffer, String2->Length / 2u,
                         CaseInSensitive);
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlEqualUnicodeString");
    check_u("RtlEqualUnicodeString", String1, "String1");
    check_u("RtlEqualUnicodeString", String2, "String2");
    kf__cmp_hook(__builtin_return_address(0), String1->Buffer, String1->Length / 2u, String2->Buffer,
                 String2->Length / 2u); /* FD-26 */
    if (String1->Length != String2->Length)
        return FALSE;
    return compare_units(String1->Buffer, String1->Length / 2u, String2->Buffer, String2->Length / 2u,
                         CaseInSensitive) == 0;
}

BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlPrefixUnicodeString");
    check_u("RtlPrefixUnicodeString", String1, "String1");
    check_u("RtlPrefixUnicodeString", String2, "String2");
    /* FD-26: the start of String2 is what would have to be String1. */
    kf__cmp_hook(__builtin_return_address(0), String2->Buffer,
                 (String1->Length < String2->Length ? String1->Length : String2->Length) / 2u, String1->Buffer,
                 String1->Length / 2u);
    if (String1->Length > String2->Length)
        return FALSE;
    return compare_units(String1->Buffer, String1->Length / 2u, String2->Buffer, String1->Length / 2u,
                         CaseInSensitive) == 0;
}

BOOLEAN RtlSuffixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlSuffixUnicodeString");
    check_u("RtlSuffixUnicodeString", String1, "String1");
    check_u("RtlSuffixUnicodeString", String2, "String2");
    if (String1->Length > String2->Length)
        return FALSE;
    /* FD-26: the end of String2 is what would have to be String1. */
    if (String1->Length)
        kf__cmp_hook(__builtin_return_address(0), String2->Buffer + (String2->Length - String1->Length) / 2u,
                     String1->Length / 2u, String1->Buffer, String1->Length / 2u);
    if (String1->Length == 0)
        return TRUE;
    size_t skip = (size_t)(String2->Length - String1->Length) / 2u;
    return compare_units(String1->Buffer, String1->Length / 2u, String2->Buffer + skip, String1->Length / 2u,
                         CaseInSensitive) == 0;
}

static LONG compare_bytes(const STRING *a, const STRING *b, BOOLEAN ci)
{
    size_t n = a->Length < b->Length ? a->Length : b->Length;
    for (size_t i = 0; i < n; i++) {
        WCHAR x = (UCHAR)a->Buffer[i], y = (UCHAR)b->Buffer[i];
        if (ci) {
            x = kf__upcase(x);
            y = kf__upcase(y);
            x = x > 0xFF ? (UCHAR)a->Buffer[i] : x; /* stays within the byte's code page */
            y = y > 0xFF ? (UCHAR)b->Buffer[i] : y;
        }
        if (x != y)
            return (LONG)x - (LONG)y;
    }
    return (LONG)a->Length - (LONG)b->Length;
}

LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlCompareString");
    check_a("RtlCompareString", String1, "String1");
    check_a("RtlCompareString", String2, "String2");
    return compare_bytes(String1, String2, CaseInSensitive);
}

BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    pageable("RtlEqualString");
    check_a("RtlEqualString", String1, "String1");
    check_a("RtlEqualString", String2, "String2");
    return String1->Length == String2->Length && compare_bytes(String1, String2, CaseInSensitive) == 0;
}

/* ---- Case conversion of a whole string (U-10) -------------------------------------------------- */

static NTSTATUS convert_case(const char *routine, PUNICODE_STRING d, PCUNICODE_STRING s, BOOLEAN alloc,
                             WCHAR (*map)(WCHAR))
{
    pageable(routine);
    need(routine, d, "DestinationString");
    check_u(routine, s, "SourceString");
    USHORT n = s->Length;
    if (alloc) {
        PWSTR p = rtl_alloc(n, KIND_UNICODE);
        if (!p)
            return STATUS_NO_MEMORY;
        d->Buffer = p;
        d->MaximumLength = n;
    } else {
        check_dest(routine, d->Buffer, d->MaximumLength, "DestinationString");
        if (n > d->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
    }
    for (size_t i = 0; i < n / 2u; i++)
        d->Buffer[i] = map(s->Buffer[i]);
    d->Length = n;
    return STATUS_SUCCESS;
}

NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                BOOLEAN AllocateDestinationString)
{
    return convert_case("RtlUpcaseUnicodeString", DestinationString, SourceString, AllocateDestinationString,
                        kf__upcase);
}

NTSTATUS RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                  BOOLEAN AllocateDestinationString)
{
    return convert_case("RtlDowncaseUnicodeString", DestinationString, SourceString, AllocateDestinationString,
                        kf__downcase);
}

/* ---- ANSI <-> Unicode (U-11, U-12) ----------------------------------------------------------- */

NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    const char *r = "RtlAnsiStringToUnicodeString";
    pageable(r);
    need(r, DestinationString, "DestinationString");
    check_a(r, SourceString, "SourceString");
    size_t size = ((size_t)SourceString->Length + 1) * sizeof(WCHAR);
    if (size > MAXUSHORT)
        return STATUS_INVALID_PARAMETER_2;
    if (AllocateDestinationString) {
        PWSTR p = rtl_alloc(size, KIND_UNICODE);
        if (!p)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = p;
        DestinationString->MaximumLength = (USHORT)size;
    } else {
        check_dest(r, DestinationString->Buffer, DestinationString->MaximumLength, "DestinationString");
        if (size > DestinationString->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
    }
    for (size_t i = 0; i < SourceString->Length; i++)
        DestinationString->Buffer[i] = (UCHAR)SourceString->Buffer[i];
    DestinationString->Buffer[SourceString->Length] = UNICODE_NULL;
    DestinationString->Length = (USHORT)(size - sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    const char *r = "RtlUnicodeStringToAnsiString";
    NTSTATUS status = STATUS_SUCCESS;
    pageable(r);
    need(r, DestinationString, "DestinationString");
    check_u(r, SourceString, "SourceString");
    size_t n = SourceString->Length / sizeof(WCHAR);
    if (n + 1 > MAXUSHORT)
        return STATUS_INVALID_PARAMETER_2;
    if (AllocateDestinationString) {
        PCHAR p = rtl_alloc(n + 1, KIND_ANSI);
        if (!p)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = p;
        DestinationString->MaximumLength = (USHORT)(n + 1);
    } else {
        check_dest(r, DestinationString->Buffer, DestinationString->MaximumLength, "DestinationString");
        if (n + 1 > DestinationString->MaximumLength) {
            if (DestinationString->MaximumLength == 0)
                return STATUS_BUFFER_OVERFLOW;
            status = STATUS_BUFFER_OVERFLOW;
            n = DestinationString->MaximumLength - 1u;
        }
    }
    for (size_t i = 0; i < n; i++)
        DestinationString->Buffer[i] = kf__wide_to_ansi(SourceString->Buffer[i]);
    DestinationString->Buffer[n] = ANSI_NULL;
    DestinationString->Length = (USHORT)n;
    return status;
}

VOID RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
    pageable("RtlFreeUnicodeString");
    need("RtlFreeUnicodeString", UnicodeString, "UnicodeString");
    if (UnicodeString->Buffer)
        rtl_free("RtlFreeUnicodeString", UnicodeString->Buffer, KIND_UNICODE);
    memset(UnicodeString, 0, sizeof *UnicodeString);
}

VOID RtlFreeAnsiString(PANSI_STRING AnsiString)
{
    pageable("RtlFreeAnsiString");
    need("RtlFreeAnsiString", AnsiString, "AnsiString");
    if (AnsiString->Buffer)
        rtl_free("RtlFreeAnsiString", AnsiString->Buffer, KIND_ANSI);
    memset(AnsiString, 0, sizeof *AnsiString);
}

/* ---- Numbers (U-15, U-16) ------------------------------------------------------------------- */

static int digit_of(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return 99;
}

/* The parser of RtlUnicodeStringToInteger and RtlCharToInteger over n units at unit(i). */
static NTSTATUS parse_integer(const char *routine, unsigned (*unit)(const void *, size_t), const void *s,
                              size_t n, ULONG base, PULONG value)
{
    size_t i = 0;
    int neg = 0;
    while (i < n && unit(s, i) <= ' ')
        i++;
    if (i < n && (unit(s, i) == '+' || unit(s, i) == '-'))
        neg = unit(s, i++) == '-';
    if (base == 0) {
        base = 10;
        if (i + 1 < n && unit(s, i) == '0') {
            unsigned p = unit(s, i + 1);
            base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
            if (base != 10)
                i += 2;
        }
    } else if (base != 2 && base != 8 && base != 10 && base != 16) {
        return STATUS_INVALID_PARAMETER;
    }
    need(routine, value, "Value");
    ULONG total = 0;
    for (int d; i < n && (d = digit_of(unit(s, i))) < (int)base; i++)
        total = total * base + (ULONG)d;
    *value = neg ? 0u - total : total;
    return STATUS_SUCCESS;
}

static unsigned wide_unit(const void *s, size_t i) { return (unsigned short)((const WCHAR *)s)[i]; }
static unsigned narrow_unit(const void *s, size_t i) { return (unsigned char)((const char *)s)[i]; }

NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)
{
    pageable("RtlUnicodeStringToInteger");
    check_u("RtlUnicodeStringToInteger", String, "String");
    return parse_integer("RtlUnicodeStringToInteger", wide_unit, String->Buffer, String->Length / 2u, Base, Value);
}

NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value)
{
    pageable("RtlCharToInteger");
    need("RtlCharToInteger", String, "String");
    return parse_integer("RtlCharToInteger", narrow_unit, String, strlen(String), Base, Value);
}

static NTSTATUS integer_to_string(const char *routine, ULONGLONG v, ULONG base, PUNICODE_STRING s)
{
    pageable(routine);
    if (base == 0)
        base = 10;
    if (base != 2 && base != 8 && base != 10 && base != 16)
        return STATUS_INVALID_PARAMETER;
    need(routine, s, "String");
    check_dest(routine, s->Buffer, s->MaximumLength, "String");
    char digits[65];
    size_t n = 0;
    do {
        digits[n++] = "0123456789ABCDEF"[v % base];
        v /= base;
    } while (v);
    if ((n + 1) * sizeof(WCHAR) > s->MaximumLength)
        return STATUS_BUFFER_OVERFLOW;
    for (size_t i = 0; i < n; i++)
        s->Buffer[i] = (WCHAR)digits[n - 1 - i];
    s->Buffer[n] = UNICODE_NULL;
    s->Length = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
    return integer_to_string("RtlIntegerToUnicodeString", Value, Base, String);
}

NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)
{
    return integer_to_string("RtlInt64ToUnicodeString", Value, Base, String);
}

/* ---- GUIDs (U-17) ------------------------------------------------------------------------------ */

#define GUID_CHARS 38 /* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} */

NTSTATUS RtlStringFromGUID(REFGUID Guid, PUNICODE_STRING GuidString)
{
    pageable("RtlStringFromGUID");
    need("RtlStringFromGUID", Guid, "Guid");
    need("RtlStringFromGUID", GuidString, "GuidString");
    char text[GUID_CHARS + 1];
    snprintf(text, sizeof text, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)Guid->Data1,
             Guid->Data2, Guid->Data3, Guid->Data4[0], Guid->Data4[1], Guid->Data4[2], Guid->Data4[3],
             Guid->Data4[4], Guid->Data4[5], Guid->Data4[6], Guid->Data4[7]);
    PWSTR p = rtl_alloc((GUID_CHARS + 1) * sizeof(WCHAR), KIND_UNICODE);
    if (!p)
        return STATUS_NO_MEMORY;
    for (size_t i = 0; i <= GUID_CHARS; i++)
        p[i] = (WCHAR)(unsigned char)text[i];
    GuidString->Buffer = p;
    GuidString->Length = GUID_CHARS * sizeof(WCHAR);
    GuidString->MaximumLength = (GUID_CHARS + 1) * sizeof(WCHAR);
    return STATUS_SUCCESS;
}

static int hex_field(const WCHAR *p, size_t digits, ULONGLONG *out)
{
    ULONGLONG v = 0;
    for (size_t i = 0; i < digits; i++) {
        int d = digit_of((unsigned short)p[i]);
        if (d > 15)
            return 0;
        v = v * 16 + (ULONGLONG)d;
    }
    *out = v;
    return 1;
}

NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid)
{
    pageable("RtlGUIDFromString");
    check_u("RtlGUIDFromString", GuidString, "GuidString");
    need("RtlGUIDFromString", Guid, "Guid");
    const WCHAR *p = GuidString->Buffer;
    ULONGLONG v[11];
    static const size_t at[11] = {1, 10, 15, 20, 22, 25, 27, 29, 31, 33, 35};
    static const size_t len[11] = {8, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2};
    if (GuidString->Length != GUID_CHARS * sizeof(WCHAR) || p[0] != '{' || p[9] != '-' || p[14] != '-' ||
        p[19] != '-' || p[24] != '-' || p[37] != '}')
        return STATUS_INVALID_PARAMETER;
    for (size_t i = 0; i < 11; i++)
        if (!hex_field(p + at[i], len[i], &v[i]))
            return STATUS_INVALID_PARAMETER;
    Guid->Data1 = (ULONG)v[0];
    Guid->Data2 = (USHORT)v[1];
    Guid->Data3 = (USHORT)v[2];
    for (size_t i = 0; i < 8; i++)
        Guid->Data4[i] = (UCHAR)v[3 + i];
    return STATUS_SUCCESS;
}

/* ---- U-30 RtlIsNameLegalDOS8Dot3 ----------------------------------------------------------- */

BOOLEAN RtlIsNameLegalDOS8Dot3(PCUNICODE_STRING Name, POEM_STRING OemName, PBOOLEAN NameContainsSpaces)
{
    static const char routine[] = "RtlIsNameLegalDOS8Dot3";
    static const char illegal[] = "\"*+,/:;<=>?[\\]|";
    KIRQL irql = KeGetCurrentIrql();
    if (irql > DISPATCH_LEVEL)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, irql, 0, 0,
                    "%s is documented for IRQL <= DISPATCH_LEVEL (nonpaged names) and was called at IRQL %u",
                    routine, irql);
    check_u(routine, Name, "Name");
    USHORT n = Name->Length / sizeof(WCHAR);
    const WCHAR *w = Name->Buffer;
    char oem[12];
    BOOLEAN spaces = FALSE;
    if (n == 0 || n > 12)
        return FALSE;
    int dot = -1;
    for (USHORT i = 0; i < n; i++) {
        WCHAR c = w[i];
        /* The model's OEM code page is ASCII (decided): a character beyond it has no OEM form. */
        if (c >= 0x80 || c < 0x20 || (c && strchr(illegal, (int)c)))
            return FALSE;
        if (c == '.') {
            BOOLEAN dots_only = (n == 1) || (n == 2 && w[0] == '.' && w[1] == '.');
            if (dots_only)
                break; /* "." and ".." */
            if (dot >= 0 || i == 0)
                return FALSE;
            dot = i;
        }
        if (c == ' ')
            spaces = TRUE;
        oem[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    BOOLEAN dots_only = (n == 1 && w[0] == '.') || (n == 2 && w[0] == '.' && w[1] == '.');
    if (!dots_only) {
        USHORT base = dot < 0 ? n : (USHORT)dot, ext = dot < 0 ? 0 : (USHORT)(n - dot - 1);
        if (base < 1 || base > 8 || (dot >= 0 && (ext < 1 || ext > 3)))
            return FALSE;
        /* A space may be inside the name, not at the end of the base or of the extension. */
        if (w[base - 1] == ' ' || (dot >= 0 && w[n - 1] == ' '))
            return FALSE;
    } else {
        for (USHORT i = 0; i < n; i++)
            oem[i] = '.';
    }
    if (OemName) {
        if (OemName->MaximumLength < n || !OemName->Buffer)
            return FALSE;
        memcpy(OemName->Buffer, oem, n);
        OemName->Length = n;
    }
    if (NameContainsSpaces)
        *NameContainsSpaces = spaces;
    return TRUE;
}
