/*
 * ntifs.h - the WDK's ntifs.h as far as kfault models it: ntddk.h plus what file systems
 * and file system filters use. KeExpandKernelStackAndCalloutEx is declared here too in
 * the WDK; it comes through ntddk.h.
 *
 * The file-system declarations (information structures, FSCTL codes, generic tables) are in
 * kfault/wdk_fs.h; FILE_OBJECT and the I/O names of wdm.h come with wdm.h (kfault/wdk_io.h).
 *
 * Declares only WDK names with the WDK's types.
 */
#ifndef KFAULT_NTIFS_H
#define KFAULT_NTIFS_H

#include "ntddk.h"
#include "kfault/wdk_fs.h"

#endif /* KFAULT_NTIFS_H */
