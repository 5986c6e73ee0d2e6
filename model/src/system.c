/*
 * system.c - system services a driver uses around its real work: the driver runtime and NX
 * pool opt-in, MmGetSystemRoutineAddress, the current process, the modeled clock and
 * KeDelayExecutionThread, MDLs (IoAllocateMdl .. MmUnlockPages) and work items
 * (IoAllocateWorkItem .. IoQueueWorkItem), DbgBreakPoint. Implements SEMANTICS.md Y-1 .. Y-11.
 *
 * Must never: read the host clock, hand a driver a host address the driver did not give it
 * (process and thread objects are modeled constants), run a work item anywhere but from the
 * pending-work runner or kf_run_work_items, or decide a failure itself (it asks the fault
 * hook at io.mdl, mm.lock, mm.map, io.workitem).
 */
#include "internal.h"
#include "ntddk.h"

#include <stdio.h>
#include <stdlib.h>

#undef ExInitializeDriverRuntime /* the header's form for drivers built without POOL_NX_OPTIN */

#define WORKER_THREAD_RETURNED_AT_BAD_IRQL 0x000000E1


static _Noreturn void null_arg(const char *routine, const char *what) __attribute__((noreturn));
static void null_arg(const char *routine, const char *what)
{
    kf_violation_stop(KF_VIOL_SYSTEM_NULL_ARGUMENT, routine, 0, 0, 0, "%s with %s NULL", routine, what);
}

/* ---- Y-1: driver runtime ---------------------------------------------------------------- */

POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPoolExecute;
ULONG ExDefaultMdlProtection;

VOID ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    if ((RuntimeFlags & DrvRtPoolNxOptIn) && kf_current_profile()->os >= KF_OS_WIN8) {
        ExDefaultNonPagedPoolType = NonPagedPoolNx;
        ExDefaultMdlProtection = MdlMappingNoExecute;
        kf__pool_set_nx_required(1);
    }
}

/* ---- Y-3: processes and threads ----------------------------------------------------------- */

/* The current process is the object manager's (object.c): the system process, or the user
 * process of kf_set_user_process_context, so that ObReferenceObject and ObOpenObjectByPointer
 * accept what PsGetCurrentProcess returns. Its id follows it: 4 for the System process, a
 * modeled id (0x1A4) for the user process. */
#define USER_PROCESS_ID KF__USER_PROCESS_ID
HANDLE PsGetCurrentProcessId(VOID) { return (HANDLE)(ULONG_PTR)(kf__user_context() ? USER_PROCESS_ID : 4u); }
PEPROCESS PsGetCurrentProcess(VOID) { return (PEPROCESS)kf__current_process(); }
PEPROCESS IoGetCurrentProcess(VOID) { return (PEPROCESS)kf__current_process(); }

BOOLEAN PsIsSystemThread(PETHREAD Thread)
{
    if (Thread != PsGetCurrentThread())
        kf_violation_stop(KF_VIOL_SYSTEM_INVALID_OBJECT, "PsIsSystemThread", 0, 0, 0,
                          "PsIsSystemThread of a pointer that is not a thread object");
    return TRUE;
}

/* Y-12: the modeled thread belongs to the current process; any other pointer is not a thread. */
PEPROCESS IoThreadToProcess(PETHREAD Thread)
{
    if (Thread != PsGetCurrentThread())
        kf_violation_stop(KF_VIOL_SYSTEM_INVALID_OBJECT, "IoThreadToProcess", 0, 0, 0,
                          "IoThreadToProcess of a pointer that is not a thread object");
    return (PEPROCESS)kf__current_process();
}

/* Y-13: the top-level IRP of the simulated thread (kf_reset clears it: system.c's reset). */
static _Thread_local PIRP top_level_irp;
PIRP IoGetTopLevelIrp(VOID) { return top_level_irp; }
VOID IoSetTopLevelIrp(PIRP Irp) { top_level_irp = Irp; }

/* ---- Y-4, Y-5: the modeled clock ------------------------------------------------------------ */

#define CLOCK_BOOT 134116992000000000ull /* 2026-01-01 00:00:00 UTC, in 100 ns since 1601 */
#define CLOCK_STEP 10ull                 /* every query: 1 microsecond */
#define TIME_INCREMENT 156250u           /* 15.625 ms, the default clock interval */

static ULONGLONG clock_now; /* 100 ns units since boot */

ULONGLONG kf_clock_now(void) { return clock_now; }

static ULONGLONG clock_read(void)
{
    ULONGLONG v = clock_now;
    clock_now += CLOCK_STEP;
    return v;
}

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) { CurrentTime->QuadPart = (LONGLONG)(CLOCK_BOOT + clock_read()); }

VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = (LONGLONG)(CLOCK_BOOT + clock_read());
}

VOID KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    CurrentCount->QuadPart = (LONGLONG)(clock_read() / TIME_INCREMENT);
}

ULONG KeQueryTimeIncrement(VOID) { return TIME_INCREMENT; }

ULONGLONG KeQueryInterruptTime(VOID) { return clock_read(); }

/* Time a thread spends blocked (Y-5, W-5): a relative (negative) interval advances the clock
 * by its length, an absolute one to that time when it is still in the future. */
void kf__clock_pass(const LARGE_INTEGER *interval)
{
    LONGLONG v = interval->QuadPart;
    if (v < 0) {
        clock_now += (ULONGLONG)(-(v + 1)) + 1;
    } else {
        ULONGLONG abs_now = CLOCK_BOOT + clock_now;
        if ((ULONGLONG)v > abs_now)
            clock_now += (ULONGLONG)v - abs_now;
    }
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    (void)WaitMode;
    (void)Alertable;
    kf__irql_at_most("KeDelayExecutionThread", APC_LEVEL);
    if (!Interval)
        null_arg("KeDelayExecutionThread", "Interval");
    kf__clock_pass(Interval);
    /* While the thread sleeps, the rest of the system runs what it has pending. */
    kf__run_pending();
    return STATUS_SUCCESS;
}

/* ---- Y-2: MmGetSystemRoutineAddress ---------------------------------------------------------- */

typedef struct routine_entry {
    const char *name;
    PVOID address;
    kf_os min_os;
    int ws03_amd64; /* also on Server 2003 SP1 for amd64 */
} routine_entry;

#define R(name, os) {#name, (PVOID)&name, KF_OS_##os, 0}
static const routine_entry modeled_routines[] = {
    R(KeGetCurrentIrql, WS03), R(KeRaiseIrql, WS03), R(KeLowerIrql, WS03), R(KeRaiseIrqlToDpcLevel, WS03),
    R(IoGetRemainingStackSize, WS03), R(IoGetStackLimits, WS03), R(KeBugCheckEx, WS03), R(KeBugCheck, WS03),
    R(ExRaiseStatus, WS03), R(PsTerminateSystemThread, WS03), R(PsGetCurrentThread, WS03),
    R(PsGetCurrentThreadId, WS03), R(DbgPrint, WS03), R(DbgPrintEx, WS03), R(RtlAssert, WS03),
    {"KeExpandKernelStackAndCallout", (PVOID)&KeExpandKernelStackAndCallout, KF_OS_VISTA, 1},
    R(KeExpandKernelStackAndCalloutEx, VISTA),
    R(ExAllocatePoolWithTag, WS03), R(ExAllocatePool, WS03), R(ExAllocatePoolWithQuotaTag, WS03),
    R(ExAllocatePoolWithQuota, WS03), R(ExAllocatePoolWithTagPriority, WS03),
    R(ExAllocatePool2, WIN10), R(ExAllocatePool3, WIN10), R(ExFreePoolWithTag, WS03), R(ExFreePool, WS03),
    R(ExInitializeNPagedLookasideList, WS03), R(ExDeleteNPagedLookasideList, WS03),
    R(ExInitializePagedLookasideList, WS03), R(ExDeletePagedLookasideList, WS03),
    R(ExAllocateFromNPagedLookasideList, WIN11), R(ExFreeToNPagedLookasideList, WIN11),
    R(ExAllocateFromPagedLookasideList, WS03), R(ExFreeToPagedLookasideList, WS03),
    R(ExInitializeLookasideListEx, VISTA), R(ExAllocateFromLookasideListEx, WIN11),
    R(ExFreeToLookasideListEx, WIN11), R(ExDeleteLookasideListEx, VISTA), R(ExFlushLookasideListEx, VISTA),
    R(MmGetSystemRoutineAddress, WS03), R(PsGetCurrentProcessId, WS03), R(PsGetCurrentProcess, WS03),
    R(IoGetCurrentProcess, WS03), R(PsIsSystemThread, WS03), R(KeQuerySystemTimePrecise, WIN8),
    R(IoThreadToProcess, WS03), R(IoGetTopLevelIrp, WS03), R(IoSetTopLevelIrp, WS03),
    R(KeQueryTimeIncrement, WS03), R(KeQueryInterruptTime, WS03), R(KeDelayExecutionThread, WS03),
    R(IoAllocateMdl, WS03), R(IoFreeMdl, WS03), R(MmSizeOfMdl, WS03), R(MmBuildMdlForNonPagedPool, WS03), R(MmProbeAndLockPages, WS03),
    R(MmUnlockPages, WS03), R(MmMapLockedPagesSpecifyCache, WS03), R(MmUnmapLockedPages, WS03),
    R(IoAllocateWorkItem, WS03), R(IoFreeWorkItem, WS03), R(IoQueueWorkItem, WS03),
    R(IoQueueWorkItemEx, VISTA), R(IoSizeofWorkItem, VISTA), R(IoInitializeWorkItem, VISTA),
    R(IoUninitializeWorkItem, VISTA), R(DbgBreakPoint, WS03), R(DbgBreakPointWithStatus, WS03),
    /* The other families of the base layer: the routines ntoskrnl (or, on x86, the HAL) exports,
     * with the first Windows of the documentation's "Minimum supported client". WS03 is the
     * model's oldest profile: it stands for Windows 2000 and XP, and also where the page gives no
     * version the model could check (marked "earliest profile" below). Not listed, since the
     * WDK makes them inline code or macros in the driver rather than exports: the
     * ExAllocatePool*Zero / *Uninitialized helpers, ExInitializeDriverRuntime,
     * ExInitializeFastMutex, the S-list routines, MmGetSystemAddressForMdlSafe,
     * KeQuerySystemTime and KeQueryTickCount (amd64 macros), the interlocked intrinsics, the CRT
     * and ntstrsafe. Flt* routines are FltMgr's (FltGetRoutineAddress, flt_objects.c). */
    /* Debug output and exceptions (lang, strings). */
    R(vDbgPrintEx, WS03), R(ExRaiseAccessViolation, WS03), R(ExRaiseDatatypeMisalignment, WS03),
    R(ProbeForRead, WS03), R(ProbeForWrite, WS03),
    /* Synchronization: spin locks (x86: the HAL's; KeInitializeSpinLock and the amd64
     * KeAcquireSpinLockRaiseToDpc / KeReleaseSpinLock forms: earliest profile), regions, mutexes,
     * resources, interlocked lists, the cancel spin lock. */
    R(KeInitializeSpinLock, WS03), R(KeAcquireSpinLockRaiseToDpc, WS03), R(KeReleaseSpinLock, WS03),
    R(KeAcquireSpinLockAtDpcLevel, WS03), R(KeReleaseSpinLockFromDpcLevel, WS03),
    R(KeTryToAcquireSpinLockAtDpcLevel, WS03), R(KeTestSpinLock, WS03), R(KeAcquireInStackQueuedSpinLock, WS03),
    R(KeReleaseInStackQueuedSpinLock, WS03), R(KeAcquireInStackQueuedSpinLockAtDpcLevel, WS03),
    R(KeReleaseInStackQueuedSpinLockFromDpcLevel, WS03), R(KeEnterCriticalRegion, WS03),
    R(KeLeaveCriticalRegion, WS03), R(KeEnterGuardedRegion, WS03), R(KeLeaveGuardedRegion, WS03),
    R(KeAreApcsDisabled, WS03), R(KeAreAllApcsDisabled, WS03), R(ExAcquireFastMutex, WS03),
    R(ExReleaseFastMutex, WS03), R(ExTryToAcquireFastMutex, WS03), R(ExAcquireFastMutexUnsafe, WS03),
    R(ExReleaseFastMutexUnsafe, WS03), R(KeInitializeGuardedMutex, WS03), R(KeAcquireGuardedMutex, WS03),
    R(KeReleaseGuardedMutex, WS03), R(KeTryToAcquireGuardedMutex, WS03), R(ExInitializeResourceLite, WS03),
    R(ExReinitializeResourceLite, WS03), R(ExDeleteResourceLite, WS03), R(ExAcquireResourceExclusiveLite, WS03),
    R(ExAcquireResourceSharedLite, WS03), R(ExAcquireSharedStarveExclusive, WS03),
    R(ExAcquireSharedWaitForExclusive, WS03), R(ExTryToAcquireResourceExclusiveLite, WS03),
    R(ExConvertExclusiveToSharedLite, WS03), R(ExReleaseResourceLite, WS03), R(ExReleaseResourceForThreadLite, WS03),
    R(ExIsResourceAcquiredExclusiveLite, WS03), R(ExIsResourceAcquiredSharedLite, WS03),
    R(ExGetExclusiveWaiterCount, WS03), R(ExGetSharedWaiterCount, WS03),
    /* ExEnterCriticalRegionAndAcquire* / ExReleaseResourceAndLeaveCriticalRegion: earliest profile. */
    R(ExEnterCriticalRegionAndAcquireResourceExclusive, WS03), R(ExEnterCriticalRegionAndAcquireResourceShared, WS03),
    R(ExEnterCriticalRegionAndAcquireSharedWaitForExclusive, WS03), R(ExReleaseResourceAndLeaveCriticalRegion, WS03),
    R(ExInterlockedInsertHeadList, WS03), R(ExInterlockedInsertTailList, WS03), R(ExInterlockedRemoveHeadList, WS03),
    R(ExInterlockedPushEntryList, WS03), R(ExInterlockedPopEntryList, WS03), R(IoAcquireCancelSpinLock, WS03),
    R(IoReleaseCancelSpinLock, WS03),
    /* Events and waits. */
    R(KeInitializeEvent, WS03), R(KeSetEvent, WS03), R(KeResetEvent, WS03), R(KeClearEvent, WS03),
    R(KeReadStateEvent, WS03), R(KeInitializeMutex, WS03), R(KeReleaseMutex, WS03), R(KeReadStateMutex, WS03),
    R(KeInitializeSemaphore, WS03), R(KeReleaseSemaphore, WS03), R(KeReadStateSemaphore, WS03),
    R(KeWaitForSingleObject, WS03), R(KeWaitForMultipleObjects, WS03),
    /* Objects and handles: the WithTag forms from Windows 7, deferred delete from Vista. */
    R(ObfReferenceObject, WS03), R(ObfDereferenceObject, WS03), R(ObfReferenceObjectWithTag, WIN7),
    R(ObfDereferenceObjectWithTag, WIN7), R(ObDereferenceObjectDeferDelete, VISTA),
    R(ObDereferenceObjectDeferDeleteWithTag, WIN7), R(ObReferenceObjectByHandle, WS03),
    R(ObReferenceObjectByHandleWithTag, WIN7), R(ObReferenceObjectByPointer, WS03),
    R(ObReferenceObjectByPointerWithTag, WIN7), R(ObOpenObjectByPointer, WS03), R(ZwClose, WS03), R(NtClose, WS03),
    /* Processes and views of sections (DS-6 to DS-9). */
    R(ZwOpenProcess, WS03), R(ZwMapViewOfSection, WS03), R(ZwUnmapViewOfSection, WS03),
    /* Transactions (FT-15): from Vista. */
    R(ZwQueryInformationTransaction, VISTA),
    /* The registry: ZwOpenKeyEx from Windows 7, IoOpenDriverRegistryKey from Windows 10 (2004). */
    R(ZwOpenKey, WS03), R(ZwOpenKeyEx, WIN7), R(ZwCreateKey, WS03), R(ZwDeleteKey, WS03), R(ZwFlushKey, WS03),
    R(ZwQueryKey, WS03), R(ZwEnumerateKey, WS03), R(ZwQueryValueKey, WS03), R(ZwEnumerateValueKey, WS03),
    R(ZwSetValueKey, WS03), R(ZwDeleteValueKey, WS03), R(RtlQueryRegistryValues, WS03),
    R(RtlWriteRegistryValue, WS03), R(RtlDeleteRegistryValue, WS03), R(RtlCheckRegistryKey, WS03),
    R(RtlCreateRegistryKey, WS03), R(IoOpenDriverRegistryKey, WIN10),
    /* Strings: RtlCompareUnicodeStrings from Vista; RtlDuplicateUnicodeString, RtlInitUnicodeStringEx
     * and RtlSuffixUnicodeString: earliest profile. */
    R(RtlInitString, WS03), R(RtlInitAnsiString, WS03), R(RtlInitUnicodeString, WS03),
    R(RtlInitUnicodeStringEx, WS03), R(RtlCopyString, WS03), R(RtlCopyUnicodeString, WS03),
    R(RtlAppendUnicodeStringToString, WS03), R(RtlAppendUnicodeToString, WS03), R(RtlCompareString, WS03),
    R(RtlCompareUnicodeString, WS03), R(RtlCompareUnicodeStrings, VISTA), R(RtlEqualString, WS03),
    R(RtlEqualUnicodeString, WS03), R(RtlPrefixUnicodeString, WS03), R(RtlSuffixUnicodeString, WS03),
    R(RtlUpcaseUnicodeChar, WS03), R(RtlDowncaseUnicodeChar, WS03), R(RtlUpcaseUnicodeString, WS03),
    R(RtlDowncaseUnicodeString, WS03), R(RtlAnsiStringToUnicodeString, WS03), R(RtlUnicodeStringToAnsiString, WS03),
    R(RtlFreeUnicodeString, WS03), R(RtlFreeAnsiString, WS03), R(RtlUnicodeStringToInteger, WS03),
    R(RtlCharToInteger, WS03), R(RtlIntegerToUnicodeString, WS03), R(RtlInt64ToUnicodeString, WS03),
    R(RtlStringFromGUID, WS03), R(RtlGUIDFromString, WS03), R(RtlDuplicateUnicodeString, WS03),
    R(RtlCreateUnicodeString, WS03),
    /* Device objects, symbolic links and IRP completion (device.c): all from the earliest profile. */
    R(IoCreateDevice, WS03), R(IoDeleteDevice, WS03), R(IoCreateSymbolicLink, WS03), R(IoDeleteSymbolicLink, WS03),
    R(IoGetAttachedDeviceReference, WS03), R(IofCompleteRequest, WS03), R(IoBuildDeviceIoControlRequest, WS03), R(IofCallDriver, WS03), R(IoVolumeDeviceToDosName, WS03),
};

/* The table, for the test that every entry links and follows its OS. */
size_t kf__system_routine_count(void) { return sizeof modeled_routines / sizeof modeled_routines[0]; }
const char *kf__system_routine(size_t i, PVOID *address, kf_os *min_os, int *ws03_amd64)
{
    const routine_entry *e = &modeled_routines[i];
    *address = e->address;
    *min_os = e->min_os;
    *ws03_amd64 = e->ws03_amd64;
    return e->name;
}
#undef R


static int name_is(const UNICODE_STRING *u, const char *name)
{
    size_t n = strlen(name);
    if (u->Length != n * sizeof(WCHAR))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (u->Buffer[i] != (WCHAR)(unsigned char)name[i])
            return 0;
    return 1;
}

PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    kf__irql_at_most("MmGetSystemRoutineAddress", PASSIVE_LEVEL);
    if (!SystemRoutineName)
        null_arg("MmGetSystemRoutineAddress", "SystemRoutineName");
    if (!SystemRoutineName->Buffer || SystemRoutineName->Length == 0 || SystemRoutineName->Length >= 256 ||
        (SystemRoutineName->Length & 1))
        return NULL;
    char ascii[128];
    size_t n = SystemRoutineName->Length / sizeof(WCHAR);
    for (size_t i = 0; i < n; i++) {
        WCHAR c = SystemRoutineName->Buffer[i];
        if (c == 0 || c > 0x7E)
            return NULL;
        ascii[i] = (char)c;
    }
    ascii[n] = 0;
    const kf_profile *p = kf_current_profile();
    for (size_t i = 0; i < sizeof modeled_routines / sizeof modeled_routines[0]; i++) {
        const routine_entry *e = &modeled_routines[i];
        if (!name_is(SystemRoutineName, e->name))
            continue;
        if (p->os >= e->min_os || (e->ws03_amd64 && p->os == KF_OS_WS03 && p->arch == KF_ARCH_AMD64))
            return e->address;
        return NULL;
    }
    return kf__not_modeled_address(ascii);
}

/* ---- Y-7, Y-8: MDLs ------------------------------------------------------------------------ */

typedef struct mdl_rec {
    struct mdl_rec *next;
    PMDL mdl;
} mdl_rec;

static mdl_rec *mdls;
static size_t n_mdls;

static mdl_rec **mdl_find(PMDL m)
{
    for (mdl_rec **pp = &mdls; *pp; pp = &(*pp)->next)
        if ((*pp)->mdl == m)
            return pp;
    return NULL;
}

static PMDL mdl_live(const char *routine, PMDL m)
{
    if (!m)
        null_arg(routine, "the MDL");
    if (!mdl_find(m))
        kf_violation_stop(KF_VIOL_SYSTEM_INVALID_OBJECT, routine, 0, 0, 0,
                          "%s of an MDL that IoAllocateMdl did not return, or one already freed", routine);
    return m;
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)
{
    (void)ChargeQuota;
    kf__irql_at_most("IoAllocateMdl", DISPATCH_LEVEL);
    /* The largest buffer one MDL describes: 2 GB less a page (Y-7). */
    if (Length == 0 || Length > 0x7FFFF000u)
        return NULL;
    if (kf_fault_consult(KF_SITE_IO_MDL) != KF_FAULT_NONE)
        return NULL;
    size_t size = MmSizeOfMdl(VirtualAddress, Length);
    PMDL m = malloc(size);
    mdl_rec *r = malloc(sizeof *r);
    if (!m || !r) {
        free(m);
        free(r);
        return NULL;
    }
    memset(m, 0, size);
    m->Size = (SHORT)(size > 0x7FFF ? 0x7FFF : size);
    m->StartVa = PAGE_ALIGN(VirtualAddress);
    m->ByteOffset = BYTE_OFFSET(VirtualAddress);
    m->ByteCount = Length;
    r->mdl = m;
    r->next = mdls;
    mdls = r;
    n_mdls++;
    if (Irp) {
        if (!SecondaryBuffer || !Irp->MdlAddress) {
            Irp->MdlAddress = m;
        } else {
            PMDL last = Irp->MdlAddress;
            while (last->Next)
                last = last->Next;
            last->Next = m;
        }
    }
    return m;
}

SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    return sizeof(MDL) + (SIZE_T)ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length) * sizeof(ULONG_PTR);
}

VOID IoFreeMdl(PMDL Mdl)
{
    kf__irql_at_most("IoFreeMdl", DISPATCH_LEVEL);
    mdl_live("IoFreeMdl", Mdl);
    if (Mdl->MdlFlags & MDL_PAGES_LOCKED)
        kf_violation_stop(KF_VIOL_MDL_FREE_LOCKED, "IoFreeMdl", (ULONG_PTR)(USHORT)Mdl->MdlFlags, 0, 0,
                          "IoFreeMdl of an MDL whose pages are still locked (MmUnlockPages first)");
    mdl_rec **pp = mdl_find(Mdl);
    mdl_rec *r = *pp;
    *pp = r->next;
    free(r);
    n_mdls--;
    free(Mdl);
}

/* Y-8: the kernel probes the pages an MDL describes; the model reads every byte of the
 * buffer, so one that is freed or smaller than the MDL says is AddressSanitizer's report. */
static void mdl_touch(const MDL *m)
{
    const volatile UCHAR *p = (const volatile UCHAR *)m->StartVa + m->ByteOffset;
    UCHAR sum = 0;
    for (ULONG i = 0; i < m->ByteCount; i++)
        sum ^= p[i];
    (void)sum;
}

VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    PMDL m = mdl_live("MmBuildMdlForNonPagedPool", MemoryDescriptorList);
    kf__irql_at_most("MmBuildMdlForNonPagedPool", DISPATCH_LEVEL);
    if (m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmBuildMdlForNonPagedPool", (ULONG_PTR)(USHORT)m->MdlFlags, 0, 0,
                          "MmBuildMdlForNonPagedPool of an MDL that is already built, locked or mapped (flags 0x%X)",
                          (unsigned)(USHORT)m->MdlFlags);
    mdl_touch(m);
    m->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
    m->MappedSystemVa = (PCHAR)m->StartVa + m->ByteOffset;
}

VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    PMDL m = mdl_live("MmProbeAndLockPages", MemoryDescriptorList);
    kf__irql_at_most("MmProbeAndLockPages", AccessMode == KernelMode ? DISPATCH_LEVEL : APC_LEVEL);
    if (m->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL))
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmProbeAndLockPages", (ULONG_PTR)(USHORT)m->MdlFlags, 0, 0,
                          "MmProbeAndLockPages of an MDL that is already locked or built for nonpaged pool "
                          "(flags 0x%X)",
                          (unsigned)(USHORT)m->MdlFlags);
    if ((unsigned)Operation > IoModifyAccess)
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmProbeAndLockPages", (ULONG_PTR)Operation, 0, 0,
                          "MmProbeAndLockPages with Operation %u, not a LOCK_OPERATION", (unsigned)Operation);
    if (kf_fault_consult(KF_SITE_MM_LOCK) != KF_FAULT_NONE)
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    mdl_touch(m);
    m->MdlFlags |= MDL_PAGES_LOCKED;
    if (Operation != IoReadAccess)
        m->MdlFlags |= MDL_WRITE_OPERATION;
}

VOID MmUnlockPages(PMDL MemoryDescriptorList)
{
    PMDL m = mdl_live("MmUnlockPages", MemoryDescriptorList);
    kf__irql_at_most("MmUnlockPages", DISPATCH_LEVEL);
    if (!(m->MdlFlags & MDL_PAGES_LOCKED))
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmUnlockPages", (ULONG_PTR)(USHORT)m->MdlFlags, 0, 0,
                          "MmUnlockPages of an MDL whose pages are not locked (flags 0x%X)",
                          (unsigned)(USHORT)m->MdlFlags);
    m->MdlFlags &= (SHORT) ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_WRITE_OPERATION);
    m->MappedSystemVa = NULL;
}

#define NO_MORE_SYSTEM_PTES 0x0000003F

/* Y-8: maps a locked (or nonpaged-built) MDL into system space. bugcheck: BugCheckOnFailure. */
static PVOID mdl_map(const char *routine, PMDL m, int bugcheck)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    if (m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return m->MappedSystemVa;
    if (!(m->MdlFlags & MDL_PAGES_LOCKED))
        kf_violation_stop(KF_VIOL_MDL_STATE, routine, (ULONG_PTR)(USHORT)m->MdlFlags, 0, 0,
                          "%s of an MDL that is neither locked nor built for nonpaged pool (flags 0x%X)", routine,
                          (unsigned)(USHORT)m->MdlFlags);
    if (kf_fault_consult(KF_SITE_MM_MAP) != KF_FAULT_NONE) {
        if (bugcheck)
            kf_bugcheck(routine, NO_MORE_SYSTEM_PTES, 0, ADDRESS_AND_SIZE_TO_SPAN_PAGES(m->ByteOffset, m->ByteCount),
                        0, 0, "%s could not map the MDL and BugCheckOnFailure was set", routine);
        return NULL;
    }
    m->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    m->MappedSystemVa = (PCHAR)m->StartVa + m->ByteOffset;
    return m->MappedSystemVa;
}

PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority;
    return mdl_map("MmGetSystemAddressForMdlSafe", mdl_live("MmGetSystemAddressForMdlSafe", Mdl), 0);
}

PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure,
                                   ULONG Priority)
{
    (void)Priority;
    PMDL m = mdl_live("MmMapLockedPagesSpecifyCache", MemoryDescriptorList);
    if (AccessMode != KernelMode)
        kf__not_modeled("MmMapLockedPagesSpecifyCache(UserMode)"); /* the model has no user address space */
    if ((int)CacheType < MmNonCached || CacheType >= MmMaximumCacheType)
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmMapLockedPagesSpecifyCache", (ULONG_PTR)CacheType, 0, 0,
                          "MmMapLockedPagesSpecifyCache with CacheType %d, not a MEMORY_CACHING_TYPE", (int)CacheType);
    if (RequestedAddress)
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmMapLockedPagesSpecifyCache", 0, 0, 0,
                          "MmMapLockedPagesSpecifyCache in KernelMode with a RequestedAddress (must be NULL)");
    return mdl_map("MmMapLockedPagesSpecifyCache", m, BugCheckOnFailure != 0);
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    PMDL m = mdl_live("MmUnmapLockedPages", MemoryDescriptorList);
    kf__irql_at_most("MmUnmapLockedPages", DISPATCH_LEVEL);
    if (!(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || BaseAddress != m->MappedSystemVa)
        kf_violation_stop(KF_VIOL_MDL_STATE, "MmUnmapLockedPages", (ULONG_PTR)(USHORT)m->MdlFlags, 0, 0,
                          "MmUnmapLockedPages of %s", !(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
                                                          ? "an MDL that is not mapped"
                                                          : "an address that is not the MDL's mapping");
    m->MdlFlags &= (SHORT)~MDL_MAPPED_TO_SYSTEM_VA;
    m->MappedSystemVa = NULL;
}

/* ---- Y-9 .. Y-11: work items ------------------------------------------------------------------ */

#define WORKITEM_SIZE 0x58u

typedef struct wi_rec {
    struct wi_rec *next;   /* in the list of live items */
    struct wi_rec *qnext;  /* in the queue */
    PIO_WORKITEM item;
    PVOID io_object;
    int allocated;         /* by IoAllocateWorkItem (else IoInitializeWorkItem) */
    int queued;
    PIO_WORKITEM_ROUTINE routine;
    PIO_WORKITEM_ROUTINE_EX routine_ex;
    PVOID context;
} wi_rec;

static wi_rec *items;
static wi_rec *q_head, *q_tail;

static wi_rec *wi_find(PIO_WORKITEM item)
{
    for (wi_rec *r = items; r; r = r->next)
        if (r->item == item)
            return r;
    return NULL;
}

static wi_rec *wi_live(const char *routine, PIO_WORKITEM item)
{
    if (!item)
        null_arg(routine, "IoWorkItem");
    wi_rec *r = wi_find(item);
    if (!r)
        kf_violation_stop(KF_VIOL_SYSTEM_INVALID_OBJECT, routine, 0, 0, 0,
                          "%s of a work item that is not allocated or initialized (never, or already freed)",
                          routine);
    return r;
}

static wi_rec *wi_add(PIO_WORKITEM item, PVOID io_object, int allocated)
{
    wi_rec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->item = item;
    r->io_object = io_object;
    r->allocated = allocated;
    r->next = items;
    items = r;
    return r;
}

static void wi_remove(wi_rec *r)
{
    for (wi_rec **pp = &items; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    free(r);
}

ULONG IoSizeofWorkItem(VOID) { return WORKITEM_SIZE; }

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    kf__irql_at_most("IoAllocateWorkItem", DISPATCH_LEVEL);
    if (!DeviceObject)
        null_arg("IoAllocateWorkItem", "DeviceObject");
    if (kf_fault_consult(KF_SITE_IO_WORKITEM) != KF_FAULT_NONE)
        return NULL;
    PIO_WORKITEM item = malloc(WORKITEM_SIZE);
    if (!item)
        return NULL;
    memset(item, 0, WORKITEM_SIZE);
    if (!wi_add(item, DeviceObject, 1)) {
        free(item);
        return NULL;
    }
    return item;
}

VOID IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)
{
    kf__irql_at_most("IoInitializeWorkItem", DISPATCH_LEVEL);
    if (!IoObject)
        null_arg("IoInitializeWorkItem", "IoObject");
    if (!IoWorkItem)
        null_arg("IoInitializeWorkItem", "IoWorkItem");
    if (wi_find(IoWorkItem))
        kf_violation_stop(KF_VIOL_WORKITEM_MISUSE, "IoInitializeWorkItem", 0, 0, 0,
                          "IoInitializeWorkItem of a work item that is already initialized or allocated");
    memset(IoWorkItem, 0, WORKITEM_SIZE);
    if (!wi_add(IoWorkItem, IoObject, 0)) {
        fprintf(stderr, "kfault: out of host memory for a work item\n");
        abort();
    }
}

static void wi_release(const char *routine, PIO_WORKITEM item, int allocated)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    wi_rec *r = wi_live(routine, item);
    if (r->allocated != allocated)
        kf_violation_stop(KF_VIOL_WORKITEM_MISUSE, routine, 0, 0, 0, "%s of a work item that %s", routine,
                          allocated ? "IoInitializeWorkItem initialized (IoUninitializeWorkItem goes with it)"
                                    : "IoAllocateWorkItem allocated (IoFreeWorkItem goes with it)");
    if (r->queued)
        kf_violation_stop(KF_VIOL_WORKITEM_MISUSE, routine, 0, 0, 0,
                          "%s of a work item that is queued and has not run yet", routine);
    wi_remove(r);
    if (allocated)
        free(item);
}

VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem) { wi_release("IoFreeWorkItem", IoWorkItem, 1); }

VOID IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem) { wi_release("IoUninitializeWorkItem", IoWorkItem, 0); }

static void wi_queue(const char *routine, PIO_WORKITEM item, PIO_WORKITEM_ROUTINE fn, PIO_WORKITEM_ROUTINE_EX fn_ex,
                     WORK_QUEUE_TYPE type, PVOID ctx)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    wi_rec *r = wi_live(routine, item);
    if (!fn && !fn_ex)
        null_arg(routine, "WorkerRoutine");
    if ((unsigned)type >= MaximumWorkQueue && type != CustomPriorityWorkQueue)
        kf_violation_stop(KF_VIOL_WORKITEM_MISUSE, routine, (ULONG_PTR)type, 0, 0,
                          "%s with QueueType %u, not a WORK_QUEUE_TYPE", routine, (unsigned)type);
    if (r->queued)
        kf_violation_stop(KF_VIOL_WORKITEM_MISUSE, routine, 0, 0, 0,
                          "%s of a work item that is already queued and has not run yet", routine);
    r->queued = 1;
    r->routine = fn;
    r->routine_ex = fn_ex;
    r->context = ctx;
    r->qnext = NULL;
    if (q_tail)
        q_tail->qnext = r;
    else
        q_head = r;
    q_tail = r;
}

VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                     PVOID Context)
{
    wi_queue("IoQueueWorkItem", IoWorkItem, WorkerRoutine, NULL, QueueType, Context);
}

VOID IoQueueWorkItemEx(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE_EX WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                       PVOID Context)
{
    wi_queue("IoQueueWorkItemEx", IoWorkItem, NULL, WorkerRoutine, QueueType, Context);
}

/* The routine runs in a worker thread of its own: an exception it does not handle ends
 * there (bug check 0x1E), never in a handler of the thread that ran the pending work. */
static void run_routine(PIO_WORKITEM_ROUTINE fn, PIO_WORKITEM_ROUTINE_EX fn_ex, PVOID obj, PVOID ctx,
                        PIO_WORKITEM item)
{
    kf_seh_frame f;
    memset(&f, 0, sizeof f);
    kf__frame_push(&f, KF_FRAME_WORKER);
    switch (setjmp(f.jb)) {
    case 0:
        /* The item may be freed, or queued again, by its own routine. An exception it does
         * not handle bug checks 0x1E at this frame during the search (stop.c). */
        if (fn_ex)
            fn_ex(obj, ctx, item);
        else
            fn((PDEVICE_OBJECT)obj, ctx);
        kf__frame_pop(&f);
        break;
    default:
        /* A stop unwinding through the worker thread (the unwinder popped the frame): on to
         * the next barrier or guard. */
        kf__unwind_stop();
    }
}

int kf_run_work_items(void) { return kf_run_work_items_max(-1); }

int kf_run_work_items_max(int max)
{
    int ran = 0;
    kf_thread *t = kf__thread();
    while (q_head && (max < 0 || ran < max)) {
        wi_rec *r = q_head;
        q_head = r->qnext;
        if (!q_head)
            q_tail = NULL;
        r->queued = 0;
        PIO_WORKITEM item = r->item;
        PVOID obj = r->io_object, ctx = r->context;
        PIO_WORKITEM_ROUTINE fn = r->routine;
        PIO_WORKITEM_ROUTINE_EX fn_ex = r->routine_ex;
        KIRQL saved = t->irql;
        t->irql = PASSIVE_LEVEL;
        run_routine(fn, fn_ex, obj, ctx, item);
        if (t->irql != PASSIVE_LEVEL)
            kf_bugcheck("IoQueueWorkItem", WORKER_THREAD_RETURNED_AT_BAD_IRQL, 0, t->irql, 0, 0,
                        "a work item routine returned at IRQL %u (work items run and must return at "
                        "PASSIVE_LEVEL)",
                        t->irql);
        t->irql = saved;
        ran++;
    }
    return ran;
}

static int run_pending(void) { return kf_run_work_items() != 0; }

/* ---- Y-6: debugger breaks ------------------------------------------------------------------- */

VOID DbgBreakPoint(VOID) { ExRaiseStatus(STATUS_BREAKPOINT); }

VOID DbgBreakPointWithStatus(ULONG Status)
{
    (void)Status;
    ExRaiseStatus(STATUS_BREAKPOINT);
}

/* ---- Leaks and reset ---------------------------------------------------------------------------- */

void kf__pool_leaks(kf_leak_report *out)
{
    out->lookaside_lists = kf__lookaside_outstanding();
    out->mdls = n_mdls;
    size_t live = 0, queued = 0;
    for (wi_rec *r = items; r; r = r->next) {
        live++;
        queued += r->queued != 0;
    }
    out->work_items = live;
    out->work_queued = queued;
}

static void system_reset(void)
{
    top_level_irp = NULL;
    while (mdls) {
        mdl_rec *r = mdls;
        mdls = r->next;
        free(r->mdl);
        free(r);
    }
    n_mdls = 0;
    while (items) {
        wi_rec *r = items;
        items = r->next;
        if (r->allocated)
            free(r->item);
        free(r);
    }
    q_head = q_tail = NULL;
    clock_now = 0;
    ExDefaultNonPagedPoolType = NonPagedPoolExecute;
    ExDefaultMdlProtection = 0;
}

__attribute__((constructor)) static void system_register(void)
{
    kf__register_reset(system_reset);
    kf__register_pending(run_pending);
}

/* ---- What Filter Manager's dispatch asks (flt_dispatch.c, SEMANTICS.md FD-*) --------------- */
int kf__mdl_live(const void *m) { return m && mdl_find((PMDL)m) != NULL; }

struct _MDL *kf__mdl_for_system_buffer(PVOID va, ULONG length)
{
    if (!va || length == 0 || length > 0x7FFFF000u)
        return NULL;
    size_t size = MmSizeOfMdl(va, length);
    PMDL m = calloc(1, size);
    mdl_rec *r = malloc(sizeof *r);
    if (!m || !r) {
        free(m);
        free(r);
        return NULL;
    }
    m->Size = (SHORT)(size > 0x7FFF ? 0x7FFF : size);
    m->StartVa = PAGE_ALIGN(va);
    m->ByteOffset = BYTE_OFFSET(va);
    m->ByteCount = length;
    m->MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
    m->MappedSystemVa = va;
    r->mdl = m;
    r->next = mdls;
    mdls = r;
    n_mdls++;
    return m;
}
