/*
 * tally.c - an example driver for kfault's out-of-tree example: it counts the words of a
 * nested document by walking its sections recursively, each level keeping a line buffer on
 * the stack. Its caller may be at any IRQL up to DISPATCH_LEVEL, so when less than
 * TLY_STACK_NEEDED is left it calls KeExpandKernelStackAndCalloutEx, waiting for stack only
 * below DISPATCH_LEVEL.
 *
 * It has one bug, left in on purpose for the fuzzer to find: when the callout cannot
 * allocate its scratch buffer, TlyCount returns the failure without freeing the summary it
 * allocated first (a pool leak, reported as KF-INV-014).
 *
 * Driver code: it includes only WDK headers and its own.
 */
#include <ntddk.h>

#include "tally.h"

#define TLY_TAG 0x6C6C6154u /* 'Tall' */
#define TLY_STACK_NEEDED (12 * 1024)
#define TLY_LINE 512

typedef struct _TLY_SUMMARY {
    ULONG Words;
    ULONG Sections;
} TLY_SUMMARY, *PTLY_SUMMARY;

typedef struct _TLY_WALK {
    PTLY_REQUEST Request;
    PTLY_SUMMARY Summary;
    NTSTATUS Status;
} TLY_WALK, *PTLY_WALK;

/* One section: its words go through a line buffer on the stack, then its subsections. */
static VOID TlypSection(PTLY_WALK Walk, PUCHAR Scratch, ULONG Level)
{
    UCHAR line[TLY_LINE];
    ULONG i;

    RtlFillMemory(line, sizeof(line), (UCHAR)(' ' + Level));
    for (i = 0; i < Walk->Request->Width && i < TLY_LINE; i++) {
        line[i] = Scratch[i % 64];
        if (line[i] != ' ') {
            Walk->Summary->Words++;
        }
    }
    Walk->Summary->Sections++;
    if (Level + 1 < Walk->Request->Depth) {
        TlypSection(Walk, Scratch, Level + 1);
    }
}

static EXPAND_STACK_CALLOUT TlypCountCallout;

static VOID TlypCountCallout(PVOID Parameter)
{
    PTLY_WALK walk = (PTLY_WALK)Parameter;
    PUCHAR scratch;
    ULONG i;

    scratch = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TLY_TAG);
    if (scratch == NULL) {
        walk->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    for (i = 0; i < 64; i++) {
        scratch[i] = (UCHAR)('a' + i % 26);
    }
    if (walk->Request->Depth > 0) {
        TlypSection(walk, scratch, 0);
    }
    ExFreePoolWithTag(scratch, TLY_TAG);
    walk->Status = STATUS_SUCCESS;
}

NTSTATUS TlyCount(PTLY_REQUEST Request)
{
    TLY_WALK walk;
    PTLY_SUMMARY summary;
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() <= DISPATCH_LEVEL);
    Request->Words = 0;
    Request->Sections = 0;
    if (Request->Depth > TLY_MAX_DEPTH) {
        return STATUS_INVALID_PARAMETER;
    }
    summary = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(TLY_SUMMARY), TLY_TAG);
    if (summary == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    walk.Request = Request;
    walk.Summary = summary;
    walk.Status = STATUS_SUCCESS;

    if (IoGetRemainingStackSize() < TLY_STACK_NEEDED) {
        status = KeExpandKernelStackAndCalloutEx(TlypCountCallout, &walk, TLY_STACK_NEEDED,
                                                 KeGetCurrentIrql() < DISPATCH_LEVEL, NULL);
        if (!NT_SUCCESS(status)) {
            ExFreePoolWithTag(summary, TLY_TAG);
            return status;
        }
    } else {
        TlypCountCallout(&walk);
    }
    if (!NT_SUCCESS(walk.Status)) {
        /* The planted bug: the summary is not freed on this path. */
        return walk.Status;
    }
    Request->Words = summary->Words;
    Request->Sections = summary->Sections;
    ExFreePoolWithTag(summary, TLY_TAG);
    return STATUS_SUCCESS;
}
