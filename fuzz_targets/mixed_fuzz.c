/*
 * mixed_fuzz.c - model-conformance target for everything at once: scenarios whose
 * expansions (nested, on every path, failing) run callout bodies that allocate, perform,
 * complete, reuse and free callback data, raise exceptions, change IRQL and end the
 * thread, with injected faults throughout; Filter Manager operations inside `consume`
 * blocks too. Same pipeline as flt_fuzz (the filter started first unless the scenario
 * does it); the seeds and dictionary aim at the nesting. A predicted stop is a correct
 * outcome; a divergence, a broken invariant or a sanitizer report aborts with a finding
 * report. Must stay thin: no logic of its own.
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
