/*
 * The `xasync` command refusing bad usage against its contract (tests/client/contract.md):
 * commands, options, arguments, databases, names, values.
 *
 * The real binary, run as a process, on real database files; every test in
 * its own temporary folder, which is HOME too (tests/support/cli.h).
 *
 * What an error must look like, everywhere: the documented exit code, ONE
 * line on stderr starting with "xasync: " and holding the documented
 * fragment, nothing on stdout, and the database as it was (same logical
 * digest; same bytes for a file that is not an xasync database; still absent
 * for a missing one).
 */
#include "cli.h"

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

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */

static void test_cli__error_unknown_command(void **state)
{
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 2, "unknown command 'foo'", "--db", f->db, "foo");
    FAILS(f, f->db, 2, "unknown command 'foo'", "foo", "e", "f", "--db", f->db);
}

static void test_cli__error_unknown_option(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *fresh = xt_path(f->dir, "fresh.db");

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "get", "e", "f", "--bogus", "--db", f->db);
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--bogus", "get", "e", "f", "--db", f->db);
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "set", "e", "f", "w", "--bogus");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "show", "--bogus");
    FAILS(f, f->db, 2, "unknown option '--bogus'", "--db", f->db, "export-ops", "--all", "--bogus");
    /* nothing is created on a usage error */
    FAILS(f, fresh, 2, "unknown option '--bogus'", "init", "--scope", SCOPE, "--bogus", "--db",
          fresh);
    assert_false(xt_file_exists(fresh));
    free(fresh);
}

static void test_cli__error_wrong_arg_count(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *file;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    file = xt_export_all(f, f->db, "a.ops");
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
    xt_cli *f = *state;
    char node[17];
    char *missing = xt_path(f->dir, "none.db");
    char *nofolder = xt_path(f->dir, "nofolder/x.db");
    char *folder = xt_path(f->dir, "nofolder");
    char *env = xt_cat2("XASYNC_DB=", missing);
    char *file;
    const char *const dbs[] = {missing, nofolder};
    size_t i;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    file = xt_export_all(f, f->db, "a.ops");
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
            xt_run r = xt_cli_run(f, NULL, NULL, cmds[k]);

            MUST_FAIL(r, 1, "no xasync database at");
            if (strstr(r.err, db) == NULL)
                fail_msg("the message does not name %s: [%s]", db, r.err);
            xt_run_free(&r);
            assert_false(xt_file_exists(db));
            assert_false(xt_file_exists(folder));
        }
    }
    {
        xt_run r = XA_ENV(f, ARGV(env), "set", "e", "f", "v");

        MUST_FAIL(r, 1, "no xasync database at");
        xt_run_free(&r);
        assert_false(xt_file_exists(missing));
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
        assert_false(xt_file_exists(dflt));
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
    xt_cli *f = *state;
    char node[17];
    char *text = xt_path(f->dir, "notes.txt");
    char *empty = xt_path(f->dir, "empty.db");
    char *foreign = xt_path(f->dir, "foreign.db");
    char *file;
    const char *const paths[] = {text, empty, foreign};
    size_t i;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    file = xt_export_all(f, f->db, "a.ops");
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
            xt_run r = xt_cli_run(f, NULL, NULL, cmds[k]);

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
    xt_cli *f = *state;
    char node[17];
    char *text = xt_path(f->dir, "notes.txt");
    uint64_t d;
    xt_run r;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
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
    xt_cli *f = *state;
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
        assert_false(xt_file_exists(db));
    }
    /* 64 bytes is the limit, not over it */
    xt_init_db(f, db64, long64, node);
    free(db);
    free(db64);
}

static void test_cli__error_value_not_utf8(void **state)
{
    xt_cli *f = *state;
    char node[17];
    const char *bad[] = {"\xff\xfe",     "Sa\xcc",           "\xc0\xaf",
                         "\xed\xa0\x80", "\xf4\x90\x80\x80", "t\xe1\xba"};
    size_t i;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FAILS(f, f->db, 1, "not valid UTF-8", "set", "e", "f", bad[i], "--db", f->db);
        FAILS(f, f->db, 1, "not valid UTF-8", "set", "e", "g", bad[i], "--db", f->db);
    }
    OUT_IS("v\n", f, "get", "e", "f", "--db", f->db);
}

static void test_cli__error_value_too_large(void **state)
{
    xt_cli *f = *state;
    char node[17];
    size_t n = 70000;
    char *big = malloc(n + 1);
    char *quotes = malloc(40001);

    assert_non_null(big);
    assert_non_null(quotes);
    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
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
    xt_set_value(f, f->db, "e", "f", big);
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
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 1, "no field", "get", "e", "f", "--db", f->db);
    xt_set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 1, "no field", "get", "e", "g", "--db", f->db);
    FAILS(f, f->db, 1, "no field", "get", "x", "f", "--db", f->db);
}

static void test_cli__error_no_command(void **state)
{
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
    FAILS(f, f->db, 2, "usage:", "--db", f->db);
    {
        char *dflt = xt_path(f->dir, ".local");
        xt_run r = XA(f, NULL);

        MUST_FAIL(r, 2, "usage:");
        xt_run_free(&r);
        assert_false(xt_file_exists(dflt));
        free(dflt);
    }
}

static void test_cli__error_export_ops_usage(void **state)
{
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 2, "usage:", "export-ops", "--db", f->db);
    FAILS(f, f->db, 2, "usage:", "export-ops", "--all", "--have", "{}", "--db", f->db);
    FAILS(f, f->db, 2, "usage:", "export-ops", "--all", "extra", "--db", f->db);
    /* an option that takes a value, without one */
    FAILS(f, f->db, 2, NULL, "get", "e", "f", "--db");
    FAILS(f, f->db, 2, NULL, "--db", f->db, "export-ops", "--have");
}

static void test_cli__error_export_bad_have(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *missing = xt_path(f->dir, "no.have");
    char *bad = xt_path(f->dir, "bad.have");

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    xt_write_file(bad, "{\"a\":", 5);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{bad", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"zz\":1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0000000000000000\":1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0123456789abcdef\":\"1\"}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", "{\"0123456789abcdef\":-1}", "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", missing, "--db", f->db);
    FAILS(f, f->db, 1, NULL, "export-ops", "--have", bad, "--db", f->db);
    assert_false(xt_file_exists(missing));
    free(missing);
    free(bad);
}

static void test_cli__error_bad_names(void **state)
{
    xt_cli *f = *state;
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
    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad_entities / sizeof bad_entities[0]; i++) {
        FAILS(f, f->db, 1, NULL, "set", bad_entities[i], "f", "v", "--db", f->db);
        FAILS(f, f->db, 1, NULL, "get", bad_entities[i], "f", "--db", f->db);
    }
    for (i = 0; i < sizeof bad_fields / sizeof bad_fields[0]; i++) {
        FAILS(f, f->db, 1, NULL, "set", "e", bad_fields[i], "v", "--db", f->db);
        FAILS(f, f->db, 1, NULL, "get", "e", bad_fields[i], "--db", f->db);
    }
    /* the limits themselves are allowed */
    xt_set_value(f, f->db, e128, f64, "v");
    OUT_IS("v\n", f, "get", e128, f64, "--db", f->db);
    xt_set_value(f, f->db, "report-2024-h1/ind.4:a_b-c", "est_2.x-y", "v");
}

static void test_cli__error_bad_author(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char a129[130], a128[129];
    const char *bad[] = {"a\tb", "a\nb", "\xff\xfe", a129};
    size_t i;

    memset(a129, 'a', 129);
    a129[129] = '\0';
    memset(a128, 'a', 128);
    a128[128] = '\0';
    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *env = xt_cat2("XASYNC_AUTHOR=", bad[i]);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        XT_CLI_TEST(test_cli__error_unknown_command),
        XT_CLI_TEST(test_cli__error_unknown_option),
        XT_CLI_TEST(test_cli__error_wrong_arg_count),
        XT_CLI_TEST(test_cli__error_missing_database),
        XT_CLI_TEST(test_cli__error_not_xasync_database),
        XT_CLI_TEST(test_cli__error_second_init),
        XT_CLI_TEST(test_cli__error_invalid_scope),
        XT_CLI_TEST(test_cli__error_value_not_utf8),
        XT_CLI_TEST(test_cli__error_value_too_large),
        XT_CLI_TEST(test_cli__error_get_no_field),
        XT_CLI_TEST(test_cli__error_no_command),
        XT_CLI_TEST(test_cli__error_export_ops_usage),
        XT_CLI_TEST(test_cli__error_export_bad_have),
        XT_CLI_TEST(test_cli__error_bad_names),
        XT_CLI_TEST(test_cli__error_bad_author),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
