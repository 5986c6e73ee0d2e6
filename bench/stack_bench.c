/*
 * stack_bench.c - the cost of one KeExpandKernelStackAndCalloutEx call on each modeled path
 * (in place, grown stack, new segment: rules E-9 to E-11 of model/SEMANTICS.md), against a
 * plain call of the same callout through a function pointer.
 *
 * Every path runs the callout on a real stack of its own (rule S-1), so the difference
 * between paths is the model's bookkeeping; the size of the real stack (Size rounded to
 * pages plus stack_slack) is what the high-water scan costs, hence one more row at
 * MAXIMUM_EXPANSION_SIZE. Each case first checks that the call took the path it is named
 * after and that the callout ran once per call, and exits with status 1 when not: a figure
 * for the wrong path is worse than none.
 *
 * usage: stack_bench [--ms N]   (N milliseconds of calls per case, default 300)
 * Output: one line per case, "stack_bench case=NAME path=P calls=N ns_per_call=X ratio=R",
 * ratio being ns per call over the plain call's; on x86-64 a case fiber_switch (a bare switch
 * onto a stack of its own and back with AddressSanitizer's fiber annotations, the floor of an
 * expansion) and "stack_bench in_place_over_fiber_switch=R"; then "stack_bench build=asan|plain".
 */
#include "kfault/model.h"
#include "ntddk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_ASAN 1
#endif

static volatile unsigned long long callout_calls;

__attribute__((noinline)) static VOID bench_callout(PVOID parameter)
{
    (void)parameter;
    callout_calls++;
}

#if defined(__x86_64__)
/* A bare switch onto a stack of its own and back, with AddressSanitizer's fiber annotations,
 * as the model makes it (the model's own switch routine), and nothing else: the floor an
 * expansion's cost is measured against. */
void kf_call_on_stack(void *top, void (*fn)(void *), void *arg);
#ifdef BENCH_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
#endif
#define FIBER_BYTES (64 * 1024)
static unsigned char *fiber_stack;
typedef struct fiber_ctx {
    const void *parent_bottom;
    size_t parent_size;
} fiber_ctx;
static void fiber_entry(void *p)
{
    fiber_ctx *f = p;
    (void)f;
#ifdef BENCH_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->parent_bottom, &f->parent_size);
#endif
    bench_callout(NULL);
#ifdef BENCH_ASAN
    __sanitizer_start_switch_fiber(NULL, f->parent_bottom, f->parent_size);
#endif
}
static void fiber_switch(void)
{
    fiber_ctx f = {NULL, 0};
#ifdef BENCH_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, fiber_stack, FIBER_BYTES);
#endif
    kf_call_on_stack(fiber_stack + FIBER_BYTES, fiber_entry, &f);
#ifdef BENCH_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}
#define HAVE_FIBER 1
#endif

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct bench_case {
    const char *name;
    int plain;              /* 1: a plain call, no expansion; 2: a bare fiber switch */
    BOOLEAN large;          /* the thread has a large stack */
    SIZE_T remaining;       /* modeled stack left before the call (0: a full stack) */
    SIZE_T size;            /* Size (0: MAXIMUM_EXPANSION_SIZE of the profile) */
    kf_expand_path path;    /* the path the call must take */
} bench_case;

static const char *path_name(kf_expand_path p)
{
    switch (p) {
    case KF_PATH_IN_PLACE: return "in_place";
    case KF_PATH_GROWN: return "grown";
    case KF_PATH_SEGMENT: return "segment";
    default: return "none";
    }
}

/* One call of the case; returns 0, or -1 when the call did not go as the case says. */
static int one_call(const bench_case *c, SIZE_T size)
{
    if (c->plain == 1) {
        void (*volatile fn)(PVOID) = bench_callout;
        fn(NULL);
        return 0;
    }
#ifdef HAVE_FIBER
    if (c->plain == 2) {
        fiber_switch();
        return 0;
    }
#endif
    NTSTATUS st = KeExpandKernelStackAndCalloutEx(bench_callout, NULL, size, TRUE, NULL);
    return st == STATUS_SUCCESS ? 0 : -1;
}

static int run_case(const bench_case *c, double ms, double plain_ns, double *ns_out)
{
    kf_reset();
    kf_set_large_stack(c->large);
    if (c->remaining)
        kf_set_remaining_stack(c->remaining);
    SIZE_T size = c->size ? c->size : kf_current_profile()->maximum_expansion_size;

    /* Check the path once before timing. */
    callout_calls = 0;
    if (one_call(c, size) != 0 || callout_calls != 1) {
        fprintf(stderr, "stack_bench: case %s: the call failed or the callout did not run once\n", c->name);
        return -1;
    }
    if (!c->plain && kf_last_expand()->path != c->path) {
        fprintf(stderr, "stack_bench: case %s took path %s, expected %s\n", c->name,
                path_name(kf_last_expand()->path), path_name(c->path));
        return -1;
    }

    /* Calls in batches until the time is spent. */
    unsigned long long calls = 0, batch = 64;
    callout_calls = 0;
    double start = now_ns(), end = start, budget = ms * 1e6;
    while (end - start < budget) {
        for (unsigned long long i = 0; i < batch; i++)
            if (one_call(c, size) != 0) {
                fprintf(stderr, "stack_bench: case %s: call %llu failed\n", c->name, calls + i);
                return -1;
            }
        calls += batch;
        end = now_ns();
        if (batch < (1u << 20))
            batch *= 2;
    }
    if (callout_calls != calls) {
        fprintf(stderr, "stack_bench: case %s: %llu callouts for %llu calls\n", c->name,
                (unsigned long long)callout_calls, calls);
        return -1;
    }
    double ns = (end - start) / (double)calls;
    *ns_out = ns;
    printf("stack_bench case=%s path=%s calls=%llu ns_per_call=%.1f ratio=%.1f\n", c->name,
           c->plain ? "-" : path_name(c->path), calls, ns, plain_ns > 0 ? ns / plain_ns : 1.0);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    double ms = 300;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
            char *end;
            ms = strtod(argv[++i], &end);
            if (*end || ms <= 0 || ms > 60000) {
                fprintf(stderr, "stack_bench: --ms wants milliseconds in (0, 60000], not '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: stack_bench [--ms N]\n"
                   "Times KeExpandKernelStackAndCalloutEx in place, on a grown stack and on a new\n"
                   "segment (Size 0x2000, then MAXIMUM_EXPANSION_SIZE) against a plain call, N ms\n"
                   "each (default 300); prints ns per call and the ratio to the plain call.\n");
            return 0;
        } else {
            fprintf(stderr, "stack_bench: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    (void)kf_options_get();

    /* Profile win11-amd64 (the default): KERNEL_STACK_SIZE 0x6000, large 0x12000. With
     * 0x1000 left of a normal stack, 0x5000 is in use: a Size of 0x2000 fits a grown
     * stack; on a large stack the only way is a new segment (E-10, E-11). */
    const bench_case cases[] = {
        {"plain_call", 1, FALSE, 0, 0x2000, KF_PATH_NONE},
#ifdef HAVE_FIBER
        {"fiber_switch", 2, FALSE, 0, 0x2000, KF_PATH_NONE},
#endif
        {"in_place", 0, FALSE, 0, 0x2000, KF_PATH_IN_PLACE},
        {"grown", 0, FALSE, 0x1000, 0x2000, KF_PATH_GROWN},
        {"segment", 0, TRUE, 0x1000, 0x2000, KF_PATH_SEGMENT},
        {"segment_max", 0, FALSE, 0x1000, 0, KF_PATH_SEGMENT},
    };
#ifdef HAVE_FIBER
    fiber_stack = malloc(FIBER_BYTES);
    if (!fiber_stack) {
        fprintf(stderr, "stack_bench: no memory for the fiber's stack\n");
        return 1;
    }
#endif
    double plain_ns = 0, fiber_ns = 0, in_place_ns = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ns;
        if (run_case(&cases[i], ms, plain_ns, &ns) != 0)
            return 1;
        if (cases[i].plain == 1)
            plain_ns = ns;
        else if (cases[i].plain == 2)
            fiber_ns = ns;
        else if (cases[i].path == KF_PATH_IN_PLACE)
            in_place_ns = ns;
    }
    if (fiber_ns > 0)
        printf("stack_bench in_place_over_fiber_switch=%.1f\n", in_place_ns / fiber_ns);
#ifdef HAVE_FIBER
    free(fiber_stack);
#endif
    kf_reset();
#ifdef BENCH_ASAN
    printf("stack_bench build=asan\n");
#else
    printf("stack_bench build=plain\n");
#endif
    return 0;
}
