/*
 * kfault/driver_env.h - the environment a driver under test meets, made from fuzz bytes,
 * and the judge of what the driver did in it. A driver target names the driver's entry
 * point, the environments the driver claims to support (oldest Windows, architectures,
 * the IRQLs its caller may be at) and the driver's own correctness conditions; this layer
 * does the rest: decoding, setting up the thread, the fault plan, running under a guard,
 * and reporting any bug check, contract violation, leak or broken condition as a finding.
 *
 * The input is a scenario (docs/SCENARIO_FORMAT.md) read as a description of the
 * environment: profile, raise_irql / lower_irql (the caller's IRQL), set_stack, consume
 * (stack in use by the caller), large_stack and fault (decisions for the input plan).
 * Other operations are ignored. Driver code never includes this header.
 * Nothing here may decide from a clock, an address or unseeded randomness.
 */
#ifndef KFAULT_DRIVER_ENV_H
#define KFAULT_DRIVER_ENV_H

#include "kfault/harness.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the driver meets when it is called. */
typedef struct kfh_env {
    kf_profile profile;
    KIRQL irql;           /* the IRQL of the driver's caller */
    SIZE_T remaining;     /* modeled stack left when the driver is called */
    int large;            /* the thread has a large kernel stack */
    unsigned faults;      /* fault decisions queued for the input plan */
} kfh_env;

/* One call of the driver, as the judge sees it. */
typedef struct kfh_drv_run {
    kfh_env env;
    int returned;             /* the entry point returned (no stop, no thread exit) */
    int thread_exited;        /* PsTerminateSystemThread ended the thread */
    NTSTATUS thread_status;   /* the thread's exit status */
    KIRQL irql_after;         /* IRQL when the entry point returned */
    kf_expand_record expand;  /* the driver's last expansion (expanded = 0: none made) */
    int expanded;
    unsigned long long pool_injected; /* ex.pool consultations that were failed */
    unsigned long long injected;      /* all failed consultations */
    int n_findings;
    kfh_finding finding;      /* the first finding */
} kfh_drv_run;

typedef struct kfh_driver_target {
    const char *name;
    kf_os min_os;              /* the oldest Windows the driver supports */
    unsigned arch_mask;        /* 1u << KF_ARCH_*: the architectures it is built for */
    KIRQL min_irql, max_irql;  /* the IRQLs its caller may be at */
    /* Prepares a request and calls the driver's entry point once (in a system thread, at
     * the caller's IRQL). */
    void (*call)(void);
    /* The driver's own correctness conditions, after a call that returned or ended the
     * thread; report each broken one with kfh_drv_fail. */
    void (*check)(kfh_drv_run *run);
} kfh_driver_target;

/* Records a broken condition of the driver (the first one is kept and reported). */
void kfh_drv_fail(kfh_drv_run *run, int inv, const char *routine, const char *expected, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Runs the driver once in the environment the bytes describe and judges it. Returns the
 * number of findings (0: clean, or an input that is not a scenario). */
int kfh_driver_run(const kfh_driver_target *t, const uint8_t *data, size_t size, kfh_drv_run *out);

/* The fuzz target's body: as kfh_driver_run, and a finding prints its report and aborts.
 * Returns 0. */
int kfh_driver_fuzz_one(const kfh_driver_target *t, const uint8_t *data, size_t size);

/* The libFuzzer entry points of a driver target: options read before the first input, then
 * every input through kfh_driver_fuzz_one. One line in a target: KFH_DRIVER_FUZZ_MAIN(target). */
#define KFH_DRIVER_FUZZ_MAIN(target_var)                                   \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                      \
    {                                                                      \
        (void)argc;                                                        \
        (void)argv;                                                        \
        kfh_options_init();                                                \
        return 0;                                                          \
    }                                                                      \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);          \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
    {                                                                      \
        return kfh_driver_fuzz_one(&(target_var), data, size);             \
    }

/* Systematic target's body: every fail_nth of the scenario, each run checked; a finding
 * prints its report and aborts. Returns 0. */
int kfh_systematic_fuzz_one(const uint8_t *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_DRIVER_ENV_H */
