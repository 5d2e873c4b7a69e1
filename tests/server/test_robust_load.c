/*
 * The district server under load (issue 11): slow clients (slowloris,
 * raw sockets bound to 127.0.0.2... so that the PCs' 127.0.0.1 is another
 * address), bodies that stall, too many connections from one address, and
 * requests that would take the server's memory. *
 * The real `xasync-district` on 127.0.0.1, real `xasync` PCs, libcurl; the
 * harness: tests/support/robustfx.h.  Every client is started and stopped
 * by the test, every loop bounded.
 */
#define _GNU_SOURCE
#include "robustfx.h"
#include "xasync/changeset.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

/* ---------------------------------------------------------------------- */
/* Slow clients                                                            */

typedef struct slow {
    int port;
    int n;           /* connections to hold */
    int per_addr;    /* connections per source address */
    int first_addr;  /* 127.0.0.first_addr, then the next ones */
    const char *req; /* what is sent, one byte a second, again and again */
    int refuse_ms;   /* a connection closed younger than this was refused */
    int prefix;      /* bytes of req sent at once on connecting */
    volatile int stop;
    /* counts, under `m` */
    pthread_mutex_t m;
    int open_max; /* most connections open at once */
    int cuts;     /* connections the server closed */
    int refused;  /* connect failed or closed before a byte went */
} slow;

typedef struct sconn {
    int fd;
    size_t off;
    int64_t opened;
} sconn;

static int slow_connect(slow *s, int i)
{
    struct sockaddr_in src, dst;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(s->first_addr + i / s->per_addr));
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)s->port);
    dst.sin_addr.s_addr = htonl(0x7f000001u);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (s->prefix > 0 && send(fd, s->req, (size_t)s->prefix, MSG_NOSIGNAL) != s->prefix) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Holds s->n connections, sending one byte of s->req a second on each, and
 * opens a new one for each the server closes; until s->stop. */
static void *slow_run(void *arg)
{
    slow *s = arg;
    sconn *c = calloc((size_t)s->n, sizeof *c);
    size_t len = strlen(s->req);

    assert_non_null(c);
    for (int i = 0; i < s->n; i++) {
        c[i].fd = slow_connect(s, i);
        c[i].off = (size_t)s->prefix;
        c[i].opened = xt_mono_ms();
    }
    while (!s->stop) {
        int open = 0;
        for (int i = 0; i < s->n && !s->stop; i++) {
            char b;
            if (c[i].fd >= 0) {
                ssize_t k = recv(c[i].fd, &b, 1, MSG_DONTWAIT);
                int gone = k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
                if (!gone &&
                    send(c[i].fd, s->req + c[i].off % len, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
                    errno != EAGAIN)
                    gone = 1;
                if (gone) {
                    pthread_mutex_lock(&s->m);
                    if (xt_mono_ms() - c[i].opened < (s->refuse_ms ? s->refuse_ms : 500))
                        s->refused++;
                    else
                        s->cuts++;
                    pthread_mutex_unlock(&s->m);
                    close(c[i].fd);
                    c[i].fd = -1;
                } else {
                    c[i].off++;
                }
            }
            if (c[i].fd < 0) {
                c[i].fd = slow_connect(s, i);
                c[i].off = (size_t)s->prefix;
                c[i].opened = xt_mono_ms();
            }
            if (c[i].fd >= 0)
                open++;
        }
        pthread_mutex_lock(&s->m);
        if (open > s->open_max)
            s->open_max = open;
        pthread_mutex_unlock(&s->m);
        for (int t = 0; t < 10 && !s->stop; t++)
            usleep(100 * 1000);
    }
    for (int i = 0; i < s->n; i++)
        if (c[i].fd >= 0)
            close(c[i].fd);
    free(c);
    return NULL;
}

static const char slow_headers[] = "GET /v1/scopes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";

/* The slowloris: 500 connections sending one header byte a second
 * (from 20 addresses, 25 each), reconnecting when cut, while PCs sync from
 * 127.0.0.1 again and again: every sync succeeds, the slow connections are
 * really held (and cut at their header deadline). */
static void test_robust__slowloris_legit_syncs_succeed(void **state)
{
    xo_fx *f = *state;
    slow s;
    pthread_t t;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A);
    int ok = 0, tries = 0;
    char v[32];

    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.m, NULL);
    s.port = f->sv.port;
    s.n = 500;
    s.per_addr = 25;
    s.first_addr = 2;
    s.req = slow_headers;
    assert_int_equal(pthread_create(&t, NULL, slow_run, &s), 0);
    sleep(2);
    int64_t end = xt_mono_ms() + 14000;
    while (xt_mono_ms() < end && tries < 200) {
        snprintf(v, sizeof v, "%d", tries);
        tries++;
        RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", v)), "set");
        xt_run r = xo_xa(f, ARGV("--db", pa, "sync"));
        if (r.status == 0)
            ok++;
        else
            print_error("legitimate sync %d failed: %s", tries, r.err);
        xt_run_free(&r);
    }
    s.stop = 1;
    pthread_join(t, NULL);
    print_message("slowloris: %d of %d syncs succeeded; slow connections open at most %d, "
                  "cut %d, refused %d\n",
                  ok, tries, s.open_max, s.cuts, s.refused);
    assert_true(tries >= 3);
    assert_int_equal(ok, tries);
    /* The 500 were really held at once, and cut at their header deadline. */
    assert_true(s.open_max >= 490);
    assert_true(s.cuts >= 400);
    free(pa);
}

/* A body sent one byte a second is cut at the body deadline (3 s here);
 * libmicrohttpd's idle timeout alone never fires on it. */
static void test_robust__slow_body_cut(void **state)
{
    xo_fx *f = *state;
    char req[512];
    slow s;
    pthread_t t;

    snprintf(req, sizeof req,
             "POST /v1/scopes/" SCOPE_A "/sync HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Encoding: deflate\r\nContent-Length: 100000\r\n\r\n"
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
             f->tok_a);
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.m, NULL);
    s.port = f->sv.port;
    s.n = 4;
    s.per_addr = 4;
    s.first_addr = 3;
    s.req = req;
    s.prefix = (int)(strstr(req, "\r\n\r\n") - req) + 4;
    assert_int_equal(pthread_create(&t, NULL, slow_run, &s), 0);
    int64_t end = xt_mono_ms() + 9000;
    while (xt_mono_ms() < end) {
        pthread_mutex_lock(&s.m);
        int cuts = s.cuts;
        pthread_mutex_unlock(&s.m);
        if (cuts >= 4)
            break;
        usleep(200 * 1000);
    }
    s.stop = 1;
    pthread_join(t, NULL);
    print_message("slow bodies: %d cut\n", s.cuts);
    assert_true(s.cuts >= 4);
}

/* One address holds at most --max-per-address connections (32); another
 * address still gets in. */
static void test_robust__per_address_limit(void **state)
{
    xo_fx *f = *state;
    slow s;
    pthread_t t;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A);

    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.m, NULL);
    s.port = f->sv.port;
    s.n = 48;
    s.per_addr = 48;
    s.refuse_ms = 2500; /* the header deadline is 4 s */
    s.first_addr = 4;
    s.req = slow_headers;
    assert_int_equal(pthread_create(&t, NULL, slow_run, &s), 0);
    sleep(3);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    RUN_OK(xo_xa(f, ARGV("--db", pa, "sync")), "sync from another address");
    s.stop = 1;
    free(pa);
    pthread_join(t, NULL);
    print_message("one address: %d refused at once, %d cut\n", s.refused, s.cuts);
    /* 16 over the limit, refused again at each reconnection. */
    assert_true(s.refused >= 16);
}

/* ---------------------------------------------------------------------- */
/* Memory                                                                  */

/* kB of a /proc/PID/status line ("VmRSS:", "VmHWM:"). */
static long proc_kb(int pid, const char *key)
{
    char path[64], line[256];
    long v = -1;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    fclose(fp);
    assert_true(v >= 0);
    return v;
}

/* The request: `nops` tiny ops from one node, the author empty,
 * deflated.  *len its size. */
static unsigned char *tiny_ops_body(size_t nops, size_t *len)
{
    size_t cap = nops * 40 + 512, n = 0;
    char *t = malloc(cap);
    unsigned char *out = NULL;

    assert_non_null(t);
    n += (size_t)snprintf(t + n, cap - n,
                          "{\"format\":\"xasync-sync\",\"version\":1,\"scope\":\"" SCOPE_A
                          "\",\"node\":\"3d287d8c4e95944f\",\"have\":{},\"max\":10,"
                          "\"nodes\":{\"3d287d8c4e95944f\":[");
    for (size_t i = 1; i <= nops; i++)
        n += (size_t)snprintf(t + n, cap - n, "%s[%zu,\"e\",\"f\",\"v\",{},1,\"\"]",
                              i > 1 ? "," : "", i);
    n += (size_t)snprintf(t + n, cap - n, "]}}");
    assert_int_equal(xa_pack(&out, len, t, n, XA_PACK_DEFLATE), 0);
    free(t);
    return out;
}

typedef struct post_arg {
    int port;
    const char *token;
    const unsigned char *body;
    size_t len;
    xo_hresp r;
} post_arg;

static void *post_run(void *arg)
{
    post_arg *a = arg;

    a->r = xo_http(a->port, "/v1/scopes/" SCOPE_A "/sync", a->token, a->body, a->len);
    return NULL;
}

/* 1,000,000 tiny ops (2.5 MB on the wire) took the server to 770 MB, four
 * at once to 3 GB, never given back.  Now: refused early (413, nothing
 * stored), the peak stays under 64 MiB a request, and the memory is back
 * afterwards. */
static void test_robust__memory_bounded(void **state)
{
    xo_fx *f = *state;
    size_t len1 = 0, len2 = 0;
    unsigned char *b1 = tiny_ops_body(1000000, &len1);
    /* Under the inflated limit (8 MiB), over the count of JSON values. */
    unsigned char *b2 = tiny_ops_body(250000, &len2);
    uint64_t before = xt_db_digest(f->ddb);
    long base = proc_kb(f->sv.pid, "VmRSS:"), hwm0 = proc_kb(f->sv.pid, "VmHWM:");
    xo_hresp r;

    print_message("bodies: %zu and %zu bytes deflated\n", len1, len2);
    r = xo_http(f->sv.port, "/v1/scopes/" SCOPE_A "/sync", f->tok_a, b1, len1);
    xo_hresp r2 = xo_http(f->sv.port, "/v1/scopes/" SCOPE_A "/sync", f->tok_a, b2, len2);
    long one = proc_kb(f->sv.pid, "VmHWM:");

    post_arg a[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        a[i].port = f->sv.port;
        a[i].token = f->tok_a;
        a[i].body = i % 2 ? b2 : b1;
        a[i].len = i % 2 ? len2 : len1;
        assert_int_equal(pthread_create(&t[i], NULL, post_run, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    long four = proc_kb(f->sv.pid, "VmHWM:");
    usleep(1000 * 1000);
    long after = proc_kb(f->sv.pid, "VmRSS:");
    print_message("server RSS: %ld kB at start (peak %ld); peak %ld kB after one request, "
                  "%ld kB after four at once; %ld kB after\n",
                  base, hwm0, one, four, after);
    /* Refused early, as too big, not at the end for an empty author. */
    xo_refused(&r, 413, "limit");
    free(r.body);
    xo_refused(&r2, 413, "JSON values");
    free(r2.body);
    for (int i = 0; i < 4; i++) {
        xo_refused(&a[i].r, 413, NULL);
        free(a[i].r.body);
    }
    /* 64 MiB a request, stated; four at once under four times that. */
    assert_true(one - base < 64 * 1024);
    assert_true(four - base < 4 * 64 * 1024);
    /* Given back: within one request's bound of the start. */
    assert_true(after - base < 64 * 1024);
    free(b1);
    free(b2);
    assert_true(xt_db_digest(f->ddb) == before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_robust__memory_bounded, xo_setup_mem, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__slow_body_cut, xo_setup_short, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__per_address_limit, xo_setup_short,
                                        xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__slowloris_legit_syncs_succeed, xo_setup_short,
                                        xo_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
