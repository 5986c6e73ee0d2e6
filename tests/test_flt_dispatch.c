/*
 * test_flt_dispatch.c - Filter Manager's dispatch of I/O to a minifilter's callbacks and the
 * callback contract: the rules FD-1 .. FD-25 of model/SEMANTICS.md, each test failing when its
 * rule breaks. The minifilter here registers one pre- and post-operation callback pair for a
 * set of major functions; what each callback does is the test's (tf_pre, tf_post).
 */
#include "kft.h"
#include <fltKernel.h>
#include "kfault/flt_model.h"

#include <stdarg.h>
#include <string.h>

/* ---- The test minifilter --------------------------------------------------------------------- */

static DRIVER_OBJECT tf_driver, tf_driver2;
static PFLT_FILTER tf_filter, tf_filter2;
static FLT_OPERATION_REGISTRATION tf_ops[16], tf_ops2[4];
static FLT_REGISTRATION tf_reg, tf_reg2;
static char tf_trace[4096];
static PVOID tf_context;                 /* what the pre-operation callback gives as CompletionContext */
static FLT_PREOP_CALLBACK_STATUS tf_status; /* what it returns (default SUCCESS_WITH_CALLBACK) */
static FLT_POSTOP_CALLBACK_STATUS tf_post_status;
static FLT_PREOP_CALLBACK_STATUS (*tf_pre)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS, PVOID *);
static FLT_POSTOP_CALLBACK_STATUS (*tf_post)(PFLT_CALLBACK_DATA, PCFLT_RELATED_OBJECTS, PVOID, FLT_POST_OPERATION_FLAGS);
static PFLT_CALLBACK_DATA tf_last_data;  /* the callback data the last callback got */
static PCFLT_RELATED_OBJECTS tf_last_objs;
static FLT_RELATED_OBJECTS tf_objs_copy;
static KIRQL tf_last_irql;
static ULONG tf_last_flags;
static PVOID tf_last_context;
static FLT_IO_PARAMETER_BLOCK tf_last_iopb;
static void (*tf_teardown_start)(PCFLT_RELATED_OBJECTS);
static NTSTATUS tf_query_teardown = STATUS_SUCCESS;

static void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr(const char *fmt, ...)
{
    size_t n = strlen(tf_trace);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tf_trace + n, sizeof tf_trace - n, fmt, ap);
    va_end(ap);
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI pre_cb(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
    tr("pre(%u) ", data->Iopb->MajorFunction);
    tf_last_data = data;
    tf_last_objs = objs;
    memcpy(&tf_objs_copy, objs, sizeof tf_objs_copy);
    tf_last_irql = KeGetCurrentIrql();
    tf_last_iopb = *data->Iopb;
    if (tf_pre)
        return tf_pre(data, objs, ctx);
    *ctx = tf_context;
    return tf_status;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI post_cb(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID ctx,
                                                 FLT_POST_OPERATION_FLAGS flags)
{
    tr("post(%u,%lx,%u) ", data->Iopb->MajorFunction, (unsigned long)flags, KeGetCurrentIrql());
    tf_last_data = data;
    tf_last_irql = KeGetCurrentIrql();
    tf_last_flags = flags;
    tf_last_context = ctx;
    tf_last_iopb = *data->Iopb;
    if (tf_post)
        return tf_post(data, objs, ctx, flags);
    return tf_post_status;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI pre_cb2(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
    (void)objs;
    (void)ctx;
    tr("pre2(%u) ", data->Iopb->MajorFunction);
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI post_cb2(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID ctx,
                                                  FLT_POST_OPERATION_FLAGS flags)
{
    (void)objs;
    (void)ctx;
    tr("post2(%u,%lx) ", data->Iopb->MajorFunction, (unsigned long)flags);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static NTSTATUS FLTAPI unload_cb(FLT_FILTER_UNLOAD_FLAGS flags)
{
    (void)flags;
    FltUnregisterFilter(tf_filter);
    tf_filter = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI query_teardown_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
    (void)objs;
    (void)flags;
    tr("query ");
    return tf_query_teardown;
}

static VOID FLTAPI teardown_start_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
    tr("tstart(%lx) ", (unsigned long)reason);
    if (tf_teardown_start)
        tf_teardown_start(objs);
}

static VOID FLTAPI teardown_complete_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
    (void)objs;
    tr("tcomplete(%lx) ", (unsigned long)reason);
}

/* A fresh model and filter state; `majors` (ended by 0xFF) get pre and post with `flags`. */
static void tf_fresh(void)
{
    kft_options("");
    memset(tf_ops, 0, sizeof tf_ops);
    tf_ops[0].MajorFunction = IRP_MJ_OPERATION_END;
    tf_trace[0] = 0;
    tf_context = NULL;
    tf_status = FLT_PREOP_SUCCESS_WITH_CALLBACK;
    tf_post_status = FLT_POSTOP_FINISHED_PROCESSING;
    tf_pre = NULL;
    tf_post = NULL;
    tf_last_data = NULL;
    tf_teardown_start = NULL;
    tf_query_teardown = STATUS_SUCCESS;
    tf_filter = tf_filter2 = NULL;
}

static void tf_register(const UCHAR *majors, unsigned n, ULONG flags, BOOLEAN with_pre, BOOLEAN with_post)
{
    for (unsigned i = 0; i < n; i++) {
        tf_ops[i].MajorFunction = majors[i];
        tf_ops[i].Flags = flags;
        tf_ops[i].PreOperation = with_pre ? pre_cb : NULL;
        tf_ops[i].PostOperation = with_post ? post_cb : NULL;
        tf_ops[i].Reserved1 = NULL;
    }
    tf_ops[n].MajorFunction = IRP_MJ_OPERATION_END;
    memset(&tf_reg, 0, sizeof tf_reg);
    tf_reg.Size = sizeof tf_reg;
    tf_reg.Version = FLT_REGISTRATION_VERSION;
    tf_reg.OperationRegistration = tf_ops;
    tf_reg.FilterUnloadCallback = unload_cb;
    tf_reg.InstanceQueryTeardownCallback = query_teardown_cb;
    tf_reg.InstanceTeardownStartCallback = teardown_start_cb;
    tf_reg.InstanceTeardownCompleteCallback = teardown_complete_cb;
    CHECK_EQ(FltRegisterFilter(&tf_driver, &tf_reg, &tf_filter), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(tf_filter), STATUS_SUCCESS);
}

/* The usual filter: pre and post for create, read, write, cleanup, close, directory control,
 * query information, file system control and lock control. */
static const UCHAR all_majors[] = {IRP_MJ_CREATE, IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE,
                                   IRP_MJ_DIRECTORY_CONTROL, IRP_MJ_QUERY_INFORMATION,
                                   IRP_MJ_FILE_SYSTEM_CONTROL, IRP_MJ_LOCK_CONTROL};
static void tf_start(void) { tf_register(all_majors, sizeof all_majors, 0, TRUE, TRUE); }

static void add_file(const WCHAR *path, const char *data)
{
    kf_flt_file_spec spec = {path, 0, data, data ? (ULONG)strlen(data) : 0};
    CHECK_EQ(kf_flt_add_file(0, &spec), 0);
}

static USHORT wlen(const WCHAR *w)
{
    USHORT n = 0;
    while (w[n])
        n++;
    return n;
}

static kf_flt_io create_io(ULONG disposition, ULONG options)
{
    kf_flt_io io;
    memset(&io, 0, sizeof io);
    io.major = IRP_MJ_CREATE;
    io.requestor_mode = UserMode;
    io.desired_access = FILE_READ_DATA | SYNCHRONIZE;
    io.irp_flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API;
    io.parameters.Create.Options = (disposition << 24) | options;
    /* Shared with every other open: the tests open a file more than once (FS share access). */
    io.parameters.Create.ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    return io;
}

/* Opens `name` on volume 0 through the filters; the file object, status in *st. */
static PFILE_OBJECT tf_open(const WCHAR *name, ULONG disposition, NTSTATUS *st)
{
    PFILE_OBJECT fo = kf_flt_io_file_object(0, name, wlen(name), NULL);
    CHECK(fo != NULL);
    kf_flt_io io = create_io(disposition, FILE_NON_DIRECTORY_FILE);
    *st = kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    return fo;
}

static UCHAR read_buf[512];

static kf_flt_io read_io(ULONG length, ULONG irp_flags, KIRQL post_irql)
{
    kf_flt_io io;
    memset(&io, 0, sizeof io);
    io.major = IRP_MJ_READ;
    io.irp_flags = irp_flags;
    io.requestor_mode = UserMode;
    io.post_irql = post_irql;
    io.parameters.Read.Length = length;
    io.parameters.Read.ReadBuffer = read_buf;
    return io;
}

/* The stop of the last fn run under kft_stops, and matchers. */
static kf_stop tf_stop;
static int violation(void (*fn)(void *), void *arg, kf_violation v)
{
    memset(&tf_stop, 0, sizeof tf_stop);
    if (!kft_stops(fn, arg, &tf_stop)) {
        fprintf(stderr, "  expected violation 0x%X, no stop\n", (unsigned)v);
        return 0;
    }
    if (tf_stop.code != DRIVER_VERIFIER_DETECTED_VIOLATION || tf_stop.param[0] != (ULONG_PTR)v) {
        char buf[1024];
        kf_stop_format(&tf_stop, buf, sizeof buf);
        fprintf(stderr, "  expected violation 0x%X, got:\n%s", (unsigned)v, buf);
        return 0;
    }
    return 1;
}

/* ---- FD-1: Filter Manager's callback data and the related objects --------------------------- */

TEST(callback_data_built_for_each_operation)
{
    tf_fresh();
    tf_start();
    kf_flt_file_spec dir = {L"\\docs", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &dir), 0);
    add_file(L"\\docs\\a.txt", "hello");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\docs\\a.txt", FILE_OPEN, &st);
    CHECK(!strcmp(tf_trace, "pre(0) post(0,0,0) "));
    CHECK_EQ(st, STATUS_SUCCESS);
    /* The create's callback data as the pre-operation callback saw it. */
    CHECK_EQ(tf_last_iopb.MajorFunction, IRP_MJ_CREATE);
    CHECK(tf_last_iopb.TargetFileObject == fo);
    CHECK(tf_last_iopb.TargetInstance == kf_flt_instance(tf_filter, 0));
    CHECK_EQ(tf_objs_copy.Size, sizeof(FLT_RELATED_OBJECTS));
    CHECK(tf_objs_copy.Filter == tf_filter);
    CHECK(tf_objs_copy.Instance == kf_flt_instance(tf_filter, 0));
    CHECK(tf_objs_copy.FileObject == fo);
    CHECK(tf_objs_copy.Volume != NULL);
    CHECK_EQ(tf_last_iopb.Parameters.Create.Options >> 24, FILE_OPEN);
    CHECK(fo->Flags & FO_HANDLE_CREATED);
    tf_trace[0] = 0;
    kf_flt_io io = read_io(4, IRP_SYNCHRONOUS_API, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, "pre(3) post(3,0,0) "));
    CHECK(!memcmp(read_buf, "hell", 4));
    CHECK_EQ(tf_last_iopb.Parameters.Read.Length, 4);
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK_EQ(kf_flt_io_file_objects(), 0);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
}

static FLT_PREOP_CALLBACK_STATUS look_at_data(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    CHECK_EQ(d->Flags & (FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_FAST_IO_OPERATION),
             FLTFL_CALLBACK_DATA_IRP_OPERATION);
    CHECK(d->Thread == PsGetCurrentThread());
    CHECK_EQ(d->RequestorMode, UserMode);
    CHECK(d->Iopb->Parameters.Create.SecurityContext != NULL);
    CHECK_EQ(d->Iopb->Parameters.Create.SecurityContext->DesiredAccess, FILE_READ_DATA | SYNCHRONIZE);
    CHECK_EQ(d->IoStatus.Status, 0);
    /* The request runs in the requestor's process (a user process for UserMode). */
    CHECK(PsGetCurrentProcessId() != (HANDLE)4);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(callback_data_fields)
{
    tf_fresh();
    tf_start();
    tf_pre = look_at_data;
    NTSTATUS st;
    (void)tf_open(L"\\new.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, "pre(0) "));
    CHECK(PsGetCurrentProcessId() == (HANDLE)4); /* back in the system process */
}

static FLT_PREOP_CALLBACK_STATUS complete_create(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    d->IoStatus.Status = STATUS_ACCESS_DENIED;
    d->IoStatus.Information = 0;
    return FLT_PREOP_COMPLETE;
}

TEST(create_reaches_the_file_system_only_when_let_through)
{
    tf_fresh();
    tf_start();
    tf_pre = complete_create;
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\blocked.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_ACCESS_DENIED);
    CHECK_EQ(kf_flt_files(0), 0); /* never created below */
    CHECK(!(fo->Flags & FO_FILE_OPEN));
    CHECK(!strcmp(tf_trace, "pre(0) ")); /* COMPLETE: no post-operation callback of its own */
    CHECK_EQ(kf_flt_io_close(fo), 0);   /* a failed create: no cleanup, no close */
    CHECK(!strcmp(tf_trace, "pre(0) "));
    CHECK_EQ(kf_flt_io_file_objects(), 0);
    tf_pre = NULL;
    fo = tf_open(L"\\allowed.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK_EQ(kf_flt_files(0), 1);
}

/* ---- FD-2: registered operations only, skip flags, the filters' order --------------------------- */

TEST(only_registered_operations)
{
    tf_fresh();
    static const UCHAR just_read[] = {IRP_MJ_READ};
    tf_register(just_read, 1, 0, TRUE, TRUE);
    add_file(L"\\a.txt", "abcdef");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\a.txt", FILE_OPEN, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, "")); /* no create callback registered */
    kf_flt_io io = read_io(2, 0, PASSIVE_LEVEL);
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK(!strcmp(tf_trace, "pre(3) post(3,0,0) "));
    kf_flt_io_close(fo);
    CHECK(!strcmp(tf_trace, "pre(3) post(3,0,0) "));
}

TEST(skip_flags)
{
    static const UCHAR rw[] = {IRP_MJ_CREATE, IRP_MJ_READ};
    NTSTATUS st;
    struct {
        ULONG flag, irp_flags;
        BOOLEAN fast, called;
    } rows[] = {
        {FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO, IRP_PAGING_IO | IRP_NOCACHE, FALSE, FALSE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO, 0, FALSE, TRUE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO, 0, FALSE, FALSE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO, 0, TRUE, FALSE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO, IRP_NOCACHE, FALSE, TRUE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO, IRP_NOCACHE, FALSE, FALSE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO, IRP_NOCACHE | IRP_PAGING_IO, FALSE, TRUE},
        {FLTFL_OPERATION_REGISTRATION_SKIP_NON_DASD_IO, 0, FALSE, FALSE},
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tf_fresh();
        tf_register(rw, 2, rows[i].flag, TRUE, TRUE);
        add_file(L"\\a.txt", "abcdef");
        PFILE_OBJECT fo = tf_open(L"\\a.txt", FILE_OPEN, &st);
        tf_trace[0] = 0;
        kf_flt_io io = read_io(2, rows[i].irp_flags, PASSIVE_LEVEL);
        io.fast_io = rows[i].fast;
        kf_flt_send_io(fo, &io, NULL, NULL, NULL);
        if (rows[i].called != (strstr(tf_trace, "pre(3)") != NULL))
            fprintf(stderr, "  row %u: trace '%s'\n", i, tf_trace);
        CHECK_EQ(strstr(tf_trace, "pre(3)") != NULL, rows[i].called);
    }
}

TEST(filters_in_order_pre_down_post_up)
{
    tf_fresh();
    tf_start();
    tf_ops2[0].MajorFunction = IRP_MJ_CREATE;
    tf_ops2[0].PreOperation = pre_cb2;
    tf_ops2[0].PostOperation = post_cb2;
    tf_ops2[1].MajorFunction = IRP_MJ_OPERATION_END;
    memset(&tf_reg2, 0, sizeof tf_reg2);
    tf_reg2.Size = sizeof tf_reg2;
    tf_reg2.Version = FLT_REGISTRATION_VERSION;
    tf_reg2.OperationRegistration = tf_ops2;
    CHECK_EQ(FltRegisterFilter(&tf_driver2, &tf_reg2, &tf_filter2), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(tf_filter2), STATUS_SUCCESS);
    NTSTATUS st;
    (void)tf_open(L"\\x.txt", FILE_CREATE, &st);
    CHECK(!strcmp(tf_trace, "pre(0) pre2(0) post2(0,0) post(0,0,0) "));
    /* A filter that completes in pre: the lower one never sees it, the higher ones' posts run. */
    tf_trace[0] = 0;
    tf_pre = complete_create;
    (void)tf_open(L"\\y.txt", FILE_CREATE, &st);
    CHECK(!strcmp(tf_trace, "pre(0) "));
    CHECK_EQ(st, STATUS_ACCESS_DENIED);
}

/* ---- FD-3: what each pre-operation status does ---------------------------------------------- */

TEST(pre_status_with_and_without_callback)
{
    tf_fresh();
    tf_start();
    static int marker;
    tf_context = &marker;
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\c.txt", FILE_CREATE, &st);
    CHECK(tf_last_context == &marker);
    CHECK(!strcmp(tf_trace, "pre(0) post(0,0,0) "));
    tf_trace[0] = 0;
    tf_context = NULL;
    tf_status = FLT_PREOP_SUCCESS_NO_CALLBACK;
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_END_OF_FILE);
    CHECK(!strcmp(tf_trace, "pre(3) "));
}

/* ---- FD-4: misused pre-operation statuses ------------------------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS complete_pending(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    d->IoStatus.Status = STATUS_PENDING;
    return FLT_PREOP_COMPLETE;
}

static void open_x(void *a)
{
    (void)a;
    NTSTATUS st;
    (void)tf_open(L"\\x.txt", FILE_OPEN_IF, &st);
}

TEST(complete_with_pending_is_a_violation)
{
    tf_fresh();
    tf_start();
    tf_pre = complete_pending;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_PREOP_COMPLETE_STATUS));
    CHECK(strstr(tf_stop.reason, "IRP_MJ_CREATE") != NULL);
    CHECK(!strcmp(tf_stop.routine, "PFLT_PRE_OPERATION_CALLBACK"));
}

static PFILE_OBJECT tf_fo;
static void cleanup_fo(void *a)
{
    (void)a;
    kf_flt_io_close(tf_fo);
}

static FLT_PREOP_CALLBACK_STATUS fail_cleanup(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    if (d->Iopb->MajorFunction != IRP_MJ_CLEANUP)
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    d->IoStatus.Status = STATUS_ACCESS_DENIED;
    return FLT_PREOP_COMPLETE;
}

TEST(complete_cleanup_with_failure_is_a_violation)
{
    tf_fresh();
    tf_start();
    NTSTATUS st;
    tf_fo = tf_open(L"\\x.txt", FILE_CREATE, &st);
    tf_pre = fail_cleanup;
    CHECK(violation(cleanup_fo, NULL, KF_VIOL_FLT_PREOP_COMPLETE_STATUS));
}

TEST(completion_context_without_post_is_a_violation)
{
    tf_fresh();
    tf_start();
    static int marker;
    tf_context = &marker;
    tf_status = FLT_PREOP_SUCCESS_NO_CALLBACK;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_COMPLETION_CONTEXT_UNUSED));
}

TEST(with_callback_without_post_registered)
{
    tf_fresh();
    static const UCHAR create_only[] = {IRP_MJ_CREATE};
    tf_register(create_only, 1, 0, TRUE, FALSE);
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_NO_POST_CALLBACK));
    CHECK_EQ(tf_stop.param[1], 0x66);
    /* Without a post-operation callback, SUCCESS_NO_CALLBACK is right. */
    tf_status = FLT_PREOP_SUCCESS_NO_CALLBACK;
    NTSTATUS st;
    (void)tf_open(L"\\ok.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
}

TEST(invalid_pre_status_values)
{
    tf_fresh();
    tf_start();
    tf_status = (FLT_PREOP_CALLBACK_STATUS)7;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_PREOP_STATUS_INVALID));
    tf_fresh();
    tf_start();
    tf_status = FLT_PREOP_DISALLOW_FSFILTER_IO;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_PREOP_STATUS_INVALID));
}

static void fast_read(void *a)
{
    kf_flt_io io = read_io(2, 0, PASSIVE_LEVEL);
    io.fast_io = a != NULL;
    NTSTATUS st = kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL);
    if (a)
        CHECK_EQ(st, STATUS_FLT_DISALLOW_FAST_IO);
}

TEST(disallow_fastio_only_for_fast_io)
{
    tf_fresh();
    tf_start();
    add_file(L"\\f.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\f.txt", FILE_OPEN, &st);
    tf_status = FLT_PREOP_DISALLOW_FASTIO;
    tf_trace[0] = 0;
    fast_read((void *)1);
    CHECK(!strcmp(tf_trace, "pre(3) ")); /* the filter's own post does not run */
    CHECK(violation(fast_read, NULL, KF_VIOL_FLT_DISALLOW_FASTIO_ON_IRP));
}

/* ---- FD-5: pended pre-operations ---------------------------------------------------------------- */

static PFLT_CALLBACK_DATA tf_pended;
static FLT_PREOP_CALLBACK_STATUS pend(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    tf_pended = d;
    return FLT_PREOP_PENDING;
}

static NTSTATUS tf_done_status;
static int tf_done_calls;
static void done_cb(void *ctx, unsigned long long serial, NTSTATUS status, ULONG_PTR info)
{
    (void)ctx;
    (void)serial;
    (void)info;
    tf_done_status = status;
    tf_done_calls++;
}

TEST(pended_pre_operation_completed_later)
{
    tf_fresh();
    tf_start();
    tf_pre = pend;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\p.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_CREATE, 0);
    tf_done_calls = 0;
    CHECK_EQ(kf_flt_send_io(fo, &io, done_cb, NULL, NULL), STATUS_PENDING);
    CHECK_EQ(kf_flt_ios_pended(), 1);
    CHECK_EQ(kf_flt_files(0), 0); /* not below yet */
    CHECK_EQ(tf_done_calls, 0);
    static int marker;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_WITH_CALLBACK, &marker);
    CHECK(!strcmp(tf_trace, "pre(0) post(0,0,0) "));
    CHECK(tf_last_context == &marker);
    CHECK_EQ(tf_done_calls, 1);
    CHECK_EQ(tf_done_status, STATUS_SUCCESS);
    CHECK_EQ(kf_flt_files(0), 1);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
}

static void complete_again(void *a)
{
    (void)a;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
}

static void complete_with(void *a)
{
    FltCompletePendedPreOperation(tf_pended, (FLT_PREOP_CALLBACK_STATUS)(ULONG_PTR)a, NULL);
}

static void complete_with_context(void *a)
{
    (void)a;
    static int marker;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_NO_CALLBACK, &marker);
}

static void pend_one(void)
{
    tf_fresh();
    tf_start();
    tf_pre = pend;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\p.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_CREATE, 0);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
}

TEST(pended_completion_misuse)
{
    pend_one();
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    CHECK(violation(complete_again, NULL, KF_VIOL_FLT_COMPLETE_NOT_PENDED)); /* twice */
    pend_one();
    CHECK(violation(complete_with, (void *)(ULONG_PTR)FLT_PREOP_PENDING, KF_VIOL_FLT_COMPLETE_PENDED_STATUS));
    pend_one();
    CHECK(violation(complete_with, (void *)(ULONG_PTR)FLT_PREOP_SYNCHRONIZE, KF_VIOL_FLT_COMPLETE_PENDED_STATUS));
    pend_one();
    CHECK(violation(complete_with_context, NULL, KF_VIOL_FLT_COMPLETE_PENDED_STATUS));
}

static void complete_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    FltCompletePendedPreOperation(tf_pended, (FLT_PREOP_CALLBACK_STATUS)(ULONG_PTR)a, NULL);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(pended_completion_irql)
{
    pend_one();
    kf_stop s;
    CHECK(kft_stops(complete_at_dispatch, (void *)(ULONG_PTR)FLT_PREOP_SUCCESS_NO_CALLBACK, &s));
    CHECK_EQ(s.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(s.param[0], APC_LEVEL);
    /* COMPLETE may be given at DISPATCH_LEVEL. */
    tf_pended->IoStatus.Status = STATUS_CANCELLED;
    CHECK(!kft_stops(complete_at_dispatch, (void *)(ULONG_PTR)FLT_PREOP_COMPLETE, &s));
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
}

static FLT_PREOP_CALLBACK_STATUS complete_inside_then_pend(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    return FLT_PREOP_PENDING;
}

static FLT_PREOP_CALLBACK_STATUS complete_inside_then_succeed(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o,
                                                              PVOID *c)
{
    (void)o;
    (void)c;
    FltCompletePendedPreOperation(d, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(pended_completion_before_pending_returns)
{
    tf_fresh();
    tf_start();
    tf_pre = complete_inside_then_pend;
    NTSTATUS st;
    (void)tf_open(L"\\race.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_SUCCESS); /* the benign race: completed as soon as PENDING came back */
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    tf_pre = complete_inside_then_succeed;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_COMPLETE_NOT_PENDED));
}

TEST(pending_on_fast_io_is_a_violation)
{
    tf_fresh();
    tf_start();
    add_file(L"\\f.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\f.txt", FILE_OPEN, &st);
    tf_pre = pend;
    CHECK(violation(fast_read, (void *)1, KF_VIOL_FLT_PENDED_NOT_IRP));
}

/* ---- FD-6: post-operation callbacks that keep the operation ------------------------------------ */

static PFLT_CALLBACK_DATA tf_post_pended;
static FLT_POSTOP_CALLBACK_STATUS keep_op(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                          FLT_POST_OPERATION_FLAGS f)
{
    (void)o;
    (void)c;
    (void)f;
    tf_post_pended = d;
    return FLT_POSTOP_MORE_PROCESSING_REQUIRED;
}

static void complete_post(void *a)
{
    (void)a;
    FltCompletePendedPostOperation(tf_post_pended);
}

TEST(more_processing_required_completed_once)
{
    tf_fresh();
    tf_start();
    tf_post = keep_op;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\m.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_CREATE, 0);
    tf_done_calls = 0;
    CHECK_EQ(kf_flt_send_io(fo, &io, done_cb, NULL, NULL), STATUS_PENDING);
    CHECK_EQ(kf_flt_ios_pended(), 1);
    CHECK_EQ(tf_done_calls, 0);
    FltCompletePendedPostOperation(tf_post_pended);
    CHECK_EQ(tf_done_calls, 1);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    CHECK(violation(complete_post, NULL, KF_VIOL_FLT_COMPLETE_NOT_PENDED));
}

TEST(more_processing_on_fast_io_is_a_violation)
{
    tf_fresh();
    tf_start();
    add_file(L"\\f.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\f.txt", FILE_OPEN, &st);
    tf_post = keep_op;
    CHECK(violation(fast_read, (void *)1, KF_VIOL_FLT_PENDED_NOT_IRP));
}

TEST(invalid_post_status)
{
    tf_fresh();
    tf_start();
    tf_post_status = FLT_POSTOP_DISALLOW_FSFILTER_IO;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_POSTOP_STATUS_INVALID));
}

/* ---- FD-7: the IRQL of post-operation callbacks -------------------------------------------------- */

TEST(post_irql)
{
    tf_fresh();
    tf_start();
    add_file(L"\\i.txt", "0123456789");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\i.txt", FILE_OPEN, &st);
    CHECK_EQ(tf_last_irql, PASSIVE_LEVEL); /* post-create: PASSIVE_LEVEL */
    kf_flt_io io = read_io(2, 0, DISPATCH_LEVEL);
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK_EQ(tf_last_irql, DISPATCH_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* SYNCHRONIZE: at the IRQL of the pre-operation callback. */
    tf_status = FLT_PREOP_SYNCHRONIZE;
    io = read_io(2, IRP_SYNCHRONOUS_API, DISPATCH_LEVEL);
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK_EQ(tf_last_irql, PASSIVE_LEVEL);
    /* Fast I/O: at the IRQL of the pre-operation callback. */
    tf_status = FLT_PREOP_SUCCESS_WITH_CALLBACK;
    io = read_io(2, 0, DISPATCH_LEVEL);
    io.fast_io = TRUE;
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK_EQ(tf_last_irql, PASSIVE_LEVEL);
    /* Create: always PASSIVE_LEVEL. */
    PFILE_OBJECT fo2 = kf_flt_io_file_object(0, L"\\j.txt", 6, NULL);
    kf_flt_io c = create_io(FILE_CREATE, 0);
    c.post_irql = DISPATCH_LEVEL;
    kf_flt_send_io(fo2, &c, NULL, NULL, NULL);
    CHECK_EQ(tf_last_irql, PASSIVE_LEVEL);
}

static FLT_PREOP_CALLBACK_STATUS synchronize(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)d;
    (void)o;
    (void)c;
    return FLT_PREOP_SYNCHRONIZE;
}

TEST(synchronize_forbidden_for_asynchronous_io)
{
    tf_fresh();
    tf_start();
    add_file(L"\\f.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\f.txt", FILE_OPEN, &st);
    tf_pre = synchronize;
    CHECK(violation(fast_read, NULL, KF_VIOL_FLT_SYNCHRONIZE_FORBIDDEN)); /* no IRP_SYNCHRONOUS_API */
}

/* ---- FD-8: the layers below: holding, answering instead of the file system ---------------------- */

TEST(lower_holds_until_completed)
{
    tf_fresh();
    tf_start();
    add_file(L"\\h.txt", "abcdef");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\h.txt", FILE_OPEN, &st);
    tf_trace[0] = 0;
    kf_flt_io io = read_io(3, 0, APC_LEVEL);
    io.lower_pends = TRUE;
    tf_done_calls = 0;
    CHECK_EQ(kf_flt_send_io(fo, &io, done_cb, NULL, NULL), STATUS_PENDING);
    CHECK(!strcmp(tf_trace, "pre(3) "));
    CHECK_EQ(kf_flt_ios_in_flight(), 1);
    CHECK_EQ(kf_flt_ios_pended(), 0); /* held below, not by the filter */
    CHECK_EQ(kf_flt_complete_lower(), 1);
    CHECK(!strcmp(tf_trace, "pre(3) post(3,0,1) "));
    CHECK_EQ(tf_done_calls, 1);
    CHECK_EQ(tf_done_status, STATUS_SUCCESS);
    /* An answer instead of the file system's. */
    io = read_io(3, 0, PASSIVE_LEVEL);
    io.lower_override = TRUE;
    io.lower_status = STATUS_FILE_LOCK_CONFLICT;
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_FILE_LOCK_CONFLICT);
}

/* ---- FD-9, FD-10: teardown with I/O in flight --------------------------------------------------- */

static void unload_now(void *a)
{
    (void)a;
    (void)kf_flt_unload(tf_filter, 0);
}

TEST(pended_not_completed_at_teardown)
{
    pend_one();
    CHECK(violation(unload_now, NULL, KF_VIOL_FLT_PENDED_NOT_COMPLETED));
    CHECK(!strcmp(tf_stop.routine, "InstanceTeardownStartCallback"));
    CHECK(strstr(tf_stop.reason, "p.txt") != NULL);
}

static void complete_in_teardown(PCFLT_RELATED_OBJECTS o)
{
    (void)o;
    tf_pended->IoStatus.Status = STATUS_CANCELLED;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_COMPLETE, NULL);
}

TEST(pended_completed_by_teardown_start)
{
    pend_one();
    tf_teardown_start = complete_in_teardown;
    CHECK_EQ(kf_flt_unload(tf_filter, 0), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
}

static PFLT_GENERIC_WORKITEM tf_work;
static VOID FLTAPI complete_later(PFLT_GENERIC_WORKITEM item, PVOID object, PVOID ctx)
{
    (void)object;
    (void)ctx;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    FltFreeGenericWorkItem(item);
}

static FLT_PREOP_CALLBACK_STATUS pend_for_a_worker(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)c;
    tf_pended = d;
    tf_work = FltAllocateGenericWorkItem();
    CHECK(tf_work != NULL);
    CHECK_EQ(FltQueueGenericWorkItem(tf_work, o->Instance, complete_later, DelayedWorkQueue, NULL), STATUS_SUCCESS);
    return FLT_PREOP_PENDING;
}

TEST(teardown_waits_for_the_workers)
{
    /* A detach (no work items run first, unlike an unregister): the teardown lets the queued work
     * item complete the operation before it judges. */
    tf_fresh();
    tf_start();
    tf_pre = pend_for_a_worker;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\w.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_CREATE, 0);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    CHECK_EQ(kf_flt_detach(tf_filter, 0, FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    CHECK_EQ(kf_flt_work_items_outstanding(), 0);
}

TEST(post_more_processing_not_completed_at_teardown)
{
    tf_fresh();
    tf_start();
    tf_post = keep_op;
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\m.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_CREATE, 0);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    CHECK(violation(unload_now, NULL, KF_VIOL_FLT_PENDED_NOT_COMPLETED));
}

TEST(draining_at_unload)
{
    tf_fresh();
    tf_start();
    add_file(L"\\d.txt", "abcdef");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\d.txt", FILE_OPEN, &st);
    static int marker;
    tf_context = &marker;
    kf_flt_io io = read_io(3, 0, DISPATCH_LEVEL);
    io.lower_pends = TRUE;
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_unload(tf_filter, 0), STATUS_SUCCESS);
    /* The post-operation callback runs at once, draining, at PASSIVE_LEVEL, on a copy. */
    CHECK(!strcmp(tf_trace, "tstart(2) post(3,1,0) tcomplete(2) "));
    CHECK(tf_last_context == &marker);
    CHECK_EQ(tf_last_flags, FLTFL_POST_OPERATION_DRAINING);
    /* The I/O completes later without the filter. */
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_complete_lower(), 1);
    CHECK(!strcmp(tf_trace, ""));
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
}

TEST(more_processing_while_draining_is_a_violation)
{
    tf_fresh();
    tf_start();
    add_file(L"\\d.txt", "abcdef");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\d.txt", FILE_OPEN, &st);
    kf_flt_io io = read_io(3, 0, DISPATCH_LEVEL);
    io.lower_pends = TRUE;
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    tf_post = keep_op;
    CHECK(violation(unload_now, NULL, KF_VIOL_FLT_POSTOP_STATUS_INVALID));
}

/* ---- FD-11: cleanup and close -------------------------------------------------------------------- */

TEST(close_sends_cleanup_then_close)
{
    tf_fresh();
    tf_start();
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\cl.txt", FILE_CREATE, &st);
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK(!strcmp(tf_trace, "pre(18) post(18,0,0) pre(2) post(2,0,0) "));
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
    CHECK_EQ(kf_flt_io_close(fo), -1);
}

TEST(driver_reference_holds_the_close)
{
    tf_fresh();
    tf_start();
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\cl.txt", FILE_CREATE, &st);
    ObReferenceObject(fo);
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK(!strcmp(tf_trace, "pre(18) post(18,0,0) ")); /* no close while the driver holds it */
    CHECK_EQ(kf_flt_file_objects_outstanding(), 1);
    ObDereferenceObject(fo);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
}

TEST(cleanup_completes_a_held_notification)
{
    tf_fresh();
    tf_start();
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\", 1, NULL);
    kf_flt_io c = create_io(FILE_OPEN, FILE_DIRECTORY_FILE);
    CHECK_EQ(kf_flt_send_io(fo, &c, NULL, NULL, NULL), STATUS_SUCCESS);
    kf_flt_io n;
    memset(&n, 0, sizeof n);
    n.major = IRP_MJ_DIRECTORY_CONTROL;
    n.minor = IRP_MN_NOTIFY_CHANGE_DIRECTORY;
    n.lower_pends = TRUE;
    n.parameters.DirectoryControl.NotifyDirectory.Length = 64;
    n.parameters.DirectoryControl.NotifyDirectory.DirectoryBuffer = read_buf;
    tf_done_calls = 0;
    CHECK_EQ(kf_flt_send_io(fo, &n, done_cb, NULL, NULL), STATUS_PENDING);
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK_EQ(tf_done_calls, 1);
    CHECK_EQ(tf_done_status, STATUS_NOTIFY_CLEANUP);
    CHECK_EQ(kf_flt_io_file_objects(), 0);
}

TEST(close_waits_for_io_in_flight)
{
    tf_fresh();
    tf_start();
    add_file(L"\\w.txt", "abc");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\w.txt", FILE_OPEN, &st);
    tf_pre = pend;
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    tf_pre = NULL;
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK(!strcmp(tf_trace, "pre(18) post(18,0,0) ")); /* the close waits for the read */
    CHECK_EQ(kf_flt_io_file_objects(), 1);
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_SUCCESS_NO_CALLBACK, NULL);
    CHECK(strstr(tf_trace, "pre(2) post(2,0,0) ") != NULL);
    CHECK_EQ(kf_flt_io_file_objects(), 0);
}

/* ---- FD-12: parameters changed, dirty or not ----------------------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS change_length(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    if (d->Iopb->MajorFunction == IRP_MJ_READ)
        d->Iopb->Parameters.Read.Length = 1;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS change_length_dirty(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    change_length(d, o, c);
    FltSetCallbackDataDirty(d);
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static void read_4(void *a)
{
    (void)a;
    kf_flt_io io = read_io(4, 0, PASSIVE_LEVEL);
    NTSTATUS st = kf_flt_send_io(tf_fo, &io, done_cb, NULL, NULL);
    (void)st;
}

TEST(parameters_changed_need_dirty)
{
    tf_fresh();
    tf_start();
    add_file(L"\\g.txt", "abcdef");
    NTSTATUS st;
    tf_fo = tf_open(L"\\g.txt", FILE_OPEN, &st);
    tf_pre = change_length;
    CHECK(violation(read_4, NULL, KF_VIOL_FLT_PARAMETERS_NOT_DIRTY));
    tf_fresh();
    tf_start();
    add_file(L"\\g.txt", "abcdef");
    tf_fo = tf_open(L"\\g.txt", FILE_OPEN, &st);
    tf_pre = change_length_dirty;
    read_4(NULL);
    /* The layers below saw the change; the filter's own post sees what its pre got. */
    CHECK_EQ(tf_done_status, STATUS_SUCCESS);
    CHECK_EQ(tf_last_iopb.Parameters.Read.Length, 4);
    CHECK(!(tf_last_data == NULL));
}

/* ---- FD-13: swapped buffers and MDLs ------------------------------------------------------------- */

static PVOID tf_swap;
static PMDL tf_swap_mdl;
static BOOLEAN tf_free_mdl, tf_free_buffer;
static FLT_PREOP_CALLBACK_STATUS swap_in(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    if (d->Iopb->MajorFunction != IRP_MJ_READ)
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    tf_swap = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'pawS');
    tf_swap_mdl = IoAllocateMdl(tf_swap, 64, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(tf_swap_mdl);
    d->Iopb->Parameters.Read.ReadBuffer = tf_swap;
    d->Iopb->Parameters.Read.MdlAddress = tf_swap_mdl;
    FltSetCallbackDataDirty(d);
    *c = tf_swap;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS swap_out(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                           FLT_POST_OPERATION_FLAGS f)
{
    (void)o;
    (void)f;
    if (d->Iopb->MajorFunction != IRP_MJ_READ)
        return FLT_POSTOP_FINISHED_PROCESSING;
    /* The post sees the original buffer, and copies the data back. */
    CHECK(d->Iopb->Parameters.Read.ReadBuffer == read_buf);
    memcpy(d->Iopb->Parameters.Read.ReadBuffer, c, d->IoStatus.Information);
    if (tf_free_mdl)
        IoFreeMdl(tf_swap_mdl);
    if (tf_free_buffer)
        ExFreePoolWithTag(c, 'pawS');
    return FLT_POSTOP_FINISHED_PROCESSING;
}

TEST(swapped_buffers)
{
    tf_fresh();
    tf_start();
    add_file(L"\\s.txt", "swapped!");
    NTSTATUS st;
    tf_fo = tf_open(L"\\s.txt", FILE_OPEN, &st);
    tf_pre = swap_in;
    tf_post = swap_out;
    tf_free_mdl = FALSE;
    tf_free_buffer = TRUE;
    memset(read_buf, 0, sizeof read_buf);
    read_4(NULL);
    CHECK(!memcmp(read_buf, "swap", 4));
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0); /* Filter Manager freed the swapped MDL */
    CHECK_EQ(l.pool_blocks, 0);
    CHECK_EQ(kf_flt_swapped_buffers_left(NULL, NULL), 0);
    /* A buffer never freed is remembered with its operation. */
    tf_free_buffer = FALSE;
    read_4(NULL);
    unsigned long long serial = 0;
    UCHAR major = 0;
    CHECK_EQ(kf_flt_swapped_buffers_left(&serial, &major), 1);
    CHECK_EQ(major, IRP_MJ_READ);
    CHECK(serial > 1);
    ExFreePoolWithTag(tf_swap, 'pawS');
    CHECK_EQ(kf_flt_swapped_buffers_left(NULL, NULL), 0);
    /* A filter that frees the swapped MDL itself frees it twice. */
    tf_free_mdl = TRUE;
    tf_free_buffer = TRUE;
    CHECK(violation(read_4, NULL, KF_VIOL_FLT_SWAPPED_MDL_FREED));
}

/* ---- FD-14: FltDoCompletionProcessingWhenSafe ------------------------------------------------------ */

static int safe_calls;
static KIRQL safe_irql;
static FLT_POSTOP_CALLBACK_STATUS safe_cb(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                          FLT_POST_OPERATION_FLAGS f)
{
    (void)d;
    (void)o;
    (void)c;
    (void)f;
    safe_calls++;
    safe_irql = KeGetCurrentIrql();
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static BOOLEAN safe_returned_true;
static BOOLEAN post_lies;
static FLT_POSTOP_CALLBACK_STATUS post_when_safe(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                                 FLT_POST_OPERATION_FLAGS f)
{
    FLT_POSTOP_CALLBACK_STATUS ret = FLT_POSTOP_FINISHED_PROCESSING;
    safe_returned_true = FltDoCompletionProcessingWhenSafe(d, o, c, f, safe_cb, &ret);
    return post_lies ? FLT_POSTOP_FINISHED_PROCESSING : ret;
}

static kf_fault_kind fail_safe_post(void *ctx, kf_site site)
{
    (void)ctx;
    return site == KF_SITE_FLT_SAFE_POST ? KF_FAULT_HARD : KF_FAULT_NONE;
}

static void read_at_dispatch(void *a)
{
    (void)a;
    kf_flt_io io = read_io(2, 0, DISPATCH_LEVEL);
    (void)kf_flt_send_io(tf_fo, &io, done_cb, NULL, NULL);
}

TEST(completion_processing_when_safe)
{
    tf_fresh();
    tf_start();
    add_file(L"\\q.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\q.txt", FILE_OPEN, &st);
    tf_post = post_when_safe;
    post_lies = FALSE;
    /* Below DISPATCH_LEVEL: at once. */
    safe_calls = 0;
    kf_flt_io io = read_io(2, 0, APC_LEVEL);
    CHECK_EQ(kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(safe_calls, 1);
    CHECK_EQ(safe_irql, APC_LEVEL);
    /* At DISPATCH_LEVEL: posted; the operation waits; the worker runs it at PASSIVE_LEVEL. */
    safe_calls = 0;
    tf_done_calls = 0;
    read_at_dispatch(NULL);
    CHECK(safe_returned_true);
    CHECK_EQ(safe_calls, 0);
    CHECK_EQ(kf_flt_ios_in_flight(), 1);
    CHECK_EQ(kf_flt_ios_pended(), 0); /* Filter Manager's own worker holds it */
    CHECK_EQ(kf_flt_run_safe_posts(), 1);
    CHECK_EQ(safe_calls, 1);
    CHECK_EQ(safe_irql, PASSIVE_LEVEL);
    CHECK_EQ(tf_done_calls, 1);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    /* The work item cannot be had: FALSE, FINISHED_PROCESSING. */
    kf_set_fault_hook(fail_safe_post, NULL);
    safe_calls = 0;
    read_at_dispatch(NULL);
    CHECK(!safe_returned_true);
    CHECK_EQ(safe_calls, 0);
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    kf_set_fault_hook(NULL, NULL);
    /* A post-operation callback that returns another status than the routine gave it. */
    post_lies = TRUE;
    CHECK(violation(read_at_dispatch, NULL, KF_VIOL_FLT_SAFE_POST_MISUSE));
}

static FLT_PREOP_CALLBACK_STATUS safe_in_pre(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)c;
    FLT_POSTOP_CALLBACK_STATUS ret;
    (void)FltDoCompletionProcessingWhenSafe(d, o, NULL, 0, safe_cb, &ret);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(completion_processing_when_safe_only_in_post)
{
    tf_fresh();
    tf_start();
    tf_pre = safe_in_pre;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_SAFE_POST_MISUSE));
}

/* ---- FD-15: FltCancelFileOpen ----------------------------------------------------------------------- */

static BOOLEAN cancel_then_fail = TRUE;
static FLT_POSTOP_CALLBACK_STATUS cancel_create(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                                FLT_POST_OPERATION_FLAGS f)
{
    (void)c;
    (void)f;
    if (d->Iopb->MajorFunction != IRP_MJ_CREATE)
        return FLT_POSTOP_FINISHED_PROCESSING;
    FltCancelFileOpen(o->Instance, o->FileObject);
    if (cancel_then_fail) {
        d->IoStatus.Status = STATUS_ACCESS_DENIED;
        d->IoStatus.Information = 0;
    }
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_POSTOP_CALLBACK_STATUS fail_create_without_cancel(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                                             FLT_POST_OPERATION_FLAGS f)
{
    (void)o;
    (void)c;
    (void)f;
    d->IoStatus.Status = STATUS_ACCESS_DENIED;
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_PREOP_CALLBACK_STATUS cancel_in_pre(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)d;
    (void)c;
    FltCancelFileOpen(o->Instance, o->FileObject);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(cancel_file_open)
{
    tf_fresh();
    tf_start();
    add_file(L"\\k.txt", "abc");
    tf_post = cancel_create;
    cancel_then_fail = TRUE;
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\k.txt", FILE_OPEN, &st);
    CHECK_EQ(st, STATUS_ACCESS_DENIED);
    CHECK(fo->Flags & FO_FILE_OPEN_CANCELLED);
    CHECK(!(fo->Flags & FO_HANDLE_CREATED));
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_io_close(fo), 0); /* a failed create: the I/O manager sends nothing */
    CHECK(!strcmp(tf_trace, ""));
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
    /* The file below was closed: a delete-on-close open deletes it once closed. */
    tf_post = NULL;
    PFILE_OBJECT fo2 = kf_flt_io_file_object(0, L"\\k.txt", 6, NULL);
    kf_flt_io io = create_io(FILE_OPEN, FILE_DELETE_ON_CLOSE);
    CHECK_EQ(kf_flt_send_io(fo2, &io, NULL, NULL, NULL), STATUS_SUCCESS);
    kf_flt_io_close(fo2);
    CHECK_EQ(kf_flt_files(0), 0);
    /* A canceled create that completes with success. */
    add_file(L"\\k.txt", "abc");
    tf_post = cancel_create;
    cancel_then_fail = FALSE;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_CREATE_RESULT));
    /* Failing a create the file system opened, without canceling it. */
    tf_fresh();
    tf_start();
    tf_post = fail_create_without_cancel;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_CREATE_RESULT));
    /* Outside post-create. */
    tf_fresh();
    tf_start();
    tf_pre = cancel_in_pre;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_CANCEL_OPEN_MISUSE));
}

/* ---- FD-16, FD-17: FltIsOperationSynchronous, the requestor ---------------------------------------- */

static BOOLEAN sync_seen;
static ULONG requestor_id;
static PEPROCESS requestor;
static FLT_PREOP_CALLBACK_STATUS look_sync(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    sync_seen = FltIsOperationSynchronous(d);
    requestor_id = FltGetRequestorProcessId(d);
    requestor = FltGetRequestorProcess(d);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(operation_synchronous_and_requestor)
{
    tf_fresh();
    tf_start();
    add_file(L"\\y.txt", "abc");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\y.txt", FILE_OPEN, &st); /* not FILE_SYNCHRONOUS_IO_NONALERT */
    tf_pre = look_sync;
    struct {
        ULONG irp_flags;
        BOOLEAN fast, sync;
    } rows[] = {
        {0, FALSE, FALSE},
        {IRP_SYNCHRONOUS_API, FALSE, TRUE},
        {IRP_PAGING_IO, FALSE, FALSE},
        {IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO, FALSE, TRUE},
        {IRP_PAGING_IO | IRP_SYNCHRONOUS_API, FALSE, FALSE}, /* asynchronous paging wins */
        {0, TRUE, TRUE},
    };
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kf_flt_io io = read_io(1, rows[i].irp_flags, PASSIVE_LEVEL);
        io.fast_io = rows[i].fast;
        kf_flt_send_io(fo, &io, NULL, NULL, NULL);
        CHECK_EQ(sync_seen, rows[i].sync);
    }
    CHECK(requestor_id != 4); /* an application's request */
    CHECK(requestor != NULL);
    /* A file object opened for synchronous I/O. */
    tf_pre = NULL;
    PFILE_OBJECT fo2 = kf_flt_io_file_object(0, L"\\y.txt", 6, NULL);
    kf_flt_io c = create_io(FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT);
    c.requestor_mode = KernelMode;
    kf_flt_send_io(fo2, &c, NULL, NULL, NULL);
    tf_pre = look_sync;
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    io.requestor_mode = KernelMode;
    kf_flt_send_io(fo2, &io, NULL, NULL, NULL);
    CHECK(sync_seen);
    CHECK_EQ(requestor_id, 4);
}

/* ---- FD-18: callbacks return at the IRQL they were called at --------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS raise_and_return(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)d;
    (void)o;
    (void)c;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS lower_in_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                                FLT_POST_OPERATION_FLAGS f)
{
    (void)d;
    (void)o;
    (void)c;
    (void)f;
    KeLowerIrql(APC_LEVEL);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

TEST(callback_irql_changed)
{
    tf_fresh();
    tf_start();
    tf_pre = raise_and_return;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_CALLBACK_IRQL));
    CHECK_EQ(tf_stop.param[2], PASSIVE_LEVEL);
    CHECK_EQ(tf_stop.param[3], APC_LEVEL);
    CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    tf_fresh();
    tf_start();
    add_file(L"\\z.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\z.txt", FILE_OPEN, &st);
    tf_post = lower_in_post;
    CHECK(violation(read_at_dispatch, NULL, KF_VIOL_FLT_CALLBACK_IRQL));
    CHECK(!strcmp(tf_stop.routine, "PFLT_POST_OPERATION_CALLBACK"));
}

/* ---- FD-19: Filter Manager's callback data is not the filter's -------------------------------------- */

static FLT_PREOP_CALLBACK_STATUS free_it(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    FltFreeCallbackData(d);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(freeing_filter_managers_callback_data)
{
    tf_fresh();
    tf_start();
    tf_pre = free_it;
    CHECK(violation(open_x, NULL, KF_VIOL_FLT_IO_CALLBACK_DATA_OWNED));
    CHECK(!strcmp(tf_stop.routine, "FltFreeCallbackData"));
}

/* ---- FD-20: FltGetIrpName -------------------------------------------------------------------------- */

TEST(irp_names)
{
    CHECK(!strcmp(FltGetIrpName(IRP_MJ_CREATE), "IRP_MJ_CREATE"));
    CHECK(!strcmp(FltGetIrpName(IRP_MJ_CLEANUP), "IRP_MJ_CLEANUP"));
    CHECK(!strcmp(FltGetIrpName(IRP_MJ_PNP), "IRP_MJ_PNP"));
    CHECK(!strcmp(FltGetIrpName(IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION),
                  "IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION"));
    CHECK(!strcmp(FltGetIrpName(0x40), "IRP_MJ_UNKNOWN"));
}

/* ---- FD-21: the IRP can fail to be allocated; cleanup and close cannot ------------------------------ */

static kf_fault_kind fail_irp(void *ctx, kf_site site)
{
    (void)ctx;
    return site == KF_SITE_IO_IRP ? KF_FAULT_HARD : KF_FAULT_NONE;
}

TEST(irp_allocation_fails_before_any_filter)
{
    tf_fresh();
    tf_start();
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\r.txt", FILE_CREATE, &st);
    tf_trace[0] = 0;
    kf_set_fault_hook(fail_irp, NULL);
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(!strcmp(tf_trace, ""));
    unsigned long long asked = kf_fault_get_stats()->consulted[KF_SITE_IO_IRP];
    CHECK_EQ(kf_flt_io_close(fo), 0);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_IO_IRP], asked); /* cleanup and close never ask */
    CHECK(!strcmp(tf_trace, "pre(18) post(18,0,0) pre(2) post(2,0,0) "));
    kf_set_fault_hook(NULL, NULL);
}

/* ---- FD-22: the observer -------------------------------------------------------------------------- */

static char obs[512];
static void observe(void *ctx, const kf_flt_event *ev)
{
    (void)ctx;
    size_t n = strlen(obs);
    snprintf(obs + n, sizeof obs - n, "%d:%llu:%u:%ld ", (int)ev->kind, ev->serial, ev->major, (long)ev->status);
}

TEST(observer_sees_every_callback)
{
    tf_fresh();
    tf_start();
    obs[0] = 0;
    kf_flt_set_observer(observe, NULL);
    NTSTATUS st;
    (void)tf_open(L"\\o.txt", FILE_CREATE, &st);
    CHECK(!strcmp(obs, "0:1:0:0 1:1:0:0 2:1:0:0 3:1:0:0 4:1:0:0 "));
    kft_options("");
    obs[0] = 0;
    tf_start();
    (void)tf_open(L"\\o.txt", FILE_CREATE, &st);
    CHECK(!strcmp(obs, "")); /* kf_reset removed it */
}

/* ---- FD-23: detach and dismount ---------------------------------------------------------------------- */

TEST(detach_and_dismount)
{
    tf_fresh();
    tf_start();
    NTSTATUS st;
    tf_query_teardown = STATUS_FLT_DO_NOT_DETACH;
    CHECK_EQ(kf_flt_detach(tf_filter, 0, FLTFL_INSTANCE_TEARDOWN_MANUAL), STATUS_FLT_DO_NOT_DETACH);
    CHECK(!strcmp(tf_trace, "query "));
    tf_query_teardown = STATUS_SUCCESS;
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_detach(tf_filter, 0, FLTFL_INSTANCE_TEARDOWN_MANUAL), STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, "query tstart(1) tcomplete(1) "));
    CHECK(kf_flt_instance(tf_filter, 0) == NULL);
    CHECK_EQ(kf_flt_detach(tf_filter, 0, FLTFL_INSTANCE_TEARDOWN_MANUAL), STATUS_FLT_INSTANCE_NOT_FOUND);
    /* I/O goes on without the filter. */
    tf_trace[0] = 0;
    (void)tf_open(L"\\after.txt", FILE_CREATE, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, ""));
    /* A dismount does not ask. */
    tf_fresh();
    tf_start();
    tf_query_teardown = STATUS_FLT_DO_NOT_DETACH;
    CHECK_EQ(kf_flt_detach(tf_filter, 0, FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT), STATUS_SUCCESS);
    CHECK(!strcmp(tf_trace, "tstart(8) tcomplete(8) "));
}

/* ---- FD-24: reset ---------------------------------------------------------------------------------- */

TEST(reset_drops_everything_in_flight)
{
    pend_one();
    CHECK_EQ(kf_flt_ios_in_flight(), 1);
    CHECK_EQ(kf_flt_io_file_objects(), 1);
    kf_reset();
    CHECK_EQ(kf_flt_ios_in_flight(), 0);
    CHECK_EQ(kf_flt_io_file_objects(), 0);
    CHECK_EQ(kf_flt_file_objects_outstanding(), 0);
}

/* ---- FD-1: requests the I/O manager never sends ------------------------------------------------------ */

TEST(requests_never_sent)
{
    tf_fresh();
    tf_start();
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\n.txt", 6, NULL);
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_INVALID_PARAMETER); /* before its create */
    kf_flt_io c = create_io(FILE_CREATE, 0);
    CHECK_EQ(kf_flt_send_io(fo, &c, NULL, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_send_io(fo, &c, NULL, NULL, NULL), STATUS_INVALID_PARAMETER); /* a second create */
    kf_flt_io cl;
    memset(&cl, 0, sizeof cl);
    cl.major = IRP_MJ_CLOSE;
    CHECK_EQ(kf_flt_send_io(fo, &cl, NULL, NULL, NULL), STATUS_INVALID_PARAMETER); /* the close is kf_flt_io_close's */
    io.post_irql = 3;
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    static FILE_OBJECT foreign;
    CHECK_EQ(kf_flt_send_io(&foreign, &c, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    CHECK(strstr(tf_trace, "pre(3)") == NULL);
}

TEST(after_cleanup_only_paging_io_and_kernel_information)
{
    tf_fresh();
    tf_start();
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\n.txt", 6, NULL);
    kf_flt_io c = create_io(FILE_CREATE, 0);
    CHECK_EQ(kf_flt_send_io(fo, &c, NULL, NULL, NULL), STATUS_SUCCESS);
    kf_flt_io cu;
    memset(&cu, 0, sizeof cu);
    cu.major = IRP_MJ_CLEANUP;
    CHECK_EQ(kf_flt_send_io(fo, &cu, NULL, NULL, NULL), STATUS_SUCCESS);
    size_t before = strlen(tf_trace);
    /* No second cleanup, no read through the handle, no fast I/O. */
    CHECK_EQ(kf_flt_send_io(fo, &cu, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    kf_flt_io r = read_io(1, 0, PASSIVE_LEVEL);
    r.irp_flags = 0;
    CHECK_EQ(kf_flt_send_io(fo, &r, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    r.fast_io = TRUE;
    CHECK_EQ(kf_flt_send_io(fo, &r, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    kf_flt_io q;
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_QUERY_INFORMATION;
    q.requestor_mode = UserMode;
    CHECK_EQ(kf_flt_send_io(fo, &q, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(strlen(tf_trace), before); /* none of those reached a filter */
    /* The cache manager's paging read and a kernel-mode information request do. */
    r = read_io(512, IRP_PAGING_IO | IRP_NOCACHE, PASSIVE_LEVEL);
    CHECK(kf_flt_send_io(fo, &r, NULL, NULL, NULL) != STATUS_INVALID_PARAMETER);
    q.requestor_mode = KernelMode;
    CHECK(kf_flt_send_io(fo, &q, NULL, NULL, NULL) != STATUS_INVALID_PARAMETER);
    CHECK(strlen(tf_trace) > before);
}

static kf_fault_kind fail_flt_op_status(void *ctx, kf_site site)
{
    (void)ctx;
    return site == KF_SITE_FLT_OP_STATUS ? KF_FAULT_HARD : KF_FAULT_NONE;
}

/* ---- FD-30: FltRequestOperationStatusCallback ---------------------------------------------------------- */

static NTSTATUS status_seen, request_result;
static PVOID status_ctx_seen;
static int status_calls;
static UCHAR status_major;
static VOID FLTAPI on_status(PCFLT_RELATED_OBJECTS o, PFLT_IO_PARAMETER_BLOCK snapshot, NTSTATUS status, PVOID ctx)
{
    (void)o;
    status_calls++;
    status_seen = status;
    status_ctx_seen = ctx;
    status_major = snapshot->MajorFunction;
}

static FLT_PREOP_CALLBACK_STATUS request_status(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    static int marker;
    request_result = FltRequestOperationStatusCallback(d, on_status, &marker);
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS request_status_in_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                                         FLT_POST_OPERATION_FLAGS f)
{
    (void)o;
    (void)c;
    (void)f;
    request_result = FltRequestOperationStatusCallback(d, on_status, NULL);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

TEST(operation_status_callback)
{
    tf_fresh();
    tf_start();
    add_file(L"\\s.txt", "abc");
    NTSTATUS st;
    tf_fo = tf_open(L"\\s.txt", FILE_OPEN, &st);
    tf_pre = request_status;
    status_calls = 0;
    /* Answered below: the status the layers below returned. */
    kf_flt_io io = read_io(2, 0, PASSIVE_LEVEL);
    kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL);
    CHECK_EQ(request_result, STATUS_SUCCESS);
    CHECK_EQ(status_calls, 1);
    CHECK_EQ(status_seen, STATUS_SUCCESS);
    CHECK_EQ(status_major, IRP_MJ_READ);
    CHECK(status_ctx_seen != NULL);
    /* Held below (an oplock granted): STATUS_PENDING, once. */
    io.lower_pends = TRUE;
    CHECK_EQ(kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    CHECK_EQ(status_calls, 2);
    CHECK_EQ(status_seen, STATUS_PENDING);
    kf_flt_complete_lower();
    CHECK_EQ(status_calls, 2);
    /* Fast I/O and a post-operation callback cannot ask. */
    io = read_io(2, 0, PASSIVE_LEVEL);
    io.fast_io = TRUE;
    kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL);
    CHECK_EQ(request_result, STATUS_INVALID_PARAMETER);
    CHECK_EQ(status_calls, 2);
    tf_pre = NULL;
    tf_post = request_status_in_post;
    io = read_io(2, 0, PASSIVE_LEVEL);
    kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL);
    CHECK_EQ(request_result, STATUS_INVALID_PARAMETER);
    /* Its record can fail to be allocated. */
    tf_post = NULL;
    tf_pre = request_status;
    kf_set_fault_hook(fail_flt_op_status, NULL);
    kf_flt_send_io(tf_fo, &io, NULL, NULL, NULL);
    CHECK_EQ(request_result, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(status_calls, 2);
    kf_set_fault_hook(NULL, NULL);
}

/* FD-16: a close waiting for I/O that completes at DISPATCH_LEVEL is sent later, at PASSIVE_LEVEL. */
static void complete_pended_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    tf_pended->IoStatus.Status = STATUS_CANCELLED;
    FltCompletePendedPreOperation(tf_pended, FLT_PREOP_COMPLETE, NULL);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(close_after_completion_at_dispatch)
{
    tf_fresh();
    tf_start();
    add_file(L"\\d.txt", "abc");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\d.txt", FILE_OPEN, &st);
    tf_pre = pend;
    kf_flt_io io = read_io(1, 0, PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_send_io(fo, &io, NULL, NULL, NULL), STATUS_PENDING);
    tf_pre = NULL;
    CHECK_EQ(kf_flt_io_close(fo), 0); /* cleanup now; the close waits for the read */
    kf_stop s;
    CHECK(!kft_stops(complete_pended_at_dispatch, NULL, &s));
    CHECK_EQ(kf_flt_io_file_objects(), 1); /* not from DISPATCH_LEVEL */
    tf_trace[0] = 0;
    CHECK_EQ(kf_flt_run_safe_posts(), 1);
    CHECK(!strcmp(tf_trace, "pre(2) post(2,0,0) "));
    CHECK_EQ(kf_flt_io_file_objects(), 0);
}

/* A started filter and \y.txt ("abc") opened through it. */
static PFILE_OBJECT started_with_y(void)
{
    tf_fresh();
    tf_start();
    add_file(L"\\y.txt", "abc");
    NTSTATUS st;
    PFILE_OBJECT fo = tf_open(L"\\y.txt", FILE_OPEN, &st);
    CHECK_EQ(st, STATUS_SUCCESS);
    return fo;
}

/* ---- The I/O manager frees the MDL FltLockUserBuffer made for a delivered operation ----------- */

static FLT_POSTOP_CALLBACK_STATUS lock_in_post(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                               FLT_POST_OPERATION_FLAGS f)
{
    (void)o;
    (void)c;
    (void)f;
    CHECK_EQ(FltLockUserBuffer(d), STATUS_SUCCESS);
    CHECK(d->Iopb->Parameters.Read.MdlAddress != NULL);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

TEST(locked_user_buffer_freed_with_the_operation)
{
    PFILE_OBJECT fo = started_with_y();
    tf_status = FLT_PREOP_SUCCESS_WITH_CALLBACK;
    tf_post = lock_in_post;
    kf_flt_io io = read_io(3, 0, PASSIVE_LEVEL);
    kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    tf_post = NULL;
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0); /* not the filter's to free: the operation took it along */
}

/* ---- FD-18: a change notification's swapped MDL is Filter Manager's to free, as a query's ------- */

static PVOID swap_buf;
static FLT_PREOP_CALLBACK_STATUS swap_notify(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    ULONG len = d->Iopb->Parameters.DirectoryControl.NotifyDirectory.Length;
    swap_buf = ExAllocatePoolZero(NonPagedPoolNx, len, 'pwsT');
    PMDL m = swap_buf ? IoAllocateMdl(swap_buf, len, FALSE, FALSE, NULL) : NULL;
    CHECK(m != NULL);
    MmBuildMdlForNonPagedPool(m);
    d->Iopb->Parameters.DirectoryControl.NotifyDirectory.DirectoryBuffer = swap_buf;
    d->Iopb->Parameters.DirectoryControl.NotifyDirectory.MdlAddress = m;
    FltSetCallbackDataDirty(d);
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}
static FLT_POSTOP_CALLBACK_STATUS free_swapped(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID c,
                                               FLT_POST_OPERATION_FLAGS f)
{
    (void)d;
    (void)o;
    (void)c;
    (void)f;
    ExFreePoolWithTag(swap_buf, 'pwsT'); /* its buffer; the MDL goes with the operation */
    return FLT_POSTOP_FINISHED_PROCESSING;
}

TEST(notification_swapped_mdl_freed_with_the_operation)
{
    tf_fresh();
    tf_start();
    PFILE_OBJECT fo = kf_flt_io_file_object(0, L"\\", 1, NULL);
    kf_flt_io c = create_io(FILE_OPEN, FILE_DIRECTORY_FILE);
    CHECK_EQ(kf_flt_send_io(fo, &c, NULL, NULL, NULL), STATUS_SUCCESS);
    kf_flt_io n;
    memset(&n, 0, sizeof n);
    n.major = IRP_MJ_DIRECTORY_CONTROL;
    n.minor = IRP_MN_NOTIFY_CHANGE_DIRECTORY;
    n.parameters.DirectoryControl.NotifyDirectory.Length = 64;
    n.parameters.DirectoryControl.NotifyDirectory.DirectoryBuffer = read_buf;
    tf_pre = swap_notify;
    tf_post = free_swapped;
    (void)kf_flt_send_io(fo, &n, NULL, NULL, NULL);
    tf_pre = NULL;
    tf_post = NULL;
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0);
    CHECK_EQ(kf_flt_io_close(fo), 0);
}

/* ---- FD-32: paging I/O describes its pages with an MDL ------------------------------------------ */

static PVOID paging_va;
static FLT_PREOP_CALLBACK_STATUS see_paging_mdl(PFLT_CALLBACK_DATA d, PCFLT_RELATED_OBJECTS o, PVOID *c)
{
    (void)o;
    (void)c;
    PMDL m = d->Iopb->Parameters.Read.MdlAddress;
    paging_va = m ? MmGetSystemAddressForMdlSafe(m, NormalPagePriority) : NULL;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

TEST(paging_read_carries_an_mdl)
{
    PFILE_OBJECT fo = started_with_y();
    tf_pre = see_paging_mdl;
    paging_va = NULL;
    kf_flt_io io = read_io(3, IRP_PAGING_IO | IRP_NOCACHE, PASSIVE_LEVEL);
    (void)kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK(paging_va == (PVOID)read_buf); /* the MDL maps the request's own buffer */
    paging_va = NULL;
    io = read_io(3, 0, PASSIVE_LEVEL); /* a cached read: the buffer only */
    (void)kf_flt_send_io(fo, &io, NULL, NULL, NULL);
    CHECK(paging_va == NULL);
    tf_pre = NULL;
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.mdls, 0); /* freed with the operation */
}
