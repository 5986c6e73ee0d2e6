/*
 * test_seh.c - structured exception handling as the WDK spells it (SEMANTICS.md L-1 to L-9):
 * __finally on every exit, __leave, the order of filters, termination handlers and handler,
 * AbnormalTermination, GetExceptionInformation, the old keyword names, exceptions in
 * callouts, nested __try in handlers, the jumps C cannot carry, and ProbeForRead/Write.
 *
 * Driver-style code: it includes only WDK headers (plus the test framework).
 */
#include "kft.h"
#include "ntddk.h"

#include <string.h>

/* ---- An order record: each step appends a short tag --------------------------------------- */
static char order[256];
static void rec(const char *tag)
{
    if (order[0])
        strncat(order, " ", sizeof order - strlen(order) - 1);
    strncat(order, tag, sizeof order - strlen(order) - 1);
}
static int recf(const char *tag, int disposition)
{
    rec(tag);
    return disposition;
}
static void order_clear(void) { order[0] = 0; }

/* ---- L-1: __finally on normal exit, __leave, exception ------------------------------------ */

TEST(finally_normal_exit)
{
    int body = 0, fin = 0, abnormal = -1;
    __try {
        body = 1;
    } __finally {
        fin++;
        abnormal = AbnormalTermination();
    }
    CHECK_EQ(body, 1);
    CHECK_EQ(fin, 1);
    CHECK_EQ(abnormal, 0);
}

/* __leave from inside loops nested in the __try: a plain jump, so locals need no volatile. */
static int leave_from_loops(int stop_at, int *fin, int *abnormal)
{
    int status = -1, after = 0;
    __try {
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 3; j++) {
                if (i == stop_at) {
                    status = 100 + i;
                    __leave;
                }
            }
        }
        status = 0;
        after = 1;
    } __finally {
        (*fin)++;
        *abnormal = AbnormalTermination();
        if (status >= 0)
            status += 1000;
    }
    return status + after * 10000;
}

TEST(finally_on_leave)
{
    int fin = 0, abnormal = -1;
    CHECK_EQ(leave_from_loops(4, &fin, &abnormal), 1104);
    CHECK_EQ(fin, 1);
    CHECK_EQ(abnormal, 0);
    fin = 0;
    CHECK_EQ(leave_from_loops(99, &fin, &abnormal), 11000);
    CHECK_EQ(fin, 1);
}

static volatile int fin_runs, fin_abnormal;
static void raise_through_finally(NTSTATUS code)
{
    __try {
        ExRaiseStatus(code);
    } __finally {
        fin_runs++;
        fin_abnormal = AbnormalTermination();
    }
}

TEST(finally_on_exception)
{
    volatile NTSTATUS caught = 0;
    fin_runs = 0;
    fin_abnormal = -1;
    __try {
        raise_through_finally(STATUS_INVALID_PARAMETER);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode();
    }
    CHECK_EQ(caught, STATUS_INVALID_PARAMETER);
    CHECK_EQ(fin_runs, 1);
    CHECK(fin_abnormal != 0);
}

/* ---- L-2: filters first (innermost outward), then termination handlers, then the handler -- */

static void level3(void)
{
    __try {
        __try {
            rec("raise");
            ExRaiseStatus(STATUS_NOT_FOUND);
        } __except (recf("filter3", EXCEPTION_CONTINUE_SEARCH)) {
            rec("handler3");
        }
    } __finally {
        rec(AbnormalTermination() ? "finally3:abnormal" : "finally3:normal");
    }
}

static void level2(void)
{
    __try {
        __try {
            level3();
        } __finally {
            rec(AbnormalTermination() ? "finally2:abnormal" : "finally2:normal");
        }
    } __except (recf("filter2", EXCEPTION_CONTINUE_SEARCH)) {
        rec("handler2");
    }
}

TEST(order_across_three_functions)
{
    order_clear();
    __try {
        level2();
    } __except (recf("filter1", EXCEPTION_EXECUTE_HANDLER)) {
        rec(GetExceptionCode() == STATUS_NOT_FOUND ? "handler1" : "handler1:wrong-code");
    }
    rec("after");
    CHECK(!strcmp(order, "raise filter3 filter2 filter1 finally3:abnormal finally2:abnormal handler1 after"));
    if (strcmp(order, "raise filter3 filter2 filter1 finally3:abnormal finally2:abnormal handler1 after"))
        printf("order: %s\n", order);
}

TEST(order_within_one_function)
{
    order_clear();
    __try {
        __try {
            __try {
                __try {
                    rec("raise");
                    ExRaiseStatus(STATUS_NOT_FOUND);
                } __except (recf("filter3", EXCEPTION_CONTINUE_SEARCH)) {
                    rec("handler3");
                }
            } __finally {
                rec("finally3");
            }
        } __finally {
            rec("finally2");
        }
    } __except (recf("filter1", EXCEPTION_EXECUTE_HANDLER)) {
        rec("handler1");
    }
    CHECK(!strcmp(order, "raise filter3 filter1 finally3 finally2 handler1"));
    if (strcmp(order, "raise filter3 filter1 finally3 finally2 handler1"))
        printf("order: %s\n", order);
}

/* The search keeps the frames it passes intact: a deep filter that uses much stack does not
 * disturb the locals a __finally block of an inner function reads afterwards. */
static int big_filter(void)
{
    volatile char scratch[8192];
    memset((char *)scratch, 0x5A, sizeof scratch);
    rec("bigfilter");
    return scratch[100] == 0x5A ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

static int locals_ok;
static void inner_with_locals(void)
{
    char canary[512];
    for (size_t i = 0; i < sizeof canary; i++)
        canary[i] = (char)(i * 7);
    __try {
        ExRaiseStatus(STATUS_CANCELLED);
    } __finally {
        int ok = 1;
        for (size_t i = 0; i < sizeof canary; i++)
            ok &= canary[i] == (char)(i * 7);
        locals_ok = ok;
        rec("finally");
    }
}

TEST(search_keeps_inner_frames)
{
    order_clear();
    locals_ok = -1;
    __try {
        inner_with_locals();
    } __except (big_filter()) {
        rec("handler");
    }
    CHECK_EQ(locals_ok, 1);
    CHECK(!strcmp(order, "bigfilter finally handler"));
}

/* __leave in the handler of a nested __try leaves the enclosing __try, as with MSVC. */
TEST(leave_from_nested_handler)
{
    volatile int reached = 0, fin = 0, handled = 0;
    __try {
        __try {
            ExRaiseStatus(STATUS_CANCELLED);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            handled = 1;
            __leave;
        }
        reached = 1;
    } __finally {
        fin = AbnormalTermination() ? 2 : 1;
    }
    CHECK_EQ(handled, 1);
    CHECK_EQ(reached, 0);
    CHECK_EQ(fin, 1);
}

/* Exceptions caught in a loop leave nothing behind: neither frames nor stack (the pad a
 * filter uses goes with the filter). */
static char *deepest;
static __attribute__((noinline)) int note_depth(void)
{
    char *here = (char *)__builtin_frame_address(0);
    if (!deepest || here < deepest)
        deepest = here;
    return EXCEPTION_EXECUTE_HANDLER;
}

TEST(exceptions_in_a_loop_use_no_more_stack)
{
    char *first = NULL;
    volatile int caught = 0;
    for (int i = 0; i < 2000; i++) {
        __try {
            raise_through_finally(STATUS_NO_MEMORY);
        } __except (note_depth()) {
            caught++;
        }
        if (i == 0)
            first = deepest;
    }
    CHECK_EQ(caught, 2000);
    CHECK(first != NULL && deepest == first);
}

/* ---- L-3: AbnormalTermination values ------------------------------------------------------ */

TEST(abnormal_termination_values)
{
    volatile int seen[3] = {-1, -1, -1};
    __try {
    } __finally {
        seen[0] = AbnormalTermination();
    }
    __try {
        __leave;
    } __finally {
        seen[1] = _abnormal_termination();
    }
    __try {
        __try {
            ExRaiseStatus(STATUS_UNSUCCESSFUL);
        } __finally {
            seen[2] = AbnormalTermination();
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
    CHECK_EQ(seen[0], 0);
    CHECK_EQ(seen[1], 0);
    CHECK(seen[2] != 0);
    /* Inside a __try nested in a __finally block, the block's own value. */
    volatile int nested = -1;
    __try {
        __try {
            ExRaiseStatus(STATUS_UNSUCCESSFUL);
        } __finally {
            __try {
                nested = AbnormalTermination();
            } __except (EXCEPTION_EXECUTE_HANDLER) {
            }
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
    CHECK(nested != 0);
}

/* ---- L-4: GetExceptionInformation --------------------------------------------------------- */

static EXCEPTION_RECORD copied;
static PCONTEXT copied_context = (PCONTEXT)1;
static int copy_info(PEXCEPTION_POINTERS p)
{
    if (!p)
        return EXCEPTION_CONTINUE_SEARCH;
    copied = *p->ExceptionRecord;
    copied_context = p->ContextRecord;
    return EXCEPTION_EXECUTE_HANDLER;
}

TEST(exception_information_record)
{
    volatile int handled = 0;
    memset(&copied, 0xEE, sizeof copied);
    __try {
        ExRaiseStatus(STATUS_FILE_CORRUPT_ERROR);
    } __except (copy_info(GetExceptionInformation())) {
        handled = 1;
    }
    CHECK_EQ(handled, 1);
    CHECK_EQ(copied.ExceptionCode, STATUS_FILE_CORRUPT_ERROR);
    CHECK_EQ(copied.ExceptionFlags, EXCEPTION_NONCONTINUABLE);
    CHECK_EQ(copied.NumberParameters, 0);
    CHECK(copied.ExceptionRecord == NULL);
    CHECK(copied.ExceptionAddress == NULL);
    CHECK(copied_context == NULL);
    /* Outside a filter there is none. */
    CHECK(GetExceptionInformation() == NULL);
    CHECK(_exception_info() == NULL);
}

static EXCEPTION_RECORD chained_first;
static int copy_chain(PEXCEPTION_POINTERS p)
{
    copied = *p->ExceptionRecord;
    if (p->ExceptionRecord->ExceptionRecord)
        chained_first = *p->ExceptionRecord->ExceptionRecord;
    return EXCEPTION_EXECUTE_HANDLER;
}

static void continue_execution(void)
{
    __try {
        ExRaiseStatus(STATUS_END_OF_FILE);
    } __except (EXCEPTION_CONTINUE_EXECUTION) {
    }
}

TEST(exception_information_noncontinuable_chain)
{
    memset(&chained_first, 0, sizeof chained_first);
    __try {
        continue_execution();
    } __except (copy_chain(GetExceptionInformation())) {
    }
    CHECK_EQ(copied.ExceptionCode, STATUS_NONCONTINUABLE_EXCEPTION);
    CHECK_EQ(copied.ExceptionFlags, EXCEPTION_NONCONTINUABLE);
    CHECK_EQ(chained_first.ExceptionCode, STATUS_END_OF_FILE);
}

/* ---- L-8: the old keyword names and the underscore forms ---------------------------------- */

TEST(keyword_forms)
{
    volatile int handler = 0, fin = 0, reached = 0;
    try {
        ExRaiseStatus(STATUS_ACCESS_DENIED);
    } except (GetExceptionCode() == STATUS_ACCESS_DENIED) {
        handler = 1;
    }
    try {
        leave;
        reached = 1;
    } finally {
        fin = AbnormalTermination() ? 2 : 1;
    }
    CHECK_EQ(handler, 1);
    CHECK_EQ(fin, 1);
    CHECK_EQ(reached, 0);
    volatile int under = 0;
    _try {
        ExRaiseStatus(STATUS_ACCESS_DENIED);
    } _except (EXCEPTION_EXECUTE_HANDLER) {
        under = (int)_exception_code();
    }
    CHECK_EQ(under, STATUS_ACCESS_DENIED);
    _try {
        _leave;
    } _finally {
        under = 7;
    }
    CHECK_EQ(under, 7);
}

/* ---- L-5: an exception that leaves a callout ---------------------------------------------- */

static volatile int callout_fin, outer_filter;
static VOID callout_with_finally(PVOID p)
{
    (void)p;
    __try {
        __try {
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        } __finally {
            callout_fin++;
        }
    } __finally {
        callout_fin++;
    }
}

static void expand_with_outer_handler(void *p)
{
    (void)p;
    __try {
        KeExpandKernelStackAndCalloutEx(callout_with_finally, NULL, 0x2000, FALSE, NULL);
    } __except (outer_filter = 1, EXCEPTION_EXECUTE_HANDLER) {
    }
}

TEST(callout_exception_bugchecks_before_finally)
{
    kf_stop st;
    callout_fin = 0;
    outer_filter = 0;
    CHECK(kft_stops(expand_with_outer_handler, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_INSUFFICIENT_RESOURCES);
    CHECK_EQ(callout_fin, 0);
    CHECK_EQ(outer_filter, 0);
    CHECK_EQ(kf_callout_depth(), 0);
    /* The thread is usable afterwards: a new exception finds its handler. */
    volatile int ok = 0;
    __try {
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        ok = 1;
    }
    CHECK_EQ(ok, 1);
}

static void raise_no_handler_with_finally(void *p)
{
    (void)p;
    __try {
        ExRaiseStatus(STATUS_DEVICE_NOT_READY);
    } __finally {
        callout_fin++;
    }
}

TEST(unhandled_bugchecks_before_finally)
{
    kf_stop st;
    callout_fin = 0;
    CHECK(kft_stops(raise_no_handler_with_finally, NULL, &st));
    CHECK_EQ(st.code, KMODE_EXCEPTION_NOT_HANDLED);
    CHECK_EQ(st.param[0], (ULONG)STATUS_DEVICE_NOT_READY);
    CHECK_EQ(callout_fin, 0);
}

/* ---- L-7: nested __try in __finally and __except; exceptions in filters and blocks -------- */

TEST(nested_try_in_handler_and_finally)
{
    volatile NTSTATUS in_handler = 0, in_finally = 0, outer = 0;
    __try {
        ExRaiseStatus(STATUS_OBJECT_NAME_INVALID);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        __try {
            ExRaiseStatus(STATUS_OBJECT_PATH_INVALID);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            in_handler = GetExceptionCode();
        }
    }
    __try {
        __try {
            ExRaiseStatus(STATUS_ACCESS_DENIED);
        } __finally {
            __try {
                ExRaiseStatus(STATUS_NO_MEMORY);
            } __except (EXCEPTION_EXECUTE_HANDLER) {
                in_finally = GetExceptionCode();
            }
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(in_handler, STATUS_OBJECT_PATH_INVALID);
    CHECK_EQ(in_finally, STATUS_NO_MEMORY);
    CHECK_EQ(outer, STATUS_ACCESS_DENIED);
}

/* An exception raised in a __finally block during an unwind replaces the first one. */
TEST(exception_in_finally_during_unwind)
{
    volatile NTSTATUS outer = 0;
    order_clear();
    __try {
        __try {
            __try {
                ExRaiseStatus(STATUS_ACCESS_DENIED);
            } __finally {
                rec("finally-inner");
                ExRaiseStatus(STATUS_NO_MEMORY);
            }
        } __finally {
            rec(AbnormalTermination() ? "finally-outer:abnormal" : "finally-outer:normal");
        }
    } __except (recf(GetExceptionCode() == STATUS_ACCESS_DENIED ? "filter:first" : "filter:second",
                     EXCEPTION_EXECUTE_HANDLER)) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(outer, STATUS_NO_MEMORY);
    CHECK(!strcmp(order, "filter:first finally-inner filter:second finally-outer:abnormal"));
}

/* An exception raised in a filter and not handled there goes past the frames the first one
 * came through; their __finally blocks still run. */
static int filter_that_raises(void)
{
    rec("filter-raises");
    ExRaiseStatus(STATUS_INVALID_DEVICE_REQUEST);
}

TEST(exception_in_filter_goes_outward)
{
    volatile NTSTATUS outer = 0;
    order_clear();
    __try {
        __try {
            __try {
                ExRaiseStatus(STATUS_ACCESS_DENIED);
            } __finally {
                rec("finally");
            }
        } __except (filter_that_raises()) {
            rec("never");
        }
    } __except (recf("outer-filter", EXCEPTION_EXECUTE_HANDLER)) {
        outer = GetExceptionCode();
    }
    CHECK_EQ(outer, STATUS_INVALID_DEVICE_REQUEST);
    CHECK(!strcmp(order, "filter-raises outer-filter finally"));
}

/* Handlers sit outside kfault's loop: break and continue in them reach the driver's loop. */
TEST(handler_break_and_continue_reach_the_loop)
{
    int after = 0, handled = 0, i;
    for (i = 0; i < 5; i++) {
        __try {
            ExRaiseStatus(STATUS_CANCELLED);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            handled++;
            if (i == 3)
                break;
            continue;
        }
        after++;
    }
    CHECK_EQ(i, 3);
    CHECK_EQ(handled, 4);
    CHECK_EQ(after, 0);
}

/* return and goto out of a __try / __except body are exact. */
static int return_from_try(void)
{
    __try {
        return 5;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return 6;
    }
    return 7; /* the compilers cannot see that the __try statement never ends here */
}

TEST(return_and_goto_from_except_body)
{
    CHECK_EQ(return_from_try(), 5);
    volatile int got = 0;
    __try {
        goto out;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
    got = 1;
out:
    CHECK_EQ(got, 0);
    /* The frames are gone: a raise now reaches this handler. */
    volatile int handled = 0;
    __try {
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        handled = 1;
    }
    CHECK_EQ(handled, 1);
}

/* ---- L-9: jumps C cannot carry out are stops, never silent -------------------------------- */

static void continue_in_try(void *p)
{
    (void)p;
    for (int i = 0; i < 2; i++) {
        __try {
            continue;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
    }
}

static void break_in_try(void *p)
{
    (void)p;
    for (int i = 0; i < 2; i++) {
        __try {
            break;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
    }
}

static int ret_fin;
static int return_from_try_finally(void)
{
    __try {
        return 1;
    } __finally {
        ret_fin++;
    }
    return 0;
}
static void return_in_try_finally(void *p)
{
    (void)p;
    (void)return_from_try_finally();
}

static void break_in_finally(void *p)
{
    (void)p;
    for (int i = 0; i < 2; i++) {
        __try {
        } __finally {
            break;
        }
    }
}

static int return_during_unwind(void)
{
    __try {
        ExRaiseStatus(STATUS_CANCELLED);
    } __finally {
        return 3;
    }
    return 0;
}
static void return_in_finally_during_unwind(void *p)
{
    (void)p;
    __try {
        (void)return_during_unwind();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
}

TEST(jumps_not_modeled_are_stops)
{
    static const struct {
        void (*fn)(void *);
        ULONG code;
        ULONG_PTR kind;
    } cases[] = {
        {continue_in_try, 0x3001, 1},
        {break_in_finally, 0x3001, 2},
        {return_in_try_finally, 0x3001, 3},
        {break_in_try, 0x3001, 4},
        {return_in_finally_during_unwind, 0x3002, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kf_stop st;
        memset(&st, 0, sizeof st);
        ret_fin = 0;
        CHECK(kft_stops(cases[i].fn, NULL, &st));
        CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        CHECK_EQ(st.param[0], cases[i].code);
        CHECK_EQ(st.param[1], cases[i].kind);
        CHECK_EQ(ret_fin, 0);
        kf_reset();
    }
}

/* A return from a __finally block after normal termination is legal and exact. */
static int return_from_finally(void)
{
    __try {
    } __finally {
        return 9;
    }
    return 0;
}

TEST(return_from_finally_normal)
{
    CHECK_EQ(return_from_finally(), 9);
    volatile int handled = 0;
    __try {
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        handled = 1;
    }
    CHECK_EQ(handled, 1);
}

/* ---- L-6: ProbeForRead / ProbeForWrite ---------------------------------------------------- */

static NTSTATUS probe_code(int write, const void *address, SIZE_T length, ULONG alignment)
{
    volatile NTSTATUS code = STATUS_SUCCESS;
    __try {
        if (write)
            ProbeForWrite((PVOID)address, length, alignment);
        else
            ProbeForRead(address, length, alignment);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    return code;
}

static ULONG64 user_area[8];
static const ULONG64 user_read_only[4];

TEST(probe_cases)
{
    kf_reset();
    CHECK_EQ(kf_user_buffer_add(user_area, sizeof user_area, 1), 0);
    CHECK_EQ(kf_user_buffer_add(user_read_only, sizeof user_read_only, 0), 0);
    const char *base = (const char *)user_area;
    for (int write = 0; write < 2; write++) {
        /* Inside a declared buffer, aligned: nothing. */
        CHECK_EQ(probe_code(write, base, sizeof user_area, 8), STATUS_SUCCESS);
        CHECK_EQ(probe_code(write, base + 4, 4, 4), STATUS_SUCCESS);
        /* Length 0 does nothing, whatever the address. */
        CHECK_EQ(probe_code(write, (const void *)1, 0, 8), STATUS_SUCCESS);
        /* Misaligned. */
        CHECK_EQ(probe_code(write, base + 2, 4, 4), STATUS_DATATYPE_MISALIGNMENT);
        /* Past the end, before the start, not user memory at all, wrapping around. */
        CHECK_EQ(probe_code(write, base, sizeof user_area + 1, 1), STATUS_ACCESS_VIOLATION);
        CHECK_EQ(probe_code(write, base - 8, 16, 8), STATUS_ACCESS_VIOLATION);
        CHECK_EQ(probe_code(write, &base, sizeof base, 1), STATUS_ACCESS_VIOLATION);
        CHECK_EQ(probe_code(write, base + 8, (SIZE_T)-8, 1), STATUS_ACCESS_VIOLATION);
    }
    /* A read-only buffer reads but does not write. */
    CHECK_EQ(probe_code(0, user_read_only, sizeof user_read_only, 8), STATUS_SUCCESS);
    CHECK_EQ(probe_code(1, user_read_only, sizeof user_read_only, 8), STATUS_ACCESS_VIOLATION);
    /* kf_reset forgets the buffers. */
    kf_reset();
    CHECK_EQ(probe_code(0, base, 8, 8), STATUS_ACCESS_VIOLATION);
}

static void probe_bad_alignment(void *p)
{
    (void)p;
    ProbeForRead(user_area, 8, 3);
}

static void probe_at_dispatch(void *p)
{
    KIRQL old;
    (void)p;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ProbeForWrite(user_area, 8, 8);
}

TEST(probe_misuse)
{
    kf_stop st;
    kf_user_buffer_add(user_area, sizeof user_area, 1);
    CHECK(kft_stops(probe_bad_alignment, NULL, &st));
    CHECK_EQ(st.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    CHECK_EQ(st.param[0], 0x3003);
    CHECK_EQ(st.param[1], 3);
    CHECK(kft_stops(probe_at_dispatch, NULL, &st));
    CHECK_EQ(st.code, IRQL_NOT_LESS_OR_EQUAL);
    CHECK_EQ(st.param[0], APC_LEVEL);
    CHECK_EQ(st.param[1], DISPATCH_LEVEL);
}

TEST(user_probe_address_constants)
{
#if defined(_AMD64_) || defined(_ARM64_)
    CHECK_EQ(MM_USER_PROBE_ADDRESS, 0x7FFFFFFF0000ull);
#else
    CHECK_EQ(MM_USER_PROBE_ADDRESS, 0x7FFF0000ul);
#endif
    CHECK_EQ((ULONG_PTR)MM_HIGHEST_USER_ADDRESS, MM_USER_PROBE_ADDRESS - 1);
    CHECK_EQ((ULONG_PTR)MM_LOWEST_USER_ADDRESS, 0x10000);
}
