/*
 * test_minifilter_inf.c - a driver's INF read for the registry values its installation writes
 * (harness/inf.c, SEMANTICS.md FH-13), and the generic minifilter fuzzer loading the example
 * configured minifilter (examples/mf_config.c) with its own INF (examples/mf_config.inf): the
 * values installed before each load, changed by the scenario's reg_value.
 */
#include "kft.h"
#include "minifilter_util.h"

#include <stdio.h>
#include <string.h>

#ifndef KFAULT_SOURCE_DIR
#error "KFAULT_SOURCE_DIR must name the source tree"
#endif

static kfh_reg_spec v[64];
static char err[256];

static int read_text(const char *text)
{
    err[0] = 0;
    return kfh_inf_read(text, strlen(text), v, 64, err, sizeof err);
}

static const kfh_reg_spec *find(int n, const char *key, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].key, key) && !strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

/* 1 when the value's bytes are the UTF-16 of `s` (with its NUL). */
static int is_wide(const kfh_reg_spec *r, const char *s)
{
    size_t n = strlen(s) + 1;
    if (!r || r->size != 2 * n)
        return 0;
    const unsigned char *b = r->data;
    for (size_t i = 0; i < n; i++)
        if (b[2 * i] != (unsigned char)s[i] || b[2 * i + 1] != 0)
            return 0;
    return 1;
}

static ULONG dword(const kfh_reg_spec *r)
{
    const unsigned char *b = r->data;
    return (ULONG)b[0] | (ULONG)b[1] << 8 | (ULONG)b[2] << 16 | (ULONG)b[3] << 24;
}

static const char sample[] =
    "[Version]\n"
    "Signature = \"$Windows NT$\"\n"
    "[Install.Services]\n"
    "AddService = %Svc%,,Svc.Service\n"
    "[Svc.Service]\n"
    "ServiceType = 2\n"
    "AddReg = Svc.Inst, Svc.Params ; two sections\n"
    "[Svc.Inst]\n"
    "HKR,\"Instances\",\"DefaultInstance\",0x00000000,%Inst%\n"
    "HKR,\"Instances\\\"%Inst%,\"Altitude\",0x00000000,%Alt%\n"
    "[Svc.Params]\n"
    "HKR,\"Parameters\",\"Limit\",0x00010001,0x40\n"
    "HKR,\"Parameters\",\"Count\",0x00010001,12\n"
    "HKR,\"Parameters\",\"Path\",0x00020000,%%SystemRoot%%\\x\n"
    "HKR,\"Parameters\",\"Literal\",0x00000000,\"%Inst% 100%%\"\n"
    "HKR,\"Parameters\",\"List\",0x00010000,\"a\",\"bc\", \\\n"
    "    \"d\"\n"
    "HKR,\"Parameters\",\"Blob\",0x00000001,01,ab,FF\n"
    "HKR,\"Parameters\",\"Quote\",,\"say \"\"hi\"\"\"\n"
    "HKR,,\"AtRoot\",0x00010001,1\n"
    "HKR,\"Parameters\",\"Gone\",0x00010001,1\n"
    "HKR,\"Parameters\",\"Gone\",0x00000004\n"
    "HKR,\"Parameters\\Empty\",,0x00000010\n"
    "HKLM,\"System\\Other\",\"NotOurs\",0x00010001,1\n"
    "[Unused]\n"
    "HKR,\"Parameters\",\"NotNamed\",0x00010001,1\n"
    "[Strings]\n"
    "Svc = \"Sample\"\n"
    "Inst = \"Sample Instance\"\n"
    "Alt = \"370000\"\n";

TEST(inf_values_of_the_addreg_sections)
{
    int n = read_text(sample);
    CHECK_EQ(n, 10);
    /* Inside quotes nothing is substituted. */
    CHECK(is_wide(find(n, "Parameters", "Literal"), "%Inst% 100%%"));
    /* REG_DWORD from hexadecimal and decimal. */
    const kfh_reg_spec *r = find(n, "Parameters", "Limit");
    CHECK(r && r->type == REG_DWORD && r->size == 4 && dword(r) == 0x40);
    r = find(n, "Parameters", "Count");
    CHECK(r && dword(r) == 12);
    /* REG_EXPAND_SZ; %% outside quotes is a percent sign. */
    r = find(n, "Parameters", "Path");
    CHECK(r && r->type == REG_EXPAND_SZ && is_wide(r, "%SystemRoot%\\x"));
    /* REG_MULTI_SZ across a continued line: each string, then the empty one. */
    r = find(n, "Parameters", "List");
    CHECK(r && r->type == REG_MULTI_SZ && r->size == 2 * (2 + 3 + 2 + 1));
    /* REG_BINARY bytes; "" in a quoted string is a quote; the flags field may be empty. */
    r = find(n, "Parameters", "Blob");
    CHECK(r && r->type == REG_BINARY && r->size == 3 && !memcmp(r->data, "\x01\xab\xff", 3));
    CHECK(is_wide(find(n, "Parameters", "Quote"), "say \"hi\""));
    CHECK(find(n, "", "AtRoot") != NULL);
    /* [Strings] substituted outside quotes, also inside a key made of several parts. */
    CHECK(is_wide(find(n, "Instances", "DefaultInstance"), "Sample Instance"));
    CHECK(is_wide(find(n, "Instances\\Sample Instance", "Altitude"), "370000"));
    /* FLG_ADDREG_DELVAL removes, FLG_ADDREG_KEYONLY adds no value, other roots and sections no
     * AddReg names are left out. */
    CHECK(find(n, "Parameters", "Gone") == NULL);
    CHECK(find(n, "Parameters\\Empty", "") == NULL);
    CHECK(find(n, "System\\Other", "NotOurs") == NULL);
    CHECK(find(n, "Parameters", "NotNamed") == NULL);
    /* The values under Instances come last. */
    CHECK(strstr(v[n - 1].key, "Instances") == v[n - 1].key);
    CHECK(strstr(v[n - 2].key, "Instances") == v[n - 2].key);
    CHECK(strstr(v[0].key, "Instances") == NULL);
}

TEST(inf_dword_and_multi_sz_edges)
{
    /* A REG_DWORD without a value is 0; given as 4 bytes it is those bytes; any other number of
     * bytes is an error. An empty string inside a REG_MULTI_SZ would end the list: left out; an
     * empty list is two NULs. Another type as bytes (0xT0001) is written as given. */
    int n = read_text("[S]\nAddReg = R\n[R]\nHKR,,\"Zero\",0x00010001\nHKR,,\"Bytes\",0x00010001,01,02,03,04\n"
                      "HKR,,\"List\",0x00010000,\"a\",\"\",\"b\"\nHKR,,\"None\",0x00010000\n"
                      "HKR,,\"Odd\",0x00040001,7f\n");
    CHECK_EQ(n, 5);
    const kfh_reg_spec *r = find(n, "", "Zero");
    CHECK(r && r->type == REG_DWORD && r->size == 4 && dword(r) == 0);
    r = find(n, "", "Bytes");
    CHECK(r && r->type == REG_DWORD && r->size == 4 && dword(r) == 0x04030201);
    r = find(n, "", "List");
    CHECK(r && r->type == REG_MULTI_SZ && r->size == 2 * (2 + 2 + 1));
    r = find(n, "", "None");
    CHECK(r && r->type == REG_MULTI_SZ && r->size == 4 && !memcmp(r->data, "\0\0\0\0", 4));
    r = find(n, "", "Odd");
    CHECK(r && r->type == REG_DWORD && r->size == 1);
    CHECK_EQ(read_text("[S]\nAddReg = R\n[R]\nHKR,,\"V\",0x00010001,01,02\n"), -1);
    CHECK(strstr(err, "line 4") && strstr(err, "needs 4"));
}

TEST(inf_utf16_with_byte_order_mark)
{
    static unsigned char wide[2 + 2 * sizeof sample];
    size_t n = 0;
    wide[n++] = 0xFF;
    wide[n++] = 0xFE;
    for (const char *p = sample; *p; p++) {
        wide[n++] = (unsigned char)*p;
        wide[n++] = 0;
    }
    CHECK_EQ(kfh_inf_read(wide, n, v, 64, err, sizeof err), 10);
    CHECK(is_wide(find(10, "Instances\\Sample Instance", "Altitude"), "370000"));
}

TEST(inf_errors_name_the_line)
{
    CHECK_EQ(read_text("[A]\nAddReg = R\n[R]\nHKR,,\"V\",0x00010001,zz\n"), -1);
    CHECK(strstr(err, "line 4") && strstr(err, "REG_DWORD"));
    CHECK_EQ(read_text("[A]\nAddReg = R\n[R]\nHKR,,\"V\",0x00000001,1g\n"), -1);
    CHECK(strstr(err, "line 4") && strstr(err, "hexadecimal"));
    CHECK_EQ(read_text("[A]\nAddReg = R\n[R\n"), -1);
    CHECK(strstr(err, "line 3"));
    CHECK_EQ(read_text("[A]\nAddReg = R\n[R]\nHKR,,\"V\",flags,1\n"), -1);
    CHECK(strstr(err, "line 4") && strstr(err, "flags"));
    /* More values than the caller holds. */
    CHECK_EQ(kfh_inf_read(sample, strlen(sample), v, 3, err, sizeof err), -1);
    CHECK(strstr(err, "more than the 3") != NULL);
    /* Nothing to install is not an error. */
    CHECK_EQ(read_text("; only a comment\n"), 0);
    CHECK_EQ(kfh_inf_read("", 0, v, 64, err, sizeof err), 0);
}

/* ---- The generic fuzzer with the example's INF ------------------------------------------- */

static kfh_drv_run run;

static int run_text(const char *text)
{
    char where[320];
    return mf_run_text(text, &run, where, sizeof where);
}

static const char create_text[] = "version 6\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n";

TEST(example_loads_only_with_its_inf)
{
    char path[1024];
    unsigned n = 0;
    /* Without an installation the driver finds no Parameters key and refuses to load. */
    CHECK_EQ(kfh_mf_set_inf("", 0, err, sizeof err), 0);
    CHECK(kfh_mf_registry(&n) == NULL && n == 0);
    CHECK_EQ(run_text(create_text), 0);
    CHECK(!run.loaded);
    CHECK(!NT_SUCCESS(run.load_status));
    /* With it, it loads, registers its create callback, and the seeds run clean. */
    snprintf(path, sizeof path, "%s/examples/mf_config.inf", KFAULT_SOURCE_DIR);
    CHECK_EQ(kfh_mf_set_inf_file(path, err, sizeof err), 7);
    CHECK(kfh_mf_registry(&n) != NULL && n == 7);
    CHECK_EQ(run_text(create_text), 0);
    CHECK(run.loaded);
    CHECK_EQ(run.load_status, STATUS_SUCCESS);
    CHECK_EQ(kfh_mf_seed_count(), 1 + 4);
    for (int k = 0; k < kfh_mf_seed_count(); k++) {
        static kfh_scenario s;
        char name[64];
        uint8_t bytes[4096];
        char where[320];
        CHECK_EQ(kfh_mf_seed(k, &s, name, sizeof name), 0);
        size_t len = kfh_scenario_encode(&s, bytes, sizeof bytes);
        CHECK_EQ(kfh_mf_run(bytes, len, &run, where, sizeof where), 0);
        CHECK(run.loaded);
    }
}

TEST(reg_value_changes_an_inf_value)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/mf_config.inf", KFAULT_SOURCE_DIR);
    CHECK_EQ(kfh_mf_set_inf_file(path, err, sizeof err), 7);
    /* Value 1 is MaxEntries (the INF's order, Instances last): 0 is out of the driver's range. */
    unsigned n = 0;
    const kfh_reg_spec *r = kfh_mf_registry(&n);
    CHECK(r && !strcmp(r[1].name, "MaxEntries"));
    CHECK_EQ(run_text("version 6\nreg_value 1 REG_DWORD length=4 data=0x0\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"), 0);
    CHECK(!run.loaded);
    CHECK_EQ(run.load_status, STATUS_INVALID_PARAMETER);
    /* Removed: the driver's default (8) applies and it loads. */
    CHECK_EQ(run_text("version 6\nreg_value 1 absent\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"), 0);
    CHECK(run.loaded);
}

TEST(registry_fixed_skips_reg_value)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/mf_config.inf", KFAULT_SOURCE_DIR);
    CHECK_EQ(kfh_mf_set_inf_file(path, err, sizeof err), 7);
    kfh_mf_set_registry_fixed(1);
    /* MaxEntries 0 would refuse the load: fixed, the installed 16 stays. */
    CHECK_EQ(run_text("version 6\nreg_value 1 REG_DWORD length=4 data=0x0\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"), 0);
    CHECK(run.loaded);
    kfh_mf_set_registry_fixed(0);
    CHECK_EQ(run_text("version 6\nreg_value 1 REG_DWORD length=4 data=0x0\nmf_create 0 vol=0 name=setup ext=exe disp=open access=read attr=normal lower=fs opts=none exists\n"), 0);
    CHECK(!run.loaded);
}

TEST(inf_file_errors)
{
    CHECK_EQ(kfh_mf_set_inf_file("/nonexistent/kfault.inf", err, sizeof err), -1);
    CHECK(strstr(err, "cannot open the INF file /nonexistent/kfault.inf") != NULL);
}
