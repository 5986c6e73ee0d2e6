/* minwindef.h - see windef.h (SEMANTICS.md L-12). */
#include "windef.h"
