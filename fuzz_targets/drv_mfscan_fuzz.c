/*
 * drv_mfscan_fuzz.c - fuzz target for the example minifilter that reads files itself
 * (examples/mf_scanfile.c): the input is the environment it meets (docs/SCENARIO_FORMAT.md,
 * read by harness/driver_env.c): the files on its volumes (file, version 4), volumes, the
 * answers of the layers below (lower), instances being torn down, faults at every site. The
 * driver is loaded, then asked to scan every file the scenario put on a volume and
 * \scan\sample.exe on the first volume. Findings: any stop, leak (handles and file objects
 * named by their file), lock still held, IRQL left changed, and the driver's own promise:
 * with no fault, no scripted answer and no teardown, each scan that succeeds reports the
 * file's size, reads min(size, MFS_HEADER_CAP) bytes and parses them as an independent
 * reading of the header says. Built again with each planted bug. Must stay thin.
 */
#include "kfault/driver_env.h"

#include "mf_scanfile.h"

#include <string.h>

#define MAX_SCANS (KFH_ENV_FILES_MAX + 1)

static DRIVER_OBJECT driver;
static struct {
    unsigned volume;
    const WCHAR *path;
    NTSTATUS status;
    MFS_RESULT result;
} scans[MAX_SCANS];
static unsigned n_scans;

static NTSTATUS load(void)
{
    static UNICODE_STRING registry_path;
    n_scans = 0;
    registry_path = kfh_driver_env()->registry_path;
    return DriverEntry(&driver, &registry_path);
}

static PFLT_FILTER filter(void) { return MfsFilterHandle; }

static void scan(unsigned volume, const WCHAR *path)
{
    WCHAR name[256];
    static const char device[] = "\\Device\\HarddiskVolume";
    size_t k = 0;
    for (const char *p = device; *p; p++)
        name[k++] = (WCHAR)*p;
    name[k++] = (WCHAR)(L'1' + volume);
    for (const WCHAR *p = path; *p && k + 1 < RTL_NUMBER_OF(name); p++)
        name[k++] = *p;
    UNICODE_STRING u = {(USHORT)(k * sizeof(WCHAR)), (USHORT)(k * sizeof(WCHAR)), name};
    scans[n_scans].volume = volume;
    scans[n_scans].path = path;
    scans[n_scans].status = MfsScanFile(&u, &scans[n_scans].result);
    n_scans++;
}

static void call(void)
{
    const kfh_env *e = kfh_driver_env();
    for (unsigned i = 0; i < e->n_files; i++)
        scan(e->file[i].op.b & KFH_FILE_VOLUME_MASK, kfh_file_name_at(e->file[i].op.a));
    scan(0, L"\\scan\\sample.exe");
}

/* What the header in data (size bytes of the file) says, read independently of the driver. */
static void expected(const UCHAR *data, ULONG size, MFS_RESULT *want)
{
    ULONG read = size < MFS_HEADER_CAP ? size : MFS_HEADER_CAP;
    memset(want, 0, sizeof *want);
    want->FileSize = size;
    want->BytesRead = read;
    if (read < 4 || data[0] != MFS_MAGIC0 || data[1] != MFS_MAGIC1)
        return;
    want->Ours = TRUE;
    ULONG count = data[3] > MFS_MAX_RECORDS ? MFS_MAX_RECORDS : data[3];
    for (ULONG i = 0; i < count; i++) {
        ULONG at = 4 + 4 * i;
        if (at + 4 > read || data[at] == 0) {
            want->Truncated = TRUE;
            break;
        }
        want->Records++;
        want->Score += data[at + 1];
    }
    want->Quarantine = (data[2] & MFS_FLAG_QUARANTINE) && want->Score >= MFS_QUARANTINE_SCORE;
}

static void check(kfh_drv_run *run)
{
    if (!run->loaded || !run->returned || run->injected || run->env.n_lower || run->env.teardown_mask)
        return;
    MFS_STATS stats;
    MfsQueryStats(&stats);
    if (stats.Scans != n_scans)
        kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfsScanFile", "every scan counted", "%lu of %u",
                     (unsigned long)stats.Scans, n_scans);
    for (unsigned i = 0; i < n_scans; i++) {
        const void *data = NULL;
        ULONG size = 0;
        MFS_RESULT want;
        if (!NT_SUCCESS(scans[i].status))
            continue;
        if (kf_flt_file_contents(scans[i].volume, scans[i].path, &data, &size) != 0) {
            kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfsScanFile", "success only for a file that exists",
                         "scan %u succeeded", i);
            return;
        }
        expected(data, size, &want);
        const MFS_RESULT *got = &scans[i].result;
        if (got->FileSize != want.FileSize || got->BytesRead != want.BytesRead || got->Ours != want.Ours ||
            got->Truncated != want.Truncated || got->Records != want.Records || got->Score != want.Score ||
            got->Quarantine != want.Quarantine)
            kfh_drv_fail(run, KFH_INV_DRIVER_STATUS, "MfsScanFile", "the header as the file holds it",
                         "scan %u: size %llu read %lu ours %d records %lu score %lu; expected size %llu read %lu "
                         "ours %d records %lu score %lu",
                         i, (unsigned long long)got->FileSize, (unsigned long)got->BytesRead, got->Ours,
                         (unsigned long)got->Records, (unsigned long)got->Score, (unsigned long long)want.FileSize,
                         (unsigned long)want.BytesRead, want.Ours, (unsigned long)want.Records,
                         (unsigned long)want.Score);
    }
}

static const kfh_minifilter minifilter = {
    .load = load,
    .filter = filter,
};

static const kfh_driver_target target = {
    .name = "MfsScanFile",
    .min_os = KF_OS_WIN8,
    .arch_mask = (1u << KF_ARCH_X86) | (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &minifilter,
    .service = "mfscan",
};

KFH_DRIVER_FUZZ_MAIN(target)
