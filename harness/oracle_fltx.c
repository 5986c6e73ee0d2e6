/*
 * oracle_fltx.c - what must happen when the conformance runner's filter allocates, attaches,
 * looks up, references, releases and deletes Filter Manager contexts (scenario format version
 * 7): the status, the context an out pointer names, the references each context holds after
 * the call, when its cleanup callback must have run, and the stops. Also the operand tables of
 * the context operations.
 *
 * The same for file names (FltGetFileNameInformation on the runner's callback data, reference,
 * release, parse): the status, the Name, and the parts a parse finds.
 *
 * Written from the rules FC-2 to FC-15 and FN-1 to FN-9 (with FV-3, the volumes' names) of
 * model/SEMANTICS.md and the registration the runner declares (harness.h, KFH_CTX_*), never
 * from the model's source. Must never call into the
 * model to decide a prediction: the IRQL, the harness's own record of the contexts
 * (kfh_ctx_state) and the fault decisions are its only inputs.
 */
#include "kfault/harness.h"
#include "kfault/flt_model.h"
#include "oracle_pred.h"

#include <string.h>

/* ---- Operand tables ---------------------------------------------------------------------- */

static const struct {
    unsigned short type;
    const char *name;
} types[KFH_CTX_TYPES] = {
    {FLT_VOLUME_CONTEXT, "volume"},
    {FLT_INSTANCE_CONTEXT, "instance"},
    {FLT_STREAM_CONTEXT, "stream"},
    {FLT_STREAMHANDLE_CONTEXT, "stream_handle"},
    {FLT_TRANSACTION_CONTEXT, "transaction"}, /* a type the runner's filter does not register */
    {FLT_VOLUME_CONTEXT | FLT_INSTANCE_CONTEXT, "two_types"}, /* not a single type */
};
unsigned short kfh_ctx_type_at(size_t i) { return types[i % KFH_CTX_TYPES].type; }
const char *kfh_ctx_type_name(size_t i) { return types[i % KFH_CTX_TYPES].name; }

static const struct {
    int pool;
    const char *name;
} pools[KFH_CTX_POOLS] = {
    {NonPagedPoolNx, "nonpaged_nx"},
    {PagedPool, "paged"},
    {NonPagedPool, "nonpaged"},
    {4, "cache_aligned"}, /* NonPagedPoolCacheAligned: not a pool type contexts take */
};
int kfh_ctx_pool_at(size_t i) { return pools[i % KFH_CTX_POOLS].pool; }
const char *kfh_ctx_pool_name(size_t i) { return pools[i % KFH_CTX_POOLS].name; }

static const char *const size_names[KFH_CTX_SIZES] = {"registered", "small", "large", "zero", "huge"};
const char *kfh_ctx_size_name(size_t i) { return size_names[i % KFH_CTX_SIZES]; }

SIZE_T kfh_ctx_size(size_t type, size_t size_index)
{
    static const SIZE_T registered[KFH_CTX_TYPES] = {KFH_CTX_VOLUME_SIZE, KFH_CTX_INSTANCE_SIZE, KFH_CTX_STREAM_SIZE,
                                                     KFH_CTX_HANDLE_SIZE, 32, 32};
    SIZE_T r = registered[type % KFH_CTX_TYPES];
    switch (size_index % KFH_CTX_SIZES) {
    case 1:
        return 8;
    case 2:
        return r + 8;
    case 3:
        return 0;
    case 4:
        return 0x10000;
    default:
        return r;
    }
}

static const char *const kind_names[4] = {"volume", "instance", "stream", "stream_handle"};
const char *kfh_ctx_kind_name(size_t kind) { return kind_names[kind & 3]; }

static const char *const op_names[KFH_CTX_OPS] = {"replace", "keep", "invalid"};
const char *kfh_ctx_op_name(size_t i) { return op_names[i % KFH_CTX_OPS]; }
int kfh_ctx_op_at(size_t i)
{
    static const int ops[KFH_CTX_OPS] = {FLT_SET_CONTEXT_REPLACE_IF_EXISTS, FLT_SET_CONTEXT_KEEP_IF_EXISTS, 2};
    return ops[i % KFH_CTX_OPS];
}

static const char *const release_names[KFH_CTX_REL_COUNT] = {"", "again", "null", "foreign"};
const char *kfh_ctx_release_name(size_t i) { return release_names[i % KFH_CTX_REL_COUNT]; }

const char *kfh_ctx_status_name(NTSTATUS s, char *buf, size_t len)
{
    const char *n = kfh_status_name(s);
    switch (s) {
    case STATUS_INVALID_BUFFER_SIZE:
        n = "STATUS_INVALID_BUFFER_SIZE";
        break;
    case STATUS_NOT_FOUND:
        n = "STATUS_NOT_FOUND";
        break;
    case STATUS_NOT_SUPPORTED:
        n = "STATUS_NOT_SUPPORTED";
        break;
    case STATUS_FLT_CONTEXT_ALREADY_DEFINED:
        n = "STATUS_FLT_CONTEXT_ALREADY_DEFINED";
        break;
    case STATUS_FLT_CONTEXT_ALREADY_LINKED:
        n = "STATUS_FLT_CONTEXT_ALREADY_LINKED";
        break;
    case STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND:
        n = "STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND";
        break;
    case STATUS_FLT_MUST_BE_NONPAGED_POOL:
        n = "STATUS_FLT_MUST_BE_NONPAGED_POOL";
        break;
    case STATUS_OBJECT_NAME_INVALID:
        n = "STATUS_OBJECT_NAME_INVALID";
        break;
    case STATUS_OBJECT_NAME_NOT_FOUND:
        n = "STATUS_OBJECT_NAME_NOT_FOUND";
        break;
    case STATUS_FLT_INVALID_NAME_REQUEST:
        n = "STATUS_FLT_INVALID_NAME_REQUEST";
        break;
    case STATUS_FLT_NAME_CACHE_MISS:
        n = "STATUS_FLT_NAME_CACHE_MISS";
        break;
    default:
        break;
    }
    if (n)
        snprintf(buf, len, "%s", n);
    else
        snprintf(buf, len, "0x%08X", (unsigned)s);
    return buf;
}

void kfh_ctx_state_init(kfh_ctx_state *s)
{
    memset(s, 0, sizeof *s);
    for (int k = 0; k < KFH_CTX_SLOTS; k++)
        s->slot[k] = s->stale[k] = -1;
}

/* ---- Predictions ------------------------------------------------------------------------- */



static int single_bit(unsigned v) { return v && !(v & (v - 1)); }

/* The owner key of a stream (one FsContext for files 0 and 1) or a stream handle (the file
 * object); volumes and instances have none (FC-13). */
static uint8_t owner_key(const kfh_ctx_in *in) { return in->kind == KFH_CTX_HANDLE ? (uint8_t)in->file : 0; }

/* FC-13: file 2 has no FsContext: no stream or stream-handle context. */
static int unsupported(const kfh_ctx_in *in)
{
    return (in->kind == KFH_CTX_STREAM || in->kind == KFH_CTX_HANDLE) && in->file == 2;
}

/* FC-4, FC-10: the instance (of the owner) being torn down; a volume has none. */
static int dying(const kfh_ctx_in *in) { return in->kind != KFH_CTX_VOLUME && in->teardown; }

static int find_attached(const kfh_ctx_state *s, const kfh_ctx_in *in)
{
    for (int k = 0; k < s->n; k++) {
        const kfh_ctx_rec *r = &s->rec[k];
        if (r->refs > 0 && r->attached == in->kind + 1 && r->vol == in->vol && r->key == owner_key(in))
            return k;
    }
    return -1;
}

/* One reference less (FC-9, FC-12); at 0 the context is freed now or later (FC-11). */
static void drop(kfh_ctx_state *s, int k)
{
    if (--s->rec[k].refs == 0)
        s->rec[k].freed_at = s->allocs;
}

static void detach(kfh_ctx_rec *r)
{
    r->attached = 0;
    r->vol = r->key = 0;
}

static void predict_alloc(const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    kfh_ctx_state *a = &out->after;
    unsigned type = kfh_ctx_type_at((size_t)in->type);
    SIZE_T size = kfh_ctx_size((size_t)in->type, (size_t)in->size);
    int pool = kfh_ctx_pool_at((size_t)in->pool);
    out->rule = "FC-2";
    if (!single_bit(type) || size == 0) {
        out->status = STATUS_INVALID_PARAMETER;
        return;
    }
    if (size > 0xFFFF) {
        out->status = STATUS_INVALID_BUFFER_SIZE;
        return;
    }
    if (pool != NonPagedPool && pool != PagedPool && pool != NonPagedPoolNx) {
        out->status = STATUS_INVALID_PARAMETER;
        return;
    }
    if (type == FLT_VOLUME_CONTEXT && pool == PagedPool) {
        out->status = STATUS_FLT_MUST_BE_NONPAGED_POOL;
        return;
    }
    /* The entry of the runner's registration that takes this size. */
    int found;
    switch (in->type) {
    case KFH_CTX_VOLUME:
        found = size == KFH_CTX_VOLUME_SIZE;
        break;
    case KFH_CTX_INSTANCE:
        found = size == KFH_CTX_INSTANCE_SIZE;
        break;
    case KFH_CTX_STREAM:
        found = 1; /* variable-size */
        break;
    case KFH_CTX_HANDLE:
        found = size <= KFH_CTX_HANDLE_SIZE; /* FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH */
        break;
    default:
        found = 0;
        break;
    }
    if (!found) {
        out->status = STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND;
        return;
    }
    out->sites[out->n_sites++] = KF_SITE_FLT_CONTEXT;
    if (in->n_decisions > 0 && in->dsite[0] == KF_SITE_FLT_CONTEXT && in->dkind[0] != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    /* FC-3: a new context with one reference, the caller's, attached to nothing. */
    int k = a->n++;
    memset(&a->rec[k], 0, sizeof a->rec[k]);
    a->rec[k].type = (uint8_t)in->type;
    a->rec[k].paged = pool == PagedPool;
    a->rec[k].refs = 1;
    a->allocs++;
    a->slot[in->slot] = k;
    out->out_rec = k;
    out->status = STATUS_SUCCESS;
    out->rule = "FC-3";
}

static void predict_set(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    kfh_ctx_state *a = &out->after;
    int r = s->slot[in->slot];
    out->rule = "FC-4";
    if (s->rec[r].type != in->kind) {
        kfh_pred_violation(&out->stop, "FC-4", KF_VIOL_FLT_CONTEXT_WRONG_TYPE, 1, 0, 0);
        return;
    }
    if (unsupported(in)) {
        out->status = STATUS_NOT_SUPPORTED;
        out->rule = "FC-13";
        return;
    }
    if (in->set_op >= 2) {
        out->status = STATUS_INVALID_PARAMETER;
        return;
    }
    if (dying(in)) {
        out->status = STATUS_FLT_DELETING_OBJECT;
        return;
    }
    if (s->rec[r].attached) {
        out->status = STATUS_FLT_CONTEXT_ALREADY_LINKED;
        return;
    }
    int e = find_attached(s, in);
    if (e >= 0 && in->set_op == 1) { /* KEEP_IF_EXISTS */
        out->rule = "FC-5";
        out->status = STATUS_FLT_CONTEXT_ALREADY_DEFINED;
        if (in->with_old) {
            a->rec[e].refs++;
            a->slot[in->slot2] = e;
            out->out_rec = e;
        }
        return;
    }
    if (e >= 0) { /* REPLACE_IF_EXISTS: Filter Manager's reference goes to OldContext or away */
        out->rule = "FC-6";
        detach(&a->rec[e]);
        if (in->with_old) {
            a->slot[in->slot2] = e;
            out->out_rec = e;
        } else {
            drop(a, e);
        }
    }
    a->rec[r].attached = (uint8_t)(in->kind + 1);
    a->rec[r].vol = (uint8_t)in->vol;
    a->rec[r].key = owner_key(in);
    a->rec[r].refs++;
    out->status = STATUS_SUCCESS;
}

static void predict_get(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    kfh_ctx_state *a = &out->after;
    out->rule = "FC-7";
    if (in->null_out) {
        kfh_pred_violation(&out->stop, "FC-7", KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT, 1, 0, 0);
        return;
    }
    if (unsupported(in)) {
        out->status = STATUS_NOT_SUPPORTED;
        out->rule = "FC-13";
        return;
    }
    int e = find_attached(s, in);
    if (e < 0) {
        out->status = STATUS_NOT_FOUND;
        return;
    }
    a->rec[e].refs++;
    a->slot[in->slot] = e;
    out->out_rec = e;
    out->status = STATUS_SUCCESS;
}

static void predict_delete(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    kfh_ctx_state *a = &out->after;
    out->rule = "FC-10";
    if (unsupported(in)) {
        out->status = STATUS_NOT_SUPPORTED;
        out->rule = "FC-13";
        return;
    }
    int e = find_attached(s, in);
    if (e < 0) {
        out->status = STATUS_NOT_FOUND;
        return;
    }
    if (dying(in)) {
        out->status = STATUS_FLT_DELETING_OBJECT;
        return;
    }
    detach(&a->rec[e]);
    if (in->with_old) {
        a->slot[in->slot] = e;
        out->out_rec = e;
    } else {
        drop(a, e);
    }
    out->status = STATUS_SUCCESS;
}

static void predict_release(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    kfh_ctx_state *a = &out->after;
    out->rule = "FC-9";
    if (in->variant == KFH_CTX_REL_NULL || in->variant == KFH_CTX_REL_FOREIGN) {
        kfh_pred_violation(&out->stop, "FC-9", KF_VIOL_FLT_CONTEXT_INVALID, 1, 0, 0);
        return;
    }
    int r = in->variant == KFH_CTX_REL_AGAIN ? s->stale[in->slot] : s->slot[in->slot];
    const kfh_ctx_rec *c = &s->rec[r];
    /* The context is looked up first: one whose last reference went is a use after free. */
    if (c->refs == 0) {
        kfh_pred_violation(&out->stop, "FC-9", KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE, 1, 0, 0);
        return;
    }
    KIRQL max = c->paged ? APC_LEVEL : DISPATCH_LEVEL;
    if (in->irql > max) {
        kfh_pred_irql(&out->stop, "FC-9", max, in->irql);
        return;
    }
    if (c->attached && c->refs <= 1) {
        kfh_pred_violation(&out->stop, "FC-9", KF_VIOL_FLT_CONTEXT_RELEASE_TOO_MANY, 1, 0, 0);
        return;
    }
    /* A release of the slot's own reference (the runner never releases another's). */
    drop(a, r);
    a->slot[in->slot] = -1;
    a->stale[in->slot] = r;
    out->drains = in->irql <= APC_LEVEL;
    out->rule = a->rec[r].refs ? "FC-9" : "FC-11";
}

void kfh_oracle_ctx(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out)
{
    memset(out, 0, sizeof *out);
    out->after = *s;
    out->out_rec = -1;
    out->status = STATUS_SUCCESS;
    switch (in->op) {
    case KFH_OP_CTX_REF: /* FC-9: up to DISPATCH_LEVEL; frees nothing */
        if (in->irql > DISPATCH_LEVEL) {
            kfh_pred_irql(&out->stop, "FC-9", DISPATCH_LEVEL, in->irql);
            return;
        }
        out->after.rec[s->slot[in->slot]].refs++;
        out->after.slot[in->slot2] = s->slot[in->slot];
        out->rule = "FC-9";
        return;
    case KFH_OP_CTX_RELEASE:
        predict_release(s, in, out);
        return;
    default:
        break;
    }
    /* The others: APC_LEVEL at most (FC-2, FC-4, FC-7, FC-10); at or below it they first free
     * the contexts whose free was deferred (FC-11). */
    if (in->irql > APC_LEVEL) {
        const char *rule = in->op == KFH_OP_CTX_ALLOC ? "FC-2"
                           : in->op == KFH_OP_CTX_SET ? "FC-4"
                           : in->op == KFH_OP_CTX_GET ? "FC-7"
                                                      : "FC-10";
        kfh_pred_irql(&out->stop, rule, APC_LEVEL, in->irql);
        return;
    }
    out->drains = 1;
    switch (in->op) {
    case KFH_OP_CTX_ALLOC:
        predict_alloc(in, out);
        break;
    case KFH_OP_CTX_SET:
        predict_set(s, in, out);
        break;
    case KFH_OP_CTX_GET:
        predict_get(s, in, out);
        break;
    case KFH_OP_CTX_DELETE:
        predict_delete(s, in, out);
        break;
    case KFH_OP_CTX_UNLINK: { /* FC-10: Filter Manager's reference goes; the caller's stays */
        int r = s->slot[in->slot];
        out->rule = "FC-10";
        if (s->rec[r].attached) {
            detach(&out->after.rec[r]);
            drop(&out->after, r);
        }
        break;
    }
    default:
        break;
    }
}

void kfh_oracle_ctx_unregister(const kfh_ctx_state *s, kfh_ctx_pred *out)
{
    memset(out, 0, sizeof *out);
    out->after = *s;
    out->out_rec = -1;
    out->drains = 1;
    out->rule = "FC-14";
    /* FC-14: every attached context is detached and Filter Manager's reference dropped ... */
    unsigned left = 0;
    for (int k = 0; k < s->n; k++) {
        kfh_ctx_rec *r = &out->after.rec[k];
        if (r->refs > 0 && r->attached) {
            detach(r);
            drop(&out->after, k);
        }
        left += r->refs > 0;
    }
    /* ... then a context still referenced is one a real system waits for forever (FC-15). */
    if (left)
        kfh_pred_violation(&out->stop, "FC-15", KF_VIOL_FLT_CONTEXT_OUTSTANDING, 2, left, 0);
}

/* ---- File names (FN-1 to FN-9) ----------------------------------------------------------- */

/* Past the table of realistic names: the root, names a normalized name shortens, and names
 * that do not parse (FN-9). */
static const WCHAR *const odd_names[KFH_NAMES - KFH_FILE_NAMES] = {
    L"",                           /* the volume's root */
    L"\\Temp\\",                   /* a directory opened with its trailing backslash */
    L"\\Data\\report.txt::$Data",  /* the default data stream, named with its type */
    L"\\Data\\\\twice.txt",        /* an empty component */
    L"\\dir:alt\\file.txt",        /* a colon in a directory component */
    L"\\file.txt:one:two:three",   /* more than two colons */
    L"\\file.txt:",                /* an empty stream name */
    L"relative.txt",               /* no backslash after the volume */
};

const WCHAR *kfh_name_at(size_t i)
{
    i %= KFH_NAMES;
    return i < KFH_FILE_NAMES ? kfh_file_name_at(i) : odd_names[i - KFH_FILE_NAMES];
}

static const char *const format_names[KFH_NAME_FORMATS] = {"invalid", "normalized", "opened", "short"};
static const char *const method_names[KFH_NAME_METHODS] = {"default", "cache_only", "filesystem_only", "always_allow",
                                                           "invalid"};
const char *kfh_name_format_name(size_t i) { return format_names[i % KFH_NAME_FORMATS]; }
const char *kfh_name_method_name(size_t i) { return method_names[i % KFH_NAME_METHODS]; }
unsigned long kfh_name_options(size_t format, size_t method)
{
    static const unsigned long formats[KFH_NAME_FORMATS] = {0, FLT_FILE_NAME_NORMALIZED, FLT_FILE_NAME_OPENED,
                                                            FLT_FILE_NAME_SHORT};
    static const unsigned long methods[KFH_NAME_METHODS] = {
        FLT_FILE_NAME_QUERY_DEFAULT, FLT_FILE_NAME_QUERY_CACHE_ONLY, FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY,
        FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP, 0x0500};
    return formats[format % KFH_NAME_FORMATS] | methods[method % KFH_NAME_METHODS];
}
static const char *const name_release_names[KFH_NAME_REL_COUNT] = {"", "again", "foreign"};
const char *kfh_name_release_name(size_t i) { return name_release_names[i % KFH_NAME_REL_COUNT]; }

void kfh_oracle_name_get(const kfh_name_in *in, kfh_name_pred *out)
{
    memset(out, 0, sizeof *out);
    out->rule = "FN-4";
    if (in->irql > APC_LEVEL) {
        kfh_pred_irql(&out->stop, "FN-4", APC_LEVEL, in->irql);
        return;
    }
    /* FN-2: the options, then the file object (the instance is a live one of the runner's). */
    out->rule = "FN-2";
    if (in->format % KFH_NAME_FORMATS == 0 || in->method % KFH_NAME_METHODS == 4 || !in->has_file) {
        out->status = STATUS_INVALID_PARAMETER;
        return;
    }
    /* FN-3, in its order. */
    out->rule = "FN-3";
    if (in->format == 3) {
        out->status = in->major == IRP_MJ_CREATE ? STATUS_FLT_INVALID_NAME_REQUEST : STATUS_OBJECT_NAME_NOT_FOUND;
        return;
    }
    if (in->method == 1) {
        out->status = STATUS_FLT_NAME_CACHE_MISS;
        return;
    }
    /* The file system cannot be asked: paging I/O, one of the operations of the cache and
     * memory managers, or all APCs disabled (IRQL APC_LEVEL here: the runner has no guarded
     * region). */
    int unsafe = (in->irp_flags & IRP_PAGING_IO) || in->irql >= APC_LEVEL ||
                 in->major == IRP_MJ_ACQUIRE_FOR_CC_FLUSH || in->major == IRP_MJ_ACQUIRE_FOR_MOD_WRITE ||
                 in->major == IRP_MJ_RELEASE_FOR_CC_FLUSH || in->major == IRP_MJ_RELEASE_FOR_MOD_WRITE ||
                 in->major == IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION;
    if (unsafe) {
        out->status = in->method == 3 ? STATUS_FLT_NAME_CACHE_MISS : STATUS_FLT_INVALID_NAME_REQUEST;
        return;
    }
    /* FN-5: the structure, after every other check. */
    out->rule = "FN-5";
    out->sites[out->n_sites++] = KF_SITE_FLT_NAME;
    if (in->n_decisions > 0 && in->dsite[0] == KF_SITE_FLT_NAME && in->dkind[0] != KF_FAULT_NONE) {
        out->status = STATUS_INSUFFICIENT_RESOURCES;
        return;
    }
    out->status = STATUS_SUCCESS;
    out->rule = "FN-1";
}

static WCHAR upper(WCHAR c) { return c >= 'a' && c <= 'z' ? (WCHAR)(c - 'a' + 'A') : c; }

/* Does w[0..n) end with the ASCII text t, in any case? */
static int ends_with_ci(const WCHAR *w, size_t n, const char *t)
{
    size_t m = strlen(t);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++)
        if (upper(w[n - m + i]) != upper((WCHAR)(unsigned char)t[i]))
            return 0;
    return 1;
}

size_t kfh_name_expected(unsigned volume, size_t name_index, int format, WCHAR *out, size_t cap, size_t *volume_chars)
{
    char vname[40];
    size_t n = 0;
    /* FV-3: volume N is \Device\HarddiskVolume<N+1>. */
    snprintf(vname, sizeof vname, "\\Device\\HarddiskVolume%u", volume + 1);
    for (size_t i = 0; vname[i] && n < cap; i++)
        out[n++] = (WCHAR)vname[i];
    size_t vchars = n;
    const WCHAR *f = kfh_name_at(name_index);
    for (size_t i = 0; f[i] && n < cap; i++)
        out[n++] = f[i];
    if (n == vchars && n < cap) /* FN-1: an empty name is the root */
        out[n++] = L'\\';
    if (format == 1) { /* NORMALIZED */
        if (ends_with_ci(out, n, "::$DATA"))
            n -= 7;
        else if (ends_with_ci(out, n, ":$DATA"))
            n -= 6;
        if (n > vchars + 1 && out[n - 1] == L'\\')
            n--;
    }
    *volume_chars = vchars;
    return n;
}

void kfh_oracle_name_parse(const WCHAR *w, size_t n, size_t vol, kfh_name_parts *out)
{
    memset(out, 0, sizeof *out);
    out->status = STATUS_OBJECT_NAME_INVALID;
    /* FN-9: the path after the volume starts with a backslash ... */
    if (n <= vol || w[vol] != L'\\')
        return;
    size_t last = vol; /* the last backslash */
    for (size_t i = vol; i < n; i++)
        if (w[i] == L'\\') {
            if (i + 1 < n && w[i + 1] == L'\\') /* ... has no empty component ... */
                return;
            last = i;
        }
    if (last == n - 1 && last != vol) /* ... no trailing backslash after a component ... */
        return;
    size_t colon = n, colons = 0;
    for (size_t i = vol; i < n; i++)
        if (w[i] == L':') {
            if (i < last) /* ... no colon in a directory component ... */
                return;
            colons++;
            if (colon == n)
                colon = i;
        }
    if (colons > 2 || (colons && colon == n - 1)) /* ... at most two colons, a stream name */
        return;
    /* FN-8: the parts, as offsets into Name. */
    out->status = STATUS_SUCCESS;
    out->volume = vol;
    if (!(last == vol && n == vol + 1)) { /* the root has neither */
        out->parent_at = vol;
        out->parent = last + 1 - vol;
        out->final_at = last + 1;
        out->final = n - last - 1;
    }
    out->stream_at = colon;
    out->stream = n - colon;
    size_t dot = colon;
    for (size_t i = last + 1; i < colon; i++)
        if (w[i] == L'.')
            dot = i;
    if (dot < colon) {
        out->ext_at = dot + 1;
        out->ext = colon - dot - 1;
    }
}
