/*
 * The op codec (include/xasync/codec.h): ops and version vectors as JSON
 * text, there and back.
 *
 * What must hold:
 *   1. decode(encode(ops)) gives back every op, field by field, byte for byte
 *      in names, values and authors: the store tells a forged dot by its
 *      content, so a value that changed on the way would look forged.
 *   2. The text is the documented format (checked by parsing it with cJSON,
 *      not with the codec itself).
 *   Version vectors go there and back too, and a malformed one is refused.
 *
 * The harness: tests/support/codecfx.h.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "codecfx.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- round trip -------------------------------------------------------- */

static void test_codec__round_trip_keeps_every_field(void **state)
{
    (void)state;
    xc_fixture f;
    xc_fixture_make(&f);
    char *text = xc_encode_ok(f.ops, f.n);
    assert_int_equal(strlen(text) > 0, 1);

    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    xc_assert_same_ops(got.ops, got.n, f.ops, f.n);

    /* within one node, seq order is kept */
    for (size_t i = 1; i < got.n; i++)
        for (size_t j = 0; j < i; j++)
            if (got.ops[j].node == got.ops[i].node)
                assert_true(got.ops[j].seq < got.ops[i].seq);

    /* encoding the decoded ops again gives the same text */
    char *again = xc_encode_ok(got.ops, got.n);
    assert_string_equal(again, text);
    xa_op_list got2 = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got2, again, strlen(again), SCOPE), 0);
    xc_assert_same_ops(got2.ops, got2.n, f.ops, f.n);

    free(again);
    xa_op_list_free(&got2);
    xa_op_list_free(&got);
    free(text);
    xc_fixture_free(&f);
}

static void test_codec__round_trip_one_op_per_value(void **state)
{
    (void)state;
    /* each value alone, so a failure names the value */
    for (size_t i = 0; i < NVALUES; i++) {
        xa_op op;
        xt_mkop(&op, SCOPE, NODE_B, 1, "ind-4", "est", VALUES[i], NULL, 0, 1, "An");
        char *text = xc_encode_ok(&op, 1);
        xa_op_list got = XA_OP_LIST_INIT;
        int rc = xa_codec_decode(&got, text, strlen(text), SCOPE);
        if (rc != 0)
            fail_msg("value %s: decode rc %d (%s)", VALUES[i], rc, xa_error_last());
        assert_int_equal(got.n, 1);
        if (strcmp(got.ops[0].value, op.value) != 0)
            fail_msg("value %s came back as %s", op.value, got.ops[0].value);
        xc_assert_op_equal(&got.ops[0], &op);
        xa_op_list_free(&got);
        free(text);
        xa_op_clear(&op);
    }
}

static void test_codec__round_trip_empty_and_large_ctx(void **state)
{
    (void)state;
    xa_op ops[2];
    xt_mkop(&ops[0], SCOPE, NODE_A, 1, "a", "b", "\"x\"", NULL, 0, 0, "An");
    enum { NCTX = 300 };
    xa_dot *ctx = calloc(NCTX, sizeof *ctx);
    assert_non_null(ctx);
    for (size_t i = 0; i < NCTX; i++) {
        ctx[i].node = (xa_node)0x0123456789abcdefULL * (i + 1) + 7;
        ctx[i].seq = i % 2 ? SEQ_TOP - i : i + 1;
    }
    xt_mkop(&ops[1], SCOPE, NODE_A, 2, "a", "b", "\"y\"", ctx, NCTX, 1, "An");
    free(ctx);
    assert_int_equal(ops[1].ctx.n, NCTX);

    char *text = xc_encode_ok(ops, 2);
    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    xc_assert_same_ops(got.ops, got.n, ops, 2);
    for (size_t i = 0; i < got.n; i++)
        if (got.ops[i].seq == 1)
            assert_int_equal(got.ops[i].ctx.n, 0);
    xa_op_list_free(&got);
    free(text);
    xa_op_clear(&ops[0]);
    xa_op_clear(&ops[1]);
}

static void test_codec__round_trip_no_ops(void **state)
{
    (void)state;
    char *text = xc_encode_ok(NULL, 0);
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    cJSON *nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    assert_true(cJSON_IsObject(nodes));
    assert_int_equal(cJSON_GetArraySize(nodes), 0);
    cJSON_Delete(doc);

    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    assert_int_equal(got.n, 0);
    xa_op_list_free(&got);
    free(text);
}

static void test_codec__value_at_limit_round_trips(void **state)
{
    (void)state;
    /* a JSON string of exactly XA_VALUE_MAX bytes, quotes included */
    char *v = malloc(XA_VALUE_MAX + 1);
    assert_non_null(v);
    v[0] = '"';
    memset(v + 1, 'a', XA_VALUE_MAX - 2);
    v[XA_VALUE_MAX - 1] = '"';
    v[XA_VALUE_MAX] = '\0';
    xa_op op;
    xt_mkop(&op, SCOPE, NODE_A, 1, "a", "b", v, NULL, 0, 1, "An");
    free(v);
    char *text = xc_encode_ok(&op, 1);
    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    xc_assert_same_ops(got.ops, got.n, &op, 1);
    xa_op_list_free(&got);
    free(text);
    xa_op_clear(&op);
}

static void test_codec__decode_appends_to_list(void **state)
{
    (void)state;
    xc_fixture f;
    xc_fixture_make(&f);
    char *t1 = xc_encode_ok(f.ops, 3);
    char *t2 = xc_encode_ok(f.ops + 3, f.n - 3);

    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, t1, strlen(t1), SCOPE), 0);
    assert_int_equal(got.n, 3);
    assert_int_equal(xa_codec_decode(&got, t2, strlen(t2), SCOPE), 0);
    xc_assert_same_ops(got.ops, got.n, f.ops, f.n);

    xa_op_list_free(&got);
    free(t1);
    free(t2);
    xc_fixture_free(&f);
}

/* A document written by hand: other member order, whitespace, values not in
 * compact form. */
static void test_codec__decodes_handwritten_document(void **state)
{
    (void)state;
    const char *doc = "\n  { \"nodes\" : {\n"
                      "    \"" HEX_B "\" : [\n"
                      "      [ 1, \"ind-4\", \"est\", { \"a\" : [ 1 , 2 ] }, { }, 5, \"An\" ],\n"
                      "      [2,\"ind-4\",\"est\",\"Đạt\",{\"" HEX_B "\":1},6,\"Bình\"]\n"
                      "    ]\n"
                      "  },\n"
                      "  \"scope\" : \"" SCOPE "\", \"version\" : 1,\n"
                      "  \"format\" : \"xasync-ops\" }\n";
    xa_op_list got = XA_OP_LIST_INIT;
    int rc = xa_codec_decode(&got, doc, strlen(doc), SCOPE);
    if (rc != 0)
        fail_msg("decode rc %d (%s)", rc, xa_error_last());
    assert_int_equal(got.n, 2);
    for (size_t i = 0; i < got.n; i++) {
        const xa_op *o = &got.ops[i];
        assert_string_equal(o->scope, SCOPE);
        assert_true(o->node == NODE_B);
        assert_string_equal(o->entity, "ind-4");
        assert_string_equal(o->field, "est");
        cJSON *v = cJSON_Parse(o->value);
        assert_non_null(v);
        cJSON *want = cJSON_Parse(o->seq == 1 ? "{\"a\":[1,2]}" : "\"Đạt\"");
        assert_true(cJSON_Compare(v, want, 1));
        cJSON_Delete(v);
        cJSON_Delete(want);
        if (o->seq == 1) {
            assert_int_equal(o->ctx.n, 0);
            assert_int_equal(o->hlc, 5);
            assert_string_equal(o->author, "An");
        } else {
            assert_int_equal(o->seq, 2);
            assert_int_equal(o->ctx.n, 1);
            assert_int_equal(xa_vv_get(&o->ctx, NODE_B), 1);
            assert_int_equal(o->hlc, 6);
            assert_string_equal(o->author, "Bình");
        }
    }
    xa_op_list_free(&got);
}

/* --- the format -------------------------------------------------------- */

static void check_ctx_json(const cJSON *ctx, const xa_vv *want)
{
    assert_true(cJSON_IsObject(ctx));
    assert_int_equal(cJSON_GetArraySize(ctx), want->n);
    for (size_t i = 0; i < want->n; i++) {
        char hex[XA_NODE_HEX + 1];
        xa_node_format(want->e[i].node, hex);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(ctx, hex);
        assert_true(cJSON_IsNumber(s));
        if (s->valuedouble != (double)want->e[i].seq)
            fail_msg("vv entry %s: %.17g in the text, want %llu", hex, s->valuedouble,
                     (unsigned long long)want->e[i].seq);
    }
}

static void test_codec__encoded_text_is_the_documented_format(void **state)
{
    (void)state;
    xc_fixture f;
    xc_fixture_make(&f);
    char *text = xc_encode_ok(f.ops, f.n);

    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    assert_true(cJSON_IsObject(doc));
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "format");
    assert_true(cJSON_IsString(format));
    assert_string_equal(format->valuestring, "xasync-ops");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
    assert_true(cJSON_IsNumber(version));
    assert_true(version->valuedouble == 1.0);
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(doc, "scope");
    assert_true(cJSON_IsString(scope));
    assert_string_equal(scope->valuestring, SCOPE);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    assert_true(cJSON_IsObject(nodes));

    /* one member per node, named by its 16 lowercase hex digits */
    assert_int_equal(cJSON_GetArraySize(nodes), 4);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(nodes, HEX_A));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(nodes, HEX_B));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(nodes, HEX_C));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(nodes, HEX_D));

    size_t total = 0;
    const cJSON *group = NULL;
    cJSON_ArrayForEach(group, nodes)
    {
        xa_node node = 0;
        assert_int_equal(strlen(group->string), XA_NODE_HEX);
        assert_int_equal(xa_node_parse(group->string, &node), 0);
        assert_true(cJSON_IsArray(group));
        const cJSON *arr = NULL;
        cJSON_ArrayForEach(arr, group)
        {
            /* [seq, entity, field, value, ctx, hlc, author] */
            assert_true(cJSON_IsArray(arr));
            assert_int_equal(cJSON_GetArraySize(arr), 7);
            const cJSON *seq = cJSON_GetArrayItem(arr, 0);
            assert_true(cJSON_IsNumber(seq));
            const xa_op *want = NULL;
            for (size_t i = 0; i < f.n; i++)
                if (f.ops[i].node == node && (double)f.ops[i].seq == seq->valuedouble)
                    want = &f.ops[i];
            assert_non_null(want);
            const cJSON *entity = cJSON_GetArrayItem(arr, 1);
            assert_true(cJSON_IsString(entity));
            assert_string_equal(entity->valuestring, want->entity);
            const cJSON *field = cJSON_GetArrayItem(arr, 2);
            assert_true(cJSON_IsString(field));
            assert_string_equal(field->valuestring, want->field);
            /* the value is embedded as JSON, not as a string holding JSON */
            cJSON *wv = cJSON_Parse(want->value);
            assert_non_null(wv);
            assert_true(cJSON_Compare(cJSON_GetArrayItem(arr, 3), wv, 1));
            cJSON_Delete(wv);
            check_ctx_json(cJSON_GetArrayItem(arr, 4), &want->ctx);
            const cJSON *hlc = cJSON_GetArrayItem(arr, 5);
            assert_true(cJSON_IsNumber(hlc));
            if (hlc->valuedouble != (double)want->hlc)
                fail_msg("op %s:%.17g: hlc %.17g in the text, want %lld", group->string,
                         seq->valuedouble, hlc->valuedouble, (long long)want->hlc);
            const cJSON *author = cJSON_GetArrayItem(arr, 6);
            assert_true(cJSON_IsString(author));
            assert_string_equal(author->valuestring, want->author);
            total++;
        }
    }
    assert_int_equal(total, f.n);

    /* seq 2^53-1 and hlc 2^53-1 are written as exact integers */
    assert_non_null(strstr(text, "9007199254740991"));
    assert_non_null(strstr(text, "9007199254740990"));

    cJSON_Delete(doc);
    free(text);
    xc_fixture_free(&f);
}

static void test_codec__encode_refuses_op_of_another_scope(void **state)
{
    (void)state;
    xa_op ops[2];
    xt_mkop(&ops[0], SCOPE, NODE_A, 1, "a", "b", "\"x\"", NULL, 0, 1, "An");
    xt_mkop(&ops[1], "tan-lap", NODE_A, 2, "a", "b", "\"y\"", NULL, 0, 2, "An");
    char *text = (char *)"untouched";
    char *const before = text;
    int rc = xa_codec_encode(&text, SCOPE, ops, 2);
    assert_true(rc < 0);
    assert_ptr_equal(text, before);
    xa_op_clear(&ops[0]);
    xa_op_clear(&ops[1]);
}

/* --- version vectors --------------------------------------------------- */

static void test_codec__vv_round_trip(void **state)
{
    (void)state;
    xa_vv vv = XA_VV_INIT;
    assert_int_equal(xa_vv_set(&vv, NODE_A, 3), 0);
    assert_int_equal(xa_vv_set(&vv, NODE_B, 1), 0);
    assert_int_equal(xa_vv_set(&vv, NODE_C, SEQ_TOP), 0);
    assert_int_equal(xa_vv_set(&vv, NODE_D, 1719792000), 0);

    char *text = NULL;
    assert_int_equal(xa_codec_vv_encode(&text, &vv), 0);
    assert_non_null(text);

    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    check_ctx_json(j, &vv);
    cJSON_Delete(j);
    assert_non_null(strstr(text, "9007199254740991"));

    xa_vv back = XA_VV_INIT;
    assert_int_equal(xa_codec_vv_decode(&back, text, strlen(text)), 0);
    assert_true(xa_vv_equal(&back, &vv));

    /* in an exact-size buffer */
    size_t len = strlen(text);
    char *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, text, len);
    xa_vv back2 = XA_VV_INIT;
    assert_int_equal(xa_codec_vv_decode(&back2, buf, len), 0);
    assert_true(xa_vv_equal(&back2, &vv));
    free(buf);

    xa_vv_free(&back2);
    xa_vv_free(&back);
    free(text);
    xa_vv_free(&vv);
}

static void test_codec__vv_round_trip_empty(void **state)
{
    (void)state;
    xa_vv vv = XA_VV_INIT;
    char *text = NULL;
    assert_int_equal(xa_codec_vv_encode(&text, &vv), 0);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 0);
    cJSON_Delete(j);
    xa_vv back = XA_VV_INIT;
    assert_int_equal(xa_codec_vv_decode(&back, text, strlen(text)), 0);
    assert_int_equal(back.n, 0);
    xa_vv_free(&back);
    free(text);

    /* hand-written, with whitespace */
    const char *hand = " { \"" HEX_B "\" : 2 ,\n \"" HEX_A "\":1 } ";
    assert_int_equal(xa_codec_vv_decode(&back, hand, strlen(hand)), 0);
    assert_int_equal(back.n, 2);
    assert_int_equal(xa_vv_get(&back, NODE_A), 1);
    assert_int_equal(xa_vv_get(&back, NODE_B), 2);
    xa_vv_free(&back);
}

static void vv_expect_einval_n(const char *text, size_t len)
{
    char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, text, len);
    xa_vv vv = XA_VV_INIT;
    assert_int_equal(xa_vv_set(&vv, NODE_C, 7), 0);
    int rc = xa_codec_vv_decode(&vv, buf, len);
    if (rc != XA_EINVAL)
        fail_msg("vv decode of %.*s: rc %d (%s), want EINVAL", (int)len, text, rc,
                 rc ? xa_error_last() : "accepted");
    /* out is written only on success */
    assert_int_equal(vv.n, 1);
    assert_int_equal(xa_vv_get(&vv, NODE_C), 7);
    xa_vv_free(&vv);
    free(buf);
}

static void vv_expect_einval(const char *text)
{
    vv_expect_einval_n(text, strlen(text));
}

static void test_codec__vv_decode_rejects_malformed(void **state)
{
    (void)state;
    vv_expect_einval("");
    vv_expect_einval("x");
    vv_expect_einval("[]");
    vv_expect_einval("null");
    vv_expect_einval("1");
    vv_expect_einval("\"" HEX_A ":1\"");
    vv_expect_einval("[[\"" HEX_A "\",1]]");
    vv_expect_einval("{\"" HEX_A "\":1");
    vv_expect_einval("{\"" HEX_A "\":1}x");
    vv_expect_einval("{\"" HEX_A "\":1}{}");
    vv_expect_einval("{\"" HEX_A "\":\"1\"}");
    vv_expect_einval("{\"" HEX_A "\":-1}");
    vv_expect_einval("{\"" HEX_A "\":1.5}");
    vv_expect_einval("{\"" HEX_A "\":9007199254740992}");
    vv_expect_einval("{\"" HEX_A "\":1e300}");
    vv_expect_einval("{\"" HEX_A "\":null}");
    vv_expect_einval("{\"" HEX_A "\":{}}");
    vv_expect_einval("{\"" HEX_A "\":[1]}");
    /* node ids */
    vv_expect_einval("{\"0000000000000000\":1}");
    vv_expect_einval("{\"123456789abcdef\":1}");
    vv_expect_einval("{\"0123456789abcdef0\":1}");
    vv_expect_einval("{\"zzzzzzzzzzzzzzzz\":1}");
    vv_expect_einval("{\"-123456789abcdef\":1}");
    vv_expect_einval("{\" 123456789abcdef\":1}");
    vv_expect_einval("{\"\":1}");
    /* a bad entry after good ones */
    vv_expect_einval("{\"" HEX_A "\":1,\"" HEX_B "\":2,\"" HEX_D "\":\"x\"}");

    /* every proper prefix of a good encoding */
    xa_vv vv = XA_VV_INIT;
    assert_int_equal(xa_vv_set(&vv, NODE_A, 3), 0);
    assert_int_equal(xa_vv_set(&vv, NODE_B, SEQ_TOP), 0);
    char *text = NULL;
    assert_int_equal(xa_codec_vv_encode(&text, &vv), 0);
    size_t len = strlen(text);
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
        len--;
    for (size_t cut = 0; cut < len; cut++)
        vv_expect_einval_n(text, cut);
    free(text);
    xa_vv_free(&vv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec__round_trip_keeps_every_field),
        cmocka_unit_test(test_codec__round_trip_one_op_per_value),
        cmocka_unit_test(test_codec__round_trip_empty_and_large_ctx),
        cmocka_unit_test(test_codec__round_trip_no_ops),
        cmocka_unit_test(test_codec__value_at_limit_round_trips),
        cmocka_unit_test(test_codec__decode_appends_to_list),
        cmocka_unit_test(test_codec__decodes_handwritten_document),
        cmocka_unit_test(test_codec__encoded_text_is_the_documented_format),
        cmocka_unit_test(test_codec__encode_refuses_op_of_another_scope),
        cmocka_unit_test(test_codec__vv_round_trip),
        cmocka_unit_test(test_codec__vv_round_trip_empty),
        cmocka_unit_test(test_codec__vv_decode_rejects_malformed),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
