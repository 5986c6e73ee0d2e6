/*
 * drv_mfport_fuzz.c - fuzz target for the example minifilter that talks to its user-mode
 * service over a communication port (examples/mf_port.c). The input is the environment it
 * meets (docs/SCENARIO_FORMAT.md, read by harness/driver_env.c): volumes, volumes being torn
 * down, faults at every site, the caller's IRQL (PASSIVE or APC), and, in scenario format
 * version 4, the service: it connects to the driver's port with a context, sends messages of
 * any bytes and sizes with any output buffer, answers the driver's notifications (a reply, none,
 * never reading them, closing its handle) and disconnects, and the system's worker threads run
 * the driver's queued scans where the scenario says. The call: two files are opened on each
 * volume the driver attached to, one with a watched extension. Findings: any stop, leak, lock
 * or region still held, IRQL left changed, AddressSanitizer's reports on the service's buffers,
 * and the driver's own promise: with no fault and no volume torn down it loads, attaches to
 * every volume and counts both opens on each, one as a match. Built again with each planted
 * bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "mf_port.h"

static DRIVER_OBJECT driver;
static unsigned attached;
static int called;

static NTSTATUS load(void)
{
    static UNICODE_STRING registry_path = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\mfport");
    called = 0;
    attached = 0;
    return DriverEntry(&driver, &registry_path);
}

static PFLT_FILTER filter(void) { return MfpFilterHandle; }

static void call(void)
{
    UNICODE_STRING program = RTL_CONSTANT_STRING(L"\\Windows\\System32\\notepad.exe");
    UNICODE_STRING document = RTL_CONSTANT_STRING(L"\\Users\\Public\\report.v2");
    for (unsigned v = 0; v < KF_FLT_MAX_VOLUMES; v++) {
        PFLT_INSTANCE instance = kf_flt_instance(MfpFilterHandle, v);
        if (!instance)
            continue;
        attached++;
        MfpFileOpened(instance, &program);
        MfpFileOpened(instance, &document);
    }
    called = 1;
}

static void check(kfh_drv_run *run)
{
    if (run->injected != 0 || run->env.teardown_mask != 0)
        return;
    MFP_TOTALS totals;
    MfpQueryTotals(&totals);
    if (!run->loaded || !called)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "DriverEntry", "the driver loads when nothing fails",
                     "DriverEntry returned 0x%08X", (unsigned)run->load_status);
    else if (attached != run->env.volumes || totals.Opens != 2 * attached || totals.Matches != attached)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfpFileOpened",
                     "an instance on every volume, 2 opens and 1 match counted on each",
                     "%u instance(s) for %u volume(s), %lu open(s), %lu match(es)", attached, run->env.volumes,
                     (unsigned long)totals.Opens, (unsigned long)totals.Matches);
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
    .ports = {MFP_PORT_NAME},
};

static const kfh_driver_target target = {
    .name = "MfpFileOpened",
    .min_os = KF_OS_WIN10,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = APC_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
};

KFH_DRIVER_FUZZ_MAIN(target)
