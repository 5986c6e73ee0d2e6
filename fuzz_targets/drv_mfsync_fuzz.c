/*
 * drv_mfsync_fuzz.c - fuzz target for the example synchronous minifilter (examples/mf_sync.c):
 * the input is the environment it meets (docs/SCENARIO_FORMAT.md, read by
 * harness/driver_env.c as a minifilter's): volumes, the answers of the file system below,
 * instances being torn down, the allocation flags its caller asks for, faults at every
 * site. Windows 7 and later (FltAllocateCallbackDataEx), every architecture, called at
 * PASSIVE_LEVEL. Findings: any stop, leak (callback data included), IRQL left changed, and
 * the driver's own promises: success exactly when the flush succeeded; without a fault the
 * status and the entry count are what the file system's answers make them. Built again
 * with each planted bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "mf_sync.h"

#include <string.h>

static DRIVER_OBJECT driver;
static FILE_OBJECT directory;
static MFS_REQUEST request;
static NTSTATUS returned;
static int called;

static NTSTATUS load(void)
{
    called = 0;
    return DriverEntry(&driver, NULL);
}

static PFLT_FILTER filter(void)
{
    return MfsFilterHandle;
}

static void call(void)
{
    memset(&request, 0, sizeof request);
    request.Directory = &directory;
    request.Preallocate = (kfh_driver_env()->alloc_flags & FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY) != 0;
    returned = MfsScanDirectory(&request);
    called = 1;
}

/* Without faults: the status and entry count the answers of the layers below promise
 * (answer k goes to I/O k; once they run out, an empty directory and a successful flush). */
static NTSTATUS expected(const kfh_env *e, ULONG *entries)
{
    *entries = 0;
    if (e->volumes == 0)
        return STATUS_NOT_FOUND;
    if (e->teardown_mask & 1)
        return STATUS_FLT_DELETING_OBJECT;
    for (unsigned k = 0;; k++) {
        NTSTATUS st = k < e->n_lower ? e->lower[k].status : STATUS_NO_MORE_FILES;
        ULONG info = k < e->n_lower ? e->lower[k].information : 0;
        if (st == STATUS_PENDING)
            st = STATUS_NO_MORE_FILES;
        if (st == STATUS_NO_MORE_FILES) {
            NTSTATUS flush = k + 1 < e->n_lower ? e->lower[k + 1].status : STATUS_SUCCESS;
            return flush == STATUS_PENDING ? STATUS_SUCCESS : flush;
        }
        if (!NT_SUCCESS(st))
            return st;
        info = info > MFS_QUERY_BUFFER_SIZE ? MFS_QUERY_BUFFER_SIZE : info;
        if (info < FIELD_OFFSET(FILE_NAMES_INFORMATION, FileName))
            return STATUS_UNSUCCESSFUL;
        *entries += info / KFH_ENV_NAME_ENTRY_SIZE ? info / KFH_ENV_NAME_ENTRY_SIZE : 1;
    }
}

static void check(kfh_drv_run *run)
{
    ULONG entries;
    if (!called)
        return;
    if (run->unload_status != STATUS_SUCCESS)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfsUnload", "the filter unloads", "0x%08X",
                     (unsigned)run->unload_status);
    else if (NT_SUCCESS(returned) != request.Flushed || (NT_SUCCESS(returned) && request.Queries == 0))
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "MfsScanDirectory",
                     "success exactly when the directory was listed and flushed",
                     "returned 0x%08X, %u quer(ies), flushed %d", (unsigned)returned, (unsigned)request.Queries,
                     request.Flushed);
    else if (run->injected == 0 && (returned != expected(&run->env, &entries) ||
                                    (NT_SUCCESS(returned) && request.Entries != entries)))
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfsScanDirectory", "the file system's listing and status",
                     "returned 0x%08X with %u entries, expected 0x%08X with %u", (unsigned)returned,
                     (unsigned)request.Entries, (unsigned)expected(&run->env, &entries), (unsigned)entries);
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
};

static const kfh_driver_target target = {
    .name = "MfsScanDirectory",
    .min_os = KF_OS_WIN7,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
};

KFH_DRIVER_FUZZ_MAIN(target)
