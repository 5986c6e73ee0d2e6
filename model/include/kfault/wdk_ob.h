/*
 * kfault/wdk_ob.h - objects and handles: OBJECT_ATTRIBUTES, ObReference*, ZwClose,
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_OB_H
#define KFAULT_WDK_OB_H

#endif /* KFAULT_WDK_OB_H */
