/*
 * scenario_text.c - the readable form of scenarios: one operation per line, blocks in
 * braces, '#' comments; and loading a scenario file in either form.
 *
 * Formatting then parsing gives back a scenario that encodes to the same canonical bytes,
 * so it runs identically (the round trip the tests check on every corpus file). Errors
 * name the line and column. Must never accept text that means something other than what
 * the printer would write for it.
 */
#include "kfault/harness.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- Printing ------------------------------------------------------------------------ */

typedef struct out {
    char *b;
    size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->len < o->cap ? o->b + o->len : NULL, o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static const char *const size_names[KFH_SIZE_SEL_COUNT] = {
    [KFH_SIZE_RAW] = NULL,          [KFH_SIZE_ZERO] = "zero",
    [KFH_SIZE_MAX] = "max",         [KFH_SIZE_MAX_PLUS1] = "max+1",
    [KFH_SIZE_MAX_MINUS1] = "max-1", [KFH_SIZE_STACK] = "stack",
    [KFH_SIZE_LARGE] = "large",     [KFH_SIZE_SIZE_T_MAX] = "size_t_max",
    [KFH_SIZE_PAGE] = "page",       [KFH_SIZE_REMAINING] = "remaining",
    [KFH_SIZE_REMAINING_PLUS1] = "remaining+1",
};

static void put_size(out *o, const kfh_op *op)
{
    if (op->size_sel == KFH_SIZE_RAW || op->size_sel >= KFH_SIZE_SEL_COUNT)
        put(o, "0x%x", (unsigned)op->size_raw);
    else
        put(o, "%s", size_names[op->size_sel]);
}

static const char *const fault_names[3] = {"none", "transient", "hard"};

static void format_op(out *o, const kfh_op *op)
{
    put(o, "%s", kfh_op_name(op->code));
    switch (op->code) {
    case KFH_OP_PROFILE: {
        char name[32];
        const kf_profile *p = kf_profile_at(op->a);
        put(o, " %s", p ? kf_profile_name(p, name, sizeof name) : "?");
        break;
    }
    case KFH_OP_RAISE_IRQL:
    case KFH_OP_LOWER_IRQL:
        put(o, " %u", op->a);
        break;
    case KFH_OP_SET_STACK:
    case KFH_OP_CONSUME:
        put(o, " ");
        put_size(o, op);
        break;
    case KFH_OP_LARGE_STACK:
        put(o, " %s", op->a ? "on" : "off");
        break;
    case KFH_OP_EXPAND:
        if (op->a & KFH_EXP_EX)
            put(o, " ex");
        if (op->a & KFH_EXP_WAIT)
            put(o, " wait");
        if (op->a & KFH_EXP_CONTEXT)
            put(o, " context");
        if (op->a & KFH_EXP_NULL_CALLOUT)
            put(o, " null_callout");
        put(o, " size=");
        put_size(o, op);
        break;
    case KFH_OP_RAISE:
        put(o, " %s%s", kfh_status_name(kfh_status_at(op->a)), op->b ? " caught" : "");
        break;
    case KFH_OP_TERMINATE:
        put(o, " %s", kfh_status_name(kfh_status_at(op->a)));
        break;
    case KFH_OP_FAULT:
        put(o, " %s", fault_names[op->a % 3]);
        break;
    case KFH_OP_POOL_ALLOC:
        put(o, " %u%s", op->a, op->b ? " paged" : "");
        break;
    case KFH_OP_POOL_FREE:
        put(o, " %u", op->a);
        break;
    default:
        break;
    }
}

size_t kfh_op_format(const kfh_op *op, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    format_op(&o, op);
    return o.len;
}

size_t kfh_scenario_format(const kfh_scenario *s, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    uint16_t end_at[KFH_MAX_DEPTH + 1];
    unsigned open = 0;
    put(&o, "version %u\n", s->version ? s->version : KFH_SCENARIO_VERSION);
    for (uint16_t i = 0; i <= s->n; i++) {
        while (open > 0 && i >= end_at[open - 1]) {
            open--;
            put(&o, "%*s}\n", (int)(2 * open), "");
        }
        if (i == s->n)
            break;
        const kfh_op *op = &s->ops[i];
        put(&o, "%*s", (int)(2 * open), "");
        format_op(&o, op);
        if ((op->code == KFH_OP_EXPAND || op->code == KFH_OP_CONSUME) && op->body > 0) {
            put(&o, " {\n");
            end_at[open++] = (uint16_t)(i + 1 + op->body);
        } else {
            put(&o, "\n");
        }
    }
    return o.len;
}

/* ---- Parsing ------------------------------------------------------------------------- */

typedef struct tok {
    const char *s;
    size_t n;
    unsigned col;
} tok;

typedef struct parser {
    char *err;
    size_t errlen;
    unsigned line;
} parser;

static int perr(parser *p, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *p, unsigned col, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %u, column %u: %s", p->line, col, msg);
    return -1;
}

static int tok_is(const tok *t, const char *w) { return strlen(w) == t->n && !strncmp(t->s, w, t->n); }

static int parse_number(const tok *t, unsigned long long limit, unsigned long long *v)
{
    char buf[32];
    if (t->n == 0 || t->n >= sizeof buf || !isdigit((unsigned char)t->s[0]))
        return -1;
    memcpy(buf, t->s, t->n);
    buf[t->n] = 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 0);
    if (errno || *end || x > limit)
        return -1;
    *v = x;
    return 0;
}

static int parse_size(parser *p, const tok *t, kfh_op *op)
{
    for (int i = 1; i < KFH_SIZE_SEL_COUNT; i++)
        if (tok_is(t, size_names[i])) {
            op->size_sel = (uint8_t)i;
            op->size_raw = 0;
            return 0;
        }
    unsigned long long v;
    if (parse_number(t, 0xFFFFFFFFull, &v))
        return perr(p, t->col,
                    "'%.*s' is not a size: a number up to 0xffffffff, or one of zero, max, max+1, "
                    "max-1, stack, large, size_t_max, page, remaining, remaining+1",
                    (int)t->n, t->s);
    op->size_sel = KFH_SIZE_RAW;
    op->size_raw = (uint32_t)v;
    return 0;
}

static int parse_status(parser *p, const tok *t, uint8_t *idx)
{
    for (size_t i = 0; i < kfh_status_count(); i++)
        if (tok_is(t, kfh_status_name(kfh_status_at(i)))) {
            *idx = (uint8_t)i;
            return 0;
        }
    return perr(p, t->col,
                "'%.*s' is not a status a scenario can use (STATUS_ACCESS_VIOLATION, "
                "STATUS_INSUFFICIENT_RESOURCES, STATUS_NO_MEMORY, STATUS_INVALID_PARAMETER, "
                "STATUS_STACK_OVERFLOW, STATUS_UNSUCCESSFUL, STATUS_SUCCESS, STATUS_CANCELLED)",
                (int)t->n, t->s);
}

static int parse_irql(parser *p, const tok *t, uint8_t *irql)
{
    unsigned long long v;
    static const uint8_t allowed[] = {0, 1, 2, 3, 4, 13, 15, 31};
    if (!parse_number(t, 255, &v))
        for (size_t i = 0; i < sizeof allowed; i++)
            if (allowed[i] == v) {
                *irql = (uint8_t)v;
                return 0;
            }
    return perr(p, t->col, "'%.*s' is not an IRQL a scenario can use (0, 1, 2, 3, 4, 13, 15, 31)",
                (int)t->n, t->s);
}

static int parse_slot(parser *p, const tok *t, uint8_t *slot)
{
    unsigned long long v;
    if (parse_number(t, KFH_POOL_SLOTS - 1, &v))
        return perr(p, t->col, "'%.*s' is not a pool slot (0..%d)", (int)t->n, t->s, KFH_POOL_SLOTS - 1);
    *slot = (uint8_t)v;
    return 0;
}

/* Parses one operation line (tokens after the name in t[1..nt-1]); *opens is set when the
 * line ends with '{'. */
static int parse_op(parser *p, tok *t, int nt, kfh_op *op, int *opens)
{
    int code = -1;
    for (int c = 1; c < KFH_OP_COUNT_V1; c++)
        if (tok_is(&t[0], kfh_op_name(c)))
            code = c;
    if (code < 0)
        return perr(p, t[0].col, "unknown operation '%.*s' (kfault --help lists them)", (int)t[0].n, t[0].s);
    *opens = 0;
    if (nt > 1 && tok_is(&t[nt - 1], "{")) {
        if (code != KFH_OP_EXPAND && code != KFH_OP_CONSUME)
            return perr(p, t[nt - 1].col, "'%s' has no body; only expand and consume open a block",
                        kfh_op_name(code));
        *opens = 1;
        nt--;
    }
    memset(op, 0, sizeof *op);
    op->code = (uint8_t)code;
    int want = -1; /* number of argument tokens, when fixed */
    switch (code) {
    case KFH_OP_PROFILE: {
        if (nt != 2)
            break;
        char name[32], err[256];
        kf_profile prof;
        if (t[1].n >= sizeof name)
            return perr(p, t[1].col, "profile name too long");
        memcpy(name, t[1].s, t[1].n);
        name[t[1].n] = 0;
        if (kf_profile_parse(name, &prof, err, sizeof err))
            return perr(p, t[1].col, "%s", err);
        for (size_t i = 0; i < kf_profile_count(); i++)
            if (kf_profile_at(i)->os == prof.os && kf_profile_at(i)->arch == prof.arch)
                op->a = (uint8_t)i;
        return 0;
    }
    case KFH_OP_RAISE_IRQL:
    case KFH_OP_LOWER_IRQL:
        if (nt == 2)
            return parse_irql(p, &t[1], &op->a);
        want = 1;
        break;
    case KFH_OP_SET_STACK:
    case KFH_OP_CONSUME:
        if (nt == 2)
            return parse_size(p, &t[1], op);
        want = 1;
        break;
    case KFH_OP_LARGE_STACK:
        if (nt == 2 && (tok_is(&t[1], "on") || tok_is(&t[1], "off"))) {
            op->a = tok_is(&t[1], "on");
            return 0;
        }
        if (nt == 2)
            return perr(p, t[1].col, "large_stack takes on or off");
        want = 1;
        break;
    case KFH_OP_EXPAND: {
        int have_size = 0;
        for (int i = 1; i < nt; i++) {
            if (tok_is(&t[i], "ex"))
                op->a |= KFH_EXP_EX;
            else if (tok_is(&t[i], "wait"))
                op->a |= KFH_EXP_WAIT;
            else if (tok_is(&t[i], "context"))
                op->a |= KFH_EXP_CONTEXT;
            else if (tok_is(&t[i], "null_callout"))
                op->a |= KFH_EXP_NULL_CALLOUT;
            else if (t[i].n > 5 && !strncmp(t[i].s, "size=", 5)) {
                tok v = {t[i].s + 5, t[i].n - 5, t[i].col + 5};
                if (parse_size(p, &v, op))
                    return -1;
                have_size = 1;
            } else
                return perr(p, t[i].col, "'%.*s' is not an expand argument (ex, wait, context, "
                            "null_callout, size=SIZE)", (int)t[i].n, t[i].s);
        }
        if (!have_size)
            return perr(p, t[0].col, "expand needs size=SIZE");
        return 0;
    }
    case KFH_OP_RAISE:
        if (nt == 2 || (nt == 3 && tok_is(&t[2], "caught"))) {
            op->b = nt == 3;
            return parse_status(p, &t[1], &op->a);
        }
        if (nt == 3)
            return perr(p, t[2].col, "'%.*s': raise takes a status and optionally 'caught'", (int)t[2].n, t[2].s);
        want = 1;
        break;
    case KFH_OP_TERMINATE:
        if (nt == 2)
            return parse_status(p, &t[1], &op->a);
        want = 1;
        break;
    case KFH_OP_FAULT:
        if (nt == 2) {
            for (uint8_t k = 0; k < 3; k++)
                if (tok_is(&t[1], fault_names[k])) {
                    op->a = k;
                    return 0;
                }
            return perr(p, t[1].col, "fault takes none, transient or hard");
        }
        want = 1;
        break;
    case KFH_OP_POOL_ALLOC:
        if (nt == 2 || (nt == 3 && tok_is(&t[2], "paged"))) {
            op->b = nt == 3;
            return parse_slot(p, &t[1], &op->a);
        }
        if (nt == 3)
            return perr(p, t[2].col, "'%.*s': pool_alloc takes a slot and optionally 'paged'", (int)t[2].n, t[2].s);
        want = 1;
        break;
    case KFH_OP_POOL_FREE:
        if (nt == 2)
            return parse_slot(p, &t[1], &op->a);
        want = 1;
        break;
    }
    if (want < 0)
        want = 1;
    return perr(p, nt > want + 1 ? t[want + 1].col : t[0].col + (unsigned)t[0].n,
                "%s takes %d argument%s", kfh_op_name(code), want, want == 1 ? "" : "s");
}

int kfh_scenario_parse(const char *text, kfh_scenario *out, char *err, size_t errlen)
{
    parser p = {err, errlen, 0};
    uint16_t open[KFH_MAX_DEPTH];
    unsigned depth = 0;
    int saw_op = 0;
    memset(out, 0, sizeof *out);
    out->version = KFH_SCENARIO_VERSION;
    const char *line = text;
    while (*line) {
        p.line++;
        size_t len = strcspn(line, "\n");
        /* Tokenize: whitespace separated, '#' to the end of the line is a comment. */
        tok t[16];
        int nt = 0;
        for (size_t i = 0; i < len;) {
            unsigned char c = (unsigned char)line[i];
            if (c == '#')
                break;
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
                continue;
            }
            if (c < 0x20 || c >= 0x7F)
                return perr(&p, (unsigned)i + 1, "unexpected byte 0x%02x (scenario text is ASCII)", c);
            size_t j = i;
            while (j < len && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != '#')
                j++;
            if (nt == 16)
                return perr(&p, (unsigned)i + 1, "too many words on one line");
            t[nt].s = line + i;
            t[nt].n = j - i;
            t[nt].col = (unsigned)i + 1;
            nt++;
            i = j;
        }
        line += len;
        if (*line == '\n')
            line++;
        if (nt == 0)
            continue;
        if (tok_is(&t[0], "}")) {
            if (nt != 1)
                return perr(&p, t[1].col, "nothing may follow '}' on its line");
            if (depth == 0)
                return perr(&p, t[0].col, "'}' closes no block");
            uint16_t at = open[--depth];
            out->ops[at].body = (uint16_t)(out->n - at - 1);
            continue;
        }
        if (tok_is(&t[0], "version")) {
            unsigned long long v;
            if (saw_op)
                return perr(&p, t[0].col, "'version' must come before the first operation");
            if (nt != 2 || parse_number(&t[1], 255, &v))
                return perr(&p, t[0].col, "version takes one number");
            if (v != KFH_SCENARIO_VERSION)
                return perr(&p, t[1].col, "unknown scenario format version %llu (this build reads version %d)",
                            v, KFH_SCENARIO_VERSION);
            out->version = (uint8_t)v;
            continue;
        }
        saw_op = 1;
        if (out->n >= KFH_MAX_OPS)
            return perr(&p, t[0].col, "more than %d operations", KFH_MAX_OPS);
        kfh_op op;
        int opens;
        if (parse_op(&p, t, nt, &op, &opens))
            return -1;
        op.depth = (uint8_t)depth;
        if (opens && depth >= KFH_MAX_DEPTH)
            return perr(&p, t[nt - 1].col, "blocks nested deeper than %d", KFH_MAX_DEPTH);
        uint16_t at = out->n++;
        out->ops[at] = op;
        if (opens)
            open[depth++] = at;
    }
    if (depth > 0) {
        p.line++;
        return perr(&p, 1, "end of text inside a block opened by '%s' (a '}' is missing)",
                    kfh_op_name(out->ops[open[depth - 1]].code));
    }
    return 0;
}

/* ---- Files --------------------------------------------------------------------------- */

#define MAX_FILE (1u << 20)

int kfh_scenario_load(const char *path, kfh_scenario *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    int rd_err = ferror(f);
    fclose(f);
    int rc = -1;
    char sub[400];
    if (rd_err) {
        snprintf(err, errlen, "%s: read error", path);
    } else if (n > MAX_FILE) {
        snprintf(err, errlen, "%s: larger than %u bytes; not a scenario", path, MAX_FILE);
    } else if (n == 0) {
        snprintf(err, errlen, "%s: empty file; not a scenario", path);
    } else if ((unsigned char)buf[0] < 0x09) {
        /* The byte form: its first byte is the version, a control character. */
        if (kfh_scenario_decode((const uint8_t *)buf, n, out, sub, sizeof sub))
            snprintf(err, errlen, "%s: %s", path, sub);
        else
            rc = 0;
    } else if (memchr(buf, 0, n)) {
        snprintf(err, errlen, "%s: binary data that is not a scenario (scenario bytes start with the "
                              "version byte 0x%02x; text has no NUL bytes)", path, KFH_SCENARIO_VERSION);
    } else {
        buf[n] = 0;
        if (kfh_scenario_parse(buf, out, sub, sizeof sub))
            snprintf(err, errlen, "%s: %s", path, sub);
        else
            rc = 0;
    }
    free(buf);
    return rc;
}
