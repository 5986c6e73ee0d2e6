/*
 * kfault/seh.h - structured exception handling for driver code compiled in user mode:
 * __try / __except / __finally / __leave, GetExceptionCode, GetExceptionInformation,
 * AbnormalTermination, the old keyword names (try, except, finally, leave) for C, and
 * ProbeForRead / ProbeForWrite. Rules L-1 to L-9 of model/SEMANTICS.md.
 *
 * Included by wdm.h. Built on setjmp and GNU C (local labels, the cleanup attribute): an
 * exception is dispatched in Windows' two phases (every filter from the innermost outward
 * first, then the __finally blocks in between, then the handler), never across a callout
 * barrier. Must stay free of anything a driver could not also find in a WDK header, except
 * the kf_seh_* helpers the macros expand to.
 */
#ifndef KFAULT_SEH_H
#define KFAULT_SEH_H

#include "nt_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Exception records, as the WDK declares them ------------------------------------ */
#define EXCEPTION_NONCONTINUABLE 0x1
#define EXCEPTION_UNWINDING 0x2
#define EXCEPTION_EXIT_UNWIND 0x4
#define EXCEPTION_STACK_INVALID 0x8
#define EXCEPTION_NESTED_CALL 0x10
#define EXCEPTION_TARGET_UNWIND 0x20
#define EXCEPTION_COLLIDED_UNWIND 0x40
#define EXCEPTION_MAXIMUM_PARAMETERS 15

typedef struct _EXCEPTION_RECORD {
    NTSTATUS ExceptionCode;
    ULONG ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    ULONG NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

/* The processor context is architecture-specific and is not modeled: ContextRecord is NULL. */
typedef struct _CONTEXT CONTEXT, *PCONTEXT;

typedef struct _EXCEPTION_POINTERS {
    PEXCEPTION_RECORD ExceptionRecord;
    PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;

#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

/* ---- The frame every __try keeps (internal: the macros below use it) ---------------- */
typedef struct kf_seh_frame {
    jmp_buf jb;
    struct kf_seh_frame *prev;
    int kind;     /* internal */
    int state;    /* internal */
    NTSTATUS code;
    int type;     /* internal: __except or __finally, learnt on the first pass */
    int abnormal; /* a __finally block runs for an exception */
    int fin_ended;
    struct kf_seh_frame *target; /* the __except an unwind through this __finally goes to */
    void *owner;          /* frame address of the function holding the __try */
    const char *file;     /* where its __except is */
    int line;
    size_t pad;           /* stack its filter must leave below itself (set by the dispatcher) */
} kf_seh_frame;
#define KF_SEH_FILTERING 5 /* the state in which the frame's filter runs */

int kf_seh_enter(kf_seh_frame *f);
void kf_seh_cleanup(kf_seh_frame *f);
int kf_seh_body(kf_seh_frame *f);
void kf_seh_body_end(kf_seh_frame *f);
int kf_seh_filtering(kf_seh_frame *f, const char *file, int line);
_Noreturn void kf_seh_filter_done(kf_seh_frame *f, long disposition) __attribute__((noreturn));
void kf_seh_pad_use(volatile char *pad);
int kf_seh_handled(const char *file, int line, void *owner);
int kf_seh_finally(kf_seh_frame *f);
int kf_seh_finally_once(kf_seh_frame *f);
void kf_seh_finally_next(kf_seh_frame *f);
NTSTATUS kf_seh_code(void);
PEXCEPTION_POINTERS kf_seh_info(void);
int kf_seh_abnormal(void);

/*
 * __try BODY __except (FILTER) HANDLER      __try BODY __finally BLOCK
 *
 * One `for` holds the frame (popped by the cleanup attribute however its scope is left).
 * A longjmp lands on the `if (setjmp ...)`. To evaluate a filter it goes straight to the
 * filter, calling nothing before it has moved the stack pointer below the raise point (the
 * pad), so the frames the exception came through, whose __finally blocks may still have to
 * run, survive the search, as on Windows. Every other landing goes round the loop, where
 * kf_seh_enter decides from the frame's state what runs next: the first pass only learns
 * which of __except / __finally follows; then BODY; a __finally BLOCK; the end. The __except
 * HANDLER sits after the loop, so break, continue, return and goto in it behave exactly as
 * in MSVC. BODY is a block with a local label at its end: __leave is a plain goto to it
 * (locals keep their values).
 */
#define __try                                                                              \
    for (kf_seh_frame _kf_seh_frame __attribute__((cleanup(kf_seh_cleanup))) =             \
             {.kind = 0, .owner = __builtin_frame_address(0)};                             \
         kf_seh_enter(&_kf_seh_frame);)                                                    \
        if (setjmp(_kf_seh_frame.jb) != 0 && _kf_seh_frame.state != KF_SEH_FILTERING)     \
            (void)0;                                                                       \
        else if (_kf_seh_frame.state != KF_SEH_FILTERING && kf_seh_body(&_kf_seh_frame)) { \
            __label__ _kf_seh_leave;

#define __except(...)                                                                      \
    _kf_seh_leave: __attribute__((unused));                                                \
        kf_seh_body_end(&_kf_seh_frame);                                                   \
        }                                                                                  \
        else if (_kf_seh_frame.state == KF_SEH_FILTERING ||                                \
                 kf_seh_filtering(&_kf_seh_frame, __FILE__, __LINE__))                     \
            for (char _kf_seh_pad[_kf_seh_frame.pad];;)                                    \
                kf_seh_filter_done(&_kf_seh_frame,                                         \
                                   (kf_seh_pad_use(_kf_seh_pad), (long)(__VA_ARGS__)));    \
    if (!kf_seh_handled(__FILE__, __LINE__, __builtin_frame_address(0)))                   \
        (void)0;                                                                           \
    else

#define __finally                                                                          \
    _kf_seh_leave: __attribute__((unused));                                                \
        kf_seh_body_end(&_kf_seh_frame);                                                   \
        }                                                                                  \
        else if (kf_seh_finally(&_kf_seh_frame))                                           \
            for (; kf_seh_finally_once(&_kf_seh_frame); kf_seh_finally_next(&_kf_seh_frame))

#define __leave goto _kf_seh_leave

#define _try __try
#define _except __except
#define _finally __finally
#define _leave __leave

#define GetExceptionCode() kf_seh_code()
#define _exception_code() kf_seh_code()
#define GetExceptionInformation() kf_seh_info()
#define _exception_info() kf_seh_info()
#define AbnormalTermination() kf_seh_abnormal()
#define _abnormal_termination() kf_seh_abnormal()

/* The old names, as sehmap.h maps them (C only: try is a C++ keyword). A C driver that
 * includes only ntifs.h meets them, as the file system samples expect. */
#ifndef __cplusplus
#undef try
#undef except
#undef finally
#undef leave
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif

/* ---- Raising, and probing user buffers ------------------------------------------------ */
NTSYSAPI DECLSPEC_NORETURN VOID ExRaiseStatus(NTSTATUS Status);
NTKERNELAPI DECLSPEC_NORETURN VOID ExRaiseAccessViolation(VOID);
NTKERNELAPI DECLSPEC_NORETURN VOID ExRaiseDatatypeMisalignment(VOID);
NTKERNELAPI VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment);
NTKERNELAPI VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment);

/* The first address above user space on the architecture the driver is compiled for
 * (MmUserProbeAddress; on a real system a kernel variable). Host pointers do not follow
 * Windows' layout, so the model decides what is user memory by the buffers a harness
 * declares (kf_user_buffer_add), not by comparing with this value. */
#if defined(_AMD64_) || defined(_ARM64_)
#define MM_USER_PROBE_ADDRESS ((ULONG_PTR)0x00007FFFFFFF0000ull)
#else
#define MM_USER_PROBE_ADDRESS ((ULONG_PTR)0x7FFF0000ul)
#endif
#define MM_HIGHEST_USER_ADDRESS ((PVOID)(MM_USER_PROBE_ADDRESS - 1))
#define MM_LOWEST_USER_ADDRESS ((PVOID)(LONG_PTR)0x10000)

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_SEH_H */
