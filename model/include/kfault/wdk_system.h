/*
 * kfault/wdk_system.h - system services: driver runtime, routine lookup, process and thread ids, time, MDLs, work items,
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_SYSTEM_H
#define KFAULT_WDK_SYSTEM_H

#endif /* KFAULT_WDK_SYSTEM_H */
