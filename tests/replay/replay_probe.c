/*
 * replay_probe.c - a libFuzzer-style target for testing the replay main: it prints each
 * input it is given (inputs are short text), aborts on an input starting with "crash" and
 * returns 7 on one starting with "ret7". It must never be built with a fuzzing engine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int initialized;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    initialized = 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!initialized) {
        fprintf(stderr, "probe: LLVMFuzzerInitialize was not called first\n");
        abort();
    }
    printf("probe: %zu bytes: %.*s\n", size, (int)size, (const char *)data);
    fflush(stdout);
    if (size >= 5 && memcmp(data, "crash", 5) == 0)
        abort();
    if (size >= 4 && memcmp(data, "ret7", 4) == 0)
        return 7;
    return 0;
}
