/*
 * fault.c - the one door every fallible allocation of the model passes: the fault hook.
 *
 * The model asks kf_fault_consult(site) and obeys. Without a harness attached, the
 * built-in hook implements KFAULT_OPTIONS=fail_nth=N (the N-th consultation of a run
 * fails, as Linux's fail-nth). This file decides nothing else.
 */
#include "internal.h"

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

kf_fault_kind kf_fault_consult(kf_site site)
{
    kf_fault_kind k;
    stats.consulted[site]++;
    stats.total_consulted++;
    if (hook) {
        k = hook(hook_ctx, site);
    } else {
        unsigned long long nth = kf_options_get()->fail_nth;
        k = (nth && stats.total_consulted == nth) ? kind_for(site) : KF_FAULT_NONE;
    }
    if (k != KF_FAULT_NONE) {
        stats.injected[site]++;
        stats.total_injected++;
    }
    return k;
}

const kf_fault_stats *kf_fault_get_stats(void) { return &stats; }

void kf_fault_reset_stats(void) { memset(&stats, 0, sizeof stats); }
