/* The sync daemon's test harness: daemonfx.h. */
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

extern char **environ;

/* Point a PC at 127.0.0.1:port through the store, in this process: 0 or a
 * negative code, never a failed test. */
int xd_point_at(const xd_fx *f, const char *db, int port)
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
int xd_setup(void **state)
{
    xd_fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    *state = f;
    f->dir = xt_tempdir();
    f->home = xt_cat2("HOME=", f->dir);
    f->pc = xt_path(f->dir, "pc.db");
    f->pc2 = xt_path(f->dir, "pc2.db");
    f->dlog = xt_path(f->dir, "daemon.log");
    f->ddb = xt_district_setup(f->dir, ARGV(KIM));
    /* Port 1 until the server has one. */
    xt_pc_setup(f->dir, f->pc, KIM, 1);
    xt_pc_setup(f->dir, f->pc2, KIM, 1);
    xt_server_start(&f->srv, f->ddb, NULL);
    f->srv_port = f->srv.port;
    if (xd_point_at(f, f->pc, f->srv.port) != 0 || xd_point_at(f, f->pc2, f->srv.port) != 0) {
        print_error("setup: cannot set the PCs' remote\n");
        xt_server_stop(&f->srv, SIGTERM);
        return -1;
    }
    return 0;
}

int xd_teardown(void **state)
{
    xd_fx *f = *state;

    if (f == NULL)
        return 0;
    xt_kill_child(&f->daemon_pid);
    xt_kill_child(&f->fake_pid);
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

int xd_has_ci(const char *hay, const char *needle)
{
    return hay != NULL && find_ci(hay, needle) != NULL;
}

/* The last LOG_TAIL bytes of the daemons' log (caller frees). */
char *xd_log_tail(const xd_fx *f)
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

void xd_fail_log(const xd_fx *f, const char *file, int line, const char *fmt, ...)
{
    char msg[2048];
    char *tail = xd_log_tail(f);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n--- daemon log (tail) ---\n%s\n", file, line, msg, tail ? tail : "");
    free(tail);
    fail();
}

/* Does the daemons' log say `needle` (ignoring case)? */
int xd_log_has(const xd_fx *f, const char *needle)
{
    char *all = xt_read_file(f->dlog, NULL);
    int has = all != NULL && find_ci(all, needle) != NULL;

    free(all);
    return has;
}

/* How many times the daemons' log says `needle`. */
int xd_log_count(const xd_fx *f, const char *needle)
{
    char *all = xt_read_file(f->dlog, NULL);
    int n = 0;

    for (const char *p = all; p != NULL && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    free(all);
    return n;
}

xt_run xd_xa(const xd_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_xasync(argv, NULL, env);
}

xt_run xd_district(const xd_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

/* Run `xasync ...` that must exit 0; its stdout (caller frees). */
char *xd_xa_out_at(const xd_fx *f, const char *const *argv, const char *file, int line)
{
    xt_run r = xd_xa(f, argv);
    char *out;

    if (r.status != 0) {
        char msg[1500];

        snprintf(msg, sizeof msg, "xasync %s %s: exit %d\nstdout: [%.500s]\nstderr: [%.500s]",
                 argv[2], argv[3] ? argv[3] : "", r.status, r.out, r.err);
        xt_run_free(&r);
        xd_fail_log(f, file, line, "%s", msg);
    }
    out = r.out;
    r.out = NULL;
    xt_run_free(&r);
    return out;
}

/* `xasync set` through the real command, while a daemon may run: exit 0 and
 * nothing on stderr about a lock. */
void xd_set_at(
    const xd_fx *f, const char *db, const char *ent, const char *fld, const char *val, int line)
{
    xt_run r = xd_xa(f, ARGV("--db", db, "set", ent, fld, val, "--author", AUTHOR));
    const char *err = r.err ? r.err : "";
    char msg[1000];
    int bad = r.status != 0 || xd_has_ci(err, "locked") || xd_has_ci(err, "busy");

    snprintf(msg, sizeof msg, "xasync set %s %s: exit %d\nstderr: [%.500s]", ent, fld, r.status,
             err);
    xt_run_free(&r);
    if (bad)
        xd_fail_log(f, __FILE__, line, "%s", msg);
}

/* Point a PC at 127.0.0.1:port. */
void xd_remote_to(const xd_fx *f, const char *db, int port)
{
    char url[64], *tok = xt_path(f->dir, KIM ".token");
    char *out;

    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    out = XA_OUT(f, "--db", db, "remote", "set", url, "--token-file", tok);
    free(out);
    free(tok);
}

void xd_proxy_at(xd_fx *f, int line, const char *fmt, ...)
{
    char cmd[128], reply[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (xt_proxy_cmd(&f->proxy, cmd, reply, sizeof reply) != 0)
        fail_msg("%s:%d: proxy command '%s' answered '%s'", __FILE__, line, cmd, reply);
}

/* The daemon's environment: ours minus XASYNC_DB, HOME and JOURNAL_STREAM
 * (which would change its log format), plus HOME=dir.  Borrowed strings. */
static char **daemon_env(const xd_fx *f)
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
int xd_spawn_daemon(const xd_fx *f, const char *db, const char *const *extra)
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

void xd_daemon_start(xd_fx *f, const char *const *extra)
{
    if (f->daemon_pid > 0)
        fail_msg("a daemon (pid %d) is already running in this test", f->daemon_pid);
    f->daemon_pid = xd_spawn_daemon(f, f->pc, extra);
}

/* Still running: not exited (reaping it if it did) and signalable. */
int xd_daemon_running(xd_fx *f, int *status_out)
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
int xd_daemon_term(xd_fx *f, int64_t *ms)
{
    int64_t t0 = xt_mono_ms();
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
        if (xt_mono_ms() - t0 > REAP_MS) {
            xt_kill_child(&f->daemon_pid);
            FAIL(f, "the daemon ignored SIGTERM for %d s; killed", REAP_MS / 1000);
        }
        xt_sleep_ms(5);
    }
    f->daemon_pid = 0;
    if (ms)
        *ms = xt_mono_ms() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* SIGTERM: the daemon exits 0 by itself (xd_daemon_term kills it and fails
 * the test past REAP_MS, the bound of every wait); the time it took, for
 * the messages. */
int64_t xd_daemon_stop_ok_at(xd_fx *f, int line)
{
    int64_t ms = 0;
    int st = xd_daemon_term(f, &ms);

    if (st != 0)
        xd_fail_log(f, __FILE__, line, "SIGTERM: expected exit 0, got exit %d after %lld ms", st,
                    (long long)ms);
    return ms;
}

int64_t xd_journal_count(const char *path)
{
    return xt_q_int(path, "SELECT count(*) FROM journal WHERE scope = '" KIM "'");
}

int64_t xd_failed_attempts(const char *path)
{
    return xt_q_int(path, "SELECT count(*) FROM attempt WHERE ok = 0");
}

/* Every op of the commune in a journal, one line each, by (node, seq): two
 * equal dumps mean the same dots with the same content.  Caller frees. */
char *xd_journal_dump(const char *path, size_t *rows)
{
    sqlite3 *db = xt_db_open_ro(path);
    sqlite3_stmt *s = NULL;
    xt_sbuf b = {NULL, 0, 0};
    size_t n = 0;
    int rc;

    xt_sb_add(&b, "", 0);
    if (sqlite3_prepare_v2(db,
                           "SELECT printf('%016x|%d|%s|%s|%s|%s|%d|%s', node, seq, entity, field,"
                           " value, ctx, hlc, author) FROM journal WHERE scope = '" KIM "'"
                           " ORDER BY node, seq",
                           -1, &s, NULL) != SQLITE_OK)
        fail_msg("journal dump of %s: %s", path, sqlite3_errmsg(db));
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xt_sb_add(&b, (const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
        xt_sb_add(&b, "\n", 1);
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
void xd_same_journal_at(const xd_fx *f, const char *pc, int64_t want, int line)
{
    size_t na = 0, nb = 0;
    char *a = xd_journal_dump(pc, &na), *b = xd_journal_dump(f->ddb, &nb);

    char da[201], db[201];
    int differ = strcmp(a, b) != 0;

    first_difference(a, b, da, db, sizeof da);
    free(a);
    free(b);
    if (want >= 0 && (na != (size_t)want || nb != (size_t)want))
        xd_fail_log(f, __FILE__, line,
                    "expected %lld ops on both sides; the PC holds %zu, the server %zu",
                    (long long)want, na, nb);
    if (differ)
        xd_fail_log(f, __FILE__, line,
                    "the journals of the PC (%zu ops) and the server (%zu ops) differ; first "
                    "difference:\n  PC:     %s\n  server: %s",
                    na, nb, da, db);
}

xd_attempt_row xd_attempts_buf[ATTEMPTS_MAX];

size_t xd_attempts_read(const char *path, xd_attempt_row *rows, size_t max)
{
    sqlite3 *db = xt_db_open_ro(path);
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

cJSON *xd_status_json(const xd_fx *f, const char *db)
{
    char *out = XA_OUT(f, "--db", db, "status", "--json");
    cJSON *j = cJSON_Parse(out);

    if (j == NULL || !cJSON_IsObject(j))
        fail_msg("status --json is not a JSON object: [%s]", out);
    free(out);
    return j;
}

double xd_j_num(cJSON *j, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    if (!cJSON_IsNumber(v))
        fail_msg("status --json has no number '%s'", name);
    return v->valuedouble;
}

/* A string member, or NULL if it is null or missing. */
const char *xd_j_str(cJSON *j, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int xd_j_true(cJSON *j, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, name));
}

/* A parsed status as one line, for a failure message: a static buffer, so
 * a failing test leaks nothing. */
const char *xd_jtext(const cJSON *j)
{
    static char text[2048];

    if (!cJSON_PrintPreallocated((cJSON *)j, text, (int)sizeof text, 0))
        snprintf(text, sizeof text, "(status too long to show)");
    return text;
}

/* Poll `xasync status --json` until nothing is pending and the last attempt
 * succeeded, at most `limit_ms`; the time it took. */
int64_t xd_wait_synced_at(xd_fx *f, const char *db, int64_t limit_ms, int line)
{
    int64_t t0 = xt_mono_ms();

    for (;;) {
        cJSON *j = xd_status_json(f, db);
        double pending = xd_j_num(j, "pending");
        int failing = xd_j_str(j, "failing_since") != NULL;

        cJSON_Delete(j);
        if (pending == 0 && !failing)
            return xt_mono_ms() - t0;
        if (!xd_daemon_running(f, NULL))
            xd_fail_log(f, __FILE__, line, "the daemon is gone with %.0f changes waiting", pending);
        if (xt_mono_ms() - t0 > limit_ms)
            xd_fail_log(f, __FILE__, line, "still %.0f changes waiting (failing: %d) after %lld ms",
                        pending, failing, (long long)limit_ms);
        xt_sleep_ms(100);
    }
}

/* Wait until the daemon has saved its plan (status says it runs). */
void xd_wait_daemon_up_at(xd_fx *f, const char *db, int line)
{
    int64_t t0 = xt_mono_ms();

    for (;;) {
        cJSON *j = xd_status_json(f, db);
        int up = xd_j_true(j, "daemon");

        cJSON_Delete(j);
        if (up)
            return;
        if (!xd_daemon_running(f, NULL))
            xd_fail_log(f, __FILE__, line, "the daemon exited at start");
        if (xt_mono_ms() - t0 > REAP_MS)
            xd_fail_log(f, __FILE__, line, "status never saw the daemon running");
        xt_sleep_ms(50);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A `show --json` array as sorted lines "entity\tfield\tv1\tv2..." with each
 * field's values (as JSON) sorted: two replicas holding the same state give
 * the same text, whatever else (times, authors) their output shows.  Caller
 * frees. */
char *xd_values_canon(const char *text, size_t *fields)
{
    cJSON *arr = cJSON_Parse(text), *it;
    char **lines;
    size_t n = 0, cap;
    xt_sbuf out = {NULL, 0, 0};

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
        xt_sbuf line = {NULL, 0, 0};

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
        xt_sb_add(&line, e->valuestring, strlen(e->valuestring));
        xt_sb_add(&line, "\t", 1);
        xt_sb_add(&line, fl->valuestring, strlen(fl->valuestring));
        for (size_t i = 0; i < nv; i++) {
            xt_sb_add(&line, "\t", 1);
            xt_sb_add(&line, vs[i], strlen(vs[i]));
            free(vs[i]);
        }
        lines[n++] = line.p;
    }
    qsort(lines, n, sizeof lines[0], cmp_str);
    xt_sb_add(&out, "", 0);
    for (size_t i = 0; i < n; i++) {
        xt_sb_add(&out, lines[i], strlen(lines[i]));
        xt_sb_add(&out, "\n", 1);
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
void xd_same_values_at(xd_fx *f, const char *pc, int line)
{
    char *p = XA_OUT(f, "--db", pc, "show", "--json");
    xt_run r = xd_district(f, ARGV("--db", f->ddb, "show", KIM, "--json"));
    char *cp, *cs;
    size_t np = 0, ns = 0;

    char dp[201], ds[201];
    int differ, st = r.status;

    if (st != 0) {
        free(p);
        xt_run_free(&r);
        xd_fail_log(f, __FILE__, line, "xasync-district show: exit %d", st);
    }
    cp = xd_values_canon(p, &np);
    cs = xd_values_canon(r.out, &ns);
    differ = strcmp(cp, cs) != 0;
    first_difference(cp, cs, dp, ds, sizeof dp);
    free(cp);
    free(cs);
    free(p);
    xt_run_free(&r);
    if (differ)
        xd_fail_log(f, __FILE__, line,
                    "the PC (%zu fields) and the server (%zu fields) show different values; first "
                    "difference:\n  PC:     %s\n  server: %s",
                    np, ns, dp, ds);
}

/* `len` pseudo-random letters and digits: text deflate cannot shrink much,
 * so a few edits make a body of a known size. */
void xd_random_text(char *out, size_t len, uint32_t *seed)
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
void xd_bulk_set(const char *path, const char *prefix, int from, int n, size_t len, uint32_t seed)
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
        xd_random_text(text, len, &seed);
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

/* Start `xasync-district serve --listen 127.0.0.1:PORT` on a given port
 * (a server come back where it was).  A port still held elsewhere is tried
 * again for a few seconds. */
void xd_server_start_on(xt_server *s, const char *db, int port)
{
    char listen[32];
    int64_t deadline = xt_mono_ms() + REAP_MS;

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
        s->log = xt_cat2(db, ".serve.log");
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
        while (got + 1 < sizeof line && xt_mono_ms() < deadline) {
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
        if (xt_mono_ms() >= deadline)
            fail_msg("xasync-district did not come back on port %d: '%s'", port, line);
        xt_sleep_ms(200);
    }
}

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
int xd_fake_start(xd_fx *f, enum fake_mode mode)
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
