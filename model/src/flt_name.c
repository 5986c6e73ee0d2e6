/*
 * flt_name.c - Filter Manager file names: FltGetFileNameInformation,
 * FltGetFileNameInformationUnsafe, FltReferenceFileNameInformation,
 * FltReleaseFileNameInformation, FltParseFileNameInformation.
 *
 * Implements SEMANTICS.md "Filter Manager file names" FN-1 .. FN-9. A name is the instance's
 * volume name followed by the target file object's FileName (after its RelatedFileObject's
 * name for a relative open). The model keeps no name cache and no short names: a cache-only
 * query always misses and a short name is never found. Each structure lives in one heap
 * block with its name buffer and is really freed at its last release, so AddressSanitizer
 * sees a later touch; the model's record of it lives elsewhere and a pointer the driver hands
 * in is found among the records (addresses only) before it is read. Must never hand out a
 * name that the file object does not give, nor succeed where the WDK documents a failure.
 */
#include "flt_internal.h"

#include <stdlib.h>

typedef struct name_block {
    FLT_FILE_NAME_INFORMATION info;
    WCHAR buf[];
} name_block;

typedef struct name_rec {
    struct name_rec *next;
    name_block *block;
    size_t refs;
    USHORT volume_chars;       /* how much of Name is the volume */
    size_t chars;              /* the Name's length as built (the driver's copy of it may change) */
    unsigned long long serial; /* 1, 2, ... in the run */
} name_rec;

static name_rec *live;
static size_t n_refs_out;
static unsigned long long next_serial;

#define FREED_RING 64
static struct {
    const void *ptr;
    unsigned long long serial;
} freed[FREED_RING];
static unsigned freed_next;

size_t kf_flt_names_outstanding(void) { return n_refs_out; }

/* ---- Records -------------------------------------------------------------------------- */

static name_rec *require_name(const char *routine, PFLT_FILE_NAME_INFORMATION p)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: FileNameInformation is NULL", routine);
    for (name_rec *r = live; r; r = r->next)
        if (&r->block->info == p)
            return r;
    for (unsigned i = 0; i < FREED_RING; i++)
        if (freed[i].ptr && freed[i].ptr == p)
            kf_violation_stop(KF_VIOL_FLT_NAME_OVER_RELEASE, routine, freed[i].serial, 0, 0,
                              "%s of file name information #%llu after its last reference was released "
                              "(Filter Verifier: bug check 0xF5 FLTMGR_FILE_SYSTEM)",
                              routine, freed[i].serial);
    kf_violation_stop(KF_VIOL_FLT_NAME_FOREIGN, routine, 0, 0, 0,
                      "%s of a pointer no FltGet*FileNameInformation returned", routine);
}

VOID FLTAPI FltReferenceFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
    static const char routine[] = "FltReferenceFileNameInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    name_rec *r = require_name(routine, FileNameInformation);
    r->refs++;
    n_refs_out++;
}

VOID FLTAPI FltReleaseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
    static const char routine[] = "FltReleaseFileNameInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    name_rec *r = require_name(routine, FileNameInformation);
    n_refs_out--;
    if (--r->refs)
        return;
    for (name_rec **pp = &live; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    for (unsigned i = 0; i < FREED_RING; i++)
        if (freed[i].ptr == r->block)
            freed[i].ptr = NULL;
    freed[freed_next].ptr = r->block;
    freed[freed_next].serial = r->serial;
    freed_next = (freed_next + 1) % FREED_RING;
    free(r->block);
    free(r);
}

/* ---- Building a name ------------------------------------------------------------------- */

static BOOLEAN options_valid(FLT_FILE_NAME_OPTIONS o)
{
    ULONG fmt = o & FLT_VALID_FILE_NAME_FORMATS, method = o & FLT_VALID_FILE_NAME_QUERY_METHODS;
    if (fmt < FLT_FILE_NAME_NORMALIZED || fmt > FLT_FILE_NAME_SHORT)
        return FALSE;
    if (method < FLT_FILE_NAME_QUERY_DEFAULT || method > FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP)
        return FALSE;
    if (o & 0x00FF0000u)
        return FALSE;
    if (o & FLT_VALID_FILE_NAME_FLAGS & ~(ULONG)(FLT_FILE_NAME_REQUEST_FROM_CURRENT_PROVIDER | FLT_FILE_NAME_DO_NOT_CACHE |
                                                FLT_FILE_NAME_ALLOW_QUERY_ON_REPARSE))
        return FALSE;
    return TRUE;
}

static WCHAR upcase(WCHAR c) { return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c; }

/* Does w[0..n) end with the ASCII text s, ignoring case? */
static BOOLEAN ends_with(const WCHAR *w, size_t n, const char *s)
{
    size_t m = strlen(s);
    if (n < m)
        return FALSE;
    for (size_t i = 0; i < m; i++)
        if (upcase(w[n - m + i]) != upcase((WCHAR)s[i]))
            return FALSE;
    return TRUE;
}

/* Allocates and fills the structure for `file` on `vol` in format `fmt` (normalized or opened). */
static NTSTATUS build(const struct _FLT_VOLUME *vol, PFILE_OBJECT file, ULONG fmt, PFLT_FILE_NAME_INFORMATION *out)
{
    if (kf_fault_consult(KF_SITE_FLT_NAME) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    WCHAR vname[KF__FLT_VOLUME_NAME_MAX];
    USHORT vchars = kf__flt_volume_name(vol, vname);
    const UNICODE_STRING *own = &file->FileName;
    const UNICODE_STRING *rel = NULL;
    size_t own_chars = own->Buffer ? own->Length / sizeof(WCHAR) : 0;
    if (file->RelatedFileObject && (own_chars == 0 || own->Buffer[0] != L'\\'))
        rel = &file->RelatedFileObject->FileName;
    size_t rel_chars = rel && rel->Buffer ? rel->Length / sizeof(WCHAR) : 0;
    size_t cap = vchars + rel_chars + 1 + own_chars + 1;
    if (cap > 0x7FFF)
        return STATUS_OBJECT_NAME_INVALID; /* longer than a UNICODE_STRING holds */
    name_block *b = malloc(sizeof *b + cap * sizeof(WCHAR));
    name_rec *r = calloc(1, sizeof *r);
    if (!b || !r) {
        free(b);
        free(r);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    WCHAR *w = b->buf;
    size_t n = 0;
    memcpy(w, vname, vchars * sizeof(WCHAR));
    n = vchars;
    if (rel_chars) {
        memcpy(w + n, rel->Buffer, rel_chars * sizeof(WCHAR));
        n += rel_chars;
        if (own_chars && w[n - 1] != L'\\')
            w[n++] = L'\\';
    }
    if (own_chars) {
        memcpy(w + n, own->Buffer, own_chars * sizeof(WCHAR));
        n += own_chars;
    }
    if (n == vchars)
        w[n++] = L'\\'; /* the volume's root */
    if (fmt == FLT_FILE_NAME_NORMALIZED) {
        /* The default data stream's type goes, and a directory's trailing backslash (not the root's). */
        if (ends_with(w, n, "::$DATA"))
            n -= 7;
        else if (ends_with(w, n, ":$DATA"))
            n -= 6;
        if (n > (size_t)vchars + 1 && w[n - 1] == L'\\')
            n--;
    }
    memset(&b->info, 0, sizeof b->info);
    b->info.Size = sizeof b->info;
    b->info.Format = fmt;
    b->info.Name.Buffer = w;
    b->info.Name.Length = (USHORT)(n * sizeof(WCHAR));
    b->info.Name.MaximumLength = (USHORT)(cap * sizeof(WCHAR));
    b->info.Volume.Buffer = w;
    b->info.Volume.Length = b->info.Volume.MaximumLength = (USHORT)(vchars * sizeof(WCHAR));
    r->block = b;
    r->refs = 1;
    r->volume_chars = vchars;
    r->chars = n;
    r->serial = ++next_serial;
    r->next = live;
    live = r;
    n_refs_out++;
    *out = &b->info;
    return STATUS_SUCCESS;
}

/* The FS cannot be asked now (fact sheet §3.3, the unsafe conditions the model can see). */
static BOOLEAN unsafe_now(PFLT_CALLBACK_DATA d, PFILE_OBJECT fo)
{
    if (d->Iopb->IrpFlags & IRP_PAGING_IO)
        return TRUE;
    if (fo->Flags & FO_CLEANUP_COMPLETE)
        return TRUE;
    switch (d->Iopb->MajorFunction) {
    case IRP_MJ_ACQUIRE_FOR_CC_FLUSH:
    case IRP_MJ_ACQUIRE_FOR_MOD_WRITE:
    case IRP_MJ_RELEASE_FOR_CC_FLUSH:
    case IRP_MJ_RELEASE_FOR_MOD_WRITE:
    case IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION:
        return TRUE;
    default:
        break;
    }
    return KeAreAllApcsDisabled();
}

NTSTATUS FLTAPI FltGetFileNameInformation(PFLT_CALLBACK_DATA CallbackData, FLT_FILE_NAME_OPTIONS NameOptions,
                                          PFLT_FILE_NAME_INFORMATION *FileNameInformation)
{
    static const char routine[] = "FltGetFileNameInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!CallbackData || !FileNameInformation)
        return STATUS_INVALID_PARAMETER;
    *FileNameInformation = NULL;
    if (!options_valid(NameOptions))
        return STATUS_INVALID_PARAMETER;
    PFLT_IO_PARAMETER_BLOCK iopb = CallbackData->Iopb;
    struct _FLT_INSTANCE *inst = iopb ? kf__flt_find_instance(iopb->TargetInstance) : NULL;
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "FltGetFileNameInformation: the callback data's Iopb->TargetInstance is not a live instance");
    PFILE_OBJECT fo = iopb->TargetFileObject;
    if (!fo)
        return STATUS_INVALID_PARAMETER;
    ULONG fmt = FltGetFileNameFormat(NameOptions), method = FltGetFileNameQueryMethod(NameOptions);
    if (fmt == FLT_FILE_NAME_SHORT)
        return iopb->MajorFunction == IRP_MJ_CREATE ? STATUS_FLT_INVALID_NAME_REQUEST : STATUS_OBJECT_NAME_NOT_FOUND;
    if (method == FLT_FILE_NAME_QUERY_CACHE_ONLY)
        return STATUS_FLT_NAME_CACHE_MISS;
    if (unsafe_now(CallbackData, fo))
        return method == FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP ? STATUS_FLT_NAME_CACHE_MISS
                                                                      : STATUS_FLT_INVALID_NAME_REQUEST;
    return build(inst->volume, fo, fmt, FileNameInformation);
}

NTSTATUS FLTAPI FltGetFileNameInformationUnsafe(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance,
                                                FLT_FILE_NAME_OPTIONS NameOptions,
                                                PFLT_FILE_NAME_INFORMATION *FileNameInformation)
{
    static const char routine[] = "FltGetFileNameInformationUnsafe";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!FileObject || !FileNameInformation)
        return STATUS_INVALID_PARAMETER;
    *FileNameInformation = NULL;
    if (!options_valid(NameOptions))
        return STATUS_INVALID_PARAMETER;
    const struct _FLT_VOLUME *vol;
    if (Instance) {
        struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
        if (!inst)
            kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                              "FltGetFileNameInformationUnsafe: Instance is not a live instance");
        vol = inst->volume;
    } else {
        vol = kf__flt_find_volume(kf__flt_volume_zero());
        if (!vol)
            return STATUS_FLT_VOLUME_NOT_FOUND;
    }
    ULONG fmt = FltGetFileNameFormat(NameOptions), method = FltGetFileNameQueryMethod(NameOptions);
    if (method != FLT_FILE_NAME_QUERY_CACHE_ONLY && KeAreAllApcsDisabled())
        kf_violation_stop(KF_VIOL_FLT_NAME_UNSAFE_QUERY, routine, NameOptions, KeGetCurrentIrql(), 0,
                          "FltGetFileNameInformationUnsafe with query method 0x%X while all APCs are disabled "
                          "(IRQL %u): asking the file system here can deadlock",
                          (unsigned)method, (unsigned)KeGetCurrentIrql());
    if (FileObject->Flags & FO_CLEANUP_COMPLETE)
        return STATUS_FLT_INVALID_NAME_REQUEST;
    if (fmt == FLT_FILE_NAME_SHORT)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (method == FLT_FILE_NAME_QUERY_CACHE_ONLY)
        return STATUS_FLT_NAME_CACHE_MISS;
    return build(vol, FileObject, fmt, FileNameInformation);
}

/* ---- FltGetDestinationFileNameInformation (FN-10, FN-11) ------------------------------------- */

/* Does w[0..n) begin with the ASCII text s, ignoring case? */
static BOOLEAN starts_with(const WCHAR *w, size_t n, const char *s)
{
    size_t m = strlen(s);
    if (n < m)
        return FALSE;
    for (size_t i = 0; i < m; i++)
        if (upcase(w[i]) != upcase((WCHAR)s[i]))
            return FALSE;
    return TRUE;
}

/* The volume-relative path ("\dir\name") a full FileName names on vol: the drive letter forms
 * (\??\X:, \DosDevices\X:, \GLOBAL??\X:, FO-2: volume N is drive C + N) or the volume's device
 * name, each followed by a backslash or nothing (the root). *start and *chars receive the part
 * after the volume; returns STATUS_SUCCESS, STATUS_NOT_SAME_DEVICE for another volume's name, or
 * STATUS_OBJECT_PATH_NOT_FOUND for a path that names no volume. */
static NTSTATUS full_destination(const struct _FLT_VOLUME *vol, const WCHAR *w, size_t n, size_t *start)
{
    static const char *const prefixes[] = {"\\??\\", "\\DosDevices\\", "\\GLOBAL??\\"};
    for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++) {
        size_t m = strlen(prefixes[k]);
        if (!starts_with(w, n, prefixes[k]) || n < m + 2 || w[m + 1] != L':' || (n > m + 2 && w[m + 2] != L'\\'))
            continue;
        WCHAR letter = upcase(w[m]);
        if (letter < L'C' || letter > L'Z' || (unsigned)(letter - L'C') >= kf_flt_volume_count())
            return STATUS_OBJECT_PATH_NOT_FOUND;
        if ((unsigned)(letter - L'C') != vol->index)
            return STATUS_NOT_SAME_DEVICE;
        *start = m + 2;
        return STATUS_SUCCESS;
    }
    WCHAR vname[KF__FLT_VOLUME_NAME_MAX];
    for (unsigned i = 0; i < kf_flt_volume_count(); i++) {
        const struct _FLT_VOLUME *v = kf__flt_volume_at(i);
        USHORT vchars = v ? kf__flt_volume_name(v, vname) : 0;
        if (!vchars || n < vchars || (n > vchars && w[vchars] != L'\\'))
            continue;
        BOOLEAN same = TRUE;
        for (USHORT c = 0; c < vchars && same; c++)
            same = upcase(w[c]) == upcase(vname[c]);
        if (!same)
            continue;
        if (v != vol)
            return STATUS_NOT_SAME_DEVICE;
        *start = vchars;
        return STATUS_SUCCESS;
    }
    return STATUS_OBJECT_PATH_NOT_FOUND;
}

/* The volume-relative name of a file object as FN-1 composes it (its related object's name
 * first when its own is relative), into out (cap WCHARs); returns its length, or cap + 1 when it
 * does not fit. */
static size_t object_path(PFILE_OBJECT fo, WCHAR *out, size_t cap)
{
    const UNICODE_STRING *own = &fo->FileName;
    size_t own_chars = own->Buffer ? own->Length / sizeof(WCHAR) : 0, n = 0;
    if (fo->RelatedFileObject && (own_chars == 0 || own->Buffer[0] != L'\\')) {
        const UNICODE_STRING *rel = &fo->RelatedFileObject->FileName;
        size_t rel_chars = rel->Buffer ? rel->Length / sizeof(WCHAR) : 0;
        if (rel_chars + 1 + own_chars > cap)
            return cap + 1;
        memcpy(out, rel->Buffer, rel_chars * sizeof(WCHAR));
        n = rel_chars;
        if (own_chars && n && out[n - 1] != L'\\')
            out[n++] = L'\\';
    }
    if (n + own_chars > cap)
        return cap + 1;
    if (own_chars)
        memcpy(out + n, own->Buffer, own_chars * sizeof(WCHAR));
    return n + own_chars;
}

#define DEST_MAX 0x7FF0 /* WCHARs: what a UNICODE_STRING holds, with the volume's name */

NTSTATUS FLTAPI FltGetDestinationFileNameInformation(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                                     HANDLE RootDirectory, PWSTR FileName, ULONG FileNameLength,
                                                     FLT_FILE_NAME_OPTIONS NameOptions,
                                                     PFLT_FILE_NAME_INFORMATION *RetFileNameInformation)
{
    static const char routine[] = "FltGetDestinationFileNameInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!FileObject || !RetFileNameInformation || (!FileName && FileNameLength))
        return STATUS_INVALID_PARAMETER;
    *RetFileNameInformation = NULL;
    if (!options_valid(NameOptions))
        return STATUS_INVALID_PARAMETER;
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "FltGetDestinationFileNameInformation: Instance is not a live instance");
    ULONG fmt = FltGetFileNameFormat(NameOptions), method = FltGetFileNameQueryMethod(NameOptions);
    if (fmt == FLT_FILE_NAME_SHORT)
        return STATUS_INVALID_PARAMETER; /* the documentation excludes the short format here */
    if (method == FLT_FILE_NAME_QUERY_CACHE_ONLY)
        return STATUS_FLT_NAME_CACHE_MISS;
    if ((FileObject->Flags & FO_CLEANUP_COMPLETE) || KeAreAllApcsDisabled())
        return method == FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP ? STATUS_FLT_NAME_CACHE_MISS
                                                                      : STATUS_FLT_INVALID_NAME_REQUEST;
    size_t n = FileNameLength / sizeof(WCHAR);
    if (n == 0 || (FileNameLength & 1) || n > DEST_MAX)
        return STATUS_OBJECT_NAME_INVALID;

    /* Composed in a buffer of the model's own: a stop on the way (a closed RootDirectory handle)
     * leaves nothing allocated behind, and no driver code runs while it is in use. */
    static WCHAR dest[DEST_MAX + 2];
    size_t dn = 0;
    NTSTATUS st = STATUS_SUCCESS;
    if (FileName[0] == L'\\') {
        /* A full name: it must name this instance's volume. */
        size_t start = 0;
        st = full_destination(inst->volume, FileName, n, &start);
        if (st == STATUS_SUCCESS) {
            dn = n - start;
            memcpy(dest, FileName + start, dn * sizeof(WCHAR));
        }
    } else {
        /* Relative: to RootDirectory's file, or to the directory that holds the file now. */
        if (RootDirectory) {
            PFILE_OBJECT dir = NULL;
            st = ObReferenceObjectByHandle(RootDirectory, 0, *IoFileObjectType, KernelMode, (PVOID *)&dir, NULL);
            if (NT_SUCCESS(st)) {
                dn = object_path(dir, dest, DEST_MAX);
                ObDereferenceObject(dir);
            }
        } else {
            dn = object_path(FileObject, dest, DEST_MAX);
            while (dn > 0 && dest[dn - 1] != L'\\') /* the final component goes */
                dn--;
            if (dn > 1)
                dn--; /* and the backslash before it, but the root's */
        }
        if (NT_SUCCESS(st)) {
            if (dn + 1 + n > DEST_MAX)
                st = STATUS_OBJECT_NAME_INVALID;
            else {
                if (dn == 0 || dest[dn - 1] != L'\\')
                    dest[dn++] = L'\\';
                memcpy(dest + dn, FileName, n * sizeof(WCHAR));
                dn += n;
            }
        }
    }
    if (NT_SUCCESS(st)) {
        FILE_OBJECT named;
        memset(&named, 0, sizeof named);
        named.FileName.Buffer = dest;
        named.FileName.Length = named.FileName.MaximumLength = (USHORT)(dn * sizeof(WCHAR));
        st = build(inst->volume, &named, fmt, RetFileNameInformation);
    }
    return st;
}

/* ---- Parsing ---------------------------------------------------------------------------- */

static void part(UNICODE_STRING *s, WCHAR *at, size_t chars)
{
    s->Buffer = chars ? at : NULL;
    s->Length = s->MaximumLength = (USHORT)(chars * sizeof(WCHAR));
}

NTSTATUS FLTAPI FltParseFileNameInformation(PFLT_FILE_NAME_INFORMATION FileNameInformation)
{
    static const char routine[] = "FltParseFileNameInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    name_rec *r = require_name(routine, FileNameInformation);
    FLT_FILE_NAME_INFORMATION *fi = &r->block->info;
    WCHAR *w = fi->Name.Buffer;
    size_t n = fi->Name.Length / sizeof(WCHAR);
    size_t vol = r->volume_chars;
    /* The path after the volume: "\" then components separated by single backslashes, a
     * colon only in the last one, and at most "name:stream:type". */
    if (n <= vol || w[vol] != L'\\')
        return STATUS_OBJECT_NAME_INVALID;
    size_t last = vol;
    for (size_t i = vol; i < n; i++) {
        if (w[i] != L'\\')
            continue;
        if (i + 1 < n && w[i + 1] == L'\\')
            return STATUS_OBJECT_NAME_INVALID; /* an empty component */
        last = i;
    }
    if (last + 1 == n && last != vol)
        return STATUS_OBJECT_NAME_INVALID; /* a trailing backslash after a component */
    size_t colon = n, colons = 0;
    for (size_t i = vol; i < n; i++)
        if (w[i] == L':') {
            if (i < last)
                return STATUS_OBJECT_NAME_INVALID; /* a stream on a directory in the middle */
            if (colon == n)
                colon = i;
            colons++;
        }
    if (colons > 2 || (colons && colon + 1 == n))
        return STATUS_OBJECT_NAME_INVALID;
    size_t dot = n;
    for (size_t i = last + 1; i < colon; i++)
        if (w[i] == L'.')
            dot = i;
    part(&fi->Volume, w, vol);
    part(&fi->Share, NULL, 0);
    if (last == vol && n == vol + 1) { /* the root: no parent, no final component */
        part(&fi->ParentDir, NULL, 0);
        part(&fi->FinalComponent, NULL, 0);
    } else {
        part(&fi->ParentDir, w + vol, last + 1 - vol);
        part(&fi->FinalComponent, w + last + 1, n - last - 1);
    }
    part(&fi->Stream, w + colon, n - colon);
    part(&fi->Extension, w + dot + 1, dot < colon ? colon - dot - 1 : 0);
    fi->NamesParsed |= FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT | FLTFL_FILE_NAME_PARSED_EXTENSION |
                       FLTFL_FILE_NAME_PARSED_STREAM | FLTFL_FILE_NAME_PARSED_PARENT_DIR;
    return STATUS_SUCCESS;
}

/* ---- For the driver harness's finding (kfault/flt_model.h) ------------------------------- */

size_t kf_flt_names_left(char *name, size_t cap, size_t *references)
{
    const name_rec *first = NULL;
    for (const name_rec *r = live; r; r = r->next)
        first = r; /* the list is newest first */
    if (references)
        *references = first ? first->refs : 0;
    if (name && cap) {
        size_t n = 0;
        for (size_t i = 0; first && i < first->chars && n + 1 < cap; i++) {
            WCHAR c = first->block->buf[i];
            name[n++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        }
        name[n] = 0;
    }
    return n_refs_out;
}

/* ---- Reset ------------------------------------------------------------------------------ */

static void name_reset(void)
{
    while (live) {
        name_rec *r = live;
        live = r->next;
        free(r->block);
        free(r);
    }
    n_refs_out = 0;
    next_serial = 0;
    memset(freed, 0, sizeof freed);
    freed_next = 0;
}

__attribute__((constructor)) static void name_register(void)
{
    kf__flt_names_outstanding = kf_flt_names_outstanding;
    kf__register_reset(name_reset);
}
