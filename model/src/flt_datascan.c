/*
 * flt_datascan.c - data-scan sections: FltRegisterForDataScan, FltCreateSectionForDataScan,
 * FltCloseSectionForDataScan, and what a scanner does with such a section: ZwOpenProcess of its
 * own process, ZwMapViewOfSection / ZwUnmapViewOfSection. Rules DS-1 to DS-10 of model/SEMANTICS.md.
 *
 * A section is an object of the Section type (object.c's table) with a handle; a view is host
 * memory holding the file's bytes as the modeled file system holds them when the view is mapped
 * (flt_file.c), read-only when the view is, so that a write through a read-only view faults as it
 * would on Windows. Conflict notifications (SectionNotificationCallback) are never sent: the model
 * has no cache whose purge an open section could block.
 *
 * Must never: dereference a context, file object or handle a driver hands in before finding it
 * among the live ones (flt_context.c, flt_file.c, object.c do the finding), or decide a failure
 * itself (site flt.section).
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define VIEW_PAGE 4096u
#define VIEW_GRANULARITY 0x10000u /* the allocation granularity a view's offset is rounded down to */
#define MAX_REGISTERED 64

/* The Section object type: ntddk's generic mapping of section rights. */
static struct _OBJECT_TYPE section_type = {"Section", NULL, {0x00020005, 0x00020002, 0x00020008, 0x000F001F},
                                           0x000F001F};

/* One section FltCreateSectionForDataScan created. */
typedef struct ds_section {
    struct ds_section *next;
    const void *context;          /* the section context (compared only) */
    const struct _FLT_INSTANCE *instance;
    const void *stream;           /* the file system's stream */
    void *object;                 /* the Section object */
    PFILE_OBJECT file_object;
    ULONG size;                   /* the file's size when the section was created */
    ULONG protection;             /* PAGE_READONLY or PAGE_READWRITE */
    BOOLEAN open;                 /* not yet closed by FltCloseSectionForDataScan */
} ds_section;

/* One mapped view. */
typedef struct ds_view {
    struct ds_view *next;
    void *process;
    void *object;                 /* the Section object the view references */
    UCHAR *base;
    SIZE_T length;
} ds_view;

static const struct _FLT_INSTANCE *registered[MAX_REGISTERED];
static ds_section *sections;
static ds_view *views;

static _Noreturn void bad_argument(const char *routine, unsigned position, const char *what)
    __attribute__((noreturn));
static void bad_argument(const char *routine, unsigned position, const char *what)
{
    kf_violation_stop(KF_VIOL_FLT_DATASCAN_BAD_ARGUMENT, routine, position, 0, 0, "%s: %s", routine, what);
}

/* DS-1: every data-scan routine exists from Windows 8, at IRQL <= APC_LEVEL. */
static void enter(const char *routine)
{
    const kf_profile *p = kf_current_profile();
    if (p->os < KF_OS_WIN8) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0,
                          "%s does not exist on %s (Windows 8 and later)", routine,
                          kf_profile_name(p, prof, sizeof prof));
    }
    kf__flt_require_irql(routine, APC_LEVEL);
}

static struct _FLT_INSTANCE *require_instance(const char *routine, PFLT_INSTANCE Instance)
{
    struct _FLT_INSTANCE *inst = kf__flt_find_instance(Instance);
    if (!inst)
        kf_violation_stop(KF_VIOL_FLT_INVALID_INSTANCE, routine, 0, 0, 0, "%s: Instance is not a live instance",
                          routine);
    return inst;
}

static BOOLEAN is_registered(const struct _FLT_INSTANCE *inst)
{
    for (int i = 0; i < MAX_REGISTERED; i++)
        if (registered[i] == inst)
            return TRUE;
    return FALSE;
}

/* DS-2: the named pipe and mailslot file systems keep no file data a section could map. */
static BOOLEAN volume_supports_scans(const struct _FLT_INSTANCE *inst)
{
    const kf_flt_volume *v = &inst->volume->config;
    return v->device_type != FILE_DEVICE_NAMED_PIPE && v->device_type != FILE_DEVICE_MAILSLOT &&
           v->filesystem_type != FLT_FSTYPE_NPFS && v->filesystem_type != FLT_FSTYPE_MSFS;
}

static BOOLEAN instance_going(const struct _FLT_INSTANCE *inst)
{
    return inst->state == FLT_INST_TEARDOWN || inst->marked_teardown || inst->filter->unregistering;
}

/* ---- DS-2 registration ------------------------------------------------------------------------ */

NTSTATUS FLTAPI FltRegisterForDataScan(PFLT_INSTANCE Instance)
{
    static const char routine[] = "FltRegisterForDataScan";
    enter(routine);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if (!volume_supports_scans(inst))
        return STATUS_NOT_SUPPORTED;
    if (is_registered(inst))
        return STATUS_SUCCESS;
    for (int i = 0; i < MAX_REGISTERED; i++)
        if (!registered[i]) {
            registered[i] = inst;
            return STATUS_SUCCESS;
        }
    return STATUS_INSUFFICIENT_RESOURCES; /* the model's bound: more instances than the volumes allow */
}

void kf__flt_datascan_instance_gone(const struct _FLT_INSTANCE *inst)
{
    for (int i = 0; i < MAX_REGISTERED; i++)
        if (registered[i] == inst)
            registered[i] = NULL;
    /* Its sections stay open (the driver still has to close them); they no longer name it. */
    for (ds_section *s = sections; s; s = s->next)
        if (s->instance == inst)
            s->instance = NULL;
}

/* ---- DS-3, DS-4 creating a section -------------------------------------------------------------- */

NTSTATUS FLTAPI FltCreateSectionForDataScan(PFLT_INSTANCE Instance, PFILE_OBJECT FileObject,
                                            PFLT_CONTEXT SectionContext, ACCESS_MASK DesiredAccess,
                                            POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize,
                                            ULONG SectionPageProtection,
                                            ULONG AllocationAttributes, ULONG Flags, PHANDLE SectionHandle,
                                            PVOID *SectionObject, PLARGE_INTEGER SectionFileSize)
{
    static const char routine[] = "FltCreateSectionForDataScan";
    (void)MaximumSize; /* reserved */
    (void)Flags;       /* reserved */
    enter(routine);
    struct _FLT_INSTANCE *inst = require_instance(routine, Instance);
    if (!FileObject)
        bad_argument(routine, 2, "FileObject is NULL");
    if (!SectionHandle)
        bad_argument(routine, 10, "SectionHandle is NULL");
    if (!SectionObject)
        bad_argument(routine, 11, "SectionObject is NULL");
    kf__flt_context_require_section(routine, SectionContext, inst->filter);
    if (kf__flt_context_section_state(SectionContext) == 1)
        kf_violation_stop(KF_VIOL_FLT_SECTION_CONTEXT_IN_USE, routine, 0, 0, 0,
                          "%s: the section context's section is still open (FltCloseSectionForDataScan first)",
                          routine);
    const void *stream;
    const UCHAR *data;
    ULONG size;
    BOOLEAN directory;
    int state = kf__flt_fs_stream(FileObject, &stream, &data, &size, &directory);
    if (state == KF__FO_UNKNOWN || state == KF__FO_NOT_OPEN)
        bad_argument(routine, 2, "FileObject is not an opened file object of the file system below");
    if (!volume_supports_scans(inst))
        return STATUS_NOT_SUPPORTED;
    if (!is_registered(inst))
        return STATUS_INVALID_PARAMETER; /* the instance did not register for data scans (DS-3) */
    if (SectionPageProtection != PAGE_READONLY && SectionPageProtection != PAGE_READWRITE)
        return STATUS_INVALID_PARAMETER_8;
    if (!(AllocationAttributes & SEC_COMMIT) || (AllocationAttributes & ~(ULONG)(SEC_COMMIT | SEC_FILE)))
        return STATUS_INVALID_PARAMETER_9;
    if (instance_going(inst))
        return STATUS_FLT_DELETING_OBJECT;
    if (!stream)
        return STATUS_INVALID_FILE_FOR_SECTION;
    if (directory)
        return STATUS_FILE_IS_A_DIRECTORY;
    if (size == 0)
        return STATUS_END_OF_FILE;
    for (ds_section *s = sections; s; s = s->next)
        if (s->open && s->instance == inst && s->stream == stream)
            return STATUS_FLT_CONTEXT_ALREADY_DEFINED;
    if (kf_fault_consult(KF_SITE_FLT_SECTION) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    ds_section *s = calloc(1, sizeof *s);
    void *object = s ? kf__object_create(&section_type, sizeof(ULONG_PTR), "Section") : NULL;
    if (!object) {
        free(s);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    HANDLE h;
    NTSTATUS st = kf__handle_create(object, kf__map_access(&section_type, DesiredAccess),
                                    ObjectAttributes ? ObjectAttributes->Attributes : 0, KernelMode, &h);
    if (!NT_SUCCESS(st)) {
        kf__object_deref(object);
        free(s);
        return st;
    }
    s->context = SectionContext;
    s->instance = inst;
    s->stream = stream;
    s->object = object;
    s->file_object = FileObject;
    s->size = size;
    s->protection = SectionPageProtection;
    s->open = TRUE;
    s->next = sections;
    sections = s;
    kf__flt_context_section_open(SectionContext, inst);
    kf_object_give_reference(object); /* DS-4: the caller's reference, dropped with ObDereferenceObject */
    *SectionHandle = h;
    *SectionObject = object;
    if (SectionFileSize)
        SectionFileSize->QuadPart = size;
    return STATUS_SUCCESS;
}

/* ---- DS-5 closing ------------------------------------------------------------------------------- */

static void close_section(ds_section *s)
{
    s->open = FALSE;
    kf__object_close_handles(s->object);
    kf__object_deref(s->object); /* the model's own reference; views and the caller's stay */
    kf__flt_context_section_closed(s->context);
}

NTSTATUS FLTAPI FltCloseSectionForDataScan(PFLT_CONTEXT SectionContext)
{
    static const char routine[] = "FltCloseSectionForDataScan";
    enter(routine);
    kf__flt_context_require_section(routine, SectionContext, NULL);
    int state = kf__flt_context_section_state(SectionContext);
    if (state == 0)
        return STATUS_INVALID_PARAMETER; /* never passed to FltCreateSectionForDataScan */
    if (state == 2)
        return STATUS_NOT_FOUND;
    for (ds_section *s = sections; s; s = s->next)
        if (s->open && s->context == SectionContext) {
            close_section(s);
            return STATUS_SUCCESS;
        }
    kf__flt_context_section_closed(SectionContext); /* not reached: an open state has its record */
    return STATUS_NOT_FOUND;
}

/* ---- DS-6 the process a scanner maps into ------------------------------------------------------- */

NTSTATUS NTAPI ZwOpenProcess(PHANDLE ProcessHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                             PCLIENT_ID ClientId)
{
    static const char routine[] = "ZwOpenProcess";
    kf__irql_passive(routine);
    if (!ProcessHandle)
        bad_argument(routine, 1, "ProcessHandle is NULL");
    if (!ObjectAttributes)
        bad_argument(routine, 3, "ObjectAttributes is NULL (it is required: InitializeObjectAttributes)");
    if (ObjectAttributes->ObjectName || !ClientId)
        return STATUS_INVALID_PARAMETER_MIX; /* a process is opened by its client id, never by name */
    void *process = kf__process_of_id((ULONG_PTR)ClientId->UniqueProcess);
    if (!process)
        return STATUS_INVALID_CID;
    if (ClientId->UniqueThread &&
        (ClientId->UniqueThread != PsGetCurrentThreadId() || process != kf__current_process()))
        return STATUS_INVALID_CID;
    return kf__handle_create(process, kf__map_access(&kf__type_process, DesiredAccess), ObjectAttributes->Attributes,
                             KernelMode, ProcessHandle);
}

/* ---- DS-7..DS-9 views ----------------------------------------------------------------------------- */

static ds_section *section_of(const void *object)
{
    for (ds_section *s = sections; s; s = s->next)
        if (s->object == object)
            return s;
    return NULL;
}

static BOOLEAN writable(ULONG protect) { return protect == PAGE_READWRITE || protect == PAGE_WRITECOPY; }

NTSTATUS NTAPI ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                  SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                                  SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)
{
    static const char routine[] = "ZwMapViewOfSection";
    (void)ZeroBits;
    (void)CommitSize; /* a mapped file's view is committed whole */
    kf__irql_passive(routine);
    if (!BaseAddress)
        bad_argument(routine, 3, "BaseAddress is NULL");
    if (!ViewSize)
        bad_argument(routine, 7, "ViewSize is NULL");
    ULONG protect = Win32Protect & 0xFF;
    if (protect != PAGE_READONLY && protect != PAGE_READWRITE && protect != PAGE_WRITECOPY &&
        protect != PAGE_NOACCESS)
        return STATUS_INVALID_PAGE_PROTECTION;
    void *object = NULL, *process = NULL;
    ACCESS_MASK want = writable(protect) && protect != PAGE_WRITECOPY ? SECTION_MAP_READ | SECTION_MAP_WRITE
                                                                       : SECTION_MAP_READ;
    NTSTATUS st = kf__handle_lookup(routine, SectionHandle, want, &section_type, KernelMode, 1, &object, NULL);
    if (!NT_SUCCESS(st))
        return st;
    st = kf__handle_lookup(routine, ProcessHandle, PROCESS_VM_OPERATION, &kf__type_process, KernelMode, 1, &process,
                           NULL);
    if (!NT_SUCCESS(st))
        return st;
    ds_section *s = section_of(object);
    if (!s)
        return STATUS_INVALID_HANDLE; /* not reached: only data-scan sections are Section objects */
    if (InheritDisposition != ViewShare && InheritDisposition != ViewUnmap)
        return STATUS_INVALID_PARAMETER_8;
    if (AllocationType & ~(ULONG)(MEM_RESERVE | MEM_TOP_DOWN | MEM_LARGE_PAGES))
        return STATUS_INVALID_PARAMETER_9;
    if (protect == PAGE_READWRITE && s->protection == PAGE_READONLY)
        return STATUS_SECTION_PROTECTION;
    if (*BaseAddress)
        return STATUS_CONFLICTING_ADDRESSES; /* DS-7: the model chooses every view's address */
    LONGLONG offset = SectionOffset ? SectionOffset->QuadPart : 0;
    if (offset < 0 || (ULONGLONG)offset >= s->size)
        return STATUS_INVALID_VIEW_SIZE;
    offset &= ~(LONGLONG)(VIEW_GRANULARITY - 1);
    SIZE_T rest = (SIZE_T)(s->size - (ULONG)offset);
    SIZE_T want_size = *ViewSize ? *ViewSize : rest;
    if (want_size > rest)
        return STATUS_INVALID_VIEW_SIZE;
    SIZE_T length = (want_size + VIEW_PAGE - 1) / VIEW_PAGE * VIEW_PAGE;
    if (kf_fault_consult(KF_SITE_FLT_SECTION) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    ds_view *v = calloc(1, sizeof *v);
    void *base = v ? mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
    if (base == MAP_FAILED) {
        free(v);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* DS-8: the bytes the file holds now; past its end, zeros up to the page. */
    const void *stream;
    const UCHAR *data = NULL;
    ULONG size = 0;
    BOOLEAN directory;
    kf__flt_fs_stream(s->file_object, &stream, &data, &size, &directory);
    if (stream == s->stream && data && (ULONGLONG)offset < size) {
        SIZE_T n = size - (ULONG)offset;
        memcpy(base, data + offset, n < want_size ? n : want_size);
    }
    if (!writable(protect))
        mprotect(base, length, protect == PAGE_NOACCESS ? PROT_NONE : PROT_READ);
    v->process = process;
    v->object = object;
    v->base = base;
    v->length = length;
    v->next = views;
    views = v;
    kf_object_give_reference(object); /* DS-9: the view holds the section until it is unmapped */
    if (SectionOffset)
        SectionOffset->QuadPart = offset;
    *BaseAddress = base;
    *ViewSize = length;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)
{
    static const char routine[] = "ZwUnmapViewOfSection";
    kf__irql_passive(routine);
    void *process = NULL;
    NTSTATUS st = kf__handle_lookup(routine, ProcessHandle, PROCESS_VM_OPERATION, &kf__type_process, KernelMode, 1,
                                    &process, NULL);
    if (!NT_SUCCESS(st))
        return st;
    for (ds_view **pp = &views; *pp; pp = &(*pp)->next) {
        ds_view *v = *pp;
        if (v->process == process && (UCHAR *)BaseAddress >= v->base && (UCHAR *)BaseAddress < v->base + v->length) {
            *pp = v->next;
            munmap(v->base, v->length);
            void *object = v->object;
            free(v);
            ObfDereferenceObject(object);
            return STATUS_SUCCESS;
        }
    }
    return STATUS_NOT_MAPPED_VIEW;
}

/* ---- DS-10 what is left ------------------------------------------------------------------------- */

void kf_flt_sections_left(size_t *open_sections, size_t *mapped_views)
{
    size_t n = 0, m = 0;
    for (ds_section *s = sections; s; s = s->next)
        n += s->open != 0;
    for (ds_view *v = views; v; v = v->next)
        m++;
    if (open_sections)
        *open_sections = n;
    if (mapped_views)
        *mapped_views = m;
}

static size_t sections_outstanding(void)
{
    size_t n, m;
    kf_flt_sections_left(&n, &m);
    return n;
}

static size_t views_outstanding(void)
{
    size_t n, m;
    kf_flt_sections_left(&n, &m);
    return m;
}

static void datascan_reset(void)
{
    /* Forget, never dereference: the object part's reset frees the objects. */
    while (views) {
        ds_view *v = views;
        views = v->next;
        munmap(v->base, v->length);
        free(v);
    }
    while (sections) {
        ds_section *s = sections;
        sections = s->next;
        free(s);
    }
    memset(registered, 0, sizeof registered);
}

__attribute__((constructor)) static void datascan_register(void)
{
    kf__register_reset(datascan_reset);
    kf__flt_sections_outstanding = sections_outstanding;
    kf__flt_views_outstanding = views_outstanding;
}
