/*
 * test_generic_table.c - SEMANTICS.md "Generic tables" (T-*): the Rtl generic tables of
 * ntddk.h over a driver-style compare / allocate / free triple, their order, duplicates,
 * allocation failure, access by insertion index, enumeration, deletion, and the stops.
 */
#include "kft.h"
#include "ntddk.h"

#include <string.h>

#define TAG 0x746E6547u /* 'tneG': "Gent" in the debugger */

typedef struct item {
    ULONG key;
    ULONG payload;
} item;

static int allocs, frees, fail_alloc, compares;
static CLONG last_size;

static RTL_GENERIC_COMPARE_RESULTS NTAPI cmp(PRTL_GENERIC_TABLE t, PVOID a, PVOID b)
{
    (void)t;
    compares++;
    ULONG x = ((item *)a)->key, y = ((item *)b)->key;
    return x < y ? GenericLessThan : x > y ? GenericGreaterThan : GenericEqual;
}

static PVOID NTAPI alloc(PRTL_GENERIC_TABLE t, CLONG n)
{
    (void)t;
    last_size = n;
    if (fail_alloc)
        return NULL;
    allocs++;
    return ExAllocatePoolWithTag(PagedPool, n, TAG);
}

static VOID NTAPI release(PRTL_GENERIC_TABLE t, PVOID p)
{
    (void)t;
    frees++;
    ExFreePoolWithTag(p, TAG);
}

static void fresh(PRTL_GENERIC_TABLE t)
{
    kft_options("");
    allocs = frees = fail_alloc = compares = 0;
    RtlInitializeGenericTable(t, cmp, alloc, release, (PVOID)0x1234);
}

static item *put(PRTL_GENERIC_TABLE t, ULONG key, ULONG payload, BOOLEAN *isnew)
{
    item it = {key, payload};
    return RtlInsertElementGenericTable(t, &it, sizeof it, isnew);
}

static void empty_all(PRTL_GENERIC_TABLE t)
{
    item *p;
    while ((p = RtlGetElementGenericTable(t, 0)) != NULL) {
        item k = *p;
        RtlDeleteElementGenericTable(t, &k);
    }
}

/* ---- T-1, T-2: initialization, insertion in collation order, duplicates -------------------- */

TEST(generic_table_initialize)
{
    RTL_GENERIC_TABLE t;
    memset(&t, 0xAB, sizeof t);
    fresh(&t);
    CHECK(t.TableRoot == NULL);
    CHECK(t.InsertOrderList.Flink == &t.InsertOrderList && t.InsertOrderList.Blink == &t.InsertOrderList);
    CHECK_EQ(t.NumberGenericTableElements, 0);
    CHECK(t.TableContext == (PVOID)0x1234);
    CHECK(RtlIsGenericTableEmpty(&t));
    CHECK_EQ(RtlNumberGenericTableElements(&t), 0);
    CHECK(RtlEnumerateGenericTable(&t, TRUE) == NULL);
    CHECK(RtlGetElementGenericTable(&t, 0) == NULL);
    item k = {1, 0};
    CHECK(RtlLookupElementGenericTable(&t, &k) == NULL);
    CHECK(!RtlDeleteElementGenericTable(&t, &k));
    CHECK_EQ(compares, 0);
}

TEST(generic_table_insert_and_order)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    static const ULONG keys[] = {50, 20, 80, 10, 30, 70, 90, 60, 40, 5};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        BOOLEAN isnew = FALSE;
        item *p = put(&t, keys[i], keys[i] * 2, &isnew);
        CHECK(p != NULL && isnew);
        if (p)
            CHECK(p->key == keys[i] && p->payload == keys[i] * 2);
    }
    CHECK_EQ(RtlNumberGenericTableElements(&t), 10);
    CHECK(!RtlIsGenericTableEmpty(&t));
    CHECK_EQ(allocs, 10);
    /* Collation order from the compare routine. */
    ULONG prev = 0, n = 0;
    for (item *p = RtlEnumerateGenericTable(&t, TRUE); p; p = RtlEnumerateGenericTable(&t, FALSE)) {
        CHECK(p->key > prev);
        prev = p->key;
        n++;
    }
    CHECK_EQ(n, 10);
    CHECK_EQ(prev, 90);
    /* A duplicate: the existing element, NewElement FALSE, nothing allocated, nothing copied. */
    BOOLEAN isnew = TRUE;
    item *dup = put(&t, 30, 999, &isnew);
    CHECK(dup != NULL && !isnew);
    if (dup)
        CHECK_EQ(dup->payload, 60);
    CHECK_EQ(allocs, 10);
    CHECK_EQ(RtlNumberGenericTableElements(&t), 10);
    /* NewElement is optional. */
    CHECK(put(&t, 31, 1, NULL) != NULL);
    CHECK(put(&t, 31, 2, NULL) != NULL);
    CHECK_EQ(RtlNumberGenericTableElements(&t), 11);
    empty_all(&t);
    CHECK_EQ(frees, allocs);
    CHECK(RtlIsGenericTableEmpty(&t));
}

/* ---- T-3: the node is the allocate routine's, header + element, the element copied ----------- */

TEST(generic_table_node_size_and_copy)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    item it = {7, 77};
    BOOLEAN isnew = FALSE;
    item *p = RtlInsertElementGenericTable(&t, &it, sizeof it, &isnew);
    CHECK(p != NULL && isnew);
    /* sizeof(RTL_SPLAY_LINKS) + sizeof(LIST_ENTRY), LONGLONG-aligned: 40 bytes on 64-bit. */
    CHECK_EQ(sizeof(RTL_SPLAY_LINKS) + sizeof(LIST_ENTRY), sizeof(void *) == 8 ? 40 : 20);
    CHECK_EQ(last_size, (sizeof(void *) == 8 ? 40 : 24) + sizeof it);
    CHECK(p != &it);
    it.payload = 0; /* the table holds a copy */
    if (p)
        CHECK_EQ(p->payload, 77);
    CHECK_EQ(((ULONG_PTR)p) % 8, 0);
    empty_all(&t);
}

/* ---- T-4: allocation failure ------------------------------------------------------------------ */

TEST(generic_table_allocation_failure)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    put(&t, 1, 1, NULL);
    fail_alloc = 1;
    BOOLEAN isnew = TRUE;
    CHECK(put(&t, 2, 2, &isnew) == NULL);
    CHECK(!isnew);
    CHECK_EQ(RtlNumberGenericTableElements(&t), 1);
    item k = {2, 0};
    CHECK(RtlLookupElementGenericTable(&t, &k) == NULL);
    /* A duplicate needs no memory. */
    CHECK(put(&t, 1, 5, &isnew) != NULL);
    fail_alloc = 0;
    empty_all(&t);
    CHECK_EQ(frees, 1);
}

/* The driver's own pool fails under the fault plan: the insert returns NULL. */
TEST(generic_table_pool_fault)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    kft_options("fail_nth=1");
    allocs = frees = 0;
    RtlInitializeGenericTable(&t, cmp, alloc, release, NULL);
    BOOLEAN isnew = TRUE;
    CHECK(put(&t, 1, 1, &isnew) == NULL);
    CHECK(!isnew);
    CHECK(RtlIsGenericTableEmpty(&t));
    CHECK(put(&t, 1, 1, &isnew) != NULL && isnew);
    empty_all(&t);
    kft_options("");
}

/* ---- T-5: lookup, delete, index by insertion order ------------------------------------------ */

TEST(generic_table_lookup_delete_index)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    static const ULONG keys[] = {40, 10, 30, 20};
    for (unsigned i = 0; i < 4; i++)
        put(&t, keys[i], i, NULL);
    for (unsigned i = 0; i < 4; i++) {
        item *p = RtlGetElementGenericTable(&t, i);
        CHECK(p != NULL);
        if (p)
            CHECK_EQ(p->key, keys[i]); /* insertion order, not collation order */
    }
    CHECK(RtlGetElementGenericTable(&t, 4) == NULL);
    CHECK(RtlGetElementGenericTable(&t, MAXULONG) == NULL);
    /* Backwards after forwards (the cached position must not mislead). */
    item *p3 = RtlGetElementGenericTable(&t, 3), *p1 = RtlGetElementGenericTable(&t, 1);
    CHECK(p3 && p1 && p3->key == 20 && p1->key == 10);
    item k = {30, 0};
    item *found = RtlLookupElementGenericTable(&t, &k);
    CHECK(found != NULL);
    if (found)
        CHECK_EQ(found->payload, 2);
    k.key = 35;
    CHECK(RtlLookupElementGenericTable(&t, &k) == NULL);
    /* Deleting shifts later indexes down and frees the node through FreeRoutine. */
    k.key = 10;
    CHECK(RtlDeleteElementGenericTable(&t, &k));
    CHECK_EQ(frees, 1);
    CHECK(!RtlDeleteElementGenericTable(&t, &k));
    CHECK(RtlLookupElementGenericTable(&t, &k) == NULL);
    CHECK_EQ(RtlNumberGenericTableElements(&t), 3);
    item *q = RtlGetElementGenericTable(&t, 1);
    CHECK(q != NULL);
    if (q)
        CHECK_EQ(q->key, 30);
    ULONG prev = 0, n = 0;
    for (item *p = RtlEnumerateGenericTable(&t, TRUE); p; p = RtlEnumerateGenericTable(&t, FALSE), n++) {
        CHECK(p->key > prev);
        prev = p->key;
    }
    CHECK_EQ(n, 3);
    empty_all(&t);
    CHECK_EQ(frees, 4);
    CHECK(t.TableRoot == NULL);
}

/* Many keys in an order that makes deep trees; every delete keeps the rest findable. */
TEST(generic_table_many)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    for (ULONG i = 0; i < 300; i++)
        put(&t, (i * 7919u) % 1009u, i, NULL);
    CHECK_EQ(RtlNumberGenericTableElements(&t), 300);
    for (ULONG i = 0; i < 300; i += 3) {
        item k = {(i * 7919u) % 1009u, 0};
        CHECK(RtlDeleteElementGenericTable(&t, &k));
    }
    ULONG n = 0, prev = 0;
    PVOID restart = NULL;
    for (item *p = RtlEnumerateGenericTableWithoutSplaying(&t, &restart); p;
         p = RtlEnumerateGenericTableWithoutSplaying(&t, &restart), n++) {
        CHECK(n == 0 || p->key > prev);
        prev = p->key;
    }
    CHECK_EQ(n, 200);
    for (ULONG i = 0; i < 300; i++) {
        item k = {(i * 7919u) % 1009u, 0};
        item *p = RtlLookupElementGenericTable(&t, &k);
        CHECK((p != NULL) == (i % 3 != 0));
    }
    empty_all(&t);
    CHECK_EQ(frees, allocs);
}

/* ---- T-6: enumeration ------------------------------------------------------------------------- */

TEST(generic_table_enumerate_without_splaying)
{
    RTL_GENERIC_TABLE t;
    fresh(&t);
    PVOID restart = NULL;
    CHECK(RtlEnumerateGenericTableWithoutSplaying(&t, &restart) == NULL);
    for (ULONG k = 5; k > 0; k--)
        put(&t, k, 0, NULL);
    PRTL_SPLAY_LINKS root = t.TableRoot;
    ULONG want = 1;
    for (item *p = RtlEnumerateGenericTableWithoutSplaying(&t, &restart); p;
         p = RtlEnumerateGenericTableWithoutSplaying(&t, &restart))
        CHECK_EQ(p->key, want++);
    CHECK_EQ(want, 6);
    CHECK(t.TableRoot == root); /* the tree was left as it was */
    /* The splaying form moves what it returns to the root. */
    item *first = RtlEnumerateGenericTable(&t, TRUE);
    CHECK(first && first->key == 1);
    CHECK(t.TableRoot != NULL && (PVOID)((PUCHAR)t.TableRoot + (sizeof(void *) == 8 ? 40 : 24)) == first);
    empty_all(&t);
}

/* ---- T-7: stops ------------------------------------------------------------------------------- */

static void use_zeroed(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    memset(&t, 0, sizeof t);
    item it = {1, 1};
    RtlInsertElementGenericTable(&t, &it, sizeof it, NULL);
}

static void lookup_zeroed(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    memset(&t, 0, sizeof t);
    item it = {1, 1};
    RtlLookupElementGenericTable(&t, &it);
}

static void null_table(void *arg)
{
    (void)arg;
    RtlNumberGenericTableElements(NULL);
}

static void null_compare(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, NULL, alloc, release, NULL);
}

static void null_buffer(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, cmp, alloc, release, NULL);
    RtlInsertElementGenericTable(&t, NULL, 8, NULL);
}

static void null_restart(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, cmp, alloc, release, NULL);
    RtlEnumerateGenericTableWithoutSplaying(&t, NULL);
}

static RTL_GENERIC_COMPARE_RESULTS NTAPI memcmp_style(PRTL_GENERIC_TABLE t, PVOID a, PVOID b)
{
    (void)t;
    /* memcmp's sign passed on as if it were a compare result: -1 is no RTL_GENERIC_COMPARE_RESULTS. */
    return memcmp(a, b, sizeof(ULONG)) < 0 ? (RTL_GENERIC_COMPARE_RESULTS)-1 : GenericGreaterThan;
}

static void bad_compare(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, memcmp_style, alloc, release, NULL);
    item a = {2, 0}, b = {1, 0};
    RtlInsertElementGenericTable(&t, &a, sizeof a, NULL);
    RtlInsertElementGenericTable(&t, &b, sizeof b, NULL);
}

static void high_irql(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, cmp, alloc, release, NULL);
    kf_set_irql(HIGH_LEVEL);
    RtlIsGenericTableEmpty(&t);
}

static void check_violation(void (*fn)(void *), ULONG code)
{
    kf_stop st;
    kft_options("");
    CHECK(kft_stops(fn, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], code);
    kft_options("");
}

TEST(generic_table_stops)
{
    check_violation(use_zeroed, 0x3601);
    check_violation(lookup_zeroed, 0x3601);
    check_violation(null_table, 0x3602);
    check_violation(null_compare, 0x3602);
    check_violation(null_buffer, 0x3602);
    check_violation(null_restart, 0x3602);
    check_violation(bad_compare, 0x3603);
}

/* ---- T-8: IRQL --------------------------------------------------------------------------------- */

static void at_dispatch(void *arg)
{
    (void)arg;
    RTL_GENERIC_TABLE t;
    RtlInitializeGenericTable(&t, cmp, alloc, release, NULL);
    kf_set_irql(DISPATCH_LEVEL);
    item k = {1, 0};
    RtlLookupElementGenericTable(&t, &k);
    RtlEnumerateGenericTable(&t, TRUE);
    kf_set_irql(PASSIVE_LEVEL);
}

TEST(generic_table_irql)
{
    kf_stop st;
    kft_options("");
    CHECK(!kft_stops(at_dispatch, NULL, &st));
    CHECK(kft_stops(high_irql, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], DISPATCH_LEVEL);
    CHECK_EQ(st.param[1], HIGH_LEVEL);
    kft_options("");
}
