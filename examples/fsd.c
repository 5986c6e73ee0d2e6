/*
 * fsd.c - an example driver: the create path of a file system. The name lookup recurses
 * per path component, so the create runs it on a new stack (KeExpandKernelStackAndCalloutEx,
 * Size KERNEL_STACK_SIZE, Wait FALSE, at PASSIVE_LEVEL). The lookup's helpers raise on
 * failure; nothing may leave a callout by an exception, so the callout catches the code
 * and the caller raises it again on its own stack, where the top level turns it into the
 * create's status. STATUS_NO_MEMORY from the expansion is reported as
 * STATUS_INSUFFICIENT_RESOURCES, as the file system reports every shortage.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variant (one line, for the tests):
 *   KF_PLANT_EXCEPTION_ESCAPES   the callout's filter only handles access violations
 */
#include <ntddk.h>

#include "fsd.h"

#define FSD_TAG 0x20647346u /* 'Fsd ' */
#define FSD_COMPONENT_BYTES 320

typedef struct _FSD_LOOKUP {
    PFSD_CREATE Create;
    NTSTATUS ExceptionCode;
    BOOLEAN ExceptionRaised;
} FSD_LOOKUP, *PFSD_LOOKUP;

/* One level per path component, each with its directory block on the stack. */
static ULONG FsdpLookupComponent(ULONG Hash, ULONG Remaining, const UCHAR *Cache)
{
    UCHAR block[FSD_COMPONENT_BYTES];
    ULONG id = Hash;
    ULONG i;

    for (i = 0; i < FSD_COMPONENT_BYTES; i++) {
        block[i] = (UCHAR)(Hash ^ (i * 13) ^ Cache[i % 32]);
    }
    for (i = 0; i < FSD_COMPONENT_BYTES; i++) {
        id = id * 37 + block[i];
    }
    if (Remaining > 0) {
        id ^= FsdpLookupComponent(id, Remaining - 1, Cache);
    }
    return id;
}

/* Allocations raise on failure, as the file system's pool helpers do. */
static VOID FsdpLookup(PFSD_CREATE Create)
{
    PUCHAR cache;
    ULONG i;

    Create->TimesRun++;
    cache = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 32, FSD_TAG);
    for (i = 0; i < 32; i++) {
        cache[i] = (UCHAR)(Create->NameHash >> (i % 24));
    }
    Create->FileId = FsdpLookupComponent(Create->NameHash, Create->Components, cache);
    ExFreePoolWithTag(cache, FSD_TAG);
}

static EXPAND_STACK_CALLOUT FsdpLookupCallout;

static VOID FsdpLookupCallout(PVOID Parameter)
{
    PFSD_LOOKUP lookup = (PFSD_LOOKUP)Parameter;

    __try {
        FsdpLookup(lookup->Create);
#ifdef KF_PLANT_EXCEPTION_ESCAPES
    } __except (GetExceptionCode() == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH) {
#else
    } __except (EXCEPTION_EXECUTE_HANDLER) {
#endif
        lookup->ExceptionCode = GetExceptionCode();
        lookup->ExceptionRaised = TRUE;
    }
}

static NTSTATUS FsdpCommonCreate(PFSD_CREATE Create)
{
    FSD_LOOKUP lookup;
    NTSTATUS status;

    RtlZeroMemory(&lookup, sizeof(lookup));
    lookup.Create = Create;
    status = KeExpandKernelStackAndCalloutEx(FsdpLookupCallout, &lookup, KERNEL_STACK_SIZE, FALSE, NULL);
    if (status == STATUS_NO_MEMORY) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    }
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (lookup.ExceptionRaised) {
        ExRaiseStatus(lookup.ExceptionCode);
    }
    return STATUS_SUCCESS;
}

NTSTATUS FsdCreate(PFSD_CREATE Create)
{
    /* The status lives in the request, as in an IRP's IoStatus, not in a local the
     * exception would leave undefined. */
    __try {
        Create->Status = FsdpCommonCreate(Create);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Create->Status = GetExceptionCode();
    }
    return Create->Status;
}
