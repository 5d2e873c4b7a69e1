/*
 * The `xasync` command against its contract (tests/client/contract.md): the real
 * binary, run as a process, on real database files.
 *
 * Every test makes its own temporary folder (HOME points there too, so the
 * default database path never reaches the real home) and removes it after.
 *
 * What an error must look like, everywhere: the documented exit code, ONE
 * line on stderr starting with "xasync: " and holding the documented
 * fragment, nothing on stdout, and the database as it was (same logical
 * digest; same bytes for a file that is not an xasync database; still absent
 * for a missing one).
 */
#include "support.h"

#include <cjson/cJSON.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define SCOPE "hoang-kim"
#define LINES_MAX 64
#define FIELDS_MAX 16

/* ---------------------------------------------------------------------- */
/* Fixture and running                                                     */

typedef struct fx {
    char *dir;
    char *db;   /* dir/a.db: replica A */
    char *db2;  /* dir/b.db: replica B */
    char *home; /* "HOME=dir" */
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

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->db = xt_path(f->dir, "a.db");
    f->db2 = xt_path(f->dir, "b.db");
    f->home = cat2("HOME=", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    free(f->db);
    free(f->db2);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* A NULL-terminated argv or env array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Run xasync with HOME in the fixture folder plus `env` (may be NULL). */
static xt_run run(const fx *f, const char *in, const char *const *env, const char *const *argv)
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

#define XA(f, ...) run((f), NULL, NULL, ARGV(__VA_ARGS__))
#define XA_IN(f, in, ...) run((f), (in), NULL, ARGV(__VA_ARGS__))
#define XA_ENV(f, env, ...) run((f), NULL, (env), ARGV(__VA_ARGS__))

static int file_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

static void ok_at(const xt_run *r, const char *file, int line)
{
    if (r->status != 0 || r->errlen != 0)
        fail_msg("%s:%d: expected exit 0 and nothing on stderr; got exit %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 file, line, r->status, r->out, r->err);
}
#define MUST_OK(r) ok_at(&(r), __FILE__, __LINE__)

/* stderr is one line "xasync: ...\n" */
static int one_error_line(const xt_run *r)
{
    const char *nl = memchr(r->err, '\n', r->errlen);

    return r->errlen > 8 && memcmp(r->err, "xasync: ", 8) == 0 && nl != NULL &&
           (size_t)(nl - r->err) == r->errlen - 1;
}

static void error_at(
    const xt_run *r, int code, const char *frag, int want_stdout_empty, const char *file, int line)
{
    if (r->status != code || (want_stdout_empty && r->outlen != 0) || !one_error_line(r) ||
        strlen(r->err) != r->errlen || (frag != NULL && strstr(r->err, frag) == NULL))
        fail_msg("%s:%d: expected exit %d, one stderr line 'xasync: ...%s...'%s;\n"
                 "got exit %d\nstdout: [%s]\nstderr: [%s]",
                 file, line, code, frag ? frag : "", want_stdout_empty ? ", empty stdout" : "",
                 r->status, r->out, r->err);
}
/* An error: exit code, one "xasync: " line holding frag, empty stdout. */
#define MUST_FAIL(r, code, frag) error_at(&(r), (code), (frag), 1, __FILE__, __LINE__)

static void streq_at(const char *got, const char *want, const char *file, int line)
{
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s:%d: expected [%s]\n                 got [%s]", file, line, want,
                 got ? got : "(null)");
}
#define STREQ(got, want) streq_at((got), (want), __FILE__, __LINE__)

/* Run, require success, return stdout (the caller frees). */
static char *ok_out_at(const fx *f,
                       const char *in,
                       const char *const *env,
                       const char *const *argv,
                       const char *file,
                       int line)
{
    xt_run r = run(f, in, env, argv);
    char *out;

    ok_at(&r, file, line);
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}
#define OUT(f, ...) ok_out_at((f), NULL, NULL, ARGV(__VA_ARGS__), __FILE__, __LINE__)
#define OUT_ENV(f, env, ...) ok_out_at((f), NULL, (env), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* Run, require success and exactly `want` on stdout. */
#define OUT_IS(want, f, ...)                                                                       \
    do {                                                                                           \
        char *out_ = OUT(f, __VA_ARGS__);                                                          \
        STREQ(out_, want);                                                                         \
        free(out_);                                                                                \
    } while (0)

#define DIGEST_SAME(path, before)                                                                  \
    do {                                                                                           \
        if (xt_db_digest(path) != (before))                                                        \
            fail_msg("%s:%d: database %s changed", __FILE__, __LINE__, (path));                    \
    } while (0)

/* Split `s` in place at each '\n'; s must end with '\n'.  Returns the count. */
static size_t split_lines(char *s, char **lines, size_t max)
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
static size_t split_tabs(char *s, char **parts, size_t max)
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
static void check_time_at(const char *t, const char *file, int line)
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
#define CHECK_TIME(t) check_time_at((t), __FILE__, __LINE__)

/* The TIME column of the text forms: the spec fixes no format, so only a
 * date and a time of day, starting YYYY-MM-DD. */
static void check_text_time_at(const char *t, const char *file, int line)
{
    if (strlen(t) < 16 || !is_digits(t, 4) || t[4] != '-' || !is_digits(t + 5, 2) || t[7] != '-' ||
        !is_digits(t + 8, 2) || strchr(t + 10, ':') == NULL)
        fail_msg("%s:%d: not a date and time: [%s]", file, line, t);
}
#define CHECK_TEXT_TIME(t) check_text_time_at((t), __FILE__, __LINE__)

static void check_node_hex(const char *s)
{
    size_t i;

    assert_int_equal(strlen(s), 16);
    for (i = 0; i < 16; i++)
        assert_true((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */

static cJSON *parse_at(const char *text, const char *file, int line)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;

    if (j == NULL)
        fail_msg("%s:%d: not JSON: [%s]", file, line, text ? text : "(null)");
    return j;
}
#define PARSE(text) parse_at((text), __FILE__, __LINE__)

static cJSON *member_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;

    if (m == NULL)
        fail_msg("%s:%d: no member \"%s\"", file, line, name);
    return m;
}
#define MEMBER(obj, name) member_at((obj), (name), __FILE__, __LINE__)

static const char *jstr_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = member_at(obj, name, file, line);

    if (!cJSON_IsString(m))
        fail_msg("%s:%d: member \"%s\" is not a string", file, line, name);
    return m->valuestring;
}
#define JSTR(obj, name) jstr_at((obj), (name), __FILE__, __LINE__)

static double jnum_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = member_at(obj, name, file, line);

    if (!cJSON_IsNumber(m))
        fail_msg("%s:%d: member \"%s\" is not a number", file, line, name);
    return m->valuedouble;
}
#define JNUM(obj, name) jnum_at((obj), (name), __FILE__, __LINE__)

static int jbool_at(const cJSON *obj, const char *name, const char *file, int line)
{
    cJSON *m = member_at(obj, name, file, line);

    if (!cJSON_IsBool(m))
        fail_msg("%s:%d: member \"%s\" is not a boolean", file, line, name);
    return cJSON_IsTrue(m);
}
#define JBOOL(obj, name) jbool_at((obj), (name), __FILE__, __LINE__)

/* One of get's "values": {"value","author","time","hlc","node","seq"}. */
static void check_value_obj(const cJSON *v, const char *value, const char *author, const char *node)
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
static void check_field_obj(const cJSON *o,
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
    check_value_obj(cJSON_GetArrayItem(vals, 0), value, author, node);
}

/* ---------------------------------------------------------------------- */
/* Replicas                                                                */

/* init `db` for `scope`, check the "created" line, return the node id. */
static void init_db(const fx *f, const char *db, const char *scope, char node[17])
{
    char want[4096];
    char *out = OUT(f, "init", "--scope", scope, "--db", db);
    const char *p = strstr(out, "(node ");
    int n;

    if (p == NULL || strlen(p) != 6 + 16 + 2)
        fail_msg("init: unexpected output [%s]", out);
    memcpy(node, p + 6, 16);
    node[16] = '\0';
    check_node_hex(node);
    n = snprintf(want, sizeof want, "created %s for scope %s (node %s)\n", db, scope, node);
    assert_true(n > 0 && (size_t)n < sizeof want);
    STREQ(out, want);
    free(out);
    assert_true(file_exists(db));
}

static void set_value(const fx *f, const char *db, const char *e, const char *fl, const char *v)
{
    OUT_IS("", f, "--db", db, "set", e, fl, v, "--author", "test");
}

/* `export-ops --all` of db, written to dir/name; returns the path. */
static char *export_all(const fx *f, const char *db, const char *name)
{
    char *path = xt_path(f->dir, name);
    xt_run r = XA(f, "export-ops", "--all", "--db", db);

    MUST_OK(r);
    xt_write_file(path, r.out, r.outlen);
    xt_run_free(&r);
    return path;
}

static void apply_ok(const fx *f, const char *db, const char *file, size_t applied, size_t held)
{
    char want[128];

    snprintf(want, sizeof want, "applied %zu ops (%zu already held)\n", applied, held);
    OUT_IS(want, f, "apply", file, "--db", db);
}

/* Check an ops document's envelope; returns its "nodes" object. */
static cJSON *ops_nodes(const cJSON *doc, const char *scope)
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
static size_t node_seqs(const cJSON *nodes, const char *node, double *seqs, size_t max)
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
static char *edited_ops(const fx *f, const char *src, const char *name, void (*edit)(cJSON *doc))
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
static cJSON *first_node_ops(cJSON *doc)
{
    cJSON *nodes = MEMBER(doc, "nodes");
    cJSON *ops = nodes->child;

    assert_non_null(ops);
    assert_true(cJSON_IsArray(ops));
    return ops;
}

/* ---------------------------------------------------------------------- */
/* Happy path                                                              */

static void test_cli__init_creates_database_and_folder(void **state)
{
    fx *f = *state;
    char node[17];
    char *db = xt_path(f->dir, "deep/er/x.db");

    init_db(f, db, SCOPE, node);
    OUT_IS("{}\n", f, "have", "--db", db);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", db);
    OUT_IS("[]\n", f, "conflicts", "--json", "--db", db);
    OUT_IS("", f, "show", "--db", db);
    OUT_IS("", f, "log", "--db", db);
    free(db);
}

static void test_cli__set_is_silent_and_get_prints_value(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "--db", f->db, "set", "report-2024-h1", "title", "Báo cáo sơ kết 6 tháng",
           "--author", "Nguyễn Thị Hoa");
    OUT_IS("Báo cáo sơ kết 6 tháng\n", f, "--db", f->db, "get", "report-2024-h1", "title");
    /* a later write replaces the value */
    OUT_IS("", f, "--db", f->db, "set", "report-2024-h1", "title", "Báo cáo năm");
    OUT_IS("Báo cáo năm\n", f, "--db", f->db, "get", "report-2024-h1", "title");
}

static void test_cli__values_that_look_like_options(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "--db", f->db, "set", "ind-4", "est", "-5");
    OUT_IS("-5\n", f, "--db", f->db, "get", "ind-4", "est");
    OUT_IS("", f, "--db", f->db, "set", "b-7", "text", "- item");
    OUT_IS("- item\n", f, "--db", f->db, "get", "b-7", "text");
    OUT_IS("", f, "--db", f->db, "set", "b-8", "text", "-");
    OUT_IS("-\n", f, "--db", f->db, "get", "b-8", "text");
    OUT_IS("", f, "--db", f->db, "set", "ind-4", "name", "Sản lượng lúa 636,4 tấn");
    OUT_IS("Sản lượng lúa 636,4 tấn\n", f, "--db", f->db, "get", "ind-4", "name");
    /* `--` ends options: what follows is an argument even if it starts with -- */
    OUT_IS("", f, "--db", f->db, "set", "ind-4", "note", "--", "--bogus");
    OUT_IS("--bogus\n", f, "--db", f->db, "get", "ind-4", "note");
    OUT_IS("", f, "--db", f->db, "set", "ind-4", "note", "--", "-h");
    OUT_IS("-h\n", f, "--db", f->db, "get", "ind-4", "note");
    OUT_IS("", f, "--db", f->db, "set", "ind-4", "plan", "");
    OUT_IS("\n", f, "--db", f->db, "get", "ind-4", "plan");
}

static void test_cli__db_option_anywhere_and_env(void **state)
{
    fx *f = *state;
    char node[17];
    char *eq = cat2("--db=", f->db);
    char *env = cat2("XASYNC_DB=", f->db);
    char *other = xt_path(f->dir, "other.db");
    char *env_other = cat2("XASYNC_DB=", other);

    init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "--db", f->db, "set", "e", "a", "1");
    OUT_IS("", f, "set", "--db", f->db, "e", "b", "2");
    OUT_IS("", f, "set", "e", "c", "3", "--db", f->db);
    OUT_IS("", f, eq, "set", "e", "d", "4");
    OUT_IS("", f, "set", "e", "e", "5", eq);
    OUT_IS("", f, "set", "e", eq, "f", "6");
    OUT_IS("1\n", f, "get", "e", "a", "--db", f->db);
    OUT_IS("2\n", f, "get", "--db", f->db, "e", "b");
    OUT_IS("3\n", f, eq, "get", "e", "c");
    OUT_IS("4\n", f, "get", "e", "d", eq);
    OUT_IS("5\n", f, "--db", f->db, "get", "e", "e");
    OUT_IS("6\n", f, "get", "e", "f", "--db", f->db);

    /* $XASYNC_DB when there is no --db */
    {
        char *out = OUT_ENV(f, ARGV(env), "set", "e", "g", "7");

        STREQ(out, "");
        free(out);
        out = OUT_ENV(f, ARGV(env), "get", "e", "g");
        STREQ(out, "7\n");
        free(out);
    }
    /* --db wins over $XASYNC_DB, which is then never touched */
    {
        char *out = OUT_ENV(f, ARGV(env_other), "get", "e", "g", "--db", f->db);

        STREQ(out, "7\n");
        free(out);
        out = OUT_ENV(f, ARGV(env_other), eq, "set", "e", "h", "8");
        free(out);
        assert_false(file_exists(other));
        OUT_IS("8\n", f, "get", "e", "h", "--db", f->db);
    }
    free(eq);
    free(env);
    free(other);
    free(env_other);
}

static void test_cli__default_db_under_home(void **state)
{
    fx *f = *state;
    char *dflt = xt_path(f->dir, ".local/share/xasync/xasync.db");
    char want[4096];
    char *out = OUT(f, "init", "--scope", SCOPE);

    assert_true(file_exists(dflt));
    snprintf(want, sizeof want, "created %s for scope %s (node ", dflt, SCOPE);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("expected [%s...], got [%s]", want, out);
    free(out);
    OUT_IS("", f, "set", "e", "f", "v");
    OUT_IS("v\n", f, "get", "e", "f");
    free(dflt);
}

static void test_cli__get_json_has_documented_members(void **state)
{
    fx *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "ind-4", "est", "old");
    OUT_IS("", f, "set", "ind-4", "est", "636,4", "--author", "Trần Văn Bình", "--db", f->db);
    out = OUT(f, "get", "ind-4", "est", "--json", "--db", f->db);
    j = PARSE(out);
    check_field_obj(j, "ind-4", "est", "636,4", "Trần Văn Bình", node);
    assert_true(JNUM(cJSON_GetArrayItem(MEMBER(j, "values"), 0), "seq") == 2);
    cJSON_Delete(j);
    free(out);
}

static void test_cli__show_lists_fields(void **state)
{
    fx *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "report-2024-h1", "title", "Báo cáo sơ kết");
    set_value(f, f->db, "ind-4", "name", "Sản lượng lúa");
    set_value(f, f->db, "ind-4", "unit", "tấn");
    set_value(f, f->db, "ind-4", "est", "636,4");
    OUT_IS("ind-4\test\t636,4\n"
           "ind-4\tname\tSản lượng lúa\n"
           "ind-4\tunit\ttấn\n"
           "report-2024-h1\ttitle\tBáo cáo sơ kết\n",
           f, "show", "--db", f->db);
    OUT_IS("ind-4\test\t636,4\n"
           "ind-4\tname\tSản lượng lúa\n"
           "ind-4\tunit\ttấn\n",
           f, "show", "ind-4", "--db", f->db);

    out = OUT(f, "show", "--json", "--db", f->db);
    j = PARSE(out);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), 4);
    check_field_obj(cJSON_GetArrayItem(j, 0), "ind-4", "est", "636,4", "test", node);
    check_field_obj(cJSON_GetArrayItem(j, 1), "ind-4", "name", "Sản lượng lúa", "test", node);
    check_field_obj(cJSON_GetArrayItem(j, 2), "ind-4", "unit", "tấn", "test", node);
    check_field_obj(cJSON_GetArrayItem(j, 3), "report-2024-h1", "title", "Báo cáo sơ kết", "test",
                    node);
    cJSON_Delete(j);
    free(out);

    out = OUT(f, "show", "report-2024-h1", "--json", "--db", f->db);
    j = PARSE(out);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    check_field_obj(cJSON_GetArrayItem(j, 0), "report-2024-h1", "title", "Báo cáo sơ kết", "test",
                    node);
    cJSON_Delete(j);
    free(out);
}

/* One log line: TIME AUTHOR NODE ENTITY FIELD "BEFORE -> AFTER". */
static void check_log_line(char *line,
                           const char *author,
                           const char *node,
                           const char *entity,
                           const char *field,
                           const char *change)
{
    char *p[FIELDS_MAX];
    size_t n = split_tabs(line, p, FIELDS_MAX);

    if (n != 6)
        fail_msg("log line has %zu tab-separated parts, not 6", n);
    CHECK_TEXT_TIME(p[0]);
    STREQ(p[1], author);
    STREQ(p[2], node);
    STREQ(p[3], entity);
    STREQ(p[4], field);
    STREQ(p[5], change);
}

static void test_cli__log_shows_before_after_and_authors(void **state)
{
    fx *f = *state;
    char node[17];
    char *out, *l[LINES_MAX];

    init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "set", "ind-4", "est", "1", "--author", "Nguyễn Thị Hoa", "--db", f->db);
    {
        char *o = OUT_ENV(f, ARGV("XASYNC_AUTHOR=binh"), "set", "ind-4", "est", "2", "--db", f->db);

        STREQ(o, "");
        free(o);
        /* --author wins over $XASYNC_AUTHOR */
        o = OUT_ENV(f, ARGV("XASYNC_AUTHOR=binh"), "set", "ind-4", "est", "3", "--author", "chi",
                    "--db", f->db);
        STREQ(o, "");
        free(o);
    }
    OUT_IS("", f, "set", "b-1", "text", "- item", "--author", "an", "--db", f->db);

    out = OUT(f, "log", "--db", f->db);
    assert_int_equal(split_lines(out, l, LINES_MAX), 4);
    check_log_line(l[0], "Nguyễn Thị Hoa", node, "ind-4", "est", "(none) -> 1");
    check_log_line(l[1], "binh", node, "ind-4", "est", "1 -> 2");
    check_log_line(l[2], "chi", node, "ind-4", "est", "2 -> 3");
    check_log_line(l[3], "an", node, "b-1", "text", "(none) -> - item");
    free(out);

    out = OUT(f, "log", "ind-4", "--db", f->db);
    assert_int_equal(split_lines(out, l, LINES_MAX), 3);
    check_log_line(l[2], "chi", node, "ind-4", "est", "2 -> 3");
    free(out);
    out = OUT(f, "log", "ind-4", "est", "--db", f->db);
    assert_int_equal(split_lines(out, l, LINES_MAX), 3);
    free(out);
    out = OUT(f, "log", "ind-4", "name", "--db", f->db);
    STREQ(out, "");
    free(out);
    out = OUT(f, "log", "b-1", "--db", f->db);
    assert_int_equal(split_lines(out, l, LINES_MAX), 1);
    check_log_line(l[0], "an", node, "b-1", "text", "(none) -> - item");
    free(out);

    /* get shows the last author */
    {
        cJSON *j;

        out = OUT(f, "get", "ind-4", "est", "--json", "--db", f->db);
        j = PARSE(out);
        check_field_obj(j, "ind-4", "est", "3", "chi", node);
        cJSON_Delete(j);
        free(out);
    }
}

static void check_log_obj(const cJSON *o,
                          const char *author,
                          const char *node,
                          double seq,
                          const char *before,
                          const char *value)
{
    cJSON *b = MEMBER(o, "before");
    cJSON *v = MEMBER(o, "value");

    CHECK_TIME(JSTR(o, "time"));
    assert_true(JNUM(o, "hlc") > 0);
    STREQ(JSTR(o, "author"), author);
    STREQ(JSTR(o, "node"), node);
    assert_true(JNUM(o, "seq") == seq);
    STREQ(JSTR(o, "entity"), "ind-4");
    STREQ(JSTR(o, "field"), "est");
    assert_true(cJSON_IsArray(b));
    if (before == NULL) {
        assert_int_equal(cJSON_GetArraySize(b), 0);
    } else {
        assert_int_equal(cJSON_GetArraySize(b), 1);
        assert_true(cJSON_IsString(cJSON_GetArrayItem(b, 0)));
        STREQ(cJSON_GetArrayItem(b, 0)->valuestring, before);
    }
    assert_true(cJSON_IsString(v));
    STREQ(v->valuestring, value);
}

static void test_cli__log_json(void **state)
{
    fx *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "set", "ind-4", "est", "1.460", "--author", "an", "--db", f->db);
    {
        char *o = OUT_ENV(f, ARGV("XASYNC_AUTHOR=Lê Văn Cường"), "set", "ind-4", "est", "636,4",
                          "--db", f->db);

        free(o);
    }
    out = OUT(f, "log", "--json", "--db", f->db);
    j = PARSE(out);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), 2);
    check_log_obj(cJSON_GetArrayItem(j, 0), "an", node, 1, NULL, "1.460");
    check_log_obj(cJSON_GetArrayItem(j, 1), "Lê Văn Cường", node, 2, "1.460", "636,4");
    assert_true(JNUM(cJSON_GetArrayItem(j, 0), "hlc") <= JNUM(cJSON_GetArrayItem(j, 1), "hlc"));
    cJSON_Delete(j);
    free(out);
}

static void test_cli__have_prints_version_vector(void **state)
{
    fx *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    init_db(f, f->db, SCOPE, node);
    OUT_IS("{}\n", f, "have", "--json", "--db", f->db);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "a", "2");
    set_value(f, f->db, "e", "b", "3");
    out = OUT(f, "have", "--db", f->db);
    j = PARSE(out);
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 1);
    assert_true(JNUM(j, node) == 3);
    cJSON_Delete(j);
    {
        char *o2 = OUT(f, "have", "--json", "--db", f->db);

        STREQ(o2, out);
        free(o2);
    }
    free(out);
}

static void test_cli__help_for_each_command(void **state)
{
    fx *f = *state;
    static const char *const cmds[] = {"init",      "set",     "get",  "show",       "log",
                                       "conflicts", "resolve", "have", "export-ops", "apply"};
    char *missing = xt_path(f->dir, "missing.db");
    char *dflt = xt_path(f->dir, ".local");
    size_t i;

    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *const *forms[3];
        size_t k;

        forms[0] = ARGV(cmds[i], "--help");
        forms[1] = ARGV(cmds[i], "-h");
        forms[2] = ARGV("--db", missing, cmds[i], "--help");
        for (k = 0; k < 3; k++) {
            xt_run r = run(f, NULL, NULL, forms[k]);

            if (r.status != 0 || r.errlen != 0 || r.outlen == 0 || strstr(r.out, cmds[i]) == NULL)
                fail_msg("%s help (form %zu): exit %d\nstdout: [%s]\nstderr: [%s]", cmds[i], k,
                         r.status, r.out, r.err);
            xt_run_free(&r);
        }
    }
    {
        xt_run r = XA(f, "--help");

        MUST_OK(r);
        assert_true(r.outlen > 0);
        xt_run_free(&r);
        r = XA(f, "help");
        MUST_OK(r);
        assert_true(r.outlen > 0);
        xt_run_free(&r);
        r = XA(f, "get", "e", "f", "--help");
        MUST_OK(r);
        assert_true(r.outlen > 0);
        xt_run_free(&r);
    }
    /* asking for help creates no database */
    assert_false(file_exists(missing));
    assert_false(file_exists(dflt));
    free(missing);
    free(dflt);
}

/* ---------------------------------------------------------------------- */
/* USB-stick transport                                                     */

static void test_cli__export_all_then_apply(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *text, *ha, *hb;
    cJSON *doc;
    double seqs[16];

    init_db(f, f->db, SCOPE, na);
    set_value(f, f->db, "report-2024-h1", "title", "Báo cáo sơ kết");
    set_value(f, f->db, "ind-4", "name", "Sản lượng lúa 636,4 tấn");
    set_value(f, f->db, "ind-4", "est", "-5");
    file = export_all(f, f->db, "a.ops");

    text = xt_read_file(file, NULL);
    doc = PARSE(text);
    assert_int_equal(node_seqs(ops_nodes(doc, SCOPE), na, seqs, 16), 3);
    assert_true(seqs[0] == 1 && seqs[1] == 2 && seqs[2] == 3);
    assert_int_equal(cJSON_GetArraySize(MEMBER(doc, "nodes")), 1);
    cJSON_Delete(doc);
    free(text);

    init_db(f, f->db2, SCOPE, nb);
    assert_string_not_equal(na, nb);
    apply_ok(f, f->db2, file, 3, 0);
    OUT_IS("Sản lượng lúa 636,4 tấn\n", f, "get", "ind-4", "name", "--db", f->db2);
    OUT_IS("-5\n", f, "get", "ind-4", "est", "--db", f->db2);
    {
        char *sa = OUT(f, "show", "--db", f->db);
        char *sb = OUT(f, "show", "--db", f->db2);

        STREQ(sb, sa);
        free(sa);
        free(sb);
    }
    ha = OUT(f, "have", "--db", f->db);
    hb = OUT(f, "have", "--db", f->db2);
    STREQ(hb, ha);
    free(ha);
    free(hb);
    free(file);
}

static void test_cli__export_have_gives_only_missing(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *have, *havefile, *out, *out2;
    cJSON *doc, *nodes;
    double seqs[16];

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "b", "2");
    set_value(f, f->db, "e", "c", "3");
    file = export_all(f, f->db, "a.ops");
    apply_ok(f, f->db2, file, 3, 0);
    set_value(f, f->db, "e", "a", "4");
    set_value(f, f->db, "e", "d", "5");
    set_value(f, f->db2, "e", "z", "from B"); /* A does not know B's node */

    have = OUT(f, "have", "--db", f->db2);
    out = OUT(f, "export-ops", "--have", have, "--db", f->db);
    doc = PARSE(out);
    nodes = ops_nodes(doc, SCOPE);
    assert_int_equal(node_seqs(nodes, na, seqs, 16), 2);
    assert_true(seqs[0] == 4 && seqs[1] == 5);
    assert_int_equal(node_seqs(nodes, nb, seqs, 16), 0);
    cJSON_Delete(doc);

    /* the same from a file */
    havefile = xt_path(f->dir, "b.have");
    xt_write_file(havefile, have, strlen(have));
    out2 = OUT(f, "export-ops", "--db", f->db, "--have", havefile);
    STREQ(out2, out);
    free(out2);

    /* an empty vector: everything */
    out2 = OUT(f, "export-ops", "--have", "{}", "--db", f->db);
    doc = PARSE(out2);
    assert_int_equal(node_seqs(ops_nodes(doc, SCOPE), na, seqs, 16), 5);
    cJSON_Delete(doc);
    free(out2);

    xt_write_file(file, out, strlen(out));
    apply_ok(f, f->db2, file, 2, 0);
    OUT_IS("4\n", f, "get", "e", "a", "--db", f->db2);
    OUT_IS("5\n", f, "get", "e", "d", "--db", f->db2);
    free(have);
    have = OUT(f, "have", "--db", f->db2);
    doc = PARSE(have);
    assert_int_equal(cJSON_GetArraySize(doc), 2);
    assert_true(JNUM(doc, na) == 5);
    assert_true(JNUM(doc, nb) == 1);
    cJSON_Delete(doc);

    /* nothing missing: a document with no ops, which applies as nothing */
    free(out);
    out = OUT(f, "export-ops", "--have", have, "--db", f->db);
    doc = PARSE(out);
    assert_int_equal(node_seqs(ops_nodes(doc, SCOPE), na, seqs, 16), 0);
    cJSON_Delete(doc);
    xt_write_file(file, out, strlen(out));
    apply_ok(f, f->db2, file, 0, 0);

    free(out);
    free(have);
    free(havefile);
    free(file);
}

static void test_cli__apply_twice_changes_nothing(void **state)
{
    fx *f = *state;
    char na[17], nb[17], nc[17];
    char *file, *text, *dbc = xt_path(f->dir, "c.db");
    uint64_t d1;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    init_db(f, dbc, SCOPE, nc);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "a", "2");
    set_value(f, f->db, "e", "b", "3");
    file = export_all(f, f->db, "a.ops");
    apply_ok(f, f->db2, file, 3, 0);
    d1 = xt_db_digest(f->db2);
    apply_ok(f, f->db2, file, 0, 3);
    DIGEST_SAME(f->db2, d1);
    OUT_IS("2\n", f, "get", "e", "a", "--db", f->db2);

    /* `-` reads standard input */
    text = xt_read_file(file, NULL);
    {
        char *o = ok_out_at(f, text, NULL, ARGV("apply", "-", "--db", dbc), __FILE__, __LINE__);

        STREQ(o, "applied 3 ops (0 already held)\n");
        free(o);
        o = ok_out_at(f, text, NULL, ARGV("--db", f->db2, "apply", "-"), __FILE__, __LINE__);
        STREQ(o, "applied 0 ops (3 already held)\n");
        free(o);
    }
    DIGEST_SAME(f->db2, d1);
    OUT_IS("3\n", f, "get", "e", "b", "--db", dbc);
    free(text);
    free(file);
    free(dbc);
}

/* ---------------------------------------------------------------------- */
/* Conflicts                                                               */

/* The value of get --json whose (hlc, node) is largest: the front one. */
static char *front_value(const fx *f, const char *db, const char *e, const char *fl)
{
    xt_run r = XA(f, "get", e, fl, "--json", "--db", db);
    cJSON *j, *v, *best = NULL;
    char *out;

    error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
    j = PARSE(r.out);
    assert_true(JBOOL(j, "conflict"));
    STREQ(JSTR(j, "entity"), e);
    STREQ(JSTR(j, "field"), fl);
    assert_int_equal(cJSON_GetArraySize(MEMBER(j, "values")), 2);
    cJSON_ArrayForEach(v, MEMBER(j, "values"))
    {
        if (best == NULL || JNUM(v, "hlc") > JNUM(best, "hlc") ||
            (JNUM(v, "hlc") == JNUM(best, "hlc") &&
             strcmp(JSTR(v, "node"), JSTR(best, "node")) > 0))
            best = v;
    }
    out = cat2(JSTR(best, "value"), "");
    cJSON_Delete(j);
    xt_run_free(&r);
    return out;
}

/* Both replicas show the conflict the same way. */
static void check_conflict(const fx *f, const char *db, const char *na, const char *nb)
{
    xt_run r = XA(f, "get", "report-2024-h1", "title", "--db", db);
    char *l[LINES_MAX], *p[FIELDS_MAX], *front, want[1024];
    size_t i, n;
    int seen_a = 0, seen_b = 0;
    uint64_t d;
    cJSON *j, *o;

    /* get: exit 3, each value on stdout, one error line */
    error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
    n = split_lines(r.out, l, LINES_MAX);
    assert_int_equal(n, 2);
    for (i = 0; i < n; i++) {
        assert_int_equal(split_tabs(l[i], p, FIELDS_MAX), 4);
        CHECK_TEXT_TIME(p[2]);
        if (strcmp(p[0], "Báo cáo của A") == 0) {
            STREQ(p[1], "an");
            STREQ(p[3], na);
            seen_a++;
        } else {
            STREQ(p[0], "Báo cáo của B");
            STREQ(p[1], "binh");
            STREQ(p[3], nb);
            seen_b++;
        }
    }
    assert_int_equal(seen_a, 1);
    assert_int_equal(seen_b, 1);
    xt_run_free(&r);

    /* conflicts lists it */
    r = XA(f, "conflicts", "--db", db);
    MUST_OK(r);
    assert_non_null(strstr(r.out, "report-2024-h1"));
    assert_non_null(strstr(r.out, "title"));
    assert_non_null(strstr(r.out, "Báo cáo của A"));
    assert_non_null(strstr(r.out, "Báo cáo của B"));
    xt_run_free(&r);
    r = XA(f, "conflicts", "--json", "--db", db);
    MUST_OK(r);
    j = PARSE(r.out);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), 1);
    o = cJSON_GetArrayItem(j, 0);
    STREQ(JSTR(o, "entity"), "report-2024-h1");
    STREQ(JSTR(o, "field"), "title");
    assert_true(JBOOL(o, "conflict"));
    assert_int_equal(cJSON_GetArraySize(MEMBER(o, "values")), 2);
    cJSON_Delete(j);
    xt_run_free(&r);

    /* show: the front value, marked */
    front = front_value(f, db, "report-2024-h1", "title");
    snprintf(want, sizeof want, "report-2024-h1\ttitle\t%s\t[conflict: 2 values]\n", front);
    OUT_IS(want, f, "show", "--db", db);
    free(front);

    /* set is refused and changes nothing */
    d = xt_db_digest(db);
    r = XA(f, "set", "report-2024-h1", "title", "ghi đè", "--db", db);
    MUST_FAIL(r, 3, "in conflict");
    xt_run_free(&r);
    DIGEST_SAME(db, d);
}

static void test_cli__conflict_kept_and_resolved(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *fa, *fb, *out, *l[LINES_MAX];
    size_t n;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    OUT_IS("", f, "set", "report-2024-h1", "title", "Báo cáo của A", "--author", "an", "--db",
           f->db);
    OUT_IS("", f, "set", "report-2024-h1", "title", "Báo cáo của B", "--author", "binh", "--db",
           f->db2);
    fa = export_all(f, f->db, "a.ops");
    fb = export_all(f, f->db2, "b.ops");
    apply_ok(f, f->db2, fa, 1, 0);
    apply_ok(f, f->db, fb, 1, 0);
    check_conflict(f, f->db, na, nb);
    check_conflict(f, f->db2, na, nb);

    /* resolve on A */
    {
        xt_run r = XA(f, "resolve", "report-2024-h1", "title", "Báo cáo chung", "--author", "chi",
                      "--db", f->db);

        MUST_OK(r);
        xt_run_free(&r);
    }
    OUT_IS("Báo cáo chung\n", f, "get", "report-2024-h1", "title", "--db", f->db);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", f->db);
    OUT_IS("[]\n", f, "conflicts", "--json", "--db", f->db);
    OUT_IS("report-2024-h1\ttitle\tBáo cáo chung\n", f, "show", "--db", f->db);
    out = OUT(f, "log", "report-2024-h1", "title", "--db", f->db);
    n = split_lines(out, l, LINES_MAX);
    assert_int_equal(n, 3);
    {
        char *p[FIELDS_MAX];

        assert_int_equal(split_tabs(l[2], p, FIELDS_MAX), 6);
        STREQ(p[1], "chi");
        STREQ(p[2], na);
        if (strcmp(p[5], "Báo cáo của A | Báo cáo của B -> Báo cáo chung") != 0 &&
            strcmp(p[5], "Báo cáo của B | Báo cáo của A -> Báo cáo chung") != 0)
            fail_msg("resolve's log entry: [%s]", p[5]);
    }
    free(out);

    /* exchange again: both hold the resolved value */
    free(fa);
    fa = export_all(f, f->db, "a2.ops");
    apply_ok(f, f->db2, fa, 1, 2);
    OUT_IS("Báo cáo chung\n", f, "get", "report-2024-h1", "title", "--db", f->db2);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", f->db2);
    free(fb);
    fb = export_all(f, f->db2, "b2.ops");
    apply_ok(f, f->db, fb, 0, 3);
    OUT_IS("Báo cáo chung\n", f, "get", "report-2024-h1", "title", "--db", f->db);
    {
        char *ha = OUT(f, "have", "--db", f->db);
        char *hb = OUT(f, "have", "--db", f->db2);

        STREQ(hb, ha);
        free(ha);
        free(hb);
    }
    /* and the field is writable again */
    OUT_IS("", f, "set", "report-2024-h1", "title", "Báo cáo sau", "--db", f->db2);
    OUT_IS("Báo cáo sau\n", f, "get", "report-2024-h1", "title", "--db", f->db2);
    free(fa);
    free(fb);
}

static void test_cli__resolve_not_in_conflict(void **state)
{
    fx *f = *state;
    char node[17];
    uint64_t d;
    xt_run r;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "ind-4", "est", "636,4");
    d = xt_db_digest(f->db);
    r = XA(f, "resolve", "ind-4", "est", "700", "--db", f->db);
    MUST_FAIL(r, 1, "not in conflict");
    xt_run_free(&r);
    DIGEST_SAME(f->db, d);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

/* Run argv against `db` (already made), expect the error, db unchanged. */
static void fails_unchanged_at(const fx *f,
                               const char *db,
                               const char *const *argv,
                               int code,
                               const char *frag,
                               const char *file,
                               int line)
{
    uint64_t d = xt_db_digest(db);
    xt_run r = run(f, NULL, NULL, argv);

    error_at(&r, code, frag, 1, file, line);
    xt_run_free(&r);
    if (xt_db_digest(db) != d)
        fail_msg("%s:%d: database %s changed", file, line, db);
}
#define FAILS(f, db, code, frag, ...)                                                              \
    fails_unchanged_at((f), (db), ARGV(__VA_ARGS__), (code), (frag), __FILE__, __LINE__)

static void test_cli__error_unknown_command(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 2, "unknown command 'foo'", "--db", f->db, "foo");
    FAILS(f, f->db, 2, "unknown command 'foo'", "foo", "e", "f", "--db", f->db);
}

static void test_cli__error_unknown_option(void **state)
{
    fx *f = *state;
    char node[17];
    char *fresh = xt_path(f->dir, "fresh.db");

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "get", "e", "f", "--bogus", "--db", f->db);
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--bogus", "get", "e", "f", "--db", f->db);
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "set", "e", "f", "w", "--bogus");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "show", "--bogus");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "export-ops", "--all", "--bogus");
    /* nothing is created on a usage error */
    FAILS(f, fresh, 2, "unknown option '--bogus'", "init", "--scope", SCOPE, "--bogus", "--db",
          fresh);
    assert_false(file_exists(fresh));
    free(fresh);
}

static void test_cli__error_wrong_arg_count(void **state)
{
    fx *f = *state;
    char node[17];
    char *file;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    file = export_all(f, f->db, "a.ops");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "get", "e");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "get");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "get", "e", "f", "g");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "set", "e", "f");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "set", "e", "f", "v", "w");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "resolve", "e", "f");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "show", "e", "f");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "log", "e", "f", "g");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "have", "x");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "conflicts", "x");
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "apply");
    /* apply takes several files (a split export), up to eight */
    FAILS(f, f->db, 2, "usage:", "--db", f->db, "apply", file, file, file, file, file, file, file,
          file, file);
    free(file);
}

static void test_cli__error_missing_database(void **state)
{
    fx *f = *state;
    char node[17];
    char *missing = xt_path(f->dir, "none.db");
    char *nofolder = xt_path(f->dir, "nofolder/x.db");
    char *folder = xt_path(f->dir, "nofolder");
    char *env = cat2("XASYNC_DB=", missing);
    char *file;
    const char *const dbs[] = {missing, nofolder};
    size_t i;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    file = export_all(f, f->db, "a.ops");
    for (i = 0; i < 2; i++) {
        const char *db = dbs[i];
        const char *const *cmds[] = {
            ARGV("--db", db, "get", "e", "f"),
            ARGV("--db", db, "set", "e", "f", "v"),
            ARGV("--db", db, "resolve", "e", "f", "v"),
            ARGV("--db", db, "show"),
            ARGV("--db", db, "log"),
            ARGV("--db", db, "conflicts"),
            ARGV("--db", db, "have"),
            ARGV("--db", db, "export-ops", "--all"),
            ARGV("--db", db, "apply", file),
        };
        size_t k;

        for (k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
            xt_run r = run(f, NULL, NULL, cmds[k]);

            MUST_FAIL(r, 1, "no xasync database at");
            if (strstr(r.err, db) == NULL)
                fail_msg("the message does not name %s: [%s]", db, r.err);
            xt_run_free(&r);
            assert_false(file_exists(db));
            assert_false(file_exists(folder));
        }
    }
    {
        xt_run r = XA_ENV(f, ARGV(env), "set", "e", "f", "v");

        MUST_FAIL(r, 1, "no xasync database at");
        xt_run_free(&r);
        assert_false(file_exists(missing));
    }
    /* the default path under $HOME: neither it nor its folders appear */
    {
        char *dflt = xt_path(f->dir, ".local");
        xt_run r = XA(f, "set", "e", "f", "v");

        MUST_FAIL(r, 1, "no xasync database at");
        xt_run_free(&r);
        r = XA(f, "apply", file);
        MUST_FAIL(r, 1, "no xasync database at");
        xt_run_free(&r);
        assert_false(file_exists(dflt));
        free(dflt);
    }
    free(missing);
    free(nofolder);
    free(folder);
    free(env);
    free(file);
}

/* A real SQLite database that xasync did not make. */
static void make_foreign_db(const char *path)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'x');"
                                  "CREATE TABLE journal(k);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_cli__error_not_xasync_database(void **state)
{
    fx *f = *state;
    char node[17];
    char *text = xt_path(f->dir, "notes.txt");
    char *empty = xt_path(f->dir, "empty.db");
    char *foreign = xt_path(f->dir, "foreign.db");
    char *file;
    const char *const paths[] = {text, empty, foreign};
    size_t i;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    file = export_all(f, f->db, "a.ops");
    xt_write_file(text, "Báo cáo sơ kết 6 tháng\n", strlen("Báo cáo sơ kết 6 tháng\n"));
    xt_write_file(empty, "", 0);
    make_foreign_db(foreign);

    for (i = 0; i < 3; i++) {
        const char *db = paths[i];
        const char *const *cmds[] = {
            ARGV("--db", db, "get", "e", "f"),
            ARGV("--db", db, "set", "e", "f", "v"),
            ARGV("--db", db, "resolve", "e", "f", "v"),
            ARGV("--db", db, "show"),
            ARGV("--db", db, "log"),
            ARGV("--db", db, "conflicts"),
            ARGV("--db", db, "have"),
            ARGV("--db", db, "export-ops", "--all"),
            ARGV("--db", db, "apply", file),
        };
        size_t k;

        for (k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
            uint64_t before = xt_file_digest(db);
            xt_run r = run(f, NULL, NULL, cmds[k]);

            MUST_FAIL(r, 1, "is not an xasync database");
            xt_run_free(&r);
            if (xt_file_digest(db) != before)
                fail_msg("command %zu changed the bytes of %s", k, db);
        }
    }
    free(text);
    free(empty);
    free(foreign);
    free(file);
}

static void test_cli__error_second_init(void **state)
{
    fx *f = *state;
    char node[17];
    char *text = xt_path(f->dir, "notes.txt");
    uint64_t d;
    xt_run r;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 1, "already exists", "init", "--scope", SCOPE, "--db", f->db);
    FAILS(f, f->db, 1, "already exists", "--db", f->db, "init", "--scope", "xa-khac");
    OUT_IS("v\n", f, "get", "e", "f", "--db", f->db);
    {
        char *h = OUT(f, "have", "--db", f->db);
        cJSON *j = PARSE(h);

        assert_true(JNUM(j, node) == 1); /* same node id as before */
        cJSON_Delete(j);
        free(h);
    }
    /* nor over a file that is not a database */
    xt_write_file(text, "hello\n", 6);
    d = xt_file_digest(text);
    r = XA(f, "init", "--scope", SCOPE, "--db", text);
    MUST_FAIL(r, 1, "already exists");
    xt_run_free(&r);
    assert_true(xt_file_digest(text) == d);
    free(text);
}

static void test_cli__error_invalid_scope(void **state)
{
    fx *f = *state;
    char node[17];
    char long65[66], long64[65];
    const char *bad[] = {"Hoang Kim", "../x",      "",    long65,     "HoangKim",
                         "-x",        "hoang_kim", "a/b", "hoàng-kim"};
    char *db = xt_path(f->dir, "s.db");
    char *db64 = xt_path(f->dir, "s64.db");
    size_t i;

    memset(long65, 'a', 65);
    long65[65] = '\0';
    memset(long64, 'a', 64);
    long64[64] = '\0';
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xt_run r = XA(f, "init", "--scope", bad[i], "--db", db);

        MUST_FAIL(r, 1, "invalid scope");
        xt_run_free(&r);
        assert_false(file_exists(db));
    }
    /* 64 bytes is the limit, not over it */
    init_db(f, db64, long64, node);
    free(db);
    free(db64);
}

static void test_cli__error_value_not_utf8(void **state)
{
    fx *f = *state;
    char node[17];
    const char *bad[] = {"\xff\xfe",     "Sa\xcc",           "\xc0\xaf",
                         "\xed\xa0\x80", "\xf4\x90\x80\x80", "t\xe1\xba"};
    size_t i;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FAILS(f, f->db, 1, "not valid UTF-8", "set", "e", "f", bad[i], "--db", f->db);
        FAILS(f, f->db, 1, "not valid UTF-8", "set", "e", "g", bad[i], "--db", f->db);
    }
    OUT_IS("v\n", f, "get", "e", "f", "--db", f->db);
}

static void test_cli__error_value_too_large(void **state)
{
    fx *f = *state;
    char node[17];
    size_t n = 70000;
    char *big = malloc(n + 1);
    char *quotes = malloc(40001);

    assert_non_null(big);
    assert_non_null(quotes);
    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    memset(big, 'a', n);
    big[n] = '\0';
    FAILS(f, f->db, 1, "too large", "set", "e", "f", big, "--db", f->db);
    FAILS(f, f->db, 1, "too large", "set", "e", "new", big, "--db", f->db);
    /* the limit is on the JSON text: 65535 a's and two quotes are 65537 */
    big[65535] = '\0';
    FAILS(f, f->db, 1, "too large", "set", "e", "f", big, "--db", f->db);
    /* 40000 '"' are 80002 bytes of JSON text */
    memset(quotes, '"', 40000);
    quotes[40000] = '\0';
    FAILS(f, f->db, 1, "too large", "set", "e", "f", quotes, "--db", f->db);
    OUT_IS("v\n", f, "get", "e", "f", "--db", f->db);
    /* 65534 a's are exactly 65536 bytes of JSON: allowed */
    big[65534] = '\0';
    set_value(f, f->db, "e", "f", big);
    {
        char *out = OUT(f, "get", "e", "f", "--db", f->db);

        assert_int_equal(strlen(out), 65535);
        assert_int_equal(out[65534], '\n');
        free(out);
    }
    free(big);
    free(quotes);
}

static void test_cli__error_get_no_field(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 1, "no field", "get", "e", "f", "--db", f->db);
    set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 1, "no field", "get", "e", "g", "--db", f->db);
    FAILS(f, f->db, 1, "no field", "get", "x", "f", "--db", f->db);
}

static void test_cli__error_ops_not_json(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *text, *trunc = xt_path(f->dir, "trunc.ops");
    char *junk = xt_path(f->dir, "junk.ops");
    size_t len;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "b", "2");
    set_value(f, f->db2, "e", "c", "3");
    file = export_all(f, f->db, "a.ops");
    text = xt_read_file(file, &len);
    assert_true(len > 10);
    xt_write_file(trunc, text, len / 2);
    xt_write_file(junk, "xasync ops, version 1\n", 22);
    FAILS(f, f->db2, 1, "not valid JSON", "apply", trunc, "--db", f->db2);
    FAILS(f, f->db2, 1, "not valid JSON", "apply", junk, "--db", f->db2);
    xt_write_file(junk, "", 0);
    FAILS(f, f->db2, 1, "not valid JSON", "apply", junk, "--db", f->db2);
    /* the same through standard input */
    {
        uint64_t d = xt_db_digest(f->db2);
        xt_run r;

        text[len / 2] = '\0';
        r = XA_IN(f, text, "apply", "-", "--db", f->db2);
        MUST_FAIL(r, 1, "not valid JSON");
        xt_run_free(&r);
        DIGEST_SAME(f->db2, d);
    }
    free(text);
    free(file);
    free(trunc);
    free(junk);
}

static void set_other_scope(cJSON *doc)
{
    assert_true(
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "scope", cJSON_CreateString("other-commune")));
}

static void test_cli__error_ops_other_scope(void **state)
{
    fx *f = *state;
    char na[17], nb[17], nc[17];
    char *file, *edited, *cfile, *dbc = xt_path(f->dir, "c.db");

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    init_db(f, dbc, "xa-khac", nc);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db2, "e", "b", "2");
    set_value(f, dbc, "e", "a", "3");
    file = export_all(f, f->db, "a.ops");
    edited = edited_ops(f, file, "scope.ops", set_other_scope);
    FAILS(f, f->db2, 1, "scope 'other-commune'", "apply", edited, "--db", f->db2);
    cfile = export_all(f, dbc, "c.ops");
    FAILS(f, f->db2, 1, "scope 'xa-khac'", "apply", cfile, "--db", f->db2);
    FAILS(f, dbc, 1, "scope 'hoang-kim'", "apply", file, "--db", dbc);
    free(file);
    free(edited);
    free(cfile);
    free(dbc);
}

static void drop_first_op(cJSON *doc)
{
    cJSON_DeleteItemFromArray(first_node_ops(doc), 0);
}

static void drop_third_op(cJSON *doc)
{
    cJSON_DeleteItemFromArray(first_node_ops(doc), 2);
}

static void test_cli__error_ops_gap(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *gap1, *gap3, *first;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db2, "e", "z", "B's own");
    set_value(f, f->db, "e", "a", "1");
    first = export_all(f, f->db, "first.ops");
    set_value(f, f->db, "e", "b", "2");
    set_value(f, f->db, "e", "c", "3");
    set_value(f, f->db, "e", "d", "4");
    file = export_all(f, f->db, "a.ops");
    gap1 = edited_ops(f, file, "gap1.ops", drop_first_op);
    gap3 = edited_ops(f, file, "gap3.ops", drop_third_op);

    /* B holds nothing of A: ops 2..4 leave a gap at 1 */
    FAILS(f, f->db2, 1, "gap", "apply", gap1, "--db", f->db2);
    FAILS(f, f->db2, 1, "no field", "get", "e", "b", "--db", f->db2);
    /* B holds A1: 1, 2, 4 leave a gap at 3, and nothing is applied */
    apply_ok(f, f->db2, first, 1, 0);
    FAILS(f, f->db2, 1, "gap", "apply", gap3, "--db", f->db2);
    OUT_IS("1\n", f, "get", "e", "a", "--db", f->db2);
    FAILS(f, f->db2, 1, "no field", "get", "e", "b", "--db", f->db2);
    /* a gap in one node's ops refuses the other node's good ops too */
    {
        char nc[17];
        char *dbc = xt_path(f->dir, "c.db");
        char *cfile, *mixed = xt_path(f->dir, "mixed.ops");
        char *ta, *tc, *out;
        cJSON *da, *dc, *cops;

        init_db(f, dbc, SCOPE, nc);
        set_value(f, dbc, "e", "x", "c1");
        set_value(f, dbc, "e", "y", "c2");
        cfile = export_all(f, dbc, "c.ops");
        ta = xt_read_file(file, NULL);
        tc = xt_read_file(cfile, NULL);
        da = PARSE(ta);
        dc = PARSE(tc);
        cops = cJSON_DetachItemFromObjectCaseSensitive(MEMBER(dc, "nodes"), nc);
        assert_non_null(cops);
        cJSON_DeleteItemFromArray(cops, 0);
        cJSON_AddItemToObject(MEMBER(da, "nodes"), nc, cops);
        out = cJSON_PrintUnformatted(da);
        xt_write_file(mixed, out, strlen(out));
        FAILS(f, f->db2, 1, "gap", "apply", mixed, "--db", f->db2);
        FAILS(f, f->db2, 1, "no field", "get", "e", "b", "--db", f->db2);
        cJSON_free(out);
        cJSON_Delete(da);
        cJSON_Delete(dc);
        free(ta);
        free(tc);
        free(cfile);
        free(mixed);
        free(dbc);
    }
    /* the whole file still applies */
    apply_ok(f, f->db2, file, 3, 1);
    free(file);
    free(gap1);
    free(gap3);
    free(first);
}

/* Change the value of op seq 2 of the first node. */
static void forge_value(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(first_node_ops(doc), 1);

    assert_non_null(op);
    assert_true(cJSON_GetArrayItem(op, 0)->valuedouble == 2);
    assert_true(cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("9999")));
}

static void forge_first_value(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(first_node_ops(doc), 0);

    assert_non_null(op);
    assert_true(cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("forged")));
}

static void forge_author(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(first_node_ops(doc), 1);

    assert_non_null(op);
    assert_true(cJSON_ReplaceItemInArray(op, 6, cJSON_CreateString("mallory")));
}

static void test_cli__error_ops_forged(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *forged, *forged1, *forged_author, *file4;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "ind-4", "est", "636,4");
    set_value(f, f->db, "ind-4", "plan", "700");
    set_value(f, f->db, "ind-4", "prev", "600");
    file = export_all(f, f->db, "a.ops");
    apply_ok(f, f->db2, file, 3, 0);
    forged = edited_ops(f, file, "forged.ops", forge_value);
    FAILS(f, f->db2, 1, "forged", "apply", forged, "--db", f->db2);
    OUT_IS("700\n", f, "get", "ind-4", "plan", "--db", f->db2);
    forged_author = edited_ops(f, file, "forged-author.ops", forge_author);
    FAILS(f, f->db2, 1, "forged", "apply", forged_author, "--db", f->db2);

    /* a forged op refuses the whole file, new ops included */
    set_value(f, f->db, "ind-4", "note", "mới");
    file4 = export_all(f, f->db, "a4.ops");
    forged1 = edited_ops(f, file4, "forged1.ops", forge_first_value);
    FAILS(f, f->db2, 1, "forged", "apply", forged1, "--db", f->db2);
    FAILS(f, f->db2, 1, "no field", "get", "ind-4", "note", "--db", f->db2);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db2);
    apply_ok(f, f->db2, file4, 1, 3);
    free(file);
    free(file4);
    free(forged);
    free(forged1);
    free(forged_author);
}

static void test_cli__error_not_ops_file(void **state)
{
    fx *f = *state;
    char node[17];
    const char *docs[] = {"[]", "{\"a\":1}", "\"ops\"", "42", "null", "{}"};
    char *path = xt_path(f->dir, "x.ops");
    size_t i;

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        xt_write_file(path, docs[i], strlen(docs[i]));
        FAILS(f, f->db, 1, "not an ops file", "apply", path, "--db", f->db);
    }
    free(path);
}

static void test_cli__error_apply_missing_file(void **state)
{
    fx *f = *state;
    char node[17];
    char *path = xt_path(f->dir, "nowhere.ops");

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 1, NULL, "apply", path, "--db", f->db);
    assert_false(file_exists(path));
    free(path);
}

static void test_cli__author_defaults_to_login_name(void **state)
{
    fx *f = *state;
    char node[17];
    struct passwd *pw = getpwuid(geteuid());
    char *logname, *user, *out;
    cJSON *j;

    /* (the support takes $XASYNC_AUTHOR out of the child's environment) */
    if (pw == NULL) {
        xt_skip("this user has no passwd entry, so no login name");
        return;
    }
    logname = cat2("LOGNAME=", pw->pw_name);
    user = cat2("USER=", pw->pw_name);
    init_db(f, f->db, SCOPE, node);
    out = OUT_ENV(f, ARGV(logname, user), "set", "e", "f", "v", "--db", f->db);
    STREQ(out, "");
    free(out);
    out = OUT(f, "get", "e", "f", "--json", "--db", f->db);
    j = PARSE(out);
    check_field_obj(j, "e", "f", "v", pw->pw_name, node);
    cJSON_Delete(j);
    free(out);
    free(logname);
    free(user);
}

static void test_cli__error_no_command(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 2, "usage:", "--db", f->db);
    {
        char *dflt = xt_path(f->dir, ".local");
        xt_run r = XA(f, NULL);

        MUST_FAIL(r, 2, "usage:");
        xt_run_free(&r);
        assert_false(file_exists(dflt));
        free(dflt);
    }
}

static void test_cli__error_export_ops_usage(void **state)
{
    fx *f = *state;
    char node[17];

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 2, "usage:", "export-ops", "--db", f->db);
    FAILS(f, f->db, 2, "usage:", "export-ops", "--all", "--have", "{}", "--db", f->db);
    FAILS(f, f->db, 2, "usage:", "export-ops", "--all", "extra", "--db", f->db);
    /* an option that takes a value, without one */
    FAILS(f, f->db, 2, NULL, "get", "e", "f", "--db");
    FAILS(f, f->db, 2, NULL, "--db", f->db, "export-ops", "--have");
}

static void test_cli__error_export_bad_have(void **state)
{
    fx *f = *state;
    char node[17];
    char *missing = xt_path(f->dir, "no.have");
    char *bad = xt_path(f->dir, "bad.have");

    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    xt_write_file(bad, "{\"a\":", 5);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{bad", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"zz\":1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0000000000000000\":1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0123456789abcdef\":\"1\"}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0123456789abcdef\":-1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", missing, "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", bad, "--db", f->db);
    assert_false(file_exists(missing));
    free(missing);
    free(bad);
}

static void test_cli__error_bad_names(void **state)
{
    fx *f = *state;
    char node[17];
    char e129[130], e128[129], f65[66], f64[65];
    const char *bad_entities[] = {"bad entity", "", e129, "ind\t4", "bảng", "a\"b"};
    const char *bad_fields[] = {"f/x", "", f65, "a b", "a:b"};
    size_t i;

    memset(e129, 'e', 129);
    e129[129] = '\0';
    memset(e128, 'e', 128);
    e128[128] = '\0';
    memset(f65, 'f', 65);
    f65[65] = '\0';
    memset(f64, 'f', 64);
    f64[64] = '\0';
    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad_entities / sizeof bad_entities[0]; i++) {
        FAILS(f, f->db, 1, NULL, "set", bad_entities[i], "f", "v", "--db", f->db);
        FAILS(f, f->db, 1, NULL, "get", bad_entities[i], "f", "--db", f->db);
    }
    for (i = 0; i < sizeof bad_fields / sizeof bad_fields[0]; i++) {
        FAILS(f, f->db, 1, NULL, "set", "e", bad_fields[i], "v", "--db", f->db);
        FAILS(f, f->db, 1, NULL, "get", "e", bad_fields[i], "--db", f->db);
    }
    /* the limits themselves are allowed */
    set_value(f, f->db, e128, f64, "v");
    OUT_IS("v\n", f, "get", e128, f64, "--db", f->db);
    set_value(f, f->db, "report-2024-h1/ind.4:a_b-c", "est_2.x-y", "v");
}

static void test_cli__error_bad_author(void **state)
{
    fx *f = *state;
    char node[17];
    char a129[130], a128[129];
    const char *bad[] = {"a\tb", "a\nb", "\xff\xfe", a129};
    size_t i;

    memset(a129, 'a', 129);
    a129[129] = '\0';
    memset(a128, 'a', 128);
    a128[128] = '\0';
    init_db(f, f->db, SCOPE, node);
    set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *env = cat2("XASYNC_AUTHOR=", bad[i]);
        uint64_t d = xt_db_digest(f->db);
        xt_run r;

        FAILS(f, f->db, 1, NULL, "set", "e", "f", "w", "--author", bad[i], "--db", f->db);
        r = XA_ENV(f, ARGV(env), "set", "e", "f", "w", "--db", f->db);
        MUST_FAIL(r, 1, NULL);
        xt_run_free(&r);
        DIGEST_SAME(f->db, d);
        free(env);
    }
    OUT_IS("", f, "set", "e", "f", "w", "--author", a128, "--db", f->db);
    OUT_IS("w\n", f, "get", "e", "f", "--db", f->db);
}

/* Edits that make one op of an ops document malformed. */
static void op_entity_space(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 1,
                             cJSON_CreateString("bad entity"));
}
static void op_field_empty(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 2, cJSON_CreateString(""));
}
static void op_seq_zero(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 0, cJSON_CreateNumber(0));
}
static void op_seq_negative(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 0, cJSON_CreateNumber(-1));
}
static void op_seq_fraction(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(1.5));
}
static void op_seq_string(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 0,
                             cJSON_CreateString("1"));
}
static void op_seq_huge(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(1e300));
}
static void op_short(cJSON *doc)
{
    cJSON_DeleteItemFromArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 6);
}
static void op_ctx_array(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 4, cJSON_CreateArray());
}
static void op_ctx_bad_node(cJSON *doc)
{
    cJSON *ctx = cJSON_CreateObject();

    cJSON_AddNumberToObject(ctx, "zz", 1);
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 4, ctx);
}
static void op_hlc_string(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 5,
                             cJSON_CreateString("now"));
}
static void op_author_number(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 6, cJSON_CreateNumber(7));
}
static void op_not_array(cJSON *doc)
{
    cJSON_ReplaceItemInArray(first_node_ops(doc), 0, cJSON_CreateObject());
}
static void op_value_too_large(cJSON *doc)
{
    char *big = malloc(70001);

    assert_non_null(big);
    memset(big, 'a', 70000);
    big[70000] = '\0';
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 3,
                             cJSON_CreateString(big));
    free(big);
}
static void node_key_bad(cJSON *doc)
{
    cJSON *nodes = MEMBER(doc, "nodes");
    cJSON *ops = cJSON_DetachItemViaPointer(nodes, nodes->child);

    cJSON_AddItemToObject(nodes, "not-a-node", ops);
}
static void node_key_zero(cJSON *doc)
{
    cJSON *nodes = MEMBER(doc, "nodes");
    cJSON *ops = cJSON_DetachItemViaPointer(nodes, nodes->child);

    cJSON_AddItemToObject(nodes, "0000000000000000", ops);
}
static void nodes_array(cJSON *doc)
{
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "nodes", cJSON_CreateArray());
}
static void version_two(cJSON *doc)
{
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "version", cJSON_CreateNumber(2));
}

static void test_cli__error_ops_malformed_op(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    static void (*const edits[])(cJSON *) = {
        op_entity_space, op_field_empty,   op_seq_zero,  op_seq_negative,    op_seq_fraction,
        op_seq_string,   op_seq_huge,      op_short,     op_ctx_array,       op_ctx_bad_node,
        op_hlc_string,   op_author_number, op_not_array, op_value_too_large, node_key_bad,
        node_key_zero,   nodes_array,      version_two,
    };
    char *file;
    size_t i;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "b", "2");
    set_value(f, f->db2, "e", "z", "B's own");
    file = export_all(f, f->db, "a.ops");
    for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char name[32];
        char *bad;
        uint64_t d = xt_db_digest(f->db2);
        xt_run r;

        snprintf(name, sizeof name, "bad%zu.ops", i);
        bad = edited_ops(f, file, name, edits[i]);
        r = XA(f, "apply", bad, "--db", f->db2);
        if (r.status != 1 || r.outlen != 0 || !one_error_line(&r))
            fail_msg("malformed ops file #%zu: expected exit 1 and one error line;\n"
                     "got exit %d\nstdout: [%s]\nstderr: [%s]",
                     i, r.status, r.out, r.err);
        xt_run_free(&r);
        if (xt_db_digest(f->db2) != d)
            fail_msg("malformed ops file #%zu changed the database", i);
        free(bad);
    }
    apply_ok(f, f->db2, file, 2, 0);
    free(file);
}

static void reverse_ops(cJSON *doc)
{
    cJSON *ops = first_node_ops(doc);
    int n = cJSON_GetArraySize(ops), i;

    /* move each op in turn to the front */
    for (i = 1; i < n; i++) {
        cJSON *op = cJSON_DetachItemFromArray(ops, i);

        cJSON_InsertItemInArray(ops, 0, op);
    }
}

static void test_cli__apply_accepts_any_order(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *rev, *text;
    cJSON *doc;
    double seqs[8];

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db, "e", "a", "2");
    set_value(f, f->db, "e", "a", "3");
    file = export_all(f, f->db, "a.ops");
    rev = edited_ops(f, file, "rev.ops", reverse_ops);
    text = xt_read_file(rev, NULL);
    doc = PARSE(text);
    assert_int_equal(node_seqs(ops_nodes(doc, SCOPE), na, seqs, 8), 3);
    assert_true(seqs[0] == 3 && seqs[2] == 1);
    cJSON_Delete(doc);
    free(text);
    apply_ok(f, f->db2, rev, 3, 0);
    OUT_IS("3\n", f, "get", "e", "a", "--db", f->db2);
    OUT_IS("e\ta\t3\n", f, "show", "--db", f->db2);
    free(file);
    free(rev);
}

static void op_value_not_utf8(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(first_node_ops(doc), 0), 3,
                             cJSON_CreateString("S\xe1n l\xff\xfe"));
}

static void test_cli__error_ops_bad_value(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *bad8, *big;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "e", "a", "1");
    set_value(f, f->db2, "e", "z", "B's own");
    file = export_all(f, f->db, "a.ops");
    bad8 = edited_ops(f, file, "bad8.ops", op_value_not_utf8);
    big = edited_ops(f, file, "big.ops", op_value_too_large);
    FAILS(f, f->db2, 1, "not valid UTF-8", "apply", bad8, "--db", f->db2);
    FAILS(f, f->db2, 1, "too large", "apply", big, "--db", f->db2);
    apply_ok(f, f->db2, file, 1, 0);
    free(file);
    free(bad8);
    free(big);
}

static void test_cli__three_way_conflict(void **state)
{
    fx *f = *state;
    char na[17], nb[17], nc[17];
    char *dbc = xt_path(f->dir, "c.db");
    char *fa, *fb, *fc, *out, *l[LINES_MAX], *p[FIELDS_MAX];
    size_t n;
    xt_run r;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    init_db(f, dbc, SCOPE, nc);
    set_value(f, f->db, "ind-4", "est", "600");
    set_value(f, f->db2, "ind-4", "est", "636,4");
    set_value(f, dbc, "ind-4", "est", "640");
    fa = export_all(f, f->db, "a.ops");
    fb = export_all(f, f->db2, "b.ops");
    apply_ok(f, dbc, fa, 1, 0);
    apply_ok(f, dbc, fb, 1, 0);
    r = XA(f, "get", "ind-4", "est", "--db", dbc);
    error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
    assert_int_equal(split_lines(r.out, l, LINES_MAX), 3);
    xt_run_free(&r);
    out = OUT(f, "show", "--db", dbc);
    if (strncmp(out, "ind-4\test\t", 10) != 0 || strstr(out, "\t[conflict: 3 values]\n") == NULL)
        fail_msg("show: [%s]", out);
    free(out);

    r = XA(f, "resolve", "ind-4", "est", "636,4", "--author", "chi", "--db", dbc);
    MUST_OK(r);
    xt_run_free(&r);
    out = OUT(f, "log", "--db", dbc);
    n = split_lines(out, l, LINES_MAX);
    assert_int_equal(n, 4);
    assert_int_equal(split_tabs(l[3], p, FIELDS_MAX), 6);
    {
        /* the three values, in some order, joined by " | " */
        const char *vals[] = {"600", "636,4", "640"};
        size_t i;

        if (strlen(p[5]) != strlen("600 | 636,4 | 640 -> 636,4") ||
            strcmp(p[5] + strlen(p[5]) - strlen(" -> 636,4"), " -> 636,4") != 0)
            fail_msg("resolve's log entry: [%s]", p[5]);
        for (i = 0; i < 3; i++)
            assert_non_null(strstr(p[5], vals[i]));
        assert_non_null(strstr(p[5], " | "));
    }
    free(out);

    /* A gets everything from C: B's and C's first ops are superseded on
     * arrival, but they are new ops and join A's journal */
    fc = export_all(f, dbc, "c.ops");
    apply_ok(f, f->db, fc, 3, 1);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", f->db);
    out = OUT(f, "log", "ind-4", "est", "--db", f->db);
    assert_int_equal(split_lines(out, l, LINES_MAX), 4);
    free(out);
    apply_ok(f, f->db2, fc, 3, 1);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db2);
    free(fa);
    free(fb);
    free(fc);
    free(dbc);
}

static double future_hlc;

static void op_hlc_future(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(first_node_ops(doc), 0);

    future_hlc = cJSON_GetArrayItem(op, 5)->valuedouble + 86400000.0;
    cJSON_ReplaceItemInArray(op, 5, cJSON_CreateNumber(future_hlc));
}

static void test_cli__hlc_never_behind_received(void **state)
{
    fx *f = *state;
    char na[17], nb[17];
    char *file, *fut, *out;
    cJSON *j;

    init_db(f, f->db, SCOPE, na);
    init_db(f, f->db2, SCOPE, nb);
    set_value(f, f->db, "ind-4", "est", "600");
    file = export_all(f, f->db, "a.ops");
    /* A's clock runs a day ahead: B sees its op, then writes over it */
    fut = edited_ops(f, file, "future.ops", op_hlc_future);
    apply_ok(f, f->db2, fut, 1, 0);
    OUT_IS("", f, "set", "ind-4", "est", "636,4", "--author", "binh", "--db", f->db2);
    out = OUT(f, "log", "--json", "--db", f->db2);
    j = PARSE(out);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    /* oldest first, and B's write, which saw A's, comes after it */
    STREQ(JSTR(cJSON_GetArrayItem(j, 0), "node"), na);
    STREQ(JSTR(cJSON_GetArrayItem(j, 1), "node"), nb);
    assert_true(JNUM(cJSON_GetArrayItem(j, 0), "hlc") == future_hlc);
    if (!(JNUM(cJSON_GetArrayItem(j, 1), "hlc") > future_hlc))
        fail_msg("B's write (hlc %.0f) is not after the op it replaced (hlc %.0f)",
                 JNUM(cJSON_GetArrayItem(j, 1), "hlc"), future_hlc);
    cJSON_Delete(j);
    free(out);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db2);
    free(file);
    free(fut);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cli__init_creates_database_and_folder),
        T(test_cli__set_is_silent_and_get_prints_value),
        T(test_cli__values_that_look_like_options),
        T(test_cli__db_option_anywhere_and_env),
        T(test_cli__default_db_under_home),
        T(test_cli__get_json_has_documented_members),
        T(test_cli__show_lists_fields),
        T(test_cli__log_shows_before_after_and_authors),
        T(test_cli__log_json),
        T(test_cli__have_prints_version_vector),
        T(test_cli__help_for_each_command),
        T(test_cli__export_all_then_apply),
        T(test_cli__export_have_gives_only_missing),
        T(test_cli__apply_twice_changes_nothing),
        T(test_cli__conflict_kept_and_resolved),
        T(test_cli__resolve_not_in_conflict),
        T(test_cli__error_unknown_command),
        T(test_cli__error_unknown_option),
        T(test_cli__error_wrong_arg_count),
        T(test_cli__error_missing_database),
        T(test_cli__error_not_xasync_database),
        T(test_cli__error_second_init),
        T(test_cli__error_invalid_scope),
        T(test_cli__error_value_not_utf8),
        T(test_cli__error_value_too_large),
        T(test_cli__error_get_no_field),
        T(test_cli__error_ops_not_json),
        T(test_cli__error_ops_other_scope),
        T(test_cli__error_ops_gap),
        T(test_cli__error_ops_forged),
        T(test_cli__error_not_ops_file),
        T(test_cli__error_apply_missing_file),
        T(test_cli__author_defaults_to_login_name),
        T(test_cli__error_no_command),
        T(test_cli__error_export_ops_usage),
        T(test_cli__error_export_bad_have),
        T(test_cli__error_bad_names),
        T(test_cli__error_bad_author),
        T(test_cli__error_ops_malformed_op),
        T(test_cli__apply_accepts_any_order),
        T(test_cli__error_ops_bad_value),
        T(test_cli__three_way_conflict),
        T(test_cli__hlc_never_behind_received),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
