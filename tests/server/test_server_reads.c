/*
 * The district server against docs/design.md ("The district server"): the
 * district's reads over HTTP and by the `xasync-district` command (the same
 * answers, and its errors), and bodies in deflate and gzip. *
 * The harness, and what a refusal must look like: tests/support/serverfx.h.
 */
#include "serverfx.h"
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

/* ---------------------------------------------------------------------- */
/* The district's reads                                                    */

static const cJSON *commune_in(const cJSON *arr, const char *scope)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, arr)
    {
        const char *s = xv_str_member(o, "scope");
        if (s && strcmp(s, scope) == 0)
            return o;
    }
    return NULL;
}

static void test_server__list_scopes(void **state)
{
    xv_fx *f = *state;
    xv_hresp r = xv_get(f, "/v1/scopes", f->tok_d);
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
    xv_hresp_free(&r);

    xv_pc_reported(f);
    uint64_t before = xt_db_digest(f->ddb);
    r = xv_get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    arr = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 2);
    a = commune_in(arr, SCOPE_A);
    b = commune_in(arr, SCOPE_B);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(xv_str_member(a, "name"));
    assert_non_null(xv_str_member(a, "last_sync"));
    /* ISO-8601 UTC, like every time the server prints. */
    assert_int_equal(strlen(xv_str_member(a, "last_sync")), 24);
    assert_int_equal(xv_str_member(a, "last_sync")[23], 'Z');
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "ops")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(a, "ops")->valuedouble, 2);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "conflicts")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(a, "conflicts")->valuedouble, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "last_sync")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "ops")->valuedouble, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(b, "conflicts")->valuedouble, 0);
    cJSON_Delete(arr);
    xv_hresp_free(&r);
    SAME_DB(f, before);
}

static void test_server__list_scopes_commune_token_403(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    const char *const toks[] = {f->tok_a, f->tok_b};

    for (size_t i = 0; i < 2; i++) {
        xv_hresp r = xv_get(f, "/v1/scopes", toks[i]);
        MUST_REFUSE(r, 403);
        xv_hresp_free(&r);
    }
    SAME_DB(f, before);
}

/* The value of (entity, field) in a state page, or NULL. */
static const cJSON *state_value(const cJSON *arr, const char *entity, const char *field)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, arr)
    {
        const char *e = xv_str_member(o, "entity"), *fl = xv_str_member(o, "field");
        if (e && fl && strcmp(e, entity) == 0 && strcmp(fl, field) == 0) {
            const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "values"), 0);
            return cJSON_GetObjectItemCaseSensitive(v, "value");
        }
    }
    return NULL;
}

static void test_server__state_reads(void **state)
{
    xv_fx *f = *state;
    const char *const toks[] = {f->tok_d, f->tok_a};
    uint64_t before;

    xv_pc_reported(f);
    before = xt_db_digest(f->ddb);
    for (size_t i = 0; i < 2; i++) {
        xv_hresp r = xv_get(f, xv_state_path(SCOPE_A), toks[i]);
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
        xv_hresp_free(&r);
    }
    /* B's state is empty; A's token may not read it, nor B's read A's. */
    xv_hresp r = xv_get(f, xv_state_path(SCOPE_B), f->tok_d);
    MUST_OK_JSON(r);
    cJSON *arr = cJSON_Parse(r.body);
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr), 0);
    cJSON_Delete(arr);
    xv_hresp_free(&r);
    r = xv_get(f, xv_state_path(SCOPE_A), f->tok_b);
    MUST_REFUSE(r, 403);
    xv_hresp_free(&r);
    r = xv_get(f, xv_state_path(SCOPE_B), f->tok_a);
    MUST_REFUSE(r, 403);
    xv_hresp_free(&r);
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* The district command                                                    */

static void test_server__cli_matches_http(void **state)
{
    xv_fx *f = *state;
    cJSON *web, *cli;

    xv_pc_reported(f);
    xv_hresp r = xv_get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    web = cJSON_Parse(r.body);
    xt_run c = xv_district(f, ARGV("--db", f->ddb, "communes", "--json"));
    assert_int_equal(c.status, 0);
    cli = cJSON_Parse(c.out);
    assert_non_null(web);
    assert_non_null(cli);
    if (!cJSON_Compare(web, cli, 1))
        fail_msg("communes --json differs from GET /v1/scopes:\n%s\n%s", c.out, r.body);
    xv_hresp_free(&r);
    xt_run_free(&c);
    cJSON_Delete(web);
    cJSON_Delete(cli);

    r = xv_get(f, xv_state_path(SCOPE_A), f->tok_d);
    MUST_OK_JSON(r);
    web = cJSON_Parse(r.body);
    c = xv_district(f, ARGV("--db", f->ddb, "show", SCOPE_A, "--json"));
    assert_int_equal(c.status, 0);
    cli = cJSON_Parse(c.out);
    assert_non_null(web);
    assert_non_null(cli);
    if (!cJSON_Compare(web, cli, 1))
        fail_msg("show --json differs from GET state:\n%s\n%s", c.out, r.body);
    assert_non_null(state_value(cli, "ind-4", "est"));
    xv_hresp_free(&r);
    xt_run_free(&c);
    cJSON_Delete(web);
    cJSON_Delete(cli);

    /* The plain forms name the same data. */
    c = xv_district(f, ARGV("--db", f->ddb, "communes"));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, SCOPE_A));
    assert_non_null(strstr(c.out, SCOPE_B));
    assert_non_null(strstr(c.out, "2 ops"));
    xt_run_free(&c);
    c = xv_district(f, ARGV("--db", f->ddb, "show", SCOPE_A));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "ind-4\test\t636,4"));
    xt_run_free(&c);
}

static void test_server__cli_errors(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);

    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "show", "nosuch")), 1, "nosuch");
    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "show", "nosuch", "--json")), 1, "nosuch");
    SAME_DB(f, before);
    DISTRICT_ERROR(
        xv_district(f, ARGV("--db", f->ddb, "commune", "add", SCOPE_A, "--name", "Again")), 1,
        "already exists");
    SAME_DB(f, before);
    char longest[XA_SCOPE_MAX + 2];
    memset(longest, 'a', XA_SCOPE_MAX + 1);
    longest[XA_SCOPE_MAX + 1] = '\0';
    const char *const bad[] = {"Hoang-Kim",    "hoang kim", "hoang_kim", "",
                               "xã-hoàng-kim", "-hoang",    "--hoang",   longest};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        DISTRICT_ERROR(
            xv_district(f, ARGV("--db", f->ddb, "commune", "add", "--name", "X", "--", bad[i])), 1,
            NULL);
        SAME_DB(f, before);
    }
    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "frobnicate")), 2, "frobnicate");
    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "communes", "--frob")), 2, "--frob");
    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "show")), 2, NULL);
    DISTRICT_ERROR(xv_district(f, ARGV("--db", f->ddb, "serve", "--listen", "127.0.0.1:0",
                                       "--max-body", "lots")),
                   2, "--max-body");
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* Encodings                                                               */

static void test_server__deflate_and_gzip_bodies(void **state)
{
    xv_fx *f = *state;
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
        unsigned char *b = xv_one_op_body(SCOPE_A, k[i].node, 1, "x", k[i].kind, &n);
        xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, k[i].kind, b, n);
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
        xv_hresp_free(&r);
        free(b);
    }
    /* All three are held (and the digest sees them: it is no constant). */
    assert_true(xt_db_digest(f->ddb) != before);
    xv_hresp r = xv_get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    cJSON *arr = cJSON_Parse(r.body);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(commune_in(arr, SCOPE_A), "ops")->valuedouble,
                     3);
    cJSON_Delete(arr);
    xv_hresp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XV_TEST(test_server__list_scopes), XV_TEST(test_server__list_scopes_commune_token_403),
        XV_TEST(test_server__state_reads), XV_TEST(test_server__cli_matches_http),
        XV_TEST(test_server__cli_errors),  XV_TEST(test_server__deflate_and_gzip_bodies),
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
