/*
 * hdrscan.h - the example header-scanning minifilter's interface: its DriverEntry, the filter
 * it registers, and one request (read a file's header below the filter and classify it).
 * Shared by the driver and whatever calls it; holds nothing but WDK types.
 */
#ifndef HDRSCAN_H
#define HDRSCAN_H

#include <fltKernel.h>

#define HDS_HEADER_SIZE 64  /* bytes of a file's header the filter reads */

typedef enum _HDS_KIND {
    HdsUnknown,   /* not read */
    HdsEmpty,     /* the file is empty */
    HdsShort,     /* fewer bytes than a header */
    HdsPlain,     /* a whole header without the marker */
    HdsMarked     /* a header that starts with the marker byte */
} HDS_KIND;

typedef struct _HDS_REQUEST {
    PFILE_OBJECT File;  /* the file to read */
    HDS_KIND Kind;      /* out: what its header is */
    ULONG Read;         /* out: header bytes read */
} HDS_REQUEST, *PHDS_REQUEST;

DRIVER_INITIALIZE DriverEntry;

/* The filter DriverEntry registered; NULL before, after a failed load and after unload. */
extern PFLT_FILTER HdsFilterHandle;

/* Reads the first HDS_HEADER_SIZE bytes of Request->File on the filter's instance with
 * synchronous I/O of its own, at PASSIVE_LEVEL, and classifies them. Returns STATUS_SUCCESS
 * with Kind set (an empty file included), STATUS_NOT_FOUND when the filter has no instance,
 * or the failure of the allocation or the read. */
NTSTATUS HdsScanHeader(PHDS_REQUEST Request);

#endif
