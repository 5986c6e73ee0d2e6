/*
 * test_registry.c - the registry (rules G-1 to G-20 of model/SEMANTICS.md): structure layouts
 * and constants, opening and creating keys, the information classes and the
 * BUFFER_OVERFLOW / BUFFER_TOO_SMALL boundary at every length around the fixed part and the
 * data, values and keys set, enumerated, deleted, access, IRQL, fault sites, leaks at reset,
 * the Rtl helpers and IoOpenDriverRegistryKey.
 *
 * The registry is filled with kf_registry_set_value, as a harness does; each test starts empty.
 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>

#define PARAMS "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Drv\\Parameters"

static void (*scenario)(void);
static void run_scenario(void *p)
{
    (void)p;
    scenario();
}
static int stops(void (*fn)(void), kf_stop *st)
{
    scenario = fn;
    return kft_stops(run_scenario, NULL, st);
}

#define CHECK_VIOLATION(st, v)                                                                   \
    do {                                                                                         \
        CHECK_EQ((st).code, DRIVER_VERIFIER_DETECTED_VIOLATION);                                 \
        CHECK_EQ((st).param[0], (v));                                                            \
    } while (0)

/* A UNICODE_STRING over a static copy of an ASCII text (tests only). */
static UNICODE_STRING us(const char *text)
{
    static WCHAR pool[16][256];
    static unsigned next;
    WCHAR *w = pool[next++ % 16];
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++)
        w[i] = (WCHAR)text[i];
    w[n] = 0;
    UNICODE_STRING s = {(USHORT)(n * 2), (USHORT)(n * 2 + 2), w};
    return s;
}

static NTSTATUS open_path(const char *path, ACCESS_MASK access, HANDLE *h)
{
    UNICODE_STRING name = us(path);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    return ZwOpenKey(h, access, &oa);
}

static NTSTATUS create_path(HANDLE root, const char *path, ULONG options, HANDLE *h, ULONG *disp)
{
    UNICODE_STRING name = us(path);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, root, NULL);
    return ZwCreateKey(h, KEY_ALL_ACCESS, &oa, 0, NULL, options, disp);
}

static void no_leaks(void)
{
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.handles, 0);
    CHECK_EQ(lr.objects, 0);
    CHECK_EQ(lr.pool_blocks, 0);
}

/* ---- G-1: layouts and constants ---------------------------------------------------------- */

TEST(layouts_amd64)
{
    CHECK_EQ(offsetof(KEY_VALUE_PARTIAL_INFORMATION, Type), 4);
    CHECK_EQ(offsetof(KEY_VALUE_PARTIAL_INFORMATION, DataLength), 8);
    CHECK_EQ(offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data), 12);
    CHECK_EQ(sizeof(KEY_VALUE_PARTIAL_INFORMATION), 16);
    CHECK_EQ(offsetof(KEY_VALUE_BASIC_INFORMATION, NameLength), 8);
    CHECK_EQ(offsetof(KEY_VALUE_BASIC_INFORMATION, Name), 12);
    CHECK_EQ(sizeof(KEY_VALUE_BASIC_INFORMATION), 16);
    CHECK_EQ(offsetof(KEY_VALUE_FULL_INFORMATION, DataOffset), 8);
    CHECK_EQ(offsetof(KEY_VALUE_FULL_INFORMATION, DataLength), 12);
    CHECK_EQ(offsetof(KEY_VALUE_FULL_INFORMATION, NameLength), 16);
    CHECK_EQ(offsetof(KEY_VALUE_FULL_INFORMATION, Name), 20);
    CHECK_EQ(sizeof(KEY_VALUE_FULL_INFORMATION), 24);
    CHECK_EQ(offsetof(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64, Data), 8);
    CHECK_EQ(sizeof(KEY_VALUE_PARTIAL_INFORMATION_ALIGN64), 12);
    CHECK_EQ(offsetof(KEY_BASIC_INFORMATION, TitleIndex), 8);
    CHECK_EQ(offsetof(KEY_BASIC_INFORMATION, Name), 16);
    CHECK_EQ(sizeof(KEY_BASIC_INFORMATION), 24);
    CHECK_EQ(offsetof(KEY_NODE_INFORMATION, ClassOffset), 12);
    CHECK_EQ(offsetof(KEY_NODE_INFORMATION, Name), 24);
    CHECK_EQ(sizeof(KEY_NODE_INFORMATION), 32);
    CHECK_EQ(offsetof(KEY_FULL_INFORMATION, SubKeys), 20);
    CHECK_EQ(offsetof(KEY_FULL_INFORMATION, MaxValueDataLen), 40);
    CHECK_EQ(offsetof(KEY_FULL_INFORMATION, Class), 44);
    CHECK_EQ(sizeof(KEY_FULL_INFORMATION), 48);
    CHECK_EQ(sizeof(RTL_QUERY_REGISTRY_TABLE), 56);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, Flags), 8);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, Name), 16);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, EntryContext), 24);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultType), 32);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultData), 40);
    CHECK_EQ(offsetof(RTL_QUERY_REGISTRY_TABLE, DefaultLength), 48);
}

TEST(constants)
{
    CHECK_EQ(KEY_QUERY_VALUE, 0x1);
    CHECK_EQ(KEY_SET_VALUE, 0x2);
    CHECK_EQ(KEY_CREATE_SUB_KEY, 0x4);
    CHECK_EQ(KEY_ENUMERATE_SUB_KEYS, 0x8);
    CHECK_EQ(KEY_NOTIFY, 0x10);
    CHECK_EQ(KEY_CREATE_LINK, 0x20);
    CHECK_EQ(KEY_READ, 0x20019);
    CHECK_EQ(KEY_WRITE, 0x20006);
    CHECK_EQ(KEY_EXECUTE, 0x20019);
    CHECK_EQ(KEY_ALL_ACCESS, 0xF003F);
    CHECK_EQ(REG_NONE, 0);
    CHECK_EQ(REG_SZ, 1);
    CHECK_EQ(REG_EXPAND_SZ, 2);
    CHECK_EQ(REG_BINARY, 3);
    CHECK_EQ(REG_DWORD, 4);
    CHECK_EQ(REG_DWORD_BIG_ENDIAN, 5);
    CHECK_EQ(REG_LINK, 6);
    CHECK_EQ(REG_MULTI_SZ, 7);
    CHECK_EQ(REG_QWORD, 11);
    CHECK_EQ(REG_OPTION_NON_VOLATILE, 0);
    CHECK_EQ(REG_OPTION_VOLATILE, 1);
    CHECK_EQ(REG_CREATED_NEW_KEY, 1);
    CHECK_EQ(REG_OPENED_EXISTING_KEY, 2);
    CHECK_EQ(KeyValuePartialInformation, 2);
    CHECK_EQ(KeyValuePartialInformationAlign64, 4);
    CHECK_EQ(KeyFullInformation, 2);
    CHECK_EQ(RTL_REGISTRY_SERVICES, 1);
    CHECK_EQ(RTL_QUERY_REGISTRY_DIRECT, 0x20);
    CHECK_EQ(DriverRegKeyParameters, 0);
}

/* ---- G-2, G-3: opening ---------------------------------------------------------------------- */

TEST(open_case_insensitive)
{
    ULONG one = 1;
    CHECK_EQ(kf_registry_set_value(PARAMS, "Level", REG_DWORD, &one, 4), 0);
    HANDLE h = (HANDLE)1;
    CHECK_EQ(open_path("\\REGISTRY\\machine\\SYSTEM\\currentcontrolset\\services\\drv\\parameters", KEY_READ, &h),
             STATUS_SUCCESS);
    CHECK(((ULONG_PTR)h & 0xFFFFFFFF80000000ull) == 0xFFFFFFFF80000000ull);
    UCHAR buf[32];
    ULONG len = 0;
    UNICODE_STRING v = us("LEVEL");
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    PKEY_VALUE_PARTIAL_INFORMATION p = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
    CHECK_EQ(len, 16);
    CHECK_EQ(p->Type, REG_DWORD);
    CHECK_EQ(p->DataLength, 4);
    CHECK_EQ(*(ULONG *)p->Data, 1);
    /* A relative open from the handle; an empty name reopens the key itself. */
    UNICODE_STRING empty = {0, 0, NULL};
    OBJECT_ATTRIBUTES oa;
    HANDLE h2;
    InitializeObjectAttributes(&oa, &empty, OBJ_KERNEL_HANDLE, h, NULL);
    CHECK_EQ(ZwOpenKeyEx(&h2, KEY_READ, &oa, REG_OPTION_OPEN_LINK), STATUS_SUCCESS);
    CHECK(h2 != h);
    CHECK_EQ(ZwClose(h2), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    no_leaks();
}

TEST(open_failures)
{
    ULONG one = 1;
    kf_registry_set_value(PARAMS, "Level", REG_DWORD, &one, 4);
    HANDLE h = (HANDLE)1;
    CHECK_EQ(open_path(PARAMS "\\Missing", KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(h == NULL);
    CHECK_EQ(open_path("\\Registry\\Machine\\Nope\\Parameters", KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(open_path("\\Device\\Harddisk0", KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(open_path("Registry\\Machine", KEY_READ, &h), (NTSTATUS)0xC000003B); /* PATH_SYNTAX_BAD */
    CHECK_EQ(open_path("\\Registry\\Machine\\", KEY_READ, &h), STATUS_OBJECT_NAME_INVALID);
    CHECK_EQ(open_path("\\Registry\\\\Machine", KEY_READ, &h), STATUS_OBJECT_NAME_INVALID);
    UNICODE_STRING name = us("\\Registry\\Machine");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    oa.Length = 40;
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
    InitializeObjectAttributes(&oa, &name, 0x8000, NULL, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_PARAMETER);
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_NAME_INVALID);
    CHECK_EQ(ZwOpenKeyEx(&h, KEY_READ, &oa, 0x100), STATUS_INVALID_PARAMETER);
    /* A root that is not a key, or not a handle. */
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NtCurrentProcess(), NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_OBJECT_TYPE_MISMATCH);
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, (HANDLE)0x444, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_INVALID_HANDLE);
    /* A relative name must not start with a separator. */
    HANDLE root;
    CHECK_EQ(open_path("\\Registry\\Machine", KEY_READ, &root), STATUS_SUCCESS);
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, root, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), (NTSTATUS)0xC000003B);
    ZwClose(root);
    no_leaks();
}

/* ---- G-4: creating ------------------------------------------------------------------------- */

TEST(create_key_dispositions)
{
    HANDLE h, h2, root;
    ULONG disp = 0;
    CHECK_EQ(open_path("\\Registry\\Machine", KEY_ALL_ACCESS, &root), STATUS_SUCCESS);
    CHECK_EQ(create_path(NULL, "\\Registry\\Machine\\Software", 0, &h, &disp), STATUS_SUCCESS);
    CHECK_EQ(disp, REG_CREATED_NEW_KEY);
    CHECK_EQ(create_path(root, "SOFTWARE", 0, &h2, &disp), STATUS_SUCCESS);
    CHECK_EQ(disp, REG_OPENED_EXISTING_KEY);
    ZwClose(h2);
    /* Only the last component is created. */
    CHECK_EQ(create_path(h, "A\\B", 0, &h2, &disp), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(h2 == NULL);
    /* A volatile key takes only volatile children. */
    HANDLE v, c;
    CHECK_EQ(create_path(h, "Vol", REG_OPTION_VOLATILE, &v, &disp), STATUS_SUCCESS);
    CHECK_EQ(create_path(v, "Child", REG_OPTION_NON_VOLATILE, &c, &disp), (NTSTATUS)0xC0000181);
    CHECK_EQ(create_path(v, "Child", REG_OPTION_VOLATILE, &c, &disp), STATUS_SUCCESS);
    CHECK_EQ(disp, REG_CREATED_NEW_KEY);
    ZwClose(c);
    CHECK_EQ(create_path(h, "Bad", 0x100, &c, &disp), STATUS_INVALID_PARAMETER);
    /* The class is kept and reported. */
    UNICODE_STRING name = us("WithClass"), cls = us("Cls");
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, h, NULL);
    CHECK_EQ(ZwCreateKey(&c, KEY_ALL_ACCESS, &oa, 0, &cls, 0, NULL), STATUS_SUCCESS);
    UCHAR buf[128];
    ULONG len;
    CHECK_EQ(ZwQueryKey(c, KeyNodeInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    PKEY_NODE_INFORMATION node = (PKEY_NODE_INFORMATION)buf;
    CHECK_EQ(node->NameLength, 18);
    CHECK_EQ(node->ClassLength, 6);
    CHECK_EQ(node->ClassOffset, 24 + 18);
    CHECK_EQ(len, 24 + 18 + 6);
    CHECK(!memcmp(buf + node->ClassOffset, cls.Buffer, 6));
    ZwClose(c);
    ZwClose(v);
    ZwClose(h);
    ZwClose(root);
    no_leaks();
}

static void create_link(void)
{
    HANDLE h;
    create_path(NULL, "\\Registry\\Machine\\L", REG_OPTION_CREATE_LINK, &h, NULL);
}

TEST(create_link_not_modeled)
{
    kf_stop st;
    CHECK(stops(create_link, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
}

/* ---- G-7, G-8: information classes and the buffer boundary --------------------------------- */

static const UCHAR six[6] = {1, 2, 3, 4, 5, 6};

static HANDLE key_with_six(void)
{
    HANDLE h;
    kf_registry_set_value(PARAMS, "Blob", REG_BINARY, six, 6);
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_SUCCESS);
    return h;
}

TEST(partial_boundary_every_length)
{
    HANDLE h = key_with_six();
    UNICODE_STRING v = us("Blob");
    const ULONG D = 6;
    for (ULONG L = 0; L <= 12 + D + 4; L++) {
        UCHAR buf[64];
        memset(buf, 0xAA, sizeof buf);
        ULONG len = 0xDEAD;
        NTSTATUS s = ZwQueryValueKey(h, &v, KeyValuePartialInformation, L ? buf : NULL, L, &len);
        CHECK_EQ(len, 12 + D);
        if (L < 12) {
            CHECK_EQ(s, STATUS_BUFFER_TOO_SMALL);
            CHECK_EQ(buf[0], 0xAA); /* nothing written */
            CHECK_EQ(buf[11], 0xAA);
            continue;
        }
        PKEY_VALUE_PARTIAL_INFORMATION p = (PKEY_VALUE_PARTIAL_INFORMATION)buf;
        CHECK_EQ(p->TitleIndex, 0);
        CHECK_EQ(p->Type, REG_BINARY);
        CHECK_EQ(p->DataLength, D);
        ULONG copied = L - 12 < D ? L - 12 : D;
        CHECK(!memcmp(p->Data, six, copied));
        CHECK_EQ(buf[12 + copied], 0xAA); /* never past what fits */
        CHECK_EQ(buf[L], 0xAA);
        CHECK_EQ(s, L < 12 + D ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS);
    }
    ZwClose(h);
    no_leaks();
}

TEST(probe_with_length_zero_then_query)
{
    HANDLE h = key_with_six();
    UNICODE_STRING v = us("Blob");
    ULONG need = 0;
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, NULL, 0, &need), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(need, 18);
    PKEY_VALUE_PARTIAL_INFORMATION p = ExAllocatePool2(POOL_FLAG_PAGED, need, 0x67655274);
    ULONG got = 0;
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, p, need, &got), STATUS_SUCCESS);
    CHECK_EQ(got, 18);
    CHECK(!memcmp(p->Data, six, 6));
    ExFreePool(p);
    ZwClose(h);
    no_leaks();
}

TEST(basic_and_full_boundaries)
{
    HANDLE h = key_with_six();
    UNICODE_STRING v = us("Blob"); /* 8 bytes of name */
    UCHAR buf[64];
    ULONG len;
    /* Basic: fixed 12, then the name. */
    for (ULONG L = 0; L <= 24; L++) {
        memset(buf, 0xAA, sizeof buf);
        NTSTATUS s = ZwQueryValueKey(h, &v, KeyValueBasicInformation, buf, L, &len);
        CHECK_EQ(len, 20);
        CHECK_EQ(s, L < 12 ? STATUS_BUFFER_TOO_SMALL : L < 20 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS);
        if (L >= 12) {
            PKEY_VALUE_BASIC_INFORMATION b = (PKEY_VALUE_BASIC_INFORMATION)buf;
            CHECK_EQ(b->NameLength, 8);
            CHECK_EQ(b->Type, REG_BINARY);
            CHECK_EQ(buf[L], 0xAA);
        } else {
            CHECK_EQ(buf[0], 0xAA);
        }
    }
    /* Full: fixed 20, name 8 (to 28), data at 28 (4-aligned), 6 bytes: 34. */
    for (ULONG L = 0; L <= 40; L++) {
        memset(buf, 0xAA, sizeof buf);
        NTSTATUS s = ZwQueryValueKey(h, &v, KeyValueFullInformation, buf, L, &len);
        CHECK_EQ(len, 34);
        CHECK_EQ(s, L < 20 ? STATUS_BUFFER_TOO_SMALL : L < 34 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS);
        if (L >= 20) {
            PKEY_VALUE_FULL_INFORMATION f = (PKEY_VALUE_FULL_INFORMATION)buf;
            CHECK_EQ(f->DataOffset, 28);
            CHECK_EQ(f->DataLength, 6);
            CHECK_EQ(f->NameLength, 8);
            CHECK_EQ(buf[L], 0xAA);
        }
        if (L == 34)
            CHECK(!memcmp(buf + 28, six, 6));
    }
    /* A name of 3 characters (6 bytes) ends at 26: data at 28 (Full) and 32 (Align64). */
    kf_registry_set_value(PARAMS, "Abc", REG_BINARY, six, 6);
    v = us("Abc");
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValueFullInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(((PKEY_VALUE_FULL_INFORMATION)buf)->DataOffset, 28);
    CHECK_EQ(len, 34);
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValueFullInformationAlign64, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(((PKEY_VALUE_FULL_INFORMATION)buf)->DataOffset, 32);
    CHECK_EQ(len, 38);
    CHECK(!memcmp(buf + 32, six, 6));
    /* Partial Align64: fixed 8. */
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformationAlign64, buf, 7, &len), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(len, 14);
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformationAlign64, buf, 10, &len), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformationAlign64, buf, 14, &len), STATUS_SUCCESS);
    PKEY_VALUE_PARTIAL_INFORMATION_ALIGN64 a = (PKEY_VALUE_PARTIAL_INFORMATION_ALIGN64)buf;
    CHECK_EQ(a->Type, REG_BINARY);
    CHECK_EQ(a->DataLength, 6);
    CHECK(!memcmp(a->Data, six, 6));
    ZwClose(h);
}

static HANDLE layer_handle;
static void query_layer(void)
{
    UNICODE_STRING v = us("Blob");
    UCHAR buf[64];
    ULONG len;
    ZwQueryValueKey(layer_handle, &v, KeyValueLayerInformation, buf, sizeof buf, &len);
}

TEST(missing_value_and_bad_class)
{
    HANDLE h = key_with_six();
    UNICODE_STRING v = us("NoSuchValue"), b = us("Blob");
    UCHAR buf[64];
    ULONG len;
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(ZwQueryValueKey(h, &b, (KEY_VALUE_INFORMATION_CLASS)6, buf, sizeof buf, &len), STATUS_INVALID_PARAMETER);
    CHECK_EQ(ZwQueryValueKey(h, &b, (KEY_VALUE_INFORMATION_CLASS)77, buf, sizeof buf, &len), STATUS_INVALID_PARAMETER);
    layer_handle = h;
    kf_stop st;
    CHECK(stops(query_layer, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    ZwClose(h);
}

/* ---- G-9, G-10: setting, enumerating, deleting values ----------------------------------------- */

TEST(set_enumerate_delete_values)
{
    HANDLE h;
    ULONG disp;
    CHECK_EQ(create_path(NULL, "\\Registry\\Machine\\Software", 0, &h, &disp), STATUS_SUCCESS);
    static const WCHAR sz[] = L"text";
    static const WCHAR multi[] = L"a\0bc\0";
    ULONGLONG q = 0x1122334455667788ull;
    ULONG d = 7;
    struct { const char *name; ULONG type; const void *data; ULONG size; } vals[] = {
        {"Sz", REG_SZ, sz, sizeof sz}, {"Exp", REG_EXPAND_SZ, sz, sizeof sz}, {"Bin", REG_BINARY, six, 6},
        {"Dw", REG_DWORD, &d, 4}, {"Multi", REG_MULTI_SZ, multi, sizeof multi}, {"Qw", REG_QWORD, &q, 8},
        {"None", REG_NONE, NULL, 0}, {"", REG_SZ, sz, sizeof sz} /* the default value */,
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        UNICODE_STRING n = us(vals[i].name);
        CHECK_EQ(ZwSetValueKey(h, &n, 0, vals[i].type, (PVOID)vals[i].data, vals[i].size), STATUS_SUCCESS);
    }
    /* Replacing keeps the value's place; enumeration is in creation order. */
    d = 9;
    UNICODE_STRING dw = us("DW");
    CHECK_EQ(ZwSetValueKey(h, &dw, 0, REG_DWORD, &d, 4), STATUS_SUCCESS);
    UCHAR buf[128];
    ULONG len;
    for (ULONG i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        CHECK_EQ(ZwEnumerateValueKey(h, i, KeyValueFullInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
        PKEY_VALUE_FULL_INFORMATION f = (PKEY_VALUE_FULL_INFORMATION)buf;
        CHECK_EQ(f->Type, vals[i].type);
        CHECK_EQ(f->NameLength, strlen(vals[i].name) * 2);
        CHECK_EQ(f->DataLength, vals[i].size);
        if (i == 3)
            CHECK_EQ(*(ULONG *)(buf + f->DataOffset), 9);
        else if (vals[i].size)
            CHECK(!memcmp(buf + f->DataOffset, vals[i].data, vals[i].size));
    }
    CHECK_EQ(ZwEnumerateValueKey(h, 8, KeyValueBasicInformation, buf, sizeof buf, &len), STATUS_NO_MORE_ENTRIES);
    CHECK_EQ(ZwEnumerateValueKey(h, 0, (KEY_VALUE_INFORMATION_CLASS)9, buf, sizeof buf, &len),
             STATUS_INVALID_PARAMETER);
    UNICODE_STRING bin = us("bin"), gone = us("Gone");
    CHECK_EQ(ZwDeleteValueKey(h, &bin), STATUS_SUCCESS);
    CHECK_EQ(ZwQueryValueKey(h, &bin, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(ZwDeleteValueKey(h, &gone), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(ZwEnumerateValueKey(h, 7, KeyValueBasicInformation, buf, sizeof buf, &len), STATUS_NO_MORE_ENTRIES);
    CHECK_EQ(ZwFlushKey(h), STATUS_SUCCESS);
    ZwClose(h);
    no_leaks();
}

/* ---- G-11, G-12: keys: enumerate, query, delete ------------------------------------------------ */

TEST(enumerate_and_query_keys)
{
    kf_registry_set_value("\\Registry\\Machine\\Software\\beta", "x", REG_DWORD, "\1\0\0\0", 4);
    kf_registry_set_value("\\Registry\\Machine\\Software\\Alpha", NULL, REG_BINARY, six, 6);
    kf_registry_set_value("\\Registry\\Machine\\Software\\GAMMA", "long_value_name", REG_DWORD, "\1\0\0\0", 4);
    HANDLE h;
    CHECK_EQ(open_path("\\Registry\\Machine\\Software", KEY_READ, &h), STATUS_SUCCESS);
    const char *order[] = {"Alpha", "beta", "GAMMA"};
    UCHAR buf[128];
    ULONG len;
    for (ULONG i = 0; i < 3; i++) {
        CHECK_EQ(ZwEnumerateKey(h, i, KeyBasicInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
        PKEY_BASIC_INFORMATION b = (PKEY_BASIC_INFORMATION)buf;
        CHECK_EQ(b->NameLength, strlen(order[i]) * 2);
        CHECK_EQ(len, 16 + b->NameLength);
        for (size_t c = 0; c < strlen(order[i]); c++)
            CHECK_EQ(b->Name[c], (WCHAR)order[i][c]);
    }
    CHECK_EQ(ZwEnumerateKey(h, 3, KeyBasicInformation, buf, sizeof buf, &len), STATUS_NO_MORE_ENTRIES);
    CHECK_EQ(ZwEnumerateKey(h, 0, KeyBasicInformation, buf, 15, &len), STATUS_BUFFER_TOO_SMALL);
    CHECK_EQ(len, 26);
    CHECK_EQ(ZwEnumerateKey(h, 0, KeyBasicInformation, buf, 16, &len), STATUS_BUFFER_OVERFLOW);
    CHECK_EQ(ZwEnumerateKey(h, 0, (KEY_INFORMATION_CLASS)99, buf, sizeof buf, &len), STATUS_INVALID_PARAMETER);
    CHECK_EQ(ZwQueryKey(h, KeyFullInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    PKEY_FULL_INFORMATION f = (PKEY_FULL_INFORMATION)buf;
    CHECK_EQ(len, 44);
    CHECK_EQ(f->SubKeys, 3);
    CHECK_EQ(f->MaxNameLen, 10);
    CHECK_EQ(f->Values, 0);
    CHECK_EQ(f->ClassLength, 0);
    CHECK_EQ(ZwQueryKey(h, KeyFullInformation, buf, 43, &len), STATUS_BUFFER_TOO_SMALL);
    HANDLE g;
    CHECK_EQ(open_path("\\Registry\\Machine\\Software\\Gamma", KEY_READ, &g), STATUS_SUCCESS);
    CHECK_EQ(ZwQueryKey(g, KeyFullInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(f->Values, 1);
    CHECK_EQ(f->MaxValueNameLen, 30);
    CHECK_EQ(f->MaxValueDataLen, 4);
    CHECK_EQ(ZwEnumerateKey(g, 0, KeyNodeInformation, buf, sizeof buf, &len), STATUS_NO_MORE_ENTRIES);
    ZwClose(g);
    ZwClose(h);
    no_leaks();
}

TEST(delete_key_rules)
{
    kf_registry_set_value("\\Registry\\Machine\\Software\\P\\C", "x", REG_DWORD, "\1\0\0\0", 4);
    HANDLE p, c;
    CHECK_EQ(open_path("\\Registry\\Machine\\Software\\P", KEY_ALL_ACCESS, &p), STATUS_SUCCESS);
    CHECK_EQ(open_path("\\Registry\\Machine\\Software\\P\\C", KEY_ALL_ACCESS, &c), STATUS_SUCCESS);
    CHECK_EQ(ZwDeleteKey(p), STATUS_CANNOT_DELETE);
    CHECK_EQ(ZwDeleteKey(c), STATUS_SUCCESS);
    UCHAR buf[64];
    ULONG len;
    UNICODE_STRING x = us("x");
    CHECK_EQ(ZwQueryValueKey(c, &x, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_KEY_DELETED);
    CHECK_EQ(ZwSetValueKey(c, &x, 0, REG_DWORD, "\1\0\0\0", 4), STATUS_KEY_DELETED);
    CHECK_EQ(ZwFlushKey(c), STATUS_KEY_DELETED);
    CHECK_EQ(ZwDeleteKey(c), STATUS_KEY_DELETED);
    HANDLE again;
    CHECK_EQ(open_path("\\Registry\\Machine\\Software\\P\\C", KEY_READ, &again), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(ZwClose(c), STATUS_SUCCESS);
    CHECK_EQ(ZwDeleteKey(p), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(p), STATUS_SUCCESS);
    HANDLE m;
    CHECK_EQ(open_path("\\Registry\\Machine", KEY_ALL_ACCESS, &m), STATUS_SUCCESS);
    CHECK_EQ(ZwDeleteKey(m), STATUS_CANNOT_DELETE);
    ZwClose(m);
    no_leaks();
}

/* ---- G-6: access ---------------------------------------------------------------------------- */

TEST(access_checked_only_when_strict)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    HANDLE r, w;
    CHECK_EQ(open_path(PARAMS, KEY_READ, &r), STATUS_SUCCESS);
    CHECK_EQ(open_path(PARAMS, KEY_SET_VALUE, &w), STATUS_SUCCESS);
    UNICODE_STRING v = us("v");
    UCHAR buf[32];
    ULONG len;
    /* Windows skips the check for kernel-mode callers of Zw routines. */
    CHECK_EQ(ZwSetValueKey(r, &v, 0, REG_DWORD, "\2\0\0\0", 4), STATUS_SUCCESS);
    CHECK_EQ(ZwQueryValueKey(w, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    kf_set_strict_handle_access(TRUE);
    CHECK_EQ(ZwSetValueKey(r, &v, 0, REG_DWORD, "\2\0\0\0", 4), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwDeleteValueKey(r, &v), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwQueryValueKey(w, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwEnumerateValueKey(w, 0, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwEnumerateKey(w, 0, KeyBasicInformation, buf, sizeof buf, &len), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwQueryKey(w, KeyBasicInformation, buf, sizeof buf, &len), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwDeleteKey(r), STATUS_ACCESS_DENIED);
    CHECK_EQ(ZwQueryValueKey(r, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(ZwSetValueKey(w, &v, 0, REG_DWORD, "\3\0\0\0", 4), STATUS_SUCCESS);
    ZwClose(r);
    ZwClose(w);
    /* GENERIC_READ maps to KEY_READ. */
    CHECK_EQ(open_path(PARAMS, GENERIC_READ, &r), STATUS_SUCCESS);
    CHECK_EQ(ZwQueryValueKey(r, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(ZwSetValueKey(r, &v, 0, REG_DWORD, "\2\0\0\0", 4), STATUS_ACCESS_DENIED);
    ZwClose(r);
    kf_reset();
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    CHECK_EQ(open_path(PARAMS, KEY_READ, &r), STATUS_SUCCESS);
    CHECK_EQ(ZwSetValueKey(r, &v, 0, REG_DWORD, "\2\0\0\0", 4), STATUS_SUCCESS); /* reset: off again */
    ZwClose(r);
}

/* ---- G-5: IRQL, argument misuse ---------------------------------------------------------------- */

static void open_at_apc(void)
{
    HANDLE h;
    kf_set_irql(APC_LEVEL);
    open_path(PARAMS, KEY_READ, &h);
}
static void query_at_dispatch(void)
{
    ULONG len;
    UNICODE_STRING v = us("v");
    kf_set_irql(DISPATCH_LEVEL);
    ZwQueryValueKey((HANDLE)4, &v, KeyValuePartialInformation, NULL, 0, &len);
}
static void query_null_result_length(void)
{
    HANDLE h;
    UNICODE_STRING v = us("v");
    open_path(PARAMS, KEY_READ, &h);
    ZwQueryValueKey(h, &v, KeyValuePartialInformation, NULL, 0, NULL);
}
static void query_null_buffer(void)
{
    HANDLE h;
    ULONG len;
    UNICODE_STRING v = us("v");
    open_path(PARAMS, KEY_READ, &h);
    ZwQueryValueKey(h, &v, KeyValuePartialInformation, NULL, 16, &len);
}
static void open_null_handle_out(void)
{
    UNICODE_STRING n = us(PARAMS);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, NULL, NULL);
    ZwOpenKey(NULL, KEY_READ, &oa);
}
static void set_odd_name(void)
{
    HANDLE h;
    open_path(PARAMS, KEY_ALL_ACCESS, &h);
    UNICODE_STRING v = us("abc");
    v.Length = 3;
    ZwSetValueKey(h, &v, 0, REG_DWORD, "\1\0\0\0", 4);
}
static void set_null_data(void)
{
    HANDLE h;
    open_path(PARAMS, KEY_ALL_ACCESS, &h);
    UNICODE_STRING v = us("abc");
    ZwSetValueKey(h, &v, 0, REG_DWORD, NULL, 4);
}
static HANDLE closed_key;
static void query_closed_handle(void)
{
    UNICODE_STRING v = us("v");
    ULONG len;
    open_path(PARAMS, KEY_READ, &closed_key);
    ZwClose(closed_key);
    ZwQueryValueKey(closed_key, &v, KeyValuePartialInformation, NULL, 0, &len);
}

TEST(irql_and_argument_stops)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    kf_stop st;
    CHECK(stops(open_at_apc, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_PASSIVE_AT_APC);
    CHECK(!strcmp(st.routine, "ZwOpenKey"));
    CHECK(stops(query_at_dispatch, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
    CHECK(stops(query_null_result_length, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_NULL_ARGUMENT);
    CHECK(stops(query_null_buffer, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_NULL_ARGUMENT);
    CHECK(stops(open_null_handle_out, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_NULL_ARGUMENT);
    CHECK(stops(set_odd_name, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_BAD_STRING);
    CHECK(stops(set_null_data, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_NULL_ARGUMENT);
    CHECK(stops(query_closed_handle, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_HANDLE_AFTER_CLOSE);
    /* A handle never issued, or NULL: the status Windows returns. */
    UNICODE_STRING v = us("v");
    ULONG len;
    CHECK_EQ(ZwQueryValueKey((HANDLE)0x4444, &v, KeyValuePartialInformation, NULL, 0, &len), STATUS_INVALID_HANDLE);
    CHECK_EQ(ZwQueryValueKey(NULL, &v, KeyValuePartialInformation, NULL, 0, &len), STATUS_INVALID_HANDLE);
    CHECK_EQ(ZwQueryValueKey(NtCurrentProcess(), &v, KeyValuePartialInformation, NULL, 0, &len),
             STATUS_OBJECT_TYPE_MISMATCH);
}

/* ---- G-13: user process context ---------------------------------------------------------------- */

static void open_without_kernel_handle_in_user_process(void)
{
    UNICODE_STRING n = us(PARAMS);
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    InitializeObjectAttributes(&oa, &n, OBJ_CASE_INSENSITIVE, NULL, NULL);
    kf_set_user_process_context(TRUE);
    ZwOpenKey(&h, KEY_READ, &oa);
}

TEST(obj_kernel_handle_rule)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    UNICODE_STRING n = us(PARAMS);
    OBJECT_ATTRIBUTES oa;
    HANDLE h;
    /* In the system process a handle without OBJ_KERNEL_HANDLE is a process handle, and fine. */
    InitializeObjectAttributes(&oa, &n, OBJ_CASE_INSENSITIVE, NULL, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_SUCCESS);
    CHECK_EQ((ULONG_PTR)h, 4);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    kf_stop st;
    CHECK(stops(open_without_kernel_handle_in_user_process, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_USER_HANDLE_OPENED);
    kf_set_user_process_context(TRUE);
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, NULL, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    kf_set_user_process_context(FALSE);
}

/* ---- G-16: fault sites ------------------------------------------------------------------------- */

static kf_site fail_site;
static kf_fault_kind fail_one(void *ctx, kf_site site)
{
    (void)ctx;
    return site == fail_site ? KF_FAULT_HARD : KF_FAULT_NONE;
}

TEST(fault_sites_each)
{
    static const kf_site sites[] = {KF_SITE_OB_OBJECT, KF_SITE_OB_HANDLE, KF_SITE_CM_KEY, KF_SITE_CM_VALUE};
    for (size_t i = 0; i < 4; i++) {
        kf_reset();
        kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
        fail_site = sites[i];
        kf_set_fault_hook(fail_one, NULL);
        HANDLE h = (HANDLE)1, k = (HANDLE)1;
        ULONG disp = 0xEE;
        NTSTATUS so = open_path(PARAMS, KEY_ALL_ACCESS, &h);
        NTSTATUS sc = create_path(NULL, PARAMS "\\New", 0, &k, &disp);
        int opens_fail = sites[i] == KF_SITE_OB_OBJECT || sites[i] == KF_SITE_OB_HANDLE;
        CHECK_EQ(so, opens_fail ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS);
        CHECK_EQ(sc, opens_fail || sites[i] == KF_SITE_CM_KEY ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS);
        if (!NT_SUCCESS(so))
            CHECK(h == NULL);
        if (!NT_SUCCESS(sc)) {
            CHECK(k == NULL);
            CHECK_EQ(disp, 0xEE);
        }
        if (NT_SUCCESS(so)) {
            UNICODE_STRING v = us("v");
            ULONG d = 5;
            CHECK_EQ(ZwSetValueKey(h, &v, 0, REG_DWORD, &d, 4),
                     sites[i] == KF_SITE_CM_VALUE ? STATUS_INSUFFICIENT_RESOURCES : STATUS_SUCCESS);
            UCHAR buf[32];
            ULONG len;
            CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
            /* A failed set leaves the old value. */
            CHECK_EQ(*(ULONG *)((PKEY_VALUE_PARTIAL_INFORMATION)buf)->Data, sites[i] == KF_SITE_CM_VALUE ? 1 : 5);
            ZwClose(h);
        }
        if (NT_SUCCESS(sc))
            ZwClose(k);
        CHECK(kf_fault_get_stats()->injected[sites[i]] >= 1);
        kf_set_fault_hook(NULL, NULL);
        no_leaks();
    }
    CHECK_EQ(kf_site_lookup("cm.key"), KF_SITE_CM_KEY);
    CHECK_EQ(kf_site_lookup("cm.value"), KF_SITE_CM_VALUE);
    CHECK_EQ(kf_site_lookup("ob.object"), KF_SITE_OB_OBJECT);
}

TEST(fail_nth_first_site_of_open)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    kft_options("fail_nth=1");
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4); /* the harness's filling: no site */
    HANDLE h;
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(kf_fault_get_stats()->total_injected, 1);
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_SUCCESS);
    ZwClose(h);
    no_leaks();
}

/* ---- G-20: leaks and reset ----------------------------------------------------------------------- */

TEST(key_handle_leak_and_reset_empties)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    HANDLE h;
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_SUCCESS);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.handles, 1);
    CHECK_EQ(lr.objects, 0);
    kf_reset();
    kf_leaks(&lr);
    CHECK_EQ(lr.handles, 0);
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(open_path("\\Registry\\Machine", KEY_READ, &h), STATUS_SUCCESS); /* the roots remain */
    ZwClose(h);
    /* A deleted key still open at reset is freed with it. */
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    CHECK_EQ(open_path(PARAMS, KEY_ALL_ACCESS, &h), STATUS_SUCCESS);
    CHECK_EQ(ZwDeleteKey(h), STATUS_SUCCESS);
    kf_reset();
    CHECK_EQ(kf_registry_set_value("Registry\\NoLeadingSlash", "v", REG_DWORD, "\1\0\0\0", 4), -1);
    CHECK_EQ(kf_registry_set_value("\\Other\\Root", "v", REG_DWORD, "\1\0\0\0", 4), -1);
}

/* ---- G-15 to G-19: Rtl helpers ---------------------------------------------------------------------- */

static ULONG routine_calls;
static WCHAR routine_seen[8][16];
static NTSTATUS record_routine(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                               PVOID EntryContext)
{
    (void)ValueName;
    (void)EntryContext;
    CHECK(Context == (PVOID)&routine_calls);
    CHECK_EQ(ValueType, REG_SZ);
    if (routine_calls < 8 && ValueLength <= sizeof routine_seen[0])
        memcpy(routine_seen[routine_calls], ValueData, ValueLength);
    routine_calls++;
    return STATUS_SUCCESS;
}

static ULONG whole_calls, whole_type, whole_length;
static NTSTATUS record_whole(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                             PVOID EntryContext)
{
    (void)ValueName;
    (void)ValueData;
    (void)Context;
    (void)EntryContext;
    whole_calls++;
    whole_type = ValueType;
    whole_length = ValueLength;
    return STATUS_SUCCESS;
}
static NTSTATUS fail_routine(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                             PVOID EntryContext)
{
    (void)ValueName;
    (void)ValueType;
    (void)ValueData;
    (void)ValueLength;
    (void)Context;
    (void)EntryContext;
    return STATUS_DISK_FULL;
}

TEST(query_registry_values)
{
    static const WCHAR name[] = L"MyName";
    static const WCHAR multi[] = L"one\0two\0";
    ULONG level = 3;
    kf_registry_set_value(PARAMS, "Level", REG_DWORD, &level, 4);
    kf_registry_set_value(PARAMS, "Name", REG_SZ, name, sizeof name);
    kf_registry_set_value(PARAMS, "List", REG_MULTI_SZ, multi, sizeof multi);
    ULONG got_level = 0, missing = 77, def = 42;
    UNICODE_STRING got_name = {0, 0, NULL};
    RTL_QUERY_REGISTRY_TABLE t[6];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
    t[0].Name = L"Level";
    t[0].EntryContext = &got_level;
    t[1].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[1].Name = L"Name";
    t[1].EntryContext = &got_name;
    t[2].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[2].Name = L"Absent";
    t[2].EntryContext = &missing;
    t[2].DefaultType = REG_DWORD;
    t[2].DefaultData = &def;
    t[2].DefaultLength = 4;
    t[3].QueryRoutine = record_routine;
    t[3].Name = L"List";
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, &routine_calls, NULL),
             STATUS_SUCCESS);
    CHECK_EQ(got_level, 3);
    CHECK_EQ(missing, 42);
    CHECK_EQ(got_name.Length, 12);
    CHECK_EQ(got_name.MaximumLength, 14);
    CHECK(!memcmp(got_name.Buffer, name, sizeof name));
    CHECK_EQ(routine_calls, 2); /* once per string of the REG_MULTI_SZ */
    CHECK(!memcmp(routine_seen[0], L"one", 8));
    CHECK(!memcmp(routine_seen[1], L"two", 8));
    ExFreePool(got_name.Buffer); /* the routine allocated it from paged pool */
    /* NOEXPAND: the list whole, once, as REG_MULTI_SZ. */
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_NOEXPAND;
    t[0].QueryRoutine = record_whole;
    t[0].Name = L"List";
    whole_calls = 0;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, L"" PARAMS, t, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(whole_calls, 1);
    CHECK_EQ(whole_type, REG_MULTI_SZ);
    CHECK_EQ(whole_length, sizeof multi);
    /* No Name: every value of the key, in order. */
    t[0].Name = NULL;
    whole_calls = 0;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, L"" PARAMS, t, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(whole_calls, 3);
    no_leaks();
}

TEST(query_registry_values_failures)
{
    ULONG level = 3;
    kf_registry_set_value(PARAMS, "Level", REG_DWORD, &level, 4);
    kf_registry_set_value(PARAMS, "Big", REG_BINARY, six, 6);
    kf_registry_set_value(PARAMS, "Name", REG_SZ, L"abcdef", 14);
    ULONG out = 0;
    RTL_QUERY_REGISTRY_TABLE t[2];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_REQUIRED;
    t[0].Name = L"Absent";
    t[0].EntryContext = &out;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Other\\Parameters", t, NULL, NULL),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(RtlQueryRegistryValues(9, L"x", t, NULL, NULL), STATUS_INVALID_PARAMETER);
    /* TYPECHECK: the type expected sits in DefaultType's high byte. */
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_TYPECHECK;
    t[0].Name = L"Big";
    t[0].DefaultType = REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL),
             STATUS_OBJECT_TYPE_MISMATCH);
    t[0].Name = L"Level";
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(out, 3);
    /* Data above a ULONG: a LONG size header first (negative: data only). */
    LONG blob[4] = {-8, 0, 0, 0};
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].DefaultType = 0;
    t[0].Name = L"Big";
    t[0].EntryContext = blob;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL), STATUS_SUCCESS);
    CHECK(!memcmp(blob, six, 6));
    LONG blob2[4] = {12, 0, 0, 0};
    t[0].EntryContext = blob2;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL),
             STATUS_BUFFER_TOO_SMALL);
    LONG blob3[4] = {16, 0, 0, 0};
    t[0].EntryContext = blob3;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(blob3[0], 6);
    CHECK_EQ(blob3[1], REG_BINARY);
    CHECK(!memcmp(&blob3[2], six, 6));
    /* A string into a caller's buffer that is too small. */
    WCHAR small[4];
    UNICODE_STRING us_small = {0, sizeof small, small};
    t[0].Name = L"Name";
    t[0].EntryContext = &us_small;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL),
             STATUS_BUFFER_TOO_SMALL);
    /* A routine's failure ends the query with its status. */
    t[0].Flags = 0;
    t[0].QueryRoutine = fail_routine;
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL), STATUS_DISK_FULL);
    no_leaks();
}

TEST(write_check_create_delete)
{
    kf_registry_set_value("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Drv", "Start", REG_DWORD,
                          "\3\0\0\0", 4);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Drv"), STATUS_SUCCESS);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Drv\\Parameters"), STATUS_OBJECT_NAME_NOT_FOUND);
    ULONG v = 11;
    /* RtlWriteRegistryValue creates the last component only. */
    CHECK_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", L"Count", REG_DWORD, &v, 4),
             STATUS_SUCCESS);
    CHECK_EQ(RtlWriteRegistryValue(RTL_REGISTRY_SERVICES, L"Drv\\A\\B", L"Count", REG_DWORD, &v, 4),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Drv\\Parameters"), STATUS_SUCCESS);
    HANDLE h;
    CHECK_EQ(open_path(PARAMS, KEY_READ, &h), STATUS_SUCCESS);
    UCHAR buf[32];
    ULONG len;
    UNICODE_STRING c = us("count");
    CHECK_EQ(ZwQueryValueKey(h, &c, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    CHECK_EQ(*(ULONG *)((PKEY_VALUE_PARTIAL_INFORMATION)buf)->Data, 11);
    /* RTL_REGISTRY_HANDLE: Path is the handle. */
    v = 12;
    CHECK_EQ(RtlWriteRegistryValue(RTL_REGISTRY_HANDLE, (PCWSTR)h, L"Count", REG_DWORD, &v, 4), STATUS_SUCCESS);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_HANDLE, (PWSTR)h), STATUS_SUCCESS);
    CHECK_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", L"Count"), STATUS_SUCCESS);
    CHECK_EQ(RtlDeleteRegistryValue(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", L"Count"),
             STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK_EQ(RtlCreateRegistryKey(RTL_REGISTRY_SERVICES, L"Drv\\Parameters\\Sub"), STATUS_SUCCESS);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_ABSOLUTE, L"" PARAMS L"\\Sub"), STATUS_SUCCESS);
    ZwClose(h);
    no_leaks();
}

/* ---- G-14: IoOpenDriverRegistryKey ------------------------------------------------------------------ */

static DRIVER_OBJECT drv;
static void open_driver_key_win8(void)
{
    HANDLE h;
    IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h);
}
static void open_driver_key_persistent(void)
{
    HANDLE h;
    IoOpenDriverRegistryKey(&drv, DriverRegKeyPersistentState, KEY_READ, 0, &h);
}

TEST(open_driver_registry_key)
{
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    memset(&drv, 0, sizeof drv);
    HANDLE h = (HANDLE)1;
    /* No service name anywhere: not found. */
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    CHECK(h == NULL);
    CHECK_EQ(kf_registry_set_service_name("drv"), 0);
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_SUCCESS);
    CHECK(((ULONG_PTR)h & 0xFFFFFFFF80000000ull) == 0xFFFFFFFF80000000ull);
    UNICODE_STRING v = us("v");
    UCHAR buf[32];
    ULONG len;
    CHECK_EQ(ZwQueryValueKey(h, &v, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_SUCCESS);
    ZwClose(h);
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 1, &h), STATUS_INVALID_PARAMETER);
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, (DRIVER_REGKEY_TYPE)7, KEY_READ, 0, &h), STATUS_INVALID_PARAMETER);
    /* The driver object's ServiceKeyName wins over the harness's name. */
    DRIVER_EXTENSION ext;
    memset(&ext, 0, sizeof ext);
    ext.ServiceKeyName = us("Other");
    drv.DriverExtension = &ext;
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_OBJECT_NAME_NOT_FOUND);
    ext.ServiceKeyName = us("Drv");
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_SUCCESS);
    ZwClose(h);
    no_leaks();
    kf_stop st;
    CHECK(stops(open_driver_key_persistent, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    kft_options("profile=win8-amd64");
    CHECK(stops(open_driver_key_win8, &st));
    CHECK_VIOLATION(st, KF_VIOL_ROUTINE_UNAVAILABLE);
    kft_options("profile=win10-x86");
    kf_registry_set_value(PARAMS, "v", REG_DWORD, "\1\0\0\0", 4);
    CHECK_EQ(IoOpenDriverRegistryKey(&drv, DriverRegKeyParameters, KEY_READ, 0, &h), STATUS_SUCCESS);
    ZwClose(h);
}

/* ---- G-15: subkeys, the top key, NOVALUE, DELETE, defaults, what is not modeled -------------------- */

static ULONG novalue_calls;
static NTSTATUS count_novalue(PWSTR ValueName, ULONG ValueType, PVOID ValueData, ULONG ValueLength, PVOID Context,
                              PVOID EntryContext)
{
    (void)ValueName;
    (void)Context;
    (void)EntryContext;
    CHECK_EQ(ValueType, REG_NONE);
    CHECK(ValueData == NULL);
    CHECK_EQ(ValueLength, 0);
    novalue_calls++;
    return STATUS_SUCCESS;
}

TEST(query_registry_subkeys_and_flags)
{
    ULONG top = 1, sub = 2;
    kf_registry_set_value(PARAMS, "V", REG_DWORD, &top, 4);
    kf_registry_set_value(PARAMS "\\Sub", "V", REG_DWORD, &sub, 4);
    kf_registry_set_value(PARAMS "\\Sub", "Gone", REG_DWORD, &sub, 4);
    ULONG a = 0, b = 0, c = 0, gone = 0;
    UNICODE_STRING dflt = {0, 0, NULL};
    RTL_QUERY_REGISTRY_TABLE t[8];
    memset(t, 0, sizeof t);
    t[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[0].Name = L"V";
    t[0].EntryContext = &a;
    t[1].Flags = RTL_QUERY_REGISTRY_SUBKEY;
    t[1].Name = L"Sub";
    t[2].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[2].Name = L"V";
    t[2].EntryContext = &b;
    t[3].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_DELETE;
    t[3].Name = L"Gone";
    t[3].EntryContext = &gone;
    t[4].Flags = RTL_QUERY_REGISTRY_TOPKEY | RTL_QUERY_REGISTRY_DIRECT;
    t[4].Name = L"V";
    t[4].EntryContext = &c;
    t[5].Flags = RTL_QUERY_REGISTRY_NOVALUE;
    t[5].QueryRoutine = count_novalue;
    t[5].Name = L"Anything";
    t[6].Flags = RTL_QUERY_REGISTRY_DIRECT;
    t[6].Name = L"Missing";
    t[6].EntryContext = &dflt;
    t[6].DefaultType = REG_SZ;
    t[6].DefaultData = L"dflt";
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", t, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 2);
    CHECK_EQ(c, 1);
    CHECK_EQ(gone, 2);
    CHECK_EQ(novalue_calls, 1);
    CHECK_EQ(dflt.Length, 8); /* DefaultLength 0: the string measured */
    CHECK(!memcmp(dflt.Buffer, L"dflt", 10));
    ExFreePool(dflt.Buffer);
    CHECK_EQ(RtlCheckRegistryKey(RTL_REGISTRY_SERVICES, L"Drv\\Parameters\\Sub"), STATUS_SUCCESS);
    HANDLE h;
    CHECK_EQ(open_path(PARAMS "\\Sub", KEY_READ, &h), STATUS_SUCCESS);
    UNICODE_STRING g = us("Gone");
    UCHAR buf[32];
    ULONG len;
    CHECK_EQ(ZwQueryValueKey(h, &g, KeyValuePartialInformation, buf, sizeof buf, &len), STATUS_OBJECT_NAME_NOT_FOUND);
    ZwClose(h);
    no_leaks();
}

static RTL_QUERY_REGISTRY_TABLE bad_table[2];
static ULONG bad_relative = RTL_REGISTRY_SERVICES;
static PVOID bad_environment;
static void query_bad_table(void)
{
    RtlQueryRegistryValues(bad_relative, L"Drv\\Parameters", bad_table, NULL, bad_environment);
}

TEST(query_registry_misuse_and_not_modeled)
{
    kf_registry_set_value(PARAMS, "V", REG_EXPAND_SZ, L"%SystemRoot%", 26);
    kf_stop st;
    memset(bad_table, 0, sizeof bad_table);
    bad_table[0].Name = L"V"; /* neither a routine nor DIRECT */
    CHECK(stops(query_bad_table, &st));
    CHECK_VIOLATION(st, KF_VIOL_REG_NULL_ARGUMENT);
    ULONG out;
    bad_table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_NOSTRING;
    bad_table[0].EntryContext = &out;
    CHECK(stops(query_bad_table, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    UNICODE_STRING s = {0, 0, NULL};
    bad_table[0].Flags = RTL_QUERY_REGISTRY_DIRECT; /* %...% would need expanding */
    bad_table[0].EntryContext = &s;
    CHECK(stops(query_bad_table, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    bad_table[0].Flags = RTL_QUERY_REGISTRY_DIRECT | RTL_QUERY_REGISTRY_NOEXPAND;
    bad_relative = RTL_REGISTRY_SERVICES | RTL_REGISTRY_OPTIONAL;
    CHECK(stops(query_bad_table, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    bad_relative = RTL_REGISTRY_SERVICES;
    bad_environment = &out;
    CHECK(stops(query_bad_table, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
    bad_environment = NULL;
    /* NOEXPAND: the REG_EXPAND_SZ as it is. */
    CHECK_EQ(RtlQueryRegistryValues(RTL_REGISTRY_SERVICES, L"Drv\\Parameters", bad_table, NULL, NULL), STATUS_SUCCESS);
    CHECK_EQ(s.Length, 24);
    ExFreePool(s.Buffer);
}

/* ---- A driver's way of reading its parameters, under every fault ---------------------------------- *
 * Written as a driver would (only WDK names): the probe with Length 0, a pool buffer of the size
 * the probe reported, the query, then closes and frees on every path. */

static NTSTATUS DrvReadLevel(PUNICODE_STRING RegistryPath, PULONG Level)
{
    OBJECT_ATTRIBUTES oa;
    HANDLE key = NULL, params = NULL;
    UNICODE_STRING sub = RTL_CONSTANT_STRING(L"Parameters");
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"Level");
    PKEY_VALUE_PARTIAL_INFORMATION info = NULL;
    ULONG need = 0;
    NTSTATUS status;

    InitializeObjectAttributes(&oa, RegistryPath, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ, &oa);
    if (!NT_SUCCESS(status))
        return status;
    InitializeObjectAttributes(&oa, &sub, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, key, NULL);
    status = ZwCreateKey(&params, KEY_READ | KEY_SET_VALUE, &oa, 0, NULL, REG_OPTION_NON_VOLATILE, NULL);
    if (!NT_SUCCESS(status))
        goto out;
    status = ZwQueryValueKey(params, &name, KeyValuePartialInformation, NULL, 0, &need);
    if (status == STATUS_OBJECT_NAME_NOT_FOUND) {
        ULONG dflt = 4;
        status = ZwSetValueKey(params, &name, 0, REG_DWORD, &dflt, sizeof dflt);
        *Level = dflt;
        goto out;
    }
    if (status != STATUS_BUFFER_TOO_SMALL && status != STATUS_BUFFER_OVERFLOW)
        goto out;
    info = ExAllocatePool2(POOL_FLAG_PAGED, need, 0x4C647244);
    if (!info) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto out;
    }
    status = ZwQueryValueKey(params, &name, KeyValuePartialInformation, info, need, &need);
    if (NT_SUCCESS(status)) {
        if (info->Type == REG_DWORD && info->DataLength == sizeof(ULONG))
            *Level = *(ULONG *)info->Data;
        else
            status = STATUS_INVALID_PARAMETER;
    }
out:
    if (info)
        ExFreePool(info);
    if (params)
        ZwClose(params);
    ZwClose(key);
    return status;
}

static NTSTATUS sweep_status;
static ULONG sweep_level;
static void sweep_body(void)
{
    UNICODE_STRING path = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Drv");
    sweep_status = DrvReadLevel(&path, &sweep_level);
}

TEST(driver_reads_parameters_under_every_fault)
{
    for (int with_value = 0; with_value < 2; with_value++) {
        unsigned injected_runs = 0;
        for (unsigned n = 1; n < 64; n++) {
            char opt[32];
            snprintf(opt, sizeof opt, "fail_nth=%u", n);
            kft_options(opt);
            kf_registry_set_value("\\Registry\\Machine\\System\\CurrentControlSet\\Services\\Drv", "Start",
                                  REG_DWORD, "\3\0\0\0", 4);
            if (with_value)
                kf_registry_set_value(PARAMS, "Level", REG_DWORD, "\7\0\0\0", 4);
            sweep_level = 0;
            kf_stop st;
            CHECK(!stops(sweep_body, &st));
            no_leaks();
            if (!kf_fault_get_stats()->total_injected) {
                CHECK_EQ(sweep_status, STATUS_SUCCESS);
                CHECK_EQ(sweep_level, with_value ? 7 : 4);
                break;
            }
            injected_runs++;
            CHECK(sweep_status == STATUS_INSUFFICIENT_RESOURCES);
        }
        /* open, create (object, handle), set or allocate: every site the path meets failed once. */
        CHECK(injected_runs >= 5);
    }
}

/* The bug INV-Z1 of the fact sheet: STATUS_BUFFER_OVERFLOW taken as success, then DataLength
 * bytes read from a buffer that holds only part of them. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(HAVE_ASAN)
#define HAVE_ASAN 1
#endif

#ifdef HAVE_ASAN
static volatile ULONG overflow_sum;
static void overflow_taken_as_success(void)
{
    UCHAR big[64];
    memset(big, 1, sizeof big);
    kf_registry_set_value(PARAMS, "Table", REG_BINARY, big, sizeof big);
    HANDLE h;
    open_path(PARAMS, KEY_READ, &h);
    UNICODE_STRING v = us("Table");
    ULONG len;
    PKEY_VALUE_PARTIAL_INFORMATION p = ExAllocatePool2(POOL_FLAG_PAGED, sizeof *p, 0x4C647244);
    NTSTATUS s = ZwQueryValueKey(h, &v, KeyValuePartialInformation, p, sizeof *p, &len);
    if (NT_SUCCESS(s) || s == STATUS_BUFFER_OVERFLOW)
        for (ULONG i = 0; i < p->DataLength; i++)
            overflow_sum += p->Data[i];
}

TEST(overflow_taken_as_success_is_reported)
{
    CHECK(kft_expect_death(overflow_taken_as_success, "heap-buffer-overflow"));
}
#endif
