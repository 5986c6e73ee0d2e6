/*
 * smoke_fuzz.c - the seed of the real fuzz targets that come later: the smallest target
 * that drives KeExpandKernelStackAndCalloutEx from input bytes and checks one documented
 * rule, so the build, the engine, the replay main and the corpus test are exercised end to
 * end. It must stay small and must never check what the documentation does not say.
 *
 * Input (missing bytes read as zero):
 *   byte 0      bit 0: Wait; (byte >> 1) % 3: the caller's IRQL (PASSIVE, APC, DISPATCH)
 *   bytes 1-4   Size, little endian, modulo MAXIMUM_EXPANSION_SIZE + PAGE_SIZE + 1
 *               (so sizes just past the maximum are reached too)
 *   bytes 5-8   the modeled remaining stack, little endian, modulo KERNEL_STACK_SIZE + 1
 *
 * Checked: STATUS_SUCCESS only if the callout ran, exactly once; any other status, and it
 * did not run. A modeled bug check is a possible documented outcome here (it is caught by
 * kf_guarded_call and not judged); violating the rule calls abort().
 */
#include <ntddk.h>

#include "kfault/model.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static unsigned callout_runs;

static VOID callout(PVOID parameter)
{
    (void)parameter;
    callout_runs++;
}

typedef struct scenario {
    BOOLEAN wait;
    KIRQL irql;
    SIZE_T size, remaining;
    NTSTATUS status;
} scenario;

static uint32_t le32(const uint8_t *data, size_t size, size_t at)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++)
        v |= (uint32_t)(at + i < size ? data[at + i] : 0) << (8 * i);
    return v;
}

static void run(void *arg)
{
    scenario *s = arg;
    kf_set_remaining_stack(s->remaining);
    kf_set_irql(s->irql);
    s->status = KeExpandKernelStackAndCalloutEx(callout, NULL, s->size, s->wait, NULL);
}

/* Reads KFAULT_OPTIONS before the first input, so help=1 or a bad option ends the run at once. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    (void)kf_options_get();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kf_reset();
    const kf_profile *p = kf_current_profile();
    uint8_t flags = size > 0 ? data[0] : 0;
    scenario s = {
        .wait = (flags & 1) ? TRUE : FALSE,
        .irql = (KIRQL)((flags >> 1) % 3),
        .size = le32(data, size, 1) % (p->maximum_expansion_size + PAGE_SIZE + 1),
        .remaining = le32(data, size, 5) % (p->kernel_stack_size + 1),
        .status = STATUS_UNSUCCESSFUL,
    };
    callout_runs = 0;

    kf_stop stop;
    if (kf_guarded_call(run, &s, &stop))
        return 0; /* a modeled bug check: not judged by this target */

    if (s.status == STATUS_SUCCESS && callout_runs != 1)
        abort();
    if (s.status != STATUS_SUCCESS && callout_runs != 0)
        abort();
    return 0;
}
