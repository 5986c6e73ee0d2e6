/*
 * test_flt_registration.c - FltRegisterFilter, FltStartFiltering, FltUnregisterFilter and the
 * unload control: the rules F-2 to F-5 and F-18 of model/SEMANTICS.md, one test per rule part.
 */
#include "flt_fixture.h"

#include <string.h>

/* ---- F-2 FltRegisterFilter ------------------------------------------------------------------ */

static void register_at_dispatch(void *a)
{
    PFLT_FILTER f;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltRegisterFilter(&fx_driver, &fx_registration, &f);
}
TEST(register_irql)
{
    fx_fresh();
    CHECK(fx_bugcheck(register_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(APC_LEVEL);
    PFLT_FILTER f = NULL;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
    CHECK(f != NULL);
}

static void register_null_ret(void *a) { (void)FltRegisterFilter(&fx_driver, &fx_registration, NULL); }
static void register_null_reg(void *a)
{
    PFLT_FILTER f;
    (void)FltRegisterFilter(&fx_driver, NULL, &f);
}
static void register_null_driver(void *a)
{
    PFLT_FILTER f;
    (void)FltRegisterFilter(NULL, &fx_registration, &f);
}
TEST(register_null_arguments)
{
    fx_fresh();
    CHECK(fx_violation(register_null_ret, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(register_null_reg, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(register_null_driver, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
}

TEST(register_version)
{
    fx_fresh();
    PFLT_FILTER f = (PFLT_FILTER)&fx_driver;
    fx_registration.Version = 0x0100;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_INVALID_PARAMETER);
    CHECK(f == NULL);
    fx_registration.Version = 0x0204;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_INVALID_PARAMETER);
    /* Drivers built against older WDKs (Vista's 0x0202) still register. */
    fx_registration.Version = FLT_REGISTRATION_VERSION_0202;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
    fx_registration.Version = FLT_REGISTRATION_VERSION_0200;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
}

TEST(register_fault)
{
    fx_fresh();
    PFLT_FILTER f = (PFLT_FILTER)&fx_driver;
    fx_fail_site(KF_SITE_FLT_FILTER, 1, KF_FAULT_HARD);
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(f == NULL);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_FILTER), 1);
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
    fx_no_faults();
}

TEST(register_keeps_a_copy)
{
    fx_fresh();
    PFLT_FILTER f = NULL;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
    memset(&fx_registration, 0, sizeof fx_registration); /* the driver's structure may go away */
    CHECK_EQ(FltStartFiltering(f), STATUS_SUCCESS);
    CHECK(strstr(fx_trace, "setup(v0,") != NULL);
}

TEST(register_short_size_drops_tail)
{
    fx_fresh();
    PFLT_FILTER f = NULL;
    /* A registration that ends before InstanceSetupCallback: the model never sees the callback. */
    fx_registration.Size = (USHORT)offsetof(FLT_REGISTRATION, InstanceSetupCallback);
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &f), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(f), STATUS_SUCCESS);
    CHECK(strstr(fx_trace, "setup") == NULL);
    CHECK(kf_flt_instance(f, 0) != NULL); /* no setup callback: attached */
}

/* ---- F-3 FltStartFiltering ------------------------------------------------------------------- */

TEST(start_calls_setup_per_volume)
{
    fx_fresh();
    kf_flt_volume vols[3] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS},
                             {FILE_DEVICE_NETWORK_FILE_SYSTEM, FLT_FSTYPE_LANMAN},
                             {FILE_DEVICE_CD_ROM_FILE_SYSTEM, FLT_FSTYPE_CDFS}};
    CHECK_EQ(kf_flt_set_volumes(3, vols), 0);
    CHECK_EQ(kf_flt_volume_count(), 3);
    fx_start();
    CHECK(strcmp(fx_trace, "setup(v0,f1,d8,t2) setup(v1,f1,d20,t6) setup(v2,f1,d3,t4) ") == 0);
    for (unsigned i = 0; i < 3; i++)
        CHECK(kf_flt_instance(fx_filter, i) != NULL);
    CHECK(kf_flt_instance(fx_filter, 0) != kf_flt_instance(fx_filter, 1));
    CHECK(kf_flt_instance(fx_filter, 3) == NULL);
}

TEST(start_default_one_ntfs_volume)
{
    fx_fresh();
    CHECK_EQ(kf_flt_volume_count(), 1);
    fx_start();
    CHECK(strcmp(fx_trace, "setup(v0,f1,d8,t2) ") == 0);
    CHECK(kf_flt_instance(fx_filter, 1) == NULL);
}

TEST(start_volume_limits)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(KF_FLT_MAX_VOLUMES + 1, NULL), -1);
    CHECK_EQ(kf_flt_volume_count(), 1);
    CHECK_EQ(kf_flt_set_volumes(0, NULL), 0);
    fx_start();
    CHECK_EQ(fx_trace[0], 0); /* no volume: no setup call */
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
}

TEST(start_related_objects)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    CHECK_EQ(fx_last_objs.size, sizeof(FLT_RELATED_OBJECTS));
    CHECK(fx_last_objs.filter == fx_filter);
    CHECK(fx_last_objs.instance == inst);
    CHECK(fx_last_objs.volume != NULL);
    CHECK(fx_last_objs.file_object == NULL);
}

TEST(start_declined_volume)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_setup_result[0] = STATUS_FLT_DO_NOT_ATTACH;
    fx_start();
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    CHECK(kf_flt_instance(fx_filter, 1) != NULL);
    FltUnregisterFilter(fx_filter);
    /* A declined instance is never torn down. */
    CHECK(strstr(fx_trace, "tstart(v0") == NULL);
    CHECK(strstr(fx_trace, "tstart(v1") != NULL);
}

static PFLT_CALLBACK_DATA leaked_in_setup;
static void alloc_in_setup(PCFLT_RELATED_OBJECTS objs)
{
    CHECK_EQ(FltAllocateCallbackData(objs->Instance, NULL, &leaked_in_setup), STATUS_SUCCESS);
}
static void start_it(void *a) { (void)FltStartFiltering(fx_filter); }
TEST(start_declined_with_callback_data_left)
{
    fx_fresh();
    fx_setup_result[0] = STATUS_FLT_DO_NOT_ATTACH;
    fx_on_setup = alloc_in_setup;
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &fx_filter), STATUS_SUCCESS);
    CHECK(fx_violation(start_it, NULL, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 1);
}

TEST(start_twice)
{
    fx_fresh();
    fx_start();
    CHECK_EQ(FltStartFiltering(fx_filter), STATUS_INVALID_PARAMETER);
    CHECK(strcmp(fx_trace, "setup(v0,f1,d8,t2) ") == 0);
}

TEST(start_instance_fault)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_fail_site(KF_SITE_FLT_INSTANCE, 1, KF_FAULT_HARD);
    fx_start();
    fx_no_faults();
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    CHECK(kf_flt_instance(fx_filter, 1) != NULL);
    CHECK(strcmp(fx_trace, "setup(v1,f1,d8,t2) ") == 0);
}

/* ---- F-26 Manual attachment (kf_flt_attach) ------------------------------------------------- */

TEST(attach_manual_after_automatic_refusal)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_setup_result[1] = STATUS_FLT_DO_NOT_ATTACH;
    fx_start();
    CHECK(kf_flt_instance(fx_filter, 1) == NULL);
    /* The filter accepts the manual request: the setup callback sees MANUAL_ATTACHMENT (0x2). */
    fx_setup_result[1] = STATUS_SUCCESS;
    fx_trace[0] = 0;
    CHECK_EQ(kf_flt_attach(fx_filter, 1), STATUS_SUCCESS);
    CHECK(strcmp(fx_trace, "setup(v1,f2,d8,t2) ") == 0);
    CHECK(kf_flt_instance(fx_filter, 1) != NULL);
    /* A second attachment of the default instance collides; volume 0 has one already. */
    CHECK_EQ(kf_flt_attach(fx_filter, 1), STATUS_FLT_INSTANCE_NAME_COLLISION);
    CHECK_EQ(kf_flt_attach(fx_filter, 0), STATUS_FLT_INSTANCE_NAME_COLLISION);
    /* Torn down like any instance at unregistration. */
    FltUnregisterFilter(fx_filter);
    CHECK(strstr(fx_trace, "tstart(v1") != NULL);
}

TEST(attach_manual_refused_or_impossible)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &fx_filter), STATUS_SUCCESS);
    /* Not filtering yet. */
    CHECK_EQ(kf_flt_attach(fx_filter, 0), STATUS_INVALID_PARAMETER);
    fx_setup_result[0] = STATUS_FLT_DO_NOT_ATTACH;
    CHECK_EQ(FltStartFiltering(fx_filter), STATUS_SUCCESS);
    /* The callback refuses the manual request too: its status comes back, no instance. */
    CHECK_EQ(kf_flt_attach(fx_filter, 0), STATUS_FLT_DO_NOT_ATTACH);
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    /* A volume not offered. */
    CHECK_EQ(kf_flt_attach(fx_filter, 2), STATUS_INVALID_PARAMETER);
    /* Filter Manager could not create the instance. */
    fx_setup_result[0] = STATUS_SUCCESS;
    fx_fail_site(KF_SITE_FLT_INSTANCE, fx_consulted(KF_SITE_FLT_INSTANCE) + 1, KF_FAULT_HARD);
    CHECK_EQ(kf_flt_attach(fx_filter, 0), STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    CHECK_EQ(kf_flt_attach(fx_filter, 0), STATUS_SUCCESS);
    FltUnregisterFilter(fx_filter);
}

TEST(start_without_setup_callback_attaches)
{
    fx_fresh();
    fx_registration.InstanceSetupCallback = NULL;
    CHECK(fx_start() != NULL);
}

static void start_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltStartFiltering(fx_filter);
}
static void start_unknown(void *a) { (void)FltStartFiltering((PFLT_FILTER)a); }
TEST(start_irql_and_filter)
{
    fx_fresh();
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &fx_filter), STATUS_SUCCESS);
    CHECK(fx_bugcheck(start_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_violation(start_unknown, NULL, KF_VIOL_FLT_INVALID_FILTER));
    CHECK(fx_violation(start_unknown, &fx_driver, KF_VIOL_FLT_INVALID_FILTER));
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltStartFiltering(fx_filter), STATUS_SUCCESS);
}

/* ---- F-4 FltUnregisterFilter ------------------------------------------------------------------ */

TEST(unregister_teardown_order)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_start();
    fx_trace[0] = 0;
    FltUnregisterFilter(fx_filter);
    /* Per instance, in volume order: start, then complete; reason FILTER_UNLOAD (2). Neither the
     * query-teardown callback nor the unload callback is called. */
    CHECK(strcmp(fx_trace, "tstart(v0,r2) tcomplete(v0,r2) tstart(v1,r2) tcomplete(v1,r2) ") == 0);
}

static void unregister_it(void *a) { FltUnregisterFilter((PFLT_FILTER)a); }
TEST(unregister_twice)
{
    fx_fresh();
    fx_start();
    FltUnregisterFilter(fx_filter);
    CHECK(fx_violation(unregister_it, fx_filter, KF_VIOL_FLT_INVALID_FILTER));
}

static void unregister_from_teardown(PCFLT_RELATED_OBJECTS objs) { FltUnregisterFilter(objs->Filter); }
static void unregister_fx(void *a) { FltUnregisterFilter(fx_filter); }
TEST(unregister_reentered)
{
    fx_fresh();
    fx_start();
    fx_on_teardown_start = unregister_from_teardown;
    CHECK(fx_violation(unregister_fx, NULL, KF_VIOL_FLT_INVALID_FILTER));
}

static void unregister_at_dispatch(void *a)
{
    kf_set_irql(DISPATCH_LEVEL);
    FltUnregisterFilter(fx_filter);
}
TEST(unregister_irql)
{
    fx_fresh();
    fx_start();
    CHECK(fx_bugcheck(unregister_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(strstr(fx_trace, "tstart") == NULL);
}

TEST(unregister_leak_violation)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_start();
    (void)fx_alloc(kf_flt_instance(fx_filter, 1), NULL, 0);
    (void)fx_alloc(kf_flt_instance(fx_filter, 1), NULL, 0);
    CHECK(fx_violation(unregister_fx, NULL, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 2); /* how many */
    CHECK_EQ(fx_stop.param[2], 1); /* which volume */
    /* The leak is found after the instance's teardown started, before it completes. */
    CHECK(strstr(fx_trace, "tstart(v1,r2) ") != NULL);
    CHECK(strstr(fx_trace, "tcomplete(v1") == NULL);
}

static PFLT_CALLBACK_DATA kept;
static void free_kept(PCFLT_RELATED_OBJECTS objs)
{
    if (kept)
        FltFreeCallbackData(kept);
    kept = NULL;
}
TEST(unregister_free_in_teardown_start_is_fine)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    kept = fx_alloc(inst, NULL, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
    fx_on_teardown_start = free_kept;
    FltUnregisterFilter(fx_filter);
    CHECK(kept == NULL);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
    CHECK(strstr(fx_trace, "tcomplete(v0,r2)") != NULL);
}

static int async_done;
static VOID FLTAPI free_on_completion(PFLT_CALLBACK_DATA d, PFLT_CONTEXT ctx)
{
    async_done++;
    FltFreeCallbackData(d);
}
TEST(unregister_completes_pending_io)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    CHECK_EQ(kf_flt_set_async_mode(KF_FLT_COMPLETE_DEFERRED, DISPATCH_LEVEL), 0);
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    async_done = 0;
    CHECK_EQ(FltPerformAsynchronousIo(d, free_on_completion, NULL), STATUS_PENDING);
    FltUnregisterFilter(fx_filter); /* waits for the in-flight read: its completion frees it */
    CHECK_EQ(async_done, 1);
    CHECK_EQ(kf_flt_pending_completions(), 0);
    CHECK_EQ(kf_flt_callback_data_outstanding(), 0);
}

static void alloc_on(void *a)
{
    PFLT_CALLBACK_DATA d;
    (void)FltAllocateCallbackData((PFLT_INSTANCE)a, NULL, &d);
}
TEST(unregister_invalidates_instances)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    FltUnregisterFilter(fx_filter);
    CHECK(kf_flt_instance(fx_filter, 0) == NULL);
    CHECK(fx_violation(alloc_on, inst, KF_VIOL_FLT_INVALID_INSTANCE));
}

/* ---- F-5 kf_flt_unload ----------------------------------------------------------------------- */

TEST(unload_calls_unload_callback)
{
    fx_fresh();
    fx_start();
    fx_trace[0] = 0;
    CHECK_EQ(kf_flt_unload(fx_filter, 0), STATUS_SUCCESS);
    CHECK(strcmp(fx_trace, "unload(f0) tstart(v0,r2) tcomplete(v0,r2) ") == 0);
}

TEST(unload_mandatory_reason)
{
    fx_fresh();
    fx_start();
    fx_trace[0] = 0;
    CHECK_EQ(kf_flt_unload(fx_filter, FLTFL_FILTER_UNLOAD_MANDATORY), STATUS_SUCCESS);
    /* FILTER_UNLOAD | MANDATORY_FILTER_UNLOAD = 6 */
    CHECK(strcmp(fx_trace, "unload(f1) tstart(v0,r6) tcomplete(v0,r6) ") == 0);
}

static void unload_unknown(void *a) { (void)kf_flt_unload((PFLT_FILTER)a, 0); }
TEST(unload_without_callback)
{
    fx_fresh();
    fx_registration.FilterUnloadCallback = NULL;
    fx_start();
    fx_trace[0] = 0;
    CHECK_EQ(kf_flt_unload(fx_filter, 0), STATUS_FLT_DO_NOT_DETACH);
    CHECK_EQ(fx_trace[0], 0);
    CHECK(kf_flt_instance(fx_filter, 0) != NULL);
    CHECK(fx_violation(unload_unknown, &fx_driver, KF_VIOL_FLT_INVALID_FILTER));
}

/* ---- F-18 the filter's own operation callbacks ----------------------------------------------- */

TEST(own_operation_callbacks_not_called)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    d->Iopb->Parameters.Read.Length = 16;
    FltPerformSynchronousIo(d);
    CHECK_EQ(d->IoStatus.Status, STATUS_SUCCESS);
    FltFreeCallbackData(d);
    /* I/O issued by an instance goes below it: its own pre/post callbacks never see it. */
    CHECK(strstr(fx_trace, "pre") == NULL);
    CHECK(strstr(fx_trace, "post") == NULL);
}
