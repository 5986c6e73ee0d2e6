/*
 * suppress.h - the WDK header that names the code analyzer's warnings for
 * `#pragma prefast(suppress: ...)` (SEMANTICS.md L-17). Those pragmas are ignored in a
 * kfault build (L-11), so the names are never needed: this header declares nothing.
 */
#ifndef KFAULT_SUPPRESS_H
#define KFAULT_SUPPRESS_H
#include "kfault/nt_base.h"
#endif
