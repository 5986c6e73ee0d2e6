/*
 * kfault/wdk_system.h - system services: driver runtime, routine lookup, process and thread
 * ids, time, MDLs, work items, debugger breaks, with the WDK's names and types. Included by
 * wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src/system.c and model/SEMANTICS.md
 * (section "System services", ids Y-*).
 */
#ifndef KFAULT_WDK_SYSTEM_H
#define KFAULT_WDK_SYSTEM_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Driver runtime and NX pool opt-in ----------------------------------------------- */
#define DrvRtPoolNxOptIn 0x00000001
NTKERNELAPI VOID ExInitializeDriverRuntime(ULONG RuntimeFlags);
/* The nonpaged pool type NonPagedPool stands for in a driver built with POOL_NX_OPTIN=1:
 * NonPagedPoolExecute until ExInitializeDriverRuntime(DrvRtPoolNxOptIn) on Windows 8 or
 * later makes it NonPagedPoolNx. */
extern POOL_TYPE ExDefaultNonPagedPoolType;
extern ULONG ExDefaultMdlProtection;
#if defined(POOL_NX_OPTIN_AUTO) && POOL_NX_OPTIN_AUTO
#define NonPagedPool NonPagedPoolNx
#define NonPagedPoolCacheAligned NonPagedPoolNxCacheAligned
#define ExInitializeDriverRuntime(RuntimeFlags) ExInitializeDriverRuntime((RuntimeFlags) & ~(ULONG)DrvRtPoolNxOptIn)
#elif defined(POOL_NX_OPTIN) && POOL_NX_OPTIN && !(defined(POOL_NX_OPTOUT) && POOL_NX_OPTOUT)
#define NonPagedPool ExDefaultNonPagedPoolType
#define NonPagedPoolCacheAligned ((POOL_TYPE)(ExDefaultNonPagedPoolType + NonPagedPoolBaseCacheAligned))
/* A nonpaged lookaside list takes the default type when it is initialized. */
FORCEINLINE VOID ExInitializeNPagedLookasideList_NXPoolOptIn(PNPAGED_LOOKASIDE_LIST Lookaside,
                                                             PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                                             ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    ExInitializeNPagedLookasideList(Lookaside, Allocate, Free,
                                    Flags | (ExDefaultNonPagedPoolType == NonPagedPoolNx ? POOL_NX_ALLOCATION : 0),
                                    Size, Tag, Depth);
}
#define ExInitializeNPagedLookasideList ExInitializeNPagedLookasideList_NXPoolOptIn
#else
/* The WDK's ExInitializeDriverRuntime is inline and acts on DrvRtPoolNxOptIn only in a
 * driver built with POOL_NX_OPTIN=1: elsewhere the flag changes nothing. */
#define ExInitializeDriverRuntime(RuntimeFlags) ExInitializeDriverRuntime((RuntimeFlags) & ~(ULONG)DrvRtPoolNxOptIn)
#endif

/* ---- Routine lookup ------------------------------------------------------------------ */
NTKERNELAPI PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

/* ---- Processes and threads ----------------------------------------------------------- */
NTKERNELAPI HANDLE PsGetCurrentProcessId(VOID);
NTKERNELAPI PEPROCESS PsGetCurrentProcess(VOID);
NTKERNELAPI PEPROCESS IoGetCurrentProcess(VOID);
NTKERNELAPI BOOLEAN PsIsSystemThread(PETHREAD Thread);
/* The process a thread belongs to (the modeled thread's: the current process). */
NTKERNELAPI PEPROCESS IoThreadToProcess(PETHREAD Thread);
/* The thread's top-level IRP: NULL, or what IoSetTopLevelIrp stored (file systems store a
 * pointer or one of the FSRTL_*_TOP_LEVEL_IRP values); per simulated thread, NULL after kf_reset. */
NTKERNELAPI PIRP IoGetTopLevelIrp(VOID);
NTKERNELAPI VOID IoSetTopLevelIrp(PIRP Irp);
#define FSRTL_FSP_TOP_LEVEL_IRP ((LONG_PTR)0x01)
#define FSRTL_CACHE_TOP_LEVEL_IRP ((LONG_PTR)0x02)
#define FSRTL_MOD_WRITE_TOP_LEVEL_IRP ((LONG_PTR)0x03)
#define FSRTL_FAST_IO_TOP_LEVEL_IRP ((LONG_PTR)0x04)
#define FSRTL_NETWORK1_TOP_LEVEL_IRP ((LONG_PTR)0x05)
#define FSRTL_NETWORK2_TOP_LEVEL_IRP ((LONG_PTR)0x06)
#define FSRTL_MAX_TOP_LEVEL_IRP_FLAG ((LONG_PTR)0xFFFF)
/* The DOS name (C:) of a volume device object (model/src/device.c, SEMANTICS.md D-16: the modeled
 * volumes are C:, D:, ... in order). */
NTKERNELAPI NTSTATUS IoVolumeDeviceToDosName(PVOID VolumeDeviceObject, PUNICODE_STRING DosName);

/* ---- Time ---------------------------------------------------------------------------- */
NTKERNELAPI VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount);
NTKERNELAPI ULONG KeQueryTimeIncrement(VOID);
NTKERNELAPI ULONGLONG KeQueryInterruptTime(VOID);
NTKERNELAPI NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval);

/* ---- MDLs ---------------------------------------------------------------------------- */
#define MDL_MAPPED_TO_SYSTEM_VA     0x0001
#define MDL_PAGES_LOCKED            0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE    0x0008
#define MDL_PARTIAL                 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ            0x0040
#define MDL_WRITE_OPERATION         0x0080
#define MDL_LOCKED_PAGE_TABLES      0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES         0x0200
#define MDL_DESCRIBES_AWE           0x0400
#define MDL_IO_SPACE                0x0800
#define MDL_NETWORK_HEADER          0x1000
#define MDL_MAPPING_CAN_FAIL        0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED  0x4000
#define MDL_INTERNAL                0x8000
#define MDL_MAPPING_FLAGS                                                                                 \
    (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL_HAS_BEEN_MAPPED | \
     MDL_PARENT_MAPPED_SYSTEM_VA | MDL_IO_SPACE)

typedef enum _LOCK_OPERATION { IoReadAccess, IoWriteAccess, IoModifyAccess } LOCK_OPERATION;

typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;
#define MdlMappingNoWrite   0x80000000
#define MdlMappingNoExecute 0x40000000

#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
    ((ULONG)((((ULONG_PTR)(Va) & (PAGE_SIZE - 1)) + (Size) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)

typedef enum _MEMORY_CACHING_TYPE {
    MmNotMapped = -1,
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
    MmHardwareCoherentCached,
    MmNonCachedUnordered,
    MmUSWCCached,
    MmMaximumCacheType
} MEMORY_CACHING_TYPE;

NTKERNELAPI PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota,
                               PIRP Irp);
NTKERNELAPI VOID IoFreeMdl(PMDL Mdl);
NTKERNELAPI SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length);
/* Declared, not modeled (not_modeled.def): a call stops with violation 0x1009. */
NTKERNELAPI VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length);
NTKERNELAPI VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
NTKERNELAPI VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation);
NTKERNELAPI VOID MmUnlockPages(PMDL MemoryDescriptorList);
NTKERNELAPI PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                               MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                               ULONG BugCheckOnFailure, ULONG Priority);
NTKERNELAPI VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);
/* A macro in the WDK; a routine here, with the macro's behaviour (SEMANTICS.md Y-8). */
NTKERNELAPI PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority);

/* ---- Work items ---------------------------------------------------------------------- */
typedef struct _IO_WORKITEM IO_WORKITEM, *PIO_WORKITEM;
typedef VOID IO_WORKITEM_ROUTINE(PDEVICE_OBJECT DeviceObject, PVOID Context);
typedef IO_WORKITEM_ROUTINE *PIO_WORKITEM_ROUTINE;
typedef VOID IO_WORKITEM_ROUTINE_EX(PVOID IoObject, PVOID Context, PIO_WORKITEM IoWorkItem);
typedef IO_WORKITEM_ROUTINE_EX *PIO_WORKITEM_ROUTINE_EX;

typedef enum _WORK_QUEUE_TYPE {
    CriticalWorkQueue,
    DelayedWorkQueue,
    HyperCriticalWorkQueue,
    NormalWorkQueue,
    BackgroundWorkQueue,
    RealTimeWorkQueue,
    SuperCriticalWorkQueue,
    MaximumWorkQueue,
    CustomPriorityWorkQueue = 32
} WORK_QUEUE_TYPE;

NTKERNELAPI PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                                 PVOID Context);
NTKERNELAPI VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine,
                                   WORK_QUEUE_TYPE QueueType, PVOID Context);
NTKERNELAPI ULONG IoSizeofWorkItem(VOID);
NTKERNELAPI VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem);
NTKERNELAPI VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem);

/* ---- Debugger breaks ----------------------------------------------------------------- */
#define DBG_STATUS_CONTROL_C 1
#define DBG_STATUS_SYSRQ 2
#define DBG_STATUS_BUGCHECK_FIRST 3
#define DBG_STATUS_BUGCHECK_SECOND 4
#define DBG_STATUS_FATAL 5
#define DBG_STATUS_DEBUG_CONTROL 6
#define DBG_STATUS_WORKER 7
NTSYSAPI VOID DbgBreakPoint(VOID);
NTSYSAPI VOID DbgBreakPointWithStatus(ULONG Status);

#ifdef __cplusplus
}
#endif

#endif /* KFAULT_WDK_SYSTEM_H */
