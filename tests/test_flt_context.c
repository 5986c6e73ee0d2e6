/*
 * test_flt_context.c - Filter Manager contexts: registration, FltAllocateContext, the Set / Get /
 * Delete routines of each owner kind, reference counts (seen through the cleanup callback's calls),
 * teardown at instance detach and filter unload, and every misuse. Rules FC-1 to FC-16 of
 * model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

#define TAG 'xtCk'

/* ---- A cleanup callback that records what it saw --------------------------------------------- */

static unsigned cleanups;
static PFLT_CONTEXT last_cleaned;
static FLT_CONTEXT_TYPE last_cleaned_type;
static KIRQL cleanup_irql;

static PFLT_CONTEXT release_in_cleanup; /* released by the next cleanup, then cleared */

static VOID FLTAPI cleanup_cb(PFLT_CONTEXT c, FLT_CONTEXT_TYPE t)
{
    if (release_in_cleanup) {
        PFLT_CONTEXT other = release_in_cleanup;
        release_in_cleanup = NULL;
        FltReleaseContext(other);
    }
    cleanups++;
    last_cleaned = c;
    last_cleaned_type = t;
    cleanup_irql = KeGetCurrentIrql();
}

/* One registration covering each kind: fixed 16 bytes (exact), stream 32 bytes or less,
 * stream handle variable, volume and file 8 bytes. */
static const FLT_CONTEXT_REGISTRATION ctx_regs[] = {
    {FLT_INSTANCE_CONTEXT, 0, cleanup_cb, 16, TAG, NULL, NULL, NULL},
    {FLT_STREAM_CONTEXT, FLTFL_CONTEXT_REGISTRATION_NO_EXACT_SIZE_MATCH, cleanup_cb, 32, TAG, NULL, NULL, NULL},
    {FLT_STREAMHANDLE_CONTEXT, 0, cleanup_cb, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, NULL},
    {FLT_VOLUME_CONTEXT, 0, cleanup_cb, 8, TAG, NULL, NULL, NULL},
    {FLT_FILE_CONTEXT, 0, cleanup_cb, 8, TAG, NULL, NULL, NULL},
    {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static PFLT_INSTANCE start(void)
{
    fx_fresh();
    cleanups = 0;
    last_cleaned = NULL;
    fx_registration.ContextRegistration = ctx_regs;
    return fx_start();
}

static PFLT_CONTEXT alloc(FLT_CONTEXT_TYPE t, SIZE_T size)
{
    PFLT_CONTEXT c = NULL;
    CHECK_EQ(FltAllocateContext(fx_filter, t, size, NonPagedPool, &c), STATUS_SUCCESS);
    CHECK(c != NULL);
    return c;
}

static NTSTATUS register_with(const FLT_CONTEXT_REGISTRATION *regs)
{
    static DRIVER_OBJECT drv;
    FLT_REGISTRATION r = fx_registration;
    r.ContextRegistration = regs;
    PFLT_FILTER f = (PFLT_FILTER)1;
    NTSTATUS st = FltRegisterFilter(&drv, &r, &f);
    if (NT_SUCCESS(st))
        FltUnregisterFilter(f);
    else
        CHECK(f == NULL);
    return st;
}

/* ---- FC-1 registration ------------------------------------------------------------------------ */

TEST(registration_rules)
{
    fx_fresh();
    CHECK_EQ(register_with(ctx_regs), STATUS_SUCCESS);
    const FLT_CONTEXT_REGISTRATION bad_type[] = {{0x80, 0, NULL, 8, TAG, NULL, NULL, NULL},
                                                 {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(bad_type), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    const FLT_CONTEXT_REGISTRATION two_bits[] = {{3, 0, NULL, 8, TAG, NULL, NULL, NULL},
                                                 {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(two_bits), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    const FLT_CONTEXT_REGISTRATION reserved[] = {{FLT_STREAM_CONTEXT, 0, NULL, 8, TAG, NULL, NULL, (PVOID)1},
                                                 {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(reserved), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    /* UNCONFIRMED 6 decided: a zero tag without an allocate callback is refused. */
    const FLT_CONTEXT_REGISTRATION no_tag[] = {{FLT_STREAM_CONTEXT, 0, NULL, 8, 0, NULL, NULL, NULL},
                                               {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(no_tag), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    /* At most three fixed sizes and one variable entry per type; identical duplicates are ignored. */
    const FLT_CONTEXT_REGISTRATION three[] = {{FLT_STREAM_CONTEXT, 0, NULL, 8, TAG, NULL, NULL, NULL},
                                              {FLT_STREAM_CONTEXT, 0, NULL, 16, TAG, NULL, NULL, NULL},
                                              {FLT_STREAM_CONTEXT, 0, NULL, 16, TAG, NULL, NULL, NULL},
                                              {FLT_STREAM_CONTEXT, 0, NULL, 24, TAG, NULL, NULL, NULL},
                                              {FLT_STREAM_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL,
                                               NULL, NULL},
                                              {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(three), STATUS_SUCCESS);
    const FLT_CONTEXT_REGISTRATION four[] = {{FLT_STREAM_CONTEXT, 0, NULL, 8, TAG, NULL, NULL, NULL},
                                             {FLT_STREAM_CONTEXT, 0, NULL, 16, TAG, NULL, NULL, NULL},
                                             {FLT_STREAM_CONTEXT, 0, NULL, 24, TAG, NULL, NULL, NULL},
                                             {FLT_STREAM_CONTEXT, 0, NULL, 32, TAG, NULL, NULL, NULL},
                                             {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(four), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    const FLT_CONTEXT_REGISTRATION two_var[] = {
        {FLT_STREAM_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, TAG, NULL, NULL, NULL},
        {FLT_STREAM_CONTEXT, 0, NULL, FLT_VARIABLE_SIZED_CONTEXTS, 'xxxx', NULL, NULL, NULL},
        {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    /* Same size, different tag: still one variable-size definition (duplicates by size). */
    CHECK_EQ(register_with(two_var), STATUS_SUCCESS);
}

static PVOID FLTAPI my_alloc(POOL_TYPE p, SIZE_T size, FLT_CONTEXT_TYPE t);
static VOID FLTAPI my_free(PVOID p, FLT_CONTEXT_TYPE t);
static unsigned allocs, frees;
static PVOID FLTAPI my_alloc(POOL_TYPE p, SIZE_T size, FLT_CONTEXT_TYPE t)
{
    (void)p;
    (void)t;
    allocs++;
    return malloc(size);
}
static VOID FLTAPI my_free(PVOID p, FLT_CONTEXT_TYPE t)
{
    (void)t;
    frees++;
    free(p);
}

TEST(registration_allocate_callback_exclusive)
{
    fx_fresh();
    const FLT_CONTEXT_REGISTRATION mixed[] = {{FLT_STREAM_CONTEXT, 0, NULL, 0, 0, my_alloc, my_free, NULL},
                                              {FLT_STREAM_CONTEXT, 0, NULL, 8, TAG, NULL, NULL, NULL},
                                              {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    CHECK_EQ(register_with(mixed), STATUS_FLT_INVALID_CONTEXT_REGISTRATION);
    /* Alone it is fine, with no tag; the callbacks allocate and free the context. */
    static const FLT_CONTEXT_REGISTRATION alone[] = {{FLT_STREAM_CONTEXT, 0, cleanup_cb, 0, 0, my_alloc, my_free, NULL},
                                                     {FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL}};
    fx_registration.ContextRegistration = alone;
    fx_start();
    allocs = frees = cleanups = 0;
    PFLT_CONTEXT c = NULL;
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAM_CONTEXT, 100, PagedPool, &c), STATUS_SUCCESS);
    CHECK_EQ(allocs, 1u);
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 1u);
    CHECK_EQ(frees, 1u);
}

/* ---- FC-2, FC-3 FltAllocateContext ------------------------------------------------------------ */

TEST(allocate_matching)
{
    start();
    PFLT_CONTEXT c = (PFLT_CONTEXT)1;
    /* Fixed, exact: only 16. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 15, NonPagedPool, &c),
             STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
    CHECK(c == NULL);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 17, NonPagedPool, &c),
             STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
    /* NO_EXACT_SIZE_MATCH: up to 32. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAM_CONTEXT, 33, PagedPool, &c),
             STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAM_CONTEXT, 1, PagedPool, &c), STATUS_SUCCESS);
    FltReleaseContext(c);
    /* Variable: any size up to MAXUSHORT. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAMHANDLE_CONTEXT, 0xFFFF, NonPagedPoolNx, &c), STATUS_SUCCESS);
    FltReleaseContext(c);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAMHANDLE_CONTEXT, 0x10000, NonPagedPool, &c),
             STATUS_INVALID_BUFFER_SIZE);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAMHANDLE_CONTEXT, 0, NonPagedPool, &c), STATUS_INVALID_PARAMETER);
    /* Unregistered type, bad type, bad pool type. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_TRANSACTION_CONTEXT, 8, NonPagedPool, &c),
             STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND);
    CHECK_EQ(FltAllocateContext(fx_filter, 0x80, 8, NonPagedPool, &c), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAMHANDLE_CONTEXT, 8, (POOL_TYPE)7, &c), STATUS_INVALID_PARAMETER);
    /* UNCONFIRMED 8 decided: a paged volume context is refused. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_VOLUME_CONTEXT, 8, PagedPool, &c), STATUS_FLT_MUST_BE_NONPAGED_POOL);
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_VOLUME_CONTEXT, 8, NonPagedPoolNx, &c), STATUS_SUCCESS);
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 3u);
}

TEST(allocate_not_zeroed_count_one)
{
    start();
    unsigned char *c = alloc(FLT_INSTANCE_CONTEXT, 16);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(c[i], 0xA5);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)1);
    FltReleaseContext(c); /* count 1: this frees it */
    CHECK_EQ(cleanups, 1u);
    CHECK(last_cleaned == c);
    CHECK_EQ(last_cleaned_type, FLT_INSTANCE_CONTEXT);
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
}

TEST(allocate_fault_site)
{
    start();
    fx_fail_site(KF_SITE_FLT_CONTEXT, 1, KF_FAULT_HARD);
    PFLT_CONTEXT c = (PFLT_CONTEXT)1;
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 16, NonPagedPool, &c), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(c == NULL);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_CONTEXT), 1ull);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
    /* The second consultation passes. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 16, NonPagedPool, &c), STATUS_SUCCESS);
    FltReleaseContext(c);
}

static void alloc_at_dispatch(void *a)
{
    (void)a;
    PFLT_CONTEXT c;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 16, NonPagedPool, &c);
}
static void alloc_null_out(void *a)
{
    (void)a;
    (void)FltAllocateContext(fx_filter, FLT_INSTANCE_CONTEXT, 16, NonPagedPool, NULL);
}
TEST(allocate_misuse)
{
    start();
    CHECK(fx_bugcheck(alloc_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_violation(alloc_null_out, NULL, KF_VIOL_FLT_CONTEXT_NULL_ARGUMENT));
}

/* ---- FC-4..FC-7 set, get, delete; exact counts ---------------------------------------------- */

TEST(instance_context_balanced_sequence)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT c = alloc(FLT_INSTANCE_CONTEXT, 16);                      /* 1 */
    PFLT_CONTEXT old = (PFLT_CONTEXT)1;
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, &old), STATUS_SUCCESS); /* 2 */
    CHECK(old == NULL);
    FltReleaseContext(c); /* 1: Filter Manager's */
    CHECK_EQ(cleanups, 0u);
    PFLT_CONTEXT got = NULL;
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_SUCCESS); /* 2 */
    CHECK(got == c);
    FltReleaseContext(got); /* 1 */
    CHECK_EQ(cleanups, 0u);
    CHECK_EQ(FltDeleteInstanceContext(inst, NULL), STATUS_SUCCESS); /* 0 */
    CHECK_EQ(cleanups, 1u);
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_NOT_FOUND);
    CHECK(got == NULL);
    CHECK_EQ(FltDeleteInstanceContext(inst, NULL), STATUS_NOT_FOUND);
}

TEST(keep_if_exists_returns_existing_referenced)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT a = alloc(FLT_INSTANCE_CONTEXT, 16), b = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL), STATUS_SUCCESS);
    FltReleaseContext(a);
    PFLT_CONTEXT old = NULL;
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, b, &old), STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    CHECK(old == a);
    FltReleaseContext(old); /* the reference OldContext carried */
    CHECK_EQ(cleanups, 0u);
    FltReleaseContext(b); /* b was never attached: its only reference */
    CHECK_EQ(cleanups, 1u);
    CHECK(last_cleaned == b);
    /* Without OldContext nothing is referenced. */
    PFLT_CONTEXT c = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), STATUS_FLT_CONTEXT_ALREADY_DEFINED);
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 2u);
    CHECK_EQ(FltDeleteInstanceContext(inst, NULL), STATUS_SUCCESS);
    CHECK_EQ(cleanups, 3u);
    CHECK(last_cleaned == a);
}

/* UNCONFIRMED 7 decided: REPLACE with OldContext NULL drops Filter Manager's reference itself;
 * with OldContext the reference is handed to the caller. */
TEST(replace_if_exists_old_context)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT a = alloc(FLT_INSTANCE_CONTEXT, 16), b = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, NULL), STATUS_SUCCESS);
    FltReleaseContext(a);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, NULL), STATUS_SUCCESS);
    CHECK_EQ(cleanups, 1u); /* a: its last reference was Filter Manager's */
    CHECK(last_cleaned == a);
    FltReleaseContext(b);
    PFLT_CONTEXT c = alloc(FLT_INSTANCE_CONTEXT, 16);
    PFLT_CONTEXT old = NULL;
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, c, &old), STATUS_SUCCESS);
    CHECK(old == b);
    CHECK_EQ(cleanups, 1u); /* b lives on: the caller holds the reference */
    FltReleaseContext(old);
    CHECK_EQ(cleanups, 2u);
    CHECK(last_cleaned == b);
    FltReleaseContext(c);
    CHECK_EQ(cleanups, 2u); /* c attached */
}

TEST(set_status_codes)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT a = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(inst, (FLT_SET_CONTEXT_OPERATION)2, a, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, NULL), STATUS_SUCCESS);
    /* Already attached: linked, whatever the operation, with no reference taken. */
    PFLT_CONTEXT old = (PFLT_CONTEXT)1;
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, a, &old), STATUS_FLT_CONTEXT_ALREADY_LINKED);
    CHECK(old == NULL);
    FltReleaseContext(a);
    /* An instance being torn down. */
    PFLT_CONTEXT b = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, TRUE), 0);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_REPLACE_IF_EXISTS, b, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(FltDeleteInstanceContext(inst, NULL), STATUS_FLT_DELETING_OBJECT);
    CHECK_EQ(kf_flt_set_instance_teardown(inst, FALSE), 0);
    FltReleaseContext(b);
    CHECK_EQ(cleanups, 1u);
}

/* ---- FC-13 file, stream, stream handle -------------------------------------------------------- */

static int fcb_a, fcb_b;

TEST(stream_keyed_by_fscontext_handle_by_file_object)
{
    PFLT_INSTANCE inst = start();
    FILE_OBJECT fo1, fo2, fo3, none;
    memset(&fo1, 0, sizeof fo1);
    memset(&none, 0, sizeof none);
    fo1.FsContext = &fcb_a;
    fo2 = fo1; /* a second open of the same stream */
    fo3 = fo1;
    fo3.FsContext = &fcb_b;
    CHECK(FltSupportsStreamContexts(&fo1) && FltSupportsStreamHandleContexts(&fo1) && FltSupportsFileContexts(&fo1));
    CHECK(!FltSupportsStreamContexts(&none) && !FltSupportsFileContextsEx(&none, inst));
    PFLT_CONTEXT s = alloc(FLT_STREAM_CONTEXT, 32), h = alloc(FLT_STREAMHANDLE_CONTEXT, 3),
                 f = alloc(FLT_FILE_CONTEXT, 8), got = NULL;
    CHECK_EQ(FltSetStreamContext(inst, &fo1, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSetStreamHandleContext(inst, &fo1, FLT_SET_CONTEXT_KEEP_IF_EXISTS, h, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSetFileContext(inst, &fo1, FLT_SET_CONTEXT_KEEP_IF_EXISTS, f, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltGetStreamContext(inst, &fo2, &got), STATUS_SUCCESS); /* same FsContext */
    CHECK(got == s);
    FltReleaseContext(got);
    CHECK_EQ(FltGetFileContext(inst, &fo2, &got), STATUS_SUCCESS);
    CHECK(got == f);
    FltReleaseContext(got);
    CHECK_EQ(FltGetStreamHandleContext(inst, &fo2, &got), STATUS_NOT_FOUND); /* other file object */
    CHECK_EQ(FltGetStreamHandleContext(inst, &fo1, &got), STATUS_SUCCESS);
    CHECK(got == h);
    FltReleaseContext(got);
    CHECK_EQ(FltGetStreamContext(inst, &fo3, &got), STATUS_NOT_FOUND);
    /* No FsContext: not supported; stream handle with no file object too. */
    CHECK_EQ(FltGetStreamContext(inst, &none, &got), STATUS_NOT_SUPPORTED);
    CHECK_EQ(FltGetStreamHandleContext(inst, NULL, &got), STATUS_NOT_SUPPORTED);
    PFLT_CONTEXT s2 = alloc(FLT_STREAM_CONTEXT, 20);
    CHECK_EQ(FltSetStreamContext(inst, &none, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s2, NULL), STATUS_NOT_SUPPORTED);
    FltReleaseContext(s2);
    CHECK_EQ(cleanups, 1u);
    /* Delete with OldContext: the reference goes to the caller. */
    PFLT_CONTEXT old = NULL;
    CHECK_EQ(FltDeleteStreamContext(inst, &fo2, &old), STATUS_SUCCESS);
    CHECK(old == s);
    CHECK_EQ(FltGetStreamContext(inst, &fo1, &got), STATUS_NOT_FOUND);
    CHECK_EQ(cleanups, 1u);
    FltReleaseContext(old); /* s: its allocation reference is still held */
    CHECK_EQ(cleanups, 1u);
    FltReleaseContext(s);
    CHECK_EQ(cleanups, 2u);
    FltReleaseContext(h);
    FltReleaseContext(f);
    CHECK_EQ(FltDeleteStreamHandleContext(inst, &fo1, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltDeleteFileContext(inst, &fo1, NULL), STATUS_SUCCESS);
    CHECK_EQ(cleanups, 4u);
}

TEST(delete_context_unlinks_caller_keeps_reference)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT a = alloc(FLT_INSTANCE_CONTEXT, 16), got = NULL;
    FltDeleteContext(a); /* never set: nothing happens */
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, a, NULL), STATUS_SUCCESS);
    FltDeleteContext(a);
    CHECK_EQ(cleanups, 0u);
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_NOT_FOUND);
    FltReferenceContext(a);
    FltReleaseContext(a);
    CHECK_EQ(cleanups, 0u);
    FltReleaseContext(a);
    CHECK_EQ(cleanups, 1u);
}

TEST(volume_context_and_get_contexts)
{
    PFLT_INSTANCE inst = start();
    PFLT_VOLUME vol = NULL;
    fx_on_setup = NULL;
    /* The volume: the fixture's last related objects name it. */
    vol = fx_last_objs.volume;
    CHECK(vol != NULL);
    PFLT_CONTEXT v = alloc(FLT_VOLUME_CONTEXT, 8), i = alloc(FLT_INSTANCE_CONTEXT, 16), got = NULL;
    CHECK_EQ(FltSetVolumeContext(vol, FLT_SET_CONTEXT_KEEP_IF_EXISTS, v, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, i, NULL), STATUS_SUCCESS);
    FltReleaseContext(v);
    FltReleaseContext(i);
    CHECK_EQ(FltGetVolumeContext(fx_filter, vol, &got), STATUS_SUCCESS);
    CHECK(got == v);
    FltReleaseContext(got);
    FLT_RELATED_OBJECTS objs = {sizeof objs, 0, fx_filter, vol, inst, NULL, NULL};
    FLT_RELATED_CONTEXTS ctxs;
    memset(&ctxs, 0xEE, sizeof ctxs);
    FltGetContexts(&objs, FLT_ALL_CONTEXTS, &ctxs);
    CHECK(ctxs.VolumeContext == v && ctxs.InstanceContext == i);
    CHECK(ctxs.StreamContext == NULL && ctxs.FileContext == NULL && ctxs.StreamHandleContext == NULL &&
          ctxs.TransactionContext == NULL);
    FltReleaseContexts(&ctxs);
    CHECK(ctxs.VolumeContext == NULL && ctxs.InstanceContext == NULL);
    CHECK_EQ(cleanups, 0u);
    /* Unload: the instance's context at its teardown, the volume's at unregister, both at PASSIVE. */
    CHECK_EQ(kf_flt_unload(fx_filter, 0), STATUS_SUCCESS);
    CHECK_EQ(cleanups, 2u);
    CHECK(last_cleaned == v);
    CHECK_EQ(cleanup_irql, PASSIVE_LEVEL);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
}

/* ---- FC-14 teardown -------------------------------------------------------------------------- */

static unsigned cleanups_at_tcomplete;
static void note_tcomplete(PCFLT_RELATED_OBJECTS o)
{
    (void)o;
    cleanups_at_tcomplete = cleanups;
}

TEST(instance_teardown_frees_attached_contexts)
{
    PFLT_INSTANCE inst = start();
    FILE_OBJECT fo;
    memset(&fo, 0, sizeof fo);
    fo.FsContext = &fcb_a;
    PFLT_CONTEXT s = alloc(FLT_STREAM_CONTEXT, 8), i = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetStreamContext(inst, &fo, FLT_SET_CONTEXT_KEEP_IF_EXISTS, s, NULL), STATUS_SUCCESS);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, i, NULL), STATUS_SUCCESS);
    FltReleaseContext(s);
    FltReleaseContext(i);
    cleanups_at_tcomplete = 99;
    fx_on_teardown_complete = note_tcomplete;
    FltUnregisterFilter(fx_filter);
    CHECK_EQ(cleanups_at_tcomplete, 0u); /* still attached during the teardown callbacks */
    CHECK_EQ(cleanups, 2u);
}

static void unregister(void *a)
{
    (void)a;
    FltUnregisterFilter(fx_filter);
}
TEST(references_left_at_unregister_stop)
{
    PFLT_INSTANCE inst = start();
    PFLT_CONTEXT i = alloc(FLT_INSTANCE_CONTEXT, 16), got = NULL;
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, i, NULL), STATUS_SUCCESS);
    FltReleaseContext(i);
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_SUCCESS); /* never released */
    CHECK(fx_violation(unregister, NULL, KF_VIOL_FLT_CONTEXT_OUTSTANDING));
    CHECK_EQ(fx_stop.param[1], (ULONG_PTR)1);
    CHECK_EQ(fx_stop.param[2], (ULONG_PTR)FLT_INSTANCE_CONTEXT);
    CHECK(strstr(fx_stop.reason, "FltGetInstanceContext") != NULL);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)1);
}

TEST(allocated_never_set_is_a_leak_at_unregister)
{
    start();
    (void)alloc(FLT_STREAMHANDLE_CONTEXT, 5);
    CHECK(fx_violation(unregister, NULL, KF_VIOL_FLT_CONTEXT_OUTSTANDING));
    CHECK(strstr(fx_stop.reason, "FltAllocateContext") != NULL);
}

/* ---- FC-9..FC-11 misuse ----------------------------------------------------------------------- */

static PFLT_CONTEXT victim;
static void release_victim(void *a)
{
    (void)a;
    FltReleaseContext(victim);
}
static void reference_victim(void *a)
{
    (void)a;
    FltReferenceContext(victim);
}
static void set_victim_on_instance(void *a)
{
    (void)FltSetInstanceContext((PFLT_INSTANCE)a, FLT_SET_CONTEXT_KEEP_IF_EXISTS, victim, NULL);
}

TEST(release_too_many_and_after_free)
{
    PFLT_INSTANCE inst = start();
    victim = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(inst, FLT_SET_CONTEXT_KEEP_IF_EXISTS, victim, NULL), STATUS_SUCCESS);
    FltReleaseContext(victim);
    CHECK(fx_violation(release_victim, NULL, KF_VIOL_FLT_CONTEXT_RELEASE_TOO_MANY));
    CHECK_EQ(cleanups, 0u);
    CHECK_EQ(FltDeleteInstanceContext(inst, NULL), STATUS_SUCCESS);
    CHECK_EQ(cleanups, 1u);
    CHECK(fx_violation(release_victim, NULL, KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE));
    CHECK(fx_violation(reference_victim, NULL, KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE));
    static char not_a_context[16];
    victim = not_a_context;
    CHECK(fx_violation(release_victim, NULL, KF_VIOL_FLT_CONTEXT_INVALID));
    victim = NULL;
    CHECK(fx_violation(reference_victim, NULL, KF_VIOL_FLT_CONTEXT_INVALID));
}

TEST(wrong_type_and_foreign_filter)
{
    PFLT_INSTANCE inst = start();
    victim = alloc(FLT_STREAM_CONTEXT, 8);
    CHECK(fx_violation(set_victim_on_instance, inst, KF_VIOL_FLT_CONTEXT_WRONG_TYPE));
    CHECK_EQ(fx_stop.param[1], (ULONG_PTR)FLT_STREAM_CONTEXT);
    FltReleaseContext(victim);
    /* A second filter's instance context set on the first filter's instance. */
    static DRIVER_OBJECT other;
    PFLT_FILTER f2 = NULL;
    CHECK_EQ(FltRegisterFilter(&other, &fx_registration, &f2), STATUS_SUCCESS);
    CHECK_EQ(FltAllocateContext(f2, FLT_INSTANCE_CONTEXT, 16, NonPagedPool, &victim), STATUS_SUCCESS);
    CHECK(fx_violation(set_victim_on_instance, inst, KF_VIOL_FLT_CONTEXT_FOREIGN));
    FltReleaseContext(victim);
}

/* ---- FC-11 IRQL ------------------------------------------------------------------------------ */

static void release_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    FltReleaseContext(victim);
}
static void get_at_dispatch(void *a)
{
    PFLT_CONTEXT c;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetInstanceContext((PFLT_INSTANCE)a, &c);
}
TEST(irql_rules_and_deferred_free)
{
    PFLT_INSTANCE inst = start();
    CHECK(fx_bugcheck(get_at_dispatch, inst, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    /* Paged: release only up to APC_LEVEL. */
    CHECK_EQ(FltAllocateContext(fx_filter, FLT_STREAM_CONTEXT, 8, PagedPool, &victim), STATUS_SUCCESS);
    CHECK(fx_bugcheck(release_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    FltReleaseContext(victim);
    CHECK_EQ(cleanups, 1u);
    /* Nonpaged at DISPATCH: allowed; the free waits until a context routine runs at <= APC. */
    victim = alloc(FLT_STREAM_CONTEXT, 8);
    kf_set_irql(DISPATCH_LEVEL);
    FltReferenceContext(victim);
    FltReleaseContext(victim);
    FltReleaseContext(victim);
    CHECK_EQ(cleanups, 1u);
    CHECK(fx_violation(reference_victim, NULL, KF_VIOL_FLT_CONTEXT_USE_AFTER_FREE));
    kf_set_irql(PASSIVE_LEVEL);
    PFLT_CONTEXT got;
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_NOT_FOUND);
    CHECK_EQ(cleanups, 2u);
    CHECK_EQ(cleanup_irql, PASSIVE_LEVEL);
}

/* ---- FC-16 leaks and reset ----------------------------------------------------------------- */

TEST(leak_count_and_reset)
{
    start();
    (void)alloc(FLT_INSTANCE_CONTEXT, 16);
    (void)alloc(FLT_STREAMHANDLE_CONTEXT, 1);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)2);
    kf_reset();
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
    CHECK_EQ(cleanups, 0u); /* the driver is not called back at reset */
}

#ifdef FX_HAVE_ASAN
static void touch_after_release(void)
{
    start();
    unsigned char *c = alloc(FLT_INSTANCE_CONTEXT, 16);
    FltReleaseContext(c);
    volatile unsigned char x = c[0];
    (void)x;
}
TEST(freed_context_memory_is_really_freed)
{
    CHECK(kft_expect_death(touch_after_release, "heap-use-after-free"));
}
#endif

/* FC-14: a context set by a setup callback that then declines goes with the instance. */
static void set_in_setup(PCFLT_RELATED_OBJECTS o)
{
    PFLT_CONTEXT c = alloc(FLT_INSTANCE_CONTEXT, 16);
    CHECK_EQ(FltSetInstanceContext(o->Instance, FLT_SET_CONTEXT_KEEP_IF_EXISTS, c, NULL), STATUS_SUCCESS);
    FltReleaseContext(c);
}
TEST(declined_setup_frees_instance_context)
{
    fx_fresh();
    cleanups = 0;
    fx_registration.ContextRegistration = ctx_regs;
    fx_on_setup = set_in_setup;
    fx_setup_result[0] = STATUS_FLT_DO_NOT_ATTACH;
    CHECK(fx_start() == NULL);
    CHECK_EQ(cleanups, 1u);
    CHECK_EQ(last_cleaned_type, FLT_INSTANCE_CONTEXT);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
}

/* FC-11: a deferred free whose cleanup callback releases another context's last reference. */
TEST(deferred_cleanup_releasing_another_context)
{
    PFLT_INSTANCE inst = start();
    release_in_cleanup = NULL;
    PFLT_CONTEXT b = alloc(FLT_STREAMHANDLE_CONTEXT, 4);
    PFLT_CONTEXT a = alloc(FLT_STREAMHANDLE_CONTEXT, 4);
    kf_set_irql(DISPATCH_LEVEL);
    FltReleaseContext(a);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(cleanups, 0u);
    release_in_cleanup = b;
    PFLT_CONTEXT got;
    CHECK_EQ(FltGetInstanceContext(inst, &got), STATUS_NOT_FOUND);
    CHECK_EQ(cleanups, 2u);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_contexts, (size_t)0);
}
