/*
 * expand_fuzz.c - model-conformance target for the stack-expansion family: the input is a
 * scenario (docs/SCENARIO_FORMAT.md) of expansions with every flag, symbolic boundary
 * sizes, IRQL changes, remaining stack, profiles, nesting, exceptions, thread exits, pool
 * and injected faults. The harness runs it against the model with its independent oracle:
 * a predicted bug check is a correct outcome; a divergence, a broken invariant or a
 * sanitizer report aborts with a finding report. Must stay thin: no logic of its own.
 */
#include "kfault/harness.h"

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
    return kfh_fuzz_one(data, size);
}
