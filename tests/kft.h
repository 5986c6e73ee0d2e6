/*
 * kft.h - the tests' tiny framework: TEST() registers a function, CHECK* record failures
 * with file and line, main() runs every test (or those named on the command line) after a
 * fresh model reset, and ends with the line "N passed, N failed".
 *
 * kft_expect_death() runs a function in a child process and checks that it aborted with a
 * given text on stderr: for stops that are meant to end the process (no guard).
 * Must never pass a test that asserted nothing: a test with no CHECK fails.
 */
#ifndef KFT_H
#define KFT_H

#include "kfault/model.h"

#include <stdio.h>

typedef void (*kft_fn)(void);
void kft_register(const char *name, kft_fn fn);
void kft_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kft_pass(void);
/* Runs fn in a child; 1 when it died by SIGABRT (or exited non-zero) with `needle` on stderr. */
int kft_expect_death(void (*fn)(void), const char *needle);
/* Runs fn under kf_guarded_call; returns 1 and fills *stop when it stopped. */
int kft_stops(void (*fn)(void *), void *arg, kf_stop *stop);
/* Sets KFAULT options for this test (resets the model). Fails the test on a parse error. */
void kft_options(const char *text);

#define TEST(name)                                                             \
    static void name(void);                                                    \
    __attribute__((constructor)) static void kft_reg_##name(void) { kft_register(#name, name); } \
    static void name(void)

#define CHECK(cond) \
    ((cond) ? kft_pass() : kft_fail(__FILE__, __LINE__, "CHECK(%s)", #cond))
#define CHECK_EQ(a, b)                                                                          \
    do {                                                                                        \
        unsigned long long kft_a = (unsigned long long)(a), kft_b = (unsigned long long)(b);    \
        if (kft_a == kft_b)                                                                     \
            kft_pass();                                                                         \
        else                                                                                    \
            kft_fail(__FILE__, __LINE__, "%s == %s: 0x%llx != 0x%llx", #a, #b, kft_a, kft_b);   \
    } while (0)

#endif
