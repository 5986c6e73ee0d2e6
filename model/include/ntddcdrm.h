/*
 * ntddcdrm.h - the WDK's CD-ROM control codes and structures, as far as the drivers kfault builds
 * name them: the table of contents (IOCTL_CDROM_READ_TOC, CDROM_TOC). Values and layouts are the
 * WDK's. Declares no routine.
 */
#ifndef KFAULT_NTDDCDRM_H
#define KFAULT_NTDDCDRM_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOCTL_CDROM_BASE FILE_DEVICE_CD_ROM
#define IOCTL_CDROM_READ_TOC CTL_CODE(IOCTL_CDROM_BASE, 0x0000, METHOD_BUFFERED, FILE_READ_ACCESS)

#define MAXIMUM_NUMBER_TRACKS 100

typedef struct _TRACK_DATA {
    UCHAR Reserved;
    UCHAR Control : 4;
    UCHAR Adr : 4;
    UCHAR TrackNumber;
    UCHAR Reserved1;
    UCHAR Address[4];
} TRACK_DATA, *PTRACK_DATA;

typedef struct _CDROM_TOC {
    UCHAR Length[2];
    UCHAR FirstTrack;
    UCHAR LastTrack;
    TRACK_DATA TrackData[MAXIMUM_NUMBER_TRACKS];
} CDROM_TOC, *PCDROM_TOC;

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTDDCDRM_H */
