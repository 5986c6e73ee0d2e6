/*
 * ntdef.h - the WDK's base types, status macros, limits and common macros: in kfault they
 * all live in kfault/nt_base.h (SEMANTICS.md L-10 to L-17), which this header includes.
 */
#ifndef KFAULT_NTDEF_H
#define KFAULT_NTDEF_H
#include "kfault/nt_base.h"
#endif
