/*
 * test_fault.c - the fault hook and KFAULT_OPTIONS=fail_nth (rule O-4 of model/SEMANTICS.md):
 * which consultation fails, with which kind, what the statistics say, and that counting
 * restarts at kf_reset. Also the site table the hook is asked with.
 *
 * Must never leave a fault hook installed when a test ends (the runner does not reset it).
 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>

static const kf_fault_stats *stats(void) { return kf_fault_get_stats(); }

/* One nonpaged pool allocation; 1 when it succeeded (and it is freed again). */
static int pool_ok(void)
{
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 0x74736554);
    if (!p)
        return 0;
    ExFreePoolWithTag(p, 0x74736554);
    return 1;
}

static VOID nothing(PVOID Parameter) { (void)Parameter; }

/* An expansion that has to ask for stack: no modeled stack free, optionally a large stack
 * already (so only a segment can help). */
static NTSTATUS starved(BOOLEAN wait, BOOLEAN large)
{
    if (large)
        kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0);
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, wait, NULL);
    if (large)
        kf_set_large_stack(FALSE);
    kf_set_remaining_stack((SIZE_T)-1);
    return s;
}

/* ---- O-4: fail_nth ------------------------------------------------------------------------- */

TEST(fail_nth_fails_only_the_nth)
{
    kft_options("fail_nth=2");
    CHECK(pool_ok());
    CHECK(!pool_ok());
    CHECK(pool_ok());
    CHECK(pool_ok());
    CHECK_EQ(stats()->consulted[KF_SITE_POOL], 4);
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 1);
    CHECK_EQ(stats()->total_consulted, 4);
    CHECK_EQ(stats()->total_injected, 1);
}

TEST(fail_nth_counts_across_sites)
{
    /* 1: pool; 2: grow; 3: grow (fails); 4: segment; 5: pool. */
    kft_options("fail_nth=3");
    CHECK(pool_ok());
    CHECK_EQ(starved(FALSE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    CHECK_EQ(starved(FALSE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(pool_ok());
    CHECK_EQ(stats()->consulted[KF_SITE_STACK_GROW], 2);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(stats()->consulted[KF_SITE_STACK_SEGMENT], 1);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_SEGMENT], 0);
    CHECK_EQ(stats()->consulted[KF_SITE_POOL], 2);
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 0);
    CHECK_EQ(stats()->total_consulted, 5);
    CHECK_EQ(stats()->total_injected, 1);
}

TEST(fail_nth_each_position)
{
    /* A starved expansion (grow, and a segment only when the grow failed), then two pool
     * allocations: failing consultation n = 1..3 in turn hits exactly that one. */
    for (int n = 1; n <= 3; n++) {
        char opt[32];
        snprintf(opt, sizeof opt, "fail_nth=%d:fail_kind=hard", n);
        kft_options(opt);
        NTSTATUS s = starved(TRUE, FALSE);
        int pool1 = pool_ok();
        int pool2 = pool_ok();
        CHECK_EQ(s, STATUS_SUCCESS);
        CHECK_EQ(stats()->total_injected, 1);
        if (n == 1) { /* grow fails, segment 2nd, pools 3rd and 4th */
            CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
            CHECK_EQ(stats()->injected[KF_SITE_STACK_GROW], 1);
            CHECK(pool1 && pool2);
            CHECK_EQ(stats()->total_consulted, 4);
        } else if (n == 2) { /* grow 1st, the first pool fails */
            CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
            CHECK(!pool1 && pool2);
            CHECK_EQ(stats()->total_consulted, 3);
        } else { /* grow 1st, pools 2nd and 3rd: the second pool fails */
            CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
            CHECK(pool1 && !pool2);
            CHECK_EQ(stats()->total_consulted, 3);
        }
    }
}

TEST(fail_nth_kind_site)
{
    /* The stack sites are transient (waited out with Wait TRUE), the pool site hard. */
    kft_options("fail_nth=1");
    CHECK_EQ(starved(TRUE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    CHECK(kf_last_expand()->waited);
    kf_reset();
    CHECK_EQ(starved(TRUE, TRUE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(kf_last_expand()->waited);
    kf_reset();
    CHECK_EQ(starved(FALSE, TRUE), STATUS_NO_MEMORY);
    kf_reset();
    CHECK(!pool_ok());
}

TEST(fail_nth_kind_hard)
{
    kft_options("fail_nth=1:fail_kind=hard");
    CHECK_EQ(starved(TRUE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(!kf_last_expand()->waited);
    kf_reset();
    CHECK_EQ(starved(TRUE, TRUE), STATUS_NO_MEMORY);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_SEGMENT], 1);
}

TEST(fail_nth_kind_transient)
{
    kft_options("fail_nth=1:fail_kind=transient");
    CHECK_EQ(starved(TRUE, TRUE), STATUS_SUCCESS);
    CHECK(kf_last_expand()->waited);
    kf_reset();
    CHECK_EQ(starved(FALSE, TRUE), STATUS_NO_MEMORY);
    kf_reset();
    CHECK(!pool_ok()); /* the pool cannot wait: a failure either way */
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 1);
}

TEST(fail_nth_restarts_at_reset)
{
    kft_options("fail_nth=1");
    for (int run = 0; run < 3; run++) {
        CHECK(!pool_ok());
        CHECK(pool_ok());
        CHECK(pool_ok());
        CHECK_EQ(stats()->total_consulted, 3);
        CHECK_EQ(stats()->total_injected, 1);
        kf_reset();
        CHECK_EQ(stats()->total_consulted, 0);
        CHECK_EQ(stats()->total_injected, 0);
        CHECK_EQ(stats()->consulted[KF_SITE_POOL], 0);
        CHECK_EQ(stats()->injected[KF_SITE_POOL], 0);
    }
}

TEST(fail_nth_zero_never_fails)
{
    CHECK_EQ(kf_options_get()->fail_nth, 0);
    for (int i = 0; i < 50; i++) {
        CHECK(pool_ok());
        CHECK_EQ(starved(FALSE, TRUE), STATUS_SUCCESS);
    }
    CHECK_EQ(stats()->total_consulted, 100);
    CHECK_EQ(stats()->total_injected, 0);
}

/* ---- The hook ------------------------------------------------------------------------------- */

static kf_site asked_sites[16];
static unsigned n_asked;
static kf_fault_kind hook_answer;
static int hook_ctx_token;

static kf_fault_kind recording_hook(void *ctx, kf_site site)
{
    if (ctx != &hook_ctx_token)
        return KF_FAULT_HARD; /* a wrong context shows as failures */
    if (n_asked < 16)
        asked_sites[n_asked] = site;
    n_asked++;
    return hook_answer;
}

TEST(fail_nth_ignored_with_hook_attached)
{
    kft_options("fail_nth=1");
    n_asked = 0;
    hook_answer = KF_FAULT_NONE;
    kf_set_fault_hook(recording_hook, &hook_ctx_token);
    CHECK(pool_ok());
    CHECK_EQ(starved(FALSE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(n_asked, 2);
    CHECK_EQ(asked_sites[0], KF_SITE_POOL);
    CHECK_EQ(asked_sites[1], KF_SITE_STACK_GROW);
    CHECK_EQ(stats()->total_injected, 0);
    /* Detached again, fail_nth is back (counting from this run's start). */
    kf_set_fault_hook(NULL, NULL);
    kf_reset();
    CHECK(!pool_ok());
}

TEST(fault_hook_answers)
{
    n_asked = 0;
    kf_set_fault_hook(recording_hook, &hook_ctx_token);
    hook_answer = KF_FAULT_HARD;
    CHECK(!pool_ok());
    CHECK_EQ(starved(TRUE, FALSE), STATUS_NO_MEMORY);
    CHECK_EQ(n_asked, 3);
    CHECK_EQ(asked_sites[1], KF_SITE_STACK_GROW);
    CHECK_EQ(asked_sites[2], KF_SITE_STACK_SEGMENT);
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 1);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_SEGMENT], 1);
    CHECK_EQ(stats()->total_injected, 3);
    hook_answer = KF_FAULT_NONE;
    CHECK_EQ(kf_fault_consult(KF_SITE_POOL), KF_FAULT_NONE);
    hook_answer = KF_FAULT_TRANSIENT;
    CHECK_EQ(kf_fault_consult(KF_SITE_STACK_SEGMENT), KF_FAULT_TRANSIENT);
    CHECK_EQ(stats()->total_consulted, 5);
    CHECK_EQ(stats()->total_injected, 4);
    kf_set_fault_hook(NULL, NULL);
    kf_fault_reset_stats();
    CHECK_EQ(stats()->total_consulted, 0);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_SEGMENT], 0);
}

TEST(fault_sites_table)
{
    static const struct {
        kf_site id;
        const char *name;
        kf_fault_kind kind;
    } expect[] = {
        {KF_SITE_STACK_GROW, "ke.stack.grow", KF_FAULT_TRANSIENT},
        {KF_SITE_STACK_SEGMENT, "ke.stack.segment", KF_FAULT_TRANSIENT},
        {KF_SITE_POOL, "ex.pool", KF_FAULT_HARD},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const kf_site_info *s = kf_site_get(expect[i].id);
        CHECK(s != NULL);
        if (!s)
            continue;
        CHECK_EQ(s->id, expect[i].id);
        CHECK(!strcmp(s->name, expect[i].name));
        CHECK_EQ(s->kind, expect[i].kind);
        CHECK(s->routine && s->routine[0] && s->what && s->what[0]);
        CHECK_EQ(kf_site_lookup(expect[i].name), expect[i].id);
    }
    CHECK_EQ(kf_site_lookup("ke.stack"), -1);
    CHECK_EQ(kf_site_lookup(""), -1);
    CHECK(kf_site_get(KF_SITE_COUNT) == NULL);
    /* Every site has a distinct name. */
    for (int a = 0; a < KF_SITE_COUNT; a++)
        for (int b = 0; b < a; b++)
            CHECK(strcmp(kf_site_get((kf_site)a)->name, kf_site_get((kf_site)b)->name) != 0);
}
