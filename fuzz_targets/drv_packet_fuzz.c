/*
 * drv_packet_fuzz.c - fuzz target for the example packet classifier (examples/packet.c):
 * the input is the environment it meets (docs/SCENARIO_FORMAT.md, read by
 * harness/driver_env.c), including the caller's IRQL, anywhere from PASSIVE_LEVEL to
 * DISPATCH_LEVEL as a classify callout's. Windows 7 and later (the Ex routine at
 * DISPATCH_LEVEL). Findings: any stop, leak, IRQL left changed or rejected argument, and
 * the classifier's own promise: a packet is classified once when the expansion succeeded
 * and never otherwise, and the status is the expansion's failure or the classification's.
 * Built again with each planted bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "packet.h"

#include <string.h>

static PKT_PACKET packet;
static NTSTATUS returned;

static void call(void)
{
    memset(&packet, 0, sizeof packet);
    packet.Flow = 0x50414B;
    packet.Rules = 12;
    returned = PktClassify(&packet);
}

static void check(kfh_drv_run *run)
{
    int expanded = run->expanded && run->expand.status == STATUS_SUCCESS;
    if (packet.TimesClassified != (ULONG)expanded || (NT_SUCCESS(returned) && packet.TimesClassified != 1))
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "PktClassify",
                     "classified once exactly when the expansion succeeded, and whenever it reports success",
                     "classified %u time(s), expansion 0x%08X, returned 0x%08X", (unsigned)packet.TimesClassified,
                     (unsigned)run->expand.status, (unsigned)returned);
    else if (!expanded && returned != run->expand.status)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "PktClassify", "the expansion's failure", "0x%08X, expansion 0x%08X",
                     (unsigned)returned, (unsigned)run->expand.status);
    else if (expanded && returned != (run->pool_injected ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS))
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "PktClassify", "the classification's status", "0x%08X",
                     (unsigned)returned);
}

static const kfh_driver_target target = {
    .name = "PktClassify",
    .min_os = KF_OS_WIN7,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = DISPATCH_LEVEL,
    .call = call,
    .check = check,
};

KFH_DRIVER_FUZZ_MAIN(target)
