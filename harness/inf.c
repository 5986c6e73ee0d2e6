/*
 * inf.c - the registry values a driver's INF file installs under its service key, read so that
 * a driver target meets at load what its installation would have written (the HKR lines of
 * every AddReg section the INF names: Parameters, Instances, Altitude, Flags, ...).
 *
 * Understood: UTF-16LE (with its byte order mark) or 8-bit files; sections; comments; line
 * continuation; the [Strings] section and %key% substitution outside quotes ("%%" is a
 * percent sign); quoted strings with "" for a quote; AddReg flags for REG_SZ, REG_EXPAND_SZ,
 * REG_MULTI_SZ, REG_DWORD, REG_BINARY, REG_NONE and binary data of another type, with
 * FLG_ADDREG_DELVAL and FLG_ADDREG_KEYONLY. Lines of another root than HKR are left out (HKR is
 * the service key in an AddService section's AddReg, which is where a driver's own values are).
 *
 * Must never: crash or read past the buffer on a malformed file (an error names the line), or
 * take anything from the host but the bytes it is given.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, strcasecmp */
#endif
#include "kfault/driver_env.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 2048   /* characters of one logical line */
#define MAX_FIELDS 64
#define MAX_SECTIONS 64
#define MAX_STRINGS 256

typedef struct line {
    unsigned number;     /* first physical line, from 1 */
    char *section;       /* the section it is in (lower case), NULL before the first */
    char *text;          /* without comment, continuation joined */
} line;

typedef struct inf {
    line *lines;
    size_t n, cap;
    char *strings_key[MAX_STRINGS];
    char *strings_val[MAX_STRINGS];
    unsigned n_strings;
} inf;

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The file as 8-bit text: UTF-16LE code units below 0x100 kept, others '?'. */
static char *decode(const uint8_t *b, size_t n, size_t *out_len)
{
    int wide = n >= 2 && b[0] == 0xFF && b[1] == 0xFE;
    size_t start = wide ? 2 : (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0);
    size_t cap = wide ? (n - start) / 2 : n - start;
    char *t = malloc(cap + 1);
    if (!t)
        return NULL;
    size_t k = 0;
    for (size_t i = start; wide ? i + 1 < n : i < n; i += wide ? 2 : 1) {
        unsigned c = wide ? (unsigned)b[i] | (unsigned)b[i + 1] << 8 : b[i];
        t[k++] = c == 0 ? ' ' : (c < 0x100 ? (char)c : '?');
    }
    t[k] = 0;
    *out_len = k;
    return t;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Cuts a ';' comment (outside quotes); returns 1 when the line ends with a continuation. */
static int strip_comment(char *s)
{
    int quoted = 0;
    for (char *p = s; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ';' && !quoted) {
            *p = 0;
            break;
        }
    }
    char *t = trim(s);
    memmove(s, t, strlen(t) + 1);
    size_t n = strlen(s);
    if (n && s[n - 1] == '\\') {
        s[n - 1] = 0;
        return 1;
    }
    return 0;
}

static int add_line(inf *f, unsigned number, const char *section, const char *text)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        line *l = realloc(f->lines, cap * sizeof *l);
        if (!l)
            return -1;
        f->lines = l;
        f->cap = cap;
    }
    line *l = &f->lines[f->n];
    l->number = number;
    l->section = section ? strdup(section) : NULL;
    l->text = strdup(text);
    if ((section && !l->section) || !l->text) {
        free(l->section);
        free(l->text);
        return -1;
    }
    f->n++;
    return 0;
}

static void inf_free(inf *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->lines[i].section);
        free(f->lines[i].text);
    }
    free(f->lines);
    for (unsigned i = 0; i < f->n_strings; i++) {
        free(f->strings_key[i]);
        free(f->strings_val[i]);
    }
    memset(f, 0, sizeof *f);
}

/* Splits `s` at commas outside quotes (in place). */
static int split_fields(char *s, char **field, int max)
{
    int n = 0, quoted = 0;
    field[n++] = s;
    for (char *p = s; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted) {
            *p = 0;
            if (n == max)
                return -1;
            field[n++] = p + 1;
        }
    }
    return n;
}

static const char *string_value(const inf *f, const char *key, size_t n)
{
    for (unsigned i = 0; i < f->n_strings; i++)
        if (strlen(f->strings_key[i]) == n && !strncasecmp(f->strings_key[i], key, n))
            return f->strings_val[i];
    return NULL;
}

/* A field's value: quoted parts as written ("" is a quote), %key% outside quotes replaced by
 * its [Strings] value (an unknown key stays as written), surrounding blanks dropped. */
static int field_value(const inf *f, const char *in, char *out, size_t cap)
{
    size_t k = 0;
    int quoted = 0;
    const char *s = in;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t end = strlen(s);
    while (end && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    for (size_t i = 0; i < end; i++) {
        char c = s[i];
        if (c == '"') {
            if (quoted && i + 1 < end && s[i + 1] == '"') {
                c = '"';
                i++;
            } else {
                quoted = !quoted;
                continue;
            }
        } else if (c == '%' && !quoted) {
            const char *close = memchr(s + i + 1, '%', end - i - 1);
            if (close) {
                size_t n = (size_t)(close - (s + i + 1));
                const char *v = n ? string_value(f, s + i + 1, n) : "%";
                if (v) {
                    size_t vn = strlen(v);
                    if (k + vn >= cap)
                        return -1;
                    memcpy(out + k, v, vn);
                    k += vn;
                    i += n + 1;
                    continue;
                }
            }
        }
        if (k + 1 >= cap)
            return -1;
        out[k++] = c;
    }
    out[k] = 0;
    return 0;
}

static int parse_number(const char *s, unsigned long long *v)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!*s)
        return -1;
    *v = strtoull(s, &end, 0);
    while (*end == ' ')
        end++;
    return *end ? -1 : 0;
}

/* ---- The values --------------------------------------------------------------------------- */

typedef struct value {
    char *key;   /* under the service key ("" for the key itself) */
    char *name;
    ULONG type;
    void *data;
    ULONG size;
} value;

static value *values;
static unsigned n_values;

static void values_free(void)
{
    for (unsigned i = 0; i < n_values; i++) {
        free(values[i].key);
        free(values[i].name);
        free(values[i].data);
    }
    free(values);
    values = NULL;
    n_values = 0;
}

static void remove_value(const char *key, const char *name)
{
    for (unsigned i = 0; i < n_values; i++)
        if (!strcasecmp(values[i].key, key) && !strcasecmp(values[i].name, name)) {
            free(values[i].key);
            free(values[i].name);
            free(values[i].data);
            memmove(&values[i], &values[i + 1], (n_values - i - 1) * sizeof *values);
            n_values--;
            return;
        }
}

/* Appends the UTF-16 of `s` with its NUL to the buffer. */
static int put_wide(UCHAR **buf, ULONG *size, const char *s)
{
    size_t n = strlen(s) + 1;
    UCHAR *b = realloc(*buf, *size + 2 * n);
    if (!b)
        return -1;
    for (size_t i = 0; i < n; i++) {
        b[*size + 2 * i] = (UCHAR)s[i];
        b[*size + 2 * i + 1] = 0;
    }
    *buf = b;
    *size += (ULONG)(2 * n);
    return 0;
}

/* One HKR line: fields after the root. Returns 0, or -1 with the reason in err. */
static int add_reg_line(const inf *f, char **field, int n, char *err, size_t errlen)
{
    static char key[MAX_LINE], name[MAX_LINE], tmp[MAX_LINE];
    if (field_value(f, n > 1 ? field[1] : "", key, sizeof key) || field_value(f, n > 2 ? field[2] : "", name, sizeof name)) {
        set_err(err, errlen, "a key or value name is too long");
        return -1;
    }
    unsigned long long flags = 0;
    if (n > 3) {
        if (field_value(f, field[3], tmp, sizeof tmp) || (tmp[0] && parse_number(tmp, &flags))) {
            set_err(err, errlen, "the flags \"%s\" are not a number", tmp);
            return -1;
        }
    }
    if (flags & 0x10) /* FLG_ADDREG_KEYONLY: the key, no value */
        return 0;
    remove_value(key, name);
    if (flags & 0x4) /* FLG_ADDREG_DELVAL */
        return 0;
    unsigned hi = (unsigned)(flags >> 16) & 0xFFFF;
    ULONG type;
    UCHAR *data = NULL;
    ULONG size = 0;
    if (flags & 1) { /* FLG_ADDREG_BINVALUETYPE */
        type = hi == 1 ? REG_DWORD : hi == 2 ? REG_NONE : hi == 0 ? REG_BINARY : hi;
        if (hi == 1 && n > 5 && n != 8) {
            set_err(err, errlen, "a REG_DWORD given as bytes needs 4 of them, not %d", n - 4);
            return -1;
        }
        if (hi == 1 && n <= 5) {
            /* A number; none at all is 0. */
            unsigned long long v = 0;
            if (n == 5 && (field_value(f, field[4], tmp, sizeof tmp) || parse_number(tmp, &v) || v > 0xFFFFFFFFull)) {
                set_err(err, errlen, "the REG_DWORD value \"%s\" is not a 32-bit number", tmp);
                return -1;
            }
            data = malloc(4);
            if (!data)
                goto oom;
            for (int b = 0; b < 4; b++)
                data[b] = (UCHAR)(v >> (8 * b));
            size = 4;
        } else {
            if (n > 4) {
                data = malloc((size_t)(n - 4));
                if (!data)
                    goto oom;
            }
            for (int i = 4; i < n; i++) {
                unsigned long long v;
                if (field_value(f, field[i], tmp, sizeof tmp))
                    goto bad_byte;
                char *end;
                v = strtoull(tmp, &end, 16);
                if (!tmp[0] || *end || v > 0xFF)
                    goto bad_byte;
                data[size++] = (UCHAR)v;
            }
        }
        if (!data && !(data = malloc(1))) /* no bytes, but a value */
            goto oom;
    } else {
        type = hi == 1 ? REG_MULTI_SZ : hi == 2 ? REG_EXPAND_SZ : REG_SZ;
        if (type == REG_MULTI_SZ) {
            /* Each non-empty string (an empty one would end the list there), then the empty
             * one; an empty list is two NULs. */
            for (int i = 4; i < n; i++) {
                if (field_value(f, field[i], tmp, sizeof tmp))
                    goto too_long;
                if (tmp[0] && put_wide(&data, &size, tmp))
                    goto oom;
            }
            if ((!size && put_wide(&data, &size, "")) || put_wide(&data, &size, ""))
                goto oom;
        } else {
            if (n > 4 && field_value(f, field[4], tmp, sizeof tmp))
                goto too_long;
            if (put_wide(&data, &size, n > 4 ? tmp : ""))
                goto oom;
        }
    }
    value *v = realloc(values, (n_values + 1) * sizeof *values);
    if (!v)
        goto oom;
    values = v;
    v = &values[n_values];
    v->key = strdup(key);
    v->name = strdup(name);
    if (!v->key || !v->name) {
        free(v->key);
        free(v->name);
        goto oom;
    }
    v->type = type;
    v->data = data;
    v->size = size;
    n_values++;
    return 0;
bad_byte:
    free(data);
    set_err(err, errlen, "binary data \"%s\" is not a hexadecimal byte", tmp);
    return -1;
too_long:
    free(data);
    set_err(err, errlen, "a string is too long");
    return -1;
oom:
    free(data);
    set_err(err, errlen, "no memory");
    return -1;
}

static int section_named(char **names, unsigned n, const char *section)
{
    for (unsigned i = 0; i < n; i++)
        if (section && !strcmp(names[i], section))
            return 1;
    return 0;
}

int kfh_inf_read(const void *bytes, size_t size, kfh_reg_spec *out, unsigned max, char *err, size_t errlen)
{
    values_free();
    size_t len = 0;
    char *text = decode(bytes, size, &len);
    static char logical[MAX_LINE];
    inf f;
    memset(&f, 0, sizeof f);
    char *addreg[MAX_SECTIONS];
    unsigned n_addreg = 0;
    int rc = -1;
    if (!text) {
        set_err(err, errlen, "no memory");
        return -1;
    }
    /* Logical lines, with the section each is in. */
    char section[256] = "";
    int have_section = 0;
    size_t k = 0;
    unsigned number = 0, first = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        number++;
        if (!k)
            first = number;
        int more = strip_comment(p);
        size_t n = strlen(p);
        if (k + n + 1 >= sizeof logical) {
            set_err(err, errlen, "line %u: longer than %d characters", first, MAX_LINE);
            goto out;
        }
        memcpy(logical + k, p, n);
        k += n;
        logical[k] = 0;
        p = nl ? nl + 1 : NULL;
        if (more && p)
            continue;
        char *l = trim(logical);
        if (l[0] == '[') {
            char *close = strchr(l, ']');
            if (!close) {
                set_err(err, errlen, "line %u: a section name without its ']'", first);
                goto out;
            }
            *close = 0;
            snprintf(section, sizeof section, "%s", trim(l + 1));
            lower(section);
            have_section = 1;
        } else if (l[0] && add_line(&f, first, have_section ? section : NULL, l)) {
            set_err(err, errlen, "no memory");
            goto out;
        }
        k = 0;
        logical[0] = 0;
    }
    /* [Strings] first: substitution anywhere needs them. */
    for (size_t i = 0; i < f.n; i++) {
        if (!f.lines[i].section || strcmp(f.lines[i].section, "strings"))
            continue;
        char *eq = strchr(f.lines[i].text, '=');
        if (!eq)
            continue;
        *eq = 0;
        char *key = trim(f.lines[i].text);
        static char val[MAX_LINE];
        if (field_value(&f, eq + 1, val, sizeof val)) {
            set_err(err, errlen, "line %u: a string is too long", f.lines[i].number);
            goto out;
        }
        if (f.n_strings == MAX_STRINGS) {
            set_err(err, errlen, "line %u: more than %d strings", f.lines[i].number, MAX_STRINGS);
            goto out;
        }
        f.strings_key[f.n_strings] = strdup(key);
        f.strings_val[f.n_strings] = strdup(val);
        if (!f.strings_key[f.n_strings] || !f.strings_val[f.n_strings]) {
            free(f.strings_key[f.n_strings]);
            free(f.strings_val[f.n_strings]);
            set_err(err, errlen, "no memory");
            goto out;
        }
        f.n_strings++;
    }
    /* Every section an AddReg directive names. */
    for (size_t i = 0; i < f.n; i++) {
        char *eq = strchr(f.lines[i].text, '=');
        if (!eq || (f.lines[i].section && !strcmp(f.lines[i].section, "strings")))
            continue;
        char dir[64];
        size_t dn = (size_t)(eq - f.lines[i].text);
        if (dn >= sizeof dir)
            continue;
        memcpy(dir, f.lines[i].text, dn);
        dir[dn] = 0;
        if (strcasecmp(trim(dir), "addreg"))
            continue;
        static char list[MAX_LINE];
        snprintf(list, sizeof list, "%s", eq + 1);
        char *field[MAX_FIELDS];
        int n = split_fields(list, field, MAX_FIELDS);
        for (int j = 0; j < n; j++) {
            static char name[256];
            if (field_value(&f, field[j], name, sizeof name) || !name[0])
                continue;
            lower(name);
            if (section_named(addreg, n_addreg, name))
                continue;
            if (n_addreg == MAX_SECTIONS) {
                set_err(err, errlen, "line %u: more than %d AddReg sections", f.lines[i].number, MAX_SECTIONS);
                goto out;
            }
            addreg[n_addreg] = strdup(name);
            if (!addreg[n_addreg]) {
                set_err(err, errlen, "no memory");
                goto out;
            }
            n_addreg++;
        }
    }
    /* Their HKR lines, in file order. */
    for (size_t i = 0; i < f.n; i++) {
        if (!section_named(addreg, n_addreg, f.lines[i].section))
            continue;
        static char copy[MAX_LINE], root[64];
        snprintf(copy, sizeof copy, "%s", f.lines[i].text);
        char *field[MAX_FIELDS];
        int n = split_fields(copy, field, MAX_FIELDS);
        if (n < 0) {
            set_err(err, errlen, "line %u: more than %d fields", f.lines[i].number, MAX_FIELDS);
            goto out;
        }
        if (field_value(&f, field[0], root, sizeof root) || strcasecmp(root, "HKR"))
            continue;
        char why[160];
        if (add_reg_line(&f, field, n, why, sizeof why)) {
            set_err(err, errlen, "line %u: %s", f.lines[i].number, why);
            goto out;
        }
    }
    if (n_values > max) {
        set_err(err, errlen, "%u registry values, more than the %u a driver target holds", n_values, max);
        goto out;
    }
    /* The values under an Instances key last: the first KFH_REG_VALUES are the ones a scenario's
     * reg_value changes, and a driver's own parameters are the interesting ones. */
    unsigned w = 0;
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < n_values; i++) {
            char lk[MAX_LINE];
            snprintf(lk, sizeof lk, "%s", values[i].key);
            lower(lk);
            int inst = strstr(lk, "instances") != NULL;
            if (inst != pass)
                continue;
            out[w].key = values[i].key;
            out[w].name = values[i].name;
            out[w].type = values[i].type;
            out[w].data = values[i].data;
            out[w].size = values[i].size;
            w++;
        }
    rc = (int)w;
out:
    for (unsigned i = 0; i < n_addreg; i++)
        free(addreg[i]);
    inf_free(&f);
    free(text);
    if (rc < 0)
        values_free();
    return rc;
}
