/*
 * scenario_check.c - the properties the scenario format promises, checked on any input:
 * what the harness's own fuzz targets (scenario_decode_fuzz, scenario_text_fuzz) and the
 * corpus tests call.
 *
 * Promises checked here (docs/SCENARIO_FORMAT.md): any bytes with a known version decode;
 * the text printed for a decoded scenario parses back to the same scenario; its canonical
 * bytes decode back to the same scenario and encode to themselves; text that parses gives a
 * scenario that survives bytes and text again unchanged; text that does not parse gets an
 * error naming its line and column. A broken promise is returned as a sentence, never
 * acted on here: the caller decides whether to abort.
 */
#include "kfault/harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int why(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (len)
        vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return -1;
}

int kfh_scenario_equal(const kfh_scenario *a, const kfh_scenario *b, char *msg, size_t len)
{
    if (a->version != b->version)
        return why(msg, len, "version %u, then %u", a->version, b->version), 0;
    if (a->n != b->n)
        return why(msg, len, "%u operations, then %u", a->n, b->n), 0;
    for (uint16_t i = 0; i < a->n; i++) {
        const kfh_op *x = &a->ops[i], *y = &b->ops[i];
        if (x->code != y->code || x->depth != y->depth || x->a != y->a || x->b != y->b || x->c != y->c ||
            x->size_sel != y->size_sel || x->size_raw != y->size_raw || x->body != y->body)
            return why(msg, len,
                       "operation %u differs: code %u/%u depth %u/%u a %u/%u b %u/%u c %u/%u size %u:0x%x/%u:0x%x "
                       "body %u/%u",
                       i, x->code, y->code, x->depth, y->depth, x->a, y->a, x->b, y->b, x->c, y->c, x->size_sel,
                       (unsigned)x->size_raw, y->size_sel, (unsigned)y->size_raw, x->body, y->body),
                   0;
    }
    return 1;
}

/* Heap copies, so a sanitizer sees every over-read, and sized by the functions themselves. */
static char *format_alloc(const kfh_scenario *s)
{
    size_t n = kfh_scenario_format(s, NULL, 0) + 1;
    char *t = malloc(n);
    if (t && kfh_scenario_format(s, t, n) != n - 1) {
        free(t);
        return NULL;
    }
    return t;
}

static uint8_t *encode_alloc(const kfh_scenario *s, size_t *len)
{
    *len = kfh_scenario_encode(s, NULL, 0);
    uint8_t *b = malloc(*len ? *len : 1);
    if (b && kfh_scenario_encode(s, b, *len) != *len) {
        free(b);
        return NULL;
    }
    return b;
}

/* s is a scenario the decoder or the parser gave: its text and its bytes must both come
 * back to it, and both forms must be fixed points. `what` names where s came from. */
static int check_both_forms(const kfh_scenario *s, const char *what, char *msg, size_t len)
{
    char err[512], diff[256];
    int rc = -1;
    kfh_scenario *t = malloc(sizeof *t);
    char *text = format_alloc(s), *text2 = NULL;
    size_t blen = 0, blen2 = 0;
    uint8_t *bytes = encode_alloc(s, &blen), *bytes2 = NULL;
    if (!t || !text || !bytes) {
        why(msg, len, "out of memory");
        goto out;
    }
    /* Text: parses back to the same scenario, and prints the same text again. */
    if (kfh_scenario_parse(text, t, err, sizeof err)) {
        why(msg, len, "%s: its printed text does not parse: %s\n%s", what, err, text);
        goto out;
    }
    if (!kfh_scenario_equal(s, t, diff, sizeof diff)) {
        why(msg, len, "%s: text -> parse gives another scenario: %s\n%s", what, diff, text);
        goto out;
    }
    /* Bytes: decode back to the same scenario, whose bytes are the same bytes. */
    if (kfh_scenario_decode(bytes, blen, t, err, sizeof err)) {
        why(msg, len, "%s: its canonical bytes do not decode: %s", what, err);
        goto out;
    }
    if (!kfh_scenario_equal(s, t, diff, sizeof diff)) {
        why(msg, len, "%s: encode -> decode gives another scenario: %s\n%s", what, diff, text);
        goto out;
    }
    bytes2 = encode_alloc(t, &blen2);
    if (!bytes2 || blen2 != blen || memcmp(bytes, bytes2, blen)) {
        why(msg, len, "%s: canonical bytes are not a fixed point (%zu then %zu bytes)", what, blen, blen2);
        goto out;
    }
    text2 = format_alloc(t);
    if (!text2 || strcmp(text, text2)) {
        why(msg, len, "%s: printed text is not a fixed point:\n%s---\n%s", what, text, text2 ? text2 : "(none)");
        goto out;
    }
    rc = 0;
out:
    free(t);
    free(text);
    free(text2);
    free(bytes);
    free(bytes2);
    return rc;
}

int kfh_selfcheck_bytes(const uint8_t *data, size_t size, char *msg, size_t len)
{
    char err[512];
    kfh_scenario *s = malloc(sizeof *s);
    uint8_t *copy = malloc(size ? size : 1);
    int rc = 0;
    if (!s || !copy) {
        free(s);
        free(copy);
        return why(msg, len, "out of memory");
    }
    /* The input as it is, then under every version this build reads. */
    for (int v = 0; v <= KFH_SCENARIO_VERSION && rc == 0; v++) {
        if (size)
            memcpy(copy, data, size);
        if (v > 0) {
            if (!size)
                break;
            copy[0] = (uint8_t)v;
        }
        int known = size && kfh_scenario_version_known(copy[0]);
        err[0] = 0;
        if (kfh_scenario_decode(copy, size, s, err, sizeof err)) {
            if (known)
                rc = why(msg, len, "bytes of known version %u refused: %s", copy[0], err);
            else if (!err[0])
                rc = why(msg, len, "bytes refused without a reason");
            continue;
        }
        if (!known) {
            rc = why(msg, len, "bytes of unknown version %u (size %zu) decoded", size ? copy[0] : 0, size);
            continue;
        }
        if (s->n > KFH_MAX_OPS)
            rc = why(msg, len, "decoded %u operations, more than %d", s->n, KFH_MAX_OPS);
        else {
            char what[64];
            snprintf(what, sizeof what, "bytes under version %u", copy[0]);
            rc = check_both_forms(s, what, msg, len);
        }
    }
    free(s);
    free(copy);
    return rc;
}

int kfh_selfcheck_text(const char *text, char *msg, size_t len)
{
    char err[512];
    kfh_scenario *s = malloc(sizeof *s);
    if (!s)
        return why(msg, len, "out of memory");
    int rc = 0;
    err[0] = 0;
    if (kfh_scenario_parse(text, s, err, sizeof err)) {
        unsigned l, c;
        if (sscanf(err, "line %u, column %u: ", &l, &c) != 2 || l == 0 || c == 0)
            rc = why(msg, len, "a parse error without its line and column: '%s'", err);
    } else {
        rc = check_both_forms(s, "parsed text", msg, len);
    }
    free(s);
    return rc;
}
