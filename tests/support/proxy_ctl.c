/*
 * Driving the fault-injecting proxy (tests/proxy/xaproxy.c) from a test: see
 * proxy_ctl.h for the commands.
 *
 * Invariants:
 *   1. Every wait is bounded: the proxy's first line within START_MS, each
 *      command (connect, send, reply) within CMD_MS, the exit after SIGTERM
 *      within STOP_MS (then SIGKILL).
 *   2. The proxy is started, signalled and reaped by its PID only.
 *   3. A proxy that does not start, does not answer, or does not exit 0 on
 *      SIGTERM fails the current test (fail_msg): the tests that use it
 *      cannot mean anything without it.
 */
#include "proxy_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define START_MS 10000
#define CMD_MS 5000
#define STOP_MS 10000
#define LINE_MAX_ 256
#define FD_CLOSE_MAX 4096

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The port after the last ':' of `s` up to the first space; -1 if none. */
static int port_of(const char *s)
{
    const char *end = strchr(s, ' ');
    const char *colon = NULL;
    char *stop = NULL;
    long v;

    if (end == NULL)
        end = s + strlen(s);
    for (const char *q = s; q < end; q++)
        if (*q == ':')
            colon = q;
    if (colon == NULL)
        return -1;
    errno = 0;
    v = strtol(colon + 1, &stop, 10);
    if (errno != 0 || stop != end || v <= 0 || v > 65535)
        return -1;
    return (int)v;
}

static void kill_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

void xt_proxy_start(xt_proxy *p, int to_port)
{
    char to[32];
    char line[LINE_MAX_];
    size_t got = 0;
    int out[2];
    pid_t pid;
    int64_t deadline;

    memset(p, 0, sizeof *p);
    snprintf(to, sizeof to, "127.0.0.1:%d", to_port);
    if (pipe(out) != 0)
        fail_msg("proxy: pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail_msg("proxy: fork: %s", strerror(errno));
    if (pid == 0) {
        char *args[] = {XA_PROXY_BIN, "--listen", "127.0.0.1:0", "--to", to, NULL};
        dup2(out[1], 1);
        /* Keep no test descriptor (sockets, pipes) alive in the proxy. */
        for (int fd = 3; fd < FD_CLOSE_MAX; fd++)
            close(fd);
        signal(SIGPIPE, SIG_DFL);
        execv(XA_PROXY_BIN, args);
        _exit(127);
    }
    close(out[1]);
    p->pid = (int)pid;
    deadline = now_ms() + START_MS;
    while (got + 1 < sizeof line) {
        int64_t left = deadline - now_ms();
        struct pollfd pf = {out[0], POLLIN, 0};
        if (left <= 0)
            break;
        int rc = poll(&pf, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break;
        ssize_t r = read(out[0], line + got, sizeof line - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        line[got] = '\0';
        if (strchr(line, '\n') != NULL)
            break;
    }
    close(out[0]);
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';

    const char *ctl = strstr(line, " control on ");
    if (strncmp(line, "listening on ", 13) == 0 && ctl != NULL) {
        p->port = port_of(line + 13);
        p->control = port_of(ctl + 12);
    }
    if (p->port <= 0 || p->control <= 0) {
        kill_reap(pid);
        p->pid = 0;
        fail_msg("proxy did not start within %d s: '%s'", START_MS / 1000, line);
    }
}

/* Connect to the control port by `deadline`; the socket stays non-blocking. */
static int ctl_connect(const xt_proxy *p, int64_t deadline)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        fail_msg("proxy: socket: %s", strerror(errno));
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)p->control);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        struct pollfd pf = {fd, POLLOUT, 0};
        int err = errno;
        socklen_t el = sizeof err;
        int64_t left = deadline - now_ms();
        if (err != EINPROGRESS || poll(&pf, 1, left > 0 ? (int)left : 0) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            close(fd);
            fail_msg("proxy: cannot reach control port %d: %s", p->control, strerror(err));
        }
    }
    return fd;
}

int xt_proxy_cmd(xt_proxy *p, const char *cmd, char *reply, size_t cap)
{
    char msg[LINE_MAX_];
    char line[LINE_MAX_];
    size_t got = 0;
    size_t sent = 0;
    int len;
    int64_t deadline = now_ms() + CMD_MS;
    int fd;

    if (p->pid <= 0)
        fail_msg("proxy: command '%s' but no proxy is running", cmd);
    len = snprintf(msg, sizeof msg, "%s\n", cmd);
    if (len < 0 || (size_t)len >= sizeof msg)
        fail_msg("proxy: command too long");
    fd = ctl_connect(p, deadline);
    while (got + 1 < sizeof line) {
        int64_t left = deadline - now_ms();
        struct pollfd pf = {fd, sent < (size_t)len ? POLLOUT : POLLIN, 0};
        if (left <= 0)
            break;
        int rc = poll(&pf, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break;
        if (sent < (size_t)len) {
            ssize_t w = send(fd, msg + sent, (size_t)len - sent, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR)
                break;
            sent += w > 0 ? (size_t)w : 0;
            continue;
        }
        ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(line, '\n', got) != NULL)
            break;
    }
    close(fd);
    line[got] = '\0';
    if (strchr(line, '\n') == NULL)
        fail_msg("proxy: no answer to '%s' within %d s (got '%s')", cmd, CMD_MS / 1000, line);
    line[strcspn(line, "\r\n")] = '\0';
    if (reply != NULL && cap > 0) {
        size_t n = strlen(line);
        if (n >= cap)
            n = cap - 1;
        memcpy(reply, line, n);
        reply[n] = '\0';
    }
    return (strncmp(line, "ok", 2) == 0 || strncmp(line, "stats", 5) == 0) ? 0 : -1;
}

void xt_proxy_stats(xt_proxy *p, uint64_t *up, uint64_t *down, uint64_t *conns)
{
    char line[LINE_MAX_];
    const char *names[3] = {"up ", "down ", "conns "};
    uint64_t *outs[3] = {up, down, conns};

    if (xt_proxy_cmd(p, "stats", line, sizeof line) != 0)
        fail_msg("proxy: stats answered '%s'", line);
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(line, names[i]);
        char *end = NULL;
        unsigned long long v;
        if (at == NULL)
            fail_msg("proxy: bad stats line '%s'", line);
        at += strlen(names[i]);
        errno = 0;
        v = strtoull(at, &end, 10);
        if (errno != 0 || end == at || (*end != ' ' && *end != '\0'))
            fail_msg("proxy: bad stats line '%s'", line);
        if (outs[i] != NULL)
            *outs[i] = (uint64_t)v;
    }
}

void xt_proxy_stop(xt_proxy *p)
{
    pid_t pid = (pid_t)p->pid;
    int status = 0;
    int64_t deadline;

    if (pid <= 0)
        return;
    p->pid = 0;
    kill(pid, SIGTERM);
    deadline = now_ms() + STOP_MS;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            fail_msg("proxy: waitpid: %s", strerror(errno));
        if (now_ms() > deadline) {
            kill_reap(pid);
            fail_msg("proxy (pid %ld) ignored SIGTERM for %d s; killed", (long)pid, STOP_MS / 1000);
        }
        usleep(10000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("proxy (pid %ld) did not exit cleanly on SIGTERM (status %d)", (long)pid,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}
