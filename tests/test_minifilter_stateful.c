/*
 * test_minifilter_stateful.c - a finding the generic minifilter fuzzer reports is the first
 * run's, even when the run made again for its trace text ends otherwise because the driver keeps
 * state from one load to the next (SEMANTICS.md FH-14; tests/drivers/minifilter_stateful.c: its
 * first create leaks, every later one bug checks).
 */
#include "kft.h"
#include "kfault/minifilter.h"

#include <string.h>

#define CREATE(slot, name) "mf_create " #slot " vol=0 name=" name " ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"

static void fuzz_one(const char *text)
{
    static kfh_scenario s;
    char err[160];
    uint8_t bytes[512];
    if (kfh_scenario_parse(text, &s, err, sizeof err))
        return;
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    (void)kfh_mf_fuzz_one(bytes, n); /* aborts with its report */
}

static void fuzz_one_create(void) { fuzz_one("version 6\n" CREATE(0, "setup")); }
static void fuzz_two_creates(void) { fuzz_one("version 6\n" CREATE(0, "setup") CREATE(1, "notes")); }

TEST(first_run_finding_is_reported)
{
    /* The first run leaks (KF-INV-014, the pool left behind); the second bug checks. */
    CHECK(kft_expect_death(fuzz_one_create, "ended with another finding (bug check 0xDEAD"));
    CHECK(kft_expect_death(fuzz_one_create, "reported: the first run's finding"));
    CHECK(kft_expect_death(fuzz_one_create, "signature: KF-INV-014/"));
}

TEST(first_run_stop_is_reported_under_the_same_signature)
{
    /* The first run bug checks at its second create (Parameter1 2), the second run at its first
     * (Parameter1 3): one signature, two stops; the report is the first run's. */
    CHECK(kft_expect_death(fuzz_two_creates, "ended with another finding (bug check 0xDEAD"));
    CHECK(kft_expect_death(fuzz_two_creates, "P1=0x2 "));
}
