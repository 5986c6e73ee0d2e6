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

/* ---- The driver create context (IoCreateFileEx, FltCreateFileEx2) --------------------------- */
typedef struct _ECP_LIST ECP_LIST, *PECP_LIST;
typedef struct _EJOB *PESILO;

typedef struct _TXN_PARAMETER_BLOCK {
    USHORT Length;
    USHORT TxFsContext;
    PVOID TransactionObject;
} TXN_PARAMETER_BLOCK, *PTXN_PARAMETER_BLOCK;

#define TXF_MINIVERSION_DEFAULT_VIEW (0xFFFE)

/* Declared, not modeled (kfault/not_modeled.def): no transaction is modeled yet. */
NTKERNELAPI PTXN_PARAMETER_BLOCK IoGetTransactionParameterBlock(_In_ PFILE_OBJECT FileObject);

typedef struct _IO_DRIVER_CREATE_CONTEXT {
    CSHORT Size;
    struct _ECP_LIST *ExtraCreateParameter;
    PVOID DeviceObjectHint;
    PTXN_PARAMETER_BLOCK TxnParameters;
    PESILO SiloContext;
} IO_DRIVER_CREATE_CONTEXT, *PIO_DRIVER_CREATE_CONTEXT;

/* The WDK's inline initializer: all zero, Size set. */
FORCEINLINE VOID IoInitializeDriverCreateContext(PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
    __builtin_memset(DriverContext, 0, sizeof(IO_DRIVER_CREATE_CONTEXT));
    DriverContext->Size = sizeof(IO_DRIVER_CREATE_CONTEXT);
}

/* OBJECT_ATTRIBUTES, OBJ_* and InitializeObjectAttributes come with wdm.h (kfault/wdk_ob.h). */

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_NTDDK_H */
