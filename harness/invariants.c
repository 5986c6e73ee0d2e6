/*
 * invariants.c - access to the invariant table (kfault/invariants.def) for reports, tools
 * and tests. The table is the only place an invariant is named; this file only formats
 * each number as its stable id KF-INV-nnn.
 */
#include "kfault/harness.h"

static kfh_inv_info table[] = {
#define KFH_INV(num, id, name, source, sentence) {num, NULL, name, source, sentence},
#include "kfault/invariants.def"
#undef KFH_INV
};
#define N_INV (sizeof table / sizeof table[0])
static char ids[N_INV][16];

static void ready(void)
{
    if (table[0].id)
        return;
    for (size_t i = 0; i < N_INV; i++) {
        snprintf(ids[i], sizeof ids[i], "KF-INV-%03d", table[i].num);
        table[i].id = ids[i];
    }
}

size_t kfh_inv_count(void) { return N_INV; }

const kfh_inv_info *kfh_inv_at(size_t i)
{
    ready();
    return i < N_INV ? &table[i] : NULL;
}

const kfh_inv_info *kfh_inv_get(int num)
{
    ready();
    for (size_t i = 0; i < N_INV; i++)
        if (table[i].num == num)
            return &table[i];
    return NULL;
}
