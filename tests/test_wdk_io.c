/*
 * test_wdk_io.c - the I/O and file-system declarations of wdm.h / ntifs.h (kfault/wdk_io.h,
 * kfault/wdk_fs.h): values written out as numbers, and the amd64 layouts of the structures
 * derived by hand from their field types and alignment (never from the headers under test).
 * Also the stack location accessors over the IRP.
 */
#include "kft.h"
#include <ntifs.h>

#include <stddef.h>
#include <string.h>

#define SAME(a, v) ((ULONG)(a) == (ULONG)(v##u))

/* ---- Values ----------------------------------------------------------------------------------- */
_Static_assert(SAME(FILE_READ_DATA, 0x1) && SAME(FILE_LIST_DIRECTORY, 0x1) && SAME(FILE_WRITE_DATA, 0x2) &&
                   SAME(FILE_APPEND_DATA, 0x4) && SAME(FILE_READ_EA, 0x8) && SAME(FILE_WRITE_EA, 0x10) &&
                   SAME(FILE_EXECUTE, 0x20) && SAME(FILE_TRAVERSE, 0x20) && SAME(FILE_DELETE_CHILD, 0x40) &&
                   SAME(FILE_READ_ATTRIBUTES, 0x80) && SAME(FILE_WRITE_ATTRIBUTES, 0x100),
               "file access rights");
_Static_assert(SAME(FILE_ALL_ACCESS, 0x001F01FF), "FILE_ALL_ACCESS");
_Static_assert(SAME(FILE_GENERIC_READ, 0x00120089), "FILE_GENERIC_READ");
_Static_assert(SAME(FILE_GENERIC_WRITE, 0x00120116), "FILE_GENERIC_WRITE");
_Static_assert(SAME(FILE_GENERIC_EXECUTE, 0x001200A0), "FILE_GENERIC_EXECUTE");
_Static_assert(SAME(DELETE, 0x00010000) && SAME(SYNCHRONIZE, 0x00100000) && SAME(MAXIMUM_ALLOWED, 0x02000000),
               "standard rights");
_Static_assert(SAME(FILE_SHARE_READ, 1) && SAME(FILE_SHARE_WRITE, 2) && SAME(FILE_SHARE_DELETE, 4) &&
                   SAME(FILE_SHARE_VALID_FLAGS, 7),
               "share access");
_Static_assert(SAME(FILE_SUPERSEDE, 0) && SAME(FILE_OPEN, 1) && SAME(FILE_CREATE, 2) && SAME(FILE_OPEN_IF, 3) &&
                   SAME(FILE_OVERWRITE, 4) && SAME(FILE_OVERWRITE_IF, 5) && SAME(FILE_MAXIMUM_DISPOSITION, 5),
               "dispositions");
_Static_assert(SAME(FILE_DIRECTORY_FILE, 0x1) && SAME(FILE_SYNCHRONOUS_IO_NONALERT, 0x20) &&
                   SAME(FILE_NON_DIRECTORY_FILE, 0x40) && SAME(FILE_COMPLETE_IF_OPLOCKED, 0x100) &&
                   SAME(FILE_DELETE_ON_CLOSE, 0x1000) && SAME(FILE_OPEN_BY_FILE_ID, 0x2000) &&
                   SAME(FILE_OPEN_FOR_BACKUP_INTENT, 0x4000) && SAME(FILE_OPEN_REPARSE_POINT, 0x200000),
               "create options");
_Static_assert(SAME(FILE_SUPERSEDED, 0) && SAME(FILE_OPENED, 1) && SAME(FILE_CREATED, 2) &&
                   SAME(FILE_OVERWRITTEN, 3) && SAME(FILE_EXISTS, 4) && SAME(FILE_DOES_NOT_EXIST, 5),
               "create information");
_Static_assert(SAME(FILE_ATTRIBUTE_NORMAL, 0x80) && SAME(FILE_ATTRIBUTE_DIRECTORY, 0x10) &&
                   SAME(FILE_ATTRIBUTE_ENCRYPTED, 0x4000) && SAME(FILE_ATTRIBUTE_REPARSE_POINT, 0x400),
               "attributes");
_Static_assert(SAME(FO_SYNCHRONOUS_IO, 0x2) && SAME(FO_DIRECT_DEVICE_OPEN, 0x800) &&
                   SAME(FO_CLEANUP_COMPLETE, 0x4000) && SAME(FO_OPENED_CASE_SENSITIVE, 0x20000) &&
                   SAME(FO_VOLUME_OPEN, 0x400000),
               "file object flags");
_Static_assert(SAME(FILE_REMOVABLE_MEDIA, 0x1) && SAME(FILE_READ_ONLY_DEVICE, 0x2) &&
                   SAME(FILE_FLOPPY_DISKETTE, 0x4) && SAME(FILE_VIRTUAL_VOLUME, 0x40) &&
                   SAME(FILE_DEVICE_SECURE_OPEN, 0x100),
               "device characteristics");
_Static_assert(IO_NO_INCREMENT == 0 && IO_DISK_INCREMENT == 1 && IO_NETWORK_INCREMENT == 2, "increments");
_Static_assert(IO_REPARSE == 0 && IO_IGNORE_SHARE_ACCESS_CHECK == 0x800, "IoCreateFile options");
_Static_assert(PAGE_READONLY == 2 && PAGE_READWRITE == 4 && SAME(SEC_COMMIT, 0x08000000) &&
                   SECTION_MAP_READ == 4 && ViewUnmap == 2,
               "sections");
_Static_assert(SAME(PROCESS_ALL_ACCESS, 0x001FFFFF), "PROCESS_ALL_ACCESS");
_Static_assert(IRP_MN_QUERY_REMOVE_DEVICE == 1 && IRP_MN_CANCEL_REMOVE_DEVICE == 3 &&
                   IRP_MN_SURPRISE_REMOVAL == 0x17,
               "PnP minor codes");
_Static_assert(SAME(STATUS_DEVICE_ALREADY_ATTACHED, 0xC0000038) && SAME(STATUS_OBJECTID_NOT_FOUND, 0xC00002F0) &&
                   SAME(STATUS_VIRUS_INFECTED, 0xC0000906),
               "status values");
_Static_assert(SAME(FILE_RENAME_REPLACE_IF_EXISTS, 1) && SAME(FILE_RENAME_POSIX_SEMANTICS, 2) &&
                   SAME(FILE_DISPOSITION_DELETE, 1) && SAME(FILE_DISPOSITION_ON_CLOSE, 8),
               "Ex flags");

/* FSCTL codes: the numbers Windows' file systems see. */
_Static_assert(SAME(FSCTL_LOCK_VOLUME, 0x00090018) && SAME(FSCTL_UNLOCK_VOLUME, 0x0009001C) &&
                   SAME(FSCTL_DISMOUNT_VOLUME, 0x00090020),
               "volume FSCTLs");
_Static_assert(SAME(FSCTL_FIND_FILES_BY_SID, 0x0009008F) && SAME(FSCTL_GET_OBJECT_ID, 0x0009009C) &&
                   SAME(FSCTL_SET_ZERO_DATA, 0x000980C8) && SAME(FSCTL_WRITE_RAW_ENCRYPTED, 0x000900DF) &&
                   SAME(FSCTL_READ_FILE_USN_DATA, 0x000900EB) && SAME(FSCTL_ENUM_USN_DATA, 0x000900B3) &&
                   SAME(FSCTL_READ_USN_JOURNAL, 0x000900BB) && SAME(FSCTL_OFFLOAD_WRITE, 0x00098268) &&
                   SAME(FSCTL_TXFS_SAVEPOINT_INFORMATION, 0x00098178) &&
                   SAME(FSCTL_GET_REPARSE_POINT, 0x000900A8) && SAME(FSCTL_SET_REPARSE_POINT, 0x000900A4),
               "file FSCTLs");

/* ---- amd64 layouts --------------------------------------------------------------------------- */
#if defined(_WIN64)
#define OFF(t, f) offsetof(t, f)
_Static_assert(sizeof(IRP) == 0xD0, "IRP");
_Static_assert(OFF(IRP, IoStatus) == 0x30 && OFF(IRP, UserBuffer) == 0x70 && OFF(IRP, Tail) == 0x78, "IRP");
_Static_assert(OFF(IRP, Tail.Overlay.Thread) == 0x98 && OFF(IRP, Tail.Overlay.CurrentStackLocation) == 0xB8 &&
                   OFF(IRP, Tail.Overlay.OriginalFileObject) == 0xC0,
               "IRP tail");
_Static_assert(sizeof(KAPC) == 0x58, "KAPC");
_Static_assert(sizeof(IO_STACK_LOCATION) == 0x48, "IO_STACK_LOCATION");
_Static_assert(OFF(IO_STACK_LOCATION, Parameters) == 8 && OFF(IO_STACK_LOCATION, DeviceObject) == 0x28 &&
                   OFF(IO_STACK_LOCATION, FileObject) == 0x30 && OFF(IO_STACK_LOCATION, Context) == 0x40,
               "IO_STACK_LOCATION");
_Static_assert(OFF(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode) == 0x18 &&
                   OFF(IO_STACK_LOCATION, Parameters.FileSystemControl.FsControlCode) == 0x18 &&
                   OFF(IO_STACK_LOCATION, Parameters.Create.ShareAccess) == 0x1A &&
                   OFF(IO_STACK_LOCATION, Parameters.Read.ByteOffset) == 0x18 &&
                   OFF(IO_STACK_LOCATION, Parameters.SetFile.FileObject) == 0x18,
               "IO_STACK_LOCATION parameters");
_Static_assert(sizeof(FILE_OBJECT) == 0xD8 && OFF(FILE_OBJECT, FileName) == 0x58 && OFF(FILE_OBJECT, Flags) == 0x50,
               "FILE_OBJECT");
_Static_assert(sizeof(FAST_IO_DISPATCH) == 0xE0 && OFF(FAST_IO_DISPATCH, FastIoQueryOpen) == 0xC0,
               "FAST_IO_DISPATCH");
_Static_assert(sizeof(FILE_ID_128) == 16 && sizeof(FILE_ID_INFORMATION) == 24, "file ids");
_Static_assert(sizeof(FILE_NAME_INFORMATION) == 8 && OFF(FILE_NAME_INFORMATION, FileName) == 4, "name");
_Static_assert(sizeof(FILE_ALL_INFORMATION) == 104 && OFF(FILE_ALL_INFORMATION, StandardInformation) == 40 &&
                   OFF(FILE_ALL_INFORMATION, InternalInformation) == 64 &&
                   OFF(FILE_ALL_INFORMATION, PositionInformation) == 80 &&
                   OFF(FILE_ALL_INFORMATION, NameInformation.FileName) == 100,
               "FILE_ALL_INFORMATION");
_Static_assert(sizeof(FILE_NETWORK_OPEN_INFORMATION) == 56, "FILE_NETWORK_OPEN_INFORMATION");
_Static_assert(sizeof(FILE_RENAME_INFORMATION) == 24 && OFF(FILE_RENAME_INFORMATION, RootDirectory) == 8 &&
                   OFF(FILE_RENAME_INFORMATION, FileName) == 20 && sizeof(FILE_LINK_INFORMATION) == 24,
               "rename, link");
_Static_assert(sizeof(FILE_LINK_ENTRY_INFORMATION) == 24 && OFF(FILE_LINK_ENTRY_INFORMATION, ParentFileId) == 8 &&
                   OFF(FILE_LINK_ENTRY_INFORMATION, FileName) == 20 && OFF(FILE_LINKS_INFORMATION, Entry) == 8,
               "links");
_Static_assert(OFF(FILE_FULL_DIR_INFORMATION, FileName) == 68 && sizeof(FILE_FULL_DIR_INFORMATION) == 72,
               "full dir");
_Static_assert(OFF(FILE_ID_FULL_DIR_INFORMATION, FileId) == 72 && OFF(FILE_ID_FULL_DIR_INFORMATION, FileName) == 80,
               "id full dir");
_Static_assert(OFF(FILE_BOTH_DIR_INFORMATION, ShortName) == 70 && OFF(FILE_BOTH_DIR_INFORMATION, FileName) == 94,
               "both dir");
_Static_assert(OFF(FILE_ID_BOTH_DIR_INFORMATION, FileId) == 96 && OFF(FILE_ID_BOTH_DIR_INFORMATION, FileName) == 104 &&
                   sizeof(FILE_ID_BOTH_DIR_INFORMATION) == 112,
               "id both dir");
_Static_assert(sizeof(FILE_NOTIFY_INFORMATION) == 16 && OFF(FILE_NOTIFY_INFORMATION, FileName) == 12, "notify");
_Static_assert(sizeof(FILE_OBJECTID_BUFFER) == 64 && OFF(FILE_OBJECTID_BUFFER, DomainId) == 48, "object id");
_Static_assert(sizeof(USN_RECORD) == 64 && OFF(USN_RECORD, Usn) == 24 && OFF(USN_RECORD, FileNameLength) == 56 &&
                   OFF(USN_RECORD, FileName) == 60,
               "USN_RECORD_V2");
_Static_assert(sizeof(RTL_GENERIC_TABLE) == 72 && OFF(RTL_GENERIC_TABLE, CompareRoutine) == 40, "generic table");
_Static_assert(sizeof(CLIENT_ID) == 16, "CLIENT_ID");
#endif

/* ---- Run-time checks -------------------------------------------------------------------------- */

TEST(wdk_io_values_at_run_time)
{
    CHECK_EQ(FSCTL_OFFLOAD_WRITE, 0x98268);
    CHECK_EQ(FILE_ALL_ACCESS, 0x1F01FF);
    CHECK_EQ(OBJ_NAME_PATH_SEPARATOR, 0x5C);
    CHECK_EQ(sizeof(OBJ_NAME_PATH_SEPARATOR), 2);
#if defined(_WIN64)
    CHECK_EQ(sizeof(IRP), 0xD0);
    CHECK_EQ(offsetof(IRP, Tail.Overlay.CurrentStackLocation), 0xB8);
    CHECK_EQ(sizeof(IO_STACK_LOCATION), 0x48);
    CHECK_EQ(sizeof(FILE_ALL_INFORMATION), 104);
#else
    CHECK(1);
#endif
}

TEST(wdk_io_stack_locations)
{
    IRP irp;
    IO_STACK_LOCATION stack[3];
    memset(&irp, 0, sizeof irp);
    memset(stack, 0, sizeof stack);
    irp.StackCount = 3;
    irp.CurrentLocation = 2;
    irp.Tail.Overlay.CurrentStackLocation = &stack[1];
    stack[1].MajorFunction = 0x0d;
    stack[1].Parameters.FileSystemControl.FsControlCode = FSCTL_LOCK_VOLUME;
    PIO_STACK_LOCATION cur = IoGetCurrentIrpStackLocation(&irp);
    CHECK(cur == &stack[1]);
    CHECK_EQ(cur->MajorFunction, 0x0d);
    CHECK_EQ(cur->Parameters.FileSystemControl.FsControlCode, 0x90018);
    CHECK(IoGetNextIrpStackLocation(&irp) == &stack[0]);
    /* FILE_OBJECT travels with its stack location. */
    FILE_OBJECT fo;
    memset(&fo, 0, sizeof fo);
    fo.Flags = FO_VOLUME_OPEN;
    cur->FileObject = &fo;
    CHECK(FlagOn(IoGetCurrentIrpStackLocation(&irp)->FileObject->Flags, FO_VOLUME_OPEN));
}

/* ---- Transactions and the driver create context ------------------------------------------------ */
_Static_assert(SAME(TRANSACTION_NOTIFY_COMMIT, 0x4) && SAME(TRANSACTION_NOTIFY_ROLLBACK, 0x8) &&
                   SAME(TRANSACTION_NOTIFY_COMMIT_FINALIZE, 0x40000000) && TransactionOutcomeCommitted == 2 &&
                   TransactionBasicInformation == 0 && TXF_MINIVERSION_DEFAULT_VIEW == 0xFFFE,
               "transactions");
#if defined(_WIN64)
_Static_assert(sizeof(IO_DRIVER_CREATE_CONTEXT) == 40 && offsetof(IO_DRIVER_CREATE_CONTEXT, TxnParameters) == 24 &&
                   sizeof(TXN_PARAMETER_BLOCK) == 16 && sizeof(TRANSACTION_BASIC_INFORMATION) == 24,
               "create context");
#endif

TEST(wdk_io_driver_create_context)
{
    IO_DRIVER_CREATE_CONTEXT c;
    memset(&c, 0xCD, sizeof c);
    IoInitializeDriverCreateContext(&c);
    CHECK_EQ(c.Size, sizeof c);
    CHECK(c.ExtraCreateParameter == NULL && c.DeviceObjectHint == NULL && c.TxnParameters == NULL &&
          c.SiloContext == NULL);
}

TEST(wdk_io_transaction_query_needs_a_handle)
{
    kft_options("");
    TRANSACTION_BASIC_INFORMATION info;
    CHECK_EQ(ZwQueryInformationTransaction(NULL, TransactionBasicInformation, &info, sizeof info, NULL),
             STATUS_INVALID_HANDLE);
    kft_options("");
}

static void create_device(void *arg)
{
    (void)arg;
    PDEVICE_OBJECT d = NULL;
    IoCreateDevice(NULL, 0, NULL, FILE_DEVICE_DISK_FILE_SYSTEM, FILE_DEVICE_SECURE_OPEN, FALSE, &d);
}

static void complete_request(void *arg)
{
    (void)arg;
    IRP irp;
    memset(&irp, 0, sizeof irp);
    IoCompleteRequest(&irp, IO_NO_INCREMENT);
}

/* The device routines are modeled now (model/src/device.c, SEMANTICS.md D-): a NULL driver object
 * and an IRP the I/O manager never sent are their own violations. */
TEST(wdk_io_device_routines_modeled)
{
    kf_stop st;
    kft_options("");
    CHECK(kft_stops(create_device, NULL, &st));
    CHECK_EQ(st.param[0], KF_VIOL_IO_NULL_ARGUMENT);
    CHECK(kft_stops(complete_request, NULL, &st));
    CHECK_EQ(st.param[0], KF_VIOL_IO_IRP_FOREIGN);
    kft_options("");
}
