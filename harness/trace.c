/*
 * trace.c - the deterministic trace of a run and its 64-bit hash (trace hash version 2,
 * format_hash.h).
 *
 * Events are lines of text for people; the hash is computed from each event's fields: the
 * identity of its format and its arguments' values (format.c: kfh__vhash_event), never
 * from its text, so a run whose text nobody reads formats nothing. Notes after the " ;; "
 * marker (values that legitimately differ between builds, such as the real stack
 * high-water mark) are kept for people and left out of the hash, as is what an event's
 * format has after " ;; ". Nothing that goes into an event may be an address, a time or a
 * process id.
 *
 * A fuzz target reads only the hash of most runs: with the text off, each event is hashed
 * and no text is kept; a run that must be reported is run again with the text on, which
 * gives the same hash.
 */
#include "kfault/harness.h"
#include "format_hash.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_KEEP (1u << 20) /* characters of text kept; the hash covers everything */
#define LINE_MAX_CHARS 512    /* the longest event line kept, its terminating NUL included */

static char *text;
static size_t text_len, text_cap;
static int text_truncated;
static uint64_t hash;
static size_t events;
static FILE *echo;
static int text_off;  /* this trace: hash only */
static int want_off;  /* kfh_trace_keep_text(0): from the next kfh_trace_begin on */

static const uint64_t FNV_OFFSET = 0xcbf29ce484222325ull;

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
    va_list ap;
    va_start(ap, fmt);
    events++;
    if (text_off && !echo) {
        kfh__vhash_event(&hash, fmt, ap);
        va_end(ap);
        return;
    }
    va_list again;
    va_copy(again, ap);
    kfh__vhash_event(&hash, fmt, again);
    va_end(again);
    char line[LINE_MAX_CHARS];
    int n = kfh_vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
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
