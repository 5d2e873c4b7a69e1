/*
 * The `xasync` command on one copy against its contract (tests/client/contract.md):
 * init, set, get, show, log, have, help, the author.
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

static void test_cli__init_creates_database_and_folder(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *db = xt_path(f->dir, "deep/er/x.db");

    xt_init_db(f, db, SCOPE, node);
    OUT_IS("{}\n", f, "have", "--db", db);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", db);
    OUT_IS("[]\n", f, "conflicts", "--json", "--db", db);
    OUT_IS("", f, "show", "--db", db);
    OUT_IS("", f, "log", "--db", db);
    free(db);
}

static void test_cli__set_is_silent_and_get_prints_value(void **state)
{
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
    OUT_IS("", f, "--db", f->db, "set", "report-2024-h1", "title", "Báo cáo sơ kết 6 tháng",
           "--author", "Nguyễn Thị Hoa");
    OUT_IS("Báo cáo sơ kết 6 tháng\n", f, "--db", f->db, "get", "report-2024-h1", "title");
    /* a later write replaces the value */
    OUT_IS("", f, "--db", f->db, "set", "report-2024-h1", "title", "Báo cáo năm");
    OUT_IS("Báo cáo năm\n", f, "--db", f->db, "get", "report-2024-h1", "title");
}

static void test_cli__values_that_look_like_options(void **state)
{
    xt_cli *f = *state;
    char node[17];

    xt_init_db(f, f->db, SCOPE, node);
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
    xt_cli *f = *state;
    char node[17];
    char *eq = xt_cat2("--db=", f->db);
    char *env = xt_cat2("XASYNC_DB=", f->db);
    char *other = xt_path(f->dir, "other.db");
    char *env_other = xt_cat2("XASYNC_DB=", other);

    xt_init_db(f, f->db, SCOPE, node);
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
        assert_false(xt_file_exists(other));
        OUT_IS("8\n", f, "get", "e", "h", "--db", f->db);
    }
    free(eq);
    free(env);
    free(other);
    free(env_other);
}

static void test_cli__default_db_under_home(void **state)
{
    xt_cli *f = *state;
    char *dflt = xt_path(f->dir, ".local/share/xasync/xasync.db");
    char want[4096];
    char *out = OUT(f, "init", "--scope", SCOPE);

    assert_true(xt_file_exists(dflt));
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
    xt_cli *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "ind-4", "est", "old");
    OUT_IS("", f, "set", "ind-4", "est", "636,4", "--author", "Trần Văn Bình", "--db", f->db);
    out = OUT(f, "get", "ind-4", "est", "--json", "--db", f->db);
    j = PARSE(out);
    xt_check_field_obj(j, "ind-4", "est", "636,4", "Trần Văn Bình", node);
    assert_true(JNUM(cJSON_GetArrayItem(MEMBER(j, "values"), 0), "seq") == 2);
    cJSON_Delete(j);
    free(out);
}

static void test_cli__show_lists_fields(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "report-2024-h1", "title", "Báo cáo sơ kết");
    xt_set_value(f, f->db, "ind-4", "name", "Sản lượng lúa");
    xt_set_value(f, f->db, "ind-4", "unit", "tấn");
    xt_set_value(f, f->db, "ind-4", "est", "636,4");
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
    xt_check_field_obj(cJSON_GetArrayItem(j, 0), "ind-4", "est", "636,4", "test", node);
    xt_check_field_obj(cJSON_GetArrayItem(j, 1), "ind-4", "name", "Sản lượng lúa", "test", node);
    xt_check_field_obj(cJSON_GetArrayItem(j, 2), "ind-4", "unit", "tấn", "test", node);
    xt_check_field_obj(cJSON_GetArrayItem(j, 3), "report-2024-h1", "title", "Báo cáo sơ kết",
                       "test", node);
    cJSON_Delete(j);
    free(out);

    out = OUT(f, "show", "report-2024-h1", "--json", "--db", f->db);
    j = PARSE(out);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    xt_check_field_obj(cJSON_GetArrayItem(j, 0), "report-2024-h1", "title", "Báo cáo sơ kết",
                       "test", node);
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
    size_t n = xt_split_tabs(line, p, FIELDS_MAX);

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
    xt_cli *f = *state;
    char node[17];
    char *out, *l[LINES_MAX];

    xt_init_db(f, f->db, SCOPE, node);
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
    assert_int_equal(xt_split_lines(out, l, LINES_MAX), 4);
    check_log_line(l[0], "Nguyễn Thị Hoa", node, "ind-4", "est", "(none) -> 1");
    check_log_line(l[1], "binh", node, "ind-4", "est", "1 -> 2");
    check_log_line(l[2], "chi", node, "ind-4", "est", "2 -> 3");
    check_log_line(l[3], "an", node, "b-1", "text", "(none) -> - item");
    free(out);

    out = OUT(f, "log", "ind-4", "--db", f->db);
    assert_int_equal(xt_split_lines(out, l, LINES_MAX), 3);
    check_log_line(l[2], "chi", node, "ind-4", "est", "2 -> 3");
    free(out);
    out = OUT(f, "log", "ind-4", "est", "--db", f->db);
    assert_int_equal(xt_split_lines(out, l, LINES_MAX), 3);
    free(out);
    out = OUT(f, "log", "ind-4", "name", "--db", f->db);
    STREQ(out, "");
    free(out);
    out = OUT(f, "log", "b-1", "--db", f->db);
    assert_int_equal(xt_split_lines(out, l, LINES_MAX), 1);
    check_log_line(l[0], "an", node, "b-1", "text", "(none) -> - item");
    free(out);

    /* get shows the last author */
    {
        cJSON *j;

        out = OUT(f, "get", "ind-4", "est", "--json", "--db", f->db);
        j = PARSE(out);
        xt_check_field_obj(j, "ind-4", "est", "3", "chi", node);
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
    xt_cli *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    xt_init_db(f, f->db, SCOPE, node);
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
    xt_cli *f = *state;
    char node[17];
    char *out;
    cJSON *j;

    xt_init_db(f, f->db, SCOPE, node);
    OUT_IS("{}\n", f, "have", "--json", "--db", f->db);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "a", "2");
    xt_set_value(f, f->db, "e", "b", "3");
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
    xt_cli *f = *state;
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
            xt_run r = xt_cli_run(f, NULL, NULL, forms[k]);

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
    assert_false(xt_file_exists(missing));
    assert_false(xt_file_exists(dflt));
    free(missing);
    free(dflt);
}

static void test_cli__author_defaults_to_login_name(void **state)
{
    xt_cli *f = *state;
    char node[17];
    struct passwd *pw = getpwuid(geteuid());
    char *logname, *user, *out;
    cJSON *j;

    /* (the support takes $XASYNC_AUTHOR out of the child's environment) */
    if (pw == NULL) {
        xt_skip("this user has no passwd entry, so no login name");
        return;
    }
    logname = xt_cat2("LOGNAME=", pw->pw_name);
    user = xt_cat2("USER=", pw->pw_name);
    xt_init_db(f, f->db, SCOPE, node);
    out = OUT_ENV(f, ARGV(logname, user), "set", "e", "f", "v", "--db", f->db);
    STREQ(out, "");
    free(out);
    out = OUT(f, "get", "e", "f", "--json", "--db", f->db);
    j = PARSE(out);
    xt_check_field_obj(j, "e", "f", "v", pw->pw_name, node);
    cJSON_Delete(j);
    free(out);
    free(logname);
    free(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XT_CLI_TEST(test_cli__init_creates_database_and_folder),
        XT_CLI_TEST(test_cli__set_is_silent_and_get_prints_value),
        XT_CLI_TEST(test_cli__values_that_look_like_options),
        XT_CLI_TEST(test_cli__db_option_anywhere_and_env),
        XT_CLI_TEST(test_cli__default_db_under_home),
        XT_CLI_TEST(test_cli__get_json_has_documented_members),
        XT_CLI_TEST(test_cli__show_lists_fields),
        XT_CLI_TEST(test_cli__log_shows_before_after_and_authors),
        XT_CLI_TEST(test_cli__log_json),
        XT_CLI_TEST(test_cli__have_prints_version_vector),
        XT_CLI_TEST(test_cli__help_for_each_command),
        XT_CLI_TEST(test_cli__author_defaults_to_login_name),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
