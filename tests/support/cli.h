/*
 * Test support for suites that run the `xasync` command (tests/client):
 * a fixture folder that is also HOME, running the command in it, the checks
 * every such suite makes (success, the one-line error, output, the
 * database unchanged), reading its JSON, and making replicas and ops files.
 *
 * The checks fail the running cmocka test with the caller's file and line.
 * Include after <cmocka.h>.
 */
#ifndef XA_TEST_CLI_H
#define XA_TEST_CLI_H

#include "support.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define SCOPE "hoang-kim"
#define LINES_MAX 64
#define FIELDS_MAX 16

/* A test's folder (HOME points there too, so the default database path
 * never reaches the real home) with two replicas' paths in it. */
typedef struct xt_cli {
    char *dir;
    char *db;   /* dir/a.db: replica A */
    char *db2;  /* dir/b.db: replica B */
    char *home; /* "HOME=dir" */
} xt_cli;

/* cmocka setup and teardown: make the folder; remove it and all in it. */
int xt_cli_setup(void **state);
int xt_cli_teardown(void **state);
/* A cmocka test with that fixture. */
#define XT_CLI_TEST(name) cmocka_unit_test_setup_teardown(name, xt_cli_setup, xt_cli_teardown)

int xt_file_exists(const char *path);

/* A NULL-terminated argv or env array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Run xasync with HOME in the fixture folder plus `env` (may be NULL). */
xt_run xt_cli_run(const xt_cli *f, const char *in, const char *const *env, const char *const *argv);
#define XA(f, ...) xt_cli_run((f), NULL, NULL, ARGV(__VA_ARGS__))
#define XA_IN(f, in, ...) xt_cli_run((f), (in), NULL, ARGV(__VA_ARGS__))
#define XA_ENV(f, env, ...) xt_cli_run((f), NULL, (env), ARGV(__VA_ARGS__))

/* Exit 0 and nothing on stderr. */
void xt_ok_at(const xt_run *r, const char *file, int line);
#define MUST_OK(r) xt_ok_at(&(r), __FILE__, __LINE__)
/* stderr is one line "xasync: ...\n" */
int xt_one_error_line(const xt_run *r);
/* An error: exit code, one "xasync: " line holding frag (NULL: any), and,
 * with want_stdout_empty, nothing on stdout. */
void xt_error_at(
    const xt_run *r, int code, const char *frag, int want_stdout_empty, const char *file, int line);
#define MUST_FAIL(r, code, frag) xt_error_at(&(r), (code), (frag), 1, __FILE__, __LINE__)

void xt_streq_at(const char *got, const char *want, const char *file, int line);
#define STREQ(got, want) xt_streq_at((got), (want), __FILE__, __LINE__)

/* Run, require success, return stdout (the caller frees). */
char *xt_ok_out_at(const xt_cli *f,
                   const char *in,
                   const char *const *env,
                   const char *const *argv,
                   const char *file,
                   int line);
#define OUT(f, ...) xt_ok_out_at((f), NULL, NULL, ARGV(__VA_ARGS__), __FILE__, __LINE__)
#define OUT_ENV(f, env, ...) xt_ok_out_at((f), NULL, (env), ARGV(__VA_ARGS__), __FILE__, __LINE__)

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

/* Run argv against `db` (already made), expect the error, db unchanged. */
void xt_fails_unchanged_at(const xt_cli *f,
                           const char *db,
                           const char *const *argv,
                           int code,
                           const char *frag,
                           const char *file,
                           int line);
#define FAILS(f, db, code, frag, ...)                                                              \
    xt_fails_unchanged_at((f), (db), ARGV(__VA_ARGS__), (code), (frag), __FILE__, __LINE__)

/* Split `s` in place at each '\n'; s must end with '\n'.  Returns the count. */
size_t xt_split_lines(char *s, char **lines, size_t max);
/* Split one line in place at each tab.  Returns the count of parts. */
size_t xt_split_tabs(char *s, char **parts, size_t max);

/* ISO-8601 UTC: YYYY-MM-DDTHH:MM:SS[.fff]Z (or +00:00), near now. */
void xt_check_time_at(const char *t, const char *file, int line);
#define CHECK_TIME(t) xt_check_time_at((t), __FILE__, __LINE__)
/* The TIME column of the text forms: the spec fixes no format, so only a
 * date and a time of day, starting YYYY-MM-DD. */
void xt_check_text_time_at(const char *t, const char *file, int line);
#define CHECK_TEXT_TIME(t) xt_check_text_time_at((t), __FILE__, __LINE__)
/* 16 lower-case hex digits. */
void xt_check_node_hex(const char *s);

/* JSON: parse, or a member that must be there (of that type). */
cJSON *xt_parse_at(const char *text, const char *file, int line);
#define PARSE(text) xt_parse_at((text), __FILE__, __LINE__)
cJSON *xt_member_at(const cJSON *obj, const char *name, const char *file, int line);
#define MEMBER(obj, name) xt_member_at((obj), (name), __FILE__, __LINE__)
const char *xt_jstr_at(const cJSON *obj, const char *name, const char *file, int line);
#define JSTR(obj, name) xt_jstr_at((obj), (name), __FILE__, __LINE__)
double xt_jnum_at(const cJSON *obj, const char *name, const char *file, int line);
#define JNUM(obj, name) xt_jnum_at((obj), (name), __FILE__, __LINE__)
int xt_jbool_at(const cJSON *obj, const char *name, const char *file, int line);
#define JBOOL(obj, name) xt_jbool_at((obj), (name), __FILE__, __LINE__)

/* One of get's "values": {"value","author","time","hlc","node","seq"}. */
void xt_check_value_obj(const cJSON *v, const char *value, const char *author, const char *node);
/* One object of get/show --json with a single value. */
void xt_check_field_obj(const cJSON *o,
                        const char *entity,
                        const char *field,
                        const char *value,
                        const char *author,
                        const char *node);

/* init `db` for `scope`, check the "created" line, return the node id. */
void xt_init_db(const xt_cli *f, const char *db, const char *scope, char node[17]);
/* `set` with author "test", which prints nothing. */
void xt_set_value(const xt_cli *f, const char *db, const char *e, const char *fl, const char *v);
/* `export-ops --all` of db, written to dir/name; returns the path. */
char *xt_export_all(const xt_cli *f, const char *db, const char *name);
/* `apply` that says it applied `applied` ops and already held `held`. */
void xt_apply_ok(const xt_cli *f, const char *db, const char *file, size_t applied, size_t held);

/* Check an ops document's envelope; returns its "nodes" object. */
cJSON *xt_ops_nodes(const cJSON *doc, const char *scope);
/* The seqs of one node's ops in a document, checking each op's shape:
 * [seq, entity, field, value, ctx, hlc, author]. */
size_t xt_node_seqs(const cJSON *nodes, const char *node, double *seqs, size_t max);
/* Parse an ops file, let `edit` change it, write it to dir/name. */
char *xt_edited_ops(const xt_cli *f, const char *src, const char *name, void (*edit)(cJSON *doc));
/* The first (only) node's op array of a document. */
cJSON *xt_first_node_ops(cJSON *doc);

#endif
