/*
 * flt_ecp.c - Filter Manager's extra create parameters (ECPs): the ECP lists and ECP contexts a
 * minifilter allocates (from pool or from an ECP lookaside list), inserts, finds, walks, removes
 * and frees; the acknowledged and user-mode marks; the list attached to a create's callback data;
 * and the harness controls that attach the ECPs a create carries from above and end a create.
 * Rules FE-1 to FE-15 of model/SEMANTICS.md ("Filter Manager extra create parameters").
 *
 * Every list and every ECP is a heap block of its own, really freed when it goes, so that
 * AddressSanitizer sees a touch afterwards. The model's records live apart from the driver's
 * blocks; a pointer the driver hands in is found among the live records (or the recently freed)
 * by address before anything else. Never read a driver's block, never read callback data beyond
 * what a driver itself may read (Flags, Iopb->MajorFunction), never free a block twice, never call
 * a cleanup callback twice, never keep a record of a callback data past the end of its create.
 */
#include "flt_internal.h"

#include <stdlib.h>
#include <string.h>

/* The largest ECP the model hands out (FE-4): no host backs more for one create parameter. */
#define ECP_MAX_SIZE (16u * 1024 * 1024)
/* Uninitialized pool reads as this byte (pool.c, P-1): ECP contexts are not zeroed. */
#define ECP_FILL 0xCD
/* The opaque ECP_LIST a driver holds: a block of this size it must never look into. */
#define LIST_BYTES 32
#define FREED_RING 64

typedef struct list_rec list_rec;

/* The model's record of one ECP context. */
typedef struct ecp_rec {
    struct ecp_rec *next;      /* every live ECP, newest first */
    struct ecp_rec *in_next;   /* the next ECP of its list, in insertion order */
    list_rec *list;            /* the list it is in, or NULL */
    void *mem;                 /* what the driver sees */
    GUID type;
    ULONG size;
    PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK cleanup;
    const void *lookaside;     /* the ECP lookaside list it came from, or NULL */
    BOOLEAN lookaside_deleted; /* that list was deleted while this ECP was out */
    const void *data;          /* from above: the callback data of the create that carried it */
    BOOLEAN from_above;        /* attached by the harness control: the originator's, not the driver's */
    BOOLEAN from_user;
    BOOLEAN acknowledged;
    BOOLEAN dying;             /* being freed: its cleanup callback is running */
    unsigned long long serial;
} ecp_rec;

/* The model's record of one ECP list. */
struct list_rec {
    list_rec *next;
    void *mem;                 /* the opaque ECP_LIST */
    ecp_rec *first;
    const void *data;          /* the callback data (create) it is attached to, or NULL */
    BOOLEAN from_above;
    BOOLEAN dying;             /* being freed with its ECPs */
    unsigned long long serial;
};

/* An ECP lookaside list: the driver's list head, known by address only. */
typedef struct lookaside_rec {
    struct lookaside_rec *next;
    const void *addr;
    FSRTL_ECP_LOOKASIDE_FLAGS flags;
    SIZE_T size;
    ULONG tag;
} lookaside_rec;

static ecp_rec *ecps;
static list_rec *lists;
static lookaside_rec *lookasides;
static unsigned long long ecp_serials, list_serials;

static struct {
    const void *ptr;
    unsigned long long serial;
} freed_ecps[FREED_RING], freed_lists[FREED_RING];
static unsigned freed_ecp_next, freed_list_next;

/* ---- Records --------------------------------------------------------------------------------- */

static ecp_rec *find_ecp(const void *p)
{
    for (ecp_rec *e = ecps; p && e; e = e->next)
        if (e->mem == p)
            return e;
    return NULL;
}

static list_rec *find_list(const void *p)
{
    for (list_rec *l = lists; p && l; l = l->next)
        if (l->mem == p)
            return l;
    return NULL;
}

static list_rec *list_of_data(const void *data)
{
    for (list_rec *l = lists; data && l; l = l->next)
        if (l->data == data && !l->dying)
            return l;
    return NULL;
}

static lookaside_rec *find_lookaside(const void *p)
{
    for (lookaside_rec *k = lookasides; p && k; k = k->next)
        if (k->addr == p)
            return k;
    return NULL;
}

static unsigned long long freed_serial(const void *p, int of_list)
{
    for (unsigned i = 0; p && i < FREED_RING; i++) {
        if (of_list && freed_lists[i].ptr == p)
            return freed_lists[i].serial;
        if (!of_list && freed_ecps[i].ptr == p)
            return freed_ecps[i].serial;
    }
    return 0;
}

/* A block the host hands out again is no longer a freed one. */
static void forget_freed(const void *p)
{
    for (unsigned i = 0; i < FREED_RING; i++) {
        if (freed_lists[i].ptr == p)
            freed_lists[i].ptr = NULL;
        if (freed_ecps[i].ptr == p)
            freed_ecps[i].ptr = NULL;
    }
}

static list_rec *require_list(const char *routine, const void *p)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_ECP_LIST_INVALID, routine, 0, 0, 0, "%s: EcpList is NULL", routine);
    list_rec *l = find_list(p);
    if (l && l->dying)
        kf_violation_stop(KF_VIOL_FLT_ECP_LIST_FREED, routine, l->serial, 0, 0,
                          "%s: ECP list #%llu is being freed (a use after free)", routine, l->serial);
    if (l)
        return l;
    unsigned long long s = freed_serial(p, 1);
    if (s)
        kf_violation_stop(KF_VIOL_FLT_ECP_LIST_FREED, routine, s, 0, 0,
                          "%s: ECP list #%llu was already freed (a use after free)", routine, s);
    kf_violation_stop(KF_VIOL_FLT_ECP_LIST_INVALID, routine, 1, 0, 0,
                      "%s: EcpList is not an ECP list FltAllocateExtraCreateParameterList returned", routine);
}

static ecp_rec *require_ecp(const char *routine, const void *p)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_ECP_INVALID, routine, 0, 0, 0, "%s: EcpContext is NULL", routine);
    ecp_rec *e = find_ecp(p);
    if (e && e->dying)
        kf_violation_stop(KF_VIOL_FLT_ECP_FREED, routine, e->serial, 0, 0,
                          "%s: ECP #%llu is being freed (a use after free)", routine, e->serial);
    if (e)
        return e;
    unsigned long long s = freed_serial(p, 0);
    if (s)
        kf_violation_stop(KF_VIOL_FLT_ECP_FREED, routine, s, 0, 0,
                          "%s: ECP #%llu was already freed (a use after free)", routine, s);
    kf_violation_stop(KF_VIOL_FLT_ECP_INVALID, routine, 1, 0, 0,
                      "%s: EcpContext is not an ECP FltAllocateExtraCreateParameter(FromLookasideList) returned",
                      routine);
}

static void require_arg(const char *routine, const void *p, unsigned position, const char *what)
{
    if (!p)
        kf_violation_stop(KF_VIOL_FLT_ECP_NULL_ARGUMENT, routine, position, 0, 0, "%s: %s is NULL", routine, what);
}

/* FE-1: availability, IRQL, the filter (in that order). */
static void enter(const char *routine, PFLT_FILTER Filter, kf_os first)
{
    const kf_profile *p = kf_current_profile();
    if (p->os < first) {
        char prof[32];
        kf_violation_stop(KF_VIOL_ROUTINE_UNAVAILABLE, routine, 0, 0, 0, "%s does not exist on %s (%s and later)",
                          routine, kf_profile_name(p, prof, sizeof prof), kf_os_name(first));
    }
    kf__flt_require_irql(routine, APC_LEVEL);
    if (!kf__flt_find_filter(Filter))
        kf_violation_stop(KF_VIOL_FLT_INVALID_FILTER, routine, 0, 0, 0, "%s: Filter is not a registered filter",
                          routine);
}

static void unlink_from_list(ecp_rec *e)
{
    list_rec *l = e->list;
    for (ecp_rec **pp = &l->first; *pp; pp = &(*pp)->in_next) {
        if (*pp == e) {
            *pp = e->in_next;
            break;
        }
    }
    e->in_next = NULL;
    e->list = NULL;
}

static void append_to_list(list_rec *l, ecp_rec *e)
{
    ecp_rec **pp = &l->first;
    while (*pp)
        pp = &(*pp)->in_next;
    *pp = e;
    e->in_next = NULL;
    e->list = l;
}

static ecp_rec *in_list_by_type(const list_rec *l, const GUID *type)
{
    for (ecp_rec *e = l->first; e; e = e->in_next)
        if (!memcmp(&e->type, type, sizeof *type))
            return e;
    return NULL;
}

/* Frees an ECP out of any list: its cleanup callback first (FE-8), then the memory. While the
 * callback runs the ECP is dying: an ECP routine the callback calls on it is a use after free,
 * and the callback cannot free it a second time. A stop inside the callback leaves the record
 * to kf_reset. */
static void free_ecp(ecp_rec *e)
{
    if (e->list)
        unlink_from_list(e);
    e->dying = TRUE;
    if (e->cleanup)
        e->cleanup(e->mem, &e->type);
    for (ecp_rec **pp = &ecps; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    freed_ecps[freed_ecp_next].ptr = e->mem;
    freed_ecps[freed_ecp_next].serial = e->serial;
    freed_ecp_next = (freed_ecp_next + 1) % FREED_RING;
    free(e->mem);
    free(e);
}

/* Frees a list and every ECP in it. The list is dying first, so that a cleanup callback cannot
 * use it (a use after free if it tries). */
static void free_list(list_rec *l)
{
    l->dying = TRUE;
    while (l->first)
        free_ecp(l->first);
    for (list_rec **pp = &lists; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    freed_lists[freed_list_next].ptr = l->mem;
    freed_lists[freed_list_next].serial = l->serial;
    freed_list_next = (freed_list_next + 1) % FREED_RING;
    free(l->mem);
    free(l);
}

static list_rec *new_list(void)
{
    list_rec *l = calloc(1, sizeof *l);
    void *mem = calloc(1, LIST_BYTES);
    if (!l || !mem) {
        free(l);
        free(mem);
        return NULL;
    }
    forget_freed(mem);
    l->mem = mem;
    l->serial = ++list_serials;
    l->next = lists;
    lists = l;
    return l;
}

static ecp_rec *new_ecp(const GUID *type, ULONG size)
{
    ecp_rec *e = calloc(1, sizeof *e);
    void *mem = malloc(size ? size : 1);
    if (!e || !mem) {
        free(e);
        free(mem);
        return NULL;
    }
    forget_freed(mem);
    memset(mem, ECP_FILL, size ? size : 1);
    e->mem = mem;
    e->type = *type;
    e->size = size;
    e->serial = ++ecp_serials;
    e->next = ecps;
    ecps = e;
    return e;
}

/* FE-5: the pool tag rules of ExAllocatePoolWithTag (P-5), for the tag of an ECP or its lookaside. */
static void check_tag(const char *routine, ULONG type, SIZE_T n, ULONG tag)
{
    if (tag == 0)
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9B, type, n, 0, "%s with a pool tag of zero", routine);
    if ((tag & 0x00FFFFFFu) == 0x00474942u && ((tag >> 24) == ' ' || (tag >> 24) == 0))
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9C, type, n, 0,
                    "%s with the tag \"BIG\", which the kernel keeps for its own large allocations", routine);
    int alnum = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (tag >> (8 * i)) & 0xFF;
        alnum |= (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    if (!alnum) {
        char t[5];
        kf_pool_tag_text(tag, t);
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9D, type, n, 0, "%s with the tag '%s', which has no letter or digit",
                    routine, t);
    }
}

/* ---- Lists (FE-2, FE-3) ------------------------------------------------------------------------ */

NTSTATUS FLTAPI FltAllocateExtraCreateParameterList(PFLT_FILTER Filter, FSRTL_ALLOCATE_ECPLIST_FLAGS Flags,
                                                    PECP_LIST *EcpList)
{
    static const char routine[] = "FltAllocateExtraCreateParameterList";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, EcpList, 3, "EcpList");
    *EcpList = NULL;
    if (Flags & ~(FSRTL_ALLOCATE_ECPLIST_FLAGS)FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA)
        kf_violation_stop(KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, routine, Flags, 0, 0,
                          "%s: Flags 0x%X holds bits other than FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA", routine,
                          (unsigned)Flags);
    if (kf_fault_consult(KF_SITE_FLT_ECP) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    list_rec *l = new_list();
    if (!l)
        return STATUS_INSUFFICIENT_RESOURCES;
    *EcpList = (PECP_LIST)l->mem;
    return STATUS_SUCCESS;
}

VOID FLTAPI FltFreeExtraCreateParameterList(PFLT_FILTER Filter, PECP_LIST EcpList)
{
    static const char routine[] = "FltFreeExtraCreateParameterList";
    enter(routine, Filter, KF_OS_VISTA);
    list_rec *l = require_list(routine, EcpList);
    if (l->from_above)
        kf_violation_stop(KF_VIOL_FLT_ECP_NOT_OWNED, routine, l->serial, 0, 0,
                          "%s: ECP list #%llu came down with a create; its originator frees it", routine, l->serial);
    if (l->data)
        kf_violation_stop(KF_VIOL_FLT_ECP_LIST_ATTACHED, routine, l->serial, 0, 0,
                          "%s: ECP list #%llu is attached to a create; the I/O manager frees it when the create "
                          "completes",
                          routine, l->serial);
    for (ecp_rec *e = l->first; e; e = e->in_next)
        if (e->from_above)
            kf_violation_stop(KF_VIOL_FLT_ECP_NOT_OWNED, routine, e->serial, 0, 0,
                              "%s: ECP #%llu in the list came down with a create; its originator frees it", routine,
                              e->serial);
    free_list(l);
}

/* ---- ECPs (FE-4 to FE-8) ---------------------------------------------------------------------- */

static void check_ecp_flags(const char *routine, FSRTL_ALLOCATE_ECP_FLAGS Flags)
{
    const FSRTL_ALLOCATE_ECP_FLAGS known = FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA | FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL;
    if (Flags & ~known)
        kf_violation_stop(KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, routine, Flags, 0, 0,
                          "%s: Flags 0x%X holds bits other than FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA and "
                          "FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL",
                          routine, (unsigned)Flags);
}

/* After the checks: the site, the size bound, the memory (FE-4). */
static NTSTATUS allocate_ecp(LPCGUID EcpType, ULONG SizeOfContext,
                             PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback, const void *lookaside,
                             PVOID *EcpContext)
{
    if (kf_fault_consult(KF_SITE_FLT_ECP) != KF_FAULT_NONE)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (SizeOfContext > ECP_MAX_SIZE)
        return STATUS_INSUFFICIENT_RESOURCES;
    ecp_rec *e = new_ecp(EcpType, SizeOfContext);
    if (!e)
        return STATUS_INSUFFICIENT_RESOURCES;
    e->cleanup = CleanupCallback;
    e->lookaside = lookaside;
    *EcpContext = e->mem;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltAllocateExtraCreateParameter(PFLT_FILTER Filter, LPCGUID EcpType, ULONG SizeOfContext,
                                                FSRTL_ALLOCATE_ECP_FLAGS Flags,
                                                PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
                                                ULONG PoolTag, PVOID *EcpContext)
{
    static const char routine[] = "FltAllocateExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, EcpType, 2, "EcpType");
    require_arg(routine, EcpContext, 7, "EcpContext");
    *EcpContext = NULL;
    check_ecp_flags(routine, Flags);
    ULONG pool = (Flags & FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL) ? (ULONG)NonPagedPool : (ULONG)PagedPool;
    check_tag(routine, pool, SizeOfContext, PoolTag);
    return allocate_ecp(EcpType, SizeOfContext, CleanupCallback, NULL, EcpContext);
}

NTSTATUS FLTAPI FltAllocateExtraCreateParameterFromLookasideList(
    PFLT_FILTER Filter, LPCGUID EcpType, ULONG SizeOfContext, FSRTL_ALLOCATE_ECP_FLAGS Flags,
    PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback, PVOID LookasideList, PVOID *EcpContext)
{
    static const char routine[] = "FltAllocateExtraCreateParameterFromLookasideList";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, EcpType, 2, "EcpType");
    require_arg(routine, EcpContext, 7, "EcpContext");
    *EcpContext = NULL;
    check_ecp_flags(routine, Flags);
    if (!find_lookaside(LookasideList))
        kf_violation_stop(KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, routine, 1, 0, 0,
                          "%s: LookasideList was not initialized by FltInitExtraCreateParameterLookasideList (or was "
                          "deleted)",
                          routine);
    return allocate_ecp(EcpType, SizeOfContext, CleanupCallback, LookasideList, EcpContext);
}

VOID FLTAPI FltFreeExtraCreateParameter(PFLT_FILTER Filter, PVOID EcpContext)
{
    static const char routine[] = "FltFreeExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    ecp_rec *e = require_ecp(routine, EcpContext);
    if (e->from_above)
        kf_violation_stop(KF_VIOL_FLT_ECP_NOT_OWNED, routine, e->serial, 0, 0,
                          "%s: ECP #%llu came down with a create; its originator frees it", routine, e->serial);
    if (e->list)
        kf_violation_stop(KF_VIOL_FLT_ECP_FREE_IN_LIST, routine, e->serial, e->list->serial, 0,
                          "%s: ECP #%llu is still in ECP list #%llu; remove it first (FltRemoveExtraCreateParameter)",
                          routine, e->serial, e->list->serial);
    if (e->lookaside_deleted)
        kf_violation_stop(KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, routine, 4, e->serial, 0,
                          "%s: ECP #%llu goes back to a lookaside list that was already deleted", routine, e->serial);
    free_ecp(e);
}

NTSTATUS FLTAPI FltInsertExtraCreateParameter(PFLT_FILTER Filter, PECP_LIST EcpList, PVOID EcpContext)
{
    static const char routine[] = "FltInsertExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    list_rec *l = require_list(routine, EcpList);
    ecp_rec *e = require_ecp(routine, EcpContext);
    if (e->list)
        kf_violation_stop(KF_VIOL_FLT_ECP_ALREADY_INSERTED, routine, e->serial, e->list->serial, 0,
                          "%s: ECP #%llu is already in ECP list #%llu", routine, e->serial, e->list->serial);
    if (in_list_by_type(l, &e->type))
        return STATUS_INVALID_PARAMETER;
    append_to_list(l, e);
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltRemoveExtraCreateParameter(PFLT_FILTER Filter, PECP_LIST EcpList, LPCGUID EcpType,
                                              PVOID *EcpContext, ULONG *EcpContextSize)
{
    static const char routine[] = "FltRemoveExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    list_rec *l = require_list(routine, EcpList);
    require_arg(routine, EcpType, 3, "EcpType");
    require_arg(routine, EcpContext, 4, "EcpContext");
    *EcpContext = NULL;
    ecp_rec *e = in_list_by_type(l, EcpType);
    if (!e)
        return STATUS_NOT_FOUND;
    unlink_from_list(e);
    *EcpContext = e->mem;
    if (EcpContextSize)
        *EcpContextSize = e->size;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltFindExtraCreateParameter(PFLT_FILTER Filter, PECP_LIST EcpList, LPCGUID EcpType,
                                            PVOID *EcpContext, ULONG *EcpContextSize)
{
    static const char routine[] = "FltFindExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    list_rec *l = require_list(routine, EcpList);
    require_arg(routine, EcpType, 3, "EcpType");
    ecp_rec *e = in_list_by_type(l, EcpType);
    if (EcpContext)
        *EcpContext = e ? e->mem : NULL;
    if (EcpContextSize)
        *EcpContextSize = e ? e->size : 0;
    return e ? STATUS_SUCCESS : STATUS_NOT_FOUND;
}

NTSTATUS FLTAPI FltGetNextExtraCreateParameter(PFLT_FILTER Filter, PECP_LIST EcpList, PVOID CurrentEcpContext,
                                               LPGUID NextEcpType, PVOID *NextEcpContext, ULONG *NextEcpContextSize)
{
    static const char routine[] = "FltGetNextExtraCreateParameter";
    enter(routine, Filter, KF_OS_VISTA);
    if (!EcpList)
        return STATUS_INVALID_PARAMETER; /* FE-7: documented */
    list_rec *l = require_list(routine, EcpList);
    ecp_rec *next = l->first;
    if (CurrentEcpContext) {
        ecp_rec *cur = require_ecp(routine, CurrentEcpContext);
        if (cur->list != l)
            kf_violation_stop(KF_VIOL_FLT_ECP_NOT_IN_LIST, routine, cur->serial, l->serial, 0,
                              "%s: CurrentEcpContext (ECP #%llu) is not in ECP list #%llu", routine, cur->serial,
                              l->serial);
        next = cur->in_next;
    }
    if (!next) {
        if (NextEcpContext)
            *NextEcpContext = NULL;
        if (NextEcpContextSize)
            *NextEcpContextSize = 0;
        return STATUS_NOT_FOUND;
    }
    if (NextEcpType)
        *NextEcpType = next->type;
    if (NextEcpContext)
        *NextEcpContext = next->mem;
    if (NextEcpContextSize)
        *NextEcpContextSize = next->size;
    return STATUS_SUCCESS;
}

/* ---- Marks (FE-9) --------------------------------------------------------------------------------- */

VOID FLTAPI FltAcknowledgeEcp(PFLT_FILTER Filter, PVOID EcpContext)
{
    static const char routine[] = "FltAcknowledgeEcp";
    enter(routine, Filter, KF_OS_VISTA);
    require_ecp(routine, EcpContext)->acknowledged = TRUE;
}

BOOLEAN FLTAPI FltIsEcpAcknowledged(PFLT_FILTER Filter, PVOID EcpContext)
{
    static const char routine[] = "FltIsEcpAcknowledged";
    enter(routine, Filter, KF_OS_VISTA);
    return require_ecp(routine, EcpContext)->acknowledged;
}

BOOLEAN FLTAPI FltIsEcpFromUserMode(PFLT_FILTER Filter, PVOID EcpContext)
{
    static const char routine[] = "FltIsEcpFromUserMode";
    enter(routine, Filter, KF_OS_VISTA);
    return require_ecp(routine, EcpContext)->from_user;
}

VOID FLTAPI FltPrepareToReuseEcp(PFLT_FILTER Filter, PVOID EcpContext)
{
    static const char routine[] = "FltPrepareToReuseEcp";
    enter(routine, Filter, KF_OS_WIN8);
    require_ecp(routine, EcpContext)->acknowledged = FALSE;
}

/* ---- Lookaside lists (FE-10) -------------------------------------------------------------------- */

VOID FLTAPI FltInitExtraCreateParameterLookasideList(PFLT_FILTER Filter, PVOID Lookaside,
                                                     FSRTL_ECP_LOOKASIDE_FLAGS Flags, SIZE_T Size, ULONG Tag)
{
    static const char routine[] = "FltInitExtraCreateParameterLookasideList";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, Lookaside, 2, "Lookaside");
    if (Flags & ~(FSRTL_ECP_LOOKASIDE_FLAGS)FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL)
        kf_violation_stop(KF_VIOL_FLT_ECP_UNKNOWN_FLAGS, routine, Flags, 0, 0,
                          "%s: Flags 0x%X holds bits other than FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL", routine,
                          (unsigned)Flags);
    ULONG pool = (Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) ? (ULONG)NonPagedPool : (ULONG)PagedPool;
    check_tag(routine, pool, Size, Tag);
    if (find_lookaside(Lookaside))
        kf_violation_stop(KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, routine, 2, 0, 0,
                          "%s: the lookaside list is already initialized (and not deleted)", routine);
    lookaside_rec *k = calloc(1, sizeof *k);
    if (!k) {
        fprintf(stderr, "kfault: out of host memory for an ECP lookaside list\n");
        abort();
    }
    k->addr = Lookaside;
    k->flags = Flags;
    k->size = Size;
    k->tag = Tag;
    k->next = lookasides;
    lookasides = k;
}

VOID FLTAPI FltDeleteExtraCreateParameterLookasideList(PFLT_FILTER Filter, PVOID Lookaside,
                                                       FSRTL_ECP_LOOKASIDE_FLAGS Flags)
{
    static const char routine[] = "FltDeleteExtraCreateParameterLookasideList";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, Lookaside, 2, "Lookaside");
    lookaside_rec *k = find_lookaside(Lookaside);
    if (!k)
        kf_violation_stop(KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, routine, 1, 0, 0,
                          "%s: the lookaside list was not initialized (or is already deleted)", routine);
    if (Flags != k->flags)
        kf_violation_stop(KF_VIOL_FLT_ECP_LOOKASIDE_INVALID, routine, 3, Flags, k->flags,
                          "%s: Flags 0x%X differ from the 0x%X the list was initialized with", routine,
                          (unsigned)Flags, (unsigned)k->flags);
    for (ecp_rec *e = ecps; e; e = e->next)
        if (e->lookaside == Lookaside)
            e->lookaside_deleted = TRUE;
    for (lookaside_rec **pp = &lookasides; *pp; pp = &(*pp)->next) {
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    }
    free(k);
}

/* ---- The list of a create (FE-11, FE-12) ------------------------------------------------------------- */

/* A create as the I/O manager sends it: IRP-based, IRP_MJ_CREATE. Reads what a driver may read. */
static BOOLEAN is_irp_create(PFLT_CALLBACK_DATA d)
{
    return (d->Flags & FLTFL_CALLBACK_DATA_IRP_OPERATION) && d->Iopb && d->Iopb->MajorFunction == IRP_MJ_CREATE;
}

NTSTATUS FLTAPI FltGetEcpListFromCallbackData(PFLT_FILTER Filter, PFLT_CALLBACK_DATA CallbackData,
                                              PECP_LIST *EcpList)
{
    static const char routine[] = "FltGetEcpListFromCallbackData";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, CallbackData, 2, "CallbackData");
    require_arg(routine, EcpList, 3, "EcpList");
    if (!is_irp_create(CallbackData))
        return STATUS_INVALID_PARAMETER;
    list_rec *l = list_of_data(CallbackData);
    *EcpList = l ? (PECP_LIST)l->mem : NULL;
    return STATUS_SUCCESS;
}

NTSTATUS FLTAPI FltSetEcpListIntoCallbackData(PFLT_FILTER Filter, PFLT_CALLBACK_DATA CallbackData,
                                              PECP_LIST EcpList)
{
    static const char routine[] = "FltSetEcpListIntoCallbackData";
    enter(routine, Filter, KF_OS_VISTA);
    require_arg(routine, CallbackData, 2, "CallbackData");
    list_rec *l = require_list(routine, EcpList);
    if (!is_irp_create(CallbackData))
        return STATUS_INVALID_PARAMETER_2;
    if (list_of_data(CallbackData))
        return STATUS_INVALID_PARAMETER_3;
    if (l->data || l->from_above)
        kf_violation_stop(KF_VIOL_FLT_ECP_LIST_ATTACHED, routine, l->serial, 1, 0,
                          "%s: ECP list #%llu is already attached to another create", routine, l->serial);
    l->data = CallbackData;
    return STATUS_SUCCESS;
}

/* FE-12: the create is over; its list goes, with every ECP in it and every ECP that came down
 * with it (wherever the driver moved that one). */
static size_t create_done(const void *data)
{
    size_t n = 0;
    list_rec *l = list_of_data(data);
    if (l) {
        for (ecp_rec *e = l->first; e; e = e->in_next)
            n++;
        free_list(l);
    }
    for (ecp_rec *e = ecps; e;) {
        if (e->from_above && e->data == data && !e->dying) {
            free_ecp(e);
            n++;
            e = ecps;
            continue;
        }
        e = e->next;
    }
    return n;
}

void kf__flt_ecp_callback_data_gone(const void *data) { (void)create_done(data); }

/* ---- Harness controls (kfault/flt_model.h) ---------------------------------------------------------- */

int kf_flt_attach_ecps(PFLT_CALLBACK_DATA data, const kf_flt_ecp_spec *specs, unsigned count)
{
    if (!data || list_of_data(data) || count > KF_FLT_MAX_ECPS || (count && !specs))
        return -1;
    for (unsigned i = 0; i < count; i++)
        for (unsigned j = 0; j < i; j++)
            if (!memcmp(&specs[i].type, &specs[j].type, sizeof(GUID)))
                return -1;
    for (unsigned i = 0; i < count; i++)
        if (specs[i].size > ECP_MAX_SIZE)
            return -1;
    list_rec *l = new_list();
    if (!l)
        return -1;
    l->from_above = TRUE;
    l->data = data;
    for (unsigned i = 0; i < count; i++) {
        ecp_rec *e = new_ecp(&specs[i].type, specs[i].size);
        if (!e) {
            create_done(data);
            return -1;
        }
        if (specs[i].size)
            memset(e->mem, 0, specs[i].size);
        if (specs[i].data && specs[i].size)
            memcpy(e->mem, specs[i].data, specs[i].size);
        e->from_above = TRUE;
        e->data = data;
        e->from_user = specs[i].from_user_mode ? TRUE : FALSE;
        e->acknowledged = specs[i].acknowledged ? TRUE : FALSE;
        append_to_list(l, e);
    }
    return 0;
}

size_t kf_flt_ecp_create_done(PFLT_CALLBACK_DATA data) { return data ? create_done(data) : 0; }

/* FE-13: what the driver owns: its lists not handed to a create, its ECPs not in a create's
 * list, and its lookaside lists not deleted. */
static KF__NO_COVERAGE size_t ecps_outstanding(void)
{
    size_t n = 0;
    for (list_rec *l = lists; l; l = l->next)
        n += !l->from_above && !l->data && !l->dying;
    for (ecp_rec *e = ecps; e; e = e->next)
        n += !e->from_above && !e->dying && !(e->list && (e->list->data || e->list->from_above));
    for (lookaside_rec *k = lookasides; k; k = k->next)
        n++;
    return n;
}

size_t kf_flt_ecps_outstanding(void) { return ecps_outstanding(); }

static void ecp_reset(void)
{
    /* The driver is gone: its memory goes without calling it back. */
    while (ecps) {
        ecp_rec *e = ecps;
        ecps = e->next;
        free(e->mem);
        free(e);
    }
    while (lists) {
        list_rec *l = lists;
        lists = l->next;
        free(l->mem);
        free(l);
    }
    while (lookasides) {
        lookaside_rec *k = lookasides;
        lookasides = k->next;
        free(k);
    }
    memset(freed_ecps, 0, sizeof freed_ecps);
    memset(freed_lists, 0, sizeof freed_lists);
    freed_ecp_next = freed_list_next = 0;
    ecp_serials = list_serials = 0;
}

__attribute__((constructor)) static void ecp_register(void)
{
    kf__flt_ecps_outstanding = ecps_outstanding;
    kf__register_reset(ecp_reset);
}
