/*
 * trace.c - the deterministic trace of a run and its 64-bit FNV-1a hash.
 *
 * Events are lines of text. The hash covers each line up to the " ;; " marker; notes after
 * the marker (values that legitimately differ between builds, such as the real stack
 * high-water mark) are kept for people and left out of the hash. Nothing that goes into
 * an event may be an address, a time or a process id.
 *
 * A fuzz target reads only the hash of most runs: with the text off, each event is
 * formatted straight into the hash (the same bytes, so the same hash) and no text is kept;
 * a run that must be reported is run again with the text on.
 */
#include "kfault/harness.h"
#include "format_hash.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_KEEP (1u << 20) /* characters of text kept; the hash covers everything */

static char *text;
static size_t text_len, text_cap;
static int text_truncated;
static uint64_t hash;
static size_t events;
static FILE *echo;
static int text_off;  /* this trace: hash only */
static int want_off;  /* kfh_trace_keep_text(0): from the next kfh_trace_begin on */

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325ull, FNV_PRIME = 0x100000001b3ull;

/* The hash loop runs once per byte of every event: the fuzzer's comparison tracing of its
 * loop counter made it one of a target's largest costs while telling the fuzzer nothing.
 * Not inlined: the instrumentation would otherwise follow it into its caller. */
#if defined(__clang__) && __clang_major__ >= 13
__attribute__((no_sanitize("coverage"), noinline))
#endif
static void hash_bytes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hash ^= (unsigned char)s[i];
        hash *= FNV_PRIME;
    }
}

static void append(const char *s, size_t n)
{
    if (text_truncated)
        return;
    if (text_len + n + 1 > TRACE_KEEP) {
        static const char cut[] = "... (trace text truncated; the hash covers every event)\n";
        text_truncated = 1;
        s = cut;
        n = sizeof cut - 1;
    }
    if (text_len + n + 1 > text_cap) {
        size_t cap = text_cap ? text_cap * 2 : 4096;
        while (cap < text_len + n + 1)
            cap *= 2;
        char *t = realloc(text, cap);
        if (!t) {
            text_truncated = 1;
            return;
        }
        text = t;
        text_cap = cap;
    }
    memcpy(text + text_len, s, n);
    text_len += n;
    text[text_len] = 0;
}

void kfh_trace_begin(void)
{
    text_len = 0;
    text_truncated = 0;
    if (text)
        text[0] = 0;
    hash = FNV_OFFSET;
    events = 0;
    text_off = want_off;
}

void kfh_trace_echo(FILE *f) { echo = f; }

void kfh_trace_keep_text(int keep) { want_off = !keep; }

void kfh_trace_event(const char *fmt, ...)
{
    char line[KFH_FORMAT_HASH_MAX];
    va_list ap;
    va_start(ap, fmt);
    if (text_off && !echo) {
        kfh__vformat_hash(&hash, sizeof line, fmt, ap);
        va_end(ap);
        hash_bytes("\n", 1);
        events++;
        return;
    }
    int n = kfh_vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    hash_bytes(line, len);
    hash_bytes("\n", 1);
    events++;
    append(line, len);
    append("\n", 1);
    if (echo)
        fprintf(echo, "%s\n", line);
}

void kfh_trace_note(const char *fmt, ...)
{
    if (text_off && !echo)
        return; /* notes are never hashed */
    char note[256];
    va_list ap;
    va_start(ap, fmt);
    int n = kfh_vformat(note, sizeof note, fmt, ap);
    va_end(ap);
    if (n < 0 || text_truncated || text_len == 0)
        return;
    /* Insert " ;; note" before the last newline; never hashed. */
    text_len--;
    append(" ;; ", 4);
    append(note, strlen(note));
    append("\n", 1);
    if (echo)
        fprintf(echo, "    ;; %s\n", note);
}

uint64_t kfh_trace_hash(void) { return hash; }
size_t kfh_trace_events(void) { return events; }
const char *kfh_trace_text(void) { return text ? text : ""; }

void kfh_trace_tail(FILE *f, size_t lines)
{
    if (!text || !text_len)
        return;
    size_t i = text_len, seen = 0;
    while (i > 0) {
        if (text[i - 1] == '\n' && i != text_len && ++seen >= lines)
            break;
        i--;
    }
    fputs(text + i, f);
}
