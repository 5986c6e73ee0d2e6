/*
 * lang_driver.h - what tests/drivers/lang_driver.c exports to test_lang.c: a GUID it defines
 * (with initguid.h) and the routines that exercise the language of driver code.
 */
#ifndef LANG_DRIVER_H
#define LANG_DRIVER_H

#include <ntifs.h>

/* {6B1F0C2A-5D33-4E8B-9A41-0C7E2F58D190}: a GUID of the test driver's own. */
DEFINE_GUID(GUID_LANG_TEST_DRIVER, 0x6b1f0c2a, 0x5d33, 0x4e8b, 0x9a, 0x41, 0x0c, 0x7e, 0x2f, 0x58, 0xd1, 0x90);

/* Runs the macros of L-12 and returns a checksum of their results (test_lang knows it). */
ULONG LangMacros(VOID);
/* A pageable routine (PAGED_CODE) that returns Value + 1. */
ULONG LangPagedRoutine(ULONG Value);
/* A __try/__finally written with the old keywords: counts finally blocks in *Finals and
 * returns the NTSTATUS it caught (or STATUS_SUCCESS). */
NTSTATUS LangKeywordSeh(BOOLEAN Raise, PULONG Finals);
/* The fall-through mark: Kind 0 gives 3, 1 gives 2, 2 gives 1, else 0. */
ULONG LangFallThrough(ULONG Kind);

#endif
