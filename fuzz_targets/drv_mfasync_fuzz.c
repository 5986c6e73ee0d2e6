/*
 * drv_mfasync_fuzz.c - fuzz target for the example asynchronous minifilter
 * (examples/mf_async.c): the input is the environment it meets (docs/SCENARIO_FORMAT.md,
 * read by harness/driver_env.c as a minifilter's): volumes, the answers of the file system
 * below, completions inline or deferred at PASSIVE_LEVEL to DISPATCH_LEVEL, instances torn
 * down, an unload with reads in flight, the allocation flags its caller asks for, faults at
 * every site. Windows 7 and later, every architecture, called at PASSIVE_LEVEL or
 * APC_LEVEL. Findings: any stop, leak (callback data included), IRQL left changed, and the
 * driver's own promises: the read finishes; it returns STATUS_PENDING only when completions
 * are deferred; the bytes it reports are the file's; it stops short only when a completion
 * ran at DISPATCH_LEVEL or the filter unloads; without a fault, the status and byte count are
 * what the file system's answers make them. Built again with each planted bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "mf_async.h"

#include <string.h>

#define READ_LENGTH (4 * MFA_CHUNK_SIZE)

static DRIVER_OBJECT driver;
static FILE_OBJECT file;
static UCHAR buffer[READ_LENGTH];
static MFA_READ read;
static NTSTATUS returned;
static int called;

static NTSTATUS load(void)
{
    called = 0;
    return DriverEntry(&driver, NULL);
}

static PFLT_FILTER filter(void)
{
    return MfaFilterHandle;
}

static void call(void)
{
    memset(buffer, 0, sizeof buffer);
    memset(&read, 0, sizeof read);
    read.File = &file;
    read.Buffer = buffer;
    read.Length = READ_LENGTH;
    read.Preallocate = (kfh_driver_env()->alloc_flags & FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY) != 0;
    returned = MfaReadFile(&read);
    called = 1;
}

/* Without faults: the status and byte count the answers of the layers below promise
 * (answer k goes to read k; once they run out, every read gets all it asked for). */
static NTSTATUS expected(const kfh_env *e, ULONG *bytes)
{
    *bytes = 0;
    if (e->volumes == 0)
        return STATUS_NOT_FOUND;
    if (e->teardown_mask & 1)
        return STATUS_FLT_DELETING_OBJECT;
    for (unsigned k = 0;; k++) {
        ULONG asked = READ_LENGTH - *bytes < MFA_CHUNK_SIZE ? READ_LENGTH - *bytes : MFA_CHUNK_SIZE;
        NTSTATUS st = k < e->n_lower ? e->lower[k].status : STATUS_PENDING;
        ULONG got = k < e->n_lower ? e->lower[k].information : asked;
        if (st == STATUS_PENDING) {
            st = STATUS_SUCCESS;
            got = asked;
        }
        if (st == STATUS_END_OF_FILE)
            return STATUS_SUCCESS;
        if (!NT_SUCCESS(st))
            return st;
        got = got > asked ? asked : got;
        *bytes += got;
        if (got < asked || *bytes == READ_LENGTH)
            return STATUS_SUCCESS;
    }
}

static void check(kfh_drv_run *run)
{
    ULONG bytes, good = 0;
    if (!called)
        return;
    while (good < read.BytesRead && good < READ_LENGTH && buffer[good] == KFH_ENV_READ_BYTE)
        good++;
    if (run->unload_status != STATUS_SUCCESS)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfaUnload", "the filter unloads", "0x%08X",
                     (unsigned)run->unload_status);
    else if (!read.Done || read.Status == STATUS_PENDING || (returned == STATUS_PENDING && !run->env.deferred))
        kfh_drv_fail(run, KFH_INV_DRIVER_WORK_ONCE, "MfaReadFile",
                     "the read finishes; STATUS_PENDING only while completions are deferred",
                     "done %d, status 0x%08X, returned 0x%08X, completion %s", read.Done, (unsigned)read.Status,
                     (unsigned)returned, run->env.deferred ? "deferred" : "inline");
    else if (read.BytesRead > READ_LENGTH || good != read.BytesRead)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfaReadFile", "the bytes reported read are the file's",
                     "%u bytes reported, the first %u of them read", (unsigned)read.BytesRead, (unsigned)good);
    else if (read.Stopped && run->env.completion_irql != DISPATCH_LEVEL && !run->env.unload_in_flight)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfaReadDone",
                     "stopping short only at DISPATCH_LEVEL or while unloading", "stopped after %u bytes at IRQL %u",
                     (unsigned)read.BytesRead, run->env.completion_irql);
    else if (run->injected == 0 && !read.Stopped &&
             (read.Status != expected(&run->env, &bytes) || (NT_SUCCESS(read.Status) && read.BytesRead != bytes)))
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfaReadFile", "the file system's status and bytes",
                     "0x%08X with %u bytes, expected 0x%08X with %u", (unsigned)read.Status,
                     (unsigned)read.BytesRead, (unsigned)expected(&run->env, &bytes), (unsigned)bytes);
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
};

static const kfh_driver_target target = {
    .name = "MfaReadFile",
    .min_os = KF_OS_WIN7,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = APC_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
};

KFH_DRIVER_FUZZ_MAIN(target)
