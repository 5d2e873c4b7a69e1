/*
 * xaproxy: a small fault-injecting TCP proxy for the network tests and the
 * benchmarks.  It listens on a loopback port, forwards every connection to
 * one loopback upstream, and takes one-line commands on a second (control)
 * port that change how it forwards: delay, throttle, cut, reset, stall,
 * refuse.  The command set and the first line it prints are the contract in
 * tests/support/proxy_ctl.h.
 *
 *   xaproxy --listen 127.0.0.1:0 --to 127.0.0.1:PORT [--control 127.0.0.1:0]
 *
 * Design: one thread, one poll() loop, every socket non-blocking.  A
 * connection is two flows, UP (client -> server) and DOWN (server ->
 * client).  Each flow owns a FLOW_BUF byte buffer and a ring of chunk
 * stamps: every read() is one chunk, stamped "release at now + latency".  A
 * flow writes only released bytes and, under `bandwidth`, only as many as
 * the token bucket of its direction holds.  The two buckets (UP and DOWN)
 * are GLOBAL, shared by every connection, so `bandwidth BPS` models the one
 * slow link of a commune whatever the number of connections; connections
 * take turns in a rotating order.  A bucket holds at most BPS/50 bytes (a
 * 20 ms burst) and a throttled flow wakes when BPS/200 bytes are due, so a
 * 4000 B/s link moves about 20 bytes every 5 ms.
 *
 * Blackhole stalls every connection (new ones are accepted and never read;
 * open ones are neither read nor written).  When it ends, every connection
 * that lived through it is reset, so nothing sent into the blackhole is ever
 * delivered.  Refuse closes the listening socket and reopens it on the same
 * port (SO_REUSEADDR) when it ends.
 *
 * Invariants:
 *   1. Memory is bounded: at most CONN_MAX connections of two FLOW_BUF
 *      buffers (past it new connections are reset, or left in the backlog
 *      during a blackhole) and CTL_MAX control connections of CTL_LINE
 *      bytes; a control connection gets CTL_TIMEOUT_US for its line.  A flow
 *      whose buffer or chunk ring is full stops reading its source, so TCP
 *      pushes back on the sender.
 *   2. Bytes leave in the order they came and never before their stamp;
 *      stats count only bytes a send() accepted.
 *   3. Under cut-up/cut-down N a flow reads at most N bytes from its source;
 *      once those N are written, both sockets are closed.
 *   4. Only loopback addresses (127.0.0.0/8, ::1) are bound or connected to.
 *   5. The loop sleeps only in poll(), for at most 1 s, and wakes for the
 *      next chunk release, token refill, control deadline or signal.
 *   6. SIGTERM/SIGINT (through a self-pipe) end the loop; every socket is
 *      closed and every buffer freed before exit(0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOW_BUF 65536
#define CHUNK_MAX 1024
#define CONN_MAX 128
#define CTL_MAX 8
#define CTL_LINE 256
#define CTL_TIMEOUT_US 5000000
#define ACCEPT_BATCH 16
#define POLL_IDLE_US 1000000
#define NO_LIMIT UINT64_MAX
#define LATENCY_MAX_MS 3600000ULL
#define BPS_MAX 10000000000ULL
#define POLL_MAX (3 + CTL_MAX + 2 * CONN_MAX)

enum { UP = 0, DOWN = 1 };       /* flows; also the index of their source fd */
enum { CLIENT = 0, SERVER = 1 }; /* fds of a connection */
enum { G_PASS, G_RESET, G_BLACKHOLE, G_REFUSE };
enum { C_CONNECTING, C_OPEN, C_HELD }; /* HELD: accepted in a blackhole, no upstream */

typedef struct chunk {
    uint32_t len;
    int64_t ready_us;
} chunk;

typedef struct flow {
    unsigned char *buf;
    size_t off, len; /* unsent bytes are buf[off, off + len) */
    chunk ring[CHUNK_MAX];
    unsigned head, count;
    uint64_t seen;  /* bytes read from the source */
    uint64_t limit; /* cut: read no more than this; NO_LIMIT */
    int eof;        /* the source said EOF */
    int shut;       /* EOF passed on: destination shut for writing */
} flow;

typedef struct conn {
    int fd[2];
    int state;
    flow f[2];
    int pi[2]; /* index in the pollfd array, -1: not polled */
} conn;

typedef struct ctl {
    int fd; /* -1: free slot */
    size_t len;
    int64_t deadline_us;
    int pi;
    char line[CTL_LINE];
} ctl;

typedef struct proxy {
    struct sockaddr_storage listen_addr, ctl_addr, to_addr;
    socklen_t listen_len, ctl_len, to_len;
    int lfd, cfd;
    int gate;
    int64_t latency_us;
    uint64_t bps; /* 0: unlimited */
    double tokens[2];
    int64_t refill_us;
    uint64_t cut[2];
    uint64_t bytes[2], accepted;
    conn *conns[CONN_MAX];
    size_t nconns;
    unsigned turn; /* where the next round of writes starts */
    int wrote;     /* flow_write() sent something */
    ctl ctls[CTL_MAX];
} proxy;

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    (void)sig;
    if (write(sig_pipe[1], "x", 1) < 0) {
        /* the pipe is full: a wake-up is already pending */
    }
    errno = saved;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Close with RST instead of FIN. */
static void close_hard(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    return 0;
}

/* "127.0.0.1:PORT" or "[::1]:PORT", numeric and loopback only. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon;
    size_t hl;
    uint64_t port;

    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return -1;
        s++;
        colon = rb + 1;
        hl = (size_t)(rb - s);
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= sizeof host || parse_u64(colon + 1, 65535, &port) != 0)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
    } else {
        return -1;
    }
    return is_loopback(ss) ? 0 : -2;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, (unsigned)ntohs(a->sin_port));
    }
}

/* Listen on *ss; a port 0 is replaced by the one the system chose. */
static int open_listener(struct sockaddr_storage *ss, socklen_t *len)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)ss, *len) != 0 || listen(fd, 64) != 0 ||
        set_nonblock(fd) != 0 || getsockname(fd, (struct sockaddr *)ss, len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---------------------------------------------------------------------- */
/* Flows                                                                   */

/* Bytes at the front of the flow whose stamp has passed. */
static size_t flow_ready(const flow *f, int64_t now)
{
    size_t n = 0;
    for (unsigned i = 0; i < f->count; i++) {
        const chunk *k = &f->ring[(f->head + i) % CHUNK_MAX];
        if (k->ready_us > now)
            break;
        n += k->len;
    }
    return n;
}

static int flow_can_read(const flow *f)
{
    return !f->eof && f->seen < f->limit && f->len < FLOW_BUF && f->count < CHUNK_MAX;
}

static void flow_consume(flow *f, size_t n)
{
    f->off += n;
    f->len -= n;
    while (n > 0) {
        chunk *k = &f->ring[f->head];
        if (k->len > n) {
            k->len -= (uint32_t)n;
            break;
        }
        n -= k->len;
        f->head = (f->head + 1) % CHUNK_MAX;
        f->count--;
    }
    if (f->len == 0)
        f->off = 0;
}

/* Read what fits from the flow's source; -1 if the connection must go. */
static int flow_read(proxy *p, conn *c, int d, int64_t now)
{
    flow *f = &c->f[d];
    size_t room;
    ssize_t n;

    if (f->off + f->len == FLOW_BUF) {
        memmove(f->buf, f->buf + f->off, f->len);
        f->off = 0;
    }
    room = FLOW_BUF - f->off - f->len;
    if (f->limit != NO_LIMIT && f->limit - f->seen < room)
        room = (size_t)(f->limit - f->seen);
    n = recv(c->fd[d], f->buf + f->off + f->len, room, 0);
    if (n == 0) {
        f->eof = 1;
        return 0;
    }
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    f->len += (size_t)n;
    f->seen += (uint64_t)n;

    /* A chunk due no later than the last one (or already due) joins it:
     * order forces it to wait for the last one anyway. */
    int64_t ready = now + p->latency_us;
    if (f->count > 0) {
        chunk *last = &f->ring[(f->head + f->count - 1) % CHUNK_MAX];
        if (ready <= last->ready_us || ready <= now) {
            last->len += (uint32_t)n;
            if (ready > last->ready_us)
                last->ready_us = ready;
            return 0;
        }
    }
    f->ring[(f->head + f->count) % CHUNK_MAX] = (chunk){(uint32_t)n, ready};
    f->count++;
    return 0;
}

/* Write the released bytes the bucket allows; -1 if the connection must go. */
static int flow_write(proxy *p, conn *c, int d, int64_t now)
{
    flow *f = &c->f[d];
    size_t n = flow_ready(f, now);
    ssize_t w;

    if (n == 0)
        return 0;
    if (p->bps > 0) {
        if (p->tokens[d] < 1.0)
            return 0;
        if ((double)n > p->tokens[d])
            n = (size_t)p->tokens[d];
    }
    w = send(c->fd[1 - d], f->buf + f->off, n, MSG_NOSIGNAL);
    if (w < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    p->bytes[d] += (uint64_t)w;
    p->wrote |= w > 0;
    if (p->bps > 0)
        p->tokens[d] -= (double)w;
    flow_consume(f, (size_t)w);
    return 0;
}

static double bucket_cap(uint64_t bps)
{
    return bps / 50 > 1 ? (double)(bps / 50) : 1.0;
}

static double bucket_quantum(uint64_t bps)
{
    return bps / 200 > 1 ? (double)(bps / 200) : 1.0;
}

static void refill(proxy *p, int64_t now)
{
    for (int d = 0; d < 2; d++) {
        if (p->bps == 0) {
            p->tokens[d] = 0;
            continue;
        }
        p->tokens[d] += (double)(now - p->refill_us) * (double)p->bps / 1e6;
        if (p->tokens[d] > bucket_cap(p->bps))
            p->tokens[d] = bucket_cap(p->bps);
    }
    p->refill_us = now;
}

/* Whether flow d should ask for POLLOUT; else, through *wake, when it will
 * have something to write. */
static int flow_wants_write(const proxy *p, const flow *f, int d, int64_t now, int64_t *wake)
{
    size_t ready = flow_ready(f, now);

    if (ready == 0) {
        if (f->count > 0 && f->ring[f->head].ready_us - now < *wake)
            *wake = f->ring[f->head].ready_us - now;
        return 0;
    }
    if (p->bps == 0)
        return 1;
    double need = bucket_quantum(p->bps);
    if ((double)ready < need)
        need = (double)ready;
    if (p->tokens[d] >= need)
        return 1;
    int64_t t = (int64_t)((need - p->tokens[d]) * 1e6 / (double)p->bps) + 1;
    if (t < *wake)
        *wake = t;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Connections                                                             */

static void conn_close(proxy *p, size_t i, int hard)
{
    conn *c = p->conns[i];
    for (int s = 0; s < 2; s++) {
        if (c->fd[s] < 0)
            continue;
        if (hard)
            close_hard(c->fd[s]);
        else
            close(c->fd[s]);
    }
    free(c->f[UP].buf);
    free(c->f[DOWN].buf);
    free(c);
    p->conns[i] = NULL;
    p->nconns--;
}

static void reset_all(proxy *p)
{
    for (size_t i = 0; i < CONN_MAX; i++)
        if (p->conns[i] != NULL)
            conn_close(p, i, 1);
}

static int start_upstream(proxy *p, conn *c)
{
    int one = 1;
    int fd = socket(p->to_addr.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    c->fd[SERVER] = fd;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (set_nonblock(fd) != 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&p->to_addr, p->to_len) == 0)
        c->state = C_OPEN;
    else if (errno == EINPROGRESS)
        c->state = C_CONNECTING;
    else
        return -1;
    return 0;
}

static void accept_clients(proxy *p)
{
    int one = 1;

    for (int k = 0; k < ACCEPT_BATCH; k++) {
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0)
            return;
        p->accepted++;
        if (p->nconns == CONN_MAX)
            fprintf(stderr, "xaproxy: %d connections open; resetting a new one\n", CONN_MAX);
        if (p->gate == G_RESET || p->nconns == CONN_MAX || set_nonblock(fd) != 0) {
            close_hard(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        size_t i = 0;
        while (p->conns[i] != NULL)
            i++;
        conn *c = calloc(1, sizeof *c);
        if (c != NULL) {
            c->f[UP].buf = malloc(FLOW_BUF);
            c->f[DOWN].buf = malloc(FLOW_BUF);
        }
        if (c == NULL || c->f[UP].buf == NULL || c->f[DOWN].buf == NULL) {
            if (c != NULL) {
                free(c->f[UP].buf);
                free(c->f[DOWN].buf);
                free(c);
            }
            close_hard(fd);
            continue;
        }
        c->fd[CLIENT] = fd;
        c->fd[SERVER] = -1;
        c->f[UP].limit = p->cut[UP];
        c->f[DOWN].limit = p->cut[DOWN];
        p->conns[i] = c;
        p->nconns++;
        if (p->gate == G_BLACKHOLE)
            c->state = C_HELD;
        else if (start_upstream(p, c) != 0)
            conn_close(p, i, 1);
    }
}

/* After I/O: pass EOFs on, and say whether the connection is finished
 * (1: close it) . */
static int conn_done(conn *c)
{
    for (int d = 0; d < 2; d++) {
        flow *f = &c->f[d];
        if (f->len == 0 && f->limit != NO_LIMIT && f->seen >= f->limit)
            return 1; /* cut: its N bytes are through */
        if (c->state == C_OPEN && f->eof && f->len == 0 && !f->shut) {
            shutdown(c->fd[1 - d], SHUT_WR);
            f->shut = 1;
        }
    }
    return c->f[UP].shut && c->f[DOWN].shut;
}

/* One connection after poll(), outside a blackhole. */
static void conn_service(proxy *p, size_t i, const struct pollfd *pf, int64_t now)
{
    conn *c = p->conns[i];
    short rev[2];

    for (int s = 0; s < 2; s++)
        rev[s] = c->pi[s] >= 0 ? pf[c->pi[s]].revents : 0;
    if (c->state == C_CONNECTING && rev[SERVER] != 0) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(c->fd[SERVER], SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            conn_close(p, i, 1);
            return;
        }
        c->state = C_OPEN;
        rev[SERVER] = 0;
    }
    for (int d = 0; d < 2; d++) {
        if ((rev[d] & (POLLIN | POLLERR | POLLHUP)) && flow_can_read(&c->f[d]) &&
            flow_read(p, c, d, now) != 0) {
            conn_close(p, i, 1);
            return;
        }
    }
    if (c->state == C_OPEN) {
        for (int d = 0; d < 2; d++) {
            if (flow_write(p, c, d, now) != 0) {
                conn_close(p, i, 1);
                return;
            }
        }
    }
    if (conn_done(c))
        conn_close(p, i, 0);
}

/* ---------------------------------------------------------------------- */
/* Control                                                                 */

/* Move to gate g; reopens the listener when leaving refuse. */
static int set_gate(proxy *p, int g, char *reply, size_t cap)
{
    if (g != G_REFUSE && p->lfd < 0) {
        p->lfd = open_listener(&p->listen_addr, &p->listen_len);
        if (p->lfd < 0) {
            snprintf(reply, cap, "error cannot listen again: %s", strerror(errno));
            return -1;
        }
    }
    if (p->gate == G_BLACKHOLE && g != G_BLACKHOLE)
        reset_all(p); /* nothing sent into the blackhole comes out */
    if (g == G_RESET)
        reset_all(p);
    if (g == G_REFUSE && p->lfd >= 0) {
        close(p->lfd);
        p->lfd = -1;
    }
    p->gate = g;
    snprintf(reply, cap, "ok");
    return 0;
}

static void ctl_exec(proxy *p, char *line, char *reply, size_t cap)
{
    static const char *const plain[] = {"pass", "reset", "blackhole", "refuse", "stats", "zero"};
    static const char *const valued[] = {"latency", "bandwidth", "cut-up", "cut-down"};
    static const uint64_t max[] = {LATENCY_MAX_MS, BPS_MAX, NO_LIMIT - 1, NO_LIMIT - 1};
    size_t n = strlen(line);
    char *arg;
    uint64_t v = 0;
    int which = -1;

    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
        line[--n] = '\0';
    arg = strchr(line, ' ');
    if (arg != NULL) {
        *arg++ = '\0';
        while (*arg == ' ')
            arg++;
    }
    snprintf(reply, cap, "ok");
    for (int i = 0; i < (int)(sizeof plain / sizeof plain[0]); i++)
        if (strcmp(line, plain[i]) == 0)
            which = i;
    if (which >= 0 && arg != NULL) {
        snprintf(reply, cap, "error %s takes no argument", line);
        return;
    }
    switch (which) {
    case 0:
        p->cut[UP] = p->cut[DOWN] = NO_LIMIT;
        set_gate(p, G_PASS, reply, cap);
        return;
    case 1:
        set_gate(p, G_RESET, reply, cap);
        return;
    case 2:
        set_gate(p, G_BLACKHOLE, reply, cap);
        return;
    case 3:
        set_gate(p, G_REFUSE, reply, cap);
        return;
    case 4:
        snprintf(reply, cap, "stats up %" PRIu64 " down %" PRIu64 " conns %" PRIu64, p->bytes[UP],
                 p->bytes[DOWN], p->accepted);
        return;
    case 5:
        p->bytes[UP] = p->bytes[DOWN] = p->accepted = 0;
        return;
    default:
        break;
    }
    for (int i = 0; i < (int)(sizeof valued / sizeof valued[0]); i++)
        if (strcmp(line, valued[i]) == 0)
            which = i;
    if (which < 0) {
        snprintf(reply, cap, "error unknown command '%.64s'", line);
        return;
    }
    if (parse_u64(arg, max[which], &v) != 0) {
        snprintf(reply, cap, "error %s wants a number from 0 to %" PRIu64, line, max[which]);
        return;
    }
    switch (which) {
    case 0:
        p->latency_us = (int64_t)v * 1000;
        break;
    case 1:
        p->bps = v;
        p->tokens[UP] = p->tokens[DOWN] = 0;
        p->refill_us = now_us();
        break;
    default:
        p->cut[which == 2 ? UP : DOWN] = v; /* for new connections */
        break;
    }
}

static void ctl_close(ctl *k)
{
    close(k->fd);
    k->fd = -1;
    k->len = 0;
}

static void ctl_service(proxy *p, ctl *k, short rev, int64_t now)
{
    char reply[160];
    ssize_t n = 0;

    if (rev != 0) {
        n = recv(k->fd, k->line + k->len, sizeof k->line - 1 - k->len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n > 0)
            k->len += (size_t)n;
        k->line[k->len] = '\0';
    }
    char *nl = memchr(k->line, '\n', k->len);
    if (nl != NULL || (n == 0 && rev != 0 && k->len > 0)) {
        if (nl != NULL)
            *nl = '\0';
        ctl_exec(p, k->line, reply, sizeof reply);
    } else if (k->len == sizeof k->line - 1) {
        snprintf(reply, sizeof reply, "error line too long");
    } else if (n <= 0 && rev != 0) {
        ctl_close(k); /* closed or failed before a full line */
        return;
    } else if (now >= k->deadline_us) {
        ctl_close(k);
        return;
    } else {
        return;
    }
    size_t rl = strlen(reply);
    reply[rl++] = '\n';
    if (send(k->fd, reply, rl, MSG_NOSIGNAL) < 0) {
        /* the asker is gone; nothing to tell */
    }
    ctl_close(k);
}

static void ctl_accept(proxy *p, int64_t now)
{
    for (size_t i = 0; i < CTL_MAX; i++) {
        if (p->ctls[i].fd >= 0)
            continue;
        int fd = accept(p->cfd, NULL, NULL);
        if (fd < 0)
            return;
        if (set_nonblock(fd) != 0) {
            close(fd);
            continue;
        }
        p->ctls[i].fd = fd;
        p->ctls[i].len = 0;
        p->ctls[i].deadline_us = now + CTL_TIMEOUT_US;
    }
}

/* ---------------------------------------------------------------------- */
/* The loop                                                                */

static int add_pfd(struct pollfd *pf, int *np, int fd, short events)
{
    pf[*np] = (struct pollfd){fd, events, 0};
    return (*np)++;
}

/* Serve until a signal (0) or a failed poll() (-1). */
static int run(proxy *p)
{
    static struct pollfd pf[POLL_MAX];

    for (;;) {
        int64_t now = now_us();
        int64_t wake = POLL_IDLE_US;
        int np = 0;
        int blackhole = p->gate == G_BLACKHOLE;

        refill(p, now);
        add_pfd(pf, &np, sig_pipe[0], POLLIN);
        /* Full: a blackhole lets the backlog fill (connects hang, as in a
         * blackhole); otherwise new connections are accepted and reset. */
        int full = blackhole && p->nconns == CONN_MAX;
        int li = p->lfd >= 0 && !full ? add_pfd(pf, &np, p->lfd, POLLIN) : -1;
        int ci = add_pfd(pf, &np, p->cfd, POLLIN);
        for (size_t i = 0; i < CTL_MAX; i++) {
            ctl *k = &p->ctls[i];
            k->pi = k->fd >= 0 ? add_pfd(pf, &np, k->fd, POLLIN) : -1;
            if (k->fd >= 0 && k->deadline_us - now < wake)
                wake = k->deadline_us - now;
        }
        for (size_t i = 0; i < CONN_MAX; i++) {
            conn *c = p->conns[i];
            short ev[2] = {0, 0};
            if (c == NULL)
                continue;
            if (blackhole) {
                /* Watch only for the client going away (RST). */
                c->pi[CLIENT] = add_pfd(pf, &np, c->fd[CLIENT], 0);
                c->pi[SERVER] = -1;
                continue;
            }
            for (int d = 0; d < 2; d++) {
                if (flow_can_read(&c->f[d]) && (d == UP || c->state == C_OPEN))
                    ev[d] |= POLLIN;
                if (c->state == C_OPEN && flow_wants_write(p, &c->f[d], d, now, &wake))
                    ev[1 - d] |= POLLOUT;
            }
            if (c->state == C_CONNECTING)
                ev[SERVER] = POLLOUT;
            for (int s = 0; s < 2; s++)
                c->pi[s] = ev[s] != 0 ? add_pfd(pf, &np, c->fd[s], ev[s]) : -1;
        }
        if (wake < 0)
            wake = 0;
        if (poll(pf, (nfds_t)np, (int)((wake + 999) / 1000)) < 0 && errno != EINTR) {
            perror("xaproxy: poll");
            return -1;
        }
        if (pf[0].revents != 0)
            return 0; /* SIGTERM or SIGINT */
        now = now_us();
        refill(p, now);
        for (size_t i = 0; i < CTL_MAX; i++)
            if (p->ctls[i].fd >= 0)
                ctl_service(p, &p->ctls[i], pf[p->ctls[i].pi].revents, now);
        if (pf[ci].revents != 0)
            ctl_accept(p, now);
        /* A command may have changed the gate or closed connections: the
         * pollfd indices of the survivors are still valid. */
        blackhole = p->gate == G_BLACKHOLE;
        /* Round robin: the first connection to write this time goes last
         * next time, so a shared bucket is shared fairly. */
        size_t start = p->turn;
        int moved = 0;
        for (size_t j = 0; j < CONN_MAX; j++) {
            size_t i = (start + j) % CONN_MAX;
            conn *c = p->conns[i];
            if (c == NULL)
                continue;
            if (blackhole) {
                if (c->pi[CLIENT] >= 0 && (pf[c->pi[CLIENT]].revents & (POLLERR | POLLHUP)))
                    conn_close(p, i, 1);
                continue;
            }
            p->wrote = 0;
            conn_service(p, i, pf, now);
            if (p->wrote && !moved) {
                p->turn = (unsigned)((i + 1) % CONN_MAX);
                moved = 1;
            }
        }
        if (li >= 0 && p->lfd >= 0 && pf[li].revents != 0)
            accept_clients(p);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: xaproxy --listen 127.0.0.1:PORT --to 127.0.0.1:PORT "
                    "[--control 127.0.0.1:PORT]\n"
                    "  (loopback addresses only; PORT 0 lets the system choose)\n");
}

int main(int argc, char **argv)
{
    static proxy px;
    proxy *p = &px;
    const char *listen_s = NULL, *to_s = NULL, *ctl_s = NULL;
    char la[80], ca[80];
    struct sigaction sa;
    int bad = argc % 2 == 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen_s = argv[i + 1];
        else if (strcmp(argv[i], "--to") == 0)
            to_s = argv[i + 1];
        else if (strcmp(argv[i], "--control") == 0)
            ctl_s = argv[i + 1];
        else
            bad = 1;
    }
    if (bad || listen_s == NULL || to_s == NULL) {
        usage();
        return 2;
    }
    const char *names[3] = {listen_s, to_s, ctl_s};
    struct sockaddr_storage *addrs[3] = {&p->listen_addr, &p->to_addr, &p->ctl_addr};
    socklen_t *lens[3] = {&p->listen_len, &p->to_len, &p->ctl_len};
    for (int i = 0; i < 3; i++) {
        int rc = names[i] != NULL ? parse_addr(names[i], addrs[i], lens[i]) : 0;
        if (rc == -2) {
            fprintf(stderr, "xaproxy: %s is not a loopback address (127.0.0.0/8 or ::1)\n",
                    names[i]);
            return 2;
        }
        if (rc != 0) {
            fprintf(stderr, "xaproxy: bad address '%s' (want 127.0.0.1:PORT or [::1]:PORT)\n",
                    names[i]);
            return 2;
        }
    }
    if (ctl_s == NULL) {
        /* The control port: same loopback host as --listen, any port. */
        p->ctl_addr = p->listen_addr;
        p->ctl_len = p->listen_len;
        if (p->ctl_addr.ss_family == AF_INET)
            ((struct sockaddr_in *)&p->ctl_addr)->sin_port = 0;
        else
            ((struct sockaddr_in6 *)&p->ctl_addr)->sin6_port = 0;
    }

    if (pipe(sig_pipe) != 0 || set_nonblock(sig_pipe[0]) != 0 || set_nonblock(sig_pipe[1]) != 0) {
        perror("xaproxy: pipe");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    p->lfd = open_listener(&p->listen_addr, &p->listen_len);
    if (p->lfd < 0) {
        fprintf(stderr, "xaproxy: cannot listen on %s: %s\n", listen_s, strerror(errno));
        return 1;
    }
    p->cfd = open_listener(&p->ctl_addr, &p->ctl_len);
    if (p->cfd < 0) {
        fprintf(stderr, "xaproxy: cannot listen for control: %s\n", strerror(errno));
        close(p->lfd);
        return 1;
    }
    p->cut[UP] = p->cut[DOWN] = NO_LIMIT;
    p->refill_us = now_us();
    for (size_t i = 0; i < CTL_MAX; i++)
        p->ctls[i].fd = -1;

    fmt_addr(&p->listen_addr, la, sizeof la);
    fmt_addr(&p->ctl_addr, ca, sizeof ca);
    printf("listening on %s control on %s\n", la, ca);
    int rc = fflush(stdout) == 0 ? run(p) : -1;

    reset_all(p);
    for (size_t i = 0; i < CTL_MAX; i++)
        if (p->ctls[i].fd >= 0)
            ctl_close(&p->ctls[i]);
    if (p->lfd >= 0)
        close(p->lfd);
    close(p->cfd);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    return rc == 0 ? 0 : 1;
}
