/*
 * Tests of the op codec (include/xasync/codec.h): ops and version vectors as
 * JSON text.
 *
 * What must hold:
 *   1. decode(encode(ops)) gives back every op, field by field, byte for byte
 *      in names, values and authors: the store tells a forged dot by its
 *      content, so a value that changed on the way would look forged.
 *   2. The text is the documented format (checked by parsing it with cJSON,
 *      not with the codec itself).
 *   3. Decode trusts nothing: every malformed document is refused with
 *      XA_EINVAL (another scope: XA_ESCOPE), and a refused document leaves the
 *      output list exactly as it was, even when its first ops were good.
 *   4. Decode reads no byte past `len` (truncated inputs are passed in buffers
 *      of exactly `len` bytes with no NUL, so AddressSanitizer sees an
 *      overread).
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "support.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SCOPE "hoang-kim"

/* Nodes chosen for their hex forms: leading zeros, all ones, mixed. */
#define NODE_A ((xa_node)0x8f3a1c2b4d5e6f70ULL)
#define NODE_B ((xa_node)0x0000000000000001ULL)
#define NODE_C ((xa_node)0xffffffffffffffffULL)
#define NODE_D ((xa_node)0x00c0ffee00000a0bULL)
#define HEX_A "8f3a1c2b4d5e6f70"
#define HEX_B "0000000000000001"
#define HEX_C "ffffffffffffffff"
#define HEX_D "00c0ffee00000a0b"

#define SEQ_TOP (XA_SEQ_MAX - 1) /* 2^53 - 1, the largest seq allowed */
#define HLC_BIG ((int64_t)9007199254740991LL)

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

/* Fill `op` (zeroed first) with copies of the given parts.  `ctx` holds
 * `nctx` dots. */
static void mkop(xa_op *op,
                 const char *scope,
                 xa_node node,
                 uint64_t seq,
                 const char *entity,
                 const char *field,
                 const char *value,
                 const xa_dot *ctx,
                 size_t nctx,
                 int64_t hlc,
                 const char *author)
{
    memset(op, 0, sizeof *op);
    op->scope = xstrdup(scope);
    op->node = node;
    op->seq = seq;
    op->entity = xstrdup(entity);
    op->field = xstrdup(field);
    op->value = xstrdup(value);
    op->ctx = (xa_vv)XA_VV_INIT;
    for (size_t i = 0; i < nctx; i++)
        assert_int_equal(xa_vv_set(&op->ctx, ctx[i].node, ctx[i].seq), 0);
    op->hlc = hlc;
    op->author = xstrdup(author);
}

static void assert_op_equal(const xa_op *got, const xa_op *want)
{
    char hex[XA_NODE_HEX + 1];
    xa_node_format(want->node, hex);
    assert_true(got->node == want->node);
    assert_true(got->seq == want->seq);
    assert_string_equal(got->scope, want->scope);
    assert_string_equal(got->entity, want->entity);
    assert_string_equal(got->field, want->field);
    assert_string_equal(got->value, want->value);
    if (!xa_vv_equal(&got->ctx, &want->ctx)) {
        char *g = xa_vv_format(&got->ctx), *w = xa_vv_format(&want->ctx);
        fail_msg("op %s:%llu: ctx %s, want %s", hex, (unsigned long long)want->seq, g ? g : "?",
                 w ? w : "?");
    }
    if (got->hlc != want->hlc)
        fail_msg("op %s:%llu: hlc %lld, want %lld", hex, (unsigned long long)want->seq,
                 (long long)got->hlc, (long long)want->hlc);
    assert_string_equal(got->author, want->author);
}

/* Values in the compact form cJSON prints, so the round trip must give back
 * the very same bytes. */
static const char *const VALUES[] = {
    "\"Báo cáo sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2024\"",
    "\"Anh ấy nói: \\\"Đạt 100% kế hoạch\\\"\\nDòng hai,\\ttab và \\\\ gạch\"",
    "\"Ủy ban nhân dân xã Hoàng Kim — “trích yếu” ‘nháy’ 😀 𝔸\"",
    "\"\"",
    "\"\\u0001\\u001f điều khiển\"",
    "1460",
    "636.4",
    "-3",
    "0",
    "12345678901234",
    "null",
    "true",
    "false",
    "{\"dvt\":\"người\",\"sl\":12,\"ds\":[1,2,\"ba\"],\"n\":null,\"o\":{}}",
    "[]",
    "{}",
    "[\"Trường Mầm non\",{\"tt\":\"1\"},[null]]",
};
#define NVALUES (sizeof VALUES / sizeof VALUES[0])

/* A set of ops from four nodes, given in an order that interleaves nodes (the
 * encoder groups them; decode may reorder across nodes). */
typedef struct fixture {
    size_t n;
    xa_op ops[NVALUES + 8];
} fixture;

static void fixture_make(fixture *f)
{
    size_t k = 0;

    /* node A writes every value, each op superseding the last */
    for (size_t i = 0; i < NVALUES; i++) {
        const xa_dot ctx[2] = {{NODE_A, i}, {NODE_B, 1}};
        size_t nctx = i == 0 ? 0 : i < 3 ? 1 : 2;
        mkop(&f->ops[k++], SCOPE, NODE_A, i + 1, "report-2024-h1", "title", VALUES[i], ctx, nctx,
             (int64_t)1719792000123LL + (int64_t)i, "Nguyễn Văn An");
        if (i == 2) {
            const xa_dot cb[1] = {{NODE_A, 2}};
            mkop(&f->ops[k++], SCOPE, NODE_B, 1, "ind-4", "est", "\"1.460\"", cb, 1,
                 1719792000500LL, "Trần Thị \"Bé\" Ba");
        }
        if (i == 5) {
            const xa_dot cc[3] = {{NODE_A, 6}, {NODE_B, 1}, {NODE_C, 1}};
            mkop(&f->ops[k++], SCOPE, NODE_C, 1, "blk:0001/p.a", "text", VALUES[1], NULL, 0,
                 HLC_BIG, "Lê Văn Cường");
            mkop(&f->ops[k++], SCOPE, NODE_C, 2, "blk:0001/p.a", "pos", "0.5", cc, 3, HLC_BIG,
                 "Lê Văn Cường");
        }
    }
    /* node D with seqs at the top of the range and a big ctx */
    const xa_dot cd[4] = {{NODE_A, 3}, {NODE_B, 1}, {NODE_C, 2}, {NODE_D, SEQ_TOP - 1}};
    mkop(&f->ops[k++], SCOPE, NODE_D, SEQ_TOP - 1, "ind-4", "note", "null", NULL, 0, 0,
         "Phạm Thu Hà");
    mkop(&f->ops[k++], SCOPE, NODE_D, SEQ_TOP, "ind-4", "note", VALUES[2], cd, 4, HLC_BIG - 1,
         "Phạm Thu Hà");
    f->n = k;
    assert_true(k <= sizeof f->ops / sizeof f->ops[0]);
}

static void fixture_free(fixture *f)
{
    for (size_t i = 0; i < f->n; i++)
        xa_op_clear(&f->ops[i]);
    f->n = 0;
}

static char *encode_ok(const xa_op *ops, size_t n)
{
    char *text = NULL;
    assert_int_equal(xa_codec_encode(&text, SCOPE, ops, n), 0);
    assert_non_null(text);
    return text;
}

/* Every decoded op matches exactly one original by dot, and equals it. */
static void assert_same_ops(const xa_op *got, size_t ngot, const xa_op *want, size_t nwant)
{
    assert_int_equal(ngot, nwant);
    int *seen = calloc(nwant ? nwant : 1, sizeof *seen);
    assert_non_null(seen);
    for (size_t i = 0; i < ngot; i++) {
        size_t j = 0;
        while (j < nwant && !(want[j].node == got[i].node && want[j].seq == got[i].seq))
            j++;
        char hex[XA_NODE_HEX + 1];
        xa_node_format(got[i].node, hex);
        if (j == nwant || seen[j])
            fail_msg("decoded op %s:%llu is %s", hex, (unsigned long long)got[i].seq,
                     j == nwant ? "not one of the encoded ops" : "there twice");
        seen[j] = 1;
        assert_op_equal(&got[i], &want[j]);
    }
    free(seen);
}

/* --- round trip -------------------------------------------------------- */

static void test_codec__round_trip_keeps_every_field(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f);
    char *text = encode_ok(f.ops, f.n);
    assert_int_equal(strlen(text) > 0, 1);

    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    assert_same_ops(got.ops, got.n, f.ops, f.n);

    /* within one node, seq order is kept */
    for (size_t i = 1; i < got.n; i++)
        for (size_t j = 0; j < i; j++)
            if (got.ops[j].node == got.ops[i].node)
                assert_true(got.ops[j].seq < got.ops[i].seq);

    /* encoding the decoded ops again gives the same text */
    char *again = encode_ok(got.ops, got.n);
    assert_string_equal(again, text);
    xa_op_list got2 = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got2, again, strlen(again), SCOPE), 0);
    assert_same_ops(got2.ops, got2.n, f.ops, f.n);

    free(again);
    xa_op_list_free(&got2);
    xa_op_list_free(&got);
    free(text);
    fixture_free(&f);
}

static void test_codec__round_trip_one_op_per_value(void **state)
{
    (void)state;
    /* each value alone, so a failure names the value */
    for (size_t i = 0; i < NVALUES; i++) {
        xa_op op;
        mkop(&op, SCOPE, NODE_B, 1, "ind-4", "est", VALUES[i], NULL, 0, 1, "An");
        char *text = encode_ok(&op, 1);
        xa_op_list got = XA_OP_LIST_INIT;
        int rc = xa_codec_decode(&got, text, strlen(text), SCOPE);
        if (rc != 0)
            fail_msg("value %s: decode rc %d (%s)", VALUES[i], rc, xa_error_last());
        assert_int_equal(got.n, 1);
        if (strcmp(got.ops[0].value, op.value) != 0)
            fail_msg("value %s came back as %s", op.value, got.ops[0].value);
        assert_op_equal(&got.ops[0], &op);
        xa_op_list_free(&got);
        free(text);
        xa_op_clear(&op);
    }
}

static void test_codec__round_trip_empty_and_large_ctx(void **state)
{
    (void)state;
    xa_op ops[2];
    mkop(&ops[0], SCOPE, NODE_A, 1, "a", "b", "\"x\"", NULL, 0, 0, "An");
    enum { NCTX = 300 };
    xa_dot *ctx = calloc(NCTX, sizeof *ctx);
    assert_non_null(ctx);
    for (size_t i = 0; i < NCTX; i++) {
        ctx[i].node = (xa_node)0x0123456789abcdefULL * (i + 1) + 7;
        ctx[i].seq = i % 2 ? SEQ_TOP - i : i + 1;
    }
    mkop(&ops[1], SCOPE, NODE_A, 2, "a", "b", "\"y\"", ctx, NCTX, 1, "An");
    free(ctx);
    assert_int_equal(ops[1].ctx.n, NCTX);

    char *text = encode_ok(ops, 2);
    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    assert_same_ops(got.ops, got.n, ops, 2);
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
    char *text = encode_ok(NULL, 0);
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
    mkop(&op, SCOPE, NODE_A, 1, "a", "b", v, NULL, 0, 1, "An");
    free(v);
    char *text = encode_ok(&op, 1);
    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, text, strlen(text), SCOPE), 0);
    assert_same_ops(got.ops, got.n, &op, 1);
    xa_op_list_free(&got);
    free(text);
    xa_op_clear(&op);
}

static void test_codec__decode_appends_to_list(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f);
    char *t1 = encode_ok(f.ops, 3);
    char *t2 = encode_ok(f.ops + 3, f.n - 3);

    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, t1, strlen(t1), SCOPE), 0);
    assert_int_equal(got.n, 3);
    assert_int_equal(xa_codec_decode(&got, t2, strlen(t2), SCOPE), 0);
    assert_same_ops(got.ops, got.n, f.ops, f.n);

    xa_op_list_free(&got);
    free(t1);
    free(t2);
    fixture_free(&f);
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
    fixture f;
    fixture_make(&f);
    char *text = encode_ok(f.ops, f.n);

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
    fixture_free(&f);
}

static void test_codec__encode_refuses_op_of_another_scope(void **state)
{
    (void)state;
    xa_op ops[2];
    mkop(&ops[0], SCOPE, NODE_A, 1, "a", "b", "\"x\"", NULL, 0, 1, "An");
    mkop(&ops[1], "tan-lap", NODE_A, 2, "a", "b", "\"y\"", NULL, 0, 2, "An");
    char *text = (char *)"untouched";
    char *const before = text;
    int rc = xa_codec_encode(&text, SCOPE, ops, 2);
    assert_true(rc < 0);
    assert_ptr_equal(text, before);
    xa_op_clear(&ops[0]);
    xa_op_clear(&ops[1]);
}

/* --- rejections -------------------------------------------------------- */

/* A list holding one op, to show decode leaves it as it was. */
static void list_prefill(xa_op_list *l)
{
    *l = (xa_op_list)XA_OP_LIST_INIT;
    xa_op *o = xa_op_list_push(l);
    assert_non_null(o);
    mkop(o, SCOPE, NODE_C, 77, "giu-nguyen", "text", "\"còn đây\"", NULL, 0, 42, "Giữ");
}

static void list_check_untouched(const xa_op_list *l)
{
    assert_int_equal(l->n, 1);
    assert_true(l->ops[0].node == NODE_C);
    assert_int_equal(l->ops[0].seq, 77);
    assert_string_equal(l->ops[0].entity, "giu-nguyen");
    assert_string_equal(l->ops[0].value, "\"còn đây\"");
    assert_string_equal(l->ops[0].author, "Giữ");
}

/* Decode `len` bytes of `text` copied into a buffer of exactly that size (no
 * NUL after it) and expect `want`, with the list unchanged. */
static void expect_code_n(const char *text, size_t len, const char *scope, int want)
{
    char *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, text, len);
    xa_op_list l;
    list_prefill(&l);
    int rc = xa_codec_decode(&l, buf, len, scope);
    if (rc != want)
        fail_msg("decode of %.*s%s (%zu bytes): rc %d (%s), want %d", len > 300 ? 300 : (int)len,
                 text, len > 300 ? "..." : "", len, rc, rc ? xa_error_last() : "accepted", want);
    list_check_untouched(&l);
    xa_op_list_free(&l);
    free(buf);
}

static void expect_einval(const char *text)
{
    expect_code_n(text, strlen(text), SCOPE, XA_EINVAL);
}

static void expect_ok(const char *text, size_t nops)
{
    xa_op_list l = XA_OP_LIST_INIT;
    int rc = xa_codec_decode(&l, text, strlen(text), SCOPE);
    if (rc != 0)
        fail_msg("decode of %s: rc %d (%s), want 0", text, rc, xa_error_last());
    assert_int_equal(l.n, nops);
    xa_op_list_free(&l);
}

/* A document whose first node's op is good and whose second node holds the
 * op under test, so a refusal must also undo the good op. */
#define HEAD "{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":{"
#define GOOD_A "\"" HEX_A "\":[[1,\"ind-4\",\"est\",\"1.460\",{},1719792000123,\"An\"]]"
#define DOC_B(op) HEAD GOOD_A ",\"" HEX_B "\":[" op "]}}"
#define OP(seq, ent, fld, val, ctx, hlc, author)                                                   \
    "[" seq ",\"" ent "\",\"" fld "\"," val "," ctx "," hlc ",\"" author "\"]"
#define OPV(val) OP("1", "ind-4", "plan", val, "{}", "1719792000124", "Bình")

static void test_codec__decode_rejects_every_truncation(void **state)
{
    (void)state;
    xa_op ops[3];
    const xa_dot ctx[1] = {{NODE_A, 1}};
    mkop(&ops[0], SCOPE, NODE_A, 1, "ind-4", "est", "\"Ước đạt\\n\\\"1.460\\\"\"", NULL, 0,
         1719792000123LL, "Nguyễn An");
    mkop(&ops[1], SCOPE, NODE_A, 2, "ind-4", "est", "{\"a\":[1,null]}", ctx, 1, 1719792000124LL,
         "Nguyễn An");
    mkop(&ops[2], SCOPE, NODE_B, 1, "ind-4", "note", "-636.4", ctx, 1, 1719792000125LL, "Bình");
    char *text = encode_ok(ops, 3);
    size_t len = strlen(text);
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
        len--;
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '}');

    /* the whole document, in an exact-size buffer, is fine */
    char *whole = malloc(len);
    assert_non_null(whole);
    memcpy(whole, text, len);
    xa_op_list got = XA_OP_LIST_INIT;
    assert_int_equal(xa_codec_decode(&got, whole, len, SCOPE), 0);
    assert_same_ops(got.ops, got.n, ops, 3);
    xa_op_list_free(&got);
    free(whole);

    /* and every proper prefix is refused */
    for (size_t cut = 0; cut < len; cut++)
        expect_code_n(text, cut, SCOPE, XA_EINVAL);

    free(text);
    for (size_t i = 0; i < 3; i++)
        xa_op_clear(&ops[i]);
}

static void test_codec__decode_rejects_text_that_is_not_json(void **state)
{
    (void)state;
    expect_einval("");
    expect_einval(" ");
    expect_einval("hello");
    expect_einval("{format: \"xasync-ops\"}");
    expect_einval("{'format':'xasync-ops'}");
    expect_einval(HEAD "}");
    expect_einval(HEAD GOOD_A ",}}");
    expect_einval(HEAD GOOD_A "}}}");
    /* a good document followed by anything else */
    expect_einval(HEAD GOOD_A "}} x");
    expect_einval(HEAD GOOD_A "}}" HEAD GOOD_A "}}");
    expect_einval(HEAD GOOD_A "}},");

    /* a NUL inside the stated length: the text is not one JSON document */
    static const char nul[] = HEAD GOOD_A "}}\0{}";
    expect_code_n(nul, sizeof nul - 1, SCOPE, XA_EINVAL);
}

static void test_codec__decode_rejects_json_that_is_not_an_ops_document(void **state)
{
    (void)state;
    /* controls: the skeleton documents used below are good */
    expect_ok(HEAD GOOD_A "}}", 1);
    expect_ok(DOC_B(OPV("1")), 2);
    expect_ok(HEAD "}}", 0);

    expect_einval("[]");
    expect_einval("{}");
    expect_einval("null");
    expect_einval("\"xasync-ops\"");
    expect_einval("42");
    expect_einval("{\"a\":1}");
    /* missing members */
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"scope\":\"" SCOPE "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE "\"}");
    /* wrong format name */
    expect_einval("{\"format\":\"xasync-op\",\"version\":1,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"XASYNC-OPS\",\"version\":1,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"\",\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":{" GOOD_A "}}");
    /* unknown or ill-typed version */
    expect_einval("{\"format\":\"xasync-ops\",\"version\":2,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":0,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1.5,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":\"1\",\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    /* ill-typed members */
    expect_einval("{\"format\":1,\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"scope\":7,\"nodes\":{" GOOD_A "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"scope\":null,\"nodes\":{" GOOD_A
                  "}}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":[]}");
    expect_einval("{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE
                  "\",\"nodes\":null}");
    /* a node's ops not an array, or an op not an array */
    expect_einval(HEAD GOOD_A ",\"" HEX_B "\":{}}}");
    expect_einval(HEAD GOOD_A ",\"" HEX_B "\":\"ops\"}}");
    expect_einval(DOC_B("{}"));
    expect_einval(DOC_B("1"));
    expect_einval(DOC_B("null"));
}

/* cJSON ends its strings at a \u0000 escape: a name so cut would be another,
 * valid, name.  It must be refused, not shortened. */
static void test_codec__decode_does_not_cut_strings_at_nul(void **state)
{
    (void)state;
    expect_einval(DOC_B("[1,\"ind-4\\u0000x\",\"plan\",1,{},5,\"B\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"est\\u0000x\",1,{},5,\"B\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"B\\u0000x\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{\"" HEX_A "\\u0000\":1},5,\"B\"]"));
    expect_einval(HEAD GOOD_A ",\"" HEX_B "\\u0000\":[" OPV("1") "]}}");
    expect_einval("{\"format\":\"xasync-ops\\u0000x\",\"version\":1,\"scope\":\"" SCOPE
                  "\",\"nodes\":{" GOOD_A "}}");
    /* a scope so cut would be the expected one: EINVAL or ESCOPE, not 0 */
    const char *sdoc = "{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE
                       "\\u0000x\",\"nodes\":{" GOOD_A "}}";
    xa_op_list sl;
    list_prefill(&sl);
    int src = xa_codec_decode(&sl, sdoc, strlen(sdoc), SCOPE);
    if (src != XA_EINVAL && src != XA_ESCOPE)
        fail_msg("scope \"" SCOPE "\\u0000x\": rc %d, want EINVAL or ESCOPE", src);
    list_check_untouched(&sl);
    xa_op_list_free(&sl);

    /* a value holding U+0000 is refused or kept whole, never shortened */
    const char *doc = DOC_B(OPV("\"a\\u0000b\""));
    xa_op_list l = XA_OP_LIST_INIT;
    int rc = xa_codec_decode(&l, doc, strlen(doc), SCOPE);
    if (rc == 0) {
        assert_int_equal(l.n, 2);
        for (size_t i = 0; i < l.n; i++)
            if (l.ops[i].node == NODE_B && strstr(l.ops[i].value, "\\u0000") == NULL)
                fail_msg("value \"a\\u0000b\" came back as %s", l.ops[i].value);
    } else {
        assert_int_equal(rc, XA_EINVAL);
        assert_int_equal(l.n, 0);
    }
    xa_op_list_free(&l);
}

static void test_codec__decode_rejects_wrong_member_types(void **state)
{
    (void)state;
    /* seq */
    expect_einval(DOC_B(OP("\"1\"", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("0", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("-1", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("1.5", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("0.999", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("9007199254740992", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("1e300", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("null", "ind-4", "plan", "1", "{}", "5", "B")));
    expect_einval(DOC_B(OP("true", "ind-4", "plan", "1", "{}", "5", "B")));
    /* the largest seq is fine */
    expect_ok(DOC_B(OP("9007199254740991", "ind-4", "plan", "1", "{}", "5", "B")), 2);
    /* hlc */
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "-1", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "-1719792000123", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "\"5\"", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "5.5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "null", "B")));
    expect_ok(DOC_B(OP("1", "ind-4", "plan", "1", "{}", "9007199254740991", "B")), 2);
    /* ctx not an object */
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "[]", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "null", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "\"\"", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "\"" HEX_A ":1\"", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "1", "5", "B")));
    /* ctx entries of the wrong type or range */
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{\"" HEX_A "\":\"1\"}", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{\"" HEX_A "\":-1}", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{\"" HEX_A "\":1.5}", "5", "B")));
    expect_einval(
        DOC_B(OP("1", "ind-4", "plan", "1", "{\"" HEX_A "\":9007199254740992}", "5", "B")));
    expect_einval(DOC_B(OP("1", "ind-4", "plan", "1", "{\"" HEX_A "\":{}}", "5", "B")));
    /* entity, field, author not strings */
    expect_einval(DOC_B("[1,4,\"plan\",1,{},5,\"B\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",null,1,{},5,\"B\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,7]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,null]"));
    /* op arrays of the wrong length */
    expect_einval(DOC_B("[]"));
    expect_einval(DOC_B("[1]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"B\",\"extra\"]"));
    /* a missing value is not a null value */
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",{},5,\"B\"]"));
}

static void test_codec__decode_rejects_bad_node_ids(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "1",
        "123456789abcdef",   /* 15 digits */
        "0123456789abcdef0", /* 17 digits */
        "0000000000000000",  /* node 0 */
        "zzzzzzzzzzzzzzzz",
        "0123456789abcdeg",
        "-123456789abcdef",
        "+123456789abcdef",
        " 123456789abcdef",
        "123456789abcdef ",
        "0x23456789abcdef",
        "8f3a1c2b-d5e6f70",
    };
    char doc[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* as the key of a node's group */
        int w = snprintf(doc, sizeof doc, HEAD GOOD_A ",\"%s\":[%s]}}", bad[i], OPV("1"));
        assert_true(w > 0 && (size_t)w < sizeof doc);
        expect_einval(doc);
        /* as a key of an op's ctx */
        w = snprintf(doc, sizeof doc, DOC_B("[1,\"ind-4\",\"plan\",1,{\"%s\":1},5,\"B\"]"), bad[i]);
        assert_true(w > 0 && (size_t)w < sizeof doc);
        expect_einval(doc);
    }
}

static void test_codec__decode_rejects_bad_names(void **state)
{
    (void)state;
    char *long_entity = malloc(XA_ENTITY_MAX + 2);
    char *long_field = malloc(XA_FIELD_MAX + 2);
    assert_non_null(long_entity);
    assert_non_null(long_field);
    memset(long_entity, 'e', XA_ENTITY_MAX + 1);
    long_entity[XA_ENTITY_MAX + 1] = '\0';
    memset(long_field, 'f', XA_FIELD_MAX + 1);
    long_field[XA_FIELD_MAX + 1] = '\0';

    static const char *const bad_entity[] = {
        "", "ind 4", "báo-cáo", "ind-4\\n", "ind\\t4", "a\\\"b", "ind*4", "ind,4", "ind?4",
    };
    static const char *const bad_field[] = {
        "", "e st", "est/x", "est:x", "ước", "est\\n", "e\\\\st",
    };
    char doc[1024];
    for (size_t i = 0; i < sizeof bad_entity / sizeof bad_entity[0]; i++) {
        int w = snprintf(doc, sizeof doc, DOC_B("[1,\"%s\",\"plan\",1,{},5,\"B\"]"), bad_entity[i]);
        assert_true(w > 0 && (size_t)w < sizeof doc);
        expect_einval(doc);
    }
    for (size_t i = 0; i < sizeof bad_field / sizeof bad_field[0]; i++) {
        int w = snprintf(doc, sizeof doc, DOC_B("[1,\"ind-4\",\"%s\",1,{},5,\"B\"]"), bad_field[i]);
        assert_true(w > 0 && (size_t)w < sizeof doc);
        expect_einval(doc);
    }
    int w = snprintf(doc, sizeof doc, DOC_B("[1,\"%s\",\"plan\",1,{},5,\"B\"]"), long_entity);
    assert_true(w > 0 && (size_t)w < sizeof doc);
    expect_einval(doc);
    w = snprintf(doc, sizeof doc, DOC_B("[1,\"ind-4\",\"%s\",1,{},5,\"B\"]"), long_field);
    assert_true(w > 0 && (size_t)w < sizeof doc);
    expect_einval(doc);

    /* names at their limits are fine */
    long_entity[XA_ENTITY_MAX] = '\0';
    long_field[XA_FIELD_MAX] = '\0';
    w = snprintf(doc, sizeof doc, DOC_B("[1,\"%s\",\"%s\",1,{},5,\"B\"]"), long_entity, long_field);
    assert_true(w > 0 && (size_t)w < sizeof doc);
    expect_ok(doc, 2);
    expect_ok(DOC_B("[1,\"blk:0001/p.A_z-9\",\"Est._-9\",1,{},5,\"B\"]"), 2);

    /* an author with a control character */
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"Bình\\nAn\"]"));
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"\\u0007\"]"));

    free(long_entity);
    free(long_field);
}

static void test_codec__decode_rejects_values_not_utf8(void **state)
{
    (void)state;
    /* raw bytes inside JSON strings; literals are split so that a \x escape
     * does not swallow the letters after it */
    expect_einval(DOC_B(OPV("\"ab\xff"
                            "cd\"")));
    expect_einval(DOC_B(OPV("\"\xc3\x28\"")));          /* bad continuation */
    expect_einval(DOC_B(OPV("\"\xc0\xaf\"")));          /* overlong '/' */
    expect_einval(DOC_B(OPV("\"\xe0\x80\xaf\"")));      /* overlong, 3 bytes */
    expect_einval(DOC_B(OPV("\"\xed\xa0\x80\"")));      /* UTF-16 surrogate */
    expect_einval(DOC_B(OPV("\"\xf4\x90\x80\x80\"")));  /* past U+10FFFF */
    expect_einval(DOC_B(OPV("\"\xe1\xba\"")));          /* cut sequence */
    expect_einval(DOC_B(OPV("\"\x80\"")));              /* lone continuation */
    expect_einval(DOC_B(OPV("{\"\xfe\":1}")));          /* in a member name */
    expect_einval(DOC_B(OPV("[\"ok\",\"\xc1\xbf\"]"))); /* in an array */
    /* and in the author */
    expect_einval(DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"B\xff\"]"));
    /* controls: the same shapes with good UTF-8 */
    expect_ok(DOC_B(OPV("\"\xe1\xba\xa1 ạ 😀\"")), 2);
    expect_ok(DOC_B(OPV("{\"người\":[\"Đạt\"]}")), 2);
}

/* A document with one value whose JSON text is `vlen` bytes: a string of
 * vlen - 2 letters. */
static char *doc_with_value_len(size_t vlen)
{
    const char *pre = DOC_B("[1,\"ind-4\",\"text\",");
    const char *post = ",{},5,\"B\"]]}}";
    /* DOC_B closes the document; cut its tail "]}}" to splice the value in */
    size_t prelen = strlen(pre) - strlen("]}}");
    size_t total = prelen + vlen + strlen(post);
    char *doc = malloc(total + 1);
    assert_non_null(doc);
    memcpy(doc, pre, prelen);
    doc[prelen] = '"';
    memset(doc + prelen + 1, 'a', vlen - 2);
    doc[prelen + vlen - 1] = '"';
    memcpy(doc + prelen + vlen, post, strlen(post) + 1);
    return doc;
}

static void test_codec__decode_rejects_value_over_limit(void **state)
{
    (void)state;
    char *doc = doc_with_value_len(XA_VALUE_MAX);
    expect_ok(doc, 2);
    free(doc);
    doc = doc_with_value_len(XA_VALUE_MAX + 1);
    expect_code_n(doc, strlen(doc), SCOPE, XA_ETOOBIG);
    free(doc);
    doc = doc_with_value_len(4 * XA_VALUE_MAX);
    expect_code_n(doc, strlen(doc), SCOPE, XA_ETOOBIG);
    free(doc);
}

static void test_codec__decode_rejects_author_over_limit(void **state)
{
    (void)state;
    char *author = malloc(XA_AUTHOR_MAX + 2);
    assert_non_null(author);
    memset(author, 'x', XA_AUTHOR_MAX + 1);
    author[XA_AUTHOR_MAX + 1] = '\0';
    char doc[1024];
    int w = snprintf(doc, sizeof doc, DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof doc);
    expect_einval(doc);
    author[XA_AUTHOR_MAX] = '\0';
    w = snprintf(doc, sizeof doc, DOC_B("[1,\"ind-4\",\"plan\",1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof doc);
    expect_ok(doc, 2);
    free(author);
}

static void test_codec__decode_of_another_scope_is_escope(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f);
    char *text = encode_ok(f.ops, f.n);
    expect_code_n(text, strlen(text), "tan-lap", XA_ESCOPE);
    const char *msg = xa_error_last();
    assert_non_null(msg);
    if (strstr(msg, SCOPE) == NULL || strstr(msg, "tan-lap") == NULL)
        fail_msg("message should name both scopes: \"%s\"", msg);

    /* a scope that differs only by a prefix or case is still another scope */
    expect_code_n(text, strlen(text), "hoang-ki", XA_ESCOPE);
    expect_code_n(text, strlen(text), "hoang-kim-2", XA_ESCOPE);
    free(text);
    fixture_free(&f);
}

static void test_codec__decode_refuses_text_over_max(void **state)
{
    (void)state;
    /* the size is refused before a byte is read: the pages cannot be read */
    size_t len = XA_CODEC_MAX_TEXT + 1;
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        xt_skip("cannot map 256 MiB of address space (ulimit -v?)");
    xa_op_list l;
    list_prefill(&l);
    int rc = xa_codec_decode(&l, p, len, SCOPE);
    assert_int_equal(rc, XA_ETOOBIG);
    list_check_untouched(&l);
    xa_op_list_free(&l);
    munmap(p, len);
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
        cmocka_unit_test(test_codec__decode_rejects_every_truncation),
        cmocka_unit_test(test_codec__decode_rejects_text_that_is_not_json),
        cmocka_unit_test(test_codec__decode_rejects_json_that_is_not_an_ops_document),
        cmocka_unit_test(test_codec__decode_does_not_cut_strings_at_nul),
        cmocka_unit_test(test_codec__decode_rejects_wrong_member_types),
        cmocka_unit_test(test_codec__decode_rejects_bad_node_ids),
        cmocka_unit_test(test_codec__decode_rejects_bad_names),
        cmocka_unit_test(test_codec__decode_rejects_values_not_utf8),
        cmocka_unit_test(test_codec__decode_rejects_value_over_limit),
        cmocka_unit_test(test_codec__decode_rejects_author_over_limit),
        cmocka_unit_test(test_codec__decode_of_another_scope_is_escope),
        cmocka_unit_test(test_codec__decode_refuses_text_over_max),
        cmocka_unit_test(test_codec__vv_round_trip),
        cmocka_unit_test(test_codec__vv_round_trip_empty),
        cmocka_unit_test(test_codec__vv_decode_rejects_malformed),
    };
    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
