/*
 * minifilter.c - the install test's minifilter: includes only <fltKernel.h>, registers with a
 * positional FLT_REGISTRATION, starts filtering, and must receive its instance through
 * InstanceSetupCallback, as Filter Manager delivers it. main() stands in for the loader and
 * exits 0 only when that happened and unregistering went cleanly. Must never include a
 * kfault header: it proves a driver file builds with nothing but the installed WDK names.
 */
#include <fltKernel.h>

static PFLT_FILTER gFilter;
static ULONG gInstances;

static NTSTATUS InstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                              DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeDeviceType);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    if (FltObjects->Instance != NULL)
        gInstances++;
    return STATUS_SUCCESS;
}

static NTSTATUS FilterUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(gFilter);
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION Callbacks[] = {{IRP_MJ_OPERATION_END}};

static const FLT_REGISTRATION Registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, Callbacks, FilterUnload, InstanceSetup,
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);
    status = FltRegisterFilter(DriverObject, &Registration, &gFilter);
    if (!NT_SUCCESS(status))
        return status;
    status = FltStartFiltering(gFilter);
    if (!NT_SUCCESS(status))
        FltUnregisterFilter(gFilter);
    return status;
}

int main(void)
{
    static DRIVER_OBJECT driver;
    if (!NT_SUCCESS(DriverEntry(&driver, NULL)) || gInstances == 0)
        return 1;
    return NT_SUCCESS(FilterUnload(0)) ? 0 : 1;
}
