/*
 * The district server and the editor refusing (issue 11): revoked and
 * rotated tokens, and the editor's own HTTP server (one Host header, JSON
 * only, a body over the limit). *
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
/* Tokens                                                                  */

static void test_robust__token_revoke(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *pb = xo_pc_new(f, "b.db", SCOPE_B);
    xt_run r;
    xo_hresp h;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    RUN_OK(xo_xa(f, ARGV("--db", pa, "sync")), "sync before");
    RUN_OK(xo_xa(f, ARGV("--db", pb, "set", "ind-4", "est", "7")), "set");

    /* Wrong usage and an unknown commune change nothing. */
    r = xo_district(f, ARGV("--db", f->ddb, "token", "revoke"));
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "usage: xasync-district token revoke"));
    xt_run_free(&r);
    uint64_t before = xt_db_digest(f->ddb);
    r = xo_district(f, ARGV("--db", f->ddb, "token", "revoke", "xa-khong-co"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no commune xa-khong-co"));
    xt_run_free(&r);
    assert_true(xt_db_digest(f->ddb) == before);

    /* Revoked while the server runs: refused from the next request on. */
    r = xo_district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A));
    if (r.status != 0)
        fail_msg("token revoke: exit %d: %s", r.status, r.err);
    assert_non_null(strstr(r.err, "revoked 1 token(s) of " SCOPE_A));
    assert_non_null(strstr(r.err, "đã thu hồi"));
    xt_run_free(&r);
    h = xo_http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", f->tok_a, NULL, 0);
    xo_refused(&h, 401, "token");
    free(h.body);
    before = xt_db_digest(f->ddb);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "641")), "set");
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "refused the token") == NULL)
        fail_msg("sync with a revoked token: [%s]", r.err);
    xt_run_free(&r);
    assert_true(xt_db_digest(f->ddb) == before);
    /* The other commune is untouched. */
    RUN_OK(xo_xa(f, ARGV("--db", pb, "sync")), "the other commune syncs");
    /* Nothing left to revoke: told so. */
    r = xo_district(f, ARGV("--db", f->ddb, "token", "revoke", SCOPE_A));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "no token to revoke"));
    xt_run_free(&r);
    /* A district token, by its label: the district's reads stop too. */
    char dtok[128];
    xo_read_token(f->dir, "district.token", dtok, sizeof dtok);
    h = xo_http(f->sv.port, "/v1/scopes", dtok, NULL, 0);
    assert_int_equal(h.status, 200);
    free(h.body);
    r = xo_district(f, ARGV("--db", f->ddb, "token", "revoke", "--district", "district"));
    assert_int_equal(r.status, 0);
    xt_run_free(&r);
    h = xo_http(f->sv.port, "/v1/scopes", dtok, NULL, 0);
    xo_refused(&h, 401, NULL);
    free(h.body);
    free(pa);
    free(pb);
}

static void test_robust__token_rotate(void **state)
{
    xo_fx *f = *state;
    char *pa = xo_pc_new(f, "a.db", SCOPE_A), *pa2 = xo_pc_new(f, "a2.db", SCOPE_A);
    char *tokfile = xt_path(f->dir, SCOPE_A ".token"), newtok[128];
    xt_run r;
    xo_hresp h;

    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "640")), "set");
    RUN_OK(xo_xa(f, ARGV("--db", pa, "sync")), "sync before");

    r = xo_district(f, ARGV("--db", f->ddb, "token", "rotate"));
    assert_int_equal(r.status, 2);
    xt_run_free(&r);
    r = xo_district(f, ARGV("--db", f->ddb, "token", "rotate", SCOPE_A));
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
    h = xo_http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", f->tok_a, NULL, 0);
    xo_refused(&h, 401, NULL);
    free(h.body);
    h = xo_http(f->sv.port, "/v1/scopes/" SCOPE_A "/state", newtok, NULL, 0);
    assert_int_equal(h.cc, CURLE_OK);
    assert_int_equal(h.status, 200);
    free(h.body);
    RUN_OK(xo_xa(f, ARGV("--db", pa, "set", "ind-4", "est", "641")), "set");
    r = xo_xa(f, ARGV("--db", pa, "sync"));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "refused the token"));
    xt_run_free(&r);

    /* The PCs pick the new token up from the file the district handed
     * over: its content replaced, nothing else done. */
    char line[160];
    snprintf(line, sizeof line, "%s\n", newtok);
    xt_write_file(tokfile, line, strlen(line));
    RUN_OK(xo_xa(f, ARGV("--db", pa, "sync")), "sync with the rotated token");
    RUN_OK(xo_xa(f, ARGV("--db", pa2, "sync")), "a second PC of the commune");
    r = xo_xa(f, ARGV("--db", pa2, "get", "ind-4", "est"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "641"));
    xt_run_free(&r);
    free(tokfile);
    free(pa);
    free(pa2);
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
    int64_t end = xt_mono_ms() + 10000;
    while (n + 1 < sizeof line && xt_mono_ms() < end && poll(&p, 1, 200) >= 0) {
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
    xo_fx *f = *state;
    char *db = xo_pc_new(f, "a.db", SCOPE_A), host[64], hosts[160], *body = NULL;
    editor e;
    xt_run r;

    RUN_OK(xo_xa(f, ARGV("--db", db, "set", "ind-4", "est", "1")), "set");
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
    r = xo_xa(f, ARGV("--db", db, "get", "ind-4", "est"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "5"));
    xt_run_free(&r);
    free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_robust__token_revoke, xo_setup, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__token_rotate, xo_setup, xo_teardown),
        cmocka_unit_test_setup_teardown(test_robust__editor_one_host_json_only_413, xo_setup,
                                        xo_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
