/*
 * bench_w1: the W1 workload (docs/workload.md) between two real clients and the
 * real district server on loopback, and the server's throughput.  Prints
 * figures; never passes or fails on time.  It exits 1 when something it runs
 * fails or when the end state of W1 is not the expected one (the figures are
 * printed all the same).
 *
 *   bench_w1 [FIXTURE] [--keep]
 *
 * FIXTURE is fixtures/w1-ops.jsonl (default ../shared/fixtures/w1-ops.jsonl,
 * which is right from the repository's root; bench_w1.sh passes the path).
 * --keep leaves the temporary folder (databases, logs) in place.
 *
 * 1. W1.  A district database with one commune, `xasync-district serve` on
 *    127.0.0.1 (a port the OS picks), xaproxy in front of it, and two PC
 *    databases A and B whose remote is the proxy.  Each line of the fixture
 *    runs one process: a `set` runs `xasync --db PC set --author A|B --
 *    ENTITY FIELD VALUE` (the key split at its last '/': ind/04/est is entity
 *    ind/04, field est), a `sync` runs `xasync --db PC sync`.  For each phase:
 *      bytes    the proxy's counters (`zero` before the phase, `stats` after):
 *               every byte of every request and response, headers included,
 *               as counted on the sockets;
 *      requests the sum of R over the phase's syncs ("..., R requests");
 *      conns    TCP connections the proxy accepted;
 *      wall     from the phase's first process to its last (sets included),
 *               and the time spent in its `xasync sync` processes alone.
 *    Beside each phase: the lower bound of docs/workload.md.  Then the check of
 *    the end state: after P3 B holds A's state; after P4 A and B are
 *    identical (`xasync show --json`), the cells both edited in P4 are in
 *    conflict holding both values, and every other cell holds its last
 *    written value (no edit lost).
 * 2. Throughput.  A fresh district database with 20 communes and a fresh
 *    server (no proxy); 20 PCs, one per commune, each with 1,000 edits
 *    (written through the store's API, values taken from the fixture).  The
 *    20 `xasync sync` processes are forked first and held at a gate, then let
 *    go at once; the time runs from the gate to the last exit.  Ops applied
 *    per second by the server = 20,000 / that time.  The time includes the
 *    clients' own start-up and encoding, so the figure understates what the
 *    server alone can do.
 *
 * Every process started here is stopped by its PID and reaped.
 */
#include "xasync/error.h"
#include "xasync/store.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XA_BIN
#error "XA_BIN must name the xasync binary"
#endif
#ifndef XA_DISTRICT_BIN
#error "XA_DISTRICT_BIN must name the xasync-district binary"
#endif
#ifndef XA_PROXY_BIN
#error "XA_PROXY_BIN must name the xaproxy binary (built with the tests)"
#endif

extern char **environ;

#define SCOPE "hoang-kim"
#define PATH_BYTES 4096
#define DEFAULT_FIXTURE "../shared/fixtures/w1-ops.jsonl"
#define MAX_LINES 100000               /* fixture lines */
#define MAX_LINE_BYTES (1024 * 1024)   /* one fixture line */
#define MAX_OUTPUT (64u * 1024 * 1024) /* captured output of one process */
#define RUN_TIMEOUT_MS 300000.0        /* one xasync process */
#define START_TIMEOUT_MS 10000.0       /* a server or the proxy printing its port */
#define STOP_TIMEOUT_MS 10000.0        /* SIGTERM, then SIGKILL */
#define NPHASES 4
#define TP_COMMUNES 20
#define TP_EDITS 1000
#define MAX_SHOWN_ERRORS 10

static const char *const PHASE_NAME[NPHASES] = {"P1", "P2", "P3", "P4"};
/* The lower bounds of docs/workload.md (bytes, without headers). */
static const uint64_t LOWER_BOUND[NPHASES] = {9938, 12476, 10453, 424};
/* The phase whose edits are made apart, concurrently (docs/workload.md, P4). */
#define CONCURRENT_PHASE 3

/* ---- small helpers ------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* dir/name into out (PATH_BYTES); -1 if it does not fit. */
static int join(char *out, const char *dir, const char *name)
{
    int w = snprintf(out, PATH_BYTES, "%s/%s", dir, name);
    if (w < 0 || w >= PATH_BYTES) {
        fprintf(stderr, "bench_w1: path too long: %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* Read a whole small file (at most `max` bytes), NUL-terminated; NULL if
 * missing or unreadable. */
static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "bench_w1: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_w1: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Remove a folder made here: its files and sub-folders, `depth` levels. */
static void remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        const struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[PATH_BYTES];
            struct stat sb;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (join(p, dir, e->d_name) != 0)
                continue;
            if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                if (depth > 0)
                    remove_tree(p, depth - 1);
                continue;
            }
            if (unlink(p) != 0)
                fprintf(stderr, "bench_w1: cannot remove %s: %s\n", p, strerror(errno));
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_w1: cannot remove %s: %s\n", dir, strerror(errno));
}

/* ---- the fixture ---------------------------------------------------------- */

typedef struct w1op {
    int phase;  /* 0..NPHASES-1 */
    int client; /* 0: A, 1: B */
    int sync;   /* 1: a sync, 0: a set */
    char *entity, *field, *value;
    long line;
} w1op;

typedef struct w1 {
    w1op *ops;
    size_t n;
} w1;

static void w1_free(w1 *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->ops[i].entity);
        free(w->ops[i].field);
        free(w->ops[i].value);
    }
    free(w->ops);
    w->ops = NULL;
    w->n = 0;
}

static int field_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/* One line into *op; -1 with a message if it is not a W1 op. */
static int parse_line(const char *path, long lineno, const char *line, w1op *op, int *bad_names)
{
    cJSON *j = cJSON_Parse(line);
    int ret = -1;
    if (j == NULL || !cJSON_IsObject(j)) {
        fprintf(stderr, "bench_w1: %s:%ld: not a JSON object\n", path, lineno);
        goto out;
    }
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(j, "phase");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(j, "client");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "op");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (!cJSON_IsString(ph) || !cJSON_IsString(cl) || !cJSON_IsString(o)) {
        fprintf(stderr, "bench_w1: %s:%ld: phase, client and op must be strings\n", path, lineno);
        goto out;
    }
    op->line = lineno;
    op->phase = -1;
    for (int p = 0; p < NPHASES; p++)
        if (strcmp(ph->valuestring, PHASE_NAME[p]) == 0)
            op->phase = p;
    if (op->phase < 0) {
        fprintf(stderr, "bench_w1: %s:%ld: unknown phase '%s'\n", path, lineno, ph->valuestring);
        goto out;
    }
    if (strcmp(cl->valuestring, "A") == 0)
        op->client = 0;
    else if (strcmp(cl->valuestring, "B") == 0)
        op->client = 1;
    else {
        fprintf(stderr, "bench_w1: %s:%ld: unknown client '%s'\n", path, lineno, cl->valuestring);
        goto out;
    }
    if (strcmp(o->valuestring, "sync") == 0) {
        op->sync = 1;
        ret = 0;
        goto out;
    }
    if (strcmp(o->valuestring, "set") != 0) {
        fprintf(stderr, "bench_w1: %s:%ld: unknown op '%s'\n", path, lineno, o->valuestring);
        goto out;
    }
    if (!cJSON_IsString(k) || !cJSON_IsString(v)) {
        fprintf(stderr, "bench_w1: %s:%ld: a set needs a string key and value\n", path, lineno);
        goto out;
    }
    /* Split the key at its last '/': entity, field. */
    const char *key = k->valuestring, *slash = strrchr(key, '/');
    if (slash == NULL || slash == key || slash[1] == '\0') {
        fprintf(stderr, "bench_w1: %s:%ld: key '%s' has no ENTITY/FIELD form\n", path, lineno, key);
        (*bad_names)++;
        goto out;
    }
    size_t elen = (size_t)(slash - key), flen = strlen(slash + 1);
    int field_ok = flen <= 64;
    for (size_t i = 0; field_ok && i < flen; i++)
        field_ok = field_char_ok(slash[1 + i]);
    op->entity = malloc(elen + 1);
    op->field = dup_str(slash + 1);
    op->value = dup_str(v->valuestring);
    if (op->entity == NULL || op->field == NULL || op->value == NULL) {
        fprintf(stderr, "bench_w1: out of memory\n");
        goto out;
    }
    memcpy(op->entity, key, elen);
    op->entity[elen] = '\0';
    if (!field_ok || xa_check_field(op->field) != 0) {
        fprintf(stderr,
                "bench_w1: %s:%ld: key '%s': field '%s' is not a valid field name"
                " (1-64 of [A-Za-z0-9._-])\n",
                path, lineno, key, op->field);
        (*bad_names)++;
        goto out;
    }
    if (xa_check_entity(op->entity) != 0) {
        fprintf(stderr, "bench_w1: %s:%ld: key '%s': entity '%s' is not a valid entity name: %s\n",
                path, lineno, key, op->entity, xa_error_last());
        (*bad_names)++;
        goto out;
    }
    ret = 0;
out:
    cJSON_Delete(j);
    return ret;
}

static int w1_load(const char *path, w1 *w)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_w1: cannot read the fixture %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, have = 0;
    long lineno = 0;
    int bad_names = 0, ret = -1;
    ssize_t got;
    memset(w, 0, sizeof *w);
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (lineno > MAX_LINES || got > MAX_LINE_BYTES) {
            fprintf(stderr, "bench_w1: %s:%ld: too many lines or too long a line\n", path, lineno);
            goto out;
        }
        if (got == 0 || line[0] == '\n')
            continue;
        if (w->n == have) {
            size_t ncap = have ? have * 2 : 512;
            w1op *p = realloc(w->ops, ncap * sizeof *p);
            if (p == NULL) {
                fprintf(stderr, "bench_w1: out of memory\n");
                goto out;
            }
            w->ops = p;
            have = ncap;
        }
        w1op *op = &w->ops[w->n];
        memset(op, 0, sizeof *op);
        w->n++;
        if (parse_line(path, lineno, line, op, &bad_names) != 0) {
            if (bad_names > 0)
                continue; /* name every bad key, then stop */
            goto out;
        }
        if (w->n > 1 && op->phase < w->ops[w->n - 2].phase) {
            fprintf(stderr, "bench_w1: %s:%ld: phase %s after %s\n", path, lineno,
                    PHASE_NAME[op->phase], PHASE_NAME[w->ops[w->n - 2].phase]);
            goto out;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "bench_w1: cannot read %s\n", path);
        goto out;
    }
    if (bad_names > 0) {
        fprintf(stderr, "bench_w1: %d key(s) of the fixture do not map to a valid entity/field\n",
                bad_names);
        goto out;
    }
    if (w->n == 0) {
        fprintf(stderr, "bench_w1: %s holds no ops\n", path);
        goto out;
    }
    ret = 0;
out:
    free(line);
    fclose(f);
    if (ret != 0)
        w1_free(w);
    return ret;
}

/* ---- processes ------------------------------------------------------------ */

typedef struct run {
    int status; /* exit code, or 128+signal */
    char *out, *err;
    size_t outlen, errlen;
    double ms; /* fork to reap */
} run;

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static int cloexec_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Append what fd has to *buf; 0 at EOF, 1 if more may come, -1 on error. */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if (*len + (size_t)n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 65536;
        while (ncap < *len + (size_t)n + 1 && ncap <= MAX_OUTPUT)
            ncap *= 2;
        if (ncap > MAX_OUTPUT + 1)
            return -1;
        char *p = realloc(*buf, ncap);
        if (p == NULL)
            return -1;
        *buf = p;
        *cap = ncap;
    }
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return 1;
}

static int status_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

/* Run prog with argv (argv[0] is prog), collecting stdout and stderr.  Kills
 * it by its PID if it runs past RUN_TIMEOUT_MS.  -1 if it could not run. */
static int run_cmd(const char *prog, char *const argv[], run *r)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    size_t ocap = 0, ecap = 0;
    memset(r, 0, sizeof *r);
    r->out = calloc(1, 1);
    r->err = calloc(1, 1);
    if (r->out == NULL || r->err == NULL || cloexec_pipe(po) != 0 || cloexec_pipe(pe) != 0) {
        fprintf(stderr, "bench_w1: cannot make pipes: %s\n", strerror(errno));
        goto fail;
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_w1: fork: %s\n", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        execve(prog, argv, environ);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    int open_o = 1, open_e = 1, killed = 0;
    double deadline = t0 + RUN_TIMEOUT_MS;
    while (open_o || open_e) {
        struct pollfd pf[2];
        nfds_t k = 0;
        if (open_o)
            pf[k++] = (struct pollfd){.fd = po[0], .events = POLLIN};
        if (open_e)
            pf[k++] = (struct pollfd){.fd = pe[0], .events = POLLIN};
        double left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "bench_w1: %s ran past %.0f s; killing PID %ld\n", argv[0],
                    RUN_TIMEOUT_MS / 1e3, (long)pid);
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        int pr = poll(pf, k, (int)left + 1);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        for (nfds_t i = 0; i < k; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int is_o = pf[i].fd == po[0];
            int rc = is_o ? drain(po[0], &r->out, &r->outlen, &ocap)
                          : drain(pe[0], &r->err, &r->errlen, &ecap);
            if (rc <= 0) {
                if (is_o)
                    open_o = 0;
                else
                    open_e = 0;
            }
        }
    }
    if (killed == 0 && (open_o || open_e))
        kill(pid, SIGKILL); /* poll failed or output over the cap */
    int status = 0;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    r->ms = now_ms() - t0;
    close(po[0]);
    close(pe[0]);
    r->status = w < 0 ? 255 : status_code(status);
    if (killed)
        r->status = 128 + SIGKILL;
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    run_free(r);
    return -1;
}

/* Run and require exit 0; the message names the command. */
static int run_ok(const char *prog, char *const argv[], run *r, const char *what)
{
    if (run_cmd(prog, argv, r) != 0)
        return -1;
    if (r->status != 0) {
        fprintf(stderr, "bench_w1: %s failed (exit %d): %s", what, r->status,
                r->err[0] ? r->err : "(no message)\n");
        run_free(r);
        return -1;
    }
    return 0;
}

/* A long-running process (the server, the proxy): stdout and stderr go to
 * files; it is stopped by its PID. */
typedef struct bgproc {
    pid_t pid; /* 0: not running */
    char out[PATH_BYTES], err[PATH_BYTES];
    const char *name;
} bgproc;

/* Start it and wait for the first line of its stdout starting with
 * "listening on "; that line (without newline) goes to `line`. */
static int bg_start(bgproc *d, char *const argv[], char *line, size_t cap)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_w1: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fo = open(d->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(d->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fo < 0 || fe < 0)
            _exit(126);
        dup2(fo, STDOUT_FILENO);
        dup2(fe, STDERR_FILENO);
        close(fo);
        close(fe);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    d->pid = pid;
    double deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char *e = read_file(d->err, 4096, NULL);
            fprintf(stderr, "bench_w1: %s exited (status %d) before it listened: %s\n", d->name,
                    status_code(status), e && e[0] ? e : "(no message)\n");
            free(e);
            d->pid = 0;
            return -1;
        }
        char *o = read_file(d->out, 4096, NULL);
        const char *nl = o ? strchr(o, '\n') : NULL;
        if (nl != NULL && strncmp(o, "listening on ", 13) == 0) {
            size_t n = (size_t)(nl - o);
            if (n >= cap)
                n = cap - 1;
            memcpy(line, o, n);
            line[n] = '\0';
            free(o);
            return 0;
        }
        free(o);
        sleep_ms(5);
    }
    fprintf(stderr, "bench_w1: %s did not print its port within %.0f s\n", d->name,
            START_TIMEOUT_MS / 1e3);
    return -1;
}

/* SIGTERM, wait STOP_TIMEOUT_MS, then SIGKILL; reap.  Its exit status, or
 * -1 if it was not running. */
static int bg_stop(bgproc *d)
{
    if (d->pid <= 0)
        return -1;
    int status = 0;
    kill(d->pid, SIGTERM);
    double deadline = now_ms() + STOP_TIMEOUT_MS;
    pid_t w = 0;
    while ((w = waitpid(d->pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
        sleep_ms(5);
    if (w == 0) {
        fprintf(stderr, "bench_w1: %s (PID %ld) ignored SIGTERM; killing it\n", d->name,
                (long)d->pid);
        kill(d->pid, SIGKILL);
        do
            w = waitpid(d->pid, &status, 0);
        while (w < 0 && errno == EINTR);
    }
    d->pid = 0;
    return w < 0 ? -1 : status_code(status);
}

/* Stop it; a clean exit is 0 or death by the SIGTERM it was sent. */
static void stop_checked(bgproc *d)
{
    if (d->pid <= 0)
        return;
    int st = bg_stop(d);
    if (st != 0 && st != 128 + SIGTERM)
        fprintf(stderr, "bench_w1: %s exited with status %d; see %s\n", d->name, st, d->err);
}

/* The number after the last ':' of the word starting at s. */
static int port_at(const char *s)
{
    size_t n = strcspn(s, " \t\n");
    const char *colon = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':')
            colon = s + i;
    if (colon == NULL)
        return -1;
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || p <= 0 || p > 65535)
        return -1;
    return (int)p;
}

/* ---- the proxy's control port --------------------------------------------- */

/* One command on a new connection to 127.0.0.1:port; the reply line goes to
 * `reply`.  0 if it starts with "ok" or "stats". */
static int proxy_cmd(int port, const char *cmd, char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    struct timeval tv = {5, 0};
    size_t n = 0;
    reply[0] = '\0';
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char msg[128];
    int w = snprintf(msg, sizeof msg, "%s\n", cmd);
    if (w < 0 || (size_t)w >= sizeof msg || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        send(fd, msg, (size_t)w, MSG_NOSIGNAL) != (ssize_t)w) {
        fprintf(stderr, "bench_w1: proxy control %s: %s\n", cmd, strerror(errno));
        close(fd);
        return -1;
    }
    while (n + 1 < cap) {
        ssize_t got = recv(fd, reply + n, cap - 1 - n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
        reply[n] = '\0';
        if (memchr(reply, '\n', n) != NULL)
            break;
    }
    close(fd);
    reply[n] = '\0';
    reply[strcspn(reply, "\r\n")] = '\0';
    if (strncmp(reply, "ok", 2) == 0 || strncmp(reply, "stats", 5) == 0)
        return 0;
    fprintf(stderr, "bench_w1: proxy control %s: answered '%s'\n", cmd, reply);
    return -1;
}

static int proxy_stats(int port, uint64_t *up, uint64_t *down, uint64_t *conns)
{
    char reply[256];
    if (proxy_cmd(port, "stats", reply, sizeof reply) != 0)
        return -1;
    if (sscanf(reply, "stats up %" SCNu64 " down %" SCNu64 " conns %" SCNu64, up, down, conns) !=
        3) {
        fprintf(stderr, "bench_w1: proxy stats: cannot read '%s'\n", reply);
        return -1;
    }
    return 0;
}

/* ---- the sync report -------------------------------------------------------- */

typedef struct syncrep {
    unsigned long long sent, received, up, down, requests;
} syncrep;

static int parse_synced(const char *out, syncrep *s)
{
    const char *p = out ? strstr(out, "synced: ") : NULL;
    if (p == NULL ||
        sscanf(p, "synced: sent %llu ops, received %llu ops; %llu bytes up, %llu bytes down, %llu",
               &s->sent, &s->received, &s->up, &s->down, &s->requests) != 5) {
        fprintf(stderr, "bench_w1: cannot read the sync's report: '%.200s'\n", out ? out : "");
        return -1;
    }
    return 0;
}

/* ---- W1 --------------------------------------------------------------------- */

typedef struct phase_fig {
    int ran;
    uint64_t up, down, conns;    /* the proxy's counters */
    unsigned long long requests; /* sum of R */
    unsigned long long cli_up, cli_down, ops_sent, ops_received;
    unsigned syncs, sets;
    double wall_ms, sync_ms;
} phase_fig;

typedef struct env {
    char dir[PATH_BYTES];
    char district_db[PATH_BYTES];
    char token[PATH_BYTES];
    char pc[2][PATH_BYTES];
    bgproc server, proxy;
    int server_port, proxy_port, control_port;
} env;

static const char *const CLIENT_NAME[2] = {"A", "B"};

/* The district database with one commune; its token in a file. */
static int make_district(const char *db, const char *const *scopes, size_t n, const char *dir)
{
    run r;
    char *init[] = {(char *)XA_DISTRICT_BIN, (char *)"--db", (char *)db, (char *)"init", NULL};
    if (run_ok(XA_DISTRICT_BIN, init, &r, "xasync-district init") != 0)
        return -1;
    run_free(&r);
    for (size_t i = 0; i < n; i++) {
        char name[96], tok[PATH_BYTES], file[80];
        snprintf(name, sizeof name, "Xã %s", scopes[i]);
        snprintf(file, sizeof file, "%s.token", scopes[i]);
        char *add[] = {(char *)XA_DISTRICT_BIN, (char *)"--db", (char *)db,
                       (char *)"commune",       (char *)"add",  (char *)scopes[i],
                       (char *)"--name",        name,           NULL};
        if (join(tok, dir, file) != 0 ||
            run_ok(XA_DISTRICT_BIN, add, &r, "xasync-district commune add") != 0)
            return -1;
        int ok = write_file(tok, r.out, r.outlen);
        run_free(&r);
        if (ok != 0)
            return -1;
    }
    return 0;
}

/* A PC database for `scope` whose remote is 127.0.0.1:port. */
static int make_pc(const char *db, const char *scope, int port, const char *token)
{
    run r;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    char *init[] = {(char *)XA_BIN,    (char *)"--db", (char *)db, (char *)"init",
                    (char *)"--scope", (char *)scope,  NULL};
    if (run_ok(XA_BIN, init, &r, "xasync init") != 0)
        return -1;
    run_free(&r);
    char *remote[] = {(char *)XA_BIN,         (char *)"--db", (char *)db,
                      (char *)"remote",       (char *)"set",  url,
                      (char *)"--token-file", (char *)token,  NULL};
    if (run_ok(XA_BIN, remote, &r, "xasync remote set") != 0)
        return -1;
    run_free(&r);
    return 0;
}

static int start_server(bgproc *d, const char *dir, const char *db, const char *tag, int *port)
{
    char line[512];
    char fo[64], fe[64];
    snprintf(fo, sizeof fo, "%s-server.out", tag);
    snprintf(fe, sizeof fe, "%s-server.err", tag);
    d->name = "xasync-district serve";
    if (join(d->out, dir, fo) != 0 || join(d->err, dir, fe) != 0)
        return -1;
    char *argv[] = {(char *)XA_DISTRICT_BIN, (char *)"--db",        (char *)db, (char *)"serve",
                    (char *)"--listen",      (char *)"127.0.0.1:0", NULL};
    if (bg_start(d, argv, line, sizeof line) != 0)
        return -1;
    *port = port_at(line + 13);
    if (*port < 0) {
        fprintf(stderr, "bench_w1: cannot read the server's port in '%s'\n", line);
        return -1;
    }
    return 0;
}

static int env_setup(env *e)
{
    char to[32], line[512];
    const char *scopes[] = {SCOPE};
    if (join(e->district_db, e->dir, "district.db") != 0 ||
        join(e->token, e->dir, SCOPE ".token") != 0 || join(e->pc[0], e->dir, "pc-a.db") != 0 ||
        join(e->pc[1], e->dir, "pc-b.db") != 0)
        return -1;
    if (make_district(e->district_db, scopes, 1, e->dir) != 0)
        return -1;
    if (start_server(&e->server, e->dir, e->district_db, "w1", &e->server_port) != 0)
        return -1;

    e->proxy.name = "xaproxy";
    if (join(e->proxy.out, e->dir, "proxy.out") != 0 || join(e->proxy.err, e->dir, "proxy.err"))
        return -1;
    snprintf(to, sizeof to, "127.0.0.1:%d", e->server_port);
    char *pargv[] = {
        (char *)XA_PROXY_BIN, (char *)"--listen", (char *)"127.0.0.1:0", (char *)"--to", to, NULL};
    if (bg_start(&e->proxy, pargv, line, sizeof line) != 0)
        return -1;
    const char *ctl = strstr(line, " control on ");
    e->proxy_port = port_at(line + 13);
    e->control_port = ctl ? port_at(ctl + 12) : -1;
    if (e->proxy_port < 0 || e->control_port < 0) {
        fprintf(stderr, "bench_w1: cannot read the proxy's ports in '%s'\n", line);
        return -1;
    }
    char reply[256];
    if (proxy_cmd(e->control_port, "pass", reply, sizeof reply) != 0)
        return -1;
    for (int c = 0; c < 2; c++)
        if (make_pc(e->pc[c], SCOPE, e->proxy_port, e->token) != 0)
            return -1;
    return 0;
}

/* Run one op of the fixture; adds to the phase's figures. */
static int run_op(env *e, const w1op *op, phase_fig *f)
{
    run r;
    const char *db = e->pc[op->client];
    if (op->sync) {
        char *argv[] = {(char *)XA_BIN, (char *)"--db", (char *)db, (char *)"sync", NULL};
        if (run_cmd(XA_BIN, argv, &r) != 0)
            return -1;
        syncrep s;
        int ok = r.status == 0 && parse_synced(r.out, &s) == 0;
        if (!ok) {
            fprintf(stderr, "bench_w1: line %ld: sync of %s failed (exit %d): %s", op->line,
                    CLIENT_NAME[op->client], r.status, r.err[0] ? r.err : "(no message)\n");
            run_free(&r);
            return -1;
        }
        f->syncs++;
        f->sync_ms += r.ms;
        f->requests += s.requests;
        f->cli_up += s.up;
        f->cli_down += s.down;
        f->ops_sent += s.sent;
        f->ops_received += s.received;
        run_free(&r);
        return 0;
    }
    char *argv[] = {(char *)XA_BIN,
                    (char *)"--db",
                    (char *)db,
                    (char *)"set",
                    (char *)"--author",
                    (char *)CLIENT_NAME[op->client],
                    (char *)"--",
                    op->entity,
                    op->field,
                    op->value,
                    NULL};
    if (run_cmd(XA_BIN, argv, &r) != 0)
        return -1;
    if (r.status != 0) {
        fprintf(stderr, "bench_w1: line %ld: set %s %s by %s failed (exit %d): %s", op->line,
                op->entity, op->field, CLIENT_NAME[op->client], r.status,
                r.err[0] ? r.err : "(no message)\n");
        run_free(&r);
        return -1;
    }
    f->sets++;
    run_free(&r);
    return 0;
}

/* `xasync --db PC show --json`, parsed. */
static cJSON *show_json(const char *db)
{
    run r;
    char *argv[] = {(char *)XA_BIN, (char *)"--db",   (char *)db,
                    (char *)"show", (char *)"--json", NULL};
    if (run_ok(XA_BIN, argv, &r, "xasync show --json") != 0)
        return NULL;
    cJSON *j = cJSON_Parse(r.out);
    if (j == NULL || !cJSON_IsArray(j)) {
        fprintf(stderr, "bench_w1: show --json of %s is not a JSON array\n", db);
        cJSON_Delete(j);
        j = NULL;
    }
    run_free(&r);
    return j;
}

/* 1 if the two PCs show the same fields, values, authors, nodes, dots. */
static int pcs_identical(env *e, const char *when)
{
    cJSON *a = show_json(e->pc[0]), *b = show_json(e->pc[1]);
    int same = a != NULL && b != NULL && cJSON_Compare(a, b, 1);
    if (a != NULL && b != NULL && !same)
        fprintf(stderr, "bench_w1: %s: A shows %d fields, B %d; their show --json differ\n", when,
                cJSON_GetArraySize(a), cJSON_GetArraySize(b));
    cJSON_Delete(a);
    cJSON_Delete(b);
    return same;
}

/* What a cell should hold at the end: the last value written before the
 * concurrent phase, or what each client wrote last in it (both, if both
 * wrote it: a conflict). */
typedef struct expect {
    const char *entity, *field;
    const char *base;     /* last value before the concurrent phase */
    const char *apart[2]; /* last value by A, by B in the concurrent phase */
} expect;

static expect *find_expect(expect *x, size_t n, const char *entity, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(x[i].entity, entity) == 0 && strcmp(x[i].field, field) == 0)
            return &x[i];
    return NULL;
}

static void complain(int *shown, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void complain(int *shown, const char *fmt, ...)
{
    if (*shown < MAX_SHOWN_ERRORS) {
        va_list ap;
        va_start(ap, fmt);
        fputs("bench_w1: end state: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    (*shown)++;
}

/* The end-state check of W1.  1: as expected. */
static int check_end(env *e, const w1 *w, size_t *nconflicts_expected, size_t *nconflicts_seen)
{
    expect *x = calloc(w->n, sizeof *x);
    size_t nx = 0;
    int bad = 0;
    if (x == NULL)
        return 0;
    for (size_t i = 0; i < w->n; i++) {
        const w1op *op = &w->ops[i];
        if (op->sync)
            continue;
        expect *c = find_expect(x, nx, op->entity, op->field);
        if (c == NULL) {
            c = &x[nx++];
            c->entity = op->entity;
            c->field = op->field;
        }
        if (op->phase == CONCURRENT_PHASE)
            c->apart[op->client] = op->value;
        else
            c->base = op->value;
    }
    *nconflicts_expected = 0;
    for (size_t i = 0; i < nx; i++)
        if (x[i].apart[0] && x[i].apart[1])
            (*nconflicts_expected)++;
    *nconflicts_seen = 0;

    if (!pcs_identical(e, "after P4"))
        complain(&bad, "A and B differ");
    cJSON *a = show_json(e->pc[0]);
    if (a == NULL) {
        free(x);
        return 0;
    }
    if ((size_t)cJSON_GetArraySize(a) != nx)
        complain(&bad, "A holds %d fields, the workload writes %zu", cJSON_GetArraySize(a), nx);
    const cJSON *fld;
    cJSON_ArrayForEach(fld, a)
    {
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(fld, "entity");
        const cJSON *fi = cJSON_GetObjectItemCaseSensitive(fld, "field");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(fld, "values");
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(fld, "conflict");
        if (!cJSON_IsString(en) || !cJSON_IsString(fi) || !cJSON_IsArray(vals)) {
            complain(&bad, "a field of show --json lacks entity, field or values");
            continue;
        }
        expect *c = find_expect(x, nx, en->valuestring, fi->valuestring);
        if (c == NULL) {
            complain(&bad, "%s %s was never written by the workload", en->valuestring,
                     fi->valuestring);
            continue;
        }
        int nv = cJSON_GetArraySize(vals);
        if (cJSON_IsTrue(conf))
            (*nconflicts_seen)++;
        if (c->apart[0] && c->apart[1]) {
            /* A conflict: both values, each by its writer. */
            int got[2] = {0, 0};
            const cJSON *v;
            cJSON_ArrayForEach(v, vals)
            {
                const cJSON *val = cJSON_GetObjectItemCaseSensitive(v, "value");
                const cJSON *au = cJSON_GetObjectItemCaseSensitive(v, "author");
                for (int k = 0; k < 2; k++)
                    if (cJSON_IsString(val) && strcmp(val->valuestring, c->apart[k]) == 0 &&
                        cJSON_IsString(au) && strcmp(au->valuestring, CLIENT_NAME[k]) == 0)
                        got[k] = 1;
            }
            if (!cJSON_IsTrue(conf) || nv != 2 || !got[0] || !got[1])
                complain(&bad,
                         "%s %s: expected a conflict of '%s' (A) and '%s' (B); got %d value(s)%s",
                         c->entity, c->field, c->apart[0], c->apart[1], nv,
                         cJSON_IsTrue(conf) ? ", in conflict" : "");
            continue;
        }
        const char *want = c->apart[1] ? c->apart[1] : c->apart[0] ? c->apart[0] : c->base;
        const cJSON *v0 = cJSON_GetArrayItem(vals, 0);
        const cJSON *val = v0 ? cJSON_GetObjectItemCaseSensitive(v0, "value") : NULL;
        if (nv != 1 || cJSON_IsTrue(conf) || !cJSON_IsString(val) ||
            strcmp(val->valuestring, want) != 0)
            complain(&bad, "%s %s: expected '%.60s'; got %d value(s), the first '%.60s'", c->entity,
                     c->field, want, nv, cJSON_IsString(val) ? val->valuestring : "(none)");
    }
    if (bad > MAX_SHOWN_ERRORS)
        fprintf(stderr, "bench_w1: end state: ... and %d more\n", bad - MAX_SHOWN_ERRORS);
    cJSON_Delete(a);
    free(x);
    return bad == 0 && *nconflicts_seen == *nconflicts_expected;
}

static void print_figures(const phase_fig *f)
{
    phase_fig t;
    memset(&t, 0, sizeof t);
    uint64_t tb = 0;
    int all = 1;
    printf("\nW1 on loopback through xaproxy: bytes counted on the proxy's sockets (requests and\n"
           "responses, HTTP headers included); requests = the syncs' own count; lower bound from\n"
           "docs/workload.md (values only, no headers); wall = the phase's processes, sets\n"
           "included\n\n");
    printf("%-5s %5s %8s %5s %9s %10s %11s %11s %8s %10s %10s\n", "phase", "syncs", "requests",
           "conns", "bytes up", "bytes down", "bytes total", "lower bound", "x bound", "sync ms",
           "wall ms");
    for (int p = 0; p < NPHASES; p++) {
        if (!f[p].ran) {
            printf("%-5s (not run)\n", PHASE_NAME[p]);
            all = 0;
            continue;
        }
        uint64_t b = f[p].up + f[p].down;
        printf("%-5s %5u %8llu %5" PRIu64 " %9" PRIu64 " %10" PRIu64 " %11" PRIu64 " %11" PRIu64
               " %8.2f %10.1f %10.1f\n",
               PHASE_NAME[p], f[p].syncs, f[p].requests, f[p].conns, f[p].up, f[p].down, b,
               LOWER_BOUND[p], (double)b / (double)LOWER_BOUND[p], f[p].sync_ms, f[p].wall_ms);
        t.syncs += f[p].syncs;
        t.requests += f[p].requests;
        t.conns += f[p].conns;
        t.up += f[p].up;
        t.down += f[p].down;
        t.sync_ms += f[p].sync_ms;
        t.wall_ms += f[p].wall_ms;
        tb += LOWER_BOUND[p];
    }
    uint64_t b = t.up + t.down;
    printf("%-5s %5u %8llu %5" PRIu64 " %9" PRIu64 " %10" PRIu64 " %11" PRIu64 " %11" PRIu64
           " %8.2f %10.1f %10.1f%s\n",
           "total", t.syncs, t.requests, t.conns, t.up, t.down, b, tb,
           tb ? (double)b / (double)tb : 0.0, t.sync_ms, t.wall_ms, all ? "" : "  (incomplete)");

    printf("\nthe same as the clients report it (libcurl's counts), and ops moved:\n");
    printf("%-5s %5s %9s %10s %11s %9s %9s %7s\n", "phase", "sets", "bytes up", "bytes down",
           "bytes total", "ops sent", "ops recv", "vs wire");
    for (int p = 0; p < NPHASES; p++) {
        if (!f[p].ran)
            continue;
        unsigned long long cb = f[p].cli_up + f[p].cli_down;
        long long diff = (long long)cb - (long long)(f[p].up + f[p].down);
        printf("%-5s %5u %9llu %10llu %11llu %9llu %9llu %+7lld\n", PHASE_NAME[p], f[p].sets,
               f[p].cli_up, f[p].cli_down, cb, f[p].ops_sent, f[p].ops_received, diff);
    }
    fflush(stdout);
}

/* W1.  0: ran and the check passed; 1: the check failed; -1: a failure. */
static int bench_w1(env *e, const w1 *w)
{
    phase_fig fig[NPHASES];
    char reply[256];
    int ret = -1, p3_ok = -1;
    memset(fig, 0, sizeof fig);

    if (env_setup(e) != 0)
        goto out;
    for (size_t i = 0; i < w->n;) {
        int p = w->ops[i].phase;
        phase_fig *f = &fig[p];
        if (proxy_cmd(e->control_port, "zero", reply, sizeof reply) != 0)
            goto out;
        double t0 = now_ms();
        for (; i < w->n && w->ops[i].phase == p; i++)
            if (run_op(e, &w->ops[i], f) != 0)
                goto out;
        f->wall_ms = now_ms() - t0;
        /* The clients have their answers, so the proxy has forwarded every
         * byte; should its counters lag behind its writes, ask again. */
        for (int tries = 0; tries < 20; tries++) {
            if (proxy_stats(e->control_port, &f->up, &f->down, &f->conns) != 0)
                goto out;
            if (f->up + f->down >= f->cli_up + f->cli_down)
                break;
            sleep_ms(10);
        }
        f->ran = 1;
        if (p == 2)
            p3_ok = pcs_identical(e, "after P3");
    }
    ret = 0;
out:
    print_figures(fig);
    if (ret == 0) {
        size_t ce = 0, cs = 0;
        int end_ok = check_end(e, w, &ce, &cs);
        if (p3_ok >= 0)
            printf("\ncheck after P3 (B holds A's state): %s\n", p3_ok ? "PASS" : "FAIL");
        printf("check end state (A = B; %zu shared cells in conflict with both values, %zu seen;"
               " no edit lost): %s\n",
               ce, cs, end_ok ? "PASS" : "FAIL");
        if (!end_ok || p3_ok == 0)
            ret = 1;
    } else {
        printf("\ncheck end state: FAIL (the replay did not finish)\n");
    }
    fflush(stdout);
    stop_checked(&e->proxy);
    stop_checked(&e->server);
    return ret;
}

/* ---- throughput ------------------------------------------------------------- */

/* Write TP_EDITS edits to a PC database through the store (in a child). */
static int tp_edits(const char *db, const char *scope, const w1 *w, int who)
{
    xa_store *st = NULL;
    char author[32];
    snprintf(author, sizeof author, "Cán bộ %02d", who + 1);
    if (xa_store_open(&st, db) != 0) {
        fprintf(stderr, "bench_w1: open %s: %s\n", db, xa_error_last());
        return -1;
    }
    size_t nsets = 0;
    for (size_t i = 0; i < w->n; i++)
        nsets += !w->ops[i].sync;
    if (nsets == 0) {
        fprintf(stderr, "bench_w1: the fixture has no edits to reuse\n");
        xa_store_close(st);
        return -1;
    }
    size_t j = 0;
    for (unsigned long k = 0; k < TP_EDITS; k++) {
        const w1op *op = NULL;
        for (size_t m = 0; m < w->n && op == NULL; m++, j++) /* the next set, cyclically */
            if (!w->ops[j % w->n].sync)
                op = &w->ops[j % w->n];
        if (op == NULL)
            break;
        char suffix[48], *text;
        int sn = snprintf(suffix, sizeof suffix, " (%lu)", k / nsets);
        size_t vl = strlen(op->value);
        text = malloc(vl + (size_t)sn + 1);
        if (text == NULL) {
            xa_store_close(st);
            return -1;
        }
        memcpy(text, op->value, vl);
        memcpy(text + vl, suffix, (size_t)sn + 1);
        cJSON *s = cJSON_CreateString(k < nsets ? op->value : text);
        char *json = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        free(text);
        int rc = json ? xa_store_set(st, scope, op->entity, op->field, json, author, 0, NULL) : -1;
        free(json);
        if (rc != 0) {
            fprintf(stderr, "bench_w1: %s edit %lu: %s\n", db, k, xa_error_last());
            xa_store_close(st);
            return -1;
        }
    }
    xa_store_close(st);
    return 0;
}

static int wait_all(pid_t *pids, int n, int *status)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (pids[i] <= 0) {
            status[i] = 255;
            bad++;
            continue;
        }
        int st = 0;
        pid_t w;
        do
            w = waitpid(pids[i], &st, 0);
        while (w < 0 && errno == EINTR);
        status[i] = w < 0 ? 255 : status_code(st);
        bad += status[i] != 0;
        pids[i] = 0;
    }
    return bad;
}

static int bench_throughput(const char *base, const w1 *w)
{
    char dir[PATH_BYTES], db[PATH_BYTES], pc[TP_COMMUNES][PATH_BYTES];
    char tok[TP_COMMUNES][PATH_BYTES], scope[TP_COMMUNES][16], outp[TP_COMMUNES][PATH_BYTES];
    const char *scopes[TP_COMMUNES];
    pid_t pids[TP_COMMUNES];
    int status[TP_COMMUNES], gate[2] = {-1, -1}, port = 0, ret = -1;
    bgproc server;
    memset(&server, 0, sizeof server);
    memset(pids, 0, sizeof pids);

    if (join(dir, base, "throughput") != 0 || mkdir(dir, 0700) != 0 ||
        join(db, dir, "district.db") != 0) {
        fprintf(stderr, "bench_w1: cannot make %s/throughput\n", base);
        return -1;
    }
    for (int i = 0; i < TP_COMMUNES; i++) {
        char f[64];
        snprintf(scope[i], sizeof scope[i], "xa-%02d", i + 1);
        scopes[i] = scope[i];
        snprintf(f, sizeof f, "%s.token", scope[i]);
        if (join(tok[i], dir, f) != 0)
            return -1;
        snprintf(f, sizeof f, "%s.db", scope[i]);
        if (join(pc[i], dir, f) != 0)
            return -1;
        snprintf(f, sizeof f, "%s.sync.out", scope[i]);
        if (join(outp[i], dir, f) != 0)
            return -1;
    }
    if (make_district(db, scopes, TP_COMMUNES, dir) != 0 ||
        start_server(&server, dir, db, "tp", &port) != 0)
        goto out;
    for (int i = 0; i < TP_COMMUNES; i++)
        if (make_pc(pc[i], scope[i], port, tok[i]) != 0)
            goto out;

    /* The edits, one child per PC, in parallel. */
    double t0 = now_ms();
    for (int i = 0; i < TP_COMMUNES; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            _exit(tp_edits(pc[i], scope[i], w, i) == 0 ? 0 : 1);
        if (pids[i] < 0)
            fprintf(stderr, "bench_w1: fork: %s\n", strerror(errno));
    }
    if (wait_all(pids, TP_COMMUNES, status) != 0) {
        fprintf(stderr, "bench_w1: writing the edits failed\n");
        goto out;
    }
    printf("\nthroughput: %d PCs x %d edits written through the store in %.1f s\n", TP_COMMUNES,
           TP_EDITS, (now_ms() - t0) / 1e3);
    fflush(stdout);

    /* The syncs: forked, held at a gate, let go at once. */
    if (cloexec_pipe(gate) != 0) {
        fprintf(stderr, "bench_w1: pipe: %s\n", strerror(errno));
        goto out;
    }
    for (int i = 0; i < TP_COMMUNES; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            fprintf(stderr, "bench_w1: fork: %s\n", strerror(errno));
            continue;
        }
        if (pids[i] == 0) {
            char b;
            close(gate[1]);
            int fo = open(outp[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fo < 0)
                _exit(126);
            dup2(fo, STDOUT_FILENO);
            dup2(fo, STDERR_FILENO);
            close(fo);
            while (read(gate[0], &b, 1) < 0 && errno == EINTR)
                ;
            char *argv[] = {(char *)XA_BIN, (char *)"--db", pc[i], (char *)"sync", NULL};
            execve(XA_BIN, argv, environ);
            _exit(127);
        }
    }
    close(gate[0]);
    gate[0] = -1;
    sleep_ms(200); /* let every child reach the gate */
    double g = now_ms();
    close(gate[1]);
    gate[1] = -1;
    int failed = wait_all(pids, TP_COMMUNES, status);
    double secs = (now_ms() - g) / 1e3;

    unsigned long long ops = 0, requests = 0, up = 0, down = 0;
    for (int i = 0; i < TP_COMMUNES; i++) {
        char *o = read_file(outp[i], 65536, NULL);
        syncrep s;
        if (status[i] != 0 || o == NULL || parse_synced(o, &s) != 0) {
            fprintf(stderr, "bench_w1: sync of %s failed (exit %d): %s", scope[i], status[i],
                    o && o[0] ? o : "(no message)\n");
            failed += status[i] == 0;
        } else {
            ops += s.sent;
            requests += s.requests;
            up += s.up;
            down += s.down;
        }
        free(o);
    }
    printf("throughput: %d communes syncing at once: %llu ops sent in %llu requests"
           " (%llu bytes up, %llu down), %.3f s from the start to the last finish\n",
           TP_COMMUNES, ops, requests, up, down, secs);
    printf("server throughput: %.0f ops applied per second (%d / %.3f s)%s\n",
           (double)(TP_COMMUNES * TP_EDITS) / secs, TP_COMMUNES * TP_EDITS, secs,
           failed ? "  (some syncs FAILED)" : "");
    if (ops != (unsigned long long)TP_COMMUNES * TP_EDITS)
        printf("throughput: warning: the syncs sent %llu ops, not %d\n", ops,
               TP_COMMUNES * TP_EDITS);
    fflush(stdout);
    ret = failed ? -1 : 0;
out:
    for (int i = 0; i < 2; i++)
        if (gate[i] >= 0)
            close(gate[i]);
    wait_all(pids, TP_COMMUNES, status); /* none left running, normally */
    stop_checked(&server);
    return ret;
}

/* ---- main ------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: bench_w1 [FIXTURE] [--keep]\n"
                    "  FIXTURE  w1-ops.jsonl (default " DEFAULT_FIXTURE ")\n"
                    "  --keep   keep the temporary folder\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *fixture = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else if (strncmp(argv[i], "--", 2) == 0 || fixture != NULL)
            return usage();
        else
            fixture = argv[i];
    }
    if (fixture == NULL)
        fixture = DEFAULT_FIXTURE;

    w1 w;
    if (w1_load(fixture, &w) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);

    env e;
    memset(&e, 0, sizeof e);
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if (join(e.dir, base, "xa-bench-w1-XXXXXX") != 0 || mkdtemp(e.dir) == NULL) {
        fprintf(stderr, "bench_w1: mkdtemp %s: %s\n", e.dir, strerror(errno));
        w1_free(&w);
        return 1;
    }

    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    printf("machine: nproc %ld\n", nproc);
    printf("fixture: %s (%zu ops)\n", fixture, w.n);
    fflush(stdout);

    int rw = bench_w1(&e, &w);
    int rt = bench_throughput(e.dir, &w);

    if (keep)
        printf("\nfiles kept in %s\n", e.dir);
    else
        remove_tree(e.dir, 2);
    w1_free(&w);
    return rw == 0 && rt == 0 ? 0 : 1;
}
