/*
 * pool.c - executive pool (ExAllocatePool*, ExFreePool*) and lookaside lists
 * (ExInitialize/AllocateFrom/FreeTo/Delete (N)PagedLookasideList and the ...LookasideListEx
 * routines). Implements SEMANTICS.md K-8 and P-1 .. P-20.
 *
 * Every block is a real host allocation with a small header (tag, size, paged or not, the
 * routine and the caller's return address), so that a freed block is really freed and
 * AddressSanitizer sees a use after free. Memory from the routines that do not zero is
 * filled with KF_POOL_FILL. FltAllocatePoolAlignedWithTag's blocks (SEMANTICS.md FO-) are pool
 * too, aligned, and only FltFreePoolAlignedWithTag frees them. Lookaside lists cache nothing:
 * an entry comes fresh from the Allocate routine or from pool, and goes back at once, so a use
 * after ExFreeTo is caught too.
 *
 * Must never: let a host address reach a value a driver sees or a decision (addresses only
 * serve to find a block, and appear in the leak description a person reads); decide a
 * failure itself (it asks the fault hook at ex.pool / ex.lookaside).
 */
#include "internal.h"
#include "ntddk.h"

#include <stdio.h>
#include <stdlib.h>

/* The byte that fills memory handed out uninitialized: the Microsoft debug heap's
 * "uninitialized" byte, familiar to Windows developers. As a pointer it is non-canonical on
 * x64 (a dereference faults), as a length or count it is huge, as a flag it is set: a
 * driver relying on zeroed memory goes wrong visibly and the same way in every run. */
#define KF_POOL_FILL 0xCD

/* Tag of the untagged ExAllocatePool: "None" as the debugger shows it. */
#define TAG_NONE 0x656E6F4Eu

struct la_rec;

typedef struct pool_block {
    struct pool_block *prev, *next;
    SIZE_T size;
    const char *routine;  /* the allocating routine (static string) */
    void *site;           /* the caller's return address: only for the leak description */
    struct la_rec *owner; /* the lookaside list it was handed out by, if any */
    ULONG tag;
    unsigned char paged;
    unsigned char aligned;     /* from kf__pool_alloc_aligned: only kf__pool_free_aligned frees it */
    const void *aligned_owner; /* the instance it was allocated for */
    void *raw;                 /* the host allocation, when the header is not at its start */
} __attribute__((aligned(16))) pool_block;

static pool_block pool_head = {&pool_head, &pool_head, 0, NULL, NULL, NULL, 0, 0, 0, NULL, NULL};
static size_t pool_count;
static int nx_required; /* ExInitializeDriverRuntime(DrvRtPoolNxOptIn) on Windows 8 or later */
static int free_irql_checked = 1; /* P-12: on unless kf_pool_check_free_irql(0) */

size_t kf__pool_outstanding(void) { return pool_count; }

void kf__pool_set_nx_required(int on) { nx_required = on; }

void kf_pool_check_free_irql(int on) { free_irql_checked = on != 0; }
int kf_pool_free_irql_checked(void) { return free_irql_checked; }

/* ---- Pool types ------------------------------------------------------------------------ */

#define TYPE_MODIFIERS (POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE)

static int type_valid(ULONG type)
{
    switch (type & ~(ULONG)TYPE_MODIFIERS) {
    case NonPagedPool:
    case PagedPool:
    case NonPagedPoolCacheAligned:
    case PagedPoolCacheAligned:
    case NonPagedPoolSession:
    case PagedPoolSession:
    case NonPagedPoolCacheAlignedSession:
    case PagedPoolCacheAlignedSession:
    case NonPagedPoolNx:
    case NonPagedPoolNxCacheAligned:
    case NonPagedPoolSessionNx:
        return 1;
    default:
        return 0;
    }
}

static int type_paged(ULONG type) { return (type & 1) != 0; }
static int type_executable(ULONG type) { return !type_paged(type) && !(type & POOL_NX_ALLOCATION); }

/* ---- Tags ------------------------------------------------------------------------------- */

/* The tag as the debugger shows it: its bytes in memory order, '.' for what is not printable. */
void kf_pool_tag_text(ULONG tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        unsigned c = (tag >> (8 * i)) & 0xFF;
        out[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '.';
    }
    out[4] = 0;
}

static int tag_is_big(ULONG tag)
{
    /* "BIG" followed by a space or nothing. */
    return (tag & 0x00FFFFFFu) == 0x00474942u && ((tag >> 24) == ' ' || (tag >> 24) == 0);
}

static int tag_has_alnum(ULONG tag)
{
    for (int i = 0; i < 4; i++) {
        unsigned c = (tag >> (8 * i)) & 0xFF;
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
            return 1;
    }
    return 0;
}

/* P-5: the tag checks of BAD_POOL_CALLER. zero_ok: Pool2/3, where a zero tag fails instead. */
static void check_tag(const char *routine, ULONG type, SIZE_T n, ULONG tag, int zero_ok)
{
    if (tag == 0) {
        if (zero_ok)
            return;
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9B, type, n, 0, "%s with a tag of zero (pool it allocates cannot be tracked)",
                    routine);
    }
    char t[5];
    kf_pool_tag_text(tag, t);
    if (tag_is_big(tag))
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9C, type, n, 0,
                    "%s with the tag \"BIG\", which the kernel keeps for its own large allocations", routine);
    if (!tag_has_alnum(tag))
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x9D, type, n, 0,
                    "%s with the tag '%s', which has no letter or digit", routine, t);
}

/* ---- Allocation ------------------------------------------------------------------------ */

typedef struct alloc_req {
    const char *routine;
    ULONG type;       /* POOL_TYPE, or the type Pool2's flags stand for */
    SIZE_T n;
    ULONG tag;
    int zero;
    int paged;
    kf_site site;
    void *caller;
} alloc_req;

/* The checks every allocation makes before anything is allocated, in order (P-3):
 * IRQL (K-8: bug check 0xA), tag (P-5), size 0 (P-6), executable pool once NX is required (P-7). */
static void alloc_checks(const alloc_req *r, int zero_tag_ok, int executable)
{
    kf_thread *t = kf__thread();
    KIRQL max = r->paged ? APC_LEVEL : DISPATCH_LEVEL;
    if (t->irql > max)
        kf_bugcheck(r->routine, IRQL_NOT_LESS_OR_EQUAL, max, t->irql, 0, 0,
                    "%s pool allocated at IRQL %u (requires IRQL <= %u)", r->paged ? "paged" : "nonpaged", t->irql,
                    max);
    check_tag(r->routine, r->type, r->n, r->tag, zero_tag_ok);
    if (r->n == 0)
        kf_violation_stop(KF_VIOL_POOL_ZERO_SIZE, r->routine, r->type, r->tag, 0,
                          "%s of zero bytes (Driver Verifier 0xC4/0x00)", r->routine);
    if (executable && nx_required)
        kf_violation_stop(KF_VIOL_POOL_EXECUTABLE, r->routine, r->type, r->n, 0,
                          "%s of executable nonpaged pool after the driver opted in to NX pool "
                          "(ExInitializeDriverRuntime(DrvRtPoolNxOptIn)) (Driver Verifier 0xC4/0x2000)",
                          r->routine);
}

/* Asks the site, then takes the memory. NULL when the site failed or the host cannot. */
static PVOID take(const alloc_req *r)
{
    if (kf_fault_consult(r->site) != KF_FAULT_NONE)
        return NULL;
    if (r->n > ((SIZE_T)1 << 40))
        return NULL;
    pool_block *b = malloc(sizeof *b + r->n);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->size = r->n;
    b->tag = r->tag;
    b->paged = (unsigned char)r->paged;
    b->routine = r->routine;
    b->site = r->caller;
    b->owner = NULL;
    b->next = &pool_head;
    b->prev = pool_head.prev;
    pool_head.prev->next = b;
    pool_head.prev = b;
    pool_count++;
    memset(b + 1, r->zero ? 0 : KF_POOL_FILL, r->n);
    return b + 1;
}

/* The POOL_TYPE-based routines. raise: 1 raise on failure, 0 never, -1 by the type's flag. */
static PVOID alloc_typed(const char *routine, ULONG type, SIZE_T n, ULONG tag, int zero, int raise, void *caller)
{
    alloc_req r = {routine, type, n, tag, zero, type_paged(type), KF_SITE_POOL, caller};
    if (!type_valid(type))
        kf_violation_stop(KF_VIOL_POOL_INVALID_TYPE, routine, type, n, 0,
                          "%s with pool type %u, which is reserved for the system or undefined", routine, type);
    alloc_checks(&r, 0, type_executable(type));
    PVOID p = take(&r);
    if (!p && (raise > 0 || (raise < 0 && (type & POOL_RAISE_IF_ALLOCATION_FAILURE))))
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return alloc_typed("ExAllocatePoolWithTag", (ULONG)PoolType, NumberOfBytes, Tag, 0, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return alloc_typed("ExAllocatePoolUninitialized", (ULONG)PoolType, NumberOfBytes, Tag, 0, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return alloc_typed("ExAllocatePoolZero", (ULONG)PoolType, NumberOfBytes, Tag, 1, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return alloc_typed("ExAllocatePool", (ULONG)PoolType, NumberOfBytes, TAG_NONE, 0, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    /* P-9: a failure raises unless the caller asked for NULL. */
    int raise = (PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) ? -1 : 1;
    return alloc_typed("ExAllocatePoolWithQuotaTag", (ULONG)PoolType, NumberOfBytes, Tag, 0, raise,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    int raise = (PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) ? -1 : 1;
    return alloc_typed("ExAllocatePoolWithQuota", (ULONG)PoolType, NumberOfBytes, TAG_NONE, 0, raise,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    int raise = (PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) ? -1 : 1;
    return alloc_typed("ExAllocatePoolQuotaZero", (ULONG)PoolType, NumberOfBytes, Tag, 1, raise,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    int raise = (PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) ? -1 : 1;
    return alloc_typed("ExAllocatePoolQuotaUninitialized", (ULONG)PoolType, NumberOfBytes, Tag, 0, raise,
                       __builtin_return_address(0));
}

/* P-9: a priority only says which requests fail first when memory is short; the fault hook
 * decides failures here, so it changes nothing else. */
PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return alloc_typed("ExAllocatePoolWithTagPriority", (ULONG)PoolType, NumberOfBytes, Tag, 0, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolPriorityZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return alloc_typed("ExAllocatePoolPriorityZero", (ULONG)PoolType, NumberOfBytes, Tag, 1, -1,
                       __builtin_return_address(0));
}

PVOID ExAllocatePoolPriorityUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                          EX_POOL_PRIORITY Priority)
{
    (void)Priority;
    return alloc_typed("ExAllocatePoolPriorityUninitialized", (ULONG)PoolType, NumberOfBytes, Tag, 0, -1,
                       __builtin_return_address(0));
}

#define FLAGS_KNOWN_REQUIRED                                                                                    \
    (POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |              \
     POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)
#define FLAGS_KIND (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)

/* P-4: flags Pool2/3 accept: no unknown required bit, exactly one kind of pool. */
static int flags_valid(POOL_FLAGS f)
{
    POOL_FLAGS required = f & 0xFFFFFFFFull;
    if (required & ~(POOL_FLAGS)FLAGS_KNOWN_REQUIRED)
        return 0;
    POOL_FLAGS kind = f & FLAGS_KIND;
    return kind == POOL_FLAG_NON_PAGED || kind == POOL_FLAG_NON_PAGED_EXECUTE || kind == POOL_FLAG_PAGED;
}

static ULONG flags_type(POOL_FLAGS f)
{
    if (f & POOL_FLAG_PAGED)
        return PagedPool;
    return (f & POOL_FLAG_NON_PAGED_EXECUTE) && !(f & POOL_FLAG_NON_PAGED) ? NonPagedPoolExecute : NonPagedPoolNx;
}

/* P-10: what ExAllocatePool3 accepts. The model is one NUMA node (0) and has no secure pool. */
static int ext_valid(PCPOOL_EXTENDED_PARAMETER ext, ULONG count)
{
    if (count && !ext)
        return 0;
    unsigned seen = 0;
    for (ULONG i = 0; i < count; i++) {
        const POOL_EXTENDED_PARAMETER *e = &ext[i];
        unsigned type = (unsigned)e->Type;
        if (e->Reserved != 0 || type == PoolExtendedParameterInvalidType || type >= PoolExtendedParameterMax)
            return 0;
        if (seen & (1u << type))
            return 0;
        seen |= 1u << type;
        int ok;
        switch (type) {
        case PoolExtendedParameterPriority:
            switch ((int)e->Priority) {
            case LowPoolPriority: case LowPoolPrioritySpecialPoolOverrun: case LowPoolPrioritySpecialPoolUnderrun:
            case NormalPoolPriority: case NormalPoolPrioritySpecialPoolOverrun:
            case NormalPoolPrioritySpecialPoolUnderrun: case HighPoolPriority:
            case HighPoolPrioritySpecialPoolOverrun: case HighPoolPrioritySpecialPoolUnderrun:
                ok = 1;
                break;
            default:
                ok = 0;
            }
            break;
        case PoolExtendedParameterNumaNode:
            ok = e->PreferredNode == 0 || e->PreferredNode == POOL_NUMA_NODE_INVALID;
            break;
        default: /* secure pool: no handle of one can exist here */
            ok = 0;
        }
        if (!ok && !e->Optional)
            return 0;
    }
    return 1;
}

static PVOID alloc_flags(const char *routine, POOL_FLAGS f, SIZE_T n, ULONG tag, PCPOOL_EXTENDED_PARAMETER ext,
                         ULONG count, void *caller)
{
    alloc_req r = {routine, flags_type(f), n, tag, !(f & POOL_FLAG_UNINITIALIZED), (f & POOL_FLAG_PAGED) != 0,
                   KF_SITE_POOL, caller};
    alloc_checks(&r, 1, (f & POOL_FLAG_NON_PAGED_EXECUTE) && !(f & (POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED)));
    PVOID p = NULL;
    if (flags_valid(f) && tag != 0 && ext_valid(ext, count))
        p = take(&r);
    if (!p && (f & POOL_FLAG_RAISE_ON_FAILURE))
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    return alloc_flags("ExAllocatePool2", Flags, NumberOfBytes, Tag, NULL, 0, __builtin_return_address(0));
}

PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                      ULONG ExtendedParametersCount)
{
    return alloc_flags("ExAllocatePool3", Flags, NumberOfBytes, Tag, ExtendedParameters, ExtendedParametersCount,
                       __builtin_return_address(0));
}

/* ---- Lookaside lists: the live ones ------------------------------------------------------ */

typedef struct la_rec {
    struct la_rec *next;
    void *list;          /* the caller's list structure (lookup only) */
    int kind;            /* 0 nonpaged, 1 paged, 2 Ex */
    void **entries;      /* handed out and not given back */
    size_t n, cap;
} la_rec;

static la_rec *lists;

static la_rec *la_find(const void *list)
{
    for (la_rec *r = lists; r; r = r->next)
        if (r->list == list)
            return r;
    return NULL;
}

static void la_forget_entry(la_rec *r, size_t i)
{
    r->entries[i] = r->entries[--r->n];
}

/* ---- Free ------------------------------------------------------------------------------- */

static pool_block *find_block(PVOID p)
{
    if (!p)
        return NULL;
    for (pool_block *b = pool_head.prev; b != &pool_head; b = b->prev)
        if (b + 1 == p)
            return b;
    return NULL;
}

static void release(pool_block *b)
{
    if (b->owner) {
        la_rec *r = b->owner;
        for (size_t i = 0; i < r->n; i++)
            if (r->entries[i] == (void *)(b + 1)) {
                la_forget_entry(r, i);
                break;
            }
    }
    b->prev->next = b->next;
    b->next->prev = b->prev;
    pool_count--;
    free(b->raw ? b->raw : (void *)b);
}

/* P-11 .. P-13, K-8. check: ExFreePoolWithTag's Tag must be the allocation's. */
static void pool_free(const char *routine, PVOID p, int check, ULONG tag)
{
    pool_block *b = find_block(p);
    if (!b)
        kf_violation_stop(KF_VIOL_POOL_FREE_INVALID, routine, 0, 0, 0,
                          "%s of a pointer that is not an outstanding pool allocation (double free, or memory "
                          "from elsewhere)",
                          routine);
    if (b->aligned)
        kf_violation_stop(KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, routine, 1, b->tag, 0,
                          "%s of a buffer FltAllocatePoolAlignedWithTag allocated (only FltFreePoolAlignedWithTag "
                          "frees it)",
                          routine);
    kf_thread *t = kf__thread();
    KIRQL max = b->paged ? APC_LEVEL : DISPATCH_LEVEL;
    if (free_irql_checked && t->irql > max)
        kf_violation_stop(KF_VIOL_POOL_FREE_IRQL, routine, t->irql, b->paged, 0,
                          "%s of %s pool at IRQL %u (requires IRQL <= %u) (Driver Verifier 0xC4/%s)", routine,
                          b->paged ? "paged" : "nonpaged", t->irql, max, b->paged ? "0x11" : "0x12");
    if (check && tag != b->tag) {
        char want[5], got[5];
        kf_pool_tag_text(b->tag, want);
        kf_pool_tag_text(tag, got);
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x0A, 0, b->tag, tag,
                    "%s with the tag '%s' of a block allocated with the tag '%s'", routine, got, want);
    }
    char *lo = (char *)(b + 1), *hi = lo + b->size;
    for (la_rec *r = lists; r; r = r->next)
        if ((char *)r->list >= lo && (char *)r->list < hi)
            kf_violation_stop(KF_VIOL_LOOKASIDE_FREED_LIVE, routine, 0, 0, 0,
                              "%s of a block that holds a lookaside list not deleted yet (Driver Verifier 0xC4/0xCC)",
                              routine);
    release(b);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) { pool_free("ExFreePoolWithTag", P, 1, Tag); }

VOID ExFreePool(PVOID P) { pool_free("ExFreePool", P, 0, 0); }

/* ---- Aligned pool for FltAllocatePoolAlignedWithTag (flt_objects.c, SEMANTICS.md FO-) -------- */

/* POSIX's, declared here because the model builds as strict C11: the exact size goes to the
 * host (AddressSanitizer sees an overrun of it), the start is aligned. */
int posix_memalign(void **memptr, size_t alignment, size_t size);

PVOID kf__pool_alloc_aligned(const char *routine, ULONG type, SIZE_T n, ULONG tag, SIZE_T align, const void *owner,
                             kf_site site, void *caller)
{
    /* The smallest block that meets the alignment when the caller asks for nothing. */
    SIZE_T size = n ? n : align;
    alloc_req r = {routine, type, size, tag, 0, type_paged(type), site, caller};
    if (!type_valid(type))
        kf_violation_stop(KF_VIOL_POOL_INVALID_TYPE, routine, type, n, 0,
                          "%s with pool type %u, which is reserved for the system or undefined", routine, type);
    alloc_checks(&r, 0, type_executable(type));
    if (kf_fault_consult(site) != KF_FAULT_NONE)
        return NULL;
    if (size > ((SIZE_T)1 << 40))
        return NULL;
    /* The header sits just below the aligned start, inside the first `align` bytes. */
    SIZE_T head = (sizeof(pool_block) + align - 1) / align * align;
    void *raw = NULL;
    if (posix_memalign(&raw, align, head + size) != 0)
        return NULL;
    pool_block *b = (pool_block *)((char *)raw + head) - 1;
    memset(b, 0, sizeof *b);
    b->size = size;
    b->tag = tag;
    b->paged = (unsigned char)r.paged;
    b->routine = routine;
    b->site = caller;
    b->aligned = 1;
    b->aligned_owner = owner;
    b->raw = raw;
    b->next = &pool_head;
    b->prev = pool_head.prev;
    pool_head.prev->next = b;
    pool_head.prev = b;
    pool_count++;
    memset(b + 1, KF_POOL_FILL, size);
    return b + 1;
}

void kf__pool_free_aligned(const char *routine, PVOID p, ULONG tag, const void *owner)
{
    pool_block *b = find_block(p);
    if (!b)
        kf_violation_stop(KF_VIOL_FLT_ALIGNED_POOL_FREE_INVALID, routine, 0, tag, 0,
                          "%s of a pointer that is not outstanding pool (freed already, or never allocated)", routine);
    if (!b->aligned)
        kf_violation_stop(KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, routine, 2, b->tag, 0,
                          "%s of pool %s allocated (ExFreePool(WithTag) frees it)", routine, b->routine);
    if (b->aligned_owner != owner)
        kf_violation_stop(KF_VIOL_FLT_ALIGNED_POOL_MISMATCH, routine, 3, b->tag, 0,
                          "%s with another instance than the buffer was allocated with", routine);
    kf_thread *t = kf__thread();
    KIRQL max = b->paged ? APC_LEVEL : DISPATCH_LEVEL;
    if (t->irql > max)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, max, t->irql, 0, 0,
                    "%s of %s pool at IRQL %u (requires IRQL <= %u)", routine, b->paged ? "paged" : "nonpaged",
                    t->irql, max);
    if (tag != b->tag) {
        char want[5], got[5];
        kf_pool_tag_text(b->tag, want);
        kf_pool_tag_text(tag, got);
        kf_bugcheck(routine, BAD_POOL_CALLER, 0x0A, 0, b->tag, tag,
                    "%s with the tag '%s' of a block allocated with the tag '%s'", routine, got, want);
    }
    b->aligned = 0; /* release() frees it as any block */
    release(b);
}

/* ---- Lookaside lists --------------------------------------------------------------------- */

static const char *const la_names[3][4] = {
    {"ExInitializeNPagedLookasideList", "ExAllocateFromNPagedLookasideList", "ExFreeToNPagedLookasideList",
     "ExDeleteNPagedLookasideList"},
    {"ExInitializePagedLookasideList", "ExAllocateFromPagedLookasideList", "ExFreeToPagedLookasideList",
     "ExDeletePagedLookasideList"},
    {"ExInitializeLookasideListEx", "ExAllocateFromLookasideListEx", "ExFreeToLookasideListEx",
     "ExDeleteLookasideListEx"},
};
enum { LA_INIT, LA_ALLOC, LA_FREE, LA_DELETE };

static void la_irql(int kind, const char *routine) { kf__irql_at_most(routine, kind == 1 ? APC_LEVEL : DISPATCH_LEVEL); }

static la_rec *la_live_named(int kind, const char *routine, int op, void *list)
{
    la_irql(kind, routine);
    la_rec *r = la_find(list);
    if (!r || r->kind != kind)
        kf_violation_stop(KF_VIOL_LOOKASIDE_NOT_INITIALIZED, routine, 0, 0, 0,
                          "%s on a list that is not initialized (never, or already deleted)%s", routine,
                          op == LA_DELETE ? " (Driver Verifier 0xC4/0xCB)" : "");
    return r;
}

static la_rec *la_live(int kind, int op, void *list) { return la_live_named(kind, la_names[kind][op], op, list); }

/* P-15, P-16: the common part of the three initializers. */
static void la_init(int kind, GENERAL_LOOKASIDE *L, void *list, PVOID alloc, PVOID freefn, ULONG type, SIZE_T size,
                    ULONG tag, USHORT depth)
{
    const char *routine = la_names[kind][LA_INIT];
    la_irql(kind, routine);
    if (la_find(list))
        kf_violation_stop(KF_VIOL_LOOKASIDE_REINITIALIZED, routine, 0, 0, 0,
                          "%s on a list that is initialized and not deleted (Driver Verifier 0xC4/0xCA)", routine);
    if (size < LOOKASIDE_MINIMUM_BLOCK_SIZE)
        kf_violation_stop(KF_VIOL_LOOKASIDE_BLOCK_TOO_SMALL, routine, size, LOOKASIDE_MINIMUM_BLOCK_SIZE, 0,
                          "%s with entries of %llu bytes, below LOOKASIDE_MINIMUM_BLOCK_SIZE (%llu) (Driver "
                          "Verifier 0xC4/0xCD)",
                          routine, (unsigned long long)size, (unsigned long long)LOOKASIDE_MINIMUM_BLOCK_SIZE);
    if (depth != 0)
        kf_violation_stop(KF_VIOL_LOOKASIDE_INVALID_PARAMETER, routine, depth, 0, 0,
                          "%s with Depth %u: the parameter is reserved and must be zero", routine, depth);
    if (size > 0xFFFFFFFFull)
        kf_violation_stop(KF_VIOL_LOOKASIDE_INVALID_PARAMETER, routine, 0, 0, 0,
                          "%s with entries of %llu bytes: a list's Size is a ULONG", routine,
                          (unsigned long long)size);
    check_tag(routine, type, size, tag, 0);
    la_rec *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "kfault: out of host memory for a lookaside list\n");
        abort();
    }
    r->list = list;
    r->kind = kind;
    r->next = lists;
    lists = r;
    memset(L, 0, sizeof *L);
    L->Depth = 0; /* nothing is ever cached (P-17) */
    L->MaximumDepth = 0;
    L->Type = (POOL_TYPE)type;
    L->Tag = tag;
    L->Size = (ULONG)size;
    L->Allocate = (PALLOCATE_FUNCTION)alloc;
    L->Free = (PFREE_FUNCTION)freefn;
    InitializeListHead(&L->ListEntry);
}

static void la_add_entry(la_rec *r, PVOID p)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        void **e = realloc(r->entries, cap * sizeof *e);
        if (!e) {
            fprintf(stderr, "kfault: out of host memory for a lookaside list\n");
            abort();
        }
        r->entries = e;
        r->cap = cap;
    }
    r->entries[r->n++] = p;
    pool_block *b = find_block(p);
    if (b)
        b->owner = r;
}

static PVOID la_alloc(int kind, GENERAL_LOOKASIDE *L, void *list, int raise, void *caller)
{
    const char *routine = la_names[kind][LA_ALLOC];
    la_rec *r = la_live(kind, LA_ALLOC, list);
    L->TotalAllocates++;
    L->AllocateMisses++;
    PVOID p;
    if (L->Allocate) {
        p = kind == 2 ? L->AllocateEx(L->Type, L->Size, L->Tag, (PLOOKASIDE_LIST_EX)list)
                      : L->Allocate(L->Type, L->Size, L->Tag);
    } else {
        alloc_req q = {routine, (ULONG)L->Type, L->Size, L->Tag, 0, type_paged((ULONG)L->Type), KF_SITE_LOOKASIDE,
                       caller};
        alloc_checks(&q, 0, type_executable((ULONG)L->Type));
        p = take(&q);
    }
    if (p)
        la_add_entry(r, p);
    else if (raise)
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

static void la_free(int kind, GENERAL_LOOKASIDE *L, void *list, PVOID entry)
{
    const char *routine = la_names[kind][LA_FREE];
    la_rec *r = la_live(kind, LA_FREE, list);
    size_t i;
    for (i = 0; i < r->n; i++)
        if (r->entries[i] == entry)
            break;
    if (i == r->n) {
        int other = 0;
        for (la_rec *o = lists; o && !other; o = o->next)
            for (size_t k = 0; k < o->n; k++)
                if (o->entries[k] == entry)
                    other = 1;
        kf_violation_stop(KF_VIOL_LOOKASIDE_WRONG_LIST, routine, 0, 0, 0, "%s of %s", routine,
                          other ? "an entry of another lookaside list"
                                : "memory this list did not hand out (or already took back)");
    }
    la_forget_entry(r, i);
    pool_block *b = find_block(entry);
    if (b)
        b->owner = NULL;
    L->TotalFrees++;
    L->FreeMisses++;
    if (L->Free) {
        if (kind == 2)
            L->FreeEx(entry, (PLOOKASIDE_LIST_EX)list);
        else
            L->Free(entry);
    } else {
        pool_free(routine, entry, 0, 0); /* as ExFreePool: an Allocate routine may have used its own tag */
    }
}

static void la_delete(int kind, void *list)
{
    la_rec *r = la_live(kind, LA_DELETE, list);
    for (la_rec **pp = &lists; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    /* Entries still handed out stay allocated: they are the driver's (pool) leak now. */
    for (size_t i = 0; i < r->n; i++) {
        pool_block *b = find_block(r->entries[i]);
        if (b)
            b->owner = NULL;
    }
    free(r->entries);
    free(r);
}

#define NPAGED_FLAGS (POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_NX_ALLOCATION)

static void la_old_flags(const char *routine, ULONG flags)
{
    /* P-16: Flags exist from Windows 8; before, they must be 0. */
    ULONG allowed = kf_current_profile()->os >= KF_OS_WIN8 ? NPAGED_FLAGS : 0;
    if (flags & ~allowed)
        kf_violation_stop(KF_VIOL_LOOKASIDE_INVALID_PARAMETER, routine, flags, 0, 0,
                          "%s with Flags 0x%X (allowed on this OS: 0x%X)", routine, flags, allowed);
}

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    la_old_flags(la_names[0][LA_INIT], Flags);
    ULONG type = (Flags & POOL_NX_ALLOCATION) ? NonPagedPoolNx : NonPagedPool;
    type |= Flags & POOL_RAISE_IF_ALLOCATION_FAILURE;
    la_init(0, &Lookaside->L, Lookaside, (PVOID)Allocate, (PVOID)Free, type, Size, Tag, Depth);
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    return la_alloc(0, &Lookaside->L, Lookaside, (Lookaside->L.Type & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
                    __builtin_return_address(0));
}

VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    la_free(0, &Lookaside->L, Lookaside, Entry);
}

VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) { la_delete(0, Lookaside); }

VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free,
                                    ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    la_old_flags(la_names[1][LA_INIT], Flags & ~(ULONG)POOL_NX_ALLOCATION);
    ULONG type = PagedPool | (Flags & POOL_RAISE_IF_ALLOCATION_FAILURE);
    la_init(1, &Lookaside->L, Lookaside, (PVOID)Allocate, (PVOID)Free, type, Size, Tag, Depth);
}

PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    return la_alloc(1, &Lookaside->L, Lookaside, (Lookaside->L.Type & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0,
                    __builtin_return_address(0));
}

VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    la_free(1, &Lookaside->L, Lookaside, Entry);
}

VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) { la_delete(1, Lookaside); }

/* P-16: the Ex list. Documented errors come back as status; misuse stops as above. */
NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                     PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth)
{
    la_irql(2, la_names[2][LA_INIT]);
    if (!type_valid((ULONG)PoolType))
        return STATUS_INVALID_PARAMETER_4;
    ULONG both = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;
    if ((Flags & ~both) || (Flags & both) == both)
        return STATUS_INVALID_PARAMETER_5;
    la_init(2, &Lookaside->L, Lookaside, (PVOID)Allocate, (PVOID)Free, (ULONG)PoolType, Size, Tag, Depth);
    Lookaside->L.Future[0] = Flags; /* kept where the kernel keeps nothing a driver reads */
    return STATUS_SUCCESS;
}

PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    int raise = (Lookaside->L.Future[0] & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) ||
                ((Lookaside->L.Type & POOL_RAISE_IF_ALLOCATION_FAILURE) &&
                 !(Lookaside->L.Future[0] & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE));
    return la_alloc(2, &Lookaside->L, Lookaside, raise, __builtin_return_address(0));
}

VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) { la_free(2, &Lookaside->L, Lookaside, Entry); }

VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) { la_delete(2, Lookaside); }

VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    /* Nothing is cached, so there is nothing to flush; the list must be live. */
    (void)la_live_named(2, "ExFlushLookasideListEx", LA_ALLOC, Lookaside);
}

/* ---- Leaks and reset -------------------------------------------------------------------- */

size_t kf__lookaside_outstanding(void)
{
    size_t n = 0;
    for (la_rec *r = lists; r; r = r->next)
        n++;
    return n;
}

/* Symbolizes a return address when the sanitizer runtime is linked in. */
void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out_buf, size_t out_buf_size) __attribute__((weak));

static void site_text(const pool_block *b, char *buf, size_t len)
{
    buf[0] = 0;
    if (__sanitizer_symbolize_pc && b->site) {
        /* The return address points after the call: step back into it. */
        __sanitizer_symbolize_pc((char *)b->site - 1, "%f %s:%l", buf, len);
        if (buf[0] && strncmp(buf, "<null>", 6) != 0)
            return;
    }
    snprintf(buf, len, "%s", b->routine);
}

int kf_pool_first_leak(ULONG *tag, SIZE_T *size, const char **routine, char *site, size_t site_len)
{
    pool_block *b = pool_head.next;
    if (b == &pool_head)
        return 0;
    if (tag)
        *tag = b->tag;
    if (size)
        *size = b->size;
    if (routine)
        *routine = b->routine;
    if (site && site_len)
        site_text(b, site, site_len);
    return 1;
}

size_t kf_pool_describe_leaks(char *buf, size_t len)
{
    size_t used = 0, n = 0;
    if (len)
        buf[0] = 0;
    for (pool_block *b = pool_head.next; b != &pool_head; b = b->next, n++) {
        char t[5], site[256];
        kf_pool_tag_text(b->tag, t);
        site_text(b, site, sizeof site);
        if (used < len) {
            int w = snprintf(buf + used, len - used, "'%s' %llu bytes (%s) from %s\n", t, (unsigned long long)b->size,
                             b->routine, site);
            if (w > 0)
                used += (size_t)w < len - used ? (size_t)w : len - used - 1;
        }
    }
    return n;
}

void kf__pool_release_all(void)
{
    while (pool_head.next != &pool_head) {
        pool_block *b = pool_head.next;
        pool_head.next = b->next;
        b->next->prev = &pool_head;
        free(b->raw ? b->raw : (void *)b);
    }
    pool_head.prev = &pool_head;
    pool_count = 0;
    while (lists) {
        la_rec *r = lists;
        lists = r->next;
        free(r->entries);
        free(r);
    }
    nx_required = 0;
}

/* ---- What Filter Manager's dispatch asks (flt_dispatch.c, SEMANTICS.md FD-*) --------------- */
int kf__pool_block_live(const void *p) { return p && find_block((PVOID)p) != NULL; }
