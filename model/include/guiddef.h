/*
 * guiddef.h - DEFINE_GUID as the WDK's guiddef.h defines it (SEMANTICS.md L-13): with INITGUID
 * defined where it is expanded, DEFINE_GUID defines the GUID (one definition for the whole
 * program, however many files define it); otherwise it declares it extern. Redefined on every
 * inclusion, so that initguid.h switches it on after other headers were read.
 *
 * GUID, LPGUID, REFGUID and IsEqualGUID come with kfault/nt_base.h, which includes this file.
 */
#ifndef KFAULT_NT_BASE_H
#include "kfault/nt_base.h"
#endif

#undef DEFINE_GUID
#ifdef INITGUID
#ifdef __cplusplus
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    EXTERN_C const GUID DECLSPEC_SELECTANY name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    const GUID DECLSPEC_SELECTANY name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#endif
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) EXTERN_C const GUID name
#endif
