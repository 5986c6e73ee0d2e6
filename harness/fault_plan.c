/*
 * fault_plan.c - fault plans: which consultation of which fault site fails, and how.
 *
 * One decision function per plan (input, nth, probability, once per call path), a site
 * filter of names and globs, and the call path the path plan keys on. Every decision is a
 * function of the plan's configuration and the sequence of consultations: the generator is
 * splitmix64 from the seed, the call path is made of operation names, never of addresses.
 * Must never call rand(), read a clock, or look at the model's internals.
 */
#include "kfault/harness.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ---- Site filter ------------------------------------------------------------------- */

/* Calls fn for each item of a '|' or ',' separated list; stops early when fn returns 1. */
static int each_item(const char *list, int (*fn)(const char *item, void *ctx), void *ctx)
{
    char item[KFH_SITES_TEXT];
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, "|,");
        if (n > 0 && n < sizeof item) {
            memcpy(item, p, n);
            item[n] = 0;
            if (fn(item, ctx))
                return 1;
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

static int item_matches(const char *item, void *ctx)
{
    return fnmatch(item, (const char *)ctx, 0) == 0;
}

int kfh_site_matches(const char *filter, const char *site_name)
{
    if (!filter || !*filter)
        return 1;
    return each_item(filter, item_matches, (void *)site_name);
}

struct validate_ctx {
    char *err;
    size_t errlen;
    int bad;
};

static int item_validate(const char *item, void *ctx)
{
    struct validate_ctx *v = ctx;
    for (int s = 0; s < KF_SITE_COUNT; s++)
        if (fnmatch(item, kf_site_get((kf_site)s)->name, 0) == 0)
            return 0;
    snprintf(v->err, v->errlen, "site filter item '%s' matches no fault site (kfault list sites)", item);
    v->bad = 1;
    return 1;
}

int kfh_sites_validate(const char *filter, char *err, size_t errlen)
{
    struct validate_ctx v = {err, errlen, 0};
    if (strlen(filter) >= KFH_SITES_TEXT) {
        snprintf(err, errlen, "site filter longer than %d characters", KFH_SITES_TEXT - 1);
        return -1;
    }
    each_item(filter, item_validate, &v);
    return v.bad ? -1 : 0;
}

/* ---- Configuration ----------------------------------------------------------------- */

static const char *const plan_names[] = {"none", "input", "nth", "probability", "path"};

const char *kfh_plan_kind_name(kfh_plan_kind k)
{
    return (unsigned)k < sizeof plan_names / sizeof plan_names[0] ? plan_names[k] : "?";
}

int kfh_plan_config_from_options(const kf_options *o, kfh_plan_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *plan = o->plan ? o->plan : "auto";
    if (!strcmp(plan, "auto")) {
        out->kind = o->fail_nth ? KFH_PLAN_NTH : KFH_PLAN_INPUT;
    } else {
        int found = 0;
        for (size_t i = 0; i < sizeof plan_names / sizeof plan_names[0]; i++)
            if (!strcmp(plan, plan_names[i])) {
                out->kind = (kfh_plan_kind)i;
                found = 1;
            }
        if (!found) {
            snprintf(err, errlen,
                     "option 'plan': '%s' is not one of auto, none, input, nth, probability, path", plan);
            return -1;
        }
    }
    const char *sites = o->sites ? o->sites : "*";
    if (kfh_sites_validate(sites, err, errlen))
        return -1;
    snprintf(out->sites, sizeof out->sites, "%s", sites);
    out->nth = o->fail_nth;
    if (out->kind == KFH_PLAN_NTH && out->nth == 0) {
        snprintf(err, errlen, "plan=nth needs fail_nth=N with N >= 1");
        return -1;
    }
    if (o->probability > 10000) {
        snprintf(err, errlen, "option 'probability': %llu is more than 10000 (units of 1/10000)",
                 o->probability);
        return -1;
    }
    out->probability = o->probability;
    out->seed = o->seed;
    out->times = o->times;
    out->interval = o->interval;
    out->fail_kind = o->fail_kind;
    return 0;
}

/* ---- Call path ---------------------------------------------------------------------- */

#define PATH_DEPTH 64
static const char *path_frames[PATH_DEPTH];
static unsigned path_len;       /* may exceed PATH_DEPTH: deeper frames are not recorded */

void kfh_callpath_push(const char *frame)
{
    if (path_len < PATH_DEPTH)
        path_frames[path_len] = frame;
    path_len++;
}

void kfh_callpath_pop(void)
{
    if (path_len)
        path_len--;
}

void kfh_callpath_clear(void) { path_len = 0; }

const char *kfh_callpath_text(char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf[0] = 0;
    for (unsigned i = 0; i < path_len && i < PATH_DEPTH && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? "/" : "", path_frames[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return buf;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t path_key(kf_site site)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned i = 0; i < path_len && i < PATH_DEPTH; i++) {
        h = fnv_str(h, path_frames[i]);
        h = fnv_str(h, "/");
    }
    h = fnv_str(h, "@");
    h = fnv_str(h, kf_site_get(site)->name);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* ---- The plan ------------------------------------------------------------------------ */

#define QUEUE_MAX 1024
#define SEEN_SLOTS 4096 /* open addressing; when full, every path counts as seen */

struct kfh_plan {
    kfh_plan_config cfg;
    kfh_site_stats stats;
    unsigned long long counted;     /* consultations that passed the filter */
    unsigned long long injected_n;  /* for times */
    uint64_t rng;
    kf_fault_kind queue[QUEUE_MAX];
    unsigned queue_head, queue_len;
    uint64_t seen[SEEN_SLOTS];
    unsigned seen_n;
};

/* One freed plan is kept for the next kfh_plan_new: the runner makes a plan per run, and a
 * fresh zeroed allocation of this size each time (new pages, under AddressSanitizer's
 * quarantine) cost more than many a run's own work. kfh_plan_reset leaves a kept plan
 * exactly as calloc would for every field a run reads. */
static kfh_plan *spare_plan;

kfh_plan *kfh_plan_new(const kfh_plan_config *cfg)
{
    kfh_plan *p = spare_plan;
    if (p)
        spare_plan = NULL;
    else if (!(p = calloc(1, sizeof *p)))
        return NULL;
    p->cfg = *cfg;
    kfh_plan_reset(p);
    return p;
}

void kfh_plan_free(kfh_plan *p)
{
    if (p && !spare_plan)
        spare_plan = p;
    else
        free(p);
}

__attribute__((destructor)) static void free_spare_plan(void)
{
    free(spare_plan);
    spare_plan = NULL;
}

void kfh_plan_reset(kfh_plan *p)
{
    memset(&p->stats, 0, sizeof p->stats);
    p->counted = 0;
    p->injected_n = 0;
    p->rng = p->cfg.seed;
    p->queue_head = p->queue_len = 0;
    /* Slots are only ever filled with seen_n counting them: none counted, none to clear. */
    if (p->seen_n)
        memset(p->seen, 0, sizeof p->seen);
    p->seen_n = 0;
}

void kfh_plan_push_decision(kfh_plan *p, kf_fault_kind k)
{
    if (p->queue_len < QUEUE_MAX)
        p->queue[(p->queue_head + p->queue_len++) % QUEUE_MAX] = k;
}

/* splitmix64 (Steele, Lea, Flood): a full-period generator from any 64-bit seed. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static kf_fault_kind fail_kind(const kfh_plan *p, kf_site site)
{
    switch (p->cfg.fail_kind) {
    case KF_FAILKIND_TRANSIENT:
        return KF_FAULT_TRANSIENT;
    case KF_FAILKIND_HARD:
        return KF_FAULT_HARD;
    default:
        return kf_site_get(site)->kind;
    }
}

/* Returns 1 when the path is new (and remembers it). */
static int path_first_seen(kfh_plan *p, kf_site site)
{
    uint64_t key = path_key(site);
    if (p->seen_n >= SEEN_SLOTS - 1)
        return 0;
    for (unsigned i = (unsigned)(key % SEEN_SLOTS);; i = (i + 1) % SEEN_SLOTS) {
        if (p->seen[i] == key)
            return 0;
        if (p->seen[i] == 0) {
            p->seen[i] = key;
            p->seen_n++;
            return 1;
        }
    }
}

kf_fault_kind kfh_plan_decide(kfh_plan *p, kf_site site)
{
    kf_fault_kind k = KF_FAULT_NONE;
    if ((unsigned)site >= KF_SITE_COUNT)
        return KF_FAULT_NONE;
    p->stats.consulted[site]++;
    p->stats.total_consulted++;
    if (!kfh_site_matches(p->cfg.sites, kf_site_get(site)->name))
        return KF_FAULT_NONE;
    p->counted++;
    switch (p->cfg.kind) {
    case KFH_PLAN_NONE:
        break;
    case KFH_PLAN_INPUT:
        if (p->queue_len) {
            k = p->queue[p->queue_head];
            p->queue_head = (p->queue_head + 1) % QUEUE_MAX;
            p->queue_len--;
        }
        break;
    case KFH_PLAN_NTH:
        if (p->cfg.nth && p->counted == p->cfg.nth)
            k = fail_kind(p, site);
        break;
    case KFH_PLAN_PROBABILITY:
        /* Linux's should_fail(): times, then interval, then the probability draw. */
        if (p->cfg.times && p->injected_n >= p->cfg.times)
            break;
        if (p->cfg.interval > 1 && p->counted % p->cfg.interval != 0)
            break;
        if (splitmix64(&p->rng) % 10000 < p->cfg.probability)
            k = fail_kind(p, site);
        break;
    case KFH_PLAN_PATH:
        if (path_first_seen(p, site))
            k = fail_kind(p, site);
        break;
    }
    if (k != KF_FAULT_NONE) {
        p->stats.injected[site]++;
        p->stats.total_injected++;
        p->injected_n++;
    }
    return k;
}

static kf_fault_kind plan_hook(void *ctx, kf_site site) { return kfh_plan_decide(ctx, site); }

void kfh_plan_install(kfh_plan *p)
{
    if (p)
        kf_set_fault_hook(plan_hook, p);
    else
        kf_set_fault_hook(NULL, NULL);
}

int kfh_plan_injected_any(const kfh_plan *p) { return p->stats.total_injected != 0; }

const kfh_site_stats *kfh_plan_stats(const kfh_plan *p) { return &p->stats; }
