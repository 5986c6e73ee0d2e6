/*
 * options_check.c - KFAULT_OPTIONS checked whole when a fuzz target starts.
 *
 * The model checks the options it owns when they are first read; the harness's own (the
 * fault plan and its settings) are checked here too, so a bad value stops the target in
 * LLVMFuzzerInitialize with a sentence and exit status 2, before any input runs. Found
 * during the first input instead, the exit would be reported by libFuzzer as a crash of
 * that input and saved as a finding.
 */
#include "kfault/harness.h"

#include <stdio.h>
#include <stdlib.h>

void kfh_options_init(void)
{
    kfh_config cfg;
    char err[512];
    (void)kf_options_get(); /* exits with its own sentence on a value the model refuses */
    if (kfh_config_from_options(&cfg, err, sizeof err)) {
        fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
        exit(2);
    }
}
