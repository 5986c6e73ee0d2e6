/*
 * sehmap.h - maps the old structured exception names try, except, finally and leave to
 * __try, __except, __finally and __leave, for C only (SEMANTICS.md L-8). kfault/seh.h already
 * does so for every C driver; this header does it again, for a file that undefined them.
 */
#include "kfault/seh.h"
#ifndef __cplusplus
#undef try
#undef except
#undef finally
#undef leave
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif
