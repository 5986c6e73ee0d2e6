/*
 * dontuse.h - the WDK header that marks C library routines banned in drivers as deprecated
 * (SEMANTICS.md L-17). kfault reports misuse by behaviour, not by name: this header declares
 * nothing, so that a driver including it compiles unchanged.
 */
#ifndef KFAULT_DONTUSE_H
#define KFAULT_DONTUSE_H
#include "kfault/nt_base.h"
#endif
