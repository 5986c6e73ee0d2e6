/*
 * flt_volume.c - Filter Manager volumes and object references: FltGetVolumeFromInstance,
 * FltGetFilterFromInstance, FltObjectReference, FltObjectDereference, FltGetVolumeName,
 * FltGetVolumeGuidName, FltGetVolumeProperties, FltGetFileSystemType, FltIsVolumeWritable,
 * and the volume identities a harness sets (name, writable, sector size).
 *
 * Implements SEMANTICS.md "Filter Manager volumes and objects" FV-1 .. FV-10. Every pointer a
 * driver hands in is found among the live filters, instances and volumes (addresses only)
 * before anything else happens; references are counted in the model's own table, never in
 * the driver's objects. Must never return a name, type or answer that is not the modeled
 * volume's, and never succeed where the WDK documents a failure.
 */
#include "flt_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- Identities ----------------------------------------------------------------------- */

static struct {
    BOOLEAN set;
    char name[KF__FLT_VOLUME_NAME_MAX];
    BOOLEAN read_only;
    USHORT sector_size;
} ident[KF_FLT_MAX_VOLUMES];

int kf_flt_set_volume_identity(unsigned index, const kf_flt_volume_identity *id)
{
    if (index >= KF_FLT_MAX_VOLUMES)
        return -1;
    if (!id) {
        memset(&ident[index], 0, sizeof ident[index]);
        return 0;
    }
    if (id->name && strlen(id->name) >= KF__FLT_VOLUME_NAME_MAX)
        return -1;
    memset(&ident[index], 0, sizeof ident[index]);
    ident[index].set = TRUE;
    if (id->name)
        memcpy(ident[index].name, id->name, strlen(id->name) + 1);
    ident[index].read_only = id->read_only ? TRUE : FALSE;
    ident[index].sector_size = id->sector_size;
    return 0;
}

static USHORT ascii_to_wide(const char *s, WCHAR *out)
{
    USHORT n = 0;
    while (s[n] && n < KF__FLT_VOLUME_NAME_MAX) {
        out[n] = (WCHAR)(unsigned char)s[n];
        n++;
    }
    return n;
}

USHORT kf__flt_volume_name(const struct _FLT_VOLUME *v, WCHAR *out)
{
    if (ident[v->index].set && ident[v->index].name[0])
        return ascii_to_wide(ident[v->index].name, out);
    char buf[KF__FLT_VOLUME_NAME_MAX];
    snprintf(buf, sizeof buf, "\\Device\\HarddiskVolume%u", v->index + 1);
    return ascii_to_wide(buf, out);
}

static USHORT sector_size(const struct _FLT_VOLUME *v)
{
    return ident[v->index].sector_size ? ident[v->index].sector_size : 512;
}

/* ---- References ------------------------------------------------------------------------- */

enum obj_kind { OBJ_FILTER = 1, OBJ_INSTANCE, OBJ_VOLUME };

typedef struct ref_rec {
    struct ref_rec *next;
    const void *obj;
    enum obj_kind kind;
    size_t count;
} ref_rec;

static ref_rec *refs;
static size_t n_refs;

size_t kf_flt_object_refs_outstanding(void) { return n_refs; }

size_t kf__flt_refs_on(const void *p)
{
    size_t n = 0;
    for (ref_rec *r = refs; r; r = r->next)
        if (r->obj == p)
            n += r->count;
    return n;
}

static void add_ref(const void *obj, enum obj_kind kind)
{
    for (ref_rec *r = refs; r; r = r->next)
        if (r->obj == obj && r->kind == kind) {
            r->count++;
            n_refs++;
            return;
        }
    ref_rec *r = calloc(1, sizeof *r); /* the model's bookkeeping: no driver-visible allocation */
    if (!r)
        abort();
    r->obj = obj;
    r->kind = kind;
    r->count = 1;
    r->next = refs;
    refs = r;
    n_refs++;
}

/* What a PVOID FltObject is: 0 when not a live filter, instance or volume. */
static enum obj_kind classify(PVOID p)
{
    if (!p)
        return 0;
    if (kf__flt_find_filter((PFLT_FILTER)p))
        return OBJ_FILTER;
    if (kf__flt_find_instance((PFLT_INSTANCE)p))
        return OBJ_INSTANCE;
    if (kf__flt_find_volume((PFLT_VOLUME)p))
        return OBJ_VOLUME;
    return 0;
}

static BOOLEAN instance_deleting(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

NTSTATUS FLTAPI FltObjectReference(PVOID FltObject)
{
    static const char routine[] = "FltObjectReference";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    enum obj_kind k = classify(FltObject);
    if (!k)
        kf_violation_stop(KF_VIOL_FLT_OBJECT_UNKNOWN, routine, 0, 0, 0,
                          "FltObjectReference: FltObject is %s, not a live filter, instance or volume",
                          FltObject ? "a pointer" : "NULL");
    if (k == OBJ_FILTER && kf__flt_find_filter((PFLT_FILTER)FltObject)->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    if (k == OBJ_INSTANCE && instance_deleting(kf__flt_find_instance((PFLT_INSTANCE)FltObject)))
        return STATUS_FLT_DELETING_OBJECT;
    add_ref(FltObject, k);
    return STATUS_SUCCESS;
}

VOID FLTAPI FltObjectDereference(PVOID FltObject)
{
    static const char routine[] = "FltObjectDereference";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    if (!FltObject)
        kf_violation_stop(KF_VIOL_FLT_OBJECT_UNKNOWN, routine, 0, 0, 0, "FltObjectDereference: FltObject is NULL");
    /* A reference keeps the object's address meaningful even after the object went away:
     * matching by address needs no live object. */
    for (ref_rec *r = refs; r; r = r->next)
        if (r->obj == FltObject && r->count) {
            r->count--;
            n_refs--;
            return;
        }
    if (!classify(FltObject))
        kf_violation_stop(KF_VIOL_FLT_OBJECT_UNKNOWN, routine, 0, 0, 0,
                          "FltObjectDereference: FltObject is not a live filter, instance or volume, and the "
                          "driver holds no reference on it");
    kf_violation_stop(KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE, routine, 0, 0, 0,
                      "FltObjectDereference of an object the driver holds no reference on (a dereference too many)");
}

/* ---- From an instance --------------------------------------------------------------------- */

static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE p)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(p);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance is not a live instance (NULL, never set up, declined, or torn down)", routine);
    return inst;
}

static struct _FLT_VOLUME *require_volume(const char *routine, PFLT_VOLUME p)
{
    struct _FLT_VOLUME *v = kf__flt_find_volume(p);
    if (!v)
        kf_violation_stop(KF_VIOL_FLT_INVALID_VOLUME, routine, 0, 0, 0, "%s: Volume is %s, not a modeled volume",
                          routine, p ? "a pointer" : "NULL");
    return v;
}

static void require_out(const char *routine, const void *p, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine, what);
}

NTSTATUS FLTAPI FltGetVolumeFromInstance(PFLT_INSTANCE Instance, PFLT_VOLUME *RetVolume)
{
    static const char routine[] = "FltGetVolumeFromInstance";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, RetVolume, "RetVolume");
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if (instance_deleting(inst))
        return STATUS_FLT_DELETING_OBJECT;
    add_ref(inst->volume, OBJ_VOLUME);
    *RetVolume = inst->volume;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetFilterFromInstance(PFLT_INSTANCE Instance, PFLT_FILTER *RetFilter)
{
    static const char routine[] = "FltGetFilterFromInstance";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, RetFilter, "RetFilter");
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if (instance_deleting(inst))
        return STATUS_FLT_DELETING_OBJECT;
    add_ref(inst->filter, OBJ_FILTER);
    *RetFilter = inst->filter;
    return STATUS_SUCCESS;
}

/* ---- Names ----------------------------------------------------------------------------- */

USHORT kf__flt_volume_guid_name(const struct _FLT_VOLUME *v, WCHAR *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "\\??\\Volume{6b66766f-6c00-4000-8000-%012x}", v->index + 1);
    return ascii_to_wide(buf, out);
}

USHORT kf__flt_volume_sector_size(const struct _FLT_VOLUME *v) { return sector_size(v); }

BOOLEAN kf__flt_volume_read_only(const struct _FLT_VOLUME *v) { return ident[v->index].read_only; }

NTSTATUS FLTAPI FltGetVolumeName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeName, PULONG BufferSizeNeeded)
{
    static const char routine[] = "FltGetVolumeName";
    kf__flt_require_irql(routine, APC_LEVEL);
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    if (!VolumeName && !BufferSizeNeeded)
        return STATUS_INVALID_PARAMETER;
    WCHAR name[KF__FLT_VOLUME_NAME_MAX];
    USHORT bytes = (USHORT)(kf__flt_volume_name(v, name) * sizeof(WCHAR));
    if (BufferSizeNeeded)
        *BufferSizeNeeded = bytes;
    if (!VolumeName || VolumeName->MaximumLength < bytes || (bytes && !VolumeName->Buffer))
        return STATUS_BUFFER_TOO_SMALL;
    memcpy(VolumeName->Buffer, name, bytes);
    VolumeName->Length = bytes;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetVolumeGuidName(PFLT_VOLUME Volume, PUNICODE_STRING VolumeGuidName, PULONG BufferSizeNeeded)
{
    static const char routine[] = "FltGetVolumeGuidName";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    if (v->config.device_type == FILE_DEVICE_NETWORK_FILE_SYSTEM)
        return STATUS_INVALID_DEVICE_REQUEST;
    WCHAR name[KF__FLT_VOLUME_NAME_MAX];
    USHORT bytes = (USHORT)(kf__flt_volume_guid_name(v, name) * sizeof(WCHAR));
    if (BufferSizeNeeded)
        *BufferSizeNeeded = bytes;
    if (!VolumeGuidName || VolumeGuidName->MaximumLength < bytes || !VolumeGuidName->Buffer)
        return STATUS_BUFFER_TOO_SMALL;
    if (kf_fault_consult(KF_SITE_FLT_VOLUME_GUID) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    memcpy(VolumeGuidName->Buffer, name, bytes);
    VolumeGuidName->Length = bytes;
    return STATUS_SUCCESS;
}

/* ---- Properties and types ---------------------------------------------------------------- */

static const char *fs_driver_name(FLT_FILESYSTEM_TYPE t)
{
    switch (t) {
    case FLT_FSTYPE_NTFS: return "Ntfs";
    case FLT_FSTYPE_FAT: return "fastfat";
    case FLT_FSTYPE_EXFAT: return "exfat";
    case FLT_FSTYPE_REFS: return "ReFS";
    case FLT_FSTYPE_CDFS: return "Cdfs";
    case FLT_FSTYPE_UDFS: return "Udfs";
    case FLT_FSTYPE_RAW: return "RAW";
    default: return "Unknown";
    }
}

static BOOLEAN is_network(const struct _FLT_VOLUME *v)
{
    return v->config.device_type == FILE_DEVICE_NETWORK_FILE_SYSTEM;
}

NTSTATUS FLTAPI FltGetVolumeProperties(PFLT_VOLUME Volume, PFLT_VOLUME_PROPERTIES VolumeProperties,
                                       ULONG VolumePropertiesLength, PULONG LengthReturned)
{
    static const char routine[] = "FltGetVolumeProperties";
    kf__flt_require_irql(routine, APC_LEVEL);
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    require_out(routine, LengthReturned, "LengthReturned");
    WCHAR drv[KF__FLT_VOLUME_NAME_MAX], dev[KF__FLT_VOLUME_NAME_MAX], real[KF__FLT_VOLUME_NAME_MAX];
    char buf[KF__FLT_VOLUME_NAME_MAX];
    snprintf(buf, sizeof buf, "\\FileSystem\\%s", fs_driver_name(v->config.filesystem_type));
    USHORT drv_b = (USHORT)(ascii_to_wide(buf, drv) * sizeof(WCHAR));
    snprintf(buf, sizeof buf, "\\%s", fs_driver_name(v->config.filesystem_type));
    USHORT dev_b = (USHORT)(ascii_to_wide(buf, dev) * sizeof(WCHAR));
    USHORT real_b = is_network(v) ? 0 : (USHORT)(kf__flt_volume_name(v, real) * sizeof(WCHAR));
    ULONG fixed = sizeof(FLT_VOLUME_PROPERTIES);
    ULONG total = fixed + drv_b + dev_b + real_b;
    if (VolumePropertiesLength < fixed || !VolumeProperties) {
        *LengthReturned = total;
        return STATUS_BUFFER_TOO_SMALL;
    }
    FLT_VOLUME_PROPERTIES *p = VolumeProperties;
    memset(p, 0, fixed);
    p->DeviceType = is_network(v) ? FILE_DEVICE_NETWORK : FILE_DEVICE_DISK;
    p->AlignmentRequirement = 1; /* FILE_WORD_ALIGNMENT */
    p->SectorSize = sector_size(v);
    if (VolumePropertiesLength < total) {
        *LengthReturned = fixed;
        return STATUS_BUFFER_OVERFLOW;
    }
    WCHAR *at = (WCHAR *)(p + 1);
    const struct {
        UNICODE_STRING *s;
        const WCHAR *w;
        USHORT b;
    } parts[3] = {{&p->FileSystemDriverName, drv, drv_b},
                  {&p->FileSystemDeviceName, dev, dev_b},
                  {&p->RealDeviceName, real, real_b}};
    for (int i = 0; i < 3; i++) {
        parts[i].s->Buffer = parts[i].b ? at : NULL;
        parts[i].s->Length = parts[i].s->MaximumLength = parts[i].b;
        memcpy(at, parts[i].w, parts[i].b);
        at += parts[i].b / sizeof(WCHAR);
    }
    *LengthReturned = total;
    return STATUS_SUCCESS;
}

/* The volume a PVOID FltObject that must be an instance or a volume stands for, or NULL. */
static struct _FLT_VOLUME *volume_of(PVOID p)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance((PFLT_INSTANCE)p);
    if (inst)
        return inst->volume;
    return kf__flt_find_volume((PFLT_VOLUME)p);
}

NTSTATUS FLTAPI FltGetFileSystemType(PVOID FltObject, PFLT_FILESYSTEM_TYPE FileSystemType)
{
    static const char routine[] = "FltGetFileSystemType";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, FileSystemType, "FileSystemType");
    struct _FLT_VOLUME *v = volume_of(FltObject);
    if (!v) {
        *FileSystemType = FLT_FSTYPE_UNKNOWN;
        return STATUS_INVALID_PARAMETER;
    }
    *FileSystemType = v->config.filesystem_type;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltIsVolumeWritable(PVOID FltObject, PBOOLEAN IsWritable)
{
    static const char routine[] = "FltIsVolumeWritable";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, IsWritable, "IsWritable");
    struct _FLT_VOLUME *v = volume_of(FltObject);
    if (!v)
        return STATUS_INVALID_PARAMETER;
    *IsWritable = ident[v->index].read_only ? FALSE : TRUE;
    return STATUS_SUCCESS;
}

/* ---- Reset ----------------------------------------------------------------------------- */

static void volume_reset(void)
{
    while (refs) {
        ref_rec *r = refs;
        refs = r->next;
        free(r);
    }
    n_refs = 0;
    memset(ident, 0, sizeof ident);
}

__attribute__((constructor)) static void volume_register(void)
{
    kf__flt_object_refs_outstanding = kf_flt_object_refs_outstanding;
    kf__register_reset(volume_reset);
}

/* ---- For the driver harness's finding (kfault/flt_model.h) ------------------------------- */

size_t kf_flt_object_refs_left(const char **kind, size_t *count)
{
    static const char *const kinds[] = {"?", "filter", "instance", "volume"};
    const ref_rec *first = NULL;
    for (const ref_rec *r = refs; r; r = r->next)
        if (r->count)
            first = r; /* the list is newest first */
    if (kind)
        *kind = first ? kinds[first->kind] : NULL;
    if (count)
        *count = first ? first->count : 0;
    return n_refs;
}
