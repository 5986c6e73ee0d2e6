/*
 * test_flt_volume.c - Filter Manager volumes and object references: FltGetVolumeFromInstance,
 * FltGetFilterFromInstance, FltObjectReference / FltObjectDereference, FltGetVolumeName,
 * FltGetVolumeGuidName, FltGetVolumeProperties, FltGetFileSystemType, FltIsVolumeWritable.
 * Rules FV-1 .. FV-9 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

static int ustr_ascii(const UNICODE_STRING *s, const char *a)
{
    size_t n = strlen(a);
    if (s->Length != n * sizeof(WCHAR) || (n && !s->Buffer))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s->Buffer[i] != (WCHAR)a[i])
            return 0;
    return 1;
}

/* ---- FV-1 volume and filter from an instance; references ------------------------------------- */

static void deref_it(void *a) { FltObjectDereference(a); }
static void ref_it(void *a) { (void)FltObjectReference(a); }
static void vol_from_null(void *a)
{
    PFLT_VOLUME v;
    (void)a;
    (void)FltGetVolumeFromInstance(NULL, &v);
}
static void vol_to_null(void *a) { (void)FltGetVolumeFromInstance(a, NULL); }

TEST(volume_from_instance_references)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_VOLUME v = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v), STATUS_SUCCESS);
    CHECK(v != NULL);
    CHECK(v == fx_last_objs.volume); /* the volume the setup callback saw */
    CHECK_EQ(kf_flt_object_refs_outstanding(), 1);
    PFLT_FILTER f = NULL;
    CHECK_EQ(FltGetFilterFromInstance(inst, &f), STATUS_SUCCESS);
    CHECK(f == fx_filter);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 2);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.flt_object_refs, 2);
    FltObjectDereference(v);
    FltObjectDereference(f);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
    CHECK(fx_violation(deref_it, v, KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE));
    CHECK(fx_violation(deref_it, inst, KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE));
    CHECK(fx_violation(vol_from_null, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(vol_to_null, inst, KF_VIOL_FLT_NULL_ARGUMENT));
}

TEST(object_reference_dereference)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_VOLUME v = fx_last_objs.volume;
    CHECK_EQ(FltObjectReference(fx_filter), STATUS_SUCCESS);
    CHECK_EQ(FltObjectReference(inst), STATUS_SUCCESS);
    CHECK_EQ(FltObjectReference(inst), STATUS_SUCCESS);
    CHECK_EQ(FltObjectReference(v), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 4);
    /* Allowed up to DISPATCH_LEVEL. */
    kf_set_irql(DISPATCH_LEVEL);
    FltObjectDereference(inst);
    kf_set_irql(PASSIVE_LEVEL);
    FltObjectDereference(inst);
    CHECK(fx_violation(deref_it, inst, KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE));
    int local;
    CHECK(fx_violation(ref_it, &local, KF_VIOL_FLT_OBJECT_UNKNOWN));
    CHECK(fx_violation(ref_it, NULL, KF_VIOL_FLT_OBJECT_UNKNOWN));
    CHECK(fx_violation(deref_it, &local, KF_VIOL_FLT_OBJECT_UNKNOWN));
    /* An instance being torn down takes no new reference. */
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltObjectReference(inst), STATUS_FLT_DELETING_OBJECT);
    PFLT_VOLUME v2 = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v2), STATUS_FLT_DELETING_OBJECT);
    CHECK(v2 == NULL);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 2);
    /* References still held are leaks, counted at reset. */
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.flt_object_refs, 2);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
}

static void ref_at_high(void *a)
{
    kf_set_irql(DISPATCH_LEVEL + 1);
    (void)FltObjectReference(a);
}
static void vol_at_dispatch(void *a)
{
    PFLT_VOLUME v;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetVolumeFromInstance(a, &v);
}
TEST(object_irql)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    CHECK(fx_bugcheck(ref_at_high, inst, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, DISPATCH_LEVEL + 1));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_bugcheck(vol_at_dispatch, inst, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
}

/* ---- FV-2 volume names ------------------------------------------------------------------------- */

static void name_of_foreign(void *a)
{
    ULONG need;
    (void)FltGetVolumeName(a, NULL, &need);
}
TEST(volume_name_sizing)
{
    fx_fresh();
    fx_start();
    PFLT_VOLUME v = fx_last_objs.volume;
    ULONG need = 0;
    CHECK_EQ(FltGetVolumeName(v, NULL, &need), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(need, strlen("\\Device\\HarddiskVolume1") * 2);
    CHECK_EQ(FltGetVolumeName(v, NULL, NULL), STATUS_INVALID_PARAMETER);
    WCHAR buf[64];
    UNICODE_STRING s = {0, (USHORT)(need - 2), buf};
    need = 0;
    CHECK_EQ(FltGetVolumeName(v, &s, &need), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(s.Length, 0);
    CHECK_EQ(need, 46);
    s.MaximumLength = (USHORT)need;
    CHECK_EQ(FltGetVolumeName(v, &s, NULL), STATUS_SUCCESS);
    CHECK(ustr_ascii(&s, "\\Device\\HarddiskVolume1"));
    int local;
    CHECK(fx_violation(name_of_foreign, &local, KF_VIOL_FLT_INVALID_VOLUME));
    CHECK(fx_violation(name_of_foreign, NULL, KF_VIOL_FLT_INVALID_VOLUME));
}

TEST(volume_names_per_index_and_identity)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(3, NULL), 0);
    kf_flt_volume_identity id = {"\\Device\\Vol9", TRUE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(2, &id), 0);
    fx_start();
    WCHAR buf[64];
    UNICODE_STRING s = {0, sizeof buf, buf};
    PFLT_VOLUME v1 = NULL, v2 = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(kf_flt_instance(fx_filter, 1), &v1), STATUS_SUCCESS);
    CHECK_EQ(FltGetVolumeFromInstance(kf_flt_instance(fx_filter, 2), &v2), STATUS_SUCCESS);
    CHECK_EQ(FltGetVolumeName(v1, &s, NULL), STATUS_SUCCESS);
    CHECK(ustr_ascii(&s, "\\Device\\HarddiskVolume2"));
    CHECK_EQ(FltGetVolumeName(v2, &s, NULL), STATUS_SUCCESS);
    CHECK(ustr_ascii(&s, "\\Device\\Vol9"));
    BOOLEAN w = FALSE;
    CHECK_EQ(FltIsVolumeWritable(v1, &w), STATUS_SUCCESS);
    CHECK_EQ(w, TRUE);
    CHECK_EQ(FltIsVolumeWritable(kf_flt_instance(fx_filter, 2), &w), STATUS_SUCCESS);
    CHECK_EQ(w, FALSE);
    int local;
    CHECK_EQ(FltIsVolumeWritable(&local, &w), STATUS_INVALID_PARAMETER);
    FltObjectDereference(v1);
    FltObjectDereference(v2);
    /* Limits of the control. */
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    kf_flt_volume_identity bad = {longname, FALSE, 0};
    CHECK_EQ(kf_flt_set_volume_identity(0, &bad), -1);
    CHECK_EQ(kf_flt_set_volume_identity(KF_FLT_MAX_VOLUMES, &id), -1);
    CHECK_EQ(kf_flt_set_volume_identity(2, NULL), 0);
    CHECK_EQ(FltGetVolumeName(v2, &s, NULL), STATUS_SUCCESS);
    CHECK(ustr_ascii(&s, "\\Device\\HarddiskVolume3"));
}

static void guid_at_apc(void *a)
{
    WCHAR buf[64];
    UNICODE_STRING s = {0, sizeof buf, buf};
    kf_set_irql(APC_LEVEL);
    (void)FltGetVolumeGuidName(a, &s, NULL);
}
TEST(volume_guid_name)
{
    fx_fresh();
    kf_flt_volume vols[2] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS},
                             {FILE_DEVICE_NETWORK_FILE_SYSTEM, FLT_FSTYPE_LANMAN}};
    CHECK_EQ(kf_flt_set_volumes(2, vols), 0);
    fx_start();
    PFLT_VOLUME v = NULL, net = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(kf_flt_instance(fx_filter, 0), &v), STATUS_SUCCESS);
    CHECK_EQ(FltGetVolumeFromInstance(kf_flt_instance(fx_filter, 1), &net), STATUS_SUCCESS);
    ULONG need = 0;
    CHECK_EQ(FltGetVolumeGuidName(v, NULL, &need), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(need, 48 * 2);
    WCHAR buf[64];
    UNICODE_STRING s = {0, (USHORT)(need - 1), buf};
    CHECK_EQ(FltGetVolumeGuidName(v, &s, NULL), STATUS_BUFFER_TOO_SMALL);
    s.MaximumLength = sizeof buf;
    CHECK_EQ(FltGetVolumeGuidName(v, &s, &need), STATUS_SUCCESS);
    CHECK(ustr_ascii(&s, "\\??\\Volume{6b66766f-6c00-4000-8000-000000000001}"));
    CHECK_EQ(FltGetVolumeGuidName(net, &s, NULL), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_VOLUME_GUID), 1);
    fx_fail_site(KF_SITE_FLT_VOLUME_GUID, 2, KF_FAULT_HARD);
    s.Length = 0;
    CHECK_EQ(FltGetVolumeGuidName(v, &s, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(s.Length, 0);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_VOLUME_GUID), 2);
    fx_no_faults();
    CHECK(fx_bugcheck(guid_at_apc, v, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    FltObjectDereference(v);
    FltObjectDereference(net);
}

/* ---- FV-3 properties, file system type ------------------------------------------------------- */

TEST(volume_properties_sizes)
{
    fx_fresh();
    kf_flt_volume_identity id = {NULL, FALSE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    fx_start();
    PFLT_VOLUME v = fx_last_objs.volume;
    ULONG got = 0;
    ULONG fixed = sizeof(FLT_VOLUME_PROPERTIES);
    ULONG total = fixed + (ULONG)(strlen("\\FileSystem\\Ntfs") + strlen("\\Ntfs") + strlen("\\Device\\HarddiskVolume1")) * 2;
    CHECK_EQ(FltGetVolumeProperties(v, NULL, 0, &got), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(got, total);
    union {
        FLT_VOLUME_PROPERTIES p;
        unsigned char raw[512];
    } u;
    memset(&u, 0xAB, sizeof u);
    CHECK_EQ(FltGetVolumeProperties(v, &u.p, fixed - 1, &got), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(got, total);
    CHECK_EQ(u.raw[0], 0xAB); /* nothing written */
    CHECK_EQ(FltGetVolumeProperties(v, &u.p, fixed + 2, &got), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(got, fixed);
    CHECK_EQ(u.p.SectorSize, 4096);
    CHECK_EQ(u.p.DeviceType, FILE_DEVICE_DISK);
    CHECK_EQ(u.raw[fixed], 0xAB); /* the names were not written */
    CHECK_EQ(FltGetVolumeProperties(v, &u.p, sizeof u, &got), STATUS_SUCCESS);
    CHECK_EQ(got, total);
    CHECK(ustr_ascii(&u.p.FileSystemDriverName, "\\FileSystem\\Ntfs"));
    CHECK(ustr_ascii(&u.p.FileSystemDeviceName, "\\Ntfs"));
    CHECK(ustr_ascii(&u.p.RealDeviceName, "\\Device\\HarddiskVolume1"));
    CHECK((unsigned char *)u.p.RealDeviceName.Buffer + u.p.RealDeviceName.Length <= u.raw + total);
}

static void fstype_null(void *a) { (void)FltGetFileSystemType(a, NULL); }
TEST(file_system_type)
{
    fx_fresh();
    kf_flt_volume vols[2] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_FAT},
                             {FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_REFS}};
    CHECK_EQ(kf_flt_set_volumes(2, vols), 0);
    PFLT_INSTANCE inst = fx_start();
    FLT_FILESYSTEM_TYPE t = FLT_FSTYPE_RAW;
    CHECK_EQ(FltGetFileSystemType(inst, &t), STATUS_SUCCESS);
    CHECK_EQ(t, FLT_FSTYPE_FAT);
    PFLT_VOLUME v = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(kf_flt_instance(fx_filter, 1), &v), STATUS_SUCCESS);
    CHECK_EQ(FltGetFileSystemType(v, &t), STATUS_SUCCESS);
    CHECK_EQ(t, FLT_FSTYPE_REFS);
    FltObjectDereference(v);
    t = FLT_FSTYPE_NTFS;
    CHECK_EQ(FltGetFileSystemType(fx_filter, &t), STATUS_INVALID_PARAMETER); /* a filter is neither */
    CHECK_EQ(t, FLT_FSTYPE_UNKNOWN);
    CHECK(fx_violation(fstype_null, inst, KF_VIOL_FLT_NULL_ARGUMENT));
}

/* ---- FV-9 the enumerations and device-object routines are modeled now (flt_objects.c, FO-5, FO-6) --- */

TEST(enumerations_not_modeled)
{
    fx_fresh();
    ULONG n = 99;
    CHECK_EQ(FltEnumerateFilters(NULL, 0, &n), STATUS_SUCCESS); /* no filter registered: none to list */
    CHECK_EQ(n, 0);
    fx_start();
    CHECK_EQ(FltEnumerateFilters(NULL, 0, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 1);
}

/* ---- FV-10 references on the filter at FltUnregisterFilter --------------------------------------- */

static void unregister_it(void *a) { FltUnregisterFilter(a); }
static void deref_filter_in_teardown(PCFLT_RELATED_OBJECTS objs) { FltObjectDereference(objs->Filter); }
TEST(filter_reference_at_unregister)
{
    fx_fresh();
    fx_start();
    CHECK_EQ(FltObjectReference(fx_filter), STATUS_SUCCESS);
    CHECK(fx_violation(unregister_it, fx_filter, KF_VIOL_FLT_FILTER_REFERENCED_AT_UNREGISTER));
    CHECK_EQ(fx_stop.param[1], 1);
    /* Dropped in the teardown callback: the rundown completes. References on the instance and
     * the volume do not hold it off. */
    kf_reset();
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_FILTER f = NULL;
    PFLT_VOLUME v = NULL;
    CHECK_EQ(FltGetFilterFromInstance(inst, &f), STATUS_SUCCESS);
    CHECK_EQ(FltObjectReference(inst), STATUS_SUCCESS);
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v), STATUS_SUCCESS);
    fx_on_teardown_complete = deref_filter_in_teardown;
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 2);
    FltObjectDereference(inst); /* after the instance went away: by address */
    FltObjectDereference(v);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
}
