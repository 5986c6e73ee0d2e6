/*
 * leaky_driver.c - a driver for the loader's tests (check_load.cmake): its service name says
 * what its DriverEntry leaves behind for the loader to report (Clean leaves nothing; Pool,
 * Handle, Object, Lookaside, WorkItem, Mdl, RtlString, Device, Link one of each kind). Its unload does
 * nothing, so whatever DriverEntry left stays.
 */
#include <ntddk.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD Unload;

static char mdl_buffer[64];
static PAGED_LOOKASIDE_LIST list;

static VOID Unload(PDRIVER_OBJECT DriverObject) { UNREFERENCED_PARAMETER(DriverObject); }

static VOID Worker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
}

static VOID FreeingWorker(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoFreeWorkItem((PIO_WORKITEM)Context);
}

static BOOLEAN ServiceIs(PCUNICODE_STRING Path, PCWSTR Name)
{
    UNICODE_STRING n, tail;
    RtlInitUnicodeString(&n, Name);
    if (Path->Length < n.Length)
        return FALSE;
    tail.Buffer = Path->Buffer + (Path->Length - n.Length) / sizeof(WCHAR);
    tail.Length = tail.MaximumLength = n.Length;
    return RtlEqualUnicodeString(&tail, &n, FALSE) && Path->Buffer[(Path->Length - n.Length) / sizeof(WCHAR) - 1] == L'\\';
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static DEVICE_OBJECT device;
    HANDLE h;
    DriverObject->DriverUnload = Unload;
    if (ServiceIs(RegistryPath, L"Pool")) {
        (void)ExAllocatePoolWithTag(NonPagedPoolNx, 24, 'kaeL');
    } else if (ServiceIs(RegistryPath, L"Handle")) {
        (void)ObOpenObjectByPointer(PsGetCurrentProcess(), OBJ_KERNEL_HANDLE, NULL, GENERIC_ALL, *PsProcessType,
                                    KernelMode, &h);
    } else if (ServiceIs(RegistryPath, L"Object")) {
        ObReferenceObject(PsGetCurrentProcess());
    } else if (ServiceIs(RegistryPath, L"Lookaside")) {
        ExInitializePagedLookasideList(&list, NULL, NULL, 0, 64, 'kaeL', 0);
    } else if (ServiceIs(RegistryPath, L"WorkItem")) {
        PIO_WORKITEM w = IoAllocateWorkItem(&device);
        if (w)
            IoQueueWorkItem(w, Worker, DelayedWorkQueue, NULL);
    } else if (ServiceIs(RegistryPath, L"FreedWorkItem")) {
        PIO_WORKITEM w = IoAllocateWorkItem(&device);
        if (w)
            IoQueueWorkItem(w, FreeingWorker, DelayedWorkQueue, w);
    } else if (ServiceIs(RegistryPath, L"Mdl")) {
        (void)IoAllocateMdl(mdl_buffer, sizeof mdl_buffer, FALSE, FALSE, NULL);
    } else if (ServiceIs(RegistryPath, L"RtlString")) {
        UNICODE_STRING dup;
        (void)RtlDuplicateUnicodeString(0, RegistryPath, &dup);
    } else if (ServiceIs(RegistryPath, L"Device")) {
        PDEVICE_OBJECT d;
        (void)IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
    } else if (ServiceIs(RegistryPath, L"Link")) {
        UNICODE_STRING dev = RTL_CONSTANT_STRING(L"\\Device\\LeakyCdo");
        UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\LeakyCdo");
        PDEVICE_OBJECT d;
        if (NT_SUCCESS(IoCreateDevice(DriverObject, 0, &dev, FILE_DEVICE_UNKNOWN, 0, FALSE, &d)) &&
            NT_SUCCESS(IoCreateSymbolicLink(&link, &dev)))
            IoDeleteDevice(d); /* the link stays */
    }
    return STATUS_SUCCESS;
}
