/*
 * test_harness_format.c - kfh_format against the C library's snprintf: the same bytes and
 * the same return value for every conversion the harness uses, at every buffer size
 * (truncation included), and formats it does not handle itself handed over whole; and the
 * trace hash (version 2), computed from each event's fields: as defined, the same with the
 * text and without, different when one field differs, blind to what follows " ;; ".
 */
#include "test_harness_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>

/* Both formatters into buffers of every size from 0 to `big`; the outputs and the return
 * values must agree. Fails naming the format and the size. */
static void same(size_t big, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void same(size_t big, const char *fmt, ...)
{
    char want[600], got[600];
    for (size_t cap = 0; cap <= big && cap <= sizeof want; cap++) {
        va_list a, b;
        va_start(a, fmt);
        va_copy(b, a);
        memset(want, 'W', sizeof want);
        memset(got, 'W', sizeof got);
        int nw = vsnprintf(cap ? want : NULL, cap, fmt, a);
        int ng = kfh_vformat(cap ? got : NULL, cap, fmt, b);
        va_end(b);
        va_end(a);
        if (nw != ng || memcmp(want, got, sizeof want) != 0) {
            kft_fail(__FILE__, __LINE__, "format \"%s\" into %zu bytes: snprintf gave %d \"%.*s\", kfh_format %d \"%.*s\"",
                     fmt, cap, nw, cap ? (int)cap - 1 : 0, want, ng, cap ? (int)cap - 1 : 0, got);
            return;
        }
    }
    kft_pass();
}

TEST(format_matches_snprintf_integers)
{
    const long long vals[] = {0, 1, -1, 9, 10, 255, 0x1000, INT_MAX, INT_MIN, 0x7fffffffffffffffll, LLONG_MIN};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        long long v = vals[i];
        same(48, "%d|%i|%u|%x|%X", (int)v, (int)v, (unsigned)v, (unsigned)v, (unsigned)v);
        same(48, "%08X %8u %-8d| %0*x %*d", (unsigned)v, (unsigned)v, (int)v, 12, (unsigned)v, -7, (int)v);
        same(64, "%lld %llu %llx %016llx", v, (unsigned long long)v, (unsigned long long)v, (unsigned long long)v);
        same(64, "%ld %lu %lx %zu %zx", (long)v, (unsigned long)v, (unsigned long)v, (size_t)v, (size_t)v);
        same(48, "%hhd %hhu %hd %hu %hx", (signed char)v, (unsigned char)v, (short)v, (unsigned short)v, (unsigned short)v);
    }
}

TEST(format_matches_snprintf_text)
{
    const char *volatile null = NULL; /* volatile: compilers warn on a NULL they can see */
    same(80, "plain text, no conversion");
    same(80, "%s and %s", "first", "");
    same(80, "%*sop %u %s", 6, "", 3u, "expand size=0x1000");
    same(80, "%*s|%-*s|%10s|%-10s|", -4, "ab", 5, "cd", "right", "left");
    same(80, "%c%c%5c%-3c|", 'a', 'Z', 'x', 'y');
    same(80, "100%% of %s", "it");
    same(80, "%s", null);
    char long_text[700];
    memset(long_text, 'q', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    same(600, "%s;%d", long_text, 42);
}

TEST(format_hands_other_formats_to_the_c_library)
{
    /* Precision, '+', ' ', '#', o, p, floating point: not done here, must still agree. */
    same(64, "%.3s|%5.2d|%+d|% d|%#x|%o", "abcdef", 7, 5, 5, 255u, 8u);
    same(64, "%.*s then %d", 2, "xyz", 9);
    same(64, "%g %e %f", 1.5, 2.25, -0.125);
}

/* Trace hash version 2, written out: FNV-1a over the format's identity (FNV-1a of its
 * characters up to " ;; ") and each argument's value (8 bytes little-endian; a string's
 * length, then its bytes). A change to the definition must change this test and the
 * version (format_hash.h) together. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= ((const unsigned char *)p)[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
static uint64_t fnv_word(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return fnv(h, b, 8);
}

TEST(format_trace_hash_is_the_events_fields)
{
    const char *fmt = "%*s  call size=0x%llx irql=%u remaining=0x%llx depth=%u";
    uint64_t h = fnv_word(0xcbf29ce484222325ull, fnv(0xcbf29ce484222325ull, fmt, strlen(fmt)));
    h = fnv_word(h, 4);          /* the '*' width */
    h = fnv_word(h, 0);          /* "" : its length, no bytes */
    h = fnv_word(h, 0x11800ull);
    h = fnv_word(h, 2);
    h = fnv_word(h, 0x5f00ull);
    h = fnv_word(h, 3);
    for (int keep = 0; keep < 2; keep++) {
        kfh_trace_keep_text(keep);
        kfh_trace_begin();
        kfh_trace_event("%*s  call size=0x%llx irql=%u remaining=0x%llx depth=%u", 4, "", 0x11800ull, 2u, 0x5f00ull,
                        3u);
        CHECK_EQ(kfh_trace_hash(), h);
        CHECK_EQ(kfh_trace_events(), 1);
    }
    kfh_trace_keep_text(1);
    /* The text is what snprintf writes, whatever the hash is made of. */
    CHECK(strcmp(kfh_trace_text(), "      call size=0x11800 irql=2 remaining=0x5f00 depth=3\n") == 0);
    /* Signed values are sign-extended, strings are their bytes. */
    const char *f2 = "op %d %s";
    uint64_t g = fnv_word(0xcbf29ce484222325ull, fnv(0xcbf29ce484222325ull, f2, strlen(f2)));
    g = fnv_word(g, (uint64_t)-5ll);
    g = fnv(fnv_word(g, 3), "abc", 3);
    kfh_trace_begin();
    kfh_trace_event("op %d %s", -5, "abc");
    CHECK_EQ(kfh_trace_hash(), g);
}

/* The hash of a trace of one event, with the text kept (1) or not (0). */
#define HASH_OF(keep, ...)                                                                                             \
    (kfh_trace_keep_text(keep), kfh_trace_begin(), kfh_trace_event(__VA_ARGS__), kfh_trace_keep_text(1), kfh_trace_hash())

/* Values wider than hh and h take, as a caller may pass them (printf cuts them): the
 * compiler's format check says so, and is told that it is meant. */
static volatile unsigned wide_u = 0x101u;
static volatile int wide_d = 0x12345;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"

TEST(format_trace_hash_same_with_and_without_text)
{
    CHECK_EQ(HASH_OF(1, "a %s b %u c %d %x %c", "text", 7u, -3, 0xabcu, 'q'),
             HASH_OF(0, "a %s b %u c %d %x %c", "text", 7u, -3, 0xabcu, 'q'));
    CHECK_EQ(HASH_OF(1, "%hhu %hd %zu %lld %5.1f %.2s %.*s", wide_u, wide_d, (size_t)9, -1ll, 2.5, "xyz", 1, "pq"),
             HASH_OF(0, "%hhu %hd %zu %lld %5.1f %.2s %.*s", wide_u, wide_d, (size_t)9, -1ll, 2.5, "xyz", 1, "pq"));
    /* Two events, each with its text or not: the same hash and the same count. */
    uint64_t h[2];
    for (int keep = 0; keep < 2; keep++) {
        kfh_trace_keep_text(keep);
        kfh_trace_begin();
        kfh_trace_event("first %u", 1u);
        kfh_trace_event("second %s", "two");
        h[keep] = kfh_trace_hash();
        CHECK_EQ(kfh_trace_events(), 2);
    }
    kfh_trace_keep_text(1);
    CHECK_EQ(h[0], h[1]);
}

TEST(format_trace_hash_differs_in_each_field)
{
    uint64_t base = HASH_OF(0, "ev %u %s %d %llx", 1u, "ab", -1, 0x10ull);
    CHECK(HASH_OF(0, "ev %u %s %d %llx", 2u, "ab", -1, 0x10ull) != base);
    CHECK(HASH_OF(0, "ev %u %s %d %llx", 1u, "ac", -1, 0x10ull) != base);
    CHECK(HASH_OF(0, "ev %u %s %d %llx", 1u, "abc", -1, 0x10ull) != base);
    CHECK(HASH_OF(0, "ev %u %s %d %llx", 1u, "ab", 1, 0x10ull) != base);
    CHECK(HASH_OF(0, "ev %u %s %d %llx", 1u, "ab", -1, 0x11ull) != base);
    /* Another format (its literal text, its conversions) with the same values. */
    CHECK(HASH_OF(0, "EV %u %s %d %llx", 1u, "ab", -1, 0x10ull) != base);
    CHECK(HASH_OF(0, "ev %x %s %d %llx", 1u, "ab", -1, 0x10ull) != base);
    /* The order of events counts. */
    kfh_trace_keep_text(0);
    kfh_trace_begin();
    kfh_trace_event("x %u", 1u);
    kfh_trace_event("y %u", 2u);
    uint64_t xy = kfh_trace_hash();
    kfh_trace_begin();
    kfh_trace_event("y %u", 2u);
    kfh_trace_event("x %u", 1u);
    kfh_trace_keep_text(1);
    CHECK(kfh_trace_hash() != xy);
    /* What is printed the same is hashed the same: h and hh cut the value as printf does. */
    CHECK_EQ(HASH_OF(0, "v %hhu", wide_u), HASH_OF(0, "v %hhu", 0x1u));
    CHECK_EQ(HASH_OF(0, "v %hd", wide_d), HASH_OF(0, "v %hd", 0x2345));
    CHECK_EQ(HASH_OF(0, "v %.2s", "abX"), HASH_OF(0, "v %.2s", "abY"));
}

TEST(format_trace_hash_leaves_out_what_follows_the_marker)
{
    uint64_t h = HASH_OF(0, "event %u ;; note %u %s", 5u, 1u, "one");
    CHECK_EQ(HASH_OF(0, "event %u ;; note %u %s", 5u, 2u, "two"), h);
    CHECK_EQ(HASH_OF(1, "event %u ;; note %u %s", 5u, 3u, "three"), h);
    CHECK_EQ(HASH_OF(0, "event %u ;; another note %d", 5u, -4), h);
    CHECK(HASH_OF(0, "event %u ;; note %u %s", 6u, 1u, "one") != h);
    /* The text keeps the whole line. */
    kfh_trace_begin();
    kfh_trace_event("event %u ;; note %u %s", 5u, 1u, "one");
    CHECK(strcmp(kfh_trace_text(), "event 5 ;; note 1 one\n") == 0);
}

#pragma GCC diagnostic pop

static void trace_a_pointer(void)
{
    int x;
    kfh_trace_begin();
    kfh_trace_event("at %p", (void *)&x);
}

TEST(format_trace_hash_refuses_a_host_address)
{
    CHECK(kft_expect_death(trace_a_pointer, "a pointer (a host address)"));
}

/* Every scenario of these corpus folders, run with the trace text and without: the same
 * hash, the same number of events, and no text kept without it. Fuzz targets run without
 * the text; corpus/TRACE_HASHES is recorded with it. */
static const char *const hashed_dirs[] = {"corpus/scenarios", "corpus/expand_fuzz", "corpus/flt_fuzz",
                                          "corpus/mixed_fuzz", "corpus/systematic_fuzz", "corpus/regressions"};

static int run_both(const char *path)
{
    static kfh_scenario s;
    static kfh_result on, off;
    char err[256];
    kfh_config cfg;
    if (kfh_scenario_load(path, &s, err, sizeof err))
        return 0; /* refused files have no trace */
    if (kfh_config_from_options(&cfg, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "config: %s", err);
        return 0;
    }
    cfg.capture = 1;
    kfh_run(&s, &cfg, &on);
    size_t text_len = strlen(kfh_trace_text());
    kfh_trace_keep_text(0);
    kfh_run(&s, &cfg, &off);
    size_t quiet_len = strlen(kfh_trace_text());
    kfh_trace_keep_text(1);
    if (on.trace_hash != off.trace_hash || on.events != off.events || on.n_findings != off.n_findings ||
        text_len == 0 || quiet_len != 0) {
        kft_fail(__FILE__, __LINE__, "%s: with text 0x%016llx (%zu events, %zu chars), without 0x%016llx (%zu events, %zu chars)",
                 path, (unsigned long long)on.trace_hash, on.events, text_len, (unsigned long long)off.trace_hash,
                 off.events, quiet_len);
        return 0;
    }
    kft_pass();
    return 1;
}

TEST(format_trace_without_text_hashes_the_same)
{
    int runs = 0;
    for (size_t d = 0; d < sizeof hashed_dirs / sizeof hashed_dirs[0]; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", KFAULT_SOURCE_DIR, hashed_dirs[d]);
        DIR *h = opendir(dir);
        CHECK(h != NULL);
        if (!h)
            continue;
        struct dirent *e;
        while ((e = readdir(h)) != NULL) {
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "HASHES") || !strcmp(e->d_name, "src"))
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            runs += run_both(path);
        }
        closedir(h);
    }
    CHECK(runs >= 20);
}

TEST(format_trace_without_text_takes_any_format)
{
    /* A format the formatter hands to vsnprintf, and one truncated at the line's length:
     * hashed without text as with it. */
    char long_text[700];
    memset(long_text, 'r', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    uint64_t h[2];
    for (int quiet = 0; quiet < 2; quiet++) {
        kfh_trace_keep_text(!quiet);
        kfh_trace_begin();
        kfh_trace_event("%s %u", "first", 1u);
        kfh_trace_event("%.3s|%+d|%5.1f", "abcdef", 4, 2.5);
        kfh_trace_event("%s|%d", long_text, 7);
        h[quiet] = kfh_trace_hash();
        CHECK_EQ(kfh_trace_events(), 3);
        CHECK_EQ(strlen(kfh_trace_text()) == 0, quiet);
    }
    kfh_trace_keep_text(1);
    CHECK_EQ(h[0], h[1]);
}
