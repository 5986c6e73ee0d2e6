/*
 * system_names.c - the names of the routines kfault declares but does not model
 * (kfault/not_modeled.def), for MmGetSystemRoutineAddress (SEMANTICS.md Y-2): such a name
 * resolves to its stub, which stops with violation 0x1009 routine-not-modeled when called.
 *
 * Must never include a WDK header: the stubs are referred to without their prototypes, as
 * not_modeled.c defines them.
 */
#include "internal.h"

#define KF_NOT_MODELED(name) void name(void);
#include "kfault/not_modeled.def"
#undef KF_NOT_MODELED

static const struct {
    const char *name;
    void (*address)(void);
} not_modeled[] = {
#define KF_NOT_MODELED(name) {#name, name},
#include "kfault/not_modeled.def"
#undef KF_NOT_MODELED
    {NULL, NULL},
};

PVOID kf__not_modeled_address(const char *name)
{
    for (size_t i = 0; not_modeled[i].name; i++)
        if (!strcmp(not_modeled[i].name, name))
            return (PVOID)not_modeled[i].address;
    return NULL;
}
