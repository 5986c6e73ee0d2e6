/*
 * driver_fuzz.c - a fuzz target for your driver. The input is the environment one call of the
 * driver meets (kfault/driver_env.h): the OS profile, the caller's IRQL, the stack left, and
 * the fault decisions for every allocation. kfault reports any bug check, Driver Verifier
 * violation, leak or IRQL left changed; check() adds your driver's own promises.
 * Replace the three marked places with your driver's names; keep it to a screen of code.
 */
#include "kfault/driver_env.h"

#include "driver.h" /* 1. your driver's header: the entry point this target calls */

static NTSTATUS returned;

static void call(void)
{
    /* 2. prepare a request and call the entry point once */
    returned = DriverDoWork();
}

static void check(kfh_drv_run *run)
{
    /* 3. what your driver promises; report a broken promise with kfh_drv_fail */
    if (!NT_SUCCESS(returned) && run->injected == 0)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "DriverDoWork", "success when no allocation fails", "0x%08X",
                     (unsigned)returned);
}

static const kfh_driver_target target = {
    .name = "DriverDoWork",
    .min_os = KF_OS_WIN10,               /* the oldest Windows your driver supports */
    .arch_mask = 1u << KF_ARCH_AMD64,    /* the architectures you build it for */
    .min_irql = PASSIVE_LEVEL,           /* the IRQLs its callers may be at */
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
    /* A minifilter also sets .minifilter = &(const kfh_minifilter){ load, filter }: a load()
     * that calls its DriverEntry and a filter() that returns the filter it registered. */
};

KFH_DRIVER_FUZZ_MAIN(target)
