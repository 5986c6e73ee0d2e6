/*
 * test_fault_plans.c - the fault plans of a program linked with the model alone (rules PL-1 to
 * PL-9 of model/SEMANTICS.md): nth, probability (seed, times, interval), once per call path,
 * the site filter and the failure kind act with no hook installed, each decision what the
 * rule says; options that could not act are refused naming the option.
 *
 * Built twice: test_fault_plans (the model alone) and, with KFT_HARNESS_LINKED, in a program
 * that contains the harness's plans (test_fault_plans_harness), where the built-in hook keeps
 * to fail_nth and leaves plan checks to the harness (PL-8).
 * Must never leave a fault hook installed when a test ends.
 */
#include "kft.h"
#include <ntddk.h>

#include <stdint.h>
#include <string.h>

#ifdef KFT_HARNESS_LINKED
#include "kfault/harness.h"
/* Referenced, so that the harness's plans are in this program. */
kfh_plan *(*volatile kft_plan_new)(const kfh_plan_config *) = kfh_plan_new;
#endif

#define TAG 0x6e616c50 /* 'Plan' */

/* One nonpaged pool allocation: 1 when it succeeded (and it is freed again). */
static int pool_ok(void)
{
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG);
    if (!p)
        return 0;
    ExFreePoolWithTag(p, TAG);
    return 1;
}

/* 1 when the options are refused, with the error containing needle. */
static int refused(const char *text, const char *needle)
{
    char err[512];
    err[0] = 0;
    if (kf_options_set(text, err, sizeof err) == 0) {
        kf_options_set("", err, sizeof err);
        return 0;
    }
    if (!strstr(err, needle)) {
        fprintf(stderr, "options '%s': '%s' lacks '%s'\n", text, err, needle);
        return 0;
    }
    return 1;
}

static const kf_fault_stats *stats(void) { return kf_fault_get_stats(); }

#ifndef KFT_HARNESS_LINKED

/* The documented generator of plan=probability (splitmix64), to predict each draw. */
static uint64_t next_draw(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- PL-1: nth, counted over the consultations the filter passes ------------------------ */

TEST(plan_nth_explicit)
{
    kft_options("plan=nth:fail_nth=3");
    CHECK(pool_ok());
    CHECK(pool_ok());
    CHECK(!pool_ok());
    CHECK(pool_ok());
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 1);
    /* Counting restarts at kf_reset. */
    kf_reset();
    CHECK(pool_ok());
    CHECK(pool_ok());
    CHECK(!pool_ok());
}

/* ---- PL-2: probability, the seeded draws ---------------------------------------------------- */

TEST(plan_probability_follows_the_seeded_draws)
{
    for (unsigned seed = 1; seed <= 3; seed++) {
        char opt[96];
        snprintf(opt, sizeof opt, "plan=probability:probability=3000:seed=%u", seed);
        kft_options(opt);
        uint64_t state = seed;
        int failed = 0, agree = 1;
        for (int i = 0; i < 200; i++) {
            int want_fail = next_draw(&state) % 10000 < 3000;
            int ok = pool_ok();
            agree &= ok == !want_fail;
            failed += !ok;
        }
        CHECK(agree);
        CHECK(failed > 20 && failed < 120);
        CHECK_EQ(stats()->total_injected, (unsigned long long)failed);
    }
}

TEST(plan_probability_replays_after_reset)
{
    kft_options("plan=probability:probability=5000:seed=42");
    unsigned char first[64], again[64];
    for (int i = 0; i < 64; i++)
        first[i] = (unsigned char)pool_ok();
    kf_reset();
    for (int i = 0; i < 64; i++)
        again[i] = (unsigned char)pool_ok();
    CHECK(memcmp(first, again, sizeof first) == 0);
    int fails = 0;
    for (int i = 0; i < 64; i++)
        fails += !first[i];
    CHECK(fails > 0 && fails < 64);
}

TEST(plan_probability_bounds)
{
    kft_options("plan=probability:probability=0");
    for (int i = 0; i < 50; i++)
        CHECK(pool_ok());
    kft_options("plan=probability:probability=10000");
    for (int i = 0; i < 50; i++)
        CHECK(!pool_ok());
}

/* ---- PL-3: times and interval, as Linux's should_fail() -------------------------------------- */

TEST(plan_probability_times)
{
    kft_options("plan=probability:probability=10000:times=3");
    int fails = 0;
    for (int i = 0; i < 20; i++)
        fails += !pool_ok();
    CHECK_EQ(fails, 3);
}

TEST(plan_probability_times_per_run)
{
    kft_options("plan=probability:probability=10000:times=2");
    CHECK(!pool_ok());
    CHECK(!pool_ok());
    CHECK(pool_ok());
    kf_reset();
    CHECK(!pool_ok());
}

TEST(plan_probability_interval)
{
    kft_options("plan=probability:probability=10000:interval=4");
    for (int i = 1; i <= 12; i++)
        CHECK_EQ(pool_ok(), i % 4 != 0);
}

/* ---- PL-4: the site filter --------------------------------------------------------------------- */

static VOID nothing(PVOID p) { (void)p; }

/* An expansion that must ask for stack (ke.stack.grow, then ke.stack.segment when refused). */
static NTSTATUS starved(void)
{
    kf_set_remaining_stack(0);
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, FALSE, NULL);
    kf_set_remaining_stack((SIZE_T)-1);
    return s;
}

TEST(plan_sites_filter_counts_only_matching_sites)
{
    /* nth counts the filtered consultations: the 2nd ex.pool one, whatever came between. */
    kft_options("plan=nth:fail_nth=2:sites=ex.*");
    CHECK_EQ(starved(), STATUS_SUCCESS);
    CHECK(pool_ok());
    CHECK_EQ(starved(), STATUS_SUCCESS);
    CHECK(!pool_ok());
    CHECK_EQ(stats()->injected[KF_SITE_STACK_GROW], 0);
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 1);
    /* A list of names and globs; a site outside it is never failed. */
    kft_options("plan=probability:probability=10000:sites=ke.stack.grow|flt.*");
    CHECK(pool_ok());
    CHECK_EQ(starved(), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_GROW], 1);
    CHECK_EQ(stats()->injected[KF_SITE_STACK_SEGMENT], 0);
}

/* ---- PL-5: once per call path ------------------------------------------------------------------ */

/* Two places that allocate; different code, so that no compiler folds them into one. */
__attribute__((noinline)) static int alloc_from_a(void) { return pool_ok(); }
__attribute__((noinline)) static int alloc_from_b(void)
{
    PVOID p = ExAllocatePoolWithTag(PagedPool, 48, TAG);
    if (!p)
        return 0;
    ExFreePoolWithTag(p, TAG);
    return 1;
}

TEST(plan_path_fails_each_call_path_once)
{
    kft_options("plan=path");
    int a[4], b[4];
    /* volatile counters: an unrolled loop would be four call sites, four paths. */
    for (volatile int i = 0; i < 4; i++)
        a[i] = alloc_from_a();
    for (volatile int i = 0; i < 4; i++)
        b[i] = alloc_from_b();
    /* The first call from each place fails, the repeats from the same place succeed. */
    CHECK(!a[0] && a[1] && a[2] && a[3]);
    CHECK(!b[0] && b[1] && b[2] && b[3]);
    CHECK_EQ(stats()->injected[KF_SITE_POOL], 2);
    /* A new run sees every path again. */
    kf_reset();
    for (volatile int i = 0; i < 2; i++)
        a[i] = alloc_from_a();
    CHECK(!a[0] && a[1]);
    CHECK(!alloc_from_b());
}

static void in_callout(PVOID p) { *(int *)p = alloc_from_a(); }

TEST(plan_path_callout_is_another_path)
{
    /* The same driver function reached inside an expanded callout is another call stack; the
     * same callout made again from the same place is the same one. */
    kft_options("plan=path:sites=ex.pool");
    int r[2] = {-1, -1};
    CHECK(!alloc_from_a());
    for (volatile int i = 0; i < 2; i++)
        CHECK_EQ(KeExpandKernelStackAndCalloutEx(in_callout, &r[i], 0x3000, FALSE, NULL), STATUS_SUCCESS);
    CHECK(r[0] == 0 && r[1] == 1);
}

/* ---- PL-6: the kind of an injected failure ----------------------------------------------------- */

TEST(plan_fail_kind)
{
    /* ke.stack.grow is transient: with Wait TRUE the expansion waits it out and grows. */
    kft_options("plan=probability:probability=10000:sites=ke.stack.grow:times=1");
    kf_set_remaining_stack(0);
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, TRUE, NULL), STATUS_SUCCESS);
    CHECK(kf_last_expand()->waited);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    kft_options("plan=probability:probability=10000:sites=ke.stack.grow:times=1:fail_kind=hard");
    kf_set_remaining_stack(0);
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(nothing, NULL, 0x1000, TRUE, NULL), STATUS_SUCCESS);
    CHECK(!kf_last_expand()->waited);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    kf_set_remaining_stack((SIZE_T)-1);
}

/* ---- PL-7: what cannot act is refused, naming the option -------------------------------------- */

TEST(plan_refusals_name_the_option)
{
    CHECK(refused("plan=input", "option 'plan': 'input'"));
    CHECK(refused("plan=sometimes", "option 'plan': 'sometimes'"));
    CHECK(refused("plan=nth", "fail_nth=N"));
    CHECK(refused("plan=probability:probability=10001", "option 'probability'"));
    CHECK(refused("plan=path:sites=no.such.site", "option 'sites': 'no.such.site'"));
    CHECK(refused("plan=nth:fail_nth=1:seed=5", "option 'seed' acts only with plan=probability"));
    CHECK(refused("probability=100", "option 'probability' acts only with plan=probability"));
    CHECK(refused("fail_nth=2:times=1", "option 'times'"));
    CHECK(refused("plan=path:interval=3", "option 'interval'"));
    CHECK(refused("plan=probability:fail_nth=3", "option 'fail_nth' acts only with plan=auto or plan=nth"));
    CHECK(refused("sites=ex.pool", "option 'sites' shapes the failures"));
    CHECK(refused("plan=none:fail_kind=hard", "option 'fail_kind'"));
    /* What can act is taken. */
    char err[256];
    CHECK_EQ(kf_options_set("plan=probability:probability=1:seed=9:times=2:interval=3:sites=ex.*", err, sizeof err), 0);
    CHECK_EQ(kf_options_set("fail_nth=4:sites=ex.pool:fail_kind=transient", err, sizeof err), 0);
    CHECK_EQ(kf_options_set("plan=none", err, sizeof err), 0);
    CHECK_EQ(kf_options_set("", err, sizeof err), 0);
}

/* ---- PL-9: a hook wins over the built-in plans -------------------------------------------------- */

static kf_fault_kind never(void *ctx, kf_site site)
{
    (void)ctx;
    (void)site;
    return KF_FAULT_NONE;
}

TEST(plan_hook_replaces_builtin_plans)
{
    kft_options("plan=probability:probability=10000");
    kf_set_fault_hook(never, NULL);
    CHECK(pool_ok());
    kf_set_fault_hook(NULL, NULL);
    CHECK(!pool_ok());
}

#else /* KFT_HARNESS_LINKED */

/* ---- PL-8: with the harness in the program, the built-in hook keeps to fail_nth ---------------- */

TEST(harness_linked_builtin_keeps_to_fail_nth)
{
    /* The harness decides what its plans accept (kfh_plan_config_from_options). */
    kft_options("plan=probability:probability=10000");
    CHECK(pool_ok());
    CHECK(pool_ok());
    CHECK_EQ(stats()->total_injected, 0);
    kft_options("plan=input");
    CHECK(pool_ok());
    kft_options("fail_nth=2");
    CHECK(pool_ok());
    CHECK(!pool_ok());
    CHECK(!refused("plan=path:seed=3", "seed"));
}

#endif
