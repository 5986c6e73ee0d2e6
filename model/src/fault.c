/*
 * fault.c - the one door every fallible allocation of the model passes: the fault hook,
 * and the fault plans of a program that runs without the harness.
 *
 * The model asks kf_fault_consult(site) and obeys. A hook set with kf_set_fault_hook (the
 * harness's plans, a test's own) decides when there is one. Without one, the built-in plans
 * decide (SEMANTICS.md PL-1..PL-9): in a program linked with the model alone every plan of
 * KFAULT_OPTIONS acts (nth, probability with seed / times / interval, once per call path,
 * the site filter), and an option that cannot act there (plan=input, which needs a
 * scenario's decisions; a plan's parameter with another plan) is an error naming it. In a
 * program that runs the harness's plans the built-in hook keeps to fail_nth alone, as it
 * always did, because the harness's own setup consults sites before its hook is installed.
 * Must never decide from a clock, an absolute address or unseeded randomness: the call
 * path of plan=path is made of code offsets within their loaded module, the same in every
 * run of the same binary.
 */
#define _GNU_SOURCE /* dladdr */
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <fnmatch.h>
#include <stdint.h>

static const kf_site_info sites[KF_SITE_COUNT] = {
#define KF_SITE(id, name, routine, what, kind) {KF_SITE_##id, name, routine, what, KF_FAULT_##kind},
#include "kfault/fault_sites.def"
#undef KF_SITE
};

static kf_fault_hook_fn hook;
static void *hook_ctx;
static kf_fault_stats stats;

const kf_site_info *kf_site_get(kf_site site)
{
    return (unsigned)site < KF_SITE_COUNT ? &sites[site] : NULL;
}

int kf_site_lookup(const char *name)
{
    for (int i = 0; i < KF_SITE_COUNT; i++)
        if (!strcmp(sites[i].name, name))
            return i;
    return -1;
}

static kf_fault_kind kind_for(kf_site site)
{
    switch (kf_options_get()->fail_kind) {
    case KF_FAILKIND_TRANSIENT:
        return KF_FAULT_TRANSIENT;
    case KF_FAILKIND_HARD:
        return KF_FAULT_HARD;
    default:
        return sites[site].kind;
    }
}

void kf_set_fault_hook(kf_fault_hook_fn fn, void *ctx)
{
    hook = fn;
    hook_ctx = ctx;
}

/* ---- Is the harness running the plans? ------------------------------------------------------ */

/* The harness's plans live in its fault_plan.c, which a program contains exactly when it runs
 * them (every harness runner makes its plan with kfh_plan_new). A weak reference never pulls
 * that file in: the address is NULL in a program linked with the model alone. */
struct kfh_plan;
struct kfh_plan_config;
extern struct kfh_plan *kfh_plan_new(const struct kfh_plan_config *cfg) __attribute__((weak));

int kf__harness_plans_linked(void) { return kfh_plan_new != NULL; }

/* ---- The built-in plans (no hook installed, no harness) ------------------------------------- */

typedef enum { PLAN_NONE, PLAN_NTH, PLAN_PROBABILITY, PLAN_PATH } builtin_kind;

#define SEEN_SLOTS 4096 /* open addressing; when full, every path counts as seen (as the harness) */
#define PATH_FRAMES 64

static struct {
    int ready;            /* configured from the options in force */
    builtin_kind kind;
    char sites[512];      /* the site filter, '|' or ',' separated fnmatch patterns */
    unsigned long long counted, injected;
    uint64_t rng;
    uint64_t seen[SEEN_SLOTS];
    unsigned seen_n;
} B;

/* Calls fn(item, ctx) for each item of a '|' or ',' separated list until fn returns 1;
 * returns that 1, or 0. An item longer than the buffer is passed cut short, so that it
 * matches nothing (and validation names it). */
static int each_site_item(const char *list, int (*fn)(const char *item, const void *ctx), const void *ctx)
{
    char item[256];
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, "|,");
        if (n > 0) {
            size_t k = n < sizeof item - 1 ? n : sizeof item - 1;
            memcpy(item, p, k);
            item[k] = 0;
            if (fn(item, ctx))
                return 1;
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

static int item_matches(const char *item, const void *name) { return fnmatch(item, name, 0) == 0; }

static int site_passes(kf_site site)
{
    return !B.sites[0] || each_site_item(B.sites, item_matches, sites[site].name);
}

/* splitmix64 (Steele, Lea, Flood), as the harness's plan: the same seed gives the same draws. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) { return fnv_bytes(h, s, strlen(s)); }

/* The call path of a consultation: every return address on the stack, each as its module's
 * file name (without folders) and its offset in that module, then the site's name. Offsets
 * do not move with address-space randomization, so a binary gives the same keys in every run;
 * two calls of the driver from two places are two paths, as Driver Verifier's unique stacks. */
static uint64_t call_path_key(kf_site site)
{
    void *frames[PATH_FRAMES];
    int n = backtrace(frames, PATH_FRAMES);
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        Dl_info info;
        uint64_t offset = (uint64_t)(uintptr_t)frames[i];
        if (dladdr(frames[i], &info) && info.dli_fbase) {
            offset -= (uint64_t)(uintptr_t)info.dli_fbase;
            if (info.dli_fname) {
                const char *slash = strrchr(info.dli_fname, '/');
                h = fnv_str(h, slash ? slash + 1 : info.dli_fname);
            }
        }
        h = fnv_bytes(h, &offset, sizeof offset);
    }
    h = fnv_str(h, "@");
    h = fnv_str(h, sites[site].name);
    return h ? h : 1; /* 0 marks an empty slot */
}

static int path_first_seen(kf_site site)
{
    uint64_t key = call_path_key(site);
    if (B.seen_n >= SEEN_SLOTS - 1)
        return 0;
    for (unsigned i = (unsigned)(key % SEEN_SLOTS);; i = (i + 1) % SEEN_SLOTS) {
        if (B.seen[i] == key)
            return 0;
        if (B.seen[i] == 0) {
            B.seen[i] = key;
            B.seen_n++;
            return 1;
        }
    }
}

/* Back to the start of a run: kf_reset, and new options. */
static void builtin_restart(void)
{
    const kf_options *o = kf_options_get();
    B.counted = 0;
    B.injected = 0;
    B.rng = o->seed;
    if (B.seen_n)
        memset(B.seen, 0, sizeof B.seen);
    B.seen_n = 0;
}

void kf__fault_plan_apply(const kf_options *o)
{
    const char *plan = o->plan ? o->plan : "auto";
    if (!strcmp(plan, "nth") || (!strcmp(plan, "auto") && o->fail_nth))
        B.kind = PLAN_NTH;
    else if (!strcmp(plan, "probability"))
        B.kind = PLAN_PROBABILITY;
    else if (!strcmp(plan, "path"))
        B.kind = PLAN_PATH;
    else
        B.kind = PLAN_NONE;
    const char *filter = o->sites ? o->sites : "*";
    snprintf(B.sites, sizeof B.sites, "%s", strcmp(filter, "*") ? filter : "");
    B.ready = 1;
    B.counted = 0;
    B.injected = 0;
    B.rng = o->seed;
    if (B.seen_n)
        memset(B.seen, 0, sizeof B.seen);
    B.seen_n = 0;
    /* The first backtrace() loads the unwinder; do it now, on the thread's own stack, rather
     * than inside a driver's callout on a modeled stack. */
    if (B.kind == PLAN_PATH && !kf__harness_plans_linked()) {
        void *warm[4];
        (void)backtrace(warm, 4);
    }
}

static kf_fault_kind builtin_decide(kf_site site)
{
    const kf_options *o = kf_options_get();
    if (!B.ready)
        kf__fault_plan_apply(o);
    if (!site_passes(site))
        return KF_FAULT_NONE;
    B.counted++;
    int fail = 0;
    switch (B.kind) {
    case PLAN_NONE:
        break;
    case PLAN_NTH:
        fail = o->fail_nth && B.counted == o->fail_nth;
        break;
    case PLAN_PROBABILITY:
        /* Linux's should_fail(): times, then interval, then the draw. */
        if (o->times && B.injected >= o->times)
            break;
        if (o->interval > 1 && B.counted % o->interval != 0)
            break;
        fail = splitmix64(&B.rng) % 10000 < o->probability;
        break;
    case PLAN_PATH:
        fail = path_first_seen(site);
        break;
    }
    if (!fail)
        return KF_FAULT_NONE;
    B.injected++;
    return kind_for(site);
}

/* ---- Checking the plan options of a program without the harness ------------------------------ */

static int item_is_site(const char *item, const void *bad)
{
    for (int s = 0; s < KF_SITE_COUNT; s++)
        if (fnmatch(item, sites[s].name, 0) == 0)
            return 0;
    snprintf((char *)bad, 256, "%s", item);
    return 1;
}

int kf__fault_plan_check(const kf_options *o, int (*given)(const char *name, const void *ctx), const void *ctx,
                         char *err, size_t errlen)
{
    if (kf__harness_plans_linked())
        return 0; /* the harness checks its plans (harness/fault_plan.c) */
    const char *plan = o->plan ? o->plan : "auto";
    int injects;
    if (!strcmp(plan, "input")) {
        snprintf(err, errlen,
                 "option 'plan': 'input' takes the fault decisions of a scenario, which only the harness "
                 "runs (a kfault fuzz target, kfault::driver); a program linked with the model alone takes "
                 "plan=auto, none, nth, probability or path");
        return -1;
    }
    if (!strcmp(plan, "auto"))
        injects = o->fail_nth != 0;
    else if (!strcmp(plan, "none"))
        injects = 0;
    else if (!strcmp(plan, "nth") || !strcmp(plan, "probability") || !strcmp(plan, "path"))
        injects = 1;
    else {
        snprintf(err, errlen, "option 'plan': '%s' is not one of auto, none, input, nth, probability, path", plan);
        return -1;
    }
    if (!strcmp(plan, "nth") && o->fail_nth == 0) {
        snprintf(err, errlen, "option 'plan': plan=nth needs fail_nth=N with N >= 1");
        return -1;
    }
    if (o->probability > 10000) {
        snprintf(err, errlen, "option 'probability': %llu is more than 10000 (units of 1/10000)", o->probability);
        return -1;
    }
    const char *filter = o->sites ? o->sites : "*";
    if (strlen(filter) >= sizeof B.sites) {
        snprintf(err, errlen, "option 'sites': longer than %zu characters", sizeof B.sites - 1);
        return -1;
    }
    char bad[256];
    if (each_site_item(filter, item_is_site, bad)) {
        snprintf(err, errlen, "option 'sites': '%s' matches no fault site (kfault list sites)", bad);
        return -1;
    }
    /* A parameter of one plan given with another would be ignored: refuse it, naming it. */
    static const char *const probability_only[] = {"probability", "seed", "times", "interval"};
    for (size_t i = 0; i < sizeof probability_only / sizeof probability_only[0]; i++)
        if (given(probability_only[i], ctx) && strcmp(plan, "probability")) {
            snprintf(err, errlen, "option '%s' acts only with plan=probability (the plan in force is %s)",
                     probability_only[i], plan);
            return -1;
        }
    if (given("fail_nth", ctx) && strcmp(plan, "auto") && strcmp(plan, "nth")) {
        snprintf(err, errlen, "option 'fail_nth' acts only with plan=auto or plan=nth (the plan in force is %s)",
                 plan);
        return -1;
    }
    if (!injects)
        for (size_t i = 0; i < 2; i++) {
            const char *name = i ? "fail_kind" : "sites";
            if (given(name, ctx)) {
                snprintf(err, errlen,
                         "option '%s' shapes the failures of a fault plan, and none fails anything (plan=%s%s); "
                         "choose plan=nth with fail_nth=N, probability or path",
                         name, plan, strcmp(plan, "auto") ? "" : " without fail_nth");
                return -1;
            }
        }
    return 0;
}

/* ---- The door ------------------------------------------------------------------------------- */

kf_fault_kind kf_fault_consult(kf_site site)
{
    kf_fault_kind k;
    stats.consulted[site]++;
    stats.total_consulted++;
    if (hook) {
        k = hook(hook_ctx, site);
    } else if (kf__harness_plans_linked()) {
        /* The harness's setup, between its runs: fail_nth alone, counted over every site. */
        unsigned long long nth = kf_options_get()->fail_nth;
        k = (nth && stats.total_consulted == nth) ? kind_for(site) : KF_FAULT_NONE;
    } else {
        k = builtin_decide(site);
    }
    if (k != KF_FAULT_NONE) {
        stats.injected[site]++;
        stats.total_injected++;
    }
    return k;
}

const kf_fault_stats *kf_fault_get_stats(void) { return &stats; }

void kf_fault_reset_stats(void)
{
    memset(&stats, 0, sizeof stats);
    /* kf_reset starts a run: the built-in plans count, draw and remember paths afresh. */
    if (B.ready)
        builtin_restart();
}
