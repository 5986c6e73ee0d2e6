/*
 * scenario.c - the versioned byte format of scenarios: decode any bytes into a bounded
 * sequence of operations, encode a scenario back to canonical bytes.
 *
 * The layout is in docs/SCENARIO_FORMAT.md. The decoder never rejects a value: it clamps
 * (modulo a table's size, masks), reads missing bytes as zero and cuts what exceeds the
 * bounds. The only errors are an empty input and an unknown version. A decoder change that
 * alters what existing bytes mean is a migration: it needs a new version number, and the
 * old version's decoding must stay as it is. Version 1 (stack expansion) is frozen; version 2
 * appends the Filter Manager operations, version 3 the registry value, version 4 the user-mode
 * client of a communication port and the worker threads, version 5 the files, version 6 the
 * minifilter's I/O, version 7 the Filter Manager contexts and file names of the conformance
 * runner, version 8 the minifilter fuzzer's manual attachment, version 14 (9 to 13 begin text) the
 * generic work items of the conformance runner, version 15 its deferred I/O work items and
 * cancel-safe callback data queues, communication ports and the other Filter Manager families.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"

#include <string.h>

/* ---- Tables shared with the text form ------------------------------------------------ */

static const char *const op_names[KFH_OP_COUNT] = {
    [KFH_OP_END] = "end",           [KFH_OP_PROFILE] = "profile",
    [KFH_OP_RAISE_IRQL] = "raise_irql", [KFH_OP_LOWER_IRQL] = "lower_irql",
    [KFH_OP_SET_STACK] = "set_stack", [KFH_OP_LARGE_STACK] = "large_stack",
    [KFH_OP_EXPAND] = "expand",     [KFH_OP_CONSUME] = "consume",
    [KFH_OP_RAISE] = "raise",       [KFH_OP_TERMINATE] = "terminate",
    [KFH_OP_FAULT] = "fault",       [KFH_OP_POOL_ALLOC] = "pool_alloc",
    [KFH_OP_POOL_FREE] = "pool_free",
    [KFH_OP_FLT_START] = "flt_start", [KFH_OP_CBD_ALLOC] = "cbd_alloc",
    [KFH_OP_IOPB] = "iopb",         [KFH_OP_SYNC_IO] = "sync_io",
    [KFH_OP_ASYNC_IO] = "async_io", [KFH_OP_RUN_PENDING] = "run_pending",
    [KFH_OP_CBD_REUSE] = "cbd_reuse", [KFH_OP_CBD_FREE] = "cbd_free",
    [KFH_OP_LOWER] = "lower",       [KFH_OP_TEARDOWN] = "teardown",
    [KFH_OP_FLT_UNREGISTER] = "flt_unregister",
    [KFH_OP_REG_VALUE] = "reg_value",
    [KFH_OP_MSG_WORD] = "msg_word", [KFH_OP_PORT_CONNECT] = "port_connect",
    [KFH_OP_MSG_SEND] = "msg_send", [KFH_OP_PORT_ANSWER] = "port_answer",
    [KFH_OP_PORT_DISCONNECT] = "port_disconnect", [KFH_OP_RUN_WORK] = "run_work",
    [KFH_OP_FILE] = "file",
    [KFH_OP_MF_CREATE] = "mf_create", [KFH_OP_MF_IO] = "mf_io",
    [KFH_OP_MF_DETACH] = "mf_detach", [KFH_OP_MF_UNLOAD] = "mf_unload",
    [KFH_OP_CTX_ALLOC] = "ctx_alloc", [KFH_OP_CTX_SET] = "ctx_set", [KFH_OP_CTX_GET] = "ctx_get",
    [KFH_OP_CTX_DELETE] = "ctx_delete", [KFH_OP_CTX_REF] = "ctx_ref", [KFH_OP_CTX_RELEASE] = "ctx_release",
    [KFH_OP_CTX_UNLINK] = "ctx_unlink",
    [KFH_OP_NAME_GET] = "name_get", [KFH_OP_NAME_REF] = "name_ref", [KFH_OP_NAME_RELEASE] = "name_release",
    [KFH_OP_NAME_PARSE] = "name_parse",
    [KFH_OP_MF_ATTACH] = "mf_attach",
    [KFH_OP_WI_ALLOC] = "wi_alloc", [KFH_OP_WI_QUEUE] = "wi_queue", [KFH_OP_WI_FREE] = "wi_free",
    [KFH_OP_WI_RUN] = "wi_run",
    [KFH_OP_DW_ALLOC] = "dw_alloc", [KFH_OP_DW_QUEUE] = "dw_queue", [KFH_OP_DW_FREE] = "dw_free",
    [KFH_OP_CQ_INIT] = "cq_init", [KFH_OP_CQ_INSERT] = "cq_insert", [KFH_OP_CQ_REMOVE] = "cq_remove",
    [KFH_OP_CQ_NEXT] = "cq_next", [KFH_OP_CQ_ENABLE] = "cq_enable", [KFH_OP_CQ_DISABLE] = "cq_disable",
    [KFH_OP_CQ_CANCEL] = "cq_cancel",
    [KFH_OP_SD_BUILD] = "sd_build", [KFH_OP_SD_FREE] = "sd_free", [KFH_OP_PORT_CREATE] = "port_create",
    [KFH_OP_PORT_CLOSE] = "port_close", [KFH_OP_PORT_CLOSE_CLIENT] = "port_close_client",
    [KFH_OP_PORT_SEND] = "port_send",
    [KFH_OP_OBJ_GET] = "obj_get", [KFH_OP_OBJ_REF] = "obj_ref", [KFH_OP_OBJ_DEREF] = "obj_deref",
    [KFH_OP_OBJ_QUERY] = "obj_query", [KFH_OP_OBJ_ENUM] = "obj_enum", [KFH_OP_APOOL_ALLOC] = "apool_alloc",
    [KFH_OP_APOOL_FREE] = "apool_free",
    [KFH_OP_ECP_LIST_ALLOC] = "ecp_list_alloc", [KFH_OP_ECP_LIST_FREE] = "ecp_list_free",
    [KFH_OP_ECP_ALLOC] = "ecp_alloc", [KFH_OP_ECP_FREE] = "ecp_free", [KFH_OP_ECP_INSERT] = "ecp_insert",
    [KFH_OP_ECP_REMOVE] = "ecp_remove", [KFH_OP_ECP_FIND] = "ecp_find", [KFH_OP_ECP_NEXT] = "ecp_next",
    [KFH_OP_ECP_MARK] = "ecp_mark", [KFH_OP_ECP_LOOKASIDE] = "ecp_lookaside", [KFH_OP_ECP_GET] = "ecp_get",
    [KFH_OP_ECP_SET] = "ecp_set", [KFH_OP_ECP_DONE] = "ecp_done", [KFH_OP_ECP_ATTACH] = "ecp_attach",
    [KFH_OP_FIO_CREATE] = "fio_create", [KFH_OP_FIO_CLOSE] = "fio_close", [KFH_OP_FIO_IO] = "fio_io",
    [KFH_OP_TXN_NEW] = "txn_new", [KFH_OP_TXN_ENLIST] = "txn_enlist", [KFH_OP_TXN_END] = "txn_end",
    [KFH_OP_TXN_ACK] = "txn_ack",
};

const char *kfh_op_name(int code)
{
    return (unsigned)code < KFH_OP_COUNT ? op_names[code] : "?";
}

/* Bytes that follow each opcode (fixed width per opcode). */
static const uint8_t op_width[KFH_OP_COUNT] = {
    [KFH_OP_END] = 0,        [KFH_OP_PROFILE] = 1,   [KFH_OP_RAISE_IRQL] = 1,
    [KFH_OP_LOWER_IRQL] = 1, [KFH_OP_SET_STACK] = 5, [KFH_OP_LARGE_STACK] = 1,
    [KFH_OP_EXPAND] = 6,     [KFH_OP_CONSUME] = 5,   [KFH_OP_RAISE] = 2,
    [KFH_OP_TERMINATE] = 1,  [KFH_OP_FAULT] = 1,     [KFH_OP_POOL_ALLOC] = 2,
    [KFH_OP_POOL_FREE] = 1,
    [KFH_OP_FLT_START] = 1,  [KFH_OP_CBD_ALLOC] = 3, [KFH_OP_IOPB] = 7,
    [KFH_OP_SYNC_IO] = 1,    [KFH_OP_ASYNC_IO] = 3,  [KFH_OP_RUN_PENDING] = 0,
    [KFH_OP_CBD_REUSE] = 1,  [KFH_OP_CBD_FREE] = 2,  [KFH_OP_LOWER] = 5,
    [KFH_OP_TEARDOWN] = 2,   [KFH_OP_FLT_UNREGISTER] = 0,
    [KFH_OP_REG_VALUE] = 7,
    [KFH_OP_MSG_WORD] = 4,   [KFH_OP_PORT_CONNECT] = 4, [KFH_OP_MSG_SEND] = 6,
    [KFH_OP_PORT_ANSWER] = 4, [KFH_OP_PORT_DISCONNECT] = 1, [KFH_OP_RUN_WORK] = 0,
    [KFH_OP_FILE] = 8,
    [KFH_OP_MF_CREATE] = 8, [KFH_OP_MF_IO] = 7, [KFH_OP_MF_DETACH] = 2, [KFH_OP_MF_UNLOAD] = 1,
    [KFH_OP_CTX_ALLOC] = 3, [KFH_OP_CTX_SET] = 3, [KFH_OP_CTX_GET] = 2, [KFH_OP_CTX_DELETE] = 2,
    [KFH_OP_CTX_REF] = 2, [KFH_OP_CTX_RELEASE] = 2, [KFH_OP_CTX_UNLINK] = 1,
    [KFH_OP_NAME_GET] = 4, [KFH_OP_NAME_REF] = 2, [KFH_OP_NAME_RELEASE] = 2, [KFH_OP_NAME_PARSE] = 1,
    [KFH_OP_MF_ATTACH] = 1,
    [KFH_OP_WI_ALLOC] = 1, [KFH_OP_WI_QUEUE] = 3, [KFH_OP_WI_FREE] = 2, [KFH_OP_WI_RUN] = 0,
    [KFH_OP_DW_ALLOC] = 1, [KFH_OP_DW_QUEUE] = 3, [KFH_OP_DW_FREE] = 2,
    [KFH_OP_CQ_INIT] = 2, [KFH_OP_CQ_INSERT] = 3, [KFH_OP_CQ_REMOVE] = 3, [KFH_OP_CQ_NEXT] = 3,
    [KFH_OP_CQ_ENABLE] = 1, [KFH_OP_CQ_DISABLE] = 1, [KFH_OP_CQ_CANCEL] = 3,
    [KFH_OP_SD_BUILD] = 2, [KFH_OP_SD_FREE] = 2, [KFH_OP_PORT_CREATE] = 3, [KFH_OP_PORT_CLOSE] = 2,
    [KFH_OP_PORT_CLOSE_CLIENT] = 2, [KFH_OP_PORT_SEND] = 4,
    [KFH_OP_OBJ_GET] = 2, [KFH_OP_OBJ_REF] = 2, [KFH_OP_OBJ_DEREF] = 2, [KFH_OP_OBJ_QUERY] = 3,
    [KFH_OP_OBJ_ENUM] = 3, [KFH_OP_APOOL_ALLOC] = 2, [KFH_OP_APOOL_FREE] = 2,
    [KFH_OP_ECP_LIST_ALLOC] = 2, [KFH_OP_ECP_LIST_FREE] = 2, [KFH_OP_ECP_ALLOC] = 3, [KFH_OP_ECP_FREE] = 2,
    [KFH_OP_ECP_INSERT] = 2, [KFH_OP_ECP_REMOVE] = 3, [KFH_OP_ECP_FIND] = 3, [KFH_OP_ECP_NEXT] = 3,
    [KFH_OP_ECP_MARK] = 2, [KFH_OP_ECP_LOOKASIDE] = 2, [KFH_OP_ECP_GET] = 2, [KFH_OP_ECP_SET] = 2,
    [KFH_OP_ECP_DONE] = 1, [KFH_OP_ECP_ATTACH] = 2,
    [KFH_OP_FIO_CREATE] = 4, [KFH_OP_FIO_CLOSE] = 2, [KFH_OP_FIO_IO] = 4,
    [KFH_OP_TXN_NEW] = 1, [KFH_OP_TXN_ENLIST] = 3, [KFH_OP_TXN_END] = 2, [KFH_OP_TXN_ACK] = 2,
};

/* How many opcodes each version knows; an opcode byte is taken modulo this count, so
 * appending opcodes needs a new version (old files keep their meaning). Version 1 is
 * frozen at its 13 opcodes, version 2 at its 24, version 3 at its 25, version 4 at its 31, version 5 at its 32,
 * version 6 at its 36, version 7 at its 47, version 8 at its 48. Versions 9 to 13 do not exist (their
 * first byte begins text); version 14 has 52, version 15 KFH_OP_COUNT_V15 (its families' opcodes: harness.h). */
static unsigned ops_in_version(uint8_t version)
{
    switch (version) {
    case 1: return KFH_OP_COUNT_V1;
    case 2: return KFH_OP_COUNT_V2;
    case 3: return KFH_OP_COUNT_V3;
    case 4: return KFH_OP_COUNT_V4;
    case 5: return KFH_OP_COUNT_V5;
    case 6: return KFH_OP_COUNT_V6;
    case 7: return KFH_OP_COUNT_V7;
    case 8: return KFH_OP_COUNT_V8;
    case 14: return KFH_OP_COUNT_V14;
    case 15: return KFH_OP_COUNT_V15;
    default: return 0;
    }
}

uint8_t kfh_op_min_version(int code)
{
    return code >= KFH_OP_COUNT_V14  ? 15
           : code >= KFH_OP_COUNT_V8 ? 14
           : code >= KFH_OP_COUNT_V7 ? 8
           : code >= KFH_OP_COUNT_V6 ? 7
           : code >= KFH_OP_COUNT_V5 ? 6
           : code >= KFH_OP_COUNT_V4 ? 5
           : code >= KFH_OP_COUNT_V3 ? 4
           : code >= KFH_OP_COUNT_V2 ? 3
           : code >= KFH_OP_COUNT_V1 ? 2
                                     : 1;
}

int kfh_scenario_version_known(unsigned v) { return v <= 255 && ops_in_version((uint8_t)v) != 0; }

uint8_t kfh_scenario_min_version(const kfh_scenario *s)
{
    uint8_t v = 1;
    for (uint16_t i = 0; i < s->n; i++) {
        uint8_t need = kfh_op_min_version(s->ops[i].code);
        if (need > v)
            v = need;
    }
    return v;
}

/* ---- Registry operand tables (version 3) ------------------------------------------------ */

static const ULONG reg_types[KFH_REG_TYPES] = {4 /* REG_DWORD */, 1 /* REG_SZ */, 3 /* REG_BINARY */,
                                               7 /* REG_MULTI_SZ */, 11 /* REG_QWORD */,
                                               2 /* REG_EXPAND_SZ */, 0 /* REG_NONE */, 0 /* absent */};
static const char *const reg_type_names[KFH_REG_TYPES] = {"REG_DWORD", "REG_SZ", "REG_BINARY", "REG_MULTI_SZ",
                                                          "REG_QWORD", "REG_EXPAND_SZ", "REG_NONE", "absent"};

ULONG kfh_reg_type_at(size_t index) { return reg_types[index % KFH_REG_TYPES]; }
const char *kfh_reg_type_name(size_t index) { return reg_type_names[index % KFH_REG_TYPES]; }

ULONG kfh_reg_value_bytes(const kfh_op *op, UCHAR *buf, size_t cap)
{
    ULONG len = (ULONG)op->c * 2u + ((op->b & KFH_REG_LENGTH_ODD) ? 1u : 0u);
    if ((op->b & KFH_REG_TYPE_MASK) == KFH_REG_ABSENT)
        return 0;
    for (ULONG i = 0; i < len && i < cap; i++)
        buf[i] = (UCHAR)(op->size_raw >> (8 * (i % 4)));
    if (op->b & KFH_REG_TERMINATED) {
        ULONG zeros = kfh_reg_type_at(op->b & KFH_REG_TYPE_MASK) == 7 ? 4u : 2u;
        for (ULONG i = len > zeros ? len - zeros : 0; i < len && i < cap; i++)
            buf[i] = 0;
    }
    return len;
}

/* ---- The port client's operand tables (version 4) ---------------------------------------- */

static const char *const answer_names[KFH_ANSWER_COUNT] = {"reply", "no_reply", "never_read", "disconnect"};
const char *kfh_answer_name(size_t index) { return answer_names[index % KFH_ANSWER_COUNT]; }
/* ---- File operand tables (version 5) --------------------------------------------------- */

static const struct {
    const WCHAR *name;
    const char *text;
} file_names[KFH_FILE_NAMES] = {
    {L"\\readme.txt", "\\readme.txt"},
    {L"\\setup.exe", "\\setup.exe"},
    {L"\\bin\\helper.dll", "\\bin\\helper.dll"},
    {L"\\Documents\\Report 2024.docx", "\\Documents\\Report 2024.docx"},
    {L"\\Temp\\~WRL0001.tmp", "\\Temp\\~WRL0001.tmp"},
    {L"\\Downloads\\installer.exe:Zone.Identifier", "\\Downloads\\installer.exe:Zone.Identifier"},
    {L"\\PROGRA~1", "\\PROGRA~1"},
    {L"\\Documents", "\\Documents"},
    {L"\\Documents\\A very long file name that keeps going well past the old eight dot three limit.txt",
     "\\Documents\\A very long file name that keeps going well past the old eight dot three limit.txt"},
    {L"\\\u0414\u043e\u043a\u0443\u043c\u0435\u043d\u0442\u044b\\\u043e\u0442\u0447\u0451\u0442.docx",
     "\\?????????\\?????.docx"},
    {L"\\scan\\sample.exe", "\\scan\\sample.exe"},
    {L"\\scan\\sample.dll", "\\scan\\sample.dll"},
    {L"\\scan\\notes.txt", "\\scan\\notes.txt"},
    {L"\\scan\\archive.bin", "\\scan\\archive.bin"},
    {L"\\My Files\\budget final.xlsx", "\\My Files\\budget final.xlsx"},
    {L"\\\u65e5\u672c\u8a9e\u306e\u30d5\u30a1\u30a4\u30eb.txt", "\\????????.txt"},
};

const WCHAR *kfh_file_name_at(size_t index) { return file_names[index % KFH_FILE_NAMES].name; }
const char *kfh_file_name_text(size_t index) { return file_names[index % KFH_FILE_NAMES].text; }

ULONG kfh_file_bytes(const kfh_op *op, UCHAR *buf, size_t cap)
{
    ULONG len = (op->b & KFH_FILE_DIRECTORY) ? 0 : (ULONG)op->c | ((ULONG)op->size_sel << 8);
    for (ULONG i = 0; i < len && i < cap; i++)
        buf[i] = (UCHAR)(op->size_raw >> (8 * (i % 4)));
    return len;
}

/* ---- Filter Manager operand tables (version 2) ----------------------------------------- */

static const ULONG alloc_flags[KFH_ALLOC_FLAGS_COUNT] = {
    0, FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY, 0x2, 0x80000000u | FLT_ALLOCATE_CALLBACK_DATA_PREALLOCATE_ALL_MEMORY,
};
ULONG kfh_alloc_flags_at(size_t i) { return alloc_flags[i % KFH_ALLOC_FLAGS_COUNT]; }

/* The operations minifilters issue, a major function above the IRP range, and an FsFilter
 * operation (not IRP-based): both of the latter are refused. */
static const struct {
    UCHAR major;
    const char *name;
} majors[KFH_MAJOR_COUNT] = {
    {IRP_MJ_CREATE, "create"},
    {IRP_MJ_CLOSE, "close"},
    {IRP_MJ_READ, "read"},
    {IRP_MJ_WRITE, "write"},
    {IRP_MJ_QUERY_INFORMATION, "query_information"},
    {IRP_MJ_SET_INFORMATION, "set_information"},
    {IRP_MJ_FLUSH_BUFFERS, "flush_buffers"},
    {IRP_MJ_DIRECTORY_CONTROL, "directory_control"},
    {IRP_MJ_FILE_SYSTEM_CONTROL, "file_system_control"},
    {IRP_MJ_CLEANUP, "cleanup"},
    {0x40, "major_0x40"},
    {IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION, "acquire_for_section_synchronization"},
};
UCHAR kfh_major_at(size_t i) { return majors[i % KFH_MAJOR_COUNT].major; }
const char *kfh_major_name(size_t i) { return majors[i % KFH_MAJOR_COUNT].name; }

static const struct {
    ULONG flags;
    const char *name;
} irpflags[KFH_IRPFLAGS_COUNT] = {
    {0, "none"},
    {IRP_SYNCHRONOUS_API, "synchronous_api"},
    {IRP_PAGING_IO | IRP_NOCACHE, "paging_io"},
    {IRP_NOCACHE, "nocache"},
};
ULONG kfh_irpflags_at(size_t i) { return irpflags[i % KFH_IRPFLAGS_COUNT].flags; }
const char *kfh_irpflags_name(size_t i) { return irpflags[i % KFH_IRPFLAGS_COUNT].name; }

/* What the layers below may answer; index 0 means "the defaults" (no answer chosen). */
static const NTSTATUS lower_statuses[KFH_LOWER_COUNT] = {
    STATUS_SUCCESS, STATUS_SUCCESS, STATUS_END_OF_FILE, STATUS_NO_MORE_FILES,
    STATUS_BUFFER_OVERFLOW, STATUS_ACCESS_DENIED, STATUS_INVALID_DEVICE_REQUEST, STATUS_INSUFFICIENT_RESOURCES,
};
NTSTATUS kfh_lower_status_at(size_t i) { return lower_statuses[i % KFH_LOWER_COUNT]; }

static int is_block(uint8_t code) { return code == KFH_OP_EXPAND || code == KFH_OP_CONSUME; }

/* IRQLs a scenario can name: the three a driver meets, and the edges of the HAL's range. */
static const uint8_t irql_table[8] = {0, 1, 2, 3, 4, 13, 15, 31};

static const struct {
    NTSTATUS s;
    const char *name;
} statuses[] = {
    {STATUS_ACCESS_VIOLATION, "STATUS_ACCESS_VIOLATION"},
    {STATUS_INSUFFICIENT_RESOURCES, "STATUS_INSUFFICIENT_RESOURCES"},
    {STATUS_NO_MEMORY, "STATUS_NO_MEMORY"},
    {STATUS_INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"},
    {STATUS_STACK_OVERFLOW, "STATUS_STACK_OVERFLOW"},
    {STATUS_UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"},
    {STATUS_SUCCESS, "STATUS_SUCCESS"},
    {STATUS_CANCELLED, "STATUS_CANCELLED"},
};

size_t kfh_status_count(void) { return sizeof statuses / sizeof statuses[0]; }
NTSTATUS kfh_status_at(size_t i) { return i < kfh_status_count() ? statuses[i].s : STATUS_SUCCESS; }

const char *kfh_status_name(NTSTATUS s)
{
    for (size_t i = 0; i < kfh_status_count(); i++)
        if (statuses[i].s == s)
            return statuses[i].name;
    switch (s) {
    case STATUS_INVALID_PARAMETER_3:
        return "STATUS_INVALID_PARAMETER_3";
    case STATUS_INVALID_PARAMETER_4:
        return "STATUS_INVALID_PARAMETER_4";
    case STATUS_PENDING:
        return "STATUS_PENDING";
    case STATUS_END_OF_FILE:
        return "STATUS_END_OF_FILE";
    case STATUS_NO_MORE_FILES:
        return "STATUS_NO_MORE_FILES";
    case STATUS_BUFFER_OVERFLOW:
        return "STATUS_BUFFER_OVERFLOW";
    case STATUS_ACCESS_DENIED:
        return "STATUS_ACCESS_DENIED";
    case STATUS_INVALID_DEVICE_REQUEST:
        return "STATUS_INVALID_DEVICE_REQUEST";
    case STATUS_FLT_DELETING_OBJECT:
        return "STATUS_FLT_DELETING_OBJECT";
    case STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST:
        return "STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST";
    default:
        return NULL;
    }
}

SIZE_T kfh_size_resolve(uint8_t sel, uint32_t raw, const kf_profile *p, SIZE_T remaining)
{
    switch (sel) {
    case KFH_SIZE_ZERO:
        return 0;
    case KFH_SIZE_MAX:
        return p->maximum_expansion_size;
    case KFH_SIZE_MAX_PLUS1:
        return p->maximum_expansion_size + 1;
    case KFH_SIZE_MAX_MINUS1:
        return p->maximum_expansion_size - 1;
    case KFH_SIZE_STACK:
        return p->kernel_stack_size;
    case KFH_SIZE_LARGE:
        return p->large_stack_size;
    case KFH_SIZE_SIZE_T_MAX:
        return (SIZE_T)-1;
    case KFH_SIZE_PAGE:
        return PAGE_SIZE;
    case KFH_SIZE_REMAINING:
        return remaining;
    case KFH_SIZE_REMAINING_PLUS1:
        return remaining + 1;
    default:
        return raw;
    }
}

/* ---- Decoding ------------------------------------------------------------------------ */

typedef struct reader {
    const uint8_t *d;
    size_t n, pos;
} reader;

static uint8_t rd8(reader *r) { return r->pos < r->n ? r->d[r->pos++] : 0; }

static uint32_t rd32(reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)rd8(r) << (8 * i);
    return v;
}

static uint16_t rd16(reader *r)
{
    uint16_t lo = rd8(r);
    return (uint16_t)(lo | (uint16_t)rd8(r) << 8);
}

/* The owner byte of the context operations: kind, volume, file object (streams and stream
 * handles only), and the flag when the operation has one. */
static uint8_t ctx_owner(uint8_t b, int flag)
{
    uint8_t kind = b & KFH_CTX_KIND_MASK;
    uint8_t v = (uint8_t)(kind | (b & (3u << KFH_CTX_VOL_SHIFT)));
    if (kind == KFH_CTX_STREAM || kind == KFH_CTX_HANDLE)
        v |= (uint8_t)((((b >> KFH_CTX_FILE_SHIFT) & 3) % KFH_CTX_FILES) << KFH_CTX_FILE_SHIFT);
    if (flag)
        v |= b & KFH_CTX_FLAG;
    return v;
}

/* A byte count of the message buffer: 0 to KFH_MSG_MAX. */
static uint32_t rd_msg_size(reader *r) { return rd16(r) % (KFH_MSG_MAX + 1u); }

static void rd_size(reader *r, kfh_op *op)
{
    uint8_t sel = rd8(r) % 16;
    uint32_t raw = rd32(r);
    if (sel >= KFH_SIZE_SEL_COUNT)
        sel = KFH_SIZE_RAW;
    op->size_sel = sel;
    op->size_raw = sel == KFH_SIZE_RAW ? raw : 0;
}

int kfh_scenario_decode(const uint8_t *data, size_t size, kfh_scenario *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (size == 0) {
        snprintf(err, errlen, "empty input: a scenario starts with its format version byte");
        return -1;
    }
    unsigned nops = ops_in_version(data[0]);
    if (!nops) {
        snprintf(err, errlen, "unknown scenario format version %u (this build reads versions 1 to %d)",
                 data[0], KFH_SCENARIO_VERSION);
        return -1;
    }
    out->version = data[0];
    reader r = {data, size, 1};
    uint16_t open[KFH_MAX_DEPTH];
    unsigned depth = 0;
    while (r.pos < r.n && out->n < KFH_MAX_OPS) {
        uint8_t code = (uint8_t)(rd8(&r) % nops);
        kfh_op op;
        memset(&op, 0, sizeof op);
        op.code = code;
        op.depth = (uint8_t)depth;
        size_t start = r.pos;
        switch (code) {
        case KFH_OP_END:
            if (depth > 0) {
                uint16_t at = open[--depth];
                out->ops[at].body = (uint16_t)(out->n - at - 1);
            }
            continue; /* never stored: the text form closes blocks with braces */
        case KFH_OP_PROFILE:
            op.a = (uint8_t)(rd8(&r) % kf_profile_count());
            break;
        case KFH_OP_RAISE_IRQL:
        case KFH_OP_LOWER_IRQL:
            op.a = irql_table[rd8(&r) % 8];
            break;
        case KFH_OP_SET_STACK:
        case KFH_OP_CONSUME:
            rd_size(&r, &op);
            break;
        case KFH_OP_LARGE_STACK:
            op.a = rd8(&r) & 1;
            break;
        case KFH_OP_EXPAND:
            op.a = rd8(&r) & 0x0F;
            rd_size(&r, &op);
            break;
        case KFH_OP_RAISE:
            op.a = (uint8_t)(rd8(&r) % kfh_status_count());
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_TERMINATE:
            op.a = (uint8_t)(rd8(&r) % kfh_status_count());
            break;
        case KFH_OP_FAULT:
            op.a = rd8(&r) % 3;
            break;
        case KFH_OP_POOL_ALLOC:
            op.a = rd8(&r) % KFH_POOL_SLOTS;
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_POOL_FREE:
            op.a = rd8(&r) % KFH_POOL_SLOTS;
            break;
        case KFH_OP_FLT_START:
            op.a = rd8(&r) % (KFH_FLT_VOLUMES + 1);
            break;
        case KFH_OP_CBD_ALLOC:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) & 0x1F;
            op.c = rd8(&r) % KFH_ALLOC_FLAGS_COUNT;
            break;
        case KFH_OP_IOPB:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) % KFH_MAJOR_COUNT;
            op.c = rd8(&r) & 0x0F;
            op.size_raw = rd32(&r);
            break;
        case KFH_OP_SYNC_IO:
        case KFH_OP_CBD_REUSE:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            break;
        case KFH_OP_ASYNC_IO: {
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) % KFH_THEN_COUNT;
            uint8_t m = rd8(&r);
            op.c = (uint8_t)((m & 1) | (((m >> 1) % KFH_ASYNC_IRQL_COUNT) << 1));
            break;
        }
        case KFH_OP_CBD_FREE:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) % KFH_FREE_COUNT;
            break;
        case KFH_OP_LOWER:
            op.a = rd8(&r) % KFH_LOWER_COUNT;
            op.size_raw = rd32(&r);
            if (op.a == 0)
                op.size_raw = 0; /* the defaults carry no Information of their own */
            break;
        case KFH_OP_TEARDOWN:
            op.a = rd8(&r) % KFH_FLT_VOLUMES;
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_REG_VALUE:
            op.a = rd8(&r) % KFH_REG_VALUES;
            op.b = rd8(&r) & (KFH_REG_TYPE_MASK | KFH_REG_LENGTH_ODD | KFH_REG_TERMINATED);
            op.c = rd8(&r);
            op.size_raw = rd32(&r);
            if ((op.b & KFH_REG_TYPE_MASK) == KFH_REG_ABSENT) {
                op.b = KFH_REG_ABSENT; /* an absent value has no length, data or terminator */
                op.c = 0;
                op.size_raw = 0;
            }
            break;
        case KFH_OP_MF_CREATE: {
            op.a = rd8(&r);
            op.b = rd8(&r) % KFH_MF_NAMES;
            uint8_t c = rd8(&r);
            op.c = (uint8_t)((c & 0xF8) | ((c & 7) % KFH_MF_DISPOSITIONS));
            op.size_sel = rd8(&r);
            /* The extension: its bytes up to the first zero. */
            uint32_t raw = rd32(&r), ext = 0;
            for (int i = 0; i < 4 && ((raw >> (8 * i)) & 0xFF); i++)
                ext |= raw & (0xFFu << (8 * i));
            op.size_raw = ext;
            break;
        }
        case KFH_OP_MF_IO: {
            uint8_t a = rd8(&r);
            op.a = (uint8_t)((a & 0xE7) | ((((a >> 3) & 3) % 3) << 3));
            op.b = rd8(&r) % KFH_MF_IO_KINDS;
            op.c = rd8(&r);
            op.size_raw = rd32(&r) & 0x00FFFFFFu; /* length, and an offset below 128 KiB */
            break;
        }
        case KFH_OP_MF_DETACH:
            op.a = rd8(&r) % KFH_MF_VOLUMES;
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_MF_UNLOAD:
            op.a = rd8(&r) & 1;
            break;
        case KFH_OP_MF_ATTACH:
            op.a = rd8(&r) % KFH_MF_VOLUMES;
            break;
        case KFH_OP_FILE:
            op.a = rd8(&r) % KFH_FILE_NAMES;
            op.b = rd8(&r) & KFH_FILE_FLAGS;
            op.c = rd8(&r);
            op.size_sel = rd8(&r);
            op.size_raw = rd32(&r);
            if (op.b & KFH_FILE_DIRECTORY) {
                op.c = op.size_sel = 0; /* a directory has no size and no data */
                op.size_raw = 0;
            }
            break;
        case KFH_OP_MSG_WORD:
            op.size_raw = rd32(&r);
            break;
        case KFH_OP_CTX_ALLOC: {
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)(((b & 7) % KFH_CTX_TYPES) | (((b >> 3) & 3) << 3));
            op.c = rd8(&r) % KFH_CTX_SIZES;
            break;
        }
        case KFH_OP_CTX_SET: {
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            op.b = ctx_owner(rd8(&r), 0);
            uint8_t c = rd8(&r);
            op.c = (uint8_t)((c & 3) % KFH_CTX_OPS);
            if (c & KFH_CTX_WITH_OLD) /* the slot of OldContext only with one */
                op.c |= (uint8_t)(KFH_CTX_WITH_OLD | (((c >> KFH_CTX_OLD_SHIFT) % KFH_CTX_SLOTS) << KFH_CTX_OLD_SHIFT));
            break;
        }
        case KFH_OP_CTX_GET:
        case KFH_OP_CTX_DELETE:
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            op.b = ctx_owner(rd8(&r), 1);
            if (code == KFH_OP_CTX_DELETE && !(op.b & KFH_CTX_FLAG))
                op.a = 0; /* no OldContext: no slot receives it */
            break;
        case KFH_OP_CTX_REF:
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            op.b = rd8(&r) % KFH_CTX_SLOTS;
            break;
        case KFH_OP_CTX_RELEASE:
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            op.b = rd8(&r) % KFH_CTX_REL_COUNT;
            break;
        case KFH_OP_CTX_UNLINK:
            op.a = rd8(&r) % KFH_CTX_SLOTS;
            break;
        case KFH_OP_NAME_GET: {
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) % KFH_NAME_SLOTS;
            uint8_t c = rd8(&r);
            op.c = (uint8_t)((c & 3) | ((((c >> 2) & 7) % KFH_NAME_METHODS) << 2));
            op.size_sel = rd8(&r) % KFH_NAMES;
            break;
        }
        case KFH_OP_NAME_REF:
            op.a = rd8(&r) % KFH_NAME_SLOTS;
            op.b = rd8(&r) % KFH_NAME_SLOTS;
            break;
        case KFH_OP_NAME_RELEASE:
            op.a = rd8(&r) % KFH_NAME_SLOTS;
            op.b = rd8(&r) % KFH_NAME_REL_COUNT;
            break;
        case KFH_OP_NAME_PARSE:
            op.a = rd8(&r) % KFH_NAME_SLOTS;
            break;
        case KFH_OP_WI_ALLOC:
            op.a = rd8(&r) % KFH_WI_SLOTS;
            break;
        case KFH_OP_WI_QUEUE: {
            op.a = rd8(&r) % KFH_WI_SLOTS;
            uint8_t b = rd8(&r), c = rd8(&r);
            op.b = (uint8_t)((b & 7) % KFH_WI_OBJ_COUNT | (((b >> 3) & 7) % KFH_WI_MIS_COUNT) << 3);
            op.c = (uint8_t)(c & (3 | KFH_WI_DELAYED));
            break;
        }
        case KFH_OP_WI_FREE:
            op.a = rd8(&r) % KFH_WI_SLOTS;
            op.b = rd8(&r) % KFH_WI_FREE_COUNT;
            break;
        case KFH_OP_DW_ALLOC:
            op.a = rd8(&r) % KFH_DW_SLOTS;
            break;
        case KFH_OP_DW_QUEUE: {
            op.a = rd8(&r) % KFH_DW_SLOTS;
            uint8_t b = rd8(&r), c = rd8(&r);
            op.b = (uint8_t)((b & 3) | (((b >> 2) & 7) % KFH_DW_MIS_COUNT) << 2);
            op.c = (uint8_t)(c & (3 | KFH_WI_DELAYED));
            break;
        }
        case KFH_OP_DW_FREE:
            op.a = rd8(&r) % KFH_DW_SLOTS;
            op.b = rd8(&r) % KFH_DW_FREE_COUNT;
            break;
        case KFH_OP_CQ_INIT: {
            op.a = rd8(&r) % KFH_CQ_QUEUES;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 3) | (((b >> 2) & 15) % KFH_CQ_INIT_COUNT) << 2);
            break;
        }
        case KFH_OP_CQ_INSERT:
        case KFH_OP_CQ_REMOVE:
        case KFH_OP_CQ_NEXT:
        case KFH_OP_CQ_CANCEL: {
            op.a = rd8(&r) % KFH_CQ_QUEUES;
            uint8_t b = rd8(&r), c = rd8(&r);
            /* insert: slot, Context, misuse; remove: slot, Context NULL; next: PeekContext; cancel: slot. */
            op.b = op.code == KFH_OP_CQ_INSERT   ? (uint8_t)((b & 7) | (((b >> 3) & 3) % KFH_CQ_MIS_COUNT) << 3)
                   : op.code == KFH_OP_CQ_REMOVE ? (uint8_t)(b & 7)
                   : op.code == KFH_OP_CQ_NEXT   ? (uint8_t)(b % (KFH_CBD_SLOTS + 1))
                                                 : (uint8_t)(b & 3);
            uint8_t bad = (uint8_t)(((c >> 2) & 7) % KFH_CQ_BAD_COUNT);
            op.c = (uint8_t)((op.code == KFH_OP_CQ_INSERT ? (c & 3) % KFH_CQ_ANSWER_COUNT : 0) | bad << 2);
            break;
        }
        case KFH_OP_CQ_ENABLE:
        case KFH_OP_CQ_DISABLE:
            op.a = rd8(&r) % KFH_CQ_QUEUES;
            break;
        case KFH_OP_SD_BUILD:
            op.a = rd8(&r) % KFH_SD_SLOTS;
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_SD_FREE:
            op.a = rd8(&r) % KFH_SD_SLOTS;
            op.b = rd8(&r) % KFH_SD_FREE_COUNT;
            break;
        case KFH_OP_PORT_CREATE:
            op.a = rd8(&r) % KFH_SERVER_SLOTS;
            op.b = rd8(&r) & (15 | KFH_PC_CASE | KFH_PC_NO_MESSAGE);
            op.c = rd8(&r) % KFH_PC_MIS_COUNT;
            break;
        case KFH_OP_PORT_CLOSE:
            op.a = rd8(&r) % KFH_SERVER_SLOTS;
            op.b = rd8(&r) % KFH_PCL_COUNT;
            break;
        case KFH_OP_PORT_CLOSE_CLIENT:
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            op.b = rd8(&r) % KFH_PCC_COUNT;
            break;
        case KFH_OP_PORT_SEND: {
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            op.b = rd8(&r);
            op.c = rd8(&r);
            if (!(op.c & KFH_PS_REPLY))
                op.c = 0; /* no reply buffer has no room */
            uint8_t t = rd8(&r);
            op.size_sel = (uint8_t)((t & 3) | (((t >> 2) & 7) % KFH_PS_MIS_COUNT) << 2);
            break;
        }
        case KFH_OP_OBJ_GET: {
            op.a = rd8(&r) % KFH_OBJ_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 7) % KFH_OBJ_FROM_COUNT | (b & 0x18));
            if ((op.b & 7) == KFH_OBJ_FROM_NAME) /* the form of a name, which no other source has */
                op.b |= (uint8_t)(((b >> 5) % KFH_OBJ_NAME_COUNT) << 5);
            break;
        }
        case KFH_OP_OBJ_REF:
        case KFH_OP_OBJ_DEREF:
            op.a = rd8(&r) % KFH_OBJ_SLOTS;
            op.b = rd8(&r) & 1;
            break;
        case KFH_OP_OBJ_QUERY:
            op.a = rd8(&r) % KFH_OBJ_SLOTS;
            op.b = rd8(&r) % KFH_OBJ_Q_COUNT;
            op.c = rd8(&r) % KFH_OBJ_BUF_COUNT;
            break;
        case KFH_OP_OBJ_ENUM:
            op.a = rd8(&r) % KFH_OBJ_SLOTS;
            op.b = rd8(&r) % KFH_OBJ_ENUM_COUNT;
            op.c = rd8(&r) % (KFH_OBJ_LIST_MAX + 1);
            break;
        case KFH_OP_APOOL_ALLOC:
            op.a = rd8(&r) % KFH_APOOL_SLOTS;
            op.b = rd8(&r) & 0x1F; /* volume, paged, size: every value is one */
            break;
        case KFH_OP_APOOL_FREE:
            op.a = rd8(&r) % KFH_APOOL_SLOTS;
            op.b = rd8(&r) % KFH_APOOL_FREE_COUNT;
            break;
        /* Extra create parameters (version 15). */
        case KFH_OP_ECP_LIST_ALLOC: {
            op.a = rd8(&r) % KFH_ECP_LIST_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 1) | (((b >> 1) & 3) % KFH_ECPL_MIS_COUNT) << 1);
            break;
        }
        case KFH_OP_ECP_LIST_FREE:
            op.a = rd8(&r) % KFH_ECP_LIST_SLOTS;
            op.b = rd8(&r) % KFH_ECP_PASS_COUNT;
            break;
        case KFH_OP_ECP_ALLOC: {
            op.a = rd8(&r) % KFH_ECP_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 0x1F) | ((b >> 5) % KFH_ECP_MIS_COUNT) << 5);
            if (!(op.b & KFH_ECP_FROM_LA))
                op.b &= 0xEF; /* the lookaside slot means nothing without a lookaside list */
            op.c = rd8(&r) % KFH_ECP_SIZES;
            break;
        }
        case KFH_OP_ECP_FREE:
            op.a = rd8(&r) % KFH_ECP_SLOTS;
            op.b = rd8(&r) % KFH_ECP_PASS_COUNT;
            break;
        case KFH_OP_ECP_INSERT:
            op.a = rd8(&r) % KFH_ECP_LIST_SLOTS;
            op.b = rd8(&r) % KFH_ECP_SLOTS;
            break;
        case KFH_OP_ECP_REMOVE:
        case KFH_OP_ECP_FIND:
            op.a = rd8(&r) % KFH_ECP_LIST_SLOTS;
            op.b = rd8(&r) % KFH_ECP_TYPES;
            op.c = rd8(&r) % KFH_ECP_SLOTS;
            break;
        case KFH_OP_ECP_NEXT:
            op.a = rd8(&r) % KFH_ECP_LIST_SLOTS;
            op.b = rd8(&r) % KFH_ECP_NEXT_COUNT;
            op.c = rd8(&r) % KFH_ECP_SLOTS;
            break;
        case KFH_OP_ECP_MARK:
            op.a = rd8(&r) % KFH_ECP_SLOTS;
            op.b = rd8(&r) % KFH_ECP_MARK_COUNT;
            break;
        case KFH_OP_ECP_LOOKASIDE: {
            op.a = rd8(&r) % KFH_ECP_LA_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 3) | (((b >> 2) & 3) % KFH_ECP_LA_MIS_COUNT) << 2);
            break;
        }
        case KFH_OP_ECP_GET:
        case KFH_OP_ECP_SET:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) % KFH_ECP_LIST_SLOTS;
            break;
        case KFH_OP_ECP_DONE:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            break;
        case KFH_OP_ECP_ATTACH:
            op.a = rd8(&r) % KFH_CBD_SLOTS;
            op.b = rd8(&r) & (3 | KFH_ECP_ATTACH_USER | KFH_ECP_ATTACH_ACKED);
            break;
        case KFH_OP_FIO_CREATE: {
            op.a = rd8(&r) % KFH_FIO_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 3) | (((b >> 2) & 3) % KFH_FIO_CR_COUNT) << 2 | (b & KFH_FIO_ANY_INSTANCE) |
                             ((b >> 5) % KFH_FIO_CMIS_COUNT) << 5);
            op.c = (uint8_t)(rd8(&r) & 63);
            op.size_sel = rd8(&r) % KFH_FILE_NAMES;
            break;
        }
        case KFH_OP_FIO_CLOSE:
            op.a = rd8(&r) % KFH_FIO_SLOTS;
            op.b = rd8(&r) % KFH_FIO_CLOSE_COUNT;
            break;
        case KFH_OP_FIO_IO: {
            op.a = rd8(&r) % KFH_FIO_SLOTS;
            uint8_t b = rd8(&r);
            op.b = (uint8_t)((b & 7) % KFH_FIO_IO_COUNT | (b & KFH_FIO_ASYNC) |
                             (((b >> 4) & 7) % KFH_FIO_MIS_COUNT) << 4);
            op.c = rd8(&r);
            op.size_sel = rd8(&r);
            break;
        }
        case KFH_OP_TXN_NEW:
            op.a = rd8(&r) % KFH_TXN_SLOTS;
            break;
        case KFH_OP_TXN_ENLIST:
            op.a = rd8(&r) % KFH_TXN_SLOTS;
            op.b = (uint8_t)(rd8(&r) & KFH_TXN_N_ALL);
            op.c = (uint8_t)(rd8(&r) & (KFH_TXN_N_ALL | KFH_TXN_BAD_ANSWER));
            break;
        case KFH_OP_TXN_END:
            op.a = rd8(&r) % KFH_TXN_SLOTS;
            op.b = rd8(&r) % KFH_TXN_END_COUNT;
            break;
        case KFH_OP_TXN_ACK:
            op.a = rd8(&r) % KFH_TXN_SLOTS;
            op.b = rd8(&r) % KFH_TXN_ACK_COUNT;
            break;
        case KFH_OP_PORT_CONNECT:
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            op.b = rd8(&r) % KFH_CLIENT_PORTS;
            op.size_raw = rd_msg_size(&r);
            break;
        case KFH_OP_MSG_SEND: {
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            op.b = rd8(&r) & (KFH_SEND_NO_INPUT | KFH_SEND_NO_OUTPUT);
            uint32_t in = rd_msg_size(&r), out = rd_msg_size(&r);
            /* An absent buffer has no size. */
            if (op.b & KFH_SEND_NO_INPUT)
                in = 0;
            if (op.b & KFH_SEND_NO_OUTPUT)
                out = 0;
            op.size_raw = in | out << 16;
            break;
        }
        case KFH_OP_PORT_ANSWER:
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            op.b = rd8(&r) % KFH_ANSWER_COUNT;
            op.size_raw = rd_msg_size(&r);
            if (op.b != KFH_ANSWER_REPLY)
                op.size_raw = 0; /* only a reply carries bytes */
            break;
        case KFH_OP_PORT_DISCONNECT:
            op.a = rd8(&r) % KFH_CLIENT_SLOTS;
            break;
        default: /* KFH_OP_RUN_PENDING, KFH_OP_FLT_UNREGISTER, KFH_OP_RUN_WORK: no fields */
            break;
        }
        /* Fields are fixed width: the table, not the reads above, decides where the next
         * opcode starts. */
        r.pos = start + op_width[code] < r.n ? start + op_width[code] : r.n;
        uint16_t at = out->n++;
        out->ops[at] = op;
        if (is_block(code) && depth < KFH_MAX_DEPTH)
            open[depth++] = at;
    }
    /* Blocks still open at the end of the input close there. */
    while (depth > 0) {
        uint16_t at = open[--depth];
        out->ops[at].body = (uint16_t)(out->n - at - 1);
    }
    return 0;
}

/* ---- Encoding ------------------------------------------------------------------------ */

typedef struct writer {
    uint8_t *b;
    size_t cap, len;
} writer;

static void wr8(writer *w, uint8_t v)
{
    if (w->len < w->cap)
        w->b[w->len] = v;
    w->len++;
}

static void wr16(writer *w, uint16_t v)
{
    wr8(w, (uint8_t)v);
    wr8(w, (uint8_t)(v >> 8));
}

static void wr32(writer *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        wr8(w, (uint8_t)(v >> (8 * i)));
}

static uint8_t irql_index(uint8_t irql)
{
    for (uint8_t i = 0; i < 8; i++)
        if (irql_table[i] == irql)
            return i;
    return 0;
}

size_t kfh_scenario_encode(const kfh_scenario *s, uint8_t *buf, size_t cap)
{
    writer w = {buf, cap, 0};
    uint16_t end_at[KFH_MAX_DEPTH];
    unsigned open = 0;
    /* The scenario's own version, raised when it holds operations only a later one has. */
    uint8_t version = s->version ? s->version : 1;
    if (version < kfh_scenario_min_version(s))
        version = kfh_scenario_min_version(s);
    wr8(&w, version);
    for (uint16_t i = 0; i < s->n; i++) {
        while (open > 0 && i >= end_at[open - 1]) {
            wr8(&w, KFH_OP_END);
            open--;
        }
        const kfh_op *op = &s->ops[i];
        wr8(&w, op->code);
        switch (op->code) {
        case KFH_OP_PROFILE:
        case KFH_OP_LARGE_STACK:
        case KFH_OP_TERMINATE:
        case KFH_OP_FAULT:
        case KFH_OP_POOL_FREE:
            wr8(&w, op->a);
            break;
        case KFH_OP_RAISE_IRQL:
        case KFH_OP_LOWER_IRQL:
            wr8(&w, irql_index(op->a));
            break;
        case KFH_OP_EXPAND:
            wr8(&w, op->a);
            /* fall through */
        case KFH_OP_SET_STACK:
        case KFH_OP_CONSUME:
            wr8(&w, op->size_sel);
            wr32(&w, op->size_raw);
            break;
        case KFH_OP_RAISE:
        case KFH_OP_POOL_ALLOC:
        case KFH_OP_CBD_FREE:
        case KFH_OP_TEARDOWN:
        case KFH_OP_MF_DETACH:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_MF_UNLOAD:
        case KFH_OP_MF_ATTACH:
            wr8(&w, op->a);
            break;
        case KFH_OP_MF_CREATE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr8(&w, op->size_sel);
            wr32(&w, op->size_raw);
            break;
        case KFH_OP_FLT_START:
        case KFH_OP_SYNC_IO:
        case KFH_OP_CBD_REUSE:
            wr8(&w, op->a);
            break;
        case KFH_OP_CBD_ALLOC:
        case KFH_OP_ASYNC_IO:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_IOPB:
        case KFH_OP_REG_VALUE:
        case KFH_OP_MF_IO:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr32(&w, op->size_raw);
            break;
        case KFH_OP_LOWER:
            wr8(&w, op->a);
            wr32(&w, op->size_raw);
            break;
        case KFH_OP_MSG_WORD:
            wr32(&w, op->size_raw);
            break;
        case KFH_OP_PORT_CONNECT:
        case KFH_OP_PORT_ANSWER:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr16(&w, (uint16_t)op->size_raw);
            break;
        case KFH_OP_MSG_SEND:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr16(&w, (uint16_t)op->size_raw);
            wr16(&w, (uint16_t)(op->size_raw >> 16));
            break;
        case KFH_OP_PORT_DISCONNECT:
        case KFH_OP_CTX_UNLINK:
        case KFH_OP_NAME_PARSE:
            wr8(&w, op->a);
            break;
        case KFH_OP_NAME_GET:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr8(&w, op->size_sel);
            break;
        case KFH_OP_WI_ALLOC:
            wr8(&w, op->a);
            break;
        case KFH_OP_WI_QUEUE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_WI_FREE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_DW_ALLOC:
        case KFH_OP_CQ_ENABLE:
        case KFH_OP_CQ_DISABLE:
            wr8(&w, op->a);
            break;
        case KFH_OP_DW_FREE:
        case KFH_OP_CQ_INIT:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_DW_QUEUE:
        case KFH_OP_CQ_INSERT:
        case KFH_OP_CQ_REMOVE:
        case KFH_OP_CQ_NEXT:
        case KFH_OP_CQ_CANCEL:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_SD_BUILD:
        case KFH_OP_SD_FREE:
        case KFH_OP_PORT_CLOSE:
        case KFH_OP_PORT_CLOSE_CLIENT:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_PORT_CREATE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_PORT_SEND:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr8(&w, op->size_sel);
            break;
        case KFH_OP_OBJ_GET:
        case KFH_OP_OBJ_REF:
        case KFH_OP_OBJ_DEREF:
        case KFH_OP_APOOL_ALLOC:
        case KFH_OP_APOOL_FREE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_OBJ_QUERY:
        case KFH_OP_OBJ_ENUM:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        /* Extra create parameters (version 15). */
        case KFH_OP_ECP_DONE:
            wr8(&w, op->a);
            break;
        case KFH_OP_ECP_LIST_ALLOC:
        case KFH_OP_ECP_LIST_FREE:
        case KFH_OP_ECP_FREE:
        case KFH_OP_ECP_INSERT:
        case KFH_OP_ECP_MARK:
        case KFH_OP_ECP_LOOKASIDE:
        case KFH_OP_ECP_GET:
        case KFH_OP_ECP_SET:
        case KFH_OP_ECP_ATTACH:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_ECP_ALLOC:
        case KFH_OP_ECP_REMOVE:
        case KFH_OP_ECP_FIND:
        case KFH_OP_ECP_NEXT:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_FIO_CREATE:
        case KFH_OP_FIO_IO:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr8(&w, op->size_sel);
            break;
        case KFH_OP_FIO_CLOSE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_TXN_NEW:
            wr8(&w, op->a);
            break;
        case KFH_OP_TXN_ENLIST:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_TXN_END:
        case KFH_OP_TXN_ACK:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_NAME_REF:
        case KFH_OP_NAME_RELEASE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_CTX_ALLOC:
        case KFH_OP_CTX_SET:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            break;
        case KFH_OP_CTX_GET:
        case KFH_OP_CTX_DELETE:
        case KFH_OP_CTX_REF:
        case KFH_OP_CTX_RELEASE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            break;
        case KFH_OP_FILE:
            wr8(&w, op->a);
            wr8(&w, op->b);
            wr8(&w, op->c);
            wr8(&w, op->size_sel);
            wr32(&w, op->size_raw);
            break;
        default:
            break;
        }
        if (is_block(op->code) && op->depth < KFH_MAX_DEPTH)
            end_at[open++] = (uint16_t)(i + 1 + op->body);
    }
    while (open-- > 0)
        wr8(&w, KFH_OP_END);
    return w.len;
}
