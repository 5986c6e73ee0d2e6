/*
 * flt_filter.c - minifilter registration and instances: FltRegisterFilter, FltStartFiltering,
 * FltUnregisterFilter, the modeled volumes, and the harness controls around them (unload,
 * instance teardown marks).
 *
 * Instances reach a driver the way Filter Manager delivers them: through its setup callback,
 * one per modeled volume. Never call a driver callback the real Filter Manager would not call
 * at that point (no InstanceQueryTeardown and no FilterUnloadCallback from
 * FltUnregisterFilter). Every rule here is in model/SEMANTICS.md, "Filter Manager".
 */
#include "flt_internal.h"

#include <stddef.h>
#include <stdlib.h>

static struct _FLT_VOLUME volumes[KF_FLT_MAX_VOLUMES];
static unsigned n_volumes = 1;
static struct _FLT_FILTER *filters;

/* The filter kf_flt_unload is unloading, and how (for the teardown reason). */
static struct _FLT_FILTER *unloading;
static FLT_FILTER_UNLOAD_FLAGS unloading_flags;

static void volumes_default(void)
{
    for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++) {
        volumes[i].index = i;
        volumes[i].config.device_type = FILE_DEVICE_DISK_FILE_SYSTEM;
        volumes[i].config.filesystem_type = FLT_FSTYPE_NTFS;
    }
    n_volumes = 1;
}

__attribute__((constructor)) static void volumes_init(void) { volumes_default(); }

void kf__flt_require_irql(const char *routine, KIRQL max)
{
    KIRQL now = KeGetCurrentIrql();
    if (now > max)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, max, now, 0, 0,
                    "called at IRQL %u; this routine requires IRQL <= %u", now, max);
}

static struct _FLT_FILTER *find_filter(PFLT_FILTER p)
{
    for (struct _FLT_FILTER *f = filters; f; f = f->next)
        if (f == p)
            return f;
    return NULL;
}

struct _FLT_FILTER *kf__flt_find_filter(PFLT_FILTER p) { return find_filter(p); }

struct _FLT_INSTANCE *kf__flt_find_instance(PFLT_INSTANCE p)
{
    if (!p)
        return NULL;
    for (struct _FLT_FILTER *f = filters; f; f = f->next)
        for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++)
            if (f->instances[i] && f->instances[i] == p)
                return f->instances[i];
    return NULL;
}

static struct _FLT_FILTER *require_filter(const char *routine, PFLT_FILTER p)
{
    struct _FLT_FILTER *f = find_filter(p);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0,
                          "%s: Filter %s is not a registered filter (never returned by FltRegisterFilter, "
                          "or already unregistered)",
                          routine, p ? "(non-NULL)" : "NULL");
    return f;
}

/* Builds the related objects Filter Manager passes to instance callbacks. */
#define RELATED_OBJECTS(name, inst)                                                              \
    FLT_RELATED_OBJECTS name = {sizeof(FLT_RELATED_OBJECTS), 0, (inst)->filter, (inst)->volume, \
                                (inst), NULL, NULL}

/* ---- Volumes --------------------------------------------------------------------------- */

int kf_flt_set_volumes(unsigned count, const kf_flt_volume *configs)
{
    if (count > KF_FLT_MAX_VOLUMES)
        return -1;
    volumes_default();
    n_volumes = count;
    for (unsigned i = 0; configs && i < count; i++)
        volumes[i].config = configs[i];
    return 0;
}

unsigned kf_flt_volume_count(void) { return n_volumes; }

/* ---- FltRegisterFilter ----------------------------------------------------------------- */

NTSTATUS FLTAPI FltRegisterFilter(PDRIVER_OBJECT Driver, CONST FLT_REGISTRATION *Registration,
                                  PFLT_FILTER *RetFilter)
{
    static const char routine[] = "FltRegisterFilter";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!RetFilter || !Registration || !Driver)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "FltRegisterFilter: %s is NULL",
                          !RetFilter ? "RetFilter" : !Registration ? "Registration" : "Driver");
    *RetFilter = NULL;
    if (Registration->Version < FLT_REGISTRATION_VERSION_0200 ||
        Registration->Version > FLT_REGISTRATION_VERSION_0203)
        return STATUS_INVALID_PARAMETER;
    if (kf_fault_consult(KF_SITE_FLT_FILTER) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    struct _FLT_FILTER *f = calloc(1, sizeof *f);
    if (!f)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* Contexts (SEMANTICS.md FC-1): a bad context registration refuses the filter. */
    NTSTATUS cst = kf__flt_context_register(f, Registration->Size > offsetof(FLT_REGISTRATION, ContextRegistration)
                                                   ? Registration->ContextRegistration
                                                   : NULL);
    if (!NT_SUCCESS(cst)) {
        free(f);
        return cst;
    }
    /* Registrations built against an older WDK are shorter: their missing tail stays NULL. */
    size_t n = Registration->Size < sizeof f->reg ? Registration->Size : sizeof f->reg;
    memcpy(&f->reg, Registration, n);
    f->reg.Size = (USHORT)n;
    f->driver = Driver;
    struct _FLT_FILTER **tail = &filters;
    while (*tail)
        tail = &(*tail)->next;
    *tail = f;
    *RetFilter = f;
    return STATUS_SUCCESS;
}

/* ---- Instance setup (FltStartFiltering, kf_flt_attach) ---------------------------------------- */

/* Creates the filter's instance on volume i and asks its InstanceSetupCallback (F-4, F-25):
 * STATUS_SUCCESS with the instance attached, the callback's refusal, or
 * STATUS_INSUFFICIENT_RESOURCES when Filter Manager could not create the instance. */
static NTSTATUS setup_instance(struct _FLT_FILTER *f, unsigned i, FLT_INSTANCE_SETUP_FLAGS flags,
                               const char *routine)
{
    if (kf_fault_consult(KF_SITE_FLT_INSTANCE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES; /* this volume stays unfiltered */
    struct _FLT_INSTANCE *inst = calloc(1, sizeof *inst);
    if (!inst)
        return STATUS_INSUFFICIENT_RESOURCES;
    inst->filter = f;
    inst->volume = &volumes[i];
    inst->state = FLT_INST_SETUP;
    f->instances[i] = inst;
    NTSTATUS st = STATUS_SUCCESS;
    if (f->reg.InstanceSetupCallback) {
        RELATED_OBJECTS(objs, inst);
        st = f->reg.InstanceSetupCallback(&objs, flags, volumes[i].config.device_type,
                                          volumes[i].config.filesystem_type);
    }
    if (NT_SUCCESS(st)) {
        inst->state = FLT_INST_ATTACHED;
        return STATUS_SUCCESS;
    }
    /* Declined (STATUS_FLT_DO_NOT_ATTACH or any failure): the instance goes away, and with it
     * the rundown its callback data hold. */
    inst->state = FLT_INST_TEARDOWN;
    kf__flt_complete_pending_on(inst);
    size_t left = kf__flt_callback_data_on(inst);
    if (left)
        kf_violation_stop(KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER, routine, left, i, 0,
                          "%zu callback data allocated during the setup of the instance on volume %u "
                          "are still allocated after the setup callback declined the volume",
                          left, i);
    kf__flt_context_instance_gone(inst);
    f->instances[i] = NULL;
    free(inst);
    return st;
}

/* ---- FltStartFiltering ----------------------------------------------------------------- */

NTSTATUS FLTAPI FltStartFiltering(PFLT_FILTER Filter)
{
    static const char routine[] = "FltStartFiltering";
    kf__flt_require_irql(routine, APC_LEVEL);
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    if (f->started || f->unregistering)
        return STATUS_INVALID_PARAMETER;
    f->started = TRUE;
    for (unsigned i = 0; i < n_volumes; i++)
        (void)setup_instance(f, i, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT, routine);
    return STATUS_SUCCESS;
}

/* ---- Instance teardown (FltUnregisterFilter, kf_flt_detach) ---------------------------------- */

static void teardown_instance(struct _FLT_FILTER *f, unsigned i, FLT_INSTANCE_TEARDOWN_FLAGS reason,
                              const char *routine)
{
    struct _FLT_INSTANCE *inst = f->instances[i];
    inst->state = FLT_INST_TEARDOWN;
    RELATED_OBJECTS(objs, inst);
    if (f->reg.InstanceTeardownStartCallback)
        f->reg.InstanceTeardownStartCallback(&objs, reason);
    /* Filter Manager now waits for the instance's rundown: in-flight I/O completes, and
     * every callback data allocated on the instance must have been freed. */
    kf__flt_complete_pending_on(inst);
    /* Operations delivered to the instance: pended ones must be completed by now, those
     * still below drain (SEMANTICS.md FD-*). */
    kf__flt_dispatch_teardown(inst);
    size_t left = kf__flt_callback_data_on(inst);
    if (left)
        kf_violation_stop(KF_VIOL_FLT_OUTSTANDING_AT_UNREGISTER, routine, left, i, 0,
                          "%zu callback data of the instance on volume %u still allocated after its "
                          "teardown started (a leak: a real system waits forever for the instance's "
                          "rundown)",
                          left, i);
    if (f->reg.InstanceTeardownCompleteCallback)
        f->reg.InstanceTeardownCompleteCallback(&objs, reason);
    kf__flt_context_instance_gone(inst);
    f->instances[i] = NULL;
    free(inst);
}

/* ---- FltUnregisterFilter --------------------------------------------------------------- */

VOID FLTAPI FltUnregisterFilter(PFLT_FILTER Filter)
{
    static const char routine[] = "FltUnregisterFilter";
    kf__flt_require_irql(routine, APC_LEVEL);
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    if (f->unregistering)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 1, 0, 0,
                          "FltUnregisterFilter called again while the filter is being unregistered");
    f->unregistering = TRUE;
    kf__flt_ports_at_unregister(f); /* FP-8 */
    kf__flt_work_at_unregister(f);  /* FW-6 */
    FLT_INSTANCE_TEARDOWN_FLAGS reason = FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD;
    if (unloading == f && (unloading_flags & FLTFL_FILTER_UNLOAD_MANDATORY))
        reason |= FLTFL_INSTANCE_TEARDOWN_MANDATORY_FILTER_UNLOAD;

    for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++)
        if (f->instances[i])
            teardown_instance(f, i, reason, routine);
    kf__flt_cbdq_at_unregister(f); /* FW-9 */

    kf__flt_context_filter_gone(f, routine);
    /* ---- names and volumes family (FV-10): the filter's rundown waits for its references. */
    size_t held = kf__flt_refs_on(f);
    if (held)
        kf_violation_stop(KF_VIOL_FLT_FILTER_REFERENCED_AT_UNREGISTER, routine, held, 0, 0,
                          "%zu reference(s) on the filter still held after its instances were torn down "
                          "(a real FltUnregisterFilter waits for them forever)",
                          held);
    /* ---- end of the names and volumes block */
    for (struct _FLT_FILTER **pp = &filters; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    if (unloading == f)
        unloading = NULL;
    free(f);
}

/* ---- Harness controls ------------------------------------------------------------------- */

PFLT_INSTANCE kf_flt_instance(PFLT_FILTER filter, unsigned index)
{
    struct _FLT_FILTER *f = find_filter(filter);
    if (!f || index >= KF_FLT_MAX_VOLUMES)
        return NULL;
    return f->instances[index];
}

int kf_flt_set_instance_teardown(PFLT_INSTANCE instance, BOOLEAN tearing_down)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(instance);
    if (!inst)
        return -1;
    inst->marked_teardown = tearing_down ? TRUE : FALSE;
    return 0;
}

NTSTATUS kf_flt_unload(PFLT_FILTER filter, FLT_FILTER_UNLOAD_FLAGS flags)
{
    struct _FLT_FILTER *f = require_filter("kf_flt_unload", filter);
    PFLT_FILTER_UNLOAD_CALLBACK cb = f->reg.FilterUnloadCallback;
    if (!cb)
        return STATUS_FLT_DO_NOT_DETACH;
    unloading = f;
    unloading_flags = flags;
    NTSTATUS st = cb(flags); /* f may be freed from here on */
    unloading = NULL;
    unloading_flags = 0;
    return st;
}

PFLT_FILTER kf_flt_filter_of(PDRIVER_OBJECT driver)
{
    for (struct _FLT_FILTER *f = filters; f; f = f->next)
        if (f->driver == driver && !f->unregistering)
            return (PFLT_FILTER)f;
    return NULL;
}

void kf__flt_filters_reset(void)
{
    while (filters) {
        struct _FLT_FILTER *f = filters;
        filters = f->next;
        for (unsigned i = 0; i < KF_FLT_MAX_VOLUMES; i++)
            free(f->instances[i]);
        free(f);
    }
    unloading = NULL;
    unloading_flags = 0;
    volumes_default();
}

/* ---- Lookups for the other Filter Manager parts (contexts, names, volumes, ports) ------------ */

struct _FLT_VOLUME *kf__flt_find_volume(PFLT_VOLUME p)
{
    for (unsigned i = 0; p && i < n_volumes; i++)
        if (&volumes[i] == p)
            return &volumes[i];
    return NULL;
}

PFLT_VOLUME kf__flt_volume_zero(void) { return n_volumes ? &volumes[0] : NULL; }

/* ---- For the objects and volumes part (flt_objects.c) ---------------------------------------- */

struct _FLT_FILTER *kf__flt_filters(void) { return filters; }

struct _FLT_VOLUME *kf__flt_volume_at(unsigned index) { return index < n_volumes ? &volumes[index] : NULL; }

/* ---- Filter Manager's dispatch (flt_dispatch.c; SEMANTICS.md FD-*) ------------------------------ */

unsigned kf__flt_instances_on(unsigned volume, struct _FLT_INSTANCE **out, unsigned max)
{
    unsigned n = 0;
    if (volume >= n_volumes)
        return 0;
    for (struct _FLT_FILTER *f = filters; f && n < max; f = f->next) {
        struct _FLT_INSTANCE *inst = f->instances[volume];
        if (inst && inst->state == FLT_INST_ATTACHED && !f->unregistering)
            out[n++] = inst;
    }
    return n;
}

NTSTATUS kf_flt_detach(PFLT_FILTER filter, unsigned volume, FLT_INSTANCE_TEARDOWN_FLAGS reason)
{
    static const char routine[] = "kf_flt_detach";
    struct _FLT_FILTER *f = require_filter(routine, filter);
    struct _FLT_INSTANCE *inst = volume < KF_FLT_MAX_VOLUMES ? f->instances[volume] : NULL;
    if (!inst || inst->state != FLT_INST_ATTACHED || f->unregistering)
        return STATUS_FLT_INSTANCE_NOT_FOUND;
    if (reason & FLTFL_INSTANCE_TEARDOWN_MANUAL) {
        /* A manual detach asks the filter first; without the callback it cannot be detached. */
        if (!f->reg.InstanceQueryTeardownCallback)
            return STATUS_FLT_DO_NOT_DETACH;
        RELATED_OBJECTS(objs, inst);
        NTSTATUS st = f->reg.InstanceQueryTeardownCallback(&objs, 0);
        if (!NT_SUCCESS(st))
            return st;
    }
    teardown_instance(f, volume, reason, routine);
    return STATUS_SUCCESS;
}

NTSTATUS kf_flt_attach(PFLT_FILTER filter, unsigned volume)
{
    static const char routine[] = "kf_flt_attach";
    struct _FLT_FILTER *f = require_filter(routine, filter);
    if (volume >= n_volumes || !f->started || f->unregistering)
        return STATUS_INVALID_PARAMETER;
    if (f->instances[volume])
        return STATUS_FLT_INSTANCE_NAME_COLLISION; /* the default instance is there already */
    return setup_instance(f, volume, FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT, routine);
}

const FLT_REGISTRATION *kf_flt_registration(PFLT_FILTER filter)
{
    struct _FLT_FILTER *f = find_filter(filter);
    return f ? &f->reg : NULL;
}
