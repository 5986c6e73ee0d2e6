/*
 * mf_sync.h - the example synchronous minifilter's interface: its DriverEntry, the filter
 * it registers, and one request (list a directory, then flush it). Shared by the driver and
 * whatever calls it; must hold nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_MF_SYNC_H
#define KFAULT_EXAMPLE_MF_SYNC_H

#include <fltKernel.h>

#define MFS_QUERY_BUFFER_SIZE 512  /* bytes asked for by each directory query */

typedef struct _MFS_REQUEST {
    PFILE_OBJECT Directory;  /* the directory to list and flush */
    BOOLEAN Preallocate;     /* the caller cannot afford a failure for Filter Manager memory */
    ULONG Queries;           /* out: directory queries issued */
    ULONG Entries;           /* out: entries listed */
    BOOLEAN Flushed;         /* out: the flush succeeded */
} MFS_REQUEST, *PMFS_REQUEST;

DRIVER_INITIALIZE DriverEntry;

/* The filter DriverEntry registered; NULL before, after a failed load and after unload. */
extern PFLT_FILTER MfsFilterHandle;

/* Lists Request->Directory on the filter's instance (IRP_MN_QUERY_DIRECTORY until the file
 * system has no more files), then flushes it. At PASSIVE_LEVEL. Returns STATUS_SUCCESS
 * exactly when both succeeded; otherwise the first failure (STATUS_NOT_FOUND when the
 * filter has no instance, STATUS_UNSUCCESSFUL for a listing it cannot parse). */
NTSTATUS MfsScanDirectory(PMFS_REQUEST Request);

#endif
