/*
 * internal.h - state and helpers shared by the model's source files; never installed.
 *
 * One simulated thread per host thread (thread-local), holding IRQL, the modeled stack,
 * the chain of handler / callout / guard frames and the record of the last expansion.
 * Nothing here may depend on the harness: the model only asks the fault hook.
 */
#ifndef KFAULT_MODEL_INTERNAL_H
#define KFAULT_MODEL_INTERNAL_H

#include "kfault/model.h"
#include <stdio.h>

/* Frame kinds in a thread's chain (kf_seh_frame.kind). */
/* KF_FRAME_WORKER: a work item routine's worker thread: an exception stops its search there
 * (bug check 0x1E) and a stop unwinds through it as through a callout barrier. */
enum { KF_FRAME_SEH = 0, KF_FRAME_BARRIER = 1, KF_FRAME_GUARD = 2, KF_FRAME_THREAD = 3, KF_FRAME_WORKER = 4 };
/* longjmp values. */
enum { KF_JMP_EXCEPTION = 1, KF_JMP_STOP = 2, KF_JMP_TERMINATE = 3 };

/* The modeled kernel stack the thread is running on. */
typedef struct kf_mstack {
    SIZE_T size;        /* modeled size of the current stack */
    SIZE_T remaining;   /* modeled bytes still free */
    ULONG_PTR high;     /* modeled high limit (for IoGetStackLimits) */
    BOOLEAN large;      /* a large stack (cannot grow further) */
} kf_mstack;

typedef struct kf_thread {
    KIRQL irql;
    kf_mstack stack;
    BOOLEAN large_base;          /* the thread's base stack is a large stack */
    kf_seh_frame *frames;        /* innermost frame first */
    unsigned depth;              /* active expanded callouts */
    NTSTATUS exception_code;     /* for GetExceptionCode */
    int unwinding;               /* a stop is travelling to a guard */
    kf_stop stop;                /* the stop in flight / last caught */
    NTSTATUS exit_status;        /* PsTerminateSystemThread's status in flight */
    kf_expand_record last;       /* the last expansion */
    /* Structured exception handling (stop.c, SEMANTICS.md L-1 to L-9). */
    struct kf_dispatch *dispatch; /* innermost exception whose filters are being evaluated */
    struct {
        const char *file;         /* the __except whose __try just ended (kf_seh_handled) */
        int line;
        void *owner;
        int state;
        NTSTATUS code;
    } seh_exit;
} kf_thread;

kf_thread *kf__thread(void);

/* Stack segments (stack.c). */
typedef struct kf_segment kf_segment;
/* Takes a segment with at least `granted` usable bytes; NULL when the host has no memory. */
kf_segment *kf__segment_take(size_t granted, size_t size_asked);
/* Runs fn(arg) on the segment behind a callout barrier. Returns 0 when fn returned, or
 * the longjmp value that unwound it (KF_JMP_STOP). *used gets the high-water mark. */
int kf__segment_run(kf_segment *seg, void (*fn)(void *), void *arg, size_t *used);
void kf__segment_give(kf_segment *seg);

/* Walks the frame chain to the next barrier or guard and longjmps there with a stop. */
_Noreturn void kf__unwind_stop(void) __attribute__((noreturn));
/* Reports a stop: unwinds to a guard when one is active, else prints and aborts. */
_Noreturn void kf__stop(const kf_stop *s) __attribute__((noreturn));
void kf__frame_push(kf_seh_frame *f, int kind);
void kf__frame_pop(kf_seh_frame *f);
int kf__has_frame(int kind);

/* Profile rule helpers (options.c). */
ULONG_PTR kf__stack_high_base(void);

/* Reset hooks of the model's parts (kernel.c calls them from kf_reset). */
typedef void (*kf_reset_fn)(void);
void kf__register_reset(kf_reset_fn fn);
/* Deferred work the model owns (queued work items, completions): a part registers a runner
 * that runs what is due and returns nonzero when it ran anything. kf__run_pending runs every
 * runner once, in registration order, and returns nonzero when any of them ran something;
 * a wait calls it before judging itself hopeless. */
typedef int (*kf_pending_fn)(void);
void kf__register_pending(kf_pending_fn fn);
int kf__run_pending(void);
/* Leak counters filled by the parts' reset hooks. */
extern kf_leak_report kf__leaks_at_reset;
size_t kf__pool_outstanding(void);
/* Set by the Filter Manager part: callback data its driver still holds. */
extern size_t (*kf__callback_data_outstanding)(void);
/* Set by the Filter Manager port part (flt_port.c): ports and descriptors still open. */
extern size_t (*kf__flt_ports_outstanding)(void);
extern size_t (*kf__flt_work_outstanding)(void);
extern size_t (*kf__flt_cbdq_outstanding)(void);
void kf__pool_release_all(void);

/* Stops with violation routine-not-modeled naming the routine (not_modeled.c). */
_Noreturn void kf__not_modeled(const char *routine) __attribute__((noreturn));

/* ---- Objects and handles (object.c; SEMANTICS.md B-*) --------------------------------------
 * Objects the model creates carry a record (type, reference count, handle count) kept in a
 * table keyed by the object's address: nothing is ever read through a pointer a driver hands
 * in. References are counted in three parts: those the model itself holds (kf__object_ref,
 * kf__object_create), those of open handles, and those the driver holds (ObReference*). A
 * driver that drops more than it holds is stopped; what it still holds at kf_reset is a leak.
 * The object part's reset frees every object and forgets every handle: other parts must only
 * forget their objects in their own reset hooks, never dereference them there. */
struct _OBJECT_TYPE {
    const char *name;                 /* "File", "Key", ... */
    void (*delete_fn)(void *body);    /* called when the last reference goes (may be NULL) */
    ACCESS_MASK generic[4];           /* GENERIC_READ, _WRITE, _EXECUTE, _ALL mapped */
    ACCESS_MASK all_access;           /* MAXIMUM_ALLOWED grants this */
};
extern struct _OBJECT_TYPE kf__type_file, kf__type_device, kf__type_driver, kf__type_process,
    kf__type_thread, kf__type_event, kf__type_semaphore, kf__type_token, kf__type_key;
/* A new object of `size` zeroed bytes with one reference held by the model (released with
 * kf__object_deref, or handed to the driver with kf__object_give). NULL only when the host
 * has no memory: the caller consults its own fault site first. */
void *kf__object_create(struct _OBJECT_TYPE *type, size_t size, const char *name);
void kf__object_ref(void *object);
/* Drops a model-held reference; an address the table does not know is ignored. */
void kf__object_deref(void *object);
/* The model's reference becomes the driver's (a routine that returns a referenced object). */
void kf__object_give(void *object);
/* The object's type, or NULL for an address the model did not create. */
struct _OBJECT_TYPE *kf__object_type(const void *object);
/* The user process's id (PsGetCurrentProcessId in a user process's context; the System process is 4). */
#define KF__USER_PROCESS_ID 0x1A4u
/* The modeled process of that id, or NULL (data-scan sections' ZwOpenProcess). */
void *kf__process_of_id(ULONG_PTR id);
/* Closes every open handle to object (its owner closing them, no stop); returns how many. */
size_t kf__object_close_handles(void *object);
/* The modeled current process and thread (permanent objects at modeled addresses). */
void *kf__current_process(void);
void *kf__current_thread(void);
/* Maps GENERIC_* and MAXIMUM_ALLOWED through the type's mapping. */
ACCESS_MASK kf__map_access(const struct _OBJECT_TYPE *type, ACCESS_MASK desired);
/* A handle to `object` (one handle reference taken): a kernel handle when attributes hold
 * OBJ_KERNEL_HANDLE and mode is KernelMode, else a handle of the current process. Consults
 * site ob.handle: STATUS_INSUFFICIENT_RESOURCES, *out untouched, on an injected failure. */
NTSTATUS kf__handle_create(void *object, ACCESS_MASK granted, ULONG attributes, KPROCESSOR_MODE mode,
                           HANDLE *out);
/* Resolves a handle as ObReferenceObjectByHandle does (rules B-*: stops included) without
 * taking a reference. `type` NULL accepts any type. With check_access, `desired` must be
 * within the granted access (STATUS_ACCESS_DENIED). *granted may be NULL. */
NTSTATUS kf__handle_lookup(const char *routine, HANDLE handle, ACCESS_MASK desired, struct _OBJECT_TYPE *type,
                           KPROCESSOR_MODE mode, int check_access, void **object, ACCESS_MASK *granted);
/* Handles still open and object references the driver still holds (kf_leaks). */
void kf__object_leaks(size_t *handles, size_t *objects);
/* Whether a kernel-mode caller's handle access is checked (kf_set_strict_handle_access). */
int kf__strict_handle_access(void);
/* Whether the driver runs in a user process now (kf_set_user_process_context). */
int kf__user_context(void);
/* The IRQL rule of PASSIVE_LEVEL routines (B-12): bug check 0xA at DISPATCH_LEVEL and above,
 * violation passive-routine-at-apc-level at APC_LEVEL. */
void kf__irql_passive(const char *routine);
/* ---- Pool, lookaside lists and system services (pool.c, system.c) ---- */
/* Fills the leak counters of pool.c and system.c (lookaside lists, work items, MDLs). */
void kf__pool_leaks(kf_leak_report *out);
size_t kf__lookaside_outstanding(void);
/* ExInitializeDriverRuntime(DrvRtPoolNxOptIn) on Windows 8 or later: executable nonpaged
 * pool is a violation from then on in the run. */
void kf__pool_set_nx_required(int on);
/* The stub of a routine in not_modeled.def, by name; NULL when it is not one (system_names.c). */
PVOID kf__not_modeled_address(const char *name);
/* ---- Synchronization (sync.c, wait.c) ------------------------------------------------ */
/* What a thread can hold, in the order kf_held reports them. */
enum {
    KF__HELD_SPIN, KF__HELD_QSPIN, KF__HELD_DISPATCHER, KF__HELD_FAST, KF__HELD_FAST_UNSAFE,
    KF__HELD_GUARDED, KF__HELD_KMUTEX, KF__HELD_RESOURCE, KF__HELD_PUSH, KF__HELD_CRITICAL,
    KF__HELD_GUARDED_REGION, KF__HELD_EVENT, KF__HELD_SEMAPHORE, KF__HELD_KINDS
};
/* The run's generation (kf_reset starts a new one): ownership stamped by an older one is void. */
ULONG_PTR kf__sync_generation(void);
/* Serial numbers of objects by kind, restarting each run (reports name objects by them). */
ULONG kf__sync_serial(int kind);
/* The thread's holdings, oldest first: add one, drop the most recent of a kind (and object,
 * unless NULL; 1 when found), ask whether one is held. */
void kf__sync_hold(int kind, const void *obj, const char *routine);
int kf__sync_drop(int kind, const void *obj);
int kf__sync_holds(int kind, const void *obj);
/* Changes the thread's count of disabled normal kernel APCs (normal) or of all APCs. */
void kf__sync_apc_disable(int normal, int delta);
/* Stops when a KeSetEvent / KeReleaseMutex / KeReleaseSemaphore with Wait TRUE is not
 * followed at once by a wait: every synchronization routine but the waits calls it. */
void kf__wait_check_signal(const char *routine);
/* ---- Strings (crt.c, rtl_string.c, strsafe.c, dbgprint.c) --------------------------------- */
/* For code that only counts what a run left behind (called on every run by the harness): no
 * coverage instrumentation, whose comparison callbacks cost more than the loop itself and tell
 * the fuzzer nothing about the driver. */
#if defined(__clang__) && __clang_major__ >= 13
#define KF__NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define KF__NO_COVERAGE
#endif
#include <stdarg.h>
/* The model's case table (ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic, fullwidth
 * Latin): RtlUpcaseUnicodeChar / RtlDowncaseUnicodeChar and every case-insensitive Rtl compare. */
WCHAR kf__upcase(WCHAR c);
WCHAR kf__downcase(WCHAR c);
/* One UTF-16 code unit as an ANSI byte: U+0000..U+00FF as is (Latin-1), anything else '?'. */
char kf__wide_to_ansi(WCHAR c);
/* The one formatter of DbgPrint, the wide CRT and ntstrsafe (rules C-9 .. C-13). fmt is a char or a WCHAR
 * string (KF_FMT_WIDE_FMT: %s and %c then take wide arguments, as the Microsoft CRT's wide
 * printf); out receives char or WCHAR units (KF_FMT_WIDE_OUT), at most cap of them and no
 * terminating NUL. Returns the number of units of the whole result. KF_FMT_DBGPRINT applies
 * DbgPrint's rule that Unicode conversions need PASSIVE_LEVEL. Stops on floating-point
 * conversions, %n, unknown conversions and malformed counted-string arguments, naming routine. */
enum { KF_FMT_WIDE_OUT = 1, KF_FMT_WIDE_FMT = 2, KF_FMT_DBGPRINT = 4 };
size_t kf__vformat(const char *routine, unsigned flags, void *out, size_t cap, const void *fmt, va_list ap);
/* Stops with violation rtl-malformed-string when s breaks INV-U-1 (Length > MaximumLength, odd
 * Length, or a NULL Buffer with a Length); what names the argument. */
void kf__check_unicode_string(const char *routine, const UNICODE_STRING *s, const char *what);
/* The same rule for an ANSI_STRING / STRING (Length at most MaximumLength, a Buffer when Length). */
void kf__check_ansi_string(const char *routine, const STRING *s, const char *what);
/* Buffers the Rtl routines allocated for the caller and not yet freed (rtl_string.c): pool the
 * run holds. kf_reset frees and counts them (kf__leaks_at_reset.pool_blocks). */
size_t kf__rtl_strings_outstanding(void);
/* ---- The base layer as one model ------------------------------------------------------------ */
/* Advances the modeled clock (system.c) by the time a blocked thread spends: a relative
 * (negative) interval by its length, an absolute one to it when it is later than now. Used by
 * KeDelayExecutionThread and by a wait whose finite timeout expires. */
void kf__clock_pass(const LARGE_INTEGER *interval);
/* MmGetSystemRoutineAddress's table of modeled routines (system.c): entry i's name, address,
 * first OS, and whether Server 2003 amd64 has it too. */
size_t kf__system_routine_count(void);
const char *kf__system_routine(size_t i, PVOID *address, kf_os *min_os, int *ws03_amd64);
/* The IRQL rule most routines share (kernel.c): above max, bug check IRQL_NOT_LESS_OR_EQUAL
 * (0xA), Parameter1 max, Parameter2 the current IRQL, naming the routine. */
void kf__irql_at_most(const char *routine, KIRQL max);

/* Set by the Filter Manager contexts part (flt_context.c): contexts not yet freed. */
extern size_t (*kf__flt_contexts_outstanding)(void);
/* Filter Manager names and object references (flt_name.c, flt_volume.c set these; kf_leaks reads). */
extern size_t (*kf__flt_names_outstanding)(void);
extern size_t (*kf__flt_object_refs_outstanding)(void);
/* Extra create parameters (flt_ecp.c sets it; kf_leaks reads): ECP lists, ECPs and ECP lookaside
 * lists the driver still owns. */
extern size_t (*kf__flt_ecps_outstanding)(void);
extern size_t (*kf__flt_sections_outstanding)(void);
extern size_t (*kf__flt_views_outstanding)(void);

/* ---- Device objects (device.c) and Filter Manager objects (flt_objects.c) ---------------------- */
/* Set by device.c: device objects and symbolic links not deleted, IRPs pended and not completed. */
extern size_t (*kf__io_devices_outstanding)(void);
extern size_t (*kf__io_symbolic_links_outstanding)(void);
extern size_t (*kf__io_irps_pending)(void);
/* Pool aligned to `align` bytes (a power of two, at least 16) for FltAllocatePoolAlignedWithTag
 * (pool.c): the checks of the POOL_TYPE routines (type, IRQL, tag), but a size of 0 is allowed
 * and gives `align` bytes; asks `site`. The block is pool (kf_leaks counts it) that only
 * kf__pool_free_aligned frees, with the same `owner` (the instance): ExFreePool(WithTag) of it,
 * or kf__pool_free_aligned of other pool, is violation flt-aligned-pool-mismatch. */
/* Set by flt_objects.c: the drive letter ('C' + volume index) of a device object of a modeled
 * volume, or 0 (device.c's IoVolumeDeviceToDosName asks it). */
extern int (*kf__io_volume_letter)(const void *device);
PVOID kf__pool_alloc_aligned(const char *routine, ULONG type, SIZE_T n, ULONG tag, SIZE_T align, const void *owner,
                             kf_site site, void *caller);
void kf__pool_free_aligned(const char *routine, PVOID p, ULONG tag, const void *owner);

/* ---- Fault plans without the harness (fault.c, SEMANTICS.md PL-) ---------------------------- */
/* 1 when the program contains the harness's plans (harness/fault_plan.c). */
int kf__harness_plans_linked(void);
/* Configures the built-in plans from the options in force and starts them afresh. */
void kf__fault_plan_apply(const kf_options *o);
/* Refuses, with a sentence naming the option, plan options that could not act in a program
 * without the harness; given(name, ctx) says whether the options text named that option.
 * 0 (nothing to refuse) in a program with the harness, which checks its own plans. */
int kf__fault_plan_check(const kf_options *o, int (*given)(const char *name, const void *ctx), const void *ctx,
                         char *err, size_t errlen);

/* ---- What Filter Manager's dispatch (flt_dispatch.c) asks of the base layer ---------------- */
/* system.c: whether m is an MDL IoAllocateMdl returned and IoFreeMdl has not freed. */
int kf__mdl_live(const void *m);
/* An MDL for a buffer in system space that the memory manager or the I/O manager builds itself
 * (a paging request's pages): no fault site is asked; freed with IoFreeMdl. NULL without memory. */
struct _MDL *kf__mdl_for_system_buffer(PVOID va, ULONG length);
/* pool.c: whether p is the start of an outstanding pool block. */
int kf__pool_block_live(const void *p);
/* object.c: references on the object held by anyone but the model (the driver's, handles). */
long kf__object_other_refs(const void *object);
/* cmp_hook.c: tells the fuzzing engine (libFuzzer's comparison hook, when linked) that the driver
 * compared a (an code units) with b (bn code units) at pc; never changes the comparison. */
void kf__cmp_hook(void *pc, const WCHAR *a, size_t an, const WCHAR *b, size_t bn);

#endif
