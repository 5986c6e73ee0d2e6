/*
 * empty_fuzz.c - the baseline of the throughput benchmark: a libFuzzer target that does
 * nothing with its input. Built with exactly the flags of the real targets (sanitizers,
 * coverage instrumentation, the same engine), so that the ratio of a target's executions
 * per second to this one's is the share of the engine's speed the target keeps.
 * Must stay empty: any work here would make every ratio look better than it is.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}
