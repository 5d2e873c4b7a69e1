/*
 * The sync against docs/design.md ("The protocol: one round trip per sync")
 * when something goes wrong.
 *
 * What must hold:
 *   4. A response lost after the server committed costs nothing: the same
 *      ops go again and are held once.
 *   5. A server killed (SIGKILL) in the middle of a sync loses nothing and
 *      holds nothing twice; its database passes PRAGMA integrity_check.
 *   7. A PC restored from an old copy of its database never forges a dot: it
 *      takes a new node id for its unsent edits, and every edit survives.
 *   8. An answer that is not the district server's (a captive portal's
 *      login page) is never taken as an acknowledgement. *
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

/* A response lost after the server committed: the next sync sends the same
 * ops again, and each is held once. */
static void test_sync__lost_response_resent_once(void **state)
{
    xy_fx *f = *state;
    char reply[256], *sa, *ss;
    cJSON *j;
    xt_run r;

    xy_bulk_set(f->a, "blk", 50);
    xt_proxy_start(&f->proxy, f->srv.port);
    xy_remote_set(f, f->a, KIM, f->proxy.port);
    xy_remote_set(f, f->b, KIM, f->proxy.port);

    /* First the request is cut on its way: the server never applies a
     * part of a body. */
    if (xt_proxy_cmd(&f->proxy, "cut-up 400", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-up 400: %s", reply);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync with the request cut: expected a failure; got %d\nstdout: [%s]\n"
                 "stderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 0);
    assert_true(xy_status_pending(f, f->a) == 50);

    /* Then the request goes through whole; the answer is cut after 20
     * bytes ("pass" first: modes combine). */
    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    if (xt_proxy_cmd(&f->proxy, "cut-down 20", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-down 20: %s", reply);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync with the answer cut: expected a failure; got %d\nstdout: [%s]\n"
                 "stderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);
    /* The server did commit; A does not know it. */
    assert_int_equal(xy_journal_count(f->ddb, KIM), 50);
    assert_true(xy_status_pending(f, f->a) == 50);

    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    SYNC_EXPECT(f, f->a, 50, 0);
    assert_true(xy_status_pending(f, f->a) == 0);
    assert_int_equal(xt_q_int(f->ddb, "SELECT count(*) FROM journal"), 50);
    assert_int_equal(xy_journal_count(f->ddb, KIM), xy_journal_count(f->a, KIM));
    assert_int_equal(
        xt_q_int(f->ddb, "SELECT count(*) FROM (SELECT DISTINCT node, seq FROM journal)"), 50);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = xy_pc_state(f, f->a);
    j = xy_parse_array(sa);
    assert_int_equal(cJSON_GetArraySize(j), 50);
    xy_expect_bulk(j, "blk", 50);
    xy_expect_no_conflict(j);
    cJSON_Delete(j);
    ss = xy_server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);

    /* The same on the way down: B's answer is lost, B asks again. */
    if (xt_proxy_cmd(&f->proxy, "cut-down 20", reply, sizeof reply) != 0)
        fail_msg("proxy: cut-down 20: %s", reply);
    r = XA(f, "--db", f->b, "sync");
    assert_int_not_equal(r.status, 0);
    xt_run_free(&r);
    assert_int_equal(xy_journal_count(f->b, KIM), 0);
    if (xt_proxy_cmd(&f->proxy, "pass", reply, sizeof reply) != 0)
        fail_msg("proxy: pass: %s", reply);
    SYNC_EXPECT(f, f->b, 0, 50);
    SYNC_EXPECT(f, f->b, 0, 0);
    SYNC_EXPECT(f, f->a, 0, 0);
    SAME_JOURNAL(f->b, f->ddb, KIM);
    assert_int_equal(xt_q_int(f->ddb, "SELECT count(*) FROM journal"), 50);
}

/* The server killed with SIGKILL in the middle of a long sync: after a
 * restart, the next sync completes; nothing lost, nothing twice. */
static void test_sync__server_killed_mid_sync_loses_nothing(void **state)
{
    xy_fx *f = *state;
    const int total = 5000;
    int64_t held = 0, deadline, after_kill;
    sqlite3 *poll_db;
    char *sa, *ss;
    cJSON *j;
    int st;

    xy_bulk_set(f->a, "blk", total);
    xy_sync_background(f, f->a);

    /* Kill as soon as the server has committed a first batch: the sync is
     * then in the middle of its round trips. */
    poll_db = xt_db_open_ro(f->ddb);
    deadline = xt_mono_ms() + WAIT_MS;
    while (held == 0 && xt_mono_ms() < deadline) {
        held = xt_q_int_db(poll_db, "SELECT count(*) FROM journal WHERE scope = 'hoang-kim'");
        if (held == 0)
            xt_sleep_ms(1);
    }
    sqlite3_close(poll_db);
    assert_true(held > 0);
    assert_int_equal(xt_server_stop(&f->srv, SIGKILL), 128 + SIGKILL);

    st = xy_wait_background(f);
    after_kill = xy_journal_count(f->ddb, KIM);
    print_message("server killed with %lld of %d ops held; the sync exited %d\n",
                  (long long)after_kill, total, st);
    assert_true(after_kill < total); /* it was indeed mid-sync */
    assert_int_not_equal(st, 0);
    assert_true(xy_status_pending(f, f->a) > 0);
    xt_integrity_ok(f->ddb);

    /* Restart on the same database; A follows the new port. */
    xt_server_start(&f->srv, f->ddb, NULL);
    xy_remote_set(f, f->a, KIM, f->srv.port);
    {
        xy_synced s = SYNC_OK(f, f->a);
        assert_true(s.sent >= (unsigned long long)(total - after_kill));
        assert_true(s.sent <= (unsigned long long)total);
        assert_int_equal(s.received, 0);
    }
    assert_true(xy_status_pending(f, f->a) == 0);
    SYNC_EXPECT(f, f->a, 0, 0);

    assert_int_equal(xy_journal_count(f->ddb, KIM), total);
    assert_int_equal(xy_node_count(f->ddb, KIM, xy_node_of(f->a)), total);
    assert_int_equal(xt_q_int(f->ddb, "SELECT max(seq) FROM journal WHERE scope = 'hoang-kim'"),
                     total);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    xt_integrity_ok(f->ddb);
    ss = xy_server_state(f, KIM);
    j = xy_parse_array(ss);
    assert_int_equal(cJSON_GetArraySize(j), total);
    xy_expect_bulk(j, "blk", total);
    xy_expect_no_conflict(j);
    cJSON_Delete(j);
    sa = xy_pc_state(f, f->a);
    assert_string_equal(sa, ss);
    free(sa);

    /* B, fresh, fetches the whole backlog over several answers ("more"). */
    xy_remote_set(f, f->b, KIM, f->srv.port);
    FRESH_SYNC(f, f->b, f->a);
    sa = xy_pc_state(f, f->b);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
    xt_integrity_ok(f->ddb);
}

/* A PC restored from a copy of its database taken before its last sync:
 * its new edits go under a new node id; no dot is reused. */
static void test_sync__restored_pc_takes_new_node(void **state)
{
    xy_fx *f = *state;
    char *copy = xt_path(f->dir, "a-copy.db"), *sa, *ss, *sb;
    const char *vals[8];
    xa_node old, nu;
    cJSON *j, *fo;
    xt_run r;

    xy_bulk_set(f->a, "blk", 10);
    SET(f, f->a, "ind-1", "est", "50");
    SYNC_EXPECT(f, f->a, 11, 0);
    old = xy_node_of(f->a);

    xy_db_backup(f->a, copy);

    /* After the copy: A edits and syncs; the server holds A:12..16. */
    SET(f, f->a, "after-1", "text", "sau bản sao 1");
    SET(f, f->a, "after-2", "text", "sau bản sao 2");
    SET(f, f->a, "after-3", "text", "sau bản sao 3");
    SET(f, f->a, "after-4", "text", "sau bản sao 4");
    SET(f, f->a, "ind-1", "est", "100");
    SYNC_EXPECT(f, f->a, 5, 0);
    assert_int_equal(xy_node_count(f->ddb, KIM, old), 16);

    /* The disk dies; A comes back from the copy and the clerk goes on. */
    xt_unlink_db(f->a);
    if (rename(copy, f->a) != 0)
        fail_msg("rename: %s", strerror(errno));
    xt_copy_db_marker(copy, f->a);
    assert_int_equal(xy_journal_count(f->a, KIM), 11);
    assert_true(xy_node_of(f->a) == old);
    SET(f, f->a, "new-1", "text", "mới 1");
    SET(f, f->a, "new-2", "text", "mới 2");
    SET(f, f->a, "new-3", "text", "mới 3");
    SET(f, f->a, "ind-1", "est", "200");

    r = XA(f, "--db", f->a, "sync");
    if (r.status != 0 || strstr(r.err, "restored from an older copy") == NULL ||
        strstr(r.err, "new PC id") == NULL)
        fail_msg("sync of the restored PC: expected exit 0 and the note on a new PC id; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    {
        xy_synced s = xy_parse_synced_at(&r, __FILE__, __LINE__);
        assert_int_equal(s.sent, 4);
        assert_int_equal(s.received, 5);
    }
    xt_run_free(&r);

    nu = xy_node_of(f->a);
    assert_true(nu != old && nu != 0);
    /* The server: the old node's 16 (11 + 5 made after the copy), the new
     * node's 4. */
    assert_int_equal(xy_node_count(f->ddb, KIM, old), 16);
    assert_int_equal(xy_node_count(f->ddb, KIM, nu), 4);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 20);
    /* No dot with two meanings: A and the server hold the same rows. */
    SAME_JOURNAL(f->a, f->ddb, KIM);

    sa = xy_pc_state(f, f->a);
    j = xy_parse_array(sa);
    xy_expect_bulk(j, "blk", 10);
    EXPECT_VALUE(j, "after-1", "text", "sau bản sao 1");
    EXPECT_VALUE(j, "after-4", "text", "sau bản sao 4");
    EXPECT_VALUE(j, "new-1", "text", "mới 1");
    EXPECT_VALUE(j, "new-3", "text", "mới 3");
    /* ind-1 est was changed on both sides of the copy: a conflict, both
     * values kept. */
    fo = xy_find_field(j, "ind-1", "est");
    assert_non_null(fo);
    assert_int_equal(xy_field_values(fo, vals, 8), 2);
    assert_true((strcmp(vals[0], "100") == 0 && strcmp(vals[1], "200") == 0) ||
                (strcmp(vals[0], "200") == 0 && strcmp(vals[1], "100") == 0));
    cJSON_Delete(j);
    ss = xy_server_state(f, KIM);
    assert_string_equal(sa, ss);

    /* A second sync is clean. */
    r = XA(f, "--db", f->a, "sync");
    MUST_OK(r, "second sync");
    assert_int_equal(r.errlen, 0);
    {
        xy_synced s = xy_parse_synced_at(&r, __FILE__, __LINE__);
        assert_int_equal(s.sent, 0);
        assert_int_equal(s.received, 0);
    }
    xt_run_free(&r);
    assert_true(xy_status_pending(f, f->a) == 0);

    /* Another PC of the commune sees the same. */
    FRESH_SYNC(f, f->b, f->a);
    sb = xy_pc_state(f, f->b);
    assert_string_equal(sb, ss);
    free(sa);
    free(sb);
    free(ss);
    free(copy);
}

/* The copy held an edit that was not yet sent when it was taken, and was
 * sent after: that edit is the same op on both sides, so it keeps its dot;
 * only the edits made after the restore move to the new node. */
static void test_sync__restored_copy_keeps_ops_the_server_has(void **state)
{
    xy_fx *f = *state;
    char *copy = xt_path(f->dir, "a-copy.db"), *sa, *ss;
    xa_node old, nu;
    cJSON *j;
    xt_run r;

    xy_bulk_set(f->a, "blk", 5);
    SYNC_EXPECT(f, f->a, 5, 0);
    old = xy_node_of(f->a);
    SET(f, f->a, "pending-1", "text", "chưa gửi"); /* A:6, not sent yet */
    xy_db_backup(f->a, copy);

    SET(f, f->a, "after-1", "text", "sau bản sao 1"); /* A:7 */
    SET(f, f->a, "after-2", "text", "sau bản sao 2"); /* A:8 */
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_int_equal(xy_node_count(f->ddb, KIM, old), 8);

    xt_unlink_db(f->a);
    if (rename(copy, f->a) != 0)
        fail_msg("rename: %s", strerror(errno));
    xt_copy_db_marker(copy, f->a);
    assert_int_equal(xy_journal_count(f->a, KIM), 6);
    SET(f, f->a, "new-1", "text", "mới 1");
    SET(f, f->a, "new-2", "text", "mới 2");
    SET(f, f->a, "new-3", "text", "mới 3");

    r = XA(f, "--db", f->a, "sync");
    if (r.status != 0 || strstr(r.err, " 3 unsent edits now go under a new PC id") == NULL)
        fail_msg("sync of the restored PC: expected exit 0 and 3 edits moved to a new PC id; "
                 "got %d\nstdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    {
        xy_synced s = xy_parse_synced_at(&r, __FILE__, __LINE__);
        /* pending-1 may go again (the copy never saw it acknowledged). */
        assert_true(s.sent == 3 || s.sent == 4);
        assert_int_equal(s.received, 2);
    }
    xt_run_free(&r);

    nu = xy_node_of(f->a);
    assert_true(nu != old);
    assert_int_equal(xy_node_count(f->ddb, KIM, old), 8);
    assert_int_equal(xy_node_count(f->ddb, KIM, nu), 3);
    assert_int_equal(xy_node_count(f->a, KIM, old), 8);
    assert_int_equal(xy_node_count(f->a, KIM, nu), 3);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = xy_pc_state(f, f->a);
    j = xy_parse_array(sa);
    assert_int_equal(cJSON_GetArraySize(j), 11);
    xy_expect_bulk(j, "blk", 5);
    EXPECT_VALUE(j, "pending-1", "text", "chưa gửi");
    EXPECT_VALUE(j, "after-2", "text", "sau bản sao 2");
    EXPECT_VALUE(j, "new-3", "text", "mới 3");
    xy_expect_no_conflict(j);
    cJSON_Delete(j);
    ss = xy_server_state(f, KIM);
    assert_string_equal(sa, ss);
    free(sa);
    free(ss);
    SYNC_EXPECT(f, f->a, 0, 0);
    free(copy);
}

/* A captive portal answers 200 with a login page: not an acknowledgement. */
static void test_sync__captive_portal_is_not_an_ack(void **state)
{
    xy_fx *f = *state;
    char *out, *acked_before, *acked_after;
    cJSON *js, *it;
    xt_run r;
    int port;

    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    SYNC_EXPECT(f, f->a, 2, 0);
    SET(f, f->a, "ind-5", "est", "1.460");
    SET(f, f->a, "ind-5", "plan", "1.500");
    SET(f, f->a, "ind-6", "est", "12");
    assert_true(xy_status_pending(f, f->a) == 3);
    acked_before = xy_acked_text(f->a);

    port = xy_portal_start(f);
    xy_remote_set(f, f->a, KIM, port);
    r = XA(f, "--db", f->a, "sync");
    if (r.status == 0 || strstr(r.err, "captive portal") == NULL ||
        strncmp(r.err, "xasync: ", 8) != 0)
        fail_msg("sync against a captive portal: expected a failure naming it; got %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 r.status, r.out, r.err);
    xt_run_free(&r);

    /* Status tells the clerk, and still counts the three changes. */
    out = XA_OUT(f, "--db", f->a, "status");
    if (strstr(out, "3 changes waiting") == NULL || strstr(out, "captive portal") == NULL)
        fail_msg("status after a captive portal: [%s]", out);
    free(out);
    js = xy_status_json(f, f->a);
    it = cJSON_GetObjectItemCaseSensitive(js, "pending");
    assert_true(cJSON_IsNumber(it) && it->valuedouble == 3);
    it = cJSON_GetObjectItemCaseSensitive(js, "last_error");
    assert_true(cJSON_IsString(it) && strstr(it->valuestring, "captive portal") != NULL);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(js, "failing_since")));
    cJSON_Delete(js);
    assert_int_equal(xt_q_int(f->a, "SELECT count(*) FROM acked"), 1);
    acked_after = xy_acked_text(f->a);
    assert_string_equal(acked_after, acked_before);
    free(acked_after);
    free(acked_before);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 2);

    /* Back on the real link, the three changes go, once. */
    xt_kill_child(&f->portal_pid);
    xy_remote_set(f, f->a, KIM, f->srv.port);
    SYNC_EXPECT(f, f->a, 3, 0);
    assert_true(xy_status_pending(f, f->a) == 0);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 5);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    js = xy_status_json(f, f->a);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(js, "last_error")));
    cJSON_Delete(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XY_TEST(test_sync__lost_response_resent_once),
        XY_TEST(test_sync__server_killed_mid_sync_loses_nothing),
        XY_TEST(test_sync__restored_pc_takes_new_node),
        XY_TEST(test_sync__restored_copy_keeps_ops_the_server_has),
        XY_TEST(test_sync__captive_portal_is_not_an_ack),
    };

    signal(SIGPIPE, SIG_IGN);
    return xt_tests_status(cmocka_run_group_tests_name("test_sync_faults", tests, NULL, NULL));
}
