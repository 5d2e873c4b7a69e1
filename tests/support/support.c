/*
 * Test support: temporary folders, running a program with its three standard
 * streams on pipes, and digests that prove a database or a file unchanged.
 *
 * Invariants:
 *   1. A program run is bounded: at most RUN_TIMEOUT_MS from fork to reap,
 *      and at most RUN_OUT_MAX bytes on each of stdout and stderr; past
 *      either the child is killed (by its PID) and the test fails.
 *   2. stdin, stdout and stderr are served by one poll() loop, so a child
 *      that writes a lot before reading (or never reads) cannot deadlock us.
 *   3. xt_db_digest() never creates or writes the database: it checks that
 *      the file exists first and opens it SQLITE_OPEN_READONLY.
 *   4. Every buffer is sized from a stated maximum; strings are built with
 *      snprintf() and memcpy() only.
 *
 * Failures in the support code itself (no fork, no pipe, no memory) fail the
 * current cmocka test with fail_msg(): a test cannot go on without them.
 */
/* nftw() is XSI: ask for it before any system header. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

extern char **environ;

#define RUN_TIMEOUT_MS 60000
#define RUN_OUT_MAX ((size_t)64 * 1024 * 1024)
#define RUN_CHUNK 65536
#define ARGV_MAX 4096
#define ENV_MAX 8192
#define FILE_MAX ((size_t)512 * 1024 * 1024)
#define DIGEST_TABLES_MAX 4096
#define DIGEST_COLUMNS_MAX 2000

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* ---------------------------------------------------------------------- */
/* Memory                                                                  */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        fail_msg("support: out of memory (%zu bytes)", n);
    return p;
}

/* ---------------------------------------------------------------------- */
/* Temporary folders and paths                                             */

char *xt_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    int n;
    char *out;
    size_t len;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    n = snprintf(tmpl, sizeof tmpl, "%s/xasync-test-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof tmpl)
        fail_msg("support: TMPDIR too long");
    if (mkdtemp(tmpl) == NULL)
        fail_msg("support: mkdtemp(%s): %s", tmpl, strerror(errno));
    len = strlen(tmpl);
    out = xmalloc(len + 1);
    memcpy(out, tmpl, len + 1);
    return out;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT)
        print_error("support: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void xt_rmdir(char *dir)
{
    if (dir == NULL)
        return;
    /* FTW_DEPTH: children before their folder; FTW_PHYS: never follow a
     * symlink out of the folder. */
    if (nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        print_error("support: cannot walk %s: %s\n", dir, strerror(errno));
    free(dir);
}

char *xt_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    size_t nl = strlen(name);
    char *out;

    if (dl > PATH_MAX || nl > PATH_MAX)
        fail_msg("support: path too long");
    out = xmalloc(dl + 1 + nl + 1);
    memcpy(out, dir, dl);
    out[dl] = '/';
    memcpy(out + dl + 1, name, nl);
    out[dl + 1 + nl] = '\0';
    return out;
}

/* ---------------------------------------------------------------------- */
/* Running a program                                                       */

typedef struct buf {
    char *p;
    size_t len;
    size_t cap;
} buf;

/* Append n bytes, keeping a NUL after them.  -1 past RUN_OUT_MAX. */
static int buf_add(buf *b, const char *s, size_t n)
{
    if (n > RUN_OUT_MAX - b->len)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of "NAME=" in an environment entry, or 0 if it has no '='. */
static size_t env_name_len(const char *e)
{
    const char *eq = strchr(e, '=');

    return eq ? (size_t)(eq - e) + 1 : 0;
}

static int env_sets(const char *const *env, const char *entry, size_t namelen)
{
    size_t i;

    for (i = 0; env != NULL && env[i] != NULL; i++)
        if (env_name_len(env[i]) == namelen && memcmp(env[i], entry, namelen) == 0)
            return 1;
    return 0;
}

/* The child's environment: ours minus the settings xasync reads
 * (XASYNC_DB, XASYNC_AUTHOR: the tests' outcome must not depend on the
 * runner's) and minus every name `env` sets, then `env`.  The array is
 * malloc'd; its strings are borrowed. */
static char **make_env(const char *const *env)
{
    size_t ne = 0, nx = 0, i, k = 0;
    char **out;

    while (environ != NULL && environ[ne] != NULL)
        ne++;
    while (env != NULL && env[nx] != NULL)
        nx++;
    if (ne > ENV_MAX || nx > ENV_MAX)
        fail_msg("support: environment too large");
    out = xmalloc((ne + nx + 1) * sizeof *out);
    for (i = 0; i < ne; i++) {
        size_t nl = env_name_len(environ[i]);

        if (nl == sizeof "XASYNC_DB=" - 1 && memcmp(environ[i], "XASYNC_DB=", nl) == 0)
            continue;
        if (nl == sizeof "XASYNC_AUTHOR=" - 1 && memcmp(environ[i], "XASYNC_AUTHOR=", nl) == 0)
            continue;
        if (nl > 0 && env_sets(env, environ[i], nl))
            continue;
        out[k++] = environ[i];
    }
    for (i = 0; i < nx; i++)
        out[k++] = (char *)env[i];
    out[k] = NULL;
    return out;
}

static char **make_argv(const char *prog, const char *const *argv)
{
    size_t n = 0, i;
    char **out;

    while (argv != NULL && argv[n] != NULL)
        n++;
    if (n > ARGV_MAX)
        fail_msg("support: too many arguments");
    out = xmalloc((n + 2) * sizeof *out);
    out[0] = (char *)prog;
    for (i = 0; i < n; i++)
        out[i + 1] = (char *)argv[i];
    out[n + 1] = NULL;
    return out;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    return 0;
}

/* In the child: put fd on target, without close-on-exec. */
static void child_dup(int fd, int target)
{
    if (fd == target) {
        if (fcntl(target, F_SETFD, 0) != 0)
            _exit(127);
    } else if (dup2(fd, target) < 0) {
        _exit(127);
    }
}

/* Read what fd has into b.  Returns 0 to keep it open, 1 at EOF or on a read
 * error, -1 past RUN_OUT_MAX. */
static int drain(int fd, buf *b)
{
    char chunk[RUN_CHUNK];
    ssize_t n = read(fd, chunk, sizeof chunk);

    if (n < 0)
        return (errno == EINTR || errno == EAGAIN) ? 0 : 1;
    if (n == 0)
        return 1;
    return buf_add(b, chunk, (size_t)n) < 0 ? -1 : 0;
}

static void kill_and_reap(pid_t pid)
{
    int st;

    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

xt_run xt_exec(const char *prog, const char *const *argv, const char *in, const char *const *env)
{
    xt_run r = {0, NULL, 0, NULL, 0};
    int pin[2], pout[2], perr[2];
    char **cargv, **cenv;
    size_t inlen = in ? strlen(in) : 0, inoff = 0;
    buf out = {NULL, 0, 0}, err = {NULL, 0, 0};
    int64_t deadline;
    pid_t pid;
    int st = 0, overflow = 0, timed_out = 0;
    struct sigaction sa;

    /* A child that exits before reading its input must not kill us. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);

    if (buf_add(&out, "", 0) < 0 || buf_add(&err, "", 0) < 0)
        fail_msg("support: out of memory");
    cargv = make_argv(prog, argv);
    cenv = make_env(env);
    if (make_pipe(pin) != 0)
        fail_msg("support: pipe: %s", strerror(errno));
    if (make_pipe(pout) != 0)
        fail_msg("support: pipe: %s", strerror(errno));
    if (make_pipe(perr) != 0)
        fail_msg("support: pipe: %s", strerror(errno));

    pid = fork();
    if (pid < 0)
        fail_msg("support: fork: %s", strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls from here to execve(). */
        signal(SIGPIPE, SIG_DFL);
        child_dup(pin[0], 0);
        child_dup(pout[1], 1);
        child_dup(perr[1], 2);
        execve(prog, cargv, cenv);
        {
            static const char msg[] = "support: execve failed\n";
            ssize_t w = write(2, msg, sizeof msg - 1);
            (void)w;
        }
        _exit(127);
    }
    free(cargv);
    free(cenv);
    close_fd(&pin[0]);
    close_fd(&pout[1]);
    close_fd(&perr[1]);
    if (inlen == 0)
        close_fd(&pin[1]);
    else if (fcntl(pin[1], F_SETFL, O_NONBLOCK) != 0)
        close_fd(&pin[1]);

    deadline = now_ms() + RUN_TIMEOUT_MS;
    while (pout[0] >= 0 || perr[0] >= 0 || pin[1] >= 0) {
        struct pollfd pf[3];
        int *fds[3];
        nfds_t np = 0, i;
        int64_t left = deadline - now_ms();
        int rc;

        if (left <= 0) {
            timed_out = 1;
            break;
        }
        if (pout[0] >= 0) {
            pf[np].fd = pout[0];
            pf[np].events = POLLIN;
            fds[np++] = &pout[0];
        }
        if (perr[0] >= 0) {
            pf[np].fd = perr[0];
            pf[np].events = POLLIN;
            fds[np++] = &perr[0];
        }
        if (pin[1] >= 0) {
            pf[np].fd = pin[1];
            pf[np].events = POLLOUT;
            fds[np++] = &pin[1];
        }
        rc = poll(pf, np, (int)left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            fail_msg("support: poll: %s", strerror(errno));
        }
        for (i = 0; i < np; i++) {
            if (pf[i].revents == 0)
                continue;
            if (fds[i] == &pin[1]) {
                size_t want = inlen - inoff;
                ssize_t w;

                if (!(pf[i].revents & POLLOUT)) {
                    close_fd(&pin[1]);
                    continue;
                }
                if (want > RUN_CHUNK)
                    want = RUN_CHUNK;
                w = write(pin[1], in + inoff, want);
                if (w < 0 && (errno == EINTR || errno == EAGAIN))
                    continue;
                if (w < 0) {
                    close_fd(&pin[1]); /* EPIPE: the child stopped reading */
                    continue;
                }
                inoff += (size_t)w;
                if (inoff == inlen)
                    close_fd(&pin[1]);
            } else {
                int d = drain(*fds[i], fds[i] == &pout[0] ? &out : &err);

                if (d < 0) {
                    overflow = 1;
                    break;
                }
                if (d > 0)
                    close_fd(fds[i]);
            }
        }
        if (overflow)
            break;
    }
    close_fd(&pin[1]);
    close_fd(&pout[0]);
    close_fd(&perr[0]);

    /* The streams are closed; the child has until the deadline to exit. */
    while (!timed_out && !overflow) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        struct timespec ten_ms = {0, 10 * 1000 * 1000};

        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            fail_msg("support: waitpid: %s", strerror(errno));
        if (now_ms() >= deadline) {
            timed_out = 1;
            break;
        }
        nanosleep(&ten_ms, NULL);
    }
    if (timed_out || overflow) {
        kill_and_reap(pid);
        free(out.p);
        free(err.p);
        if (timed_out)
            fail_msg("support: %s ran past %d s; killed (pid %ld)", prog, RUN_TIMEOUT_MS / 1000,
                     (long)pid);
        fail_msg("support: %s wrote more than %zu bytes; killed (pid %ld)", prog, RUN_OUT_MAX,
                 (long)pid);
    }

    if (WIFEXITED(st))
        r.status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        r.status = 128 + WTERMSIG(st);
    else
        r.status = 255;
    r.out = out.p;
    r.outlen = out.len;
    r.err = err.p;
    r.errlen = err.len;
    return r;
}

xt_run xt_xasync(const char *const *argv, const char *in, const char *const *env)
{
    return xt_exec(XA_BIN, argv, in, env);
}

xt_run xt_district(const char *const *argv, const char *in, const char *const *env)
{
    return xt_exec(XA_DISTRICT_BIN, argv, in, env);
}

void xt_server_start(xt_server *s, const char *db, const char *const *extra)
{
    const char *fixed[] = {XA_DISTRICT_BIN, "--db", db, "serve", "--listen", "127.0.0.1:0"};
    const char *args[64];
    size_t n = 0;
    int out[2];
    char line[256];
    size_t got = 0;
    int64_t deadline;
    pid_t pid;

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        args[n++] = fixed[i];
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof(args) / sizeof(args[0]); i++)
        args[n++] = extra[i];
    args[n] = NULL;
    s->log = xmalloc(strlen(db) + 16);
    snprintf(s->log, strlen(db) + 16, "%s.serve.log", db);
    if (pipe(out) != 0)
        fail_msg("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int err = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out[1], 1);
        if (err >= 0)
            dup2(err, 2);
        close(out[0]);
        signal(SIGPIPE, SIG_DFL);
        execv(XA_DISTRICT_BIN, (char *const *)args);
        _exit(127);
    }
    close(out[1]);
    s->pid = (int)pid;
    deadline = now_ms() + 10000;
    while (now_ms() < deadline && got + 1 < sizeof(line)) {
        struct pollfd p = {out[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(out[0], line + got, sizeof(line) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        line[got] = '\0';
        if (strchr(line, '\n'))
            break;
    }
    close(out[0]);
    line[got] = '\0';
    const char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) != 0 || colon == NULL) {
        xt_server_stop(s, SIGKILL);
        fail_msg("xasync-district did not start: '%s'", line);
    }
    s->port = (int)strtol(colon + 1, NULL, 10);
}

int xt_server_stop(xt_server *s, int sig)
{
    int status = 0;
    int64_t deadline;

    if (s->pid <= 0) {
        free(s->log);
        s->log = NULL;
        return -1;
    }
    kill((pid_t)s->pid, sig);
    deadline = now_ms() + 10000;
    for (;;) {
        pid_t r = waitpid((pid_t)s->pid, &status, WNOHANG);
        if (r == (pid_t)s->pid)
            break;
        if (now_ms() > deadline) {
            kill((pid_t)s->pid, SIGKILL);
            waitpid((pid_t)s->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    s->pid = 0;
    free(s->log);
    s->log = NULL;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *xt_district_setup(const char *dir, const char *const *scopes)
{
    char *db = xt_path(dir, "district.db");
    const char *init[] = {"--db", db, "init", NULL};
    xt_run r = xt_district(init, NULL, NULL);

    if (r.status != 0)
        fail_msg("xasync-district init: %s", r.err);
    xt_run_free(&r);
    for (size_t i = 0; scopes && scopes[i]; i++) {
        const char *add[] = {"--db", db, "commune", "add", scopes[i], "--name", scopes[i], NULL};
        char name[128], *path;
        r = xt_district(add, NULL, NULL);
        if (r.status != 0 || r.outlen < 40)
            fail_msg("commune add %s: %s", scopes[i], r.err);
        snprintf(name, sizeof(name), "%s.token", scopes[i]);
        path = xt_path(dir, name);
        xt_write_file(path, r.out, r.outlen);
        free(path);
        xt_run_free(&r);
    }
    const char *tok[] = {"--db", db, "token", "add", "--district", "district", NULL};
    r = xt_district(tok, NULL, NULL);
    if (r.status != 0)
        fail_msg("token add: %s", r.err);
    char *path = xt_path(dir, "district.token");
    xt_write_file(path, r.out, r.outlen);
    free(path);
    xt_run_free(&r);
    return db;
}

void xt_pc_setup(const char *dir, const char *db, const char *scope, int port)
{
    char url[64], name[128], *tok;
    const char *init[] = {"--db", db, "init", "--scope", scope, NULL};
    xt_run r = xt_xasync(init, NULL, NULL);

    if (r.status != 0)
        fail_msg("xasync init: %s", r.err);
    xt_run_free(&r);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    snprintf(name, sizeof(name), "%s.token", scope);
    tok = xt_path(dir, name);
    const char *rem[] = {"--db", db, "remote", "set", url, "--token-file", tok, NULL};
    r = xt_xasync(rem, NULL, NULL);
    if (r.status != 0)
        fail_msg("xasync remote set: %s", r.err);
    xt_run_free(&r);
    free(tok);
}

void xt_run_free(xt_run *r)
{
    if (r == NULL)
        return;
    free(r->out);
    free(r->err);
    r->out = NULL;
    r->err = NULL;
    r->outlen = 0;
    r->errlen = 0;
}

/* ---------------------------------------------------------------------- */
/* Digests                                                                 */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    int i;

    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (56 - 8 * i));
    return fnv(h, b, sizeof b);
}

/* A tag byte, then the length, then the bytes: no two dumps collide by
 * shifting bytes from one item to the next. */
static uint64_t fnv_item(uint64_t h, char tag, const void *data, size_t n)
{
    h = fnv(h, &tag, 1);
    h = fnv_u64(h, (uint64_t)n);
    return n ? fnv(h, data, n) : h;
}

static int file_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

/* Fails the test with SQLite's message, after closing the handle. */
static void db_fail(sqlite3 *db, const char *path, const char *what)
{
    char msg[512];

    snprintf(msg, sizeof msg, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    fail_msg("support: digest of %s: %s: %s", path, what, msg);
}

/* "SELECT * FROM "name"" plus, when ncol > 0, " ORDER BY 1,2,...,ncol". */
static char *select_sql(const char *name, int ncol)
{
    size_t nl = strlen(name), cap = 32 + 2 * nl + (size_t)ncol * 8, k = 0, i;
    char *sql = xmalloc(cap);
    int n;

    n = snprintf(sql, cap, "SELECT * FROM \"");
    k = (size_t)n;
    for (i = 0; i < nl; i++) {
        if (name[i] == '"')
            sql[k++] = '"';
        sql[k++] = name[i];
    }
    sql[k++] = '"';
    sql[k] = '\0';
    for (i = 1; i <= (size_t)ncol; i++) {
        n = snprintf(sql + k, cap - k, "%s%zu", i == 1 ? " ORDER BY " : ",", i);
        if (n < 0 || (size_t)n >= cap - k)
            fail_msg("support: digest: query too long");
        k += (size_t)n;
    }
    return sql;
}

static uint64_t digest_table(sqlite3 *db, const char *path, const char *name, uint64_t h)
{
    sqlite3_stmt *stmt = NULL;
    char *sql = select_sql(name, 0);
    int ncol, i, rc;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        free(sql);
        db_fail(db, path, name);
    }
    ncol = sqlite3_column_count(stmt);
    sqlite3_finalize(stmt);
    free(sql);
    if (ncol <= 0 || ncol > DIGEST_COLUMNS_MAX)
        fail_msg("support: digest of %s: table %s has %d columns", path, name, ncol);

    h = fnv_item(h, 'T', name, strlen(name));
    h = fnv_u64(h, (uint64_t)ncol);
    sql = select_sql(name, ncol);
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        free(sql);
        db_fail(db, path, name);
    }
    free(sql);
    for (i = 0; i < ncol; i++) {
        const char *cn = sqlite3_column_name(stmt, i);

        h = fnv_item(h, 'C', cn, cn ? strlen(cn) : 0);
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        h = fnv(h, "R", 1);
        for (i = 0; i < ncol; i++) {
            switch (sqlite3_column_type(stmt, i)) {
            case SQLITE_NULL:
                h = fnv_item(h, 'N', NULL, 0);
                break;
            case SQLITE_INTEGER: {
                uint64_t v = (uint64_t)sqlite3_column_int64(stmt, i);

                h = fnv(h, "I", 1);
                h = fnv_u64(h, v);
                break;
            }
            case SQLITE_FLOAT: {
                double d = sqlite3_column_double(stmt, i);
                uint64_t v;

                memcpy(&v, &d, sizeof v);
                h = fnv(h, "F", 1);
                h = fnv_u64(h, v);
                break;
            }
            case SQLITE_TEXT: {
                const unsigned char *t = sqlite3_column_text(stmt, i);

                h = fnv_item(h, 'S', t, (size_t)sqlite3_column_bytes(stmt, i));
                break;
            }
            default: {
                const void *b = sqlite3_column_blob(stmt, i);

                h = fnv_item(h, 'B', b, (size_t)sqlite3_column_bytes(stmt, i));
                break;
            }
            }
        }
    }
    if (rc != SQLITE_DONE) {
        sqlite3_finalize(stmt);
        db_fail(db, path, name);
    }
    sqlite3_finalize(stmt);
    return h;
}

uint64_t xt_db_digest(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    char **names;
    size_t n = 0, i;
    uint64_t h = FNV_OFFSET;
    int rc;

    /* Never let sqlite3_open_v2() be the one to notice it is missing. */
    if (!file_exists(path))
        return 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        db_fail(db, path, "open");
    sqlite3_busy_timeout(db, 5000);

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        db_fail(db, path, "user_version");
    if (sqlite3_step(stmt) == SQLITE_ROW)
        h = fnv_u64(h, (uint64_t)sqlite3_column_int64(stmt, 0));
    sqlite3_finalize(stmt);

    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_schema WHERE type = 'table'"
                           " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                           -1, &stmt, NULL) != SQLITE_OK)
        db_fail(db, path, "list tables");
    names = xmalloc(DIGEST_TABLES_MAX * sizeof *names);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(stmt, 0);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 0);

        if (n == DIGEST_TABLES_MAX || t == NULL)
            break;
        names[n] = xmalloc(len + 1);
        memcpy(names[n], t, len);
        names[n][len] = '\0';
        n++;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        for (i = 0; i < n; i++)
            free(names[i]);
        free(names);
        if (rc == SQLITE_ROW)
            fail_msg("support: digest of %s: more than %d tables", path, DIGEST_TABLES_MAX);
        db_fail(db, path, "list tables");
    }
    for (i = 0; i < n; i++) {
        h = digest_table(db, path, names[i], h);
        free(names[i]);
    }
    free(names);
    sqlite3_close(db);
    /* 0 means "missing"; an existing database never digests to it. */
    return h ? h : 1;
}

uint64_t xt_file_digest(const char *path)
{
    unsigned char chunk[RUN_CHUNK];
    uint64_t h = FNV_OFFSET;
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        fail_msg("support: cannot open %s: %s", path, strerror(errno));
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        h = fnv(h, chunk, n);
    if (ferror(f)) {
        fclose(f);
        fail_msg("support: cannot read %s", path);
    }
    fclose(f);
    return h ? h : 1;
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

void xt_write_file(const char *path, const char *data, size_t len)
{
    size_t off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0)
        fail_msg("support: cannot create %s: %s", path, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;

            close(fd);
            fail_msg("support: cannot write %s: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (close(fd) != 0)
        fail_msg("support: cannot close %s: %s", path, strerror(errno));
}

char *xt_read_file(const char *path, size_t *len)
{
    buf b = {NULL, 0, 0};
    char chunk[RUN_CHUNK];
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return NULL;
        fail_msg("support: cannot open %s: %s", path, strerror(errno));
    }
    if (buf_add(&b, "", 0) < 0)
        fail_msg("support: out of memory");
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;

            close(fd);
            free(b.p);
            fail_msg("support: cannot read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > FILE_MAX || buf_add(&b, chunk, (size_t)n) < 0) {
            close(fd);
            free(b.p);
            fail_msg("support: %s is larger than %zu bytes", path, FILE_MAX);
        }
    }
    close(fd);
    if (len != NULL)
        *len = b.len;
    return b.p;
}

static int n_skipped;

void xt_skip_at(const char *why, const char *file, int line)
{
    print_message("skipped: %s\n", why);
    n_skipped++;
    _skip(file, line);
}

int xt_tests_status(int failed)
{
    if (failed != 0)
        return 1;
    return n_skipped ? 77 : 0;
}

/* ---- copies of a PC's database ------------------------------------------ */

void xt_copy_db_file(const char *from, const char *to)
{
    size_t n = 0;
    char *b = xt_read_file(from, &n), aux[4096];

    if (b == NULL)
        fail_msg("copy: cannot read %s", from);
    unlink(to);
    snprintf(aux, sizeof aux, "%s-wal", to);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", to);
    unlink(aux);
    xt_write_file(to, b, n);
    free(b);
}

void xt_copy_db_image(const char *from, const char *to)
{
    xt_copy_db_file(from, to);
    xt_copy_db_marker(from, to);
}

void xt_copy_db_marker(const char *from, const char *to)
{
    char src[4096], dst[4096], real[PATH_MAX];
    size_t n = 0;
    char *m;

    snprintf(src, sizeof src, "%s-node", from);
    snprintf(dst, sizeof dst, "%s-node", to);
    unlink(dst);
    m = xt_read_file(src, &n);
    if (m == NULL)
        return;
    if (realpath(to, real) == NULL)
        fail_msg("copy: realpath %s: %s", to, strerror(errno));
    {
        char *p = strstr(m, "\npath "), *out;
        size_t len;
        if (p == NULL)
            fail_msg("copy: %s holds no path line", src);
        p[1] = '\0';
        len = strlen(m) + strlen(real) + 8;
        out = malloc(len);
        snprintf(out, len, "%spath %s\n", m, real);
        xt_write_file(dst, out, strlen(out));
        free(out);
    }
    free(m);
}
