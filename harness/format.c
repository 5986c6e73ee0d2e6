/*
 * format.c - snprintf for the trace and the oracle's hot paths, without the C library's
 * stdio machinery; and the trace hash of an event from its fields (trace hash version 2,
 * format_hash.h).
 *
 * Formatting: through the sanitizers' vsnprintf interceptor (which parses the format a
 * second time) and glibc's stream-based vfprintf, formatting was one of the largest costs of
 * a fuzz target. The output must be byte for byte what vsnprintf gives (the trace text and
 * the reports are compared with earlier ones): the conversions the harness uses (flags '-'
 * and '0', a width given as digits or '*', lengths hh, h, l, ll, z, and d i u x X c s %) are
 * done here, and any other format is handed to vsnprintf whole.
 * Hashing: never from the text; never a host address in the value (the cache of parsed
 * formats is keyed by address, which never enters it).
 * tests/test_harness_format.c compares the formatter with snprintf and writes the hash out.
 */
#include "kfault/harness.h"
#include "format_hash.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
    char *b;
    size_t cap;     /* bytes of b, the terminating NUL included */
    size_t len;     /* characters produced, written or not */
} sink;

/* Not code under test: no comparison tracing per character (the fuzzer gets no signal from
 * it, and libc's vsnprintf it replaces had none either). The sanitizers stay on. */
#if defined(__clang__) && __clang_major__ >= 13
#define KFH_FMT_QUIET __attribute__((no_sanitize("coverage")))
#else
#define KFH_FMT_QUIET
#endif

KFH_FMT_QUIET static void emit(sink *s, const char *p, size_t n)
{
    if (s->len + 1 < s->cap) {
        size_t room = s->cap - 1 - s->len, k = n < room ? n : room;
        memcpy(s->b + s->len, p, k);
    }
    s->len += n;
}

KFH_FMT_QUIET static void emit_pad(sink *s, char c, size_t n)
{
    static const char zeros[16] = "0000000000000000", spaces[16] = "                ";
    const char *src = c == '0' ? zeros : spaces;
    while (n > 0) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        emit(s, src, k);
        n -= k;
    }
}

/* A field: [sign] digits or text, padded to width (left with '-', zeros after the sign with
 * '0' for numbers). */
KFH_FMT_QUIET static void emit_field(sink *s, const char *sign, const char *p, size_t n, size_t width, int left,
                                     int zero)
{
    size_t ls = strlen(sign), total = ls + n, pad = width > total ? width - total : 0;
    if (left) {
        emit(s, sign, ls);
        emit(s, p, n);
        emit_pad(s, ' ', pad);
    } else if (zero) {
        emit(s, sign, ls);
        emit_pad(s, '0', pad);
        emit(s, p, n);
    } else {
        emit_pad(s, ' ', pad);
        emit(s, sign, ls);
        emit(s, p, n);
    }
}

/* Digits of v in base 10 or 16 at the end of buf; returns the first. */
KFH_FMT_QUIET static char *digits(char *end, unsigned long long v, unsigned base, int upper)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = set[v % base];
        v /= base;
    } while (v);
    return p;
}

/* Formats into sk; 0 (and sk untouched) when the format has a conversion this file does
 * not do: the caller then hands it to vsnprintf with arguments it saved. */
KFH_FMT_QUIET static int run(sink *sk, const char *fmt, va_list ap)
{
    sink s = *sk;
    const char *f = fmt;
    while (*f) {
        const char *lit = f;
        while (*f && *f != '%')
            f++;
        if (f > lit)
            emit(&s, lit, (size_t)(f - lit));
        if (!*f)
            break;
        f++;
        int left = 0, zero = 0;
        for (;; f++) {
            if (*f == '-')
                left = 1;
            else if (*f == '0')
                zero = 1;
            else
                break;
        }
        size_t width = 0;
        if (*f == '*') {
            int w = va_arg(ap, int);
            if (w < 0) {
                left = 1;
                width = (size_t)-(long long)w;
            } else {
                width = (size_t)w;
            }
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (size_t)(*f++ - '0');
        }
        int len = 0; /* 0 int, 1 long, 2 long long, 3 size_t; h and hh: the value is cut */
        int cut = 0; /* 8 or 16 bits for hh and h */
        if (*f == 'h') {
            cut = f[1] == 'h' ? 8 : 16;
            f += cut == 8 ? 2 : 1;
        } else if (*f == 'l') {
            len = f[1] == 'l' ? 2 : 1;
            f += len;
        } else if (*f == 'z') {
            len = 3;
            f++;
        }
        char conv = *f;
        if (!conv || !strchr("diuxXcs%", conv) || (zero && (conv == 's' || conv == 'c')))
            return 0; /* '.', '+', ' ', '#', other conversions; '0' with s and c is undefined */
        f++;
        char num[32], *end = num + sizeof num, *p;
        switch (conv) {
        case '%':
            emit(&s, "%", 1);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(&s, "", &c, 1, width, left, 0);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            emit_field(&s, "", str, strlen(str), width, left, 0);
            break;
        }
        case 'd':
        case 'i': {
            long long v = len == 2 ? va_arg(ap, long long)
                          : len == 1 ? va_arg(ap, long)
                          : len == 3 ? (long long)va_arg(ap, size_t)
                                     : va_arg(ap, int);
            if (cut == 8)
                v = (signed char)v;
            else if (cut == 16)
                v = (short)v;
            unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            p = digits(end, m, 10, 0);
            emit_field(&s, v < 0 ? "-" : "", p, (size_t)(end - p), width, left, zero && !left);
            break;
        }
        default: { /* u x X */
            unsigned long long v = len == 2 ? va_arg(ap, unsigned long long)
                                   : len == 1 ? va_arg(ap, unsigned long)
                                   : len == 3 ? (unsigned long long)va_arg(ap, size_t)
                                              : va_arg(ap, unsigned);
            if (cut == 8)
                v = (unsigned char)v;
            else if (cut == 16)
                v = (unsigned short)v;
            p = digits(end, v, conv == 'u' ? 10 : 16, conv == 'X');
            emit_field(&s, "", p, (size_t)(end - p), width, left, zero && !left);
            break;
        }
        }
    }
    sk->len = s.len;
    return 1;
}

KFH_FMT_QUIET int kfh_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    sink s = {buf, buf ? cap : 0, 0};
    if (!run(&s, fmt, ap)) {
        int n = vsnprintf(buf, cap, fmt, again);
        va_end(again);
        return n;
    }
    va_end(again);
    if (s.cap)
        s.b[s.len < s.cap ? s.len : s.cap - 1] = 0;
    return s.len > INT32_MAX ? -1 : (int)s.len;
}

int kfh_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kfh_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- The trace hash of an event, from its fields (trace hash version 2) ----------------
 *
 * An event is hashed as what it is made of, never as its text: the identity of its format
 * (FNV-1a of the format's characters up to " ;; ", computed once per format and cached) and
 * then each argument's value, in order: integers as 8 bytes little-endian (sign-extended for
 * d and i, zero-extended otherwise, after the cut of hh and h), c as its byte, floating point
 * as the 8 bytes of its IEEE double, strings as their length (8 bytes) and their bytes (up to
 * a precision, as printed). A width or precision given by '*' is an argument like the
 * others. Arguments of conversions after " ;; " are read but not hashed. The cache is keyed
 * by the format's address, which never enters the value: formats must be string literals
 * (static storage, never rewritten). */

enum {
    FA_SIGNED = 1,   /* d i: int, long, long long, ssize_t, intmax_t, ptrdiff_t */
    FA_UNSIGNED,     /* u x X o */
    FA_CHAR,         /* c */
    FA_STRING,       /* s */
    FA_DOUBLE,       /* f F e E g G a A */
    FA_STAR,         /* a width or precision given by '*' */
};
enum { FL_INT = 0, FL_LONG, FL_LLONG, FL_SIZE, FL_INTMAX, FL_PTRDIFF };

#define FD_MAX_ARGS 24
#define FD_SLOTS 512

typedef struct fmt_arg {
    uint8_t kind;   /* FA_* */
    uint8_t len;    /* FL_* (integers) */
    uint8_t cut;    /* 8 or 16: hh, h */
    uint8_t hashed; /* 0 after " ;; " */
    uint8_t prec;   /* FA_STRING: 1 when a precision bounds it (its value in prec_digits or the '*' before) */
    int prec_digits; /* FA_STRING: a precision given as digits; -1: given by the '*' before */
} fmt_arg;

typedef struct fmt_desc {
    const char *key; /* the format's address: the cache's key only */
    uint64_t id;     /* FNV-1a of the format up to " ;; " */
    unsigned n;
    fmt_arg arg[FD_MAX_ARGS];
} fmt_desc;

static fmt_desc fd_cache[FD_SLOTS];

KFH_FMT_QUIET static void fd_die(const char *fmt, const char *why)
{
    fprintf(stderr, "kfault: trace event format \"%s\": %s; the trace hash cannot take it\n", fmt, why);
    abort();
}

/* Parses fmt into d (d->key not set). A format the hash cannot take (a pointer or %n: a
 * host address or a write; a wide or long double argument; more than FD_MAX_ARGS
 * arguments) ends the process: it is a harness bug, found by the first run that traces it. */
KFH_FMT_QUIET static void fd_parse(const char *fmt, fmt_desc *d)
{
    uint64_t h = 0xcbf29ce484222325ull;
    int hashed = 1;
    d->n = 0;
    const char *f = fmt;
#define FD_ADD(k, l, c, pr, pd)                                                                                     \
    do {                                                                                                           \
        if (d->n == FD_MAX_ARGS)                                                                                   \
            fd_die(fmt, "more arguments than the descriptor holds");                                               \
        d->arg[d->n++] = (fmt_arg){(uint8_t)(k), (uint8_t)(l), (uint8_t)(c), (uint8_t)hashed, (uint8_t)(pr), (pd)}; \
    } while (0)
    while (*f) {
        if (hashed && f[0] == ' ' && f[1] == ';' && f[2] == ';' && f[3] == ' ')
            hashed = 0;
        if (hashed) {
            h ^= (unsigned char)*f;
            h *= 0x100000001b3ull;
        }
        if (*f++ != '%')
            continue;
        const char *spec = f;
        while (*f && strchr("-0+ #'", *f))
            f++;
        if (*f == '*') {
            FD_ADD(FA_STAR, FL_INT, 0, 0, 0);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                f++;
        }
        int prec = 0, prec_digits = 0;
        if (*f == '.') {
            prec = 1;
            f++;
            if (*f == '*') {
                FD_ADD(FA_STAR, FL_INT, 0, 0, 0);
                prec_digits = -1;
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec_digits = prec_digits * 10 + (*f++ - '0');
            }
        }
        int len = FL_INT, cut = 0;
        if (*f == 'h') {
            cut = f[1] == 'h' ? 8 : 16;
            f += cut == 8 ? 2 : 1;
        } else if (*f == 'l') {
            len = f[1] == 'l' ? FL_LLONG : FL_LONG;
            f += len == FL_LLONG ? 2 : 1;
        } else if (*f == 'z') {
            len = FL_SIZE;
            f++;
        } else if (*f == 'j') {
            len = FL_INTMAX;
            f++;
        } else if (*f == 't') {
            len = FL_PTRDIFF;
            f++;
        } else if (*f == 'L' || *f == 'q') {
            fd_die(fmt, "a long double or quad length");
        }
        char conv = *f;
        if (!conv)
            fd_die(fmt, "a conversion cut short");
        f++;
        switch (conv) {
        case '%':
            break;
        case 'd':
        case 'i':
            FD_ADD(FA_SIGNED, len, cut, 0, 0);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            FD_ADD(FA_UNSIGNED, len, cut, 0, 0);
            break;
        case 'c':
            if (len != FL_INT)
                fd_die(fmt, "a wide character");
            FD_ADD(FA_CHAR, FL_INT, 0, 0, 0);
            break;
        case 's':
            if (len != FL_INT)
                fd_die(fmt, "a wide string");
            FD_ADD(FA_STRING, FL_INT, 0, prec, prec_digits);
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            FD_ADD(FA_DOUBLE, FL_INT, 0, 0, 0);
            break;
        default:
            fd_die(fmt, conv == 'p' ? "a pointer (a host address)" : conv == 'n' ? "%n" : "an unknown conversion");
        }
        /* The conversion's characters went into the identity above, one by one. */
        for (const char *c = spec; hashed && c < f; c++) {
            h ^= (unsigned char)*c;
            h *= 0x100000001b3ull;
        }
    }
#undef FD_ADD
    d->id = h;
}

KFH_FMT_QUIET static const fmt_desc *fd_get(const char *fmt, fmt_desc *scratch)
{
    uintptr_t k = (uintptr_t)fmt;
    unsigned slot = (unsigned)((k >> 3) ^ (k >> 12)) % FD_SLOTS;
    for (unsigned probe = 0; probe < 8; probe++, slot = (slot + 1) % FD_SLOTS) {
        fmt_desc *d = &fd_cache[slot];
        if (d->key == fmt)
            return d;
        if (!d->key) {
            fd_parse(fmt, d);
            d->key = fmt;
            return d;
        }
    }
    fd_parse(fmt, scratch); /* the neighbourhood is full: parsed every time, same value */
    return scratch;
}

KFH_FMT_QUIET static inline uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (uint8_t)(v >> (8 * i));
        h *= 0x100000001b3ull;
    }
    return h;
}

KFH_FMT_QUIET void kfh__vhash_event(uint64_t *hash, const char *fmt, va_list ap)
{
    fmt_desc scratch;
    const fmt_desc *d = fd_get(fmt, &scratch);
    uint64_t h = fnv_u64(*hash, d->id);
    int star = 0; /* the last '*' value, for a precision given by it */
    for (unsigned i = 0; i < d->n; i++) {
        const fmt_arg *a = &d->arg[i];
        uint64_t v = 0;
        switch (a->kind) {
        case FA_STAR:
            star = va_arg(ap, int);
            v = (uint64_t)(int64_t)star;
            break;
        case FA_CHAR:
            v = (unsigned char)va_arg(ap, int);
            break;
        case FA_DOUBLE: {
            double x = va_arg(ap, double);
            memcpy(&v, &x, sizeof v);
            break;
        }
        case FA_STRING: {
            const char *str = va_arg(ap, const char *);
            if (!a->hashed)
                continue;
            if (!str)
                str = "(null)";
            size_t n;
            if (a->prec) {
                int p = a->prec_digits >= 0 ? a->prec_digits : star;
                n = p < 0 ? strlen(str) : strnlen(str, (size_t)p); /* a negative precision: none */
            } else {
                n = strlen(str);
            }
            h = fnv_u64(h, (uint64_t)n);
            for (size_t j = 0; j < n; j++) {
                h ^= (unsigned char)str[j];
                h *= 0x100000001b3ull;
            }
            continue;
        }
        case FA_SIGNED: {
            int64_t x;
            switch (a->len) {
            case FL_LONG: x = va_arg(ap, long); break;
            case FL_LLONG: x = va_arg(ap, long long); break;
            case FL_SIZE: x = (int64_t)va_arg(ap, size_t); break;
            case FL_INTMAX: x = va_arg(ap, intmax_t); break;
            case FL_PTRDIFF: x = va_arg(ap, ptrdiff_t); break;
            default: x = va_arg(ap, int); break;
            }
            if (a->cut == 8)
                x = (signed char)x;
            else if (a->cut == 16)
                x = (short)x;
            v = (uint64_t)x;
            break;
        }
        default: { /* FA_UNSIGNED */
            switch (a->len) {
            case FL_LONG: v = va_arg(ap, unsigned long); break;
            case FL_LLONG: v = va_arg(ap, unsigned long long); break;
            case FL_SIZE: v = va_arg(ap, size_t); break;
            case FL_INTMAX: v = va_arg(ap, uintmax_t); break;
            case FL_PTRDIFF: v = (uint64_t)va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, unsigned); break;
            }
            if (a->cut == 8)
                v = (unsigned char)v;
            else if (a->cut == 16)
                v = (unsigned short)v;
            break;
        }
        }
        if (a->hashed)
            h = fnv_u64(h, v);
    }
    *hash = h;
}
