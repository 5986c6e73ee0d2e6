/*
 * packet.h - the example packet classifier's interface: one packet to classify. Shared by
 * the driver and whatever calls it; must hold nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_PACKET_H
#define KFAULT_EXAMPLE_PACKET_H

#include <ntddk.h>

typedef struct _PKT_PACKET {
    ULONG Flow;             /* the flow the packet belongs to */
    ULONG Rules;            /* how deeply its rule set nests */
    ULONG TimesClassified;  /* how often classification ran */
    BOOLEAN Block;          /* the verdict */
} PKT_PACKET, *PPKT_PACKET;

/* Classifies one packet at the caller's IRQL (at most DISPATCH_LEVEL). Returns the
 * classification's status, or the reason no stack was to be had. */
NTSTATUS PktClassify(PPKT_PACKET Packet);

#endif
