/*
 * bench_link: how long a backlog of edits takes to reach the district server
 * over a commune's slow link, and what it puts on the wire, sent in batches,
 * one edit per request, and through the daemon.  Prints figures; never passes
 * or fails on time.  It exits 1 when something it runs fails or when the
 * district does not end up holding every edit (the figures are printed all
 * the same).
 *
 *   bench_link [--keep]
 *
 * --keep leaves the temporary folder (databases, logs) in place.
 *
 * The link: xaproxy (the tests' proxy) in front of the real `xasync-district
 * serve` on 127.0.0.1, set to `bandwidth 4000` (32 kbit/s each way) and
 * `latency 600` (every chunk held 600 ms each way).  The backlog: 200 edits
 * by one clerk, 50 indicator rows (ind/01 .. ind/50) x 4 fields: `name` and
 * `note` are Vietnamese text of about 60 bytes, `plan` and `est` figures
 * written the Vietnamese way ("1.460", "636,4").  Each case has its own
 * commune (scope) on the one server, and a fresh PC database holding the 200
 * edits (made with `xasync set`) before its first byte goes out:
 *
 *   a      one `xasync sync` (the client's own batches);
 *   a/50   one `xasync sync --batch-ops 50`;
 *   b/1    one `xasync sync --batch-ops 1`: one edit a request, one
 *          kept-alive connection;
 *   b/200  200 `xasync sync`, one after each edit: one edit a request, a
 *          process and a connection each (the edits are made between the
 *          syncs; only the syncs are timed);
 *   c      `xasync daemon --pull-interval 3600` started with the backlog
 *          waiting; timed from its start to the first `xasync status --json`
 *          that says "pending": 0 (polled every STATUS_POLL_MS, off the link).
 *
 * For each case:
 *   time      a, a/50, b/1: the sync process, fork to exit; b/200: the sum of
 *             the 200; c: as above;
 *   bytes     the proxy's counters (`zero` before the case, `stats` after):
 *             every byte of every request and response, headers included;
 *   requests  the sum of R over the syncs ("..., R requests"), for c over the
 *             daemon's "sync ok" log lines;
 *   conns     TCP connections the proxy accepted;
 *   x a       the case's time and total bytes over those of case a.
 * The proxy accepts a connection on loopback at once: a new connection costs
 * no round trip here, where a real 600 ms link costs it one (and TLS more).
 *
 * The check: for each case, a fresh PC of its commune syncs straight with the
 * server (no proxy) and must show the 200 cells, each holding the value
 * written, one value, no conflict.
 *
 * Every process started here is stopped by its PID and reaped; every wait is
 * bounded.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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

#define PATH_BYTES 4096
#define VALUE_BYTES 256
#define MAX_OUTPUT (16u * 1024 * 1024) /* captured output of one process */
#define RUN_TIMEOUT_MS 900000.0        /* one xasync process (b/1 takes minutes) */
#define START_TIMEOUT_MS 10000.0       /* a server or the proxy printing its port */
#define STOP_TIMEOUT_MS 10000.0        /* SIGTERM, then SIGKILL */
#define DAEMON_TIMEOUT_MS 600000.0     /* case c: pending 0 */
#define DAEMON_LOG_TIMEOUT_MS 10000.0  /* case c: its log line after pending 0 */
#define STATUS_POLL_MS 100
#define LINK_BPS "4000"
#define LINK_LATENCY_MS "600"
#define NROWS 50
#define NFIELDS 4
#define NEDITS (NROWS * NFIELDS)
#define AUTHOR "Nguyễn Thị Hằng"

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
        fprintf(stderr, "bench_link: path too long: %s/%s\n", dir, name);
        return -1;
    }
    return 0;
}

/* Read a whole small file (at most `max` bytes), NUL-terminated; NULL if
 * missing or unreadable.  The caller frees it. */
static char *read_file(const char *path, size_t max)
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
    return buf;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "bench_link: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_link: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Remove the temporary folder: its files (it has no sub-folders). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        const struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[PATH_BYTES];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (join(p, dir, e->d_name) == 0 && unlink(p) != 0)
                fprintf(stderr, "bench_link: cannot remove %s: %s\n", p, strerror(errno));
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_link: cannot remove %s: %s\n", dir, strerror(errno));
}

/* ---- the backlog ------------------------------------------------------------ */

static const char *const FIELDS[NFIELDS] = {"name", "plan", "est", "note"};

/* Indicator names and notes as a commune's report words them. */
static const char *const NAMES[] = {
    "Tổng diện tích gieo trồng cây hằng năm",   "Sản lượng lương thực có hạt bình quân",
    "Tỷ lệ hộ gia đình đạt danh hiệu văn hóa",  "Số lao động được giải quyết việc làm mới",
    "Tỷ lệ người dân tham gia bảo hiểm y tế",   "Thu ngân sách nhà nước trên địa bàn",
    "Tỷ lệ hộ nghèo theo chuẩn đa chiều",       "Diện tích nuôi trồng thủy sản tập trung",
    "Đường giao thông nông thôn được cứng hóa", "Tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng",
};
static const char *const NOTES[] = {
    "Đạt kế hoạch năm, tăng so với cùng kỳ năm trước",
    "Ước thực hiện đến hết tháng 6, đánh giá vào cuối năm",
    "Giảm do thời tiết bất lợi và dịch bệnh trên cây lúa",
    "Số liệu của Chi cục Thống kê, chưa được thẩm định",
    "Vượt chỉ tiêu Nghị quyết Hội đồng nhân dân xã giao",
    "Chưa đạt, cần tập trung chỉ đạo trong 6 tháng cuối năm",
    "Theo báo cáo của các thôn, tổ dân phố đến ngày 15/6",
};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])
#define NNOTES (sizeof NOTES / sizeof NOTES[0])

/* A figure the Vietnamese way: '.' between thousands, ',' before the
 * decimals ("1.460", "10.623,7").  `tenths` is the value times 10; with
 * `decimal` 0 only the integer part is written. */
static void figure(char *out, size_t cap, unsigned long tenths, int decimal)
{
    unsigned long whole = tenths / 10;
    if (whole >= 1000)
        snprintf(out, cap, "%lu.%03lu", whole / 1000, whole % 1000);
    else
        snprintf(out, cap, "%lu", whole);
    if (decimal) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, ",%lu", tenths % 10);
    }
}

/* Edit k (0 .. NEDITS-1): row k / NFIELDS, field k % NFIELDS.  The same
 * backlog for every case. */
static void edit_of(int k, char *entity, size_t ecap, char *value, size_t vcap)
{
    int row = k / NFIELDS, field = k % NFIELDS;
    unsigned long h = (unsigned long)(row + 1) * 2654435761UL % 1000003UL;
    snprintf(entity, ecap, "ind/%02d", row + 1);
    switch (field) {
    case 0:
        snprintf(value, vcap, "%s, thôn %d", NAMES[row % NNAMES], row / (int)NNAMES + 1);
        break;
    case 1:
        figure(value, vcap, 10 * (h % 20000 + 100), 0);
        break;
    case 2:
        figure(value, vcap, h % 99999 + 10, 1);
        break;
    default:
        snprintf(value, vcap, "%s", NOTES[row % NNOTES]);
        break;
    }
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

/* Append what fd has to *buf; 0 at EOF, 1 if more may come, -1 on error or
 * past MAX_OUTPUT. */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
    char chunk[16384];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : -1;
    if (n == 0)
        return 0;
    if (*len + (size_t)n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 16384;
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

/* Run argv (argv[0] is the program), collecting stdout and stderr into r
 * (the caller frees them with run_free).  Kills it by its PID if it runs past
 * RUN_TIMEOUT_MS.  -1 if it could not run. */
static int run_cmd(char *const argv[], run *r)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    size_t ocap = 1, ecap = 1;
    memset(r, 0, sizeof *r);
    r->out = calloc(1, 1);
    r->err = calloc(1, 1);
    if (r->out == NULL || r->err == NULL || cloexec_pipe(po) != 0 || cloexec_pipe(pe) != 0) {
        fprintf(stderr, "bench_link: cannot make pipes: %s\n", strerror(errno));
        goto fail;
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_link: fork: %s\n", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        dup2(po[1], STDOUT_FILENO);
        dup2(pe[1], STDERR_FILENO);
        execve(argv[0], argv, environ);
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
            fprintf(stderr, "bench_link: %s ran past %.0f s; killing PID %ld\n", argv[0],
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

/* Run and require exit 0; the message names the command.  On failure r is
 * already freed. */
static int run_ok(char *const argv[], run *r, const char *what)
{
    if (run_cmd(argv, r) != 0)
        return -1;
    if (r->status != 0) {
        fprintf(stderr, "bench_link: %s failed (exit %d): %s", what, r->status,
                r->err[0] ? r->err : "(no message)\n");
        run_free(r);
        return -1;
    }
    return 0;
}

/* A long-running process (the server, the proxy, the daemon): stdout and
 * stderr go to files; it is stopped by its PID. */
typedef struct bgproc {
    pid_t pid; /* 0: not running */
    char out[PATH_BYTES], err[PATH_BYTES];
    const char *name;
} bgproc;

static int bg_spawn(bgproc *d, char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_link: fork: %s\n", strerror(errno));
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
    return 0;
}

/* 1 if it has exited (reaped; *status set), 0 if it runs. */
static int bg_exited(bgproc *d, int *status)
{
    int st = 0;
    if (d->pid <= 0 || waitpid(d->pid, &st, WNOHANG) != d->pid)
        return 0;
    *status = status_code(st);
    d->pid = 0;
    return 1;
}

/* Start it and wait for the first line of its stdout starting with
 * "listening on "; that line (without newline) goes to `line`. */
static int bg_start(bgproc *d, char *const argv[], char *line, size_t cap)
{
    if (bg_spawn(d, argv) != 0)
        return -1;
    double deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int status = 0;
        if (bg_exited(d, &status)) {
            char *e = read_file(d->err, 4096);
            fprintf(stderr, "bench_link: %s exited (status %d) before it listened: %s\n", d->name,
                    status, e && e[0] ? e : "(no message)\n");
            free(e);
            return -1;
        }
        char *o = read_file(d->out, 4096);
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
    fprintf(stderr, "bench_link: %s did not print its port within %.0f s\n", d->name,
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
        fprintf(stderr, "bench_link: %s (PID %ld) ignored SIGTERM; killing it\n", d->name,
                (long)d->pid);
        kill(d->pid, SIGKILL);
        do
            w = waitpid(d->pid, &status, 0);
        while (w < 0 && errno == EINTR);
    }
    d->pid = 0;
    return w < 0 ? -1 : status_code(status);
}

/* Stop it; 0 if it exited cleanly (0, or by the SIGTERM it was sent). */
static int stop_checked(bgproc *d)
{
    if (d->pid <= 0)
        return 0;
    int st = bg_stop(d);
    if (st != 0 && st != 128 + SIGTERM) {
        fprintf(stderr, "bench_link: %s exited with status %d; see %s\n", d->name, st, d->err);
        return -1;
    }
    return 0;
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

/* ---- the proxy's control port (tests/support/proxy_ctl.h) ------------------- */

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
        fprintf(stderr, "bench_link: proxy control %s: %s\n", cmd, strerror(errno));
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
    fprintf(stderr, "bench_link: proxy control %s: answered '%s'\n", cmd, reply);
    return -1;
}

static int proxy_stats(int port, uint64_t *up, uint64_t *down, uint64_t *conns)
{
    char reply[256];
    if (proxy_cmd(port, "stats", reply, sizeof reply) != 0)
        return -1;
    if (sscanf(reply, "stats up %" SCNu64 " down %" SCNu64 " conns %" SCNu64, up, down, conns) !=
        3) {
        fprintf(stderr, "bench_link: proxy stats: cannot read '%s'\n", reply);
        return -1;
    }
    return 0;
}

/* ---- the setting ------------------------------------------------------------ */

enum { K_SYNC, K_PER_EDIT, K_DAEMON };

typedef struct kase {
    const char *name;  /* as printed */
    const char *scope; /* its commune */
    int kind;
    const char *batch; /* --batch-ops, or NULL */
    const char *what;
} kase;

/* Scopes of one length: the scope is in every request's path and body. */
static const kase CASES[] = {
    {"a", "link-1", K_SYNC, NULL, "one sync, the client's batches"},
    {"a/50", "link-2", K_SYNC, "50", "one sync, --batch-ops 50"},
    {"b/1", "link-3", K_SYNC, "1", "one sync, --batch-ops 1 (one connection)"},
    {"b/200", "link-4", K_PER_EDIT, NULL, "200 syncs, one after each edit"},
    {"c", "link-5", K_DAEMON, NULL, "daemon --pull-interval 3600 until pending 0"},
};
#define NCASES (sizeof CASES / sizeof CASES[0])

typedef struct fig {
    int ran;
    double ms;                   /* see the header */
    uint64_t up, down, conns;    /* the proxy's counters */
    unsigned long long requests; /* the clients' own count */
    unsigned long long cli_up, cli_down, sent;
    unsigned syncs;
} fig;

typedef struct env {
    char dir[PATH_BYTES];
    char district_db[PATH_BYTES];
    bgproc server, proxy;
    int server_port, proxy_port, control_port;
} env;

/* The district database with one commune a case; each token in a file
 * SCOPE.token. */
static int make_district(env *e)
{
    run r;
    char *init[] = {(char *)XA_DISTRICT_BIN, (char *)"--db", e->district_db, (char *)"init", NULL};
    if (run_ok(init, &r, "xasync-district init") != 0)
        return -1;
    run_free(&r);
    for (size_t i = 0; i < NCASES; i++) {
        char name[96], tok[PATH_BYTES], file[80];
        snprintf(name, sizeof name, "Xã %s", CASES[i].scope);
        snprintf(file, sizeof file, "%s.token", CASES[i].scope);
        char *add[] = {(char *)XA_DISTRICT_BIN, (char *)"--db", e->district_db,
                       (char *)"commune",       (char *)"add",  (char *)CASES[i].scope,
                       (char *)"--name",        name,           NULL};
        if (join(tok, e->dir, file) != 0 || run_ok(add, &r, "xasync-district commune add") != 0)
            return -1;
        int ok = write_file(tok, r.out, r.outlen);
        run_free(&r);
        if (ok != 0)
            return -1;
    }
    return 0;
}

/* A PC database `file` (in the folder) for `scope` whose remote is
 * 127.0.0.1:port; its path into db. */
static int make_pc(env *e, char *db, const char *file, const char *scope, int port)
{
    run r;
    char url[64], tf[80], tok[PATH_BYTES];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    snprintf(tf, sizeof tf, "%s.token", scope);
    if (join(db, e->dir, file) != 0 || join(tok, e->dir, tf) != 0)
        return -1;
    char *init[] = {(char *)XA_BIN,    (char *)"--db", db,  (char *)"init",
                    (char *)"--scope", (char *)scope,  NULL};
    if (run_ok(init, &r, "xasync init") != 0)
        return -1;
    run_free(&r);
    char *remote[] = {(char *)XA_BIN,
                      (char *)"--db",
                      db,
                      (char *)"remote",
                      (char *)"set",
                      url,
                      (char *)"--token-file",
                      tok,
                      NULL};
    if (run_ok(remote, &r, "xasync remote set") != 0)
        return -1;
    run_free(&r);
    return 0;
}

static int env_setup(env *e)
{
    char to[32], line[512], reply[256];
    if (join(e->district_db, e->dir, "district.db") != 0 || make_district(e) != 0)
        return -1;

    e->server.name = "xasync-district serve";
    if (join(e->server.out, e->dir, "server.out") != 0 ||
        join(e->server.err, e->dir, "server.err") != 0)
        return -1;
    char *sargv[] = {(char *)XA_DISTRICT_BIN,
                     (char *)"--db",
                     e->district_db,
                     (char *)"serve",
                     (char *)"--listen",
                     (char *)"127.0.0.1:0",
                     NULL};
    if (bg_start(&e->server, sargv, line, sizeof line) != 0)
        return -1;
    e->server_port = port_at(line + 13);
    if (e->server_port < 0) {
        fprintf(stderr, "bench_link: cannot read the server's port in '%s'\n", line);
        return -1;
    }

    e->proxy.name = "xaproxy";
    if (join(e->proxy.out, e->dir, "proxy.out") != 0 ||
        join(e->proxy.err, e->dir, "proxy.err") != 0)
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
        fprintf(stderr, "bench_link: cannot read the proxy's ports in '%s'\n", line);
        return -1;
    }
    if (proxy_cmd(e->control_port, "pass", reply, sizeof reply) != 0 ||
        proxy_cmd(e->control_port, "bandwidth " LINK_BPS, reply, sizeof reply) != 0 ||
        proxy_cmd(e->control_port, "latency " LINK_LATENCY_MS, reply, sizeof reply) != 0)
        return -1;
    return 0;
}

/* `xasync set` of edit k on db. */
static int set_edit(const char *db, int k)
{
    run r;
    char entity[32], value[VALUE_BYTES];
    edit_of(k, entity, sizeof entity, value, sizeof value);
    char *argv[] = {(char *)XA_BIN,
                    (char *)"--db",
                    (char *)db,
                    (char *)"set",
                    (char *)"--author",
                    (char *)AUTHOR,
                    (char *)"--",
                    entity,
                    (char *)FIELDS[k % NFIELDS],
                    value,
                    NULL};
    if (run_ok(argv, &r, "xasync set") != 0)
        return -1;
    run_free(&r);
    return 0;
}

/* ---- the sync report and the daemon's log ---------------------------------- */

typedef struct syncrep {
    unsigned long long sent, received, up, down, requests;
} syncrep;

static int parse_synced(const char *out, syncrep *s)
{
    const char *p = out ? strstr(out, "synced: ") : NULL;
    if (p == NULL ||
        sscanf(p, "synced: sent %llu ops, received %llu ops; %llu bytes up, %llu bytes down, %llu",
               &s->sent, &s->received, &s->up, &s->down, &s->requests) != 5) {
        fprintf(stderr, "bench_link: cannot read the sync's report: '%.200s'\n", out ? out : "");
        return -1;
    }
    return 0;
}

/* Sum the daemon's "sync ok: ..." lines into f; the number of lines. */
static int parse_daemon_log(const char *log, fig *f)
{
    int n = 0;
    f->sent = f->requests = f->cli_up = f->cli_down = 0;
    for (const char *p = log; p != NULL && (p = strstr(p, "sync ok: ")) != NULL; p += 9) {
        unsigned long long sent, recv, up, down, req;
        if (sscanf(p, "sync ok: sent %llu ops, received %llu; %llu bytes up, %llu down, %llu",
                   &sent, &recv, &up, &down, &req) != 5)
            continue;
        f->sent += sent;
        f->requests += req;
        f->cli_up += up;
        f->cli_down += down;
        n++;
    }
    return n;
}

/* `xasync status --json`'s "pending"; -1 if it could not be read. */
static long long status_pending(const char *db, char *last_error, size_t cap)
{
    run r;
    long long pending = -1;
    char *argv[] = {(char *)XA_BIN,   (char *)"--db",   (char *)db,
                    (char *)"status", (char *)"--json", NULL};
    if (run_cmd(argv, &r) != 0)
        return -1;
    cJSON *j = r.status == 0 ? cJSON_Parse(r.out) : NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pending");
    const cJSON *le = cJSON_GetObjectItemCaseSensitive(j, "last_error");
    if (cJSON_IsNumber(p))
        pending = (long long)p->valuedouble;
    if (cJSON_IsString(le))
        snprintf(last_error, cap, "%s", le->valuestring);
    cJSON_Delete(j);
    run_free(&r);
    return pending;
}

/* ---- the cases -------------------------------------------------------------- */

/* One `xasync sync [--batch-ops N]`; adds to f. */
static int one_sync(const char *db, const char *batch, fig *f)
{
    run r;
    syncrep s;
    /* Without a batch size the list ends at the NULL in its place. */
    char *argv[] = {(char *)XA_BIN,
                    (char *)"--db",
                    (char *)db,
                    (char *)"sync",
                    batch ? (char *)"--batch-ops" : NULL,
                    (char *)batch,
                    NULL};
    if (run_cmd(argv, &r) != 0)
        return -1;
    if (r.status != 0 || parse_synced(r.out, &s) != 0) {
        fprintf(stderr, "bench_link: sync of %s failed (exit %d): %s", db, r.status,
                r.err[0] ? r.err : "(no message)\n");
        run_free(&r);
        return -1;
    }
    f->ms += r.ms;
    f->syncs++;
    f->sent += s.sent;
    f->requests += s.requests;
    f->cli_up += s.up;
    f->cli_down += s.down;
    run_free(&r);
    return 0;
}

/* Case c: the daemon, from its start to pending 0. */
static int daemon_case(env *e, const kase *c, const char *db, fig *f)
{
    bgproc d;
    char last_error[512] = "";
    int ret = -1, status = 0;
    memset(&d, 0, sizeof d);
    d.name = "xasync daemon";
    if (join(d.out, e->dir, "daemon.out") != 0 || join(d.err, e->dir, "daemon.err") != 0)
        return -1;
    char *argv[] = {(char *)XA_BIN,
                    (char *)"--db",
                    (char *)db,
                    (char *)"daemon",
                    (char *)"--pull-interval",
                    (char *)"3600",
                    NULL};
    double t0 = now_ms(), deadline = t0 + DAEMON_TIMEOUT_MS;
    if (bg_spawn(&d, argv) != 0)
        return -1;
    long long pending = -1;
    while (now_ms() < deadline) {
        if (bg_exited(&d, &status)) {
            fprintf(stderr, "bench_link: case %s: the daemon exited (status %d); see %s\n", c->name,
                    status, d.err);
            goto out;
        }
        pending = status_pending(db, last_error, sizeof last_error);
        if (pending == 0)
            break;
        sleep_ms(STATUS_POLL_MS);
    }
    f->ms = now_ms() - t0;
    if (pending != 0) {
        fprintf(stderr, "bench_link: case %s: %lld changes still waiting after %.0f s%s%s\n",
                c->name, pending, DAEMON_TIMEOUT_MS / 1e3, last_error[0] ? "; last error: " : "",
                last_error);
        goto out;
    }
    /* Pending is 0 once the acknowledgement is saved; the log line follows
     * when the attempt returns. */
    for (double until = now_ms() + DAEMON_LOG_TIMEOUT_MS; now_ms() < until; sleep_ms(20)) {
        char *log = read_file(d.err, MAX_OUTPUT);
        parse_daemon_log(log, f);
        free(log);
        if (f->sent >= NEDITS)
            break;
    }
    if (f->sent < NEDITS)
        fprintf(stderr, "bench_link: case %s: the daemon's log tells of %llu ops sent, not %d\n",
                c->name, f->sent, NEDITS);
    ret = 0;
out:
    if (stop_checked(&d) != 0)
        ret = -1;
    {
        char *log = read_file(d.err, MAX_OUTPUT);
        f->syncs = (unsigned)parse_daemon_log(log, f);
        free(log);
    }
    return ret;
}

/* Run one case on a fresh PC of its commune. */
static int run_case(env *e, const kase *c, fig *f)
{
    char db[PATH_BYTES], file[80], reply[256];
    memset(f, 0, sizeof *f);
    snprintf(file, sizeof file, "pc-%s.db", c->scope);
    if (make_pc(e, db, file, c->scope, e->proxy_port) != 0)
        return -1;
    if (c->kind != K_PER_EDIT)
        for (int k = 0; k < NEDITS; k++)
            if (set_edit(db, k) != 0)
                return -1;
    if (proxy_cmd(e->control_port, "zero", reply, sizeof reply) != 0)
        return -1;

    int rc = 0;
    if (c->kind == K_SYNC) {
        rc = one_sync(db, c->batch, f);
    } else if (c->kind == K_PER_EDIT) {
        for (int k = 0; rc == 0 && k < NEDITS; k++) {
            rc = set_edit(db, k);
            if (rc == 0)
                rc = one_sync(db, NULL, f);
        }
    } else {
        rc = daemon_case(e, c, db, f);
    }
    if (rc != 0)
        return -1;
    /* The clients have their answers, so the proxy has forwarded every byte;
     * should its counters lag behind its writes, ask again. */
    for (int tries = 0; tries < 20; tries++) {
        if (proxy_stats(e->control_port, &f->up, &f->down, &f->conns) != 0)
            return -1;
        if (f->up + f->down >= f->cli_up + f->cli_down)
            break;
        sleep_ms(10);
    }
    if (f->sent != NEDITS)
        fprintf(stderr, "bench_link: case %s: %llu ops sent, not %d\n", c->name, f->sent, NEDITS);
    f->ran = 1;
    return 0;
}

/* A fresh PC of c's commune, synced straight with the server, shows the 200
 * cells with the values written.  1: it does. */
static int check_case(env *e, const kase *c)
{
    char db[PATH_BYTES], file[80];
    run r;
    int bad = 0, seen = 0;
    snprintf(file, sizeof file, "check-%s.db", c->scope);
    if (make_pc(e, db, file, c->scope, e->server_port) != 0)
        return 0;
    char *sync[] = {(char *)XA_BIN, (char *)"--db", db, (char *)"sync", NULL};
    if (run_ok(sync, &r, "xasync sync (check)") != 0)
        return 0;
    run_free(&r);
    char *show[] = {(char *)XA_BIN, (char *)"--db", db, (char *)"show", (char *)"--json", NULL};
    if (run_ok(show, &r, "xasync show --json") != 0)
        return 0;
    cJSON *a = cJSON_Parse(r.out);
    run_free(&r);
    for (int k = 0; a != NULL && k < NEDITS; k++) {
        char entity[32], want[VALUE_BYTES];
        const cJSON *fld, *hit = NULL;
        edit_of(k, entity, sizeof entity, want, sizeof want);
        cJSON_ArrayForEach(fld, a)
        {
            const cJSON *en = cJSON_GetObjectItemCaseSensitive(fld, "entity");
            const cJSON *fi = cJSON_GetObjectItemCaseSensitive(fld, "field");
            if (cJSON_IsString(en) && cJSON_IsString(fi) && strcmp(en->valuestring, entity) == 0 &&
                strcmp(fi->valuestring, FIELDS[k % NFIELDS]) == 0)
                hit = fld;
        }
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(hit, "values");
        const cJSON *v0 = cJSON_GetArrayItem(vals, 0);
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(v0, "value");
        const cJSON *conf = cJSON_GetObjectItemCaseSensitive(hit, "conflict");
        seen += hit != NULL;
        if (hit == NULL || cJSON_GetArraySize(vals) != 1 || cJSON_IsTrue(conf) ||
            !cJSON_IsString(val) || strcmp(val->valuestring, want) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "bench_link: check %s: %s %s: expected '%s', got '%s'\n", c->name,
                        entity, FIELDS[k % NFIELDS], want,
                        cJSON_IsString(val) ? val->valuestring : "(none)");
        }
    }
    int n = a ? cJSON_GetArraySize(a) : -1;
    cJSON_Delete(a);
    if (n != NEDITS || bad)
        fprintf(stderr, "bench_link: check %s: %d fields (%d of the backlog), %d wrong\n", c->name,
                n, seen, bad);
    return n == NEDITS && bad == 0;
}

static void print_figures(const fig *f)
{
    printf("\n%-6s %9s %9s %10s %8s %5s %8s %8s  %s\n", "case", "time s", "bytes up", "bytes down",
           "requests", "conns", "x a time", "x a bytes", "how");
    for (size_t i = 0; i < NCASES; i++) {
        if (!f[i].ran) {
            printf("%-6s (not run)\n", CASES[i].name);
            continue;
        }
        double tr = f[0].ran && f[0].ms > 0 ? f[i].ms / f[0].ms : 0;
        double br = f[0].ran && f[0].up + f[0].down > 0
                        ? (double)(f[i].up + f[i].down) / (double)(f[0].up + f[0].down)
                        : 0;
        printf("%-6s %9.2f %9" PRIu64 " %10" PRIu64 " %8llu %5" PRIu64 " %8.2f %9.2f  %s\n",
               CASES[i].name, f[i].ms / 1e3, f[i].up, f[i].down, f[i].requests, f[i].conns, tr, br,
               CASES[i].what);
    }
    fflush(stdout);
}

/* ---- main ------------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: bench_link [--keep]\n"
                    "  --keep   keep the temporary folder\n");
    return 2;
}

int main(int argc, char **argv)
{
    int keep = 0, ret = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else
            return usage();
    }
    signal(SIGPIPE, SIG_IGN);

    env e;
    fig f[NCASES];
    memset(&e, 0, sizeof e);
    memset(f, 0, sizeof f);
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if (join(e.dir, base, "xa-bench-link-XXXXXX") != 0 || mkdtemp(e.dir) == NULL) {
        fprintf(stderr, "bench_link: mkdtemp %s: %s\n", e.dir, strerror(errno));
        return 1;
    }

    size_t vbytes = 0, tbytes = 0;
    for (int k = 0; k < NEDITS; k++) {
        char entity[32], value[VALUE_BYTES];
        edit_of(k, entity, sizeof entity, value, sizeof value);
        vbytes += strlen(value);
        if (k % NFIELDS == 0 || k % NFIELDS == 3)
            tbytes += strlen(value);
    }
    printf("machine: nproc %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("link: xaproxy, bandwidth %s B/s each way, latency %s ms each way\n", LINK_BPS,
           LINK_LATENCY_MS);
    printf("backlog: %d edits (%d rows x %d fields), values %zu bytes in all, text fields %.1f"
           " bytes on average\n",
           NEDITS, NROWS, NFIELDS, vbytes, (double)tbytes / (2.0 * NROWS));
    fflush(stdout);

    int failed = 0;
    if (env_setup(&e) != 0) {
        failed = 1;
        goto out;
    }
    for (size_t i = 0; i < NCASES; i++) {
        printf("case %s: %s ...\n", CASES[i].name, CASES[i].what);
        fflush(stdout);
        if (run_case(&e, &CASES[i], &f[i]) != 0)
            failed = 1;
    }
    print_figures(f);
    printf("\nbytes: the proxy's counters, HTTP headers included; time: see bench_link.c's"
           " header\n(a new connection costs no round trip through the proxy)\n");
    int checked = 1;
    for (size_t i = 0; i < NCASES; i++)
        if (f[i].ran && !check_case(&e, &CASES[i]))
            checked = 0;
    printf("check (a fresh PC of each commune holds the %d edits): %s\n", NEDITS,
           checked && !failed ? "PASS" : "FAIL");
    ret = checked && !failed ? 0 : 1;
out:
    if (stop_checked(&e.proxy) != 0 || stop_checked(&e.server) != 0)
        ret = 1;
    if (keep)
        printf("\nfiles kept in %s\n", e.dir);
    else
        remove_dir(e.dir);
    fflush(stdout);
    return ret;
}
