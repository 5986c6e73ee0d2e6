/*
 * test_harness_flt_oracle.c - the oracle's prediction for every Filter Manager rule (F-2 to
 * F-21 of model/SEMANTICS.md) from made-up inputs, and the checks: each new invariant fires,
 * with its own id, on a fabricated wrong outcome, and stays quiet on the predicted one.
 *
 * Never runs the model: these are the harness's expectations, tested on their own, so that a
 * wrong prediction cannot hide behind a model that happens to agree with it.
 */
#include "test_harness_util.h"

#include "kfault/flt_model.h"

static kf_profile profile(const char *name)
{
    kf_profile p;
    char err[128];
    CHECK_EQ(kf_profile_parse(name, &p, err, sizeof err), 0);
    return p;
}

static kfh_flt_alloc_in alloc_in(int ex, ULONG flags)
{
    kfh_flt_alloc_in in;
    memset(&in, 0, sizeof in);
    in.profile = profile("win10-amd64");
    in.ex = ex;
    in.flags = flags;
    return in;
}

static void decide(kf_site *ds, kf_fault_kind *dk, int *n, kf_site s, kf_fault_kind k)
{
    ds[*n] = s;
    dk[(*n)++] = k;
}

static int is_irql_stop(const kfh_stop_pred *s, KIRQL max, KIRQL cur)
{
    return s->stops && s->code == IRQL_NOT_LESS_OR_EQUAL && s->n_params == 2 && s->param[0] == max &&
           s->param[1] == cur;
}

static int is_violation(const kfh_stop_pred *s, kf_violation v)
{
    return s->stops && s->code == DRIVER_VERIFIER_DETECTED_VIOLATION && s->param[0] == (ULONG_PTR)v;
}

/* ---- Registration: F-2, F-3, F-4 ------------------------------------------------------------ */

TEST(flt_start_predictions)
{
    kfh_flt_start_pred p;
    kf_fault_kind k[5] = {KF_FAULT_NONE, KF_FAULT_NONE, KF_FAULT_HARD, KF_FAULT_TRANSIENT, KF_FAULT_NONE};
    kfh_oracle_flt_start(DISPATCH_LEVEL, 2, k, 0, &p);
    CHECK(is_irql_stop(&p.stop, APC_LEVEL, DISPATCH_LEVEL));
    kfh_oracle_flt_start(APC_LEVEL, 4, k, 5, &p);
    CHECK(!p.stop.stops);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.n_sites, 5);
    CHECK_EQ(p.sites[0], KF_SITE_FLT_FILTER);
    CHECK_EQ(p.sites[4], KF_SITE_FLT_INSTANCE);
    /* Volumes 1 and 2 failed (a transient answer fails too); 0 and 3 got instances. */
    CHECK_EQ(p.instances, 0x9);
    k[0] = KF_FAULT_TRANSIENT;
    kfh_oracle_flt_start(PASSIVE_LEVEL, 4, k, 5, &p);
    CHECK_EQ(p.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.n_sites, 1);
    CHECK_EQ(p.instances, 0);
}

/* ---- Allocation: F-8 to F-13 ------------------------------------------------------------------- */

TEST(flt_alloc_order_of_checks)
{
    kfh_flt_alloc_pred p;
    kfh_flt_alloc_in in = alloc_in(1, 0x2);
    in.profile = profile("vista-amd64");
    in.irql = DISPATCH_LEVEL;
    in.instance_null = 1;
    kfh_oracle_flt_alloc(&in, &p); /* F-8 availability first */
    CHECK(is_violation(&p.stop, KF_VIOL_ROUTINE_UNAVAILABLE));
    in.ex = 0; /* the routine without Ex exists on Vista: IRQL next (F-9) */
    kfh_oracle_flt_alloc(&in, &p);
    CHECK(is_irql_stop(&p.stop, APC_LEVEL, DISPATCH_LEVEL));
    in.irql = APC_LEVEL; /* then Instance (F-10) */
    kfh_oracle_flt_alloc(&in, &p);
    CHECK(is_violation(&p.stop, KF_VIOL_FLT_NULL_INSTANCE));
    in.instance_null = 0;
    kfh_oracle_flt_alloc(&in, &p); /* the plain routine has no Flags to check */
    CHECK(!p.stop.stops);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    in = alloc_in(1, 0x80000001);
    in.teardown = 1;
    kfh_oracle_flt_alloc(&in, &p); /* Flags before the teardown, with the Flags as Parameter2 */
    CHECK(is_violation(&p.stop, KF_VIOL_FLT_UNKNOWN_FLAGS));
    CHECK_EQ(p.stop.n_params, 2);
    CHECK_EQ(p.stop.param[1], 0x80000001);
}

TEST(flt_alloc_statuses_and_sites)
{
    kfh_flt_alloc_pred p;
    kfh_flt_alloc_in in = alloc_in(1, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
    in.teardown = 1; /* F-13: a status, and no site asked */
    kfh_oracle_flt_alloc(&in, &p);
    CHECK(!p.stop.stops);
    CHECK_EQ(p.status, STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(p.n_sites, 0);
    in.teardown = 0;
    kfh_oracle_flt_alloc(&in, &p); /* granted: both sites, core first */
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.n_sites, 2);
    CHECK_EQ(p.sites[0], KF_SITE_FLT_CALLBACK_DATA);
    CHECK_EQ(p.sites[1], KF_SITE_FLT_PREALLOCATE);
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_CALLBACK_DATA, KF_FAULT_TRANSIENT);
    kfh_oracle_flt_alloc(&in, &p); /* F-11: the core structure fails, prealloc never asked */
    CHECK_EQ(p.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.n_sites, 1);
    in.n_decisions = 0;
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_CALLBACK_DATA, KF_FAULT_NONE);
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_PREALLOCATE, KF_FAULT_HARD);
    kfh_oracle_flt_alloc(&in, &p);
    CHECK_EQ(p.status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.n_sites, 2);
    in.flags = 0; /* without the flag the preallocation is no concern */
    kfh_oracle_flt_alloc(&in, &p);
    CHECK_EQ(p.status, STATUS_SUCCESS);
    CHECK_EQ(p.n_sites, 1);
}

/* ---- I/O: F-9, F-16 to F-21 ------------------------------------------------------------------ */

static kfh_flt_io_in io(int async, UCHAR major, ULONG length)
{
    kfh_flt_io_in in;
    memset(&in, 0, sizeof in);
    in.async = async;
    in.major = major;
    in.length = length;
    return in;
}

TEST(flt_sync_predictions)
{
    kfh_flt_io_pred p;
    kfh_flt_io_in in = io(0, IRP_MJ_READ, 0x200);
    in.irql = APC_LEVEL; /* not paging I/O: PASSIVE_LEVEL only */
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_irql_stop(&p.stop, PASSIVE_LEVEL, APC_LEVEL));
    in.irql = DISPATCH_LEVEL; /* above APC_LEVEL the bound named is APC_LEVEL, paging or not */
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_irql_stop(&p.stop, APC_LEVEL, DISPATCH_LEVEL));
    in.irql = APC_LEVEL;
    in.irp_flags = IRP_PAGING_IO | IRP_NOCACHE;
    kfh_oracle_flt_io(&in, &p);
    CHECK(!p.stop.stops);
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_irql_stop(&p.stop, APC_LEVEL, DISPATCH_LEVEL));
    in.irql = PASSIVE_LEVEL;
    in.in_flight = 1;
    in.major = 0x40;
    kfh_oracle_flt_io(&in, &p); /* in flight before the major function */
    CHECK(is_violation(&p.stop, KF_VIOL_FLT_IO_IN_FLIGHT));
    in.in_flight = 0;
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_violation(&p.stop, KF_VIOL_FLT_INVALID_MAJOR_FUNCTION));
    in.major = IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION;
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_violation(&p.stop, KF_VIOL_FLT_INVALID_MAJOR_FUNCTION));
    /* Defaults (F-18): a read returns its Length, other operations 0. */
    in = io(0, IRP_MJ_READ, 0x200);
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.n_sites, 2);
    CHECK_EQ(p.sites[0], KF_SITE_FLT_ON_DEMAND);
    CHECK_EQ(p.sites[1], KF_SITE_FLT_LOWER);
    CHECK_EQ(p.io_status, STATUS_SUCCESS);
    CHECK_EQ(p.io_info, 0x200);
    in.major = IRP_MJ_DIRECTORY_CONTROL;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.io_info, 0);
    /* The answer chosen for the lower layers. */
    in.lower_set = 1;
    in.lower_status = STATUS_NO_MORE_FILES;
    in.lower_info = 7;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.io_status, STATUS_NO_MORE_FILES);
    CHECK_EQ(p.io_info, 7);
    /* F-17: on-demand memory failed: never reaches the lower layers. */
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_ON_DEMAND, KF_FAULT_HARD);
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.io_status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.io_info, 0);
    CHECK_EQ(p.n_sites, 1);
    /* F-18: the lower layers failed: their failure wins over the chosen answer. */
    in.n_decisions = 0;
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_ON_DEMAND, KF_FAULT_NONE);
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_LOWER, KF_FAULT_HARD);
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.io_status, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.n_sites, 2);
}

TEST(flt_prealloc_promise_predicted)
{
    kfh_flt_io_pred p;
    for (int async = 0; async < 2; async++)
        for (int deferred = 0; deferred < 2; deferred++) {
            kfh_flt_io_in in = io(async, IRP_MJ_WRITE, 4);
            in.prealloc = 1;
            in.deferred = deferred;
            kfh_oracle_flt_io(&in, &p);
            for (int i = 0; i < p.n_sites; i++)
                CHECK(p.sites[i] != KF_SITE_FLT_ON_DEMAND);
        }
    kfh_flt_io_in in = io(0, IRP_MJ_WRITE, 4);
    in.prealloc = 1;
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_LOWER, KF_FAULT_HARD);
    kfh_oracle_flt_io(&in, &p); /* still fails below */
    CHECK_EQ(p.n_sites, 1);
    CHECK_EQ(p.io_status, STATUS_INSUFFICIENT_RESOURCES);
}

TEST(flt_async_predictions)
{
    kfh_flt_io_pred p;
    kfh_flt_io_in in = io(1, IRP_MJ_READ, 0x40);
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK(is_irql_stop(&p.stop, APC_LEVEL, DISPATCH_LEVEL));
    in.irp_flags = IRP_PAGING_IO; /* the asynchronous routine's bound does not depend on it */
    in.irql = APC_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK(!p.stop.stops);
    /* Inline: completed, called once at the chosen IRQL, not below the caller's. */
    in.completion_irql = DISPATCH_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.ret, STATUS_SUCCESS);
    CHECK_EQ(p.callbacks, 1);
    CHECK_EQ(p.callback_irql, DISPATCH_LEVEL);
    CHECK_EQ(p.io_info, 0x40);
    in.completion_irql = PASSIVE_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.callback_irql, APC_LEVEL);
    /* Deferred: pending, nothing called, the lower layers not asked yet. */
    in.deferred = 1;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.ret, STATUS_PENDING);
    CHECK_EQ(p.io_status, STATUS_PENDING);
    CHECK_EQ(p.callbacks, 0);
    CHECK(p.pending);
    CHECK_EQ(p.n_sites, 1);
    /* F-19: a create is refused, the callback runs at once at the caller's IRQL, no site. */
    in.major = IRP_MJ_CREATE;
    in.completion_irql = DISPATCH_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.ret, STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
    CHECK_EQ(p.io_status, STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST);
    CHECK_EQ(p.callbacks, 1);
    CHECK_EQ(p.callback_irql, APC_LEVEL);
    CHECK_EQ(p.n_sites, 0);
    CHECK(!p.pending);
    /* F-19: on-demand failure, even in deferred mode: called back before returning. */
    in.major = IRP_MJ_READ;
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_ON_DEMAND, KF_FAULT_HARD);
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.ret, STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(p.callbacks, 1);
    CHECK_EQ(p.callback_irql, APC_LEVEL);
    CHECK(!p.pending);
    /* F-20: the deferred completion asks the lower layers, then calls back once. */
    in = io(1, IRP_MJ_WRITE, 9);
    in.completion = 1;
    in.completion_irql = APC_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    CHECK_EQ(p.n_sites, 1);
    CHECK_EQ(p.sites[0], KF_SITE_FLT_LOWER);
    CHECK_EQ(p.callbacks, 1);
    CHECK_EQ(p.callback_irql, APC_LEVEL);
    CHECK_EQ(p.io_info, 9);
}

/* ---- Reuse, free, unregister: F-6, F-14, F-15, F-21 --------------------------------------------- */

TEST(flt_reuse_and_free_predictions)
{
    kfh_stop_pred s;
    kfh_oracle_flt_reuse(DISPATCH_LEVEL, KFH_CBD_FOREIGN, 1, 0, &s);
    CHECK(is_irql_stop(&s, APC_LEVEL, DISPATCH_LEVEL));
    kfh_oracle_flt_reuse(APC_LEVEL, KFH_CBD_FOREIGN, 1, 0, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
    kfh_oracle_flt_reuse(APC_LEVEL, KFH_CBD_FREED, 1, 0, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_USE_AFTER_FREE));
    kfh_oracle_flt_reuse(APC_LEVEL, KFH_CBD_LIVE, 1, 1, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_IO_IN_FLIGHT));
    kfh_oracle_flt_reuse(APC_LEVEL, KFH_CBD_LIVE, 0, 0, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_REUSE_BEFORE_PERFORM));
    kfh_oracle_flt_reuse(APC_LEVEL, KFH_CBD_LIVE, 0, 1, &s);
    CHECK(!s.stops);

    kfh_oracle_flt_free(DISPATCH_LEVEL, KFH_CBD_LIVE, 0, 1, &s); /* free is allowed at DISPATCH_LEVEL */
    CHECK(!s.stops);
    kfh_oracle_flt_free(DISPATCH_LEVEL + 1, KFH_CBD_FREED, 0, 1, &s);
    CHECK(is_irql_stop(&s, DISPATCH_LEVEL, DISPATCH_LEVEL + 1));
    kfh_oracle_flt_free(PASSIVE_LEVEL, KFH_CBD_FREED, 0, 5, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_DOUBLE_FREE));
    CHECK_EQ(s.n_params, 2);
    CHECK_EQ(s.param[1], 5);
    kfh_oracle_flt_free(PASSIVE_LEVEL, KFH_CBD_FOREIGN, 0, 0, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_FOREIGN_CALLBACK_DATA));
    kfh_oracle_flt_free(PASSIVE_LEVEL, KFH_CBD_LIVE, 1, 2, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_IO_IN_FLIGHT));
}

TEST(flt_unregister_predictions)
{
    kfh_stop_pred s;
    kfh_flt_held held[3] = {{1, 0, KFH_THEN_NOTHING}, {2, 1, KFH_THEN_NOTHING}, {2, 0, KFH_THEN_NOTHING}};
    kfh_oracle_flt_unregister(DISPATCH_LEVEL, held, 0, 3, PASSIVE_LEVEL, &s);
    CHECK(is_irql_stop(&s, APC_LEVEL, DISPATCH_LEVEL));
    kfh_oracle_flt_unregister(PASSIVE_LEVEL, held, 0, 3, PASSIVE_LEVEL, &s);
    CHECK(!s.stops);
    /* The first volume in order with callback data left: how many, which volume. */
    kfh_oracle_flt_unregister(PASSIVE_LEVEL, held + 1, 2, 3, PASSIVE_LEVEL, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
    CHECK_EQ(s.n_params, 3);
    CHECK_EQ(s.param[1], 2);
    CHECK_EQ(s.param[2], 2);
    kfh_oracle_flt_unregister(PASSIVE_LEVEL, held, 3, 3, PASSIVE_LEVEL, &s);
    CHECK_EQ(s.param[1], 1);
    CHECK_EQ(s.param[2], 1);
    /* Pending I/O completes first: a completion that frees leaves nothing behind ... */
    kfh_flt_held pend[1] = {{0, 1, KFH_THEN_FREE}};
    kfh_oracle_flt_unregister(APC_LEVEL, pend, 1, 1, DISPATCH_LEVEL, &s);
    CHECK(!s.stops);
    /* ... one that reuses at DISPATCH_LEVEL bug checks (F-21), before any leak is counted. */
    pend[0].then = KFH_THEN_REUSE;
    kfh_oracle_flt_unregister(PASSIVE_LEVEL, pend, 1, 1, DISPATCH_LEVEL, &s);
    CHECK(is_irql_stop(&s, APC_LEVEL, DISPATCH_LEVEL));
    kfh_oracle_flt_unregister(PASSIVE_LEVEL, pend, 1, 1, APC_LEVEL, &s);
    CHECK(is_violation(&s, KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER));
}

/* ---- The checks: each invariant fires on a fabricated wrong outcome --------------------------- */

static int fired(const kfh_finding *f, int n, int inv)
{
    for (int i = 0; i < n; i++)
        if (f[i].inv == inv) {
            char want[16];
            snprintf(want, sizeof want, "KF-INV-%03d/", inv);
            return strncmp(f[i].signature, want, strlen(want)) == 0;
        }
    return 0;
}

TEST(flt_check_alloc_fires)
{
    kfh_flt_alloc_in in = alloc_in(1, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY);
    kfh_flt_alloc_pred p;
    kfh_oracle_flt_alloc(&in, &p);
    kfh_flt_alloc_obs good = {STATUS_SUCCESS, 0, 1, 1, 2, {KF_SITE_FLT_CALLBACK_DATA, KF_SITE_FLT_PREALLOCATE}};
    kfh_finding f[8];
    CHECK_EQ(kfh_check_flt_alloc(&in, &p, &good, f, 8), 0);
    kfh_flt_alloc_obs o = good;
    o.status = STATUS_INSUFFICIENT_RESOURCES;
    o.ret_null = 1;
    CHECK(fired(f, kfh_check_flt_alloc(&in, &p, &o, f, 8), KFH_INV_FLT_STATUS));
    o = good;
    o.ret_null = 1;
    CHECK(fired(f, kfh_check_flt_alloc(&in, &p, &o, f, 8), KFH_INV_FLT_RET_NULL));
    o = good;
    o.targets_ok = 0;
    CHECK(fired(f, kfh_check_flt_alloc(&in, &p, &o, f, 8), KFH_INV_FLT_REUSE_TARGETS));
    o = good;
    o.fields_ok = 0;
    CHECK(fired(f, kfh_check_flt_alloc(&in, &p, &o, f, 8), KFH_INV_FLT_INITIAL_STATE));
    o = good;
    o.n_sites = 1; /* the preallocation was never asked */
    CHECK(fired(f, kfh_check_flt_alloc(&in, &p, &o, f, 8), KFH_INV_FLT_SITES));
    /* A failure that leaves a pointer behind. */
    decide(in.dsite, in.dkind, &in.n_decisions, KF_SITE_FLT_CALLBACK_DATA, KF_FAULT_HARD);
    kfh_oracle_flt_alloc(&in, &p);
    o = good;
    o.status = STATUS_INSUFFICIENT_RESOURCES;
    o.n_sites = 1;
    o.ret_null = 0;
    int n = kfh_check_flt_alloc(&in, &p, &o, f, 8);
    CHECK_EQ(n, 1);
    CHECK(fired(f, n, KFH_INV_FLT_RET_NULL));
}

TEST(flt_check_io_fires)
{
    kfh_finding f[8];
    kfh_flt_io_pred p;
    kfh_flt_io_in in = io(0, IRP_MJ_READ, 16);
    in.prealloc = 1;
    kfh_oracle_flt_io(&in, &p);
    kfh_flt_io_obs good;
    memset(&good, 0, sizeof good);
    good.io_status = STATUS_SUCCESS;
    good.io_info = 16;
    good.n_sites = 1;
    good.sites[0] = KF_SITE_FLT_LOWER;
    CHECK_EQ(kfh_check_flt_io(&in, &p, &good, f, 8), 0);
    kfh_flt_io_obs o = good;
    o.n_sites = 2;
    o.sites[0] = KF_SITE_FLT_ON_DEMAND;
    o.sites[1] = KF_SITE_FLT_LOWER;
    int n = kfh_check_flt_io(&in, &p, &o, f, 8);
    CHECK(fired(f, n, KFH_INV_FLT_PREALLOC_PROMISE));
    CHECK(!fired(f, n, KFH_INV_FLT_SITES)); /* the promise, not the generic order, is reported */
    o = good;
    o.n_sites = 0;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_SITES));
    o = good;
    o.io_info = 15;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_IO_STATUS));
    o = good;
    o.io_status = STATUS_END_OF_FILE;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_IO_STATUS));

    /* Asynchronous, inline at DISPATCH_LEVEL. */
    in = io(1, IRP_MJ_READ, 16);
    in.completion_irql = DISPATCH_LEVEL;
    kfh_oracle_flt_io(&in, &p);
    good.ret = STATUS_SUCCESS;
    good.callbacks = 1;
    good.callback_irql = DISPATCH_LEVEL;
    good.n_sites = 2;
    good.sites[0] = KF_SITE_FLT_ON_DEMAND;
    good.sites[1] = KF_SITE_FLT_LOWER;
    CHECK_EQ(kfh_check_flt_io(&in, &p, &good, f, 8), 0);
    o = good;
    o.ret = STATUS_PENDING;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_STATUS));
    o = good;
    o.callbacks = 2;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_ASYNC_ONCE));
    o = good;
    o.callbacks = 0;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_ASYNC_ONCE));
    o = good;
    o.callback_irql = PASSIVE_LEVEL;
    CHECK(fired(f, kfh_check_flt_io(&in, &p, &o, f, 8), KFH_INV_FLT_COMPLETION_IRQL));
    /* Exactly once over a deferred I/O's life. */
    CHECK_EQ(kfh_check_flt_completions(1, f), 0);
    CHECK(fired(f, kfh_check_flt_completions(0, f), KFH_INV_FLT_ASYNC_ONCE));
    CHECK(fired(f, kfh_check_flt_completions(2, f), KFH_INV_FLT_ASYNC_ONCE));
}

TEST(flt_check_reuse_fires)
{
    kfh_finding f[2];
    CHECK_EQ(kfh_check_flt_reuse(1, 1, f, 2), 0);
    CHECK(fired(f, kfh_check_flt_reuse(0, 1, f, 2), KFH_INV_FLT_REUSE_TARGETS));
    CHECK(fired(f, kfh_check_flt_reuse(1, 0, f, 2), KFH_INV_FLT_INITIAL_STATE));
}

TEST(flt_check_reuse_thread_fires)
{
    /* F-15 reinitializes as F-12: Thread is the reusing thread, whatever it was before. */
    static int me, other;
    kfh_finding f[1];
    CHECK_EQ(kfh_check_flt_reuse_thread(&me, &me, f), 0);
    CHECK(fired(f, kfh_check_flt_reuse_thread(NULL, &me, f), KFH_INV_FLT_INITIAL_STATE));
    CHECK(strstr(f[0].expected, "PsGetCurrentThread") != NULL);
    CHECK(fired(f, kfh_check_flt_reuse_thread(&other, &me, f), KFH_INV_FLT_INITIAL_STATE));
}

TEST(flt_invariants_in_table)
{
    static const int ids[] = {KFH_INV_FLT_STATUS,         KFH_INV_FLT_RET_NULL,     KFH_INV_FLT_INITIAL_STATE,
                              KFH_INV_FLT_REUSE_TARGETS,  KFH_INV_FLT_PREALLOC_PROMISE, KFH_INV_FLT_ASYNC_ONCE,
                              KFH_INV_FLT_IO_STATUS,      KFH_INV_FLT_SITES,        KFH_INV_FLT_COMPLETION_IRQL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const kfh_inv_info *inv = kfh_inv_get(ids[i]);
        CHECK(inv != NULL && strncmp(inv->source, "F-", 2) == 0);
    }
}
