/*
 * registry.c - the registry a driver meets: an in-memory key tree under \Registry, filled by
 * the harness (kf_registry_set_value) and by the driver (ZwCreateKey, ZwSetValueKey,
 * RtlWriteRegistryValue), read with ZwOpenKey(Ex), ZwQueryValueKey, ZwEnumerate*Key, ZwQueryKey,
 * RtlQueryRegistryValues, RtlCheckRegistryKey, IoOpenDriverRegistryKey. Key handles come from
 * the object part (object.c) and are closed with ZwClose. Implements SEMANTICS.md G-1 to G-19.
 *
 * Names compare case-insensitively with ASCII folding (a-z only). Values keep the order they
 * were created in; subkeys enumerate in name order. Every key, value, key object and handle
 * a driver's call creates consults a fault site; the harness's own filling consults none.
 * Must never write more than Length bytes into a caller's buffer, nor read a value's data
 * beyond its size.
 */
#include "internal.h"
#include <wdm.h>

#include <stdlib.h>

#define STATUS_OBJECT_PATH_SYNTAX_BAD_ ((NTSTATUS)0xC000003BL)
#define STATUS_CHILD_MUST_BE_VOLATILE_ ((NTSTATUS)0xC0000181L)

/* ---- The tree ----------------------------------------------------------------------------- */

typedef struct kvalue {
    struct kvalue *next;
    WCHAR *name;
    USHORT nlen; /* characters */
    ULONG type;
    UCHAR *data;
    ULONG size;
} kvalue;

typedef struct knode {
    struct knode *parent, *child, *sibling; /* children sorted by folded name */
    WCHAR *name;
    USHORT nlen;
    WCHAR *cls;
    USHORT clen;
    kvalue *values;
    long refs; /* 1 while in the tree, 1 per key object */
    int deleted, is_volatile;
    ULONG stamp;
} knode;

typedef struct keybody {
    knode *node;
} keybody;

static knode *root;
static knode *detached; /* deleted keys still open, chained through sibling */
static ULONG stamps;
static char service_name[256];

static WCHAR fold(WCHAR c) { return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 'a' + 'A') : c; }

static int cmp_ci(const WCHAR *a, size_t an, const WCHAR *b, size_t bn)
{
    for (size_t i = 0; i < an && i < bn; i++) {
        WCHAR x = fold(a[i]), y = fold(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : (an < bn ? -1 : 1);
}

static WCHAR *wdup(const WCHAR *s, size_t n)
{
    WCHAR *d = malloc((n ? n : 1) * sizeof(WCHAR));
    if (d && n)
        memcpy(d, s, n * sizeof(WCHAR));
    return d;
}

static void free_values(knode *k)
{
    while (k->values) {
        kvalue *v = k->values;
        k->values = v->next;
        free(v->name);
        free(v->data);
        free(v);
    }
}

static void free_node(knode *k)
{
    free_values(k);
    free(k->name);
    free(k->cls);
    free(k);
}

static void free_tree(knode *k)
{
    while (k) {
        knode *next = k->sibling;
        free_tree(k->child);
        free_node(k);
        k = next;
    }
}

static knode *new_node(knode *parent, const WCHAR *name, size_t n)
{
    knode *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->name = wdup(name, n);
    if (!k->name) {
        free(k);
        return NULL;
    }
    k->nlen = (USHORT)n;
    k->refs = 1;
    k->stamp = ++stamps;
    k->parent = parent;
    if (parent) {
        knode **p = &parent->child;
        while (*p && cmp_ci((*p)->name, (*p)->nlen, name, n) < 0)
            p = &(*p)->sibling;
        k->sibling = *p;
        *p = k;
        parent->stamp = ++stamps;
    }
    return k;
}

static knode *registry_root(void)
{
    if (!root) {
        static const WCHAR r[] = {'R', 'E', 'G', 'I', 'S', 'T', 'R', 'Y'};
        static const WCHAR m[] = {'M', 'A', 'C', 'H', 'I', 'N', 'E'};
        static const WCHAR u[] = {'U', 'S', 'E', 'R'};
        root = new_node(NULL, r, 8);
        if (!root || !new_node(root, m, 7) || !new_node(root, u, 4)) {
            fprintf(stderr, "kfault: out of host memory for the registry\n");
            abort();
        }
    }
    return root;
}

static knode *child_of(knode *k, const WCHAR *name, size_t n)
{
    for (knode *c = k->child; c; c = c->sibling)
        if (!cmp_ci(c->name, c->nlen, name, n))
            return c;
    return NULL;
}

static kvalue *value_of(knode *k, const WCHAR *name, size_t n, kvalue ***link)
{
    for (kvalue **p = &k->values; *p; p = &(*p)->next)
        if (!cmp_ci((*p)->name, (*p)->nlen, name, n)) {
            if (link)
                *link = p;
            return *p;
        }
    return NULL;
}

static void node_release(knode *k)
{
    if (--k->refs > 0)
        return;
    for (knode **p = &detached; *p; p = &(*p)->sibling)
        if (*p == k) {
            *p = k->sibling;
            break;
        }
    free_node(k);
}

static void key_object_delete(void *body) { node_release(((keybody *)body)->node); }

/* Sets (or replaces) a value; -1 when the host has no memory. */
static int put_value(knode *k, const WCHAR *name, size_t n, ULONG type, const void *data, ULONG size)
{
    UCHAR *copy = malloc(size ? size : 1);
    if (!copy)
        return -1;
    if (size)
        memcpy(copy, data, size);
    kvalue *v = value_of(k, name, n, NULL);
    if (!v) {
        v = calloc(1, sizeof *v);
        WCHAR *nm = v ? wdup(name, n) : NULL;
        if (!nm) {
            free(v);
            free(copy);
            return -1;
        }
        v->name = nm;
        v->nlen = (USHORT)n;
        kvalue **p = &k->values;
        while (*p)
            p = &(*p)->next;
        *p = v;
    } else {
        free(v->data);
    }
    v->type = type;
    v->data = copy;
    v->size = size;
    k->stamp = ++stamps;
    return 0;
}

/* ---- Paths ---------------------------------------------------------------------------------- */

enum { WALK_OPEN, WALK_CREATE, WALK_HARNESS };

/* Walks `name` (n characters) from `start` (NULL: an absolute path from \Registry). Opening:
 * every component must exist. Creating: all but the last must exist (the last is created when
 * missing, *created set). The harness creates every missing component. */
static NTSTATUS walk(knode *start, const WCHAR *name, size_t n, int mode, int is_volatile, knode **out,
                     int *created)
{
    knode *k = start;
    size_t i = 0;
    if (created)
        *created = 0;
    if (!k) {
        if (n == 0 || name[0] != '\\')
            return STATUS_OBJECT_PATH_SYNTAX_BAD_;
        i = 1;
        size_t j = i;
        while (j < n && name[j] != '\\')
            j++;
        static const WCHAR r[] = {'R', 'E', 'G', 'I', 'S', 'T', 'R', 'Y'};
        if (cmp_ci(name + i, j - i, r, 8))
            return STATUS_OBJECT_NAME_NOT_FOUND;
        k = registry_root();
        i = j;
        if (i < n)
            i++; /* the separator */
        else
            goto done;
    } else if (n > 0 && name[0] == '\\') {
        return STATUS_OBJECT_PATH_SYNTAX_BAD_;
    } else if (n == 0) {
        goto done;
    }
    for (;;) {
        size_t j = i;
        while (j < n && name[j] != '\\')
            j++;
        if (j == i)
            return STATUS_OBJECT_NAME_INVALID; /* an empty component: "\\" or a trailing '\' */
        int last = j == n;
        knode *c = child_of(k, name + i, j - i);
        if (!c) {
            if (mode == WALK_OPEN || (mode == WALK_CREATE && !last))
                return STATUS_OBJECT_NAME_NOT_FOUND;
            if (mode == WALK_CREATE) {
                if (k->is_volatile && !is_volatile)
                    return STATUS_CHILD_MUST_BE_VOLATILE_;
                if (kf_fault_consult(KF_SITE_CM_KEY) != KF_FAULT_NONE)
                    return STATUS_INSUFFICIENT_RESOURCES;
            }
            c = new_node(k, name + i, j - i);
            if (!c)
                return STATUS_INSUFFICIENT_RESOURCES;
            c->is_volatile = is_volatile;
            if (created)
                *created = 1;
        }
        k = c;
        if (last)
            break;
        i = j + 1;
    }
done:
    *out = k;
    return STATUS_SUCCESS;
}

/* ---- Arguments ------------------------------------------------------------------------------ */

static void need(const char *routine, const void *p, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_REG_NULL_ARGUMENT, routine, 0, 0, 0, "%s: %s is NULL", routine, what);
}

static void check_string(const char *routine, const UNICODE_STRING *s, const char *what)
{
    if ((s->Length & 1) || s->Length > s->MaximumLength || (!s->Buffer && s->Length))
        kf_violation_stop(KF_VIOL_REG_BAD_STRING, routine, s->Length, s->MaximumLength, 0,
                          "%s: %s is malformed (Length %u, MaximumLength %u, Buffer %s)", routine, what,
                          s->Length, s->MaximumLength, s->Buffer ? "set" : "NULL");
}

static size_t wlen(PCWSTR s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* The key node behind a handle, with `access` required when strict handle access is on. */
static NTSTATUS key_of(const char *routine, HANDLE h, ACCESS_MASK access, knode **out)
{
    void *obj;
    NTSTATUS s = kf__handle_lookup(routine, h, access, &kf__type_key, KernelMode, kf__strict_handle_access(),
                                   &obj, NULL);
    if (!NT_SUCCESS(s))
        return s;
    knode *k = ((keybody *)obj)->node;
    if (k->deleted)
        return STATUS_KEY_DELETED;
    *out = k;
    return STATUS_SUCCESS;
}

/* A key object for `k` and a handle to it (sites ob.object, ob.handle). */
static NTSTATUS open_handle(knode *k, ACCESS_MASK desired, ULONG attributes, HANDLE *out)
{
    if (kf_fault_consult(KF_SITE_OB_OBJECT) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    keybody *b = kf__object_create(&kf__type_key, sizeof *b, "Key");
    if (!b)
        return STATUS_INSUFFICIENT_RESOURCES;
    b->node = k;
    k->refs++;
    NTSTATUS s = kf__handle_create(b, kf__map_access(&kf__type_key, desired), attributes, KernelMode, out);
    kf__object_deref(b); /* the handle holds it now, or nothing does */
    return s;
}

/* Validates ObjectAttributes and resolves its root (G-3, G-13). */
static NTSTATUS attributes_of(const char *routine, POBJECT_ATTRIBUTES oa, knode **start, const WCHAR **name,
                              size_t *n)
{
    need(routine, oa, "ObjectAttributes");
    if (oa->ObjectName)
        check_string(routine, oa->ObjectName, "ObjectAttributes->ObjectName");
    if (!(oa->Attributes & OBJ_KERNEL_HANDLE) && kf__user_context())
        kf_violation_stop(KF_VIOL_OB_USER_HANDLE_OPENED, routine, oa->Attributes, 0, 0,
                          "%s in a user process without OBJ_KERNEL_HANDLE in ObjectAttributes->Attributes "
                          "(0x%x)",
                          routine, (unsigned)oa->Attributes);
    if (oa->Length != sizeof(OBJECT_ATTRIBUTES) || (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    *start = NULL;
    if (oa->RootDirectory) {
        NTSTATUS s = key_of(routine, oa->RootDirectory, 0, start);
        if (!NT_SUCCESS(s))
            return s;
    } else if (!oa->ObjectName) {
        return STATUS_OBJECT_NAME_INVALID;
    }
    *name = oa->ObjectName ? oa->ObjectName->Buffer : NULL;
    *n = oa->ObjectName ? oa->ObjectName->Length / sizeof(WCHAR) : 0;
    return STATUS_SUCCESS;
}

/* ---- Opening and creating -------------------------------------------------------------------- */

static NTSTATUS open_key(const char *routine, PHANDLE KeyHandle, ACCESS_MASK DesiredAccess,
                         POBJECT_ATTRIBUTES ObjectAttributes)
{
    kf__irql_passive(routine);
    need(routine, KeyHandle, "KeyHandle");
    knode *start, *k;
    const WCHAR *name = NULL;
    size_t n = 0;
    *KeyHandle = NULL;
    NTSTATUS s = attributes_of(routine, ObjectAttributes, &start, &name, &n);
    if (NT_SUCCESS(s))
        s = walk(start, name, n, WALK_OPEN, 0, &k, NULL);
    if (NT_SUCCESS(s))
        s = open_handle(k, DesiredAccess, ObjectAttributes->Attributes, KeyHandle);
    return s;
}

NTSTATUS NTAPI ZwOpenKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)
{
    return open_key("ZwOpenKey", KeyHandle, DesiredAccess, ObjectAttributes);
}

NTSTATUS NTAPI ZwOpenKeyEx(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           ULONG OpenOptions)
{
    if (OpenOptions & ~(ULONG)(REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK | REG_OPTION_DONT_VIRTUALIZE)) {
        kf__irql_passive("ZwOpenKeyEx");
        need("ZwOpenKeyEx", KeyHandle, "KeyHandle");
        *KeyHandle = NULL;
        return STATUS_INVALID_PARAMETER;
    }
    return open_key("ZwOpenKeyEx", KeyHandle, DesiredAccess, ObjectAttributes);
}

NTSTATUS NTAPI ZwCreateKey(PHANDLE KeyHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           ULONG TitleIndex, PUNICODE_STRING Class, ULONG CreateOptions, PULONG Disposition)
{
    static const char routine[] = "ZwCreateKey";
    (void)TitleIndex;
    kf__irql_passive(routine);
    need(routine, KeyHandle, "KeyHandle");
    if (Class)
        check_string(routine, Class, "Class");
    knode *start, *k;
    const WCHAR *name = NULL;
    size_t n = 0;
    int created = 0;
    *KeyHandle = NULL;
    NTSTATUS s = attributes_of(routine, ObjectAttributes, &start, &name, &n);
    if (!NT_SUCCESS(s))
        return s;
    if (CreateOptions & ~(ULONG)REG_LEGAL_OPTION)
        return STATUS_INVALID_PARAMETER;
    if (CreateOptions & REG_OPTION_CREATE_LINK)
        kf__not_modeled("ZwCreateKey with REG_OPTION_CREATE_LINK (symbolic links)");
    s = walk(start, name, n, WALK_CREATE, (CreateOptions & REG_OPTION_VOLATILE) != 0, &k, &created);
    if (!NT_SUCCESS(s))
        return s;
    if (created && Class && Class->Length) {
        k->cls = wdup(Class->Buffer, Class->Length / sizeof(WCHAR));
        k->clen = k->cls ? (USHORT)(Class->Length / sizeof(WCHAR)) : 0;
    }
    s = open_handle(k, DesiredAccess, ObjectAttributes->Attributes, KeyHandle);
    if (NT_SUCCESS(s) && Disposition)
        *Disposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
    return s;
}

/* ---- Value information (G-7, G-8) --------------------------------------------------------------- */

static void put_ulong(UCHAR *b, ULONG off, ULONG v) { memcpy(b + off, &v, sizeof v); }

static ULONG copy_part(UCHAR *b, ULONG len, ULONG off, const void *src, ULONG n)
{
    if (off >= len)
        return 0;
    ULONG room = len - off, c = n < room ? n : room;
    if (c)
        memcpy(b + off, src, c);
    return c;
}

static NTSTATUS value_info(const kvalue *v, KEY_VALUE_INFORMATION_CLASS cls, PVOID buffer, ULONG Length,
                           PULONG ResultLength)
{
    UCHAR *b = buffer;
    ULONG nb = (ULONG)v->nlen * sizeof(WCHAR);
    ULONG fixed, needed, data_off = 0;
    switch (cls) {
    case KeyValueBasicInformation:
        fixed = offsetof(KEY_VALUE_BASIC_INFORMATION, Name);
        needed = fixed + nb;
        break;
    case KeyValueFullInformation:
    case KeyValueFullInformationAlign64:
        fixed = offsetof(KEY_VALUE_FULL_INFORMATION, Name);
        data_off = (ULONG)ALIGN_UP_BY(fixed + nb, cls == KeyValueFullInformation ? 4 : 8);
        needed = v->size ? data_off + v->size : fixed + nb;
        break;
    case KeyValuePartialInformation:
        fixed = offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data);
        needed = fixed + v->size;
        break;
    default: /* KeyValuePartialInformationAlign64 */
        fixed = offsetof(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data);
        needed = fixed + v->size;
        break;
    }
    *ResultLength = needed;
    if (Length < fixed)
        return STATUS_BUFFER_TOO_SMALL;
    NTSTATUS s = Length < needed ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
    switch (cls) {
    case KeyValueBasicInformation:
        put_ulong(b, 0, 0);
        put_ulong(b, 4, v->type);
        put_ulong(b, 8, nb);
        copy_part(b, Length, fixed, v->name, nb);
        break;
    case KeyValueFullInformation:
    case KeyValueFullInformationAlign64:
        put_ulong(b, 0, 0);
        put_ulong(b, 4, v->type);
        put_ulong(b, 8, data_off);
        put_ulong(b, 12, v->size);
        put_ulong(b, 16, nb);
        if (copy_part(b, Length, fixed, v->name, nb) == nb && v->size)
            copy_part(b, Length, data_off, v->data, v->size);
        break;
    case KeyValuePartialInformation:
        put_ulong(b, 0, 0);
        put_ulong(b, 4, v->type);
        put_ulong(b, 8, v->size);
        copy_part(b, Length, fixed, v->data, v->size);
        break;
    default:
        put_ulong(b, 0, v->type);
        put_ulong(b, 4, v->size);
        copy_part(b, Length, fixed, v->data, v->size);
        break;
    }
    return s;
}

static void value_class(const char *routine, KEY_VALUE_INFORMATION_CLASS cls)
{
    if (cls == KeyValueLayerInformation)
        kf__not_modeled(routine);
}

static void info_args(const char *routine, PVOID buffer, ULONG Length, PULONG ResultLength)
{
    need(routine, ResultLength, "ResultLength");
    if (Length)
        need(routine, buffer, "the information buffer (Length is not 0)");
}

NTSTATUS NTAPI ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
                               KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
                               ULONG Length, PULONG ResultLength)
{
    static const char routine[] = "ZwQueryValueKey";
    kf__irql_passive(routine);
    need(routine, ValueName, "ValueName");
    check_string(routine, ValueName, "ValueName");
    info_args(routine, KeyValueInformation, Length, ResultLength);
    if ((ULONG)KeyValueInformationClass >= (ULONG)MaxKeyValueInfoClass)
        return STATUS_INVALID_PARAMETER;
    value_class("ZwQueryValueKey with KeyValueLayerInformation", KeyValueInformationClass);
    knode *k;
    NTSTATUS s = key_of(routine, KeyHandle, KEY_QUERY_VALUE, &k);
    if (!NT_SUCCESS(s))
        return s;
    kvalue *v = value_of(k, ValueName->Buffer, ValueName->Length / sizeof(WCHAR), NULL);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    return value_info(v, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

NTSTATUS NTAPI ZwEnumerateValueKey(HANDLE KeyHandle, ULONG Index,
                                   KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
                                   PVOID KeyValueInformation, ULONG Length, PULONG ResultLength)
{
    static const char routine[] = "ZwEnumerateValueKey";
    kf__irql_passive(routine);
    info_args(routine, KeyValueInformation, Length, ResultLength);
    if ((ULONG)KeyValueInformationClass >= (ULONG)MaxKeyValueInfoClass)
        return STATUS_INVALID_PARAMETER;
    value_class("ZwEnumerateValueKey with KeyValueLayerInformation", KeyValueInformationClass);
    knode *k;
    NTSTATUS s = key_of(routine, KeyHandle, KEY_QUERY_VALUE, &k);
    if (!NT_SUCCESS(s))
        return s;
    kvalue *v = k->values;
    for (ULONG i = 0; v && i < Index; i++)
        v = v->next;
    if (!v)
        return STATUS_NO_MORE_ENTRIES;
    return value_info(v, KeyValueInformationClass, KeyValueInformation, Length, ResultLength);
}

/* ---- Values: set and delete (G-9) ------------------------------------------------------------- */

NTSTATUS NTAPI ZwSetValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName, ULONG TitleIndex, ULONG Type, PVOID Data,
                             ULONG DataSize)
{
    static const char routine[] = "ZwSetValueKey";
    (void)TitleIndex;
    kf__irql_passive(routine);
    need(routine, ValueName, "ValueName");
    check_string(routine, ValueName, "ValueName");
    if (DataSize)
        need(routine, Data, "Data (DataSize is not 0)");
    knode *k;
    NTSTATUS s = key_of(routine, KeyHandle, KEY_SET_VALUE, &k);
    if (!NT_SUCCESS(s))
        return s;
    if (kf_fault_consult(KF_SITE_CM_VALUE) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (put_value(k, ValueName->Buffer, ValueName->Length / sizeof(WCHAR), Type, Data, DataSize))
        return STATUS_INSUFFICIENT_RESOURCES;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwDeleteValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName)
{
    static const char routine[] = "ZwDeleteValueKey";
    kf__irql_passive(routine);
    need(routine, ValueName, "ValueName");
    check_string(routine, ValueName, "ValueName");
    knode *k;
    NTSTATUS s = key_of(routine, KeyHandle, KEY_SET_VALUE, &k);
    if (!NT_SUCCESS(s))
        return s;
    kvalue **link;
    kvalue *v = value_of(k, ValueName->Buffer, ValueName->Length / sizeof(WCHAR), &link);
    if (!v)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    *link = v->next;
    free(v->name);
    free(v->data);
    free(v);
    k->stamp = ++stamps;
    return STATUS_SUCCESS;
}

/* ---- Keys: delete, flush, enumerate, query (G-10 to G-12) ---------------------------------------- */

NTSTATUS NTAPI ZwDeleteKey(HANDLE KeyHandle)
{
    static const char routine[] = "ZwDeleteKey";
    kf__irql_passive(routine);
    knode *k;
    NTSTATUS s = key_of(routine, KeyHandle, DELETE, &k);
    if (!NT_SUCCESS(s))
        return s;
    if (k->child || !k->parent || k->parent == root)
        return STATUS_CANNOT_DELETE; /* subkeys, or \Registry and its two roots */
    for (knode **p = &k->parent->child; *p; p = &(*p)->sibling)
        if (*p == k) {
            *p = k->sibling;
            break;
        }
    k->parent->stamp = ++stamps;
    k->deleted = 1;
    k->parent = NULL;
    k->sibling = detached;
    detached = k;
    node_release(k); /* the tree's reference; the open key objects keep it */
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwFlushKey(HANDLE KeyHandle)
{
    kf__irql_passive("ZwFlushKey");
    knode *k;
    return key_of("ZwFlushKey", KeyHandle, 0, &k);
}

static LONGLONG write_time(const knode *k) { return 132000000000000000LL + (LONGLONG)k->stamp * 10000000LL; }

static NTSTATUS key_info(const knode *k, KEY_INFORMATION_CLASS cls, PVOID buffer, ULONG Length,
                         PULONG ResultLength)
{
    UCHAR *b = buffer;
    ULONG nb = (ULONG)k->nlen * sizeof(WCHAR), cb = (ULONG)k->clen * sizeof(WCHAR);
    LONGLONG t = write_time(k);
    ULONG fixed, needed;
    switch (cls) {
    case KeyBasicInformation:
        fixed = offsetof(KEY_BASIC_INFORMATION, Name);
        needed = fixed + nb;
        *ResultLength = needed;
        if (Length < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(b, &t, sizeof t);
        put_ulong(b, 8, 0);
        put_ulong(b, 12, nb);
        copy_part(b, Length, fixed, k->name, nb);
        break;
    case KeyNodeInformation:
        fixed = offsetof(KEY_NODE_INFORMATION, Name);
        needed = fixed + nb + cb;
        *ResultLength = needed;
        if (Length < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(b, &t, sizeof t);
        put_ulong(b, 8, 0);
        put_ulong(b, 12, cb ? fixed + nb : 0xFFFFFFFFu);
        put_ulong(b, 16, cb);
        put_ulong(b, 20, nb);
        if (copy_part(b, Length, fixed, k->name, nb) == nb && cb)
            copy_part(b, Length, fixed + nb, k->cls, cb);
        break;
    default: { /* KeyFullInformation */
        ULONG subkeys = 0, maxname = 0, maxclass = 0, values = 0, maxvname = 0, maxdata = 0;
        for (const knode *c = k->child; c; c = c->sibling) {
            subkeys++;
            if ((ULONG)c->nlen * 2 > maxname)
                maxname = (ULONG)c->nlen * 2;
            if ((ULONG)c->clen * 2 > maxclass)
                maxclass = (ULONG)c->clen * 2;
        }
        for (const kvalue *v = k->values; v; v = v->next) {
            values++;
            if ((ULONG)v->nlen * 2 > maxvname)
                maxvname = (ULONG)v->nlen * 2;
            if (v->size > maxdata)
                maxdata = v->size;
        }
        fixed = offsetof(KEY_FULL_INFORMATION, Class);
        needed = fixed + cb;
        *ResultLength = needed;
        if (Length < fixed)
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(b, &t, sizeof t);
        put_ulong(b, 8, 0);
        put_ulong(b, 12, cb ? fixed : 0xFFFFFFFFu);
        put_ulong(b, 16, cb);
        put_ulong(b, 20, subkeys);
        put_ulong(b, 24, maxname);
        put_ulong(b, 28, maxclass);
        put_ulong(b, 32, values);
        put_ulong(b, 36, maxvname);
        put_ulong(b, 40, maxdata);
        copy_part(b, Length, fixed, k->cls, cb);
        break;
    }
    }
    return Length < needed ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS key_class(const char *routine, KEY_INFORMATION_CLASS cls)
{
    if ((ULONG)cls >= (ULONG)MaxKeyInfoClass)
        return STATUS_INVALID_PARAMETER;
    if (cls != KeyBasicInformation && cls != KeyNodeInformation && cls != KeyFullInformation)
        kf__not_modeled(routine);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ZwEnumerateKey(HANDLE KeyHandle, ULONG Index, KEY_INFORMATION_CLASS KeyInformationClass,
                              PVOID KeyInformation, ULONG Length, PULONG ResultLength)
{
    static const char routine[] = "ZwEnumerateKey";
    kf__irql_passive(routine);
    info_args(routine, KeyInformation, Length, ResultLength);
    NTSTATUS s = key_class("ZwEnumerateKey with an information class other than Basic, Node, Full",
                           KeyInformationClass);
    if (!NT_SUCCESS(s))
        return s;
    knode *k;
    s = key_of(routine, KeyHandle, KEY_ENUMERATE_SUB_KEYS, &k);
    if (!NT_SUCCESS(s))
        return s;
    knode *c = k->child;
    for (ULONG i = 0; c && i < Index; i++)
        c = c->sibling;
    if (!c)
        return STATUS_NO_MORE_ENTRIES;
    return key_info(c, KeyInformationClass, KeyInformation, Length, ResultLength);
}

NTSTATUS NTAPI ZwQueryKey(HANDLE KeyHandle, KEY_INFORMATION_CLASS KeyInformationClass, PVOID KeyInformation,
                          ULONG Length, PULONG ResultLength)
{
    static const char routine[] = "ZwQueryKey";
    kf__irql_passive(routine);
    info_args(routine, KeyInformation, Length, ResultLength);
    NTSTATUS s = key_class("ZwQueryKey with an information class other than Basic, Node, Full",
                           KeyInformationClass);
    if (!NT_SUCCESS(s))
        return s;
    knode *k;
    s = key_of(routine, KeyHandle, KEY_QUERY_VALUE, &k);
    if (!NT_SUCCESS(s))
        return s;
    return key_info(k, KeyInformationClass, KeyInformation, Length, ResultLength);
}

/* ---- Rtl helpers (G-15 to G-17) ------------------------------------------------------------------ */

static const char *const relative_bases[] = {
    "",                                                                 /* RTL_REGISTRY_ABSOLUTE */
    "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\",       /* RTL_REGISTRY_SERVICES */
    "\\Registry\\Machine\\System\\CurrentControlSet\\Control\\",        /* RTL_REGISTRY_CONTROL */
    "\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion\\", /* RTL_REGISTRY_WINDOWS_NT */
    "\\Registry\\Machine\\Hardware\\DeviceMap\\",                       /* RTL_REGISTRY_DEVICEMAP */
    "\\Registry\\User\\.Default\\",                                     /* RTL_REGISTRY_USER */
};

/* The key named by RelativeTo and Path, opened (or created, `create`) as a kernel handle the
 * routine closes itself: sites ob.object and ob.handle (and cm.key when created). */
static NTSTATUS rtl_open(const char *routine, ULONG RelativeTo, PCWSTR Path, int create, ACCESS_MASK access,
                         HANDLE *out, int *opened)
{
    *opened = 0;
    if (RelativeTo & RTL_REGISTRY_OPTIONAL)
        kf__not_modeled("the Rtl registry routines with RTL_REGISTRY_OPTIONAL");
    if (RelativeTo & RTL_REGISTRY_HANDLE) {
        *out = (HANDLE)Path;
        return STATUS_SUCCESS;
    }
    if (RelativeTo >= RTL_REGISTRY_MAXIMUM)
        return STATUS_INVALID_PARAMETER;
    need(routine, Path, "Path");
    const char *base = relative_bases[RelativeTo];
    size_t bl = strlen(base), pl = wlen(Path);
    if (RelativeTo != RTL_REGISTRY_ABSOLUTE && pl && Path[0] == '\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD_;
    if (bl + pl > 0x7FFF)
        return STATUS_INVALID_PARAMETER;
    WCHAR *full = malloc((bl + pl + 1) * sizeof(WCHAR));
    if (!full)
        return STATUS_INSUFFICIENT_RESOURCES;
    size_t n = 0;
    for (size_t i = 0; i < bl; i++)
        full[n++] = (WCHAR)(UCHAR)base[i];
    if (pl == 0 && n > 0)
        n--; /* the base key itself: no trailing separator */
    for (size_t i = 0; i < pl; i++)
        full[n++] = Path[i];
    knode *k;
    int created = 0;
    NTSTATUS s = walk(NULL, full, n, create ? WALK_CREATE : WALK_OPEN, 0, &k, &created);
    free(full);
    if (NT_SUCCESS(s))
        s = open_handle(k, access, OBJ_KERNEL_HANDLE, out);
    if (NT_SUCCESS(s))
        *opened = 1;
    return s;
}

static void rtl_close(HANDLE h, int opened)
{
    if (opened)
        (void)ZwClose(h);
}

NTSTATUS NTAPI RtlCheckRegistryKey(ULONG RelativeTo, PWSTR Path)
{
    static const char routine[] = "RtlCheckRegistryKey";
    kf__irql_passive(routine);
    HANDLE h;
    int opened;
    NTSTATUS s = rtl_open(routine, RelativeTo, Path, 0, KEY_READ, &h, &opened);
    if (NT_SUCCESS(s) && !opened) {
        knode *k;
        s = key_of(routine, h, 0, &k);
    }
    rtl_close(h, opened);
    return s;
}

NTSTATUS NTAPI RtlCreateRegistryKey(ULONG RelativeTo, PWSTR Path)
{
    static const char routine[] = "RtlCreateRegistryKey";
    kf__irql_passive(routine);
    if (RelativeTo & RTL_REGISTRY_HANDLE)
        kf__not_modeled("RtlCreateRegistryKey with RTL_REGISTRY_HANDLE");
    HANDLE h;
    int opened;
    NTSTATUS s = rtl_open(routine, RelativeTo, Path, 1, KEY_WRITE, &h, &opened);
    rtl_close(h, opened);
    return s;
}

NTSTATUS NTAPI RtlWriteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName, ULONG ValueType,
                                     PVOID ValueData, ULONG ValueLength)
{
    static const char routine[] = "RtlWriteRegistryValue";
    kf__irql_passive(routine);
    need(routine, ValueName, "ValueName");
    HANDLE h;
    int opened;
    NTSTATUS s = rtl_open(routine, RelativeTo, Path, 1, KEY_SET_VALUE, &h, &opened);
    if (NT_SUCCESS(s)) {
        UNICODE_STRING name;
        size_t n = wlen(ValueName);
        name.Buffer = (PWSTR)ValueName;
        name.Length = name.MaximumLength = (USHORT)(n * sizeof(WCHAR));
        if (n > 0x7FFE)
            s = STATUS_INVALID_PARAMETER;
        else
            s = ZwSetValueKey(h, &name, 0, ValueType, ValueData, ValueLength);
    }
    rtl_close(h, opened);
    return s;
}

NTSTATUS NTAPI RtlDeleteRegistryValue(ULONG RelativeTo, PCWSTR Path, PCWSTR ValueName)
{
    static const char routine[] = "RtlDeleteRegistryValue";
    kf__irql_passive(routine);
    need(routine, ValueName, "ValueName");
    HANDLE h;
    int opened;
    NTSTATUS s = rtl_open(routine, RelativeTo, Path, 0, KEY_SET_VALUE, &h, &opened);
    if (NT_SUCCESS(s)) {
        UNICODE_STRING name;
        size_t n = wlen(ValueName);
        name.Buffer = (PWSTR)ValueName;
        name.Length = name.MaximumLength = (USHORT)(n * sizeof(WCHAR));
        s = ZwDeleteValueKey(h, &name);
    }
    rtl_close(h, opened);
    return s;
}

/* The bytes of a string value up to and including its terminating NUL, as a REG_SZ carries
 * them (a value without one is taken whole). */
static ULONG string_bytes(const UCHAR *data, ULONG size)
{
    for (ULONG i = 0; i + 1 < size; i += 2)
        if (data[i] == 0 && data[i + 1] == 0)
            return i + 2;
    return size & ~1u;
}

/* RTL_QUERY_REGISTRY_DIRECT: stores one value into EntryContext (G-16). */
static NTSTATUS direct_store(const char *routine, const RTL_QUERY_REGISTRY_TABLE *e, ULONG type, const void *data,
                             ULONG size)
{
    need(routine, e->EntryContext, "EntryContext of a RTL_QUERY_REGISTRY_DIRECT entry");
    if (type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ) {
        UNICODE_STRING *us = e->EntryContext;
        const UCHAR *d = data;
        /* A string up to its first NUL; a list whole. The stored string ends with a NUL. */
        ULONG len = type == REG_MULTI_SZ ? (size & ~1u) : string_bytes(d, size);
        if (type != REG_MULTI_SZ && len >= 2 && !d[len - 1] && !d[len - 2])
            len -= 2;
        ULONG room = len + 2;
        if (room > 0xFFFE)
            return STATUS_BUFFER_TOO_SMALL;
        if (!us->Buffer) {
            us->Buffer = ExAllocatePoolWithTag(PagedPool, room, 0x52717276u /* 'vrqR' */);
            if (!us->Buffer)
                return STATUS_NO_MEMORY;
            us->MaximumLength = (USHORT)room;
        } else if (us->MaximumLength < room) {
            return STATUS_BUFFER_TOO_SMALL;
        }
        if (len)
            memcpy(us->Buffer, d, len);
        memset((UCHAR *)us->Buffer + len, 0, 2);
        us->Length = (USHORT)len;
        return STATUS_SUCCESS;
    }
    if (size <= sizeof(ULONG)) {
        memcpy(e->EntryContext, data, size);
        return STATUS_SUCCESS;
    }
    LONG head;
    memcpy(&head, e->EntryContext, sizeof head);
    UCHAR *out = e->EntryContext;
    if (head < 0) {
        if ((ULONG)-(LONGLONG)head < size)
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(out, data, size);
    } else {
        if ((ULONG)head < size + 2 * sizeof(ULONG))
            return STATUS_BUFFER_TOO_SMALL;
        memcpy(out, &size, sizeof size);
        memcpy(out + 4, &type, sizeof type);
        memcpy(out + 8, data, size);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS query_one(const char *routine, const RTL_QUERY_REGISTRY_TABLE *e, PWSTR name, ULONG type,
                          const UCHAR *data, ULONG size, PVOID Context)
{
    if (e->Flags & RTL_QUERY_REGISTRY_TYPECHECK) {
        ULONG want = (e->DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) & 0xFF;
        if (want != type)
            return STATUS_OBJECT_TYPE_MISMATCH;
    }
    if (type == REG_EXPAND_SZ && !(e->Flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
        for (ULONG i = 0; i + 1 < size; i += 2)
            if (data[i] == '%' && data[i + 1] == 0)
                kf__not_modeled("RtlQueryRegistryValues expanding %VARIABLE% in a REG_EXPAND_SZ value");
        type = REG_SZ; /* nothing to expand: the value as REG_SZ, as the expanded form is typed */
    }
    if (e->Flags & RTL_QUERY_REGISTRY_DIRECT)
        return direct_store(routine, e, type, data, size);
    if (type == REG_MULTI_SZ && !(e->Flags & RTL_QUERY_REGISTRY_NOEXPAND)) {
        /* once per string of the list, each as REG_SZ with its NUL */
        ULONG i = 0;
        while (i + 1 < size && (data[i] || data[i + 1])) {
            ULONG n = string_bytes(data + i, size - i);
            NTSTATUS s = e->QueryRoutine(name, REG_SZ, (PVOID)(data + i), n, Context, e->EntryContext);
            if (!NT_SUCCESS(s))
                return s;
            i += n;
        }
        return STATUS_SUCCESS;
    }
    return e->QueryRoutine(name, type, (PVOID)data, size, Context, e->EntryContext);
}

static NTSTATUS query_entry(const char *routine, knode *k, RTL_QUERY_REGISTRY_TABLE *e, PVOID Context)
{
    if (!e->Name) {
        if (e->Flags & RTL_QUERY_REGISTRY_DIRECT)
            return STATUS_INVALID_PARAMETER;
        for (kvalue *v = k->values; v; v = v->next) {
            WCHAR *nm = malloc(((size_t)v->nlen + 1) * sizeof(WCHAR));
            if (!nm)
                return STATUS_INSUFFICIENT_RESOURCES;
            memcpy(nm, v->name, (size_t)v->nlen * sizeof(WCHAR));
            nm[v->nlen] = 0;
            NTSTATUS s = query_one(routine, e, nm, v->type, v->data, v->size, Context);
            free(nm);
            if (!NT_SUCCESS(s))
                return s;
        }
        return STATUS_SUCCESS;
    }
    size_t n = wlen(e->Name);
    kvalue **link;
    kvalue *v = value_of(k, e->Name, n, &link);
    if (!v) {
        if (e->Flags & RTL_QUERY_REGISTRY_REQUIRED)
            return STATUS_OBJECT_NAME_NOT_FOUND;
        /* The default, when the entry has one (with TYPECHECK the low 24 bits carry its type). */
        ULONG dtype = e->DefaultType & ((e->Flags & RTL_QUERY_REGISTRY_TYPECHECK) ? 0xFFFFFFu : 0xFFFFFFFFu);
        if (dtype == REG_NONE || !e->DefaultData)
            return STATUS_SUCCESS;
        ULONG dlen = e->DefaultLength;
        if (dlen == 0 && (dtype == REG_SZ || dtype == REG_EXPAND_SZ)) {
            dlen = (ULONG)(wlen(e->DefaultData) + 1) * sizeof(WCHAR);
        } else if (dlen == 0 && dtype == REG_MULTI_SZ) {
            const WCHAR *p = e->DefaultData;
            while (*p)
                p += wlen(p) + 1;
            dlen = (ULONG)((const UCHAR *)(p + 1) - (const UCHAR *)e->DefaultData);
        }
        RTL_QUERY_REGISTRY_TABLE copy = *e;
        copy.Flags &= ~(ULONG)RTL_QUERY_REGISTRY_TYPECHECK;
        return query_one(routine, &copy, e->Name, dtype, e->DefaultData, dlen, Context);
    }
    NTSTATUS s = query_one(routine, e, e->Name, v->type, v->data, v->size, Context);
    if (NT_SUCCESS(s) && (e->Flags & RTL_QUERY_REGISTRY_DELETE)) {
        v = value_of(k, e->Name, n, &link); /* the callback may have changed the key */
        if (v) {
            *link = v->next;
            free(v->name);
            free(v->data);
            free(v);
        }
    }
    return s;
}

NTSTATUS NTAPI RtlQueryRegistryValues(ULONG RelativeTo, PCWSTR Path, PRTL_QUERY_REGISTRY_TABLE QueryTable,
                                      PVOID Context, PVOID Environment)
{
    static const char routine[] = "RtlQueryRegistryValues";
    kf__irql_passive(routine);
    need(routine, QueryTable, "QueryTable");
    if (Environment)
        kf__not_modeled("RtlQueryRegistryValues with an Environment");
    HANDLE top;
    int opened;
    NTSTATUS s = rtl_open(routine, RelativeTo, Path, 0, KEY_READ, &top, &opened);
    if (!NT_SUCCESS(s))
        return s;
    knode *topk, *k;
    s = key_of(routine, top, 0, &topk);
    k = topk;
    for (RTL_QUERY_REGISTRY_TABLE *e = QueryTable; NT_SUCCESS(s) && (e->QueryRoutine || e->Name); e++) {
        if (e->Flags & RTL_QUERY_REGISTRY_NOSTRING)
            kf__not_modeled("RtlQueryRegistryValues with RTL_QUERY_REGISTRY_NOSTRING");
        if (!(e->Flags & RTL_QUERY_REGISTRY_DIRECT) && !e->QueryRoutine && !(e->Flags & (RTL_QUERY_REGISTRY_SUBKEY | RTL_QUERY_REGISTRY_TOPKEY)))
            kf_violation_stop(KF_VIOL_REG_NULL_ARGUMENT, routine, (ULONG_PTR)(e - QueryTable), 0, 0,
                              "%s: entry %u has neither a QueryRoutine nor RTL_QUERY_REGISTRY_DIRECT", routine,
                              (unsigned)(e - QueryTable));
        if (e->Flags & RTL_QUERY_REGISTRY_TOPKEY)
            k = topk;
        if (e->Flags & RTL_QUERY_REGISTRY_SUBKEY) {
            need(routine, e->Name, "Name of a RTL_QUERY_REGISTRY_SUBKEY entry");
            knode *sub;
            s = walk(topk, e->Name, wlen(e->Name), WALK_OPEN, 0, &sub, NULL);
            if (!NT_SUCCESS(s))
                break;
            k = sub;
            if (!e->QueryRoutine)
                continue;
            RTL_QUERY_REGISTRY_TABLE all = *e;
            all.Name = NULL; /* a subkey entry with a routine enumerates the subkey's values */
            s = query_entry(routine, k, &all, Context);
            continue;
        }
        if (e->Flags & RTL_QUERY_REGISTRY_NOVALUE) {
            if (e->QueryRoutine)
                s = e->QueryRoutine(e->Name, REG_NONE, NULL, 0, Context, e->EntryContext);
            continue;
        }
        s = query_entry(routine, k, e, Context);
    }
    rtl_close(top, opened);
    return s;
}

/* ---- The driver's own keys (G-14) ------------------------------------------------------------------ */

int kf_registry_set_service_name(const char *name)
{
    if (!name) {
        service_name[0] = 0;
        return 0;
    }
    if (strlen(name) >= sizeof service_name)
        return -1;
    memcpy(service_name, name, strlen(name) + 1);
    return 0;
}

NTSTATUS IoOpenDriverRegistryKey(PDRIVER_OBJECT DriverObject, DRIVER_REGKEY_TYPE RegKeyType,
                                 ACCESS_MASK DesiredAccess, ULONG Flags, PHANDLE DriverRegKey)
{
    static const char routine[] = "IoOpenDriverRegistryKey";
    if (kf_current_profile()->os < KF_OS_WIN10)
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0,
                          "IoOpenDriverRegistryKey exists from Windows 10 (version 1803) on");
    kf__irql_passive(routine);
    need(routine, DriverObject, "DriverObject");
    need(routine, DriverRegKey, "DriverRegKey");
    *DriverRegKey = NULL;
    if (Flags)
        return STATUS_INVALID_PARAMETER;
    if (RegKeyType == DriverRegKeyPersistentState || RegKeyType == DriverRegKeySharedPersistentState)
        kf__not_modeled("IoOpenDriverRegistryKey with DriverRegKeyPersistentState or "
                        "DriverRegKeySharedPersistentState");
    if (RegKeyType != DriverRegKeyParameters)
        return STATUS_INVALID_PARAMETER;
    static const char base[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
    static const char tail[] = "\\Parameters";
    const WCHAR *svc = NULL;
    size_t sn = 0;
    WCHAR ascii[sizeof service_name];
    if (DriverObject->DriverExtension && DriverObject->DriverExtension->ServiceKeyName.Length) {
        check_string(routine, &DriverObject->DriverExtension->ServiceKeyName, "DriverExtension->ServiceKeyName");
        svc = DriverObject->DriverExtension->ServiceKeyName.Buffer;
        sn = DriverObject->DriverExtension->ServiceKeyName.Length / sizeof(WCHAR);
    } else if (service_name[0]) {
        sn = strlen(service_name);
        for (size_t i = 0; i < sn; i++)
            ascii[i] = (WCHAR)(UCHAR)service_name[i];
        svc = ascii;
    } else {
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    size_t n = 0, bl = sizeof base - 1, tl = sizeof tail - 1;
    WCHAR *full = malloc((bl + sn + tl) * sizeof(WCHAR));
    if (!full)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (size_t i = 0; i < bl; i++)
        full[n++] = (WCHAR)base[i];
    for (size_t i = 0; i < sn; i++)
        full[n++] = svc[i];
    for (size_t i = 0; i < tl; i++)
        full[n++] = (WCHAR)tail[i];
    knode *k;
    NTSTATUS s = walk(NULL, full, n, WALK_OPEN, 0, &k, NULL);
    free(full);
    if (NT_SUCCESS(s))
        s = open_handle(k, DesiredAccess, OBJ_KERNEL_HANDLE, DriverRegKey);
    return s;
}

/* ---- The harness's filling, and the reset (G-2, G-19) ------------------------------------------------ */

int kf_registry_set_value(const char *key_path, const char *value_name, ULONG type, const void *data, ULONG size)
{
    if (!key_path || (size && !data))
        return -1;
    size_t n = strlen(key_path), vn = value_name ? strlen(value_name) : 0;
    WCHAR *path = malloc((n + vn + 1) * sizeof(WCHAR));
    if (!path)
        return -1;
    for (size_t i = 0; i < n; i++)
        path[i] = (WCHAR)(UCHAR)key_path[i];
    for (size_t i = 0; i < vn; i++)
        path[n + i] = (WCHAR)(UCHAR)value_name[i];
    knode *k;
    int rc = -1;
    if (NT_SUCCESS(walk(NULL, path, n, WALK_HARNESS, 0, &k, NULL)))
        rc = put_value(k, path + n, vn, type, data, size);
    free(path);
    return rc;
}

static void registry_reset(void)
{
    free_tree(root);
    root = NULL;
    while (detached) {
        knode *k = detached;
        detached = k->sibling;
        free_node(k);
    }
    stamps = 0;
    service_name[0] = 0;
}

__attribute__((constructor)) static void registry_register(void)
{
    kf__type_key.delete_fn = key_object_delete;
    kf__register_reset(registry_reset);
}
