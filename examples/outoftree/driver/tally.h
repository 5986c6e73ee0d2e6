/*
 * tally.h - the example tally driver's interface: a request to count the words of a nested
 * document. Shared by the driver and whatever calls it; holds nothing but WDK types.
 */
#ifndef TALLY_H
#define TALLY_H

#include <ntddk.h>

#define TLY_MAX_DEPTH 8

typedef struct _TLY_REQUEST {
    ULONG Depth;       /* how deeply the document's sections nest (at most TLY_MAX_DEPTH) */
    ULONG Width;       /* words in each section */
    ULONG Words;       /* out: the words counted */
    ULONG Sections;    /* out: the sections visited */
} TLY_REQUEST, *PTLY_REQUEST;

/* Counts the words of every section at the caller's IRQL (at most DISPATCH_LEVEL), on a
 * stack of its own when less than 12 KiB is left. Returns STATUS_SUCCESS with Words and
 * Sections set, STATUS_INSUFFICIENT_RESOURCES when memory ran out, or the reason no stack
 * was to be had. */
NTSTATUS TlyCount(PTLY_REQUEST Request);

#endif
