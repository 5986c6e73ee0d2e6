/*
 * kfault/wdk_io.h - the I/O declarations of the WDK's wdm.h: access rights on files, share
 * modes, create dispositions and options, file attributes, device characteristics, priority
 * increments, page protections and section rights, the PnP minor codes, the file object, the
 * I/O stack location and the fast I/O dispatch table. Included by wdm.h; never include it alone.
 *
 * Values and structure layouts are the WDK's (field names, order, types), so that a driver
 * built against them reads the bytes Windows would give it; tests/test_wdk_io.c pins the
 * amd64 sizes and offsets. Declares no routine: the stack location accessors are the WDK's
 * inline functions over the IRP's Tail.Overlay.CurrentStackLocation.
 */
#ifndef KFAULT_WDK_IO_H
#define KFAULT_WDK_IO_H

#ifndef KFAULT_WDM_H
#error "include wdm.h, ntddk.h or ntifs.h rather than kfault/wdk_io.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- I/O control codes (devioctl.h, which wdm.h carries) -------------------------------- */
typedef ULONG DEVICE_TYPE;
#ifndef CTL_CODE
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))
#endif
#define DEVICE_TYPE_FROM_CTL_CODE(ctrlCode) (((ULONG)((ctrlCode) & 0xffff0000)) >> 16)
#define METHOD_FROM_CTL_CODE(ctrlCode) ((ULONG)((ctrlCode) & 3))
#ifndef METHOD_BUFFERED
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#endif
#ifndef FILE_ANY_ACCESS
#define FILE_ANY_ACCESS 0
#endif
#define FILE_SPECIAL_ACCESS (FILE_ANY_ACCESS)
#define FILE_READ_ACCESS    (0x0001)
#define FILE_WRITE_ACCESS   (0x0002)

/* Device types (a volume's device object reports one; InstanceSetupCallback's VolumeDeviceType). */
#define FILE_DEVICE_CD_ROM                0x00000002
#define FILE_DEVICE_CD_ROM_FILE_SYSTEM    0x00000003
#define FILE_DEVICE_DISK                  0x00000007
#define FILE_DEVICE_DISK_FILE_SYSTEM      0x00000008
#define FILE_DEVICE_FILE_SYSTEM           0x00000009
#define FILE_DEVICE_MAILSLOT              0x0000000c
#define FILE_DEVICE_NAMED_PIPE            0x00000011
#define FILE_DEVICE_NETWORK               0x00000012
#define FILE_DEVICE_NETWORK_FILE_SYSTEM   0x00000014
#define FILE_DEVICE_UNKNOWN               0x00000022
#define FILE_DEVICE_VIRTUAL_DISK          0x00000024
#define FILE_DEVICE_DFS_FILE_SYSTEM       0x00000035

/* ---- Access rights on files and directories --------------------------------------------- */
/* DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE, the STANDARD_RIGHTS_*,
 * ACCESS_SYSTEM_SECURITY, MAXIMUM_ALLOWED and GENERIC_* come with kfault/wdk_ob.h. */
#define FILE_READ_DATA            (0x0001)
#define FILE_LIST_DIRECTORY       (0x0001)
#define FILE_WRITE_DATA           (0x0002)
#define FILE_ADD_FILE             (0x0002)
#define FILE_APPEND_DATA          (0x0004)
#define FILE_ADD_SUBDIRECTORY     (0x0004)
#define FILE_CREATE_PIPE_INSTANCE (0x0004)
#define FILE_READ_EA              (0x0008)
#define FILE_WRITE_EA             (0x0010)
#define FILE_EXECUTE              (0x0020)
#define FILE_TRAVERSE             (0x0020)
#define FILE_DELETE_CHILD         (0x0040)
#define FILE_READ_ATTRIBUTES      (0x0080)
#define FILE_WRITE_ATTRIBUTES     (0x0100)
#define FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF)
#define FILE_GENERIC_READ \
    (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE                                                                      \
    (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | \
     FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

/* ---- Share access ---------------------------------------------------------------------- */
#define FILE_SHARE_READ        0x00000001
#define FILE_SHARE_WRITE       0x00000002
#define FILE_SHARE_DELETE      0x00000004
#define FILE_SHARE_VALID_FLAGS 0x00000007

/* ---- File attributes ------------------------------------------------------------------- */
#define FILE_ATTRIBUTE_READONLY            0x00000001
#define FILE_ATTRIBUTE_HIDDEN              0x00000002
#define FILE_ATTRIBUTE_SYSTEM              0x00000004
#define FILE_ATTRIBUTE_DIRECTORY           0x00000010
#define FILE_ATTRIBUTE_ARCHIVE             0x00000020
#define FILE_ATTRIBUTE_DEVICE              0x00000040
#define FILE_ATTRIBUTE_NORMAL              0x00000080
#define FILE_ATTRIBUTE_TEMPORARY           0x00000100
#define FILE_ATTRIBUTE_SPARSE_FILE         0x00000200
#define FILE_ATTRIBUTE_REPARSE_POINT       0x00000400
#define FILE_ATTRIBUTE_COMPRESSED          0x00000800
#define FILE_ATTRIBUTE_OFFLINE             0x00001000
#define FILE_ATTRIBUTE_NOT_CONTENT_INDEXED 0x00002000
#define FILE_ATTRIBUTE_ENCRYPTED           0x00004000
#define FILE_ATTRIBUTE_INTEGRITY_STREAM    0x00008000
#define FILE_ATTRIBUTE_VIRTUAL             0x00010000
#define FILE_ATTRIBUTE_NO_SCRUB_DATA       0x00020000
#define FILE_ATTRIBUTE_VALID_FLAGS         0x00007fb7
#define FILE_ATTRIBUTE_VALID_SET_FLAGS     0x000031a7

/* ---- Create dispositions --------------------------------------------------------------- */
#define FILE_SUPERSEDE           0x00000000
#define FILE_OPEN                0x00000001
#define FILE_CREATE              0x00000002
#define FILE_OPEN_IF             0x00000003
#define FILE_OVERWRITE           0x00000004
#define FILE_OVERWRITE_IF        0x00000005
#define FILE_MAXIMUM_DISPOSITION 0x00000005

/* ---- Create options -------------------------------------------------------------------- */
#define FILE_DIRECTORY_FILE            0x00000001
#define FILE_WRITE_THROUGH             0x00000002
#define FILE_SEQUENTIAL_ONLY           0x00000004
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FILE_SYNCHRONOUS_IO_ALERT      0x00000010
#define FILE_SYNCHRONOUS_IO_NONALERT   0x00000020
#define FILE_NON_DIRECTORY_FILE        0x00000040
#define FILE_CREATE_TREE_CONNECTION    0x00000080
#define FILE_COMPLETE_IF_OPLOCKED      0x00000100
#define FILE_NO_EA_KNOWLEDGE           0x00000200
#define FILE_OPEN_REMOTE_INSTANCE      0x00000400
#define FILE_RANDOM_ACCESS             0x00000800
#define FILE_DELETE_ON_CLOSE           0x00001000
#define FILE_OPEN_BY_FILE_ID           0x00002000
#define FILE_OPEN_FOR_BACKUP_INTENT    0x00004000
#define FILE_NO_COMPRESSION            0x00008000
#define FILE_OPEN_REQUIRING_OPLOCK     0x00010000
#define FILE_DISALLOW_EXCLUSIVE        0x00020000
#define FILE_SESSION_AWARE             0x00040000
#define FILE_RESERVE_OPFILTER          0x00100000
#define FILE_OPEN_REPARSE_POINT        0x00200000
#define FILE_OPEN_NO_RECALL            0x00400000
#define FILE_OPEN_FOR_FREE_SPACE_QUERY 0x00800000
#define FILE_VALID_OPTION_FLAGS        0x00ffffff

/* ---- IO_STATUS_BLOCK.Information of a create ------------------------------------------- */
#define FILE_SUPERSEDED     0x00000000
#define FILE_OPENED         0x00000001
#define FILE_CREATED        0x00000002
#define FILE_OVERWRITTEN    0x00000003
#define FILE_EXISTS         0x00000004
#define FILE_DOES_NOT_EXIST 0x00000005

/* Byte offsets with a meaning of their own in a write / read. */
#define FILE_WRITE_TO_END_OF_FILE      0xffffffff
#define FILE_USE_FILE_POINTER_POSITION 0xfffffffe

/* ---- Device characteristics (DEVICE_OBJECT.Characteristics) ----------------------------- */
#define FILE_REMOVABLE_MEDIA                    0x00000001
#define FILE_READ_ONLY_DEVICE                   0x00000002
#define FILE_FLOPPY_DISKETTE                    0x00000004
#define FILE_WRITE_ONCE_MEDIA                   0x00000008
#define FILE_REMOTE_DEVICE                      0x00000010
#define FILE_DEVICE_IS_MOUNTED                  0x00000020
#define FILE_VIRTUAL_VOLUME                     0x00000040
#define FILE_AUTOGENERATED_DEVICE_NAME          0x00000080
#define FILE_DEVICE_SECURE_OPEN                 0x00000100
#define FILE_CHARACTERISTIC_PNP_DEVICE          0x00000800
#define FILE_CHARACTERISTIC_TS_DEVICE           0x00001000
#define FILE_CHARACTERISTIC_WEBDAV_DEVICE       0x00002000
#define FILE_CHARACTERISTIC_CSV                 0x00010000
#define FILE_DEVICE_ALLOW_APPCONTAINER_TRAVERSAL 0x00020000
#define FILE_PORTABLE_DEVICE                    0x00040000

/* ---- Priority increments (IoCompleteRequest's PriorityBoost) ---------------------------- */
#define IO_NO_INCREMENT         0
#define IO_CD_ROM_INCREMENT     1
#define IO_DISK_INCREMENT       1
#define IO_KEYBOARD_INCREMENT   6
#define IO_MAILSLOT_INCREMENT   2
#define IO_MOUSE_INCREMENT      6
#define IO_NAMED_PIPE_INCREMENT 2
#define IO_NETWORK_INCREMENT    2
#define IO_PARALLEL_INCREMENT   1
#define IO_SERIAL_INCREMENT     2
#define IO_SOUND_INCREMENT      8
#define IO_VIDEO_INCREMENT      1

/* ---- IoCreateFile options, and IO_STATUS_BLOCK.Information of STATUS_REPARSE ------------- */
#define IO_FORCE_ACCESS_CHECK        0x0001
#define IO_OPEN_PAGING_FILE          0x0002
#define IO_OPEN_TARGET_DIRECTORY     0x0004
#define IO_STOP_ON_SYMLINK           0x0008
#define IO_NO_PARAMETER_CHECKING     0x0100
#define IO_CHECK_CREATE_PARAMETERS   0x0200
#define IO_ATTACH_DEVICE             0x0400
#define IO_IGNORE_SHARE_ACCESS_CHECK 0x0800
#define IO_REPARSE                   0x0
#define IO_REMOUNT                   0x1
#define IO_REPARSE_GLOBAL            0x2

#define OBJ_NAME_PATH_SEPARATOR ((WCHAR)L'\\')

/* ---- Page protections, section attributes and section rights ---------------------------- */
#define PAGE_NOACCESS          0x01
#ifndef MEM_RESERVE
#define MEM_RESERVE     0x00002000
#define MEM_TOP_DOWN    0x00100000
#define MEM_LARGE_PAGES 0x20000000
#endif
#define PAGE_READONLY          0x02
#define PAGE_READWRITE         0x04
#define PAGE_WRITECOPY         0x08
#define PAGE_EXECUTE           0x10
#define PAGE_EXECUTE_READ      0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD             0x100
#define PAGE_NOCACHE           0x200
#define PAGE_WRITECOMBINE      0x400

#define SEC_FILE        0x00800000
#define SEC_IMAGE       0x01000000
#define SEC_RESERVE     0x04000000
#define SEC_COMMIT      0x08000000
#define SEC_NOCACHE     0x10000000
#define SEC_LARGE_PAGES 0x80000000

#define SECTION_QUERY                0x0001
#define SECTION_MAP_WRITE            0x0002
#define SECTION_MAP_READ             0x0004
#define SECTION_MAP_EXECUTE          0x0008
#define SECTION_EXTEND_SIZE          0x0010
#define SECTION_MAP_EXECUTE_EXPLICIT 0x0020
#define SECTION_ALL_ACCESS                                                                      \
    (STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_WRITE | SECTION_MAP_READ | \
     SECTION_MAP_EXECUTE | SECTION_EXTEND_SIZE)

typedef enum _SECTION_INHERIT { ViewShare = 1, ViewUnmap = 2 } SECTION_INHERIT;

/* ---- Plug and Play minor function codes (IRP_MJ_PNP) ------------------------------------- */
#define IRP_MN_START_DEVICE                 0x00
#define IRP_MN_QUERY_REMOVE_DEVICE          0x01
#define IRP_MN_REMOVE_DEVICE                0x02
#define IRP_MN_CANCEL_REMOVE_DEVICE         0x03
#define IRP_MN_STOP_DEVICE                  0x04
#define IRP_MN_QUERY_STOP_DEVICE            0x05
#define IRP_MN_CANCEL_STOP_DEVICE           0x06
#define IRP_MN_QUERY_DEVICE_RELATIONS       0x07
#define IRP_MN_QUERY_INTERFACE              0x08
#define IRP_MN_QUERY_CAPABILITIES           0x09
#define IRP_MN_QUERY_RESOURCES              0x0A
#define IRP_MN_QUERY_RESOURCE_REQUIREMENTS  0x0B
#define IRP_MN_QUERY_DEVICE_TEXT            0x0C
#define IRP_MN_FILTER_RESOURCE_REQUIREMENTS 0x0D
#define IRP_MN_READ_CONFIG                  0x0F
#define IRP_MN_WRITE_CONFIG                 0x10
#define IRP_MN_EJECT                        0x11
#define IRP_MN_SET_LOCK                     0x12
#define IRP_MN_QUERY_ID                     0x13
#define IRP_MN_QUERY_PNP_DEVICE_STATE       0x14
#define IRP_MN_QUERY_BUS_INFORMATION        0x15
#define IRP_MN_DEVICE_USAGE_NOTIFICATION    0x16
#define IRP_MN_SURPRISE_REMOVAL             0x17
#define IRP_MN_DEVICE_ENUMERATED            0x19

/* ---- Small types the structures below use ------------------------------------------------ */
typedef ULONG SECURITY_INFORMATION, *PSECURITY_INFORMATION;
typedef PVOID PSECURITY_DESCRIPTOR;
typedef struct _VPB *PVPB;
typedef struct _ACCESS_STATE *PACCESS_STATE;
typedef struct _SECURITY_QUALITY_OF_SERVICE *PSECURITY_QUALITY_OF_SERVICE;
typedef struct _IO_COMPLETION_CONTEXT *PIO_COMPLETION_CONTEXT;
typedef struct _KTRANSACTION *PKTRANSACTION;

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

/* ---- File information classes ------------------------------------------------------------ */
typedef enum _FILE_INFORMATION_CLASS {
    FileDirectoryInformation = 1,
    FileFullDirectoryInformation,                /* 2 */
    FileBothDirectoryInformation,                /* 3 */
    FileBasicInformation,                        /* 4 */
    FileStandardInformation,                     /* 5 */
    FileInternalInformation,                     /* 6 */
    FileEaInformation,                           /* 7 */
    FileAccessInformation,                       /* 8 */
    FileNameInformation,                         /* 9 */
    FileRenameInformation,                       /* 10 */
    FileLinkInformation,                         /* 11 */
    FileNamesInformation,                        /* 12 */
    FileDispositionInformation,                  /* 13 */
    FilePositionInformation,                     /* 14 */
    FileFullEaInformation,                       /* 15 */
    FileModeInformation,                         /* 16 */
    FileAlignmentInformation,                    /* 17 */
    FileAllInformation,                          /* 18 */
    FileAllocationInformation,                   /* 19 */
    FileEndOfFileInformation,                    /* 20 */
    FileAlternateNameInformation,                /* 21 */
    FileStreamInformation,                       /* 22 */
    FilePipeInformation,                         /* 23 */
    FilePipeLocalInformation,                    /* 24 */
    FilePipeRemoteInformation,                   /* 25 */
    FileMailslotQueryInformation,                /* 26 */
    FileMailslotSetInformation,                  /* 27 */
    FileCompressionInformation,                  /* 28 */
    FileObjectIdInformation,                     /* 29 */
    FileCompletionInformation,                   /* 30 */
    FileMoveClusterInformation,                  /* 31 */
    FileQuotaInformation,                        /* 32 */
    FileReparsePointInformation,                 /* 33 */
    FileNetworkOpenInformation,                  /* 34 */
    FileAttributeTagInformation,                 /* 35 */
    FileTrackingInformation,                     /* 36 */
    FileIdBothDirectoryInformation,              /* 37 */
    FileIdFullDirectoryInformation,              /* 38 */
    FileValidDataLengthInformation,              /* 39 */
    FileShortNameInformation,                    /* 40 */
    FileIoCompletionNotificationInformation,     /* 41 */
    FileIoStatusBlockRangeInformation,           /* 42 */
    FileIoPriorityHintInformation,               /* 43 */
    FileSfioReserveInformation,                  /* 44 */
    FileSfioVolumeInformation,                   /* 45 */
    FileHardLinkInformation,                     /* 46 */
    FileProcessIdsUsingFileInformation,          /* 47 */
    FileNormalizedNameInformation,               /* 48 */
    FileNetworkPhysicalNameInformation,          /* 49 */
    FileIdGlobalTxDirectoryInformation,          /* 50 */
    FileIsRemoteDeviceInformation,               /* 51 */
    FileUnusedInformation,                       /* 52 */
    FileNumaNodeInformation,                     /* 53 */
    FileStandardLinkInformation,                 /* 54 */
    FileRemoteProtocolInformation,               /* 55 */
    FileRenameInformationBypassAccessCheck,      /* 56 */
    FileLinkInformationBypassAccessCheck,        /* 57 */
    FileVolumeNameInformation,                   /* 58 */
    FileIdInformation,                           /* 59 */
    FileIdExtdDirectoryInformation,              /* 60 */
    FileReplaceCompletionInformation,            /* 61 */
    FileHardLinkFullIdInformation,               /* 62 */
    FileIdExtdBothDirectoryInformation,          /* 63 */
    FileDispositionInformationEx,                /* 64 */
    FileRenameInformationEx,                     /* 65 */
    FileRenameInformationExBypassAccessCheck,    /* 66 */
    FileDesiredStorageClassInformation,          /* 67 */
    FileStatInformation,                         /* 68 */
    FileMemoryPartitionInformation,              /* 69 */
    FileStatLxInformation,                       /* 70 */
    FileCaseSensitiveInformation,                /* 71 */
    FileLinkInformationEx,                       /* 72 */
    FileLinkInformationExBypassAccessCheck,      /* 73 */
    FileStorageReserveIdInformation,             /* 74 */
    FileCaseSensitiveInformationForceAccessCheck,/* 75 */
    FileKnownFolderInformation,                  /* 76 */
    FileMaximumInformation
} FILE_INFORMATION_CLASS, *PFILE_INFORMATION_CLASS;

typedef enum _FSINFOCLASS {
    FileFsVolumeInformation = 1,
    FileFsLabelInformation,          /* 2 */
    FileFsSizeInformation,           /* 3 */
    FileFsDeviceInformation,         /* 4 */
    FileFsAttributeInformation,      /* 5 */
    FileFsControlInformation,        /* 6 */
    FileFsFullSizeInformation,       /* 7 */
    FileFsObjectIdInformation,       /* 8 */
    FileFsDriverPathInformation,     /* 9 */
    FileFsVolumeFlagsInformation,    /* 10 */
    FileFsSectorSizeInformation,     /* 11 */
    FileFsDataCopyInformation,       /* 12 */
    FileFsMetadataSizeInformation,   /* 13 */
    FileFsFullSizeInformationEx,     /* 14 */
    FileFsMaximumInformation
} FS_INFORMATION_CLASS, *PFS_INFORMATION_CLASS;

/* ---- The information structures of wdm.h ------------------------------------------------- */
typedef struct _FILE_BASIC_INFORMATION {
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    ULONG FileAttributes;
} FILE_BASIC_INFORMATION, *PFILE_BASIC_INFORMATION;

typedef struct _FILE_STANDARD_INFORMATION {
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG NumberOfLinks;
    BOOLEAN DeletePending;
    BOOLEAN Directory;
} FILE_STANDARD_INFORMATION, *PFILE_STANDARD_INFORMATION;

typedef struct _FILE_POSITION_INFORMATION {
    LARGE_INTEGER CurrentByteOffset;
} FILE_POSITION_INFORMATION, *PFILE_POSITION_INFORMATION;

typedef struct _FILE_END_OF_FILE_INFORMATION {
    LARGE_INTEGER EndOfFile;
} FILE_END_OF_FILE_INFORMATION, *PFILE_END_OF_FILE_INFORMATION;

typedef struct _FILE_NETWORK_OPEN_INFORMATION {
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG FileAttributes;
} FILE_NETWORK_OPEN_INFORMATION, *PFILE_NETWORK_OPEN_INFORMATION;

typedef struct _FILE_FULL_EA_INFORMATION {
    ULONG NextEntryOffset;
    UCHAR Flags;
    UCHAR EaNameLength;
    USHORT EaValueLength;
    CHAR EaName[1];
} FILE_FULL_EA_INFORMATION, *PFILE_FULL_EA_INFORMATION;

/* ---- The file object ---------------------------------------------------------------------- */
typedef struct _SECTION_OBJECT_POINTERS {
    PVOID DataSectionObject;
    PVOID SharedCacheMap;
    PVOID ImageSectionObject;
} SECTION_OBJECT_POINTERS, *PSECTION_OBJECT_POINTERS;

typedef struct _FILE_OBJECT {
    CSHORT Type;
    CSHORT Size;
    PDEVICE_OBJECT DeviceObject;
    PVPB Vpb;
    PVOID FsContext;
    PVOID FsContext2;
    PSECTION_OBJECT_POINTERS SectionObjectPointer;
    PVOID PrivateCacheMap;
    NTSTATUS FinalStatus;
    struct _FILE_OBJECT *RelatedFileObject;
    BOOLEAN LockOperation;
    BOOLEAN DeletePending;
    BOOLEAN ReadAccess;
    BOOLEAN WriteAccess;
    BOOLEAN DeleteAccess;
    BOOLEAN SharedRead;
    BOOLEAN SharedWrite;
    BOOLEAN SharedDelete;
    ULONG Flags;
    UNICODE_STRING FileName;
    LARGE_INTEGER CurrentByteOffset;
    volatile ULONG Waiters;
    volatile ULONG Busy;
    PVOID LastLock;
    KEVENT Lock;
    KEVENT Event;
    volatile PIO_COMPLETION_CONTEXT CompletionContext;
    KSPIN_LOCK IrpListLock;
    LIST_ENTRY IrpList;
    volatile PVOID FileObjectExtension;
} FILE_OBJECT, *PFILE_OBJECT;

/* FILE_OBJECT.Flags */
#define FO_FILE_OPEN                  0x00000001
#define FO_SYNCHRONOUS_IO             0x00000002
#define FO_ALERTABLE_IO               0x00000004
#define FO_NO_INTERMEDIATE_BUFFERING  0x00000008
#define FO_WRITE_THROUGH              0x00000010
#define FO_SEQUENTIAL_ONLY            0x00000020
#define FO_CACHE_SUPPORTED            0x00000040
#define FO_NAMED_PIPE                 0x00000080
#define FO_STREAM_FILE                0x00000100
#define FO_MAILSLOT                   0x00000200
#define FO_GENERATE_AUDIT_ON_CLOSE    0x00000400
#define FO_QUEUE_IRP_TO_THREAD        FO_GENERATE_AUDIT_ON_CLOSE
#define FO_DIRECT_DEVICE_OPEN         0x00000800
#define FO_FILE_MODIFIED              0x00001000
#define FO_FILE_SIZE_CHANGED          0x00002000
#define FO_CLEANUP_COMPLETE           0x00004000
#define FO_TEMPORARY_FILE             0x00008000
#define FO_DELETE_ON_CLOSE            0x00010000
#define FO_OPENED_CASE_SENSITIVE      0x00020000
#define FO_HANDLE_CREATED             0x00040000
#define FO_FILE_FAST_IO_READ          0x00080000
#define FO_RANDOM_ACCESS              0x00100000
#define FO_FILE_OPEN_CANCELLED        0x00200000
#define FO_VOLUME_OPEN                0x00400000
#define FO_REMOTE_ORIGIN              0x01000000
#define FO_DISALLOW_EXCLUSIVE         0x02000000
#define FO_SKIP_COMPLETION_PORT       FO_DISALLOW_EXCLUSIVE
#define FO_SKIP_SET_EVENT             0x04000000
#define FO_SKIP_SET_FAST_IO           0x08000000

typedef struct _IO_SECURITY_CONTEXT {
    PSECURITY_QUALITY_OF_SERVICE SecurityQos;
    PACCESS_STATE AccessState;
    ACCESS_MASK DesiredAccess;
    ULONG FullCreateOptions;
} IO_SECURITY_CONTEXT, *PIO_SECURITY_CONTEXT;

/* ---- The I/O stack location ---------------------------------------------------------------- */
typedef NTSTATUS IO_COMPLETION_ROUTINE(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context);
typedef IO_COMPLETION_ROUTINE *PIO_COMPLETION_ROUTINE;

/* The Parameters union as far as file systems and their filters use it (the WDK's members for
 * power, PnP, WMI and the like are left out: Others covers their raw words). Its size is that
 * of four pointers, as in the WDK. */
typedef struct _IO_STACK_LOCATION {
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR Flags;
    UCHAR Control;
    union {
        struct {
            PIO_SECURITY_CONTEXT SecurityContext;
            ULONG Options;
            USHORT POINTER_ALIGNMENT FileAttributes;
            USHORT ShareAccess;
            ULONG POINTER_ALIGNMENT EaLength;
        } Create;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
#if defined(_WIN64)
            ULONG Flags;
#endif
            LARGE_INTEGER ByteOffset;
        } Read;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT Key;
#if defined(_WIN64)
            ULONG Flags;
#endif
            LARGE_INTEGER ByteOffset;
        } Write;
        struct {
            ULONG Length;
            PUNICODE_STRING FileName;
            FILE_INFORMATION_CLASS FileInformationClass;
            ULONG POINTER_ALIGNMENT FileIndex;
        } QueryDirectory;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT CompletionFilter;
        } NotifyDirectory;
        struct {
            ULONG Length;
            FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
        } QueryFile;
        struct {
            ULONG Length;
            FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
            PFILE_OBJECT FileObject;
            union {
                struct {
                    BOOLEAN ReplaceIfExists;
                    BOOLEAN AdvanceOnly;
                };
                ULONG ClusterCount;
                HANDLE DeleteHandle;
            };
        } SetFile;
        struct {
            ULONG Length;
            PVOID EaList;
            ULONG EaListLength;
            ULONG POINTER_ALIGNMENT EaIndex;
        } QueryEa;
        struct {
            ULONG Length;
        } SetEa;
        struct {
            ULONG Length;
            FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
        } QueryVolume;
        struct {
            ULONG Length;
            FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
        } SetVolume;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
            PVOID Type3InputBuffer;
        } FileSystemControl;
        struct {
            PLARGE_INTEGER Length;
            ULONG POINTER_ALIGNMENT Key;
            LARGE_INTEGER ByteOffset;
        } LockControl;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID Type3InputBuffer;
        } DeviceIoControl;
        struct {
            SECURITY_INFORMATION SecurityInformation;
            ULONG POINTER_ALIGNMENT Length;
        } QuerySecurity;
        struct {
            SECURITY_INFORMATION SecurityInformation;
            PSECURITY_DESCRIPTOR SecurityDescriptor;
        } SetSecurity;
        struct {
            PVPB Vpb;
            PDEVICE_OBJECT DeviceObject;
        } MountVolume;
        struct {
            PVPB Vpb;
            PDEVICE_OBJECT DeviceObject;
        } VerifyVolume;
        struct {
            PVOID Argument1;
            PVOID Argument2;
            PVOID Argument3;
            PVOID Argument4;
        } Others;
    } Parameters;
    PDEVICE_OBJECT DeviceObject;
    PFILE_OBJECT FileObject;
    PIO_COMPLETION_ROUTINE CompletionRoutine;
    PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

/* The WDK's inline accessors: the current location is the one the IRP's tail points at; the
 * next lower driver's is the one below it (stack locations are used from the top down). */
FORCEINLINE PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation;
}
FORCEINLINE PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp)
{
    return Irp->Tail.Overlay.CurrentStackLocation - 1;
}

/* ---- The fast I/O dispatch table (DRIVER_OBJECT.FastIoDispatch) ---------------------------- */
struct _COMPRESSED_DATA_INFO;

typedef BOOLEAN FAST_IO_CHECK_IF_POSSIBLE(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length,
                                          BOOLEAN Wait, ULONG LockKey, BOOLEAN CheckForReadOperation,
                                          PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_CHECK_IF_POSSIBLE *PFAST_IO_CHECK_IF_POSSIBLE;
typedef BOOLEAN FAST_IO_READ(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait,
                             ULONG LockKey, PVOID Buffer, PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_READ *PFAST_IO_READ;
typedef BOOLEAN FAST_IO_WRITE(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, BOOLEAN Wait,
                              ULONG LockKey, PVOID Buffer, PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_WRITE *PFAST_IO_WRITE;
typedef BOOLEAN FAST_IO_QUERY_BASIC_INFO(PFILE_OBJECT FileObject, BOOLEAN Wait, PFILE_BASIC_INFORMATION Buffer,
                                         PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_QUERY_BASIC_INFO *PFAST_IO_QUERY_BASIC_INFO;
typedef BOOLEAN FAST_IO_QUERY_STANDARD_INFO(PFILE_OBJECT FileObject, BOOLEAN Wait, PFILE_STANDARD_INFORMATION Buffer,
                                            PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_QUERY_STANDARD_INFO *PFAST_IO_QUERY_STANDARD_INFO;
typedef BOOLEAN FAST_IO_LOCK(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, PLARGE_INTEGER Length,
                             PEPROCESS ProcessId, ULONG Key, BOOLEAN FailImmediately, BOOLEAN ExclusiveLock,
                             PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_LOCK *PFAST_IO_LOCK;
typedef BOOLEAN FAST_IO_UNLOCK_SINGLE(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, PLARGE_INTEGER Length,
                                      PEPROCESS ProcessId, ULONG Key, PIO_STATUS_BLOCK IoStatus,
                                      PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_UNLOCK_SINGLE *PFAST_IO_UNLOCK_SINGLE;
typedef BOOLEAN FAST_IO_UNLOCK_ALL(PFILE_OBJECT FileObject, PEPROCESS ProcessId, PIO_STATUS_BLOCK IoStatus,
                                   PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_UNLOCK_ALL *PFAST_IO_UNLOCK_ALL;
typedef BOOLEAN FAST_IO_UNLOCK_ALL_BY_KEY(PFILE_OBJECT FileObject, PVOID ProcessId, ULONG Key,
                                          PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_UNLOCK_ALL_BY_KEY *PFAST_IO_UNLOCK_ALL_BY_KEY;
typedef BOOLEAN FAST_IO_DEVICE_CONTROL(PFILE_OBJECT FileObject, BOOLEAN Wait, PVOID InputBuffer,
                                       ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                       ULONG IoControlCode, PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_DEVICE_CONTROL *PFAST_IO_DEVICE_CONTROL;
typedef VOID FAST_IO_ACQUIRE_FILE(PFILE_OBJECT FileObject);
typedef FAST_IO_ACQUIRE_FILE *PFAST_IO_ACQUIRE_FILE;
typedef VOID FAST_IO_RELEASE_FILE(PFILE_OBJECT FileObject);
typedef FAST_IO_RELEASE_FILE *PFAST_IO_RELEASE_FILE;
typedef VOID FAST_IO_DETACH_DEVICE(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice);
typedef FAST_IO_DETACH_DEVICE *PFAST_IO_DETACH_DEVICE;
typedef BOOLEAN FAST_IO_QUERY_NETWORK_OPEN_INFO(PFILE_OBJECT FileObject, BOOLEAN Wait,
                                                PFILE_NETWORK_OPEN_INFORMATION Buffer,
                                                PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_QUERY_NETWORK_OPEN_INFO *PFAST_IO_QUERY_NETWORK_OPEN_INFO;
typedef NTSTATUS FAST_IO_ACQUIRE_FOR_MOD_WRITE(PFILE_OBJECT FileObject, PLARGE_INTEGER EndingOffset,
                                               PERESOURCE *ResourceToRelease, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_ACQUIRE_FOR_MOD_WRITE *PFAST_IO_ACQUIRE_FOR_MOD_WRITE;
typedef BOOLEAN FAST_IO_MDL_READ(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length, ULONG LockKey,
                                 PMDL *MdlChain, PIO_STATUS_BLOCK IoStatus, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_MDL_READ *PFAST_IO_MDL_READ;
typedef BOOLEAN FAST_IO_MDL_READ_COMPLETE(PFILE_OBJECT FileObject, PMDL MdlChain, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_MDL_READ_COMPLETE *PFAST_IO_MDL_READ_COMPLETE;
typedef BOOLEAN FAST_IO_PREPARE_MDL_WRITE(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length,
                                          ULONG LockKey, PMDL *MdlChain, PIO_STATUS_BLOCK IoStatus,
                                          PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_PREPARE_MDL_WRITE *PFAST_IO_PREPARE_MDL_WRITE;
typedef BOOLEAN FAST_IO_MDL_WRITE_COMPLETE(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, PMDL MdlChain,
                                           PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_MDL_WRITE_COMPLETE *PFAST_IO_MDL_WRITE_COMPLETE;
typedef BOOLEAN FAST_IO_READ_COMPRESSED(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length,
                                        ULONG LockKey, PVOID Buffer, PMDL *MdlChain, PIO_STATUS_BLOCK IoStatus,
                                        struct _COMPRESSED_DATA_INFO *CompressedDataInfo,
                                        ULONG CompressedDataInfoLength, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_READ_COMPRESSED *PFAST_IO_READ_COMPRESSED;
typedef BOOLEAN FAST_IO_WRITE_COMPRESSED(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset, ULONG Length,
                                         ULONG LockKey, PVOID Buffer, PMDL *MdlChain, PIO_STATUS_BLOCK IoStatus,
                                         struct _COMPRESSED_DATA_INFO *CompressedDataInfo,
                                         ULONG CompressedDataInfoLength, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_WRITE_COMPRESSED *PFAST_IO_WRITE_COMPRESSED;
typedef BOOLEAN FAST_IO_MDL_READ_COMPLETE_COMPRESSED(PFILE_OBJECT FileObject, PMDL MdlChain,
                                                     PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_MDL_READ_COMPLETE_COMPRESSED *PFAST_IO_MDL_READ_COMPLETE_COMPRESSED;
typedef BOOLEAN FAST_IO_MDL_WRITE_COMPLETE_COMPRESSED(PFILE_OBJECT FileObject, PLARGE_INTEGER FileOffset,
                                                      PMDL MdlChain, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_MDL_WRITE_COMPLETE_COMPRESSED *PFAST_IO_MDL_WRITE_COMPLETE_COMPRESSED;
typedef BOOLEAN FAST_IO_QUERY_OPEN(PIRP Irp, PFILE_NETWORK_OPEN_INFORMATION NetworkInformation,
                                   PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_QUERY_OPEN *PFAST_IO_QUERY_OPEN;
typedef NTSTATUS FAST_IO_RELEASE_FOR_MOD_WRITE(PFILE_OBJECT FileObject, PERESOURCE ResourceToRelease,
                                               PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_RELEASE_FOR_MOD_WRITE *PFAST_IO_RELEASE_FOR_MOD_WRITE;
typedef NTSTATUS FAST_IO_ACQUIRE_FOR_CCFLUSH(PFILE_OBJECT FileObject, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_ACQUIRE_FOR_CCFLUSH *PFAST_IO_ACQUIRE_FOR_CCFLUSH;
typedef NTSTATUS FAST_IO_RELEASE_FOR_CCFLUSH(PFILE_OBJECT FileObject, PDEVICE_OBJECT DeviceObject);
typedef FAST_IO_RELEASE_FOR_CCFLUSH *PFAST_IO_RELEASE_FOR_CCFLUSH;

typedef struct _FAST_IO_DISPATCH {
    ULONG SizeOfFastIoDispatch;
    PFAST_IO_CHECK_IF_POSSIBLE FastIoCheckIfPossible;
    PFAST_IO_READ FastIoRead;
    PFAST_IO_WRITE FastIoWrite;
    PFAST_IO_QUERY_BASIC_INFO FastIoQueryBasicInfo;
    PFAST_IO_QUERY_STANDARD_INFO FastIoQueryStandardInfo;
    PFAST_IO_LOCK FastIoLock;
    PFAST_IO_UNLOCK_SINGLE FastIoUnlockSingle;
    PFAST_IO_UNLOCK_ALL FastIoUnlockAll;
    PFAST_IO_UNLOCK_ALL_BY_KEY FastIoUnlockAllByKey;
    PFAST_IO_DEVICE_CONTROL FastIoDeviceControl;
    PFAST_IO_ACQUIRE_FILE AcquireFileForNtCreateSection;
    PFAST_IO_RELEASE_FILE ReleaseFileForNtCreateSection;
    PFAST_IO_DETACH_DEVICE FastIoDetachDevice;
    PFAST_IO_QUERY_NETWORK_OPEN_INFO FastIoQueryNetworkOpenInfo;
    PFAST_IO_ACQUIRE_FOR_MOD_WRITE AcquireForModWrite;
    PFAST_IO_MDL_READ MdlRead;
    PFAST_IO_MDL_READ_COMPLETE MdlReadComplete;
    PFAST_IO_PREPARE_MDL_WRITE PrepareMdlWrite;
    PFAST_IO_MDL_WRITE_COMPLETE MdlWriteComplete;
    PFAST_IO_READ_COMPRESSED FastIoReadCompressed;
    PFAST_IO_WRITE_COMPRESSED FastIoWriteCompressed;
    PFAST_IO_MDL_READ_COMPLETE_COMPRESSED MdlReadCompleteCompressed;
    PFAST_IO_MDL_WRITE_COMPLETE_COMPRESSED MdlWriteCompleteCompressed;
    PFAST_IO_QUERY_OPEN FastIoQueryOpen;
    PFAST_IO_RELEASE_FOR_MOD_WRITE ReleaseForModWrite;
    PFAST_IO_ACQUIRE_FOR_CCFLUSH AcquireForCcFlush;
    PFAST_IO_RELEASE_FOR_CCFLUSH ReleaseForCcFlush;
} FAST_IO_DISPATCH, *PFAST_IO_DISPATCH;

/* ---- Device objects and IRPs: IoCreateDevice, IoDeleteDevice, IofCompleteRequest,
 * IoBuildDeviceIoControlRequest and IofCallDriver are modeled (model/src/device.c, SEMANTICS.md D-);
 * IoIs32bitProcess is declared, not modeled (not_modeled.def). ------------------------------------ */
NTKERNELAPI NTSTATUS IoCreateDevice(_In_ PDRIVER_OBJECT DriverObject, _In_ ULONG DeviceExtensionSize,
                                    _In_opt_ PUNICODE_STRING DeviceName, _In_ DEVICE_TYPE DeviceType,
                                    _In_ ULONG DeviceCharacteristics, _In_ BOOLEAN Exclusive,
                                    _Out_ PDEVICE_OBJECT *DeviceObject);
NTKERNELAPI VOID IoDeleteDevice(_In_ PDEVICE_OBJECT DeviceObject);
NTKERNELAPI VOID FASTCALL IofCompleteRequest(_In_ PIRP Irp, _In_ CCHAR PriorityBoost);
#define IoCompleteRequest(a, b) IofCompleteRequest(a, b)
NTKERNELAPI NTSTATUS FASTCALL IofCallDriver(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp);
#define IoCallDriver(a, b) IofCallDriver(a, b)
NTKERNELAPI PIRP IoBuildDeviceIoControlRequest(
    _In_ ULONG IoControlCode, _In_ PDEVICE_OBJECT DeviceObject, _In_opt_ PVOID InputBuffer,
    _In_ ULONG InputBufferLength, _Out_opt_ PVOID OutputBuffer, _In_ ULONG OutputBufferLength,
    _In_ BOOLEAN InternalDeviceIoControl, _In_opt_ PKEVENT Event,
    _Out_ PIO_STATUS_BLOCK IoStatusBlock);
NTKERNELAPI BOOLEAN IoIs32bitProcess(_In_opt_ PIRP Irp);

/* ---- Kernel transactions (ktmtypes.h, which wdm.h carries): values and types only ------------ */
typedef ULONG NOTIFICATION_MASK;
#define TRANSACTION_NOTIFY_MASK                 0x3FFFFFFF
#define TRANSACTION_NOTIFY_PREPREPARE           0x00000001
#define TRANSACTION_NOTIFY_PREPARE              0x00000002
#define TRANSACTION_NOTIFY_COMMIT               0x00000004
#define TRANSACTION_NOTIFY_ROLLBACK             0x00000008
#define TRANSACTION_NOTIFY_PREPREPARE_COMPLETE  0x00000010
#define TRANSACTION_NOTIFY_PREPARE_COMPLETE     0x00000020
#define TRANSACTION_NOTIFY_COMMIT_COMPLETE      0x00000040
#define TRANSACTION_NOTIFY_ROLLBACK_COMPLETE    0x00000080
#define TRANSACTION_NOTIFY_RECOVER              0x00000100
#define TRANSACTION_NOTIFY_SINGLE_PHASE_COMMIT  0x00000200
#define TRANSACTION_NOTIFY_DELEGATE_COMMIT      0x00000400
#define TRANSACTION_NOTIFY_RECOVER_QUERY        0x00000800
#define TRANSACTION_NOTIFY_ENLIST_PREPREPARE    0x00001000
#define TRANSACTION_NOTIFY_LAST_RECOVER         0x00002000
#define TRANSACTION_NOTIFY_INDOUBT              0x00004000
#define TRANSACTION_NOTIFY_PROPAGATE_PULL       0x00008000
#define TRANSACTION_NOTIFY_PROPAGATE_PUSH       0x00010000
#define TRANSACTION_NOTIFY_MARSHAL              0x00020000
#define TRANSACTION_NOTIFY_ENLIST_MASK          0x00040000
#define TRANSACTION_NOTIFY_RM_DISCONNECTED      0x01000000
#define TRANSACTION_NOTIFY_TM_ONLINE            0x02000000
#define TRANSACTION_NOTIFY_COMMIT_REQUEST       0x04000000
#define TRANSACTION_NOTIFY_PROMOTE              0x08000000
#define TRANSACTION_NOTIFY_PROMOTE_NEW          0x10000000
#define TRANSACTION_NOTIFY_REQUEST_OUTCOME      0x20000000
#define TRANSACTION_NOTIFY_COMMIT_FINALIZE      0x40000000

typedef enum _TRANSACTION_OUTCOME {
    TransactionOutcomeUndetermined = 1,
    TransactionOutcomeCommitted,
    TransactionOutcomeAborted
} TRANSACTION_OUTCOME;

typedef enum _TRANSACTION_STATE {
    TransactionStateNormal = 1,
    TransactionStateIndoubt,
    TransactionStateCommittedNotify
} TRANSACTION_STATE;

typedef enum _TRANSACTION_INFORMATION_CLASS {
    TransactionBasicInformation,
    TransactionPropertiesInformation,
    TransactionEnlistmentInformation,
    TransactionSuperiorEnlistmentInformation
} TRANSACTION_INFORMATION_CLASS;

typedef struct _TRANSACTION_BASIC_INFORMATION {
    GUID TransactionId;
    ULONG State;
    ULONG Outcome;
} TRANSACTION_BASIC_INFORMATION, *PTRANSACTION_BASIC_INFORMATION;

/* TransactionBasicInformation only (SEMANTICS.md FT-15). */
NTSYSAPI NTSTATUS NTAPI ZwQueryInformationTransaction(_In_ HANDLE TransactionHandle,
                                                      _In_ TRANSACTION_INFORMATION_CLASS TransactionInformationClass,
                                                      _Out_ PVOID TransactionInformation,
                                                      _In_ ULONG TransactionInformationLength,
                                                      _Out_opt_ PULONG ReturnLength);

#ifdef __cplusplus
}
#endif
/* ---- Device objects, symbolic links and the IRPs of a driver's own devices ----------------------
 * (model/src/device.c, SEMANTICS.md D-). Values are the WDK's. The IRP major codes belong to wdm.h;
 * fltKernel.h takes them from here. */
#ifndef KFAULT_WDK_IO_DEVICE_H
#define KFAULT_WDK_IO_DEVICE_H
#ifdef __cplusplus
extern "C" {
#endif
#define IRP_MJ_CREATE                   0x00
#define IRP_MJ_CREATE_NAMED_PIPE        0x01
#define IRP_MJ_CLOSE                    0x02
#define IRP_MJ_READ                     0x03
#define IRP_MJ_WRITE                    0x04
#define IRP_MJ_QUERY_INFORMATION        0x05
#define IRP_MJ_SET_INFORMATION          0x06
#define IRP_MJ_QUERY_EA                 0x07
#define IRP_MJ_SET_EA                   0x08
#define IRP_MJ_FLUSH_BUFFERS            0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION   0x0b
#define IRP_MJ_DIRECTORY_CONTROL        0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL      0x0d
#define IRP_MJ_DEVICE_CONTROL           0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL  0x0f
#define IRP_MJ_SHUTDOWN                 0x10
#define IRP_MJ_LOCK_CONTROL             0x11
#define IRP_MJ_CLEANUP                  0x12
#define IRP_MJ_CREATE_MAILSLOT          0x13
#define IRP_MJ_QUERY_SECURITY           0x14
#define IRP_MJ_SET_SECURITY             0x15
#define IRP_MJ_POWER                    0x16
#define IRP_MJ_SYSTEM_CONTROL           0x17
#define IRP_MJ_DEVICE_CHANGE            0x18
#define IRP_MJ_QUERY_QUOTA              0x19
#define IRP_MJ_SET_QUOTA                0x1a
#define IRP_MJ_PNP                      0x1b
#define IRP_MJ_PNP_POWER                IRP_MJ_PNP
#define IRP_MJ_SCSI                     IRP_MJ_INTERNAL_DEVICE_CONTROL

/* The I/O stack location's Control: a dispatch routine that returns STATUS_PENDING marks it. */
#define SL_PENDING_RETURNED             0x01

/* Object type numbers in the Type field of I/O objects. */
#define IO_TYPE_ADAPTER                 0x00000001
#define IO_TYPE_CONTROLLER              0x00000002
#define IO_TYPE_DEVICE                  0x00000003
#define IO_TYPE_DRIVER                  0x00000004
#define IO_TYPE_FILE                    0x00000005
#define IO_TYPE_IRP                     0x00000006
#define IO_TYPE_MASTER_ADAPTER          0x00000007
#define IO_TYPE_OPEN_PACKET             0x00000008
#define IO_TYPE_TIMER                   0x00000009
#define IO_TYPE_VPB                     0x0000000a
#define IO_TYPE_ERROR_LOG               0x0000000b
#define IO_TYPE_ERROR_MESSAGE           0x0000000c
#define IO_TYPE_DEVICE_OBJECT_EXTENSION 0x0000000d

/* DEVICE_OBJECT.Flags */
#define DO_VERIFY_VOLUME                0x00000002
#define DO_BUFFERED_IO                  0x00000004
#define DO_EXCLUSIVE                    0x00000008
#define DO_DIRECT_IO                    0x00000010
#define DO_MAP_IO_BUFFER                0x00000020
#define DO_DEVICE_HAS_NAME              0x00000040
#define DO_DEVICE_INITIALIZING          0x00000080
#define DO_SYSTEM_BOOT_PARTITION        0x00000100
#define DO_LONG_TERM_REQUESTS           0x00000200
#define DO_NEVER_LAST_DEVICE            0x00000400
#define DO_SHUTDOWN_REGISTERED          0x00000800
#define DO_BUS_ENUMERATED_DEVICE        0x00001000
#define DO_POWER_PAGABLE                0x00002000
#define DO_POWER_INRUSH                 0x00004000
#define DO_LOW_PRIORITY_FILESYSTEM      0x00010000
#define DO_SUPPORTS_PERSISTENT_ACLS     0x00020000
#define DO_SUPPORTS_TRANSACTIONS        0x00040000
#define DO_FORCE_NEITHER_IO             0x00080000
#define DO_VOLUME_DEVICE_OBJECT         0x00100000
#define DO_SYSTEM_SYSTEM_PARTITION      0x00200000
#define DO_SYSTEM_CRITICAL_PARTITION    0x00400000
#define DO_DISALLOW_EXECUTE             0x00800000
#define DO_DEVICE_TO_BE_RESET           0x04000000
#define DO_DEVICE_IRP_REQUIRES_EXTENSION 0x08000000
#define DO_DAX_VOLUME                   0x10000000
#define DO_BOOT_CRITICAL                0x20000000

/* DEVICE_OBJECT.AlignmentRequirement */
#define FILE_BYTE_ALIGNMENT             0x00000000
#define FILE_WORD_ALIGNMENT             0x00000001
#define FILE_LONG_ALIGNMENT             0x00000003
#define FILE_QUAD_ALIGNMENT             0x00000007
#define FILE_OCTA_ALIGNMENT             0x0000000f
#define FILE_32_BYTE_ALIGNMENT          0x0000001f
#define FILE_64_BYTE_ALIGNMENT          0x0000003f
#define FILE_128_BYTE_ALIGNMENT         0x0000007f
#define FILE_256_BYTE_ALIGNMENT         0x000000ff
#define FILE_512_BYTE_ALIGNMENT         0x000001ff

/* More device types (a control device object usually takes FILE_DEVICE_UNKNOWN or its own). */
#define FILE_DEVICE_BEEP                0x00000001
#define FILE_DEVICE_CONTROLLER          0x00000004
#define FILE_DEVICE_DATALINK            0x00000005
#define FILE_DEVICE_DFS                 0x00000006
#define FILE_DEVICE_INPORT_PORT         0x0000000a
#define FILE_DEVICE_KEYBOARD            0x0000000b
#define FILE_DEVICE_MASS_STORAGE        0x0000002d
#define FILE_DEVICE_DVD                 0x00000033
#define FILE_DEVICE_KS                  0x0000002f

/* A status of the object namespace the device routines return. */
#ifndef STATUS_OBJECT_PATH_SYNTAX_BAD
#define STATUS_OBJECT_PATH_SYNTAX_BAD ((NTSTATUS)0xC000003BL)
#endif

/* The bug check the I/O manager raises when an IRP is completed a second time. */
#ifndef MULTIPLE_IRP_COMPLETE_REQUESTS
#define MULTIPLE_IRP_COMPLETE_REQUESTS  0x00000044
#endif
/* The bug check of IoCallDriver when the IRP has no stack location left. */
#ifndef NO_MORE_IRP_STACK_LOCATIONS
#define NO_MORE_IRP_STACK_LOCATIONS     0x00000035
#endif

/* The WDK's inline helpers of a dispatch routine. */
FORCEINLINE VOID IoMarkIrpPending(PIRP Irp) { IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED; }
FORCEINLINE PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    return (PDRIVER_CANCEL)(ULONG_PTR)InterlockedExchangePointer((PVOID volatile *)&Irp->CancelRoutine,
                                                                 (PVOID)(ULONG_PTR)CancelRoutine);
}

_IRQL_requires_max_(PASSIVE_LEVEL)
NTKERNELAPI NTSTATUS IoCreateSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName, _In_ PUNICODE_STRING DeviceName);
_IRQL_requires_max_(PASSIVE_LEVEL)
NTKERNELAPI NTSTATUS IoDeleteSymbolicLink(_In_ PUNICODE_STRING SymbolicLinkName);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PDEVICE_OBJECT IoGetAttachedDeviceReference(_In_ PDEVICE_OBJECT DeviceObject);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_IO_DEVICE_H */

/* ---- Processes, views of sections, transactions: what the sample minifilters name from wdm.h and
 * ntddk.h. ZwOpenProcess and the views are modeled with the data-scan sections (model/src/flt_datascan.c,
 * SEMANTICS.md DS-6 to DS-9); the object type is the object manager's (model/src/object.c). ------- */
#ifndef KFAULT_WDK_IO_SAMPLES_H
#define KFAULT_WDK_IO_SAMPLES_H
#ifdef __cplusplus
extern "C" {
#endif
/* Guarded by the first right, not by PROCESS_ALL_ACCESS, which kfault/wdk_ob.h defines alone. */
#ifndef PROCESS_TERMINATE
#define PROCESS_TERMINATE                  0x0001
#define PROCESS_CREATE_THREAD              0x0002
#define PROCESS_SET_SESSIONID              0x0004
#define PROCESS_VM_OPERATION               0x0008
#define PROCESS_VM_READ                    0x0010
#define PROCESS_VM_WRITE                   0x0020
#define PROCESS_DUP_HANDLE                 0x0040
#define PROCESS_CREATE_PROCESS             0x0080
#define PROCESS_SET_QUOTA                  0x0100
#define PROCESS_SET_INFORMATION            0x0200
#define PROCESS_QUERY_INFORMATION          0x0400
#define PROCESS_SUSPEND_RESUME             0x0800
#define PROCESS_QUERY_LIMITED_INFORMATION  0x1000
#ifndef PROCESS_ALL_ACCESS
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#endif
#endif

/* Transaction objects (ktmtypes.h): access rights and the object type. */
#define TRANSACTION_QUERY_INFORMATION 0x0001
#define TRANSACTION_SET_INFORMATION   0x0002
#define TRANSACTION_ENLIST            0x0004
#define TRANSACTION_COMMIT            0x0008
#define TRANSACTION_ROLLBACK          0x0010
#define TRANSACTION_PROPAGATE         0x0020
#define TRANSACTION_RIGHT_RESERVED1   0x0040
#define TRANSACTION_GENERIC_READ    (STANDARD_RIGHTS_READ | TRANSACTION_QUERY_INFORMATION | SYNCHRONIZE)
#define TRANSACTION_GENERIC_WRITE                                                                          \
    (STANDARD_RIGHTS_WRITE | TRANSACTION_SET_INFORMATION | TRANSACTION_COMMIT | TRANSACTION_ENLIST |   \
     TRANSACTION_ROLLBACK | TRANSACTION_PROPAGATE | SYNCHRONIZE)
#define TRANSACTION_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | TRANSACTION_COMMIT | TRANSACTION_ROLLBACK | SYNCHRONIZE)
#define TRANSACTION_ALL_ACCESS                                                                             \
    (STANDARD_RIGHTS_REQUIRED | TRANSACTION_GENERIC_READ | TRANSACTION_GENERIC_WRITE | TRANSACTION_GENERIC_EXECUTE)
extern POBJECT_TYPE *TmTransactionObjectType;

NTSYSAPI NTSTATUS NTAPI ZwOpenProcess(_Out_ PHANDLE ProcessHandle, _In_ ACCESS_MASK DesiredAccess,
                                      _In_ POBJECT_ATTRIBUTES ObjectAttributes, _In_opt_ PCLIENT_ID ClientId);
NTSYSAPI NTSTATUS NTAPI ZwMapViewOfSection(_In_ HANDLE SectionHandle, _In_ HANDLE ProcessHandle,
                                           _Inout_ PVOID *BaseAddress, _In_ ULONG_PTR ZeroBits, _In_ SIZE_T CommitSize,
                                           _Inout_opt_ PLARGE_INTEGER SectionOffset, _Inout_ PSIZE_T ViewSize,
                                           _In_ SECTION_INHERIT InheritDisposition, _In_ ULONG AllocationType,
                                           _In_ ULONG Win32Protect);
NTSYSAPI NTSTATUS NTAPI ZwUnmapViewOfSection(_In_ HANDLE ProcessHandle, _In_opt_ PVOID BaseAddress);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_IO_SAMPLES_H */

#endif /* KFAULT_WDK_IO_H */
