/*
 * packet.c - an example driver: the classify path of a network extension. It is called
 * at any IRQL up to DISPATCH_LEVEL, must never wait, and its rule matching recurses, so it
 * calls KeExpandKernelStackAndCalloutEx with 16 KiB and Wait FALSE and, when no stack is
 * to be had, returns the failure to its caller (who drops the packet).
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variants (one line each, for the tests):
 *   KF_PLANT_STATUS_NOT_CHECKED      the call's status is ignored: the verdict is assumed
 *   KF_PLANT_WAIT_AT_DISPATCH        Wait TRUE, which DISPATCH_LEVEL forbids
 *   KF_PLANT_NONEX_AT_DISPATCH       KeExpandKernelStackAndCallout, APC_LEVEL at most
 */
#include <ntddk.h>

#include "packet.h"

#define PKT_TAG 0x20746B50u /* 'Pkt ' */
#define PKT_STACK_NEEDED (16 * 1024)
#define PKT_RULE_BYTES 256

#ifdef KF_PLANT_WAIT_AT_DISPATCH
#define PKT_WAIT TRUE
#else
#define PKT_WAIT FALSE
#endif

typedef struct _PKT_CONTEXT {
    PPKT_PACKET Packet;
    NTSTATUS Status;
} PKT_CONTEXT, *PPKT_CONTEXT;

/* Every nested rule keeps its match state on the stack. */
static ULONG PktpMatch(ULONG Flow, ULONG Depth, const UCHAR *Key)
{
    UCHAR state[PKT_RULE_BYTES];
    ULONG hash = Flow;
    ULONG i;

    for (i = 0; i < PKT_RULE_BYTES; i++) {
        state[i] = (UCHAR)(Flow + i * 7 + Key[i % 16]);
    }
    for (i = 0; i < PKT_RULE_BYTES; i++) {
        hash = hash * 33 ^ state[i];
    }
    if (Depth > 0) {
        hash += PktpMatch(hash, Depth - 1, Key);
    }
    return hash;
}

static EXPAND_STACK_CALLOUT PktpClassifyCallout;

static VOID PktpClassifyCallout(PVOID Parameter)
{
    PPKT_CONTEXT context = (PPKT_CONTEXT)Parameter;
    PPKT_PACKET packet = context->Packet;
    PUCHAR key;
    ULONG i;

    packet->TimesClassified++;
    key = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, PKT_TAG);
    if (key == NULL) {
        context->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    for (i = 0; i < 16; i++) {
        key[i] = (UCHAR)(packet->Flow >> i);
    }
    packet->Block = (PktpMatch(packet->Flow, packet->Rules, key) & 1) != 0;
    ExFreePoolWithTag(key, PKT_TAG);
    context->Status = STATUS_SUCCESS;
}

NTSTATUS PktClassify(PPKT_PACKET Packet)
{
    PKT_CONTEXT context;
    NTSTATUS status;

    ASSERT(KeGetCurrentIrql() <= DISPATCH_LEVEL);
    context.Packet = Packet;
    context.Status = STATUS_SUCCESS;
#ifdef KF_PLANT_NONEX_AT_DISPATCH
    status = KeExpandKernelStackAndCallout(PktpClassifyCallout, &context, PKT_STACK_NEEDED);
#else
    status = KeExpandKernelStackAndCalloutEx(PktpClassifyCallout, &context, PKT_STACK_NEEDED, PKT_WAIT, NULL);
#endif
#ifdef KF_PLANT_STATUS_NOT_CHECKED
    UNREFERENCED_PARAMETER(status);
#else
    if (!NT_SUCCESS(status)) {
        return status;
    }
#endif
    return context.Status;
}
