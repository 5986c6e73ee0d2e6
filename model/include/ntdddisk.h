/*
 * ntdddisk.h - the WDK's disk control codes and structures, as far as kfault's drivers name them:
 * the cluster information of a disk (IOCTL_DISK_GET_CLUSTER_INFO, DISK_CLUSTER_INFO). Values and
 * layouts are the WDK's. Declares no routine; the model answers no disk request (there is no disk
 * stack below the volumes).
 */
#ifndef KFAULT_NTDDDISK_H
#define KFAULT_NTDDDISK_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOCTL_DISK_BASE FILE_DEVICE_DISK
#define IOCTL_DISK_GET_CLUSTER_INFO CTL_CODE(IOCTL_DISK_BASE, 0x0085, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DISK_SET_CLUSTER_INFO \
    CTL_CODE(IOCTL_DISK_BASE, 0x0086, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)

#define DISK_CLUSTER_FLAG_ENABLED              0x0000000000000001ULL
#define DISK_CLUSTER_FLAG_CSV                  0x0000000000000002ULL
#define DISK_CLUSTER_FLAG_IN_MAINTENANCE       0x0000000000000004ULL
#define DISK_CLUSTER_FLAG_PNP_ARRIVAL_COMPLETE 0x0000000000000008ULL

typedef struct _DISK_CLUSTER_INFO {
    ULONG Version;      /* sizeof(DISK_CLUSTER_INFO) */
    ULONGLONG Flags;
    ULONGLONG FlagsMask;
    BOOLEAN Notify;
} DISK_CLUSTER_INFO, *PDISK_CLUSTER_INFO;

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTDDDISK_H */
