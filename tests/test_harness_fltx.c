/*
 * test_harness_fltx.c - the context and file name operations of scenario format version 7:
 * their bytes and text, the oracle's predictions (harness/oracle_fltx.c, rules FC-* and FN-* of
 * model/SEMANTICS.md), the conformance runner's comparisons, and that each of their invariants
 * (KF-INV-057 to 061) fires on a model that breaks it (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

/* ---- Format --------------------------------------------------------------------------- */

static const char doc_example[] = "version 7\n"
                                  "flt_start 2\n"
                                  "ctx_alloc 0 instance pool=nonpaged_nx size=registered\n"
                                  "ctx_set 0 instance volume=0 keep\n"
                                  "ctx_alloc 1 stream pool=paged size=large\n"
                                  "ctx_set 1 stream volume=1 file=0 replace old=2\n"
                                  "ctx_get 3 stream_handle volume=0 file=1\n"
                                  "ctx_get 3 instance volume=0 null_out\n"
                                  "ctx_delete volume volume=1 old=4\n"
                                  "ctx_delete instance volume=0\n"
                                  "ctx_ref 0 5\n"
                                  "ctx_release 5\n"
                                  "ctx_release 5 again\n"
                                  "ctx_unlink 0\n";

TEST(ctx_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 7);
    CHECK_EQ(s.n, 13);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_op_min_version(KFH_OP_CTX_ALLOC), 7);
    CHECK_EQ(kfh_op_min_version(KFH_OP_CTX_UNLINK), 7);
    CHECK_EQ(kfh_op_min_version(KFH_OP_MF_UNLOAD), 6);
}

TEST(ctx_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "ctx_alloc 8 instance pool=paged size=registered\n", "ctx_alloc 0 file pool=paged size=registered\n",
        "ctx_alloc 0 instance pool=paged\n", "ctx_set 0 instance volume=0\n", "ctx_set 0 stream volume=0 keep\n",
        "ctx_set 0 instance volume=4 keep\n", "ctx_get 0 stream volume=0 file=3\n", "ctx_delete instance volume=0 old\n",
        "ctx_release 0 twice\n", "ctx_ref 0\n", "ctx_unlink\n", "version 6\nctx_unlink 0\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s (%s)", bad[i], err);
    }
}

TEST(ctx_bytes_clamped_and_canonical)
{
    static kfh_scenario s;
    char err[256];
    /* Version 6 has 36 opcodes: 36 is opcode 0 (end) there, ctx_alloc in version 7. */
    const uint8_t v6[] = {6, 36, 0, 0, 0};
    CHECK_EQ(kfh_scenario_decode(v6, sizeof v6, &s, err, sizeof err), 0);
    CHECK(s.n == 0 || s.ops[0].code != KFH_OP_CTX_ALLOC);
    /* ctx_alloc: slot 9 -> 1, type 7 -> 1 (instance), pool bits kept, size 6 -> 1. */
    const uint8_t a[] = {7, KFH_OP_CTX_ALLOC, 9, 0x1F, 6};
    CHECK_EQ(kfh_scenario_decode(a, sizeof a, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].a, 1);
    CHECK_EQ(s.ops[0].b, 0x19);
    CHECK_EQ(s.ops[0].c, 1);
    /* ctx_set on an instance: the file bits go; no OldContext: its slot goes. */
    const uint8_t b[] = {7, KFH_OP_CTX_SET, 0, 0x35, 0x3B};
    CHECK_EQ(kfh_scenario_decode(b, sizeof b, &s, err, sizeof err), 0);
    CHECK_EQ(s.ops[0].b, 0x05);
    CHECK_EQ(s.ops[0].c, 0x03 % KFH_CTX_OPS);
    /* ctx_delete without OldContext: no slot; file indexes modulo 3; ctx_get keeps null_out. */
    const uint8_t c[] = {7, KFH_OP_CTX_DELETE, 5, 0x36, KFH_OP_CTX_GET, 2, 0x7E};
    CHECK_EQ(kfh_scenario_decode(c, sizeof c, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.ops[0].a, 0);
    CHECK_EQ(s.ops[0].b, 0x06); /* file 3 is file 0 */
    CHECK_EQ(s.ops[1].b, 0x40 | 0x0C | 2);
    static char text[256];
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strstr(text, "ctx_delete stream volume=1 file=0\n") != NULL);
    CHECK(strstr(text, "ctx_get 2 stream volume=3 file=0 null_out\n") != NULL);
}

/* ---- Oracle ------------------------------------------------------------------------------ */

static kfh_ctx_state st;
static kfh_ctx_pred pr;

static void alloc_in(kfh_ctx_in *in, int slot, int type, int pool, int size)
{
    memset(in, 0, sizeof *in);
    in->op = KFH_OP_CTX_ALLOC;
    in->slot = slot;
    in->type = type;
    in->pool = pool;
    in->size = size;
}

TEST(ctx_oracle_allocation)
{
    kfh_ctx_in in;
    kfh_ctx_state_init(&st);
    static const struct {
        int type, pool, size;
        NTSTATUS status;
    } rows[] = {
        {KFH_CTX_VOLUME, 0, 0, STATUS_SUCCESS},
        {KFH_CTX_VOLUME, 1, 0, STATUS_FLT_MUST_BE_NONPAGED_POOL},
        {KFH_CTX_VOLUME, 0, 1, STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND},
        {KFH_CTX_INSTANCE, 1, 2, STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND},
        {KFH_CTX_STREAM, 1, 2, STATUS_SUCCESS},
        {KFH_CTX_HANDLE, 1, 1, STATUS_SUCCESS},
        {KFH_CTX_HANDLE, 1, 2, STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND},
        {4, 0, 0, STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND},
        {5, 0, 0, STATUS_INVALID_PARAMETER},
        {KFH_CTX_INSTANCE, 0, 3, STATUS_INVALID_PARAMETER},
        {KFH_CTX_INSTANCE, 3, 4, STATUS_INVALID_BUFFER_SIZE},
        {KFH_CTX_INSTANCE, 3, 0, STATUS_INVALID_PARAMETER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        alloc_in(&in, 0, rows[i].type, rows[i].pool, rows[i].size);
        kfh_oracle_ctx(&st, &in, &pr);
        CHECK_EQ(pr.stop.stops, 0);
        CHECK_EQ(pr.status, rows[i].status);
        CHECK_EQ(pr.n_sites, rows[i].status == STATUS_SUCCESS);
        CHECK_EQ(pr.drains, 1);
    }
    /* The site's failure; above APC_LEVEL a bug check 0xA before anything. */
    alloc_in(&in, 0, KFH_CTX_INSTANCE, 0, 0);
    in.n_decisions = 1;
    in.dsite[0] = KF_SITE_FLT_CONTEXT;
    in.dkind[0] = KF_FAULT_HARD;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK_EQ(pr.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(pr.after.n, 0);
    in.n_decisions = 0;
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.code == IRQL_NOT_LESS_OR_EQUAL && pr.stop.param[0] == APC_LEVEL);
    in.irql = PASSIVE_LEVEL;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK_EQ(pr.after.n, 1);
    CHECK_EQ(pr.after.rec[0].refs, 1);
    CHECK_EQ(pr.after.slot[0], 0);
    CHECK_EQ(pr.out_rec, 0);
}

/* Applies one call's prediction (no stop) and returns its status. */
static NTSTATUS step(const kfh_ctx_in *in)
{
    kfh_oracle_ctx(&st, in, &pr);
    CHECK_EQ(pr.stop.stops, 0);
    st = pr.after;
    return pr.status;
}

static kfh_ctx_in owner_in(int op, int slot, int kind, int vol, int file)
{
    kfh_ctx_in in;
    memset(&in, 0, sizeof in);
    in.op = op;
    in.slot = slot;
    in.kind = kind;
    in.vol = vol;
    in.file = file;
    return in;
}

TEST(ctx_oracle_counts_keep_replace)
{
    kfh_ctx_in in;
    kfh_ctx_state_init(&st);
    alloc_in(&in, 0, KFH_CTX_INSTANCE, 0, 0);
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    in = owner_in(KFH_OP_CTX_SET, 0, KFH_CTX_INSTANCE, 0, 0);
    in.set_op = 1;
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    CHECK_EQ(st.rec[0].refs, 2); /* FC-4: the caller's and Filter Manager's */
    CHECK_EQ(step(&in), STATUS_FLT_CONTEXT_ALREADY_LINKED);
    alloc_in(&in, 1, KFH_CTX_INSTANCE, 1, 0);
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    /* FC-5: KEEP with OldContext hands out the existing one with a new reference. */
    in = owner_in(KFH_OP_CTX_SET, 1, KFH_CTX_INSTANCE, 0, 0);
    in.set_op = 1;
    in.with_old = 1;
    in.slot2 = 2;
    CHECK_EQ(step(&in), STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    CHECK_EQ(pr.out_rec, 0);
    CHECK_EQ(st.rec[0].refs, 3);
    CHECK_EQ(st.rec[1].refs, 1);
    /* FC-6: REPLACE without OldContext drops Filter Manager's reference on the old one. */
    in.set_op = 0;
    in.with_old = 0;
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    CHECK_EQ(st.rec[0].refs, 2);
    CHECK_EQ(st.rec[0].attached, 0);
    CHECK_EQ(st.rec[1].refs, 2);
    /* FC-9: release the slots of #0; the last reference goes and it is freed. */
    in = owner_in(KFH_OP_CTX_RELEASE, 2, 0, 0, 0);
    step(&in);
    in.slot = 0;
    step(&in);
    CHECK_EQ(st.rec[0].refs, 0);
    CHECK_EQ(pr.drains, 1);
    CHECK_EQ(st.stale[0], 0);
    /* Released again: a use after free; #1's only reference left is Filter Manager's. */
    in.variant = KFH_CTX_REL_AGAIN;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE);
    in.variant = KFH_CTX_REL_SLOT;
    in.slot = 1;
    step(&in);
    in.variant = KFH_CTX_REL_AGAIN;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == KF_VIOL_FLT_CONTEXT_RELEASE_TOO_MANY);
    /* A paged context released at DISPATCH_LEVEL: bug check 0xA (APC_LEVEL, 2). */
    in = owner_in(KFH_OP_CTX_GET, 3, KFH_CTX_INSTANCE, 0, 0);
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    in = owner_in(KFH_OP_CTX_RELEASE, 3, 0, 0, 0);
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.code == IRQL_NOT_LESS_OR_EQUAL && pr.stop.param[0] == APC_LEVEL &&
          pr.stop.param[1] == DISPATCH_LEVEL);
    /* FC-15: the reference slot 3 holds is outstanding at unregistration. */
    kfh_oracle_ctx_unregister(&st, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == KF_VIOL_FLT_CONTEXT_OUTSTANDING && pr.stop.param[1] == 1);
    CHECK_EQ(pr.after.rec[1].attached, 0);
}

TEST(ctx_oracle_owners)
{
    kfh_ctx_in in;
    kfh_ctx_state_init(&st);
    alloc_in(&in, 0, KFH_CTX_STREAM, 0, 0);
    step(&in);
    /* FC-13: file 2 has no FsContext. */
    in = owner_in(KFH_OP_CTX_SET, 0, KFH_CTX_STREAM, 0, 2);
    CHECK_EQ(step(&in), STATUS_NOT_SUPPORTED);
    in.file = 0;
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    /* One stream, two handles: file 1 finds it; another volume does not. */
    in = owner_in(KFH_OP_CTX_GET, 1, KFH_CTX_STREAM, 0, 1);
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    in = owner_in(KFH_OP_CTX_GET, 2, KFH_CTX_STREAM, 1, 1);
    CHECK_EQ(step(&in), STATUS_NOT_FOUND);
    /* A wrong type for the routine is a stop (FC-4); so is a NULL out pointer (FC-7). */
    in = owner_in(KFH_OP_CTX_SET, 0, KFH_CTX_HANDLE, 0, 0);
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == KF_VIOL_FLT_CONTEXT_WRONG_TYPE);
    in = owner_in(KFH_OP_CTX_GET, 2, KFH_CTX_STREAM, 0, 0);
    in.null_out = 1;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT);
    /* A teardown refuses deletion (FC-10) but not a lookup (FC-7). */
    in = owner_in(KFH_OP_CTX_DELETE, 0, KFH_CTX_STREAM, 0, 1);
    in.teardown = 1;
    CHECK_EQ(step(&in), STATUS_FLT_DELETING_OBJECT);
    in.teardown = 0;
    in.with_old = 1;
    in.slot = 3;
    CHECK_EQ(step(&in), STATUS_SUCCESS);
    CHECK_EQ(st.slot[3], 0);
    CHECK_EQ(st.rec[0].refs, 3); /* Filter Manager's went to slot 3 */
    /* FltDeleteContext of a context no longer attached: nothing. */
    in = owner_in(KFH_OP_CTX_UNLINK, 0, 0, 0, 0);
    step(&in);
    CHECK_EQ(st.rec[0].refs, 3);
    /* FltReferenceContext up to DISPATCH_LEVEL, and it frees nothing deferred. */
    in = owner_in(KFH_OP_CTX_REF, 0, 0, 0, 0);
    in.slot2 = 4;
    in.irql = DISPATCH_LEVEL;
    step(&in);
    CHECK_EQ(pr.drains, 0);
    CHECK_EQ(st.rec[0].refs, 4);
    in.irql = 3;
    kfh_oracle_ctx(&st, &in, &pr);
    CHECK(pr.stop.stops && pr.stop.param[0] == DISPATCH_LEVEL);
}

/* ---- The runner --------------------------------------------------------------------------- */

static const char lifecycle[] = "version 7\n"
                                "flt_start 1\n"
                                "ctx_alloc 0 instance pool=nonpaged_nx size=registered\n"
                                "ctx_set 0 instance volume=0 keep\n"
                                "ctx_alloc 1 stream_handle pool=nonpaged size=small\n"
                                "raise_irql 2\n"
                                "ctx_release 1\n"
                                "lower_irql 0\n"
                                "ctx_get 2 instance volume=0\n"
                                "ctx_release 2\n"
                                "ctx_release 0\n"
                                "flt_unregister\n";

TEST(ctx_runner_lifecycle_clean)
{
    kfh_result *r = th_run(lifecycle);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("-> free deferred [FC-11]"));
    CHECK(th_trace_has("context cleanup #1 stream_handle irql=0"));
    CHECK(th_trace_has("context cleanup #0 instance irql=0"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_CONTEXT], 2);
}

TEST(ctx_runner_outstanding_reference_predicted)
{
    kfh_result *r = th_run("version 7\nflt_start 1\nctx_alloc 3 volume pool=nonpaged size=registered\n"
                           "ctx_set 3 volume volume=0 replace\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-context-outstanding P1=0x3706 P2=0x1 in FltUnregisterFilter [predicted]"));
}

TEST(ctx_runner_skips_what_it_cannot_hold)
{
    kfh_result *r = th_run("version 7\nctx_alloc 0 instance pool=paged size=registered\nflt_start 1\n"
                           "ctx_set 0 instance volume=0 keep\nctx_get 0 instance volume=1\n"
                           "ctx_alloc 0 instance pool=paged size=registered\n"
                           "ctx_alloc 0 instance pool=paged size=registered\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the slot holds no context"));
    CHECK(th_trace_has("skipped: no instance on the volume"));
    CHECK(th_trace_has("skipped: the slot holds a context"));
}

/* Runs text with kfh_config.model_lie set. */
TEST(ctx_invariants_fire)
{
    static const char text[] = "version 7\nflt_start 1\nctx_alloc 0 instance pool=paged size=registered\n"
                               "ctx_release 0\n";
    kfh_result *r = th_run_lying(text, 1);
    CHECK(th_has_finding(r, KFH_INV_FLT_CTX_CLEANUP));
    r = th_run_lying(text, 2);
    CHECK(th_has_finding(r, KFH_INV_FLT_CTX_STATUS));
    r = th_run_lying(text, 3);
    CHECK(th_has_finding(r, KFH_INV_FLT_CTX_COUNT));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}

/* ---- File names --------------------------------------------------------------------------- */

TEST(name_text_round_trip)
{
    static const char text[] = "version 7\n"
                               "name_get 0 1 format=normalized method=always_allow name=23\n"
                               "name_ref 1 2\n"
                               "name_release 2\n"
                               "name_release 2 again\n"
                               "name_release 0 foreign\n"
                               "name_parse 1\n";
    static kfh_scenario s, t;
    static char out[1024];
    static uint8_t bytes[128];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(text, &s, err, sizeof err), 0);
    kfh_scenario_format(&s, out, sizeof out);
    CHECK(strcmp(out, text) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(n, 1 + 5 + 3 + 3 + 3 + 3 + 2);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_scenario_parse("name_get 0 4 format=opened method=default name=1\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("name_get 0 0 format=opened method=default name=24\n", &s, err, sizeof err), -1);
    CHECK_EQ(kfh_scenario_parse("name_release 0 null\n", &s, err, sizeof err), -1);
    /* Bytes: the method index modulo 5, the name modulo 24. */
    const uint8_t b[] = {7, KFH_OP_NAME_GET, 5, 6, 0x1E, 25};
    CHECK_EQ(kfh_scenario_decode(b, sizeof b, &s, err, sizeof err), 0);
    CHECK_EQ(s.ops[0].a, 1);
    CHECK_EQ(s.ops[0].b, 2);
    CHECK_EQ(s.ops[0].c, 2 | (2 << 2));
    CHECK_EQ(s.ops[0].size_sel, 1);
}

static size_t wlen(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

/* 1 when w[0..n) is the ASCII text t. */
static int wis(const WCHAR *w, size_t n, const char *t)
{
    if (n != strlen(t))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (WCHAR)t[i])
            return 0;
    return 1;
}

TEST(name_oracle_names_and_parts)
{
    static WCHAR w[256];
    size_t vol = 0, n;
    /* FN-1, FV-3: the volume, then the file object's name; an empty one is the root. */
    n = kfh_name_expected(1, 16, 1, w, 256, &vol);
    CHECK(wis(w, n, "\\Device\\HarddiskVolume2\\"));
    CHECK_EQ(vol, 23);
    n = kfh_name_expected(0, 17, 1, w, 256, &vol);
    CHECK(wis(w, n, "\\Device\\HarddiskVolume1\\Temp"));
    n = kfh_name_expected(0, 17, 2, w, 256, &vol);
    CHECK(wis(w, n, "\\Device\\HarddiskVolume1\\Temp\\"));
    n = kfh_name_expected(0, 18, 1, w, 256, &vol);
    CHECK(wis(w, n, "\\Device\\HarddiskVolume1\\Data\\report.txt"));
    n = kfh_name_expected(0, 18, 2, w, 256, &vol);
    CHECK(wis(w, n, "\\Device\\HarddiskVolume1\\Data\\report.txt::$Data"));
    /* FN-8: a stream, the extension before it. */
    kfh_name_parts p;
    n = kfh_name_expected(0, 5, 2, w, 256, &vol);
    kfh_oracle_name_parse(w, n, vol, &p);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK(wis(w + p.parent_at, p.parent, "\\Downloads\\"));
    CHECK(wis(w + p.final_at, p.final, "installer.exe:Zone.Identifier"));
    CHECK(wis(w + p.stream_at, p.stream, ":Zone.Identifier"));
    CHECK(wis(w + p.ext_at, p.ext, "exe"));
    /* The root: no parent, no final component. */
    n = kfh_name_expected(0, 16, 2, w, 256, &vol);
    kfh_oracle_name_parse(w, n, vol, &p);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.parent + p.final + p.stream + p.ext, 0);
    /* No dot: no extension; the default stream with its type parses. */
    n = kfh_name_expected(0, 6, 2, w, 256, &vol);
    kfh_oracle_name_parse(w, n, vol, &p);
    CHECK(p.status == STATUS_SUCCESS && p.ext == 0 && wis(w + p.final_at, p.final, "PROGRA~1"));
    n = kfh_name_expected(0, 18, 2, w, 256, &vol);
    kfh_oracle_name_parse(w, n, vol, &p);
    CHECK(p.status == STATUS_SUCCESS && wis(w + p.stream_at, p.stream, "::$Data") && wis(w + p.ext_at, p.ext, "txt"));
    /* FN-9: every name that does not parse. */
    static const int bad[] = {17, 19, 20, 21, 22, 23};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n = kfh_name_expected(0, (size_t)bad[i], 2, w, 256, &vol);
        kfh_oracle_name_parse(w, n, vol, &p);
        CHECK_EQ(p.status, STATUS_OBJECT_NAME_INVALID);
    }
    CHECK_EQ(wlen(kfh_name_at(16)), 0);
    CHECK(kfh_name_at(3) == kfh_file_name_at(3));
}

TEST(name_oracle_get_order)
{
    kfh_name_in in;
    kfh_name_pred p;
    memset(&in, 0, sizeof in);
    in.has_file = 1;
    in.format = 3; /* short */
    in.method = 1; /* cache only */
    in.major = IRP_MJ_CREATE;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_FLT_INVALID_NAME_REQUEST);
    in.major = IRP_MJ_READ;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_OBJECT_NAME_NOT_FOUND);
    in.format = 2;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_FLT_NAME_CACHE_MISS);
    in.method = 0;
    in.irp_flags = IRP_PAGING_IO;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_FLT_INVALID_NAME_REQUEST);
    in.method = 3;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_FLT_NAME_CACHE_MISS);
    CHECK_EQ(p.n_sites, 0);
    in.irp_flags = 0;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.n_sites, 1);
    in.has_file = 0;
    kfh_oracle_name_get(&in, &p);
    CHECK_EQ(p.status, STATUS_INVALID_PARAMETER);
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_name_get(&in, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
}

TEST(name_runner_clean_and_counted)
{
    kfh_result *r = th_run("version 7\nflt_start 1\ncbd_alloc 0 file volume=0 flags=0x0\n"
                           "iopb 0 read minor=0 irp=none length=0x10\n"
                           "name_get 0 0 format=normalized method=default name=5\nname_parse 0\nname_ref 0 1\n"
                           "name_release 0\nname_get 0 2 format=opened method=default name=20\nname_parse 2\n"
                           "cbd_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("op 4 name_parse 0\n  -> STATUS_SUCCESS"));
    CHECK(th_trace_has("op 8 name_parse 2\n  -> STATUS_OBJECT_NAME_INVALID"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_NAME], 2);
}

TEST(name_invariants_fire)
{
    static const char text[] = "version 7\nflt_start 1\ncbd_alloc 0 file volume=0 flags=0x0\n"
                               "name_get 0 0 format=opened method=default name=1\nname_parse 0\ncbd_free 0\n";
    kfh_result *r = th_run_lying(text, 4);
    CHECK(th_has_finding(r, KFH_INV_FLT_NAME_STATUS));
    r = th_run_lying(text, 5);
    CHECK(th_has_finding(r, KFH_INV_FLT_NAME_COUNT));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}

TEST(release_again_only_when_certain)
{
    /* A name: the second release of slot 0's structure is a predicted 0x3802 with its serial;
     * once a name was got since, it is skipped. */
    kfh_result *r = th_run("version 7\nflt_start 1\ncbd_alloc 0 file volume=0 flags=0x0\n"
                           "name_get 0 0 format=opened method=default name=1\n"
                           "name_get 0 1 format=opened method=default name=2\nname_release 1\n"
                           "name_release 1 again\nname_release 0\n"
                           "name_get 0 1 format=opened method=default name=2\nname_release 0 again\n"
                           "name_release 1\ncbd_free 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("flt-name-over-release P1=0x3802 P2=0x2 in FltReleaseFileNameInformation [predicted]"));
    CHECK(th_trace_has("skipped: a name was got since the released one's last reference went"));
    /* A context: another holder's reference is never taken; an allocation since its free
     * makes the outcome uncertain. */
    r = th_run("version 7\nflt_start 1\nctx_alloc 0 instance pool=paged size=registered\nctx_ref 0 1\n"
               "ctx_release 0\nctx_release 0 again\nctx_release 1\n"
               "ctx_alloc 2 instance pool=paged size=registered\nctx_release 1 again\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: the context has other references: a release would take one of them"));
    CHECK(th_trace_has("skipped: a context was allocated since the released one's last reference went"));
}

TEST(ctx_unregister_with_callback_data_left)
{
    /* F-6's stop for callback data left on volume 1 comes while the instances are torn down:
     * volume 0's instance context may be detached and freed before it (FC-14), which is no
     * finding. */
    kfh_result *r = th_run("version 7\nflt_start 2\nctx_alloc 0 instance pool=paged size=registered\n"
                           "ctx_set 0 instance volume=0 keep\nctx_release 0\n"
                           "ctx_alloc 0 instance pool=paged size=registered\nctx_set 0 instance volume=1 keep\n"
                           "ctx_release 0\ncbd_alloc 0 volume=1 flags=0x0\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-callback-data-outstanding P1=0x2008 P2=0x1 in FltUnregisterFilter [predicted]"));
}
