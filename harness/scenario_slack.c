/*
 * scenario_slack.c - the real stack a scenario's interpreter needs inside callouts.
 *
 * A scenario body runs inside the callouts it nests, so the interpreter's own frames (larger
 * still under sanitizers) count against each callout's real stack. Driver code does not have
 * this overhead; scenario targets therefore grant callouts 128 KiB of stack_slack unless the
 * user set stack_slack in KFAULT_OPTIONS. Must run before the options are first read.
 */
#include "kfault/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kfh_default_scenario_slack(void)
{
    const char *env = getenv("KFAULT_OPTIONS");
    if (env && strstr(env, "stack_slack="))
        return;
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s%sstack_slack=0x20000", env ? env : "", env && *env ? ":" : "");
    if (n > 0 && (size_t)n < sizeof buf)
        setenv("KFAULT_OPTIONS", buf, 1);
}
