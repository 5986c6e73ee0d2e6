/*
 * replay_main.c - a standalone main() for libFuzzer-style targets, used by every build that
 * has no fuzzing engine (replay, coverage, plain). It runs LLVMFuzzerTestOneInput once per
 * file named on the command line, descending into directories in sorted (byte-wise) order,
 * so that CI can replay the corpus and a person can reproduce a crash with any compiler.
 *
 * It accepts the command lines libFuzzer accepts: arguments that start with '-' are
 * libFuzzer flags and are ignored. It must never mutate or generate inputs, never write
 * files, and never pass silently over an input it could not read: that is an error.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The profile runtime of a coverage build (clang -fprofile-instr-generate); absent, so NULL,
 * in every other build. It writes the counters at exit, which an abort never reaches. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

/* Deeper than this is a symlink loop, not a corpus. */
#define MAX_DEPTH 64

static unsigned long long replayed;

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [-flag=value ...] FILE_OR_DIR...\n"
            "\n"
            "Runs the fuzz target once on each FILE, and on every file under each DIR\n"
            "(recursively, in sorted order), then prints how many files it replayed.\n"
            "Arguments starting with '-' are libFuzzer flags and are ignored here, so\n"
            "the command lines of the fuzzing build work unchanged.\n"
            "Exit status: 0 when every input ran; 1 when an input could not be read\n"
            "or the target returned a value other than 0 or -1; 2 on usage errors.\n"
            "A crash in the target ends the run the way the crash does (a sanitizer\n"
            "report, abort), after the line naming the input.\n",
            prog);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: error: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "replay: error: cannot read %s: %s\n", path, strerror(errno));
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* Exactly `size` bytes on the heap, as libFuzzer does, so an over-read is caught. */
    uint8_t *data = malloc(size ? size : 1);
    if (!data) {
        fprintf(stderr, "replay: error: cannot read %s: out of memory for %zu bytes\n", path, size);
        fclose(f);
        return -1;
    }
    size_t got = size ? fread(data, 1, size, f) : 0;
    int read_failed = ferror(f) || got != size;
    fclose(f);
    if (read_failed) {
        fprintf(stderr, "replay: error: cannot read %s: read %zu of %zu bytes\n", path, got, size);
        free(data);
        return -1;
    }

    fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    fflush(stderr);
    int r = LLVMFuzzerTestOneInput(data, size);
    free(data);
    if (r != 0 && r != -1) {
        fprintf(stderr, "replay: error: %s: LLVMFuzzerTestOneInput returned %d (only 0 and -1 are allowed)\n",
                path, r);
        return -1;
    }
    replayed++;
    return 0;
}

/* A crashing input (a stop with no guard, a planted bug) still counts in a coverage report:
 * the counters are written, then the signal ends the process as it would have. */
static void write_profile_and_die(int sig)
{
    __llvm_profile_write_file();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void keep_profile_on_crash(void)
{
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    if (!__llvm_profile_write_file)
        return;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], write_profile_and_die);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path, int depth, int named);

static int replay_dir(const char *path, int depth)
{
    if (depth > MAX_DEPTH) {
        fprintf(stderr, "replay: error: %s: directories nested deeper than %d (a symlink loop?)\n", path,
                MAX_DEPTH);
        return -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: error: cannot read directory %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(names, ncap * sizeof *names);
            if (!grown) {
                rc = -1;
                break;
            }
            names = grown;
            cap = ncap;
        }
        size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = -1;
            break;
        }
        snprintf(names[n], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        n++;
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        fprintf(stderr, "replay: error: cannot read directory %s: %s\n", path, strerror(errno));
        rc = -1;
    } else if (rc != 0) {
        fprintf(stderr, "replay: error: cannot read directory %s: out of memory\n", path);
    }
    closedir(d);

    if (rc == 0) {
        qsort(names, n, sizeof *names, compare_names);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = replay_path(names[i], depth + 1, 0);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* named: the path came from the command line (anything but a file or directory is an
 * error there); inside a directory, sockets, fifos and devices are skipped. */
static int replay_path(const char *path, int depth, int named)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: error: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return replay_dir(path, depth);
    if (S_ISREG(st.st_mode))
        return replay_file(path);
    if (named) {
        fprintf(stderr, "replay: error: cannot read %s: not a regular file or directory\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = argc > 0 ? argv[0] : "replay";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-help=1")) {
            usage(stdout, prog);
            return 0;
        }
    }
    keep_profile_on_crash();
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);

    int inputs = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        inputs++;
        if (replay_path(argv[i], 0, 1) != 0) {
            fprintf(stderr, "replay: stopped after %llu files replayed\n", replayed);
            return 1;
        }
    }
    if (inputs == 0) {
        fprintf(stderr, "replay: error: no file or directory to replay\n");
        usage(stderr, prog);
        return 2;
    }
    fprintf(stderr, "%llu files replayed\n", replayed);
    return 0;
}
