/*
 * kfault_hashes.c - `kfault hashes`: the trace hash of every file of a corpus tree, and the
 * check that each file still gives the hash recorded for it (corpus/TRACE_HASHES).
 *
 * Each file is read as `kfault run` reads it (kfh_scenario_load: bytes, else text) and run
 * under the default options. Promised and checked for every file, in every build: two runs
 * in one process give the same hash; bytes -> text -> bytes gives a scenario with the same
 * hash; the hash is the one recorded. A file the loader refuses is recorded as "refused".
 * --write replaces the record only when every file passed, through a temporary file and a
 * rename, so the record is never lost or half written.
 *
 * Every record names the definition of the hash it holds ("# trace-hash-version N",
 * format_hash.h): a record of another version is refused as a whole (its hashes cannot be
 * compared with this build's), with the command that regenerates it.
 */
#include "kfault/harness.h"
#include "format_hash.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kfault_cmd_hashes(int argc, char **argv);
int kfault_write_file(const char *path, const void *data, size_t n);

static const char *const usage_hashes =
    "usage: kfault hashes [--check FILE | --write FILE | --update FILE] DIR\n"
    "       kfault hashes --check-version FILE\n"
    "Runs every scenario file under DIR (recursively, in sorted order) under the default\n"
    "options, twice, and once more after bytes -> text -> bytes, and prints \"PATH HASH\" per\n"
    "file (PATH relative to DIR; \"refused\" for a file kfault run refuses). Skipped: src/\n"
    "directories (text sources of seeds), *.verdict, HASHES, TRACE_HASHES, *.md, dot files.\n"
    "  --check FILE  compare with the hashes recorded in FILE; a file without a record, a\n"
    "                record without a file and a different hash are errors\n"
    "  --write FILE  record the hashes in FILE (replaced only when every file passed)\n"
    "  --update FILE as --check for the files FILE records, but a file without a record is\n"
    "                added and a record without a file dropped (for tools that add or\n"
    "                prune corpus files: scripts/fuzz.sh, scripts/minimize.sh --corpus);\n"
    "                FILE is replaced only when every file passed\n"
    "  --check-version FILE  only check that FILE (a record, or corpus/scenarios/HASHES)\n"
    "                holds the line \"# trace-hash-version N\" of this build's hash definition\n"
    "Every record holds that line; a record of another version (or none) is refused whole.\n"
    "Regenerate the corpus record with: kfault hashes --write corpus/TRACE_HASHES corpus\n"
    "Exit status: 0 all as recorded, 1 a file not deterministic, not round-tripping or not as\n"
    "recorded, 2 an error in the command line or a file that cannot be read.\n";

#define REGEN "kfault hashes --write corpus/TRACE_HASHES corpus"
#define VERSION_TAG "# trace-hash-version "
#define MAX_DEPTH 64

typedef struct entry {
    char *path;  /* relative to DIR */
    char value[24]; /* 0x%016llx or "refused" */
} entry;

typedef struct list {
    entry *e;
    size_t n, cap;
} list;

static int list_add(list *l, const char *path, const char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 128;
        entry *g = realloc(l->e, cap * sizeof *g);
        if (!g)
            return -1;
        l->e = g;
        l->cap = cap;
    }
    l->e[l->n].path = strdup(path);
    if (!l->e[l->n].path)
        return -1;
    snprintf(l->e[l->n].value, sizeof l->e[l->n].value, "%s", value);
    l->n++;
    return 0;
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].path);
    free(l->e);
}

static int by_path(const void *a, const void *b) { return strcmp(((const entry *)a)->path, ((const entry *)b)->path); }

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

static int skipped(const char *name, int is_dir)
{
    if (name[0] == '.')
        return 1;
    if (is_dir)
        return !strcmp(name, "src");
    return !strcmp(name, "HASHES") || !strcmp(name, "TRACE_HASHES") || ends_with(name, ".verdict") ||
           ends_with(name, ".md");
}

/* Collects the files under root/rel into l (values empty). */
static int walk(const char *root, const char *rel, int depth, list *l)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    if (depth > MAX_DEPTH) {
        fprintf(stderr, "kfault: hashes: %s: directories nested deeper than %d (a symlink loop?)\n", dir, MAX_DEPTH);
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "kfault: hashes: cannot read directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[4096], full[4096];
        int n = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n >= sizeof sub || snprintf(full, sizeof full, "%s/%s", root, sub) >= (int)sizeof full) {
            fprintf(stderr, "kfault: hashes: path too long under %s\n", dir);
            rc = -1;
            break;
        }
        struct stat st;
        if (stat(full, &st) != 0) {
            fprintf(stderr, "kfault: hashes: cannot read %s: %s\n", full, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            if (!skipped(e->d_name, 1))
                rc = walk(root, sub, depth + 1, l);
        } else if (S_ISREG(st.st_mode) && !skipped(e->d_name, 0)) {
            if (list_add(l, sub, "")) {
                fprintf(stderr, "kfault: hashes: out of memory\n");
                rc = -1;
            }
        }
    }
    closedir(d);
    return rc;
}

/* The hash of one file into value; 0, or 1 with the broken promise on stderr. */
static int hash_file(const char *full, const kfh_config *cfg, kfh_scenario *s, kfh_scenario *t, kfh_result *res,
                     char *value, size_t vlen)
{
    char err[512];
    if (kfh_scenario_load(full, s, err, sizeof err)) {
        snprintf(value, vlen, "refused");
        return 0;
    }
    kfh_run(s, cfg, res);
    uint64_t h1 = res->trace_hash;
    kfh_run(s, cfg, res);
    uint64_t h2 = res->trace_hash;
    snprintf(value, vlen, "0x%016llx", (unsigned long long)h1);
    if (h1 != h2) {
        fprintf(stderr, "kfault: hashes: %s: not deterministic: 0x%016llx, then 0x%016llx in the same process\n",
                full, (unsigned long long)h1, (unsigned long long)h2);
        return 1;
    }
    /* bytes -> text -> bytes: the scenario the canonical bytes of its text decode to. */
    size_t tn = kfh_scenario_format(s, NULL, 0) + 1;
    char *text = malloc(tn);
    size_t bn = 0;
    uint8_t *bytes = NULL;
    int rc = 1;
    if (!text) {
        fprintf(stderr, "kfault: hashes: out of memory\n");
        return 1;
    }
    kfh_scenario_format(s, text, tn);
    if (kfh_scenario_parse(text, t, err, sizeof err)) {
        fprintf(stderr, "kfault: hashes: %s: its text does not parse: %s\n", full, err);
        goto out;
    }
    bn = kfh_scenario_encode(t, NULL, 0);
    bytes = malloc(bn);
    if (!bytes) {
        fprintf(stderr, "kfault: hashes: out of memory\n");
        goto out;
    }
    kfh_scenario_encode(t, bytes, bn);
    if (kfh_scenario_decode(bytes, bn, t, err, sizeof err)) {
        fprintf(stderr, "kfault: hashes: %s: the bytes of its text do not decode: %s\n", full, err);
        goto out;
    }
    kfh_run(t, cfg, res);
    if (res->trace_hash != h1) {
        fprintf(stderr, "kfault: hashes: %s: bytes -> text -> bytes runs to 0x%016llx, not 0x%016llx\n", full,
                (unsigned long long)res->trace_hash, (unsigned long long)h1);
        goto out;
    }
    rc = 0;
out:
    free(text);
    free(bytes);
    return rc;
}

/* Reads "PATH VALUE" lines ('#' comments, blank lines) into l, and the hash version the
 * record names into *version (0: none). l may be NULL: the version only, other lines
 * not checked (corpus/scenarios/HASHES has a format of its own). */
static int read_record(const char *path, list *l, unsigned *version)
{
    *version = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "kfault: hashes: cannot open %s: %s (create it with: " REGEN ")\n", path, strerror(errno));
        return -1;
    }
    char line[4200];
    unsigned no = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        no++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = 0;
        else if (!feof(f)) {
            fprintf(stderr, "kfault: hashes: %s:%u: line too long\n", path, no);
            rc = -1;
            break;
        }
        if (!strncmp(line, VERSION_TAG, strlen(VERSION_TAG))) {
            char *end = NULL;
            const char *v = line + strlen(VERSION_TAG);
            unsigned long x = strtoul(v, &end, 10);
            if (*version || end == v || *end || x == 0 || x > 1000000) {
                fprintf(stderr, "kfault: hashes: %s:%u: expected one \"" VERSION_TAG "N\" line\n", path, no);
                rc = -1;
                break;
            }
            *version = (unsigned)x;
            continue;
        }
        if (n == 0 || line[0] == '#' || !l)
            continue;
        char *sp = strchr(line, ' ');
        char *end = NULL;
        int ok = sp && sp != line && !strchr(sp + 1, ' ');
        if (ok && strcmp(sp + 1, "refused")) {
            errno = 0;
            (void)strtoull(sp + 1, &end, 16);
            ok = !strncmp(sp + 1, "0x", 2) && strlen(sp + 1) == 18 && !errno && end && !*end;
        }
        if (!ok) {
            fprintf(stderr, "kfault: hashes: %s:%u: expected \"PATH 0xHASH\" (16 hex digits) or \"PATH refused\"\n",
                    path, no);
            rc = -1;
            break;
        }
        *sp = 0;
        if (list_add(l, line, sp + 1)) {
            fprintf(stderr, "kfault: hashes: out of memory\n");
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "kfault: hashes: %s: read error\n", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* Writes n bytes to path all or nothing: a temporary file beside it, flushed to disk, then
 * renamed over it. On any failure path keeps its old content (or stays absent), the
 * temporary file is removed, and a sentence goes to stderr. Shared with `kfault encode`. */
int kfault_write_file(const char *path, const void *data, size_t n)
{
    char tmp[4200];
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "kfault: %s: not a regular file (kfault writes whole files only)\n", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    int len = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1)
                    : snprintf(tmp, sizeof tmp, ".%s.XXXXXX", path);
    if (len < 0 || (size_t)len >= sizeof tmp || (slash && !slash[1])) {
        fprintf(stderr, "kfault: %s: not a file name kfault can write\n", path);
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "kfault: %s: cannot create a file beside it: %s\n", path, strerror(errno));
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    int bad = fchmod(fd, 0666 & ~mask) != 0;
    const unsigned char *p = data;
    for (size_t done = 0; !bad && done < n;) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            bad = 1;
        else
            done += (size_t)w;
    }
    int saved = errno;
    if (!bad && fsync(fd) != 0)
        bad = 1, saved = errno;
    if (close(fd) != 0 && !bad)
        bad = 1, saved = errno;
    if (!bad && rename(tmp, path) != 0)
        bad = 1, saved = errno;
    if (bad) {
        fprintf(stderr, "kfault: %s: cannot write: %s (left as it was)\n", path, strerror(saved ? saved : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int write_record(const char *path, const list *l)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) {
        fprintf(stderr, "kfault: hashes: out of memory\n");
        return -1;
    }
    fprintf(f, "# TRACE_HASHES - the trace hash of every corpus file run by `kfault run` with the default\n"
               "# options, as \"PATH HASH\" (PATH relative to corpus/; \"refused\": not a scenario kfault runs).\n"
               "# ctest (kfault_corpus_hashes) holds the fuzz (clang) and replay (gcc) builds to these figures.\n"
               "# scripts/fuzz.sh and scripts/minimize.sh --corpus keep it in step (kfault hashes --update).\n"
               "# Regenerate after migrating corpus files, from the source tree:\n"
               "#   build/fuzz/harness/" REGEN "\n"
               VERSION_TAG "%d\n", KFH_TRACE_HASH_VERSION);
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%s %s\n", l->e[i].path, l->e[i].value);
    int rc = ferror(f) | fclose(f) ? -1 : 0;
    if (rc)
        fprintf(stderr, "kfault: hashes: out of memory\n");
    else
        rc = kfault_write_file(path, buf, n);
    free(buf);
    return rc;
}

/* 0 when the record at path names this build's hash version; else 1 (another version, or
 * none: hashes of version 1), with the sentences on stderr. */
static int check_version(const char *path, unsigned version, const char *regen)
{
    if (version == KFH_TRACE_HASH_VERSION)
        return 0;
    if (version)
        fprintf(stderr, "kfault: hashes: %s holds hashes of trace hash version %u; this build computes version %d\n",
                path, version, KFH_TRACE_HASH_VERSION);
    else
        fprintf(stderr,
                "kfault: hashes: %s names no trace hash version (no \"" VERSION_TAG "N\" line: hashes of version 1, "
                "from the events' text); this build computes version %d\n",
                path, KFH_TRACE_HASH_VERSION);
    fprintf(stderr, "kfault: hashes: the hashes cannot be compared: migrate the record (%s)\n", regen);
    return 1;
}

/* A record whose file is gone: dropped by --update (returns 0), an error otherwise (1). */
static int record_without_file(const char *record, const char *path, const char *dir, int update)
{
    if (update) {
        printf("dropped %s\n", path);
        return 0;
    }
    fprintf(stderr, "kfault: hashes: %s records %s, which is not under %s; regenerate: " REGEN "\n", record, path,
            dir);
    return 1;
}

int kfault_cmd_hashes(int argc, char **argv)
{
    const char *check = NULL, *write = NULL, *dir = NULL;
    int update = 0;
    unsigned version = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_hashes, stdout);
            return 0;
        }
    }
    if (argc == 2 && !strcmp(argv[0], "--check-version")) {
        if (read_record(argv[1], NULL, &version))
            return 2;
        int bad = check_version(argv[1], version, "every hash in it regenerated by this build");
        if (!bad)
            printf("%s: trace hash version %u, as this build\n", argv[1], version);
        return bad;
    }
    for (int i = 0; i < argc; i++) {
        if ((!strcmp(argv[i], "--check") || !strcmp(argv[i], "--write") || !strcmp(argv[i], "--update")) &&
            i + 1 < argc) {
            if (check || write) {
                fprintf(stderr, "kfault: hashes: one of --check, --write and --update, once\n");
                return 2;
            }
            /* --update checks against the record, then writes it back. */
            if (argv[i][2] == 'u') {
                update = 1;
                check = write = argv[i + 1];
            } else {
                *(argv[i][2] == 'c' ? &check : &write) = argv[i + 1];
            }
            i++;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "kfault: hashes: unknown or incomplete option '%s' (kfault hashes --help)\n", argv[i]);
            return 2;
        } else if (!dir) {
            dir = argv[i];
        } else {
            fprintf(stderr, "kfault: hashes: more than one DIR ('%s')\n", argv[i]);
            return 2;
        }
    }
    if (!dir) {
        fputs(usage_hashes, stderr);
        return 2;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "kfault: hashes: %s: not a directory\n", dir);
        return 2;
    }
    /* The record is for the default options, whatever the environment says (with the scenario
     * targets' stack_slack: the interpreter runs inside the callouts). */
    char err[512], with_slack[64];
    kfh_config cfg;
    if (kf_options_set(kfh_scenario_options("", with_slack, sizeof with_slack), err, sizeof err) ||
        kfh_config_from_options(&cfg, err, sizeof err)) {
        fprintf(stderr, "kfault: hashes: options: %s\n", err);
        return 2;
    }
    cfg.capture = 1;
    cfg.echo = NULL;

    list files = {0}, rec = {0};
    int rc = 2;
    kfh_scenario *s = malloc(sizeof *s), *t = malloc(sizeof *t);
    kfh_result *res = malloc(sizeof *res);
    if (!s || !t || !res) {
        fprintf(stderr, "kfault: hashes: out of memory\n");
        goto out;
    }
    if (walk(dir, "", 0, &files) || (check && read_record(check, &rec, &version)))
        goto out;
    if (check && check_version(check, version, REGEN)) {
        rc = 1;
        goto out;
    }
    if (files.n)
        qsort(files.e, files.n, sizeof *files.e, by_path);
    if (rec.n)
        qsort(rec.e, rec.n, sizeof *rec.e, by_path);

    rc = 0;
    size_t hashed = 0, refused = 0, j = 0;
    for (size_t i = 0; i < files.n; i++) {
        char full[4200];
        snprintf(full, sizeof full, "%s/%s", dir, files.e[i].path);
        if (hash_file(full, &cfg, s, t, res, files.e[i].value, sizeof files.e[i].value))
            rc = 1;
        if (!strcmp(files.e[i].value, "refused"))
            refused++;
        else
            hashed++;
        if (!check && !write)
            printf("%s %s\n", files.e[i].path, files.e[i].value);
        if (!check)
            continue;
        /* Both lists are sorted: records before this file have no file. */
        for (; j < rec.n && strcmp(rec.e[j].path, files.e[i].path) < 0; j++)
            rc |= record_without_file(check, rec.e[j].path, dir, update);
        if (j < rec.n && !strcmp(rec.e[j].path, files.e[i].path)) {
            if (strcmp(rec.e[j].value, files.e[i].value)) {
                fprintf(stderr,
                        "kfault: hashes: %s gives %s, %s records %s (a change to what runs is a migration: "
                        "docs/SCENARIO_FORMAT.md; then regenerate: " REGEN ")\n",
                        full, files.e[i].value, check, rec.e[j].value);
                rc = 1;
            }
            j++;
        } else if (update) {
            printf("added %s %s\n", files.e[i].path, files.e[i].value);
        } else {
            fprintf(stderr, "kfault: hashes: %s has no recorded hash in %s (it gives %s); regenerate: " REGEN "\n",
                    full, check, files.e[i].value);
            rc = 1;
        }
    }
    for (; check && j < rec.n; j++)
        rc |= record_without_file(check, rec.e[j].path, dir, update);
    if (write && rc == 0 && write_record(write, &files))
        rc = 2;
    else if (write && rc != 0)
        fprintf(stderr, "kfault: hashes: %s left unchanged: fix the files above first\n", write);
    fprintf(check || write ? stdout : stderr, "%zu file(s): %zu hashed, %zu refused; %s\n", files.n, hashed, refused,
            rc == 0 ? (update  ? "record updated"
                       : check ? "all as recorded"
                       : write ? "recorded"
                               : "deterministic and round-tripping")
                    : "FAILED");
out:
    list_free(&files);
    list_free(&rec);
    free(s);
    free(t);
    free(res);
    return rc;
}
