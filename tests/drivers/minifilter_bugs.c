/*
 * minifilter_bugs.c - a minifilter written as for the WDK that carries the three known bug
 * patterns of callback data, each in a routine of its own, beside a correct asynchronous read
 * for contrast:
 *   BugsQueryFileSize     reads CallbackData->IoStatus after FltFreeCallbackData;
 *   BugsReadHeader        leaks the callback data on its error path;
 *   BugsReadAsync         retries a failed read from its completion routine with
 *                         FltReuseCallbackData, which needs IRQL <= APC_LEVEL while a
 *                         completion routine may run at DISPATCH_LEVEL.
 *
 * The bugs are deliberate and must stay: test_minifilter_bugs.c checks that the model reports
 * each one. Includes only <fltKernel.h>; never a kfault header or a kf_ routine.
 */
#include <fltKernel.h>

#define BUGS_HEADER_SIZE 64

PFLT_FILTER gBugsFilter;
PFLT_INSTANCE gBugsInstance;

DRIVER_INITIALIZE DriverEntry;
NTSTATUS BugsQueryFileSize(PFILE_OBJECT FileObject, PLARGE_INTEGER Size);
NTSTATUS BugsReadHeader(PFILE_OBJECT FileObject, PVOID Header);

typedef struct _BUGS_READ_CONTEXT {
    PVOID Buffer;
    ULONG Length;
    ULONG Retries;
    volatile BOOLEAN Done;
    NTSTATUS Status;
    ULONG_PTR BytesRead;
} BUGS_READ_CONTEXT, *PBUGS_READ_CONTEXT;

NTSTATUS BugsReadAsync(PFILE_OBJECT FileObject, PBUGS_READ_CONTEXT Context, BOOLEAN Careful);

static NTSTATUS FLTAPI BugsUnload(FLT_FILTER_UNLOAD_FLAGS Flags);
static NTSTATUS FLTAPI BugsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                         DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType);

CONST FLT_OPERATION_REGISTRATION BugsCallbacks[] = {
    { IRP_MJ_OPERATION_END }
};

CONST FLT_REGISTRATION BugsRegistration = {
    sizeof(FLT_REGISTRATION),
    FLT_REGISTRATION_VERSION,
    0,
    NULL,
    BugsCallbacks,
    BugsUnload,
    BugsInstanceSetup,
    NULL,
    NULL,
    NULL,
};

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    gBugsInstance = NULL;
    status = FltRegisterFilter(DriverObject, &BugsRegistration, &gBugsFilter);
    if (NT_SUCCESS(status)) {
        status = FltStartFiltering(gBugsFilter);
        if (!NT_SUCCESS(status)) {
            FltUnregisterFilter(gBugsFilter);
        }
    }
    return status;
}

static NTSTATUS FLTAPI BugsUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(gBugsFilter);
    return STATUS_SUCCESS;
}

static NTSTATUS FLTAPI BugsInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                         DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeDeviceType);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    gBugsInstance = FltObjects->Instance;
    return STATUS_SUCCESS;
}

/* Bug 1: the status is read from callback data that has just been freed. */
NTSTATUS BugsQueryFileSize(PFILE_OBJECT FileObject, PLARGE_INTEGER Size)
{
    FILE_STANDARD_INFORMATION info;
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    status = FltAllocateCallbackData(gBugsInstance, FileObject, &data);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    data->Iopb->MajorFunction = IRP_MJ_QUERY_INFORMATION;
    data->Iopb->Parameters.QueryFileInformation.FileInformationClass = FileStandardInformation;
    data->Iopb->Parameters.QueryFileInformation.Length = sizeof(info);
    data->Iopb->Parameters.QueryFileInformation.InfoBuffer = &info;
    RtlZeroMemory(&info, sizeof(info));

    FltPerformSynchronousIo(data);
    FltFreeCallbackData(data);

    if (!NT_SUCCESS(data->IoStatus.Status)) {       /* BUG: use after free */
        return data->IoStatus.Status;
    }
    *Size = info.EndOfFile;
    return STATUS_SUCCESS;
}

/* Bug 2: a failed read returns without freeing the callback data. */
NTSTATUS BugsReadHeader(PFILE_OBJECT FileObject, PVOID Header)
{
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    status = FltAllocateCallbackData(gBugsInstance, FileObject, &data);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    data->Iopb->MajorFunction = IRP_MJ_READ;
    data->Iopb->IrpFlags = IRP_NOCACHE | IRP_SYNCHRONOUS_API;
    data->Iopb->Parameters.Read.Length = BUGS_HEADER_SIZE;
    data->Iopb->Parameters.Read.ByteOffset.QuadPart = 0;
    data->Iopb->Parameters.Read.ReadBuffer = Header;

    FltPerformSynchronousIo(data);
    status = data->IoStatus.Status;
    if (!NT_SUCCESS(status)) {
        return status;                               /* BUG: data leaks */
    }
    if (data->IoStatus.Information < BUGS_HEADER_SIZE) {
        status = STATUS_END_OF_FILE;
    }
    FltFreeCallbackData(data);
    return status;
}

/* Bug 3: the completion retries with FltReuseCallbackData, legal only at IRQL <= APC_LEVEL.
 * The careful variant frees and leaves the retry to its caller. */
static VOID FLTAPI BugsReadDone(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context);
static VOID FLTAPI BugsReadDoneCareful(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context);

static VOID BugsFillRead(PFLT_CALLBACK_DATA Data, PBUGS_READ_CONTEXT Context)
{
    Data->Iopb->MajorFunction = IRP_MJ_READ;
    Data->Iopb->IrpFlags = IRP_NOCACHE;
    Data->Iopb->Parameters.Read.Length = Context->Length;
    Data->Iopb->Parameters.Read.ByteOffset.QuadPart = 0;
    Data->Iopb->Parameters.Read.ReadBuffer = Context->Buffer;
}

static VOID FLTAPI BugsReadDone(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context)
{
    PBUGS_READ_CONTEXT context = (PBUGS_READ_CONTEXT)Context;

    if (!NT_SUCCESS(Data->IoStatus.Status) && context->Retries < 1) {
        context->Retries++;
        FltReuseCallbackData(Data);                  /* BUG: may run at DISPATCH_LEVEL */
        BugsFillRead(Data, context);
        /* The retry's own completion (this routine again) finishes the job. */
        (void)FltPerformAsynchronousIo(Data, BugsReadDone, context);
        return;
    }
    context->Status = Data->IoStatus.Status;
    context->BytesRead = Data->IoStatus.Information;
    FltFreeCallbackData(Data);
    context->Done = TRUE;
}

static VOID FLTAPI BugsReadDoneCareful(PFLT_CALLBACK_DATA Data, PFLT_CONTEXT Context)
{
    PBUGS_READ_CONTEXT context = (PBUGS_READ_CONTEXT)Context;

    context->Status = Data->IoStatus.Status;
    context->BytesRead = Data->IoStatus.Information;
    FltFreeCallbackData(Data);                       /* legal at DISPATCH_LEVEL */
    context->Done = TRUE;
}

NTSTATUS BugsReadAsync(PFILE_OBJECT FileObject, PBUGS_READ_CONTEXT Context, BOOLEAN Careful)
{
    PFLT_CALLBACK_DATA data;
    NTSTATUS status;

    Context->Done = FALSE;
    Context->Retries = 0;
    status = FltAllocateCallbackData(gBugsInstance, FileObject, &data);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    BugsFillRead(data, Context);
    /* The completion routine runs in every case and frees the data. */
    return FltPerformAsynchronousIo(data, Careful ? BugsReadDoneCareful : BugsReadDone, Context);
}
