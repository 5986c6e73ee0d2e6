/*
 * test_system.c - SEMANTICS.md "System services" (Y-*): driver runtime, routine lookup,
 * process queries, the modeled clock, MDLs, work items, debugger breaks.
 */
/* Built as a driver that opts in to NX pool: NonPagedPool is ExDefaultNonPagedPoolType. */
#define POOL_NX_OPTIN 1
#include "kft.h"
#include "ntddk.h"
#include "drivers/pool_driver.h"
#include "kfault/driver_env.h"

#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_ASAN)
#define HAVE_ASAN 1
#endif

static kf_site fail_site = KF_SITE_COUNT;
static kf_fault_kind fail_hook(void *ctx, kf_site site)
{
    (void)ctx;
    return site == fail_site ? KF_FAULT_HARD : KF_FAULT_NONE;
}

static void set_fail(kf_site s)
{
    fail_site = s;
    kf_set_fault_hook(s == KF_SITE_COUNT ? NULL : fail_hook, NULL);
}

static UNICODE_STRING ustr(const WCHAR *w)
{
    UNICODE_STRING u;
    USHORT n = 0;
    while (w[n])
        n++;
    u.Length = (USHORT)(n * sizeof(WCHAR));
    u.MaximumLength = (USHORT)(u.Length + sizeof(WCHAR));
    u.Buffer = (PWSTR)w;
    return u;
}

/* ---- Y-1 -------------------------------------------------------------------------------- */

TEST(driver_runtime_nx_optin)
{
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolExecute);
    ExInitializeDriverRuntime(0);
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolExecute);
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolNx);
    CHECK_EQ(ExDefaultMdlProtection, MdlMappingNoExecute);
    kft_options("profile=win7-amd64"); /* before Windows 8 the opt-in changes nothing */
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolExecute);
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolExecute, 8, 'tseT');
    CHECK(p != NULL);
    if (p)
        ExFreePool(p);
    kft_options("");
}

static int exec_case;
static void alloc_exec(void *arg)
{
    (void)arg;
    PVOID p = exec_case == 0   ? ExAllocatePoolWithTag(NonPagedPoolExecute, 16, 'tseT')
              : exec_case == 1 ? ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE, 16, 'tseT')
              : exec_case == 2 ? ExAllocatePoolWithTag(NonPagedPool, 16, 'tseT')
                               : ExAllocatePoolZero(NonPagedPoolCacheAligned, 16, 'tseT');
    if (p)
        ExFreePool(p);
}

TEST(pool_executable_after_nx_optin)
{
    kf_stop st;
    for (exec_case = 0; exec_case < 4; exec_case++)
        CHECK(!kft_stops(alloc_exec, NULL, &st)); /* no opt-in yet: NonPagedPool is executable, allowed */
    static NPAGED_LOOKASIDE_LIST before;
    ExInitializeNPagedLookasideList(&before, NULL, NULL, 0, 16, 'tseT', 0);
    CHECK_EQ(before.L.Type, NonPagedPoolExecute);
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    for (exec_case = 0; exec_case < 2; exec_case++) {
        CHECK(kft_stops(alloc_exec, NULL, &st));
        CHECK_EQ(st.param[0], 0x3103);
    }
    for (; exec_case < 4; exec_case++)
        CHECK(!kft_stops(alloc_exec, NULL, &st)); /* NonPagedPool(CacheAligned) now stand for NX */
    /* A list initialized after the opt-in is NX; one initialized before is executable. */
    static NPAGED_LOOKASIDE_LIST after;
    ExInitializeNPagedLookasideList(&after, NULL, NULL, 0, 16, 'tseT', 0);
    CHECK_EQ(after.L.Type, NonPagedPoolNx);
    PVOID e = ExAllocateFromNPagedLookasideList(&after);
    CHECK(e != NULL);
    if (e)
        ExFreeToNPagedLookasideList(&after, e);
    ExDeleteNPagedLookasideList(&after);
    ExDeleteNPagedLookasideList(&before);
    kf_reset(); /* the opt-in is one run's */
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolExecute);
    exec_case = 0;
    CHECK(!kft_stops(alloc_exec, NULL, &st));
}

/* ---- Y-2 -------------------------------------------------------------------------------- */

static void lookup_at_apc(void *arg)
{
    (void)arg;
    UNICODE_STRING u = ustr(L"ExFreePool");
    kf_set_irql(APC_LEVEL);
    (void)MmGetSystemRoutineAddress(&u);
}

static void call_partial(void *arg)
{
    (void)arg;
    UNICODE_STRING u = ustr(L"IoBuildPartialMdl");
    typedef VOID partial_fn(PMDL, PMDL, PVOID, ULONG);
    partial_fn *fn = (partial_fn *)MmGetSystemRoutineAddress(&u);
    fn(NULL, NULL, NULL, 0);
}

TEST(system_routine_address)
{
    UNICODE_STRING u = ustr(L"ExAllocatePoolWithTag");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ExAllocatePoolWithTag);
    u = ustr(L"ExAllocatePool2");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&ExAllocatePool2);
    u = ustr(L"exallocatepool2"); /* export names are case-sensitive */
    CHECK(MmGetSystemRoutineAddress(&u) == NULL);
    u = ustr(L"NoSuchRoutineAnywhere");
    CHECK(MmGetSystemRoutineAddress(&u) == NULL);
    u = ustr(L"KeQuerySystemTimePrecise");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&KeQuerySystemTimePrecise);
    /* A routine kfault declares but does not model resolves to its stub, which stops. */
    u = ustr(L"IoBuildPartialMdl");
    PVOID stub = MmGetSystemRoutineAddress(&u);
    CHECK(stub == (PVOID)&IoBuildPartialMdl);
    kf_stop st0;
    CHECK(kft_stops(call_partial, NULL, &st0));
    CHECK_EQ(st0.param[0], 0x1009);
    UNICODE_STRING empty = {0, 0, NULL};
    CHECK(MmGetSystemRoutineAddress(&empty) == NULL);
    /* The profile's OS decides. */
    kft_options("profile=win7-amd64");
    u = ustr(L"ExAllocatePool2");
    CHECK(MmGetSystemRoutineAddress(&u) == NULL);
    u = ustr(L"KeQuerySystemTimePrecise");
    CHECK(MmGetSystemRoutineAddress(&u) == NULL);
    u = ustr(L"KeExpandKernelStackAndCalloutEx");
    CHECK(MmGetSystemRoutineAddress(&u) != NULL);
    kft_options("profile=ws03-x86");
    u = ustr(L"KeExpandKernelStackAndCallout");
    CHECK(MmGetSystemRoutineAddress(&u) == NULL);
    kft_options("profile=ws03-amd64");
    CHECK(MmGetSystemRoutineAddress(&u) == (PVOID)&KeExpandKernelStackAndCallout);
    kft_options("");
    kf_stop st;
    CHECK(kft_stops(lookup_at_apc, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], PASSIVE_LEVEL);
}

/* ---- Y-3 -------------------------------------------------------------------------------- */

static void not_a_thread(void *arg)
{
    (void)arg;
    (void)PsIsSystemThread((PETHREAD)0x1234);
}

TEST(process_and_thread)
{
    CHECK_EQ((ULONG_PTR)PsGetCurrentProcessId(), 4);
    CHECK(PsGetCurrentProcess() == IoGetCurrentProcess());
    CHECK(PsGetCurrentProcess() != NULL);
    CHECK(PsIsSystemThread(PsGetCurrentThread()));
    kf_stop st;
    CHECK(kft_stops(not_a_thread, NULL, &st));
    CHECK_EQ(st.param[0], 0x3110);
}

/* Y-3: PsGetCurrentProcess is the object manager's current process, in either context. */
TEST(current_process_is_the_object_managers)
{
    for (int user = 0; user < 2; user++) {
        kf_reset();
        kf_set_user_process_context(user ? TRUE : FALSE);
        PEPROCESS p = PsGetCurrentProcess();
        CHECK(p == IoGetCurrentProcess());
        CHECK_EQ((ULONG_PTR)PsGetCurrentProcessId(), user ? 0x1A4 : 4);
        PVOID by_handle = NULL;
        CHECK_EQ(ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode, &by_handle, NULL),
                 STATUS_SUCCESS);
        CHECK(by_handle == (PVOID)p);
        ObDereferenceObject(by_handle);
        ObReferenceObject(p);
        HANDLE h = NULL;
        CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, GENERIC_ALL, *PsProcessType,
                                       KernelMode, &h),
                 STATUS_SUCCESS);
        CHECK(h != NULL);
        CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
        ObDereferenceObject(p);
        kf_leak_report l;
        kf_leaks(&l);
        CHECK_EQ(l.handles, 0);
        CHECK_EQ(l.objects, 0);
    }
    kf_reset();
    CHECK_EQ((ULONG_PTR)PsGetCurrentProcessId(), 4);
}

/* ---- Y-4, Y-5 ----------------------------------------------------------------------------- */

TEST(clock_is_modeled)
{
    LARGE_INTEGER a, b, tick;
    CHECK_EQ(kf_clock_now(), 0);
    KeQuerySystemTime(&a);
    KeQuerySystemTime(&b);
    CHECK_EQ(a.QuadPart, 134116992000000000ll);
    CHECK_EQ(b.QuadPart - a.QuadPart, 10);
    CHECK_EQ(KeQueryInterruptTime(), 20);
    CHECK_EQ(KeQueryTimeIncrement(), 156250);
    LARGE_INTEGER d;
    d.QuadPart = -10000000; /* one second, relative */
    CHECK_EQ(KeDelayExecutionThread(KernelMode, FALSE, &d), STATUS_SUCCESS);
    KeQueryTickCount(&tick);
    CHECK_EQ(tick.QuadPart, (10000000 + 30) / 156250);
    KeQuerySystemTimePrecise(&a);
    CHECK_EQ(a.QuadPart, 134116992000000000ll + 10000000 + 40);
    d.QuadPart = a.QuadPart + 5000; /* absolute */
    KeDelayExecutionThread(KernelMode, FALSE, &d);
    KeQuerySystemTime(&b);
    CHECK_EQ(b.QuadPart, a.QuadPart + 5000);
    d.QuadPart = 1; /* absolute, in the past: no wait */
    KeDelayExecutionThread(KernelMode, FALSE, &d);
    CHECK_EQ(kf_clock_now(), b.QuadPart - 134116992000000000ll + 10);
    kf_reset();
    CHECK_EQ(kf_clock_now(), 0);
}

static void delay_at_dispatch(void *arg)
{
    (void)arg;
    LARGE_INTEGER d;
    d.QuadPart = -1;
    kf_set_irql(DISPATCH_LEVEL);
    KeDelayExecutionThread(KernelMode, FALSE, &d);
}

TEST(delay_irql)
{
    kf_stop st;
    CHECK(kft_stops(delay_at_dispatch, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
}

/* ---- Y-8 .. Y-10: MDLs -------------------------------------------------------------------- */

static char buffer[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

TEST(mdl_nonpaged_and_locked)
{
    char *va = buffer + 100;
    PMDL m = IoAllocateMdl(va, 5000, FALSE, FALSE, NULL);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_EQ(MmGetMdlByteCount(m), 5000);
    CHECK_EQ(MmSizeOfMdl(va, 5000), sizeof(MDL) + 2 * sizeof(ULONG_PTR));
    CHECK_EQ(MmSizeOfMdl(buffer, PAGE_SIZE + 1), sizeof(MDL) + 2 * sizeof(ULONG_PTR));
    CHECK_EQ(MmSizeOfMdl(buffer, PAGE_SIZE), sizeof(MDL) + 1 * sizeof(ULONG_PTR));
    CHECK_EQ(MmGetMdlByteOffset(m), BYTE_OFFSET(va));
    CHECK(MmGetMdlVirtualAddress(m) == va);
    MmBuildMdlForNonPagedPool(m);
    CHECK(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    CHECK(MmGetSystemAddressForMdlSafe(m, NormalPagePriority) == va);
    IoFreeMdl(m);

    m = IoAllocateMdl(va, 100, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    CHECK(m->MdlFlags & MDL_PAGES_LOCKED);
    CHECK(MmGetSystemAddressForMdlSafe(m, NormalPagePriority) == va);
    CHECK(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    MmUnlockPages(m);
    CHECK(!(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)));
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.mdls, 1);
    IoFreeMdl(m);
    kf_leaks(&lr);
    CHECK_EQ(lr.mdls, 0);
    /* Too large, or empty: NULL without asking the site. */
    CHECK(IoAllocateMdl(va, 0, FALSE, FALSE, NULL) == NULL);
    CHECK(IoAllocateMdl(va, 0x80000000u, FALSE, FALSE, NULL) == NULL);
    CHECK_EQ(kf_fault_get_stats()->consulted[KF_SITE_IO_MDL], 2);
}

TEST(mdl_chained_to_irp)
{
    IRP irp;
    memset(&irp, 0, sizeof irp);
    PMDL a = IoAllocateMdl(buffer, 10, FALSE, FALSE, &irp);
    PMDL b = IoAllocateMdl(buffer + 10, 10, TRUE, FALSE, &irp);
    CHECK(irp.MdlAddress == a);
    CHECK(a && a->Next == b);
    IoFreeMdl(b);
    IoFreeMdl(a);
}

static volatile int lock_raised;
static PMDL lock_mdl;
static void lock_guarded(void *arg)
{
    (void)arg;
    lock_raised = 0;
    __try {
        MmProbeAndLockPages(lock_mdl, KernelMode, IoReadAccess);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        lock_raised = GetExceptionCode() == STATUS_INSUFFICIENT_RESOURCES;
    }
}

TEST(mdl_failures)
{
    set_fail(KF_SITE_IO_MDL);
    CHECK(IoAllocateMdl(buffer, 10, FALSE, FALSE, NULL) == NULL);
    set_fail(KF_SITE_COUNT);
    lock_mdl = IoAllocateMdl(buffer, 10, FALSE, FALSE, NULL);
    set_fail(KF_SITE_MM_LOCK);
    kf_stop st;
    CHECK(!kft_stops(lock_guarded, NULL, &st));
    CHECK_EQ(lock_raised, 1);
    CHECK(!(lock_mdl->MdlFlags & MDL_PAGES_LOCKED));
    set_fail(KF_SITE_COUNT);
    MmProbeAndLockPages(lock_mdl, KernelMode, IoReadAccess);
    set_fail(KF_SITE_MM_MAP);
    CHECK(MmGetSystemAddressForMdlSafe(lock_mdl, NormalPagePriority) == NULL);
    set_fail(KF_SITE_COUNT);
    MmUnlockPages(lock_mdl);
    IoFreeMdl(lock_mdl);
}

static int map_case;
static PMDL map_mdl;
static void map_run(void *arg)
{
    (void)arg;
    switch (map_case) {
    case 0:
        (void)MmMapLockedPagesSpecifyCache(map_mdl, KernelMode, MmCached, NULL, TRUE, NormalPagePriority);
        break;
    case 1:
        (void)MmMapLockedPagesSpecifyCache(map_mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
        break;
    case 2:
        MmUnmapLockedPages(buffer, map_mdl);
        break;
    }
}

TEST(mdl_map_and_unmap)
{
    map_mdl = IoAllocateMdl(buffer + 8, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(map_mdl, KernelMode, IoReadAccess);
    PVOID va = MmMapLockedPagesSpecifyCache(map_mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    CHECK(va == buffer + 8);
    CHECK(map_mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    MmUnmapLockedPages(va, map_mdl);
    CHECK(!(map_mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA));
    kf_stop st;
    map_case = 2; /* not mapped now */
    CHECK(kft_stops(map_run, NULL, &st));
    CHECK_EQ(st.param[0], 0x3113);
    set_fail(KF_SITE_MM_MAP);
    CHECK(MmMapLockedPagesSpecifyCache(map_mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority) == NULL);
    map_case = 0; /* BugCheckOnFailure */
    CHECK(kft_stops(map_run, NULL, &st));
    CHECK_EQ(st.code, 0x3F);
    set_fail(KF_SITE_COUNT);
    map_case = 1; /* user space is not modeled */
    CHECK(kft_stops(map_run, NULL, &st));
    CHECK_EQ(st.param[0], 0x1009);
    MmUnlockPages(map_mdl);
    IoFreeMdl(map_mdl);
}

#ifdef HAVE_ASAN
static void mdl_over_freed_pool(void)
{
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'tseT');
    PMDL m = IoAllocateMdl(p, 64, FALSE, FALSE, NULL);
    ExFreePool(p);
    MmBuildMdlForNonPagedPool(m);
}
#endif

TEST(mdl_over_freed_pool_is_seen)
{
#ifdef HAVE_ASAN
    CHECK(kft_expect_death(mdl_over_freed_pool, "heap-use-after-free"));
#else
    CHECK(1); /* without AddressSanitizer nothing can see it */
#endif
}

static int mdl_case;
static void mdl_misuse(void *arg)
{
    (void)arg;
    PMDL m = IoAllocateMdl(buffer, 10, FALSE, FALSE, NULL);
    switch (mdl_case) {
    case 0:
        MmUnlockPages(m);
        break;
    case 1:
        MmProbeAndLockPages(m, KernelMode, IoReadAccess);
        IoFreeMdl(m);
        break;
    case 2:
        (void)MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
        break;
    case 3:
        MmProbeAndLockPages(m, KernelMode, IoReadAccess);
        MmProbeAndLockPages(m, KernelMode, IoReadAccess);
        break;
    case 4:
        IoFreeMdl(m);
        IoFreeMdl(m);
        break;
    case 5:
        kf_set_irql(DISPATCH_LEVEL);
        MmProbeAndLockPages(m, UserMode, IoReadAccess);
        break;
    }
}

TEST(mdl_misuse_stops)
{
    static const ULONG_PTR want[] = {0x3113, 0x3112, 0x3113, 0x3113, 0x3110, APC_LEVEL};
    for (mdl_case = 0; mdl_case < 6; mdl_case++) {
        kf_stop st;
        CHECK(kft_stops(mdl_misuse, NULL, &st));
        CHECK_EQ(st.param[0], want[mdl_case]);
        kf_reset();
    }
}

/* ---- Y-11 .. Y-13: work items ---------------------------------------------------------------- */

static DEVICE_OBJECT device;
static int order[8], n_order;
static KIRQL seen_irql;
static PIO_WORKITEM self_free;

static VOID worker(PDEVICE_OBJECT d, PVOID ctx)
{
    CHECK(d == &device);
    seen_irql = KeGetCurrentIrql();
    order[n_order++] = (int)(ULONG_PTR)ctx;
    if (self_free && ctx == (PVOID)3) {
        IoFreeWorkItem(self_free); /* legal: its own routine is running */
        self_free = NULL;
    }
}

static VOID worker_ex(PVOID obj, PVOID ctx, PIO_WORKITEM item)
{
    CHECK(obj == &device);
    CHECK(item != NULL);
    order[n_order++] = (int)(ULONG_PTR)ctx;
}

TEST(work_items_run_in_order_at_passive)
{
    n_order = 0;
    PIO_WORKITEM a = IoAllocateWorkItem(&device);
    PIO_WORKITEM b = IoAllocateWorkItem(&device);
    static ULONGLONG storage[16];
    PIO_WORKITEM c = (PIO_WORKITEM)storage;
    CHECK(IoSizeofWorkItem() <= sizeof storage);
    IoInitializeWorkItem(&device, c);
    CHECK(a && b);
    if (!a || !b)
        return;
    kf_set_irql(DISPATCH_LEVEL);
    IoQueueWorkItem(a, worker, DelayedWorkQueue, (PVOID)1);
    IoQueueWorkItemEx(c, worker_ex, CriticalWorkQueue, (PVOID)2);
    IoQueueWorkItem(b, worker, NormalWorkQueue, (PVOID)3);
    CHECK_EQ(n_order, 0); /* nothing runs until the model runs pending work */
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.work_queued, 3);
    self_free = b;
    CHECK_EQ(kf_run_work_items(), 3);
    CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(seen_irql, PASSIVE_LEVEL);
    CHECK_EQ(n_order, 3);
    CHECK(order[0] == 1 && order[1] == 2 && order[2] == 3);
    kf_leaks(&lr);
    CHECK_EQ(lr.work_items, 2);
    CHECK_EQ(lr.work_queued, 0);
    IoFreeWorkItem(a);
    IoUninitializeWorkItem(c);
    kf_leaks(&lr);
    CHECK_EQ(lr.work_items, 0);
}

TEST(work_items_run_by_a_delay)
{
    n_order = 0;
    self_free = NULL;
    PIO_WORKITEM a = IoAllocateWorkItem(&device);
    IoQueueWorkItem(a, worker, DelayedWorkQueue, (PVOID)7);
    LARGE_INTEGER d;
    d.QuadPart = -10;
    KeDelayExecutionThread(KernelMode, FALSE, &d);
    CHECK_EQ(n_order, 1);
    CHECK_EQ(order[0], 7);
    IoFreeWorkItem(a);
}

TEST(work_item_failure_and_leaks)
{
    set_fail(KF_SITE_IO_WORKITEM);
    CHECK(IoAllocateWorkItem(&device) == NULL);
    set_fail(KF_SITE_COUNT);
    PIO_WORKITEM a = IoAllocateWorkItem(&device);
    IoQueueWorkItem(a, worker, DelayedWorkQueue, NULL);
    n_order = 0;
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.work_items, 1);
    CHECK_EQ(kf__leaks_at_reset.work_queued, 1);
    CHECK_EQ(kf_run_work_items(), 0); /* the reset dropped it unrun */
    CHECK_EQ(n_order, 0);
}

static VOID worker_raises(PDEVICE_OBJECT d, PVOID ctx)
{
    (void)d;
    (void)ctx;
    kf_set_irql(APC_LEVEL);
}

static VOID worker_throws(PDEVICE_OBJECT d, PVOID ctx)
{
    (void)d;
    (void)ctx;
    ExRaiseStatus(STATUS_ACCESS_VIOLATION);
}

static volatile int wrongly_caught;
static void delay_with_handler(void *arg)
{
    (void)arg;
    PIO_WORKITEM a = IoAllocateWorkItem(&device);
    IoQueueWorkItem(a, worker_throws, DelayedWorkQueue, NULL);
    wrongly_caught = 0;
    __try {
        LARGE_INTEGER d;
        d.QuadPart = -1;
        KeDelayExecutionThread(KernelMode, FALSE, &d);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        wrongly_caught = 1;
    }
}

/* A work item's exception is its worker thread's: the waiting thread's handler never sees it. */
TEST(work_item_exception_is_its_own)
{
    kf_stop st;
    CHECK(kft_stops(delay_with_handler, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_ACCESS_VIOLATION);
    CHECK_EQ(wrongly_caught, 0);
    kf_reset();
}

static int wi_case;
static void work_item_misuse(void *arg)
{
    (void)arg;
    PIO_WORKITEM a = IoAllocateWorkItem(&device);
    switch (wi_case) {
    case 0:
        IoQueueWorkItem(a, worker, DelayedWorkQueue, NULL);
        IoQueueWorkItem(a, worker, DelayedWorkQueue, NULL);
        break;
    case 1:
        IoQueueWorkItem(a, worker, DelayedWorkQueue, NULL);
        IoFreeWorkItem(a);
        break;
    case 2:
        IoQueueWorkItem(a, worker, (WORK_QUEUE_TYPE)9, NULL);
        break;
    case 3:
        IoUninitializeWorkItem(a);
        break;
    case 4:
        IoFreeWorkItem(a);
        IoFreeWorkItem(a);
        break;
    case 5:
        IoQueueWorkItem(a, worker_raises, DelayedWorkQueue, NULL);
        kf_run_work_items();
        break;
    }
}

TEST(work_item_misuse_stops)
{
    static const struct {
        ULONG code;
        ULONG_PTR p1;
    } want[] = {
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3114}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3114},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3114}, {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3114},
        {DRIVER_VERIFIER_DETECTED_VIOLATION, 0x3110}, {0xE1, 0},
    };
    for (wi_case = 0; wi_case < 6; wi_case++) {
        kf_stop st;
        CHECK(kft_stops(work_item_misuse, NULL, &st));
        if (st.code != want[wi_case].code || st.param[0] != want[wi_case].p1)
            kft_fail(__FILE__, __LINE__, "case %d: stop 0x%X/0x%llx", wi_case, (unsigned)st.code,
                     (unsigned long long)st.param[0]);
        kf_reset();
    }
}

/* ---- Y-14 --------------------------------------------------------------------------------- */

static void break_unhandled(void *arg)
{
    (void)arg;
    DbgBreakPoint();
}

TEST(break_point)
{
    kf_stop st;
    CHECK(kft_stops(break_unhandled, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    volatile int caught = 0;
    __try {
        DbgBreakPointWithStatus(DBG_STATUS_WORKER);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode() == STATUS_BREAKPOINT;
    }
    CHECK_EQ(caught, 1);
}

/* ---- A driver-style user of all of it (drivers/pool_driver.c) --------------------------------- */

static const UCHAR request_data[3][16] = {"first request", "second request", "third request"};
static NTSTATUS driver_status[3];
static DEVICE_OBJECT driver_device;

static void driver_session(void *arg)
{
    (void)arg;
    PdLoad(&driver_device);
    for (int i = 0; i < 3; i++)
        driver_status[i] = PdRequest(request_data[i], sizeof request_data[i]);
    PdUnload();
}

static int nothing_left(void)
{
    kf_leak_report lr;
    kf_leaks(&lr);
    return lr.pool_blocks == 0 && lr.lookaside_lists == 0 && lr.work_items == 0 && lr.work_queued == 0 &&
           lr.mdls == 0;
}

TEST(pool_driver_clean_run)
{
    kf_stop st;
    CHECK(!kft_stops(driver_session, NULL, &st));
    for (int i = 0; i < 3; i++)
        CHECK_EQ(driver_status[i], STATUS_PENDING);
    CHECK_EQ(PdLogged(), 3);
    CHECK(nothing_left());
    CHECK_EQ(ExDefaultNonPagedPoolType, NonPagedPoolNx);
    /* Each request: an entry, an MDL, its lock and mapping, a work item, the log's copy. */
    const kf_fault_stats *fs = kf_fault_get_stats();
    CHECK_EQ(fs->consulted[KF_SITE_LOOKASIDE], 3);
    CHECK_EQ(fs->consulted[KF_SITE_IO_MDL], 3);
    CHECK_EQ(fs->consulted[KF_SITE_MM_LOCK], 3);
    CHECK_EQ(fs->consulted[KF_SITE_MM_MAP], 3);
    CHECK_EQ(fs->consulted[KF_SITE_IO_WORKITEM], 3);
    CHECK_EQ(fs->consulted[KF_SITE_POOL], 3);
    CHECK_EQ(fs->total_consulted, 18);
}

/* Fails each consultation of the session in turn: the driver must neither stop nor leave
 * anything behind, whichever allocation fails. */
TEST(pool_driver_survives_every_fault)
{
    kf_stop st;
    kf_reset();
    CHECK(!kft_stops(driver_session, NULL, &st));
    unsigned long long total = kf_fault_get_stats()->total_consulted;
    CHECK(total >= 18);
    for (unsigned long long n = 1; n <= total; n++) {
        char opt[32];
        snprintf(opt, sizeof opt, "fail_nth=%llu", n);
        kft_options(opt);
        int stopped = kft_stops(driver_session, NULL, &st);
        if (stopped)
            kft_fail(__FILE__, __LINE__, "fail_nth=%llu: stop 0x%X (0x%llx): %s", n, (unsigned)st.code,
                     (unsigned long long)st.param[0], st.reason);
        CHECK_EQ(kf_fault_get_stats()->total_injected, 1);
        CHECK(nothing_left());
        int pending = 0;
        for (int i = 0; i < 3; i++)
            pending += driver_status[i] == STATUS_PENDING;
        CHECK(pending >= 2);
        CHECK(PdLogged() + 1 >= (ULONG)pending);
    }
    kft_options("");
}

/* ---- The base layer as one model: kf_leaks fills every field ------------------------------ */

static VOID leak_worker(PDEVICE_OBJECT d, PVOID ctx)
{
    (void)d;
    (void)ctx;
}

TEST(leaks_fill_every_field)
{
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.pool_blocks + l.rtl_strings + l.handles + l.objects + l.lookaside_lists + l.work_items +
                 l.work_queued + l.mdls + l.segments + l.callback_data,
             0);
    static char buffer[64];
    PVOID pool = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'kaeL');
    UNICODE_STRING dup, src = RTL_CONSTANT_STRING(L"leak");
    CHECK_EQ(RtlDuplicateUnicodeString(0, &src, &dup), STATUS_SUCCESS);
    HANDLE h = NULL;
    CHECK_EQ(ObOpenObjectByPointer(PsGetCurrentProcess(), OBJ_KERNEL_HANDLE, NULL, GENERIC_ALL, *PsProcessType,
                                   KernelMode, &h),
             STATUS_SUCCESS);
    ObReferenceObject(PsGetCurrentThread());
    static NPAGED_LOOKASIDE_LIST list;
    ExInitializeNPagedLookasideList(&list, NULL, NULL, POOL_NX_ALLOCATION, 64, 'kaeL', 0);
    PIO_WORKITEM kept = IoAllocateWorkItem(&device), queued = IoAllocateWorkItem(&device);
    IoQueueWorkItem(queued, leak_worker, DelayedWorkQueue, NULL);
    PMDL mdl = IoAllocateMdl(buffer, sizeof buffer, FALSE, FALSE, NULL);
    CHECK(pool && h && kept && queued && mdl);
    kf_leaks(&l);
    CHECK_EQ(l.pool_blocks, 2);
    CHECK_EQ(l.rtl_strings, 1);
    CHECK_EQ(l.handles, 1);
    CHECK_EQ(l.objects, 1);
    CHECK_EQ(l.lookaside_lists, 1);
    CHECK_EQ(l.work_items, 2);
    CHECK_EQ(l.work_queued, 1);
    CHECK_EQ(l.mdls, 1);
    CHECK_EQ(l.segments, 0);
    CHECK_EQ(l.callback_data, 0);
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.pool_blocks, 2);
    CHECK_EQ(kf__leaks_at_reset.rtl_strings, 1);
    CHECK_EQ(kf__leaks_at_reset.handles, 1);
    CHECK_EQ(kf__leaks_at_reset.objects, 1);
    CHECK_EQ(kf__leaks_at_reset.lookaside_lists, 1);
    CHECK_EQ(kf__leaks_at_reset.work_items, 2);
    CHECK_EQ(kf__leaks_at_reset.mdls, 1);
    kf_leaks(&l);
    CHECK_EQ(l.pool_blocks + l.rtl_strings + l.handles + l.objects + l.lookaside_lists + l.work_items +
                 l.work_queued + l.mdls,
             0);
}

/* ---- K-12: what a driver leaves behind is a finding of the driver harness ------------------- */

static char mdl_buffer[64];
static VOID self_freeing_worker(PDEVICE_OBJECT d, PVOID ctx)
{
    (void)d;
    IoFreeWorkItem((PIO_WORKITEM)ctx);
}
/* Correct: the work item frees itself when it runs, which the harness lets happen before judging. */
static void drv_queues_work(void)
{
    PIO_WORKITEM w = IoAllocateWorkItem(&device);
    if (w)
        IoQueueWorkItem(w, self_freeing_worker, DelayedWorkQueue, w);
}
static void drv_leaks_handle(void)
{
    HANDLE h;
    ObOpenObjectByPointer(PsGetCurrentProcess(), OBJ_KERNEL_HANDLE, NULL, GENERIC_ALL, *PsProcessType, KernelMode, &h);
}
static void drv_leaks_object(void) { ObReferenceObject(PsGetCurrentProcess()); }
static void drv_leaks_lookaside(void)
{
    static PAGED_LOOKASIDE_LIST list;
    ExInitializePagedLookasideList(&list, NULL, NULL, 0, 64, 'tseT', 0);
}
static void drv_leaks_work_item(void)
{
    PIO_WORKITEM w = IoAllocateWorkItem(&device);
    if (w)
        IoQueueWorkItem(w, leak_worker, DelayedWorkQueue, NULL);
}
static void drv_leaks_mdl(void) { IoAllocateMdl(mdl_buffer, sizeof mdl_buffer, FALSE, FALSE, NULL); }
static void drv_leaks_string(void)
{
    UNICODE_STRING dup, src = RTL_CONSTANT_STRING(L"leak");
    RtlDuplicateUnicodeString(0, &src, &dup);
}

#define LEAK_TARGET(fn)                                                                                    \
    {.name = #fn, .min_os = KF_OS_WIN7, .arch_mask = 1u << KF_ARCH_AMD64, .min_irql = PASSIVE_LEVEL,       \
     .max_irql = PASSIVE_LEVEL, .call = fn}
static const kfh_driver_target leak_targets[] = {
    LEAK_TARGET(drv_leaks_handle),    LEAK_TARGET(drv_leaks_object), LEAK_TARGET(drv_leaks_lookaside),
    LEAK_TARGET(drv_leaks_work_item), LEAK_TARGET(drv_leaks_mdl),    LEAK_TARGET(drv_leaks_string),
};
static const int leak_invs[] = {KFH_INV_DRIVER_NO_HANDLE_LEAK,    KFH_INV_DRIVER_NO_OBJECT_LEAK,
                                KFH_INV_DRIVER_NO_LOOKASIDE_LEAK, KFH_INV_DRIVER_NO_WORK_ITEM_LEAK,
                                KFH_INV_DRIVER_NO_MDL_LEAK,       KFH_INV_NO_POOL_LEAK};
static const char *const leak_texts[] = {"1 handle(s) still open", "1 object reference(s)", "1 lookaside list(s)",
                                         "1 work item(s) not freed or uninitialized, 0 still queued",
                                         "1 MDL(s) not freed", "RtlFreeUnicodeString"};
static const kfh_driver_target queues_work_target = LEAK_TARGET(drv_queues_work);

/* A worker that queues itself again until the driver says stop: the harness drains the queue
 * a bounded number of rounds, never forever, and reports what is still queued. */
static int requeue_stop;
static int requeue_runs;
static VOID requeue_worker(PDEVICE_OBJECT d, PVOID ctx)
{
    requeue_runs++;
    if (!requeue_stop)
        IoQueueWorkItem((PIO_WORKITEM)ctx, requeue_worker, DelayedWorkQueue, ctx);
    else
        IoFreeWorkItem((PIO_WORKITEM)ctx);
    (void)d;
}
static void drv_requeues_forever(void)
{
    requeue_stop = 0;
    requeue_runs = 0;
    PIO_WORKITEM w = IoAllocateWorkItem(&device);
    if (w)
        IoQueueWorkItem(w, requeue_worker, DelayedWorkQueue, w);
}
static const kfh_driver_target requeue_target = LEAK_TARGET(drv_requeues_forever);

TEST(harness_drains_work_items_a_bounded_number_of_rounds)
{
    static kfh_drv_run run;
    const uint8_t none[1] = {1};
    kfh_driver_run(&requeue_target, none, 1, &run);
    CHECK(run.returned);
    CHECK_EQ(requeue_runs, 64);
    CHECK_EQ(run.n_findings, 1);
    CHECK_EQ(run.finding.inv, KFH_INV_DRIVER_NO_WORK_ITEM_LEAK);
    CHECK(strstr(run.finding.actual, "1 still queued") != NULL);
    /* kf_run_work_items_max itself. */
    kf_reset();
    requeue_stop = 0;
    requeue_runs = 0;
    PIO_WORKITEM w = IoAllocateWorkItem(&device);
    IoQueueWorkItem(w, requeue_worker, DelayedWorkQueue, w);
    CHECK_EQ(kf_run_work_items_max(3), 3);
    CHECK_EQ(requeue_runs, 3);
    requeue_stop = 1;
    CHECK_EQ(kf_run_work_items_max(-1), 1);
    kf_leak_report l;
    kf_leaks(&l);
    CHECK_EQ(l.work_items, 0);
}

TEST(harness_finds_each_kind_left_behind)
{
    static kfh_drv_run run;
    const uint8_t none[1] = {1}; /* a scenario of format version 1 and no operations */
    kfh_driver_run(&queues_work_target, none, 1, &run);
    CHECK(run.returned);
    CHECK_EQ(run.n_findings, 0);
    for (size_t i = 0; i < sizeof leak_targets / sizeof leak_targets[0]; i++) {
        kfh_driver_run(&leak_targets[i], none, 1, &run);
        CHECK(run.returned);
        CHECK_EQ(run.n_findings, 1);
        CHECK_EQ(run.finding.inv, leak_invs[i]);
        if (!strstr(run.finding.actual, leak_texts[i]))
            kft_fail(__FILE__, __LINE__, "%s: \"%s\" not in \"%s\"", leak_targets[i].name, leak_texts[i],
                     run.finding.actual);
    }
}

/* ---- Y-2: every routine the model implements resolves, from its first Windows on ----------- */

size_t kf__system_routine_count(void);
const char *kf__system_routine(size_t i, PVOID *address, kf_os *min_os, int *ws03_amd64);

static PVOID lookup(const char *name)
{
    static WCHAR wide[128];
    size_t n = strlen(name);
    for (size_t i = 0; i <= n; i++)
        wide[i] = (WCHAR)(unsigned char)name[i];
    UNICODE_STRING u = {(USHORT)(n * sizeof(WCHAR)), (USHORT)((n + 1) * sizeof(WCHAR)), wide};
    return MmGetSystemRoutineAddress(&u);
}

static void use_os(kf_os os)
{
    static const char *const names[] = {"ws03", "vista", "win7", "win8", "win10", "win11"};
    char text[64];
    snprintf(text, sizeof text, "profile=%s-amd64", names[os]);
    kft_options(text);
}

TEST(system_routine_table_resolves_by_os)
{
    size_t n = kf__system_routine_count();
    CHECK(n > 180);
    for (int os = KF_OS_WS03; os <= KF_OS_WIN11; os++) {
        use_os((kf_os)os);
        for (size_t i = 0; i < n; i++) {
            PVOID address;
            kf_os min_os;
            int ws03_amd64;
            const char *name = kf__system_routine(i, &address, &min_os, &ws03_amd64);
            for (size_t j = 0; j < i && os == KF_OS_WS03; j++) {
                PVOID a2;
                kf_os o2;
                int w2;
                if (!strcmp(name, kf__system_routine(j, &a2, &o2, &w2)))
                    kft_fail(__FILE__, __LINE__, "%s twice in the table", name);
            }
            int present = os >= (int)min_os || (ws03_amd64 && os == KF_OS_WS03);
            PVOID got = lookup(name);
            if (!address || got != (present ? address : NULL))
                kft_fail(__FILE__, __LINE__, "%s on os %d: %p, expected %p", name, os, got, present ? address : NULL);
            else
                kft_pass();
        }
    }
    /* The table's addresses are the routines a driver links with. */
    CHECK(lookup("KeWaitForSingleObject") == (PVOID)&KeWaitForSingleObject);
    CHECK(lookup("ObOpenObjectByPointer") == (PVOID)&ObOpenObjectByPointer);
    CHECK(lookup("RtlDuplicateUnicodeString") == (PVOID)&RtlDuplicateUnicodeString);
    CHECK(lookup("ExAcquireResourceExclusiveLite") == (PVOID)&ExAcquireResourceExclusiveLite);
    CHECK(lookup("ZwOpenKeyEx") == (PVOID)&ZwOpenKeyEx);
    CHECK(lookup("IoOpenDriverRegistryKey") == (PVOID)&IoOpenDriverRegistryKey);
    use_os(KF_OS_VISTA);
    CHECK(lookup("ZwOpenKeyEx") == NULL);
    CHECK(lookup("ObfReferenceObjectWithTag") == NULL);
    CHECK(lookup("ObDereferenceObjectDeferDelete") == (PVOID)&ObDereferenceObjectDeferDelete);
    use_os(KF_OS_WS03);
    CHECK(lookup("RtlCompareUnicodeStrings") == NULL);
    CHECK(lookup("IoOpenDriverRegistryKey") == NULL);
    /* Not exports: the CRT, inline helpers. */
    use_os(KF_OS_WIN11);
    CHECK(lookup("wcslen") == NULL);
    CHECK(lookup("ExAllocatePoolZero") == NULL);
    CHECK(lookup("RtlStringCbCopyW") == NULL);
}

/* Every routine the model's headers declare as a kernel export (NTKERNELAPI, NTSYSAPI,
 * NTHALAPI) resolves on the newest profile: modeled, or the stub of a routine not modeled;
 * except those the WDK makes inline code or macros in the driver. */
static const char *const not_exports[] = {
    "ExAllocatePoolPriorityUninitialized", "ExAllocatePoolPriorityZero", "ExAllocatePoolQuotaUninitialized",
    "ExAllocatePoolQuotaZero", "ExAllocatePoolUninitialized", "ExAllocatePoolZero", "ExInitializeDriverRuntime",
    "ExInitializeFastMutex", "ExQueryDepthSList", "InitializeSListHead", "InterlockedFlushSList",
    "InterlockedPopEntrySList", "InterlockedPushEntrySList", "KeQuerySystemTime", "KeQueryTickCount",
    "MmGetSystemAddressForMdlSafe",
};

TEST(system_routine_table_is_complete)
{
    static const char *const headers[] = {"wdm.h", "ntddk.h", "kfault/nt_base.h", "kfault/seh.h", "kfault/wdk_crt.h",
                                          "kfault/wdk_rtl.h", "kfault/wdk_pool.h", "kfault/wdk_sync.h",
                                          "kfault/wdk_ob.h", "kfault/wdk_registry.h", "kfault/wdk_system.h"};
    use_os(KF_OS_WIN11);
    unsigned seen = 0;
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        char path[512], line[1024];
        snprintf(path, sizeof path, "%s/model/include/%s", KFAULT_SOURCE_DIR, headers[h]);
        FILE *f = fopen(path, "r");
        if (!f) {
            kft_fail(__FILE__, __LINE__, "cannot read %s", path);
            continue;
        }
        while (fgets(line, sizeof line, f)) {
            char *p = strstr(line, "NTKERNELAPI");
            if (!p)
                p = strstr(line, "NTSYSAPI");
            if (!p)
                p = strstr(line, "NTHALAPI");
            if (!p || strstr(line, "#define") || strstr(line, "#ifndef") || strstr(line, "#undef"))
                continue;
            char *paren = strchr(p, '(');
            if (!paren || strchr(p, ';') < paren)
                continue;
            char *end = paren;
            while (end > p && end[-1] == ' ')
                end--;
            char *start = end;
            while (start > p && (start[-1] == '_' || (start[-1] >= 'A' && start[-1] <= 'Z') ||
                                 (start[-1] >= 'a' && start[-1] <= 'z') || (start[-1] >= '0' && start[-1] <= '9')))
                start--;
            char name[128];
            size_t k = (size_t)(end - start);
            if (!k || k >= sizeof name)
                continue;
            memcpy(name, start, k);
            name[k] = 0;
            int skip = 0;
            for (size_t i = 0; i < sizeof not_exports / sizeof not_exports[0]; i++)
                skip |= !strcmp(name, not_exports[i]);
            if (skip)
                continue;
            seen++;
            if (!lookup(name))
                kft_fail(__FILE__, __LINE__, "%s (declared in %s) does not resolve", name, headers[h]);
            else
                kft_pass();
        }
        fclose(f);
    }
    CHECK(seen > 150);
}

/* Y-12 */
static void thread_to_process_of_foreign(void *arg)
{
    (void)arg;
    static int not_a_thread;
    IoThreadToProcess((PETHREAD)&not_a_thread);
}

TEST(thread_to_process)
{
    CHECK(IoThreadToProcess(PsGetCurrentThread()) == PsGetCurrentProcess());
    kf_stop st;
    CHECK(kft_stops(thread_to_process_of_foreign, NULL, &st));
    CHECK_EQ(st.param[0], KF_VIOL_SYSTEM_INVALID_OBJECT);
}

TEST(remove_tail_list)
{
    LIST_ENTRY head, a, b;
    InitializeListHead(&head);
    InsertTailList(&head, &a);
    InsertTailList(&head, &b);
    CHECK(RemoveTailList(&head) == &b);
    CHECK(RemoveTailList(&head) == &a);
    CHECK(IsListEmpty(&head));
}

/* Y-13 */
TEST(top_level_irp)
{
    static IRP irp;
    CHECK(IoGetTopLevelIrp() == NULL);
    IoSetTopLevelIrp(&irp);
    CHECK(IoGetTopLevelIrp() == &irp);
    IoSetTopLevelIrp((PIRP)FSRTL_FSP_TOP_LEVEL_IRP);
    CHECK(IoGetTopLevelIrp() == (PIRP)FSRTL_FSP_TOP_LEVEL_IRP);
    kf_reset();
    CHECK(IoGetTopLevelIrp() == NULL);
}
