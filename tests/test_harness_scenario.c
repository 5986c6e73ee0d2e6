/*
 * test_harness_scenario.c - the scenario format: decoding any bytes (clamping, defaults,
 * bounds), canonical encoding, the text form and its lossless round trip on every corpus
 * file and on many generated inputs, and malformed input (empty, unknown version,
 * truncated, deep nesting, garbage text with line and column).
 */
#include "test_harness_util.h"

#include <dirent.h>
#include <stdio.h>

static kfh_scenario sa, sb;
static uint8_t ba[8192], bb[8192];
static char ta[65536];

/* bytes -> scenario -> text -> scenario -> bytes must equal the canonical bytes. */
static int round_trip(const kfh_scenario *s)
{
    char err[256];
    size_t na = kfh_scenario_encode(s, ba, sizeof ba);
    size_t tl = kfh_scenario_format(s, ta, sizeof ta);
    if (na > sizeof ba || tl >= sizeof ta)
        return 0;
    if (kfh_scenario_parse(ta, &sb, err, sizeof err)) {
        fprintf(stderr, "  reparse failed: %s\n%s", err, ta);
        return 0;
    }
    size_t nb = kfh_scenario_encode(&sb, bb, sizeof bb);
    if (na != nb || memcmp(ba, bb, na)) {
        fprintf(stderr, "  round trip changed the bytes:\n%s", ta);
        return 0;
    }
    /* Each operation's own line (kfh_op_format, which keeps the texts it made and copies them
     * when an operation comes again) is its line in the whole text, formatted afresh: asked
     * twice, once made and once copied when the text is short enough to be kept; and cut short
     * like snprintf when the buffer is small. */
    const char *line = strchr(ta, '\n');
    for (uint16_t i = 0; i < s->n && line; i++) {
        char one[256], again[256], cut[8];
        line++;
        while (*line == ' ' || *line == '}')
            line += *line == '}' ? strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0) : 1;
        size_t n1 = kfh_op_format(&s->ops[i], one, sizeof one), n2 = kfh_op_format(&s->ops[i], again, sizeof again);
        size_t n3 = kfh_op_format(&s->ops[i], cut, sizeof cut);
        if (n1 != n2 || n1 != n3 || strcmp(one, again) || strncmp(line, one, n1) ||
            (line[n1] != '\n' && line[n1] != ' ') || strlen(cut) != (n1 < sizeof cut ? n1 : sizeof cut - 1) ||
            strncmp(cut, one, strlen(cut))) {
            fprintf(stderr, "  operation %u's own line differs from the text's: %s\n%s", (unsigned)i, one, ta);
            return 0;
        }
        line = strchr(line, '\n');
    }
    /* The canonical bytes decode to the same scenario again. */
    if (kfh_scenario_decode(ba, na, &sb, err, sizeof err))
        return 0;
    nb = kfh_scenario_encode(&sb, bb, sizeof bb);
    return na == nb && !memcmp(ba, bb, na);
}

TEST(scenario_decode_layout)
{
    /* version, expand(flags ex|wait, size sel=max) { raise_irql idx 1 }, fault hard */
    const uint8_t in[] = {1, KFH_OP_EXPAND, 0x03, KFH_SIZE_MAX, 0, 0, 0, 0, KFH_OP_RAISE_IRQL, 1, KFH_OP_END,
                          KFH_OP_FAULT, 2};
    kfh_scenario s;
    char err[128];
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 3);
    CHECK_EQ(s.ops[0].code, KFH_OP_EXPAND);
    CHECK_EQ(s.ops[0].a, KFH_EXP_EX | KFH_EXP_WAIT);
    CHECK_EQ(s.ops[0].size_sel, KFH_SIZE_MAX);
    CHECK_EQ(s.ops[0].body, 1);
    CHECK_EQ(s.ops[1].depth, 1);
    CHECK_EQ(s.ops[1].a, 1);
    CHECK_EQ(s.ops[2].code, KFH_OP_FAULT);
    CHECK_EQ(s.ops[2].a, KF_FAULT_HARD);
    CHECK_EQ(s.ops[2].depth, 0);
    uint8_t out[64];
    size_t n = kfh_scenario_encode(&s, out, sizeof out);
    CHECK_EQ(n, sizeof in);
    CHECK(memcmp(in, out, n) == 0);
    kfh_scenario_format(&s, ta, sizeof ta);
    CHECK(strcmp(ta, "version 1\nexpand ex wait size=max {\n  raise_irql 1\n}\nfault hard\n") == 0);
}

TEST(scenario_values_clamped_not_rejected)
{
    /* Opcode 0xFF (modulo the op count), IRQL index 0xFF, size selector 0xFF, raw size. */
    const uint8_t in[] = {1, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0x20, 0x30, 0x40};
    kfh_scenario s;
    char err[128];
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &s, err, sizeof err), 0);
    CHECK(s.n >= 1);
    CHECK(s.ops[0].code < KFH_OP_COUNT_V1);
    CHECK(round_trip(&s));
    /* Size selector 15 is not a symbol: the raw value counts. */
    const uint8_t in2[] = {1, KFH_OP_SET_STACK, 15, 0x00, 0x01, 0, 0};
    CHECK_EQ(kfh_scenario_decode(in2, sizeof in2, &s, err, sizeof err), 0);
    CHECK_EQ(s.ops[0].size_sel, KFH_SIZE_RAW);
    CHECK_EQ(s.ops[0].size_raw, 0x100);
}

TEST(scenario_truncated_input_reads_zeros)
{
    /* An expand whose size field is cut after one byte: flags present, size zero. */
    const uint8_t in[] = {1, KFH_OP_EXPAND, 0x01, KFH_SIZE_RAW};
    kfh_scenario s;
    char err[128];
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].a, KFH_EXP_EX);
    CHECK_EQ(s.ops[0].size_raw, 0);
    CHECK_EQ(s.ops[0].body, 0);
    /* Only the version: an empty scenario. */
    CHECK_EQ(kfh_scenario_decode(in, 1, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 0);
    kfh_result *r = th_run("expand ex size=0\n");
    CHECK_EQ(r->n_findings, 0);
}

TEST(scenario_empty_and_unknown_version_rejected)
{
    kfh_scenario s;
    char err[160];
    CHECK_EQ(kfh_scenario_decode((const uint8_t *)"", 0, &s, err, sizeof err), -1);
    CHECK(strstr(err, "empty") != NULL);
    /* The first version this build does not know. */
    const uint8_t next[] = {KFH_SCENARIO_VERSION_NEXT, 1, 2};
    char want[64], text[64];
    snprintf(want, sizeof want, "unknown scenario format version %d", KFH_SCENARIO_VERSION_NEXT);
    CHECK_EQ(kfh_scenario_decode(next, sizeof next, &s, err, sizeof err), -1);
    CHECK(strstr(err, want) != NULL);
    const uint8_t v0[] = {0};
    CHECK_EQ(kfh_scenario_decode(v0, 1, &s, err, sizeof err), -1);
    snprintf(text, sizeof text, "version %d\nexpand size=0\n", KFH_SCENARIO_VERSION_NEXT);
    CHECK_EQ(kfh_scenario_parse(text, &s, err, sizeof err), -1);
    CHECK(strstr(err, "line 1, column 9") != NULL);
}

TEST(scenario_nesting_bounded)
{
    /* 20 nested consume blocks: the decoder keeps 8 levels, the rest become empty blocks. */
    uint8_t in[1 + 20 * 6];
    size_t n = 0;
    in[n++] = 1;
    for (int i = 0; i < 20; i++) {
        in[n++] = KFH_OP_CONSUME;
        in[n++] = KFH_SIZE_PAGE;
        in[n++] = 0;
        in[n++] = 0;
        in[n++] = 0;
        in[n++] = 0;
    }
    kfh_scenario s;
    char err[160];
    CHECK_EQ(kfh_scenario_decode(in, n, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 20);
    int maxd = 0;
    for (int i = 0; i < s.n; i++)
        maxd = s.ops[i].depth > maxd ? s.ops[i].depth : maxd;
    CHECK_EQ(maxd, KFH_MAX_DEPTH);
    CHECK(round_trip(&s));
    /* The text form refuses a ninth level, naming the line. */
    char text[1024] = "";
    for (int i = 0; i < 9; i++)
        strcat(text, "consume page {\n");
    for (int i = 0; i < 9; i++)
        strcat(text, "}\n");
    CHECK_EQ(kfh_scenario_parse(text, &s, err, sizeof err), -1);
    CHECK(strstr(err, "line 9") != NULL);
    CHECK(strstr(err, "deeper") != NULL);
}

TEST(scenario_op_count_bounded)
{
    static uint8_t in[1 + 2 * 400];
    in[0] = 1;
    for (int i = 0; i < 400; i++) {
        in[1 + 2 * i] = KFH_OP_FAULT;
        in[2 + 2 * i] = 1;
    }
    kfh_scenario s;
    char err[160];
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, KFH_MAX_OPS);
}

TEST(scenario_garbage_text_names_line_and_column)
{
    kfh_scenario s;
    char err[256];
    CHECK_EQ(kfh_scenario_parse("# ok\nexpand ex size=0x10\n  frobnicate 3\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "line 3, column 3") != NULL);
    CHECK(strstr(err, "frobnicate") != NULL);
    CHECK_EQ(kfh_scenario_parse("expand ex size=lots\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "line 1, column 16") != NULL);
    CHECK_EQ(kfh_scenario_parse("raise_irql 7\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "column 12") != NULL);
    CHECK_EQ(kfh_scenario_parse("expand ex size=1 {\nfault hard\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "missing") != NULL);
    CHECK_EQ(kfh_scenario_parse("}\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("fault hard {\n}\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("profile win11-x86\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "never released") != NULL);
    CHECK_EQ(kfh_scenario_parse("raise STATUS_WHATEVER\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("pool_alloc 9\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("expand ex\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("set_stack\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("fault hard\nversion 1\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("fault \x01hard\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "0x01") != NULL);
}

TEST(scenario_symbolic_sizes_resolve_per_profile)
{
    const kf_profile *x86 = NULL, *amd64 = NULL;
    for (size_t i = 0; i < kf_profile_count(); i++) {
        const kf_profile *p = kf_profile_at(i);
        if (p->os == KF_OS_WIN10 && p->arch == KF_ARCH_X86)
            x86 = p;
        if (p->os == KF_OS_WIN10 && p->arch == KF_ARCH_AMD64)
            amd64 = p;
    }
    CHECK(x86 && amd64);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_MAX, 0, x86, 0), 0xE800);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_MAX_PLUS1, 0, amd64, 0), 0x11801);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_MAX_MINUS1, 0, amd64, 0), 0x117FF);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_STACK, 0, x86, 0), 0x3000);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_LARGE, 0, amd64, 0), 0x12000);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_SIZE_T_MAX, 0, amd64, 0), (SIZE_T)-1);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_REMAINING_PLUS1, 0, amd64, 0x200), 0x201);
    CHECK_EQ(kfh_size_resolve(KFH_SIZE_RAW, 1234, amd64, 0), 1234);
}

/* splitmix64, for generating inputs deterministically. */
static uint64_t gen(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

TEST(scenario_round_trip_generated_inputs)
{
    uint64_t st = 7;
    int ok = 1;
    static uint8_t in[600];
    for (int iter = 0; iter < 3000 && ok; iter++) {
        size_t n = 1 + gen(&st) % (sizeof in - 1);
        in[0] = 1;
        for (size_t i = 1; i < n; i++)
            in[i] = (uint8_t)gen(&st);
        /* Bias towards small opcodes and block structure now and then. */
        if (iter % 2)
            for (size_t i = 1; i < n; i += 3)
                in[i] = (uint8_t)(gen(&st) % KFH_OP_COUNT_V1);
        char err[128];
        if (kfh_scenario_decode(in, n, &sa, err, sizeof err)) {
            ok = 0;
            break;
        }
        ok = round_trip(&sa);
    }
    CHECK(ok);
}

static int round_trip_runs_identically(const kfh_scenario *s)
{
    char err[256];
    kfh_config cfg;
    static kfh_result r1, r2;
    if (kfh_config_from_options(&cfg, err, sizeof err))
        return 0;
    cfg.capture = 1;
    kfh_run(s, &cfg, &r1);
    kfh_scenario_format(s, ta, sizeof ta);
    if (kfh_scenario_parse(ta, &sb, err, sizeof err))
        return 0;
    kfh_run(&sb, &cfg, &r2);
    return r1.trace_hash == r2.trace_hash && r1.n_findings == r2.n_findings;
}

TEST(scenario_round_trip_every_corpus_file)
{
    DIR *d = opendir(KFAULT_SOURCE_DIR "/corpus/scenarios");
    CHECK(d != NULL);
    if (!d)
        return;
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "HASHES") || !strncmp(e->d_name, "bad_", 4))
            continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "%s/corpus/scenarios/%s", KFAULT_SOURCE_DIR, e->d_name);
        if (kfh_scenario_load(path, &sa, err, sizeof err)) {
            kft_fail(__FILE__, __LINE__, "%s", err);
            continue;
        }
        files++;
        if (!round_trip(&sa))
            kft_fail(__FILE__, __LINE__, "%s: bytes -> text -> bytes differs", e->d_name);
        else if (!round_trip_runs_identically(&sa))
            kft_fail(__FILE__, __LINE__, "%s: the text form runs differently", e->d_name);
        else
            kft_pass();
    }
    closedir(d);
    CHECK(files >= 3);
}

TEST(scenario_load_rejects_bad_files)
{
    char err[512];
    CHECK_EQ(kfh_scenario_load(KFAULT_SOURCE_DIR "/corpus/scenarios/does-not-exist", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "cannot open") != NULL);
    CHECK_EQ(kfh_scenario_load(KFAULT_SOURCE_DIR "/corpus/scenarios/bad_version.bin", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "unknown scenario format version") != NULL);
    CHECK_EQ(kfh_scenario_load(KFAULT_SOURCE_DIR "/corpus/scenarios/bad_garbage.txt", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "line ") != NULL);
    CHECK_EQ(kfh_scenario_load(KFAULT_SOURCE_DIR "/corpus/scenarios/bad_empty.bin", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "empty") != NULL);
}

/* Version 3: reg_value's fields, its canonical absent form, its bytes and its text. */
TEST(scenario_reg_value_version3)
{
    char err[256];
    /* opcode 24, value 9 (mod 8: 1), type REG_SZ with the odd-length and terminated bits,
     * length / 2 = 3 (7 bytes), data word 0x00420041. */
    const uint8_t v3[] = {3, 24, 9, 0x1 | 0x8 | 0x10, 3, 0x41, 0x00, 0x42, 0x00};
    CHECK_EQ(kfh_scenario_decode(v3, sizeof v3, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.n, 1);
    CHECK_EQ(sa.ops[0].code, KFH_OP_REG_VALUE);
    CHECK_EQ(sa.ops[0].a, 1);
    CHECK_EQ(kfh_reg_type_at(sa.ops[0].b & KFH_REG_TYPE_MASK), 1 /* REG_SZ */);
    UCHAR bytes[16];
    memset(bytes, 0xEE, sizeof bytes);
    CHECK_EQ(kfh_reg_value_bytes(&sa.ops[0], bytes, sizeof bytes), 7);
    const UCHAR want[7] = {0x41, 0x00, 0x42, 0x00, 0x41, 0x00, 0x00};
    CHECK(!memcmp(bytes, want, sizeof want));
    CHECK_EQ(bytes[7], 0xEE); /* nothing past the length */
    kfh_scenario_format(&sa, ta, sizeof ta);
    CHECK(strstr(ta, "version 3\nreg_value 1 REG_SZ length=7 data=0x00420041 terminated\n") != NULL);
    CHECK(round_trip(&sa));
    /* An absent value drops its other fields: the canonical bytes are zeros. */
    const uint8_t absent[] = {3, 24, 2, 0x7 | 0x10, 9, 1, 2, 3, 4};
    CHECK_EQ(kfh_scenario_decode(absent, sizeof absent, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.ops[0].b, KFH_REG_ABSENT);
    CHECK_EQ(sa.ops[0].c, 0);
    CHECK_EQ(sa.ops[0].size_raw, 0);
    CHECK_EQ(kfh_reg_value_bytes(&sa.ops[0], bytes, sizeof bytes), 0);
    CHECK(round_trip(&sa));
    /* A REG_MULTI_SZ's terminator is two NUL characters. */
    CHECK_EQ(kfh_scenario_parse("reg_value 0 REG_MULTI_SZ length=8 data=0x00610062 terminated\n", &sa, err,
                                sizeof err), 0);
    CHECK_EQ(sa.version, 3); /* the lowest version that carries it */
    CHECK_EQ(kfh_reg_value_bytes(&sa.ops[0], bytes, sizeof bytes), 8);
    CHECK(bytes[3] == 0x00 && bytes[2] == 0x61 && bytes[4] == 0 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0);
    /* Errors name what is wrong; a version line too low for it is refused. */
    CHECK_EQ(kfh_scenario_parse("version 2\nreg_value 0 absent\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "needs scenario format version 3") != NULL);
    CHECK_EQ(kfh_scenario_parse("reg_value 0 REG_SZ length=512 data=0x0\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "length=N (0 to 511)") != NULL);
    CHECK_EQ(kfh_scenario_parse("reg_value 0 REG_WHATEVER\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "value index and a type") != NULL);
    CHECK_EQ(kfh_scenario_parse("reg_value 3 absent length=4\n", &sa, err, sizeof err), -1);
}

/* Version 5: file's fields, its canonical directory form, its bytes, its names and its text. */
TEST(scenario_file_version5)
{
    kfh_scenario sa, sb;
    char err[256], ta[512];
    uint8_t bytes[64];
    /* name 10, volume 1, readonly, size 0x0258 (600), data 0x4353464B; a name index past the
     * table wraps, unknown flag bits are masked. */
    const uint8_t raw[] = {5, KFH_OP_FILE, 10 + KFH_FILE_NAMES, 0x1 | KFH_FILE_READONLY | 0x60, 0x58, 0x02,
                           0x4B, 0x46, 0x53, 0x43};
    CHECK_EQ(kfh_scenario_decode(raw, sizeof raw, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.n, 1);
    CHECK_EQ(sa.ops[0].code, KFH_OP_FILE);
    CHECK_EQ(sa.ops[0].a, 10);
    CHECK_EQ(sa.ops[0].b, 0x1 | KFH_FILE_READONLY);
    UCHAR data[700];
    CHECK_EQ(kfh_file_bytes(&sa.ops[0], data, sizeof data), 600);
    CHECK(memcmp(data, "KFSCKFSC", 8) == 0 && data[599] == 'C');
    CHECK_EQ(kfh_scenario_min_version(&sa), 5);
    CHECK(kfh_scenario_format(&sa, ta, sizeof ta) < sizeof ta);
    CHECK(strstr(ta, "version 5\nfile 10 volume=1 readonly size=600 data=0x4353464b\n") != NULL);
    CHECK_EQ(kfh_scenario_parse(ta, &sb, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&sa, &sb, err, sizeof err));
    size_t n = kfh_scenario_encode(&sb, bytes, sizeof bytes);
    CHECK_EQ(n, sizeof raw);
    CHECK_EQ(bytes[2], 10);
    /* A directory has no size and no data, whatever the bytes say. */
    const uint8_t dir[] = {5, KFH_OP_FILE, 7, KFH_FILE_DIRECTORY | KFH_FILE_HIDDEN, 9, 9, 1, 2, 3, 4};
    CHECK_EQ(kfh_scenario_decode(dir, sizeof dir, &sa, err, sizeof err), 0);
    CHECK_EQ(sa.ops[0].c, 0);
    CHECK_EQ(sa.ops[0].size_sel, 0);
    CHECK_EQ(sa.ops[0].size_raw, 0);
    CHECK_EQ(kfh_file_bytes(&sa.ops[0], data, sizeof data), 0);
    CHECK(kfh_scenario_format(&sa, ta, sizeof ta) < sizeof ta);
    CHECK(strstr(ta, "file 7 volume=0 hidden directory\n") != NULL);
    /* Names of the table. */
    CHECK(kfh_file_name_at(5)[0] == L'\\');
    CHECK(strcmp(kfh_file_name_text(5), "\\Downloads\\installer.exe:Zone.Identifier") == 0);
    CHECK(strcmp(kfh_file_name_text(9 + KFH_FILE_NAMES), kfh_file_name_text(9)) == 0);
    /* Text errors. */
    CHECK_EQ(kfh_scenario_parse("version 4\nfile 0 volume=0 size=1 data=0x0\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "needs scenario format version 5") != NULL);
    CHECK_EQ(kfh_scenario_parse("file 0 size=1 data=0x0\n", &sa, err, sizeof err), -1);
    CHECK(strstr(err, "volume=N") != NULL);
    CHECK_EQ(kfh_scenario_parse("file 0 volume=0 directory size=1\n", &sa, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("file 0 volume=0 size=65536 data=0x0\n", &sa, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("file 0 volume=0 hidden hidden size=1 data=0x0\n", &sa, err, sizeof err), -1);
}
