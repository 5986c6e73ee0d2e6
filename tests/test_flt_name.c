/*
 * test_flt_name.c - Filter Manager file names: FltGetFileNameInformation(Unsafe), the
 * reference count of the structure, FltParseFileNameInformation on a table of names. Rules
 * FN-1 .. FN-9 of model/SEMANTICS.md.
 */
#include "flt_fixture.h"

#include <string.h>

static size_t wlen(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

/* 1 when s holds exactly the text w (NULL w: Length 0). */
static int ustr_is(const UNICODE_STRING *s, const WCHAR *w)
{
    size_t n = w ? wlen(w) : 0;
    if (s->Length != n * sizeof(WCHAR))
        return 0;
    return n == 0 || (s->Buffer && memcmp(s->Buffer, w, n * sizeof(WCHAR)) == 0);
}

static FILE_OBJECT file;
static FILE_OBJECT related;

static void set_name(FILE_OBJECT *fo, const WCHAR *w)
{
    memset(fo, 0, sizeof *fo);
    fo->FileName.Buffer = (PWSTR)w;
    fo->FileName.Length = fo->FileName.MaximumLength = (USHORT)(wlen(w) * sizeof(WCHAR));
}

static PFLT_CALLBACK_DATA data_on(const WCHAR *name, UCHAR major)
{
    set_name(&file, name);
    PFLT_CALLBACK_DATA d = fx_alloc(fx_start(), &file, 0);
    d->Iopb->MajorFunction = major;
    return d;
}

#define NORM (FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_DEFAULT)
#define OPENED (FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_DEFAULT)

/* ---- FN-1 the name --------------------------------------------------------------------------- */

TEST(get_normalized_and_opened)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\dir\\File.txt::$DATA", IRP_MJ_READ);
    PFLT_FILE_NAME_INFORMATION n = NULL, o = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    CHECK(ustr_is(&n->Name, L"\\Device\\HarddiskVolume1\\dir\\File.txt"));
    CHECK(ustr_is(&n->Volume, L"\\Device\\HarddiskVolume1"));
    CHECK_EQ(n->Format, FLT_FILE_NAME_NORMALIZED);
    CHECK_EQ(n->Size, sizeof(FLT_FILE_NAME_INFORMATION));
    CHECK_EQ(n->NamesParsed, 0);
    CHECK_EQ(FltGetFileNameInformation(d, OPENED, &o), STATUS_SUCCESS);
    CHECK(ustr_is(&o->Name, L"\\Device\\HarddiskVolume1\\dir\\File.txt::$DATA"));
    CHECK_EQ(o->Format, FLT_FILE_NAME_OPENED);
    CHECK(n != o);
    CHECK_EQ(kf_flt_names_outstanding(), 2);
    FltReleaseFileNameInformation(n);
    FltReleaseFileNameInformation(o);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    FltFreeCallbackData(d);
}

TEST(get_relative_root_and_volume_identity)
{
    fx_fresh();
    kf_flt_volume_identity id = {"\\Device\\Floppy0", FALSE, 0};
    CHECK_EQ(kf_flt_set_volume_identity(0, &id), 0);
    set_name(&related, L"\\dir\\");
    PFLT_CALLBACK_DATA d = data_on(L"sub\\a.b", IRP_MJ_CREATE);
    file.RelatedFileObject = &related;
    PFLT_FILE_NAME_INFORMATION n = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    CHECK(ustr_is(&n->Name, L"\\Device\\Floppy0\\dir\\sub\\a.b"));
    FltReleaseFileNameInformation(n);
    set_name(&related, L"\\dir");
    file.FileName.Length = 0; /* a reopen of the related file */
    file.RelatedFileObject = &related;
    CHECK_EQ(FltGetFileNameInformation(d, OPENED, &n), STATUS_SUCCESS);
    CHECK(ustr_is(&n->Name, L"\\Device\\Floppy0\\dir"));
    FltReleaseFileNameInformation(n);
    file.RelatedFileObject = NULL; /* the volume's root */
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    CHECK(ustr_is(&n->Name, L"\\Device\\Floppy0\\"));
    FltReleaseFileNameInformation(n);
    set_name(&file, L"\\dir\\");
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS); /* trailing backslash goes */
    CHECK(ustr_is(&n->Name, L"\\Device\\Floppy0\\dir"));
    FltReleaseFileNameInformation(n);
    FltFreeCallbackData(d);
}

/* ---- FN-2 arguments and options ------------------------------------------------------------ */

static void get_foreign_instance(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    PFLT_CALLBACK_DATA d = a;
    d->Iopb->TargetInstance = (PFLT_INSTANCE)&file;
    (void)FltGetFileNameInformation(d, NORM, &n);
}
TEST(get_arguments)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\x", IRP_MJ_READ);
    PFLT_FILE_NAME_INFORMATION n = (PFLT_FILE_NAME_INFORMATION)&file;
    CHECK_EQ(FltGetFileNameInformation(NULL, NORM, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetFileNameInformation(d, NORM, NULL), STATUS_INVALID_PARAMETER);
    static const ULONG bad[] = {FLT_FILE_NAME_QUERY_DEFAULT, FLT_FILE_NAME_NORMALIZED, 0x04 | FLT_FILE_NAME_QUERY_DEFAULT,
                                FLT_FILE_NAME_OPENED | 0x0500, NORM | 0x00010000, NORM | 0x80000000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = (PFLT_FILE_NAME_INFORMATION)&file;
        CHECK_EQ(FltGetFileNameInformation(d, bad[i], &n), STATUS_INVALID_PARAMETER);
        CHECK(n == NULL);
    }
    CHECK_EQ(FltGetFileNameInformation(d, NORM | FLT_FILE_NAME_DO_NOT_CACHE | FLT_FILE_NAME_REQUEST_FROM_CURRENT_PROVIDER, &n),
             STATUS_SUCCESS);
    FltReleaseFileNameInformation(n);
    d->Iopb->TargetFileObject = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_INVALID_PARAMETER);
    CHECK(fx_violation(get_foreign_instance, d, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK_EQ(kf_flt_names_outstanding(), 0);
}

/* ---- FN-3 short names, cache, unsafe conditions ------------------------------------------------ */

TEST(get_short_cache_and_unsafe)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\dir\\a.txt", IRP_MJ_CREATE);
    PFLT_FILE_NAME_INFORMATION n = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT, &n),
             STATUS_FLT_INVALID_NAME_REQUEST);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT, &n),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &n),
             STATUS_FLT_NAME_CACHE_MISS);
    /* Paging I/O. */
    d->Iopb->IrpFlags = IRP_PAGING_IO;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_FILESYSTEM_ONLY, &n),
             STATUS_FLT_INVALID_NAME_REQUEST);
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP, &n),
             STATUS_FLT_NAME_CACHE_MISS);
    d->Iopb->IrpFlags = 0;
    /* After cleanup. */
    file.Flags = FO_CLEANUP_COMPLETE;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    file.Flags = 0;
    /* The Cc / Mm acquire and release operations. */
    d->Iopb->MajorFunction = IRP_MJ_ACQUIRE_FOR_MOD_WRITE;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    d->Iopb->MajorFunction = IRP_MJ_RELEASE_FOR_SECTION_SYNCHRONIZATION;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    d->Iopb->MajorFunction = IRP_MJ_READ;
    /* All APCs disabled: APC_LEVEL is allowed by the IRQL rule but the FS cannot be asked. */
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    FltReleaseFileNameInformation(n);
}

/* ---- FN-4 IRQL ------------------------------------------------------------------------------- */

static PFLT_FILE_NAME_INFORMATION held;
static void get_at_dispatch(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetFileNameInformation(a, NORM, &n);
}
static void unsafe_at_dispatch(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetFileNameInformationUnsafe(&file, NULL, NORM, &n);
}
static void release_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    FltReleaseFileNameInformation(held);
}
static void reference_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    FltReferenceFileNameInformation(held);
}
static void parse_at_dispatch(void *a)
{
    (void)a;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltParseFileNameInformation(held);
}
TEST(irql_rules)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\a", IRP_MJ_READ);
    CHECK(fx_bugcheck(get_at_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_bugcheck(unsafe_at_dispatch, d, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &held), STATUS_SUCCESS);
    CHECK(fx_bugcheck(release_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_bugcheck(reference_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_bugcheck(parse_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    /* At APC_LEVEL the reference-count routines are allowed. */
    kf_set_irql(APC_LEVEL);
    FltReferenceFileNameInformation(held);
    FltReleaseFileNameInformation(held);
    kf_set_irql(PASSIVE_LEVEL);
    FltReleaseFileNameInformation(held);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
}

/* ---- FN-5 the fault site ---------------------------------------------------------------------- */

TEST(name_fault_site)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\a", IRP_MJ_READ);
    fx_fail_site(KF_SITE_FLT_NAME, 1, KF_FAULT_HARD);
    PFLT_FILE_NAME_INFORMATION n = (PFLT_FILE_NAME_INFORMATION)&file;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(n == NULL);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_NAME), 2);
    FltReleaseFileNameInformation(n);
    /* The unsafe variant consults the same site. */
    fx_fail_site(KF_SITE_FLT_NAME, 3, KF_FAULT_HARD);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, NULL, NORM, &n), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(n == NULL);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    /* Failures decided before the allocation do not consult it. */
    fx_no_faults();
    CHECK_EQ(FltGetFileNameInformation(d, FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &n),
             STATUS_FLT_NAME_CACHE_MISS);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_NAME), 3);
}

/* ---- FN-6 reference counting ------------------------------------------------------------------ */

static void release_it(void *a) { FltReleaseFileNameInformation(a); }
static void reference_it(void *a) { FltReferenceFileNameInformation(a); }
static void parse_it(void *a) { (void)FltParseFileNameInformation(a); }
TEST(reference_and_release)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\a", IRP_MJ_READ);
    PFLT_FILE_NAME_INFORMATION n = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, NORM, &n), STATUS_SUCCESS);
    FltReferenceFileNameInformation(n);
    FltReferenceFileNameInformation(n);
    CHECK_EQ(kf_flt_names_outstanding(), 3);
    kf_leak_report leaks;
    kf_leaks(&leaks);
    CHECK_EQ(leaks.flt_names, 3);
    FltReleaseFileNameInformation(n);
    FltReleaseFileNameInformation(n);
    CHECK(ustr_is(&n->Name, L"\\Device\\HarddiskVolume1\\a")); /* still alive: one reference */
    FltReleaseFileNameInformation(n);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    kf_leaks(&leaks);
    CHECK_EQ(leaks.flt_names, 0);
    CHECK(fx_violation(release_it, n, KF_VIOL_FLT_NAME_OVER_RELEASE));
    CHECK(fx_violation(reference_it, n, KF_VIOL_FLT_NAME_OVER_RELEASE));
    CHECK(fx_violation(parse_it, n, KF_VIOL_FLT_NAME_OVER_RELEASE));
    FLT_FILE_NAME_INFORMATION mine;
    memset(&mine, 0, sizeof mine);
    CHECK(fx_violation(release_it, &mine, KF_VIOL_FLT_NAME_FOREIGN));
    CHECK(fx_violation(parse_it, &mine, KF_VIOL_FLT_NAME_FOREIGN));
    CHECK(fx_violation(release_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
    CHECK(fx_violation(reference_it, NULL, KF_VIOL_FLT_NULL_ARGUMENT));
}

TEST(leaked_name_counted_and_reset)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\a", IRP_MJ_READ);
    PFLT_FILE_NAME_INFORMATION n = NULL;
    CHECK_EQ(FltGetFileNameInformation(d, OPENED, &n), STATUS_SUCCESS);
    kf_reset();
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.flt_names, 1);
}

#ifdef FX_HAVE_ASAN
static PFLT_FILE_NAME_INFORMATION gone;
static void touch_after_release(void)
{
    fx_fresh();
    PFLT_CALLBACK_DATA d = data_on(L"\\a", IRP_MJ_READ);
    if (FltGetFileNameInformation(d, NORM, &gone) != STATUS_SUCCESS)
        return;
    FltReleaseFileNameInformation(gone);
    volatile USHORT len = gone->Name.Length;
    (void)len;
}
TEST(use_after_last_release_is_seen)
{
    CHECK(kft_expect_death(touch_after_release, "heap-use-after-free"));
}
#endif

/* ---- FN-7 the unsafe variant -------------------------------------------------------------------- */

static void unsafe_apcs_off(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    (void)a;
    kf_set_irql(APC_LEVEL);
    (void)FltGetFileNameInformationUnsafe(&file, NULL, NORM, &n);
}
static void unsafe_foreign_instance(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    (void)a;
    (void)FltGetFileNameInformationUnsafe(&file, (PFLT_INSTANCE)&related, NORM, &n);
}
TEST(unsafe_variant)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    set_name(&file, L"\\u.dat");
    PFLT_FILE_NAME_INFORMATION n = NULL;
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, OPENED, &n), STATUS_SUCCESS);
    CHECK(ustr_is(&n->Name, L"\\Device\\HarddiskVolume1\\u.dat"));
    FltReleaseFileNameInformation(n);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, NULL, OPENED, &n), STATUS_SUCCESS); /* NULL: volume 0 */
    FltReleaseFileNameInformation(n);
    CHECK_EQ(FltGetFileNameInformationUnsafe(NULL, inst, OPENED, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, OPENED, NULL), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, 0x0102 | 0x10, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT, &n),
             STATUS_OBJECT_NAME_NOT_FOUND);
    file.Flags = FO_CLEANUP_COMPLETE;
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, OPENED, &n), STATUS_FLT_INVALID_NAME_REQUEST);
    file.Flags = 0;
    /* Cache-only is safe with APCs disabled (and misses); any other method is a hazard. */
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, inst, FLT_FILE_NAME_OPENED | FLT_FILE_NAME_QUERY_CACHE_ONLY, &n),
             STATUS_FLT_NAME_CACHE_MISS);
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_violation(unsafe_apcs_off, NULL, KF_VIOL_FLT_NAME_UNSAFE_QUERY));
    kf_set_irql(PASSIVE_LEVEL);
    CHECK(fx_violation(unsafe_foreign_instance, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    /* No volume modeled and no instance: no volume to name. */
    kf_reset();
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(0, NULL), 0);
    CHECK_EQ(FltGetFileNameInformationUnsafe(&file, NULL, OPENED, &n), STATUS_FLT_VOLUME_NOT_FOUND);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
}

/* ---- FN-8/FN-9 parsing ------------------------------------------------------------------------- */

static const struct parse_case {
    const WCHAR *file;     /* FileObject->FileName */
    ULONG options;
    const WCHAR *parent, *final, *ext, *stream;
} parse_cases[] = {
    {L"\\dir\\sub\\Test Results.txt:stream1", OPENED, L"\\dir\\sub\\", L"Test Results.txt:stream1", L"txt", L":stream1"},
    {L"\\dir\\a.txt::$DATA", OPENED, L"\\dir\\", L"a.txt::$DATA", L"txt", L"::$DATA"},
    {L"\\dir\\a.txt::$DATA", NORM, L"\\dir\\", L"a.txt", L"txt", NULL},
    {L"\\a.b.c", NORM, L"\\", L"a.b.c", L"c", NULL},
    {L"\\noext", NORM, L"\\", L"noext", NULL, NULL},
    {L"\\trailing.", NORM, L"\\", L"trailing.", NULL, NULL},
    {L"\\.profile", NORM, L"\\", L".profile", L"profile", NULL},
    {L"\\d.x\\noext", NORM, L"\\d.x\\", L"noext", NULL, NULL},
    {L"\\dir:ads:$DATA", OPENED, L"\\", L"dir:ads:$DATA", NULL, L":ads:$DATA"},
    {L"\\f.tx:s", OPENED, L"\\", L"f.tx:s", L"tx", L":s"},
    {L"", NORM, NULL, NULL, NULL, NULL}, /* the root */
};

TEST(parse_table)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        kf_reset();
        fx_fresh();
        PFLT_CALLBACK_DATA d = data_on(c->file, IRP_MJ_READ);
        PFLT_FILE_NAME_INFORMATION n = NULL;
        CHECK_EQ(FltGetFileNameInformation(d, c->options, &n), STATUS_SUCCESS);
        CHECK_EQ(FltParseFileNameInformation(n), STATUS_SUCCESS);
        if (!ustr_is(&n->ParentDir, c->parent) || !ustr_is(&n->FinalComponent, c->final) ||
            !ustr_is(&n->Extension, c->ext) || !ustr_is(&n->Stream, c->stream))
            kft_fail(__FILE__, __LINE__, "parse case %zu gives the wrong parts", i);
        CHECK(ustr_is(&n->Volume, L"\\Device\\HarddiskVolume1"));
        CHECK_EQ(n->Share.Length, 0);
        CHECK_EQ(n->NamesParsed, FLTFL_FILE_NAME_PARSED_FINAL_COMPONENT | FLTFL_FILE_NAME_PARSED_EXTENSION |
                                     FLTFL_FILE_NAME_PARSED_STREAM | FLTFL_FILE_NAME_PARSED_PARENT_DIR);
        /* The parts point into the name's own buffer. */
        if (n->FinalComponent.Length)
            CHECK(n->FinalComponent.Buffer >= n->Name.Buffer &&
                  n->FinalComponent.Buffer + n->FinalComponent.Length / 2 <= n->Name.Buffer + n->Name.Length / 2);
        /* Parsing twice gives the same. */
        UNICODE_STRING fc = n->FinalComponent;
        CHECK_EQ(FltParseFileNameInformation(n), STATUS_SUCCESS);
        CHECK(fc.Buffer == n->FinalComponent.Buffer && fc.Length == n->FinalComponent.Length);
        FltReleaseFileNameInformation(n);
    }
}

static const WCHAR *const bad_names[] = {
    L"relative.txt",      /* no backslash after the volume and no related file */
    L"\\a\\\\b",           /* an empty component */
    L"\\a:s\\b",           /* a colon in a directory component */
    L"\\a:b:c:d",          /* more than name:stream:type */
    L"\\a:",               /* an empty stream */
};
TEST(parse_invalid_names)
{
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        kf_reset();
        fx_fresh();
        PFLT_CALLBACK_DATA d = data_on(bad_names[i], IRP_MJ_READ);
        PFLT_FILE_NAME_INFORMATION n = NULL;
        CHECK_EQ(FltGetFileNameInformation(d, OPENED, &n), STATUS_SUCCESS);
        if (FltParseFileNameInformation(n) != STATUS_OBJECT_NAME_INVALID)
            kft_fail(__FILE__, __LINE__, "bad name %zu parsed", i);
        CHECK_EQ(n->NamesParsed, 0);
        FltReleaseFileNameInformation(n);
    }
}

/* ---- FN-10, FN-11 the destination of a rename or a link ---------------------------------------- */

/* FltGetDestinationFileNameInformation for `file` with a NUL-terminated FileName; the name it
 * returns is compared with `want` and released. */
static NTSTATUS dest(PFLT_INSTANCE inst, HANDLE root, const WCHAR *name, FLT_FILE_NAME_OPTIONS opts, const WCHAR *want)
{
    PFLT_FILE_NAME_INFORMATION n = (PFLT_FILE_NAME_INFORMATION)&related;
    NTSTATUS st = FltGetDestinationFileNameInformation(inst, &file, root, (PWSTR)name,
                                                       (ULONG)(wlen(name) * sizeof(WCHAR)), opts, &n);
    if (st != STATUS_SUCCESS) {
        CHECK(n == NULL);
        return st;
    }
    CHECK(ustr_is(&n->Name, want));
    CHECK(ustr_is(&n->Volume, L"\\Device\\HarddiskVolume1"));
    CHECK_EQ(n->Format, FltGetFileNameFormat(opts));
    FltReleaseFileNameInformation(n);
    return st;
}

TEST(destination_in_the_same_directory_and_full)
{
    fx_fresh();
    CHECK_EQ(kf_flt_set_volumes(2, NULL), 0);
    PFLT_INSTANCE inst = fx_start();
    set_name(&file, L"\\dir\\old.txt");
    CHECK_EQ(dest(inst, NULL, L"new.txt", NORM, L"\\Device\\HarddiskVolume1\\dir\\new.txt"), STATUS_SUCCESS);
    CHECK_EQ(dest(inst, NULL, L"new.txt::$DATA", NORM, L"\\Device\\HarddiskVolume1\\dir\\new.txt"), STATUS_SUCCESS);
    CHECK_EQ(dest(inst, NULL, L"new.txt::$DATA", OPENED, L"\\Device\\HarddiskVolume1\\dir\\new.txt::$DATA"),
             STATUS_SUCCESS);
    /* A file in the root; a file opened relative to its directory (FN-1's composition). */
    set_name(&file, L"\\old.txt");
    CHECK_EQ(dest(inst, NULL, L"b", NORM, L"\\Device\\HarddiskVolume1\\b"), STATUS_SUCCESS);
    set_name(&related, L"\\dir");
    set_name(&file, L"sub\\old.txt");
    file.RelatedFileObject = &related;
    CHECK_EQ(dest(inst, NULL, L"b", NORM, L"\\Device\\HarddiskVolume1\\dir\\sub\\b"), STATUS_SUCCESS);
    set_name(&file, L"\\dir\\old.txt");
    /* Full names: a drive letter form or the device name of the instance's volume. */
    CHECK_EQ(dest(inst, NULL, L"\\??\\C:\\x\\y.txt", NORM, L"\\Device\\HarddiskVolume1\\x\\y.txt"), STATUS_SUCCESS);
    CHECK_EQ(dest(inst, NULL, L"\\DosDevices\\c:\\y", NORM, L"\\Device\\HarddiskVolume1\\y"), STATUS_SUCCESS);
    CHECK_EQ(dest(inst, NULL, L"\\GLOBAL??\\C:", NORM, L"\\Device\\HarddiskVolume1\\"), STATUS_SUCCESS);
    CHECK_EQ(dest(inst, NULL, L"\\Device\\HarddiskVolume1\\z", NORM, L"\\Device\\HarddiskVolume1\\z"), STATUS_SUCCESS);
    /* Another volume's names, and names of no volume (decided, FN-11). */
    CHECK_EQ(dest(inst, NULL, L"\\??\\D:\\z", NORM, NULL), STATUS_NOT_SAME_DEVICE);
    CHECK_EQ(dest(inst, NULL, L"\\Device\\HarddiskVolume2\\z", NORM, NULL), STATUS_NOT_SAME_DEVICE);
    CHECK_EQ(dest(inst, NULL, L"\\??\\Q:\\z", NORM, NULL), STATUS_OBJECT_PATH_NOT_FOUND);
    CHECK_EQ(dest(inst, NULL, L"\\z", NORM, NULL), STATUS_OBJECT_PATH_NOT_FOUND);
    CHECK_EQ(dest(inst, NULL, L"\\Device\\HarddiskVolume1z", NORM, NULL), STATUS_OBJECT_PATH_NOT_FOUND);
    CHECK_EQ(kf_flt_names_outstanding(), 0);
}

static HANDLE closed_handle;
static void dest_closed_root(void *a)
{
    (void)a;
    PFLT_FILE_NAME_INFORMATION n;
    (void)FltGetDestinationFileNameInformation(kf_flt_instance(fx_filter, 0), &file, closed_handle, L"x", 2, NORM, &n);
}

TEST(destination_relative_to_a_root_directory)
{
    fx_fresh();
    PFLT_INSTANCE inst = fx_start();
    kf_flt_file_spec docs = {L"\\docs", FILE_ATTRIBUTE_DIRECTORY, NULL, 0};
    CHECK_EQ(kf_flt_add_file(0, &docs), 0);
    UNICODE_STRING path = RTL_CONSTANT_STRING(L"\\Device\\HarddiskVolume1\\docs");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &path, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE h = NULL;
    PFILE_OBJECT dir = NULL;
    CHECK_EQ(FltCreateFileEx2(fx_filter, inst, &h, &dir, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &iosb, NULL, 0,
                              FILE_SHARE_READ, FILE_OPEN, FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, 0,
                              NULL),
             STATUS_SUCCESS);
    set_name(&file, L"\\old.txt");
    CHECK_EQ(dest(inst, h, L"moved.txt", NORM, L"\\Device\\HarddiskVolume1\\docs\\moved.txt"), STATUS_SUCCESS);
    /* A full FileName ignores RootDirectory. */
    CHECK_EQ(dest(inst, h, L"\\??\\C:\\top.txt", NORM, L"\\Device\\HarddiskVolume1\\top.txt"), STATUS_SUCCESS);
    CHECK_EQ(FltClose(h), STATUS_SUCCESS);
    ObDereferenceObject(dir);
    /* A handle the driver closed already: Driver Verifier's stop (the object manager's rule). */
    closed_handle = h;
    CHECK(fx_violation(dest_closed_root, NULL, KF_VIOL_OB_HANDLE_AFTER_CLOSE));
    CHECK_EQ(kf_flt_names_outstanding(), 0);
}

static PFLT_INSTANCE dest_inst;
static void dest_at_dispatch(void *a)
{
    (void)a;
    PFLT_FILE_NAME_INFORMATION n;
    kf_set_irql(DISPATCH_LEVEL);
    (void)FltGetDestinationFileNameInformation(dest_inst, &file, NULL, L"x", 2, NORM, &n);
}
static void dest_foreign_instance(void *a)
{
    PFLT_FILE_NAME_INFORMATION n;
    (void)FltGetDestinationFileNameInformation(a, &file, NULL, L"x", 2, NORM, &n);
}

TEST(destination_arguments_and_failures)
{
    fx_fresh();
    dest_inst = fx_start();
    set_name(&file, L"\\dir\\old.txt");
    PFLT_FILE_NAME_INFORMATION n = (PFLT_FILE_NAME_INFORMATION)&related;
    CHECK_EQ(FltGetDestinationFileNameInformation(dest_inst, NULL, NULL, L"x", 2, NORM, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetDestinationFileNameInformation(dest_inst, &file, NULL, L"x", 2, NORM, NULL),
             STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltGetDestinationFileNameInformation(dest_inst, &file, NULL, NULL, 2, NORM, &n), STATUS_INVALID_PARAMETER);
    CHECK_EQ(dest(dest_inst, NULL, L"x", FLT_FILE_NAME_NORMALIZED | 0x7000, NULL), STATUS_INVALID_PARAMETER);
    /* The short format is not one this routine takes. */
    CHECK_EQ(dest(dest_inst, NULL, L"x", FLT_FILE_NAME_SHORT | FLT_FILE_NAME_QUERY_DEFAULT, NULL),
             STATUS_INVALID_PARAMETER);
    CHECK_EQ(dest(dest_inst, NULL, L"x", FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_CACHE_ONLY, NULL),
             STATUS_FLT_NAME_CACHE_MISS);
    /* An empty name, or a length that is no whole number of characters. */
    CHECK_EQ(FltGetDestinationFileNameInformation(dest_inst, &file, NULL, L"x", 0, NORM, &n), STATUS_OBJECT_NAME_INVALID);
    CHECK(n == NULL);
    CHECK_EQ(FltGetDestinationFileNameInformation(dest_inst, &file, NULL, L"xy", 3, NORM, &n),
             STATUS_OBJECT_NAME_INVALID);
    /* The file system cannot be asked: after cleanup, or with all APCs disabled. */
    file.Flags |= FO_CLEANUP_COMPLETE;
    CHECK_EQ(dest(dest_inst, NULL, L"x", NORM, NULL), STATUS_FLT_INVALID_NAME_REQUEST);
    CHECK_EQ(dest(dest_inst, NULL, L"x", FLT_FILE_NAME_NORMALIZED | FLT_FILE_NAME_QUERY_ALWAYS_ALLOW_CACHE_LOOKUP, NULL),
             STATUS_FLT_NAME_CACHE_MISS);
    file.Flags = 0;
    kf_set_irql(APC_LEVEL);
    CHECK_EQ(dest(dest_inst, NULL, L"x", NORM, NULL), STATUS_FLT_INVALID_NAME_REQUEST);
    kf_set_irql(PASSIVE_LEVEL);
    /* flt.name, consulted after every other check. */
    fx_fail_site(KF_SITE_FLT_NAME, 1, KF_FAULT_HARD);
    CHECK_EQ(dest(dest_inst, NULL, L"x", NORM, NULL), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_NAME), 1);
    fx_no_faults();
    CHECK(fx_bugcheck(dest_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    kf_set_irql(PASSIVE_LEVEL);
    int not_an_instance;
    CHECK(fx_violation(dest_foreign_instance, &not_an_instance, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK(fx_violation(dest_foreign_instance, NULL, KF_VIOL_FLT_INVALID_INSTANCE));
    CHECK_EQ(kf_flt_names_outstanding(), 0);
    CHECK(FltGetRoutineAddress("FltGetDestinationFileNameInformation") ==
          (PVOID)&FltGetDestinationFileNameInformation);
}

/* ---- Layout (fact sheet §3.2, §4.5: x64 offsets) --------------------------------------------- */
#include <stddef.h>
TEST(layout)
{
    if (sizeof(void *) == 8) {
        CHECK_EQ(sizeof(FLT_FILE_NAME_INFORMATION), 0x78);
        CHECK_EQ(offsetof(FLT_FILE_NAME_INFORMATION, Name), 0x08);
        CHECK_EQ(offsetof(FLT_FILE_NAME_INFORMATION, Volume), 0x18);
        CHECK_EQ(offsetof(FLT_FILE_NAME_INFORMATION, Stream), 0x48);
        CHECK_EQ(offsetof(FLT_FILE_NAME_INFORMATION, ParentDir), 0x68);
        CHECK_EQ(sizeof(FLT_VOLUME_PROPERTIES), 0x48);
    }
    CHECK_EQ(FltGetFileNameFormat(NORM | FLT_FILE_NAME_DO_NOT_CACHE), FLT_FILE_NAME_NORMALIZED);
    CHECK_EQ(FltGetFileNameQueryMethod(NORM | FLT_FILE_NAME_DO_NOT_CACHE), FLT_FILE_NAME_QUERY_DEFAULT);
}
