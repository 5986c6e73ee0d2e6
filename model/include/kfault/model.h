/*
 * kfault/model.h - the model's control surface: what a real kernel decides on its own and
 * a harness must decide instead (profile, modeled remaining stack, which allocation fails,
 * what a bug check does), plus what the harness reads back (high-water marks, statistics).
 *
 * Every name here starts with kf_ / KF_ so that it can never collide with a WDK name.
 * Driver code never includes this header; tests, harness and fuzz targets do.
 * The model asks the fault hook at every fault site; it never decides a failure itself.
 */
#ifndef KFAULT_MODEL_H
#define KFAULT_MODEL_H

#include "nt_base.h"
#include "seh.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Profiles: OS version x architecture ------------------------------------------- */
typedef enum kf_os {
    KF_OS_WS03, KF_OS_VISTA, KF_OS_WIN7, KF_OS_WIN8, KF_OS_WIN10, KF_OS_WIN11, KF_OS_COUNT
} kf_os;

typedef enum kf_arch { KF_ARCH_X86, KF_ARCH_AMD64, KF_ARCH_ARM, KF_ARCH_ARM64, KF_ARCH_COUNT } kf_arch;

typedef struct kf_profile {
    kf_os os;
    kf_arch arch;
    SIZE_T kernel_stack_size;       /* KERNEL_STACK_SIZE */
    SIZE_T large_stack_size;        /* KERNEL_LARGE_STACK_SIZE */
    SIZE_T large_stack_commit;      /* KERNEL_LARGE_STACK_COMMIT */
    SIZE_T maximum_expansion_size;  /* MAXIMUM_EXPANSION_SIZE */
} kf_profile;

/* Parses "<os>-<arch>". Returns 0, or -1 with a sentence in err. */
int kf_profile_parse(const char *text, kf_profile *out, char *err, size_t errlen);
/* Fills *out for a shipped os/arch pair; returns -1 for a pair Windows never shipped. */
int kf_profile_make(kf_os os, kf_arch arch, kf_profile *out);
/* "win10-x86" etc. */
const char *kf_profile_name(const kf_profile *p, char *buf, size_t len);
const char *kf_os_name(kf_os os);
const char *kf_arch_name(kf_arch arch);
/* The list of shipped profiles, in a fixed order (fuzz targets index it). */
size_t kf_profile_count(void);
const kf_profile *kf_profile_at(size_t index);

const kf_profile *kf_current_profile(void);
void kf_set_profile(const kf_profile *p);

/* ---- Options (KFAULT_OPTIONS) ------------------------------------------------------ */
typedef enum kf_fault_kind { KF_FAULT_NONE = 0, KF_FAULT_TRANSIENT = 1, KF_FAULT_HARD = 2 } kf_fault_kind;
typedef enum kf_fail_kind_opt { KF_FAILKIND_SITE, KF_FAILKIND_TRANSIENT, KF_FAILKIND_HARD } kf_fail_kind_opt;

typedef struct kf_options {
#define KF_OPT_FIELD_UINT unsigned long long
#define KF_OPT_FIELD_BOOL int
#define KF_OPT_FIELD_PROFILE kf_profile
#define KF_OPT_FIELD_FAULTKIND kf_fail_kind_opt
#define KF_OPT_FIELD_STRING const char *
#define KF_OPTION(type, name, def, help) KF_OPT_FIELD_##type name;
#include "options.def"
#undef KF_OPTION
} kf_options;

/* Parses an ASAN_OPTIONS-style string ("a=1:b=2") over *opts. Returns 0, or -1 with a
 * sentence naming the bad key or value in err. */
int kf_options_parse(const char *text, kf_options *opts, char *err, size_t errlen);
void kf_options_defaults(kf_options *opts);
/* The options in force: KFAULT_OPTIONS, read once on first use; a bad value is fatal. */
const kf_options *kf_options_get(void);
/* Replaces the options in force (tests and harness), re-applying the profile. */
int kf_options_set(const char *text, char *err, size_t errlen);
/* Prints the option table (name, type, default, help). */
void kf_options_print_help(void *file /* FILE* */);
/* Number of options and each one's metadata, for tools that list them. */
typedef struct kf_option_info { const char *name, *type, *def, *help; } kf_option_info;
size_t kf_option_count(void);
const kf_option_info *kf_option_at(size_t i);

/* ---- Fault sites and the fault hook ------------------------------------------------ */
typedef enum kf_site {
#define KF_SITE(id, name, routine, what, kind) KF_SITE_##id,
#include "fault_sites.def"
#undef KF_SITE
    KF_SITE_COUNT
} kf_site;

typedef struct kf_site_info {
    kf_site id;
    const char *name, *routine, *what;
    kf_fault_kind kind;
} kf_site_info;

const kf_site_info *kf_site_get(kf_site site);
/* Looks a site up by its stable name; -1 when unknown. */
int kf_site_lookup(const char *name);

/* Asked at every fault site: return KF_FAULT_NONE to let the allocation succeed. */
typedef kf_fault_kind (*kf_fault_hook_fn)(void *ctx, kf_site site);
/* NULL restores the built-in hook (fail_nth from the options). */
void kf_set_fault_hook(kf_fault_hook_fn fn, void *ctx);
/* What the model calls at a fault site: counts, asks the hook, counts the injection. */
kf_fault_kind kf_fault_consult(kf_site site);

typedef struct kf_fault_stats {
    unsigned long long consulted[KF_SITE_COUNT];
    unsigned long long injected[KF_SITE_COUNT];
    unsigned long long total_consulted, total_injected;
} kf_fault_stats;
const kf_fault_stats *kf_fault_get_stats(void);
void kf_fault_reset_stats(void);

/* ---- Stops: bug checks and contract violations ------------------------------------- */
typedef enum kf_violation {
#define KF_VIOLATION(id, code, name, what) KF_VIOL_##id = code,
#include "violations.def"
#undef KF_VIOLATION
} kf_violation;

typedef struct kf_stop {
    ULONG code;                  /* bug check code */
    ULONG_PTR param[4];
    const char *routine;         /* the routine that stopped (static string) */
    char reason[256];            /* one sentence */
} kf_stop;

const char *kf_bugcheck_name(ULONG code);
/* Name and sentence of a violation code; NULL when unknown. */
const char *kf_violation_name(ULONG code);
const char *kf_violation_what(ULONG code);
/* Formats the stop report a person reads (code, name, parameters, routine, reason). */
void kf_stop_format(const kf_stop *s, char *buf, size_t len);

/* Raises a contract violation (a stop with DRIVER_VERIFIER_DETECTED_VIOLATION). */
_Noreturn void kf_violation_stop(kf_violation v, const char *routine, ULONG_PTR p2, ULONG_PTR p3,
                                 ULONG_PTR p4, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 6, 7)));
/* A bug check with the routine and reason that caused it. */
_Noreturn void kf_bugcheck(const char *routine, ULONG code, ULONG_PTR p1, ULONG_PTR p2,
                           ULONG_PTR p3, ULONG_PTR p4, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 7, 8)));

/* Runs fn(arg). A stop inside it (at any callout depth, on any stack) unwinds back here:
 * the thread's callouts, stacks and exception handlers are torn down, IRQL returns to what
 * it was at entry, *out receives the stop, and 1 is returned. 0 when fn returned normally.
 * Without such a guard a stop prints its report and aborts (so a fuzzer keeps the input). */
int kf_guarded_call(void (*fn)(void *), void *arg, kf_stop *out);

/* ---- Simulated threads, IRQL and the modeled stack --------------------------------- */
/* Resets the current simulated thread and the fault statistics for a new run: IRQL
 * PASSIVE_LEVEL, a full kernel stack of the profile's size, no callouts, no handlers.
 * Frees what the last run left behind (and counts it: see kf_leaks). */
void kf_reset(void);

/* Sets the modeled remaining stack of the current stack (clamped to the stack's size). */
void kf_set_remaining_stack(SIZE_T remaining);
/* Gives the current thread a large kernel stack (KERNEL_LARGE_STACK_SIZE), as GUI threads. */
void kf_set_large_stack(BOOLEAN large);
/* Consumes modeled stack for the duration of fn(arg) (as a deep call chain would). */
void kf_with_stack_consumed(SIZE_T bytes, void (*fn)(void *), void *arg);
/* Sets the IRQL directly, bypassing KeRaiseIrql's rules (harness setup only). */
void kf_set_irql(KIRQL irql);

/* Runs start(ctx) as a system thread: PsTerminateSystemThread inside it ends it and its
 * status is returned; a normal return gives STATUS_SUCCESS. */
NTSTATUS kf_run_system_thread(void (*start)(void *), void *ctx);

/* How the last expansion of the current thread went, for the harness to check. */
typedef enum kf_expand_path {
    KF_PATH_NONE,       /* failed or stopped before the callout */
    KF_PATH_IN_PLACE,   /* the current stack had Size bytes free */
    KF_PATH_GROWN,      /* the current stack was grown to a large stack */
    KF_PATH_SEGMENT     /* a new stack segment */
} kf_expand_path;

typedef struct kf_expand_record {
    kf_expand_path path;
    NTSTATUS status;
    unsigned callout_calls;        /* how often the callout ran (0 or 1) */
    SIZE_T size;                   /* Size asked for */
    SIZE_T modeled_remaining_in;   /* IoGetRemainingStackSize at callout entry */
    SIZE_T real_stack_granted;     /* bytes of real stack the callout ran on */
    SIZE_T real_stack_used;        /* high-water mark of the callout's real stack */
    KIRQL irql_before, irql_in_callout, irql_after_callout;
    BOOLEAN waited;                /* a transient shortage was waited out */
} kf_expand_record;
/* The record of the most recently completed (or failed) expansion on this thread. */
const kf_expand_record *kf_last_expand(void);

/* Number of expanded callouts active on this thread now. */
unsigned kf_callout_depth(void);
/* Real stack segments taken from the cache and not yet returned (a leak when non-zero
 * between runs). */
size_t kf_segments_in_use(void);
/* System calls made for stack segments since start (mmap/munmap/mprotect): stays flat in
 * a steady stream of expansions. */
unsigned long long kf_segment_syscalls(void);
/* Faults that opened closed pages of a segment (each also counts in kf_segment_syscalls): a
 * callout that reaches deeper than the callouts before it on that segment. */
unsigned long long kf_segment_opens(void);

/* What the last run left behind, counted by kf_reset (and by kf_leaks before a reset). */
typedef struct kf_leak_report {
    size_t pool_blocks;
    size_t segments;
    size_t callback_data;   /* Filter Manager callback data still allocated */
    /* Objects and handles (model/src/object.c) */
    size_t handles;         /* handles still open (registry keys included) */
    size_t objects;         /* object references the driver took and did not release */
    /* Pool, lookaside lists and system services (model/src/pool.c, system.c). */
    size_t lookaside_lists; /* lookaside lists initialized and not deleted */
    size_t work_items;      /* IoAllocateWorkItem items not freed, IoInitializeWorkItem items not uninitialized */
    size_t work_queued;     /* work items queued and not run */
    size_t mdls;            /* IoAllocateMdl MDLs not freed */
    /* The base layer as one model: of pool_blocks, the buffers Rtl routines allocated for the
     * caller (RtlAnsiStringToUnicodeString, RtlDuplicateUnicodeString, ...) and the caller did
     * not give to RtlFreeUnicodeString / RtlFreeAnsiString: pool from the driver's view. */
    size_t rtl_strings;
    size_t flt_ports;       /* Filter Manager server ports open, client ports not closed, security descriptors not freed */
    size_t flt_work_items;  /* FltAllocateGenericWorkItem / FltAllocateDeferredIoWorkItem items not freed */
    size_t flt_cbdq_entries; /* callback data still in Flt cancel-safe queues */
    /* Filter Manager contexts (model/src/flt_context.c): contexts not yet freed. */
    size_t flt_contexts;
    /* Filter Manager names and object references (model/src/flt_name.c, flt_volume.c). */
    size_t flt_names;       /* file name information references not released */
    size_t flt_object_refs; /* FltObjectReference / FltGetVolumeFromInstance ... references not dereferenced */
    /* Device objects, symbolic links and IRPs (model/src/device.c, SEMANTICS.md D-). */
    size_t device_objects;  /* IoCreateDevice device objects not deleted with IoDeleteDevice */
    size_t symbolic_links;  /* IoCreateSymbolicLink links not deleted with IoDeleteSymbolicLink */
    size_t irps_pending;    /* IRPs kf_io_call_device delivered that were pended and never completed, and IRPs a
                               driver built (IoBuildDeviceIoControlRequest) and never sent or that are still
                               pending below (D-22) */
    /* Extra create parameters (model/src/flt_ecp.c): ECP lists and ECPs the driver allocated and still
     * owns (not handed to a create), and ECP lookaside lists not deleted. */
    size_t flt_ecps;
    /* Data-scan sections (model/src/flt_datascan.c, SEMANTICS.md DS-10): sections not closed with
     * FltCloseSectionForDataScan (each keeps its handle open, counted in handles too) and views not
     * unmapped with ZwUnmapViewOfSection (each keeps a reference on its section, counted in objects). */
    size_t flt_sections;
    size_t flt_views;
} kf_leak_report;
void kf_leaks(kf_leak_report *out);

/* ---- What driver code still holds (the synchronization family, model/src/sync.c) ----- */
/* Locks and regions taken on the current thread and not released: a driver's entry point
 * that returns with any of them is a finding of the harness. */
typedef struct kf_held_report {
    unsigned spin_locks;        /* KeAcquireSpinLock*, in-stack queued spin locks */
    unsigned mutexes;           /* fast and guarded mutexes */
    unsigned resources;         /* ERESOURCE acquisitions (shared or exclusive) */
    unsigned push_locks;        /* Flt push locks */
    unsigned critical_regions;  /* KeEnterCriticalRegion depth (FltAcquireResource* included) */
    unsigned guarded_regions;   /* KeEnterGuardedRegion depth */
    const char *first;          /* the routine that took the oldest one still held (static), or NULL */
} kf_held_report;
void kf_held(kf_held_report *out);
/* Work another thread would do later, for tests and harnesses: fn(ctx) runs when a wait on
 * this thread finds its objects not signaled (the model's pending work, in queue order), at
 * the waiter's IRQL. Returns 0, or -1 when 64 are queued already. kf_reset drops the queue. */
int kf_defer(void (*fn)(void *ctx), void *ctx);
/* Deferred calls still queued. */
unsigned kf_deferred(void);

/* ---- The registry a driver meets (model/src/registry.c) -------------------------------- */
/* Sets or replaces a value under a key of the modeled registry, creating the key and its
 * parents. key_path is the kernel's form (\Registry\Machine\System\CurrentControlSet\
 * Services\Name), compared case-insensitively as Windows does; names are ASCII. Returns 0,
 * or -1 when the host has no memory for it. kf_reset empties the registry. */
int kf_registry_set_value(const char *key_path, const char *value_name, ULONG type, const void *data,
                          ULONG size);

/* ---- Objects, handles and the registry's driver keys (object.c, registry.c) ------------------ */
/* The process the driver's code runs in. FALSE (the default after kf_reset): the system
 * process, as in DriverEntry, system threads and work items. TRUE: an arbitrary user process,
 * as a dispatch routine or a minifilter callback runs in the context of the thread that sent
 * the request. A handle opened without OBJ_KERNEL_HANDLE belongs to the process it was opened
 * in; referencing one as KernelMode in a user process is Driver Verifier's 0xF6 (rule B-9). */
void kf_set_user_process_context(BOOLEAN user);
/* Harness-declared objects (a FILE_OBJECT the harness owns): records that the driver holds one
 * reference on `object` that the harness gave it, so that the driver may drop it (rule B-5). */
void kf_object_give_reference(void *object);
/* Checks the handle's granted access also for kernel-mode callers (Zw* routines), which
 * Windows skips: a handle opened with too little access then fails with STATUS_ACCESS_DENIED
 * (rule G-6). Off after kf_reset. */
void kf_set_strict_handle_access(BOOLEAN strict);
/* The service name (the last component of the service key, e.g. "MyFilter") the model uses
 * for IoOpenDriverRegistryKey when the DRIVER_OBJECT carries no DriverExtension->ServiceKeyName
 * (rule G-14). NULL clears it; kf_reset clears it. Returns -1 when the name is too long. */
int kf_registry_set_service_name(const char *service_name);
/* ---- Pool, lookaside lists and system services (model/src/pool.c, system.c) -------- */
/* Describes the pool blocks outstanding now, one line each, oldest first: the tag as the
 * debugger shows it (4 characters), the size, the allocating routine and the allocation
 * site (symbolized when the sanitizer runtime is linked in, else the routine's name).
 * Writes at most len bytes (NUL-terminated); returns the number of blocks. For people only:
 * the site is a host address turned into text, never part of a trace or a decision. */
size_t kf_pool_describe_leaks(char *buf, size_t len);
/* The oldest outstanding block: 1 and its tag, size and allocating routine (static string),
 * and its site as kf_pool_describe_leaks writes it (site may be NULL); 0 when none. */
int kf_pool_first_leak(ULONG *tag, SIZE_T *size, const char **routine, char *site, size_t site_len);
/* Turns on (1, the default) or off (0) the check that pool is freed at an IRQL its kind
 * allows (SEMANTICS.md P-12). The scenario runner turns it off for its own runs (its oracle
 * predates the rule); the setting stays across kf_reset. */
void kf_pool_check_free_irql(int on);
/* Runs the queued work items (IoQueueWorkItem) in queue order at PASSIVE_LEVEL, including
 * those queued while they run; returns how many ran. */
int kf_run_work_items(void);
/* The modeled clock (KeQuerySystemTime, KeQueryInterruptTime, KeQueryTickCount): 100 ns
 * units since the run began; it advances only by modeled events (see SEMANTICS.md Y-4). */
ULONGLONG kf_clock_now(void);
/* ---- User-mode buffers a driver probes (model/src/lang.c, SEMANTICS.md L-6) ------------ */
/* Host pointers do not follow Windows' address layout, so the model's user address space is
 * the set of buffers a harness declares here: ProbeForRead accepts a range inside one of
 * them, ProbeForWrite one inside a writable one; anything else raises
 * STATUS_ACCESS_VIOLATION. Returns 0, or -1 when the table (64 buffers) is full. kf_reset
 * forgets them all. */
int kf_user_buffer_add(const void *address, size_t length, int writable);
void kf_user_buffers_clear(void);

/* ---- The base layer as one model (integration of the families) ------------------------- */
/* Whether the check of kf_pool_check_free_irql is on now (1) or off (0). */
int kf_pool_free_irql_checked(void);
/* A pool tag as the debugger shows it: its four bytes in memory order, each one outside
 * printable ASCII as '.'; out receives 4 characters and a NUL. */
void kf_pool_tag_text(ULONG tag, char out[5]);
/* As kf_run_work_items, but runs at most max items (max < 0: no limit), so that a harness can
 * drain the queue without looping forever on a work item that queues itself again each time
 * until the driver's unload tells it to stop. Returns how many ran. */
int kf_run_work_items_max(int max);

/* ---- Device objects and the IRPs their dispatch routines get (model/src/device.c, D-) ---------- */
struct _DEVICE_OBJECT;
struct _DRIVER_OBJECT;
struct _FILE_OBJECT;
/* One request the I/O manager sends to a device, as an application's CreateFile, ReadFile,
 * WriteFile, DeviceIoControl, CloseHandle would: the fields a major function does not use are
 * ignored. Buffers are the caller's (the "user" buffers): for buffered I/O the model copies input
 * into a system buffer of its own and copies the output back when the IRP completes; for
 * METHOD_NEITHER and neither-buffered-nor-direct reads and writes the driver gets the pointers
 * themselves. Direct I/O (DO_DIRECT_IO, METHOD_IN_DIRECT / METHOD_OUT_DIRECT) is not modeled. */
typedef struct kf_io_request {
    UCHAR major;                      /* IRP_MJ_* */
    UCHAR minor;                      /* IRP_MN_* */
    UCHAR flags;                      /* IO_STACK_LOCATION.Flags (SL_*) */
    KPROCESSOR_MODE requestor_mode;   /* KernelMode (0, the default) or UserMode (1) */
    struct _FILE_OBJECT *file_object; /* the open file; NULL: a file object of the model's for this call */
    ACCESS_MASK desired_access;       /* IRP_MJ_CREATE: IO_SECURITY_CONTEXT.DesiredAccess */
    ULONG create_options;             /* IRP_MJ_CREATE: Parameters.Create.Options (disposition << 24 | options) */
    USHORT share_access;              /* IRP_MJ_CREATE */
    ULONG ioctl;                      /* IRP_MJ_(INTERNAL_)DEVICE_CONTROL: the I/O control code */
    void *input;                      /* device control input; write data */
    ULONG input_length;
    void *output;                     /* device control output; read buffer */
    ULONG output_length;
    LONGLONG byte_offset;             /* IRP_MJ_READ / IRP_MJ_WRITE */
} kf_io_request;
typedef struct kf_io_result {
    NTSTATUS returned;                /* what the dispatch routine returned */
    NTSTATUS status;                  /* IoStatus.Status at completion (STATUS_PENDING while pending) */
    ULONG_PTR information;            /* IoStatus.Information at completion */
    unsigned serial;                  /* the IRP's number in the run (1, 2, ...) */
    BOOLEAN completed;                /* the driver completed the IRP (inside the call or before it returned) */
} kf_io_result;
/* Sends `request` to `device` as the I/O manager does: builds an IRP with the device's StackSize
 * stack locations (at least one), calls DriverObject->MajorFunction[major] at the caller's IRQL
 * and checks what the dispatch routine did (rules D-8 .. D-14): completed exactly once, or pended
 * (marked pending and returned STATUS_PENDING; kf_io_irps_pending counts it until it completes).
 * Returns the dispatch routine's status (also in result->returned; result may be NULL), or,
 * without calling the driver, STATUS_NO_SUCH_DEVICE while the device is still initializing
 * (DO_DEVICE_INITIALIZING) and STATUS_INVALID_DEVICE_REQUEST when the driver has no routine for
 * the major function. A device that is not live (never created, or deleted): violation
 * io-invalid-device. A pended IRP's output is copied to request->output when it completes, so
 * that buffer must outlive the IRP. */
NTSTATUS kf_io_call_device(struct _DEVICE_OBJECT *device, const kf_io_request *request, kf_io_result *result);
/* Does what the I/O manager does when the driver's DriverEntry returned success: clears
 * DO_DEVICE_INITIALIZING on every device object the driver created so far. */
void kf_io_driver_loaded(struct _DRIVER_OBJECT *driver);
/* The device object a name opens, as CreateFile does: a device's name, or a symbolic link's name
 * (followed to its target), compared case-insensitively, with \DosDevices\ and \GLOBAL??\ read as
 * \??\; NUL-terminated ASCII. NULL when nothing of that name exists. */
struct _DEVICE_OBJECT *kf_io_open_name(const char *name);
/* Device objects not deleted, symbolic links not deleted, IRPs pended and not completed (kf_leaks). */
size_t kf_io_devices_outstanding(void);
size_t kf_io_symbolic_links_outstanding(void);
size_t kf_io_irps_pending(void);
/* How the storage stack below Filter Manager's volumes (the disk and volume device objects that
 * FltGetDiskDeviceObject and FltGetDeviceObject give) answers a device control IRP a driver built
 * with IoBuildDeviceIoControlRequest and sent with IoCallDriver (D-21): fn gets the control code
 * and the request's buffers (the system buffer for METHOD_BUFFERED, both ways; the caller's buffers
 * for METHOD_NEITHER), returns the final status (STATUS_PENDING is read as
 * STATUS_INVALID_DEVICE_REQUEST) and sets *information (at most output_length; 0 for an error).
 * NULL (the default): every request is answered STATUS_INVALID_DEVICE_REQUEST, Information 0, as a
 * device that supports no such request answers. Stays set across kf_reset. */
typedef NTSTATUS (*kf_io_storage_fn)(void *ctx, ULONG ioctl, const void *input, ULONG input_length, void *output,
                                     ULONG output_length, ULONG_PTR *information);
void kf_io_set_storage_answer(kf_io_storage_fn fn, void *ctx);
/* ---- Files the driver opened (model/src/flt_file.c, SEMANTICS.md FI-*) ---------------------- */
/* The oldest FILE_OBJECT of the modeled file system that still exists (a handle or a reference
 * keeps it): 1 and its full name ("\Device\HarddiskVolume1\dir\a.txt", characters outside
 * printable ASCII as '?', NUL-terminated, at most len bytes) into path; 0 when none is left.
 * For the text of a leak finding: what a leaked handle or file object opened. */
int kf_flt_first_open_file(char *path, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_MODEL_H */
