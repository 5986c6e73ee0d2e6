/*
 * test_harness_flt_leaks.c - what a minifilter leaves behind is a finding of the driver
 * harness (SEMANTICS.md FH-1 to FH-6, invariants KF-INV-042 to 047): one tiny minifilter whose
 * call and unload do what `mode` says, run through kfh_driver_run. For each Filter Manager kind:
 * a leak the model stops for at FltUnregisterFilter (that stop is the finding), a leak it does
 * not stop for (the new finding, naming the kind), and the correct driver (no finding).
 */
#include "kft.h"
#include "kfault/driver_env.h"

#include <string.h>

/* ---- The tiny minifilter ----------------------------------------------------------------- */

enum mode {
    CORRECT,               /* uses one of everything and gives it all back */
    CONTEXT_REF_KEPT,      /* FltGetInstanceContext without FltReleaseContext */
    CONTEXT_LOAD_FAILS,    /* DriverEntry allocates a context, fails, and forgets to unregister */
    NAME_KEPT,             /* FltGetFileNameInformationUnsafe without a release */
    VOLUME_REF_KEPT,       /* FltGetVolumeFromInstance without FltObjectDereference */
    FILTER_REF_KEPT,       /* FltObjectReference(filter) without a dereference */
    SERVER_PORT_OPEN,      /* the unload does not close the server port */
    PORT_LOAD_FAILS,       /* DriverEntry creates its port, fails, and forgets to close and unregister */
    SD_KEPT,               /* the security descriptor is never freed */
    WORK_ITEM_KEPT,        /* a generic work item allocated and never freed */
    WORK_ITEM_RUN_KEPT,    /* queued, and its routine does not free it */
    CBDQ_AT_UNLOAD,        /* callback data left in the cancel-safe queue at the unload */
    CBDQ_NOT_UNLOADED,     /* the same in a filter whose unload is refused */
};

static enum mode mode;
static PFLT_FILTER filter;
static PFLT_PORT server_port;
static PSECURITY_DESCRIPTOR sd;
static FILE_OBJECT file;
/* Callback data Filter Manager owns (as a pre-operation callback would queue it). */
static FLT_IO_PARAMETER_BLOCK queued_iopb;
static FLT_CALLBACK_DATA queued_data = {.Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION, .Iopb = &queued_iopb};
static FLT_CALLBACK_DATA_QUEUE queue;
static FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT queue_context;
static LIST_ENTRY queue_list;
static int work_ran;

typedef struct tiny_ctx {
    ULONG opens;
} tiny_ctx;

static const FLT_CONTEXT_REGISTRATION contexts[] = {
    {FLT_INSTANCE_CONTEXT, 0, NULL, sizeof(tiny_ctx), 'xtCT', NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static NTSTATUS FLTAPI setup(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_SETUP_FLAGS flags, DEVICE_TYPE dev,
                             FLT_FILESYSTEM_TYPE fs)
{
    (void)flags;
    (void)dev;
    (void)fs;
    tiny_ctx *c = NULL;
    NTSTATUS st = FltAllocateContext(objs->Filter, FLT_INSTANCE_CONTEXT, sizeof *c, NonPagedPoolNx, (PFLT_CONTEXT *)&c);
    if (!NT_SUCCESS(st))
        return st;
    c->opens = 0;
    st = FltSetInstanceContext(objs->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL);
    FltReleaseContext(c);
    return st;
}

static NTSTATUS FLTAPI connect_cb(PFLT_PORT client, PVOID cookie, PVOID ctx, ULONG size, PVOID *conn)
{
    (void)client;
    (void)cookie;
    (void)ctx;
    (void)size;
    (void)conn;
    return STATUS_ACCESS_DENIED; /* nobody connects in these tests */
}
static VOID FLTAPI disconnect_cb(PVOID conn) { (void)conn; }

/* The queue's callbacks: a list under no lock (one thread). */
static NTSTATUS FLTAPI q_insert(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID ctx)
{
    (void)q;
    (void)ctx;
    InsertTailList(&queue_list, &d->QueueLinks);
    return STATUS_SUCCESS;
}
static VOID FLTAPI q_remove(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    (void)q;
    RemoveEntryList(&d->QueueLinks);
}
static PFLT_CALLBACK_DATA FLTAPI q_peek(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d, PVOID ctx)
{
    (void)q;
    (void)ctx;
    PLIST_ENTRY next = d ? d->QueueLinks.Flink : queue_list.Flink;
    return next == &queue_list ? NULL : CONTAINING_RECORD(next, FLT_CALLBACK_DATA, QueueLinks);
}
static VOID FLTAPI q_acquire(PFLT_CALLBACK_DATA_QUEUE q, PKIRQL irql)
{
    (void)q;
    (void)irql;
}
static VOID FLTAPI q_release(PFLT_CALLBACK_DATA_QUEUE q, KIRQL irql)
{
    (void)q;
    (void)irql;
}
static VOID FLTAPI q_canceled(PFLT_CALLBACK_DATA_QUEUE q, PFLT_CALLBACK_DATA d)
{
    (void)q;
    (void)d;
}

static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS flags)
{
    (void)flags;
    if (mode == CBDQ_NOT_UNLOADED)
        return STATUS_FLT_DO_NOT_DETACH;
    if (server_port && mode != SERVER_PORT_OPEN) {
        FltCloseCommunicationPort(server_port);
        server_port = NULL;
    }
    FltUnregisterFilter(filter);
    filter = NULL;
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION ops[] = {{IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL}};
static FLT_REGISTRATION registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, contexts, ops, unload, setup, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL};
static DRIVER_OBJECT driver;
static const WCHAR port_wname[] = L"\\TinyLeakPort";

static NTSTATUS create_port(void)
{
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name = RTL_CONSTANT_STRING(port_wname);
    NTSTATUS st = FltBuildDefaultSecurityDescriptor(&sd, FLT_PORT_ALL_ACCESS);
    if (!NT_SUCCESS(st))
        return st;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, sd);
    st = FltCreateCommunicationPort(filter, &server_port, &oa, NULL, connect_cb, disconnect_cb, NULL, 1);
    if (mode != SD_KEPT) {
        FltFreeSecurityDescriptor(sd);
        sd = NULL;
    }
    return st;
}

static NTSTATUS load(void)
{
    filter = NULL;
    server_port = NULL;
    sd = NULL;
    work_ran = 0;
    InitializeListHead(&queue_list);
    NTSTATUS st = FltRegisterFilter(&driver, &registration, &filter);
    if (!NT_SUCCESS(st))
        return st;
    if (mode == CONTEXT_LOAD_FAILS) {
        PFLT_CONTEXT c = NULL;
        if (NT_SUCCESS(FltAllocateContext(filter, FLT_INSTANCE_CONTEXT, sizeof(tiny_ctx), NonPagedPoolNx, &c)))
            return STATUS_INSUFFICIENT_RESOURCES; /* the bug: neither released nor unregistered */
    }
    st = create_port();
    if (NT_SUCCESS(st) && mode == PORT_LOAD_FAILS)
        return STATUS_UNSUCCESSFUL; /* the bug: the port stays open and the filter registered */
    if (NT_SUCCESS(st))
        st = FltStartFiltering(filter);
    if (!NT_SUCCESS(st)) {
        if (server_port)
            FltCloseCommunicationPort(server_port);
        server_port = NULL;
        FltUnregisterFilter(filter);
        filter = NULL;
    }
    return st;
}

static PFLT_FILTER tiny_filter(void) { return filter; }

static VOID FLTAPI worker(PFLT_GENERIC_WORKITEM item, PVOID obj, PVOID ctx)
{
    (void)obj;
    (void)ctx;
    work_ran++;
    if (mode != WORK_ITEM_RUN_KEPT)
        FltFreeGenericWorkItem(item);
}

static void call(void)
{
    PFLT_INSTANCE inst = kf_flt_instance(filter, 0);
    PFLT_CONTEXT c = NULL;
    if (NT_SUCCESS(FltGetInstanceContext(inst, &c)) && mode != CONTEXT_REF_KEPT)
        FltReleaseContext(c);

    PFLT_FILE_NAME_INFORMATION name = NULL;
    if (NT_SUCCESS(FltGetFileNameInformationUnsafe(&file, inst, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT,
                                                   &name)) &&
        mode != NAME_KEPT)
        FltReleaseFileNameInformation(name);

    PFLT_VOLUME volume = NULL;
    if (NT_SUCCESS(FltGetVolumeFromInstance(inst, &volume)) && mode != VOLUME_REF_KEPT)
        FltObjectDereference(volume);
    if (NT_SUCCESS(FltObjectReference(filter)) && mode != FILTER_REF_KEPT)
        FltObjectDereference(filter);

    PFLT_GENERIC_WORKITEM item = FltAllocateGenericWorkItem();
    if (item && mode == WORK_ITEM_KEPT)
        item = NULL; /* the bug: forgotten */
    if (item && !NT_SUCCESS(FltQueueGenericWorkItem(item, inst, worker, DelayedWorkQueue, NULL)))
        FltFreeGenericWorkItem(item);

    if ((mode == CBDQ_AT_UNLOAD || mode == CBDQ_NOT_UNLOADED) &&
        NT_SUCCESS(FltCbdqInitialize(inst, &queue, q_insert, q_remove, q_peek, q_acquire, q_release, q_canceled))) {
        memset(&queued_iopb, 0, sizeof queued_iopb);
        queued_iopb.TargetInstance = inst;
        FltCbdqInsertIo(&queue, &queued_data, &queue_context, NULL);
    }
}

static const kfh_minifilter tiny = {.load = load, .filter = tiny_filter};
static const kfh_driver_target target = {
    .name = "TinyFilter",
    .min_os = KF_OS_WIN8,
    .arch_mask = 1u << KF_ARCH_AMD64,
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .minifilter = &tiny,
};

static kfh_drv_run run;
static const uint8_t no_ops[1] = {2}; /* version 2, no operations: one volume */

static void run_mode(enum mode m)
{
    static UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Reports\\q3.txt");
    memset(&file, 0, sizeof file);
    file.FileName = name;
    mode = m;
    kfh_driver_run(&target, no_ops, sizeof no_ops, &run);
}

static void expect_finding(const char *what, int inv, const char *text)
{
    if (run.n_findings >= 1 && run.finding.inv == inv && strstr(run.finding.actual, text)) {
        kft_pass();
        return;
    }
    kft_fail(__FILE__, __LINE__, "%s: expected KF-INV-%03d with \"%s\"; got %d finding(s), KF-INV-%03d: %s", what, inv,
             text, run.n_findings, run.finding.inv, run.finding.actual);
}

/* ---- FH-1..FH-6 ------------------------------------------------------------------------- */

TEST(correct_minifilter_leaves_nothing)
{
    run_mode(CORRECT);
    CHECK(run.loaded);
    CHECK(run.returned);
    CHECK_EQ(run.unload_status, STATUS_SUCCESS);
    CHECK_EQ(work_ran, 1);
    CHECK_EQ(run.n_findings, 0);
    if (run.n_findings)
        kft_fail(__FILE__, __LINE__, "%s", run.finding.actual);
}

TEST(context_reference_kept_stops_at_unregister)
{
    /* FC-15 comes first: the unload's FltUnregisterFilter stops, and the finding says what. */
    run_mode(CONTEXT_REF_KEPT);
    expect_finding("context kept", KFH_INV_DRIVER_NO_STOP, "flt-context-outstanding");
    CHECK(strstr(run.finding.actual, "instance context") != NULL);
    CHECK(strstr(run.finding.actual, "FltGetInstanceContext") != NULL);
}

TEST(context_left_by_a_failed_load_is_a_finding)
{
    run_mode(CONTEXT_LOAD_FAILS);
    CHECK(!run.loaded);
    expect_finding("context of a failed load", KFH_INV_DRIVER_NO_FLT_CONTEXT_LEAK,
                   "1 context(s) not freed (unload 0x00000000): the first an instance context holding 1 reference(s)");
    CHECK(strstr(run.finding.actual, "the last taken by FltAllocateContext") != NULL);
    CHECK(strstr(run.finding.signature, "KF-INV-042") != NULL);
}

TEST(file_name_kept_is_a_finding)
{
    run_mode(NAME_KEPT);
    expect_finding("name kept", KFH_INV_DRIVER_NO_FLT_NAME_LEAK,
                   "1 file name information reference(s) not released (FltReleaseFileNameInformation), the first on "
                   "\\Device\\HarddiskVolume1\\Reports\\q3.txt (1 reference(s))");
    CHECK_EQ(run.n_findings, 1);
}

TEST(object_references_kept)
{
    /* On a volume: no stop holds the unload off (FV-10), so it is the leak finding. */
    run_mode(VOLUME_REF_KEPT);
    expect_finding("volume reference", KFH_INV_DRIVER_NO_FLT_OBJECT_REF_LEAK,
                   "1 reference(s) on Filter Manager objects not dropped with FltObjectDereference, the first on a "
                   "volume (1 reference(s))");
    /* On the filter: FltUnregisterFilter stops first. */
    run_mode(FILTER_REF_KEPT);
    expect_finding("filter reference", KFH_INV_DRIVER_NO_STOP, "flt-filter-referenced-at-unregister");
}

TEST(ports_left_open)
{
    run_mode(SERVER_PORT_OPEN);
    expect_finding("server port open", KFH_INV_DRIVER_NO_STOP, "flt-port-open-at-unregister");
    CHECK(strstr(run.finding.actual, "1 server port(s) open") != NULL);
    run_mode(PORT_LOAD_FAILS);
    CHECK(!run.loaded);
    expect_finding("port of a failed load", KFH_INV_DRIVER_NO_FLT_PORT_LEAK,
                   "1 server port(s) open (FltCloseCommunicationPort), 0 client port(s) not closed");
    run_mode(SD_KEPT);
    expect_finding("security descriptor", KFH_INV_DRIVER_NO_FLT_PORT_LEAK,
                   "0 server port(s) open (FltCloseCommunicationPort), 0 client port(s) not closed (FltCloseClientPort), "
                   "1 security descriptor(s) not freed");
}

TEST(work_items_kept)
{
    run_mode(WORK_ITEM_KEPT);
    expect_finding("work item never queued", KFH_INV_DRIVER_NO_FLT_WORK_ITEM_LEAK,
                   "1 generic and 0 deferred I/O work item(s) not freed (FltFree*WorkItem), 0 of them still queued");
    CHECK_EQ(work_ran, 0);
    /* Queued: the harness runs it after the call (FH-5), then judges. */
    run_mode(WORK_ITEM_RUN_KEPT);
    CHECK_EQ(work_ran, 1);
    expect_finding("work item run, not freed", KFH_INV_DRIVER_NO_FLT_WORK_ITEM_LEAK,
                   "1 generic and 0 deferred I/O work item(s) not freed (FltFree*WorkItem), 0 of them still queued");
}

TEST(cancel_safe_queue_left_full)
{
    run_mode(CBDQ_AT_UNLOAD);
    expect_finding("queue at the unload", KFH_INV_DRIVER_NO_STOP, "flt-cbdq-outstanding");
    run_mode(CBDQ_NOT_UNLOADED);
    /* First among what the filter left (its port and context too): an I/O that never completes. */
    expect_finding("queue of a filter not unloaded", KFH_INV_DRIVER_NO_FLT_CBDQ_LEAK,
                   "1 callback data still in the driver's cancel-safe queues");
    CHECK_EQ(run.unload_status, STATUS_FLT_DO_NOT_DETACH);
    CHECK(run.n_findings >= 2);
}

/* Every new invariant has its row, and says which rule it comes from. */
TEST(invariant_rows)
{
    static const int invs[] = {KFH_INV_DRIVER_NO_FLT_CONTEXT_LEAK, KFH_INV_DRIVER_NO_FLT_NAME_LEAK,
                               KFH_INV_DRIVER_NO_FLT_OBJECT_REF_LEAK, KFH_INV_DRIVER_NO_FLT_PORT_LEAK,
                               KFH_INV_DRIVER_NO_FLT_WORK_ITEM_LEAK, KFH_INV_DRIVER_NO_FLT_CBDQ_LEAK};
    for (size_t i = 0; i < sizeof invs / sizeof invs[0]; i++) {
        const kfh_inv_info *v = kfh_inv_get(invs[i]);
        CHECK(v != NULL);
        if (v) {
            CHECK_EQ(v->num, 42 + (int)i);
            CHECK(strstr(v->source, "FH-") != NULL);
            CHECK(!strncmp(v->name, "driver-no-flt-", 14));
        }
    }
}
