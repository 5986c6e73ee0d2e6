/*
 * worker.h - the example worker thread's interface: the start context of a system thread
 * that indexes a tree. Shared by the driver and whatever starts the thread; must hold
 * nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_WORKER_H
#define KFAULT_EXAMPLE_WORKER_H

#include <ntddk.h>

typedef struct _WRK_CONTEXT {
    ULONG Root;       /* the tree to index */
    ULONG TimesRun;   /* how often the indexing ran */
    ULONG Index;      /* its result */
    NTSTATUS Status;  /* its status, also the thread's exit status */
} WRK_CONTEXT, *PWRK_CONTEXT;

/* The thread's start routine (PsCreateSystemThread); ends with PsTerminateSystemThread. */
KSTART_ROUTINE WrkThreadStart;

#endif
