/*
 * fltkernel.h - the same header as fltKernel.h, under the lower-case name: Windows file
 * names are case-insensitive and drivers spell the include both ways.
 *
 * Must never hold a declaration of its own: everything lives in fltKernel.h.
 */
#include "fltKernel.h"
