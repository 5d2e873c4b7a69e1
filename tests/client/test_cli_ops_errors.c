/*
 * The `xasync apply` command refusing bad ops files against its contract
 * (tests/client/contract.md): not JSON, another scope, gaps, forgeries, malformed ops.
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

static void test_cli__error_ops_not_json(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *text, *trunc = xt_path(f->dir, "trunc.ops");
    char *junk = xt_path(f->dir, "junk.ops");
    size_t len;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "b", "2");
    xt_set_value(f, f->db2, "e", "c", "3");
    file = xt_export_all(f, f->db, "a.ops");
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
    xt_cli *f = *state;
    char na[17], nb[17], nc[17];
    char *file, *edited, *cfile, *dbc = xt_path(f->dir, "c.db");

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_init_db(f, dbc, "xa-khac", nc);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db2, "e", "b", "2");
    xt_set_value(f, dbc, "e", "a", "3");
    file = xt_export_all(f, f->db, "a.ops");
    edited = xt_edited_ops(f, file, "scope.ops", set_other_scope);
    FAILS(f, f->db2, 1, "scope 'other-commune'", "apply", edited, "--db", f->db2);
    cfile = xt_export_all(f, dbc, "c.ops");
    FAILS(f, f->db2, 1, "scope 'xa-khac'", "apply", cfile, "--db", f->db2);
    FAILS(f, dbc, 1, "scope 'hoang-kim'", "apply", file, "--db", dbc);
    free(file);
    free(edited);
    free(cfile);
    free(dbc);
}

static void drop_first_op(cJSON *doc)
{
    cJSON_DeleteItemFromArray(xt_first_node_ops(doc), 0);
}

static void drop_third_op(cJSON *doc)
{
    cJSON_DeleteItemFromArray(xt_first_node_ops(doc), 2);
}

static void test_cli__error_ops_gap(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *gap1, *gap3, *first;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db2, "e", "z", "B's own");
    xt_set_value(f, f->db, "e", "a", "1");
    first = xt_export_all(f, f->db, "first.ops");
    xt_set_value(f, f->db, "e", "b", "2");
    xt_set_value(f, f->db, "e", "c", "3");
    xt_set_value(f, f->db, "e", "d", "4");
    file = xt_export_all(f, f->db, "a.ops");
    gap1 = xt_edited_ops(f, file, "gap1.ops", drop_first_op);
    gap3 = xt_edited_ops(f, file, "gap3.ops", drop_third_op);

    /* B holds nothing of A: ops 2..4 leave a gap at 1 */
    FAILS(f, f->db2, 1, "gap", "apply", gap1, "--db", f->db2);
    FAILS(f, f->db2, 1, "no field", "get", "e", "b", "--db", f->db2);
    /* B holds A1: 1, 2, 4 leave a gap at 3, and nothing is applied */
    xt_apply_ok(f, f->db2, first, 1, 0);
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

        xt_init_db(f, dbc, SCOPE, nc);
        xt_set_value(f, dbc, "e", "x", "c1");
        xt_set_value(f, dbc, "e", "y", "c2");
        cfile = xt_export_all(f, dbc, "c.ops");
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
    xt_apply_ok(f, f->db2, file, 3, 1);
    free(file);
    free(gap1);
    free(gap3);
    free(first);
}

/* Change the value of op seq 2 of the first node. */
static void forge_value(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(xt_first_node_ops(doc), 1);

    assert_non_null(op);
    assert_true(cJSON_GetArrayItem(op, 0)->valuedouble == 2);
    assert_true(cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("9999")));
}

static void forge_first_value(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(xt_first_node_ops(doc), 0);

    assert_non_null(op);
    assert_true(cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("forged")));
}

static void forge_author(cJSON *doc)
{
    cJSON *op = cJSON_GetArrayItem(xt_first_node_ops(doc), 1);

    assert_non_null(op);
    assert_true(cJSON_ReplaceItemInArray(op, 6, cJSON_CreateString("mallory")));
}

static void test_cli__error_ops_forged(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *forged, *forged1, *forged_author, *file4;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "ind-4", "est", "636,4");
    xt_set_value(f, f->db, "ind-4", "plan", "700");
    xt_set_value(f, f->db, "ind-4", "prev", "600");
    file = xt_export_all(f, f->db, "a.ops");
    xt_apply_ok(f, f->db2, file, 3, 0);
    forged = xt_edited_ops(f, file, "forged.ops", forge_value);
    FAILS(f, f->db2, 1, "forged", "apply", forged, "--db", f->db2);
    OUT_IS("700\n", f, "get", "ind-4", "plan", "--db", f->db2);
    forged_author = xt_edited_ops(f, file, "forged-author.ops", forge_author);
    FAILS(f, f->db2, 1, "forged", "apply", forged_author, "--db", f->db2);

    /* a forged op refuses the whole file, new ops included */
    xt_set_value(f, f->db, "ind-4", "note", "mới");
    file4 = xt_export_all(f, f->db, "a4.ops");
    forged1 = xt_edited_ops(f, file4, "forged1.ops", forge_first_value);
    FAILS(f, f->db2, 1, "forged", "apply", forged1, "--db", f->db2);
    FAILS(f, f->db2, 1, "no field", "get", "ind-4", "note", "--db", f->db2);
    OUT_IS("636,4\n", f, "get", "ind-4", "est", "--db", f->db2);
    xt_apply_ok(f, f->db2, file4, 1, 3);
    free(file);
    free(file4);
    free(forged);
    free(forged1);
    free(forged_author);
}

static void test_cli__error_not_ops_file(void **state)
{
    xt_cli *f = *state;
    char node[17];
    const char *docs[] = {"[]", "{\"a\":1}", "\"ops\"", "42", "null", "{}"};
    char *path = xt_path(f->dir, "x.ops");
    size_t i;

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        xt_write_file(path, docs[i], strlen(docs[i]));
        FAILS(f, f->db, 1, "not an ops file", "apply", path, "--db", f->db);
    }
    free(path);
}

/* A "moves" member (["<old node>", keep, "<new node>"], ...) that is not
 * one: the codec's "a malformed move" or "moves must be a list".  OLD in
 * the text stands for the file's own node. */
static const char *moves_text;

static void set_moves(cJSON *doc)
{
    const char *old = MEMBER(doc, "nodes")->child->string;
    char text[512];
    const char *p = strstr(moves_text, "OLD");
    cJSON *moves;
    int n;

    if (p == NULL)
        n = snprintf(text, sizeof text, "%s", moves_text);
    else
        n = snprintf(text, sizeof text, "%.*s%s%s", (int)(p - moves_text), moves_text, old, p + 3);
    assert_true(n > 0 && (size_t)n < sizeof text);
    moves = PARSE(text);
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "moves");
    assert_true(cJSON_AddItemToObject(doc, "moves", moves));
}

static void test_cli__error_ops_malformed_moves(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    static const struct {
        const char *moves, *frag;
    } bad[] = {
        /* not an array */
        {"{}", "moves must be a list"},
        {"\"moves\"", "moves must be a list"},
        {"7", "moves must be a list"},
        /* a move not an array, or missing or with an extra member */
        {"[\"OLD\"]", "a malformed move"},
        {"[[\"OLD\",1]]", "a malformed move"},
        {"[[\"OLD\"]]", "a malformed move"},
        {"[[]]", "a malformed move"},
        {"[[\"OLD\",1,\"0123456789abcdef\",2]]", "a malformed move"},
        /* a node id that is not one */
        {"[[\"not-a-node-id!\",1,\"0123456789abcdef\"]]", "a malformed move"},
        {"[[\"OLD\",1,\"0123456789abcdeg\"]]", "a malformed move"},
        {"[[\"OLD\",1,\"0123\"]]", "a malformed move"},
        {"[[\"OLD\",1,42]]", "a malformed move"},
        /* keep not a number, or not a count */
        {"[[\"OLD\",\"1\",\"0123456789abcdef\"]]", "a malformed move"},
        {"[[\"OLD\",null,\"0123456789abcdef\"]]", "a malformed move"},
        {"[[\"OLD\",-1,\"0123456789abcdef\"]]", "a malformed move"},
        {"[[\"OLD\",1.5,\"0123456789abcdef\"]]", "a malformed move"},
        /* a good move does not carry a bad one */
        {"[[\"OLD\",1,\"0123456789abcdef\"],[\"OLD\",\"x\",\"0123456789abcdef\"]]",
         "a malformed move"},
    };
    char *file;
    size_t i;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "b", "2");
    xt_set_value(f, f->db2, "e", "z", "B's own");
    file = xt_export_all(f, f->db, "a.ops");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        char *path;

        snprintf(name, sizeof name, "moves%zu.ops", i);
        moves_text = bad[i].moves;
        path = xt_edited_ops(f, file, name, set_moves);
        FAILS(f, f->db2, 1, bad[i].frag, "apply", path, "--db", f->db2);
        free(path);
    }
    /* the same file without the bad moves is taken */
    xt_apply_ok(f, f->db2, file, 2, 0);
    OUT_IS("1\n", f, "get", "e", "a", "--db", f->db2);
    free(file);
}

static void test_cli__error_apply_missing_file(void **state)
{
    xt_cli *f = *state;
    char node[17];
    char *path = xt_path(f->dir, "nowhere.ops");

    xt_init_db(f, f->db, SCOPE, node);
    xt_set_value(f, f->db, "e", "f", "v");
    FAILS(f, f->db, 1, NULL, "apply", path, "--db", f->db);
    assert_false(xt_file_exists(path));
    free(path);
}

/* Edits that make one op of an ops document malformed. */
static void op_entity_space(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 1,
                             cJSON_CreateString("bad entity"));
}
static void op_field_empty(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 2,
                             cJSON_CreateString(""));
}
static void op_seq_zero(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(0));
}
static void op_seq_negative(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(-1));
}
static void op_seq_fraction(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(1.5));
}
static void op_seq_string(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 0,
                             cJSON_CreateString("1"));
}
static void op_seq_huge(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 0,
                             cJSON_CreateNumber(1e300));
}
static void op_short(cJSON *doc)
{
    cJSON_DeleteItemFromArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 6);
}
static void op_ctx_array(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 4, cJSON_CreateArray());
}
static void op_ctx_bad_node(cJSON *doc)
{
    cJSON *ctx = cJSON_CreateObject();

    cJSON_AddNumberToObject(ctx, "zz", 1);
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 4, ctx);
}
static void op_hlc_string(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 5,
                             cJSON_CreateString("now"));
}
static void op_author_number(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 6,
                             cJSON_CreateNumber(7));
}
static void op_not_array(cJSON *doc)
{
    cJSON_ReplaceItemInArray(xt_first_node_ops(doc), 0, cJSON_CreateObject());
}
static void op_value_too_large(cJSON *doc)
{
    char *big = malloc(70001);

    assert_non_null(big);
    memset(big, 'a', 70000);
    big[70000] = '\0';
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 3,
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
    xt_cli *f = *state;
    char na[17], nb[17];
    static void (*const edits[])(cJSON *) = {
        op_entity_space, op_field_empty,   op_seq_zero,  op_seq_negative,    op_seq_fraction,
        op_seq_string,   op_seq_huge,      op_short,     op_ctx_array,       op_ctx_bad_node,
        op_hlc_string,   op_author_number, op_not_array, op_value_too_large, node_key_bad,
        node_key_zero,   nodes_array,      version_two,
    };
    char *file;
    size_t i;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db, "e", "b", "2");
    xt_set_value(f, f->db2, "e", "z", "B's own");
    file = xt_export_all(f, f->db, "a.ops");
    for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char name[32];
        char *bad;
        uint64_t d = xt_db_digest(f->db2);
        xt_run r;

        snprintf(name, sizeof name, "bad%zu.ops", i);
        bad = xt_edited_ops(f, file, name, edits[i]);
        r = XA(f, "apply", bad, "--db", f->db2);
        if (r.status != 1 || r.outlen != 0 || !xt_one_error_line(&r))
            fail_msg("malformed ops file #%zu: expected exit 1 and one error line;\n"
                     "got exit %d\nstdout: [%s]\nstderr: [%s]",
                     i, r.status, r.out, r.err);
        xt_run_free(&r);
        if (xt_db_digest(f->db2) != d)
            fail_msg("malformed ops file #%zu changed the database", i);
        free(bad);
    }
    xt_apply_ok(f, f->db2, file, 2, 0);
    free(file);
}

static void op_value_not_utf8(cJSON *doc)
{
    cJSON_ReplaceItemInArray(cJSON_GetArrayItem(xt_first_node_ops(doc), 0), 3,
                             cJSON_CreateString("S\xe1n l\xff\xfe"));
}

static void test_cli__error_ops_bad_value(void **state)
{
    xt_cli *f = *state;
    char na[17], nb[17];
    char *file, *bad8, *big;

    xt_init_db(f, f->db, SCOPE, na);
    xt_init_db(f, f->db2, SCOPE, nb);
    xt_set_value(f, f->db, "e", "a", "1");
    xt_set_value(f, f->db2, "e", "z", "B's own");
    file = xt_export_all(f, f->db, "a.ops");
    bad8 = xt_edited_ops(f, file, "bad8.ops", op_value_not_utf8);
    big = xt_edited_ops(f, file, "big.ops", op_value_too_large);
    FAILS(f, f->db2, 1, "not valid UTF-8", "apply", bad8, "--db", f->db2);
    FAILS(f, f->db2, 1, "too large", "apply", big, "--db", f->db2);
    xt_apply_ok(f, f->db2, file, 1, 0);
    free(file);
    free(bad8);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XT_CLI_TEST(test_cli__error_ops_not_json),
        XT_CLI_TEST(test_cli__error_ops_other_scope),
        XT_CLI_TEST(test_cli__error_ops_gap),
        XT_CLI_TEST(test_cli__error_ops_forged),
        XT_CLI_TEST(test_cli__error_not_ops_file),
        XT_CLI_TEST(test_cli__error_apply_missing_file),
        XT_CLI_TEST(test_cli__error_ops_malformed_moves),
        XT_CLI_TEST(test_cli__error_ops_malformed_op),
        XT_CLI_TEST(test_cli__error_ops_bad_value),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
