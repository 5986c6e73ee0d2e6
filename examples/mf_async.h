/*
 * mf_async.h - the example asynchronous minifilter's interface: its DriverEntry, the filter
 * it registers, and one request (read a file in chunks with asynchronous I/O). Shared by the
 * driver and whatever calls it; must hold nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_MF_ASYNC_H
#define KFAULT_EXAMPLE_MF_ASYNC_H

#include <fltKernel.h>

#define MFA_CHUNK_SIZE 512  /* bytes per read */

typedef struct _MFA_READ {
    PFILE_OBJECT File;      /* the file to read, from offset 0 */
    PUCHAR Buffer;          /* Length bytes */
    ULONG Length;
    BOOLEAN Preallocate;    /* the caller cannot afford a failure for Filter Manager memory */
    /* Progress, written as reads complete: */
    ULONG Chunks;           /* reads that completed */
    ULONG BytesRead;        /* bytes in Buffer, from its start */
    NTSTATUS Status;        /* the read's status; STATUS_PENDING until Done */
    BOOLEAN Done;           /* finished: its callback data is freed, nothing in flight */
    BOOLEAN Stopped;        /* finished before the end of the file: a completion ran at
                               DISPATCH_LEVEL with nobody to continue, or the instance is
                               going away; the caller reads the rest itself */
    /* The driver's own: */
    BOOLEAN Issuing;        /* the issuing routine is still inside FltPerformAsynchronousIo */
    BOOLEAN ContinueHere;   /* a completion asked the issuing routine to issue the next read */
} MFA_READ, *PMFA_READ;

DRIVER_INITIALIZE DriverEntry;

/* The filter DriverEntry registered; NULL before, after a failed load and after unload. */
extern PFLT_FILTER MfaFilterHandle;

/* Starts reading Read->Length bytes of Read->File into Read->Buffer on the filter's instance,
 * MFA_CHUNK_SIZE at a time; a read shorter than asked for, or STATUS_END_OF_FILE, ends the
 * file. At IRQL <= APC_LEVEL. Returns STATUS_PENDING while reads are in flight (Read->Done
 * is set when they finish), otherwise the final status, also in Read->Status. */
NTSTATUS MfaReadFile(PMFA_READ Read);

#endif
