/*
 * flt_objects.c - Filter Manager objects and volumes beyond flt_volume.c: the volume of a file
 * object or of a name, a volume's instance stack (FltGetTopInstance, FltGetBottomInstance,
 * FltGetLowerInstance, FltGetUpperInstance, FltGetVolumeInstanceFromName), instance information,
 * the enumerations (FltEnumerateInstances, FltEnumerateVolumes, FltEnumerateFilters), the device
 * objects under a volume (FltGetDiskDeviceObject, FltGetDeviceObject), FltIsVolumeSnapshot,
 * FltGetRoutineAddress and device-aligned pool (FltAllocatePoolAlignedWithTag,
 * FltFreePoolAlignedWithTag).
 *
 * Implements SEMANTICS.md FO-1 .. FO-14. Every filter, instance or volume a routine returns carries
 * a reference taken through FltObjectReference (flt_volume.c's table, counted by kf_leaks and held
 * off at FltUnregisterFilter for the filter); every device object carries one of the object
 * manager's (object.c), dropped with ObDereferenceObject. Must never: dereference a pointer a driver
 * hands in before finding it among the live objects; write into a caller's buffer on a documented
 * failure; hand out an object without its reference; decide a failure itself (aligned pool asks
 * site flt.pool.aligned).
 */
#include "flt_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- Lookups ------------------------------------------------------------------------------- */

static void require_out(const char *routine, const void *p, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine, what);
}

static struct _FLT_VOLUME *require_volume(const char *routine, PFLT_VOLUME p)
{
    struct _FLT_VOLUME *v = kf__flt_find_volume(p);
    if (!v)
        kf_violation_stop(KF_VIOL_FLT_INVALID_VOLUME, routine, 0, 0, 0, "%s: Volume is %s, not a modeled volume",
                          routine, p ? "a pointer" : "NULL");
    return v;
}

static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE p)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(p);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance is not a live instance (NULL, never set up, declined, or torn down)", routine);
    return inst;
}

static struct _FLT_FILTER *require_filter(const char *routine, PFLT_FILTER p)
{
    struct _FLT_FILTER *f = kf__flt_find_filter(p);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0,
                          "%s: Filter %s is not a registered filter (never returned by FltRegisterFilter, or already "
                          "unregistered)",
                          routine, p ? "(non-NULL)" : "NULL");
    return f;
}

static BOOLEAN instance_deleting(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

/* ---- The instance stack (FO-3) --------------------------------------------------------------
 * Filters stack on every volume in the order they registered: the first registered is the lowest
 * (closest to the file system), as if each later one had a higher altitude. The k-th registered
 * filter (from 1) has the altitude k * 100000. */

static unsigned filter_rank(const struct _FLT_FILTER *f)
{
    unsigned k = 1;
    for (struct _FLT_FILTER *g = kf__flt_filters(); g && g != f; g = g->next)
        k++;
    return k;
}

/* The instances attached to volume `v` (setup accepted, teardown not started), from the top
 * down; returns how many (at most KF_FLT_STACK_MAX). */
#define KF_FLT_STACK_MAX 64
static size_t volume_stack(const struct _FLT_VOLUME *v, struct _FLT_INSTANCE **out)
{
    struct _FLT_INSTANCE *up[KF_FLT_STACK_MAX];
    size_t n = 0;
    for (struct _FLT_FILTER *f = kf__flt_filters(); f && n < KF_FLT_STACK_MAX; f = f->next) {
        struct _FLT_INSTANCE *inst = f->instances[v->index];
        if (inst && inst->state == FLT_INST_ATTACHED)
            up[n++] = inst;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = up[n - 1 - i];
    return n;
}

/* Takes the reference a returned object carries (FltObjectReference's table, FV-2). */
static NTSTATUS reference(PVOID obj) { return FltObjectReference(obj); }

static NTSTATUS stack_end(const char *routine, PFLT_VOLUME Volume, PFLT_INSTANCE *Instance, int top)
{
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, Instance, "Instance");
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    struct _FLT_INSTANCE *stack[KF_FLT_STACK_MAX];
    size_t n = volume_stack(v, stack);
    for (size_t k = 0; k < n; k++) {
        struct _FLT_INSTANCE *inst = stack[top ? k : n - 1 - k];
        if (instance_deleting(inst))
            continue;
        (void)reference(inst);
        *Instance = inst;
        return STATUS_SUCCESS;
    }
    return STATUS_NO_MORE_ENTRIES;
}

NTSTATUS FLTAPI FltGetTopInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance)
{
    return stack_end("FltGetTopInstance", Volume, Instance, 1);
}

NTSTATUS FLTAPI FltGetBottomInstance(PFLT_VOLUME Volume, PFLT_INSTANCE *Instance)
{
    return stack_end("FltGetBottomInstance", Volume, Instance, 0);
}

static NTSTATUS stack_neighbour(const char *routine, PFLT_INSTANCE Current, PFLT_INSTANCE *Out, int lower)
{
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, Out, lower ? "LowerInstance" : "UpperInstance");
    struct _FLT_INSTANCE *cur = require_instance(routine, Current);
    unsigned rank = filter_rank(cur->filter);
    struct _FLT_INSTANCE *stack[KF_FLT_STACK_MAX];
    size_t n = volume_stack(cur->volume, stack);
    /* Top down: a lower instance has a smaller rank; the nearest one wins. */
    struct _FLT_INSTANCE *best = NULL;
    unsigned best_rank = 0;
    for (size_t k = 0; k < n; k++) {
        if (instance_deleting(stack[k]))
            continue;
        unsigned r = filter_rank(stack[k]->filter);
        if (lower ? (r < rank && (!best || r > best_rank)) : (r > rank && (!best || r < best_rank))) {
            best = stack[k];
            best_rank = r;
        }
    }
    if (!best)
        return STATUS_NO_MORE_ENTRIES;
    (void)reference(best);
    *Out = best;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetLowerInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *LowerInstance)
{
    return stack_neighbour("FltGetLowerInstance", CurrentInstance, LowerInstance, 1);
}

NTSTATUS FLTAPI FltGetUpperInstance(PFLT_INSTANCE CurrentInstance, PFLT_INSTANCE *UpperInstance)
{
    return stack_neighbour("FltGetUpperInstance", CurrentInstance, UpperInstance, 0);
}

/* ---- Names of filters and instances (FO-4) ----------------------------------------------------- */

#define NAME_MAX_W 128

static USHORT ascii_to_wide(const char *s, WCHAR *out, size_t cap)
{
    USHORT n = 0;
    while (s[n] && n < cap) {
        out[n] = (WCHAR)(unsigned char)s[n];
        n++;
    }
    return n;
}

/* The filter's name: its service name (the last component of the service key the driver was
 * loaded from, DriverExtension->ServiceKeyName), or "Filter" when the driver object carries none. */
static USHORT filter_name(const struct _FLT_FILTER *f, WCHAR *out)
{
    const DRIVER_EXTENSION *ext = f->driver ? f->driver->DriverExtension : NULL;
    if (ext && ext->ServiceKeyName.Buffer && ext->ServiceKeyName.Length &&
        !(ext->ServiceKeyName.Length & 1) && ext->ServiceKeyName.Length <= ext->ServiceKeyName.MaximumLength) {
        size_t n = ext->ServiceKeyName.Length / sizeof(WCHAR);
        if (n > NAME_MAX_W - 16)
            n = NAME_MAX_W - 16;
        memcpy(out, ext->ServiceKeyName.Buffer, n * sizeof(WCHAR));
        return (USHORT)n;
    }
    return ascii_to_wide("Filter", out, NAME_MAX_W);
}

/* "<filter name> Instance": the name an INF's DefaultInstance usually carries. */
static USHORT instance_name(const struct _FLT_INSTANCE *inst, WCHAR *out)
{
    USHORT n = filter_name(inst->filter, out);
    return (USHORT)(n + ascii_to_wide(" Instance", out + n, NAME_MAX_W - n));
}

static USHORT altitude(const struct _FLT_FILTER *f, WCHAR *out)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%u", filter_rank(f) * 100000u);
    return ascii_to_wide(buf, out, NAME_MAX_W);
}

static int wide_eq_nocase(const WCHAR *a, size_t an, const WCHAR *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (kf__upcase(a[i]) != kf__upcase(b[i]))
            return 0;
    return 1;
}

NTSTATUS FLTAPI FltGetVolumeInstanceFromName(PFLT_FILTER Filter, PFLT_VOLUME Volume, PCUNICODE_STRING InstanceName,
                                             PFLT_INSTANCE *RetInstance)
{
    static const char routine[] = "FltGetVolumeInstanceFromName";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, RetInstance, "RetInstance");
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    struct _FLT_FILTER *f = Filter ? require_filter(routine, Filter) : NULL;
    if (InstanceName)
        kf__check_unicode_string(routine, (PCUNICODE_STRING)InstanceName, "InstanceName");
    struct _FLT_INSTANCE *stack[KF_FLT_STACK_MAX];
    size_t n = volume_stack(v, stack);
    for (size_t k = 0; k < n; k++) {
        struct _FLT_INSTANCE *inst = stack[k];
        if (f && inst->filter != f)
            continue;
        if (InstanceName) {
            WCHAR name[NAME_MAX_W];
            USHORT len = instance_name(inst, name);
            if (!wide_eq_nocase(name, len, InstanceName->Buffer, InstanceName->Length / sizeof(WCHAR)))
                continue;
        }
        if (instance_deleting(inst))
            return STATUS_FLT_DELETING_OBJECT;
        (void)reference(inst);
        *RetInstance = inst;
        return STATUS_SUCCESS;
    }
    return STATUS_FLT_INSTANCE_NOT_FOUND;
}

/* ---- FltDetachVolume (FD-34) and FltIsDirectory (FO-11) ------------------------------------------ */

NTSTATUS FLTAPI FltDetachVolume(PFLT_FILTER Filter, PFLT_VOLUME Volume, PCUNICODE_STRING InstanceName)
{
    static const char routine[] = "FltDetachVolume";
    kf__flt_require_irql(routine, APC_LEVEL);
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    if (InstanceName)
        kf__check_unicode_string(routine, (PCUNICODE_STRING)InstanceName, "InstanceName");
    struct _FLT_INSTANCE *inst = f->instances[v->index];
    if (!inst)
        return STATUS_FLT_INSTANCE_NOT_FOUND;
    if (InstanceName) {
        WCHAR name[NAME_MAX_W];
        USHORT len = instance_name(inst, name);
        if (!wide_eq_nocase(name, len, InstanceName->Buffer, InstanceName->Length / sizeof(WCHAR)))
            return STATUS_FLT_INSTANCE_NOT_FOUND;
    }
    if (instance_deleting(inst))
        return STATUS_FLT_DELETING_OBJECT;
    if (inst->state != FLT_INST_ATTACHED)
        return STATUS_FLT_INSTANCE_NOT_FOUND; /* still being set up: not attached yet */
    /* A manual detach: the filter's InstanceQueryTeardownCallback decides first (FD-28). */
    return kf_flt_detach(Filter, v->index, FLTFL_INSTANCE_TEARDOWN_MANUAL);
}

NTSTATUS FLTAPI FltIsDirectory(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance, PBOOLEAN IsDirectory)
{
    static const char routine[] = "FltIsDirectory";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, FileObject, "FileObject");
    require_out(routine, IsDirectory, "IsDirectory");
    (void)require_instance(routine, Instance);
    const void *stream;
    const UCHAR *data;
    ULONG size;
    BOOLEAN directory = FALSE;
    int state = kf__flt_fs_stream(FileObject, &stream, &data, &size, &directory);
    if (state == KF__FO_UNKNOWN || state == KF__FO_NOT_OPEN)
        kf_violation_stop(KF_VIOL_FLT_FILEIO_NOT_OPEN, routine, 0, 0, 0,
                          "FltIsDirectory on a file object that is not open (the routine is for opened file objects "
                          "only)");
    if (!stream)
        return STATUS_NOT_SUPPORTED; /* opened below the file system's knowledge (FS-24): nothing to tell */
    *IsDirectory = directory;
    return STATUS_SUCCESS;
}

/* ---- FltGetInstanceInformation (FO-4) ------------------------------------------------------ */

NTSTATUS FLTAPI FltGetInstanceInformation(PFLT_INSTANCE Instance, INSTANCE_INFORMATION_CLASS InformationClass,
                                          PVOID InstanceInformation, ULONG BufferSize, PULONG BytesReturned)
{
    static const char routine[] = "FltGetInstanceInformation";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, BytesReturned, "BytesReturned");
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    ULONG fixed;
    int parts; /* instance name, altitude, volume name, filter name: how many of them */
    switch ((int)InformationClass) {
    case InstanceBasicInformation:
        fixed = sizeof(INSTANCE_BASIC_INFORMATION);
        parts = 1;
        break;
    case InstancePartialInformation:
        fixed = sizeof(INSTANCE_PARTIAL_INFORMATION);
        parts = 2;
        break;
    case InstanceFullInformation:
        fixed = sizeof(INSTANCE_FULL_INFORMATION);
        parts = 4;
        break;
    case InstanceAggregateStandardInformation:
        if (kf_current_profile()->os < KF_OS_VISTA)
            return STATUS_INVALID_PARAMETER;
        fixed = sizeof(INSTANCE_AGGREGATE_STANDARD_INFORMATION);
        parts = 4;
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }
    WCHAR names[4][NAME_MAX_W];
    USHORT len[4];
    len[0] = instance_name(inst, names[0]);
    len[1] = altitude(inst->filter, names[1]);
    len[2] = (USHORT)kf__flt_volume_name(inst->volume, names[2]);
    len[3] = filter_name(inst->filter, names[3]);
    ULONG total = fixed;
    for (int i = 0; i < parts; i++)
        total += len[i] * (ULONG)sizeof(WCHAR);
    if (!InstanceInformation || BufferSize < total) {
        *BytesReturned = total;
        return STATUS_BUFFER_TOO_SMALL;
    }
    UCHAR *base = InstanceInformation;
    memset(base, 0, fixed);
    USHORT off[4], bytes[4];
    ULONG at = fixed;
    for (int i = 0; i < parts; i++) {
        off[i] = (USHORT)at;
        bytes[i] = (USHORT)(len[i] * sizeof(WCHAR));
        memcpy(base + at, names[i], bytes[i]);
        at += bytes[i];
    }
    switch ((int)InformationClass) {
    case InstanceBasicInformation: {
        INSTANCE_BASIC_INFORMATION *b = InstanceInformation;
        b->InstanceNameLength = bytes[0];
        b->InstanceNameBufferOffset = off[0];
        break;
    }
    case InstancePartialInformation: {
        INSTANCE_PARTIAL_INFORMATION *p = InstanceInformation;
        p->InstanceNameLength = bytes[0];
        p->InstanceNameBufferOffset = off[0];
        p->AltitudeLength = bytes[1];
        p->AltitudeBufferOffset = off[1];
        break;
    }
    case InstanceFullInformation: {
        INSTANCE_FULL_INFORMATION *u = InstanceInformation;
        u->InstanceNameLength = bytes[0];
        u->InstanceNameBufferOffset = off[0];
        u->AltitudeLength = bytes[1];
        u->AltitudeBufferOffset = off[1];
        u->VolumeNameLength = bytes[2];
        u->VolumeNameBufferOffset = off[2];
        u->FilterNameLength = bytes[3];
        u->FilterNameBufferOffset = off[3];
        break;
    }
    default: {
        INSTANCE_AGGREGATE_STANDARD_INFORMATION *a = InstanceInformation;
        a->Flags = FLTFL_IASI_IS_MINIFILTER;
        a->Type.MiniFilter.VolumeFileSystemType = inst->volume->config.filesystem_type;
        a->Type.MiniFilter.InstanceNameLength = bytes[0];
        a->Type.MiniFilter.InstanceNameBufferOffset = off[0];
        a->Type.MiniFilter.AltitudeLength = bytes[1];
        a->Type.MiniFilter.AltitudeBufferOffset = off[1];
        a->Type.MiniFilter.VolumeNameLength = bytes[2];
        a->Type.MiniFilter.VolumeNameBufferOffset = off[2];
        a->Type.MiniFilter.FilterNameLength = bytes[3];
        a->Type.MiniFilter.FilterNameBufferOffset = off[3];
        break;
    }
    }
    *BytesReturned = total;
    return STATUS_SUCCESS;
}

/* ---- Enumerations (FO-5) ----------------------------------------------------------------------
 * Too small a list (or none): STATUS_BUFFER_TOO_SMALL, the count in *Number...Returned, nothing
 * written and nothing referenced; otherwise every object listed carries one reference. */

static NTSTATUS hand_out(const char *routine, PVOID *found, ULONG n, PVOID *list, ULONG size, PULONG returned,
                         const char *list_name)
{
    *returned = n;
    if (size < n)
        return STATUS_BUFFER_TOO_SMALL;
    if (n && !list)
        require_out(routine, list, list_name);
    for (ULONG i = 0; i < n; i++) {
        (void)reference(found[i]);
        list[i] = found[i];
    }
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltEnumerateInstances(PFLT_VOLUME Volume, PFLT_FILTER Filter, PFLT_INSTANCE *InstanceList,
                                      ULONG InstanceListSize, PULONG NumberInstancesReturned)
{
    static const char routine[] = "FltEnumerateInstances";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, NumberInstancesReturned, "NumberInstancesReturned");
    if (!Volume && !Filter)
        return STATUS_INVALID_PARAMETER;
    struct _FLT_VOLUME *only = Volume ? require_volume(routine, Volume) : NULL;
    struct _FLT_FILTER *f = Filter ? require_filter(routine, Filter) : NULL;
    PVOID found[KF_FLT_MAX_VOLUMES * KF_FLT_STACK_MAX];
    ULONG n = 0;
    for (unsigned i = 0; i < kf_flt_volume_count(); i++) {
        struct _FLT_VOLUME *v = kf__flt_volume_at(i);
        if (only && v != only)
            continue;
        struct _FLT_INSTANCE *stack[KF_FLT_STACK_MAX];
        size_t k = volume_stack(v, stack);
        for (size_t j = 0; j < k; j++)
            if ((!f || stack[j]->filter == f) && !instance_deleting(stack[j]))
                found[n++] = stack[j];
    }
    return hand_out(routine, found, n, (PVOID *)InstanceList, InstanceListSize, NumberInstancesReturned,
                    "InstanceList");
}

NTSTATUS FLTAPI FltEnumerateVolumes(PFLT_FILTER Filter, PFLT_VOLUME *VolumeList, ULONG VolumeListSize,
                                    PULONG NumberVolumesReturned)
{
    static const char routine[] = "FltEnumerateVolumes";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, NumberVolumesReturned, "NumberVolumesReturned");
    require_filter(routine, Filter);
    PVOID found[KF_FLT_MAX_VOLUMES];
    ULONG n = 0;
    for (unsigned i = 0; i < kf_flt_volume_count(); i++)
        found[n++] = kf__flt_volume_at(i);
    return hand_out(routine, found, n, (PVOID *)VolumeList, VolumeListSize, NumberVolumesReturned, "VolumeList");
}

NTSTATUS FLTAPI FltEnumerateFilters(PFLT_FILTER *FilterList, ULONG FilterListSize, PULONG NumberFiltersReturned)
{
    static const char routine[] = "FltEnumerateFilters";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, NumberFiltersReturned, "NumberFiltersReturned");
    PVOID found[KF_FLT_STACK_MAX];
    ULONG n = 0;
    for (struct _FLT_FILTER *f = kf__flt_filters(); f && n < KF_FLT_STACK_MAX; f = f->next)
        if (!f->unregistering)
            found[n++] = f;
    return hand_out(routine, found, n, (PVOID *)FilterList, FilterListSize, NumberFiltersReturned, "FilterList");
}

/* ---- Volumes of file objects and names (FO-1, FO-2) ------------------------------------------ */

/* The device objects under each volume (FO-6): made on first use, the object manager's, so that a
 * driver's ObDereferenceObject is checked and counted like any other. */
static PDEVICE_OBJECT disk_devices[KF_FLT_MAX_VOLUMES], volume_devices[KF_FLT_MAX_VOLUMES];

static PDEVICE_OBJECT volume_device(const struct _FLT_VOLUME *v, int disk)
{
    PDEVICE_OBJECT *slot = disk ? &disk_devices[v->index] : &volume_devices[v->index];
    if (!*slot) {
        *slot = kf__object_create(&kf__type_device, sizeof(DEVICE_OBJECT), "Device");
        if (!*slot) {
            fprintf(stderr, "kfault: out of host memory for a volume's device object\n");
            abort();
        }
    }
    PDEVICE_OBJECT d = *slot;
    d->Type = IO_TYPE_DEVICE;
    d->Size = (USHORT)sizeof(DEVICE_OBJECT);
    d->StackSize = 1;
    d->SectorSize = kf__flt_volume_sector_size(v);
    d->AlignmentRequirement = FILE_WORD_ALIGNMENT;
    if (disk) {
        d->DeviceType = v->config.device_type == FILE_DEVICE_CD_ROM_FILE_SYSTEM ? FILE_DEVICE_CD_ROM : FILE_DEVICE_DISK;
        d->Characteristics = kf__flt_volume_read_only(v) ? FILE_READ_ONLY_DEVICE : 0;
        d->Flags = DO_DEVICE_HAS_NAME;
    } else {
        d->DeviceType = v->config.device_type;
        d->Characteristics = v->config.device_type == FILE_DEVICE_NETWORK_FILE_SYSTEM ? FILE_REMOTE_DEVICE : 0;
        d->Flags = 0;
    }
    return d;
}

static BOOLEAN is_network(const struct _FLT_VOLUME *v)
{
    return v->config.device_type == FILE_DEVICE_NETWORK_FILE_SYSTEM;
}

NTSTATUS FLTAPI FltGetVolumeFromFileObject(PFLT_FILTER Filter, PFILE_OBJECT FileObject, PFLT_VOLUME *RetVolume)
{
    static const char routine[] = "FltGetVolumeFromFileObject";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, RetVolume, "RetVolume");
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    if (!FileObject)
        return STATUS_INVALID_PARAMETER;
    if (f->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    /* The file object's device: one of a volume's device objects names that volume; none (a file
     * object the harness made) stands for the first volume, as FN-7 decides. */
    struct _FLT_VOLUME *found = NULL;
    PDEVICE_OBJECT dev = FileObject->DeviceObject;
    if (!dev)
        found = kf__flt_find_volume(kf__flt_volume_zero());
    for (unsigned i = 0; dev && !found && i < kf_flt_volume_count(); i++)
        if (dev == disk_devices[i] || dev == volume_devices[i])
            found = kf__flt_volume_at(i);
    if (!found)
        return STATUS_INVALID_PARAMETER;
    (void)reference(found);
    *RetVolume = found;
    return STATUS_SUCCESS;
}

/* Does `name` (n WCHARs) name volume v? Its device name, its GUID name, or its drive letter in
 * the forms "X:", "\??\X:", "\DosDevices\X:" and "\GLOBAL??\X:" (FO-2: volume N is drive C + N). */
static int names_volume(const struct _FLT_VOLUME *v, const WCHAR *name, size_t n)
{
    WCHAR buf[KF__FLT_VOLUME_NAME_MAX];
    USHORT len = kf__flt_volume_name(v, buf);
    if (wide_eq_nocase(buf, len, name, n))
        return 1;
    len = kf__flt_volume_guid_name(v, buf);
    if (wide_eq_nocase(buf, len, name, n))
        return 1;
    if (v->index > 'Z' - 'C')
        return 0;
    static const char *const prefixes[] = {"", "\\??\\", "\\DosDevices\\", "\\GLOBAL??\\"};
    for (size_t p = 0; p < 4; p++) {
        char letter[24];
        snprintf(letter, sizeof letter, "%s%c:", prefixes[p], 'C' + v->index);
        len = ascii_to_wide(letter, buf, KF__FLT_VOLUME_NAME_MAX);
        if (wide_eq_nocase(buf, len, name, n))
            return 1;
    }
    return 0;
}

NTSTATUS FLTAPI FltGetVolumeFromName(PFLT_FILTER Filter, PCUNICODE_STRING VolumeName, PFLT_VOLUME *RetVolume)
{
    static const char routine[] = "FltGetVolumeFromName";
    kf__flt_require_irql(routine, PASSIVE_LEVEL);
    require_out(routine, RetVolume, "RetVolume");
    require_out(routine, VolumeName, "VolumeName");
    struct _FLT_FILTER *f = require_filter(routine, Filter);
    kf__check_unicode_string(routine, (PCUNICODE_STRING)VolumeName, "VolumeName");
    if (!VolumeName->Length)
        return STATUS_INVALID_PARAMETER;
    if (f->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    for (unsigned i = 0; i < kf_flt_volume_count(); i++) {
        struct _FLT_VOLUME *v = kf__flt_volume_at(i);
        if (names_volume(v, VolumeName->Buffer, VolumeName->Length / sizeof(WCHAR))) {
            (void)reference(v);
            *RetVolume = v;
            return STATUS_SUCCESS;
        }
    }
    return STATUS_FLT_VOLUME_NOT_FOUND;
}

/* ---- Device objects under a volume (FO-6) ---------------------------------------------------- */

NTSTATUS FLTAPI FltGetDiskDeviceObject(PFLT_VOLUME Volume, PDEVICE_OBJECT *DiskDeviceObject)
{
    static const char routine[] = "FltGetDiskDeviceObject";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    require_out(routine, DiskDeviceObject, "DiskDeviceObject");
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    if (is_network(v))
        return STATUS_FLT_NO_DEVICE_OBJECT;
    PDEVICE_OBJECT d = volume_device(v, 1);
    kf__object_ref(d);
    kf__object_give(d); /* the driver's, for ObDereferenceObject */
    *DiskDeviceObject = d;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltGetDeviceObject(PFLT_VOLUME Volume, PDEVICE_OBJECT *DeviceObject)
{
    static const char routine[] = "FltGetDeviceObject";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, DeviceObject, "DeviceObject");
    struct _FLT_VOLUME *v = require_volume(routine, Volume);
    PDEVICE_OBJECT d = volume_device(v, 0);
    kf__object_ref(d);
    kf__object_give(d);
    *DeviceObject = d;
    return STATUS_SUCCESS;
}

/* ---- FltIsVolumeSnapshot (FO-7) ------------------------------------------------------------- */

static BOOLEAN snapshot[KF_FLT_MAX_VOLUMES];

int kf_flt_set_volume_snapshot(unsigned index, BOOLEAN is_snapshot)
{
    if (index >= KF_FLT_MAX_VOLUMES)
        return -1;
    snapshot[index] = is_snapshot ? TRUE : FALSE;
    return 0;
}

NTSTATUS FLTAPI FltIsVolumeSnapshot(PVOID FltObject, PBOOLEAN IsSnapshotVolume)
{
    static const char routine[] = "FltIsVolumeSnapshot";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, IsSnapshotVolume, "IsSnapshotVolume");
    struct _FLT_INSTANCE *inst = kf__flt_find_instance((PFLT_INSTANCE)FltObject);
    struct _FLT_VOLUME *v = inst ? inst->volume : kf__flt_find_volume((PFLT_VOLUME)FltObject);
    if (!v)
        return STATUS_INVALID_PARAMETER;
    *IsSnapshotVolume = snapshot[v->index];
    return STATUS_SUCCESS;
}

/* ---- Device-aligned pool (FO-8) -------------------------------------------------------------- */

PVOID FLTAPI FltAllocatePoolAlignedWithTag(PFLT_INSTANCE Instance, POOL_TYPE PoolType, SIZE_T NumberOfBytes,
                                           ULONG Tag)
{
    static const char routine[] = "FltAllocatePoolAlignedWithTag";
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    return kf__pool_alloc_aligned(routine, (ULONG)PoolType, NumberOfBytes, Tag,
                                  kf__flt_volume_sector_size(inst->volume), Instance, KF_SITE_FLT_POOL_ALIGNED,
                                  __builtin_return_address(0));
}

VOID FLTAPI FltFreePoolAlignedWithTag(PFLT_INSTANCE Instance, PVOID Buffer, ULONG Tag)
{
    kf__pool_free_aligned("FltFreePoolAlignedWithTag", Buffer, Tag, Instance);
}

/* ---- FltGetRoutineAddress (FO-9) -------------------------------------------------------------
 * FltMgr's exports the model implements, with the first OS the documentation gives (the earliest
 * profile where the page names none); a declared, unmodeled Flt* name resolves to its stub (as
 * MmGetSystemRoutineAddress does, Y-2); anything else is NULL. */

typedef struct flt_export {
    const char *name;
    PVOID address;
    kf_os min_os;
} flt_export;

#define X(name, os) {#name, (PVOID)&name, KF_OS_##os}
static const flt_export exports[] = {
    /* Registration, callback data, I/O (flt_filter.c, flt_io.c, flt_misc.c). */
    X(FltRegisterFilter, WS03), X(FltStartFiltering, WS03), X(FltUnregisterFilter, WS03),
    X(FltAllocateCallbackData, WS03), X(FltAllocateCallbackDataEx, WIN8), X(FltFreeCallbackData, WS03),
    X(FltReuseCallbackData, WS03), X(FltPerformSynchronousIo, WS03), X(FltPerformAsynchronousIo, WS03),
    X(FltSetCallbackDataDirty, WS03), X(FltClearCallbackDataDirty, WS03), X(FltIsCallbackDataDirty, WS03),
    /* Contexts (flt_context.c): file contexts from Vista. */
    X(FltAllocateContext, WS03), X(FltReferenceContext, WS03), X(FltReleaseContext, WS03),
    X(FltReleaseContexts, WS03), X(FltDeleteContext, WS03), X(FltGetContexts, WS03),
    X(FltSetVolumeContext, WS03), X(FltSetInstanceContext, WS03), X(FltSetFileContext, VISTA),
    X(FltSetStreamContext, WS03), X(FltSetStreamHandleContext, WS03), X(FltGetVolumeContext, WS03),
    X(FltGetInstanceContext, WS03), X(FltGetFileContext, VISTA), X(FltGetStreamContext, WS03),
    X(FltGetStreamHandleContext, WS03), X(FltDeleteVolumeContext, WS03), X(FltDeleteInstanceContext, WS03),
    X(FltDeleteFileContext, VISTA), X(FltDeleteStreamContext, WS03), X(FltDeleteStreamHandleContext, WS03),
    X(FltSupportsFileContexts, VISTA), X(FltSupportsFileContextsEx, VISTA), X(FltSupportsStreamContexts, WS03),
    X(FltSupportsStreamHandleContexts, WS03),
    /* Names, volumes and objects (flt_name.c, flt_volume.c, this file). */
    X(FltGetFileNameInformation, WS03), X(FltGetFileNameInformationUnsafe, WS03),
    X(FltGetDestinationFileNameInformation, WS03),
    X(FltReferenceFileNameInformation, WS03), X(FltReleaseFileNameInformation, WS03),
    X(FltParseFileNameInformation, WS03), X(FltGetVolumeFromInstance, WS03), X(FltGetFilterFromInstance, WS03),
    X(FltObjectReference, WS03), X(FltObjectDereference, WS03), X(FltGetVolumeName, WS03),
    X(FltGetVolumeGuidName, WS03), X(FltGetVolumeProperties, WS03), X(FltGetFileSystemType, WS03),
    X(FltIsVolumeWritable, VISTA), X(FltIsVolumeSnapshot, VISTA), X(FltGetVolumeFromFileObject, WS03),
    X(FltGetVolumeFromName, WS03), X(FltGetVolumeInstanceFromName, WS03), X(FltDetachVolume, WS03),
    X(FltIsDirectory, WS03), X(FltGetTopInstance, WS03),
    X(FltGetBottomInstance, WS03), X(FltGetLowerInstance, WS03), X(FltGetUpperInstance, WS03),
    X(FltGetInstanceInformation, WS03), X(FltEnumerateInstances, WS03), X(FltEnumerateVolumes, WS03),
    X(FltEnumerateFilters, WS03), X(FltGetDiskDeviceObject, WS03), X(FltGetDeviceObject, WS03),
    X(FltAllocatePoolAlignedWithTag, WS03), X(FltFreePoolAlignedWithTag, WS03), X(FltGetRoutineAddress, WS03),
    /* Ports, work items, queues (flt_port.c, flt_work.c). */
    X(FltBuildDefaultSecurityDescriptor, WS03), X(FltFreeSecurityDescriptor, WS03),
    X(FltCreateCommunicationPort, WS03), X(FltCloseCommunicationPort, WS03), X(FltCloseClientPort, WS03),
    X(FltSendMessage, WS03), X(FltAllocateGenericWorkItem, WS03), X(FltQueueGenericWorkItem, WS03),
    X(FltFreeGenericWorkItem, WS03), X(FltAllocateDeferredIoWorkItem, WS03), X(FltQueueDeferredIoWorkItem, WS03),
    X(FltFreeDeferredIoWorkItem, WS03), X(FltCbdqInitialize, WS03), X(FltCbdqInsertIo, WS03),
    X(FltCbdqRemoveIo, WS03), X(FltCbdqRemoveNextIo, WS03), X(FltCbdqEnable, WS03), X(FltCbdqDisable, WS03),
    /* Locks and waits (sync.c, wait.c). */
    X(FltInitializePushLock, WS03), X(FltDeletePushLock, WS03), X(FltAcquirePushLockExclusive, WS03),
    X(FltAcquirePushLockShared, WS03), X(FltReleasePushLock, WS03), X(FltInitializePushLockEx, WS03),
    X(FltAcquirePushLockExclusiveEx, WS03), X(FltAcquirePushLockSharedEx, WS03), X(FltReleasePushLockEx, WS03),
    X(FltAcquireResourceExclusive, WS03), X(FltAcquireResourceShared, WS03), X(FltReleaseResource, WS03),
    X(FltCancellableWaitForSingleObject, VISTA),
    /* Filter-initiated file I/O (flt_fileio.c). */
    X(FltCreateFile, WS03), X(FltCreateFileEx, WS03), X(FltCreateFileEx2, VISTA), X(FltClose, WS03),
    X(FltReadFile, WS03), X(FltReadFileEx, WIN8), X(FltWriteFile, WS03), X(FltWriteFileEx, WIN8),
    X(FltQueryInformationFile, WS03), X(FltSetInformationFile, WS03), X(FltQueryVolumeInformationFile, WS03),
    X(FltQueryVolumeInformation, WS03), X(FltQueryDirectoryFile, VISTA), X(FltQueryDirectoryFileEx, WIN10),
    X(FltFlushBuffers, WS03), X(FltFlushBuffers2, WIN10), X(FltFsControlFile, WS03), X(FltDeviceIoControlFile, WS03),
    X(FltDecodeParameters, WS03), X(FltLockUserBuffer, WS03),
    /* Filter Manager's dispatch of I/O to the filters (flt_dispatch.c). */
    X(FltRequestOperationStatusCallback, WS03), X(FltGetIrpName, WS03), X(FltCancelFileOpen, WS03),
    X(FltCompletePendedPreOperation, WS03), X(FltCompletePendedPostOperation, WS03),
    X(FltDoCompletionProcessingWhenSafe, WS03), X(FltIsOperationSynchronous, WS03),
    X(FltGetRequestorProcess, WS03), X(FltGetRequestorProcessId, WS03),
    /* Extra create parameters and transactions (flt_ecp.c, flt_txn.c, flt_context.c, SEMANTICS.md FE-1,
     * FT-1): from Vista, FltPrepareToReuseEcp from Windows 8. */
    X(FltAllocateExtraCreateParameterList, VISTA), X(FltFreeExtraCreateParameterList, VISTA),
    X(FltAllocateExtraCreateParameter, VISTA), X(FltAllocateExtraCreateParameterFromLookasideList, VISTA),
    X(FltInitExtraCreateParameterLookasideList, VISTA), X(FltDeleteExtraCreateParameterLookasideList, VISTA),
    X(FltInsertExtraCreateParameter, VISTA), X(FltRemoveExtraCreateParameter, VISTA),
    X(FltFindExtraCreateParameter, VISTA), X(FltGetNextExtraCreateParameter, VISTA),
    X(FltFreeExtraCreateParameter, VISTA), X(FltAcknowledgeEcp, VISTA), X(FltIsEcpAcknowledged, VISTA),
    X(FltIsEcpFromUserMode, VISTA), X(FltPrepareToReuseEcp, WIN8), X(FltGetEcpListFromCallbackData, VISTA),
    X(FltSetEcpListIntoCallbackData, VISTA), X(FltEnlistInTransaction, VISTA), X(FltRollbackEnlistment, VISTA),
    X(FltCommitComplete, VISTA), X(FltCommitFinalizeComplete, VISTA), X(FltRollbackComplete, VISTA),
    X(FltPrepareComplete, VISTA), X(FltPrePrepareComplete, VISTA), X(FltSetTransactionContext, VISTA),
    X(FltGetTransactionContext, VISTA), X(FltDeleteTransactionContext, VISTA),
    /* Data-scan sections (DS-1). */
    X(FltRegisterForDataScan, WIN8), X(FltCreateSectionForDataScan, WIN8), X(FltCloseSectionForDataScan, WIN8),
};
#undef X

PVOID FLTAPI FltGetRoutineAddress(PCSTR FltMgrRoutineName)
{
    static const char routine[] = "FltGetRoutineAddress";
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, FltMgrRoutineName, "FltMgrRoutineName");
    const kf_profile *p = kf_current_profile();
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (!strcmp(exports[i].name, FltMgrRoutineName))
            return p->os >= exports[i].min_os ? exports[i].address : NULL;
    if (strncmp(FltMgrRoutineName, "Flt", 3) != 0)
        return NULL;
    return kf__not_modeled_address(FltMgrRoutineName);
}

/* IoVolumeDeviceToDosName's question (device.c): the drive letter of a volume's device object. */
static int volume_letter(const void *device)
{
    for (unsigned i = 0; device && i < kf_flt_volume_count() && i <= 'Z' - 'C'; i++)
        if (device == disk_devices[i] || device == volume_devices[i])
            return 'C' + (int)i;
    return 0;
}

/* ---- Reset ------------------------------------------------------------------------------------ */

static void objects_reset(void)
{
    /* The device bodies are object.c's: its reset frees them. */
    memset(disk_devices, 0, sizeof disk_devices);
    memset(volume_devices, 0, sizeof volume_devices);
    memset(snapshot, 0, sizeof snapshot);
}

__attribute__((constructor)) static void objects_register(void)
{
    kf__io_volume_letter = volume_letter;
    kf__register_reset(objects_reset);
}
