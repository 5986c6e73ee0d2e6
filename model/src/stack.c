/*
 * stack.c - real stacks for callouts: segments with a guard region below them, a cache so
 * a steady stream of expansions makes no system call, the switch onto a segment (with
 * AddressSanitizer fiber annotations), the high-water mark, and the report when a callout
 * runs into the guard region.
 *
 * Only the top of a segment is open (readable and writable): the part the callouts on it
 * have needed lately, plus a margin. Below it the pages are closed; the first touch of a
 * closed page opens it (and the pages down to a margin below it) from the fault handler,
 * filled with the pattern, and the instruction runs again. So the high-water scan covers the
 * open part only, and an expansion costs what its callout used, not what it was granted; the
 * mark stays exact, since nothing below the open part can have been touched. A segment that
 * stays much larger than its callouts need closes its unused part again after a while.
 *
 * Must never decide a modeled outcome (that is expand.c); must never let a callout's
 * overrun pass as a bare SIGSEGV.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KF_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KF_ASAN 1
#endif

#ifdef KF_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
#define KF_NO_ASAN __attribute__((no_sanitize_address))
#else
#define KF_NO_ASAN
#endif

/* The pattern fill and the high-water scan touch every word of a callout's stack, on each
 * expansion: with the fuzzer's comparison tracing (-fsanitize=fuzzer-no-link) each word cost
 * a callback, which made the scan most of a fuzz target's time, and fed the fuzzer features
 * that only say what was left on a stack. Neither is code under test: no coverage for them,
 * and no UndefinedBehaviorSanitizer check per word (pointer overflow, alignment, null: the
 * bounds are the segment's and its start is page-aligned, both fixed when it is mapped); the
 * per-word alignment check alone kept the scan from being vectorized. */
#if defined(__clang__) && __clang_major__ >= 13
#define KF_NO_COVERAGE __attribute__((no_sanitize("coverage", "undefined"), noinline))
#else
#define KF_NO_COVERAGE
#endif

#define GUARD_BYTES ((size_t)1024 * 1024) /* PROT_NONE below every segment (no memory, only addresses) */
#define CLASS_BYTES ((size_t)16 * 1024) /* segments come in multiples of this */
#define CLASSES 64                       /* cached classes: up to 1 MiB */
#define PER_CLASS 4                      /* free segments kept per class, at least */
#define MAX_LIVE 256                     /* segments mapped at once */
#define PATTERN 0xA5A5A5A5A5A5A5A5ull
#define OPEN_MIN ((size_t)4096)         /* open at least this much below the top */
#define OPEN_MARGIN ((size_t)4096)      /* opened below the deepest byte reached */
#define SHRINK_AFTER 256                /* calls that needed under half the open part, then it closes */

struct kf_segment {
    unsigned char *map;      /* start of the mapping (guard region first) */
    size_t map_size;
    unsigned char *low;      /* lowest usable byte */
    size_t usable;           /* usable bytes (a multiple of CLASS_BYTES) */
    size_t open;             /* bytes from the top that are accessible (and hold the pattern
                                between calls); the rest of usable is closed */
    unsigned idle;           /* consecutive calls that needed under half of open */
    size_t granted;          /* what the current callout was granted */
    size_t size_asked;       /* the Size it asked for */
    int in_use;
    kf_segment *next;        /* free list */
};

static kf_segment *free_lists[CLASSES];
static unsigned free_counts[CLASSES];
static kf_segment *live[MAX_LIVE];
static size_t in_use_count;
static unsigned long long syscalls;

static size_t page_bytes;        /* the host's page size; 0: not known yet */
static int soft_close;           /* pages can be closed and opened (page size divides CLASS_BYTES) */
static unsigned long long opens; /* faults that opened closed pages */

size_t kf_segments_in_use(void) { return in_use_count; }
unsigned long long kf_segment_opens(void) { return opens; }
unsigned long long kf_segment_syscalls(void) { return syscalls; }

/* ---- The guard-region report ------------------------------------------------------ */

static struct sigaction old_segv, old_bus;
static int handler_installed;

static void put(const char *s) { (void)!write(2, s, strlen(s)); }

KF_NO_ASAN KF_NO_COVERAGE static void fill(unsigned char *from, size_t n);

/* A touch of a closed page of a segment in use: opens it and the pages down to OPEN_MARGIN
 * below it, filled with the pattern. Returns 0 when the pages could not be opened. */
static int open_below(kf_segment *s, unsigned char *addr)
{
    unsigned char *top = s->low + s->usable;
    unsigned char *edge = top - s->open;
    uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(page_bytes - 1);
    unsigned char *from = (uintptr_t)s->low + OPEN_MARGIN <= a ? (unsigned char *)(a - OPEN_MARGIN) : s->low;
    if ((size_t)(top - from) < 2 * s->open) /* at least double: few faults for a deep callout */
        from = (size_t)(top - s->low) > 2 * s->open ? top - 2 * s->open : s->low;
    if (mprotect(from, (size_t)(edge - from), PROT_READ | PROT_WRITE) != 0)
        return 0;
    syscalls++;
    opens++;
    fill(from, (size_t)(edge - from));
    s->open = (size_t)(top - from);
    return 1;
}

static void overrun_handler(int sig, siginfo_t *si, void *uc)
{
    unsigned char *addr = si->si_addr;
    for (size_t i = 0; i < MAX_LIVE; i++) {
        kf_segment *s = live[i];
        if (s && s->in_use && addr >= s->low && addr < s->low + s->usable - s->open && open_below(s, addr))
            return; /* the instruction runs again on an open page */
    }
    for (size_t i = 0; i < MAX_LIVE; i++) {
        kf_segment *s = live[i];
        if (!s || !s->in_use || addr < s->map || addr >= s->low)
            continue;
        char buf[512];
        size_t top_used = (size_t)(s->low + s->usable - addr);
        snprintf(buf, sizeof buf,
                 "\nkfault: callout stack overrun (finding %s, violation 0x%X)\n"
                 "kfault: the callout asked for Size=0x%zx (%zu) bytes and was granted 0x%zx bytes of real "
                 "stack (Size rounded to pages plus stack_slack); it touched 0x%zx (%zu) bytes below the top "
                 "of its stack.\nkfault: the callout uses more stack than it asks for: raise Size, or move "
                 "large locals to pool.\n",
                 kf_violation_name(KF_VIOL_STACK_OVERRUN), (unsigned)KF_VIOL_STACK_OVERRUN, s->size_asked,
                 s->size_asked, s->granted, top_used, top_used);
        put(buf);
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    /* Not ours and no handler before us: let the default action happen. */
    signal(sig, SIG_DFL);
}

/* A signal delivered while a callout runs is pushed onto the callout's stack unless its
 * handler runs on the alternate stack; just below the open part that push would meet a closed
 * page, and the kernel would kill the process. So every handler already installed for an
 * asynchronous signal (a timer, an interrupt, a child) is made to run on the alternate stack,
 * as AddressSanitizer's own handlers do; what the handler does is unchanged. */
static void handlers_on_alternate_stack(void)
{
    static const int async[] = {SIGALRM, SIGVTALRM, SIGPROF, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGXCPU, SIGXFSZ, SIGWINCH};
    for (size_t i = 0; i < sizeof async / sizeof async[0]; i++) {
        struct sigaction sa;
        if (sigaction(async[i], NULL, &sa) != 0)
            continue;
        int has = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL
                                              : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
        if (has && !(sa.sa_flags & SA_ONSTACK)) {
            sa.sa_flags |= SA_ONSTACK;
            sigaction(async[i], &sa, NULL);
        }
    }
}

static void install_handler(void)
{
    handlers_on_alternate_stack(); /* also for handlers installed since the last segment was made */
    if (handler_installed)
        return;
    handler_installed = 1;
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
        size_t n = 256 * 1024;
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        syscalls++;
        if (p != MAP_FAILED) {
            ss.ss_sp = p;
            ss.ss_size = n;
            ss.ss_flags = 0;
            sigaltstack(&ss, NULL);
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = overrun_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

/* ---- Pattern and high-water mark ---------------------------------------------------- */

KF_NO_ASAN KF_NO_COVERAGE static void fill(unsigned char *from, size_t n)
{
    unsigned long long *w = (unsigned long long *)from;
    for (size_t i = 0; i < n / 8; i++)
        w[i] = PATTERN;
}

/* Bytes from the top of the segment down to the lowest byte that lost the pattern. */
KF_NO_ASAN KF_NO_COVERAGE static size_t high_water(const kf_segment *s)
{
    const unsigned long long *w = (const unsigned long long *)(s->low + s->usable - s->open);
    size_t n = s->open / 8, i = 0;
    /* Eight words at a time while all hold the pattern (the compiler vectorizes this),
     * then word by word from the first block that does not. */
    while (i + 8 <= n) {
        unsigned long long diff = 0;
        for (size_t k = 0; k < 8; k++)
            diff |= w[i + k] ^ PATTERN;
        if (diff)
            break;
        i += 8;
    }
    while (i < n && w[i] == PATTERN)
        i++;
    return (n - i) * 8;
}

/* ---- The cache -------------------------------------------------------------------- */

kf_segment *kf__segment_take(size_t granted, size_t size_asked)
{
    size_t usable = (granted + CLASS_BYTES - 1) / CLASS_BYTES * CLASS_BYTES;
    if (usable == 0)
        usable = CLASS_BYTES;
    size_t cls = usable / CLASS_BYTES - 1;
    kf_segment *s = NULL;
    if (cls < CLASSES && free_lists[cls]) {
        s = free_lists[cls];
        free_lists[cls] = s->next;
        free_counts[cls]--;
    } else {
        size_t slot = MAX_LIVE;
        for (size_t i = 0; i < MAX_LIVE; i++)
            if (!live[i]) {
                slot = i;
                break;
            }
        if (slot == MAX_LIVE)
            return NULL;
        s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        s->map_size = GUARD_BYTES + usable;
        s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        syscalls++;
        if (s->map == MAP_FAILED) {
            free(s);
            return NULL;
        }
        if (!page_bytes) {
            long pg = sysconf(_SC_PAGESIZE);
            page_bytes = pg > 0 ? (size_t)pg : 4096;
            soft_close = CLASS_BYTES % page_bytes == 0 && OPEN_MARGIN % page_bytes == 0;
        }
        /* The guard region and the closed part of the segment, in one call. */
        size_t open = soft_close && usable > OPEN_MIN ? OPEN_MIN : usable;
        if (mprotect(s->map, GUARD_BYTES + usable - open, PROT_NONE) != 0) {
            munmap(s->map, s->map_size);
            free(s);
            return NULL;
        }
        syscalls++;
        s->low = s->map + GUARD_BYTES;
        s->usable = usable;
        s->open = open;
        s->idle = 0;
        fill(s->low + usable - open, open);
        live[slot] = s;
        install_handler();
    }
    s->granted = granted;
    s->size_asked = size_asked;
    s->in_use = 1;
    s->next = NULL;
    in_use_count++;
    return s;
}

static void unmap(kf_segment *s)
{
    for (size_t i = 0; i < MAX_LIVE; i++)
        if (live[i] == s)
            live[i] = NULL;
    munmap(s->map, s->map_size);
    syscalls++;
    free(s);
}

void kf__segment_give(kf_segment *s)
{
    size_t cls = s->usable / CLASS_BYTES - 1;
    /* Keep as many as a thread may have active callouts (nest_limit), so that nesting to
     * the limit in a steady stream finds every segment in the cache. */
    unsigned long long keep = kf_options_get()->nest_limit;
    if (keep < PER_CLASS)
        keep = PER_CLASS;
    if (keep > MAX_LIVE)
        keep = MAX_LIVE;
    s->in_use = 0;
    in_use_count--;
    if (cls < CLASSES && free_counts[cls] < keep) {
        s->next = free_lists[cls];
        free_lists[cls] = s;
        free_counts[cls]++;
    } else {
        unmap(s);
    }
}

__attribute__((destructor)) static void release_cache(void)
{
    for (size_t c = 0; c < CLASSES; c++)
        while (free_lists[c]) {
            kf_segment *s = free_lists[c];
            free_lists[c] = s->next;
            unmap(s);
        }
}

/* ---- Switching ---------------------------------------------------------------------- */

typedef struct call_ctx {
    void (*fn)(void *);
    void *arg;
    kf_seh_frame barrier;
    int result;
#ifdef KF_ASAN
    const void *parent_bottom;
    size_t parent_size;
#endif
} call_ctx;

static void trampoline(void *p)
{
    call_ctx *c = p;
#ifdef KF_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->parent_bottom, &c->parent_size);
#endif
    kf__frame_push(&c->barrier, KF_FRAME_BARRIER);
    int r = setjmp(c->barrier.jb);
    /* A switch gives the second return of setjmp a coverage counter of its own (see
     * kf_guarded_call). */
    switch (r) {
    case 0:
        c->fn(c->arg);
        kf__frame_pop(&c->barrier);
        c->result = 0;
        break;
    default:
        c->result = r; /* the unwinder popped the barrier */
        break;
    }
#ifdef KF_ASAN
    /* This segment's fiber ends here: NULL lets ASan drop its fake stack. */
    __sanitizer_start_switch_fiber(NULL, c->parent_bottom, c->parent_size);
#endif
}

#if defined(__x86_64__)
/* kf_call_on_stack(top, fn, arg): runs fn(arg) with the stack pointer at top, then returns
 * on the caller's stack. rbp anchors the frame so unwinders can walk back across. */
void kf_call_on_stack(void *top, void (*fn)(void *), void *arg);
__asm__(".text\n"
        ".globl kf_call_on_stack\n"
        ".type kf_call_on_stack,@function\n"
        "kf_call_on_stack:\n"
        "  .cfi_startproc\n"
        "  pushq %rbp\n"
        "  .cfi_def_cfa_offset 16\n"
        "  .cfi_offset %rbp, -16\n"
        "  movq %rsp, %rbp\n"
        "  .cfi_def_cfa_register %rbp\n"
        "  andq $-16, %rdi\n"
        "  movq %rdi, %rsp\n"
        "  movq %rdx, %rdi\n"
        "  callq *%rsi\n"
        "  movq %rbp, %rsp\n"
        "  popq %rbp\n"
        "  .cfi_def_cfa %rsp, 8\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size kf_call_on_stack, .-kf_call_on_stack\n");
#else
#include <ucontext.h>
/* Portable fallback: ucontext (costs a signal-mask system call per switch). */
static _Thread_local ucontext_t uc_parent;
static _Thread_local void (*uc_fn)(void *);
static _Thread_local void *uc_arg;
static _Thread_local size_t uc_size;
static void uc_entry(void) { uc_fn(uc_arg); }
static void kf_call_on_stack(void *top, void (*fn)(void *), void *arg)
{
    ucontext_t uc;
    getcontext(&uc);
    uc_fn = fn;
    uc_arg = arg;
    uc.uc_stack.ss_sp = (unsigned char *)top - uc_size;
    uc.uc_stack.ss_size = uc_size;
    uc.uc_link = &uc_parent;
    makecontext(&uc, uc_entry, 0);
    swapcontext(&uc_parent, &uc);
}
#endif

int kf__segment_run(kf_segment *s, void (*fn)(void *), void *arg, size_t *used)
{
    call_ctx c;
    memset(&c, 0, sizeof c);
    c.fn = fn;
    c.arg = arg;
    unsigned char *top = s->low + s->usable;
#ifdef KF_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, s->low, s->usable);
#endif
#if !defined(__x86_64__)
    uc_size = s->usable;
#endif
    kf_call_on_stack(top, trampoline, &c);
#ifdef KF_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    size_t hw = high_water(s);
#ifdef KF_ASAN
    /* Frames abandoned by a longjmp may leave redzones poisoned. */
    __asan_unpoison_memory_region(s->low + s->usable - hw, hw);
#endif
    fill(s->low + s->usable - hw, hw);
    *used = hw;
    /* Close what the callouts on this segment have not needed for a while. */
    size_t want = (hw + page_bytes - 1) / page_bytes * page_bytes + OPEN_MARGIN;
    if (want < OPEN_MIN)
        want = OPEN_MIN;
    if (soft_close && s->open > 2 * want) {
        if (++s->idle >= SHRINK_AFTER) {
            unsigned char *top = s->low + s->usable;
            if (mprotect(top - s->open, s->open - want, PROT_NONE) == 0) {
                s->open = want;
                syscalls++;
            }
            s->idle = 0;
        }
    } else {
        s->idle = 0;
    }
    return c.result;
}
