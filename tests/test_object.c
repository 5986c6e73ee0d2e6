/*
 * test_object.c - objects and handles (rules B-1 to B-16 of model/SEMANTICS.md): exported
 * types, references and their misuse, ObReferenceObjectByHandle's statuses and Driver Verifier
 * checks, ObOpenObjectByPointer, ZwClose / NtClose, handle values, user-process handles, IRQL,
 * the ob.handle fault site, and leaks counted at reset.
 *
 * Objects come from the modeled process (NtCurrentProcess) and from registry keys (the only
 * objects a driver can make the model create); foreign objects are statics of this file.
 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>

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

static PVOID current_process(void)
{
    PVOID p = NULL;
    NTSTATUS s = ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode, &p, NULL);
    CHECK_EQ(s, STATUS_SUCCESS);
    return p;
}

static HANDLE open_key_handle(void)
{
    static UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\Software\\Obj");
    OBJECT_ATTRIBUTES oa;
    HANDLE h = NULL;
    kf_registry_set_value("\\Registry\\Machine\\Software\\Obj", "v", REG_DWORD, "\1\0\0\0", 4);
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    CHECK_EQ(ZwOpenKey(&h, KEY_READ, &oa), STATUS_SUCCESS);
    return h;
}

/* ---- B-1: headers ------------------------------------------------------------------------- */

TEST(header_shapes)
{
    CHECK_EQ(sizeof(OBJECT_ATTRIBUTES), 48);
    CHECK_EQ(offsetof(OBJECT_ATTRIBUTES, RootDirectory), 8);
    CHECK_EQ(offsetof(OBJECT_ATTRIBUTES, ObjectName), 16);
    CHECK_EQ(offsetof(OBJECT_ATTRIBUTES, Attributes), 24);
    CHECK_EQ(offsetof(OBJECT_ATTRIBUTES, SecurityDescriptor), 32);
    CHECK_EQ(offsetof(OBJECT_ATTRIBUTES, SecurityQualityOfService), 40);
    CHECK_EQ(sizeof(OBJECT_HANDLE_INFORMATION), 8);
    CHECK_EQ(OBJ_INHERIT, 0x2);
    CHECK_EQ(OBJ_PERMANENT, 0x10);
    CHECK_EQ(OBJ_CASE_INSENSITIVE, 0x40);
    CHECK_EQ(OBJ_KERNEL_HANDLE, 0x200);
    CHECK_EQ(OBJ_FORCE_ACCESS_CHECK, 0x400);
    CHECK_EQ(DELETE, 0x10000);
    CHECK_EQ(SYNCHRONIZE, 0x100000);
    CHECK_EQ(STANDARD_RIGHTS_ALL, 0x1F0000);
    CHECK_EQ((ULONG_PTR)NtCurrentProcess(), (ULONG_PTR)-1);
    CHECK_EQ((ULONG_PTR)NtCurrentThread(), (ULONG_PTR)-2);
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING n = RTL_CONSTANT_STRING(L"x");
    memset(&oa, 0xAB, sizeof oa);
    InitializeObjectAttributes(&oa, &n, OBJ_KERNEL_HANDLE, (HANDLE)8, NULL);
    CHECK_EQ(oa.Length, sizeof(OBJECT_ATTRIBUTES));
    CHECK(oa.ObjectName == &n);
    CHECK_EQ((ULONG_PTR)oa.RootDirectory, 8);
    CHECK(oa.SecurityQualityOfService == NULL);
    /* The exported types are distinct, and pointers to the type as the WDK declares them. */
    CHECK(*IoFileObjectType != *PsProcessType);
    CHECK(*PsProcessType != *PsThreadType);
    CHECK(*ExEventObjectType != *CmKeyObjectType);
    CHECK(*IoDeviceObjectType != NULL && *SeTokenObjectType != NULL && *IoDriverObjectType != NULL);
}

/* ---- B-2, B-3: references on objects the model owns --------------------------------------------- */

TEST(reference_counts_balance)
{
    PVOID p = current_process();
    CHECK(p != NULL);
    CHECK(ObReferenceObject(p) > 0);
    ObDereferenceObject(p);
    ObDereferenceObjectWithTag(p, 0x78546167);
    ObReferenceObjectWithTag(p, 0x78546167);
    ObDereferenceObjectDeferDelete(p);
    ObReferenceObject(p);
    ObDereferenceObjectDeferDeleteWithTag(p, 0x78546167);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    CHECK_EQ(lr.handles, 0);
    /* The thread pseudo handle gives PsGetCurrentThread's object. */
    PVOID t = NULL;
    CHECK_EQ(ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsThreadType, KernelMode, &t, NULL), STATUS_SUCCESS);
    CHECK(t == (PVOID)PsGetCurrentThread());
    ObDereferenceObject(t);
}

static void deref_process_twice(void)
{
    PVOID p = current_process();
    ObDereferenceObject(p);
    ObDereferenceObject(p);
}

TEST(dereference_more_than_referenced_stops)
{
    kf_stop st;
    CHECK(stops(deref_process_twice, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DEREF_UNHELD);
    CHECK(!strcmp(st.routine, "ObfDereferenceObject"));
}

static PVOID key_object;
static void deref_key_after_close(void)
{
    HANDLE h = open_key_handle();
    CHECK_EQ(ObReferenceObjectByHandle(h, KEY_READ, *CmKeyObjectType, KernelMode, &key_object, NULL),
             STATUS_SUCCESS);
    ObDereferenceObject(key_object);
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS); /* the last reference: the object is deleted */
    ObDereferenceObject(key_object);
}
static void ref_key_after_close(void)
{
    HANDLE h = open_key_handle();
    CHECK_EQ(ObReferenceObjectByHandle(h, KEY_READ, *CmKeyObjectType, KernelMode, &key_object, NULL),
             STATUS_SUCCESS);
    ObDereferenceObject(key_object);
    ZwClose(h);
    ObReferenceObject(key_object);
}
static void steal_handle_reference(void)
{
    HANDLE h = open_key_handle();
    CHECK_EQ(ObReferenceObjectByHandle(h, KEY_READ, *CmKeyObjectType, KernelMode, &key_object, NULL),
             STATUS_SUCCESS);
    ObDereferenceObject(key_object);
    ObDereferenceObject(key_object); /* the handle's reference, not the driver's */
}

TEST(deleted_object_and_stolen_reference_stop)
{
    kf_stop st;
    CHECK(stops(deref_key_after_close, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DELETED_OBJECT);
    CHECK(stops(ref_key_after_close, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DELETED_OBJECT);
    CHECK(!strcmp(st.routine, "ObfReferenceObject"));
    CHECK(stops(steal_handle_reference, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DEREF_UNHELD);
}

TEST(object_lives_while_referenced_after_close)
{
    HANDLE h = open_key_handle();
    PVOID obj = NULL;
    OBJECT_HANDLE_INFORMATION info;
    CHECK_EQ(ObReferenceObjectByHandle(h, 0, *CmKeyObjectType, KernelMode, &obj, &info), STATUS_SUCCESS);
    CHECK_EQ(info.GrantedAccess, KEY_READ);
    CHECK_EQ(info.HandleAttributes, 0); /* OBJ_KERNEL_HANDLE picks the table; the entry keeps OBJ_INHERIT only */
    CHECK_EQ(ZwClose(h), STATUS_SUCCESS);
    ObReferenceObject(obj); /* still alive: the driver holds a reference */
    ObDereferenceObject(obj);
    ObDereferenceObject(obj);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    CHECK_EQ(lr.handles, 0);
}

/* ---- B-4, B-5: pointers the model does not know ----------------------------------------------- */

static struct { int fake_file_object[16]; } harness_object;

static void deref_foreign_unheld(void) { ObDereferenceObject(&harness_object); }

TEST(foreign_object_tracked_from_first_sight)
{
    CHECK_EQ(ObReferenceObject(&harness_object), 1);
    CHECK_EQ(ObReferenceObject(&harness_object), 2);
    ObDereferenceObject(&harness_object);
    ObDereferenceObject(&harness_object);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    kf_stop st;
    CHECK(stops(deref_foreign_unheld, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DEREF_UNHELD);
    /* A reference the harness gave the driver may be dropped by it. */
    kf_object_give_reference(&harness_object);
    ObDereferenceObject(&harness_object);
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    /* ObReferenceObjectByPointer accepts any type for an object it cannot know. */
    CHECK_EQ(ObReferenceObjectByPointer(&harness_object, 0, *IoFileObjectType, KernelMode), STATUS_SUCCESS);
    ObDereferenceObject(&harness_object);
}

static void reference_null(void) { ObReferenceObject(NULL); }

TEST(null_object_stops)
{
    kf_stop st;
    CHECK(stops(reference_null, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_NULL_ARGUMENT);
}

TEST(by_pointer_type_mismatch)
{
    PVOID p = current_process();
    CHECK_EQ(ObReferenceObjectByPointer(p, 0, *PsThreadType, KernelMode), STATUS_OBJECT_TYPE_MISMATCH);
    CHECK_EQ(ObReferenceObjectByPointerWithTag(p, 0, *PsProcessType, KernelMode, 0x31546167), STATUS_SUCCESS);
    ObDereferenceObject(p);
    ObDereferenceObject(p);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
}

/* ---- B-6 to B-9: handles --------------------------------------------------------------------- */

TEST(handle_values_deterministic)
{
    PVOID p = current_process();
    HANDLE k1, k2, u1;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, *PsProcessType, KernelMode, &k1), STATUS_SUCCESS);
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &k2), STATUS_SUCCESS);
    CHECK_EQ(ObOpenObjectByPointer(p, 0, NULL, 0, NULL, KernelMode, &u1), STATUS_SUCCESS);
    CHECK_EQ((ULONG_PTR)k1, 0xFFFFFFFF80000004ull);
    CHECK_EQ((ULONG_PTR)k2, 0xFFFFFFFF80000008ull);
    CHECK_EQ((ULONG_PTR)u1, 0x4);
    /* OBJ_KERNEL_HANDLE with UserMode makes a process handle. */
    HANDLE u2;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, UserMode, &u2), STATUS_SUCCESS);
    CHECK_EQ((ULONG_PTR)u2, 0x8);
    CHECK_EQ(ZwClose(k1), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(k2), STATUS_SUCCESS);
    CHECK_EQ(ZwClose(u1), STATUS_SUCCESS);
    CHECK_EQ(NtClose(u2), STATUS_SUCCESS);
    /* Never reused within a run; the counters restart at kf_reset. */
    HANDLE k3;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &k3), STATUS_SUCCESS);
    CHECK_EQ((ULONG_PTR)k3, 0xFFFFFFFF8000000Cull);
    ZwClose(k3);
    ObDereferenceObject(p);
    kf_reset();
    p = current_process();
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &k1), STATUS_SUCCESS);
    CHECK_EQ((ULONG_PTR)k1, 0xFFFFFFFF80000004ull);
    ZwClose(k1);
    ObDereferenceObject(p);
}

TEST(by_handle_statuses)
{
    PVOID p = current_process(), o = (PVOID)1;
    HANDLE k, u;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, PROCESS_ALL_ACCESS, NULL, KernelMode, &k),
             STATUS_SUCCESS);
    CHECK_EQ(ObOpenObjectByPointer(p, 0, NULL, 0x400, NULL, UserMode, &u), STATUS_SUCCESS);
    /* Type mismatch: *Object NULL, no reference taken. */
    CHECK_EQ(ObReferenceObjectByHandle(k, 0, *PsThreadType, KernelMode, &o, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    CHECK(o == NULL);
    /* UserMode never sees kernel handles. */
    CHECK_EQ(ObReferenceObjectByHandle(k, 0, NULL, UserMode, &o, NULL), STATUS_INVALID_HANDLE);
    /* UserMode checks the granted access; KernelMode does not. */
    CHECK_EQ(ObReferenceObjectByHandle(u, 0x10, *PsProcessType, UserMode, &o, NULL), STATUS_ACCESS_DENIED);
    OBJECT_HANDLE_INFORMATION info;
    CHECK_EQ(ObReferenceObjectByHandle(u, 0x400, *PsProcessType, UserMode, &o, &info), STATUS_SUCCESS);
    CHECK_EQ(info.GrantedAccess, 0x400);
    CHECK_EQ(info.HandleAttributes, 0);
    CHECK(o == p);
    ObDereferenceObject(o);
    CHECK_EQ(ObReferenceObjectByHandleWithTag(u, 0x10, *PsProcessType, KernelMode, 0x32546167, &o, NULL),
             STATUS_SUCCESS);
    ObDereferenceObjectWithTag(o, 0x32546167);
    /* GENERIC_READ maps through the type, MAXIMUM_ALLOWED grants all. */
    CHECK_EQ(ObReferenceObjectByHandle(u, GENERIC_READ, NULL, UserMode, &o, NULL), STATUS_ACCESS_DENIED);
    /* UserMode with values never issued or NULL: a status, no stop. */
    CHECK_EQ(ObReferenceObjectByHandle(NULL, 0, NULL, UserMode, &o, NULL), STATUS_INVALID_HANDLE);
    CHECK_EQ(ObReferenceObjectByHandle((HANDLE)0x400, 0, NULL, UserMode, &o, NULL), STATUS_INVALID_HANDLE);
    ZwClose(k);
    ZwClose(u);
    ObDereferenceObject(p);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    CHECK_EQ(lr.handles, 0);
}

static void by_null_handle_kernel(void)
{
    PVOID o;
    ObReferenceObjectByHandle(NULL, 0, NULL, KernelMode, &o, NULL);
}
static void by_bad_handle_kernel(void)
{
    PVOID o;
    ObReferenceObjectByHandle((HANDLE)0x1230, 0, NULL, KernelMode, &o, NULL);
}
static void by_bad_kernel_handle(void)
{
    PVOID o;
    ObReferenceObjectByHandle((HANDLE)(LONG_PTR)(LONG)0x80000400, 0, NULL, KernelMode, &o, NULL);
}
static void by_closed_handle(void)
{
    PVOID p = current_process(), o;
    HANDLE k;
    ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &k);
    ZwClose(k);
    ObReferenceObjectByHandle(k, 0, NULL, KernelMode, &o, NULL);
}
static HANDLE system_process_handle;
static void user_handle_as_kernel(void)
{
    PVOID o;
    kf_set_user_process_context(TRUE);
    ObReferenceObjectByHandle(system_process_handle, 0, NULL, KernelMode, &o, NULL);
}

TEST(by_handle_verifier_checks)
{
    kf_stop st;
    CHECK(stops(by_null_handle_kernel, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_NULL_HANDLE);
    CHECK(stops(by_bad_handle_kernel, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_BAD_HANDLE);
    CHECK_EQ(st.param[1], 0x1230);
    CHECK(stops(by_bad_kernel_handle, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_BAD_HANDLE);
    CHECK(stops(by_closed_handle, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_HANDLE_AFTER_CLOSE);
    kf_reset();
    PVOID p = current_process();
    CHECK_EQ(ObOpenObjectByPointer(p, 0, NULL, 0, NULL, KernelMode, &system_process_handle), STATUS_SUCCESS);
    /* In the system process the handle serves KernelMode callers. */
    PVOID o;
    CHECK_EQ(ObReferenceObjectByHandle(system_process_handle, 0, NULL, KernelMode, &o, NULL), STATUS_SUCCESS);
    ObDereferenceObject(o);
    CHECK(stops(user_handle_as_kernel, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_USER_HANDLE_AS_KERNEL);
    CHECK_EQ(st.param[1], (ULONG_PTR)system_process_handle);
    /* In the user process, the system process's handle is not in the table. */
    CHECK_EQ(ObReferenceObjectByHandle(system_process_handle, 0, NULL, UserMode, &o, NULL), STATUS_INVALID_HANDLE);
    /* A kernel handle serves in any process. */
    HANDLE k;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &k), STATUS_SUCCESS);
    CHECK_EQ(ObReferenceObjectByHandle(k, 0, NULL, KernelMode, &o, NULL), STATUS_SUCCESS);
    ObDereferenceObject(o);
    /* NtClose in the user process runs with previous mode UserMode. */
    CHECK_EQ(NtClose(k), STATUS_INVALID_HANDLE);
    CHECK_EQ(NtClose((HANDLE)0x40), STATUS_INVALID_HANDLE);
    CHECK_EQ(ZwClose(k), STATUS_SUCCESS);
    kf_set_user_process_context(FALSE);
    CHECK_EQ(ZwClose(system_process_handle), STATUS_SUCCESS);
    ObDereferenceObject(p);
}

TEST(open_by_pointer_statuses)
{
    PVOID p = current_process();
    HANDLE h = (HANDLE)1;
    CHECK_EQ(ObOpenObjectByPointer(p, 0x80000000u, NULL, 0, NULL, KernelMode, &h), STATUS_INVALID_PARAMETER);
    CHECK(h == NULL);
    h = (HANDLE)1;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, *IoFileObjectType, KernelMode, &h),
             STATUS_OBJECT_TYPE_MISMATCH);
    CHECK(h == NULL);
    /* A foreign object gets a handle too; the handle keeps the type the caller named. */
    CHECK_EQ(ObOpenObjectByPointer(&harness_object, OBJ_KERNEL_HANDLE, NULL, 0, *IoFileObjectType, KernelMode, &h),
             STATUS_SUCCESS);
    PVOID o;
    CHECK_EQ(ObReferenceObjectByHandle(h, 0, *IoFileObjectType, KernelMode, &o, NULL), STATUS_SUCCESS);
    CHECK(o == (PVOID)&harness_object);
    ObDereferenceObject(o);
    ZwClose(h);
    ObDereferenceObject(p);
}

static void open_by_pointer_deleted(void)
{
    HANDLE h = open_key_handle(), h2;
    PVOID obj;
    ObReferenceObjectByHandle(h, 0, NULL, KernelMode, &obj, NULL);
    ObDereferenceObject(obj);
    ZwClose(h);
    ObOpenObjectByPointer(obj, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &h2);
}
static void open_by_pointer_access_state(void)
{
    HANDLE h;
    ObOpenObjectByPointer(current_process(), OBJ_KERNEL_HANDLE, (PACCESS_STATE)&harness_object, 0, NULL,
                          KernelMode, &h);
}

TEST(open_by_pointer_misuse_stops)
{
    kf_stop st;
    CHECK(stops(open_by_pointer_deleted, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_DELETED_OBJECT);
    CHECK(stops(open_by_pointer_access_state, &st));
    CHECK_VIOLATION(st, KF_VIOL_NOT_MODELED);
}

/* ---- B-10, B-11: closing ----------------------------------------------------------------------- */

static HANDLE closed_twice;
static void close_twice(void)
{
    PVOID p = current_process();
    ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &closed_twice);
    ObDereferenceObject(p);
    ZwClose(closed_twice);
    ZwClose(closed_twice);
}
static void close_never_opened(void) { ZwClose((HANDLE)0x88); }

TEST(close_invalid_handle_bugchecks)
{
    CHECK_EQ(ZwClose(NULL), STATUS_INVALID_HANDLE);
    kf_stop st;
    CHECK(stops(close_twice, &st));
    CHECK_EQ(st.code, INVALID_KERNEL_HANDLE);
    CHECK_EQ(st.param[0], (ULONG_PTR)closed_twice);
    CHECK_EQ(st.param[1], 1);
    CHECK(stops(close_never_opened, &st));
    CHECK_EQ(st.code, INVALID_KERNEL_HANDLE);
    CHECK_EQ(st.param[0], 0x88);
}

/* ---- B-12: IRQL ------------------------------------------------------------------------------- */

static void reference_above_dispatch(void)
{
    PVOID p = current_process();
    kf_set_irql(3);
    ObReferenceObject(p);
}
static void by_handle_at_apc(void)
{
    PVOID o;
    kf_set_irql(APC_LEVEL);
    ObReferenceObjectByHandle(NtCurrentProcess(), 0, NULL, KernelMode, &o, NULL);
}
static void close_at_dispatch(void)
{
    kf_set_irql(DISPATCH_LEVEL);
    ZwClose((HANDLE)4);
}

TEST(irql_rules)
{
    PVOID p = current_process();
    kf_set_irql(DISPATCH_LEVEL);
    ObReferenceObject(p); /* allowed up to DISPATCH_LEVEL */
    ObDereferenceObject(p);
    kf_set_irql(PASSIVE_LEVEL);
    ObDereferenceObject(p);
    kf_stop st;
    CHECK(stops(reference_above_dispatch, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], DISPATCH_LEVEL);
    CHECK_EQ(st.param[1], 3);
    CHECK(stops(by_handle_at_apc, &st));
    CHECK_VIOLATION(st, KF_VIOL_OB_PASSIVE_AT_APC);
    CHECK(stops(close_at_dispatch, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
}

/* ---- B-13: the ob.handle fault site ------------------------------------------------------------- */

TEST(handle_fault_site)
{
    kft_options("fail_nth=1");
    PVOID p = current_process(); /* no site consulted by a reference */
    HANDLE h = (HANDLE)1;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &h),
             STATUS_INSUFFICIENT_RESOURCES);
    CHECK(h == NULL);
    CHECK_EQ(kf_fault_get_stats()->injected[KF_SITE_OB_HANDLE], 1);
    CHECK_EQ(kf_site_lookup("ob.handle"), KF_SITE_OB_HANDLE);
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &h), STATUS_SUCCESS);
    ZwClose(h);
    ObDereferenceObject(p);
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.objects, 0);
    CHECK_EQ(lr.handles, 0);
}

/* ---- B-14: leaks at reset ----------------------------------------------------------------------- */

static HANDLE stale;
static void close_stale(void) { ZwClose(stale); }

TEST(leaks_counted_and_reset_frees)
{
    PVOID p = current_process();
    HANDLE h;
    CHECK_EQ(ObOpenObjectByPointer(p, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &h), STATUS_SUCCESS);
    ObReferenceObject(&harness_object);
    (void)open_key_handle();
    kf_leak_report lr;
    kf_leaks(&lr);
    CHECK_EQ(lr.handles, 2);
    CHECK_EQ(lr.objects, 2); /* the process reference and the foreign one */
    kf_reset();
    kf_leaks(&lr);
    CHECK_EQ(lr.handles, 0);
    CHECK_EQ(lr.objects, 0);
    /* The handle is gone with the run: closing it now is closing an invalid handle. */
    stale = h;
    kf_stop st;
    CHECK(stops(close_stale, &st));
    CHECK_EQ(st.code, INVALID_KERNEL_HANDLE);
}
