/*
 * The sync against docs/design.md ("The protocol: one round trip per sync"):
 * the real `xasync-district` on a loopback port and real `xasync` processes.
 *
 * What must hold:
 *   1. A sync moves every op once: the server's journal and the PC's hold
 *      the same rows (same dots, same content), and `status` counts nothing
 *      waiting afterwards.
 *   2. A sync sends only what the server lacks and fetches only what the PC
 *      lacks; a sync with nothing new sends and receives nothing.
 *   3. Concurrent edits of one field become a conflict on every replica,
 *      shown with both values (exit 3), until a person resolves it.
 *   6. A commune's token neither reads nor writes another commune's data. *
 * The harness and the cast (two PCs of hoang-kim, one of hoang-phu, the real
 * server): tests/support/syncfx.h.
 */
#include "syncfx.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
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
/* The tests                                                               */

/* A PC's whole database goes to the server in a first sync. */
static void test_sync__first_sync_sends_whole_database(void **state)
{
    xy_fx *f = *state;
    char *st_a, *st_srv, *out;
    cJSON *srv, *js, *it;

    xy_bulk_set(f->a, "blk", 300);
    assert_true(xy_status_pending(f, f->a) == 300);

    SYNC_EXPECT(f, f->a, 300, 0);

    /* The server holds them all, as A does. */
    st_srv = xy_server_state(f, KIM);
    srv = xy_parse_array(st_srv);
    assert_int_equal(cJSON_GetArraySize(srv), 300);
    xy_expect_bulk(srv, "blk", 300);
    xy_expect_no_conflict(srv);
    cJSON_Delete(srv);
    st_a = xy_pc_state(f, f->a);
    assert_string_equal(st_a, st_srv);
    free(st_a);
    free(st_srv);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 300);
    assert_int_equal(xy_node_count(f->ddb, KIM, xy_node_of(f->a)), 300);
    SAME_JOURNAL(f->a, f->ddb, KIM);

    /* Nothing waiting, no error. */
    out = XA_OUT(f, "--db", f->a, "status");
    if (strncmp(out, "all changes sent", 16) != 0 || strstr(out, "failing") != NULL)
        fail_msg("status after a full sync: [%s]", out);
    free(out);
    js = xy_status_json(f, f->a);
    it = cJSON_GetObjectItemCaseSensitive(js, "pending");
    assert_true(cJSON_IsNumber(it) && it->valuedouble == 0);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(js, "last_success")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(js, "last_error")));
    cJSON_Delete(js);

    /* The other commune saw none of it. */
    assert_int_equal(xy_journal_count(f->ddb, PHU), 0);
}

/* Later syncs send only the new ops, fetch only the missing ones. */
static void test_sync__incremental_sync_sends_only_new(void **state)
{
    xy_fx *f = *state;
    char *sa, *sb, *ss;
    cJSON *s;

    xy_bulk_set(f->a, "blk", 300);
    SYNC_EXPECT(f, f->a, 300, 0);

    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    SET(f, f->a, "blk-00007", "text", "đoạn đã sửa");
    assert_true(xy_status_pending(f, f->a) == 3);
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_true(xy_status_pending(f, f->a) == 0);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 303);

    /* B, a new PC of the same commune, receives everything: the history,
     * or (docs/design.md) a snapshot of the state, which stands for it. */
    FRESH_SYNC(f, f->b, f->a);
    sa = xy_pc_state(f, f->a);
    sb = xy_pc_state(f, f->b);
    assert_string_equal(sa, sb);
    s = xy_parse_array(sb);
    assert_int_equal(cJSON_GetArraySize(s), 302);
    EXPECT_VALUE(s, "ind-4", "est", "636,4");
    EXPECT_VALUE(s, "blk-00007", "text", "đoạn đã sửa");
    EXPECT_VALUE(s, "blk-00008", "text", "dòng 8 của blk: kết quả thi đua");
    xy_expect_no_conflict(s);
    cJSON_Delete(s);
    free(sa);
    free(sb);
    JOURNAL_WITHIN(f->b, f->ddb, KIM);

    /* Nothing new: nothing moves, either way. */
    SYNC_EXPECT(f, f->b, 0, 0);
    SYNC_EXPECT(f, f->a, 0, 0);

    /* B's edits travel to A the same way. */
    SET(f, f->b, "ind-4", "note", "ước thực hiện");
    SET(f, f->b, "ind-5", "est", "1.460");
    SYNC_EXPECT(f, f->b, 2, 0);
    SYNC_EXPECT(f, f->a, 0, 2);
    SYNC_EXPECT(f, f->a, 0, 0);
    SYNC_EXPECT(f, f->b, 0, 0);
    same_have(f, f->a, f->b);
    JOURNAL_WITHIN(f->b, f->ddb, KIM);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = xy_pc_state(f, f->a);
    ss = xy_server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
}

/* Both values of a concurrent edit survive on every replica until a person
 * resolves the conflict. */
static void test_sync__concurrent_edits_conflict_until_resolved(void **state)
{
    xy_fx *f = *state;
    const char *vals[8];
    char *out, *ss;
    cJSON *j, *fo;
    xt_run r;
    int n;

    SET(f, f->a, "ind-4", "est", "636,4");
    SYNC_EXPECT(f, f->a, 1, 0);
    SYNC_EXPECT(f, f->b, 0, 1);

    /* Apart: both change the same cell. */
    SET(f, f->a, "ind-4", "est", "640,1");
    out = XA_OUT(f, "--db", f->b, "set", "ind-4", "est", "650,0", "--author", AUTHOR_B);
    free(out);

    SYNC_EXPECT(f, f->a, 1, 0);
    SYNC_EXPECT(f, f->b, 1, 1);
    SYNC_EXPECT(f, f->a, 0, 1);

    /* Both PCs show both values, with exit 3. */
    const char *pcs[] = {f->a, f->b};
    for (int i = 0; i < 2; i++) {
        r = XA(f, "--db", pcs[i], "get", "ind-4", "est");
        if (r.status != 3 || strstr(r.out, "640,1") == NULL || strstr(r.out, "650,0") == NULL ||
            strstr(r.err, "conflict") == NULL)
            fail_msg("get on %s: expected exit 3 listing both values; got %d\nstdout: [%s]\n"
                     "stderr: [%s]",
                     pcs[i], r.status, r.out, r.err);
        xt_run_free(&r);
        r = XA(f, "--db", pcs[i], "get", "ind-4", "est", "--json");
        assert_int_equal(r.status, 3);
        j = cJSON_Parse(r.out);
        assert_non_null(j);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "conflict")));
        n = xy_field_values(j, vals, 8);
        assert_int_equal(n, 2);
        assert_true((strcmp(vals[0], "640,1") == 0 && strcmp(vals[1], "650,0") == 0) ||
                    (strcmp(vals[0], "650,0") == 0 && strcmp(vals[1], "640,1") == 0));
        cJSON_Delete(j);
        xt_run_free(&r);
    }

    /* The server holds the conflict too. */
    ss = xy_server_state(f, KIM);
    j = xy_parse_array(ss);
    fo = xy_find_field(j, "ind-4", "est");
    assert_non_null(fo);
    assert_int_equal(xy_field_values(fo, vals, 8), 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fo, "conflict")));
    cJSON_Delete(j);
    free(ss);
    assert_int_equal(xy_district_conflicts(f, KIM), 1);

    /* A plain set on the conflicted cell is refused; B resolves it. */
    r = XA(f, "--db", f->b, "set", "ind-4", "est", "1", "--author", AUTHOR_B);
    assert_int_equal(r.status, 3);
    xt_run_free(&r);
    out = XA_OUT(f, "--db", f->b, "resolve", "ind-4", "est", "645,0", "--author", AUTHOR_B);
    free(out);
    SYNC_EXPECT(f, f->b, 1, 0);
    SYNC_EXPECT(f, f->a, 0, 1);

    out = XA_OUT(f, "--db", f->a, "get", "ind-4", "est");
    assert_string_equal(out, "645,0\n");
    free(out);
    out = XA_OUT(f, "--db", f->b, "get", "ind-4", "est");
    assert_string_equal(out, "645,0\n");
    free(out);

    ss = xy_server_state(f, KIM);
    j = xy_parse_array(ss);
    assert_int_equal(cJSON_GetArraySize(j), 1);
    EXPECT_VALUE(j, "ind-4", "est", "645,0");
    assert_true(cJSON_IsFalse(
        cJSON_GetObjectItemCaseSensitive(xy_find_field(j, "ind-4", "est"), "conflict")));
    cJSON_Delete(j);
    free(ss);
    assert_int_equal(xy_district_conflicts(f, KIM), 0);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    SAME_JOURNAL(f->b, f->ddb, KIM);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 4);
}

/* A commune's token neither writes nor reads another commune's data. */
static void test_sync__commune_cannot_touch_another_scope(void **state)
{
    xy_fx *f = *state;
    char *x = xt_path(f->dir, "x.db"), *before, *after, *body, *tok_phu, *tok_kim, *out;
    uint64_t digest;
    xt_run r;
    int status;

    /* hoang-kim's data on the server; C syncs its own commune fine. */
    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "blk-1", "text", "Báo cáo sơ kết 6 tháng");
    SYNC_EXPECT(f, f->a, 2, 0);
    SET(f, f->c, "ind-4", "est", "12");
    SYNC_EXPECT(f, f->c, 1, 0);

    /* A hoang-kim database carrying hoang-phu's token (C's). */
    out = XA_OUT(f, "--db", x, "init", "--scope", KIM);
    free(out);
    xy_remote_set(f, x, PHU, f->srv.port);
    SET(f, x, "ind-4", "est", "999");
    SET(f, x, "blk-2", "text", "chen vao");

    before = xy_server_state(f, KIM);
    digest = xt_db_digest(f->ddb);
    r = XA(f, "--db", x, "sync");
    if (r.status != 1 || strncmp(r.err, "xasync: ", 8) != 0 || strstr(r.err, "refused") == NULL)
        fail_msg("sync with another commune's token: expected exit 1, refused; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    after = xy_server_state(f, KIM);
    assert_string_equal(before, after);
    assert_true(xt_db_digest(f->ddb) == digest);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 2);
    assert_int_equal(xy_node_count(f->ddb, KIM, xy_node_of(x)), 0);
    assert_int_equal(xy_node_count(f->ddb, PHU, xy_node_of(x)), 0);
    /* ... and it read nothing: x holds only its own two edits. */
    assert_int_equal(xy_journal_count(x, KIM), 2);
    assert_true(xy_status_pending(f, x) == 2);
    free(before);
    free(after);

    /* Reading hoang-kim's state with hoang-phu's token: refused. */
    tok_phu = xy_read_token(f, PHU);
    tok_kim = xy_read_token(f, KIM);
    status = xy_http_get(f->srv.port, "/v1/scopes/hoang-kim/state", tok_phu, &body);
    if (status != 403 || strstr(body, "636,4") != NULL || strstr(body, "Báo cáo") != NULL)
        fail_msg("GET hoang-kim state with hoang-phu's token: expected 403 and no data; got %d "
                 "[%.300s]",
                 status, body);
    free(body);
    /* The same request with hoang-kim's own token reads it. */
    status = xy_http_get(f->srv.port, "/v1/scopes/hoang-kim/state", tok_kim, &body);
    if (status != 200 || strstr(body, "636,4") == NULL)
        fail_msg("GET hoang-kim state with its own token: expected 200 with data; got %d "
                 "[%.300s]",
                 status, body);
    free(body);
    free(tok_phu);
    free(tok_kim);

    /* C still holds only its commune's op, the server hoang-phu's only C's. */
    assert_int_equal(xy_journal_count(f->c, PHU), 1);
    assert_int_equal(xt_q_int(f->c, "SELECT count(*) FROM journal WHERE scope <> 'hoang-phu'"), 0);
    assert_int_equal(xy_journal_count(f->ddb, PHU), 1);
    SYNC_EXPECT(f, f->c, 0, 0);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XY_TEST(test_sync__first_sync_sends_whole_database),
        XY_TEST(test_sync__incremental_sync_sends_only_new),
        XY_TEST(test_sync__concurrent_edits_conflict_until_resolved),
        XY_TEST(test_sync__commune_cannot_touch_another_scope),
    };

    signal(SIGPIPE, SIG_IGN);
    return xt_tests_status(cmocka_run_group_tests_name("test_sync_basic", tests, NULL, NULL));
}
