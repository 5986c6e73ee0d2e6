/*
 * test_harness_fltobj.c - the object and volume operations of scenario format version 15: their
 * bytes and text, the oracle's predictions (harness/oracle_fltobj.c, rules FV-1 to FV-8, FV-10, FO-1,
 * FO-2, FO-4, FO-5, FO-8 and FX-20 to FX-23 of model/SEMANTICS.md), the conformance runner's
 * comparisons, and that each of their invariants (KF-INV-070, 071) fires on a model that breaks it
 * (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 15\n"
                                  "flt_start 2\n"
                                  "obj_get 0 volume 1\n"
                                  "obj_get 1 filter 0\n"
                                  "obj_query 0 name fit\n"
                                  "obj_query 1 fstype fit\n"
                                  "obj_enum 2 instances 8\n"
                                  "obj_ref 0\n"
                                  "obj_deref 0\n"
                                  "obj_deref 0 foreign\n"
                                  "apool_alloc 0 volume=1 size=0 paged\n"
                                  "apool_free 0 other\n"
                                  "apool_free 0\n"
                                  "flt_unregister\n";

TEST(obj_text_round_trip)
{
    static kfh_scenario s, t;
    static char text[4096];
    static uint8_t bytes[512];
    char err[256];
    CHECK_EQ(kfh_scenario_parse(doc_example, &s, err, sizeof err), 0);
    CHECK_EQ(s.version, 15);
    CHECK_EQ(s.n, 13);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strcmp(text, doc_example) == 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(bytes[0], 15);
    CHECK_EQ(kfh_scenario_decode(bytes, n, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK_EQ(kfh_op_min_version(KFH_OP_OBJ_GET), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_APOOL_FREE), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK_EQ(KFH_SCENARIO_VERSION, 15);
    CHECK_EQ(KFH_SCENARIO_VERSION_NEXT, 16);
    /* Every operand the printer writes reads back. */
    CHECK_EQ(kfh_scenario_parse("obj_get 3 name 3\nobj_query 2 guid none\nobj_query 1 properties small\n"
                                "obj_query 0 writable size\nobj_enum 3 filters 0\nobj_enum 1 volumes 8\n"
                                "apool_alloc 3 volume=3 size=4096\napool_alloc 2 volume=0 size=100\n"
                                "apool_alloc 1 volume=2 size=512\napool_free 1 again\napool_free 1 foreign\n"
                                "apool_free 1 ex\napool_free 1 pool\napool_free 1 tag\nobj_ref 2 foreign\n"
                                "obj_get 0 file 0\nobj_get 1 null_file 3\nobj_query 3 basic size\n"
                                "obj_query 3 full fit\nobj_get 2 name 1 guid\nobj_get 2 name 0 letter\n"
                                "obj_get 2 name 3 dos\nobj_get 2 name 2 slash\n",
                                &s, err, sizeof err),
             0);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK_EQ(kfh_scenario_parse(text, &t, err, sizeof err), 0);
    CHECK(kfh_scenario_equal(&s, &t, err, sizeof err));
    CHECK(strstr(text, "apool_alloc 3 volume=3 size=4096\n") != NULL);
}

TEST(obj_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "obj_get 4 volume 0\n", "obj_get 0 disk 0\n", "obj_get 0 volume 4\n", "obj_get 0 volume\n",
        "obj_ref 0 twice\n", "obj_get 0 file\n", "obj_get 0 volume 0 guid\n",
        "obj_get 0 name 0 drive\n", "obj_get 0 name 0 guid dos\n", "obj_deref\n", "obj_query 0 label fit\n",
        "obj_query 0 name huge\n",
        "obj_enum 0 volumes 9\n", "obj_enum 0 drives 1\n", "apool_alloc 0 volume=0 size=64\n",
        "apool_alloc 0 volume=4 size=0\n", "apool_alloc 0 size=0 volume=0\n", "apool_alloc 0 volume=0 size=0 huge\n",
        "apool_free 0 twice\n", "apool_free 4\n", "version 14\nobj_enum 0 volumes 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(obj_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    /* Version 15: every byte decodes into range. */
    static const uint8_t v15[] = {15, KFH_OP_OBJ_GET, 0xFF, 0xFF, KFH_OP_OBJ_REF, 0xFF, 0xFF, KFH_OP_OBJ_QUERY,
                                  0xFF, 0xFF, 0xFF, KFH_OP_OBJ_ENUM, 0xFF, 0xFF, 0xFF, KFH_OP_APOOL_ALLOC, 0xFF,
                                  0xFF, KFH_OP_APOOL_FREE, 0xFF, 0xFF};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 6);
    CHECK_EQ(s.ops[0].a, 0xFF % KFH_OBJ_SLOTS);
    CHECK_EQ(s.ops[0].b, (7 % KFH_OBJ_FROM_COUNT) | 0x18);
    CHECK_EQ(s.ops[1].b, 1);
    CHECK(s.ops[2].b < KFH_OBJ_Q_COUNT && s.ops[2].c < KFH_OBJ_BUF_COUNT);
    CHECK(s.ops[3].b < KFH_OBJ_ENUM_COUNT && s.ops[3].c <= KFH_OBJ_LIST_MAX);
    CHECK_EQ(s.ops[4].b, 0x1F);
    CHECK_EQ(s.ops[5].b, 0xFF % KFH_APOOL_FREE_COUNT);
    /* Version 14 reads the first opcode of version 15 as that opcode modulo its count: the end. */
    static const uint8_t v14[] = {14, KFH_OP_COUNT_V14, KFH_OP_FLT_UNREGISTER};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_FLT_UNREGISTER);
    CHECK(kfh_scenario_version_known(15));
    CHECK(!kfh_scenario_version_known(16));
}

TEST(obj_oracle_order)
{
    kfh_obj_pred p;
    /* FV-1: IRQL, then an instance being torn down; FO-2 PASSIVE_LEVEL only. */
    kfh_oracle_obj_get(DISPATCH_LEVEL, KFH_OBJ_FROM_VOLUME, KFH_OBJ_IS_GOING, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == APC_LEVEL);
    kfh_oracle_obj_get(APC_LEVEL, KFH_OBJ_FROM_FILTER, KFH_OBJ_IS_GOING, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_DELETING_OBJECT && !p.referenced);
    kfh_oracle_obj_get(APC_LEVEL, KFH_OBJ_FROM_NAME, KFH_OBJ_IS_VOLUME, &p);
    CHECK(p.stop.stops && p.stop.param[0] == PASSIVE_LEVEL && p.stop.param[1] == APC_LEVEL);
    kfh_oracle_obj_get(PASSIVE_LEVEL, KFH_OBJ_FROM_NAME, KFH_OBJ_IS_NONE, &p);
    CHECK(p.status == STATUS_FLT_VOLUME_NOT_FOUND && !p.referenced);
    /* FO-1: a NULL FileObject, no volume at all, the first volume. */
    kfh_oracle_obj_get(PASSIVE_LEVEL, KFH_OBJ_FROM_NULL_FILE, KFH_OBJ_IS_VOLUME, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && !p.referenced);
    kfh_oracle_obj_get(PASSIVE_LEVEL, KFH_OBJ_FROM_FILE, KFH_OBJ_IS_NONE, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && !p.referenced);
    kfh_oracle_obj_get(APC_LEVEL, KFH_OBJ_FROM_FILE, KFH_OBJ_IS_VOLUME, &p);
    CHECK(p.status == STATUS_SUCCESS && p.referenced == 1);
    kfh_oracle_obj_get(DISPATCH_LEVEL, KFH_OBJ_FROM_FILE, KFH_OBJ_IS_VOLUME, &p);
    CHECK(p.stop.stops && p.stop.param[0] == APC_LEVEL);
    kfh_oracle_obj_get(DISPATCH_LEVEL, KFH_OBJ_FROM_INSTANCE, KFH_OBJ_IS_INSTANCE, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS && p.referenced == 1);
    /* FV-2, FX-20: a dereference with references held succeeds even on an object gone. */
    kfh_oracle_obj_deref(PASSIVE_LEVEL, KFH_OBJ_IS_NONE, 1, &p);
    CHECK(!p.stop.stops && p.referenced == -1);
    kfh_oracle_obj_deref(PASSIVE_LEVEL, KFH_OBJ_IS_NONE, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_OBJECT_UNKNOWN && p.stop.n_params == 1);
    kfh_oracle_obj_deref(PASSIVE_LEVEL, KFH_OBJ_IS_FILTER, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE);
    kfh_oracle_obj_deref(HIGH_LEVEL, KFH_OBJ_IS_FILTER, 0, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == DISPATCH_LEVEL);
    kfh_oracle_obj_ref(PASSIVE_LEVEL, KFH_OBJ_IS_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_OBJECT_UNKNOWN);
    kfh_oracle_obj_ref(DISPATCH_LEVEL, KFH_OBJ_IS_GOING, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_DELETING_OBJECT && !p.referenced);
    /* FV-4, FV-5, FX-21: the names and their sizes. */
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_NAME, KFH_OBJ_BUF_NONE, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && p.needed == ~0u);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_NAME, KFH_OBJ_BUF_SMALL, KFH_OBJ_IS_VOLUME, 2, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_BUFFER_TOO_SMALL && p.needed == 2 * strlen("\\Device\\HarddiskVolume3"));
    kfh_oracle_obj_query(APC_LEVEL, KFH_OBJ_Q_NAME, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_VOLUME, 2, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS && !strcmp(p.text, "\\Device\\HarddiskVolume3") && p.n_sites == 0);
    kfh_oracle_obj_query(APC_LEVEL, KFH_OBJ_Q_NAME, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_INSTANCE, 0, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_INVALID_VOLUME);
    kfh_oracle_obj_query(APC_LEVEL, KFH_OBJ_Q_GUID, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_FILTER, 0, KF_FAULT_NONE, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == PASSIVE_LEVEL);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_GUID, KFH_OBJ_BUF_NONE, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_BUFFER_TOO_SMALL && p.n_sites == 0);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_GUID, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_HARD, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 1);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_GUID, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS && !strcmp(p.text, "\\??\\Volume{6b66766f-6c00-4000-8000-000000000001}"));
    /* FV-6: too small for the fixed part, the fixed part only, everything. */
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_PROPERTIES, KFH_OBJ_BUF_SIZE, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_NONE,
                         &p);
    ULONG total = (ULONG)sizeof(FLT_VOLUME_PROPERTIES) +
                  (ULONG)(2 * (strlen("\\FileSystem\\Ntfs") + strlen("\\Ntfs") + strlen("\\Device\\HarddiskVolume1")));
    CHECK(p.status == STATUS_BUFFER_TOO_SMALL && p.needed == total);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_PROPERTIES, KFH_OBJ_BUF_SMALL, KFH_OBJ_IS_VOLUME, 0, KF_FAULT_NONE,
                         &p);
    CHECK(p.status == STATUS_BUFFER_OVERFLOW && p.needed == sizeof(FLT_VOLUME_PROPERTIES));
    /* FV-7, FV-8: an instance being torn down still answers; the filter does not. */
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_FSTYPE, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_GOING, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS);
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_WRITABLE, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_FILTER, 0, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER);
    /* FO-4: the fixed part, then the names; too small a buffer is told the whole size. */
    kfh_oracle_obj_query(PASSIVE_LEVEL, KFH_OBJ_Q_BASIC, KFH_OBJ_BUF_SMALL, KFH_OBJ_IS_INSTANCE, 1, KF_FAULT_NONE,
                         &p);
    CHECK(p.status == STATUS_BUFFER_TOO_SMALL && p.fixed == sizeof(INSTANCE_BASIC_INFORMATION) &&
          p.needed == sizeof(INSTANCE_BASIC_INFORMATION) + 2 * strlen("Filter Instance"));
    kfh_oracle_obj_query(APC_LEVEL, KFH_OBJ_Q_FULL, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_GOING, 1, KF_FAULT_NONE, &p);
    CHECK(p.status == STATUS_SUCCESS && !strcmp(p.text, "Filter Instance|100000|\\Device\\HarddiskVolume2|Filter") &&
          p.needed == sizeof(INSTANCE_FULL_INFORMATION) +
                          2 * strlen("Filter Instance100000\\Device\\HarddiskVolume2Filter"));
    kfh_oracle_obj_query(APC_LEVEL, KFH_OBJ_Q_FULL, KFH_OBJ_BUF_FIT, KFH_OBJ_IS_VOLUME, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_INVALID_INSTANCE);
    /* FO-5. */
    kfh_oracle_obj_enum(PASSIVE_LEVEL, KFH_OBJ_ENUM_VOLUMES, 1, 2, &p);
    CHECK(p.status == STATUS_BUFFER_TOO_SMALL && p.needed == 2 && !p.referenced);
    kfh_oracle_obj_enum(PASSIVE_LEVEL, KFH_OBJ_ENUM_FILTERS, 0, 0, &p);
    CHECK(p.status == STATUS_SUCCESS && p.needed == 0);
    /* FO-8, FX-23: the free's checks in the order FO-8 lists them. */
    kfh_oracle_apool_alloc(DISPATCH_LEVEL, 1, KF_FAULT_NONE, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.n_params == 0 && p.n_sites == 0);
    kfh_oracle_apool_alloc(DISPATCH_LEVEL, 0, KF_FAULT_TRANSIENT, &p);
    CHECK(!p.stop.stops && p.n_sites == 1 && !p.allocated);
    kfh_oracle_apool_free(HIGH_LEVEL, KFH_APOOL_IS_NONE, 0, 0, 0, 1, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ALIGNED_POOL_FREE_INVALID);
    kfh_oracle_apool_free(HIGH_LEVEL, KFH_APOOL_IS_EX, 0, 0, 0, 1, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ALIGNED_POOL_MISMATCH && p.stop.param[1] == 2 && p.stop.n_params == 2);
    kfh_oracle_apool_free(HIGH_LEVEL, KFH_APOOL_IS_ALIGNED, 0, 0, 0, 1, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ALIGNED_POOL_MISMATCH && p.stop.param[1] == 3);
    kfh_oracle_apool_free(DISPATCH_LEVEL, KFH_APOOL_IS_ALIGNED, 0, 1, 0, 1, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_apool_free(DISPATCH_LEVEL, KFH_APOOL_IS_ALIGNED, 0, 1, 0, 0, &p);
    CHECK(p.stop.code == 0xC2 && p.stop.param[0] == 0x0A && p.stop.n_params == 1);
    kfh_oracle_apool_free(DISPATCH_LEVEL, KFH_APOOL_IS_ALIGNED, 0, 1, 1, 0, &p);
    CHECK(!p.stop.stops);
    kfh_oracle_apool_free(PASSIVE_LEVEL, KFH_APOOL_IS_ALIGNED, 1, 1, 1, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ALIGNED_POOL_MISMATCH && p.stop.param[1] == 1);
    /* FV-10. */
    kfh_stop_pred sp;
    kfh_oracle_obj_unregister(3, &sp);
    CHECK(sp.stops && sp.param[0] == KF_VIOL_FLT_FILTER_REFERENCED_AT_UNREGISTER && sp.param[1] == 3 &&
          sp.n_params == 2);
}

static const char lifecycle[] = "version 15\n"
                                "flt_start 2\n"
                                "obj_get 0 volume 1\n"
                                "obj_get 1 filter 0\n"
                                "obj_get 2 instance 0\n"
                                "obj_get 3 name 1\n"
                                "obj_query 0 name fit\n"
                                "obj_query 3 guid fit\n"
                                "obj_query 3 properties fit\n"
                                "obj_enum 3 volumes 4\n"
                                "obj_deref 1\n"
                                "teardown 0 on\n"
                                "obj_ref 2\n"
                                "obj_query 2 writable fit\n"
                                "teardown 0 off\n"
                                "flt_unregister\n"
                                "obj_deref 2\n";

TEST(obj_runner_lifecycle_clean)
{
    kfh_result *r = th_run(lifecycle);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("op 5 obj_query 0 name fit\n  -> STATUS_SUCCESS size=0x2E [FV-4]"));
    CHECK(th_trace_has("op 6 obj_query 3 guid fit\n  fault flt.volume.guid"));
    CHECK(th_trace_has("-> STATUS_SUCCESS count=2 [FO-5]"));
    CHECK(th_trace_has("op 11 obj_ref 2\n  -> STATUS_FLT_DELETING_OBJECT [FV-2]"));
    /* References on an instance and on volumes do not hold FltUnregisterFilter off (FV-10); the
     * instance's is dropped after it went (FX-20), the volumes' at the end of the run. */
    CHECK(th_trace_has("op 15 obj_deref 2\n  -> dereferenced [FV-2]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_VOLUME_GUID], 1);
}

TEST(obj_runner_unregister_with_filter_references)
{
    kfh_result *r = th_run("version 15\nflt_start 1\nobj_get 0 filter 0\nobj_enum 1 filters 1\nobj_ref 0\n"
                           "flt_unregister\nobj_deref 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-filter-referenced-at-unregister P1=0x3807 P2=0x3 in FltUnregisterFilter [predicted]"));
    CHECK(th_trace_has("skipped: the filter's state is unknown after a stop in FltUnregisterFilter"));
    /* Dropped before: FltUnregisterFilter goes through. */
    r = th_run("version 15\nflt_start 1\nobj_get 0 filter 0\nobj_deref 0\nflt_unregister\nobj_deref 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-object-unknown P1=0x3804"));
}

TEST(obj_runner_misuse_is_predicted)
{
    kfh_result *r = th_run("version 15\nflt_start 2\nobj_get 0 volume 0\nobj_get 1 filter 0\nobj_deref 0\n"
                           "obj_deref 0\nobj_deref 1 foreign\nobj_query 1 name fit\nobj_query 1 fstype fit\n"
                           "obj_query 0 full fit\n"
                           "raise_irql 1\nobj_query 0 guid fit\nlower_irql 0\nflt_start 1\nflt_unregister\n"
                           "obj_deref 1\nobj_query 0 name fit\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("flt-object-over-dereference P1=0x3805 P2=0x0 in FltObjectDereference [predicted]"));
    CHECK(th_trace_has("flt-object-unknown P1=0x3804 P2=0x0 in FltObjectDereference [predicted]"));
    CHECK(th_trace_has("flt-invalid-volume P1=0x3803 P2=0x0 in FltGetVolumeName [predicted]"));
    CHECK(th_trace_has("op 7 obj_query 1 fstype fit\n  -> STATUS_INVALID_PARAMETER"));
    CHECK(th_trace_has("skipped: the object slot names no live instance"));
    CHECK(th_trace_has("IRQL_NOT_LESS_OR_EQUAL P1=0x0 P2=0x1 in FltGetVolumeGuidName [predicted]"));
    CHECK(th_trace_has("flt-filter-referenced-at-unregister P1=0x3807 P2=0x1"));
    /* FO-2: every name form of volume 1 gives the volume of its instance; a trailing backslash none. */
    r = th_run("version 15\nflt_start 2\nobj_get 0 name 1 guid\nobj_get 1 name 1 letter\nobj_get 2 name 1 dos\n"
               "obj_get 3 name 1 slash\nobj_get 3 name 1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("op 4 obj_get 3 name 1 slash\n  -> STATUS_FLT_VOLUME_NOT_FOUND [FO-2]"));
    CHECK(th_trace_has("op 3 obj_get 2 name 1 dos\n  -> STATUS_SUCCESS [FO-2]"));
}

TEST(obj_runner_aligned_pool)
{
    kfh_result *r = th_run("version 15\nflt_start 2\napool_alloc 0 volume=1 size=0\napool_alloc 1 volume=0 size=100 "
                           "paged\napool_free 0\napool_free 0 again\npool_alloc 2\napool_free 2 pool\n"
                           "apool_free 1 ex\napool_free 1 other\napool_free 1 tag\nraise_irql 2\napool_free 1\n"
                           "lower_irql 0\napool_free 1\napool_alloc 3 volume=1 size=4096\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 6);
    CHECK(th_trace_has("flt-aligned-pool-free-invalid P1=0x3a41"));
    CHECK(th_trace_has("flt-aligned-pool-mismatch P1=0x3a42 P2=0x2 in FltFreePoolAlignedWithTag [predicted]"));
    CHECK(th_trace_has("flt-aligned-pool-mismatch P1=0x3a42 P2=0x1 in ExFreePoolWithTag [predicted]"));
    CHECK(th_trace_has("flt-aligned-pool-mismatch P1=0x3a42 P2=0x3 in FltFreePoolAlignedWithTag [predicted]"));
    CHECK(th_trace_has("stop 0xC2 BAD_POOL_CALLER P1=0xa"));
    CHECK(th_trace_has("IRQL_NOT_LESS_OR_EQUAL P1=0x1 P2=0x2 in FltFreePoolAlignedWithTag [predicted]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_POOL_ALIGNED], 3);
}

TEST(obj_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\nobj_get 0 volume 0\nobj_enum 0 filters 1\napool_alloc 0 volume=0 size=0\n"
                           "flt_start 1\nobj_ref 0\nobj_get 0 volume 2\napool_alloc 0 volume=1 size=0\n"
                           "apool_free 0 again\napool_free 0\napool_free 1 pool\napool_alloc 0 volume=0 size=0\n"
                           "apool_alloc 0 volume=0 size=0\napool_free 0\napool_alloc 1 volume=0 size=0\n"
                           "apool_free 0 again\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the object slot names no object"));
    CHECK(th_trace_has("skipped: no instance on that volume"));
    CHECK(th_trace_has("skipped: the slot freed no buffer"));
    CHECK(th_trace_has("skipped: the aligned pool slot holds no buffer"));
    CHECK(th_trace_has("skipped: the pool slot holds no block"));
    CHECK(th_trace_has("skipped: the aligned pool slot holds a buffer"));
    CHECK(th_trace_has("skipped: a site was consulted since the slot's buffer was freed"));
}

TEST(obj_invariants_fire)
{
    static const char text[] = "version 15\nflt_start 2\nobj_get 0 volume 0\nobj_ref 0\nobj_enum 1 instances 2\n"
                               "obj_deref 0\n";
    kfh_result *r = th_run_lying(text, 12);
    CHECK(th_has_finding(r, KFH_INV_FLT_OBJ_COUNT));
    r = th_run_lying(text, 13);
    CHECK(th_has_finding(r, KFH_INV_FLT_OBJ_STATUS));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}
