/*
 * object.c - the object manager a driver meets: object types, reference counts, handle
 * tables (kernel handles and the handles of the system process and of a user process),
 * ObReference* / ObDereference*, ObReferenceObjectByHandle, ObOpenObjectByPointer, ZwClose,
 * NtClose. Implements SEMANTICS.md rules B-1 to B-14.
 *
 * Objects are known by address in a table: the model never reads through a pointer a driver
 * hands in (PsGetCurrentThread's value is a modeled address that no memory backs). Handle
 * values are counters (multiples of 4; kernel handles carry the high bit as Windows shows
 * them), never host addresses, and are never reused within a run, so that every use of a
 * closed handle is seen. Must never decide a failure itself: only site ob.handle fails.
 */
#include "internal.h"
#include <wdm.h>

#include <stdlib.h>

/* ---- Object types ------------------------------------------------------------------------ */

#define ALLF 0x001F01FF /* FILE_ALL_ACCESS */
struct _OBJECT_TYPE kf__type_file = {"File", NULL, {0x00120089, 0x00120116, 0x001200A0, ALLF}, ALLF};
struct _OBJECT_TYPE kf__type_device = {"Device", NULL, {0x00120089, 0x00120116, 0x001200A0, ALLF}, ALLF};
struct _OBJECT_TYPE kf__type_driver = {"Driver", NULL, {0x00020000, 0x00020000, 0x00020000, 0x001F0001},
                                       0x001F0001};
struct _OBJECT_TYPE kf__type_process = {"Process", NULL, {0x00020410, 0x00020BEA, 0x00121000, 0x001FFFFF},
                                        0x001FFFFF};
struct _OBJECT_TYPE kf__type_thread = {"Thread", NULL, {0x00020048, 0x00020037, 0x00121000, 0x001FFFFF},
                                       0x001FFFFF};
struct _OBJECT_TYPE kf__type_event = {"Event", NULL, {0x00020001, 0x00020002, 0x00100000, 0x001F0003},
                                      0x001F0003};
struct _OBJECT_TYPE kf__type_semaphore = {"Semaphore", NULL, {0x00020001, 0x00020002, 0x00100000, 0x001F0003},
                                          0x001F0003};
struct _OBJECT_TYPE kf__type_token = {"Token", NULL, {0x00020008, 0x000200E0, 0x00020000, 0x000F01FF},
                                      0x000F01FF};
/* The key type's delete procedure belongs to the registry (registry.c sets it). */
struct _OBJECT_TYPE kf__type_key = {"Key", NULL, {0x00020019, 0x00020006, 0x00020019, 0x000F003F}, 0x000F003F};

static POBJECT_TYPE file_type = &kf__type_file, device_type = &kf__type_device, driver_type = &kf__type_driver,
                    process_type = &kf__type_process, thread_type = &kf__type_thread,
                    event_type = &kf__type_event, semaphore_type = &kf__type_semaphore,
                    token_type = &kf__type_token, key_type = &kf__type_key;
POBJECT_TYPE *IoFileObjectType = &file_type;
POBJECT_TYPE *IoDeviceObjectType = &device_type;
POBJECT_TYPE *IoDriverObjectType = &driver_type;
POBJECT_TYPE *PsProcessType = &process_type;
POBJECT_TYPE *PsThreadType = &thread_type;
POBJECT_TYPE *ExEventObjectType = &event_type;
POBJECT_TYPE *ExSemaphoreObjectType = &semaphore_type;
POBJECT_TYPE *SeTokenObjectType = &token_type;
POBJECT_TYPE *CmKeyObjectType = &key_type;
/* Transactions (ktmtypes.h's rights): the type of the transaction objects flt_txn.c creates
 * (SEMANTICS.md FO-10, FT-2). */
static struct _OBJECT_TYPE type_transaction = {"TmTx", NULL, {0x00120001, 0x0012003E, 0x00120018, 0x001F003F},
                                            0x001F003F};
static POBJECT_TYPE transaction_type = &type_transaction;
POBJECT_TYPE *TmTransactionObjectType = &transaction_type;

ACCESS_MASK kf__map_access(const struct _OBJECT_TYPE *type, ACCESS_MASK desired)
{
    ACCESS_MASK m = desired & ~(ACCESS_MASK)(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL |
                                             MAXIMUM_ALLOWED);
    if (!type)
        return m;
    if (desired & GENERIC_READ)
        m |= type->generic[0];
    if (desired & GENERIC_WRITE)
        m |= type->generic[1];
    if (desired & GENERIC_EXECUTE)
        m |= type->generic[2];
    if (desired & GENERIC_ALL)
        m |= type->generic[3];
    if (desired & MAXIMUM_ALLOWED)
        m |= type->all_access;
    return m;
}

/* ---- The object table ---------------------------------------------------------------------- */

enum { REC_OWNED, REC_PERMANENT, REC_FOREIGN, REC_DELETED };

typedef struct obrec {
    struct obrec *next;      /* bucket chain */
    ULONG_PTR addr;          /* the pointer drivers see */
    struct _OBJECT_TYPE *type; /* NULL: not known (a foreign object) */
    long refs;               /* every reference, handles included */
    long model_refs;         /* held by the model itself */
    long handles;            /* open handles */
    int kind;
    unsigned serial;         /* #n in reports, in creation order within a run */
} obrec;

#define NBUCKETS 1024u
static obrec *buckets[NBUCKETS];
static size_t n_records; /* records in the buckets: the leak count skips an empty table */
static unsigned serials;
static int user_context;
static int strict_access;

/* Modeled addresses of the two processes (nothing backs them). */
#define SYSTEM_PROCESS ((ULONG_PTR)0xFFFFC08000000300ull)
#define USER_PROCESS ((ULONG_PTR)0xFFFFC08000002300ull)

static size_t bucket_of(ULONG_PTR a) { return (size_t)((a >> 4) ^ (a >> 16)) & (NBUCKETS - 1); }

static obrec *find(ULONG_PTR a)
{
    for (obrec *r = buckets[bucket_of(a)]; r; r = r->next)
        if (r->addr == a)
            return r;
    return NULL;
}

static obrec *insert(ULONG_PTR a, struct _OBJECT_TYPE *type, int kind)
{
    obrec *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "kfault: out of host memory for the object table\n");
        abort();
    }
    r->addr = a;
    r->type = type;
    r->kind = kind;
    r->serial = ++serials;
    size_t b = bucket_of(a);
    r->next = buckets[b];
    buckets[b] = r;
    n_records++;
    return r;
}

static void unlink_rec(obrec *gone)
{
    for (obrec **p = &buckets[bucket_of(gone->addr)]; *p; p = &(*p)->next)
        if (*p == gone) {
            *p = gone->next;
            free(gone);
            n_records--;
            return;
        }
}

/* The record of an address a driver handed in: the modeled process and thread are permanent
 * objects known from first sight; any other unknown address is a foreign object. */
static obrec *record_of(ULONG_PTR a)
{
    obrec *r = find(a);
    if (r)
        return r;
    if (a == SYSTEM_PROCESS || a == USER_PROCESS || a == (ULONG_PTR)PsGetCurrentThread()) {
        r = insert(a, a == (ULONG_PTR)PsGetCurrentThread() ? &kf__type_thread : &kf__type_process, REC_PERMANENT);
        r->refs = r->model_refs = 1;
        return r;
    }
    return insert(a, NULL, REC_FOREIGN);
}

void *kf__current_process(void) { return (void *)(user_context ? USER_PROCESS : SYSTEM_PROCESS); }
void *kf__current_thread(void) { return (void *)PsGetCurrentThread(); }

void *kf__object_create(struct _OBJECT_TYPE *type, size_t size, const char *name)
{
    (void)name;
    void *body = calloc(1, size ? size : 1);
    if (!body)
        return NULL;
    obrec *old = find((ULONG_PTR)body);
    if (old) /* a deleted object's address handed out again by the host */
        unlink_rec(old);
    obrec *r = insert((ULONG_PTR)body, type, REC_OWNED);
    r->refs = r->model_refs = 1;
    return body;
}

static void drop(obrec *r)
{
    r->refs--;
    if (r->refs == 0 && r->kind == REC_OWNED) {
        void *body = (void *)r->addr;
        r->kind = REC_DELETED;
        if (r->type && r->type->delete_fn)
            r->type->delete_fn(body);
        free(body);
    }
}

void kf__object_ref(void *object)
{
    obrec *r = find((ULONG_PTR)object);
    if (r && r->kind != REC_DELETED) {
        r->refs++;
        r->model_refs++;
    }
}

void kf__object_deref(void *object)
{
    obrec *r = find((ULONG_PTR)object);
    if (r && r->kind != REC_DELETED && r->model_refs > 0) {
        r->model_refs--;
        drop(r);
    }
}

void kf__object_give(void *object)
{
    obrec *r = find((ULONG_PTR)object);
    if (r && r->model_refs > 0)
        r->model_refs--;
}

struct _OBJECT_TYPE *kf__object_type(const void *object)
{
    obrec *r = find((ULONG_PTR)object);
    return r && r->kind != REC_DELETED ? r->type : NULL;
}

void kf_object_give_reference(void *object)
{
    if (!object)
        return;
    obrec *r = record_of((ULONG_PTR)object);
    if (r->kind != REC_DELETED)
        r->refs++;
}

void kf_set_user_process_context(BOOLEAN user) { user_context = user != 0; }
void kf_set_strict_handle_access(BOOLEAN strict) { strict_access = strict != 0; }
int kf__strict_handle_access(void) { return strict_access; }
int kf__user_context(void) { return user_context; }

/* ---- IRQL ----------------------------------------------------------------------------------- */

/* PASSIVE_LEVEL routines (B-12): pageable code at DISPATCH_LEVEL or above is the bug check
 * 0xA of a paged-out page; at APC_LEVEL it runs but breaks the DDI rule. */
static void irql_passive(const char *routine)
{
    KIRQL irql = KeGetCurrentIrql();
    kf__irql_at_most(routine, APC_LEVEL);
    if (irql == APC_LEVEL)
        kf_violation_stop(KF_VIOL_OB_PASSIVE_AT_APC, routine, irql, 0, 0,
                          "%s called at APC_LEVEL; it requires PASSIVE_LEVEL", routine);
}

void kf__irql_passive(const char *routine) { irql_passive(routine); }

/* ---- References ----------------------------------------------------------------------------- */

static obrec *checked_record(const char *routine, PVOID object)
{
    if (!object)
        kf_violation_stop(KF_VIOL_OB_NULL_ARGUMENT, routine, 0, 0, 0, "%s(NULL): the object is required", routine);
    obrec *r = record_of((ULONG_PTR)object);
    if (r->kind == REC_DELETED)
        kf_violation_stop(KF_VIOL_OB_DELETED_OBJECT, routine, r->serial, 0, 0,
                          "%s on object #%u (%s), which was deleted when its last reference went", routine,
                          r->serial, r->type ? r->type->name : "?");
    return r;
}

static LONG_PTR reference(const char *routine, PVOID object)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    obrec *r = checked_record(routine, object);
    r->refs++;
    return r->refs;
}

static LONG_PTR dereference(const char *routine, PVOID object)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    obrec *r = checked_record(routine, object);
    long held = r->refs - r->model_refs - r->handles;
    if (held <= 0)
        kf_violation_stop(KF_VIOL_OB_DEREF_UNHELD, routine, r->serial, (ULONG_PTR)r->refs, 0,
                          "%s on object #%u (%s) drops a reference the driver does not hold (it holds %ld; "
                          "%ld are the system's or its handles')",
                          routine, r->serial, r->type ? r->type->name : "not created by the model",
                          held < 0 ? 0L : held, r->refs);
    drop(r);
    return r->kind == REC_DELETED ? 0 : r->refs;
}

LONG_PTR FASTCALL ObfReferenceObject(PVOID Object) { return reference("ObfReferenceObject", Object); }
LONG_PTR FASTCALL ObfDereferenceObject(PVOID Object) { return dereference("ObfDereferenceObject", Object); }
LONG_PTR FASTCALL ObfReferenceObjectWithTag(PVOID Object, ULONG Tag)
{
    (void)Tag;
    return reference("ObfReferenceObjectWithTag", Object);
}
LONG_PTR FASTCALL ObfDereferenceObjectWithTag(PVOID Object, ULONG Tag)
{
    (void)Tag;
    return dereference("ObfDereferenceObjectWithTag", Object);
}
VOID ObDereferenceObjectDeferDelete(PVOID Object) { (void)dereference("ObDereferenceObjectDeferDelete", Object); }
VOID ObDereferenceObjectDeferDeleteWithTag(PVOID Object, ULONG Tag)
{
    (void)Tag;
    (void)dereference("ObDereferenceObjectDeferDeleteWithTag", Object);
}

static NTSTATUS by_pointer(const char *routine, PVOID Object, POBJECT_TYPE ObjectType)
{
    kf__irql_at_most(routine, DISPATCH_LEVEL);
    obrec *r = checked_record(routine, Object);
    if (ObjectType && r->type && r->type != ObjectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    r->refs++;
    return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                    KPROCESSOR_MODE AccessMode)
{
    (void)DesiredAccess;
    (void)AccessMode;
    return by_pointer("ObReferenceObjectByPointer", Object, ObjectType);
}

NTSTATUS ObReferenceObjectByPointerWithTag(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                           KPROCESSOR_MODE AccessMode, ULONG Tag)
{
    (void)DesiredAccess;
    (void)AccessMode;
    (void)Tag;
    return by_pointer("ObReferenceObjectByPointerWithTag", Object, ObjectType);
}

/* ---- Handle tables ---------------------------------------------------------------------------- */

enum { TABLE_KERNEL, TABLE_SYSTEM, TABLE_USER, TABLES };

typedef struct hentry {
    obrec *obj;
    ACCESS_MASK granted;
    ULONG attributes;
    int open;
} hentry;

typedef struct htable {
    hentry *e;
    size_t n, cap;
} htable;

static htable tables[TABLES];

#define KERNEL_BIT ((ULONG_PTR)0x80000000u)
/* A kernel handle as Windows shows it on 64-bit: bit 31 set and sign-extended. */
static ULONG_PTR kernel_value(size_t index)
{
    return (ULONG_PTR)(LONG_PTR)(LONG)(ULONG)(KERNEL_BIT | ((index + 1) * 4));
}

static int is_kernel_value(ULONG_PTR v)
{
    return (LONG_PTR)v == (LONG_PTR)(LONG)(ULONG)(v & 0xFFFFFFFFu) && (v & KERNEL_BIT);
}

static int current_table(void) { return user_context ? TABLE_USER : TABLE_SYSTEM; }

NTSTATUS kf__handle_create(void *object, ACCESS_MASK granted, ULONG attributes, KPROCESSOR_MODE mode,
                           HANDLE *out)
{
    obrec *r = record_of((ULONG_PTR)object);
    if (r->kind == REC_DELETED)
        kf_violation_stop(KF_VIOL_OB_DELETED_OBJECT, "ObOpenObjectByPointer", r->serial, 0, 0,
                          "a handle to object #%u, which was already deleted", r->serial);
    if (kf_fault_consult(KF_SITE_OB_HANDLE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    int k = ((attributes & OBJ_KERNEL_HANDLE) && mode == KernelMode) ? TABLE_KERNEL : current_table();
    htable *t = &tables[k];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        hentry *e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return STATUS_INSUFFICIENT_RESOURCES;
        t->e = e;
        t->cap = cap;
    }
    hentry *e = &t->e[t->n];
    e->obj = r;
    e->granted = granted;
    e->attributes = attributes & OBJ_INHERIT; /* what a handle entry keeps (HandleAttributes) */
    e->open = 1;
    r->refs++;
    r->handles++;
    *out = (HANDLE)(k == TABLE_KERNEL ? kernel_value(t->n) : (ULONG_PTR)((t->n + 1) * 4));
    t->n++;
    return STATUS_SUCCESS;
}

/* The entry a handle value names in table k, or NULL; *was_issued tells whether the value was
 * ever handed out in this run (then it was closed since). The low two bits are ignored, as
 * Windows' handle tables do. */
static hentry *entry_of(int k, ULONG_PTR v, int *was_issued)
{
    ULONG_PTR slot = (v & 0x7FFFFFFCu) / 4;
    *was_issued = 0;
    if (slot == 0 || slot > tables[k].n)
        return NULL;
    *was_issued = 1;
    hentry *e = &tables[k].e[slot - 1];
    return e->open ? e : NULL;
}

enum { LOOKUP_ZW = 0, LOOKUP_DRIVER = 1 };

static NTSTATUS lookup(const char *routine, HANDLE handle, ACCESS_MASK desired, struct _OBJECT_TYPE *type,
                       KPROCESSOR_MODE mode, int check_access, int who, obrec **obj, ACCESS_MASK *granted,
                       ULONG *attributes)
{
    ULONG_PTR v = (ULONG_PTR)handle;
    obrec *r;
    ACCESS_MASK g;
    ULONG attr = 0;
    if (handle == NtCurrentProcess() || handle == NtCurrentThread()) {
        r = record_of(handle == NtCurrentProcess() ? (ULONG_PTR)kf__current_process() : (ULONG_PTR)PsGetCurrentThread());
        g = r->type->all_access;
    } else if (!handle) {
        if (who == LOOKUP_DRIVER && mode == KernelMode)
            kf_violation_stop(KF_VIOL_OB_NULL_HANDLE, routine, 0, 0, 0, "%s with a NULL handle and AccessMode KernelMode",
                              routine);
        return STATUS_INVALID_HANDLE;
    } else {
        int k, issued;
        if (is_kernel_value(v)) {
            if (mode == UserMode)
                return STATUS_INVALID_HANDLE; /* user mode never sees kernel handles */
            k = TABLE_KERNEL;
        } else if ((LONG_PTR)v < 0 || v > 0x7FFFFFFFu) {
            k = -1;
        } else {
            if (who == LOOKUP_DRIVER && mode == KernelMode && user_context)
                kf_violation_stop(KF_VIOL_OB_USER_HANDLE_AS_KERNEL, routine, v, 0, 0,
                                  "%s with the user-mode handle 0x%llx and AccessMode KernelMode in a user "
                                  "process",
                                  routine, (unsigned long long)v);
            k = current_table();
        }
        hentry *e = k < 0 ? NULL : entry_of(k, v, &issued);
        if (!e) {
            if (k >= 0 && issued && mode == KernelMode)
                kf_violation_stop(KF_VIOL_OB_HANDLE_AFTER_CLOSE, routine, v, 0, 0,
                                  "%s with handle 0x%llx, which the driver already closed", routine,
                                  (unsigned long long)v);
            if (who == LOOKUP_DRIVER && mode == KernelMode)
                kf_violation_stop(KF_VIOL_OB_BAD_HANDLE, routine, v, 0, 0,
                                  "%s with handle 0x%llx, which is not open %s, and AccessMode KernelMode",
                                  routine, (unsigned long long)v,
                                  k == TABLE_KERNEL ? "in the kernel handle table" : "in the current process");
            return STATUS_INVALID_HANDLE;
        }
        r = e->obj;
        g = e->granted;
        attr = e->attributes;
    }
    if (type && r->type && r->type != type)
        return STATUS_OBJECT_TYPE_MISMATCH;
    if (check_access) {
        ACCESS_MASK want = kf__map_access(r->type, desired & ~(ACCESS_MASK)MAXIMUM_ALLOWED);
        if (want & ~g)
            return STATUS_ACCESS_DENIED;
    }
    *obj = r;
    if (granted)
        *granted = g;
    if (attributes)
        *attributes = attr;
    return STATUS_SUCCESS;
}

NTSTATUS kf__handle_lookup(const char *routine, HANDLE handle, ACCESS_MASK desired, struct _OBJECT_TYPE *type,
                           KPROCESSOR_MODE mode, int check_access, void **object, ACCESS_MASK *granted)
{
    obrec *r = NULL;
    NTSTATUS s = lookup(routine, handle, desired, type, mode, check_access, LOOKUP_ZW, &r, granted, NULL);
    if (NT_SUCCESS(s))
        *object = (void *)r->addr;
    return s;
}

static NTSTATUS by_handle(const char *routine, HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                          KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)
{
    irql_passive(routine);
    if (!Object)
        kf_violation_stop(KF_VIOL_OB_NULL_ARGUMENT, routine, 0, 0, 0, "%s: Object (the output pointer) is NULL",
                          routine);
    obrec *r = NULL;
    ACCESS_MASK granted = 0;
    ULONG attr = 0;
    *Object = NULL;
    NTSTATUS s = lookup(routine, Handle, DesiredAccess, ObjectType, AccessMode, AccessMode != KernelMode,
                        LOOKUP_DRIVER, &r, &granted, &attr);
    if (!NT_SUCCESS(s))
        return s;
    r->refs++;
    *Object = (PVOID)r->addr;
    if (HandleInformation) {
        HandleInformation->HandleAttributes = attr;
        HandleInformation->GrantedAccess = granted;
    }
    return STATUS_SUCCESS;
}

NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                   KPROCESSOR_MODE AccessMode, PVOID *Object,
                                   POBJECT_HANDLE_INFORMATION HandleInformation)
{
    return by_handle("ObReferenceObjectByHandle", Handle, DesiredAccess, ObjectType, AccessMode, Object,
                     HandleInformation);
}

NTSTATUS ObReferenceObjectByHandleWithTag(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                                          KPROCESSOR_MODE AccessMode, ULONG Tag, PVOID *Object,
                                          POBJECT_HANDLE_INFORMATION HandleInformation)
{
    (void)Tag;
    return by_handle("ObReferenceObjectByHandleWithTag", Handle, DesiredAccess, ObjectType, AccessMode, Object,
                     HandleInformation);
}

NTSTATUS ObOpenObjectByPointer(PVOID Object, ULONG HandleAttributes, PACCESS_STATE PassedAccessState,
                               ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                               PHANDLE Handle)
{
    static const char routine[] = "ObOpenObjectByPointer";
    irql_passive(routine);
    if (!Handle)
        kf_violation_stop(KF_VIOL_OB_NULL_ARGUMENT, routine, 0, 0, 0, "%s: Handle (the output pointer) is NULL",
                          routine);
    obrec *r = checked_record(routine, Object);
    if (PassedAccessState)
        kf__not_modeled("ObOpenObjectByPointer with a PassedAccessState");
    *Handle = NULL;
    if (HandleAttributes & ~(ULONG)OBJ_VALID_ATTRIBUTES)
        return STATUS_INVALID_PARAMETER;
    if (ObjectType && r->type && r->type != ObjectType)
        return STATUS_OBJECT_TYPE_MISMATCH;
    HANDLE h;
    NTSTATUS s = kf__handle_create(Object, kf__map_access(r->type ? r->type : ObjectType, DesiredAccess),
                                   HandleAttributes, AccessMode, &h);
    if (NT_SUCCESS(s))
        *Handle = h;
    return s;
}

/* ---- Closing ---------------------------------------------------------------------------------- */

static NTSTATUS close_handle(const char *routine, HANDLE Handle, KPROCESSOR_MODE previous)
{
    irql_passive(routine);
    ULONG_PTR v = (ULONG_PTR)Handle;
    if (!Handle)
        return STATUS_INVALID_HANDLE;
    int k, issued = 0;
    if (is_kernel_value(v))
        k = previous == KernelMode ? TABLE_KERNEL : -1;
    else if ((LONG_PTR)v < 0 || v > 0x7FFFFFFFu)
        k = -1;
    else
        k = current_table();
    hentry *e = k < 0 ? NULL : entry_of(k, v, &issued);
    if (!e) {
        if (previous == KernelMode)
            kf_bugcheck(routine, INVALID_KERNEL_HANDLE, v, 1, 0, 0,
                        "%s(0x%llx) from kernel mode: the handle is not open (%s)", routine,
                        (unsigned long long)v, issued ? "already closed" : "never opened in this table");
        return STATUS_INVALID_HANDLE;
    }
    obrec *r = e->obj;
    e->open = 0;
    r->handles--;
    drop(r);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwClose(HANDLE Handle) { return close_handle("ZwClose", Handle, KernelMode); }

/* NtClose keeps the thread's previous mode: kernel in the system process's threads, user in a
 * request that came from a user process. */
NTSTATUS NTAPI NtClose(HANDLE Handle) { return close_handle("NtClose", Handle, user_context ? UserMode : KernelMode); }

/* ---- What the data-scan sections ask (flt_datascan.c, SEMANTICS.md DS-*) ---------------------- */

/* The modeled process whose id is `id` (4: the System process; the user process's id), or NULL. */
void *kf__process_of_id(ULONG_PTR id)
{
    if (id == 4u)
        return (void *)SYSTEM_PROCESS;
    if (id == KF__USER_PROCESS_ID)
        return (void *)USER_PROCESS;
    return NULL;
}

/* Closes every open handle to `object`, in any table, as the owner of the object closes its own
 * handles (no stop: the caller knows the object); returns how many it closed. */
size_t kf__object_close_handles(void *object)
{
    size_t n = 0;
    obrec *r = find((ULONG_PTR)object);
    for (int k = 0; r && k < TABLES; k++)
        for (size_t i = 0; i < tables[k].n && r->handles > 0; i++) {
            hentry *e = &tables[k].e[i];
            if (e->open && e->obj == r) {
                e->open = 0;
                r->handles--;
                n++;
                drop(r);
            }
        }
    return n;
}

/* ---- Leaks and reset ---------------------------------------------------------------------------- */

KF__NO_COVERAGE void kf__object_leaks(size_t *handles, size_t *objects)
{
    size_t h = 0, o = 0;
    for (int k = 0; k < TABLES; k++)
        for (size_t i = 0; i < tables[k].n; i++)
            h += tables[k].e[i].open != 0;
    for (size_t b = 0; n_records && b < NBUCKETS; b++)
        for (obrec *r = buckets[b]; r; r = r->next)
            if (r->kind != REC_DELETED) {
                long held = r->refs - r->model_refs - r->handles;
                if (held > 0)
                    o += (size_t)held;
            }
    *handles = h;
    *objects = o;
}

static void object_reset(void)
{
    for (int k = 0; k < TABLES; k++) {
        free(tables[k].e);
        tables[k].e = NULL;
        tables[k].n = tables[k].cap = 0;
    }
    for (size_t b = 0; n_records && b < NBUCKETS; b++) {
        obrec *r = buckets[b];
        while (r) {
            obrec *next = r->next;
            if (r->kind == REC_OWNED)
                free((void *)r->addr);
            free(r);
            r = next;
        }
        buckets[b] = NULL;
    }
    n_records = 0;
    serials = 0;
    user_context = 0;
    strict_access = 0;
}

__attribute__((constructor)) static void object_register(void) { kf__register_reset(object_reset); }

/* ---- What Filter Manager's dispatch asks (flt_dispatch.c, SEMANTICS.md FD-*) --------------- */
long kf__object_other_refs(const void *object)
{
    obrec *r = find((ULONG_PTR)object);
    return r && r->kind != REC_DELETED ? r->refs - r->model_refs : 0;
}
