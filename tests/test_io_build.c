/*
 * test_io_build.c - IRPs a driver builds and sends (model/src/device.c): IoBuildDeviceIoControlRequest
 * and IofCallDriver (IoCallDriver), to a driver's own device object and to the storage stack below a
 * Filter Manager volume (FltGetDiskDeviceObject's device), with the I/O manager's end of a built IRP.
 * Rules D-19 .. D-22 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"
#include <ntdddisk.h>

#include <string.h>

#define IOCTL_KFT_BUFFERED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_KFT_NEITHER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_NEITHER, FILE_ANY_ACCESS)
#define IOCTL_KFT_DIRECT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)

static DRIVER_OBJECT drv;
static PDEVICE_OBJECT dev;
static int pend;       /* the dispatch routine pends instead of completing */
static PIRP held;      /* the IRP it pended */
static int dispatches; /* dispatch routine calls */

/* A lower driver: answers with the input's bytes reversed, 6 bytes of Information. */
static NTSTATUS dispatch_ioctl(PDEVICE_OBJECT d, PIRP irp)
{
    dispatches++;
    PIO_STACK_LOCATION loc = IoGetCurrentIrpStackLocation(irp);
    if (loc->DeviceObject != d || loc->MajorFunction != IRP_MJ_DEVICE_CONTROL)
        return STATUS_INVALID_PARAMETER; /* seen by the test as a wrong status */
    UCHAR *buf = irp->AssociatedIrp.SystemBuffer;
    for (int i = 0; i < 3; i++) {
        UCHAR t = buf[i];
        buf[i] = buf[5 - i];
        buf[5 - i] = t;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 6;
    if (pend) {
        IoMarkIrpPending(irp);
        held = irp;
        return STATUS_PENDING;
    }
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void fresh(void)
{
    fx_fresh();
    memset(&drv, 0, sizeof drv);
    drv.Type = IO_TYPE_DRIVER;
    drv.Size = (CSHORT)sizeof drv;
    drv.MajorFunction[IRP_MJ_DEVICE_CONTROL] = dispatch_ioctl;
    dev = NULL;
    CHECK_EQ(IoCreateDevice(&drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev), STATUS_SUCCESS);
    dev->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
    pend = 0;
    held = NULL;
    dispatches = 0;
    kf_io_set_storage_answer(NULL, NULL);
}

/* ---- D-19 the IRP it builds -------------------------------------------------------------------------- */

TEST(build_sets_up_the_next_location)
{
    fresh();
    dev->StackSize = 3;
    UCHAR in[4] = {1, 2, 3, 4}, out[10];
    IO_STATUS_BLOCK iosb;
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, in, sizeof in, out, sizeof out, FALSE, &ev, &iosb);
    CHECK(irp != NULL);
    CHECK_EQ(irp->Type, IO_TYPE_IRP);
    CHECK_EQ(irp->StackCount, 3);
    CHECK_EQ(irp->CurrentLocation, 4); /* no location current before IoCallDriver */
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(irp);
    CHECK(next == (PIO_STACK_LOCATION)(irp + 1) + 2);
    CHECK_EQ(next->MajorFunction, IRP_MJ_DEVICE_CONTROL);
    CHECK_EQ(next->Parameters.DeviceIoControl.IoControlCode, IOCTL_KFT_BUFFERED);
    CHECK_EQ(next->Parameters.DeviceIoControl.InputBufferLength, 4);
    CHECK_EQ(next->Parameters.DeviceIoControl.OutputBufferLength, 10);
    /* METHOD_BUFFERED: one system buffer of the larger length, the input copied in. */
    UCHAR *sys = irp->AssociatedIrp.SystemBuffer;
    CHECK(sys != NULL && sys != in && sys != out);
    CHECK(!memcmp(sys, in, 4));
    CHECK_EQ(irp->Flags & (IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION),
             IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION);
    CHECK(irp->UserIosb == &iosb && irp->UserEvent == &ev);
    CHECK(irp->Tail.Overlay.Thread == PsGetCurrentThread());
    CHECK_EQ(irp->RequestorMode, KernelMode);
    /* Built and not sent, the IRP stays queued to the thread: counted until it ends (D-22). */
    CHECK_EQ(kf_io_irps_pending(), 1);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.irps_pending, 1);
    CHECK_EQ(IoCallDriver(dev, irp), STATUS_SUCCESS);
    CHECK_EQ(kf_io_irps_pending(), 0);

    /* METHOD_NEITHER and the internal form: the caller's buffers as they are. */
    irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_NEITHER, dev, in, sizeof in, out, sizeof out, TRUE, NULL, &iosb);
    CHECK(irp != NULL);
    next = IoGetNextIrpStackLocation(irp);
    CHECK_EQ(next->MajorFunction, IRP_MJ_INTERNAL_DEVICE_CONTROL);
    CHECK(next->Parameters.DeviceIoControl.Type3InputBuffer == in);
    CHECK(irp->UserBuffer == out);
    CHECK(irp->AssociatedIrp.SystemBuffer == NULL);
    CHECK_EQ(irp->Flags & IRP_BUFFERED_IO, 0);
    /* No internal dispatch routine: the I/O manager's own answer, the IRP ends. */
    CHECK_EQ(IoCallDriver(dev, irp), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(iosb.Status, STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(kf_io_irps_pending(), 0);
    IoDeleteDevice(dev);
}

static void build_null_iosb(void *a)
{
    (void)IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, a, NULL, 0, NULL, 0, FALSE, NULL, NULL);
}
static void build_null_input(void *a)
{
    IO_STATUS_BLOCK iosb;
    (void)IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, a, NULL, 8, NULL, 0, FALSE, NULL, &iosb);
}
static void build_at(void *irql)
{
    IO_STATUS_BLOCK iosb;
    kf_set_irql((KIRQL)(ULONG_PTR)irql);
    (void)IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, NULL, 0, NULL, 0, FALSE, NULL, &iosb);
}
static void build_direct(void *a)
{
    IO_STATUS_BLOCK iosb;
    UCHAR out[4];
    (void)IoBuildDeviceIoControlRequest(IOCTL_KFT_DIRECT, a, NULL, 0, out, sizeof out, FALSE, NULL, &iosb);
}

TEST(build_misuse_and_failure)
{
    fresh();
    CHECK(fx_violation(build_null_iosb, dev, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK(fx_violation(build_null_input, dev, KF_VIOL_IO_NULL_ARGUMENT));
    CHECK_EQ(fx_stop.param[1], 3); /* InputBuffer's position */
    CHECK_EQ(fx_stop.param[2], 8);
    CHECK(fx_violation(build_null_iosb, NULL, KF_VIOL_IO_NULL_ARGUMENT));
    int not_a_device;
    CHECK(fx_violation(build_null_input, &not_a_device, KF_VIOL_IO_NULL_ARGUMENT)); /* arguments first */
    CHECK(fx_violation(build_direct, &not_a_device, KF_VIOL_IO_INVALID_DEVICE));
    CHECK(fx_violation(build_direct, dev, KF_VIOL_NOT_MODELED));
    CHECK(fx_violation(build_at, (void *)(ULONG_PTR)APC_LEVEL, KF_VIOL_OB_PASSIVE_AT_APC));
    /* Above APC_LEVEL, B-12's bug check: Parameter1 the highest IRQL allowed with the APC_LEVEL
     * violation's report, Parameter2 the caller's. */
    CHECK(fx_bugcheck(build_at, (void *)(ULONG_PTR)DISPATCH_LEVEL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    /* io.irp failed: NULL, nothing left behind. */
    fx_fail_site(KF_SITE_IO_IRP, 1, KF_FAULT_HARD);
    IO_STATUS_BLOCK iosb;
    CHECK(IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, NULL, 0, NULL, 0, FALSE, NULL, &iosb) == NULL);
    fx_no_faults();
    CHECK_EQ(kf_io_irps_pending(), 0);
    IoDeleteDevice(dev);
}

/* ---- D-20, D-21 sending it: a driver's device --------------------------------------------------------- */

TEST(call_driver_completes_and_ends_the_irp)
{
    fresh();
    UCHAR in[6] = {1, 2, 3, 4, 5, 6}, out[8];
    memset(out, 0xEE, sizeof out);
    IO_STATUS_BLOCK iosb = {0};
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, in, sizeof in, out, sizeof out, FALSE, &ev, &iosb);
    CHECK(irp != NULL);
    CHECK_EQ(IoCallDriver(dev, irp), STATUS_SUCCESS);
    CHECK_EQ(dispatches, 1);
    /* The I/O manager's end: Information bytes back to the caller's buffer, the rest untouched; the
     * status block written; the event signaled. */
    const UCHAR want[8] = {6, 5, 4, 3, 2, 1, 0xEE, 0xEE};
    CHECK(!memcmp(out, want, sizeof want));
    CHECK_EQ(iosb.Status, STATUS_SUCCESS);
    CHECK_EQ(iosb.Information, 6);
    CHECK_EQ(KeReadStateEvent(&ev), 1);
    CHECK_EQ(kf_io_irps_pending(), 0);

    /* Pended below: the caller waits on its event; the IRP counts until the driver completes it. */
    pend = 1;
    KeClearEvent(&ev);
    memset(out, 0xEE, sizeof out);
    irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, in, sizeof in, out, sizeof out, FALSE, &ev, &iosb);
    CHECK_EQ(IoCallDriver(dev, irp), STATUS_PENDING);
    CHECK_EQ(KeReadStateEvent(&ev), 0);
    CHECK_EQ(kf_io_irps_pending(), 1);
    CHECK(held == irp);
    IoCompleteRequest(held, IO_NO_INCREMENT);
    CHECK_EQ(KeReadStateEvent(&ev), 1);
    CHECK(!memcmp(out, want, sizeof want));
    CHECK_EQ(kf_io_irps_pending(), 0);
    IoDeleteDevice(dev);
}

static PIRP again_irp;
static void send_again(void *a) { (void)IoCallDriver(a, again_irp); }
static void send_at_high(void *a)
{
    kf_set_irql(HIGH_LEVEL);
    (void)IoCallDriver(a, again_irp);
}
static NTSTATUS completion(PDEVICE_OBJECT d, PIRP irp, PVOID ctx)
{
    (void)d;
    (void)irp;
    (void)ctx;
    return STATUS_SUCCESS;
}
static void with_completion(void *a)
{
    IoGetNextIrpStackLocation(again_irp)->CompletionRoutine = completion;
    (void)IoCallDriver(a, again_irp);
}

TEST(call_driver_misuse)
{
    fresh();
    IO_STATUS_BLOCK iosb;
    UCHAR in[6] = {0};
    /* A second IoCallDriver of an IRP still pending below: no stack location left (0x35). */
    pend = 1;
    again_irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, in, sizeof in, NULL, 0, FALSE, NULL, &iosb);
    CHECK_EQ(IoCallDriver(dev, again_irp), STATUS_PENDING);
    CHECK(fx_bugcheck(send_again, dev, NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)again_irp, 0));
    IoCompleteRequest(held, IO_NO_INCREMENT);
    /* Ended and freed: a foreign IRP now. */
    CHECK(fx_violation(send_again, dev, KF_VIOL_IO_IRP_FOREIGN));
    int not_an_irp;
    again_irp = (PIRP)&not_an_irp;
    CHECK(fx_violation(send_again, dev, KF_VIOL_IO_IRP_FOREIGN));
    again_irp = NULL;
    CHECK(fx_violation(send_again, dev, KF_VIOL_IO_NULL_ARGUMENT));
    pend = 0;
    again_irp = IoBuildDeviceIoControlRequest(IOCTL_KFT_BUFFERED, dev, in, sizeof in, NULL, 0, FALSE, NULL, &iosb);
    CHECK(fx_violation(send_again, &not_an_irp, KF_VIOL_IO_INVALID_DEVICE));
    CHECK(fx_bugcheck(send_at_high, dev, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, HIGH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_violation(with_completion, dev, KF_VIOL_NOT_MODELED));
    IoDeleteDevice(dev);
}

/* ---- D-21 the storage below a volume ----------------------------------------------------------------- */

static ULONG seen_ioctl, seen_in_len, seen_out_len;
static UCHAR seen_in[8];
static NTSTATUS answer_status;
static ULONG_PTR answer_info;

static NTSTATUS storage(void *ctx, ULONG ioctl, const void *input, ULONG input_length, void *output,
                        ULONG output_length, ULONG_PTR *information)
{
    (void)ctx;
    seen_ioctl = ioctl;
    seen_in_len = input_length;
    seen_out_len = output_length;
    if (input && input_length)
        memcpy(seen_in, input, input_length < sizeof seen_in ? input_length : sizeof seen_in);
    if (output && output_length)
        memset(output, 0x5A, output_length);
    *information = answer_info;
    return answer_status;
}

TEST(storage_below_a_volume_answers)
{
    fresh();
    PFLT_INSTANCE inst = fx_start();
    PFLT_VOLUME vol = NULL;
    CHECK_EQ(FltGetVolumeFromInstance(inst, &vol), STATUS_SUCCESS);
    PDEVICE_OBJECT disk = NULL;
    CHECK_EQ(FltGetDiskDeviceObject(vol, &disk), STATUS_SUCCESS);
    PDEVICE_OBJECT top = IoGetAttachedDeviceReference(disk);
    DISK_CLUSTER_INFO info;
    memset(&info, 0x11, sizeof info);
    IO_STATUS_BLOCK iosb;
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    /* Decided (D-21): by default the storage supports no request: STATUS_INVALID_DEVICE_REQUEST, the
     * caller's buffer untouched, the event signaled, the IRP gone. */
    PIRP irp = IoBuildDeviceIoControlRequest(IOCTL_DISK_GET_CLUSTER_INFO, top, NULL, 0, &info, sizeof info, FALSE, &ev,
                                             &iosb);
    CHECK(irp != NULL);
    CHECK_EQ(IoCallDriver(top, irp), STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(iosb.Status, STATUS_INVALID_DEVICE_REQUEST);
    CHECK_EQ(iosb.Information, 0);
    CHECK_EQ(KeReadStateEvent(&ev), 1);
    CHECK_EQ(((UCHAR *)&info)[0], 0x11);
    CHECK_EQ(kf_io_irps_pending(), 0);

    /* A scripted answer: the hook sees the control code and the system buffer; Information bytes come
     * back, at most the output length. */
    kf_io_set_storage_answer(storage, NULL);
    answer_status = STATUS_SUCCESS;
    answer_info = 1000;
    UCHAR in[3] = {7, 8, 9};
    KeClearEvent(&ev);
    irp = IoBuildDeviceIoControlRequest(IOCTL_DISK_GET_CLUSTER_INFO, top, in, sizeof in, &info, sizeof info, FALSE, &ev,
                                        &iosb);
    CHECK_EQ(IoCallDriver(top, irp), STATUS_SUCCESS);
    CHECK_EQ(seen_ioctl, IOCTL_DISK_GET_CLUSTER_INFO);
    CHECK_EQ(seen_in_len, 3);
    CHECK_EQ(seen_out_len, sizeof info);
    CHECK(!memcmp(seen_in, in, 3));
    CHECK_EQ(iosb.Information, sizeof info);
    CHECK_EQ(((UCHAR *)&info)[sizeof info - 1], 0x5A);
    /* An error: nothing copied back, Information 0. */
    answer_status = STATUS_DEVICE_NOT_READY;
    answer_info = 4;
    memset(&info, 0x11, sizeof info);
    irp = IoBuildDeviceIoControlRequest(IOCTL_DISK_GET_CLUSTER_INFO, top, NULL, 0, &info, sizeof info, FALSE, NULL,
                                        &iosb);
    CHECK_EQ(IoCallDriver(top, irp), STATUS_DEVICE_NOT_READY);
    CHECK_EQ(iosb.Information, 0);
    CHECK_EQ(((UCHAR *)&info)[0], 0x11);
    kf_io_set_storage_answer(NULL, NULL);
    ObDereferenceObject(top);
    ObDereferenceObject(disk);
    FltObjectDereference(vol);
    CHECK_EQ(kf_io_irps_pending(), 0);
    FltUnregisterFilter(fx_filter);
    IoDeleteDevice(dev);
}

TEST(build_and_call_resolve)
{
    fresh();
    UNICODE_STRING n1 = RTL_CONSTANT_STRING(L"IoBuildDeviceIoControlRequest");
    UNICODE_STRING n2 = RTL_CONSTANT_STRING(L"IofCallDriver");
    CHECK(MmGetSystemRoutineAddress(&n1) == (PVOID)&IoBuildDeviceIoControlRequest);
    CHECK(MmGetSystemRoutineAddress(&n2) == (PVOID)&IofCallDriver);
    IoDeleteDevice(dev);
}

