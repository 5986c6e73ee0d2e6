/*
 * options.c - profiles (OS version x architecture, with their constants) and KFAULT_OPTIONS.
 *
 * The option table in kfault/options.def is the only place an option is named: parsing,
 * defaults and help all come from it. A bad key or value is an error that names it, never
 * a silent default. Reads the environment once. In a program without the harness, options
 * of the fault plans that could not act are refused here too (fault.c decides which,
 * SEMANTICS.md PL-7).
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

/* ---- Profiles --------------------------------------------------------------------- */

static const char *const os_names[KF_OS_COUNT] = {"ws03", "vista", "win7", "win8", "win10", "win11"};
static const char *const arch_names[KF_ARCH_COUNT] = {"x86", "amd64", "arm", "arm64"};

/* Which architectures each OS version shipped for (bit per kf_arch). */
#define A(x) (1u << KF_ARCH_##x)
static const unsigned shipped[KF_OS_COUNT] = {
    [KF_OS_WS03] = A(X86) | A(AMD64),
    [KF_OS_VISTA] = A(X86) | A(AMD64),
    [KF_OS_WIN7] = A(X86) | A(AMD64),
    [KF_OS_WIN8] = A(X86) | A(AMD64) | A(ARM),
    [KF_OS_WIN10] = A(X86) | A(AMD64) | A(ARM) | A(ARM64),
    [KF_OS_WIN11] = A(AMD64) | A(ARM64),
};
#undef A

/* Per-architecture constants, from the WDK headers (see the fact sheet's table). */
static const struct {
    SIZE_T stack, large, commit;
} arch_consts[KF_ARCH_COUNT] = {
    [KF_ARCH_X86] = {0x3000, 0xF000, 0x3000},
    [KF_ARCH_AMD64] = {0x6000, 0x12000, 0x6000},
    [KF_ARCH_ARM] = {0x3000, 0xF000, 0x3000},
    [KF_ARCH_ARM64] = {0x8000, 0x12000, 0x8000},
};

const char *kf_os_name(kf_os os) { return (unsigned)os < KF_OS_COUNT ? os_names[os] : "?"; }
const char *kf_arch_name(kf_arch a) { return (unsigned)a < KF_ARCH_COUNT ? arch_names[a] : "?"; }

int kf_profile_make(kf_os os, kf_arch arch, kf_profile *out)
{
    if ((unsigned)os >= KF_OS_COUNT || (unsigned)arch >= KF_ARCH_COUNT)
        return -1;
    if (!(shipped[os] & (1u << arch)))
        return -1;
    out->os = os;
    out->arch = arch;
    out->kernel_stack_size = arch_consts[arch].stack;
    out->large_stack_size = arch_consts[arch].large;
    out->large_stack_commit = arch_consts[arch].commit;
    out->maximum_expansion_size = arch_consts[arch].large - 0x1000 / 2;
    return 0;
}

const char *kf_profile_name(const kf_profile *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%s", kf_os_name(p->os), kf_arch_name(p->arch));
    return buf;
}

int kf_profile_parse(const char *text, kf_profile *out, char *err, size_t errlen)
{
    const char *dash = strchr(text, '-');
    int os = -1, arch = -1;
    if (dash) {
        for (int i = 0; i < KF_OS_COUNT; i++)
            if (strlen(os_names[i]) == (size_t)(dash - text) && !strncmp(text, os_names[i], (size_t)(dash - text)))
                os = i;
        for (int i = 0; i < KF_ARCH_COUNT; i++)
            if (!strcmp(dash + 1, arch_names[i]))
                arch = i;
    }
    if (os < 0 || arch < 0) {
        snprintf(err, errlen,
                 "profile '%s' is not <os>-<arch> with os one of ws03, vista, win7, win8, win10, "
                 "win11 and arch one of x86, amd64, arm, arm64",
                 text);
        return -1;
    }
    if (kf_profile_make((kf_os)os, (kf_arch)arch, out) != 0) {
        snprintf(err, errlen,
                 "profile '%s': %s was never released for %s (arm from win8, arm64 from win10, "
                 "win11 only amd64 and arm64)",
                 text, os_names[os], arch_names[arch]);
        return -1;
    }
    return 0;
}

static kf_profile profile_list[KF_OS_COUNT * KF_ARCH_COUNT];
static size_t profile_list_n;

static void build_profile_list(void)
{
    if (profile_list_n)
        return;
    for (int os = 0; os < KF_OS_COUNT; os++)
        for (int a = 0; a < KF_ARCH_COUNT; a++)
            if (kf_profile_make((kf_os)os, (kf_arch)a, &profile_list[profile_list_n]) == 0)
                profile_list_n++;
}

size_t kf_profile_count(void)
{
    build_profile_list();
    return profile_list_n;
}

const kf_profile *kf_profile_at(size_t i)
{
    build_profile_list();
    return i < profile_list_n ? &profile_list[i] : NULL;
}

/* ---- Options ---------------------------------------------------------------------- */

static const kf_option_info option_table[] = {
#define KF_OPTION(type, name, def, help) {#name, #type, def, help},
#include "kfault/options.def"
#undef KF_OPTION
};

size_t kf_option_count(void) { return sizeof option_table / sizeof option_table[0]; }
const kf_option_info *kf_option_at(size_t i) { return i < kf_option_count() ? &option_table[i] : NULL; }

static int parse_uint(const char *v, unsigned long long *out)
{
    char *end;
    if (!*v || *v == '-' || *v == '+')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end || x > (1ULL << 63))
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_faultkind(const char *v, kf_fail_kind_opt *out)
{
    if (!strcmp(v, "site"))
        *out = KF_FAILKIND_SITE;
    else if (!strcmp(v, "transient"))
        *out = KF_FAILKIND_TRANSIENT;
    else if (!strcmp(v, "hard"))
        *out = KF_FAILKIND_HARD;
    else
        return -1;
    return 0;
}

/* Strings handed out by the STRING type live as long as the process, in a small arena
 * that stores each distinct value once: setting the same options again and again (every
 * test, every run) never grows it. */
__attribute__((unused)) static const char *keep_string(const char *v)
{
    static char arena[8192];
    static size_t used;
    size_t n = strlen(v) + 1;
    for (size_t at = 0; at < used; at += strlen(arena + at) + 1)
        if (!strcmp(arena + at, v))
            return arena + at;
    if (used + n > sizeof arena)
        return NULL;
    memcpy(arena + used, v, n);
    used += n;
    return arena + used - n;
}

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* Which options a text named, by their index in option_table (what a plan check needs to tell
 * a value given from a default). */
#define OPTION_MAX 64
typedef struct {
    unsigned char named[OPTION_MAX];
} given_set;
static size_t last_set;

static size_t option_index(const char *name)
{
    for (size_t i = 0; i < sizeof option_table / sizeof option_table[0]; i++)
        if (!strcmp(option_table[i].name, name))
            return i;
    return OPTION_MAX;
}

static int given_by(const char *name, const void *ctx)
{
    size_t i = option_index(name);
    return i < OPTION_MAX && ((const given_set *)ctx)->named[i];
}

static int set_one(kf_options *o, const char *key, const char *val, char *err, size_t errlen)
{
    char sub[256];
    /* Names the option for the record of what a text gave (see parse_given). */
    last_set = option_index(key);
#define KF_SET_UINT(name) \
    if (parse_uint(val, &o->name)) \
        return ERR("option '%s': '%s' is not a non-negative integer", key, val);
#define KF_SET_BOOL(name) \
    if (parse_bool(val, &o->name)) \
        return ERR("option '%s': '%s' is not a boolean (0, 1, true, false)", key, val);
#define KF_SET_PROFILE(name) \
    if (kf_profile_parse(val, &o->name, sub, sizeof sub)) \
        return ERR("option '%s': %s", key, sub);
#define KF_SET_FAULTKIND(name) \
    if (parse_faultkind(val, &o->name)) \
        return ERR("option '%s': '%s' is not one of site, transient, hard", key, val);
#define KF_SET_STRING(name) \
    if (!(o->name = keep_string(val))) \
        return ERR("option '%s': too much text in KFAULT_OPTIONS", key);
#define KF_OPTION(type, name, def, help) \
    if (!strcmp(key, #name)) {           \
        KF_SET_##type(name) return 0;    \
    }
#include "kfault/options.def"
#undef KF_OPTION
    (void)sub;
    return ERR("unknown option '%s' (KFAULT_OPTIONS=help=1 lists them)", key);
}

void kf_options_defaults(kf_options *o)
{
    char err[256];
    memset(o, 0, sizeof *o);
#define KF_OPTION(type, name, def, help)          \
    if (set_one(o, #name, def, err, sizeof err)) \
        abort(); /* a default that does not parse is a bug in options.def */
#include "kfault/options.def"
#undef KF_OPTION
}

static int parse_given(const char *text, kf_options *o, given_set *given, char *err, size_t errlen);

int kf_options_parse(const char *text, kf_options *o, char *err, size_t errlen)
{
    return parse_given(text, o, NULL, err, errlen);
}

static int parse_given(const char *text, kf_options *o, given_set *given, char *err, size_t errlen)
{
    char buf[4096];
    if (given)
        memset(given, 0, sizeof *given);
    if (!text)
        return 0;
    if (strlen(text) >= sizeof buf)
        return ERR("KFAULT_OPTIONS is longer than %zu characters", sizeof buf - 1);
    strcpy(buf, text);
    /* Separators as in ASAN_OPTIONS: ':' (and whitespace); ',' and '|' stay inside values. */
    for (char *p = buf; *p;) {
        while (*p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        char *item = p;
        while (*p && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if (*p)
            *p++ = 0;
        char *eq = strchr(item, '=');
        if (!eq)
            return ERR("'%s' is not key=value", item);
        *eq = 0;
        if (!*item)
            return ERR("an option without a name ('=%s')", eq + 1);
        if (set_one(o, item, eq + 1, err, errlen))
            return -1;
        if (given && last_set < OPTION_MAX)
            given->named[last_set] = 1;
    }
    return 0;
}

void kf_options_print_help(void *file)
{
    FILE *f = file;
    fprintf(f, "KFAULT_OPTIONS: key=value pairs separated by ':'\n");
    for (size_t i = 0; i < kf_option_count(); i++)
        fprintf(f, "  %-12s %-9s default %-12s %s\n", option_table[i].name, option_table[i].type,
                option_table[i].def, option_table[i].help);
}

static kf_options current;
static int current_ready;
static kf_profile current_profile;

static void apply(void)
{
    current_profile = current.profile;
    kf__fault_plan_apply(&current);
}

const kf_options *kf_options_get(void)
{
    if (!current_ready) {
        char err[512];
        given_set given;
        kf_options_defaults(&current);
        if (parse_given(getenv("KFAULT_OPTIONS"), &current, &given, err, sizeof err) ||
            kf__fault_plan_check(&current, given_by, &given, err, sizeof err)) {
            fprintf(stderr, "kfault: KFAULT_OPTIONS: %s\n", err);
            exit(2);
        }
        if (current.help) {
            kf_options_print_help(stdout);
            exit(0);
        }
        current_ready = 1;
        apply();
    }
    return &current;
}

int kf_options_set(const char *text, char *err, size_t errlen)
{
    kf_options o;
    given_set given;
    kf_options_defaults(&o);
    if (parse_given(text, &o, &given, err, errlen) || kf__fault_plan_check(&o, given_by, &given, err, errlen))
        return -1;
    current = o;
    current_ready = 1;
    apply();
    return 0;
}

const kf_profile *kf_current_profile(void)
{
    kf_options_get();
    return &current_profile;
}

void kf_set_profile(const kf_profile *p)
{
    kf_options_get();
    current_profile = *p;
    current.profile = *p;
}

ULONG_PTR kf__stack_high_base(void)
{
    const kf_profile *p = kf_current_profile();
    return (p->arch == KF_ARCH_X86 || p->arch == KF_ARCH_ARM) ? (ULONG_PTR)0x9A000000u
                                                               : (ULONG_PTR)0xFFFFF80420000000ull;
}
