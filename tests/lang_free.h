/* lang_free.h - the routines of lang_free.c (a DBG 0 build) that test_lang.c calls. */
#ifndef LANG_FREE_H
#define LANG_FREE_H
int free_dbg_value(void);
int free_asserts_evaluate(void);
int free_verify(int value, int *evaluated);
void free_fre_assert(int value);
void free_paged_routine(void);
int free_kdprint_evaluations(void);
#endif
