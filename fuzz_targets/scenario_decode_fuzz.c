/*
 * scenario_decode_fuzz.c - the harness fuzzes its own decoder: any bytes, as they are and
 * under every format version, go through decode -> text -> parse and decode -> encode ->
 * decode, and must come back to the same scenario (kfh_selfcheck_bytes). A broken promise
 * prints "==kfault== SELF-CHECK" with the reason and aborts; a crash, leak, hang or
 * sanitizer report here is a bug in the harness itself. Nothing runs on the model.
 */
#include "kfault/harness.h"

#include <stdio.h>
#include <stdlib.h>

/* Every kfault binary reads KFAULT_OPTIONS: a bad value is an error here too, never ignored. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kfh_options_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char msg[8192];
    if (kfh_selfcheck_bytes(data, size, msg, sizeof msg)) {
        fprintf(stderr, "==kfault== SELF-CHECK scenario decoder: %s\n", msg);
        abort();
    }
    return 0;
}
