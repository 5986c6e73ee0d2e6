/*
 * test_flt_datascan.c - data-scan sections: FltRegisterForDataScan, FltCreateSectionForDataScan,
 * FltCloseSectionForDataScan, and a scanner's use of the section: ZwOpenProcess of its own process,
 * ZwMapViewOfSection / ZwUnmapViewOfSection. Rules DS-1 to DS-10 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

#define TAG 'sDkf'
#define VOL1 L"\\Device\\HarddiskVolume1"

static unsigned cleanups;

static VOID FLTAPI cleanup_cb(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
    (void)c;
    if (t == FLT_SECTION_CONTEXT)
        cleanups++;
}

static const FLT_CONTEXT_REGISTRATION regs[] = {
    {FLT_SECTION_CONTEXT, 0, cleanup_cb, 32, TAG, NULL, NULL, NULL},
    {FLT_STREAM_CONTEXT, 0, NULL, 16, TAG, NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const kf_flt_file_spec docs = {L"\\docs", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
static const kf_flt_file_spec hello = {L"\\docs\\hello.txt", 0, "hello, world", 12};
static const kf_flt_file_spec empty = {L"\\docs\\empty.txt", 0, NULL, 0};

static PFLT_INSTANCE inst;

static PFLT_INSTANCE start(void)
{
    fx_fresh();
    cleanups = 0;
    fx_registration.ContextRegistration = regs;
    inst = fx_start();
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    CHECK_EQ(kf_flt_add_file(0, &hello), 0);
    CHECK_EQ(kf_flt_add_file(0, &empty), 0);
    return inst;
}

static OBJECT_ATTRIBUTES oa;
static UNICODE_STRING oa_name;
static IO_STATUS_BLOCK iosb;

/* Opens a file (or a directory) for reading; the test holds its handle and object. */
static PFILE_OBJECT open_read(const WCHAR *path, HANDLE *h)
{
    PFILE_OBJECT fo = NULL;
    RtlInitUnicodeString(&oa_name, path);
    InitializeObjectAttributes(&oa, &oa_name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, h, &fo, GENERIC_READ | SYNCHRONIZE, &oa, &iosb, NULL,
                              FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN,
                              FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0, NULL),
             STATUS_SUCCESS);
    return fo;
}

static void done_with(HANDLE h, PFILE_OBJECT fo)
{
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    ObDereferenceObject(fo);
}

static PFLT_CONTEXT section_context(void)
{
    PFLT_CONTEXT c = NULL;
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_SECTION_CONTEXT, 32, NonPagedPoolNx, &c), STATUS_SUCCESS);
    return c;
}

static OBJECT_ATTRIBUTES kernel_oa;
static NTSTATUS create(PFLT_CONTEXT c, PFILE_OBJECT fo, ULONG protection, ULONG attributes, HANDLE *h, PVOID *obj,
                       LARGE_INTEGER *size)
{
    InitializeObjectAttributes(&kernel_oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    return FltCreateSectionForDataScan(inst, fo, c, SECTION_MAP_READ | SECTION_QUERY, &kernel_oa, NULL, protection,
                                       attributes, 0, h, obj, size);
}

static HANDLE open_own_process(void)
{
    CLIENT_ID cid = {PsGetCurrentProcessId(), PsGetCurrentThreadId()};
    OBJECT_ATTRIBUTES poa;
    InitializeObjectAttributes(&poa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE p = NULL;
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_ALL_ACCESS, &poa, &cid), STATUS_SUCCESS);
    return p;
}

static void no_leaks(void)
{
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.handles, 0);
    CHECK_EQ(l.objects, 0);
    CHECK_EQ(l.flt_sections, 0);
    CHECK_EQ(l.flt_views, 0);
    CHECK_EQ(l.flt_contexts, 0);
}

/* ---- DS-2 registration ----------------------------------------------------------------------------- */

static void register_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    (void)FltRegisterForDataScan((PFLT_INSTANCE)arg);
}

static void register_null(void *arg)
{
    (void)arg;
    (void)FltRegisterForDataScan(NULL);
}

TEST(register_for_data_scan)
{
    fx_fresh();
    kf_flt_volume v[2] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS}, {FILE_DEVICE_NAMED_PIPE, FLT_FSTYPE_NPFS}};
    CHECK_EQ(kf_flt_set_volumes(2, v), 0);
    fx_registration.ContextRegistration = regs;
    PFLT_INSTANCE disk = fx_start();
    PFLT_INSTANCE pipe = kf_flt_instance(fx_filter, 1);
    CHECK(pipe != NULL);
    CHECK_EQ(FltRegisterForDataScan(disk), STATUS_SUCCESS);
    CHECK_EQ(FltRegisterForDataScan(disk), STATUS_SUCCESS); /* again: still registered */
    CHECK_EQ(FltRegisterForDataScan(pipe), STATUS_NOT_SUPPORTED);
    CHECK(fx_bugcheck(register_at_dispatch, disk, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_violation(register_null, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
}

/* ---- DS-1 availability and routine addresses --------------------------------------------------------- */

TEST(routines_exist_from_windows_8)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"ZwOpenProcess");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ZwOpenProcess);
    RtlInitUnicodeString(&u, L"ZwMapViewOfSection");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ZwMapViewOfSection);
    RtlInitUnicodeString(&u, L"ZwUnmapViewOfSection");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ZwUnmapViewOfSection);
    start();
    CHECK(FltGetRoutineAddress("FltRegisterForDataScan") == (PVOID)&FltRegisterForDataScan);
    CHECK(FltGetRoutineAddress("FltCreateSectionForDataScan") == (PVOID)&FltCreateSectionForDataScan);
    CHECK(FltGetRoutineAddress("FltCloseSectionForDataScan") == (PVOID)&FltCloseSectionForDataScan);
    kft_options("profile=win7-amd64");
    start();
    CHECK(FltGetRoutineAddress("FltRegisterForDataScan") == NULL);
    CHECK(fx_violation(register_null, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
    kft_options("");
}

/* ---- DS-3..DS-9 the documented pattern: register, create, map, scan, unmap, close -------------------- */

TEST(section_maps_the_files_bytes)
{
    start();
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh = NULL;
    PVOID so = NULL;
    LARGE_INTEGER size = {.QuadPart = -1};
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, &size), STATUS_SUCCESS);
    CHECK(sh != NULL);
    CHECK(so != NULL);
    CHECK_EQ(size.QuadPart, 12);
    CHECK(((ULONG_PTR)sh & 0x80000000u) != 0); /* OBJ_KERNEL_HANDLE: a kernel handle */
    /* The handle names the object, with the access asked for. */
    PVOID byh = NULL;
    CHECK_EQ(ObReferenceObjectByHandle(sh, SECTION_MAP_READ, NULL, KernelMode, &byh, NULL), STATUS_SUCCESS);
    CHECK(byh == so);
    ObDereferenceObject(byh);

    HANDLE ph = open_own_process();
    PVOID base = NULL;
    SIZE_T view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ph, &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY), STATUS_SUCCESS);
    CHECK(base != NULL);
    CHECK_EQ(view, 4096); /* the view is whole pages */
    CHECK(memcmp(base, "hello, world", 12) == 0);
    UCHAR zeros[4096 - 12] = {0};
    CHECK(memcmp((UCHAR *)base + 12, zeros, sizeof zeros) == 0);
    /* A second view, through NtCurrentProcess(). */
    PVOID base2 = NULL;
    SIZE_T view2 = 5;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base2, 0, 0, NULL, &view2, ViewShare, 0, PAGE_READONLY),
             STATUS_SUCCESS);
    CHECK(base2 != base);
    CHECK_EQ(view2, 4096);
    CHECK(memcmp(base2, "hello", 5) == 0);
    CHECK_EQ(ZwUnmapViewOfSection(ZwCurrentProcess(), (UCHAR *)base2 + 100), STATUS_SUCCESS); /* any address inside */
    CHECK_EQ(ZwUnmapViewOfSection(ph, base2), STATUS_NOT_MAPPED_VIEW);
    CHECK_EQ(ZwUnmapViewOfSection(ph, base), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(ph), STATUS_SUCCESS);

    /* DS-5: the caller drops the object's reference; closing closes the handle and the context. */
    ObDereferenceObject(so);
    CHECK_EQ(cleanups, 0u);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_NOT_FOUND);
    CHECK_EQ(cleanups, 0u); /* the caller's allocation reference is still there */
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 1u);
    done_with(fh, fo);
    no_leaks();
    FltUnregisterFilter(fx_filter);
}

/* ---- DS-3 the statuses of FltCreateSectionForDataScan and FltCloseSectionForDataScan ----------------- */

TEST(create_section_statuses)
{
    start();
    HANDLE fh, dh, eh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFILE_OBJECT dir = open_read(VOL1 L"\\docs", &dh);
    PFILE_OBJECT emp = open_read(VOL1 L"\\docs\\empty.txt", &eh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh = NULL;
    PVOID so = NULL;
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_INVALID_PARAMETER); /* not registered */
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    CHECK_EQ(create(c, fo, PAGE_EXECUTE, SEC_COMMIT, &sh, &so, NULL), STATUS_INVALID_PARAMETER_8);
    CHECK_EQ(create(c, fo, 0, SEC_COMMIT, &sh, &so, NULL), STATUS_INVALID_PARAMETER_8);
    CHECK_EQ(create(c, fo, PAGE_READONLY, 0, &sh, &so, NULL), STATUS_INVALID_PARAMETER_9);
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_FILE, &sh, &so, NULL), STATUS_INVALID_PARAMETER_9);
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT | SEC_IMAGE, &sh, &so, NULL), STATUS_INVALID_PARAMETER_9);
    CHECK_EQ(create(c, dir, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_FILE_IS_A_DIRECTORY);
    CHECK_EQ(create(c, emp, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_END_OF_FILE);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_INVALID_PARAMETER); /* never passed to the create */
    /* DS-3: the fault site, asked after every check; nothing is created when it fails. */
    fx_fail_site(KF_SITE_FLT_SECTION, 1, KF_FAULT_HARD);
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT | SEC_FILE, &sh, &so, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_SECTION), 1);
    fx_no_faults();
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.flt_sections, 0);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_INVALID_PARAMETER);
    /* One open section per stream and instance. */
    CHECK_EQ(create(c, fo, PAGE_READWRITE, SEC_COMMIT | SEC_FILE, &sh, &so, NULL), STATUS_SUCCESS);
    PFLT_CONTEXT c2 = section_context();
    HANDLE sh2 = NULL;
    PVOID so2 = NULL;
    CHECK_EQ(create(c2, fo, PAGE_READONLY, SEC_COMMIT, &sh2, &so2, NULL), STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    CHECK(sh2 == NULL);
    /* Marked for teardown: the instance takes no new section. */
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(create(c2, emp, PAGE_READONLY, SEC_COMMIT, &sh2, &so2, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);
    /* Closed: the stream takes a section again, with a fresh context. */
    CHECK_EQ(create(c2, fo, PAGE_READONLY, SEC_COMMIT, &sh2, &so2, NULL), STATUS_SUCCESS);
    ObDereferenceObject(so2);
    CHECK_EQ(FltCloseSectionForDataScan(c2), STATUS_SUCCESS);
    FltReleaseContext(c);
    FltReleaseContext(c2);
    done_with(fh, fo);
    done_with(dh, dir);
    done_with(eh, emp);
    no_leaks();
    FltUnregisterFilter(fx_filter);
}

/* ---- DS-3, DS-5 misuse ----------------------------------------------------------------------------- */

static PFILE_OBJECT m_fo;
static PFLT_CONTEXT m_ctx;

static void create_null_file(void *arg)
{
    (void)arg;
    HANDLE h;
    PVOID o;
    (void)create(m_ctx, NULL, PAGE_READONLY, SEC_COMMIT, &h, &o, NULL);
}

static void create_null_handle(void *arg)
{
    (void)arg;
    PVOID o;
    (void)create(m_ctx, m_fo, PAGE_READONLY, SEC_COMMIT, NULL, &o, NULL);
}

static void create_with(void *arg)
{
    HANDLE h;
    PVOID o;
    (void)create((PFLT_CONTEXT)arg, m_fo, PAGE_READONLY, SEC_COMMIT, &h, &o, NULL);
}

static void create_unopened(void *arg)
{
    (void)arg;
    HANDLE h;
    PVOID o;
    PFILE_OBJECT unopened = kf_flt_new_file_object(0, L"\\docs\\hello.txt", NULL);
    (void)create(m_ctx, unopened, PAGE_READONLY, SEC_COMMIT, &h, &o, NULL);
}

static void delete_section_context(void *arg) { FltDeleteContext((PFLT_CONTEXT)arg); }

static void close_stream_context(void *arg) { (void)FltCloseSectionForDataScan((PFLT_CONTEXT)arg); }

TEST(data_scan_misuse_stops)
{
    start();
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    m_fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    m_ctx = section_context();
    CHECK(fx_violation(create_null_file, NULL, KF_VIOL_FLT_DATASCAN_BAD_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 2);
    CHECK(fx_violation(create_null_handle, NULL, KF_VIOL_FLT_DATASCAN_BAD_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 10);
    CHECK(fx_violation(create_unopened, NULL, KF_VIOL_FLT_DATASCAN_BAD_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 2);
    PFLT_CONTEXT stream = NULL;
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAM_CONTEXT, 16, PagedPool, &stream), STATUS_SUCCESS);
    CHECK(fx_violation(create_with, stream, KF_VIOL_FLT_CONTEXT_WRONG_TYPE));
    CHECK(fx_violation(close_stream_context, stream, KF_VIOL_FLT_CONTEXT_WRONG_TYPE));
    CHECK(fx_violation(create_with, NULL, KF_VIOL_FLT_CONTEXT_INVALID));
    PFLT_CONTEXT gone = section_context();
    FltReleaseContext(gone);
    CHECK(fx_violation(create_with, gone, KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE));
    HANDLE sh;
    PVOID so;
    CHECK_EQ(create(m_ctx, m_fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_SUCCESS);
    /* DS-5: the open section's context is not deleted, and not used for a second section. */
    CHECK(fx_violation(delete_section_context, m_ctx, KF_VIOL_FLT_SECTION_CONTEXT_DELETED));
    CHECK(fx_violation(create_with, m_ctx, KF_VIOL_FLT_SECTION_CONTEXT_IN_USE));
    /* Closed, it may be deleted (it is attached to nothing any more). */
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(m_ctx), STATUS_SUCCESS);
    FltDeleteContext(m_ctx);
    FltReleaseContext(m_ctx);
    FltReleaseContext(stream);
    done_with(fh, m_fo);
}

/* ---- DS-6 ZwOpenProcess ---------------------------------------------------------------------------- */

TEST(open_process_by_client_id)
{
    fx_fresh();
    OBJECT_ATTRIBUTES poa;
    InitializeObjectAttributes(&poa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE p = NULL;
    CLIENT_ID system = {(HANDLE)4, NULL};
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_QUERY_INFORMATION, &poa, &system), STATUS_SUCCESS);
    PVOID obj = NULL;
    CHECK_EQ(ObReferenceObjectByHandle(p, PROCESS_QUERY_INFORMATION, *PsProcessType, KernelMode, &obj, NULL),
             STATUS_SUCCESS);
    CHECK(obj == (PVOID)PsGetCurrentProcess());
    ObDereferenceObject(obj);
    CHECK_EQ(ZwClose(p), STATUS_SUCCESS);
    CLIENT_ID nobody = {(HANDLE)0x999, NULL};
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_ALL_ACCESS, &poa, &nobody), STATUS_INVALID_CID);
    CLIENT_ID wrong_thread = {(HANDLE)4, (HANDLE)0x777};
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_ALL_ACCESS, &poa, &wrong_thread), STATUS_INVALID_CID);
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_ALL_ACCESS, &poa, NULL), STATUS_INVALID_PARAMETER_MIX);
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"\\Process");
    OBJECT_ATTRIBUTES named;
    InitializeObjectAttributes(&named, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    CHECK_EQ(ZwOpenProcess(&p, PROCESS_ALL_ACCESS, &named, &system), STATUS_INVALID_PARAMETER_MIX);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.handles, 0);
}

/* ---- DS-7, DS-8 the view rules ----------------------------------------------------------------------- */

TEST(view_size_offset_and_protection)
{
    start();
    enum { BIG = 70000 };
    static UCHAR bytes[BIG];
    for (unsigned i = 0; i < BIG; i++)
        bytes[i] = (UCHAR)(i * 7 + 3);
    const kf_flt_file_spec big = {L"\\docs\\big.bin", 0, bytes, BIG};
    CHECK_EQ(kf_flt_add_file(0, &big), 0);
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\big.bin", &fh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh;
    PVOID so;
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_SUCCESS);
    PVOID base = (PVOID)0x10000;
    SIZE_T view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_CONFLICTING_ADDRESSES);
    base = NULL;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READWRITE),
             STATUS_ACCESS_DENIED); /* the handle has no SECTION_MAP_WRITE */
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, 0x13),
             STATUS_INVALID_PAGE_PROTECTION);
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, (SECTION_INHERIT)3, 0, PAGE_READONLY),
             STATUS_INVALID_PARAMETER_8);
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0x1000, PAGE_READONLY),
             STATUS_INVALID_PARAMETER_9);
    LARGE_INTEGER off = {.QuadPart = BIG};
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, &off, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_INVALID_VIEW_SIZE);
    view = BIG + 1;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_INVALID_VIEW_SIZE);
    /* An offset is rounded down to 64 KiB; the size 0 maps to the end of the section. */
    off.QuadPart = 65537;
    view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, &off, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_SUCCESS);
    CHECK_EQ(off.QuadPart, 65536);
    CHECK_EQ(view, 8192); /* 70000 - 65536 = 4464 bytes: two pages */
    CHECK(memcmp(base, bytes + 65536, BIG - 65536) == 0);
    CHECK_EQ(((UCHAR *)base)[BIG - 65536], 0);
    /* DS-7: the fault site. */
    PVOID base2 = NULL;
    SIZE_T view2 = 0;
    fx_fail_site(KF_SITE_FLT_SECTION, fx_consulted(KF_SITE_FLT_SECTION) + 1, KF_FAULT_HARD);
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base2, 0, 0, NULL, &view2, ViewUnmap, 0, PAGE_READONLY),
             STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK(base2 == NULL);
    CHECK_EQ(ZwUnmapViewOfSection(ZwCurrentProcess(), base), STATUS_SUCCESS);
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);

    /* A read-write section refuses a writable view only to a handle without SECTION_MAP_WRITE. */
    CHECK_EQ(FltCreateSectionForDataScan(inst, fo, c, SECTION_MAP_READ | SECTION_MAP_WRITE, NULL, NULL, PAGE_READWRITE,
                                         SEC_COMMIT, 0, &sh, &so, NULL),
             STATUS_SUCCESS);
    CHECK(((ULONG_PTR)sh & 0x80000000u) == 0); /* no OBJ_KERNEL_HANDLE: a handle of the current process */
    base = NULL;
    view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READWRITE),
             STATUS_SUCCESS);
    ((UCHAR *)base)[0] = 1; /* writable */
    CHECK_EQ(ZwUnmapViewOfSection(ZwCurrentProcess(), base), STATUS_SUCCESS);
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);
    FltReleaseContext(c);
    done_with(fh, fo);
    no_leaks();
    FltUnregisterFilter(fx_filter);
}

/* A read-only section refuses a writable view (STATUS_SECTION_PROTECTION), even to a handle that may write. */
TEST(read_only_section_refuses_a_writable_view)
{
    start();
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh;
    PVOID so;
    CHECK_EQ(FltCreateSectionForDataScan(inst, fo, c, SECTION_ALL_ACCESS, NULL, NULL, PAGE_READONLY, SEC_COMMIT, 0, &sh,
                                         &so, NULL),
             STATUS_SUCCESS);
    PVOID base = NULL;
    SIZE_T view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READWRITE),
             STATUS_SECTION_PROTECTION);
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);
    FltReleaseContext(c);
    done_with(fh, fo);
    no_leaks();
}

/* ---- DS-10 what a driver leaves behind ------------------------------------------------------------- */

TEST(sections_and_views_left_are_counted)
{
    start();
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh;
    PVOID so;
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_SUCCESS);
    PVOID base = NULL;
    SIZE_T view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_SUCCESS);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.flt_sections, 1);
    CHECK_EQ(l.flt_views, 1);
    size_t open_sections = 0, mapped = 0;
    kf_flt_sections_left(&open_sections, &mapped);
    CHECK_EQ(open_sections, 1);
    CHECK_EQ(mapped, 1);
    /* Closing the section leaves the view, which still references the section object. */
    ObDereferenceObject(so);
    CHECK_EQ(FltCloseSectionForDataScan(c), STATUS_SUCCESS);
    FltReleaseContext(c);
    done_with(fh, fo);
    kf_leaks(&l);
    CHECK_EQ(l.flt_sections, 0);
    CHECK_EQ(l.flt_views, 1);
    CHECK_EQ(l.objects, 1);
    CHECK(memcmp(base, "hello", 5) == 0); /* still mapped */
    CHECK_EQ(ZwUnmapViewOfSection(ZwCurrentProcess(), base), STATUS_SUCCESS);
    no_leaks();
    /* A section not closed keeps its handle open, and reset forgets it. */
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    c = section_context();
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_SUCCESS);
    base = NULL;
    view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_SUCCESS);
    kf_leaks(&l);
    CHECK_EQ(l.flt_sections, 1);
    CHECK(l.handles >= 1);
    kf_reset();
    kf_flt_sections_left(&open_sections, &mapped);
    CHECK_EQ(open_sections, 0);
    CHECK_EQ(mapped, 0);
}

/* ---- FO-11 FltIsDirectory (avscan asks it before scanning) ------------------------------------------- */

static void is_directory_unopened(void *arg)
{
    (void)arg;
    BOOLEAN d;
    PFILE_OBJECT unopened = kf_flt_new_file_object(0, L"\\docs", NULL);
    (void)FltIsDirectory(unopened, inst, &d);
}

static void is_directory_null_out(void *arg) { (void)FltIsDirectory((PFILE_OBJECT)arg, inst, NULL); }

static void is_directory_at_dispatch(void *arg)
{
    BOOLEAN d;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    (void)FltIsDirectory((PFILE_OBJECT)arg, inst, &d);
}

TEST(is_directory)
{
    start();
    HANDLE fh, dh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFILE_OBJECT dir = open_read(VOL1 L"\\docs", &dh);
    BOOLEAN d = 2;
    CHECK_EQ(FltIsDirectory(fo, inst, &d), STATUS_SUCCESS);
    CHECK_EQ(d, FALSE);
    d = 2;
    CHECK_EQ(FltIsDirectory(dir, inst, &d), STATUS_SUCCESS);
    CHECK_EQ(d, TRUE);
    CHECK(fx_violation(is_directory_unopened, NULL, KF_VIOL_FLT_FILEIO_NOT_OPEN));
    CHECK(fx_violation(is_directory_null_out, fo, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_bugcheck(is_directory_at_dispatch, fo, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(FltGetRoutineAddress("FltIsDirectory") == (PVOID)&FltIsDirectory);
    done_with(fh, fo);
    done_with(dh, dir);
}

/* ---- FD-34 FltDetachVolume ------------------------------------------------------------------------- */

static void detach_unknown_volume(void *arg)
{
    (void)arg;
    (void)FltDetachVolume(fx_filter, NULL, NULL);
}

TEST(detach_volume)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    inst = fx_start();
    PFLT_VOLUME v0 = NULL, v1 = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v0), STATUS_SUCCESS);
    PFLT_INSTANCE inst1 = kf_flt_instance(fx_filter, 1);
    CHECK_EQ(FltGetVolumeFromInstance(inst1, &v1), STATUS_SUCCESS);
    UNICODE_STRING other;
    RtlInitUnicodeString(&other, L"Another Instance");
    CHECK_EQ(FltDetachVolume(fx_filter, v0, &other), STATUS_FLT_INSTANCE_NOT_FOUND);
    CHECK(kf_flt_instance(fx_filter, 0) == inst);
    /* A manual detach: the query callback is asked, then the instance is torn down with the manual reason. */
    fx_trace[0] = 0;
    CHECK_EQ(FltDetachVolume(fx_filter, v0, NULL), STATUS_SUCCESS);
    CHECK(strstr(fx_trace, "query(v0)") != NULL);
    CHECK(strstr(fx_trace, "tstart(v0,r1)") != NULL); /* FLTFL_INSTANCE_TEARDOWN_MANUAL */
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    CHECK_EQ(FltDetachVolume(fx_filter, v0, NULL), STATUS_FLT_INSTANCE_NOT_FOUND);
    /* Marked for teardown: being torn down already. */
    CHECK_EQ(kf_flt_set_instance_teardown(inst1, TRUE), 0);
    CHECK_EQ(FltDetachVolume(fx_filter, v1, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst1, FALSE), 0);
    /* Without an InstanceQueryTeardownCallback the filter cannot be detached manually. */
    fx_registration.InstanceQueryTeardownCallback = NULL;
    CHECK(fx_violation(detach_unknown_volume, NULL, KF_VIOL_FLT_INVALID_VOLUME));
    FltObjectDereference(v0);
    FltObjectDereference(v1);
    FltUnregisterFilter(fx_filter);
    fx_fresh();
    fx_registration.InstanceQueryTeardownCallback = NULL;
    inst = fx_start();
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v0), STATUS_SUCCESS);
    CHECK_EQ(FltDetachVolume(fx_filter, v0, NULL), STATUS_FLT_DO_NOT_DETACH);
    CHECK(kf_flt_instance(fx_filter, 0) == inst);
    FltObjectDereference(v0);
    FltUnregisterFilter(fx_filter);
}

/* ---- DS-8 a read-only view is read-only memory ---------------------------------------------------------- */

static void write_through_read_only_view(void)
{
    start();
    CHECK_EQ(FltRegisterForDataScan(inst), STATUS_SUCCESS);
    HANDLE fh;
    PFILE_OBJECT fo = open_read(VOL1 L"\\docs\\hello.txt", &fh);
    PFLT_CONTEXT c = section_context();
    HANDLE sh;
    PVOID so;
    CHECK_EQ(create(c, fo, PAGE_READONLY, SEC_COMMIT, &sh, &so, NULL), STATUS_SUCCESS);
    PVOID base = NULL;
    SIZE_T view = 0;
    CHECK_EQ(ZwMapViewOfSection(sh, ZwCurrentProcess(), &base, 0, 0, NULL, &view, ViewUnmap, 0, PAGE_READONLY),
             STATUS_SUCCESS);
    ((volatile UCHAR *)base)[3] = 'X'; /* an access violation, as on Windows */
}

TEST(read_only_view_faults_on_write)
{
    CHECK(kft_expect_death(write_through_read_only_view, "SEGV"));
}

/* ---- A scanner in the style of an antivirus minifilter: after each create it maps the file and looks
 * for a signature (DS-2 to DS-9 from inside Filter Manager's callbacks) -------------------------------- */

static const char signature[] = "X5O!P%@AP";
static int scans, infected;
static BOOLEAN forget_unmap;

static BOOLEAN find_signature(const UCHAR *p, SIZE_T n)
{
    SIZE_T k = sizeof signature - 1;
    for (SIZE_T i = 0; i + k <= n; i++)
        if (!memcmp(p + i, signature, k))
            return TRUE;
    return FALSE;
}

static NTSTATUS scan_file(PCFLT_RELATED_OBJECTS objs)
{
    BOOLEAN dir = FALSE;
    NTSTATUS st = FltIsDirectory(objs->FileObject, objs->Instance, &dir);
    if (!NT_SUCCESS(st) || dir)
        return st;
    PFLT_CONTEXT ctx = NULL;
    st = FltAllocateContext(objs->Filter, FLT_SECTION_CONTEXT, 32, NonPagedPoolNx, &ctx);
    if (!NT_SUCCESS(st))
        return st;
    OBJECT_ATTRIBUTES soa;
    InitializeObjectAttributes(&soa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE section = NULL;
    PVOID object = NULL;
    LARGE_INTEGER size;
    st = FltCreateSectionForDataScan(objs->Instance, objs->FileObject, ctx, SECTION_MAP_READ, &soa, NULL, PAGE_READONLY,
                                     SEC_COMMIT, 0, &section, &object, &size);
    if (!NT_SUCCESS(st)) {
        FltReleaseContext(ctx);
        return st;
    }
    CLIENT_ID cid = {PsGetCurrentProcessId(), NULL};
    OBJECT_ATTRIBUTES poa;
    InitializeObjectAttributes(&poa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE process = NULL;
    st = ZwOpenProcess(&process, PROCESS_ALL_ACCESS, &poa, &cid);
    if (NT_SUCCESS(st)) {
        PVOID view = NULL;
        SIZE_T view_size = 0;
        st = ZwMapViewOfSection(section, process, &view, 0, 0, NULL, &view_size, ViewUnmap, 0, PAGE_READONLY);
        if (NT_SUCCESS(st)) {
            scans++;
            infected += find_signature(view, (SIZE_T)size.QuadPart < view_size ? (SIZE_T)size.QuadPart : view_size);
            if (!forget_unmap)
                ZwUnmapViewOfSection(process, view);
        }
        ZwClose(process);
    }
    ObDereferenceObject(object);
    FltCloseSectionForDataScan(ctx);
    FltReleaseContext(ctx);
    return st;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI scanner_post_create(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs,
                                                             PVOID context, FLT_POST_OPERATION_FLAGS flags)
{
    (void)context;
    if (NT_SUCCESS(data->IoStatus.Status) && !(flags & FLTFL_POST_OPERATION_DRAINING))
        (void)scan_file(objs);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static const FLT_OPERATION_REGISTRATION scanner_ops[] = {
    {IRP_MJ_CREATE, 0, NULL, scanner_post_create, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static void scanner_setup(PCFLT_RELATED_OBJECTS objs)
{
    CHECK_EQ(FltRegisterForDataScan(objs->Instance), STATUS_SUCCESS);
}

static PFILE_OBJECT open_through_filters(const WCHAR *name, NTSTATUS *st)
{
    USHORT n = 0;
    while (name[n])
        n++;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, name, n, NULL);
    CHECK(fo != NULL);
    kf_flt_io io;
    memset(&io, 0, sizeof io);
    io.major = IRP_MJ_CREATE;
    io.requestor_mode = UserMode;
    io.desired_access = FILE_READ_DATA | SYNCHRONIZE;
    io.irp_flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API;
    io.parameters.Create.Options = FILE_OPEN << 24;
    io.parameters.Create.ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE;
    *st = kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    return fo;
}

static void start_scanner(void)
{
    fx_fresh();
    scans = infected = 0;
    forget_unmap = FALSE;
    fx_registration.ContextRegistration = regs;
    fx_registration.OperationRegistration = scanner_ops;
    fx_on_setup = scanner_setup;
    inst = fx_start();
    static const kf_flt_file_spec clean = {L"\\clean.txt", 0, "nothing to see here", 19};
    static const kf_flt_file_spec bad = {L"\\bad.com", 0, "header X5O!P%@AP trailer", 24};
    CHECK_EQ(kf_flt_add_file(0, &clean), 0);
    CHECK_EQ(kf_flt_add_file(0, &bad), 0);
}

TEST(scanner_maps_each_opened_file)
{
    start_scanner();
    NTSTATUS st;
    PFILE_OBJECT a = open_through_filters(L"\\clean.txt", &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    PFILE_OBJECT b = open_through_filters(L"\\bad.com", &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(scans, 2);
    CHECK_EQ(infected, 1);
    CHECK_EQ(kf_flt_io_close(a), 0);
    CHECK_EQ(kf_flt_io_close(b), 0);
    FltUnregisterFilter(fx_filter);
    no_leaks();
}

/* The same scanner forgetting ZwUnmapViewOfSection: each view is left behind, holding its section. */
TEST(scanner_that_forgets_to_unmap_leaves_views)
{
    start_scanner();
    forget_unmap = TRUE;
    NTSTATUS st;
    PFILE_OBJECT a = open_through_filters(L"\\clean.txt", &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(kf_flt_io_close(a), 0);
    FltUnregisterFilter(fx_filter);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.flt_views, 1);
    CHECK_EQ(l.flt_sections, 0);
    CHECK_EQ(l.objects, 1);
    CHECK_EQ(l.handles, 0);
}
