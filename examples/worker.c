/*
 * worker.c - an example driver: a system thread that indexes a deep tree. Before the work
 * it compares the stack the work needs with IoGetRemainingStackSize() and calls
 * KeExpandKernelStackAndCallout (the routine without Ex) only when the need is larger,
 * else it runs the work right there; at the end the thread terminates itself with the
 * work's status.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variants (one line each, for the tests):
 *   KF_PLANT_STACK_OVERUSE         the need is written for a shallow tree: the work uses far
 *                                  more stack than the callout asks for
 *   KF_PLANT_TERMINATE_IN_CALLOUT  the work's error path terminates the thread from inside
 *                                  the callout
 */
#include <ntddk.h>

#include "worker.h"

#define WRK_TAG 0x206B7257u /* 'Wrk ' */
#define WRK_LEVELS 56
#define WRK_LEVEL_BYTES 768

/* The stack the work needs: one level's frame per tree level, with room to spare. */
#ifdef KF_PLANT_STACK_OVERUSE
#define WRK_STACK_NEEDED 0x1000
#else
#define WRK_STACK_NEEDED 0x11000
#endif

static ULONG WrkpIndexLevel(ULONG Node, ULONG Level, const UCHAR *Names)
{
    UCHAR entries[WRK_LEVEL_BYTES];
    ULONG index = Node;
    ULONG i;

    for (i = 0; i < WRK_LEVEL_BYTES; i++) {
        entries[i] = (UCHAR)(Node * 5 + i + Names[i % 32]);
    }
    for (i = 0; i < WRK_LEVEL_BYTES; i++) {
        index = index * 29 + entries[i];
    }
    if (Level > 0) {
        index ^= WrkpIndexLevel(index, Level - 1, Names);
    }
    return index;
}

static EXPAND_STACK_CALLOUT WrkpIndexCallout;

static VOID WrkpIndexCallout(PVOID Parameter)
{
    PWRK_CONTEXT context = (PWRK_CONTEXT)Parameter;
    PUCHAR names;
    ULONG i;

    context->TimesRun++;
    names = ExAllocatePoolWithTag(NonPagedPoolNx, 32, WRK_TAG);
    if (names == NULL) {
        context->Status = STATUS_INSUFFICIENT_RESOURCES;
#ifdef KF_PLANT_TERMINATE_IN_CALLOUT
        PsTerminateSystemThread(context->Status);
#endif
        return;
    }
    for (i = 0; i < 32; i++) {
        names[i] = (UCHAR)(context->Root >> (i % 24));
    }
    context->Index = WrkpIndexLevel(context->Root, WRK_LEVELS, names);
    ExFreePoolWithTag(names, WRK_TAG);
    context->Status = STATUS_SUCCESS;
}

VOID WrkThreadStart(PVOID StartContext)
{
    PWRK_CONTEXT context = (PWRK_CONTEXT)StartContext;
    NTSTATUS status;

    if (WRK_STACK_NEEDED > IoGetRemainingStackSize()) {
        status = KeExpandKernelStackAndCallout(WrkpIndexCallout, context, WRK_STACK_NEEDED);
        if (!NT_SUCCESS(status)) {
            context->Status = status;
        }
    } else {
        WrkpIndexCallout(context);
    }
    PsTerminateSystemThread(context->Status);
}
