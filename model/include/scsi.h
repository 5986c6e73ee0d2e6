/*
 * scsi.h - the WDK's SCSI command descriptor block, as far as the drivers kfault builds name it:
 * the CDB union with its generic 6-byte form and its bytes (16 in all, as in the WDK), and the
 * operation codes a driver compares them with. Declares no routine.
 */
#ifndef KFAULT_SCSI_H
#define KFAULT_SCSI_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef union _CDB {
    struct _CDB6GENERIC {
        UCHAR OperationCode;
        UCHAR Immediate : 1;
        UCHAR CommandUniqueBits : 4;
        UCHAR LogicalUnitNumber : 3;
        UCHAR CommandUniqueBytes[3];
        UCHAR Link : 1;
        UCHAR Flag : 1;
        UCHAR Reserved : 4;
        UCHAR VendorUnique : 2;
    } CDB6GENERIC;
    UCHAR AsByte[16];
    ULONG AsUlong[4];
} CDB, *PCDB;

#define SCSIOP_TEST_UNIT_READY 0x00
#define SCSIOP_REZERO_UNIT     0x01
#define SCSIOP_REQUEST_SENSE   0x03
#define SCSIOP_FORMAT_UNIT     0x04
#define SCSIOP_READ6           0x08
#define SCSIOP_WRITE6          0x0A
#define SCSIOP_INQUIRY         0x12
#define SCSIOP_READ            0x28
#define SCSIOP_WRITE           0x2A

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_SCSI_H */
