/*
 * test_harness_reach.c - the reach check of the model-conformance targets' seeds: every seed
 * of corpus/expand_fuzz, flt_fuzz, mixed_fuzz and systematic_fuzz runs as its target runs it
 * (flt_fuzz and mixed_fuzz with the Filter Manager prologue, systematic_fuzz once without
 * faults and then with fail_nth = 1, 2, ...), with no finding; together they must execute
 * every scenario operation, consult and fail every fault site, and reach every outcome the
 * rules of model/SEMANTICS.md document for the routines (the table below, written from the
 * rules and violations.def, not from what the seeds happen to reach). Outcomes no scenario
 * can produce are listed with the reason. Each seed's .bin must be what `kfault encode`
 * makes of its src/ text. The Filter Manager families the runner has no operations for yet
 * are exempt by the explicit lists ops_exempt, sites_exempt and codes_exempt, each entry with
 * its reason; contexts and file names (format version 7), generic work items (version 14), and the
 * families of version 15 (deferred I/O work items and cancel-safe queues, communication ports, ...)
 * are checked like callback data, and systematic_fuzz's enumeration must fail their sites.
 *
 * A failure names what is missing; the fix is a seed that reaches it, never a shorter table.
 */
#include "test_harness_util.h"

#include <dirent.h>
#include <stdio.h>

#ifndef KFAULT_SOURCE_DIR
#error "KFAULT_SOURCE_DIR must name the source tree"
#endif

/* The runs of systematic_fuzz per input (harness/driver_env.c). */
#define SYSTEMATIC_RUNS 64

typedef struct outcome {
    const char *text; /* "Routine: result", as kfh_reach records it */
    const char *rule; /* model/SEMANTICS.md */
} outcome;

#define BC_A "bug check 0xA IRQL_NOT_LESS_OR_EQUAL"

static const outcome documented[] = {
    /* Stack expansion, the Ex routine. */
    {"KeExpandKernelStackAndCalloutEx: STATUS_SUCCESS", "E-9, E-10, E-11, E-14"},
    {"KeExpandKernelStackAndCalloutEx: STATUS_INVALID_PARAMETER_3", "E-5"},
    {"KeExpandKernelStackAndCalloutEx: STATUS_INVALID_PARAMETER_4", "E-6"},
    {"KeExpandKernelStackAndCalloutEx: STATUS_STACK_OVERFLOW", "E-8"},
    {"KeExpandKernelStackAndCalloutEx: STATUS_NO_MEMORY", "E-12"},
    {"KeExpandKernelStackAndCalloutEx: " BC_A, "E-2"},
    {"KeExpandKernelStackAndCalloutEx: violation 0x1001 routine-unavailable", "E-1"},
    {"KeExpandKernelStackAndCalloutEx: violation 0x1002 expand-context-not-null", "E-4"},
    {"KeExpandKernelStackAndCalloutEx: violation 0x1005 expand-null-callout", "E-3"},
    {"KeExpandKernelStackAndCalloutEx: bug check 0xC8 IRQL_UNEXPECTED_VALUE", "E-15"},
    /* The routine without Ex (Wait TRUE, no Context: E-13). */
    {"KeExpandKernelStackAndCallout: STATUS_SUCCESS", "E-13, E-14"},
    {"KeExpandKernelStackAndCallout: STATUS_INVALID_PARAMETER_3", "E-5"},
    {"KeExpandKernelStackAndCallout: STATUS_STACK_OVERFLOW", "E-8"},
    {"KeExpandKernelStackAndCallout: STATUS_NO_MEMORY", "E-12"},
    {"KeExpandKernelStackAndCallout: " BC_A, "E-2"},
    {"KeExpandKernelStackAndCallout: violation 0x1001 routine-unavailable", "E-1"},
    {"KeExpandKernelStackAndCallout: violation 0x1005 expand-null-callout", "E-3"},
    {"KeExpandKernelStackAndCallout: bug check 0xC8 IRQL_UNEXPECTED_VALUE", "E-15"},
    /* Around the callout: exceptions, thread exit, IRQL, pool. */
    {"ExRaiseStatus: bug check 0x1E KMODE_EXCEPTION_NOT_HANDLED", "E-16, K-5"},
    {"ExRaiseStatus: caught by the handler", "K-5"},
    {"PsTerminateSystemThread: bug check 0x107 KERNEL_EXPAND_STACK_ACTIVE", "E-17"},
    {"PsTerminateSystemThread: the thread ended", "K-4"},
    {"KeRaiseIrql: raised", "K-1"},
    {"KeRaiseIrql: bug check 0x9 IRQL_NOT_GREATER_OR_EQUAL", "K-1"},
    {"KeRaiseIrql: " BC_A, "K-1 (above HIGH_LEVEL)"},
    {"KeLowerIrql: lowered", "K-2"},
    {"KeLowerIrql: " BC_A, "K-2"},
    {"ExAllocatePoolWithTag: block", "K-8"},
    {"ExAllocatePoolWithTag: NULL", "K-8"},
    {"ExAllocatePoolWithTag: " BC_A, "K-8"},
    /* Filter Manager: registration. */
    {"FltRegisterFilter: STATUS_SUCCESS", "F-3"},
    {"FltRegisterFilter: STATUS_INSUFFICIENT_RESOURCES", "F-3"},
    {"FltRegisterFilter: " BC_A, "F-2"},
    {"FltStartFiltering: STATUS_SUCCESS", "F-4"},
    {"FltStartFiltering: a volume without an instance", "F-4"},
    {"FltUnregisterFilter: unregistered", "F-6"},
    {"FltUnregisterFilter: " BC_A, "F-2"},
    {"FltUnregisterFilter: violation 0x2008 flt-callback-data-outstanding", "F-6"},
    /* Allocation. */
    {"FltAllocateCallbackData: STATUS_SUCCESS", "F-12"},
    {"FltAllocateCallbackData: STATUS_INSUFFICIENT_RESOURCES", "F-11"},
    {"FltAllocateCallbackData: STATUS_FLT_DELETING_OBJECT", "F-13"},
    {"FltAllocateCallbackData: " BC_A, "F-9"},
    {"FltAllocateCallbackData: violation 0x2001 flt-null-instance", "F-10"},
    {"FltAllocateCallbackDataEx: STATUS_SUCCESS", "F-12"},
    {"FltAllocateCallbackDataEx: STATUS_INSUFFICIENT_RESOURCES", "F-11"},
    {"FltAllocateCallbackDataEx: STATUS_FLT_DELETING_OBJECT", "F-13"},
    {"FltAllocateCallbackDataEx: " BC_A, "F-9"},
    {"FltAllocateCallbackDataEx: violation 0x1001 routine-unavailable", "F-8"},
    {"FltAllocateCallbackDataEx: violation 0x2001 flt-null-instance", "F-10"},
    {"FltAllocateCallbackDataEx: violation 0x2002 flt-allocate-unknown-flags", "F-10"},
    /* Synchronous I/O. */
    {"FltPerformSynchronousIo: IoStatus STATUS_SUCCESS", "F-18"},
    {"FltPerformSynchronousIo: IoStatus STATUS_INSUFFICIENT_RESOURCES", "F-17, F-18"},
    {"FltPerformSynchronousIo: IoStatus STATUS_NO_MORE_FILES", "F-18 (the lower layers' answer)"},
    {"FltPerformSynchronousIo: " BC_A, "F-9"},
    {"FltPerformSynchronousIo: violation 0x2007 flt-callback-data-in-flight", "F-16"},
    {"FltPerformSynchronousIo: violation 0x200C flt-invalid-major-function", "F-16"},
    /* Asynchronous I/O and its completion. */
    {"FltPerformAsynchronousIo: STATUS_SUCCESS", "F-20"},
    {"FltPerformAsynchronousIo: STATUS_PENDING", "F-20"},
    {"FltPerformAsynchronousIo: STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST", "F-19"},
    {"FltPerformAsynchronousIo: STATUS_INSUFFICIENT_RESOURCES", "F-19"},
    {"FltPerformAsynchronousIo: " BC_A, "F-9"},
    {"FltPerformAsynchronousIo: violation 0x2007 flt-callback-data-in-flight", "F-16"},
    {"FltPerformAsynchronousIo: violation 0x200C flt-invalid-major-function", "F-16"},
    {"FltPerformAsynchronousIo: completion IoStatus STATUS_SUCCESS", "F-20"},
    {"FltPerformAsynchronousIo: completion IoStatus STATUS_INSUFFICIENT_RESOURCES", "F-18, F-19"},
    {"FltPerformAsynchronousIo: completion IoStatus STATUS_FLT_INVALID_ASYNCHRONOUS_REQUEST", "F-19"},
    {"FltPerformAsynchronousIo: completion IoStatus STATUS_ACCESS_DENIED", "F-18 (the lower layers' answer)"},
    /* Reuse and free, also from a completion. */
    {"FltReuseCallbackData: reused", "F-15"},
    {"FltReuseCallbackData: reused in a completion", "F-21"},
    {"FltReuseCallbackData: " BC_A, "F-9, F-21"},
    {"FltReuseCallbackData: violation 0x2006 flt-reuse-before-perform", "F-15"},
    {"FltReuseCallbackData: violation 0x2007 flt-callback-data-in-flight", "F-15"},
    {"FltFreeCallbackData: freed", "F-14"},
    {"FltFreeCallbackData: freed in a completion", "F-21"},
    {"FltFreeCallbackData: " BC_A, "F-9"},
    {"FltFreeCallbackData: violation 0x2003 flt-callback-data-double-free", "F-14"},
    {"FltFreeCallbackData: violation 0x2004 flt-callback-data-foreign", "F-14"},
    {"FltFreeCallbackData: violation 0x2007 flt-callback-data-in-flight", "F-14"},
    /* Contexts (scenario format version 7): allocation. */
    {"FltAllocateContext: STATUS_SUCCESS", "FC-2, FC-3"},
    {"FltAllocateContext: STATUS_INVALID_PARAMETER", "FC-2 (type, size 0, pool type)"},
    {"FltAllocateContext: STATUS_INVALID_BUFFER_SIZE", "FC-2"},
    {"FltAllocateContext: STATUS_FLT_MUST_BE_NONPAGED_POOL", "FC-2 (UNCONFIRMED 8 decided)"},
    {"FltAllocateContext: STATUS_FLT_CONTEXT_ALLOCATION_NOT_FOUND", "FC-2"},
    {"FltAllocateContext: STATUS_INSUFFICIENT_RESOURCES", "FC-2 (site flt.context)"},
    {"FltAllocateContext: " BC_A, "FC-2"},
    /* Setting. */
    {"FltSetVolumeContext: STATUS_SUCCESS", "FC-4"},
    {"FltSetVolumeContext: STATUS_FLT_CONTEXT_ALREADY_LINKED", "FC-4"},
    {"FltSetVolumeContext: STATUS_FLT_CONTEXT_ALREADY_DEFINED", "FC-5"},
    {"FltSetVolumeContext: violation 0x3704 flt-context-wrong-type", "FC-4"},
    {"FltSetInstanceContext: STATUS_SUCCESS", "FC-4, FC-6"},
    {"FltSetInstanceContext: STATUS_FLT_CONTEXT_ALREADY_DEFINED", "FC-5"},
    {"FltSetInstanceContext: STATUS_FLT_CONTEXT_ALREADY_LINKED", "FC-4"},
    {"FltSetInstanceContext: STATUS_FLT_DELETING_OBJECT", "FC-4"},
    {"FltSetInstanceContext: " BC_A, "FC-4"},
    {"FltSetStreamContext: STATUS_SUCCESS", "FC-4"},
    {"FltSetStreamContext: STATUS_FLT_CONTEXT_ALREADY_DEFINED", "FC-5"},
    {"FltSetStreamContext: violation 0x3704 flt-context-wrong-type", "FC-4"},
    {"FltSetStreamHandleContext: STATUS_SUCCESS", "FC-4"},
    {"FltSetStreamHandleContext: STATUS_NOT_SUPPORTED", "FC-13"},
    {"FltSetStreamHandleContext: STATUS_INVALID_PARAMETER", "FC-4"},
    /* Getting. */
    {"FltGetVolumeContext: STATUS_SUCCESS", "FC-7"},
    {"FltGetVolumeContext: STATUS_NOT_FOUND", "FC-7"},
    {"FltGetInstanceContext: STATUS_SUCCESS", "FC-7"},
    {"FltGetInstanceContext: STATUS_NOT_FOUND", "FC-7"},
    {"FltGetInstanceContext: violation 0x3707 flt-context-null-argument", "FC-7"},
    {"FltGetInstanceContext: " BC_A, "FC-7"},
    {"FltGetStreamContext: STATUS_SUCCESS", "FC-7, FC-13 (one stream, two handles)"},
    {"FltGetStreamContext: STATUS_NOT_FOUND", "FC-7"},
    {"FltGetStreamContext: STATUS_NOT_SUPPORTED", "FC-13"},
    {"FltGetStreamHandleContext: STATUS_SUCCESS", "FC-7"},
    {"FltGetStreamHandleContext: STATUS_NOT_FOUND", "FC-7, FC-13 (keyed by the file object)"},
    /* Deleting by owner. */
    {"FltDeleteVolumeContext: STATUS_SUCCESS", "FC-10"},
    {"FltDeleteVolumeContext: STATUS_NOT_FOUND", "FC-10"},
    {"FltDeleteInstanceContext: STATUS_SUCCESS", "FC-10"},
    {"FltDeleteInstanceContext: STATUS_NOT_FOUND", "FC-10"},
    {"FltDeleteInstanceContext: STATUS_FLT_DELETING_OBJECT", "FC-10"},
    {"FltDeleteInstanceContext: " BC_A, "FC-10"},
    {"FltDeleteStreamContext: STATUS_SUCCESS", "FC-10"},
    {"FltDeleteStreamHandleContext: STATUS_SUCCESS", "FC-10"},
    {"FltDeleteStreamHandleContext: STATUS_NOT_FOUND", "FC-10"},
    {"FltDeleteStreamHandleContext: STATUS_NOT_SUPPORTED", "FC-13"},
    /* References, releases, FltDeleteContext. */
    {"FltReferenceContext: referenced", "FC-9, FC-12"},
    {"FltReferenceContext: " BC_A, "FC-9"},
    {"FltReleaseContext: released", "FC-9, FC-12"},
    {"FltReleaseContext: freed", "FC-11 (the cleanup callback, at once)"},
    {"FltReleaseContext: free deferred", "FC-11 (above APC_LEVEL)"},
    {"FltReleaseContext: " BC_A, "FC-9 (a paged context above APC_LEVEL)"},
    {"FltReleaseContext: violation 0x3701 flt-context-invalid", "FC-4, FC-9"},
    {"FltReleaseContext: violation 0x3702 flt-context-release-too-many", "FC-9"},
    {"FltReleaseContext: violation 0x3703 flt-context-use-after-free", "FC-9"},
    {"FltDeleteContext: unlinked", "FC-10"},
    {"FltDeleteContext: not attached", "FC-10"},
    {"FltDeleteContext: " BC_A, "FC-10"},
    /* Unregistration. */
    {"FltUnregisterFilter: attached contexts freed", "FC-14"},
    {"FltUnregisterFilter: violation 0x3706 flt-context-outstanding", "FC-15"},
    /* File names (scenario format version 7). */
    {"FltGetFileNameInformation: STATUS_SUCCESS", "FN-1"},
    {"FltGetFileNameInformation: STATUS_INVALID_PARAMETER", "FN-2 (options, no file object)"},
    {"FltGetFileNameInformation: STATUS_OBJECT_NAME_NOT_FOUND", "FN-3 (no short names)"},
    {"FltGetFileNameInformation: STATUS_FLT_INVALID_NAME_REQUEST", "FN-3"},
    {"FltGetFileNameInformation: STATUS_FLT_NAME_CACHE_MISS", "FN-3"},
    {"FltGetFileNameInformation: STATUS_INSUFFICIENT_RESOURCES", "FN-5 (site flt.name)"},
    {"FltGetFileNameInformation: " BC_A, "FN-4"},
    {"FltReferenceFileNameInformation: referenced", "FN-6"},
    {"FltReferenceFileNameInformation: " BC_A, "FN-4"},
    {"FltReleaseFileNameInformation: released", "FN-6"},
    {"FltReleaseFileNameInformation: freed", "FN-6"},
    {"FltReleaseFileNameInformation: " BC_A, "FN-4"},
    {"FltReleaseFileNameInformation: violation 0x3801 flt-name-foreign", "FN-6"},
    {"FltReleaseFileNameInformation: violation 0x3802 flt-name-over-release", "FN-6"},
    {"FltParseFileNameInformation: STATUS_SUCCESS", "FN-8"},
    {"FltParseFileNameInformation: STATUS_OBJECT_NAME_INVALID", "FN-9"},
    {"FltParseFileNameInformation: " BC_A, "FN-4"},
    /* Generic work items (scenario format version 14). */
    {"FltAllocateGenericWorkItem: item", "FW-1"},
    {"FltAllocateGenericWorkItem: NULL", "FW-1 (site flt.workitem)"},
    {"FltAllocateGenericWorkItem: " BC_A, "FW-1"},
    {"FltQueueGenericWorkItem: STATUS_SUCCESS", "FW-2"},
    {"FltQueueGenericWorkItem: STATUS_FLT_DELETING_OBJECT", "FW-2 (an instance marked for teardown)"},
    {"FltQueueGenericWorkItem: " BC_A, "FW-2"},
    {"FltQueueGenericWorkItem: violation 0x3910 flt-workitem-invalid", "FW-2"},
    {"FltQueueGenericWorkItem: violation 0x3912 flt-workitem-requeue", "FW-2"},
    {"FltQueueGenericWorkItem: violation 0x3913 flt-workitem-bad-argument", "FW-2 (routine, queue type, FltObject)"},
    {"FltQueueGenericWorkItem: bug check 0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL", "FW-5, FX-10"},
    {"FltFreeGenericWorkItem: freed", "FW-4"},
    {"FltFreeGenericWorkItem: " BC_A, "FW-4"},
    {"FltFreeGenericWorkItem: violation 0x3910 flt-workitem-invalid", "FW-4 (freed twice, a foreign pointer)"},
    {"FltFreeGenericWorkItem: violation 0x3911 flt-workitem-free-queued", "FW-4"},
    {"kf_flt_run_work_items: routines ran", "FW-5"},
    {"kf_flt_run_work_items: nothing queued", "FW-5"},
    {"work routine: returned", "FW-5"},
    {"work routine: freed its item", "FW-4 (in the routine, the normal case)"},
    {"work routine: queued its item again", "FW-5 (once its routine started)"},
    {"work routine: returned at APC_LEVEL", "FW-5"},
    {"work routine: queued its item again, STATUS_SUCCESS", "FW-5, FX-9 (waits for the next run)"},
    {"work routine: queued its item again, STATUS_FLT_DELETING_OBJECT", "FW-2, FW-6, FX-9 (during unregistration)"},
    {"FltUnregisterFilter: queued work items ran", "FW-6"},
    /* Deferred I/O work items (scenario format version 15). */
    {"FltAllocateDeferredIoWorkItem: item", "FW-1"},
    {"FltAllocateDeferredIoWorkItem: NULL", "FW-1 (site flt.workitem)"},
    {"FltAllocateDeferredIoWorkItem: " BC_A, "FW-1"},
    {"FltQueueDeferredIoWorkItem: STATUS_SUCCESS", "FW-3"},
    {"FltQueueDeferredIoWorkItem: STATUS_FLT_DELETING_OBJECT", "FW-3 (the target instance marked for teardown)"},
    {"FltQueueDeferredIoWorkItem: STATUS_FLT_NOT_SAFE_TO_POST_OPERATION", "FW-3 (paging I/O, not IRP-based)"},
    {"FltQueueDeferredIoWorkItem: " BC_A, "FW-3"},
    {"FltQueueDeferredIoWorkItem: violation 0x3910 flt-workitem-invalid", "FW-3"},
    {"FltQueueDeferredIoWorkItem: violation 0x3912 flt-workitem-requeue", "FW-3"},
    {"FltQueueDeferredIoWorkItem: violation 0x3913 flt-workitem-bad-argument", "FW-3, FX-12 (routine, type, Data)"},
    {"FltQueueDeferredIoWorkItem: bug check 0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL", "FW-5, FX-12"},
    {"FltFreeDeferredIoWorkItem: freed", "FW-4"},
    {"FltFreeDeferredIoWorkItem: " BC_A, "FW-4"},
    {"FltFreeDeferredIoWorkItem: violation 0x3910 flt-workitem-invalid", "FW-4 (twice, foreign, a generic item)"},
    {"FltFreeDeferredIoWorkItem: violation 0x3911 flt-workitem-free-queued", "FW-4"},
    {"deferred routine: returned", "FW-5"},
    {"deferred routine: freed its item", "FW-4 (in the routine, the normal case)"},
    {"deferred routine: queued its item again", "FW-5 (once its routine started)"},
    {"deferred routine: returned at APC_LEVEL", "FW-5"},
    {"deferred routine: queued its item again, STATUS_SUCCESS", "FW-5, FX-12 (waits for the next run)"},
    {"deferred routine: queued its item again, STATUS_FLT_DELETING_OBJECT", "FW-3, FW-6, FX-12"},
    /* Cancel-safe callback data queues (scenario format version 15). */
    {"FltCbdqInitialize: STATUS_SUCCESS", "FW-7 (any IRQL)"},
    {"FltCbdqInitialize: violation 0x3921 flt-cbdq-bad-argument", "FW-7 (each argument)"},
    {"FltCbdqInitialize: violation 0x2009 flt-invalid-instance", "FW-7"},
    {"FltCbdqInsertIo: STATUS_SUCCESS", "FW-8"},
    {"FltCbdqInsertIo: STATUS_PENDING", "FW-8 (what InsertIo returned)"},
    {"FltCbdqInsertIo: STATUS_INSUFFICIENT_RESOURCES", "FW-8 (InsertIo failed: not queued)"},
    {"FltCbdqInsertIo: STATUS_FLT_CBDQ_DISABLED", "FW-8"},
    {"FltCbdqInsertIo: " BC_A, "FW-7"},
    {"FltCbdqInsertIo: violation 0x3920 flt-cbdq-not-initialized", "FW-7"},
    {"FltCbdqInsertIo: violation 0x3921 flt-cbdq-bad-argument", "FW-8 (NULL, not IRP-based, queued already)"},
    {"FltCbdqInsertIo: violation 0x3923 flt-cbdq-lock-unbalanced", "FW-7, FX-13"},
    {"FltCbdqRemoveIo: the entry", "FW-8"},
    {"FltCbdqRemoveIo: NULL", "FW-8 (removed already, canceled, inserted without a Context)"},
    {"FltCbdqRemoveIo: " BC_A, "FW-7"},
    {"FltCbdqRemoveIo: violation 0x3920 flt-cbdq-not-initialized", "FW-7"},
    {"FltCbdqRemoveIo: violation 0x3921 flt-cbdq-bad-argument", "FW-8 (Context NULL)"},
    {"FltCbdqRemoveIo: violation 0x3923 flt-cbdq-lock-unbalanced", "FW-7, FX-13"},
    {"FltCbdqRemoveNextIo: the entry", "FW-8"},
    {"FltCbdqRemoveNextIo: NULL", "FW-8"},
    {"FltCbdqRemoveNextIo: " BC_A, "FW-7"},
    {"FltCbdqRemoveNextIo: violation 0x3920 flt-cbdq-not-initialized", "FW-7"},
    {"FltCbdqRemoveNextIo: violation 0x3925 flt-cbdq-peek-foreign", "FW-8"},
    {"FltCbdqEnable: enabled", "FW-8"},
    {"FltCbdqEnable: " BC_A, "FW-7"},
    {"FltCbdqEnable: violation 0x3920 flt-cbdq-not-initialized", "FW-7"},
    {"FltCbdqEnable: violation 0x3922 flt-cbdq-reentered", "FW-7, FX-14 (from the queue's callbacks)"},
    {"FltCbdqDisable: disabled", "FW-8"},
    {"FltCbdqDisable: " BC_A, "FW-7"},
    {"FltCbdqDisable: violation 0x3920 flt-cbdq-not-initialized", "FW-7"},
    {"kf_flt_cbdq_cancel: canceled, completed after the lock", "FW-8, FX-13"},
    {"kf_flt_cbdq_cancel: nothing to cancel", "FW-8"},
    {"kf_flt_cbdq_cancel: violation 0x3923 flt-cbdq-lock-unbalanced", "FW-7, FX-13"},
    {"FltUnregisterFilter: violation 0x3924 flt-cbdq-outstanding", "FW-9"},
    /* Communication ports (scenario format version 15): the driver's side. */
    {"FltBuildDefaultSecurityDescriptor: STATUS_SUCCESS", "FP-1"},
    {"FltBuildDefaultSecurityDescriptor: STATUS_INSUFFICIENT_RESOURCES", "FP-1 (site flt.port.sd)"},
    {"FltBuildDefaultSecurityDescriptor: " BC_A, "FP-1"},
    {"FltBuildDefaultSecurityDescriptor: violation 0x3901 flt-port-null-argument", "FP-1"},
    {"FltFreeSecurityDescriptor: freed", "FP-1"},
    {"FltFreeSecurityDescriptor: " BC_A, "FP-1"},
    {"FltFreeSecurityDescriptor: violation 0x3901 flt-port-null-argument", "FP-1"},
    {"FltFreeSecurityDescriptor: violation 0x3905 flt-security-descriptor-invalid", "FP-1 (freed twice, foreign)"},
    {"FltCreateCommunicationPort: STATUS_SUCCESS", "FP-2"},
    {"FltCreateCommunicationPort: STATUS_INVALID_PARAMETER", "FP-2 (OBJ_KERNEL_HANDLE, MaxConnections, name)"},
    {"FltCreateCommunicationPort: STATUS_OBJECT_NAME_COLLISION", "FP-2 (OBJ_CASE_INSENSITIVE)"},
    {"FltCreateCommunicationPort: STATUS_INSUFFICIENT_RESOURCES", "FP-2 (site flt.port)"},
    {"FltCreateCommunicationPort: " BC_A, "FP-2"},
    {"FltCreateCommunicationPort: violation 0x3901 flt-port-null-argument", "FP-2, FX-18"},
    {"FltCloseCommunicationPort: closed", "FP-3"},
    {"FltCloseCommunicationPort: " BC_A, "FP-3"},
    {"FltCloseCommunicationPort: violation 0x3900 flt-port-invalid", "FP-3 (closed twice, foreign)"},
    {"FltCloseCommunicationPort: violation 0x3901 flt-port-null-argument", "FP-3"},
    {"FltCloseClientPort: closed", "FP-3"},
    {"FltCloseClientPort: nothing to close (*ClientPort NULL)", "FP-3"},
    {"FltCloseClientPort: " BC_A, "FP-3"},
    {"FltCloseClientPort: violation 0x3900 flt-port-invalid", "FP-3 (a stale copy, a server port)"},
    {"FltCloseClientPort: violation 0x3901 flt-port-null-argument", "FP-3"},
    {"FltSendMessage: STATUS_SUCCESS", "FP-5, FP-6"},
    {"FltSendMessage: STATUS_TIMEOUT", "FP-5"},
    {"FltSendMessage: STATUS_PORT_DISCONNECTED", "FP-4, FP-5"},
    {"FltSendMessage: STATUS_INSUFFICIENT_RESOURCES", "FP-4 (site flt.message)"},
    {"FltSendMessage: STATUS_BUFFER_OVERFLOW", "FP-6"},
    {"FltSendMessage: " BC_A, "FP-4"},
    {"FltSendMessage: violation 0x3900 flt-port-invalid", "FP-4"},
    {"FltSendMessage: violation 0x3901 flt-port-null-argument", "FP-4, FX-17"},
    {"FltSendMessage: violation 0x3902 flt-port-send-deadlock", "FP-5"},
    {"FltUnregisterFilter: connections disconnected", "FP-8"},
    {"FltUnregisterFilter: violation 0x3904 flt-port-open-at-unregister", "FP-8"},
    /* The application's side (the version-4 steps, played by the runner since version 15). */
    {"kf_flt_client_connect: STATUS_SUCCESS", "FP-7"},
    {"kf_flt_client_connect: STATUS_OBJECT_NAME_NOT_FOUND", "FP-3, FP-7"},
    {"kf_flt_client_connect: STATUS_CONNECTION_COUNT_LIMIT", "FP-7"},
    {"kf_flt_client_connect: STATUS_ACCESS_DENIED", "FP-7, FX-16 (refused by the connect callback)"},
    {"kf_flt_client_send: STATUS_SUCCESS", "FP-7"},
    {"kf_flt_client_send: STATUS_PORT_DISCONNECTED", "FP-3, FP-7"},
    {"kf_flt_client_send: STATUS_INVALID_PARAMETER", "FP-7 (no message callback)"},
    {"MessageNotifyCallback: violation 0x3903 flt-port-reply-overrun", "FP-7"},
    {"kf_flt_client_set_answer: set", "FP-5"},
    {"kf_flt_client_set_answer: the connection is gone", "FP-3"},
    {"kf_flt_client_disconnect: DisconnectNotifyCallback ran", "FP-7"},
    {"kf_flt_client_disconnect: the connection was gone", "FP-3"},
    /* Objects and volumes (scenario format version 15). */
    {"FltGetVolumeFromInstance: STATUS_SUCCESS", "FV-1"},
    {"FltGetVolumeFromInstance: STATUS_FLT_DELETING_OBJECT", "FV-1 (an instance marked for teardown)"},
    {"FltGetVolumeFromInstance: " BC_A, "FV-1"},
    {"FltGetFilterFromInstance: STATUS_SUCCESS", "FV-1"},
    {"FltGetFilterFromInstance: STATUS_FLT_DELETING_OBJECT", "FV-1 (an instance marked for teardown)"},
    {"FltGetFilterFromInstance: " BC_A, "FV-1"},
    {"FltObjectReference: STATUS_SUCCESS", "FV-2"},
    {"FltObjectReference: STATUS_FLT_DELETING_OBJECT", "FV-2 (an instance marked for teardown)"},
    {"FltObjectReference: " BC_A, "FV-2"},
    {"FltObjectReference: violation 0x3804 flt-object-unknown", "FV-2"},
    {"FltObjectDereference: dereferenced", "FV-2 (also of an object gone, FX-20)"},
    {"FltObjectDereference: " BC_A, "FV-2"},
    {"FltObjectDereference: violation 0x3804 flt-object-unknown", "FV-2 (no reference held, no object)"},
    {"FltObjectDereference: violation 0x3805 flt-object-over-dereference", "FV-2"},
    {"FltGetVolumeFromFileObject: STATUS_SUCCESS", "FO-1 (no device: the first volume)"},
    {"FltGetVolumeFromFileObject: STATUS_INVALID_PARAMETER", "FO-1 (NULL FileObject; no volume at all)"},
    {"FltGetVolumeFromFileObject: " BC_A, "FO-1"},
    {"FltGetVolumeFromName: STATUS_SUCCESS", "FO-2 (the device name)"},
    {"FltGetVolumeFromName: STATUS_FLT_VOLUME_NOT_FOUND", "FO-2"},
    {"FltGetVolumeFromName: " BC_A, "FO-2 (PASSIVE_LEVEL only)"},
    {"FltGetVolumeName: STATUS_SUCCESS", "FV-4"},
    {"FltGetVolumeName: STATUS_INVALID_PARAMETER", "FV-4 (both pointers NULL)"},
    {"FltGetVolumeName: STATUS_BUFFER_TOO_SMALL", "FV-4"},
    {"FltGetVolumeName: " BC_A, "FV-4"},
    {"FltGetVolumeName: violation 0x3803 flt-invalid-volume", "FV-4 (a filter, an instance, a volume gone)"},
    {"FltGetVolumeGuidName: STATUS_SUCCESS", "FV-5"},
    {"FltGetVolumeGuidName: STATUS_BUFFER_TOO_SMALL", "FV-5"},
    {"FltGetVolumeGuidName: STATUS_INSUFFICIENT_RESOURCES", "FV-5 (site flt.volume.guid)"},
    {"FltGetVolumeGuidName: " BC_A, "FV-5 (PASSIVE_LEVEL only)"},
    {"FltGetVolumeGuidName: violation 0x3803 flt-invalid-volume", "FV-5"},
    {"FltGetVolumeProperties: STATUS_SUCCESS", "FV-6"},
    {"FltGetVolumeProperties: STATUS_BUFFER_TOO_SMALL", "FV-6 (the fixed part does not fit)"},
    {"FltGetVolumeProperties: STATUS_BUFFER_OVERFLOW", "FV-6 (the names do not fit)"},
    {"FltGetVolumeProperties: " BC_A, "FV-6"},
    {"FltGetVolumeProperties: violation 0x3803 flt-invalid-volume", "FV-6"},
    {"FltGetFileSystemType: STATUS_SUCCESS", "FV-7"},
    {"FltGetFileSystemType: STATUS_INVALID_PARAMETER", "FV-7 (the filter)"},
    {"FltGetFileSystemType: " BC_A, "FV-7"},
    {"FltIsVolumeWritable: STATUS_SUCCESS", "FV-8"},
    {"FltIsVolumeWritable: STATUS_INVALID_PARAMETER", "FV-8 (the filter)"},
    {"FltIsVolumeWritable: " BC_A, "FV-8"},
    {"FltGetInstanceInformation: STATUS_SUCCESS", "FO-4 (basic and full classes)"},
    {"FltGetInstanceInformation: STATUS_BUFFER_TOO_SMALL", "FO-4"},
    {"FltGetInstanceInformation: " BC_A, "FO-4"},
    {"FltEnumerateVolumes: STATUS_SUCCESS", "FO-5"},
    {"FltEnumerateVolumes: STATUS_BUFFER_TOO_SMALL", "FO-5"},
    {"FltEnumerateVolumes: " BC_A, "FO-5"},
    {"FltEnumerateInstances: STATUS_SUCCESS", "FO-5"},
    {"FltEnumerateInstances: STATUS_BUFFER_TOO_SMALL", "FO-5"},
    {"FltEnumerateInstances: " BC_A, "FO-5"},
    {"FltEnumerateFilters: STATUS_SUCCESS", "FO-5"},
    {"FltEnumerateFilters: STATUS_BUFFER_TOO_SMALL", "FO-5"},
    {"FltEnumerateFilters: " BC_A, "FO-5"},
    {"FltUnregisterFilter: violation 0x3807 flt-filter-referenced-at-unregister", "FV-10"},
    {"FltAllocatePoolAlignedWithTag: buffer", "FO-8"},
    {"FltAllocatePoolAlignedWithTag: NULL", "FO-8 (site flt.pool.aligned)"},
    {"FltAllocatePoolAlignedWithTag: " BC_A, "FO-8, K-8 (IRQL of the pool's kind)"},
    {"FltFreePoolAlignedWithTag: freed", "FO-8"},
    {"FltFreePoolAlignedWithTag: violation 0x3A41 flt-aligned-pool-free-invalid", "FO-8 (freed twice, no pool)"},
    {"FltFreePoolAlignedWithTag: violation 0x3A42 flt-aligned-pool-mismatch", "FO-8 (Ex pool, another instance)"},
    {"FltFreePoolAlignedWithTag: " BC_A, "FO-8 (IRQL of the pool's kind)"},
    {"FltFreePoolAlignedWithTag: bug check 0xC2 BAD_POOL_CALLER", "FO-8, P-11 (another tag)"},
    {"ExFreePoolWithTag: violation 0x3A42 flt-aligned-pool-mismatch", "FO-8 (an aligned buffer)"},
    /* Extra create parameters (scenario format version 15). */
#define VIOL_ECP(code, name) "violation 0x3E" code " flt-ecp-" name
    {"FltAllocateExtraCreateParameterList: STATUS_SUCCESS", "FE-2"},
    {"FltAllocateExtraCreateParameterList: STATUS_INSUFFICIENT_RESOURCES", "FE-2 (site flt.ecp)"},
    {"FltAllocateExtraCreateParameterList: " BC_A, "FE-1"},
    {"FltAllocateExtraCreateParameterList: " VIOL_ECP("09", "null-argument"), "FE-2"},
    {"FltAllocateExtraCreateParameterList: " VIOL_ECP("0C", "unknown-flags"), "FE-2"},
    {"FltFreeExtraCreateParameterList: freed", "FE-3"},
    {"FltFreeExtraCreateParameterList: " VIOL_ECP("01", "list-invalid"), "FE-3 (NULL, foreign)"},
    {"FltFreeExtraCreateParameterList: " VIOL_ECP("02", "list-freed"), "FE-3"},
    {"FltFreeExtraCreateParameterList: " VIOL_ECP("07", "list-attached"), "FE-3"},
    {"FltFreeExtraCreateParameterList: " VIOL_ECP("0A", "not-owned"), "FE-3, FE-14"},
    {"FltAllocateExtraCreateParameter: STATUS_SUCCESS", "FE-4"},
    {"FltAllocateExtraCreateParameter: STATUS_INSUFFICIENT_RESOURCES", "FE-4 (site flt.ecp, 16 MiB)"},
    {"FltAllocateExtraCreateParameter: bug check 0xC2 BAD_POOL_CALLER", "FE-5"},
    {"FltAllocateExtraCreateParameter: " VIOL_ECP("09", "null-argument"), "FE-4 (EcpType, EcpContext)"},
    {"FltAllocateExtraCreateParameter: " VIOL_ECP("0C", "unknown-flags"), "FE-4"},
    {"FltAllocateExtraCreateParameterFromLookasideList: STATUS_SUCCESS", "FE-4, FE-10"},
    {"FltAllocateExtraCreateParameterFromLookasideList: STATUS_INSUFFICIENT_RESOURCES", "FE-4 (site flt.ecp)"},
    {"FltAllocateExtraCreateParameterFromLookasideList: " VIOL_ECP("08", "lookaside-invalid"), "FE-10"},
    {"FltFreeExtraCreateParameter: freed", "FE-8"},
    {"FltFreeExtraCreateParameter: " VIOL_ECP("03", "invalid"), "FE-6 (NULL, foreign)"},
    {"FltFreeExtraCreateParameter: " VIOL_ECP("04", "freed"), "FE-6"},
    {"FltFreeExtraCreateParameter: " VIOL_ECP("06", "free-in-list"), "FE-8"},
    {"FltFreeExtraCreateParameter: " VIOL_ECP("08", "lookaside-invalid"), "FE-8, FE-10 (its list deleted)"},
    {"FltFreeExtraCreateParameter: " VIOL_ECP("0A", "not-owned"), "FE-8, FE-14"},
    {"FltInsertExtraCreateParameter: STATUS_SUCCESS", "FE-6"},
    {"FltInsertExtraCreateParameter: STATUS_INVALID_PARAMETER", "FE-6 (a type the list holds)"},
    {"FltInsertExtraCreateParameter: " VIOL_ECP("05", "already-inserted"), "FE-6"},
    {"FltRemoveExtraCreateParameter: STATUS_SUCCESS", "FE-8"},
    {"FltRemoveExtraCreateParameter: STATUS_NOT_FOUND", "FE-8"},
    {"FltFindExtraCreateParameter: STATUS_SUCCESS", "FE-7"},
    {"FltFindExtraCreateParameter: STATUS_NOT_FOUND", "FE-7"},
    {"FltGetNextExtraCreateParameter: STATUS_SUCCESS", "FE-7"},
    {"FltGetNextExtraCreateParameter: STATUS_NOT_FOUND", "FE-7"},
    {"FltGetNextExtraCreateParameter: STATUS_INVALID_PARAMETER", "FE-7 (EcpList NULL)"},
    {"FltGetNextExtraCreateParameter: " VIOL_ECP("0B", "not-in-list"), "FE-7"},
    {"FltAcknowledgeEcp: acknowledged", "FE-9"},
    {"FltAcknowledgeEcp: violation 0x1001 routine-unavailable", "FE-1 (ws03)"},
    {"FltIsEcpAcknowledged: TRUE", "FE-9"},
    {"FltIsEcpAcknowledged: FALSE", "FE-9"},
    {"FltPrepareToReuseEcp: cleared", "FE-9"},
    {"FltPrepareToReuseEcp: violation 0x1001 routine-unavailable", "FE-1 (before Windows 8)"},
    {"FltIsEcpFromUserMode: TRUE", "FE-9, FE-14"},
    {"FltIsEcpFromUserMode: FALSE", "FE-9"},
    {"FltInitExtraCreateParameterLookasideList: initialized", "FE-10"},
    {"FltInitExtraCreateParameterLookasideList: bug check 0xC2 BAD_POOL_CALLER", "FE-5"},
    {"FltInitExtraCreateParameterLookasideList: " VIOL_ECP("08", "lookaside-invalid"), "FE-10 (live already)"},
    {"FltInitExtraCreateParameterLookasideList: " VIOL_ECP("0C", "unknown-flags"), "FE-10"},
    {"FltDeleteExtraCreateParameterLookasideList: deleted", "FE-10"},
    {"FltDeleteExtraCreateParameterLookasideList: " VIOL_ECP("08", "lookaside-invalid"),
     "FE-10 (not live, other flags)"},
    {"FltGetEcpListFromCallbackData: a list", "FE-11"},
    {"FltGetEcpListFromCallbackData: no list", "FE-11"},
    {"FltGetEcpListFromCallbackData: STATUS_INVALID_PARAMETER", "FE-11 (no create)"},
    {"FltSetEcpListIntoCallbackData: STATUS_SUCCESS", "FE-11"},
    {"FltSetEcpListIntoCallbackData: STATUS_INVALID_PARAMETER_2", "FE-11 (no create)"},
    {"FltSetEcpListIntoCallbackData: STATUS_INVALID_PARAMETER_3", "FE-11 (a list attached already)"},
    {"FltSetEcpListIntoCallbackData: " VIOL_ECP("07", "list-attached"), "FE-11 (another create's list)"},
    {"ECP cleanup callback: called", "FE-3, FE-8, FE-12"},
    {"kf_flt_ecp_create_done: ECPs freed", "FE-12"},
    {"kf_flt_ecp_create_done: no ECP freed", "FE-12"},
    {"kf_flt_attach_ecps: attached", "FE-14"},
    {"kf_flt_attach_ecps: refused", "FE-14 (a list attached already)"},
#undef VIOL_ECP
    /* Filter-initiated file I/O (scenario format version 15). */
    {"file: put", "FS-1"},
    {"file: refused", "FS-1 (a name taken)"},
    {"FltCreateFile: STATUS_SUCCESS", "FI-2"},
    {"FltCreateFileEx: STATUS_SUCCESS", "FI-2"},
    {"FltCreateFileEx2: STATUS_SUCCESS", "FI-2"},
    {"create: FILE_OPENED", "FS-2"},
    {"create: FILE_CREATED", "FS-2"},
    {"create: FILE_OVERWRITTEN", "FS-2"},
    {"create: FILE_SUPERSEDED", "FS-2"},
    {"FltCreateFileEx: STATUS_OBJECT_NAME_NOT_FOUND", "FS-2"},
    {"FltCreateFileEx: STATUS_OBJECT_NAME_COLLISION", "FS-2"},
    {"FltCreateFileEx: STATUS_OBJECT_PATH_NOT_FOUND", "FS-2, FI-1 (a parent missing, a device no volume has)"},
    {"FltCreateFileEx: STATUS_FILE_IS_A_DIRECTORY", "FS-4"},
    {"FltCreateFileEx: STATUS_NOT_A_DIRECTORY", "FS-4"},
    {"FltCreateFile: STATUS_ACCESS_DENIED", "FS-10 (write access to a read-only file)"},
    {"FltCreateFile: STATUS_INVALID_PARAMETER", "FI-1, FS-4 (parameter checks)"},
    {"FltCreateFileEx: STATUS_INVALID_PARAMETER", "FI-1 (Flags)"},
    {"FltCreateFileEx: STATUS_OBJECT_PATH_SYNTAX_BAD", "FI-1"},
    {"FltCreateFileEx: STATUS_INVALID_DEVICE_OBJECT_PARAMETER", "FI-1"},
    {"FltCreateFileEx: STATUS_FLT_DELETING_OBJECT", "FI-1"},
    {"FltCreateFileEx: STATUS_INSUFFICIENT_RESOURCES", "FI-2, FI-14 (flt.create, flt.io.lower, ob.handle)"},
    {"FltCreateFileEx: violation 0x3C01 flt-fileio-null-argument", "FI-1"},
    {"FltCreateFileEx: " BC_A, "FI-1"},
    {"FltClose: STATUS_SUCCESS", "FI-5"},
    {"FltClose: STATUS_INVALID_HANDLE", "FI-5"},
    {"FltClose: violation 0x3C04 flt-close-foreign-handle", "FI-5"},
    {"FltClose: bug check 0x93 INVALID_KERNEL_HANDLE", "FI-5"},
    {"FltClose: " BC_A, "FI-5"},
    {"ObDereferenceObject: file object closed", "FI-6"},
    {"ObDereferenceObject: file object kept by its handle", "FI-6"},
    {"FltReadFile: STATUS_SUCCESS", "FI-9, FS-7"},
    {"FltReadFile: STATUS_END_OF_FILE", "FS-7"},
    {"FltReadFile: STATUS_INVALID_DEVICE_REQUEST", "FS-7 (a directory)"},
    {"FltReadFile: STATUS_SUCCESS (asynchronous)", "FI-10"},
    {"FltReadFile: STATUS_FLT_DELETING_OBJECT", "FI-3"},
    {"FltReadFile: STATUS_INSUFFICIENT_RESOURCES", "FI-14 (flt.fileio, flt.io.lower)"},
    {"FltReadFile: violation 0x3C01 flt-fileio-null-argument", "FI-3"},
    {"FltReadFile: violation 0x3C02 flt-fileio-wrong-volume", "FI-3"},
    {"FltReadFile: violation 0x3C05 flt-fileio-file-not-open", "FI-3"},
    {"FltReadFile: " BC_A, "FI-7"},
    {"FltWriteFile: STATUS_SUCCESS", "FI-9, FS-7"},
    {"FltWriteFile: STATUS_ACCESS_DENIED", "FS-7 (a read-only file)"},
    {"FltWriteFile: STATUS_SUCCESS (asynchronous)", "FI-10"},
    {"FltReadFile: STATUS_PENDING (asynchronous)", "FI-10, F-20"},
    {"FltWriteFile: STATUS_PENDING (asynchronous)", "FI-10, F-20"},
    {"FltReadFile: deferred completion STATUS_SUCCESS", "FI-10, F-20, FS-7"},
    {"FltWriteFile: deferred completion STATUS_SUCCESS", "FI-10, F-20, FS-7"},
    {"FltWriteFile: violation 0x3C06 flt-fileio-bad-flags", "FI-7"},
    {"FltWriteFile: " BC_A, "FI-7"},
    {"FltWriteFile: STATUS_INVALID_DEVICE_REQUEST", "FS-7 (a directory)"},
    {"FltWriteFile: STATUS_INSUFFICIENT_RESOURCES", "FI-14"},
    {"FltQueryVolumeInformation: STATUS_INSUFFICIENT_RESOURCES", "FI-14"},
    {"FltCreateFile: STATUS_OBJECT_PATH_NOT_FOUND", "FS-2 (a parent missing)"},
    {"FltCreateFile: STATUS_INSUFFICIENT_RESOURCES", "FI-2, FI-14"},
    {"FltQueryInformationFile: violation 0x3C05 flt-fileio-file-not-open", "FI-3"},
    {"FltQueryInformationFile: STATUS_SUCCESS", "FI-11, FS-12"},
    {"FltQueryInformationFile: STATUS_INSUFFICIENT_RESOURCES", "FI-14"},
    {"FltQueryInformationFile: STATUS_FLT_DELETING_OBJECT", "FI-3"},
    {"FltSetInformationFile: STATUS_SUCCESS", "FI-11, FS-14"},
    {"FltSetInformationFile: STATUS_INVALID_PARAMETER", "FS-14 (a directory)"},
    {"FltQueryVolumeInformation: STATUS_SUCCESS", "FI-12, FS-19"},
    {"FltQueryVolumeInformation: STATUS_FLT_DELETING_OBJECT", "FI-12"},
    {"FltFlushBuffers: STATUS_SUCCESS", "FI-15, FS-21"},
    {"FltQueryDirectoryFile: STATUS_SUCCESS", "FI-13, FS-17"},
    {"FltQueryDirectoryFile: STATUS_INVALID_PARAMETER", "FS-17 (a file)"},
    /* Transactions (version 15). */
    {"kf_flt_new_transaction: active", "FT-2"},
    {"FltEnlistInTransaction: STATUS_SUCCESS", "FT-3"},
    {"FltEnlistInTransaction: STATUS_INVALID_PARAMETER_4", "FT-3 (no notification asked for)"},
    {"FltEnlistInTransaction: STATUS_TRANSACTION_NOT_ACTIVE", "FT-3"},
    {"FltEnlistInTransaction: STATUS_FLT_ALREADY_ENLISTED", "FT-3"},
    {"FltEnlistInTransaction: STATUS_INSUFFICIENT_RESOURCES", "FT-13"},
    {"kf_flt_transaction_end: committed", "FT-5"},
    {"kf_flt_transaction_end: aborted", "FT-5, FT-7"},
    {"kf_flt_transaction_end: undetermined (an acknowledgement owed)", "FT-6"},
    {"FltPrePrepareComplete: STATUS_SUCCESS", "FT-6"},
    {"FltPrepareComplete: STATUS_SUCCESS", "FT-6"},
    {"FltCommitComplete: STATUS_SUCCESS", "FT-6"},
    {"FltCommitFinalizeComplete: STATUS_SUCCESS", "FT-6"},
    {"FltRollbackComplete: STATUS_SUCCESS", "FT-6"},
    {"FltCommitComplete: STATUS_NOT_FOUND", "FT-6 (no context set)"},
    {"FltPrePrepareComplete: violation 0x3E22 flt-txn-complete-unexpected", "FT-6"},
    {"FltPrepareComplete: violation 0x3E22 flt-txn-complete-unexpected", "FT-6 (never sent)"},
    {"FltRollbackEnlistment: STATUS_SUCCESS", "FT-7"},
    {"FltRollbackEnlistment: STATUS_TRANSACTION_REQUEST_NOT_VALID", "FT-7"},
    {"FltRollbackEnlistment: STATUS_NOT_FOUND", "FT-7"},
    {"FltUnregisterFilter: violation 0x3E23 flt-txn-not-acknowledged", "FT-9"},
    {"FltUnregisterFilter: transaction contexts deleted", "FT-11, FC-14"},
    {"FltCommitComplete: violation 0x3E21 flt-txn-invalid", "FT-2"},
    {"TransactionNotificationCallback: violation 0x3E24 flt-txn-callback-status", "FT-8"},
    {"TransactionNotificationCallback: violation 0x3E25 flt-txn-context-freed", "FT-12"},
    {"FltGetTransactionContext: STATUS_SUCCESS", "FT-10, FC-7"},
    {"FltGetTransactionContext: STATUS_NOT_FOUND", "FT-10, FC-7"},
    {"FltDeleteTransactionContext: STATUS_SUCCESS", "FT-10, FC-10"},
    {"FltDeleteTransactionContext: STATUS_NOT_FOUND", "FT-10, FC-10"},
};

/* Outcomes of the rules that no scenario can produce, and why. */
typedef struct unreachable {
    ULONG violation;  /* its violations.def code, or 0 */
    const char *what;
    const char *why;
} unreachable;

static const unreachable cannot[] = {
    {0x1003, "callout-stack-overrun (S-3)",
     "the runner's callout bodies are its own bounded frames inside the granted stack_slack"},
    {0x1004, "terminate-not-system-thread (K-4)", "the runner runs every operation in a system thread"},
    {0x1006, "pool-free-invalid (K-8)", "pool_free frees only the block its slot holds"},
    {0x1007, "pool-leak", "the runner frees the pool a scenario holds; a leak is its invariant KF-INV-014"},
    {0x1008, "assert-failed (K-9)", "no operation runs a driver ASSERT"},
    {0x1009, "routine-not-modeled (K-13)", "the runner calls only modeled routines"},
    {0x2004, "flt-callback-data-foreign from reuse and the Perform routines (F-15, F-16)",
     "a foreign pointer goes only to FltFreeCallbackData (cbd_free foreign)"},
    {0x2005, "flt-callback-data-use-after-free (F-15, F-16)",
     "a freed pointer goes only to FltFreeCallbackData (cbd_free again: a double free)"},
    {0x2008, "flt-callback-data-outstanding from FltStartFiltering (F-5)",
     "the harness's filter has no instance setup callback"},
    {0x2009, "flt-invalid-instance (F-10)",
     "cbd_alloc passes an instance FltStartFiltering created, or NULL once there is none"},
    {0x200A, "flt-invalid-filter (F-4, F-6)", "the runner passes only the filter it registered, once"},
    {0x200B, "flt-null-argument (F-3, F-10, F-14 to F-16)",
     "the runner never passes NULL for a required pointer other than Instance (0x2001)"},
    {0, "FltRegisterFilter: STATUS_INVALID_PARAMETER (F-3)", "the harness's registration has a valid version"},
    {0, "FltStartFiltering: STATUS_INVALID_PARAMETER (F-4)", "flt_start is skipped while the filter is registered"},
    {0, "kf_flt_unload: STATUS_FLT_DO_NOT_DETACH (F-7)", "no operation unloads the filter"},
    {0, "KeBugCheckEx from driver code (K-6)", "no operation calls it"},
    {0x3705, "flt-context-foreign-filter (FC-4)", "the conformance runner registers one filter: no context of another"},
    {0x3C03, "flt-fileio-foreign-instance (FI-1)",
     "the conformance runner registers one filter: no instance of another"},
    {0x3C07, "flt-fileio-apcs-disabled (FI-4)", "the runner enters no critical or guarded region around its file I/O"},
    {0x3C08, "flt-fileio-top-level-irp (FI-4)", "the runner never sets a top-level IRP"},
    {0x3C09, "flt-callback-data-owned-by-filter-manager (FI-10)",
     "the runner's completion routine for its file I/O only records what it saw; callback data slots are its own"},
    {0, "FltAllocateContext / FltSet*Context: STATUS_FLT_DELETING_OBJECT for an unregistering filter (FC-2, FC-4)",
     "FltUnregisterFilter runs no callback of the harness's filter that could allocate or set a context"},
    {0, "FltCreateCommunicationPort: STATUS_FLT_DELETING_OBJECT (FP-2)",
     "the runner's disconnect callback, the only one FltUnregisterFilter runs, creates no port"},
    {0x3806, "flt-name-unsafe-query (FN-7)",
     "the runner gets names only through FltGetFileNameInformation on its callback data, never the Unsafe variant"},
    {0, "FltGetInstanceInformation: STATUS_INVALID_PARAMETER (FO-4, another class)",
     "the runner asks for InstanceBasicInformation and InstanceFullInformation only"},
    {0, "FltGetVolumeGuidName: STATUS_INVALID_DEVICE_REQUEST (FV-5), FltGetVolumeProperties of a network volume (FV-6)",
     "the runner's volumes are F-4's default disks (flt_start gives no configuration): none is a network volume"},
    {0, "FltGetVolumeFromName / FromFileObject / FltObjectReference: STATUS_FLT_DELETING_OBJECT for an unregistering "
        "filter (FV-2, FO-1, FO-2)",
     "FltUnregisterFilter runs no callback of the harness's filter that could ask for an object"},
};

/* The families the seeds do not cover yet (the conformance runner has no operations for them):
 * their operations, fault sites and violation codes are exempt here, each with the reason.
 * Everything else is checked like callback data. */
typedef struct exempt_ops {
    int first, last; /* opcodes */
    const char *why;
} exempt_ops;
static const exempt_ops ops_exempt[] = {
    {KFH_OP_REG_VALUE, KFH_OP_REG_VALUE, "registry values are read by driver targets, whose corpus tests replay them"},
    {KFH_OP_RUN_WORK, KFH_OP_RUN_WORK, "the worker threads are played for driver targets (corpus/drv_worker_fuzz)"},
    {KFH_OP_MF_CREATE, KFH_OP_MF_UNLOAD, "minifilter I/O is delivered by the minifilter fuzzer (test_minifilter_fuzzer)"},
    {KFH_OP_MF_ATTACH, KFH_OP_MF_ATTACH, "the manual attachment is the minifilter fuzzer's (test_minifilter_attach)"},
};

typedef struct exempt_site {
    const char *site;
    const char *why;
} exempt_site;
#define BASE "the WDK base layer, which no scenario operation calls: driver targets and its unit tests fail it"
#define LATER "a Filter Manager family the conformance runner has no operations for yet: its unit tests and the " \
              "driver targets fail it"
static const exempt_site sites_exempt[] = {
    {"ob.handle", BASE}, {"ob.object", BASE}, {"cm.key", BASE}, {"cm.value", BASE}, {"ex.lookaside", BASE},
    {"io.mdl", BASE}, {"mm.lock", BASE}, {"mm.map", BASE}, {"io.workitem", BASE}, {"rtl.string", BASE},
    {"io.device", BASE}, {"io.symlink", BASE}, {"fsrtl.expression", BASE}, {"io.irp", BASE},
    {"flt.safe.post", LATER " (the dispatch of I/O to a filter)"},
    {"flt.opstatus", LATER " (the dispatch of I/O to a filter)"},
    {"flt.section", LATER " (data-scan sections)"},
};

typedef struct exempt_codes {
    ULONG first, last;
    const char *why;
} exempt_codes;
static const exempt_codes codes_exempt[] = {
    {0x3000, 0x36FF, BASE " (the language of driver code, pool, work items, strings, synchronization, events, "
                     "objects, the registry, generic tables)"},
    {0x3914, 0x391F, LATER " (the rest of the work item block: no violation is defined there yet)"},
    {0x3926, 0x39FF, LATER " (the rest of the block after the cancel-safe queues' 0x3920-0x3925, checked here)"},
    {0x3A00, 0x3A3F, BASE " (device objects, symbolic links, IRPs)"},
    {0x3D00, 0x3DFF, LATER " (the dispatch of I/O to a filter's callbacks: the minifilter fuzzer's)"},
    {0x3E0D, 0x3E20, LATER " (the rest of the extra create parameters' block: no violation is defined there)"},
    {0x3E26, 0x3E3F, LATER " (the rest of the transactions' block after their 0x3E21-0x3E25, checked here)"},
    {0x3E40, 0x3E5F, LATER " (data-scan sections)"},
};

static const char *const targets[] = {"expand_fuzz", "flt_fuzz", "mixed_fuzz", "systematic_fuzz"};

static kfh_reach reach;
static int seeds, prepared;
/* The faults systematic_fuzz's enumerations injected, per site. */
static unsigned long long sys_injected[KF_SITE_COUNT];

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 16);
    *len = buf ? fread(buf, 1, 1 << 16, f) : 0;
    fclose(f);
    return buf;
}

/* The bytes of src/NAME.txt, encoded; 1 when they equal the .bin's. */
static int matches_source(const char *dir, const char *name, const uint8_t *bin, size_t len)
{
    char path[1280], err[256];
    if (snprintf(path, sizeof path, "%s/src/%.*s.txt", dir, (int)(strlen(name) - 4), name) >= (int)sizeof path) {
        kft_fail(__FILE__, __LINE__, "%s/%s: path too long", dir, name);
        return 0;
    }
    static kfh_scenario s;
    static uint8_t enc[4096];
    if (kfh_scenario_load(path, &s, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "%s", err);
        return 0;
    }
    size_t n = kfh_scenario_encode(&s, enc, sizeof enc);
    return n == len && memcmp(enc, bin, len) == 0;
}

static void run_seed(const char *target, const char *path, const uint8_t *bytes, size_t len)
{
    static kfh_scenario s;
    static kfh_result res;
    char err[256];
    kfh_config cfg;
    if (kfh_scenario_decode(bytes, len, &s, err, sizeof err)) {
        kft_fail(__FILE__, __LINE__, "%s: %s", path, err);
        return;
    }
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    cfg.reach = &reach;
    if (!strcmp(target, "flt_fuzz") || !strcmp(target, "mixed_fuzz"))
        kfh_scenario_flt_prologue(&s, KFH_PROLOGUE_VOLUMES);
    if (!strcmp(target, "systematic_fuzz")) {
        kfh_config none = cfg;
        none.plan.kind = KFH_PLAN_NONE;
        kfh_run(&s, &none, &res);
        if (res.n_findings)
            kft_fail(__FILE__, __LINE__, "%s: %s", path, res.findings[0].signature);
        kfh_enum_result er;
        unsigned long long before[KF_SITE_COUNT];
        memcpy(before, reach.injected, sizeof before);
        if (kfh_enumerate(&s, &cfg, SYSTEMATIC_RUNS, &er))
            kft_fail(__FILE__, __LINE__, "%s: fail_nth=%llu: %s", path, er.first_nth, er.first.signature);
        for (int k = 0; k < KF_SITE_COUNT; k++)
            sys_injected[k] += reach.injected[k] - before[k];
        return;
    }
    kfh_run(&s, &cfg, &res);
    if (res.n_findings)
        kft_fail(__FILE__, __LINE__, "%s: %s", path, res.findings[0].signature);
    else
        kft_pass();
}

/* Runs every seed once per test program (the tests below share the record). */
static void prepare(void)
{
    if (prepared)
        return;
    prepared = 1;
    memset(&reach, 0, sizeof reach);
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/corpus/%s", KFAULT_SOURCE_DIR, targets[t]);
        DIR *d = opendir(dir);
        if (!d) {
            kft_fail(__FILE__, __LINE__, "%s: cannot open", dir);
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 4, ".bin"))
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            size_t len = 0;
            uint8_t *bytes = read_all(path, &len);
            if (!bytes) {
                kft_fail(__FILE__, __LINE__, "%s: cannot read", path);
                continue;
            }
            if (!matches_source(dir, e->d_name, bytes, len))
                kft_fail(__FILE__, __LINE__, "%s is not what `kfault encode` makes of src/%.*s.txt", path,
                         (int)(n - 4), e->d_name);
            run_seed(targets[t], path, bytes, len);
            seeds++;
            free(bytes);
        }
        closedir(d);
    }
}

TEST(reach_seeds_run_clean)
{
    prepare();
    CHECK(seeds >= 20);
    CHECK_EQ(reach.lost, 0);
}

TEST(reach_every_operation_executed)
{
    prepare();
    /* Every operation but those of the families listed in ops_exempt. */
    for (int c = 1; c < KFH_OP_COUNT; c++) {
        int exempt = 0;
        for (size_t k = 0; k < sizeof ops_exempt / sizeof *ops_exempt; k++)
            exempt |= c >= ops_exempt[k].first && c <= ops_exempt[k].last && ops_exempt[k].why[0];
        if (exempt || reach.ops[c] > reach.skipped[c])
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "no seed executes operation %s (%llu entered, all skipped)", kfh_op_name(c),
                     reach.ops[c]);
    }
}

TEST(reach_every_site_consulted_and_failed)
{
    prepare();
    for (int k = 0; k < KF_SITE_COUNT; k++) {
        /* Every site but those of the families listed in sites_exempt. */
        int exempt = 0;
        for (size_t e = 0; e < sizeof sites_exempt / sizeof *sites_exempt; e++)
            exempt |= !strcmp(sites_exempt[e].site, kf_site_get((kf_site)k)->name) && sites_exempt[e].why[0];
        if (reach.injected[k] || exempt)
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "no seed fails fault site %s (consulted %llu times)",
                     kf_site_get((kf_site)k)->name, reach.consulted[k]);
    }
}

TEST(reach_systematic_fails_the_flt_family_sites)
{
    /* The enumeration of every consultation (fail_nth = 1, 2, ...) reaches the sites of the
     * contexts, the file names, the work items and the ports too, so each of their allocations
     * is failed in turn on top of a live lifecycle. */
    prepare();
    static const kf_site sites[] = {KF_SITE_FLT_CONTEXT,     KF_SITE_FLT_NAME, KF_SITE_FLT_WORKITEM,
                                    KF_SITE_FLT_PORT_SD,     KF_SITE_FLT_PORT, KF_SITE_FLT_MESSAGE,
                                    KF_SITE_FLT_VOLUME_GUID, KF_SITE_FLT_POOL_ALIGNED, KF_SITE_FLT_ECP,
                                    KF_SITE_FLT_CREATE,      KF_SITE_FLT_FILEIO,       KF_SITE_FLT_TXN};
    for (size_t i = 0; i < sizeof sites / sizeof *sites; i++) {
        if (sys_injected[sites[i]])
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "no systematic_fuzz enumeration fails fault site %s",
                     kf_site_get(sites[i])->name);
    }
}

TEST(reach_every_documented_outcome)
{
    prepare();
    for (size_t i = 0; i < sizeof documented / sizeof *documented; i++) {
        if (kfh_reach_count(&reach, documented[i].text))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "no seed reaches \"%s\" (%s)", documented[i].text, documented[i].rule);
    }
}

TEST(reach_outcomes_are_all_documented)
{
    /* Whatever the seeds reach is in the table: a new outcome needs a rule and a row. */
    prepare();
    for (int i = 0; i < reach.n; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof documented / sizeof *documented && !known; k++)
            known = !strcmp(documented[k].text, reach.outcome[i]);
        const char *lower = strstr(reach.outcome[i], "IoStatus STATUS_");
        /* The lower layers answer any status of the lower table (F-18): one row each suffices. */
        known |= lower != NULL;
        if (known)
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "seeds reach \"%s\", which the table does not list", reach.outcome[i]);
    }
}

TEST(reach_every_violation_accounted_for)
{
    /* Each violation code of violations.def is an expected outcome or listed as unreachable. */
    static const ULONG codes[] = {
#define KF_VIOLATION(id, code, name, what) code,
#include "kfault/violations.def"
#undef KF_VIOLATION
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char needle[32];
        snprintf(needle, sizeof needle, "violation 0x%X ", (unsigned)codes[i]);
        int found = 0;
        for (size_t k = 0; k < sizeof documented / sizeof *documented && !found; k++)
            found = strstr(documented[k].text, needle) != NULL;
        for (size_t k = 0; k < sizeof cannot / sizeof *cannot && !found; k++)
            found = cannot[k].violation == codes[i];
        /* The families listed in codes_exempt (contexts 0x3701-0x3707 and names 0x3801-0x3802 are checked). */
        for (size_t k = 0; k < sizeof codes_exempt / sizeof *codes_exempt && !found; k++)
            found = codes[i] >= codes_exempt[k].first && codes[i] <= codes_exempt[k].last && codes_exempt[k].why[0];
        if (found)
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "violation 0x%X (%s) is neither an expected outcome nor listed as unreachable",
                     (unsigned)codes[i], kf_violation_name(codes[i]));
    }
    for (size_t k = 0; k < sizeof cannot / sizeof *cannot; k++)
        CHECK(cannot[k].why[0] != '\0');
}
