/*
 * The `xasync` command between copies against its contract (tests/client/contract.md):
 * ops files by USB stick (export-ops, apply) and conflicts.
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
/* USB-stick transport                                                     */

static void test_cli__export_all_then_apply(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *text, *ha, *hb;
    cJSON *doc;
    double seqs[16];

    xt_init_db(f, f->db, SCOPE, na);
    xt_set_value(f, f->db, "report-2024-h1", "title", "Báo cáo sơ kết");
    xt_set_value(f, f->db, "ind-4", "name", "Sản lượng lúa 636,4 tấn");
    xt_set_value(f, f->db, "ind-4", "est", "-5");
    file = xt_export_all(f, f->db, "a.ops");

    text = xt_read_file(file, NULL);
    doc = PARSE(text);
    assert_int_equal(xt_node_seqs(xt_ops_nodes(doc, SCOPE), na, seqs, 16), 3);
    assert_true(seqs[0] == 1 && seqs[1] == 2 && seqs[2] == 3);
    assert_int_equal(cJSON_GetArraySize(MEMBER(doc, "nodes")), 1);
    cJSON_Delete(doc);
    free(text);

    xt_init_db(f, f->db2, SCOPE, nb);
    assert_string_not_equal(na, nb);
    xt_apply_ok(f, f->db2, file, 3, 0);
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
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *have, *havefile, *out, *out2;
    cJSON *doc, *nodes;
    double seqs[16];

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "b", "2");
    xt_set_value(f, f->db, "e", "c", "3");
    file = xt_export_all(f, f->db, "a.ops");
    xt_apply_ok(f, f->db2, file, 3, 0);
    xt_set_value(f, f->db, "e", "a", "4");
    xt_set_value(f, f->db, "e", "d", "5");
    xt_set_value(f, f->db2, "e", "z", "from B"); /* A does not know B's node */

    have = OUT(f, "have", "--db", f->db2);
    out = OUT(f, "export-ops", "--have", have, "--db", f->db);
    doc = PARSE(out);
    nodes = xt_ops_nodes(doc, SCOPE);
    assert_int_equal(xt_node_seqs(nodes, na, seqs, 16), 2);
    assert_true(seqs[0] == 4 && seqs[1] == 5);
    assert_int_equal(xt_node_seqs(nodes, nb, seqs, 16), 0);
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
    assert_int_equal(xt_node_seqs(xt_ops_nodes(doc, SCOPE), na, seqs, 16), 5);
    cJSON_Delete(doc);
    free(out2);

    xt_write_file(file, out, strlen(out));
    xt_apply_ok(f, f->db2, file, 2, 0);
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
    assert_int_equal(xt_node_seqs(xt_ops_nodes(doc, SCOPE), na, seqs, 16), 0);
    cJSON_Delete(doc);
    xt_write_file(file, out, strlen(out));
    xt_apply_ok(f, f->db2, file, 0, 0);

    free(out);
    free(have);
    free(havefile);
    free(file);
}

static void test_cli__apply_twice_changes_nothing(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17], nc[17];
    char *file, *text, *dbc = xt_path(f->dir, "c.db");
    uint64_t d1;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_init_db(f, dbc, SCOPE, nc);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "a", "2");
    xt_set_value(f, f->db, "e", "b", "3");
    file = xt_export_all(f, f->db, "a.ops");
    xt_apply_ok(f, f->db2, file, 3, 0);
    d1 = xt_db_digest(f->db2);
    xt_apply_ok(f, f->db2, file, 0, 3);
    DIGEST_SAME(f->db2, d1);
    OUT_IS("2\n", f, "get", "e", "a", "--db", f->db2);

    /* `-` reads standard input */
    text = xt_read_file(file, NULL);
    {
        char *o = xt_ok_out_at(f, text, NULL, ARGV("apply", "-", "--db", dbc), __FILE__, __LINE__);

        STREQ(o, "applied 3 ops (0 already held)\n");
        free(o);
        o = xt_ok_out_at(f, text, NULL, ARGV("--db", f->db2, "apply", "-"), __FILE__, __LINE__);
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
static char *front_value(const xt_cli *f, const char *db, const char *e, const char *fl)
{
    xt_run r = XA(f, "get", e, fl, "--json", "--db", db);
    cJSON *j, *v, *best = NULL;
    char *out;

    xt_error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
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
    out = xt_cat2(JSTR(best, "value"), "");
    cJSON_Delete(j);
    xt_run_free(&r);
    return out;
}

/* Both replicas show the conflict the same way. */
static void check_conflict(const xt_cli *f, const char *db, const char *na, const char *nb)
{
    xt_run r = XA(f, "get", "report-2024-h1", "title", "--db", db);
    char *l[LINES_MAX], *p[FIELDS_MAX], *front, want[1024];
    size_t i, n;
    int seen_a = 0, seen_b = 0;
    uint64_t d;
    cJSON *j, *o;

    /* get: exit 3, each value on stdout, one error line */
    xt_error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
    n = xt_split_lines(r.out, l, LINES_MAX);
    assert_int_equal(n, 2);
    for (i = 0; i < n; i++) {
        assert_int_equal(xt_split_tabs(l[i], p, FIELDS_MAX), 4);
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
    xt_cli *f = *state;
    char na[17], nb[17];
    char *fa, *fb, *out, *l[LINES_MAX];
    size_t n;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    OUT_IS("", f, "set", "report-2024-h1", "title", "Báo cáo của A", "--author", "an", "--db",
           f->db);
    OUT_IS("", f, "set", "report-2024-h1", "title", "Báo cáo của B", "--author", "binh", "--db",
           f->db2);
    fa = xt_export_all(f, f->db, "a.ops");
    fb = xt_export_all(f, f->db2, "b.ops");
    xt_apply_ok(f, f->db2, fa, 1, 0);
    xt_apply_ok(f, f->db, fb, 1, 0);
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
    n = xt_split_lines(out, l, LINES_MAX);
    assert_int_equal(n, 3);
    {
        char *p[FIELDS_MAX];

        assert_int_equal(xt_split_tabs(l[2], p, FIELDS_MAX), 6);
        STREQ(p[1], "chi");
        STREQ(p[2], na);
        if (strcmp(p[5], "Báo cáo của A | Báo cáo của B -> Báo cáo chung") != 0 &&
            strcmp(p[5], "Báo cáo của B | Báo cáo của A -> Báo cáo chung") != 0)
            fail_msg("resolve's log entry: [%s]", p[5]);
    }
    free(out);

    /* exchange again: both hold the resolved value */
    free(fa);
    fa = xt_export_all(f, f->db, "a2.ops");
    xt_apply_ok(f, f->db2, fa, 1, 2);
    OUT_IS("Báo cáo chung\n", f, "get", "report-2024-h1", "title", "--db", f->db2);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", f->db2);
    free(fb);
    fb = xt_export_all(f, f->db2, "b2.ops");
    xt_apply_ok(f, f->db, fb, 0, 3);
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
    xt_cli *f = *state;
    char node[17];
    uint64_t d;
    xt_run r;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "ind-4", "est", "636,4");
    d = xt_db_digest(f->db);
    r = XA(f, "resolve", "ind-4", "est", "700", "--db", f->db);
    MUST_FAIL(r, 1, "not in conflict");
    xt_run_free(&r);
    DIGEST_SAME(f->db, d);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db);
}

static void reverse_ops(cJSON *doc)
{
    cJSON *ops = xt_first_node_ops(doc);
    int n = cJSON_GetArraySize(ops), i;

    /* move each op in turn to the front */
    for (i = 1; i < n; i++) {
        cJSON *op = cJSON_DetachItemFromArray(ops, i);

        cJSON_InsertItemInArray(ops, 0, op);
    }
}

static void test_cli__apply_accepts_any_order(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *rev, *text;
    cJSON *doc;
    double seqs[8];

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "a", "2");
    xt_set_value(f, f->db, "e", "a", "3");
    file = xt_export_all(f, f->db, "a.ops");
    rev = xt_edited_ops(f, file, "rev.ops", reverse_ops);
    text = xt_read_file(rev, NULL);
    doc = PARSE(text);
    assert_int_equal(xt_node_seqs(xt_ops_nodes(doc, SCOPE), na, seqs, 8), 3);
    assert_true(seqs[0] == 3 && seqs[2] == 1);
    cJSON_Delete(doc);
    free(text);
    xt_apply_ok(f, f->db2, rev, 3, 0);
    OUT_IS("3\n", f, "get", "e", "a", "--db", f->db2);
    OUT_IS("e\ta\t3\n", f, "show", "--db", f->db2);
    free(file);
    free(rev);
}

static void test_cli__three_way_conflict(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17], nc[17];
    char *dbc = xt_path(f->dir, "c.db");
    char *fa, *fb, *fc, *out, *l[LINES_MAX], *p[FIELDS_MAX];
    size_t n;
    xt_run r;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_init_db(f, dbc, SCOPE, nc);
    xt_set_value(f, f->db, "ind-4", "est", "600");
    xt_set_value(f, f->db2, "ind-4", "est", "636,4");
    xt_set_value(f, dbc, "ind-4", "est", "640");
    fa = xt_export_all(f, f->db, "a.ops");
    fb = xt_export_all(f, f->db2, "b.ops");
    xt_apply_ok(f, dbc, fa, 1, 0);
    xt_apply_ok(f, dbc, fb, 1, 0);
    r = XA(f, "get", "ind-4", "est", "--db", dbc);
    xt_error_at(&r, 3, "in conflict", 0, __FILE__, __LINE__);
    assert_int_equal(xt_split_lines(r.out, l, LINES_MAX), 3);
    xt_run_free(&r);
    out = OUT(f, "show", "--db", dbc);
    if (strncmp(out, "ind-4\test\t", 10) != 0 || strstr(out, "\t[conflict: 3 values]\n") == NULL)
        fail_msg("show: [%s]", out);
    free(out);

    r = XA(f, "resolve", "ind-4", "est", "636,4", "--author", "chi", "--db", dbc);
    MUST_OK(r);
    xt_run_free(&r);
    out = OUT(f, "log", "--db", dbc);
    n = xt_split_lines(out, l, LINES_MAX);
    assert_int_equal(n, 4);
    assert_int_equal(xt_split_tabs(l[3], p, FIELDS_MAX), 6);
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
    fc = xt_export_all(f, dbc, "c.ops");
    xt_apply_ok(f, f->db, fc, 3, 1);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db);
    OUT_IS("no conflicts\n", f, "conflicts", "--db", f->db);
    out = OUT(f, "log", "ind-4", "est", "--db", f->db);
    assert_int_equal(xt_split_lines(out, l, LINES_MAX), 4);
    free(out);
    xt_apply_ok(f, f->db2, fc, 3, 1);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db2);
    free(fa);
    free(fb);
    free(fc);
    free(dbc);
}

static double future_hlc;

static void op_hlc_future(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(xt_first_node_ops(doc), 0);

    future_hlc = cJSON_GetArrayItem(op, 5)->valuedouble + 86400000.0;
    cJSON_ReplaceItemInArray(op, 5, cJSON_CreateNumber(future_hlc));
}

static void test_cli__hlc_never_behind_received(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *fut, *out;
    cJSON *j;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "ind-4", "est", "600");
    file = xt_export_all(f, f->db, "a.ops");
    /* A's clock runs a day ahead: B sees its op, then writes over it */
    fut = xt_edited_ops(f, file, "future.ops", op_hlc_future);
    xt_apply_ok(f, f->db2, fut, 1, 0);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        XT_CLI_TEST(test_cli__export_all_then_apply),
        XT_CLI_TEST(test_cli__export_have_gives_only_missing),
        XT_CLI_TEST(test_cli__apply_twice_changes_nothing),
        XT_CLI_TEST(test_cli__conflict_kept_and_resolved),
        XT_CLI_TEST(test_cli__resolve_not_in_conflict),
        XT_CLI_TEST(test_cli__apply_accepts_any_order),
        XT_CLI_TEST(test_cli__three_way_conflict),
        XT_CLI_TEST(test_cli__hlc_never_behind_received),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
