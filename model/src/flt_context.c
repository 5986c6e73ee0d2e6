/*
 * flt_context.c - Filter Manager contexts: the context registration a filter hands to
 * FltRegisterFilter, FltAllocateContext, FltReferenceContext / FltReleaseContext(s),
 * FltDeleteContext, FltSet/FltGet/FltDelete{Volume,Instance,File,Stream,StreamHandle}Context,
 * FltGetContexts, FltSupports*Contexts, and what Filter Manager does to contexts when an
 * instance or the filter goes away. Rules FC-1 to FC-16 of model/SEMANTICS.md.
 *
 * Every context is its own heap block, really freed when its last reference goes, so
 * AddressSanitizer sees any touch afterwards. The model's record of a context lives apart from
 * the driver's block; a pointer the driver hands in is looked up among the live records (and
 * the recently freed ones) by address before anything else. Never read the driver's block,
 * never free a context that still has a reference, never call a cleanup callback twice.
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

/* The kinds of owner, one per Set routine; the index is the bit number of the type. */
enum owner_kind { OWN_VOLUME, OWN_INSTANCE, OWN_FILE, OWN_STREAM, OWN_STREAMHANDLE, OWN_COUNT };
static const char *const type_names[] = {"volume", "instance", "file", "stream", "stream handle",
                                         "transaction", "section"};

/* A filter's context registration, copied at FltRegisterFilter. */
typedef struct ctx_filter {
    struct ctx_filter *next;
    const struct _FLT_FILTER *filter;
    unsigned n;
    FLT_CONTEXT_REGISTRATION regs[];
} ctx_filter;

/* The model's record of one context. */
typedef struct ctx_rec {
    struct ctx_rec *next;
    void *mem;                                /* what the driver sees */
    const struct _FLT_FILTER *filter;
    const FLT_CONTEXT_REGISTRATION *reg;      /* the entry that allocated it (in its ctx_filter) */
    FLT_CONTEXT_TYPE type;
    POOL_TYPE pool;
    long refs;
    BOOLEAN attached;
    BOOLEAN dying;                            /* count reached 0 above APC_LEVEL: free deferred */
    const void *owner;                        /* volume or instance */
    const void *key;                          /* FsContext (file, stream) or file object (handle) */
    const char *taker;                        /* the routine that last took a reference */
    UCHAR section;                            /* DS-*: 1 its section is open, 2 closed, 0 never created */
} ctx_rec;

static ctx_filter *registrations;
static ctx_rec *live;
static size_t n_live;

#define FREED_RING 64
static const void *freed[FREED_RING];
static unsigned freed_next;

/* ---- Records ----------------------------------------------------------------------------- */

static int type_index(FLT_CONTEXT_TYPE t)
{
    for (int i = 0; i < 7; i++)
        if (t == (1u << i))
            return i;
    return -1;
}

static ctx_filter *find_registration(const struct _FLT_FILTER *f)
{
    for (ctx_filter *r = registrations; r; r = r->next)
        if (r->filter == f)
            return r;
    return NULL;
}

static ctx_rec *find_live(const void *p)
{
    for (ctx_rec *c = live; c; c = c->next)
        if (c->mem == p)
            return c;
    return NULL;
}

static void really_free(ctx_rec *c)
{
    for (ctx_rec **pp = &live; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    n_live--;
    /* FC-12: the cleanup callback runs once, just before the memory goes. */
    if (c->reg && c->reg->ContextCleanupCallback)
        c->reg->ContextCleanupCallback(c->mem, c->type);
    if (c->reg && c->reg->ContextFreeCallback)
        c->reg->ContextFreeCallback(c->mem, c->type);
    else
        free(c->mem);
    freed[freed_next++ % FREED_RING] = c->mem;
    free(c);
}

/* Frees the contexts whose last reference went above APC_LEVEL (FC-11). */
static void drain_deferred(void)
{
    if (KeGetCurrentIrql() > APC_LEVEL)
        return;
    /* A cleanup callback may release other contexts: restart after each free. */
    for (ctx_rec *c = live; c;) {
        if (c->dying) {
            really_free(c);
            c = live;
            continue;
        }
        c = c->next;
    }
}

static int drain_pending(void)
{
    size_t before = n_live;
    drain_deferred();
    return n_live != before;
}

/* Drops one reference; at 0 frees now (<= APC_LEVEL) or marks for a deferred free. */
static void drop(ctx_rec *c)
{
    if (--c->refs > 0)
        return;
    if (KeGetCurrentIrql() > APC_LEVEL)
        c->dying = TRUE;
    else
        really_free(c);
}

/* The live context `p` names, or a stop: NULL or never allocated (0x3701), already freed or
 * its free deferred (0x3703). */
static ctx_rec *require_context(const char *routine, const void *p)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_INVALID, routine, 0, 0, 0, "%s: the context is NULL", routine);
    ctx_rec *c = find_live(p);
    if (c && !c->dying)
        return c;
    if (c)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE, routine, c->type, 0, 0,
                          "%s: the %s context's last reference was already released", routine,
                          type_names[type_index(c->type)]);
    for (unsigned i = 0; i < FREED_RING; i++)
        if (freed[i] == p)
            kf_violation_stop(KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE, routine, 0, 0, 0,
                              "%s: the context was freed (its last reference was released)", routine);
    kf_violation_stop(KF_VIOL_FLT_CONTEXT_INVALID, routine, 1, 0, 0,
                      "%s: the pointer is not a context FltAllocateContext returned", routine);
}

static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE p)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(p);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0,
                          "%s: Instance %s is not a live instance", routine, p ? "(non-NULL)" : "NULL");
    return inst;
}

static void require_out(const char *routine, const void *p, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine, what);
}

static BOOLEAN instance_dying(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

/* The attached context of `filter` on (kind, owner, key), or NULL. */
static ctx_rec *find_attached(const struct _FLT_FILTER *filter, enum owner_kind kind, const void *owner,
                              const void *key)
{
    for (ctx_rec *c = live; c; c = c->next)
        if (c->attached && c->filter == filter && c->type == (1u << kind) && c->owner == owner && c->key == key)
            return c;
    return NULL;
}

/* ---- FltRegisterFilter's part (FC-1) --------------------------------------------------- */

NTSTATUS kf__flt_context_register(const struct _FLT_FILTER *f, const FLT_CONTEXT_REGISTRATION *regs)
{
    if (!regs)
        return STATUS_SUCCESS;
    unsigned n = 0;
    unsigned fixed[7] = {0}, variable[7] = {0}, with_callback[7] = {0}, entries[7] = {0};
    for (const FLT_CONTEXT_REGISTRATION *r = regs; r->ContextType != FLT_CONTEXT_END; r++, n++) {
        int t = type_index(r->ContextType);
        if (t < 0 || r->Reserved1 != NULL)
            return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
        entries[t]++;
        if (r->ContextAllocateCallback) {
            with_callback[t]++;
            continue;
        }
        /* FC-1, UNCONFIRMED 6 decided: a zero tag without an allocate callback is refused. */
        if (r->PoolTag == 0)
            return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
        /* Duplicate identical entries: the first wins, the others are ignored. */
        BOOLEAN dup = FALSE;
        for (const FLT_CONTEXT_REGISTRATION *q = regs; q < r; q++)
            if (q->ContextType == r->ContextType && !q->ContextAllocateCallback && q->Size == r->Size)
                dup = TRUE;
        if (dup)
            continue;
        if (r->Size == FLT_VARIABLE_SIZED_CONTEXTS)
            variable[t]++;
        else
            fixed[t]++;
    }
    for (int t = 0; t < 7; t++)
        if (fixed[t] > 3 || variable[t] > 1 || (with_callback[t] && entries[t] > 1))
            return STATUS_FLT_INVALID_CONTEXT_REGISTRATION;
    ctx_filter *cf = calloc(1, sizeof *cf + n * sizeof cf->regs[0]);
    if (!cf)
        return STATUS_INSUFFICIENT_RESOURCES;
    cf->filter = f;
    cf->n = n;
    memcpy(cf->regs, regs, n * sizeof cf->regs[0]);
    cf->next = registrations;
    registrations = cf;
    return STATUS_SUCCESS;
}

/* ---- FltAllocateContext (FC-2, FC-3) ------------------------------------------------------ */

NTSTATUS FLTAPI FltAllocateContext(PFLT_FILTER Filter, FLT_CONTEXT_TYPE ContextType, SIZE_T ContextSize,
                                   POOL_TYPE PoolType, PFLT_CONTEXT *ReturnedContext)
{
    static const char routine[] = "FltAllocateContext";
    kf__flt_require_irql(routine, APC_LEVEL);
    drain_deferred();
    struct _FLT_FILTER *f = kf__flt_find_filter(Filter);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0,
                          "FltAllocateContext: Filter is not a registered filter");
    require_out(routine, ReturnedContext, "ReturnedContext");
    *ReturnedContext = NULL;
    int t = type_index(ContextType);
    if (t < 0 || ContextSize == 0)
        return STATUS_INVALID_PARAMETER;
    if (ContextSize > 0xFFFF)
        return STATUS_INVALID_BUFFER_SIZE;
    if (PoolType != NonPagedPool && PoolType != PagedPool && PoolType != NonPagedPoolNx)
        return STATUS_INVALID_PARAMETER;
    /* UNCONFIRMED 8 decided: a paged volume context is refused here. */
    if (ContextType == FLT_VOLUME_CONTEXT && PoolType == PagedPool)
        return STATUS_FLT_MUST_BE_NONPAGED_POOL;
    if (f->unregistering)
        return STATUS_FLT_DELETING_OBJECT;
    /* The entry: an allocate callback, else the smallest fitting fixed size, else variable. */
    ctx_filter *cf = find_registration(f);
    const FLT_CONTEXT_REGISTRATION *use = NULL;
    for (unsigned i = 0; cf && i < cf->n; i++) {
        const FLT_CONTEXT_REGISTRATION *r = &cf->regs[i];
        if (r->ContextType != ContextType)
            continue;
        if (r->ContextAllocateCallback) {
            use = r;
            break;
        }
        if (r->Size == FLT_VARIABLE_SIZED_CONTEXTS)
            continue;
        BOOLEAN fits = (r->Flags & FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH) ? r->Size >= ContextSize
                                                                                  : r->Size == ContextSize;
        if (fits && (!use || r->Size < use->Size))
            use = r;
    }
    for (unsigned i = 0; !use && cf && i < cf->n; i++)
        if (cf->regs[i].ContextType == ContextType && cf->regs[i].Size == FLT_VARIABLE_SIZED_CONTEXTS &&
            !cf->regs[i].ContextAllocateCallback)
            use = &cf->regs[i];
    if (!use)
        return STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND;
    if (kf_fault_consult(KF_SITE_FLT_CONTEXT) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    ctx_rec *c = calloc(1, sizeof *c);
    if (!c)
        return STATUS_INSUFFICIENT_RESOURCES;
    void *mem;
    if (use->ContextAllocateCallback) {
        mem = use->ContextAllocateCallback(PoolType, ContextSize, ContextType);
    } else {
        mem = malloc(ContextSize);
        if (mem)
            memset(mem, 0xA5, ContextSize); /* FC-3: never zeroed */
    }
    if (!mem) {
        free(c);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    c->mem = mem;
    c->filter = f;
    c->reg = use;
    c->type = ContextType;
    c->pool = PoolType;
    c->refs = 1;
    c->taker = routine;
    c->next = live;
    live = c;
    n_live++;
    *ReturnedContext = mem;
    return STATUS_SUCCESS;
}

/* ---- Reference, release, delete (FC-9 to FC-11) --------------------------------------------- */

VOID FLTAPI FltReferenceContext(PFLT_CONTEXT Context)
{
    static const char routine[] = "FltReferenceContext";
    kf__flt_require_irql(routine, DISPATCH_LEVEL);
    ctx_rec *c = require_context(routine, Context);
    c->refs++;
    c->taker = routine;
}

VOID FLTAPI FltReleaseContext(PFLT_CONTEXT Context)
{
    static const char routine[] = "FltReleaseContext";
    ctx_rec *c = require_context(routine, Context);
    kf__flt_require_irql(routine, c->pool == PagedPool ? APC_LEVEL : DISPATCH_LEVEL);
    if (c->attached && c->refs <= 1)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_RELEASE_TOO_MANY, routine, c->type, (ULONG_PTR)c->refs, 0,
                          "FltReleaseContext: the %s context is attached and its only reference is Filter "
                          "Manager's: a release too many (Filter Verifier: bug check 0xF5, subcode 0x6D)",
                          type_names[type_index(c->type)]);
    drop(c);
    drain_deferred();
}

VOID FLTAPI FltReleaseContexts(PFLT_RELATED_CONTEXTS Contexts)
{
    require_out("FltReleaseContexts", Contexts, "Contexts");
    PFLT_CONTEXT *all[] = {&Contexts->VolumeContext,     &Contexts->InstanceContext,
                           &Contexts->FileContext,       &Contexts->StreamContext,
                           &Contexts->StreamHandleContext, &Contexts->TransactionContext};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (*all[i])
            FltReleaseContext(*all[i]);
        *all[i] = NULL_CONTEXT;
    }
}

static void detach(ctx_rec *c)
{
    c->attached = FALSE;
    c->owner = c->key = NULL;
}

VOID FLTAPI FltDeleteContext(PFLT_CONTEXT Context)
{
    static const char routine[] = "FltDeleteContext";
    kf__flt_require_irql(routine, APC_LEVEL);
    drain_deferred();
    ctx_rec *c = require_context(routine, Context);
    if (c->section == 1)
        kf_violation_stop(KF_VIOL_FLT_SECTION_CONTEXT_DELETED, routine, 0, 0, 0,
                          "FltDeleteContext on a section context whose section is open (DS-5: only "
                          "FltCloseSectionForDataScan removes it)");
    if (!c->attached)
        return; /* FC-10: nothing to unlink (never set, or replaced / deleted already) */
    detach(c);
    drop(c); /* Filter Manager's reference; the caller's stays */
}

/* ---- Set, get, delete by owner (FC-4 to FC-8) ------------------------------------------------ */

/* The owner a Set/Get/Delete routine names, resolved and checked. */
typedef struct owner_ref {
    const struct _FLT_FILTER *filter; /* NULL for a volume: the context's (set) or the caller's */
    const void *owner, *key;
    BOOLEAN dying;
} owner_ref;

/* Resolves (instance, file object) for the file, stream and stream-handle kinds. Returns
 * STATUS_NOT_SUPPORTED when the file object cannot carry the kind (FC-13). */
static NTSTATUS resolve_file(const char *routine, enum owner_kind kind, PFLT_INSTANCE Instance,
                             PFILE_OBJECT FileObject, owner_ref *o)
{
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    o->filter = inst->filter;
    o->owner = inst;
    o->dying = instance_dying(inst);
    if (!FileObject) {
        if (kind == OWN_STREAMHANDLE)
            return STATUS_NOT_SUPPORTED;
        require_out(routine, FileObject, "FileObject");
    }
    if (!FileObject->FsContext)
        return STATUS_NOT_SUPPORTED;
    o->key = kind == OWN_STREAMHANDLE ? (const void *)FileObject : (const void *)FileObject->FsContext;
    return STATUS_SUCCESS;
}

static NTSTATUS set_context(const char *routine, enum owner_kind kind, owner_ref o, NTSTATUS resolved,
                            FLT_SET_CONTEXT_OPERATION op, PFLT_CONTEXT New, PFLT_CONTEXT *Old)
{
    if (Old)
        *Old = NULL_CONTEXT;
    ctx_rec *c = require_context(routine, New);
    if (c->type != (1u << kind))
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_WRONG_TYPE, routine, c->type, 1u << kind, 0,
                          "%s: NewContext is a %s context, not a %s context", routine,
                          type_names[type_index(c->type)], type_names[kind]);
    if (kind == OWN_VOLUME)
        o.filter = c->filter;
    else if (c->filter != o.filter)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_FOREIGN, routine, c->type, 0, 0,
                          "%s: NewContext was allocated by another filter than the instance's", routine);
    if (!NT_SUCCESS(resolved))
        return resolved;
    if (op != FLT_SET_CONTEXT_REPLACE_IF_EXISTS && op != FLT_SET_CONTEXT_KEEP_IF_EXISTS)
        return STATUS_INVALID_PARAMETER;
    if (o.dying)
        return STATUS_FLT_DELETING_OBJECT;
    if (c->attached)
        return STATUS_FLT_CONTEXT_ALREADY_LINKED;
    ctx_rec *existing = find_attached(o.filter, kind, o.owner, o.key);
    if (existing && op == FLT_SET_CONTEXT_KEEP_IF_EXISTS) {
        if (Old) {
            existing->refs++;
            existing->taker = routine;
            *Old = existing->mem;
        }
        return STATUS_FLT_CONTEXT_ALREADY_DEFINED;
    }
    if (existing) {
        /* FC-6, UNCONFIRMED 7 decided: Filter Manager's reference on the replaced context goes
         * to the caller through OldContext, or is dropped by Filter Manager without one. */
        detach(existing);
        if (Old) {
            existing->taker = routine;
            *Old = existing->mem;
        } else {
            drop(existing);
        }
    }
    c->attached = TRUE;
    c->owner = o.owner;
    c->key = o.key;
    c->refs++;
    return STATUS_SUCCESS;
}

static NTSTATUS get_context(const char *routine, enum owner_kind kind, owner_ref o, NTSTATUS resolved,
                            PFLT_CONTEXT *Context)
{
    if (!NT_SUCCESS(resolved))
        return resolved;
    ctx_rec *c = find_attached(o.filter, kind, o.owner, o.key);
    if (!c)
        return STATUS_NOT_FOUND;
    c->refs++;
    c->taker = routine;
    *Context = c->mem;
    return STATUS_SUCCESS;
}

static NTSTATUS delete_context(const char *routine, enum owner_kind kind, owner_ref o, NTSTATUS resolved,
                               PFLT_CONTEXT *Old)
{
    (void)routine;
    if (Old)
        *Old = NULL_CONTEXT;
    if (!NT_SUCCESS(resolved))
        return resolved;
    ctx_rec *c = find_attached(o.filter, kind, o.owner, o.key);
    if (!c)
        return STATUS_NOT_FOUND;
    if (o.dying)
        return STATUS_FLT_DELETING_OBJECT;
    detach(c);
    if (Old) {
        c->taker = routine;
        *Old = c->mem;
    } else {
        drop(c);
    }
    return STATUS_SUCCESS;
}

#define ENTER(name)                                                                              \
    static const char routine[] = name;                                                          \
    kf__flt_require_irql(routine, APC_LEVEL);                                                    \
    drain_deferred()

static owner_ref volume_owner(const char *routine, PFLT_VOLUME Volume)
{
    struct _FLT_VOLUME *v = kf__flt_find_volume(Volume);
    if (!v)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT, routine, 1, 0, 0,
                          "%s: Volume is not a volume Filter Manager handed out", routine);
    owner_ref o = {NULL, v, NULL, FALSE};
    return o;
}

static owner_ref instance_owner(const char *routine, PFLT_INSTANCE Instance)
{
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    owner_ref o = {inst->filter, inst, NULL, instance_dying(inst)};
    return o;
}

NTSTATUS FLTAPI FltSetVolumeContext(PFLT_VOLUME Volume, FLT_SET_CONTEXT_OPERATION Operation,
                                    PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
    ENTER("FltSetVolumeContext");
    owner_ref o = volume_owner(routine, Volume);
    ctx_rec *c = NewContext ? find_live(NewContext) : NULL;
    if (c && c->filter->unregistering)
        o.dying = TRUE;
    return set_context(routine, OWN_VOLUME, o, STATUS_SUCCESS, Operation, NewContext, OldContext);
}

NTSTATUS FLTAPI FltSetInstanceContext(PFLT_INSTANCE Instance, FLT_SET_CONTEXT_OPERATION Operation,
                                      PFLT_CONTEXT NewContext, PFLT_CONTEXT *OldContext)
{
    ENTER("FltSetInstanceContext");
    return set_context(routine, OWN_INSTANCE, instance_owner(routine, Instance), STATUS_SUCCESS, Operation,
                       NewContext, OldContext);
}

#define FILE_KIND_ROUTINES(Kind, KIND)                                                                  \
    NTSTATUS FLTAPI FltSet##Kind##Context(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,              \
                                          FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext, \
                                          PFLT_CONTEXT *OldContext)                                     \
    {                                                                                                   \
        ENTER("FltSet" #Kind "Context");                                                                \
        owner_ref o;                                                                                    \
        NTSTATUS st = resolve_file(routine, KIND, Instance, FileObject, &o);                            \
        return set_context(routine, KIND, o, st, Operation, NewContext, OldContext);                    \
    }                                                                                                   \
    NTSTATUS FLTAPI FltGet##Kind##Context(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,              \
                                          PFLT_CONTEXT *Context)                                        \
    {                                                                                                   \
        ENTER("FltGet" #Kind "Context");                                                                \
        require_out(routine, Context, "Context");                                                       \
        *Context = NULL_CONTEXT;                                                                        \
        owner_ref o;                                                                                    \
        NTSTATUS st = resolve_file(routine, KIND, Instance, FileObject, &o);                            \
        return get_context(routine, KIND, o, st, Context);                                              \
    }                                                                                                   \
    NTSTATUS FLTAPI FltDelete##Kind##Context(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,           \
                                             PFLT_CONTEXT *OldContext)                                  \
    {                                                                                                   \
        ENTER("FltDelete" #Kind "Context");                                                             \
        owner_ref o;                                                                                    \
        NTSTATUS st = resolve_file(routine, KIND, Instance, FileObject, &o);                            \
        return delete_context(routine, KIND, o, st, OldContext);                                        \
    }

FILE_KIND_ROUTINES(File, OWN_FILE)
FILE_KIND_ROUTINES(Stream, OWN_STREAM)
FILE_KIND_ROUTINES(StreamHandle, OWN_STREAMHANDLE)

NTSTATUS FLTAPI FltGetVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *Context)
{
    ENTER("FltGetVolumeContext");
    require_out(routine, Context, "Context");
    *Context = NULL_CONTEXT;
    struct _FLT_FILTER *f = kf__flt_find_filter(Filter);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0, "%s: Filter is not a registered filter",
                          routine);
    owner_ref o = volume_owner(routine, Volume);
    o.filter = f;
    return get_context(routine, OWN_VOLUME, o, STATUS_SUCCESS, Context);
}

NTSTATUS FLTAPI FltGetInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *Context)
{
    ENTER("FltGetInstanceContext");
    require_out(routine, Context, "Context");
    *Context = NULL_CONTEXT;
    return get_context(routine, OWN_INSTANCE, instance_owner(routine, Instance), STATUS_SUCCESS, Context);
}

NTSTATUS FLTAPI FltDeleteVolumeContext(PFLT_FILTER Filter, PFLT_VOLUME Volume, PFLT_CONTEXT *OldContext)
{
    ENTER("FltDeleteVolumeContext");
    struct _FLT_FILTER *f = kf__flt_find_filter(Filter);
    if (!f)
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0, "%s: Filter is not a registered filter",
                          routine);
    owner_ref o = volume_owner(routine, Volume);
    o.filter = f;
    o.dying = f->unregistering;
    return delete_context(routine, OWN_VOLUME, o, STATUS_SUCCESS, OldContext);
}

NTSTATUS FLTAPI FltDeleteInstanceContext(PFLT_INSTANCE Instance, PFLT_CONTEXT *OldContext)
{
    ENTER("FltDeleteInstanceContext");
    return delete_context(routine, OWN_INSTANCE, instance_owner(routine, Instance), STATUS_SUCCESS, OldContext);
}

VOID FLTAPI FltGetContexts(PCFLT_RELATED_OBJECTS FltObjects, FLT_CONTEXT_TYPE DesiredContexts,
                           PFLT_RELATED_CONTEXTS Contexts)
{
    ENTER("FltGetContexts");
    require_out(routine, FltObjects, "FltObjects");
    require_out(routine, Contexts, "Contexts");
    memset(Contexts, 0, sizeof *Contexts); /* FC-8: NULL_CONTEXT for what is not returned */
    struct _FLT_INSTANCE *inst = require_instance(routine, FltObjects->Instance);
    owner_ref io = {inst->filter, inst, NULL, FALSE};
    if (DesiredContexts & FLT_VOLUME_CONTEXT) {
        owner_ref vo = {inst->filter, inst->volume, NULL, FALSE};
        (void)get_context(routine, OWN_VOLUME, vo, STATUS_SUCCESS, &Contexts->VolumeContext);
    }
    if (DesiredContexts & FLT_INSTANCE_CONTEXT)
        (void)get_context(routine, OWN_INSTANCE, io, STATUS_SUCCESS, &Contexts->InstanceContext);
    PFILE_OBJECT fo = FltObjects->FileObject;
    if (fo && fo->FsContext) {
        owner_ref fs = {inst->filter, inst, fo->FsContext, FALSE};
        owner_ref fh = {inst->filter, inst, fo, FALSE};
        if (DesiredContexts & FLT_FILE_CONTEXT)
            (void)get_context(routine, OWN_FILE, fs, STATUS_SUCCESS, &Contexts->FileContext);
        if (DesiredContexts & FLT_STREAM_CONTEXT)
            (void)get_context(routine, OWN_STREAM, fs, STATUS_SUCCESS, &Contexts->StreamContext);
        if (DesiredContexts & FLT_STREAMHANDLE_CONTEXT)
            (void)get_context(routine, OWN_STREAMHANDLE, fh, STATUS_SUCCESS, &Contexts->StreamHandleContext);
    }
    /* Transactions (FT-10): the context of the transaction the operation is part of. */
    if ((DesiredContexts & FLT_TRANSACTION_CONTEXT) && FltObjects->Transaction) {
        owner_ref to = {inst->filter, FltObjects->Transaction, NULL, FALSE};
        (void)get_context(routine, (enum owner_kind)5, to, STATUS_SUCCESS, &Contexts->TransactionContext);
    }
}

/* ---- Support queries (FC-13) -------------------------------------------------------------- */

static BOOLEAN supports(const char *routine, PFILE_OBJECT FileObject)
{
    kf__flt_require_irql(routine, APC_LEVEL);
    require_out(routine, FileObject, "FileObject");
    return FileObject->FsContext != NULL;
}

BOOLEAN FLTAPI FltSupportsFileContexts(PFILE_OBJECT FileObject)
{
    return supports("FltSupportsFileContexts", FileObject);
}

BOOLEAN FLTAPI FltSupportsFileContextsEx(PFILE_OBJECT FileObject, PFLT_INSTANCE Instance)
{
    (void)Instance;
    return supports("FltSupportsFileContextsEx", FileObject);
}

BOOLEAN FLTAPI FltSupportsStreamContexts(PFILE_OBJECT FileObject)
{
    return supports("FltSupportsStreamContexts", FileObject);
}

BOOLEAN FLTAPI FltSupportsStreamHandleContexts(PFILE_OBJECT FileObject)
{
    return supports("FltSupportsStreamHandleContexts", FileObject);
}

/* ---- Teardown (FC-14, FC-15) --------------------------------------------------------------- */

/* Detaches every context matching and drops Filter Manager's reference on each. */
static void detach_all(const struct _FLT_FILTER *filter, const void *owner)
{
    BOOLEAN again = TRUE;
    while (again) { /* a cleanup callback may free others: restart after each drop */
        again = FALSE;
        for (ctx_rec *c = live; c; c = c->next) {
            if (c->attached && c->owner == owner && (!filter || c->filter == filter)) {
                detach(c);
                drop(c);
                again = TRUE;
                break;
            }
        }
    }
}

void kf__flt_context_instance_gone(const struct _FLT_INSTANCE *inst)
{
    kf__flt_txn_instance_gone(inst); /* transactions (FT-9): the instance's enlistments end first */
    kf__flt_datascan_instance_gone(inst); /* DS-2: no longer registered for data scans */
    detach_all(NULL, inst);
}

void kf__flt_context_filter_gone(const struct _FLT_FILTER *f, const char *routine)
{
    /* Volume contexts of this filter, wherever they are attached (instances are gone). */
    for (ctx_rec *c = live; c;) {
        if (c->attached && c->filter == f) {
            detach(c);
            drop(c);
            c = live;
            continue;
        }
        c = c->next;
    }
    drain_deferred();
    size_t left = 0;
    const ctx_rec *first = NULL;
    for (ctx_rec *c = live; c; c = c->next)
        if (c->filter == f) {
            left++;
            first = c;
        }
    if (left)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_OUTSTANDING, routine, left, first->type, (ULONG_PTR)first->refs,
                          "%zu context(s) of the filter still referenced at FltUnregisterFilter (a real system "
                          "waits forever for them): a %s context holding %ld reference(s), the last taken by %s",
                          left, type_names[type_index(first->type)], first->refs, first->taker);
    for (ctx_filter **pp = &registrations; *pp; pp = &(*pp)->next) {
        if ((*pp)->filter == f) {
            ctx_filter *cf = *pp;
            *pp = cf->next;
            free(cf);
            break;
        }
    }
}

/* ---- Leaks and reset ---------------------------------------------------------------------- */

static size_t contexts_outstanding(void) { return n_live; }

/* For the driver harness's finding (kfault/flt_model.h): the oldest context not yet freed. */
void kf_flt_contexts_left(kf_flt_context_left *out)
{
    memset(out, 0, sizeof *out);
    out->count = n_live;
    const ctx_rec *first = NULL;
    for (const ctx_rec *c = live; c; c = c->next)
        first = c; /* the list is newest first */
    if (!first)
        return;
    int t = type_index(first->type);
    out->type = t >= 0 ? type_names[t] : "unknown";
    out->references = first->refs;
    out->attached = first->attached;
    out->taker = first->taker;
}

static void context_reset(void)
{
    /* The driver is gone: its memory goes without calling it back. */
    while (live) {
        ctx_rec *c = live;
        live = c->next;
        if (!c->reg || !c->reg->ContextFreeCallback)
            free(c->mem);
        free(c);
    }
    n_live = 0;
    while (registrations) {
        ctx_filter *cf = registrations;
        registrations = cf->next;
        free(cf);
    }
    memset(freed, 0, sizeof freed);
    freed_next = 0;
}

__attribute__((constructor)) static void context_register(void)
{
    kf__flt_contexts_outstanding = contexts_outstanding;
    kf__register_reset(context_reset);
    kf__register_pending(drain_pending);
}

/* ---- Transaction contexts (SEMANTICS.md FT-10, FT-11; the transactions are flt_txn.c's) -------------
 * The sixth owner kind: one context per (filter, transaction), attached with the same rules and
 * counts as the other kinds, deleted by Filter Manager when the transaction ends. */
#define OWN_TRANSACTION ((enum owner_kind)5)

static void txn_available(const char *routine)
{
    const kf_profile *p = kf_current_profile();
    if (p->os < KF_OS_VISTA) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0, "%s does not exist on %s (Vista and later)",
                          routine, kf_profile_name(p, prof, sizeof prof));
    }
}

/* The owner a transaction routine names: the instance's filter and the transaction; being torn
 * down when the instance is, or when the transaction has ended. */
static owner_ref txn_owner(const char *routine, PFLT_INSTANCE Instance, PKTRANSACTION Transaction)
{
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    BOOLEAN ended = kf__flt_txn_require(routine, Transaction);
    owner_ref o = {inst->filter, Transaction, NULL, instance_dying(inst) || ended};
    return o;
}

#define TXN_ENTER(name)                                                                          \
    static const char routine[] = name;                                                          \
    txn_available(routine);                                                                      \
    kf__flt_require_irql(routine, APC_LEVEL);                                                    \
    drain_deferred()

NTSTATUS FLTAPI FltSetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                         FLT_SET_CONTEXT_OPERATION Operation, PFLT_CONTEXT NewContext,
                                         PFLT_CONTEXT *OldContext)
{
    TXN_ENTER("FltSetTransactionContext");
    return set_context(routine, OWN_TRANSACTION, txn_owner(routine, Instance, Transaction), STATUS_SUCCESS, Operation,
                       NewContext, OldContext);
}

NTSTATUS FLTAPI FltGetTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction, PFLT_CONTEXT *Context)
{
    TXN_ENTER("FltGetTransactionContext");
    require_out(routine, Context, "Context");
    *Context = NULL_CONTEXT;
    return get_context(routine, OWN_TRANSACTION, txn_owner(routine, Instance, Transaction), STATUS_SUCCESS, Context);
}

NTSTATUS FLTAPI FltDeleteTransactionContext(PFLT_INSTANCE Instance, PKTRANSACTION Transaction,
                                            PFLT_CONTEXT *OldContext)
{
    TXN_ENTER("FltDeleteTransactionContext");
    return delete_context(routine, OWN_TRANSACTION, txn_owner(routine, Instance, Transaction), STATUS_SUCCESS,
                          OldContext);
}

void kf__flt_context_require_txn(const char *routine, const void *c, const struct _FLT_FILTER *f)
{
    ctx_rec *r = require_context(routine, c);
    if (r->type != FLT_TRANSACTION_CONTEXT)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_WRONG_TYPE, routine, r->type, FLT_TRANSACTION_CONTEXT, 0,
                          "%s: TransactionContext is a %s context, not a transaction context", routine,
                          type_names[type_index(r->type)]);
    if (r->filter != f)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_FOREIGN, routine, r->type, 0, 0,
                          "%s: TransactionContext was allocated by another filter than the instance's", routine);
}

BOOLEAN kf__flt_context_live(const void *c)
{
    ctx_rec *r = find_live(c);
    return r && !r->dying;
}

void *kf__flt_context_of_transaction(const struct _FLT_FILTER *f, const void *t)
{
    ctx_rec *r = find_attached(f, OWN_TRANSACTION, t, NULL);
    return r ? r->mem : NULL;
}

void kf__flt_context_transaction_gone(const void *t) { detach_all(NULL, t); }
/* ---- end of the transaction contexts block */

/* ---- Section contexts (SEMANTICS.md DS-*; the sections are flt_datascan.c's) ---------------------
 * A section context is attached to its instance while its section is open: Filter Manager holds a
 * reference on it, the instance's teardown detaches it like the instance's other contexts. */
void kf__flt_context_require_section(const char *routine, const void *c, const struct _FLT_FILTER *f)
{
    ctx_rec *r = require_context(routine, c);
    if (r->type != FLT_SECTION_CONTEXT)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_WRONG_TYPE, routine, r->type, FLT_SECTION_CONTEXT, 0,
                          "%s: SectionContext is a %s context, not a section context", routine,
                          type_names[type_index(r->type)]);
    if (f && r->filter != f)
        kf_violation_stop(KF_VIOL_FLT_CONTEXT_FOREIGN, routine, r->type, 0, 0,
                          "%s: SectionContext was allocated by another filter than the instance's", routine);
}

int kf__flt_context_section_state(const void *c)
{
    ctx_rec *r = find_live(c);
    return r ? r->section : 0;
}

void kf__flt_context_section_open(const void *c, const struct _FLT_INSTANCE *inst)
{
    ctx_rec *r = find_live(c);
    r->section = 1;
    if (!r->attached) {
        r->attached = TRUE;
        r->owner = inst;
        r->key = NULL;
        r->refs++; /* Filter Manager's, until the section is closed */
        r->taker = "FltCreateSectionForDataScan";
    }
}

void kf__flt_context_section_closed(const void *c)
{
    ctx_rec *r = find_live(c);
    if (!r)
        return;
    r->section = 2;
    if (r->attached) {
        detach(r);
        drop(r);
    }
}
/* ---- end of the section contexts block */
