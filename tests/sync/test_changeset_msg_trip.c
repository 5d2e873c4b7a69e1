/*
 * Sync messages (include/xasync/changeset.h) there and back: requests and
 * responses as JSON text, xa_sync_msg_encode and xa_sync_msg_decode.  Their
 * compression is tested in test_changeset_pack.c and test_changeset_refusals.c.
 *
 * What must hold:
 *   1. decode(encode(m)) gives back the message, in both directions, with
 *      or without a snapshot, and encoding it again gives the same text;
 *      the text has the members changeset.h documents and no other.
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

/* Where encode must leave its outputs when it refuses. */
static char untouched_byte;
#define OUT_SENTINEL (&untouched_byte)
#define OUTLEN_SENTINEL ((size_t)0x5eed5eedU)

/* ---- messages: round trips ---------------------------------------------- */

/* The object has exactly the members named, no other. */
static void assert_members(const cJSON *doc, const char *const *names, size_t n)
{
    const cJSON *e;
    assert_true(cJSON_IsObject(doc));
    for (size_t i = 0; i < n; i++)
        if (cJSON_GetObjectItemCaseSensitive(doc, names[i]) == NULL)
            fail_msg("no member \"%s\"", names[i]);
    cJSON_ArrayForEach(e, doc)
    {
        size_t i = 0;
        while (i < n && strcmp(e->string, names[i]) != 0)
            i++;
        if (i == n)
            fail_msg("a member \"%s\" the format does not have", e->string);
    }
    assert_int_equal(cJSON_GetArraySize(doc), n);
}

static void test_changeset__request_round_trip(void **state)
{
    (void)state;
    xa_sync_msg m;
    xm_request_make(&m);
    size_t len = 0;
    char *text = xm_encode_ok(&m, 1, &len);

    /* the documented members, checked with cJSON rather than the codec */
    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    static const char *const members[] = {"scope", "node", "have", "max", "nodes"};
    assert_members(doc, members, 5);
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, "scope");
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, SCOPE);
    j = cJSON_GetObjectItemCaseSensitive(doc, "node");
    assert_true(cJSON_IsString(j));
    assert_string_equal(j->valuestring, HEX_B);
    j = cJSON_GetObjectItemCaseSensitive(doc, "have");
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 3);
    assert_true(cJSON_GetObjectItemCaseSensitive(j, HEX_A)->valuedouble == 3.0);
    j = cJSON_GetObjectItemCaseSensitive(doc, "max");
    assert_true(cJSON_IsNumber(j) && j->valuedouble == 500.0);
    j = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, HEX_A)), 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, HEX_B)), 2);
    cJSON_Delete(doc);
    assert_non_null(strstr(text, "9007199254740991")); /* have[C], exact */

    xa_sync_msg got;
    xa_sync_msg_init(&got);
    xm_decode_ok(&got, text, len, 1);
    xm_assert_msg_equal(&got, &m, 1);

    /* encoding the decoded message gives the same text */
    size_t len2 = 0;
    char *again = xm_encode_ok(&got, 1, &len2);
    assert_string_equal(again, text);
    free(again);
    xa_sync_msg_clear(&got);

    /* and through each kind of compression */
    for (size_t k = 0; k < NKINDS; k++) {
        size_t blen = 0;
        char *back = xm_through(text, len, KINDS[k], &blen);
        xa_sync_msg_init(&got);
        xm_decode_ok(&got, back, blen, 1);
        xm_assert_msg_equal(&got, &m, 1);
        xa_sync_msg_clear(&got);
        free(back);
    }
    free(text);
    xa_sync_msg_clear(&m);
}

static void test_changeset__response_round_trip(void **state)
{
    (void)state;
    for (int more = 0; more <= 1; more++) {
        xa_sync_msg m;
        xm_response_make(&m, more);
        size_t len = 0;
        char *text = xm_encode_ok(&m, 0, &len);

        cJSON *doc = cJSON_Parse(text);
        assert_non_null(doc);
        static const char *const members[] = {"scope", "have", "more", "nodes"};
        assert_members(doc, members, 4);
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc, "scope");
        assert_true(cJSON_IsString(j));
        assert_string_equal(j->valuestring, SCOPE);
        j = cJSON_GetObjectItemCaseSensitive(doc, "more");
        assert_true(cJSON_IsBool(j));
        assert_int_equal(cJSON_IsTrue(j), more);
        j = cJSON_GetObjectItemCaseSensitive(doc, "have");
        assert_true(cJSON_IsObject(j));
        assert_int_equal(cJSON_GetArraySize(j), 2);
        j = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
        assert_true(cJSON_IsObject(j));
        assert_int_equal(cJSON_GetArraySize(j), 0);
        cJSON_Delete(doc);

        xa_sync_msg got;
        xm_msg_prefill(&got); /* a successful decode replaces what was there */
        xm_decode_ok(&got, text, len, 0);
        xm_assert_msg_equal(&got, &m, 0);
        assert_int_equal(got.ops.n, 0);
        assert_true(got.node == 0);
        assert_int_equal(got.max, 0);
        assert_null(got.snap);
        xa_sync_msg_clear(&got);
        free(text);
        xa_sync_msg_clear(&m);
    }

    /* an empty vector, and a response that carries ops */
    xa_sync_msg m, r;
    xm_response_make(&m, 1);
    xa_vv_clear(&m.have);
    xm_request_make(&r);
    m.ops = r.ops;
    r.ops = (xa_op_list)XA_OP_LIST_INIT;
    size_t len = 0;
    char *text = xm_encode_ok(&m, 0, &len);
    xa_sync_msg got;
    xa_sync_msg_init(&got);
    xm_decode_ok(&got, text, len, 0);
    xm_assert_msg_equal(&got, &m, 0);
    assert_int_equal(got.have.n, 0);
    xa_sync_msg_clear(&got);
    free(text);
    xa_sync_msg_clear(&r);
    xa_sync_msg_clear(&m);
}

static void test_changeset__response_with_a_snapshot_round_trip(void **state)
{
    (void)state;
    xa_sync_msg m;
    xm_response_make(&m, 0);
    m.snap = xm_snapshot_make();
    size_t len = 0;
    char *text = xm_encode_ok(&m, 0, &len);

    cJSON *doc = cJSON_Parse(text);
    assert_non_null(doc);
    static const char *const members[] = {"scope", "have", "more", "nodes", "snapshot"};
    assert_members(doc, members, 5);
    const cJSON *sn = cJSON_GetObjectItemCaseSensitive(doc, "snapshot");
    static const char *const snap_members[] = {"have", "fields"};
    assert_members(sn, snap_members, 2);
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(sn, "fields");
    assert_true(cJSON_IsArray(fields));
    assert_int_equal(cJSON_GetArraySize(fields), 2);
    /* [entity, field, fctx, [[node, seq, value, ctx, hlc, author], ...]];
     * fctx 0 when the values imply it */
    const cJSON *f0 = cJSON_GetArrayItem(fields, 0), *f1 = cJSON_GetArrayItem(fields, 1);
    assert_int_equal(cJSON_GetArraySize(f0), 4);
    assert_string_equal(cJSON_GetArrayItem(f0, 0)->valuestring, "ind-4");
    assert_true(cJSON_IsNumber(cJSON_GetArrayItem(f0, 2)));
    assert_true(cJSON_GetArrayItem(f0, 2)->valuedouble == 0.0);
    assert_true(cJSON_IsObject(cJSON_GetArrayItem(f1, 2)));
    const cJSON *sib = cJSON_GetArrayItem(cJSON_GetArrayItem(f1, 3), 1);
    assert_int_equal(cJSON_GetArraySize(sib), 6);
    assert_string_equal(cJSON_GetArrayItem(sib, 0)->valuestring, HEX_D);
    cJSON_Delete(doc);

    xa_sync_msg got;
    xm_msg_prefill(&got);
    xm_decode_ok(&got, text, len, 0);
    xm_assert_msg_equal(&got, &m, 0);
    size_t len2 = 0;
    char *again = xm_encode_ok(&got, 0, &len2);
    assert_string_equal(again, text);
    free(again);
    xa_sync_msg_clear(&got);

    /* through each kind of compression */
    for (size_t k = 0; k < NKINDS; k++) {
        size_t blen = 0;
        char *back = xm_through(text, len, KINDS[k], &blen);
        xa_sync_msg_init(&got);
        xm_decode_ok(&got, back, blen, 0);
        xm_assert_msg_equal(&got, &m, 0);
        xa_sync_msg_clear(&got);
        free(back);
    }
    free(text);

    /* a request has no snapshot */
    m.node = NODE_B;
    text = xm_encode_ok(&m, 1, &len);
    doc = cJSON_Parse(text);
    static const char *const req_members[] = {"scope", "node", "have", "max", "nodes"};
    assert_members(doc, req_members, 5);
    cJSON_Delete(doc);
    free(text);
    xa_sync_msg_clear(&m);
}

static void test_changeset__encode_refuses_an_op_of_another_scope(void **state)
{
    (void)state;
    xa_sync_msg m;
    xm_request_make(&m);
    xt_mkop(xm_push(&m.ops), "tan-lap", NODE_A, 4, "para/001", "text", "\"x\"", NULL, 0, 1, "An");
    for (int is_request = 0; is_request <= 1; is_request++) {
        char *text = OUT_SENTINEL;
        size_t len = OUTLEN_SENTINEL;
        int rc = xa_sync_msg_encode(&text, &len, &m, is_request);
        assert_true(rc < 0);
        assert_ptr_equal(text, OUT_SENTINEL);
        assert_int_equal(len, OUTLEN_SENTINEL);
    }
    xa_sync_msg_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changeset__request_round_trip),
        cmocka_unit_test(test_changeset__response_round_trip),
        cmocka_unit_test(test_changeset__response_with_a_snapshot_round_trip),
        cmocka_unit_test(test_changeset__encode_refuses_an_op_of_another_scope),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
