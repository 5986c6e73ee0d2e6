/*
 * mf_callbacks.h - the example callback minifilter's interface: its DriverEntry, the filter it
 * registers and what it counted. Shared by the driver and whatever inspects it; must hold
 * nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_MF_CALLBACKS_H
#define KFAULT_EXAMPLE_MF_CALLBACKS_H

#include <fltKernel.h>

DRIVER_INITIALIZE DriverEntry;

/* What the filter has counted since DriverEntry. */
typedef struct _MFC_STATISTICS {
    LONG DocumentsOpened;   /* creates of documents that succeeded */
    LONG OpensDenied;       /* creates refused by the protection rule */
    LONG ReadsLogged;       /* completed reads whose file name was taken */
    LONG WritesChecked;     /* writes whose file size below was queried first */
    LONG DeletesAudited;    /* deletes held back for the audit worker, then let through */
} MFC_STATISTICS;

/* The filter DriverEntry registered; NULL before, after a failed load and after unload. */
extern PFLT_FILTER MfcFilterHandle;
extern MFC_STATISTICS MfcStatistics;

#endif
