/*
 * ntddk.h - the WDK's ntddk.h as far as kfault models it: everything of wdm.h plus stack
 * expansion (KeExpandKernelStackAndCallout and KeExpandKernelStackAndCalloutEx), system
 * threads and the Rtl generic tables (kfault/wdk_gentable.h).
 *
 * Declares only WDK names with the WDK's types; behaviour lives in model/ and is written
 * down in model/SEMANTICS.md.
 */
#ifndef KFAULT_NTDDK_H
#define KFAULT_NTDDK_H

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

_Function_class_(EXPAND_STACK_CALLOUT) _IRQL_requires_same_
typedef VOID EXPAND_STACK_CALLOUT(_In_opt_ PVOID Parameter);
typedef EXPAND_STACK_CALLOUT *PEXPAND_STACK_CALLOUT;

NTKERNELAPI NTSTATUS KeExpandKernelStackAndCallout(_In_ PEXPAND_STACK_CALLOUT Callout,
                                                   _In_opt_ PVOID Parameter, _In_ SIZE_T Size);

NTKERNELAPI NTSTATUS KeExpandKernelStackAndCalloutEx(_In_ PEXPAND_STACK_CALLOUT Callout,
                                                     _In_opt_ PVOID Parameter, _In_ SIZE_T Size,
                                                     _In_ BOOLEAN Wait, _In_opt_ PVOID Context);

/* The Rtl generic tables (splay trees), modeled in model/src/rtl_generic.c. */
#ifdef __cplusplus
}
#endif
#include "kfault/wdk_gentable.h"
#ifdef __cplusplus
extern "C" {
#endif

/* OBJECT_ATTRIBUTES, OBJ_* and InitializeObjectAttributes come with wdm.h (kfault/wdk_ob.h). */

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTDDK_H */
