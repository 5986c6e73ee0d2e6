/*
 * test_flt_headers.c - rule F-1 of model/SEMANTICS.md: fltKernel.h (and its lower-case twin)
 * give the WDK's names, values and field order, so that driver source compiles unchanged and
 * means what it means on Windows.
 */
#include "kft.h"
#include <fltkernel.h>
#include <fltKernel.h> /* both spellings, in one translation unit */

#include <stddef.h>

#define ORDERED(type, a, b) CHECK(offsetof(type, a) < offsetof(type, b))

TEST(headers_registration_field_order)
{
    ORDERED(FLT_REGISTRATION, Size, Version);
    ORDERED(FLT_REGISTRATION, Version, Flags);
    ORDERED(FLT_REGISTRATION, Flags, ContextRegistration);
    ORDERED(FLT_REGISTRATION, ContextRegistration, OperationRegistration);
    ORDERED(FLT_REGISTRATION, OperationRegistration, FilterUnloadCallback);
    ORDERED(FLT_REGISTRATION, FilterUnloadCallback, InstanceSetupCallback);
    ORDERED(FLT_REGISTRATION, InstanceSetupCallback, InstanceQueryTeardownCallback);
    ORDERED(FLT_REGISTRATION, InstanceQueryTeardownCallback, InstanceTeardownStartCallback);
    ORDERED(FLT_REGISTRATION, InstanceTeardownStartCallback, InstanceTeardownCompleteCallback);
    ORDERED(FLT_REGISTRATION, InstanceTeardownCompleteCallback, GenerateFileNameCallback);
    ORDERED(FLT_REGISTRATION, GenerateFileNameCallback, NormalizeNameComponentCallback);
    ORDERED(FLT_REGISTRATION, NormalizeNameComponentCallback, NormalizeContextCleanupCallback);
    ORDERED(FLT_REGISTRATION, NormalizeContextCleanupCallback, TransactionNotificationCallback);
    ORDERED(FLT_REGISTRATION, TransactionNotificationCallback, NormalizeNameComponentExCallback);
    ORDERED(FLT_REGISTRATION, NormalizeNameComponentExCallback, SectionNotificationCallback);
    CHECK_EQ(FLT_REGISTRATION_VERSION, 0x0203);
    ORDERED(FLT_OPERATION_REGISTRATION, MajorFunction, Flags);
    ORDERED(FLT_OPERATION_REGISTRATION, Flags, PreOperation);
    ORDERED(FLT_OPERATION_REGISTRATION, PreOperation, PostOperation);
    ORDERED(FLT_OPERATION_REGISTRATION, PostOperation, Reserved1);
    CHECK_EQ(IRP_MJ_OPERATION_END, 0x80);
}

TEST(headers_callback_data_layout)
{
    ORDERED(FLT_CALLBACK_DATA, Flags, Thread);
    ORDERED(FLT_CALLBACK_DATA, Thread, Iopb);
    ORDERED(FLT_CALLBACK_DATA, Iopb, IoStatus);
    ORDERED(FLT_CALLBACK_DATA, IoStatus, TagData);
    ORDERED(FLT_CALLBACK_DATA, TagData, QueueLinks);
    ORDERED(FLT_CALLBACK_DATA, QueueLinks, RequestorMode);
    CHECK_EQ(offsetof(FLT_CALLBACK_DATA, QueueLinks), offsetof(FLT_CALLBACK_DATA, FilterContext));
    CHECK_EQ(offsetof(FLT_CALLBACK_DATA, QueueContext), offsetof(FLT_CALLBACK_DATA, FilterContext[2]));
    ORDERED(FLT_IO_PARAMETER_BLOCK, IrpFlags, MajorFunction);
    ORDERED(FLT_IO_PARAMETER_BLOCK, MajorFunction, MinorFunction);
    ORDERED(FLT_IO_PARAMETER_BLOCK, MinorFunction, OperationFlags);
    ORDERED(FLT_IO_PARAMETER_BLOCK, OperationFlags, Reserved);
    ORDERED(FLT_IO_PARAMETER_BLOCK, Reserved, TargetFileObject);
    ORDERED(FLT_IO_PARAMETER_BLOCK, TargetFileObject, TargetInstance);
    ORDERED(FLT_IO_PARAMETER_BLOCK, TargetInstance, Parameters);
    ORDERED(FLT_RELATED_OBJECTS, Size, TransactionContext);
    ORDERED(FLT_RELATED_OBJECTS, Filter, Volume);
    ORDERED(FLT_RELATED_OBJECTS, Volume, Instance);
    ORDERED(FLT_RELATED_OBJECTS, Instance, FileObject);
    ORDERED(FLT_RELATED_OBJECTS, FileObject, Transaction);
    /* Parameter members minifilters use, by their WDK names. */
    FLT_PARAMETERS p;
    CHECK_EQ(sizeof p.Read.Length + sizeof p.Write.Length, 8);
    CHECK_EQ(offsetof(FLT_PARAMETERS, DirectoryControl.QueryDirectory.Length), 0);
    CHECK(offsetof(FLT_PARAMETERS, DirectoryControl.QueryDirectory.FileInformationClass) >
          offsetof(FLT_PARAMETERS, DirectoryControl.QueryDirectory.FileName));
    CHECK(offsetof(FLT_PARAMETERS, SetFileInformation.InfoBuffer) >
          offsetof(FLT_PARAMETERS, SetFileInformation.ReplaceIfExists));
    CHECK_EQ(offsetof(FLT_PARAMETERS, FileSystemControl.Buffered.FsControlCode),
             offsetof(FLT_PARAMETERS, FileSystemControl.Common.FsControlCode));
    CHECK(sizeof(p.QueryFileInformation.InfoBuffer) == sizeof(PVOID));
    CHECK(sizeof(p.Create.SecurityContext->DesiredAccess) == sizeof(ACCESS_MASK));
}

TEST(headers_values)
{
    CHECK_EQ(FLTFL_CALLBACK_DATA_IRP_OPERATION, 0x1);
    CHECK_EQ(FLTFL_CALLBACK_DATA_FAST_IO_OPERATION, 0x2);
    CHECK_EQ(FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION, 0x4);
    CHECK_EQ(FLTFL_CALLBACK_DATA_SYSTEM_BUFFER, 0x8);
    CHECK_EQ(FLTFL_CALLBACK_DATA_GENERATED_IO, 0x10000);
    CHECK_EQ(FLTFL_CALLBACK_DATA_REISSUED_IO, 0x20000);
    CHECK_EQ(FLTFL_CALLBACK_DATA_DRAINING_IO, 0x40000);
    CHECK_EQ(FLTFL_CALLBACK_DATA_POST_OPERATION, 0x80000);
    CHECK_EQ(FLTFL_CALLBACK_DATA_NEW_SYSTEM_BUFFER, 0x100000);
    CHECK_EQ(FLTFL_CALLBACK_DATA_DIRTY, 0x80000000u);
    CHECK_EQ(FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, 1);
    CHECK_EQ(sizeof(FLT_ALLOCATE_CALLBACK_DATA_FLAGS), sizeof(ULONG));
    CHECK_EQ(IRP_MJ_CREATE, 0x00);
    CHECK_EQ(IRP_MJ_READ, 0x03);
    CHECK_EQ(IRP_MJ_WRITE, 0x04);
    CHECK_EQ(IRP_MJ_QUERY_INFORMATION, 0x05);
    CHECK_EQ(IRP_MJ_SET_INFORMATION, 0x06);
    CHECK_EQ(IRP_MJ_FLUSH_BUFFERS, 0x09);
    CHECK_EQ(IRP_MJ_DIRECTORY_CONTROL, 0x0c);
    CHECK_EQ(IRP_MJ_FILE_SYSTEM_CONTROL, 0x0d);
    CHECK_EQ(IRP_MJ_CLEANUP, 0x12);
    CHECK_EQ(IRP_MJ_PNP, 0x1b);
    CHECK_EQ(IRP_MJ_PNP, IRP_MJ_MAXIMUM_FUNCTION);
    CHECK_EQ(IRP_MN_QUERY_DIRECTORY, 0x01);
    CHECK_EQ(IRP_MN_NOTIFY_CHANGE_DIRECTORY, 0x02);
    CHECK_EQ(IRP_MN_USER_FS_REQUEST, 0x00);
    CHECK_EQ(IRP_NOCACHE, 0x1);
    CHECK_EQ(IRP_PAGING_IO, 0x2);
    CHECK_EQ(IRP_SYNCHRONOUS_API, 0x4);
    CHECK_EQ(IRP_SYNCHRONOUS_PAGING_IO, 0x40);
    CHECK_EQ(SL_RESTART_SCAN, 0x01);
    CHECK_EQ(SL_RETURN_SINGLE_ENTRY, 0x02);
    CHECK_EQ(SL_INDEX_SPECIFIED, 0x04);
    CHECK_EQ(FileDirectoryInformation, 1);
    CHECK_EQ(FileBothDirectoryInformation, 3);
    CHECK_EQ(FileBasicInformation, 4);
    CHECK_EQ(FileStandardInformation, 5);
    CHECK_EQ(FileNamesInformation, 12);
    CHECK_EQ(FileEndOfFileInformation, 20);
    CHECK_EQ(FileIdBothDirectoryInformation, 37);
    CHECK_EQ(FileDispositionInformationEx, 64);
    CHECK_EQ(FLT_FSTYPE_NTFS, 2);
    CHECK_EQ(FLT_FSTYPE_REFS, 28);
    CHECK_EQ(FLT_PREOP_COMPLETE, 4);
    CHECK_EQ(FLT_POSTOP_MORE_PROCESSING_REQUIRED, 1);
    CHECK_EQ(FILE_DEVICE_DISK_FILE_SYSTEM, 8);
    CHECK_EQ(FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT, 1);
    CHECK_EQ(FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD, 2);
    CHECK_EQ(STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST, (NTSTATUS)0xC01C0003L);
    CHECK_EQ(STATUS_FLT_DELETING_OBJECT, (NTSTATUS)0xC01C000BL);
}

/* A positional initializer as real drivers write it compiles and lands in the right fields. */
static NTSTATUS FLTAPI unload(FLT_FILTER_UNLOAD_FLAGS f) { return STATUS_SUCCESS; }
static NTSTATUS FLTAPI setup(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_SETUP_FLAGS f, DEVICE_TYPE d,
                             FLT_FILESYSTEM_TYPE t)
{
    return STATUS_SUCCESS;
}
static VOID FLTAPI teardown(PCFLT_RELATED_OBJECTS o, FLT_INSTANCE_TEARDOWN_FLAGS r) {}
static const FLT_OPERATION_REGISTRATION callbacks[] = {{IRP_MJ_CREATE, 0, NULL, NULL}, {IRP_MJ_OPERATION_END}};
static const FLT_REGISTRATION registration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, callbacks, unload, setup, NULL, teardown, teardown,
};
TEST(headers_positional_registration)
{
    CHECK(registration.OperationRegistration == callbacks);
    CHECK(registration.FilterUnloadCallback == unload);
    CHECK(registration.InstanceSetupCallback == setup);
    CHECK(registration.InstanceQueryTeardownCallback == NULL);
    CHECK(registration.InstanceTeardownStartCallback == teardown);
    CHECK(registration.InstanceTeardownCompleteCallback == teardown);
    CHECK(registration.SectionNotificationCallback == NULL);
    CHECK_EQ(callbacks[1].MajorFunction, IRP_MJ_OPERATION_END);
}
