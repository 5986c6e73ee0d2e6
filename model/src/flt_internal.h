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
/* ---- Objects and volumes (flt_objects.c; SEMANTICS.md FO-) --------------------------------- */
/* flt_filter.c: the registered filters, in registration order (->next), and volume `index`
 * (NULL beyond the modeled volumes). */
struct _FLT_FILTER *kf__flt_filters(void);
struct _FLT_VOLUME *kf__flt_volume_at(unsigned index);
/* flt_volume.c: the volume's GUID name (\??\Volume{...}, capacity KF__FLT_VOLUME_NAME_MAX
 * WCHARs; returns its length in WCHARs), its sector size, and whether its identity is read-only. */
USHORT kf__flt_volume_guid_name(const struct _FLT_VOLUME *v, WCHAR *out);
USHORT kf__flt_volume_sector_size(const struct _FLT_VOLUME *v);
BOOLEAN kf__flt_volume_read_only(const struct _FLT_VOLUME *v);

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

/* ---- Filter-initiated file I/O (flt_fileio.c, flt_io.c, flt_file.c; SEMANTICS.md FI-*) ----- */
/* flt_io.c: Filter Manager's own callback data for one Flt*File I/O on instance (may be NULL:
 * a create sent to the top of a volume) and file_object, initialized as F-12; no fault site is
 * asked (the caller asked its own); NULL only when the host has no memory. Not the driver's:
 * not counted in kf_flt_callback_data_outstanding, and the driver's Free / Reuse / Perform on
 * it stop with flt-callback-data-owned-by-filter-manager. */
PFLT_CALLBACK_DATA kf__flt_io_new_own(PFLT_INSTANCE instance, PFILE_OBJECT file_object);
BOOLEAN kf__flt_io_is_own(PFLT_CALLBACK_DATA d);
/* Sends it to the layers below and completes it (IoStatus set); must_succeed: flt.io.lower is
 * not asked (cleanup and close). */
void kf__flt_io_perform_own(PFLT_CALLBACK_DATA d, BOOLEAN must_succeed);
/* Starts it asynchronously as FltPerformAsynchronousIo would (kf_flt_set_async_mode): inline,
 * routine(d, context) has run when STATUS_SUCCESS returns; deferred, STATUS_PENDING and it
 * runs at kf_flt_run_pending_completions (or the instance's teardown). routine must free d. */
NTSTATUS kf__flt_io_start_own(PFLT_CALLBACK_DATA d, PFLT_COMPLETED_ASYNC_IO_CALLBACK routine, PVOID context);
void kf__flt_io_free_own(PFLT_CALLBACK_DATA d);
/* flt_file.c: the open state of a file object of the modeled file system (kf__flt_fs_open_*). */
enum { KF__FO_UNKNOWN = 0, KF__FO_NOT_OPEN, KF__FO_OPEN, KF__FO_CLEANED_UP };
int kf__flt_fs_open_state(const void *fo);
/* flt_file.c: what a FltCreateFile* call tells the file system about the file object it made
 * before the create is sent (the instance it targets, IO_IGNORE_SHARE_ACCESS_CHECK), and the
 * file object's close routing: closes of such objects are sent to the layers below. */
void kf__flt_fs_mark_flt_open(const void *fo, PFLT_INSTANCE instance, BOOLEAN ignore_share);
/* flt_file.c: the create sent on fo completed with status (the layers below may have replaced
 * the file system's answer): a success the file system did not open leaves the file object
 * open for the I/O manager only; a failure of what the file system opened cancels that open. */
void kf__flt_fs_create_completed(const void *fo, NTSTATUS status);
/* flt_volume.c: volume `index`'s sector size (512 unless its identity sets one) and whether its
 * identity makes it read-only. */
USHORT kf__flt_volume_sector_size_at(unsigned index);
BOOLEAN kf__flt_volume_read_only_at(unsigned index);
/* flt_fileio.c: unlocks and frees the MDLs FltLockUserBuffer made for `data` (the I/O system
 * frees them with the operation): flt_io.c calls it when callback data is freed or reused;
 * whoever completes an operation of its own callback data calls it then. */
void kf__flt_fileio_data_gone(PFLT_CALLBACK_DATA data);
/* ---- Extra create parameters and transactions (flt_ecp.c, flt_txn.c; SEMANTICS.md FE-*, FT-*) ---- */
/* flt_io.c, when callback data is freed: the create it stood for is over, so the I/O manager frees
 * the ECP list attached to it (FE-12). Never dereferences data. */
void kf__flt_ecp_callback_data_gone(const void *data);
/* flt_txn.c: stops with flt-txn-invalid unless p is a transaction of the model; returns TRUE when
 * the transaction has ended (its notifications are over and its contexts deleted). */
BOOLEAN kf__flt_txn_require(const char *routine, const void *p);
/* flt_txn.c, from kf__flt_context_instance_gone: the instance's enlistments end; one still owing
 * an acknowledgement stops with flt-txn-not-acknowledged (FT-9). */
void kf__flt_txn_instance_gone(const struct _FLT_INSTANCE *inst);
/* flt_context.c, the transaction block: */
/* Stops unless c is a live transaction context of filter f (flt-context-invalid, -use-after-free,
 * -wrong-type, -foreign-filter). */
void kf__flt_context_require_txn(const char *routine, const void *c, const struct _FLT_FILTER *f);
/* Whether c is a context whose last reference has not gone. */
BOOLEAN kf__flt_context_live(const void *c);
/* The transaction context of filter f attached to transaction t, or NULL (no reference taken). */
void *kf__flt_context_of_transaction(const struct _FLT_FILTER *f, const void *t);
/* The transaction ended: every context attached to it is detached and Filter Manager's reference
 * dropped (FT-11). */
void kf__flt_context_transaction_gone(const void *t);
/* ---- Data-scan sections (flt_datascan.c, the section block of flt_context.c, flt_file.c; DS-*) ---- */
/* Stops unless c is a live section context (of filter f when f is not NULL): flt-context-invalid,
 * -use-after-free, -wrong-type, -foreign-filter. */
void kf__flt_context_require_section(const char *routine, const void *c, const struct _FLT_FILTER *f);
/* The section state of live context c: 0 never given a section, 1 its section open, 2 closed. */
int kf__flt_context_section_state(const void *c);
/* The section of live context c is open: attached to inst with Filter Manager's reference. */
void kf__flt_context_section_open(const void *c, const struct _FLT_INSTANCE *inst);
/* The section of c is closed: detached (when the instance's teardown did not already) and Filter
 * Manager's reference dropped. */
void kf__flt_context_section_closed(const void *c);
/* flt_file.c: the stream a file object of the modeled file system opened: its FsContext, bytes and
 * size, whether it is a directory. KF__FO_UNKNOWN (not the file system's), KF__FO_NOT_OPEN (no
 * create succeeded), or KF__FO_OPEN / KF__FO_CLEANED_UP with *stream NULL when a layer below
 * opened it without the file system (FS-24). */
int kf__flt_fs_stream(const void *fo, const void **stream, const UCHAR **data, ULONG *size, BOOLEAN *directory);
/* flt_datascan.c, from kf__flt_context_instance_gone: the instance is no longer registered for
 * data scans (its sections stay open until the driver closes them). */
void kf__flt_datascan_instance_gone(const struct _FLT_INSTANCE *inst);
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
