/*
 * test_minifilter_attach.c - the generic minifilter fuzzer and a filter that attaches only when
 * an administrator asks (tests/drivers/minifilter_manual.c; SEMANTICS.md F-26, FH-15): the seeds
 * ask first (mf_attach), after which I/O reaches its callbacks; without the request none does.
 */
#include "kft.h"
#include "minifilter_util.h"

#include <string.h>

extern ULONG ManualCreatesSeen;
static kfh_drv_run run;
static char where[320];

static int run_text(const char *text) { return mf_run_text(text, &run, where, sizeof where); }

#define CREATE "mf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"

TEST(io_reaches_the_filter_only_after_a_manual_attachment)
{
    ManualCreatesSeen = 0;
    CHECK_EQ(run_text("version 8\n" CREATE), 0);
    CHECK(run.loaded);
    CHECK_EQ(ManualCreatesSeen, 0);
    CHECK_EQ(run_text("version 8\nmf_attach 0\n" CREATE), 0);
    CHECK_EQ(ManualCreatesSeen, 1);
    /* A second request collides and changes nothing; a volume not offered is refused. */
    CHECK_EQ(run_text("version 8\nmf_attach 0\nmf_attach 0\nmf_attach 3\n" CREATE), 0);
    CHECK_EQ(ManualCreatesSeen, 2);
}

TEST(seeds_ask_for_the_attachment)
{
    CHECK_EQ(kfh_mf_seed_count(), 1 + 4);
    for (int k = 0; k < kfh_mf_seed_count(); k++) {
        static kfh_scenario s;
        char name[64];
        CHECK_EQ(kfh_mf_seed(k, &s, name, sizeof name), 0);
        CHECK(s.n > 0 && s.ops[0].code == KFH_OP_MF_ATTACH && s.ops[0].a == 0);
    }
    static kfh_scenario s;
    char name[64];
    uint8_t bytes[4096];
    CHECK_EQ(kfh_mf_seed(0, &s, name, sizeof name), 0);
    CHECK(strstr(name, "IRP_MJ_CREATE") != NULL);
    ManualCreatesSeen = 0;
    size_t len = kfh_scenario_encode(&s, bytes, sizeof bytes);
    CHECK_EQ(kfh_mf_run(bytes, len, &run, where, sizeof where), 0);
    CHECK(ManualCreatesSeen > 0);
}

TEST(attach_text_round_trip)
{
    static kfh_scenario s;
    char err[160], text[256];
    CHECK_EQ(kfh_scenario_parse("version 8\nmf_attach 2\n", &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_MF_ATTACH);
    CHECK_EQ(kfh_op_min_version(KFH_OP_MF_ATTACH), 8);
    kfh_scenario_format(&s, text, sizeof text);
    CHECK(strstr(text, "mf_attach 2") != NULL);
    CHECK(kfh_scenario_parse("version 8\nmf_attach\n", &s, err, sizeof err) != 0);
    /* Version 7 does not know the opcode: its byte is opcode 0 (the end) there. */
    uint8_t v7[] = {7, KFH_OP_MF_ATTACH, 0};
    CHECK_EQ(kfh_scenario_decode(v7, sizeof v7, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 0);
}
