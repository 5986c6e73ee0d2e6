/*
 * kfault/minifilter.h - the generic minifilter fuzzer (libkfault_minifilter.a): any minifilter
 * linked with it is fuzzed through its own DriverEntry and the callbacks it registers, with no
 * target code. The input is a scenario (docs/SCENARIO_FORMAT.md, "The minifilter fuzzer"): the
 * environment of a driver target (profile, volumes, fault decisions, answers the layers below
 * give the filter's own I/O) and the I/O that arrives (mf_create, mf_io, mf_detach, mf_unload,
 * run_pending). The driver environment (kfault/driver_env.h) loads, runs, unloads and judges it;
 * this layer adds the callback contract's findings, the operation and callback a finding
 * happened in, and seeds made from the filter's registration. Driver code never includes it.
 * Must never decide from a clock or an address: a run is a function of its bytes and options.
 */
#ifndef KFAULT_MINIFILTER_H
#define KFAULT_MINIFILTER_H

#include "kfault/driver_env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The linked driver's entry point (the WDK's name). */
DRIVER_INITIALIZE DriverEntry;

/* The service name in the RegistryPath DriverEntry gets:
 * \Registry\Machine\System\CurrentControlSet\Services\Minifilter. */
#define KFH_MF_SERVICE "Minifilter"

/* One run of the linked driver on a scenario. Returns the number of findings; run->finding is
 * the first, with the callback and operation it happened in written into where (wlen bytes,
 * "" when none). */
int kfh_mf_run(const uint8_t *data, size_t size, kfh_drv_run *run, char *where, size_t wlen);
/* The fuzz target's body: a finding prints its report (environment, the callback and operation,
 * the invariant, the scenario as text, the trace's tail) and aborts. Returns 0. */
int kfh_mf_fuzz_one(const uint8_t *data, size_t size);
/* Loads the linked driver, reads its operation registration, and writes into dir (which must
 * exist) one scenario per registered operation, plus teardown, unload and a mix of files:
 * seed-*.bin. Returns how many it wrote, or -1 with a sentence in err. */
int kfh_mf_write_seeds(const char *dir, char *err, size_t errlen);
/* The seeds kfh_mf_write_seeds would write, without writing: seed k into *s (0 <= k < the
 * count returned by kfh_mf_seed_count), its name into name. */
int kfh_mf_seed_count(void);
int kfh_mf_seed(int k, kfh_scenario *s, char *name, size_t nlen);
/* The communication ports the driver created when it was loaded for its registration (at most
 * KFH_CLIENT_PORTS, oldest first): `port_connect port=N` connects to the N-th. */
unsigned kfh_mf_port_count(void);

/* The registry values the driver's installation writes, from its INF file (the bytes, or a
 * path): installed under the service key before every load, the first KFH_REG_VALUES of them
 * changed by the scenario's reg_value (the values under an Instances key come last). Returns
 * how many values, or -1 with a sentence in err (then none are installed). Also read from
 * -kfault_inf=FILE or the environment variable KFAULT_INF by the fuzzer's initialization. */
int kfh_mf_set_inf(const void *bytes, size_t size, char *err, size_t errlen);
int kfh_mf_set_inf_file(const char *path, char *err, size_t errlen);
/* Nonzero: the values stay as installed, the scenario's reg_value is skipped (also
 * -kfault_registry=fixed), so that fuzzing goes past a driver's handling of malformed
 * parameters once that is known. */
void kfh_mf_set_registry_fixed(int fixed);
/* Nonzero: the port's client always reads the driver's messages and replies (port_answer other
 * than `reply` is skipped; also -kfault_client=trusted), so that fuzzing goes past a driver that
 * waits for its service forever once that is known. */
void kfh_mf_set_client_trusted(int trusted);
/* The values installed before each load (n gets their number). */
const kfh_reg_spec *kfh_mf_registry(unsigned *n);

#ifdef __cplusplus
}
#endif
#endif /* KFAULT_MINIFILTER_H */
