/*
 * cdo_driver.h - the entry points of cdo_driver.c, a driver with a control device object: a
 * named device, a symbolic link to it, dispatch routines for create, close, cleanup and one
 * device control.
 */
#ifndef CDO_DRIVER_H
#define CDO_DRIVER_H

#include <ntddk.h>

/* The control code it answers: METHOD_BUFFERED, returns the number of requests seen so far as a
 * ULONG (STATUS_BUFFER_TOO_SMALL without room for it). */
#define CDO_IOCTL_COUNT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

NTSTATUS CdoDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif
