/*
 * test_flt_fileio.c - the file I/O a minifilter issues through Filter Manager (FltCreateFile*,
 * FltClose, FltReadFile(Ex), FltWriteFile(Ex), the information, volume and directory queries,
 * flushes, controls, FltLockUserBuffer, FltDecodeParameters) on the modeled file system. Rules
 * FI-1 .. FI-20 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

#define VOL1 L"\\Device\\HarddiskVolume1"

static PFLT_INSTANCE inst;

static const kf_flt_file_spec docs = {L"\\docs", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
static const kf_flt_file_spec hello = {L"\\docs\\hello.txt", 0, "hello, world", 12};

static void fresh(void)
{
    fx_fresh();
    inst = fx_start();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
}

/* What the layers below saw, one letter per major function: C create, X close, R read, W write,
 * Q query information, S set information, F flush, V volume query, D directory control, K
 * cleanup, f file system control, i device control; '?' anything else. */
static char seen[64];
static PFLT_INSTANCE seen_instance;
static ULONG seen_irp_flags;
static char letter(UCHAR m)
{
    switch (m) {
    case IRP_MJ_CREATE: return 'C';
    case IRP_MJ_CLOSE: return 'X';
    case IRP_MJ_READ: return 'R';
    case IRP_MJ_WRITE: return 'W';
    case IRP_MJ_QUERY_INFORMATION: return 'Q';
    case IRP_MJ_SET_INFORMATION: return 'S';
    case IRP_MJ_FLUSH_BUFFERS: return 'F';
    case IRP_MJ_QUERY_VOLUME_INFORMATION: return 'V';
    case IRP_MJ_DIRECTORY_CONTROL: return 'D';
    case IRP_MJ_CLEANUP: return 'K';
    case IRP_MJ_FILE_SYSTEM_CONTROL: return 'f';
    case IRP_MJ_DEVICE_CONTROL: return 'i';
    default: return '?';
    }
}
static void record(void *ctx, kf_flt_lower_io *io)
{
    (void)ctx;
    size_t n = strlen(seen);
    if (n + 1 < sizeof seen) {
        seen[n] = letter(io->data->Iopb->MajorFunction);
        seen[n + 1] = 0;
    }
    seen_instance = io->data->Iopb->TargetInstance;
    seen_irp_flags = io->data->Iopb->IrpFlags;
}
static void watch(void)
{
    seen[0] = 0;
    kf_flt_set_lower_hook(record, NULL);
}

static OBJECT_ATTRIBUTES oa;
static UNICODE_STRING oa_name;
static POBJECT_ATTRIBUTES attrs(const WCHAR *path, ULONG attributes, HANDLE root)
{
    RtlInitUnicodeString(&oa_name, path);
    InitializeObjectAttributes(&oa, &oa_name, attributes, root, NULL);
    return &oa;
}

static IO_STATUS_BLOCK iosb;
static NTSTATUS open_file(const WCHAR *path, ACCESS_MASK access, ULONG share, ULONG disposition, ULONG options,
                          HANDLE *h, PFILE_OBJECT *fo)
{
    memset(&iosb, 0x5A, sizeof iosb);
    return FltCreateFileEx2(fx_filter, inst, h, fo, access, attrs(path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL),
                            &iosb, NULL, FILE_ATTRIBUTE_NORMAL, share, disposition, options, NULL, 0, 0, NULL);
}

/* Opens a file for synchronous reading and writing; the test holds its handle and object. */
static PFILE_OBJECT open_sync(const WCHAR *path, HANDLE *h)
{
    PFILE_OBJECT fo = NULL;
    CHECK_EQ(open_file(path, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                       FILE_SYNCHRONOUS_IO_NONALERT, h, &fo),
             STATUS_SUCCESS);
    return fo;
}

static void done_with(HANDLE h, PFILE_OBJECT fo)
{
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    ObDereferenceObject(fo);
}

static void no_leaks(void)
{
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.handles, 0);
    CHECK_EQ(l.objects, 0);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
}

/* ---- FI-1, FI-2 the create ---------------------------------------------------------------------- */

TEST(create_read_close_round_trip)
{
    fresh();
    watch();
    HANDLE h = NULL;
    PFILE_OBJECT fo = NULL;
    NTSTATUS st = FltCreateFileEx2(fx_filter, inst, &h, &fo, GENERIC_READ | SYNCHRONIZE,
                                   attrs(VOL1 L"\\Docs\\HELLO.txt", OBJ_KERNEL_HANDLE, NULL), &iosb, NULL, 0,
                                   FILE_SHARE_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE,
                                   NULL, 0, 0, NULL);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(iosb.Status, STATUS_SUCCESS);
    CHECK_EQ(iosb.Information, FILE_OPENED);
    CHECK(h != NULL && ((ULONG_PTR)h & 0x80000000u)); /* a kernel handle */
    CHECK(fo != NULL && fo->FsContext != NULL);
    CHECK(fo->Flags & FO_SYNCHRONOUS_IO);
    CHECK_EQ(fo->FileName.Length, sizeof(L"\\Docs\\HELLO.txt") - sizeof(WCHAR)); /* the path after the volume */
    CHECK(seen_instance == inst);
    CHECK(seen_irp_flags & IRP_CREATE_OPERATION);
    FILE_STANDARD_INFORMATION si;
    ULONG got = 0;
    CHECK_EQ(FltQueryInformationFile(inst, fo, &si, sizeof si, FileStandardInformation, &got), STATUS_SUCCESS);
    CHECK_EQ(got, sizeof si);
    CHECK_EQ(si.EndOfFile.QuadPart, 12);
    char buf[16];
    ULONG n = 99;
    CHECK_EQ(FltReadFile(inst, fo, NULL, 5, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 5);
    LARGE_INTEGER at = {.QuadPart = 7};
    CHECK_EQ(FltReadFile(inst, fo, &at, sizeof buf, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 12);
    CHECK_EQ(FltReadFile(inst, fo, NULL, 4, buf, 0, &n, NULL, NULL), STATUS_END_OF_FILE);
    CHECK_EQ(n, 0);
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    CHECK(strcmp(seen, "CQRRRK") == 0); /* ...cleanup at the last handle; the object is still held */
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.handles, 0);
    CHECK_EQ(l.objects, 1); /* the driver's reference on the file object */
    ObDereferenceObject(fo);
    CHECK(strcmp(seen, "CQRRRKX") == 0); /* the close, at the last reference */
    no_leaks();
    kf_flt_set_lower_hook(NULL, NULL);
}

TEST(create_file_without_object_and_statuses)
{
    fresh();
    HANDLE h = NULL;
    memset(&iosb, 0x5A, sizeof iosb);
    CHECK_EQ(FltCreateFile(fx_filter, NULL, &h, FILE_GENERIC_READ, attrs(VOL1 L"\\docs\\nope.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(h == NULL);
    CHECK_EQ(iosb.Status, STATUS_OBJECT_NAME_NOT_FOUND); /* the file system answered */
    memset(&iosb, 0x5A, sizeof iosb);
    CHECK_EQ(FltCreateFile(fx_filter, NULL, &h, FILE_GENERIC_READ, attrs(L"\\??\\C:\\docs\\hello.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_OBJECT_PATH_NOT_FOUND);
    CHECK_EQ(iosb.Status, 0x5A5A5A5A); /* refused before any layer: the block is untouched */
    CHECK_EQ(FltCreateFile(fx_filter, NULL, &h, FILE_GENERIC_READ, attrs(L"docs\\hello.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_OBJECT_PATH_SYNTAX_BAD);
    CHECK_EQ(FltCreateFile(fx_filter, NULL, &h, FILE_GENERIC_READ, attrs(L"", OBJ_KERNEL_HANDLE, NULL), &iosb, NULL, 0,
                           0, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_OBJECT_NAME_INVALID);
    /* Instance NULL: the filter's own instance on the volume the name names. */
    watch();
    CHECK_EQ(FltCreateFile(fx_filter, NULL, &h, FILE_GENERIC_READ, attrs(VOL1 L"\\docs\\hello.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, 0, FILE_SHARE_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0),
             STATUS_SUCCESS);
    CHECK(seen_instance == inst);
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    CHECK(strcmp(seen, "CKX") == 0); /* no FileObject asked for: the handle held the only reference */
    /* A new file, then a collision. */
    CHECK_EQ(FltCreateFile(fx_filter, inst, &h, FILE_GENERIC_WRITE, attrs(VOL1 L"\\docs\\new.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, FILE_ATTRIBUTE_HIDDEN, 0, FILE_CREATE, 0, NULL, 0, 0),
             STATUS_SUCCESS);
    CHECK_EQ(iosb.Information, FILE_CREATED);
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    CHECK_EQ(FltCreateFile(fx_filter, inst, &h, FILE_GENERIC_WRITE, attrs(VOL1 L"\\docs\\new.txt", OBJ_KERNEL_HANDLE, NULL),
                           &iosb, NULL, 0, 0, FILE_CREATE, 0, NULL, 0, 0),
             STATUS_OBJECT_NAME_COLLISION);
    CHECK_EQ(kf_flt_files(0), 3);
    no_leaks();
    kf_flt_set_lower_hook(NULL, NULL);
}

TEST(create_parameter_checks)
{
    fresh();
    HANDLE h = NULL;
    PFILE_OBJECT fo = NULL;
    const WCHAR *p = VOL1 L"\\docs\\hello.txt";
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, 9, 0, &h, &fo), STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0x01000000, &h, &fo), STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_READ_DATA, 0, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &h, &fo), STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT, &h,
                       &fo),
             STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, FILE_DELETE_ON_CLOSE, &h, &fo), STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(VOL1 L"\\docs", FILE_GENERIC_READ, 0, FILE_OVERWRITE_IF, FILE_DIRECTORY_FILE, &h, &fo),
             STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 8, FILE_OPEN, 0, &h, &fo), STATUS_INVALID_PARAMETER);
    CHECK_EQ(open_file(p, FILE_GENERIC_WRITE, 0, FILE_OPEN, FILE_NO_INTERMEDIATE_BUFFERING, &h, &fo),
             STATUS_INVALID_PARAMETER); /* FILE_APPEND_DATA with no buffering */
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0x80000000u, 0, FILE_OPEN, 0, NULL, 0, 0, NULL),
             STATUS_INVALID_PARAMETER); /* attributes */
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0, 0, FILE_OPEN, 0, NULL, 0, 0x00100000, NULL),
             STATUS_INVALID_PARAMETER); /* Flags */
    /* IO_NO_PARAMETER_CHECKING: the I/O manager's checks are skipped. */
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_READ_DATA, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL, 0,
                              FILE_SHARE_READ, FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, IO_NO_PARAMETER_CHECKING,
                              NULL),
             STATUS_SUCCESS);
    done_with(h, fo);
    char ea[16] = {0};
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0, 0, FILE_OPEN, 0, ea, sizeof ea, 0, NULL),
             STATUS_EAS_NOT_SUPPORTED);
    IO_DRIVER_CREATE_CONTEXT dc;
    IoInitializeDriverCreateContext(&dc);
    dc.Size = 3;
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0, 0, &dc),
             STATUS_INVALID_PARAMETER);
    IoInitializeDriverCreateContext(&dc);
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0, 0, &dc),
             STATUS_SUCCESS);
    done_with(h, fo);
    CHECK(h != NULL && fo != NULL);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_FLT_DELETING_OBJECT);
    CHECK(h == NULL && fo == NULL);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    no_leaks();
}

TEST(create_relative_to_a_directory_handle)
{
    fresh();
    HANDLE dir = NULL, h = NULL;
    PFILE_OBJECT dfo = NULL, fo = NULL, abs = NULL;
    CHECK_EQ(open_file(VOL1 L"\\docs", FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_SHARE_READ, FILE_OPEN,
                       FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &dir, &dfo),
             STATUS_SUCCESS);
    CHECK_EQ(FltCreateFileEx(fx_filter, inst, &h, &fo, FILE_GENERIC_READ, attrs(L"hello.txt", OBJ_KERNEL_HANDLE, dir),
                             &iosb, NULL, 0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_SUCCESS);
    CHECK(fo->RelatedFileObject == dfo);
    HANDLE h2 = NULL;
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, 0, &h2, &abs),
             STATUS_SUCCESS);
    CHECK(fo->FsContext == abs->FsContext);
    done_with(h2, abs);
    CHECK_EQ(FltCreateFileEx(fx_filter, inst, &h2, &abs, FILE_GENERIC_READ, attrs(L"\\hello.txt", OBJ_KERNEL_HANDLE, dir),
                             &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0),
             STATUS_OBJECT_PATH_SYNTAX_BAD);
    CHECK_EQ(FltCreateFileEx(fx_filter, inst, &h2, &abs, FILE_GENERIC_READ,
                             attrs(L"hello.txt", OBJ_KERNEL_HANDLE, NtCurrentProcess()), &iosb, NULL, 0, 0, FILE_OPEN, 0,
                             NULL, 0, 0),
             STATUS_OBJECT_TYPE_MISMATCH);
    done_with(h, fo);
    done_with(dir, dfo);
    no_leaks();
}

TEST(create_on_another_volume_than_the_instance)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    inst = fx_start();
    PFLT_INSTANCE inst1 = kf_flt_instance(fx_filter, 1);
    kf_flt_file_spec f = {L"\\b.txt", 0, "b", 1};
    CHECK_EQ(kf_flt_add_file(1, &f), 0);
    HANDLE h = NULL;
    PFILE_OBJECT fo = NULL;
    CHECK_EQ(open_file(L"\\Device\\HarddiskVolume2\\b.txt", FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo),
             STATUS_INVALID_DEVICE_OBJECT_PARAMETER);
    inst = inst1;
    CHECK_EQ(open_file(L"\\Device\\HarddiskVolume2\\b.txt", FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_SUCCESS);
    char c;
    LARGE_INTEGER zero = {.QuadPart = 0};
    ULONG n = 0;
    CHECK_EQ(FltReadFile(inst1, fo, &zero, 1, &c, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(c, 'b');
    done_with(h, fo);
    no_leaks();
}

static struct {
    int which;
    HANDLE h;
    PFILE_OBJECT fo;
} cs;
static void create_misuse(void *arg)
{
    (void)arg;
    const WCHAR *p = VOL1 L"\\docs\\hello.txt";
    switch (cs.which) {
    case 0:
        kf_set_irql(APC_LEVEL);
        (void)open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &cs.h, &cs.fo);
        break;
    case 1:
        (void)FltCreateFileEx2((PFLT_FILTER)&cs, inst, &cs.h, &cs.fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL),
                               &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0, NULL);
        break;
    case 2:
        (void)FltCreateFileEx2(fx_filter, inst, NULL, &cs.fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb,
                               NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0, NULL);
        break;
    case 3:
        (void)FltCreateFile(fx_filter, inst, &cs.h, FILE_GENERIC_READ, NULL, &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0);
        break;
    case 4:
        (void)FltCreateFileEx2(fx_filter, inst, &cs.h, &cs.fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), NULL,
                               NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0, NULL);
        break;
    case 5:
        (void)FltCreateFileEx2(fx_filter, (PFLT_INSTANCE)&cs, &cs.h, &cs.fo, FILE_GENERIC_READ,
                               attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0, NULL);
        break;
    case 6:
        kf_set_user_process_context(TRUE);
        (void)FltCreateFileEx2(fx_filter, inst, &cs.h, &cs.fo, FILE_GENERIC_READ, attrs(p, 0, NULL), &iosb, NULL, 0, 0,
                               FILE_OPEN, 0, NULL, 0, 0, NULL);
        break;
    case 7:
        KeEnterCriticalRegion();
        (void)open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &cs.h, &cs.fo);
        break;
    case 8:
        IoSetTopLevelIrp((PIRP)(ULONG_PTR)1);
        (void)open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &cs.h, &cs.fo);
        break;
    case 9: {
        IO_DRIVER_CREATE_CONTEXT dc;
        IoInitializeDriverCreateContext(&dc);
        dc.ExtraCreateParameter = (PECP_LIST)&cs;
        (void)FltCreateFileEx2(fx_filter, inst, &cs.h, &cs.fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb,
                               NULL, 0, 0, FILE_OPEN, 0, NULL, 0, 0, &dc);
        break;
    }
    case 10:
        (void)FltCreateFileEx2(fx_filter, inst, &cs.h, &cs.fo, FILE_GENERIC_READ, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb,
                               NULL, 0, 0, FILE_OPEN, 0, NULL, 0, IO_OPEN_TARGET_DIRECTORY, NULL);
        break;
    }
}

TEST(create_misuse_stops)
{
    fresh();
    cs.which = 0;
    CHECK(fx_bugcheck(create_misuse, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    cs.which = 1;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_INVALID_FILTER));
    cs.which = 2;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 3);
    cs.which = 3;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 5);
    cs.which = 4;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 7);
    cs.which = 5;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    cs.which = 6;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_OB_USER_HANDLE_OPENED));
    kf_set_user_process_context(FALSE);
    cs.which = 7;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_FILEIO_APCS_DISABLED));
    KeLeaveCriticalRegion();
    cs.which = 8;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_FLT_FILEIO_TOP_LEVEL_IRP));
    IoSetTopLevelIrp(NULL);
    cs.which = 9;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_NOT_MODELED));
    cs.which = 10;
    CHECK(fx_violation(create_misuse, NULL, KF_VIOL_NOT_MODELED));
    no_leaks();
}

static PFLT_INSTANCE foreign_instance;
static void create_with_foreign_instance(void *arg)
{
    (void)arg;
    HANDLE h;
    PFILE_OBJECT fo;
    (void)FltCreateFileEx2(fx_filter, foreign_instance, &h, &fo, FILE_GENERIC_READ,
                           attrs(VOL1 L"\\docs\\hello.txt", OBJ_KERNEL_HANDLE, NULL), &iosb, NULL, 0, 0, FILE_OPEN, 0,
                           NULL, 0, 0, NULL);
}

TEST(create_with_another_filters_instance)
{
    fresh();
    static DRIVER_OBJECT other_driver;
    PFLT_FILTER other = NULL;
    CHECK_EQ(FltRegisterFilter(&other_driver, &fx_registration, &other), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(other), STATUS_SUCCESS);
    foreign_instance = kf_flt_instance(other, 0);
    CHECK(fx_violation(create_with_foreign_instance, NULL, KF_VIOL_FLT_FILEIO_FOREIGN_INSTANCE));
}

TEST(create_fault_sites)
{
    fresh();
    HANDLE h = (HANDLE)1;
    PFILE_OBJECT fo = (PFILE_OBJECT)1;
    const WCHAR *p = VOL1 L"\\docs\\hello.txt";
    fx_fail_site(KF_SITE_FLT_CREATE, 1, KF_FAULT_HARD);
    memset(&iosb, 0x5A, sizeof iosb);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(h == NULL && fo == NULL);
    CHECK_EQ(iosb.Status, 0x5A5A5A5A);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_CREATE), 1);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_CALLBACK_DATA), 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 0);
    no_leaks();
    /* The handle table: the file it opened is cleaned up and closed again. */
    watch();
    fx_fail_site(KF_SITE_OB_HANDLE, 0, KF_FAULT_HARD);
    CHECK_EQ(open_file(VOL1 L"\\docs\\made.txt", FILE_GENERIC_WRITE, 0, FILE_CREATE, 0, &h, &fo),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(h == NULL && fo == NULL);
    CHECK(strcmp(seen, "CKX") == 0);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\made.txt", NULL, NULL), 0); /* created all the same */
    no_leaks();
    /* The layers below run short. */
    fx_fail_site(KF_SITE_FLT_LOWER, 0, KF_FAULT_HARD);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(iosb.Status, STATUS_INSUFFICIENT_RESOURCES);
    no_leaks();
    fx_no_faults();
    kf_flt_set_lower_hook(NULL, NULL);
}

/* ---- FI-5, FI-6 FltClose ------------------------------------------------------------------------ */

static HANDLE close_me;
static void close_it(void *arg)
{
    (void)arg;
    (void)FltClose(close_me);
}
static void close_at_apc(void *arg)
{
    (void)arg;
    kf_set_irql(APC_LEVEL);
    (void)FltClose(close_me);
}

TEST(close_rules)
{
    fresh();
    CHECK_EQ(FltClose(NULL), STATUS_INVALID_HANDLE);
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    close_me = h;
    CHECK(fx_bugcheck(close_at_apc, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    CHECK(fx_bugcheck(close_it, NULL, INVALID_KERNEL_HANDLE, (ULONG_PTR)h, 1)); /* a second FltClose */
    close_me = (HANDLE)(ULONG_PTR)0x1230;
    CHECK(fx_bugcheck(close_it, NULL, INVALID_KERNEL_HANDLE, 0x1230, 1)); /* never issued */
    /* A handle of another kind: ObOpenObjectByPointer on the same file object. */
    HANDLE other = NULL;
    CHECK_EQ(ObOpenObjectByPointer(fo, OBJ_KERNEL_HANDLE, NULL, FILE_READ_DATA, *IoFileObjectType, KernelMode, &other),
             STATUS_SUCCESS);
    close_me = other;
    CHECK(fx_violation(close_it, NULL, KF_VIOL_FLT_CLOSE_FOREIGN_HANDLE));
    CHECK_EQ(ZwClose(other), STATUS_SUCCESS);
    ObDereferenceObject(fo);
    /* A handle the driver closed with ZwClose: the use after close. */
    fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    close_me = h;
    CHECK(fx_violation(close_it, NULL, KF_VIOL_OB_HANDLE_AFTER_CLOSE));
    ObDereferenceObject(fo); /* the close still reaches the file system */
    no_leaks();
}

TEST(close_sends_cleanup_per_file_object_and_close_at_last_reference)
{
    fresh();
    watch();
    HANDLE a, b;
    PFILE_OBJECT fa = open_sync(VOL1 L"\\docs\\hello.txt", &a);
    PFILE_OBJECT fb = open_sync(VOL1 L"\\docs\\hello.txt", &b);
    CHECK(fa != fb && fa->FsContext == fb->FsContext);
    fx_fail_site(KF_SITE_FLT_LOWER, 0, KF_FAULT_HARD); /* cleanup and close cannot fail for memory */
    unsigned long long lower = fx_consulted(KF_SITE_FLT_LOWER);
    CHECK_EQ(FltClose(a), STATUS_SUCCESS);
    CHECK(fa->Flags & FO_CLEANUP_COMPLETE);
    CHECK(!(fb->Flags & FO_CLEANUP_COMPLETE));
    ObDereferenceObject(fa);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), lower);
    CHECK(strcmp(seen, "CCKX") == 0);
    fx_no_faults();
    done_with(b, fb);
    CHECK(strcmp(seen, "CCKXKX") == 0);
    no_leaks();
    kf_flt_set_lower_hook(NULL, NULL);
}

TEST(share_access_between_opens)
{
    fresh();
    HANDLE a, b;
    PFILE_OBJECT fa = NULL, fb = NULL;
    const WCHAR *p = VOL1 L"\\docs\\hello.txt";
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, 0, &a, &fa), STATUS_SUCCESS);
    CHECK_EQ(open_file(p, FILE_GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, &b, &fb),
             STATUS_SHARING_VIOLATION); /* the first open shares no writing */
    CHECK_EQ(open_file(p, FILE_READ_ATTRIBUTES, 0, FILE_OPEN, 0, &b, &fb), STATUS_SUCCESS); /* no data access */
    done_with(b, fb);
    CHECK_EQ(open_file(p, FILE_GENERIC_READ, FILE_SHARE_WRITE, FILE_OPEN, 0, &b, &fb),
             STATUS_SHARING_VIOLATION); /* the first open reads, this one does not share reading */
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &b, &fb, FILE_GENERIC_WRITE, attrs(p, OBJ_KERNEL_HANDLE, NULL), &iosb, NULL,
                              0, 0, FILE_OPEN, 0, NULL, 0, IO_IGNORE_SHARE_ACCESS_CHECK, NULL),
             STATUS_SUCCESS);
    done_with(b, fb);
    CHECK(fa->ReadAccess && fa->SharedRead && !fa->SharedWrite);
    done_with(a, fa); /* its cleanup releases the share access */
    CHECK_EQ(open_file(p, FILE_GENERIC_WRITE, 0, FILE_OPEN, 0, &b, &fb), STATUS_SUCCESS);
    done_with(b, fb);
    no_leaks();
}

/* ---- FI-7 .. FI-9 reads and writes ----------------------------------------------------------------- */

static struct {
    int which;
    PFILE_OBJECT fo;
    PFLT_INSTANCE inst;
} rw;
static char rw_buf[64];
static void rw_misuse(void *arg)
{
    (void)arg;
    LARGE_INTEGER zero = {.QuadPart = 0};
    ULONG n;
    switch (rw.which) {
    case 0:
        kf_set_irql(APC_LEVEL);
        (void)FltReadFile(inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 1:
        kf_set_irql(DISPATCH_LEVEL);
        (void)FltReadFile(inst, rw.fo, &zero, 4, rw_buf, FLTFL_IO_OPERATION_PAGING, &n, NULL, NULL);
        break;
    case 2:
        (void)FltReadFile(NULL, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 3:
        (void)FltReadFile(inst, NULL, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 4:
        (void)FltReadFile(inst, rw.fo, &zero, 4, NULL, 0, &n, NULL, NULL);
        break;
    case 5:
        (void)FltReadFile(inst, rw.fo, &zero, 4, rw_buf, 0x10, &n, NULL, NULL);
        break;
    case 6:
        (void)FltReadFile(inst, rw.fo, &zero, 4, rw_buf, FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING, &n, NULL, NULL);
        break;
    case 7:
        (void)FltReadFile(rw.inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 8:
        (void)FltWriteFile(inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 9:
        KeEnterCriticalRegion();
        (void)FltReadFile(inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL);
        break;
    case 10: {
        PMDL m = IoAllocateMdl(rw_buf, 4, FALSE, FALSE, NULL);
        (void)FltReadFileEx(inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL, NULL, m);
        break;
    }
    case 11:
        (void)FltReadFileEx(inst, rw.fo, &zero, 4, rw_buf, 0, &n, NULL, NULL, NULL, NULL);
        break;
    }
}

TEST(read_write_misuse_stops)
{
    fresh();
    HANDLE h;
    rw.fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    rw.which = 0;
    CHECK(fx_bugcheck(rw_misuse, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    rw.which = 1;
    CHECK(fx_bugcheck(rw_misuse, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    rw.which = 2;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_NULL_INSTANCE));
    rw.which = 3;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 2);
    rw.which = 4;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 5);
    rw.which = 5;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_BAD_FLAGS));
    rw.which = 6;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_BAD_FLAGS));
    rw.which = 9;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_APCS_DISABLED));
    KeLeaveCriticalRegion();
    rw.which = 10;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_BAD_FLAGS)); /* a Buffer and an Mdl */
    /* A file object never opened, and one cleaned up. */
    PFILE_OBJECT raw = rw.fo;
    rw.fo = kf_flt_new_file_object(0, L"\\docs\\hello.txt", NULL);
    rw.which = 8;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_NOT_OPEN));
    ObDereferenceObject(rw.fo);
    rw.fo = raw;
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    rw.which = 8;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_NOT_OPEN));
    LARGE_INTEGER zero = {.QuadPart = 0};
    ULONG n = 0;
    CHECK_EQ(FltReadFile(inst, rw.fo, &zero, 4, rw_buf, FLTFL_IO_OPERATION_PAGING | FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING,
                         &n, NULL, NULL),
             STATUS_INVALID_PARAMETER); /* paging I/O after cleanup is allowed; 4 bytes are no sector */
    ObDereferenceObject(rw.fo);
    /* Windows 8 and later. */
    kft_options("profile=win7-amd64");
    fresh();
    rw.fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    rw.which = 11;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
    done_with(h, rw.fo);
    kft_options("");
    no_leaks();
}

TEST(read_write_on_another_volumes_instance)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    inst = fx_start();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    HANDLE h;
    rw.fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    rw.inst = kf_flt_instance(fx_filter, 1);
    rw.which = 7;
    CHECK(fx_violation(rw_misuse, NULL, KF_VIOL_FLT_FILEIO_WRONG_VOLUME));
    done_with(h, rw.fo);
}

TEST(read_write_offsets_and_flags)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = NULL;
    LARGE_INTEGER at = {.QuadPart = 0};
    ULONG n = 0;
    char buf[1024];
    /* An asynchronous file object: an offset is required and its position never moves. */
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE, 0, FILE_OPEN, 0, &h, &fo),
             STATUS_SUCCESS);
    CHECK_EQ(FltReadFile(inst, fo, NULL, 4, buf, 0, &n, NULL, NULL), STATUS_INVALID_PARAMETER);
    LARGE_INTEGER ptr = {.u = {FILE_USE_FILE_POINTER_POSITION, -1}};
    CHECK_EQ(FltReadFile(inst, fo, &ptr, 4, buf, 0, &n, NULL, NULL), STATUS_INVALID_PARAMETER);
    at.QuadPart = 7;
    CHECK_EQ(FltReadFile(inst, fo, &at, 5, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 0);
    /* Writes: an append at the end, then the read sees it. */
    at.QuadPart = 12;
    CHECK_EQ(FltWriteFile(inst, fo, &at, 3, "!!!", 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(n, 3);
    ULONG size = 0;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, &size), 0);
    CHECK_EQ(size, 15);
    /* Non-cached: whole sectors (512 by default), short at the end of the file. */
    at.QuadPart = 0;
    CHECK_EQ(FltReadFile(inst, fo, &at, 512, buf, FLTFL_IO_OPERATION_NON_CACHED, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(n, 15);
    CHECK_EQ(FltReadFile(inst, fo, &at, 100, buf, FLTFL_IO_OPERATION_NON_CACHED, &n, NULL, NULL),
             STATUS_INVALID_PARAMETER);
    at.QuadPart = 3;
    CHECK_EQ(FltReadFile(inst, fo, &at, 512, buf, FLTFL_IO_OPERATION_NON_CACHED, &n, NULL, NULL),
             STATUS_INVALID_PARAMETER);
    /* Paging I/O at APC_LEVEL: allowed; a paging write never extends the file. */
    at.QuadPart = 0;
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltWriteFile(inst, fo, &at, 1024, buf, FLTFL_IO_OPERATION_PAGING, &n, NULL, NULL), STATUS_SUCCESS);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(n, 15);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, &size), 0);
    CHECK_EQ(size, 15);
    done_with(h, fo);
    /* A synchronous file object: NULL is the current position; DO_NOT_UPDATE leaves it. */
    fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    CHECK_EQ(FltReadFile(inst, fo, NULL, 2, buf, FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, &n, NULL, NULL),
             STATUS_SUCCESS);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 0);
    CHECK_EQ(FltReadFile(inst, fo, &ptr, 2, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 2);
    done_with(h, fo);
    /* A bigger sector size. */
    kf_flt_volume_identity id = {NULL, FALSE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    at.QuadPart = 0;
    CHECK_EQ(FltReadFile(inst, fo, &at, 512, buf, FLTFL_IO_OPERATION_NON_CACHED, &n, NULL, NULL),
             STATUS_INVALID_PARAMETER);
    done_with(h, fo);
    /* A file object the model did not make: the lower layers' defaults (F-18). */
    static FILE_OBJECT foreign;
    CHECK_EQ(FltReadFile(inst, &foreign, &at, 6, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(n, 6);
    no_leaks();
}

TEST(read_ex_into_an_mdl)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    static char target[16];
    PMDL m = IoAllocateMdl(target, sizeof target, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    LARGE_INTEGER at = {.QuadPart = 0};
    ULONG n = 0, key = 7;
    CHECK_EQ(FltReadFileEx(inst, fo, &at, 5, NULL, 0, &n, NULL, NULL, &key, m), STATUS_SUCCESS);
    CHECK_EQ(n, 5);
    CHECK(memcmp(target, "hello", 5) == 0);
    CHECK_EQ(FltWriteFileEx(inst, fo, &at, 5, NULL, 0, &n, NULL, NULL, NULL, m), STATUS_SUCCESS);
    IoFreeMdl(m);
    done_with(h, fo);
    no_leaks();
}

TEST(read_write_fault_site_once_per_call)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    LARGE_INTEGER at = {.QuadPart = 0};
    char buf[8];
    ULONG n = 9;
    unsigned long long lower = fx_consulted(KF_SITE_FLT_LOWER);
    fx_fail_site(KF_SITE_FLT_FILEIO, 1, KF_FAULT_HARD);
    CHECK_EQ(FltReadFile(inst, fo, &at, 4, buf, 0, &n, NULL, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(FltReadFile(inst, fo, &at, 4, buf, 0, &n, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_FILEIO), 2);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_LOWER), lower + 1); /* the first never reached the layers below */
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ON_DEMAND), 0);
    fx_no_faults();
    done_with(h, fo);
}

/* ---- FI-10 asynchronous reads and writes ------------------------------------------------------------- */

static unsigned completions;
static NTSTATUS completed_status;
static ULONG_PTR completed_info;
static KIRQL completed_irql;
static UCHAR completed_major;
static BOOLEAN free_it_in_completion;
static VOID FLTAPI on_done(PFLT_CALLBACK_DATA data, PFLT_CONTEXT ctx)
{
    CHECK(ctx == &completions);
    completions++;
    completed_status = data->IoStatus.Status;
    completed_info = data->IoStatus.Information;
    completed_irql = KeGetCurrentIrql();
    completed_major = data->Iopb->MajorFunction;
    if (free_it_in_completion)
        FltFreeCallbackData(data);
}

static void run_pending(void *arg)
{
    (void)arg;
    kf_flt_run_pending_completions();
}

TEST(async_read_inline_and_deferred)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    LARGE_INTEGER at = {.QuadPart = 0};
    char buf[16];
    ULONG n = 77;
    completions = 0;
    free_it_in_completion = FALSE;
    CHECK_EQ(FltReadFile(inst, fo, &at, 5, buf, 0, &n, on_done, &completions), STATUS_SUCCESS);
    CHECK_EQ(completions, 1);
    CHECK_EQ(completed_status, STATUS_SUCCESS);
    CHECK_EQ(completed_info, 5);
    CHECK_EQ(completed_major, IRP_MJ_READ);
    CHECK_EQ(n, 77); /* BytesRead is ignored for asynchronous I/O */
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    /* Deferred, completing at DISPATCH_LEVEL; the file object outlives its handle and reference. */
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    at.QuadPart = 7;
    CHECK_EQ(FltReadFile(inst, fo, &at, 5, buf, 0, NULL, on_done, &completions), STATUS_PENDING);
    CHECK_EQ(completions, 1);
    CHECK_EQ(kf_flt_pending_completions(), 1);
    watch();
    done_with(h, fo);
    CHECK(strcmp(seen, "K") == 0); /* the pending read still holds the file object */
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(completions, 2);
    CHECK_EQ(completed_irql, DISPATCH_LEVEL);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK(strcmp(seen, "KRX") == 0); /* the read completes, then the close */
    no_leaks();
    /* A failure before the I/O is issued: returned, and the routine is never called. */
    fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    fx_fail_site(KF_SITE_FLT_FILEIO, 0, KF_FAULT_HARD);
    CHECK_EQ(FltWriteFile(inst, fo, &at, 1, "x", 0, NULL, on_done, &completions), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(completions, 2);
    fx_no_faults();
    /* Freeing Filter Manager's callback data in the completion. */
    free_it_in_completion = TRUE;
    CHECK_EQ(FltReadFile(inst, fo, &at, 1, buf, 0, NULL, on_done, &completions), STATUS_PENDING);
    CHECK(fx_violation(run_pending, NULL, KF_VIOL_FLT_FILEIO_OWNED_CALLBACK_DATA));
    free_it_in_completion = FALSE;
    kf_flt_set_lower_hook(NULL, NULL);
    done_with(h, fo);
}

TEST(async_offset_not_updated_restored_at_completion)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    char buf[8];
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, PASSIVE_LEVEL), 0);
    completions = 0;
    CHECK_EQ(FltReadFile(inst, fo, NULL, 4, buf, FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET, NULL, on_done, &completions),
             STATUS_PENDING);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(completions, 1);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 0);
    CHECK_EQ(FltReadFile(inst, fo, NULL, 4, buf, 0, NULL, on_done, &completions), STATUS_PENDING);
    CHECK_EQ(kf_flt_run_pending_completions(), 1);
    CHECK_EQ(fo->CurrentByteOffset.QuadPart, 4);
    done_with(h, fo);
    no_leaks();
}

/* ---- FI-11 .. FI-16 the other routines ------------------------------------------------------------- */

static struct {
    int which;
    PFILE_OBJECT fo;
} qs;
static void query_misuse(void *arg)
{
    (void)arg;
    ULONG n;
    char buf[64];
    IO_STATUS_BLOCK io;
    switch (qs.which) {
    case 0:
        (void)FltQueryInformationFile(inst, qs.fo, NULL, 8, FileBasicInformation, &n);
        break;
    case 1:
        (void)FltSetInformationFile(inst, qs.fo, NULL, 8, FileBasicInformation);
        break;
    case 2:
        (void)FltQueryVolumeInformation(inst, NULL, buf, sizeof buf, FileFsAttributeInformation);
        break;
    case 3:
        (void)FltFsControlFile(inst, qs.fo, FSCTL_IS_VOLUME_MOUNTED, NULL, 4, NULL, 0, &n);
        break;
    case 4:
        (void)FltDeviceIoControlFile(inst, qs.fo, 0x00220000, NULL, 0, NULL, 8, &n);
        break;
    case 5:
        kf_set_irql(APC_LEVEL);
        (void)FltQueryVolumeInformation(inst, &io, buf, sizeof buf, FileFsAttributeInformation);
        break;
    case 6:
        (void)FltQueryDirectoryFile(inst, qs.fo, NULL, 64, FileNamesInformation, FALSE, NULL, FALSE, &n);
        break;
    case 7:
        (void)FltFlushBuffers(inst, NULL);
        break;
    case 8:
        kf_set_irql(APC_LEVEL);
        (void)FltQueryInformationFile(inst, qs.fo, buf, sizeof buf, FileBasicInformation, &n);
        break;
    }
}

TEST(other_routines_misuse_stops)
{
    fresh();
    HANDLE h;
    qs.fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    static const int position[] = {3, 3, 2, 4, 6, -1, 3, 2, -1};
    for (int i = 0; i <= 8; i++) {
        qs.which = i;
        if (position[i] < 0)
            CHECK(fx_bugcheck(query_misuse, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
        else {
            CHECK(fx_violation(query_misuse, NULL, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT));
            CHECK_EQ(fx_stop.param[1], position[i]);
        }
    }
    done_with(h, qs.fo);
}

TEST(query_set_information_through_filter_manager)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    UCHAR buf[256];
    ULONG n = 0;
    CHECK_EQ(FltQueryInformationFile(inst, fo, buf, 4, FileBasicInformation, &n), STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(n, 0);
    CHECK_EQ(FltQueryInformationFile(inst, fo, buf, 10, FileNameInformation, &n), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(n, 10);
    CHECK_EQ(FltQueryInformationFile(inst, fo, buf, sizeof buf, FileNameInformation, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 4 + sizeof(L"\\docs\\hello.txt") - sizeof(WCHAR));
    FILE_END_OF_FILE_INFORMATION eof = {.EndOfFile.QuadPart = 5};
    CHECK_EQ(FltSetInformationFile(inst, fo, &eof, sizeof eof, FileEndOfFileInformation), STATUS_SUCCESS);
    ULONG size = 0;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, &size), 0);
    CHECK_EQ(size, 5);
    /* A rename by name alone, replacing nothing. */
    UCHAR rb[sizeof(FILE_RENAME_INFORMATION) + 32];
    memset(rb, 0, sizeof rb);
    FILE_RENAME_INFORMATION *ri = (FILE_RENAME_INFORMATION *)rb;
    ri->FileNameLength = sizeof(L"renamed.txt") - sizeof(WCHAR);
    memcpy(ri->FileName, L"renamed.txt", ri->FileNameLength);
    CHECK_EQ(FltSetInformationFile(inst, fo, rb, sizeof rb, FileRenameInformation), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\renamed.txt", NULL, NULL), 0);
    unsigned long long before = fx_consulted(KF_SITE_FLT_FILEIO);
    fx_fail_site(KF_SITE_FLT_FILEIO, 0, KF_FAULT_HARD);
    CHECK_EQ(FltQueryInformationFile(inst, fo, buf, sizeof buf, FileBasicInformation, &n), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(FltSetInformationFile(inst, fo, &eof, sizeof eof, FileEndOfFileInformation), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_FILEIO), before + 2);
    fx_no_faults();
    done_with(h, fo);
    no_leaks();
}

TEST(volume_information_through_filter_manager)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    UCHAR buf[128];
    ULONG n = 0;
    CHECK_EQ(FltQueryVolumeInformationFile(inst, fo, buf, sizeof buf, FileFsAttributeInformation, &n), STATUS_SUCCESS);
    FILE_FS_ATTRIBUTE_INFORMATION *a = (FILE_FS_ATTRIBUTE_INFORMATION *)buf;
    CHECK_EQ(a->FileSystemNameLength, 8);
    CHECK(memcmp(a->FileSystemName, L"NTFS", 8) == 0);
    CHECK_EQ(n, 16 + 8 - 4);
    IO_STATUS_BLOCK io;
    memset(buf, 0, sizeof buf);
    CHECK_EQ(FltQueryVolumeInformation(inst, &io, buf, sizeof buf, FileFsSizeInformation), STATUS_SUCCESS);
    CHECK_EQ(io.Status, STATUS_SUCCESS);
    CHECK_EQ(io.Information, sizeof(FILE_FS_SIZE_INFORMATION));
    CHECK_EQ(((FILE_FS_SIZE_INFORMATION *)buf)->BytesPerSector, 512);
    done_with(h, fo);
    /* Not on a network volume. */
    fx_fresh();
    kf_flt_volume net = {FILE_DEVICE_NETWORK_FILE_SYSTEM, FLT_FSTYPE_LANMAN};
    CHECK_EQ(kf_flt_set_volumes(1, &net), 0);
    inst = fx_start();
    CHECK_EQ(FltQueryVolumeInformation(inst, &io, buf, sizeof buf, FileFsSizeInformation), STATUS_INVALID_PARAMETER);
    CHECK_EQ(io.Status, STATUS_INVALID_PARAMETER);
    no_leaks();
}

TEST(directory_query_through_filter_manager)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = NULL;
    CHECK_EQ(open_file(VOL1 L"\\docs", FILE_LIST_DIRECTORY | SYNCHRONIZE, FILE_SHARE_READ, FILE_OPEN,
                       FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, &h, &fo),
             STATUS_SUCCESS);
    UCHAR buf[256];
    ULONG n = 0;
    UNICODE_STRING pattern = RTL_CONSTANT_STRING(L"*.TXT");
    CHECK_EQ(FltQueryDirectoryFile(inst, fo, buf, sizeof buf, FileNamesInformation, FALSE, &pattern, TRUE, &n),
             STATUS_SUCCESS);
    FILE_NAMES_INFORMATION *e = (FILE_NAMES_INFORMATION *)buf;
    CHECK_EQ(e->NextEntryOffset, 0);
    CHECK_EQ(e->FileNameLength, 18);
    CHECK(memcmp(e->FileName, L"hello.txt", 18) == 0);
    CHECK_EQ(n, 12 + 18);
    CHECK_EQ(FltQueryDirectoryFile(inst, fo, buf, sizeof buf, FileNamesInformation, FALSE, NULL, FALSE, &n),
             STATUS_NO_MORE_FILES);
    CHECK_EQ(FltQueryDirectoryFileEx(inst, fo, buf, sizeof buf, FileNamesInformation, SL_RESTART_SCAN, NULL, &n),
             STATUS_SUCCESS);
    CHECK_EQ(FltQueryDirectoryFileEx(inst, fo, buf, sizeof buf, FileNamesInformation, 0x100, NULL, &n),
             STATUS_INVALID_PARAMETER);
    done_with(h, fo);
    no_leaks();
}

TEST(flushes_and_controls)
{
    fresh();
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    CHECK_EQ(FltFlushBuffers(inst, fo), STATUS_SUCCESS);
    CHECK_EQ(FltFlushBuffers2(inst, fo, FLT_FLUSH_TYPE_DATA_SYNC_ONLY, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltFlushBuffers2(inst, fo, FLT_FLUSH_TYPE_NO_SYNC | FLT_FLUSH_TYPE_FILE_DATA_ONLY, NULL),
             STATUS_INVALID_PARAMETER);
    ULONG n = 5;
    UCHAR out[64];
    CHECK_EQ(FltFsControlFile(inst, fo, FSCTL_IS_VOLUME_MOUNTED, NULL, 0, NULL, 0, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 0);
    CHECK_EQ(FltFsControlFile(inst, fo, FSCTL_GET_REPARSE_POINT, NULL, 0, out, sizeof out, &n),
             STATUS_NOT_A_REPARSE_POINT);
    CHECK_EQ(FltFsControlFile(inst, fo, FSCTL_GET_OBJECT_ID, NULL, 0, out, sizeof out, &n), STATUS_OBJECTID_NOT_FOUND);
    CHECK_EQ(FltFsControlFile(inst, fo, FSCTL_LOCK_VOLUME, "in", 2, out, sizeof out, &n), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(FltDeviceIoControlFile(inst, fo, 0x00070000, NULL, 0, out, sizeof out, &n), STATUS_INVALID_DEVICE_REQUEST);
    done_with(h, fo);
    /* A write-protected volume. */
    kf_flt_volume_identity ro = {NULL, TRUE, 0};
    CHECK_EQ(kf_flt_set_volume_identity(0, &ro), 0);
    PFILE_OBJECT f2 = NULL;
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_READ, FILE_SHARE_READ, FILE_OPEN, 0, &h, &f2),
             STATUS_SUCCESS);
    CHECK_EQ(FltFlushBuffers(inst, f2), STATUS_MEDIA_WRITE_PROTECTED);
    done_with(h, f2);
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_WRITE, 0, FILE_OPEN, 0, &h, &f2),
             STATUS_MEDIA_WRITE_PROTECTED);
    no_leaks();
}

static void flush2_on_win8(void *arg)
{
    (void)arg;
    (void)FltFlushBuffers2(inst, NULL, 0, NULL);
}
static void dir_ex_on_win8(void *arg)
{
    (void)arg;
    (void)FltQueryDirectoryFileEx(inst, NULL, NULL, 0, FileNamesInformation, 0, NULL, NULL);
}
TEST(windows_10_routines)
{
    kft_options("profile=win8-amd64");
    fresh();
    CHECK(fx_violation(flush2_on_win8, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
    CHECK(fx_violation(dir_ex_on_win8, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
    kft_options("");
}

/* ---- FI-17, FI-18 FltDecodeParameters and FltLockUserBuffer ------------------------------------------- */

static PFLT_CALLBACK_DATA lock_data;
static void lock_it(void *arg)
{
    (void)arg;
    (void)FltLockUserBuffer(lock_data);
}
static void lock_at_dispatch(void *arg)
{
    (void)arg;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltLockUserBuffer(lock_data);
}

TEST(decode_parameters)
{
    fresh();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    PMDL *mdl = NULL;
    PVOID *buf = NULL;
    PULONG len = NULL;
    LOCK_OPERATION access = IoModifyAccess;
    CHECK_EQ(FltDecodeParameters(d, &mdl, &buf, &len, &access), STATUS_SUCCESS);
    CHECK(mdl == &d->Iopb->Parameters.Read.MdlAddress);
    CHECK(buf == &d->Iopb->Parameters.Read.ReadBuffer);
    CHECK(len == &d->Iopb->Parameters.Read.Length);
    CHECK_EQ(access, IoWriteAccess);
    d->Iopb->MajorFunction = IRP_MJ_WRITE;
    CHECK_EQ(FltDecodeParameters(d, NULL, &buf, &len, &access), STATUS_SUCCESS);
    CHECK_EQ(access, IoReadAccess);
    d->Iopb->MajorFunction = IRP_MJ_FILE_SYSTEM_CONTROL;
    d->Iopb->Parameters.FileSystemControl.Common.FsControlCode = FSCTL_GET_REPARSE_POINT; /* buffered */
    CHECK_EQ(FltDecodeParameters(d, &mdl, &buf, &len, NULL), STATUS_SUCCESS);
    CHECK(mdl == NULL);
    CHECK(buf == &d->Iopb->Parameters.FileSystemControl.Buffered.SystemBuffer);
    d->Iopb->MajorFunction = IRP_MJ_CLEANUP;
    CHECK_EQ(FltDecodeParameters(d, &mdl, &buf, &len, NULL), STATUS_INVALID_PARAMETER);
    FltFreeCallbackData(d);
}

TEST(lock_user_buffer)
{
    fresh();
    static char user[64];
    lock_data = fx_alloc(inst, NULL, 0);
    PFLT_CALLBACK_DATA d = lock_data;
    d->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
    CHECK_EQ(FltLockUserBuffer(d), STATUS_INVALID_PARAMETER); /* no MDL member */
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->MinorFunction = IRP_MN_MDL;
    CHECK_EQ(FltLockUserBuffer(d), STATUS_INVALID_PARAMETER);
    d->Iopb->MinorFunction = 0;
    d->Iopb->Parameters.Read.ReadBuffer = user;
    d->Iopb->Parameters.Read.Length = sizeof user;
    CHECK(fx_bugcheck(lock_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    fx_fail_site(KF_SITE_IO_MDL, 1, KF_FAULT_HARD);
    CHECK_EQ(FltLockUserBuffer(d), STATUS_INSUFFICIENT_RESOURCES);
    fx_fail_site(KF_SITE_MM_LOCK, 1, KF_FAULT_HARD);
    CHECK_EQ(FltLockUserBuffer(d), STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK(d->Iopb->Parameters.Read.MdlAddress == NULL);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0);
    /* A user-mode requestor's buffer is probed and locked in the requestor's mode. */
    d->RequestorMode = UserMode;
    CHECK_EQ(FltLockUserBuffer(d), STATUS_SUCCESS);
    PMDL m = d->Iopb->Parameters.Read.MdlAddress;
    CHECK(m != NULL);
    CHECK(FltIsCallbackDataDirty(d));
    CHECK(MmGetSystemAddressForMdlSafe(m, NormalPagePriority) == user);
    CHECK_EQ(FltLockUserBuffer(d), STATUS_SUCCESS); /* locked already */
    CHECK(d->Iopb->Parameters.Read.MdlAddress == m);
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 1);
    FltFreeCallbackData(d); /* the I/O system frees the MDL with it */
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0);
    lock_data = NULL;
    CHECK(fx_violation(lock_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
}

/* ---- FI-19, FI-20 what a run leaves ------------------------------------------------------------------- */

TEST(leaked_file_is_named_and_reset_forgets)
{
    fresh();
    char path[128];
    CHECK_EQ(kf_flt_first_open_file(path, sizeof path), 0);
    HANDLE h;
    PFILE_OBJECT fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    CHECK_EQ(kf_flt_first_open_file(path, sizeof path), 1);
    CHECK(strcmp(path, "\\Device\\HarddiskVolume1\\docs\\hello.txt") == 0);
    CHECK_EQ(kf_flt_first_open_file(path, 8), 1);
    CHECK(strcmp(path, "\\Device") == 0);
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_first_open_file(path, sizeof path), 1); /* the reference still keeps it */
    ObDereferenceObject(fo);
    CHECK_EQ(kf_flt_first_open_file(path, sizeof path), 0);
    fo = open_sync(VOL1 L"\\docs\\hello.txt", &h);
    kf_reset();
    CHECK_EQ(kf_flt_first_open_file(path, sizeof path), 0);
    fresh();
    close_me = h; /* the old run's handle means nothing in the new one */
    CHECK(fx_bugcheck(close_it, NULL, INVALID_KERNEL_HANDLE, (ULONG_PTR)h, 1));
}

/* ---- FI-19 through the driver harness: a scenario's files, and a leak named by its file ---------- */

#include "kfault/driver_env.h"

static int leak_handle;
static NTSTATUS read_status;
static char read_back[8];

static NTSTATUS load_fixture(void)
{
    fx_fresh();
    NTSTATUS st = FltRegisterFilter(&fx_driver, &fx_registration, &fx_filter);
    return NT_SUCCESS(st) ? FltStartFiltering(fx_filter) : st;
}
static PFLT_FILTER fixture_filter(void) { return fx_filter; }

static void open_notes(void)
{
    HANDLE h = NULL;
    PFILE_OBJECT fo = NULL;
    inst = kf_flt_instance(fx_filter, 0);
    read_status = open_file(VOL1 L"\\scan\\notes.txt", FILE_GENERIC_READ | SYNCHRONIZE, FILE_SHARE_READ, FILE_OPEN,
                            FILE_SYNCHRONOUS_IO_NONALERT, &h, &fo);
    if (!NT_SUCCESS(read_status))
        return;
    ULONG n = 0;
    read_status = FltReadFile(inst, fo, NULL, sizeof read_back, read_back, 0, &n, NULL, NULL);
    ObDereferenceObject(fo);
    if (!leak_handle)
        FltClose(h);
}

static const kfh_minifilter fixture_minifilter = {.load = load_fixture, .filter = fixture_filter};
static const kfh_driver_target notes_target = {
    .name = "open_notes",
    .min_os = KF_OS_WIN8,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = open_notes,
    .minifilter = &fixture_minifilter,
};

TEST(driver_leak_findings_name_the_file)
{
    static kfh_drv_run run;
    kfh_scenario s;
    char err[256];
    uint8_t bytes[128];
    CHECK_EQ(kfh_scenario_parse("file 12 volume=0 size=10 data=0x44434241\n", &s, err, sizeof err), 0);
    size_t n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    leak_handle = 0;
    memset(read_back, 0, sizeof read_back);
    kfh_driver_run(&notes_target, bytes, n, &run);
    CHECK(run.returned);
    CHECK_EQ(run.n_findings, 0);
    CHECK_EQ(run.env.n_files, 1);
    CHECK(run.env.file[0].installed);
    CHECK_EQ(read_status, STATUS_SUCCESS); /* the file system's answer, not the scripted defaults */
    CHECK(memcmp(read_back, "ABCDABCD", 8) == 0);
    leak_handle = 1;
    kfh_driver_run(&notes_target, bytes, n, &run);
    CHECK_EQ(run.n_findings, 1);
    CHECK_EQ(run.finding.inv, KFH_INV_DRIVER_NO_HANDLE_LEAK);
    if (!strstr(run.finding.actual, "\\Device\\HarddiskVolume1\\scan\\notes.txt"))
        kft_fail(__FILE__, __LINE__, "the finding does not name the file: %s", run.finding.actual);
    /* A scripted answer replaces the file system's. */
    CHECK_EQ(kfh_scenario_parse("file 12 volume=0 size=10 data=0x44434241\nlower default\nlower STATUS_ACCESS_DENIED info=0\n",
                                &s, err, sizeof err),
             0);
    n = kfh_scenario_encode(&s, bytes, sizeof bytes);
    leak_handle = 0;
    kfh_driver_run(&notes_target, bytes, n, &run);
    CHECK_EQ(read_status, STATUS_ACCESS_DENIED);
    CHECK_EQ(run.n_findings, 0);
}

/* ---- FS-24 a layer below that answers a create in the file system's place --------------------------- */

static NTSTATUS forced_create_status;
static void force_create(void *ctx, kf_flt_lower_io *io)
{
    (void)ctx;
    if (io->data->Iopb->MajorFunction == IRP_MJ_CREATE)
        io->status = forced_create_status;
}

TEST(create_answered_below_the_file_system)
{
    fresh();
    kf_flt_set_lower_hook(force_create, NULL);
    /* Success for a file the file system does not have: open for the I/O manager only. */
    forced_create_status = STATUS_SUCCESS;
    HANDLE h;
    PFILE_OBJECT fo = NULL;
    CHECK_EQ(open_file(VOL1 L"\\docs\\missing.txt", FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_SUCCESS);
    LARGE_INTEGER at = {.QuadPart = 0};
    char buf[4];
    ULONG n = 9;
    CHECK_EQ(FltReadFile(inst, fo, &at, 4, buf, 0, &n, NULL, NULL), STATUS_INVALID_DEVICE_REQUEST);
    done_with(h, fo);
    no_leaks();
    /* Failure of an open the file system made: the open is cancelled, its share access too. */
    forced_create_status = STATUS_ACCESS_DENIED;
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_READ, 0, FILE_OPEN, 0, &h, &fo), STATUS_ACCESS_DENIED);
    CHECK(h == NULL && fo == NULL);
    kf_flt_set_lower_hook(NULL, NULL);
    CHECK_EQ(open_file(VOL1 L"\\docs\\hello.txt", FILE_GENERIC_WRITE, 0, FILE_OPEN, 0, &h, &fo), STATUS_SUCCESS);
    done_with(h, fo);
    no_leaks();
}
