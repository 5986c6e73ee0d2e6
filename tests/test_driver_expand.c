/*
 * test_driver_expand.c - drives the sample driver in drivers/expand_driver.c (which sees only
 * <ntddk.h>) on several profiles, with and without injected faults, and checks that it
 * behaves as documented: the work runs at most once and exactly once whenever the driver
 * promises it (the loader's fallback included), the right status comes back, IRQL is back
 * at PASSIVE_LEVEL, and nothing leaks.
 *
 * Hand-written predictions for chosen cases first, then a systematic sweep failing every
 * fault-site consultation in turn (fail_nth). Must never leave a fault hook installed.
 */
#include "kft.h"

#include "drivers/expand_driver.h"

#include <string.h>

#define FULL ((SIZE_T)-1)
#define NOT_SET STATUS_PENDING /* the work never stores this status */

typedef enum entry { LOADER, CLASSIFY, FSD } entry;
static const char *const entry_names[] = {"loader", "classify", "fsd"};

/* ---- Running one request ------------------------------------------------------------------ */

static kf_fault_kind answers[KF_SITE_COUNT];
static kf_fault_kind plan_hook(void *ctx, kf_site site)
{
    (void)ctx;
    return answers[site];
}

typedef struct outcome {
    int stopped;
    kf_stop stop;
    NTSTATUS ret;
    EXD_REQUEST req;
    kf_expand_record expansion;
    kf_leak_report leaks;
    KIRQL irql_after;
    unsigned depth_after;
    unsigned long long consulted, injected, pool_injected;
} outcome;

static entry run_entry;
static EXD_REQUEST run_req;
static NTSTATUS run_ret;

static void call_driver(void *p)
{
    (void)p;
    switch (run_entry) {
    case LOADER:
        run_ret = ExdLoadImage(&run_req);
        break;
    case CLASSIFY:
        run_ret = ExdClassifyPacket(&run_req);
        break;
    case FSD:
        run_ret = ExdFsdCreate(&run_req);
        break;
    }
}

/* One request on a fresh run: options, modeled stack left, and a fault plan (NULL: none,
 * fail_nth from the options applies). */
static outcome drive(entry e, const char *options, SIZE_T remaining, const kf_fault_kind *plan)
{
    outcome o;
    memset(&o, 0, sizeof o);
    kft_options(options);
    if (remaining != FULL)
        kf_set_remaining_stack(remaining);
    if (plan) {
        memcpy(answers, plan, sizeof answers);
        kf_set_fault_hook(plan_hook, NULL);
    }
    memset(&run_req, 0, sizeof run_req);
    run_req.Seed = 0x1234;
    run_req.Depth = 12;
    run_req.Status = NOT_SET;
    run_entry = e;
    run_ret = NOT_SET;
    o.stopped = kft_stops(call_driver, NULL, &o.stop);
    kf_set_fault_hook(NULL, NULL);
    o.ret = run_ret;
    o.req = run_req;
    o.expansion = *kf_last_expand();
    kf_leaks(&o.leaks);
    o.irql_after = KeGetCurrentIrql();
    o.depth_after = kf_callout_depth();
    o.consulted = kf_fault_get_stats()->total_consulted;
    o.injected = kf_fault_get_stats()->total_injected;
    o.pool_injected = kf_fault_get_stats()->injected[KF_SITE_POOL];
    return o;
}

#define CHECK_EQ_IN(where, a, b)                                                                  \
    do {                                                                                          \
        unsigned long long x_ = (unsigned long long)(a), y_ = (unsigned long long)(b);            \
        if (x_ == y_)                                                                             \
            kft_pass();                                                                           \
        else                                                                                      \
            kft_fail(__FILE__, __LINE__, "[%s] %s == %s: 0x%llx != 0x%llx", (where), #a, #b, x_, \
                     y_);                                                                         \
    } while (0)
#define CHECK_IN(where, cond) \
    ((cond) ? kft_pass() : kft_fail(__FILE__, __LINE__, "[%s] CHECK(%s)", (where), #cond))

/* The checksum of the request's work, from a run with nothing injected. */
static ULONG reference_checksum(void)
{
    static ULONG ref;
    if (!ref) {
        outcome o = drive(LOADER, "", FULL, NULL);
        ref = o.req.Checksum;
    }
    return ref;
}

/* What the driver documents, whatever the model decided about the expansion. */
static void check_documented(const char *where, entry e, const outcome *o)
{
    int expanded = o->expansion.status == STATUS_SUCCESS;
    CHECK_IN(where, !o->stopped);
    CHECK_IN(where, o->req.TimesRun <= 1);
    CHECK_EQ_IN(where, o->expansion.callout_calls, expanded);
    switch (e) {
    case LOADER: /* always exactly once: in the callout or in the fallback */
        CHECK_EQ_IN(where, o->req.TimesRun, 1);
        CHECK_EQ_IN(where, o->ret, o->req.Status);
        break;
    case CLASSIFY: /* once when the call succeeded, else the call's failure */
        CHECK_EQ_IN(where, o->req.TimesRun, expanded);
        CHECK_EQ_IN(where, o->ret, expanded ? o->req.Status : o->expansion.status);
        break;
    case FSD: /* once when the call succeeded; STATUS_NO_MEMORY shows as insufficient resources */
        CHECK_EQ_IN(where, o->req.TimesRun, expanded);
        if (!expanded)
            CHECK_EQ_IN(where, o->ret,
                        o->expansion.status == STATUS_NO_MEMORY ? STATUS_INSUFFICIENT_RESOURCES : o->expansion.status);
        break;
    }
    if (o->req.TimesRun == 1) {
        /* The work's own outcome: its pool allocation either failed or the walk was done. */
        if (o->pool_injected) {
            CHECK_EQ_IN(where, o->ret, STATUS_INSUFFICIENT_RESOURCES);
        } else {
            CHECK_EQ_IN(where, o->ret, STATUS_SUCCESS);
            CHECK_EQ_IN(where, o->req.Status, STATUS_SUCCESS);
            CHECK_EQ_IN(where, o->req.Checksum, reference_checksum());
        }
    } else {
        CHECK_EQ_IN(where, o->req.Status, NOT_SET);
    }
    CHECK_EQ_IN(where, o->leaks.pool_blocks, 0);
    CHECK_EQ_IN(where, o->leaks.segments, 0);
    CHECK_EQ_IN(where, o->irql_after, PASSIVE_LEVEL);
    CHECK_EQ_IN(where, o->depth_after, 0);
}

/* ---- Hand-written predictions ---------------------------------------------------------------- */

#define N KF_FAULT_NONE
#define T KF_FAULT_TRANSIENT
#define H KF_FAULT_HARD

typedef struct prediction {
    entry e;
    const char *profile;
    SIZE_T remaining;
    kf_fault_kind grow, segment, pool;
    NTSTATUS ret, expansion;
    kf_expand_path path;
    ULONG times_run;
} prediction;

static const prediction predictions[] = {
    /* Loader: MAXIMUM_EXPANSION_SIZE of amd64 (this build), Wait TRUE. */
    {LOADER, "win11-amd64", FULL, N, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_GROWN, 1},
    {LOADER, "win11-amd64", FULL, T, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_GROWN, 1},
    {LOADER, "win11-amd64", FULL, H, T, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_SEGMENT, 1},
    {LOADER, "win11-amd64", FULL, H, H, N, STATUS_SUCCESS, STATUS_NO_MEMORY, KF_PATH_NONE, 1},
    {LOADER, "win11-amd64", FULL, N, N, H, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, KF_PATH_GROWN, 1},
    {LOADER, "vista-amd64", 0x800, H, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_SEGMENT, 1},
    /* ...whose 0x11800 is too large for a 32-bit profile: the fallback does the work. */
    {LOADER, "win10-x86", FULL, N, N, N, STATUS_SUCCESS, STATUS_INVALID_PARAMETER_3, KF_PATH_NONE, 1},
    {LOADER, "win10-x86", FULL, N, N, H, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER_3,
     KF_PATH_NONE, 1},
    /* Classifier: 16 KiB, Wait FALSE, at DISPATCH_LEVEL. */
    {CLASSIFY, "win7-amd64", FULL, H, H, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_IN_PLACE, 1},
    {CLASSIFY, "win11-amd64", 0x800, N, H, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_GROWN, 1},
    {CLASSIFY, "win10-x86", FULL, T, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_SEGMENT, 1},
    {CLASSIFY, "win10-x86", FULL, T, T, N, STATUS_NO_MEMORY, STATUS_NO_MEMORY, KF_PATH_NONE, 0},
    {CLASSIFY, "win11-arm64", 0, H, H, N, STATUS_NO_MEMORY, STATUS_NO_MEMORY, KF_PATH_NONE, 0},
    {CLASSIFY, "win11-amd64", FULL, N, N, H, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, KF_PATH_IN_PLACE,
     1},
    /* File system: KERNEL_STACK_SIZE, Wait FALSE. */
    {FSD, "win11-amd64", FULL, H, H, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_IN_PLACE, 1},
    {FSD, "win10-x86", FULL, N, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_GROWN, 1},
    {FSD, "win7-x86", 0, H, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_SEGMENT, 1},
    {FSD, "vista-x86", 0x800, T, N, N, STATUS_SUCCESS, STATUS_SUCCESS, KF_PATH_SEGMENT, 1},
    {FSD, "win11-amd64", 0x800, H, H, N, STATUS_INSUFFICIENT_RESOURCES, STATUS_NO_MEMORY, KF_PATH_NONE, 0},
    {FSD, "win11-amd64", 0x800, T, T, N, STATUS_INSUFFICIENT_RESOURCES, STATUS_NO_MEMORY, KF_PATH_NONE, 0},
    /* The work raises; the callout keeps the code and the create raises it again. */
    {FSD, "win11-amd64", FULL, N, N, H, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, KF_PATH_IN_PLACE, 1},
    {FSD, "win10-arm", 0, N, N, H, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, KF_PATH_GROWN, 1},
};

TEST(driver_predicted_outcomes)
{
    for (size_t i = 0; i < sizeof predictions / sizeof predictions[0]; i++) {
        const prediction *p = &predictions[i];
        char where[80], options[64];
        snprintf(where, sizeof where, "%s on %s, case %zu", entry_names[p->e], p->profile, i);
        snprintf(options, sizeof options, "profile=%s", p->profile);
        kf_fault_kind plan[KF_SITE_COUNT] = {0};
        plan[KF_SITE_STACK_GROW] = p->grow;
        plan[KF_SITE_STACK_SEGMENT] = p->segment;
        plan[KF_SITE_POOL] = p->pool;
        outcome o = drive(p->e, options, p->remaining, plan);
        CHECK_EQ_IN(where, o.ret, p->ret);
        CHECK_EQ_IN(where, o.expansion.status, p->expansion);
        CHECK_EQ_IN(where, o.expansion.path, p->path);
        CHECK_EQ_IN(where, o.req.TimesRun, p->times_run);
        check_documented(where, p->e, &o);
    }
}

TEST(driver_predicted_stops)
{
    /* The Ex routine does not exist on Server 2003: the driver would not load. */
    outcome o = drive(LOADER, "profile=ws03-amd64", FULL, NULL);
    CHECK(o.stopped);
    CHECK_EQ(o.stop.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(o.stop.param[0], 0x1001);
    CHECK_EQ(o.req.TimesRun, 0);
    /* At DISPATCH_LEVEL only from Windows 7: on Vista the classifier bug checks. */
    o = drive(CLASSIFY, "profile=vista-amd64", FULL, NULL);
    CHECK(o.stopped);
    CHECK_EQ(o.stop.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(o.stop.param[0], APC_LEVEL);
    CHECK_EQ(o.stop.param[1], DISPATCH_LEVEL);
    CHECK_EQ(o.req.TimesRun, 0);
    CHECK_EQ(o.irql_after, PASSIVE_LEVEL);
    CHECK_EQ(o.leaks.segments, 0);
}

/* ---- Every consultation failed in turn ---------------------------------------------------------- */

static void sweep(entry e, const char *profile)
{
    static const SIZE_T stacks[] = {FULL, 0x800, 0};
    static const char *const kinds[] = {"site", "hard", "transient"};
    for (size_t s = 0; s < sizeof stacks / sizeof stacks[0]; s++) {
        char options[128], where[256];
        snprintf(options, sizeof options, "profile=%s", profile);
        outcome clean = drive(e, options, stacks[s], NULL);
        snprintf(where, sizeof where, "%s on %s, stack %zu, no fault", entry_names[e], profile, s);
        check_documented(where, e, &clean);
        CHECK_EQ_IN(where, clean.ret, STATUS_SUCCESS);
        CHECK_EQ_IN(where, clean.injected, 0);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            for (unsigned long long n = 1; n <= clean.consulted + 1; n++) {
                snprintf(options, sizeof options, "profile=%s:fail_nth=%llu:fail_kind=%s", profile, n, kinds[k]);
                snprintf(where, sizeof where, "%s on %s, stack %zu, %s", entry_names[e], profile, s, options);
                outcome o = drive(e, options, stacks[s], NULL);
                check_documented(where, e, &o);
                if (n <= clean.consulted) {
                    CHECK_EQ_IN(where, o.injected, 1);
                } else {
                    CHECK_EQ_IN(where, o.injected, 0);
                    CHECK_EQ_IN(where, o.ret, clean.ret);
                    CHECK_EQ_IN(where, o.expansion.path, clean.expansion.path);
                }
            }
    }
}

TEST(driver_loader_every_fault)
{
    sweep(LOADER, "win11-amd64");
    sweep(LOADER, "win10-x86");
    sweep(LOADER, "win10-arm64");
    sweep(LOADER, "vista-x86");
}

TEST(driver_classifier_every_fault)
{
    sweep(CLASSIFY, "win11-amd64");
    sweep(CLASSIFY, "win7-x86");
    sweep(CLASSIFY, "win10-arm");
}

TEST(driver_fsd_every_fault)
{
    sweep(FSD, "win11-amd64");
    sweep(FSD, "win10-x86");
    sweep(FSD, "win11-arm64");
    sweep(FSD, "vista-amd64");
}

/* ---- Loading the driver ------------------------------------------------------------------------ */

TEST(driver_entry_loads)
{
    static const char *const profiles[] = {"win11-amd64", "win10-x86", "vista-amd64", "win8-arm"};
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        char options[64];
        DRIVER_OBJECT driver;
        UNICODE_STRING path = {0, 0, NULL};
        snprintf(options, sizeof options, "profile=%s", profiles[i]);
        kft_options(options);
        memset(&driver, 0, sizeof driver);
        CHECK_EQ(DriverEntry(&driver, &path), STATUS_SUCCESS);
        CHECK(driver.DriverUnload != NULL);
        if (driver.DriverUnload)
            driver.DriverUnload(&driver);
        kf_leak_report lr;
        kf_leaks(&lr);
        CHECK_EQ(lr.pool_blocks, 0);
    }
    /* With its configuration allocation failing it reports so. */
    kft_options("fail_nth=2:fail_kind=hard");
    DRIVER_OBJECT driver;
    memset(&driver, 0, sizeof driver);
    CHECK_EQ(DriverEntry(&driver, NULL), STATUS_INSUFFICIENT_RESOURCES);
}
