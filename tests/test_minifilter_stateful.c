/*
 * test_minifilter_stateful.c - a finding the generic minifilter fuzzer reports is the first
 * run's, even when the run made again for its trace text ends otherwise because the driver keeps
 * state from one load to the next (SEMANTICS.md FH-14; tests/drivers/minifilter_stateful.c: its
 * first create leaks, every later one bug checks).
 */
#include "kft.h"
#include "kfault/minifilter.h"

#include <string.h>

static void fuzz_one_create(void)
{
    static kfh_scenario s;
    char err[160];
    uint8_t bytes[512];
    if (kfh_scenario_parse("version 6\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal "
                           "lower=fs opts=none exists\n",
                           &s, err, sizeof err))
        return;
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    (void)kfh_mf_fuzz_one(bytes, n); /* aborts with its report */
}

TEST(first_run_finding_is_reported)
{
    /* The first run leaks (KF-INV-014, the pool left behind); the second bug checks. */
    CHECK(kft_expect_death(fuzz_one_create, "ended with another finding (KF-INV-026/KeBugCheckEx/-)"));
    CHECK(kft_expect_death(fuzz_one_create, "reported: the first run's finding"));
    CHECK(kft_expect_death(fuzz_one_create, "signature: KF-INV-014/"));
}
