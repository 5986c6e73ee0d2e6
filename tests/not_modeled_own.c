/*
 * not_modeled_own.c - a program's own definition of a routine kfault declares but does not
 * model (FltCancelIo, of kfault/not_modeled.def): linked into test_not_modeled, it must be
 * the one called, not kfault's weak stub (rule K-13). No WDK header: the test calls it
 * through the same prototype-less declaration the table gives.
 */
const char kft_own_routine[] = "FltCancelIo";
int kft_own_calls;

void FltCancelIo(void);
void FltCancelIo(void) { kft_own_calls++; }
