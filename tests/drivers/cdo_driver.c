/*
 * cdo_driver.c - a small driver with a control device object, written as driver code (WDK
 * headers only): DriverEntry creates \Device\KfCdoTest and the link \DosDevices\KfCdoTest, sets
 * its dispatch routines and an unload routine that deletes both; every request is completed in
 * its dispatch routine. test_device drives it through kf_io_call_device (SEMANTICS.md D-8 ..).
 */
#include "cdo_driver.h"

static UNICODE_STRING device_name = RTL_CONSTANT_STRING(L"\\Device\\KfCdoTest");
static UNICODE_STRING link_name = RTL_CONSTANT_STRING(L"\\DosDevices\\KfCdoTest");
static PDEVICE_OBJECT control;

typedef struct _CDO_EXTENSION {
    ULONG Requests;
    ULONG Opens;
} CDO_EXTENSION, *PCDO_EXTENSION;

static NTSTATUS CdoComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS CdoDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCDO_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ext->Requests++;
    switch (sp->MajorFunction) {
    case IRP_MJ_CREATE:
        ext->Opens++;
        return CdoComplete(Irp, STATUS_SUCCESS, FILE_OPENED);
    case IRP_MJ_CLEANUP:
        return CdoComplete(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_CLOSE:
        ext->Opens--;
        return CdoComplete(Irp, STATUS_SUCCESS, 0);
    case IRP_MJ_DEVICE_CONTROL:
        if (sp->Parameters.DeviceIoControl.IoControlCode != CDO_IOCTL_COUNT)
            return CdoComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
        if (sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG))
            return CdoComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = ext->Requests;
        return CdoComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    default:
        return CdoComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID CdoUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    IoDeleteSymbolicLink(&link_name);
    IoDeleteDevice(control);
    control = NULL;
}

NTSTATUS CdoDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(CDO_EXTENSION), &device_name, FILE_DEVICE_UNKNOWN,
                                     FILE_DEVICE_SECURE_OPEN, FALSE, &control);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link_name, &device_name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(control);
        control = NULL;
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = CdoDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = CdoDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = CdoDispatch;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CdoDispatch;
    DriverObject->DriverUnload = CdoUnload;
    return STATUS_SUCCESS;
}
