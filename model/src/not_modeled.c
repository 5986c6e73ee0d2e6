/*
 * not_modeled.c - the routines kfault declares but does not model yet
 * (kfault/not_modeled.def): each is a weak symbol that stops with violation 0x1009
 * `routine-not-modeled` naming it, so that driver code links and a call is reported, never
 * served silently. A program's own definition of the routine replaces the weak one.
 *
 * Must never include a WDK header: the stubs are defined without the routines' prototypes
 * (they never return, so neither parameters nor return values are touched).
 */
#include "internal.h"

_Noreturn void kf__not_modeled(const char *routine)
{
    kf_violation_stop(KF_VIOL_NOT_MODELED, routine, 0, 0, 0,
                      "%s is declared by kfault's headers but its behaviour is not modeled yet; the driver "
                      "called it (define %s in the program to supply your own)",
                      routine, routine);
}

#define KF_NOT_MODELED(name)                                                               \
    void name(void) __attribute__((weak, noreturn));                                       \
    void name(void) { kf__not_modeled(#name); }
#include "kfault/not_modeled.def"
#undef KF_NOT_MODELED
