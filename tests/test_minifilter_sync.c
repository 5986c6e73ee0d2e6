/*
 * test_minifilter_sync.c - drives drivers/minifilter_sync.c, a correct minifilter, the way a
 * system would: load (DriverEntry), I/O of its own (a directory listing and a flush) answered
 * by a modeled file system, unload (its FilterUnloadCallback). Then fails each fault site the
 * scenario reaches, one run per site (as syzkaller's systematic fault injection): a driver
 * that frees on every path survives every one of them without a stop or a leak.
 */
#include "kft.h"
#include <fltKernel.h>
#include "kfault/flt_model.h"

#include <string.h>

/* The driver's entry points. */
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS SyncCountDirectoryEntries(PFILE_OBJECT Directory, PULONG EntryCount);
NTSTATUS SyncFlushFile(PFILE_OBJECT FileObject);
extern PFLT_FILTER SyncFilterHandle;

static DRIVER_OBJECT driver;
static UNICODE_STRING registry_path = RTL_CONSTANT_STRING(u"\\Registry\\Machine\\System\\Sync");
static FILE_OBJECT directory, file;

/* ---- A modeled file system: a directory of `n_names` names, two per query ---------------- */

static const char *const names[] = {"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"};
static size_t n_names = 5;
static struct {
    size_t cursor;
    unsigned queries, flushes;
    NTSTATUS flush_status;
} fs;

static void file_system(void *ctx, kf_flt_lower_io *io)
{
    PFLT_IO_PARAMETER_BLOCK iopb = io->data->Iopb;
    if (io->fault)
        return; /* out of memory down there: keep the failure */
    if (iopb->MajorFunction == IRP_MJ_FLUSH_BUFFERS) {
        fs.flushes++;
        io->status = fs.flush_status;
        return;
    }
    if (iopb->MajorFunction != IRP_MJ_DIRECTORY_CONTROL || iopb->MinorFunction != IRP_MN_QUERY_DIRECTORY)
        return;
    fs.queries++;
    if (iopb->OperationFlags & SL_RESTART_SCAN)
        fs.cursor = 0;
    if (fs.cursor >= n_names) {
        io->status = STATUS_NO_MORE_FILES;
        io->information = 0;
        return;
    }
    UCHAR *out = iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer;
    ULONG room = iopb->Parameters.DirectoryControl.QueryDirectory.Length;
    ULONG used = 0;
    FILE_NAMES_INFORMATION *prev = NULL;
    for (int k = 0; k < 2 && fs.cursor < n_names; k++, fs.cursor++) {
        size_t len = strlen(names[fs.cursor]);
        ULONG size = (ULONG)ALIGN_UP_BY(offsetof(FILE_NAMES_INFORMATION, FileName) + len * sizeof(WCHAR), 8);
        if (used + size > room)
            break;
        FILE_NAMES_INFORMATION *e = (FILE_NAMES_INFORMATION *)(out + used);
        memset(e, 0, size);
        e->FileIndex = (ULONG)fs.cursor;
        e->FileNameLength = (ULONG)(len * sizeof(WCHAR));
        for (size_t c = 0; c < len; c++)
            e->FileName[c] = (WCHAR)names[fs.cursor][c];
        if (prev)
            prev->NextEntryOffset = (ULONG)((UCHAR *)e - (UCHAR *)prev);
        prev = e;
        used += size;
    }
    io->status = STATUS_SUCCESS;
    io->information = used;
}

static void fresh(void)
{
    memset(&fs, 0, sizeof fs);
    n_names = 5;
    memset(&driver, 0, sizeof driver);
    kf_flt_set_lower_hook(file_system, NULL);
}

/* ---- The driver behaves -------------------------------------------------------------------- */

TEST(sync_driver_loads_and_unloads)
{
    fresh();
    CHECK_EQ(DriverEntry(&driver, &registry_path), STATUS_SUCCESS);
    CHECK(SyncFilterHandle != NULL);
    CHECK(kf_flt_instance(SyncFilterHandle, 0) != NULL);
    CHECK_EQ(kf_flt_unload(SyncFilterHandle, 0), STATUS_SUCCESS);
    CHECK(SyncFilterHandle == NULL);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.pool_blocks, 0);
}

TEST(sync_driver_lists_a_directory)
{
    fresh();
    CHECK_EQ(DriverEntry(&driver, &registry_path), STATUS_SUCCESS);
    ULONG count = 0;
    CHECK_EQ(SyncCountDirectoryEntries(&directory, &count), STATUS_SUCCESS);
    CHECK_EQ(count, 5);
    CHECK_EQ(fs.queries, 4); /* 2 + 2 + 1 entries, then STATUS_NO_MORE_FILES */
    n_names = 0;
    CHECK_EQ(SyncCountDirectoryEntries(&directory, &count), STATUS_SUCCESS);
    CHECK_EQ(count, 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    CHECK_EQ(kf_flt_unload(SyncFilterHandle, 0), STATUS_SUCCESS);
}

TEST(sync_driver_flushes)
{
    fresh();
    CHECK_EQ(DriverEntry(&driver, &registry_path), STATUS_SUCCESS);
    CHECK_EQ(SyncFlushFile(&file), STATUS_SUCCESS);
    fs.flush_status = STATUS_ACCESS_DENIED; /* e.g. a write-protected volume */
    CHECK_EQ(SyncFlushFile(&file), STATUS_ACCESS_DENIED);
    CHECK_EQ(fs.flushes, 2);
    /* The flush preallocates: Filter Manager's on-demand memory was never asked for. */
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_FLT_ON_DEMAND], 0);
    CHECK_EQ(kf_flt_unload(SyncFilterHandle, 0), STATUS_SUCCESS);
}

TEST(sync_driver_declines_network_volumes)
{
    fresh();
    kf_flt_volume vols[2] = {{FILE_DEVICE_NETWORK_FILE_SYSTEM, FLT_FSTYPE_LANMAN},
                             {FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS}};
    CHECK_EQ(kf_flt_set_volumes(2, vols), 0);
    CHECK_EQ(DriverEntry(&driver, &registry_path), STATUS_SUCCESS);
    CHECK(kf_flt_instance(SyncFilterHandle, 0) == NULL);
    CHECK(kf_flt_instance(SyncFilterHandle, 1) != NULL);
    ULONG count;
    CHECK_EQ(SyncCountDirectoryEntries(&directory, &count), STATUS_SUCCESS);
    CHECK_EQ(count, 5);
    CHECK_EQ(kf_flt_unload(SyncFilterHandle, 0), STATUS_SUCCESS);
}

/* ---- Every fault site the scenario reaches, one at a time ------------------------------------ */

static struct {
    NTSTATUS load, list, flush, unload;
    ULONG count;
} run;

static void scenario(void *arg)
{
    memset(&run, 0xff, sizeof run);
    run.load = DriverEntry(&driver, &registry_path);
    if (!NT_SUCCESS(run.load))
        return;
    run.list = SyncCountDirectoryEntries(&directory, &run.count);
    run.flush = SyncFlushFile(&file);
    run.unload = kf_flt_unload(SyncFilterHandle, 0);
}

TEST(sync_driver_survives_every_fault)
{
    unsigned nth, sites_seen = 0;
    unsigned long long seen[KF_SITE_COUNT] = {0};
    for (nth = 1; nth < 100; nth++) {
        char opt[32];
        snprintf(opt, sizeof opt, "fail_nth=%u", nth);
        kft_options(opt);
        fresh();
        kf_stop stop;
        if (kft_stops(scenario, NULL, &stop)) {
            char report[1024];
            kf_stop_format(&stop, report, sizeof report);
            kft_fail(__FILE__, __LINE__, "fail_nth=%u stopped:\n%s", nth, report);
            break;
        }
        const kf_fault_stats *st = kf_fault_get_stats();
        if (st->total_injected == 0)
            break; /* past the last consultation: every one has been failed once */
        for (int s = 0; s < KF_SITE_COUNT; s++)
            if (st->injected[s] && !seen[s]++)
                sites_seen++;
        /* Whatever failed, nothing is left behind, and a failure surfaces as a status. */
        CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
        kf_leak_report leaks;
        kf_leaks(&leaks);
        CHECK_EQ(leaks.pool_blocks, 0);
        if (NT_SUCCESS(run.load)) {
            CHECK_EQ(run.unload, STATUS_SUCCESS);
            CHECK(NT_SUCCESS(run.list) ? run.count == 5 : run.count == 0);
        }
        CHECK(NT_SUCCESS(run.load) && NT_SUCCESS(run.list) && NT_SUCCESS(run.flush) ? 0 : 1);
    }
    CHECK(nth > 10 && nth < 100);
    /* The sweep reached the filter, instance, callback data, on-demand, lower and pool sites. */
    CHECK(seen[KF_SITE_FLT_FILTER] && seen[KF_SITE_FLT_INSTANCE] && seen[KF_SITE_FLT_CALLBACK_DATA]);
    CHECK(seen[KF_SITE_FLT_PREALLOCATE] && seen[KF_SITE_FLT_ON_DEMAND] && seen[KF_SITE_FLT_LOWER]);
    CHECK(seen[KF_SITE_POOL]);
    CHECK_EQ(sites_seen, 7);
}
