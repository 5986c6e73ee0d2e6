/*
 * kfault/wdk_crt.h - the kernel's wide-character C runtime (wcslen, wcscpy_s, swprintf_s, ...),
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_CRT_H
#define KFAULT_WDK_CRT_H

#endif /* KFAULT_WDK_CRT_H */
