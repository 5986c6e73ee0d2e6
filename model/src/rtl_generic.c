/*
 * rtl_generic.c - the Rtl generic tables of ntddk.h (the splay-tree kind): initialization,
 * insertion, lookup, deletion, enumeration in collation order (with and without splaying),
 * access by insertion index, and the element count.
 *
 * Rules T-1 .. T-9 of model/SEMANTICS.md ("Generic tables"). Every node comes from the
 * table's AllocateRoutine (the driver's own pool, so a failure is the driver's pool site, not
 * one of kfault's) and goes back through its FreeRoutine. A node is RTL_SPLAY_LINKS, then
 * LIST_ENTRY (insertion order), then the element at a LONGLONG-aligned offset (40 bytes on
 * 64-bit Windows): the header the documentation tells callers never to touch. Must never
 * order anything by address, never call the compare routine on anything but a caller's
 * buffer and an element, and never touch a node after handing it to FreeRoutine.
 */
#include "internal.h"
#include "ntddk.h"

#include <stddef.h>
#include <string.h>

typedef struct gt_node {
    RTL_SPLAY_LINKS Links;
    LIST_ENTRY Order;
    LONGLONG UserData;
} gt_node;

/* The bytes in front of an element (T-3). */
#define GT_HEADER ((CLONG)offsetof(gt_node, UserData))

static gt_node *node_of(PRTL_SPLAY_LINKS l) { return (gt_node *)l; }
static PVOID data_of(PRTL_SPLAY_LINKS l) { return &node_of(l)->UserData; }

/* ---- Checks (T-7, T-8) --------------------------------------------------------------------- */

static void check_irql(const char *routine)
{
    kf_thread *t = kf__thread();
    if (t->irql > DISPATCH_LEVEL)
        kf_bugcheck(routine, IRQL_NOT_LESS_OR_EQUAL, DISPATCH_LEVEL, t->irql, 0, 0,
                    "%s at IRQL %u (generic table routines require IRQL <= DISPATCH_LEVEL)", routine, t->irql);
}

static void check_table(const char *routine, PRTL_GENERIC_TABLE Table)
{
    check_irql(routine);
    if (!Table)
        kf_violation_stop(KF_VIOL_GTABLE_NULL_ARGUMENT, routine, 1, 0, 0, "%s with a NULL Table", routine);
    if (!Table->CompareRoutine || !Table->AllocateRoutine || !Table->FreeRoutine || !Table->InsertOrderList.Flink ||
        !Table->InsertOrderList.Blink)
        kf_violation_stop(KF_VIOL_GTABLE_NOT_INITIALIZED, routine, 0, 0, 0,
                          "%s on a generic table that RtlInitializeGenericTable never initialized (its routines "
                          "or its insertion list are NULL)",
                          routine);
}

static void check_buffer(const char *routine, const void *p, ULONG_PTR which)
{
    if (!p)
        kf_violation_stop(KF_VIOL_GTABLE_NULL_ARGUMENT, routine, which, 0, 0, "%s with a NULL argument (#%lu)",
                          routine, (unsigned long)which);
}

static RTL_GENERIC_COMPARE_RESULTS compare(const char *routine, PRTL_GENERIC_TABLE Table, PVOID key,
                                           PRTL_SPLAY_LINKS node)
{
    RTL_GENERIC_COMPARE_RESULTS r = Table->CompareRoutine(Table, key, data_of(node));
    if (r != GenericLessThan && r != GenericGreaterThan && r != GenericEqual)
        kf_violation_stop(KF_VIOL_GTABLE_BAD_COMPARE, routine, (ULONG_PTR)(LONG)r, 0, 0,
                          "the table's CompareRoutine returned %d, which is none of GenericLessThan (0), "
                          "GenericGreaterThan (1) and GenericEqual (2) (a memcmp-style result?)",
                          (int)r);
    return r;
}

/* ---- The splay tree (the root's Parent is the root itself, as RtlInitializeSplayLinks sets) ---- */

static int is_root(PRTL_SPLAY_LINKS n) { return n->Parent == n; }

static void rotate_up(PRTL_SPLAY_LINKS x)
{
    PRTL_SPLAY_LINKS p = x->Parent, g = p->Parent;
    if (p->LeftChild == x) {
        p->LeftChild = x->RightChild;
        if (p->LeftChild)
            p->LeftChild->Parent = p;
        x->RightChild = p;
    } else {
        p->RightChild = x->LeftChild;
        if (p->RightChild)
            p->RightChild->Parent = p;
        x->LeftChild = p;
    }
    if (g == p) {
        x->Parent = x;
    } else {
        if (g->LeftChild == p)
            g->LeftChild = x;
        else
            g->RightChild = x;
        x->Parent = g;
    }
    p->Parent = x;
}

static PRTL_SPLAY_LINKS splay(PRTL_SPLAY_LINKS x)
{
    while (!is_root(x)) {
        PRTL_SPLAY_LINKS p = x->Parent;
        if (is_root(p)) {
            rotate_up(x);
        } else {
            PRTL_SPLAY_LINKS g = p->Parent;
            if ((g->LeftChild == p) == (p->LeftChild == x)) {
                rotate_up(p);
                rotate_up(x);
            } else {
                rotate_up(x);
                rotate_up(x);
            }
        }
    }
    return x;
}

static PRTL_SPLAY_LINKS leftmost(PRTL_SPLAY_LINKS n)
{
    while (n->LeftChild)
        n = n->LeftChild;
    return n;
}

static PRTL_SPLAY_LINKS rightmost(PRTL_SPLAY_LINKS n)
{
    while (n->RightChild)
        n = n->RightChild;
    return n;
}

static PRTL_SPLAY_LINKS successor(PRTL_SPLAY_LINKS n)
{
    if (n->RightChild)
        return leftmost(n->RightChild);
    while (!is_root(n) && n->Parent->RightChild == n)
        n = n->Parent;
    return is_root(n) ? NULL : n->Parent;
}

/* Walks from the root; *last is the node found or the last one visited (NULL: empty tree). */
static RTL_GENERIC_COMPARE_RESULTS find(const char *routine, PRTL_GENERIC_TABLE Table, PVOID key,
                                        PRTL_SPLAY_LINKS *last)
{
    PRTL_SPLAY_LINKS n = Table->TableRoot;
    RTL_GENERIC_COMPARE_RESULTS r = GenericEqual;
    *last = NULL;
    while (n) {
        *last = n;
        r = compare(routine, Table, key, n);
        if (r == GenericEqual)
            break;
        n = r == GenericLessThan ? n->LeftChild : n->RightChild;
    }
    return r;
}

/* ---- Routines ------------------------------------------------------------------------------ */

VOID NTAPI RtlInitializeGenericTable(PRTL_GENERIC_TABLE Table, PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine,
                                     PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine,
                                     PRTL_GENERIC_FREE_ROUTINE FreeRoutine, PVOID TableContext)
{
    static const char routine[] = "RtlInitializeGenericTable";
    check_irql(routine);
    check_buffer(routine, Table, 1);
    check_buffer(routine, (const void *)CompareRoutine, 2);
    check_buffer(routine, (const void *)AllocateRoutine, 3);
    check_buffer(routine, (const void *)FreeRoutine, 4);
    Table->TableRoot = NULL;
    InitializeListHead(&Table->InsertOrderList);
    Table->OrderedPointer = &Table->InsertOrderList;
    Table->WhichOrderedElement = 0;
    Table->NumberGenericTableElements = 0;
    Table->CompareRoutine = CompareRoutine;
    Table->AllocateRoutine = AllocateRoutine;
    Table->FreeRoutine = FreeRoutine;
    Table->TableContext = TableContext;
}

PVOID NTAPI RtlInsertElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer, CLONG BufferSize,
                                         PBOOLEAN NewElement)
{
    static const char routine[] = "RtlInsertElementGenericTable";
    check_table(routine, Table);
    check_buffer(routine, Buffer, 2);
    PRTL_SPLAY_LINKS parent;
    RTL_GENERIC_COMPARE_RESULTS r = find(routine, Table, Buffer, &parent);
    if (parent && r == GenericEqual) {
        Table->TableRoot = splay(parent);
        if (NewElement)
            *NewElement = FALSE;
        return data_of(parent);
    }
    gt_node *n = Table->AllocateRoutine(Table, GT_HEADER + BufferSize);
    if (!n) {
        if (NewElement)
            *NewElement = FALSE;
        return NULL;
    }
    n->Links.Parent = &n->Links;
    n->Links.LeftChild = n->Links.RightChild = NULL;
    memcpy(&n->UserData, Buffer, BufferSize);
    if (parent) {
        if (r == GenericLessThan)
            parent->LeftChild = &n->Links;
        else
            parent->RightChild = &n->Links;
        n->Links.Parent = parent;
    }
    InsertTailList(&Table->InsertOrderList, &n->Order);
    Table->NumberGenericTableElements++;
    Table->TableRoot = splay(&n->Links);
    if (NewElement)
        *NewElement = TRUE;
    return &n->UserData;
}

PVOID NTAPI RtlLookupElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer)
{
    static const char routine[] = "RtlLookupElementGenericTable";
    check_table(routine, Table);
    check_buffer(routine, Buffer, 2);
    PRTL_SPLAY_LINKS last;
    RTL_GENERIC_COMPARE_RESULTS r = find(routine, Table, Buffer, &last);
    if (!last)
        return NULL;
    Table->TableRoot = splay(last);
    return r == GenericEqual ? data_of(last) : NULL;
}

BOOLEAN NTAPI RtlDeleteElementGenericTable(PRTL_GENERIC_TABLE Table, PVOID Buffer)
{
    static const char routine[] = "RtlDeleteElementGenericTable";
    check_table(routine, Table);
    check_buffer(routine, Buffer, 2);
    PRTL_SPLAY_LINKS n;
    if (find(routine, Table, Buffer, &n) != GenericEqual || !n)
        return FALSE;
    splay(n);
    PRTL_SPLAY_LINKS left = n->LeftChild, right = n->RightChild, root;
    if (!left) {
        root = right;
        if (root)
            root->Parent = root;
    } else {
        left->Parent = left;
        root = splay(rightmost(left));
        root->RightChild = right;
        if (right)
            right->Parent = root;
    }
    Table->TableRoot = root;
    RemoveEntryList(&node_of(n)->Order);
    Table->NumberGenericTableElements--;
    Table->OrderedPointer = &Table->InsertOrderList;
    Table->WhichOrderedElement = 0;
    Table->FreeRoutine(Table, node_of(n));
    return TRUE;
}

PVOID NTAPI RtlEnumerateGenericTable(PRTL_GENERIC_TABLE Table, BOOLEAN Restart)
{
    static const char routine[] = "RtlEnumerateGenericTable";
    check_table(routine, Table);
    if (!Table->TableRoot)
        return NULL;
    PRTL_SPLAY_LINKS n = Restart ? leftmost(Table->TableRoot) : successor(Table->TableRoot);
    if (!n)
        return NULL;
    Table->TableRoot = splay(n);
    return data_of(n);
}

PVOID NTAPI RtlEnumerateGenericTableWithoutSplaying(PRTL_GENERIC_TABLE Table, PVOID *RestartKey)
{
    static const char routine[] = "RtlEnumerateGenericTableWithoutSplaying";
    check_table(routine, Table);
    check_buffer(routine, RestartKey, 2);
    if (!Table->TableRoot)
        return NULL;
    PRTL_SPLAY_LINKS n = *RestartKey ? successor((PRTL_SPLAY_LINKS)*RestartKey) : leftmost(Table->TableRoot);
    if (!n)
        return NULL;
    *RestartKey = n;
    return data_of(n);
}

PVOID NTAPI RtlGetElementGenericTable(PRTL_GENERIC_TABLE Table, ULONG I)
{
    static const char routine[] = "RtlGetElementGenericTable";
    check_table(routine, Table);
    if (I == MAXULONG || I + 1 > Table->NumberGenericTableElements)
        return NULL;
    PLIST_ENTRY e = Table->InsertOrderList.Flink;
    ULONG at = 0;
    if (Table->WhichOrderedElement && Table->WhichOrderedElement <= I + 1) {
        e = Table->OrderedPointer;
        at = Table->WhichOrderedElement - 1;
    }
    for (; at < I; at++)
        e = e->Flink;
    Table->OrderedPointer = e;
    Table->WhichOrderedElement = I + 1;
    return &((gt_node *)((PUCHAR)e - offsetof(gt_node, Order)))->UserData;
}

ULONG NTAPI RtlNumberGenericTableElements(PRTL_GENERIC_TABLE Table)
{
    static const char routine[] = "RtlNumberGenericTableElements";
    check_irql(routine);
    check_buffer(routine, Table, 1);
    return Table->NumberGenericTableElements;
}

BOOLEAN NTAPI RtlIsGenericTableEmpty(PRTL_GENERIC_TABLE Table)
{
    static const char routine[] = "RtlIsGenericTableEmpty";
    check_irql(routine);
    check_buffer(routine, Table, 1);
    return (BOOLEAN)(Table->TableRoot == NULL);
}
