/*
 * plans_env.c - a program linked with the model alone (no harness, no hook): it allocates
 * pool 100 times from one place and prints how many allocations failed and the first that did,
 * so that ctest can run it under KFAULT_OPTIONS from the environment (SEMANTICS.md PL-1 to
 * PL-7: each plan acts, or the option that cannot act is refused with exit status 2).
 */
#include <ntddk.h>

#include <stdio.h>

int main(void)
{
    int failed = 0, first = 0;
    for (int i = 1; i <= 100; i++) {
        PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 0x76456e50u);
        if (!p) {
            failed++;
            if (!first)
                first = i;
            continue;
        }
        ExFreePoolWithTag(p, 0x76456e50u);
    }
    printf("injected %d of 100 first %d\n", failed, first);
    return 0;
}
