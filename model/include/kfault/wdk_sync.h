/*
 * kfault/wdk_sync.h - synchronization: spin locks, mutexes, ERESOURCE, push locks, critical regions, interlocked operations, events and waits,
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_SYNC_H
#define KFAULT_WDK_SYNC_H

#endif /* KFAULT_WDK_SYNC_H */
