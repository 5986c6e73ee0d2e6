/*
 * test_flt_objects.c - Filter Manager objects and volumes (model/src/flt_objects.c): the volume of a
 * file object or a name, the instance stack, instance information, the enumerations, the device
 * objects under a volume, FltIsVolumeSnapshot, device-aligned pool and FltGetRoutineAddress.
 * Rules FO-1 .. FO-10 of model/SEMANTICS.md.
 */
#include <initguid.h> /* this file defines the GUIDs the headers declare, and checks their values */
#include "flt_fixture.h"
#include <ntdddisk.h>
#include <wsk.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int wide_is(const WCHAR *w, USHORT bytes, const char *a)
{
    size_t n = strlen(a);
    if (bytes != n * sizeof(WCHAR))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] != (WCHAR)(unsigned char)a[i])
            return 0;
    return 1;
}

/* A second filter, registered after the fixture's, whose driver carries a service name. */
static DRIVER_OBJECT second_driver;
static DRIVER_EXTENSION second_ext;
static WCHAR second_name[] = L"Second";
static PFLT_FILTER second;
static FLT_REGISTRATION second_reg;

static void start_second(void)
{
    memset(&second_driver, 0, sizeof second_driver);
    memset(&second_ext, 0, sizeof second_ext);
    second_driver.DriverExtension = &second_ext;
    second_ext.ServiceKeyName.Buffer = second_name;
    second_ext.ServiceKeyName.Length = 6 * sizeof(WCHAR);
    second_ext.ServiceKeyName.MaximumLength = sizeof second_name;
    memset(&second_reg, 0, sizeof second_reg);
    second_reg.Size = sizeof second_reg;
    second_reg.Version = FLT_REGISTRATION_VERSION;
    CHECK_EQ(FltRegisterFilter(&second_driver, &second_reg, &second), STATUS_SUCCESS);
    CHECK_EQ(FltStartFiltering(second), STATUS_SUCCESS);
}

static PFLT_VOLUME volume_at(PFLT_INSTANCE inst)
{
    PFLT_VOLUME v = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(inst, &v), STATUS_SUCCESS);
    FltObjectDereference(v);
    return v;
}

/* ---- FO-1 the volume of a file object ------------------------------------------------------------ */

static void from_file_null_out(void *a)
{
    FILE_OBJECT fo;
    memset(&fo, 0, sizeof fo);
    (void)FltGetVolumeFromFileObject(a, &fo, NULL);
}
static void from_file_bad_filter(void *a)
{
    FILE_OBJECT fo;
    PFLT_VOLUME v;
    memset(&fo, 0, sizeof fo);
    (void)FltGetVolumeFromFileObject(a, &fo, &v);
}

TEST(volume_from_file_object)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    PFLT_INSTANCE inst0 = fx_start();
    PFLT_VOLUME v0 = volume_at(inst0), v1 = volume_at(kf_flt_instance(fx_filter, 1)), v = NULL;
    FILE_OBJECT fo;
    memset(&fo, 0, sizeof fo);
    /* No device: the first volume (FN-7's decision). */
    CHECK_EQ(FltGetVolumeFromFileObject(fx_filter, &fo, &v), STATUS_SUCCESS);
    CHECK(v == v0);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 1);
    FltObjectDereference(v);
    /* The disk device of volume 1 names volume 1. */
    PDEVICE_OBJECT disk = NULL;
    CHECK_EQ(FltGetDiskDeviceObject(v1, &disk), STATUS_SUCCESS);
    fo.DeviceObject = disk;
    CHECK_EQ(FltGetVolumeFromFileObject(fx_filter, &fo, &v), STATUS_SUCCESS);
    CHECK(v == v1);
    FltObjectDereference(v);
    ObDereferenceObject(disk);
    /* Any other device matches no volume. */
    DEVICE_OBJECT other;
    memset(&other, 0, sizeof other);
    fo.DeviceObject = &other;
    v = NULL;
    CHECK_EQ(FltGetVolumeFromFileObject(fx_filter, &fo, &v), STATUS_INVALID_PARAMETER);
    CHECK(v == NULL);
    CHECK_EQ(FltGetVolumeFromFileObject(fx_filter, NULL, &v), STATUS_INVALID_PARAMETER);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
    CHECK(fx_violation(from_file_null_out, fx_filter, KF_VIOL_FLT_NULL_ARGUMENT));
    int not_a_filter;
    CHECK(fx_violation(from_file_bad_filter, &not_a_filter, KF_VIOL_FLT_INVALID_FILTER));
}

/* ---- FO-2 the volume of a name -------------------------------------------------------------------- */

static NTSTATUS from_name(const WCHAR *name, PFLT_VOLUME *v)
{
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, name);
    return FltGetVolumeFromName(fx_filter, &u, v);
}
static void from_name_at_apc(void *a)
{
    PFLT_VOLUME v;
    (void)a;
    kf_set_irql(APC_LEVEL);
    (void)from_name(L"C:", &v);
}

TEST(volume_from_name)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    fx_start();
    PFLT_VOLUME v1 = volume_at(kf_flt_instance(fx_filter, 1)), v = NULL;
    static const WCHAR *const names[] = {L"\\Device\\HarddiskVolume2", L"\\device\\harddiskvolume2",
                                         L"\\??\\Volume{6b66766f-6c00-4000-8000-000000000002}", L"D:", L"d:",
                                         L"\\??\\D:", L"\\DosDevices\\D:", L"\\GLOBAL??\\D:"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        v = NULL;
        CHECK_EQ(from_name(names[i], &v), STATUS_SUCCESS);
        CHECK(v == v1);
    }
    CHECK_EQ(kf_flt_object_refs_outstanding(), sizeof names / sizeof names[0]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        FltObjectDereference(v1);
    CHECK_EQ(from_name(L"E:", &v), STATUS_FLT_VOLUME_NOT_FOUND);
    CHECK_EQ(from_name(L"\\Device\\HarddiskVolume2\\", &v), STATUS_FLT_VOLUME_NOT_FOUND);
    CHECK_EQ(from_name(L"", &v), STATUS_INVALID_PARAMETER);
    CHECK(fx_bugcheck(from_name_at_apc, NULL, IRQL_NOT_LESS_OR_EQUAL, PASSIVE_LEVEL, APC_LEVEL));
}

/* ---- FO-3 the instance stack --------------------------------------------------------------------- */

TEST(instance_stack_order)
{
    fx_fresh();
    PFLT_INSTANCE a = fx_start();
    start_second();
    PFLT_INSTANCE b = kf_flt_instance(second, 0);
    PFLT_VOLUME v = volume_at(a);
    PFLT_INSTANCE got = NULL;
    /* Registered later, stacked higher. */
    CHECK_EQ(FltGetTopInstance(v, &got), STATUS_SUCCESS);
    CHECK(got == b);
    CHECK_EQ(FltGetBottomInstance(v, &got), STATUS_SUCCESS);
    CHECK(got == a);
    CHECK_EQ(FltGetLowerInstance(b, &got), STATUS_SUCCESS);
    CHECK(got == a);
    CHECK_EQ(FltGetUpperInstance(a, &got), STATUS_SUCCESS);
    CHECK(got == b);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 4);
    got = NULL;
    CHECK_EQ(FltGetLowerInstance(a, &got), STATUS_NO_MORE_ENTRIES);
    CHECK_EQ(FltGetUpperInstance(b, &got), STATUS_NO_MORE_ENTRIES);
    CHECK(got == NULL);
    FltObjectDereference(a);
    FltObjectDereference(a);
    FltObjectDereference(b);
    FltObjectDereference(b);
    /* An instance being torn down is passed over. */
    CHECK_EQ(kf_flt_set_instance_teardown(b, TRUE), 0);
    CHECK_EQ(FltGetTopInstance(v, &got), STATUS_SUCCESS);
    CHECK(got == a);
    CHECK_EQ(FltGetUpperInstance(a, &got), STATUS_NO_MORE_ENTRIES);
    FltObjectDereference(a);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
}

static void top_of(void *v)
{
    PFLT_INSTANCE i;
    (void)FltGetTopInstance(v, &i);
}

TEST(instance_from_name)
{
    fx_fresh();
    PFLT_INSTANCE a = fx_start();
    start_second();
    PFLT_INSTANCE b = kf_flt_instance(second, 0);
    PFLT_VOLUME v = volume_at(a);
    PFLT_INSTANCE got = NULL;
    CHECK_EQ(FltGetVolumeInstanceFromName(NULL, v, NULL, &got), STATUS_SUCCESS); /* the highest */
    CHECK(got == b);
    FltObjectDereference(got);
    CHECK_EQ(FltGetVolumeInstanceFromName(fx_filter, v, NULL, &got), STATUS_SUCCESS);
    CHECK(got == a);
    FltObjectDereference(got);
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"second INSTANCE"), fname = RTL_CONSTANT_STRING(L"Filter Instance"),
                   none = RTL_CONSTANT_STRING(L"Other Instance");
    CHECK_EQ(FltGetVolumeInstanceFromName(NULL, v, &name, &got), STATUS_SUCCESS);
    CHECK(got == b);
    FltObjectDereference(got);
    CHECK_EQ(FltGetVolumeInstanceFromName(NULL, v, &fname, &got), STATUS_SUCCESS);
    CHECK(got == a);
    FltObjectDereference(got);
    CHECK_EQ(FltGetVolumeInstanceFromName(NULL, v, &none, &got), STATUS_FLT_INSTANCE_NOT_FOUND);
    CHECK_EQ(FltGetVolumeInstanceFromName(fx_filter, v, &name, &got), STATUS_FLT_INSTANCE_NOT_FOUND);
    CHECK_EQ(kf_flt_set_instance_teardown(b, TRUE), 0);
    CHECK_EQ(FltGetVolumeInstanceFromName(NULL, v, &name, &got), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
    int not_a_volume;
    CHECK(fx_violation(top_of, &not_a_volume, KF_VIOL_FLT_INVALID_VOLUME));
}

/* ---- FO-4 instance information ------------------------------------------------------------------- */

static void info_null_returned(void *inst)
{
    UCHAR buf[64];
    (void)FltGetInstanceInformation(inst, InstanceBasicInformation, buf, sizeof buf, NULL);
}

TEST(instance_information)
{
    fx_fresh();
    PFLT_INSTANCE a = fx_start();
    start_second();
    PFLT_INSTANCE b = kf_flt_instance(second, 0);
    ULONG got = 0;
    union {
        INSTANCE_FULL_INFORMATION full;
        INSTANCE_AGGREGATE_STANDARD_INFORMATION agg;
        UCHAR raw[512];
    } u;
    /* Sizing: nothing written, the size needed returned. */
    memset(&u, 0xAB, sizeof u);
    CHECK_EQ(FltGetInstanceInformation(b, InstanceFullInformation, &u, sizeof(INSTANCE_FULL_INFORMATION), &got),
             STATUS_BUFFER_TOO_SMALL);
    ULONG need = sizeof(INSTANCE_FULL_INFORMATION) + (15 + 6 + 23 + 6) * sizeof(WCHAR);
    CHECK_EQ(got, need);
    CHECK_EQ(u.raw[0], 0xAB);
    CHECK_EQ(FltGetInstanceInformation(b, InstanceFullInformation, NULL, 0, &got), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(FltGetInstanceInformation(b, InstanceFullInformation, &u, sizeof u, &got), STATUS_SUCCESS);
    CHECK_EQ(got, need);
    const INSTANCE_FULL_INFORMATION *f = &u.full;
    CHECK_EQ(f->NextEntryOffset, 0);
    CHECK(wide_is((const WCHAR *)(u.raw + f->InstanceNameBufferOffset), f->InstanceNameLength, "Second Instance"));
    CHECK(wide_is((const WCHAR *)(u.raw + f->AltitudeBufferOffset), f->AltitudeLength, "200000"));
    CHECK(wide_is((const WCHAR *)(u.raw + f->VolumeNameBufferOffset), f->VolumeNameLength,
                  "\\Device\\HarddiskVolume1"));
    CHECK(wide_is((const WCHAR *)(u.raw + f->FilterNameBufferOffset), f->FilterNameLength, "Second"));
    CHECK_EQ(f->InstanceNameBufferOffset, sizeof(INSTANCE_FULL_INFORMATION));
    /* The fixture's driver object carries no service name. */
    CHECK_EQ(FltGetInstanceInformation(a, InstancePartialInformation, &u, sizeof u, &got), STATUS_SUCCESS);
    const INSTANCE_PARTIAL_INFORMATION *p = (const INSTANCE_PARTIAL_INFORMATION *)u.raw;
    CHECK(wide_is((const WCHAR *)(u.raw + p->InstanceNameBufferOffset), p->InstanceNameLength, "Filter Instance"));
    CHECK(wide_is((const WCHAR *)(u.raw + p->AltitudeBufferOffset), p->AltitudeLength, "100000"));
    CHECK_EQ(got, sizeof(INSTANCE_PARTIAL_INFORMATION) + (15 + 6) * sizeof(WCHAR));
    CHECK_EQ(FltGetInstanceInformation(a, InstanceBasicInformation, &u, sizeof u, &got), STATUS_SUCCESS);
    CHECK_EQ(got, sizeof(INSTANCE_BASIC_INFORMATION) + 15 * sizeof(WCHAR));
    CHECK_EQ(FltGetInstanceInformation(b, InstanceAggregateStandardInformation, &u, sizeof u, &got), STATUS_SUCCESS);
    CHECK_EQ(u.agg.Flags, FLTFL_IASI_IS_MINIFILTER);
    CHECK_EQ(u.agg.Type.MiniFilter.VolumeFileSystemType, FLT_FSTYPE_NTFS);
    CHECK(wide_is((const WCHAR *)(u.raw + u.agg.Type.MiniFilter.FilterNameBufferOffset),
                  u.agg.Type.MiniFilter.FilterNameLength, "Second"));
    CHECK_EQ(FltGetInstanceInformation(b, (INSTANCE_INFORMATION_CLASS)7, &u, sizeof u, &got), STATUS_INVALID_PARAMETER);
    CHECK(fx_violation(info_null_returned, b, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(info_null_returned, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    /* Before Vista there is no aggregate information. */
    kft_options("profile=ws03-amd64");
    fx_fresh();
    a = fx_start();
    CHECK_EQ(FltGetInstanceInformation(a, InstanceAggregateStandardInformation, &u, sizeof u, &got),
             STATUS_INVALID_PARAMETER);
}

/* ---- FO-5 enumerations ------------------------------------------------------------------------- */

static void unregister_it(void *f) { FltUnregisterFilter(f); }

TEST(enumerations)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(3, NULL), 0);
    fx_setup_result[1] = STATUS_FLT_DO_NOT_ATTACH; /* the fixture declines volume 1 */
    PFLT_INSTANCE a0 = fx_start();
    start_second();
    ULONG n = 99;
    PFLT_INSTANCE list[8];
    /* The sizing call of a driver that asks first: the count, nothing referenced. */
    CHECK_EQ(FltEnumerateInstances(NULL, fx_filter, NULL, 0, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 2);
    CHECK_EQ(FltEnumerateInstances(NULL, fx_filter, list, 1, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0);
    CHECK_EQ(FltEnumerateInstances(NULL, fx_filter, list, 8, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 2);
    CHECK(list[0] == a0 && list[1] == kf_flt_instance(fx_filter, 2));
    CHECK_EQ(kf_flt_object_refs_outstanding(), 2);
    FltObjectDereference(list[0]);
    FltObjectDereference(list[1]);
    /* By volume: from the top down. */
    PFLT_VOLUME v0 = volume_at(a0);
    CHECK_EQ(FltEnumerateInstances(v0, NULL, list, 8, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 2);
    CHECK(list[0] == kf_flt_instance(second, 0) && list[1] == a0);
    FltObjectDereference(list[0]);
    FltObjectDereference(list[1]);
    CHECK_EQ(FltEnumerateInstances(NULL, NULL, list, 8, &n), STATUS_INVALID_PARAMETER);
    /* Volumes: every one, attached or not. */
    PFLT_VOLUME vols[8];
    CHECK_EQ(FltEnumerateVolumes(fx_filter, vols, 2, &n), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(n, 3);
    CHECK_EQ(FltEnumerateVolumes(fx_filter, vols, 8, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 3);
    CHECK(vols[0] == v0);
    for (ULONG i = 0; i < n; i++)
        FltObjectDereference(vols[i]);
    /* Filters, in registration order; a reference on one holds off its unregistration (FV-10). */
    PFLT_FILTER filters[4];
    CHECK_EQ(FltEnumerateFilters(filters, 4, &n), STATUS_SUCCESS);
    CHECK_EQ(n, 2);
    CHECK(filters[0] == fx_filter && filters[1] == second);
    FltObjectDereference(filters[0]);
    CHECK_EQ(kf_flt_object_refs_outstanding(), 1);
    CHECK(fx_violation(unregister_it, second, KF_VIOL_FLT_FILTER_REFERENCED_AT_UNREGISTER));
}

/* ---- FO-6 device objects under a volume ----------------------------------------------------------- */

static void device_object_at_dispatch(void *v)
{
    PDEVICE_OBJECT d;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetDeviceObject(v, &d);
}

TEST(device_objects_of_a_volume)
{
    fx_fresh();
    kf_flt_volume cfg[2] = {{FILE_DEVICE_DISK_FILE_SYSTEM, FLT_FSTYPE_NTFS},
                            {FILE_DEVICE_NETWORK_FILE_SYSTEM, FLT_FSTYPE_LANMAN}};
    CHECK_EQ(kf_flt_set_volumes(2, cfg), 0);
    kf_flt_volume_identity id = {NULL, TRUE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    PFLT_INSTANCE a = fx_start();
    PFLT_VOLUME v0 = volume_at(a), v1 = volume_at(kf_flt_instance(fx_filter, 1));
    PDEVICE_OBJECT disk = NULL, vdo = NULL;
    kf_set_irql(DISPATCH_LEVEL);
    CHECK_EQ(FltGetDiskDeviceObject(v0, &disk), STATUS_SUCCESS);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(disk->Type, IO_TYPE_DEVICE);
    CHECK_EQ(disk->DeviceType, FILE_DEVICE_DISK);
    CHECK_EQ(disk->SectorSize, 4096);
    CHECK_EQ(disk->Characteristics, FILE_READ_ONLY_DEVICE);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.objects, 1);
    CHECK_EQ(FltGetDeviceObject(v0, &vdo), STATUS_SUCCESS);
    CHECK(vdo != disk);
    CHECK_EQ(vdo->DeviceType, FILE_DEVICE_DISK_FILE_SYSTEM);
    ObDereferenceObject(disk);
    ObDereferenceObject(vdo);
    kf_leaks(&leaks);
    CHECK_EQ(leaks.objects, 0);
    /* A network volume has no disk under it; the out pointer stays as it was. */
    PDEVICE_OBJECT untouched = (PDEVICE_OBJECT)&leaks;
    CHECK_EQ(FltGetDiskDeviceObject(v1, &untouched), STATUS_FLT_NO_DEVICE_OBJECT);
    CHECK(untouched == (PDEVICE_OBJECT)&leaks);
    CHECK_EQ(FltGetDeviceObject(v1, &vdo), STATUS_SUCCESS);
    CHECK_EQ(vdo->DeviceType, FILE_DEVICE_NETWORK_FILE_SYSTEM);
    ObDereferenceObject(vdo);
    CHECK(fx_bugcheck(device_object_at_dispatch, v0, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
}

/* ---- FO-7 snapshots -------------------------------------------------------------------------------- */

TEST(volume_snapshot)
{
    fx_fresh();
    PFLT_INSTANCE a = fx_start();
    BOOLEAN snap = TRUE;
    CHECK_EQ(FltIsVolumeSnapshot(a, &snap), STATUS_SUCCESS);
    CHECK(!snap);
    CHECK_EQ(kf_flt_set_volume_snapshot(0, TRUE), 0);
    CHECK_EQ(FltIsVolumeSnapshot(volume_at(a), &snap), STATUS_SUCCESS);
    CHECK(snap);
    CHECK_EQ(FltIsVolumeSnapshot(fx_filter, &snap), STATUS_INVALID_PARAMETER);
    CHECK_EQ(kf_flt_set_volume_snapshot(KF_FLT_MAX_VOLUMES, TRUE), -1);
    kf_reset();
    fx_fresh();
    a = fx_start();
    CHECK_EQ(FltIsVolumeSnapshot(a, &snap), STATUS_SUCCESS);
    CHECK(!snap); /* the reset cleared it */
}

/* ---- FO-8 device-aligned pool ------------------------------------------------------------------------ */

static PFLT_INSTANCE pool_inst;
static PVOID pool_buf;
static void free_with_ex(void *a)
{
    (void)a;
    ExFreePoolWithTag(pool_buf, 'lAfK');
}
static void free_aligned(void *p) { FltFreePoolAlignedWithTag(pool_inst, p, 'lAfK'); }
static void free_aligned_wrong_tag(void *p) { FltFreePoolAlignedWithTag(pool_inst, p, 'xxfK'); }
static void free_aligned_other_instance(void *p) { FltFreePoolAlignedWithTag(NULL, p, 'lAfK'); }
static void alloc_zero_tag(void *a)
{
    (void)a;
    (void)FltAllocatePoolAlignedWithTag(pool_inst, NonPagedPoolNx, 16, 0);
}
static void alloc_paged_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltAllocatePoolAlignedWithTag(pool_inst, PagedPool, 16, 'lAfK');
}
static void alloc_no_instance(void *a)
{
    (void)a;
    (void)FltAllocatePoolAlignedWithTag(NULL, NonPagedPoolNx, 16, 'lAfK');
}

TEST(aligned_pool)
{
    fx_fresh();
    kf_flt_volume_identity id = {NULL, FALSE, 4096};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    pool_inst = fx_start();
    UCHAR *p = FltAllocatePoolAlignedWithTag(pool_inst, NonPagedPoolNx, 100, 'lAfK');
    CHECK(p != NULL);
    CHECK_EQ((ULONG_PTR)p % 4096, 0);
    CHECK_EQ(p[0], 0xCD);
    CHECK_EQ(p[99], 0xCD);
    PVOID z = FltAllocatePoolAlignedWithTag(pool_inst, PagedPool, 0, 'lAfK'); /* the smallest aligned block */
    CHECK(z != NULL);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.pool_blocks, 2);
    ULONG tag;
    SIZE_T size;
    const char *routine;
    CHECK(kf_pool_first_leak(&tag, &size, &routine, NULL, 0));
    CHECK(!strcmp(routine, "FltAllocatePoolAlignedWithTag"));
    CHECK_EQ(size, 100);
    FltFreePoolAlignedWithTag(pool_inst, z, 'lAfK');
    /* The wrong routine, tag or instance. */
    pool_buf = p;
    CHECK(fx_violation(free_with_ex, NULL, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH));
    CHECK(fx_violation(free_aligned_other_instance, p, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH));
    CHECK(fx_bugcheck(free_aligned_wrong_tag, p, BAD_POOL_CALLER, 0x0A, 0));
    PVOID ex = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'lAfK');
    CHECK(fx_violation(free_aligned, ex, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH));
    ExFreePoolWithTag(ex, 'lAfK');
    FltFreePoolAlignedWithTag(pool_inst, p, 'lAfK');
    CHECK(fx_violation(free_aligned, p, KF_VIOL_FLT_ALIGNED_POOL_FREE_INVALID)); /* twice */
    kf_leaks(&leaks);
    CHECK_EQ(leaks.pool_blocks, 0);
    /* The fault site: NULL, nothing outstanding. */
    fx_fail_site(KF_SITE_FLT_POOL_ALIGNED, 0, KF_FAULT_HARD);
    CHECK(FltAllocatePoolAlignedWithTag(pool_inst, NonPagedPoolNx, 16, 'lAfK') == NULL);
    fx_no_faults();
    CHECK(fx_bugcheck(alloc_zero_tag, NULL, BAD_POOL_CALLER, 0x9B, NonPagedPoolNx));
    CHECK(fx_bugcheck(alloc_paged_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_violation(alloc_no_instance, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
}

#ifdef FX_HAVE_ASAN
static void touch_after_aligned_free(void)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    volatile UCHAR *p = FltAllocatePoolAlignedWithTag(inst, NonPagedPoolNx, 32, 'lAfK');
    if (!p)
        return;
    FltFreePoolAlignedWithTag(inst, (PVOID)p, 'lAfK');
    (void)p[0];
}
static void overrun_aligned(void)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    volatile UCHAR *p = FltAllocatePoolAlignedWithTag(inst, NonPagedPoolNx, 32, 'lAfK');
    if (!p)
        return;
    p[32] = 1;
}
TEST(aligned_pool_misuse_is_seen)
{
    CHECK(kft_expect_death(touch_after_aligned_free, "heap-use-after-free"));
    CHECK(kft_expect_death(overrun_aligned, "heap-buffer-overflow"));
}
#endif

/* ---- FO-9 FltGetRoutineAddress ------------------------------------------------------------------------ */

static void call_unmodeled(void *a)
{
    (void)a;
    NTSTATUS(FLTAPI * fn)(PFLT_FILTER) = (NTSTATUS(FLTAPI *)(PFLT_FILTER))FltGetRoutineAddress("FltCancelIo");
    (void)fn(NULL);
}
static void routine_null(void *a)
{
    (void)a;
    (void)FltGetRoutineAddress(NULL);
}

TEST(routine_address)
{
    CHECK(FltGetRoutineAddress("FltRegisterFilter") == (PVOID)&FltRegisterFilter);
    CHECK(FltGetRoutineAddress("FltEnumerateInstances") == (PVOID)&FltEnumerateInstances);
    CHECK(FltGetRoutineAddress("fltregisterfilter") == NULL); /* names are exact */
    CHECK(FltGetRoutineAddress("FltNoSuchRoutine") == NULL);
    CHECK(FltGetRoutineAddress("IoCreateDevice") == NULL); /* ntoskrnl's, not FltMgr's */
    CHECK(FltGetRoutineAddress("FsRtlIsNtstatusExpected") == NULL);
    /* Declared, not modeled: its stub, which stops when called. */
    CHECK(FltGetRoutineAddress("FltCancelIo") != NULL);
    CHECK(fx_violation(call_unmodeled, NULL, KF_VIOL_NOT_MODELED));
    CHECK(fx_violation(routine_null, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    /* By OS: FltAllocateCallbackDataEx from Windows 8. */
    kft_options("profile=win7-amd64");
    CHECK(FltGetRoutineAddress("FltAllocateCallbackDataEx") == NULL);
    CHECK(FltGetRoutineAddress("FltAllocateCallbackData") == (PVOID)&FltAllocateCallbackData);
    kft_options("profile=win8-amd64");
    CHECK(FltGetRoutineAddress("FltAllocateCallbackDataEx") == (PVOID)&FltAllocateCallbackDataEx);
}

/* Every Flt routine fltKernel.h declares resolves on the newest profile: to its model or to its stub. */
TEST(routine_address_table_is_complete)
{
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/model/include/fltKernel.h", KFAULT_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    unsigned seen = 0;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "FLTAPI Flt");
        if (!p || strstr(line, "typedef") || strstr(line, "(FLTAPI"))
            continue;
        p += 7;
        char name[128];
        size_t k = 0;
        while (k + 1 < sizeof name && ((p[k] >= 'A' && p[k] <= 'Z') || (p[k] >= 'a' && p[k] <= 'z') ||
                                       (p[k] >= '0' && p[k] <= '9') || p[k] == '_'))
            k++;
        if (p[k] != '(')
            continue;
        memcpy(name, p, k);
        name[k] = 0;
        seen++;
        if (!FltGetRoutineAddress(name))
            kft_fail(__FILE__, __LINE__, "%s (declared in fltKernel.h) does not resolve", name);
        else
            kft_pass();
    }
    fclose(f);
    CHECK(seen > 100);
}

/* ---- D-16 IoVolumeDeviceToDosName on the modeled volumes ----------------------------------------- */

static void dos_name_guarded(void *d)
{
    UNICODE_STRING n;
    KeEnterGuardedRegion();
    (void)IoVolumeDeviceToDosName(d, &n);
}

TEST(volume_dos_names)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    PFLT_INSTANCE a = fx_start();
    PFLT_VOLUME v1 = volume_at(kf_flt_instance(fx_filter, 1));
    PDEVICE_OBJECT disk0 = NULL, disk1 = NULL;
    CHECK_EQ(FltGetDiskDeviceObject(volume_at(a), &disk0), STATUS_SUCCESS);
    CHECK_EQ(FltGetDiskDeviceObject(v1, &disk1), STATUS_SUCCESS);
    UNICODE_STRING n = {0, 0, NULL};
    CHECK_EQ(IoVolumeDeviceToDosName(disk1, &n), STATUS_SUCCESS);
    CHECK(wide_is(n.Buffer, n.Length, "D:"));
    CHECK_EQ(n.MaximumLength, 6);
    CHECK_EQ(n.Buffer[2], 0);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.pool_blocks, 1); /* the caller's to free with ExFreePool */
    ExFreePool(n.Buffer);
    CHECK_EQ(IoVolumeDeviceToDosName(disk0, &n), STATUS_SUCCESS);
    CHECK(wide_is(n.Buffer, n.Length, "C:"));
    ExFreePool(n.Buffer);
    DEVICE_OBJECT other;
    memset(&other, 0, sizeof other);
    CHECK_EQ(IoVolumeDeviceToDosName(&other, &n), STATUS_INVALID_PARAMETER);
    fx_fail_site(KF_SITE_POOL, 0, KF_FAULT_HARD);
    CHECK_EQ(IoVolumeDeviceToDosName(disk0, &n), STATUS_INSUFFICIENT_RESOURCES);
    fx_no_faults();
    CHECK(fx_violation(dos_name_guarded, disk0, KF_VIOL_IO_DOS_NAME_APCS_DISABLED));
    ObDereferenceObject(disk0);
    ObDereferenceObject(disk1);
}

/* ---- FO-10 what the sample minifilters name: values and layouts ----------------------------------- */
#define SAME(a, v) ((unsigned long long)(a) == (unsigned long long)(v##ull))
_Static_assert(SAME(DPFLTR_FLTMGR_ID, 47) && SAME(FSCTL_CSV_CONTROL, 0x000902D4) &&
                   SAME(IOCTL_VOLSNAP_FLUSH_AND_HOLD_WRITES, 0x0053C000) && SAME(IOCTL_DISK_GET_CLUSTER_INFO, 0x00070214) &&
                   SAME(IOCTL_DISK_SET_CLUSTER_INFO, 0x0007C218) && SAME(DISK_CLUSTER_FLAG_CSV, 2) &&
                   SAME(DISK_CLUSTER_FLAG_IN_MAINTENANCE, 4) && SAME(CsvControlQueryFileRevision, 6) &&
                   SAME(AF_INET, 2) && SAME(AF_INET6, 23) && SAME(PROCESS_ALL_ACCESS, 0x001FFFFF) &&
                   SAME(FLT_MAX_TRANSACTION_NOTIFICATIONS, 0x4000000F) && SAME(FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL, 2),
               "sample values");
_Static_assert(sizeof(SOCKADDR_IN) == 16 && sizeof(SOCKADDR_IN6) == 28 && sizeof(SOCKADDR_STORAGE) == 128 &&
                   offsetof(SOCKADDR_IN6, sin6_addr) == 8,
               "socket addresses");
_Static_assert(sizeof(CSV_CONTROL_PARAM) == 16 && sizeof(CSV_QUERY_FILE_REVISION) == 32 &&
                   sizeof(OPLOCK_KEY_ECP_CONTEXT) == 20 && FLT_TAG_DATA_BUFFER_HEADER_SIZE == 8 &&
                   sizeof(INSTANCE_FULL_INFORMATION) == 20 && sizeof(INSTANCE_PARTIAL_INFORMATION) == 12 &&
                   sizeof(INSTANCE_BASIC_INFORMATION) == 8 && sizeof(INSTANCE_AGGREGATE_STANDARD_INFORMATION) == 40,
               "structures");
#if defined(_WIN64)
_Static_assert(sizeof(DISK_CLUSTER_INFO) == 32 && sizeof(NFS_OPEN_ECP_CONTEXT) == 16 &&
                   sizeof(SRV_OPEN_ECP_CONTEXT) == 24,
               "amd64 structures");
#endif

static int guid_is(const GUID *g, ULONG d1, USHORT d2, USHORT d3, UCHAR last)
{
    return g->Data1 == d1 && g->Data2 == d2 && g->Data3 == d3 && g->Data4[7] == last;
}
static void svi_folder(void *a)
{
    (void)a;
    (void)FltCreateSystemVolumeInformationFolder(NULL);
}
static void is_32bit_process(void *a)
{
    (void)a;
    (void)IoIs32bitProcess(NULL);
}

TEST(sample_declarations)
{
    CHECK(guid_is(&GUID_ECP_PREFETCH_OPEN, 0xe1777b21, 0x847e, 0x4837, 0x55));
    CHECK(guid_is(&GUID_ECP_OPLOCK_KEY, 0x48850596, 0x3050, 0x4be7, 0x7f));
    CHECK(guid_is(&GUID_ECP_NFS_OPEN, 0xf326d30c, 0xe5f8, 0x4fe7, 0xdb));
    CHECK(guid_is(&GUID_ECP_SRV_OPEN, 0xbebfaebc, 0xaabf, 0x489d, 0x53));
    CHECK(guid_is(&GUID_ECP_CSV_DOWN_LEVEL_OPEN, 0x4248be44, 0x647f, 0x488f, 0x28));
    CHECK(guid_is(&GUID_ECP_CSV_QUERY_FILE_REVISION, 0x44aec90b, 0xde65, 0x4d46, 0x1d));
    CHECK(TmTransactionObjectType != NULL && *TmTransactionObjectType != NULL);
    CHECK(*TmTransactionObjectType != *IoFileObjectType);
    /* Declared, not modeled: a call stops naming the routine. */
    CHECK(fx_violation(svi_folder, NULL, KF_VIOL_NOT_MODELED));
    CHECK(!strcmp(fx_stop.routine, "FltCreateSystemVolumeInformationFolder"));
    CHECK(fx_violation(is_32bit_process, NULL, KF_VIOL_NOT_MODELED));
    CHECK(!strcmp(fx_stop.routine, "IoIs32bitProcess"));
}

/* ---- Misuse of the object routines (FO-3 .. FO-7) --------------------------------------------------- */

static void disk_of(void *v)
{
    PDEVICE_OBJECT d;
    (void)FltGetDiskDeviceObject(v, &d);
}
static void disk_to_null(void *v) { (void)FltGetDiskDeviceObject(v, NULL); }
static void volumes_of(void *f)
{
    ULONG n;
    (void)FltEnumerateVolumes(f, NULL, 0, &n);
}
static void instances_into_null(void *f)
{
    ULONG n;
    (void)FltEnumerateInstances(NULL, f, NULL, 8, &n);
}
static void lower_of(void *i)
{
    PFLT_INSTANCE l;
    (void)FltGetLowerInstance(i, &l);
}
static void snapshot_to_null(void *i) { (void)FltIsVolumeSnapshot(i, NULL); }
static void name_null(void *f)
{
    PFLT_VOLUME v;
    (void)FltGetVolumeFromName(f, NULL, &v);
}
static void info_of(void *i)
{
    ULONG n;
    UCHAR buf[8];
    (void)FltGetInstanceInformation(i, InstanceBasicInformation, buf, sizeof buf, &n);
}
static void dos_name_null(void *a)
{
    (void)a;
    (void)IoVolumeDeviceToDosName(NULL, NULL);
}

TEST(objects_misuse)
{
    fx_fresh();
    PFLT_INSTANCE a = fx_start();
    int junk;
    CHECK(fx_violation(disk_of, &junk, KF_VIOL_FLT_INVALID_VOLUME));
    CHECK(fx_violation(disk_of, NULL, KF_VIOL_FLT_INVALID_VOLUME));
    CHECK(fx_violation(disk_to_null, volume_at(a), KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(volumes_of, &junk, KF_VIOL_FLT_INVALID_FILTER));
    CHECK(fx_violation(instances_into_null, fx_filter, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(lower_of, &junk, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(snapshot_to_null, a, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(name_null, fx_filter, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(info_of, &junk, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(dos_name_null, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK_EQ(kf_flt_object_refs_outstanding(), 0); /* no stop left a reference behind */
}
