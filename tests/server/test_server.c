/*
 * The district server against docs/design.md ("The protocol", "The district
 * server"): the real `xasync-district serve` on 127.0.0.1, a port chosen by
 * the OS, spoken to with libcurl directly (so every header and body is the
 * test's choice) and by real `xasync` PCs.
 *
 * What a refusal must look like, everywhere: the documented 4xx status, a
 * Content-Type of application/json, a body that is a JSON object with a
 * non-empty "error" string, and the district database as it was (same
 * logical digest, read through SQLite, so the WAL is seen).
 *
 * Every test has its own folder, district database (communes A and B, a
 * district token) and server; teardown stops the server with SIGTERM and
 * fails unless it exits 0.
 */
#include "support.h"
#include "xasync/changeset.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

#define SCOPE_A "hoang-kim"
#define SCOPE_B "hoang-ha"
#define REPORT "report-2024-h1"
/* Largest answer the tests read; a bigger one fails the test. */
#define RESP_MAX ((size_t)64 * 1024 * 1024)
#define HTTP_TIMEOUT_S 120L

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */

typedef struct fx {
    char *dir;
    char *ddb;  /* dir/district.db */
    char *home; /* "HOME=dir" */
    char tok_a[128], tok_b[128], tok_d[128];
    xt_server sv;
} fx;

static void read_token(const char *dir, const char *name, char *out, size_t cap)
{
    char *path = xt_path(dir, name);
    size_t n = 0;
    char *t = xt_read_file(path, &n);

    if (t == NULL)
        fail_msg("no token file %s", path);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
        n--;
    if (n == 0 || n >= cap)
        fail_msg("token file %s holds %zu bytes", path, n);
    memcpy(out, t, n);
    out[n] = '\0';
    free(t);
    free(path);
}

static char *cat2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    assert_non_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE_A, SCOPE_B, NULL};

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->home = cat2("HOME=", f->dir);
    f->ddb = xt_district_setup(f->dir, scopes);
    read_token(f->dir, SCOPE_A ".token", f->tok_a, sizeof f->tok_a);
    read_token(f->dir, SCOPE_B ".token", f->tok_b, sizeof f->tok_b);
    read_token(f->dir, "district.token", f->tok_d, sizeof f->tok_d);
    xt_server_start(&f->sv, f->ddb, NULL);
    *state = f;
    return 0;
}

/* Stops the server with SIGTERM: a clean stop is exit 0, else the test
 * fails here. */
static int teardown(void **state)
{
    fx *f = *state;
    int rc = 0;

    if (f->sv.pid > 0) {
        int st = xt_server_stop(&f->sv, SIGTERM);
        if (st != 0) {
            print_error("xasync-district exited %d on SIGTERM (want 0)\n", st);
            rc = -1;
        }
    }
    free(f->ddb);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return rc;
}

/* The server is still running (not exited, not killed). */
static void assert_alive(fx *f)
{
    int st;

    assert_true(f->sv.pid > 0);
    if (waitpid((pid_t)f->sv.pid, &st, WNOHANG) == (pid_t)f->sv.pid) {
        f->sv.pid = 0;
        fail_msg("xasync-district died: %s %d", WIFEXITED(st) ? "exit" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    }
}

/* Restart the server with `extra` options. */
static void restart(fx *f, const char *const *extra)
{
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    xt_server_start(&f->sv, f->ddb, extra);
}

/* ---------------------------------------------------------------------- */
/* HTTP with libcurl                                                       */

typedef struct hreq {
    const char *method; /* "GET", "POST" or another verb */
    const char *path;
    const char *token; /* NULL: no Authorization header */
    const char *auth;  /* a whole Authorization value instead of the token */
    const char *ctype; /* NULL: no Content-Type */
    const char *cenc;  /* NULL: no Content-Encoding */
    const unsigned char *body;
    size_t len;
    int chunked;       /* send the body chunked, with no Content-Length */
    const char *extra; /* one more header line, or NULL */
} hreq;

typedef struct hresp {
    CURLcode cc;
    long status; /* 0: no HTTP answer */
    char ctype[128];
    char cenc[64];
    char wwwauth[128];
    char *body; /* NUL-terminated */
    size_t n;
    int over;
} hresp;

typedef struct upload {
    const unsigned char *p;
    size_t len, off;
} upload;

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    hresp *r = ud;
    size_t len = size * nmemb;

    if (len > RESP_MAX - r->n) {
        r->over = 1;
        return 0;
    }
    char *b = realloc(r->body, r->n + len + 1);
    if (b == NULL)
        return 0;
    r->body = b;
    memcpy(r->body + r->n, d, len);
    r->n += len;
    r->body[r->n] = '\0';
    return len;
}

/* If the header line `d` is `name` (with its colon), copy its value. */
static void header_value(const char *d, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name), k = 0;

    if (len < nl || strncasecmp(d, name, nl) != 0)
        return;
    d += nl;
    len -= nl;
    while (len > 0 && (*d == ' ' || *d == '\t')) {
        d++;
        len--;
    }
    while (k < len && d[k] != '\r' && d[k] != '\n' && k + 1 < cap)
        k++;
    memcpy(out, d, k);
    out[k] = '\0';
}

static size_t on_header(char *d, size_t size, size_t nmemb, void *ud)
{
    hresp *r = ud;
    size_t len = size * nmemb;

    if (len >= 5 && strncmp(d, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue): forget the last one's. */
        r->cenc[0] = '\0';
        r->wwwauth[0] = '\0';
    }
    header_value(d, len, "Content-Encoding:", r->cenc, sizeof r->cenc);
    header_value(d, len, "WWW-Authenticate:", r->wwwauth, sizeof r->wwwauth);
    return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
    upload *u = ud;
    size_t want = size * nmemb, left = u->len - u->off;

    if (want > left)
        want = left;
    memcpy(buf, u->p + u->off, want);
    u->off += want;
    return want;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value)
{
    char line[512];
    struct curl_slist *n;

    if ((size_t)snprintf(line, sizeof line, "%s: %s", name, value ? value : "") >= sizeof line)
        fail_msg("header %s too long", name);
    /* "Name:" with nothing after it tells libcurl not to send its own. */
    if (value == NULL)
        line[strlen(name) + 1] = '\0';
    n = curl_slist_append(h, line);
    if (n == NULL)
        fail_msg("out of memory");
    return n;
}

/* One request on a fresh connection, bounded by HTTP_TIMEOUT_S. */
static hresp http(const fx *f, const hreq *q)
{
    hresp r;
    struct curl_slist *h = NULL;
    char url[512], auth[512], *ct = NULL;
    upload up = {q->body, q->len, 0};
    CURL *c = curl_easy_init();

    memset(&r, 0, sizeof r);
    assert_non_null(c);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", f->sv.port, q->path);
    if (q->auth) {
        h = add_header(h, "Authorization", q->auth);
    } else if (q->token) {
        snprintf(auth, sizeof auth, "Bearer %s", q->token);
        h = add_header(h, "Authorization", auth);
    }
    h = add_header(h, "Content-Type", q->ctype);
    if (q->cenc)
        h = add_header(h, "Content-Encoding", q->cenc);
    h = add_header(h, "Expect", NULL);
    if (q->chunked)
        h = add_header(h, "Transfer-Encoding", "chunked");
    if (q->extra) {
        struct curl_slist *n = curl_slist_append(h, q->extra);
        assert_non_null(n);
        h = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (q->chunked) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? (const char *)q->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
    }
    if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    r.cc = curl_easy_perform(c);
    if (r.cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
            snprintf(r.ctype, sizeof r.ctype, "%s", ct);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (r.over)
        fail_msg("the answer to %s %s is over %zu bytes", q->method, q->path, RESP_MAX);
    if (r.body == NULL) {
        r.body = calloc(1, 1);
        assert_non_null(r.body);
    }
    return r;
}

static void hresp_free(hresp *r)
{
    free(r->body);
    r->body = NULL;
}

static hresp get(const fx *f, const char *path, const char *token)
{
    hreq q = {"GET", path, token, NULL, NULL, NULL, NULL, 0, 0, NULL};

    return http(f, &q);
}

/* POST a body packed as `kind`, with that kind's headers. */
static hresp post_kind(
    const fx *f, const char *path, const char *token, int kind, const unsigned char *b, size_t n)
{
    hreq q = {"POST", path, token, NULL, NULL, NULL, b, n, 0, NULL};

    q.ctype = kind == XA_PACK_DICT ? XA_MEDIA_CHANGESET : "application/json";
    q.cenc = kind == XA_PACK_DEFLATE ? "deflate" : kind == XA_PACK_GZIP ? "gzip" : NULL;
    return http(f, &q);
}

static const char *sync_path(const char *scope)
{
    static char p[128];

    snprintf(p, sizeof p, "/v1/scopes/%s/sync", scope);
    return p;
}

static const char *state_path(const char *scope)
{
    static char p[128];

    snprintf(p, sizeof p, "/v1/scopes/%s/state", scope);
    return p;
}

/* ---------------------------------------------------------------------- */
/* Bodies                                                                  */

/* A sync request's text: `nodes` is the inside of the "nodes" object. */
static char *req_text(const char *scope, const char *node, const char *nodes)
{
    size_t cap = strlen(nodes) + strlen(scope) + 256;
    char *t = malloc(cap);

    assert_non_null(t);
    snprintf(t, cap,
             "{\"format\":\"xasync-sync\",\"version\":1,\"scope\":\"%s\",\"node\":\"%s\","
             "\"have\":{},\"max\":1000,\"nodes\":{%s}}",
             scope, node, nodes);
    return t;
}

static unsigned char *pack(const char *text, size_t len, int kind, size_t *outlen)
{
    unsigned char *out = NULL;

    assert_int_equal(xa_pack(&out, outlen, text, len, kind), 0);
    return out;
}

/* A well-formed request of `scope` with one op (node, seq) and its packing. */
static unsigned char *
one_op_body(const char *scope, const char *node, int seq, const char *value, int kind, size_t *n)
{
    char nodes[512], *t;
    unsigned char *b;

    snprintf(nodes, sizeof nodes,
             "\"%s\":[[%d,\"" REPORT "\",\"title\",\"%s\",{},1717200000000,\"Lê Thị Lan\"]]", node,
             seq, value);
    t = req_text(scope, node, nodes);
    b = pack(t, strlen(t), kind, n);
    free(t);
    return b;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */

/* A refusal: `status`, JSON, an "error" string.  Returns the parsed body
 * (the caller frees it with cJSON_Delete). */
static cJSON *refused_at(const hresp *r, long status, const char *file, int line)
{
    cJSON *doc, *e;

    if (r->cc != CURLE_OK)
        fail_msg("%s:%d: no HTTP answer: %s", file, line, curl_easy_strerror(r->cc));
    if (r->status != status)
        fail_msg("%s:%d: want HTTP %ld, got %ld: [%s]", file, line, status, r->status, r->body);
    if (strncasecmp(r->ctype, "application/json", 16) != 0 ||
        (r->ctype[16] != '\0' && r->ctype[16] != ';'))
        fail_msg("%s:%d: want application/json, got '%s'", file, line, r->ctype);
    doc = cJSON_ParseWithLength(r->body, r->n);
    if (doc == NULL || !cJSON_IsObject(doc))
        fail_msg("%s:%d: the error body is not a JSON object: [%s]", file, line, r->body);
    e = cJSON_GetObjectItemCaseSensitive(doc, "error");
    if (!cJSON_IsString(e) || e->valuestring[0] == '\0')
        fail_msg("%s:%d: no \"error\" string in [%s]", file, line, r->body);
    return doc;
}
#define REFUSED(r, status) refused_at(&(r), (status), __FILE__, __LINE__)
/* Same, when nothing else in the body is to be checked. */
#define MUST_REFUSE(r, status) cJSON_Delete(REFUSED(r, status))

static void ok_json_at(const hresp *r, const char *file, int line)
{
    if (r->cc != CURLE_OK)
        fail_msg("%s:%d: no HTTP answer: %s", file, line, curl_easy_strerror(r->cc));
    if (r->status != 200 || strncasecmp(r->ctype, "application/json", 16) != 0)
        fail_msg("%s:%d: want 200 application/json, got %ld '%s': [%s]", file, line, r->status,
                 r->ctype, r->body);
}
#define MUST_OK_JSON(r) ok_json_at(&(r), __FILE__, __LINE__)

#define SAME_DB(f, before) assert_int_equal(xt_db_digest((f)->ddb), (before))

static const char *str_member(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* ---------------------------------------------------------------------- */
/* PCs and the district command                                            */

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

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

static void must_ok_at(xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: exit %d\nstdout: [%s]\nstderr: [%s]", file, line, what, r->status,
                 r->out, r->err);
    xt_run_free(r);
}
#define RUN_OK(r, what)                                                                            \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        must_ok_at(&r_, (what), __FILE__, __LINE__);                                               \
    } while (0)

/* A PC of `scope` at dir/<name>, its remote set to this server. */
static char *pc_new(const fx *f, const char *name, const char *scope)
{
    char *db = xt_path(f->dir, name);

    xt_pc_setup(f->dir, db, scope, f->sv.port);
    return db;
}

static void
pc_set(const fx *f, const char *db, const char *entity, const char *field, const char *v)
{
    RUN_OK(xa(f, ARGV("--db", db, "set", entity, field, v)), "xasync set");
}

static void pc_sync(const fx *f, const char *db)
{
    RUN_OK(xa(f, ARGV("--db", db, "sync")), "xasync sync");
}

/* The PC's ops, as an ops file parsed (cJSON_Delete it). */
static cJSON *pc_export(const fx *f, const char *db)
{
    xt_run r = xa(f, ARGV("--db", db, "export-ops", "--all"));
    cJSON *doc;

    if (r.status != 0)
        fail_msg("export-ops: %s", r.err);
    doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    xt_run_free(&r);
    return doc;
}

/* An exported ops file made into a sync request of `scope` (the ops are
 * relabelled), packed as `kind`. */
static unsigned char *export_to_request(cJSON *ops, const char *scope, int kind, size_t *n)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(ops, "nodes");
    char *text;
    unsigned char *b;

    assert_true(cJSON_IsObject(nodes) && nodes->child != NULL);
    cJSON_ReplaceItemInObjectCaseSensitive(ops, "format", cJSON_CreateString("xasync-sync"));
    cJSON_ReplaceItemInObjectCaseSensitive(ops, "scope", cJSON_CreateString(scope));
    cJSON_DeleteItemFromObjectCaseSensitive(ops, "node");
    cJSON_AddStringToObject(ops, "node", nodes->child->string);
    cJSON_DeleteItemFromObjectCaseSensitive(ops, "have");
    cJSON_AddObjectToObject(ops, "have");
    cJSON_DeleteItemFromObjectCaseSensitive(ops, "max");
    cJSON_AddNumberToObject(ops, "max", 1000);
    text = cJSON_PrintUnformatted(ops);
    assert_non_null(text);
    b = pack(text, strlen(text), kind, n);
    free(text);
    return b;
}

/* stderr is one line "xasync-district: ...\n" holding `frag`, stdout
 * empty, exit `code`. */
static void district_error_at(xt_run *r, int code, const char *frag, const char *file, int line)
{
    const char *nl = memchr(r->err, '\n', r->errlen);

    if (r->status != code || r->outlen != 0 || r->errlen < 18 ||
        memcmp(r->err, "xasync-district: ", 17) != 0 || nl == NULL ||
        (size_t)(nl - r->err) != r->errlen - 1 || (frag && strstr(r->err, frag) == NULL))
        fail_msg("%s:%d: want exit %d and one error line with '%s'; got exit %d\n"
                 "stdout: [%s]\nstderr: [%s]",
                 file, line, code, frag ? frag : "", r->status, r->out, r->err);
    xt_run_free(r);
}
#define DISTRICT_ERROR(r, code, frag)                                                              \
    do {                                                                                           \
        xt_run r_ = (r);                                                                           \
        district_error_at(&r_, (code), (frag), __FILE__, __LINE__);                                \
    } while (0)

/* ---------------------------------------------------------------------- */
/* Bodies the server must refuse                                           */

static void test_server__malformed_json_refused(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {
        "{\"format\":\"xasync-sync\",\"version\":1,", /* cut short */
        "{\"format\":\"xasync-sync\" \"version\":1}", /* no comma */
        "[]",
        "{\"a\":1}",
        "",
        "{\"format\":\"xasync-sync\",\"version\":1,\"scope\":\"" SCOPE_A "\",\"node\":"
        "\"00000000000000a1\",\"have\":{},\"max\":10,\"nodes\":{}} trailing",
    };
    uint64_t before = xt_db_digest(f->ddb);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static const int kinds[] = {XA_PACK_DICT, XA_PACK_DEFLATE, XA_PACK_GZIP};
        for (size_t k = 0; k < 3; k++) {
            size_t n;
            unsigned char *b = pack(bad[i], strlen(bad[i]), kinds[k], &n);
            hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, kinds[k], b, n);
            MUST_REFUSE(r, 400);
            hresp_free(&r);
            free(b);
        }
    }
    SAME_DB(f, before);
}

static void test_server__json_without_content_encoding_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    hreq q = {"POST", sync_path(SCOPE_A), f->tok_a, NULL, "application/json", NULL, b, n, 0, NULL};
    hresp r = http(f, &q);

    MUST_REFUSE(r, 415);
    hresp_free(&r);

    /* The plain text, not compressed at all, is refused the same way. */
    char *t = req_text(SCOPE_A, "00000000000000a1", "");
    q.body = (const unsigned char *)t;
    q.len = strlen(t);
    r = http(f, &q);
    MUST_REFUSE(r, 415);
    hresp_free(&r);
    free(t);
    free(b);
    SAME_DB(f, before);
}

static void test_server__wrong_content_encoding_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n, ng;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    unsigned char *gz = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_GZIP, &ng);
    hreq q = {"POST", sync_path(SCOPE_A), f->tok_a, NULL, "application/json", "br", b, n, 0, NULL};
    hresp r;

    /* An encoding the server does not speak: refused before the body. */
    r = http(f, &q);
    MUST_REFUSE(r, 415);
    hresp_free(&r);
    /* The changeset media type takes no Content-Encoding but identity. */
    q.ctype = XA_MEDIA_CHANGESET;
    r = http(f, &q);
    MUST_REFUSE(r, 415);
    hresp_free(&r);
    q.cenc = "gzip";
    r = http(f, &q);
    MUST_REFUSE(r, 415);
    hresp_free(&r);
    /* A gzip body labelled deflate, and the other way round, does not
     * inflate. */
    q.ctype = "application/json";
    q.cenc = "deflate";
    q.body = gz;
    q.len = ng;
    r = http(f, &q);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    q.cenc = "gzip";
    q.body = b;
    q.len = n;
    r = http(f, &q);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    free(b);
    free(gz);
    SAME_DB(f, before);
}

static void test_server__text_plain_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    hreq q = {"POST", sync_path(SCOPE_A), f->tok_a, NULL, "text/plain", NULL, b, n, 0, NULL};
    hresp r = http(f, &q);

    MUST_REFUSE(r, 415);
    hresp_free(&r);
    /* No Content-Type at all. */
    q.ctype = NULL;
    r = http(f, &q);
    MUST_REFUSE(r, 415);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

/* Only application/json itself (with parameters) is JSON: a type that
 * merely begins with those letters is another type. */
static void test_server__json_lookalike_media_type_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    static const char *const types[] = {"application/jsonx", "application/json-patch+json",
                                        XA_MEDIA_CHANGESET "-v2"};

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        hreq q = {"POST", sync_path(SCOPE_A), f->tok_a, NULL, types[i], "deflate", b, n, 0, NULL};
        hresp r = http(f, &q);
        if (r.status != 415)
            fail_msg("Content-Type %s with Content-Encoding deflate: want 415, got %ld (%s)",
                     types[i], r.status, r.status == 200 ? "the sync was applied" : r.body);
        MUST_REFUSE(r, 415);
        hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__body_not_inflating_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    unsigned char junk[4096];
    uint32_t x = 2463534242u;
    size_t n;
    unsigned char *good = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);

    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (unsigned char)x;
    }
    hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, junk, sizeof junk);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_GZIP, junk, sizeof junk);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    /* A real body cut short, and one with bytes after its end. */
    r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, good, n - 4);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    unsigned char *longer = malloc(n + 8);
    assert_non_null(longer);
    memcpy(longer, good, n);
    memset(longer + n, 'x', 8);
    r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, longer, n + 8);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    /* An empty body. */
    r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, NULL, 0);
    MUST_REFUSE(r, 400);
    hresp_free(&r);
    free(longer);
    free(good);
    SAME_DB(f, before);
}

static void test_server__zip_bomb_refused(void **state)
{
    fx *f = *state;
    const size_t big = (size_t)200 * 1024 * 1024;
    char *spaces = malloc(big);
    static const int kinds[] = {XA_PACK_DICT, XA_PACK_GZIP};
    uint64_t before = xt_db_digest(f->ddb);

    assert_non_null(spaces);
    memset(spaces, ' ', big);
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        unsigned char *b = pack(spaces, big, kinds[k], &n);
        /* Small enough to pass the body limit: the bound that must hold is
         * the inflated one. */
        assert_true(n < 4 * 1024 * 1024);
        hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, kinds[k], b, n);
        MUST_REFUSE(r, 413);
        hresp_free(&r);
        free(b);
        assert_alive(f);
    }
    free(spaces);
    SAME_DB(f, before);
    /* Still answering. */
    hresp r = get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    hresp_free(&r);
    char *pc = pc_new(f, "pc.db", SCOPE_A);
    pc_set(f, pc, REPORT, "title", "Báo cáo");
    pc_sync(f, pc);
    free(pc);
}

static void test_server__body_over_limit_refused(void **state)
{
    fx *f = *state;
    const size_t n = 100 * 1024;
    unsigned char *b = malloc(n);
    uint64_t before;

    restart(f, ARGV("--max-body", "65536"));
    before = xt_db_digest(f->ddb);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(i * 7919u >> 3);
    /* With a Content-Length: refused before the body is read. */
    hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 413);
    hresp_free(&r);
    /* Chunked, so the length shows only while reading. */
    hreq q = {"POST", sync_path(SCOPE_A), f->tok_a, NULL, XA_MEDIA_CHANGESET, NULL, b, n, 1, NULL};
    r = http(f, &q);
    MUST_REFUSE(r, 413);
    hresp_free(&r);
    assert_alive(f);
    SAME_DB(f, before);
    free(b);

    /* A sync under the limit still goes through. */
    char *pc = pc_new(f, "pc.db", SCOPE_A);
    pc_set(f, pc, REPORT, "title", "Báo cáo");
    pc_sync(f, pc);
    free(pc);
}

static void test_server__other_scope_in_body_refused(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_B, "00000000000000b1", 1, "x", XA_PACK_DICT, &n);
    hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 400);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__gap_refused(void **state)
{
    fx *f = *state;
    const char *node = "0a0b0c0d0e0f1011";
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, node, 2, "x", XA_PACK_DICT, &n);
    hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    cJSON *doc = REFUSED(r, 409);

    assert_non_null(str_member(doc, "code"));
    assert_string_equal(str_member(doc, "code"), "gap");
    assert_non_null(str_member(doc, "node"));
    assert_string_equal(str_member(doc, "node"), node);
    /* The op refused: the node's seq 2, for want of its seq 1. */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "seq")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "seq")->valuedouble, 2);
    cJSON_Delete(doc);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__forged_op_refused(void **state)
{
    fx *f = *state;
    char *pc = pc_new(f, "pc.db", SCOPE_A);
    cJSON *ops, *op, *doc;
    uint64_t before;
    size_t n;
    unsigned char *b;
    char node[32];

    pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết");
    pc_sync(f, pc);
    before = xt_db_digest(f->ddb);

    /* The same dot (node, 1), another value. */
    ops = pc_export(f, pc);
    op = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child /* the PC's node */, 0);
    assert_non_null(op);
    assert_int_equal(cJSON_GetArrayItem(op, 0)->valuedouble, 1);
    cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("Báo cáo giả"));
    snprintf(node, sizeof node, "%s",
             cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child->string);
    b = export_to_request(ops, SCOPE_A, XA_PACK_DICT, &n);
    cJSON_Delete(ops);
    hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    doc = REFUSED(r, 409);
    assert_non_null(str_member(doc, "code"));
    assert_string_equal(str_member(doc, "code"), "forged");
    assert_non_null(str_member(doc, "node"));
    assert_string_equal(str_member(doc, "node"), node);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "seq")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "seq")->valuedouble, 1);
    cJSON_Delete(doc);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
    free(pc);
}

static void test_server__other_communes_node_refused(void **state)
{
    fx *f = *state;
    char *pc = pc_new(f, "pc.db", SCOPE_A);
    cJSON *ops, *doc;
    uint64_t before;
    size_t n;
    unsigned char *b;
    char node[32];

    pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết");
    pc_sync(f, pc);
    before = xt_db_digest(f->ddb);

    /* A's PC's ops, relabelled as B's, sent with B's token to B: B would
     * be writing in A's PC's name. */
    ops = pc_export(f, pc);
    snprintf(node, sizeof node, "%s",
             cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child->string);
    b = export_to_request(ops, SCOPE_B, XA_PACK_DICT, &n);
    cJSON_Delete(ops);
    hresp r = post_kind(f, sync_path(SCOPE_B), f->tok_b, XA_PACK_DICT, b, n);
    doc = REFUSED(r, 403);
    assert_non_null(strstr(str_member(doc, "error"), node));
    cJSON_Delete(doc);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
    free(pc);
}

/* ---------------------------------------------------------------------- */
/* Who may ask what                                                        */

static void test_server__unknown_scope_404(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body("nosuch", "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    const char *const toks[] = {f->tok_a, f->tok_d};

    for (size_t i = 0; i < 2; i++) {
        hresp r = post_kind(f, sync_path("nosuch"), toks[i], XA_PACK_DICT, b, n);
        MUST_REFUSE(r, 404);
        hresp_free(&r);
        r = get(f, state_path("nosuch"), toks[i]);
        MUST_REFUSE(r, 404);
        hresp_free(&r);
    }
    /* Not even a scope's shape. */
    hresp r = post_kind(f, "/v1/scopes/No_Such!/sync", f->tok_a, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 404);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__no_token_401(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    hresp r = post_kind(f, sync_path(SCOPE_A), NULL, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 401);
    assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
    hresp_free(&r);
    const char *const paths[] = {"/v1/scopes", state_path(SCOPE_A)};
    for (size_t i = 0; i < 2; i++) {
        r = get(f, paths[i], NULL);
        MUST_REFUSE(r, 401);
        assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
        hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__bad_token_401(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    char wrong[128];
    char huge[400];
    memcpy(huge, "Bearer ", 7);
    memset(huge + 7, 'a', sizeof huge - 8);
    huge[sizeof huge - 1] = '\0';
    const char *const auths[] = {"Bearer ", "Basic dXNlcjpwYXNz", "Bearer", "bearer", huge};

    /* A's token with its last digit changed. */
    snprintf(wrong, sizeof wrong, "%s", f->tok_a);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    hresp r = post_kind(f, sync_path(SCOPE_A), wrong, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 401);
    assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
    hresp_free(&r);
    r = get(f, "/v1/scopes", wrong);
    MUST_REFUSE(r, 401);
    hresp_free(&r);
    for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
        hreq q = {"POST", sync_path(SCOPE_A), NULL, auths[i], XA_MEDIA_CHANGESET, NULL, b, n, 0,
                  NULL};
        r = http(f, &q);
        MUST_REFUSE(r, 401);
        hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__other_communes_token_403(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = one_op_body(SCOPE_B, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    hresp r = post_kind(f, sync_path(SCOPE_B), f->tok_a, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 403);
    hresp_free(&r);
    r = get(f, state_path(SCOPE_B), f->tok_a);
    MUST_REFUSE(r, 403);
    hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__wrong_method_405(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    hresp r = get(f, sync_path(SCOPE_A), f->tok_a);

    MUST_REFUSE(r, 405);
    hresp_free(&r);
    hreq q = {"PUT", sync_path(SCOPE_A), f->tok_a, NULL, XA_MEDIA_CHANGESET, NULL, NULL, 0, 0,
              NULL};
    r = http(f, &q);
    MUST_REFUSE(r, 405);
    hresp_free(&r);
    /* The reads are GET only. */
    q.method = "POST";
    q.path = "/v1/scopes";
    q.token = f->tok_d;
    r = http(f, &q);
    MUST_REFUSE(r, 405);
    hresp_free(&r);
    q.path = state_path(SCOPE_A);
    r = http(f, &q);
    MUST_REFUSE(r, 405);
    hresp_free(&r);
    SAME_DB(f, before);
}

static void test_server__unknown_path_404(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    static const char *const paths[] = {
        "/v1",
        "/v1/scopes/",
        "/v1/scopes/" SCOPE_A,
        "/v1/scopes/" SCOPE_A "/other",
        "/v2/scopes",
        "/v1/scopes/" SCOPE_A "/sync/x",
        "/favicon.ico",
    };

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        hresp r = get(f, paths[i], f->tok_d);
        MUST_REFUSE(r, 404);
        hresp_free(&r);
    }
    /* `/` is the district desk's front door (README, "District desk"): a
     * redirect, whatever token comes with it */
    hresp r = get(f, "/", f->tok_d);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.body, "/desk/"));
    hresp_free(&r);
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* The district's reads                                                    */

static const cJSON *commune_in(const cJSON *arr, const char *scope)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, arr)
    {
        const char *s = str_member(o, "scope");
        if (s && strcmp(s, scope) == 0)
            return o;
    }
    return NULL;
}

/* A PC of A wrote a title and an indicator, and synced. */
static void pc_reported(const fx *f)
{
    char *pc = pc_new(f, "pc.db", SCOPE_A);

    pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết 6 tháng");
    pc_set(f, pc, "ind-4", "est", "636,4");
    pc_sync(f, pc);
    free(pc);
}

static void test_server__list_scopes(void **state)
{
    fx *f = *state;
    hresp r = get(f, "/v1/scopes", f->tok_d);
    cJSON *arr;
    const cJSON *a, *b;

    /* Before any sync: every commune, never synced. */
    MUST_OK_JSON(r);
    arr = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    a = commune_in(arr, SCOPE_A);
    assert_non_null(a);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(a, "last_sync")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(a, "ops")->valuedouble, 0);
    cJSON_Delete(arr);
    hresp_free(&r);

    pc_reported(f);
    uint64_t before = xt_db_digest(f->ddb);
    r = get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    arr = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    a = commune_in(arr, SCOPE_A);
    b = commune_in(arr, SCOPE_B);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(str_member(a, "name"));
    assert_non_null(str_member(a, "last_sync"));
    /* ISO-8601 UTC, like every time the server prints. */
    assert_int_equal(strlen(str_member(a, "last_sync")), 24);
    assert_int_equal(str_member(a, "last_sync")[23], 'Z');
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "ops")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(a, "ops")->valuedouble, 2);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "conflicts")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(a, "conflicts")->valuedouble, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "last_sync")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "ops")->valuedouble, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "conflicts")->valuedouble, 0);
    cJSON_Delete(arr);
    hresp_free(&r);
    SAME_DB(f, before);
}

static void test_server__list_scopes_commune_token_403(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    const char *const toks[] = {f->tok_a, f->tok_b};

    for (size_t i = 0; i < 2; i++) {
        hresp r = get(f, "/v1/scopes", toks[i]);
        MUST_REFUSE(r, 403);
        hresp_free(&r);
    }
    SAME_DB(f, before);
}

/* The value of (entity, field) in a state page, or NULL. */
static const cJSON *state_value(const cJSON *arr, const char *entity, const char *field)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, arr)
    {
        const char *e = str_member(o, "entity"), *fl = str_member(o, "field");
        if (e && fl && strcmp(e, entity) == 0 && strcmp(fl, field) == 0) {
            const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "values"), 0);
            return cJSON_GetObjectItemCaseSensitive(v, "value");
        }
    }
    return NULL;
}

static void test_server__state_reads(void **state)
{
    fx *f = *state;
    const char *const toks[] = {f->tok_d, f->tok_a};
    uint64_t before;

    pc_reported(f);
    before = xt_db_digest(f->ddb);
    for (size_t i = 0; i < 2; i++) {
        hresp r = get(f, state_path(SCOPE_A), toks[i]);
        MUST_OK_JSON(r);
        cJSON *arr = cJSON_Parse(r.body);
        assert_true(cJSON_IsArray(arr));
        const cJSON *v = state_value(arr, "ind-4", "est");
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, "636,4");
        v = state_value(arr, REPORT, "title");
        assert_true(cJSON_IsString(v));
        assert_string_equal(v->valuestring, "Báo cáo sơ kết 6 tháng");
        const cJSON *o = cJSON_GetArrayItem(arr, 0);
        assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, "conflict")));
        cJSON_Delete(arr);
        hresp_free(&r);
    }
    /* B's state is empty; A's token may not read it, nor B's read A's. */
    hresp r = get(f, state_path(SCOPE_B), f->tok_d);
    MUST_OK_JSON(r);
    cJSON *arr = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    hresp_free(&r);
    r = get(f, state_path(SCOPE_A), f->tok_b);
    MUST_REFUSE(r, 403);
    hresp_free(&r);
    r = get(f, state_path(SCOPE_B), f->tok_a);
    MUST_REFUSE(r, 403);
    hresp_free(&r);
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* The district command                                                    */

static void test_server__cli_matches_http(void **state)
{
    fx *f = *state;
    cJSON *web, *cli;

    pc_reported(f);
    hresp r = get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    web = cJSON_Parse(r.body);
    xt_run c = district(f, ARGV("--db", f->ddb, "communes", "--json"));
    assert_int_equal(c.status, 0);
    cli = cJSON_Parse(c.out);
    assert_non_null(web);
    assert_non_null(cli);
    if (!cJSON_Compare(web, cli, 1))
        fail_msg("communes --json differs from GET /v1/scopes:\n%s\n%s", c.out, r.body);
    hresp_free(&r);
    xt_run_free(&c);
    cJSON_Delete(web);
    cJSON_Delete(cli);

    r = get(f, state_path(SCOPE_A), f->tok_d);
    MUST_OK_JSON(r);
    web = cJSON_Parse(r.body);
    c = district(f, ARGV("--db", f->ddb, "show", SCOPE_A, "--json"));
    assert_int_equal(c.status, 0);
    cli = cJSON_Parse(c.out);
    assert_non_null(web);
    assert_non_null(cli);
    if (!cJSON_Compare(web, cli, 1))
        fail_msg("show --json differs from GET state:\n%s\n%s", c.out, r.body);
    assert_non_null(state_value(cli, "ind-4", "est"));
    hresp_free(&r);
    xt_run_free(&c);
    cJSON_Delete(web);
    cJSON_Delete(cli);

    /* The plain forms name the same data. */
    c = district(f, ARGV("--db", f->ddb, "communes"));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, SCOPE_A));
    assert_non_null(strstr(c.out, SCOPE_B));
    assert_non_null(strstr(c.out, "2 ops"));
    xt_run_free(&c);
    c = district(f, ARGV("--db", f->ddb, "show", SCOPE_A));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "ind-4\test\t636,4"));
    xt_run_free(&c);
}

static void test_server__cli_errors(void **state)
{
    fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);

    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "show", "nosuch")), 1, "nosuch");
    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "show", "nosuch", "--json")), 1, "nosuch");
    SAME_DB(f, before);
    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "commune", "add", SCOPE_A, "--name", "Again")),
                   1, "already exists");
    SAME_DB(f, before);
    char longest[XA_SCOPE_MAX + 2];
    memset(longest, 'a', XA_SCOPE_MAX + 1);
    longest[XA_SCOPE_MAX + 1] = '\0';
    const char *const bad[] = {"Hoang-Kim",    "hoang kim", "hoang_kim", "",
                               "xã-hoàng-kim", "-hoang",    "--hoang",   longest};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        DISTRICT_ERROR(
            district(f, ARGV("--db", f->ddb, "commune", "add", "--name", "X", "--", bad[i])), 1,
            NULL);
        SAME_DB(f, before);
    }
    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "frobnicate")), 2, "frobnicate");
    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "communes", "--frob")), 2, "--frob");
    DISTRICT_ERROR(district(f, ARGV("--db", f->ddb, "show")), 2, NULL);
    DISTRICT_ERROR(
        district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0", "--max-body", "lots")),
        2, "--max-body");
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* Encodings                                                               */

static void test_server__deflate_and_gzip_bodies(void **state)
{
    fx *f = *state;
    static const struct {
        int kind;
        const char *node, *cenc, *ctype;
    } k[] = {
        {XA_PACK_DEFLATE, "00000000000000d1", "deflate", "application/json"},
        {XA_PACK_GZIP, "00000000000000d2", "gzip", "application/json"},
        {XA_PACK_DICT, "00000000000000d3", "", XA_MEDIA_CHANGESET},
    };
    uint64_t before = xt_db_digest(f->ddb);

    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        size_t n, plainlen = 0;
        char *plain = NULL;
        xa_sync_msg m;
        unsigned char *b = one_op_body(SCOPE_A, k[i].node, 1, "x", k[i].kind, &n);
        hresp r = post_kind(f, sync_path(SCOPE_A), f->tok_a, k[i].kind, b, n);
        xa_node node;

        assert_int_equal(r.cc, CURLE_OK);
        if (r.status != 200)
            fail_msg("%s: HTTP %ld [%s]", k[i].cenc, r.status, r.body);
        assert_true(strncasecmp(r.ctype, k[i].ctype, strlen(k[i].ctype)) == 0);
        assert_string_equal(r.cenc, k[i].cenc);
        /* The answer is in the request's encoding, a response of A that
         * acknowledges the op. */
        assert_int_equal(
            xa_unpack(&plain, &plainlen, (unsigned char *)r.body, r.n, k[i].kind, RESP_MAX), 0);
        xa_sync_msg_init(&m);
        assert_int_equal(xa_sync_msg_decode(&m, plain, plainlen, SCOPE_A, 0), 0);
        assert_int_equal(xa_node_parse(k[i].node, &node), 0);
        assert_int_equal(xa_vv_get(&m.have, node), 1);
        xa_sync_msg_clear(&m);
        free(plain);
        hresp_free(&r);
        free(b);
    }
    /* All three are held (and the digest sees them: it is no constant). */
    assert_true(xt_db_digest(f->ddb) != before);
    hresp r = get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    cJSON *arr = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(commune_in(arr, SCOPE_A), "ops")->valuedouble,
                     3);
    cJSON_Delete(arr);
    hresp_free(&r);
}

/* ---------------------------------------------------------------------- */
/* Limits and stopping                                                     */

static void test_server__huge_header_refused(void **state)
{
    fx *f = *state;
    const size_t n = 64 * 1024;
    char *line = malloc(n + 16);
    uint64_t before = xt_db_digest(f->ddb);

    assert_non_null(line);
    memcpy(line, "X-Padding: ", 11);
    memset(line + 11, 'a', n);
    line[11 + n] = '\0';
    hreq q = {"GET", "/v1/scopes", f->tok_d, NULL, NULL, NULL, NULL, 0, 0, line};
    hresp r = http(f, &q);
    /* Refused one way or another: a 4xx, or the connection closed. */
    if (r.cc == CURLE_OK && (r.status < 400 || r.status > 499))
        fail_msg("a 64 KiB header was answered %ld", r.status);
    hresp_free(&r);
    /* A body-carrying request with the same header. */
    size_t bn;
    unsigned char *b = one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &bn);
    q.method = "POST";
    q.path = sync_path(SCOPE_A);
    q.token = f->tok_a;
    q.ctype = XA_MEDIA_CHANGESET;
    q.body = b;
    q.len = bn;
    r = http(f, &q);
    if (r.cc == CURLE_OK && (r.status < 400 || r.status > 499))
        fail_msg("a 64 KiB header was answered %ld", r.status);
    hresp_free(&r);
    free(b);
    free(line);
    assert_alive(f);
    SAME_DB(f, before);

    /* The server still serves: a normal sync goes through. */
    char *pc = pc_new(f, "pc.db", SCOPE_A);
    pc_set(f, pc, REPORT, "title", "Báo cáo");
    pc_sync(f, pc);
    free(pc);
    r = get(f, state_path(SCOPE_A), f->tok_d);
    MUST_OK_JSON(r);
    assert_non_null(strstr(r.body, "Báo cáo"));
    hresp_free(&r);
}

static void test_server__sigterm_exits_0(void **state)
{
    fx *f = *state;

    pc_reported(f);
    assert_alive(f);
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    /* What was synced is in the database after the stop. */
    xt_run c = district(f, ARGV("--db", f->ddb, "show", SCOPE_A));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "636,4"));
    xt_run_free(&c);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_server__malformed_json_refused),
        T(test_server__json_without_content_encoding_refused),
        T(test_server__wrong_content_encoding_refused),
        T(test_server__text_plain_refused),
        T(test_server__json_lookalike_media_type_refused),
        T(test_server__body_not_inflating_refused),
        T(test_server__zip_bomb_refused),
        T(test_server__body_over_limit_refused),
        T(test_server__other_scope_in_body_refused),
        T(test_server__gap_refused),
        T(test_server__forged_op_refused),
        T(test_server__other_communes_node_refused),
        T(test_server__unknown_scope_404),
        T(test_server__no_token_401),
        T(test_server__bad_token_401),
        T(test_server__other_communes_token_403),
        T(test_server__wrong_method_405),
        T(test_server__unknown_path_404),
        T(test_server__list_scopes),
        T(test_server__list_scopes_commune_token_403),
        T(test_server__state_reads),
        T(test_server__cli_matches_http),
        T(test_server__cli_errors),
        T(test_server__deflate_and_gzip_bodies),
        T(test_server__huge_header_refused),
        T(test_server__sigterm_exits_0),
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
