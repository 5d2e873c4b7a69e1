/*
 * The sync against docs/design.md ("The protocol: one round trip per sync")
 * on the wire, through the fault-injecting proxy, which counts.
 *
 * What must hold:
 *   9. A sync of many round trips runs on one kept-alive connection, and
 *      the bytes it reports are the bytes on the wire.
 *  10. Answers are bounded: a backlog larger than one answer may carry
 *      (values near the 64 KiB limit) still reaches a PC, and a long
 *      backlog finishes in one call. *
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

/* What one sync through the proxy printed, and what the proxy counted. */
typedef struct wire {
    xy_synced s;
    unsigned long long requests, bup, bdown; /* as `xasync sync` reported */
    uint64_t up, down, conns;                /* as the proxy counted */
} wire;

/* Zero the proxy's counters, run `xasync sync` on `db` (must succeed),
 * collect both sides' counts. */
static wire wire_sync_at(xy_fx *f, const char *db, int line)
{
    char reply[256];
    const char *p;
    wire w;
    xt_run r;

    memset(&w, 0, sizeof w);
    if (xt_proxy_cmd(&f->proxy, "zero", reply, sizeof reply) != 0)
        fail_msg("proxy: zero: %s", reply);
    r = xy_xa(f, ARGV("--db", db, "sync"));
    xy_ok_at(&r, "sync", __FILE__, line);
    w.s = xy_parse_synced_at(&r, __FILE__, line);
    p = strstr(r.out, " ops; ");
    if (p == NULL || sscanf(p, " ops; %llu bytes up, %llu bytes down, %llu requests", &w.bup,
                            &w.bdown, &w.requests) != 3)
        fail_msg("%s:%d: no byte and request counts in [%s]", __FILE__, line, r.out);
    xt_run_free(&r);
    xt_proxy_stats(&f->proxy, &w.up, &w.down, &w.conns);
    return w;
}
#define WIRE_SYNC(f, db) wire_sync_at((f), (db), __LINE__)

/* Edits prefix-1..n whose values are `len` letters drawn at random: text
 * that compresses poorly, so that request bodies are large on the wire. */
static void bulk_set_random(const char *path, const char *prefix, int n, int len, uint32_t seed)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .";
    char *text = malloc((size_t)len + 1);
    xa_store *st = NULL;

    assert_non_null(text);
    if (xa_store_open(&st, path) != 0)
        fail_msg("cannot open %s", path);
    for (int i = 1; i <= n; i++) {
        char ent[64], *json;
        cJSON *js;
        int rc;

        for (int k = 0; k < len; k++) {
            seed = seed * 1664525u + 1013904223u;
            text[k] = alphabet[(seed >> 24) % (sizeof alphabet - 1)];
        }
        text[len] = '\0';
        xy_bulk_entity(ent, sizeof ent, prefix, i);
        js = cJSON_CreateString(text);
        json = js ? cJSON_PrintUnformatted(js) : NULL;
        cJSON_Delete(js);
        assert_non_null(json);
        rc = xa_store_set(st, xa_store_scope(st), ent, "text", json, AUTHOR, 0, NULL);
        free(json);
        if (rc != 0) {
            xa_store_close(st);
            fail_msg("xa_store_set %s: %d", ent, rc);
        }
    }
    xa_store_close(st);
    free(text);
}

/* A sync of many round trips, both ways, runs on one kept-alive
 * connection (docs/design.md: "the client loops while there is more to send or
 * `more` is true, on one kept-alive connection"). */
static void test_sync__round_trips_share_one_connection(void **state)
{
    xy_fx *f = *state;
    const int total = 2600; /* more than one batch up, more than one answer down */
    char *sa, *sb;
    wire w;

    xy_bulk_set(f->a, "blk", total);
    SET(f, f->b, "ind-4", "est", "636,4"); /* B is not fresh: it gets history */
    xt_proxy_start(&f->proxy, f->srv.port);
    xy_remote_set(f, f->a, KIM, f->proxy.port);
    xy_remote_set(f, f->b, KIM, f->proxy.port);

    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, total);
    assert_int_equal(w.s.received, 0);
    assert_true(w.requests >= 2);
    if (w.conns != 1)
        fail_msg("A's sync of %d ops in %llu requests used %llu connections, not 1", total,
                 w.requests, (unsigned long long)w.conns);

    w = WIRE_SYNC(f, f->b);
    assert_int_equal(w.s.sent, 1);
    assert_int_equal(w.s.received, total);
    assert_true(w.requests >= 2);
    if (w.conns != 1)
        fail_msg("B's sync receiving %d ops in %llu requests used %llu connections, not 1", total,
                 w.requests, (unsigned long long)w.conns);
    SYNC_EXPECT(f, f->a, 0, 1);
    SAME_JOURNAL(f->a, f->b, KIM);
    SAME_JOURNAL(f->a, f->ddb, KIM);
    sa = xy_pc_state(f, f->a);
    sb = xy_pc_state(f, f->b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
}

/* The bytes a sync reports are the bytes on the wire, headers and bodies
 * (sync.h: "on the wire: headers and bodies"; `status` and the daemon's
 * records show them to the district): the proxy counts exactly those. */
static void test_sync__reported_bytes_match_the_wire(void **state)
{
    xy_fx *f = *state;
    wire w;

    xt_proxy_start(&f->proxy, f->srv.port);
    xy_remote_set(f, f->a, KIM, f->proxy.port);
    xy_remote_set(f, f->b, KIM, f->proxy.port);

    /* A few small edits: small bodies. */
    SET(f, f->a, "ind-4", "est", "636,4");
    SET(f, f->a, "ind-4", "plan", "700");
    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, 2);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("a sync of 2 edits reported %llu bytes up, %llu down; the wire carried %llu "
                 "up, %llu down",
                 w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);

    /* Edits of text that compresses poorly: request bodies past 64 KiB. */
    bulk_set_random(f->a, "rnd", 400, 500, 12345u);
    w = WIRE_SYNC(f, f->a);
    assert_int_equal(w.s.sent, 400);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("a sync of 400 edits (%llu requests) reported %llu bytes up, %llu down; the "
                 "wire carried %llu up, %llu down",
                 w.requests, w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);

    /* And the answers: B fetches it all. */
    SET(f, f->b, "ind-5", "est", "1.460");
    w = WIRE_SYNC(f, f->b);
    assert_int_equal(w.s.received, 402);
    if (w.bup != w.up || w.bdown != w.down)
        fail_msg("B's sync reported %llu bytes up, %llu down; the wire carried %llu up, %llu "
                 "down",
                 w.bup, w.bdown, (unsigned long long)w.up, (unsigned long long)w.down);
    SYNC_EXPECT(f, f->a, 0, 1);
    SAME_JOURNAL(f->a, f->b, KIM);
}

/* Values near the 64 KiB limit: a backlog whose text is larger than one
 * answer may carry still reaches a PC, in bounded answers (docs/design.md:
 * "Batches are bounded (ops and compressed bytes)"; "Inflated size is
 * bounded before parsing, in both directions"). */
static void test_sync__large_values_arrive_in_bounded_answers(void **state)
{
    xy_fx *f = *state;
    const int total = 1200, size = 60000, chunk = 300; /* 72 MB of values in all */
    char *text = malloc((size_t)size + 1);
    xy_synced s;

    assert_non_null(text);
    /* A writes and sends them in a few syncs, each well within a run's
     * time limit. */
    for (int from = 1; from <= total; from += chunk) {
        xa_store *st = NULL;

        if (xa_store_open(&st, f->a) != 0)
            fail_msg("cannot open %s", f->a);
        for (int i = from; i < from + chunk; i++) {
            char ent[32], *json;
            cJSON *js;
            int n = snprintf(text, (size_t)size + 1, "khối %d: ", i), rc;

            for (int k = n; k < size; k++)
                text[k] = (char)('a' + (k * 7 + i) % 26);
            text[size] = '\0';
            snprintf(ent, sizeof ent, "big-%05d", i);
            js = cJSON_CreateString(text);
            json = js ? cJSON_PrintUnformatted(js) : NULL;
            cJSON_Delete(js);
            assert_non_null(json);
            rc = xa_store_set(st, xa_store_scope(st), ent, "text", json, AUTHOR, 0, NULL);
            free(json);
            if (rc != 0) {
                xa_store_close(st);
                fail_msg("xa_store_set %s: %d", ent, rc);
            }
        }
        xa_store_close(st);
        SYNC_EXPECT(f, f->a, (unsigned long long)chunk, 0);
    }
    free(text);
    assert_int_equal(xy_journal_count(f->ddb, KIM), total);

    /* B holds an edit of its own, so it is not fresh and gets history. */
    SET(f, f->b, "ind-4", "est", "636,4");
    {
        xt_run r = XA(f, "--db", f->b, "sync");
        if (r.status != 0)
            fail_msg("B fetching %d values of %d bytes (%d MB): expected exit 0, got %d\n"
                     "stderr: [%s]",
                     total, size, total * size / 1000000, r.status, r.err);
        s = xy_parse_synced_at(&r, __FILE__, __LINE__);
        xt_run_free(&r);
    }
    assert_int_equal(s.sent, 1);
    assert_int_equal(s.received, total);
    SYNC_EXPECT(f, f->a, 0, 1);
    /* Equal journals make equal fields (the merge is deterministic); the
     * 72 MB `show --json` of each would not fit the test's output cap. */
    SAME_JOURNAL(f->a, f->b, KIM);
}

/* A backlog that needs more round trips than any fixed cap finishes in one
 * `xasync sync`, since every round moves something (it stopped at 1,000
 * rounds: "did not finish in 1000 round trips", exit 1). */
static void test_sync__long_backlog_finishes_in_one_call(void **state)
{
    xy_fx *f = *state;
    xt_run r;
    xy_synced s;
    const char *p;
    unsigned long long requests;

    xy_bulk_set(f->a, "blk", 1050);
    r = XA(f, "--db", f->a, "sync", "--batch-ops", "1");
    xy_ok_at(&r, "sync --batch-ops 1", __FILE__, __LINE__);
    s = xy_parse_synced_at(&r, __FILE__, __LINE__);
    assert_int_equal(s.sent, 1050);
    p = strstr(r.out, " requests");
    while (p && p > r.out && p[-1] >= '0' && p[-1] <= '9')
        p--;
    assert_non_null(p);
    requests = strtoull(p, NULL, 10);
    if (requests < 1050)
        fail_msg("1050 edits, one a request, in %llu requests: [%s]", requests, r.out);
    xt_run_free(&r);
    assert_int_equal(xy_journal_count(f->ddb, KIM), 1050);
    SYNC_EXPECT(f, f->a, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XY_TEST(test_sync__round_trips_share_one_connection),
        XY_TEST(test_sync__reported_bytes_match_the_wire),
        XY_TEST(test_sync__large_values_arrive_in_bounded_answers),
        XY_TEST(test_sync__long_backlog_finishes_in_one_call),
    };

    signal(SIGPIPE, SIG_IGN);
    return xt_tests_status(cmocka_run_group_tests_name("test_sync_wire", tests, NULL, NULL));
}
