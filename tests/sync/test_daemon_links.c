/*
 * The sync daemon against docs/design.md ("The sync daemon") and daemon.h, on
 * a link that fails: every edit reaches the server exactly once, whatever
 * the link did (down at start, cut in the middle of a request body or of a
 * response, slow, or the daemon SIGKILLed at any moment), checked on the
 * journals and on `show --json`; `xasync set` never fails for a lock while
 * the daemon syncs.
 *
 * The harness, and what holds for every test: tests/support/daemonfx.h.
 */
#include "daemonfx.h"
#include "xasync/store.h"
#include "xasync/syncstate.h"

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
#include <sys/prctl.h>
#include <sys/socket.h>
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
/* 1. The server down at start, up later                                   */

static void test_daemon__edits_made_while_server_down_arrive_once(void **state)
{
    xd_fx *f = *state;
    int port = f->srv_port;
    char *st;
    cJSON *j;
    int64_t ms;

    /* The server goes away; the PC speaks to it through the proxy, which
     * first refuses connections. */
    assert_int_equal(xt_server_stop(&f->srv, SIGTERM), 0);
    xt_proxy_start(&f->proxy, port);
    xd_remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "refuse");
    xd_daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);

    SET(f, f->pc, "report-2024-h1", "title", "Báo cáo sơ kết 6 tháng đầu năm 2024");
    SET(f, f->pc, "ind-1", "est", "1.460");
    SET(f, f->pc, "ind-2", "est", "636,4");
    SET(f, f->pc, "ind-1", "est", "1.470"); /* supersedes the first */
    xt_sleep_ms(1500);

    j = xd_status_json(f, f->pc);
    if (xd_j_num(j, "pending") != 4 || xd_j_str(j, "failing_since") == NULL ||
        xd_j_str(j, "last_error") == NULL || !xd_j_true(j, "daemon") || xd_j_num(j, "failures") < 1)
        FAIL(f, "while refused: expected 4 waiting, failing, the daemon up; got %s", xd_jtext(j));
    cJSON_Delete(j);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "4 changes waiting") == NULL || strstr(st, "next try") == NULL ||
        strstr(st, "no connection since") == NULL)
        FAIL(f, "status while refused: [%s]", st);
    free(st);
    if (xd_journal_count(f->ddb) != 0)
        FAIL(f, "the server holds ops while it was down");

    /* The proxy accepts again, but there is still no server behind it. */
    PROXY(f, "pass");
    SET(f, f->pc, "ind-3", "plan", "12");
    SET(f, f->pc, "ind-3", "note", "Vượt kế hoạch");
    SET(f, f->pc, "report-2024-h1", "signer", "Nguyễn Văn Bình");
    xt_sleep_ms(1500);
    j = xd_status_json(f, f->pc);
    if (xd_j_num(j, "pending") != 7 || xd_j_str(j, "failing_since") == NULL)
        FAIL(f, "with no server behind the proxy: expected 7 waiting and failing; got %s",
             xd_jtext(j));
    cJSON_Delete(j);
    if (!xd_daemon_running(f, NULL))
        FAIL(f, "the daemon exited while the server was down");

    /* The server comes back where it was. */
    xd_server_start_on(&f->srv, f->ddb, port);
    ms = WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    print_message("server back: all sent %lld ms later\n", (long long)ms);
    SAME_JOURNAL(f, f->pc, 7);
    SAME_VALUES(f, f->pc);

    /* A healthy link again: an edit is out within a second or two (bound:
     * SYNC_WAIT_MS, generous for a loaded machine; the time is printed). */
    SET(f, f->pc, "ind-2", "note", "Đạt");
    ms = WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    print_message("link healthy again: an edit out in %lld ms\n", (long long)ms);
    SAME_JOURNAL(f, f->pc, 8);
    SAME_VALUES(f, f->pc);
    DAEMON_STOP_OK(f);
    if (!xd_log_has(f, "the link is back"))
        FAIL(f, "the log never said the link is back");
}

/* ---------------------------------------------------------------------- */
/* 2. The link cut mid-request and mid-response, again and again          */

/* One round: PC B adds two edits straight to the server (so A's answer
 * carries ops), A makes four while the proxy cuts, the daemon tries for a
 * second, then the link passes and everything must go out.  Returns 1 if
 * the daemon saw a failure in this round. */
static int cut_round(xd_fx *f, const char *mode, int n, int round, uint32_t *seed)
{
    char cmd[64], text[400], ent[64];
    int64_t before = xd_failed_attempts(f->pc);
    xt_run r;

    xd_bulk_set(f->pc2, "b", round * 2, 2, 300, *seed += 7919u);
    r = xd_xa(f, ARGV("--db", f->pc2, "sync"));
    if (r.status != 0)
        FAIL(f, "PC B's sync: exit %d [%s]", r.status, r.err);
    xt_run_free(&r);

    snprintf(cmd, sizeof cmd, "%s %d", mode, n);
    PROXY(f, "%s", cmd);
    for (int i = 0; i < 4; i++) {
        snprintf(ent, sizeof ent, "a-%03d-%d", round, i);
        xd_random_text(text, 320, seed);
        SET(f, f->pc, ent, "text", text);
    }
    xt_sleep_ms(1000);
    PROXY(f, "pass");
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    return xd_failed_attempts(f->pc) > before;
}

static void test_daemon__cuts_mid_request_and_mid_response_lose_nothing(void **state)
{
    xd_fx *f = *state;
    uint32_t seed = 77u;
    int rounds = 0, failed = 0, round = 0;
    int64_t t0 = xt_mono_ms(), held;

    /* Both PCs hold edits before their first sync: no snapshot, whole
     * journals on every side. */
    xd_bulk_set(f->pc, "first", 1, 3, 40, 1u);
    xd_bulk_set(f->pc2, "firstb", 1, 3, 40, 2u);
    xt_proxy_start(&f->proxy, f->srv.port);
    xd_remote_to(f, f->pc, f->proxy.port);
    xd_daemon_start(f, ARGV(QUICK));
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);

    for (int n = 50; n <= 1500; n += 97, round++) {
        failed += cut_round(f, "cut-up", n, round, &seed);
        rounds++;
    }
    for (int n = 20; n <= 400; n += 31, round++) {
        failed += cut_round(f, "cut-down", n, round, &seed);
        rounds++;
    }
    /* A's last sync brought B's last edits; if not, its next pull does
     * (and SAME_JOURNAL below says what is missing). */
    held = xd_journal_count(f->ddb);
    for (int64_t t = xt_mono_ms(); xd_journal_count(f->pc) != held; xt_sleep_ms(100))
        if (xt_mono_ms() - t > SYNC_WAIT_MS)
            break;
    print_message("%d rounds, %d saw failed attempts, %lld failed attempts in all, %lld ms\n",
                  rounds, failed, (long long)xd_failed_attempts(f->pc),
                  (long long)(xt_mono_ms() - t0));
    DAEMON_STOP_OK(f);
    /* 3 + 3 first edits, 2 of B's and 4 of A's a round. */
    SAME_JOURNAL(f, f->pc, 6 + 6 * rounds);
    SAME_VALUES(f, f->pc);
    xt_integrity_ok(f->pc);
    /* The cuts must have bitten, or this test proved nothing. */
    if (failed * 2 < rounds)
        FAIL(f, "only %d of %d rounds saw a cut attempt", failed, rounds);
}

/* ---------------------------------------------------------------------- */
/* 3. A slow, far link                                                     */

static void test_daemon__slow_link_backlog_arrives_in_batches(void **state)
{
    xd_fx *f = *state;
    xd_attempt_row *rows = xd_attempts_buf;
    int64_t t0, waited;
    size_t n;
    uint64_t up = 0, down = 0, conns = 0, requests = 0, sent = 0;

    /* 200 edits made with no daemon running. */
    xd_bulk_set(f->pc, "row", 1, 200, 120, 3u);
    xt_proxy_start(&f->proxy, f->srv.port);
    xd_remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "bandwidth 4000");
    PROXY(f, "latency 600");
    xd_daemon_start(f, ARGV("--pull-interval", "5", "--backoff-base", "0.2", "--backoff-cap", "1",
                            "--batch-ops", "50", "--request-timeout", "30"));
    t0 = xt_mono_ms();
    for (;;) {
        cJSON *j = xd_status_json(f, f->pc);
        double pending = xd_j_num(j, "pending");
        const char *err = xd_j_str(j, "last_error");

        if (err != NULL || xd_j_num(j, "failures") != 0)
            FAIL(f, "status reported an error on a slow link: %s", xd_jtext(j));
        cJSON_Delete(j);
        if (pending == 0)
            break;
        if (!xd_daemon_running(f, NULL))
            FAIL(f, "the daemon is gone with %.0f changes waiting", pending);
        if (xt_mono_ms() - t0 > 120000)
            FAIL(f, "still %.0f changes waiting after 120 s", pending);
        xt_sleep_ms(250);
    }
    waited = xt_mono_ms() - t0;
    xt_proxy_stats(&f->proxy, &up, &down, &conns);
    DAEMON_STOP_OK(f);

    n = xd_attempts_read(f->pc, rows, ATTEMPTS_MAX);
    if (n == 0)
        FAIL(f, "no attempt recorded");
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].ok)
            FAIL(f, "attempt %zu failed on a slow link: %s", i + 1, rows[i].error);
        if (rows[i].ops_sent > 0) {
            requests += (uint64_t)rows[i].requests;
            sent += (uint64_t)rows[i].ops_sent;
        }
    }
    /* 200 ops in batches of at most 50: at least four requests. */
    if (sent != 200 || requests < 4)
        FAIL(f, "the attempts that sent ops sent %llu in %llu requests (--batch-ops 50)",
             (unsigned long long)sent, (unsigned long long)requests);
    if (xd_log_has(f, "timed out") || xd_log_has(f, "sync failed"))
        FAIL(f, "the daemon's log reports a failure on a slow link");
    print_message("slow link: %lld ms, %zu attempts, %llu requests, %llu bytes up, %llu down\n",
                  (long long)waited, n, (unsigned long long)requests, (unsigned long long)up,
                  (unsigned long long)down);
    SAME_JOURNAL(f, f->pc, 200);
    SAME_VALUES(f, f->pc);
}

/* ---------------------------------------------------------------------- */
/* 4. SIGKILL at random moments                                            */

static void test_daemon__sigkill_at_random_moments_loses_nothing(void **state)
{
    xd_fx *f = *state;
    unsigned seed = (unsigned)time(NULL);
    int64_t attempts_before, server_before, lost_answers = 0;
    char *st;

    print_message("random seed %u\n", seed);
    /* A little latency so a kill lands inside a request now and then. */
    xt_proxy_start(&f->proxy, f->srv.port);
    xd_remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "latency 20");
    for (int i = 0; i < 50; i++) {
        long nap = (long)(rand_r(&seed) % 301);

        xd_bulk_set(f->pc, "k", i * 3, 3, 60, (uint32_t)rand_r(&seed));
        attempts_before = xt_q_int(f->pc, "SELECT count(*) FROM attempt");
        server_before = xd_journal_count(f->ddb);
        xd_daemon_start(f, ARGV(QUICK));
        xt_sleep_ms(nap);
        if (!xd_daemon_running(f, NULL))
            FAIL(f, "cycle %d: the daemon exited before it was killed", i);
        xt_kill_child(&f->daemon_pid);
        /* The server took the ops but the PC never heard back: the same
         * ops go again next time. */
        if (xd_journal_count(f->ddb) > server_before &&
            xt_q_int(f->pc, "SELECT count(*) FROM attempt") == attempts_before)
            lost_answers++;
    }
    print_message("50 kills; %lld between the server's commit and the PC's record\n",
                  (long long)lost_answers);
    xt_integrity_ok(f->pc);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "the sync daemon is not running") == NULL)
        FAIL(f, "status after a SIGKILLed daemon: [%s]", st);
    free(st);

    xd_daemon_start(f, ARGV(QUICK));
    /* Up first: with nothing left to send, WAIT_SYNCED returns at once, and
     * a SIGTERM before the daemon has set its handlers is a kill (143). */
    WAIT_DAEMON_UP(f, f->pc);
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 150);
    SAME_VALUES(f, f->pc);
    xt_integrity_ok(f->pc);
    xt_integrity_ok(f->ddb);
}

/* ---------------------------------------------------------------------- */
/* 5. `xasync set` while the daemon syncs                                  */

static void test_daemon__set_while_daemon_syncs_is_never_locked(void **state)
{
    xd_fx *f = *state;
    int64_t worst = 0, t0 = xt_mono_ms();
    int trips;

    xt_proxy_start(&f->proxy, f->srv.port);
    xd_remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "latency 40");
    /* --verbose: a log line for every round trip, each one a write of the
     * daemon's into the database the sets write. */
    xd_daemon_start(f, ARGV("--pull-interval", "0.2", "--backoff-base", "0.2", "--backoff-cap", "1",
                            "--verbose"));
    WAIT_DAEMON_UP(f, f->pc);
    for (int i = 0; i < 300; i++) {
        char ent[32], val[32];
        int64_t t = xt_mono_ms(), took;

        snprintf(ent, sizeof ent, "ind-%d", i % 23);
        snprintf(val, sizeof val, "%d", 1000 + i);
        SET(f, f->pc, ent, i % 2 ? "est" : "plan", val);
        took = xt_mono_ms() - t;
        if (took > worst)
            worst = took;
    }
    trips = xd_log_count(f, "round trip");
    print_message("300 sets in %lld ms, the slowest %lld ms; %d round trips meanwhile\n",
                  (long long)(xt_mono_ms() - t0), (long long)worst, trips);
    if (!xd_daemon_running(f, NULL))
        FAIL(f, "the daemon exited during the sets");
    /* The daemon wrote while the sets did, or this test proved nothing. */
    if (trips < 10)
        FAIL(f, "only %d round trips during 300 sets", trips);
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 300);
    SAME_VALUES(f, f->pc);
    if (xd_log_has(f, "locked") || xd_log_has(f, "busy"))
        FAIL(f, "the daemon's log speaks of a lock");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XD_TEST(test_daemon__edits_made_while_server_down_arrive_once),
        XD_TEST(test_daemon__cuts_mid_request_and_mid_response_lose_nothing),
        XD_TEST(test_daemon__slow_link_backlog_arrives_in_batches),
        XD_TEST(test_daemon__sigkill_at_random_moments_loses_nothing),
        XD_TEST(test_daemon__set_while_daemon_syncs_is_never_locked),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
