/*
 * scenario_text_fuzz.c - the harness fuzzes its own text parser: any bytes, up to the first
 * NUL, are scenario text. Text that parses must survive encode -> decode -> print -> parse
 * unchanged; text that does not must get an error naming its line and column
 * (kfh_selfcheck_text). A broken promise prints "==kfault== SELF-CHECK" and aborts; a crash,
 * leak, hang or sanitizer report is a bug in the harness itself. Nothing runs on the model.
 */
#include "kfault/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char *text = malloc(size + 1); /* exactly the input and its terminator */
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    text[size] = 0;
    int rc = kfh_selfcheck_text(text, msg, sizeof msg);
    if (rc)
        fprintf(stderr, "==kfault== SELF-CHECK scenario text: %s\n", msg);
    free(text);
    if (rc)
        abort();
    return 0;
}
