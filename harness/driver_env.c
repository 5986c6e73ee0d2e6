/*
 * driver_env.c - runs driver code in an environment made from fuzz bytes and judges it:
 * the profile, the caller's IRQL, the remaining stack, a large stack and the fault
 * decisions come from the scenario's environment operations; the driver's entry point
 * runs once in a simulated system thread under kf_guarded_call; any stop, leak, IRQL left
 * changed, rejected expansion argument or broken condition of the driver is a finding.
 * Also the systematic (fail_nth over every consulted site) fuzz body.
 *
 * A minifilter target also meets Filter Manager: volumes, the answers of the layers below,
 * how and at which IRQL asynchronous I/O completes, instances being torn down; the driver
 * is loaded before the call, its pending completions run after it and it is unloaded, and
 * callback data left over is a finding too. After the call the application on the other side
 * of its communication ports connects, sends, answers and disconnects as the scenario's
 * version-4 operations say, and work items run where it says; every Filter Manager object
 * still held after the unload is a finding (SEMANTICS.md FH-1 to FH-9).
 *
 * Only environments the driver claims to support are built: an operation asking for
 * another profile or IRQL is skipped, never mapped to something else, so the text form of
 * an input says exactly what the driver met. Must never decide from an address or a clock.
 */
#include "kfault/driver_env.h"

#include <ntddk.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[3] = {"none", "transient", "hard"};

static struct {
    const kfh_driver_target *t;
    const kfh_scenario *s; /* the scenario of the run in progress */
    kfh_plan *plan;
    kfh_drv_run *run;
    int running;
    kfh_op reg_op[KFH_REG_VALUES]; /* the last reg_value of each value index */
    kf_held_report held; /* what the thread held when the entry point returned */
    /* The port client (version 4): the message buffer and the model's client number in each
     * slot (0: none). */
    UCHAR msg[KFH_MSG_MAX];
    ULONG msg_len;
    unsigned client[KFH_CLIENT_SLOTS];
} D;

const kfh_env *kfh_driver_env(void)
{
    return D.running ? &D.run->env : NULL;
}

/* ---- Findings ------------------------------------------------------------------------ */

static void drv_vfail(kfh_drv_run *run, int inv, const char *routine, const char *expected, const char *fmt,
                      va_list ap)
{
    run->n_findings++;
    if (run->n_findings > 1)
        return;
    kfh_finding *f = &run->finding;
    memset(f, 0, sizeof *f);
    f->inv = inv;
    f->op = -1;
    snprintf(f->routine, sizeof f->routine, "%s", routine ? routine : "-");
    snprintf(f->site, sizeof f->site, "-");
    snprintf(f->expected, sizeof f->expected, "%s", expected);
    vsnprintf(f->actual, sizeof f->actual, fmt, ap);
    kfh_finding_sign(f);
    kfh_trace_event("FINDING %s: expected %s; actual %s", f->signature, f->expected, f->actual);
}

void kfh_drv_fail(kfh_drv_run *run, int inv, const char *routine, const char *expected, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    drv_vfail(run, inv, routine, expected, fmt, ap);
    va_end(ap);
}

/* ---- The environment ------------------------------------------------------------------ */

static int profile_supported(const kfh_driver_target *t, const kf_profile *p)
{
    return p->os >= t->min_os && (t->arch_mask & (1u << p->arch));
}

/* The options' profile when the driver supports it, else the newest one it supports. */
static kf_profile start_profile(const kfh_driver_target *t)
{
    const kf_profile *o = kf_current_profile();
    if (profile_supported(t, o))
        return *o;
    kf_profile best = *o;
    for (size_t i = 0; i < kf_profile_count(); i++)
        if (profile_supported(t, kf_profile_at(i)))
            best = *kf_profile_at(i);
    return best;
}

static const KIRQL irql_table[8] = {0, 1, 2, 3, 4, 13, 15, 31};

static SIZE_T stack_size_of(const kfh_env *e)
{
    return e->large ? e->profile.large_stack_size : e->profile.kernel_stack_size;
}

/* A minifilter's environment: one version-2 operation into *e. */
static void build_flt_env(const kfh_op *op, kfh_env *e)
{
    switch (op->code) {
    case KFH_OP_FLT_START:
        e->volumes = op->a > KFH_FLT_VOLUMES ? KFH_FLT_VOLUMES : op->a;
        break;
    case KFH_OP_LOWER:
        if (e->n_lower >= KFH_ENV_LOWER_MAX) {
            kfh_trace_event("env skipped: more than %d answers of the layers below", KFH_ENV_LOWER_MAX);
            break;
        }
        /* STATUS_PENDING, which no answer can be, stands for the file system's own. */
        e->lower[e->n_lower].status = op->a ? kfh_lower_status_at(op->a) : STATUS_PENDING;
        e->lower[e->n_lower].information = op->size_raw;
        e->n_lower++;
        break;
    case KFH_OP_ASYNC_IO:
        e->deferred = op->c & 1;
        e->completion_irql = (KIRQL)((op->c >> 1) % KFH_ASYNC_IRQL_COUNT);
        break;
    case KFH_OP_TEARDOWN:
        if (op->b)
            e->teardown_mask |= 1u << (op->a % KFH_FLT_VOLUMES);
        else
            e->teardown_mask &= ~(1u << (op->a % KFH_FLT_VOLUMES));
        break;
    case KFH_OP_CBD_ALLOC:
        e->alloc_flags = kfh_alloc_flags_at(op->c);
        break;
    case KFH_OP_FLT_UNREGISTER:
        e->unload_in_flight = 1;
        break;
    default:
        break;
    }
}

/* Reads the environment operations of s into *e, queueing fault decisions into plan. */
static void build_env(const kfh_driver_target *t, const kfh_scenario *s, kfh_plan *plan, int input_plan, kfh_env *e)
{
    char pname[32];
    memset(e, 0, sizeof *e);
    e->profile = start_profile(t);
    e->irql = t->min_irql;
    e->remaining = e->profile.kernel_stack_size;
    if (t->minifilter)
        e->volumes = 1;
    for (uint16_t i = 0; i < s->n; i++) {
        const kfh_op *op = &s->ops[i];
        switch (op->code) {
        case KFH_OP_PROFILE: {
            const kf_profile *p = kf_profile_at(op->a % kf_profile_count());
            if (!profile_supported(t, p)) {
                kfh_trace_event("env skipped: profile %s is not one the driver supports",
                                kf_profile_name(p, pname, sizeof pname));
                break;
            }
            e->profile = *p;
            if (e->remaining > stack_size_of(e))
                e->remaining = stack_size_of(e);
            break;
        }
        case KFH_OP_RAISE_IRQL:
        case KFH_OP_LOWER_IRQL: {
            KIRQL v = irql_table[op->a % 8];
            if (v < t->min_irql || v > t->max_irql) {
                kfh_trace_event("env skipped: the driver's caller is never at IRQL %u", v);
                break;
            }
            e->irql = v;
            break;
        }
        case KFH_OP_SET_STACK: {
            SIZE_T v = kfh_size_resolve(op->size_sel, op->size_raw, &e->profile, e->remaining);
            e->remaining = v > stack_size_of(e) ? stack_size_of(e) : v;
            break;
        }
        case KFH_OP_CONSUME: {
            SIZE_T v = kfh_size_resolve(op->size_sel, op->size_raw, &e->profile, e->remaining);
            e->remaining = v > e->remaining ? 0 : e->remaining - v;
            break;
        }
        case KFH_OP_LARGE_STACK: {
            SIZE_T used = stack_size_of(e) - e->remaining;
            e->large = op->a & 1;
            e->remaining = used > stack_size_of(e) ? 0 : stack_size_of(e) - used;
            break;
        }
        case KFH_OP_FLT_START:
        case KFH_OP_LOWER:
        case KFH_OP_ASYNC_IO:
        case KFH_OP_TEARDOWN:
        case KFH_OP_CBD_ALLOC:
        case KFH_OP_FLT_UNREGISTER:
            if (t->minifilter)
                build_flt_env(op, e);
            break;
        case KFH_OP_FILE:
            if (!t->minifilter)
                break;
            if (e->n_files >= KFH_ENV_FILES_MAX) {
                kfh_trace_event("env skipped: more than %d files", KFH_ENV_FILES_MAX);
                break;
            }
            e->file[e->n_files++].op = *op;
            break;
        case KFH_OP_REG_VALUE: {
            unsigned v = op->a % KFH_REG_VALUES;
            if (v >= t->n_registry) {
                kfh_trace_event("env skipped: the driver reads no registry value %u", v);
                break;
            }
            if (t->registry_fixed) {
                kfh_trace_event("env skipped: registry value %u stays as installed", v);
                break;
            }
            e->reg[v].changed = 1;
            e->reg[v].present = (op->b & KFH_REG_TYPE_MASK) != KFH_REG_ABSENT;
            e->reg[v].type = kfh_reg_type_at(op->b & KFH_REG_TYPE_MASK);
            e->reg[v].size = kfh_reg_value_bytes(op, NULL, 0);
            D.reg_op[v] = *op;
            break;
        }
        case KFH_OP_FAULT:
            if (input_plan) {
                kfh_plan_push_decision(plan, (kf_fault_kind)(op->a % 3));
                e->faults++;
            }
            break;
        case KFH_OP_MSG_WORD:
        case KFH_OP_PORT_CONNECT:
        case KFH_OP_MSG_SEND:
        case KFH_OP_PORT_ANSWER:
        case KFH_OP_PORT_DISCONNECT:
        case KFH_OP_RUN_WORK:
            /* Steps, not environment: they run after the call (client_steps), or in the
             * call for a target that plays them itself. */
            if (t->minifilter && !t->client_inline)
                e->client_steps++;
            break;
        default:
            break;
        }
    }
    kfh_trace_event("env profile=%s irql=%u large=%d remaining=0x%llx faults=%u",
                    kf_profile_name(&e->profile, pname, sizeof pname), e->irql, e->large,
                    (unsigned long long)e->remaining, e->faults);
}

/* The driver's registry: the service key with the values its installation writes, changed
 * or removed by the scenario. Filled after kf_reset (which empties the registry) and before
 * the driver is loaded; the control surface consults no fault site. */
static void apply_registry(const kfh_driver_target *t, kfh_env *e)
{
    static const char services[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
    const char *service = t->service ? t->service : t->name;
    char key[256];
    size_t n = 0;
    for (const char *p = services; *p && n + 1 < RTL_NUMBER_OF(e->registry_path_buffer); p++)
        e->registry_path_buffer[n++] = (WCHAR)*p;
    for (const char *p = service; *p && n + 1 < RTL_NUMBER_OF(e->registry_path_buffer); p++)
        e->registry_path_buffer[n++] = (WCHAR)(unsigned char)*p;
    e->registry_path_buffer[n] = 0;
    e->registry_path.Buffer = e->registry_path_buffer;
    e->registry_path.Length = (USHORT)(n * sizeof(WCHAR));
    e->registry_path.MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
    for (unsigned i = 0; i < t->n_registry; i++) {
        const kfh_reg_spec *r = &t->registry[i];
        static UCHAR bytes[512];
        const void *data = r->data;
        ULONG type = r->type, size = r->size;
        if (i >= KFH_REG_VALUES) {
            /* Past the values a scenario can name: installed as they are. */
            snprintf(key, sizeof key, "%s%s%s%s", services, service, r->key[0] ? "\\" : "", r->key);
            if (r->data && kf_registry_set_value(key, r->name, type, data, size) != 0)
                kfh_trace_event("env registry %s\\%s: no memory for it (left absent)", r->key[0] ? r->key : ".",
                                r->name);
            continue;
        }
        if (e->reg[i].changed) {
            size = kfh_reg_value_bytes(&D.reg_op[i], bytes, sizeof bytes);
            data = bytes;
            type = e->reg[i].type;
        } else {
            e->reg[i].present = r->data != NULL;
            e->reg[i].type = type;
            e->reg[i].size = size;
        }
        snprintf(key, sizeof key, "%s%s%s%s", services, service, r->key[0] ? "\\" : "", r->key);
        if (!e->reg[i].present) {
            kfh_trace_event("env registry %s\\%s: absent", r->key[0] ? r->key : ".", r->name);
            continue;
        }
        if (kf_registry_set_value(key, r->name, type, data, size) != 0)
            kfh_trace_event("env registry %s\\%s: no memory for it (left absent)", r->key[0] ? r->key : ".", r->name);
        else
            kfh_trace_event("env registry %s\\%s: type %u, %u byte(s)%s", r->key[0] ? r->key : ".", r->name,
                            (unsigned)type, (unsigned)size, e->reg[i].changed ? "" : " (installed)");
    }
}

static void trace_flt_env(const kfh_env *e)
{
    kfh_trace_event("env flt volumes=%u teardown=0x%x completion=%s irql=%u alloc_flags=0x%x lower=%u%s", e->volumes,
                    e->teardown_mask, e->deferred ? "deferred" : "inline", e->completion_irql,
                    (unsigned)e->alloc_flags, e->n_lower, e->unload_in_flight ? " unload-in-flight" : "");
    if (e->client_steps)
        kfh_trace_event("env client steps=%u", e->client_steps);
}

/* ---- Running the driver --------------------------------------------------------------- */

static kf_fault_kind env_hook(void *ctx, kf_site site)
{
    (void)ctx;
    kf_fault_kind k = kfh_plan_decide(D.plan, site);
    kfh_trace_event("fault %s -> %s", kf_site_get(site)->name, kind_names[k % 3]);
    return k;
}

/* ---- Filter Manager, for minifilter targets --------------------------------------------- */

/* FILE_NAMES_INFORMATION entries of a one-character name, 8-byte aligned. */
#define NAME_ENTRY_SIZE ((ULONG)KFH_ENV_NAME_ENTRY_SIZE)
_Static_assert(KFH_ENV_NAME_ENTRY_SIZE == ((offsetof(FILE_NAMES_INFORMATION, FileName) + sizeof(WCHAR) + 7) & ~(size_t)7),
               "a name entry is the header and one WCHAR, 8-byte aligned");

/* What a file system writes for a directory query that returns `len` bytes: as many whole
 * entries as fit, chained; fewer bytes than one entry are zeros. */
static void fill_names(UCHAR *buf, ULONG len)
{
    ULONG n = len / NAME_ENTRY_SIZE;
    memset(buf, 0, len);
    for (ULONG i = 0; i < n; i++) {
        FILE_NAMES_INFORMATION *entry = (FILE_NAMES_INFORMATION *)(buf + (size_t)i * NAME_ENTRY_SIZE);
        entry->NextEntryOffset = i + 1 < n ? NAME_ENTRY_SIZE : 0;
        entry->FileIndex = i;
        entry->FileNameLength = sizeof(WCHAR);
        entry->FileName[0] = (WCHAR)(L'a' + i % 26);
    }
}

/* The layers below: the scripted answers in order, then an empty file system. A failed
 * fault site keeps its failure (and uses up its answer). Successful reads and directory
 * queries return at most the bytes asked for, and those bytes are written. */
static void env_lower(void *ctx, kf_flt_lower_io *io)
{
    (void)ctx;
    const kfh_env *e = &D.run->env;
    unsigned k = D.run->lower_ios++;
    PFLT_IO_PARAMETER_BLOCK iopb = io->data->Iopb;
    int query = iopb->MajorFunction == IRP_MJ_DIRECTORY_CONTROL && iopb->MinorFunction == IRP_MN_QUERY_DIRECTORY;
    NTSTATUS st = k < e->n_lower ? e->lower[k].status : STATUS_PENDING;
    if (io->fault) {
        kfh_trace_event("lower io %u: site failed, 0x%08X", k, (unsigned)io->status);
        return;
    }
    if (st == STATUS_PENDING && kf_flt_is_modeled_file_object(iopb->TargetFileObject)) {
        /* A file of the modeled file system, and no answer scripted for it: the file system's. */
        kfh_trace_event("lower io %u: major %u minor %u -> 0x%08X info=0x%llx (file system)", k, iopb->MajorFunction,
                        iopb->MinorFunction, (unsigned)io->status, (unsigned long long)io->information);
        return;
    }
    if (st == STATUS_PENDING) {
        if (query) {
            io->status = STATUS_NO_MORE_FILES;
            io->information = 0;
        }
    } else {
        io->status = st;
        io->information = e->lower[k].information;
    }
    if (NT_SUCCESS(io->status) && iopb->MajorFunction == IRP_MJ_READ) {
        ULONG room = iopb->Parameters.Read.Length;
        if (io->information > room)
            io->information = room;
        if (iopb->Parameters.Read.ReadBuffer)
            memset(iopb->Parameters.Read.ReadBuffer, KFH_ENV_READ_BYTE, io->information);
    } else if (NT_SUCCESS(io->status) && query) {
        ULONG room = iopb->Parameters.DirectoryControl.QueryDirectory.Length;
        if (io->information > room)
            io->information = room;
        if (iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer)
            fill_names(iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer, (ULONG)io->information);
    }
    kfh_trace_event("lower io %u: major %u minor %u -> 0x%08X info=0x%llx", k, iopb->MajorFunction,
                    iopb->MinorFunction, (unsigned)io->status, (unsigned long long)io->information);
}

/* The scenario's files, put on the volumes before the driver is loaded: the parent directories
 * a name needs are made, and a stream's file (empty) when it is missing. Traced only when the
 * scenario has files. */
static void install_files(kfh_env *e)
{
    static UCHAR bytes[65536];
    for (unsigned i = 0; i < e->n_files; i++) {
        const kfh_op *op = &e->file[i].op;
        unsigned vol = op->b & KFH_FILE_VOLUME_MASK;
        const char *text = kfh_file_name_text(op->a);
        if (vol >= e->volumes) {
            kfh_trace_event("env file %u %s: volume %u is not offered (skipped)", op->a, text, vol);
            continue;
        }
        const WCHAR *name = kfh_file_name_at(op->a);
        WCHAR prefix[256];
        size_t n = 0;
        for (; name[n] && n + 1 < RTL_NUMBER_OF(prefix); n++) {
            if (n > 0 && (name[n] == L'\\' || name[n] == L':')) {
                prefix[n] = 0;
                kf_flt_file_spec parent = {prefix, name[n] == L':' ? 0 : FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
                (void)kf_flt_add_file(vol, &parent); /* already there is fine */
            }
            prefix[n] = name[n];
        }
        ULONG size = kfh_file_bytes(op, bytes, sizeof bytes);
        ULONG attrs = ((op->b & KFH_FILE_DIRECTORY) ? FILE_ATTRIBUTE_DIRECTORY : 0) |
                      ((op->b & KFH_FILE_READONLY) ? FILE_ATTRIBUTE_READONLY : 0) |
                      ((op->b & KFH_FILE_HIDDEN) ? FILE_ATTRIBUTE_HIDDEN : 0);
        kf_flt_file_spec spec = {name, attrs, size ? bytes : NULL, size};
        e->file[i].installed = kf_flt_add_file(vol, &spec) == 0;
        kfh_trace_event("env file %u %s on volume %u: %s, %u byte(s), attributes 0x%x", op->a, text, vol,
                        e->file[i].installed ? "installed" : "already there (skipped)", (unsigned)size,
                        (unsigned)attrs);
    }
}

static void flt_setup(kfh_env *e)
{
    kf_flt_set_volumes(e->volumes, NULL);
    install_files(e);
    kf_flt_set_lower_hook(env_lower, NULL);
    kf_flt_set_async_mode(e->deferred ? KF_FLT_COMPLETE_DEFERRED : KF_FLT_COMPLETE_INLINE, e->completion_irql);
}

/* DriverEntry at PASSIVE_LEVEL; then the instances the environment is tearing down. */
static void flt_load(const kfh_minifilter *mf, kfh_drv_run *run)
{
    kf_set_irql(PASSIVE_LEVEL);
    run->load_status = mf->load();
    run->loaded = NT_SUCCESS(run->load_status);
    kfh_trace_event("driver load: 0x%08X", (unsigned)run->load_status);
    PFLT_FILTER f = run->loaded ? mf->filter() : NULL;
    for (unsigned v = 0; f && v < KFH_FLT_VOLUMES; v++) {
        PFLT_INSTANCE inst = (run->env.teardown_mask >> v) & 1 ? kf_flt_instance(f, v) : NULL;
        if (inst && kf_flt_set_instance_teardown(inst, TRUE) == 0)
            kfh_trace_event("teardown: the instance on volume %u is being torn down", v);
    }
}

#define DRAIN_ROUNDS 64

/* At PASSIVE_LEVEL after the call: pending completions (and those they start) run, unless
 * the environment unloads with I/O in flight; then the unload `fltmc unload` asks for. */
static void flt_finish(const kfh_minifilter *mf, kfh_drv_run *run)
{
    for (int round = 0; !run->env.unload_in_flight && round < DRAIN_ROUNDS && kf_flt_pending_completions(); round++)
        run->completions += kf_flt_run_pending_completions();
    PFLT_FILTER f = mf->filter();
    run->unload_status = STATUS_SUCCESS;
    if (f)
        run->unload_status = kf_flt_unload(f, 0);
    kfh_trace_event("driver unload: %zu completion(s) run, %zu pending, unload 0x%08X", run->completions,
                    kf_flt_pending_completions(), (unsigned)run->unload_status);
}

/* The work items the driver queued run in the system's worker threads, as on a machine,
 * before the driver unloads (a driver's unload must wait for them): after the call, at
 * PASSIVE_LEVEL, as pending completions are drained; then what is left is judged. Traced only
 * when something ran, so a run that queued nothing keeps its trace. Filter Manager's generic
 * and deferred I/O work items too (FH-5), in rounds of what is queued when each starts. */
#define WORK_ITEM_ROUNDS 64

static void run_work_items(void)
{
    /* Bounded: a worker that queues itself again until the unload stops it is a correct
     * pattern; what is still queued after these rounds is left to the unload (whose wait runs
     * it) and judged after it. */
    int n = kf_run_work_items_max(WORK_ITEM_ROUNDS);
    if (n)
        kfh_trace_event("work items: %d run after the call", n);
    size_t f = 0;
    for (int round = 0; round < WORK_ITEM_ROUNDS && kf_flt_work_items_queued(); round++)
        f += kf_flt_run_work_items();
    if (f)
        kfh_trace_event("flt work items: %zu run after the call", f);
}

/* ---- The port client and the worker threads (version 4, FH-7, FH-8) ------------------- */

/* The first n bytes of the message buffer (zeros past what msg_word appended) into out; the
 * buffer is empty afterwards. */
static void take_msg(UCHAR *out, ULONG n)
{
    memset(out, 0, n);
    memcpy(out, D.msg, n < D.msg_len ? n : D.msg_len);
    D.msg_len = 0;
}

static void trace_bytes(const char *what, const UCHAR *b, ULONG n)
{
    char hex[2 * 16 + 1];
    ULONG k = n < 16 ? n : 16;
    for (ULONG i = 0; i < k; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    hex[2 * k] = 0;
    kfh_trace_event("  %s %u byte(s): %s%s", what, (unsigned)n, hex, n > k ? "..." : "");
}

static void client_connect(const kfh_op *op, kfh_drv_run *run)
{
    static UCHAR ctx[KFH_MSG_MAX];
    ULONG n = op->size_raw;
    take_msg(ctx, n);
    const WCHAR *name = D.t->minifilter->ports[op->b % KFH_CLIENT_PORTS];
    if (!name) {
        kfh_trace_event("client %u: skipped: the driver names no port %u", op->a, op->b);
        return;
    }
    if (D.client[op->a]) {
        kfh_trace_event("client %u: skipped: the slot holds a connection", op->a);
        return;
    }
    unsigned number = 0;
    run->connects++;
    NTSTATUS st = kf_flt_client_connect(name, n ? ctx : NULL, n, &number);
    kfh_trace_event("client %u: connect port %u with %u context byte(s) -> 0x%08X", op->a, op->b, (unsigned)n,
                    (unsigned)st);
    if (NT_SUCCESS(st) && number) {
        D.client[op->a] = number;
        run->connected++;
    }
}

static void client_send(const kfh_op *op, kfh_drv_run *run)
{
    static UCHAR in[KFH_MSG_MAX], out[KFH_MSG_MAX];
    ULONG in_size = KFH_SEND_IN(op), out_size = KFH_SEND_OUT(op), returned = 0;
    int no_in = (op->b & KFH_SEND_NO_INPUT) != 0, no_out = (op->b & KFH_SEND_NO_OUTPUT) != 0;
    take_msg(in, in_size);
    if (!D.client[op->a]) {
        kfh_trace_event("client %u: skipped: no connection in the slot", op->a);
        return;
    }
    memset(out, 0, sizeof out);
    unsigned k = run->sends++;
    NTSTATUS st = kf_flt_client_send(D.client[op->a], no_in ? NULL : in, in_size, no_out ? NULL : out, out_size,
                                     &returned);
    kfh_trace_event("client %u: send %s%u byte(s), output %s%u -> 0x%08X, %u returned", op->a,
                    no_in ? "no input, " : "", (unsigned)in_size, no_out ? "none, " : "", (unsigned)out_size,
                    (unsigned)st, (unsigned)returned);
    if (returned)
        trace_bytes("output", out, returned <= out_size ? returned : out_size);
    if (k < KFH_ENV_SENDS) {
        run->send[k].status = st;
        run->send[k].in_size = in_size;
        run->send[k].out_size = out_size;
        run->send[k].returned = returned;
        memcpy(run->send[k].out, out, KFH_ENV_SEND_BYTES);
    }
}

static void client_answer(const kfh_op *op)
{
    static UCHAR reply[KFH_MSG_MAX];
    ULONG n = op->size_raw;
    take_msg(reply, n);
    if (!D.client[op->a]) {
        kfh_trace_event("client %u: skipped: no connection in the slot", op->a);
        return;
    }
    if (D.t->client_trusted && op->b != KFH_ANSWER_REPLY) {
        /* A service trusted to answer: it replies, with these bytes. */
        kfh_trace_event("client %u: answer %s skipped: the service always replies", op->a, kfh_answer_name(op->b));
        return;
    }
    int rc = kf_flt_client_set_answer(D.client[op->a], (kf_flt_answer)op->b, n ? reply : NULL, n);
    kfh_trace_event("client %u: answer %s with %u byte(s)%s", op->a, kfh_answer_name(op->b), (unsigned)n,
                    rc ? ": the connection is gone" : "");
}

static void client_disconnect(const kfh_op *op)
{
    if (!D.client[op->a]) {
        kfh_trace_event("client %u: skipped: no connection in the slot", op->a);
        return;
    }
    int rc = kf_flt_client_disconnect(D.client[op->a]);
    D.client[op->a] = 0;
    kfh_trace_event("client %u: disconnect%s", op->a, rc ? ": the connection was gone" : "");
}

/* One version-4 operation, at PASSIVE_LEVEL. */
static void client_step(const kfh_op *op, kfh_drv_run *run)
{
    switch (op->code) {
    case KFH_OP_MSG_WORD:
        if (D.msg_len + 4 > KFH_MSG_MAX) {
            kfh_trace_event("client: message buffer full (%d bytes): word dropped", KFH_MSG_MAX);
            break;
        }
        for (int b = 0; b < 4; b++)
            D.msg[D.msg_len++] = (UCHAR)(op->size_raw >> (8 * b));
        break;
    case KFH_OP_PORT_CONNECT:
        client_connect(op, run);
        break;
    case KFH_OP_MSG_SEND:
        client_send(op, run);
        break;
    case KFH_OP_PORT_ANSWER:
        client_answer(op);
        break;
    case KFH_OP_PORT_DISCONNECT:
        client_disconnect(op);
        break;
    case KFH_OP_RUN_WORK: {
        size_t f = kf_flt_run_work_items();
        int n = kf_run_work_items_max(WORK_ITEM_ROUNDS);
        run->work_run += f + (size_t)n;
        kfh_trace_event("run work: %zu flt work item(s), %d work item(s)", f, n);
        break;
    }
    default:
        break;
    }
    kf_set_irql(PASSIVE_LEVEL);
}

/* The scenario's version-4 operations in order, after the call, at PASSIVE_LEVEL. */
static void client_steps(kfh_drv_run *run)
{
    const kfh_scenario *s = D.s;
    kfh_callpath_push("client");
    for (uint16_t i = 0; i < s->n; i++)
        client_step(&s->ops[i], run);
    kfh_callpath_pop();
}

void kfh_driver_client_step(const kfh_op *op)
{
    if (!D.running)
        return;
    KIRQL was = KeGetCurrentIrql();
    kf_set_irql(PASSIVE_LEVEL);
    kfh_callpath_push("client");
    client_step(op, D.run);
    kfh_callpath_pop();
    kf_set_irql(was);
}

static void thread_start(void *arg)
{
    kfh_drv_run *run = arg;
    const kfh_minifilter *mf = D.t->minifilter;
    if (mf)
        flt_load(mf, run);
    kf_set_irql(run->env.irql);
    if (!mf || run->loaded)
        D.t->call();
    run->returned = 1;
    run->irql_after = KeGetCurrentIrql();
    kf_held(&D.held);
    kf_set_irql(PASSIVE_LEVEL);
    if (mf && run->loaded && run->env.client_steps) {
        client_steps(run);
        /* A lock a port callback or a work item returned holding (the call held none). */
        kf_held_report h;
        kf_held(&h);
        if (!D.held.first && h.first)
            D.held = h;
    }
    run_work_items();
    if (mf && run->loaded)
        flt_finish(mf, run);
}

static void guarded(void *arg)
{
    kfh_drv_run *run = arg;
    run->thread_status = kf_run_system_thread(thread_start, run);
    run->thread_exited = !run->returned;
    /* The thread ended inside the call: the system still runs the work it queued. */
    if (run->thread_exited)
        run_work_items();
}

/* Filter Manager's objects the driver still holds after its unload (FH-1 to FH-6): each kind a
 * finding of its own, saying what the model knows of the first one. Filter Manager's own stops
 * at FltUnregisterFilter for the same kinds come first (a stop is judged before any leak). */
static void judge_flt_leaks(kfh_drv_run *run, const kf_leak_report *l)
{
    const char *name = D.t->name;
    /* The most severe first: an I/O that never completes, then what keeps memory. */
    if (l->flt_cbdq_entries)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_CBDQ_LEAK, name, "every cancel-safe queue emptied",
                     "%zu callback data still in the driver's cancel-safe queues (never completed); unload 0x%08X",
                     l->flt_cbdq_entries, (unsigned)run->unload_status);
    if (l->flt_contexts) {
        kf_flt_context_left c;
        kf_flt_contexts_left(&c);
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_CONTEXT_LEAK, name, "every Filter Manager context freed",
                     "%zu context(s) not freed (unload 0x%08X): the first a%s %s context holding %ld reference(s)%s, "
                     "the last taken by %s",
                     c.count, (unsigned)run->unload_status, c.type && c.type[0] == 'i' ? "n" : "",
                     c.type ? c.type : "?", c.references,
                     c.attached ? " (one of them Filter Manager's: it is still attached)" : "",
                     c.taker ? c.taker : "?");
    }
    if (l->flt_names) {
        char text[96];
        size_t refs = 0;
        size_t n = kf_flt_names_left(text, sizeof text, &refs);
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_NAME_LEAK, name, "every file name information released",
                     "%zu file name information reference(s) not released (FltReleaseFileNameInformation), the "
                     "first on %s (%zu reference(s))",
                     n, text, refs);
    }
    if (l->flt_object_refs) {
        const char *kind = NULL;
        size_t count = 0;
        size_t n = kf_flt_object_refs_left(&kind, &count);
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_OBJECT_REF_LEAK, name, "every Filter Manager object reference dropped",
                     "%zu reference(s) on Filter Manager objects not dropped with FltObjectDereference, the first "
                     "on a%s %s (%zu reference(s))",
                     n, kind && kind[0] == 'i' ? "n" : "", kind ? kind : "?", count);
    }
    if (l->flt_ports) {
        size_t servers = 0, clients = 0, sds = 0;
        kf_flt_ports_left(&servers, &clients, &sds);
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_PORT_LEAK, name, "every communication port closed, every security "
                     "descriptor freed",
                     "%zu server port(s) open (FltCloseCommunicationPort), %zu client port(s) not closed "
                     "(FltCloseClientPort), %zu security descriptor(s) not freed (FltFreeSecurityDescriptor); unload "
                     "0x%08X",
                     servers, clients, sds, (unsigned)run->unload_status);
    }
    if (l->flt_work_items) {
        size_t generic = 0, deferred = 0, queued = 0;
        kf_flt_work_items_left(&generic, &deferred, &queued);
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_FLT_WORK_ITEM_LEAK, name, "every Filter Manager work item freed once its "
                     "work ran",
                     "%zu generic and %zu deferred I/O work item(s) not freed (FltFree*WorkItem), %zu of them still "
                     "queued",
                     generic, deferred, queued);
    }
}

static void judge(kfh_drv_run *run, int stopped, const kf_stop *st)
{
    const kfh_driver_target *t = D.t;
    const kf_expand_record *rec = kf_last_expand();
    run->expand = *rec;
    run->expanded = rec->size != 0 || rec->status != STATUS_SUCCESS || rec->callout_calls != 0;
    run->pool_injected = kfh_plan_stats(D.plan)->injected[KF_SITE_POOL];
    run->injected = kfh_plan_stats(D.plan)->total_injected;
    /* Before any stop: a lock still held when the entry point returned is the cause of what
     * the unload then meets (deleting a held resource, a wait that cannot end). */
    const kf_held_report *h = &D.held;
    if (run->returned && (h->spin_locks || h->mutexes || h->resources || h->push_locks || h->critical_regions ||
                          h->guarded_regions))
        kfh_drv_fail(run, KFH_INV_DRIVER_HELD, t->name, "no lock held and no region entered at return",
                     "%u spin lock(s), %u mutex(es), %u resource acquisition(s), %u push lock(s), %u critical "
                     "and %u guarded region(s) still held; the oldest taken by %s",
                     h->spin_locks, h->mutexes, h->resources, h->push_locks, h->critical_regions,
                     h->guarded_regions, h->first ? h->first : "-");
    if (stopped) {
        const char *vname =
            st->code == DRIVER_VERIFIER_DETECTED_VIOLATION ? kf_violation_name((ULONG)st->param[0]) : NULL;
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_STOP, st->routine ? st->routine : "-", "no bug check, no violation",
                     "bug check 0x%X %s%s%s (P1=0x%llx P2=0x%llx): %s", (unsigned)st->code, kf_bugcheck_name(st->code),
                     vname ? " " : "", vname ? vname : "", (unsigned long long)st->param[0],
                     (unsigned long long)st->param[1], st->reason);
        return;
    }
    if (run->expanded && (rec->status == STATUS_INVALID_PARAMETER_3 || rec->status == STATUS_INVALID_PARAMETER_4))
        kfh_drv_fail(run, KFH_INV_DRIVER_ARGUMENTS, "KeExpandKernelStackAndCalloutEx", "arguments the routine accepts",
                     "0x%08X for Size=0x%llx at IRQL %u", (unsigned)rec->status, (unsigned long long)rec->size,
                     rec->irql_before);
    if (run->returned && run->irql_after != run->env.irql)
        kfh_drv_fail(run, KFH_INV_DRIVER_IRQL, t->name, "the caller's IRQL", "returned at IRQL %u, called at %u",
                     run->irql_after, run->env.irql);
    if (kf_callout_depth() != 0)
        kfh_drv_fail(run, KFH_INV_CALLOUT_DEPTH, t->name, "no callout active after the call", "%u active",
                     kf_callout_depth());
    kf_leak_report l;
    kf_leaks(&l);
    if (l.pool_blocks) {
        /* The oldest block's tag and allocating routine are the driver's and deterministic;
         * its site (a symbolized address, which differs between builds) goes into a note. */
        ULONG tag = 0;
        SIZE_T size = 0;
        const char *routine = "?";
        char site[256], tag4[5];
        site[0] = 0;
        kf_pool_first_leak(&tag, &size, &routine, site, sizeof site);
        kf_pool_tag_text(tag, tag4);
        if (!l.rtl_strings)
            kfh_drv_fail(run, KFH_INV_NO_POOL_LEAK, t->name, "every pool block freed",
                         "%zu block(s) left, the first tagged '%s' (%zu bytes from %s)", l.pool_blocks, tag4,
                         (size_t)size, routine);
        else if (l.rtl_strings == l.pool_blocks)
            kfh_drv_fail(run, KFH_INV_NO_POOL_LEAK, t->name, "every pool block freed",
                         "%zu block(s) left: string buffer(s) an Rtl routine allocated for the driver, never given "
                         "to RtlFreeUnicodeString / RtlFreeAnsiString",
                         l.pool_blocks);
        else
            kfh_drv_fail(run, KFH_INV_NO_POOL_LEAK, t->name, "every pool block freed",
                         "%zu block(s) left, the first tagged '%s' (%zu bytes from %s); %zu of them string "
                         "buffer(s) an Rtl routine allocated for the driver",
                         l.pool_blocks, tag4, (size_t)size, routine, l.rtl_strings);
        if (l.pool_blocks > l.rtl_strings)
            kfh_trace_note("first block allocated at %s", site);
    }
    if (l.segments)
        kfh_drv_fail(run, KFH_INV_NO_SEGMENT_LEAK, t->name, "no stack segment in use", "%zu segment(s) in use",
                     l.segments);
    judge_flt_leaks(run, &l);
    if (l.callback_data)
        kfh_drv_fail(run, KFH_INV_NO_CALLBACK_DATA_LEAK, t->name, "every callback data freed by the unload",
                     "%zu callback data still allocated (unload 0x%08X)", l.callback_data,
                     (unsigned)run->unload_status);
    /* A file the driver opened and left: its name (FI-19). */
    char file[160];
    int named = kf_flt_first_open_file(file, sizeof file);
    /* A data-scan section not closed keeps its handle; a view not unmapped keeps a reference on its
     * section (DS-10): both are named with the kind they are counted in. */
    char sections[96] = "", views[96] = "";
    if (l.flt_sections)
        snprintf(sections, sizeof sections,
                 "; %zu of them data-scan section(s) not closed (FltCloseSectionForDataScan)", l.flt_sections);
    if (l.flt_views)
        snprintf(views, sizeof views, "; %zu view(s) of sections not unmapped (ZwUnmapViewOfSection)", l.flt_views);
    if (l.handles)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_HANDLE_LEAK, t->name, "every handle closed",
                     "%zu handle(s) still open%s%s%s", l.handles, named ? "; the oldest file left open is " : "",
                     named ? file : "", sections);
    if (l.objects)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_OBJECT_LEAK, t->name, "every object reference released",
                     "%zu object reference(s) taken and not released%s%s%s", l.objects,
                     named ? "; the oldest file object left is " : "", named ? file : "", views);
    if (l.lookaside_lists)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_LOOKASIDE_LEAK, t->name, "every lookaside list deleted",
                     "%zu lookaside list(s) not deleted", l.lookaside_lists);
    if (l.work_items || l.work_queued)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_WORK_ITEM_LEAK, t->name, "every work item freed once its work ran",
                     "%zu work item(s) not freed or uninitialized, %zu still queued", l.work_items, l.work_queued);
    if (l.mdls)
        kfh_drv_fail(run, KFH_INV_DRIVER_NO_MDL_LEAK, t->name, "every MDL freed", "%zu MDL(s) not freed", l.mdls);
    if (t->check)
        t->check(run);
}

int kfh_driver_run(const kfh_driver_target *t, const uint8_t *data, size_t size, kfh_drv_run *out)
{
    static kfh_config cfg;
    static int ready;
    static kfh_scenario s;
    char err[256];
    memset(out, 0, sizeof *out);
    if (!ready) {
        if (kfh_config_from_options(&cfg, err, sizeof err)) {
            fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
            exit(2);
        }
        ready = 1;
    }
    if (kfh_scenario_decode(data, size, &s, err, sizeof err))
        return 0;
    D.s = &s;
    D.msg_len = 0;
    memset(D.client, 0, sizeof D.client);
    kfh_plan *plan = kfh_plan_new(&cfg.plan);
    if (!plan)
        return 0;
    kf_profile base = *kf_current_profile();
    D.t = t;
    D.plan = plan;
    D.run = out;
    memset(&D.held, 0, sizeof D.held);
    kf_reset();
    kfh_callpath_clear();
    kfh_trace_begin();
    kfh_trace_event("driver %s plan=%s", t->name, kfh_plan_kind_name(cfg.plan.kind));
    build_env(t, &s, plan, cfg.plan.kind == KFH_PLAN_INPUT, &out->env);
    if (t->minifilter)
        trace_flt_env(&out->env);
    kf_set_profile(&out->env.profile);
    kf_reset();
    kf_set_large_stack(out->env.large ? TRUE : FALSE);
    kf_set_remaining_stack(out->env.remaining);
    if (t->n_registry)
        apply_registry(t, &out->env);
    if (t->minifilter)
        flt_setup(&out->env);
    kf_set_fault_hook(env_hook, NULL);
    kfh_callpath_push(t->name);
    kf_stop st;
    D.running = 1;
    int stopped = kf_guarded_call(guarded, out, &st);
    D.running = 0;
    kfh_callpath_clear();
    kf_set_fault_hook(NULL, NULL);
    kfh_trace_event("driver %s: %s thread=0x%08X", t->name,
                    stopped ? "stopped" : out->returned ? "returned" : "ended its thread", (unsigned)out->thread_status);
    judge(out, stopped, &st);
    kf_set_profile(&base);
    kf_reset();
    kfh_plan_free(plan);
    D.plan = NULL;
    return out->n_findings;
}

static void drv_report(const kfh_driver_target *t, const kfh_drv_run *run, const uint8_t *data, size_t size)
{
    char pname[32];
    kfh_scenario s;
    char err[64];
    fprintf(stderr, "==kfault== driver %s, environment: profile %s, caller IRQL %u, remaining stack 0x%llx%s, "
                    "%u fault decision(s), %llu injected\n",
            t->name, kf_profile_name(&run->env.profile, pname, sizeof pname), run->env.irql,
            (unsigned long long)run->env.remaining, run->env.large ? " (large stack)" : "", run->env.faults,
            run->injected);
    if (t->minifilter)
        fprintf(stderr, "==kfault== Filter Manager: %u volume(s), teardown mask 0x%x, %s completion at IRQL %u, "
                        "allocation flags 0x%x, %u scripted lower answer(s), %u lower I/O(s), load 0x%08X%s\n",
                run->env.volumes, run->env.teardown_mask, run->env.deferred ? "deferred" : "inline",
                run->env.completion_irql, (unsigned)run->env.alloc_flags, run->env.n_lower, run->lower_ios,
                (unsigned)run->load_status, run->env.unload_in_flight ? ", unloaded with I/O in flight" : "");
    kfh_report(stderr, &run->finding, kfh_scenario_decode(data, size, &s, err, sizeof err) ? NULL : &s);
}

void kfh_driver_keep_first(const kfh_finding *first, int again, kfh_finding *now)
{
    if (!again || strcmp(now->signature, first->signature) || strcmp(now->actual, first->actual))
        /* A driver's globals outlive a run that stopped half-way (FH-14): the first run is the
         * one the input stands for. */
        fprintf(stderr, "==kfault== the run made again with its trace text ended %s%s%s: the driver keeps state "
                        "from one run to the next (a global its entry points do not set); reported: the first "
                        "run's finding; the trace below is the second run's\n",
                again ? "with another finding (" : "without a finding", again ? now->actual : "", again ? ")" : "");
    *now = *first;
}

int kfh_driver_fuzz_one(const kfh_driver_target *t, const uint8_t *data, size_t size)
{
    static kfh_drv_run run;
    /* The trace text only for a report: the run that reports is the same run again. */
    kfh_trace_keep_text(0);
    int found = kfh_driver_run(t, data, size, &run);
    kfh_trace_keep_text(1);
    if (found) {
        static kfh_finding first;
        first = run.finding;
        int again = kfh_driver_run(t, data, size, &run);
        kfh_driver_keep_first(&first, again, &run.finding);
        drv_report(t, &run, data, size);
        abort();
    }
    return 0;
}

/* ---- Systematic enumeration ------------------------------------------------------------ */

#define SYSTEMATIC_MAX_RUNS 64

int kfh_systematic_fuzz_one(const uint8_t *data, size_t size)
{
    static kfh_scenario s;
    static kfh_result res;
    kfh_config cfg;
    if (kfh_fuzz_decode(data, size, &s, &cfg))
        return 0;
    cfg.capture = 1;
    /* Once with no fault at all, then every consultation failed in turn; the trace text
     * only for the run that reports. */
    kfh_config none = cfg;
    none.plan.kind = KFH_PLAN_NONE;
    kfh_trace_keep_text(0);
    kfh_run(&s, &none, &res);
    if (res.n_findings) {
        kfh_trace_keep_text(1);
        none.capture = 0;
        kfh_run(&s, &none, &res); /* reports and aborts */
        abort();
    }
    kfh_enum_result er;
    int found = kfh_enumerate(&s, &cfg, SYSTEMATIC_MAX_RUNS, &er);
    kfh_trace_keep_text(1);
    if (found > 0) {
        kfh_config again = cfg;
        again.capture = 0;
        again.plan.kind = KFH_PLAN_NTH;
        again.plan.nth = er.first_nth;
        fprintf(stderr, "==kfault== systematic: finding with fail_nth=%llu (of %u runs)\n", er.first_nth, er.runs);
        kfh_run(&s, &again, &res); /* reports and aborts */
        kfh_report(stderr, &er.first, &s);
        abort();
    }
    return 0;
}
