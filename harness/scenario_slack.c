/*
 * scenario_slack.c - the real stack a scenario's interpreter needs inside callouts.
 *
 * A scenario body runs inside the callouts it nests, so the interpreter's own frames (larger
 * still under sanitizers) count against each callout's real stack. Driver code does not have
 * this overhead; scenario targets and the `kfault` tool therefore grant callouts 128 KiB of
 * stack_slack unless the user set stack_slack in KFAULT_OPTIONS. Must run before the options
 * are first read.
 */
#include "kfault/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kfh_scenario_options(const char *text, char *buf, size_t cap)
{
    if (text && strstr(text, "stack_slack="))
        return text;
    int n = snprintf(buf, cap, "%s%sstack_slack=0x20000", text ? text : "", text && *text ? ":" : "");
    return n > 0 && (size_t)n < cap ? buf : text;
}

void kfh_default_scenario_slack(void)
{
    const char *env = getenv("KFAULT_OPTIONS");
    char buf[4096];
    const char *with = kfh_scenario_options(env, buf, sizeof buf);
    if (with && with != env)
        setenv("KFAULT_OPTIONS", with, 1);
}
