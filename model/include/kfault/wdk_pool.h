/*
 * kfault/wdk_pool.h - pool and lookaside lists,
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_POOL_H
#define KFAULT_WDK_POOL_H

#endif /* KFAULT_WDK_POOL_H */
