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
    int n = kfh_vformat(o->len < o->cap ? o->b + o->len : NULL, o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
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
static const char *const then_names[KFH_THEN_COUNT] = {"nothing", "free", "reuse", "reissue"};
static const char *const async_irql_names[KFH_ASYNC_IRQL_COUNT] = {"0", "1", "2"};

/* ---- The minifilter operations of version 4 (tables in scenario_mf.c) ---- */

/* An extension the text form writes as it is: 1 to 4 of these characters, not starting 0x. */
static int ext_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           c == '~';
}

static int ext_literal(const char *e)
{
    if (!e[0] || (e[0] == '0' && (e[1] == 'x' || e[1] == 'X')))
        return 0;
    for (const char *c = e; *c; c++)
        if (!ext_char(*c))
            return 0;
    return 1;
}

static const char *const mf_opt_names[5] = {"delete_on_close", "sync", "no_buffering", "write_through",
                                            "open_reparse"};
static const char *const mf_attr_names[3] = {"readonly", "hidden", "system"};

static void format_mf_op(out *o, const kfh_op *op)
{
    switch (op->code) {
    case KFH_OP_MF_CREATE: {
        char ext[5];
        kfh_mf_ext_text(op->size_raw, ext);
        put(o, " %u vol=%u name=%s", op->a & 7u, (op->a >> 3) & 3u, kfh_mf_name_key(op->b));
        if (!ext[0])
            put(o, " ext=-");
        else if (ext_literal(ext))
            put(o, " ext=%s", ext);
        else
            put(o, " ext=0x%x", (unsigned)op->size_raw);
        put(o, " disp=%s access=%s attr=", kfh_mf_disposition_name(op->c & 7u),
            kfh_mf_access_name(op->size_sel & 3u));
        unsigned attr = (op->size_sel >> 2) & 7u;
        if (!attr)
            put(o, "normal");
        for (int i = 0, first = 1; i < 3; i++)
            if (attr & (1u << i)) {
                put(o, "%s%s", first ? "" : ",", mf_attr_names[i]);
                first = 0;
            }
        put(o, " lower=%s", kfh_mf_answer_name(op->size_sel >> 5));
        put(o, " opts=");
        if (!(op->c & 0xF8))
            put(o, "none");
        for (int i = 0, first = 1; i < 5; i++)
            if (op->c & (0x08u << i)) {
                put(o, "%s%s", first ? "" : ",", mf_opt_names[i]);
                first = 0;
            }
        if (op->a & KFH_MF_EXISTS)
            put(o, " exists");
        if (op->a & KFH_MF_DIRECTORY)
            put(o, " directory");
        if (op->a & KFH_MF_KERNEL)
            put(o, " kernel");
        break;
    }
    case KFH_OP_MF_IO:
        put(o, " %u %s irql=%u lower=%s v=0x%02x length=0x%x offset=0x%x", op->a & 7u, kfh_mf_io_name(op->b),
            (op->a >> 3) & 3u, kfh_mf_answer_name(op->a >> 5), op->c, (unsigned)(op->size_raw & 0xFFFF),
            (unsigned)(op->size_raw >> 16) * 512u);
        break;
    case KFH_OP_MF_DETACH:
        put(o, " %u %s", op->a, op->b ? "dismount" : "manual");
        break;
    case KFH_OP_MF_UNLOAD:
        if (op->a)
            put(o, " mandatory");
        break;
    default:
        break;
    }
}

/* The owner of a context operation: "instance volume=0", "stream volume=1 file=2". */
static void put_ctx_owner(out *o, uint8_t b)
{
    unsigned kind = b & KFH_CTX_KIND_MASK;
    put(o, "%s volume=%u", kfh_ctx_kind_name(kind), (b >> KFH_CTX_VOL_SHIFT) & 3u);
    if (kind == KFH_CTX_STREAM || kind == KFH_CTX_HANDLE)
        put(o, " file=%u", (b >> KFH_CTX_FILE_SHIFT) & 3u);
}

/* The extra create parameter operations of version 15. */
static void format_ecp_op(out *o, const kfh_op *op)
{
    const char *w;
    switch (op->code) {
    case KFH_OP_ECP_LIST_ALLOC:
        w = kfh_ecpl_misuse_name(op->b >> 1);
        put(o, " %u%s%s%s", op->a, (op->b & 1) ? " quota" : "", *w ? " " : "", w);
        break;
    case KFH_OP_ECP_ALLOC:
        w = kfh_ecp_misuse_name(op->b >> 5);
        put(o, " %u type=%u size=%s%s", op->a, op->b & 3u, kfh_ecp_size_name(op->c),
            (op->b & KFH_ECP_NONPAGED) ? " nonpaged" : "");
        if (op->b & KFH_ECP_FROM_LA)
            put(o, " lookaside=%u", (op->b >> 4) & 1u);
        put(o, "%s%s", *w ? " " : "", w);
        break;
    case KFH_OP_ECP_LIST_FREE:
    case KFH_OP_ECP_FREE:
        w = kfh_ecp_pass_name(op->b);
        put(o, " %u%s%s", op->a, *w ? " " : "", w);
        break;
    case KFH_OP_ECP_REMOVE:
    case KFH_OP_ECP_FIND:
        put(o, " %u type=%u into=%u", op->a, op->b, op->c);
        break;
    case KFH_OP_ECP_NEXT:
        put(o, " %u", op->a);
        if (op->b == KFH_ECP_NEXT_NULL_LIST)
            put(o, " null_list");
        else if (op->b != KFH_ECP_NEXT_FIRST)
            put(o, " after=%u", op->b - KFH_ECP_NEXT_AFTER0);
        put(o, " into=%u", op->c);
        break;
    case KFH_OP_ECP_MARK:
        put(o, " %u %s", op->a, kfh_ecp_mark_name(op->b));
        break;
    case KFH_OP_ECP_LOOKASIDE:
        w = kfh_ecp_la_misuse_name(op->b >> 2);
        put(o, " %u %s%s%s%s", op->a, (op->b & KFH_ECP_LA_DELETE) ? "delete" : "init",
            (op->b & KFH_ECP_LA_NONPAGED) ? " nonpaged" : "", *w ? " " : "", w);
        break;
    case KFH_OP_ECP_DONE:
        put(o, " %u", op->a);
        break;
    case KFH_OP_ECP_ATTACH:
        put(o, " %u n=%u%s%s", op->a, op->b & 3u, (op->b & KFH_ECP_ATTACH_USER) ? " user" : "",
            (op->b & KFH_ECP_ATTACH_ACKED) ? " acked" : "");
        break;
    default: /* ecp_insert, ecp_get, ecp_set: two slots */
        put(o, " %u %u", op->a, op->b);
        break;
    }
}

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
    case KFH_OP_FLT_START:
    case KFH_OP_SYNC_IO:
    case KFH_OP_CBD_REUSE:
        put(o, " %u", op->a);
        break;
    case KFH_OP_CBD_ALLOC:
        put(o, " %u%s%s%s volume=%u flags=0x%x", op->a, (op->b & KFH_CBD_EX) ? " ex" : "",
            (op->b & KFH_CBD_NULL_INSTANCE) ? " null_instance" : "", (op->b & KFH_CBD_FILE) ? " file" : "",
            (unsigned)(op->b >> 3) & 3, (unsigned)kfh_alloc_flags_at(op->c));
        break;
    case KFH_OP_IOPB:
        put(o, " %u %s minor=%u irp=%s length=0x%x", op->a, kfh_major_name(op->b), op->c & 3u,
            kfh_irpflags_name((op->c >> 2) & 3u), (unsigned)op->size_raw);
        break;
    case KFH_OP_ASYNC_IO:
        put(o, " %u then=%s %s irql=%s", op->a, then_names[op->b % KFH_THEN_COUNT], (op->c & 1) ? "deferred" : "inline",
            async_irql_names[(op->c >> 1) % KFH_ASYNC_IRQL_COUNT]);
        break;
    case KFH_OP_CBD_FREE:
        put(o, " %u%s", op->a, op->b == KFH_FREE_AGAIN ? " again" : op->b == KFH_FREE_FOREIGN ? " foreign" : "");
        break;
    case KFH_OP_LOWER:
        if (op->a == 0)
            put(o, " default");
        else
            put(o, " %s info=0x%x", kfh_status_name(kfh_lower_status_at(op->a)), (unsigned)op->size_raw);
        break;
    case KFH_OP_TEARDOWN:
        put(o, " %u %s", op->a, op->b ? "on" : "off");
        break;
    case KFH_OP_MSG_WORD:
        put(o, " 0x%08x", (unsigned)op->size_raw);
        break;
    case KFH_OP_PORT_CONNECT:
        put(o, " %u port=%u context=%u", op->a, op->b, (unsigned)op->size_raw);
        break;
    case KFH_OP_MSG_SEND:
        put(o, " %u", op->a);
        if (op->b & KFH_SEND_NO_INPUT)
            put(o, " in=none");
        else
            put(o, " in=%u", (unsigned)KFH_SEND_IN(op));
        if (op->b & KFH_SEND_NO_OUTPUT)
            put(o, " out=none");
        else
            put(o, " out=%u", (unsigned)KFH_SEND_OUT(op));
        break;
    case KFH_OP_PORT_ANSWER:
        put(o, " %u %s", op->a, kfh_answer_name(op->b));
        if (op->b == KFH_ANSWER_REPLY)
            put(o, " size=%u", (unsigned)op->size_raw);
        break;
    case KFH_OP_PORT_DISCONNECT:
        put(o, " %u", op->a);
        break;
    case KFH_OP_REG_VALUE:
        put(o, " %u %s", op->a, kfh_reg_type_name(op->b & KFH_REG_TYPE_MASK));
        if ((op->b & KFH_REG_TYPE_MASK) != KFH_REG_ABSENT)
            put(o, " length=%u data=0x%08x%s", (unsigned)op->c * 2u + ((op->b & KFH_REG_LENGTH_ODD) ? 1u : 0u),
                (unsigned)op->size_raw, (op->b & KFH_REG_TERMINATED) ? " terminated" : "");
        break;
    case KFH_OP_FILE:
        put(o, " %u volume=%u%s%s", op->a, op->b & KFH_FILE_VOLUME_MASK, (op->b & KFH_FILE_READONLY) ? " readonly" : "",
            (op->b & KFH_FILE_HIDDEN) ? " hidden" : "");
        if (op->b & KFH_FILE_DIRECTORY)
            put(o, " directory");
        else
            put(o, " size=%u data=0x%08x", (unsigned)op->c | ((unsigned)op->size_sel << 8), (unsigned)op->size_raw);
        break;
    case KFH_OP_MF_CREATE:
    case KFH_OP_MF_IO:
    case KFH_OP_MF_DETACH:
    case KFH_OP_MF_UNLOAD:
        format_mf_op(o, op);
        break;
    case KFH_OP_MF_ATTACH:
        put(o, " %u", op->a);
        break;
    case KFH_OP_CTX_ALLOC:
        put(o, " %u %s pool=%s size=%s", op->a, kfh_ctx_type_name(op->b & 7u), kfh_ctx_pool_name((op->b >> 3) & 3u),
            kfh_ctx_size_name(op->c));
        break;
    case KFH_OP_CTX_SET:
        put(o, " %u ", op->a);
        put_ctx_owner(o, op->b);
        put(o, " %s", kfh_ctx_op_name(op->c & 3u));
        if (op->c & KFH_CTX_WITH_OLD)
            put(o, " old=%u", (unsigned)op->c >> KFH_CTX_OLD_SHIFT);
        break;
    case KFH_OP_CTX_GET:
        put(o, " %u ", op->a);
        put_ctx_owner(o, op->b);
        if (op->b & KFH_CTX_FLAG)
            put(o, " null_out");
        break;
    case KFH_OP_CTX_DELETE:
        put(o, " ");
        put_ctx_owner(o, op->b);
        if (op->b & KFH_CTX_FLAG)
            put(o, " old=%u", op->a);
        break;
    case KFH_OP_CTX_REF:
        put(o, " %u %u", op->a, op->b);
        break;
    case KFH_OP_CTX_RELEASE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_ctx_release_name(op->b));
        break;
    case KFH_OP_CTX_UNLINK:
    case KFH_OP_NAME_PARSE:
        put(o, " %u", op->a);
        break;
    case KFH_OP_NAME_GET:
        put(o, " %u %u format=%s method=%s name=%u", op->a, op->b, kfh_name_format_name(op->c & 3u),
            kfh_name_method_name((op->c >> 2) & 7u), op->size_sel);
        break;
    case KFH_OP_NAME_REF:
        put(o, " %u %u", op->a, op->b);
        break;
    case KFH_OP_NAME_RELEASE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_name_release_name(op->b));
        break;
    case KFH_OP_WI_ALLOC:
        put(o, " %u", op->a);
        break;
    case KFH_OP_WI_QUEUE:
        put(o, " %u %s then=%s%s", op->a, kfh_wi_object_name(op->b & 7), kfh_wi_do_name(op->c & 3),
            (op->c & KFH_WI_DELAYED) ? " delayed" : "");
        if (op->b >> 3)
            put(o, " %s", kfh_wi_misuse_name(op->b >> 3));
        break;
    case KFH_OP_WI_FREE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_wi_free_name(op->b));
        break;
    case KFH_OP_DW_ALLOC:
    case KFH_OP_CQ_ENABLE:
    case KFH_OP_CQ_DISABLE:
        put(o, " %u", op->a);
        break;
    case KFH_OP_DW_QUEUE:
        put(o, " %u cbd=%u then=%s%s", op->a, op->b & 3, kfh_wi_do_name(op->c & 3),
            (op->c & KFH_WI_DELAYED) ? " delayed" : "");
        if (op->b >> 2)
            put(o, " %s", kfh_dw_misuse_name(op->b >> 2));
        break;
    case KFH_OP_DW_FREE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_dw_free_name(op->b));
        break;
    case KFH_OP_CQ_INIT:
        put(o, " %u volume=%u", op->a, op->b & 3);
        if ((op->b >> 2) == KFH_CQ_INIT_FOREIGN_INSTANCE)
            put(o, " foreign_instance");
        else if (op->b >> 2)
            put(o, " null=%u", op->b >> 2);
        break;
    case KFH_OP_CQ_INSERT:
        put(o, " %u cbd=%u%s", op->a, op->b & 3, (op->b & 4) ? " context" : "");
        if (op->c & 3)
            put(o, " answer=%s", kfh_cq_answer_name(op->c & 3));
        if (op->b >> 3)
            put(o, " %s", kfh_cq_mis_name(op->b >> 3));
        if (op->c >> 2)
            put(o, " %s", kfh_cq_bad_name(op->c >> 2));
        break;
    case KFH_OP_CQ_REMOVE:
    case KFH_OP_CQ_CANCEL:
        put(o, " %u cbd=%u%s", op->a, op->b & 3, (op->b & 4) ? " null_context" : "");
        if (op->c >> 2)
            put(o, " %s", kfh_cq_bad_name(op->c >> 2));
        break;
    case KFH_OP_CQ_NEXT:
        put(o, " %u", op->a);
        if (op->b)
            put(o, " peek=%u", op->b - 1);
        if (op->c >> 2)
            put(o, " %s", kfh_cq_bad_name(op->c >> 2));
        break;
    case KFH_OP_SD_BUILD:
        put(o, " %u%s", op->a, op->b ? " null" : "");
        break;
    case KFH_OP_SD_FREE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_sd_free_name(op->b));
        break;
    case KFH_OP_PORT_CREATE:
        put(o, " %u name=%u max=%u%s%s%s%s", op->a, op->b & 3u, (op->b >> 2) & 3u, (op->b & KFH_PC_CASE) ? " case" : "",
            (op->b & KFH_PC_NO_MESSAGE) ? " no_message" : "", op->c ? " " : "", kfh_pc_misuse_name(op->c));
        break;
    case KFH_OP_PORT_CLOSE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_pcl_name(op->b));
        break;
    case KFH_OP_PORT_CLOSE_CLIENT:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_pcc_name(op->b));
        break;
    case KFH_OP_PORT_SEND:
        put(o, " %u in=%u", op->a, op->b);
        if (op->c & KFH_PS_REPLY)
            put(o, " reply=%u", op->c & 0x7Fu);
        else
            put(o, " reply=none");
        put(o, " timeout=%s%s%s", kfh_ps_timeout_name(op->size_sel & 3), (op->size_sel >> 2) ? " " : "",
            kfh_ps_misuse_name(op->size_sel >> 2));
        break;
    case KFH_OP_OBJ_GET:
        put(o, " %u %s %u%s%s", op->a, kfh_obj_from_name(op->b & 7), (op->b >> 3) & 3, (op->b >> 5) ? " " : "",
            kfh_obj_name_form(op->b >> 5));
        break;
    case KFH_OP_OBJ_REF:
    case KFH_OP_OBJ_DEREF:
        put(o, " %u%s", op->a, op->b ? " foreign" : "");
        break;
    case KFH_OP_OBJ_QUERY:
        put(o, " %u %s %s", op->a, kfh_obj_query_name(op->b), kfh_obj_buf_name(op->c));
        break;
    case KFH_OP_OBJ_ENUM:
        put(o, " %u %s %u", op->a, kfh_obj_enum_name(op->b), op->c);
        break;
    case KFH_OP_APOOL_ALLOC:
        put(o, " %u volume=%u size=%u%s", op->a, op->b & 3, (unsigned)kfh_apool_size((op->b >> 3) & 3),
            (op->b & KFH_APOOL_PAGED) ? " paged" : "");
        break;
    case KFH_OP_APOOL_FREE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_apool_free_name(op->b));
        break;
    case KFH_OP_ECP_LIST_ALLOC:
    case KFH_OP_ECP_ALLOC:
    case KFH_OP_ECP_LIST_FREE:
    case KFH_OP_ECP_FREE:
    case KFH_OP_ECP_INSERT:
    case KFH_OP_ECP_REMOVE:
    case KFH_OP_ECP_FIND:
    case KFH_OP_ECP_NEXT:
    case KFH_OP_ECP_MARK:
    case KFH_OP_ECP_LOOKASIDE:
    case KFH_OP_ECP_GET:
    case KFH_OP_ECP_SET:
    case KFH_OP_ECP_DONE:
    case KFH_OP_ECP_ATTACH:
        format_ecp_op(o, op);
        break;
    case KFH_OP_FIO_CREATE: {
        static const char *const kind[4] = {"", " directory", " non_directory", " directory non_directory"};
        static const char *const routine[4] = {"", " ex", " ex2", ""};
        put(o, " %u volume=%u name=%u %s%s%s%s%s", op->a, op->b & 3, op->size_sel,
            kfh_fio_disposition_name(op->c & KFH_FIO_DISPOSITION), routine[(op->b >> 2) & 3],
            kind[(op->c >> 3) & 3], (op->c & KFH_FIO_READ_ONLY) ? " read_only" : "",
            (op->b & KFH_FIO_ANY_INSTANCE) ? " any_instance" : "");
        if (op->b >> 5)
            put(o, " %s", kfh_fio_create_misuse_name(op->b >> 5));
        break;
    }
    case KFH_OP_FIO_CLOSE:
        put(o, " %u%s%s", op->a, op->b ? " " : "", kfh_fio_close_name(op->b));
        break;
    case KFH_OP_FIO_IO:
        put(o, " %u %s offset=%u length=%u%s", op->a, kfh_fio_io_name(op->b & 7), op->c, op->size_sel,
            (op->b & KFH_FIO_ASYNC) ? " async" : "");
        if ((op->b >> 4) & 7)
            put(o, " %s", kfh_fio_io_misuse_name((op->b >> 4) & 7));
        break;
    case KFH_OP_TXN_NEW:
        put(o, " %u", op->a);
        break;
    case KFH_OP_TXN_ENLIST:
        put(o, " %u mask=%u pending=%u%s", op->a, op->b, op->c & KFH_TXN_N_ALL,
            (op->c & KFH_TXN_BAD_ANSWER) ? " bad_answer" : "");
        break;
    case KFH_OP_TXN_END:
        put(o, " %u %s", op->a, kfh_txn_end_name(op->b));
        break;
    case KFH_OP_TXN_ACK:
        put(o, " %u %s", op->a, kfh_txn_ack_name(op->b));
        break;
    default:
        break;
    }
}

/* The runner traces the text of every operation it runs, and fuzzing runs the same operations
 * over and over: each text is kept in a small direct-mapped cache keyed by every field
 * format_op reads (code, a, b, c, size_sel and size_raw; besides those it reads only constant
 * tables), so a repeated operation costs a copy instead of a formatting. The text is the same
 * either way; a text longer than an entry is formatted every time. */
#define OP_TEXT_SLOTS 512
#define OP_TEXT_MAX 111
typedef struct op_text {
    uint32_t fields, size_raw; /* code, a, b, c; size_raw */
    uint8_t size_sel, len;     /* len 0: the entry is empty (no operation's text is empty) */
    char text[OP_TEXT_MAX + 1];
} op_text;
static op_text op_texts[OP_TEXT_SLOTS];

size_t kfh_op_format(const kfh_op *op, char *buf, size_t cap)
{
    uint32_t fields = (uint32_t)op->code | (uint32_t)op->a << 8 | (uint32_t)op->b << 16 | (uint32_t)op->c << 24;
    uint32_t h = (fields * 0x9E3779B1u) ^ (op->size_raw * 0x85EBCA77u) ^ op->size_sel;
    op_text *e = &op_texts[(h ^ h >> 16) % OP_TEXT_SLOTS];
    if (e->len && e->fields == fields && e->size_raw == op->size_raw && e->size_sel == op->size_sel) {
        if (cap) {
            size_t n = e->len < cap ? e->len : cap - 1;
            memcpy(buf, e->text, n);
            buf[n] = 0;
        }
        return e->len;
    }
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    format_op(&o, op);
    if (o.len && o.len <= OP_TEXT_MAX && o.len < cap) {
        memcpy(e->text, buf, o.len + 1);
        e->len = (uint8_t)o.len;
        e->fields = fields;
        e->size_raw = op->size_raw;
        e->size_sel = op->size_sel;
    }
    return o.len;
}

size_t kfh_scenario_format(const kfh_scenario *s, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    if (cap)
        buf[0] = 0;
    uint16_t end_at[KFH_MAX_DEPTH + 1];
    unsigned open = 0;
    uint8_t version = s->version ? s->version : 1;
    if (version < kfh_scenario_min_version(s))
        version = kfh_scenario_min_version(s);
    put(&o, "version %u\n", version);
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

static int parse_small(parser *p, const tok *t, unsigned max, const char *what, uint8_t *v)
{
    unsigned long long x;
    if (parse_number(t, max, &x))
        return perr(p, t->col, "'%.*s' is not %s (0..%u)", (int)t->n, t->s, what, max);
    *v = (uint8_t)x;
    return 0;
}

/* "key=value" with the value as a token of its own; NULL when t is not that key. */
static int key_value(const tok *t, const char *key, tok *v)
{
    size_t k = strlen(key);
    if (t->n <= k + 1 || strncmp(t->s, key, k) || t->s[k] != '=')
        return 0;
    v->s = t->s + k + 1;
    v->n = t->n - k - 1;
    v->col = t->col + (unsigned)k + 1;
    return 1;
}

/* The Filter Manager operations of version 2. Returns 1 when code is not one of them. */
static int parse_flt_op(parser *p, tok *t, int nt, kfh_op *op)
{
    tok v;
    switch (op->code) {
    case KFH_OP_FLT_START:
        if (nt != 2)
            return perr(p, t[0].col, "flt_start takes the number of volumes (0..%d)", KFH_FLT_VOLUMES);
        return parse_small(p, &t[1], KFH_FLT_VOLUMES, "a volume count", &op->a);
    case KFH_OP_SYNC_IO:
    case KFH_OP_CBD_REUSE:
        if (nt != 2)
            return perr(p, t[0].col, "%s takes a callback data slot", kfh_op_name(op->code));
        return parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a);
    case KFH_OP_RUN_PENDING:
    case KFH_OP_FLT_UNREGISTER:
        if (nt != 1)
            return perr(p, t[1].col, "%s takes no argument", kfh_op_name(op->code));
        return 0;
    case KFH_OP_CBD_ALLOC: {
        int have_volume = 0, have_flags = 0;
        if (nt < 2 || parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a))
            return nt < 2 ? perr(p, t[0].col, "cbd_alloc takes a slot, then its arguments") : -1;
        for (int i = 2; i < nt; i++) {
            if (tok_is(&t[i], "ex"))
                op->b |= KFH_CBD_EX;
            else if (tok_is(&t[i], "null_instance"))
                op->b |= KFH_CBD_NULL_INSTANCE;
            else if (tok_is(&t[i], "file"))
                op->b |= KFH_CBD_FILE;
            else if (key_value(&t[i], "volume", &v)) {
                uint8_t vol = 0;
                if (parse_small(p, &v, KFH_FLT_VOLUMES - 1, "a volume", &vol))
                    return -1;
                op->b = (uint8_t)((op->b & 7) | (vol << 3));
                have_volume = 1;
            } else if (key_value(&t[i], "flags", &v)) {
                unsigned long long f;
                int found = 0;
                if (!parse_number(&v, 0xFFFFFFFFull, &f))
                    for (uint8_t k = 0; k < KFH_ALLOC_FLAGS_COUNT; k++)
                        if (kfh_alloc_flags_at(k) == f) {
                            op->c = k;
                            found = 1;
                        }
                if (!found)
                    return perr(p, v.col, "'%.*s' is not a flags value a scenario can use (0x0, 0x1, 0x2, 0x80000001)",
                                (int)v.n, v.s);
                have_flags = 1;
            } else
                return perr(p, t[i].col, "'%.*s' is not a cbd_alloc argument (ex, null_instance, file, volume=N, "
                            "flags=X)", (int)t[i].n, t[i].s);
        }
        if (!have_volume || !have_flags)
            return perr(p, t[0].col, "cbd_alloc needs volume=N and flags=X");
        return 0;
    }
    case KFH_OP_IOPB: {
        uint8_t minor = 0, irp = 0;
        int found = 0;
        unsigned long long len;
        if (nt != 6)
            return perr(p, t[0].col, "iopb takes SLOT MAJOR minor=N irp=FLAGS length=N");
        if (parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a))
            return -1;
        for (uint8_t k = 0; k < KFH_MAJOR_COUNT; k++)
            if (tok_is(&t[2], kfh_major_name(k))) {
                op->b = k;
                found = 1;
            }
        if (!found)
            return perr(p, t[2].col, "'%.*s' is not a major function a scenario can use", (int)t[2].n, t[2].s);
        if (!key_value(&t[3], "minor", &v))
            return perr(p, t[3].col, "expected minor=N");
        if (parse_small(p, &v, 3, "a minor function", &minor))
            return -1;
        if (!key_value(&t[4], "irp", &v))
            return perr(p, t[4].col, "expected irp=FLAGS");
        found = 0;
        for (uint8_t k = 0; k < KFH_IRPFLAGS_COUNT; k++)
            if (tok_is(&v, kfh_irpflags_name(k))) {
                irp = k;
                found = 1;
            }
        if (!found)
            return perr(p, v.col, "'%.*s' is not an IrpFlags name (none, synchronous_api, paging_io, nocache)",
                        (int)v.n, v.s);
        if (!key_value(&t[5], "length", &v) || parse_number(&v, 0xFFFFFFFFull, &len))
            return perr(p, t[5].col, "expected length=N (up to 0xffffffff)");
        op->c = (uint8_t)(minor | (irp << 2));
        op->size_raw = (uint32_t)len;
        return 0;
    }
    case KFH_OP_ASYNC_IO: {
        uint8_t then = 0, irql = 0;
        int found = 0;
        if (nt != 5)
            return perr(p, t[0].col, "async_io takes SLOT then=ACTION inline|deferred irql=N");
        if (parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a))
            return -1;
        if (key_value(&t[2], "then", &v))
            for (uint8_t k = 0; k < KFH_THEN_COUNT; k++)
                if (tok_is(&v, then_names[k])) {
                    then = k;
                    found = 1;
                }
        if (!found)
            return perr(p, t[2].col, "expected then=nothing, then=free, then=reuse or then=reissue");
        if (!tok_is(&t[3], "inline") && !tok_is(&t[3], "deferred"))
            return perr(p, t[3].col, "expected inline or deferred");
        if (!key_value(&t[4], "irql", &v) || parse_small(p, &v, KFH_ASYNC_IRQL_COUNT - 1, "a completion IRQL", &irql))
            return perr(p, t[4].col, "expected irql=0, irql=1 or irql=2 (completions never run higher)");
        op->b = then;
        op->c = (uint8_t)(tok_is(&t[3], "deferred") | (irql << 1));
        return 0;
    }
    case KFH_OP_CBD_FREE:
        if (nt == 2 || (nt == 3 && (tok_is(&t[2], "again") || tok_is(&t[2], "foreign")))) {
            op->b = nt == 2 ? KFH_FREE_SLOT : tok_is(&t[2], "again") ? KFH_FREE_AGAIN : KFH_FREE_FOREIGN;
            return parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a);
        }
        return perr(p, nt == 3 ? t[2].col : t[0].col, "cbd_free takes a slot and optionally 'again' or 'foreign'");
    case KFH_OP_LOWER:
        if (nt == 2 && tok_is(&t[1], "default"))
            return 0;
        if (nt == 3) {
            unsigned long long info;
            for (uint8_t k = 1; k < KFH_LOWER_COUNT; k++)
                if (tok_is(&t[1], kfh_status_name(kfh_lower_status_at(k)))) {
                    if (!key_value(&t[2], "info", &v) || parse_number(&v, 0xFFFFFFFFull, &info))
                        return perr(p, t[2].col, "expected info=N (up to 0xffffffff)");
                    op->a = k;
                    op->size_raw = (uint32_t)info;
                    return 0;
                }
            return perr(p, t[1].col, "'%.*s' is not a status the lower layers can answer (STATUS_SUCCESS, "
                        "STATUS_END_OF_FILE, STATUS_NO_MORE_FILES, STATUS_BUFFER_OVERFLOW, STATUS_ACCESS_DENIED, "
                        "STATUS_INVALID_DEVICE_REQUEST, STATUS_INSUFFICIENT_RESOURCES)", (int)t[1].n, t[1].s);
        }
        return perr(p, t[0].col, "lower takes 'default', or a status and info=N");
    case KFH_OP_TEARDOWN:
        if (nt == 3 && (tok_is(&t[2], "on") || tok_is(&t[2], "off"))) {
            op->b = tok_is(&t[2], "on");
            return parse_small(p, &t[1], KFH_FLT_VOLUMES - 1, "a volume", &op->a);
        }
        return perr(p, nt == 3 ? t[2].col : t[0].col, "teardown takes a volume and on or off");
    case KFH_OP_REG_VALUE: {
        int type = -1;
        if (nt >= 3)
            for (int k = 0; k < KFH_REG_TYPES; k++)
                if (tok_is(&t[2], kfh_reg_type_name((size_t)k)))
                    type = k;
        if (nt < 3 || type < 0)
            return perr(p, nt >= 3 ? t[2].col : t[0].col,
                        "reg_value takes a value index and a type (REG_DWORD, REG_SZ, REG_BINARY, REG_MULTI_SZ, "
                        "REG_QWORD, REG_EXPAND_SZ, REG_NONE or absent)");
        if (parse_small(p, &t[1], KFH_REG_VALUES - 1, "a registry value index", &op->a))
            return -1;
        op->b = (uint8_t)type;
        if (type == KFH_REG_ABSENT)
            return nt == 3 ? 0 : perr(p, t[3].col, "an absent value takes no length, data or terminated");
        unsigned long long len, data;
        if (nt < 5 || nt > 6 || !key_value(&t[3], "length", &v) || parse_number(&v, 511, &len))
            return perr(p, nt > 3 ? t[3].col : t[0].col, "expected length=N (0 to 511), data=0xWORD and "
                        "optionally terminated");
        if (!key_value(&t[4], "data", &v) || parse_number(&v, 0xFFFFFFFFull, &data))
            return perr(p, t[4].col, "expected data=N (up to 0xffffffff)");
        if (nt == 6 && !tok_is(&t[5], "terminated"))
            return perr(p, t[5].col, "expected 'terminated' or nothing");
        op->c = (uint8_t)(len / 2);
        op->b |= (uint8_t)((len & 1 ? KFH_REG_LENGTH_ODD : 0) | (nt == 6 ? KFH_REG_TERMINATED : 0));
        op->size_raw = (uint32_t)data;
        return 0;
    }
    case KFH_OP_FILE: {
        unsigned long long size = 0, data = 0;
        int have_volume = 0, have_size = 0, have_data = 0;
        if (nt < 2 || parse_small(p, &t[1], KFH_FILE_NAMES - 1, "a file name index", &op->a))
            return nt < 2 ? perr(p, t[0].col, "file takes a name index (0..%d), then its arguments", KFH_FILE_NAMES - 1)
                          : -1;
        for (int i = 2; i < nt; i++) {
            if (tok_is(&t[i], "readonly") && !(op->b & KFH_FILE_READONLY))
                op->b |= KFH_FILE_READONLY;
            else if (tok_is(&t[i], "hidden") && !(op->b & KFH_FILE_HIDDEN))
                op->b |= KFH_FILE_HIDDEN;
            else if (tok_is(&t[i], "directory") && !(op->b & KFH_FILE_DIRECTORY))
                op->b |= KFH_FILE_DIRECTORY;
            else if (key_value(&t[i], "volume", &v) && !have_volume) {
                uint8_t vol = 0;
                if (parse_small(p, &v, KFH_FILE_VOLUME_MASK, "a volume", &vol))
                    return -1;
                op->b |= vol;
                have_volume = 1;
            } else if (key_value(&t[i], "size", &v) && !have_size) {
                if (parse_number(&v, 0xFFFF, &size))
                    return perr(p, v.col, "expected size=N (0 to 65535)");
                have_size = 1;
            } else if (key_value(&t[i], "data", &v) && !have_data) {
                if (parse_number(&v, 0xFFFFFFFFull, &data))
                    return perr(p, v.col, "expected data=N (up to 0xffffffff)");
                have_data = 1;
            } else
                return perr(p, t[i].col, "'%.*s' is not a file argument (volume=N, readonly, hidden, directory, "
                            "size=N, data=0xWORD), or it is repeated", (int)t[i].n, t[i].s);
        }
        if (!have_volume)
            return perr(p, t[0].col, "file needs volume=N");
        if ((op->b & KFH_FILE_DIRECTORY) ? (have_size || have_data) : (!have_size || !have_data))
            return perr(p, t[0].col, "a file takes size=N and data=0xWORD; a directory takes neither");
        op->c = (uint8_t)(size & 0xFF);
        op->size_sel = (uint8_t)(size >> 8);
        op->size_raw = (uint32_t)data;
        return 0;
    }
    default:
        return 1;
    }
}

/* A byte count of the message buffer ("key=N", 0 to KFH_MSG_MAX; "key=none" too when
 * none_ok, which sets *none). */
static int parse_msg_size(parser *p, const tok *t, const char *key, int none_ok, uint32_t *v, int *none)
{
    tok val;
    unsigned long long x;
    if (!key_value(t, key, &val))
        return perr(p, t->col, "expected %s=N (0 to %d)%s", key, KFH_MSG_MAX, none_ok ? " or none" : "");
    if (none_ok && tok_is(&val, "none")) {
        *none = 1;
        *v = 0;
        return 0;
    }
    if (parse_number(&val, KFH_MSG_MAX, &x))
        return perr(p, val.col, "'%.*s' is not a byte count of the message buffer (0 to %d)%s", (int)val.n, val.s,
                    KFH_MSG_MAX, none_ok ? " or none" : "");
    *v = (uint32_t)x;
    return 0;
}

/* The port client's operations of version 4. Returns 1 when code is not one of them. */
static int parse_client_op(parser *p, tok *t, int nt, kfh_op *op)
{
    tok v;
    unsigned long long x;
    switch (op->code) {
    case KFH_OP_MSG_WORD:
        if (nt != 2 || parse_number(&t[1], 0xFFFFFFFFull, &x))
            return perr(p, nt == 2 ? t[1].col : t[0].col, "msg_word takes one 32-bit word (up to 0xffffffff)");
        op->size_raw = (uint32_t)x;
        return 0;
    case KFH_OP_PORT_CONNECT: {
        if (nt != 4)
            return perr(p, t[0].col, "port_connect takes SLOT port=N context=N");
        if (parse_small(p, &t[1], KFH_CLIENT_SLOTS - 1, "a client slot", &op->a))
            return -1;
        if (!key_value(&t[2], "port", &v))
            return perr(p, t[2].col, "expected port=N (0..%d)", KFH_CLIENT_PORTS - 1);
        if (parse_small(p, &v, KFH_CLIENT_PORTS - 1, "a port index", &op->b))
            return -1;
        int none = 0;
        return parse_msg_size(p, &t[3], "context", 0, &op->size_raw, &none);
    }
    case KFH_OP_MSG_SEND: {
        uint32_t in = 0, out = 0;
        int no_in = 0, no_out = 0;
        if (nt != 4)
            return perr(p, t[0].col, "msg_send takes SLOT in=N|none out=N|none");
        if (parse_small(p, &t[1], KFH_CLIENT_SLOTS - 1, "a client slot", &op->a))
            return -1;
        if (parse_msg_size(p, &t[2], "in", 1, &in, &no_in) || parse_msg_size(p, &t[3], "out", 1, &out, &no_out))
            return -1;
        op->b = (uint8_t)((no_in ? KFH_SEND_NO_INPUT : 0) | (no_out ? KFH_SEND_NO_OUTPUT : 0));
        op->size_raw = in | out << 16;
        return 0;
    }
    case KFH_OP_PORT_ANSWER: {
        int answer = -1;
        if (nt >= 3)
            for (int k = 0; k < KFH_ANSWER_COUNT; k++)
                if (tok_is(&t[2], kfh_answer_name((size_t)k)))
                    answer = k;
        if (nt < 3 || answer < 0)
            return perr(p, nt >= 3 ? t[2].col : t[0].col,
                        "port_answer takes SLOT and reply size=N, no_reply, never_read or disconnect");
        if (parse_small(p, &t[1], KFH_CLIENT_SLOTS - 1, "a client slot", &op->a))
            return -1;
        op->b = (uint8_t)answer;
        if (answer != KFH_ANSWER_REPLY)
            return nt == 3 ? 0 : perr(p, t[3].col, "only a reply takes size=N");
        int none = 0;
        if (nt != 4)
            return perr(p, t[0].col, "port_answer SLOT reply takes size=N");
        return parse_msg_size(p, &t[3], "size", 0, &op->size_raw, &none);
    }
    case KFH_OP_PORT_DISCONNECT:
        if (nt != 2)
            return perr(p, t[0].col, "port_disconnect takes a client slot");
        return parse_small(p, &t[1], KFH_CLIENT_SLOTS - 1, "a client slot", &op->a);
    case KFH_OP_RUN_WORK:
        if (nt != 1)
            return perr(p, t[1].col, "run_work takes no argument");
        return 0;
    default:
        return 1;
    }
}

/* The minifilter operations of version 4. */
static int parse_table(parser *p, const tok *v, const char *(*name)(size_t), size_t n, const char *what, uint8_t *out)
{
    for (size_t k = 0; k < n; k++)
        if (tok_is(v, name(k))) {
            *out = (uint8_t)k;
            return 0;
        }
    return perr(p, v->col, "'%.*s' is not %s", (int)v->n, v->s, what);
}

/* A comma-separated list of names (each once), or `none` alone: the bits of the names. */
static int parse_word_list(parser *p, const tok *v, const char *none, const char *const *names, int n,
                           const char *what, unsigned *bits)
{
    *bits = 0;
    if (tok_is(v, none))
        return 0;
    size_t at = 0;
    while (at < v->n) {
        size_t e = at;
        while (e < v->n && v->s[e] != ',')
            e++;
        tok w = {v->s + at, e - at, v->col + (unsigned)at};
        int found = 0;
        for (int k = 0; k < n; k++)
            if (tok_is(&w, names[k]) && !(*bits & (1u << k))) {
                *bits |= 1u << k;
                found = 1;
            }
        if (!found)
            return perr(p, w.col, "'%.*s' is not %s, or it is given twice", (int)w.n, w.s, what);
        if (e + 1 == v->n)
            return perr(p, v->col, "a list does not end with a comma");
        at = e + 1;
    }
    return 0;
}

static int parse_mf_op(parser *p, tok *t, int nt, kfh_op *op)
{
    tok v;
    uint8_t x;
    switch (op->code) {
    case KFH_OP_MF_CREATE: {
        int seen = 0; /* bit per key: vol name ext disp access attr lower opts */
        if (nt < 2 || parse_small(p, &t[1], KFH_MF_SLOTS - 1, "a file slot", &x))
            return nt < 2 ? perr(p, t[0].col, "mf_create takes a file slot, then its arguments") : -1;
        op->a = x;
        for (int i = 2; i < nt; i++) {
            int key = -1;
            if (key_value(&t[i], "vol", &v)) {
                if (parse_small(p, &v, KFH_MF_VOLUMES - 1, "a volume", &x))
                    return -1;
                op->a = (uint8_t)(op->a | (x << 3));
                key = 0;
            } else if (key_value(&t[i], "name", &v)) {
                if (parse_table(p, &v, kfh_mf_name_key, KFH_MF_NAMES, "a name of the table", &op->b))
                    return -1;
                key = 1;
            } else if (key_value(&t[i], "ext", &v)) {
                char e[8];
                unsigned long long raw;
                if (v.n == 1 && v.s[0] == '-')
                    op->size_raw = 0;
                else if (v.n > 2 && v.s[0] == '0' && (v.s[1] == 'x' || v.s[1] == 'X')) {
                    if (parse_number(&v, 0xFFFFFFFFull, &raw) || raw == 0)
                        return perr(p, v.col, "'%.*s' is not an extension word", (int)v.n, v.s);
                    char text[5];
                    kfh_mf_ext_text((uint32_t)raw, text);
                    if (kfh_mf_ext_raw(text) != raw || ext_literal(text))
                        return perr(p, v.col, "0x%llx is not how the printer writes an extension", raw);
                    op->size_raw = (uint32_t)raw;
                } else {
                    if (v.n > 4)
                        return perr(p, v.col, "an extension has at most 4 characters");
                    memcpy(e, v.s, v.n);
                    e[v.n] = 0;
                    if (!ext_literal(e))
                        return perr(p, v.col, "'%s' is not an extension the text form writes as it is", e);
                    op->size_raw = kfh_mf_ext_raw(e);
                }
                key = 2;
            } else if (key_value(&t[i], "disp", &v)) {
                if (parse_table(p, &v, kfh_mf_disposition_name, KFH_MF_DISPOSITIONS, "a disposition", &x))
                    return -1;
                op->c = (uint8_t)(op->c | x);
                key = 3;
            } else if (key_value(&t[i], "access", &v)) {
                if (parse_table(p, &v, kfh_mf_access_name, KFH_MF_ACCESSES, "an access (read, write, read_write, "
                                "delete)", &x))
                    return -1;
                op->size_sel = (uint8_t)(op->size_sel | x);
                key = 4;
            } else if (key_value(&t[i], "attr", &v)) {
                unsigned attr = 0;
                if (parse_word_list(p, &v, "normal", mf_attr_names, 3, "an attribute (readonly, hidden, system)", &attr))
                    return -1;
                op->size_sel = (uint8_t)(op->size_sel | (attr << 2));
                key = 5;
            } else if (key_value(&t[i], "opts", &v)) {
                unsigned opts = 0;
                if (parse_word_list(p, &v, "none", mf_opt_names, 5, "a create option (delete_on_close, sync, "
                                    "no_buffering, write_through, open_reparse)", &opts))
                    return -1;
                op->c = (uint8_t)(op->c | (opts << 3));
                key = 7;
            } else if (key_value(&t[i], "lower", &v)) {
                if (parse_table(p, &v, kfh_mf_answer_name, KFH_MF_ANSWERS, "an answer of the layers below", &x))
                    return -1;
                op->size_sel = (uint8_t)(op->size_sel | (x << 5));
                key = 6;
            } else if (tok_is(&t[i], "exists") && !(op->a & KFH_MF_EXISTS)) {
                op->a |= KFH_MF_EXISTS;
                continue;
            } else if (tok_is(&t[i], "directory") && !(op->a & KFH_MF_DIRECTORY)) {
                op->a |= KFH_MF_DIRECTORY;
                continue;
            } else if (tok_is(&t[i], "kernel") && !(op->a & KFH_MF_KERNEL)) {
                op->a |= KFH_MF_KERNEL;
                continue;
            } else {
                return perr(p, t[i].col, "'%.*s' is not an mf_create argument (vol=, name=, ext=, disp=, access=, "
                            "attr=, lower=, opts=, exists, directory, kernel; each once)", (int)t[i].n, t[i].s);
            }
            if (seen & (1 << key))
                return perr(p, t[i].col, "'%.*s' given twice", (int)t[i].n, t[i].s);
            seen |= 1 << key;
        }
        if (seen != 0xFF)
            return perr(p, t[0].col, "mf_create needs vol=, name=, ext=, disp=, access=, attr=, lower= and opts=");
        return 0;
    }
    case KFH_OP_MF_IO: {
        unsigned long long irql, bits, len, off;
        uint8_t kind, answer;
        if (nt != 8)
            return perr(p, t[0].col, "mf_io takes SLOT KIND irql=N lower=ANSWER v=BITS length=N offset=N");
        if (parse_small(p, &t[1], KFH_MF_SLOTS - 1, "a file slot", &x))
            return -1;
        if (parse_table(p, &t[2], kfh_mf_io_name, KFH_MF_IO_KINDS, "an I/O kind", &kind))
            return -1;
        if (!key_value(&t[3], "irql", &v) || parse_number(&v, 2, &irql))
            return perr(p, t[3].col, "expected irql=0, irql=1 or irql=2");
        if (!key_value(&t[4], "lower", &v))
            return perr(p, t[4].col, "expected lower=ANSWER");
        if (parse_table(p, &v, kfh_mf_answer_name, KFH_MF_ANSWERS, "an answer of the layers below", &answer))
            return -1;
        if (!key_value(&t[5], "v", &v) || parse_number(&v, 0xFF, &bits))
            return perr(p, t[5].col, "expected v=N (up to 0xff)");
        if (!key_value(&t[6], "length", &v) || parse_number(&v, 0xFFFF, &len))
            return perr(p, t[6].col, "expected length=N (up to 0xffff)");
        if (!key_value(&t[7], "offset", &v) || parse_number(&v, 0xFFull * 512, &off) || off % 512)
            return perr(p, t[7].col, "expected offset=N (a multiple of 512, up to 0x1fe00)");
        op->a = (uint8_t)(x | (irql << 3) | (answer << 5));
        op->b = kind;
        op->c = (uint8_t)bits;
        op->size_raw = (uint32_t)(len | ((off / 512) << 16));
        return 0;
    }
    case KFH_OP_MF_DETACH:
        if (nt == 3 && (tok_is(&t[2], "manual") || tok_is(&t[2], "dismount"))) {
            op->b = tok_is(&t[2], "dismount");
            return parse_small(p, &t[1], KFH_MF_VOLUMES - 1, "a volume", &op->a);
        }
        return perr(p, t[0].col, "mf_detach takes a volume and manual or dismount");
    case KFH_OP_MF_UNLOAD:
        if (nt == 1)
            return 0;
        if (nt == 2 && tok_is(&t[1], "mandatory")) {
            op->a = 1;
            return 0;
        }
        return perr(p, t[1].col, "mf_unload takes nothing or 'mandatory'");
    default:
        return 1;
    }
}

/* The owner of a context operation from t[0..]: KIND volume=V, and file=F for a stream or a
 * stream handle. Returns the tokens used, or -1. */
static int parse_ctx_owner(parser *p, tok *t, int nt, uint8_t *b)
{
    int kind = -1;
    tok v;
    uint8_t x;
    for (int k = 0; k < 4 && nt > 0; k++)
        if (tok_is(&t[0], kfh_ctx_kind_name((size_t)k)))
            kind = k;
    if (kind < 0)
        return perr(p, nt > 0 ? t[0].col : 1, "expected the owner: volume, instance, stream or stream_handle");
    if (nt < 2 || !key_value(&t[1], "volume", &v))
        return perr(p, nt > 1 ? t[1].col : t[0].col, "expected volume=N after the owner");
    if (parse_small(p, &v, KFH_FLT_VOLUMES - 1, "a volume", &x))
        return -1;
    *b = (uint8_t)(kind | (x << KFH_CTX_VOL_SHIFT));
    if (kind != KFH_CTX_STREAM && kind != KFH_CTX_HANDLE)
        return 2;
    if (nt < 3 || !key_value(&t[2], "file", &v))
        return perr(p, nt > 2 ? t[2].col : t[1].col, "a stream or stream_handle owner needs file=N (0..%d)",
                    KFH_CTX_FILES - 1);
    if (parse_small(p, &v, KFH_CTX_FILES - 1, "a file object of the runner", &x))
        return -1;
    *b |= (uint8_t)(x << KFH_CTX_FILE_SHIFT);
    return 3;
}

static int parse_ctx_slot(parser *p, const tok *t, uint8_t *v)
{
    return parse_small(p, t, KFH_CTX_SLOTS - 1, "a context slot", v);
}

/* Finds word t in a table of n names; -1 when it is none of them. */
static int ctx_word(const tok *t, const char *(*name)(size_t), size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tok_is(t, name(i)))
            return (int)i;
    return -1;
}

/* The context and file name operations of version 7. Returns 1 when code is not one of them. */
static int parse_ctx_op(parser *p, tok *t, int nt, kfh_op *op)
{
    tok v;
    uint8_t x;
    int used, k;
    switch (op->code) {
    case KFH_OP_CTX_ALLOC: {
        int pool, size;
        if (nt != 5)
            return perr(p, t[0].col, "ctx_alloc takes SLOT TYPE pool=POOL size=SIZE");
        if (parse_ctx_slot(p, &t[1], &op->a))
            return -1;
        if ((k = ctx_word(&t[2], kfh_ctx_type_name, KFH_CTX_TYPES)) < 0)
            return perr(p, t[2].col, "'%.*s' is not a context type (volume, instance, stream, stream_handle, "
                        "transaction, two_types)", (int)t[2].n, t[2].s);
        if (!key_value(&t[3], "pool", &v) || (pool = ctx_word(&v, kfh_ctx_pool_name, KFH_CTX_POOLS)) < 0)
            return perr(p, t[3].col, "expected pool=nonpaged_nx, paged, nonpaged or cache_aligned");
        if (!key_value(&t[4], "size", &v) || (size = ctx_word(&v, kfh_ctx_size_name, KFH_CTX_SIZES)) < 0)
            return perr(p, t[4].col, "expected size=registered, small, large, zero or huge");
        op->b = (uint8_t)(k | (pool << 3));
        op->c = (uint8_t)size;
        return 0;
    }
    case KFH_OP_CTX_SET:
        if (nt < 2 || parse_ctx_slot(p, &t[1], &op->a))
            return nt < 2 ? perr(p, t[0].col, "ctx_set takes SLOT OWNER volume=V [file=F] OPERATION [old=SLOT]") : -1;
        if ((used = parse_ctx_owner(p, &t[2], nt - 2, &op->b)) < 0)
            return -1;
        if (nt < 3 + used || (k = ctx_word(&t[2 + used], kfh_ctx_op_name, KFH_CTX_OPS)) < 0)
            return perr(p, nt > 2 + used ? t[2 + used].col : t[0].col, "expected the operation: replace, keep or invalid");
        op->c = (uint8_t)k;
        if (nt == 3 + used)
            return 0;
        if (nt != 4 + used || !key_value(&t[3 + used], "old", &v))
            return perr(p, t[3 + used].col, "expected old=SLOT or nothing after the operation");
        if (parse_ctx_slot(p, &v, &x))
            return -1;
        op->c |= (uint8_t)(KFH_CTX_WITH_OLD | (x << KFH_CTX_OLD_SHIFT));
        return 0;
    case KFH_OP_CTX_GET:
        if (nt < 2 || parse_ctx_slot(p, &t[1], &op->a))
            return nt < 2 ? perr(p, t[0].col, "ctx_get takes SLOT OWNER volume=V [file=F] [null_out]") : -1;
        if ((used = parse_ctx_owner(p, &t[2], nt - 2, &op->b)) < 0)
            return -1;
        if (nt == 2 + used)
            return 0;
        if (nt != 3 + used || !tok_is(&t[2 + used], "null_out"))
            return perr(p, t[2 + used].col, "expected null_out or nothing after the owner");
        op->b |= KFH_CTX_FLAG;
        return 0;
    case KFH_OP_CTX_DELETE:
        if ((used = parse_ctx_owner(p, &t[1], nt - 1, &op->b)) < 0)
            return -1;
        if (nt == 1 + used)
            return 0;
        if (nt != 2 + used || !key_value(&t[1 + used], "old", &v))
            return perr(p, t[1 + used].col, "expected old=SLOT or nothing after the owner");
        if (parse_ctx_slot(p, &v, &op->a))
            return -1;
        op->b |= KFH_CTX_FLAG;
        return 0;
    case KFH_OP_CTX_REF:
        if (nt != 3)
            return perr(p, t[0].col, "ctx_ref takes the slot referenced and the slot that receives the reference");
        return parse_ctx_slot(p, &t[1], &op->a) || parse_ctx_slot(p, &t[2], &op->b) ? -1 : 0;
    case KFH_OP_CTX_RELEASE:
        if (nt < 2 || nt > 3 || parse_ctx_slot(p, &t[1], &op->a))
            return nt < 2 || nt > 3 ? perr(p, t[0].col, "ctx_release takes SLOT and optionally again, null or foreign")
                                    : -1;
        if (nt == 3 && ((k = ctx_word(&t[2], kfh_ctx_release_name, KFH_CTX_REL_COUNT)) <= 0))
            return perr(p, t[2].col, "expected again, null or foreign");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    case KFH_OP_CTX_UNLINK:
        if (nt != 2)
            return perr(p, t[0].col, "ctx_unlink takes a slot");
        return parse_ctx_slot(p, &t[1], &op->a);
    case KFH_OP_NAME_GET: {
        int fmt, method;
        if (nt != 6)
            return perr(p, t[0].col, "name_get takes CBD_SLOT NAME_SLOT format=F method=M name=N");
        if (parse_small(p, &t[1], KFH_CBD_SLOTS - 1, "a callback data slot", &op->a) ||
            parse_small(p, &t[2], KFH_NAME_SLOTS - 1, "a name slot", &op->b))
            return -1;
        if (!key_value(&t[3], "format", &v) || (fmt = ctx_word(&v, kfh_name_format_name, KFH_NAME_FORMATS)) < 0)
            return perr(p, t[3].col, "expected format=normalized, opened, short or invalid");
        if (!key_value(&t[4], "method", &v) || (method = ctx_word(&v, kfh_name_method_name, KFH_NAME_METHODS)) < 0)
            return perr(p, t[4].col, "expected method=default, cache_only, filesystem_only, always_allow or invalid");
        if (!key_value(&t[5], "name", &v) || parse_small(p, &v, KFH_NAMES - 1, "a name index", &op->size_sel))
            return key_value(&t[5], "name", &v) ? -1 : perr(p, t[5].col, "expected name=N (0..%d)", KFH_NAMES - 1);
        op->c = (uint8_t)(fmt | (method << 2));
        return 0;
    }
    case KFH_OP_NAME_REF:
        if (nt != 3)
            return perr(p, t[0].col, "name_ref takes the name slot referenced and the slot that receives it");
        return parse_small(p, &t[1], KFH_NAME_SLOTS - 1, "a name slot", &op->a) ||
                       parse_small(p, &t[2], KFH_NAME_SLOTS - 1, "a name slot", &op->b)
                   ? -1
                   : 0;
    case KFH_OP_NAME_RELEASE:
        if (nt < 2 || nt > 3 || parse_small(p, &t[1], KFH_NAME_SLOTS - 1, "a name slot", &op->a))
            return nt < 2 || nt > 3 ? perr(p, t[0].col, "name_release takes a name slot and optionally again or foreign")
                                    : -1;
        if (nt == 3 && ((k = ctx_word(&t[2], kfh_name_release_name, KFH_NAME_REL_COUNT)) <= 0))
            return perr(p, t[2].col, "expected again or foreign");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    case KFH_OP_NAME_PARSE:
        if (nt != 2)
            return perr(p, t[0].col, "name_parse takes a name slot");
        return parse_small(p, &t[1], KFH_NAME_SLOTS - 1, "a name slot", &op->a);
    default:
        return 1;
    }
}

/* A word of a KFH_WI_* table (its empty first entry aside when skip_first), or -1. */
static int wi_word(const tok *t, const char *(*name)(int), int n, int skip_first)
{
    for (int i = skip_first; i < n; i++)
        if (tok_is(t, name(i)))
            return i;
    return -1;
}

/* The generic work item operations of version 14. */
static int parse_wi_op(parser *p, tok *t, int nt, kfh_op *op)
{
    int k;
    tok v;
    switch (op->code) {
    case KFH_OP_WI_ALLOC:
        if (nt != 2)
            return perr(p, t[0].col, "wi_alloc takes an item slot");
        return parse_small(p, &t[1], KFH_WI_SLOTS - 1, "an item slot", &op->a);
    case KFH_OP_WI_QUEUE: {
        if (nt < 4 || nt > 6)
            return perr(p, t[0].col, "wi_queue takes SLOT OBJECT then=ACTION, then optionally delayed and a misuse");
        if (parse_small(p, &t[1], KFH_WI_SLOTS - 1, "an item slot", &op->a))
            return -1;
        int obj = wi_word(&t[2], kfh_wi_object_name, KFH_WI_OBJ_COUNT, 0);
        if (obj < 0)
            return perr(p, t[2].col, "expected filter or instance0 to instance3");
        if (!key_value(&t[3], "then", &v) || (k = wi_word(&v, kfh_wi_do_name, KFH_WI_DO_COUNT, 0)) < 0)
            return perr(p, t[3].col, "expected then=return, free, requeue or bad_irql");
        op->c = (uint8_t)k;
        int mis = 0, at = 4;
        if (at < nt && tok_is(&t[at], "delayed")) {
            op->c |= KFH_WI_DELAYED;
            at++;
        }
        if (at < nt && (mis = wi_word(&t[at], kfh_wi_misuse_name, KFH_WI_MIS_COUNT, 1)) < 0)
            return perr(p, t[at].col, "expected delayed, null_routine, queue_type, foreign_object or foreign_item");
        if (at < nt)
            at++;
        if (at != nt)
            return perr(p, t[at].col, "unexpected word after the misuse");
        op->b = (uint8_t)(obj | (mis > 0 ? mis : 0) << 3);
        return 0;
    }
    case KFH_OP_WI_FREE:
        if (nt < 2 || nt > 3 || parse_small(p, &t[1], KFH_WI_SLOTS - 1, "an item slot", &op->a))
            return nt < 2 || nt > 3 ? perr(p, t[0].col, "wi_free takes an item slot and optionally again or foreign")
                                    : -1;
        if (nt == 3 && (k = wi_word(&t[2], kfh_wi_free_name, KFH_WI_FREE_COUNT, 1)) < 0)
            return perr(p, t[2].col, "expected again or foreign");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    default: /* KFH_OP_WI_RUN */
        if (nt != 1)
            return perr(p, t[1].col, "wi_run takes no argument");
        return 0;
    }
}

/* The deferred I/O work item and cancel-safe queue operations of version 15. After the slot (and
 * `cbd=` where one is taken) come optional words, in any order, each kind at most once. */
enum { QW_DELAYED, QW_DW_MISUSE, QW_CONTEXT, QW_ANSWER, QW_CQ_MISUSE, QW_BAD, QW_NULL_CONTEXT, QW_PEEK, QW_NULL,
       QW_FOREIGN_INSTANCE, QW_KINDS };

static int parse_q_word(const tok *t, unsigned allowed, int *kind, uint8_t *value)
{
    tok v;
    int k;
    unsigned long long x;
    if ((allowed & 1u << QW_DELAYED) && tok_is(t, "delayed"))
        return *kind = QW_DELAYED, *value = 1, 0;
    if ((allowed & 1u << QW_DW_MISUSE) && (k = wi_word(t, kfh_dw_misuse_name, KFH_DW_MIS_COUNT, 1)) > 0)
        return *kind = QW_DW_MISUSE, *value = (uint8_t)k, 0;
    if ((allowed & 1u << QW_CONTEXT) && tok_is(t, "context"))
        return *kind = QW_CONTEXT, *value = 1, 0;
    if ((allowed & 1u << QW_ANSWER) && key_value(t, "answer", &v) &&
        (k = wi_word(&v, kfh_cq_answer_name, KFH_CQ_ANSWER_COUNT, 1)) > 0)
        return *kind = QW_ANSWER, *value = (uint8_t)k, 0;
    if ((allowed & 1u << QW_CQ_MISUSE) && (k = wi_word(t, kfh_cq_mis_name, KFH_CQ_MIS_COUNT, 1)) > 0)
        return *kind = QW_CQ_MISUSE, *value = (uint8_t)k, 0;
    if ((allowed & 1u << QW_BAD) && (k = wi_word(t, kfh_cq_bad_name, KFH_CQ_BAD_COUNT, 1)) > 0)
        return *kind = QW_BAD, *value = (uint8_t)k, 0;
    if ((allowed & 1u << QW_NULL_CONTEXT) && tok_is(t, "null_context"))
        return *kind = QW_NULL_CONTEXT, *value = 1, 0;
    if ((allowed & 1u << QW_PEEK) && key_value(t, "peek", &v) && !parse_number(&v, KFH_CBD_SLOTS - 1, &x))
        return *kind = QW_PEEK, *value = (uint8_t)(x + 1), 0;
    if ((allowed & 1u << QW_NULL) && key_value(t, "null", &v) && !parse_number(&v, 8, &x) && x >= 1)
        return *kind = QW_NULL, *value = (uint8_t)x, 0;
    if ((allowed & 1u << QW_FOREIGN_INSTANCE) && tok_is(t, "foreign_instance"))
        return *kind = QW_FOREIGN_INSTANCE, *value = KFH_CQ_INIT_FOREIGN_INSTANCE, 0;
    return -1;
}

static int parse_q_op(parser *p, tok *t, int nt, kfh_op *op)
{
    static const char *const usage[KFH_OP_COUNT_V15 - KFH_OP_COUNT_V14] = {
        "dw_alloc takes an item slot",
        "dw_queue takes SLOT cbd=SLOT then=ACTION, then optionally delayed and a misuse",
        "dw_free takes an item slot and optionally again, foreign or generic",
        "cq_init takes QUEUE volume=V and optionally null=N or foreign_instance",
        "cq_insert takes QUEUE cbd=SLOT and optionally context, answer=, null_cbd or not_irp, and a misbehaviour",
        "cq_remove takes QUEUE cbd=SLOT and optionally null_context and a misbehaviour",
        "cq_next takes QUEUE and optionally peek=SLOT and a misbehaviour",
        "cq_enable takes a queue",
        "cq_disable takes a queue",
        "cq_cancel takes QUEUE cbd=SLOT and optionally a misbehaviour",
    };
    const char *use = usage[op->code - KFH_OP_COUNT_V14];
    int dw = op->code <= KFH_OP_DW_FREE;
    if (nt < 2)
        return perr(p, t[0].col, "%s", use);
    if (parse_small(p, &t[1], (dw ? KFH_DW_SLOTS : KFH_CQ_QUEUES) - 1, dw ? "an item slot" : "a queue", &op->a))
        return -1;
    int at = 2, k;
    tok v;
    unsigned long long x;
    unsigned allowed = 0;
    switch (op->code) {
    case KFH_OP_DW_FREE:
        if (nt > 3)
            return perr(p, t[3].col, "%s", use);
        if (nt == 3 && (k = wi_word(&t[2], kfh_dw_free_name, KFH_DW_FREE_COUNT, 1)) < 0)
            return perr(p, t[2].col, "expected again, foreign or generic");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    case KFH_OP_DW_QUEUE:
        if (nt < 4 || !key_value(&t[2], "cbd", &v) || parse_number(&v, KFH_CBD_SLOTS - 1, &x))
            return perr(p, t[nt < 3 ? 0 : 2].col, "%s", use);
        op->b = (uint8_t)x;
        if (!key_value(&t[3], "then", &v) || (k = wi_word(&v, kfh_wi_do_name, KFH_WI_DO_COUNT, 0)) < 0)
            return perr(p, t[3].col, "expected then=return, free, requeue or bad_irql");
        op->c = (uint8_t)k;
        at = 4;
        allowed = 1u << QW_DELAYED | 1u << QW_DW_MISUSE;
        break;
    case KFH_OP_CQ_INIT:
        if (nt < 3 || !key_value(&t[2], "volume", &v) || parse_number(&v, KFH_FLT_VOLUMES - 1, &x))
            return perr(p, t[nt < 3 ? 0 : 2].col, "%s", use);
        op->b = (uint8_t)x;
        at = 3;
        allowed = 1u << QW_NULL | 1u << QW_FOREIGN_INSTANCE;
        break;
    case KFH_OP_CQ_INSERT:
    case KFH_OP_CQ_REMOVE:
    case KFH_OP_CQ_CANCEL:
        if (nt < 3 || !key_value(&t[2], "cbd", &v) || parse_number(&v, KFH_CBD_SLOTS - 1, &x))
            return perr(p, t[nt < 3 ? 0 : 2].col, "%s", use);
        op->b = (uint8_t)x;
        at = 3;
        allowed = op->code == KFH_OP_CQ_INSERT   ? 1u << QW_CONTEXT | 1u << QW_ANSWER | 1u << QW_CQ_MISUSE | 1u << QW_BAD
                  : op->code == KFH_OP_CQ_REMOVE ? 1u << QW_NULL_CONTEXT | 1u << QW_BAD
                                                 : 1u << QW_BAD;
        break;
    case KFH_OP_CQ_NEXT:
        allowed = 1u << QW_PEEK | 1u << QW_BAD;
        break;
    default: /* dw_alloc, cq_enable, cq_disable */
        break;
    }
    unsigned seen = 0;
    for (; at < nt; at++) {
        int kind;
        uint8_t val;
        if (parse_q_word(&t[at], allowed, &kind, &val) || (seen & 1u << kind))
            return perr(p, t[at].col, "unexpected word: %s", use);
        seen |= 1u << kind;
        switch (kind) {
        case QW_DELAYED: op->c |= KFH_WI_DELAYED; break;
        case QW_DW_MISUSE: op->b |= (uint8_t)(val << 2); break;
        case QW_CONTEXT: case QW_NULL_CONTEXT: op->b |= 4; break;
        case QW_ANSWER: op->c |= val; break;
        case QW_CQ_MISUSE: op->b |= (uint8_t)(val << 3); break;
        case QW_BAD: op->c |= (uint8_t)(val << 2); break;
        case QW_PEEK: op->b = val; break;
        default: op->b |= (uint8_t)(val << 2); break; /* null=, foreign_instance */
        }
    }
    if ((seen & 1u << QW_NULL) && (seen & 1u << QW_FOREIGN_INSTANCE))
        return perr(p, t[nt - 1].col, "null= and foreign_instance exclude each other");
    return 0;
}

/* A word of the port operand table `name` (n entries, the empty first one aside), or -1. */
static int port_word(const tok *t, const char *(*name)(int), int n)
{
    for (int i = 1; i < n; i++)
        if (tok_is(t, name(i)))
            return i;
    return -1;
}

/* "SLOT" and optionally one word of a variant table (version 15). */
static int parse_slot_variant(parser *p, tok *t, int nt, unsigned slots, const char *(*name)(int), int n,
                              const char *usage, kfh_op *op)
{
    int k = 0;
    if (nt < 2 || nt > 3)
        return perr(p, t[0].col, "%s", usage);
    if (parse_small(p, &t[1], slots - 1, "a slot", &op->a))
        return -1;
    if (nt == 3 && (k = port_word(&t[2], name, n)) < 0)
        return perr(p, t[2].col, "%s", usage);
    op->b = (uint8_t)k;
    return 0;
}

/* The communication port operations of version 15. */
static int parse_port_op(parser *p, tok *t, int nt, kfh_op *op)
{
    tok v;
    unsigned long long x;
    switch (op->code) {
    case KFH_OP_SD_BUILD:
        if (nt < 2 || nt > 3 || (nt == 3 && !tok_is(&t[2], "null")))
            return perr(p, t[nt > 2 ? 2 : 0].col, "sd_build takes a descriptor slot and optionally null");
        op->b = nt == 3;
        return parse_small(p, &t[1], KFH_SD_SLOTS - 1, "a descriptor slot", &op->a);
    case KFH_OP_SD_FREE:
        return parse_slot_variant(p, t, nt, KFH_SD_SLOTS, kfh_sd_free_name, KFH_SD_FREE_COUNT,
                                  "sd_free takes a descriptor slot and optionally again, foreign or null", op);
    case KFH_OP_PORT_CLOSE:
        return parse_slot_variant(p, t, nt, KFH_SERVER_SLOTS, kfh_pcl_name, KFH_PCL_COUNT,
                                  "port_close takes a server slot and optionally again, foreign or null", op);
    case KFH_OP_PORT_CLOSE_CLIENT:
        return parse_slot_variant(p, t, nt, KFH_CLIENT_SLOTS, kfh_pcc_name, KFH_PCC_COUNT,
                                  "port_close_client takes a client slot and optionally copy, server or null", op);
    case KFH_OP_PORT_CREATE: {
        if (nt < 4 || nt > 7)
            return perr(p, t[0].col,
                        "port_create takes SLOT name=N max=N, then optionally case, no_message and a misuse");
        if (parse_small(p, &t[1], KFH_SERVER_SLOTS - 1, "a server slot", &op->a))
            return -1;
        if (!key_value(&t[2], "name", &v) || parse_number(&v, KFH_PORT_NAMES - 1, &x))
            return perr(p, t[2].col, "expected name=N (0 to %d)", KFH_PORT_NAMES - 1);
        op->b = (uint8_t)x;
        if (!key_value(&t[3], "max", &v) || parse_number(&v, 3, &x))
            return perr(p, t[3].col, "expected max=N (0 to 3)");
        op->b |= (uint8_t)(x << 2);
        for (int i = 4; i < nt; i++) {
            int m;
            if (tok_is(&t[i], "case") && !(op->b & KFH_PC_CASE))
                op->b |= KFH_PC_CASE;
            else if (tok_is(&t[i], "no_message") && !(op->b & KFH_PC_NO_MESSAGE))
                op->b |= KFH_PC_NO_MESSAGE;
            else if (!op->c && (m = port_word(&t[i], kfh_pc_misuse_name, KFH_PC_MIS_COUNT)) > 0)
                op->c = (uint8_t)m;
            else
                return perr(p, t[i].col, "expected case, no_message, null_port, null_attributes, null_connect, "
                                         "null_disconnect, user_handle or no_name (each once, one misuse)");
        }
        return 0;
    }
    default: { /* KFH_OP_PORT_SEND */
        if (nt < 5 || nt > 6)
            return perr(p, t[0].col, "port_send takes SLOT in=N reply=N|none timeout=T and optionally a misuse");
        if (parse_small(p, &t[1], KFH_CLIENT_SLOTS - 1, "a client slot", &op->a))
            return -1;
        if (!key_value(&t[2], "in", &v) || parse_number(&v, 255, &x))
            return perr(p, t[2].col, "expected in=N (0 to 255)");
        op->b = (uint8_t)x;
        if (!key_value(&t[3], "reply", &v))
            return perr(p, t[3].col, "expected reply=N (0 to 127) or reply=none");
        if (!tok_is(&v, "none")) {
            if (parse_number(&v, 127, &x))
                return perr(p, v.col, "expected reply=N (0 to 127) or reply=none");
            op->c = (uint8_t)(KFH_PS_REPLY | x);
        }
        int k = -1;
        if (key_value(&t[4], "timeout", &v))
            for (int i = 0; i < KFH_PS_T_COUNT; i++)
                if (tok_is(&v, kfh_ps_timeout_name(i)))
                    k = i;
        if (k < 0)
            return perr(p, t[4].col, "expected timeout=none, zero, relative or absolute");
        int m = 0;
        if (nt == 6 && (m = port_word(&t[5], kfh_ps_misuse_name, KFH_PS_MIS_COUNT)) < 0)
            return perr(p, t[5].col, "expected null_port, null_sender, no_length or server");
        op->size_sel = (uint8_t)(k | m << 2);
        return 0;
    }
    }
}

/* A word of a KFH_OBJ_* or KFH_APOOL_* table, or -1. */
static int obj_word(const tok *t, const char *(*name)(int), int n, int skip_first)
{
    for (int i = skip_first; i < n; i++)
        if (tok_is(t, name(i)))
            return i;
    return -1;
}

/* The object, volume and aligned pool operations of version 15. */
static int parse_obj_op(parser *p, tok *t, int nt, kfh_op *op)
{
    int k;
    uint8_t v;
    tok w;
    switch (op->code) {
    case KFH_OP_OBJ_GET:
        if (nt < 4 || nt > 5)
            return perr(p, t[0].col, "obj_get takes SLOT SOURCE VOLUME and for a name optionally its form");
        if (parse_small(p, &t[1], KFH_OBJ_SLOTS - 1, "an object slot", &op->a))
            return -1;
        if ((k = obj_word(&t[2], kfh_obj_from_name, KFH_OBJ_FROM_COUNT, 0)) < 0)
            return perr(p, t[2].col, "expected volume, filter, instance, name, file or null_file");
        if (parse_small(p, &t[3], KFH_FLT_VOLUMES - 1, "a volume", &v))
            return -1;
        op->b = (uint8_t)(k | v << 3);
        if (nt == 5) {
            int form = k == KFH_OBJ_FROM_NAME ? obj_word(&t[4], kfh_obj_name_form, KFH_OBJ_NAME_COUNT, 1) : -1;
            if (form < 0)
                return perr(p, t[4].col, "expected guid, letter, dos or slash after a name");
            op->b |= (uint8_t)(form << 5);
        }
        return 0;
    case KFH_OP_OBJ_REF:
    case KFH_OP_OBJ_DEREF:
        if (nt < 2 || nt > 3)
            return perr(p, t[0].col, "%s takes an object slot and optionally foreign", kfh_op_name(op->code));
        if (parse_small(p, &t[1], KFH_OBJ_SLOTS - 1, "an object slot", &op->a))
            return -1;
        if (nt == 3 && !tok_is(&t[2], "foreign"))
            return perr(p, t[2].col, "expected foreign");
        op->b = nt == 3;
        return 0;
    case KFH_OP_OBJ_QUERY:
        if (nt != 4)
            return perr(p, t[0].col, "obj_query takes SLOT QUERY BUFFER");
        if (parse_small(p, &t[1], KFH_OBJ_SLOTS - 1, "an object slot", &op->a))
            return -1;
        if ((k = obj_word(&t[2], kfh_obj_query_name, KFH_OBJ_Q_COUNT, 0)) < 0)
            return perr(p, t[2].col, "expected name, guid, properties, fstype or writable");
        op->b = (uint8_t)k;
        if ((k = obj_word(&t[3], kfh_obj_buf_name, KFH_OBJ_BUF_COUNT, 0)) < 0)
            return perr(p, t[3].col, "expected none, size, small or fit");
        op->c = (uint8_t)k;
        return 0;
    case KFH_OP_OBJ_ENUM:
        if (nt != 4)
            return perr(p, t[0].col, "obj_enum takes SLOT KIND SIZE");
        if (parse_small(p, &t[1], KFH_OBJ_SLOTS - 1, "an object slot", &op->a))
            return -1;
        if ((k = obj_word(&t[2], kfh_obj_enum_name, KFH_OBJ_ENUM_COUNT, 0)) < 0)
            return perr(p, t[2].col, "expected volumes, instances or filters");
        op->b = (uint8_t)k;
        return parse_small(p, &t[3], KFH_OBJ_LIST_MAX, "a list size", &op->c);
    case KFH_OP_APOOL_ALLOC: {
        if (nt < 4 || nt > 5)
            return perr(p, t[0].col, "apool_alloc takes SLOT volume=V size=N and optionally paged");
        if (parse_small(p, &t[1], KFH_APOOL_SLOTS - 1, "an aligned pool slot", &op->a))
            return -1;
        if (!key_value(&t[2], "volume", &w))
            return perr(p, t[2].col, "expected volume=0 to volume=3");
        if (parse_small(p, &w, KFH_FLT_VOLUMES - 1, "a volume", &v))
            return -1;
        int sel = -1;
        if (key_value(&t[3], "size", &w))
            for (int i = 0; i < KFH_APOOL_SIZE_COUNT && sel < 0; i++) {
                char num[16];
                snprintf(num, sizeof num, "%u", (unsigned)kfh_apool_size(i));
                if (tok_is(&w, num))
                    sel = i;
            }
        if (sel < 0)
            return perr(p, t[3].col, "expected size=0, size=100, size=512 or size=4096");
        if (nt == 5 && !tok_is(&t[4], "paged"))
            return perr(p, t[4].col, "expected paged");
        op->b = (uint8_t)(v | (nt == 5 ? KFH_APOOL_PAGED : 0) | sel << 3);
        return 0;
    }
    default: /* KFH_OP_APOOL_FREE */
        if (nt < 2 || nt > 3)
            return perr(p, t[0].col, "apool_free takes an aligned pool slot and optionally how");
        if (parse_small(p, &t[1], KFH_APOOL_SLOTS - 1, "an aligned pool slot", &op->a))
            return -1;
        if (nt == 3 && (k = obj_word(&t[2], kfh_apool_free_name, KFH_APOOL_FREE_COUNT, 1)) < 0)
            return perr(p, t[2].col, "expected again, foreign, ex, pool, other or tag");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    }
}

/* The optional word at t[*at] when it is one of names[first..n-1]: its index, *at moved on; 0 otherwise. */
static int ecp_opt(const tok *t, int nt, int *at, const char *(*name)(int), int first, int n)
{
    for (int i = first; *at < nt && i < n; i++)
        if (tok_is(&t[*at], name(i))) {
            (*at)++;
            return i;
        }
    return 0;
}

/* The word w at t[*at]: 1 and *at moved on, or 0. */
static int ecp_word(const tok *t, int nt, int *at, const char *w)
{
    if (*at < nt && tok_is(&t[*at], w)) {
        (*at)++;
        return 1;
    }
    return 0;
}

/* "key=N" with N at most max, at t[*at]. */
static int ecp_key(parser *p, const tok *t, int nt, int *at, const char *key, unsigned max, const char *what,
                   uint8_t *v)
{
    tok val;
    if (*at >= nt || !key_value(&t[*at], key, &val))
        return perr(p, *at < nt ? t[*at].col : t[0].col, "expected %s= and %s", key, what);
    (*at)++;
    return parse_small(p, &val, max, what, v);
}

/* The extra create parameter operations of version 15. */
static int parse_ecp_op(parser *p, tok *t, int nt, kfh_op *op)
{
    int at = 2, k;
    tok v;
    const char *what = op->code == KFH_OP_ECP_LIST_ALLOC || op->code == KFH_OP_ECP_LIST_FREE ||
                               op->code == KFH_OP_ECP_INSERT || op->code == KFH_OP_ECP_REMOVE ||
                               op->code == KFH_OP_ECP_FIND || op->code == KFH_OP_ECP_NEXT
                           ? "a list slot"
                       : op->code == KFH_OP_ECP_LOOKASIDE ? "a lookaside slot"
                       : op->code == KFH_OP_ECP_GET || op->code == KFH_OP_ECP_SET || op->code == KFH_OP_ECP_DONE ||
                               op->code == KFH_OP_ECP_ATTACH
                           ? "a callback data slot"
                           : "an ECP slot";
    unsigned max = op->code == KFH_OP_ECP_LOOKASIDE ? KFH_ECP_LA_SLOTS - 1
                   : op->code == KFH_OP_ECP_GET || op->code == KFH_OP_ECP_SET || op->code == KFH_OP_ECP_DONE ||
                           op->code == KFH_OP_ECP_ATTACH
                       ? KFH_CBD_SLOTS - 1
                       : 3;
    if (nt < 2)
        return perr(p, t[0].col, "%s takes %s first", kfh_op_name(op->code), what);
    if (parse_small(p, &t[1], max, what, &op->a))
        return -1;
    switch (op->code) {
    case KFH_OP_ECP_LIST_ALLOC:
        op->b = (uint8_t)ecp_word(t, nt, &at, "quota");
        op->b |= (uint8_t)(ecp_opt(t, nt, &at, kfh_ecpl_misuse_name, 1, KFH_ECPL_MIS_COUNT) << 1);
        break;
    case KFH_OP_ECP_ALLOC: {
        uint8_t type, la;
        if (ecp_key(p, t, nt, &at, "type", KFH_ECP_TYPES - 1, "a type (0..3)", &type))
            return -1;
        if (at >= nt || !key_value(&t[at], "size", &v))
            return perr(p, at < nt ? t[at].col : t[0].col, "ecp_alloc expects size=0, 16, 200 or huge");
        for (k = 0; k < KFH_ECP_SIZES && !tok_is(&v, kfh_ecp_size_name(k)); k++)
            ;
        if (k == KFH_ECP_SIZES)
            return perr(p, v.col, "expected size=0, 16, 200 or huge");
        at++;
        op->c = (uint8_t)k;
        op->b = type;
        if (ecp_word(t, nt, &at, "nonpaged"))
            op->b |= KFH_ECP_NONPAGED;
        if (at < nt && key_value(&t[at], "lookaside", &v)) {
            if (ecp_key(p, t, nt, &at, "lookaside", KFH_ECP_LA_SLOTS - 1, "a lookaside slot", &la))
                return -1;
            op->b |= (uint8_t)(KFH_ECP_FROM_LA | la << 4);
        }
        op->b |= (uint8_t)(ecp_opt(t, nt, &at, kfh_ecp_misuse_name, 1, KFH_ECP_MIS_COUNT) << 5);
        break;
    }
    case KFH_OP_ECP_LIST_FREE:
    case KFH_OP_ECP_FREE:
        op->b = (uint8_t)ecp_opt(t, nt, &at, kfh_ecp_pass_name, 1, KFH_ECP_PASS_COUNT);
        break;
    case KFH_OP_ECP_REMOVE:
    case KFH_OP_ECP_FIND:
        if (ecp_key(p, t, nt, &at, "type", KFH_ECP_TYPES - 1, "a type (0..3)", &op->b) ||
            ecp_key(p, t, nt, &at, "into", KFH_ECP_SLOTS - 1, "an ECP slot", &op->c))
            return -1;
        break;
    case KFH_OP_ECP_NEXT: {
        uint8_t after;
        op->b = KFH_ECP_NEXT_FIRST;
        if (ecp_word(t, nt, &at, "null_list"))
            op->b = KFH_ECP_NEXT_NULL_LIST;
        else if (at < nt && key_value(&t[at], "after", &v)) {
            if (ecp_key(p, t, nt, &at, "after", KFH_ECP_SLOTS - 1, "an ECP slot", &after))
                return -1;
            op->b = (uint8_t)(KFH_ECP_NEXT_AFTER0 + after);
        }
        if (ecp_key(p, t, nt, &at, "into", KFH_ECP_SLOTS - 1, "an ECP slot", &op->c))
            return -1;
        break;
    }
    case KFH_OP_ECP_MARK:
        for (k = 0; at < nt && k < KFH_ECP_MARK_COUNT && !tok_is(&t[at], kfh_ecp_mark_name(k)); k++)
            ;
        if (at >= nt || k == KFH_ECP_MARK_COUNT)
            return perr(p, at < nt ? t[at].col : t[0].col, "ecp_mark expects ack, is_ack, reuse or from_user");
        op->b = (uint8_t)k;
        at++;
        break;
    case KFH_OP_ECP_LOOKASIDE:
        if (ecp_word(t, nt, &at, "delete"))
            op->b = KFH_ECP_LA_DELETE;
        else if (!ecp_word(t, nt, &at, "init"))
            return perr(p, at < nt ? t[at].col : t[0].col, "ecp_lookaside expects init or delete");
        if (ecp_word(t, nt, &at, "nonpaged"))
            op->b |= KFH_ECP_LA_NONPAGED;
        op->b |= (uint8_t)(ecp_opt(t, nt, &at, kfh_ecp_la_misuse_name, 1, KFH_ECP_LA_MIS_COUNT) << 2);
        break;
    case KFH_OP_ECP_DONE:
        break;
    case KFH_OP_ECP_ATTACH: {
        uint8_t n;
        if (ecp_key(p, t, nt, &at, "n", 3, "a count (0..3)", &n))
            return -1;
        op->b = n;
        if (ecp_word(t, nt, &at, "user"))
            op->b |= KFH_ECP_ATTACH_USER;
        if (ecp_word(t, nt, &at, "acked"))
            op->b |= KFH_ECP_ATTACH_ACKED;
        break;
    }
    default: /* ecp_insert, ecp_get, ecp_set */
        if (nt < 3)
            return perr(p, t[0].col, "%s takes two slots", kfh_op_name(op->code));
        if (parse_small(p, &t[2], op->code == KFH_OP_ECP_INSERT ? KFH_ECP_SLOTS - 1 : KFH_ECP_LIST_SLOTS - 1,
                        op->code == KFH_OP_ECP_INSERT ? "an ECP slot" : "a list slot", &op->b))
            return -1;
        at = 3;
        break;
    }
    if (at != nt)
        return perr(p, t[at].col, "unexpected '%.*s'", (int)t[at].n, t[at].s);
    return 0;
}

/* A word of a KFH_FIO_* table (from `first`), or -1. */
static int fio_word(const tok *t, const char *(*name)(int), int first, int n)
{
    for (int i = first; i < n; i++)
        if (tok_is(t, name(i)))
            return i;
    return -1;
}

/* The filter-initiated file I/O operations of version 15. */
static int parse_fio_op(parser *p, tok *t, int nt, kfh_op *op)
{
    int k;
    tok v;
    unsigned long long x;
    switch (op->code) {
    case KFH_OP_FIO_CREATE: {
        if (nt < 5)
            return perr(p, t[0].col, "fio_create takes SLOT volume=N name=N DISPOSITION, then optionally ex or ex2, "
                        "directory, non_directory, read_only, any_instance and a misuse");
        if (parse_small(p, &t[1], KFH_FIO_SLOTS - 1, "a handle slot", &op->a))
            return -1;
        uint8_t vol = 0, name = 0;
        if (!key_value(&t[2], "volume", &v) || parse_small(p, &v, 3, "a volume", &vol))
            return key_value(&t[2], "volume", &v) ? -1 : perr(p, t[2].col, "expected volume=N");
        if (!key_value(&t[3], "name", &v) || parse_small(p, &v, KFH_FILE_NAMES - 1, "a name index", &name))
            return key_value(&t[3], "name", &v) ? -1 : perr(p, t[3].col, "expected name=N");
        if ((k = fio_word(&t[4], kfh_fio_disposition_name, 0, 8)) < 0)
            return perr(p, t[4].col, "expected supersede, open, create, open_if, overwrite, overwrite_if, "
                        "disposition6 or disposition7");
        int routine = 0, mis = 0;
        op->b = vol;
        op->c = (uint8_t)k;
        op->size_sel = name;
        for (int i = 5; i < nt; i++) {
            int w;
            if (tok_is(&t[i], "ex") && !routine)
                routine = KFH_FIO_CR_EX;
            else if (tok_is(&t[i], "ex2") && !routine)
                routine = KFH_FIO_CR_EX2;
            else if (tok_is(&t[i], "directory") && !(op->c & KFH_FIO_DIR))
                op->c |= KFH_FIO_DIR;
            else if (tok_is(&t[i], "non_directory") && !(op->c & KFH_FIO_NONDIR))
                op->c |= KFH_FIO_NONDIR;
            else if (tok_is(&t[i], "read_only") && !(op->c & KFH_FIO_READ_ONLY))
                op->c |= KFH_FIO_READ_ONLY;
            else if (tok_is(&t[i], "any_instance") && !(op->b & KFH_FIO_ANY_INSTANCE))
                op->b |= KFH_FIO_ANY_INSTANCE;
            else if (!mis && (w = fio_word(&t[i], kfh_fio_create_misuse_name, 1, KFH_FIO_CMIS_COUNT)) > 0)
                mis = w;
            else
                return perr(p, t[i].col, "'%.*s' is not a fio_create argument (ex, ex2, directory, non_directory, "
                            "read_only, any_instance, null_iosb, other_volume, bad_flags, no_volume, relative), "
                            "or it is repeated", (int)t[i].n, t[i].s);
        }
        op->b |= (uint8_t)(routine << 2 | mis << 5);
        return 0;
    }
    case KFH_OP_FIO_CLOSE:
        if (nt < 2 || nt > 3)
            return perr(p, t[0].col, "fio_close takes a handle slot and optionally again, null, foreign or object");
        if (parse_small(p, &t[1], KFH_FIO_SLOTS - 1, "a handle slot", &op->a))
            return -1;
        if (nt == 3 && (k = fio_word(&t[2], kfh_fio_close_name, 1, KFH_FIO_CLOSE_COUNT)) < 0)
            return perr(p, t[2].col, "expected again, null, foreign or object");
        op->b = nt == 3 ? (uint8_t)k : 0;
        return 0;
    default: { /* KFH_OP_FIO_IO */
        if (nt < 3)
            return perr(p, t[0].col, "fio_io takes SLOT ROUTINE, then optionally offset=N, length=N, async and a "
                        "misuse");
        if (parse_small(p, &t[1], KFH_FIO_SLOTS - 1, "a handle slot or volume", &op->a))
            return -1;
        if ((k = fio_word(&t[2], kfh_fio_io_name, 0, KFH_FIO_IO_COUNT)) < 0)
            return perr(p, t[2].col, "expected read, write, query, set_eof, volume, flush or directory");
        int mis = 0, have_off = 0, have_len = 0;
        op->b = (uint8_t)k;
        for (int i = 3; i < nt; i++) {
            int w;
            if (key_value(&t[i], "offset", &v) && !have_off) {
                if (parse_number(&v, 255, &x))
                    return perr(p, v.col, "expected offset=N (0 to 255)");
                op->c = (uint8_t)x;
                have_off = 1;
            } else if (key_value(&t[i], "length", &v) && !have_len) {
                if (parse_number(&v, 255, &x))
                    return perr(p, v.col, "expected length=N (0 to 255)");
                op->size_sel = (uint8_t)x;
                have_len = 1;
            } else if (tok_is(&t[i], "async") && !(op->b & KFH_FIO_ASYNC))
                op->b |= KFH_FIO_ASYNC;
            else if (!mis && (w = fio_word(&t[i], kfh_fio_io_misuse_name, 1, KFH_FIO_MIS_COUNT)) > 0)
                mis = w;
            else
                return perr(p, t[i].col, "'%.*s' is not a fio_io argument (offset=N, length=N, async, null_object, "
                            "wrong_volume, bad_flags), or it is repeated", (int)t[i].n, t[i].s);
        }
        op->b |= (uint8_t)(mis << 4);
        return 0;
    }
    }
}

/* The transaction operations of version 15. */
static int parse_txn_op(parser *p, tok *t, int nt, kfh_op *op)
{
    static const char *const usage[] = {
        "txn_new takes a transaction slot",
        ("txn_enlist takes SLOT mask=N pending=N (N from 0 to 31: 1 preprepare, 2 prepare, 4 commit, "
         "8 commit_finalize, 16 rollback) and optionally bad_answer"),
        "txn_end takes SLOT commit or SLOT rollback",
        ("txn_ack takes SLOT and preprepare, prepare, commit, commit_finalize, rollback, rollback_enlistment, "
         "get_context, delete_context or foreign"),
    };
    static const int arity[] = {2, 4, 3, 3};
    int which = op->code - KFH_OP_TXN_NEW;
    int bad = op->code == KFH_OP_TXN_ENLIST && nt == 5 && tok_is(&t[4], "bad_answer");
    if (nt - bad != arity[which])
        return perr(p, t[0].col, "%s", usage[which]);
    if (parse_small(p, &t[1], KFH_TXN_SLOTS - 1, "a transaction slot", &op->a))
        return -1;
    tok v;
    unsigned long long x;
    switch (op->code) {
    case KFH_OP_TXN_ENLIST:
        if (!key_value(&t[2], "mask", &v) || parse_number(&v, KFH_TXN_N_ALL, &x))
            return perr(p, t[2].col, "expected mask=N (0 to 31)");
        op->b = (uint8_t)x;
        if (!key_value(&t[3], "pending", &v) || parse_number(&v, KFH_TXN_N_ALL, &x))
            return perr(p, t[3].col, "expected pending=N (0 to 31)");
        op->c = (uint8_t)(x | (bad ? KFH_TXN_BAD_ANSWER : 0));
        return 0;
    case KFH_OP_TXN_END:
        for (int i = 0; i < KFH_TXN_END_COUNT; i++)
            if (tok_is(&t[2], kfh_txn_end_name(i))) {
                op->b = (uint8_t)i;
                return 0;
            }
        return perr(p, t[2].col, "expected commit or rollback");
    case KFH_OP_TXN_ACK:
        for (int i = 0; i < KFH_TXN_ACK_COUNT; i++)
            if (tok_is(&t[2], kfh_txn_ack_name(i))) {
                op->b = (uint8_t)i;
                return 0;
            }
        return perr(p, t[2].col, "expected preprepare, prepare, commit, commit_finalize, rollback, "
                    "rollback_enlistment, get_context, delete_context or foreign");
    default:
        return 0;
    }
}

/* Parses one operation line (tokens after the name in t[1..nt-1]); *opens is set when the
 * line ends with '{'. */
static int parse_op(parser *p, tok *t, int nt, kfh_op *op, int *opens)
{
    int code = -1;
    for (int c = 1; c < KFH_OP_COUNT; c++)
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
    if (code == KFH_OP_MF_ATTACH) {
        if (nt != 2)
            return perr(p, t[0].col, "mf_attach takes a volume");
        return parse_small(p, &t[1], KFH_MF_VOLUMES - 1, "a volume", &op->a);
    }
    /* Version 15's families, each from its first opcode on (the newest first). */
    if (code >= KFH_OP_TXN_NEW)
        return parse_txn_op(p, t, nt, op);
    if (code >= KFH_OP_FIO_CREATE)
        return parse_fio_op(p, t, nt, op);
    if (code >= KFH_OP_ECP_LIST_ALLOC)
        return parse_ecp_op(p, t, nt, op);
    if (code >= KFH_OP_OBJ_GET)
        return parse_obj_op(p, t, nt, op);
    if (code >= KFH_OP_SD_BUILD)
        return parse_port_op(p, t, nt, op);
    if (code >= KFH_OP_COUNT_V14)
        return parse_q_op(p, t, nt, op);
    if (code >= KFH_OP_COUNT_V8)
        return parse_wi_op(p, t, nt, op);
    if (code >= KFH_OP_COUNT_V6)
        return parse_ctx_op(p, t, nt, op);
    if (code >= KFH_OP_COUNT_V5)
        return parse_mf_op(p, t, nt, op);
    if (code >= KFH_OP_COUNT_V3 && code < KFH_OP_COUNT_V4) {
        int rc = parse_client_op(p, t, nt, op);
        if (rc <= 0)
            return rc;
    } else if (code >= KFH_OP_COUNT_V1) {
        int rc = parse_flt_op(p, t, nt, op);
        if (rc <= 0)
            return rc;
    }
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
    int saw_op = 0, declared = 0;
    memset(out, 0, sizeof *out);
    out->version = 1; /* without a version line: the lowest that carries the operations */
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
            if (!kfh_scenario_version_known((unsigned)v))
                return perr(&p, t[1].col, "unknown scenario format version %llu (this build reads versions 1 "
                            "to %d)", v, KFH_SCENARIO_VERSION);
            out->version = (uint8_t)v;
            declared = 1;
            continue;
        }
        saw_op = 1;
        if (out->n >= KFH_MAX_OPS)
            return perr(&p, t[0].col, "more than %d operations", KFH_MAX_OPS);
        kfh_op op;
        int opens = 0;
        memset(&op, 0, sizeof op);
        if (parse_op(&p, t, nt, &op, &opens))
            return -1;
        if (op.code >= KFH_OP_COUNT_V1) {
            uint8_t need = kfh_op_min_version(op.code);
            if (declared && out->version < need)
                return perr(&p, t[0].col, "'%s' needs scenario format version %u (the file says version %u)",
                            kfh_op_name(op.code), need, out->version);
            if (out->version < need)
                out->version = need;
        }
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
    } else if ((unsigned char)buf[0] < 0x09 || ((unsigned char)buf[0] >= 0x0E && (unsigned char)buf[0] < 0x20)) {
        /* The byte form: its first byte is the version, a control character that never begins
         * text (0x09 to 0x0D are whitespace and never versions). */
        if (kfh_scenario_decode((const uint8_t *)buf, n, out, sub, sizeof sub))
            snprintf(err, errlen, "%s: %s", path, sub);
        else
            rc = 0;
    } else if ((unsigned char)buf[0] >= 0x80) {
        /* Neither form: not a version this build reads, and text is ASCII. */
        snprintf(err, errlen, "%s: not a scenario: its first byte 0x%02x is neither a format version (0x01 to "
                              "0x%02x) nor ASCII text", path, (unsigned char)buf[0], KFH_SCENARIO_VERSION);
    } else if (memchr(buf, 0, n)) {
        snprintf(err, errlen, "%s: binary data that is not a scenario (scenario bytes start with the "
                              "version byte, 0x01 to 0x%02x; text has no NUL bytes)", path, KFH_SCENARIO_VERSION);
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
