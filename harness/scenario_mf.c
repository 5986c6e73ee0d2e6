/*
 * scenario_mf.c - the operand tables of the minifilter operations of scenario format version 4
 * (mf_create, mf_io, mf_detach, mf_unload): realistic paths with their usual extensions, the
 * directories that hold them, dispositions, accesses, the answers the layers below can give
 * instead of the file system, and the I/O kinds. The decoder, the text form and the generic
 * minifilter fuzzer (harness/minifilter.c) all read them here, so that a value means one thing.
 * Must never change a row's meaning: rows are part of the format (append only, in a new version).
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"

#include <string.h>

static const struct {
    const char *path, *key, *ext;
} names[KFH_MF_NAMES] = {
    {"\\Users\\alice\\Desktop\\notes", "notes", "txt"},
    {"\\Users\\alice\\Documents\\report", "report", "docx"},
    {"\\Users\\alice\\Documents\\budget", "budget", "xlsx"},
    {"\\Users\\alice\\Downloads\\setup", "setup", "exe"},
    {"\\Users\\alice\\Pictures\\photo", "photo", "jpg"},
    {"\\Windows\\System32\\kernel32", "kernel32", "dll"},
    {"\\Windows\\System32\\drivers\\etc\\hosts", "hosts", ""},
    {"\\Windows\\Temp\\~tmp0001", "tmp", "tmp"},
    {"\\ProgramData\\Vendor\\config", "config", "ini"},
    {"\\ProgramData\\Vendor\\cache", "cache", "db"},
    {"\\pagefile", "pagefile", "sys"},
    {"\\Users\\alice\\Documents\\archive", "archive", "zip"},
    {"\\Users\\alice\\Documents\\scan", "scan", "pdf"},
    {"\\Users\\alice\\AppData\\Local\\Temp\\install", "log", "log"},
    {"\\Users\\alice\\Documents", "documents", ""},
    {"", "volume", ""}, /* the volume itself (a DASD open) */
};

static const char *const directories[] = {
    "\\Users", "\\Users\\alice", "\\Users\\alice\\Desktop", "\\Users\\alice\\Documents",
    "\\Users\\alice\\Downloads", "\\Users\\alice\\Pictures", "\\Users\\alice\\AppData",
    "\\Users\\alice\\AppData\\Local", "\\Users\\alice\\AppData\\Local\\Temp", "\\Windows",
    "\\Windows\\System32", "\\Windows\\System32\\drivers", "\\Windows\\System32\\drivers\\etc",
    "\\Windows\\Temp", "\\ProgramData", "\\ProgramData\\Vendor", NULL,
};

const char *kfh_mf_name_path(size_t i) { return names[i % KFH_MF_NAMES].path; }
const char *kfh_mf_name_key(size_t i) { return names[i % KFH_MF_NAMES].key; }
const char *kfh_mf_name_ext(size_t i) { return names[i % KFH_MF_NAMES].ext; }
const char *kfh_mf_directory_at(size_t i)
{
    return i < sizeof directories / sizeof directories[0] ? directories[i] : NULL;
}

static const char *const disposition_names[KFH_MF_DISPOSITIONS] = {"supersede", "open", "create",
                                                                   "open_if", "overwrite", "overwrite_if"};
ULONG kfh_mf_disposition_at(size_t i) { return (ULONG)(i % KFH_MF_DISPOSITIONS); } /* FILE_SUPERSEDE = 0 .. */
const char *kfh_mf_disposition_name(size_t i) { return disposition_names[i % KFH_MF_DISPOSITIONS]; }

static const struct {
    ACCESS_MASK access;
    const char *name;
} accesses[KFH_MF_ACCESSES] = {
    {FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, "read"},
    {FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, "write"},
    {FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, "read_write"},
    {DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE, "delete"},
};
ACCESS_MASK kfh_mf_access_at(size_t i) { return accesses[i % KFH_MF_ACCESSES].access; }
const char *kfh_mf_access_name(size_t i) { return accesses[i % KFH_MF_ACCESSES].name; }

static const struct {
    NTSTATUS status;
    const char *name;
} answers[KFH_MF_ANSWERS] = {
    {STATUS_SUCCESS, "fs"},
    {STATUS_ACCESS_DENIED, "access_denied"},
    {STATUS_SHARING_VIOLATION, "sharing_violation"},
    {STATUS_INSUFFICIENT_RESOURCES, "insufficient_resources"},
    {STATUS_OBJECT_NAME_NOT_FOUND, "name_not_found"},
    {STATUS_END_OF_FILE, "end_of_file"},
    {STATUS_SUCCESS, "held"},
    {STATUS_CANCELLED, "cancelled"},
};
NTSTATUS kfh_mf_answer_at(size_t i) { return answers[i % KFH_MF_ANSWERS].status; }
const char *kfh_mf_answer_name(size_t i) { return answers[i % KFH_MF_ANSWERS].name; }

static const char *const io_names[KFH_MF_IO_KINDS] = {
    "read", "write", "query_info", "set_info", "query_dir", "notify_dir", "cleanup",
    "close", "fsctl", "ioctl", "lock", "unlock", "flush", "query_volume",
};
const char *kfh_mf_io_name(size_t i) { return io_names[i % KFH_MF_IO_KINDS]; }

void kfh_mf_ext_text(uint32_t raw, char out[5])
{
    int k = 0;
    for (int i = 0; i < 4; i++) {
        char c = (char)(raw >> (8 * i));
        if (!c)
            break;
        out[k++] = c;
    }
    out[k] = 0;
}

uint32_t kfh_mf_ext_raw(const char *ext)
{
    uint32_t raw = 0;
    for (int i = 0; i < 4 && ext[i]; i++)
        raw |= (uint32_t)(unsigned char)ext[i] << (8 * i);
    return raw;
}
