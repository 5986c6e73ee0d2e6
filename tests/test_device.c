/*
 * test_device.c - device objects, symbolic links and the IRPs a driver's own devices get
 * (model/src/device.c): IoCreateDevice, IoDeleteDevice, IoCreateSymbolicLink,
 * IoDeleteSymbolicLink, IoGetAttachedDeviceReference, IoCompleteRequest and the controls
 * kf_io_call_device, kf_io_driver_loaded, kf_io_open_name. Rules D-1 .. D-16 of
 * model/SEMANTICS.md. The layouts are derived by hand from the WDK's field types (amd64).
 */
#include "kft.h"
#include "drivers/cdo_driver.h"
#include <ntddk.h>
#include <ntddcdrm.h>
#include <ntdddisk.h>
#include <ntddscsi.h>
#include <ntddstor.h>
#include <scsi.h>

#include <stddef.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_ASAN)
#define HAVE_ASAN 1
#endif

/* ---- D-1 layouts and values --------------------------------------------------------------------- */
#define SAME(a, v) ((ULONG)(a) == (ULONG)(v##u))
_Static_assert(SAME(IRP_MJ_CREATE, 0) && SAME(IRP_MJ_CLOSE, 2) && SAME(IRP_MJ_READ, 3) && SAME(IRP_MJ_WRITE, 4) &&
                   SAME(IRP_MJ_DEVICE_CONTROL, 0xE) && SAME(IRP_MJ_INTERNAL_DEVICE_CONTROL, 0xF) &&
                   SAME(IRP_MJ_CLEANUP, 0x12) && SAME(IRP_MJ_PNP, 0x1B),
               "major functions in wdm.h");
_Static_assert(SAME(DO_BUFFERED_IO, 0x4) && SAME(DO_EXCLUSIVE, 0x8) && SAME(DO_DIRECT_IO, 0x10) &&
                   SAME(DO_DEVICE_HAS_NAME, 0x40) && SAME(DO_DEVICE_INITIALIZING, 0x80) &&
                   SAME(DO_POWER_PAGABLE, 0x2000),
               "DO_ flags");
_Static_assert(SAME(IO_TYPE_DEVICE, 3) && SAME(IO_TYPE_DRIVER, 4) && SAME(IO_TYPE_FILE, 5) && SAME(IO_TYPE_IRP, 6),
               "I/O object types");
_Static_assert(SAME(SL_PENDING_RETURNED, 1) && SAME(MULTIPLE_IRP_COMPLETE_REQUESTS, 0x44) &&
                   SAME(FILE_WORD_ALIGNMENT, 1) && SAME(FILE_512_BYTE_ALIGNMENT, 0x1FF),
               "values");
#if defined(_WIN64)
#define OFF(t, f) offsetof(t, f)
_Static_assert(sizeof(KDEVICE_QUEUE) == 0x28 && sizeof(KDPC) == 0x40 && sizeof(WAIT_CONTEXT_BLOCK) == 0x48,
               "embedded kernel objects");
_Static_assert(sizeof(DEVICE_OBJECT) == 0x150 && OFF(DEVICE_OBJECT, CurrentIrp) == 0x20 &&
                   OFF(DEVICE_OBJECT, Timer) == 0x28 && OFF(DEVICE_OBJECT, Flags) == 0x30 &&
                   OFF(DEVICE_OBJECT, Characteristics) == 0x34 && OFF(DEVICE_OBJECT, Vpb) == 0x38 &&
                   OFF(DEVICE_OBJECT, DeviceExtension) == 0x40 && OFF(DEVICE_OBJECT, DeviceType) == 0x48 &&
                   OFF(DEVICE_OBJECT, StackSize) == 0x4C && OFF(DEVICE_OBJECT, Queue) == 0x50 &&
                   OFF(DEVICE_OBJECT, AlignmentRequirement) == 0x98 && OFF(DEVICE_OBJECT, DeviceQueue) == 0xA0 &&
                   OFF(DEVICE_OBJECT, Dpc) == 0xC8 && OFF(DEVICE_OBJECT, ActiveThreadCount) == 0x108 &&
                   OFF(DEVICE_OBJECT, SecurityDescriptor) == 0x110 && OFF(DEVICE_OBJECT, DeviceLock) == 0x118 &&
                   OFF(DEVICE_OBJECT, SectorSize) == 0x130 && OFF(DEVICE_OBJECT, DeviceObjectExtension) == 0x138 &&
                   OFF(DEVICE_OBJECT, Reserved) == 0x140,
               "DEVICE_OBJECT");
#endif

/* The storage headers a file system includes (ntddscsi.h, scsi.h, ntddcdrm.h, ntdddisk.h,
 * ntddstor.h): control codes and layouts. */
_Static_assert(SAME(IOCTL_DISK_GET_DRIVE_GEOMETRY, 0x70000) && SAME(IOCTL_DISK_IS_WRITABLE, 0x70024) &&
                   SAME(IOCTL_DISK_GET_PARTITION_INFO_EX, 0x70048) && SAME(IOCTL_DISK_COPY_DATA, 0x7C064) &&
                   SAME(IOCTL_DISK_CHECK_VERIFY, 0x74800) && SAME(IOCTL_DISK_MEDIA_REMOVAL, 0x74804) &&
                   SAME(IOCTL_STORAGE_GET_HOTPLUG_INFO, 0x2D0C14) && SAME(IOCTL_STORAGE_GET_DEVICE_NUMBER, 0x2D1080) &&
                   SAME(IOCTL_CDROM_READ_TOC, 0x24000) && SAME(IOCTL_SCSI_PASS_THROUGH, 0x4D004) &&
                   SAME(IOCTL_SCSI_PASS_THROUGH_DIRECT, 0x4D014) && SAME(IOCTL_SCSI_PASS_THROUGH_EX, 0x4D044) &&
                   SAME(IOCTL_SCSI_PASS_THROUGH_DIRECT_EX, 0x4D048) && SAME(SCSIOP_FORMAT_UNIT, 4) &&
                   SAME(PARTITION_OS2BOOTMGR, 0xA) && SAME(FixedMedia, 12) && SAME(F3_32M_512, 25),
               "storage control codes");
_Static_assert(sizeof(DISK_GEOMETRY) == 24 && sizeof(CDROM_TOC) == 804 && sizeof(TRACK_DATA) == 8 &&
                   sizeof(STORAGE_HOTPLUG_INFO) == 8 && sizeof(STORAGE_DEVICE_NUMBER) == 12 && sizeof(CDB) == 16,
               "storage structures");
#if defined(_WIN64)
_Static_assert(sizeof(SCSI_PASS_THROUGH) == 56 && sizeof(SCSI_PASS_THROUGH32) == 44 &&
                   offsetof(SCSI_PASS_THROUGH, Cdb) == 36 && offsetof(SCSI_PASS_THROUGH32, Cdb) == 28 &&
                   sizeof(PARTITION_INFORMATION_EX) == 144 && offsetof(PARTITION_INFORMATION_EX, Mbr) == 32,
               "amd64 storage structures");
#endif

static DRIVER_OBJECT driver;
static UNICODE_STRING dev_name = RTL_CONSTANT_STRING(L"\\Device\\KfTest");
static UNICODE_STRING link_name = RTL_CONSTANT_STRING(L"\\DosDevices\\KfTest");

static void fresh(void)
{
    memset(&driver, 0, sizeof driver);
    driver.Type = IO_TYPE_DRIVER;
    driver.Size = (CSHORT)sizeof driver;
}

static kf_stop st;
static int violation(void (*fn)(void *), void *arg, kf_violation v)
{
    if (!kft_stops(fn, arg, &st))
        return 0;
    if (st.code != DRIVER_VERIFIER_DETECTED_VIOLATION || st.param[0] != (ULONG_PTR)v) {
        char report[1024];
        kf_stop_format(&st, report, sizeof report);
        fprintf(stderr, "  unexpected stop:\n%s", report);
        return 0;
    }
    return 1;
}

static kf_fault_kind fail_site_hook(void *ctx, kf_site site)
{
    return site == *(kf_site *)ctx ? KF_FAULT_HARD : KF_FAULT_NONE;
}

TEST(layouts_and_values)
{
    CHECK_EQ(IRP_MJ_MAXIMUM_FUNCTION, 0x1B);
    CDB cdb;
    memset(&cdb, 0, sizeof cdb);
    cdb.CDB6GENERIC.OperationCode = SCSIOP_FORMAT_UNIT;
    CHECK_EQ(cdb.AsByte[0], 4);
    CHECK(!strcmp(kf_bugcheck_name(MULTIPLE_IRP_COMPLETE_REQUESTS), "MULTIPLE_IRP_COMPLETE_REQUESTS"));
    CHECK(!strcmp(kf_violation_name(KF_VIOL_IO_IRP_NOT_COMPLETED), "io-irp-not-completed"));
}

/* ---- D-2 creating a device object ------------------------------------------------------------------ */

TEST(create_device_fields)
{
    fresh();
    PDEVICE_OBJECT d = NULL, e = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 40, &dev_name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &d),
             STATUS_SUCCESS);
    CHECK(d != NULL);
    CHECK_EQ(d->Type, IO_TYPE_DEVICE);
    CHECK_EQ(d->Size, sizeof(DEVICE_OBJECT) + 40);
    CHECK(d->DriverObject == &driver);
    CHECK(driver.DeviceObject == d);
    CHECK_EQ(d->Flags, DO_DEVICE_INITIALIZING | DO_DEVICE_HAS_NAME);
    CHECK_EQ(d->Characteristics, FILE_DEVICE_SECURE_OPEN);
    CHECK_EQ(d->DeviceType, FILE_DEVICE_UNKNOWN);
    CHECK_EQ(d->StackSize, 1);
    CHECK_EQ(d->SectorSize, 0);
    CHECK(d->DeviceExtension == (PVOID)(d + 1));
    static const UCHAR zeros[40];
    CHECK(!memcmp(d->DeviceExtension, zeros, sizeof zeros)); /* the extension is zeroed */
    /* An unnamed exclusive disk device: inserted at the head of the driver's list. */
    CHECK_EQ(IoCreateDevice(&driver, 0, NULL, FILE_DEVICE_DISK, 0, TRUE, &e), STATUS_SUCCESS);
    CHECK_EQ(e->Flags, DO_DEVICE_INITIALIZING | DO_EXCLUSIVE);
    CHECK(e->DeviceExtension == NULL);
    CHECK_EQ(e->SectorSize, 512);
    CHECK(driver.DeviceObject == e && e->NextDevice == d && d->NextDevice == NULL);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.device_objects, 2);
    CHECK_EQ(leaks.objects, 0); /* the driver holds no reference: the system's goes at IoDeleteDevice */
    /* DO_DEVICE_INITIALIZING goes once DriverEntry returned. */
    kf_io_driver_loaded(&driver);
    CHECK_EQ(d->Flags, DO_DEVICE_HAS_NAME);
    IoDeleteDevice(d);
    CHECK(driver.DeviceObject == e && e->NextDevice == NULL);
    IoDeleteDevice(e);
    CHECK(driver.DeviceObject == NULL);
    CHECK_EQ(kf_io_devices_outstanding(), 0);
}

TEST(create_device_autogenerated_name)
{
    fresh();
    PDEVICE_OBJECT d = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_AUTOGENERATED_DEVICE_NAME, FALSE, &d),
             STATUS_SUCCESS);
    CHECK(d->Flags & DO_DEVICE_HAS_NAME);
    CHECK(kf_io_open_name("\\Device\\00000001") == d);
    IoDeleteDevice(d);
}

static void create_null_driver(void *a)
{
    PDEVICE_OBJECT d;
    (void)a;
    (void)IoCreateDevice(NULL, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
}
static void create_null_out(void *a)
{
    (void)a;
    (void)IoCreateDevice(&driver, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, NULL);
}
static void create_at(void *irql)
{
    PDEVICE_OBJECT d;
    kf_set_irql((KIRQL)(ULONG_PTR)irql);
    (void)IoCreateDevice(&driver, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
}
static void create_odd_name(void *a)
{
    PDEVICE_OBJECT d;
    UNICODE_STRING odd = {3, 8, L"\\abc"};
    (void)a;
    (void)IoCreateDevice(&driver, 0, &odd, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
}

TEST(create_device_errors)
{
    fresh();
    PDEVICE_OBJECT d = NULL, again = (PDEVICE_OBJECT)&driver;
    CHECK_EQ(IoCreateDevice(&driver, 0, &dev_name, FILE_DEVICE_UNKNOWN, 0, FALSE, &d), STATUS_SUCCESS);
    /* The same name, in another case: a collision, *DeviceObject NULL. */
    UNICODE_STRING upper = RTL_CONSTANT_STRING(L"\\DEVICE\\KFTEST");
    CHECK_EQ(IoCreateDevice(&driver, 0, &upper, FILE_DEVICE_UNKNOWN, 0, FALSE, &again), STATUS_OBJECT_NAME_COLLISION);
    CHECK(again == NULL);
    /* A symbolic link's name is taken too. */
    CHECK_EQ(IoCreateSymbolicLink(&link_name, &dev_name), STATUS_SUCCESS);
    UNICODE_STRING as_link = RTL_CONSTANT_STRING(L"\\??\\KfTest");
    CHECK_EQ(IoCreateDevice(&driver, 0, &as_link, FILE_DEVICE_UNKNOWN, 0, FALSE, &again), STATUS_OBJECT_NAME_COLLISION);
    /* Not a full path. */
    UNICODE_STRING relative = RTL_CONSTANT_STRING(L"Device\\X");
    UNICODE_STRING empty = {0, 0, NULL};
    CHECK_EQ(IoCreateDevice(&driver, 0, &relative, FILE_DEVICE_UNKNOWN, 0, FALSE, &again), STATUS_OBJECT_PATH_SYNTAX_BAD);
    CHECK_EQ(IoCreateDevice(&driver, 0, &empty, FILE_DEVICE_UNKNOWN, 0, FALSE, &again), STATUS_OBJECT_PATH_SYNTAX_BAD);
    /* An injected failure at io.device: nothing created. */
    kf_site site = KF_SITE_IO_DEVICE;
    kf_set_fault_hook(fail_site_hook, &site);
    CHECK_EQ(IoCreateDevice(&driver, 8, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &again), STATUS_INSUFFICIENT_RESOURCES);
    kf_set_fault_hook(NULL, NULL);
    CHECK(again == NULL);
    CHECK_EQ(kf_io_devices_outstanding(), 1);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_IO_DEVICE], 1);
    /* Misuse. */
    CHECK(violation(create_null_driver, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK(violation(create_null_out, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK(violation(create_odd_name, NULL, KF_VIOL_RTL_MALFORMED_STRING));
    CHECK(violation(create_at, (void *)(ULONG_PTR)APC_LEVEL, KF_VIOL_OB_PASSIVE_AT_APC));
    CHECK(kft_stops(create_at, (void *)(ULONG_PTR)DISPATCH_LEVEL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
}

/* ---- D-4 deleting ---------------------------------------------------------------------------------- */

static void delete_it(void *d) { IoDeleteDevice(d); }

TEST(delete_device_rules)
{
    fresh();
    PDEVICE_OBJECT d = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 16, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d), STATUS_SUCCESS);
    /* A reference the driver took keeps the body past IoDeleteDevice, and is counted until dropped. */
    ObReferenceObject(d);
    IoDeleteDevice(d);
    CHECK_EQ(kf_io_devices_outstanding(), 0);
    CHECK_EQ(d->Type, IO_TYPE_DEVICE);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.objects, 1);
    CHECK(violation(delete_it, d, KF_VIOL_IO_INVALID_DEVICE)); /* deleted already */
    ObDereferenceObject(d);
    kf_leaks(&leaks);
    CHECK_EQ(leaks.objects, 0);
    int not_a_device;
    CHECK(violation(delete_it, &not_a_device, KF_VIOL_IO_INVALID_DEVICE));
    CHECK(violation(delete_it, NULL, KF_VIOL_IO_NULL_ARGUMENT));
}

#ifdef HAVE_ASAN
static void touch_after_delete(void)
{
    fresh();
    PDEVICE_OBJECT d = NULL;
    if (IoCreateDevice(&driver, 16, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d) != STATUS_SUCCESS)
        return;
    IoDeleteDevice(d);
    volatile ULONG flags = d->Flags;
    (void)flags;
}
TEST(use_after_delete_is_seen)
{
    CHECK(kft_expect_death(touch_after_delete, "heap-use-after-free"));
}
#endif

/* ---- D-5, D-6 symbolic links and names -------------------------------------------------------------- */

static void link_null(void *a)
{
    (void)a;
    (void)IoCreateSymbolicLink(NULL, &dev_name);
}
static void unlink_null(void *a)
{
    (void)a;
    (void)IoDeleteSymbolicLink(NULL);
}

TEST(symbolic_links)
{
    fresh();
    PDEVICE_OBJECT d = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 0, &dev_name, FILE_DEVICE_UNKNOWN, 0, FALSE, &d), STATUS_SUCCESS);
    CHECK_EQ(IoCreateSymbolicLink(&link_name, &dev_name), STATUS_SUCCESS);
    /* \DosDevices\ is \??\: the same name again collides, whatever its case. */
    UNICODE_STRING alias = RTL_CONSTANT_STRING(L"\\??\\kftest");
    CHECK_EQ(IoCreateSymbolicLink(&alias, &dev_name), STATUS_OBJECT_NAME_COLLISION);
    CHECK(kf_io_open_name("\\\\Device\\KfTest") == NULL); /* no such name */
    CHECK(kf_io_open_name("\\Device\\kftest") == d);
    CHECK(kf_io_open_name("\\GLOBAL??\\KFTEST") == d);
    CHECK(kf_io_open_name("\\DosDevices\\KfTest") == d);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.symbolic_links, 1);
    CHECK_EQ(leaks.device_objects, 1);
    CHECK_EQ(IoDeleteSymbolicLink(&alias), STATUS_SUCCESS);
    CHECK_EQ(IoDeleteSymbolicLink(&link_name), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(kf_io_open_name("\\??\\KfTest") == NULL);
    UNICODE_STRING relative = RTL_CONSTANT_STRING(L"KfTest");
    CHECK_EQ(IoCreateSymbolicLink(&relative, &dev_name), STATUS_OBJECT_PATH_SYNTAX_BAD);
    kf_site site = KF_SITE_IO_SYMLINK;
    kf_set_fault_hook(fail_site_hook, &site);
    CHECK_EQ(IoCreateSymbolicLink(&link_name, &dev_name), STATUS_INSUFFICIENT_RESOURCES);
    kf_set_fault_hook(NULL, NULL);
    CHECK_EQ(kf_io_symbolic_links_outstanding(), 0);
    /* A link to a device deleted since dangles: it opens nothing. */
    CHECK_EQ(IoCreateSymbolicLink(&link_name, &dev_name), STATUS_SUCCESS);
    IoDeleteDevice(d);
    CHECK(kf_io_open_name("\\??\\KfTest") == NULL);
    CHECK(violation(link_null, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK(violation(unlink_null, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    /* What a run leaves is counted, and the reset forgets it. */
    kf_reset();
    CHECK_EQ(kf_io_symbolic_links_outstanding(), 0);
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.symbolic_links, 1);
}

/* ---- D-7 IoGetAttachedDeviceReference ---------------------------------------------------------------- */

static void attached_of(void *a) { (void)IoGetAttachedDeviceReference(a); }

TEST(attached_device_reference)
{
    fresh();
    PDEVICE_OBJECT d = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d), STATUS_SUCCESS);
    CHECK(IoGetAttachedDeviceReference(d) == d);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.objects, 1);
    ObDereferenceObject(d);
    int x;
    CHECK(violation(attached_of, &x, KF_VIOL_IO_INVALID_DEVICE));
    CHECK(violation(attached_of, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    IoDeleteDevice(d);
}

/* ---- D-8 .. D-15 requests: a small control device's dispatch routines --------------------------------- */

enum mode {
    M_OK, M_TWICE, M_PENDING_STATUS, M_CANCEL_SET, M_NEVER, M_PEND, M_PEND_UNMARKED, M_MARKED_SUCCESS,
    M_MISMATCH, M_RAISE, M_OVERRUN, M_ERROR_WITH_INFO
};
static enum mode mode;
static PIRP held;
static IO_STACK_LOCATION seen;
static PVOID seen_system_buffer, seen_user_buffer;
static KIRQL raised;

static VOID cancel_routine(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    (void)irp;
}

static NTSTATUS dispatch(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    PIO_STACK_LOCATION loc = IoGetCurrentIrpStackLocation(irp);
    seen = *loc;
    seen_system_buffer = irp->AssociatedIrp.SystemBuffer;
    seen_user_buffer = irp->UserBuffer;
    NTSTATUS st = STATUS_SUCCESS;
    ULONG_PTR info = 0;
    if (loc->MajorFunction == IRP_MJ_DEVICE_CONTROL &&
        METHOD_FROM_CTL_CODE(loc->Parameters.DeviceIoControl.IoControlCode) == METHOD_BUFFERED) {
        /* Echo the input reversed. */
        UCHAR *b = irp->AssociatedIrp.SystemBuffer;
        ULONG in = loc->Parameters.DeviceIoControl.InputBufferLength;
        ULONG out = loc->Parameters.DeviceIoControl.OutputBufferLength;
        ULONG n = in < out ? in : out;
        for (ULONG i = 0; i < n / 2; i++) {
            UCHAR t = b[i];
            b[i] = b[n - 1 - i];
            b[n - 1 - i] = t;
        }
        info = n;
    }
    switch (mode) {
    case M_TWICE:
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case M_PENDING_STATUS:
        irp->IoStatus.Status = STATUS_PENDING;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    case M_CANCEL_SET:
        IoSetCancelRoutine(irp, cancel_routine);
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case M_NEVER:
        return STATUS_SUCCESS;
    case M_PEND:
        IoMarkIrpPending(irp);
        held = irp;
        return STATUS_PENDING;
    case M_PEND_UNMARKED:
        held = irp;
        return STATUS_PENDING;
    case M_MARKED_SUCCESS:
        IoMarkIrpPending(irp);
        break;
    case M_MISMATCH:
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_UNSUCCESSFUL;
    case M_RAISE: {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        raised = old;
        break;
    }
    case M_OVERRUN:
        info = 1000;
        break;
    case M_ERROR_WITH_INFO:
        st = STATUS_INVALID_PARAMETER;
        info = 1000; /* nothing is copied back for an error, so this is harmless */
        break;
    default:
        break;
    }
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = info;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static PDEVICE_OBJECT cdo;
static PDEVICE_OBJECT make_cdo(void)
{
    fresh();
    mode = M_OK;
    held = NULL;
    cdo = NULL;
    CHECK_EQ(IoCreateDevice(&driver, 0, &dev_name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &cdo),
             STATUS_SUCCESS);
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        driver.MajorFunction[i] = dispatch;
    driver.MajorFunction[IRP_MJ_SHUTDOWN] = NULL;
    CHECK_EQ(IoCreateSymbolicLink(&link_name, &dev_name), STATUS_SUCCESS);
    return cdo;
}

#define IOCTL_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RAW CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)

TEST(call_device_create_ioctl_close)
{
    PDEVICE_OBJECT d = make_cdo();
    kf_io_request q;
    kf_io_result r;
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_CREATE;
    /* Still initializing: the open fails without the driver. */
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_NO_SUCH_DEVICE);
    CHECK_EQ(seen.MajorFunction, 0);
    kf_io_driver_loaded(&driver);
    CHECK(kf_io_open_name("\\??\\KfTest") == d);
    q.desired_access = FILE_GENERIC_READ;
    q.create_options = (FILE_OPEN << 24) | FILE_NON_DIRECTORY_FILE;
    q.share_access = FILE_SHARE_READ;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_SUCCESS);
    CHECK_EQ(r.status, STATUS_SUCCESS);
    CHECK(r.completed);
    CHECK_EQ(r.serial, 1);
    CHECK_EQ(seen.MajorFunction, IRP_MJ_CREATE);
    CHECK(seen.DeviceObject == d);
    CHECK(seen.FileObject != NULL);
    CHECK_EQ(seen.Parameters.Create.Options, (FILE_OPEN << 24) | FILE_NON_DIRECTORY_FILE);
    CHECK_EQ(seen.Parameters.Create.ShareAccess, FILE_SHARE_READ);
    /* METHOD_BUFFERED: the input in a system buffer, Information bytes back to the output. */
    UCHAR in[4] = {1, 2, 3, 4}, out[8];
    memset(out, 0xEE, sizeof out);
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_DEVICE_CONTROL;
    q.ioctl = IOCTL_ECHO;
    q.input = in;
    q.input_length = sizeof in;
    q.output = out;
    q.output_length = sizeof out;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_SUCCESS);
    CHECK_EQ(r.information, 4);
    CHECK(out[0] == 4 && out[1] == 3 && out[2] == 2 && out[3] == 1 && out[4] == 0xEE);
    CHECK(seen_system_buffer != NULL && seen_system_buffer != (PVOID)in && seen_system_buffer != (PVOID)out);
    CHECK_EQ(seen.Parameters.DeviceIoControl.IoControlCode, IOCTL_ECHO);
    CHECK_EQ(seen.Parameters.DeviceIoControl.InputBufferLength, 4);
    CHECK_EQ(seen.Parameters.DeviceIoControl.OutputBufferLength, 8);
    /* METHOD_NEITHER: the caller's own pointers. */
    q.ioctl = IOCTL_RAW;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_SUCCESS);
    CHECK(seen.Parameters.DeviceIoControl.Type3InputBuffer == (PVOID)in && seen_user_buffer == (PVOID)out);
    /* An error status copies nothing back, whatever Information says. */
    mode = M_ERROR_WITH_INFO;
    q.ioctl = IOCTL_ECHO;
    memset(out, 0xEE, sizeof out);
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_INVALID_PARAMETER);
    CHECK_EQ(out[0], 0xEE);
    mode = M_OK;
    /* A major function the driver has no routine for. */
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_SHUTDOWN;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_INVALID_DEVICE_REQUEST);
    q.major = IRP_MJ_CLOSE;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_SUCCESS);
    CHECK_EQ(kf_io_irps_pending(), 0);
    IoDeleteSymbolicLink(&link_name);
    IoDeleteDevice(d);
}

TEST(call_device_read_write_buffered)
{
    PDEVICE_OBJECT d = make_cdo();
    d->Flags |= DO_BUFFERED_IO;
    kf_io_driver_loaded(&driver);
    UCHAR data[6] = {9, 8, 7, 6, 5, 4}, back[6];
    kf_io_request q;
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_WRITE;
    q.input = data;
    q.input_length = sizeof data;
    q.byte_offset = 512;
    CHECK_EQ(kf_io_call_device(d, &q, NULL), STATUS_SUCCESS);
    CHECK_EQ(seen.Parameters.Write.Length, 6);
    CHECK_EQ(seen.Parameters.Write.ByteOffset.QuadPart, 512);
    CHECK(seen_system_buffer != NULL && seen_system_buffer != (PVOID)data);
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_READ;
    q.output = back;
    q.output_length = sizeof back;
    CHECK_EQ(kf_io_call_device(d, &q, NULL), STATUS_SUCCESS);
    CHECK_EQ(seen.Parameters.Read.Length, 6);
    CHECK(seen_system_buffer != NULL && seen_system_buffer != (PVOID)back);
    /* Neither buffered nor direct: the caller's buffer itself. */
    d->Flags &= ~(ULONG)DO_BUFFERED_IO;
    CHECK_EQ(kf_io_call_device(d, &q, NULL), STATUS_SUCCESS);
    CHECK(seen_user_buffer == (PVOID)back);
    IoDeleteSymbolicLink(&link_name);
    IoDeleteDevice(d);
}

/* Each misuse below runs under a guard through this. */
static struct {
    PDEVICE_OBJECT d;
    kf_io_request q;
} call;
static void do_call(void *a)
{
    (void)a;
    (void)kf_io_call_device(call.d, &call.q, NULL);
}
static void complete_held(void *a)
{
    (void)a;
    IoCompleteRequest(held, IO_NO_INCREMENT); /* the pointer only: the IRP may be freed */
}
static void complete_foreign(void *a) { IoCompleteRequest(a, IO_NO_INCREMENT); }

static int misuse(enum mode m, kf_violation v)
{
    call.d = make_cdo();
    kf_io_driver_loaded(&driver);
    memset(&call.q, 0, sizeof call.q);
    call.q.major = IRP_MJ_CREATE;
    mode = m;
    return violation(do_call, NULL, v);
}

TEST(completion_misuse_stops)
{
    CHECK(misuse(M_PENDING_STATUS, KF_VIOL_IO_COMPLETE_PENDING_STATUS));
    CHECK_EQ(st.param[1], (ULONG)STATUS_PENDING);
    kf_reset();
    CHECK(misuse(M_CANCEL_SET, KF_VIOL_IO_COMPLETE_CANCEL_ROUTINE_SET));
    kf_reset();
    CHECK(misuse(M_NEVER, KF_VIOL_IO_IRP_NOT_COMPLETED));
    kf_reset();
    CHECK(misuse(M_PEND_UNMARKED, KF_VIOL_IO_PENDING_MISMATCH));
    CHECK_EQ(st.param[2], 1);
    kf_reset();
    CHECK(misuse(M_MARKED_SUCCESS, KF_VIOL_IO_PENDING_MISMATCH));
    CHECK_EQ(st.param[2], 2);
    kf_reset();
    CHECK(misuse(M_MISMATCH, KF_VIOL_IO_STATUS_MISMATCH));
    kf_reset();
    CHECK(misuse(M_RAISE, KF_VIOL_IO_DISPATCH_IRQL));
    CHECK_EQ(st.param[1], PASSIVE_LEVEL);
    CHECK_EQ(st.param[2], DISPATCH_LEVEL);
    kf_reset();
    /* Information above the caller's buffer in a buffered request. */
    call.d = make_cdo();
    kf_io_driver_loaded(&driver);
    UCHAR out[8];
    memset(&call.q, 0, sizeof call.q);
    call.q.major = IRP_MJ_DEVICE_CONTROL;
    call.q.ioctl = IOCTL_ECHO;
    call.q.output = out;
    call.q.output_length = sizeof out;
    mode = M_OVERRUN;
    CHECK(violation(do_call, NULL, KF_VIOL_IO_INFORMATION_OVERRUN));
    CHECK_EQ(st.param[1], 1000);
    kf_reset();
    /* Direct I/O: not modeled. */
    call.d = make_cdo();
    kf_io_driver_loaded(&driver);
    call.q.ioctl = IOCTL_DIRECT;
    mode = M_OK;
    CHECK(violation(do_call, NULL, KF_VIOL_NOT_MODELED));
    kf_reset();
    /* Completing what the I/O manager never sent. */
    IRP fake;
    memset(&fake, 0, sizeof fake);
    CHECK(violation(complete_foreign, &fake, KF_VIOL_IO_IRP_FOREIGN));
    CHECK(violation(complete_foreign, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    int unknown;
    call.d = (PDEVICE_OBJECT)&unknown;
    CHECK(violation(do_call, NULL, KF_VIOL_IO_INVALID_DEVICE));
}

TEST(completed_twice_is_bug_check_0x44)
{
    call.d = make_cdo();
    kf_io_driver_loaded(&driver);
    memset(&call.q, 0, sizeof call.q);
    call.q.major = IRP_MJ_CREATE;
    mode = M_OK;
    CHECK_EQ(kf_io_call_device(call.d, &call.q, NULL), STATUS_SUCCESS); /* IRP #1 */
    mode = M_TWICE;
    CHECK(kft_stops(do_call, NULL, &st));
    CHECK_EQ(st.code, MULTIPLE_IRP_COMPLETE_REQUESTS);
    CHECK_EQ(st.param[0], 2); /* the IRP's number in the run, not its address */
}

TEST(pended_irp_completed_later)
{
    PDEVICE_OBJECT d = make_cdo();
    kf_io_driver_loaded(&driver);
    UCHAR in[2] = {1, 2}, out[2] = {0, 0};
    kf_io_request q;
    kf_io_result r;
    memset(&q, 0, sizeof q);
    q.major = IRP_MJ_DEVICE_CONTROL;
    q.ioctl = IOCTL_ECHO;
    q.input = in;
    q.input_length = 2;
    q.output = out;
    q.output_length = 2;
    mode = M_PEND;
    CHECK_EQ(kf_io_call_device(d, &q, &r), STATUS_PENDING);
    CHECK(!r.completed);
    CHECK_EQ(r.status, STATUS_PENDING);
    CHECK_EQ(kf_io_irps_pending(), 1);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.irps_pending, 1);
    /* The driver completes it later: the output reaches the caller's buffer then. */
    UCHAR *sys = held->AssociatedIrp.SystemBuffer;
    sys[0] = 7;
    sys[1] = 8;
    held->IoStatus.Information = 2;
    held->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(held, IO_NO_INCREMENT);
    CHECK(out[0] == 7 && out[1] == 8);
    CHECK_EQ(kf_io_irps_pending(), 0);
    /* The IRP is gone: completing it again is the bug check. */
    CHECK(kft_stops(complete_held, NULL, &st));
    CHECK_EQ(st.code, MULTIPLE_IRP_COMPLETE_REQUESTS);
    CHECK_EQ(st.param[0], r.serial);
    /* One left pending at the end of a run is counted by the reset. */
    kf_reset();
    d = make_cdo();
    kf_io_driver_loaded(&driver);
    mode = M_PEND;
    CHECK_EQ(kf_io_call_device(d, &q, NULL), STATUS_PENDING);
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.irps_pending, 1);
    CHECK_EQ(kf__leaks_at_reset.device_objects, 1);
    CHECK_EQ(kf__leaks_at_reset.symbolic_links, 1);
    CHECK_EQ(kf_io_irps_pending(), 0);
}

/* ---- D-16 the routines resolve by name ------------------------------------------------------------------ */

TEST(device_routines_resolve)
{
    UNICODE_STRING n = RTL_CONSTANT_STRING(L"IoCreateDevice");
    CHECK(MmGetSystemRoutineAddress(&n) == (PVOID)&IoCreateDevice);
    UNICODE_STRING c = RTL_CONSTANT_STRING(L"IofCompleteRequest");
    CHECK(MmGetSystemRoutineAddress(&c) == (PVOID)&IofCompleteRequest);
    UNICODE_STRING l = RTL_CONSTANT_STRING(L"IoCreateSymbolicLink");
    CHECK(MmGetSystemRoutineAddress(&l) == (PVOID)&IoCreateSymbolicLink);
}

/* ---- A driver with a control device object, through load, requests and unload -------------------- */

static DRIVER_OBJECT cdo_driver;
static NTSTATUS cdo_request(UCHAR major, PFILE_OBJECT fo, ULONG *count, ULONG count_size)
{
    kf_io_request q;
    memset(&q, 0, sizeof q);
    q.major = major;
    q.file_object = fo;
    q.ioctl = CDO_IOCTL_COUNT;
    q.output = count;
    q.output_length = count_size;
    return kf_io_call_device(kf_io_open_name("\\??\\KfCdoTest"), &q, NULL);
}

TEST(cdo_driver_loads_serves_and_unloads)
{
    memset(&cdo_driver, 0, sizeof cdo_driver);
    CHECK_EQ(CdoDriverEntry(&cdo_driver, NULL), STATUS_SUCCESS);
    kf_io_driver_loaded(&cdo_driver);
    CHECK(kf_io_open_name("\\DosDevices\\kfcdotest") == cdo_driver.DeviceObject);
    static FILE_OBJECT fo;
    ULONG count = 0;
    CHECK_EQ(cdo_request(IRP_MJ_CREATE, &fo, NULL, 0), STATUS_SUCCESS);
    CHECK_EQ(cdo_request(IRP_MJ_DEVICE_CONTROL, &fo, &count, sizeof count), STATUS_SUCCESS);
    CHECK_EQ(count, 2);
    CHECK_EQ(cdo_request(IRP_MJ_DEVICE_CONTROL, &fo, &count, 2), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(cdo_request(IRP_MJ_READ, &fo, NULL, 0), STATUS_INVALID_DEVICE_REQUEST); /* no routine */
    CHECK_EQ(cdo_request(IRP_MJ_CLEANUP, &fo, NULL, 0), STATUS_SUCCESS);
    CHECK_EQ(cdo_request(IRP_MJ_CLOSE, &fo, NULL, 0), STATUS_SUCCESS);
    cdo_driver.DriverUnload(&cdo_driver);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.device_objects, 0);
    CHECK_EQ(leaks.symbolic_links, 0);
    CHECK_EQ(leaks.irps_pending, 0);
    CHECK_EQ(leaks.objects, 0);
    CHECK_EQ(leaks.pool_blocks, 0);
    CHECK(cdo_driver.DeviceObject == NULL);
}

TEST(cdo_driver_failure_paths)
{
    /* Each allocation of the load fails in turn: DriverEntry fails and leaves nothing. */
    kf_site sites[2] = {KF_SITE_IO_DEVICE, KF_SITE_IO_SYMLINK};
    for (int i = 0; i < 2; i++) {
        kf_reset();
        memset(&cdo_driver, 0, sizeof cdo_driver);
        kf_set_fault_hook(fail_site_hook, &sites[i]);
        CHECK_EQ(CdoDriverEntry(&cdo_driver, NULL), STATUS_INSUFFICIENT_RESOURCES);
        kf_set_fault_hook(NULL, NULL);
        CHECK_EQ(kf_io_devices_outstanding(), 0);
        CHECK_EQ(kf_io_symbolic_links_outstanding(), 0);
    }
}
