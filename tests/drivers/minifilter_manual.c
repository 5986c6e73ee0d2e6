/*
 * minifilter_manual.c - a test minifilter that attaches only when an administrator asks
 * (`fltmc attach`): its setup callback refuses automatic attachment. It counts the creates its
 * pre-create callback sees (ManualCreatesSeen, read by the test). Driver code: WDK headers only.
 */
#include <fltKernel.h>

ULONG ManualCreatesSeen;
static PFLT_FILTER ManualFilter;

static NTSTATUS FLTAPI ManualSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                   DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(VolumeDeviceType);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    PAGED_CODE();
    return FlagOn(Flags, FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT) ? STATUS_FLT_DO_NOT_ATTACH : STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS FLTAPI ManualPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                        PVOID *CompletionContext)
{
    UNREFERENCED_PARAMETER(Data);
    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    ManualCreatesSeen++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static NTSTATUS FLTAPI ManualUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(ManualFilter);
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION ManualOperations[] = {
    {IRP_MJ_CREATE, 0, ManualPreCreate, NULL, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION ManualRegistration = {
    .Size = sizeof(FLT_REGISTRATION),
    .Version = FLT_REGISTRATION_VERSION,
    .OperationRegistration = ManualOperations,
    .FilterUnloadCallback = ManualUnload,
    .InstanceSetupCallback = ManualSetup,
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);
    status = FltRegisterFilter(DriverObject, &ManualRegistration, &ManualFilter);
    if (!NT_SUCCESS(status))
        return status;
    status = FltStartFiltering(ManualFilter);
    if (!NT_SUCCESS(status))
        FltUnregisterFilter(ManualFilter);
    return status;
}
