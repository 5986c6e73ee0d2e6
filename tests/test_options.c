/*
 * test_options.c - profiles and KFAULT_OPTIONS (rules O-1 to O-3 of model/SEMANTICS.md):
 * which os/arch pairs exist, each profile's constants, parsing and its errors, defaults and
 * help from the one table, and the environment read once and fatal when wrong (exit 2).
 *
 * The environment is read once per process, so those tests start this same binary again
 * as a fresh process with KFAULT_OPTIONS set (see env_probe). Must never leave the
 * environment of this process changed.
 */
#define _POSIX_C_SOURCE 200809L
#include "kft.h"
#include <ntddk.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK_STR(hay, needle)                                                                  \
    ((strstr((hay), (needle)) != NULL)                                                          \
         ? kft_pass()                                                                           \
         : kft_fail(__FILE__, __LINE__, "\"%s\" not found in \"%s\"", (needle), (hay)))

/* ---- O-1: only profiles Windows shipped --------------------------------------------------- */

static const char *const oses[] = {"ws03", "vista", "win7", "win8", "win10", "win11"};
static const char *const arches[] = {"x86", "amd64", "arm", "arm64"};
/* shipped[os][arch], from the release history: arm from win8 (and not win11), arm64 from
 * win10, win11 only amd64 and arm64. */
static const int shipped[6][4] = {
    {1, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}, {1, 1, 1, 1}, {0, 1, 0, 1},
};

TEST(profiles_shipped_only)
{
    size_t n = 0;
    for (int o = 0; o < 6; o++)
        for (int a = 0; a < 4; a++) {
            char name[32], err[256] = "", opt[64];
            kf_profile p;
            snprintf(name, sizeof name, "%s-%s", oses[o], arches[a]);
            int r = kf_profile_parse(name, &p, err, sizeof err);
            if (shipped[o][a]) {
                n++;
                CHECK_EQ(r, 0);
                CHECK_EQ(p.os, o);
                CHECK_EQ(p.arch, a);
                CHECK_EQ(kf_profile_make((kf_os)o, (kf_arch)a, &p), 0);
            } else {
                CHECK_EQ(r, -1);
                CHECK_STR(err, name);
                /* It says why: not the message for a malformed name. */
                CHECK(strstr(err, "<os>-<arch>") == NULL);
                CHECK_EQ(kf_profile_make((kf_os)o, (kf_arch)a, &p), -1);
                /* The option names key and value. */
                kf_options opts;
                kf_options_defaults(&opts);
                snprintf(opt, sizeof opt, "profile=%s", name);
                err[0] = 0;
                CHECK_EQ(kf_options_parse(opt, &opts, err, sizeof err), -1);
                CHECK_STR(err, "profile");
                CHECK_STR(err, name);
            }
        }
    CHECK_EQ(n, 15);
    CHECK_EQ(kf_profile_count(), 15);
    for (size_t i = 0; i < kf_profile_count(); i++) {
        const kf_profile *p = kf_profile_at(i);
        CHECK(shipped[p->os][p->arch]);
        for (size_t j = 0; j < i; j++)
            CHECK(kf_profile_at(j)->os != p->os || kf_profile_at(j)->arch != p->arch);
    }
    CHECK(kf_profile_at(15) == NULL);
    /* Values outside the enumerations are no profile either. */
    kf_profile p;
    CHECK_EQ(kf_profile_make(KF_OS_COUNT, KF_ARCH_AMD64, &p), -1);
    CHECK_EQ(kf_profile_make(KF_OS_WIN11, KF_ARCH_COUNT, &p), -1);
}

TEST(profile_default_win11_amd64)
{
    kf_options o;
    kf_options_defaults(&o);
    CHECK_EQ(o.profile.os, KF_OS_WIN11);
    CHECK_EQ(o.profile.arch, KF_ARCH_AMD64);
    CHECK_EQ(kf_current_profile()->os, KF_OS_WIN11);
    CHECK_EQ(kf_current_profile()->arch, KF_ARCH_AMD64);
}

TEST(profile_malformed_names)
{
    static const char *const bad[] = {"win11",       "win11-",      "-amd64",     "win12-amd64", "win11-x64",
                                      "WIN11-amd64", "win11-amd64-", "win11_amd64", "", "win11-amd64 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        kf_profile p;
        CHECK_EQ(kf_profile_parse(bad[i], &p, err, sizeof err), -1);
        CHECK(err[0] != 0);
    }
}

/* ---- O-2: each profile's constants ---------------------------------------------------------- */

static const struct {
    SIZE_T stack, large, commit, max;
} consts[4] = {
    {0x3000, 0xF000, 0x3000, 0xE800},   /* x86 */
    {0x6000, 0x12000, 0x6000, 0x11800}, /* amd64 */
    {0x3000, 0xF000, 0x3000, 0xE800},   /* arm */
    {0x8000, 0x12000, 0x8000, 0x11800}, /* arm64 */
};

TEST(profile_constants)
{
    for (size_t i = 0; i < kf_profile_count(); i++) {
        const kf_profile *p = kf_profile_at(i);
        char name[32], opt[64];
        kf_profile_name(p, name, sizeof name);
        CHECK_EQ(p->kernel_stack_size, consts[p->arch].stack);
        CHECK_EQ(p->large_stack_size, consts[p->arch].large);
        CHECK_EQ(p->large_stack_commit, consts[p->arch].commit);
        CHECK_EQ(p->maximum_expansion_size, consts[p->arch].max);
        CHECK_EQ(p->maximum_expansion_size, p->large_stack_size - PAGE_SIZE / 2);
        /* The name round-trips. */
        kf_profile q;
        char err[128];
        CHECK_EQ(kf_profile_parse(name, &q, err, sizeof err), 0);
        CHECK(q.os == p->os && q.arch == p->arch && q.kernel_stack_size == p->kernel_stack_size);
        /* A thread of the profile starts with its kernel stack, and a large stack is the
         * profile's large stack. */
        snprintf(opt, sizeof opt, "profile=%s", name);
        kft_options(opt);
        CHECK_EQ(kf_current_profile()->maximum_expansion_size, consts[p->arch].max);
        CHECK_EQ(IoGetRemainingStackSize(), consts[p->arch].stack);
        ULONG_PTR lo, hi;
        IoGetStackLimits(&lo, &hi);
        CHECK_EQ(hi - lo, consts[p->arch].stack);
        kf_set_large_stack(TRUE);
        CHECK_EQ(IoGetRemainingStackSize(), consts[p->arch].large);
    }
}

TEST(profile_names)
{
    char buf[32];
    kf_profile p;
    CHECK_EQ(kf_profile_make(KF_OS_WIN10, KF_ARCH_X86, &p), 0);
    CHECK(!strcmp(kf_profile_name(&p, buf, sizeof buf), "win10-x86"));
    CHECK(!strcmp(kf_os_name(KF_OS_WS03), "ws03"));
    CHECK(!strcmp(kf_arch_name(KF_ARCH_ARM64), "arm64"));
    /* kf_set_profile is what kft_options("profile=...") amounts to. */
    kf_set_profile(&p);
    kf_reset();
    CHECK_EQ(kf_current_profile()->arch, KF_ARCH_X86);
    CHECK_EQ(kf_options_get()->profile.arch, KF_ARCH_X86);
    CHECK_EQ(IoGetRemainingStackSize(), 0x3000);
}

/* ---- O-3: parsing ------------------------------------------------------------------------------ */

TEST(parse_pairs_and_separators)
{
    kf_options o;
    char err[256] = "";
    kf_options_defaults(&o);
    CHECK_EQ(kf_options_parse("fail_nth=3:nest_limit=7 profile=vista-x86\tstack_slack=0x10000\n"
                              "fail_kind=hard:dbgprint=true::",
                              &o, err, sizeof err),
             0);
    CHECK_EQ(o.fail_nth, 3);
    CHECK_EQ(o.nest_limit, 7);
    CHECK_EQ(o.profile.os, KF_OS_VISTA);
    CHECK_EQ(o.profile.arch, KF_ARCH_X86);
    CHECK_EQ(o.profile.maximum_expansion_size, 0xE800);
    CHECK_EQ(o.stack_slack, 0x10000);
    CHECK_EQ(o.fail_kind, KF_FAILKIND_HARD);
    CHECK_EQ(o.dbgprint, 1);
    /* The last of a repeated key wins; other keys keep their values. */
    CHECK_EQ(kf_options_parse("fail_nth=9:fail_nth=4:fail_kind=transient:dbgprint=0", &o, err, sizeof err), 0);
    CHECK_EQ(o.fail_nth, 4);
    CHECK_EQ(o.fail_kind, KF_FAILKIND_TRANSIENT);
    CHECK_EQ(o.dbgprint, 0);
    CHECK_EQ(o.nest_limit, 7);
    CHECK_EQ(kf_options_parse("fail_kind=site", &o, err, sizeof err), 0);
    CHECK_EQ(o.fail_kind, KF_FAILKIND_SITE);
    /* Nothing to parse is no change. */
    CHECK_EQ(kf_options_parse("", &o, err, sizeof err), 0);
    CHECK_EQ(kf_options_parse(NULL, &o, err, sizeof err), 0);
    CHECK_EQ(o.fail_nth, 4);
}

TEST(parse_unknown_key)
{
    static const char *const texts[] = {"bogus=1", "fail_nth=1:bogus=1", "Profile=win11-amd64", "fail-nth=1"};
    static const char *const keys[] = {"bogus", "bogus", "Profile", "fail-nth"};
    for (size_t i = 0; i < 4; i++) {
        kf_options o;
        char err[256] = "";
        kf_options_defaults(&o);
        CHECK_EQ(kf_options_parse(texts[i], &o, err, sizeof err), -1);
        CHECK_STR(err, keys[i]);
        CHECK_STR(err, "unknown");
    }
}

TEST(parse_bad_values)
{
    static const struct {
        const char *text, *key, *value;
    } bad[] = {
        {"fail_nth=abc", "fail_nth", "abc"},
        {"fail_nth=-1", "fail_nth", "-1"},
        {"fail_nth=+1", "fail_nth", "+1"},
        {"nest_limit=5x", "nest_limit", "5x"},
        {"stack_slack=0x", "stack_slack", "0x"},
        {"fail_nth=99999999999999999999", "fail_nth", "99999999999999999999"},
        {"fail_nth=", "fail_nth", "''"},
        {"help=2", "help", "2"},
        {"dbgprint=maybe", "dbgprint", "maybe"},
        {"fail_kind=sometimes", "fail_kind", "sometimes"},
        {"profile=win12-amd64", "profile", "win12-amd64"},
        {"profile=win11-x86", "profile", "win11-x86"},
        {"profile=", "profile", "profile"},
        {"noequals", "noequals", "key=value"},
        {"fail_nth=2:nest_limit", "nest_limit", "key=value"},
        {"=5", "=5", "without a name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kf_options o;
        char err[256] = "";
        kf_options_defaults(&o);
        CHECK_EQ(kf_options_parse(bad[i].text, &o, err, sizeof err), -1);
        CHECK_STR(err, bad[i].key);
        CHECK_STR(err, bad[i].value);
    }
}

TEST(parse_failure_keeps_options)
{
    char err[256] = "";
    kft_options("fail_nth=3:profile=win10-arm");
    CHECK_EQ(kf_options_set("fail_nth=4:profile=vista-x86:bogus=1", err, sizeof err), -1);
    CHECK_STR(err, "bogus");
    CHECK_EQ(kf_options_get()->fail_nth, 3);
    CHECK_EQ(kf_current_profile()->os, KF_OS_WIN10);
    CHECK_EQ(kf_current_profile()->arch, KF_ARCH_ARM);
    /* kf_options_set starts from the defaults, not from the options in force. */
    CHECK_EQ(kf_options_set("nest_limit=2", err, sizeof err), 0);
    CHECK_EQ(kf_options_get()->fail_nth, 0);
    CHECK_EQ(kf_current_profile()->os, KF_OS_WIN11);
}

/* ---- O-3: one table for defaults and help ------------------------------------------------------ */

TEST(defaults_from_table)
{
    kf_options o;
    memset(&o, 0x5A, sizeof o);
    kf_options_defaults(&o);
    CHECK_EQ(o.fail_nth, 0);
    CHECK_EQ(o.fail_kind, KF_FAILKIND_SITE);
    CHECK_EQ(o.nest_limit, 5);
    CHECK_EQ(o.stack_slack, 0x8000);
    CHECK_EQ(o.help, 0);
    CHECK_EQ(o.dbgprint, 0);
    /* Each option of the table has a name, a type, a default that parses, and help. */
    static const char *const expected[] = {"profile", "fail_nth", "fail_kind", "nest_limit",
                                           "stack_slack", "help", "dbgprint"};
    size_t found = 0;
    for (size_t i = 0; i < kf_option_count(); i++) {
        const kf_option_info *info = kf_option_at(i);
        char text[256], err[256] = "";
        CHECK(info->name[0] && info->type[0] && info->help[0]);
        snprintf(text, sizeof text, "%s=%s", info->name, info->def);
        kf_options_defaults(&o);
        CHECK_EQ(kf_options_parse(text, &o, err, sizeof err), 0);
        for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
            if (!strcmp(info->name, expected[k]))
                found++;
    }
    CHECK_EQ(found, sizeof expected / sizeof expected[0]);
    CHECK(kf_option_at(kf_option_count()) == NULL);
    /* The defaults listed are the defaults used. */
    kf_options_defaults(&o);
    for (size_t i = 0; i < kf_option_count(); i++) {
        const kf_option_info *info = kf_option_at(i);
        if (!strcmp(info->name, "nest_limit"))
            CHECK_EQ(strtoull(info->def, NULL, 0), o.nest_limit);
        if (!strcmp(info->name, "stack_slack"))
            CHECK_EQ(strtoull(info->def, NULL, 0), o.stack_slack);
        if (!strcmp(info->name, "profile"))
            CHECK(!strcmp(info->def, "win11-amd64"));
    }
}

TEST(help_lists_every_option)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    kf_options_print_help(f);
    rewind(f);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    CHECK_STR(text, "KFAULT_OPTIONS");
    for (size_t i = 0; i < kf_option_count(); i++) {
        const kf_option_info *info = kf_option_at(i);
        char head[41];
        snprintf(head, sizeof head, "%s", info->help);
        CHECK_STR(text, info->name);
        CHECK_STR(text, info->def);
        CHECK_STR(text, head);
    }
}

/* ---- O-3: the environment, read once, fatal when wrong ------------------------------------------ */

#define PROBE_VAR "KFT_OPTIONS_ENV_PROBE"

/* In a process started by run_probe: read the options the way any program does on first
 * use, say what came out, and exit before the test runner starts. */
__attribute__((constructor)) static void env_probe(void)
{
    const char *mode = getenv(PROBE_VAR);
    if (!mode)
        return;
    char name[32];
    const kf_options *o = kf_options_get();
    printf("read: profile=%s fail_nth=%llu nest_limit=%llu\n", kf_profile_name(kf_current_profile(), name, sizeof name),
           o->fail_nth, o->nest_limit);
    if (!strcmp(mode, "twice")) {
        setenv("KFAULT_OPTIONS", "profile=win7-x86:fail_nth=9", 1);
        o = kf_options_get();
        printf("again: profile=%s fail_nth=%llu\n", kf_profile_name(kf_current_profile(), name, sizeof name),
               o->fail_nth);
    }
    fflush(stdout);
    exit(0);
}

/* Starts this binary again with KFAULT_OPTIONS = options (NULL: unset); returns its exit
 * status (-1 when it did not exit) and its stdout and stderr in out. */
static int run_probe(const char *mode, const char *options, char *out, size_t len)
{
    int fds[2];
    out[0] = 0;
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        setenv(PROBE_VAR, mode, 1);
        if (options)
            setenv("KFAULT_OPTIONS", options, 1);
        else
            unsetenv("KFAULT_OPTIONS");
        execl("/proc/self/exe", "test_options", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fds[0], out + n, len - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(env_options_apply)
{
    char out[4096];
    CHECK_EQ(run_probe("once", "profile=win10-x86:fail_nth=3", out, sizeof out), 0);
    CHECK_STR(out, "read: profile=win10-x86 fail_nth=3 nest_limit=5");
    CHECK_EQ(run_probe("once", NULL, out, sizeof out), 0);
    CHECK_STR(out, "read: profile=win11-amd64 fail_nth=0 nest_limit=5");
    CHECK_EQ(run_probe("once", "", out, sizeof out), 0);
    CHECK_STR(out, "read: profile=win11-amd64 fail_nth=0");
}

TEST(env_read_once)
{
    char out[4096];
    CHECK_EQ(run_probe("twice", "profile=vista-amd64:nest_limit=3", out, sizeof out), 0);
    CHECK_STR(out, "read: profile=vista-amd64 fail_nth=0 nest_limit=3");
    CHECK_STR(out, "again: profile=vista-amd64 fail_nth=0");
}

TEST(env_unknown_key_exits_2)
{
    char out[4096];
    CHECK_EQ(run_probe("once", "fail_nth=1:bogus=1", out, sizeof out), 2);
    CHECK_STR(out, "KFAULT_OPTIONS");
    CHECK_STR(out, "bogus");
    CHECK(strstr(out, "read:") == NULL);
}

TEST(env_bad_value_exits_2)
{
    static const struct {
        const char *options, *key, *value;
    } bad[] = {
        {"fail_nth=x1", "fail_nth", "x1"},
        {"profile=win11-x86", "profile", "win11-x86"},
        {"profile=win95-x86", "profile", "win95-x86"},
        {"fail_kind=soft", "fail_kind", "soft"},
        {"nest_limit", "nest_limit", "key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[4096];
        CHECK_EQ(run_probe("once", bad[i].options, out, sizeof out), 2);
        CHECK_STR(out, bad[i].key);
        CHECK_STR(out, bad[i].value);
        CHECK(strstr(out, "read:") == NULL);
    }
}

TEST(env_help_prints_table_and_exits)
{
    char out[16384];
    CHECK_EQ(run_probe("once", "help=1", out, sizeof out), 0);
    for (size_t i = 0; i < kf_option_count(); i++)
        CHECK_STR(out, kf_option_at(i)->name);
    CHECK(strstr(out, "read:") == NULL);
}
