/*
 * kfault/harness.h - the harness between a fuzzer's bytes and the model: fault plans, the
 * scenario format (bytes and text), the runner with its independent oracle and invariant
 * checks, deterministic traces, and finding reports.
 *
 * Uses the model only through its public headers (kfault/model.h and the WDK-shaped ones).
 * Nothing here may make a decision from a clock, an address or unseeded randomness: a run
 * is a function of the scenario bytes and the options, and its trace hash proves it.
 * Driver code never includes this header; fuzz targets, tools and tests do.
 */
#ifndef KFAULT_HARNESS_H
#define KFAULT_HARNESS_H

#include "kfault/model.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Invariants ==================================================================== */
typedef enum kfh_inv {
    KFH_INV_NONE = 0,
#define KFH_INV(num, id, name, source, sentence) KFH_INV_##id = num,
#include "kfault/invariants.def"
#undef KFH_INV
} kfh_inv;

typedef struct kfh_inv_info {
    int num;
    const char *id;       /* "KF-INV-001" */
    const char *name;     /* "callout-iff-success" */
    const char *source;   /* SEMANTICS.md rule ids */
    const char *sentence; /* what the rule says, for the report */
} kfh_inv_info;
size_t kfh_inv_count(void);
const kfh_inv_info *kfh_inv_at(size_t index);
/* By number (KFH_INV_*); NULL when unknown. */
const kfh_inv_info *kfh_inv_get(int num);

/* ==== Fault plans ==================================================================== */
typedef enum kfh_plan_kind {
    KFH_PLAN_NONE,        /* never fail */
    KFH_PLAN_INPUT,       /* the scenario's fault decisions, in consultation order */
    KFH_PLAN_NTH,         /* the nth counted consultation fails */
    KFH_PLAN_PROBABILITY, /* probability / 10000 with seed, times, interval */
    KFH_PLAN_PATH         /* each distinct site + call path fails the first time it is seen */
} kfh_plan_kind;

#define KFH_SITES_TEXT 256
typedef struct kfh_plan_config {
    kfh_plan_kind kind;
    char sites[KFH_SITES_TEXT];      /* filter: names or fnmatch globs, '|' or ',' separated */
    unsigned long long nth;          /* KFH_PLAN_NTH, 1-based */
    unsigned long long probability;  /* units of 1/10000 */
    unsigned long long seed;
    unsigned long long times;        /* at most this many injections per run; 0: no limit */
    unsigned long long interval;     /* only every interval-th counted consultation (<=1: all) */
    kf_fail_kind_opt fail_kind;      /* site / transient / hard for nth, probability, path */
} kfh_plan_config;

const char *kfh_plan_kind_name(kfh_plan_kind k);
/* Fills *out from options (plan, sites, fail_nth, fail_kind, probability, seed, times,
 * interval). Returns 0, or -1 with a sentence in err. */
int kfh_plan_config_from_options(const kf_options *o, kfh_plan_config *out, char *err, size_t errlen);
/* Checks a site filter: every item must be a site name or a glob matching one. */
int kfh_sites_validate(const char *filter, char *err, size_t errlen);
/* 1 when the site name matches the filter ("" and "*" match everything). */
int kfh_site_matches(const char *filter, const char *site_name);

typedef struct kfh_plan kfh_plan;
kfh_plan *kfh_plan_new(const kfh_plan_config *cfg);
void kfh_plan_free(kfh_plan *p);
/* Back to the state of a fresh run: counters, generator, seen call paths, decision queue. */
void kfh_plan_reset(kfh_plan *p);
/* KFH_PLAN_INPUT: queues the decision for the next counted consultation. */
void kfh_plan_push_decision(kfh_plan *p, kf_fault_kind k);
/* Decides one consultation of `site` (what a fault hook calls). */
kf_fault_kind kfh_plan_decide(kfh_plan *p, kf_site site);
/* Installs the plan as the model's fault hook (NULL: the model's built-in hook). */
void kfh_plan_install(kfh_plan *p);
/* Whether any fault was injected since the last reset (Linux fail-nth's report). */
int kfh_plan_injected_any(const kfh_plan *p);
typedef struct kfh_site_stats {
    unsigned long long consulted[KF_SITE_COUNT], injected[KF_SITE_COUNT];
    unsigned long long total_consulted, total_injected;
} kfh_site_stats;
const kfh_site_stats *kfh_plan_stats(const kfh_plan *p);

/* The call path (for KFH_PLAN_PATH): a stack of frame names. The runner pushes the name of
 * every scenario operation it enters, so the path of a consultation is the chain of
 * operations (by kind, not by position) that led to it, e.g. "expand.ex/expand/pool_alloc".
 * Driver targets may push frames of their own. Names must be static strings. */
void kfh_callpath_push(const char *frame);
void kfh_callpath_pop(void);
void kfh_callpath_clear(void);
/* The current path as text ("" at top level). */
const char *kfh_callpath_text(char *buf, size_t len);

/* ==== Traces ========================================================================= */
/* A run's events, one per line. The hash (FNV-1a, 64 bits; trace hash version 2) is
 * computed from each event's fields, not its text: the identity of its format (a string
 * literal) and its arguments' values, up to an optional " ;; " marker in the format; what
 * follows the marker, and the notes (the real stack high-water mark, which differs between
 * compilers and sanitizers), is shown but never hashed. */
void kfh_trace_begin(void);
void kfh_trace_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends an unhashed note to the last event. */
void kfh_trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t kfh_trace_hash(void);
size_t kfh_trace_events(void);
/* The whole trace text (kept up to a bound; the hash covers every event regardless). */
const char *kfh_trace_text(void);
/* Writes the last `lines` events to f. */
void kfh_trace_tail(FILE *f, size_t lines);
/* Echo every event to f as it happens (NULL: off). */
void kfh_trace_echo(FILE *f);
/* 0: keep no text from the next kfh_trace_begin on, only the hash and the event count (the
 * same as with the text); kfh_trace_text and kfh_trace_tail then give nothing, unless an
 * echo is set. 1 (the default): keep the text. For fuzz targets, which re-run an input
 * with the text on to report it. */
void kfh_trace_keep_text(int keep);
/* snprintf and vsnprintf, byte for byte (return value included), without the C library's
 * stream machinery for the conversions the harness uses; any other format goes to
 * vsnprintf. The trace and the oracle format with these. */
int kfh_format(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kfh_vformat(char *buf, size_t cap, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* ==== Scenarios ====================================================================== */
#define KFH_SCENARIO_VERSION 15 /* the newest version this build reads */
/* The version the next format change takes. A version is the first byte of the byte form, and
 * the bytes 0x09 to 0x0D (tab, line feed, vertical tab, form feed, carriage return) begin text:
 * they are never versions, so version 8 is followed by version 14 (docs/SCENARIO_FORMAT.md,
 * "Migration rule"). */
#define KFH_SCENARIO_VERSION_NEXT 16
#define KFH_MAX_OPS 256        /* operations per scenario, bodies included */
#define KFH_MAX_DEPTH 8        /* nested blocks */

typedef enum kfh_opcode {
    KFH_OP_END = 0,      /* closes the innermost block */
    KFH_OP_PROFILE,      /* a: index into kf_profile_at */
    KFH_OP_RAISE_IRQL,   /* a: IRQL */
    KFH_OP_LOWER_IRQL,   /* a: IRQL */
    KFH_OP_SET_STACK,    /* size: remaining stack */
    KFH_OP_LARGE_STACK,  /* a: 0/1 */
    KFH_OP_EXPAND,       /* a: KFH_EXP_* flags; size; body runs inside the callout */
    KFH_OP_CONSUME,      /* size: modeled stack consumed while the body runs */
    KFH_OP_RAISE,        /* a: status index; b: 1 caught by a handler around it */
    KFH_OP_TERMINATE,    /* a: status index */
    KFH_OP_FAULT,        /* a: kf_fault_kind queued for the input plan */
    KFH_OP_POOL_ALLOC,   /* a: slot; b: 1 paged */
    KFH_OP_POOL_FREE,    /* a: slot */
    KFH_OP_COUNT_V1,
    /* Version 2: the Filter Manager operations, appended. */
    KFH_OP_FLT_START = KFH_OP_COUNT_V1, /* a: volumes; FltRegisterFilter + FltStartFiltering */
    KFH_OP_CBD_ALLOC,    /* a: slot; b: KFH_CBD_* bits, volume in bits 3-4; c: flags index */
    KFH_OP_IOPB,         /* a: slot; b: major index; c: minor (bits 0-1), IrpFlags index (bits 2-3); size_raw: length */
    KFH_OP_SYNC_IO,      /* a: slot; FltPerformSynchronousIo */
    KFH_OP_ASYNC_IO,     /* a: slot; b: KFH_THEN_* action; c: bit 0 deferred, bits 1-2 IRQL index */
    KFH_OP_RUN_PENDING,  /* kf_flt_run_pending_completions */
    KFH_OP_CBD_REUSE,    /* a: slot; FltReuseCallbackData */
    KFH_OP_CBD_FREE,     /* a: slot; b: KFH_FREE_* */
    KFH_OP_LOWER,        /* a: lower status index (0: the defaults); size_raw: Information */
    KFH_OP_TEARDOWN,     /* a: volume; b: 1 mark, 0 clear */
    KFH_OP_FLT_UNREGISTER, /* FltUnregisterFilter */
    KFH_OP_COUNT_V2,
    /* Version 3: version 2 plus what a driver target's driver reads from the registry. */
    KFH_OP_REG_VALUE = KFH_OP_COUNT_V2, /* a: value index; b: KFH_REG_* (type bits 0-2, length bit 0 in
                                         * bit 3, terminated bit 4); c: length / 2; size_raw: data word */
    KFH_OP_COUNT_V3,
    /* Version 4: version 3 plus the user-mode client of a minifilter's communication port and
     * the system's worker threads, played by the driver environment. */
    KFH_OP_MSG_WORD = KFH_OP_COUNT_V3, /* size_raw: a 32-bit word appended to the message buffer */
    KFH_OP_PORT_CONNECT, /* a: client slot; b: port index; size_raw: context size (bytes of the buffer) */
    KFH_OP_MSG_SEND,     /* a: client slot; b: KFH_SEND_*; size_raw: input size (bits 0-15), output size
                          * (bits 16-31) */
    KFH_OP_PORT_ANSWER,  /* a: client slot; b: KFH_ANSWER_*; size_raw: reply size (bytes of the buffer) */
    KFH_OP_PORT_DISCONNECT, /* a: client slot */
    KFH_OP_RUN_WORK,     /* the work items queued now run (Filter Manager's, then the I/O manager's) */
    KFH_OP_COUNT_V4,
    /* Version 5: version 4 plus the files a minifilter target's volumes hold. */
    KFH_OP_FILE = KFH_OP_COUNT_V4, /* a: name index; b: KFH_FILE_* (volume bits 0-1); c: size low byte;
                                    * size_sel: size high byte; size_raw: data word */
    KFH_OP_COUNT_V5,
    /* Version 6: version 5 plus the I/O a minifilter meets (the generic minifilter fuzzer,
     * harness/minifilter.c, docs/MINIFILTER_FUZZING.md). */
    KFH_OP_MF_CREATE = KFH_OP_COUNT_V5, /* a: file slot (bits 0-2), volume (bits 3-4), KFH_MF_EXISTS,
                                         * KFH_MF_DIRECTORY, KFH_MF_KERNEL; b: name index; c: disposition
                                         * (bits 0-2), KFH_MF_OPT_* (bits 3-7); size_sel: access (bits 0-1),
                                         * attributes (bits 2-4), lower answer (bits 5-7); size_raw:
                                         * the extension, up to 4 ASCII bytes */
    KFH_OP_MF_IO,        /* a: file slot (bits 0-2), post-operation IRQL (bits 3-4), lower answer (bits
                          * 5-7); b: operation index; c: its variant bits; size_raw: length (bits 0-15),
                          * offset / 512 (bits 16-23; bits 24-31 are cleared) */
    KFH_OP_MF_DETACH,    /* a: volume; b: bit 0 dismount (else a manual detach) */
    KFH_OP_MF_UNLOAD,    /* a: bit 0 mandatory (a service stop) */
    KFH_OP_COUNT_V6,
    /* Version 7: version 6 plus the Filter Manager contexts of the conformance runner's own
     * filter (harness/oracle_fltx.c, docs/SCENARIO_FORMAT.md): 36 to 42 are the contexts, 43 to
     * 46 the file names. */
    KFH_OP_CTX_ALLOC = KFH_OP_COUNT_V6, /* a: context slot; b: type index (bits 0-2), pool index (bits 3-4);
                                         * c: size index. FltAllocateContext */
    KFH_OP_CTX_SET,      /* a: slot of NewContext; b: KFH_CTX_OWNER bits; c: operation (bits 0-1),
                          * KFH_CTX_WITH_OLD (bit 2), OldContext's slot (bits 3-5). FltSet*Context */
    KFH_OP_CTX_GET,      /* a: slot that receives it; b: KFH_CTX_OWNER bits, KFH_CTX_FLAG: a NULL Context
                          * pointer. FltGet*Context */
    KFH_OP_CTX_DELETE,   /* a: slot that receives OldContext; b: KFH_CTX_OWNER bits, KFH_CTX_FLAG: with
                          * OldContext. FltDelete*Context */
    KFH_OP_CTX_REF,      /* a: slot referenced; b: slot that receives the new reference. FltReferenceContext */
    KFH_OP_CTX_RELEASE,  /* a: slot; b: KFH_CTX_REL_*. FltReleaseContext */
    KFH_OP_CTX_UNLINK,   /* a: slot. FltDeleteContext */
    KFH_OP_NAME_GET,     /* a: callback data slot; b: name slot; c: format (bits 0-1), query method index
                          * (bits 2-4); size_sel: the file object's name index (kfh_name_at).
                          * FltGetFileNameInformation */
    KFH_OP_NAME_REF,     /* a: name slot referenced; b: slot that receives the new reference.
                          * FltReferenceFileNameInformation */
    KFH_OP_NAME_RELEASE, /* a: name slot; b: KFH_NAME_REL_*. FltReleaseFileNameInformation */
    KFH_OP_NAME_PARSE,   /* a: name slot. FltParseFileNameInformation */
    KFH_OP_COUNT_V7,
    /* Version 8: version 7 plus the manual attachment of the minifilter fuzzer's filter. */
    KFH_OP_MF_ATTACH = KFH_OP_COUNT_V7, /* a: volume. kf_flt_attach (`fltmc attach`) */
    KFH_OP_COUNT_V8,
    /* Version 14 (9 to 13 begin text and are never versions): version 8 plus the Filter
     * Manager generic work items of the conformance runner's own filter. */
    KFH_OP_WI_ALLOC = KFH_OP_COUNT_V8, /* a: item slot. FltAllocateGenericWorkItem */
    KFH_OP_WI_QUEUE,     /* a: item slot; b: FltObject (bits 0-2, KFH_WI_OBJ_*), misuse (bits 3-5, KFH_WI_MIS_*);
                          * c: what the routine does (bits 0-1, KFH_WI_DO_*), bit 2 DelayedWorkQueue.
                          * FltQueueGenericWorkItem */
    KFH_OP_WI_FREE,      /* a: item slot; b: KFH_WI_FREE_*. FltFreeGenericWorkItem */
    KFH_OP_WI_RUN,       /* kf_flt_run_work_items: the items queued now run */
    KFH_OP_COUNT_V14,
    /* Version 15, continued: the deferred I/O work items and the cancel-safe callback data
     * queues of the conformance runner's own filter. */
    KFH_OP_DW_ALLOC = KFH_OP_COUNT_V14, /* a: deferred item slot. FltAllocateDeferredIoWorkItem */
    KFH_OP_DW_QUEUE,     /* a: deferred item slot; b: callback data slot (bits 0-1), misuse (bits 2-4, KFH_DW_MIS_*);
                          * c: what the routine does (bits 0-1, KFH_WI_DO_*), bit 2 DelayedWorkQueue.
                          * FltQueueDeferredIoWorkItem */
    KFH_OP_DW_FREE,      /* a: deferred item slot; b: KFH_DW_FREE_*. FltFreeDeferredIoWorkItem */
    KFH_OP_CQ_INIT,      /* a: queue slot; b: volume (bits 0-1), misuse (bits 2-5, KFH_CQ_INIT_*). FltCbdqInitialize */
    KFH_OP_CQ_INSERT,    /* a: queue slot; b: callback data slot (bits 0-1), bit 2 with a Context, misuse (bits 3-4,
                          * KFH_CQ_MIS_*); c: InsertIo's answer (bits 0-1, KFH_CQ_ANSWER_*), the callbacks'
                          * misbehaviour (bits 2-4, KFH_CQ_BAD_*). FltCbdqInsertIo */
    KFH_OP_CQ_REMOVE,    /* a: queue slot; b: callback data slot whose Context is passed (bits 0-1), bit 2 Context
                          * NULL; c: misbehaviour (bits 2-4). FltCbdqRemoveIo */
    KFH_OP_CQ_NEXT,      /* a: queue slot; b: PeekContext (0 any, 1 to 4 callback data slot + 1); c: misbehaviour
                          * (bits 2-4). FltCbdqRemoveNextIo */
    KFH_OP_CQ_ENABLE,    /* a: queue slot. FltCbdqEnable */
    KFH_OP_CQ_DISABLE,   /* a: queue slot. FltCbdqDisable */
    KFH_OP_CQ_CANCEL,    /* a: queue slot; b: callback data slot; c: misbehaviour (bits 2-4). kf_flt_cbdq_cancel */
    /* Version 15, continued: the communication ports of the conformance runner's own filter (its
     * client is played by the version-4 steps msg_word to port_disconnect). */
    KFH_OP_SD_BUILD, /* a: descriptor slot; b: 1 SecurityDescriptor NULL.
                                         * FltBuildDefaultSecurityDescriptor */
    KFH_OP_SD_FREE,      /* a: descriptor slot; b: KFH_SD_FREE_*. FltFreeSecurityDescriptor */
    KFH_OP_PORT_CREATE,  /* a: server slot; b: name (bits 0-1), MaxConnections (bits 2-3), KFH_PC_CASE,
                          * KFH_PC_NO_MESSAGE; c: KFH_PC_MIS_*. FltCreateCommunicationPort */
    KFH_OP_PORT_CLOSE,   /* a: server slot; b: KFH_PCL_*. FltCloseCommunicationPort */
    KFH_OP_PORT_CLOSE_CLIENT, /* a: client slot; b: KFH_PCC_*. FltCloseClientPort */
    KFH_OP_PORT_SEND,    /* a: client slot; b: SenderBufferLength; c: KFH_PS_REPLY, reply room (bits 0-6);
                          * size_sel: timeout (bits 0-1, KFH_PS_T_*), misuse (bits 2-4, KFH_PS_MIS_*).
                          * FltSendMessage */
    /* Version 15, continued: the Filter Manager objects and volumes of the conformance
     * runner's own filter: references on its filter, instances and volumes, the volume queries,
     * the enumerations and the sector-aligned pool. */
    KFH_OP_OBJ_GET, /* a: object slot; b: source (bits 0-2, KFH_OBJ_FROM_*), volume (bits 3-4),
                                        * for a name its form (bits 5-7, KFH_OBJ_NAME_*).
                                        * FltGetVolumeFromInstance, FltGetFilterFromInstance,
                                        * FltObjectReference of an instance, FltGetVolumeFromName,
                                        * FltGetVolumeFromFileObject */
    KFH_OP_OBJ_REF,      /* a: object slot; b: 1 a pointer that is no object. FltObjectReference */
    KFH_OP_OBJ_DEREF,    /* a: object slot; b: 1 a pointer that is no object. FltObjectDereference */
    KFH_OP_OBJ_QUERY,    /* a: object slot; b: KFH_OBJ_Q_*; c: KFH_OBJ_BUF_*. The volume queries */
    KFH_OP_OBJ_ENUM,     /* a: first object slot; b: KFH_OBJ_ENUM_*; c: list size (0 to KFH_OBJ_LIST_MAX).
                          * FltEnumerateVolumes, FltEnumerateInstances, FltEnumerateFilters */
    KFH_OP_APOOL_ALLOC,  /* a: aligned pool slot; b: volume (bits 0-1), paged (bit 2), size (bits 3-4,
                          * KFH_APOOL_SIZE_*). FltAllocatePoolAlignedWithTag */
    KFH_OP_APOOL_FREE,   /* a: aligned pool slot; b: KFH_APOOL_FREE_*. FltFreePoolAlignedWithTag */
    /* Version 15, continued: the Filter Manager extra create parameters of the conformance
     * runner's own filter (harness/oracle_fltecp.c). */
    KFH_OP_ECP_LIST_ALLOC, /* a: list slot; b: bit 0 CHARGE_QUOTA, bits 1-2 KFH_ECPL_MIS_*.
                                               * FltAllocateExtraCreateParameterList */
    KFH_OP_ECP_LIST_FREE, /* a: list slot; b: KFH_ECP_PASS_*. FltFreeExtraCreateParameterList */
    KFH_OP_ECP_ALLOC,    /* a: ECP slot; b: type (bits 0-1), KFH_ECP_NONPAGED, KFH_ECP_FROM_LA, lookaside slot
                          * (bit 4), KFH_ECP_MIS_* (bits 5-7); c: size index.
                          * FltAllocateExtraCreateParameter(FromLookasideList) */
    KFH_OP_ECP_FREE,     /* a: ECP slot; b: KFH_ECP_PASS_*. FltFreeExtraCreateParameter */
    KFH_OP_ECP_INSERT,   /* a: list slot; b: ECP slot. FltInsertExtraCreateParameter */
    KFH_OP_ECP_REMOVE,   /* a: list slot; b: type; c: ECP slot that receives it. FltRemoveExtraCreateParameter */
    KFH_OP_ECP_FIND,     /* a: list slot; b: type; c: ECP slot that receives it. FltFindExtraCreateParameter */
    KFH_OP_ECP_NEXT,     /* a: list slot; b: KFH_ECP_NEXT_*; c: ECP slot that receives it.
                          * FltGetNextExtraCreateParameter */
    KFH_OP_ECP_MARK,     /* a: ECP slot; b: KFH_ECP_MARK_*. FltAcknowledgeEcp, FltIsEcpAcknowledged,
                          * FltPrepareToReuseEcp, FltIsEcpFromUserMode */
    KFH_OP_ECP_LOOKASIDE, /* a: lookaside slot; b: bit 0 delete, KFH_ECP_LA_NONPAGED, KFH_ECP_LA_MIS_* (bits 2-3).
                           * FltInit/DeleteExtraCreateParameterLookasideList */
    KFH_OP_ECP_GET,      /* a: callback data slot; b: list slot. FltGetEcpListFromCallbackData */
    KFH_OP_ECP_SET,      /* a: callback data slot; b: list slot. FltSetEcpListIntoCallbackData */
    KFH_OP_ECP_DONE,     /* a: callback data slot. kf_flt_ecp_create_done: the create ends */
    KFH_OP_ECP_ATTACH,   /* a: callback data slot; b: count (bits 0-1), KFH_ECP_ATTACH_USER, KFH_ECP_ATTACH_ACKED.
                          * kf_flt_attach_ecps: ECPs from above */
    /* Version 15, continued: the file I/O the conformance runner's own filter issues
     * (the runner also runs version 5's `file`, which puts the files there). */
    KFH_OP_FIO_CREATE, /* a: handle slot; b: volume (bits 0-1), routine (bits 2-3, KFH_FIO_CR_*),
                                           * KFH_FIO_ANY_INSTANCE, misuse (bits 5-7, KFH_FIO_CMIS_*); c: disposition
                                           * (bits 0-2), KFH_FIO_DIR / KFH_FIO_NONDIR, KFH_FIO_READ_ONLY;
                                           * size_sel: name index. FltCreateFile(Ex, Ex2) */
    KFH_OP_FIO_CLOSE,    /* a: handle slot; b: KFH_FIO_CLOSE_*. FltClose, ObDereferenceObject */
    KFH_OP_FIO_IO,       /* a: handle slot (volume for `volume`); b: routine (bits 0-2, KFH_FIO_IO_*), KFH_FIO_ASYNC,
                          * misuse (bits 4-6, KFH_FIO_MIS_*); c: offset; size_sel: length */
    /* Version 15, continued: Filter Manager transactions met by the conformance runner's own
     * filter (harness/oracle_fltxn.c). */
    KFH_OP_TXN_NEW,      /* a: transaction slot. kf_flt_new_transaction */
    KFH_OP_TXN_ENLIST,   /* a: transaction slot; b: notification mask (KFH_TXN_N_* bits); c: the notifications
                          * the callback answers STATUS_PENDING. FltAllocateContext + FltSetTransactionContext
                          * (once per transaction), FltEnlistInTransaction */
    KFH_OP_TXN_END,      /* a: transaction slot; b: KFH_TXN_END_*. kf_flt_transaction_end */
    KFH_OP_TXN_ACK,      /* a: transaction slot; b: KFH_TXN_ACK_*. Flt*Complete, FltRollbackEnlistment */
    KFH_OP_COUNT_V15
} kfh_opcode;
/* The newest version's opcode count (tables indexed by opcode). */
#define KFH_OP_COUNT KFH_OP_COUNT_V15

/* Transaction operand tables (version 15). The notification bits of a scenario, in phase order;
 * each stands for one TRANSACTION_NOTIFY_* value (kfh_txn_notification). */
#define KFH_TXN_SLOTS 2
enum { KFH_TXN_N_PREPREPARE = 1, KFH_TXN_N_PREPARE = 2, KFH_TXN_N_COMMIT = 4, KFH_TXN_N_COMMIT_FINALIZE = 8,
       KFH_TXN_N_ROLLBACK = 16, KFH_TXN_N_ALL = 31 };
enum { KFH_TXN_END_COMMIT, KFH_TXN_END_ROLLBACK, KFH_TXN_END_COUNT };
/* A txn_enlist whose callback answers STATUS_UNSUCCESSFUL where `pending` says STATUS_PENDING. */
#define KFH_TXN_BAD_ANSWER 32
/* The acknowledgement routines, in the order of the notification bits, then FltRollbackEnlistment,
 * FltGetTransactionContext, FltDeleteTransactionContext, and FltCommitComplete with a pointer that is
 * no transaction. */
enum { KFH_TXN_ACK_PREPREPARE, KFH_TXN_ACK_PREPARE, KFH_TXN_ACK_COMMIT, KFH_TXN_ACK_COMMIT_FINALIZE,
       KFH_TXN_ACK_ROLLBACK, KFH_TXN_ACK_ENLISTMENT, KFH_TXN_ACK_GET_CONTEXT, KFH_TXN_ACK_DELETE_CONTEXT,
       KFH_TXN_ACK_FOREIGN, KFH_TXN_ACK_COUNT };

/* Deferred I/O work item and cancel-safe queue operand tables (version 15). */
#define KFH_DW_SLOTS 4
/* The argument a deferred queue operation gets wrong (FW-3): none, WorkerRoutine NULL, a QueueType
 * that is neither CriticalWorkQueue nor DelayedWorkQueue, Data NULL, an item pointer no allocation
 * returned, callback data that is not IRP-based (its IRP flag cleared for the call). */
enum { KFH_DW_MIS_NONE, KFH_DW_MIS_NULL_ROUTINE, KFH_DW_MIS_QUEUE_TYPE, KFH_DW_MIS_NULL_DATA, KFH_DW_MIS_ITEM,
       KFH_DW_MIS_NOT_IRP, KFH_DW_MIS_COUNT };
/* Which pointer a deferred free passes: the slot's item, the item the slot freed last, a pointer
 * no allocation returned, the generic work item of the generic slot of the same number. */
enum { KFH_DW_FREE_SLOT, KFH_DW_FREE_AGAIN, KFH_DW_FREE_FOREIGN, KFH_DW_FREE_GENERIC, KFH_DW_FREE_COUNT };
#define KFH_CQ_QUEUES 2
/* FltCbdqInitialize's misuse: none, argument 1 to 8 NULL, an Instance that is no instance. */
enum { KFH_CQ_INIT_NONE, KFH_CQ_INIT_FOREIGN_INSTANCE = 9, KFH_CQ_INIT_COUNT };
/* FltCbdqInsertIo's misuse: none, Cbd NULL, callback data that is not IRP-based. */
enum { KFH_CQ_MIS_NONE, KFH_CQ_MIS_NULL_CBD, KFH_CQ_MIS_NOT_IRP, KFH_CQ_MIS_COUNT };
/* What the runner's InsertIo returns: STATUS_SUCCESS, STATUS_PENDING (also a success), or
 * STATUS_INSUFFICIENT_RESOURCES. */
enum { KFH_CQ_ANSWER_SUCCESS, KFH_CQ_ANSWER_PENDING, KFH_CQ_ANSWER_FAIL, KFH_CQ_ANSWER_COUNT };
/* How the runner's queue callbacks misbehave in one operation: not at all; the first callback
 * under the lock (InsertIo, RemoveIo or PeekNextIo) calls FltCbdqEnable on its own queue; Acquire
 * does; Release does; Release does not lower the IRQL Acquire raised; PeekNextIo returns callback
 * data that is not in the queue. */
enum { KFH_CQ_BAD_NONE, KFH_CQ_BAD_REENTER, KFH_CQ_BAD_REENTER_ACQUIRE, KFH_CQ_BAD_REENTER_RELEASE,
       KFH_CQ_BAD_UNBALANCED, KFH_CQ_BAD_PEEK_FOREIGN, KFH_CQ_BAD_COUNT };
/* Communication port operand tables (version 15). */
#define KFH_SD_SLOTS 2
#define KFH_SERVER_SLOTS 2
#define KFH_PORT_NAMES 4        /* port_create's names; port_connect's port=N names the same */
/* Which descriptor a free passes: the slot's, the one the slot freed last, one the builder never
 * returned, NULL. */
enum { KFH_SD_FREE_SLOT, KFH_SD_FREE_AGAIN, KFH_SD_FREE_FOREIGN, KFH_SD_FREE_NULL, KFH_SD_FREE_COUNT };
enum { KFH_PC_CASE = 16, KFH_PC_NO_MESSAGE = 32 };
/* The argument a create gets wrong (FP-2): none, ServerPort NULL, ObjectAttributes NULL,
 * ConnectNotifyCallback NULL, DisconnectNotifyCallback NULL, Attributes without OBJ_KERNEL_HANDLE,
 * no ObjectName. */
enum { KFH_PC_MIS_NONE, KFH_PC_MIS_NULL_PORT, KFH_PC_MIS_NULL_ATTRIBUTES, KFH_PC_MIS_NULL_CONNECT,
       KFH_PC_MIS_NULL_DISCONNECT, KFH_PC_MIS_USER_HANDLE, KFH_PC_MIS_NO_NAME, KFH_PC_MIS_COUNT };
/* Which pointer FltCloseCommunicationPort gets: the slot's port, the one the slot closed last,
 * one no create returned, NULL. */
enum { KFH_PCL_SLOT, KFH_PCL_AGAIN, KFH_PCL_FOREIGN, KFH_PCL_NULL, KFH_PCL_COUNT };
/* What FltCloseClientPort gets: the slot's variable, a copy of the port the slot's variable
 * held last (closed since), a server port, ClientPort NULL. */
enum { KFH_PCC_SLOT, KFH_PCC_COPY, KFH_PCC_SERVER, KFH_PCC_NULL, KFH_PCC_COUNT };
#define KFH_PS_REPLY 0x80
/* FltSendMessage's Timeout: NULL, a pointer to 0, relative 10 ms, absolute (a time long past). */
enum { KFH_PS_T_NONE, KFH_PS_T_ZERO, KFH_PS_T_RELATIVE, KFH_PS_T_ABSOLUTE, KFH_PS_T_COUNT };
/* The argument a send gets wrong (FP-4): none, ClientPort NULL, SenderBuffer NULL, ReplyBuffer
 * without ReplyLength, *ClientPort a server port. */
enum { KFH_PS_MIS_NONE, KFH_PS_MIS_NULL_PORT, KFH_PS_MIS_NULL_SENDER, KFH_PS_MIS_NO_LENGTH, KFH_PS_MIS_SERVER,
       KFH_PS_MIS_COUNT };
/* Filter Manager object and volume operand tables (version 15). */
#define KFH_OBJ_SLOTS 4
#define KFH_OBJ_LIST_MAX 8
/* Where obj_get takes its object: the volume or the filter of the instance on a volume (the
 * Flt*FromInstance routines), the instance itself (FltObjectReference), the volume named by its
 * device name (FltGetVolumeFromName), the volume of a file object without a device or of a NULL
 * FileObject (FltGetVolumeFromFileObject; the volume operand is not read). */
enum { KFH_OBJ_FROM_VOLUME, KFH_OBJ_FROM_FILTER, KFH_OBJ_FROM_INSTANCE, KFH_OBJ_FROM_NAME, KFH_OBJ_FROM_FILE,
       KFH_OBJ_FROM_NULL_FILE, KFH_OBJ_FROM_COUNT };
/* The name FltGetVolumeFromName is given (FO-2): the device name, the GUID name in upper case, the
 * drive letter in lower case (`d:`), the letter as `\??\D:`, the device name with a trailing
 * backslash (which names no volume). */
enum { KFH_OBJ_NAME_DEVICE, KFH_OBJ_NAME_GUID, KFH_OBJ_NAME_LETTER, KFH_OBJ_NAME_DOS, KFH_OBJ_NAME_SLASH,
       KFH_OBJ_NAME_COUNT };
/* The queries: FltGetVolumeName, FltGetVolumeGuidName, FltGetVolumeProperties, FltGetFileSystemType,
 * FltIsVolumeWritable, and FltGetInstanceInformation of an instance (InstanceBasicInformation,
 * InstanceFullInformation). */
enum { KFH_OBJ_Q_NAME, KFH_OBJ_Q_GUID, KFH_OBJ_Q_PROPERTIES, KFH_OBJ_Q_FSTYPE, KFH_OBJ_Q_WRITABLE, KFH_OBJ_Q_BASIC,
       KFH_OBJ_Q_FULL, KFH_OBJ_Q_COUNT };
/* The buffer a query passes: none at all (both pointers NULL; properties and instance information:
 * NULL and 0 bytes), only the size pointer (properties and instance information: one byte less than
 * the fixed part, resp. the whole), a buffer one character short (properties and instance
 * information: exactly the fixed part), the size needed. The type and writability queries pass
 * their out pointer whatever this says. */
enum { KFH_OBJ_BUF_NONE, KFH_OBJ_BUF_SIZE, KFH_OBJ_BUF_SMALL, KFH_OBJ_BUF_FIT, KFH_OBJ_BUF_COUNT };
enum { KFH_OBJ_ENUM_VOLUMES, KFH_OBJ_ENUM_INSTANCES, KFH_OBJ_ENUM_FILTERS, KFH_OBJ_ENUM_COUNT };
#define KFH_APOOL_SLOTS 4
#define KFH_APOOL_PAGED 4
/* The sizes asked: 0 (one sector, FO-8), 100, 512 and 4096 bytes. */
enum { KFH_APOOL_SIZE_COUNT = 4 };
/* Which free: the slot's buffer; the buffer the slot freed last; a pointer that is no pool; the
 * slot's buffer with ExFreePoolWithTag; pool slot a's ExAllocatePoolWithTag block with
 * FltFreePoolAlignedWithTag; the slot's buffer with another instance; with another tag. */
enum { KFH_APOOL_FREE_SLOT, KFH_APOOL_FREE_AGAIN, KFH_APOOL_FREE_FOREIGN, KFH_APOOL_FREE_EX, KFH_APOOL_FREE_POOL,
       KFH_APOOL_FREE_OTHER, KFH_APOOL_FREE_TAG, KFH_APOOL_FREE_COUNT };
/* Extra create parameter operand tables (version 15). */
#define KFH_ECP_LIST_SLOTS 4
#define KFH_ECP_SLOTS 4
#define KFH_ECP_LA_SLOTS 2
#define KFH_ECP_TYPES 4
#define KFH_ECP_SIZES 4         /* 0, 16, 200, 16 MiB + 1 bytes */
/* What a list allocation gets wrong: nothing, EcpList NULL, a flag FE-2 does not know. */
enum { KFH_ECPL_MIS_NONE, KFH_ECPL_MIS_NULL, KFH_ECPL_MIS_FLAGS, KFH_ECPL_MIS_COUNT };
/* Which pointer a routine gets from a slot: the slot's, the one it held and that was freed, one no
 * allocation returned, NULL. */
enum { KFH_ECP_PASS_SLOT, KFH_ECP_PASS_AGAIN, KFH_ECP_PASS_FOREIGN, KFH_ECP_PASS_NULL, KFH_ECP_PASS_COUNT };
enum { KFH_ECP_NONPAGED = 4, KFH_ECP_FROM_LA = 8 };
/* What an ECP allocation gets wrong: nothing, EcpType NULL, EcpContext NULL, an unknown flag, a
 * pool tag of zero. */
enum { KFH_ECP_MIS_NONE, KFH_ECP_MIS_NULL_TYPE, KFH_ECP_MIS_NULL_CONTEXT, KFH_ECP_MIS_FLAGS, KFH_ECP_MIS_TAG,
       KFH_ECP_MIS_COUNT };
/* The CurrentEcpContext of a walk: none (the first), the ECP of slot 0 to 3; or EcpList NULL. */
enum { KFH_ECP_NEXT_FIRST, KFH_ECP_NEXT_AFTER0, KFH_ECP_NEXT_NULL_LIST = KFH_ECP_NEXT_AFTER0 + KFH_ECP_SLOTS,
       KFH_ECP_NEXT_COUNT };
enum { KFH_ECP_MARK_ACK, KFH_ECP_MARK_IS_ACK, KFH_ECP_MARK_REUSE, KFH_ECP_MARK_FROM_USER, KFH_ECP_MARK_COUNT };
/* Lookaside operations: NonPagedPool, and what they get wrong: nothing, Flags (an unknown flag at
 * init, other flags than at init for a delete), a pool tag of zero (init). */
enum { KFH_ECP_LA_DELETE = 1, KFH_ECP_LA_NONPAGED = 2 };
enum { KFH_ECP_LA_MIS_NONE, KFH_ECP_LA_MIS_FLAGS, KFH_ECP_LA_MIS_TAG, KFH_ECP_LA_MIS_COUNT };
enum { KFH_ECP_ATTACH_USER = 4, KFH_ECP_ATTACH_ACKED = 8 };
/* Filter-initiated file I/O operand tables (version 15). */
#define KFH_FIO_SLOTS 4
/* The routine a create calls. */
enum { KFH_FIO_CR_PLAIN, KFH_FIO_CR_EX, KFH_FIO_CR_EX2, KFH_FIO_CR_COUNT };
#define KFH_FIO_ANY_INSTANCE 16 /* Instance NULL: the filter's instance on the name's volume */
/* The argument a create gets wrong (FI-1): none, IoStatusBlock NULL, the instance of another
 * volume than the name's, Flags outside the IO_* create flags, a device name no volume has, a
 * name without a leading backslash. */
enum { KFH_FIO_CMIS_NONE, KFH_FIO_CMIS_NULL_IOSB, KFH_FIO_CMIS_OTHER_VOLUME, KFH_FIO_CMIS_FLAGS,
       KFH_FIO_CMIS_NO_VOLUME, KFH_FIO_CMIS_RELATIVE, KFH_FIO_CMIS_COUNT };
/* CreateOptions: FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE (both: a parameter error); without
 * KFH_FIO_READ_ONLY the access asks to write too. */
enum { KFH_FIO_DISPOSITION = 7, KFH_FIO_DIR = 8, KFH_FIO_NONDIR = 16, KFH_FIO_READ_ONLY = 32 };
/* What a close operation does: FltClose of the slot's handle, of the handle it closed before, of
 * NULL, of a handle ObOpenObjectByPointer opened on its file object; or ObDereferenceObject of the
 * slot's file object. */
enum { KFH_FIO_CLOSE_HANDLE, KFH_FIO_CLOSE_AGAIN, KFH_FIO_CLOSE_NULL, KFH_FIO_CLOSE_FOREIGN, KFH_FIO_CLOSE_OBJECT,
       KFH_FIO_CLOSE_COUNT };
/* The routine an I/O operation calls: FltReadFile, FltWriteFile, FltQueryInformationFile
 * (FileStandardInformation), FltSetInformationFile (FileEndOfFileInformation, to the offset),
 * FltQueryVolumeInformation (FileFsDeviceInformation; a: the volume), FltFlushBuffers,
 * FltQueryDirectoryFile (FileNamesInformation, one entry, from the start). */
enum { KFH_FIO_IO_READ, KFH_FIO_IO_WRITE, KFH_FIO_IO_QUERY, KFH_FIO_IO_SET_EOF, KFH_FIO_IO_VOLUME, KFH_FIO_IO_FLUSH,
       KFH_FIO_IO_DIRECTORY, KFH_FIO_IO_COUNT };
#define KFH_FIO_ASYNC 8 /* a read or write with a CallbackRoutine */
/* The argument an I/O operation gets wrong (FI-3, FI-7): none, FileObject NULL, the instance of
 * another volume than the file's, Flags with a bit the routine does not know. */
enum { KFH_FIO_MIS_NONE, KFH_FIO_MIS_NULL_OBJECT, KFH_FIO_MIS_WRONG_VOLUME, KFH_FIO_MIS_FLAGS, KFH_FIO_MIS_COUNT };

/* Generic work item operand tables (version 14). */
#define KFH_WI_SLOTS 4
/* FltObject: the filter, or the instance on volume 0 to 3. */
enum { KFH_WI_OBJ_FILTER, KFH_WI_OBJ_INSTANCE0, KFH_WI_OBJ_COUNT = KFH_WI_OBJ_INSTANCE0 + 4 };
/* The argument a queue operation gets wrong (FW-2): none, WorkerRoutine NULL, a QueueType that is
 * neither CriticalWorkQueue nor DelayedWorkQueue, a FltObject that is no filter or instance, an
 * item pointer no allocation returned. */
enum { KFH_WI_MIS_NONE, KFH_WI_MIS_NULL_ROUTINE, KFH_WI_MIS_QUEUE_TYPE, KFH_WI_MIS_OBJECT, KFH_WI_MIS_ITEM,
       KFH_WI_MIS_COUNT };
/* What the runner's work routine does: return, free its item, queue its item again (same object),
 * return at APC_LEVEL. */
enum { KFH_WI_DO_NOTHING, KFH_WI_DO_FREE, KFH_WI_DO_REQUEUE, KFH_WI_DO_BAD_IRQL, KFH_WI_DO_COUNT };
#define KFH_WI_DELAYED 4
/* Which pointer a free operation passes: the slot's item, the item the slot freed last, a
 * pointer no allocation returned. */
enum { KFH_WI_FREE_SLOT, KFH_WI_FREE_AGAIN, KFH_WI_FREE_FOREIGN, KFH_WI_FREE_COUNT };

/* Filter Manager operand tables (version 2). */
#define KFH_CBD_SLOTS 4
#define KFH_FLT_VOLUMES 4
enum { KFH_CBD_EX = 1, KFH_CBD_NULL_INSTANCE = 2, KFH_CBD_FILE = 4 };
enum { KFH_THEN_NOTHING, KFH_THEN_FREE, KFH_THEN_REUSE, KFH_THEN_REISSUE, KFH_THEN_COUNT };
enum { KFH_FREE_SLOT, KFH_FREE_AGAIN, KFH_FREE_FOREIGN, KFH_FREE_COUNT };
#define KFH_ALLOC_FLAGS_COUNT 4 /* 0, PREALLOCATE_ALL_MEMORY, 0x2, 0x80000001 */
#define KFH_MAJOR_COUNT 12
#define KFH_IRPFLAGS_COUNT 4    /* none, IRP_SYNCHRONOUS_API, IRP_PAGING_IO|IRP_NOCACHE, IRP_NOCACHE */
#define KFH_LOWER_COUNT 8       /* index 0: the defaults */
#define KFH_ASYNC_IRQL_COUNT 3  /* PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL */
ULONG kfh_alloc_flags_at(size_t index);
UCHAR kfh_major_at(size_t index);
const char *kfh_major_name(size_t index);
ULONG kfh_irpflags_at(size_t index);
const char *kfh_irpflags_name(size_t index);
NTSTATUS kfh_lower_status_at(size_t index);

/* Registry operand tables (version 3). */
#define KFH_REG_VALUES 8        /* value indexes a driver target can name */
#define KFH_REG_TYPES 8         /* REG_DWORD, REG_SZ, REG_BINARY, REG_MULTI_SZ, REG_QWORD, REG_EXPAND_SZ, REG_NONE, absent */
#define KFH_REG_ABSENT 7        /* the type index that removes the value */
enum { KFH_REG_TYPE_MASK = 7, KFH_REG_LENGTH_ODD = 8, KFH_REG_TERMINATED = 16 };
ULONG kfh_reg_type_at(size_t index);
const char *kfh_reg_type_name(size_t index);

/* The port client's operand tables (version 4). The message buffer: msg_word appends 4 bytes
 * (little-endian) to it, up to KFH_MSG_MAX; port_connect, msg_send and port_answer take its
 * first N bytes (zeros past what was appended) and empty it. */
#define KFH_CLIENT_SLOTS 4      /* connections a scenario can hold at once */
#define KFH_CLIENT_PORTS 4      /* port indexes: the target's kfh_minifilter.ports */
#define KFH_MSG_MAX 512         /* bytes of a message, a connection context or a reply */
enum { KFH_SEND_NO_INPUT = 1, KFH_SEND_NO_OUTPUT = 2 };
enum { KFH_ANSWER_REPLY, KFH_ANSWER_NO_REPLY, KFH_ANSWER_NEVER_READ, KFH_ANSWER_DISCONNECT, KFH_ANSWER_COUNT };
const char *kfh_answer_name(size_t index);
/* A msg_send's sizes. */
#define KFH_SEND_IN(op) ((ULONG)((op)->size_raw & 0xFFFFu))
#define KFH_SEND_OUT(op) ((ULONG)((op)->size_raw >> 16))
/* File operand tables (version 5): a file, directory or stream on a minifilter target's volume. */
#define KFH_FILE_NAMES 16       /* the names a file operation can put (kfh_file_name_at) */
enum { KFH_FILE_VOLUME_MASK = 3, KFH_FILE_READONLY = 4, KFH_FILE_HIDDEN = 8, KFH_FILE_DIRECTORY = 16,
       KFH_FILE_FLAGS = 31 };
/* The name at index (modulo KFH_FILE_NAMES), from the volume's root, as a NUL-terminated WCHAR
 * string: extensions .txt .exe .dll .docx .tmp .xlsx, a stream (:Zone.Identifier), a short
 * 8.3 name, directories, long names, names with spaces and non-ASCII names. */
const WCHAR *kfh_file_name_at(size_t index);
/* The same name as ASCII for traces and reports (non-ASCII characters as '?'). */
const char *kfh_file_name_text(size_t index);

enum { KFH_EXP_EX = 1, KFH_EXP_WAIT = 2, KFH_EXP_CONTEXT = 4, KFH_EXP_NULL_CALLOUT = 8 };

/* Minifilter operand tables (version 6; harness/scenario_mf.c, docs/SCENARIO_FORMAT.md). */
#define KFH_MF_SLOTS 8          /* file objects a scenario keeps */
#define KFH_MF_VOLUMES 4
#define KFH_MF_NAMES 16         /* the table of realistic paths (each with its usual extension) */
#define KFH_MF_DISPOSITIONS 6   /* FILE_SUPERSEDE .. FILE_OVERWRITE_IF */
#define KFH_MF_ACCESSES 4
#define KFH_MF_ANSWERS 8        /* index 0: the file system's answer; KFH_MF_HELD: held below */
#define KFH_MF_HELD 6
#define KFH_MF_IO_KINDS 14
enum { KFH_MF_EXISTS = 0x20, KFH_MF_DIRECTORY = 0x40, KFH_MF_KERNEL = 0x80 };
enum { KFH_MF_OPT_DELETE_ON_CLOSE = 0x08, KFH_MF_OPT_SYNC = 0x10, KFH_MF_OPT_NO_BUFFERING = 0x20,
       KFH_MF_OPT_WRITE_THROUGH = 0x40, KFH_MF_OPT_OPEN_REPARSE = 0x80 };
enum { KFH_MF_ATTR_READONLY = 1, KFH_MF_ATTR_HIDDEN = 2, KFH_MF_ATTR_SYSTEM = 4 };
enum {
    KFH_MF_READ, KFH_MF_WRITE, KFH_MF_QUERY_INFO, KFH_MF_SET_INFO, KFH_MF_QUERY_DIR, KFH_MF_NOTIFY_DIR,
    KFH_MF_CLEANUP, KFH_MF_CLOSE, KFH_MF_FSCTL, KFH_MF_IOCTL, KFH_MF_LOCK, KFH_MF_UNLOCK, KFH_MF_FLUSH,
    KFH_MF_QUERY_VOLUME
};
/* Read and write variant bits. */
enum { KFH_MF_RW_PAGING = 1, KFH_MF_RW_NOCACHE = 2, KFH_MF_RW_SYNC_API = 4, KFH_MF_RW_FAST = 8,
       KFH_MF_RW_SYNC_PAGING = 16, KFH_MF_RW_AT_APC = 32 };
/* The path of name i from the volume's root, without extension ("\Users\alice\Desktop\notes"),
 * its short key for the text form ("notes"), and its usual extension ("txt"; "" for none). */
const char *kfh_mf_name_path(size_t i);
const char *kfh_mf_name_key(size_t i);
const char *kfh_mf_name_ext(size_t i);
/* The directories every volume holds for the table's paths, in creating order; NULL ends it. */
const char *kfh_mf_directory_at(size_t i);
ULONG kfh_mf_disposition_at(size_t i);
const char *kfh_mf_disposition_name(size_t i);
ACCESS_MASK kfh_mf_access_at(size_t i);
const char *kfh_mf_access_name(size_t i);
NTSTATUS kfh_mf_answer_at(size_t i);      /* STATUS_SUCCESS for 0 (the file system) and KFH_MF_HELD */
const char *kfh_mf_answer_name(size_t i);
const char *kfh_mf_io_name(size_t i);
/* The extension in an mf_create's size_raw as text (at most 4 characters and a NUL). */
void kfh_mf_ext_text(uint32_t raw, char out[5]);
/* size_raw for the extension `ext` (at most 4 characters). */
uint32_t kfh_mf_ext_raw(const char *ext);

/* Context operand tables (version 7). The conformance runner's filter registers volume contexts
 * of KFH_CTX_VOLUME_SIZE bytes, instance contexts of KFH_CTX_INSTANCE_SIZE, stream contexts of
 * any size and stream-handle contexts of up to KFH_CTX_HANDLE_SIZE (NO_EXACT_SIZE_MATCH), each
 * with a cleanup callback. Slots hold one reference each. The owners: a volume or an instance
 * (by volume), or a stream or stream handle of one of KFH_CTX_FILES file objects the runner
 * keeps on the instance: files 0 and 1 are two handles of one stream (one FsContext), file 2
 * has no FsContext. */
#define KFH_CTX_SLOTS 8
#define KFH_CTX_TYPES 6         /* volume, instance, stream, stream_handle, transaction, two_types */
#define KFH_CTX_POOLS 4         /* nonpaged_nx, paged, nonpaged, cache_aligned */
#define KFH_CTX_SIZES 5         /* registered, small, large, zero, huge */
#define KFH_CTX_OPS 3           /* replace, keep, invalid */
#define KFH_CTX_FILES 3
#define KFH_CTX_VOLUME_SIZE 32
#define KFH_CTX_INSTANCE_SIZE 24
#define KFH_CTX_STREAM_SIZE 64  /* the "registered" size asked for a stream context (variable-size) */
#define KFH_CTX_HANDLE_SIZE 40
enum { KFH_CTX_VOLUME, KFH_CTX_INSTANCE, KFH_CTX_STREAM, KFH_CTX_HANDLE }; /* type and owner kinds */
enum { KFH_CTX_KIND_MASK = 3, KFH_CTX_VOL_SHIFT = 2, KFH_CTX_FILE_SHIFT = 4, KFH_CTX_FLAG = 0x40 };
enum { KFH_CTX_WITH_OLD = 4, KFH_CTX_OLD_SHIFT = 3 };
enum { KFH_CTX_REL_SLOT, KFH_CTX_REL_AGAIN, KFH_CTX_REL_NULL, KFH_CTX_REL_FOREIGN, KFH_CTX_REL_COUNT };
unsigned short kfh_ctx_type_at(size_t index); /* FLT_CONTEXT_TYPE */
const char *kfh_ctx_type_name(size_t index);
int kfh_ctx_pool_at(size_t index);              /* POOL_TYPE */
const char *kfh_ctx_pool_name(size_t index);
const char *kfh_ctx_size_name(size_t index);
/* The bytes ctx_alloc asks for a type index and a size index. */
SIZE_T kfh_ctx_size(size_t type, size_t size_index);
const char *kfh_ctx_kind_name(size_t kind);  /* volume, instance, stream, stream_handle */
const char *kfh_ctx_op_name(size_t index);   /* replace, keep, invalid */
int kfh_ctx_op_at(size_t index);                /* FLT_SET_CONTEXT_OPERATION */
const char *kfh_ctx_release_name(size_t index); /* "", again, null, foreign */

/* File name operand tables (version 7). name_get names the callback data slot's file object (the
 * runner's one file object, FILE_OBJECT without FsContext; callback data allocated without
 * `file` has none) with the name at an index: 0-15 kfh_file_name_at, 16 the empty name (the
 * volume's root), 17-23 names that end in a backslash or ::$DATA, or do not parse. Four slots
 * hold one reference each to a FLT_FILE_NAME_INFORMATION. */
#define KFH_NAME_SLOTS 4
#define KFH_NAMES 24
#define KFH_NAME_FORMATS 4      /* invalid (0), normalized, opened, short */
#define KFH_NAME_METHODS 5      /* default, cache_only, filesystem_only, always_allow, invalid (0x500) */
enum { KFH_NAME_REL_SLOT, KFH_NAME_REL_AGAIN, KFH_NAME_REL_FOREIGN, KFH_NAME_REL_COUNT };
const WCHAR *kfh_name_at(size_t index);  /* NUL-terminated */
const char *kfh_name_format_name(size_t index);
const char *kfh_name_method_name(size_t index);
unsigned long kfh_name_options(size_t format, size_t method); /* FLT_FILE_NAME_OPTIONS */
const char *kfh_name_release_name(size_t index); /* "", again, foreign */

/* Symbolic sizes, resolved against the profile in force when the operation runs. */
typedef enum kfh_size_sel {
    KFH_SIZE_RAW = 0, KFH_SIZE_ZERO, KFH_SIZE_MAX, KFH_SIZE_MAX_PLUS1, KFH_SIZE_MAX_MINUS1,
    KFH_SIZE_STACK, KFH_SIZE_LARGE, KFH_SIZE_SIZE_T_MAX, KFH_SIZE_PAGE, KFH_SIZE_REMAINING,
    KFH_SIZE_REMAINING_PLUS1, KFH_SIZE_SEL_COUNT
} kfh_size_sel;

#define KFH_POOL_SLOTS 8

typedef struct kfh_op {
    uint8_t code;      /* kfh_opcode */
    uint8_t depth;     /* nesting depth of this op (0 at top level) */
    uint8_t a, b, c;
    uint8_t size_sel;  /* kfh_size_sel */
    uint32_t size_raw; /* also a plain 32-bit field of version-2 operations */
    uint16_t body;     /* ops in the body (all descendants), which follow this op */
} kfh_op;

/* A reg_value operation's length in bytes (0 to 511) and its bytes: the data word,
 * little-endian, repeated; terminated: the last 2 bytes (4 for REG_MULTI_SZ) are zero.
 * Writes at most cap bytes; returns the length. */
ULONG kfh_reg_value_bytes(const kfh_op *op, UCHAR *buf, size_t cap);
/* A file operation's size in bytes (0 to 65535; 0 for a directory) and its bytes: the data
 * word, little-endian, repeated. Writes at most cap bytes; returns the size. */
ULONG kfh_file_bytes(const kfh_op *op, UCHAR *buf, size_t cap);

typedef struct kfh_scenario {
    uint8_t version;
    uint16_t n;
    kfh_op ops[KFH_MAX_OPS];
} kfh_scenario;

/* The lowest version whose opcodes carry every operation of s; of one opcode. */
uint8_t kfh_scenario_min_version(const kfh_scenario *s);
uint8_t kfh_op_min_version(int code);
/* 1 when this build reads scenario format version v (1 to KFH_SCENARIO_VERSION), else 0. */
int kfh_scenario_version_known(unsigned v);

/* Any bytes whose first byte is a known version decode into a scenario (values are
 * clamped, missing bytes read as zero, extra ops and nesting beyond the bounds are cut).
 * Returns 0, or -1 with a sentence in err (empty input, unknown version). */
int kfh_scenario_decode(const uint8_t *data, size_t size, kfh_scenario *out, char *err, size_t errlen);
/* Canonical bytes of a scenario; returns the length (may exceed cap: nothing is written
 * past cap, call again with a larger buffer). */
size_t kfh_scenario_encode(const kfh_scenario *s, uint8_t *buf, size_t cap);
/* The text form; returns the length (like snprintf). */
size_t kfh_scenario_format(const kfh_scenario *s, char *buf, size_t cap);
/* One operation's line, without its body. */
size_t kfh_op_format(const kfh_op *op, char *buf, size_t cap);
/* Parses the text form. Returns 0, or -1 with "line L, column C: ..." in err. */
int kfh_scenario_parse(const char *text, kfh_scenario *out, char *err, size_t errlen);
/* Reads a file in either form (bytes start with a control byte, text never does). */
int kfh_scenario_load(const char *path, kfh_scenario *out, char *err, size_t errlen);
/* Names for the text form. */
const char *kfh_op_name(int code);
size_t kfh_status_count(void);
NTSTATUS kfh_status_at(size_t index);
const char *kfh_status_name(NTSTATUS s);
/* Self-checks of the format (harness/scenario_check.c), for the harness's own fuzz targets
 * and tests. kfh_scenario_equal: 1 when a and b are the same scenario, else 0 with the first
 * difference in msg. kfh_selfcheck_bytes: any bytes, as they are and under every known
 * version: known versions decode, unknown ones are refused with a reason, and a decoded
 * scenario's text and canonical bytes both come back to it. kfh_selfcheck_text: any text
 * either parses to a scenario that survives bytes and text unchanged, or is refused with its
 * line and column. Both return 0, or -1 with the broken promise in msg. */
int kfh_scenario_equal(const kfh_scenario *a, const kfh_scenario *b, char *msg, size_t len);
int kfh_selfcheck_bytes(const uint8_t *data, size_t size, char *msg, size_t len);
int kfh_selfcheck_text(const char *text, char *msg, size_t len);
/* Resolves an op's size against the profile and the current remaining stack. */
SIZE_T kfh_size_resolve(uint8_t sel, uint32_t raw, const kf_profile *p, SIZE_T remaining);

/* ==== The oracle ===================================================================== */
/* Everything the prediction of one expansion depends on. */
typedef struct kfh_expand_in {
    kf_profile profile;
    int ex;                      /* KeExpandKernelStackAndCalloutEx */
    KIRQL irql;
    int callout_null, context_nonnull, wait;
    SIZE_T size;
    unsigned depth;              /* active callouts before the call */
    unsigned long long nest_limit;
    SIZE_T stack_size, remaining;
    int large;                   /* the current stack is a large stack */
    /* The decisions the plan gives, in consultation order (site and kind). */
    int n_decisions;
    kf_site dsite[4];
    kf_fault_kind dkind[4];
} kfh_expand_in;

typedef struct kfh_stop_pred {
    int stops;
    ULONG code;
    ULONG_PTR param[4];
    int n_params;                /* how many leading parameters the rules fix */
    const char *rule;
} kfh_stop_pred;

typedef struct kfh_expand_pred {
    kfh_stop_pred stop;          /* a stop on entry */
    NTSTATUS status;
    kf_expand_path path;
    unsigned callout_calls;
    int waited;
    SIZE_T inside_size, inside_remaining;
    int inside_large;
    int n_sites;
    kf_site sites[2];
    const char *rule;            /* the SEMANTICS.md rule that decided the outcome */
} kfh_expand_pred;

void kfh_oracle_expand(const kfh_expand_in *in, kfh_expand_pred *out);
/* A callout returning at exit_irql after entry at entry_irql (E-15). */
void kfh_oracle_callout_exit(KIRQL entry_irql, KIRQL exit_irql, kfh_stop_pred *out);
/* KeRaiseIrql / KeLowerIrql from `cur` to `to` on the profile's architecture (K-1, K-2). */
void kfh_oracle_raise_irql(const kf_profile *p, KIRQL cur, KIRQL to, kfh_stop_pred *out);
void kfh_oracle_lower_irql(KIRQL cur, KIRQL to, kfh_stop_pred *out);
/* An exception with no handler before the callout boundary or the thread's end (E-16, K-5). */
void kfh_oracle_unhandled(NTSTATUS code, unsigned depth, kfh_stop_pred *out);
/* PsTerminateSystemThread with `depth` active callouts (E-17, K-4). */
void kfh_oracle_terminate(unsigned depth, ULONG_PTR thread, kfh_stop_pred *out);
/* Pool allocation at irql (K-8): a stop, or which site is consulted. */
void kfh_oracle_pool_alloc(KIRQL irql, int paged, kfh_stop_pred *out);

/* ---- Filter Manager (rules F-* of model/SEMANTICS.md, facts of ROUTINES.md) ------------ */
/* FltRegisterFilter + FltStartFiltering of the harness's own filter on `volumes` volumes. */
typedef struct kfh_flt_start_pred {
    kfh_stop_pred stop;
    NTSTATUS status;             /* FltRegisterFilter's */
    unsigned instances;          /* bit v: volume v has an instance */
    int n_sites;
    kf_site sites[1 + KFH_FLT_VOLUMES];
} kfh_flt_start_pred;
/* dkind[i]: the decision of the i-th consultation (register, then one per volume). */
void kfh_oracle_flt_start(KIRQL irql, unsigned volumes, const kf_fault_kind *dkind, int n_decisions,
                          kfh_flt_start_pred *out);

typedef struct kfh_flt_alloc_in {
    kf_profile profile;
    int ex;
    KIRQL irql;
    int instance_null;           /* Instance passed as NULL (asked for, or no instance there) */
    int teardown;                /* the instance is marked as being torn down */
    ULONG flags;                 /* Ex only */
    int n_decisions;
    kf_site dsite[4];
    kf_fault_kind dkind[4];
} kfh_flt_alloc_in;
typedef struct kfh_flt_alloc_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    int n_sites;
    kf_site sites[2];
    const char *rule;
} kfh_flt_alloc_pred;
void kfh_oracle_flt_alloc(const kfh_flt_alloc_in *in, kfh_flt_alloc_pred *out);

/* One FltPerformSynchronousIo / FltPerformAsynchronousIo, or the deferred completion of one. */
typedef struct kfh_flt_io_in {
    int async;
    int completion;              /* the deferred completion of an asynchronous I/O */
    KIRQL irql;                  /* of the caller (of the code that completes it, for completion) */
    int prealloc;                /* allocated with the preallocate flag */
    int in_flight;               /* its asynchronous I/O has not completed */
    UCHAR major;
    ULONG irp_flags, length;
    int deferred;                /* asynchronous mode: deferred (else inline) */
    KIRQL completion_irql;       /* the chosen completion IRQL */
    int lower_set;               /* the lower layers answer lower_status / lower_info */
    NTSTATUS lower_status;
    ULONG_PTR lower_info;
    int n_decisions;
    kf_site dsite[4];
    kf_fault_kind dkind[4];
} kfh_flt_io_in;
typedef struct kfh_flt_io_pred {
    kfh_stop_pred stop;
    NTSTATUS ret;                /* FltPerformAsynchronousIo's return value */
    unsigned callbacks;          /* completion calls before the routine returns */
    KIRQL callback_irql;
    int pending;                 /* left for kf_flt_run_pending_completions */
    NTSTATUS io_status;          /* IoStatus when the I/O completed (STATUS_PENDING while pending) */
    ULONG_PTR io_info;
    int n_sites;
    kf_site sites[2];
    const char *rule;
} kfh_flt_io_pred;
void kfh_oracle_flt_io(const kfh_flt_io_in *in, kfh_flt_io_pred *out);

/* The state of callback data a routine is given, as the harness knows it. */
typedef enum kfh_cbd_state { KFH_CBD_LIVE, KFH_CBD_FREED, KFH_CBD_FOREIGN } kfh_cbd_state;
/* FltReuseCallbackData (F-13) and FltFreeCallbackData (F-12): stops only. `serial` is the
 * run's 1-based number of the callback data (for a double free). */
void kfh_oracle_flt_reuse(KIRQL irql, kfh_cbd_state st, int in_flight, int performed, kfh_stop_pred *out);
void kfh_oracle_flt_free(KIRQL irql, kfh_cbd_state st, int in_flight, unsigned serial, kfh_stop_pred *out);
/* FltUnregisterFilter (F-6): the callback data still allocated, pending ones in the order
 * their I/O started, with what each completion does (KFH_THEN_*; REISSUE is not predicted). */
typedef struct kfh_flt_held {
    unsigned volume;
    int pending;
    int then;
} kfh_flt_held;
void kfh_oracle_flt_unregister(KIRQL irql, const kfh_flt_held *held, int n, unsigned volumes, KIRQL completion_irql,
                               kfh_stop_pred *out);

/* ---- Filter Manager contexts (rules FC-* of model/SEMANTICS.md), harness/oracle_fltx.c ---- */
/* What the harness knows of the contexts of its filter: one record per context allocated in
 * the run, the references each slot holds, and what Filter Manager holds (attached). */
#define KFH_CTX_RECORDS 48
typedef struct kfh_ctx_rec {
    uint8_t type;                /* type index (KFH_CTX_VOLUME ..) */
    uint8_t paged;
    uint8_t attached;            /* 0, or the owner kind + 1 */
    uint8_t vol, key;            /* the owner: volume; file object (handle) or 0 (stream) */
    uint8_t cleaned;             /* its cleanup callback ran: the model freed it */
    int refs;
    unsigned freed_at;           /* successful allocations in the run when refs reached 0 */
} kfh_ctx_rec;
typedef struct kfh_ctx_state {
    kfh_ctx_rec rec[KFH_CTX_RECORDS];
    int n;                       /* records in use */
    unsigned allocs;             /* successful allocations */
    int slot[KFH_CTX_SLOTS];     /* the record whose reference the slot holds, -1: none */
    int stale[KFH_CTX_SLOTS];    /* the record the slot last released, -1: none */
} kfh_ctx_state;
void kfh_ctx_state_init(kfh_ctx_state *s);
/* One context routine's call as the runner makes it. */
typedef struct kfh_ctx_in {
    int op;                      /* KFH_OP_CTX_* (or KFH_OP_FLT_UNREGISTER) */
    KIRQL irql;
    int slot, slot2;             /* the op's slots (slot2: OldContext's, or the target of a reference) */
    int type, pool, size;        /* ctx_alloc's indexes */
    int kind, vol, file;         /* the owner */
    int set_op;                  /* ctx_set's operation index */
    int with_old, null_out;
    int variant;                 /* ctx_release's KFH_CTX_REL_* */
    int teardown;                /* the owner's instance is marked as being torn down */
    int n_decisions;
    kf_site dsite[2];
    kf_fault_kind dkind[2];
} kfh_ctx_in;
typedef struct kfh_ctx_pred {
    kfh_stop_pred stop;
    NTSTATUS status;             /* for routines with a status */
    int out_rec;                 /* the record *Context / *OldContext names; -1: NULL */
    int drains;                  /* the routine frees the contexts whose free was deferred (FC-11) */
    int n_sites;
    kf_site sites[1];
    const char *rule;
    kfh_ctx_state after;         /* the state after the call (slots included) */
} kfh_ctx_pred;
void kfh_oracle_ctx(const kfh_ctx_state *s, const kfh_ctx_in *in, kfh_ctx_pred *out);
/* FltUnregisterFilter's part (FC-14, FC-15), when F-6 predicts no stop. */
void kfh_oracle_ctx_unregister(const kfh_ctx_state *s, kfh_ctx_pred *out);
/* ---- Filter Manager file names (rules FN-1 to FN-9), harness/oracle_fltx.c ---------------- */
/* FltGetFileNameInformation on callback data of the runner's. */
typedef struct kfh_name_in {
    KIRQL irql;
    int has_file;                /* Iopb->TargetFileObject is the runner's file object */
    UCHAR major;
    ULONG irp_flags;
    int format, method;          /* indexes */
    int n_decisions;
    kf_site dsite[2];
    kf_fault_kind dkind[2];
} kfh_name_in;
typedef struct kfh_name_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    int n_sites;
    kf_site sites[1];
    const char *rule;
} kfh_name_pred;
void kfh_oracle_name_get(const kfh_name_in *in, kfh_name_pred *out);
/* The Name a successful call returns for the name at name_index opened on volume `volume` in
 * format index `format` (FN-1, FV-3): writes at most cap characters, returns its length, and
 * the volume part's length in *volume_chars. */
size_t kfh_name_expected(unsigned volume, size_t name_index, int format, WCHAR *out, size_t cap, size_t *volume_chars);
/* FltParseFileNameInformation of a Name (FN-8, FN-9): STATUS_SUCCESS with each part as an offset
 * into Name and a length in characters (length 0: the part is absent), or
 * STATUS_OBJECT_NAME_INVALID. */
typedef struct kfh_name_parts {
    NTSTATUS status;
    size_t volume, parent_at, parent, final_at, final, stream_at, stream, ext_at, ext;
} kfh_name_parts;
void kfh_oracle_name_parse(const WCHAR *name, size_t chars, size_t volume_chars, kfh_name_parts *out);

/* The reach text of a routine's outcome names the status with this (kfh_status_name, then the
 * Filter Manager context and name codes). */
const char *kfh_ctx_status_name(NTSTATUS s, char *buf, size_t len);

/* ==== Findings ======================================================================= */
typedef struct kfh_finding {
    int inv;                 /* KFH_INV_* */
    int op;                  /* index of the operation (-1: the run as a whole) */
    char routine[64];
    char site[32];           /* "-" when no site is involved */
    char expected[256];
    char actual[512];
    char signature[160];     /* KF-INV-nnn/routine/site */
} kfh_finding;

/* Observed outcome of one returning expansion, as the runner measured it. */
typedef struct kfh_expand_obs {
    NTSTATUS status;
    unsigned calls;               /* callout invocations the harness counted */
    int param_ok;                 /* every invocation received the Parameter passed */
    SIZE_T remaining_in;          /* IoGetRemainingStackSize() at callout entry */
    KIRQL irql_in, irql_after;
    SIZE_T remaining_after;
    unsigned depth_in;            /* kf_callout_depth() at callout entry */
    kf_expand_record rec;         /* kf_last_expand() after the call */
    int n_sites;
    kf_site sites[8];
} kfh_expand_obs;

/* Compares an expansion's observed outcome with the prediction; appends findings to out
 * (at most max) and returns how many it found. Routine names come from in->ex. */
int kfh_check_expand(const kfh_expand_in *in, const kfh_expand_pred *pred, const kfh_expand_obs *obs,
                     kfh_finding *out, int max);
/* What the runner saw of one allocation. The *_ok fields hold for a successful one. */
typedef struct kfh_flt_alloc_obs {
    NTSTATUS status;
    int ret_null;                /* *RetNewCallbackData is NULL */
    int targets_ok;              /* Iopb->TargetInstance / TargetFileObject as passed */
    int fields_ok;               /* Flags, Iopb codes and parameters, IoStatus, contexts as F-10 says */
    int n_sites;
    kf_site sites[8];
} kfh_flt_alloc_obs;
int kfh_check_flt_alloc(const kfh_flt_alloc_in *in, const kfh_flt_alloc_pred *pred, const kfh_flt_alloc_obs *obs,
                        kfh_finding *out, int max);

typedef struct kfh_flt_io_obs {
    NTSTATUS ret;                /* async only */
    unsigned callbacks;          /* completion calls seen before the routine returned */
    KIRQL callback_irql;
    NTSTATUS io_status;
    ULONG_PTR io_info;
    int n_sites;
    kf_site sites[8];
} kfh_flt_io_obs;
int kfh_check_flt_io(const kfh_flt_io_in *in, const kfh_flt_io_pred *pred, const kfh_flt_io_obs *obs,
                     kfh_finding *out, int max);
/* After FltReuseCallbackData returned (F-13). */
int kfh_check_flt_reuse(int targets_ok, int fields_ok, kfh_finding *out, int max);
/* After FltReuseCallbackData returned: Thread is the thread that reused it, PsGetCurrentThread()
 * at the call (F-15 reinitializes as F-12 says). Returns 1 and fills *out when it is not. */
int kfh_check_flt_reuse_thread(const void *thread, const void *current, kfh_finding *out);
/* A completion callback called `calls` times for one asynchronous I/O (F-15). */
int kfh_check_flt_completions(unsigned calls, kfh_finding *out);

/* Compares a stop with the prediction (either may be absent). Returns 1 and fills *out when
 * they disagree. */
int kfh_check_stop(const kfh_stop_pred *pred, const kf_stop *actual, kfh_finding *out);
/* Fills the signature from inv, routine and site. */
void kfh_finding_sign(kfh_finding *f);

/* ==== Reach ========================================================================== */
/* What runs reached, accumulated over any number of runs: the operations executed, the
 * fault sites consulted and failed, and each distinct outcome of a routine as one line of
 * text, "Routine: result", where result is a status ("STATUS_NO_MEMORY"), "bug check 0xA
 * IRQL_NOT_LESS_OR_EQUAL", "violation 0x2003 flt-callback-data-double-free", or a word for
 * routines without a status ("freed", "caught by the handler"). Used to prove that seed
 * corpora reach every operation and every documented outcome. Never hashed, never traced. */
#define KFH_REACH_MAX 1024
#define KFH_REACH_TEXT 96
typedef struct kfh_reach {
    unsigned long long ops[KFH_OP_COUNT];     /* operations entered */
    unsigned long long skipped[KFH_OP_COUNT]; /* of those, skipped or ignored by the runner */
    unsigned long long consulted[KF_SITE_COUNT], injected[KF_SITE_COUNT];
    int n;                                       /* distinct outcomes recorded */
    unsigned long long lost;                     /* outcomes that did not fit */
    char outcome[KFH_REACH_MAX][KFH_REACH_TEXT];
    unsigned long long count[KFH_REACH_MAX];
} kfh_reach;
/* Counts the outcome (printf-style text); a new one is added while there is room. */
void kfh_reach_outcome(kfh_reach *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kfh_reach_voutcome(kfh_reach *r, const char *fmt, va_list ap);
/* How often the outcome was recorded (0: never). */
unsigned long long kfh_reach_count(const kfh_reach *r, const char *outcome);
/* Operations executed (entered and not skipped), sites, then outcomes, one per line. */
void kfh_reach_print(FILE *f, const kfh_reach *r);

/* ==== Running ======================================================================== */
#define KFH_MAX_FINDINGS 16
typedef struct kfh_config {
    kfh_plan_config plan;
    int capture;        /* 1: record findings and return; 0: report and abort() */
    FILE *echo;         /* echo the trace as it happens (NULL: quiet) */
    int lie;            /* tests only: the hook logs "none" while answering "hard" */
    int model_lie;      /* tests only, a model bug the version-7 checks must see: 1 the model keeps a
                         * new context with one reference less than the runner records, 2 it
                         * answers ctx_alloc for another size, 3 it keeps one context the runner
                         * counts as freed, 4 it names another file than name_get opened, 5 it
                         * keeps one name reference less than the runner records; for version 14:
                         * 6 it keeps a work item the runner records as freed, 7 a run calls one
                         * routine less than were queued; for version 15: 8 it answers a deferred
                         * queue or a cancel-safe queue removal with another value, 9 it keeps
                         * one callback data more in a cancel-safe queue than the runner records,
                         * 10 it keeps a security descriptor the runner records as freed, 11 it
                         * hands the message callback one input byte less than the client sent,
                         * 12 it keeps one object reference less than the runner records, 13 an
                         * enumeration lists one object less than it counts,
                         * 14 it keeps a handle FltClose closed, 15 a read returns one byte less
                         * than the file holds, 16 it keeps an ECP the runner records as freed, 17
                         * it forgets an acknowledgement */
    kfh_reach *reach;   /* when set, every run adds what it reached to it */
} kfh_config;

typedef struct kfh_result {
    uint64_t trace_hash;
    size_t events;
    int n_findings;
    kfh_finding findings[KFH_MAX_FINDINGS];
    int stops;                /* stops caught (predicted or not) */
    int injected_any;
    kfh_site_stats plan_stats;
    kf_fault_stats model_stats;
} kfh_result;

/* The configuration the options in force describe (plan from KFAULT_OPTIONS). */
int kfh_config_from_options(kfh_config *cfg, char *err, size_t errlen);
/* Runs a scenario from a fresh model reset, checking every operation. Returns the number
 * of findings (in abort mode a finding never returns). Leaves the model reset, with the
 * profile of the options restored. */
int kfh_run(const kfh_scenario *s, const kfh_config *cfg, kfh_result *res);

/* Systematic enumeration: runs with plan nth = 1, 2, ... until a run injects nothing (or
 * max_runs). Every run is checked. */
typedef struct kfh_enum_result {
    unsigned runs;
    int complete;            /* stopped because a run injected nothing */
    int n_findings;
    kfh_finding first;       /* the first finding, if any */
    unsigned long long first_nth;
} kfh_enum_result;
int kfh_enumerate(const kfh_scenario *s, const kfh_config *cfg, unsigned max_runs, kfh_enum_result *out);

/* Prints the finding report (invariant, spec sentence, expected vs actual, profile, fault
 * decisions, the scenario as text, the tail of the trace). */
void kfh_report(FILE *f, const kfh_finding *fd, const kfh_scenario *s);

/* The start every fuzz entry point shares: the configuration of the options in force, read
 * on the first call only (a bad KFAULT_OPTIONS ends the process with exit status 2, as
 * kfh_options_init does before the first input), copied to *cfg, and the input decoded into
 * *s. Returns 0 for a scenario, non-zero for an input that is not one (to be skipped). */
int kfh_fuzz_decode(const uint8_t *data, size_t size, kfh_scenario *s, kfh_config *cfg);
/* The whole pipeline for a fuzz target: bytes -> scenario -> run -> verdict, in abort mode
 * with the options in force. Unknown versions and empty inputs return early. Returns 0. */
int kfh_fuzz_one(const uint8_t *data, size_t size);
/* kfh_run for a fuzz target: once capturing, with no trace text (kfh_trace_keep_text); a
 * run with a finding is made again with the text and cfg's own capture setting, which in
 * abort mode reports and aborts. */
void kfh_run_fuzz(const kfh_scenario *s, const kfh_config *cfg, kfh_result *res);
/* The Filter Manager prologue: a version-2 scenario whose first operation is not
 * flt_start gets `flt_start volumes` put in front of it (the last operation is cut when
 * the scenario is full), so that callback data operations find a started filter. Returns
 * 1 when it added the operation, 0 when the scenario is left as it was (version 1, or it
 * starts the filter itself). The result is an ordinary scenario: its text runs the same. */
#define KFH_PROLOGUE_VOLUMES KFH_FLT_VOLUMES
int kfh_scenario_flt_prologue(kfh_scenario *s, unsigned volumes);
/* kfh_fuzz_one with the Filter Manager prologue (KFH_PROLOGUE_VOLUMES volumes). */
int kfh_flt_fuzz_one(const uint8_t *data, size_t size);
/* For scenario targets' LLVMFuzzerInitialize, before the options are first read: grants
 * callouts 128 KiB of stack_slack (the interpreter's own frames run inside them) unless
 * KFAULT_OPTIONS sets stack_slack. */
void kfh_default_scenario_slack(void);
/* Options text with that stack_slack added when it names none: text itself, or buf (cap bytes)
 * holding the result (text when it does not fit). For options set directly (kf_options_set). */
const char *kfh_scenario_options(const char *text, char *buf, size_t cap);
/* For LLVMFuzzerInitialize: reads KFAULT_OPTIONS and checks all of it, the harness's fault
 * plan included; a bad value prints a sentence and exits with status 2 before any input runs
 * (harness/options_check.c). */
void kfh_options_init(void);

/* ==== Generic work items (version 14, harness/oracle_fltwork.c, SEMANTICS.md FW-1 to FW-6, FX-8 to FX-11) ==== */
/* The state of the item an operation names, as the runner's record has it. */
enum { KFH_WI_ITEM_IDLE, KFH_WI_ITEM_QUEUED, KFH_WI_ITEM_NONE };
/* The state of the FltObject a queue names: live, going (an instance torn down or marked so, or
 * the filter unregistering), or no filter or instance at all. */
enum { KFH_WI_OBJECT_LIVE, KFH_WI_OBJECT_GOING, KFH_WI_OBJECT_FOREIGN };
typedef struct kfh_wi_pred {
    kfh_stop_pred stop;
    NTSTATUS status;   /* FltQueueGenericWorkItem */
    int n_sites;       /* flt.workitem consultations */
    int allocated;     /* FltAllocateGenericWorkItem: 1 an item, 0 NULL */
    const char *rule;
} kfh_wi_pred;
/* FltAllocateGenericWorkItem at irql; decided: the site's decision (KF_FAULT_NONE when none yet). */
void kfh_oracle_wi_alloc(KIRQL irql, kf_fault_kind decided, kfh_wi_pred *out);
/* FltQueueGenericWorkItem at irql on an item in state `item`, with the misuse KFH_WI_MIS_* and a
 * FltObject in state `object`; queue_type the value passed. */
void kfh_oracle_wi_queue(KIRQL irql, int item, int misuse, ULONG queue_type, int object, kfh_wi_pred *out);
/* FltFreeGenericWorkItem at irql on an item in state `item`. */
void kfh_oracle_wi_free(KIRQL irql, int item, kfh_wi_pred *out);
/* A work routine that returns at IRQL `irql` (FW-5). */
void kfh_oracle_wi_return(KIRQL irql, kfh_stop_pred *out);
/* The text of the KFH_WI_* operands. */
const char *kfh_wi_misuse_name(int misuse);
const char *kfh_wi_do_name(int action);
const char *kfh_wi_free_name(int variant);
const char *kfh_wi_object_name(int object);

/* ==== Deferred I/O work items and cancel-safe queues (version 15, harness/oracle_fltq.c, SEMANTICS.md FW-1,
 * FW-3 to FW-9, FX-12 to FX-15) ==== */
/* The callback data a deferred queue names, as the runner's record has it. */
typedef struct kfh_dw_data {
    int null;     /* Data NULL */
    int irp;      /* FLTFL_CALLBACK_DATA_IRP_OPERATION set */
    int paging;   /* IRP_PAGING_IO in Iopb->IrpFlags */
    int instance; /* KFH_WI_OBJECT_* of Data->Iopb->TargetInstance */
} kfh_dw_data;
/* FltQueueDeferredIoWorkItem at irql on an item in state `item` (KFH_WI_ITEM_*), with the misuse
 * KFH_DW_MIS_* and queue_type the value passed. */
void kfh_oracle_dw_queue(KIRQL irql, int item, int misuse, ULONG queue_type, const kfh_dw_data *data,
                         kfh_wi_pred *out);
/* A FltCbdq operation (or the cancel of kf_flt_cbdq_cancel) on one queue. */
typedef struct kfh_cq_in {
    int op;          /* KFH_OP_CQ_* */
    KIRQL irql;
    int initialized; /* FltCbdqInitialize succeeded on it and the filter has not unregistered since */
    int enabled;
    int null_arg;    /* insert: Cbd NULL; remove: Context NULL */
    int not_irp;     /* insert: the callback data is not IRP-based */
    int in_queue;    /* insert, cancel: the callback data is in this queue */
    int found;       /* remove: an entry inserted with that Context; next: an entry PeekNextIo finds */
    int answer;      /* KFH_CQ_ANSWER_* */
    int bad;         /* KFH_CQ_BAD_* */
    int init_misuse; /* KFH_CQ_INIT_* or the position (1 to 8) of the NULL argument */
} kfh_cq_in;
typedef struct kfh_cq_pred {
    kfh_stop_pred stop;
    NTSTATUS status; /* FltCbdqInitialize, FltCbdqInsertIo */
    int locked;      /* Acquire called (Release too unless a stop comes first) */
    int insert_io;   /* InsertIo called */
    int changed;     /* the entry queued (insert) or taken out (remove, next, cancel), a stop or not */
    int returned;    /* remove, next: 0 the entry found, -1 NULL; cancel: kf_flt_cbdq_cancel's answer */
    int completed;   /* cancel: CompleteCanceledIo called */
    const char *rule;
} kfh_cq_pred;
void kfh_oracle_cq(const kfh_cq_in *in, kfh_cq_pred *out);
/* FltUnregisterFilter once its instances are gone, with `entries` callback data in its queues. */
void kfh_oracle_cq_unregister(size_t entries, kfh_stop_pred *out);
/* The text of the KFH_DW_* and KFH_CQ_* operands. */
const char *kfh_dw_misuse_name(int misuse);
const char *kfh_dw_free_name(int variant);
const char *kfh_cq_mis_name(int misuse);
const char *kfh_cq_answer_name(int answer);
const char *kfh_cq_bad_name(int bad);

/* ==== Communication ports (version 15, harness/oracle_fltport.c, SEMANTICS.md FP-1 to FP-8, FX-16 to FX-19) ==== */
/* The state of a port or descriptor an operation passes, as the runner's record has it: one
 * returned and not closed, NULL, or none (closed, or never returned). */
enum { KFH_PORT_LIVE, KFH_PORT_NULL, KFH_PORT_NONE };
typedef struct kfh_port_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    int n_sites;        /* consultations of the routine's site (flt.port.sd, flt.port, flt.message) */
    int delivered;      /* FltSendMessage: the client read the message */
    int disconnects;    /* FltSendMessage: the client closed its handle (DisconnectNotifyCallback ran) */
    int waits;          /* FltSendMessage: the timeout passed */
    ULONG reply_length; /* FltSendMessage: *ReplyLength afterwards */
    const char *rule;
} kfh_port_pred;
/* FltBuildDefaultSecurityDescriptor at irql; null: SecurityDescriptor NULL; decided: the site's
 * decision (KF_FAULT_NONE when none yet). */
void kfh_oracle_sd_build(KIRQL irql, int null, kf_fault_kind decided, kfh_port_pred *out);
/* FltFreeSecurityDescriptor at irql on a descriptor in state KFH_PORT_*. */
void kfh_oracle_sd_free(KIRQL irql, int state, kfh_port_pred *out);
/* FltCreateCommunicationPort at irql with the misuse KFH_PC_MIS_*, MaxConnections max, a name
 * that collides with an open server port or not, and the site's decision. */
void kfh_oracle_port_create(KIRQL irql, int misuse, LONG max, int collides, kf_fault_kind decided,
                            kfh_port_pred *out);
/* FltCloseCommunicationPort at irql on a server port in state KFH_PORT_*. */
void kfh_oracle_port_close(KIRQL irql, int state, kfh_port_pred *out);
/* FltCloseClientPort at irql: ClientPort NULL or not, *ClientPort in state KFH_PORT_*. */
void kfh_oracle_port_close_client(KIRQL irql, int null, int state, kfh_port_pred *out);
/* FltSendMessage at irql with the misuse KFH_PS_MIS_*, *ClientPort in state KFH_PORT_*, the
 * application's handle open or not, the client's answer (KFH_ANSWER_*) and reply size, a
 * ReplyBuffer of `room` bytes or none, the timeout KFH_PS_T_*, the site's decision. */
void kfh_oracle_port_send(KIRQL irql, int misuse, int state, int app_open, int answer, ULONG reply_size,
                          int with_reply, ULONG room, int timeout, kf_fault_kind decided, kfh_port_pred *out);
/* The application's connect (kf_flt_client_connect) to a name: found (an open server port of
 * this name), the connections of that port and its MaxConnections, refused by the connect
 * callback. */
void kfh_oracle_client_connect(int found, LONG connections, LONG max, int refused, kfh_port_pred *out);
/* The application's send (kf_flt_client_send): the connection held by both sides, the port's
 * message callback present, the bytes the callback claims for an output buffer of `room`
 * bytes (with_out 0: none). */
void kfh_oracle_client_send(int connected, int has_callback, ULONG claim, int with_out, ULONG room,
                            kfh_port_pred *out);
/* FltUnregisterFilter with server ports open and client ports not closed after its disconnect
 * callbacks ran (FP-8). */
void kfh_oracle_port_unregister(size_t servers, size_t clients, kfh_stop_pred *out);
/* A status's name for the port routines' traces (kfh_ctx_status_name for the others). */
const char *kfh_port_status_name(NTSTATUS s, char *buf, size_t len);
/* The text of the KFH_* port operands, and the port names. */
const char *kfh_port_name_text(int index);
const WCHAR *kfh_port_name_at(int index);
const char *kfh_sd_free_name(int variant);
const char *kfh_pc_misuse_name(int misuse);
const char *kfh_pcl_name(int variant);
const char *kfh_pcc_name(int variant);
const char *kfh_ps_timeout_name(int timeout);
const char *kfh_ps_misuse_name(int misuse);

/* ==== Objects and volumes (version 15, harness/oracle_fltobj.c, SEMANTICS.md FV-1 to FV-10, FO-1 to FO-8,
 * FX-20 to FX-23) ==== */
/* What a pointer the runner passes is now, as its record has it: a live filter, instance or
 * volume; an instance being torn down (marked, or its filter unregistering); nothing live. */
enum { KFH_OBJ_IS_FILTER, KFH_OBJ_IS_INSTANCE, KFH_OBJ_IS_VOLUME, KFH_OBJ_IS_GOING, KFH_OBJ_IS_NONE };
/* What an aligned pool free is given: an outstanding aligned buffer, pool the Ex routines
 * allocated, a pointer that is no outstanding pool. */
enum { KFH_APOOL_IS_ALIGNED, KFH_APOOL_IS_EX, KFH_APOOL_IS_NONE };
typedef struct kfh_obj_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    int n_sites;       /* fault sites consulted (flt.volume.guid, flt.pool.aligned) */
    int referenced;    /* the object returned carries one reference more */
    int allocated;     /* FltAllocatePoolAlignedWithTag: a buffer */
    ULONG needed;      /* BufferSizeNeeded / LengthReturned / the count returned; ~0 when not written */
    ULONG fixed;       /* FltGetVolumeProperties: the fixed part */
    char text[64];     /* the name written (ASCII), or for properties the three names, '|' between them */
    const char *rule;
} kfh_obj_pred;
/* obj_get from KFH_OBJ_FROM_*: `is` what the instance named is (KFH_OBJ_IS_INSTANCE or _GOING) or for
 * a name or a file object whether a volume answers to it (KFH_OBJ_IS_VOLUME or _NONE). */
void kfh_oracle_obj_get(KIRQL irql, int from, int is, kfh_obj_pred *out);
/* FltObjectReference of a pointer that is `is`. */
void kfh_oracle_obj_ref(KIRQL irql, int is, kfh_obj_pred *out);
/* FltObjectDereference of a pointer that is `is` on which the runner holds `held` references. */
void kfh_oracle_obj_deref(KIRQL irql, int is, int held, kfh_obj_pred *out);
/* A query KFH_OBJ_Q_* with buffer KFH_OBJ_BUF_* of a pointer that is `is`, volume `vol` when it is
 * a volume or an instance; decided: flt.volume.guid's decision (KF_FAULT_NONE when none yet). */
void kfh_oracle_obj_query(KIRQL irql, int query, int buf, int is, unsigned vol, kf_fault_kind decided,
                          kfh_obj_pred *out);
/* An enumeration with room for `size` entries when `n` objects are to be listed. */
void kfh_oracle_obj_enum(KIRQL irql, int kind, ULONG size, ULONG n, kfh_obj_pred *out);
/* FltAllocatePoolAlignedWithTag on a live instance. */
void kfh_oracle_apool_alloc(KIRQL irql, int paged, kf_fault_kind decided, kfh_obj_pred *out);
/* A free of a pointer that is `is` (KFH_APOOL_IS_*), through ExFreePoolWithTag when ex, with the
 * allocation's instance when same_instance and its tag when same_tag; paged the block's kind. */
void kfh_oracle_apool_free(KIRQL irql, int is, int ex, int same_instance, int same_tag, int paged, kfh_obj_pred *out);
/* FltUnregisterFilter while the scenario holds `held` references on the filter (FV-10). */
void kfh_oracle_obj_unregister(int held, kfh_stop_pred *out);
/* The bytes each KFH_APOOL_SIZE_* asks for. */
SIZE_T kfh_apool_size(int sel);
/* The text of the operands. */
const char *kfh_obj_from_name(int from);
const char *kfh_obj_name_form(int form);
/* The name of volume vol in form KFH_OBJ_NAME_* (ASCII), and whether it names the volume (FO-2). */
int kfh_obj_volume_name(int form, unsigned vol, char *buf, size_t len);
const char *kfh_obj_query_name(int query);
const char *kfh_obj_buf_name(int buf);
const char *kfh_obj_enum_name(int kind);
const char *kfh_apool_free_name(int variant);

/* ==== Extra create parameters (version 15, harness/oracle_fltecp.c, SEMANTICS.md FE-*, FX-28 to FX-31) ==== */
/* The routines the runner calls. */
enum { KFH_ECP_R_LIST_ALLOC, KFH_ECP_R_LIST_FREE, KFH_ECP_R_ALLOC, KFH_ECP_R_ALLOC_LA, KFH_ECP_R_FREE,
       KFH_ECP_R_INSERT, KFH_ECP_R_REMOVE, KFH_ECP_R_FIND, KFH_ECP_R_NEXT, KFH_ECP_R_ACK, KFH_ECP_R_IS_ACK,
       KFH_ECP_R_REUSE, KFH_ECP_R_FROM_USER, KFH_ECP_R_LA_INIT, KFH_ECP_R_LA_DELETE, KFH_ECP_R_GET, KFH_ECP_R_SET,
       KFH_ECP_R_COUNT };
/* A list or ECP pointer as the runner's record knows it: a live one, NULL, one no allocation
 * returned, one freed (the model still recognising it, FX-29). */
enum { KFH_ECP_PTR_LIVE, KFH_ECP_PTR_NULL, KFH_ECP_PTR_FOREIGN, KFH_ECP_PTR_FREED };
typedef struct kfh_ecp_in {
    int routine;          /* KFH_ECP_R_* */
    KIRQL irql;
    int os;               /* the profile's kf_os */
    int list, ecp;        /* KFH_ECP_PTR_* of EcpList and of EcpContext (CurrentEcpContext for a walk) */
    int misuse;           /* KFH_ECPL_MIS_*, KFH_ECP_MIS_* or KFH_ECP_LA_MIS_* for the routine */
    int nonpaged;         /* the pool the allocation or lookaside asks for */
    int with_current;     /* a walk: CurrentEcpContext given */
    int list_above, list_attached, list_holds_above; /* the list came down with a create, is attached to
                                                      * one, holds an ECP that came down with one */
    int ecp_above, ecp_in_list, ecp_in_this_list, ecp_la_deleted;
    int type_in_list;     /* insert: the list holds that type; find and remove: found */
    int has_next;         /* a walk: an ECP after the current one (or a first one) */
    int la_live;          /* the lookaside list is initialized and not deleted */
    int is_create;        /* the callback data is a create (FE-11) */
    int cbd_has_list;     /* a list is attached to the callback data */
    ULONG size;           /* SizeOfContext, or the Size of a lookaside list */
    ULONG flags;          /* the Flags passed */
    ULONG la_init_flags;  /* a delete: the Flags of the lookaside list's initialization */
    kf_fault_kind decided; /* the flt.ecp site's decision (KF_FAULT_NONE when none yet) */
} kfh_ecp_in;
typedef struct kfh_ecp_pred {
    kfh_stop_pred stop;
    NTSTATUS status;      /* the routines that return one */
    int n_sites;          /* flt.ecp consultations */
    int made;             /* an allocation: 1 a list or ECP (the status STATUS_SUCCESS) */
    const char *rule;
} kfh_ecp_pred;
/* The flag the runner adds for a misuse of Flags (a bit no rule knows). */
#define KFH_ECP_BAD_FLAGS 0x100u
void kfh_oracle_ecp(const kfh_ecp_in *in, kfh_ecp_pred *out);
/* The routine's name, and the text of the operands. */
const char *kfh_ecp_routine_name(int routine);
const char *kfh_ecpl_misuse_name(int misuse);
const char *kfh_ecp_misuse_name(int misuse);
const char *kfh_ecp_pass_name(int pass);
const char *kfh_ecp_mark_name(int mark);
const char *kfh_ecp_la_misuse_name(int misuse);
/* The SizeOfContext of size index i, and its text. */
ULONG kfh_ecp_size_at(int i);
const char *kfh_ecp_size_name(int i);
/* The GUID of ECP type t (types 0 to 3 are the runner's own). */
const GUID *kfh_ecp_type_at(int t);

/* ==== Filter-initiated file I/O (version 15, harness/oracle_fltio.c, SEMANTICS.md FI-*, FS-*, FX-24 to FX-27) ==== */
/* The bytes of a file the runner keeps: reads and writes reach offset 255 + length 255. */
#define KFH_FIO_SHADOW 512
/* Files, directories and streams per volume: the file table's names and their parents. */
#define KFH_FIO_NODES 40
/* The Flags bit no read or write knows (FI-7). */
#define KFH_FIO_BAD_FLAG 0x100u
/* The runner's record of the file system below its filter, per volume: what `file` put there
 * (with the directories above it) and what the creates made; the path is a prefix of a name of
 * the file table (kfh_file_name_at). */
typedef struct kfh_fio_node {
    const WCHAR *s;
    uint16_t len;
    uint8_t dir, readonly;
    uint32_t size;
    uint8_t data[KFH_FIO_SHADOW];
} kfh_fio_node;
typedef struct kfh_fio_fs {
    kfh_fio_node node[4][KFH_FIO_NODES];
    int n[4];
} kfh_fio_fs;
/* The state of a slot's file object for an I/O operation (FI-3): open, or cleaned up (its handle
 * closed, the reference kept). */
enum { KFH_FIO_FO_OPEN, KFH_FIO_FO_CLEANED };
typedef struct kfh_fio_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    ULONG_PTR information;  /* IoStatusBlock.Information, BytesRead / BytesWritten or LengthReturned */
    int iosb;               /* IoStatusBlock (Iosb) written: the request reached the layers below */
    kf_site sites[3];       /* the consultations, in order */
    int n_sites;
    int callback;           /* an asynchronous read or write: its CallbackRoutine runs once */
    int handle;             /* a create: a handle (and a file object for Ex and Ex2) */
    uint32_t end_of_file;   /* FileStandardInformation.EndOfFile */
    const char *rule;
} kfh_fio_pred;
typedef struct kfh_fio_create_in {
    KIRQL irql;
    int routine, misuse;    /* KFH_FIO_CR_*, KFH_FIO_CMIS_* */
    unsigned volume, name;  /* the name's volume and index in the file table */
    unsigned volumes;       /* the volumes modeled (flt_start's count) */
    int any_instance;       /* Instance NULL */
    int instance_going;     /* the Instance passed is marked for teardown */
    ULONG disposition;
    int dir, nondir, write; /* FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, write access asked */
} kfh_fio_create_in;
typedef struct kfh_fio_io_in {
    KIRQL irql;
    int routine, async, misuse; /* KFH_FIO_IO_*, KFH_FIO_MIS_* */
    unsigned volume, name;  /* the file's */
    unsigned other_volume;  /* KFH_FIO_MIS_WRONG_VOLUME: the instance's */
    int fo_state;           /* KFH_FIO_FO_* */
    int instance_going;     /* the instance is marked for teardown */
    int deferred;           /* an asynchronous request completes deferred (kf_flt_set_async_mode) */
    ULONG offset, length;
} kfh_fio_io_in;
/* The record of name index `name` on a volume, or NULL when it does not exist. */
kfh_fio_node *kfh_fio_lookup(kfh_fio_fs *fs, unsigned volume, unsigned name);
/* What FS-1 makes of `file` on volume `volume` (a file op): 0 and the record updated, or -1. */
int kfh_oracle_fio_put(kfh_fio_fs *fs, unsigned volume, const kfh_op *op);
/* A create (FI-1, FI-2, FS-2 to FS-4, FS-10); kinds: the decisions of the sites consulted so far
 * (n of them; the missing ones are taken as granted). When apply, the record takes the create's
 * effect (a file made, a stream overwritten). */
void kfh_oracle_fio_create(const kfh_fio_create_in *in, const kf_fault_kind *kinds, int n, kfh_fio_fs *fs, int apply,
                           kfh_fio_pred *out);
/* A read, write, query, set, volume query, flush or directory query (FI-3, FI-7 to FI-15, FS-7,
 * FS-12, FS-14, FS-17, FS-19, FS-21); the same conventions. A write's bytes are kfh_fio_byte's. */
void kfh_oracle_fio_io(const kfh_fio_io_in *in, const kf_fault_kind *kinds, int n, kfh_fio_fs *fs, int apply,
                       kfh_fio_pred *out);
/* FltClose (FI-5) of a handle in the state the variant gives: KFH_FIO_CLOSE_HANDLE an open handle
 * of a create, AGAIN one FltClose closed (handle: its value), NULL, FOREIGN an open handle no create
 * returned (handle: its value). */
void kfh_oracle_fio_close(KIRQL irql, int variant, ULONG_PTR handle, kfh_fio_pred *out);
/* The deferred completion of a read or write `in` started (FI-10, F-20): the layers below answer
 * now; lower: flt.io.lower's decision. */
void kfh_oracle_fio_complete(const kfh_fio_io_in *in, kf_fault_kind lower, kfh_fio_fs *fs, int apply,
                             kfh_fio_pred *out);
/* Byte i of a write at offset off. */
uint8_t kfh_fio_byte(ULONG off, ULONG i);
/* The operand and status texts. */
const char *kfh_fio_routine_name(int routine);
const char *kfh_fio_create_misuse_name(int misuse);
const char *kfh_fio_io_name(int routine);
const char *kfh_fio_io_misuse_name(int misuse);
const char *kfh_fio_close_name(int variant);
const char *kfh_fio_disposition_name(int disposition);
const char *kfh_fio_status_name(NTSTATUS s, char *buf, size_t len);

/* ---- Filter Manager transactions of the runner's filter (FT-*, FX-32 to FX-35) ---------------------- */
/* The runner's record of one transaction, as the scenario made it. */
typedef struct kfh_txn_rec {
    int live;               /* made by txn_new */
    int phase;              /* KFH_TXN_PH_* */
    int has_context;        /* the runner's filter set its transaction context */
    int enlisted;           /* the runner's instance is enlisted */
    unsigned mask, pending; /* KFH_TXN_N_* bits: asked for; answered STATUS_PENDING */
    unsigned owed;          /* the KFH_TXN_N_* bit owed an acknowledgement, 0 none */
    int rollback_asked;     /* FltRollbackEnlistment succeeded */
    int outcome;            /* TRANSACTION_OUTCOME once ended */
    int bad_answer;         /* the callback answers STATUS_UNSUCCESSFUL instead of STATUS_PENDING */
    int context_freed;      /* the enlistment's context was deleted while it was enlisted */
} kfh_txn_rec;
enum { KFH_TXN_PH_ACTIVE, KFH_TXN_PH_PREPREPARE, KFH_TXN_PH_PREPARE, KFH_TXN_PH_COMMIT, KFH_TXN_PH_COMMIT_FINALIZE,
       KFH_TXN_PH_ROLLBACK, KFH_TXN_PH_DONE };
typedef struct kfh_txn_pred {
    kfh_stop_pred stop;
    NTSTATUS status;
    int n_sites;
    kf_site sites[2];
    unsigned notified[8];   /* KFH_TXN_N_* bits, in delivery order (kfh_oracle_txn_end) */
    int n_notified;
    int outcome;            /* TRANSACTION_OUTCOME after kf_flt_transaction_end */
    const char *rule;
} kfh_txn_pred;
/* The TRANSACTION_NOTIFY_* value of one KFH_TXN_N_* bit. */
ULONG kfh_txn_notification(unsigned bit);
/* FltAllocateContext + FltSetTransactionContext of the first enlistment, then FltEnlistInTransaction
 * (FT-3, FT-10, FT-13), with the decisions of the sites consulted so far (n of them); apply updates rec. */
void kfh_oracle_txn_enlist(KIRQL irql, kfh_txn_rec *rec, unsigned mask, unsigned pending, const kf_fault_kind *kinds,
                           int n, int apply, kfh_txn_pred *out);
/* kf_flt_transaction_end (FT-5, FT-6, FT-7, FT-11, FT-14): the notifications delivered and the outcome. */
void kfh_oracle_txn_end(KIRQL irql, kfh_txn_rec *rec, int how, int apply, kfh_txn_pred *out);
/* An acknowledgement routine or FltRollbackEnlistment (FT-1, FT-6, FT-7). */
void kfh_oracle_txn_ack(KIRQL irql, kfh_txn_rec *rec, int routine, int apply, kfh_txn_pred *out);
/* FltUnregisterFilter while the runner's instance owes the acknowledgement of `notification` (FT-9). */
void kfh_oracle_txn_unacknowledged(ULONG notification, kfh_stop_pred *out);
const char *kfh_txn_ack_name(int routine);
const char *kfh_txn_end_name(int how);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_HARNESS_H */
