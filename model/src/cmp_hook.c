/*
 * cmp_hook.c - string comparisons a driver makes through the model (RtlEqualUnicodeString,
 * RtlCompareUnicodeString(s), RtlPrefixUnicodeString, RtlSuffixUnicodeString, the wide C
 * runtime's wcscmp family) told to the fuzzing engine, so that a driver which acts only on
 * certain names or extensions is reached quickly: libFuzzer's weak hook
 * __sanitizer_weak_hook_memcmp receives both operands, as UTF-16 and, when every character is
 * ASCII, as one byte per character too (scenarios carry names and extensions in that form), so
 * its mutations can put the string the driver looked for into the input.
 *
 * SEMANTICS.md FD-26. Must never change what a comparison returns, never read past either
 * operand, and never matter to a run: without libFuzzer the hook is absent and nothing is
 * called; with it, only the engine's mutation tables see the operands.
 */
#include "internal.h"

#include <string.h>

/* Defined by libFuzzer; absent (NULL) in every other program. */
extern void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1, const void *s2, size_t n, int result)
    __attribute__((weak));

#define HOOK_CHARS 32 /* libFuzzer keeps words of at most 64 bytes */

void kf__cmp_hook(void *pc, const WCHAR *a, size_t an, const WCHAR *b, size_t bn)
{
    if (!__sanitizer_weak_hook_memcmp || (!a && an) || (!b && bn))
        return;
    size_t n = an > bn ? an : bn;
    if (n > HOOK_CHARS)
        n = HOOK_CHARS;
    if (n == 0)
        return;
    WCHAR wa[HOOK_CHARS], wb[HOOK_CHARS];
    char na[HOOK_CHARS], nb[HOOK_CHARS];
    memset(wa, 0, sizeof wa);
    memset(wb, 0, sizeof wb);
    int ascii = 1;
    for (size_t i = 0; i < n; i++) {
        if (i < an)
            wa[i] = a[i];
        if (i < bn)
            wb[i] = b[i];
        ascii &= wa[i] < 0x80 && wb[i] < 0x80;
        na[i] = (char)wa[i];
        nb[i] = (char)wb[i];
    }
    if (an == bn) { /* equal: nothing to learn (compared by hand: memcmp would call the hook too) */
        size_t i = 0;
        while (i < n && wa[i] == wb[i])
            i++;
        if (i == n)
            return;
    }
    __sanitizer_weak_hook_memcmp(pc, wa, wb, n * sizeof(WCHAR), 1);
    if (ascii)
        __sanitizer_weak_hook_memcmp(pc, na, nb, n, 1);
}
