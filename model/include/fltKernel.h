/*
 * fltKernel.h - the WDK's fltKernel.h as far as kfault models it: the Filter Manager types a
 * minifilter uses (callback data, I/O parameter block, registration, related objects, the
 * callback typedefs), the IRP major/minor codes and flags they carry, and the routines of the
 * callback-data life cycle with
 * their registration companions (FltRegisterFilter, FltStartFiltering, FltUnregisterFilter).
 *
 * Declares only WDK names with the WDK's types, values and field order, so that minifilter
 * source (positional FLT_REGISTRATION initializers included) compiles unchanged. Never add a
 * routine here without its behaviour in model/SEMANTICS.md ("Filter Manager"); the model's
 * control surface for these routines is kfault/flt_model.h, which drivers never include.
 *
 * FILE_OBJECT and the FILE_*_INFORMATION structures live in wdm.h / ntifs.h, as in the WDK
 * (kfault/wdk_io.h, kfault/wdk_fs.h). The IRP_MJ_/IRP_MN_/IRP_/SL_ codes belong to wdm.h in
 * the WDK too; they still live here. Move them (do not copy them) if wdm.h ever needs them.
 */
#ifndef KFAULT_FLTKERNEL_H
#define KFAULT_FLTKERNEL_H

#include "ntifs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Decorations -------------------------------------------------------------------- */
#define FLTAPI NTAPI
#ifndef POINTER_ALIGNMENT
#if defined(_AMD64_) || defined(_ARM64_)
#define POINTER_ALIGNMENT DECLSPEC_ALIGN(8)
#else
#define POINTER_ALIGNMENT
#endif
#endif

/* FlagOn, BooleanFlagOn, SetFlag and ClearFlag come with ntifs.h (kfault/nt_base.h). */

#define Add2Ptr(P, I) ((PVOID)((PUCHAR)(P) + (I)))
#define PtrOffset(B, O) ((ULONG)((ULONG_PTR)(O) - (ULONG_PTR)(B)))
#define FLT_ASSERT(_e) NT_ASSERT(_e)
#define FLT_ASSERTMSG(_m, _e) ASSERTMSG(_m, _e)

/* DEVICE_TYPE, the FILE_DEVICE_* types, the security and transaction pointer types come with
 * wdm.h (kfault/wdk_io.h). */

/* The IRP major function codes (0x00..0x1b, IRP_MJ_MAXIMUM_FUNCTION) come with wdm.h. */

/* Filter Manager's pseudo-operations (never IRP-based) and the end of a registration list. */
#define IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION ((UCHAR)-1)
#define IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION ((UCHAR)-2)
#define IRP_MJ_ACQUIRE_FOR_MOD_WRITE               ((UCHAR)-3)
#define IRP_MJ_RELEASE_FOR_MOD_WRITE               ((UCHAR)-4)
#define IRP_MJ_ACQUIRE_FOR_CC_FLUSH                ((UCHAR)-5)
#define IRP_MJ_RELEASE_FOR_CC_FLUSH                ((UCHAR)-6)
#define IRP_MJ_QUERY_OPEN                          ((UCHAR)-7)
#define IRP_MJ_FAST_IO_CHECK_IF_POSSIBLE           ((UCHAR)-13)
#define IRP_MJ_NETWORK_QUERY_OPEN                  ((UCHAR)-14)
#define IRP_MJ_MDL_READ                            ((UCHAR)-15)
#define IRP_MJ_MDL_READ_COMPLETE                   ((UCHAR)-16)
#define IRP_MJ_PREPARE_MDL_WRITE                   ((UCHAR)-17)
#define IRP_MJ_MDL_WRITE_COMPLETE                  ((UCHAR)-18)
#define IRP_MJ_VOLUME_MOUNT                        ((UCHAR)-19)
#define IRP_MJ_VOLUME_DISMOUNT                     ((UCHAR)-20)
#define IRP_MJ_OPERATION_END                       ((UCHAR)0x80)

/* ---- IRP minor function codes -------------------------------------------------------- */
/* IRP_MJ_DIRECTORY_CONTROL */
#define IRP_MN_QUERY_DIRECTORY            0x01
#define IRP_MN_NOTIFY_CHANGE_DIRECTORY    0x02
#define IRP_MN_NOTIFY_CHANGE_DIRECTORY_EX 0x03
/* IRP_MJ_FILE_SYSTEM_CONTROL */
#define IRP_MN_USER_FS_REQUEST            0x00
#define IRP_MN_MOUNT_VOLUME               0x01
#define IRP_MN_VERIFY_VOLUME              0x02
#define IRP_MN_LOAD_FILE_SYSTEM           0x03
#define IRP_MN_TRACK_LINK                 0x04
#define IRP_MN_KERNEL_CALL                0x04
/* IRP_MJ_LOCK_CONTROL */
#define IRP_MN_LOCK                       0x01
#define IRP_MN_UNLOCK_SINGLE              0x02
#define IRP_MN_UNLOCK_ALL                 0x03
#define IRP_MN_UNLOCK_ALL_BY_KEY          0x04
/* IRP_MJ_READ / IRP_MJ_WRITE */
#define IRP_MN_NORMAL                     0x00
#define IRP_MN_DPC                        0x01
#define IRP_MN_MDL                        0x02
#define IRP_MN_COMPLETE                   0x04
#define IRP_MN_COMPRESSED                 0x08
#define IRP_MN_MDL_DPC                    (IRP_MN_MDL | IRP_MN_DPC)
#define IRP_MN_COMPLETE_MDL               (IRP_MN_COMPLETE | IRP_MN_MDL)
#define IRP_MN_COMPLETE_MDL_DPC           (IRP_MN_COMPLETE_MDL | IRP_MN_DPC)
/* IRP_MJ_FLUSH_BUFFERS */
#define IRP_MN_FLUSH_AND_PURGE            0x01
#define IRP_MN_FLUSH_DATA_ONLY            0x02
#define IRP_MN_FLUSH_NO_SYNC              0x03
#define IRP_MN_FLUSH_DATA_SYNC_ONLY       0x04

/* ---- IRP flags (FLT_IO_PARAMETER_BLOCK.IrpFlags) ------------------------------------ */
#define IRP_NOCACHE                 0x00000001
#define IRP_PAGING_IO               0x00000002
#define IRP_MOUNT_COMPLETION        0x00000002
#define IRP_SYNCHRONOUS_API         0x00000004
#define IRP_ASSOCIATED_IRP          0x00000008
#define IRP_BUFFERED_IO             0x00000010
#define IRP_DEALLOCATE_BUFFER       0x00000020
#define IRP_INPUT_OPERATION         0x00000040
#define IRP_SYNCHRONOUS_PAGING_IO   0x00000040
#define IRP_CREATE_OPERATION        0x00000080
#define IRP_READ_OPERATION          0x00000100
#define IRP_WRITE_OPERATION         0x00000200
#define IRP_CLOSE_OPERATION         0x00000400
#define IRP_DEFER_IO_COMPLETION     0x00000800
#define IRP_OB_QUERY_NAME           0x00001000
#define IRP_HOLD_DEVICE_QUEUE       0x00002000

/* ---- Stack location flags (FLT_IO_PARAMETER_BLOCK.OperationFlags) ------------------- */
#define SL_PENDING_RETURNED             0x01
#define SL_ERROR_RETURNED               0x02
#define SL_INVOKE_ON_CANCEL             0x20
#define SL_INVOKE_ON_SUCCESS            0x40
#define SL_INVOKE_ON_ERROR              0x80
/* create */
#define SL_FORCE_ACCESS_CHECK           0x01
#define SL_OPEN_PAGING_FILE             0x02
#define SL_OPEN_TARGET_DIRECTORY        0x04
#define SL_STOP_ON_SYMLINK              0x08
#define SL_CASE_SENSITIVE               0x80
/* read / write */
#define SL_KEY_SPECIFIED                0x01
#define SL_OVERRIDE_VERIFY_VOLUME       0x02
#define SL_WRITE_THROUGH                0x04
#define SL_FT_SEQUENTIAL_WRITE          0x08
#define SL_FORCE_DIRECT_WRITE           0x10
/* directory queries */
#define SL_RESTART_SCAN                 0x01
#define SL_RETURN_SINGLE_ENTRY          0x02
#define SL_INDEX_SPECIFIED              0x04
#define SL_RETURN_ON_DISK_ENTRIES_ONLY  0x08
#define SL_NO_CURSOR_UPDATE             0x10
/* change notification */
#define SL_WATCH_TREE                   0x01
/* set information */
#define SL_REPLACE_IF_EXISTS            0x01
#define SL_ADVANCE_ONLY                 0x02
/* lock control */
#define SL_FAIL_IMMEDIATELY             0x01
#define SL_EXCLUSIVE_LOCK               0x02

/* FILE_INFORMATION_CLASS, FS_INFORMATION_CLASS, the information structures, FILE_OBJECT, the
 * FO_* flags and IO_SECURITY_CONTEXT come with wdm.h (kfault/wdk_io.h) and ntifs.h
 * (kfault/wdk_fs.h), where the WDK declares them. */

/* ---- Opaque Filter Manager objects --------------------------------------------------- */
typedef struct _FLT_FILTER *PFLT_FILTER;
typedef struct _FLT_VOLUME *PFLT_VOLUME;
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;
typedef struct _FLT_PORT *PFLT_PORT;
typedef PVOID PFLT_CONTEXT;
#define NULL_CONTEXT ((PFLT_CONTEXT)NULL)

/* ---- The parameters of an operation ------------------------------------------------- */
/* Cleanup, close, flush and shutdown carry no parameters of their own: the WDK's union has
 * no member for them (a flush's kind is its MinorFunction); Others covers raw access. */
typedef union _FLT_PARAMETERS {
    struct {
        PIO_SECURITY_CONTEXT SecurityContext;
        ULONG Options;
        USHORT POINTER_ALIGNMENT FileAttributes;
        USHORT ShareAccess;
        ULONG POINTER_ALIGNMENT EaLength;
        PVOID EaBuffer;
        LARGE_INTEGER AllocationSize;
    } Create;

    struct {
        PIO_SECURITY_CONTEXT SecurityContext;
        ULONG Options;
        USHORT POINTER_ALIGNMENT Reserved;
        USHORT ShareAccess;
        PVOID Parameters;
    } CreatePipe;

    struct {
        PIO_SECURITY_CONTEXT SecurityContext;
        ULONG Options;
        USHORT POINTER_ALIGNMENT Reserved;
        USHORT ShareAccess;
        PVOID Parameters;
    } CreateMailslot;

    struct {
        ULONG Length;
        ULONG POINTER_ALIGNMENT Key;
        LARGE_INTEGER ByteOffset;
        PVOID ReadBuffer;
        PMDL MdlAddress;
    } Read;

    struct {
        ULONG Length;
        ULONG POINTER_ALIGNMENT Key;
        LARGE_INTEGER ByteOffset;
        PVOID WriteBuffer;
        PMDL MdlAddress;
    } Write;

    struct {
        ULONG Length;
        FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
        PVOID InfoBuffer;
    } QueryFileInformation;

    struct {
        ULONG Length;
        FILE_INFORMATION_CLASS POINTER_ALIGNMENT FileInformationClass;
        PFILE_OBJECT ParentOfTarget;
        union {
            struct {
                BOOLEAN ReplaceIfExists;
                BOOLEAN AdvanceOnly;
            };
            ULONG ClusterCount;
            HANDLE DeleteHandle;
        };
        PVOID InfoBuffer;
    } SetFileInformation;

    struct {
        ULONG Length;
        PVOID EaList;
        ULONG EaListLength;
        ULONG POINTER_ALIGNMENT EaIndex;
        PVOID EaBuffer;
        PMDL MdlAddress;
    } QueryEa;

    struct {
        ULONG Length;
        PVOID EaBuffer;
        PMDL MdlAddress;
    } SetEa;

    struct {
        ULONG Length;
        FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
        PVOID VolumeBuffer;
    } QueryVolumeInformation;

    struct {
        ULONG Length;
        FS_INFORMATION_CLASS POINTER_ALIGNMENT FsInformationClass;
        PVOID VolumeBuffer;
    } SetVolumeInformation;

    union {
        struct {
            ULONG Length;
            PUNICODE_STRING FileName;
            FILE_INFORMATION_CLASS FileInformationClass;
            ULONG POINTER_ALIGNMENT FileIndex;
            PVOID DirectoryBuffer;
            PMDL MdlAddress;
        } QueryDirectory;
        struct {
            ULONG Length;
            ULONG POINTER_ALIGNMENT CompletionFilter;
            ULONG POINTER_ALIGNMENT Spare1;
            ULONG POINTER_ALIGNMENT Spare2;
            PVOID DirectoryBuffer;
            PMDL MdlAddress;
        } NotifyDirectory;
    } DirectoryControl;

    union {
        struct {
            PVPB Vpb;
            PDEVICE_OBJECT DeviceObject;
        } VerifyVolume;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
        } Common;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
            PVOID InputBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Neither;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
            PVOID SystemBuffer;
        } Buffered;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT FsControlCode;
            PVOID InputSystemBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Direct;
    } FileSystemControl;

    union {
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
        } Common;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID InputBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Neither;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID SystemBuffer;
        } Buffered;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID InputSystemBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Direct;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID InputBuffer;
            PVOID OutputBuffer;
        } FastIo;
    } DeviceIoControl;

    struct {
        PLARGE_INTEGER Length;
        ULONG POINTER_ALIGNMENT Key;
        LARGE_INTEGER ByteOffset;
        PEPROCESS ProcessId;
        BOOLEAN FailImmediately;
        BOOLEAN ExclusiveLock;
    } LockControl;

    struct {
        SECURITY_INFORMATION SecurityInformation;
        ULONG POINTER_ALIGNMENT Length;
        PVOID SecurityBuffer;
        PMDL MdlAddress;
    } QuerySecurity;

    struct {
        SECURITY_INFORMATION SecurityInformation;
        PSECURITY_DESCRIPTOR SecurityDescriptor;
    } SetSecurity;

    struct {
        PIRP Irp;
        PFILE_NETWORK_OPEN_INFORMATION NetworkInformation;
    } NetworkQueryOpen;

    struct {
        PVOID Argument1;
        PVOID Argument2;
        PVOID Argument3;
        PVOID Argument4;
        PVOID Argument5;
        LARGE_INTEGER Argument6;
    } Others;
} FLT_PARAMETERS, *PFLT_PARAMETERS;

/* ---- The I/O parameter block and the callback data ---------------------------------- */
typedef struct _FLT_IO_PARAMETER_BLOCK {
    ULONG IrpFlags;
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR OperationFlags;
    UCHAR Reserved;
    PFILE_OBJECT TargetFileObject;
    PFLT_INSTANCE TargetInstance;
    FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK, *PFLT_IO_PARAMETER_BLOCK;

typedef ULONG FLT_CALLBACK_DATA_FLAGS;

#define FLTFL_CALLBACK_DATA_REISSUE_MASK        0x0000FFFF
#define FLTFL_CALLBACK_DATA_IRP_OPERATION       0x00000001
#define FLTFL_CALLBACK_DATA_FAST_IO_OPERATION   0x00000002
#define FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION 0x00000004
#define FLTFL_CALLBACK_DATA_SYSTEM_BUFFER       0x00000008
#define FLTFL_CALLBACK_DATA_GENERATED_IO        0x00010000
#define FLTFL_CALLBACK_DATA_REISSUED_IO         0x00020000
#define FLTFL_CALLBACK_DATA_DRAINING_IO         0x00040000
#define FLTFL_CALLBACK_DATA_POST_OPERATION      0x00080000
#define FLTFL_CALLBACK_DATA_NEW_SYSTEM_BUFFER   0x00100000
#define FLTFL_CALLBACK_DATA_DIRTY               0x80000000

typedef ULONG FLT_ALLOCATE_CALLBACK_DATA_FLAGS;
#define FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY 0x00000001

typedef struct _FLT_CALLBACK_DATA {
    FLT_CALLBACK_DATA_FLAGS Flags;
    PETHREAD CONST Thread;
    PFLT_IO_PARAMETER_BLOCK CONST Iopb;
    IO_STATUS_BLOCK IoStatus;
    struct _FLT_TAG_DATA_BUFFER *TagData;
    union {
        struct {
            LIST_ENTRY QueueLinks;
            PVOID QueueContext[2];
        };
        PVOID FilterContext[4];
    };
    KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA, *PFLT_CALLBACK_DATA;

#define FLT_IS_IRP_OPERATION(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_IRP_OPERATION))
#define FLT_IS_FASTIO_OPERATION(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_FAST_IO_OPERATION))
#define FLT_IS_FS_FILTER_OPERATION(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION))
#define FLT_IS_REISSUED_IO(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_REISSUED_IO))
#define FLT_IS_SYSTEM_BUFFER(Data) (FlagOn((Data)->Flags, FLTFL_CALLBACK_DATA_SYSTEM_BUFFER))

/* ---- Related objects, contexts -------------------------------------------------------- */
typedef struct _FLT_RELATED_OBJECTS {
    USHORT CONST Size;
    USHORT CONST TransactionContext;
    PFLT_FILTER CONST Filter;
    PFLT_VOLUME CONST Volume;
    PFLT_INSTANCE CONST Instance;
    PFILE_OBJECT CONST FileObject;
    PKTRANSACTION CONST Transaction;
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef CONST struct _FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

typedef USHORT FLT_CONTEXT_TYPE;
#define FLT_VOLUME_CONTEXT       0x0001
#define FLT_INSTANCE_CONTEXT     0x0002
#define FLT_FILE_CONTEXT         0x0004
#define FLT_STREAM_CONTEXT       0x0008
#define FLT_STREAMHANDLE_CONTEXT 0x0010
#define FLT_TRANSACTION_CONTEXT  0x0020
#define FLT_SECTION_CONTEXT      0x0040
#define FLT_CONTEXT_END          0xffff

typedef VOID(FLTAPI *PFLT_CONTEXT_CLEANUP_CALLBACK)(PFLT_CONTEXT Context, FLT_CONTEXT_TYPE ContextType);
typedef PVOID(FLTAPI *PFLT_CONTEXT_ALLOCATE_CALLBACK)(POOL_TYPE PoolType, SIZE_T Size,
                                                      FLT_CONTEXT_TYPE ContextType);
typedef VOID(FLTAPI *PFLT_CONTEXT_FREE_CALLBACK)(PVOID Pool, FLT_CONTEXT_TYPE ContextType);

typedef USHORT FLT_CONTEXT_REGISTRATION_FLAGS;
#define FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH 0x0001
#define FLT_VARIABLE_SIZED_CONTEXTS ((SIZE_T)-1)

typedef struct _FLT_CONTEXT_REGISTRATION {
    FLT_CONTEXT_TYPE ContextType;
    FLT_CONTEXT_REGISTRATION_FLAGS Flags;
    PFLT_CONTEXT_CLEANUP_CALLBACK ContextCleanupCallback;
    SIZE_T Size;
    ULONG PoolTag;
    PFLT_CONTEXT_ALLOCATE_CALLBACK ContextAllocateCallback;
    PFLT_CONTEXT_FREE_CALLBACK ContextFreeCallback;
    PVOID Reserved1;
} FLT_CONTEXT_REGISTRATION, *PFLT_CONTEXT_REGISTRATION;
typedef CONST FLT_CONTEXT_REGISTRATION *PCFLT_CONTEXT_REGISTRATION;

/* ---- Instance setup and teardown ------------------------------------------------------ */
typedef enum _FLT_FILESYSTEM_TYPE {
    FLT_FSTYPE_UNKNOWN,
    FLT_FSTYPE_RAW,
    FLT_FSTYPE_NTFS,
    FLT_FSTYPE_FAT,
    FLT_FSTYPE_CDFS,
    FLT_FSTYPE_UDFS,
    FLT_FSTYPE_LANMAN,
    FLT_FSTYPE_WEBDAV,
    FLT_FSTYPE_RDPDR,
    FLT_FSTYPE_NFS,
    FLT_FSTYPE_MS_NETWARE,
    FLT_FSTYPE_NETWARE,
    FLT_FSTYPE_BSUDF,
    FLT_FSTYPE_MUP,
    FLT_FSTYPE_RSFX,
    FLT_FSTYPE_ROXIO_UDF1,
    FLT_FSTYPE_ROXIO_UDF2,
    FLT_FSTYPE_ROXIO_UDF3,
    FLT_FSTYPE_TACIT,
    FLT_FSTYPE_FS_REC,
    FLT_FSTYPE_INCD,
    FLT_FSTYPE_INCD_FAT,
    FLT_FSTYPE_EXFAT,
    FLT_FSTYPE_PSFS,
    FLT_FSTYPE_GPFS,
    FLT_FSTYPE_NPFS,
    FLT_FSTYPE_MSFS,
    FLT_FSTYPE_CSVFS,
    FLT_FSTYPE_REFS,
    FLT_FSTYPE_OPENAFS,
    FLT_FSTYPE_CIMFS
} FLT_FILESYSTEM_TYPE, *PFLT_FILESYSTEM_TYPE;

typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
#define FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT 0x00000001
#define FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT    0x00000002
#define FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME 0x00000004
#define FLTFL_INSTANCE_SETUP_DETACHED_VOLUME      0x00000008

typedef NTSTATUS(FLTAPI *PFLT_INSTANCE_SETUP_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                        FLT_INSTANCE_SETUP_FLAGS Flags,
                                                        DEVICE_TYPE VolumeDeviceType,
                                                        FLT_FILESYSTEM_TYPE VolumeFilesystemType);

typedef ULONG FLT_INSTANCE_QUERY_TEARDOWN_FLAGS;
typedef NTSTATUS(FLTAPI *PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                                 FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);

typedef ULONG FLT_INSTANCE_TEARDOWN_FLAGS;
#define FLTFL_INSTANCE_TEARDOWN_MANUAL                  0x00000001
#define FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD           0x00000002
#define FLTFL_INSTANCE_TEARDOWN_MANDATORY_FILTER_UNLOAD 0x00000004
#define FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT         0x00000008
#define FLTFL_INSTANCE_TEARDOWN_INTERNAL_ERROR          0x00000010

typedef VOID(FLTAPI *PFLT_INSTANCE_TEARDOWN_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                       FLT_INSTANCE_TEARDOWN_FLAGS Reason);

/* ---- Operation callbacks ------------------------------------------------------------ */
typedef enum _FLT_PREOP_CALLBACK_STATUS {
    FLT_PREOP_SUCCESS_WITH_CALLBACK,
    FLT_PREOP_SUCCESS_NO_CALLBACK,
    FLT_PREOP_PENDING,
    FLT_PREOP_DISALLOW_FASTIO,
    FLT_PREOP_COMPLETE,
    FLT_PREOP_SYNCHRONIZE,
    FLT_PREOP_DISALLOW_FSFILTER_IO
} FLT_PREOP_CALLBACK_STATUS, *PFLT_PREOP_CALLBACK_STATUS;

typedef FLT_PREOP_CALLBACK_STATUS(FLTAPI *PFLT_PRE_OPERATION_CALLBACK)(PFLT_CALLBACK_DATA Data,
                                                                        PCFLT_RELATED_OBJECTS FltObjects,
                                                                        PVOID *CompletionContext);

typedef enum _FLT_POSTOP_CALLBACK_STATUS {
    FLT_POSTOP_FINISHED_PROCESSING,
    FLT_POSTOP_MORE_PROCESSING_REQUIRED,
    FLT_POSTOP_DISALLOW_FSFILTER_IO
} FLT_POSTOP_CALLBACK_STATUS, *PFLT_POSTOP_CALLBACK_STATUS;

typedef ULONG FLT_POST_OPERATION_FLAGS;
#define FLTFL_POST_OPERATION_DRAINING 0x00000001

typedef FLT_POSTOP_CALLBACK_STATUS(FLTAPI *PFLT_POST_OPERATION_CALLBACK)(PFLT_CALLBACK_DATA Data,
                                                                          PCFLT_RELATED_OBJECTS FltObjects,
                                                                          PVOID CompletionContext,
                                                                          FLT_POST_OPERATION_FLAGS Flags);

typedef ULONG FLT_OPERATION_REGISTRATION_FLAGS;
#define FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO               0x00000001
#define FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO               0x00000002
#define FLTFL_OPERATION_REGISTRATION_SKIP_NON_DASD_IO             0x00000004
#define FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO 0x00000008

typedef struct _FLT_OPERATION_REGISTRATION {
    UCHAR MajorFunction;
    FLT_OPERATION_REGISTRATION_FLAGS Flags;
    PFLT_PRE_OPERATION_CALLBACK PreOperation;
    PFLT_POST_OPERATION_CALLBACK PostOperation;
    PVOID Reserved1;
} FLT_OPERATION_REGISTRATION, *PFLT_OPERATION_REGISTRATION;

/* ---- Unload, names, transactions, sections -------------------------------------------- */
typedef ULONG FLT_FILTER_UNLOAD_FLAGS;
#define FLTFL_FILTER_UNLOAD_MANDATORY 0x00000001

typedef NTSTATUS(FLTAPI *PFLT_FILTER_UNLOAD_CALLBACK)(FLT_FILTER_UNLOAD_FLAGS Flags);

typedef struct _FLT_NAME_CONTROL {
    UNICODE_STRING Name;
} FLT_NAME_CONTROL, *PFLT_NAME_CONTROL;

typedef ULONG FLT_FILE_NAME_OPTIONS;
typedef ULONG FLT_NORMALIZE_NAME_FLAGS;
#define FLTFL_NORMALIZE_NAME_CASE_SENSITIVE        0x01
#define FLTFL_NORMALIZE_NAME_DESTINATION_FILE_NAME 0x02

typedef NTSTATUS(FLTAPI *PFLT_GENERATE_FILE_NAME)(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                                   PFLT_CALLBACK_DATA CallbackData,
                                                   FLT_FILE_NAME_OPTIONS NameOptions,
                                                   PBOOLEAN CacheFileNameInformation,
                                                   PFLT_NAME_CONTROL FileName);

typedef NTSTATUS(FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT)(PFLT_INSTANCE Instance,
                                                         PCUNICODE_STRING ParentDirectory,
                                                         USHORT VolumeNameLength,
                                                         PCUNICODE_STRING Component,
                                                         PFILE_NAMES_INFORMATION ExpandComponentName,
                                                         ULONG ExpandComponentNameLength,
                                                         FLT_NORMALIZE_NAME_FLAGS Flags,
                                                         PVOID *NormalizationContext);

typedef NTSTATUS(FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT_EX)(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                                            PCUNICODE_STRING ParentDirectory,
                                                            USHORT VolumeNameLength,
                                                            PCUNICODE_STRING Component,
                                                            PFILE_NAMES_INFORMATION ExpandComponentName,
                                                            ULONG ExpandComponentNameLength,
                                                            FLT_NORMALIZE_NAME_FLAGS Flags,
                                                            PVOID *NormalizationContext);

typedef VOID(FLTAPI *PFLT_NORMALIZE_CONTEXT_CLEANUP)(PVOID *NormalizationContext);

typedef NTSTATUS(FLTAPI *PFLT_TRANSACTION_NOTIFICATION_CALLBACK)(PCFLT_RELATED_OBJECTS FltObjects,
                                                                  PFLT_CONTEXT TransactionContext,
                                                                  ULONG NotificationMask);

typedef NTSTATUS(FLTAPI *PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK)(PFLT_INSTANCE Instance,
                                                                       PFLT_CONTEXT SectionContext,
                                                                       PFLT_CALLBACK_DATA Data);

/* ---- Registration ------------------------------------------------------------------- */
#define FLT_REGISTRATION_VERSION_0200 0x0200
#define FLT_REGISTRATION_VERSION_0201 0x0201
#define FLT_REGISTRATION_VERSION_0202 0x0202
#define FLT_REGISTRATION_VERSION_0203 0x0203
#define FLT_REGISTRATION_VERSION FLT_REGISTRATION_VERSION_0203

typedef ULONG FLT_REGISTRATION_FLAGS;
#define FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP 0x00000001
#define FLTFL_REGISTRATION_SUPPORT_NPFS_MSFS           0x00000002
#define FLTFL_REGISTRATION_SUPPORT_DAX_VOLUME          0x00000004

/* Field order is the WDK's: drivers initialize this structure positionally. */
typedef struct _FLT_REGISTRATION {
    USHORT Size;
    USHORT Version;
    FLT_REGISTRATION_FLAGS Flags;
    CONST FLT_CONTEXT_REGISTRATION *ContextRegistration;
    CONST FLT_OPERATION_REGISTRATION *OperationRegistration;
    PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;
    PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;
    PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK InstanceQueryTeardownCallback;
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownStartCallback;
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownCompleteCallback;
    PFLT_GENERATE_FILE_NAME GenerateFileNameCallback;
    PFLT_NORMALIZE_NAME_COMPONENT NormalizeNameComponentCallback;
    PFLT_NORMALIZE_CONTEXT_CLEANUP NormalizeContextCleanupCallback;
    PFLT_TRANSACTION_NOTIFICATION_CALLBACK TransactionNotificationCallback;
    PFLT_NORMALIZE_NAME_COMPONENT_EX NormalizeNameComponentExCallback;
    PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK SectionNotificationCallback;
} FLT_REGISTRATION, *PFLT_REGISTRATION;

typedef VOID(FLTAPI *PFLT_COMPLETED_ASYNC_IO_CALLBACK)(PFLT_CALLBACK_DATA CallbackData,
                                                        PFLT_CONTEXT Context);

/* ---- Routines ------------------------------------------------------------------------ */
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltRegisterFilter(_In_ PDRIVER_OBJECT Driver, _In_ CONST FLT_REGISTRATION *Registration,
                                  _Outptr_ PFLT_FILTER *RetFilter);

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltStartFiltering(_In_ PFLT_FILTER Filter);

_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltUnregisterFilter(_In_ PFLT_FILTER Filter);

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateCallbackData(_In_ PFLT_INSTANCE Instance, _In_opt_ PFILE_OBJECT FileObject,
                                        _Outptr_ PFLT_CALLBACK_DATA *RetNewCallbackData);

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateCallbackDataEx(_In_ PFLT_INSTANCE Instance, _In_opt_ PFILE_OBJECT FileObject,
                                          _In_ FLT_ALLOCATE_CALLBACK_DATA_FLAGS Flags,
                                          _Outptr_ PFLT_CALLBACK_DATA *RetNewCallbackData);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID FLTAPI FltFreeCallbackData(_In_ PFLT_CALLBACK_DATA CallbackData);

_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltReuseCallbackData(_Inout_ PFLT_CALLBACK_DATA CallbackData);

_When_(FlagOn(CallbackData->Iopb->IrpFlags, IRP_PAGING_IO), _IRQL_requires_max_(APC_LEVEL))
_When_(!FlagOn(CallbackData->Iopb->IrpFlags, IRP_PAGING_IO), _IRQL_requires_max_(PASSIVE_LEVEL))
VOID FLTAPI FltPerformSynchronousIo(_Inout_ PFLT_CALLBACK_DATA CallbackData);

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltPerformAsynchronousIo(_Inout_ PFLT_CALLBACK_DATA CallbackData,
                                         _In_ PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine,
                                         _In_opt_ PVOID CallbackContext);

/* ---- Names the simplest sample minifilters need (SEMANTICS.md L-18) ---------------------- */
/* File system control codes (ntifs.h): CTL_CODE(FILE_DEVICE_FILE_SYSTEM, n, METHOD_BUFFERED,
 * FILE_ANY_ACCESS) with the WDK's function numbers. */
#ifndef CTL_CODE
#define CTL_CODE(DeviceType, Function, Method, Access) \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))
#endif
#ifndef METHOD_BUFFERED
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#endif
#ifndef FILE_ANY_ACCESS
#define FILE_ANY_ACCESS 0
#endif
#define FSCTL_REQUEST_OPLOCK_LEVEL_1 CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_REQUEST_OPLOCK_LEVEL_2 CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 1, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_REQUEST_BATCH_OPLOCK CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_OPLOCK_BREAK_ACKNOWLEDGE CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 3, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_OPBATCH_ACK_CLOSE_PENDING CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 4, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_OPLOCK_BREAK_NOTIFY CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 5, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_REQUEST_FILTER_OPLOCK CTL_CODE(FILE_DEVICE_FILE_SYSTEM, 23, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* The status of an operation a filter asked to hear about (not modeled: not_modeled.def). */
typedef VOID(FLTAPI *PFLT_GET_OPERATION_STATUS_CALLBACK)(_In_ PCFLT_RELATED_OBJECTS FltObjects,
                                                         _In_ PFLT_IO_PARAMETER_BLOCK IopbSnapshot,
                                                         _In_ NTSTATUS OperationStatus,
                                                         _In_opt_ PVOID RequesterContext);

_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltRequestOperationStatusCallback(_In_ PFLT_CALLBACK_DATA Data,
                                                  _In_ PFLT_GET_OPERATION_STATUS_CALLBACK CallbackRoutine,
                                                  _In_opt_ PVOID RequesterContext);

_IRQL_requires_max_(DISPATCH_LEVEL)
PCHAR FLTAPI FltGetIrpName(_In_ UCHAR IrpMajorCode);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_H */

/* ---- Resources, push locks and the cancellable wait (model/src/sync.c, wait.c) ---------- */
#ifndef KFAULT_FLTKERNEL_SYNC_H
#define KFAULT_FLTKERNEL_SYNC_H
#ifdef __cplusplus
extern "C" {
#endif
#define FLT_PUSH_LOCK_ENABLE_AUTO_BOOST 0x00000001
#define FLT_PUSH_LOCK_DISABLE_AUTO_BOOST 0x00000002
#define FLT_PUSH_LOCK_VALID_FLAGS (FLT_PUSH_LOCK_ENABLE_AUTO_BOOST | FLT_PUSH_LOCK_DISABLE_AUTO_BOOST)

_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquireResourceExclusive(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquireResourceShared(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltReleaseResource(_Inout_ PERESOURCE Resource);

_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltInitializePushLock(_Out_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltInitializePushLockEx(_Out_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltDeletePushLock(_In_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquirePushLockExclusive(_Inout_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquirePushLockShared(_Inout_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltReleasePushLock(_Inout_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquirePushLockExclusiveEx(_Inout_ PEX_PUSH_LOCK PushLock,
                                                                         _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcquirePushLockSharedEx(_Inout_ PEX_PUSH_LOCK PushLock,
                                                                      _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltReleasePushLockEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltCancellableWaitForSingleObject(_In_ PVOID Object, _In_opt_ PLARGE_INTEGER Timeout,
                                                  _In_opt_ PFLT_CALLBACK_DATA CallbackData);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_SYNC_H */

/* ---- Communication ports (model/src/flt_port.c) ------------------------------------------ */
#ifndef KFAULT_FLTKERNEL_PORT_H
#define KFAULT_FLTKERNEL_PORT_H
#ifdef __cplusplus
extern "C" {
#endif
#define FLT_PORT_CONNECT 0x0001
#define FLT_PORT_ALL_ACCESS (FLT_PORT_CONNECT | STANDARD_RIGHTS_ALL)

typedef NTSTATUS(FLTAPI *PFLT_CONNECT_NOTIFY)(_In_ PFLT_PORT ClientPort, _In_opt_ PVOID ServerPortCookie,
                                              _In_reads_bytes_opt_(SizeOfContext) PVOID ConnectionContext,
                                              _In_ ULONG SizeOfContext, _Outptr_result_maybenull_ PVOID *ConnectionPortCookie);
typedef VOID(FLTAPI *PFLT_DISCONNECT_NOTIFY)(_In_opt_ PVOID ConnectionCookie);
typedef NTSTATUS(FLTAPI *PFLT_MESSAGE_NOTIFY)(_In_opt_ PVOID PortCookie,
                                              _In_reads_bytes_opt_(InputBufferLength) PVOID InputBuffer,
                                              _In_ ULONG InputBufferLength,
                                              _Out_writes_bytes_to_opt_(OutputBufferLength, *ReturnOutputBufferLength)
                                                  PVOID OutputBuffer,
                                              _In_ ULONG OutputBufferLength, _Out_ PULONG ReturnOutputBufferLength);

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltBuildDefaultSecurityDescriptor(_Outptr_ PSECURITY_DESCRIPTOR *SecurityDescriptor,
                                                  _In_ ACCESS_MASK DesiredAccess);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltFreeSecurityDescriptor(_In_ PSECURITY_DESCRIPTOR SecurityDescriptor);
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltCreateCommunicationPort(_In_ PFLT_FILTER Filter, _Outptr_ PFLT_PORT *ServerPort,
                                           _In_ POBJECT_ATTRIBUTES ObjectAttributes, _In_opt_ PVOID ServerPortCookie,
                                           _In_ PFLT_CONNECT_NOTIFY ConnectNotifyCallback,
                                           _In_ PFLT_DISCONNECT_NOTIFY DisconnectNotifyCallback,
                                           _In_opt_ PFLT_MESSAGE_NOTIFY MessageNotifyCallback, _In_ LONG MaxConnections);
_IRQL_requires_max_(PASSIVE_LEVEL) VOID FLTAPI FltCloseCommunicationPort(_In_ PFLT_PORT ServerPort);
_IRQL_requires_max_(PASSIVE_LEVEL) VOID FLTAPI FltCloseClientPort(_In_ PFLT_FILTER Filter, _Inout_ PFLT_PORT *ClientPort);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSendMessage(_In_ PFLT_FILTER Filter, _In_ PFLT_PORT *ClientPort,
                               _In_reads_bytes_(SenderBufferLength) PVOID SenderBuffer, _In_ ULONG SenderBufferLength,
                               _Out_writes_bytes_opt_(*ReplyLength) PVOID ReplyBuffer, _Inout_opt_ PULONG ReplyLength,
                               _In_opt_ PLARGE_INTEGER Timeout);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_PORT_H */

/* ---- Work items (model/src/flt_work.c) ------------------------------------------------------ */
#ifndef KFAULT_FLTKERNEL_WORK_H
#define KFAULT_FLTKERNEL_WORK_H
#ifdef __cplusplus
extern "C" {
#endif
typedef struct _FLT_GENERIC_WORKITEM *PFLT_GENERIC_WORKITEM;
typedef struct _FLT_DEFERRED_IO_WORKITEM *PFLT_DEFERRED_IO_WORKITEM;
typedef VOID FLTAPI FLT_GENERIC_WORKITEM_ROUTINE(_In_ PFLT_GENERIC_WORKITEM FltWorkItem, _In_ PVOID FltObject,
                                                  _In_opt_ PVOID Context);
typedef FLT_GENERIC_WORKITEM_ROUTINE *PFLT_GENERIC_WORKITEM_ROUTINE;
typedef VOID FLTAPI FLT_DEFERRED_IO_WORKITEM_ROUTINE(_In_ PFLT_DEFERRED_IO_WORKITEM FltWorkItem,
                                                      _In_ PFLT_CALLBACK_DATA CallbackData, _In_opt_ PVOID Context);
typedef FLT_DEFERRED_IO_WORKITEM_ROUTINE *PFLT_DEFERRED_IO_WORKITEM_ROUTINE;

_IRQL_requires_max_(DISPATCH_LEVEL) PFLT_GENERIC_WORKITEM FLTAPI FltAllocateGenericWorkItem(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltQueueGenericWorkItem(_In_ PFLT_GENERIC_WORKITEM FltWorkItem, _In_ PVOID FltObject,
                                        _In_ PFLT_GENERIC_WORKITEM_ROUTINE WorkerRoutine, _In_ WORK_QUEUE_TYPE QueueType,
                                        _In_opt_ PVOID Context);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltFreeGenericWorkItem(_In_ PFLT_GENERIC_WORKITEM FltWorkItem);
_IRQL_requires_max_(DISPATCH_LEVEL) PFLT_DEFERRED_IO_WORKITEM FLTAPI FltAllocateDeferredIoWorkItem(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltQueueDeferredIoWorkItem(_In_ PFLT_DEFERRED_IO_WORKITEM FltWorkItem, _In_ PFLT_CALLBACK_DATA Data,
                                           _In_ PFLT_DEFERRED_IO_WORKITEM_ROUTINE WorkerRoutine,
                                           _In_ WORK_QUEUE_TYPE QueueType, _In_ PVOID Context);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltFreeDeferredIoWorkItem(_In_ PFLT_DEFERRED_IO_WORKITEM FltWorkItem);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_WORK_H */

/* ---- Cancel-safe callback data queues (model/src/flt_work.c) -------------------------------- */
#ifndef KFAULT_FLTKERNEL_CBDQ_H
#define KFAULT_FLTKERNEL_CBDQ_H
#ifdef __cplusplus
extern "C" {
#endif
#ifndef KF_HAVE_IO_CSQ
#define KF_HAVE_IO_CSQ 1
/* The I/O manager's cancel-safe queue, as far as a Flt queue embeds it: Filter Manager owns
 * its fields. */
typedef struct _IO_CSQ {
    ULONG Type;
    PVOID CsqInsertIrp;
    PVOID CsqRemoveIrp;
    PVOID CsqPeekNextIrp;
    PVOID CsqAcquireLock;
    PVOID CsqReleaseLock;
    PVOID CsqCompleteCanceledIrp;
    PVOID ReservePointer;
} IO_CSQ, *PIO_CSQ;
typedef struct _IO_CSQ_IRP_CONTEXT {
    ULONG Type;
    struct _IRP *Irp;
    PIO_CSQ Csq;
} IO_CSQ_IRP_CONTEXT, *PIO_CSQ_IRP_CONTEXT;
#endif
typedef IO_CSQ_IRP_CONTEXT FLT_CALLBACK_DATA_QUEUE_IO_CONTEXT, *PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT;
typedef ULONG FLT_CALLBACK_DATA_QUEUE_FLAGS;
typedef struct _FLT_CALLBACK_DATA_QUEUE FLT_CALLBACK_DATA_QUEUE, *PFLT_CALLBACK_DATA_QUEUE;

typedef NTSTATUS(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_INSERT_IO)(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                                             _In_ PFLT_CALLBACK_DATA Cbd, _In_opt_ PVOID InsertContext);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO)(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                                         _In_ PFLT_CALLBACK_DATA Cbd);
typedef PFLT_CALLBACK_DATA(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO)(_In_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                                                           _In_opt_ PFLT_CALLBACK_DATA Cbd,
                                                                           _In_opt_ PVOID PeekContext);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_ACQUIRE)(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq, _Out_opt_ PKIRQL Irql);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_RELEASE)(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq, _In_opt_ KIRQL Irql);
typedef VOID(FLTAPI *PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO)(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                                                     _Inout_ PFLT_CALLBACK_DATA Cbd);

struct _FLT_CALLBACK_DATA_QUEUE {
    IO_CSQ Csq;
    FLT_CALLBACK_DATA_QUEUE_FLAGS Flags;
    PFLT_INSTANCE Instance;
    PFLT_CALLBACK_DATA_QUEUE_INSERT_IO InsertIo;
    PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO RemoveIo;
    PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO PeekNextIo;
    PFLT_CALLBACK_DATA_QUEUE_ACQUIRE Acquire;
    PFLT_CALLBACK_DATA_QUEUE_RELEASE Release;
    PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CompleteCanceledIo;
};

NTSTATUS FLTAPI FltCbdqInitialize(_In_ PFLT_INSTANCE Instance, _Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_INSERT_IO CbdqInsertIo,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_REMOVE_IO CbdqRemoveIo,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_PEEK_NEXT_IO CbdqPeekNextIo,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_ACQUIRE CbdqAcquire,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_RELEASE CbdqRelease,
                                  _In_ PFLT_CALLBACK_DATA_QUEUE_COMPLETE_CANCELED_IO CbdqCompleteCanceledIo);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltCbdqInsertIo(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq, _In_ PFLT_CALLBACK_DATA Cbd,
                                _In_opt_ PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context, _In_opt_ PVOID InsertContext);
_IRQL_requires_max_(DISPATCH_LEVEL)
PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveIo(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq,
                                          _In_ PFLT_CALLBACK_DATA_QUEUE_IO_CONTEXT Context);
_IRQL_requires_max_(DISPATCH_LEVEL)
PFLT_CALLBACK_DATA FLTAPI FltCbdqRemoveNextIo(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq, _In_opt_ PVOID PeekContext);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltCbdqEnable(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltCbdqDisable(_Inout_ PFLT_CALLBACK_DATA_QUEUE Cbdq);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_CBDQ_H */
/* ---- Filter Manager contexts (model/src/flt_context.c; SEMANTICS.md "Filter Manager contexts") ---- */
#ifndef KFAULT_FLTKERNEL_CONTEXT_H
#define KFAULT_FLTKERNEL_CONTEXT_H
#ifdef __cplusplus
extern "C" {
#endif
#define FLT_ALL_CONTEXTS 0x007f

typedef enum _FLT_SET_CONTEXT_OPERATION {
    FLT_SET_CONTEXT_REPLACE_IF_EXISTS,
    FLT_SET_CONTEXT_KEEP_IF_EXISTS
} FLT_SET_CONTEXT_OPERATION, *PFLT_SET_CONTEXT_OPERATION;

typedef struct _FLT_RELATED_CONTEXTS {
    PFLT_CONTEXT VolumeContext;
    PFLT_CONTEXT InstanceContext;
    PFLT_CONTEXT FileContext;
    PFLT_CONTEXT StreamContext;
    PFLT_CONTEXT StreamHandleContext;
    PFLT_CONTEXT TransactionContext;
} FLT_RELATED_CONTEXTS, *PFLT_RELATED_CONTEXTS;

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateContext(_In_ PFLT_FILTER Filter, _In_ FLT_CONTEXT_TYPE ContextType,
                                   _In_ SIZE_T ContextSize, _In_ POOL_TYPE PoolType,
                                   _Outptr_ PFLT_CONTEXT *ReturnedContext);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltReferenceContext(_In_ PFLT_CONTEXT Context);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltReleaseContext(_In_ PFLT_CONTEXT Context);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltReleaseContexts(_In_ PFLT_RELATED_CONTEXTS Contexts);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltDeleteContext(_In_ PFLT_CONTEXT Context);
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltGetContexts(_In_ PCFLT_RELATED_OBJECTS FltObjects, _In_ FLT_CONTEXT_TYPE DesiredContexts,
                           _Out_ PFLT_RELATED_CONTEXTS Contexts);

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetVolumeContext(_In_ PFLT_VOLUME Volume, _In_ FLT_SET_CONTEXT_OPERATION Operation,
                                    _In_ PFLT_CONTEXT NewContext, _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetInstanceContext(_In_ PFLT_INSTANCE Instance, _In_ FLT_SET_CONTEXT_OPERATION Operation,
                                      _In_ PFLT_CONTEXT NewContext, _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetFileContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                  _In_ FLT_SET_CONTEXT_OPERATION Operation, _In_ PFLT_CONTEXT NewContext,
                                  _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetStreamContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                    _In_ FLT_SET_CONTEXT_OPERATION Operation, _In_ PFLT_CONTEXT NewContext,
                                    _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetStreamHandleContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                          _In_ FLT_SET_CONTEXT_OPERATION Operation, _In_ PFLT_CONTEXT NewContext,
                                          _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetTransactionContext(_In_ PFLT_INSTANCE Instance, _In_ PKTRANSACTION Transaction,
                                         _In_ FLT_SET_CONTEXT_OPERATION Operation, _In_ PFLT_CONTEXT NewContext,
                                         _Outptr_opt_ PFLT_CONTEXT *OldContext);

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeContext(_In_ PFLT_FILTER Filter, _In_ PFLT_VOLUME Volume, _Outptr_ PFLT_CONTEXT *Context);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetInstanceContext(_In_ PFLT_INSTANCE Instance, _Outptr_ PFLT_CONTEXT *Context);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetFileContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                  _Outptr_ PFLT_CONTEXT *Context);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetStreamContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                    _Outptr_ PFLT_CONTEXT *Context);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetStreamHandleContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                          _Outptr_ PFLT_CONTEXT *Context);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetTransactionContext(_In_ PFLT_INSTANCE Instance, _In_ PKTRANSACTION Transaction,
                                         _Outptr_ PFLT_CONTEXT *Context);

_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteVolumeContext(_In_ PFLT_FILTER Filter, _In_ PFLT_VOLUME Volume,
                                       _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteInstanceContext(_In_ PFLT_INSTANCE Instance, _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteFileContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                     _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteStreamContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                       _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteStreamHandleContext(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                             _Outptr_opt_ PFLT_CONTEXT *OldContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDeleteTransactionContext(_In_ PFLT_INSTANCE Instance, _In_ PKTRANSACTION Transaction,
                                            _Outptr_opt_ PFLT_CONTEXT *OldContext);

_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltSupportsFileContexts(_In_ PFILE_OBJECT FileObject);
_IRQL_requires_max_(APC_LEVEL)
BOOLEAN FLTAPI FltSupportsFileContextsEx(_In_ PFILE_OBJECT FileObject, _In_opt_ PFLT_INSTANCE Instance);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltSupportsStreamContexts(_In_ PFILE_OBJECT FileObject);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltSupportsStreamHandleContexts(_In_ PFILE_OBJECT FileObject);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_CONTEXT_H */
/* ---- File names, volumes and object queries (SEMANTICS.md FN-*, FV-*) ------------------ */
#ifndef KFAULT_FLTKERNEL_NAMES_H
#define KFAULT_FLTKERNEL_NAMES_H
#ifdef __cplusplus
extern "C" {
#endif
/* FLT_FILE_NAME_OPTIONS: a format (bits 0-7), a query method (bits 8-15), flags (bits 24-31). */
#define FLT_VALID_FILE_NAME_FORMATS 0x000000ff
#define FLT_FILE_NAME_NORMALIZED 0x01
#define FLT_FILE_NAME_OPENED 0x02
#define FLT_FILE_NAME_SHORT 0x03
#define FltGetFileNameFormat(_NameOptions) ((_NameOptions) & FLT_VALID_FILE_NAME_FORMATS)
#define FLT_VALID_FILE_NAME_QUERY_METHODS 0x0000ff00
#define FLT_FILE_NAME_QUERY_DEFAULT 0x0100
#define FLT_FILE_NAME_QUERY_CACHE_ONLY 0x0200
#define FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY 0x0300
#define FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP 0x0400
#define FltGetFileNameQueryMethod(_NameOptions) ((_NameOptions) & FLT_VALID_FILE_NAME_QUERY_METHODS)
#define FLT_VALID_FILE_NAME_FLAGS 0xff000000
#define FLT_FILE_NAME_REQUEST_FROM_CURRENT_PROVIDER 0x01000000
#define FLT_FILE_NAME_DO_NOT_CACHE 0x02000000
#define FLT_FILE_NAME_ALLOW_QUERY_ON_REPARSE 0x04000000

typedef USHORT FLT_FILE_NAME_PARSED_FLAGS;
#define FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT 0x0001
#define FLTFL_FILE_NAME_PARSED_EXTENSION 0x0002
#define FLTFL_FILE_NAME_PARSED_STREAM 0x0004
#define FLTFL_FILE_NAME_PARSED_PARENT_DIR 0x0008

typedef struct _FLT_FILE_NAME_INFORMATION {
    USHORT Size;
    FLT_FILE_NAME_PARSED_FLAGS NamesParsed;
    FLT_FILE_NAME_OPTIONS Format;
    UNICODE_STRING Name;
    UNICODE_STRING Volume;
    UNICODE_STRING Share;
    UNICODE_STRING Extension;
    UNICODE_STRING Stream;
    UNICODE_STRING FinalComponent;
    UNICODE_STRING ParentDir;
} FLT_FILE_NAME_INFORMATION, *PFLT_FILE_NAME_INFORMATION;

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetFileNameInformation(_In_ PFLT_CALLBACK_DATA CallbackData, _In_ FLT_FILE_NAME_OPTIONS NameOptions,
                                          _Outptr_ PFLT_FILE_NAME_INFORMATION *FileNameInformation);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetFileNameInformationUnsafe(_In_ PFILE_OBJECT FileObject, _In_opt_ PFLT_INSTANCE Instance,
                                                _In_ FLT_FILE_NAME_OPTIONS NameOptions,
                                                _Outptr_ PFLT_FILE_NAME_INFORMATION *FileNameInformation);
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltReferenceFileNameInformation(_In_ PFLT_FILE_NAME_INFORMATION FileNameInformation);
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltReleaseFileNameInformation(_In_ PFLT_FILE_NAME_INFORMATION FileNameInformation);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltParseFileNameInformation(_Inout_ PFLT_FILE_NAME_INFORMATION FileNameInformation);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetDestinationFileNameInformation(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                                     _In_opt_ HANDLE RootDirectory,
                                                     _In_reads_bytes_(FileNameLength) PWSTR FileName,
                                                     _In_ ULONG FileNameLength, _In_ FLT_FILE_NAME_OPTIONS NameOptions,
                                                     _Outptr_ PFLT_FILE_NAME_INFORMATION *RetFileNameInformation);

/* Volumes and objects. */
typedef struct _FLT_VOLUME_PROPERTIES {
    DEVICE_TYPE DeviceType;
    ULONG DeviceCharacteristics;
    ULONG DeviceObjectFlags;
    ULONG AlignmentRequirement;
    USHORT SectorSize;
    USHORT Flags;
    UNICODE_STRING FileSystemDriverName;
    UNICODE_STRING FileSystemDeviceName;
    UNICODE_STRING RealDeviceName;
} FLT_VOLUME_PROPERTIES, *PFLT_VOLUME_PROPERTIES;
#define VOL_PROP_FL_DAX_VOLUME 0x0001

typedef enum _INSTANCE_INFORMATION_CLASS {
    InstanceBasicInformation,
    InstancePartialInformation,
    InstanceFullInformation,
    InstanceAggregateStandardInformation
} INSTANCE_INFORMATION_CLASS, *PINSTANCE_INFORMATION_CLASS;

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeFromInstance(_In_ PFLT_INSTANCE Instance, _Outptr_ PFLT_VOLUME *RetVolume);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetFilterFromInstance(_In_ PFLT_INSTANCE Instance, _Outptr_ PFLT_FILTER *RetFilter);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeFromFileObject(_In_ PFLT_FILTER Filter, _In_ PFILE_OBJECT FileObject,
                                           _Outptr_ PFLT_VOLUME *RetVolume);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeFromName(_In_ PFLT_FILTER Filter, _In_ PCUNICODE_STRING VolumeName,
                                     _Outptr_ PFLT_VOLUME *RetVolume);
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltObjectReference(_Inout_ PVOID FltObject);
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID FLTAPI FltObjectDereference(_Inout_ PVOID FltObject);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeName(_In_ PFLT_VOLUME Volume, _Inout_opt_ PUNICODE_STRING VolumeName,
                                 _Out_opt_ PULONG BufferSizeNeeded);
_Must_inspect_result_ _IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltGetVolumeGuidName(_In_ PFLT_VOLUME Volume, _Out_ PUNICODE_STRING VolumeGuidName,
                                     _Out_opt_ PULONG BufferSizeNeeded);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeProperties(_In_ PFLT_VOLUME Volume, _Out_writes_bytes_to_opt_(VolumePropertiesLength, *LengthReturned) PFLT_VOLUME_PROPERTIES VolumeProperties,
                                       _In_ ULONG VolumePropertiesLength, _Out_ PULONG LengthReturned);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetFileSystemType(_In_ PVOID FltObject, _Out_ PFLT_FILESYSTEM_TYPE FileSystemType);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltIsVolumeWritable(_In_ PVOID FltObject, _Out_ PBOOLEAN IsWritable);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetInstanceInformation(_In_ PFLT_INSTANCE Instance, _In_ INSTANCE_INFORMATION_CLASS InformationClass,
                                          _Out_writes_bytes_to_opt_(BufferSize, *BytesReturned) PVOID InstanceInformation,
                                          _In_ ULONG BufferSize, _Out_ PULONG BytesReturned);
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltGetDiskDeviceObject(_In_ PFLT_VOLUME Volume, _Outptr_ PDEVICE_OBJECT *DiskDeviceObject);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetDeviceObject(_In_ PFLT_VOLUME Volume, _Outptr_ PDEVICE_OBJECT *DeviceObject);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltEnumerateInstances(_In_opt_ PFLT_VOLUME Volume, _In_opt_ PFLT_FILTER Filter,
                                      _Out_writes_to_opt_(InstanceListSize, *NumberInstancesReturned) PFLT_INSTANCE *InstanceList,
                                      _In_ ULONG InstanceListSize, _Out_ PULONG NumberInstancesReturned);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltEnumerateVolumes(_In_ PFLT_FILTER Filter,
                                    _Out_writes_to_opt_(VolumeListSize, *NumberVolumesReturned) PFLT_VOLUME *VolumeList,
                                    _In_ ULONG VolumeListSize, _Out_ PULONG NumberVolumesReturned);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltEnumerateFilters(_Out_writes_to_opt_(FilterListSize, *NumberFiltersReturned) PFLT_FILTER *FilterList,
                                    _In_ ULONG FilterListSize, _Out_ PULONG NumberFiltersReturned);
/* ---- Filter Manager file I/O, pending, ECPs and transactions ---------------------------------
 * The file I/O routines (FltCreateFile .. FltLockUserBuffer) are modeled in model/src/flt_fileio.c
 * (SEMANTICS.md FI-*); the others below are listed in kfault/not_modeled.def: a call links and
 * stops with routine-not-modeled (0x1009). Constants carry the WDK's values. */
typedef ULONG FLT_IO_OPERATION_FLAGS;
#define FLTFL_IO_OPERATION_NON_CACHED                 0x00000001
#define FLTFL_IO_OPERATION_PAGING                     0x00000002
#define FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET  0x00000004
#define FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING         0x00000008

_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCreateFile(
    _In_ PFLT_FILTER Filter, _In_opt_ PFLT_INSTANCE Instance, _Out_ PHANDLE FileHandle,
    _In_ ACCESS_MASK DesiredAccess, _In_ POBJECT_ATTRIBUTES ObjectAttributes,
    _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_opt_ PLARGE_INTEGER AllocationSize,
    _In_ ULONG FileAttributes, _In_ ULONG ShareAccess, _In_ ULONG CreateDisposition,
    _In_ ULONG CreateOptions, _In_opt_ PVOID EaBuffer, _In_ ULONG EaLength, _In_ ULONG Flags);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCreateFileEx(
    _In_ PFLT_FILTER Filter, _In_opt_ PFLT_INSTANCE Instance, _Out_ PHANDLE FileHandle,
    _Outptr_opt_ PFILE_OBJECT *FileObject, _In_ ACCESS_MASK DesiredAccess,
    _In_ POBJECT_ATTRIBUTES ObjectAttributes, _Out_ PIO_STATUS_BLOCK IoStatusBlock,
    _In_opt_ PLARGE_INTEGER AllocationSize, _In_ ULONG FileAttributes, _In_ ULONG ShareAccess,
    _In_ ULONG CreateDisposition, _In_ ULONG CreateOptions, _In_opt_ PVOID EaBuffer,
    _In_ ULONG EaLength, _In_ ULONG Flags);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCreateFileEx2(
    _In_ PFLT_FILTER Filter, _In_opt_ PFLT_INSTANCE Instance, _Out_ PHANDLE FileHandle,
    _Outptr_opt_ PFILE_OBJECT *FileObject, _In_ ACCESS_MASK DesiredAccess,
    _In_ POBJECT_ATTRIBUTES ObjectAttributes, _Out_ PIO_STATUS_BLOCK IoStatusBlock,
    _In_opt_ PLARGE_INTEGER AllocationSize, _In_ ULONG FileAttributes, _In_ ULONG ShareAccess,
    _In_ ULONG CreateDisposition, _In_ ULONG CreateOptions, _In_opt_ PVOID EaBuffer,
    _In_ ULONG EaLength, _In_ ULONG Flags, _In_opt_ PIO_DRIVER_CREATE_CONTEXT DriverContext);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltClose(_In_ HANDLE FileHandle);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltReadFile(
    _In_ PFLT_INSTANCE InitiatingInstance, _In_ PFILE_OBJECT FileObject,
    _In_opt_ PLARGE_INTEGER ByteOffset, _In_ ULONG Length, _Out_ PVOID Buffer,
    _In_ FLT_IO_OPERATION_FLAGS Flags, _Out_opt_ PULONG BytesRead,
    _In_opt_ PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, _In_opt_ PVOID CallbackContext);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltWriteFile(
    _In_ PFLT_INSTANCE InitiatingInstance, _In_ PFILE_OBJECT FileObject,
    _In_opt_ PLARGE_INTEGER ByteOffset, _In_ ULONG Length, _In_ PVOID Buffer,
    _In_ FLT_IO_OPERATION_FLAGS Flags, _Out_opt_ PULONG BytesWritten,
    _In_opt_ PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, _In_opt_ PVOID CallbackContext);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltQueryInformationFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _Out_ PVOID FileInformation,
    _In_ ULONG Length, _In_ FILE_INFORMATION_CLASS FileInformationClass,
    _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltSetInformationFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _In_ PVOID FileInformation,
    _In_ ULONG Length, _In_ FILE_INFORMATION_CLASS FileInformationClass);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltFsControlFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _In_ ULONG FsControlCode,
    _In_opt_ PVOID InputBuffer, _In_ ULONG InputBufferLength, _Out_opt_ PVOID OutputBuffer,
    _In_ ULONG OutputBufferLength, _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltDeviceIoControlFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _In_ ULONG IoControlCode,
    _In_opt_ PVOID InputBuffer, _In_ ULONG InputBufferLength, _Out_opt_ PVOID OutputBuffer,
    _In_ ULONG OutputBufferLength, _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltLockUserBuffer(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(PASSIVE_LEVEL) VOID FLTAPI FltCancelFileOpen(_In_ PFLT_INSTANCE Instance,
                                                                 _In_ PFILE_OBJECT FileObject);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltCompletePendedPreOperation(
    _In_ PFLT_CALLBACK_DATA CallbackData, _In_ FLT_PREOP_CALLBACK_STATUS CallbackStatus,
    _In_opt_ PVOID Context);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltCompletePendedPostOperation(
    _In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(DISPATCH_LEVEL) BOOLEAN FLTAPI FltDoCompletionProcessingWhenSafe(
    _In_ PFLT_CALLBACK_DATA Data, _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext, _In_ FLT_POST_OPERATION_FLAGS Flags,
    _In_ PFLT_POST_OPERATION_CALLBACK SafePostCallback,
    _Out_ PFLT_POSTOP_CALLBACK_STATUS RetPostOperationStatus);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltCheckAndGrowNameControl(
    _Inout_ PFLT_NAME_CONTROL Name, _In_ USHORT NewSize);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltGetTunneledName(
    _In_ PFLT_CALLBACK_DATA CallbackData, _In_ PFLT_FILE_NAME_INFORMATION FileNameInformation,
    _Outptr_result_maybenull_ PFLT_FILE_NAME_INFORMATION *RetTunneledFileNameInformation);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltGetEcpListFromCallbackData(
    _In_ PFLT_FILTER Filter, _In_ PFLT_CALLBACK_DATA CallbackData,
    _Outptr_result_maybenull_ PECP_LIST *EcpList);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltIsEcpFromUserMode(_In_ PFLT_FILTER Filter,
                                                                  _In_ PVOID EcpContext);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltFindExtraCreateParameter(
    _In_ PFLT_FILTER Filter, _In_ PECP_LIST EcpList, _In_ LPCGUID EcpType,
    _Outptr_opt_ PVOID *EcpContext, _Out_opt_ ULONG *EcpContextSize);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltEnlistInTransaction(
    _In_ PFLT_INSTANCE Instance, _In_ PKTRANSACTION Transaction,
    _In_ PFLT_CONTEXT TransactionContext, _In_ NOTIFICATION_MASK NotificationMask);

_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltGetNextExtraCreateParameter(
    _In_ PFLT_FILTER Filter, _In_ PECP_LIST EcpList, _In_opt_ PVOID CurrentEcpContext,
    _Out_opt_ LPGUID NextEcpType, _Outptr_opt_ PVOID *NextEcpContext,
    _Out_opt_ ULONG *NextEcpContextSize);
_IRQL_requires_max_(APC_LEVEL) PVOID FLTAPI FltAllocatePoolAlignedWithTag(
    _In_ PFLT_INSTANCE Instance, _In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
    _In_ ULONG Tag);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltFreePoolAlignedWithTag(_In_ PFLT_INSTANCE Instance,
                                                                     _In_ PVOID Buffer,
                                                                     _In_ ULONG Tag);
_IRQL_requires_max_(PASSIVE_LEVEL) PVOID FLTAPI FltGetRoutineAddress(_In_ PCSTR FltMgrRoutineName);

/* The callback data's dirty flag (model/src/flt_misc.c, SEMANTICS.md FM-1). */
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltSetCallbackDataDirty(_Inout_ PFLT_CALLBACK_DATA Data);
_IRQL_requires_max_(DISPATCH_LEVEL) VOID FLTAPI FltClearCallbackDataDirty(_Inout_ PFLT_CALLBACK_DATA Data);
_IRQL_requires_max_(DISPATCH_LEVEL) BOOLEAN FLTAPI FltIsCallbackDataDirty(_In_ PFLT_CALLBACK_DATA Data);

/* ---- Filter-initiated file I/O (model/src/flt_fileio.c, SEMANTICS.md FI-*) ----------------
 * FltCreateFile* .. FltLockUserBuffer above are modeled there too; these complete the set. */
#define FLT_FLUSH_TYPE_FLUSH_AND_PURGE 0x00000001
#define FLT_FLUSH_TYPE_FILE_DATA_ONLY  0x00000002
#define FLT_FLUSH_TYPE_NO_SYNC         0x00000004
#define FLT_FLUSH_TYPE_DATA_SYNC_ONLY  0x00000008

_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltReadFileEx(
    _In_ PFLT_INSTANCE InitiatingInstance, _In_ PFILE_OBJECT FileObject,
    _In_opt_ PLARGE_INTEGER ByteOffset, _In_ ULONG Length, _Out_opt_ PVOID Buffer,
    _In_ FLT_IO_OPERATION_FLAGS Flags, _Out_opt_ PULONG BytesRead,
    _In_opt_ PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, _In_opt_ PVOID CallbackContext,
    _In_opt_ PULONG Key, _In_opt_ PMDL Mdl);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltWriteFileEx(
    _In_ PFLT_INSTANCE InitiatingInstance, _In_ PFILE_OBJECT FileObject,
    _In_opt_ PLARGE_INTEGER ByteOffset, _In_ ULONG Length, _In_opt_ PVOID Buffer,
    _In_ FLT_IO_OPERATION_FLAGS Flags, _Out_opt_ PULONG BytesWritten,
    _In_opt_ PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, _In_opt_ PVOID CallbackContext,
    _In_opt_ PULONG Key, _In_opt_ PMDL Mdl);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltQueryVolumeInformationFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _Out_ PVOID FsInformation,
    _In_ ULONG Length, _In_ FS_INFORMATION_CLASS FsInformationClass, _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltQueryVolumeInformation(
    _In_ PFLT_INSTANCE Instance, _Out_ PIO_STATUS_BLOCK Iosb, _Out_ PVOID FsInformation,
    _In_ ULONG Length, _In_ FS_INFORMATION_CLASS FsInformationClass);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltQueryDirectoryFile(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _Out_ PVOID FileInformation,
    _In_ ULONG Length, _In_ FILE_INFORMATION_CLASS FileInformationClass, _In_ BOOLEAN ReturnSingleEntry,
    _In_opt_ PUNICODE_STRING FileName, _In_ BOOLEAN RestartScan, _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltQueryDirectoryFileEx(
    _In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject, _Out_ PVOID FileInformation,
    _In_ ULONG Length, _In_ FILE_INFORMATION_CLASS FileInformationClass, _In_ ULONG QueryFlags,
    _In_opt_ PUNICODE_STRING FileName, _Out_opt_ PULONG LengthReturned);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltFlushBuffers(_In_ PFLT_INSTANCE Instance,
                                                                   _In_ PFILE_OBJECT FileObject);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltFlushBuffers2(_In_ PFLT_INSTANCE Instance,
                                                                    _In_ PFILE_OBJECT FileObject,
                                                                    _In_ ULONG FlushType,
                                                                    _In_opt_ PFLT_CALLBACK_DATA CallbackData);
NTSTATUS FLTAPI FltDecodeParameters(_In_ PFLT_CALLBACK_DATA CallbackData, _Outptr_opt_ PMDL **MdlAddressPointer,
                                    _Outptr_opt_result_bytebuffer_(**Length) PVOID **Buffer,
                                    _Outptr_opt_ PULONG *Length, _Out_opt_ LOCK_OPERATION *DesiredAccess);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_NAMES_H */

/* ---- Filter Manager objects and volumes (model/src/flt_objects.c; SEMANTICS.md FO-) ------------
 * The instance stack of a volume, instance information, and the routines of the samples that the
 * model only declares (kfault/not_modeled.def). Values and layouts are the WDK's. */
#ifndef KFAULT_FLTKERNEL_OBJECTS_H
#define KFAULT_FLTKERNEL_OBJECTS_H
#ifdef __cplusplus
extern "C" {
#endif
/* fltUserStructures.h: what FltGetInstanceInformation returns. Names follow the fixed part; the
 * offsets are from the start of the structure, the lengths in bytes. */
typedef struct _INSTANCE_BASIC_INFORMATION {
    ULONG NextEntryOffset;
    USHORT InstanceNameLength;
    USHORT InstanceNameBufferOffset;
} INSTANCE_BASIC_INFORMATION, *PINSTANCE_BASIC_INFORMATION;

typedef struct _INSTANCE_PARTIAL_INFORMATION {
    ULONG NextEntryOffset;
    USHORT InstanceNameLength;
    USHORT InstanceNameBufferOffset;
    USHORT AltitudeLength;
    USHORT AltitudeBufferOffset;
} INSTANCE_PARTIAL_INFORMATION, *PINSTANCE_PARTIAL_INFORMATION;

typedef struct _INSTANCE_FULL_INFORMATION {
    ULONG NextEntryOffset;
    USHORT InstanceNameLength;
    USHORT InstanceNameBufferOffset;
    USHORT AltitudeLength;
    USHORT AltitudeBufferOffset;
    USHORT VolumeNameLength;
    USHORT VolumeNameBufferOffset;
    USHORT FilterNameLength;
    USHORT FilterNameBufferOffset;
} INSTANCE_FULL_INFORMATION, *PINSTANCE_FULL_INFORMATION;

#define FLTFL_IASI_IS_MINIFILTER     0x00000001
#define FLTFL_IASI_IS_LEGACYFILTER   0x00000002
#define FLTFL_IASIM_DETACHED_VOLUME  0x00000001
#define FLTFL_IASIL_DETACHED_VOLUME  0x00000001

typedef struct _INSTANCE_AGGREGATE_STANDARD_INFORMATION {
    ULONG NextEntryOffset;
    ULONG Flags;
    union {
        struct {
            ULONG Flags;
            ULONG FrameID;
            FLT_FILESYSTEM_TYPE VolumeFileSystemType;
            USHORT InstanceNameLength;
            USHORT InstanceNameBufferOffset;
            USHORT AltitudeLength;
            USHORT AltitudeBufferOffset;
            USHORT VolumeNameLength;
            USHORT VolumeNameBufferOffset;
            USHORT FilterNameLength;
            USHORT FilterNameBufferOffset;
            ULONG SupportedFeatures;
        } MiniFilter;
        struct {
            ULONG Flags;
            USHORT AltitudeLength;
            USHORT AltitudeBufferOffset;
            USHORT VolumeNameLength;
            USHORT VolumeNameBufferOffset;
            USHORT FilterNameLength;
            USHORT FilterNameBufferOffset;
            ULONG SupportedFeatures;
        } LegacyFilter;
    } Type;
} INSTANCE_AGGREGATE_STANDARD_INFORMATION, *PINSTANCE_AGGREGATE_STANDARD_INFORMATION;

_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetVolumeInstanceFromName(_In_opt_ PFLT_FILTER Filter, _In_ PFLT_VOLUME Volume,
                                             _In_opt_ PCUNICODE_STRING InstanceName, _Outptr_ PFLT_INSTANCE *RetInstance);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetTopInstance(_In_ PFLT_VOLUME Volume, _Outptr_ PFLT_INSTANCE *Instance);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetBottomInstance(_In_ PFLT_VOLUME Volume, _Outptr_ PFLT_INSTANCE *Instance);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetLowerInstance(_In_ PFLT_INSTANCE CurrentInstance, _Outptr_ PFLT_INSTANCE *LowerInstance);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetUpperInstance(_In_ PFLT_INSTANCE CurrentInstance, _Outptr_ PFLT_INSTANCE *UpperInstance);
_Must_inspect_result_ _IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltIsVolumeSnapshot(_In_ PVOID FltObject, _Out_ PBOOLEAN IsSnapshotVolume);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_OBJECTS_H */

/* ---- What the sample minifilters name besides (declared, not modeled: kfault/not_modeled.def) ----
 * Cancellation of pended operations, data scan sections, volume detach, directory queries and
 * extra create parameter lists. Values and layouts are the WDK's. */
#ifndef KFAULT_FLTKERNEL_SAMPLES_H
#define KFAULT_FLTKERNEL_SAMPLES_H
#ifdef __cplusplus
extern "C" {
#endif
/* The transaction notifications a minifilter may ask for. */
#define FLT_MAX_TRANSACTION_NOTIFICATIONS                                                              \
    (TRANSACTION_NOTIFY_PREPREPARE | TRANSACTION_NOTIFY_PREPARE | TRANSACTION_NOTIFY_COMMIT |          \
     TRANSACTION_NOTIFY_ROLLBACK | TRANSACTION_NOTIFY_COMMIT_FINALIZE)

/* The reparse data of a create that returned STATUS_REPARSE (FLT_CALLBACK_DATA.TagData). */
typedef struct _FLT_TAG_DATA_BUFFER {
    ULONG FileTag;
    USHORT TagDataLength;
    USHORT UnparsedNameLength;
    union {
        struct {
            USHORT SubstituteNameOffset;
            USHORT SubstituteNameLength;
            USHORT PrintNameOffset;
            USHORT PrintNameLength;
            ULONG Flags;
            WCHAR PathBuffer[1];
        } SymbolicLinkReparseBuffer;
        struct {
            USHORT SubstituteNameOffset;
            USHORT SubstituteNameLength;
            USHORT PrintNameOffset;
            USHORT PrintNameLength;
            WCHAR PathBuffer[1];
        } MountPointReparseBuffer;
        struct {
            UCHAR DataBuffer[1];
        } GenericReparseBuffer;
        struct {
            GUID TagGuid;
            UCHAR DataBuffer[1];
        } GenericGUIDReparseBuffer;
    };
} FLT_TAG_DATA_BUFFER, *PFLT_TAG_DATA_BUFFER;
#define FLT_TAG_DATA_BUFFER_HEADER_SIZE FIELD_OFFSET(FLT_TAG_DATA_BUFFER, GenericReparseBuffer)

/* Cancellation of an operation the minifilter pended. */
typedef VOID(FLTAPI *PFLT_COMPLETE_CANCELED_CALLBACK)(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS FLTAPI FltSetCancelCompletion(_In_ PFLT_CALLBACK_DATA CallbackData,
                                       _In_ PFLT_COMPLETE_CANCELED_CALLBACK CanceledCallback);
_IRQL_requires_max_(DISPATCH_LEVEL) NTSTATUS FLTAPI FltClearCancelCompletion(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(DISPATCH_LEVEL) BOOLEAN FLTAPI FltIsIoCanceled(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltCancelIo(_In_ PFLT_CALLBACK_DATA CallbackData);

/* Volumes: detaching an instance, the System Volume Information folder. */
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltDetachVolume(_Inout_ PFLT_FILTER Filter, _Inout_ PFLT_VOLUME Volume,
                                _In_opt_ PCUNICODE_STRING InstanceName);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCreateSystemVolumeInformationFolder(_In_ PFLT_INSTANCE Instance);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltIsDirectory(_In_ PFILE_OBJECT FileObject, _In_ PFLT_INSTANCE Instance, _Out_ PBOOLEAN IsDirectory);

/* Sections for data scanning (Windows 8). */
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltRegisterForDataScan(_In_ PFLT_INSTANCE Instance);
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltCreateSectionForDataScan(_In_ PFLT_INSTANCE Instance, _In_ PFILE_OBJECT FileObject,
                                            _In_ PFLT_CONTEXT SectionContext, _In_ ACCESS_MASK DesiredAccess,
                                            _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                                            _In_opt_ PLARGE_INTEGER MaximumSize, _In_ ULONG SectionPageProtection,
                                            _In_ ULONG AllocationAttributes, _In_ ULONG Flags,
                                            _Out_ PHANDLE SectionHandle, _Out_ PVOID *SectionObject,
                                            _Out_opt_ PLARGE_INTEGER SectionFileSize);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCloseSectionForDataScan(_In_ PFLT_CONTEXT SectionContext);

/* Extra create parameter lists. */
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateExtraCreateParameterList(_In_ PFLT_FILTER Filter, _In_ FSRTL_ALLOCATE_ECPLIST_FLAGS Flags,
                                                    _Outptr_ PECP_LIST *EcpList);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateExtraCreateParameter(_In_ PFLT_FILTER Filter, _In_ LPCGUID EcpType,
                                                _In_ ULONG SizeOfContext, _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
                                                _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
                                                _In_ ULONG PoolTag, _Outptr_ PVOID *EcpContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltInsertExtraCreateParameter(_In_ PFLT_FILTER Filter, _Inout_ PECP_LIST EcpList,
                                              _Inout_ PVOID EcpContext);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltRemoveExtraCreateParameter(_In_ PFLT_FILTER Filter, _Inout_ PECP_LIST EcpList, _In_ LPCGUID EcpType,
                                              _Outptr_ PVOID *EcpContext, _Out_opt_ ULONG *EcpContextSize);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltFreeExtraCreateParameter(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltFreeExtraCreateParameterList(_In_ PFLT_FILTER Filter, _In_ PECP_LIST EcpList);
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetEcpListIntoCallbackData(_In_ PFLT_FILTER Filter, _In_ PFLT_CALLBACK_DATA CallbackData,
                                              _In_ PECP_LIST EcpList);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltIsEcpAcknowledged(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltAcknowledgeEcp(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_SAMPLES_H */
/* ---- Extra create parameters (model/src/flt_ecp.c; SEMANTICS.md FE-*). The routines declared above
 * (FltGetEcpListFromCallbackData, FltIsEcpFromUserMode, FltFindExtraCreateParameter,
 * FltGetNextExtraCreateParameter, and the ECP list routines of the samples block) are modeled, with
 * these. The ECP types, flags and GUIDs come with ntifs.h (kfault/wdk_fs.h). */
#ifndef KFAULT_FLTKERNEL_ECP_H
#define KFAULT_FLTKERNEL_ECP_H
#ifdef __cplusplus
extern "C" {
#endif
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltInitExtraCreateParameterLookasideList(
    _In_ PFLT_FILTER Filter, _Inout_ PVOID Lookaside, _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags, _In_ SIZE_T Size,
    _In_ ULONG Tag);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltDeleteExtraCreateParameterLookasideList(
    _In_ PFLT_FILTER Filter, _Inout_ PVOID Lookaside, _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltAllocateExtraCreateParameterFromLookasideList(
    _In_ PFLT_FILTER Filter, _In_ LPCGUID EcpType, _In_ ULONG SizeOfContext, _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
    _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback, _Inout_ PVOID LookasideList,
    _Outptr_ PVOID *EcpContext);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltPrepareToReuseEcp(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_ECP_H */
/* ---- Kernel transactions (model/src/flt_txn.c; SEMANTICS.md FT-*). FltEnlistInTransaction, declared
 * above, and FltSet/Get/DeleteTransactionContext (the contexts block) are modeled too. */
#ifndef KFAULT_FLTKERNEL_TXN_H
#define KFAULT_FLTKERNEL_TXN_H
#ifdef __cplusplus
extern "C" {
#endif
#ifndef STATUS_TRANSACTION_REQUEST_NOT_VALID
#define STATUS_TRANSACTION_REQUEST_NOT_VALID ((NTSTATUS)0xC0190013L)
#endif

/* Rolling an enlistment back, and acknowledging a notification answered STATUS_PENDING (the
 * notifications a minifilter may ask for: FLT_MAX_TRANSACTION_NOTIFICATIONS above). */
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltRollbackEnlistment(_In_ PFLT_INSTANCE Instance,
                                                                   _In_ PKTRANSACTION Transaction,
                                                                   _In_opt_ PFLT_CONTEXT TransactionContext);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltCommitComplete(_In_ PFLT_INSTANCE Instance,
                                                                   _In_ PKTRANSACTION Transaction,
                                                                   _In_opt_ PFLT_CONTEXT TransactionContext);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltCommitFinalizeComplete(_In_ PFLT_INSTANCE Instance,
                                                                       _In_ PKTRANSACTION Transaction,
                                                                       _In_opt_ PFLT_CONTEXT TransactionContext);
_IRQL_requires_max_(PASSIVE_LEVEL) NTSTATUS FLTAPI FltRollbackComplete(_In_ PFLT_INSTANCE Instance,
                                                                     _In_ PKTRANSACTION Transaction,
                                                                     _In_opt_ PFLT_CONTEXT TransactionContext);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltPrepareComplete(_In_ PFLT_INSTANCE Instance,
                                                                _In_ PKTRANSACTION Transaction,
                                                                _In_opt_ PFLT_CONTEXT TransactionContext);
_IRQL_requires_max_(APC_LEVEL) NTSTATUS FLTAPI FltPrePrepareComplete(_In_ PFLT_INSTANCE Instance,
                                                                   _In_ PKTRANSACTION Transaction,
                                                                   _In_opt_ PFLT_CONTEXT TransactionContext);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_TXN_H */
/* ---- Oplocks: declared, not modeled (kfault/not_modeled.def; SEMANTICS.md "Filter Manager: what stays
 * routine-not-modeled, and why", which also says why the data scan sections above stay so). */
#ifndef KFAULT_FLTKERNEL_OPLOCK_H
#define KFAULT_FLTKERNEL_OPLOCK_H
#ifdef __cplusplus
extern "C" {
#endif
typedef PVOID OPLOCK, *POPLOCK;
typedef VOID(FLTAPI *PFLTOPLOCK_WAIT_COMPLETE_ROUTINE)(_In_ PFLT_CALLBACK_DATA CallbackData, _In_opt_ PVOID Context);
typedef VOID(FLTAPI *PFLTOPLOCK_PREPOST_CALLBACKDATA_ROUTINE)(_In_ PFLT_CALLBACK_DATA CallbackData,
                                                              _In_opt_ PVOID Context);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltInitializeOplock(_Out_ POPLOCK Oplock);
_IRQL_requires_max_(APC_LEVEL) VOID FLTAPI FltUninitializeOplock(_In_ POPLOCK Oplock);
_IRQL_requires_max_(APC_LEVEL) FLT_PREOP_CALLBACK_STATUS FLTAPI FltOplockFsctrl(_In_ POPLOCK Oplock,
                                                                              _In_ PFLT_CALLBACK_DATA CallbackData,
                                                                              _In_ ULONG OpenCount);
_IRQL_requires_max_(APC_LEVEL) FLT_PREOP_CALLBACK_STATUS FLTAPI FltCheckOplock(
    _In_ POPLOCK Oplock, _In_ PFLT_CALLBACK_DATA CallbackData, _In_opt_ PVOID Context,
    _In_opt_ PFLTOPLOCK_WAIT_COMPLETE_ROUTINE WaitCompletionRoutine,
    _In_opt_ PFLTOPLOCK_PREPOST_CALLBACKDATA_ROUTINE PrePostCallbackDataRoutine);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltOplockIsFastIoPossible(_In_ POPLOCK Oplock);
_IRQL_requires_max_(APC_LEVEL) BOOLEAN FLTAPI FltCurrentBatchOplock(_In_ POPLOCK Oplock);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_OPLOCK_H */
/* ---- Filter Manager's dispatch of I/O to the callbacks (model/src/flt_dispatch.c) -------------- */
#ifndef KFAULT_FLTKERNEL_DISPATCH_H
#define KFAULT_FLTKERNEL_DISPATCH_H
#ifdef __cplusplus
extern "C" {
#endif
BOOLEAN FLTAPI FltIsOperationSynchronous(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(DISPATCH_LEVEL) PEPROCESS FLTAPI FltGetRequestorProcess(_In_ PFLT_CALLBACK_DATA CallbackData);
_IRQL_requires_max_(DISPATCH_LEVEL) ULONG FLTAPI FltGetRequestorProcessId(_In_ PFLT_CALLBACK_DATA CallbackData);
#ifdef __cplusplus
}
#endif
#endif /* KFAULT_FLTKERNEL_DISPATCH_H */
