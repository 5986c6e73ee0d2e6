/*
 * test_flt_ecp.c - Filter Manager's extra create parameters: ECP lists and contexts (allocation,
 * insertion, lookup, walk, removal, free), lookaside lists, the acknowledged and user-mode marks,
 * the list of a create's callback data and the harness control that attaches ECPs from above,
 * the fault site, leaks, and every misuse stop. Rules FE-1 to FE-15 of model/SEMANTICS.md.
 */
#include <initguid.h>

#include "flt_fixture.h"

#include <stddef.h>
#include <string.h>

#define TAG 'pcEk'

DEFINE_GUID(ECP_TEST_A, 0x1d5d7e41, 0x0001, 0x4b1a, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77);
DEFINE_GUID(ECP_TEST_B, 0x1d5d7e41, 0x0002, 0x4b1a, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77);
DEFINE_GUID(ECP_TEST_C, 0x1d5d7e41, 0x0003, 0x4b1a, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77);

/* ---- A cleanup callback that records what it saw ---------------------------------------------- */

static unsigned cleanups;
static PVOID cleaned[8];
static GUID cleaned_type[8];

static VOID NTAPI cleanup_cb(PVOID ecp, LPCGUID type)
{
    if (cleanups < 8) {
        cleaned[cleanups] = ecp;
        cleaned_type[cleanups] = *type;
    }
    cleanups++;
}

static PFLT_INSTANCE start(void)
{
    fx_fresh();
    cleanups = 0;
    memset(cleaned, 0, sizeof cleaned);
    return fx_start();
}

static PECP_LIST new_list(void)
{
    PECP_LIST l = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameterList(fx_filter, 0, &l), STATUS_SUCCESS);
    CHECK(l != NULL);
    return l;
}

static PVOID new_ecp(const GUID *type, ULONG size)
{
    PVOID e = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameter(fx_filter, type, size, 0, cleanup_cb, TAG, &e), STATUS_SUCCESS);
    CHECK(e != NULL);
    return e;
}

/* Callback data that stands for an IRP-based create (the fixture's, with IRP_MJ_CREATE). */
static PFLT_CALLBACK_DATA create_data(PFLT_INSTANCE inst)
{
    PFLT_CALLBACK_DATA d = fx_alloc(inst, NULL, 0);
    d->Iopb->MajorFunction = IRP_MJ_CREATE;
    return d;
}

/* ---- FE-15 the headers ------------------------------------------------------------------------- */

#if defined(_WIN64)
_Static_assert(sizeof(PREFETCH_OPEN_ECP_CONTEXT) == 8 && sizeof(NFS_OPEN_ECP_CONTEXT) == 16 &&
                   sizeof(OPLOCK_KEY_ECP_CONTEXT) == 20 && sizeof(DUAL_OPLOCK_KEY_ECP_CONTEXT) == 36 &&
                   sizeof(IO_DEVICE_HINT_ECP_CONTEXT) == 24 && sizeof(NETWORK_OPEN_ECP_CONTEXT) == 28 &&
                   sizeof(NETWORK_OPEN_ECP_CONTEXT_V0) == 20 && sizeof(CSV_QUERY_FILE_REVISION_ECP_CONTEXT) == 32 &&
                   sizeof(CSV_DOWN_LEVEL_OPEN_ECP_CONTEXT) == 20,
               "ECP context sizes (amd64)");
_Static_assert(offsetof(SRV_OPEN_ECP_CONTEXT, OplockBlockState) == 16 && offsetof(NETWORK_OPEN_ECP_CONTEXT, out) == 16 &&
                   offsetof(IO_DEVICE_HINT_ECP_CONTEXT, RemainingName) == 8,
               "ECP context layouts (amd64)");
#endif
_Static_assert(FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA == 1 && FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA == 1 &&
                   FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL == 2 && FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL == 2 &&
                   NETWORK_OPEN_ECP_IN_FLAG_DISABLE_OPLOCKS == 4,
               "ECP flags");

TEST(ecp_guids_are_the_wdk_values)
{
    /* The first field and the last byte of each, as the WDK's DEFINE_GUIDs give them. */
    CHECK_EQ(GUID_ECP_PREFETCH_OPEN.Data1, 0xe1777b21);
    CHECK_EQ(GUID_ECP_PREFETCH_OPEN.Data4[7], 0x55);
    CHECK_EQ(GUID_ECP_NETWORK_OPEN_CONTEXT.Data1, 0xc584edbf);
    CHECK_EQ(GUID_ECP_NFS_OPEN.Data1, 0xf326d30c);
    CHECK_EQ(GUID_ECP_SRV_OPEN.Data1, 0xbebfaebc);
    CHECK_EQ(GUID_ECP_OPLOCK_KEY.Data1, 0x48850596);
    CHECK_EQ(GUID_ECP_OPLOCK_KEY.Data4[7], 0x7f);
    CHECK_EQ(GUID_ECP_DUAL_OPLOCK_KEY.Data1, 0x41621a14);
    CHECK_EQ(GUID_ECP_IO_DEVICE_HINT.Data1, 0xf315b732);
    CHECK_EQ(GUID_ECP_CSV_DOWN_LEVEL_OPEN.Data1, 0x4248be44);
    CHECK_EQ(GUID_ECP_CSV_QUERY_FILE_REVISION.Data1, 0x44aec90b);
    CHECK_EQ(GUID_ECP_CSV_QUERY_FILE_REVISION.Data4[7], 0x1d);
}

/* ---- FE-2, FE-4, FE-6, FE-7, FE-8: the life of a list ------------------------------------------------ */

TEST(list_insert_find_walk_remove_free)
{
    start();
    PECP_LIST l = new_list();
    unsigned char *a = new_ecp(&ECP_TEST_A, 8);
    unsigned char *b = new_ecp(&ECP_TEST_B, 3);
    CHECK_EQ(a[0], 0xCD); /* FE-4: not zeroed */
    CHECK_EQ(a[7], 0xCD);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, a), STATUS_SUCCESS);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, b), STATUS_SUCCESS);
    /* FE-6: a second ECP of a type the list holds is refused. */
    PVOID a2 = new_ecp(&ECP_TEST_A, 4);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, a2), STATUS_INVALID_PARAMETER);
    /* FE-7: find. */
    PVOID found = NULL;
    ULONG size = 99;
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &ECP_TEST_B, &found, &size), STATUS_SUCCESS);
    CHECK(found == b);
    CHECK_EQ(size, 3);
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &ECP_TEST_A, NULL, NULL), STATUS_SUCCESS);
    found = (PVOID)1;
    size = 99;
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &ECP_TEST_C, &found, &size), STATUS_NOT_FOUND);
    CHECK(found == NULL);
    CHECK_EQ(size, 0);
    /* FE-7: walk, in insertion order, then STATUS_NOT_FOUND with NULL and 0. */
    GUID t;
    PVOID next = NULL;
    ULONG nsize = 0;
    CHECK_EQ(FltGetNextExtraCreateParameter(fx_filter, l, NULL, &t, &next, &nsize), STATUS_SUCCESS);
    CHECK(next == a && IsEqualGUID(&t, &ECP_TEST_A) && nsize == 8);
    CHECK_EQ(FltGetNextExtraCreateParameter(fx_filter, l, next, &t, &next, &nsize), STATUS_SUCCESS);
    CHECK(next == b && IsEqualGUID(&t, &ECP_TEST_B) && nsize == 3);
    CHECK_EQ(FltGetNextExtraCreateParameter(fx_filter, l, next, &t, &next, &nsize), STATUS_NOT_FOUND);
    CHECK(next == NULL);
    CHECK_EQ(nsize, 0);
    CHECK_EQ(FltGetNextExtraCreateParameter(fx_filter, NULL, NULL, NULL, NULL, NULL), STATUS_INVALID_PARAMETER);
    /* FE-8: remove detaches without freeing; not found is STATUS_NOT_FOUND with NULL. */
    PVOID removed = NULL;
    size = 0;
    CHECK_EQ(FltRemoveExtraCreateParameter(fx_filter, l, &ECP_TEST_A, &removed, &size), STATUS_SUCCESS);
    CHECK(removed == a);
    CHECK_EQ(size, 8);
    CHECK_EQ(cleanups, 0u);
    removed = (PVOID)1;
    CHECK_EQ(FltRemoveExtraCreateParameter(fx_filter, l, &ECP_TEST_A, &removed, NULL), STATUS_NOT_FOUND);
    CHECK(removed == NULL);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, a2), STATUS_SUCCESS); /* now the only A */
    CHECK_EQ(kf_flt_ecps_outstanding(), 4);                                     /* list, a, b, a2 */
    /* FE-3: freeing the list frees the ECPs in it, each cleanup callback once with its type. */
    FltFreeExtraCreateParameterList(fx_filter, l);
    CHECK_EQ(cleanups, 2u);
    CHECK(cleaned[0] == b && IsEqualGUID(&cleaned_type[0], &ECP_TEST_B));
    CHECK(cleaned[1] == a2 && IsEqualGUID(&cleaned_type[1], &ECP_TEST_A));
    CHECK_EQ(kf_flt_ecps_outstanding(), 1); /* a, removed, is still the driver's */
    FltFreeExtraCreateParameter(fx_filter, a);
    CHECK_EQ(cleanups, 3u);
    CHECK(cleaned[2] == a);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

TEST(ecp_sizes_and_flags)
{
    start();
    /* FE-4: a zero-size ECP carries only its type; nonpaged and quota flags are accepted. */
    PVOID z = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 0,
                                             FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL | FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA,
                                             NULL, TAG, &z),
             STATUS_SUCCESS);
    CHECK(z != NULL);
    FltFreeExtraCreateParameter(fx_filter, z);
    /* Above 16 MiB: STATUS_INSUFFICIENT_RESOURCES after the site, *EcpContext NULL. */
    PVOID big = (PVOID)1;
    unsigned long long before = fx_consulted(KF_SITE_FLT_ECP);
    CHECK_EQ(FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 16u * 1024 * 1024 + 1, 0, NULL, TAG, &big),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(big == NULL);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ECP), before + 1);
    PECP_LIST l = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameterList(fx_filter, FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA, &l),
             STATUS_SUCCESS);
    FltFreeExtraCreateParameterList(fx_filter, l);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

/* ---- FE-2, FE-4 the fault site ---------------------------------------------------------------------- */

TEST(fault_site_fails_lists_and_ecps)
{
    start();
    fx_fail_site(KF_SITE_FLT_ECP, 0, KF_FAULT_HARD);
    PECP_LIST l = (PECP_LIST)1;
    CHECK_EQ(FltAllocateExtraCreateParameterList(fx_filter, 0, &l), STATUS_INSUFFICIENT_RESOURCES);
    CHECK(l == NULL);
    PVOID e = (PVOID)1;
    CHECK_EQ(FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 8, 0, NULL, TAG, &e),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(e == NULL);
    static NPAGED_LOOKASIDE_LIST la;
    FltInitExtraCreateParameterLookasideList(fx_filter, &la, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, 16, TAG);
    e = (PVOID)1;
    CHECK_EQ(FltAllocateExtraCreateParameterFromLookasideList(fx_filter, &ECP_TEST_A, 16, 0, NULL, &la, &e),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(e == NULL);
    CHECK_EQ(fx_consulted(KF_SITE_FLT_ECP), 3);
    FltDeleteExtraCreateParameterLookasideList(fx_filter, &la, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
    /* A transient answer fails it too (a hard site). */
    fx_fail_site(KF_SITE_FLT_ECP, 0, KF_FAULT_TRANSIENT);
    CHECK_EQ(FltAllocateExtraCreateParameterList(fx_filter, 0, &l), STATUS_INSUFFICIENT_RESOURCES);
}

TEST(fail_nth_option_reaches_the_site)
{
    /* A first run counts the consultations before the ECP; the second fails exactly that one. */
    start();
    fx_no_faults();
    PECP_LIST l = new_list();
    unsigned long long before = kf_fault_get_stats()->total_consulted;
    FltFreeExtraCreateParameterList(fx_filter, l);
    char opt[32];
    snprintf(opt, sizeof opt, "fail_nth=%llu", before + 1);
    kft_options(opt);
    start();
    fx_no_faults(); /* the built-in hook, which reads fail_nth */
    l = new_list();
    PVOID b = (PVOID)1;
    CHECK_EQ(FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_B, 4, 0, NULL, TAG, &b),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(b == NULL);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_FLT_ECP], 1);
    FltFreeExtraCreateParameterList(fx_filter, l);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

/* ---- FE-5 pool tags --------------------------------------------------------------------------------- */

static ULONG tag_to_try;
static void alloc_with_tag(void *arg)
{
    (void)arg;
    PVOID e;
    FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 8, 0, NULL, tag_to_try, &e);
}
static void lookaside_with_tag(void *arg)
{
    static PAGED_LOOKASIDE_LIST la;
    (void)arg;
    FltInitExtraCreateParameterLookasideList(fx_filter, &la, 0, 8, tag_to_try);
}

TEST(pool_tags_checked_as_pool)
{
    start();
    tag_to_try = 0;
    CHECK(fx_bugcheck(alloc_with_tag, NULL, BAD_POOL_CALLER, 0x9B, PagedPool));
    tag_to_try = ' GIB';
    CHECK(fx_bugcheck(alloc_with_tag, NULL, BAD_POOL_CALLER, 0x9C, PagedPool));
    tag_to_try = 0x2D2D2D2D; /* "----" */
    CHECK(fx_bugcheck(alloc_with_tag, NULL, BAD_POOL_CALLER, 0x9D, PagedPool));
    tag_to_try = 0;
    CHECK(fx_bugcheck(lookaside_with_tag, NULL, BAD_POOL_CALLER, 0x9B, PagedPool));
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

/* ---- FE-1 availability, IRQL, filter ---------------------------------------------------------------- */

static void list_call(void *arg)
{
    (void)arg;
    PECP_LIST l;
    FltAllocateExtraCreateParameterList(fx_filter, 0, &l);
}
static void reuse_call(void *arg) { FltPrepareToReuseEcp(fx_filter, arg); }
static void list_call_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    list_call(arg);
}
static void find_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    FltFindExtraCreateParameter(fx_filter, (PECP_LIST)arg, &ECP_TEST_A, NULL, NULL);
}
static void list_call_unknown_filter(void *arg)
{
    (void)arg;
    PECP_LIST l;
    static int not_a_filter;
    FltAllocateExtraCreateParameterList((PFLT_FILTER)&not_a_filter, 0, &l);
}

TEST(availability_irql_and_filter)
{
    kft_options("profile=ws03-amd64");
    start();
    CHECK(fx_violation(list_call, NULL, KF_VIOL_ROUTINE_UNAVAILABLE));
    kft_options("profile=win7-amd64");
    start();
    PVOID e = new_ecp(&ECP_TEST_A, 4);
    CHECK(fx_violation(reuse_call, e, KF_VIOL_ROUTINE_UNAVAILABLE)); /* Windows 8 and later */
    kft_options("profile=win8-amd64");
    start();
    e = new_ecp(&ECP_TEST_A, 4);
    FltPrepareToReuseEcp(fx_filter, e);
    FltFreeExtraCreateParameter(fx_filter, e);
    kft_options("");
    start();
    CHECK(fx_bugcheck(list_call_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    PECP_LIST l = new_list();
    CHECK(fx_bugcheck(find_at_dispatch, l, IRQL_NOT_LESS_OR_EQUAL, APC_LEVEL, DISPATCH_LEVEL));
    CHECK(fx_violation(list_call_unknown_filter, NULL, KF_VIOL_FLT_INVALID_FILTER));
    /* APC_LEVEL is allowed. */
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &ECP_TEST_A, NULL, NULL), STATUS_NOT_FOUND);
    KeLowerIrql(old);
    FltFreeExtraCreateParameterList(fx_filter, l);
}

/* ---- FE-3, FE-6, FE-8, FE-14 misuse ---------------------------------------------------------------------- */

static PECP_LIST misuse_list;
static PVOID misuse_ecp;

static void free_list_call(void *arg) { FltFreeExtraCreateParameterList(fx_filter, (PECP_LIST)arg); }
static void find_in(void *arg) { FltFindExtraCreateParameter(fx_filter, (PECP_LIST)arg, &ECP_TEST_A, NULL, NULL); }
static void insert_into(void *arg) { FltInsertExtraCreateParameter(fx_filter, (PECP_LIST)arg, misuse_ecp); }
static void free_ecp_call(void *arg) { FltFreeExtraCreateParameter(fx_filter, arg); }
static void ack_call(void *arg) { FltAcknowledgeEcp(fx_filter, arg); }
static void next_after(void *arg) { FltGetNextExtraCreateParameter(fx_filter, misuse_list, arg, NULL, NULL, NULL); }
static void null_out_list(void *arg)
{
    (void)arg;
    FltAllocateExtraCreateParameterList(fx_filter, 0, NULL);
}
static void null_type(void *arg)
{
    (void)arg;
    PVOID e;
    FltAllocateExtraCreateParameter(fx_filter, NULL, 8, 0, NULL, TAG, &e);
}
static void null_out_ecp(void *arg)
{
    (void)arg;
    FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 8, 0, NULL, TAG, NULL);
}
static void null_type_find(void *arg) { FltFindExtraCreateParameter(fx_filter, (PECP_LIST)arg, NULL, NULL, NULL); }
static void null_out_remove(void *arg)
{
    FltRemoveExtraCreateParameter(fx_filter, (PECP_LIST)arg, &ECP_TEST_A, NULL, NULL);
}
static void bad_list_flags(void *arg)
{
    (void)arg;
    PECP_LIST l;
    FltAllocateExtraCreateParameterList(fx_filter, 2, &l);
}
static void bad_ecp_flags(void *arg)
{
    (void)arg;
    PVOID e;
    FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 8, 4, NULL, TAG, &e);
}

TEST(list_and_ecp_misuse_stops)
{
    start();
    static int foreign;
    /* Lists: NULL, never allocated, freed (use after free). */
    CHECK(fx_violation(free_list_call, NULL, KF_VIOL_FLT_ECP_LIST_INVALID));
    CHECK(fx_violation(find_in, &foreign, KF_VIOL_FLT_ECP_LIST_INVALID));
    PECP_LIST l = new_list();
    FltFreeExtraCreateParameterList(fx_filter, l);
    CHECK(fx_violation(find_in, l, KF_VIOL_FLT_ECP_LIST_FREED));
    CHECK(fx_violation(free_list_call, l, KF_VIOL_FLT_ECP_LIST_FREED));
    CHECK_EQ(fx_stop.param[1], 1); /* the list's serial */
    /* ECPs: NULL, never allocated, freed. */
    CHECK(fx_violation(ack_call, NULL, KF_VIOL_FLT_ECP_INVALID));
    CHECK(fx_violation(ack_call, &foreign, KF_VIOL_FLT_ECP_INVALID));
    PVOID e = new_ecp(&ECP_TEST_A, 4);
    FltFreeExtraCreateParameter(fx_filter, e);
    CHECK(fx_violation(free_ecp_call, e, KF_VIOL_FLT_ECP_FREED));
    CHECK(fx_violation(ack_call, e, KF_VIOL_FLT_ECP_FREED));
    /* One ECP, two lists (or the same list twice). */
    PECP_LIST l1 = new_list(), l2 = new_list();
    misuse_ecp = new_ecp(&ECP_TEST_A, 4);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l1, misuse_ecp), STATUS_SUCCESS);
    CHECK(fx_violation(insert_into, l2, KF_VIOL_FLT_ECP_ALREADY_INSERTED));
    CHECK(fx_violation(insert_into, l1, KF_VIOL_FLT_ECP_ALREADY_INSERTED));
    /* Freed while in a list. */
    CHECK(fx_violation(free_ecp_call, misuse_ecp, KF_VIOL_FLT_ECP_FREE_IN_LIST));
    /* Walking on from an ECP of another list. */
    misuse_list = l2;
    CHECK(fx_violation(next_after, misuse_ecp, KF_VIOL_FLT_ECP_NOT_IN_LIST));
    PVOID loose = new_ecp(&ECP_TEST_B, 4);
    CHECK(fx_violation(next_after, loose, KF_VIOL_FLT_ECP_NOT_IN_LIST));
    /* NULL required arguments and unknown flags. */
    CHECK(fx_violation(null_out_list, NULL, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(null_type, NULL, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(null_out_ecp, NULL, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(null_type_find, l1, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(null_out_remove, l1, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(bad_list_flags, NULL, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS));
    CHECK_EQ(fx_stop.param[1], 2);
    CHECK(fx_violation(bad_ecp_flags, NULL, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS));
    CHECK_EQ(fx_stop.param[1], 4);
}

/* ---- FE-9 marks ---------------------------------------------------------------------------------------- */

TEST(acknowledge_and_reuse)
{
    kft_options("profile=win10-amd64");
    start();
    PVOID e = new_ecp(&ECP_TEST_A, 4);
    CHECK(!FltIsEcpAcknowledged(fx_filter, e));
    CHECK(!FltIsEcpFromUserMode(fx_filter, e)); /* the driver's own ECP is kernel mode's */
    FltAcknowledgeEcp(fx_filter, e);
    CHECK(FltIsEcpAcknowledged(fx_filter, e));
    FltAcknowledgeEcp(fx_filter, e); /* idempotent */
    CHECK(FltIsEcpAcknowledged(fx_filter, e));
    FltPrepareToReuseEcp(fx_filter, e);
    CHECK(!FltIsEcpAcknowledged(fx_filter, e));
    FltFreeExtraCreateParameter(fx_filter, e);
    kft_options("");
}

/* ---- FE-10 lookaside lists ------------------------------------------------------------------------------- */

static NPAGED_LOOKASIDE_LIST la_misuse;
static void la_alloc(void *arg)
{
    PVOID e;
    FltAllocateExtraCreateParameterFromLookasideList(fx_filter, &ECP_TEST_A, 8, 0, NULL, arg, &e);
}
static void la_init_again(void *arg)
{
    FltInitExtraCreateParameterLookasideList(fx_filter, arg, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, 8, TAG);
}
static void la_delete_paged(void *arg) { FltDeleteExtraCreateParameterLookasideList(fx_filter, arg, 0); }
static void la_delete_nonpaged(void *arg)
{
    FltDeleteExtraCreateParameterLookasideList(fx_filter, arg, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
}
static void la_bad_flags(void *arg) { FltInitExtraCreateParameterLookasideList(fx_filter, arg, 1, 8, TAG); }

TEST(lookaside_lists)
{
    start();
    static NPAGED_LOOKASIDE_LIST la;
    FltInitExtraCreateParameterLookasideList(fx_filter, &la, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, 24, TAG);
    CHECK_EQ(kf_flt_ecps_outstanding(), 1); /* the list itself, until deleted */
    PVOID small = NULL, large = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameterFromLookasideList(fx_filter, &ECP_TEST_A, 24, 0, cleanup_cb, &la, &small),
             STATUS_SUCCESS);
    /* Larger than the list's entries: from pool instead, still one ECP. */
    CHECK_EQ(FltAllocateExtraCreateParameterFromLookasideList(fx_filter, &ECP_TEST_B, 100, 0, NULL, &la, &large),
             STATUS_SUCCESS);
    CHECK(small && large);
    CHECK_EQ(((unsigned char *)large)[99], 0xCD);
    PECP_LIST l = new_list();
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, small), STATUS_SUCCESS);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, large), STATUS_SUCCESS);
    FltFreeExtraCreateParameterList(fx_filter, l);
    CHECK_EQ(cleanups, 1u);
    CHECK(fx_violation(la_init_again, &la, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK_EQ(fx_stop.param[1], 2);
    CHECK(fx_violation(la_delete_paged, &la, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK_EQ(fx_stop.param[1], 3);
    /* An ECP out when its list is deleted may not go back to it. */
    PVOID out = NULL;
    CHECK_EQ(FltAllocateExtraCreateParameterFromLookasideList(fx_filter, &ECP_TEST_A, 8, 0, NULL, &la, &out),
             STATUS_SUCCESS);
    FltDeleteExtraCreateParameterLookasideList(fx_filter, &la, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
    CHECK(fx_violation(free_ecp_call, out, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK_EQ(fx_stop.param[1], 4);
    CHECK(fx_violation(la_alloc, &la, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK_EQ(fx_stop.param[1], 1);
    CHECK(fx_violation(la_alloc, &la_misuse, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK(fx_violation(la_delete_nonpaged, &la_misuse, KF_VIOL_FLT_ECP_LOOKASIDE_INVALID));
    CHECK(fx_violation(la_bad_flags, &la_misuse, KF_VIOL_FLT_ECP_UNKNOWN_FLAGS));
    /* Paged lists work the same way; the list is initialized again after its delete. */
    static PAGED_LOOKASIDE_LIST pla;
    FltInitExtraCreateParameterLookasideList(fx_filter, &pla, 0, 16, TAG);
    FltDeleteExtraCreateParameterLookasideList(fx_filter, &pla, 0);
    FltInitExtraCreateParameterLookasideList(fx_filter, &pla, 0, 16, TAG);
    CHECK_EQ(kf_flt_ecps_outstanding(), 2); /* `out` and pla */
}

/* ---- FE-11, FE-12 the list of a create ---------------------------------------------------------------------- */

TEST(callback_data_list_get_and_set)
{
    PFLT_INSTANCE inst = start();
    PFLT_CALLBACK_DATA d = create_data(inst);
    PECP_LIST got = (PECP_LIST)1;
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &got), STATUS_SUCCESS);
    CHECK(got == NULL); /* none attached */
    PECP_LIST l = new_list();
    PVOID e = new_ecp(&ECP_TEST_A, 4);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, e), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_ecps_outstanding(), 2);
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, d, l), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0); /* the create's now */
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &got), STATUS_SUCCESS);
    CHECK(got == l);
    PECP_LIST l2 = new_list();
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, d, l2), STATUS_INVALID_PARAMETER_3);
    /* Not a create: a read, or not IRP-based. */
    PFLT_CALLBACK_DATA r = fx_alloc(inst, NULL, 0);
    r->Iopb->MajorFunction = IRP_MJ_READ;
    got = (PECP_LIST)1;
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, r, &got), STATUS_INVALID_PARAMETER);
    CHECK(got == (PECP_LIST)1);
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, r, l2), STATUS_INVALID_PARAMETER_2);
    r->Iopb->MajorFunction = IRP_MJ_CREATE;
    r->Flags = FLTFL_CALLBACK_DATA_FAST_IO_OPERATION;
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, r, &got), STATUS_INVALID_PARAMETER);
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, r, l2), STATUS_INVALID_PARAMETER_2);
    r->Flags = FLTFL_CALLBACK_DATA_IRP_OPERATION | FLTFL_CALLBACK_DATA_GENERATED_IO;
    /* FE-12: the create ends: the list and its ECPs go, cleanup callbacks run. */
    CHECK_EQ(kf_flt_ecp_create_done(d), 1);
    CHECK_EQ(cleanups, 1u);
    CHECK(cleaned[0] == e);
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &got), STATUS_SUCCESS);
    CHECK(got == NULL);
    CHECK(fx_violation(find_in, l, KF_VIOL_FLT_ECP_LIST_FREED));
    /* A list set into callback data goes when the callback data is freed. */
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, r, l2), STATUS_SUCCESS);
    FltFreeCallbackData(r);
    CHECK(fx_violation(find_in, l2, KF_VIOL_FLT_ECP_LIST_FREED));
    FltFreeCallbackData(d);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

static PFLT_CALLBACK_DATA other_data;
static void set_into_other(void *arg) { FltSetEcpListIntoCallbackData(fx_filter, other_data, (PECP_LIST)arg); }
static void get_null_data(void *arg)
{
    (void)arg;
    PECP_LIST l;
    FltGetEcpListFromCallbackData(fx_filter, NULL, &l);
}
static void get_null_out(void *arg) { FltGetEcpListFromCallbackData(fx_filter, (PFLT_CALLBACK_DATA)arg, NULL); }
static void set_null_data(void *arg) { FltSetEcpListIntoCallbackData(fx_filter, NULL, (PECP_LIST)arg); }

TEST(callback_data_list_misuse)
{
    PFLT_INSTANCE inst = start();
    PFLT_CALLBACK_DATA d = create_data(inst);
    other_data = create_data(inst);
    PECP_LIST l = new_list();
    CHECK_EQ(FltSetEcpListIntoCallbackData(fx_filter, d, l), STATUS_SUCCESS);
    /* The create owns it now: freeing it, or attaching it to a second create, is a stop. */
    CHECK(fx_violation(free_list_call, l, KF_VIOL_FLT_ECP_LIST_ATTACHED));
    CHECK(fx_violation(set_into_other, l, KF_VIOL_FLT_ECP_LIST_ATTACHED));
    CHECK(fx_violation(get_null_data, NULL, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(get_null_out, d, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    CHECK(fx_violation(set_null_data, l, KF_VIOL_FLT_ECP_NULL_ARGUMENT));
    FltFreeCallbackData(d);
    FltFreeCallbackData(other_data);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
}

/* ---- FE-14 ECPs from above (the control) -------------------------------------------------------------------- */

TEST(ecps_from_above)
{
    PFLT_INSTANCE inst = start();
    PFLT_CALLBACK_DATA d = create_data(inst);
    PREFETCH_OPEN_ECP_CONTEXT prefetch = {(PVOID)0x1234};
    const kf_flt_ecp_spec specs[] = {
        {GUID_ECP_PREFETCH_OPEN, &prefetch, sizeof prefetch, FALSE, FALSE},
        {GUID_ECP_OPLOCK_KEY, NULL, sizeof(OPLOCK_KEY_ECP_CONTEXT), TRUE, TRUE},
    };
    CHECK_EQ(kf_flt_attach_ecps(d, specs, 2), 0);
    CHECK_EQ(kf_flt_attach_ecps(d, specs, 1), -1); /* a create carries one list */
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);       /* none of it is the driver's */
    PECP_LIST l = NULL;
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &l), STATUS_SUCCESS);
    CHECK(l != NULL);
    PPREFETCH_OPEN_ECP_CONTEXT p = NULL;
    ULONG size = 0;
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &GUID_ECP_PREFETCH_OPEN, (PVOID *)&p, &size), STATUS_SUCCESS);
    CHECK(p && p->Context == (PVOID)0x1234 && size == sizeof prefetch);
    CHECK(!FltIsEcpFromUserMode(fx_filter, p));
    CHECK(!FltIsEcpAcknowledged(fx_filter, p));
    POPLOCK_KEY_ECP_CONTEXT k = NULL;
    CHECK_EQ(FltFindExtraCreateParameter(fx_filter, l, &GUID_ECP_OPLOCK_KEY, (PVOID *)&k, NULL), STATUS_SUCCESS);
    CHECK(FltIsEcpFromUserMode(fx_filter, k));
    CHECK(FltIsEcpAcknowledged(fx_filter, k));
    CHECK_EQ(k->Reserved, 0); /* no contents given: zeros */
    /* The driver may add its own ECP to the create's list (the I/O manager frees it with the list). */
    PVOID mine = new_ecp(&ECP_TEST_A, 4);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, mine), STATUS_SUCCESS);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
    /* Freeing what came from above is a stop, in or out of the list. */
    CHECK(fx_violation(free_list_call, l, KF_VIOL_FLT_ECP_NOT_OWNED));
    PVOID removed = NULL;
    CHECK_EQ(FltRemoveExtraCreateParameter(fx_filter, l, &GUID_ECP_OPLOCK_KEY, &removed, NULL), STATUS_SUCCESS);
    CHECK(fx_violation(free_ecp_call, removed, KF_VIOL_FLT_ECP_NOT_OWNED));
    PECP_LIST own = new_list();
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, own, removed), STATUS_SUCCESS);
    CHECK(fx_violation(free_list_call, own, KF_VIOL_FLT_ECP_NOT_OWNED));
    /* The create ends: its list, the driver's ECP in it and the removed one go. */
    CHECK_EQ(kf_flt_ecp_create_done(d), 3);
    CHECK_EQ(cleanups, 1u);
    CHECK(cleaned[0] == mine);
    CHECK(fx_violation(ack_call, removed, KF_VIOL_FLT_ECP_FREED));
    CHECK_EQ(kf_flt_ecps_outstanding(), 1); /* the driver's empty list `own` */
    FltFreeExtraCreateParameterList(fx_filter, own);
    /* Control refusals. */
    const kf_flt_ecp_spec twice[] = {{GUID_ECP_NFS_OPEN, NULL, 16, FALSE, FALSE},
                                     {GUID_ECP_NFS_OPEN, NULL, 16, FALSE, FALSE}};
    CHECK_EQ(kf_flt_attach_ecps(d, twice, 2), -1);
    CHECK_EQ(kf_flt_attach_ecps(NULL, specs, 1), -1);
    CHECK_EQ(kf_flt_attach_ecps(d, specs, KF_FLT_MAX_ECPS + 1), -1);
    CHECK_EQ(kf_flt_attach_ecps(d, NULL, 0), 0); /* an empty list is a list */
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &l), STATUS_SUCCESS);
    CHECK(l != NULL);
    CHECK_EQ(FltGetNextExtraCreateParameter(fx_filter, l, NULL, NULL, NULL, NULL), STATUS_NOT_FOUND);
    FltFreeCallbackData(d);
    CHECK_EQ(kf_flt_ecp_create_done(d), 0);
}

/* The minispy pattern: walk the create's ECPs and skip those from user mode. */
TEST(walk_a_create_like_a_logger)
{
    PFLT_INSTANCE inst = start();
    PFLT_CALLBACK_DATA d = create_data(inst);
    SRV_OPEN_ECP_CONTEXT srv;
    memset(&srv, 0, sizeof srv);
    srv.OplockFinalState = TRUE;
    const kf_flt_ecp_spec specs[] = {
        {GUID_ECP_NFS_OPEN, NULL, sizeof(NFS_OPEN_ECP_CONTEXT), TRUE, FALSE},
        {GUID_ECP_SRV_OPEN, &srv, sizeof srv, FALSE, FALSE},
        {GUID_ECP_PREFETCH_OPEN, NULL, sizeof(PREFETCH_OPEN_ECP_CONTEXT), FALSE, FALSE},
    };
    CHECK_EQ(kf_flt_attach_ecps(d, specs, 3), 0);
    PECP_LIST l = NULL;
    CHECK_EQ(FltGetEcpListFromCallbackData(fx_filter, d, &l), STATUS_SUCCESS);
    unsigned kernel = 0, all = 0;
    GUID type;
    PVOID ctx = NULL;
    ULONG size;
    while (NT_SUCCESS(FltGetNextExtraCreateParameter(fx_filter, l, ctx, &type, &ctx, &size))) {
        all++;
        if (FltIsEcpFromUserMode(fx_filter, ctx))
            continue;
        kernel++;
        if (IsEqualGUID(&type, &GUID_ECP_SRV_OPEN))
            CHECK(((PSRV_OPEN_ECP_CONTEXT)ctx)->OplockFinalState && size == sizeof srv);
    }
    CHECK_EQ(all, 3u);
    CHECK_EQ(kernel, 2u);
    kf_flt_ecp_create_done(d);
}

/* ---- FE-13 leaks and reset ---------------------------------------------------------------------------------- */

TEST(leaks_counted_and_reset)
{
    PFLT_INSTANCE inst = start();
    PECP_LIST l = new_list();
    PVOID a = new_ecp(&ECP_TEST_A, 4);
    (void)new_ecp(&ECP_TEST_B, 4);
    CHECK_EQ(FltInsertExtraCreateParameter(fx_filter, l, a), STATUS_SUCCESS);
    static PAGED_LOOKASIDE_LIST la;
    FltInitExtraCreateParameterLookasideList(fx_filter, &la, 0, 16, TAG);
    PFLT_CALLBACK_DATA d = create_data(inst);
    const kf_flt_ecp_spec spec = {GUID_ECP_PREFETCH_OPEN, NULL, 8, FALSE, FALSE};
    CHECK_EQ(kf_flt_attach_ecps(d, &spec, 1), 0);
    kf_leak_report r;
    kf_leaks(&r);
    CHECK_EQ(r.flt_ecps, 4); /* list, two ECPs, the lookaside list; not the create's */
    FltFreeCallbackData(d);
    kf_reset();
    extern kf_leak_report kf__leaks_at_reset;
    CHECK_EQ(kf__leaks_at_reset.flt_ecps, 4);
    CHECK_EQ(kf_flt_ecps_outstanding(), 0);
    CHECK_EQ(cleanups, 0u); /* the driver is not called back at reset */
}

#ifdef FX_HAVE_ASAN
static void touch_after_free(void)
{
    start();
    unsigned char *e = new_ecp(&ECP_TEST_A, 8);
    FltFreeExtraCreateParameter(fx_filter, e);
    volatile unsigned char x = e[0];
    (void)x;
}
static void touch_past_end(void)
{
    start();
    unsigned char *e = new_ecp(&ECP_TEST_A, 8);
    volatile unsigned char x = e[8];
    (void)x;
}
TEST(ecp_memory_is_real)
{
    CHECK(kft_expect_death(touch_after_free, "heap-use-after-free"));
    CHECK(kft_expect_death(touch_past_end, "heap-buffer-overflow"));
}
#endif

/* A cleanup callback that calls an ECP routine on its own ECP sees it freed already. */
static VOID NTAPI cleanup_touching(PVOID ecp, LPCGUID type)
{
    (void)type;
    cleanups++;
    FltIsEcpAcknowledged(fx_filter, ecp);
}
static void free_touching(void *arg)
{
    (void)arg;
    PVOID e = NULL;
    FltAllocateExtraCreateParameter(fx_filter, &ECP_TEST_A, 8, 0, cleanup_touching, TAG, &e);
    FltFreeExtraCreateParameter(fx_filter, e);
}
TEST(cleanup_callback_sees_its_ecp_freed)
{
    start();
    CHECK(fx_violation(free_touching, NULL, KF_VIOL_FLT_ECP_FREED));
    CHECK_EQ(cleanups, 1u);
}
