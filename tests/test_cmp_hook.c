/*
 * test_cmp_hook.c - string comparisons are told to the fuzzing engine (SEMANTICS.md FD-26): this
 * program defines libFuzzer's weak hook itself and checks what the model's comparisons hand it,
 * and that the comparisons' results are unchanged.
 */
#include "kft.h"
#include <ntddk.h>

#include <string.h>

static int calls;

/* Byte comparison without memcmp: the sanitizer's memcmp calls the hook itself. */
static int same(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}
static unsigned char last_a[64], last_b[64];
static size_t last_n;
static int saw_ascii;

void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n, int result);
void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n, int result)
{
    (void)caller_pc;
    (void)result;
    if (n > sizeof last_a)
        return;
    calls++;
    memcpy(last_a, s1, n);
    memcpy(last_b, s2, n);
    last_n = n;
    if (n == 4 && same(s1, "txt", 4) && same(s2, "docx", 4))
        saw_ascii = 1;
}

TEST(equal_unicode_string_hooks_both_forms)
{
    UNICODE_STRING ext = RTL_CONSTANT_STRING(L"txt"), docx = RTL_CONSTANT_STRING(L"docx");
    calls = 0;
    saw_ascii = 0;
    CHECK(!RtlEqualUnicodeString(&ext, &docx, TRUE));
    CHECK(calls >= 2);
    CHECK(saw_ascii); /* "txt" padded to the longer operand, against "docx", one byte a character */
    /* Equal strings tell nothing. */
    int before = calls;
    CHECK(RtlEqualUnicodeString(&docx, &docx, FALSE));
    CHECK_EQ(calls, before);
}

TEST(prefix_suffix_compare_and_crt_hook)
{
    UNICODE_STRING windows = RTL_CONSTANT_STRING(L"\\Windows\\"), dir = RTL_CONSTANT_STRING(L"\\Users\\x\\");
    calls = 0;
    CHECK(!RtlPrefixUnicodeString(&windows, &dir, TRUE));
    CHECK(calls >= 1);
    UNICODE_STRING tail = RTL_CONSTANT_STRING(L".exe"), name = RTL_CONSTANT_STRING(L"a.dll");
    calls = 0;
    CHECK(!RtlSuffixUnicodeString(&tail, &name, TRUE));
    CHECK(calls >= 1);
    CHECK(same(last_a, ".dll", 4)); /* the end of String2 against String1 */
    CHECK(same(last_b, ".exe", 4));
    calls = 0;
    CHECK(RtlCompareUnicodeString(&tail, &name, FALSE) != 0);
    CHECK(calls >= 1);
    calls = 0;
    CHECK(wcscmp(L"abc", L"abd") < 0);
    CHECK(_wcsicmp(L"ABC", L"abd") < 0);
    CHECK(calls >= 2);
}
