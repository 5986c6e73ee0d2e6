/*
 * flt_fixture.h - what the Filter Manager tests share: a small minifilter whose callbacks
 * record what Filter Manager did to it (a trace), a per-site fault hook, and matchers for
 * stops. Every test calls fx_fresh() first.
 *
 * Must never hide a failure: each helper that can fail a test does so with CHECK, and the
 * stop matchers print the stop they got when it is not the expected one.
 */
#ifndef FLT_FIXTURE_H
#define FLT_FIXTURE_H

#include "kft.h"
#include <fltKernel.h>
#include "kfault/flt_model.h"

extern DRIVER_OBJECT fx_driver;
extern PFLT_FILTER fx_filter;
/* The registration fx_start uses: the fixture's callbacks, in the WDK's positional order. */
extern FLT_REGISTRATION fx_registration;

/* What the fixture's callbacks saw, in order: "setup(v0,f1,d8,t2) tstart(v0,r2) ..." */
extern char fx_trace[2048];
/* What the setup callback returns for each volume (default STATUS_SUCCESS). */
extern NTSTATUS fx_setup_result[KF_FLT_MAX_VOLUMES];
/* Optional actions inside the callbacks (NULL: none). */
extern void (*fx_on_setup)(PCFLT_RELATED_OBJECTS objs);
extern void (*fx_on_teardown_start)(PCFLT_RELATED_OBJECTS objs);
extern void (*fx_on_teardown_complete)(PCFLT_RELATED_OBJECTS objs);
/* The last related objects a callback got (copied field by field). */
extern struct fx_objs {
    USHORT size;
    PFLT_FILTER filter;
    PFLT_VOLUME volume;
    PFLT_INSTANCE instance;
    PFILE_OBJECT file_object;
} fx_last_objs;

/* Resets the fixture's state and removes any fault hook. */
void fx_fresh(void);
/* FltRegisterFilter + FltStartFiltering with fx_registration; the instance on volume 0. */
PFLT_INSTANCE fx_start(void);
/* FltAllocateCallbackDataEx(instance, file_object, flags) that must succeed. */
PFLT_CALLBACK_DATA fx_alloc(PFLT_INSTANCE instance, PFILE_OBJECT file_object, ULONG flags);

/* Fails the nth consultation (1-based; 0: every one) of `site` with `kind`; other sites pass. */
void fx_fail_site(kf_site site, unsigned long long nth, kf_fault_kind kind);
void fx_no_faults(void);
unsigned long long fx_consulted(kf_site site);

/* The stop of the last matcher call. */
extern kf_stop fx_stop;
/* 1 when fn(arg) stopped with violation v. */
int fx_violation(void (*fn)(void *), void *arg, kf_violation v);
/* 1 when fn(arg) stopped with bug check `code` and parameters p1, p2. */
int fx_bugcheck(void (*fn)(void *), void *arg, ULONG code, ULONG_PTR p1, ULONG_PTR p2);

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FX_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FX_HAVE_ASAN)
#define FX_HAVE_ASAN 1
#endif

#endif
