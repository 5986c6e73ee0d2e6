/*
 * kfault/wdk_rtl.h - the Rtl string family (UNICODE_STRING, ANSI_STRING), conversions and debug output,
 * with the WDK's names and types. Included by wdm.h; drivers never include it directly.
 *
 * Declares only WDK names; behaviour lives in model/src and model/SEMANTICS.md.
 */
#ifndef KFAULT_WDK_RTL_H
#define KFAULT_WDK_RTL_H

#endif /* KFAULT_WDK_RTL_H */
