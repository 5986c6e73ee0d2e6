/*
 * expand_driver.h - the interface of the sample driver in expand_driver.c: a request block
 * and the three entry points that each call KeExpandKernelStackAndCalloutEx the way a
 * class of real drivers does (a loader, a packet classifier, a file system).
 *
 * Driver code: includes only <ntddk.h>, never a kfault header.
 */
#ifndef EXPAND_DRIVER_H
#define EXPAND_DRIVER_H

#include <ntddk.h>

/* One piece of work: walk Depth levels of a table derived from Seed. */
typedef struct _EXD_REQUEST {
    ULONG Seed;
    ULONG Depth;
    ULONG Checksum;   /* out: the result of the walk */
    ULONG TimesRun;   /* out: how often the work ran for this request */
    NTSTATUS Status;  /* out: the work's own status */
} EXD_REQUEST, *PEXD_REQUEST;

/* Loader: PASSIVE_LEVEL, the largest expansion, Wait TRUE; when the call fails the work
 * runs on the current stack instead. Returns the work's status. */
NTSTATUS ExdLoadImage(PEXD_REQUEST Request);

/* Packet classification: raises to DISPATCH_LEVEL and asks for 16 KiB with Wait FALSE;
 * when the call fails the packet is not classified and the failure is returned. */
NTSTATUS ExdClassifyPacket(PEXD_REQUEST Request);

/* File system create: KERNEL_STACK_SIZE, Wait FALSE, PASSIVE_LEVEL. Exceptions in the work
 * are caught inside the callout and raised again on the caller's stack; the dispatch
 * routine's top-level handler turns them into a status. STATUS_NO_MEMORY from the call is
 * reported as STATUS_INSUFFICIENT_RESOURCES. */
NTSTATUS ExdFsdCreate(PEXD_REQUEST Request);

DRIVER_INITIALIZE DriverEntry;

#endif /* EXPAND_DRIVER_H */
