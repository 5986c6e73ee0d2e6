/*
 * drv.c - a driver-shaped source file that the install test builds against an installed
 * kfault, exactly as a driver project would: `cc drv.c $(pkg-config --cflags --libs kfault)`
 * or find_package(kfault) + kfault::model. It includes only <ntddk.h>, like a driver, and
 * must never include a kfault header or call a kf_ routine.
 * main() exits 0 only when stack expansion behaves as documented; each broken rule has its
 * own exit code.
 */
#include <ntddk.h>

typedef struct _WORK_CONTEXT {
    SIZE_T Needed;
    ULONG Calls;
    ULONG_PTR RemainingInCallout;
} WORK_CONTEXT, *PWORK_CONTEXT;

static EXPAND_STACK_CALLOUT DoDeepWork;

static VOID DoDeepWork(PVOID Parameter)
{
    PWORK_CONTEXT Context = (PWORK_CONTEXT)Parameter;
    Context->Calls++;
    Context->RemainingInCallout = IoGetRemainingStackSize();
}

int main(void)
{
    WORK_CONTEXT Context = {0x3000, 0, 0};
    NTSTATUS Status;

    /* Success: the callout ran once, with at least Size bytes of stack. */
    Status = KeExpandKernelStackAndCalloutEx(DoDeepWork, &Context, Context.Needed, TRUE, NULL);
    if (Status != STATUS_SUCCESS)
        return 10;
    if (Context.Calls != 1)
        return 11;
    if (Context.RemainingInCallout < Context.Needed)
        return 12;

    /* Size above MAXIMUM_EXPANSION_SIZE: STATUS_INVALID_PARAMETER_3 and no callout. */
    Status = KeExpandKernelStackAndCalloutEx(DoDeepWork, &Context, MAXIMUM_EXPANSION_SIZE + 1, FALSE, NULL);
    if (Status != STATUS_INVALID_PARAMETER_3)
        return 20;
    if (Context.Calls != 1)
        return 21;
    return 0;
}
