/*
 * flt_fileio.c - the file I/O a minifilter issues through Filter Manager: FltCreateFile,
 * FltCreateFileEx, FltCreateFileEx2, FltClose, FltReadFile(Ex), FltWriteFile(Ex),
 * FltQueryInformationFile, FltSetInformationFile, FltQueryVolumeInformationFile,
 * FltQueryVolumeInformation, FltQueryDirectoryFile(Ex), FltFlushBuffers(2), FltFsControlFile,
 * FltDeviceIoControlFile, FltLockUserBuffer and FltDecodeParameters.
 *
 * Each routine checks its caller (IRQL, required arguments, instance, file object, calling
 * state), asks its fault site once (flt.create for a create, flt.fileio for every other I/O),
 * then builds Filter Manager's own callback data (flt_io.c) and sends it only to the layers
 * below the instance: the scenario's or test's lower hook and the modeled file system
 * (flt_file.c) answer it, and flt.io.lower may still fail it (F-18). A create returns a handle
 * of the object manager (object.c) whose cleanup and close reach the file system through the
 * same layers. Implements SEMANTICS.md "Filter-initiated file I/O" FI-1 .. FI-20.
 *
 * Must never decide from an address, never read through a pointer before it is known to be
 * the model's own (handles and file objects are looked up), never consult a fault site more
 * than once per call, and never succeed where the WDK documents a failure.
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

/* The handles FltCreateFile* returned: FltClose accepts these and no others (FI-5). */
typedef struct flt_handle {
    HANDLE value;
    BOOLEAN kernel;          /* OBJ_KERNEL_HANDLE: the kernel table */
    BOOLEAN user;            /* else: opened in the user process (kf_set_user_process_context) */
    BOOLEAN open;
    PFILE_OBJECT fo;
    PFLT_INSTANCE instance;  /* where its create went: its cleanup goes there too */
} flt_handle;

static flt_handle *handles;
static size_t n_handles, cap_handles;

/* An asynchronous read or write whose completion has not run yet (FI-10). */
typedef struct async_io {
    struct async_io *next;
    PFLT_COMPLETED_ASYNC_IO_CALLBACK routine;
    PVOID context;
    PFILE_OBJECT fo;             /* referenced until the completion */
    NTSTATUS *status_slot;       /* the caller's, while the routine that started it runs */
    BOOLEAN restore_offset;      /* FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET */
    LARGE_INTEGER saved_offset;
} async_io;

static async_io *asyncs;

/* MDLs FltLockUserBuffer made: the I/O system's, freed with their callback data (FI-18). */
typedef struct locked_mdl {
    struct locked_mdl *next;
    PFLT_CALLBACK_DATA data;
    PMDL mdl;
} locked_mdl;

static locked_mdl *locked;

/* ---- Checks every routine shares -------------------------------------------------------------- */

static _Noreturn void null_argument(const char *routine, int position, const char *name)
{
    kf_violation_stop(KF_VIOL_FLT_FILEIO_NULL_ARGUMENT, routine, (ULONG_PTR)position, 0, 0,
                      "%s: %s (argument %d) is NULL; it is required", routine, name, position);
}

static void require_os(const char *routine, kf_os min, const char *since)
{
    const kf_profile *p = kf_current_profile();
    if (p->os < min) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0, "%s does not exist on %s (%s and later)",
                          routine, kf_profile_name(p, prof, sizeof prof), since);
    }
}

/* The live instance Instance names (FI-2). */
static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE Instance)
{
    if (!Instance)
        kf_violation_stop(KF_VIOL_FLT_NULL_INSTANCE, routine, 0, 0, 0, "%s: Instance is NULL (it is required)",
                          routine);
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance is not a live instance (never set up, declined, or torn down)", routine);
    return inst;
}

static BOOLEAN tearing_down(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

/* FI-3: a file object of the modeled file system must be on the instance's volume and open
 * (a cleaned-up one only for paging I/O); any other FILE_OBJECT keeps the lower layers'
 * defaults (F-18). */
static void require_file(const char *routine, const struct _FLT_INSTANCE *inst, PFILE_OBJECT fo, int position,
                         BOOLEAN paging)
{
    if (!fo)
        null_argument(routine, position, "FileObject");
    unsigned volume;
    if (!kf__flt_file_object_volume(fo, &volume))
        return;
    if (volume != inst->volume->index)
        kf_violation_stop(KF_VIOL_FLT_FILEIO_WRONG_VOLUME, routine, volume, inst->volume->index, 0,
                          "%s: the file object is on volume %u, the instance on volume %u", routine, volume,
                          inst->volume->index);
    int state = kf__flt_fs_open_state(fo);
    if (state == KF__FO_NOT_OPEN || (state == KF__FO_CLEANED_UP && !paging))
        kf_violation_stop(KF_VIOL_FLT_FILEIO_NOT_OPEN, routine, (ULONG_PTR)state, 0, 0,
                          "%s on a file object that is %s", routine,
                          state == KF__FO_NOT_OPEN ? "not open (no create succeeded on it)"
                                                   : "cleaned up (its handle was closed)");
}

/* FI-4: the calling state the documentation forbids because it can deadlock. */
static void require_calling_state(const char *routine)
{
    if (KeAreApcsDisabled())
        kf_violation_stop(KF_VIOL_FLT_FILEIO_APCS_DISABLED, routine, 0, 0, 0,
                          "%s called with normal kernel APCs disabled (inside a critical or guarded region)",
                          routine);
    if (IoGetTopLevelIrp())
        kf_violation_stop(KF_VIOL_FLT_FILEIO_TOP_LEVEL_IRP, routine, 0, 0, 0,
                          "%s called with a non-NULL top-level IRP", routine);
}

/* ---- Issuing I/O below the instance --------------------------------------------------------------- */

static PFLT_CALLBACK_DATA new_io(PFLT_INSTANCE instance, PFILE_OBJECT fo, UCHAR major, UCHAR minor, ULONG irp_flags)
{
    PFLT_CALLBACK_DATA d = kf__flt_io_new_own(instance, fo);
    if (d) {
        d->Iopb->MajorFunction = major;
        d->Iopb->MinorFunction = minor;
        d->Iopb->IrpFlags = irp_flags;
    }
    return d;
}

/* Sends d below its instance, synchronously, and frees it: its status, Information in *info.
 * The file object stays referenced meanwhile (an IRP holds a reference on its file object). */
static NTSTATUS run_sync(PFLT_CALLBACK_DATA d, PFILE_OBJECT fo, BOOLEAN must_succeed, ULONG_PTR *info)
{
    if (fo)
        kf__object_ref(fo);
    kf__flt_io_perform_own(d, must_succeed);
    NTSTATUS st = d->IoStatus.Status;
    if (info)
        *info = d->IoStatus.Information;
    kf__flt_io_free_own(d);
    if (fo)
        kf__object_deref(fo);
    return st;
}

/* A cleanup or close the I/O manager sends: never fails for want of memory (FI-6). */
static void send_must_succeed(PFLT_INSTANCE instance, PFILE_OBJECT fo, UCHAR major)
{
    PFLT_CALLBACK_DATA d = new_io(instance, fo, major, 0, IRP_SYNCHRONOUS_API | (major == IRP_MJ_CLOSE ? IRP_CLOSE_OPERATION : 0));
    if (d)
        (void)run_sync(d, fo, TRUE, NULL);
}

/* ---- FltCreateFile, FltCreateFileEx, FltCreateFileEx2: FI-1 .. FI-4 ----------------------------------- */

#define CREATE_FLAGS                                                                                       \
    (IO_FORCE_ACCESS_CHECK | IO_OPEN_PAGING_FILE | IO_OPEN_TARGET_DIRECTORY | IO_STOP_ON_SYMLINK |        \
     IO_NO_PARAMETER_CHECKING | IO_CHECK_CREATE_PARAMETERS | IO_ATTACH_DEVICE | IO_IGNORE_SHARE_ACCESS_CHECK)

/* The parameter checks of IoCreateFileEx (skipped with IO_NO_PARAMETER_CHECKING). */
static NTSTATUS check_create_parameters(const OBJECT_ATTRIBUTES *oa, ACCESS_MASK access, ULONG attributes,
                                        ULONG share, ULONG disposition, ULONG options)
{
    if (oa->Length != sizeof(OBJECT_ATTRIBUTES) || (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if ((attributes & ~(ULONG)FILE_ATTRIBUTE_VALID_FLAGS) || (share & ~(ULONG)FILE_SHARE_VALID_FLAGS) ||
        disposition > FILE_MAXIMUM_DISPOSITION || (options & ~(ULONG)FILE_VALID_OPTION_FLAGS))
        return STATUS_INVALID_PARAMETER;
    ULONG sync = options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT);
    if (sync == (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT) || (sync && !(access & SYNCHRONIZE)))
        return STATUS_INVALID_PARAMETER;
    if ((options & FILE_DELETE_ON_CLOSE) && !(access & DELETE))
        return STATUS_INVALID_PARAMETER;
    if ((options & FILE_DIRECTORY_FILE) &&
        ((options & FILE_NON_DIRECTORY_FILE) ||
         (disposition != FILE_CREATE && disposition != FILE_OPEN && disposition != FILE_OPEN_IF)))
        return STATUS_INVALID_PARAMETER;
    if ((options & FILE_NO_INTERMEDIATE_BUFFERING) && (access & FILE_APPEND_DATA))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

static BOOLEAN starts_with_volume(const WCHAR *name, USHORT chars, unsigned *volume, USHORT *skip)
{
    for (unsigned i = 0; i < kf_flt_volume_count(); i++) {
        WCHAR vol[KF__FLT_VOLUME_NAME_MAX];
        USHORT vn = kf__flt_volume_name(kf__flt_volume_at(i), vol);
        if (chars < vn || (chars > vn && name[vn] != L'\\'))
            continue;
        USHORT k = 0;
        while (k < vn && kf__upcase(name[k]) == kf__upcase(vol[k]))
            k++;
        if (k == vn) {
            *volume = i;
            *skip = vn;
            return TRUE;
        }
    }
    return FALSE;
}

static void remember_handle(HANDLE h, BOOLEAN kernel, PFILE_OBJECT fo, PFLT_INSTANCE instance)
{
    if (n_handles == cap_handles) {
        size_t cap = cap_handles ? cap_handles * 2 : 16;
        flt_handle *t = realloc(handles, cap * sizeof *t);
        if (!t) {
            fprintf(stderr, "kfault: out of host memory for FltCreateFile's handles\n");
            abort();
        }
        handles = t;
        cap_handles = cap;
    }
    handles[n_handles++] = (flt_handle){h, kernel, (BOOLEAN)kf__user_context(), TRUE, fo, instance};
}

static NTSTATUS create_file(const char *routine, int ex, PFLT_FILTER Filter, PFLT_INSTANCE Instance,
                            PHANDLE FileHandle, PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
                            POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                            PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
                            ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
                            ULONG Flags, PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    struct _FLT_FILTER *f = kf__flt_find_filter(Filter);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0,
                          "%s: Filter is not a filter FltRegisterFilter returned (or it was unregistered)", routine);
    if (!FileHandle)
        null_argument(routine, 3, "FileHandle");
    if (!ObjectAttributes)
        null_argument(routine, 5 + ex, "ObjectAttributes");
    if (!IoStatusBlock)
        null_argument(routine, 6 + ex, "IoStatusBlock");
    *FileHandle = NULL; /* whatever happens below, a failure leaves no handle and no object */
    if (FileObject)
        *FileObject = NULL;
    struct _FLT_INSTANCE *inst = NULL;
    if (Instance) {
        inst = kf__flt_find_instance(Instance);
        if (!inst)
            kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                              "%s: Instance is not a live instance (never set up, declined, or torn down)", routine);
        if (inst->filter != f)
            kf_violation_stop(KF_VIOL_FLT_FILEIO_FOREIGN_INSTANCE, routine, inst->volume->index, 0, 0,
                              "%s: Instance (on volume %u) belongs to another filter than Filter", routine,
                              inst->volume->index);
    }
    require_calling_state(routine);
    if (!(ObjectAttributes->Attributes & OBJ_KERNEL_HANDLE) && kf__user_context())
        kf_violation_stop(KF_VIOL_OB_USER_HANDLE_OPENED, routine, ObjectAttributes->Attributes, 0, 0,
                          "%s in a user process without OBJ_KERNEL_HANDLE in ObjectAttributes->Attributes: the "
                          "application could use, close or replace the handle",
                          routine);
    if (ObjectAttributes->ObjectName)
        kf__check_unicode_string(routine, ObjectAttributes->ObjectName, "ObjectAttributes->ObjectName");
    if (f->unregistering || (inst && tearing_down(inst)))
        return STATUS_FLT_DELETING_OBJECT;
    if (DriverContext) {
        if (DriverContext->Size != (CSHORT)sizeof(IO_DRIVER_CREATE_CONTEXT))
            return STATUS_INVALID_PARAMETER;
        if (DriverContext->ExtraCreateParameter)
            kf__not_modeled("FltCreateFileEx2 with extra create parameters (an ECP list)");
        if (DriverContext->TxnParameters)
            kf__not_modeled("FltCreateFileEx2 in a transaction (TxnParameters)");
        if (DriverContext->SiloContext)
            kf__not_modeled("FltCreateFileEx2 with a SiloContext");
    }
    if (Flags & ~(ULONG)CREATE_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (Flags & IO_OPEN_PAGING_FILE)
        kf__not_modeled("FltCreateFile with IO_OPEN_PAGING_FILE");
    if (Flags & IO_OPEN_TARGET_DIRECTORY)
        kf__not_modeled("FltCreateFile with IO_OPEN_TARGET_DIRECTORY");
    ACCESS_MASK access = kf__map_access(&kf__type_file, DesiredAccess);
    if (!(Flags & IO_NO_PARAMETER_CHECKING)) {
        NTSTATUS st = check_create_parameters(ObjectAttributes, access, FileAttributes, ShareAccess,
                                              CreateDisposition, CreateOptions);
        if (!NT_SUCCESS(st))
            return st;
    }
    if (EaBuffer && EaLength)
        return STATUS_EAS_NOT_SUPPORTED; /* the modeled volumes keep no extended attributes (FS-20) */
    /* The name: relative to RootDirectory's file, or a full path that starts with a volume. */
    const UNICODE_STRING *on = ObjectAttributes->ObjectName;
    const WCHAR *name = on && on->Length ? on->Buffer : NULL;
    USHORT chars = name ? (USHORT)(on->Length / sizeof(WCHAR)) : 0;
    unsigned volume = 0;
    USHORT skip = 0;
    PFILE_OBJECT related = NULL;
    if (ObjectAttributes->RootDirectory) {
        void *obj = NULL;
        NTSTATUS st = kf__handle_lookup(routine, ObjectAttributes->RootDirectory, 0, &kf__type_file, KernelMode, 0,
                                        &obj, NULL);
        if (!NT_SUCCESS(st))
            return st;
        if (!kf__flt_file_object_volume(obj, &volume) || kf__flt_fs_open_state(obj) != KF__FO_OPEN)
            return STATUS_INVALID_PARAMETER;
        if (chars && name[0] == L'\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        related = obj;
    } else {
        if (!chars)
            return STATUS_OBJECT_NAME_INVALID;
        if (name[0] != L'\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD;
        if (!starts_with_volume(name, chars, &volume, &skip))
            return STATUS_OBJECT_PATH_NOT_FOUND; /* no modeled volume has that name (FI-1) */
    }
    if (inst && inst->volume->index != volume)
        return STATUS_INVALID_DEVICE_OBJECT_PARAMETER;
    PFLT_INSTANCE target = inst ? Instance : f->instances[volume] ? (PFLT_INSTANCE)f->instances[volume] : NULL;
    if (kf_fault_consult(KF_SITE_FLT_CREATE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    PFILE_OBJECT fo = kf__flt_file_object_new(kf__flt_volume_at(volume), name ? name + skip : NULL,
                                              (USHORT)(chars - skip), related);
    if (!fo)
        return STATUS_INSUFFICIENT_RESOURCES;
    kf__flt_fs_mark_flt_open(fo, target, (Flags & IO_IGNORE_SHARE_ACCESS_CHECK) != 0);
    PFLT_CALLBACK_DATA d = new_io(target, fo, IRP_MJ_CREATE, 0, IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API);
    if (!d) {
        kf__object_deref(fo);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    IO_SECURITY_CONTEXT sc;
    memset(&sc, 0, sizeof sc);
    sc.DesiredAccess = access;
    sc.FullCreateOptions = CreateOptions;
    d->Iopb->Parameters.Create.SecurityContext = &sc;
    d->Iopb->Parameters.Create.Options = (CreateDisposition << 24) | (CreateOptions & 0x00FFFFFF);
    d->Iopb->Parameters.Create.FileAttributes = (USHORT)FileAttributes;
    d->Iopb->Parameters.Create.ShareAccess = (USHORT)ShareAccess;
    if (AllocationSize)
        d->Iopb->Parameters.Create.AllocationSize = *AllocationSize;
    if (Flags & IO_FORCE_ACCESS_CHECK)
        d->Iopb->OperationFlags |= SL_FORCE_ACCESS_CHECK;
    ULONG_PTR info = 0;
    NTSTATUS st = run_sync(d, fo, FALSE, &info);
    kf__flt_fs_create_completed(fo, st);
    if (NT_SUCCESS(st)) {
        HANDLE h;
        NTSTATUS hs = kf__handle_create(fo, access, ObjectAttributes->Attributes, KernelMode, &h);
        if (!NT_SUCCESS(hs)) {
            /* No handle: the I/O manager cleans up and closes the file it opened. */
            send_must_succeed(target, fo, IRP_MJ_CLEANUP);
            kf__object_deref(fo);
            IoStatusBlock->Status = hs;
            IoStatusBlock->Information = 0;
            return hs;
        }
        remember_handle(h, (ObjectAttributes->Attributes & OBJ_KERNEL_HANDLE) != 0, fo, target);
        if (FileObject) {
            kf__object_ref(fo);
            kf__object_give(fo); /* the caller's reference: ObDereferenceObject drops it */
            *FileObject = fo;
        }
        *FileHandle = h;
    }
    kf__object_deref(fo); /* the create's own reference: the handle (or nothing) keeps it now */
    IoStatusBlock->Status = st;
    IoStatusBlock->Information = info;
    return st;
}

NTSTATUS FLTAPI FltCreateFile(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                              POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                              PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
                              ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
                              ULONG Flags)
{
    return create_file("FltCreateFile", 0, Filter, Instance, FileHandle, NULL, DesiredAccess, ObjectAttributes,
                       IoStatusBlock, AllocationSize, FileAttributes, ShareAccess, CreateDisposition, CreateOptions,
                       EaBuffer, EaLength, Flags, NULL);
}

NTSTATUS FLTAPI FltCreateFileEx(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle, PFILE_OBJECT *FileObject,
                                ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                                PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                                ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                                ULONG EaLength, ULONG Flags)
{
    return create_file("FltCreateFileEx", 1, Filter, Instance, FileHandle, FileObject, DesiredAccess, ObjectAttributes,
                       IoStatusBlock, AllocationSize, FileAttributes, ShareAccess, CreateDisposition, CreateOptions,
                       EaBuffer, EaLength, Flags, NULL);
}

NTSTATUS FLTAPI FltCreateFileEx2(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PHANDLE FileHandle,
                                 PFILE_OBJECT *FileObject, ACCESS_MASK DesiredAccess,
                                 POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                                 PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
                                 ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
                                 ULONG Flags, PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
    return create_file("FltCreateFileEx2", 1, Filter, Instance, FileHandle, FileObject, DesiredAccess,
                       ObjectAttributes, IoStatusBlock, AllocationSize, FileAttributes, ShareAccess, CreateDisposition,
                       CreateOptions, EaBuffer, EaLength, Flags, DriverContext);
}

/* ---- FltClose: FI-5, FI-6 ------------------------------------------------------------------------------ */

static flt_handle *find_handle(HANDLE h)
{
    BOOLEAN user = (BOOLEAN)kf__user_context();
    for (size_t i = n_handles; i-- > 0;)
        if (handles[i].value == h && (handles[i].kernel || handles[i].user == user))
            return &handles[i];
    return NULL;
}

static BOOLEAN has_open_handle(PFILE_OBJECT fo)
{
    for (size_t i = 0; i < n_handles; i++)
        if (handles[i].open && handles[i].fo == fo)
            return TRUE;
    return FALSE;
}

NTSTATUS FLTAPI FltClose(HANDLE FileHandle)
{
    static const char routine[] = "FltClose";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    if (!FileHandle)
        return STATUS_INVALID_HANDLE;
    flt_handle *e = find_handle(FileHandle);
    void *obj = NULL;
    NTSTATUS st = e && !e->open ? STATUS_INVALID_HANDLE
                                : kf__handle_lookup(routine, FileHandle, 0, NULL, KernelMode, 0, &obj, NULL);
    if (NT_SUCCESS(st) && (!e || obj != e->fo))
        kf_violation_stop(KF_VIOL_FLT_CLOSE_FOREIGN_HANDLE, routine, (ULONG_PTR)FileHandle, 0, 0,
                          "FltClose(0x%llx): an open handle that no FltCreateFile* call returned",
                          (unsigned long long)(ULONG_PTR)FileHandle);
    if (!NT_SUCCESS(st))
        kf_bugcheck(routine, INVALID_KERNEL_HANDLE, (ULONG_PTR)FileHandle, 1, 0, 0,
                    "FltClose(0x%llx): the handle is not open (%s)", (unsigned long long)(ULONG_PTR)FileHandle,
                    e ? "FltClose closed it already" : "never opened in the table it names");
    e->open = FALSE;
    PFILE_OBJECT fo = e->fo;
    PFLT_INSTANCE instance = e->instance;
    kf__object_ref(fo);
    (void)ZwClose(FileHandle);
    if (!has_open_handle(fo))
        send_must_succeed(instance, fo, IRP_MJ_CLEANUP); /* the last handle: the file's cleanup */
    kf__object_deref(fo); /* the last reference: its close (flt_file.c) */
    return STATUS_SUCCESS;
}

/* ---- FltReadFile(Ex), FltWriteFile(Ex): FI-7 .. FI-10 ------------------------------------------------- */

#define IO_FLAGS                                                                                       \
    (FLTFL_IO_OPERATION_NON_CACHED | FLTFL_IO_OPERATION_PAGING | FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET | \
     FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING)

static void async_done(PFLT_CALLBACK_DATA d, PVOID context)
{
    async_io *a = context;
    if (a->restore_offset)
        a->fo->CurrentByteOffset = a->saved_offset;
    if (a->status_slot)
        *a->status_slot = d->IoStatus.Status;
    a->routine(d, a->context); /* the driver's completion, at the completion IRQL (F-21) */
    for (async_io **pp = &asyncs; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    kf__flt_io_free_own(d);
    kf__object_deref(a->fo);
    free(a);
}

static NTSTATUS read_write(const char *routine, BOOLEAN write, BOOLEAN ex, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                           PLARGE_INTEGER ByteOffset, ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags,
                           PULONG Bytes, PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext,
                           PULONG Key, PMDL Mdl)
{
    if (ex)
        require_os(routine, KF_OS_WIN8, "Windows 8");
    BOOLEAN paging = (Flags & FLTFL_IO_OPERATION_PAGING) != 0;
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!paging)
        kf__flt_require_irql(routine, PASSIVE_LEVEL); /* APC_LEVEL only for paging I/O (FI-7) */
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if ((Flags & ~(ULONG)IO_FLAGS) ||
        ((Flags & FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING) && (!paging || CallbackRoutine)) || (Buffer && Mdl))
        kf_violation_stop(KF_VIOL_FLT_FILEIO_BAD_FLAGS, routine, Flags, 0, 0,
                          "%s: Flags 0x%X%s", routine, (unsigned)Flags,
                          (Flags & ~(ULONG)IO_FLAGS) ? " hold bits the routine does not know"
                          : (Buffer && Mdl)          ? " with both a Buffer and an Mdl"
                          : !paging                  ? ": SYNCHRONOUS_PAGING requires PAGING"
                                                     : ": SYNCHRONOUS_PAGING on asynchronous I/O (a CallbackRoutine)");
    require_file(routine, inst, FileObject, 2, paging);
    if (!Buffer && !Mdl && Length)
        null_argument(routine, 5, "Buffer");
    if (!paging)
        require_calling_state(routine);
    if (tearing_down(inst))
        return STATUS_FLT_DELETING_OBJECT;
    BOOLEAN modeled = kf_flt_is_modeled_file_object(FileObject);
    BOOLEAN sync_fo = modeled && (FileObject->Flags & FO_SYNCHRONOUS_IO);
    LARGE_INTEGER offset;
    if (ByteOffset) {
        offset = *ByteOffset;
        if (modeled && !sync_fo && offset.HighPart == -1 && offset.LowPart == FILE_USE_FILE_POINTER_POSITION)
            return STATUS_INVALID_PARAMETER; /* the file pointer of an asynchronous file object */
    } else {
        if (modeled && !sync_fo)
            return STATUS_INVALID_PARAMETER; /* an asynchronous file object needs an offset */
        offset.HighPart = -1;
        offset.LowPart = FILE_USE_FILE_POINTER_POSITION;
    }
    if (kf_fault_consult(KF_SITE_FLT_FILEIO) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    ULONG irp = write ? IRP_WRITE_OPERATION : IRP_READ_OPERATION;
    if ((Flags & FLTFL_IO_OPERATION_NON_CACHED) || (modeled && (FileObject->Flags & FO_NO_INTERMEDIATE_BUFFERING)))
        irp |= IRP_NOCACHE;
    if (paging)
        irp |= IRP_PAGING_IO | IRP_NOCACHE;
    if (Flags & FLTFL_IO_OPERATION_SYNCHRONOUS_PAGING)
        irp |= IRP_SYNCHRONOUS_PAGING_IO;
    if (!CallbackRoutine)
        irp |= IRP_SYNCHRONOUS_API;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, write ? IRP_MJ_WRITE : IRP_MJ_READ, IRP_MN_NORMAL, irp);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (write) {
        d->Iopb->Parameters.Write.Length = Length;
        d->Iopb->Parameters.Write.Key = Key ? *Key : 0;
        d->Iopb->Parameters.Write.ByteOffset = offset;
        d->Iopb->Parameters.Write.WriteBuffer = Buffer;
        d->Iopb->Parameters.Write.MdlAddress = Mdl;
    } else {
        d->Iopb->Parameters.Read.Length = Length;
        d->Iopb->Parameters.Read.Key = Key ? *Key : 0;
        d->Iopb->Parameters.Read.ByteOffset = offset;
        d->Iopb->Parameters.Read.ReadBuffer = Buffer;
        d->Iopb->Parameters.Read.MdlAddress = Mdl;
    }
    if (Key)
        d->Iopb->OperationFlags |= SL_KEY_SPECIFIED;
    BOOLEAN restore = modeled && (Flags & FLTFL_IO_OPERATION_DO_NOT_UPDATE_BYTE_OFFSET);
    LARGE_INTEGER saved;
    saved.QuadPart = modeled ? FileObject->CurrentByteOffset.QuadPart : 0;
    if (!CallbackRoutine) {
        ULONG_PTR info = 0;
        NTSTATUS st = run_sync(d, FileObject, FALSE, &info);
        if (restore)
            FileObject->CurrentByteOffset = saved;
        if (Bytes)
            *Bytes = (ULONG)info;
        return st;
    }
    async_io *a = calloc(1, sizeof *a);
    if (!a) {
        kf__flt_io_free_own(d);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    a->routine = CallbackRoutine;
    a->context = CallbackContext;
    a->fo = FileObject;
    a->restore_offset = restore;
    a->saved_offset = saved;
    a->next = asyncs;
    asyncs = a;
    kf__object_ref(FileObject);
    NTSTATUS inline_status = STATUS_PENDING;
    a->status_slot = &inline_status;
    if (kf__flt_io_start_own(d, async_done, a) == STATUS_PENDING) {
        a->status_slot = NULL;
        return STATUS_PENDING;
    }
    return inline_status; /* completed: the completion routine has run */
}

NTSTATUS FLTAPI FltReadFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject, PLARGE_INTEGER ByteOffset,
                            ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags, PULONG BytesRead,
                            PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext)
{
    return read_write("FltReadFile", FALSE, FALSE, InitiatingInstance, FileObject, ByteOffset, Length, Buffer, Flags,
                      BytesRead, CallbackRoutine, CallbackContext, NULL, NULL);
}

NTSTATUS FLTAPI FltReadFileEx(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject, PLARGE_INTEGER ByteOffset,
                              ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags, PULONG BytesRead,
                              PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext, PULONG Key,
                              PMDL Mdl)
{
    return read_write("FltReadFileEx", FALSE, TRUE, InitiatingInstance, FileObject, ByteOffset, Length, Buffer, Flags,
                      BytesRead, CallbackRoutine, CallbackContext, Key, Mdl);
}

NTSTATUS FLTAPI FltWriteFile(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject, PLARGE_INTEGER ByteOffset,
                             ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags, PULONG BytesWritten,
                             PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext)
{
    return read_write("FltWriteFile", TRUE, FALSE, InitiatingInstance, FileObject, ByteOffset, Length, Buffer, Flags,
                      BytesWritten, CallbackRoutine, CallbackContext, NULL, NULL);
}

NTSTATUS FLTAPI FltWriteFileEx(PFLT_INSTANCE InitiatingInstance, PFILE_OBJECT FileObject, PLARGE_INTEGER ByteOffset,
                               ULONG Length, PVOID Buffer, FLT_IO_OPERATION_FLAGS Flags, PULONG BytesWritten,
                               PFLT_COMPLETED_ASYNC_IO_CALLBACK CallbackRoutine, PVOID CallbackContext, PULONG Key,
                               PMDL Mdl)
{
    return read_write("FltWriteFileEx", TRUE, TRUE, InitiatingInstance, FileObject, ByteOffset, Length, Buffer, Flags,
                      BytesWritten, CallbackRoutine, CallbackContext, Key, Mdl);
}

/* ---- Information, volume and directory queries: FI-11 .. FI-14 -------------------------------------------- */

/* The checks of a synchronous routine on an instance and an open file object; then its site. */
static NTSTATUS begin_file_io(const char *routine, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                              struct _FLT_INSTANCE **inst)
{
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    *inst = require_instance(routine, Instance);
    require_file(routine, *inst, FileObject, 2, FALSE);
    require_calling_state(routine);
    if (tearing_down(*inst))
        return STATUS_FLT_DELETING_OBJECT;
    return STATUS_SUCCESS;
}

static NTSTATUS fileio_site(void)
{
    return kf_fault_consult(KF_SITE_FLT_FILEIO) != KF_FAULT_NONE ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltQueryInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PVOID FileInformation,
                                        ULONG Length, FILE_INFORMATION_CLASS FileInformationClass,
                                        PULONG LengthReturned)
{
    static const char routine[] = "FltQueryInformationFile";
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (!FileInformation)
        null_argument(routine, 3, "FileInformation");
    if (LengthReturned)
        *LengthReturned = 0;
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, IRP_MJ_QUERY_INFORMATION, 0, IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->Iopb->Parameters.QueryFileInformation.Length = Length;
    d->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileInformationClass;
    d->Iopb->Parameters.QueryFileInformation.InfoBuffer = FileInformation;
    ULONG_PTR info = 0;
    st = run_sync(d, FileObject, FALSE, &info);
    if (LengthReturned)
        *LengthReturned = (ULONG)info;
    return st;
}

NTSTATUS FLTAPI FltSetInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PVOID FileInformation,
                                      ULONG Length, FILE_INFORMATION_CLASS FileInformationClass)
{
    static const char routine[] = "FltSetInformationFile";
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (!FileInformation)
        null_argument(routine, 3, "FileInformation");
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, IRP_MJ_SET_INFORMATION, 0, IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->Iopb->Parameters.SetFileInformation.Length = Length;
    d->Iopb->Parameters.SetFileInformation.FileInformationClass = FileInformationClass;
    d->Iopb->Parameters.SetFileInformation.InfoBuffer = FileInformation;
    if ((FileInformationClass == FileRenameInformation || FileInformationClass == FileLinkInformation) &&
        Length >= sizeof(BOOLEAN))
        d->Iopb->Parameters.SetFileInformation.ReplaceIfExists = *(const BOOLEAN *)FileInformation;
    return run_sync(d, FileObject, FALSE, NULL);
}

NTSTATUS FLTAPI FltQueryVolumeInformationFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PVOID FsInformation,
                                              ULONG Length, FS_INFORMATION_CLASS FsInformationClass,
                                              PULONG LengthReturned)
{
    static const char routine[] = "FltQueryVolumeInformationFile";
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (!FsInformation)
        null_argument(routine, 3, "FsInformation");
    if (LengthReturned)
        *LengthReturned = 0;
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, IRP_MJ_QUERY_VOLUME_INFORMATION, 0,
                                  IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->Iopb->Parameters.QueryVolumeInformation.Length = Length;
    d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass = FsInformationClass;
    d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer = FsInformation;
    ULONG_PTR info = 0;
    st = run_sync(d, FileObject, FALSE, &info);
    if (LengthReturned)
        *LengthReturned = (ULONG)info;
    return st;
}

NTSTATUS FLTAPI FltQueryVolumeInformation(PFLT_INSTANCE Instance, PIO_STATUS_BLOCK Iosb, PVOID FsInformation,
                                          ULONG Length, FS_INFORMATION_CLASS FsInformationClass)
{
    static const char routine[] = "FltQueryVolumeInformation";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if (!Iosb)
        null_argument(routine, 2, "Iosb");
    if (!FsInformation)
        null_argument(routine, 3, "FsInformation");
    require_calling_state(routine);
    NTSTATUS st = tearing_down(inst) ? STATUS_FLT_DELETING_OBJECT : STATUS_SUCCESS;
    if (NT_SUCCESS(st) && inst->volume->config.device_type == FILE_DEVICE_NETWORK_FILE_SYSTEM)
        st = STATUS_INVALID_PARAMETER; /* documented: not supported on a network volume */
    if (NT_SUCCESS(st))
        st = fileio_site();
    ULONG_PTR info = 0;
    if (NT_SUCCESS(st)) {
        PFLT_CALLBACK_DATA d = new_io(Instance, NULL, IRP_MJ_QUERY_VOLUME_INFORMATION, 0,
                                      IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO);
        if (!d)
            st = STATUS_INSUFFICIENT_RESOURCES;
        else {
            d->Iopb->Parameters.QueryVolumeInformation.Length = Length;
            d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass = FsInformationClass;
            d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer = FsInformation;
            st = run_sync(d, NULL, FALSE, &info);
        }
    }
    Iosb->Status = st;
    Iosb->Information = info;
    return st;
}

#define QUERY_FLAGS (SL_RESTART_SCAN | SL_RETURN_SINGLE_ENTRY | SL_INDEX_SPECIFIED | SL_RETURN_ON_DISK_ENTRIES_ONLY | SL_NO_CURSOR_UPDATE)

static NTSTATUS query_directory(const char *routine, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass,
                                ULONG QueryFlags, PUNICODE_STRING FileName, PULONG LengthReturned)
{
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (!FileInformation)
        null_argument(routine, 3, "FileInformation");
    if (FileName)
        kf__check_unicode_string(routine, FileName, "FileName");
    if (LengthReturned)
        *LengthReturned = 0;
    if (NT_SUCCESS(st) && (QueryFlags & ~(ULONG)QUERY_FLAGS))
        st = STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, IRP_MJ_DIRECTORY_CONTROL, IRP_MN_QUERY_DIRECTORY,
                                  IRP_SYNCHRONOUS_API);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->Iopb->OperationFlags = (UCHAR)QueryFlags;
    d->Iopb->Parameters.DirectoryControl.QueryDirectory.Length = Length;
    d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileName = FileName;
    d->Iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass = FileInformationClass;
    d->Iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer = FileInformation;
    ULONG_PTR info = 0;
    st = run_sync(d, FileObject, FALSE, &info);
    if (LengthReturned)
        *LengthReturned = (ULONG)info;
    return st;
}

NTSTATUS FLTAPI FltQueryDirectoryFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PVOID FileInformation,
                                      ULONG Length, FILE_INFORMATION_CLASS FileInformationClass,
                                      BOOLEAN ReturnSingleEntry, PUNICODE_STRING FileName, BOOLEAN RestartScan,
                                      PULONG LengthReturned)
{
    return query_directory("FltQueryDirectoryFile", Instance, FileObject, FileInformation, Length, FileInformationClass,
                           (ReturnSingleEntry ? SL_RETURN_SINGLE_ENTRY : 0u) | (RestartScan ? SL_RESTART_SCAN : 0u),
                           FileName, LengthReturned);
}

NTSTATUS FLTAPI FltQueryDirectoryFileEx(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, PVOID FileInformation,
                                        ULONG Length, FILE_INFORMATION_CLASS FileInformationClass, ULONG QueryFlags,
                                        PUNICODE_STRING FileName, PULONG LengthReturned)
{
    require_os("FltQueryDirectoryFileEx", KF_OS_WIN10, "Windows 10");
    return query_directory("FltQueryDirectoryFileEx", Instance, FileObject, FileInformation, Length,
                           FileInformationClass, QueryFlags, FileName, LengthReturned);
}

/* ---- Flushes and controls: FI-15, FI-16 ----------------------------------------------------------------- */

#define FLUSH_TYPE_INVALID 0xFF

static NTSTATUS flush(const char *routine, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, UCHAR minor)
{
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (NT_SUCCESS(st) && minor == FLUSH_TYPE_INVALID)
        st = STATUS_INVALID_PARAMETER; /* one of the documented types, never a combination */
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, IRP_MJ_FLUSH_BUFFERS, minor, IRP_SYNCHRONOUS_API);
    return d ? run_sync(d, FileObject, FALSE, NULL) : STATUS_INSUFFICIENT_RESOURCES;
}

NTSTATUS FLTAPI FltFlushBuffers(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject)
{
    return flush("FltFlushBuffers", Instance, FileObject, 0);
}

NTSTATUS FLTAPI FltFlushBuffers2(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, ULONG FlushType,
                                 PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltFlushBuffers2";
    require_os(routine, KF_OS_WIN10, "Windows 10");
    (void)CallbackData; /* carries the caller's IRP extension, which the model has none of */
    UCHAR minor;
    switch (FlushType) {
    case 0: minor = 0; break;
    case FLT_FLUSH_TYPE_FLUSH_AND_PURGE: minor = IRP_MN_FLUSH_AND_PURGE; break;
    case FLT_FLUSH_TYPE_FILE_DATA_ONLY: minor = IRP_MN_FLUSH_DATA_ONLY; break;
    case FLT_FLUSH_TYPE_NO_SYNC: minor = IRP_MN_FLUSH_NO_SYNC; break;
    case FLT_FLUSH_TYPE_DATA_SYNC_ONLY: minor = IRP_MN_FLUSH_DATA_SYNC_ONLY; break;
    default: minor = FLUSH_TYPE_INVALID;
    }
    return flush(routine, Instance, FileObject, minor);
}

static NTSTATUS control(const char *routine, UCHAR major, PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, ULONG Code,
                        PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                        PULONG LengthReturned)
{
    struct _FLT_INSTANCE *inst;
    NTSTATUS st = begin_file_io(routine, Instance, FileObject, &inst);
    if (!InputBuffer && InputBufferLength)
        null_argument(routine, 4, "InputBuffer");
    if (!OutputBuffer && OutputBufferLength)
        null_argument(routine, 6, "OutputBuffer");
    if (LengthReturned)
        *LengthReturned = 0;
    if (!NT_SUCCESS(st) || !NT_SUCCESS(st = fileio_site()))
        return st;
    ULONG method = METHOD_FROM_CTL_CODE(Code);
    ULONG sys_len = method == METHOD_BUFFERED ? (InputBufferLength > OutputBufferLength ? InputBufferLength
                                                                                        : OutputBufferLength)
                    : method == METHOD_NEITHER ? 0
                                               : InputBufferLength;
    UCHAR *sys = sys_len ? calloc(1, sys_len) : NULL;
    if (sys_len && !sys)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (sys && InputBufferLength)
        memcpy(sys, InputBuffer, InputBufferLength);
    PFLT_CALLBACK_DATA d = new_io(Instance, FileObject, major,
                                  major == IRP_MJ_FILE_SYSTEM_CONTROL ? IRP_MN_USER_FS_REQUEST : 0,
                                  IRP_SYNCHRONOUS_API | (method == METHOD_BUFFERED ? IRP_BUFFERED_IO : 0));
    if (!d) {
        free(sys);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* The FileSystemControl and DeviceIoControl members share one layout. */
    d->Iopb->Parameters.FileSystemControl.Common.OutputBufferLength = OutputBufferLength;
    d->Iopb->Parameters.FileSystemControl.Common.InputBufferLength = InputBufferLength;
    d->Iopb->Parameters.FileSystemControl.Common.FsControlCode = Code;
    if (method == METHOD_BUFFERED)
        d->Iopb->Parameters.FileSystemControl.Buffered.SystemBuffer = sys;
    else if (method == METHOD_NEITHER) {
        d->Iopb->Parameters.FileSystemControl.Neither.InputBuffer = InputBuffer;
        d->Iopb->Parameters.FileSystemControl.Neither.OutputBuffer = OutputBuffer;
    } else {
        d->Iopb->Parameters.FileSystemControl.Direct.InputSystemBuffer = sys;
        d->Iopb->Parameters.FileSystemControl.Direct.OutputBuffer = OutputBuffer;
    }
    ULONG_PTR info = 0;
    st = run_sync(d, FileObject, FALSE, &info);
    if (info > OutputBufferLength)
        info = OutputBufferLength;
    if (method == METHOD_BUFFERED && sys && info && !NT_ERROR(st))
        memcpy(OutputBuffer, sys, info);
    free(sys);
    if (LengthReturned)
        *LengthReturned = (ULONG)info;
    return st;
}

NTSTATUS FLTAPI FltFsControlFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, ULONG FsControlCode, PVOID InputBuffer,
                                 ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                 PULONG LengthReturned)
{
    return control("FltFsControlFile", IRP_MJ_FILE_SYSTEM_CONTROL, Instance, FileObject, FsControlCode, InputBuffer,
                   InputBufferLength, OutputBuffer, OutputBufferLength, LengthReturned);
}

NTSTATUS FLTAPI FltDeviceIoControlFile(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject, ULONG IoControlCode,
                                       PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                       ULONG OutputBufferLength, PULONG LengthReturned)
{
    return control("FltDeviceIoControlFile", IRP_MJ_DEVICE_CONTROL, Instance, FileObject, IoControlCode, InputBuffer,
                   InputBufferLength, OutputBuffer, OutputBufferLength, LengthReturned);
}

/* ---- FltDecodeParameters, FltLockUserBuffer: FI-17, FI-18 ---------------------------------------------- */

/* Where an operation keeps its MDL, buffer and length, and the access its buffer needs. FALSE
 * for an operation without buffer parameters. mdl is NULL when it has no MDL member. */
static BOOLEAN decode(PFLT_CALLBACK_DATA d, PMDL **mdl, PVOID **buf, PULONG *len, LOCK_OPERATION *access)
{
    PFLT_PARAMETERS p = &d->Iopb->Parameters;
    *mdl = NULL;
    switch (d->Iopb->MajorFunction) {
    case IRP_MJ_READ:
        *mdl = &p->Read.MdlAddress, *buf = &p->Read.ReadBuffer, *len = &p->Read.Length, *access = IoWriteAccess;
        return TRUE;
    case IRP_MJ_WRITE:
        *mdl = &p->Write.MdlAddress, *buf = &p->Write.WriteBuffer, *len = &p->Write.Length, *access = IoReadAccess;
        return TRUE;
    case IRP_MJ_DIRECTORY_CONTROL:
        if (d->Iopb->MinorFunction == IRP_MN_QUERY_DIRECTORY) {
            *mdl = &p->DirectoryControl.QueryDirectory.MdlAddress;
            *buf = &p->DirectoryControl.QueryDirectory.DirectoryBuffer;
            *len = &p->DirectoryControl.QueryDirectory.Length;
        } else if (d->Iopb->MinorFunction == IRP_MN_NOTIFY_CHANGE_DIRECTORY ||
                   d->Iopb->MinorFunction == IRP_MN_NOTIFY_CHANGE_DIRECTORY_EX) {
            *mdl = &p->DirectoryControl.NotifyDirectory.MdlAddress;
            *buf = &p->DirectoryControl.NotifyDirectory.DirectoryBuffer;
            *len = &p->DirectoryControl.NotifyDirectory.Length;
        } else
            return FALSE;
        *access = IoWriteAccess;
        return TRUE;
    case IRP_MJ_QUERY_EA:
        *mdl = &p->QueryEa.MdlAddress, *buf = &p->QueryEa.EaBuffer, *len = &p->QueryEa.Length, *access = IoWriteAccess;
        return TRUE;
    case IRP_MJ_SET_EA:
        *mdl = &p->SetEa.MdlAddress, *buf = &p->SetEa.EaBuffer, *len = &p->SetEa.Length, *access = IoReadAccess;
        return TRUE;
    case IRP_MJ_QUERY_SECURITY:
        *mdl = &p->QuerySecurity.MdlAddress, *buf = &p->QuerySecurity.SecurityBuffer;
        *len = &p->QuerySecurity.Length, *access = IoWriteAccess;
        return TRUE;
    case IRP_MJ_FILE_SYSTEM_CONTROL:
        if (d->Iopb->MinorFunction != IRP_MN_USER_FS_REQUEST && d->Iopb->MinorFunction != IRP_MN_KERNEL_CALL)
            return FALSE;
        /* the FSCTL members share the device control layout */
        __attribute__((fallthrough));
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL: {
        ULONG code = p->FileSystemControl.Common.FsControlCode;
        *len = &p->FileSystemControl.Common.OutputBufferLength;
        *access = IoWriteAccess;
        switch (METHOD_FROM_CTL_CODE(code)) {
        case METHOD_BUFFERED:
            *buf = &p->FileSystemControl.Buffered.SystemBuffer;
            break;
        case METHOD_NEITHER:
            *mdl = &p->FileSystemControl.Neither.OutputMdlAddress, *buf = &p->FileSystemControl.Neither.OutputBuffer;
            break;
        default:
            *mdl = &p->FileSystemControl.Direct.OutputMdlAddress, *buf = &p->FileSystemControl.Direct.OutputBuffer;
            if (METHOD_FROM_CTL_CODE(code) == METHOD_IN_DIRECT)
                *access = IoReadAccess;
        }
        return TRUE;
    }
    default:
        return FALSE;
    }
}

NTSTATUS FLTAPI FltDecodeParameters(PFLT_CALLBACK_DATA CallbackData, PMDL **MdlAddressPointer, PVOID **Buffer,
                                    PULONG *Length, LOCK_OPERATION *DesiredAccess)
{
    static const char routine[] = "FltDecodeParameters";
    if (!CallbackData || !Buffer || !Length)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine,
                          !CallbackData ? "CallbackData" : !Buffer ? "Buffer" : "Length");
    PMDL *mdl;
    PVOID *buf;
    PULONG len;
    LOCK_OPERATION access;
    if (!decode(CallbackData, &mdl, &buf, &len, &access))
        return STATUS_INVALID_PARAMETER;
    if (MdlAddressPointer)
        *MdlAddressPointer = mdl;
    *Buffer = buf;
    *Length = len;
    if (DesiredAccess)
        *DesiredAccess = access;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltLockUserBuffer(PFLT_CALLBACK_DATA CallbackData)
{
    static const char routine[] = "FltLockUserBuffer";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!CallbackData)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: CallbackData is NULL", routine);
    PMDL *mdl_at;
    PVOID *buf_at;
    PULONG len_at;
    LOCK_OPERATION access;
    UCHAR major = CallbackData->Iopb->MajorFunction;
    if (!decode(CallbackData, &mdl_at, &buf_at, &len_at, &access) || !mdl_at ||
        ((major == IRP_MJ_READ || major == IRP_MJ_WRITE) && (CallbackData->Iopb->MinorFunction & IRP_MN_MDL)))
        return STATUS_INVALID_PARAMETER;
    if (*mdl_at || !*buf_at || !*len_at)
        return STATUS_SUCCESS; /* locked already, or nothing to describe */
    locked_mdl *rec = malloc(sizeof *rec);
    if (!rec)
        return STATUS_INSUFFICIENT_RESOURCES;
    PMDL mdl = IoAllocateMdl(*buf_at, *len_at, FALSE, FALSE, NULL);
    if (!mdl) {
        free(rec);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    volatile NTSTATUS st = STATUS_SUCCESS;
    PMDL volatile probed = mdl;
    __try {
        MmProbeAndLockPages(probed, CallbackData->RequestorMode, access);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        st = GetExceptionCode();
    }
    if (!NT_SUCCESS(st)) {
        IoFreeMdl(probed);
        free(rec);
        return st;
    }
    rec->data = CallbackData;
    rec->mdl = probed;
    rec->next = locked;
    locked = rec;
    *mdl_at = probed;
    FltSetCallbackDataDirty(CallbackData);
    return STATUS_SUCCESS;
}

void kf__flt_fileio_data_gone(PFLT_CALLBACK_DATA data)
{
    for (locked_mdl **pp = &locked; *pp;) {
        locked_mdl *r = *pp;
        if (r->data == data) {
            *pp = r->next;
            MmUnlockPages(r->mdl);
            IoFreeMdl(r->mdl);
            free(r);
        } else
            pp = &r->next;
    }
}

/* ---- Reset --------------------------------------------------------------------------------------------- */

static void fileio_reset(void)
{
    /* The objects, handles, MDLs and callback data themselves go with their owners' resets. */
    free(handles);
    handles = NULL;
    n_handles = cap_handles = 0;
    while (asyncs) {
        async_io *a = asyncs;
        asyncs = a->next;
        free(a);
    }
    while (locked) {
        locked_mdl *r = locked;
        locked = r->next;
        free(r);
    }
}

__attribute__((constructor)) static void fileio_register(void) { kf__register_reset(fileio_reset); }
