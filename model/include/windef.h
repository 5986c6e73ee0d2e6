/*
 * windef.h - the few user-mode windef.h / minwindef.h names a kernel driver meets (min, max,
 * BOOL, FAR, NEAR): they come with kfault/nt_base.h (SEMANTICS.md L-12), which this header
 * includes, plus the empty decorations below.
 */
#ifndef KFAULT_WINDEF_H
#define KFAULT_WINDEF_H
#include "kfault/nt_base.h"
#ifndef FAR
#define FAR
#endif
#ifndef NEAR
#define NEAR
#endif
#ifndef PASCAL
#define PASCAL
#endif
#ifndef APIENTRY
#define APIENTRY WINAPI
#endif
#endif
