/*
 * test_minifilter_bugs.c - drives drivers/minifilter_bugs.c and checks that the model reports
 * each of its known bug patterns the way a person debugging it needs: the use after free as
 * AddressSanitizer's heap-use-after-free, the leak on the error path as a stop at unload (and
 * in kf_leaks), the retry in a completion routine as the bug check a DISPATCH_LEVEL completion
 * causes. Each also shows that the bug stays hidden on the paths a plain test takes.
 */
#include "kft.h"
#include <fltKernel.h>
#include "kfault/flt_model.h"

#include <string.h>

typedef struct _BUGS_READ_CONTEXT {
    PVOID Buffer;
    ULONG Length;
    ULONG Retries;
    volatile BOOLEAN Done;
    NTSTATUS Status;
    ULONG_PTR BytesRead;
} BUGS_READ_CONTEXT, *PBUGS_READ_CONTEXT;

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS BugsQueryFileSize(PFILE_OBJECT FileObject, PLARGE_INTEGER Size);
NTSTATUS BugsReadHeader(PFILE_OBJECT FileObject, PVOID Header);
NTSTATUS BugsReadAsync(PFILE_OBJECT FileObject, PBUGS_READ_CONTEXT Context, BOOLEAN Careful);
extern PFLT_FILTER gBugsFilter;

static DRIVER_OBJECT driver;
static UNICODE_STRING registry_path = RTL_CONSTANT_STRING(u"\\Registry\\Machine\\System\\Bugs");
static FILE_OBJECT file;

/* A file system whose reads fail `read_failures` times (STATUS_FILE_CLOSED) then succeed. */
static int read_failures;
static void file_system(void *ctx, kf_flt_lower_io *io)
{
    PFLT_IO_PARAMETER_BLOCK iopb = io->data->Iopb;
    if (iopb->MajorFunction == IRP_MJ_READ && read_failures > 0) {
        read_failures--;
        io->status = STATUS_FILE_CLOSED;
        io->information = 0;
    }
    if (iopb->MajorFunction == IRP_MJ_QUERY_INFORMATION && !io->fault) {
        PFILE_STANDARD_INFORMATION info = iopb->Parameters.QueryFileInformation.InfoBuffer;
        info->EndOfFile.QuadPart = 4096;
        io->information = sizeof *info;
    }
}

static void load(void)
{
    memset(&driver, 0, sizeof driver);
    read_failures = 0;
    kf_flt_set_lower_hook(file_system, NULL);
    CHECK_EQ(DriverEntry(&driver, &registry_path), STATUS_SUCCESS);
}

static kf_stop stop;
static int stopped_with(ULONG code, ULONG_PTR p1)
{
    if (stop.code == code && stop.param[0] == p1)
        return 1;
    char report[1024];
    kf_stop_format(&stop, report, sizeof report);
    fprintf(stderr, "  unexpected stop:\n%s", report);
    return 0;
}

/* ---- Bug 1: IoStatus read after FltFreeCallbackData ------------------------------------------- */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_ASAN)
#define HAVE_ASAN 1
#endif

#ifdef HAVE_ASAN
static void query_size(void)
{
    LARGE_INTEGER size;
    load();
    (void)BugsQueryFileSize(&file, &size);
}
TEST(bug_use_after_free_reported)
{
    CHECK(kft_expect_death(query_size, "heap-use-after-free"));
    /* ASan names the routine that freed the memory. */
    CHECK(kft_expect_death(query_size, "FltFreeCallbackData"));
}
#endif

/* ---- Bug 2: leak on the error path ------------------------------------------------------------ */

static void unload(void *a) { (void)kf_flt_unload(gBugsFilter, 0); }

TEST(bug_leak_hidden_on_success)
{
    UCHAR header[64];
    load();
    CHECK_EQ(BugsReadHeader(&file, header), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    CHECK(!kft_stops(unload, NULL, &stop));
}

TEST(bug_leak_on_error_path_reported)
{
    UCHAR header[64];
    load();
    read_failures = 1;
    CHECK_EQ(BugsReadHeader(&file, header), STATUS_FILE_CLOSED);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.callback_data, 1);
    CHECK(kft_stops(unload, NULL, &stop));
    CHECK(stopped_with(DRIVER_VERIFIER_DETECTED_VIOLATION, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
    CHECK(stop.routine && strcmp(stop.routine, "FltUnregisterFilter") == 0);
    CHECK_EQ(stop.param[1], 1);
}

static void leak_then_unload_unguarded(void)
{
    UCHAR header[64];
    load();
    read_failures = 1;
    (void)BugsReadHeader(&file, header);
    (void)kf_flt_unload(gBugsFilter, 0);
}
TEST(bug_leak_report_without_guard)
{
    /* Without a guard the stop prints its report and aborts, so a fuzzer keeps the input. */
    CHECK(kft_expect_death(leak_then_unload_unguarded, "flt-callback-data-outstanding"));
    CHECK(kft_expect_death(leak_then_unload_unguarded, "routine: FltUnregisterFilter"));
}

/* Systematic fault injection finds the same leak with no hand-written failure: failing the
 * lower layers' site makes the read fail. */
static void read_and_unload(void *a)
{
    UCHAR header[64];
    memset(&driver, 0, sizeof driver);
    kf_flt_set_lower_hook(file_system, NULL);
    if (!NT_SUCCESS(DriverEntry(&driver, &registry_path)))
        return; /* the filter could not register: nothing to unload */
    if (kf_flt_instance(gBugsFilter, 0) != NULL)
        (void)BugsReadHeader(&file, header);
    (void)kf_flt_unload(gBugsFilter, 0);
}
TEST(bug_leak_found_by_fault_sweep)
{
    unsigned found_at = 0;
    for (unsigned nth = 1; nth < 50 && !found_at; nth++) {
        char opt[32];
        snprintf(opt, sizeof opt, "fail_nth=%u", nth);
        kft_options(opt);
        if (kft_stops(read_and_unload, NULL, &stop)) {
            CHECK(stopped_with(DRIVER_VERIFIER_DETECTED_VIOLATION, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
            found_at = nth;
        } else if (kf_fault_get_stats()->total_injected == 0) {
            break;
        }
    }
    CHECK(found_at != 0);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_FLT_ON_DEMAND] + kf_fault_get_stats()->injected[KF_SITE_FLT_LOWER],
             1);
}

/* ---- Bug 3: FltReuseCallbackData in a completion routine -------------------------------------- */

static UCHAR read_buffer[128];
static BUGS_READ_CONTEXT read_ctx;

static void read_async(void *careful)
{
    memset(&read_ctx, 0, sizeof read_ctx);
    read_ctx.Buffer = read_buffer;
    read_ctx.Length = sizeof read_buffer;
    NTSTATUS s = BugsReadAsync(&file, &read_ctx, careful != NULL);
    CHECK(s == STATUS_PENDING || s == STATUS_SUCCESS);
    kf_flt_run_pending_completions();
    kf_flt_run_pending_completions(); /* the retry, if one was started */
}

TEST(bug_reuse_in_completion_hidden_at_passive)
{
    load();
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    read_failures = 1;
    CHECK(!kft_stops(read_async, NULL, &stop));
    CHECK(read_ctx.Done);
    CHECK_EQ(read_ctx.Retries, 1);
    CHECK_EQ(read_ctx.Status, STATUS_SUCCESS);
    CHECK_EQ(read_ctx.BytesRead, sizeof read_buffer);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

TEST(bug_reuse_in_completion_at_dispatch_reported)
{
    load();
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    /* A read that succeeds never retries: no bug check. */
    CHECK(!kft_stops(read_async, NULL, &stop));
    CHECK(read_ctx.Done);
    /* A read that fails retries from the completion, at DISPATCH_LEVEL. */
    read_failures = 1;
    CHECK(kft_stops(read_async, NULL, &stop));
    CHECK(stopped_with(IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL));
    CHECK_EQ(stop.param[1], DISPATCH_LEVEL);
    CHECK(stop.routine && strcmp(stop.routine, "FltReuseCallbackData") == 0);
}

TEST(careful_completion_at_dispatch_is_fine)
{
    load();
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    read_failures = 1;
    CHECK(!kft_stops(read_async, (void *)1, &stop));
    CHECK(read_ctx.Done);
    CHECK_EQ(read_ctx.Status, STATUS_FILE_CLOSED);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    CHECK(!kft_stops(unload, NULL, &stop));
}
