/*
 * Tests of the fault-injecting proxy (tests/proxy/xaproxy.c) through its
 * driver (tests/support/proxy_ctl.h), against a tiny server forked by each
 * fixture on 127.0.0.1 (one child per connection): ECHO sends back what it reads, SINK counts what
 * it reads until EOF and reports the count on a pipe, SOURCE answers any request with SOURCE_LEN
 * bytes and closes.
 *
 * What must hold:
 *   1. pass forwards every byte unchanged, and stats count exactly the bytes
 *      forwarded each way and the connections accepted.
 *   2. latency and bandwidth only slow traffic down: the tests assert lower
 *      bounds on elapsed time, never upper bounds (a loaded machine is slow).
 *   3. cut-up N / cut-down N deliver exactly the first N bytes, then the
 *      connection ends.
 *   4. reset, blackhole and refuse do what proxy_ctl.h says, and pass undoes
 *      them; nothing sent into a blackhole ever reaches the server.
 *   5. A bad command is answered "error ..." and changes nothing.
 *
 * Every wait is bounded (poll with a deadline); the server child is killed
 * and the proxy stopped by PID in the teardown.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "proxy_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOURCE_LEN 20000
#define IO_MS 30000 /* bound on any exchange; far above what any test needs */
#define BIG 50000

enum { ECHO, SINK, SOURCE };

typedef struct fx {
    pid_t srv;    /* the server child */
    int srv_port; /* where it listens */
    int report;   /* SINK: read end of its count pipe */
    xt_proxy px;
} fx;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 7 + 3) & 0xff);
}

static void fill(unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(i);
}

/* ---------------------------------------------------------------------- */
/* The server child: blocking, one connection at a time                    */

static void serve(int fd, int mode, int report)
{
    unsigned char buf[16384];
    unsigned long long count = 0;
    ssize_t n;

    if (mode == SOURCE) {
        unsigned char out[SOURCE_LEN];
        size_t sent = 0;
        fill(out, sizeof out);
        if (recv(fd, buf, sizeof buf, 0) <= 0)
            return;
        while (sent < sizeof out) {
            n = send(fd, out + sent, sizeof out - sent, MSG_NOSIGNAL);
            if (n <= 0)
                return;
            sent += (size_t)n;
        }
        return;
    }
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        count += (unsigned long long)n;
        for (ssize_t off = 0; mode == ECHO && off < n;) {
            ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (w <= 0)
                return;
            off += w;
        }
    }
    if (mode == SINK) {
        char line[32];
        int len = snprintf(line, sizeof line, "%llu\n", count);
        if (write(report, line, (size_t)len) != len)
            _exit(3);
    }
}

static void server_start(fx *f, int mode)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1;
    int rep[2];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(lfd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 16), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(pipe(rep), 0);
    f->srv_port = ntohs(a.sin_port);
    f->srv = fork();
    assert_true(f->srv >= 0);
    if (f->srv == 0) {
        /* Its own process group, so the teardown stops it and the
         * per-connection children it forks with one kill(). */
        setpgid(0, 0);
        close(rep[0]);
        signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
        alarm(120);               /* never outlive a crashed test by much */
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0)
                _exit(errno == EINTR ? 0 : 2);
            pid_t c = fork();
            if (c == 0) {
                close(lfd);
                alarm(120);
                serve(fd, mode, rep[1]);
                _exit(0);
            }
            close(fd);
        }
    }
    setpgid(f->srv, f->srv); /* either side may run first */
    close(lfd);
    close(rep[1]);
    f->report = rep[0];
}

static int fx_setup(void **state, int mode)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->report = -1;
    signal(SIGPIPE, SIG_IGN);
    server_start(f, mode);
    xt_proxy_start(&f->px, f->srv_port);
    *state = f;
    return 0;
}

static int setup_echo(void **state)
{
    return fx_setup(state, ECHO);
}

static int setup_sink(void **state)
{
    return fx_setup(state, SINK);
}

static int setup_source(void **state)
{
    return fx_setup(state, SOURCE);
}

static int teardown(void **state)
{
    fx *f = *state;
    xt_proxy_stop(&f->px);
    if (f->srv > 0) {
        kill(-f->srv, SIGKILL); /* the group we made in server_start */
        kill(f->srv, SIGKILL);
        waitpid(f->srv, NULL, 0);
    }
    if (f->report >= 0)
        close(f->report);
    free(f);
    return 0;
}

/* The SINK child's count for its next finished connection; -1 if none
 * within `ms`. */
static long long sink_count(fx *f, int ms)
{
    char line[32];
    size_t got = 0;
    int64_t deadline = now_ms() + ms;

    while (got + 1 < sizeof line) {
        struct pollfd pf = {f->report, POLLIN, 0};
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&pf, 1, (int)left) != 1)
            return -1;
        ssize_t r = read(f->report, line + got, 1); /* one byte: leave the next line */
        if (r <= 0)
            return -1;
        if (line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    return strtoll(line, NULL, 10);
}

/* ---------------------------------------------------------------------- */
/* The client                                                              */

/* A blocking connection to 127.0.0.1:port; -1 with errno on failure. */
static int dial(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Send `out` (n bytes, may be 0) and read into `in` (cap bytes) at the same
 * time, until `want` bytes came back, the peer ended the connection, or `ms`
 * passed.  Returns the bytes read; *err gets 0 (EOF or done), the errno of a
 * failed recv, or ETIMEDOUT. */
static size_t exchange(int fd,
                       const unsigned char *out,
                       size_t n,
                       unsigned char *in,
                       size_t cap,
                       size_t want,
                       int ms,
                       int *err)
{
    size_t sent = 0, got = 0;
    int64_t deadline = now_ms() + ms;

    *err = 0;
    while (got < want) {
        struct pollfd pf = {fd, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 0};
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&pf, 1, (int)left) == 0) {
            *err = ETIMEDOUT;
            break;
        }
        if (sent < n && (pf.revents & POLLOUT)) {
            ssize_t w = send(fd, out + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                sent = n; /* the proxy cut us off: stop sending, keep reading */
        }
        if (pf.revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t r = recv(fd, in + got, cap - got, MSG_DONTWAIT);
            if (r == 0)
                break;
            if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                *err = errno;
                break;
            }
            if (r > 0)
                got += (size_t)r;
        }
    }
    return got;
}

/* Echo `n` bytes of the pattern through fd; fails the test unless all come
 * back unchanged. */
static void echo_ok(int fd, size_t n)
{
    unsigned char *out = malloc(n), *in = malloc(n + 1);
    int err;

    assert_non_null(out);
    assert_non_null(in);
    fill(out, n);
    assert_int_equal(exchange(fd, out, n, in, n + 1, n, IO_MS, &err), n);
    assert_memory_equal(in, out, n);
    free(out);
    free(in);
}

/* The connection ends (EOF or ECONNRESET) within `ms`, with no data. */
static void assert_ended(int fd, int ms)
{
    unsigned char buf[64];
    int err;

    assert_int_equal(exchange(fd, NULL, 0, buf, sizeof buf, sizeof buf, ms, &err), 0);
    if (err != 0)
        assert_int_equal(err, ECONNRESET);
}

static void cmd_ok(fx *f, const char *cmd)
{
    char reply[128];
    if (xt_proxy_cmd(&f->px, cmd, reply, sizeof reply) != 0)
        fail_msg("'%s' answered '%s'", cmd, reply);
    assert_string_equal(reply, "ok");
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                   */

static void test_proxy__pass_forwards_and_stats_count_exactly(void **state)
{
    fx *f = *state;
    uint64_t up, down, conns;

    xt_proxy_stats(&f->px, &up, &down, &conns);
    assert_true(up == 0 && down == 0 && conns == 0);
    int a = dial(f->px.port);
    int b = dial(f->px.port);
    assert_true(a >= 0 && b >= 0);
    echo_ok(a, BIG);
    echo_ok(b, 1);
    echo_ok(a, 10);
    xt_proxy_stats(&f->px, &up, &down, &conns);
    assert_int_equal(up, BIG + 11);
    assert_int_equal(down, BIG + 11);
    assert_int_equal(conns, 2);
    close(a);
    close(b);

    cmd_ok(f, "zero");
    xt_proxy_stats(&f->px, &up, &down, &conns);
    assert_true(up == 0 && down == 0 && conns == 0);
}

static void test_proxy__latency_delays_a_round_trip(void **state)
{
    fx *f = *state;
    int fd = dial(f->px.port);

    assert_true(fd >= 0);
    echo_ok(fd, 16); /* connected and warm before the clock starts */
    cmd_ok(f, "latency 300");
    int64_t t0 = now_ms();
    echo_ok(fd, 16);
    /* 300 ms each way; only the lower bound is certain. */
    assert_true(now_ms() - t0 >= 300);
    cmd_ok(f, "latency 0");
    echo_ok(fd, 16);
    close(fd);
}

static void test_proxy__bandwidth_throttles(void **state)
{
    fx *f = *state;
    uint64_t up, down;

    cmd_ok(f, "bandwidth 4000");
    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    int64_t t0 = now_ms();
    echo_ok(fd, 8000);
    /* 8000 bytes at 4000 B/s is 2 s per direction (pipelined). */
    assert_true(now_ms() - t0 >= 1500);
    xt_proxy_stats(&f->px, &up, &down, NULL);
    assert_int_equal(up, 8000);
    assert_int_equal(down, 8000);
    cmd_ok(f, "bandwidth 0");
    echo_ok(fd, BIG);
    close(fd);
}

static void test_proxy__cut_up_delivers_exactly_n_bytes(void **state)
{
    fx *f = *state;
    static unsigned char out[5000];
    unsigned char in[64];
    uint64_t up;
    int err;

    cmd_ok(f, "cut-up 1000");
    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    fill(out, sizeof out);
    /* The proxy ends the connection after 1000 bytes; nothing comes back. */
    assert_int_equal(exchange(fd, out, sizeof out, in, sizeof in, sizeof in, IO_MS, &err), 0);
    assert_true(err == 0 || err == ECONNRESET);
    close(fd);
    assert_int_equal(sink_count(f, IO_MS), 1000);
    xt_proxy_stats(&f->px, &up, NULL, NULL);
    assert_int_equal(up, 1000);

    /* pass clears it for new connections. */
    cmd_ok(f, "pass");
    fd = dial(f->px.port);
    assert_true(fd >= 0);
    size_t sent = 0;
    while (sent < sizeof out) {
        ssize_t w = send(fd, out + sent, sizeof out - sent, MSG_NOSIGNAL);
        assert_true(w > 0);
        sent += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    assert_ended(fd, IO_MS);
    close(fd);
    assert_int_equal(sink_count(f, IO_MS), sizeof out);
}

static void test_proxy__cut_down_delivers_exactly_n_bytes(void **state)
{
    fx *f = *state;
    static unsigned char in[SOURCE_LEN + 1];
    static unsigned char expect[SOURCE_LEN];
    uint64_t down;
    int err;

    fill(expect, sizeof expect);
    cmd_ok(f, "cut-down 3000");
    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    size_t got =
        exchange(fd, (const unsigned char *)"GET\n", 4, in, sizeof in, sizeof in, IO_MS, &err);
    assert_int_equal(err, 0); /* a clean EOF after the 3000 bytes */
    assert_int_equal(got, 3000);
    assert_memory_equal(in, expect, 3000);
    close(fd);
    xt_proxy_stats(&f->px, NULL, &down, NULL);
    assert_int_equal(down, 3000);

    cmd_ok(f, "pass");
    fd = dial(f->px.port);
    assert_true(fd >= 0);
    got = exchange(fd, (const unsigned char *)"GET\n", 4, in, sizeof in, sizeof in, IO_MS, &err);
    assert_int_equal(got, SOURCE_LEN);
    assert_memory_equal(in, expect, SOURCE_LEN);
    close(fd);
}

static void test_proxy__reset_resets_open_and_new_connections(void **state)
{
    fx *f = *state;

    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    echo_ok(fd, 100);
    cmd_ok(f, "reset");
    assert_ended(fd, IO_MS);
    close(fd);

    fd = dial(f->px.port); /* the kernel accepts; the proxy then resets */
    if (fd >= 0) {
        assert_ended(fd, IO_MS);
        close(fd);
    } else {
        assert_int_equal(errno, ECONNRESET);
    }

    cmd_ok(f, "pass");
    fd = dial(f->px.port);
    assert_true(fd >= 0);
    echo_ok(fd, 100);
    close(fd);
}

static void test_proxy__blackhole_accepts_and_never_answers(void **state)
{
    fx *f = *state;
    unsigned char in[16];
    uint64_t up, conns;
    int err;

    cmd_ok(f, "blackhole");
    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    assert_int_equal(exchange(fd, (const unsigned char *)"ping", 4, in, sizeof in, 1, 500, &err),
                     0);
    assert_int_equal(err, ETIMEDOUT);
    xt_proxy_stats(&f->px, &up, NULL, &conns);
    assert_int_equal(up, 0);
    assert_int_equal(conns, 1);

    /* Leaving the blackhole resets what it held, unforwarded. */
    cmd_ok(f, "pass");
    assert_ended(fd, IO_MS);
    close(fd);
    fd = dial(f->px.port);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, "hello", 5, MSG_NOSIGNAL), 5);
    shutdown(fd, SHUT_WR);
    assert_ended(fd, IO_MS);
    close(fd);
    /* The first connection the server ever saw is this one: "ping" never
     * arrived. */
    assert_int_equal(sink_count(f, IO_MS), 5);
}

static void test_proxy__refuse_refuses_until_pass(void **state)
{
    fx *f = *state;
    uint64_t conns;

    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    echo_ok(fd, 10);
    cmd_ok(f, "refuse");
    assert_int_equal(dial(f->px.port), -1);
    assert_int_equal(errno, ECONNREFUSED);
    echo_ok(fd, 10); /* an open connection goes on */
    close(fd);

    cmd_ok(f, "pass");
    fd = dial(f->px.port);
    assert_true(fd >= 0);
    echo_ok(fd, 10);
    close(fd);
    xt_proxy_stats(&f->px, NULL, NULL, &conns);
    assert_int_equal(conns, 2);
}

static void test_proxy__bad_commands_get_error(void **state)
{
    fx *f = *state;
    const char *bad[] = {"frobnicate", "latency",   "latency abc", "latency -5",
                         "cut-up 1x",  "bandwidth", "pass now",    ""};
    char reply[128];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(xt_proxy_cmd(&f->px, bad[i], reply, sizeof reply), -1);
        assert_int_equal(strncmp(reply, "error", 5), 0);
    }
    /* Nothing changed: traffic still passes, unslowed and uncut. */
    int fd = dial(f->px.port);
    assert_true(fd >= 0);
    echo_ok(fd, BIG);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_proxy__pass_forwards_and_stats_count_exactly,
                                        setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_proxy__latency_delays_a_round_trip, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy__bandwidth_throttles, setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_proxy__cut_up_delivers_exactly_n_bytes, setup_sink,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy__cut_down_delivers_exactly_n_bytes, setup_source,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy__reset_resets_open_and_new_connections,
                                        setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_proxy__blackhole_accepts_and_never_answers, setup_sink,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy__refuse_refuses_until_pass, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_proxy__bad_commands_get_error, setup_echo, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
