/*
 * drv_worker_fuzz.c - fuzz target for the example worker thread (examples/worker.c): the
 * input is the environment the thread meets (docs/SCENARIO_FORMAT.md, read by
 * harness/driver_env.c): profile (Server 2003 amd64 on), how much stack is left, a large
 * stack, which allocations fail; a thread starts at PASSIVE_LEVEL. Findings: any stop,
 * leak or callout stack overrun, and the thread's own promise: it ends itself with the
 * work's status, the work ran once unless the expansion failed, and then the thread's
 * status is that failure. Built again with each planted bug. Thin.
 */
#include "kfault/driver_env.h"

#include "worker.h"

#include <string.h>

static WRK_CONTEXT context;

static void call(void)
{
    memset(&context, 0, sizeof context);
    context.Root = 0x57524B;
    WrkThreadStart(&context);
}

static void check(kfh_drv_run *run)
{
    int failed = run->expanded && run->expand.status != STATUS_SUCCESS;
    NTSTATUS want = failed ? run->expand.status
                           : (run->pool_injected ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS);
    if (context.TimesRun != (ULONG)!failed)
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "WrkThreadStart", "the work run once unless the expansion failed",
                     "ran %u time(s), expansion 0x%08X", (unsigned)context.TimesRun, (unsigned)run->expand.status);
    else if (!run->thread_exited || run->thread_status != want || context.Status != want)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "WrkThreadStart", "the thread ends itself with the work's status",
                     "%s, thread 0x%08X, work 0x%08X, expected 0x%08X",
                     run->thread_exited ? "terminated" : "returned", (unsigned)run->thread_status,
                     (unsigned)context.Status, (unsigned)want);
}

static const kfh_driver_target target = {
    .name = "WrkThreadStart",
    .min_os = KF_OS_WS03,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
};

KFH_DRIVER_FUZZ_MAIN(target)
