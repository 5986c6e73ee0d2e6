/*
 * test_harness_fltio.c - the filter-initiated file I/O operations of scenario format version 15:
 * their bytes and text, the oracle's predictions (harness/oracle_fltio.c, rules FI-1 to FI-15,
 * FS-1 to FS-21 and FX-24 to FX-27 of model/SEMANTICS.md), the conformance runner's comparisons,
 * and that each of their invariants (KF-INV-073, 074) fires on a model that breaks it
 * (kfh_config.model_lie).
 */
#include "test_harness_util.h"

#include <fltKernel.h>

static const char doc_example[] = "version 15\n"
                                  "flt_start 2\n"
                                  "file 0 volume=0 size=40 data=0x64636261\n"
                                  "file 7 volume=0 directory\n"
                                  "fio_create 0 volume=0 name=0 open ex\n"
                                  "fio_io 0 read offset=30 length=16\n"
                                  "fio_io 0 write offset=50 length=10 async\n"
                                  "fio_io 0 query offset=0 length=0\n"
                                  "fio_create 1 volume=0 name=7 open_if ex2 directory read_only any_instance\n"
                                  "fio_io 1 directory offset=0 length=0\n"
                                  "fio_io 1 volume offset=0 length=0\n"
                                  "fio_create 2 volume=1 name=0 create bad_flags\n"
                                  "fio_io 0 read offset=0 length=4 wrong_volume\n"
                                  "fio_close 0\n"
                                  "fio_close 0 again\n"
                                  "fio_close 0 object\n";

TEST(fio_text_round_trip)
{
    th_doc_round_trip(doc_example, 15, 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_FIO_CREATE), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_FIO_IO), 15);
    CHECK_EQ(kfh_op_min_version(KFH_OP_WI_RUN), 14);
    CHECK(kfh_scenario_version_known(15));
}

TEST(fio_text_errors)
{
    static kfh_scenario s;
    char err[256];
    static const char *const bad[] = {
        "fio_create 4 volume=0 name=0 open\n", "fio_create 0 volume=4 name=0 open\n",
        "fio_create 0 volume=0 name=16 open\n", "fio_create 0 volume=0 name=0 reopen\n",
        "fio_create 0 volume=0 name=0\n", "fio_create 0 volume=0 name=0 open ex ex2\n",
        "fio_create 0 volume=0 name=0 open null_iosb relative\n", "fio_close 0 twice\n", "fio_close\n",
        "fio_io 0 seek\n", "fio_io 0 read offset=256\n", "fio_io 0 read length=1 length=2\n",
        "fio_io 0 read null_object bad_flags\n", "version 14\nfio_io 0 read\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        if (kfh_scenario_parse(bad[i], &s, err, sizeof err) == -1 && strstr(err, "line "))
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "accepted or unclear: %s -> %s", bad[i], err);
    }
}

TEST(fio_bytes_clamped_and_old_versions_unchanged)
{
    static kfh_scenario s;
    char err[256];
    /* Version 15: every byte decodes into range. */
    static const uint8_t v15[] = {15, KFH_OP_FIO_CREATE, 0xFF, 0xFF, 0xFF, 0xFF, KFH_OP_FIO_CLOSE, 0xFF, 0xFF,
                                  KFH_OP_FIO_IO, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ(kfh_scenario_decode(v15, sizeof v15, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 3);
    CHECK_EQ(s.ops[0].a, 0xFF % KFH_FIO_SLOTS);
    CHECK(((s.ops[0].b >> 2) & 3) < KFH_FIO_CR_COUNT && (s.ops[0].b >> 5) < KFH_FIO_CMIS_COUNT);
    CHECK(s.ops[0].c < 64 && s.ops[0].size_sel < KFH_FILE_NAMES);
    CHECK_EQ(s.ops[1].b, 0xFF % KFH_FIO_CLOSE_COUNT);
    CHECK((s.ops[2].b & 7) < KFH_FIO_IO_COUNT && ((s.ops[2].b >> 4) & 7) < KFH_FIO_MIS_COUNT);
    CHECK_EQ(s.ops[2].c, 0xFF);
    /* Version 14 reads opcode 52 as 52 modulo its 52 opcodes: the end of a block, as before. */
    static const uint8_t v14[] = {14, KFH_OP_COUNT_V14, KFH_OP_FLT_UNREGISTER};
    CHECK_EQ(kfh_scenario_decode(v14, sizeof v14, &s, err, sizeof err), 0);
    CHECK_EQ(s.n, 1);
    CHECK_EQ(s.ops[0].code, KFH_OP_FLT_UNREGISTER);
}

/* ---- The oracle ------------------------------------------------------------------------------ */

static kfh_fio_create_in create_in(unsigned name, ULONG disposition)
{
    kfh_fio_create_in in;
    memset(&in, 0, sizeof in);
    in.routine = KFH_FIO_CR_EX;
    in.name = name;
    in.volumes = 2;
    in.disposition = disposition;
    in.write = 1;
    return in;
}

static kfh_op file_op(unsigned name, unsigned vol, int flags, unsigned size)
{
    kfh_op op;
    memset(&op, 0, sizeof op);
    op.code = KFH_OP_FILE;
    op.a = (uint8_t)name;
    op.b = (uint8_t)(vol | (unsigned)flags);
    op.c = (uint8_t)size;
    op.size_raw = 0x64636261;
    return op;
}

TEST(fio_oracle_puts_files_with_their_parents)
{
    static kfh_fio_fs fs;
    memset(&fs, 0, sizeof fs);
    kfh_op op = file_op(3, 0, 0, 8); /* \Documents\Report 2024.docx: \Documents made first */
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), 0);
    CHECK(kfh_fio_lookup(&fs, 0, 7) && kfh_fio_lookup(&fs, 0, 7)->dir);
    const kfh_fio_node *report = kfh_fio_lookup(&fs, 0, 3);
    CHECK(report && report->size == 8 && report->data[1] == 'b');
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), -1); /* taken */
    op = file_op(7, 0, KFH_FILE_DIRECTORY, 0);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), -1);
    CHECK(!kfh_fio_lookup(&fs, 1, 3));
    /* A file where a parent directory should be: the child cannot be put (FS-1). */
    op = file_op(7, 1, 0, 1);
    kfh_op child = file_op(3, 1, 0, 1);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 1, &op), 0);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 1, &child), -1);
    /* A named stream: its file is put first; a stream is never a directory. */
    kfh_op stream = file_op(5, 1, KFH_FILE_DIRECTORY, 0);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 1, &stream), -1);
    stream = file_op(5, 1, 0, 4);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 1, &stream), 0);
    CHECK(kfh_fio_lookup(&fs, 1, 5) && kfh_fio_lookup(&fs, 1, 5)->size == 4);
}

TEST(fio_oracle_create_order)
{
    static kfh_fio_fs fs;
    memset(&fs, 0, sizeof fs);
    kfh_op op = file_op(0, 0, 0, 40);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), 0);
    kfh_fio_pred p;
    kfh_fio_create_in in = create_in(0, FILE_OPEN);
    /* FI-1: IRQL, then IoStatusBlock NULL (its position: 6 for FltCreateFile, 7 with FileObject). */
    in.irql = APC_LEVEL;
    in.misuse = KFH_FIO_CMIS_NULL_IOSB;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.stops && p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == PASSIVE_LEVEL);
    in.irql = PASSIVE_LEVEL;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_FILEIO_NULL_ARGUMENT && p.stop.param[1] == 7 && p.stop.n_params == 2);
    in.routine = KFH_FIO_CR_PLAIN;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.param[1] == 6);
    /* Then the statuses, in parameter order, before any site. */
    in.misuse = KFH_FIO_CMIS_RELATIVE;
    in.instance_going = 1;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_FLT_DELETING_OBJECT && p.n_sites == 0 && !p.iosb);
    in.instance_going = 0;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_OBJECT_PATH_SYNTAX_BAD && p.n_sites == 0);
    in.misuse = KFH_FIO_CMIS_NONE;
    in.dir = in.nondir = 1;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && p.n_sites == 0);
    in.nondir = 0;
    in.disposition = FILE_OVERWRITE_IF;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER && p.n_sites == 0);
    in = create_in(0, FILE_OPEN);
    in.volume = 2; /* flt_start 2: volumes 0 and 1 */
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_OBJECT_PATH_NOT_FOUND && p.n_sites == 0);
    in.volume = 0;
    in.misuse = KFH_FIO_CMIS_OTHER_VOLUME;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_INVALID_DEVICE_OBJECT_PARAMETER && p.n_sites == 0);
    /* FI-2, FI-14: flt.create, flt.io.lower, then ob.handle on success. */
    in.misuse = KFH_FIO_CMIS_NONE;
    kfh_oracle_fio_create(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_SUCCESS && p.n_sites == 3 && p.sites[0] == KF_SITE_FLT_CREATE &&
          p.sites[1] == KF_SITE_FLT_LOWER && p.sites[2] == KF_SITE_OB_HANDLE && p.handle && p.iosb &&
          p.information == FILE_OPENED);
    kf_fault_kind k[3] = {KF_FAULT_TRANSIENT, KF_FAULT_NONE, KF_FAULT_NONE};
    kfh_oracle_fio_create(&in, k, 1, &fs, 0, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 1 && !p.iosb && !p.handle);
    k[0] = KF_FAULT_NONE;
    k[1] = KF_FAULT_HARD;
    kfh_oracle_fio_create(&in, k, 2, &fs, 0, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 2 && p.iosb && p.information == 0);
    k[1] = KF_FAULT_NONE;
    k[2] = KF_FAULT_HARD;
    in = create_in(12, FILE_CREATE); /* \scan\notes.txt: no \scan */
    kfh_oracle_fio_create(&in, k, 3, &fs, 1, &p);
    CHECK(p.status == STATUS_OBJECT_PATH_NOT_FOUND && p.n_sites == 2);
    in = create_in(1, FILE_CREATE);
    kfh_oracle_fio_create(&in, k, 3, &fs, 1, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.n_sites == 3 && p.iosb && !p.handle);
    CHECK(kfh_fio_lookup(&fs, 0, 1) != NULL); /* the file the create made stays (FI-2) */
}

TEST(fio_oracle_create_dispositions)
{
    static kfh_fio_fs fs;
    memset(&fs, 0, sizeof fs);
    kfh_op op = file_op(0, 0, KFH_FILE_READONLY, 40);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), 0);
    op = file_op(7, 0, KFH_FILE_DIRECTORY, 0);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), 0);
    static const struct {
        unsigned name;
        ULONG disposition;
        int dir, nondir, write;
        NTSTATUS status;
        ULONG_PTR info;
    } cases[] = {
        {0, FILE_CREATE, 0, 0, 0, STATUS_OBJECT_NAME_COLLISION, 0},
        {7, FILE_OPEN, 0, 1, 0, STATUS_FILE_IS_A_DIRECTORY, 0},
        {0, FILE_OPEN, 1, 0, 0, STATUS_NOT_A_DIRECTORY, 0},
        {7, FILE_OVERWRITE_IF, 0, 0, 0, STATUS_INVALID_PARAMETER, 0},
        {0, FILE_OPEN, 0, 0, 1, STATUS_ACCESS_DENIED, 0},
        {0, FILE_OVERWRITE, 0, 0, 0, STATUS_ACCESS_DENIED, 0},
        {0, FILE_OPEN, 0, 0, 0, STATUS_SUCCESS, FILE_OPENED},
        {7, FILE_OPEN_IF, 1, 0, 1, STATUS_SUCCESS, FILE_OPENED},
        {1, FILE_OPEN, 0, 0, 0, STATUS_OBJECT_NAME_NOT_FOUND, 0},
        {1, FILE_OVERWRITE, 0, 0, 0, STATUS_OBJECT_NAME_NOT_FOUND, 0},
        {1, FILE_OVERWRITE_IF, 0, 0, 1, STATUS_SUCCESS, FILE_CREATED},
        {1, FILE_OVERWRITE, 0, 0, 1, STATUS_SUCCESS, FILE_OVERWRITTEN},
        {1, FILE_SUPERSEDE, 0, 0, 1, STATUS_SUCCESS, FILE_SUPERSEDED},
        {3, FILE_OPEN_IF, 0, 0, 1, STATUS_SUCCESS, FILE_CREATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kfh_fio_create_in in = create_in(cases[i].name, cases[i].disposition);
        in.dir = cases[i].dir;
        in.nondir = cases[i].nondir;
        in.write = cases[i].write;
        kfh_fio_pred p;
        kfh_oracle_fio_create(&in, NULL, 0, &fs, 1, &p);
        if (p.status == cases[i].status && p.information == cases[i].info)
            kft_pass();
        else
            kft_fail(__FILE__, __LINE__, "case %zu: 0x%08X %lu", i, (unsigned)p.status, (unsigned long)p.information);
    }
}

TEST(fio_oracle_io_and_close)
{
    static kfh_fio_fs fs;
    memset(&fs, 0, sizeof fs);
    kfh_op op = file_op(0, 0, 0, 40);
    CHECK_EQ(kfh_oracle_fio_put(&fs, 0, &op), 0);
    kfh_fio_io_in in;
    memset(&in, 0, sizeof in);
    in.routine = KFH_FIO_IO_READ;
    in.offset = 30;
    in.length = 16;
    kfh_fio_pred p;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_SUCCESS && p.information == 10 && p.n_sites == 2 && p.sites[0] == KF_SITE_FLT_FILEIO);
    in.offset = 40;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_END_OF_FILE && p.information == 0);
    /* A write past the end: the gap reads as zeros. */
    in.routine = KFH_FIO_IO_WRITE;
    in.offset = 50;
    in.length = 2;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && p.information == 2);
    kfh_fio_node *n = kfh_fio_lookup(&fs, 0, 0);
    CHECK(n && n->size == 52 && n->data[45] == 0 && n->data[50] == kfh_fio_byte(50, 0));
    in.routine = KFH_FIO_IO_SET_EOF;
    in.offset = 20;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 1, &p);
    CHECK(p.status == STATUS_SUCCESS && n->size == 20);
    in.routine = KFH_FIO_IO_QUERY;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.end_of_file == 20 && p.information == sizeof(FILE_STANDARD_INFORMATION));
    in.routine = KFH_FIO_IO_DIRECTORY;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.status == STATUS_INVALID_PARAMETER);
    /* The stops of FI-3 and FI-7, in order; reads and writes are APC_LEVEL routines for paging I/O. */
    in.routine = KFH_FIO_IO_READ;
    in.irql = DISPATCH_LEVEL;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == APC_LEVEL);
    in.irql = APC_LEVEL;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL && p.stop.param[0] == PASSIVE_LEVEL);
    in.irql = PASSIVE_LEVEL;
    in.misuse = KFH_FIO_MIS_FLAGS;
    in.fo_state = KFH_FIO_FO_CLEANED;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_FILEIO_BAD_FLAGS && p.stop.param[1] == KFH_FIO_BAD_FLAG);
    in.misuse = KFH_FIO_MIS_WRONG_VOLUME;
    in.other_volume = 1;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_FILEIO_WRONG_VOLUME && p.stop.param[1] == 0 && p.stop.param[2] == 1);
    in.misuse = KFH_FIO_MIS_NONE;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_FILEIO_NOT_OPEN && p.stop.n_params == 1);
    in.fo_state = KFH_FIO_FO_OPEN;
    in.instance_going = 1;
    kfh_oracle_fio_io(&in, NULL, 0, &fs, 0, &p);
    CHECK(!p.stop.stops && p.status == STATUS_FLT_DELETING_OBJECT && p.n_sites == 0);
    /* FI-10: an asynchronous request's routine runs once it reached the layers below. */
    in.instance_going = 0;
    in.async = 1;
    kf_fault_kind k[2] = {KF_FAULT_TRANSIENT, KF_FAULT_NONE};
    kfh_oracle_fio_io(&in, k, 1, &fs, 0, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && !p.callback);
    k[0] = KF_FAULT_NONE;
    k[1] = KF_FAULT_HARD;
    kfh_oracle_fio_io(&in, k, 2, &fs, 0, &p);
    CHECK(p.status == STATUS_INSUFFICIENT_RESOURCES && p.callback);
    /* FI-5. */
    kfh_oracle_fio_close(PASSIVE_LEVEL, KFH_FIO_CLOSE_NULL, 0, &p);
    CHECK(!p.stop.stops && p.status == STATUS_INVALID_HANDLE);
    kfh_oracle_fio_close(APC_LEVEL, KFH_FIO_CLOSE_NULL, 0, &p);
    CHECK(p.stop.code == IRQL_NOT_LESS_OR_EQUAL);
    kfh_oracle_fio_close(PASSIVE_LEVEL, KFH_FIO_CLOSE_AGAIN, 0x44, &p);
    CHECK(p.stop.code == INVALID_KERNEL_HANDLE && p.stop.param[0] == 0x44 && p.stop.param[1] == 1);
    kfh_oracle_fio_close(PASSIVE_LEVEL, KFH_FIO_CLOSE_FOREIGN, 0x48, &p);
    CHECK(p.stop.param[0] == KF_VIOL_FLT_CLOSE_FOREIGN_HANDLE && p.stop.param[1] == 0x48);
    kfh_oracle_fio_close(PASSIVE_LEVEL, KFH_FIO_CLOSE_HANDLE, 0x4C, &p);
    CHECK(!p.stop.stops && p.status == STATUS_SUCCESS && p.n_sites == 0);
}

/* ---- The runner ------------------------------------------------------------------------------ */

TEST(fio_runner_round_trip_clean)
{
    kfh_result *r = th_run(doc_example);
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 2); /* the wrong volume, the second close */
    CHECK(th_trace_has("-> STATUS_SUCCESS, Information 10 [FS-7]"));
    CHECK(th_trace_has("-> STATUS_SUCCESS, Information 10, its routine ran [FS-7]"));
    CHECK(th_trace_has("-> STATUS_SUCCESS, IoStatusBlock FILE_OPENED, a handle"));
    CHECK(th_trace_has("-> STATUS_SUCCESS, Information 8 [FS-19]"));
    CHECK(th_trace_has("-> STATUS_INVALID_PARAMETER, IoStatusBlock not written [FI-1]"));
    CHECK(th_trace_has("flt-fileio-wrong-volume P1=0x3c02 P2=0x0 in FltReadFile [predicted]"));
    CHECK(th_trace_has("INVALID_KERNEL_HANDLE"));
    CHECK_EQ(r->model_stats.consulted[KF_SITE_FLT_CREATE], 2);
}

TEST(fio_runner_skips_what_it_cannot_do)
{
    kfh_result *r = th_run("version 15\nfio_create 0 volume=0 name=0 open\nflt_start 1\n"
                           "file 0 volume=0 size=4 data=0x1\nfio_create 0 volume=0 name=0 open\nfio_io 0 read\n"
                           "fio_create 0 volume=0 name=0 open ex\nfio_close 1\nfio_close 1 again\nfio_close 0\n"
                           "fio_create 1 volume=0 name=0 open ex\nfio_close 0 again\nfio_io 1 read wrong_volume\n"
                           "fio_io 1 query bad_flags\nfio_io 2 volume\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("skipped: no filter registered"));
    CHECK(th_trace_has("skipped: the handle slot holds no file object"));
    CHECK(th_trace_has("skipped: the handle slot holds a file"));
    CHECK(th_trace_has("skipped: the handle slot holds no open handle"));
    CHECK(th_trace_has("skipped: the slot closed no handle"));
    CHECK(th_trace_has("skipped: a handle was made since the slot's was closed"));
    CHECK(th_trace_has("skipped: no instance on another volume"));
    CHECK(th_trace_has("skipped: only reads and writes take Flags"));
    CHECK(th_trace_has("skipped: no instance on that volume"));
}

TEST(fio_runner_file_only_from_version_15)
{
    /* An older scenario's file operation keeps its trace: skipped, as a minifilter target's. */
    kfh_result *r = th_run("version 5\nflt_start 1\nfile 0 volume=0 size=4 data=0x1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("skipped: files are put on volumes by minifilter driver targets only"));
    r = th_run("version 15\nflt_start 1\nfile 0 volume=0 size=4 data=0x1\nfile 0 volume=0 size=4 data=0x1\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK(th_trace_has("-> put \\readme.txt on volume 0 [FS-1]"));
    CHECK(th_trace_has("-> refused \\readme.txt on volume 0 [FS-1]"));
}

TEST(fio_runner_deferred_completions)
{
    /* Started, then completed by the run of pending completions with the callback data's, in
     * start order: the file system answers then (a read issued before the write completes sees
     * the old bytes), at the completion IRQL; the file object outlives its handle and reference
     * until then, and the unregistration waits. */
    kfh_result *r = th_run("version 15\nflt_start 1\nfile 0 volume=0 size=16 data=0x64636261\n"
                           "fio_create 0 volume=0 name=0 open ex\ncbd_alloc 0 volume=0 flags=0x0\n"
                           "iopb 0 read minor=0 irp=none length=0x10\nasync_io 0 then=free deferred irql=2\n"
                           "fio_io 0 write offset=2 length=4 async\nfio_io 0 read offset=0 length=8 async\n"
                           "fio_io 0 read offset=0 length=8\nflt_unregister\nfio_close 0\nfio_close 0 object\n"
                           "run_pending\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 0);
    CHECK(th_trace_has("-> STATUS_PENDING, Information 0, pending [FI-10, F-20]"));
    CHECK(th_trace_has("skipped: a read or write of the runner's files is pending"));
    CHECK(th_trace_has("deferred completion of slot 0's FltWriteFile at IRQL 2: STATUS_SUCCESS, Information 4"));
    CHECK(th_trace_has("deferred completion of slot 0's FltReadFile at IRQL 2: STATUS_SUCCESS, Information 8"));
    CHECK(th_trace_has("-> 3 completed"));
    /* Every consultation failed in turn, flt.io.lower at the completion included. */
    static kfh_scenario s;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 15\nflt_start 1\nfile 0 volume=0 size=16 data=0x1\n"
                                "fio_create 0 volume=0 name=0 open ex\ncbd_alloc 0 volume=0 flags=0x0\n"
                                "iopb 0 read minor=0 irp=none length=0x10\nasync_io 0 then=free deferred irql=1\n"
                                "fio_io 0 read offset=0 length=8 async\nrun_pending\n",
                                &s, err, sizeof err),
             0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 64, &er), 0);
    CHECK(er.complete);
    CHECK_EQ(er.n_findings, 0);
}

TEST(fio_runner_closes_what_it_holds)
{
    /* Handles and references left, a foreign handle after its stop, a handle kept past the
     * unregistration: all closed at the end, so KF-INV-074 holds there too. */
    kfh_result *r = th_run("version 15\nflt_start 2\nfile 0 volume=0 size=4 data=0x1\n"
                           "fio_create 0 volume=0 name=0 open ex\nfio_create 1 volume=0 name=0 open\n"
                           "fio_create 2 volume=0 name=0 open ex2\nfio_close 2\nfio_close 0 foreign\n"
                           "fio_close 0 object\nflt_unregister\n");
    CHECK_EQ(r->n_findings, 0);
    CHECK_EQ(r->stops, 1);
    CHECK(th_trace_has("flt-close-foreign-handle"));
}

TEST(fio_runner_faults_enumerated)
{
    /* Every consultation failed in turn: each run's prediction holds. */
    static kfh_scenario s;
    char err[256];
    kfh_config cfg;
    CHECK_EQ(kfh_scenario_parse("version 15\nflt_start 1\nfile 0 volume=0 size=16 data=0x1\n"
                                "fio_create 0 volume=0 name=0 open ex\nfio_io 0 read length=8\n"
                                "fio_io 0 write offset=8 length=8 async\nfio_io 0 volume\n"
                                "fio_create 1 volume=0 name=1 create\n",
                                &s, err, sizeof err),
             0);
    CHECK_EQ(kfh_config_from_options(&cfg, err, sizeof err), 0);
    cfg.capture = 1;
    kfh_enum_result er;
    CHECK_EQ(kfh_enumerate(&s, &cfg, 64, &er), 0);
    CHECK(er.complete);
    CHECK_EQ(er.n_findings, 0);
    CHECK(er.runs >= 12);
}

TEST(fio_invariants_fire)
{
    static const char text[] = "version 15\nflt_start 1\nfile 0 volume=0 size=16 data=0x1\n"
                               "fio_create 0 volume=0 name=0 open ex\nfio_io 0 read length=8\nfio_close 0\n";
    kfh_result *r = th_run_lying(text, 14);
    CHECK(th_has_finding(r, KFH_INV_FLT_FIO_HELD));
    r = th_run_lying(text, 15);
    CHECK(th_has_finding(r, KFH_INV_FLT_FIO_STATUS));
    r = th_run_lying(text, 0);
    CHECK_EQ(r->n_findings, 0);
}
