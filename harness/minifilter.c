/*
 * minifilter.c - the generic minifilter fuzzer: the driver linked with libkfault_minifilter.a is
 * loaded through its own DriverEntry, the I/O a scenario describes (mf_create, mf_io, mf_detach,
 * mf_unload, run_pending) is sent through Filter Manager's dispatch to the callbacks it
 * registered, and the driver environment (driver_env.c) unloads and judges it: any stop,
 * sanitizer report, leak of any kind, IRQL left raised, and the callback contract's own
 * findings (pended operations never completed, names and references kept, swapped buffers
 * never freed). A finding names the invariant, the callback and the operation. Also the seeds
 * made from the filter's registration (kfh_mf_write_seeds).
 *
 * What the I/O manager would never do is never done here: I/O on a file object whose create
 * failed, a second create on one, a close while I/O holds it (flt_dispatch.c refuses those).
 * Must never decide from a clock or an address: the run is a function of the scenario bytes.
 */
#include "kfault/minifilter.h"
#include "kfault/flt_model.h"

#include <ntifs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The driver --------------------------------------------------------------------------- */

static DRIVER_OBJECT driver;
static DRIVER_EXTENSION extension;
static WCHAR path_buffer[128];
static UNICODE_STRING registry_path;

static void driver_object_init(void)
{
    static const char prefix[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
    static const char service[] = KFH_MF_SERVICE;
    size_t n = 0;
    for (const char *p = prefix; *p; p++)
        path_buffer[n++] = (WCHAR)*p;
    size_t at = n;
    for (const char *p = service; *p; p++)
        path_buffer[n++] = (WCHAR)*p;
    path_buffer[n] = 0;
    registry_path.Buffer = path_buffer;
    registry_path.Length = (USHORT)(n * sizeof(WCHAR));
    registry_path.MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
    memset(&driver, 0, sizeof driver);
    memset(&extension, 0, sizeof extension);
    driver.Type = 4; /* IO_TYPE_DRIVER */
    driver.Size = (SHORT)sizeof driver;
    driver.DriverExtension = &extension;
    extension.DriverObject = &driver;
    extension.ServiceKeyName.Buffer = path_buffer + at;
    extension.ServiceKeyName.Length = (USHORT)((n - at) * sizeof(WCHAR));
    extension.ServiceKeyName.MaximumLength = extension.ServiceKeyName.Length;
}

/* ---- The run's state ------------------------------------------------------------------------ */

/* A buffer an operation in flight uses (the I/O manager's), freed when it completes. */
typedef struct mbuf {
    struct mbuf *next;
    unsigned long long serial;
    int done;
    _Alignas(16) UCHAR data[]; /* as aligned as the I/O manager's buffers */
} mbuf;

#define MAX_STACK 16

typedef struct mf_frame {
    kf_flt_event_kind kind;
    unsigned long long serial;
    UCHAR major, minor;
    unsigned volume;
    char file[96];
} mf_frame;

static struct {
    const kfh_scenario *s;
    int cur_op;                     /* the scenario operation running (-1: none) */
    PFILE_OBJECT fo[KFH_MF_SLOTS];
    unsigned generated;             /* I/O the filter issued that reached the layers below */
    mbuf *bufs;
    /* The callbacks running now, innermost last (what a stop interrupts stays here). */
    unsigned depth;
    mf_frame stack[MAX_STACK];
    int in_callback_stop;           /* depth when the run ended (a stop inside a callback) */
} M;

static void free_bufs(void)
{
    while (M.bufs) {
        mbuf *b = M.bufs;
        M.bufs = b->next;
        free(b);
    }
}

static mbuf *new_buf(size_t n)
{
    mbuf *b = calloc(1, sizeof *b + (n ? n : 1));
    if (!b)
        return NULL;
    b->next = M.bufs;
    M.bufs = b;
    return b;
}

static void io_done(void *ctx, unsigned long long serial, NTSTATUS status, ULONG_PTR info)
{
    mbuf *b = ctx;
    if (b)
        b->done = 1; /* freed with the others at the end of the run: a filter may still hold it */
    kfh_trace_event("mf complete #%llu: 0x%08X info=0x%llx", serial, (unsigned)status, (unsigned long long)info);
}

static void ascii_of(const UNICODE_STRING *u, char *out, size_t cap)
{
    size_t k = 0;
    for (USHORT i = 0; u && u->Buffer && i < u->Length / sizeof(WCHAR) && k + 1 < cap; i++) {
        WCHAR c = u->Buffer[i];
        out[k++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    out[k] = 0;
}

static const char *major_text(UCHAR m) { return FltGetIrpName(m); }

/* ---- What Filter Manager tells (the trace, and where a finding happened) ------------------------ */

static void observe(void *ctx, const kf_flt_event *ev)
{
    (void)ctx;
    char file[96];
    ascii_of(ev->file, file, sizeof file);
    switch (ev->kind) {
    case KF_FLT_EV_PRE:
    case KF_FLT_EV_POST:
        if (M.depth < MAX_STACK) {
            M.stack[M.depth].kind = ev->kind;
            M.stack[M.depth].serial = ev->serial;
            M.stack[M.depth].major = ev->major;
            M.stack[M.depth].minor = ev->minor;
            M.stack[M.depth].volume = ev->volume;
            snprintf(M.stack[M.depth].file, sizeof M.stack[M.depth].file, "%s", file);
        }
        M.depth++;
        kfh_trace_event("%s %s #%llu minor %u on %s volume %u irql %u%s",
                        ev->kind == KF_FLT_EV_PRE ? "pre" : "post", major_text(ev->major), ev->serial, ev->minor,
                        file[0] ? file : "(volume)", ev->volume, ev->irql,
                        (ev->flags & FLTFL_POST_OPERATION_DRAINING) ? " draining" : "");
        break;
    case KF_FLT_EV_PRE_RETURN:
    case KF_FLT_EV_POST_RETURN:
        if (M.depth)
            M.depth--;
        kfh_trace_event("  -> %ld", (long)ev->status);
        break;
    case KF_FLT_EV_COMPLETE:
        break;
    }
}

/* The callback a stop interrupted, or the scenario operation that was running. */
static void describe_where(char *where, size_t wlen)
{
    if (!wlen)
        return;
    where[0] = 0;
    unsigned d = M.in_callback_stop;
    if (d && d <= MAX_STACK) {
        const mf_frame *c = &M.stack[d - 1];
        snprintf(where, wlen, "in the %s-operation callback of %s (minor 0x%02x) on %s, volume %u, operation #%llu",
                 c->kind == KF_FLT_EV_PRE ? "pre" : "post", major_text(c->major), c->minor,
                 c->file[0] ? c->file : "(the volume)", c->volume, c->serial);
    } else if (M.s && M.cur_op >= 0 && M.cur_op < M.s->n) {
        char line[160];
        kfh_op_format(&M.s->ops[M.cur_op], line, sizeof line);
        snprintf(where, wlen, "during scenario operation %d: %s", M.cur_op + 1, line);
    }
}

/* ---- The layers below: scripted answers for the filter's own I/O ------------------------------- */

static void mf_lower(void *ctx, kf_flt_lower_io *io)
{
    (void)ctx;
    /* I/O Filter Manager delivered keeps the file system's answer (or the operation's own). */
    if (!(io->data->Flags & FLTFL_CALLBACK_DATA_GENERATED_IO))
        return;
    const kfh_env *e = kfh_driver_env();
    unsigned k = M.generated++;
    PFLT_IO_PARAMETER_BLOCK iopb = io->data->Iopb;
    if (!io->fault && e && k < e->n_lower && e->lower[k].status != STATUS_PENDING) {
        io->status = e->lower[k].status;
        io->information = e->lower[k].information;
        if (iopb->MajorFunction == IRP_MJ_READ && io->information > iopb->Parameters.Read.Length)
            io->information = iopb->Parameters.Read.Length;
    }
    kfh_trace_event("filter io %u: %s minor %u -> 0x%08X info=0x%llx", k, major_text(iopb->MajorFunction),
                    iopb->MinorFunction, (unsigned)io->status, (unsigned long long)io->information);
}

/* ---- Loading ---------------------------------------------------------------------------------- */

static NTSTATUS load(void)
{
    driver_object_init();
    M.generated = 0;
    kf_flt_set_lower_hook(mf_lower, NULL);
    kf_flt_set_observer(observe, NULL);
    return DriverEntry(&driver, &registry_path);
}

static PFLT_FILTER filter(void) { return kf_flt_filter_of(&driver); }

/* ---- The operations ------------------------------------------------------------------------------ */

/* The volumes hold the table's directories, as a Windows volume does. */
static void install_directories(void)
{
    for (unsigned v = 0; v < kf_flt_volume_count(); v++)
        for (size_t i = 0; kfh_mf_directory_at(i); i++) {
            WCHAR w[96];
            const char *p = kfh_mf_directory_at(i);
            size_t n = 0;
            for (; p[n] && n + 1 < 96; n++)
                w[n] = (WCHAR)p[n];
            w[n] = 0;
            kf_flt_file_spec spec = {w, FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
            (void)kf_flt_add_file(v, &spec);
        }
}

static NTSTATUS answer_into(kf_flt_io *io, unsigned answer)
{
    answer %= KFH_MF_ANSWERS;
    if (answer == KFH_MF_HELD)
        io->lower_pends = TRUE;
    else if (answer) {
        io->lower_override = TRUE;
        io->lower_status = kfh_mf_answer_at(answer);
    }
    return STATUS_SUCCESS;
}

/* The name of mf_create's file: the table's path, then the extension. */
static USHORT create_name(const kfh_op *op, WCHAR *w, size_t cap, char *text, size_t tcap)
{
    const char *path = kfh_mf_name_path(op->b);
    char ext[5];
    kfh_mf_ext_text(op->size_raw, ext);
    snprintf(text, tcap, "%s%s%s", path, path[0] && ext[0] ? "." : "", path[0] ? ext : "");
    size_t n = 0;
    for (const char *p = path; *p && n + 1 < cap; p++)
        w[n++] = (WCHAR)(unsigned char)*p;
    if (path[0] && ext[0] && n + 1 < cap)
        w[n++] = L'.';
    for (const char *p = ext; path[0] && *p && n + 1 < cap; p++)
        w[n++] = (WCHAR)(unsigned char)*p;
    w[n] = 0;
    return (USHORT)n;
}

static void exec_create(const kfh_op *op)
{
    unsigned slot = op->a & 7u, vol = (op->a >> 3) & 3u;
    if (M.fo[slot] || vol >= kf_flt_volume_count()) {
        kfh_trace_event("  skipped: %s", M.fo[slot] ? "the file slot is in use" : "no such volume");
        return;
    }
    WCHAR w[128];
    char text[128];
    USHORT chars = create_name(op, w, 128, text, sizeof text);
    BOOLEAN dir = (op->a & KFH_MF_DIRECTORY) != 0;
    ULONG attr_bits = (op->size_sel >> 2) & 7u;
    ULONG attributes = (attr_bits & KFH_MF_ATTR_READONLY ? FILE_ATTRIBUTE_READONLY : 0) |
                       (attr_bits & KFH_MF_ATTR_HIDDEN ? FILE_ATTRIBUTE_HIDDEN : 0) |
                       (attr_bits & KFH_MF_ATTR_SYSTEM ? FILE_ATTRIBUTE_SYSTEM : 0);
    if ((op->a & KFH_MF_EXISTS) && chars) {
        /* The file is there before the create: its contents name it, so a filter that reads
         * finds something to look at. */
        static UCHAR contents[1024];
        size_t tl = strlen(text);
        for (size_t i = 0; i < sizeof contents; i++)
            contents[i] = (UCHAR)(i % (tl + 1) == tl ? '\n' : text[i % (tl + 1)]);
        kf_flt_file_spec spec = {w, dir ? FILE_ATTRIBUTE_DIRECTORY : attributes, dir ? NULL : contents,
                                 dir ? 0 : (ULONG)sizeof contents};
        (void)kf_flt_add_file(vol, &spec);
    }
    PFILE_OBJECT fo = kf_flt_io_file_object(vol, w, chars, NULL);
    if (!fo) {
        kfh_trace_event("  skipped: no file object");
        return;
    }
    M.fo[slot] = fo;
    static const ULONG options[5] = {FILE_DELETE_ON_CLOSE, FILE_SYNCHRONOUS_IO_NONALERT,
                                     FILE_NO_INTERMEDIATE_BUFFERING, FILE_WRITE_THROUGH, FILE_OPEN_REPARSE_POINT};
    ULONG opts = dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE;
    for (int i = 0; i < 5; i++)
        if (op->c & (0x08u << i))
            opts |= options[i];
    kf_flt_io io;
    memset(&io, 0, sizeof io);
    io.major = IRP_MJ_CREATE;
    io.irp_flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API | IRP_DEFER_IO_COMPLETION;
    io.requestor_mode = (op->a & KFH_MF_KERNEL) ? KernelMode : UserMode;
    io.desired_access = kfh_mf_access_at(op->size_sel & 3u) | ((opts & FILE_DELETE_ON_CLOSE) ? DELETE : 0);
    io.parameters.Create.Options = (kfh_mf_disposition_at(op->c & 7u) << 24) | opts;
    io.parameters.Create.FileAttributes = (USHORT)(attributes ? attributes : FILE_ATTRIBUTE_NORMAL);
    io.parameters.Create.ShareAccess = FILE_SHARE_READ | FILE_SHARE_WRITE;
    answer_into(&io, op->size_sel >> 5);
    unsigned long long serial;
    NTSTATUS st = kf_flt_send_io(fo, &io, io_done, NULL, &serial);
    kfh_trace_event("mf_create slot %u #%llu %s on volume %u: 0x%08X", slot, serial, text[0] ? text : "(volume)", vol,
                    (unsigned)st);
}

static const FILE_INFORMATION_CLASS query_classes[8] = {
    FileBasicInformation, FileStandardInformation, FileNameInformation, FileNetworkOpenInformation,
    FilePositionInformation, FileAllInformation, FileAttributeTagInformation, FileInternalInformation,
};
static const FILE_INFORMATION_CLASS set_classes[8] = {
    FileBasicInformation, FileRenameInformation, FileDispositionInformation, FileDispositionInformationEx,
    FileEndOfFileInformation, FileAllocationInformation, FilePositionInformation, FileLinkInformation,
};
static const FILE_INFORMATION_CLASS dir_classes[8] = {
    FileNamesInformation, FileDirectoryInformation, FileFullDirectoryInformation, FileBothDirectoryInformation,
    FileIdBothDirectoryInformation, FileIdFullDirectoryInformation, FileNamesInformation, FileDirectoryInformation,
};
static const FS_INFORMATION_CLASS volume_classes[8] = {
    FileFsVolumeInformation, FileFsSizeInformation, FileFsDeviceInformation, FileFsAttributeInformation,
    FileFsFullSizeInformation, FileFsObjectIdInformation, FileFsSectorSizeInformation, FileFsVolumeFlagsInformation,
};
static const ULONG fsctl_codes[8] = {
    FSCTL_REQUEST_OPLOCK_LEVEL_1, FSCTL_REQUEST_OPLOCK_LEVEL_2, FSCTL_REQUEST_BATCH_OPLOCK,
    FSCTL_REQUEST_FILTER_OPLOCK, 0x000900A8 /* FSCTL_GET_REPARSE_POINT */, 0x000900C4 /* FSCTL_SET_SPARSE */,
    0x00090028 /* FSCTL_IS_VOLUME_MOUNTED */, 0x00090073 /* FSCTL_GET_RETRIEVAL_POINTERS */,
};
static const ULONG ioctl_codes[8] = {
    0x00070000 /* IOCTL_DISK_GET_DRIVE_GEOMETRY */, 0x002D1080 /* IOCTL_STORAGE_GET_DEVICE_NUMBER */,
    0x004D0008 /* IOCTL_MOUNTDEV_QUERY_DEVICE_NAME */, 0x00222000, 0x00222003, 0x00222001, 0x00222006, 0x0022A002,
};

/* A rename or link target: another name of the table, the extension txt, same volume. */
static ULONG rename_info(UCHAR *buf, size_t cap, unsigned index, BOOLEAN replace)
{
    const char *path = kfh_mf_name_path(index);
    char name[96];
    snprintf(name, sizeof name, "%s.%s", path[0] ? path : "\\renamed", "txt");
    size_t n = strlen(name);
    ULONG size = (ULONG)(FIELD_OFFSET(FILE_RENAME_INFORMATION, FileName) + n * sizeof(WCHAR));
    if (size > cap)
        return 0;
    FILE_RENAME_INFORMATION *r = (FILE_RENAME_INFORMATION *)buf;
    r->ReplaceIfExists = replace;
    r->RootDirectory = NULL;
    r->FileNameLength = (ULONG)(n * sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        r->FileName[i] = (WCHAR)name[i];
    return size;
}

static void exec_io(const kfh_op *op)
{
    unsigned slot = op->a & 7u;
    PFILE_OBJECT fo = M.fo[slot];
    if (!fo) {
        kfh_trace_event("  skipped: no file in slot %u", slot);
        return;
    }
    unsigned kind = op->b % KFH_MF_IO_KINDS, v = op->c;
    ULONG len = op->size_raw & 0xFFFF;
    LONGLONG offset = (LONGLONG)(op->size_raw >> 16) * 512;
    /* Non-cached and paging reads and writes come in whole sectors (the I/O manager refuses
     * others; the cache and memory managers send pages): the length is rounded up to 512. */
    if ((kind == KFH_MF_READ || kind == KFH_MF_WRITE) && !(v & KFH_MF_RW_FAST) &&
        (v & (KFH_MF_RW_PAGING | KFH_MF_RW_NOCACHE)))
        len = (len + 511u) & ~511u;
    if (kind == KFH_MF_CLOSE) {
        M.fo[slot] = NULL;
        int rc = kf_flt_io_close(fo);
        kfh_trace_event("mf close slot %u: %d", slot, rc);
        return;
    }
    kf_flt_io io;
    memset(&io, 0, sizeof io);
    io.requestor_mode = UserMode;
    io.post_irql = (KIRQL)((op->a >> 3) & 3u);
    answer_into(&io, op->a >> 5);
    mbuf *b = NULL;
    KIRQL at = PASSIVE_LEVEL;
    size_t need = len + 64;
    b = new_buf(need);
    if (!b) {
        kfh_trace_event("  skipped: no host memory");
        return;
    }
    FLT_PARAMETERS *p = &io.parameters;
    switch (kind) {
    case KFH_MF_READ:
    case KFH_MF_WRITE:
        io.major = kind == KFH_MF_READ ? IRP_MJ_READ : IRP_MJ_WRITE;
        if (v & KFH_MF_RW_PAGING)
            io.irp_flags |= IRP_PAGING_IO | IRP_NOCACHE;
        if (v & KFH_MF_RW_NOCACHE)
            io.irp_flags |= IRP_NOCACHE;
        if (v & KFH_MF_RW_SYNC_API)
            io.irp_flags |= IRP_SYNCHRONOUS_API;
        if (v & KFH_MF_RW_SYNC_PAGING)
            io.irp_flags |= IRP_SYNCHRONOUS_PAGING_IO;
        io.fast_io = (v & KFH_MF_RW_FAST) != 0;
        if (io.irp_flags & IRP_PAGING_IO)
            io.requestor_mode = KernelMode; /* the memory manager's */
        if (v & KFH_MF_RW_AT_APC)
            at = APC_LEVEL;
        if (kind == KFH_MF_READ) {
            p->Read.Length = len;
            p->Read.ByteOffset.QuadPart = offset;
            p->Read.ReadBuffer = b->data;
        } else {
            for (ULONG i = 0; i < len; i++)
                b->data[i] = (UCHAR)('a' + i % 26);
            p->Write.Length = len;
            p->Write.ByteOffset.QuadPart = offset;
            p->Write.WriteBuffer = b->data;
        }
        break;
    case KFH_MF_QUERY_INFO: {
        FILE_INFORMATION_CLASS c = query_classes[v & 7u];
        io.major = IRP_MJ_QUERY_INFORMATION;
        io.irp_flags = IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO;
        io.system_buffer = TRUE;
        io.fast_io = (v & 8u) && (c == FileBasicInformation || c == FileStandardInformation ||
                                  c == FileNetworkOpenInformation);
        p->QueryFileInformation.Length = len;
        p->QueryFileInformation.FileInformationClass = c;
        p->QueryFileInformation.InfoBuffer = b->data;
        break;
    }
    case KFH_MF_SET_INFO: {
        FILE_INFORMATION_CLASS c = set_classes[v & 7u];
        ULONG size = len;
        io.major = IRP_MJ_SET_INFORMATION;
        io.irp_flags = IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO;
        io.system_buffer = TRUE;
        switch (c) {
        case FileRenameInformation:
        case FileLinkInformation:
            size = rename_info(b->data, need, len & 0xF, (v & 8u) != 0);
            p->SetFileInformation.ReplaceIfExists = (v & 8u) != 0;
            break;
        case FileDispositionInformation:
            ((FILE_DISPOSITION_INFORMATION *)b->data)->DeleteFile = (v & 8u) != 0;
            size = sizeof(FILE_DISPOSITION_INFORMATION);
            break;
        case FileDispositionInformationEx:
            ((FILE_DISPOSITION_INFORMATION_EX *)b->data)->Flags = v >> 3;
            size = sizeof(FILE_DISPOSITION_INFORMATION_EX);
            break;
        case FileEndOfFileInformation:
        case FileAllocationInformation:
        case FilePositionInformation:
            ((LARGE_INTEGER *)b->data)->QuadPart = offset + len;
            size = sizeof(LARGE_INTEGER);
            break;
        default: /* basic: times left zero (unchanged), the attributes from the variant */
            ((FILE_BASIC_INFORMATION *)b->data)->FileAttributes = (v & 8u) ? FILE_ATTRIBUTE_READONLY : 0;
            size = sizeof(FILE_BASIC_INFORMATION);
            break;
        }
        p->SetFileInformation.Length = size;
        p->SetFileInformation.FileInformationClass = c;
        p->SetFileInformation.InfoBuffer = b->data;
        break;
    }
    case KFH_MF_QUERY_DIR: {
        io.major = IRP_MJ_DIRECTORY_CONTROL;
        io.minor = IRP_MN_QUERY_DIRECTORY;
        io.irp_flags = IRP_SYNCHRONOUS_API;
        io.operation_flags = (UCHAR)(((v & 8u) ? SL_RESTART_SCAN : 0) | ((v & 16u) ? SL_RETURN_SINGLE_ENTRY : 0));
        p->DirectoryControl.QueryDirectory.Length = len;
        p->DirectoryControl.QueryDirectory.FileInformationClass = dir_classes[v & 7u];
        p->DirectoryControl.QueryDirectory.DirectoryBuffer = b->data;
        if (v & 32u) { /* a search pattern, the I/O manager's copy */
            static const WCHAR pattern[] = L"*.txt";
            mbuf *pb = new_buf(sizeof(UNICODE_STRING) + sizeof pattern);
            if (pb) {
                UNICODE_STRING *u = (UNICODE_STRING *)pb->data;
                memcpy(pb->data + sizeof *u, pattern, sizeof pattern);
                u->Buffer = (PWCH)(pb->data + sizeof *u);
                u->Length = (USHORT)(sizeof pattern - sizeof(WCHAR));
                u->MaximumLength = (USHORT)sizeof pattern;
                p->DirectoryControl.QueryDirectory.FileName = u;
            }
        }
        break;
    }
    case KFH_MF_NOTIFY_DIR: {
        static const ULONG filters[4] = {FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME,
                                         FILE_NOTIFY_CHANGE_ATTRIBUTES, FILE_NOTIFY_CHANGE_SIZE,
                                         FILE_NOTIFY_CHANGE_LAST_WRITE};
        io.major = IRP_MJ_DIRECTORY_CONTROL;
        io.minor = IRP_MN_NOTIFY_CHANGE_DIRECTORY;
        io.operation_flags = (v & 4u) ? SL_WATCH_TREE : 0;
        p->DirectoryControl.NotifyDirectory.Length = len;
        p->DirectoryControl.NotifyDirectory.CompletionFilter = filters[v & 3u];
        p->DirectoryControl.NotifyDirectory.DirectoryBuffer = b->data;
        if (!io.lower_override)
            io.lower_pends = TRUE; /* a change notification waits for a change */
        break;
    }
    case KFH_MF_CLEANUP:
        io.major = IRP_MJ_CLEANUP;
        io.irp_flags = IRP_SYNCHRONOUS_API;
        break;
    case KFH_MF_FSCTL: {
        ULONG code = fsctl_codes[v & 7u];
        io.major = IRP_MJ_FILE_SYSTEM_CONTROL;
        io.minor = IRP_MN_USER_FS_REQUEST;
        p->FileSystemControl.Buffered.FsControlCode = code;
        p->FileSystemControl.Buffered.InputBufferLength = len / 2;
        p->FileSystemControl.Buffered.OutputBufferLength = len / 2;
        p->FileSystemControl.Buffered.SystemBuffer = b->data;
        if ((v & 7u) < 4 && !io.lower_override)
            io.lower_pends = TRUE; /* an oplock is granted with the request held until it breaks */
        break;
    }
    case KFH_MF_IOCTL: {
        ULONG code = ioctl_codes[v & 7u];
        io.major = IRP_MJ_DEVICE_CONTROL;
        p->DeviceIoControl.Buffered.IoControlCode = code;
        p->DeviceIoControl.Buffered.InputBufferLength = len / 2;
        p->DeviceIoControl.Buffered.OutputBufferLength = len / 2;
        p->DeviceIoControl.Buffered.SystemBuffer = b->data;
        if ((code & 3u) == METHOD_NEITHER) {
            p->DeviceIoControl.Neither.InputBuffer = b->data;
            p->DeviceIoControl.Neither.OutputBuffer = b->data + len / 2;
        }
        break;
    }
    case KFH_MF_LOCK:
    case KFH_MF_UNLOCK:
        io.major = IRP_MJ_LOCK_CONTROL;
        io.minor = kind == KFH_MF_LOCK ? IRP_MN_LOCK : IRP_MN_UNLOCK_SINGLE;
        ((LARGE_INTEGER *)b->data)->QuadPart = len ? len : 1;
        p->LockControl.Length = (PLARGE_INTEGER)b->data;
        p->LockControl.ByteOffset.QuadPart = offset;
        p->LockControl.ProcessId = PsGetCurrentProcess();
        p->LockControl.FailImmediately = (v & 1u) != 0;
        p->LockControl.ExclusiveLock = (v & 2u) != 0;
        io.operation_flags = (UCHAR)(((v & 1u) ? SL_FAIL_IMMEDIATELY : 0) | ((v & 2u) ? SL_EXCLUSIVE_LOCK : 0));
        break;
    case KFH_MF_FLUSH:
        io.major = IRP_MJ_FLUSH_BUFFERS;
        io.minor = (UCHAR)(v & 3u);
        io.irp_flags = IRP_SYNCHRONOUS_API;
        break;
    default: /* KFH_MF_QUERY_VOLUME */
        io.major = IRP_MJ_QUERY_VOLUME_INFORMATION;
        io.irp_flags = IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO;
        io.system_buffer = TRUE;
        p->QueryVolumeInformation.Length = len;
        p->QueryVolumeInformation.FsInformationClass = volume_classes[v & 7u];
        p->QueryVolumeInformation.VolumeBuffer = b->data;
        break;
    }
    unsigned long long serial;
    KIRQL before = KeGetCurrentIrql();
    kf_set_irql(at);
    NTSTATUS st = kf_flt_send_io(fo, &io, io_done, b, &serial);
    kf_set_irql(before);
    b->serial = serial;
    kfh_trace_event("mf %s slot %u #%llu: 0x%08X", kfh_mf_io_name(kind), slot, serial, (unsigned)st);
}

/* The system's worker threads and the layers below get to run: what is queued now. */
static size_t run_system_work(int complete_below)
{
    size_t n = kf_flt_run_work_items();
    n += (size_t)kf_run_work_items_max(64);
    n += kf_flt_run_safe_posts();
    n += kf_flt_run_pending_completions();
    if (complete_below)
        n += kf_flt_complete_lower();
    return n;
}

static void settle(int complete_below)
{
    for (int round = 0; round < 8; round++) {
        size_t n = run_system_work(complete_below);
        if (n)
            kfh_trace_event("system work: %zu ran", n);
        if (!n)
            break;
    }
}

static void exec_detach(const kfh_op *op)
{
    PFLT_FILTER f = filter();
    if (!f) {
        kfh_trace_event("  skipped: the filter is not loaded");
        return;
    }
    NTSTATUS st = kf_flt_detach(f, op->a, op->b ? FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT : FLTFL_INSTANCE_TEARDOWN_MANUAL);
    kfh_trace_event("mf_detach volume %u %s: 0x%08X", op->a, op->b ? "dismount" : "manual", (unsigned)st);
}

static void exec_unload(const kfh_op *op)
{
    PFLT_FILTER f = filter();
    if (!f) {
        kfh_trace_event("  skipped: the filter is not loaded");
        return;
    }
    const FLT_REGISTRATION *reg = kf_flt_registration(f);
    if (op->a && reg && (reg->Flags & FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP)) {
        kfh_trace_event("mf_unload mandatory: refused (FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP)");
        return;
    }
    NTSTATUS st = kf_flt_unload(f, op->a ? FLTFL_FILTER_UNLOAD_MANDATORY : 0);
    kfh_trace_event("mf_unload%s: 0x%08X", op->a ? " mandatory" : "", (unsigned)st);
}

static void call(void)
{
    const kfh_scenario *s = M.s;
    install_directories();
    for (int i = 0; s && i < s->n; i++) {
        const kfh_op *op = &s->ops[i];
        M.cur_op = i;
        switch (op->code) {
        case KFH_OP_MF_CREATE:
            exec_create(op);
            break;
        case KFH_OP_MF_IO:
            exec_io(op);
            break;
        case KFH_OP_MF_DETACH:
            exec_detach(op);
            break;
        case KFH_OP_MF_UNLOAD:
            exec_unload(op);
            break;
        case KFH_OP_MF_ATTACH: {
            PFLT_FILTER f = filter();
            if (!f) {
                kfh_trace_event("mf_attach %u: skipped: the filter is unloaded", op->a);
                break;
            }
            NTSTATUS st = kf_flt_attach(f, op->a);
            kfh_trace_event("mf_attach %u: 0x%08X", op->a, (unsigned)st);
            break;
        }
        case KFH_OP_RUN_PENDING: {
            size_t n = run_system_work(1);
            kfh_trace_event("run_pending: %zu ran", n);
            break;
        }
        case KFH_OP_MSG_WORD:
        case KFH_OP_PORT_CONNECT:
        case KFH_OP_MSG_SEND:
        case KFH_OP_PORT_ANSWER:
        case KFH_OP_PORT_DISCONNECT:
        case KFH_OP_RUN_WORK:
            /* The service's client among the I/O, in scenario order (FH-11, FH-12). */
            kfh_driver_client_step(op);
            break;
        default:
            break; /* the environment's, read by driver_env.c */
        }
    }
    M.cur_op = -1;
    /* As the system would: the workers run, the layers below complete what they hold, every
     * handle is closed (cleanup, then close), and the workers run again. */
    settle(0);
    size_t below = kf_flt_complete_lower();
    if (below)
        kfh_trace_event("the layers below completed %zu", below);
    settle(0);
    for (unsigned k = 0; k < KFH_MF_SLOTS; k++)
        if (M.fo[k]) {
            PFILE_OBJECT fo = M.fo[k];
            M.fo[k] = NULL;
            (void)kf_flt_io_close(fo);
        }
    settle(1);
}

/* ---- The contract's findings after the run (what the driver environment does not count) --------- */

static void check(kfh_drv_run *run)
{
    if (!run->loaded)
        return;
    BOOLEAN unloaded = filter() == NULL;
    size_t pended = kf_flt_ios_pended();
    if (pended)
        kfh_drv_fail(run, KFH_INV_MF_RELEASED, "FltCompletePendedPreOperation", "every pended operation completed",
                     "%zu operation(s) the filter pended never completed (the filter %s)", pended,
                     unloaded ? "unloaded" : "could not be unloaded");
    unsigned long long serial = 0;
    UCHAR major = 0;
    size_t swapped = kf_flt_swapped_buffers_left(&serial, &major);
    if (swapped)
        kfh_drv_fail(run, KFH_INV_MF_SWAPPED, "PFLT_POST_OPERATION_CALLBACK", "every swapped-in buffer freed",
                     "%zu buffer(s) swapped into an operation never freed, the first in operation #%llu (%s)", swapped,
                     serial, FltGetIrpName(major));
    if (!unloaded)
        return; /* what a loaded filter holds is still its own */
    kf_leak_report l;
    kf_leaks(&l);
    if (l.flt_names)
        kfh_drv_fail(run, KFH_INV_MF_RELEASED, "FltReleaseFileNameInformation",
                     "every file name information released by the unload", "%zu reference(s) never released",
                     l.flt_names);
    if (l.flt_object_refs)
        kfh_drv_fail(run, KFH_INV_MF_RELEASED, "FltObjectDereference", "every filter, instance and volume reference "
                     "dropped by the unload", "%zu reference(s) never dropped", l.flt_object_refs);
    if (l.flt_work_items)
        kfh_drv_fail(run, KFH_INV_MF_RELEASED, "FltFreeGenericWorkItem", "every Flt work item freed by the unload",
                     "%zu work item(s) never freed", l.flt_work_items);
    if (l.flt_contexts)
        kfh_drv_fail(run, KFH_INV_MF_RELEASED, "FltReleaseContext", "every context freed by the unload",
                     "%zu context(s) never freed", l.flt_contexts);
}

static void read_registration(void);

/* The ports are the ones the driver created when it was loaded for its registration (FH-11, FH-12). */
static kfh_minifilter mf = {.load = load, .filter = filter};

/* The registry values are its INF's (FH-13). */
static kfh_driver_target target = {
    .name = "minifilter",
    .min_os = KF_OS_WIN10,
    .arch_mask = (1u << KF_ARCH_AMD64) | (1u << KF_ARCH_ARM64),
    .min_irql = PASSIVE_LEVEL,
    .max_irql = PASSIVE_LEVEL,
    .call = call,
    .check = check,
    .minifilter = &mf,
    .service = KFH_MF_SERVICE,
    .client_inline = 1,
};

/* The callback contract's violations, by the invariant each breaks. */
static int invariant_of(ULONG code)
{
    switch (code) {
    case KF_VIOL_FLT_PREOP_STATUS_INVALID:
    case KF_VIOL_FLT_PREOP_COMPLETE_STATUS:
    case KF_VIOL_FLT_COMPLETION_CONTEXT_UNUSED:
    case KF_VIOL_FLT_NO_POST_CALLBACK:
    case KF_VIOL_FLT_DISALLOW_FASTIO_ON_IRP:
    case KF_VIOL_FLT_SYNCHRONIZE_FORBIDDEN:
        return KFH_INV_MF_PREOP_STATUS;
    case KF_VIOL_FLT_PENDED_NOT_IRP:
    case KF_VIOL_FLT_PENDED_NOT_COMPLETED:
    case KF_VIOL_FLT_COMPLETE_NOT_PENDED:
    case KF_VIOL_FLT_COMPLETE_PENDED_STATUS:
        return KFH_INV_MF_PENDED_COMPLETED;
    case KF_VIOL_FLT_POSTOP_STATUS_INVALID:
    case KF_VIOL_FLT_SAFE_POST_MISUSE:
        return KFH_INV_MF_POSTOP_STATUS;
    case KF_VIOL_FLT_CALLBACK_IRQL:
        return KFH_INV_MF_CALLBACK_IRQL;
    case KF_VIOL_FLT_PARAMETERS_NOT_DIRTY:
        return KFH_INV_MF_DIRTY;
    case KF_VIOL_FLT_CANCEL_OPEN_MISUSE:
    case KF_VIOL_FLT_CREATE_RESULT:
        return KFH_INV_MF_CREATE_CANCEL;
    case KF_VIOL_FLT_SWAPPED_MDL_FREED:
        return KFH_INV_MF_SWAPPED;
    case KF_VIOL_FLT_IO_CALLBACK_DATA_OWNED:
        return KFH_INV_MF_OWNED_DATA;
    default:
        return 0;
    }
}

int kfh_mf_run(const uint8_t *data, size_t size, kfh_drv_run *run, char *where, size_t wlen)
{
    static kfh_scenario s;
    char err[160];
    if (where && wlen)
        where[0] = 0;
    read_registration();
    memset(&M, 0, sizeof M);
    M.cur_op = -1;
    if (kfh_scenario_decode(data, size, &s, err, sizeof err)) {
        memset(run, 0, sizeof *run);
        return 0;
    }
    M.s = &s;
    int n = kfh_driver_run(&target, data, size, run);
    M.in_callback_stop = (int)M.depth;
    free_bufs();
    if (n && run->finding.inv == KFH_INV_DRIVER_NO_STOP) {
        /* A stop of the callback contract counts against its own invariant. */
        kfh_finding *f = &run->finding;
        unsigned long long p1 = 0;
        const char *v = strstr(f->actual, "(P1=0x");
        if (v && strstr(f->actual, "DRIVER_VERIFIER_DETECTED_VIOLATION"))
            p1 = strtoull(v + 4, NULL, 16);
        int inv = invariant_of((ULONG)p1);
        if (inv) {
            f->inv = inv;
            kfh_finding_sign(f);
        }
    }
    if (n && where)
        describe_where(where, wlen);
    M.s = NULL;
    return n;
}

int kfh_mf_fuzz_one(const uint8_t *data, size_t size)
{
    static kfh_drv_run run;
    char where[320];
    kfh_trace_keep_text(0);
    int found = kfh_mf_run(data, size, &run, where, sizeof where);
    kfh_trace_keep_text(1);
    if (!found)
        return 0;
    static kfh_finding first;
    char first_where[sizeof where];
    first = run.finding;
    memcpy(first_where, where, sizeof where);
    int again = kfh_mf_run(data, size, &run, where, sizeof where);
    kfh_driver_keep_first(&first, again, &run.finding);
    memcpy(where, first_where, sizeof where);
    char pname[32];
    kfh_scenario s;
    char err[64];
    fprintf(stderr, "==kfault== minifilter: profile %s, %u volume(s), %u fault decision(s), %llu injected, load 0x%08X, "
                    "unload 0x%08X\n",
            kf_profile_name(&run.env.profile, pname, sizeof pname), run.env.volumes, run.env.faults, run.injected,
            (unsigned)run.load_status, (unsigned)run.unload_status);
    if (where[0])
        fprintf(stderr, "==kfault== minifilter: %s\n", where);
    kfh_report(stderr, &run.finding, kfh_scenario_decode(data, size, &s, err, sizeof err) ? NULL : &s);
    abort();
}

/* ---- Seeds from the filter's registration --------------------------------------------------------- */

#define MAX_MAJORS 64
static UCHAR reg_majors[MAX_MAJORS];
static int n_reg_majors = -1;
#define PORT_NAME_MAX 128
static WCHAR port_names[KFH_CLIENT_PORTS][PORT_NAME_MAX];
static unsigned n_ports;
static int manual_only; /* the setup callback refused the automatic attachment to volume 0 */

/* The INF's values (kfh_inf_read keeps their bytes). */
#define INF_VALUES_MAX 64
static kfh_reg_spec inf_values[INF_VALUES_MAX];

int kfh_mf_set_inf(const void *bytes, size_t size, char *err, size_t errlen)
{
    int n = kfh_inf_read(bytes, size, inf_values, INF_VALUES_MAX, err, errlen);
    target.registry = n > 0 ? inf_values : NULL;
    target.n_registry = n > 0 ? (unsigned)n : 0;
    n_reg_majors = -1; /* the driver may register otherwise with its parameters */
    return n;
}

int kfh_mf_set_inf_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the INF file %s", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *b = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        snprintf(err, errlen, "cannot read the INF file %s%s", path, bad ? "" : " (larger than 16 MiB)");
        return -1;
    }
    char why[200];
    int rc = kfh_mf_set_inf(buf, n, why, sizeof why);
    free(buf);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

void kfh_mf_set_registry_fixed(int fixed) { target.registry_fixed = fixed != 0; }

void kfh_mf_set_client_trusted(int trusted) { target.client_trusted = trusted != 0; }

const kfh_reg_spec *kfh_mf_registry(unsigned *n)
{
    *n = target.n_registry;
    return target.registry;
}

/* The INF's values under the service key, as driver_env.c installs them for a run. */
static void install_registry(void)
{
    static const char services[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" KFH_MF_SERVICE;
    for (unsigned i = 0; i < target.n_registry; i++) {
        const kfh_reg_spec *r = &target.registry[i];
        char key[512];
        snprintf(key, sizeof key, "%s%s%s", services, r->key[0] ? "\\" : "", r->key);
        if (r->data)
            (void)kf_registry_set_value(key, r->name, r->type, r->data, r->size);
    }
}

static kf_fault_kind no_fault(void *ctx, kf_site site)
{
    (void)ctx;
    (void)site;
    return KF_FAULT_NONE;
}

static void probe_body(void *unused)
{
    (void)unused;
    kf_set_irql(PASSIVE_LEVEL);
    install_registry();
    if (!NT_SUCCESS(load()))
        return;
    for (n_ports = 0; n_ports < KFH_CLIENT_PORTS; n_ports++)
        if (!kf_flt_server_port_name(n_ports, port_names[n_ports], PORT_NAME_MAX))
            break;
    PFLT_FILTER f = filter();
    manual_only = f && !kf_flt_instance(f, 0);
    const FLT_REGISTRATION *reg = f ? kf_flt_registration(f) : NULL;
    const FLT_OPERATION_REGISTRATION *e = reg ? reg->OperationRegistration : NULL;
    for (int i = 0; e && i < 256 && e[i].MajorFunction != IRP_MJ_OPERATION_END; i++) {
        int known = 0;
        for (int k = 0; k < n_reg_majors; k++)
            known |= reg_majors[k] == e[i].MajorFunction;
        if (!known && n_reg_majors < MAX_MAJORS && (e[i].PreOperation || e[i].PostOperation))
            reg_majors[n_reg_majors++] = e[i].MajorFunction;
    }
    if (f)
        (void)kf_flt_unload(f, 0);
}

static void probe(void *unused)
{
    (void)unused;
    (void)kf_run_system_thread(probe_body, NULL);
}

/* Loads the driver once, without faults, to read the operations it registered. */
static void read_registration(void)
{
    if (n_reg_majors >= 0)
        return;
    n_reg_majors = 0;
    n_ports = 0;
    manual_only = 0;
    kf_reset();
    kf_set_fault_hook(no_fault, NULL);
    kf_stop st;
    if (kf_guarded_call(probe, NULL, &st)) {
        char report[512];
        kf_stop_format(&st, report, sizeof report);
        fprintf(stderr, "kfault: loading the driver for its registration stopped:\n%s", report);
    }
    kf_set_fault_hook(NULL, NULL);
    kf_reset();
    for (unsigned i = 0; i < KFH_CLIENT_PORTS; i++)
        mf.ports[i] = i < n_ports ? port_names[i] : NULL;
}

/* A scenario builder. */
static void sb_op(kfh_scenario *s, uint8_t code, uint8_t a, uint8_t b, uint8_t c, uint8_t sel, uint32_t raw)
{
    if (s->n >= KFH_MAX_OPS)
        return;
    kfh_op *op = &s->ops[s->n++];
    memset(op, 0, sizeof *op);
    op->code = code;
    op->a = a;
    op->b = b;
    op->c = c;
    op->size_sel = sel;
    op->size_raw = raw;
}

/* Names the seeds use (never docx: a filter that acts on one extension is found by fuzzing). */
enum { N_NOTES = 0, N_SETUP = 3, N_PHOTO = 4, N_KERNEL32 = 5, N_TMP = 7, N_CONFIG = 8, N_DOCUMENTS = 14 };

static void sb_create(kfh_scenario *s, unsigned slot, unsigned name, const char *ext, unsigned disp, uint8_t flags,
                      uint8_t opts, unsigned access)
{
    sb_op(s, KFH_OP_MF_CREATE, (uint8_t)(slot | flags), (uint8_t)name, (uint8_t)(disp | opts), (uint8_t)access,
          kfh_mf_ext_raw(ext));
}

static void sb_io(kfh_scenario *s, unsigned slot, unsigned kind, unsigned irql, unsigned answer, uint8_t v,
                  uint32_t len)
{
    sb_op(s, KFH_OP_MF_IO, (uint8_t)(slot | (irql << 3) | (answer << 5)), (uint8_t)kind, v, 0, len);
}

static void sb_open_notes(kfh_scenario *s, unsigned slot)
{
    sb_create(s, slot, N_NOTES, "txt", 3 /* open_if */, KFH_MF_EXISTS, 0, 2 /* read_write */);
}

/* The seed for a registered major function (one of several shapes). */
static void seed_for_major(kfh_scenario *s, UCHAR major)
{
    switch (major) {
    case IRP_MJ_CREATE:
        sb_open_notes(s, 0);
        sb_create(s, 1, N_SETUP, "exe", 1 /* open */, KFH_MF_EXISTS, 0, 0);
        sb_create(s, 2, N_TMP, "tmp", 2 /* create */, 0, KFH_MF_OPT_DELETE_ON_CLOSE, 1);
        sb_create(s, 3, N_DOCUMENTS, "", 1, KFH_MF_DIRECTORY, 0, 0);
        sb_create(s, 4, N_PHOTO, "jpg", 1, 0, 0, 0); /* not there: the file system says so */
        break;
    case IRP_MJ_READ:
    case IRP_MJ_WRITE: {
        unsigned kind = major == IRP_MJ_READ ? KFH_MF_READ : KFH_MF_WRITE;
        sb_open_notes(s, 0);
        sb_io(s, 0, kind, 0, 0, KFH_MF_RW_SYNC_API, 0x200);
        sb_io(s, 0, kind, 2, 0, KFH_MF_RW_NOCACHE, 0x200);
        sb_io(s, 0, kind, 1, 0, KFH_MF_RW_PAGING | KFH_MF_RW_SYNC_PAGING | KFH_MF_RW_AT_APC, 0x1000);
        sb_io(s, 0, kind, 0, 0, KFH_MF_RW_FAST, 0x80);
        sb_io(s, 0, kind, 2, KFH_MF_HELD, 0, 0x100);
        sb_op(s, KFH_OP_RUN_PENDING, 0, 0, 0, 0, 0);
        break;
    }
    case IRP_MJ_QUERY_INFORMATION:
        sb_open_notes(s, 0);
        for (uint8_t c = 0; c < 4; c++)
            sb_io(s, 0, KFH_MF_QUERY_INFO, c & 1 ? 2 : 0, 0, c, 0x100);
        sb_io(s, 0, KFH_MF_QUERY_INFO, 0, 0, 8, 0x40); /* fast I/O basic */
        break;
    case IRP_MJ_SET_INFORMATION:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_SET_INFO, 0, 0, 0, 0x28);          /* basic */
        sb_io(s, 0, KFH_MF_SET_INFO, 2, 0, 4, 0x10);          /* end of file */
        sb_io(s, 0, KFH_MF_SET_INFO, 0, 0, 1, N_CONFIG);      /* rename */
        sb_io(s, 0, KFH_MF_SET_INFO, 0, 0, 2 | 8, 0);         /* delete */
        break;
    case IRP_MJ_DIRECTORY_CONTROL:
        sb_create(s, 0, N_DOCUMENTS, "", 1, KFH_MF_DIRECTORY, 0, 0);
        sb_io(s, 0, KFH_MF_QUERY_DIR, 0, 0, 8, 0x400);
        sb_io(s, 0, KFH_MF_QUERY_DIR, 2, 0, 3 | 32, 0x400);
        sb_io(s, 0, KFH_MF_NOTIFY_DIR, 2, 0, 4, 0x200);
        break;
    case IRP_MJ_CLEANUP:
    case IRP_MJ_CLOSE:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_CLEANUP, 0, 0, 0, 0);
        sb_io(s, 0, KFH_MF_CLOSE, 0, 0, 0, 0);
        break;
    case IRP_MJ_FILE_SYSTEM_CONTROL:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_FSCTL, 2, 0, 6, 0x40);   /* is the volume mounted */
        sb_io(s, 0, KFH_MF_FSCTL, 2, 0, 1, 0x40);   /* an oplock, held */
        sb_op(s, KFH_OP_RUN_PENDING, 0, 0, 0, 0, 0);
        break;
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_IOCTL, 0, 0, 3, 0x40);
        sb_io(s, 0, KFH_MF_IOCTL, 2, 0, 4, 0x40);
        break;
    case IRP_MJ_LOCK_CONTROL:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_LOCK, 0, 0, 2, 0x10);
        sb_io(s, 0, KFH_MF_UNLOCK, 2, 0, 0, 0x10);
        break;
    case IRP_MJ_FLUSH_BUFFERS:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_WRITE, 0, 0, KFH_MF_RW_SYNC_API, 0x40);
        sb_io(s, 0, KFH_MF_FLUSH, 2, 0, 0, 0);
        break;
    case IRP_MJ_QUERY_VOLUME_INFORMATION:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_QUERY_VOLUME, 0, 0, 0, 0x100);
        sb_io(s, 0, KFH_MF_QUERY_VOLUME, 2, 0, 3, 0x100);
        break;
    default:
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_READ, 0, 0, KFH_MF_RW_SYNC_API, 0x40);
        break;
    }
}

/* The words of a message: a small header-like start (a code, a length) and a payload. */
static void sb_message(kfh_scenario *s, uint32_t code, unsigned words)
{
    sb_op(s, KFH_OP_MSG_WORD, 0, 0, 0, 0, code);
    sb_op(s, KFH_OP_MSG_WORD, 0, 0, 0, 0, 4u * words);
    for (unsigned i = 0; i < words; i++)
        sb_op(s, KFH_OP_MSG_WORD, 0, 0, 0, 0, 0x64636261u + i); /* "abcd" and on */
}

static void sb_send(kfh_scenario *s, unsigned in, unsigned out, unsigned flags)
{
    sb_op(s, KFH_OP_MSG_SEND, 0, (uint8_t)flags, 0, 0, (uint32_t)in | (uint32_t)out << 16);
}

/* The port seeds: the service connects to the driver's first port, sends messages of several
 * sizes and kinds, answers the driver's own messages, and disconnects; the second seed keeps
 * the service connected (answering with a verdict) while files are opened, read and closed. */
static void seed_for_ports(kfh_scenario *s, int with_io)
{
    sb_message(s, 1, 0);
    sb_op(s, KFH_OP_PORT_CONNECT, 0, 0, 0, 0, 8);
    sb_op(s, KFH_OP_MSG_WORD, 0, 0, 0, 0, 1); /* a reply payload: a verdict word */
    sb_op(s, KFH_OP_PORT_ANSWER, 0, KFH_ANSWER_REPLY, 0, 0, 4);
    if (!with_io) {
        for (uint32_t code = 0; code < 4; code++) {
            sb_message(s, code, 2 + 2 * code);
            sb_send(s, 16 + 8 * code, 64, 0);
        }
        sb_send(s, 0, 64, KFH_SEND_NO_INPUT);
        sb_message(s, 1, 1);
        sb_send(s, 12, 0, KFH_SEND_NO_OUTPUT);
        sb_op(s, KFH_OP_RUN_WORK, 0, 0, 0, 0, 0);
    } else {
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_READ, 0, 0, KFH_MF_RW_SYNC_API, 0x100);
        sb_io(s, 0, KFH_MF_WRITE, 0, 0, KFH_MF_RW_SYNC_API, 0x80);
        sb_create(s, 1, N_SETUP, "exe", 1, KFH_MF_EXISTS, 0, 0);
        sb_io(s, 0, KFH_MF_CLEANUP, 0, 0, 0, 0);
        sb_io(s, 0, KFH_MF_CLOSE, 0, 0, 0, 0);
        sb_op(s, KFH_OP_RUN_WORK, 0, 0, 0, 0, 0);
    }
    sb_op(s, KFH_OP_PORT_DISCONNECT, 0, 0, 0, 0, 0);
}

/* The seeds: one per registered major function, then teardown, dismount, unload and a mix,
 * then two for the driver's ports when it created any. */
int kfh_mf_seed_count(void)
{
    read_registration();
    return n_reg_majors + 4 + (n_ports ? 2 : 0);
}

unsigned kfh_mf_port_count(void)
{
    read_registration();
    return n_ports;
}

int kfh_mf_seed(int k, kfh_scenario *s, char *name, size_t nlen)
{
    int n = kfh_mf_seed_count();
    if (k < 0 || k >= n)
        return -1;
    memset(s, 0, sizeof *s);
    s->version = KFH_SCENARIO_VERSION;
    /* A filter that attaches only when asked (FH-15) is asked first. */
    if (manual_only)
        sb_op(s, KFH_OP_MF_ATTACH, 0, 0, 0, 0, 0);
    if (k < n_reg_majors) {
        seed_for_major(s, reg_majors[k]);
        snprintf(name, nlen, "seed-%02d-%s", k, FltGetIrpName(reg_majors[k]));
        return 0;
    }
    switch (k - n_reg_majors) {
    case 4:
    case 5:
        seed_for_ports(s, k - n_reg_majors == 5);
        snprintf(name, nlen, "seed-%02d-port%s", k, k - n_reg_majors == 5 ? "-io" : "");
        break;
    case 0: /* a manual detach with I/O held below */
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_READ, 2, KFH_MF_HELD, 0, 0x100);
        sb_op(s, KFH_OP_MF_DETACH, 0, 0, 0, 0, 0);
        sb_op(s, KFH_OP_RUN_PENDING, 0, 0, 0, 0, 0);
        snprintf(name, nlen, "seed-%02d-teardown", k);
        break;
    case 1: /* a dismount with a write held below */
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_WRITE, 2, KFH_MF_HELD, KFH_MF_RW_SYNC_API, 0x100);
        sb_op(s, KFH_OP_MF_DETACH, 0, 1, 0, 0, 0);
        snprintf(name, nlen, "seed-%02d-dismount", k);
        break;
    case 2: /* the filter unloaded while I/O is in flight */
        sb_open_notes(s, 0);
        sb_io(s, 0, KFH_MF_READ, 2, KFH_MF_HELD, 0, 0x100);
        sb_op(s, KFH_OP_MF_UNLOAD, 0, 0, 0, 0, 0);
        sb_op(s, KFH_OP_RUN_PENDING, 0, 0, 0, 0, 0);
        snprintf(name, nlen, "seed-%02d-unload", k);
        break;
    default: { /* files of several kinds, read, queried, written, closed */
        static const struct {
            unsigned name;
            const char *ext;
        } files[4] = {{N_SETUP, "exe"}, {N_PHOTO, "jpg"}, {N_CONFIG, "ini"}, {N_KERNEL32, "dll"}};
        for (unsigned i = 0; i < 4; i++) {
            sb_create(s, i, files[i].name, files[i].ext, 3, KFH_MF_EXISTS, i == 2 ? KFH_MF_OPT_SYNC : 0, 2);
            sb_io(s, i, KFH_MF_READ, i & 1 ? 2 : 0, 0, KFH_MF_RW_SYNC_API, 0x100);
            sb_io(s, i, KFH_MF_QUERY_INFO, 0, 0, 0, 0x28);
        }
        sb_io(s, 2, KFH_MF_WRITE, 2, 0, 0, 0x80);
        for (unsigned i = 0; i < 4; i++)
            sb_io(s, i, KFH_MF_CLOSE, 0, 0, 0, 0);
        snprintf(name, nlen, "seed-%02d-files", k);
        break;
    }
    }
    return 0;
}

int kfh_mf_write_seeds(const char *dir, char *err, size_t errlen)
{
    int n = kfh_mf_seed_count(), written = 0;
    static kfh_scenario s;
    for (int k = 0; k < n; k++) {
        char name[64], path[1024];
        if (kfh_mf_seed(k, &s, name, sizeof name))
            continue;
        uint8_t buf[4096];
        size_t len = kfh_scenario_encode(&s, buf, sizeof buf);
        if (len > sizeof buf) {
            snprintf(err, errlen, "seed %s does not fit in %zu bytes", name, sizeof buf);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s.bin", dir, name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len) {
            if (f)
                fclose(f);
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        if (fclose(f)) {
            snprintf(err, errlen, "cannot write %s", path);
            return -1;
        }
        written++;
    }
    return written;
}
