/*
 * test_harness_flt_scenario.c - scenario format version 2 (the Filter Manager operations):
 * bytes and text for every new operation, the lossless round trip, version 1 left as it was,
 * and whole runs: the Filter Manager corpus runs clean and deterministically, every fault in
 * turn is predicted, and a hook that lies about its decisions is caught with the Filter
 * Manager invariants' ids.
 *
 * Must never accept a round trip that merely re-parses: bytes, text and trace hash are each
 * compared with what they were.
 */
#include "test_harness_util.h"

#include "kfault/flt_model.h"

static const char *const every_op =
    "version 2\n"
    "flt_start 3\n"
    "cbd_alloc 0 volume=0 flags=0x0\n"
    "cbd_alloc 1 ex null_instance file volume=2 flags=0x80000001\n"
    "cbd_alloc 2 ex file volume=3 flags=0x2\n"
    "cbd_alloc 3 ex volume=1 flags=0x1\n"
    "iopb 0 read minor=0 irp=none length=0x200\n"
    "iopb 3 directory_control minor=1 irp=synchronous_api length=0x1000\n"
    "iopb 1 acquire_for_section_synchronization minor=3 irp=paging_io length=0xffffffff\n"
    "iopb 2 major_0x40 minor=2 irp=nocache length=0x0\n"
    "sync_io 0\n"
    "async_io 0 then=nothing inline irql=0\n"
    "async_io 1 then=free deferred irql=1\n"
    "async_io 2 then=reuse inline irql=2\n"
    "async_io 3 then=reissue deferred irql=2\n"
    "run_pending\n"
    "cbd_reuse 3\n"
    "cbd_free 0\n"
    "cbd_free 1 again\n"
    "cbd_free 2 foreign\n"
    "lower default\n"
    "lower STATUS_END_OF_FILE info=0x3\n"
    "lower STATUS_INSUFFICIENT_RESOURCES info=0x0\n"
    "teardown 2 on\n"
    "teardown 0 off\n"
    "expand ex size=page {\n"
    "  cbd_alloc 1 ex volume=0 flags=0x1\n"
    "  iopb 1 flush_buffers minor=0 irp=none length=0x0\n"
    "  sync_io 1\n"
    "  cbd_free 1\n"
    "}\n"
    "flt_unregister\n";

static size_t text_of(const kfh_scenario *s, char *buf, size_t cap) { return kfh_scenario_format(s, buf, cap); }

TEST(v2_text_prints_back_as_written)
{
    static kfh_scenario s;
    static char text[8192];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(every_op, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 2);
    CHECK(text_of(&s, text, sizeof text) < sizeof text);
    if (strcmp(text, every_op) != 0)
        kft_fail(__FILE__, __LINE__, "printed differently:\n%s", text);
    else
        kft_pass();
}

TEST(v2_bytes_round_trip)
{
    static kfh_scenario s, back, again;
    static uint8_t b1[4096], b2[4096];
    static char t1[8192], t2[8192];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(every_op, &s, err, sizeof err), 0);
    size_t n1 = kfh_scenario_encode(&s, b1, sizeof b1);
    CHECK(n1 < sizeof b1);
    CHECK_EQ(b1[0], 2);
    CHECK_EQ(kfh_scenario_decode(b1, n1, &back, err, sizeof err), 0);
    CHECK_EQ(back.n, s.n);
    CHECK(memcmp(back.ops, s.ops, sizeof(kfh_op) * s.n) == 0);
    text_of(&back, t1, sizeof t1);
    CHECK_EQ(kfh_scenario_parse(t1, &again, err, sizeof err), 0);
    size_t n2 = kfh_scenario_encode(&again, b2, sizeof b2);
    CHECK_EQ(n2, n1);
    CHECK(memcmp(b1, b2, n1) == 0);
    text_of(&again, t2, sizeof t2);
    CHECK(strcmp(t1, t2) == 0);
}

/* Any bytes under version 2 decode, and their canonical form is a fixed point. */
TEST(v2_any_bytes_canonical)
{
    static kfh_scenario s, back;
    static uint8_t in[600], b1[8192], b2[8192];
    char err[256];
    unsigned x = 12345;
    for (int round = 0; round < 200; round++) {
        in[0] = 2;
        for (size_t i = 1; i < sizeof in; i++) {
            x = x * 1103515245u + 12345u; /* a fixed sequence: the test is the same every run */
            in[i] = (uint8_t)(x >> 16);
        }
        size_t len = 1 + (size_t)(round * 3) % (sizeof in - 1);
        CHECK_EQ(kfh_scenario_decode(in, len, &s, err, sizeof err), 0);
        size_t n1 = kfh_scenario_encode(&s, b1, sizeof b1);
        CHECK_EQ(kfh_scenario_decode(b1, n1, &back, err, sizeof err), 0);
        size_t n2 = kfh_scenario_encode(&back, b2, sizeof b2);
        CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
    }
}

TEST(v2_field_widths_and_clamps)
{
    static kfh_scenario s;
    char err[128];
    /* cbd_alloc (op 14): slot 9 -> 1, bits 0xFF -> 0x1F, flags index 6 -> 2; then iopb (op 15) with
     * major 13 -> 1, 0xFF -> 0x0F and a 32-bit length; then async_io (op 17), mode 0xFF ->
     * deferred with IRQL index (0x7F % 3) = 1; then opcode 24 + 18 = run_pending (modulo 24). */
    const uint8_t in[] = {2, 14, 9, 0xFF, 6, 15, 1, 13, 0xFF, 0x78, 0x56, 0x34, 0x12, 17, 1, 7, 0xFF, 42};
    CHECK_EQ(kfh_scenario_decode(in, sizeof in, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 4);
    CHECK_EQ(s.ops[0].code, KFH_OP_CBD_ALLOC);
    CHECK_EQ(s.ops[0].a, 1);
    CHECK_EQ(s.ops[0].b, 0x1F);
    CHECK_EQ(s.ops[0].c, 2);
    CHECK_EQ(s.ops[1].code, KFH_OP_IOPB);
    CHECK_EQ(s.ops[1].b, 1);
    CHECK_EQ(s.ops[1].c, 0x0F);
    CHECK_EQ(s.ops[1].size_raw, 0x12345678);
    CHECK_EQ(s.ops[2].code, KFH_OP_ASYNC_IO);
    CHECK_EQ(s.ops[2].b, 7 % KFH_THEN_COUNT);
    CHECK_EQ(s.ops[2].c, 1 | (1 << 1));
    CHECK_EQ(s.ops[3].code, KFH_OP_RUN_PENDING);
    /* Version 1 never reaches the new opcodes: 14 is 14 % 13 = 1, a profile. */
    const uint8_t v1[] = {1, 14, 0};
    CHECK_EQ(kfh_scenario_decode(v1, sizeof v1, &s, err, sizeof err), 0);
    CHECK_EQ(s.ops[0].code, KFH_OP_PROFILE);
}

TEST(v1_stays_v1)
{
    static kfh_scenario s;
    static uint8_t b[256];
    char err[256];
    /* Without a version line the text takes the lowest version that carries it. */
    CHECK_EQ(kfh_scenario_parse("expand ex size=page\n", &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 1);
    CHECK_EQ(kfh_scenario_encode(&s, b, sizeof b) > 0, 1);
    CHECK_EQ(b[0], 1);
    CHECK_EQ(kfh_scenario_parse("expand ex size=page\nrun_pending\n", &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 2);
    kfh_scenario_encode(&s, b, sizeof b);
    CHECK_EQ(b[0], 2);
    /* A file that says version 1 cannot hold a version-2 operation. */
    CHECK_EQ(kfh_scenario_parse("version 1\nsync_io 0\n", &s, err, sizeof err), -1);
    CHECK(strstr(err, "line 2, column 1") != NULL && strstr(err, "version 2") != NULL);
    /* Version 2 bytes holding only version-1 operations keep their version. */
    const uint8_t v2[] = {2, 6, 1, 8, 0, 0, 0, 0, 0};
    CHECK_EQ(kfh_scenario_decode(v2, sizeof v2, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 2);
    CHECK_EQ(kfh_scenario_encode(&s, b, sizeof b), sizeof v2);
    CHECK(memcmp(b, v2, sizeof v2) == 0);
}

TEST(v2_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"cbd_alloc 4 volume=0 flags=0x0\n", "column 11"},
        {"cbd_alloc 0 volume=0 flags=0x4\n", "flags value"},
        {"cbd_alloc 0 ex\n", "needs volume=N and flags=X"},
        {"iopb 0 read minor=4 irp=none length=0x1\n", "minor function"},
        {"iopb 0 lock minor=0 irp=none length=0x1\n", "major function"},
        {"iopb 0 read minor=0 irp=all length=0x1\n", "IrpFlags"},
        {"iopb 0 read minor=0 irp=none length=0x100000000\n", "length=N"},
        {"async_io 0 then=free deferred irql=3\n", "irql="},
        {"async_io 0 then=twice inline irql=0\n", "then="},
        {"cbd_free 0 twice\n", "again"},
        {"lower STATUS_PENDING info=0x0\n", "lower layers"},
        {"lower default info=0x1\n", "not a status the lower layers"},
        {"lower\n", "lower takes"},
        {"teardown 4 on\n", "volume"},
        {"flt_start 5\n", "volume count"},
        {"run_pending now\n", "no argument"},
        {"sync_io 0 {\n}\n", "has no body"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        int rc = kfh_scenario_parse(bad[i].text, &s, err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].needle))
            kft_fail(__FILE__, __LINE__, "'%s': rc %d, error '%s' (wanted '%s')", bad[i].text, rc, err, bad[i].needle);
        else
            kft_pass();
    }
}

/* ---- Runs ------------------------------------------------------------------------------------ */

static kfh_scenario *load(const char *name)
{
    static kfh_scenario s;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/corpus/scenarios/%s", KFAULT_SOURCE_DIR, name);
    if (kfh_scenario_load(path, &s, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "%s", err);
        return NULL;
    }
    return &s;
}

static kfh_result *run_capture(const kfh_scenario *s, int lie)
{
    static kfh_result r;
    kfh_config cfg;
    char err[128];
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.lie = lie;
    kfh_run(s, &cfg, &r);
    return &r;
}

TEST(flt_corpus_runs_clean_and_same_twice)
{
    static const char *const files[] = {"flt_callback_data.txt", "flt_stops.txt", "flt_callback_data.bin"};
    for (size_t i = 0; i < 3; i++) {
        kfh_scenario *s = load(files[i]);
        if (!s)
            continue;
        kfh_result *r = run_capture(s, 0);
        CHECK_EQ(r->n_findings, 0);
        uint64_t h = r->trace_hash;
        r = run_capture(s, 0);
        CHECK_EQ(r->trace_hash, h);
        CHECK_EQ(kf_flt_callback_data_outstanding(), 0); /* the run leaves the model clean */
    }
    kfh_scenario *s = load("flt_stops.txt");
    if (s)
        CHECK_EQ(run_capture(s, 0)->stops, 20);
}

TEST(flt_every_fault_in_turn_is_predicted)
{
    kfh_scenario *s = load("flt_callback_data.txt");
    if (!s)
        return;
    kfh_config cfg;
    char err[128];
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result e;
    kfh_enumerate(s, &cfg, 200, &e);
    CHECK(e.complete);
    CHECK(e.runs > 20); /* every Filter Manager site the scenario reaches, in turn */
    if (e.n_findings)
        kft_fail(__FILE__, __LINE__, "fail_nth=%llu: %s: expected %s; actual %s", e.first_nth, e.first.signature,
                 e.first.expected, e.first.actual);
    else
        kft_pass();
}

/* The hook logs "none" while failing every site: the harness expects the registration to
 * succeed and then ask for the volume's instance; the model, told "hard", never does. */
TEST(flt_lying_hook_is_caught)
{
    static kfh_scenario s;
    char err[256];
    CHECK_EQ(kfh_scenario_parse("flt_start 1\ncbd_alloc 0 volume=0 flags=0x0\n", &s, err, sizeof err), 0);
    kfh_result *r = run_capture(&s, 1);
    CHECK_EQ(r->n_findings, 1);
    CHECK(th_has_finding(r, KFH_INV_FLT_SITES));
    char want[64];
    snprintf(want, sizeof want, "%s/FltRegisterFilter/flt.filter", kfh_inv_get(KFH_INV_FLT_SITES)->id);
    CHECK(strcmp(r->findings[0].signature, want) == 0);
}

TEST(flt_leak_at_end_is_counted_not_reported)
{
    /* Callback data the scenario still holds at the end is given back by the runner; data
     * whose I/O is still pending stays with the scenario and kf_reset drops it. */
    kfh_result *r = th_run("flt_start 1\n"
                           "cbd_alloc 0 volume=0 flags=0x0\n"
                           "cbd_alloc 1 volume=0 flags=0x0\n"
                           "iopb 1 write minor=0 irp=none length=0x4\n"
                           "async_io 1 then=nothing deferred irql=1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    CHECK(th_trace_has("STATUS_PENDING calls=0"));
}
