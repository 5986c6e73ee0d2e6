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
 *
 * A minifilter target (kfh_driver_target.minifilter set) also meets Filter Manager, and
 * these version-2 operations describe it (docs/SCENARIO_FORMAT.md, "Driver targets"):
 * flt_start (how many volumes are offered; default 1), lower (the answers of the layers
 * below, in order, one per I/O that reaches them; then, and for `lower default`, a file
 * system whose directories are empty: STATUS_NO_MORE_FILES for a directory query, the
 * model's default otherwise), async_io (only its completion mode and IRQL: deferred or
 * inline, PASSIVE_LEVEL to DISPATCH_LEVEL), teardown (instances being torn down while the
 * driver runs), cbd_alloc (only its flags: the allocation flags the caller asks for, read
 * by the target through kfh_driver_env), flt_unregister (the driver is unloaded while its
 * I/O is still in flight) and fault, whose decisions reach the flt.* sites as well.
 * The driver is loaded (its DriverEntry) at PASSIVE_LEVEL before the call; after it, at
 * PASSIVE_LEVEL, pending completions run until none is left (unless flt_unregister), and
 * the filter is unloaded as `fltmc unload` does. Callback data still allocated then is a
 * leak; Filter Manager's own stop for it (flt-callback-data-outstanding) comes first.
 *
 * Version 4 adds the application on the other side of the minifilter's communication ports
 * and the system's worker threads: after the call, at PASSIVE_LEVEL and in scenario order,
 * port_connect, msg_send, port_answer and port_disconnect drive the modeled user-mode client
 * (kf_flt_client_*) with bytes built by msg_word, and run_work runs the work items queued
 * then. Every Filter Manager object still held after the unload (contexts, file names, object
 * references, ports, work items, queued callback data) is a finding of its own; the model's
 * stops at FltUnregisterFilter for the same kinds come first.
 * Version 4's `file` puts files, directories and streams on the volumes before the driver is
 * loaded (its parents made as directories, a stream's file made empty); I/O on a file object
 * of the modeled file system gets the file system's answer unless a `lower` answer was
 * scripted for it, and a leaked handle or file object reference names the file it opened.
 * Nothing here may decide from a clock, an address or unseeded randomness.
 */
#ifndef KFAULT_DRIVER_ENV_H
#define KFAULT_DRIVER_ENV_H

#include "kfault/harness.h"
#include "kfault/flt_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KFH_ENV_LOWER_MAX 16
/* What kfh_drv_run keeps of the client's messages: the first KFH_ENV_SENDS sends, and of each
 * the first KFH_ENV_SEND_BYTES bytes of the output buffer. */
#define KFH_ENV_SENDS 16
#define KFH_ENV_SEND_BYTES 64
/* A successful directory query that returns n bytes holds n / KFH_ENV_NAME_ENTRY_SIZE chained
 * FILE_NAMES_INFORMATION entries of a one-character name (one zeroed entry when fewer);
 * successful reads get their bytes set to KFH_ENV_READ_BYTE. */
#define KFH_ENV_NAME_ENTRY_SIZE 16
#define KFH_ENV_READ_BYTE 0x6B
/* Files a scenario can put on the volumes (`file`, version 4). */
#define KFH_ENV_FILES_MAX 16

/* A registry value the driver reads, and what its installation (its INF) writes there. */
typedef struct kfh_reg_spec {
    const char *key;    /* under the service key: "" for the key itself, or e.g. "Parameters" */
    const char *name;   /* the value's name (ASCII) */
    ULONG type;         /* REG_* of the installed value */
    const void *data;   /* the installed bytes; NULL: the installation writes no such value */
    ULONG size;
} kfh_reg_spec;

/* What the driver meets when it is called. */
typedef struct kfh_env {
    kf_profile profile;
    KIRQL irql;           /* the IRQL of the driver's caller */
    SIZE_T remaining;     /* modeled stack left when the driver is called */
    int large;            /* the thread has a large kernel stack */
    unsigned faults;      /* fault decisions queued for the input plan */
    /* ---- Targets with registry values (kfh_driver_target.registry) ---- */
    UNICODE_STRING registry_path;   /* the RegistryPath to hand DriverEntry */
    WCHAR registry_path_buffer[128];
    struct {
        int changed;      /* a reg_value operation replaced the installed value */
        int present;      /* the driver finds a value */
        ULONG type, size; /* its type and length in bytes */
    } reg[KFH_REG_VALUES];
    /* ---- Minifilter targets only (zero otherwise) ---- */
    unsigned client_steps;       /* version-4 operations: the port client and the worker threads */
    unsigned volumes;            /* volumes FltStartFiltering offers */
    unsigned teardown_mask;      /* 1u << volume: its instance is being torn down */
    int deferred;                /* asynchronous I/O completes later (else inline) */
    KIRQL completion_irql;       /* the IRQL completion callbacks run at */
    ULONG alloc_flags;           /* the allocation flags the driver's caller asks for */
    int unload_in_flight;        /* unloaded with I/O still pending (no drain first) */
    unsigned n_lower;            /* answers of the layers below, in order */
    struct {
        NTSTATUS status;         /* STATUS_PENDING: the file system's own answer */
        ULONG information;
    } lower[KFH_ENV_LOWER_MAX];
    /* ---- Minifilter targets: the files on the volumes (`file`, version 4) ---- */
    unsigned n_files;            /* file operations read, in order (at most KFH_ENV_FILES_MAX) */
    struct {
        kfh_op op;               /* name index (kfh_file_name_at), volume, attributes, size, data */
        int installed;           /* put on its volume before the driver was loaded */
    } file[KFH_ENV_FILES_MAX];
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
    /* ---- Minifilter targets only ---- */
    NTSTATUS load_status;     /* what DriverEntry returned */
    int loaded;               /* it succeeded: the call was made */
    NTSTATUS unload_status;   /* kf_flt_unload's status (STATUS_SUCCESS when none was needed) */
    unsigned lower_ios;       /* I/Os that reached the layers below */
    size_t completions;       /* completions run after the call, before the unload */
    /* ---- The port client (version 4), minifilter targets only ---- */
    unsigned connects;        /* port_connect steps that reached kf_flt_client_connect */
    unsigned connected;       /* of those, accepted */
    unsigned sends;           /* msg_send steps that reached kf_flt_client_send */
    struct {
        NTSTATUS status;      /* what FilterSendMessage returned to the application */
        ULONG in_size, out_size, returned; /* the sizes sent and offered, the bytes returned */
        UCHAR out[KFH_ENV_SEND_BYTES]; /* the first bytes of the output buffer after the call */
    } send[KFH_ENV_SENDS];    /* the first KFH_ENV_SENDS of them */
    size_t work_run;          /* work items the run_work steps ran */
} kfh_drv_run;

/* What Filter Manager needs of a minifilter driver. */
typedef struct kfh_minifilter {
    /* Loads the driver: calls its DriverEntry, which registers the filter and starts
     * filtering. Runs at PASSIVE_LEVEL before every call, after the volumes are set up. */
    NTSTATUS (*load)(void);
    /* The filter the driver registered, NULL when it has none (then nothing is unloaded). */
    PFLT_FILTER (*filter)(void);
    /* The names of the communication ports the driver creates, as its service passes them to
     * FilterConnectCommunicationPort (NUL-terminated; NULL: no such port): `port_connect
     * port=N` connects to ports[N]. */
    const WCHAR *ports[KFH_CLIENT_PORTS];
} kfh_minifilter;

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
    /* Set for a minifilter: the run also sets up Filter Manager, loads and unloads it. A
     * call is made only when loading succeeded; check runs either way. */
    const kfh_minifilter *minifilter;
    /* The service name: RegistryPath is \Registry\Machine\System\CurrentControlSet\
     * Services\<service> (NULL: the target's name). */
    const char *service;
    /* The registry values the driver reads (at most KFH_REG_VALUES), installed before it is
     * loaded; the scenario's `reg_value N` replaces the N-th or removes it. */
    const kfh_reg_spec *registry;
    unsigned n_registry;
    /* Set when the target's call plays the version-4 steps (port client, worker threads) itself,
     * in scenario order among its own operations, with kfh_driver_client_step; otherwise a
     * minifilter target gets them after its call (FH-7). */
    int client_inline;
    /* Set: the registry values stay as installed (the scenario's reg_value is skipped), so that
     * fuzzing goes past a driver's handling of malformed parameters. */
    int registry_fixed;
    /* Set: the port's client always reads and replies (port_answer other than `reply` is
     * skipped), so that fuzzing goes past a driver that waits for its service without a
     * timeout once that is known. */
    int client_trusted;
} kfh_driver_target;

/* After a run with a finding was made again for its trace text (again: its number of findings,
 * now: its finding): the first run's finding goes into *now, and when the second run ended
 * otherwise (no finding, or another stop) a note on stderr says so (SEMANTICS.md FH-14). */
void kfh_driver_keep_first(const kfh_finding *first, int again, kfh_finding *now);

/* One version-4 step (msg_word, port_connect, msg_send, port_answer, port_disconnect, run_work)
 * of the run in progress, as FH-7 describes, at PASSIVE_LEVEL (restored to the IRQL it was
 * called at); other operations are ignored. For a target with client_inline set. */
void kfh_driver_client_step(const kfh_op *op);

/* The registry values a driver's INF file (its bytes: UTF-16LE with a byte order mark, or 8-bit)
 * installs under the service key: the HKR lines of every section an AddReg directive names, with
 * [Strings] substituted (harness/inf.c, docs/MINIFILTER_FUZZING.md). Fills out[0..] (the values
 * under an Instances key last) and returns how many, or -1 with a sentence naming the line in
 * err. The strings and data stay valid until the next call. */
int kfh_inf_read(const void *bytes, size_t size, kfh_reg_spec *out, unsigned max, char *err, size_t errlen);

/* The environment of the run in progress (for a target's call), NULL outside a run. */
const kfh_env *kfh_driver_env(void);

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
