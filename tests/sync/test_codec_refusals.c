/*
 * The op codec (include/xasync/codec.h) refusing what is not an ops
 * document.
 *
 * What must hold:
 *   3. Decode trusts nothing: every malformed document is refused with
 *      XA_EINVAL (another scope: XA_ESCOPE), and a refused document leaves the
 *      output list exactly as it was, even when its first ops were good.
 *   4. Decode reads no byte past `len` (truncated inputs are passed in buffers
 *      of exactly `len` bytes with no NUL, so AddressSanitizer sees an
 *      overread).
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

/* --- rejections -------------------------------------------------------- */

/* A list holding one op, to show decode leaves it as it was. */
static void list_prefill(xa_op_list *l)
{
    *l = (xa_op_list)XA_OP_LIST_INIT;
    xa_op *o = xa_op_list_push(l);
    assert_non_null(o);
    xt_mkop(o, SCOPE, NODE_C, 77, "giu-nguyen", "text", "\"còn đây\"", NULL, 0, 42, "Giữ");
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
    xt_mkop(&ops[0], SCOPE, NODE_A, 1, "ind-4", "est", "\"Ước đạt\\n\\\"1.460\\\"\"", NULL, 0,
            1719792000123LL, "Nguyễn An");
    xt_mkop(&ops[1], SCOPE, NODE_A, 2, "ind-4", "est", "{\"a\":[1,null]}", ctx, 1, 1719792000124LL,
            "Nguyễn An");
    xt_mkop(&ops[2], SCOPE, NODE_B, 1, "ind-4", "note", "-636.4", ctx, 1, 1719792000125LL, "Bình");
    char *text = xc_encode_ok(ops, 3);
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
    xc_assert_same_ops(got.ops, got.n, ops, 3);
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
    xc_fixture f;
    xc_fixture_make(&f);
    char *text = xc_encode_ok(f.ops, f.n);
    expect_code_n(text, strlen(text), "tan-lap", XA_ESCOPE);
    const char *msg = xa_error_last();
    assert_non_null(msg);
    if (strstr(msg, SCOPE) == NULL || strstr(msg, "tan-lap") == NULL)
        fail_msg("message should name both scopes: \"%s\"", msg);

    /* a scope that differs only by a prefix or case is still another scope */
    expect_code_n(text, strlen(text), "hoang-ki", XA_ESCOPE);
    expect_code_n(text, strlen(text), "hoang-kim-2", XA_ESCOPE);
    free(text);
    xc_fixture_free(&f);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
