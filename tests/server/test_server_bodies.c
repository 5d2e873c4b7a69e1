/*
 * The district server against docs/design.md ("The protocol", "The district
 * server"): the bodies it must refuse (malformed, wrongly labelled or
 * encoded, not inflating, a zip bomb, over the limit, ops of another scope,
 * a gap, a forged op, another commune's PC). *
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
/* Bodies the server must refuse                                           */

static void test_server__malformed_json_refused(void **state)
{
    xv_fx *f = *state;
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
            unsigned char *b = xv_pack(bad[i], strlen(bad[i]), kinds[k], &n);
            xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, kinds[k], b, n);
            MUST_REFUSE(r, 400);
            xv_hresp_free(&r);
            free(b);
        }
    }
    SAME_DB(f, before);
}

static void test_server__json_without_content_encoding_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    xv_hreq q = {"POST", xv_sync_path(SCOPE_A), f->tok_a, NULL, "application/json", NULL, b, n, 0,
                 NULL};
    xv_hresp r = xv_http(f, &q);

    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);

    /* The plain text, not compressed at all, is refused the same way. */
    char *t = xv_req_text(SCOPE_A, "00000000000000a1", "");
    q.body = (const unsigned char *)t;
    q.len = strlen(t);
    r = xv_http(f, &q);
    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    free(t);
    free(b);
    SAME_DB(f, before);
}

static void test_server__wrong_content_encoding_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n, ng;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    unsigned char *gz = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_GZIP, &ng);
    xv_hreq q = {"POST", xv_sync_path(SCOPE_A), f->tok_a, NULL, "application/json", "br", b, n, 0,
                 NULL};
    xv_hresp r;

    /* An encoding the server does not speak: refused before the body. */
    r = xv_http(f, &q);
    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    /* The changeset media type takes no Content-Encoding but identity. */
    q.ctype = XA_MEDIA_CHANGESET;
    r = xv_http(f, &q);
    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    q.cenc = "gzip";
    r = xv_http(f, &q);
    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    /* A gzip body labelled deflate, and the other way round, does not
     * inflate. */
    q.ctype = "application/json";
    q.cenc = "deflate";
    q.body = gz;
    q.len = ng;
    r = xv_http(f, &q);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    q.cenc = "gzip";
    q.body = b;
    q.len = n;
    r = xv_http(f, &q);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    free(b);
    free(gz);
    SAME_DB(f, before);
}

static void test_server__text_plain_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);
    xv_hreq q = {"POST", xv_sync_path(SCOPE_A), f->tok_a, NULL, "text/plain", NULL, b, n, 0, NULL};
    xv_hresp r = xv_http(f, &q);

    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    /* No Content-Type at all. */
    q.ctype = NULL;
    r = xv_http(f, &q);
    MUST_REFUSE(r, 415);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

/* Only application/json itself (with parameters) is JSON: a type that
 * merely begins with those letters is another type. */
static void test_server__json_lookalike_media_type_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DEFLATE, &n);
    static const char *const types[] = {"application/jsonx", "application/json-patch+json",
                                        XA_MEDIA_CHANGESET "-v2"};

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        xv_hreq q = {"POST", xv_sync_path(SCOPE_A), f->tok_a, NULL, types[i], "deflate", b, n, 0,
                     NULL};
        xv_hresp r = xv_http(f, &q);
        if (r.status != 415)
            fail_msg("Content-Type %s with Content-Encoding deflate: want 415, got %ld (%s)",
                     types[i], r.status, r.status == 200 ? "the sync was applied" : r.body);
        MUST_REFUSE(r, 415);
        xv_hresp_free(&r);
    }
    free(b);
    SAME_DB(f, before);
}

static void test_server__body_not_inflating_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    unsigned char junk[4096];
    uint32_t x = 2463534242u;
    size_t n;
    unsigned char *good = xv_one_op_body(SCOPE_A, "00000000000000a1", 1, "x", XA_PACK_DICT, &n);

    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (unsigned char)x;
    }
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, junk, sizeof junk);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_GZIP, junk, sizeof junk);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    /* A real body cut short, and one with bytes after its end. */
    r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, good, n - 4);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    unsigned char *longer = malloc(n + 8);
    assert_non_null(longer);
    memcpy(longer, good, n);
    memset(longer + n, 'x', 8);
    r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, longer, n + 8);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    /* An empty body. */
    r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, NULL, 0);
    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    free(longer);
    free(good);
    SAME_DB(f, before);
}

static void test_server__zip_bomb_refused(void **state)
{
    xv_fx *f = *state;
    const size_t big = (size_t)200 * 1024 * 1024;
    char *spaces = malloc(big);
    static const int kinds[] = {XA_PACK_DICT, XA_PACK_GZIP};
    uint64_t before = xt_db_digest(f->ddb);

    assert_non_null(spaces);
    memset(spaces, ' ', big);
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        unsigned char *b = xv_pack(spaces, big, kinds[k], &n);
        /* Small enough to pass the body limit: the bound that must hold is
         * the inflated one. */
        assert_true(n < 4 * 1024 * 1024);
        xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, kinds[k], b, n);
        MUST_REFUSE(r, 413);
        xv_hresp_free(&r);
        free(b);
        xv_assert_alive(f);
    }
    free(spaces);
    SAME_DB(f, before);
    /* Still answering. */
    xv_hresp r = xv_get(f, "/v1/scopes", f->tok_d);
    MUST_OK_JSON(r);
    xv_hresp_free(&r);
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);
    xv_pc_set(f, pc, REPORT, "title", "Báo cáo");
    xv_pc_sync(f, pc);
    free(pc);
}

static void test_server__body_over_limit_refused(void **state)
{
    xv_fx *f = *state;
    const size_t n = 100 * 1024;
    unsigned char *b = malloc(n);
    uint64_t before;

    xv_restart(f, ARGV("--max-body", "65536"));
    before = xt_db_digest(f->ddb);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(i * 7919u >> 3);
    /* With a Content-Length: refused before the body is read. */
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    MUST_REFUSE(r, 413);
    xv_hresp_free(&r);
    /* Chunked, so the length shows only while reading. */
    xv_hreq q = {"POST", xv_sync_path(SCOPE_A), f->tok_a, NULL, XA_MEDIA_CHANGESET, NULL, b, n, 1,
                 NULL};
    r = xv_http(f, &q);
    MUST_REFUSE(r, 413);
    xv_hresp_free(&r);
    xv_assert_alive(f);
    SAME_DB(f, before);
    free(b);

    /* A sync under the limit still goes through. */
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);
    xv_pc_set(f, pc, REPORT, "title", "Báo cáo");
    xv_pc_sync(f, pc);
    free(pc);
}

static void test_server__other_scope_in_body_refused(void **state)
{
    xv_fx *f = *state;
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_B, "00000000000000b1", 1, "x", XA_PACK_DICT, &n);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);

    MUST_REFUSE(r, 400);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__gap_refused(void **state)
{
    xv_fx *f = *state;
    const char *node = "0a0b0c0d0e0f1011";
    uint64_t before = xt_db_digest(f->ddb);
    size_t n;
    unsigned char *b = xv_one_op_body(SCOPE_A, node, 2, "x", XA_PACK_DICT, &n);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    cJSON *doc = REFUSED(r, 409);

    assert_non_null(xv_str_member(doc, "code"));
    assert_string_equal(xv_str_member(doc, "code"), "gap");
    assert_non_null(xv_str_member(doc, "node"));
    assert_string_equal(xv_str_member(doc, "node"), node);
    /* The op refused: the node's seq 2, for want of its seq 1. */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "seq")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "seq")->valuedouble, 2);
    cJSON_Delete(doc);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
}

static void test_server__forged_op_refused(void **state)
{
    xv_fx *f = *state;
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);
    cJSON *ops, *op, *doc;
    uint64_t before;
    size_t n;
    unsigned char *b;
    char node[32];

    xv_pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết");
    xv_pc_sync(f, pc);
    before = xt_db_digest(f->ddb);

    /* The same dot (node, 1), another value. */
    ops = xv_pc_export(f, pc);
    op = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child /* the PC's node */, 0);
    assert_non_null(op);
    assert_int_equal(cJSON_GetArrayItem(op, 0)->valuedouble, 1);
    cJSON_ReplaceItemInArray(op, 3, cJSON_CreateString("Báo cáo giả"));
    snprintf(node, sizeof node, "%s",
             cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child->string);
    b = xv_export_to_request(ops, SCOPE_A, XA_PACK_DICT, &n);
    cJSON_Delete(ops);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_A), f->tok_a, XA_PACK_DICT, b, n);
    doc = REFUSED(r, 409);
    assert_non_null(xv_str_member(doc, "code"));
    assert_string_equal(xv_str_member(doc, "code"), "forged");
    assert_non_null(xv_str_member(doc, "node"));
    assert_string_equal(xv_str_member(doc, "node"), node);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "seq")));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "seq")->valuedouble, 1);
    cJSON_Delete(doc);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
    free(pc);
}

static void test_server__other_communes_node_refused(void **state)
{
    xv_fx *f = *state;
    char *pc = xv_pc_new(f, "pc.db", SCOPE_A);
    cJSON *ops, *doc;
    uint64_t before;
    size_t n;
    unsigned char *b;
    char node[32];

    xv_pc_set(f, pc, REPORT, "title", "Báo cáo sơ kết");
    xv_pc_sync(f, pc);
    before = xt_db_digest(f->ddb);

    /* A's PC's ops, relabelled as B's, sent with B's token to B: B would
     * be writing in A's PC's name. */
    ops = xv_pc_export(f, pc);
    snprintf(node, sizeof node, "%s",
             cJSON_GetObjectItemCaseSensitive(ops, "nodes")->child->string);
    b = xv_export_to_request(ops, SCOPE_B, XA_PACK_DICT, &n);
    cJSON_Delete(ops);
    xv_hresp r = xv_post_kind(f, xv_sync_path(SCOPE_B), f->tok_b, XA_PACK_DICT, b, n);
    doc = REFUSED(r, 403);
    assert_non_null(strstr(xv_str_member(doc, "error"), node));
    cJSON_Delete(doc);
    xv_hresp_free(&r);
    free(b);
    SAME_DB(f, before);
    free(pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XV_TEST(test_server__malformed_json_refused),
        XV_TEST(test_server__json_without_content_encoding_refused),
        XV_TEST(test_server__wrong_content_encoding_refused),
        XV_TEST(test_server__text_plain_refused),
        XV_TEST(test_server__json_lookalike_media_type_refused),
        XV_TEST(test_server__body_not_inflating_refused),
        XV_TEST(test_server__zip_bomb_refused),
        XV_TEST(test_server__body_over_limit_refused),
        XV_TEST(test_server__other_scope_in_body_refused),
        XV_TEST(test_server__gap_refused),
        XV_TEST(test_server__forged_op_refused),
        XV_TEST(test_server__other_communes_node_refused),
    };
    int rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return xt_tests_status(rc);
}
