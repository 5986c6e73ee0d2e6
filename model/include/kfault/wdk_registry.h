/*
 * kfault/wdk_registry.h - the registry (Zw*Key, Zw*ValueKey, RtlQueryRegistryValues),
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_REGISTRY_H
#define KFAULT_WDK_REGISTRY_H

#endif /* KFAULT_WDK_REGISTRY_H */
