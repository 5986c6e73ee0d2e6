/*
 * kft.c - the runner behind kft.h. Each test starts from kf_options_set("") and kf_reset().
 */
#include "kft.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 512
static struct {
    const char *name;
    kft_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static int cur_failed, cur_checks;

void kft_register(const char *name, kft_fn fn)
{
    if (n_tests < MAX_TESTS) {
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
    }
}

void kft_pass(void) { cur_checks++; }

void kft_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    cur_checks++;
    cur_failed++;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void kft_options(const char *text)
{
    char err[256];
    if (kf_options_set(text, err, sizeof err) != 0)
        kft_fail(__FILE__, __LINE__, "options '%s': %s", text, err);
    kf_reset();
}

int kft_stops(void (*fn)(void *), void *arg, kf_stop *stop)
{
    kf_stop s;
    int r = kf_guarded_call(fn, arg, &s);
    if (stop)
        *stop = s;
    return r;
}

int kft_expect_death(void (*fn)(void), const char *needle)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 0;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        signal(SIGABRT, SIG_DFL);
        fn();
        _exit(0);
    }
    close(fds[1]);
    char buf[16384];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    int died = (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) || (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    if (!died || !strstr(buf, needle)) {
        fprintf(stderr, "  expected death with \"%s\"; child %s; its stderr:\n%s\n", needle,
                died ? "died" : "did not die", buf);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < n_tests; i++) {
        if (argc > 1) {
            int want = 0;
            for (int a = 1; a < argc; a++)
                if (!strcmp(argv[a], tests[i].name))
                    want = 1;
            if (!want)
                continue;
        }
        cur_failed = 0;
        cur_checks = 0;
        kft_options("");
        tests[i].fn();
        if (cur_checks == 0) {
            fprintf(stderr, "  %s checked nothing\n", tests[i].name);
            cur_failed = 1;
        }
        printf("%s %s\n", cur_failed ? "FAIL" : "ok  ", tests[i].name);
        if (cur_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
