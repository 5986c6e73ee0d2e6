/*
 * test_harness_selfcheck.c - the format's self-checks (harness/scenario_check.c), which the
 * harness's own fuzz targets run: the comparison notices every field, the checks pass on
 * every prefix of corpus files (bytes and text) and on many generated inputs, and a text that
 * does not parse is reported as a clean error, not as a broken promise.
 */
#include "test_harness_util.h"

#include <stddef.h>
#include <stdio.h>

static kfh_scenario sa, sb;

static size_t slurp(const char *rel, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", KFAULT_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

TEST(equal_notices_every_field)
{
    char why[256], err[256];
    CHECK_EQ(kfh_scenario_parse("version 2\nexpand ex size=page {\n  cbd_alloc 0 volume=1 flags=0x1\n}\n"
                                "iopb 0 read minor=1 irp=none length=0x10\n",
                                &sa, err, sizeof err),
             0);
    sb = sa;
    CHECK(kfh_scenario_equal(&sa, &sb, why, sizeof why));
    struct {
        size_t off;
        const char *what;
    } fields[] = {
        {offsetof(kfh_op, code), "code"}, {offsetof(kfh_op, depth), "depth"}, {offsetof(kfh_op, a), "a"},
        {offsetof(kfh_op, b), "b"},       {offsetof(kfh_op, c), "c"},         {offsetof(kfh_op, size_sel), "size_sel"},
        {offsetof(kfh_op, size_raw), "size_raw"}, {offsetof(kfh_op, body), "body"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        sb = sa;
        ((uint8_t *)&sb.ops[2])[fields[i].off] ^= 1;
        CHECK(!kfh_scenario_equal(&sa, &sb, why, sizeof why));
        CHECK(strstr(why, "operation 2 differs") != NULL);
    }
    sb = sa;
    sb.version = 1;
    CHECK(!kfh_scenario_equal(&sa, &sb, why, sizeof why));
    sb = sa;
    sb.n--;
    CHECK(!kfh_scenario_equal(&sa, &sb, why, sizeof why));
}

TEST(bytes_every_prefix_of_corpus_files)
{
    static const char *const files[] = {"corpus/scenarios/flt_callback_data.bin", "corpus/scenarios/nesting_and_pool.bin",
                                        "corpus/scenarios/expand_paths.bin"};
    static uint8_t buf[4096];
    char msg[1024];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n = slurp(files[f], buf, sizeof buf);
        CHECK(n > 0);
        for (size_t k = 0; k <= n; k++) {
            int rc = kfh_selfcheck_bytes(buf, k, msg, sizeof msg);
            if (rc)
                fprintf(stderr, "  %s, first %zu bytes: %s\n", files[f], k, msg);
            CHECK_EQ(rc, 0);
        }
    }
}

TEST(bytes_generated)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static uint8_t buf[1024];
    char msg[1024];
    int bad = 0;
    for (int i = 0; i < 1000 && !bad; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(x >> 33) % sizeof buf;
        for (size_t k = 0; k < n; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            /* Mostly small bytes: opcodes and openers of both versions, deep nesting. */
            buf[k] = (uint8_t)((x >> 40) % ((x >> 20) & 1 ? 24 : 256));
        }
        bad = kfh_selfcheck_bytes(buf, n, msg, sizeof msg);
        if (bad)
            fprintf(stderr, "  generated input %d: %s\n", i, msg);
    }
    CHECK_EQ(bad, 0);
}

TEST(text_every_prefix_of_corpus_texts)
{
    static const char *const files[] = {"corpus/scenarios/flt_callback_data.txt", "corpus/scenarios/faults_and_stops.txt",
                                        "corpus/scenarios/bad_garbage.txt", "corpus/expand_fuzz/src/nesting.txt"};
    static char buf[16384];
    char msg[1024];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n = slurp(files[f], (uint8_t *)buf, sizeof buf - 1);
        CHECK(n > 0);
        for (size_t k = 0; k <= n; k++) {
            char keep = buf[k];
            buf[k] = 0;
            int rc = kfh_selfcheck_text(buf, msg, sizeof msg);
            buf[k] = keep;
            if (rc)
                fprintf(stderr, "  %s, first %zu bytes: %s\n", files[f], k, msg);
            CHECK_EQ(rc, 0);
        }
    }
}

TEST(text_errors_are_clean)
{
    static const char *const bad[] = {
        "}", "expand size=page {", "version 16\n", "version 9\n", "fault maybe\n", "set_stack 0x100000000\n",
        "raise_irql 5\n", "\x7f\n", "cbd_alloc 9 volume=0 flags=0x0\n", "version 1\nflt_start 1\n", "version 2\nreg_value 0 absent\n", "version 3\nreg_value 0 REG_SZ length=512 data=0x0\n",
        "version 4\nfile 0 volume=0 size=1 data=0x0\n", "file 16 volume=0 directory\n", "file 7 volume=0 directory size=1\n",
        "file 1 volume=4 size=1 data=0x0\n", "file 1 volume=0 size=65536 data=0x0\n", "file 1 volume=0 size=1\n",
    };
    char msg[1024], err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(kfh_scenario_parse(bad[i], &sa, err, sizeof err) != 0);
        CHECK_EQ(kfh_selfcheck_text(bad[i], msg, sizeof msg), 0);
    }
}
