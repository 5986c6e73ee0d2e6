/*
 * mf_config.h - the example configurable minifilter (mf_config.c): what its callers (the
 * driver target, a test) may use. Driver code: WDK headers only.
 */
#ifndef MF_CONFIG_H
#define MF_CONFIG_H

#include <fltKernel.h>

/* The installed configuration (what its INF writes under the service key's Parameters). */
#define MFC_VALUE_EXTENSIONS L"Extensions"   /* REG_MULTI_SZ: extensions to watch, without the dot */
#define MFC_VALUE_MAX_ENTRIES L"MaxEntries"  /* REG_DWORD: at most this many extensions (1-64) */
#define MFC_VALUE_LOG_PREFIX L"LogPrefix"    /* REG_SZ: the prefix of the driver's debug output */
#define MFC_VALUE_FLAGS L"Flags"             /* REG_DWORD: MFC_FLAG_* */
#define MFC_FLAG_LOG_MATCHES 0x1u            /* log every match */
#define MFC_MAX_EXTENSION_CHARS 15
#define MFC_PREFIX_CHARS 32

typedef struct _MFC_STATS {
    ULONG Checks;
    ULONG Matches;
} MFC_STATS;

DRIVER_INITIALIZE DriverEntry;
extern PFLT_FILTER MfcFilterHandle;

/* Whether the final component of FileName has one of the configured extensions (compared
 * case-insensitively). Callable at IRQL <= APC_LEVEL. */
BOOLEAN MfcIsWatched(PCUNICODE_STRING FileName);
/* The counters so far. */
VOID MfcQueryStats(MFC_STATS *Stats);
/* The number of extensions configured (0 before the driver is loaded). */
ULONG MfcExtensionCount(VOID);

#endif
