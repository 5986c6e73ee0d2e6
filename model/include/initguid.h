/*
 * initguid.h - include before the headers whose DEFINE_GUIDs this file should define rather
 * than declare (SEMANTICS.md L-13): defines INITGUID and redefines DEFINE_GUID.
 */
#ifndef INITGUID
#define INITGUID
#endif
#include "guiddef.h"
