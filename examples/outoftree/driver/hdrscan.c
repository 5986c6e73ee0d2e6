/*
 * hdrscan.c - an example minifilter for kfault's out-of-tree example: on request it reads the
 * header of a file below itself (its own IRP_MJ_READ with FltAllocateCallbackData and
 * FltPerformSynchronousIo into a pool buffer) and classifies it. It attaches to local disk
 * volumes and remembers the first instance.
 *
 * It has one bug, left in on purpose for the fuzzer to find: a read that fails with anything
 * but STATUS_END_OF_FILE returns without freeing the callback data or the buffer (Filter
 * Manager's flt-callback-data-outstanding stop when the filter is unloaded).
 *
 * Driver code: it includes only WDK headers and its own.
 */
#include <fltKernel.h>

#include "hdrscan.h"

#define HDS_TAG 0x53736448u /* 'HdsS' */
#define HDS_MARKER 0x6B

PFLT_FILTER HdsFilterHandle;
static PFLT_INSTANCE HdsInstance;

static NTSTATUS FLTAPI HdsUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI HdsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);
static VOID FLTAPI HdsTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason);

static CONST FLT_OPERATION_REGISTRATION HdsOperations[] = {
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static CONST FLT_REGISTRATION HdsRegistration = {
    sizeof(FLT_REGISTRATION),
    FLT_REGISTRATION_VERSION,
    0,                  /* Flags */
    NULL,               /* ContextRegistration */
    HdsOperations,
    HdsUnload,
    HdsInstanceSetup,
    NULL,               /* InstanceQueryTeardown */
    HdsTeardownStart,
    NULL,               /* InstanceTeardownComplete */
    NULL, NULL, NULL, NULL, NULL, NULL
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    HdsInstance = NULL;
    HdsFilterHandle = NULL;
    status = FltRegisterFilter(DriverObject, &HdsRegistration, &HdsFilterHandle);
    if (!NT_SUCCESS(status)) {
        HdsFilterHandle = NULL;
        return status;
    }
    status = FltStartFiltering(HdsFilterHandle);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(HdsFilterHandle);
        HdsFilterHandle = NULL;
    }
    return status;
}

static NTSTATUS FLTAPI HdsUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(HdsFilterHandle);
    HdsFilterHandle = NULL;
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI HdsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                        DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);
    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM || VolumeFilesystemType == FLT_FSTYPE_RAW) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    if (HdsInstance == NULL) {
        HdsInstance = FltObjects->Instance;
    }
    return STATUS_SUCCESS;
}

static VOID FLTAPI HdsTeardownStart(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(Reason);
    if (HdsInstance == FltObjects->Instance) {
        HdsInstance = NULL;
    }
}

static HDS_KIND HdspClassify(const UCHAR *Header, ULONG_PTR Length)
{
    if (Length == 0) {
        return HdsEmpty;
    }
    if (Length < HDS_HEADER_SIZE) {
        return HdsShort;
    }
    return Header[0] == HDS_MARKER ? HdsMarked : HdsPlain;
}

NTSTATUS HdsScanHeader(PHDS_REQUEST Request)
{
    PFLT_CALLBACK_DATA data;
    PUCHAR header;
    NTSTATUS status;

    PAGED_CODE();
    Request->Kind = HdsUnknown;
    Request->Read = 0;
    if (HdsInstance == NULL) {
        return STATUS_NOT_FOUND;
    }
    header = ExAllocatePool2(POOL_FLAG_NON_PAGED, HDS_HEADER_SIZE, HDS_TAG);
    if (header == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = FltAllocateCallbackData(HdsInstance, Request->File, &data);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(header, HDS_TAG);
        return status;
    }
    data->Iopb->MajorFunction = IRP_MJ_READ;
    data->Iopb->MinorFunction = IRP_MN_NORMAL;
    data->Iopb->IrpFlags = IRP_READ_OPERATION | IRP_SYNCHRONOUS_API;
    data->Iopb->Parameters.Read.Length = HDS_HEADER_SIZE;
    data->Iopb->Parameters.Read.ByteOffset.QuadPart = 0;
    data->Iopb->Parameters.Read.ReadBuffer = header;
    data->Iopb->Parameters.Read.MdlAddress = NULL;
    FltPerformSynchronousIo(data);

    status = data->IoStatus.Status;
    if (status == STATUS_END_OF_FILE) {
        Request->Kind = HdsEmpty;
        status = STATUS_SUCCESS;
    } else if (!NT_SUCCESS(status)) {
        /* The planted bug: the callback data and the buffer are not freed on this path. */
        return status;
    } else {
        Request->Read = (ULONG)data->IoStatus.Information;
        Request->Kind = HdspClassify(header, data->IoStatus.Information);
    }
    FltFreeCallbackData(data);
    ExFreePoolWithTag(header, HDS_TAG);
    return status;
}
