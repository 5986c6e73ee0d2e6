/*
 * kfault/seh.h - __try / __except / GetExceptionCode for driver code compiled in user mode.
 *
 * Included by wdm.h. Built on setjmp: ExRaiseStatus unwinds to the innermost handler of the
 * current simulated thread, never across a stack switch (a callout boundary stops it first).
 * Must stay free of anything a driver could not also find in a WDK header.
 */
#ifndef KFAULT_SEH_H
#define KFAULT_SEH_H

#include "nt_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Structured exception handling for driver code ---------------------------------- */
/* The WDK's __try / __except / GetExceptionCode, built on setjmp: the model's ExRaiseStatus
 * unwinds to the innermost handler of the current thread. A callout is a barrier: an
 * exception that reaches it bug checks KMODE_EXCEPTION_NOT_HANDLED. Unsupported: __finally
 * and __leave; `break` or `continue` directly inside a __try block leave the __try. */
typedef struct kf_seh_frame {
    jmp_buf jb;
    struct kf_seh_frame *prev;
    int kind;     /* internal */
    int state;    /* internal */
    NTSTATUS code;
} kf_seh_frame;
int kf_seh_enter(kf_seh_frame *f);
void kf_seh_cleanup(kf_seh_frame *f);
int kf_seh_filter(kf_seh_frame *f, int disposition);
NTSTATUS kf_seh_code(void);


#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

#define __try                                                                              \
    for (kf_seh_frame _kf_seh_frame __attribute__((cleanup(kf_seh_cleanup))) = {.kind = 0}; \
         kf_seh_enter(&_kf_seh_frame);)                                                    \
        if (setjmp(_kf_seh_frame.jb) == 0)
#define __except(filter) else if (kf_seh_filter(&_kf_seh_frame, (filter)))
#define _try __try
#define _except __except
#define GetExceptionCode() kf_seh_code()
#define _exception_code() kf_seh_code()

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_SEH_H */
