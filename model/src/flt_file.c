/*
 * flt_file.c - the files on the modeled volumes and the file objects opened on them: the file
 * system below every filter instance. A volume holds a table of files, directories and named
 * streams that a test or a scenario fills (kf_flt_add_file); a FILE_OBJECT is an object of
 * IoFileObjectType (object.c) whose FsContext, once a create succeeded, identifies the stream
 * it opened and is shared by every open of that stream, as a real file system's stream
 * control block is. The file system answers the I/O that reaches the bottom of the stack on a
 * file object of its own (kf__flt_fs_answer): create with its dispositions and options, read,
 * write, cleanup and close.
 *
 * Implements SEMANTICS.md "Files below the filters" FS-1 .. FS-8. Must never decide from an
 * address, never read a FILE_OBJECT it did not create (a pointer is found among its records
 * first), and never answer an operation it does not model with a made-up success: those keep
 * the lower layers' documented defaults (flt_io.c), which a hook or a scenario replaces.
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

/* One file, directory or named stream of a file. */
typedef struct fs_node {
    struct fs_node *next;
    unsigned volume;
    WCHAR *path;            /* from the root, "\dir\name", without the stream */
    USHORT path_chars;
    WCHAR *stream;          /* the stream name without its colon; NULL: the default stream */
    USHORT stream_chars;
    ULONG attributes;
    UCHAR *data;
    ULONG size;
    ULONG opens;            /* file objects whose create succeeded, not yet closed */
    ULONG handles;          /* of those, the ones not yet cleaned up */
    LONGLONG file_id;       /* 1, 2, ... in the order the files were made */
    BOOLEAN delete_pending;
} fs_node;

/* The model's record of one file object it created. */
typedef struct fo_rec {
    struct fo_rec *next;
    PFILE_OBJECT fo;
    WCHAR *name_buf;        /* FileName.Buffer, freed with the object */
    unsigned volume;
    fs_node *node;          /* set by a successful create */
    BOOLEAN cleaned_up;
} fo_rec;

static fs_node *nodes;
static fo_rec *fos;
static size_t n_fos;
static LONGLONG next_file_id;

/* ---- Names ------------------------------------------------------------------------------ */

static BOOLEAN same_name(const WCHAR *a, USHORT an, const WCHAR *b, USHORT bn)
{
    if (an != bn)
        return FALSE;
    for (USHORT i = 0; i < an; i++)
        if (kf__upcase(a[i]) != kf__upcase(b[i]))
            return FALSE;
    return TRUE;
}

/* Characters a file name component may not hold (FS-3). */
static BOOLEAN bad_char(WCHAR c)
{
    return c < 0x20 || c == L'"' || c == L'*' || c == L'/' || c == L'<' || c == L'>' || c == L'?' ||
           c == L'|';
}

/* Splits "\dir\name:stream[:$DATA]" into path and stream. Returns FALSE when the name is not a
 * valid path on the volume (FS-3). */
static BOOLEAN split(const WCHAR *full, USHORT chars, USHORT *path_chars, const WCHAR **stream,
                     USHORT *stream_chars)
{
    if (chars == 0 || full[0] != L'\\')
        return FALSE;
    USHORT colon = chars;
    for (USHORT i = 0; i < chars; i++) {
        WCHAR c = full[i];
        if (c == L':') {
            if (colon == chars)
                colon = i;
            continue; /* a second colon separates the stream's type */
        }
        if (bad_char(c))
            return FALSE;
        if (c == L'\\' && (colon != chars || (i > 0 && full[i - 1] == L'\\')))
            return FALSE;
    }
    USHORT p = colon;
    while (p > 1 && full[p - 1] == L'\\') /* "\dir\" names "\dir" */
        p--;
    *path_chars = p;
    *stream = NULL;
    *stream_chars = 0;
    if (colon < chars) {
        const WCHAR *s = full + colon + 1;
        USHORT n = (USHORT)(chars - colon - 1);
        USHORT type = n;
        for (USHORT i = 0; i < n; i++)
            if (s[i] == L':') {
                type = i;
                break;
            }
        if (type < n) { /* only the data stream type is modeled */
            static const WCHAR data_type[] = {'$', 'D', 'A', 'T', 'A'};
            if (!same_name(s + type + 1, (USHORT)(n - type - 1), data_type, 5))
                return FALSE;
        }
        if (type > 0) {
            *stream = s;
            *stream_chars = type;
        }
    }
    return TRUE;
}

static fs_node *find_node(unsigned volume, const WCHAR *path, USHORT pn, const WCHAR *stream, USHORT sn)
{
    for (fs_node *n = nodes; n; n = n->next)
        if (n->volume == volume && same_name(n->path, n->path_chars, path, pn) &&
            ((!stream && !n->stream) || (stream && n->stream && same_name(n->stream, n->stream_chars, stream, sn))))
            return n;
    return NULL;
}

/* The directory that holds path, or NULL when path is the root. */
static BOOLEAN parent_is_directory(unsigned volume, const WCHAR *path, USHORT pn, BOOLEAN *parent_missing)
{
    USHORT cut = pn;
    while (cut > 0 && path[cut - 1] != L'\\')
        cut--;
    *parent_missing = FALSE;
    if (cut <= 1) /* in the root */
        return TRUE;
    fs_node *p = find_node(volume, path, (USHORT)(cut - 1), NULL, 0);
    if (!p) {
        *parent_missing = TRUE;
        return FALSE;
    }
    return (p->attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

static WCHAR *copy_wide(const WCHAR *s, USHORT n)
{
    WCHAR *c = malloc(((size_t)n + 1) * sizeof(WCHAR));
    if (c) {
        if (n)
            memcpy(c, s, (size_t)n * sizeof(WCHAR));
        c[n] = 0;
    }
    return c;
}

static fs_node *make_node(unsigned volume, const WCHAR *path, USHORT pn, const WCHAR *stream, USHORT sn,
                          ULONG attributes)
{
    fs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->path = copy_wide(path, pn);
    n->stream = stream ? copy_wide(stream, sn) : NULL;
    if (!n->path || (stream && !n->stream)) {
        free(n->path);
        free(n->stream);
        free(n);
        return NULL;
    }
    n->volume = volume;
    n->path_chars = pn;
    n->stream_chars = stream ? sn : 0;
    n->attributes = attributes ? attributes : FILE_ATTRIBUTE_NORMAL;
    n->file_id = ++next_file_id;
    n->next = nodes;
    nodes = n;
    return n;
}

static void free_node(fs_node *n)
{
    free(n->path);
    free(n->stream);
    free(n->data);
    free(n);
}

static void unlink_node(fs_node *gone)
{
    for (fs_node **pp = &nodes; *pp; pp = &(*pp)->next)
        if (*pp == gone) {
            *pp = gone->next;
            return;
        }
}

/* ---- The control surface ---------------------------------------------------------------- */

int kf_flt_add_file(unsigned volume, const kf_flt_file_spec *spec)
{
    if (!spec || !spec->path || volume >= KF_FLT_MAX_VOLUMES)
        return -1;
    USHORT chars = 0;
    while (spec->path[chars] && chars < 1024)
        chars++;
    USHORT pn, sn;
    const WCHAR *stream;
    if (!split(spec->path, chars, &pn, &stream, &sn) || pn <= 1)
        return -1;
    BOOLEAN dir = (spec->attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    if (dir && stream)
        return -1;
    BOOLEAN parent_missing;
    if (!parent_is_directory(volume, spec->path, pn, &parent_missing))
        return -1;
    if (stream && !find_node(volume, spec->path, pn, NULL, 0))
        return -1; /* a named stream belongs to a file that exists */
    if (find_node(volume, spec->path, pn, stream, sn))
        return -1;
    fs_node *n = make_node(volume, spec->path, pn, stream, sn, spec->attributes);
    if (!n)
        return -1;
    if (spec->size && !dir) {
        n->data = malloc(spec->size);
        if (!n->data) {
            unlink_node(n);
            free_node(n);
            return -1;
        }
        if (spec->data)
            memcpy(n->data, spec->data, spec->size);
        else
            memset(n->data, 0, spec->size);
        n->size = spec->size;
    }
    return 0;
}

size_t kf_flt_files(unsigned volume)
{
    size_t k = 0;
    for (fs_node *n = nodes; n; n = n->next)
        k += n->volume == volume;
    return k;
}

int kf_flt_file_contents(unsigned volume, const WCHAR *path, const void **data, ULONG *size)
{
    if (!path)
        return -1;
    USHORT chars = 0;
    while (path[chars] && chars < 1024)
        chars++;
    USHORT pn, sn;
    const WCHAR *stream;
    if (!split(path, chars, &pn, &stream, &sn))
        return -1;
    fs_node *n = find_node(volume, path, pn, stream, sn);
    if (!n)
        return -1;
    if (data)
        *data = n->data;
    if (size)
        *size = n->size;
    return 0;
}

size_t kf_flt_file_objects_outstanding(void) { return n_fos; }

/* ---- File objects ------------------------------------------------------------------------ */

static fo_rec *find_fo(const void *p)
{
    for (fo_rec *r = fos; r; r = r->next)
        if (r->fo == p)
            return r;
    return NULL;
}

static void close_node(fo_rec *r)
{
    fs_node *n = r->node;
    if (!n)
        return;
    r->node = NULL;
    if (!r->cleaned_up && n->handles)
        n->handles--;
    n->opens--;
    if (n->opens == 0 && n->delete_pending) { /* FS-6: the last close deletes */
        if (!n->stream) /* the file goes with its named streams */
            for (fs_node **pp = &nodes; *pp;) {
                fs_node *s = *pp;
                if (s != n && s->stream && s->volume == n->volume &&
                    same_name(s->path, s->path_chars, n->path, n->path_chars)) {
                    *pp = s->next;
                    free_node(s);
                } else
                    pp = &s->next;
            }
        unlink_node(n);
        free_node(n);
    }
}

/* The object manager's delete procedure of a file object: the close reaches the file system. */
static void file_object_deleted(void *body)
{
    for (fo_rec **pp = &fos; *pp; pp = &(*pp)->next)
        if ((*pp)->fo == body) {
            fo_rec *r = *pp;
            *pp = r->next;
            close_node(r);
            free(r->name_buf);
            free(r);
            n_fos--;
            return;
        }
}

PFILE_OBJECT kf__flt_file_object_new(const struct _FLT_VOLUME *v, const WCHAR *name, USHORT chars,
                                     PFILE_OBJECT related)
{
    if (!v)
        return NULL;
    kf__type_file.delete_fn = file_object_deleted;
    fo_rec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->name_buf = copy_wide(name ? name : (const WCHAR *)L"", name ? chars : 0);
    PFILE_OBJECT fo = r->name_buf ? kf__object_create(&kf__type_file, sizeof(FILE_OBJECT), "File") : NULL;
    if (!fo) {
        free(r->name_buf);
        free(r);
        return NULL;
    }
    fo->Type = 5; /* IO_TYPE_FILE */
    fo->Size = (CSHORT)sizeof(FILE_OBJECT);
    fo->RelatedFileObject = related;
    fo->FileName.Buffer = r->name_buf;
    fo->FileName.Length = (USHORT)((name ? chars : 0) * sizeof(WCHAR));
    fo->FileName.MaximumLength = (USHORT)(fo->FileName.Length + sizeof(WCHAR));
    r->fo = fo;
    r->volume = v->index;
    r->next = fos;
    fos = r;
    n_fos++;
    return fo;
}

PFILE_OBJECT kf_flt_new_file_object(unsigned volume, const WCHAR *name, PFILE_OBJECT related)
{
    struct _FLT_VOLUME *v = volume < kf_flt_volume_count() ? kf__flt_volume_at(volume) : NULL;
    USHORT chars = 0;
    while (name && name[chars] && chars < 4096)
        chars++;
    PFILE_OBJECT fo = kf__flt_file_object_new(v, name, chars, related);
    if (fo)
        kf__object_give(fo); /* the caller's reference now */
    return fo;
}

BOOLEAN kf__flt_file_object_volume(const void *fo, unsigned *volume)
{
    fo_rec *r = find_fo(fo);
    if (!r)
        return FALSE;
    if (volume)
        *volume = r->volume;
    return TRUE;
}

/* The full name a create opens: the related file object's name, a separator, then its own. */
static WCHAR *full_name(const fo_rec *r, USHORT *chars)
{
    const FILE_OBJECT *fo = r->fo;
    const UNICODE_STRING *own = &fo->FileName;
    USHORT on = own->Buffer ? (USHORT)(own->Length / sizeof(WCHAR)) : 0;
    const fo_rec *rel = fo->RelatedFileObject ? find_fo(fo->RelatedFileObject) : NULL;
    USHORT rn = rel ? (USHORT)(rel->fo->FileName.Length / sizeof(WCHAR)) : 0;
    WCHAR *w = malloc(((size_t)rn + on + 2) * sizeof(WCHAR));
    if (!w)
        return NULL;
    USHORT k = 0;
    if (rel) {
        memcpy(w, rel->fo->FileName.Buffer, (size_t)rn * sizeof(WCHAR));
        k = rn;
        if (on && (k == 0 || w[k - 1] != L'\\') && own->Buffer[0] != L':')
            w[k++] = L'\\';
    }
    if (on)
        memcpy(w + k, own->Buffer, (size_t)on * sizeof(WCHAR));
    k = (USHORT)(k + on);
    w[k] = 0;
    *chars = k;
    return w;
}

/* FS-2 .. FS-5: a create's answer. */
static NTSTATUS fs_create(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;
    ULONG disposition = (iopb->Parameters.Create.Options >> 24) & 0xFF;
    ULONG options = iopb->Parameters.Create.Options & 0x00FFFFFF;
    *information = 0;
    if (r->node)
        return STATUS_INVALID_DEVICE_REQUEST; /* a file object is opened once */
    if (disposition > FILE_MAXIMUM_DISPOSITION)
        return STATUS_INVALID_PARAMETER;
    if ((options & FILE_DIRECTORY_FILE) && (options & FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER;
    USHORT chars;
    WCHAR *full = full_name(r, &chars);
    if (!full)
        return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS st;
    USHORT pn, sn;
    const WCHAR *stream;
    if (chars == 0) { /* the volume itself */
        free(full);
        return STATUS_ACCESS_DENIED;
    }
    if (!split(full, chars, &pn, &stream, &sn)) {
        free(full);
        return STATUS_OBJECT_NAME_INVALID;
    }
    fs_node *n;
    if (pn <= 1 && !stream) { /* the root directory */
        n = find_node(r->volume, full, 1, NULL, 0);
        if (!n)
            n = make_node(r->volume, full, 1, NULL, 0, FILE_ATTRIBUTE_DIRECTORY);
        if (!n) {
            free(full);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    } else
        n = find_node(r->volume, full, pn, stream, sn);
    BOOLEAN parent_missing = FALSE;
    if (!n && !parent_is_directory(r->volume, full, pn, &parent_missing)) {
        free(full);
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    fs_node *base = stream ? find_node(r->volume, full, pn, NULL, 0) : n;
    if (stream && !base) {
        free(full);
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    BOOLEAN is_dir = n && (n->attributes & FILE_ATTRIBUTE_DIRECTORY);
    if (n) {
        if (n->delete_pending)
            st = STATUS_DELETE_PENDING;
        else if (disposition == FILE_CREATE)
            st = STATUS_OBJECT_NAME_COLLISION;
        else if ((options & FILE_NON_DIRECTORY_FILE) && is_dir)
            st = STATUS_FILE_IS_A_DIRECTORY;
        else if ((options & FILE_DIRECTORY_FILE) && !is_dir)
            st = STATUS_NOT_A_DIRECTORY;
        else if (is_dir && (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
                            disposition == FILE_OVERWRITE_IF))
            st = STATUS_INVALID_PARAMETER;
        else if ((n->attributes & FILE_ATTRIBUTE_READONLY) &&
                 (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
                  disposition == FILE_OVERWRITE_IF || (options & FILE_DELETE_ON_CLOSE)))
            st = STATUS_ACCESS_DENIED;
        else {
            st = STATUS_SUCCESS;
            switch (disposition) {
            case FILE_SUPERSEDE:
                *information = FILE_SUPERSEDED;
                break;
            case FILE_OVERWRITE:
            case FILE_OVERWRITE_IF:
                *information = FILE_OVERWRITTEN;
                break;
            default:
                *information = FILE_OPENED;
            }
            if (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF) {
                free(n->data);
                n->data = NULL;
                n->size = 0;
            }
        }
    } else if (disposition == FILE_OPEN || disposition == FILE_OVERWRITE) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
    } else if ((base && (base->attributes & FILE_ATTRIBUTE_DIRECTORY) && stream)) {
        st = STATUS_INVALID_PARAMETER; /* no named data streams on a directory */
    } else {
        ULONG attrs = (options & FILE_DIRECTORY_FILE) ? FILE_ATTRIBUTE_DIRECTORY
                                                        : (ULONG)iopb->Parameters.Create.FileAttributes;
        attrs &= FILE_ATTRIBUTE_VALID_FLAGS;
        n = make_node(r->volume, full, pn, stream, sn, attrs);
        if (!n)
            st = STATUS_INSUFFICIENT_RESOURCES;
        else {
            st = STATUS_SUCCESS;
            *information = FILE_CREATED;
        }
    }
    free(full);
    if (NT_SUCCESS(st)) {
        r->node = n;
        n->opens++;
        n->handles++;
        r->fo->FsContext = n;
        r->fo->Flags |= FO_FILE_OPEN | FO_HANDLE_CREATED;
        if (options & FILE_SYNCHRONOUS_IO_NONALERT)
            r->fo->Flags |= FO_SYNCHRONOUS_IO;
        if (options & FILE_NO_INTERMEDIATE_BUFFERING)
            r->fo->Flags |= FO_NO_INTERMEDIATE_BUFFERING;
        if (options & FILE_DELETE_ON_CLOSE)
            r->fo->Flags |= FO_DELETE_ON_CLOSE;
        r->fo->CurrentByteOffset.QuadPart = 0;
    }
    return st;
}

static LONGLONG offset_of(const fo_rec *r, const LARGE_INTEGER *off)
{
    if (off->HighPart == -1 && off->LowPart == FILE_USE_FILE_POINTER_POSITION)
        return r->fo->CurrentByteOffset.QuadPart;
    return off->QuadPart;
}

/* FS-7: reads from the stream's bytes. */
static NTSTATUS fs_read(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    fs_node *n = r->node;
    *information = 0;
    if (n->attributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_DEVICE_REQUEST;
    ULONG len = d->Iopb->Parameters.Read.Length;
    LONGLONG off = offset_of(r, &d->Iopb->Parameters.Read.ByteOffset);
    if (off < 0)
        return STATUS_INVALID_PARAMETER;
    if (len == 0)
        return STATUS_SUCCESS;
    if ((ULONGLONG)off >= n->size)
        return STATUS_END_OF_FILE;
    ULONG avail = (ULONG)(n->size - (ULONGLONG)off);
    ULONG k = len < avail ? len : avail;
    PVOID buf = d->Iopb->Parameters.Read.ReadBuffer;
    if (!buf && d->Iopb->Parameters.Read.MdlAddress)
        buf = MmGetSystemAddressForMdlSafe(d->Iopb->Parameters.Read.MdlAddress, NormalPagePriority);
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    memcpy(buf, n->data + off, k);
    *information = k;
    if (r->fo->Flags & FO_SYNCHRONOUS_IO)
        r->fo->CurrentByteOffset.QuadPart = off + k;
    return STATUS_SUCCESS;
}

/* FS-7: writes extend the stream; a write at the end-of-file offset appends. */
static NTSTATUS fs_write(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    fs_node *n = r->node;
    *information = 0;
    if (n->attributes & FILE_ATTRIBUTE_DIRECTORY)
        return STATUS_INVALID_DEVICE_REQUEST;
    if (n->attributes & FILE_ATTRIBUTE_READONLY)
        return STATUS_ACCESS_DENIED;
    ULONG len = d->Iopb->Parameters.Write.Length;
    LARGE_INTEGER *o = &d->Iopb->Parameters.Write.ByteOffset;
    LONGLONG off = (o->HighPart == -1 && o->LowPart == FILE_WRITE_TO_END_OF_FILE) ? (LONGLONG)n->size
                                                                                 : offset_of(r, o);
    if (off < 0)
        return STATUS_INVALID_PARAMETER;
    if (len == 0)
        return STATUS_SUCCESS;
    if ((ULONGLONG)off + len > KF_FLT_FILE_MAX_SIZE)
        return STATUS_DISK_FULL;
    PVOID buf = d->Iopb->Parameters.Write.WriteBuffer;
    if (!buf && d->Iopb->Parameters.Write.MdlAddress)
        buf = MmGetSystemAddressForMdlSafe(d->Iopb->Parameters.Write.MdlAddress, NormalPagePriority);
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    ULONG end = (ULONG)off + len;
    if (end > n->size) {
        UCHAR *grown = realloc(n->data, end);
        if (!grown)
            return STATUS_INSUFFICIENT_RESOURCES;
        memset(grown + n->size, 0, end - n->size);
        n->data = grown;
        n->size = end;
    }
    memcpy(n->data + off, buf, len);
    *information = len;
    if (r->fo->Flags & FO_SYNCHRONOUS_IO)
        r->fo->CurrentByteOffset.QuadPart = off + len;
    return STATUS_SUCCESS;
}

BOOLEAN kf__flt_fs_answer(kf_flt_lower_io *io)
{
    PFLT_CALLBACK_DATA d = io->data;
    fo_rec *r = find_fo(d->Iopb->TargetFileObject);
    if (!r)
        return FALSE; /* not a file of the modeled file system: the documented defaults */
    if (io->fault)
        return TRUE;  /* the lower layers' memory failed: the default failure stands */
    ULONG_PTR info = 0;
    NTSTATUS st;
    UCHAR major = d->Iopb->MajorFunction;
    if (major != IRP_MJ_CREATE && !r->node) {
        st = STATUS_INVALID_DEVICE_REQUEST; /* FS-8: no I/O on a file object never opened */
    } else {
        switch (major) {
        case IRP_MJ_CREATE:
            st = fs_create(r, d, &info);
            break;
        case IRP_MJ_READ:
            st = fs_read(r, d, &info);
            break;
        case IRP_MJ_WRITE:
            st = fs_write(r, d, &info);
            break;
        case IRP_MJ_CLEANUP:
            if (!r->cleaned_up) {
                r->cleaned_up = TRUE;
                if (r->node->handles)
                    r->node->handles--;
                if (r->fo->Flags & FO_DELETE_ON_CLOSE)
                    r->node->delete_pending = TRUE;
            }
            r->fo->Flags |= FO_CLEANUP_COMPLETE;
            st = STATUS_SUCCESS;
            break;
        case IRP_MJ_CLOSE:
            close_node(r);
            st = STATUS_SUCCESS;
            break;
        default:
            return FALSE; /* not modeled here yet: the documented defaults */
        }
    }
    io->status = st;
    io->information = info;
    return TRUE;
}

/* ---- Reset ------------------------------------------------------------------------------ */

static void file_reset(void)
{
    /* The object manager frees the bodies of objects still alive; the names are ours. */
    while (fos) {
        fo_rec *r = fos;
        fos = r->next;
        free(r->name_buf);
        free(r);
    }
    n_fos = 0;
    while (nodes) {
        fs_node *n = nodes;
        nodes = n->next;
        free_node(n);
    }
    next_file_id = 0;
}

__attribute__((constructor)) static void file_register(void) { kf__register_reset(file_reset); }
