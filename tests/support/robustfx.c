/* The harness of the district server under abuse (issue 11;: robustfx.h. */
#include "robustfx.h"

#include "xasync/changeset.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

void xo_read_token(const char *dir, const char *name, char *out, size_t cap)
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

int xo_setup_with(void **state, const char *const *extra)
{
    xo_fx *f = calloc(1, sizeof *f);
    const char *const scopes[] = {SCOPE_A, SCOPE_B, NULL};

    if (f == NULL)
        return -1;
    f->dir = xt_tempdir();
    f->home = xt_cat2("HOME=", f->dir);
    f->ddb = xt_district_setup(f->dir, scopes);
    xo_read_token(f->dir, SCOPE_A ".token", f->tok_a, sizeof f->tok_a);
    xt_server_start(&f->sv, f->ddb, extra);
    *state = f;
    return 0;
}

int xo_setup(void **state)
{
    return xo_setup_with(state, NULL);
}

/* Short deadlines, so that the slow-client tests take seconds. */
int xo_setup_short(void **state)
{
    return xo_setup_with(state, ARGV("--header-timeout", "4", "--body-timeout", "3"));
}

/* The memory test's server: under AddressSanitizer, freed memory waits in a
 * quarantine (256 MB by default) before it can go back to the system; a
 * small one lets the test see what the server itself keeps. */
int xo_setup_mem(void **state)
{
    const char *old = getenv("ASAN_OPTIONS");
    char *saved = old ? strdup(old) : NULL;
    char opts[1024];
    int rc;

    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=4:allocator_release_to_os_interval_ms=50",
             old ? old : "", old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    rc = xo_setup_with(state, NULL);
    if (saved)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
    return rc;
}

int xo_teardown(void **state)
{
    xo_fx *f = *state;
    int rc = 0;

    if (f->sv.pid > 0 && xt_server_stop(&f->sv, SIGTERM) != 0)
        rc = -1;
    free(f->ddb);
    free(f->home);
    xt_rmdir(f->dir);
    free(f);
    return rc;
}

xt_run xo_xa(const xo_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, "XASYNC_AUTHOR=Lê Thị Lan", NULL};

    return xt_xasync(argv, NULL, env);
}

xt_run xo_district(const xo_fx *f, const char *const *argv)
{
    const char *env[] = {f->home, NULL};

    return xt_district(argv, NULL, env);
}

char *xo_pc_new(const xo_fx *f, const char *name, const char *scope)
{
    char *db = xt_path(f->dir, name);

    xt_pc_setup(f->dir, db, scope, f->sv.port);
    return db;
}

static size_t on_body(char *d, size_t size, size_t nmemb, void *ud)
{
    xo_hresp *r = ud;
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
xo_hresp xo_http(int port, const char *path, const char *token, const void *body, size_t len)
{
    xo_hresp r;
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
void xo_refused(const xo_hresp *r, long status, const char *frag)
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
