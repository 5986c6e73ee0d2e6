/*
 * flt_fuzz.c - model-conformance target for the Filter Manager callback data family: the
 * input is a scenario (docs/SCENARIO_FORMAT.md, version 2) that allocates callback data
 * with either routine and every flag, fills its Iopb, issues synchronous and asynchronous
 * I/O (inline or deferred completions doing free, reuse or reissue), reuses and frees it,
 * sets the lower layers' answers, marks teardowns and unregisters, among IRQL changes,
 * profiles and injected faults. The harness starts the filter first (the Filter Manager
 * prologue) unless the scenario does, then runs it against the model with the oracle: a
 * predicted bug check or violation is a correct outcome; a divergence, a broken invariant
 * or a sanitizer report aborts with a finding report. Must stay thin: no logic of its own.
 */
#include "kfault/harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kfh_default_scenario_slack();
    (void)kf_options_get();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return kfh_flt_fuzz_one(data, size);
}
