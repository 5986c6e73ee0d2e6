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
enum { KF_FRAME_SEH = 0, KF_FRAME_BARRIER = 1, KF_FRAME_GUARD = 2, KF_FRAME_THREAD = 3 };
/* SEH frame states. */
enum { KF_SEH_NEW = 0, KF_SEH_IN_TRY = 1, KF_SEH_CAUGHT = 2, KF_SEH_DONE = 3 };
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
void kf__pool_release_all(void);

/* Stops with violation routine-not-modeled naming the routine (not_modeled.c). */
_Noreturn void kf__not_modeled(const char *routine) __attribute__((noreturn));

/* ---- Strings (crt.c, rtl_string.c, strsafe.c, dbgprint.c) --------------------------------- */
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
/* Buffers the Rtl routines allocated for the caller and not yet freed (rtl_string.c): pool the
 * run holds. kf_reset frees and counts them (kf__leaks_at_reset.pool_blocks). */
size_t kf__rtl_strings_outstanding(void);

#endif
