/*
 * hdrscan_fuzz.c - the fuzz target of the example minifilter (../driver/hdrscan.c). The input
 * is the environment it meets (kfault's driver_env.h, a minifilter's): the volumes offered,
 * the answers of the file system below, instances being torn down, and the fault decisions
 * for Filter Manager's and the driver's allocations. kfault loads the driver (DriverEntry),
 * calls it, unloads it and reports any stop, leak (callback data included) or IRQL left
 * changed; check() adds the driver's own promise.
 */
#include "kfault/driver_env.h"

#include "hdrscan.h"

#include <string.h>

static DRIVER_OBJECT driver;
static FILE_OBJECT file;
static HDS_REQUEST request;
static NTSTATUS returned;
static int called;

static NTSTATUS load(void)
{
    called = 0;
    return DriverEntry(&driver, NULL);
}

static PFLT_FILTER filter(void) { return HdsFilterHandle; }

static void call(void)
{
    memset(&request, 0, sizeof request);
    request.File = &file;
    returned = HdsScanHeader(&request);
    called = 1;
}

/* A header read in full is classified by its first byte; success always names a kind. */
static void check(kfh_drv_run *run)
{
    if (!called)
        return;
    if (NT_SUCCESS(returned) && (request.Kind == HdsUnknown || request.Read > HDS_HEADER_SIZE ||
                                 (request.Kind == HdsMarked) != (request.Read == HDS_HEADER_SIZE)))
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "HdsScanHeader", "a kind for what was read",
                     "kind %d after %u bytes", (int)request.Kind, (unsigned)request.Read);
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
};

static const kfh_driver_target target = {
    .name = "HdsScanHeader",
    .min_os = KF_OS_WIN7,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
};

KFH_DRIVER_FUZZ_MAIN(target)
