/*
 * ntddstor.h - the WDK's storage control codes and structures, as far as the drivers kfault builds
 * name them: a device's number and its hot-plug information. Values and layouts are the WDK's.
 * Declares no routine; the model answers no storage request.
 */
#ifndef KFAULT_NTDDSTOR_H
#define KFAULT_NTDDSTOR_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOCTL_STORAGE_BASE FILE_DEVICE_MASS_STORAGE
#define IOCTL_STORAGE_GET_HOTPLUG_INFO  CTL_CODE(IOCTL_STORAGE_BASE, 0x0305, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_STORAGE_GET_DEVICE_NUMBER CTL_CODE(IOCTL_STORAGE_BASE, 0x0420, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _STORAGE_HOTPLUG_INFO {
    ULONG Size; /* sizeof(STORAGE_HOTPLUG_INFO) */
    BOOLEAN MediaRemovable;
    BOOLEAN MediaHotplug;
    BOOLEAN DeviceHotplug;
    BOOLEAN WriteCacheEnableOverride;
} STORAGE_HOTPLUG_INFO, *PSTORAGE_HOTPLUG_INFO;

typedef struct _STORAGE_DEVICE_NUMBER {
    DEVICE_TYPE DeviceType;
    ULONG DeviceNumber;
    ULONG PartitionNumber;
} STORAGE_DEVICE_NUMBER, *PSTORAGE_DEVICE_NUMBER;

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTDDSTOR_H */
