/*
 * load_main.c - a main() that loads a driver the way the I/O manager does and unloads it,
 * for driver source linked with kfault and nothing else: it calls the driver's DriverEntry
 * with a DRIVER_OBJECT and the service key path, at PASSIVE_LEVEL in a system thread, then
 * runs the work items it queued (as the system's worker threads would), unloads it (a
 * minifilter as `fltmc unload` does, through its FilterUnloadCallback; any other driver
 * through DriverUnload), and reports what it left behind: every kind kf_leaks counts.
 *
 *   usage: PROGRAM [--service NAME] [--inf FILE] [--keep-loaded] [--help]
 *
 * Exit status: 0 when DriverEntry returned STATUS_SUCCESS, the unload succeeded and nothing
 * leaked; 1 when the driver failed to load, stopped the simulated kernel, failed to unload
 * or leaked; 2 on a usage error. Every step is printed, one line each, and last the fault
 * sites consulted and failed (KFAULT_OPTIONS=fail_nth=N fails the N-th: a sweep over N is
 * how scripts/real_drivers.sh checks a driver's failure paths). Must never decide
 * anything a driver meets from a clock or an address: the model's options (KFAULT_OPTIONS)
 * and the arguments are the whole input.
 */
#include <fltKernel.h>

#include "kfault/driver_env.h"
#include "kfault/flt_model.h"
#include "kfault/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DRIVER_INITIALIZE DriverEntry;

static DRIVER_OBJECT driver;
static DRIVER_EXTENSION extension;
static WCHAR path_buffer[256];
static UNICODE_STRING registry_path;
static NTSTATUS entry_status, unload_status;

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--service NAME] [--inf FILE] [--keep-loaded] [--help]\n"
            "\n"
            "Loads the driver linked into this program: DriverEntry(DriverObject, RegistryPath) with\n"
            "RegistryPath \\Registry\\Machine\\System\\CurrentControlSet\\Services\\NAME (default: the\n"
            "program's name), at PASSIVE_LEVEL in a system thread; then unloads it (a minifilter\n"
            "through its FilterUnloadCallback, as fltmc unload; else DriverUnload) unless\n"
            "--keep-loaded, and reports what it left behind: pool (with the first block's tag, size,\n"
            "routine and site), callback data, stack segments, handles, object references, lookaside\n"
            "lists, work items and MDLs. Work items the driver queued run after DriverEntry, as the\n"
            "system's worker threads would run them before the unload. --inf installs, before\n"
            "DriverEntry, the registry values the driver's INF writes under its service key (the HKR\n"
            "lines of its AddReg sections).\n"
            "KFAULT_OPTIONS sets the model's options (profile, faults): KFAULT_OPTIONS=help=1.\n"
            "Exit status: 0 loaded, unloaded, nothing left; 1 a failure or a stop; 2 usage.\n",
            argv0);
}

static void set_service(const char *name)
{
    static const char prefix[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
    size_t n = 0;
    for (const char *p = prefix; *p && n + 1 < RTL_NUMBER_OF(path_buffer); p++)
        path_buffer[n++] = (WCHAR)(unsigned char)*p;
    for (const char *p = name; *p && n + 1 < RTL_NUMBER_OF(path_buffer); p++)
        path_buffer[n++] = (WCHAR)(unsigned char)*p;
    path_buffer[n] = 0;
    registry_path.Buffer = path_buffer;
    registry_path.Length = (USHORT)(n * sizeof(WCHAR));
    registry_path.MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
}

/* The INF's values under the service key (FH-13); 0, or -1 with the reason printed. */
static int install_inf(const char *path, const char *service)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open the INF file %s\n", path);
        return -1;
    }
    static unsigned char bytes[1 << 20];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    int big = !feof(f);
    fclose(f);
    if (big) {
        fprintf(stderr, "%s: larger than %zu bytes\n", path, sizeof bytes);
        return -1;
    }
    static kfh_reg_spec values[64];
    char err[256];
    int k = kfh_inf_read(bytes, n, values, 64, err, sizeof err);
    if (k < 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    for (int i = 0; i < k; i++) {
        char key[512];
        snprintf(key, sizeof key, "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s%s%s", service,
                 values[i].key[0] ? "\\" : "", values[i].key);
        if (values[i].data && kf_registry_set_value(key, values[i].name, values[i].type, values[i].data, values[i].size)) {
            fprintf(stderr, "no memory for the registry value %s\n", values[i].name);
            return -1;
        }
    }
    printf("registry: %d value(s) from %s\n", k, path);
    return 0;
}

static void call_entry(void *unused)
{
    (void)unused;
    entry_status = DriverEntry(&driver, &registry_path);
}

static void call_unload(void *unused)
{
    (void)unused;
    PFLT_FILTER filter = kf_flt_filter_of(&driver);
    if (filter)
        unload_status = kf_flt_unload(filter, FLTFL_FILTER_UNLOAD_MANDATORY);
    else if (driver.DriverUnload)
        driver.DriverUnload(&driver);
    else
        unload_status = STATUS_NOT_SUPPORTED; /* no unload routine: the driver cannot unload */
}

static int work_items_run;
static void call_work_items(void *unused)
{
    (void)unused;
    /* Bounded, as the driver harness does: a worker that queues itself until the unload stops
     * it must not keep the loader from unloading. */
    work_items_run = kf_run_work_items_max(64);
}

static void print_faults(void)
{
    const kf_fault_stats *faults = kf_fault_get_stats();
    printf("faults: %llu site consultation(s), %llu injected\n", faults->total_consulted, faults->total_injected);
}

static void thread_entry(void *fn) { kf_run_system_thread((void (*)(void *))fn, NULL); }

/* Runs fn in a system thread under a guard; prints the stop and returns 1 when it stopped. */
static int guarded(void (*fn)(void *), const char *what)
{
    kf_stop stop;
    if (!kf_guarded_call(thread_entry, (void *)fn, &stop))
        return 0;
    char report[1024];
    kf_stop_format(&stop, report, sizeof report);
    printf("%s: the simulated kernel stopped\n%s", what, report);
    print_faults();
    fflush(stdout);
    /* What the stopped run holds is the model's to free: a leak report of the process at exit
     * would blame the model for the driver's stop. */
    kf_reset();
    return 1;
}

int main(int argc, char **argv)
{
    const char *service = NULL, *inf = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(argv[i], "--keep-loaded")) {
            keep = 1;
        } else if (!strcmp(argv[i], "--service") && i + 1 < argc && argv[i + 1][0]) {
            service = argv[++i];
        } else if (!strcmp(argv[i], "--inf") && i + 1 < argc && argv[i + 1][0]) {
            inf = argv[++i];
        } else {
            fprintf(stderr, "%s: unknown or incomplete argument '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }
    if (!service) {
        const char *slash = strrchr(argv[0], '/');
        service = slash ? slash + 1 : argv[0];
    }
    kf_options_get(); /* a bad KFAULT_OPTIONS is reported before anything runs */
    kf_reset();
    set_service(service);
    if (inf && install_inf(inf, service))
        return 2;
    driver.Type = 4; /* IO_TYPE_DRIVER */
    driver.Size = (SHORT)sizeof driver;
    driver.DriverExtension = &extension;
    extension.DriverObject = &driver;
    extension.ServiceKeyName.Buffer = path_buffer + (sizeof "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\" - 1);
    extension.ServiceKeyName.Length = (USHORT)(registry_path.Length - (extension.ServiceKeyName.Buffer - path_buffer) * sizeof(WCHAR));
    extension.ServiceKeyName.MaximumLength = extension.ServiceKeyName.Length;

    int failed = 0;
    if (guarded(call_entry, "DriverEntry"))
        return 1;
    printf("DriverEntry: 0x%08X\n", (unsigned)entry_status);
    if (NT_SUCCESS(entry_status))
        kf_io_driver_loaded(&driver); /* the I/O manager clears DO_DEVICE_INITIALIZING */
    if (guarded(call_work_items, "work items"))
        return 1;
    if (work_items_run)
        printf("work items: %d run\n", work_items_run);
    if (!NT_SUCCESS(entry_status))
        failed = 1;
    else if (!keep) {
        if (guarded(call_unload, "unload"))
            return 1;
        const char *how = kf_flt_filter_of(&driver) ? "minifilter still registered" : "ok";
        printf("unload: 0x%08X (%s)\n", (unsigned)unload_status, how);
        failed |= unload_status != STATUS_SUCCESS || kf_flt_filter_of(&driver) != NULL;
    }
    kf_leak_report leaks;
    kf_leaks(&leaks);
    printf("left behind: %zu pool block(s), %zu callback data, %zu stack segment(s), %zu handle(s), %zu object "
           "reference(s), %zu lookaside list(s), %zu work item(s) (%zu queued), %zu MDL(s)\n",
           leaks.pool_blocks, leaks.callback_data, leaks.segments, leaks.handles, leaks.objects,
           leaks.lookaside_lists, leaks.work_items, leaks.work_queued, leaks.mdls);
    /* The kinds of the rest of the model, named only when something is left. */
    const struct {
        size_t n;
        const char *what;
    } more[] = {
        {leaks.device_objects, "device object(s)"},
        {leaks.symbolic_links, "symbolic link(s)"},
        {leaks.irps_pending, "pended IRP(s) never completed"},
        {leaks.flt_contexts, "Filter Manager context(s)"},
        {leaks.flt_names, "file name information reference(s)"},
        {leaks.flt_object_refs, "Filter Manager object reference(s)"},
        {leaks.flt_ports, "communication port(s) or security descriptor(s)"},
        {leaks.flt_work_items, "Filter Manager work item(s)"},
        {leaks.flt_cbdq_entries, "callback data in cancel-safe queues"},
        {leaks.flt_ecps, "extra create parameter(s) or list(s)"},
    };
    size_t n_more = 0;
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        if (more[i].n) {
            printf("%s%zu %s", n_more++ ? ", " : "also left behind: ", more[i].n, more[i].what);
        }
    if (n_more)
        printf("\n");
    ULONG tag;
    SIZE_T size;
    const char *routine;
    char site[256];
    if (kf_pool_first_leak(&tag, &size, &routine, site, sizeof site)) {
        char tag4[5];
        kf_pool_tag_text(tag, tag4);
        printf("first pool block left: '%s' %zu bytes from %s at %s\n", tag4, (size_t)size, routine,
               site[0] ? site : "?");
    }
    print_faults();
    if (leaks.rtl_strings)
        printf("of the pool blocks, %zu string buffer(s) an Rtl routine allocated, never given to "
               "RtlFreeUnicodeString / RtlFreeAnsiString\n",
               leaks.rtl_strings);
    if (!keep)
        failed |= leaks.pool_blocks || leaks.callback_data || leaks.segments || leaks.handles || leaks.objects ||
                  leaks.lookaside_lists || leaks.work_items || leaks.work_queued || leaks.mdls || n_more;
    fflush(stdout);
    kf_reset(); /* counted above; freed now, so the process exits holding nothing of the run */
    return failed;
}
