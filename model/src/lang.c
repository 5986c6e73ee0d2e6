/*
 * lang.c - the routines behind the language of driver code: ProbeForRead / ProbeForWrite
 * over the user buffers a harness declares, and the PAGED_CODE() check (SEMANTICS.md L-6,
 * L-15). The structured exception dispatcher itself lives in stop.c with the frames.
 *
 * Must never take a host address as the answer to "is this user memory": only the declared
 * buffers count. Must never let a paged function run above APC_LEVEL unreported.
 */
#include "internal.h"
#include "wdm.h"

#define MAX_USER_BUFFERS 64

static struct {
    ULONG_PTR start, end; /* [start, end) */
    int writable;
} user_buffers[MAX_USER_BUFFERS];
static size_t n_user_buffers;

int kf_user_buffer_add(const void *address, size_t length, int writable)
{
    if (n_user_buffers == MAX_USER_BUFFERS)
        return -1;
    user_buffers[n_user_buffers].start = (ULONG_PTR)address;
    user_buffers[n_user_buffers].end = (ULONG_PTR)address + length;
    user_buffers[n_user_buffers].writable = writable != 0;
    n_user_buffers++;
    return 0;
}

void kf_user_buffers_clear(void) { n_user_buffers = 0; }

__attribute__((constructor)) static void lang_register(void) { kf__register_reset(kf_user_buffers_clear); }

/* 1 when [start, start + length) lies inside one declared buffer (writable if asked). */
static int in_user_buffer(ULONG_PTR start, SIZE_T length, int write)
{
    for (size_t i = 0; i < n_user_buffers; i++)
        if (start >= user_buffers[i].start && length <= user_buffers[i].end - start &&
            start < user_buffers[i].end && (!write || user_buffers[i].writable))
            return 1;
    return 0;
}

static void probe(const char *routine, const volatile void *address, SIZE_T length, ULONG alignment, int write)
{
    kf_thread *t = kf__thread();
    ULONG_PTR start = (ULONG_PTR)address;
    if (t->irql > APC_LEVEL)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, t->irql, 0, 0,
                    "%s at IRQL %u (requires IRQL <= APC_LEVEL)", routine, t->irql);
    if (length == 0)
        return;
    if (alignment != 1 && alignment != 2 && alignment != 4 && alignment != 8 && alignment != 16)
        kf_violation_stop(KF_VIOL_PROBE_BAD_ALIGNMENT, routine, alignment, 0, 0,
                          "%s with Alignment %u (must be 1, 2, 4, 8 or 16)", routine, (unsigned)alignment);
    if (start & (alignment - 1))
        ExRaiseDatatypeMisalignment();
    if (start + length < start || !in_user_buffer(start, length, write))
        ExRaiseAccessViolation();
}

VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment)
{
    probe("ProbeForRead", Address, Length, Alignment, 0);
}

VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment)
{
    probe("ProbeForWrite", Address, Length, Alignment, 1);
}

VOID kf_paged_code(const char *Function)
{
    kf_thread *t = kf__thread();
    if (t->irql > APC_LEVEL)
        kf_bugcheck(Function, DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0, t->irql, 8, 0,
                    "pageable function %s entered at IRQL %u (PAGED_CODE: IRQL <= APC_LEVEL)", Function,
                    t->irql);
}
