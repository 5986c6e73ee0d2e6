/*
 * drv_mfconfig_fuzz.c - fuzz target for the example minifilter configured from the registry
 * (examples/mf_config.c): the input is the environment it meets (docs/SCENARIO_FORMAT.md,
 * read by harness/driver_env.c): its registry values (reg_value, version 3), volumes, faults
 * at every site, the caller's IRQL (PASSIVE or APC). The driver is loaded with the service
 * key holding what its INF installs, changed by the scenario; then it is asked about two file
 * names, one with an extension and one without. Findings: any stop, leak, lock or region
 * still held, IRQL left changed, and the driver's own promises: with the installed values
 * and no fault it loads, watches two extensions, and answers both names correctly and
 * counts both. Built again with each planted bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "mf_config.h"

static DRIVER_OBJECT driver;
static BOOLEAN watched_docx, watched_plain;
static int called;

static const WCHAR installed_extensions[] = L"docx\0pdf\0";  /* REG_MULTI_SZ: two, then the empty one */
static const ULONG installed_max = 8;
static const WCHAR installed_prefix[] = L"mfconfig";
static const ULONG installed_flags = MFC_FLAG_LOG_MATCHES;

static const kfh_reg_spec registry[] = {
    {"Parameters", "Extensions", 7 /* REG_MULTI_SZ */, installed_extensions, sizeof installed_extensions},
    {"Parameters", "MaxEntries", 4 /* REG_DWORD */, &installed_max, sizeof installed_max},
    {"Parameters", "LogPrefix", 1 /* REG_SZ */, installed_prefix, sizeof installed_prefix},
    {"Parameters", "Flags", 4 /* REG_DWORD */, &installed_flags, sizeof installed_flags},
};

static NTSTATUS load(void)
{
    static UNICODE_STRING registry_path;
    called = 0;
    registry_path = kfh_driver_env()->registry_path;
    return DriverEntry(&driver, &registry_path);
}

static PFLT_FILTER filter(void) { return MfcFilterHandle; }

static void call(void)
{
    UNICODE_STRING docx = RTL_CONSTANT_STRING(L"\\Device\\HarddiskVolume1\\Reports\\Q3.DocX");
    UNICODE_STRING plain = RTL_CONSTANT_STRING(L"\\Device\\HarddiskVolume1\\Reports.old\\README");
    watched_docx = MfcIsWatched(&docx);
    watched_plain = MfcIsWatched(&plain);
    called = 1;
}

static void check(kfh_drv_run *run)
{
    int installed = 1;
    for (unsigned i = 0; i < RTL_NUMBER_OF(registry); i++)
        installed &= !run->env.reg[i].changed;
    if (!installed || run->injected != 0)
        return;
    MFC_STATS stats = {0, 0};
    if (called)
        MfcQueryStats(&stats);
    if (!run->loaded || !called)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "DriverEntry", "the installed configuration loads",
                     "DriverEntry returned 0x%08X", (unsigned)run->load_status);
    else if (!watched_docx || watched_plain || stats.Checks != 2 || stats.Matches != 1)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfcIsWatched", "Q3.DocX watched, README not, 2 checks, 1 match",
                     "docx %d, README %d, %lu check(s), %lu match(es)", watched_docx, watched_plain,
                     (unsigned long)stats.Checks, (unsigned long)stats.Matches);
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
};

static const kfh_driver_target target = {
    .name = "MfcIsWatched",
    .min_os = KF_OS_WIN8,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = APC_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
    .service = "mfconfig",
    .registry = registry,
    .n_registry = RTL_NUMBER_OF(registry),
};

KFH_DRIVER_FUZZ_MAIN(target)
