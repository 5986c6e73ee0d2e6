/*
 * inf_fuzz.c - the harness fuzzes its own INF reader (harness/inf.c, SEMANTICS.md FH-13): any
 * bytes are an INF file a user hands the generic minifilter fuzzer or the loader. The reader
 * must either refuse them with a sentence, or give values that can be installed: a name and a
 * key (possibly empty) for each, data for each, no more of it than the file holds, the values
 * under an Instances key last. (Types and sizes are the file's to choose: AddReg can write any
 * type as bytes, so a malformed value is a driver's input, not the reader's bug.) A broken promise prints "==kfault== SELF-CHECK" and aborts; a crash, leak, hang or
 * sanitizer report is a bug in the harness itself. Nothing runs on the model.
 */
#include "kfault/driver_env.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    kfh_options_init();
    return 0;
}

static void broken(const char *what, unsigned i)
{
    fprintf(stderr, "==kfault== SELF-CHECK inf: value %u: %s\n", i, what);
    abort();
}

static int under_instances(const char *key)
{
    for (const char *p = key; *p; p++) {
        size_t k = 0;
        static const char word[] = "instances";
        while (word[k] && p[k] && tolower((unsigned char)p[k]) == word[k])
            k++;
        if (!word[k])
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kfh_reg_spec v[64];
    char err[256];
    err[0] = 0;
    int n = kfh_inf_read(data, size, v, 64, err, sizeof err);
    if (n < 0) {
        if (!err[0])
            broken("refused without a sentence", 0);
        return 0;
    }
    int seen_instances = 0;
    for (int i = 0; i < n; i++) {
        const kfh_reg_spec *r = &v[i];
        if (!r->key || !r->name || !r->data)
            broken("a NULL key, name or data", (unsigned)i);
        /* Every byte comes from the file: a string doubles in UTF-16 and gains two NULs. */
        if (r->size > 2 * size + 4)
            broken("more data than the file holds", (unsigned)i);
        int inst = under_instances(r->key);
        if (seen_instances && !inst)
            broken("a value outside an Instances key after one inside", (unsigned)i);
        seen_instances |= inst;
    }
    return 0;
}
