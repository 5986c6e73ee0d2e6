/*
 * test_pool.c - SEMANTICS.md "Pool" (P-*): the pool routines, their checks and the leak
 * report, and lookaside lists.
 */
#include "kft.h"
#include "ntddk.h"

#include <stdlib.h>
#include <string.h>

#define TAG 'looP' /* "Pool" in the debugger */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_ASAN)
#define HAVE_ASAN 1
#endif

static kf_site fail_site = KF_SITE_COUNT;
static kf_fault_kind fail_hook(void *ctx, kf_site site)
{
    (void)ctx;
    return site == fail_site ? KF_FAULT_HARD : KF_FAULT_NONE;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* ---- P-1, P-2: what each routine hands out ---------------------------------------------- */

TEST(pool_fill_and_zero)
{
    unsigned char *a = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    unsigned char *b = ExAllocatePoolUninitialized(PagedPool, 64, TAG);
    unsigned char *c = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 64, TAG);
    unsigned char *d = ExAllocatePool(PagedPool, 64);
    unsigned char *e = ExAllocatePoolZero(NonPagedPoolNx, 64, TAG);
    unsigned char *f = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    unsigned char *g = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, TAG, NULL, 0);
    unsigned char *h = ExAllocatePoolWithQuotaTag(PagedPool, 64, TAG);
    CHECK(a && b && c && d && e && f && g && h);
    if (!(a && b && c && d && e && f && g && h))
        return;
    unsigned char *i = ExAllocatePoolWithQuota(PagedPool, 64);
    unsigned char *j = ExAllocatePoolQuotaUninitialized(PagedPool, 64, TAG);
    unsigned char *k = ExAllocatePoolWithTagPriority(PagedPool, 64, TAG, LowPoolPriority);
    unsigned char *l = ExAllocatePoolPriorityUninitialized(PagedPool, 64, TAG, HighPoolPriority);
    unsigned char *m = ExAllocatePoolQuotaZero(PagedPool, 64, TAG);
    unsigned char *n = ExAllocatePoolPriorityZero(PagedPool, 64, TAG, NormalPoolPriority);
    CHECK(i && j && k && l && m && n);
    if (!(i && j && k && l && m && n))
        return;
    CHECK(all_bytes(i, 64, 0xCD) && all_bytes(j, 64, 0xCD) && all_bytes(k, 64, 0xCD) && all_bytes(l, 64, 0xCD));
    CHECK(all_bytes(m, 64, 0) && all_bytes(n, 64, 0));
    ExFreePoolWithTag(i, 'enoN');
    ExFreePool(j);
    ExFreePool(k);
    ExFreePool(l);
    ExFreePool(m);
    ExFreePool(n);
    CHECK(all_bytes(a, 64, 0xCD) && all_bytes(b, 64, 0xCD) && all_bytes(c, 64, 0xCD) && all_bytes(d, 64, 0xCD));
    CHECK(all_bytes(h, 64, 0xCD));
    CHECK(all_bytes(e, 64, 0) && all_bytes(f, 64, 0) && all_bytes(g, 64, 0));
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 14);
    ExFreePoolWithTag(a, TAG);
    ExFreePool(b);
    ExFreePoolWithTag(c, TAG);
    ExFreePoolWithTag(d, 'enoN'); /* ExAllocatePool's tag is "None" */
    ExFreePool(e);
    ExFreePool(f);
    ExFreePool(g);
    ExFreePool(h);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
}

/* ---- P-4: Pool2/3 flags, zero tag, extended parameters -------------------------------------- */

TEST(pool2_flags_and_tag)
{
    /* An unknown required bit, a reserved one, no pool kind, two kinds: NULL, site not asked. */
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x800, 16, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, 16, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 16, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, TAG) == NULL);
    CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0) == NULL);
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, 0, NULL, 0) == NULL);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 0);
    /* Unknown optional bits are ignored. */
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x0000004000000000ull | POOL_FLAG_SPECIAL_POOL, 16, TAG);
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
    p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA | POOL_FLAG_CACHE_ALIGNED, 16, TAG);
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
}

static volatile int raised;
static void pool2_raise_bad_flags(void *arg)
{
    (void)arg;
    raised = 0;
    __try {
        (void)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE | 0x1000, 16, TAG);
    } __except (GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES ? EXCEPTION_EXECUTE_HANDLER
                                                                     : EXCEPTION_CONTINUE_SEARCH) {
        raised = 1;
    }
}

TEST(pool2_invalid_flags_raise)
{
    kf_stop st;
    CHECK(!kft_stops(pool2_raise_bad_flags, NULL, &st));
    CHECK_EQ(raised, 1);
}

TEST(pool3_extended_parameters)
{
    POOL_EXTENDED_PARAMETER e[2];
    memset(e, 0, sizeof e);
    e[0].Type = PoolExtendedParameterPriority;
    e[0].Priority = HighPoolPriority;
    PVOID p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 1);
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
    e[1].Type = PoolExtendedParameterNumaNode;
    e[1].PreferredNode = 3; /* the model has one node */
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 2) == NULL);
    e[1].Optional = 1; /* an optional parameter that cannot be honoured is ignored */
    p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 2);
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
    e[1] = e[0]; /* the same type twice */
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 2) == NULL);
    memset(e, 0, sizeof e); /* the invalid type */
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 1) == NULL);
    e[0].Type = PoolExtendedParameterSecurePool;
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 1) == NULL);
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, NULL, 1) == NULL);
    e[0].Type = PoolExtendedParameterPriority;
    e[0].Priority = (EX_POOL_PRIORITY)17;
    CHECK(ExAllocatePool3(POOL_FLAG_NON_PAGED, 16, TAG, e, 1) == NULL);
}

/* ---- P-5, P-6, P-7, P-8: stops at allocation ------------------------------------------------- */

typedef struct alloc_case {
    int api; /* 0 WithTag, 1 Pool2, 2 Zero */
    ULONG type;
    POOL_FLAGS flags;
    SIZE_T n;
    ULONG tag;
} alloc_case;

static void alloc_case_run(void *arg)
{
    const alloc_case *c = arg;
    PVOID p = c->api == 0   ? ExAllocatePoolWithTag((POOL_TYPE)c->type, c->n, c->tag)
              : c->api == 1 ? ExAllocatePool2(c->flags, c->n, c->tag)
                            : ExAllocatePoolZero((POOL_TYPE)c->type, c->n, c->tag);
    if (p)
        ExFreePool(p);
}

TEST(pool_tag_checks)
{
    kf_stop st;
    alloc_case zero = {0, NonPagedPoolNx, 0, 16, 0};
    CHECK(kft_stops(alloc_case_run, &zero, &st));
    CHECK_EQ(st.code, BAD_POOL_CALLER);
    CHECK_EQ(st.param[0], 0x9B);
    alloc_case big = {2, PagedPool, 0, 16, ' GIB'};
    CHECK(kft_stops(alloc_case_run, &big, &st));
    CHECK_EQ(st.code, BAD_POOL_CALLER);
    CHECK_EQ(st.param[0], 0x9C);
    alloc_case big2 = {1, 0, POOL_FLAG_PAGED, 16, 0x00474942u};
    CHECK(kft_stops(alloc_case_run, &big2, &st));
    CHECK_EQ(st.param[0], 0x9C);
    alloc_case sym = {0, NonPagedPoolNx, 0, 16, '-*- '};
    CHECK(kft_stops(alloc_case_run, &sym, &st));
    CHECK_EQ(st.code, BAD_POOL_CALLER);
    CHECK_EQ(st.param[0], 0x9D);
    alloc_case ok = {0, NonPagedPoolNx, 0, 16, '-*-1'};
    CHECK(!kft_stops(alloc_case_run, &ok, &st));
    alloc_case ok2 = {0, NonPagedPoolNx, 0, 16, 'GIBx'};
    CHECK(!kft_stops(alloc_case_run, &ok2, &st));
}

TEST(pool_zero_size)
{
    kf_stop st;
    alloc_case a = {0, NonPagedPoolNx, 0, 0, TAG};
    CHECK(kft_stops(alloc_case_run, &a, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x3101);
    alloc_case b = {1, 0, POOL_FLAG_NON_PAGED, 0, TAG};
    CHECK(kft_stops(alloc_case_run, &b, &st));
    CHECK_EQ(st.param[0], 0x3101);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 0);
}

TEST(pool_invalid_type)
{
    kf_stop st;
    static const ULONG bad[] = {NonPagedPoolMustSucceed, DontUseThisType, NonPagedPoolCacheAlignedMustS, MaxPoolType,
                                0x201 /* NX and paged */, 0x4000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        alloc_case c = {0, bad[i], 0, 16, TAG};
        CHECK(kft_stops(alloc_case_run, &c, &st));
        CHECK_EQ(st.param[0], 0x3104);
    }
    static const ULONG good[] = {NonPagedPoolExecute, PagedPool, NonPagedPoolBaseCacheAligned, PagedPoolCacheAligned,
                                 NonPagedPoolSession, PagedPoolSession, NonPagedPoolNx, NonPagedPoolNxCacheAligned,
                                 NonPagedPoolSessionNx, NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        alloc_case c = {0, good[i], 0, 16, TAG};
        CHECK(!kft_stops(alloc_case_run, &c, &st));
    }
}

/* Built without POOL_NX_OPTIN, a driver's ExInitializeDriverRuntime(DrvRtPoolNxOptIn) does
 * nothing (the WDK's inline routine acts only with it): executable pool stays allowed.
 * test_system.c is built with POOL_NX_OPTIN=1 and checks the opt-in itself. */
TEST(pool_executable_without_nx_optin_build)
{
    kf_stop st;
    alloc_case exec = {0, NonPagedPoolExecute, 0, 16, TAG};
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolExecute);
    CHECK(!kft_stops(alloc_case_run, &exec, &st));
    CHECK_EQ(NonPagedPool, 0); /* the enumerator, not the default type */
}

TEST(pool_quota_raises_by_default)
{
    kf_set_fault_hook(fail_hook, NULL);
    fail_site = KF_SITE_POOL;
    volatile int caught = 0;
    __try {
        (void)ExAllocatePoolWithQuotaTag(PagedPool, 16, TAG);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES;
    }
    CHECK_EQ(caught, 1);
    CHECK(ExAllocatePoolWithQuotaTag((POOL_TYPE)(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), 16, TAG) == NULL);
    caught = 0;
    __try {
        (void)ExAllocatePoolWithTag((POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 16, TAG);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = 1;
    }
    CHECK_EQ(caught, 1);
    CHECK(ExAllocatePoolWithTag(PagedPool, 16, TAG) == NULL);
    kf_set_fault_hook(NULL, NULL);
    fail_site = KF_SITE_COUNT;
}

/* ---- P-11 .. P-13: stops at free ----------------------------------------------------------- */

static PVOID to_free;
static ULONG free_tag;
static KIRQL free_irql;
static void free_run(void *arg)
{
    (void)arg;
    kf_set_irql(free_irql);
    ExFreePoolWithTag(to_free, free_tag);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(pool_free_wrong_tag)
{
    kf_stop st;
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG);
    free_tag = 'gaTx';
    free_irql = PASSIVE_LEVEL;
    CHECK(kft_stops(free_run, NULL, &st));
    CHECK_EQ(st.code, BAD_POOL_CALLER);
    CHECK_EQ(st.param[0], 0x0A);
    CHECK_EQ(st.param[2], TAG);
    CHECK_EQ(st.param[3], 'gaTx');
    free_tag = TAG; /* the block is still there */
    CHECK(!kft_stops(free_run, NULL, &st));
}

TEST(pool_free_irql)
{
    kf_stop st;
    /* On by default (a driver linked with the model gets it), and kf_reset keeps it on. */
    CHECK_EQ(kf_pool_free_irql_checked(), 1);
    kf_reset();
    CHECK_EQ(kf_pool_free_irql_checked(), 1);
    free_tag = TAG;
    to_free = ExAllocatePoolWithTag(PagedPool, 16, TAG);
    free_irql = DISPATCH_LEVEL;
    CHECK(kft_stops(free_run, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x3102);
    free_irql = APC_LEVEL;
    CHECK(!kft_stops(free_run, NULL, &st));
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG);
    free_irql = DISPATCH_LEVEL;
    CHECK(!kft_stops(free_run, NULL, &st));
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG);
    free_irql = DISPATCH_LEVEL + 1;
    CHECK(kft_stops(free_run, NULL, &st));
    CHECK_EQ(st.param[0], 0x3102);
    free_irql = PASSIVE_LEVEL;
    CHECK(!kft_stops(free_run, NULL, &st));
    /* Turned off (as the scenario runner does for its own runs), it stays off across kf_reset. */
    kf_pool_check_free_irql(0);
    kf_reset();
    CHECK_EQ(kf_pool_free_irql_checked(), 0);
    free_irql = DISPATCH_LEVEL + 1;
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG);
    CHECK(!kft_stops(free_run, NULL, &st));
    kf_pool_check_free_irql(1);
}

TEST(pool_double_and_foreign_free_keep_0x1006)
{
    kf_stop st;
    free_tag = TAG;
    free_irql = PASSIVE_LEVEL;
    to_free = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG);
    CHECK(!kft_stops(free_run, NULL, &st));
    CHECK(kft_stops(free_run, NULL, &st));
    CHECK_EQ(st.param[0], 0x1006);
    static char not_pool[32];
    to_free = not_pool;
    CHECK(kft_stops(free_run, NULL, &st));
    CHECK_EQ(st.param[0], 0x1006);
}

#ifdef HAVE_ASAN
static void read_after_free(void)
{
    volatile unsigned char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG);
    ExFreePool((PVOID)p);
    (void)p[3];
}
#endif

TEST(pool_use_after_free_is_seen)
{
#ifdef HAVE_ASAN
    CHECK(kft_expect_death(read_after_free, "heap-use-after-free"));
#else
    CHECK(1); /* without AddressSanitizer nothing can see it */
#endif
}

/* ---- P-14: leaks with tag and site --------------------------------------------------------- */

static PVOID leaky_allocation(void) __attribute__((noinline));
static PVOID leaky_allocation(void) { return ExAllocatePoolWithTag(PagedPool, 48, 'kaeL'); }

TEST(pool_leak_described)
{
    char buf[1024];
    CHECK_EQ(kf_pool_describe_leaks(buf, sizeof buf), 0);
    PVOID p = leaky_allocation();
    PVOID q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'dnoS');
    CHECK_EQ(kf_pool_describe_leaks(buf, sizeof buf), 2);
    CHECK(strstr(buf, "'Leak' 48 bytes (ExAllocatePoolWithTag) from ") != NULL);
    CHECK(strstr(buf, "'Sond' 8 bytes (ExAllocatePool2)") != NULL);
    CHECK(strstr(buf, "'Leak'") < strstr(buf, "'Sond'"));
#ifdef HAVE_ASAN
    /* The site, symbolized (leaky_allocation's call is a tail call: the caller's line shows). */
    CHECK(strstr(buf, "test_pool.c:") != NULL);
#endif
    ULONG tag = 0;
    SIZE_T size = 0;
    const char *routine = NULL;
    char site[256];
    CHECK_EQ(kf_pool_first_leak(&tag, &size, &routine, site, sizeof site), 1);
    CHECK_EQ(tag, 'kaeL');
    CHECK_EQ(size, 48);
    CHECK(routine && !strcmp(routine, "ExAllocatePoolWithTag"));
    CHECK(site[0] != 0);
    (void)p;
    (void)q;
    kf_reset();
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
    CHECK_EQ(kf_pool_first_leak(NULL, NULL, NULL, NULL, 0), 0);
    /* A truncated description still counts every block and stays a string. */
    (void)leaky_allocation();
    (void)leaky_allocation();
    CHECK_EQ(kf_pool_describe_leaks(buf, 10), 2);
    CHECK(strlen(buf) < 10);
}

/* ---- P-15 .. P-20: lookaside lists ----------------------------------------------------------- */

TEST(lookaside_npaged_roundtrip)
{
    static NPAGED_LOOKASIDE_LIST l;
    ExInitializeNPagedLookasideList(&l, NULL, NULL, POOL_NX_ALLOCATION, 40, TAG, 0);
    CHECK_EQ(l.L.Size, 40);
    CHECK_EQ(l.L.Tag, TAG);
    CHECK_EQ(l.L.Type, NonPagedPoolNx);
    unsigned char *a = ExAllocateFromNPagedLookasideList(&l);
    unsigned char *b = ExAllocateFromNPagedLookasideList(&l);
    CHECK(a && b && a != b);
    if (!(a && b))
        return;
    CHECK(all_bytes(a, 40, 0xCD)); /* not zeroed */
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_LOOKASIDE], 2);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 0);
    CHECK_EQ(l.L.TotalAllocates, 2);
    ExFreeToNPagedLookasideList(&l, a);
    ExFreeToNPagedLookasideList(&l, b);
    CHECK_EQ(l.L.TotalFrees, 2);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0); /* nothing cached: entries go back at once */
    CHECK_EQ(lr.lookaside_lists, 1);
    ExDeleteNPagedLookasideList(&l);
    kf_leaks(&lr);
    CHECK_EQ(lr.lookaside_lists, 0);
    /* Deleted: it may be initialized again. */
    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 40, TAG, 0);
    ExDeleteNPagedLookasideList(&l);
}

TEST(lookaside_failure_site)
{
    static PAGED_LOOKASIDE_LIST l;
    ExInitializePagedLookasideList(&l, NULL, NULL, 0, 32, TAG, 0);
    kf_set_fault_hook(fail_hook, NULL);
    fail_site = KF_SITE_LOOKASIDE;
    CHECK(ExAllocateFromPagedLookasideList(&l) == NULL);
    fail_site = KF_SITE_POOL; /* not the list's site */
    PVOID p = ExAllocateFromPagedLookasideList(&l);
    CHECK(p != NULL);
    if (p)
        ExFreeToPagedLookasideList(&l, p);
    kf_set_fault_hook(NULL, NULL);
    fail_site = KF_SITE_COUNT;
    ExDeletePagedLookasideList(&l);
    /* RAISE flag: a failure raises. */
    static NPAGED_LOOKASIDE_LIST r;
    ExInitializeNPagedLookasideList(&r, NULL, NULL, POOL_RAISE_IF_ALLOCATION_FAILURE, 32, TAG, 0);
    kf_set_fault_hook(fail_hook, NULL);
    fail_site = KF_SITE_LOOKASIDE;
    volatile int caught = 0;
    __try {
        (void)ExAllocateFromNPagedLookasideList(&r);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES;
    }
    CHECK_EQ(caught, 1);
    kf_set_fault_hook(NULL, NULL);
    fail_site = KF_SITE_COUNT;
    ExDeleteNPagedLookasideList(&r);
}

static int cb_allocs, cb_frees;
static PVOID my_alloc(POOL_TYPE type, SIZE_T n, ULONG tag)
{
    cb_allocs++;
    return ExAllocatePoolWithTag(type, n, tag);
}
static VOID my_free(PVOID p)
{
    cb_frees++;
    ExFreePool(p);
}
static PLOOKASIDE_LIST_EX seen_list;
static PVOID my_alloc_ex(POOL_TYPE type, SIZE_T n, ULONG tag, PLOOKASIDE_LIST_EX l)
{
    seen_list = l;
    return my_alloc(type, n, tag);
}
static VOID my_free_ex(PVOID p, PLOOKASIDE_LIST_EX l)
{
    seen_list = l;
    my_free(p);
}

TEST(lookaside_callbacks)
{
    static NPAGED_LOOKASIDE_LIST l;
    cb_allocs = cb_frees = 0;
    ExInitializeNPagedLookasideList(&l, my_alloc, my_free, 0, 24, TAG, 0);
    PVOID p = ExAllocateFromNPagedLookasideList(&l);
    CHECK(p != NULL);
    CHECK_EQ(cb_allocs, 1);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_POOL], 1); /* through the driver's routine */
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_LOOKASIDE], 0);
    ExFreeToNPagedLookasideList(&l, p);
    CHECK_EQ(cb_frees, 1);
    ExDeleteNPagedLookasideList(&l);

    static LOOKASIDE_LIST_EX x;
    CHECK_EQ(ExInitializeLookasideListEx(&x, my_alloc_ex, my_free_ex, NonPagedPoolNx, 0, 24, TAG, 0), STATUS_SUCCESS);
    p = ExAllocateFromLookasideListEx(&x);
    CHECK(p != NULL && seen_list == &x);
    seen_list = NULL;
    ExFreeToLookasideListEx(&x, p);
    CHECK(seen_list == &x);
    ExFlushLookasideListEx(&x);
    ExDeleteLookasideListEx(&x);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.pool_blocks, 0);
    CHECK_EQ(lr.lookaside_lists, 0);
}

TEST(lookaside_ex_documented_errors)
{
    static LOOKASIDE_LIST_EX x;
    CHECK_EQ(ExInitializeLookasideListEx(&x, NULL, NULL, NonPagedPoolMustSucceed, 0, 24, TAG, 0),
             STATUS_INVALID_PARAMETER_4);
    CHECK_EQ(ExInitializeLookasideListEx(&x, NULL, NULL, NonPagedPoolNx, 4, 24, TAG, 0), STATUS_INVALID_PARAMETER_5);
    CHECK_EQ(ExInitializeLookasideListEx(&x, NULL, NULL, NonPagedPoolNx,
                                         EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL |
                                             EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
                                         24, TAG, 0),
             STATUS_INVALID_PARAMETER_5);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.lookaside_lists, 0); /* none of them became a list */
    CHECK_EQ(ExInitializeLookasideListEx(&x, NULL, NULL, PagedPool, EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 24, TAG,
                                         0),
             STATUS_SUCCESS);
    kf_set_fault_hook(fail_hook, NULL);
    fail_site = KF_SITE_LOOKASIDE;
    volatile int caught = 0;
    __try {
        (void)ExAllocateFromLookasideListEx(&x);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = 1;
    }
    CHECK_EQ(caught, 1);
    kf_set_fault_hook(NULL, NULL);
    fail_site = KF_SITE_COUNT;
    ExDeleteLookasideListEx(&x);
    /* The type's raise modifier raises too, unless FAIL_NO_RAISE says otherwise. */
    static LOOKASIDE_LIST_EX y, z;
    CHECK_EQ(ExInitializeLookasideListEx(&y, NULL, NULL, (POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE), 0,
                                         24, TAG, 0),
             STATUS_SUCCESS);
    CHECK_EQ(ExInitializeLookasideListEx(&z, NULL, NULL, (POOL_TYPE)(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE),
                                         EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 24, TAG, 0),
             STATUS_SUCCESS);
    kf_set_fault_hook(fail_hook, NULL);
    fail_site = KF_SITE_LOOKASIDE;
    caught = 0;
    __try {
        (void)ExAllocateFromLookasideListEx(&y);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = 1;
    }
    CHECK_EQ(caught, 1);
    CHECK(ExAllocateFromLookasideListEx(&z) == NULL);
    kf_set_fault_hook(NULL, NULL);
    fail_site = KF_SITE_COUNT;
    ExDeleteLookasideListEx(&y);
    ExDeleteLookasideListEx(&z);
}

static NPAGED_LOOKASIDE_LIST la, lb;
static int la_case;
static void lookaside_misuse(void *arg)
{
    (void)arg;
    switch (la_case) {
    case 0: /* 0xCA */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 32, TAG, 0);
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 32, TAG, 0);
        break;
    case 1: /* 0xCB */
        ExDeleteNPagedLookasideList(&lb);
        break;
    case 2: /* 0xCD */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, LOOKASIDE_MINIMUM_BLOCK_SIZE - 1, TAG, 0);
        break;
    case 3: { /* wrong list */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 32, TAG, 0);
        ExInitializeNPagedLookasideList(&lb, NULL, NULL, 0, 32, TAG, 0);
        PVOID e = ExAllocateFromNPagedLookasideList(&la);
        ExFreeToNPagedLookasideList(&lb, e);
        break;
    }
    case 4: { /* given back twice */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 32, TAG, 0);
        PVOID e = ExAllocateFromNPagedLookasideList(&la);
        ExFreeToNPagedLookasideList(&la, e);
        ExFreeToNPagedLookasideList(&la, e);
        break;
    }
    case 5: { /* 0xCC: the pool holding a live list is freed */
        PNPAGED_LOOKASIDE_LIST p = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *p, TAG);
        ExInitializeNPagedLookasideList(p, NULL, NULL, 0, 32, TAG, 0);
        ExFreePoolWithTag(p, TAG);
        break;
    }
    case 6: /* Depth must be 0 */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 32, TAG, 4);
        break;
    case 7: /* allocation from a list never initialized */
        (void)ExAllocateFromNPagedLookasideList(&lb);
        break;
    case 8: /* paged list at DISPATCH_LEVEL */
        kf_set_irql(DISPATCH_LEVEL);
        {
            static PAGED_LOOKASIDE_LIST pl;
            ExInitializePagedLookasideList(&pl, NULL, NULL, 0, 32, TAG, 0);
        }
        break;
    case 9: /* Flags before Windows 8 */
        ExInitializeNPagedLookasideList(&la, NULL, NULL, POOL_NX_ALLOCATION, 32, TAG, 0);
        break;
    }
}

TEST(lookaside_misuse_stops)
{
    static const struct {
        ULONG code;
        ULONG_PTR p1;
    } want[] = {
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3105}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3106},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3108}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3109},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3109}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3107},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x310A}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3106},
        {IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL},          {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x310A},
    };
    for (la_case = 0; la_case < (int)(sizeof want / sizeof want[0]); la_case++) {
        kf_reset();
        if (la_case == 9)
            kft_options("profile=win7-amd64");
        kf_stop st;
        CHECK(kft_stops(lookaside_misuse, NULL, &st));
        if (st.code != want[la_case].code || st.param[0] != want[la_case].p1)
            kft_fail(__FILE__, __LINE__, "case %d: stop 0x%X/0x%llx", la_case, (unsigned)st.code,
                     (unsigned long long)st.param[0]);
        if (la_case == 9)
            kft_options("");
    }
    kf_reset();
    /* From Windows 8 the same Flags are accepted. */
    la_case = 9;
    kf_stop st;
    CHECK(!kft_stops(lookaside_misuse, NULL, &st));
    ExDeleteNPagedLookasideList(&la);
}

TEST(lookaside_leak_counted_at_reset)
{
    static NPAGED_LOOKASIDE_LIST l;
    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 32, TAG, 0);
    PVOID e = ExAllocateFromNPagedLookasideList(&l);
    CHECK(e != NULL);
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.lookaside_lists, 1);
    CHECK_EQ(kf__leaks_at_reset.pool_blocks, 1);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.lookaside_lists, 0);
    /* After the reset the same list may be initialized again. */
    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 32, TAG, 0);
    ExDeleteNPagedLookasideList(&l);
}

#ifdef HAVE_ASAN
static void entry_used_after_free(void)
{
    static NPAGED_LOOKASIDE_LIST l;
    ExInitializeNPagedLookasideList(&l, NULL, NULL, 0, 32, TAG, 0);
    volatile unsigned char *e = ExAllocateFromNPagedLookasideList(&l);
    ExFreeToNPagedLookasideList(&l, (PVOID)e);
    (void)e[0];
}
#endif

TEST(lookaside_entry_use_after_free_is_seen)
{
#ifdef HAVE_ASAN
    CHECK(kft_expect_death(entry_used_after_free, "heap-use-after-free"));
#else
    CHECK(1);
#endif
}

/* The one formatter of a tag (the harness's finding and the loader use it too). */
TEST(pool_tag_text)
{
    char t[5];
    kf_pool_tag_text('kaeL', t);
    CHECK(!strcmp(t, "Leak"));
    kf_pool_tag_text(0x00410142u, t);
    CHECK(!strcmp(t, "B.A."));
}
