/*
 * The sync daemon's test harness (tests/sync/test_daemon_*.c): the real
 * `xasync daemon` process, the real `xasync-district` and, between them,
 * the fault-injecting proxy (tests/proxy/xaproxy.c) or a fake HTTP server
 * forked by the test.
 *
 * Cast: PC A of commune hoang-kim (pc.db), whose daemon is under test; PC B
 * of the same commune (pc2.db), synced with `xasync sync` straight to the
 * server, so A's answers carry ops too.  Every test has its own folder,
 * district database and server; the daemon, the proxy, the fake server and
 * any restarted server are started and stopped by PID, also in the
 * teardown, which cmocka runs when a test fails.  Each daemon is made to
 * die with the test process (PR_SET_PDEATHSIG), so none outlives a crash.
 *
 * Bulk edits made while no daemon runs go through xa_store_set() in this
 * process, the function `xasync set` calls; edits made while a daemon runs
 * go through the real `xasync set`.  Every wait is bounded.
 * Include after <cmocka.h>.
 */
#ifndef XA_TEST_DAEMONFX_H
#define XA_TEST_DAEMONFX_H

#include "proxy_ctl.h"
#include "support.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KIM "hoang-kim"
#define AUTHOR "Lê Thị Lan"

/* The daemon's knobs in every test: quick backoff, quick pulls. */
#define BASE_MS 200
#define CAP_MS 1000
#define QUICK "--pull-interval", "1", "--backoff-base", "0.2", "--backoff-cap", "1"
#define SYNC_WAIT_MS 20000 /* a healthy link gets every edit out within this */
#define REAP_MS 10000      /* past this a process is SIGKILLed and the test fails */
#define LATE_MS 2000       /* slack on a retry's upper bound: a loaded machine */
#define LOG_TAIL 3000      /* bytes of the daemon's log shown with a failure */

#define ARGS_MAX 48
#define ENV_MAX 4096
#define FD_CLOSE_MAX 4096
#define ATTEMPTS_MAX 1000 /* the PC keeps the newest 1,000 attempts */
#define HTTP_HEAD_MAX 65536

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct xd_fx {
    char *dir;
    char *home; /* "HOME=dir" */
    char *ddb;  /* dir/district.db */
    char *pc;   /* dir/pc.db: PC A, whose daemon is under test */
    char *pc2;  /* dir/pc2.db: PC B, synced straight to the server */
    char *dlog; /* dir/daemon.log: every daemon's stderr, appended */
    xt_server srv;
    int srv_port; /* the port the server was first given (kept across restarts) */
    xt_proxy proxy;
    int daemon_pid; /* 0: none running */
    int fake_pid;   /* the fake HTTP server, 0 if none */
} xd_fx;

/* Point a PC at 127.0.0.1:port through the store, in this process: 0 or a
 * negative code, never a failed test. */
int xd_point_at(const xd_fx *f, const char *db, int port);

/* cmocka runs no teardown after a failed setup: the server starts last, and
 * nothing after it can fail the test and leave it running. */
int xd_setup(void **state);

int xd_teardown(void **state);

int xd_has_ci(const char *hay, const char *needle);

/* The last LOG_TAIL bytes of the daemons' log (caller frees). */
char *xd_log_tail(const xd_fx *f);

void xd_fail_log(const xd_fx *f, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define FAIL(f, ...) xd_fail_log((f), __FILE__, __LINE__, __VA_ARGS__)

/* Does the daemons' log say `needle` (ignoring case)? */
int xd_log_has(const xd_fx *f, const char *needle);

/* How many times the daemons' log says `needle`. */
int xd_log_count(const xd_fx *f, const char *needle);

xt_run xd_xa(const xd_fx *f, const char *const *argv);

xt_run xd_district(const xd_fx *f, const char *const *argv);

/* Run `xasync ...` that must exit 0; its stdout (caller frees). */
char *xd_xa_out_at(const xd_fx *f, const char *const *argv, const char *file, int line);

#define XA_OUT(f, ...) xd_xa_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync set` through the real command, while a daemon may run: exit 0 and
 * nothing on stderr about a lock. */
void xd_set_at(
    const xd_fx *f, const char *db, const char *ent, const char *fld, const char *val, int line);

#define SET(f, db, ent, fld, val) xd_set_at((f), (db), (ent), (fld), (val), __LINE__)

/* Point a PC at 127.0.0.1:port. */
void xd_remote_to(const xd_fx *f, const char *db, int port);

void xd_proxy_at(xd_fx *f, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define PROXY(f, ...) xd_proxy_at((f), __LINE__, __VA_ARGS__)

/* Fork and exec `xasync --db DB daemon EXTRA...`, stderr and stdout
 * appended to the daemons' log; returns the PID. */
int xd_spawn_daemon(const xd_fx *f, const char *db, const char *const *extra);

void xd_daemon_start(xd_fx *f, const char *const *extra);

/* Still running: not exited (reaping it if it did) and signalable. */
int xd_daemon_running(xd_fx *f, int *status_out);

/* SIGTERM the daemon and reap it: its exit status; *ms the time it took.
 * Past REAP_MS it is SIGKILLed and the test fails. */
int xd_daemon_term(xd_fx *f, int64_t *ms);

/* SIGTERM: the daemon exits 0 by itself (xd_daemon_term kills it and fails
 * the test past REAP_MS, the bound of every wait); the time it took. */
int64_t xd_daemon_stop_ok_at(xd_fx *f, int line);

#define DAEMON_STOP_OK(f) xd_daemon_stop_ok_at((f), __LINE__)

int64_t xd_journal_count(const char *path);

int64_t xd_failed_attempts(const char *path);

/* Every op of the commune in a journal, one line each, by (node, seq): two
 * equal dumps mean the same dots with the same content.  Caller frees. */
char *xd_journal_dump(const char *path, size_t *rows);

/* The server's journal and the PC's hold the same ops, `want` of them (-1:
 * any number). */
void xd_same_journal_at(const xd_fx *f, const char *pc, int64_t want, int line);

#define SAME_JOURNAL(f, pc, want) xd_same_journal_at((f), (pc), (want), __LINE__)

/* The PC's attempts, oldest first. */
typedef struct xd_attempt_row {
    int64_t started, ended;
    int ok;
    int64_t requests, ops_sent;
    char error[160];
} xd_attempt_row;

/* Room for every attempt a PC keeps; static, so a failing test leaks
 * nothing. */
extern xd_attempt_row xd_attempts_buf[ATTEMPTS_MAX];

size_t xd_attempts_read(const char *path, xd_attempt_row *rows, size_t max);

cJSON *xd_status_json(const xd_fx *f, const char *db);

double xd_j_num(cJSON *j, const char *name);

/* A string member, or NULL if it is null or missing. */
const char *xd_j_str(cJSON *j, const char *name);

int xd_j_true(cJSON *j, const char *name);

/* A parsed status as one line, for a failure message: a static buffer, so
 * a failing test leaks nothing. */
const char *xd_jtext(const cJSON *j);

/* Poll `xasync status --json` until nothing is pending and the last attempt
 * succeeded, at most `limit_ms`; the time it took. */
int64_t xd_wait_synced_at(xd_fx *f, const char *db, int64_t limit_ms, int line);

#define WAIT_SYNCED(f, db, ms) xd_wait_synced_at((f), (db), (ms), __LINE__)

/* Wait until the daemon has saved its plan (status says it runs). */
void xd_wait_daemon_up_at(xd_fx *f, const char *db, int line);

#define WAIT_DAEMON_UP(f, db) xd_wait_daemon_up_at((f), (db), __LINE__)

/* A `show --json` array as sorted lines "entity\tfield\tv1\tv2..." with each
 * field's values (as JSON) sorted: two replicas holding the same state give
 * the same text, whatever else (times, authors) their output shows.  Caller
 * frees. */
char *xd_values_canon(const char *text, size_t *fields);

/* The PC's `show --json` and the server's `xasync-district show SCOPE
 * --json` hold the same values. */
void xd_same_values_at(xd_fx *f, const char *pc, int line);

#define SAME_VALUES(f, pc) xd_same_values_at((f), (pc), __LINE__)

/* `len` pseudo-random letters and digits: text deflate cannot shrink much,
 * so a few edits make a body of a known size. */
void xd_random_text(char *out, size_t len, uint32_t *seed);

/* Edits prefix-00001 .. prefix-N (field "text", values of `len` random
 * characters) through xa_store_set, with no daemon running on `path`. */
void xd_bulk_set(const char *path, const char *prefix, int from, int n, size_t len, uint32_t seed);

/* Start `xasync-district serve --listen 127.0.0.1:PORT` on a given port
 * (a server come back where it was).  A port still held elsewhere is tried
 * again for a few seconds. */
void xd_server_start_on(xt_server *s, const char *db, int port);

/* What the fake server answers to every request. */
enum fake_mode { FAKE_500, FAKE_503, FAKE_GARBAGE };

/* Fork a fake HTTP server on 127.0.0.1:0 that answers every request as
 * `mode` says; returns its port. */
int xd_fake_start(xd_fx *f, enum fake_mode mode);

/* A cmocka test with the fixture above. */
#define XD_TEST(name) cmocka_unit_test_setup_teardown(name, xd_setup, xd_teardown)

#endif
