/*
 * loader.c - an example driver: an image loader whose parser recurses deeply, so it asks
 * for the largest stack the kernel gives (KeExpandKernelStackAndCalloutEx, Size
 * MAXIMUM_EXPANSION_SIZE, Wait TRUE, at PASSIVE_LEVEL) and, when that fails, parses on the
 * stack it has. It relies on "no callout on failure": the fallback must never run a parse
 * that already ran.
 *
 * Driver code: includes only WDK headers and its own, never a kfault header, and must
 * never know it runs in user mode. Planted-bug variants (one line each, for the tests):
 *   KF_PLANT_CALLOUT_TWICE      the fallback tests the parse's status instead of the call's
 *   KF_PLANT_IRQL_LEFT_RAISED   the callout raises IRQL to publish and never lowers it
 */
#include <ntddk.h>

#include "loader.h"

#define LDR_TAG 0x2072644Cu /* 'Ldr ' */
#define LDR_SECTION_BYTES 384

static ULONG LdrpImagesLoaded;

/* Each nesting level keeps a section table on the stack: the reason to expand. */
static ULONG LdrpParseSection(ULONG Seed, ULONG Depth, const UCHAR *Header)
{
    UCHAR table[LDR_SECTION_BYTES];
    ULONG sum = Seed;
    ULONG i;

    for (i = 0; i < LDR_SECTION_BYTES; i++) {
        table[i] = (UCHAR)(Seed * 17 + i + Header[i % 32]);
    }
    for (i = 0; i < LDR_SECTION_BYTES; i++) {
        sum = sum * 31 + table[i];
    }
    if (Depth > 0) {
        sum ^= LdrpParseSection(sum, Depth - 1, Header);
    }
    return sum;
}

static EXPAND_STACK_CALLOUT LdrpParseCallout;

static VOID LdrpParseCallout(PVOID Parameter)
{
    PLDR_IMAGE image = (PLDR_IMAGE)Parameter;
    PUCHAR header;
    KIRQL oldIrql;
    ULONG i;

    image->TimesParsed++;
    header = ExAllocatePoolWithTag(PagedPool, 32, LDR_TAG);
    if (header == NULL) {
        image->Status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    for (i = 0; i < 32; i++) {
        header[i] = (UCHAR)(image->Seed >> (i % 24));
    }
    image->Checksum = LdrpParseSection(image->Seed, image->Depth, header);
    ExFreePoolWithTag(header, LDR_TAG);

    /* Publish the image at DISPATCH_LEVEL: the count is shared with the unload DPC. */
    KeRaiseIrql(DISPATCH_LEVEL, &oldIrql);
    LdrpImagesLoaded++;
#ifndef KF_PLANT_IRQL_LEFT_RAISED
    KeLowerIrql(oldIrql);
#endif
    image->Status = STATUS_SUCCESS;
}

NTSTATUS LdrLoadImage(PLDR_IMAGE Image)
{
    NTSTATUS status;

    Image->Status = STATUS_UNSUCCESSFUL;
    status = KeExpandKernelStackAndCalloutEx(LdrpParseCallout, Image, MAXIMUM_EXPANSION_SIZE, TRUE, NULL);
#ifdef KF_PLANT_CALLOUT_TWICE
    if (!NT_SUCCESS(Image->Status)) {
#else
    if (!NT_SUCCESS(status)) {
#endif
        /* No bigger stack: the image is usually shallow enough for this one. */
        KdPrint(("ldr: stack expansion failed (0x%08X), parsing on the current stack\n", (unsigned)status));
        LdrpParseCallout(Image);
    }
    return Image->Status;
}

static DRIVER_UNLOAD LdrUnload;

static VOID LdrUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LDR_IMAGE boot;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = LdrUnload;
    RtlZeroMemory(&boot, sizeof(boot));
    boot.Seed = 0x4B46;
    boot.Depth = 24;
    return LdrLoadImage(&boot);
}
