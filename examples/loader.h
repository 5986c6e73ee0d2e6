/*
 * loader.h - the example image loader's interface: a request to parse an image on a big
 * stack. Shared by the driver and whatever calls it; must hold nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_LOADER_H
#define KFAULT_EXAMPLE_LOADER_H

#include <ntddk.h>

typedef struct _LDR_IMAGE {
    ULONG Seed;        /* what the image holds (the parse is a function of it) */
    ULONG Depth;       /* how deeply its sections nest */
    ULONG TimesParsed; /* how often the parse ran */
    ULONG Checksum;    /* the parse's result */
    NTSTATUS Status;   /* the parse's status */
} LDR_IMAGE, *PLDR_IMAGE;

/* Parses the image on an expanded stack when one is to be had, else on this one. */
NTSTATUS LdrLoadImage(PLDR_IMAGE Image);

/* Loads the driver's built-in boot image. */
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif
