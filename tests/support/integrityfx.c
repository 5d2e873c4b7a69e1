/* The data-integrity tests' harness (tests/sync/test_integrity_*.c): a PC: integrityfx.h. */
#include "integrityfx.h"

#include "xasync/changeset.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

void xg_sb_add(xg_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if (b->p && (size_t)k < room)
            break;
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    b->n += (size_t)k;
}

/* {"nodes": ...} of an ops file or a request: `n` ops of NODE on one field,
 * each with an empty context (a flood), or `n` nodes with one op each. */
char *xg_flood_nodes(size_t n)
{
    xg_sbuf b = {0};

    xg_sb_add(&b, "\"%s\":[", NODE);
    for (size_t i = 1; i <= n; i++)
        xg_sb_add(&b, "%s[%zu,\"r\",\"x\",\"v%zu\",{},1717200000000,\"a\"]", i > 1 ? "," : "", i,
                  i);
    xg_sb_add(&b, "]");
    return b.p;
}

char *xg_many_nodes_from(size_t first, size_t n)
{
    xg_sbuf b = {0};

    for (size_t i = first; i < first + n; i++)
        xg_sb_add(&b, "%s\"%016zx\":[[1,\"r\",\"n%zu\",\"v\",{},1717200000000,\"a\"]]",
                  i > first ? "," : "", i + 0x1000, i);
    return b.p;
}

char *xg_many_nodes(size_t n)
{
    xg_sbuf b = {0};

    for (size_t i = 1; i <= n; i++)
        xg_sb_add(&b, "%s\"%016zx\":[[1,\"r\",\"n%zu\",\"v\",{},1717200000000,\"a\"]]",
                  i > 1 ? "," : "", i + 0x1000, i);
    return b.p;
}

char *xg_ops_file(const char *nodes, int version)
{
    xg_sbuf b = {0};

    xg_sb_add(&b, "{\"format\":\"xasync-ops\",\"version\":%d,\"scope\":\"%s\",\"nodes\":{%s}}",
              version, SCOPE, nodes);
    return b.p;
}

char *xg_request(const char *node, const char *nodes, int version)
{
    xg_sbuf b = {0};

    xg_sb_add(&b,
              "{\"format\":\"xasync-sync\",\"version\":%d,\"scope\":\"%s\",\"node\":\"%s\","
              "\"have\":{},\"max\":1000,\"nodes\":{%s}}",
              version, SCOPE, node, nodes);
    return b.p;
}

void xg_expect_rc_at(int rc, int want, const char *frag, const char *file, int line)
{
    if (rc != want)
        fail_msg("%s:%d: got %d (%s), want %d (%s): %s", file, line, rc, xa_error_name(rc), want,
                 xa_error_name(want), rc < 0 ? xa_error_last() : "");
    if (frag && strstr(xa_error_last(), frag) == NULL)
        fail_msg("%s:%d: message '%s' lacks '%s'", file, line, xa_error_last(), frag);
}

int xg_setup(void **state)
{
    xg_fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE, NULL};
    xa_store *st = NULL;

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->pc = xt_path(f->dir, "pc.db");
    if (xa_store_create(&st, f->pc, SCOPE) != 0)
        return -1;
    xa_store_close(st);
    f->ddb = xt_district_setup(f->dir, scopes);
    {
        char *p = xt_path(f->dir, SCOPE ".token");
        size_t n = 0;
        char *t = xt_read_file(p, &n);
        while (n && (t[n - 1] == '\n' || t[n - 1] == ' '))
            n--;
        assert_true(n > 0 && n < sizeof f->tok);
        memcpy(f->tok, t, n);
        f->tok[n] = '\0';
        free(t);
        free(p);
    }
    xt_server_start(&f->sv, f->ddb, NULL);
    *state = f;
    return 0;
}

int xg_teardown(void **state)
{
    xg_fx *f = *state;

    if (f->sv.pid > 0)
        xt_server_stop(&f->sv, SIGTERM);
    free(f->pc);
    free(f->ddb);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

size_t xg_on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    xg_sbuf *b = ud;

    xg_sb_add(b, "%.*s", (int)(size * nmemb), d);
    return size * nmemb;
}

/* POST a request's JSON text, deflated with the dictionary. */
xg_hresp xg_post_text(const xg_fx *f, const char *text, size_t len)
{
    xg_hresp r = {0, {0}};
    unsigned char *packed = NULL;
    size_t plen = 0;
    char url[128], auth[200];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();

    assert_int_equal(xa_pack(&packed, &plen, text, len, XA_PACK_DICT), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/scopes/%s/sync", f->sv.port, SCOPE);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->tok);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: " XA_MEDIA_CHANGESET);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)packed);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xg_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(packed);
    if (r.body.p == NULL)
        xg_sb_add(&r.body, "");
    return r;
}

void xg_refused_at(const xg_fx *f,
                   const char *text,
                   size_t len,
                   long status,
                   const char *frag,
                   const char *file,
                   int line)
{
    uint64_t before = xt_db_digest(f->ddb);
    xg_hresp r = xg_post_text(f, text, len);

    if (r.status != status)
        fail_msg("%s:%d: want HTTP %ld, got %ld: %s", file, line, status, r.status, r.body.p);
    if (frag && strstr(r.body.p, frag) == NULL)
        fail_msg("%s:%d: answer '%s' lacks '%s'", file, line, r.body.p, frag);
    if (xt_db_digest(f->ddb) != before)
        fail_msg("%s:%d: the refused request changed the district database", file, line);
    free(r.body.p);
}

/* The PC's database unchanged by a refused `xasync apply FILE`. */
void xg_apply_refused_at(
    const xg_fx *f, const char *text, size_t len, const char *frag, const char *file, int line)
{
    char *path = xt_path(f->dir, "ops.json");
    uint64_t before = xt_db_digest(f->pc);
    xt_run r;

    xt_write_file(path, text, len);
    r = xt_xasync(ARGV("--db", f->pc, "apply", path), NULL, NULL);
    if (r.status != 1)
        fail_msg("%s:%d: apply: want exit 1, got %d (stderr: %s)", file, line, r.status, r.err);
    if (frag && strstr(r.err, frag) == NULL)
        fail_msg("%s:%d: apply: stderr '%s' lacks '%s'", file, line, r.err, frag);
    if (xt_db_digest(f->pc) != before)
        fail_msg("%s:%d: the refused apply changed the database", file, line);
    xt_run_free(&r);
    free(path);
}

/* An op whose value is `value` (raw bytes between the quotes); *outlen
 * (if not NULL) is the text's length, raw NULs included. */
char *xg_one_op_nodes_n(const char *value, size_t vlen, size_t *outlen)
{
    xg_sbuf b = {0};

    xg_sb_add(&b, "\"%s\":[[1,\"r\",\"x\",\"", NODE);
    for (size_t i = 0; i < vlen; i++) {
        if (b.n + 2 > b.cap) {
            b.cap = b.cap * 2 + 16;
            b.p = realloc(b.p, b.cap);
        }
        b.p[b.n++] = value[i];
        b.p[b.n] = '\0';
    }
    xg_sb_add(&b, "\",{},1717200000000,\"a\"]]");
    if (outlen)
        *outlen = b.n;
    return b.p;
}

char *xg_one_op_nodes(const char *value, size_t vlen)
{
    return xg_one_op_nodes_n(value, vlen, NULL);
}

/* The text with its real length (a raw NUL inside). */
size_t xg_text_len(const char *nodes, size_t nodes_len, int is_request, char **out)
{
    char *t = is_request ? xg_request(NODE, "@", 1) : xg_ops_file("@", 1);
    char *at = strchr(t, '@');
    size_t pre = (size_t)(at - t), post = strlen(at + 1);

    *out = malloc(pre + nodes_len + post + 1);
    memcpy(*out, t, pre);
    memcpy(*out + pre, nodes, nodes_len);
    memcpy(*out + pre + nodes_len, at + 1, post + 1);
    free(t);
    return pre + nodes_len + post;
}

void xg_must_run(const char *const *argv, const char *what)
{
    xt_run r = xt_xasync(argv, NULL, NULL);

    if (r.status != 0)
        fail_msg("%s: exit %d: %s", what, r.status, r.err);
    xt_run_free(&r);
}
