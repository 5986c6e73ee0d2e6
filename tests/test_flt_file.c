/*
 * test_flt_file.c - the file system below the filters: the files a test puts on a volume, file
 * objects, and the file system's answers to create (dispositions, options, streams, relative
 * opens), read, write, cleanup and close, and everything else a minifilter sends down: query and
 * set information, directories, volumes, flushes, controls, extended attributes, and
 * FsRtlIsNameInExpression. Rules FS-1 .. FS-23 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

static PFLT_INSTANCE inst;

static void fresh(void)
{
    fx_fresh();
    inst = fx_start();
}

/* One I/O sent below the instance on fo; returns its status, *info its Information. */
static NTSTATUS io(PFILE_OBJECT fo, UCHAR major, ULONG p1, ULONG p2, void *buf, LONGLONG offset, ULONG_PTR *info)
{
    PFLT_CALLBACK_DATA d = fx_alloc(inst, fo, 0);
    PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;
    iopb->MajorFunction = major;
    iopb->TargetFileObject = fo;
    switch (major) {
    case IRP_MJ_CREATE:
        iopb->Parameters.Create.Options = p1;
        iopb->Parameters.Create.FileAttributes = (USHORT)p2;
        break;
    case IRP_MJ_READ:
        iopb->Parameters.Read.Length = p1;
        iopb->Parameters.Read.ReadBuffer = buf;
        iopb->Parameters.Read.ByteOffset.QuadPart = offset;
        break;
    case IRP_MJ_WRITE:
        iopb->Parameters.Write.Length = p1;
        iopb->Parameters.Write.WriteBuffer = buf;
        iopb->Parameters.Write.ByteOffset.QuadPart = offset;
        break;
    default:
        break;
    }
    FltPerformSynchronousIo(d);
    NTSTATUS st = d->IoStatus.Status;
    if (info)
        *info = d->IoStatus.Information;
    FltFreeCallbackData(d);
    return st;
}

#define DISP(d) ((ULONG)(d) << 24)

static PFILE_OBJECT open_file(const WCHAR *name, ULONG disposition, ULONG options, NTSTATUS *st, ULONG_PTR *info)
{
    PFILE_OBJECT fo = kf_flt_new_file_object(0, name, NULL);
    CHECK(fo != NULL);
    *st = io(fo, IRP_MJ_CREATE, DISP(disposition) | options, 0, NULL, 0, info);
    return fo;
}

static void close_file(PFILE_OBJECT fo)
{
    if (fo->FsContext)
        (void)io(fo, IRP_MJ_CLEANUP, 0, 0, NULL, 0, NULL);
    ObDereferenceObject(fo);
}

static const kf_flt_file_spec hello = {L"\\docs\\hello.txt", 0, "hello, world", 12};
static const kf_flt_file_spec docs = {L"\\docs", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};

/* ---- FS-1 the files on a volume ----------------------------------------------------------- */

TEST(add_file_rules)
{
    fresh();
    kf_flt_file_spec orphan = {L"\\nodir\\a", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &orphan), -1); /* parent missing */
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &docs), -1);   /* taken */
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    kf_flt_file_spec upper = {L"\\DOCS\\HELLO.TXT", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &upper), -1);  /* names compare without case */
    kf_flt_file_spec bad = {L"\\docs\\a*b", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &bad), -1);
    kf_flt_file_spec rel = {L"docs\\b", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &rel), -1);
    kf_flt_file_spec lone_stream = {L"\\docs\\none.txt:s", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &lone_stream), -1);
    kf_flt_file_spec stream = {L"\\docs\\hello.txt:Zone", 0, "z=3", 3};
    CHECK_EQ(kf_flt_add_file(0, &stream), 0);
    CHECK_EQ(kf_flt_add_file(KF_FLT_MAX_VOLUMES, &docs), -1);
    CHECK_EQ(kf_flt_files(0), 3);
    CHECK_EQ(kf_flt_files(1), 0);
    const void *data;
    ULONG size;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt:Zone", &data, &size), 0);
    CHECK_EQ(size, 3);
    CHECK(memcmp(data, "z=3", 3) == 0);
    kf_reset();
    CHECK_EQ(kf_flt_files(0), 0);
}

/* ---- FS-2 dispositions -------------------------------------------------------------------- */

TEST(open_existing_and_missing)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT a = open_file(L"\\Docs\\Hello.TXT", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_OPENED);
    CHECK(a->FsContext != NULL);
    CHECK(a->Flags & FO_FILE_OPEN);
    PFILE_OBJECT b = open_file(L"\\docs\\hello.txt", FILE_OPEN_IF, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_OPENED);
    CHECK(b->FsContext == a->FsContext); /* one stream, one FsContext */
    PFILE_OBJECT s = open_file(L"\\docs\\hello.txt:alt", FILE_CREATE, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_CREATED);
    CHECK(s->FsContext != a->FsContext); /* another stream of the file */
    PFILE_OBJECT m = open_file(L"\\docs\\missing.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(m->FsContext == NULL);
    PFILE_OBJECT p = open_file(L"\\nodir\\x.txt", FILE_OPEN_IF, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_PATH_NOT_FOUND);
    PFILE_OBJECT c = open_file(L"\\docs\\hello.txt", FILE_CREATE, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_NAME_COLLISION);
    PFILE_OBJECT q = open_file(L"\\docs\\wh?t.txt", FILE_OPEN_IF, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_NAME_INVALID);
    PFILE_OBJECT t = open_file(L"\\docs\\hello.txt::$INDEX_ALLOCATION", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_NAME_INVALID);
    PFILE_OBJECT dd = open_file(L"\\docs\\hello.txt::$DATA", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK(dd->FsContext == a->FsContext);
    PFILE_OBJECT bad = open_file(L"\\docs\\hello.txt", 9, 0, &st, &info);
    CHECK_EQ(st, STATUS_INVALID_PARAMETER);
    PFILE_OBJECT all[] = {a, b, s, m, p, c, q, t, dd, bad};
    CHECK_EQ(kf_flt_file_objects_outstanding(), 10);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close_file(all[i]);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.objects, 0);
}

TEST(create_overwrite_and_supersede)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT n = open_file(L"\\docs\\new.txt", FILE_OPEN_IF, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_CREATED);
    CHECK_EQ(kf_flt_files(0), 3);
    PFILE_OBJECT o = open_file(L"\\docs\\hello.txt", FILE_OVERWRITE, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_OVERWRITTEN);
    ULONG size = 99;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, &size), 0);
    CHECK_EQ(size, 0);
    PFILE_OBJECT m = open_file(L"\\docs\\other.txt", FILE_OVERWRITE, 0, &st, &info);
    CHECK_EQ(st, STATUS_OBJECT_NAME_NOT_FOUND);
    PFILE_OBJECT s = open_file(L"\\docs\\hello.txt", FILE_SUPERSEDE, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(info, FILE_SUPERSEDED);
    close_file(n);
    close_file(o);
    close_file(m);
    close_file(s);
}

/* ---- FS-4 directories and options --------------------------------------------------------- */

TEST(directory_options)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f[6];
    f[0] = open_file(L"\\docs", FILE_OPEN, FILE_NON_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(st, STATUS_FILE_IS_A_DIRECTORY);
    f[1] = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(st, STATUS_NOT_A_DIRECTORY);
    f[2] = open_file(L"\\docs\\sub", FILE_CREATE, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    f[3] = open_file(L"\\docs\\sub\\in.txt", FILE_CREATE, 0, &st, &info); /* the new directory holds files */
    CHECK_EQ(st, STATUS_SUCCESS);
    f[4] = open_file(L"\\docs\\hello.txt\\in.txt", FILE_CREATE, 0, &st, &info); /* a file holds none */
    CHECK_EQ(st, STATUS_OBJECT_PATH_NOT_FOUND);
    f[5] = open_file(L"\\", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    for (int i = 0; i < 6; i++)
        close_file(f[i]);
}

/* ---- FS-5 relative opens ------------------------------------------------------------------ */

TEST(relative_open)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT dir = open_file(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    PFILE_OBJECT rel = kf_flt_new_file_object(0, L"hello.txt", dir);
    CHECK_EQ(io(rel, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_SUCCESS);
    PFILE_OBJECT abs = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK(rel->FsContext == abs->FsContext);
    close_file(rel);
    close_file(abs);
    close_file(dir);
}

/* ---- FS-7 read and write ------------------------------------------------------------------ */

TEST(read_and_write)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    char buf[32];
    memset(buf, '#', sizeof buf);
    CHECK_EQ(io(f, IRP_MJ_READ, 5, 0, buf, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(info, 5);
    CHECK(memcmp(buf, "hello#", 6) == 0);
    CHECK_EQ(f->CurrentByteOffset.QuadPart, 5);
    CHECK_EQ(io(f, IRP_MJ_READ, 32, 0, buf, 7, &info), STATUS_SUCCESS); /* short read at the end */
    CHECK_EQ(info, 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ(io(f, IRP_MJ_READ, 4, 0, buf, 12, &info), STATUS_END_OF_FILE);
    CHECK_EQ(info, 0);
    CHECK_EQ(io(f, IRP_MJ_READ, 0, 0, buf, 100, &info), STATUS_SUCCESS); /* nothing asked, nothing wrong */
    CHECK_EQ(io(f, IRP_MJ_WRITE, 3, 0, "XYZ", 14, &info), STATUS_SUCCESS); /* past the end: a gap of zeros */
    CHECK_EQ(info, 3);
    const void *data;
    ULONG size;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", &data, &size), 0);
    CHECK_EQ(size, 17);
    CHECK(memcmp(data, "hello, world\0\0XYZ", 17) == 0);
    LARGE_INTEGER eof;
    eof.HighPart = -1;
    eof.LowPart = FILE_WRITE_TO_END_OF_FILE;
    CHECK_EQ(io(f, IRP_MJ_WRITE, 1, 0, "!", eof.QuadPart, &info), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", &data, &size), 0);
    CHECK_EQ(size, 18);
    CHECK_EQ(io(f, IRP_MJ_READ, 4, 0, buf, -5, &info), STATUS_INVALID_PARAMETER);
    close_file(f);
    PFILE_OBJECT d = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(io(d, IRP_MJ_READ, 4, 0, buf, 0, &info), STATUS_INVALID_DEVICE_REQUEST);
    close_file(d);
    kf_flt_file_spec ro = {L"\\docs\\ro.txt", FILE_ATTRIBUTE_READONLY, "r", 1};
    CHECK_EQ(kf_flt_add_file(0, &ro), 0);
    PFILE_OBJECT r = open_file(L"\\docs\\ro.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(io(r, IRP_MJ_WRITE, 1, 0, "w", 0, &info), STATUS_ACCESS_DENIED);
    close_file(r);
    PFILE_OBJECT r2 = open_file(L"\\docs\\ro.txt", FILE_OVERWRITE_IF, 0, &st, &info);
    CHECK_EQ(st, STATUS_ACCESS_DENIED);
    close_file(r2);
}

/* ---- FS-6 delete on close ------------------------------------------------------------------ */

TEST(delete_on_close)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    kf_flt_file_spec stream = {L"\\docs\\hello.txt:s", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &stream), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT a = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_DELETE_ON_CLOSE, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    PFILE_OBJECT b = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_SUCCESS);
    close_file(a); /* cleanup marks the delete; b still opens the file */
    PFILE_OBJECT c = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(st, STATUS_DELETE_PENDING);
    close_file(c);
    CHECK_EQ(kf_flt_files(0), 3);
    close_file(b); /* the last close deletes the file and its streams */
    CHECK_EQ(kf_flt_files(0), 1);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, NULL), -1);
}

/* ---- FS-8 and the defaults ----------------------------------------------------------------- */

TEST(io_on_unopened_object_and_faults)
{
    fresh();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    PFILE_OBJECT f = kf_flt_new_file_object(0, L"\\docs\\hello.txt", NULL);
    char buf[8];
    ULONG_PTR info = 7;
    CHECK_EQ(io(f, IRP_MJ_READ, 4, 0, buf, 0, &info), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(info, 0);
    fx_fail_site(KF_SITE_FLT_LOWER, 0, KF_FAULT_HARD); /* every one */
    CHECK_EQ(io(f, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(f->FsContext == NULL); /* a failed create opens nothing */
    fx_no_faults();
    CHECK_EQ(io(f, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(io(f, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_INVALID_DEVICE_REQUEST);
    close_file(f);
    /* A file object the model did not make keeps the lower layers' documented defaults. */
    static FILE_OBJECT foreign;
    CHECK_EQ(io(&foreign, IRP_MJ_READ, 6, 0, buf, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(info, 6);
    CHECK(kf_flt_new_file_object(KF_FLT_MAX_VOLUMES, L"\\x", NULL) == NULL);
}

TEST(leaked_file_object_is_an_object_reference)
{
    fresh();
    PFILE_OBJECT f = kf_flt_new_file_object(0, L"\\x.txt", NULL);
    CHECK(f != NULL);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.objects, 1);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 1);
    ObDereferenceObject(f);
    kf_leaks(&l);
    CHECK_EQ(l.objects, 0);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
}


/* ==== FS-9 .. FS-23: everything else a minifilter sends down ===================================== */

/* One I/O of any kind on fo: fill sets its parameters. */
typedef void (*fill_fn)(PFLT_IO_PARAMETER_BLOCK iopb, void *arg);
static NTSTATUS raw(PFILE_OBJECT fo, UCHAR major, UCHAR minor, UCHAR flags, fill_fn fill, void *arg, ULONG_PTR *info)
{
    PFLT_CALLBACK_DATA d = fx_alloc(inst, fo, 0);
    d->Iopb->MajorFunction = major;
    d->Iopb->MinorFunction = minor;
    d->Iopb->OperationFlags = flags;
    if (fill)
        fill(d->Iopb, arg);
    FltPerformSynchronousIo(d);
    NTSTATUS st = d->IoStatus.Status;
    if (info)
        *info = d->IoStatus.Information;
    FltFreeCallbackData(d);
    return st;
}

typedef struct info_args {
    int cls;
    void *buf;
    ULONG len;
} info_args;
static void fill_info(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    info_args *a = arg;
    iopb->Parameters.QueryFileInformation.FileInformationClass = (FILE_INFORMATION_CLASS)a->cls;
    iopb->Parameters.QueryFileInformation.InfoBuffer = a->buf;
    iopb->Parameters.QueryFileInformation.Length = a->len;
}
static NTSTATUS query(PFILE_OBJECT fo, int cls, void *buf, ULONG len, ULONG_PTR *info)
{
    info_args a = {cls, buf, len};
    return raw(fo, IRP_MJ_QUERY_INFORMATION, 0, 0, fill_info, &a, info);
}
static void fill_set(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    info_args *a = arg;
    iopb->Parameters.SetFileInformation.FileInformationClass = (FILE_INFORMATION_CLASS)a->cls;
    iopb->Parameters.SetFileInformation.InfoBuffer = a->buf;
    iopb->Parameters.SetFileInformation.Length = a->len;
}
static NTSTATUS set(PFILE_OBJECT fo, int cls, void *buf, ULONG len)
{
    info_args a = {cls, buf, len};
    return raw(fo, IRP_MJ_SET_INFORMATION, 0, 0, fill_set, &a, NULL);
}

/* A create with an access and a share mode (what the I/O manager passes in SecurityContext). */
typedef struct create_args {
    ULONG options;
    USHORT attributes, share;
    ACCESS_MASK access;
    LONGLONG allocation;
} create_args;
static void fill_create(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    static IO_SECURITY_CONTEXT sc;
    create_args *a = arg;
    memset(&sc, 0, sizeof sc);
    sc.DesiredAccess = a->access;
    iopb->Parameters.Create.SecurityContext = &sc;
    iopb->Parameters.Create.Options = a->options;
    iopb->Parameters.Create.FileAttributes = a->attributes;
    iopb->Parameters.Create.ShareAccess = a->share;
    iopb->Parameters.Create.AllocationSize.QuadPart = a->allocation;
}
static PFILE_OBJECT open_as(const WCHAR *name, create_args a, NTSTATUS *st)
{
    PFILE_OBJECT fo = kf_flt_new_file_object(0, name, NULL);
    ULONG_PTR info;
    *st = raw(fo, IRP_MJ_CREATE, 0, 0, fill_create, &a, &info);
    return fo;
}

static void put_docs(void)
{
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
}

/* ---- FS-9 share access -------------------------------------------------------------------------- */

TEST(share_access_checked_and_released_at_cleanup)
{
    fresh();
    put_docs();
    NTSTATUS st;
    create_args reader = {DISP(FILE_OPEN), 0, FILE_SHARE_READ, FILE_READ_DATA, 0};
    create_args writer = {DISP(FILE_OPEN), 0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_WRITE_DATA, 0};
    create_args deleter = {DISP(FILE_OPEN), 0, FILE_SHARE_READ | FILE_SHARE_WRITE, DELETE, 0};
    create_args attributes = {DISP(FILE_OPEN), 0, 0, FILE_READ_ATTRIBUTES, 0};
    PFILE_OBJECT a = open_as(L"\\docs\\hello.txt", reader, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    PFILE_OBJECT b = open_as(L"\\docs\\hello.txt", writer, &st);
    CHECK_EQ(st, STATUS_SHARING_VIOLATION); /* a shares no writing */
    PFILE_OBJECT c = open_as(L"\\docs\\hello.txt", deleter, &st);
    CHECK_EQ(st, STATUS_SHARING_VIOLATION); /* a shares no deleting */
    PFILE_OBJECT d = open_as(L"\\docs\\hello.txt", attributes, &st);
    CHECK_EQ(st, STATUS_SUCCESS); /* no data access: no share check */
    PFILE_OBJECT e = open_as(L"\\docs\\hello.txt", reader, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK(a->ReadAccess && a->SharedRead && !a->SharedWrite && !a->WriteAccess);
    close_file(a);
    close_file(e);
    PFILE_OBJECT f = open_as(L"\\docs\\hello.txt", writer, &st);
    CHECK_EQ(st, STATUS_SUCCESS); /* the readers' cleanups released their share access */
    PFILE_OBJECT g0 = open_as(L"\\docs\\hello.txt", reader, &st);
    CHECK_EQ(st, STATUS_SHARING_VIOLATION); /* a writer is open: a reader must share writing */
    close_file(g0);
    create_args sharing_reader = {DISP(FILE_OPEN), 0, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_READ_DATA, 0};
    PFILE_OBJECT g = open_as(L"\\docs\\hello.txt", sharing_reader, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    create_args exclusive = {DISP(FILE_OPEN), 0, 0, FILE_READ_DATA, 0};
    PFILE_OBJECT h = open_as(L"\\docs\\hello.txt", exclusive, &st);
    CHECK_EQ(st, STATUS_SHARING_VIOLATION); /* others write: this one must share writing */
    PFILE_OBJECT all[] = {b, c, d, f, g, h};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close_file(all[i]);
}

/* ---- FS-10 creates: read-only volumes and files, attributes, allocation, times ----------------------- */

TEST(create_read_only_volume_and_file_attributes_and_times)
{
    fresh();
    put_docs();
    NTSTATUS st;
    FILE_BASIC_INFORMATION b;
    create_args plain = {DISP(FILE_OPEN), 0, FILE_SHARE_READ, FILE_READ_DATA, 0};
    PFILE_OBJECT f = open_as(L"\\docs\\hello.txt", plain, &st);
    CHECK_EQ(query(f, FileBasicInformation, &b, sizeof b, NULL), STATUS_SUCCESS);
    CHECK_EQ(b.CreationTime.QuadPart, 134116992000000000LL - 30 * 864000000000LL + 2 * 10000000LL); /* file #2 */
    CHECK_EQ(b.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    close_file(f);
    /* Overwrite adds attributes, supersede replaces them; AllocationSize is kept (in clusters). */
    create_args over = {DISP(FILE_OVERWRITE), FILE_ATTRIBUTE_HIDDEN, 0, FILE_WRITE_DATA, 5000};
    f = open_as(L"\\docs\\hello.txt", over, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION s;
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, NULL), STATUS_SUCCESS);
    CHECK_EQ(s.AllocationSize.QuadPart, 8192);
    CHECK_EQ(s.EndOfFile.QuadPart, 0);
    CHECK_EQ(query(f, FileBasicInformation, &b, sizeof b, NULL), STATUS_SUCCESS);
    CHECK_EQ(b.FileAttributes, FILE_ATTRIBUTE_HIDDEN);
    CHECK(b.LastWriteTime.QuadPart >= 134116992000000000LL); /* now, on the modeled clock */
    close_file(f);
    create_args over2 = {DISP(FILE_OVERWRITE_IF), FILE_ATTRIBUTE_SYSTEM, 0, FILE_WRITE_DATA, 0};
    f = open_as(L"\\docs\\hello.txt", over2, &st);
    CHECK_EQ(query(f, FileBasicInformation, &b, sizeof b, NULL), STATUS_SUCCESS);
    CHECK_EQ(b.FileAttributes, FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM);
    close_file(f);
    create_args sup = {DISP(FILE_SUPERSEDE), FILE_ATTRIBUTE_ARCHIVE, 0, DELETE, 0};
    f = open_as(L"\\docs\\hello.txt", sup, &st);
    CHECK_EQ(query(f, FileBasicInformation, &b, sizeof b, NULL), STATUS_SUCCESS);
    CHECK_EQ(b.FileAttributes, FILE_ATTRIBUTE_ARCHIVE);
    close_file(f);
    /* A read-only file refuses data writers; a read-only volume refuses every change. */
    kf_flt_file_spec ro = {L"\\docs\\ro.txt", FILE_ATTRIBUTE_READONLY, "r", 1};
    CHECK_EQ(kf_flt_add_file(0, &ro), 0);
    create_args wr = {DISP(FILE_OPEN), 0, 0, FILE_WRITE_DATA, 0};
    f = open_as(L"\\docs\\ro.txt", wr, &st);
    CHECK_EQ(st, STATUS_ACCESS_DENIED);
    close_file(f);
    kf_flt_volume_identity id = {NULL, TRUE, 0};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    f = open_as(L"\\docs\\hello.txt", wr, &st);
    CHECK_EQ(st, STATUS_MEDIA_WRITE_PROTECTED);
    close_file(f);
    create_args make = {DISP(FILE_CREATE), 0, 0, FILE_READ_DATA, 0};
    f = open_as(L"\\docs\\new.txt", make, &st);
    CHECK_EQ(st, STATUS_MEDIA_WRITE_PROTECTED);
    close_file(f);
    f = open_as(L"\\docs\\hello.txt", plain, &st);
    CHECK_EQ(st, STATUS_SUCCESS); /* reading is fine */
    close_file(f);
}

/* ---- FS-11 non-cached and paging I/O ----------------------------------------------------------------- */

typedef struct rw_args {
    ULONG len;
    void *buf;
    LONGLONG offset;
} rw_args;
static void fill_read(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    rw_args *a = arg;
    iopb->Parameters.Read.Length = a->len;
    iopb->Parameters.Read.ReadBuffer = a->buf;
    iopb->Parameters.Read.ByteOffset.QuadPart = a->offset;
}

TEST(noncached_and_paging_io)
{
    fresh();
    put_docs();
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &st, &info);
    char buf[1024];
    rw_args a = {512, buf, 0};
    PFLT_CALLBACK_DATA d = fx_alloc(inst, f, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->IrpFlags = IRP_NOCACHE;
    fill_read(d->Iopb, &a);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(d->IoStatus.Information, 12);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->IrpFlags = IRP_NOCACHE;
    a.len = 12;
    fill_read(d->Iopb, &a);
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_INVALID_PARAMETER); /* not a whole sector */
    /* Paging reads leave the position; paging writes never extend the file. */
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->IrpFlags = IRP_PAGING_IO | IRP_NOCACHE;
    a.len = 512;
    fill_read(d->Iopb, &a);
    f->CurrentByteOffset.QuadPart = 3;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Information, 12);
    CHECK_EQ(f->CurrentByteOffset.QuadPart, 3);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_WRITE;
    d->Iopb->IrpFlags = IRP_PAGING_IO | IRP_NOCACHE;
    memset(buf, 'P', sizeof buf);
    d->Iopb->Parameters.Write.Length = 512;
    d->Iopb->Parameters.Write.WriteBuffer = buf;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    CHECK_EQ(d->IoStatus.Information, 12);
    FltReuseCallbackData(d);
    d->Iopb->MajorFunction = IRP_MJ_WRITE;
    d->Iopb->IrpFlags = IRP_PAGING_IO | IRP_NOCACHE;
    d->Iopb->Parameters.Write.Length = 512;
    d->Iopb->Parameters.Write.WriteBuffer = buf;
    d->Iopb->Parameters.Write.ByteOffset.QuadPart = 512;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS); /* entirely past the end: nothing */
    CHECK_EQ(d->IoStatus.Information, 0);
    FltFreeCallbackData(d);
    const void *data;
    ULONG size;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", &data, &size), 0);
    CHECK_EQ(size, 12);
    CHECK(memcmp(data, "PPPPPPPPPPPP", 12) == 0);
    kf_flt_volume_identity id = {NULL, TRUE, 0};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    CHECK_EQ(io(f, IRP_MJ_WRITE, 1, 0, "w", 0, &info), STATUS_MEDIA_WRITE_PROTECTED);
    close_file(f);
}

/* ---- FS-12, FS-13 query information -------------------------------------------------------------- */

TEST(query_information_classes)
{
    fresh();
    put_docs();
    kf_flt_file_spec zone = {L"\\docs\\hello.txt:Zone.Identifier", 0, "[ZoneTransfer]", 14};
    CHECK_EQ(kf_flt_add_file(0, &zone), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &st, &info);
    UCHAR buf[512];
    CHECK_EQ(query(f, 0, buf, sizeof buf, &info), STATUS_INVALID_INFO_CLASS);
    CHECK_EQ(query(f, FileMaximumInformation, buf, sizeof buf, &info), STATUS_INVALID_INFO_CLASS);
    CHECK_EQ(query(f, FilePipeInformation, buf, sizeof buf, &info), STATUS_INVALID_PARAMETER);
    CHECK_EQ(query(f, FileRenameInformation, buf, sizeof buf, &info), STATUS_INVALID_PARAMETER); /* set only */
    CHECK_EQ(query(f, FileBasicInformation, buf, sizeof(FILE_BASIC_INFORMATION) - 1, &info), STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(info, 0);
    CHECK_EQ(query(f, FileBasicInformation, NULL, 64, &info), STATUS_INVALID_USER_BUFFER);
    FILE_STANDARD_INFORMATION s;
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, &info), STATUS_SUCCESS);
    CHECK_EQ(info, sizeof s);
    CHECK_EQ(s.EndOfFile.QuadPart, 12);
    CHECK_EQ(s.AllocationSize.QuadPart, 4096);
    CHECK_EQ(s.NumberOfLinks, 1);
    CHECK(!s.Directory && !s.DeletePending);
    FILE_INTERNAL_INFORMATION ii;
    CHECK_EQ(query(f, FileInternalInformation, &ii, sizeof ii, &info), STATUS_SUCCESS);
    CHECK_EQ(ii.IndexNumber.QuadPart, (1LL << 48) | (2 + 64));
    FILE_POSITION_INFORMATION p;
    CHECK_EQ(io(f, IRP_MJ_READ, 3, 0, buf, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(query(f, FilePositionInformation, &p, sizeof p, &info), STATUS_SUCCESS);
    CHECK_EQ(p.CurrentByteOffset.QuadPart, 3);
    FILE_ATTRIBUTE_TAG_INFORMATION t;
    CHECK_EQ(query(f, FileAttributeTagInformation, &t, sizeof t, &info), STATUS_SUCCESS);
    CHECK_EQ(t.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    CHECK_EQ(t.ReparseTag, 0);
    FILE_NETWORK_OPEN_INFORMATION no;
    CHECK_EQ(query(f, FileNetworkOpenInformation, &no, sizeof no, &info), STATUS_SUCCESS);
    CHECK_EQ(no.EndOfFile.QuadPart, 12);
    CHECK_EQ(no.AllocationSize.QuadPart, 4096);
    ULONG mode = 0;
    CHECK_EQ(query(f, FileModeInformation, &mode, sizeof mode, &info), STATUS_SUCCESS);
    CHECK_EQ(mode, FILE_SYNCHRONOUS_IO_NONALERT);
    ULONG ea = 9;
    CHECK_EQ(query(f, FileEaInformation, &ea, sizeof ea, &info), STATUS_SUCCESS);
    CHECK_EQ(ea, 0);
    /* Names: from the root; a partial name is an overflow with the full length. */
    FILE_NAME_INFORMATION *n = (FILE_NAME_INFORMATION *)buf;
    CHECK_EQ(query(f, FileNameInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(n->FileNameLength, 30);
    CHECK(memcmp(n->FileName, L"\\docs\\hello.txt", 30) == 0);
    CHECK_EQ(info, 4 + 30);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(query(f, FileNormalizedNameInformation, buf, 14, &info), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(n->FileNameLength, 30);
    CHECK(memcmp(n->FileName, L"\\docs", 10) == 0);
    CHECK_EQ(info, 14);
    /* FileAllInformation: everything, the name last. */
    FILE_ALL_INFORMATION *all = (FILE_ALL_INFORMATION *)buf;
    CHECK_EQ(query(f, FileAllInformation, buf, sizeof(FILE_ALL_INFORMATION) - 1, &info), STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(query(f, FileAllInformation, buf, sizeof(FILE_ALL_INFORMATION), &info), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(all->StandardInformation.EndOfFile.QuadPart, 12);
    CHECK_EQ(all->PositionInformation.CurrentByteOffset.QuadPart, 3);
    CHECK_EQ(all->NameInformation.FileNameLength, 30);
    CHECK_EQ(query(f, FileAllInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(info, offsetof(FILE_ALL_INFORMATION, NameInformation.FileName) + 30);
    /* Streams: the default one, then the named ones, each 8-byte aligned. */
    memset(buf, 0, sizeof buf);
    CHECK_EQ(query(f, FileStreamInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    FILE_STREAM_INFORMATION *e = (FILE_STREAM_INFORMATION *)buf;
    CHECK_EQ(e->StreamNameLength, 14);
    CHECK(memcmp(e->StreamName, L"::$DATA", 14) == 0);
    CHECK_EQ(e->StreamSize.QuadPart, 12);
    CHECK_EQ(e->NextEntryOffset, 40);
    FILE_STREAM_INFORMATION *e2 = (FILE_STREAM_INFORMATION *)(buf + 40);
    CHECK_EQ(e2->NextEntryOffset, 0);
    CHECK_EQ(e2->StreamNameLength, sizeof(L":Zone.Identifier:$DATA") - 2);
    CHECK_EQ(e2->StreamSize.QuadPart, 14);
    CHECK_EQ(info, 40 + 24 + e2->StreamNameLength);
    CHECK_EQ(query(f, FileStreamInformation, buf, 48, &info), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(info, 24 + 14); /* whole entries only */
    /* The short name: none for an 8.3 name. */
    CHECK_EQ(query(f, FileAlternateNameInformation, buf, sizeof buf, &info), STATUS_OBJECT_NAME_NOT_FOUND);
    close_file(f);
    kf_flt_file_spec longname = {L"\\docs\\Quarterly Report.docx", 0, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &longname), 0);
    f = open_file(L"\\docs\\Quarterly Report.docx", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(query(f, FileAlternateNameInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(n->FileNameLength, 24);
    CHECK(memcmp(n->FileName, L"QUARTE~1.DOC", 24) == 0);
    close_file(f);
    /* A stream's name carries the stream; a directory's sizes are 0. */
    f = open_file(L"\\docs\\hello.txt:Zone.Identifier", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(query(f, FileNameInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(n->FileNameLength, sizeof(L"\\docs\\hello.txt:Zone.Identifier") - 2);
    close_file(f);
    f = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, &info), STATUS_SUCCESS);
    CHECK(s.Directory);
    CHECK_EQ(s.EndOfFile.QuadPart, 0);
    CHECK_EQ(query(f, FileStreamInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(info, 0); /* a directory has no data stream */
    close_file(f);
}

/* ---- FS-14 .. FS-16 set information ---------------------------------------------------------------- */

TEST(set_basic_end_of_file_allocation_position)
{
    fresh();
    put_docs();
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, &st, &info);
    CHECK_EQ(set(f, 0, NULL, 0), STATUS_INVALID_INFO_CLASS);
    CHECK_EQ(set(f, FileValidDataLengthInformation, &info, 8), STATUS_INVALID_PARAMETER);
    FILE_BASIC_INFORMATION b;
    memset(&b, 0, sizeof b);
    CHECK_EQ(set(f, FileBasicInformation, &b, sizeof b - 1), STATUS_INFO_LENGTH_MISMATCH);
    b.LastWriteTime.QuadPart = 5;
    b.FileAttributes = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN;
    CHECK_EQ(set(f, FileBasicInformation, &b, sizeof b), STATUS_SUCCESS);
    FILE_BASIC_INFORMATION q;
    CHECK_EQ(query(f, FileBasicInformation, &q, sizeof q, NULL), STATUS_SUCCESS);
    CHECK_EQ(q.LastWriteTime.QuadPart, 5);
    CHECK_EQ(q.FileAttributes, FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN);
    b.FileAttributes = FILE_ATTRIBUTE_NORMAL;
    b.LastWriteTime.QuadPart = 0;
    CHECK_EQ(set(f, FileBasicInformation, &b, sizeof b), STATUS_SUCCESS);
    CHECK_EQ(query(f, FileBasicInformation, &q, sizeof q, NULL), STATUS_SUCCESS);
    CHECK_EQ(q.FileAttributes, FILE_ATTRIBUTE_NORMAL);
    CHECK_EQ(q.LastWriteTime.QuadPart, 5); /* 0: unchanged */
    b.FileAttributes = FILE_ATTRIBUTE_DIRECTORY;
    CHECK_EQ(set(f, FileBasicInformation, &b, sizeof b), STATUS_INVALID_PARAMETER);
    /* End of file: shorter, then longer (zeros). */
    FILE_END_OF_FILE_INFORMATION e = {.EndOfFile.QuadPart = 5};
    CHECK_EQ(set(f, FileEndOfFileInformation, &e, sizeof e), STATUS_SUCCESS);
    e.EndOfFile.QuadPart = 8;
    CHECK_EQ(set(f, FileEndOfFileInformation, &e, sizeof e), STATUS_SUCCESS);
    const void *data;
    ULONG size;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", &data, &size), 0);
    CHECK_EQ(size, 8);
    CHECK(memcmp(data, "hello\0\0\0", 8) == 0);
    e.EndOfFile.QuadPart = -1;
    CHECK_EQ(set(f, FileEndOfFileInformation, &e, sizeof e), STATUS_INVALID_PARAMETER);
    e.EndOfFile.QuadPart = (LONGLONG)KF_FLT_FILE_MAX_SIZE + 1;
    CHECK_EQ(set(f, FileEndOfFileInformation, &e, sizeof e), STATUS_DISK_FULL);
    /* Allocation: grows the allocation, or cuts the file. */
    FILE_ALLOCATION_INFORMATION a = {.AllocationSize.QuadPart = 10000};
    CHECK_EQ(set(f, FileAllocationInformation, &a, sizeof a), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION s;
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, NULL), STATUS_SUCCESS);
    CHECK_EQ(s.AllocationSize.QuadPart, 12288);
    CHECK_EQ(s.EndOfFile.QuadPart, 8);
    a.AllocationSize.QuadPart = 2;
    CHECK_EQ(set(f, FileAllocationInformation, &a, sizeof a), STATUS_SUCCESS);
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, NULL), STATUS_SUCCESS);
    CHECK_EQ(s.EndOfFile.QuadPart, 2);
    CHECK_EQ(s.AllocationSize.QuadPart, 4096);
    /* Position. */
    FILE_POSITION_INFORMATION p = {.CurrentByteOffset.QuadPart = 1};
    CHECK_EQ(set(f, FilePositionInformation, &p, sizeof p), STATUS_SUCCESS);
    CHECK_EQ(f->CurrentByteOffset.QuadPart, 1);
    p.CurrentByteOffset.QuadPart = -2;
    CHECK_EQ(set(f, FilePositionInformation, &p, sizeof p), STATUS_INVALID_PARAMETER);
    close_file(f);
    f = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    e.EndOfFile.QuadPart = 1;
    CHECK_EQ(set(f, FileEndOfFileInformation, &e, sizeof e), STATUS_INVALID_PARAMETER); /* a directory */
    close_file(f);
}

static UCHAR rename_buf[512];
static ULONG rename_info(ULONG flags, HANDLE root, const WCHAR *name)
{
    memset(rename_buf, 0, sizeof rename_buf);
    FILE_RENAME_INFORMATION *r = (FILE_RENAME_INFORMATION *)rename_buf;
    r->Flags = flags;
    r->RootDirectory = root;
    ULONG n = 0;
    while (name[n])
        n++;
    r->FileNameLength = n * sizeof(WCHAR);
    memcpy(r->FileName, name, r->FileNameLength);
    return (ULONG)offsetof(FILE_RENAME_INFORMATION, FileName) + r->FileNameLength;
}

TEST(rename_and_links)
{
    fresh();
    put_docs();
    kf_flt_file_spec other = {L"\\docs\\other.txt", 0, "o", 1};
    kf_flt_file_spec sub = {L"\\docs\\sub", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
    kf_flt_file_spec inner = {L"\\docs\\sub\\in.txt", 0, "i", 1};
    kf_flt_file_spec stream = {L"\\docs\\hello.txt:s", 0, "s", 1};
    CHECK_EQ(kf_flt_add_file(0, &other), 0);
    CHECK_EQ(kf_flt_add_file(0, &sub), 0);
    CHECK_EQ(kf_flt_add_file(0, &inner), 0);
    CHECK_EQ(kf_flt_add_file(0, &stream), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    ULONG len = rename_info(0, NULL, L"other.txt");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_OBJECT_NAME_COLLISION);
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, 8), STATUS_INFO_LENGTH_MISMATCH);
    len = rename_info(0, NULL, L"b*d.txt");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_OBJECT_NAME_INVALID);
    len = rename_info(0, NULL, L"\\Device\\HarddiskVolume1\\nodir\\x.txt");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_OBJECT_PATH_NOT_FOUND);
    len = rename_info(0, NULL, L"\\Device\\HarddiskVolume9\\x.txt");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_OBJECT_PATH_NOT_FOUND);
    len = rename_info(FILE_RENAME_REPLACE_IF_EXISTS, NULL, L"other.txt");
    CHECK_EQ(set(f, FileRenameInformationEx, rename_buf, len), STATUS_SUCCESS); /* replaces other.txt */
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, NULL), -1);
    const void *data;
    ULONG size;
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\other.txt", &data, &size), 0);
    CHECK_EQ(size, 12);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\other.txt:s", NULL, NULL), 0); /* its streams moved with it */
    len = rename_info(0, NULL, L"\\Device\\HarddiskVolume1\\docs\\sub\\moved.txt");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\sub\\moved.txt", NULL, NULL), 0);
    len = rename_info(0, NULL, L"x:s");
    CHECK_EQ(set(f, FileRenameInformation, rename_buf, len), STATUS_INVALID_PARAMETER);
    len = rename_info(0, NULL, L"link.txt");
    CHECK_EQ(set(f, FileLinkInformation, rename_buf, len), STATUS_NOT_SUPPORTED);
    /* An open file inside a directory keeps it from moving; a closed one does not. */
    PFILE_OBJECT d = open_file(L"\\docs\\sub", FILE_OPEN, 0, &st, &info);
    len = rename_info(0, NULL, L"sub2");
    CHECK_EQ(set(d, FileRenameInformation, rename_buf, len), STATUS_ACCESS_DENIED);
    close_file(f);
    CHECK_EQ(set(d, FileRenameInformation, rename_buf, len), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\sub2\\in.txt", NULL, NULL), 0);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\sub2\\moved.txt", NULL, NULL), 0);
    len = rename_info(0, NULL, L"\\Device\\HarddiskVolume1\\docs\\sub2\\deeper");
    CHECK_EQ(set(d, FileRenameInformation, rename_buf, len), STATUS_INVALID_PARAMETER); /* into itself */
    close_file(d);
}

TEST(delete_disposition)
{
    fresh();
    put_docs();
    kf_flt_file_spec ro = {L"\\docs\\ro.txt", FILE_ATTRIBUTE_READONLY, "r", 1};
    CHECK_EQ(kf_flt_add_file(0, &ro), 0);
    NTSTATUS st;
    ULONG_PTR info;
    BOOLEAN yes = TRUE, no = FALSE;
    PFILE_OBJECT d = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(set(d, FileDispositionInformation, &yes, 1), STATUS_DIRECTORY_NOT_EMPTY);
    close_file(d);
    PFILE_OBJECT r = open_file(L"\\docs\\ro.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(set(r, FileDispositionInformation, &yes, 1), STATUS_CANNOT_DELETE);
    ULONG ex = FILE_DISPOSITION_DELETE | FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE;
    CHECK_EQ(set(r, FileDispositionInformationEx, &ex, sizeof ex), STATUS_SUCCESS);
    close_file(r);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\ro.txt", NULL, NULL), -1);
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(set(f, FileDispositionInformation, &yes, 1), STATUS_SUCCESS);
    FILE_STANDARD_INFORMATION s;
    CHECK_EQ(query(f, FileStandardInformation, &s, sizeof s, NULL), STATUS_SUCCESS);
    CHECK(s.DeletePending);
    CHECK_EQ(set(f, FileDispositionInformation, &no, 1), STATUS_SUCCESS); /* changed its mind */
    ex = 0x100;
    CHECK_EQ(set(f, FileDispositionInformationEx, &ex, sizeof ex), STATUS_INVALID_PARAMETER);
    ex = FILE_DISPOSITION_DELETE | FILE_DISPOSITION_ON_CLOSE;
    CHECK_EQ(set(f, FileDispositionInformationEx, &ex, sizeof ex), STATUS_SUCCESS);
    CHECK(f->Flags & FO_DELETE_ON_CLOSE);
    close_file(f);
    CHECK_EQ(kf_flt_file_contents(0, L"\\docs\\hello.txt", NULL, NULL), -1);
}

/* ---- FS-17, FS-18 directories ----------------------------------------------------------------------- */

typedef struct dir_args {
    int cls;
    void *buf;
    ULONG len;
    PUNICODE_STRING name;
} dir_args;
static void fill_dir(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    dir_args *a = arg;
    iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass = (FILE_INFORMATION_CLASS)a->cls;
    iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = a->buf;
    iopb->Parameters.DirectoryControl.QueryDirectory.Length = a->len;
    iopb->Parameters.DirectoryControl.QueryDirectory.FileName = a->name;
}
static NTSTATUS list(PFILE_OBJECT dir, int cls, void *buf, ULONG len, PUNICODE_STRING name, UCHAR flags, ULONG_PTR *info)
{
    dir_args a = {cls, buf, len, name};
    return raw(dir, IRP_MJ_DIRECTORY_CONTROL, IRP_MN_QUERY_DIRECTORY, flags, fill_dir, &a, info);
}

/* The names in a FILE_NAMES_INFORMATION chain, '|'-separated, ASCII. */
static void names_of(const UCHAR *buf, char *out, size_t cap)
{
    size_t k = 0;
    for (ULONG at = 0;;) {
        const FILE_NAMES_INFORMATION *e = (const FILE_NAMES_INFORMATION *)(buf + at);
        if (k && k + 1 < cap)
            out[k++] = '|';
        for (ULONG i = 0; i < e->FileNameLength / 2 && k + 1 < cap; i++)
            out[k++] = (char)e->FileName[i];
        if (!e->NextEntryOffset)
            break;
        CHECK_EQ(e->NextEntryOffset % 8, 0);
        at += e->NextEntryOffset;
    }
    out[k] = 0;
}

TEST(directory_enumeration)
{
    fresh();
    put_docs();
    const WCHAR *extra[] = {L"\\docs\\b.dll", L"\\docs\\A.exe", L"\\docs\\c.txt", L"\\docs\\Read me.txt"};
    for (int i = 0; i < 4; i++) {
        kf_flt_file_spec s = {extra[i], 0, "x", 1};
        CHECK_EQ(kf_flt_add_file(0, &s), 0);
    }
    kf_flt_file_spec sub = {L"\\docs\\zsub", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &sub), 0);
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT d = open_file(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    UCHAR buf[1024];
    char names[256];
    CHECK_EQ(list(d, FileNamesInformation, buf, 11, NULL, 0, &info), STATUS_INFO_LENGTH_MISMATCH);
    CHECK_EQ(list(d, FileBasicInformation, buf, sizeof buf, NULL, 0, &info), STATUS_INVALID_INFO_CLASS);
    /* Everything, in index order, "." and ".." first. */
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, 0, &info), STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, ".|..|A.exe|b.dll|c.txt|hello.txt|Read me.txt|zsub") == 0);
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, 0, &info), STATUS_NO_MORE_FILES);
    CHECK_EQ(info, 0);
    /* A restart with an expression; one entry at a time. */
    UNICODE_STRING txt = RTL_CONSTANT_STRING(L"*.txt");
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, &txt, SL_RESTART_SCAN | SL_RETURN_SINGLE_ENTRY, &info),
             STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, "c.txt") == 0);
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, SL_NO_CURSOR_UPDATE, &info), STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, "hello.txt|Read me.txt") == 0);
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, 0, &info), STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, "hello.txt|Read me.txt") == 0); /* the cursor had not moved */
    /* A buffer for c.txt (22 bytes, the next at 24) and most of hello.txt: whole entries only. */
    CHECK_EQ(list(d, FileNamesInformation, buf, 40, NULL, SL_RESTART_SCAN, &info), STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, "c.txt") == 0);
    CHECK_EQ(info, 22);
    /* No match at a first query, none left at a later one. */
    UNICODE_STRING none = RTL_CONSTANT_STRING(L"*.pdf");
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, &none, SL_RESTART_SCAN, &info), STATUS_NO_SUCH_FILE);
    close_file(d);
    /* The first query with a buffer for one fixed part: a partial name. */
    d = open_file(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    UNICODE_STRING hello_only = RTL_CONSTANT_STRING(L"HELLO.TXT");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(list(d, FileDirectoryInformation, buf, 64 + 4, &hello_only, 0, &info), STATUS_BUFFER_OVERFLOW);
    FILE_DIRECTORY_INFORMATION *de = (FILE_DIRECTORY_INFORMATION *)buf;
    CHECK_EQ(de->FileNameLength, 18);
    CHECK(memcmp(de->FileName, L"he", 4) == 0);
    CHECK_EQ(de->EndOfFile.QuadPart, 12);
    CHECK_EQ(info, 68);
    /* A later query whose buffer holds no whole entry: success with nothing. */
    CHECK_EQ(list(d, FileDirectoryInformation, buf, sizeof buf, NULL, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(info, 64 + 18);
    close_file(d);
    d = open_file(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, SL_RETURN_SINGLE_ENTRY, &info), STATUS_SUCCESS);
    CHECK_EQ(list(d, FileNamesInformation, buf, 13, NULL, 0, &info), STATUS_SUCCESS); /* ".." does not fit */
    CHECK_EQ(info, 0);
    close_file(d);
    /* The short names and ids of the "both" classes; the root lists no dots. */
    d = open_file(L"\\docs", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    UNICODE_STRING readme = RTL_CONSTANT_STRING(L"read me.txt");
    CHECK_EQ(list(d, FileIdBothDirectoryInformation, buf, sizeof buf, &readme, 0, &info), STATUS_SUCCESS);
    FILE_ID_BOTH_DIR_INFORMATION *be = (FILE_ID_BOTH_DIR_INFORMATION *)buf;
    CHECK_EQ(be->ShortNameLength, 24);
    CHECK(memcmp(be->ShortName, L"README~1.TXT", 24) == 0);
    CHECK(be->FileId.QuadPart != 0);
    close_file(d);
    d = open_file(L"\\", FILE_OPEN, FILE_DIRECTORY_FILE, &st, &info);
    CHECK_EQ(list(d, FileNamesInformation, buf, sizeof buf, NULL, 0, &info), STATUS_SUCCESS);
    names_of(buf, names, sizeof names);
    CHECK(strcmp(names, "docs") == 0);
    close_file(d);
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(list(f, FileNamesInformation, buf, sizeof buf, NULL, 0, &info), STATUS_INVALID_PARAMETER);
    CHECK_EQ(raw(f, IRP_MJ_DIRECTORY_CONTROL, IRP_MN_NOTIFY_CHANGE_DIRECTORY, 0, NULL, NULL, &info),
             STATUS_INVALID_PARAMETER);
    close_file(f);
    d = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(raw(d, IRP_MJ_DIRECTORY_CONTROL, IRP_MN_NOTIFY_CHANGE_DIRECTORY, 0, NULL, NULL, &info),
             STATUS_NOTIFY_ENUM_DIR);
    CHECK_EQ(raw(d, IRP_MJ_DIRECTORY_CONTROL, 7, 0, NULL, NULL, &info), STATUS_INVALID_DEVICE_REQUEST);
    close_file(d);
}

/* ---- FS-19 volume information ------------------------------------------------------------------------ */

typedef struct vol_args {
    int cls;
    void *buf;
    ULONG len;
} vol_args;
static void fill_vol(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    vol_args *a = arg;
    iopb->Parameters.QueryVolumeInformation.FsInformationClass = (FS_INFORMATION_CLASS)a->cls;
    iopb->Parameters.QueryVolumeInformation.VolumeBuffer = a->buf;
    iopb->Parameters.QueryVolumeInformation.Length = a->len;
}
static NTSTATUS volume(PFILE_OBJECT fo, int cls, void *buf, ULONG len, ULONG_PTR *info)
{
    vol_args a = {cls, buf, len};
    return raw(fo, IRP_MJ_QUERY_VOLUME_INFORMATION, 0, 0, fill_vol, &a, info);
}

TEST(volume_information_classes)
{
    fx_fresh();
    kf_flt_volume v[2] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS}, {FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_FAT}};
    CHECK_EQ(kf_flt_set_volumes(2, v), 0);
    inst = fx_start();
    put_docs();
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    UCHAR buf[256];
    CHECK_EQ(volume(f, 0, buf, sizeof buf, &info), STATUS_INVALID_INFO_CLASS);
    CHECK_EQ(volume(f, FileFsLabelInformation, buf, sizeof buf, &info), STATUS_INVALID_PARAMETER);
    CHECK_EQ(volume(f, FileFsSizeInformation, buf, 8, &info), STATUS_INFO_LENGTH_MISMATCH);
    FILE_FS_VOLUME_INFORMATION *vi = (FILE_FS_VOLUME_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsVolumeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(vi->VolumeSerialNumber, 0x4B460001);
    CHECK_EQ(vi->VolumeLabelLength, 14);
    CHECK(memcmp(vi->VolumeLabel, L"kfault1", 14) == 0);
    CHECK(vi->SupportsObjects);
    CHECK_EQ(info, 18 + 14);
    CHECK_EQ(volume(f, FileFsVolumeInformation, buf, 24, &info), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(info, 24);
    FILE_FS_SIZE_INFORMATION *si = (FILE_FS_SIZE_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsSizeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(si->BytesPerSector, 512);
    CHECK_EQ(si->SectorsPerAllocationUnit, 8);
    CHECK_EQ(si->TotalAllocationUnits.QuadPart, 0x100000);
    CHECK(si->AvailableAllocationUnits.QuadPart < 0x100000);
    FILE_FS_FULL_SIZE_INFORMATION *fi = (FILE_FS_FULL_SIZE_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsFullSizeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(fi->CallerAvailableAllocationUnits.QuadPart, fi->ActualAvailableAllocationUnits.QuadPart);
    FILE_FS_ATTRIBUTE_INFORMATION *ai = (FILE_FS_ATTRIBUTE_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsAttributeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK(memcmp(ai->FileSystemName, L"NTFS", 8) == 0);
    CHECK(ai->FileSystemAttributes & FILE_NAMED_STREAMS);
    CHECK(!(ai->FileSystemAttributes & FILE_SUPPORTS_EXTENDED_ATTRIBUTES));
    CHECK_EQ(ai->MaximumComponentNameLength, 255);
    CHECK_EQ(volume(f, FileFsAttributeInformation, buf, 16, &info), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(info, 16);
    FILE_FS_DEVICE_INFORMATION *dv = (FILE_FS_DEVICE_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsDeviceInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(dv->DeviceType, FILE_DEVICE_DISK);
    FILE_FS_SECTOR_SIZE_INFORMATION *ss = (FILE_FS_SECTOR_SIZE_INFORMATION *)buf;
    CHECK_EQ(volume(f, FileFsSectorSizeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(ss->LogicalBytesPerSector, 512);
    close_file(f);
    /* The second volume is FAT, its sectors 4096, read-only. */
    kf_flt_volume_identity id = {NULL, TRUE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(1, &id), 0);
    f = kf_flt_new_file_object(1, L"\\", NULL);
    PFLT_INSTANCE saved = inst;
    inst = kf_flt_instance(fx_filter, 1);
    CHECK_EQ(io(f, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(volume(f, FileFsAttributeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK(memcmp(ai->FileSystemName, L"FAT32", 10) == 0);
    CHECK(ai->FileSystemAttributes & FILE_READ_ONLY_VOLUME);
    CHECK_EQ(volume(f, FileFsSizeInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK_EQ(si->BytesPerSector, 4096);
    CHECK_EQ(si->SectorsPerAllocationUnit, 1);
    CHECK_EQ(volume(f, FileFsDeviceInformation, buf, sizeof buf, &info), STATUS_SUCCESS);
    CHECK(dv->Characteristics & FILE_READ_ONLY_DEVICE);
    close_file(f);
    inst = saved;
    /* FileFsSectorSizeInformation exists from Windows 8. */
    kft_options("profile=win7-amd64");
    fresh();
    f = kf_flt_new_file_object(0, L"\\", NULL);
    CHECK_EQ(io(f, IRP_MJ_CREATE, DISP(FILE_OPEN), 0, NULL, 0, &info), STATUS_SUCCESS);
    CHECK_EQ(volume(f, FileFsSectorSizeInformation, buf, sizeof buf, &info), STATUS_INVALID_PARAMETER);
    close_file(f);
    kft_options("");
}

/* ---- FS-20, FS-21 the other functions ------------------------------------------------------------------ */

static void fill_fsctl(PFLT_IO_PARAMETER_BLOCK iopb, void *arg)
{
    iopb->Parameters.FileSystemControl.Common.FsControlCode = *(ULONG *)arg;
}

TEST(other_major_functions)
{
    fresh();
    put_docs();
    NTSTATUS st;
    ULONG_PTR info;
    PFILE_OBJECT f = open_file(L"\\docs\\hello.txt", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(raw(f, IRP_MJ_QUERY_EA, 0, 0, NULL, NULL, &info), STATUS_NO_EAS_ON_FILE);
    CHECK_EQ(raw(f, IRP_MJ_SET_EA, 0, 0, NULL, NULL, &info), STATUS_EAS_NOT_SUPPORTED);
    CHECK_EQ(raw(f, IRP_MJ_FLUSH_BUFFERS, 0, 0, NULL, NULL, &info), STATUS_SUCCESS);
    CHECK_EQ(raw(f, IRP_MJ_FLUSH_BUFFERS, 9, 0, NULL, NULL, &info), STATUS_INVALID_PARAMETER);
    CHECK_EQ(raw(f, IRP_MJ_LOCK_CONTROL, IRP_MN_LOCK, 0, NULL, NULL, &info), STATUS_SUCCESS);
    ULONG code = FSCTL_GET_REPARSE_POINT;
    CHECK_EQ(raw(f, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MN_USER_FS_REQUEST, 0, fill_fsctl, &code, &info),
             STATUS_NOT_A_REPARSE_POINT);
    code = FSCTL_IS_VOLUME_MOUNTED;
    CHECK_EQ(raw(f, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MN_KERNEL_CALL, 0, fill_fsctl, &code, &info), STATUS_SUCCESS);
    CHECK_EQ(raw(f, IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MN_MOUNT_VOLUME, 0, fill_fsctl, &code, &info),
             STATUS_INVALID_DEVICE_REQUEST);
    code = FSCTL_SET_SPARSE;
    CHECK_EQ(raw(f, IRP_MJ_FILE_SYSTEM_CONTROL, 0, 0, fill_fsctl, &code, &info), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(raw(f, IRP_MJ_DEVICE_CONTROL, 0, 0, fill_fsctl, &code, &info), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(raw(f, IRP_MJ_QUERY_SECURITY, 0, 0, NULL, NULL, &info), STATUS_INVALID_DEVICE_REQUEST);
    close_file(f);
    f = open_file(L"\\docs", FILE_OPEN, 0, &st, &info);
    CHECK_EQ(raw(f, IRP_MJ_FLUSH_BUFFERS, IRP_MN_FLUSH_DATA_SYNC_ONLY, 0, NULL, NULL, &info), STATUS_INVALID_PARAMETER);
    close_file(f);
}

/* ---- FS-22, FS-23 FsRtlIsNameInExpression ---------------------------------------------------------------- */

static BOOLEAN in(const WCHAR *expression, const WCHAR *name, BOOLEAN ignore_case)
{
    UNICODE_STRING e, n;
    RtlInitUnicodeString(&e, expression);
    RtlInitUnicodeString(&n, name);
    return FsRtlIsNameInExpression(&e, &n, ignore_case, NULL);
}

TEST(name_in_expression)
{
    fresh();
    static const struct {
        const WCHAR *e, *n;
        BOOLEAN ignore, result;
    } rows[] = {
        {L"*", L"a.txt", TRUE, TRUE},
        {L"*.TXT", L"a.txt", TRUE, TRUE},
        {L"*.TXT", L"a.txt", FALSE, FALSE},
        {L"*.txt", L"a.txt", TRUE, FALSE}, /* IgnoreCase wants an upcased expression */
        {L"*.txt", L"a.txt", FALSE, TRUE},
        {L"A?C", L"abc", TRUE, TRUE},
        {L"A?C", L"ac", TRUE, FALSE},
        {L"*A*B*", L"xxaxxbxx", FALSE, FALSE},
        {L"*a*b*", L"xxaxxbxx", FALSE, TRUE},
        {L"<.TXT", L"a.b.txt", TRUE, TRUE},   /* DOS_STAR stops before the last dot */
        {L"<", L"a.b", TRUE, FALSE},
        {L"<\"*", L"abc", TRUE, TRUE},       /* "*.*" as Win32 sends it: also a name without a dot */
        {L"<\"*", L"a.b", TRUE, TRUE},
        {L">>>.TXT", L"ab.txt", TRUE, TRUE},  /* DOS_QM: up to three characters before the dot */
        {L">>>.TXT", L"abcd.txt", TRUE, FALSE},
        {L"FOO\"", L"foo", TRUE, TRUE},       /* DOS_DOT: a dot or the end */
        {L"FOO\"", L"foo.", TRUE, TRUE},
        {L"FOO\"", L"foox", TRUE, FALSE},
        {L"", L"", TRUE, TRUE},
        {L"*", L"", TRUE, FALSE},
        {L"", L"a", TRUE, FALSE},
        {L"README.TXT", L"ReadMe.txt", TRUE, TRUE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        BOOLEAN got = in(rows[i].e, rows[i].n, rows[i].ignore);
        if (got != rows[i].result)
            fprintf(stderr, "  row %zu: expected %d\n", i, rows[i].result);
        CHECK_EQ(got, rows[i].result);
    }
    UNICODE_STRING w = RTL_CONSTANT_STRING(L"a*b"), p = RTL_CONSTANT_STRING(L"plain.txt");
    CHECK(FsRtlDoesNameContainWildCards(&w));
    CHECK(!FsRtlDoesNameContainWildCards(&p));
    /* A long expression and name: still exact and bounded. */
    static WCHAR longe[600], longn[700];
    for (int i = 0; i < 599; i++)
        longe[i] = i % 2 ? L'*' : L'A';
    for (int i = 0; i < 699; i++)
        longn[i] = L'a';
    CHECK(in(longe, longn, TRUE));
}

static void name_in_null(void *arg)
{
    (void)arg;
    UNICODE_STRING n = RTL_CONSTANT_STRING(L"x");
    (void)FsRtlIsNameInExpression(NULL, &n, TRUE, NULL);
}
static void name_in_table(void *arg)
{
    (void)arg;
    static WCHAR table[1];
    UNICODE_STRING n = RTL_CONSTANT_STRING(L"x");
    (void)FsRtlIsNameInExpression(&n, &n, TRUE, table);
}
static void name_in_dispatch(void *arg)
{
    (void)arg;
    kf_set_irql(DISPATCH_LEVEL);
    UNICODE_STRING n = RTL_CONSTANT_STRING(L"x");
    (void)FsRtlIsNameInExpression(&n, &n, TRUE, NULL);
}
static void name_in_unhandled(void *arg)
{
    (void)arg;
    (void)in(L"*", L"x", TRUE);
}

TEST(name_in_expression_misuse_and_memory)
{
    fresh();
    CHECK(fx_violation(name_in_null, NULL, KF_VIOL_RTL_MALFORMED_STRING));
    CHECK(fx_violation(name_in_table, NULL, KF_VIOL_NOT_MODELED));
    CHECK(fx_bugcheck(name_in_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    fx_fail_site(KF_SITE_FSRTL_EXPRESSION, 0, KF_FAULT_HARD);
    CHECK(in(L"ABC", L"abc", TRUE)); /* no wildcard: no memory needed */
    CHECK_EQ(fx_consulted(KF_SITE_FSRTL_EXPRESSION), 0);
    volatile NTSTATUS code = 0;
    __try {
        (void)in(L"A*", L"abc", TRUE);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    CHECK_EQ(code, STATUS_NO_MEMORY);
    CHECK(fx_bugcheck(name_in_unhandled, NULL, KMODE_EXCEPTION_NOT_HANDLED, (ULONG)STATUS_NO_MEMORY, 0));
    fx_no_faults();
}
