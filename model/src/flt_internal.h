/*
 * flt_internal.h - what the two halves of the Filter Manager model share: the filter,
 * volume and instance objects behind the WDK's opaque pointers (flt_filter.c owns them) and
 * the questions the filter half asks of the callback data half (flt_io.c). Never installed.
 *
 * A pointer a driver hands in is never dereferenced before it has been found among the live
 * objects: lookups compare addresses only.
 */
#ifndef KFAULT_FLT_INTERNAL_H
#define KFAULT_FLT_INTERNAL_H

#include "internal.h"
#include "kfault/flt_model.h"

/* Life of an instance: created for a volume at FltStartFiltering (SETUP while its setup
 * callback runs), ATTACHED once the callback accepted, TEARDOWN from the start of its teardown
 * until it is freed. */
enum flt_instance_state { FLT_INST_SETUP, FLT_INST_ATTACHED, FLT_INST_TEARDOWN };

struct _FLT_VOLUME {
    unsigned index;
    kf_flt_volume config;
};

struct _FLT_INSTANCE {
    struct _FLT_FILTER *filter;
    struct _FLT_VOLUME *volume;
    enum flt_instance_state state;
    BOOLEAN marked_teardown;        /* kf_flt_set_instance_teardown */
};

struct _FLT_FILTER {
    struct _FLT_FILTER *next;
    PDRIVER_OBJECT driver;
    FLT_REGISTRATION reg;           /* a copy, as Filter Manager keeps one */
    BOOLEAN started;
    BOOLEAN unregistering;
    struct _FLT_INSTANCE *instances[KF_FLT_MAX_VOLUMES];   /* by volume; NULL: none */
};

/* flt_filter.c: the live instance `p` points to, or NULL (never dereferences p). */
struct _FLT_INSTANCE *kf__flt_find_instance(PFLT_INSTANCE p);
/* flt_filter.c: frees every filter and instance and restores the volume defaults. */
void kf__flt_filters_reset(void);

/* flt_io.c: callback data outstanding whose allocation named `inst`. */
size_t kf__flt_callback_data_on(const struct _FLT_INSTANCE *inst);
/* flt_io.c: completes the pending asynchronous I/Os on `inst`'s callback data (those pending
 * when called), as the I/O system eventually would. */
void kf__flt_complete_pending_on(const struct _FLT_INSTANCE *inst);
/* flt_io.c: frees all callback data and pending completions; restores the I/O defaults. */
void kf__flt_io_reset(void);

/* Both: bug check IRQL_NOT_LESS_OR_EQUAL (max allowed, current) when above `max`. */
void kf__flt_require_irql(const char *routine, KIRQL max);

/* ---- Communication ports (flt_port.c) ---- */
/* FltUnregisterFilter, before the instances go: runs DisconnectNotify for the filter's clients
 * still connected, then stops with flt-port-open-at-unregister when a server port is open or
 * a client port is not closed (FP-8). */
void kf__flt_ports_at_unregister(struct _FLT_FILTER *f);
/* flt_filter.c: the registered filter `p` points to, or NULL (never dereferences p). */
struct _FLT_FILTER *kf__flt_find_filter(PFLT_FILTER p);

/* ---- Work items (flt_work.c) ---- */
/* FltUnregisterFilter, before the instances go: runs the work items queued on the filter or
 * its instances (Filter Manager waits for their rundown references) (FW-6). */
void kf__flt_work_at_unregister(struct _FLT_FILTER *f);
/* FltUnregisterFilter, after the instances' teardown: stops with flt-cbdq-outstanding when
 * callback data are still in the filter's cancel-safe queues, and forgets its queues (FW-9). */
void kf__flt_cbdq_at_unregister(struct _FLT_FILTER *f);
/* ---- Contexts (flt_context.c; SEMANTICS.md "Filter Manager contexts") ---------------------- */
/* FltRegisterFilter: checks and keeps a copy of Registration->ContextRegistration (NULL: none)
 * for `f`. STATUS_SUCCESS, STATUS_FLT_INVALID_CONTEXT_REGISTRATION or
 * STATUS_INSUFFICIENT_RESOURCES; on failure nothing is kept. */
NTSTATUS kf__flt_context_register(const struct _FLT_FILTER *f, const FLT_CONTEXT_REGISTRATION *regs);
/* Instance teardown (after InstanceTeardownCompleteCallback, or a declined setup): detaches every
 * context attached to `inst` or to a stream or file object on it and drops Filter Manager's
 * reference on each. */
void kf__flt_context_instance_gone(const struct _FLT_INSTANCE *inst);
/* FltUnregisterFilter, after the instances are gone: detaches the filter's volume contexts, then
 * stops (flt-context-outstanding) when any of its contexts is still referenced; forgets its
 * registration. */
void kf__flt_context_filter_gone(const struct _FLT_FILTER *f, const char *routine);
/* ---- File names, volumes and object references (flt_name.c, flt_volume.c) ---------------- */
/* flt_filter.c: the modeled volume `p` points to, or NULL (never dereferences p); the filter:
 * kf__flt_find_filter above. */
struct _FLT_VOLUME *kf__flt_find_volume(PFLT_VOLUME p);
/* flt_filter.c: the first modeled volume, or NULL when none is modeled. */
PFLT_VOLUME kf__flt_volume_zero(void);
/* flt_volume.c: the volume's device name (\Device\HarddiskVolumeN or as set), into `out`
 * (capacity KF__FLT_VOLUME_NAME_MAX WCHARs); returns its length in WCHARs. */
#define KF__FLT_VOLUME_NAME_MAX 64
/* flt_volume.c: references the driver holds on the object at `p` (matched by address). */
size_t kf__flt_refs_on(const void *p);
USHORT kf__flt_volume_name(const struct _FLT_VOLUME *v, WCHAR *out);

/* ---- Files below the filters (flt_file.c; SEMANTICS.md "Files below the filters") ------- */
/* flt_filter.c: the modeled volume of that index, or NULL. */
struct _FLT_VOLUME *kf__flt_volume_at(unsigned index);
/* A new file object on volume v for `name` (chars WCHARs, copied into FileName; relative to
 * `related` when not NULL), not yet opened: an object of IoFileObjectType with one reference,
 * the model's; Type, Size, FileName and RelatedFileObject set, FsContext NULL until a create
 * sent to the file system succeeds (kf__flt_fs_answer). NULL when memory runs out (the caller
 * has consulted its fault site already). The object goes (and the file system sees its close)
 * when its last reference is dropped. */
PFILE_OBJECT kf__flt_file_object_new(const struct _FLT_VOLUME *v, const WCHAR *name, USHORT chars,
                                     PFILE_OBJECT related);
/* TRUE when fo is a live file object of the modeled file system (its volume's index into
 * *volume when not NULL); never dereferences fo. */
BOOLEAN kf__flt_file_object_volume(const void *fo, unsigned *volume);
/* The file system's answer to an I/O that reached the bottom of the stack: when the target
 * file object is one of its own, sets io->status and io->information (and the buffers) and
 * returns TRUE; FALSE leaves the lower layers' documented defaults in io (flt_io.c). */
BOOLEAN kf__flt_fs_answer(kf_flt_lower_io *io);

/* ---- Filter Manager's dispatch of I/O to the filters' callbacks (flt_dispatch.c; FD-*) ---- */
/* flt_io.c: the layers below answer one I/O into d->IoStatus: site flt.io.lower, then the file
 * system (kf__flt_fs_answer) or the documented defaults, then the harness's lower hook. */
void kf__flt_lower_answer(PFLT_CALLBACK_DATA d);
/* flt_dispatch.c: TRUE when p is the callback data of an operation Filter Manager delivered to
 * the filters (never dereferences p). */
BOOLEAN kf__flt_dispatch_owns(const void *p);
/* flt_dispatch.c: after InstanceTeardownStartCallback returned: operations the filter pended on
 * the instance and did not complete stop (FD-9); those the layers below still hold get their
 * post-operation callback with FLTFL_POST_OPERATION_DRAINING (FD-10). */
void kf__flt_dispatch_teardown(const struct _FLT_INSTANCE *inst);
/* flt_filter.c: the attached instances on volume `volume`, of filters not unregistering, in the
 * order the filters registered (the first one highest); at most max. */
unsigned kf__flt_instances_on(unsigned volume, struct _FLT_INSTANCE **out, unsigned max);

#endif
