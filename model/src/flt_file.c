/*
 * flt_file.c - the files on the modeled volumes and the file objects opened on them: the file
 * system below every filter instance. A volume holds a table of files, directories and named
 * streams that a test or a scenario fills (kf_flt_add_file); a FILE_OBJECT is an object of
 * IoFileObjectType (object.c) whose FsContext, once a create succeeded, identifies the stream
 * it opened and is shared by every open of that stream, as a real file system's stream
 * control block is. The file system answers every I/O that reaches the bottom of the stack on
 * a file object of its own (kf__flt_fs_answer): create with its dispositions, options and
 * share access, read, write, query and set information, directory queries and change
 * notification, volume information, flush, lock control, file system and device controls,
 * extended attributes, cleanup and close. FsRtlIsNameInExpression and
 * FsRtlDoesNameContainWildCards live here too: the directory queries match names the same way.
 *
 * Implements SEMANTICS.md "Files below the filters" FS-1 .. FS-24. Must never decide from an
 * address or the host's clock (times come from the modeled clock), never read a FILE_OBJECT it
 * did not create (a pointer is found among its records first), and never answer an operation
 * or class it does not model with a made-up success: those get the status a file system gives
 * a request it does not implement, written in the rules.
 */
#include "flt_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER 4096u                           /* the modeled volumes' allocation unit */
#define TIME_BOOT 134116992000000000LL          /* the modeled clock's start (system.c, Y-4) */
#define TIME_SECOND 10000000LL
#define TIME_DAY (86400LL * TIME_SECOND)
#define TOTAL_CLUSTERS 0x100000ull              /* 4 GiB volumes */
#define MAX_PATH_CHARS 4096

/* One file, directory or named stream of a file. */
typedef struct fs_node {
    struct fs_node *next;
    unsigned volume;
    WCHAR *path;            /* from the root, "\dir\name", without the stream */
    USHORT path_chars;
    WCHAR *stream;          /* the stream name without its colon; NULL: the default stream */
    USHORT stream_chars;
    ULONG attributes;
    UCHAR *data;
    ULONG size;
    ULONGLONG allocation;   /* set explicitly (AllocationSize, FileAllocationInformation); else 0 */
    LONGLONG times[4];      /* creation, last access, last write, change */
    ULONG opens;            /* file objects whose create succeeded, not yet closed */
    ULONG handles;          /* of those, the ones not yet cleaned up */
    LONGLONG file_id;       /* 1, 2, ... in the order the files were made */
    BOOLEAN delete_pending;
    /* The share access of the opens that asked for data access (IoCheckShareAccess). */
    ULONG share_opens, readers, writers, deleters, shared_read, shared_write, shared_delete;
} fs_node;

enum { T_CREATION, T_ACCESS, T_WRITE, T_CHANGE };

/* The model's record of one file object it created. */
typedef struct fo_rec {
    struct fo_rec *next;
    PFILE_OBJECT fo;
    WCHAR *name_buf;        /* FileName.Buffer, freed with the object */
    unsigned volume;
    unsigned long serial;   /* creation order within the run (the oldest is reported first) */
    fs_node *node;          /* set by a successful create */
    BOOLEAN cleaned_up;
    /* Opened by FltCreateFile*: its cleanup and close are sent to the layers below that
     * instance; IO_IGNORE_SHARE_ACCESS_CHECK leaves the share access alone. */
    PFLT_INSTANCE flt_instance;
    BOOLEAN flt_open, ignore_share;
    /* A layer below completed its create with success though the file system opened nothing
     * (a scripted answer): open for the I/O manager, unknown to the file system (FS-24). */
    BOOLEAN opened_below;
    /* The access and share access the create recorded (data access only). */
    BOOLEAN share_recorded, acc_r, acc_w, acc_d, sh_r, sh_w, sh_d;
    ACCESS_MASK granted;
    /* Directory enumeration: the expression captured at the first query, and the cursor
     * (0: nothing returned, 1: after ".", 2: after "..", 3: after the name `last`). */
    BOOLEAN dir_queried;
    WCHAR *pattern;
    USHORT pattern_chars;
    int dir_phase;
    WCHAR *last;
    USHORT last_chars;
} fo_rec;

static fs_node *nodes;
static fo_rec *fos;
static size_t n_fos;
static LONGLONG next_file_id;
static unsigned long next_fo_serial;

static LONGLONG now_time(void) { return TIME_BOOT + (LONGLONG)kf_clock_now(); }

static void set_times(fs_node *n, LONGLONG t)
{
    for (int i = 0; i < 4; i++)
        n->times[i] = t;
}

static BOOLEAN is_dir(const fs_node *n) { return (n->attributes & FILE_ATTRIBUTE_DIRECTORY) != 0; }

static ULONGLONG round_cluster(ULONGLONG v) { return (v + CLUSTER - 1) / CLUSTER * CLUSTER; }

static ULONGLONG allocation_of(const fs_node *n)
{
    if (is_dir(n))
        return 0;
    ULONGLONG a = round_cluster(n->size);
    return n->allocation > a ? n->allocation : a;
}

/* ---- Names ------------------------------------------------------------------------------ */

static BOOLEAN same_name(const WCHAR *a, USHORT an, const WCHAR *b, USHORT bn)
{
    if (an != bn)
        return FALSE;
    for (USHORT i = 0; i < an; i++)
        if (kf__upcase(a[i]) != kf__upcase(b[i]))
            return FALSE;
    return TRUE;
}

/* Ordinal comparison of upcased names (the order NTFS keeps a directory's index in). */
static int compare_names(const WCHAR *a, USHORT an, const WCHAR *b, USHORT bn)
{
    USHORT n = an < bn ? an : bn;
    for (USHORT i = 0; i < n; i++) {
        WCHAR x = kf__upcase(a[i]), y = kf__upcase(b[i]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return an == bn ? 0 : an < bn ? -1 : 1;
}

/* Characters a file name component may not hold (FS-3). */
static BOOLEAN bad_char(WCHAR c)
{
    return c < 0x20 || c == L'"' || c == L'*' || c == L'/' || c == L'<' || c == L'>' || c == L'?' ||
           c == L'|';
}

/* Splits "\dir\name:stream[:$DATA]" into path and stream. Returns FALSE when the name is not a
 * valid path on the volume (FS-3). */
static BOOLEAN split(const WCHAR *full, USHORT chars, USHORT *path_chars, const WCHAR **stream,
                     USHORT *stream_chars)
{
    if (chars == 0 || full[0] != L'\\')
        return FALSE;
    USHORT colon = chars;
    for (USHORT i = 0; i < chars; i++) {
        WCHAR c = full[i];
        if (c == L':') {
            if (colon == chars)
                colon = i;
            continue; /* a second colon separates the stream's type */
        }
        if (bad_char(c))
            return FALSE;
        if (c == L'\\' && (colon != chars || (i > 0 && full[i - 1] == L'\\')))
            return FALSE;
    }
    USHORT p = colon;
    while (p > 1 && full[p - 1] == L'\\') /* "\dir\" names "\dir" */
        p--;
    *path_chars = p;
    *stream = NULL;
    *stream_chars = 0;
    if (colon < chars) {
        const WCHAR *s = full + colon + 1;
        USHORT n = (USHORT)(chars - colon - 1);
        USHORT type = n;
        for (USHORT i = 0; i < n; i++)
            if (s[i] == L':') {
                type = i;
                break;
            }
        if (type < n) { /* only the data stream type is modeled */
            static const WCHAR data_type[] = {'$', 'D', 'A', 'T', 'A'};
            if (!same_name(s + type + 1, (USHORT)(n - type - 1), data_type, 5))
                return FALSE;
        }
        if (type > 0) {
            *stream = s;
            *stream_chars = type;
        }
    }
    return TRUE;
}

static fs_node *find_node(unsigned volume, const WCHAR *path, USHORT pn, const WCHAR *stream, USHORT sn)
{
    for (fs_node *n = nodes; n; n = n->next)
        if (n->volume == volume && same_name(n->path, n->path_chars, path, pn) &&
            ((!stream && !n->stream) || (stream && n->stream && same_name(n->stream, n->stream_chars, stream, sn))))
            return n;
    return NULL;
}

/* The length of the parent part of path ("\a\b" -> "\a": 2; "\b" -> the root: 1). */
static USHORT parent_chars(const WCHAR *path, USHORT pn)
{
    USHORT cut = pn;
    while (cut > 0 && path[cut - 1] != L'\\')
        cut--;
    return cut <= 1 ? 1 : (USHORT)(cut - 1);
}

/* Whether the directory that holds path exists (the root always does). */
static BOOLEAN parent_is_directory(unsigned volume, const WCHAR *path, USHORT pn, BOOLEAN *parent_missing)
{
    USHORT cut = pn;
    while (cut > 0 && path[cut - 1] != L'\\')
        cut--;
    *parent_missing = FALSE;
    if (cut <= 1) /* in the root */
        return TRUE;
    fs_node *p = find_node(volume, path, (USHORT)(cut - 1), NULL, 0);
    if (!p) {
        *parent_missing = TRUE;
        return FALSE;
    }
    return is_dir(p);
}

static WCHAR *copy_wide(const WCHAR *s, USHORT n)
{
    WCHAR *c = malloc(((size_t)n + 1) * sizeof(WCHAR));
    if (c) {
        if (n)
            memcpy(c, s, (size_t)n * sizeof(WCHAR));
        c[n] = 0;
    }
    return c;
}

static fs_node *make_node(unsigned volume, const WCHAR *path, USHORT pn, const WCHAR *stream, USHORT sn,
                          ULONG attributes)
{
    fs_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->path = copy_wide(path, pn);
    n->stream = stream ? copy_wide(stream, sn) : NULL;
    if (!n->path || (stream && !n->stream)) {
        free(n->path);
        free(n->stream);
        free(n);
        return NULL;
    }
    n->volume = volume;
    n->path_chars = pn;
    n->stream_chars = stream ? sn : 0;
    n->attributes = attributes ? attributes : FILE_ATTRIBUTE_NORMAL;
    n->file_id = ++next_file_id;
    set_times(n, now_time());
    n->next = nodes;
    nodes = n;
    return n;
}

static void free_node(fs_node *n)
{
    free(n->path);
    free(n->stream);
    free(n->data);
    free(n);
}

static void unlink_node(fs_node *gone)
{
    for (fs_node **pp = &nodes; *pp; pp = &(*pp)->next)
        if (*pp == gone) {
            *pp = gone->next;
            return;
        }
}

/* Deletes a file (with its named streams), a stream or an empty directory. */
static void delete_node(fs_node *n)
{
    if (!n->stream)
        for (fs_node **pp = &nodes; *pp;) {
            fs_node *s = *pp;
            if (s != n && s->stream && s->volume == n->volume && same_name(s->path, s->path_chars, n->path, n->path_chars)) {
                *pp = s->next;
                free_node(s);
            } else
                pp = &s->next;
        }
    unlink_node(n);
    free_node(n);
}

/* The final component of a node's path ("\" for the root). */
static const WCHAR *final_component(const fs_node *n, USHORT *chars)
{
    USHORT cut = n->path_chars;
    while (cut > 0 && n->path[cut - 1] != L'\\')
        cut--;
    if (n->path_chars <= 1) {
        *chars = n->path_chars;
        return n->path;
    }
    *chars = (USHORT)(n->path_chars - cut);
    return n->path + cut;
}

/* Whether child's path is directly inside the directory path dir. */
static BOOLEAN is_child_of(const fs_node *child, const fs_node *dir)
{
    if (child->stream || child == dir || child->volume != dir->volume)
        return FALSE;
    USHORT pc = parent_chars(child->path, child->path_chars);
    return same_name(child->path, pc, dir->path, dir->path_chars) && child->path_chars > 1;
}

/* ---- Short (8.3) names ---------------------------------------------------------------------- */

static BOOLEAN short_char(WCHAR c)
{
    if ((c >= L'A' && c <= L'Z') || (c >= L'0' && c <= L'9'))
        return TRUE;
    switch (c) {
    case L'!': case L'#': case L'$': case L'%': case L'&': case L'\'': case L'(': case L')':
    case L'-': case L'@': case L'^': case L'_': case L'`': case L'{': case L'}': case L'~':
        return TRUE;
    default:
        return FALSE;
    }
}

/* Whether a name already is a valid 8.3 name (no short name is generated then). */
static BOOLEAN is_8dot3(const WCHAR *name, USHORT n)
{
    USHORT dot = n, dots = 0;
    for (USHORT i = 0; i < n; i++) {
        if (name[i] == L'.') {
            dot = i;
            dots++;
        } else if (!short_char(kf__upcase(name[i])))
            return FALSE;
    }
    if (dots > 1 || dot == 0 || dot > 8 || (dots == 0 && n > 8))
        return FALSE;
    return dots == 0 || (n - dot - 1 >= 1 && n - dot - 1 <= 3);
}

/* The short name NTFS would generate: up to six characters of the name, "~N", up to three of
 * its extension, uppercased, illegal characters dropped. N counts the names of the directory
 * that come before it in index order and give the same stem. Writes at most 12 WCHARs. */
static USHORT short_stem(const WCHAR *name, USHORT n, WCHAR *stem, WCHAR *ext, USHORT *ext_chars)
{
    USHORT dot = n;
    for (USHORT i = 0; i < n; i++)
        if (name[i] == L'.')
            dot = i;
    USHORT k = 0;
    for (USHORT i = 0; i < dot && k < 6; i++) {
        WCHAR c = kf__upcase(name[i]);
        if (short_char(c))
            stem[k++] = c;
    }
    if (k == 0)
        stem[k++] = L'_';
    *ext_chars = 0;
    for (USHORT i = (USHORT)(dot + 1); i < n && *ext_chars < 3; i++) {
        WCHAR c = kf__upcase(name[i]);
        if (short_char(c))
            ext[(*ext_chars)++] = c;
    }
    return k;
}

static USHORT short_name(const fs_node *n, WCHAR out[12])
{
    USHORT nc;
    const WCHAR *name = final_component(n, &nc);
    if (n->path_chars <= 1 || is_8dot3(name, nc))
        return 0;
    WCHAR stem[6], ext[3], ostem[6], oext[3];
    USHORT ec, oec;
    USHORT sc = short_stem(name, nc, stem, ext, &ec);
    unsigned ordinal = 1;
    USHORT pc = parent_chars(n->path, n->path_chars);
    for (fs_node *o = nodes; o; o = o->next) {
        if (o == n || o->stream || o->volume != n->volume || o->path_chars <= 1)
            continue;
        if (!same_name(o->path, parent_chars(o->path, o->path_chars), n->path, pc))
            continue;
        USHORT oc;
        const WCHAR *oname = final_component(o, &oc);
        if (is_8dot3(oname, oc) || compare_names(oname, oc, name, nc) >= 0)
            continue;
        USHORT osc = short_stem(oname, oc, ostem, oext, &oec);
        if (osc == sc && oec == ec && !memcmp(ostem, stem, sc * sizeof(WCHAR)) && !memcmp(oext, ext, ec * sizeof(WCHAR)))
            ordinal++;
    }
    if (ordinal > 9)
        ordinal = 9; /* the model's directories never hold ten colliding stems */
    USHORT k = 0;
    for (USHORT i = 0; i < sc; i++)
        out[k++] = stem[i];
    out[k++] = L'~';
    out[k++] = (WCHAR)(L'0' + ordinal);
    if (ec) {
        out[k++] = L'.';
        for (USHORT i = 0; i < ec; i++)
            out[k++] = ext[i];
    }
    return k;
}

/* ---- Expressions (FsRtlIsNameInExpression, directory queries) ------------------------------- */

static BOOLEAN is_wild(WCHAR c) { return c == L'*' || c == L'?' || c == DOS_STAR || c == DOS_QM || c == DOS_DOT; }

/* Whether name (upcased first when upcase) is in expression (used as it is). Both non-empty.
 * m[e] of row n is whether expression[e..] matches name[n..]; rows are computed from the end of
 * the name backwards, two at a time. */
static BOOLEAN match_expression(const WCHAR *ex, USHORT en, const WCHAR *name, USHORT nn, BOOLEAN upcase)
{
    BOOLEAN small[2][257];
    BOOLEAN *buf = en < 257 ? small[0] : malloc(2 * ((size_t)en + 1));
    if (!buf) {
        fprintf(stderr, "kfault: out of host memory matching a name\n");
        abort();
    }
    BOOLEAN *next = buf, *cur = en < 257 ? small[1] : buf + en + 1; /* next: row n+1, cur: row n */
    long last_dot = -1;
    for (USHORT i = 0; i < nn; i++)
        if (name[i] == L'.')
            last_dot = i;
    for (long n = nn; n >= 0; n--) {
        WCHAR c = n < nn ? (upcase ? kf__upcase(name[n]) : name[n]) : 0;
        BOOLEAN at_end = n == nn;
        for (long e = en; e >= 0; e--) {
            BOOLEAN v;
            if (e == en) {
                v = at_end;
            } else {
                WCHAR x = ex[e];
                if (x == L'*')
                    v = cur[e + 1] || (!at_end && next[e]);
                else if (x == DOS_STAR) /* never consumes the name's last dot */
                    v = cur[e + 1] || (!at_end && n != last_dot && next[e]);
                else if (x == L'?')
                    v = !at_end && next[e + 1];
                else if (x == DOS_QM) {
                    if (!at_end && c != L'.')
                        v = next[e + 1];
                    else { /* a dot or the end: skip the run of DOS_QMs */
                        long f = e;
                        while (f < en && ex[f] == DOS_QM)
                            f++;
                        v = cur[f];
                    }
                } else if (x == DOS_DOT)
                    v = at_end ? cur[e + 1] : (c == L'.' && next[e + 1]);
                else
                    v = !at_end && c == x && next[e + 1];
            }
            cur[e] = v;
        }
        BOOLEAN *t = next;
        next = cur;
        cur = t;
    }
    BOOLEAN r = next[0];
    if (buf != small[0])
        free(buf);
    return r;
}

BOOLEAN FsRtlDoesNameContainWildCards(PUNICODE_STRING Name)
{
    static const char routine[] = "FsRtlDoesNameContainWildCards";
    kf__irql_at_most(routine, APC_LEVEL);
    if (!Name)
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, 0, 0, 0, "%s: Name is NULL", routine);
    kf__check_unicode_string(routine, Name, "Name");
    for (USHORT i = 0; i < Name->Length / sizeof(WCHAR); i++)
        if (is_wild(Name->Buffer[i]))
            return TRUE;
    return FALSE;
}

BOOLEAN FsRtlIsNameInExpression(PUNICODE_STRING Expression, PUNICODE_STRING Name, BOOLEAN IgnoreCase,
                                PWCH UpcaseTable)
{
    static const char routine[] = "FsRtlIsNameInExpression";
    kf__irql_at_most(routine, APC_LEVEL);
    if (!Expression || !Name)
        kf_violation_stop(KF_VIOL_RTL_MALFORMED_STRING, routine, 0, 0, 0, "%s: %s is NULL", routine,
                          Expression ? "Name" : "Expression");
    kf__check_unicode_string(routine, Expression, "Expression");
    kf__check_unicode_string(routine, Name, "Name");
    if (UpcaseTable)
        kf__not_modeled("FsRtlIsNameInExpression with an UpcaseTable");
    USHORT en = (USHORT)(Expression->Length / sizeof(WCHAR)), nn = (USHORT)(Name->Length / sizeof(WCHAR));
    if (en == 0 || nn == 0)
        return en == nn;
    BOOLEAN wild = FALSE;
    for (USHORT i = 0; i < en; i++)
        wild |= is_wild(Expression->Buffer[i]);
    if (wild && kf_fault_consult(KF_SITE_FSRTL_EXPRESSION) != KF_FAULT_NONE)
        ExRaiseStatus(STATUS_NO_MEMORY);
    return match_expression(Expression->Buffer, en, Name->Buffer, nn, IgnoreCase);
}

/* ---- The control surface ---------------------------------------------------------------- */

int kf_flt_add_file(unsigned volume, const kf_flt_file_spec *spec)
{
    if (!spec || !spec->path || volume >= KF_FLT_MAX_VOLUMES)
        return -1;
    USHORT chars = 0;
    while (spec->path[chars] && chars < 1024)
        chars++;
    USHORT pn, sn;
    const WCHAR *stream;
    if (!split(spec->path, chars, &pn, &stream, &sn) || pn <= 1)
        return -1;
    BOOLEAN dir = (spec->attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    if (dir && stream)
        return -1;
    BOOLEAN parent_missing;
    if (!parent_is_directory(volume, spec->path, pn, &parent_missing))
        return -1;
    if (stream && !find_node(volume, spec->path, pn, NULL, 0))
        return -1; /* a named stream belongs to a file that exists */
    if (stream && is_dir(find_node(volume, spec->path, pn, NULL, 0)))
        return -1;
    if (find_node(volume, spec->path, pn, stream, sn))
        return -1;
    fs_node *n = make_node(volume, spec->path, pn, stream, sn, spec->attributes);
    if (!n)
        return -1;
    /* Put there before the run: a month before the modeled boot, a second apart. */
    set_times(n, TIME_BOOT - 30 * TIME_DAY + n->file_id * TIME_SECOND);
    if (spec->size && !dir) {
        n->data = malloc(spec->size);
        if (!n->data) {
            unlink_node(n);
            free_node(n);
            return -1;
        }
        if (spec->data)
            memcpy(n->data, spec->data, spec->size);
        else
            memset(n->data, 0, spec->size);
        n->size = spec->size;
    }
    return 0;
}

size_t kf_flt_files(unsigned volume)
{
    size_t k = 0;
    for (fs_node *n = nodes; n; n = n->next)
        k += n->volume == volume;
    return k;
}

int kf_flt_file_contents(unsigned volume, const WCHAR *path, const void **data, ULONG *size)
{
    if (!path)
        return -1;
    USHORT chars = 0;
    while (path[chars] && chars < 1024)
        chars++;
    USHORT pn, sn;
    const WCHAR *stream;
    if (!split(path, chars, &pn, &stream, &sn))
        return -1;
    fs_node *n = find_node(volume, path, pn, stream, sn);
    if (!n)
        return -1;
    if (data)
        *data = n->data;
    if (size)
        *size = n->size;
    return 0;
}

size_t kf_flt_file_objects_outstanding(void) { return n_fos; }

/* ---- File objects ------------------------------------------------------------------------ */

static fo_rec *find_fo(const void *p)
{
    if (!p)
        return NULL;
    for (fo_rec *r = fos; r; r = r->next)
        if (r->fo == p)
            return r;
    return NULL;
}

/* IoRemoveShareAccess: the open's access leaves the stream's share state. */
static void remove_share(fo_rec *r)
{
    fs_node *n = r->node;
    if (!n || !r->share_recorded)
        return;
    r->share_recorded = FALSE;
    n->share_opens--;
    n->readers -= r->acc_r;
    n->writers -= r->acc_w;
    n->deleters -= r->acc_d;
    n->shared_read -= r->sh_r;
    n->shared_write -= r->sh_w;
    n->shared_delete -= r->sh_d;
}

static void close_node(fo_rec *r)
{
    fs_node *n = r->node;
    if (!n)
        return;
    remove_share(r);
    r->node = NULL;
    if (!r->cleaned_up && n->handles)
        n->handles--;
    n->opens--;
    if (n->opens == 0 && n->delete_pending) /* FS-6: the last close deletes */
        delete_node(n);
}

static void free_fo(fo_rec *r)
{
    free(r->name_buf);
    free(r->pattern);
    free(r->last);
    free(r);
}

/* The object manager's delete procedure of a file object: the close reaches the file system.
 * A file object FltCreateFile* opened gets its IRP_MJ_CLOSE through the layers below the
 * instance it was opened on (FS-6, FI-*); one whose create never succeeded gets none. */
static void file_object_deleted(void *body)
{
    fo_rec *r = find_fo(body);
    if (r && (r->node || r->opened_below) && r->flt_open) {
        PFLT_CALLBACK_DATA d = kf__flt_io_new_own(r->flt_instance, r->fo);
        if (d) {
            d->Iopb->MajorFunction = IRP_MJ_CLOSE;
            d->Iopb->IrpFlags = IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API;
            kf__flt_io_perform_own(d, TRUE);
            kf__flt_io_free_own(d);
        }
    }
    for (fo_rec **pp = &fos; *pp; pp = &(*pp)->next)
        if ((*pp)->fo == body) {
            r = *pp;
            *pp = r->next;
            close_node(r);
            free_fo(r);
            n_fos--;
            return;
        }
}

PFILE_OBJECT kf__flt_file_object_new(const struct _FLT_VOLUME *v, const WCHAR *name, USHORT chars,
                                     PFILE_OBJECT related)
{
    if (!v)
        return NULL;
    kf__type_file.delete_fn = file_object_deleted;
    fo_rec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->name_buf = copy_wide(name ? name : (const WCHAR *)L"", name ? chars : 0);
    PFILE_OBJECT fo = r->name_buf ? kf__object_create(&kf__type_file, sizeof(FILE_OBJECT), "File") : NULL;
    if (!fo) {
        free(r->name_buf);
        free(r);
        return NULL;
    }
    fo->Type = 5; /* IO_TYPE_FILE */
    fo->Size = (CSHORT)sizeof(FILE_OBJECT);
    fo->RelatedFileObject = related;
    fo->FileName.Buffer = r->name_buf;
    fo->FileName.Length = (USHORT)((name ? chars : 0) * sizeof(WCHAR));
    fo->FileName.MaximumLength = (USHORT)(fo->FileName.Length + sizeof(WCHAR));
    r->fo = fo;
    r->volume = v->index;
    r->serial = ++next_fo_serial;
    r->next = fos;
    fos = r;
    n_fos++;
    return fo;
}

PFILE_OBJECT kf_flt_new_file_object(unsigned volume, const WCHAR *name, PFILE_OBJECT related)
{
    struct _FLT_VOLUME *v = volume < kf_flt_volume_count() ? kf__flt_volume_at(volume) : NULL;
    USHORT chars = 0;
    while (name && name[chars] && chars < 4096)
        chars++;
    PFILE_OBJECT fo = kf__flt_file_object_new(v, name, chars, related);
    if (fo)
        kf__object_give(fo); /* the caller's reference now */
    return fo;
}

BOOLEAN kf__flt_file_object_volume(const void *fo, unsigned *volume)
{
    fo_rec *r = find_fo(fo);
    if (!r)
        return FALSE;
    if (volume)
        *volume = r->volume;
    return TRUE;
}

int kf__flt_fs_open_state(const void *fo)
{
    fo_rec *r = find_fo(fo);
    if (!r)
        return KF__FO_UNKNOWN;
    if (!r->node && !r->opened_below)
        return KF__FO_NOT_OPEN;
    return r->cleaned_up ? KF__FO_CLEANED_UP : KF__FO_OPEN;
}

void kf__flt_fs_create_completed(const void *fo, NTSTATUS status)
{
    fo_rec *r = find_fo(fo);
    if (!r)
        return;
    if (NT_SUCCESS(status) && !r->node)
        r->opened_below = TRUE;
    else if (!NT_SUCCESS(status) && r->node) {
        /* The file system opened it, a layer below failed the create: the open is cancelled
         * (as FltCancelFileOpen's cleanup and close would). */
        if (!r->cleaned_up) {
            r->cleaned_up = TRUE;
            if (r->node->handles)
                r->node->handles--;
            remove_share(r);
        }
        close_node(r);
        r->fo->FsContext = NULL;
        r->fo->Flags &= ~(ULONG)(FO_FILE_OPEN | FO_HANDLE_CREATED);
    }
}

void kf__flt_fs_mark_flt_open(const void *fo, PFLT_INSTANCE instance, BOOLEAN ignore_share)
{
    fo_rec *r = find_fo(fo);
    if (r) {
        r->flt_instance = instance;
        r->flt_open = TRUE;
        r->ignore_share = ignore_share;
    }
}

BOOLEAN kf_flt_is_modeled_file_object(const void *file_object) { return find_fo(file_object) != NULL; }

int kf__flt_fs_stream(const void *fo, const void **stream, const UCHAR **data, ULONG *size, BOOLEAN *directory)
{
    int state = kf__flt_fs_open_state(fo);
    fo_rec *r = find_fo(fo);
    fs_node *n = r ? r->node : NULL;
    *stream = n;
    *data = n ? n->data : NULL;
    *size = n ? n->size : 0;
    *directory = n ? is_dir(n) : FALSE;
    return state;
}


/* The full name a create opens: the related file object's name, a separator, then its own. */
static WCHAR *full_name(const fo_rec *r, USHORT *chars)
{
    const FILE_OBJECT *fo = r->fo;
    const UNICODE_STRING *own = &fo->FileName;
    USHORT on = own->Buffer ? (USHORT)(own->Length / sizeof(WCHAR)) : 0;
    const fo_rec *rel = fo->RelatedFileObject ? find_fo(fo->RelatedFileObject) : NULL;
    USHORT rn = rel ? (USHORT)(rel->fo->FileName.Length / sizeof(WCHAR)) : 0;
    WCHAR *w = malloc(((size_t)rn + on + 2) * sizeof(WCHAR));
    if (!w)
        return NULL;
    USHORT k = 0;
    if (rel) {
        memcpy(w, rel->fo->FileName.Buffer, (size_t)rn * sizeof(WCHAR));
        k = rn;
        if (on && (k == 0 || w[k - 1] != L'\\') && own->Buffer[0] != L':')
            w[k++] = L'\\';
    }
    if (on)
        memcpy(w + k, own->Buffer, (size_t)on * sizeof(WCHAR));
    k = (USHORT)(k + on);
    w[k] = 0;
    *chars = k;
    return w;
}

/* The name of what a file object has open, from the root: "\dir\name" or "\dir\name:stream". */
static WCHAR *open_name(const fs_node *n, USHORT *chars)
{
    size_t k = (size_t)n->path_chars + (n->stream ? 1u + n->stream_chars : 0u);
    WCHAR *w = malloc((k + 1) * sizeof(WCHAR));
    if (!w)
        return NULL;
    memcpy(w, n->path, (size_t)n->path_chars * sizeof(WCHAR));
    if (n->stream) {
        w[n->path_chars] = L':';
        memcpy(w + n->path_chars + 1, n->stream, (size_t)n->stream_chars * sizeof(WCHAR));
    }
    w[k] = 0;
    *chars = (USHORT)k;
    return w;
}

int kf_flt_first_open_file(char *path, size_t len)
{
    const fo_rec *oldest = NULL;
    for (const fo_rec *r = fos; r; r = r->next)
        if (!oldest || r->serial < oldest->serial)
            oldest = r;
    if (!oldest)
        return 0;
    WCHAR vol[KF__FLT_VOLUME_NAME_MAX];
    struct _FLT_VOLUME *v = kf__flt_volume_at(oldest->volume);
    USHORT vn = v ? kf__flt_volume_name(v, vol) : 0;
    USHORT fn = 0;
    WCHAR *f = oldest->node ? open_name(oldest->node, &fn) : full_name(oldest, &fn);
    size_t k = 0;
    for (USHORT i = 0; i < vn + fn && len && k + 1 < len; i++) {
        WCHAR c = i < vn ? vol[i] : f[i - vn];
        path[k++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    if (len)
        path[k] = 0;
    free(f);
    return 1;
}

/* ---- Create: FS-2 .. FS-5, FS-9, FS-10 ------------------------------------------------------- */

/* IoCheckShareAccess (and IoSetShareAccess when record): only data access takes part. */
static NTSTATUS share_access(fs_node *n, fo_rec *r, ACCESS_MASK access, ULONG share)
{
    BOOLEAN rd = (access & (FILE_READ_DATA | FILE_EXECUTE)) != 0;
    BOOLEAN wr = (access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0;
    BOOLEAN de = (access & DELETE) != 0;
    if ((!rd && !wr && !de) || r->ignore_share)
        return STATUS_SUCCESS;
    BOOLEAN sr = (share & FILE_SHARE_READ) != 0, sw = (share & FILE_SHARE_WRITE) != 0,
            sd = (share & FILE_SHARE_DELETE) != 0;
    if (n->share_opens && ((rd && n->shared_read < n->share_opens) || (wr && n->shared_write < n->share_opens) ||
                           (de && n->shared_delete < n->share_opens) || (n->readers && !sr) ||
                           (n->writers && !sw) || (n->deleters && !sd)))
        return STATUS_SHARING_VIOLATION;
    n->share_opens++;
    n->readers += rd;
    n->writers += wr;
    n->deleters += de;
    n->shared_read += sr;
    n->shared_write += sw;
    n->shared_delete += sd;
    r->share_recorded = TRUE;
    r->acc_r = rd;
    r->acc_w = wr;
    r->acc_d = de;
    r->sh_r = sr;
    r->sh_w = sw;
    r->sh_d = sd;
    return STATUS_SUCCESS;
}

static NTSTATUS fs_create(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;
    ULONG disposition = (iopb->Parameters.Create.Options >> 24) & 0xFF;
    ULONG options = iopb->Parameters.Create.Options & 0x00FFFFFF;
    const IO_SECURITY_CONTEXT *sc = iopb->Parameters.Create.SecurityContext;
    ACCESS_MASK access = sc ? sc->DesiredAccess : 0;
    ULONG share = iopb->Parameters.Create.ShareAccess;
    BOOLEAN ro_volume = kf__flt_volume_read_only_at(r->volume);
    BOOLEAN modifies = disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
                       disposition == FILE_OVERWRITE_IF || (options & FILE_DELETE_ON_CLOSE) ||
                       (access & (FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE));
    *information = 0;
    if (r->node)
        return STATUS_INVALID_DEVICE_REQUEST; /* a file object is opened once */
    if (disposition > FILE_MAXIMUM_DISPOSITION)
        return STATUS_INVALID_PARAMETER;
    if ((options & FILE_DIRECTORY_FILE) && (options & FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER;
    USHORT chars;
    WCHAR *full = full_name(r, &chars);
    if (!full)
        return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS st;
    USHORT pn, sn;
    const WCHAR *stream;
    if (chars == 0) { /* the volume itself */
        free(full);
        return STATUS_ACCESS_DENIED;
    }
    if (!split(full, chars, &pn, &stream, &sn)) {
        free(full);
        return STATUS_OBJECT_NAME_INVALID;
    }
    fs_node *n;
    if (pn <= 1 && !stream) { /* the root directory */
        n = find_node(r->volume, full, 1, NULL, 0);
        if (!n)
            n = make_node(r->volume, full, 1, NULL, 0, FILE_ATTRIBUTE_DIRECTORY);
        if (!n) {
            free(full);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    } else
        n = find_node(r->volume, full, pn, stream, sn);
    BOOLEAN parent_missing = FALSE;
    if (!n && !parent_is_directory(r->volume, full, pn, &parent_missing)) {
        free(full);
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    fs_node *base = stream ? find_node(r->volume, full, pn, NULL, 0) : n;
    if (stream && !base) {
        free(full);
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    BOOLEAN dir = n && is_dir(n);
    ULONG attrs_in = (ULONG)iopb->Parameters.Create.FileAttributes & FILE_ATTRIBUTE_VALID_FLAGS;
    if (n) {
        BOOLEAN ro = (n->attributes & FILE_ATTRIBUTE_READONLY) != 0 && !dir;
        if (n->delete_pending)
            st = STATUS_DELETE_PENDING;
        else if (disposition == FILE_CREATE)
            st = STATUS_OBJECT_NAME_COLLISION;
        else if ((options & FILE_NON_DIRECTORY_FILE) && dir)
            st = STATUS_FILE_IS_A_DIRECTORY;
        else if ((options & FILE_DIRECTORY_FILE) && !dir)
            st = STATUS_NOT_A_DIRECTORY;
        else if (dir && (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
                         disposition == FILE_OVERWRITE_IF))
            st = STATUS_INVALID_PARAMETER;
        else if (ro_volume && modifies)
            st = STATUS_MEDIA_WRITE_PROTECTED;
        else if (ro && (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE ||
                        disposition == FILE_OVERWRITE_IF || (options & FILE_DELETE_ON_CLOSE) ||
                        (access & (FILE_WRITE_DATA | FILE_APPEND_DATA))))
            st = STATUS_ACCESS_DENIED;
        else if ((st = share_access(n, r, access, share)) == STATUS_SUCCESS) {
            switch (disposition) {
            case FILE_SUPERSEDE:
                *information = FILE_SUPERSEDED;
                break;
            case FILE_OVERWRITE:
            case FILE_OVERWRITE_IF:
                *information = FILE_OVERWRITTEN;
                break;
            default:
                *information = FILE_OPENED;
            }
            if (disposition == FILE_SUPERSEDE || disposition == FILE_OVERWRITE || disposition == FILE_OVERWRITE_IF) {
                free(n->data);
                n->data = NULL;
                n->size = 0;
                n->allocation = (ULONGLONG)iopb->Parameters.Create.AllocationSize.QuadPart > 0
                                    ? round_cluster((ULONGLONG)iopb->Parameters.Create.AllocationSize.QuadPart)
                                    : 0;
                /* supersede replaces the attributes, overwrite adds to them (FS-10) */
                if (disposition == FILE_SUPERSEDE)
                    n->attributes = attrs_in & ~(ULONG)FILE_ATTRIBUTE_DIRECTORY;
                else
                    n->attributes |= attrs_in & ~(ULONG)FILE_ATTRIBUTE_DIRECTORY;
                if (n->attributes & ~(ULONG)FILE_ATTRIBUTE_NORMAL)
                    n->attributes &= ~(ULONG)FILE_ATTRIBUTE_NORMAL;
                if (!n->attributes)
                    n->attributes = FILE_ATTRIBUTE_NORMAL;
                n->times[T_WRITE] = n->times[T_CHANGE] = now_time();
            }
        }
    } else if (disposition == FILE_OPEN || disposition == FILE_OVERWRITE) {
        st = STATUS_OBJECT_NAME_NOT_FOUND;
    } else if ((base && is_dir(base) && stream)) {
        st = STATUS_INVALID_PARAMETER; /* no named data streams on a directory */
    } else if (ro_volume) {
        st = STATUS_MEDIA_WRITE_PROTECTED;
    } else {
        ULONG attrs = (options & FILE_DIRECTORY_FILE) ? FILE_ATTRIBUTE_DIRECTORY : attrs_in & ~(ULONG)FILE_ATTRIBUTE_DIRECTORY;
        n = make_node(r->volume, full, pn, stream, sn, attrs);
        if (!n)
            st = STATUS_INSUFFICIENT_RESOURCES;
        else {
            if (!is_dir(n) && iopb->Parameters.Create.AllocationSize.QuadPart > 0)
                n->allocation = round_cluster((ULONGLONG)iopb->Parameters.Create.AllocationSize.QuadPart);
            st = share_access(n, r, access, share); /* a new stream has no other open */
            *information = FILE_CREATED;
        }
    }
    free(full);
    if (NT_SUCCESS(st)) {
        r->node = n;
        r->granted = access;
        n->opens++;
        n->handles++;
        r->fo->FsContext = n;
        r->fo->Flags |= FO_FILE_OPEN | FO_HANDLE_CREATED;
        if (options & (FILE_SYNCHRONOUS_IO_NONALERT | FILE_SYNCHRONOUS_IO_ALERT))
            r->fo->Flags |= FO_SYNCHRONOUS_IO;
        if (options & FILE_SYNCHRONOUS_IO_ALERT)
            r->fo->Flags |= FO_ALERTABLE_IO;
        if (options & FILE_NO_INTERMEDIATE_BUFFERING)
            r->fo->Flags |= FO_NO_INTERMEDIATE_BUFFERING;
        if (options & FILE_DELETE_ON_CLOSE)
            r->fo->Flags |= FO_DELETE_ON_CLOSE;
        r->fo->ReadAccess = r->acc_r;
        r->fo->WriteAccess = r->acc_w;
        r->fo->DeleteAccess = r->acc_d;
        r->fo->SharedRead = r->sh_r;
        r->fo->SharedWrite = r->sh_w;
        r->fo->SharedDelete = r->sh_d;
        r->fo->CurrentByteOffset.QuadPart = 0;
    }
    return st;
}

/* ---- Read and write: FS-7, FS-11 --------------------------------------------------------------- */

static LONGLONG offset_of(const fo_rec *r, const LARGE_INTEGER *off)
{
    if (off->HighPart == -1 && off->LowPart == FILE_USE_FILE_POINTER_POSITION)
        return r->fo->CurrentByteOffset.QuadPart;
    return off->QuadPart;
}

/* Non-cached I/O (IRP_NOCACHE): the offset and the length are whole sectors (FS-11). */
static BOOLEAN misaligned(const fo_rec *r, PFLT_CALLBACK_DATA d, LONGLONG off, ULONG len)
{
    if (!(d->Iopb->IrpFlags & IRP_NOCACHE))
        return FALSE;
    ULONG sector = kf__flt_volume_sector_size_at(r->volume);
    return (ULONGLONG)off % sector != 0 || len % sector != 0;
}

static PVOID io_buffer(PVOID buf, PMDL mdl)
{
    if (!buf && mdl)
        buf = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    return buf;
}

/* FS-7: reads from the stream's bytes. */
static NTSTATUS fs_read(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    fs_node *n = r->node;
    *information = 0;
    if (is_dir(n))
        return STATUS_INVALID_DEVICE_REQUEST;
    ULONG len = d->Iopb->Parameters.Read.Length;
    LONGLONG off = offset_of(r, &d->Iopb->Parameters.Read.ByteOffset);
    BOOLEAN paging = (d->Iopb->IrpFlags & IRP_PAGING_IO) != 0;
    if (off < 0 || misaligned(r, d, off, len))
        return STATUS_INVALID_PARAMETER;
    if (len == 0)
        return STATUS_SUCCESS;
    if ((ULONGLONG)off >= n->size)
        return STATUS_END_OF_FILE;
    ULONG avail = (ULONG)(n->size - (ULONGLONG)off);
    ULONG k = len < avail ? len : avail;
    PVOID buf = io_buffer(d->Iopb->Parameters.Read.ReadBuffer, d->Iopb->Parameters.Read.MdlAddress);
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    memcpy(buf, n->data + off, k);
    *information = k;
    if ((r->fo->Flags & FO_SYNCHRONOUS_IO) && !paging)
        r->fo->CurrentByteOffset.QuadPart = off + k;
    return STATUS_SUCCESS;
}

/* FS-7: writes extend the stream; a write at the end-of-file offset appends; paging writes
 * never extend it. */
static NTSTATUS fs_write(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    fs_node *n = r->node;
    *information = 0;
    if (is_dir(n))
        return STATUS_INVALID_DEVICE_REQUEST;
    if (kf__flt_volume_read_only_at(r->volume))
        return STATUS_MEDIA_WRITE_PROTECTED;
    if (n->attributes & FILE_ATTRIBUTE_READONLY)
        return STATUS_ACCESS_DENIED;
    ULONG len = d->Iopb->Parameters.Write.Length;
    LARGE_INTEGER *o = &d->Iopb->Parameters.Write.ByteOffset;
    BOOLEAN paging = (d->Iopb->IrpFlags & IRP_PAGING_IO) != 0;
    LONGLONG off = (o->HighPart == -1 && o->LowPart == FILE_WRITE_TO_END_OF_FILE) ? (LONGLONG)n->size
                                                                                 : offset_of(r, o);
    if (off < 0 || misaligned(r, d, off, len))
        return STATUS_INVALID_PARAMETER;
    if (len == 0)
        return STATUS_SUCCESS;
    if (paging) { /* paging I/O writes what the file already holds */
        if ((ULONGLONG)off >= n->size)
            return STATUS_SUCCESS;
        if ((ULONGLONG)off + len > n->size)
            len = (ULONG)(n->size - (ULONGLONG)off);
    }
    if ((ULONGLONG)off + len > KF_FLT_FILE_MAX_SIZE)
        return STATUS_DISK_FULL;
    PVOID buf = io_buffer(d->Iopb->Parameters.Write.WriteBuffer, d->Iopb->Parameters.Write.MdlAddress);
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    ULONG end = (ULONG)off + len;
    if (end > n->size) {
        UCHAR *grown = realloc(n->data, end);
        if (!grown)
            return STATUS_INSUFFICIENT_RESOURCES;
        memset(grown + n->size, 0, end - n->size);
        n->data = grown;
        n->size = end;
    }
    memcpy(n->data + off, buf, len);
    *information = len;
    n->times[T_WRITE] = n->times[T_CHANGE] = now_time();
    if ((r->fo->Flags & FO_SYNCHRONOUS_IO) && !paging)
        r->fo->CurrentByteOffset.QuadPart = off + len;
    return STATUS_SUCCESS;
}

/* ---- Query information: FS-12, FS-13 ------------------------------------------------------------ */

/* Copies a structure into the caller's buffer (which need not be aligned). */
static void put(void *buf, ULONG at, const void *v, size_t n) { memcpy((UCHAR *)buf + at, v, n); }

static LONGLONG internal_id(const fs_node *n) { return (LONGLONG)((1ull << 48) | (ULONGLONG)(n->file_id + 64)); }

static ULONG reported_attributes(const fs_node *n)
{
    ULONG a = n->attributes;
    if (is_dir(n))
        a = (a & ~(ULONG)FILE_ATTRIBUTE_NORMAL) | FILE_ATTRIBUTE_DIRECTORY;
    return a ? a : FILE_ATTRIBUTE_NORMAL;
}

static void basic_of(const fs_node *n, FILE_BASIC_INFORMATION *b)
{
    memset(b, 0, sizeof *b);
    b->CreationTime.QuadPart = n->times[T_CREATION];
    b->LastAccessTime.QuadPart = n->times[T_ACCESS];
    b->LastWriteTime.QuadPart = n->times[T_WRITE];
    b->ChangeTime.QuadPart = n->times[T_CHANGE];
    b->FileAttributes = reported_attributes(n);
}

static void standard_of(const fs_node *n, FILE_STANDARD_INFORMATION *s)
{
    memset(s, 0, sizeof *s);
    s->AllocationSize.QuadPart = (LONGLONG)allocation_of(n);
    s->EndOfFile.QuadPart = is_dir(n) ? 0 : n->size;
    s->NumberOfLinks = 1;
    s->DeletePending = n->delete_pending;
    s->Directory = is_dir(n);
}

static ULONG mode_of(const fo_rec *r)
{
    ULONG m = 0, f = r->fo->Flags;
    if (f & FO_SYNCHRONOUS_IO)
        m |= (f & FO_ALERTABLE_IO) ? FILE_SYNCHRONOUS_IO_ALERT : FILE_SYNCHRONOUS_IO_NONALERT;
    if (f & FO_NO_INTERMEDIATE_BUFFERING)
        m |= FILE_NO_INTERMEDIATE_BUFFERING;
    if (f & FO_DELETE_ON_CLOSE)
        m |= FILE_DELETE_ON_CLOSE;
    return m;
}

/* A FILE_NAME_INFORMATION at `at`: as much of the name as fits in len; STATUS_BUFFER_OVERFLOW
 * when it does not all fit. *end receives the bytes written from the buffer's start. */
static NTSTATUS put_name(void *buf, ULONG at, ULONG len, const WCHAR *name, USHORT chars, ULONG *end)
{
    ULONG bytes = (ULONG)chars * sizeof(WCHAR);
    ULONG room = len - at - (ULONG)offsetof(FILE_NAME_INFORMATION, FileName);
    ULONG k = bytes < room ? bytes : room & ~1u;
    put(buf, at, &bytes, sizeof bytes);
    if (k)
        put(buf, at + (ULONG)offsetof(FILE_NAME_INFORMATION, FileName), name, k);
    *end = at + (ULONG)offsetof(FILE_NAME_INFORMATION, FileName) + k;
    return k < bytes ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

/* The streams of n's file: the default data stream (files only), then the named ones. */
static NTSTATUS put_streams(const fs_node *n, void *buf, ULONG len, ULONG_PTR *information)
{
    const fs_node *file = n->stream ? find_node(n->volume, n->path, n->path_chars, NULL, 0) : n;
    ULONG at = 0, prev = 0;
    BOOLEAN any = FALSE;
    static const WCHAR data_suffix[] = {':', '$', 'D', 'A', 'T', 'A'};
    for (int pass = 0; pass < 2; pass++)
        for (const fs_node *s = nodes; s; s = s->next) {
            if (pass == 0 ? (s != file || !file || is_dir(file)) : (!s->stream || !file || s->volume != file->volume ||
                                                                     !same_name(s->path, s->path_chars, file->path, file->path_chars)))
                continue;
            USHORT chars = (USHORT)(1 + (pass ? s->stream_chars : 0) + 6);
            ULONG fixed = (ULONG)offsetof(FILE_STREAM_INFORMATION, StreamName);
            ULONG size = fixed + chars * (ULONG)sizeof(WCHAR);
            ULONG start = any ? (at + 7) & ~7u : 0;
            if (start + size > len) {
                *information = any ? at : 0;
                return STATUS_BUFFER_OVERFLOW;
            }
            if (any) {
                ULONG next = start - prev;
                put(buf, prev, &next, sizeof next);
            }
            FILE_STREAM_INFORMATION e;
            memset(&e, 0, sizeof e);
            e.StreamNameLength = chars * (ULONG)sizeof(WCHAR);
            e.StreamSize.QuadPart = s->size;
            e.StreamAllocationSize.QuadPart = (LONGLONG)allocation_of(s);
            put(buf, start, &e, fixed);
            WCHAR colon = L':';
            put(buf, start + fixed, &colon, sizeof colon);
            if (pass)
                put(buf, start + fixed + 2, s->stream, (size_t)s->stream_chars * sizeof(WCHAR));
            put(buf, start + fixed + 2 + (pass ? s->stream_chars * 2u : 0u), data_suffix, sizeof data_suffix);
            prev = start;
            at = start + size;
            any = TRUE;
        }
    *information = at;
    return STATUS_SUCCESS;
}

/* The fixed size each class needs (the I/O manager's table); 0: a class the model does not
 * answer (FS-12). */
static ULONG query_min(int c)
{
    switch (c) {
    case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
    case FileStandardInformation: return sizeof(FILE_STANDARD_INFORMATION);
    case FileInternalInformation: return sizeof(FILE_INTERNAL_INFORMATION);
    case FileEaInformation: return sizeof(FILE_EA_INFORMATION);
    case FileAccessInformation: return sizeof(FILE_ACCESS_INFORMATION);
    case FileNameInformation:
    case FileNormalizedNameInformation:
    case FileAlternateNameInformation: return sizeof(FILE_NAME_INFORMATION);
    case FilePositionInformation: return sizeof(FILE_POSITION_INFORMATION);
    case FileModeInformation: return sizeof(FILE_MODE_INFORMATION);
    case FileAlignmentInformation: return sizeof(FILE_ALIGNMENT_INFORMATION);
    case FileAllInformation: return sizeof(FILE_ALL_INFORMATION);
    case FileStreamInformation: return sizeof(FILE_STREAM_INFORMATION);
    case FileNetworkOpenInformation: return sizeof(FILE_NETWORK_OPEN_INFORMATION);
    case FileAttributeTagInformation: return sizeof(FILE_ATTRIBUTE_TAG_INFORMATION);
    case FileIdInformation: return sizeof(FILE_ID_INFORMATION);
    default: return 0;
    }
}

static ULONG volume_serial(unsigned volume) { return 0x4B460000u + volume + 1; }

static NTSTATUS fs_query_info(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    const fs_node *n = r->node;
    ULONG len = d->Iopb->Parameters.QueryFileInformation.Length;
    int c = (int)d->Iopb->Parameters.QueryFileInformation.FileInformationClass;
    void *buf = d->Iopb->Parameters.QueryFileInformation.InfoBuffer;
    *information = 0;
    if (c <= 0 || c >= FileMaximumInformation)
        return STATUS_INVALID_INFO_CLASS;
    ULONG need = query_min(c);
    if (!need)
        return STATUS_INVALID_PARAMETER;
    if (len < need)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    NTSTATUS st = STATUS_SUCCESS;
    ULONG end = need;
    switch (c) {
    case FileBasicInformation: {
        FILE_BASIC_INFORMATION b;
        basic_of(n, &b);
        put(buf, 0, &b, sizeof b);
        break;
    }
    case FileStandardInformation: {
        FILE_STANDARD_INFORMATION s;
        standard_of(n, &s);
        put(buf, 0, &s, sizeof s);
        break;
    }
    case FileInternalInformation: {
        LONGLONG id = internal_id(n);
        put(buf, 0, &id, sizeof id);
        break;
    }
    case FileEaInformation: {
        ULONG ea = 0; /* the modeled volumes keep no extended attributes (FS-20) */
        put(buf, 0, &ea, sizeof ea);
        break;
    }
    case FileAccessInformation:
        put(buf, 0, &r->granted, sizeof r->granted);
        break;
    case FileModeInformation: {
        ULONG m = mode_of(r);
        put(buf, 0, &m, sizeof m);
        break;
    }
    case FileAlignmentInformation: {
        ULONG a = FILE_BYTE_ALIGNMENT;
        put(buf, 0, &a, sizeof a);
        break;
    }
    case FilePositionInformation:
        put(buf, 0, &r->fo->CurrentByteOffset, sizeof r->fo->CurrentByteOffset);
        break;
    case FileNameInformation:
    case FileNormalizedNameInformation: {
        USHORT chars;
        WCHAR *name = open_name(n, &chars);
        if (!name)
            return STATUS_INSUFFICIENT_RESOURCES;
        st = put_name(buf, 0, len, name, chars, &end);
        free(name);
        break;
    }
    case FileAlternateNameInformation: {
        WCHAR s[12];
        USHORT chars = n->stream ? 0 : short_name(n, s);
        if (!chars)
            return STATUS_OBJECT_NAME_NOT_FOUND; /* the name is already a short name */
        st = put_name(buf, 0, len, s, chars, &end);
        break;
    }
    case FileAllInformation: {
        FILE_ALL_INFORMATION a;
        memset(&a, 0, sizeof a);
        basic_of(n, &a.BasicInformation);
        standard_of(n, &a.StandardInformation);
        a.InternalInformation.IndexNumber.QuadPart = internal_id(n);
        a.AccessInformation.AccessFlags = r->granted;
        a.PositionInformation.CurrentByteOffset = r->fo->CurrentByteOffset;
        a.ModeInformation.Mode = mode_of(r);
        a.AlignmentInformation.AlignmentRequirement = FILE_BYTE_ALIGNMENT;
        put(buf, 0, &a, offsetof(FILE_ALL_INFORMATION, NameInformation));
        USHORT chars;
        WCHAR *name = open_name(n, &chars);
        if (!name)
            return STATUS_INSUFFICIENT_RESOURCES;
        st = put_name(buf, (ULONG)offsetof(FILE_ALL_INFORMATION, NameInformation), len, name, chars, &end);
        free(name);
        break;
    }
    case FileStreamInformation: {
        ULONG_PTR k;
        st = put_streams(n, buf, len, &k);
        end = (ULONG)k;
        break;
    }
    case FileNetworkOpenInformation: {
        FILE_NETWORK_OPEN_INFORMATION o;
        memset(&o, 0, sizeof o);
        o.CreationTime.QuadPart = n->times[T_CREATION];
        o.LastAccessTime.QuadPart = n->times[T_ACCESS];
        o.LastWriteTime.QuadPart = n->times[T_WRITE];
        o.ChangeTime.QuadPart = n->times[T_CHANGE];
        o.AllocationSize.QuadPart = (LONGLONG)allocation_of(n);
        o.EndOfFile.QuadPart = is_dir(n) ? 0 : n->size;
        o.FileAttributes = reported_attributes(n);
        put(buf, 0, &o, sizeof o);
        break;
    }
    case FileAttributeTagInformation: {
        FILE_ATTRIBUTE_TAG_INFORMATION t = {reported_attributes(n), 0};
        put(buf, 0, &t, sizeof t);
        break;
    }
    case FileIdInformation: {
        FILE_ID_INFORMATION i;
        memset(&i, 0, sizeof i);
        i.VolumeSerialNumber = volume_serial(r->volume);
        LONGLONG id = internal_id(n);
        memcpy(i.FileId.Identifier, &id, sizeof id);
        put(buf, 0, &i, sizeof i);
        break;
    }
    }
    *information = end;
    return st;
}

/* ---- Set information: FS-14 .. FS-16 ------------------------------------------------------------ */

static NTSTATUS set_end_of_file(fs_node *n, LONGLONG eof, BOOLEAN advance_only)
{
    if (is_dir(n) || eof < 0)
        return STATUS_INVALID_PARAMETER;
    if ((ULONGLONG)eof > KF_FLT_FILE_MAX_SIZE)
        return STATUS_DISK_FULL;
    if (advance_only && (ULONGLONG)eof <= n->size)
        return STATUS_SUCCESS;
    ULONG size = (ULONG)eof;
    if (size != n->size) {
        UCHAR *data = size ? realloc(n->data, size) : NULL;
        if (size && !data)
            return STATUS_INSUFFICIENT_RESOURCES;
        if (!size)
            free(n->data);
        if (size > n->size)
            memset(data + n->size, 0, size - n->size);
        n->data = data;
        n->size = size;
    }
    if (n->allocation && n->allocation < round_cluster(size))
        n->allocation = 0;
    n->times[T_WRITE] = n->times[T_CHANGE] = now_time();
    return STATUS_SUCCESS;
}

/* Whether any file object has a file at or below dir open (a directory in use cannot move). */
static BOOLEAN opened_below(const fs_node *dir)
{
    for (const fo_rec *r = fos; r; r = r->next) {
        const fs_node *n = r->node;
        if (!n || n == dir || n->volume != dir->volume || n->path_chars <= dir->path_chars)
            continue;
        if (same_name(n->path, dir->path_chars, dir->path, dir->path_chars) && n->path[dir->path_chars] == L'\\')
            return TRUE;
    }
    return FALSE;
}

/* Moves every node whose path is `from` or below it to `to` (the same tail). */
static NTSTATUS move_paths(unsigned volume, const WCHAR *from, USHORT fn, const WCHAR *to, USHORT tn)
{
    for (fs_node *n = nodes; n; n = n->next) {
        if (n->volume != volume || n->path_chars < fn || !same_name(n->path, fn, from, fn) ||
            (n->path_chars > fn && n->path[fn] != L'\\'))
            continue;
        size_t k = (size_t)tn + (n->path_chars - fn);
        if (k > MAX_PATH_CHARS)
            return STATUS_NAME_TOO_LONG;
    }
    for (fs_node *n = nodes; n; n = n->next) {
        if (n->volume != volume || n->path_chars < fn || !same_name(n->path, fn, from, fn) ||
            (n->path_chars > fn && n->path[fn] != L'\\'))
            continue;
        USHORT k = (USHORT)(tn + (n->path_chars - fn));
        WCHAR *p = malloc(((size_t)k + 1) * sizeof(WCHAR));
        if (!p)
            return STATUS_INSUFFICIENT_RESOURCES;
        memcpy(p, to, (size_t)tn * sizeof(WCHAR));
        memcpy(p + tn, n->path + fn, (size_t)(n->path_chars - fn) * sizeof(WCHAR));
        p[k] = 0;
        free(n->path);
        n->path = p;
        n->path_chars = k;
    }
    return STATUS_SUCCESS;
}

/* The name after a volume's device name, when `name` starts with one: *volume its index. */
static BOOLEAN strip_volume(const WCHAR *name, USHORT chars, unsigned *volume, USHORT *skip)
{
    for (unsigned i = 0; i < kf_flt_volume_count(); i++) {
        WCHAR vol[KF__FLT_VOLUME_NAME_MAX];
        USHORT vn = kf__flt_volume_name(kf__flt_volume_at(i), vol);
        if (chars >= vn && same_name(name, vn, vol, vn) && (chars == vn || name[vn] == L'\\')) {
            *volume = i;
            *skip = vn;
            return TRUE;
        }
    }
    return FALSE;
}

/* FS-15: FileRenameInformation(Ex). */
static NTSTATUS fs_rename(fo_rec *r, const UCHAR *buf, ULONG len, BOOLEAN ex)
{
    fs_node *n = r->node;
    FILE_RENAME_INFORMATION h;
    ULONG fixed = (ULONG)offsetof(FILE_RENAME_INFORMATION, FileName);
    memcpy(&h, buf, fixed);
    ULONG flags = ex ? h.Flags : (h.ReplaceIfExists ? FILE_RENAME_REPLACE_IF_EXISTS : 0);
    if ((h.FileNameLength & 1) || h.FileNameLength == 0 || h.FileNameLength > len - fixed ||
        h.FileNameLength / sizeof(WCHAR) > MAX_PATH_CHARS)
        return STATUS_INVALID_PARAMETER;
    if (n->stream || n->path_chars <= 1)
        return STATUS_INVALID_PARAMETER; /* streams are not renamed here; the root never */
    USHORT nc = (USHORT)(h.FileNameLength / sizeof(WCHAR));
    WCHAR *name = malloc((size_t)h.FileNameLength + sizeof(WCHAR));
    if (!name)
        return STATUS_INSUFFICIENT_RESOURCES;
    memcpy(name, buf + fixed, h.FileNameLength);
    /* The target's path on this volume. */
    WCHAR *target = NULL;
    USHORT tc = 0;
    NTSTATUS st = STATUS_SUCCESS;
    if (h.RootDirectory) {
        void *obj = NULL;
        st = kf__handle_lookup("FltSetInformationFile", h.RootDirectory, 0, &kf__type_file, KernelMode, 0, &obj, NULL);
        fo_rec *root = NT_SUCCESS(st) ? find_fo(obj) : NULL;
        if (NT_SUCCESS(st) && (!root || !root->node || !is_dir(root->node)))
            st = STATUS_INVALID_PARAMETER;
        else if (NT_SUCCESS(st) && root->volume != r->volume)
            st = STATUS_NOT_SAME_DEVICE;
        else if (NT_SUCCESS(st) && (name[0] == L'\\'))
            st = STATUS_OBJECT_NAME_INVALID;
        if (NT_SUCCESS(st)) {
            const fs_node *dn = root->node;
            tc = (USHORT)(dn->path_chars + (dn->path_chars > 1 ? 1 : 0) + nc);
            target = malloc(((size_t)tc + 1) * sizeof(WCHAR));
            if (target) {
                memcpy(target, dn->path, (size_t)dn->path_chars * sizeof(WCHAR));
                USHORT k = dn->path_chars;
                if (dn->path_chars > 1)
                    target[k++] = L'\\';
                memcpy(target + k, name, (size_t)nc * sizeof(WCHAR));
            }
        }
    } else if (name[0] == L'\\') {
        unsigned vol;
        USHORT skip;
        if (!strip_volume(name, nc, &vol, &skip))
            st = STATUS_OBJECT_PATH_NOT_FOUND;
        else if (vol != r->volume)
            st = STATUS_NOT_SAME_DEVICE;
        else {
            tc = (USHORT)(nc - skip);
            target = copy_wide(name + skip, tc);
        }
    } else { /* a name alone: in the same directory */
        USHORT pc = parent_chars(n->path, n->path_chars);
        tc = (USHORT)(pc + (pc > 1 ? 1 : 0) + nc);
        target = malloc(((size_t)tc + 1) * sizeof(WCHAR));
        if (target) {
            memcpy(target, n->path, (size_t)pc * sizeof(WCHAR));
            USHORT k = pc;
            if (pc > 1)
                target[k++] = L'\\';
            memcpy(target + k, name, (size_t)nc * sizeof(WCHAR));
        }
    }
    free(name);
    if (NT_SUCCESS(st) && !target)
        st = STATUS_INSUFFICIENT_RESOURCES;
    USHORT pn = 0, sn;
    const WCHAR *stream = NULL;
    BOOLEAN parent_missing;
    if (NT_SUCCESS(st) && (!split(target, tc, &pn, &stream, &sn) || pn <= 1))
        st = STATUS_OBJECT_NAME_INVALID;
    else if (NT_SUCCESS(st) && stream)
        st = STATUS_INVALID_PARAMETER;
    else if (NT_SUCCESS(st) && !parent_is_directory(r->volume, target, pn, &parent_missing))
        st = STATUS_OBJECT_PATH_NOT_FOUND;
    else if (NT_SUCCESS(st) && pn > n->path_chars && same_name(target, n->path_chars, n->path, n->path_chars) &&
             target[n->path_chars] == L'\\')
        st = STATUS_INVALID_PARAMETER; /* into its own subtree */
    if (NT_SUCCESS(st) && !same_name(target, pn, n->path, n->path_chars)) {
        fs_node *t = find_node(r->volume, target, pn, NULL, 0);
        if (t && !(flags & FILE_RENAME_REPLACE_IF_EXISTS))
            st = STATUS_OBJECT_NAME_COLLISION;
        else if (t && (is_dir(t) || t->opens || ((t->attributes & FILE_ATTRIBUTE_READONLY) &&
                                                 !(flags & FILE_RENAME_IGNORE_READONLY_ATTRIBUTE))))
            st = STATUS_ACCESS_DENIED;
        else if (is_dir(n) && opened_below(n))
            st = STATUS_ACCESS_DENIED;
        else if (t)
            delete_node(t);
    }
    if (NT_SUCCESS(st)) {
        WCHAR *from = copy_wide(n->path, n->path_chars);
        USHORT fn = n->path_chars;
        st = from ? move_paths(r->volume, from, fn, target, pn) : STATUS_INSUFFICIENT_RESOURCES;
        free(from);
        if (NT_SUCCESS(st))
            n->times[T_CHANGE] = now_time();
    }
    free(target);
    return st;
}

static NTSTATUS set_disposition(fo_rec *r, ULONG flags)
{
    fs_node *n = r->node;
    if (flags & ~(ULONG)(FILE_DISPOSITION_DELETE | FILE_DISPOSITION_POSIX_SEMANTICS |
                         FILE_DISPOSITION_FORCE_IMAGE_SECTION_CHECK | FILE_DISPOSITION_ON_CLOSE |
                         FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE))
        return STATUS_INVALID_PARAMETER;
    BOOLEAN del = (flags & FILE_DISPOSITION_DELETE) != 0;
    if (del) {
        if (n->path_chars <= 1 && !n->stream)
            return STATUS_CANNOT_DELETE;
        if ((n->attributes & FILE_ATTRIBUTE_READONLY) && !(flags & FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE))
            return STATUS_CANNOT_DELETE;
        if (is_dir(n))
            for (const fs_node *c = nodes; c; c = c->next)
                if (is_child_of(c, n))
                    return STATUS_DIRECTORY_NOT_EMPTY;
    }
    if (flags & FILE_DISPOSITION_ON_CLOSE) { /* the file object's delete on close, not the file's */
        if (del)
            r->fo->Flags |= FO_DELETE_ON_CLOSE;
        else
            r->fo->Flags &= ~(ULONG)FO_DELETE_ON_CLOSE;
        return STATUS_SUCCESS;
    }
    n->delete_pending = del;
    r->fo->DeletePending = del;
    return STATUS_SUCCESS;
}

static ULONG set_min(int c)
{
    switch (c) {
    case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
    case FilePositionInformation: return sizeof(FILE_POSITION_INFORMATION);
    case FileEndOfFileInformation: return sizeof(FILE_END_OF_FILE_INFORMATION);
    case FileAllocationInformation: return sizeof(FILE_ALLOCATION_INFORMATION);
    case FileDispositionInformation: return sizeof(FILE_DISPOSITION_INFORMATION);
    case FileDispositionInformationEx: return sizeof(FILE_DISPOSITION_INFORMATION_EX);
    case FileRenameInformation:
    case FileRenameInformationEx: return sizeof(FILE_RENAME_INFORMATION);
    case FileLinkInformation:
    case FileLinkInformationEx: return sizeof(FILE_LINK_INFORMATION);
    default: return 0;
    }
}

static NTSTATUS fs_set_info(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    fs_node *n = r->node;
    ULONG len = d->Iopb->Parameters.SetFileInformation.Length;
    int c = (int)d->Iopb->Parameters.SetFileInformation.FileInformationClass;
    const UCHAR *buf = d->Iopb->Parameters.SetFileInformation.InfoBuffer;
    *information = 0;
    if (c <= 0 || c >= FileMaximumInformation)
        return STATUS_INVALID_INFO_CLASS;
    ULONG need = set_min(c);
    if (!need)
        return STATUS_INVALID_PARAMETER;
    if (len < need)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    if (c != FilePositionInformation && kf__flt_volume_read_only_at(r->volume))
        return STATUS_MEDIA_WRITE_PROTECTED;
    switch (c) {
    case FileBasicInformation: {
        FILE_BASIC_INFORMATION b;
        memcpy(&b, buf, sizeof b);
        const LARGE_INTEGER *t[4] = {&b.CreationTime, &b.LastAccessTime, &b.LastWriteTime, &b.ChangeTime};
        if (b.FileAttributes & FILE_ATTRIBUTE_DIRECTORY && !is_dir(n))
            return STATUS_INVALID_PARAMETER;
        for (int i = 0; i < 4; i++)
            if (t[i]->QuadPart > 0)
                n->times[i] = t[i]->QuadPart;
            else if (t[i]->QuadPart < -2)
                return STATUS_INVALID_PARAMETER; /* 0: unchanged; -1, -2: unchanged from now on */
        if (b.FileAttributes) {
            ULONG a = b.FileAttributes & FILE_ATTRIBUTE_VALID_SET_FLAGS & ~(ULONG)FILE_ATTRIBUTE_NORMAL;
            n->attributes = (is_dir(n) ? FILE_ATTRIBUTE_DIRECTORY : 0) | a;
            if (!n->attributes)
                n->attributes = FILE_ATTRIBUTE_NORMAL;
        }
        if (b.ChangeTime.QuadPart == 0)
            n->times[T_CHANGE] = now_time();
        return STATUS_SUCCESS;
    }
    case FilePositionInformation: {
        LARGE_INTEGER p;
        memcpy(&p, buf, sizeof p);
        if (p.QuadPart < 0 || ((r->fo->Flags & FO_NO_INTERMEDIATE_BUFFERING) &&
                               (ULONGLONG)p.QuadPart % kf__flt_volume_sector_size_at(r->volume)))
            return STATUS_INVALID_PARAMETER;
        r->fo->CurrentByteOffset = p;
        return STATUS_SUCCESS;
    }
    case FileEndOfFileInformation: {
        LARGE_INTEGER e;
        memcpy(&e, buf, sizeof e);
        return set_end_of_file(n, e.QuadPart, d->Iopb->Parameters.SetFileInformation.AdvanceOnly);
    }
    case FileAllocationInformation: {
        LARGE_INTEGER a;
        memcpy(&a, buf, sizeof a);
        if (is_dir(n) || a.QuadPart < 0)
            return STATUS_INVALID_PARAMETER;
        if ((ULONGLONG)a.QuadPart > KF_FLT_FILE_MAX_SIZE)
            return STATUS_DISK_FULL;
        if ((ULONGLONG)a.QuadPart < n->size) {
            NTSTATUS st = set_end_of_file(n, a.QuadPart, FALSE);
            if (!NT_SUCCESS(st))
                return st;
        }
        n->allocation = round_cluster((ULONGLONG)a.QuadPart);
        n->times[T_CHANGE] = now_time();
        return STATUS_SUCCESS;
    }
    case FileDispositionInformation:
        return set_disposition(r, buf[0] ? FILE_DISPOSITION_DELETE : 0);
    case FileDispositionInformationEx: {
        ULONG f;
        memcpy(&f, buf, sizeof f);
        return set_disposition(r, f);
    }
    case FileRenameInformation:
    case FileRenameInformationEx:
        return fs_rename(r, buf, len, c == FileRenameInformationEx);
    default: /* FileLinkInformation(Ex): one name per file on the modeled volumes (FS-15) */
        return STATUS_NOT_SUPPORTED;
    }
}

/* ---- Directory control: FS-17, FS-18 ---------------------------------------------------------- */

typedef struct dir_entry {
    const fs_node *node;    /* what the entry describes */
    const WCHAR *name;      /* its name in the directory ("." and ".." for the first two) */
    USHORT chars;
} dir_entry;

static int entry_order(const void *a, const void *b)
{
    const dir_entry *x = a, *y = b;
    return compare_names(x->name, x->chars, y->name, y->chars);
}

/* The entries of directory dir in index order: ".", ".." (not in the root), then the names. */
static dir_entry *list_directory(const fs_node *dir, size_t *count)
{
    static const WCHAR dots[] = {'.', '.'};
    size_t k = 0, cap = 2;
    for (const fs_node *c = nodes; c; c = c->next)
        cap += is_child_of(c, dir);
    dir_entry *e = malloc(cap * sizeof *e);
    if (!e)
        return NULL;
    if (dir->path_chars > 1) {
        const fs_node *parent = find_node(dir->volume, dir->path, parent_chars(dir->path, dir->path_chars), NULL, 0);
        e[k++] = (dir_entry){dir, dots, 1};
        e[k++] = (dir_entry){parent ? parent : dir, dots, 2};
    }
    size_t first = k;
    for (const fs_node *c = nodes; c; c = c->next)
        if (is_child_of(c, dir)) {
            e[k].node = c;
            e[k].name = final_component(c, &e[k].chars);
            k++;
        }
    qsort(e + first, k - first, sizeof *e, entry_order);
    *count = k;
    return e;
}

static ULONG entry_fixed(int c)
{
    switch (c) {
    case FileDirectoryInformation: return (ULONG)offsetof(FILE_DIRECTORY_INFORMATION, FileName);
    case FileFullDirectoryInformation: return (ULONG)offsetof(FILE_FULL_DIR_INFORMATION, FileName);
    case FileBothDirectoryInformation: return (ULONG)offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    case FileNamesInformation: return (ULONG)offsetof(FILE_NAMES_INFORMATION, FileName);
    case FileIdBothDirectoryInformation: return (ULONG)offsetof(FILE_ID_BOTH_DIR_INFORMATION, FileName);
    case FileIdFullDirectoryInformation: return (ULONG)offsetof(FILE_ID_FULL_DIR_INFORMATION, FileName);
    default: return 0;
    }
}

/* Writes one entry's fixed part at `at` (NextEntryOffset 0) and `name_bytes` of its name. */
static void put_entry(void *buf, ULONG at, int c, const dir_entry *e, ULONG name_bytes)
{
    union {
        FILE_DIRECTORY_INFORMATION d;
        FILE_FULL_DIR_INFORMATION f;
        FILE_BOTH_DIR_INFORMATION b;
        FILE_NAMES_INFORMATION n;
        FILE_ID_BOTH_DIR_INFORMATION ib;
        FILE_ID_FULL_DIR_INFORMATION i;
    } u;
    const fs_node *n = e->node;
    ULONG name_len = (ULONG)e->chars * sizeof(WCHAR);
    memset(&u, 0, sizeof u);
    if (c == FileNamesInformation) {
        u.n.FileNameLength = name_len;
    } else {
        /* The first members are common to every class but FileNamesInformation. */
        u.d.CreationTime.QuadPart = n->times[T_CREATION];
        u.d.LastAccessTime.QuadPart = n->times[T_ACCESS];
        u.d.LastWriteTime.QuadPart = n->times[T_WRITE];
        u.d.ChangeTime.QuadPart = n->times[T_CHANGE];
        u.d.EndOfFile.QuadPart = is_dir(n) ? 0 : n->size;
        u.d.AllocationSize.QuadPart = (LONGLONG)allocation_of(n);
        u.d.FileAttributes = reported_attributes(n);
        u.d.FileNameLength = name_len;
        WCHAR s[12];
        USHORT sc = (c == FileBothDirectoryInformation || c == FileIdBothDirectoryInformation) && e->name[0] != L'.'
                        ? short_name(n, s)
                        : 0;
        if (c == FileBothDirectoryInformation) {
            u.b.ShortNameLength = (CCHAR)(sc * sizeof(WCHAR));
            memcpy(u.b.ShortName, s, sc * sizeof(WCHAR));
        } else if (c == FileIdBothDirectoryInformation) {
            u.ib.ShortNameLength = (CCHAR)(sc * sizeof(WCHAR));
            memcpy(u.ib.ShortName, s, sc * sizeof(WCHAR));
            u.ib.FileId.QuadPart = internal_id(n);
        } else if (c == FileIdFullDirectoryInformation) {
            u.i.FileId.QuadPart = internal_id(n);
        }
    }
    ULONG fixed = entry_fixed(c);
    put(buf, at, &u, fixed);
    if (name_bytes)
        put(buf, at + fixed, e->name, name_bytes);
}

/* Whether e comes after the file object's cursor. */
static BOOLEAN after_cursor(const fo_rec *r, size_t index, const dir_entry *e, size_t dots)
{
    if (index < dots) /* "." is 0, ".." is 1 */
        return r->dir_phase <= (int)index;
    if (r->dir_phase < 3)
        return TRUE;
    return compare_names(e->name, e->chars, r->last, r->last_chars) > 0;
}

static NTSTATUS move_cursor(fo_rec *r, size_t index, const dir_entry *e, size_t dots)
{
    if (index < dots) {
        r->dir_phase = (int)index + 1;
        return STATUS_SUCCESS;
    }
    WCHAR *l = copy_wide(e->name, e->chars);
    if (!l)
        return STATUS_INSUFFICIENT_RESOURCES;
    free(r->last);
    r->last = l;
    r->last_chars = e->chars;
    r->dir_phase = 3;
    return STATUS_SUCCESS;
}

static NTSTATUS fs_query_directory(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    const fs_node *dir = r->node;
    PFLT_IO_PARAMETER_BLOCK iopb = d->Iopb;
    ULONG len = iopb->Parameters.DirectoryControl.QueryDirectory.Length;
    int c = (int)iopb->Parameters.DirectoryControl.QueryDirectory.FileInformationClass;
    PUNICODE_STRING expr = iopb->Parameters.DirectoryControl.QueryDirectory.FileName;
    UCHAR flags = iopb->OperationFlags;
    *information = 0;
    if (!is_dir(dir))
        return STATUS_INVALID_PARAMETER;
    ULONG fixed = entry_fixed(c);
    if (!fixed)
        return STATUS_INVALID_INFO_CLASS;
    if (len < fixed)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (expr)
        kf__check_unicode_string("IRP_MN_QUERY_DIRECTORY", expr, "FileName");
    void *buf = io_buffer(iopb->Parameters.DirectoryControl.QueryDirectory.DirectoryBuffer,
                          iopb->Parameters.DirectoryControl.QueryDirectory.MdlAddress);
    if (!buf)
        return iopb->Parameters.DirectoryControl.QueryDirectory.MdlAddress ? STATUS_INSUFFICIENT_RESOURCES
                                                                          : STATUS_INVALID_USER_BUFFER;
    BOOLEAN first = !r->dir_queried || (flags & SL_RESTART_SCAN);
    /* The expression: captured by the first query, replaced by a restart that names one (FS-17). */
    if (!r->dir_queried || ((flags & SL_RESTART_SCAN) && expr && expr->Length)) {
        USHORT en = expr && expr->Length ? (USHORT)(expr->Length / sizeof(WCHAR)) : 1;
        WCHAR *p = malloc((size_t)en * sizeof(WCHAR));
        if (!p)
            return STATUS_INSUFFICIENT_RESOURCES;
        for (USHORT i = 0; i < en; i++)
            p[i] = expr && expr->Length ? kf__upcase(expr->Buffer[i]) : L'*';
        free(r->pattern);
        r->pattern = p;
        r->pattern_chars = en;
    }
    if (first) {
        r->dir_phase = 0;
        r->dir_queried = TRUE;
    }
    size_t count;
    dir_entry *e = list_directory(dir, &count);
    if (!e)
        return STATUS_INSUFFICIENT_RESOURCES;
    size_t dots = dir->path_chars > 1 ? 2 : 0;
    ULONG at = 0, prev = 0;
    size_t returned = 0;
    NTSTATUS st = STATUS_SUCCESS;
    for (size_t i = 0; i < count; i++) {
        if (!after_cursor(r, i, &e[i], dots) ||
            !match_expression(r->pattern, r->pattern_chars, e[i].name, e[i].chars, TRUE))
            continue;
        ULONG name_bytes = (ULONG)e[i].chars * sizeof(WCHAR);
        ULONG start = returned ? (at + 7) & ~7u : 0;
        if (start + fixed + name_bytes > len) {
            if (!returned && first) { /* the fixed part and as much of the name as fits */
                put_entry(buf, 0, c, &e[i], (len - fixed) & ~1u);
                at = fixed + ((len - fixed) & ~1u);
                st = STATUS_BUFFER_OVERFLOW;
            }
            break;
        }
        if (returned) {
            ULONG next = start - prev;
            put(buf, prev, &next, sizeof next);
        }
        put_entry(buf, start, c, &e[i], name_bytes);
        prev = start;
        at = start + fixed + name_bytes;
        returned++;
        if (!(flags & SL_NO_CURSOR_UPDATE)) {
            NTSTATUS m = move_cursor(r, i, &e[i], dots);
            if (!NT_SUCCESS(m)) {
                st = m;
                break;
            }
        }
        if (flags & SL_RETURN_SINGLE_ENTRY)
            break;
    }
    free(e);
    if (NT_SUCCESS(st) && !returned && st != STATUS_BUFFER_OVERFLOW) {
        /* Nothing fit in a later call's buffer: success with nothing (the caller grows it);
         * nothing left: no (more) files. */
        BOOLEAN left = FALSE;
        if (!first) {
            size_t c2;
            dir_entry *e2 = list_directory(dir, &c2);
            for (size_t i = 0; e2 && i < c2 && !left; i++)
                left = after_cursor(r, i, &e2[i], dots) &&
                       match_expression(r->pattern, r->pattern_chars, e2[i].name, e2[i].chars, TRUE);
            free(e2);
        }
        st = left ? STATUS_SUCCESS : first ? STATUS_NO_SUCH_FILE : STATUS_NO_MORE_FILES;
        at = 0;
    }
    *information = at;
    return st;
}

static NTSTATUS fs_directory(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    *information = 0;
    switch (d->Iopb->MinorFunction) {
    case IRP_MN_QUERY_DIRECTORY:
        return fs_query_directory(r, d, information);
    case IRP_MN_NOTIFY_CHANGE_DIRECTORY:
    case IRP_MN_NOTIFY_CHANGE_DIRECTORY_EX:
        /* FS-18: answered at once: the changes are more than can be told, enumerate again. */
        return is_dir(r->node) ? STATUS_NOTIFY_ENUM_DIR : STATUS_INVALID_PARAMETER;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

/* ---- Volume information: FS-19 ------------------------------------------------------------------- */

static const WCHAR *fs_name(FLT_FILESYSTEM_TYPE t, ULONG *attributes)
{
    switch (t) {
    case FLT_FSTYPE_NTFS:
        /* What NTFS reports, without extended attributes (the modeled volumes keep none: FS-20). */
        *attributes = 0x03E706FFu & ~(ULONG)FILE_SUPPORTS_EXTENDED_ATTRIBUTES;
        return L"NTFS";
    case FLT_FSTYPE_REFS:
        *attributes = FILE_CASE_SENSITIVE_SEARCH | FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK |
                      FILE_PERSISTENT_ACLS | FILE_SUPPORTS_SPARSE_FILES | FILE_SUPPORTS_REPARSE_POINTS |
                      FILE_NAMED_STREAMS | FILE_SUPPORTS_OPEN_BY_FILE_ID | FILE_SUPPORTS_USN_JOURNAL |
                      FILE_SUPPORTS_INTEGRITY_STREAMS | FILE_SUPPORTS_BLOCK_REFCOUNTING;
        return L"ReFS";
    case FLT_FSTYPE_FAT:
        *attributes = FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
        return L"FAT32";
    case FLT_FSTYPE_EXFAT:
        *attributes = FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
        return L"exFAT";
    case FLT_FSTYPE_CDFS:
        *attributes = FILE_CASE_SENSITIVE_SEARCH | FILE_UNICODE_ON_DISK | FILE_READ_ONLY_VOLUME;
        return L"CDFS";
    case FLT_FSTYPE_UDFS:
        *attributes = FILE_CASE_SENSITIVE_SEARCH | FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
        return L"UDF";
    default:
        *attributes = FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK;
        return L"RAW";
    }
}

static USHORT wide_chars(const WCHAR *s)
{
    USHORT n = 0;
    while (s[n])
        n++;
    return n;
}

/* A fixed part and a trailing name whose byte length sits at name_len_at: as much as fits. */
static NTSTATUS put_with_name(void *buf, ULONG len, const void *fixed, ULONG fixed_len, ULONG name_at,
                              const WCHAR *name, USHORT chars, ULONG *end)
{
    ULONG bytes = (ULONG)chars * sizeof(WCHAR);
    ULONG room = len - name_at;
    ULONG k = bytes < room ? bytes : room & ~1u;
    put(buf, 0, fixed, fixed_len);
    if (k)
        put(buf, name_at, name, k);
    *end = name_at + k;
    return k < bytes ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

static NTSTATUS fs_query_volume(unsigned volume, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    ULONG len = d->Iopb->Parameters.QueryVolumeInformation.Length;
    int c = (int)d->Iopb->Parameters.QueryVolumeInformation.FsInformationClass;
    void *buf = d->Iopb->Parameters.QueryVolumeInformation.VolumeBuffer;
    struct _FLT_VOLUME *v = kf__flt_volume_at(volume);
    *information = 0;
    if (c <= 0 || c >= FileFsMaximumInformation)
        return STATUS_INVALID_INFO_CLASS;
    ULONG need;
    switch (c) {
    case FileFsVolumeInformation: need = sizeof(FILE_FS_VOLUME_INFORMATION); break;
    case FileFsSizeInformation: need = sizeof(FILE_FS_SIZE_INFORMATION); break;
    case FileFsDeviceInformation: need = sizeof(FILE_FS_DEVICE_INFORMATION); break;
    case FileFsAttributeInformation: need = sizeof(FILE_FS_ATTRIBUTE_INFORMATION); break;
    case FileFsFullSizeInformation: need = sizeof(FILE_FS_FULL_SIZE_INFORMATION); break;
    case FileFsSectorSizeInformation:
        need = kf_current_profile()->os >= KF_OS_WIN8 ? sizeof(FILE_FS_SECTOR_SIZE_INFORMATION) : 0;
        break;
    default: need = 0;
    }
    if (!need || !v)
        return STATUS_INVALID_PARAMETER;
    if (len < need)
        return STATUS_INFO_LENGTH_MISMATCH;
    if (!buf)
        return STATUS_INVALID_USER_BUFFER;
    ULONG sector = kf__flt_volume_sector_size_at(volume);
    ULONG cluster = sector > CLUSTER ? sector : CLUSTER;
    ULONGLONG used = 0;
    for (const fs_node *n = nodes; n; n = n->next)
        if (n->volume == volume)
            used += 1 + allocation_of(n) / cluster;
    ULONGLONG total = TOTAL_CLUSTERS * CLUSTER / cluster;
    ULONGLONG avail = used < total ? total - used : 0;
    ULONG end = need;
    NTSTATUS st = STATUS_SUCCESS;
    switch (c) {
    case FileFsVolumeInformation: {
        FILE_FS_VOLUME_INFORMATION f;
        WCHAR label[8] = {'k', 'f', 'a', 'u', 'l', 't', (WCHAR)(L'1' + volume), 0};
        memset(&f, 0, sizeof f);
        f.VolumeCreationTime.QuadPart = TIME_BOOT - 365 * TIME_DAY;
        f.VolumeSerialNumber = volume_serial(volume);
        f.VolumeLabelLength = 7 * sizeof(WCHAR);
        f.SupportsObjects = v->config.filesystem_type == FLT_FSTYPE_NTFS;
        st = put_with_name(buf, len, &f, (ULONG)offsetof(FILE_FS_VOLUME_INFORMATION, VolumeLabel),
                           (ULONG)offsetof(FILE_FS_VOLUME_INFORMATION, VolumeLabel), label, 7, &end);
        break;
    }
    case FileFsSizeInformation: {
        FILE_FS_SIZE_INFORMATION f;
        f.TotalAllocationUnits.QuadPart = (LONGLONG)total;
        f.AvailableAllocationUnits.QuadPart = (LONGLONG)avail;
        f.SectorsPerAllocationUnit = cluster / sector;
        f.BytesPerSector = sector;
        put(buf, 0, &f, sizeof f);
        break;
    }
    case FileFsFullSizeInformation: {
        FILE_FS_FULL_SIZE_INFORMATION f;
        f.TotalAllocationUnits.QuadPart = (LONGLONG)total;
        f.CallerAvailableAllocationUnits.QuadPart = (LONGLONG)avail;
        f.ActualAvailableAllocationUnits.QuadPart = (LONGLONG)avail;
        f.SectorsPerAllocationUnit = cluster / sector;
        f.BytesPerSector = sector;
        put(buf, 0, &f, sizeof f);
        break;
    }
    case FileFsDeviceInformation: {
        FILE_FS_DEVICE_INFORMATION f;
        switch (v->config.device_type) {
        case FILE_DEVICE_NETWORK_FILE_SYSTEM:
            f.DeviceType = FILE_DEVICE_NETWORK_FILE_SYSTEM;
            f.Characteristics = FILE_REMOTE_DEVICE | FILE_DEVICE_IS_MOUNTED;
            break;
        case FILE_DEVICE_CD_ROM_FILE_SYSTEM:
            f.DeviceType = FILE_DEVICE_CD_ROM;
            f.Characteristics = FILE_REMOVABLE_MEDIA | FILE_READ_ONLY_DEVICE | FILE_DEVICE_IS_MOUNTED;
            break;
        default:
            f.DeviceType = FILE_DEVICE_DISK;
            f.Characteristics = FILE_DEVICE_IS_MOUNTED;
        }
        if (kf__flt_volume_read_only_at(volume))
            f.Characteristics |= FILE_READ_ONLY_DEVICE;
        put(buf, 0, &f, sizeof f);
        break;
    }
    case FileFsAttributeInformation: {
        FILE_FS_ATTRIBUTE_INFORMATION f;
        memset(&f, 0, sizeof f);
        const WCHAR *name = fs_name(v->config.filesystem_type, &f.FileSystemAttributes);
        if (kf__flt_volume_read_only_at(volume))
            f.FileSystemAttributes |= FILE_READ_ONLY_VOLUME;
        f.MaximumComponentNameLength = 255;
        USHORT chars = wide_chars(name);
        f.FileSystemNameLength = chars * (ULONG)sizeof(WCHAR);
        st = put_with_name(buf, len, &f, (ULONG)offsetof(FILE_FS_ATTRIBUTE_INFORMATION, FileSystemName),
                           (ULONG)offsetof(FILE_FS_ATTRIBUTE_INFORMATION, FileSystemName), name, chars, &end);
        break;
    }
    case FileFsSectorSizeInformation: {
        FILE_FS_SECTOR_SIZE_INFORMATION f;
        f.LogicalBytesPerSector = sector;
        f.PhysicalBytesPerSectorForAtomicity = sector;
        f.PhysicalBytesPerSectorForPerformance = sector;
        f.FileSystemEffectivePhysicalBytesPerSectorForAtomicity = sector;
        f.Flags = SSINFO_FLAGS_ALIGNED_DEVICE | SSINFO_FLAGS_PARTITION_ALIGNED_ON_DEVICE;
        f.ByteOffsetForSectorAlignment = 0;
        f.ByteOffsetForPartitionAlignment = 0;
        put(buf, 0, &f, sizeof f);
        break;
    }
    }
    *information = end;
    return st;
}

/* ---- File system and device controls: FS-21 -------------------------------------------------- */

static NTSTATUS fs_control(fo_rec *r, PFLT_CALLBACK_DATA d, ULONG_PTR *information)
{
    (void)r;
    *information = 0;
    if (d->Iopb->MinorFunction != IRP_MN_USER_FS_REQUEST && d->Iopb->MinorFunction != IRP_MN_KERNEL_CALL)
        return STATUS_INVALID_DEVICE_REQUEST;
    switch (d->Iopb->Parameters.FileSystemControl.Common.FsControlCode) {
    case FSCTL_IS_VOLUME_MOUNTED:
        return STATUS_SUCCESS;
    case FSCTL_GET_REPARSE_POINT:
    case FSCTL_DELETE_REPARSE_POINT:
        return STATUS_NOT_A_REPARSE_POINT; /* no file of the modeled volumes is one */
    case FSCTL_GET_OBJECT_ID:
        return STATUS_OBJECTID_NOT_FOUND;
    default:
        return STATUS_INVALID_DEVICE_REQUEST;
    }
}

/* ---- The answer ------------------------------------------------------------------------------- */

BOOLEAN kf__flt_fs_answer(kf_flt_lower_io *io)
{
    PFLT_CALLBACK_DATA d = io->data;
    fo_rec *r = find_fo(d->Iopb->TargetFileObject);
    UCHAR major = d->Iopb->MajorFunction;
    if (!r) {
        /* FltQueryVolumeInformation: Filter Manager's own query of the instance's volume. */
        struct _FLT_INSTANCE *inst = d->Iopb->TargetInstance ? kf__flt_find_instance(d->Iopb->TargetInstance) : NULL;
        if (major != IRP_MJ_QUERY_VOLUME_INFORMATION || d->Iopb->TargetFileObject || !inst || !kf__flt_io_is_own(d))
            return FALSE; /* not a file of the modeled file system: the documented defaults */
        if (io->fault)
            return TRUE;
        ULONG_PTR info = 0;
        io->status = fs_query_volume(inst->volume->index, d, &info);
        io->information = info;
        return TRUE;
    }
    if (io->fault)
        return TRUE;  /* the lower layers' memory failed: the default failure stands */
    ULONG_PTR info = 0;
    NTSTATUS st;
    if (major != IRP_MJ_CREATE && !r->node) {
        /* FS-8: no I/O on a file object never opened; a layer below's open is cleaned up and
         * closed without the file system (FS-24). */
        BOOLEAN ends = r->opened_below && (major == IRP_MJ_CLEANUP || major == IRP_MJ_CLOSE);
        if (ends && major == IRP_MJ_CLEANUP) {
            r->cleaned_up = TRUE;
            r->fo->Flags |= FO_CLEANUP_COMPLETE;
        }
        st = ends ? STATUS_SUCCESS : STATUS_INVALID_DEVICE_REQUEST;
    } else {
        switch (major) {
        case IRP_MJ_CREATE:
            st = fs_create(r, d, &info);
            break;
        case IRP_MJ_READ:
            st = fs_read(r, d, &info);
            break;
        case IRP_MJ_WRITE:
            st = fs_write(r, d, &info);
            break;
        case IRP_MJ_QUERY_INFORMATION:
            st = fs_query_info(r, d, &info);
            break;
        case IRP_MJ_SET_INFORMATION:
            st = fs_set_info(r, d, &info);
            break;
        case IRP_MJ_QUERY_EA:
            st = STATUS_NO_EAS_ON_FILE; /* FS-20 */
            break;
        case IRP_MJ_SET_EA:
            st = STATUS_EAS_NOT_SUPPORTED;
            break;
        case IRP_MJ_FLUSH_BUFFERS: /* FS-21 */
            st = kf__flt_volume_read_only_at(r->volume)                                  ? STATUS_MEDIA_WRITE_PROTECTED
                 : d->Iopb->MinorFunction > IRP_MN_FLUSH_DATA_SYNC_ONLY                ? STATUS_INVALID_PARAMETER
                 : d->Iopb->MinorFunction == IRP_MN_FLUSH_DATA_SYNC_ONLY && is_dir(r->node) ? STATUS_INVALID_PARAMETER
                                                                                        : STATUS_SUCCESS;
            break;
        case IRP_MJ_QUERY_VOLUME_INFORMATION:
            st = fs_query_volume(r->volume, d, &info);
            break;
        case IRP_MJ_DIRECTORY_CONTROL:
            st = fs_directory(r, d, &info);
            break;
        case IRP_MJ_FILE_SYSTEM_CONTROL:
            st = fs_control(r, d, &info);
            break;
        case IRP_MJ_LOCK_CONTROL:
            st = STATUS_SUCCESS; /* FS-21: byte ranges are not locked on the modeled volumes */
            break;
        case IRP_MJ_CLEANUP:
            if (!r->cleaned_up) {
                r->cleaned_up = TRUE;
                if (r->node->handles)
                    r->node->handles--;
                remove_share(r);
                if (r->fo->Flags & FO_DELETE_ON_CLOSE)
                    r->node->delete_pending = TRUE;
            }
            r->fo->Flags |= FO_CLEANUP_COMPLETE;
            st = STATUS_SUCCESS;
            break;
        case IRP_MJ_CLOSE:
            close_node(r);
            st = STATUS_SUCCESS;
            break;
        default: /* FS-21: device controls and every other function the file system has no code for */
            st = STATUS_INVALID_DEVICE_REQUEST;
        }
    }
    io->status = st;
    io->information = info;
    return TRUE;
}

/* ---- Reset ------------------------------------------------------------------------------ */

static void file_reset(void)
{
    /* The object manager frees the bodies of objects still alive; the names are ours. */
    while (fos) {
        fo_rec *r = fos;
        fos = r->next;
        free_fo(r);
    }
    n_fos = 0;
    while (nodes) {
        fs_node *n = nodes;
        nodes = n->next;
        free_node(n);
    }
    next_file_id = 0;
    next_fo_serial = 0;
}

__attribute__((constructor)) static void file_register(void) { kf__register_reset(file_reset); }
