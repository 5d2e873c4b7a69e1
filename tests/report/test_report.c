/*
 * Integration tests of the commune report (docs/design.md, "The report on top of
 * fields"; include/xasync/report.h): the real `xasync report …` and
 * `xasync-district` processes on real database files, with the seed report
 * tests/fixtures/bao-cao-so-ket-6-thang-2024.txt.
 *
 * Cast: office PCs A (a.db) and B (b.db) of commune hoang-kim, PC C (c.db)
 * of commune hoang-phu, and commune hoang-xuyen, which never reports.  The
 * tests that need no network have a temporary folder with a.db only; the
 * others also have a district database and a server on a loopback port
 * chosen by the OS, stopped by PID in the teardown (which cmocka runs also
 * when a test fails).
 *
 * What must hold:
 *   1. Importing the seed places every line (35 headings, 32 paragraphs, 48
 *      bullets, 1 table of 29 rows and 140 cells) with no warning, and
 *      exporting it gives the seed back, up to blank lines and spaces.
 *   2. Figures are read and written in the Vietnamese format; the derived
 *      columns are recomputed once a figure is edited; every edit is in the
 *      history with its before and after.
 *   3. `report check` flags the seed's inconsistent figures (exit 1) and a
 *      consistent report has nothing to flag (exit 0).
 *   4. Blocks added on two PCs at the same place both survive, in the same
 *      order everywhere; concurrent edits of one cell or paragraph are a
 *      conflict, marked in the export, until a person resolves it.
 *   5. The district prints a commune's report as the commune does, and adds
 *      up an indicator across the communes that reported.
 *   6. Bad input is refused with exit 1 (2 for a wrong usage), a one-line
 *      "xasync: " message naming the problem, and the database unchanged.
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define KIM "hoang-kim"
#define PHU "hoang-phu"
#define XUYEN "hoang-xuyen"
#define AUTHOR_A "Lê Thị Lan"
#define AUTHOR_B "Nguyễn Văn Bình"
#define REPORT "report-2024-h1"
#define MOTTO "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
#define CONFLICT "XUNG ĐỘT"
#define H21_TEXT "Kết quả thực hiện các phong trào thi đua do Thủ tướng Chính phủ phát động"

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */

typedef struct fx {
    char *dir;
    char *home;     /* "HOME=dir" */
    char *author_a; /* "XASYNC_AUTHOR=…" of PC A (and C) */
    char *author_b; /* "XASYNC_AUTHOR=…" of PC B */
    char *a;        /* dir/a.db: PC A of hoang-kim */
    char *b;        /* dir/b.db: PC B of hoang-kim (network tests) */
    char *c;        /* dir/c.db: PC C of hoang-phu (network tests) */
    char *ddb;      /* dir/district.db (network tests) */
    xt_server srv;
} fx;

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static fx *fx_new(void)
{
    fx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    f->author_a = cat2("XASYNC_AUTHOR=", AUTHOR_A);
    f->author_b = cat2("XASYNC_AUTHOR=", AUTHOR_B);
    f->a = xt_path(f->dir, "a.db");
    f->b = xt_path(f->dir, "b.db");
    f->c = xt_path(f->dir, "c.db");
    return f;
}

static xt_run xa_env(const fx *f, const char *author, const char *const *argv)
{
    const char *env[] = {f->home, author, NULL};

    return xt_xasync(argv, NULL, env);
}

/* `xasync` as PC A's clerk (PC C's too). */
static xt_run xa(const fx *f, const char *const *argv)
{
    return xa_env(f, f->author_a, argv);
}

/* The one database of the local tests: a.db for hoang-kim. */
static int setup_local(void **state)
{
    fx *f = fx_new();
    xt_run r;

    *state = f;
    r = xa(f, ARGV("--db", f->a, "init", "--scope", KIM));
    if (r.status != 0)
        fail_msg("xasync init: %s", r.err);
    xt_run_free(&r);
    return 0;
}

/* A district with three communes, its server, PCs A and B of hoang-kim and
 * PC C of hoang-phu; hoang-xuyen has no PC. */
static int setup_net(void **state)
{
    fx *f = fx_new();

    *state = f;
    f->ddb = xt_district_setup(f->dir, ARGV(KIM, PHU, XUYEN));
    xt_server_start(&f->srv, f->ddb, NULL);
    xt_pc_setup(f->dir, f->a, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->b, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->c, PHU, f->srv.port);
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f == NULL)
        return 0;
    if (f->srv.pid > 0)
        xt_server_stop(&f->srv, SIGTERM);
    free(f->a);
    free(f->b);
    free(f->c);
    free(f->ddb);
    free(f->home);
    free(f->author_a);
    free(f->author_b);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Running the programs                                                    */

static void ok_at(const xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: expected exit 0, got %d\nstdout: [%.2000s]\nstderr: [%s]", file, line,
                 what, r->status, r->out, r->err);
}
#define MUST_OK(r, what) ok_at(&(r), (what), __FILE__, __LINE__)

/* The words of a command line, for messages. */
static void argv_text(const char *const *argv, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; argv[i] && n < cap; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s", i ? " " : "", argv[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* Run `xasync ARGV` as `author`, require exit 0, return stdout (caller
 * frees). */
static char *
out_at(const fx *f, const char *author, const char *const *argv, const char *file, int line)
{
    xt_run r = xa_env(f, author, argv);
    char what[512], *out;

    argv_text(argv, what, sizeof what);
    ok_at(&r, what, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}
#define XA_OUT(f, ...) out_at((f), (f)->author_a, ARGV(__VA_ARGS__), __FILE__, __LINE__)
#define XB_OUT(f, ...) out_at((f), (f)->author_b, ARGV(__VA_ARGS__), __FILE__, __LINE__)
/* A command that must succeed and whose output does not matter. */
#define XA_DO(f, ...) free(XA_OUT(f, __VA_ARGS__))
#define XB_DO(f, ...) free(XB_OUT(f, __VA_ARGS__))

static char *district_out_at(const fx *f, const char *const *argv, const char *file, int line)
{
    const char *env[] = {f->home, NULL};
    xt_run r = xt_district(argv, NULL, env);
    char what[512], *out;

    argv_text(argv, what, sizeof what);
    ok_at(&r, what, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}
#define DISTRICT_OUT(f, ...) district_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync --db DB report export [--format F]` (caller frees). */
#define EXPORT(f, db) XA_OUT(f, "--db", (db), "report", "export")

static void sync_at(const fx *f, const char *db, const char *file, int line)
{
    char *out = out_at(f, f->author_a, ARGV("--db", db, "sync"), file, line);

    if (strstr(out, "synced: ") == NULL)
        fail_msg("%s:%d: sync of %s printed no 'synced: ' line: [%s]", file, line, db, out);
    free(out);
}
#define SYNC(f, db) sync_at((f), (db), __FILE__, __LINE__)

/* Counts of the import's summary line. */
typedef struct counts {
    unsigned long headings, paras, bullets, tables, rows, cells;
} counts;

/* `report import FILE` on `db`: exit 0, no
 * warning, the counts it printed. */
static counts import_at(const fx *f, const char *db, const char *file, const char *src, int line)
{
    xt_run r = xa(f, ARGV("--db", db, "report", "import", file));
    counts c = {0, 0, 0, 0, 0, 0};
    const char *p;

    ok_at(&r, "report import", src, line);
    if (r.errlen != 0)
        fail_msg("%s:%d: the import of %s wrote to stderr: [%s]", src, line, file, r.err);
    p = strstr(r.out, "imported report ");
    p = p ? strchr(p, ':') : NULL;
    if (p == NULL || sscanf(p,
                            ": %lu headings, %lu paragraphs, %lu bullets, %lu tables, %lu rows, "
                            "%lu cells",
                            &c.headings, &c.paras, &c.bullets, &c.tables, &c.rows, &c.cells) != 6)
        fail_msg("%s:%d: no summary line 'imported report ID: N headings, …' in [%s]", src, line,
                 r.out);
    xt_run_free(&r);
    return c;
}
#define IMPORT_SEED(f, db) import_at((f), (db), XA_SEED_REPORT, __FILE__, __LINE__)

/* A failing command: exit `code`, one line "xasync: …" on stderr naming
 * `needle`, nothing on stdout, and `db` unchanged. */
static void fails_at(const fx *f,
                     const char *db,
                     const char *const *argv,
                     int code,
                     const char *needle,
                     const char *file,
                     int line)
{
    uint64_t before = xt_db_digest(db), after;
    xt_run r = xa(f, argv);
    char what[512];
    const char *nl;

    argv_text(argv, what, sizeof what);
    assert_true(before != 0);
    if (r.status != code)
        fail_msg("%s:%d: %s: expected exit %d, got %d\nstdout: [%.500s]\nstderr: [%s]", file, line,
                 what, code, r.status, r.out, r.err);
    if (strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("%s:%d: %s: stderr does not start with 'xasync: ': [%s]", file, line, what, r.err);
    nl = strchr(r.err, '\n');
    if (nl == NULL || nl[1] != '\0')
        fail_msg("%s:%d: %s: expected one line on stderr, got [%s]", file, line, what, r.err);
    if (strstr(r.err, needle) == NULL)
        fail_msg("%s:%d: %s: the message does not name the problem ('%s'): [%s]", file, line, what,
                 needle, r.err);
    if (r.outlen != 0)
        fail_msg("%s:%d: %s: a failing command printed [%.500s]", file, line, what, r.out);
    xt_run_free(&r);
    after = xt_db_digest(db);
    if (before != after)
        fail_msg("%s:%d: %s: the database changed (digest %016llx -> %016llx)", file, line, what,
                 (unsigned long long)before, (unsigned long long)after);
}
#define FAILS(f, db, code, needle, ...)                                                            \
    fails_at((f), (db), ARGV(__VA_ARGS__), (code), (needle), __FILE__, __LINE__)

/* ---------------------------------------------------------------------- */
/* Reading what the programs print                                          */

/* One line of a text, normalized: runs of spaces and tabs made one space,
 * trimmed; `src` is its line number in the text (from 1). */
typedef struct nline {
    char *s;
    size_t src;
} nline;

typedef struct nlines {
    nline *v;
    size_t n;
} nlines;

/* The non-blank lines of `text`, normalized. */
static nlines normalize(const char *text)
{
    nlines out = {NULL, 0};
    size_t cap = 0, srcline = 0;
    const char *p = text;

    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *s = malloc(len + 1);
        size_t k = 0;
        int space = 0;

        assert_non_null(s);
        srcline++;
        for (size_t i = 0; i < len; i++) {
            char ch = p[i];
            if (ch == ' ' || ch == '\t' || ch == '\r') {
                space = 1;
                continue;
            }
            if (space && k > 0)
                s[k++] = ' ';
            space = 0;
            s[k++] = ch;
        }
        s[k] = '\0';
        if (k == 0) {
            free(s);
        } else {
            if (out.n == cap) {
                cap = cap ? cap * 2 : 256;
                nline *v = realloc(out.v, cap * sizeof *v);
                assert_non_null(v);
                out.v = v;
            }
            out.v[out.n].s = s;
            out.v[out.n].src = srcline;
            out.n++;
        }
        p += len + (e ? 1 : 0);
    }
    return out;
}

static void nlines_free(nlines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].s);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* `got` has the same lines as `want`, up to blank lines and spaces; fails
 * naming the first line that differs. */
static void same_text_at(const char *want,
                         const char *got,
                         const char *wname,
                         const char *gname,
                         const char *file,
                         int line)
{
    nlines w = normalize(want), g = normalize(got);
    size_t n = w.n < g.n ? w.n : g.n;

    for (size_t i = 0; i < n; i++)
        if (strcmp(w.v[i].s, g.v[i].s) != 0)
            fail_msg("%s:%d: line %zu differs (%s line %zu, %s line %zu):\n  %s: [%.300s]\n"
                     "  %s: [%.300s]",
                     file, line, i + 1, wname, w.v[i].src, gname, g.v[i].src, wname, w.v[i].s,
                     gname, g.v[i].s);
    if (w.n != g.n)
        fail_msg("%s:%d: %s has %zu lines, %s %zu; the first extra one (line %zu): [%.300s]", file,
                 line, wname, w.n, gname, g.n, n + 1, w.n > g.n ? w.v[n].s : g.v[n].s);
    nlines_free(&w);
    nlines_free(&g);
}
#define SAME_TEXT(want, got, wname, gname)                                                         \
    same_text_at((want), (got), (wname), (gname), __FILE__, __LINE__)

/* The first line of `text` that starts with `prefix` (malloc'd), or NULL. */
static char *line_starting(const char *text, const char *prefix)
{
    size_t pl = strlen(prefix);

    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= pl && strncmp(p, prefix, pl) == 0) {
            char *s = malloc(len + 1);
            assert_non_null(s);
            memcpy(s, p, len);
            s[len] = '\0';
            return s;
        }
        p = e ? e + 1 : NULL;
    }
    return NULL;
}

/* The first line of `text` that holds `needle` (malloc'd), or NULL. */
static char *line_with(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle), *s, *e;
    char *out;

    if (hit == NULL)
        return NULL;
    for (s = hit; s > text && s[-1] != '\n'; s--)
        ;
    e = strchr(hit, '\n');
    if (e == NULL)
        e = hit + strlen(hit);
    out = malloc((size_t)(e - s) + 1);
    assert_non_null(out);
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return out;
}

/* Cell `k` (from 0) of a tab-separated line, into buf. */
static const char *cell(const char *ln, int k, char *buf, size_t cap)
{
    const char *p = ln;

    for (int i = 0; i < k && p; i++) {
        p = strchr(p, '\t');
        if (p)
            p++;
    }
    if (p == NULL)
        fail_msg("the line [%s] has no cell %d", ln, k);
    size_t n = strcspn(p, "\t");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* The table line of indicator `tt` in a text export (malloc'd); fails if
 * there is none. */
static char *row_line_at(const char *text, const char *tt, int line)
{
    char prefix[32];
    char *ln;

    snprintf(prefix, sizeof prefix, "%s\t", tt);
    ln = line_starting(text, prefix);
    if (ln == NULL)
        fail_msg("%s:%d: the export has no table row %s", __FILE__, line, tt);
    return ln;
}
#define ROW_LINE(text, tt) row_line_at((text), (tt), __LINE__)

/* A figure in the Vietnamese format ("1.336,4") as a number; fails on
 * anything else. */
static double vn_value(const char *s)
{
    char buf[64];
    size_t k = 0;
    char *end;
    double v;

    for (const char *p = s; *p && k + 1 < sizeof buf; p++) {
        if (*p == '.')
            continue;
        buf[k++] = *p == ',' ? '.' : *p;
    }
    buf[k] = '\0';
    v = strtod(buf, &end);
    if (k == 0 || *end != '\0')
        fail_msg("[%s] is not a figure", s);
    return v;
}

static cJSON *parse_at(const char *text, int want_array, const char *what, int line)
{
    cJSON *j = cJSON_Parse(text);

    if (j == NULL || (want_array ? !cJSON_IsArray(j) : !cJSON_IsObject(j)))
        fail_msg("%s:%d: %s is not a JSON %s: [%.500s]", __FILE__, line, what,
                 want_array ? "array" : "object", text);
    return j;
}
#define PARSE_OBJECT(text, what) parse_at((text), 0, (what), __LINE__)
#define PARSE_ARRAY(text, what) parse_at((text), 1, (what), __LINE__)

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* `report export --format json` of `db`, parsed (caller deletes). */
static cJSON *export_json(const fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "report", "export", "--format", "json");
    cJSON *j = PARSE_OBJECT(out, "report export --format json");

    free(out);
    return j;
}

/* The entity of the first live block of `kind` (with tt `tt` for a row),
 * from a parsed JSON export: "report-2024-h1/b/ID" into buf. */
static const char *
block_entity(const cJSON *doc, const char *kind, const char *tt, char *buf, size_t cap)
{
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(doc, "blocks"), *b;

    cJSON_ArrayForEach(b, blocks)
    {
        const char *k = jstr(b, "kind"), *id = jstr(b, "id"), *t = jstr(b, "tt");
        if (k && id && strcmp(k, kind) == 0 && !cJSON_IsTrue(cJSON_GetObjectItem(b, "deleted")) &&
            (tt == NULL || (t && strcmp(t, tt) == 0))) {
            snprintf(buf, cap, "%s/b/%s", REPORT, id);
            return buf;
        }
    }
    fail_msg("the JSON export has no %s%s%s", kind, tt ? " " : "", tt ? tt : "");
    return NULL;
}

/* Does the check's JSON array name `where`? */
static int flagged(const cJSON *arr, const char *where)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, arr)
    {
        const char *w = jstr(it, "where");
        size_t n = strlen(where);
        /* the row, or one of its cells ("ind/5/vs_plan") */
        if (w && strncmp(w, where, n) == 0 && (w[n] == '\0' || w[n] == '/'))
            return 1;
    }
    return 0;
}

static char *seed_text(void)
{
    size_t len = 0;
    char *s = xt_read_file(XA_SEED_REPORT, &len);

    if (s == NULL)
        fail_msg("cannot read the seed %s", XA_SEED_REPORT);
    return s;
}

/* ---------------------------------------------------------------------- */
/* Import and export                                                       */

static void test_report__import_seed_counts_and_fields(void **state)
{
    fx *f = *state;
    counts c = IMPORT_SEED(f, f->a);
    char *out;

    assert_int_equal(c.headings, 35);
    assert_int_equal(c.paras, 32);
    assert_int_equal(c.bullets, 48);
    assert_int_equal(c.tables, 1);
    assert_int_equal(c.rows, 29);
    assert_int_equal(c.cells, 140);

    out = XA_OUT(f, "--db", f->a, "report", "list");
    assert_string_equal(out, REPORT "\n");
    free(out);
    out = XA_OUT(f, "--db", f->a, "get", REPORT, "kind");
    assert_string_equal(out, "so-ket-6-thang\n");
    free(out);
    out = XA_OUT(f, "--db", f->a, "get", REPORT, "period");
    assert_string_equal(out, "2024-h1\n");
    free(out);
}

static void test_report__outline_lists_parts_and_headings_in_order(void **state)
{
    fx *f = *state;
    /* Some of the seed's parts and headings, in the order they come. */
    static const char *const want[] = {"Phần thứ nhất", "I.",   "II.",  "2.1.",
                                       "2.2.",          "2.3.", "III.", "IV.",
                                       "Phần thứ hai",  "1.1.", "1.2",  "1.9."};
    size_t next = 0, nparts = 0, nheadings = 0, ntables = 0, i = 0;
    char *out, *text;
    cJSON *arr, *it, *first, *h21 = NULL;

    IMPORT_SEED(f, f->a);
    out = XA_OUT(f, "--db", f->a, "report", "outline", "--json");
    arr = PARSE_ARRAY(out, "report outline --json");
    first = cJSON_GetArrayItem(arr, 0);
    assert_non_null(first);
    assert_string_equal(jstr(first, "kind"), "part");
    assert_string_equal(jstr(first, "num"), "Phần thứ nhất");
    cJSON_ArrayForEach(it, arr)
    {
        const char *k = jstr(it, "kind"), *num = jstr(it, "num"), *path = jstr(it, "path");

        if (k == NULL || num == NULL || path == NULL || jstr(it, "text") == NULL)
            fail_msg("outline entry %zu lacks kind, num, text or path", i);
        if (strcmp(k, "part") == 0)
            nparts++;
        else if (strcmp(k, "heading") == 0)
            nheadings++;
        else if (strcmp(k, "table") == 0)
            ntables++;
        else
            fail_msg("outline entry %zu is a %s: only parts, headings and tables belong", i, k);
        if (next < sizeof want / sizeof want[0] &&
            strncmp(num, want[next], strlen(want[next])) == 0)
            next++;
        if (strcmp(num, "2.1.") == 0)
            h21 = it;
        i++;
    }
    if (next != sizeof want / sizeof want[0])
        fail_msg("the outline lacks '%s' (or has it out of order)", want[next]);
    /* The import counts parts as headings. */
    assert_int_equal(nparts + nheadings, 35);
    assert_int_equal(ntables, 1);
    assert_non_null(h21);
    assert_string_equal(jstr(h21, "text"), H21_TEXT);

    /* The text form names the same headings, with their paths. */
    text = XA_OUT(f, "--db", f->a, "report", "outline");
    assert_non_null(strstr(text, "2.1. Kết quả thực hiện"));
    assert_non_null(strstr(text, "Phần thứ nhất"));

    /* A path the JSON outline gives is a path `report edit` takes, as in
     * the text outline ("b/ID"). */
    {
        const char *p = jstr(h21, "path");
        char *ln = line_with(text, "2.1. Kết quả");
        char tpath[64];

        assert_non_null(ln);
        assert_int_equal(sscanf(ln, " %63s", tpath), 1);
        if (strcmp(p, tpath) != 0)
            fail_msg("outline --json gives 2.1. the path [%s]; the text outline [%s] (report.h: "
                     "b/<id>)",
                     p, tpath);
        free(ln);
    }
    free(text);
    cJSON_Delete(arr);
    free(out);
}

static void test_report__export_round_trips_the_seed(void **state)
{
    fx *f = *state;
    char *seed = seed_text(), *out;

    IMPORT_SEED(f, f->a);
    out = EXPORT(f, f->a);
    SAME_TEXT(seed, out, "seed", "export");
    free(out);
    free(seed);
}

/* ---------------------------------------------------------------------- */
/* Edits                                                                   */

static void test_report__edit_figure_recomputes_derived_columns(void **state)
{
    fx *f = *state;
    char *out, *ln, *log, c[64];

    IMPORT_SEED(f, f->a);
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "4");
    assert_string_equal(cell(ln, 5, c, sizeof c), "636,4");
    free(ln);
    free(out);

    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "4");
    assert_string_equal(cell(ln, 1, c, sizeof c), "Tổng sản lượng lương thực có hạt");
    assert_string_equal(cell(ln, 3, c, sizeof c), "573");
    assert_string_equal(cell(ln, 4, c, sizeof c), "1.460");
    assert_string_equal(cell(ln, 5, c, sizeof c), "640");
    assert_string_equal(cell(ln, 6, c, sizeof c), "111,7"); /* 640/573 */
    assert_string_equal(cell(ln, 7, c, sizeof c), "43,8");  /* 640/1.460 */
    assert_string_equal(cell(ln, 8, c, sizeof c), "820");   /* 1.460-640 */
    free(ln);
    /* Row 5 is untouched: printed as imported. */
    ln = ROW_LINE(out, "5");
    assert_string_equal(cell(ln, 7, c, sizeof c), "56,6");
    free(ln);
    free(out);

    log = XA_OUT(f, "--db", f->a, "log");
    ln = line_with(log, "636,4 -> 640");
    if (ln == NULL)
        fail_msg("the log does not show the edit 636,4 -> 640: [...%s]",
                 strlen(log) > 800 ? log + strlen(log) - 800 : log);
    assert_non_null(strstr(ln, AUTHOR_A));
    assert_non_null(strstr(ln, "est"));
    free(ln);
    free(log);
}

static void test_report__edit_header_and_heading(void **state)
{
    fx *f = *state;
    char *out, *log;
    nlines l;
    cJSON *doc, *hdr;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "header/so", "15/BC-UBND");
    XA_DO(f, "--db", f->a, "report", "edit", "2.1", "Kết quả các phong trào thi đua (sửa)");

    out = EXPORT(f, f->a);
    l = normalize(out);
    assert_true(l.n > 0);
    assert_string_equal(l.v[0].s, "Số: 15/BC-UBND");
    nlines_free(&l);
    assert_non_null(strstr(out, "\n2.1. Kết quả các phong trào thi đua (sửa)\n"));
    assert_null(strstr(out, H21_TEXT));
    free(out);

    log = XA_OUT(f, "--db", f->a, "log");
    if (strstr(log, "/BC-UBND -> 15/BC-UBND") == NULL)
        fail_msg("the log does not show the number's edit /BC-UBND -> 15/BC-UBND");
    if (strstr(log, H21_TEXT " -> Kết quả các phong trào thi đua (sửa)") == NULL)
        fail_msg("the log does not show the heading's edit with before and after");
    free(log);

    doc = export_json(f, f->a);
    hdr = cJSON_GetObjectItemCaseSensitive(doc, "header");
    assert_true(cJSON_IsObject(hdr));
    assert_string_equal(jstr(hdr, "number"), "15/BC-UBND");
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "blocks")));
    cJSON_Delete(doc);
}

static void test_report__html_export_is_a_full_page(void **state)
{
    fx *f = *state;
    char *html;
    size_t n;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    html = XA_OUT(f, "--db", f->a, "report", "export", "--format", "html");
    n = strlen(html);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    while (n && (html[n - 1] == '\n' || html[n - 1] == ' '))
        n--;
    assert_true(n >= 7 && strncmp(html + n - 7, "</html>", 7) == 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, MOTTO));
    assert_non_null(strstr(html, "Tổng sản lượng lương thực có hạt"));
    assert_non_null(strstr(html, "<table"));
    assert_non_null(strstr(html, ">640<"));
    assert_non_null(strstr(html, ">111,7<"));
    assert_non_null(strstr(html, "2.1."));
    free(html);
}

/* ---------------------------------------------------------------------- */
/* Check                                                                   */

static void test_report__check_flags_the_seed_figures(void **state)
{
    fx *f = *state;
    xt_run r;
    cJSON *arr, *it;

    IMPORT_SEED(f, f->a);
    r = xa(f, ARGV("--db", f->a, "report", "check"));
    if (r.status != 1)
        fail_msg("check of the seed: expected exit 1, got %d: [%s] [%s]", r.status, r.out, r.err);
    for (size_t i = 0; i < 6; i++) {
        static const char *const need[] = {"ind/4", "824", "823,6", "ind/5", "56,6", "56,7"};
        if (strstr(r.out, need[i]) == NULL)
            fail_msg("check does not say '%s': [%s]", need[i], r.out);
    }
    {
        char *l9 = line_with(r.out, " ind/9/"), *l12 = line_with(r.out, " ind/12/");
        if (l9 == NULL || strstr(l9, "%") == NULL)
            fail_msg("check does not flag the unit %% of ind/9: [%s]", r.out);
        if (l12 == NULL)
            fail_msg("check does not flag ind/12: [%s]", r.out);
        free(l9);
        free(l12);
    }
    xt_run_free(&r);

    r = xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    assert_int_equal(r.status, 1);
    arr = PARSE_ARRAY(r.out, "report check --json");
    assert_true(cJSON_GetArraySize(arr) >= 4);
    cJSON_ArrayForEach(it, arr)
    {
        const char *w = jstr(it, "where"), *vi = jstr(it, "vi"), *en = jstr(it, "en");
        if (w == NULL || vi == NULL || en == NULL || !w[0] || !vi[0] || !en[0])
            fail_msg("a finding without where, vi and en: [%s]", r.out);
    }
    assert_true(flagged(arr, "ind/4"));
    assert_true(flagged(arr, "ind/5"));
    assert_true(flagged(arr, "ind/9"));
    assert_true(flagged(arr, "ind/12"));
    cJSON_Delete(arr);
    xt_run_free(&r);
}

static void test_report__check_clears_after_estimate_edited(void **state)
{
    fx *f = *state;
    xt_run r;
    cJSON *arr;
    char *out, *ln, c[64];

    IMPORT_SEED(f, f->a);
    /* The same figure typed again changes nothing: the printed 56,6 is
     * still about these figures, and still wrong. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/5/est", "8,5");
    r = xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    arr = PARSE_ARRAY(r.out, "report check --json");
    assert_true(flagged(arr, "ind/5"));
    cJSON_Delete(arr);
    xt_run_free(&r);
    /* A new figure: the printed ratios no longer apply and are computed. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/5/est", "9");
    out = EXPORT(f, f->a);
    ln = ROW_LINE(out, "5");
    assert_string_equal(cell(ln, 5, c, sizeof c), "9");
    assert_string_equal(cell(ln, 6, c, sizeof c), "46,2");
    assert_string_equal(cell(ln, 7, c, sizeof c), "60,0");
    assert_string_equal(cell(ln, 8, c, sizeof c), "6");
    free(ln);
    free(out);

    r = xa(f, ARGV("--db", f->a, "report", "check", "--json"));
    assert_int_equal(r.status, 1); /* the other findings stay */
    arr = PARSE_ARRAY(r.out, "report check --json");
    if (flagged(arr, "ind/5"))
        fail_msg("ind/5 is still flagged once its ratios are computed: [%s]", r.out);
    assert_true(flagged(arr, "ind/4"));
    cJSON_Delete(arr);
    xt_run_free(&r);
}

/* A report in the seed's form with nothing wrong: a header and a table of
 * one consistent row. */
static const char clean_report[] =
    "Số: 01/BC-UBND\n\n"
    "Hoàng Phú, ngày 5 tháng 7 năm 2024\n\n"
    "BÁO CÁO\n\n"
    "Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm 2024\n\n"
    "TT\tChỉ tiêu\tĐơn vị tính\tKQ thực hiện 6 tháng năm 2023\tKH năm 2024\tƯớc thực hiện\t"
    "So với cùng kỳ (%)\tSo với kế hoạch (%)\tCòn phải thực hiện\tGhi chú\n"
    "A\tB\tI\t2\t3\t4\t5=4/2*100\t6=4/3*100\t7=3-4\t8\n"
    "1\tTổng sản lượng lương thực có hạt\ttấn\t500\t1.000\t600\t120,0\t60,0\t400\t\n";

static void test_report__check_clean_report_has_nothing_to_flag(void **state)
{
    fx *f = *state;
    char *path = xt_path(f->dir, "clean.txt"), *out;
    counts c;
    xt_run r;

    xt_write_file(path, clean_report, strlen(clean_report));
    c = import_at(f, f->a, path, __FILE__, __LINE__);
    assert_int_equal(c.tables, 1);
    assert_int_equal(c.rows, 1);
    r = xa(f, ARGV("--db", f->a, "report", "check"));
    if (r.status != 0 || strstr(r.out, "Nothing to flag") == NULL)
        fail_msg("check of a clean report: expected exit 0 and 'Nothing to flag', got %d: [%s] "
                 "[%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    out = XA_OUT(f, "--db", f->a, "report", "check", "--json");
    cJSON *arr = PARSE_ARRAY(out, "report check --json");
    assert_int_equal(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    free(out);
    free(path);
}

/* ---------------------------------------------------------------------- */
/* Adding and deleting blocks                                              */

static void test_report__add_para_after_heading_and_delete(void **state)
{
    fx *f = *state;
    char *seed = seed_text(), *id, *out;
    size_t n;
    nlines l;
    int at = -1;

    IMPORT_SEED(f, f->a);
    id = XA_OUT(f, "--db", f->a, "report", "add", "para", "Đoạn mới", "--after", "2.1");
    n = strlen(id);
    if (n < 4 || strncmp(id, "b/", 2) != 0 || id[n - 1] != '\n' || strcspn(id, " \t") != n)
        fail_msg("report add printed [%s], not b/<id>", id);
    id[n - 1] = '\0';

    out = EXPORT(f, f->a);
    l = normalize(out);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.v[i].s, "2.1. " H21_TEXT) == 0)
            at = (int)i;
    assert_true(at >= 0);
    assert_true((size_t)at + 1 < l.n);
    if (strcmp(l.v[at + 1].s, "Đoạn mới") != 0)
        fail_msg("after the 2.1 heading comes [%s], not the new paragraph", l.v[at + 1].s);
    nlines_free(&l);
    free(out);

    XA_DO(f, "--db", f->a, "report", "delete", id);
    out = EXPORT(f, f->a);
    assert_null(strstr(out, "Đoạn mới"));
    SAME_TEXT(seed, out, "seed", "export");
    free(out);
    free(id);
    free(seed);
}

static void test_report__delete_row_removes_it_from_table(void **state)
{
    fx *f = *state;
    char *out, *ln, ent[96];
    cJSON *doc;

    IMPORT_SEED(f, f->a);
    doc = export_json(f, f->a);
    block_entity(doc, "row", "5", ent, sizeof ent);
    cJSON_Delete(doc);
    /* "report-2024-h1/b/ID" -> "b/ID" */
    XA_DO(f, "--db", f->a, "report", "delete", ent + strlen(REPORT) + 1);

    out = EXPORT(f, f->a);
    assert_null(line_starting(out, "5\t"));
    assert_null(strstr(out, "Tổng sản lượng thủy sản"));
    ln = ROW_LINE(out, "4");
    free(ln);
    ln = ROW_LINE(out, "6");
    free(ln);
    free(out);
    /* A deleted row is no longer a cell to edit. */
    FAILS(f, f->a, 1, "5", "--db", f->a, "report", "edit", "ind/5/est", "9");
}

/* ---------------------------------------------------------------------- */
/* Two PCs and the district                                                 */

/* A imports the seed and syncs; B syncs and has the same report. */
static void share_seed(const fx *f)
{
    char *ea, *eb, *list;

    IMPORT_SEED(f, f->a);
    SYNC(f, f->a);
    SYNC(f, f->b);
    list = XB_OUT(f, "--db", f->b, "report", "list");
    assert_string_equal(list, REPORT "\n");
    free(list);
    ea = EXPORT(f, f->a);
    eb = EXPORT(f, f->b);
    assert_string_equal(ea, eb);
    free(ea);
    free(eb);
}

/* `get ENTITY FIELD` on `db` exits 3 and lists both values. */
static void both_values_at(const fx *f,
                           const char *db,
                           const char *ent,
                           const char *field,
                           const char *v1,
                           const char *v2,
                           int line)
{
    xt_run r = xa(f, ARGV("--db", db, "get", ent, field));

    if (r.status != 3 || strstr(r.out, v1) == NULL || strstr(r.out, v2) == NULL)
        fail_msg("%s:%d: get %s %s on %s: expected exit 3 listing [%s] and [%s], got %d: [%s] "
                 "[%s]",
                 __FILE__, line, ent, field, db, v1, v2, r.status, r.out, r.err);
    if (strstr(r.out, AUTHOR_A) == NULL || strstr(r.out, AUTHOR_B) == NULL)
        fail_msg("%s:%d: get %s %s: the values do not name their authors: [%s]", __FILE__, line,
                 ent, field, r.out);
    xt_run_free(&r);
}
#define BOTH_VALUES(f, db, ent, field, v1, v2)                                                     \
    both_values_at((f), (db), (ent), (field), (v1), (v2), __LINE__)

static void test_report__concurrent_edits_conflict_until_resolved(void **state)
{
    fx *f = *state;
    const char *dbs[2];
    char row[96], para[96], *out, *ln, c[64];
    cJSON *doc;

    dbs[0] = f->a;
    dbs[1] = f->b;
    share_seed(f);
    doc = export_json(f, f->a);
    block_entity(doc, "row", "4", row, sizeof row);
    block_entity(doc, "para", NULL, para, sizeof para);
    cJSON_Delete(doc);

    /* Apart: both edit the same cell and the same paragraph. */
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "650");
    XB_DO(f, "--db", f->b, "report", "edit", "ind/4/est", "660");
    XA_DO(f, "--db", f->a, "report", "edit", para + strlen(REPORT) + 1, "Đoạn của máy A");
    XB_DO(f, "--db", f->b, "report", "edit", para + strlen(REPORT) + 1, "Đoạn của máy B");
    SYNC(f, f->a);
    SYNC(f, f->b);
    SYNC(f, f->a);

    for (int i = 0; i < 2; i++) {
        out = EXPORT(f, dbs[i]);
        ln = ROW_LINE(out, "4");
        if (strstr(ln, CONFLICT) == NULL)
            fail_msg("%s: row 4 is not marked in conflict: [%s]", dbs[i], ln);
        free(ln);
        ln = line_with(out, "Đoạn của máy ");
        if (ln == NULL || strstr(ln, CONFLICT) == NULL)
            fail_msg("%s: the paragraph is not marked in conflict: [%s]", dbs[i],
                     ln ? ln : "(missing)");
        free(ln);
        free(out);
        BOTH_VALUES(f, dbs[i], row, "est", "650", "660");
        BOTH_VALUES(f, dbs[i], para, "text", "Đoạn của máy A", "Đoạn của máy B");
    }

    /* A person settles both on A; the district and B learn it. */
    XA_DO(f, "--db", f->a, "resolve", row, "est", "655");
    XA_DO(f, "--db", f->a, "resolve", para, "text", "Đoạn đã thống nhất");
    SYNC(f, f->a);
    SYNC(f, f->b);

    for (int i = 0; i < 2; i++) {
        out = XA_OUT(f, "--db", dbs[i], "get", row, "est");
        assert_string_equal(out, "655\n");
        free(out);
        out = XA_OUT(f, "--db", dbs[i], "get", para, "text");
        assert_string_equal(out, "Đoạn đã thống nhất\n");
        free(out);
        out = EXPORT(f, dbs[i]);
        ln = ROW_LINE(out, "4");
        assert_string_equal(cell(ln, 5, c, sizeof c), "655");
        free(ln);
        ln = line_with(out, CONFLICT);
        if (ln != NULL) {
            char *conf = XA_OUT(f, "--db", dbs[i], "conflicts");
            fail_msg("%s: after resolving est and text, the export still marks a conflict: "
                     "[%s]\n`xasync conflicts`: [%s]",
                     dbs[i], ln, conf);
        }
        free(out);
    }
}

static void test_report__concurrent_inserts_keep_both_in_same_order(void **state)
{
    fx *f = *state;
    char *ea, *eb, *id;
    nlines l;
    int at = -1;

    share_seed(f);
    id = XA_OUT(f, "--db", f->a, "report", "add", "para", "Đoạn thêm ở máy A", "--after", "2.1");
    free(id);
    id = XB_OUT(f, "--db", f->b, "report", "add", "para", "Đoạn thêm ở máy B", "--after", "2.1");
    free(id);
    SYNC(f, f->a);
    SYNC(f, f->b);
    SYNC(f, f->a);

    ea = EXPORT(f, f->a);
    eb = EXPORT(f, f->b);
    assert_string_equal(ea, eb);
    l = normalize(ea);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.v[i].s, "2.1. " H21_TEXT) == 0)
            at = (int)i;
    assert_true(at >= 0 && (size_t)at + 2 < l.n);
    /* Both right after the heading, in whichever order, the same on both. */
    if (!((strcmp(l.v[at + 1].s, "Đoạn thêm ở máy A") == 0 &&
           strcmp(l.v[at + 2].s, "Đoạn thêm ở máy B") == 0) ||
          (strcmp(l.v[at + 1].s, "Đoạn thêm ở máy B") == 0 &&
           strcmp(l.v[at + 2].s, "Đoạn thêm ở máy A") == 0)))
        fail_msg("after 2.1 come [%s] and [%s], not the two new paragraphs", l.v[at + 1].s,
                 l.v[at + 2].s);
    assert_null(strstr(ea, CONFLICT));
    nlines_free(&l);
    free(ea);
    free(eb);
}

static void test_report__district_show_matches_pc_export(void **state)
{
    fx *f = *state;
    char *ea, *ed, *ha, *hd;

    IMPORT_SEED(f, f->a);
    XA_DO(f, "--db", f->a, "report", "edit", "ind/4/est", "640");
    SYNC(f, f->a);
    ea = EXPORT(f, f->a);
    ed = DISTRICT_OUT(f, "--db", f->ddb, "show", KIM, "--report", REPORT, "--format", "text");
    assert_string_equal(ed, ea);

    ha = XA_OUT(f, "--db", f->a, "report", "export", "--format", "html");
    hd = DISTRICT_OUT(f, "--db", f->ddb, "show", KIM, "--report", REPORT, "--format", "html");
    assert_true(strncmp(hd, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(hd, MOTTO));
    assert_non_null(strstr(hd, ">640<"));
    assert_string_equal(hd, ha);
    free(ea);
    free(ed);
    free(ha);
    free(hd);
}

static void test_report__district_rollup_sums_communes(void **state)
{
    fx *f = *state;
    char *out, *ln, *nr, c[64];
    cJSON *doc, *rows, *it, *r4 = NULL, *rep, *mis;

    IMPORT_SEED(f, f->a); /* hoang-kim: row 4 est 636,4 */
    SYNC(f, f->a);
    IMPORT_SEED(f, f->c); /* hoang-phu: row 4 est 700 */
    XA_DO(f, "--db", f->c, "report", "edit", "ind/4/est", "700");
    SYNC(f, f->c);
    /* hoang-xuyen never reports */

    out = DISTRICT_OUT(f, "--db", f->ddb, "rollup", "--report-kind", "so-ket-6-thang", "--period",
                       "2024-h1");
    ln = ROW_LINE(out, "4");
    assert_string_equal(cell(ln, 1, c, sizeof c), "Tổng sản lượng lương thực có hạt");
    /* The row's sums share one scale (report.h): 1.146 may read 1.146,0. */
    assert_true(vn_value(cell(ln, 3, c, sizeof c)) == 1146.0); /* 573 + 573 */
    assert_true(vn_value(cell(ln, 4, c, sizeof c)) == 2920.0); /* 1.460 + 1.460 */
    assert_string_equal(cell(ln, 5, c, sizeof c), "1.336,4");  /* 636,4 + 700 */
    assert_string_equal(cell(ln, 6, c, sizeof c), "2");
    free(ln);
    nr = line_with(out, "not reported");
    if (nr == NULL || strstr(nr, XUYEN) == NULL || strstr(nr, KIM) || strstr(nr, PHU))
        fail_msg("the rollup does not list only %s as not reported: [%s]", XUYEN, out);
    free(nr);
    free(out);

    out = DISTRICT_OUT(f, "--db", f->ddb, "rollup", "--report-kind", "so-ket-6-thang", "--period",
                       "2024-h1", "--json");
    doc = PARSE_OBJECT(out, "rollup --json");
    rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
    cJSON_ArrayForEach(it, rows)
    {
        const char *tt = jstr(it, "tt");
        if (tt && strcmp(tt, "4") == 0)
            r4 = it;
    }
    assert_non_null(r4);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r4, "additive")));
    assert_string_equal(jstr(r4, "est"), "1.336,4");
    rep = cJSON_GetObjectItemCaseSensitive(doc, "reported");
    mis = cJSON_GetObjectItemCaseSensitive(doc, "missing");
    assert_int_equal(cJSON_GetArraySize(rep), 2);
    assert_int_equal(cJSON_GetArraySize(mis), 1);
    assert_string_equal(cJSON_GetArrayItem(mis, 0)->valuestring, XUYEN);
    {
        int kim = 0, phu = 0;
        cJSON_ArrayForEach(it, rep)
        {
            kim += cJSON_IsString(it) && strcmp(it->valuestring, KIM) == 0;
            phu += cJSON_IsString(it) && strcmp(it->valuestring, PHU) == 0;
        }
        assert_int_equal(kim, 1);
        assert_int_equal(phu, 1);
    }
    cJSON_Delete(doc);
    free(out);
}

/* ---------------------------------------------------------------------- */
/* Bad input                                                               */

static void import_fails(
    const fx *f, const char *name, const char *data, size_t len, const char *needle, int line)
{
    char *path = xt_path(f->dir, name);

    xt_write_file(path, data, len);
    fails_at(f, f->a, ARGV("--db", f->a, "report", "import", path), 1, needle, __FILE__, line);
    {
        char *list = XA_OUT(f, "--db", f->a, "report", "list");
        assert_string_equal(list, "");
        free(list);
    }
    free(path);
}

static void test_report__import_refuses_a_shopping_list(void **state)
{
    static const char list[] = "Danh sách đi chợ\n\n- Gạo 5 kg\n- Nước mắm\n- Rau muống\n"
                               "- Thịt lợn 1 kg\n\nTổng: 350.000 đồng\n";

    import_fails(*state, "di-cho.txt", list, strlen(list), "not a report", __LINE__);
}

static void test_report__import_refuses_an_empty_file(void **state)
{
    import_fails(*state, "empty.txt", "", 0, "empty", __LINE__);
}

static void test_report__import_refuses_a_row_missing_a_column(void **state)
{
    char *seed = seed_text(), *row = strstr(seed, "\n4\t"), *c5, *c6;

    /* Drop the 6th cell of row 4 (Ước thực hiện, 636,4) and its tab. */
    assert_non_null(row);
    c5 = row + 1;
    for (int i = 0; i < 5; i++) {
        c5 = strchr(c5, '\t');
        assert_non_null(c5);
        c5++;
    }
    c6 = strchr(c5, '\t');
    assert_non_null(c6);
    assert_true(strncmp(c5, "636,4\t", 6) == 0);
    memmove(c5, c6 + 1, strlen(c6 + 1) + 1);
    import_fails(*state, "missing-cell.txt", seed, strlen(seed), "line 149", __LINE__);
    free(seed);
}

static void test_report__import_refuses_latin1(void **state)
{
    /* The seed's first lines in ISO-8859-1: "Số", "BÁO CÁO", "Sơ kết" as
     * latin-1 bytes, which are not UTF-8. */
    static const char latin1[] =
        "S\xf3: /BC-UBND\n\nHo\xe0ng Kim, ng\xe0y  th\xe1ng 7 n\xe3m 2024\n\n"
        "B\xc1O C\xc1O\n\nS\xf3 k\xe9t c\xf4ng t\xe1\x63 thi \xf0ua\n\n"
        "I. \xd0\xc3\x43 \xd0I\xcaM\n";

    import_fails(*state, "latin1.txt", latin1, sizeof latin1 - 1, "UTF-8", __LINE__);
}

static void test_report__import_refuses_the_same_id_twice(void **state)
{
    fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 1, "already exists", "--db", f->a, "report", "import", XA_SEED_REPORT);
}

static void test_report__paths_that_name_nothing_change_nothing(void **state)
{
    fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 1, "nothing", "--db", f->a, "report", "edit", "nothing", "5");
    FAILS(f, f->a, 1, "99", "--db", f->a, "report", "edit", "ind/99/est", "5");
    FAILS(f, f->a, 1, "bogus", "--db", f->a, "report", "edit", "ind/4/bogus", "5");
    FAILS(f, f->a, 1, "nothing", "--db", f->a, "report", "delete", "nothing");
    FAILS(f, f->a, 1, "ffffffffff", "--db", f->a, "report", "delete", "b/ffffffffff");
    FAILS(f, f->a, 1, "bogus", "--db", f->a, "report", "edit", "header/bogus", "x");
}

static void test_report__export_format_pdf_is_a_usage_error(void **state)
{
    fx *f = *state;

    IMPORT_SEED(f, f->a);
    FAILS(f, f->a, 2, "--format", "--db", f->a, "report", "export", "--format", "pdf");
}

#define LOCAL(t) cmocka_unit_test_setup_teardown(t, setup_local, teardown)
#define NET(t) cmocka_unit_test_setup_teardown(t, setup_net, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOCAL(test_report__import_seed_counts_and_fields),
        LOCAL(test_report__outline_lists_parts_and_headings_in_order),
        LOCAL(test_report__export_round_trips_the_seed),
        LOCAL(test_report__edit_figure_recomputes_derived_columns),
        LOCAL(test_report__edit_header_and_heading),
        LOCAL(test_report__html_export_is_a_full_page),
        LOCAL(test_report__check_flags_the_seed_figures),
        LOCAL(test_report__check_clears_after_estimate_edited),
        LOCAL(test_report__check_clean_report_has_nothing_to_flag),
        LOCAL(test_report__add_para_after_heading_and_delete),
        LOCAL(test_report__delete_row_removes_it_from_table),
        NET(test_report__concurrent_edits_conflict_until_resolved),
        NET(test_report__concurrent_inserts_keep_both_in_same_order),
        NET(test_report__district_show_matches_pc_export),
        NET(test_report__district_rollup_sums_communes),
        LOCAL(test_report__import_refuses_a_shopping_list),
        LOCAL(test_report__import_refuses_an_empty_file),
        LOCAL(test_report__import_refuses_a_row_missing_a_column),
        LOCAL(test_report__import_refuses_latin1),
        LOCAL(test_report__import_refuses_the_same_id_twice),
        LOCAL(test_report__paths_that_name_nothing_change_nothing),
        LOCAL(test_report__export_format_pdf_is_a_usage_error),
    };

    return cmocka_run_group_tests_name("test_report", tests, NULL, NULL);
}
