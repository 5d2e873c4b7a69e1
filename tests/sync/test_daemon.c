/*
 * The sync daemon against docs/design.md ("The sync daemon") and daemon.h: the
 * real `xasync daemon` process, the real `xasync-district` and, between
 * them, the fault-injecting proxy (tests/proxy/xaproxy.c) or a fake HTTP
 * server forked by the test.
 *
 * Cast: PC A of commune hoang-kim (pc.db), whose daemon is under test; PC B
 * of the same commune (pc2.db), synced with `xasync sync` straight to the
 * server, so A's answers carry ops too.  Every test has its own folder,
 * district database and server; the daemon, the proxy, the fake server and
 * any restarted server are started and stopped by PID, also in the
 * teardown, which cmocka runs when a test fails.  Each daemon is made to
 * die with the test process (PR_SET_PDEATHSIG), so none outlives a crash.
 *
 * What must hold:
 *   1. Every edit reaches the server exactly once, whatever the link did:
 *      down at start, cut in the middle of a request body or of a response,
 *      slow, or the daemon SIGKILLed at any moment.  "Exactly once" is
 *      checked on the journals: the server's and the PC's hold the same
 *      dots with the same content (the primary key (scope, node, seq)
 *      forbids a dot twice), and `show --json` gives the same values.
 *   2. A failed attempt waits at most min(cap, base * 2^(n-1)) after the
 *      n-th failure in a row, or the server's Retry-After if longer; the
 *      daemon never exits on a failure (systemd issue 2877).
 *   3. `xasync set` never fails for a lock while the daemon syncs.
 *   4. One daemon per database; SIGTERM ends it with exit 0 within a second
 *      or two, even in the middle of a stalled transfer (systemd issue
 *      32354); `xasync status` then says it is not running.
 *
 * Bulk edits made while no daemon runs go through xa_store_set() in this
 * process, the function `xasync set` calls; edits made while a daemon runs
 * go through the real `xasync set`.  Every wait is bounded.
 */
#include "proxy_ctl.h"
#include "support.h"
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
/* SIGTERM stops it "within a second or two"; the test allows five times
 * that, so that a loaded machine does not fail it. */
#define STOP_WAIT_MS REAP_MS
#define ARGS_MAX 48
#define ENV_MAX 4096
#define FD_CLOSE_MAX 4096
#define ATTEMPTS_MAX 1000 /* the PC keeps the newest 1,000 attempts */
#define HTTP_HEAD_MAX 65536

/* A NULL-terminated argv array, in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

extern char **environ;

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */

typedef struct fx {
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
} fx;

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

/* Point a PC at 127.0.0.1:port through the store, in this process: 0 or a
 * negative code, never a failed test. */
static int point_at(const fx *f, const char *db, int port)
{
    xa_store *st = NULL;
    xa_remote r;
    char *tok = xt_path(f->dir, KIM ".token");
    int rc;

    memset(&r, 0, sizeof r);
    snprintf(r.url, sizeof r.url, "http://127.0.0.1:%d", port);
    snprintf(r.token_file, sizeof r.token_file, "%s", tok);
    free(tok);
    rc = xa_store_open(&st, db);
    if (rc == 0)
        rc = xa_syncstate_remote_set(st, &r);
    xa_store_close(st);
    return rc;
}

/* cmocka runs no teardown after a failed setup: the server starts last, and
 * nothing after it can fail the test and leave it running. */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    *state = f;
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    f->pc = xt_path(f->dir, "pc.db");
    f->pc2 = xt_path(f->dir, "pc2.db");
    f->dlog = xt_path(f->dir, "daemon.log");
    f->ddb = xt_district_setup(f->dir, ARGV(KIM));
    /* Port 1 until the server has one. */
    xt_pc_setup(f->dir, f->pc, KIM, 1);
    xt_pc_setup(f->dir, f->pc2, KIM, 1);
    xt_server_start(&f->srv, f->ddb, NULL);
    f->srv_port = f->srv.port;
    if (point_at(f, f->pc, f->srv.port) != 0 || point_at(f, f->pc2, f->srv.port) != 0) {
        print_error("setup: cannot set the PCs' remote\n");
        xt_server_stop(&f->srv, SIGTERM);
        return -1;
    }
    return 0;
}

/* SIGKILL a child by its PID and reap it. */
static void kill_child(int *pid)
{
    int st;

    if (*pid <= 0)
        return;
    kill((pid_t)*pid, SIGKILL);
    while (waitpid((pid_t)*pid, &st, 0) < 0 && errno == EINTR)
        ;
    *pid = 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    if (f == NULL)
        return 0;
    kill_child(&f->daemon_pid);
    kill_child(&f->fake_pid);
    if (f->proxy.pid > 0)
        xt_proxy_stop(&f->proxy);
    xt_server_stop(&f->srv, SIGTERM);
    free(f->pc);
    free(f->pc2);
    free(f->ddb);
    free(f->dlog);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Failing with the daemon's log                                           */

/* The first place `needle` occurs in `hay`, ignoring ASCII case; NULL if
 * nowhere. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

static int has_ci(const char *hay, const char *needle)
{
    return hay != NULL && find_ci(hay, needle) != NULL;
}

/* The last LOG_TAIL bytes of the daemons' log (caller frees). */
static char *log_tail(const fx *f)
{
    size_t n = 0;
    char *all = xt_read_file(f->dlog, &n), *out;

    if (all == NULL)
        return strdup("(no daemon log)");
    if (n <= LOG_TAIL)
        return all;
    out = strdup(all + n - LOG_TAIL);
    free(all);
    return out;
}

static void fail_log(const fx *f, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_log(const fx *f, const char *file, int line, const char *fmt, ...)
{
    char msg[2048];
    char *tail = log_tail(f);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n--- daemon log (tail) ---\n%s\n", file, line, msg, tail ? tail : "");
    free(tail);
    fail();
}
#define FAIL(f, ...) fail_log((f), __FILE__, __LINE__, __VA_ARGS__)

/* Does the daemons' log say `needle` (ignoring case)? */
static int log_has(const fx *f, const char *needle)
{
    char *all = xt_read_file(f->dlog, NULL);
    int has = all != NULL && find_ci(all, needle) != NULL;

    free(all);
    return has;
}

/* How many times the daemons' log says `needle`. */
static int log_count(const fx *f, const char *needle)
{
    char *all = xt_read_file(f->dlog, NULL);
    int n = 0;

    for (const char *p = all; p != NULL && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(all);
    return n;
}

/* ---------------------------------------------------------------------- */
/* Running the programs                                                    */

static xt_run xa(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_xasync(argv, NULL, env);
}

static xt_run district(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

/* Run `xasync ...` that must exit 0; its stdout (caller frees). */
static char *xa_out_at(const fx *f, const char *const *argv, const char *file, int line)
{
    xt_run r = xa(f, argv);
    char *out;

    if (r.status != 0) {
        char msg[1500];

        snprintf(msg, sizeof msg, "xasync %s %s: exit %d\nstdout: [%.500s]\nstderr: [%.500s]",
                 argv[2], argv[3] ? argv[3] : "", r.status, r.out, r.err);
        xt_run_free(&r);
        fail_log(f, file, line, "%s", msg);
    }
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}
#define XA_OUT(f, ...) xa_out_at((f), ARGV(__VA_ARGS__), __FILE__, __LINE__)

/* `xasync set` through the real command, while a daemon may run: exit 0 and
 * nothing on stderr about a lock. */
static void
set_at(const fx *f, const char *db, const char *ent, const char *fld, const char *val, int line)
{
    xt_run r = xa(f, ARGV("--db", db, "set", ent, fld, val, "--author", AUTHOR));
    const char *err = r.err ? r.err : "";
    char msg[1000];
    int bad = r.status != 0 || has_ci(err, "locked") || has_ci(err, "busy");

    snprintf(msg, sizeof msg, "xasync set %s %s: exit %d\nstderr: [%.500s]", ent, fld, r.status,
             err);
    xt_run_free(&r);
    if (bad)
        fail_log(f, __FILE__, line, "%s", msg);
}
#define SET(f, db, ent, fld, val) set_at((f), (db), (ent), (fld), (val), __LINE__)

/* Point a PC at 127.0.0.1:port. */
static void remote_to(const fx *f, const char *db, int port)
{
    char url[64], *tok = xt_path(f->dir, KIM ".token");
    char *out;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    out = XA_OUT(f, "--db", db, "remote", "set", url, "--token-file", tok);
    free(out);
    free(tok);
}

static void proxy_at(fx *f, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void proxy_at(fx *f, int line, const char *fmt, ...)
{
    char cmd[128], reply[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (xt_proxy_cmd(&f->proxy, cmd, reply, sizeof reply) != 0)
        fail_msg("%s:%d: proxy command '%s' answered '%s'", __FILE__, line, cmd, reply);
}
#define PROXY(f, ...) proxy_at((f), __LINE__, __VA_ARGS__)

/* ---------------------------------------------------------------------- */
/* The daemon process                                                      */

/* The daemon's environment: ours minus XASYNC_DB, HOME and JOURNAL_STREAM
 * (which would change its log format), plus HOME=dir.  Borrowed strings. */
static char **daemon_env(const fx *f)
{
    size_t n = 0, k = 0;
    char **out;

    while (environ[n] != NULL && n < ENV_MAX)
        n++;
    out = calloc(n + 2, sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "XASYNC_DB=", 10) == 0 || strncmp(environ[i], "HOME=", 5) == 0 ||
            strncmp(environ[i], "JOURNAL_STREAM=", 15) == 0)
            continue;
        out[k++] = environ[i];
    }
    out[k++] = f->home;
    out[k] = NULL;
    return out;
}

/* Fork and exec `xasync --db DB daemon EXTRA...`, stderr and stdout
 * appended to the daemons' log; returns the PID. */
static int spawn_daemon(const fx *f, const char *db, const char *const *extra)
{
    const char *args[ARGS_MAX];
    char **env = daemon_env(f);
    size_t n = 0;
    pid_t parent = getpid(), pid;

    args[n++] = XA_BIN;
    args[n++] = "--db";
    args[n++] = db;
    args[n++] = "daemon";
    for (size_t i = 0; extra && extra[i]; i++) {
        if (n + 1 >= ARGS_MAX)
            fail_msg("too many daemon arguments");
        args[n++] = extra[i];
    }
    args[n] = NULL;
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int log = open(f->dlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nul = open("/dev/null", O_RDONLY);

        /* Die with the test, never outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (log < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(log, 1);
        dup2(log, 2);
        for (int fd = 3; fd < FD_CLOSE_MAX; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        execve(XA_BIN, (char *const *)args, env);
        _exit(127);
    }
    free(env);
    return (int)pid;
}

static void daemon_start(fx *f, const char *const *extra)
{
    if (f->daemon_pid > 0)
        fail_msg("a daemon (pid %d) is already running in this test", f->daemon_pid);
    f->daemon_pid = spawn_daemon(f, f->pc, extra);
}

/* Still running: not exited (reaping it if it did) and signalable. */
static int daemon_running(fx *f, int *status_out)
{
    int st = 0;
    pid_t w;

    if (f->daemon_pid <= 0)
        return 0;
    w = waitpid((pid_t)f->daemon_pid, &st, WNOHANG);
    if (w == (pid_t)f->daemon_pid) {
        f->daemon_pid = 0;
        if (status_out)
            *status_out = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return 0;
    }
    return kill((pid_t)f->daemon_pid, 0) == 0;
}

/* SIGTERM the daemon and reap it: its exit status; *ms the time it took.
 * Past REAP_MS it is SIGKILLed and the test fails. */
static int daemon_term(fx *f, int64_t *ms)
{
    int64_t t0 = mono_ms();
    int st = 0;
    pid_t pid = (pid_t)f->daemon_pid;

    if (pid <= 0)
        fail_msg("no daemon to stop");
    kill(pid, SIGTERM);
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);

        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
        if (mono_ms() - t0 > REAP_MS) {
            kill_child(&f->daemon_pid);
            FAIL(f, "the daemon ignored SIGTERM for %d s; killed", REAP_MS / 1000);
        }
        sleep_ms(5);
    }
    f->daemon_pid = 0;
    if (ms)
        *ms = mono_ms() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* SIGTERM: exit 0 within STOP_WAIT_MS; the time it took. */
static int64_t daemon_stop_ok_at(fx *f, int line)
{
    int64_t ms = 0;
    int st = daemon_term(f, &ms);

    if (st != 0 || ms > STOP_WAIT_MS)
        fail_log(f, __FILE__, line,
                 "SIGTERM: expected exit 0 within %d ms, got exit %d after %lld ms", STOP_WAIT_MS,
                 st, (long long)ms);
    return ms;
}
#define DAEMON_STOP_OK(f) daemon_stop_ok_at((f), __LINE__)

/* ---------------------------------------------------------------------- */
/* Looking into the databases                                              */

static sqlite3 *db_open_ro(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* The first column of the first row of `sql` on the database at `path`. */
static int64_t q_int(const char *path, const char *sql)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    int64_t v;

    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s on %s: %s", sql, path, sqlite3_errmsg(db));
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        fail_msg("%s on %s: no row (%s)", sql, path, sqlite3_errmsg(db));
    }
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int64_t journal_count(const char *path)
{
    return q_int(path, "SELECT count(*) FROM journal WHERE scope = '" KIM "'");
}

static int64_t failed_attempts(const char *path)
{
    return q_int(path, "SELECT count(*) FROM attempt WHERE ok = 0");
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;

        while (cap < b->n + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        assert_non_null(p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Every op of the commune in a journal, one line each, by (node, seq): two
 * equal dumps mean the same dots with the same content.  Caller frees. */
static char *journal_dump(const char *path, size_t *rows)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    sbuf b = {NULL, 0, 0};
    size_t n = 0;
    int rc;

    sb_add(&b, "", 0);
    if (sqlite3_prepare_v2(db,
                           "SELECT printf('%016x|%d|%s|%s|%s|%s|%d|%s', node, seq, entity, field,"
                           " value, ctx, hlc, author) FROM journal WHERE scope = '" KIM "'"
                           " ORDER BY node, seq",
                           -1, &s, NULL) != SQLITE_OK)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sb_add(&b, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        sb_add(&b, "\n", 1);
        n++;
    }
    if (rc != SQLITE_DONE)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rows)
        *rows = n;
    return b.p;
}

/* The line where two dumps first differ, up to `cap` - 1 bytes of each. */
static void first_difference(const char *a, const char *b, char *da, char *db, size_t cap)
{
    size_t i = 0, ls = 0;

    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n')
            ls = i + 1;
        i++;
    }
    snprintf(da, cap, "%.*s", (int)strcspn(a + ls, "\n"), a + ls);
    snprintf(db, cap, "%.*s", (int)strcspn(b + ls, "\n"), b + ls);
}

/* The server's journal and the PC's hold the same ops, `want` of them (-1:
 * any number). */
static void same_journal_at(const fx *f, const char *pc, int64_t want, int line)
{
    size_t na = 0, nb = 0;
    char *a = journal_dump(pc, &na), *b = journal_dump(f->ddb, &nb);

    char da[201], db[201];
    int differ = strcmp(a, b) != 0;

    first_difference(a, b, da, db, sizeof da);
    free(a);
    free(b);
    if (want >= 0 && (na != (size_t)want || nb != (size_t)want))
        fail_log(f, __FILE__, line,
                 "expected %lld ops on both sides; the PC holds %zu, the server %zu",
                 (long long)want, na, nb);
    if (differ)
        fail_log(f, __FILE__, line,
                 "the journals of the PC (%zu ops) and the server (%zu ops) differ; first "
                 "difference:\n  PC:     %s\n  server: %s",
                 na, nb, da, db);
}
#define SAME_JOURNAL(f, pc, want) same_journal_at((f), (pc), (want), __LINE__)

static void integrity_ok(const char *path)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    const char *t;

    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        fail_msg("integrity_check of %s: %s", path, sqlite3_errmsg(db));
    t = (const char *)sqlite3_column_text(s, 0);
    if (t == NULL || strcmp(t, "ok") != 0)
        fail_msg("integrity_check of %s: %s", path, t ? t : "(null)");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* The PC's attempts, oldest first. */
typedef struct attempt_row {
    int64_t started, ended;
    int ok;
    int64_t requests, ops_sent;
    char error[160];
} attempt_row;

/* Room for every attempt a PC keeps; static, so a failing test leaks
 * nothing. */
static attempt_row attempts_buf[ATTEMPTS_MAX];

static size_t attempts_read(const char *path, attempt_row *rows, size_t max)
{
    sqlite3 *db = db_open_ro(path);
    sqlite3_stmt *s = NULL;
    size_t n = 0;
    int rc;

    if (sqlite3_prepare_v2(db,
                           "SELECT started, ended, ok, requests, error, ops_sent FROM attempt"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        fail_msg("attempts of %s: %s", path, sqlite3_errmsg(db));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max) {
        const char *e = (const char *)sqlite3_column_text(s, 4);

        rows[n].started = sqlite3_column_int64(s, 0);
        rows[n].ended = sqlite3_column_int64(s, 1);
        rows[n].ok = sqlite3_column_int(s, 2);
        rows[n].requests = sqlite3_column_int64(s, 3);
        rows[n].ops_sent = sqlite3_column_int64(s, 5);
        snprintf(rows[n].error, sizeof rows[n].error, "%s", e ? e : "");
        n++;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* ---------------------------------------------------------------------- */
/* Status and state                                                        */

static cJSON *status_json(const fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "status", "--json");
    cJSON *j = cJSON_Parse(out);

    if (j == NULL || !cJSON_IsObject(j))
        fail_msg("status --json is not a JSON object: [%s]", out);
    free(out);
    return j;
}

static double j_num(cJSON *j, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    if (!cJSON_IsNumber(v))
        fail_msg("status --json has no number '%s'", name);
    return v->valuedouble;
}

/* A string member, or NULL if it is null or missing. */
static const char *j_str(cJSON *j, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int j_true(cJSON *j, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, name));
}

/* A parsed status as one line, for a failure message: a static buffer, so
 * a failing test leaks nothing. */
static const char *jtext(const cJSON *j)
{
    static char text[2048];

    if (!cJSON_PrintPreallocated((cJSON *)j, text, (int)sizeof text, 0))
        snprintf(text, sizeof text, "(status too long to show)");
    return text;
}

/* Poll `xasync status --json` until nothing is pending and the last attempt
 * succeeded, at most `limit_ms`; the time it took. */
static int64_t wait_synced_at(fx *f, const char *db, int64_t limit_ms, int line)
{
    int64_t t0 = mono_ms();

    for (;;) {
        cJSON *j = status_json(f, db);
        double pending = j_num(j, "pending");
        int failing = j_str(j, "failing_since") != NULL;

        cJSON_Delete(j);
        if (pending == 0 && !failing)
            return mono_ms() - t0;
        if (!daemon_running(f, NULL))
            fail_log(f, __FILE__, line, "the daemon is gone with %.0f changes waiting", pending);
        if (mono_ms() - t0 > limit_ms)
            fail_log(f, __FILE__, line, "still %.0f changes waiting (failing: %d) after %lld ms",
                     pending, failing, (long long)limit_ms);
        sleep_ms(100);
    }
}
#define WAIT_SYNCED(f, db, ms) wait_synced_at((f), (db), (ms), __LINE__)

/* Wait until the daemon has saved its plan (status says it runs). */
static void wait_daemon_up_at(fx *f, const char *db, int line)
{
    int64_t t0 = mono_ms();

    for (;;) {
        cJSON *j = status_json(f, db);
        int up = j_true(j, "daemon");

        cJSON_Delete(j);
        if (up)
            return;
        if (!daemon_running(f, NULL))
            fail_log(f, __FILE__, line, "the daemon exited at start");
        if (mono_ms() - t0 > REAP_MS)
            fail_log(f, __FILE__, line, "status never saw the daemon running");
        sleep_ms(50);
    }
}
#define WAIT_DAEMON_UP(f, db) wait_daemon_up_at((f), (db), __LINE__)

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A `show --json` array as sorted lines "entity\tfield\tv1\tv2..." with each
 * field's values (as JSON) sorted: two replicas holding the same state give
 * the same text, whatever else (times, authors) their output shows.  Caller
 * frees. */
static char *values_canon(const char *text, size_t *fields)
{
    cJSON *arr = cJSON_Parse(text), *it;
    char **lines;
    size_t n = 0, cap;
    sbuf out = {NULL, 0, 0};

    if (arr == NULL || !cJSON_IsArray(arr))
        fail_msg("show --json is not an array: [%.300s]", text);
    cap = (size_t)cJSON_GetArraySize(arr) + 1;
    lines = calloc(cap, sizeof *lines);
    assert_non_null(lines);
    cJSON_ArrayForEach(it, arr)
    {
        cJSON *e = cJSON_GetObjectItemCaseSensitive(it, "entity");
        cJSON *fl = cJSON_GetObjectItemCaseSensitive(it, "field");
        cJSON *vals = cJSON_GetObjectItemCaseSensitive(it, "values"), *v;
        char *vs[64];
        size_t nv = 0;
        sbuf line = {NULL, 0, 0};

        if (!cJSON_IsString(e) || !cJSON_IsString(fl) || !cJSON_IsArray(vals))
            fail_msg("a field without entity, field or values in [%.300s]", text);
        cJSON_ArrayForEach(v, vals)
        {
            cJSON *val = cJSON_GetObjectItemCaseSensitive(v, "value");

            if (val == NULL || nv == 64)
                fail_msg("a field value without 'value', or too many values");
            vs[nv] = cJSON_PrintUnformatted(val);
            assert_non_null(vs[nv]);
            nv++;
        }
        qsort(vs, nv, sizeof vs[0], cmp_str);
        sb_add(&line, e->valuestring, strlen(e->valuestring));
        sb_add(&line, "\t", 1);
        sb_add(&line, fl->valuestring, strlen(fl->valuestring));
        for (size_t i = 0; i < nv; i++) {
            sb_add(&line, "\t", 1);
            sb_add(&line, vs[i], strlen(vs[i]));
            free(vs[i]);
        }
        lines[n++] = line.p;
    }
    qsort(lines, n, sizeof lines[0], cmp_str);
    sb_add(&out, "", 0);
    for (size_t i = 0; i < n; i++) {
        sb_add(&out, lines[i], strlen(lines[i]));
        sb_add(&out, "\n", 1);
        free(lines[i]);
    }
    free(lines);
    cJSON_Delete(arr);
    if (fields)
        *fields = n;
    return out.p;
}

/* The PC's `show --json` and the server's `xasync-district show SCOPE
 * --json` hold the same values. */
static void same_values_at(fx *f, const char *pc, int line)
{
    char *p = XA_OUT(f, "--db", pc, "show", "--json");
    xt_run r = district(f, ARGV("--db", f->ddb, "show", KIM, "--json"));
    char *cp, *cs;
    size_t np = 0, ns = 0;

    char dp[201], ds[201];
    int differ, st = r.status;

    if (st != 0) {
        free(p);
        xt_run_free(&r);
        fail_log(f, __FILE__, line, "xasync-district show: exit %d", st);
    }
    cp = values_canon(p, &np);
    cs = values_canon(r.out, &ns);
    differ = strcmp(cp, cs) != 0;
    first_difference(cp, cs, dp, ds, sizeof dp);
    free(cp);
    free(cs);
    free(p);
    xt_run_free(&r);
    if (differ)
        fail_log(f, __FILE__, line,
                 "the PC (%zu fields) and the server (%zu fields) show different values; first "
                 "difference:\n  PC:     %s\n  server: %s",
                 np, ns, dp, ds);
}
#define SAME_VALUES(f, pc) same_values_at((f), (pc), __LINE__)

/* ---------------------------------------------------------------------- */
/* Making edits                                                            */

/* `len` pseudo-random letters and digits: text deflate cannot shrink much,
 * so a few edits make a body of a known size. */
static void random_text(char *out, size_t len, uint32_t *seed)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    for (size_t i = 0; i < len; i++) {
        *seed = *seed * 1103515245u + 12345u;
        out[i] = abc[(*seed >> 16) % (sizeof abc - 1)];
    }
    out[len] = '\0';
}

/* Edits prefix-00001 .. prefix-N (field "text", values of `len` random
 * characters) through xa_store_set, with no daemon running on `path`. */
static void
bulk_set(const char *path, const char *prefix, int from, int n, size_t len, uint32_t seed)
{
    xa_store *st = NULL;
    char *text = malloc(len + 1);

    assert_non_null(text);
    if (xa_store_open(&st, path) != 0)
        fail_msg("cannot open %s", path);
    for (int i = from; i < from + n; i++) {
        char ent[64], *json;
        cJSON *s;
        int rc;

        snprintf(ent, sizeof ent, "%s-%05d", prefix, i);
        random_text(text, len, &seed);
        s = cJSON_CreateString(text);
        json = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
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

/* ---------------------------------------------------------------------- */
/* Servers                                                                 */

/* Start `xasync-district serve --listen 127.0.0.1:PORT` on a given port
 * (a server come back where it was).  A port still held elsewhere is tried
 * again for a few seconds. */
static void server_start_on(xt_server *s, const char *db, int port)
{
    char listen[32];
    int64_t deadline = mono_ms() + REAP_MS;

    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    memset(s, 0, sizeof *s);
    for (;;) {
        const char *args[] = {XA_DISTRICT_BIN, "--db", db, "serve", "--listen", listen, NULL};
        char line[256];
        size_t got = 0;
        int out[2], st;
        pid_t pid;

        if (pipe(out) != 0)
            fail_msg("pipe: %s", strerror(errno));
        s->log = cat2(db, ".serve.log");
        pid = fork();
        if (pid < 0)
            fail_msg("fork: %s", strerror(errno));
        if (pid == 0) {
            int err = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

            prctl(PR_SET_PDEATHSIG, SIGKILL);
            dup2(out[1], 1);
            if (err >= 0)
                dup2(err, 2);
            for (int fd = 3; fd < FD_CLOSE_MAX; fd++)
                close(fd);
            signal(SIGPIPE, SIG_DFL);
            execv(XA_DISTRICT_BIN, (char *const *)args);
            _exit(127);
        }
        close(out[1]);
        s->pid = (int)pid;
        while (got + 1 < sizeof line && mono_ms() < deadline) {
            struct pollfd p = {out[0], POLLIN, 0};
            ssize_t r;

            if (poll(&p, 1, 100) <= 0)
                continue;
            r = read(out[0], line + got, sizeof line - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            line[got] = '\0';
            if (strchr(line, '\n'))
                break;
        }
        close(out[0]);
        line[got] = '\0';
        if (strncmp(line, "listening on ", 13) == 0) {
            s->port = port;
            return;
        }
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        s->pid = 0;
        free(s->log);
        s->log = NULL;
        if (mono_ms() >= deadline)
            fail_msg("xasync-district did not come back on port %d: '%s'", port, line);
        sleep_ms(200);
    }
}

/* What the fake server answers to every request. */
enum fake_mode { FAKE_500, FAKE_503, FAKE_GARBAGE };

/* Wait up to 5 s for `c` to be readable, then read; what read() said. */
static ssize_t fake_read(int c, char *p, size_t n)
{
    struct pollfd pf = {c, POLLIN, 0};

    if (poll(&pf, 1, 5000) <= 0)
        return -1;
    return read(c, p, n);
}

/* Read one HTTP request: the head, then Content-Length bytes of body (read
 * and dropped).  0 when it came whole. */
static int fake_read_request(int c)
{
    char *buf = malloc(HTTP_HEAD_MAX + 1), *end = NULL;
    size_t got = 0;
    long left = 0;
    ssize_t r;

    if (buf == NULL)
        return -1;
    while (end == NULL && got < HTTP_HEAD_MAX) {
        r = fake_read(c, buf + got, HTTP_HEAD_MAX - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end != NULL) {
        const char *cl = find_ci(buf, "\r\nContent-Length:");

        left = cl ? strtol(cl + 17, NULL, 10) : 0;
        left -= (long)(got - (size_t)(end + 4 - buf));
    }
    while (end != NULL && left > 0) {
        r = fake_read(c, buf, HTTP_HEAD_MAX);
        if (r <= 0)
            break;
        left -= (long)r;
    }
    free(buf);
    return end != NULL && left <= 0 ? 0 : -1;
}

static void fake_write_all(int c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void fake_serve(int c, enum fake_mode mode, uint32_t *seed)
{
    char head[512], body[600];
    size_t blen = 0;
    int hl;

    if (fake_read_request(c) != 0)
        return;
    switch (mode) {
    case FAKE_500:
        blen = (size_t)snprintf(body, sizeof body, "{\"error\":\"internal error\"}");
        hl = snprintf(head, sizeof head,
                      "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      blen);
        break;
    case FAKE_503:
        blen = (size_t)snprintf(body, sizeof body, "{\"error\":\"busy, come back later\"}");
        hl = snprintf(head, sizeof head,
                      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      blen);
        break;
    default:
        blen = 512;
        for (size_t i = 0; i < blen; i++) {
            *seed = *seed * 1103515245u + 12345u;
            body[i] = (char)(*seed >> 16);
        }
        hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: application/x-xasync-changeset\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      blen);
        break;
    }
    fake_write_all(c, head, (size_t)hl);
    fake_write_all(c, body, blen);
}

/* Fork a fake HTTP server on 127.0.0.1:0 that answers every request as
 * `mode` says; returns its port. */
static int fake_start(fx *f, enum fake_mode mode)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t parent = getpid(), pid;

    if (fd < 0)
        fail_msg("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        fail_msg("fake server: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        uint32_t seed = 2024u;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        for (;;) {
            int c = accept(fd, NULL, NULL);

            if (c < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                _exit(1);
            }
            fake_serve(c, mode, &seed);
            close(c);
        }
    }
    close(fd);
    f->fake_pid = (int)pid;
    return (int)ntohs(a.sin_port);
}

/* ---------------------------------------------------------------------- */
/* 1. The server down at start, up later                                   */

static void test_daemon__edits_made_while_server_down_arrive_once(void **state)
{
    fx *f = *state;
    int port = f->srv_port;
    char *st;
    cJSON *j;
    int64_t ms;

    /* The server goes away; the PC speaks to it through the proxy, which
     * first refuses connections. */
    assert_int_equal(xt_server_stop(&f->srv, SIGTERM), 0);
    xt_proxy_start(&f->proxy, port);
    remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "refuse");
    daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);

    SET(f, f->pc, "report-2024-h1", "title", "Báo cáo sơ kết 6 tháng đầu năm 2024");
    SET(f, f->pc, "ind-1", "est", "1.460");
    SET(f, f->pc, "ind-2", "est", "636,4");
    SET(f, f->pc, "ind-1", "est", "1.470"); /* supersedes the first */
    sleep_ms(1500);

    j = status_json(f, f->pc);
    if (j_num(j, "pending") != 4 || j_str(j, "failing_since") == NULL ||
        j_str(j, "last_error") == NULL || !j_true(j, "daemon") || j_num(j, "failures") < 1)
        FAIL(f, "while refused: expected 4 waiting, failing, the daemon up; got %s", jtext(j));
    cJSON_Delete(j);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "4 changes waiting") == NULL || strstr(st, "next try") == NULL ||
        strstr(st, "no connection since") == NULL)
        FAIL(f, "status while refused: [%s]", st);
    free(st);
    if (journal_count(f->ddb) != 0)
        FAIL(f, "the server holds ops while it was down");

    /* The proxy accepts again, but there is still no server behind it. */
    PROXY(f, "pass");
    SET(f, f->pc, "ind-3", "plan", "12");
    SET(f, f->pc, "ind-3", "note", "Vượt kế hoạch");
    SET(f, f->pc, "report-2024-h1", "signer", "Nguyễn Văn Bình");
    sleep_ms(1500);
    j = status_json(f, f->pc);
    if (j_num(j, "pending") != 7 || j_str(j, "failing_since") == NULL)
        FAIL(f, "with no server behind the proxy: expected 7 waiting and failing; got %s",
             jtext(j));
    cJSON_Delete(j);
    if (!daemon_running(f, NULL))
        FAIL(f, "the daemon exited while the server was down");

    /* The server comes back where it was. */
    server_start_on(&f->srv, f->ddb, port);
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
    if (!log_has(f, "the link is back"))
        FAIL(f, "the log never said the link is back");
}

/* ---------------------------------------------------------------------- */
/* 2. The link cut mid-request and mid-response, again and again          */

/* One round: PC B adds two edits straight to the server (so A's answer
 * carries ops), A makes four while the proxy cuts, the daemon tries for a
 * second, then the link passes and everything must go out.  Returns 1 if
 * the daemon saw a failure in this round. */
static int cut_round(fx *f, const char *mode, int n, int round, uint32_t *seed)
{
    char cmd[64], text[400], ent[64];
    int64_t before = failed_attempts(f->pc);
    xt_run r;

    bulk_set(f->pc2, "b", round * 2, 2, 300, *seed += 7919u);
    r = xa(f, ARGV("--db", f->pc2, "sync"));
    if (r.status != 0)
        FAIL(f, "PC B's sync: exit %d [%s]", r.status, r.err);
    xt_run_free(&r);

    snprintf(cmd, sizeof cmd, "%s %d", mode, n);
    PROXY(f, "%s", cmd);
    for (int i = 0; i < 4; i++) {
        snprintf(ent, sizeof ent, "a-%03d-%d", round, i);
        random_text(text, 320, seed);
        SET(f, f->pc, ent, "text", text);
    }
    sleep_ms(1000);
    PROXY(f, "pass");
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    return failed_attempts(f->pc) > before;
}

static void test_daemon__cuts_mid_request_and_mid_response_lose_nothing(void **state)
{
    fx *f = *state;
    uint32_t seed = 77u;
    int rounds = 0, failed = 0, round = 0;
    int64_t t0 = mono_ms(), held;

    /* Both PCs hold edits before their first sync: no snapshot, whole
     * journals on every side. */
    bulk_set(f->pc, "first", 1, 3, 40, 1u);
    bulk_set(f->pc2, "firstb", 1, 3, 40, 2u);
    xt_proxy_start(&f->proxy, f->srv.port);
    remote_to(f, f->pc, f->proxy.port);
    daemon_start(f, ARGV(QUICK));
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
    held = journal_count(f->ddb);
    for (int64_t t = mono_ms(); journal_count(f->pc) != held; sleep_ms(100))
        if (mono_ms() - t > SYNC_WAIT_MS)
            break;
    print_message("%d rounds, %d saw failed attempts, %lld failed attempts in all, %lld ms\n",
                  rounds, failed, (long long)failed_attempts(f->pc), (long long)(mono_ms() - t0));
    DAEMON_STOP_OK(f);
    /* 3 + 3 first edits, 2 of B's and 4 of A's a round. */
    SAME_JOURNAL(f, f->pc, 6 + 6 * rounds);
    SAME_VALUES(f, f->pc);
    integrity_ok(f->pc);
    /* The cuts must have bitten, or this test proved nothing. */
    if (failed * 2 < rounds)
        FAIL(f, "only %d of %d rounds saw a cut attempt", failed, rounds);
}

/* ---------------------------------------------------------------------- */
/* 3. A slow, far link                                                     */

static void test_daemon__slow_link_backlog_arrives_in_batches(void **state)
{
    fx *f = *state;
    attempt_row *rows = attempts_buf;
    int64_t t0, waited;
    size_t n;
    uint64_t up = 0, down = 0, conns = 0, requests = 0, sent = 0;

    /* 200 edits made with no daemon running. */
    bulk_set(f->pc, "row", 1, 200, 120, 3u);
    xt_proxy_start(&f->proxy, f->srv.port);
    remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "bandwidth 4000");
    PROXY(f, "latency 600");
    daemon_start(f, ARGV("--pull-interval", "5", "--backoff-base", "0.2", "--backoff-cap", "1",
                         "--batch-ops", "50", "--request-timeout", "30"));
    t0 = mono_ms();
    for (;;) {
        cJSON *j = status_json(f, f->pc);
        double pending = j_num(j, "pending");
        const char *err = j_str(j, "last_error");

        if (err != NULL || j_num(j, "failures") != 0)
            FAIL(f, "status reported an error on a slow link: %s", jtext(j));
        cJSON_Delete(j);
        if (pending == 0)
            break;
        if (!daemon_running(f, NULL))
            FAIL(f, "the daemon is gone with %.0f changes waiting", pending);
        if (mono_ms() - t0 > 120000)
            FAIL(f, "still %.0f changes waiting after 120 s", pending);
        sleep_ms(250);
    }
    waited = mono_ms() - t0;
    xt_proxy_stats(&f->proxy, &up, &down, &conns);
    DAEMON_STOP_OK(f);

    n = attempts_read(f->pc, rows, ATTEMPTS_MAX);
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
    if (log_has(f, "timed out") || log_has(f, "sync failed"))
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
    fx *f = *state;
    unsigned seed = (unsigned)time(NULL);
    int64_t attempts_before, server_before, lost_answers = 0;
    char *st;

    print_message("random seed %u\n", seed);
    /* A little latency so a kill lands inside a request now and then. */
    xt_proxy_start(&f->proxy, f->srv.port);
    remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "latency 20");
    for (int i = 0; i < 50; i++) {
        long nap = (long)(rand_r(&seed) % 301);

        bulk_set(f->pc, "k", i * 3, 3, 60, (uint32_t)rand_r(&seed));
        attempts_before = q_int(f->pc, "SELECT count(*) FROM attempt");
        server_before = journal_count(f->ddb);
        daemon_start(f, ARGV(QUICK));
        sleep_ms(nap);
        if (!daemon_running(f, NULL))
            FAIL(f, "cycle %d: the daemon exited before it was killed", i);
        kill_child(&f->daemon_pid);
        /* The server took the ops but the PC never heard back: the same
         * ops go again next time. */
        if (journal_count(f->ddb) > server_before &&
            q_int(f->pc, "SELECT count(*) FROM attempt") == attempts_before)
            lost_answers++;
    }
    print_message("50 kills; %lld between the server's commit and the PC's record\n",
                  (long long)lost_answers);
    integrity_ok(f->pc);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "the sync daemon is not running") == NULL)
        FAIL(f, "status after a SIGKILLed daemon: [%s]", st);
    free(st);

    daemon_start(f, ARGV(QUICK));
    /* Up first: with nothing left to send, WAIT_SYNCED returns at once, and
     * a SIGTERM before the daemon has set its handlers is a kill (143). */
    WAIT_DAEMON_UP(f, f->pc);
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 150);
    SAME_VALUES(f, f->pc);
    integrity_ok(f->pc);
    integrity_ok(f->ddb);
}

/* ---------------------------------------------------------------------- */
/* 5. `xasync set` while the daemon syncs                                  */

static void test_daemon__set_while_daemon_syncs_is_never_locked(void **state)
{
    fx *f = *state;
    int64_t worst = 0, t0 = mono_ms();
    int trips;

    xt_proxy_start(&f->proxy, f->srv.port);
    remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "latency 40");
    /* --verbose: a log line for every round trip, each one a write of the
     * daemon's into the database the sets write. */
    daemon_start(f, ARGV("--pull-interval", "0.2", "--backoff-base", "0.2", "--backoff-cap", "1",
                         "--verbose"));
    WAIT_DAEMON_UP(f, f->pc);
    for (int i = 0; i < 300; i++) {
        char ent[32], val[32];
        int64_t t = mono_ms(), took;

        snprintf(ent, sizeof ent, "ind-%d", i % 23);
        snprintf(val, sizeof val, "%d", 1000 + i);
        SET(f, f->pc, ent, i % 2 ? "est" : "plan", val);
        took = mono_ms() - t;
        if (took > worst)
            worst = took;
    }
    trips = log_count(f, "round trip");
    print_message("300 sets in %lld ms, the slowest %lld ms; %d round trips meanwhile\n",
                  (long long)(mono_ms() - t0), (long long)worst, trips);
    if (!daemon_running(f, NULL))
        FAIL(f, "the daemon exited during the sets");
    /* The daemon wrote while the sets did, or this test proved nothing. */
    if (trips < 10)
        FAIL(f, "only %d round trips during 300 sets", trips);
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 300);
    SAME_VALUES(f, f->pc);
    if (log_has(f, "locked") || log_has(f, "busy"))
        FAIL(f, "the daemon's log speaks of a lock");
}

/* ---------------------------------------------------------------------- */
/* 6. A server answering 500, 503 with Retry-After, or garbage            */

/* Run the daemon against a fake server for `run_ms`, then check that it
 * stayed up, recorded failed attempts spaced as the backoff says, and that
 * `xasync status` tells the clerk the error (containing `want`) and the
 * next try. */
static void fake_case(fx *f, enum fake_mode mode, int64_t run_ms, const char *want)
{
    attempt_row *rows = attempts_buf;
    int port = fake_start(f, mode), st = -1;
    size_t n;
    cJSON *j;
    char *text;
    int64_t late_max = 0;

    remote_to(f, f->pc, port);
    SET(f, f->pc, "ind-1", "est", "1.460");
    daemon_start(f, ARGV(QUICK));
    for (int64_t t0 = mono_ms(); mono_ms() - t0 < run_ms;) {
        if (!daemon_running(f, &st))
            FAIL(f, "the daemon exited (status %d) on a failing server", st);
        sleep_ms(100);
    }
    if (!daemon_running(f, &st) || kill((pid_t)f->daemon_pid, 0) != 0)
        FAIL(f, "the daemon exited (status %d) on a failing server", st);

    j = status_json(f, f->pc);
    if (!j_true(j, "daemon") || j_num(j, "pending") != 1 || j_num(j, "failures") < 2 ||
        j_str(j, "next_try") == NULL || j_str(j, "failing_since") == NULL ||
        j_str(j, "last_error") == NULL || strstr(j_str(j, "last_error"), want) == NULL)
        FAIL(f, "status --json on a failing server (want '%s'): %s", want, jtext(j));
    cJSON_Delete(j);
    text = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(text, want) == NULL || strstr(text, "next try") == NULL ||
        strstr(text, "1 change waiting") == NULL)
        FAIL(f, "status on a failing server (want '%s' and the next try): [%s]", want, text);
    free(text);
    DAEMON_STOP_OK(f);

    n = attempts_read(f->pc, rows, ATTEMPTS_MAX);
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
    fx *f = *state;
    int64_t t0;
    xt_run r;

    daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);
    t0 = mono_ms();
    r = xa(f, ARGV("--db", f->pc, "daemon", QUICK));
    t0 = mono_ms() - t0;
    if (r.status == 0 || strstr(r.err, "already running") == NULL || t0 > STOP_WAIT_MS)
        FAIL(f, "a second daemon: exit %d after %lld ms, stderr [%s]", r.status, (long long)t0,
             r.err);
    xt_run_free(&r);
    if (!daemon_running(f, NULL))
        FAIL(f, "the first daemon did not survive the second");
    SET(f, f->pc, "ind-1", "est", "1.460");
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 1);

    /* Once it is gone, a new one may start. */
    daemon_start(f, ARGV(QUICK));
    WAIT_DAEMON_UP(f, f->pc);
    DAEMON_STOP_OK(f);
}

static void test_daemon__sigterm_mid_transfer_exits_promptly(void **state)
{
    fx *f = *state;
    uint64_t conns = 0;
    int64_t t0;
    char *st;

    xt_proxy_start(&f->proxy, f->srv.port);
    remote_to(f, f->pc, f->proxy.port);
    PROXY(f, "blackhole");
    SET(f, f->pc, "ind-1", "est", "1.460");
    daemon_start(f, ARGV("--pull-interval", "1", "--backoff-base", "0.2", "--backoff-cap", "1",
                         "--request-timeout", "60"));
    /* Wait for the daemon's connection to be swallowed, and a bit more. */
    for (t0 = mono_ms(); conns == 0; sleep_ms(50)) {
        xt_proxy_stats(&f->proxy, NULL, NULL, &conns);
        if (mono_ms() - t0 > REAP_MS)
            FAIL(f, "the daemon never connected");
    }
    sleep_ms(500);
    if (failed_attempts(f->pc) != 0)
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
    daemon_start(f, ARGV(QUICK));
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    DAEMON_STOP_OK(f);
    SAME_JOURNAL(f, f->pc, 1);
    integrity_ok(f->pc);
}

static void test_daemon__status_says_not_running_after_stop(void **state)
{
    fx *f = *state;
    char *st;
    cJSON *j;

    /* The default pull interval: the daemon sleeps when SIGTERM comes. */
    SET(f, f->pc, "ind-1", "est", "1.460");
    daemon_start(f, ARGV("--backoff-base", "0.2", "--backoff-cap", "1"));
    WAIT_SYNCED(f, f->pc, SYNC_WAIT_MS);
    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "not running") != NULL || strstr(st, "all changes sent") == NULL)
        FAIL(f, "status with the daemon running: [%s]", st);
    free(st);
    sleep_ms(300);
    DAEMON_STOP_OK(f);

    st = XA_OUT(f, "--db", f->pc, "status");
    if (strstr(st, "the sync daemon is not running") == NULL)
        FAIL(f, "status after the daemon stopped: [%s]", st);
    free(st);
    j = status_json(f, f->pc);
    if (j_true(j, "daemon") || j_str(j, "next_try") != NULL || j_num(j, "pending") != 0)
        FAIL(f, "status --json after the daemon stopped: %s", jtext(j));
    cJSON_Delete(j);
    SAME_JOURNAL(f, f->pc, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_daemon__edits_made_while_server_down_arrive_once),
        T(test_daemon__cuts_mid_request_and_mid_response_lose_nothing),
        T(test_daemon__slow_link_backlog_arrives_in_batches),
        T(test_daemon__sigkill_at_random_moments_loses_nothing),
        T(test_daemon__set_while_daemon_syncs_is_never_locked),
        T(test_daemon__server_500_backs_off_and_keeps_running),
        T(test_daemon__server_503_retry_after_is_honoured),
        T(test_daemon__garbage_answer_backs_off_and_keeps_running),
        T(test_daemon__second_daemon_refused_at_once),
        T(test_daemon__sigterm_mid_transfer_exits_promptly),
        T(test_daemon__status_says_not_running_after_stop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
