/* The district server's test harness (tests/server/test_server_*.c): the: serverfx.h. */
#include "serverfx.h"

#include "xasync/changeset.h"

#include <signal.h>
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

void xv_read_token(const char *dir, const char *name, char *out, size_t cap)
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

int xv_setup(void **state)
{
    xv_fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE_A, SCOPE_B, NULL};

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->home = xt_cat2("HOME=", f->dir);
    f->ddb = xt_district_setup(f->dir, scopes);
    xv_read_token(f->dir, SCOPE_A ".token", f->tok_a, sizeof f->tok_a);
    xv_read_token(f->dir, SCOPE_B ".token", f->tok_b, sizeof f->tok_b);
    xv_read_token(f->dir, "district.token", f->tok_d, sizeof f->tok_d);
    xt_server_start(&f->sv, f->ddb, NULL);
    *state = f;
    return 0;
}

/* Stops the server with SIGTERM: a clean stop is exit 0, else the test
 * fails here. */
int xv_teardown(void **state)
{
    xv_fx *f = *state;
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
void xv_assert_alive(xv_fx *f)
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
void xv_restart(xv_fx *f, const char *const *extra)
{
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    xt_server_start(&f->sv, f->ddb, extra);
}

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    xv_hresp *r = ud;
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
    xv_hresp *r = ud;
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
    xv_upload *u = ud;
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
xv_hresp xv_http(const xv_fx *f, const xv_hreq *q)
{
    xv_hresp r;
    struct curl_slist *h = NULL;
    char url[512], auth[512], *ct = NULL;
    xv_upload up = {q->body, q->len, 0};
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

void xv_hresp_free(xv_hresp *r)
{
    free(r->body);
    r->body = NULL;
}

xv_hresp xv_get(const xv_fx *f, const char *path, const char *token)
{
    xv_hreq q = {"GET", path, token, NULL, NULL, NULL, NULL, 0, 0, NULL};

    return xv_http(f, &q);
}

/* POST a body packed as `kind`, with that kind's headers. */
xv_hresp xv_post_kind(
    const xv_fx *f, const char *path, const char *token, int kind, const unsigned char *b, size_t n)
{
    xv_hreq q = {"POST", path, token, NULL, NULL, NULL, b, n, 0, NULL};

    q.ctype = kind == XA_PACK_DICT ? XA_MEDIA_CHANGESET : "application/json";
    q.cenc = kind == XA_PACK_DEFLATE ? "deflate" : kind == XA_PACK_GZIP ? "gzip" : NULL;
    return xv_http(f, &q);
}

const char *xv_sync_path(const char *scope)
{
    static char p[128];

    snprintf(p, sizeof p, "/v1/scopes/%s/sync", scope);
    return p;
}

const char *xv_state_path(const char *scope)
{
    static char p[128];

    snprintf(p, sizeof p, "/v1/scopes/%s/state", scope);
    return p;
}

/* A sync request's text: `nodes` is the inside of the "nodes" object. */
char *xv_req_text(const char *scope, const char *node, const char *nodes)
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

unsigned char *xv_pack(const char *text, size_t len, int kind, size_t *outlen)
{
    unsigned char *out = NULL;

    assert_int_equal(xa_pack(&out, outlen, text, len, kind), 0);
    return out;
}

/* A well-formed request of `scope` with one op (node, seq) and its packing. */
unsigned char *
xv_one_op_body(const char *scope, const char *node, int seq, const char *value, int kind, size_t *n)
{
    char nodes[512], *t;
    unsigned char *b;

    snprintf(nodes, sizeof nodes,
             "\"%s\":[[%d,\"" REPORT "\",\"title\",\"%s\",{},1717200000000,\"Lê Thị Lan\"]]", node,
             seq, value);
    t = xv_req_text(scope, node, nodes);
    b = xv_pack(t, strlen(t), kind, n);
    free(t);
    return b;
}

/* A refusal: `status`, JSON, an "error" string.  Returns the parsed body
 * (the caller frees it with cJSON_Delete). */
cJSON *xv_refused_at(const xv_hresp *r, long status, const char *file, int line)
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

void xv_ok_json_at(const xv_hresp *r, const char *file, int line)
{
    if (r->cc != CURLE_OK)
        fail_msg("%s:%d: no HTTP answer: %s", file, line, curl_easy_strerror(r->cc));
    if (r->status != 200 || strncasecmp(r->ctype, "application/json", 16) != 0)
        fail_msg("%s:%d: want 200 application/json, got %ld '%s': [%s]", file, line, r->status,
                 r->ctype, r->body);
}

const char *xv_str_member(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(m) ? m->valuestring : NULL;
}

xt_run xv_xa(const xv_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    return xt_xasync(argv, NULL, env);
}

xt_run xv_district(const xv_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

void xv_must_ok_at(xt_run *r, const char *what, const char *file, int line)
{
    if (r->status != 0)
        fail_msg("%s:%d: %s: exit %d\nstdout: [%s]\nstderr: [%s]", file, line, what, r->status,
                 r->out, r->err);
    xt_run_free(r);
}

/* A PC of `scope` at dir/<name>, its remote set to this server. */
char *xv_pc_new(const xv_fx *f, const char *name, const char *scope)
{
    char *db = xt_path(f->dir, name);

    xt_pc_setup(f->dir, db, scope, f->sv.port);
    return db;
}

void xv_pc_set(const xv_fx *f, const char *db, const char *entity, const char *field, const char *v)
{
    RUN_OK(xv_xa(f, ARGV("--db", db, "set", entity, field, v)), "xasync set");
}

void xv_pc_sync(const xv_fx *f, const char *db)
{
    RUN_OK(xv_xa(f, ARGV("--db", db, "sync")), "xasync sync");
}

/* The PC's ops, as an ops file parsed (cJSON_Delete it). */
cJSON *xv_pc_export(const xv_fx *f, const char *db)
{
    xt_run r = xv_xa(f, ARGV("--db", db, "export-ops", "--all"));
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
unsigned char *xv_export_to_request(cJSON *ops, const char *scope, int kind, size_t *n)
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
    b = xv_pack(text, strlen(text), kind, n);
    free(text);
    return b;
}

/* stderr is one line "xasync-district: ...\n" holding `frag`, stdout
 * empty, exit `code`. */
void xv_district_error_at(xt_run *r, int code, const char *frag, const char *file, int line)
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

/* A PC of A wrote a title and an indicator, and synced. */
void xv_pc_reported(const xv_fx *f)
{
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);

    xv_pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết 6 tháng");
    xv_pc_set(f, pc, "ind-4", "est", "636,4");
    xv_pc_sync(f, pc);
    free(pc);
}
