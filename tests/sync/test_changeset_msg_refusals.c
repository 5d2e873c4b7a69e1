/*
 * Sync messages (include/xasync/changeset.h) refused by xa_sync_msg_decode.
 *
 * What must hold:
 *   2. Decode trusts nothing: a message of another scope is refused with
 *      XA_ESCOPE; anything malformed (a member missing or ill-typed, a bad
 *      node id or vector, an op or snapshot the codec would refuse, text
 *      after the document) with XA_EINVAL (XA_ETOOBIG for a value over
 *      XA_VALUE_MAX); and a refused message leaves `m` exactly as it was,
 *      even when its first ops were good.
 *   3. Decode reads no byte past `len` (texts are passed in buffers of
 *      exactly `len` bytes, with no NUL after them).
 *
 * The harness: tests/support/msgfx.h.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "msgfx.h"
#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages: refusals ---------------------------------------------------- */

static void test_changeset__decode_controls_are_accepted(void **state)
{
    (void)state;
    /* the skeletons the refusals below vary */
    xm_parts p = xm_request_parts();
    xm_expect_parts_ok(&p, 1, 1);
    p = xm_response_parts();
    xm_expect_parts_ok(&p, 0, 1);
    p.more = "true";
    xm_expect_parts_ok(&p, 0, 1);
    p = xm_request_parts();
    p.nodes = NODES_B("[1,\"ind-4\",\"est\",\"1.472\",{},5,\"B\"]");
    xm_expect_parts_ok(&p, 1, 2);
    p.have = "{}";
    xm_expect_parts_ok(&p, 1, 2);
    /* trailing white space is not text */
    char *t = xm_build(&p);
    size_t n = strlen(t);
    char *u = malloc(n + 4);
    assert_non_null(u);
    memcpy(u, t, n);
    memcpy(u + n, " \n\t", 4);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    xm_decode_ok(&m, u, n + 3, 1);
    xa_sync_msg_clear(&m);
    free(u);
    free(t);
}

static void test_changeset__decode_of_another_scope_is_escope(void **state)
{
    (void)state;
    for (int is_request = 0; is_request <= 1; is_request++) {
        xm_parts p = is_request ? xm_request_parts() : xm_response_parts();
        char *t = xm_build(&p);
        xm_expect_msg_code_n(t, strlen(t), "tan-lap", is_request, XA_ESCOPE);
        const char *msg = xa_error_last();
        if (strstr(msg, SCOPE) == NULL || strstr(msg, "tan-lap") == NULL)
            fail_msg("the message should name both scopes: \"%s\"", msg);
        xm_expect_msg_code_n(t, strlen(t), "hoang-ki", is_request, XA_ESCOPE);
        xm_expect_msg_code_n(t, strlen(t), "hoang-kim-2", is_request, XA_ESCOPE);
        free(t);
        p.scope = "\"tan-lap\"";
        xm_expect_parts(&p, is_request, XA_ESCOPE);
    }
}

/* The format and its version are named by the media type, not in the text
 * (changeset.h); the text must still be a message, not an ops file. */
static void test_changeset__decode_rejects_a_bad_scope_or_an_ops_file(void **state)
{
    (void)state;
    static const char *const scopes[] = {
        "\"Hoang Kim\"", "\"\"", "7", "null", "\"hoàng-kim\"", NULL, "[\"" SCOPE "\"]"};
    static const char *const ops_file =
        "{\"format\":\"xasync-ops\",\"version\":1,\"scope\":\"" SCOPE "\",\"nodes\":" GOOD_NODES
        "}";
    for (int is_request = 0; is_request <= 1; is_request++) {
        for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
            xm_parts p = is_request ? xm_request_parts() : xm_response_parts();
            p.scope = scopes[i];
            xm_expect_parts(&p, is_request, XA_EINVAL);
        }
        xm_expect_msg_code_n(ops_file, strlen(ops_file), SCOPE, is_request, XA_EINVAL);
    }
}

static void test_changeset__decode_rejects_a_request_without_a_good_node_or_max(void **state)
{
    (void)state;
    static const char *const nodes[] = {
        NULL,
        "\"\"",
        "\"123456789abcdef\"",
        "\"0123456789abcdef0\"",
        "\"0000000000000000\"",
        "\"zzzzzzzzzzzzzzzz\"",
        "\" 123456789abcdef\"",
        "\"0x23456789abcdef\"",
        "1",
        "null",
        "{}",
        "[\"" HEX_B "\"]",
    };
    static const char *const maxes[] = {NULL,   "-1",    "1.5",   "\"100\"", "null",
                                        "true", "1e300", "[100]", "{}",      "-0.5"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        xm_parts p = xm_request_parts();
        p.node = nodes[i];
        xm_expect_parts(&p, 1, XA_EINVAL);
    }
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        xm_parts p = xm_request_parts();
        p.max = maxes[i];
        xm_expect_parts(&p, 1, XA_EINVAL);
    }
    /* a response is not a request */
    xm_parts p = xm_response_parts();
    xm_expect_parts(&p, 1, XA_EINVAL);
}

static void test_changeset__decode_rejects_a_response_without_a_good_more(void **state)
{
    (void)state;
    static const char *const mores[] = {NULL, "1", "0", "\"true\"", "null", "[]", "{}"};
    for (size_t i = 0; i < sizeof mores / sizeof mores[0]; i++) {
        xm_parts p = xm_response_parts();
        p.more = mores[i];
        xm_expect_parts(&p, 0, XA_EINVAL);
    }
    /* a request is not a response */
    xm_parts p = xm_request_parts();
    xm_expect_parts(&p, 0, XA_EINVAL);
}

static void test_changeset__decode_rejects_a_bad_have(void **state)
{
    (void)state;
    static const char *const haves[] = {
        NULL,
        "[]",
        "\"" HEX_A ":1\"",
        "null",
        "1",
        "true",
        "[[\"" HEX_A "\",1]]",
        "{\"zzzzzzzzzzzzzzzz\":1}",
        "{\"0000000000000000\":1}",
        "{\"" HEX_A "\":0}",
        "{\"" HEX_A "\":-1}",
        "{\"" HEX_A "\":1.5}",
        "{\"" HEX_A "\":\"1\"}",
        "{\"" HEX_A "\":9007199254740992}",
        "{\"" HEX_A "\":null}",
        "{\"" HEX_A "\":1,\"" HEX_A "\":2}",
        "{\"" HEX_A "\":1,\"" HEX_B "\":2,\"" HEX_D "\":{}}",
    };
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof haves / sizeof haves[0]; i++) {
            xm_parts p = is_request ? xm_request_parts() : xm_response_parts();
            p.have = haves[i];
            xm_expect_parts(&p, is_request, XA_EINVAL);
        }
}

static void test_changeset__decode_rejects_ops_that_are_not_well_formed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "[]",
        "null",
        "\"ops\"",
        "{\"" HEX_A "\":{}}",
        "{\"" HEX_A "\":[" GOOD_OP_A "],\"zzzzzzzzzzzzzzzz\":[]}",
        "{\"" HEX_A "\":[" GOOD_OP_A "],\"0000000000000000\":[]}",
        NODES_B("[0,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[\"1\",\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1.5,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[9007199254740992,\"ind-4\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},-1,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5,\"B\",\"x\"]"),
        NODES_B("{}"),
        NODES_B("[1,\"báo cáo\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"e st\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{},5,\"B\\nAn\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,[],5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",1,{\"" HEX_A "\":0},5,\"B\"]"),
        NODES_B("[1,\"ind-4\\u0000x\",\"est\",1,{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",\"ab\xff"
                "cd\",{},5,\"B\"]"),
        NODES_B("[1,\"ind-4\",\"est\",\"\xed\xa0\x80\",{},5,\"B\"]"),
    };
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            xm_parts p = is_request ? xm_request_parts() : xm_response_parts();
            p.nodes = bad[i];
            xm_expect_parts(&p, is_request, XA_EINVAL);
        }

    /* a value over XA_VALUE_MAX */
    size_t vlen = XA_VALUE_MAX + 1;
    const char *pre = "{\"" HEX_B "\":[[1,\"ind-4\",\"text\",\"";
    const char *post = "\",{},5,\"B\"]]}";
    char *nodes = malloc(strlen(pre) + vlen + strlen(post) + 1);
    assert_non_null(nodes);
    size_t off = strlen(pre);
    memcpy(nodes, pre, off);
    memset(nodes + off, 'a', vlen - 2);
    off += vlen - 2;
    memcpy(nodes + off, post, strlen(post) + 1);
    xm_parts p = xm_request_parts();
    p.nodes = nodes;
    xm_expect_parts(&p, 1, XA_ETOOBIG);
    free(nodes);
}

#define SIB_A "[\"" HEX_A "\",2,\"1.472\",{\"" HEX_A "\":1},1719792000123,\"An\"]"
#define SNAP_FIELD(sibs) "[\"ind-4\",\"est\",0,[" sibs "]]"
#define SNAP(fields) "{\"have\":{\"" HEX_A "\":2},\"fields\":[" fields "]}"
/* A good field first, then `field`: a refusal must undo the good one. */
#define SNAP_2(field) SNAP(SNAP_FIELD(SIB_A) "," field)
#define SNAP_SIB(sib) SNAP_2("[\"para/003\",\"text\",0,[" SIB_A "," sib "]]")

static void test_changeset__decode_rejects_a_bad_snapshot(void **state)
{
    (void)state;
    /* controls */
    xm_parts p = xm_response_parts();
    p.snapshot = SNAP(SNAP_FIELD(SIB_A));
    char *t = xm_build(&p);
    xa_sync_msg m;
    xa_sync_msg_init(&m);
    xm_decode_ok(&m, t, strlen(t), 0);
    assert_non_null(m.snap);
    assert_int_equal(m.snap->n, 1);
    assert_int_equal(m.snap->f[0].n, 1);
    assert_int_equal(xa_vv_get(&m.snap->f[0].fctx, NODE_A), 2); /* implied */
    xa_sync_msg_clear(&m);
    free(t);
    p.snapshot = "{\"have\":{},\"fields\":[]}";
    xm_expect_parts_ok(&p, 0, 1);
    p.snapshot = SNAP_SIB("[\"" HEX_B "\",1,null,{},5,\"B\"]");
    xm_expect_parts_ok(&p, 0, 1);

    static const char *const bad[] = {
        "null",
        "[]",
        "1",
        "\"snapshot\"",
        "{}",
        "{\"fields\":[]}",
        "{\"have\":[],\"fields\":[]}",
        "{\"have\":{},\"fields\":{}}",
        "{\"have\":{\"zzzzzzzzzzzzzzzz\":1},\"fields\":[]}",
        /* fields */
        SNAP_2("1"),
        SNAP_2("[]"),
        SNAP_2("[\"ind-4\",\"est\",0]"),
        SNAP_2("[\"ind-4\",\"est\",0,[],1]"),
        SNAP_2("[4,\"est\",0,[]]"),
        SNAP_2("[\"báo cáo\",\"est\",0,[]]"),
        SNAP_2("[\"ind-4\",\"e st\",0,[]]"),
        SNAP_2("[\"ind-4\",null,0,[]]"),
        SNAP_2("[\"ind-4\",\"est\",\"x\",[]]"),
        SNAP_2("[\"ind-4\",\"est\",1,[]]"),
        SNAP_2("[\"ind-4\",\"est\",[],[]]"),
        SNAP_2("[\"ind-4\",\"est\",{\"zzzzzzzzzzzzzzzz\":1},[]]"),
        SNAP_2("[\"ind-4\",\"est\",{\"" HEX_A "\":0},[]]"),
        SNAP_2("[\"ind-4\",\"est\",0,{}]"),
        /* values */
        SNAP_SIB("[]"),
        SNAP_SIB("1"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"B\",7]"),
        SNAP_SIB("[\"zzzzzzzzzzzzzzzz\",1,1,{},5,\"B\"]"),
        SNAP_SIB("[\"0000000000000000\",1,1,{},5,\"B\"]"),
        SNAP_SIB("[1,1,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",0,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",\"1\",1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1.5,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",9007199254740992,1,{},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},-1,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},\"5\",\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,[],5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{\"zzzzzzzzzzzzzzzz\":1},5,\"B\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,7]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,null]"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = xm_response_parts();
        p.snapshot = bad[i];
        xm_expect_parts(&p, 0, XA_EINVAL);
    }

    /* a value over XA_VALUE_MAX */
    size_t vlen = XA_VALUE_MAX + 1;
    const char *pre = "{\"have\":{},\"fields\":[[\"ind-4\",\"text\",0,[[\"" HEX_B "\",1,\"";
    const char *post = "\",{},5,\"B\"]]]]}";
    char *big = malloc(strlen(pre) + vlen + strlen(post) + 1);
    assert_non_null(big);
    size_t off = strlen(pre);
    memcpy(big, pre, off);
    memset(big + off, 'a', vlen - 2);
    off += vlen - 2;
    memcpy(big + off, post, strlen(post) + 1);
    p.snapshot = big;
    xm_expect_parts(&p, 0, XA_ETOOBIG);
    free(big);
}

/* A snapshot's values are ops: their authors pass the checks an op's author
 * passes in "nodes" (no control character, at most XA_AUTHOR_MAX bytes). */
static void test_changeset__decode_rejects_a_snapshot_author_the_codec_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"Bình\\nAn\"]"),
        SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"\\u0007\"]"),
    };
    xm_parts p = xm_response_parts();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.snapshot = bad[i];
        xm_expect_parts(&p, 0, XA_EINVAL);
    }
    char *author = malloc(XA_AUTHOR_MAX + 2);
    assert_non_null(author);
    memset(author, 'x', XA_AUTHOR_MAX + 1);
    author[XA_AUTHOR_MAX + 1] = '\0';
    char snap[1024];
    int w = snprintf(snap, sizeof snap, SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof snap);
    p.snapshot = snap;
    xm_expect_parts(&p, 0, XA_EINVAL);
    /* control: at the limit it is fine */
    author[XA_AUTHOR_MAX] = '\0';
    w = snprintf(snap, sizeof snap, SNAP_SIB("[\"" HEX_B "\",1,1,{},5,\"%s\"]"), author);
    assert_true(w > 0 && (size_t)w < sizeof snap);
    xm_expect_parts_ok(&p, 0, 1);
    free(author);
}

static void test_changeset__decode_rejects_text_that_is_not_one_message(void **state)
{
    (void)state;
    static const char *const notmsg[] = {
        "", " ", "x", "[]", "null", "42", "\"xasync-sync\"", "{}", "{\"format\":\"xasync-sync\"}"};
    for (int is_request = 0; is_request <= 1; is_request++)
        for (size_t i = 0; i < sizeof notmsg / sizeof notmsg[0]; i++)
            xm_expect_msg_code_n(notmsg[i], strlen(notmsg[i]), SCOPE, is_request, XA_EINVAL);

    static const char *const tails[] = {" x", "{}", ",", "}", "\n[]", "\0{}"};
    static const size_t tail_len[] = {2, 2, 1, 1, 3, 3};
    for (int is_request = 0; is_request <= 1; is_request++) {
        xm_parts p = is_request ? xm_request_parts() : xm_response_parts();
        char *t = xm_build(&p);
        size_t n = strlen(t);
        for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
            char *u = malloc(n + tail_len[i]);
            assert_non_null(u);
            memcpy(u, t, n);
            memcpy(u + n, tails[i], tail_len[i]);
            xm_expect_msg_code_n(u, n + tail_len[i], SCOPE, is_request, XA_EINVAL);
            free(u);
        }
        /* the scope cut at an escaped NUL would be the expected one */
        p.scope = "\"" SCOPE "\\u0000x\"";
        char *s = xm_build(&p);
        xa_sync_msg m;
        xm_msg_prefill(&m);
        int rc = xa_sync_msg_decode(&m, s, strlen(s), SCOPE, is_request);
        if (rc != XA_EINVAL && rc != XA_ESCOPE)
            fail_msg("scope \"" SCOPE "\\u0000x\": rc %d, want EINVAL or ESCOPE", rc);
        xm_msg_check_untouched(&m);
        xa_sync_msg_clear(&m);
        free(s);
        /* not UTF-8, in a member the codec does not read */
        p = is_request ? xm_request_parts() : xm_response_parts();
        p.have = "{\"" HEX_A "\":1,\"x\xff\":[]}";
        xm_expect_parts(&p, is_request, XA_EINVAL);
        free(t);
    }
}

static void test_changeset__decode_rejects_every_truncation(void **state)
{
    (void)state;
    for (int is_request = 0; is_request <= 1; is_request++) {
        xa_sync_msg m;
        if (is_request) {
            xm_request_make(&m);
        } else {
            xm_response_make(&m, 1);
            m.snap = xm_snapshot_make();
            xa_sync_msg r;
            xm_request_make(&r);
            m.ops = r.ops;
            r.ops = (xa_op_list)XA_OP_LIST_INIT;
            xa_sync_msg_clear(&r);
        }
        size_t len = 0;
        char *text = xm_encode_ok(&m, is_request, &len);
        for (size_t cut = 0; cut < len; cut++)
            xm_expect_msg_code_n(text, cut, SCOPE, is_request, XA_EINVAL);
        free(text);
        xa_sync_msg_clear(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset__decode_controls_are_accepted),
        cmocka_unit_test(test_changeset__decode_of_another_scope_is_escope),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_scope_or_an_ops_file),
        cmocka_unit_test(test_changeset__decode_rejects_a_request_without_a_good_node_or_max),
        cmocka_unit_test(test_changeset__decode_rejects_a_response_without_a_good_more),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_have),
        cmocka_unit_test(test_changeset__decode_rejects_ops_that_are_not_well_formed),
        cmocka_unit_test(test_changeset__decode_rejects_a_bad_snapshot),
        cmocka_unit_test(test_changeset__decode_rejects_a_snapshot_author_the_codec_refuses),
        cmocka_unit_test(test_changeset__decode_rejects_text_that_is_not_one_message),
        cmocka_unit_test(test_changeset__decode_rejects_every_truncation),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
