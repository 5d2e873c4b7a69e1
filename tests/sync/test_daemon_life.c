/*
 * The sync daemon against docs/design.md ("The sync daemon") and daemon.h, its
 * life: a failed attempt waits at most min(cap, base * 2^(n-1)) after the
 * n-th failure in a row, or the server's Retry-After if longer, and the
 * daemon never exits on a failure (systemd issue 2877); one daemon per
 * database; SIGTERM ends it with exit 0, even in the middle of a stalled
 * transfer (systemd issue 32354); `xasync status` then says it is not
 * running.
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
/* 6. A server answering 500, 503 with Retry-After, or garbage            */

/* Run the daemon against a fake server for `run_ms`, then check that it
 * stayed up, recorded failed attempts spaced as the backoff says, and that
 * `xasync status` tells the clerk the error (containing `want`) and the
 * next try. */
static void fake_case(xd_fx *f, enum fake_mode mode, int64_t run_ms, const char *want)
{
    xd_attempt_row *rows = xd_attempts_buf;
    int port = xd_fake_start(f, mode), st = -1;
    size_t n;
    cJSON *j;
    char *text;
    int64_t late_max = 0;

    xd_remote_to(f, f->pc, port);
    SET(f, f->pc, "ind-1", "est", "1.460");
    xd_daemon_start(f, ARGV(QUICK));
    for (int64_t t0 = xt_mono_ms(); xt_mono_ms() - t0 < run_ms;) {
        if (!xd_daemon_running(f, &st))
            FAIL(f, "the daemon exited (status %d) on a failing server", st);
        xt_sleep_ms(100);
    }
    if (!xd_daemon_running(f, &st) || kill((pid_t)f->daemon_pid, 0) != 0)
        FAIL(f, "the daemon exited (status %d) on a failing server", st);

    j = xd_status_json(f, f->pc);
    if (!xd_j_true(j, "daemon") || xd_j_num(j, "pending") != 1 || xd_j_num(j, "failures") < 2 ||
        xd_j_str(j, "next_try") == NULL || xd_j_str(j, "failing_since") == NULL ||
        xd_j_str(j, "last_error") == NULL || strstr(xd_j_str(j, "last_error"), want) == NULL)
        FAIL(f, "status --json on a failing server (want '%s'): %s", want, xd_jtext(j));
    cJSON_Delete(j);
    text = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(text, want) == NULL || strstr(text, "next try") == NULL ||
        strstr(text, "1 change waiting") == NULL)
        FAIL(f, "status on a failing server (want '%s' and the next try): [%s]", want, text);
    free(text);
    DAEMON_STOP_OK(f);

    n = xd_attempts_read(f->pc, rows, ATTEMPTS_MAX);
    if (n < 3)
        FAIL(f, "only %zu attempts in %lld ms", n, (long long)run_ms);
    for (size_t i = 0; i < n; i++) {
        int64_t gap, ceiling;

        /* The one attempt SIGTERM may have cut short ends "stopped". */
        int cut = i + 1 == n && strcmp(rows[i].error, "stopped") == 0;

        if (rows[i].ok || (strstr(rows[i].error, want) == NULL && !cut))
            FAIL(f, "attempt %zu: ok %d, error '%s' (want '%s')", i + 1, rows[i].ok, rows[i].error,
                 want);
        if (i == 0)
            continue;
        /* After the i-th failure in a row: at most min(cap, base * 2^(i-1)),
         * at least Retry-After when the server said so. */
        gap = rows[i].started - rows[i - 1].ended;
        ceiling = BASE_MS;
        for (size_t k = 1; k < i && ceiling < CAP_MS; k++)
            ceiling *= 2;
        if (ceiling > CAP_MS)
            ceiling = CAP_MS;
        /* Lower bounds exact; upper ones with LATE_MS of slack for a
         * loaded machine. */
        if (mode == FAKE_503) {
            if (gap < 1900 || gap > 2000 + LATE_MS)
                FAIL(f, "gap %zu after a 503 with Retry-After: 2 was %lld ms", i, (long long)gap);
        } else if (gap > ceiling + LATE_MS) {
            FAIL(f, "gap %zu after %zu failures was %lld ms; the backoff allows %lld", i, i,
                 (long long)gap, (long long)ceiling);
        }
        if (i >= 3 && gap > late_max)
            late_max = gap;
    }
    /* The gaps grow: from the third on the ceiling is 800 ms or more, and a
     * uniform draw below it stays under base + 100 ms every time with a
     * chance of a few in ten thousand. */
    if (mode != FAKE_503 && n > 3 && late_max <= BASE_MS + 100)
        FAIL(f, "the gaps never grew: the largest from the third on was %lld ms",
             (long long)late_max);
    print_message("%s: %zu attempts in %lld ms, the largest late gap %lld ms\n", want, n,
                  (long long)run_ms, (long long)late_max);
}

static void test_daemon__server_500_backs_off_and_keeps_running(void **state)
{
    fake_case(*state, FAKE_500, 4000, "HTTP 500");
}

static void test_daemon__server_503_retry_after_is_honoured(void **state)
{
    fake_case(*state, FAKE_503, 7000, "HTTP 503");
}

static void test_daemon__garbage_answer_backs_off_and_keeps_running(void **state)
{
    fake_case(*state, FAKE_GARBAGE, 4000, "did not come from the district server");
}

/* ---------------------------------------------------------------------- */
/* 7. One daemon per database; SIGTERM; status after a stop                */

static void test_daemon__second_daemon_refused_at_once(void **state)
{
    xd_fx *f = *state;
    int64_t t0;
    xt_run r;

    xd_daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);
    t0 = xt_mono_ms();
    r = xd_xa(f, ARGV("--db", f->pc, "daemon", QUICK));
    t0 = xt_mono_ms() - t0;
    /* Refused at once: it exits by itself saying why, while the first still
     * holds the database (one that waited for it would be killed by the
     * runner's bound, 128+9, with nothing said). */
    if (r.status == 0 || r.status >= 128 || strstr(r.err, "already running") == NULL)
        FAIL(f, "a second daemon: exit %d after %lld ms, stderr [%s]", r.status, (long long)t0,
             r.err);
    print_message("a second daemon refused in %lld ms\n", (long long)t0);
    xt_run_free(&r);
    if (!xd_daemon_running(f, NULL))
        FAIL(f, "the first daemon did not survive the second");
    SET(f, f->pc, "ind-1", "est", "1.460");
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 1);

    /* Once it is gone, a new one may start. */
    xd_daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);
    DAEMON_STOP_OK(f);
}

static void test_daemon__sigterm_mid_transfer_exits_promptly(void **state)
{
    xd_fx *f = *state;
    uint64_t conns = 0;
    int64_t t0;
    char *st;

    xt_proxy_start(&f->proxy, f->srv.port);
    xd_remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "blackhole");
    SET(f, f->pc, "ind-1", "est", "1.460");
    xd_daemon_start(f, ARGV("--pull-interval", "1", "--backoff-base", "0.2", "--backoff-cap", "1",
                            "--request-timeout", "60"));
    /* Wait for the daemon's connection to be swallowed, and a bit more. */
    for (t0 = xt_mono_ms(); conns == 0; xt_sleep_ms(50)) {
        xt_proxy_stats(&f->proxy, NULL, NULL, &conns);
        if (xt_mono_ms() - t0 > REAP_MS)
            FAIL(f, "the daemon never connected");
    }
    xt_sleep_ms(500);
    if (xd_failed_attempts(f->pc) != 0)
        FAIL(f, "an attempt ended while the link stalled");
    t0 = DAEMON_STOP_OK(f);
    print_message("SIGTERM in a stalled transfer: exit 0 after %lld ms\n", (long long)t0);

    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "the sync daemon is not running") == NULL ||
        strstr(st, "1 change waiting") == NULL)
        FAIL(f, "status after a stop in a stalled transfer: [%s]", st);
    free(st);

    /* Nothing was lost: the link back, the edit goes out once. */
    PROXY(f, "pass");
    xd_daemon_start(f, ARGV(QUICK));
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 1);
    xt_integrity_ok(f->pc);
}

static void test_daemon__status_says_not_running_after_stop(void **state)
{
    xd_fx *f = *state;
    char *st;
    cJSON *j;

    /* The default pull interval: the daemon sleeps when SIGTERM comes. */
    SET(f, f->pc, "ind-1", "est", "1.460");
    xd_daemon_start(f, ARGV("--backoff-base", "0.2", "--backoff-cap", "1"));
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "not running") != NULL || strstr(st, "all changes sent") == NULL)
        FAIL(f, "status with the daemon running: [%s]", st);
    free(st);
    xt_sleep_ms(300);
    DAEMON_STOP_OK(f);

    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "the sync daemon is not running") == NULL)
        FAIL(f, "status after the daemon stopped: [%s]", st);
    free(st);
    j = xd_status_json(f, f->pc);
    if (xd_j_true(j, "daemon") || xd_j_str(j, "next_try") != NULL || xd_j_num(j, "pending") != 0)
        FAIL(f, "status --json after the daemon stopped: %s", xd_jtext(j));
    cJSON_Delete(j);
    SAME_JOURNAL(f, f->pc, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XD_TEST(test_daemon__server_500_backs_off_and_keeps_running),
        XD_TEST(test_daemon__server_503_retry_after_is_honoured),
        XD_TEST(test_daemon__garbage_answer_backs_off_and_keeps_running),
        XD_TEST(test_daemon__second_daemon_refused_at_once),
        XD_TEST(test_daemon__sigterm_mid_transfer_exits_promptly),
        XD_TEST(test_daemon__status_says_not_running_after_stop),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
