/* Test support for suites that run the `xasync` command: cli.h. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

int xt_cli_setup(void **state)
{
    xt_cli *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "a.db");
    f->db2 = xt_path(f->dir, "b.db");
    f->home = xt_cat2("HOME=", f->dir);
    *state = f;
    return 0;
}

int xt_cli_teardown(void **state)
{
    xt_cli *f = *state;

    free(f->db);
    free(f->db2);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* Run xasync with HOME in the fixture folder plus `env` (may be NULL). */
xt_run xt_cli_run(const xt_cli *f, const char *in, const char *const *env, const char *const *argv)
{
    const char *e[FIELDS_MAX];
    size_t k = 0, i;

    e[k++] = f->home;
    for (i = 0; env != NULL && env[i] != NULL; i++) {
        assert_true(k < FIELDS_MAX - 1);
        e[k++] = env[i];
    }
    e[k] = NULL;
    return xt_xasync(argv, in, e);
}

int xt_file_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

void xt_ok_at(const xt_run *r, const char *file, int line)
{
    if (r->status != 0 || r->errlen != 0)
        fail_msg("%s:%d: expected exit 0 and nothing on stderr; got exit %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 file, line, r->status, r->out, r->err);
}

/* stderr is one line "xasync: ...\n" */
int xt_one_error_line(const xt_run *r)
{
    const char *nl = memchr(r->err, '\n', r->errlen);

    return r->errlen > 8 && memcmp(r->err, "xasync: ", 8) == 0 && nl != NULL &&
           (size_t)(nl - r->err) == r->errlen - 1;
}

void xt_error_at(
    const xt_run *r, int code, const char *frag, int want_stdout_empty, const char *file, int line)
{
    if (r->status != code || (want_stdout_empty && r->outlen != 0) || !xt_one_error_line(r) ||
        strlen(r->err) != r->errlen || (frag != NULL && strstr(r->err, frag) == NULL))
        fail_msg("%s:%d: expected exit %d, one stderr line 'xasync: ...%s...'%s;\n"
                 "got exit %d\nstdout: [%s]\nstderr: [%s]",
                 file, line, code, frag ? frag : "", want_stdout_empty ? ", empty stdout" : "",
                 r->status, r->out, r->err);
}

void xt_streq_at(const char *got, const char *want, const char *file, int line)
{
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s:%d: expected [%s]\n                 got [%s]", file, line, want,
                 got ? got : "(null)");
}

/* Run, require success, return stdout (the caller frees). */
char *xt_ok_out_at(const xt_cli *f,
                   const char *in,
                   const char *const *env,
                   const char *const *argv,
                   const char *file,
                   int line)
{
    xt_run r = xt_cli_run(f, in, env, argv);
    char *out;

    xt_ok_at(&r, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

/* Split `s` in place at each '\n'; s must end with '\n'.  Returns the count. */
size_t xt_split_lines(char *s, char **lines, size_t max)
{
    size_t n = 0, len = strlen(s);
    char *p = s;

    if (len == 0)
        return 0;
    if (s[len - 1] != '\n')
        fail_msg("output does not end with a newline: [%s]", s);
    while (*p != '\0') {
        char *nl = strchr(p, '\n');

        assert_non_null(nl);
        assert_true(n < max);
        *nl = '\0';
        lines[n++] = p;
        p = nl + 1;
    }
    return n;
}

/* Split one line in place at each tab.  Returns the count of parts. */
size_t xt_split_tabs(char *s, char **parts, size_t max)
{
    size_t n = 0;

    for (;;) {
        char *t = strchr(s, '\t');

        assert_true(n < max);
        parts[n++] = s;
        if (t == NULL)
            return n;
        *t = '\0';
        s = t + 1;
    }
}

static int is_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* ISO-8601 UTC: YYYY-MM-DDTHH:MM:SS[.fff]Z (or +00:00), near now. */
void xt_check_time_at(const char *t, const char *file, int line)
{
    size_t len = strlen(t), k = 19;
    struct tm tm;
    time_t when, now = time(NULL);

    memset(&tm, 0, sizeof tm);
    if (len < 20 || !is_digits(t, 4) || t[4] != '-' || !is_digits(t + 5, 2) || t[7] != '-' ||
        !is_digits(t + 8, 2) || t[10] != 'T' || !is_digits(t + 11, 2) || t[13] != ':' ||
        !is_digits(t + 14, 2) || t[16] != ':' || !is_digits(t + 17, 2))
        fail_msg("%s:%d: not an ISO-8601 time: [%s]", file, line, t);
    if (t[k] == '.') {
        k++;
        while (k < len && t[k] >= '0' && t[k] <= '9')
            k++;
    }
    if (strcmp(t + k, "Z") != 0 && strcmp(t + k, "+00:00") != 0)
        fail_msg("%s:%d: not a UTC time: [%s]", file, line, t);
    tm.tm_year = (int)strtol(t, NULL, 10) - 1900;
    tm.tm_mon = (int)strtol(t + 5, NULL, 10) - 1;
    tm.tm_mday = (int)strtol(t + 8, NULL, 10);
    tm.tm_hour = (int)strtol(t + 11, NULL, 10);
    tm.tm_min = (int)strtol(t + 14, NULL, 10);
    tm.tm_sec = (int)strtol(t + 17, NULL, 10);
    when = timegm(&tm);
    if (when < now - 3600 || when > now + 3600)
        fail_msg("%s:%d: time [%s] is not now (UTC)", file, line, t);
}

/* The TIME column of the text forms: the spec fixes no format, so only a
 * date and a time of day, starting YYYY-MM-DD. */
void xt_check_text_time_at(const char *t, const char *file, int line)
{
    if (strlen(t) < 16 || !is_digits(t, 4) || t[4] != '-' || !is_digits(t + 5, 2) || t[7] != '-' ||
        !is_digits(t + 8, 2) || strchr(t + 10, ':') == NULL)
        fail_msg("%s:%d: not a date and time: [%s]", file, line, t);
}

void xt_check_node_hex(const char *s)
{
    size_t i;

    assert_int_equal(strlen(s), 16);
    for (i = 0; i < 16; i++)
        assert_true((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

cJSON *xt_parse_at(const char *text, const char *file, int line)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;

    if (j == NULL)
        fail_msg("%s:%d: not JSON: [%s]", file, line, text ? text : "(null)");
    return j;
}

cJSON *xt_member_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;

    if (m == NULL)
        fail_msg("%s:%d: no member \"%s\"", file, line, name);
    return m;
}

const char *xt_jstr_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = xt_member_at(obj, name, file, line);

    if (!cJSON_IsString(m))
        fail_msg("%s:%d: member \"%s\" is not a string", file, line, name);
    return m->valuestring;
}

double xt_jnum_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = xt_member_at(obj, name, file, line);

    if (!cJSON_IsNumber(m))
        fail_msg("%s:%d: member \"%s\" is not a number", file, line, name);
    return m->valuedouble;
}

int xt_jbool_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = xt_member_at(obj, name, file, line);

    if (!cJSON_IsBool(m))
        fail_msg("%s:%d: member \"%s\" is not a boolean", file, line, name);
    return cJSON_IsTrue(m);
}

/* One of get's "values": {"value","author","time","hlc","node","seq"}. */
void xt_check_value_obj(const cJSON *v, const char *value, const char *author, const char *node)
{
    cJSON *val = MEMBER(v, "value");
    double hlc = JNUM(v, "hlc");
    time_t secs = (time_t)(hlc / 1000);
    struct tm tm;
    char prefix[32];

    assert_true(cJSON_IsString(val));
    STREQ(val->valuestring, value);
    STREQ(JSTR(v, "author"), author);
    STREQ(JSTR(v, "node"), node);
    assert_true(JNUM(v, "seq") >= 1);
    CHECK_TIME(JSTR(v, "time"));
    /* time is hlc's wall-clock part */
    assert_non_null(gmtime_r(&secs, &tm));
    assert_true(strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm) > 0);
    if (strncmp(JSTR(v, "time"), prefix, strlen(prefix)) != 0)
        fail_msg("time %s does not match hlc %.0f (%s)", JSTR(v, "time"), hlc, prefix);
}

/* One object of get/show --json with a single value. */
void xt_check_field_obj(const cJSON *o,
                        const char *entity,
                        const char *field,
                        const char *value,
                        const char *author,
                        const char *node)
{
    cJSON *vals = MEMBER(o, "values");

    STREQ(JSTR(o, "entity"), entity);
    STREQ(JSTR(o, "field"), field);
    assert_false(JBOOL(o, "conflict"));
    assert_true(cJSON_IsArray(vals));
    assert_int_equal(cJSON_GetArraySize(vals), 1);
    xt_check_value_obj(cJSON_GetArrayItem(vals, 0), value, author, node);
}

/* ---------------------------------------------------------------------- */
/* Replicas                                                                */

/* init `db` for `scope`, check the "created" line, return the node id. */
void xt_init_db(const xt_cli *f, const char *db, const char *scope, char node[17])
{
    char want[4096];
    char *out = OUT(f, "init", "--scope", scope, "--db", db);
    const char *p = strstr(out, "(node ");
    int n;

    if (p == NULL || strlen(p) != 6 + 16 + 2)
        fail_msg("init: unexpected output [%s]", out);
    memcpy(node, p + 6, 16);
    node[16] = '\0';
    xt_check_node_hex(node);
    n = snprintf(want, sizeof want, "created %s for scope %s (node %s)\n", db, scope, node);
    assert_true(n > 0 && (size_t)n < sizeof want);
    STREQ(out, want);
    free(out);
    assert_true(xt_file_exists(db));
}

void xt_set_value(const xt_cli *f, const char *db, const char *e, const char *fl, const char *v)
{
    OUT_IS("", f, "--db", db, "set", e, fl, v, "--author", "test");
}

/* `export-ops --all` of db, written to dir/name; returns the path. */
char *xt_export_all(const xt_cli *f, const char *db, const char *name)
{
    char *path = xt_path(f->dir, name);
    xt_run r = XA(f, "export-ops", "--all", "--db", db);

    MUST_OK(r);
    xt_write_file(path, r.out, r.outlen);
    xt_run_free(&r);
    return path;
}

void xt_apply_ok(const xt_cli *f, const char *db, const char *file, size_t applied, size_t held)
{
    char want[128];

    snprintf(want, sizeof want, "applied %zu ops (%zu already held)\n", applied, held);
    OUT_IS(want, f, "apply", file, "--db", db);
}

/* Check an ops document's envelope; returns its "nodes" object. */
cJSON *xt_ops_nodes(const cJSON *doc, const char *scope)
{
    cJSON *nodes = MEMBER(doc, "nodes");

    STREQ(JSTR(doc, "format"), "xasync-ops");
    assert_true(JNUM(doc, "version") == 1);
    STREQ(JSTR(doc, "scope"), scope);
    assert_true(cJSON_IsObject(nodes));
    return nodes;
}

/* The seqs of one node's ops in a document, checking each op's shape:
 * [seq, entity, field, value, ctx, hlc, author]. */
size_t xt_node_seqs(const cJSON *nodes, const char *node, double *seqs, size_t max)
{
    cJSON *ops = cJSON_GetObjectItemCaseSensitive(nodes, node);
    cJSON *op;
    size_t n = 0;

    if (ops == NULL)
        return 0;
    assert_true(cJSON_IsArray(ops));
    cJSON_ArrayForEach(op, ops)
    {
        assert_true(cJSON_IsArray(op));
        assert_int_equal(cJSON_GetArraySize(op), 7);
        assert_true(cJSON_IsNumber(cJSON_GetArrayItem(op, 0)));
        assert_true(cJSON_IsString(cJSON_GetArrayItem(op, 1)));
        assert_true(cJSON_IsString(cJSON_GetArrayItem(op, 2)));
        assert_true(cJSON_IsObject(cJSON_GetArrayItem(op, 4)));
        assert_true(cJSON_IsNumber(cJSON_GetArrayItem(op, 5)));
        assert_true(cJSON_IsString(cJSON_GetArrayItem(op, 6)));
        assert_true(n < max);
        seqs[n++] = cJSON_GetArrayItem(op, 0)->valuedouble;
    }
    return n;
}

/* Parse an ops file, let `edit` change it, write it to dir/name. */
char *xt_edited_ops(const xt_cli *f, const char *src, const char *name, void (*edit)(cJSON *doc))
{
    char *text = xt_read_file(src, NULL);
    cJSON *doc = PARSE(text);
    char *out, *path = xt_path(f->dir, name);

    edit(doc);
    out = cJSON_PrintUnformatted(doc);
    assert_non_null(out);
    xt_write_file(path, out, strlen(out));
    cJSON_free(out);
    cJSON_Delete(doc);
    free(text);
    return path;
}

/* The first (only) node's op array of a document. */
cJSON *xt_first_node_ops(cJSON *doc)
{
    cJSON *nodes = MEMBER(doc, "nodes");
    cJSON *ops = nodes->child;

    assert_non_null(ops);
    assert_true(cJSON_IsArray(ops));
    return ops;
}

/* Run argv against `db` (already made), expect the error, db unchanged. */
void xt_fails_unchanged_at(const xt_cli *f,
                           const char *db,
                           const char *const *argv,
                           int code,
                           const char *frag,
                           const char *file,
                           int line)
{
    uint64_t d = xt_db_digest(db);
    xt_run r = xt_cli_run(f, NULL, NULL, argv);

    xt_error_at(&r, code, frag, 1, file, line);
    xt_run_free(&r);
    if (xt_db_digest(db) != d)
        fail_msg("%s:%d: database %s changed", file, line, db);
}
