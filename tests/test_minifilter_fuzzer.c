/*
 * test_minifilter_fuzzer.c - the generic minifilter fuzzer (harness/minifilter.c) on the example
 * examples/mf_callbacks.c, linked as a user links a driver: seeds made from its registration,
 * every seed and the I/O in flight at a detach or an unload run clean on the correct driver,
 * and (built again with two planted bugs, test_minifilter_fuzzer_planted) a finding names its
 * invariant and the callback and operation it happened in.
 */
#include "kft.h"
#include "minifilter_util.h"

#include <string.h>

static kfh_drv_run run;
static char where[320];

static int run_text(const char *text) { return mf_run_text(text, &run, where, sizeof where); }

#ifndef PLANTED

TEST(seeds_from_the_registration)
{
    CHECK_EQ(kfh_mf_seed_count(), 4 + 4); /* create, read, write, set information; then four more */
    static const char *const names[] = {"IRP_MJ_CREATE", "IRP_MJ_READ", "IRP_MJ_WRITE", "IRP_MJ_SET_INFORMATION",
                                        "teardown", "dismount", "unload", "files"};
    for (int k = 0; k < kfh_mf_seed_count(); k++) {
        kfh_scenario s;
        char name[64];
        CHECK_EQ(kfh_mf_seed(k, &s, name, sizeof name), 0);
        CHECK(strstr(name, names[k]) != NULL);
        CHECK_EQ(s.version, KFH_SCENARIO_VERSION);
        for (int i = 0; i < s.n; i++) {
            char ext[5];
            if (s.ops[i].code != KFH_OP_MF_CREATE)
                continue;
            kfh_mf_ext_text(s.ops[i].size_raw, ext);
            CHECK(strcmp(ext, "docx") && strcmp(ext, "xlsx") && strcmp(ext, "pptx") && strcmp(ext, "pdf"));
        }
        /* Each runs clean on the correct driver. */
        uint8_t bytes[4096];
        size_t len = kfh_scenario_encode(&s, bytes, sizeof bytes);
        CHECK_EQ(kfh_mf_run(bytes, len, &run, where, sizeof where), 0);
        CHECK(run.loaded);
        CHECK_EQ(run.unload_status, STATUS_SUCCESS);
    }
    CHECK_EQ(kfh_mf_seed(kfh_mf_seed_count(), NULL, NULL, 0), -1);
}

TEST(documents_detach_and_unload_run_clean)
{
    /* A document (stream context, names), a delete held back, a read at DISPATCH_LEVEL posted when
     * safe, a write whose size query runs below, then a detach with a read held below. */
    CHECK_EQ(run_text("version 6\n"
                      "mf_create 0 vol=0 name=report ext=docx disp=open_if access=read_write attr=normal lower=fs "
                      "opts=none exists\n"
                      "mf_io 0 read irql=2 lower=fs v=0x04 length=0x100 offset=0x0\n"
                      "mf_io 0 write irql=0 lower=fs v=0x04 length=0x40 offset=0x0\n"
                      "mf_io 0 set_info irql=0 lower=fs v=0x0a length=0x0 offset=0x0\n"
                      "mf_io 0 read irql=2 lower=held v=0x00 length=0x40 offset=0x0\n"
                      "mf_detach 0 manual\n"
                      "run_pending\n"),
             0);
    CHECK(run.loaded);
    CHECK_EQ(run.unload_status, STATUS_SUCCESS);
    /* Unloaded with a delete still held back: the teardown lets it through. */
    CHECK_EQ(run_text("version 6\n"
                      "mf_create 0 vol=0 name=notes ext=txt disp=open_if access=delete attr=normal lower=fs "
                      "opts=none exists\n"
                      "mf_io 0 set_info irql=0 lower=fs v=0x0a length=0x0 offset=0x0\n"
                      "mf_unload\n"),
             0);
    /* The protection rule refuses an application's write open under \\Windows\\. */
    CHECK_EQ(run_text("version 6\n"
                      "mf_create 0 vol=0 name=kernel32 ext=dll disp=open_if access=write attr=normal lower=fs "
                      "opts=none exists\n"),
             0);
}

TEST(input_that_is_no_scenario_is_skipped)
{
    static const uint8_t junk[] = {0x09, 0x01};
    CHECK_EQ(kfh_mf_run(junk, sizeof junk, &run, where, sizeof where), 0);
    CHECK(!run.loaded);
}

#else

TEST(finding_names_invariant_callback_and_operation)
{
    CHECK_EQ(run_text("version 6\n"
                      "mf_create 0 vol=0 name=notes ext=txt disp=open_if access=read attr=normal lower=fs opts=none "
                      "exists\n"
                      "mf_io 0 read irql=2 lower=fs v=0x04 length=0x100 offset=0x0\n"),
             1);
    CHECK_EQ(run.finding.inv, KFH_INV_DRIVER_NO_STOP);
    CHECK(strstr(run.finding.actual, "IRQL_NOT_LESS_OR_EQUAL") != NULL);
    CHECK(strstr(where, "post-operation callback of IRP_MJ_READ") != NULL);
    CHECK(strstr(where, "\\Users\\alice\\Desktop\\notes.txt") != NULL);
    /* A stop of the callback contract counts against its own invariant. */
    CHECK_EQ(run_text("version 6\n"
                      "mf_create 0 vol=0 name=kernel32 ext=dll disp=open_if access=write attr=normal lower=fs "
                      "opts=none exists\n"),
             1);
    CHECK_EQ(run.finding.inv, KFH_INV_MF_PREOP_STATUS);
    CHECK(strstr(run.finding.signature, "KF-INV-048") != NULL);
    CHECK(strstr(where, "mf_create 0") != NULL);
}

#endif
