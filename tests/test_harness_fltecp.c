/*
 * test_harness_fltecp.c - the extra create parameter operations of scenario format version 15:
 * their bytes and text, the oracle's predictions (harness/oracle_fltecp.c, rules FE-1 to FE-14
 * and FX-28 to FX-31 of model/SEMANTICS.md), the conformance runner's comparisons, and that each
 * of their invariants (KF-INV-076, 077) fires on a model that breaks it (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 15\n"
                                  "flt_start 1\n"
                                  "cbd_alloc 0 volume=0 flags=0x0\n"
                                  "iopb 0 create minor=0 irp=none length=0x0\n"
                                  "ecp_list_alloc 0 quota\n"
                                  "ecp_alloc 0 type=1 size=16 nonpaged\n"
                                  "ecp_alloc 1 type=2 size=200 lookaside=1 bad_flags\n"
                                  "ecp_insert 0 0\n"
                                  "ecp_find 0 type=1 into=2\n"
                                  "ecp_next 0 after=2 into=3\n"
                                  "ecp_next 0 null_list into=3\n"
                                  "ecp_mark 2 ack\n"
                                  "ecp_remove 0 type=1 into=0\n"
                                  "ecp_free 0\n"
                                  "ecp_free 0 again\n"
                                  "ecp_list_free 1 foreign\n"
                                  "ecp_lookaside 1 init nonpaged\n"
                                  "ecp_lookaside 1 delete bad_flags\n"
                                  "ecp_set 0 0\n"
                                  "ecp_get 0 1\n"
                                  "ecp_attach 1 n=2 user acked\n"
                                  "ecp_done 0\n";

TEST(ecp_text_round_trip)
{
    th_doc_round_trip(doc_example, 15, 21);
    CHECK_EQ(kfh_op_min_version(KFH_OP_ECP_LIST_ALLOC), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_ECP_ATTACH), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK_EQ(KFH_SCENARIO_VERSION, 15);
    CHECK_EQ(KFH_SCENARIO_VERSION_NEXT, 16);
}

TEST(ecp_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "ecp_list_alloc 4\n", "ecp_list_alloc\n", "ecp_list_alloc 0 twice\n", "ecp_alloc 0 type=4 size=16\n",
        "ecp_alloc 0 type=0 size=17\n", "ecp_alloc 0 size=16\n", "ecp_alloc 0 type=0 size=16 lookaside=2\n",
        "ecp_alloc 0 type=0 size=16 bad_tag nonpaged\n", "ecp_free 0 twice\n", "ecp_insert 0\n",
        "ecp_find 0 type=1\n", "ecp_next 0 after=1\n", "ecp_next 0 into=1 after=1\n", "ecp_mark 0 unknown\n",
        "ecp_lookaside 2 init\n", "ecp_lookaside 0 nonpaged init\n", "ecp_get 4 0\n", "ecp_done 0 1\n",
        "ecp_attach 0 n=4\n", "ecp_attach 0 acked user n=1\n", "version 14\necp_done 0\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(ecp_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    /* Version 15: every byte decodes into range. */
    static const uint8_t v15[] = {15, KFH_OP_ECP_LIST_ALLOC, 0xFF, 0xFF, KFH_OP_ECP_ALLOC, 0xFF, 0xFF, 0xFF,
                                  KFH_OP_ECP_ALLOC, 0x07, 0x17, 0x01, KFH_OP_ECP_NEXT, 0xFF, 0xFF, 0xFF,
                                  KFH_OP_ECP_LOOKASIDE, 0xFF, 0xFF, KFH_OP_ECP_ATTACH, 0xFF, 0xFF, KFH_OP_ECP_DONE, 9};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 7);
    CHECK_EQ(s.ops[0].a, 3);
    CHECK((s.ops[0].b >> 1) < KFH_ECPL_MIS_COUNT);
    CHECK((s.ops[1].b >> 5) < KFH_ECP_MIS_COUNT && s.ops[1].c < KFH_ECP_SIZES);
    CHECK_EQ(s.ops[2].b, 0x07); /* no lookaside list: its slot bit is cleared */
    CHECK(s.ops[3].b < KFH_ECP_NEXT_COUNT);
    CHECK((s.ops[4].b >> 2) < KFH_ECP_LA_MIS_COUNT && s.ops[4].a < KFH_ECP_LA_SLOTS);
    CHECK_EQ(s.ops[5].b, 0x0F);
    CHECK_EQ(s.ops[6].a, 9 % KFH_CBD_SLOTS);
    /* Version 14 reads opcode 52 as 52 modulo its 52 opcodes: the end of a block, as before. */
    static const uint8_t v14[] = {14, KFH_OP_COUNT_V14, KFH_OP_WI_RUN};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_WI_RUN);
}

static void in_at(kfh_ecp_in *in, int routine)
{
    memset(in, 0, sizeof *in);
    in->routine = routine;
    in->os = KF_OS_WIN10;
}

TEST(ecp_oracle_order)
{
    kfh_ecp_in in;
    kfh_ecp_pred p;
    /* FE-1: availability, then IRQL, before any argument. */
    in_at(&in, KFH_ECP_R_REUSE);
    in.os = KF_OS_WIN7;
    in.irql = DISPATCH_LEVEL;
    in.ecp = KFH_ECP_PTR_NULL;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.stops && p.stop.param[0] == KF_VIOL_ROUTINE_UNAVAILABLE);
    in.os = KF_OS_WIN8;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == APC_LEVEL && p.stop.param[1] == DISPATCH_LEVEL);
    in.irql = APC_LEVEL;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_INVALID);
    /* FE-2: EcpList NULL (position 3), then the flags, then the site. */
    in_at(&in, KFH_ECP_R_LIST_ALLOC);
    in.misuse = KFH_ECPL_MIS_NULL;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NULL_ARGUMENT && p.stop.param[1] == 3 && p.n_sites == 0);
    in.misuse = KFH_ECPL_MIS_FLAGS;
    in.flags = 0x101;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_UNKNOWN_FLAGS && p.stop.param[1] == 0x101);
    in.misuse = KFH_ECPL_MIS_NONE;
    in.decided = KF_FAULT_HARD;
    kfh_oracle_ecp(&in, &p);
    CHECK(!p.stop.stops && p.n_sites == 1 && !p.made && p.status == STATUS_INSUFFICIENT_RESOURCES);
    /* FE-4, FE-5: the tag before the site; the size bound after it. */
    in_at(&in, KFH_ECP_R_ALLOC);
    in.misuse = KFH_ECP_MIS_TAG;
    in.nonpaged = 1;
    in.size = 16;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.code == 0xC2 && p.stop.param[0] == 0x9B && p.stop.param[1] == NonPagedPool && p.stop.param[2] == 16);
    in.misuse = KFH_ECP_MIS_NONE;
    in.size = 16u * 1024 * 1024 + 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.n_sites == 1 && !p.made && p.status == STATUS_INSUFFICIENT_RESOURCES);
    in.size = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.made && p.status == STATUS_SUCCESS);
    in.routine = KFH_ECP_R_ALLOC_LA;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LOOKASIDE_INVALID && p.stop.param[1] == 1 && p.n_sites == 0);
    in.misuse = KFH_ECP_MIS_NULL_CONTEXT;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NULL_ARGUMENT && p.stop.param[1] == 7);
    /* FE-3, FX-30: the pointer, came down with a create, attached, holds one from above. */
    in_at(&in, KFH_ECP_R_LIST_FREE);
    in.list = KFH_ECP_PTR_FREED;
    in.list_above = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LIST_FREED);
    in.list = KFH_ECP_PTR_LIVE;
    in.list_attached = in.list_holds_above = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NOT_OWNED);
    in.list_above = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LIST_ATTACHED);
    in.list_attached = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NOT_OWNED);
    /* FE-8: from above, in a list, its lookaside list deleted. */
    in_at(&in, KFH_ECP_R_FREE);
    in.ecp_above = in.ecp_in_list = in.ecp_la_deleted = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NOT_OWNED);
    in.ecp_above = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_FREE_IN_LIST);
    in.ecp_in_list = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LOOKASIDE_INVALID && p.stop.param[1] == 4);
    /* FE-6: the list before the ECP; inserted before the type. */
    in_at(&in, KFH_ECP_R_INSERT);
    in.list = KFH_ECP_PTR_FOREIGN;
    in.ecp = KFH_ECP_PTR_FREED;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LIST_INVALID);
    in.list = KFH_ECP_PTR_LIVE;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_FREED);
    in.ecp = KFH_ECP_PTR_LIVE;
    in.ecp_in_list = in.type_in_list = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_ALREADY_INSERTED);
    in.ecp_in_list = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(!p.stop.stops && p.status == STATUS_INVALID_PARAMETER);
    /* FE-7: EcpList NULL is a status; a current ECP of another list a stop. */
    in_at(&in, KFH_ECP_R_NEXT);
    in.list = KFH_ECP_PTR_NULL;
    kfh_oracle_ecp(&in, &p);
    CHECK(!p.stop.stops && p.status == STATUS_INVALID_PARAMETER);
    in.list = KFH_ECP_PTR_LIVE;
    in.with_current = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_NOT_IN_LIST);
    in.ecp_in_this_list = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.status == STATUS_NOT_FOUND);
    /* FE-10: deleting with other flags: Parameters 3 and 4 the flags given and those of the init. */
    in_at(&in, KFH_ECP_R_LA_DELETE);
    in.la_live = 1;
    in.flags = 0;
    in.la_init_flags = FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[1] == 3 && p.stop.param[2] == 0 && p.stop.param[3] == 2 && p.stop.n_params == 4);
    in.la_live = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[1] == 1);
    /* FE-11, FX-30: the list pointer, then not a create, then one attached to it, then elsewhere. */
    in_at(&in, KFH_ECP_R_SET);
    in.list = KFH_ECP_PTR_FREED;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LIST_FREED);
    in.list = KFH_ECP_PTR_LIVE;
    in.cbd_has_list = in.list_attached = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER_2);
    in.is_create = 1;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER_3);
    in.cbd_has_list = 0;
    kfh_oracle_ecp(&in, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_ECP_LIST_ATTACHED);
    in_at(&in, KFH_ECP_R_GET);
    kfh_oracle_ecp(&in, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && p.n_sites == 0);
}

static const char lifecycle[] = "version 15\n"
                                "flt_start 1\n"
                                "cbd_alloc 0 volume=0 flags=0x0\n"
                                "iopb 0 create minor=0 irp=none length=0x0\n"
                                "ecp_list_alloc 0\n"
                                "ecp_alloc 0 type=0 size=16\n"
                                "ecp_alloc 1 type=1 size=200\n"
                                "ecp_alloc 2 type=2 size=0\n"
                                "ecp_insert 0 0\n"
                                "ecp_insert 0 1\n"
                                "ecp_next 0 into=3\n"
                                "ecp_next 0 after=3 into=3\n"
                                "ecp_set 0 0\n"
                                "ecp_done 0\n"
                                "ecp_get 0 1\n";

TEST(ecp_runner_create_ends_with_its_list)
{
    kfh_result *r = th_run(lifecycle);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    /* The walk in insertion order; the create's end runs the cleanup callbacks in list order. */
    CHECK(th_trace_has("op 10 ecp_next 0 after=3 into=3\n  -> STATUS_SUCCESS"));
    CHECK(th_trace_has("op 12 ecp_done 0\n  cleanup callback of ECP #1\n  cleanup callback of ECP #2\n"
                       "  -> 2 ECP(s) freed [FE-12]"));
    CHECK(th_trace_has("op 13 ecp_get 0 1\n  -> no list [FE-11]"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_ECP], 4);
}

TEST(ecp_runner_free_callback_data_ends_the_create)
{
    /* FE-12, FE-14: FltFreeCallbackData ends the create: its list from above goes, and the ECP
     * from above the driver moved into a list of its own goes out of that list. */
    kfh_result *r = th_run("version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 create minor=0 irp=none length=0x0\necp_attach 0 n=2\necp_get 0 0\n"
                           "ecp_remove 0 type=1 into=0\necp_list_alloc 1\necp_insert 1 0\ncbd_free 0\n"
                           "ecp_next 1 into=1\necp_list_free 1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("op 9 ecp_next 1 into=1\n  -> STATUS_NOT_FOUND"));
    CHECK(th_trace_has("op 10 ecp_list_free 1\n  -> freed [FE-3]"));
}

TEST(ecp_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\necp_list_alloc 0\nflt_start 1\necp_free 0\necp_free 0 again\n"
                           "ecp_alloc 0 type=0 size=16\necp_alloc 0 type=0 size=16\necp_free 0\n"
                           "ecp_list_alloc 0\necp_free 0 again\necp_get 0 1\n"
                           "ecp_alloc 1 type=0 size=16 lookaside=0 bad_tag\necp_lookaside 0 delete bad_tag\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the ECP slot holds no ECP"));
    CHECK(th_trace_has("skipped: the ECP slot holds an ECP"));
    CHECK(th_trace_has("skipped: a list or ECP was made since the slot's ECP was freed"));
    CHECK(th_trace_has("skipped: the slot holds no callback data"));
    CHECK(th_trace_has("skipped: an allocation from a lookaside list takes no pool tag"));
    CHECK(th_trace_has("skipped: a delete takes no pool tag"));
}

TEST(ecp_runner_fault_and_owned_at_the_end)
{
    /* The site failed: no list, and nothing owned; what the driver still owns at the end is
     * counted (FE-13) and equals the record. */
    static kfh_scenario s;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 15\nflt_start 1\necp_list_alloc 0\necp_alloc 0 type=0 size=16\n"
                                "ecp_insert 0 0\necp_lookaside 1 init\n",
                                &s, err, sizeof err),
             0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 16, &er), 0);
    /* flt.filter, flt.instance, then the two flt.ecp consultations failed in turn, then a clean run. */
    CHECK(er.complete && er.runs == 5 && er.n_findings == 0);
    kfh_result *r = th_run("version 15\nflt_start 1\necp_list_alloc 0\necp_alloc 0 type=0 size=16\n"
                           "ecp_insert 0 0\necp_lookaside 1 init\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_ECP], 2);
}

TEST(ecp_invariants_fire)
{
    static const char text[] = "version 15\nflt_start 1\necp_alloc 0 type=0 size=16\necp_mark 0 ack\n"
                               "ecp_mark 0 is_ack\necp_free 0\n";
    kfh_result *r = th_run_lying(text, 16);
    CHECK(th_has_finding(r, KFH_INV_FLT_ECP_COUNT));
    r = th_run_lying(text, 17);
    CHECK(th_has_finding(r, KFH_INV_FLT_ECP_STATUS));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}

TEST(ecp_runner_reuse_keeps_the_list)
{
    /* FX-31: a reuse is no end of the create. The reused callback data's major function is 0,
     * IRP_MJ_CREATE: it is a create again and still carries the list; while its Iopb says read it
     * is no create, and the list goes when the create ends. */
    kfh_result *r = th_run("version 15\nflt_start 1\ncbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 create minor=0 irp=none length=0x0\necp_list_alloc 0\necp_alloc 0 type=3 size=16\n"
                           "ecp_insert 0 0\necp_set 0 0\nsync_io 0\ncbd_reuse 0\necp_get 0 1\n"
                           "iopb 0 read minor=0 irp=none length=0x10\necp_get 0 1\necp_done 0\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("op 9 ecp_get 0 1\n  -> a list [FE-11]"));
    CHECK(th_trace_has("op 11 ecp_get 0 1\n  -> STATUS_INVALID_PARAMETER [FE-11]"));
    CHECK(th_trace_has("op 12 ecp_done 0\n  cleanup callback of ECP #1\n  -> 1 ECP(s) freed [FE-12]"));
}
