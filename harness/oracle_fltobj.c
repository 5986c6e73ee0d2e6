/*
 * oracle_fltobj.c - what must happen when the conformance runner's filter takes and drops
 * references on its filter, instances and volumes, asks about its volumes, enumerates them and
 * allocates sector-aligned pool (scenario format version 15): the status, the stop, the sizes
 * and names written, the site consulted and whether a reference is taken. Also the operand
 * tables of the object operations.
 *
 * Written from the rules FV-1 to FV-8, FV-10, FO-1, FO-2, FO-4, FO-5 and FO-8 (and FX-20 to FX-23, which
 * decide what the rules leave open) of model/SEMANTICS.md, never from the model's source. Must
 * never call into the model to decide a prediction: the IRQL, the runner's own record of what
 * each pointer is and how many references it holds, and the fault decision are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <stdio.h>
#include <string.h>

static const char *const from_names[KFH_OBJ_FROM_COUNT] = {"volume", "filter", "instance", "name", "file",
                                                             "null_file"};
static const char *const name_forms[KFH_OBJ_NAME_COUNT] = {"", "guid", "letter", "dos", "slash"};
static const char *const query_names[KFH_OBJ_Q_COUNT] = {"name",     "guid",  "properties", "fstype",
                                                          "writable", "basic", "full"};
static const char *const buf_names[KFH_OBJ_BUF_COUNT] = {"none", "size", "small", "fit"};
static const char *const enum_names[KFH_OBJ_ENUM_COUNT] = {"volumes", "instances", "filters"};
static const char *const apool_free_names[KFH_APOOL_FREE_COUNT] = {"", "again", "foreign", "ex", "pool", "other",
                                                                   "tag"};
static const SIZE_T apool_sizes[KFH_APOOL_SIZE_COUNT] = {0, 100, 512, 4096};

const char *kfh_obj_from_name(int from) { return from_names[(unsigned)from % KFH_OBJ_FROM_COUNT]; }
const char *kfh_obj_name_form(int form) { return name_forms[(unsigned)form % KFH_OBJ_NAME_COUNT]; }

int kfh_obj_volume_name(int form, unsigned vol, char *buf, size_t len)
{
    /* FO-2: the device name (FV-3), the GUID name (FV-5), drive C + N, case-insensitively. */
    switch (form) {
    case KFH_OBJ_NAME_GUID:
        snprintf(buf, len, "\\??\\VOLUME{6B66766F-6C00-4000-8000-%012X}", vol + 1);
        return 1;
    case KFH_OBJ_NAME_LETTER:
        snprintf(buf, len, "%c:", 'c' + vol);
        return 1;
    case KFH_OBJ_NAME_DOS:
        snprintf(buf, len, "\\??\\%c:", 'C' + vol);
        return 1;
    case KFH_OBJ_NAME_SLASH:
        snprintf(buf, len, "\\Device\\HarddiskVolume%u\\", vol + 1);
        return 0;
    default:
        snprintf(buf, len, "\\Device\\HarddiskVolume%u", vol + 1);
        return 1;
    }
}

const char *kfh_obj_query_name(int query) { return query_names[(unsigned)query % KFH_OBJ_Q_COUNT]; }
const char *kfh_obj_buf_name(int buf) { return buf_names[(unsigned)buf % KFH_OBJ_BUF_COUNT]; }
const char *kfh_obj_enum_name(int kind) { return enum_names[(unsigned)kind % KFH_OBJ_ENUM_COUNT]; }
const char *kfh_apool_free_name(int variant) { return apool_free_names[(unsigned)variant % KFH_APOOL_FREE_COUNT]; }
SIZE_T kfh_apool_size(int sel) { return apool_sizes[(unsigned)sel % KFH_APOOL_SIZE_COUNT]; }

#define BAD_POOL_CALLER_CODE 0xC2

static void start(kfh_obj_pred *out, const char *rule)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_SUCCESS;
    out->needed = ~0u;
    out->rule = rule;
}

static int irql_stop(kfh_obj_pred *out, KIRQL irql, KIRQL max)
{
    if (irql <= max)
        return 0;
    kfh_pred_irql(&out->stop, out->rule, max, irql);
    return 1;
}

static void viol(kfh_obj_pred *out, ULONG code, int n_params, ULONG_PTR p2)
{
    kfh_pred_violation(&out->stop, out->rule, code, n_params, p2, 0);
}

void kfh_oracle_obj_get(KIRQL irql, int from, int is, kfh_obj_pred *out)
{
    switch (from) {
    case KFH_OBJ_FROM_INSTANCE:
        kfh_oracle_obj_ref(irql, is, out);
        return;
    case KFH_OBJ_FROM_FILE:
    case KFH_OBJ_FROM_NULL_FILE:
        /* FO-1: a NULL FileObject is an invalid parameter; a file object without a device stands
         * for the first volume. */
        start(out, "FO-1");
        if (irql_stop(out, irql, APC_LEVEL))
            return;
        if (from == KFH_OBJ_FROM_NULL_FILE)
            out->status = STATUS_INVALID_PARAMETER;
        else if (is != KFH_OBJ_IS_VOLUME)
            out->status = STATUS_INVALID_PARAMETER; /* no volume matches */
        else
            out->referenced = 1;
        return;
    case KFH_OBJ_FROM_NAME:
        /* FO-2: PASSIVE_LEVEL only; a volume answers to its device name (FV-3). */
        start(out, "FO-2");
        if (irql_stop(out, irql, PASSIVE_LEVEL))
            return;
        if (is != KFH_OBJ_IS_VOLUME)
            out->status = STATUS_FLT_VOLUME_NOT_FOUND;
        else
            out->referenced = 1;
        return;
    default:
        /* FV-1: the instance's volume or filter, referenced; none while it is being torn down. */
        start(out, "FV-1");
        if (irql_stop(out, irql, APC_LEVEL))
            return;
        if (is == KFH_OBJ_IS_GOING)
            out->status = STATUS_FLT_DELETING_OBJECT;
        else
            out->referenced = 1;
        return;
    }
}

void kfh_oracle_obj_ref(KIRQL irql, int is, kfh_obj_pred *out)
{
    start(out, "FV-2");
    if (irql_stop(out, irql, DISPATCH_LEVEL))
        return;
    if (is == KFH_OBJ_IS_NONE)
        viol(out, KF_VIOL_FLT_OBJECT_UNKNOWN, 1, 0);
    else if (is == KFH_OBJ_IS_GOING)
        out->status = STATUS_FLT_DELETING_OBJECT;
    else
        out->referenced = 1;
}

void kfh_oracle_obj_deref(KIRQL irql, int is, int held, kfh_obj_pred *out)
{
    start(out, "FV-2");
    if (irql_stop(out, irql, DISPATCH_LEVEL))
        return;
    /* Matched by address: a reference held is dropped whether or not the object still lives. */
    if (held > 0)
        out->referenced = -1;
    else if (is == KFH_OBJ_IS_NONE)
        viol(out, KF_VIOL_FLT_OBJECT_UNKNOWN, 1, 0);
    else
        viol(out, KF_VIOL_FLT_OBJECT_OVER_DEREFERENCE, 1, 0);
}

/* The length in bytes of an ASCII name written as UTF-16. */
static ULONG wide_bytes(const char *s) { return (ULONG)(strlen(s) * sizeof(WCHAR)); }

static void name_query(int buf, ULONG bytes, int guid, kf_fault_kind decided, kfh_obj_pred *out)
{
    /* FV-4: both pointers NULL is an invalid parameter; FV-5 has no such case: too small. */
    if (buf == KFH_OBJ_BUF_NONE) {
        out->status = guid ? STATUS_BUFFER_TOO_SMALL : STATUS_INVALID_PARAMETER;
        out->text[0] = 0;
        return;
    }
    out->needed = bytes;
    if (buf != KFH_OBJ_BUF_FIT) {
        out->status = STATUS_BUFFER_TOO_SMALL;
        out->text[0] = 0;
        return;
    }
    if (guid) {
        /* FV-5: the site after every other check. */
        out->n_sites = 1;
        if (decided != KF_FAULT_NONE) {
            out->status = STATUS_INSUFFICIENT_RESOURCES;
            out->text[0] = 0;
        }
    }
}

void kfh_oracle_obj_query(KIRQL irql, int query, int buf, int is, unsigned vol, kf_fault_kind decided,
                          kfh_obj_pred *out)
{
    static const char *const rules[KFH_OBJ_Q_COUNT] = {"FV-4", "FV-5", "FV-6", "FV-7", "FV-8", "FO-4", "FO-4"};
    start(out, rules[(unsigned)query % KFH_OBJ_Q_COUNT]);
    int volume = is == KFH_OBJ_IS_VOLUME, has_volume = volume || is == KFH_OBJ_IS_INSTANCE || is == KFH_OBJ_IS_GOING;
    switch (query) {
    case KFH_OBJ_Q_NAME:
    case KFH_OBJ_Q_GUID:
        if (irql_stop(out, irql, query == KFH_OBJ_Q_GUID ? PASSIVE_LEVEL : APC_LEVEL))
            return;
        if (!volume) {
            viol(out, KF_VIOL_FLT_INVALID_VOLUME, 1, 0);
            return;
        }
        /* FV-3's device name; FV-5's GUID made of the volume's index (the runner's volumes are
         * disks, never network volumes, and have no identity). */
        if (query == KFH_OBJ_Q_NAME)
            snprintf(out->text, sizeof out->text, "\\Device\\HarddiskVolume%u", vol + 1);
        else
            snprintf(out->text, sizeof out->text, "\\??\\Volume{6b66766f-6c00-4000-8000-%012x}", vol + 1);
        name_query(buf, wide_bytes(out->text), query == KFH_OBJ_Q_GUID, decided, out);
        return;
    case KFH_OBJ_Q_PROPERTIES: {
        if (irql_stop(out, irql, APC_LEVEL))
            return;
        if (!volume) {
            viol(out, KF_VIOL_FLT_INVALID_VOLUME, 1, 0);
            return;
        }
        /* FV-6: NTFS on a disk (F-4's default volume), its names after the fixed part. */
        char real[40];
        snprintf(real, sizeof real, "\\Device\\HarddiskVolume%u", vol + 1);
        snprintf(out->text, sizeof out->text, "\\FileSystem\\Ntfs|\\Ntfs|%s", real);
        out->fixed = (ULONG)sizeof(FLT_VOLUME_PROPERTIES);
        ULONG total = out->fixed + wide_bytes("\\FileSystem\\Ntfs") + wide_bytes("\\Ntfs") + wide_bytes(real);
        if (buf == KFH_OBJ_BUF_NONE || buf == KFH_OBJ_BUF_SIZE) {
            out->status = STATUS_BUFFER_TOO_SMALL;
            out->needed = total;
        } else if (buf == KFH_OBJ_BUF_SMALL) {
            out->status = STATUS_BUFFER_OVERFLOW;
            out->needed = out->fixed;
        } else {
            out->needed = total;
        }
        return;
    }
    case KFH_OBJ_Q_BASIC:
    case KFH_OBJ_Q_FULL: {
        if (irql_stop(out, irql, APC_LEVEL))
            return;
        if (is != KFH_OBJ_IS_INSTANCE && is != KFH_OBJ_IS_GOING) {
            viol(out, KF_VIOL_FLT_INVALID_INSTANCE, 1, 0);
            return;
        }
        /* FO-4: the fixed part, then the instance name ("<filter name> Instance", the filter's name
         * "Filter" since the runner's driver object has no service key), then for the full class
         * the altitude (FO-3: the only filter registered, 100000), the volume's name and the
         * filter's name. */
        char vname[33]; /* the longest name (ten digits) and its NUL: the text below then fits */
        snprintf(vname, sizeof vname, "\\Device\\HarddiskVolume%u", vol + 1);
        if (query == KFH_OBJ_Q_BASIC) {
            snprintf(out->text, sizeof out->text, "Filter Instance");
            out->fixed = (ULONG)sizeof(INSTANCE_BASIC_INFORMATION);
            out->needed = out->fixed + wide_bytes("Filter Instance");
        } else {
            snprintf(out->text, sizeof out->text, "Filter Instance|100000|%s|Filter", vname);
            out->fixed = (ULONG)sizeof(INSTANCE_FULL_INFORMATION);
            out->needed = out->fixed + wide_bytes(out->text) - 3 * (ULONG)sizeof(WCHAR);
        }
        if (buf != KFH_OBJ_BUF_FIT)
            out->status = STATUS_BUFFER_TOO_SMALL; /* nothing written */
        return;
    }
    default:
        /* FV-7, FV-8: an instance or a volume (one being torn down is still one). */
        if (irql_stop(out, irql, APC_LEVEL))
            return;
        if (!has_volume)
            out->status = STATUS_INVALID_PARAMETER;
        return;
    }
}

void kfh_oracle_obj_enum(KIRQL irql, int kind, ULONG size, ULONG n, kfh_obj_pred *out)
{
    (void)kind;
    start(out, "FO-5");
    if (irql_stop(out, irql, APC_LEVEL))
        return;
    out->needed = n;
    if (size < n)
        out->status = STATUS_BUFFER_TOO_SMALL; /* nothing written, nothing referenced */
    else
        out->referenced = 1;
}

void kfh_oracle_apool_alloc(KIRQL irql, int paged, kf_fault_kind decided, kfh_obj_pred *out)
{
    start(out, "FO-8");
    /* K-8: paged pool up to APC_LEVEL, nonpaged up to DISPATCH_LEVEL (bug check 0xA). */
    KIRQL max = paged ? APC_LEVEL : DISPATCH_LEVEL;
    if (irql > max) {
        kfh_pred_stop(&out->stop, "FO-8, K-8", IRQL_NOT_LESS_OR_EQUAL, 0, 0, 0, 0);
        return;
    }
    out->n_sites = 1;
    out->allocated = decided == KF_FAULT_NONE;
}

void kfh_oracle_apool_free(KIRQL irql, int is, int ex, int same_instance, int same_tag, int paged, kfh_obj_pred *out)
{
    start(out, "FO-8");
    if (ex) {
        /* ExFreePool(WithTag) of an aligned buffer: 0x3A42, Parameter2 1. */
        viol(out, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, 2, 1);
        return;
    }
    /* FO-8's order: not pool, pool of the Ex routines, another instance, the IRQL, the tag. */
    if (is == KFH_APOOL_IS_NONE) {
        viol(out, KF_VIOL_FLT_ALIGNED_POOL_FREE_INVALID, 1, 0);
        return;
    }
    if (is == KFH_APOOL_IS_EX) {
        viol(out, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, 2, 2);
        return;
    }
    if (!same_instance) {
        viol(out, KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, 2, 3);
        return;
    }
    if (irql > (paged ? APC_LEVEL : DISPATCH_LEVEL)) {
        kfh_pred_stop(&out->stop, "FO-8, K-8", IRQL_NOT_LESS_OR_EQUAL, 0, 0, 0, 0);
        return;
    }
    if (!same_tag)
        kfh_pred_stop(&out->stop, "FO-8, P-11", BAD_POOL_CALLER_CODE, 1, 0x0A, 0, 0); /* P3, P4 the tags */
}

void kfh_oracle_obj_unregister(int held, kfh_stop_pred *out)
{
    /* FV-10: Parameter2 how many references the driver holds on the filter. */
    kfh_pred_violation(out, "FV-10", KF_VIOL_FLT_FILTER_REFERENCED_AT_UNREGISTER, 2, (ULONG_PTR)held, 0);
}
