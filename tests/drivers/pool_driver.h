/*
 * pool_driver.h - the entry points of pool_driver.c, a driver-style user of pool, lookaside
 * lists, MDLs and work items (see that file).
 */
#ifndef POOL_DRIVER_H
#define POOL_DRIVER_H

#include <ntddk.h>

/* DriverEntry's part: opts in to NX pool, sets up the record list. */
NTSTATUS PdLoad(PDEVICE_OBJECT Device);
/* Handles one request of Length bytes: a record from the list, a copy of the data through an
 * MDL, and a work item that logs it later. */
NTSTATUS PdRequest(const UCHAR *Data, ULONG Length);
/* Waits for the queued log work, then tears everything down. */
VOID PdUnload(VOID);
/* Records the log work has processed. */
ULONG PdLogged(VOID);

#endif
