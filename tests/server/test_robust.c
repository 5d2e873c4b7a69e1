/*
 * The district server under abuse (issue 11): revoked and rotated tokens,
 * slow clients (slowloris), bodies that stall, too many connections from
 * one address, and requests that would take the server's memory.  The real
 * `xasync-district` on 127.0.0.1, real `xasync` PCs, libcurl, and raw
 * sockets for the slow clients (bound to 127.0.0.2... so that the PCs'
 * 127.0.0.1 is another address); every client is started and stopped by the
 * test, every loop bounded.
 */
#define _GNU_SOURCE
#include "support.h"
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

#define SCOPE_A "hoang-kim"
#define SCOPE_B "hoang-ha"
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct fx {
    char *dir;
    char *ddb;
    char *home;
    char tok_a[128];
    xt_server sv;
} fx;

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static void read_token(const char *dir, const char *name, char *out, size_t cap)
{
    char *path = xt_path(dir, name);
    size_t n = 0;
    char *t = xt_read_file(path, &n);

    assert_non_null(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r'))
        n--;
    assert_true(n > 0 && n < cap);
    memcpy(out, t, n);
    out[n] = '\0';
    free(t);
    free(path);
}

static int setup_with(void **state, const char *const *extra)
{
    fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE_A, SCOPE_B, NULL};

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    f->ddb = xt_district_setup(f->dir, scopes);
    read_token(f->dir, SCOPE_A ".token", f->tok_a, sizeof f->tok_a);
    xt_server_start(&f->sv, f->ddb, extra);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

/* Short deadlines, so that the slow-client tests take seconds. */
static int setup_short(void **state)
{
    return setup_with(state, ARGV("--header-timeout", "4", "--body-timeout", "3"));
}

/* The memory test's server: under AddressSanitizer, freed memory waits in a
 * quarantine (256 MB by default) before it can go back to the system; a
 * small one lets the test see what the server itself keeps. */
static int setup_mem(void **state)
{
    const char *old = getenv("ASAN_OPTIONS");
    char *saved = old ? strdup(old) : NULL;
    char opts[1024];
    int rc;

    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=4:allocator_release_to_os_interval_ms=50",
             old ? old : "", old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    rc = setup_with(state, NULL);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    return rc;
}

static int teardown(void **state)
{
    fx *f = *state;
    int rc = 0;

    if (f->sv.pid > 0 && xt_server_stop(&f->sv, SIGTERM) != 0)
        rc = -1;
    free(f->ddb);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return rc;
}

static xt_run xa(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    return xt_xasync(argv, NULL, env);
}

static xt_run district(const fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

#define RUN_OK(r, what)                                                                            \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        if (r_.status != 0)                                                                        \
            fail_msg("%s: exit %d\nstdout: [%s]\nstderr: [%s]", (what), r_.status, r_.out,         \
                     r_.err);                                                                      \
        xt_run_free(&r_);                                                                          \
    } while (0)

static char *pc_new(const fx *f, const char *name, const char *scope)
{
    char *db = xt_path(f->dir, name);

    xt_pc_setup(f->dir, db, scope, f->sv.port);
    return db;
}

/* ---------------------------------------------------------------------- */
/* HTTP with libcurl                                                       */

typedef struct hresp {
    CURLcode cc;
    long status;
    char *body;
    size_t n;
} hresp;

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    hresp *r = ud;
    size_t len = size * nmemb;

    if (r->n + len > 1024 * 1024)
        return 0;
    char *b = realloc(r->body, r->n + len + 1);
    if (b == NULL)
        return 0;
    r->body = b;
    memcpy(r->body + r->n, d, len);
    r->n += len;
    r->body[r->n] = '\0';
    return len;
}

/* POST `body` (deflate JSON) or GET when body is NULL, with `token`. */
static hresp http(int port, const char *path, const char *token, const void *body, size_t len)
{
    hresp r;
    struct curl_slist *h = NULL;
    char url[256], auth[256];
    CURL *c = curl_easy_init();

    memset(&r, 0, sizeof r);
    assert_non_null(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Expect:");
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "Content-Encoding: deflate");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    r.cc = curl_easy_perform(c);
    if (r.cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (r.body == NULL)
        r.body = calloc(1, 1);
    return r;
}

/* A refusal: `status` and {"error": "..."} holding `frag`. */
static void refused(const hresp *r, long status, const char *frag)
{
    cJSON *doc;
    const cJSON *e;

    if (r->cc != CURLE_OK)
        fail_msg("no HTTP answer: %s", curl_easy_strerror(r->cc));
    if (r->status != status)
        fail_msg("want HTTP %ld, got %ld: [%s]", status, r->status, r->body);
    doc = cJSON_Parse(r->body);
    assert_non_null(doc);
    e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    assert_true(cJSON_IsString(e) && e->valuestring[0]);
    if (frag && strstr(e->valuestring, frag) == NULL)
        fail_msg("want an error with '%s', got '%s'", frag, e->valuestring);
    cJSON_Delete(doc);
}

/* ---------------------------------------------------------------------- */
/* Tokens                                                                  */

static void test_robust__token_revoke(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *pb = pc_new(f, "b.db", SCOPE_B);
    xt_run r;
    hresp h;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    RUN_OK(xa(f, ARGV("--db", pa, "sync")), "sync before");
    RUN_OK(xa(f, ARGV("--db", pb, "set", "ind-4", "est", "7")), "set");

    /* Wrong usage and an unknown commune change nothing. */
    r = district(f, ARGV("--db", f->ddb, "token", "revoke"));
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "usage: xasync-district token revoke"));
    xt_run_free(&r);
    uint64_t before = xt_db_digest(f->ddb);
    r = district(f, ARGV("--db", f->ddb, "token", "revoke", "xa-khong-co"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no commune xa-khong-co"));
    xt_run_free(&r);
    assert_true(xt_db_digest(f->ddb) == before);

    /* Revoked while the server runs: refused from the next request on. */
    r = district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A));
    if (r.status != 0)
        fail_msg("token revoke: exit %d: %s", r.status, r.err);
    assert_non_null(strstr(r.err, "revoked 1 token(s) of " SCOPE_A));
    assert_non_null(strstr(r.err, "đã thu hồi"));
    xt_run_free(&r);
    h = http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", f->tok_a, NULL, 0);
    refused(&h, 401, "token");
    free(h.body);
    before = xt_db_digest(f->ddb);
    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "641")), "set");
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "refused the token") == NULL)
        fail_msg("sync with a revoked token: [%s]", r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(f->ddb) == before);
    /* The other commune is untouched. */
    RUN_OK(xa(f, ARGV("--db", pb, "sync")), "the other commune syncs");
    /* Nothing left to revoke: told so. */
    r = district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no token to revoke"));
    xt_run_free(&r);
    /* A district token, by its label: the district's reads stop too. */
    char dtok[128];
    read_token(f->dir, "district.token", dtok, sizeof dtok);
    h = http(f->sv.port, "/v1/scopes", dtok, NULL, 0);
    assert_int_equal(h.status, 200);
    free(h.body);
    r = district(f, ARGV("--db", f->ddb, "token", "revoke", "--district", "district"));
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    h = http(f->sv.port, "/v1/scopes", dtok, NULL, 0);
    refused(&h, 401, NULL);
    free(h.body);
    free(pa);
    free(pb);
}

static void test_robust__token_rotate(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *pa2 = pc_new(f, "a2.db", SCOPE_A);
    char *tokfile = xt_path(f->dir, SCOPE_A ".token"), newtok[128];
    xt_run r;
    hresp h;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    RUN_OK(xa(f, ARGV("--db", pa, "sync")), "sync before");

    r = district(f, ARGV("--db", f->ddb, "token", "rotate"));
    assert_int_equal(r.status, 2);
    xt_run_free(&r);
    r = district(f, ARGV("--db", f->ddb, "token", "rotate", SCOPE_A));
    if (r.status != 0)
        fail_msg("token rotate: exit %d: %s", r.status, r.err);
    /* The new token, once, alone on standard output. */
    assert_int_equal(r.outlen, 44);
    assert_int_equal(r.out[43], '\n');
    memcpy(newtok, r.out, 43);
    newtok[43] = '\0';
    assert_string_not_equal(newtok, f->tok_a);
    assert_non_null(strstr(r.err, "Replace the content of the token file"));
    xt_run_free(&r);

    /* The old token stops at once, on the running server. */
    h = http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", f->tok_a, NULL, 0);
    refused(&h, 401, NULL);
    free(h.body);
    h = http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", newtok, NULL, 0);
    assert_int_equal(h.cc, CURLE_OK);
    assert_int_equal(h.status, 200);
    free(h.body);
    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "641")), "set");
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "refused the token"));
    xt_run_free(&r);

    /* The PCs pick the new token up from the file the district handed
     * over: its content replaced, nothing else done. */
    char line[160];
    snprintf(line, sizeof line, "%s\n", newtok);
    xt_write_file(tokfile, line, strlen(line));
    RUN_OK(xa(f, ARGV("--db", pa, "sync")), "sync with the rotated token");
    RUN_OK(xa(f, ARGV("--db", pa2, "sync")), "a second PC of the commune");
    r = xa(f, ARGV("--db", pa2, "get", "ind-4", "est"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "641"));
    xt_run_free(&r);
    free(tokfile);
    free(pa);
    free(pa2);
}

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

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
        c[i].opened = now_ms();
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
                    if (now_ms() - c[i].opened < (s->refuse_ms ? s->refuse_ms : 500))
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
                c[i].opened = now_ms();
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
    fx *f = *state;
    slow s;
    pthread_t t;
    char *pa = pc_new(f, "a.db", SCOPE_A);
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
    int64_t end = now_ms() + 14000;
    while (now_ms() < end && tries < 200) {
        snprintf(v, sizeof v, "%d", tries);
        tries++;
        RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", v)), "set");
        xt_run r = xa(f, ARGV("--db", pa, "sync"));
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
    fx *f = *state;
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
    int64_t end = now_ms() + 9000;
    while (now_ms() < end) {
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
    fx *f = *state;
    slow s;
    pthread_t t;
    char *pa = pc_new(f, "a.db", SCOPE_A);

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
    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    RUN_OK(xa(f, ARGV("--db", pa, "sync")), "sync from another address");
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
    hresp r;
} post_arg;

static void *post_run(void *arg)
{
    post_arg *a = arg;

    a->r = http(a->port, "/v1/scopes/" SCOPE_A "/sync", a->token, a->body, a->len);
    return NULL;
}

/* 1,000,000 tiny ops (2.5 MB on the wire) took the server to 770 MB, four
 * at once to 3 GB, never given back.  Now: refused early (413, nothing
 * stored), the peak stays under 64 MiB a request, and the memory is back
 * afterwards. */
static void test_robust__memory_bounded(void **state)
{
    fx *f = *state;
    size_t len1 = 0, len2 = 0;
    unsigned char *b1 = tiny_ops_body(1000000, &len1);
    /* Under the inflated limit (8 MiB), over the count of JSON values. */
    unsigned char *b2 = tiny_ops_body(250000, &len2);
    uint64_t before = xt_db_digest(f->ddb);
    long base = proc_kb(f->sv.pid, "VmRSS:"), hwm0 = proc_kb(f->sv.pid, "VmHWM:");
    hresp r;

    print_message("bodies: %zu and %zu bytes deflated\n", len1, len2);
    r = http(f->sv.port, "/v1/scopes/" SCOPE_A "/sync", f->tok_a, b1, len1);
    hresp r2 = http(f->sv.port, "/v1/scopes/" SCOPE_A "/sync", f->tok_a, b2, len2);
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
    refused(&r, 413, "limit");
    free(r.body);
    refused(&r2, 413, "JSON values");
    free(r2.body);
    for (int i = 0; i < 4; i++) {
        refused(&a[i].r, 413, NULL);
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

/* ---------------------------------------------------------------------- */
/* The editor (`xasync ui`): the other HTTP server, on the clerk's PC      */

typedef struct editor {
    int pid, port;
    char secret[64];
} editor;

/* One raw HTTP exchange on a fresh connection: `req` sent as it is, the
 * status returned, the body (malloc'd) in *body. */
static int raw_http(int port, const char *req, size_t len, char **body)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = 0;
    size_t n = 0, cap = 1 << 16;
    char *buf = malloc(cap + 1);
    struct timeval tv = {10, 0};

    assert_true(fd >= 0 && buf != NULL);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(0x7f000001u);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
    for (;;) {
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
        char *he = strstr(buf, "\r\n\r\n");
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (he && cl && cl < he && n >= (size_t)(he + 4 - buf) + strtoul(cl + 17, NULL, 10))
            break;
        if (n == cap)
            break;
    }
    close(fd);
    buf[n] = '\0';
    if (n > 12 && strncmp(buf, "HTTP/1.", 7) == 0)
        status = atoi(buf + 9);
    if (body) {
        char *he = strstr(buf, "\r\n\r\n");
        *body = strdup(he ? he + 4 : "");
    }
    free(buf);
    return status;
}

static void editor_start(editor *e, const char *db, const char *home)
{
    int out[2];
    char line[512];
    size_t n = 0;

    memset(e, 0, sizeof *e);
    assert_int_equal(pipe(out), 0);
    e->pid = fork();
    assert_true(e->pid >= 0);
    if (e->pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        putenv((char *)home);
        execl(XA_BIN, XA_BIN, "--db", db, "ui", "--listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    /* "... editor: http://127.0.0.1:PORT/", within 10 s. */
    struct pollfd p = {out[0], POLLIN, 0};
    int64_t end = now_ms() + 10000;
    while (n + 1 < sizeof line && now_ms() < end && poll(&p, 1, 200) >= 0) {
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        ssize_t k = read(out[0], line + n, sizeof line - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        line[n] = '\0';
        if (strchr(line, '\n'))
            break;
    }
    close(out[0]);
    line[n] = '\0';
    const char *u = strstr(line, "http://127.0.0.1:");
    if (u == NULL)
        fail_msg("the editor did not start: [%s]", line);
    e->port = atoi(u + 17);
    /* The secret, from the page, as the browser gets it. */
    char req[256], *body = NULL;
    int len =
        snprintf(req, sizeof req,
                 "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", e->port);
    assert_int_equal(raw_http(e->port, req, (size_t)len, &body), 200);
    const char *m = strstr(body, "name=\"xasync-secret\" content=\"");
    assert_non_null(m);
    m += strlen("name=\"xasync-secret\" content=\"");
    size_t k = strcspn(m, "\"");
    assert_true(k > 0 && k < sizeof e->secret);
    memcpy(e->secret, m, k);
    free(body);
}

static void editor_stop(editor *e)
{
    int st;

    kill(e->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(e->pid, &st, WNOHANG) == e->pid)
            return;
        usleep(100 * 1000);
    }
    kill(e->pid, SIGKILL);
    waitpid(e->pid, &st, 0);
}

/* A POST /api/set of `value`, with `headers` (each ending in CRLF). */
static int editor_set(const editor *e, const char *headers, const char *value, char **body)
{
    char req[1024], json[128];
    int jl = snprintf(json, sizeof json,
                      "{\"entity\":\"ind-4\",\"field\":\"est\",\"value\":\"%s\"}", value);
    int len = snprintf(req, sizeof req,
                       "POST /api/set HTTP/1.1\r\n%sX-Xasync-Secret: %s\r\nContent-Length: %d\r\n"
                       "Connection: close\r\n\r\n%s",
                       headers, e->secret, jl, json);
    return raw_http(e->port, req, (size_t)len, body);
}

static void test_robust__editor_one_host_json_only_413(void **state)
{
    fx *f = *state;
    char *db = pc_new(f, "a.db", SCOPE_A), host[64], hosts[160], *body = NULL;
    editor e;
    xt_run r;

    RUN_OK(xa(f, ARGV("--db", db, "set", "ind-4", "est", "1")), "set");
    editor_start(&e, db, f->home);
    snprintf(host, sizeof host, "Host: 127.0.0.1:%d\r\n", e.port);
    uint64_t before = xt_db_digest(db);

    /* Two Host headers, the first one our own: refused. */
    snprintf(hosts, sizeof hosts, "%sHost: evil.example\r\nContent-Type: application/json\r\n",
             host);
    assert_int_equal(editor_set(&e, hosts, "2", &body), 400);
    assert_non_null(strstr(body, "Host"));
    free(body);
    /* The secret, but not JSON: 415. */
    snprintf(hosts, sizeof hosts, "%sContent-Type: text/plain\r\n", host);
    assert_int_equal(editor_set(&e, hosts, "3", &body), 415);
    assert_non_null(strstr(body, "application/json"));
    free(body);
    snprintf(hosts, sizeof hosts, "%s", host);
    assert_int_equal(editor_set(&e, hosts, "4", &body), 415);
    free(body);
    /* A declared body over the limit: 413 before it is sent. */
    char req[512];
    int len = snprintf(req, sizeof req,
                       "POST /api/set HTTP/1.1\r\n%sContent-Type: application/json\r\n"
                       "X-Xasync-Secret: %s\r\nContent-Length: 50000000\r\n\r\n{",
                       host, e.secret);
    assert_int_equal(raw_http(e.port, req, (size_t)len, &body), 413);
    free(body);
    assert_true(xt_db_digest(db) == before);
    /* A value over the store's limit (64 KiB) in a body the editor takes:
     * 413 with the store's message, as the district server answers. */
    {
        size_t vn = 70000;
        char *big = malloc(vn + 512), *rq = malloc(vn + 1024);
        assert_true(big && rq);
        int jl = sprintf(big, "{\"entity\":\"ind-4\",\"field\":\"est\",\"value\":\"");
        memset(big + jl, 'x', vn);
        jl += (int)vn;
        jl += sprintf(big + jl, "\"}");
        int rl = sprintf(rq,
                         "POST /api/set HTTP/1.1\r\n%sContent-Type: application/json\r\n"
                         "X-Xasync-Secret: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
                         host, e.secret, jl);
        memcpy(rq + rl, big, (size_t)jl);
        rl += jl;
        assert_int_equal(raw_http(e.port, rq, (size_t)rl, &body), 413);
        free(body);
        free(big);
        free(rq);
        assert_true(xt_db_digest(db) == before);
    }

    /* The page's own write still works. */
    snprintf(hosts, sizeof hosts, "%sContent-Type: application/json; charset=utf-8\r\n", host);
    assert_int_equal(editor_set(&e, hosts, "5", &body), 200);
    free(body);
    editor_stop(&e);
    r = xa(f, ARGV("--db", db, "get", "ind-4", "est"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "5"));
    xt_run_free(&r);
    free(db);
}

/* ---------------------------------------------------------------------- */
/* Messages that send the clerk the right way                              */

#include "xasync/store.h"
#include "xasync/syncstate.h"

/* A self-signed certificate for 127.0.0.1 and its key, in dir. */
static void make_cert(const fx *f, const char *cert, const char *key)
{
    xt_run r =
        xt_exec("/usr/bin/openssl",
                ARGV("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1"),
                NULL, NULL);
    if (r.status != 0)
        fail_msg("openssl: %s", r.err);
    xt_run_free(&r);
    (void)f;
}

/* An https:// address on the plain server is not the certificate's fault;
 * an http:// address on a TLS server says to try https://. */
static void test_robust__http_https_mixups_told(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *tok = xt_path(f->dir, SCOPE_A ".token");
    char *cert = xt_path(f->dir, "cert.pem"), *key = xt_path(f->dir, "key.pem"), url[64];
    xt_run r;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    snprintf(url, sizeof url, "https://127.0.0.1:%d", f->sv.port);
    RUN_OK(xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok)), "remote set");
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "does not speak TLS") == NULL || strstr(r.err, "http://") == NULL ||
        strstr(r.err, "không dùng TLS") == NULL || strstr(r.err, "could not be verified"))
        fail_msg("https:// to a plain server: [%s]", r.err);
    xt_run_free(&r);

    /* The same district, now over TLS, and the PC still on http://. */
    make_cert(f, cert, key);
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    xt_server_start(&f->sv, f->ddb, ARGV("--tls-cert", cert, "--tls-key", key));
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f->sv.port);
    RUN_OK(xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok)), "remote set");
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "https://") == NULL || strstr(r.err, "answered nothing") == NULL ||
        strstr(r.err, "không trả lời") == NULL)
        fail_msg("http:// to a TLS server: [%s]", r.err);
    xt_run_free(&r);
    /* And with https:// and its certificate, it syncs. */
    snprintf(url, sizeof url, "https://127.0.0.1:%d", f->sv.port);
    RUN_OK(xa(f, ARGV("--db", pa, "remote", "set", url, "--token-file", tok, "--cacert", cert)),
           "remote set");
    RUN_OK(xa(f, ARGV("--db", pa, "sync")), "sync over TLS");
    free(pa);
    free(tok);
    free(cert);
    free(key);
}

/* `serve` with a key that is not the certificate's: refused before it
 * says "listening on", with a message naming both files. */
static void test_robust__serve_bad_tls_no_listening(void **state)
{
    fx *f = *state;
    char *cert = xt_path(f->dir, "cert.pem"), *key = xt_path(f->dir, "key.pem");
    char *cert2 = xt_path(f->dir, "cert2.pem"), *key2 = xt_path(f->dir, "key2.pem");
    xt_run r;

    make_cert(f, cert, key);
    make_cert(f, cert2, key2);
    r = district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert,
                         "--tls-key", key2));
    assert_int_equal(r.status, 1);
    if (strstr(r.out, "listening on") != NULL)
        fail_msg("said listening: [%s]", r.out);
    if (strstr(r.err, "cannot be used") == NULL || strstr(r.err, "key2.pem") == NULL ||
        strstr(r.err, "không dùng được") == NULL)
        fail_msg("bad TLS pair: [%s]", r.err);
    xt_run_free(&r);
    xt_write_file(key2, "not a key\n", 10);
    r = district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert,
                         "--tls-key", key2));
    assert_int_equal(r.status, 1);
    assert_null(strstr(r.out, "listening on"));
    assert_non_null(strstr(r.err, "cannot be used"));
    xt_run_free(&r);
    free(cert);
    free(key);
    free(cert2);
    free(key2);
}

/* `status` tells a refusal, a full disk and a lost link apart. */
static void test_robust__status_tells_failures_apart(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A);
    xt_run r;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "1")), "set");
    /* A refusal: the token revoked. */
    RUN_OK(district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A)), "revoke");
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    xt_run_free(&r);
    r = xa(f, ARGV("--db", pa, "status"));
    assert_int_equal(r.status, 0);
    if (strstr(r.out, "refuses the sync") == NULL || strstr(r.out, "no connection") ||
        strstr(r.out, "báo huyện") == NULL)
        fail_msg("status after a refusal: [%s]", r.out);
    xt_run_free(&r);
    r = xa(f, ARGV("--db", pa, "status", "--json"));
    assert_non_null(strstr(r.out, "\"failure\":\t\"refused\""));
    xt_run_free(&r);
    /* A lost link: the server gone. */
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    r = xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    xt_run_free(&r);
    r = xa(f, ARGV("--db", pa, "status"));
    if (strstr(r.out, "no connection since") == NULL || strstr(r.out, "refuses"))
        fail_msg("status after a lost link: [%s]", r.out);
    xt_run_free(&r);
    /* A full disk, as the sync records it. */
    xa_store *st = NULL;
    xa_attempt a;
    assert_int_equal(xa_store_open(&st, pa), 0);
    memset(&a, 0, sizeof a);
    a.started = a.ended = (int64_t)time(NULL) * 1000;
    snprintf(a.error, sizeof a.error, "the disk is full while writing the journal");
    assert_int_equal(xa_syncstate_attempt_add(st, &a), 0);
    xa_store_close(st);
    r = xa(f, ARGV("--db", pa, "status"));
    if (strstr(r.out, "disk is full since") == NULL || strstr(r.out, "no connection") ||
        strstr(r.out, "ổ đĩa đầy") == NULL)
        fail_msg("status after a full disk: [%s]", r.out);
    xt_run_free(&r);
    free(pa);
}

/* A database cut short is ours, damaged: not "not an xasync database";
 * `xasync` on the district's database says whose it is, not "invalid
 * scope ''".  Nothing is changed either way. */
static void test_robust__damaged_and_district_db_told(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *cut = xt_path(f->dir, "cut.db");
    size_t n = 0;
    char *bytes;
    xt_run r;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    bytes = xt_read_file(pa, &n);
    assert_true(bytes != NULL && n > 8192);
    xt_write_file(cut, bytes, 8192);
    free(bytes);
    uint64_t before = xt_file_digest(cut);
    r = xa(f, ARGV("--db", cut, "show"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "damaged or cut short") == NULL || strstr(r.err, "bị hỏng") == NULL ||
        strstr(r.err, "restore it from a backup") == NULL)
        fail_msg("a cut database: [%s]", r.err);
    xt_run_free(&r);
    assert_true(xt_file_digest(cut) == before);

    before = xt_db_digest(f->ddb);
    const char *const *cmds[] = {ARGV("--db", f->ddb, "show"),
                                 ARGV("--db", f->ddb, "set", "ind-4", "est", "1"),
                                 ARGV("--db", f->ddb, "sync")};
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        r = xa(f, cmds[k]);
        assert_int_equal(r.status, 1);
        if (strstr(r.err, "the district server's database") == NULL ||
            strstr(r.err, "xasync-district") == NULL || strstr(r.err, "máy chủ huyện") == NULL ||
            strstr(r.err, "invalid scope"))
            fail_msg("xasync on the district's database: [%s]", r.err);
        xt_run_free(&r);
    }
    assert_true(xt_db_digest(f->ddb) == before);
    free(cut);
    free(pa);
}

/* Run xasync as the unprivileged user 65534 (only a root test can);
 * returns the exit status, stderr in *err (malloc'd). */
static int xa_as_nobody(const fx *f, const char *const *argv, char **err)
{
    char *errf = xt_path(f->dir, "nobody.err");
    const char *args[16];
    size_t n = 0;
    int st;

    args[n++] = XA_BIN;
    for (size_t i = 0; argv[i] && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd < 0 || dup2(fd, 2) < 0 || setgroups(0, NULL) != 0 ||
            setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(126);
        if (access(XA_BIN, X_OK) != 0)
            _exit(125); /* the program is out of that user's reach here */
        execv(XA_BIN, (char *const *)args);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    *err = xt_read_file(errf, NULL);
    if (*err == NULL)
        *err = strdup("");
    free(errf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A read-only database (a copy on a read-only stick, a file of another
 * user) is told as such, not as "not an xasync database". */
static void test_robust__read_only_db_told(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *err = NULL;

    if (geteuid() != 0)
        xt_skip("a read-only database needs a second user: run the tests as root");
    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    chmod(f->dir, 0755);
    chmod(pa, 0644);
    uint64_t before = xt_file_digest(pa);
    /* Readable, not writable (the folder neither): a write is refused,
     * saying why; a read shows it as it is. */
    int rc = xa_as_nobody(f, ARGV("--db", pa, "set", "ind-4", "est", "641"), &err);
    if (rc == 125) {
        free(err);
        free(pa);
        xt_skip("user 65534 cannot reach the program here (a folder on its path, such as a"
                " chroot's root, is closed to other users)");
    }
    assert_int_equal(rc, 1);
    if (strstr(err, "cannot be written (read-only") == NULL || strstr(err, "chỉ đọc") == NULL ||
        strstr(err, "not an xasync database") || strstr(err, "damaged"))
        fail_msg("a read-only database: [%s]", err);
    free(err);
    rc = xa_as_nobody(f, ARGV("--db", pa, "show"), &err);
    if (rc != 0 || strstr(err, "can only be read") == NULL)
        fail_msg("reading a read-only database: exit %d [%s]", rc, err);
    free(err);
    /* Not even readable. */
    chmod(pa, 0600);
    rc = xa_as_nobody(f, ARGV("--db", pa, "show"), &err);
    assert_int_equal(rc, 1);
    if (strstr(err, "may not be read") == NULL || strstr(err, "not an xasync database"))
        fail_msg("an unreadable database: [%s]", err);
    free(err);
    assert_true(xt_file_digest(pa) == before);
    chmod(f->dir, 0700);
    free(pa);
}

/* A copy on a read-only disk or stick (a read-only bind mount here): it
 * reads, with a note; a write is refused; the file is unchanged. */
static void test_robust__read_only_copy_readable(void **state)
{
    fx *f = *state;
    char *pa = pc_new(f, "a.db", SCOPE_A), *ro = xt_path(f->dir, "stick");
    char *db = NULL;

    RUN_OK(xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    assert_int_equal(mkdir(ro, 0755), 0);
    if (mount(f->dir, ro, NULL, MS_BIND, NULL) != 0) {
        free(pa);
        free(ro);
        xt_skip("a read-only mount needs root (CAP_SYS_ADMIN) here");
    }
    if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
        umount2(ro, MNT_DETACH);
        free(pa);
        free(ro);
        xt_skip("a read-only remount is not allowed here");
    }
    db = xt_path(ro, "a.db");
    uint64_t before = xt_file_digest(pa);
    xt_run get = xa(f, ARGV("--db", db, "get", "ind-4", "est"));
    xt_run have = xa(f, ARGV("--db", db, "have"));
    xt_run set = xa(f, ARGV("--db", db, "set", "ind-4", "est", "641"));
    umount2(ro, MNT_DETACH);

    if (get.status != 0 || strstr(get.out, "640") == NULL ||
        strstr(get.err, "can only be read") == NULL || strstr(get.err, "chỉ đọc được") == NULL)
        fail_msg("get on a read-only copy: exit %d [%s] [%s]", get.status, get.out, get.err);
    assert_int_equal(have.status, 0);
    assert_int_equal(set.status, 1);
    if (strstr(set.err, "cannot be written (read-only") == NULL)
        fail_msg("set on a read-only copy: [%s]", set.err);
    assert_true(xt_file_digest(pa) == before);
    xt_run_free(&get);
    xt_run_free(&have);
    xt_run_free(&set);
    free(db);
    free(pa);
    free(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_robust__token_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__token_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__editor_one_host_json_only_413, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_robust__http_https_mixups_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__serve_bad_tls_no_listening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__status_tells_failures_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__damaged_and_district_db_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__read_only_db_told, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__read_only_copy_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_robust__memory_bounded, setup_mem, teardown),
        cmocka_unit_test_setup_teardown(test_robust__slow_body_cut, setup_short, teardown),
        cmocka_unit_test_setup_teardown(test_robust__per_address_limit, setup_short, teardown),
        cmocka_unit_test_setup_teardown(test_robust__slowloris_legit_syncs_succeed, setup_short,
                                        teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
