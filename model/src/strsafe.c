/*
 * strsafe.c - the implementation behind ntstrsafe.h: RtlStringCb* / RtlStringCch* copy, cat,
 * printf and length over NUL-terminated strings (char or WCHAR), and the RtlUnicodeString* forms
 * over UNICODE_STRING. The header's inline routines pass the driver's limits in.
 *
 * Rules U-20 .. U-27 of model/SEMANTICS.md. Statuses are the documented ones: STATUS_SUCCESS,
 * STATUS_BUFFER_OVERFLOW (truncated: C strings still NUL-terminated, UNICODE_STRING forms filled
 * to MaximumLength without a NUL) and STATUS_INVALID_PARAMETER. Must never write outside
 * cch_dest units (or MaximumLength bytes) and never call the host's wide functions.
 */
#include "internal.h"
#include "ntstrsafe.h"

#define VALID_EX_FLAGS                                                                                 \
    (0xFFu | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE | \
     STRSAFE_NO_TRUNCATION)

static unsigned get(int wide, const void *p, size_t i)
{
    return wide ? (unsigned short)((const WCHAR *)p)[i] : (unsigned char)((const char *)p)[i];
}

static void set(int wide, void *p, size_t i, unsigned c)
{
    if (wide)
        ((WCHAR *)p)[i] = (WCHAR)c;
    else
        ((char *)p)[i] = (char)c;
}

static size_t nlen(int wide, const void *p, size_t max)
{
    size_t n = 0;
    while (n < max && get(wide, p, n))
        n++;
    return n;
}

static _Noreturn void null_argument(const char *routine, const char *what)
{
    kf_violation_stop(KF_VIOL_RTL_NULL_ARGUMENT, routine, 0, 0, 0,
                      "%s: %s is NULL (only the Ex forms with STRSAFE_IGNORE_NULLS accept NULL)", routine, what);
}

typedef struct dest {
    const char *routine;
    int wide, ex;
    void *p;
    size_t cch;
    ULONG flags;
} dest;

/* Checks shared by copy, cat and printf: flags, size, NULL destination. */
static NTSTATUS validate_dest(const dest *d, size_t maxcch)
{
    if (d->ex && (d->flags & ~(ULONG)VALID_EX_FLAGS))
        return STATUS_INVALID_PARAMETER;
    if (d->cch > maxcch)
        return STATUS_INVALID_PARAMETER;
    if (!d->ex || !(d->flags & STRSAFE_IGNORE_NULLS)) {
        if (!d->p)
            null_argument(d->routine, "the destination");
        if (d->cch == 0)
            return STATUS_INVALID_PARAMETER;
    } else if (!d->p && d->cch) {
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

/* The Ex forms' flags after the work: length is the result's length, orig the destination's
 * length before (cat) or 0 (copy). */
static NTSTATUS finish(const dest *d, NTSTATUS status, size_t length, size_t orig, void **end, size_t *remaining)
{
    size_t unit = d->wide ? sizeof(WCHAR) : 1;
    if (d->ex && d->cch && d->p) {
        int fill = (int)(d->flags & 0xFF);
        if (NT_SUCCESS(status) && (d->flags & STRSAFE_FILL_BEHIND_NULL) && length + 1 < d->cch) {
            memset((char *)d->p + (length + 1) * unit, fill, (d->cch - length - 1) * unit);
        } else if (!NT_SUCCESS(status)) {
            if (d->flags & STRSAFE_FILL_ON_FAILURE) {
                memset(d->p, fill, d->cch * unit);
                set(d->wide, d->p, d->cch - 1, 0);
                length = d->cch - 1;
            } else if (d->flags & STRSAFE_NULL_ON_FAILURE) {
                set(d->wide, d->p, 0, 0);
                length = 0;
            } else if (d->flags & STRSAFE_NO_TRUNCATION) {
                set(d->wide, d->p, orig, 0);
                length = orig;
            }
        }
    }
    if (NT_SUCCESS(status) || status == STATUS_BUFFER_OVERFLOW) {
        if (end)
            *end = d->p ? (char *)d->p + length * unit : NULL;
        if (remaining)
            *remaining = d->cch - length;
    }
    return status;
}

/* Copies at most n units of src to d at offset `at`, NUL-terminating within d->cch. */
static NTSTATUS put_units(const dest *d, size_t at, const void *src, size_t n, size_t *length)
{
    size_t i = 0;
    if (d->cch == 0) {
        *length = 0;
        if (n && get(d->wide, src, 0))
            return d->p ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
        return STATUS_SUCCESS;
    }
    while (at + i < d->cch - 1 && i < n && get(d->wide, src, i)) {
        set(d->wide, d->p, at + i, get(d->wide, src, i));
        i++;
    }
    set(d->wide, d->p, at + i, 0);
    *length = at + i;
    return (i < n && get(d->wide, src, i)) ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static const WCHAR empty_units[1];

NTSTATUS kf__ss_copy(const char *routine, int wide, void *dst, size_t cch_dest, const void *src, size_t cch_src,
                     void **end, size_t *remaining, ULONG flags, size_t maxcch, int ex)
{
    dest d = {routine, wide, ex, dst, cch_dest, flags};
    NTSTATUS status = validate_dest(&d, maxcch);
    if (!NT_SUCCESS(status))
        return status;
    if (!src) {
        if (!ex || !(flags & STRSAFE_IGNORE_NULLS))
            null_argument(routine, "the source");
        src = empty_units;
    }
    size_t length = 0;
    if (cch_src > maxcch - 1) {
        if (dst && cch_dest)
            set(wide, dst, 0, 0);
        return STATUS_INVALID_PARAMETER;
    }
    status = put_units(&d, 0, src, cch_src, &length);
    return finish(&d, status, length, 0, end, remaining);
}

NTSTATUS kf__ss_cat(const char *routine, int wide, void *dst, size_t cch_dest, const void *src, size_t cch_src,
                    void **end, size_t *remaining, ULONG flags, size_t maxcch, int ex)
{
    dest d = {routine, wide, ex, dst, cch_dest, flags};
    NTSTATUS status = validate_dest(&d, maxcch);
    if (!NT_SUCCESS(status))
        return status;
    if (!src) {
        if (!ex || !(flags & STRSAFE_IGNORE_NULLS))
            null_argument(routine, "the source");
        src = empty_units;
    }
    size_t have = dst ? nlen(wide, dst, cch_dest) : 0;
    if (dst && have == cch_dest)
        return STATUS_INVALID_PARAMETER; /* not NUL-terminated within its size */
    if (cch_src > maxcch - 1)
        return STATUS_INVALID_PARAMETER;
    size_t length = 0;
    status = put_units(&d, have, src, cch_src, &length);
    return finish(&d, status, length, have, end, remaining);
}

NTSTATUS kf__ss_vprintf(const char *routine, int wide, void *dst, size_t cch_dest, void **end, size_t *remaining,
                        ULONG flags, size_t maxcch, int ex, const void *fmt, va_list ap)
{
    dest d = {routine, wide, ex, dst, cch_dest, flags};
    NTSTATUS status = validate_dest(&d, maxcch);
    if (!NT_SUCCESS(status))
        return status;
    if (!fmt) {
        if (!ex || !(flags & STRSAFE_IGNORE_NULLS))
            null_argument(routine, "the format");
        fmt = empty_units;
    }
    size_t length = 0;
    if (cch_dest == 0) {
        status = STATUS_SUCCESS;
        if (get(wide, fmt, 0))
            status = dst ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
        return finish(&d, status, 0, 0, end, remaining);
    }
    size_t n = kf__vformat(routine, wide ? (KF_FMT_WIDE_OUT | KF_FMT_WIDE_FMT) : 0, dst, cch_dest - 1, fmt, ap);
    if (n > cch_dest - 1) {
        length = cch_dest - 1;
        status = STATUS_BUFFER_OVERFLOW;
    } else {
        length = n;
        status = STATUS_SUCCESS;
    }
    set(wide, dst, length, 0);
    return finish(&d, status, length, 0, end, remaining);
}

NTSTATUS kf__ss_length(const char *routine, int wide, const void *s, size_t cch_max, size_t *len, size_t maxcch)
{
    (void)routine;
    if (!s || cch_max > maxcch) {
        if (len)
            *len = 0;
        return STATUS_INVALID_PARAMETER;
    }
    size_t n = nlen(wide, s, cch_max);
    if (n == cch_max) {
        if (len)
            *len = 0;
        return STATUS_INVALID_PARAMETER;
    }
    if (len)
        *len = n;
    return STATUS_SUCCESS;
}

/* ---- UNICODE_STRING forms ---------------------------------------------------------------------- */

NTSTATUS kf__us_validate(PCUNICODE_STRING s, ULONG flags, size_t maxcch, int ex)
{
    if (ex && (flags & ~(ULONG)STRSAFE_IGNORE_NULL_UNICODE_STRINGS))
        return STATUS_INVALID_PARAMETER;
    if (!s)
        return (ex && (flags & STRSAFE_IGNORE_NULL_UNICODE_STRINGS)) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    if ((s->Length & 1) || (s->MaximumLength & 1) || s->Length > s->MaximumLength ||
        s->MaximumLength > maxcch * sizeof(WCHAR) || (!s->Buffer && (s->Length || s->MaximumLength)))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

NTSTATUS kf__us_init(const char *routine, PUNICODE_STRING d, PCWSTR src, ULONG flags, size_t maxcch, int ex)
{
    if (ex && (flags & ~(ULONG)STRSAFE_IGNORE_NULLS))
        return STATUS_INVALID_PARAMETER;
    if (!d) {
        if (!ex || !(flags & STRSAFE_IGNORE_NULLS))
            null_argument(routine, "DestinationString");
        return src ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
    }
    d->Length = d->MaximumLength = 0;
    d->Buffer = NULL;
    if (!src)
        return STATUS_SUCCESS;
    size_t n = nlen(1, src, maxcch);
    if (n == maxcch)
        return STATUS_INVALID_PARAMETER;
    d->Length = (USHORT)(n * sizeof(WCHAR));
    d->MaximumLength = (USHORT)(n * sizeof(WCHAR) + sizeof(WCHAR));
    d->Buffer = (PWSTR)src;
    return STATUS_SUCCESS;
}

NTSTATUS kf__us_put(const char *routine, PUNICODE_STRING d, const WCHAR *src, size_t units, int counted, int append,
                    size_t maxcch)
{
    NTSTATUS status = kf__us_validate(d, 0, maxcch, 0);
    if (!NT_SUCCESS(status))
        return status;
    if (!src) {
        if (!counted)
            null_argument(routine, "the source");
        src = empty_units;
    }
    size_t at = append ? d->Length / sizeof(WCHAR) : 0, cap = d->MaximumLength / sizeof(WCHAR), i = 0;
    while (at + i < cap && (counted ? i < units : src[i] != 0)) {
        d->Buffer[at + i] = src[i];
        i++;
    }
    d->Length = (USHORT)((at + i) * sizeof(WCHAR));
    if (counted ? i < units : src[i] != 0)
        return STATUS_BUFFER_OVERFLOW;
    return STATUS_SUCCESS;
}

NTSTATUS kf__us_vprintf(const char *routine, PUNICODE_STRING d, size_t maxcch, PCWSTR fmt, va_list ap)
{
    NTSTATUS status = kf__us_validate(d, 0, maxcch, 0);
    if (!NT_SUCCESS(status))
        return status;
    if (!fmt)
        null_argument(routine, "the format");
    size_t cap = d->MaximumLength / sizeof(WCHAR);
    size_t n = kf__vformat(routine, KF_FMT_WIDE_OUT | KF_FMT_WIDE_FMT, d->Buffer, cap, fmt, ap);
    if (n > cap) {
        d->Length = (USHORT)(cap * sizeof(WCHAR));
        return STATUS_BUFFER_OVERFLOW;
    }
    d->Length = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}
