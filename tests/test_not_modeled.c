/*
 * test_not_modeled.c - rule K-13: every routine of kfault/not_modeled.def links, and calling
 * it stops with violation 0x1009 routine-not-modeled naming it; a program's own definition
 * replaces the weak one (tests/not_modeled_own.c defines one routine of the table itself).
 * The routines are called without their prototypes (they never return), so this file
 * includes no WDK header.
 */
#include "kft.h"

#include <string.h>

#define KF_NOT_MODELED(name) extern void name(void);
#include "kfault/not_modeled.def"
#undef KF_NOT_MODELED

static const struct {
    const char *name;
    void (*fn)(void);
} routines[] = {
#define KF_NOT_MODELED(name) {#name, name},
#include "kfault/not_modeled.def"
#undef KF_NOT_MODELED
    {NULL, NULL},
};

/* Defined in not_modeled_own.c: the program's own version of a routine of the table. */
extern const char kft_own_routine[];
extern int kft_own_calls;

static void call(void *fn) { ((void (*)(void))fn)(); }

TEST(not_modeled_routines_stop_naming_themselves)
{
    size_t n = 0;
    for (size_t i = 0; routines[i].name; i++) {
        if (!strcmp(routines[i].name, kft_own_routine))
            continue;
        kf_stop st;
        n++;
        if (!kft_stops(call, (void *)routines[i].fn, &st)) {
            kft_fail(__FILE__, __LINE__, "%s returned instead of stopping", routines[i].name);
            continue;
        }
        CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        CHECK_EQ(st.param[0], KF_VIOL_NOT_MODELED);
        CHECK(st.routine && !strcmp(st.routine, routines[i].name));
        CHECK(strstr(st.reason, "not modeled") != NULL);
    }
    CHECK(n > 0); /* the table is not empty while any routine is declared but not modeled */
}

TEST(not_modeled_own_definition_wins)
{
    int found = 0;
    for (size_t i = 0; routines[i].name; i++) {
        if (strcmp(routines[i].name, kft_own_routine))
            continue;
        found = 1;
        kf_stop st;
        kft_own_calls = 0;
        CHECK(!kft_stops(call, (void *)routines[i].fn, &st));
        CHECK_EQ(kft_own_calls, 1);
    }
    CHECK(found);
}

TEST(not_modeled_violation_is_named)
{
    CHECK(!strcmp(kf_violation_name(KF_VIOL_NOT_MODELED), "routine-not-modeled"));
}
