/*
 * oracle_fltio.c - what must happen when the conformance runner's filter issues file I/O through
 * Filter Manager (scenario format version 15): the files `file` puts on a volume, and for each
 * FltCreateFile*, FltClose, FltReadFile, FltWriteFile, FltQueryInformationFile,
 * FltSetInformationFile, FltQueryVolumeInformation, FltFlushBuffers and FltQueryDirectoryFile
 * the stop, or the status, the Information, the consultations and the effect on the files. Also
 * the operand tables of the file I/O operations.
 *
 * Written from the rules FI-1 to FI-15 and FS-1 to FS-21 (and FX-24 to FX-27, which decide what
 * the rules leave open) of model/SEMANTICS.md, never from the model's source. Must never call
 * into the model to decide a prediction: the IRQL, the runner's record of its volumes, files and
 * handles and the fault decisions are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

static const char *const routine_names[KFH_FIO_CR_COUNT] = {"FltCreateFile", "FltCreateFileEx", "FltCreateFileEx2"};
static const char *const cmis_names[KFH_FIO_CMIS_COUNT] = {"", "null_iosb", "other_volume", "bad_flags",
                                                           "no_volume", "relative"};
static const char *const io_names[KFH_FIO_IO_COUNT] = {"read", "write", "query", "set_eof",
                                                       "volume", "flush", "directory"};
static const char *const mis_names[KFH_FIO_MIS_COUNT] = {"", "null_object", "wrong_volume", "bad_flags"};
static const char *const close_names[KFH_FIO_CLOSE_COUNT] = {"", "again", "null", "foreign", "object"};
static const char *const disposition_names[8] = {"supersede", "open", "create", "open_if",
                                                 "overwrite", "overwrite_if", "disposition6", "disposition7"};

const char *kfh_fio_routine_name(int routine) { return routine_names[(unsigned)routine % KFH_FIO_CR_COUNT]; }
const char *kfh_fio_create_misuse_name(int misuse) { return cmis_names[(unsigned)misuse % KFH_FIO_CMIS_COUNT]; }
const char *kfh_fio_io_name(int routine) { return io_names[(unsigned)routine % KFH_FIO_IO_COUNT]; }
const char *kfh_fio_io_misuse_name(int misuse) { return mis_names[(unsigned)misuse % KFH_FIO_MIS_COUNT]; }
const char *kfh_fio_close_name(int variant) { return close_names[(unsigned)variant % KFH_FIO_CLOSE_COUNT]; }
const char *kfh_fio_disposition_name(int disposition) { return disposition_names[(unsigned)disposition & 7]; }

const char *kfh_fio_status_name(NTSTATUS s, char *buf, size_t len)
{
    switch (s) {
    case STATUS_OBJECT_NAME_COLLISION: return "STATUS_OBJECT_NAME_COLLISION";
    case STATUS_OBJECT_PATH_NOT_FOUND: return "STATUS_OBJECT_PATH_NOT_FOUND";
    case STATUS_OBJECT_PATH_SYNTAX_BAD: return "STATUS_OBJECT_PATH_SYNTAX_BAD";
    case STATUS_FILE_IS_A_DIRECTORY: return "STATUS_FILE_IS_A_DIRECTORY";
    case STATUS_NOT_A_DIRECTORY: return "STATUS_NOT_A_DIRECTORY";
    case STATUS_INVALID_DEVICE_OBJECT_PARAMETER: return "STATUS_INVALID_DEVICE_OBJECT_PARAMETER";
    case STATUS_INVALID_HANDLE: return "STATUS_INVALID_HANDLE";
    case STATUS_INSUFFICIENT_RESOURCES: return "STATUS_INSUFFICIENT_RESOURCES";
    case STATUS_INVALID_PARAMETER: return "STATUS_INVALID_PARAMETER";
    default: return kfh_ctx_status_name(s, buf, len);
    }
}

/* A write's bytes: never all zero, so that a write over a gap is told from the gap. */
uint8_t kfh_fio_byte(ULONG off, ULONG i) { return (uint8_t)(0xA5u ^ ((off + i) * 7u)); }

static void start(kfh_fio_pred *out, const char *rule)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->rule = rule;
}

static size_t wlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- The runner's record of the files (FS-1) ------------------------------------------------- */

static kfh_fio_node *find(kfh_fio_fs *fs, unsigned vol, const WCHAR *s, size_t len)
{
    for (int k = 0; k < fs->n[vol]; k++) {
        kfh_fio_node *n = &fs->node[vol][k];
        if (n->len == len && !memcmp(n->s, s, len * sizeof *s))
            return n;
    }
    return NULL;
}

static kfh_fio_node *make(kfh_fio_fs *fs, unsigned vol, const WCHAR *s, size_t len)
{
    if (fs->n[vol] >= KFH_FIO_NODES)
        return NULL;
    kfh_fio_node *n = &fs->node[vol][fs->n[vol]++];
    memset(n, 0, sizeof *n);
    n->s = s;
    n->len = (uint16_t)len;
    return n;
}

/* Where the last component of s[0..len) starts, and where its stream name does (0 when none). */
static void split(const WCHAR *s, size_t len, size_t *last, size_t *colon)
{
    *last = 0;
    *colon = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == L'\\')
            *last = i;
    for (size_t i = *last; i < len; i++)
        if (s[i] == L':') {
            *colon = i;
            break;
        }
}

/* The parent of s[0..len) is a directory that exists (the root always does). */
static int parent_is_dir(kfh_fio_fs *fs, unsigned vol, const WCHAR *s, size_t len)
{
    size_t last, colon;
    split(s, len, &last, &colon);
    if (last == 0)
        return 1;
    const kfh_fio_node *p = find(fs, vol, s, last);
    return p && p->dir;
}

/* kf_flt_add_file of s[0..len) (FS-1): 0 or -1. */
static int add(kfh_fio_fs *fs, unsigned vol, const WCHAR *s, size_t len, int dir, int readonly, ULONG size,
               const kfh_op *op)
{
    size_t last, colon;
    split(s, len, &last, &colon);
    if (dir && colon)
        return -1;
    if (!parent_is_dir(fs, vol, s, len))
        return -1;
    if (colon) { /* a named stream belongs to an existing file */
        const kfh_fio_node *base = find(fs, vol, s, colon);
        if (!base || base->dir)
            return -1;
    }
    if (find(fs, vol, s, len))
        return -1;
    kfh_fio_node *n = make(fs, vol, s, len);
    if (!n)
        return -1;
    n->dir = (uint8_t)dir;
    n->readonly = (uint8_t)readonly;
    n->size = dir ? 0 : size;
    if (op && size) {
        uint8_t bytes[KFH_FIO_SHADOW];
        (void)kfh_file_bytes(op, bytes, sizeof bytes);
        memcpy(n->data, bytes, size < KFH_FIO_SHADOW ? size : KFH_FIO_SHADOW);
    }
    return 0;
}

int kfh_oracle_fio_put(kfh_fio_fs *fs, unsigned volume, const kfh_op *op)
{
    unsigned vol = volume & 3;
    const WCHAR *name = kfh_file_name_at(op->a);
    size_t len = wlen(name);
    /* The parents first, directories (the file a stream belongs to, a file), "already there" being
     * fine: what a driver target does, and what the runner does. */
    for (size_t i = 1; i < len; i++)
        if (name[i] == L'\\' || name[i] == L':')
            (void)add(fs, vol, name, i, name[i] == L'\\', 0, 0, NULL);
    ULONG size = kfh_file_bytes(op, NULL, 0);
    return add(fs, vol, name, len, (op->b & KFH_FILE_DIRECTORY) != 0, (op->b & KFH_FILE_READONLY) != 0, size, op);
}

kfh_fio_node *kfh_fio_lookup(kfh_fio_fs *fs, unsigned volume, unsigned name)
{
    const WCHAR *s = kfh_file_name_at(name);
    return find(fs, volume & 3, s, wlen(s));
}

/* ---- Creates: FI-1, FI-2, FS-2 to FS-4, FS-10 -------------------------------------------------------- */

static kf_fault_kind decided(const kf_fault_kind *kinds, int n, int k) { return k < n ? kinds[k] : KF_FAULT_NONE; }

/* The file system's answer to the create (FS-2 to FS-4, FS-10); *info its Information. */
static NTSTATUS fs_create(const kfh_fio_create_in *in, kfh_fio_fs *fs, int apply, ULONG_PTR *info)
{
    const WCHAR *s = kfh_file_name_at(in->name);
    size_t len = wlen(s), last, colon;
    unsigned vol = in->volume & 3;
    ULONG d = in->disposition;
    int overwrite = d == FILE_SUPERSEDE || d == FILE_OVERWRITE || d == FILE_OVERWRITE_IF;
    kfh_fio_node *n = find(fs, vol, s, len);
    *info = 0;
    if (n) {
        if (d == FILE_CREATE)
            return STATUS_OBJECT_NAME_COLLISION;
        if (in->nondir && n->dir)
            return STATUS_FILE_IS_A_DIRECTORY;
        if (in->dir && !n->dir)
            return STATUS_NOT_A_DIRECTORY;
        if (n->dir && overwrite)
            return STATUS_INVALID_PARAMETER;
        if (n->readonly && !n->dir && (overwrite || in->write))
            return STATUS_ACCESS_DENIED;
        *info = d == FILE_SUPERSEDE ? FILE_SUPERSEDED : overwrite ? FILE_OVERWRITTEN : FILE_OPENED;
        if (apply && overwrite) {
            n->size = 0;
            if (d == FILE_SUPERSEDE)
                n->readonly = 0; /* supersede replaces the attributes with the create's (NORMAL) */
        }
        return STATUS_SUCCESS;
    }
    if (!parent_is_dir(fs, vol, s, len))
        return STATUS_OBJECT_PATH_NOT_FOUND;
    split(s, len, &last, &colon);
    const kfh_fio_node *base = colon ? find(fs, vol, s, colon) : NULL;
    if (colon && !base)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (d == FILE_OPEN || d == FILE_OVERWRITE)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (base && base->dir)
        return STATUS_INVALID_PARAMETER; /* no named data stream on a directory */
    *info = FILE_CREATED;
    if (apply) {
        kfh_fio_node *m = make(fs, vol, s, len);
        if (m)
            m->dir = (uint8_t)in->dir;
    }
    return STATUS_SUCCESS;
}

void kfh_oracle_fio_create(const kfh_fio_create_in *in, const kf_fault_kind *kinds, int n, kfh_fio_fs *fs, int apply,
                           kfh_fio_pred *out)
{
    start(out, "FI-1");
    if (in->irql > PASSIVE_LEVEL) {
        kfh_pred_irql(&out->stop, out->rule, PASSIVE_LEVEL, in->irql);
        return;
    }
    int ex = in->routine != KFH_FIO_CR_PLAIN;
    if (in->misuse == KFH_FIO_CMIS_NULL_IOSB) {
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT, 2, (ULONG_PTR)(6 + ex), 0);
        return;
    }
    ULONG d = in->disposition;
    if (in->instance_going && !in->any_instance)
        out->status = STATUS_FLT_DELETING_OBJECT;
    else if (in->misuse == KFH_FIO_CMIS_FLAGS)
        out->status = STATUS_INVALID_PARAMETER;
    else if (d > FILE_MAXIMUM_DISPOSITION || (in->dir && in->nondir) ||
             (in->dir && d != FILE_CREATE && d != FILE_OPEN && d != FILE_OPEN_IF))
        out->status = STATUS_INVALID_PARAMETER; /* IoCreateFileEx's parameter checks */
    else if (in->misuse == KFH_FIO_CMIS_RELATIVE)
        out->status = STATUS_OBJECT_PATH_SYNTAX_BAD;
    else if (in->misuse == KFH_FIO_CMIS_NO_VOLUME || in->volume >= in->volumes)
        out->status = STATUS_OBJECT_PATH_NOT_FOUND;
    else if (in->misuse == KFH_FIO_CMIS_OTHER_VOLUME)
        out->status = STATUS_INVALID_DEVICE_OBJECT_PARAMETER;
    if (out->status != STATUS_SUCCESS)
        return;
    out->rule = "FI-14";
    out->sites[out->n_sites++] = KF_SITE_FLT_CREATE;
    if (decided(kinds, n, 0) != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    out->rule = "FI-2, F-18";
    out->iosb = 1;
    out->sites[out->n_sites++] = KF_SITE_FLT_LOWER;
    if (decided(kinds, n, 1) != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    out->rule = "FS-2, FS-4, FS-10";
    out->status = fs_create(in, fs, apply, &out->information);
    if (out->status != STATUS_SUCCESS)
        return;
    out->sites[out->n_sites++] = KF_SITE_OB_HANDLE;
    if (decided(kinds, n, 2) != KF_FAULT_NONE) {
        /* No handle: the file system opened the file, the I/O manager cleans it up and closes it
         * (a file the create made stays). */
        out->rule = "FI-2";
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        out->information = 0;
        return;
    }
    out->handle = 1;
}

void kfh_oracle_fio_complete(const kfh_fio_io_in *in, kf_fault_kind lower, kfh_fio_fs *fs, int apply,
                             kfh_fio_pred *out)
{
    /* What the call checked stays checked: the layers below answer the request as issued. */
    kfh_fio_io_in c = *in;
    c.irql = PASSIVE_LEVEL;
    c.misuse = KFH_FIO_MIS_NONE;
    c.fo_state = KFH_FIO_FO_OPEN;
    c.instance_going = 0;
    c.deferred = 0;
    kf_fault_kind kinds[2] = {KF_FAULT_NONE, lower};
    kfh_oracle_fio_io(&c, kinds, 2, fs, apply, out);
    /* Its consultation is flt.io.lower's alone: flt.fileio was asked by the call. */
    out->sites[0] = KF_SITE_FLT_LOWER;
    out->n_sites = 1;
}

/* ---- FltClose: FI-5 ---------------------------------------------------------------------------------- */

void kfh_oracle_fio_close(KIRQL irql, int variant, ULONG_PTR handle, kfh_fio_pred *out)
{
    start(out, "FI-5");
    if (irql > PASSIVE_LEVEL)
        kfh_pred_irql(&out->stop, out->rule, PASSIVE_LEVEL, irql);
    else if (variant == KFH_FIO_CLOSE_NULL)
        out->status = STATUS_INVALID_HANDLE;
    else if (variant == KFH_FIO_CLOSE_FOREIGN)
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_CLOSE_FOREIGN_HANDLE, 2, handle, 0);
    else if (variant == KFH_FIO_CLOSE_AGAIN)
        kfh_pred_stop(&out->stop, out->rule, INVALID_KERNEL_HANDLE, 2, handle, 1, 0);
}

/* ---- Reads, writes, queries, sets, flushes: FI-3, FI-7 to FI-15, FS-7, FS-12 to FS-21 ------------------ */

/* The file system's answer (FS-7, FS-12, FS-14, FS-17, FS-19, FS-21). */
static NTSTATUS fs_io(const kfh_fio_io_in *in, kfh_fio_node *n, int apply, kfh_fio_pred *out)
{
    ULONG off = in->offset, len = in->length;
    switch (in->routine) {
    case KFH_FIO_IO_READ:
        out->rule = "FS-7";
        if (n->dir)
            return STATUS_INVALID_DEVICE_REQUEST;
        if (len == 0)
            return STATUS_SUCCESS;
        if (off >= n->size)
            return STATUS_END_OF_FILE;
        out->information = n->size - off < len ? n->size - off : len;
        return STATUS_SUCCESS;
    case KFH_FIO_IO_WRITE:
        out->rule = "FS-7";
        if (n->dir)
            return STATUS_INVALID_DEVICE_REQUEST;
        if (n->readonly)
            return STATUS_ACCESS_DENIED;
        if (len == 0)
            return STATUS_SUCCESS;
        out->information = len;
        if (apply) {
            for (ULONG i = n->size; i < off && i < KFH_FIO_SHADOW; i++)
                n->data[i] = 0; /* a gap reads as zeros */
            for (ULONG i = 0; i < len && off + i < KFH_FIO_SHADOW; i++)
                n->data[off + i] = kfh_fio_byte(off, i);
            if (off + len > n->size)
                n->size = off + len;
        }
        return STATUS_SUCCESS;
    case KFH_FIO_IO_QUERY:
        out->rule = "FS-12";
        out->information = sizeof(FILE_STANDARD_INFORMATION);
        out->end_of_file = n->dir ? 0 : n->size;
        return STATUS_SUCCESS;
    case KFH_FIO_IO_SET_EOF:
        out->rule = "FS-14";
        if (n->dir)
            return STATUS_INVALID_PARAMETER;
        if (apply) {
            for (ULONG i = n->size; i < off && i < KFH_FIO_SHADOW; i++)
                n->data[i] = 0; /* extended with zeros */
            n->size = off;
        }
        return STATUS_SUCCESS;
    case KFH_FIO_IO_VOLUME:
        out->rule = "FS-19";
        out->information = sizeof(FILE_FS_DEVICE_INFORMATION);
        return STATUS_SUCCESS;
    case KFH_FIO_IO_FLUSH:
        out->rule = "FS-21";
        return STATUS_SUCCESS;
    default: /* KFH_FIO_IO_DIRECTORY */
        out->rule = "FS-17";
        if (!n->dir)
            return STATUS_INVALID_PARAMETER;
        /* A directory other than the root begins with ".": its entry alone. */
        out->information = offsetof(FILE_NAMES_INFORMATION, FileName) + sizeof(WCHAR);
        return STATUS_SUCCESS;
    }
}

void kfh_oracle_fio_io(const kfh_fio_io_in *in, const kf_fault_kind *kinds, int n, kfh_fio_fs *fs, int apply,
                       kfh_fio_pred *out)
{
    int rw = in->routine == KFH_FIO_IO_READ || in->routine == KFH_FIO_IO_WRITE;
    start(out, rw ? "FI-7" : in->routine == KFH_FIO_IO_VOLUME ? "FI-12" : "FI-11");
    /* Reads and writes: APC_LEVEL only for paging I/O, which the runner does not issue. */
    if (in->irql > PASSIVE_LEVEL) {
        KIRQL max = rw && in->irql > APC_LEVEL ? APC_LEVEL : PASSIVE_LEVEL;
        kfh_pred_irql(&out->stop, out->rule, max, in->irql);
        return;
    }
    if (in->misuse == KFH_FIO_MIS_FLAGS) {
        kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_FILEIO_BAD_FLAGS, 2, KFH_FIO_BAD_FLAG, 0);
        return;
    }
    if (in->routine != KFH_FIO_IO_VOLUME) {
        out->rule = "FI-3";
        if (in->misuse == KFH_FIO_MIS_NULL_OBJECT) {
            kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_FILEIO_NULL_ARGUMENT, 2, 2, 0);
            return;
        }
        if (in->misuse == KFH_FIO_MIS_WRONG_VOLUME) {
            kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_FILEIO_WRONG_VOLUME, 3, in->volume,
                               in->other_volume);
            return;
        }
        if (in->fo_state == KFH_FIO_FO_CLEANED) {
            kfh_pred_violation(&out->stop, out->rule, KF_VIOL_FLT_FILEIO_NOT_OPEN, 1, 0, 0);
            return;
        }
    }
    if (in->instance_going) {
        out->status = STATUS_FLT_DELETING_OBJECT;
        out->iosb = in->routine == KFH_FIO_IO_VOLUME; /* Iosb gets failures too (FI-12) */
        return;
    }
    out->rule = "FI-14";
    out->sites[out->n_sites++] = KF_SITE_FLT_FILEIO;
    out->iosb = in->routine == KFH_FIO_IO_VOLUME;
    if (decided(kinds, n, 0) != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    /* The request reaches the layers below: an asynchronous one's routine runs (FI-10), now or,
     * deferred, when the pending completions run (F-20). */
    out->callback = rw && in->async;
    if (out->callback && in->deferred) {
        out->rule = "FI-10, F-20";
        out->status = STATUS_PENDING;
        return;
    }
    out->rule = "F-18";
    out->sites[out->n_sites++] = KF_SITE_FLT_LOWER;
    if (decided(kinds, n, 1) != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    kfh_fio_node *node = in->routine == KFH_FIO_IO_VOLUME ? NULL : kfh_fio_lookup(fs, in->volume, in->name);
    static kfh_fio_node none;
    if (in->routine != KFH_FIO_IO_VOLUME && !node) {
        memset(&none, 0, sizeof none);
        node = &none; /* cannot happen: an open file exists */
    }
    out->status = fs_io(in, node ? node : &none, apply, out);
}
