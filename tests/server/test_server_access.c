/*
 * The district server against docs/design.md ("The district server"): who
 * may ask what (unknown scopes and paths, no token, a bad one, another
 * commune's, a wrong method), a huge header, and SIGTERM. *
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
/* Who may ask what                                                        */

static void test_server__unknown_scope_404(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body("nosuch", "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    const char *const toks[] = {f->tok_a, f->tok_d};

    for (size_t i = 0; i < 2; i++) {
        xv_hresp r = xv_post_kind(f, xv_sync_path("nosuch"), toks[i], XA_PACK_DICT, b, n);
        MUST_REFUSE(r, 404);
        xv_hresp_free(&r);
        r = xv_get(f, xv_state_path("nosuch"), toks[i]);
        MUST_REFUSE(r, 404);
        xv_hresp_free(&r);
    }
    /* Not even a scope's shape. */
    xv_hresp r = xv_post_kind(f, "/v1/scopes/No_Such!/sync", f->tok_a, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 404);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__no_token_401(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), NULL, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 401);
    assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
    xv_hresp_free(&r);
    const char *const paths[] = {"/v1/scopes", xv_state_path(SCOPE_A)};
    for (size_t i = 0; i < 2; i++) {
        r = xv_get(f, paths[i], NULL);
        MUST_REFUSE(r, 401);
        assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
        xv_hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__bad_token_401(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    char wrong[128];
    char huge[400];
    memcpy(huge, "Bearer ", 7);
    memset(huge + 7, 'a', sizeof huge - 8);
    huge[sizeof huge - 1] = '\0';
    const char *const auths[] = {"Bearer ", "Basic dXNlcjpwYXNz", "Bearer", "bearer", huge};

    /* A's token with its last digit changed. */
    snprintf(wrong, sizeof wrong, "%s", f->tok_a);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), wrong, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 401);
    assert_true(strncasecmp(r.wwwauth, "Bearer", 6) == 0);
    xv_hresp_free(&r);
    r = xv_get(f, "/v1/scopes", wrong);
    MUST_REFUSE(r, 401);
    xv_hresp_free(&r);
    for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
        xv_hreq q = {
            "POST", xv_sync_path(SCOPE_A), NULL, auths[i], XA_MEDIA_CHANGESET, NULL, b, n, 0, NULL};
        r = xv_http(f, &q);
        MUST_REFUSE(r, 401);
        xv_hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__other_communes_token_403(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_B, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_B), f->tok_a, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 403);
    xv_hresp_free(&r);
    r = xv_get(f, xv_state_path(SCOPE_B), f->tok_a);
    MUST_REFUSE(r, 403);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__wrong_method_405(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    xv_hresp r = xv_get(f, xv_sync_path(SCOPE_A), f->tok_a);

    MUST_REFUSE(r, 405);
    xv_hresp_free(&r);
    xv_hreq q = {"PUT", xv_sync_path(SCOPE_A), f->tok_a, NULL, XA_MEDIA_CHANGESET, NULL, NULL, 0, 0,
                 NULL};
    r = xv_http(f, &q);
    MUST_REFUSE(r, 405);
    xv_hresp_free(&r);
    /* The reads are GET only. */
    q.method = "POST";
    q.path = "/v1/scopes";
    q.token = f->tok_d;
    r = xv_http(f, &q);
    MUST_REFUSE(r, 405);
    xv_hresp_free(&r);
    q.path = xv_state_path(SCOPE_A);
    r = xv_http(f, &q);
    MUST_REFUSE(r, 405);
    xv_hresp_free(&r);
    SAME_DB(f, before);
}

static void test_server__unknown_path_404(void **state)
{
    xv_fx *f = *state;
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
        xv_hresp r = xv_get(f, paths[i], f->tok_d);
        MUST_REFUSE(r, 404);
        xv_hresp_free(&r);
    }
    /* `/` is the district desk's front door (README, "District desk"): a
     * redirect, whatever token comes with it */
    xv_hresp r = xv_get(f, "/", f->tok_d);
    assert_int_equal(r.status, 302);
    assert_non_null(strstr(r.body, "/desk/"));
    xv_hresp_free(&r);
    SAME_DB(f, before);
}

/* ---------------------------------------------------------------------- */
/* Limits and stopping                                                     */

static void test_server__huge_header_refused(void **state)
{
    xv_fx *f = *state;
    const size_t n = 64 * 1024;
    char *line = malloc(n + 16);
    uint64_t before = xt_db_digest(f->ddb);

    assert_non_null(line);
    memcpy(line, "X-Padding: ", 11);
    memset(line + 11, 'a', n);
    line[11 + n] = '\0';
    xv_hreq q = {"GET", "/v1/scopes", f->tok_d, NULL, NULL, NULL, NULL, 0, 0, line};
    xv_hresp r = xv_http(f, &q);
    /* Refused one way or another: a 4xx, or the connection closed. */
    if (r.cc == CURLE_OK && (r.status < 400 || r.status > 499))
        fail_msg("a 64 KiB header was answered %ld", r.status);
    xv_hresp_free(&r);
    /* A body-carrying request with the same header. */
    size_t bn;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &bn);
    q.method = "POST";
    q.path = xv_sync_path(SCOPE_A);
    q.token = f->tok_a;
    q.ctype = XA_MEDIA_CHANGESET;
    q.body = b;
    q.len = bn;
    r = xv_http(f, &q);
    if (r.cc == CURLE_OK && (r.status < 400 || r.status > 499))
        fail_msg("a 64 KiB header was answered %ld", r.status);
    xv_hresp_free(&r);
    free(b);
    free(line);
    xv_assert_alive(f);
    SAME_DB(f, before);

    /* The server still serves: a normal sync goes through. */
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);
    xv_pc_set(f, pc, REPORT, "title", "Báo cáo");
    xv_pc_sync(f, pc);
    free(pc);
    r = xv_get(f, xv_state_path(SCOPE_A), f->tok_d);
    MUST_OK_JSON(r);
    assert_non_null(strstr(r.body, "Báo cáo"));
    xv_hresp_free(&r);
}

static void test_server__sigterm_exits_0(void **state)
{
    xv_fx *f = *state;

    xv_pc_reported(f);
    xv_assert_alive(f);
    assert_int_equal(xt_server_stop(&f->sv, SIGTERM), 0);
    /* What was synced is in the database after the stop. */
    xt_run c = xv_district(f, ARGV("--db", f->ddb, "show", SCOPE_A));
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "636,4"));
    xt_run_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XV_TEST(test_server__unknown_scope_404),   XV_TEST(test_server__no_token_401),
        XV_TEST(test_server__bad_token_401),       XV_TEST(test_server__other_communes_token_403),
        XV_TEST(test_server__wrong_method_405),    XV_TEST(test_server__unknown_path_404),
        XV_TEST(test_server__huge_header_refused), XV_TEST(test_server__sigterm_exits_0),
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
