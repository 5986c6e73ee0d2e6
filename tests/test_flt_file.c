/*
 * test_flt_file.c - the file system below the filters: the files a test puts on a volume, file
 * objects, and the file system's answers to create (dispositions, options, streams, relative
 * opens), read, write, cleanup and close. Rules FS-1 .. FS-8 of model/SEMANTICS.md.
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

