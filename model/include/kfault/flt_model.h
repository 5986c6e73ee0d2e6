/*
 * kfault/flt_model.h - the control surface of the Filter Manager part of the model: what a
 * real system decides on its own and a harness decides instead (which volumes exist, how the
 * layers below an instance complete an I/O, when and at which IRQL asynchronous completions
 * run, which instance is being torn down), and what a harness reads back.
 *
 * Every name starts with kf_flt_ / KF_FLT_. Driver code never includes this header; tests,
 * harness and fuzz targets do. kf_reset() returns every control here to its default.
 * Nothing here may change what a WDK routine returns except through the documented controls.
 */
#ifndef KFAULT_FLT_MODEL_H
#define KFAULT_FLT_MODEL_H

#include "model.h"
#include "../fltKernel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Volumes ------------------------------------------------------------------------ */
#define KF_FLT_MAX_VOLUMES 8

typedef struct kf_flt_volume {
    DEVICE_TYPE device_type;              /* e.g. FILE_DEVICE_DISK_FILE_SYSTEM */
    FLT_FILESYSTEM_TYPE filesystem_type;  /* e.g. FLT_FSTYPE_NTFS */
} kf_flt_volume;

/* The volumes FltStartFiltering offers to a filter: `count` of them (0..KF_FLT_MAX_VOLUMES),
 * described by `volumes` (NULL: each an NTFS disk volume). Default: one NTFS disk volume.
 * Takes effect for filters that start filtering afterwards. Returns 0, or -1 when count is
 * too large (nothing changes then). */
int kf_flt_set_volumes(unsigned count, const kf_flt_volume *volumes);
unsigned kf_flt_volume_count(void);

/* ---- Instances ---------------------------------------------------------------------- */
/* The filter's attached instance on volume `index`, or NULL (no such filter or volume, the
 * setup callback declined, or the instance is gone). */
PFLT_INSTANCE kf_flt_instance(PFLT_FILTER filter, unsigned index);
/* Marks an instance as being torn down (a volume dismount in progress) or clears the mark:
 * while marked, allocating callback data for it returns STATUS_FLT_DELETING_OBJECT.
 * Returns 0, or -1 when `instance` is not a live instance. */
int kf_flt_set_instance_teardown(PFLT_INSTANCE instance, BOOLEAN tearing_down);

/* Does what `fltmc unload` makes Filter Manager do: calls the filter's FilterUnloadCallback
 * (which normally calls FltUnregisterFilter) and returns its status. A filter registered
 * without an unload callback cannot be unloaded: STATUS_FLT_DO_NOT_DETACH, nothing called.
 * An unknown filter: violation flt-invalid-filter. */
NTSTATUS kf_flt_unload(PFLT_FILTER filter, FLT_FILTER_UNLOAD_FLAGS flags);
/* The filter that `driver` registered and has not unregistered, or NULL: how a loader that
 * only knows the DRIVER_OBJECT it gave DriverEntry finds the filter to unload. */
PFLT_FILTER kf_flt_filter_of(PDRIVER_OBJECT driver);

/* ---- The layers below the instance ------------------------------------------------------ */
/* What the lower layers are asked to do with one I/O, and how they complete it. The model
 * fills `status` and `information` with the default outcome before calling the hook; the
 * hook may change them, and may write into the buffers the parameters describe (the data a
 * read or a directory query returns). It must not change anything else in `data`. */
typedef struct kf_flt_lower_io {
    PFLT_CALLBACK_DATA data;  /* the I/O as issued: Iopb->MajorFunction, MinorFunction, ... */
    BOOLEAN fault;            /* site flt.io.lower failed: the default is a failure */
    NTSTATUS status;          /* in: the default; out: the status the I/O completes with */
    ULONG_PTR information;    /* in: the default; out: IoStatus.Information */
} kf_flt_lower_io;
typedef void (*kf_flt_lower_fn)(void *ctx, kf_flt_lower_io *io);

/* Installs the hook (NULL: defaults only). Defaults: STATUS_SUCCESS with Information the
 * requested Length for IRP_MJ_READ / IRP_MJ_WRITE and 0 otherwise; when the site failed,
 * STATUS_INSUFFICIENT_RESOURCES with Information 0. */
void kf_flt_set_lower_hook(kf_flt_lower_fn fn, void *ctx);

/* ---- Asynchronous completion ----------------------------------------------------------- */
typedef enum kf_flt_completion {
    KF_FLT_COMPLETE_INLINE,   /* the I/O completes inside FltPerformAsynchronousIo, which
                                 then returns STATUS_SUCCESS */
    KF_FLT_COMPLETE_DEFERRED  /* FltPerformAsynchronousIo returns STATUS_PENDING; the I/O
                                 completes in kf_flt_run_pending_completions */
} kf_flt_completion;

/* How asynchronous I/O completes, and the IRQL its completion callback runs at (at least the
 * IRQL of the code that completes it). Default: inline at PASSIVE_LEVEL. Returns 0, or -1
 * when irql is above DISPATCH_LEVEL (completion callbacks never run higher). */
int kf_flt_set_async_mode(kf_flt_completion mode, KIRQL completion_irql);
/* Completes, in the order they were started, the asynchronous I/Os pending when called (not
 * those their callbacks start): the lower layers complete each one, then its callback runs
 * at the chosen IRQL. Returns how many completed. */
size_t kf_flt_run_pending_completions(void);
size_t kf_flt_pending_completions(void);

/* ---- Reading back ------------------------------------------------------------------------ */
/* Callback data allocated and not yet freed (also counted by kf_leaks). */
size_t kf_flt_callback_data_outstanding(void);


/* ---- Communication ports: the modeled user-mode client (model/src/flt_port.c) ------------ */
/* A client is what an application's FilterConnectCommunicationPort creates; the harness plays
 * the application. Clients are numbered from 1 in the order they connect; 0 is never a client. */
#define KF_FLT_MAX_CLIENTS 16
#ifndef STATUS_CONNECTION_COUNT_LIMIT
#define STATUS_CONNECTION_COUNT_LIMIT ((NTSTATUS)0xC0000246L)
#endif

/* How the client answers the driver's FltSendMessage. */
typedef enum kf_flt_answer {
    KF_FLT_ANSWER_REPLY,      /* reads each message at once and replies with the set bytes (default: none) */
    KF_FLT_ANSWER_NO_REPLY,   /* reads each message but never replies */
    KF_FLT_ANSWER_NEVER_READ, /* never calls FilterGetMessage */
    KF_FLT_ANSWER_DISCONNECT  /* reads the message, then closes its handle before replying */
} kf_flt_answer;

/* FilterConnectCommunicationPort: connects to the server port named `port_name` (a
 * NUL-terminated WCHAR string, as in the ObjectAttributes of FltCreateCommunicationPort),
 * handing the driver's ConnectNotifyCallback a copy of `context` of exactly `context_size`
 * bytes (NULL/0: none). Returns STATUS_SUCCESS and the client's number in *client, or
 * STATUS_OBJECT_NAME_NOT_FOUND (no such open port), STATUS_CONNECTION_COUNT_LIMIT
 * (MaxConnections reached), or the failure status ConnectNotifyCallback returned. */
NTSTATUS kf_flt_client_connect(const WCHAR *port_name, const void *context, ULONG context_size,
                               unsigned *client);
/* FilterSendMessage: the driver's MessageNotifyCallback gets a buffer of exactly `in_size`
 * bytes holding `in` (NULL when in is NULL) and an output buffer of exactly `out_size` bytes
 * (NULL when out is NULL), copied back to `out`; *returned gets ReturnOutputBufferLength.
 * Returns the callback's status, STATUS_PORT_DISCONNECTED when the connection is gone, or
 * STATUS_INVALID_PARAMETER when the port has no message callback. */
NTSTATUS kf_flt_client_send(unsigned client, const void *in, ULONG in_size, void *out, ULONG out_size,
                            ULONG *returned);
/* Closes the client's handle: the driver's DisconnectNotifyCallback runs. Returns 0, or -1
 * when `client` is not connected. */
int kf_flt_client_disconnect(unsigned client);
/* How the client answers the driver's messages, and the reply payload (the bytes after the
 * FILTER_REPLY_HEADER, copied; at most 4096). Returns 0, or -1 for an unknown client or size. */
int kf_flt_client_set_answer(unsigned client, kf_flt_answer answer, const void *reply, ULONG reply_size);
/* Messages the client has read from the driver, and the last one (copied up to `cap` bytes;
 * returns its full size). */
unsigned kf_flt_client_messages(unsigned client);
ULONG kf_flt_client_last_message(unsigned client, void *buf, ULONG cap);
/* The name of the index-th server port the driver still has open, oldest first, NUL-terminated
 * into buf (cap WCHARs, room for the NUL included). Returns its length in WCHARs, or 0 when there
 * is no such port or it does not fit. Consults no fault site. */
ULONG kf_flt_server_port_name(unsigned index, WCHAR *buf, ULONG cap);
/* Server ports open, client ports the driver has not closed, and security descriptors not freed
 * (also kf_leak_report.flt_ports). */
size_t kf_flt_ports_outstanding(void);


/* ---- Work items (model/src/flt_work.c) ------------------------------------------------------ */
/* Runs the Flt work items (generic and deferred I/O) queued when called, in queue order, at
 * PASSIVE_LEVEL, as the system worker threads would. The model's pending-work runner calls it
 * too (a wait nobody else can satisfy). Returns how many ran. */
size_t kf_flt_run_work_items(void);
/* Flt work items queued and not yet run; allocated and not freed (also kf_leak_report.flt_work_items). */
size_t kf_flt_work_items_queued(void);
size_t kf_flt_work_items_outstanding(void);


/* ---- Cancel-safe callback data queues (model/src/flt_work.c) ------------------------------ */
/* Cancels the operation `data` queued in `queue`, as the I/O manager would when its IRP is
 * canceled: under the queue's lock RemoveIo runs, then, after the lock is released,
 * CompleteCanceledIo. Returns 0, or -1 when `data` is not in `queue`. */
int kf_flt_cbdq_cancel(PFLT_CALLBACK_DATA_QUEUE queue, PFLT_CALLBACK_DATA data);
/* Callback data in cancel-safe queues (also kf_leak_report.flt_cbdq_entries). */
size_t kf_flt_cbdq_entries(void);
/* ---- Volume identities, file names and object references (SEMANTICS.md FN-*, FV-*) ---- */
/* What a volume tells a filter about itself beyond its device and file system type. Kept per
 * volume index across kf_flt_set_volumes; kf_reset restores the defaults. */
typedef struct kf_flt_volume_identity {
    const char *name;         /* NULL: \Device\HarddiskVolume<index + 1>; ASCII, < 64 characters */
    BOOLEAN read_only;        /* FltIsVolumeWritable says FALSE (default FALSE: writable) */
    USHORT sector_size;       /* FltGetVolumeProperties' SectorSize (0: 512) */
} kf_flt_volume_identity;
/* Sets (NULL: restores the default of) volume `index`'s identity. Returns 0, or -1 when index
 * is not below KF_FLT_MAX_VOLUMES or the name is too long (nothing changes then). */
int kf_flt_set_volume_identity(unsigned index, const kf_flt_volume_identity *identity);
/* File name information references not yet released (also counted by kf_leaks). */
size_t kf_flt_names_outstanding(void);
/* Filter, instance and volume references the driver took and has not dereferenced (kf_leaks). */
size_t kf_flt_object_refs_outstanding(void);


/* ---- Files on the modeled volumes: the file system below the filters (flt_file.c) ------- */
/* The largest stream the modeled file system stores; a write beyond it: STATUS_DISK_FULL. */
#define KF_FLT_FILE_MAX_SIZE (16u * 1024 * 1024)
typedef struct kf_flt_file_spec {
    const WCHAR *path;        /* from the volume's root: L"\\dir\\a.txt"; L"\\dir\\a.txt:s" names stream s
                                 of an existing file */
    ULONG attributes;         /* FILE_ATTRIBUTE_*; FILE_ATTRIBUTE_DIRECTORY makes a directory;
                                 0: FILE_ATTRIBUTE_NORMAL */
    const void *data;         /* the contents (copied); NULL with a size: that many zero bytes */
    ULONG size;
} kf_flt_file_spec;
/* Puts a file, directory or named stream on volume `volume` (its parent directory must exist;
 * the root always does). Returns 0, or -1 when the path is invalid or taken, the parent is
 * missing, or memory runs out. kf_reset empties every volume. */
int kf_flt_add_file(unsigned volume, const kf_flt_file_spec *spec);
/* Files, directories and named streams on a volume (the root directory once it was opened). */
size_t kf_flt_files(unsigned volume);
/* The current contents of a file or stream (pointer valid until it changes); 0 or -1. */
int kf_flt_file_contents(unsigned volume, const WCHAR *path, const void **data, ULONG *size);
/* What the I/O manager makes before a create reaches the stack: a new, not yet opened file
 * object on volume `volume` for `name` (relative to `related` when not NULL). The caller holds
 * its one reference (ObDereferenceObject drops it; the file system sees the close then).
 * Sending it an IRP_MJ_CREATE (callback data on it, FltPerformSynchronousIo) opens it. NULL
 * when the volume does not exist or memory runs out. */
PFILE_OBJECT kf_flt_new_file_object(unsigned volume, const WCHAR *name, PFILE_OBJECT related);
/* File objects the model created that still exist (any reference left). */
size_t kf_flt_file_objects_outstanding(void);
/* ---- What a driver left behind, described (for the driver harness's findings) ------------- */
/* Each kind kf_leak_report counts for Filter Manager, told apart so that a finding can say what
 * it is. "The first" is the oldest one still outstanding. Nothing here changes any state. */
typedef struct kf_flt_context_left {
    size_t count;             /* contexts not yet freed (kf_leak_report.flt_contexts) */
    const char *type;         /* the first one's type: "volume", "instance", "file", ... (static) */
    long references;          /* its references */
    BOOLEAN attached;         /* still attached to its object (one of the references is Filter Manager's) */
    const char *taker;        /* the routine that last took a reference on it (static) */
} kf_flt_context_left;
void kf_flt_contexts_left(kf_flt_context_left *out);
/* File name information references not released, and the first structure's Name (ASCII, '?' for
 * any other character, cut to fit `cap` with its NUL) and references. */
size_t kf_flt_names_left(char *name, size_t cap, size_t *references);
/* Object references not dereferenced, and what the first is on ("filter", "instance", "volume")
 * and how many of the references are on that object. */
size_t kf_flt_object_refs_left(const char **kind, size_t *count);
/* Server ports open, client ports the driver has not closed, security descriptors not freed
 * (their sum is kf_leak_report.flt_ports). */
void kf_flt_ports_left(size_t *server_ports, size_t *client_ports, size_t *security_descriptors);
/* Generic and deferred I/O work items not freed (their sum is kf_leak_report.flt_work_items), and
 * how many of them are still queued. */
void kf_flt_work_items_left(size_t *generic, size_t *deferred, size_t *queued);
/* Data-scan sections still open (not closed with FltCloseSectionForDataScan) and views still mapped
 * (not unmapped with ZwUnmapViewOfSection): SEMANTICS.md DS-10. */
void kf_flt_sections_left(size_t *open_sections, size_t *mapped_views);
/* ---- Objects and volumes (model/src/flt_objects.c, SEMANTICS.md FO-) ------------------------- */
/* Marks volume `index` as a snapshot volume (FltIsVolumeSnapshot answers TRUE) or not (the
 * default). Kept across kf_flt_set_volumes; kf_reset clears it. Returns 0, or -1 when index is not
 * below KF_FLT_MAX_VOLUMES. */
int kf_flt_set_volume_snapshot(unsigned index, BOOLEAN snapshot);

/* ---- Filter-initiated file I/O and the file system's answers (flt_fileio.c, flt_file.c) --- */
/* TRUE when file_object is a FILE_OBJECT the modeled file system made and that still exists
 * (kf_flt_new_file_object, FltCreateFile*): I/O on it gets the file system's answers (FS-*). */
BOOLEAN kf_flt_is_modeled_file_object(const void *file_object);

/* ---- Extra create parameters a create carries from above (model/src/flt_ecp.c; SEMANTICS.md FE-*) ---- */
#define KF_FLT_MAX_ECPS 16
typedef struct kf_flt_ecp_spec {
    GUID type;                /* e.g. GUID_ECP_PREFETCH_OPEN */
    const void *data;         /* the context's contents (copied); NULL: zeros */
    ULONG size;               /* the context's size in bytes */
    BOOLEAN from_user_mode;   /* FltIsEcpFromUserMode answers this */
    BOOLEAN acknowledged;     /* FltIsEcpAcknowledged answers this until a driver changes it */
} kf_flt_ecp_spec;
/* What the I/O manager does for a create whose originator passed ECPs: attaches to `data` a new
 * ECP list holding `count` ECPs, in this order. The list and its ECPs are the originator's (a
 * driver may find, walk, acknowledge and remove them, never free them) and go when the create
 * ends (kf_flt_ecp_create_done, or FltFreeCallbackData of data). No fault site: the originator
 * allocated them before the create reached the filters. Returns 0, or -1 when data is NULL or
 * already carries a list, count exceeds KF_FLT_MAX_ECPS, two ECPs share a type, or a size
 * exceeds 16 MiB (nothing is attached then). */
int kf_flt_attach_ecps(PFLT_CALLBACK_DATA data, const kf_flt_ecp_spec *ecps, unsigned count);
/* The create on `data` ended: the I/O manager frees the list attached to it (by the control or by
 * FltSetEcpListIntoCallbackData) and every ECP in it, calling their cleanup callbacks, and every
 * ECP that came down with it. Returns how many ECPs were freed. */
size_t kf_flt_ecp_create_done(PFLT_CALLBACK_DATA data);
/* ECP lists, ECPs and ECP lookaside lists the driver owns (also kf_leak_report.flt_ecps). */
size_t kf_flt_ecps_outstanding(void);

/* ---- Kernel transactions (model/src/flt_txn.c; SEMANTICS.md FT-*) ------------------------------ */
typedef enum kf_flt_txn_end { KF_FLT_TXN_COMMIT, KF_FLT_TXN_ROLLBACK } kf_flt_txn_end;
/* A new active transaction: an object of *TmTransactionObjectType that the model references until
 * kf_reset, for a harness to hand to drivers (FLT_RELATED_OBJECTS.Transaction). NULL when the host
 * has no memory. */
PKTRANSACTION kf_flt_new_transaction(void);
/* Its client commits (KF_FLT_TXN_COMMIT) or rolls it back: the transaction manager notifies the
 * enlisted instances phase by phase (commit: pre-prepare, prepare, commit, commit-finalize;
 * rollback: rollback), each phase once every notification of the one before was acknowledged,
 * then Filter Manager deletes the transaction's contexts. A notification answered STATUS_PENDING
 * waits for its Flt*Complete: the model runs its pending work (work items) meanwhile, and when
 * that does not bring it, returns TransactionOutcomeUndetermined; call again to continue (`how`
 * is then ignored). Returns TransactionOutcomeCommitted or TransactionOutcomeAborted once the
 * transaction ended (a rollback asked by FltRollbackEnlistment aborts a commit); 0 when txn is
 * not a transaction of the model or the IRQL is not PASSIVE_LEVEL. */
TRANSACTION_OUTCOME kf_flt_transaction_end(PKTRANSACTION txn, kf_flt_txn_end how);
/* The outcome so far (TransactionOutcomeUndetermined while undecided); 0 for an unknown txn. */
TRANSACTION_OUTCOME kf_flt_transaction_outcome(PKTRANSACTION txn);
/* Enlistments on txn, and notifications awaiting acknowledgement. */
size_t kf_flt_transaction_enlistments(PKTRANSACTION txn);
size_t kf_flt_transaction_unacknowledged(PKTRANSACTION txn);


/* ---- Filter Manager's dispatch of I/O to the filters' callbacks (flt_dispatch.c, FD-*) ---- */
/* What the I/O manager sends down a volume's stack for a request: Filter Manager builds its
 * own callback data from it, calls the pre-operation callback each attached filter registered
 * for the major function (the first registered filter highest), sends the I/O to the layers
 * below, and calls the post-operation callbacks in the reverse order. */
#define KF_FLT_MAX_LEVELS 8   /* filters attached to one volume that the dispatch serves */
typedef struct kf_flt_io {
    UCHAR major;                    /* IRP_MJ_* (0x00..0x1b) */
    UCHAR minor;                    /* IRP_MN_* */
    UCHAR operation_flags;          /* the stack location's SL_* flags */
    BOOLEAN fast_io;                /* a fast I/O (FLTFL_CALLBACK_DATA_FAST_IO_OPERATION), not an IRP */
    ULONG irp_flags;                /* IRP_NOCACHE, IRP_PAGING_IO, IRP_SYNCHRONOUS_API, IRP_SYNCHRONOUS_PAGING_IO */
    BOOLEAN system_buffer;          /* the buffers are the I/O manager's (FLTFL_CALLBACK_DATA_SYSTEM_BUFFER) */
    KPROCESSOR_MODE requestor_mode; /* UserMode: an application's request, sent from its process */
    ACCESS_MASK desired_access;     /* create: the SecurityContext's DesiredAccess */
    KIRQL post_irql;                /* the IRQL the I/O completes at below (<= DISPATCH_LEVEL) */
    BOOLEAN lower_pends;            /* the layers below hold the I/O until kf_flt_complete_lower */
    BOOLEAN lower_override;         /* the layers below answer lower_status / lower_information */
    NTSTATUS lower_status;          /* instead of the file system (and flt.io.lower is not asked) */
    ULONG_PTR lower_information;
    FLT_PARAMETERS parameters;      /* create: SecurityContext is filled by the model */
} kf_flt_io;

/* Called once when an operation completes (after every post-operation callback), with its final
 * IoStatus. It may send more I/O. */
typedef void (*kf_flt_io_done_fn)(void *ctx, unsigned long long serial, NTSTATUS status, ULONG_PTR information);

/* A new file object for a create on volume `volume`, named `name` (chars WCHARs; relative to
 * `related` when not NULL), held by the I/O manager (the model): NULL when the volume does not
 * exist or memory runs out. */
PFILE_OBJECT kf_flt_io_file_object(unsigned volume, const WCHAR *name, USHORT chars, PFILE_OBJECT related);
/* Sends one operation on `fo` (a file object of kf_flt_io_file_object; an IRP_MJ_CREATE first)
 * at the caller's IRQL (<= APC_LEVEL). Returns its final status when it completed before
 * returning, STATUS_PENDING while it is in flight (pended by a filter, held below), or
 * STATUS_INVALID_PARAMETER for a request the I/O manager would never send (nothing is sent).
 * *serial (optional) gets its number, 1, 2, ... in the run; done (optional) runs at completion. */
NTSTATUS kf_flt_send_io(PFILE_OBJECT fo, const kf_flt_io *io, kf_flt_io_done_fn done, void *ctx,
                        unsigned long long *serial);
/* The last handle and the I/O manager's reference go: IRP_MJ_CLEANUP (once, if the create
 * succeeded) and IRP_MJ_CLOSE through the filters, as the I/O manager sends them (the close waits
 * until no operation on it is in flight and nobody else holds the object); then the model's
 * reference is dropped. Returns 0, or -1 for a file object the model did not make for I/O. */
int kf_flt_io_close(PFILE_OBJECT fo);
/* File objects made for I/O and not yet closed. */
size_t kf_flt_io_file_objects(void);
/* Completes, in the order they reached them, the operations the layers below hold
 * (lower_pends); then their post-operation callbacks run. Returns how many. */
size_t kf_flt_complete_lower(void);
/* Runs the completion processing FltDoCompletionProcessingWhenSafe posted to worker threads
 * (queued when called), at PASSIVE_LEVEL, and the closes the I/O manager put off because the
 * last I/O on a file object completed at DISPATCH_LEVEL. Returns how many ran. */
size_t kf_flt_run_safe_posts(void);
/* Operations in flight: all of them, those a filter pended (pre or post) and not completed. */
size_t kf_flt_ios_in_flight(void);
size_t kf_flt_ios_pended(void);
/* Tears one instance down while I/O may be in flight, as a manual detach (`fltmc detach`,
 * reason FLTFL_INSTANCE_TEARDOWN_MANUAL: InstanceQueryTeardownCallback decides, none registered
 * refuses) or a volume dismount (FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT: always). Returns
 * STATUS_SUCCESS, the refusal (STATUS_FLT_DO_NOT_DETACH or the callback's failure), or
 * STATUS_FLT_INSTANCE_NOT_FOUND when the filter has no instance there. */
NTSTATUS kf_flt_detach(PFLT_FILTER filter, unsigned volume, FLT_INSTANCE_TEARDOWN_FLAGS reason);
/* A manual attachment (`fltmc attach`, FilterAttach with the default instance): creates the
 * filter's instance on the volume and calls InstanceSetupCallback with
 * FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT (site flt.instance first). Returns STATUS_SUCCESS, the
 * callback's refusal, STATUS_FLT_INSTANCE_NAME_COLLISION when the filter has an instance there
 * already, STATUS_INSUFFICIENT_RESOURCES when the instance could not be created, or
 * STATUS_INVALID_PARAMETER for a volume not offered or a filter not filtering. */
NTSTATUS kf_flt_attach(PFLT_FILTER filter, unsigned volume);
/* Buffers a filter swapped into an operation's parameters that were still allocated pool when the
 * operation completed and still are now (the filter never freed them); the first one's operation
 * into *serial and *major when not NULL. */
size_t kf_flt_swapped_buffers_left(unsigned long long *serial, UCHAR *major);

/* What the dispatch tells an observer (a harness's trace and finding reports). */
typedef enum kf_flt_event_kind {
    KF_FLT_EV_PRE,         /* a pre-operation callback is called */
    KF_FLT_EV_PRE_RETURN,  /* it returned `status` */
    KF_FLT_EV_POST,        /* a post-operation callback is called (flags: FLTFL_POST_OPERATION_*) */
    KF_FLT_EV_POST_RETURN, /* it returned `status` */
    KF_FLT_EV_COMPLETE     /* the operation completed with `status` (NTSTATUS) */
} kf_flt_event_kind;
typedef struct kf_flt_event {
    kf_flt_event_kind kind;
    unsigned long long serial;
    UCHAR major, minor;
    unsigned volume;
    unsigned level;                 /* 0: the highest filter */
    const UNICODE_STRING *file;     /* the file object's name (valid during the call only) */
    LONG status;
    KIRQL irql;
    ULONG flags;
} kf_flt_event;
typedef void (*kf_flt_observer_fn)(void *ctx, const kf_flt_event *ev);
/* Installs the observer (NULL: none); kf_reset removes it. */
void kf_flt_set_observer(kf_flt_observer_fn fn, void *ctx);
/* The registration Filter Manager keeps for a registered filter (its copy of what the driver
 * passed to FltRegisterFilter; OperationRegistration still points into the driver), or NULL. */
const FLT_REGISTRATION *kf_flt_registration(PFLT_FILTER filter);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLT_MODEL_H */
