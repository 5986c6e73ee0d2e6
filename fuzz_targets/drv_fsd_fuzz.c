/*
 * drv_fsd_fuzz.c - fuzz target for the example file system's create path (examples/fsd.c):
 * the input is the environment it meets (docs/SCENARIO_FORMAT.md, read by
 * harness/driver_env.c); its caller, the I/O manager, is at PASSIVE_LEVEL. Findings: any
 * stop (an exception escaping the callout among them), leak or IRQL left changed, and the
 * file system's own promise: the lookup runs once exactly when the expansion succeeded, a
 * shortage of stack is reported as STATUS_INSUFFICIENT_RESOURCES, and an exception of the
 * lookup comes back as the create's status. Built again with its planted bug. Thin.
 */
#include "kfault/driver_env.h"

#include "fsd.h"

#include <string.h>

static FSD_CREATE create;
static NTSTATUS returned;

static void call(void)
{
    memset(&create, 0, sizeof create);
    create.NameHash = 0x465344;
    create.Components = 16;
    returned = FsdCreate(&create);
}

static void check(kfh_drv_run *run)
{
    int expanded = run->expanded && run->expand.status == STATUS_SUCCESS;
    NTSTATUS want;
    if (!expanded)
        want = run->expand.status == STATUS_NO_MEMORY ? STATUS_INSUFFICIENT_RESOURCES : run->expand.status;
    else
        want = run->pool_injected ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
    if (create.TimesRun != (ULONG)expanded)
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "FsdCreate", "the lookup run once exactly when the expansion succeeded",
                     "ran %u time(s), expansion 0x%08X", (unsigned)create.TimesRun, (unsigned)run->expand.status);
    else if (returned != want)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "FsdCreate", "the create's documented status",
                     "0x%08X instead of 0x%08X (expansion 0x%08X)", (unsigned)returned, (unsigned)want,
                     (unsigned)run->expand.status);
}

static const kfh_driver_target target = {
    .name = "FsdCreate",
    .min_os = KF_OS_VISTA,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
};

KFH_DRIVER_FUZZ_MAIN(target)
