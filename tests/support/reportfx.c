/* The commune report's test harness (tests/report/test_report_{local,net,: reportfx.h. */
#include "reportfx.h"

#include <signal.h>
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

xr_fx *xr_fx_new(void)
{
    xr_fx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    f->dir = xt_tempdir();
    f->home = xt_cat2("HOME=", f->dir);
    f->author_a = xt_cat2("XASYNC_AUTHOR=", AUTHOR_A);
    f->author_b = xt_cat2("XASYNC_AUTHOR=", AUTHOR_B);
    f->a = xt_path(f->dir, "a.db");
    f->b = xt_path(f->dir, "b.db");
    f->c = xt_path(f->dir, "c.db");
    return f;
}

xt_run xr_xa_env(const xr_fx *f, const char *author, const char *const *argv)
{
    const char *env[] = {f->home, author, NULL};

    return xt_xasync(argv, NULL, env);
}

/* `xasync` as PC A's clerk (PC C's too). */
xt_run xr_xa(const xr_fx *f, const char *const *argv)
{
    return xr_xa_env(f, f->author_a, argv);
}

/* The one database of the local tests: a.db for hoang-kim. */
int xr_setup_local(void **state)
{
    xr_fx *f = xr_fx_new();
    xt_run r;

    *state = f;
    r = xr_xa(f, ARGV("--db", f->a, "init", "--scope", KIM));
    if (r.status != 0)
        fail_msg("xasync init: %s", r.err);
    xt_run_free(&r);
    return 0;
}

/* A district with three communes, its server, PCs A and B of hoang-kim and
 * PC C of hoang-phu; hoang-xuyen has no PC. */
int xr_setup_net(void **state)
{
    xr_fx *f = xr_fx_new();

    *state = f;
    f->ddb = xt_district_setup(f->dir, ARGV(KIM, PHU, XUYEN));
    xt_server_start(&f->srv, f->ddb, NULL);
    xt_pc_setup(f->dir, f->a, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->b, KIM, f->srv.port);
    xt_pc_setup(f->dir, f->c, PHU, f->srv.port);
    return 0;
}

int xr_teardown(void **state)
{
    xr_fx *f = *state;

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

void xr_ok_at(const xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: expected exit 0, got %d\nstdout: [%.2000s]\nstderr: [%s]", file, line,
                 what, r->status, r->out, r->err);
}

/* The words of a command line, for messages. */
void xr_argv_text(const char *const *argv, char *buf, size_t cap)
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
char *
xr_out_at(const xr_fx *f, const char *author, const char *const *argv, const char *file, int line)
{
    xt_run r = xr_xa_env(f, author, argv);
    char what[512], *out;

    xr_argv_text(argv, what, sizeof what);
    xr_ok_at(&r, what, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

char *xr_district_out_at(const xr_fx *f, const char *const *argv, const char *file, int line)
{
    const char *env[] = {f->home, NULL};
    xt_run r = xt_district(argv, NULL, env);
    char what[512], *out;

    xr_argv_text(argv, what, sizeof what);
    xr_ok_at(&r, what, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

void xr_sync_at(const xr_fx *f, const char *db, const char *file, int line)
{
    char *out = xr_out_at(f, f->author_a, ARGV("--db", db, "sync"), file, line);

    if (strstr(out, "synced: ") == NULL)
        fail_msg("%s:%d: sync of %s printed no 'synced: ' line: [%s]", file, line, db, out);
    free(out);
}

/* `report import FILE` on `db`: exit 0, no
 * warning, the counts it printed. */
xr_counts xr_import_at(const xr_fx *f, const char *db, const char *file, const char *src, int line)
{
    xt_run r = xr_xa(f, ARGV("--db", db, "report", "import", file));
    xr_counts c = {0, 0, 0, 0, 0, 0};
    const char *p;

    xr_ok_at(&r, "report import", src, line);
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

/* A failing command: exit `code`, one line "xasync: …" on stderr naming
 * `needle`, nothing on stdout, and `db` unchanged. */
void xr_fails_at(const xr_fx *f,
                 const char *db,
                 const char *const *argv,
                 int code,
                 const char *needle,
                 const char *file,
                 int line)
{
    uint64_t before = xt_db_digest(db), after;
    xt_run r = xr_xa(f, argv);
    char what[512];
    const char *nl;

    xr_argv_text(argv, what, sizeof what);
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

/* The non-blank lines of `text`, normalized. */
xr_nlines xr_normalize(const char *text)
{
    xr_nlines out = {NULL, 0};
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
                xr_nline *v = realloc(out.v, cap * sizeof *v);
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

void xr_nlines_free(xr_nlines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].s);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* `got` has the same lines as `want`, up to blank lines and spaces; fails
 * naming the first line that differs. */
void xr_same_text_at(const char *want,
                     const char *got,
                     const char *wname,
                     const char *gname,
                     const char *file,
                     int line)
{
    xr_nlines w = xr_normalize(want), g = xr_normalize(got);
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
    xr_nlines_free(&w);
    xr_nlines_free(&g);
}

/* The first line of `text` that starts with `prefix` (malloc'd), or NULL. */
char *xr_line_starting(const char *text, const char *prefix)
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
char *xr_line_with(const char *text, const char *needle)
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
const char *xr_cell(const char *ln, int k, char *buf, size_t cap)
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
char *xr_row_line_at(const char *text, const char *tt, int line)
{
    char prefix[32];
    char *ln;

    snprintf(prefix, sizeof prefix, "%s\t", tt);
    ln = xr_line_starting(text, prefix);
    if (ln == NULL)
        fail_msg("%s:%d: the export has no table row %s", __FILE__, line, tt);
    return ln;
}

/* A figure in the Vietnamese format ("1.336,4") as a number; fails on
 * anything else. */
double xr_vn_value(const char *s)
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

cJSON *xr_parse_at(const char *text, int want_array, const char *what, int line)
{
    cJSON *j = cJSON_Parse(text);

    if (j == NULL || (want_array ? !cJSON_IsArray(j) : !cJSON_IsObject(j)))
        fail_msg("%s:%d: %s is not a JSON %s: [%.500s]", __FILE__, line, what,
                 want_array ? "array" : "object", text);
    return j;
}

const char *xr_jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* `report export --format json` of `db`, parsed (caller deletes). */
cJSON *xr_export_json(const xr_fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "report", "export", "--format", "json");
    cJSON *j = PARSE_OBJECT(out, "report export --format json");

    free(out);
    return j;
}

/* The entity of the first live block of `kind` (with tt `tt` for a row),
 * from a parsed JSON export: "report-2024-h1/b/ID" into buf. */
const char *
xr_block_entity(const cJSON *doc, const char *kind, const char *tt, char *buf, size_t cap)
{
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(doc, "blocks"), *b;

    cJSON_ArrayForEach(b, blocks)
    {
        const char *k = xr_jstr(b, "kind"), *id = xr_jstr(b, "id"), *t = xr_jstr(b, "tt");
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
int xr_flagged(const cJSON *arr, const char *where)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, arr)
    {
        const char *w = xr_jstr(it, "where");
        size_t n = strlen(where);
        /* the row, or one of its cells ("ind/5/vs_plan") */
        if (w && strncmp(w, where, n) == 0 && (w[n] == '\0' || w[n] == '/'))
            return 1;
    }
    return 0;
}

char *xr_seed_text(void)
{
    size_t len = 0;
    char *s = xt_read_file(XA_SEED_REPORT, &len);

    if (s == NULL)
        fail_msg("cannot read the seed %s", XA_SEED_REPORT);
    return s;
}
