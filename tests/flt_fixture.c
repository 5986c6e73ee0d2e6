/*
 * flt_fixture.c - the Filter Manager tests' shared minifilter, fault hook and stop matchers
 * (see flt_fixture.h). Holds no test of its own.
 */
#include "flt_fixture.h"

#include <stdarg.h>
#include <string.h>

DRIVER_OBJECT fx_driver;
PFLT_FILTER fx_filter;
char fx_trace[2048];
NTSTATUS fx_setup_result[KF_FLT_MAX_VOLUMES];
void (*fx_on_setup)(PCFLT_RELATED_OBJECTS objs);
void (*fx_on_teardown_start)(PCFLT_RELATED_OBJECTS objs);
void (*fx_on_teardown_complete)(PCFLT_RELATED_OBJECTS objs);
struct fx_objs fx_last_objs;
kf_stop fx_stop;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
    size_t n = strlen(fx_trace);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fx_trace + n, sizeof fx_trace - n, fmt, ap);
    va_end(ap);
}

/* The volume index of the instance a callback got. */
static int volume_of(PCFLT_RELATED_OBJECTS objs)
{
    for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++)
        if (kf_flt_instance(objs->Filter, i) == objs->Instance)
            return (int)i;
    return -1;
}

static void keep(PCFLT_RELATED_OBJECTS objs)
{
    fx_last_objs.size = objs->Size;
    fx_last_objs.filter = objs->Filter;
    fx_last_objs.volume = objs->Volume;
    fx_last_objs.instance = objs->Instance;
    fx_last_objs.file_object = objs->FileObject;
}

static NTSTATUS FLTAPI setup_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_SETUP_FLAGS flags, DEVICE_TYPE dev,
                                FLT_FILESYSTEM_TYPE fs)
{
    int v = volume_of(objs);
    keep(objs);
    trace("setup(v%d,f%u,d%u,t%u) ", v, (unsigned)flags, (unsigned)dev, (unsigned)fs);
    if (fx_on_setup)
        fx_on_setup(objs);
    return v >= 0 ? fx_setup_result[v] : STATUS_UNSUCCESSFUL;
}

static NTSTATUS FLTAPI query_teardown_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_QUERY_TEARDOWN_FLAGS flags)
{
    trace("query(v%d) ", volume_of(objs));
    return STATUS_SUCCESS;
}

static VOID FLTAPI teardown_start_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
    keep(objs);
    trace("tstart(v%d,r%u) ", volume_of(objs), (unsigned)reason);
    if (fx_on_teardown_start)
        fx_on_teardown_start(objs);
}

static VOID FLTAPI teardown_complete_cb(PCFLT_RELATED_OBJECTS objs, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
    trace("tcomplete(v%d,r%u) ", volume_of(objs), (unsigned)reason);
    if (fx_on_teardown_complete)
        fx_on_teardown_complete(objs);
}

static NTSTATUS FLTAPI unload_cb(FLT_FILTER_UNLOAD_FLAGS flags)
{
    trace("unload(f%u) ", (unsigned)flags);
    FltUnregisterFilter(fx_filter);
    return STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI pre_cb(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID *ctx)
{
    trace("pre ");
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS FLTAPI post_cb(PFLT_CALLBACK_DATA data, PCFLT_RELATED_OBJECTS objs, PVOID ctx,
                                                 FLT_POST_OPERATION_FLAGS flags)
{
    trace("post ");
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static const FLT_OPERATION_REGISTRATION fx_operations[] = {
    {IRP_MJ_READ, 0, pre_cb, post_cb, NULL},
    {IRP_MJ_WRITE, 0, pre_cb, post_cb, NULL},
    {IRP_MJ_DIRECTORY_CONTROL, 0, pre_cb, post_cb, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION fx_registration_init = {
    sizeof(FLT_REGISTRATION),
    FLT_REGISTRATION_VERSION,
    0,
    NULL,
    fx_operations,
    unload_cb,
    setup_cb,
    query_teardown_cb,
    teardown_start_cb,
    teardown_complete_cb,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

FLT_REGISTRATION fx_registration;

void fx_fresh(void)
{
    fx_no_faults();
    memset(&fx_driver, 0, sizeof fx_driver);
    fx_filter = NULL;
    fx_trace[0] = 0;
    for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++)
        fx_setup_result[i] = STATUS_SUCCESS;
    fx_on_setup = fx_on_teardown_start = fx_on_teardown_complete = NULL;
    memset(&fx_last_objs, 0, sizeof fx_last_objs);
    memcpy(&fx_registration, &fx_registration_init, sizeof fx_registration);
    memset(&fx_stop, 0, sizeof fx_stop);
}

PFLT_INSTANCE fx_start(void)
{
    CHECK_EQ(FltRegisterFilter(&fx_driver, &fx_registration, &fx_filter), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(fx_filter), STATUS_SUCCESS);
    return kf_flt_instance(fx_filter, 0);
}

PFLT_CALLBACK_DATA fx_alloc(PFLT_INSTANCE instance, PFILE_OBJECT file_object, ULONG flags)
{
    PFLT_CALLBACK_DATA d = NULL;
    CHECK_EQ(FltAllocateCallbackDataEx(instance, file_object, flags, &d), STATUS_SUCCESS);
    CHECK(d != NULL);
    return d;
}

/* ---- Fault hook ----------------------------------------------------------------------------- */

static int fail_site = -1;
static unsigned long long fail_nth;
static kf_fault_kind fail_kind;

static kf_fault_kind site_hook(void *ctx, kf_site site)
{
    if ((int)site != fail_site)
        return KF_FAULT_NONE;
    /* kf_fault_consult counts before asking: this consultation is number consulted[site]. */
    unsigned long long n = kf_fault_get_stats()->consulted[site];
    return (fail_nth == 0 || n == fail_nth) ? fail_kind : KF_FAULT_NONE;
}

void fx_fail_site(kf_site site, unsigned long long nth, kf_fault_kind kind)
{
    fail_site = (int)site;
    fail_nth = nth;
    fail_kind = kind;
    kf_set_fault_hook(site_hook, NULL);
}

void fx_no_faults(void)
{
    fail_site = -1;
    kf_set_fault_hook(NULL, NULL);
}

unsigned long long fx_consulted(kf_site site) { return kf_fault_get_stats()->consulted[site]; }

/* ---- Stop matchers ---------------------------------------------------------------------------- */

static void show(const char *want)
{
    char report[1024];
    kf_stop_format(&fx_stop, report, sizeof report);
    fprintf(stderr, "  expected %s, got:\n%s", want, report);
}

int fx_violation(void (*fn)(void *), void *arg, kf_violation v)
{
    memset(&fx_stop, 0, sizeof fx_stop);
    if (!kft_stops(fn, arg, &fx_stop)) {
        fprintf(stderr, "  expected violation 0x%X (%s); the call returned\n", (unsigned)v, kf_violation_name(v));
        return 0;
    }
    if (fx_stop.code == DRIVER_VERIFIER_DETECTED_VIOLATION && fx_stop.param[0] == (ULONG_PTR)v)
        return 1;
    show(kf_violation_name(v));
    return 0;
}

int fx_bugcheck(void (*fn)(void *), void *arg, ULONG code, ULONG_PTR p1, ULONG_PTR p2)
{
    memset(&fx_stop, 0, sizeof fx_stop);
    if (!kft_stops(fn, arg, &fx_stop)) {
        fprintf(stderr, "  expected bug check 0x%X; the call returned\n", (unsigned)code);
        return 0;
    }
    if (fx_stop.code == code && fx_stop.param[0] == p1 && fx_stop.param[1] == p2)
        return 1;
    show(kf_bugcheck_name(code));
    return 0;
}
