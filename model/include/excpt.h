/*
 * excpt.h - GetExceptionCode, GetExceptionInformation, AbnormalTermination and the
 * EXCEPTION_* filter values: kfault/seh.h (SEMANTICS.md L-1 to L-9), which this includes.
 */
#ifndef KFAULT_EXCPT_H
#define KFAULT_EXCPT_H
#include "kfault/seh.h"
#endif
