/*
 * kfault/wdk_gentable.h - the Rtl generic tables of the WDK's ntddk.h (the splay-tree kind):
 * RTL_GENERIC_TABLE, its routine types and the routines over it. Modeled in
 * model/src/rtl_generic.c; the rules are SEMANTICS.md "Generic tables" (T-*). Included by
 * ntddk.h; never include it alone.
 *
 * The table's layout is the WDK's. Every routine declared here is modeled; never add one
 * without its rule in SEMANTICS.md.
 */
#ifndef KFAULT_WDK_GENTABLE_H
#define KFAULT_WDK_GENTABLE_H

#ifndef KFAULT_NTDDK_H
#error "include ntddk.h or ntifs.h rather than kfault/wdk_gentable.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _RTL_SPLAY_LINKS {
    struct _RTL_SPLAY_LINKS *Parent;
    struct _RTL_SPLAY_LINKS *LeftChild;
    struct _RTL_SPLAY_LINKS *RightChild;
} RTL_SPLAY_LINKS, *PRTL_SPLAY_LINKS;

typedef enum _RTL_GENERIC_COMPARE_RESULTS {
    GenericLessThan,
    GenericGreaterThan,
    GenericEqual
} RTL_GENERIC_COMPARE_RESULTS;

struct _RTL_GENERIC_TABLE;

typedef RTL_GENERIC_COMPARE_RESULTS NTAPI RTL_GENERIC_COMPARE_ROUTINE(struct _RTL_GENERIC_TABLE *Table,
                                                                      PVOID FirstStruct, PVOID SecondStruct);
typedef RTL_GENERIC_COMPARE_ROUTINE *PRTL_GENERIC_COMPARE_ROUTINE;
typedef PVOID NTAPI RTL_GENERIC_ALLOCATE_ROUTINE(struct _RTL_GENERIC_TABLE *Table, CLONG ByteSize);
typedef RTL_GENERIC_ALLOCATE_ROUTINE *PRTL_GENERIC_ALLOCATE_ROUTINE;
typedef VOID NTAPI RTL_GENERIC_FREE_ROUTINE(struct _RTL_GENERIC_TABLE *Table, PVOID Buffer);
typedef RTL_GENERIC_FREE_ROUTINE *PRTL_GENERIC_FREE_ROUTINE;

typedef struct _RTL_GENERIC_TABLE {
    PRTL_SPLAY_LINKS TableRoot;
    LIST_ENTRY InsertOrderList;
    PLIST_ENTRY OrderedPointer;
    ULONG WhichOrderedElement;
    ULONG NumberGenericTableElements;
    PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine;
    PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine;
    PRTL_GENERIC_FREE_ROUTINE FreeRoutine;
    PVOID TableContext;
} RTL_GENERIC_TABLE, *PRTL_GENERIC_TABLE;

_IRQL_requires_max_(DISPATCH_LEVEL)
NTSYSAPI VOID NTAPI RtlInitializeGenericTable(_Out_ PRTL_GENERIC_TABLE Table,
                                              _In_ PRTL_GENERIC_COMPARE_ROUTINE CompareRoutine,
                                              _In_ PRTL_GENERIC_ALLOCATE_ROUTINE AllocateRoutine,
                                              _In_ PRTL_GENERIC_FREE_ROUTINE FreeRoutine,
                                              _In_opt_ PVOID TableContext);
NTSYSAPI PVOID NTAPI RtlInsertElementGenericTable(_In_ PRTL_GENERIC_TABLE Table, _In_ PVOID Buffer,
                                                  _In_ CLONG BufferSize, _Out_opt_ PBOOLEAN NewElement);
NTSYSAPI BOOLEAN NTAPI RtlDeleteElementGenericTable(_In_ PRTL_GENERIC_TABLE Table, _In_ PVOID Buffer);
NTSYSAPI PVOID NTAPI RtlLookupElementGenericTable(_In_ PRTL_GENERIC_TABLE Table, _In_ PVOID Buffer);
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTable(_In_ PRTL_GENERIC_TABLE Table, _In_ BOOLEAN Restart);
NTSYSAPI PVOID NTAPI RtlEnumerateGenericTableWithoutSplaying(_In_ PRTL_GENERIC_TABLE Table,
                                                             _Inout_ PVOID *RestartKey);
NTSYSAPI PVOID NTAPI RtlGetElementGenericTable(_In_ PRTL_GENERIC_TABLE Table, _In_ ULONG I);
NTSYSAPI ULONG NTAPI RtlNumberGenericTableElements(_In_ PRTL_GENERIC_TABLE Table);
NTSYSAPI BOOLEAN NTAPI RtlIsGenericTableEmpty(_In_ PRTL_GENERIC_TABLE Table);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_WDK_GENTABLE_H */
