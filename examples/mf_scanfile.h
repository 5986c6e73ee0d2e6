/*
 * mf_scanfile.h - the example minifilter that reads files itself (mf_scanfile.c): what its
 * callers (the driver target, a test) may use. Driver code: WDK headers only.
 */
#ifndef MF_SCANFILE_H
#define MF_SCANFILE_H

#include <fltKernel.h>

/*
 * The files it understands start with a scan header, then up to MFS_MAX_RECORDS signature
 * records, all little-endian:
 *
 *   offset 0  UCHAR Magic[2]   'S', 'C'
 *          2  UCHAR Flags      MFS_FLAG_*
 *          3  UCHAR Count      records that follow
 *          4  MFS_RECORD Records[Count]
 *
 * A record's Kind is never 0; its Weight adds to the file's score.
 */
#define MFS_MAGIC0 'S'
#define MFS_MAGIC1 'C'
#define MFS_FLAG_QUARANTINE 0x01u /* the file asks to be quarantined when its score is high */
#define MFS_MAX_RECORDS 64
#define MFS_HEADER_CAP 260        /* bytes read at most: the header and 64 records */
#define MFS_QUARANTINE_SCORE 200

typedef struct _MFS_RECORD {
    UCHAR Kind;
    UCHAR Weight;
    USHORT Value;
} MFS_RECORD;

typedef struct _MFS_RESULT {
    ULONGLONG FileSize;   /* the file's end of file */
    ULONG BytesRead;      /* of its header */
    ULONG Attributes;     /* FILE_ATTRIBUTE_* of the file */
    BOOLEAN Ours;         /* it starts with the scan header */
    BOOLEAN Truncated;    /* its header promises more records than the file holds */
    BOOLEAN Quarantine;   /* its score and flags ask for quarantine */
    ULONG Records;        /* records parsed */
    ULONG Score;
} MFS_RESULT;

typedef struct _MFS_STATS {
    ULONG Scans;
    ULONG Matches;
    ULONG Failures;
} MFS_STATS;

DRIVER_INITIALIZE DriverEntry;
extern PFLT_FILTER MfsFilterHandle;

/* Scans one file: FileName is a full name (\Device\HarddiskVolumeN\...); the instance of the
 * volume it names opens it, reads its header and its basic information. PASSIVE_LEVEL. */
NTSTATUS MfsScanFile(PCUNICODE_STRING FileName, MFS_RESULT *Result);
VOID MfsQueryStats(MFS_STATS *Stats);

#endif
