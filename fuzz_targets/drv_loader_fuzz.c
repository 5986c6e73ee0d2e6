/*
 * drv_loader_fuzz.c - fuzz target for the example image loader (examples/loader.c): the
 * input is the environment it meets (docs/SCENARIO_FORMAT.md, read by harness/driver_env.c:
 * profile, remaining stack, large stack, which allocations fail). Its caller is DriverEntry,
 * always at PASSIVE_LEVEL. Findings: any stop, leak or IRQL left changed, and the loader's
 * own promise: the image is parsed exactly once (in the callout or the fallback), and the
 * load succeeds exactly when the parse got its memory. Built again with each planted bug.
 * Must stay thin: everything but the loader's own conditions lives in the harness.
 */
#include "kfault/driver_env.h"

#include "loader.h"

#include <string.h>

static LDR_IMAGE image;
static NTSTATUS returned;

static void call(void)
{
    memset(&image, 0, sizeof image);
    image.Seed = 0x4C44;
    image.Depth = 24;
    returned = LdrLoadImage(&image);
}

static void check(kfh_drv_run *run)
{
    if (image.TimesParsed != 1)
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "LdrLoadImage", "the image parsed exactly once",
                     "parsed %u time(s)", (unsigned)image.TimesParsed);
    NTSTATUS want = run->pool_injected ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
    if (run->returned && returned != want)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "LdrLoadImage",
                     run->pool_injected ? "STATUS_INSUFFICIENT_RESOURCES (its pool failed)" : "STATUS_SUCCESS",
                     "0x%08X", (unsigned)returned);
}

static const kfh_driver_target target = {
    .name = "LdrLoadImage",
    .min_os = KF_OS_VISTA,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
};

KFH_DRIVER_FUZZ_MAIN(target)
