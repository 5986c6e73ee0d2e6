/*
 * fsd.h - the example file system's interface: a create request whose name lookup runs on
 * a new stack. Shared by the driver and whatever calls it; must hold nothing but WDK types.
 */
#ifndef KFAULT_EXAMPLE_FSD_H
#define KFAULT_EXAMPLE_FSD_H

#include <ntddk.h>

typedef struct _FSD_CREATE {
    ULONG NameHash;   /* the name to look up */
    ULONG Components; /* how many path components it has */
    ULONG TimesRun;   /* how often the lookup ran */
    ULONG FileId;     /* the lookup's result */
    NTSTATUS Status;  /* the create's status */
} FSD_CREATE, *PFSD_CREATE;

/* IRP_MJ_CREATE's top level: never raises; returns the create's status. */
NTSTATUS FsdCreate(PFSD_CREATE Create);

#endif
