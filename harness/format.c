/*
 * format.c - snprintf for the trace and the oracle's hot paths, without the C library's
 * stdio machinery.
 *
 * Every run formats dozens of events; through the sanitizers' vsnprintf interceptor (which
 * parses the format a second time) and glibc's stream-based vfprintf this was one of the
 * largest costs of a fuzz target. The output must be byte for byte what vsnprintf gives,
 * since the trace hash covers it: the conversions the harness uses (flags '-' and '0', a
 * width given as digits or '*', lengths hh, h, l, ll, z, and d i u x X c s %) are done
 * here, and any other format is handed to vsnprintf whole. tests/test_harness_format.c
 * compares the two.
 */
#include "kfault/harness.h"
#include "format_hash.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct sink {
    char *b;
    size_t cap;     /* bytes of b, the terminating NUL included */
    size_t len;     /* characters produced, written or not */
    uint64_t *hash; /* not NULL: no b; the first cap - 1 characters go into this FNV-1a hash */
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
        if (s->hash) {
            uint64_t h = *s->hash;
            for (size_t i = 0; i < k; i++) {
                h ^= (unsigned char)p[i];
                h *= 0x100000001b3ull;
            }
            *s->hash = h;
        } else {
            memcpy(s->b + s->len, p, k);
        }
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
    uint64_t h = sk->hash ? *sk->hash : 0;
    if (s.hash)
        s.hash = &h; /* the caller's hash changes only when the whole format was done here */
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
    if (sk->hash)
        *sk->hash = h;
    sk->len = s.len;
    return 1;
}

KFH_FMT_QUIET int kfh_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    sink s = {buf, buf ? cap : 0, 0, NULL};
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

KFH_FMT_QUIET size_t kfh__vformat_hash(uint64_t *hash, size_t cap, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    sink s = {NULL, cap, 0, hash};
    if (!run(&s, fmt, ap)) {
        char line[KFH_FORMAT_HASH_MAX];
        int n = vsnprintf(line, cap < sizeof line ? cap : sizeof line, fmt, again);
        va_end(again);
        if (n < 0)
            return 0;
        size_t len = strlen(line);
        sink t = {NULL, len + 1, 0, hash};
        emit(&t, line, len);
        return len;
    }
    va_end(again);
    return s.len < cap ? s.len : cap - 1;
}

int kfh_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kfh_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
