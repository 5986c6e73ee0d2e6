/*
 * test_expand.c - KeExpandKernelStackAndCallout and KeExpandKernelStackAndCalloutEx against
 * the rules E-1 to E-18 of model/SEMANTICS.md, per profile where a rule differs.
 *
 * Every test is written so that breaking its rule in the model makes it fail: expected
 * values are spelled out from the fact sheet, never recomputed the way the model does.
 * Must never leave a fault hook installed when a test ends (the runner does not reset it),
 * and must never depend on host addresses or timing.
 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>

#define EX_NAME "KeExpandKernelStackAndCalloutEx"
#define NONEX_NAME "KeExpandKernelStackAndCallout"

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

/* ---- Helpers ------------------------------------------------------------------------ */

static void use_profile(const char *name)
{
    char text[64];
    snprintf(text, sizeof text, "profile=%s", name);
    kft_options(text);
}

/* What the probe callout saw on its last call. */
static struct {
    unsigned calls;
    PVOID param;
    KIRQL irql;
    ULONG_PTR remaining, low, high;
    unsigned depth;
} seen;

static void seen_clear(void) { memset(&seen, 0, sizeof seen); }

static VOID probe(PVOID Parameter)
{
    seen.calls++;
    seen.param = Parameter;
    seen.irql = KeGetCurrentIrql();
    seen.remaining = IoGetRemainingStackSize();
    IoGetStackLimits(&seen.low, &seen.high);
    seen.depth = kf_callout_depth();
}

/* A fault plan: a fixed answer per site. */
static kf_fault_kind plan_answer[KF_SITE_COUNT];
static kf_fault_kind plan_hook(void *ctx, kf_site site)
{
    (void)ctx;
    return plan_answer[site];
}
static void plan(kf_fault_kind grow, kf_fault_kind segment)
{
    memset(plan_answer, 0, sizeof plan_answer);
    plan_answer[KF_SITE_STACK_GROW] = grow;
    plan_answer[KF_SITE_STACK_SEGMENT] = segment;
    plan_answer[KF_SITE_POOL] = KF_FAULT_HARD;
    kf_set_fault_hook(plan_hook, NULL);
}
static void plan_off(void) { kf_set_fault_hook(NULL, NULL); }

static unsigned long long asked(kf_site s) { return kf_fault_get_stats()->consulted[s]; }
static unsigned long long asked_total(void) { return kf_fault_get_stats()->total_consulted; }

/* One call of either routine at a chosen IRQL, for running under a guard. */
typedef struct call {
    int ex;
    PEXPAND_STACK_CALLOUT callout;
    PVOID param;
    SIZE_T size;
    BOOLEAN wait;
    PVOID context;
    KIRQL irql;
    NTSTATUS status;
} call;

#define NOT_RETURNED ((NTSTATUS)0x12345678)

static void do_call(void *p)
{
    call *c = p;
    KIRQL before = KeGetCurrentIrql();
    kf_set_irql(c->irql);
    if (c->ex)
        c->status = KeExpandKernelStackAndCalloutEx(c->callout, c->param, c->size, c->wait, c->context);
    else
        c->status = KeExpandKernelStackAndCallout(c->callout, c->param, c->size);
    kf_set_irql(before);
}

/* Runs the call under a guard; 1 when it stopped (then *st holds the stop). */
static int run(call *c, kf_stop *st)
{
    c->status = NOT_RETURNED;
    seen_clear();
    return kft_stops(do_call, c, st);
}

static call ex_call(SIZE_T size, BOOLEAN wait)
{
    call c = {1, probe, (PVOID)&seen, size, wait, NULL, PASSIVE_LEVEL, NOT_RETURNED};
    return c;
}

static call nonex_call(SIZE_T size)
{
    call c = {0, probe, (PVOID)&seen, size, TRUE, NULL, PASSIVE_LEVEL, NOT_RETURNED};
    return c;
}

/* Checks that *st is the violation `code` raised by `routine`. */
static void check_violation(const char *where, const kf_stop *st, ULONG code, const char *routine)
{
    CHECK_EQ_IN(where, st->code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ_IN(where, st->param[0], code);
    CHECK_IN(where, st->routine && !strcmp(st->routine, routine));
}

/* ---- E-1: availability ---------------------------------------------------------------- */

static const struct {
    const char *profile;
    int has_ex, has_nonex;
} availability[] = {
    {"ws03-x86", 0, 0},   {"ws03-amd64", 0, 1}, {"vista-x86", 1, 1}, {"vista-amd64", 1, 1},
    {"win7-x86", 1, 1},   {"win7-amd64", 1, 1}, {"win8-x86", 1, 1},  {"win8-amd64", 1, 1},
    {"win8-arm", 1, 1},   {"win10-x86", 1, 1},  {"win10-amd64", 1, 1}, {"win10-arm", 1, 1},
    {"win10-arm64", 1, 1}, {"win11-amd64", 1, 1}, {"win11-arm64", 1, 1},
};
#define N_AVAIL (sizeof availability / sizeof availability[0])

static void check_available(int ex)
{
    CHECK_EQ(N_AVAIL, kf_profile_count());
    for (size_t i = 0; i < N_AVAIL; i++) {
        const char *name = availability[i].profile;
        int has = ex ? availability[i].has_ex : availability[i].has_nonex;
        use_profile(name);
        call c = ex ? ex_call(0x1000, FALSE) : nonex_call(0x1000);
        kf_stop st;
        int stopped = run(&c, &st);
        if (has) {
            CHECK_IN(name, !stopped);
            CHECK_EQ_IN(name, c.status, STATUS_SUCCESS);
            CHECK_EQ_IN(name, seen.calls, 1);
        } else {
            CHECK_IN(name, stopped);
            check_violation(name, &st, 0x1001, ex ? EX_NAME : NONEX_NAME);
            CHECK_EQ_IN(name, seen.calls, 0);
            CHECK_EQ_IN(name, asked_total(), 0);
        }
    }
}

TEST(availability_ex_from_vista) { check_available(1); }
TEST(availability_nonex_vista_or_ws03_amd64) { check_available(0); }

TEST(availability_ws03_amd64_vs_x86)
{
    kf_stop st;
    use_profile("ws03-amd64");
    call c = nonex_call(0x2000);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_SUCCESS);
    CHECK_EQ(seen.calls, 1);
    use_profile("ws03-x86");
    c = nonex_call(0x2000);
    CHECK(run(&c, &st));
    check_violation("ws03-x86", &st, 0x1001, NONEX_NAME);
    CHECK_EQ(seen.calls, 0);
    CHECK(strstr(st.reason, NONEX_NAME) != NULL);
}

/* ---- E-2: IRQL ------------------------------------------------------------------------- */

/* At max the call succeeds; at max + 1 it bug checks 0xA (max, current) without calling. */
static void check_irql_limit(const char *profile, int ex, KIRQL max)
{
    char where[64];
    kf_stop st;
    snprintf(where, sizeof where, "%s %s", profile, ex ? "Ex" : "non-Ex");
    use_profile(profile);
    call c = ex ? ex_call(0x1000, FALSE) : nonex_call(0x1000);
    c.irql = max;
    CHECK_IN(where, !run(&c, &st));
    CHECK_EQ_IN(where, c.status, STATUS_SUCCESS);
    CHECK_EQ_IN(where, seen.calls, 1);
    CHECK_EQ_IN(where, seen.irql, max);
    for (KIRQL above = (KIRQL)(max + 1); above <= HIGH_LEVEL; above = (KIRQL)(above + 6)) {
        c.irql = above;
        CHECK_IN(where, run(&c, &st));
        CHECK_EQ_IN(where, st.code, IRQL_NOT_LESS_OR_EQUAL);
        CHECK_EQ_IN(where, st.param[0], max);
        CHECK_EQ_IN(where, st.param[1], above);
        CHECK_IN(where, !strcmp(st.routine, ex ? EX_NAME : NONEX_NAME));
        CHECK_EQ_IN(where, seen.calls, 0);
        CHECK_EQ_IN(where, c.status, NOT_RETURNED);
        CHECK_EQ_IN(where, KeGetCurrentIrql(), PASSIVE_LEVEL);
    }
}

TEST(irql_ex_vista_apc_level)
{
    check_irql_limit("vista-x86", 1, APC_LEVEL);
    check_irql_limit("vista-amd64", 1, APC_LEVEL);
}

TEST(irql_ex_win7_on_dispatch_level)
{
    static const char *const from_win7[] = {"win7-x86", "win7-amd64", "win8-arm",
                                            "win10-x86", "win10-arm64", "win11-amd64"};
    for (size_t i = 0; i < sizeof from_win7 / sizeof from_win7[0]; i++)
        check_irql_limit(from_win7[i], 1, DISPATCH_LEVEL);
}

TEST(irql_nonex_apc_level_everywhere)
{
    static const char *const with_nonex[] = {"ws03-amd64", "vista-x86", "win7-amd64",
                                             "win10-arm", "win11-arm64", "win11-amd64"};
    for (size_t i = 0; i < sizeof with_nonex / sizeof with_nonex[0]; i++)
        check_irql_limit(with_nonex[i], 0, APC_LEVEL);
}

/* ---- E-3, E-4: Callout and Context ------------------------------------------------------ */

TEST(null_callout)
{
    kf_stop st;
    for (int ex = 0; ex <= 1; ex++) {
        call c = ex ? ex_call(0x1000, FALSE) : nonex_call(0x1000);
        c.callout = NULL;
        CHECK(run(&c, &st));
        check_violation(ex ? "Ex" : "non-Ex", &st, 0x1005, ex ? EX_NAME : NONEX_NAME);
        CHECK_EQ(c.status, NOT_RETURNED);
    }
}

TEST(context_not_null)
{
    kf_stop st;
    static int reserved;
    call c = ex_call(0x1000, FALSE);
    c.context = &reserved;
    kf_set_remaining_stack(0);
    CHECK(run(&c, &st));
    check_violation("Context", &st, 0x1002, EX_NAME);
    CHECK_EQ(seen.calls, 0);
    CHECK_EQ(c.status, NOT_RETURNED);
    CHECK_EQ(asked_total(), 0);
    /* NULL Context is the documented use. */
    c.context = NULL;
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_SUCCESS);
}

/* ---- E-5: Size -------------------------------------------------------------------------- */

static const struct {
    const char *profile;
    SIZE_T max;
} max_sizes[] = {
    {"vista-x86", 0xE800},   {"win10-x86", 0xE800},    {"win8-arm", 0xE800},
    {"win10-arm", 0xE800},   {"vista-amd64", 0x11800}, {"win11-amd64", 0x11800},
    {"win10-arm64", 0x11800}, {"win11-arm64", 0x11800},
};

static void check_size_limit(int ex)
{
    kf_stop st;
    for (size_t i = 0; i < sizeof max_sizes / sizeof max_sizes[0]; i++) {
        const char *name = max_sizes[i].profile;
        SIZE_T max = max_sizes[i].max;
        use_profile(name);
        call c = ex ? ex_call(max, TRUE) : nonex_call(max);
        CHECK_IN(name, !run(&c, &st));
        CHECK_EQ_IN(name, c.status, STATUS_SUCCESS);
        CHECK_EQ_IN(name, seen.calls, 1);
        CHECK_IN(name, seen.remaining >= max);

        const SIZE_T too_big[] = {max + 1, max + PAGE_SIZE, (SIZE_T)-1};
        for (size_t k = 0; k < 3; k++) {
            kf_reset();
            kf_set_remaining_stack(0); /* every path past the Size check would consult a site */
            c.size = too_big[k];
            CHECK_IN(name, !run(&c, &st));
            CHECK_EQ_IN(name, c.status, STATUS_INVALID_PARAMETER_3);
            CHECK_EQ_IN(name, seen.calls, 0);
            CHECK_EQ_IN(name, asked_total(), 0);
            CHECK_EQ_IN(name, kf_last_expand()->status, STATUS_INVALID_PARAMETER_3);
            CHECK_EQ_IN(name, kf_last_expand()->callout_calls, 0);
        }
    }
}

TEST(size_max_ex) { check_size_limit(1); }
TEST(size_max_nonex) { check_size_limit(0); }

/* Size is checked before the strategy: a Size above the maximum fails even when the
 * current (large) stack has that much free and the callout could run in place. */
TEST(size_checked_even_when_it_fits_in_place)
{
    kf_stop st;
    kf_set_large_stack(TRUE);
    CHECK_EQ(IoGetRemainingStackSize(), 0x12000);
    call c = ex_call(0x11801, FALSE);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(seen.calls, 0);
    c = nonex_call(0x12000);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(seen.calls, 0);
    use_profile("win10-x86");
    kf_set_large_stack(TRUE);
    c = ex_call(0xE801, TRUE);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_3);
    c.size = 0xE800;
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_IN_PLACE);
}

/* A driver compiled for amd64 (MAXIMUM_EXPANSION_SIZE 0x11800) meets the run-time
 * profile's smaller limit on a 32-bit profile. */
TEST(size_header_constant_meets_profile_limit)
{
    kf_stop st;
    CHECK_EQ(MAXIMUM_EXPANSION_SIZE, 0x11800); /* these tests are built for amd64 */
    use_profile("win10-x86");
    call c = ex_call(MAXIMUM_EXPANSION_SIZE, TRUE);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(seen.calls, 0);
    use_profile("win10-amd64");
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_SUCCESS);
    CHECK_EQ(seen.calls, 1);
}

/* ---- E-6: Wait TRUE at DISPATCH_LEVEL --------------------------------------------------- */

TEST(wait_at_dispatch)
{
    static const char *const profiles[] = {"win7-x86", "win8-amd64", "win10-arm", "win11-arm64"};
    kf_stop st;
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        const char *name = profiles[i];
        use_profile(name);
        kf_set_remaining_stack(0);
        call c = ex_call(0x1000, TRUE);
        c.irql = DISPATCH_LEVEL;
        CHECK_IN(name, !run(&c, &st));
        CHECK_EQ_IN(name, c.status, STATUS_INVALID_PARAMETER_4);
        CHECK_EQ_IN(name, seen.calls, 0);
        CHECK_EQ_IN(name, asked_total(), 0);
        CHECK_EQ_IN(name, KeGetCurrentIrql(), PASSIVE_LEVEL);
        /* Wait TRUE below DISPATCH_LEVEL and Wait FALSE at it are both fine. */
        c.irql = APC_LEVEL;
        CHECK_IN(name, !run(&c, &st));
        CHECK_EQ_IN(name, c.status, STATUS_SUCCESS);
        c.irql = DISPATCH_LEVEL;
        c.wait = FALSE;
        CHECK_IN(name, !run(&c, &st));
        CHECK_EQ_IN(name, c.status, STATUS_SUCCESS);
        CHECK_EQ_IN(name, seen.irql, DISPATCH_LEVEL);
    }
}

/* ---- E-7: the order of checks ----------------------------------------------------------- */

static int reserved_context;

TEST(order_availability_before_irql)
{
    kf_stop st;
    use_profile("ws03-x86");
    call c = ex_call((SIZE_T)-1, TRUE);
    c.irql = HIGH_LEVEL;
    c.callout = NULL;
    c.context = &reserved_context;
    CHECK(run(&c, &st));
    check_violation("ws03-x86", &st, 0x1001, EX_NAME);
}

TEST(order_irql_before_callout)
{
    kf_stop st;
    use_profile("vista-x86");
    call c = ex_call((SIZE_T)-1, TRUE);
    c.irql = DISPATCH_LEVEL;
    c.callout = NULL;
    c.context = &reserved_context;
    CHECK(run(&c, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
}

TEST(order_callout_before_context)
{
    kf_stop st;
    call c = ex_call((SIZE_T)-1, TRUE);
    c.irql = DISPATCH_LEVEL;
    c.callout = NULL;
    c.context = &reserved_context;
    CHECK(run(&c, &st));
    check_violation("callout", &st, 0x1005, EX_NAME);
}

TEST(order_context_before_size)
{
    kf_stop st;
    call c = ex_call((SIZE_T)-1, TRUE);
    c.irql = DISPATCH_LEVEL;
    c.context = &reserved_context;
    CHECK(run(&c, &st));
    check_violation("context", &st, 0x1002, EX_NAME);
    CHECK_EQ(seen.calls, 0);
}

TEST(order_size_before_wait)
{
    kf_stop st;
    kft_options("nest_limit=0");
    call c = ex_call(0x11801, TRUE);
    c.irql = DISPATCH_LEVEL;
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_3);
    CHECK_EQ(seen.calls, 0);
}

TEST(order_wait_before_nesting)
{
    kf_stop st;
    kft_options("nest_limit=0");
    call c = ex_call(0x1000, TRUE);
    c.irql = DISPATCH_LEVEL;
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_INVALID_PARAMETER_4);
    CHECK_EQ(seen.calls, 0);
}

TEST(order_nesting_before_memory)
{
    kf_stop st;
    kft_options("nest_limit=0");
    kf_set_remaining_stack(0);
    plan(KF_FAULT_HARD, KF_FAULT_HARD);
    call c = ex_call(0x1000, FALSE);
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_STACK_OVERFLOW);
    CHECK_EQ(asked_total(), 0);
    CHECK_EQ(seen.calls, 0);
    plan_off();
}

/* ---- E-8: nesting ------------------------------------------------------------------------ */

#define NEST_MAX 12
static struct {
    int ex;
    SIZE_T size;
    int starve;                    /* each level leaves no modeled stack for the next */
    NTSTATUS status[NEST_MAX + 1]; /* status[k]: the call made inside level k (0: outside) */
    unsigned depth_seen[NEST_MAX + 1];
    unsigned deepest;
} nest;

static VOID nest_callout(PVOID Parameter)
{
    unsigned level = (unsigned)(ULONG_PTR)Parameter;
    if (level > NEST_MAX)
        return;
    nest.deepest = level;
    nest.depth_seen[level] = kf_callout_depth();
    if (level == NEST_MAX)
        return;
    if (nest.starve)
        kf_set_remaining_stack(0);
    PVOID next = (PVOID)(ULONG_PTR)(level + 1);
    nest.status[level] = nest.ex ? KeExpandKernelStackAndCalloutEx(nest_callout, next, nest.size, FALSE, NULL)
                                 : KeExpandKernelStackAndCallout(nest_callout, next, nest.size);
}

static void nest_run(int ex, SIZE_T size, int starve)
{
    memset(&nest, 0, sizeof nest);
    for (int i = 0; i <= NEST_MAX; i++)
        nest.status[i] = NOT_RETURNED;
    nest.ex = ex;
    nest.size = size;
    nest.starve = starve;
    nest.status[0] = ex ? KeExpandKernelStackAndCalloutEx(nest_callout, (PVOID)1, size, FALSE, NULL)
                        : KeExpandKernelStackAndCallout(nest_callout, (PVOID)1, size);
}

/* `limit` callouts ran; the call made inside the deepest returned STATUS_STACK_OVERFLOW. */
static void check_nest(const char *where, unsigned limit)
{
    CHECK_EQ_IN(where, nest.deepest, limit);
    for (unsigned k = 0; k < limit; k++)
        CHECK_EQ_IN(where, nest.status[k], STATUS_SUCCESS);
    CHECK_EQ_IN(where, nest.status[limit], STATUS_STACK_OVERFLOW);
    for (unsigned k = 1; k <= limit; k++)
        CHECK_EQ_IN(where, nest.depth_seen[k], k);
    CHECK_EQ_IN(where, kf_callout_depth(), 0);
    CHECK_EQ_IN(where, kf_segments_in_use(), 0);
}

TEST(nesting_default_limit_5)
{
    CHECK_EQ(kf_options_get()->nest_limit, 5);
    nest_run(1, 0x1000, 0);
    check_nest("Ex", 5);
    nest_run(0, 0x1000, 0);
    check_nest("non-Ex", 5);
}

TEST(nesting_limit_option)
{
    kft_options("nest_limit=2");
    nest_run(1, 0x1000, 0);
    check_nest("nest_limit=2", 2);
    kft_options("nest_limit=8");
    nest_run(1, 0x1000, 0);
    check_nest("nest_limit=8", 8);
    kft_options("nest_limit=1");
    nest_run(0, 0x1000, 0);
    check_nest("nest_limit=1", 1);
}

TEST(nesting_in_place_callouts_count)
{
    /* Plenty of modeled stack: every level runs in place, and still counts. */
    kf_set_large_stack(TRUE);
    nest_run(1, 0x100, 0);
    check_nest("in place", 5);
    CHECK_EQ(asked_total(), 0);
}

TEST(nesting_segment_callouts_count)
{
    /* No modeled stack left at any level: level 1 grows the stack, levels 2 to 5 each need
     * a new segment; the sixth call fails before asking for a sixth. */
    kf_set_remaining_stack(0);
    nest_run(1, 0x1000, 1);
    check_nest("segments", 5);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 1);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 4);
}

TEST(nesting_depth_released_after_return)
{
    nest_run(1, 0x1000, 0);
    check_nest("first", 5);
    nest_run(1, 0x1000, 0);
    check_nest("second", 5);
    seen_clear();
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(probe, NULL, 0x1000, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(seen.depth, 1);
}

/* ---- E-9 to E-11: the three paths --------------------------------------------------------- */

/* Runs the probe once with Wait FALSE and checks path, status and what it saw inside. */
static void check_path(const char *where, SIZE_T size, kf_expand_path path, SIZE_T remaining_inside,
                       SIZE_T stack_size_inside)
{
    ULONG_PTR low0, high0, low1, high1;
    ULONG_PTR remaining0 = IoGetRemainingStackSize();
    IoGetStackLimits(&low0, &high0);
    seen_clear();
    NTSTATUS s = KeExpandKernelStackAndCalloutEx(probe, &seen, size, FALSE, NULL);
    CHECK_EQ_IN(where, s, STATUS_SUCCESS);
    CHECK_EQ_IN(where, seen.calls, 1);
    CHECK_EQ_IN(where, kf_last_expand()->path, path);
    CHECK_EQ_IN(where, seen.remaining, remaining_inside);
    CHECK_EQ_IN(where, kf_last_expand()->modeled_remaining_in, remaining_inside);
    CHECK_EQ_IN(where, seen.high - seen.low, stack_size_inside);
    if (path == KF_PATH_SEGMENT)
        CHECK_IN(where, seen.high <= low0 || seen.low >= high0); /* a stack of its own */
    else
        CHECK_EQ_IN(where, seen.high, high0); /* the same stack */
    /* E-18 along the way: nothing of it is left after the call. */
    IoGetStackLimits(&low1, &high1);
    CHECK_EQ_IN(where, IoGetRemainingStackSize(), remaining0);
    CHECK_EQ_IN(where, low1, low0);
    CHECK_EQ_IN(where, high1, high0);
}

TEST(path_in_place)
{
    static const struct {
        const char *profile;
        SIZE_T stack, large;
    } p[] = {{"win11-amd64", 0x6000, 0x12000},
             {"win10-x86", 0x3000, 0xF000},
             {"win8-arm", 0x3000, 0xF000},
             {"win11-arm64", 0x8000, 0x12000}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        use_profile(p[i].profile);
        plan(KF_FAULT_HARD, KF_FAULT_HARD); /* in place must not need either */
        CHECK_EQ_IN(p[i].profile, IoGetRemainingStackSize(), p[i].stack);
        check_path(p[i].profile, p[i].stack, KF_PATH_IN_PLACE, p[i].stack, p[i].stack);
        kf_set_remaining_stack(0x1800);
        check_path(p[i].profile, 0x1800, KF_PATH_IN_PLACE, 0x1800, p[i].stack);
        check_path(p[i].profile, 0, KF_PATH_IN_PLACE, 0x1800, p[i].stack);
        CHECK_EQ_IN(p[i].profile, asked_total(), 0);
        plan_off();
        /* One byte more than is free: not in place any more (the stack grows). */
        check_path(p[i].profile, 0x1801, KF_PATH_GROWN, p[i].large - (p[i].stack - 0x1800), p[i].large);
        CHECK_EQ_IN(p[i].profile, asked(KF_SITE_STACK_GROW), 1);
    }
}

TEST(path_in_place_one_byte_short)
{
    kf_set_remaining_stack(0x1800);
    seen_clear();
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(probe, NULL, 0x1801, FALSE, NULL), STATUS_SUCCESS);
    CHECK(kf_last_expand()->path != KF_PATH_IN_PLACE);
    CHECK_EQ(asked_total(), 1);
}

TEST(path_grow)
{
    /* amd64: a 0x6000 stack with 0x1000 free has 0x5000 in use. */
    kf_set_remaining_stack(0x1000);
    check_path("amd64", 0x4000, KF_PATH_GROWN, 0x12000 - 0x5000, 0x12000);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 1);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 0);
    /* In use plus Size exactly KERNEL_LARGE_STACK_SIZE still grows. */
    kf_reset();
    kf_set_remaining_stack(0);
    check_path("amd64 exact", 0xC000, KF_PATH_GROWN, 0xC000, 0x12000);
    /* One byte more does not fit a large stack: a segment, without asking to grow. */
    kf_reset();
    kf_set_remaining_stack(0);
    check_path("amd64 +1", 0xC001, KF_PATH_SEGMENT, 0x11800, 0x12000);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 0);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);

    use_profile("win10-x86");
    kf_set_remaining_stack(0x800);
    check_path("x86", 0x2000, KF_PATH_GROWN, 0xF000 - 0x2800, 0xF000);
    use_profile("win11-arm64");
    kf_set_remaining_stack(0x2000);
    check_path("arm64", 0x9000, KF_PATH_GROWN, 0x12000 - 0x6000, 0x12000);
}

TEST(path_grow_not_from_large_stack)
{
    kf_set_large_stack(TRUE);
    CHECK_EQ(IoGetRemainingStackSize(), 0x12000);
    kf_set_remaining_stack(0x100);
    check_path("large", 0x1000, KF_PATH_SEGMENT, 0x11800, 0x12000);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 0);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);
}

TEST(path_segment)
{
    kf_set_remaining_stack(0x100);
    check_path("amd64", 0x11800, KF_PATH_SEGMENT, 0x11800, 0x12000);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);
    use_profile("win10-x86");
    kf_set_remaining_stack(0x100);
    check_path("x86", 0xE800, KF_PATH_SEGMENT, 0xE800, 0xF000);
    use_profile("win10-arm");
    kf_set_remaining_stack(0);
    check_path("arm", 0xD000, KF_PATH_SEGMENT, 0xE800, 0xF000);
    /* A grow that fails falls through to a segment. */
    use_profile("win11-amd64");
    kf_set_remaining_stack(0x1000);
    plan(KF_FAULT_HARD, KF_FAULT_NONE);
    check_path("grow failed", 0x4000, KF_PATH_SEGMENT, 0x11800, 0x12000);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 1);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);
    plan_off();
}

/* ---- E-12, E-13: Wait and memory ---------------------------------------------------------- */

/* One Ex call with Size 0x1000 and no modeled stack free (a grow would fit). */
static NTSTATUS starved_call(int ex, BOOLEAN wait, BOOLEAN large)
{
    kf_reset();
    if (large)
        kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0);
    seen_clear();
    return ex ? KeExpandKernelStackAndCalloutEx(probe, &seen, 0x1000, wait, NULL)
              : KeExpandKernelStackAndCallout(probe, &seen, 0x1000);
}

TEST(wait_true_waits_out_transient)
{
    plan(KF_FAULT_TRANSIENT, KF_FAULT_NONE);
    CHECK_EQ(starved_call(1, TRUE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    CHECK(kf_last_expand()->waited);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 0);
    CHECK_EQ(seen.calls, 1);
    plan(KF_FAULT_NONE, KF_FAULT_TRANSIENT);
    CHECK_EQ(starved_call(1, TRUE, TRUE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(kf_last_expand()->waited);
    CHECK_EQ(seen.calls, 1);
    plan_off();
    CHECK_EQ(starved_call(1, TRUE, TRUE), STATUS_SUCCESS);
    CHECK(!kf_last_expand()->waited);
}

TEST(wait_false_transient_fails)
{
    /* A transient grow failure falls through to a segment... */
    plan(KF_FAULT_TRANSIENT, KF_FAULT_NONE);
    CHECK_EQ(starved_call(1, FALSE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(!kf_last_expand()->waited);
    /* ...and a transient segment failure is the end. */
    plan(KF_FAULT_TRANSIENT, KF_FAULT_TRANSIENT);
    CHECK_EQ(starved_call(1, FALSE, FALSE), STATUS_NO_MEMORY);
    CHECK_EQ(seen.calls, 0);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 1);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);
    plan(KF_FAULT_NONE, KF_FAULT_TRANSIENT);
    CHECK_EQ(starved_call(1, FALSE, TRUE), STATUS_NO_MEMORY);
    CHECK_EQ(seen.calls, 0);
    plan_off();
}

TEST(wait_does_not_help_hard)
{
    plan(KF_FAULT_HARD, KF_FAULT_NONE);
    CHECK_EQ(starved_call(1, TRUE, FALSE), STATUS_SUCCESS);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK(!kf_last_expand()->waited);
    plan(KF_FAULT_NONE, KF_FAULT_HARD);
    CHECK_EQ(starved_call(1, TRUE, TRUE), STATUS_NO_MEMORY);
    CHECK_EQ(seen.calls, 0);
    plan_off();
}

TEST(no_memory_when_grow_and_segment_fail)
{
    static const kf_fault_kind kinds[2] = {KF_FAULT_HARD, KF_FAULT_TRANSIENT};
    for (int g = 0; g < 2; g++)
        for (int s = 0; s < 2; s++)
            for (int wait = 0; wait <= 1; wait++) {
                char where[64];
                snprintf(where, sizeof where, "grow %d segment %d wait %d", kinds[g], kinds[s], wait);
                plan(kinds[g], kinds[s]);
                NTSTATUS st = starved_call(1, (BOOLEAN)wait, FALSE);
                int expect_fail = !wait || (kinds[g] == KF_FAULT_HARD && kinds[s] == KF_FAULT_HARD);
                if (expect_fail) {
                    CHECK_EQ_IN(where, st, STATUS_NO_MEMORY);
                    CHECK_EQ_IN(where, seen.calls, 0);
                    CHECK_EQ_IN(where, kf_last_expand()->path, KF_PATH_NONE);
                    CHECK_EQ_IN(where, kf_last_expand()->status, STATUS_NO_MEMORY);
                } else {
                    CHECK_EQ_IN(where, st, STATUS_SUCCESS);
                    CHECK_EQ_IN(where, seen.calls, 1);
                }
            }
    plan_off();
}

TEST(no_memory_nonex)
{
    plan(KF_FAULT_HARD, KF_FAULT_HARD);
    CHECK_EQ(starved_call(0, TRUE, FALSE), STATUS_NO_MEMORY);
    CHECK_EQ(seen.calls, 0);
    CHECK_EQ(asked(KF_SITE_STACK_GROW), 1);
    CHECK_EQ(asked(KF_SITE_STACK_SEGMENT), 1);
    plan_off();
}

TEST(non_ex_waits)
{
    /* A transient shortage that an Ex call with Wait FALSE fails on... */
    plan(KF_FAULT_NONE, KF_FAULT_TRANSIENT);
    CHECK_EQ(starved_call(1, FALSE, TRUE), STATUS_NO_MEMORY);
    /* ...the non-Ex routine waits out, as the Ex routine with Wait TRUE does. */
    CHECK_EQ(starved_call(0, TRUE, TRUE), STATUS_SUCCESS);
    CHECK(kf_last_expand()->waited);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    CHECK_EQ(seen.calls, 1);
    plan(KF_FAULT_TRANSIENT, KF_FAULT_HARD);
    CHECK_EQ(starved_call(0, TRUE, FALSE), STATUS_SUCCESS);
    CHECK(kf_last_expand()->waited);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_GROWN);
    plan_off();
    /* And it takes no Context: the same call never stops on E-4. */
    CHECK_EQ(starved_call(0, TRUE, FALSE), STATUS_SUCCESS);
}

/* ---- E-14: success if and only if the callout ran ------------------------------------------ */

typedef struct scenario {
    const char *name;
    const char *options;
    int ex;
    KIRQL irql;
    SIZE_T remaining; /* (SIZE_T)-1: leave the full stack */
    SIZE_T size;
    BOOLEAN wait;
    kf_fault_kind grow, segment;
    NTSTATUS expect;
} scenario;

#define FULL ((SIZE_T)-1)
static const scenario scenarios[] = {
    {"in place", "", 1, PASSIVE_LEVEL, FULL, 0x2000, TRUE, KF_FAULT_HARD, KF_FAULT_HARD, STATUS_SUCCESS},
    {"grow", "", 1, APC_LEVEL, 0, 0x8000, FALSE, KF_FAULT_NONE, KF_FAULT_HARD, STATUS_SUCCESS},
    {"segment", "", 1, DISPATCH_LEVEL, 0, 0x11800, FALSE, KF_FAULT_HARD, KF_FAULT_NONE, STATUS_SUCCESS},
    {"waited", "", 1, APC_LEVEL, 0, 0x3000, TRUE, KF_FAULT_TRANSIENT, KF_FAULT_HARD, STATUS_SUCCESS},
    {"non-Ex", "profile=vista-x86", 0, APC_LEVEL, 0, 0xE800, TRUE, KF_FAULT_NONE, KF_FAULT_TRANSIENT,
     STATUS_SUCCESS},
    {"size", "", 1, PASSIVE_LEVEL, FULL, 0x11801, FALSE, KF_FAULT_NONE, KF_FAULT_NONE,
     STATUS_INVALID_PARAMETER_3},
    {"wait", "", 1, DISPATCH_LEVEL, FULL, 0x100, TRUE, KF_FAULT_NONE, KF_FAULT_NONE,
     STATUS_INVALID_PARAMETER_4},
    {"nesting", "nest_limit=0", 1, PASSIVE_LEVEL, FULL, 0x100, FALSE, KF_FAULT_NONE, KF_FAULT_NONE,
     STATUS_STACK_OVERFLOW},
    {"memory", "", 1, APC_LEVEL, 0, 0x1000, TRUE, KF_FAULT_HARD, KF_FAULT_HARD, STATUS_NO_MEMORY},
    {"waited non-Ex", "", 0, PASSIVE_LEVEL, 0x800, 0x2000, TRUE, KF_FAULT_TRANSIENT, KF_FAULT_HARD,
     STATUS_SUCCESS},
    {"memory Wait FALSE", "profile=win7-x86", 1, DISPATCH_LEVEL, 0, 0x1000, FALSE, KF_FAULT_TRANSIENT,
     KF_FAULT_TRANSIENT, STATUS_NO_MEMORY},
};

static NTSTATUS run_scenario(const scenario *sc)
{
    kft_options(sc->options);
    if (sc->remaining != FULL)
        kf_set_remaining_stack(sc->remaining);
    plan(sc->grow, sc->segment);
    call c = sc->ex ? ex_call(sc->size, sc->wait) : nonex_call(sc->size);
    c.irql = sc->irql;
    kf_stop st;
    CHECK_IN(sc->name, !run(&c, &st));
    plan_off();
    CHECK_EQ_IN(sc->name, c.status, sc->expect);
    return c.status;
}

TEST(success_iff_called)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scenario *sc = &scenarios[i];
        NTSTATUS s = run_scenario(sc);
        const kf_expand_record *r = kf_last_expand();
        CHECK_EQ_IN(sc->name, s == STATUS_SUCCESS, seen.calls == 1);
        CHECK_IN(sc->name, seen.calls <= 1);
        CHECK_EQ_IN(sc->name, r->callout_calls, seen.calls);
        CHECK_EQ_IN(sc->name, r->status, s);
        CHECK_EQ_IN(sc->name, r->size, sc->size);
        if (s == STATUS_SUCCESS) {
            CHECK_IN(sc->name, seen.param == (PVOID)&seen);
            CHECK_EQ_IN(sc->name, seen.irql, sc->irql);
            CHECK_EQ_IN(sc->name, r->irql_in_callout, sc->irql);
            CHECK_IN(sc->name, seen.remaining >= sc->size);
            CHECK_IN(sc->name, r->path != KF_PATH_NONE);
        }
    }
}

TEST(no_callout_on_failure)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scenario *sc = &scenarios[i];
        if (sc->expect == STATUS_SUCCESS)
            continue;
        run_scenario(sc);
        const kf_expand_record *r = kf_last_expand();
        CHECK_EQ_IN(sc->name, seen.calls, 0);
        CHECK_EQ_IN(sc->name, r->callout_calls, 0);
        CHECK_EQ_IN(sc->name, r->path, KF_PATH_NONE);
        CHECK_EQ_IN(sc->name, kf_segments_in_use(), 0);
        CHECK_EQ_IN(sc->name, kf_callout_depth(), 0);
        if (sc->expect != STATUS_NO_MEMORY)
            CHECK_EQ_IN(sc->name, asked_total(), 0);
    }
}

/* ---- E-15: the callout must return at the IRQL it was called at ---------------------------- */

static KIRQL irql_to_leave;
static VOID leave_at_irql(PVOID Parameter)
{
    (void)Parameter;
    seen.calls++;
    kf_set_irql(irql_to_leave);
}
static VOID raise_and_restore(PVOID Parameter)
{
    KIRQL old;
    (void)Parameter;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(old);
    seen.calls++;
}

TEST(irql_changed_in_callout)
{
    kf_stop st;
    static const struct {
        int ex;
        KIRQL entry, exit;
        SIZE_T remaining;
    } cases[] = {
        {1, PASSIVE_LEVEL, DISPATCH_LEVEL, FULL}, {1, APC_LEVEL, PASSIVE_LEVEL, 0},
        {1, DISPATCH_LEVEL, APC_LEVEL, 0x100},    {0, PASSIVE_LEVEL, APC_LEVEL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char where[32];
        snprintf(where, sizeof where, "case %zu", i);
        kf_reset();
        if (cases[i].remaining != FULL)
            kf_set_remaining_stack(cases[i].remaining);
        irql_to_leave = cases[i].exit;
        call c = cases[i].ex ? ex_call(0x1000, FALSE) : nonex_call(0x1000);
        c.callout = leave_at_irql;
        c.irql = cases[i].entry;
        CHECK_IN(where, run(&c, &st));
        CHECK_EQ_IN(where, seen.calls, 1);
        CHECK_EQ_IN(where, st.code, IRQL_UNEXPECTED_VALUE);
        CHECK_EQ_IN(where, st.param[0], cases[i].entry);
        CHECK_EQ_IN(where, st.param[1], cases[i].exit);
        CHECK_IN(where, !strcmp(st.routine, cases[i].ex ? EX_NAME : NONEX_NAME));
        CHECK_EQ_IN(where, KeGetCurrentIrql(), PASSIVE_LEVEL);
        CHECK_EQ_IN(where, kf_callout_depth(), 0);
        CHECK_EQ_IN(where, kf_segments_in_use(), 0);
    }
    /* Changing IRQL and restoring it before returning is fine. */
    call c = ex_call(0x1000, FALSE);
    c.callout = raise_and_restore;
    CHECK(!run(&c, &st));
    CHECK_EQ(c.status, STATUS_SUCCESS);
    CHECK_EQ(seen.calls, 1);
}

/* ---- E-16: exceptions and the callout boundary --------------------------------------------- */

static int outer_handler_ran;
static NTSTATUS caught_inside;

static VOID raise_access_violation(PVOID Parameter)
{
    (void)Parameter;
    seen.calls++;
    ExRaiseStatus(STATUS_ACCESS_VIOLATION);
}

static VOID raise_search_past(PVOID Parameter)
{
    (void)Parameter;
    seen.calls++;
    __try {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    } __except (EXCEPTION_CONTINUE_SEARCH) {
        caught_inside = GetExceptionCode(); /* never: the filter passes it on */
    }
}

/* A handler in an outer callout does not see an exception of a callout nested in it. */
static VOID nested_raiser(PVOID Parameter)
{
    (void)Parameter;
    __try {
        KeExpandKernelStackAndCalloutEx(raise_access_violation, NULL, 0x1000, FALSE, NULL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught_inside = GetExceptionCode();
    }
}

static PEXPAND_STACK_CALLOUT escaping;
static void call_with_outer_handler(void *p)
{
    NTSTATUS *status = p;
    __try {
        *status = KeExpandKernelStackAndCalloutEx(escaping, NULL, 0x2000, FALSE, NULL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer_handler_ran = 1;
    }
}

TEST(exception_escapes)
{
    static const struct {
        PEXPAND_STACK_CALLOUT fn;
        NTSTATUS code;
        SIZE_T remaining;
    } cases[] = {
        {raise_access_violation, STATUS_ACCESS_VIOLATION, FULL},
        {raise_access_violation, STATUS_ACCESS_VIOLATION, 0},
        {raise_search_past, STATUS_INSUFFICIENT_RESOURCES, 0x100},
        {nested_raiser, STATUS_ACCESS_VIOLATION, FULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char where[32];
        kf_stop st;
        NTSTATUS status = NOT_RETURNED;
        snprintf(where, sizeof where, "case %zu", i);
        kf_reset();
        if (cases[i].remaining != FULL)
            kf_set_remaining_stack(cases[i].remaining);
        seen_clear();
        outer_handler_ran = 0;
        caught_inside = 0;
        escaping = cases[i].fn;
        CHECK_IN(where, kft_stops(call_with_outer_handler, &status, &st));
        CHECK_EQ_IN(where, st.code, KMODE_EXCEPTION_NOT_HANDLED);
        CHECK_EQ_IN(where, (ULONG)st.param[0], (ULONG)cases[i].code);
        CHECK_EQ_IN(where, outer_handler_ran, 0);
        CHECK_EQ_IN(where, caught_inside, 0);
        CHECK_EQ_IN(where, status, NOT_RETURNED);
        CHECK_EQ_IN(where, seen.calls, 1);
        CHECK_EQ_IN(where, kf_callout_depth(), 0);
        CHECK_EQ_IN(where, kf_segments_in_use(), 0);
    }
}

static VOID handles_own(PVOID Parameter)
{
    NTSTATUS *code = Parameter;
    __try {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    } __except (GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES ? EXCEPTION_EXECUTE_HANDLER
                                                                     : EXCEPTION_CONTINUE_SEARCH) {
        *code = GetExceptionCode();
    }
}

static VOID nested_then_raise(PVOID Parameter)
{
    NTSTATUS *code = Parameter;
    seen_clear();
    __try {
        KeExpandKernelStackAndCalloutEx(probe, NULL, 0x100, FALSE, NULL);
        ExRaiseStatus(STATUS_NO_MEMORY);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        *code = GetExceptionCode();
    }
}

TEST(exception_handled_inside)
{
    NTSTATUS code = 0;
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(handles_own, &code, 0x2000, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(code, STATUS_INSUFFICIENT_RESOURCES);
    code = 0;
    kf_set_remaining_stack(0);
    CHECK_EQ(KeExpandKernelStackAndCallout(handles_own, &code, 0x11800), STATUS_SUCCESS);
    CHECK_EQ(code, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(kf_last_expand()->path, KF_PATH_SEGMENT);
    /* A callout's handler still catches what its own code raises after a nested call came
     * and went. */
    code = 0;
    kf_reset();
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(nested_then_raise, &code, 0x100, FALSE, NULL), STATUS_SUCCESS);
    CHECK_EQ(code, STATUS_NO_MEMORY);
    CHECK_EQ(seen.calls, 1);
    CHECK_EQ(kf_callout_depth(), 0);
}

/* ---- E-17: PsTerminateSystemThread inside a callout ---------------------------------------- */

static int after_terminate;
static VOID terminating_callout(PVOID Parameter)
{
    (void)Parameter;
    seen.calls++;
    PsTerminateSystemThread(STATUS_SUCCESS);
    after_terminate = 1;
}
static VOID nests_terminating(PVOID Parameter)
{
    (void)Parameter;
    KeExpandKernelStackAndCalloutEx(terminating_callout, NULL, 0x1000, FALSE, NULL);
    after_terminate = 1;
}

static PEXPAND_STACK_CALLOUT thread_callout;
static NTSTATUS thread_result;
static void thread_start(void *ctx)
{
    (void)ctx;
    KeExpandKernelStackAndCalloutEx(thread_callout, NULL, 0x1000, FALSE, NULL);
    after_terminate = 1;
}
static void system_thread(void *ctx) { thread_result = kf_run_system_thread(thread_start, ctx); }

TEST(terminate_in_callout)
{
    PEXPAND_STACK_CALLOUT fns[2] = {terminating_callout, nests_terminating};
    for (int i = 0; i < 2; i++) {
        kf_stop st;
        const char *where = i ? "nested" : "direct";
        kf_reset();
        kf_set_remaining_stack(i ? 0 : 0x6000);
        seen_clear();
        after_terminate = 0;
        thread_result = NOT_RETURNED;
        thread_callout = fns[i];
        CHECK_IN(where, kft_stops(system_thread, NULL, &st));
        CHECK_EQ_IN(where, st.code, KERNEL_EXPAND_STACK_ACTIVE);
        CHECK_EQ_IN(where, st.param[0], (ULONG_PTR)PsGetCurrentThread());
        CHECK_IN(where, st.param[0] != 0);
        CHECK_IN(where, !strcmp(st.routine, "PsTerminateSystemThread"));
        CHECK_EQ_IN(where, seen.calls, 1);
        CHECK_EQ_IN(where, after_terminate, 0);
        CHECK_EQ_IN(where, thread_result, NOT_RETURNED);
        CHECK_EQ_IN(where, kf_callout_depth(), 0);
        CHECK_EQ_IN(where, kf_segments_in_use(), 0);
    }
}

/* ---- E-18: the thread's stack and IRQL after the call --------------------------------------- */

typedef struct snapshot {
    ULONG_PTR remaining, low, high;
    KIRQL irql;
    unsigned depth;
} snapshot;

static snapshot snap(void)
{
    snapshot s;
    s.remaining = IoGetRemainingStackSize();
    IoGetStackLimits(&s.low, &s.high);
    s.irql = KeGetCurrentIrql();
    s.depth = kf_callout_depth();
    return s;
}

static void check_same(const char *where, snapshot a, snapshot b)
{
    CHECK_EQ_IN(where, a.remaining, b.remaining);
    CHECK_EQ_IN(where, a.low, b.low);
    CHECK_EQ_IN(where, a.high, b.high);
    CHECK_EQ_IN(where, a.irql, b.irql);
    CHECK_EQ_IN(where, a.depth, b.depth);
}

/* A callout that changes the modeled stack the way code running on it does. */
static VOID uses_stack(PVOID Parameter)
{
    (void)Parameter;
    seen.calls++;
    kf_set_remaining_stack(0);
    KeExpandKernelStackAndCalloutEx(probe, NULL, 0x400, FALSE, NULL);
}

TEST(stack_restored)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scenario *sc = &scenarios[i];
        kft_options(sc->options);
        if (sc->remaining != FULL)
            kf_set_remaining_stack(sc->remaining);
        kf_set_irql(sc->irql);
        snapshot before = snap();
        plan(sc->grow, sc->segment);
        NTSTATUS s = sc->ex ? KeExpandKernelStackAndCalloutEx(uses_stack, NULL, sc->size, sc->wait, NULL)
                            : KeExpandKernelStackAndCallout(uses_stack, NULL, sc->size);
        plan_off();
        CHECK_EQ_IN(sc->name, s, sc->expect);
        check_same(sc->name, before, snap());
        kf_set_irql(PASSIVE_LEVEL);
    }
    /* From a large stack too. */
    kf_reset();
    kf_set_large_stack(TRUE);
    kf_set_remaining_stack(0x300);
    snapshot before = snap();
    CHECK_EQ(KeExpandKernelStackAndCalloutEx(uses_stack, NULL, 0x8000, FALSE, NULL), STATUS_SUCCESS);
    check_same("large", before, snap());
}
