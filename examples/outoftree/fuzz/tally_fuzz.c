/*
 * tally_fuzz.c - the fuzz target of the example tally driver (../driver/tally.c). The input is
 * the environment one call meets (kfault's driver_env.h): the OS profile, the caller's IRQL
 * (PASSIVE_LEVEL to DISPATCH_LEVEL, as the driver promises), the stack left and in use, and
 * the fault decisions for its allocations. kfault reports any bug check, Driver Verifier
 * violation, leak or IRQL left changed; check() adds the driver's own promise. A target is a
 * screen of code: what to call, what must hold, which environments the driver supports.
 */
#include "kfault/driver_env.h"

#include "tally.h"

#include <string.h>

static TLY_REQUEST request;
static NTSTATUS returned;

static void call(void)
{
    memset(&request, 0, sizeof request);
    request.Depth = 6;
    request.Width = 40;
    returned = TlyCount(&request);
}

/* Success counts every word; a failure is the expansion's, or no memory under an injected
 * fault. */
static void check(kfh_drv_run *run)
{
    if (NT_SUCCESS(returned)) {
        if (request.Words != 6 * 40 || request.Sections != 6)
            kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "TlyCount", "240 words in 6 sections",
                         "%u words in %u sections", (unsigned)request.Words, (unsigned)request.Sections);
    } else if (!(run->expanded && returned == run->expand.status) &&
               !(returned == STATUS_INSUFFICIENT_RESOURCES && run->pool_injected)) {
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "TlyCount", "success, or the reason the stack or memory ran out",
                     "0x%08X", (unsigned)returned);
    }
}

static const kfh_driver_target target = {
    .name = "TlyCount",
    .min_os = KF_OS_WIN7,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = DISPATCH_LEVEL,
    .call = call,
    .check = check,
};

KFH_DRIVER_FUZZ_MAIN(target)
