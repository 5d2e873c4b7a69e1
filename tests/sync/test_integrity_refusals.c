/*
 * Nothing lost, nothing stuck: the data-integrity refusals, each through
 * the store, the ops file (`xasync apply`, the real program) and the real
 * district server on a loopback port.
 *
 *   - strings JSON forbids (a raw NUL or control byte inside a string, a
 *     \u0000 escape): cJSON would cut them short, so they are refused;
 *   - a body or ops file of an unknown format version, refused naming both;
 *   - limits checked before commit: 4,097 node ids are refused and nothing
 *     is stored, so the commune keeps syncing;
 *   - a sibling flood (one node, one field, empty contexts): malformed;
 *   - a context claiming ops the receiver lacks (causal delivery);
 *   - a PC an older xasync left poisoned, repaired; the editor's bodies.
 *
 * Every refusal checks the message, the status or exit code, and that the
 * database is unchanged (its digest).  The harness:
 * tests/support/integrityfx.h.
 */
#include "integrityfx.h"
#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

static const struct {
    const char *what;
    const char *value;
    size_t len;
    const char *frag;
} bad_strings[] = {
    {"a raw NUL", "a\0b", 3, "NUL"},
    {"an escaped NUL", "a\\u0000b", 8, "NUL"},
    {"a raw control byte", "a\001b", 3, "control character"},
    {"a raw newline", "a\nb", 3, "control character"},
};

static void test_integrity__strings_json_forbids_refused_by_the_codec(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        size_t nl = 0;
        char *nodes = xg_one_op_nodes_n(bad_strings[i].value, bad_strings[i].len, &nl), *t;
        xa_op_list l = XA_OP_LIST_INIT;
        xa_sync_msg m;

        size_t len = xg_text_len(nodes, nl, 0, &t);
        EXPECT_RC(xa_codec_decode(&l, t, len, SCOPE), XA_EINVAL, bad_strings[i].frag);
        assert_int_equal(l.n, 0);
        free(t);
        len = xg_text_len(nodes, nl, 1, &t);
        xa_sync_msg_init(&m);
        EXPECT_RC(xa_sync_msg_decode(&m, t, len, SCOPE, 1), XA_EINVAL, bad_strings[i].frag);
        assert_int_equal(m.ops.n, 0);
        free(t);
        free(nodes);
    }
    /* escaped control characters are JSON and are kept whole */
    {
        char *nodes = xg_one_op_nodes("a\\u0001b\\nc", 11), *t;
        xa_op_list l = XA_OP_LIST_INIT;
        size_t len = xg_text_len(nodes, strlen(nodes), 0, &t);
        EXPECT_RC(xa_codec_decode(&l, t, len, SCOPE), 0, NULL);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.ops[0].value, "\"a\\u0001b\\nc\"");
        xa_op_list_free(&l);
        free(t);
        free(nodes);
    }
}

static void test_integrity__nul_in_a_value_refused_by_server_and_apply(void **state)
{
    xg_fx *f = *state;

    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        size_t nl = 0;
        char *nodes = xg_one_op_nodes_n(bad_strings[i].value, bad_strings[i].len, &nl), *t;
        size_t len = xg_text_len(nodes, nl, 1, &t);
        REFUSED(f, t, len, 400, bad_strings[i].frag);
        free(t);
        len = xg_text_len(nodes, nl, 0, &t);
        APPLY_REFUSED(f, t, len, bad_strings[i].frag);
        free(t);
        free(nodes);
    }
    /* and the server stored nothing of node NODE: a good op 1 is accepted */
    char *nodes = xg_one_op_nodes("ab", 2), *t = xg_request(NODE, nodes, 1);
    xg_hresp r = xg_post_text(f, t, strlen(t));
    assert_int_equal(r.status, 200);
    free(r.body.p);
    free(t);
    free(nodes);
}

/* ---- versions ------------------------------------------------------------ */

static void test_integrity__unknown_version_refused_naming_both(void **state)
{
    xg_fx *f = *state;
    char *nodes = xg_one_op_nodes("ab", 2);
    char *t = xg_request(NODE, nodes, 99);

    REFUSED(f, t, strlen(t), 400, "version 99; this xasync reads version 1");
    free(t);
    t = xg_ops_file(nodes, 99);
    APPLY_REFUSED(f, t, strlen(t), "ops file version 99; this xasync reads version 1");
    free(t);
    /* another format name */
    t = xg_request(NODE, nodes, 1);
    memcpy(strstr(t, "xasync-sync"), "xasync-elsa", 11);
    REFUSED(f, t, strlen(t), 400, "format 'xasync-elsa'");
    free(t);
    free(nodes);
}

/* ---- limits before commit ----------------------------------------------- */

static void test_integrity__node_limit_refused_before_commit(void **state)
{
    xg_fx *f = *state;
    char *nodes = xg_many_nodes(XA_NODES_MAX + 1);
    char *t;

    /* a PC of the commune syncs first */
    char *pc2 = xt_path(f->dir, "pc2.db");
    xt_pc_setup(f->dir, pc2, SCOPE, f->sv.port);
    xg_must_run(ARGV("--db", pc2, "set", "r", "x", "1"), "set");
    xg_must_run(ARGV("--db", pc2, "sync"), "first sync");

    /* 4,095 more node ids in requests of at most 1,000 ops (the server's
     * bound per request): accepted (4,096 in all); one more: 413 and
     * nothing committed */
    for (size_t first = 1; first < XA_NODES_MAX; first += 1000) {
        size_t k = XA_NODES_MAX - first < 1000 ? XA_NODES_MAX - first : 1000;
        char *part = xg_many_nodes_from(first, k);
        t = xg_request(NODE, part, 1);
        xg_hresp r = xg_post_text(f, t, strlen(t));
        if (r.status != 200)
            fail_msg("nodes %zu..%zu: %ld %s", first, first + k - 1, r.status, r.body.p);
        free(r.body.p);
        free(t);
        free(part);
    }
    char *last = xg_many_nodes_from(XA_NODES_MAX, 3);
    t = xg_request(NODE, last, 1);
    REFUSED(f, t, strlen(t), 413, "more than 4096 PCs");
    free(t);
    free(last);
    t = xg_ops_file(nodes, 1);
    APPLY_REFUSED(f, t, strlen(t), "more than 4096 PCs");
    free(t);
    free(nodes);

    /* the commune is not bricked: its PC syncs as ever */
    xg_must_run(ARGV("--db", pc2, "set", "r", "x", "2"), "set");
    xt_run r = xt_xasync(ARGV("--db", pc2, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("sync after the refused flood of nodes: %s", r.err);
    xt_run_free(&r);
    /* a new PC cannot join, and is told why */
    char *pc3 = xt_path(f->dir, "pc3.db");
    xt_pc_setup(f->dir, pc3, SCOPE, f->sv.port);
    xg_must_run(ARGV("--db", pc3, "set", "r", "y", "1"), "set");
    r = xt_xasync(ARGV("--db", pc3, "sync"), NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "more than 4096 PCs"));
    xt_run_free(&r);
    free(pc2);
    free(pc3);
}

/* ---- the sibling flood ---------------------------------------------------- */

static void test_integrity__sibling_flood_refused_as_malformed(void **state)
{
    xg_fx *f = *state;
    char *nodes = xg_flood_nodes(1000); /* the most the server takes in one request */
    char *t = xg_request(NODE, nodes, 1);

    REFUSED(f, t, strlen(t), 400, "lacks its own node's earlier write");
    free(t);
    free(nodes);
    nodes = xg_flood_nodes(10000);
    t = xg_ops_file(nodes, 1);
    APPLY_REFUSED(f, t, strlen(t), "lacks its own node's earlier write");
    free(t);
    free(nodes);

    /* the same node writing the field again, having seen its own write, is
     * fine: one value */
    nodes = NULL;
    {
        xg_sbuf b = {0};
        xg_sb_add(&b,
                  "\"%s\":[[1,\"r\",\"x\",\"v1\",{},1717200000000,\"a\"],"
                  "[2,\"r\",\"x\",\"v2\",{\"%s\":1},1717200000001,\"a\"]]",
                  NODE, NODE);
        nodes = b.p;
    }
    t = xg_request(NODE, nodes, 1);
    xg_hresp r = xg_post_text(f, t, strlen(t));
    assert_int_equal(r.status, 200);
    free(r.body.p);
    free(t);
    free(nodes);
}

/* ---- contexts ------------------------------------------------------------ */

static void test_integrity__context_claiming_unheld_ops_refused(void **state)
{
    xg_fx *f = *state;
    xg_sbuf b = {0};
    char *t;

    /* story 3: one op claims seq 9,000,000 of another PC */
    xg_sb_add(&b,
              "\"%s\":[[1,\"r\",\"x\",\"v\",{\"00000000000000aa\":9000000},1717200000000,\"a\"]]",
              NODE);
    t = xg_request(NODE, b.p, 1);
    REFUSED(f, t, strlen(t), 409, "00000000000000aa:9000000");
    free(t);
    t = xg_ops_file(b.p, 1);
    APPLY_REFUSED(f, t, strlen(t), "does not hold and the batch does not carry");
    free(t);
    free(b.p);

    /* the PC's own writes keep working and keep their value */
    xt_run r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "mine"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "mine"));
    xt_run_free(&r);
}

/* Story 3 on a database an older xasync left poisoned: a foreign op whose
 * context claims a huge seq of this PC, and this PC's later write dropped
 * by it.  `xasync repair` sets the foreign op aside and brings the write
 * back under a new node id. */
static void test_integrity__repair_recovers_a_poisoned_pc(void **state)
{
    xg_fx *f = *state;
    xa_store *st = NULL;
    sqlite3 *db = NULL;
    char sql[1024];
    xa_node self;
    xt_run r;

    assert_int_equal(xa_store_open(&st, f->pc), 0);
    self = xa_store_node(st);
    assert_int_equal(xa_store_set(st, SCOPE, "r", "x", "\"a\"", "clerk", 0, NULL), 0);
    assert_int_equal(xa_store_set(st, SCOPE, "r", "y", "\"other\"", "clerk", 0, NULL), 0);
    xa_store_close(st);

    /* what the older apply and set wrote, row for row */
    char hex[XA_NODE_HEX + 1];
    xa_node_format(self, hex);
    assert_int_equal(sqlite3_open(f->pc, &db), SQLITE_OK);
    snprintf(
        sql, sizeof sql,
        "BEGIN;"
        "INSERT INTO journal VALUES ('%s', %lld, 1, 'r', 'x', '\"evil\"', '%s:9000000', 1, 'm');"
        "INSERT INTO have VALUES ('%s', %lld, 1);"
        "DELETE FROM sibling WHERE entity = 'r' AND field = 'x';"
        "INSERT INTO sibling VALUES ('%s', 'r', 'x', %lld, 1);"
        "UPDATE field SET fctx = '00000000000000aa:1,%s:9000000', nsib = 1 WHERE entity = 'r'"
        " AND field = 'x';"
        "INSERT INTO journal VALUES ('%s', %lld, 3, 'r', 'x', '\"b\"',"
        " '00000000000000aa:1,%s:9000000', 2, 'clerk');"
        "UPDATE have SET seq = 3 WHERE node = %lld;"
        "COMMIT;",
        SCOPE, (long long)0xaa, hex, SCOPE, (long long)0xaa, SCOPE, (long long)0xaa, hex, SCOPE,
        (long long)self, hex, (long long)self);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("poisoning: %s", err);
    sqlite3_close(db);

    /* the clerk's write "b" is not shown; a new one is refused, saying what
     * to do, and nothing is written */
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_null(strstr(r.out, "\"b\"") ? r.out : NULL);
    xt_run_free(&r);
    uint64_t before = xt_db_digest(f->pc);
    r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "c"), NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "xasync repair"));
    xt_run_free(&r);
    assert_true(xt_db_digest(f->pc) == before);

    r = xt_xasync(ARGV("--db", f->pc, "repair"), NULL, NULL);
    if (r.status != 0)
        fail_msg("repair: %s", r.err);
    if (strstr(r.out, "1 ops of other PCs set aside") == NULL)
        fail_msg("repair said: %s / %s", r.out, r.err);
    assert_non_null(strstr(r.out, "1 of this PC's edits moved"));
    xt_run_free(&r);

    /* the write is back, unconflicted; the other field untouched */
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "b\n");
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "y"), NULL, NULL);
    assert_string_equal(r.out, "other\n");
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "set", "r", "x", "c"), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_string_equal(r.out, "c\n");
    xt_run_free(&r);
    /* the set-aside op is kept */
    assert_int_equal(sqlite3_open(f->pc, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM quarantine", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(db);

    /* and the PC syncs: the district takes every op it holds */
    char url[64], *tok = xt_path(f->dir, SCOPE ".token");
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->sv.port);
    r = xt_xasync(ARGV("--db", f->pc, "remote", "set", url, "--token-file", tok), NULL, NULL);
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    free(tok);
    r = xt_xasync(ARGV("--db", f->pc, "sync"), NULL, NULL);
    if (r.status != 0)
        fail_msg("sync after repair: %s", r.err);
    xt_run_free(&r);
    /* a second repair finds nothing */
    r = xt_xasync(ARGV("--db", f->pc, "repair"), NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "nothing to repair\n");
    xt_run_free(&r);
}

/* ---- the editor's bodies ---------------------------------------------- */

/* POST a raw body to the editor; the status. */
static long ui_post(int port, const char *secret, const char *body, size_t len, xg_sbuf *out)
{
    char url[96], host[64], sec[128];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    long status = 0;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/set", port);
    snprintf(host, sizeof host, "Host: 127.0.0.1:%d", port);
    snprintf(sec, sizeof sec, "X-Xasync-Secret: %s", secret);
    h = curl_slist_append(h, host);
    h = curl_slist_append(h, sec);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xg_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return status;
}

static void test_integrity__editor_refuses_nul_in_a_body(void **state)
{
    xg_fx *f = *state;
    int out[2];
    pid_t pid;
    char line[256] = "", secret[64] = "";
    int port = 0;

    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(XA_BIN, XA_BIN, "--db", f->pc, "ui", "--listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *rd = fdopen(out[0], "r");
    while (fgets(line, sizeof line, rd)) {
        char *p = strstr(line, "http://127.0.0.1:");
        if (p) {
            port = atoi(p + 17);
            break;
        }
    }
    fclose(rd);
    assert_true(port > 0);
    /* the secret, from the page */
    {
        char url[64];
        xg_sbuf page = {0};
        CURL *c = curl_easy_init();
        snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xg_on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &page);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_cleanup(c);
        char *m = strstr(page.p, "name=\"xasync-secret\" content=\"");
        assert_non_null(m);
        m += strlen("name=\"xasync-secret\" content=\"");
        size_t n = strcspn(m, "\"");
        assert_true(n > 0 && n < sizeof secret);
        memcpy(secret, m, n);
        free(page.p);
    }

    static const char body[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"ab\0cd\"}";
    uint64_t before = xt_db_digest(f->pc);
    xg_sbuf ans = {0};
    long st = ui_post(port, secret, body, sizeof body - 1, &ans);
    if (st != 400 || strstr(ans.p, "NUL") == NULL)
        fail_msg("editor: want 400 naming the NUL, got %ld: %s", st, ans.p ? ans.p : "");
    free(ans.p);
    assert_true(xt_db_digest(f->pc) == before);
    /* a raw control byte inside the string too */
    static const char body2[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"ab\001cd\"}";
    memset(&ans, 0, sizeof ans);
    st = ui_post(port, secret, body2, sizeof body2 - 1, &ans);
    assert_int_equal(st, 400);
    free(ans.p);
    assert_true(xt_db_digest(f->pc) == before);
    /* and the same body, well formed, saves */
    static const char good[] = "{\"entity\":\"r\",\"field\":\"x\",\"value\":\"abcd\"}";
    memset(&ans, 0, sizeof ans);
    st = ui_post(port, secret, good, sizeof good - 1, &ans);
    if (st != 200)
        fail_msg("editor: a good body: %ld %s", st, ans.p ? ans.p : "");
    free(ans.p);

    kill(pid, SIGTERM);
    int ws = 0;
    waitpid(pid, &ws, 0);
    xt_run r = xt_xasync(ARGV("--db", f->pc, "get", "r", "x"), NULL, NULL);
    assert_string_equal(r.out, "abcd\n");
    xt_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integrity__strings_json_forbids_refused_by_the_codec),
        cmocka_unit_test_setup_teardown(test_integrity__nul_in_a_value_refused_by_server_and_apply,
                                        xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__unknown_version_refused_naming_both,
                                        xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__node_limit_refused_before_commit, xg_setup,
                                        xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__sibling_flood_refused_as_malformed,
                                        xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__context_claiming_unheld_ops_refused,
                                        xg_setup, xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__repair_recovers_a_poisoned_pc, xg_setup,
                                        xg_teardown),
        cmocka_unit_test_setup_teardown(test_integrity__editor_refuses_nul_in_a_body, xg_setup,
                                        xg_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(failed);
}
