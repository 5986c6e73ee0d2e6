/*
 * wrtrack.h - the example write-tracking minifilter's interface: its DriverEntry, the filter it
 * registers, and the tally it keeps of what user-mode programs open for writing and write.
 * Shared by the driver and whatever reads its tally; holds nothing but WDK types.
 */
#ifndef WRTRACK_H
#define WRTRACK_H

#include <fltKernel.h>

typedef enum _WTK_KIND {
    WtkDocument,  /* txt, docx, xlsx, pdf */
    WtkProgram,   /* exe, dll, sys */
    WtkOther,
    WtkKinds
} WTK_KIND;

typedef struct _WTK_TALLY {
    LONG Opened[WtkKinds];    /* successful user-mode opens for writing, by the file's kind */
    LONG Refused;             /* such opens the layers below failed */
    LONG NamesMissed;         /* such opens whose name could not be had */
    LONG64 BytesWritten;      /* bytes of the writes programs issued (not the cache's paging writes) */
} WTK_TALLY;

DRIVER_INITIALIZE DriverEntry;

/* The filter DriverEntry registered; NULL before, after a failed load and after unload. */
extern PFLT_FILTER WtkFilterHandle;

/* What the filter counted since it was loaded. */
extern WTK_TALLY WtkTally;

#endif
