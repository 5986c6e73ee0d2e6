/*
 * minifilter_stateful.c - a test minifilter whose behaviour depends on a global its DriverEntry
 * never sets: the creates it has seen since the process started. A real load starts with the
 * image's zeroed globals; in a process that loads the driver again and again the count goes on,
 * so the same input can end differently the second time. Its first create ever leaks a pool
 * block; every later one bug checks. Driver code: WDK headers only.
 */
#include <fltKernel.h>

static PFLT_FILTER StatefulFilter;
static ULONG StatefulCreatesSeen; /* never reset by DriverEntry */

static FLT_PREOP_CALLBACK_STATUS FLTAPI StatefulPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                          PVOID *CompletionContext)
{
    UNREFERENCED_PARAMETER(Data);
    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    if (StatefulCreatesSeen++ == 0) {
        (VOID)ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'ftSK'); /* never freed */
    } else {
        KeBugCheckEx(0xDEAD, StatefulCreatesSeen, 0, 0, 0);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static NTSTATUS FLTAPI StatefulUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(StatefulFilter);
    return STATUS_SUCCESS;
}

static const FLT_OPERATION_REGISTRATION StatefulOperations[] = {
    {IRP_MJ_CREATE, 0, StatefulPreCreate, NULL, NULL},
    {IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL},
};

static const FLT_REGISTRATION StatefulRegistration = {
    .Size = sizeof(FLT_REGISTRATION),
    .Version = FLT_REGISTRATION_VERSION,
    .OperationRegistration = StatefulOperations,
    .FilterUnloadCallback = StatefulUnload,
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);
    status = FltRegisterFilter(DriverObject, &StatefulRegistration, &StatefulFilter);
    if (!NT_SUCCESS(status))
        return status;
    status = FltStartFiltering(StatefulFilter);
    if (!NT_SUCCESS(status))
        FltUnregisterFilter(StatefulFilter);
    return status;
}
