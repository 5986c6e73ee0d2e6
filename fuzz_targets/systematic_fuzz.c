/*
 * systematic_fuzz.c - systematic fault injection in the manner of syzkaller: for each input
 * scenario, one run with no fault, then runs failing the 1st, 2nd, ... consulted fault
 * site until a run injects nothing (bounded per input). Every run is checked by the
 * harness's oracle and invariants; the first finding is reported with its fail_nth and
 * aborts. Must stay thin: the enumeration lives in the harness.
 */
#include "kfault/driver_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kfh_default_scenario_slack();
    kfh_options_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kfh_systematic_fuzz_one(data, size);
}
