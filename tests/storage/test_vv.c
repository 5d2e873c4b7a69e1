/*
 * Tests of version vectors and dots (include/xasync/vv.h).
 *
 * Checked here: the invariants every function must keep (entries sorted by
 * node, no duplicate node, no seq 0), the pointwise operations, and the
 * storage text form, which comes from disk and from the wire and so must
 * refuse anything malformed rather than guess.
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/vv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

/* Two nodes chosen so that numeric order differs from insertion order. */
#define NA ((xa_node)0xa000000000000001ULL)
#define NB ((xa_node)0x0b00000000000002ULL)
#define NC ((xa_node)0xfedcba9876543210ULL)

/* Every function must leave the vector sorted by node, without duplicates
 * and without zero seqs. */
static void check_invariants(const xa_vv *vv)
{
    for (size_t i = 0; i < vv->n; i++) {
        assert_true(vv->e[i].seq > 0);
        assert_true(vv->e[i].node != 0);
        if (i > 0)
            assert_true(vv->e[i - 1].node < vv->e[i].node);
    }
}

static void test_vv__empty_vector_reads_zero(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(v.n, 0);
    assert_int_equal(xa_vv_get(&v, NA), 0);
    assert_int_equal(xa_vv_covers(&v, (xa_dot){NA, 1}), 0);
    xa_vv_free(&v);
    xa_vv_free(&v); /* freeing twice an emptied vector is harmless */
    xa_vv_clear(&v);
    assert_int_equal(v.n, 0);
}

static void test_vv__set_and_get(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&v, NA, 3), 0);
    assert_int_equal(xa_vv_set(&v, NC, 9), 0);
    assert_int_equal(xa_vv_set(&v, NB, 5), 0);
    check_invariants(&v);
    assert_int_equal(v.n, 3);
    assert_int_equal(xa_vv_get(&v, NA), 3);
    assert_int_equal(xa_vv_get(&v, NB), 5);
    assert_int_equal(xa_vv_get(&v, NC), 9);
    assert_int_equal(xa_vv_get(&v, 42), 0);

    /* set may lower a value: it is an assignment, not a max */
    assert_int_equal(xa_vv_set(&v, NA, 1), 0);
    assert_int_equal(xa_vv_get(&v, NA), 1);
    assert_int_equal(v.n, 3);

    /* seq 0 removes the entry */
    assert_int_equal(xa_vv_set(&v, NB, 0), 0);
    check_invariants(&v);
    assert_int_equal(v.n, 2);
    assert_int_equal(xa_vv_get(&v, NB), 0);

    /* removing an absent node is a no-op */
    assert_int_equal(xa_vv_set(&v, 77, 0), 0);
    assert_int_equal(v.n, 2);
    check_invariants(&v);

    xa_vv_clear(&v);
    assert_int_equal(v.n, 0);
    assert_int_equal(xa_vv_get(&v, NA), 0);
    assert_int_equal(xa_vv_set(&v, NA, 7), 0);
    assert_int_equal(xa_vv_get(&v, NA), 7);
    xa_vv_free(&v);
    assert_int_equal(v.n, 0);
}

static void test_vv__set_keeps_order_for_many_nodes(void **state)
{
    xa_vv v = XA_VV_INIT;
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    /* pseudo-random nodes, inserted in no particular order */
    for (int i = 0; i < 500; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        assert_int_equal(xa_vv_set(&v, x | 1, (uint64_t)i + 1), 0);
    }
    check_invariants(&v);
    assert_int_equal(v.n, 500);
    xa_vv_free(&v);
}

static void test_vv__set_refuses_past_max_entries(void **state)
{
    xa_vv v = XA_VV_INIT;

    for (xa_node nd = 1; nd <= XA_VV_MAX; nd++)
        assert_int_equal(xa_vv_set(&v, nd, 1), 0);
    assert_int_equal(v.n, XA_VV_MAX);
    /* updating an existing entry is still fine */
    assert_int_equal(xa_vv_set(&v, 5, 2), 0);
    assert_int_equal(xa_vv_bump(&v, 6, 3), 0);
    /* a new one is not */
    assert_int_equal(xa_vv_set(&v, XA_VV_MAX + 1, 1), XA_ETOOBIG);
    assert_int_equal(xa_vv_bump(&v, XA_VV_MAX + 2, 1), XA_ETOOBIG);
    assert_int_equal(v.n, XA_VV_MAX);
    assert_int_equal(xa_vv_get(&v, XA_VV_MAX + 1), 0);
    check_invariants(&v);
    xa_vv_free(&v);
}

static void test_vv__bump_takes_max(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(xa_vv_bump(&v, NA, 4), 0);
    assert_int_equal(xa_vv_get(&v, NA), 4);
    assert_int_equal(xa_vv_bump(&v, NA, 2), 0);
    assert_int_equal(xa_vv_get(&v, NA), 4);
    assert_int_equal(xa_vv_bump(&v, NA, 6), 0);
    assert_int_equal(xa_vv_get(&v, NA), 6);
    assert_int_equal(xa_vv_bump(&v, NB, 1), 0);
    assert_int_equal(xa_vv_get(&v, NB), 1);
    /* bumping by 0 never creates or lowers an entry */
    assert_int_equal(xa_vv_bump(&v, NC, 0), 0);
    assert_int_equal(xa_vv_bump(&v, NA, 0), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(xa_vv_get(&v, NA), 6);
    check_invariants(&v);
    xa_vv_free(&v);
}

static void test_vv__merge_is_pointwise_max(void **state)
{
    xa_vv a = XA_VV_INIT, b = XA_VV_INIT, e = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&a, NA, 3), 0);
    assert_int_equal(xa_vv_set(&a, NB, 1), 0);
    assert_int_equal(xa_vv_set(&b, NB, 7), 0);
    assert_int_equal(xa_vv_set(&b, NC, 2), 0);
    assert_int_equal(xa_vv_set(&b, 5, 9), 0);

    assert_int_equal(xa_vv_merge(&a, &b), 0);
    check_invariants(&a);
    assert_int_equal(a.n, 4);
    assert_int_equal(xa_vv_get(&a, NA), 3);
    assert_int_equal(xa_vv_get(&a, NB), 7);
    assert_int_equal(xa_vv_get(&a, NC), 2);
    assert_int_equal(xa_vv_get(&a, 5), 9);
    /* the source is untouched */
    assert_int_equal(b.n, 3);
    assert_int_equal(xa_vv_get(&b, NB), 7);

    /* merging with an empty vector changes nothing; into one copies */
    xa_vv before = XA_VV_INIT;
    assert_int_equal(xa_vv_copy(&before, &a), 0);
    assert_int_equal(xa_vv_merge(&a, &e), 0);
    assert_true(xa_vv_equal(&a, &before));
    assert_int_equal(xa_vv_merge(&e, &a), 0);
    assert_true(xa_vv_equal(&e, &a));

    /* merge is commutative */
    xa_vv x = XA_VV_INIT, y = XA_VV_INIT;
    assert_int_equal(xa_vv_set(&x, NA, 1), 0);
    assert_int_equal(xa_vv_set(&x, NC, 5), 0);
    assert_int_equal(xa_vv_set(&y, NA, 2), 0);
    assert_int_equal(xa_vv_set(&y, NB, 5), 0);
    xa_vv xy = XA_VV_INIT, yx = XA_VV_INIT;
    assert_int_equal(xa_vv_copy(&xy, &x), 0);
    assert_int_equal(xa_vv_merge(&xy, &y), 0);
    assert_int_equal(xa_vv_copy(&yx, &y), 0);
    assert_int_equal(xa_vv_merge(&yx, &x), 0);
    assert_true(xa_vv_equal(&xy, &yx));
    check_invariants(&xy);

    xa_vv_free(&a);
    xa_vv_free(&b);
    xa_vv_free(&e);
    xa_vv_free(&before);
    xa_vv_free(&x);
    xa_vv_free(&y);
    xa_vv_free(&xy);
    xa_vv_free(&yx);
}

static void test_vv__copy_is_deep(void **state)
{
    xa_vv a = XA_VV_INIT, c = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&a, NA, 3), 0);
    assert_int_equal(xa_vv_set(&a, NB, 4), 0);
    /* copying over a non-empty vector replaces its content */
    assert_int_equal(xa_vv_set(&c, NC, 8), 0);
    assert_int_equal(xa_vv_copy(&c, &a), 0);
    assert_true(xa_vv_equal(&c, &a));
    assert_int_equal(xa_vv_get(&c, NC), 0);
    assert_int_equal(xa_vv_set(&a, NA, 10), 0);
    assert_int_equal(xa_vv_get(&c, NA), 3);

    xa_vv empty = XA_VV_INIT;
    assert_int_equal(xa_vv_copy(&c, &empty), 0);
    assert_int_equal(c.n, 0);
    xa_vv_free(&a);
    xa_vv_free(&c);
}

static void test_vv__covers(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&v, NA, 3), 0);
    assert_int_equal(xa_vv_covers(&v, (xa_dot){NA, 1}), 1);
    assert_int_equal(xa_vv_covers(&v, (xa_dot){NA, 3}), 1);
    assert_int_equal(xa_vv_covers(&v, (xa_dot){NA, 4}), 0);
    assert_int_equal(xa_vv_covers(&v, (xa_dot){NB, 1}), 0);
    xa_vv_free(&v);
}

static void test_vv__equal(void **state)
{
    xa_vv a = XA_VV_INIT, b = XA_VV_INIT;

    assert_int_equal(xa_vv_equal(&a, &b), 1);
    /* same entries set in another order */
    assert_int_equal(xa_vv_set(&a, NA, 1), 0);
    assert_int_equal(xa_vv_set(&a, NB, 2), 0);
    assert_int_equal(xa_vv_set(&b, NB, 2), 0);
    assert_int_equal(xa_vv_equal(&a, &b), 0);
    assert_int_equal(xa_vv_set(&b, NA, 1), 0);
    assert_int_equal(xa_vv_equal(&a, &b), 1);
    assert_int_equal(xa_vv_equal(&b, &a), 1);
    /* same nodes, other seq */
    assert_int_equal(xa_vv_set(&b, NA, 2), 0);
    assert_int_equal(xa_vv_equal(&a, &b), 0);
    /* an entry removed with seq 0 is as if never set */
    assert_int_equal(xa_vv_set(&b, NA, 1), 0);
    assert_int_equal(xa_vv_set(&b, NC, 4), 0);
    assert_int_equal(xa_vv_equal(&a, &b), 0);
    assert_int_equal(xa_vv_set(&b, NC, 0), 0);
    assert_int_equal(xa_vv_equal(&a, &b), 1);
    xa_vv_free(&a);
    xa_vv_free(&b);
}

static void test_vv__format_exact_text(void **state)
{
    xa_vv v = XA_VV_INIT;
    char *s = xa_vv_format(&v);

    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);

    assert_int_equal(xa_vv_set(&v, NA, 12), 0);
    assert_int_equal(xa_vv_set(&v, NB, 3), 0);
    assert_int_equal(xa_vv_set(&v, XA_SEQ_MAX - 1, XA_SEQ_MAX - 1), 0);
    s = xa_vv_format(&v);
    assert_non_null(s);
    assert_string_equal(s, "001fffffffffffff:9007199254740991,"
                           "0b00000000000002:3,"
                           "a000000000000001:12");
    free(s);
    xa_vv_free(&v);
}

static void round_trip(const xa_vv *v)
{
    char *s = xa_vv_format(v);
    xa_vv back = XA_VV_INIT;

    assert_non_null(s);
    assert_int_equal(xa_vv_parse(s, &back), 0);
    check_invariants(&back);
    assert_true(xa_vv_equal(&back, v));
    /* formatting again gives the same text */
    char *s2 = xa_vv_format(&back);
    assert_non_null(s2);
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    xa_vv_free(&back);
}

static void test_vv__format_parse_round_trip(void **state)
{
    xa_vv v = XA_VV_INIT;
    uint64_t x = 88172645463325252ULL;

    round_trip(&v);
    assert_int_equal(xa_vv_set(&v, 1, 1), 0);
    round_trip(&v);
    assert_int_equal(xa_vv_set(&v, UINT64_MAX, XA_SEQ_MAX - 1), 0);
    round_trip(&v);
    for (int i = 0; i < 200; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        assert_int_equal(xa_vv_set(&v, x | 1, (x >> 11) % (XA_SEQ_MAX - 1) + 1), 0);
        if (i % 37 == 0)
            round_trip(&v);
    }
    round_trip(&v);
    xa_vv_free(&v);
}

static void test_vv__parse_replaces_previous_content(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&v, NC, 99), 0);
    assert_int_equal(xa_vv_parse("0000000000000001:5,00000000000000ff:2", &v), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(xa_vv_get(&v, 1), 5);
    assert_int_equal(xa_vv_get(&v, 0xff), 2);
    assert_int_equal(xa_vv_get(&v, NC), 0);
    assert_int_equal(xa_vv_parse("", &v), 0);
    assert_int_equal(v.n, 0);
    xa_vv_free(&v);
}

static void test_vv__parse_accepts_largest_seq(void **state)
{
    xa_vv v = XA_VV_INIT;

    assert_int_equal(xa_vv_parse("ffffffffffffffff:9007199254740991", &v), 0);
    assert_int_equal(xa_vv_get(&v, UINT64_MAX), XA_SEQ_MAX - 1);
    xa_vv_free(&v);
}

static void test_vv__parse_rejects_malformed(void **state)
{
    /* Each malformed text is refused.  The header names no code: the text is
     * "the storage text form", so XA_ECORRUPT (stored data contradicting
     * itself) is as fitting as XA_EINVAL (bad input); a seq past XA_SEQ_MAX
     * may also be told as a limit (XA_ETOOBIG). */
    static const struct {
        const char *text;
        int may_be_toobig;
    } bad[] = {
        /* bad hex */
        {"000000000000000g:1", 0},
        {"00000000000000-1:1", 0},
        {"0x00000000000001:1", 0},
        {" 000000000000001:1", 0},
        /* 15 and 17 digits */
        {"000000000000001:1", 0},
        {"00000000000000001:1", 0},
        /* node 0 */
        {"0000000000000000:1", 0},
        /* seq 0, missing, negative, not decimal */
        {"0000000000000001:0", 0},
        {"0000000000000001:", 0},
        {"0000000000000001", 0},
        {"0000000000000001:-1", 0},
        {"0000000000000001:+1", 0},
        {"0000000000000001:1a", 0},
        {"0000000000000001:0x10", 0},
        {"0000000000000001: 1", 0},
        {"0000000000000001:1 ", 0},
        {"0000000000000001:1.0", 0},
        /* seq >= 2^53, up to overflowing 64 bits */
        {"0000000000000001:9007199254740992", 1},
        {"0000000000000001:9007199254740993", 1},
        {"0000000000000001:18446744073709551615", 1},
        {"0000000000000001:18446744073709551616", 1},
        {"0000000000000001:99999999999999999999999999", 1},
        /* separators */
        {"0000000000000001:1,", 0},
        {",0000000000000001:1", 0},
        {"0000000000000001:1,,0000000000000002:1", 0},
        {"0000000000000001:1;0000000000000002:1", 0},
        {"0000000000000001:1, 0000000000000002:1", 0},
        {"0000000000000001::1", 0},
        {":1", 0},
        {",", 0},
        /* unsorted, duplicate */
        {"0000000000000002:1,0000000000000001:1", 0},
        {"0000000000000001:1,0000000000000001:1", 0},
        {"0000000000000001:1,0000000000000001:2", 0},
        {"0000000000000001:1,0000000000000003:1,0000000000000002:1", 0},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xa_vv v = XA_VV_INIT;
        int rc = xa_vv_parse(bad[i].text, &v);
        if (rc == 0)
            fail_msg("xa_vv_parse accepted \"%s\"", bad[i].text);
        if (rc != XA_EINVAL && rc != XA_ECORRUPT && !(bad[i].may_be_toobig && rc == XA_ETOOBIG))
            fail_msg("xa_vv_parse(\"%s\") returned %d, want XA_EINVAL or XA_ECORRUPT", bad[i].text,
                     rc);
        xa_vv_free(&v);
    }
}

static void test_vv__parse_rejects_too_many_entries(void **state)
{
    /* XA_VV_MAX + 1 entries, each "node:1," */
    size_t cap = (size_t)(XA_VV_MAX + 1) * 19 + 1, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (xa_node nd = 1; nd <= XA_VV_MAX + 1; nd++) {
        char hex[XA_NODE_HEX + 1];
        xa_node_format(nd, hex);
        len += (size_t)snprintf(s + len, cap - len, "%s%s:1", nd > 1 ? "," : "", hex);
    }
    xa_vv v = XA_VV_INIT;
    int rc = xa_vv_parse(s, &v);
    assert_true(rc == XA_ETOOBIG || rc == XA_EINVAL || rc == XA_ECORRUPT);
    xa_vv_free(&v);

    /* exactly XA_VV_MAX entries are fine */
    char *last = strrchr(s, ',');
    assert_non_null(last);
    *last = '\0';
    assert_int_equal(xa_vv_parse(s, &v), 0);
    assert_int_equal(v.n, XA_VV_MAX);
    check_invariants(&v);
    xa_vv_free(&v);
    free(s);
}

static void test_vv__node_format_and_parse(void **state)
{
    char buf[XA_NODE_HEX + 1];
    xa_node nd = 0;

    memset(buf, 'x', sizeof buf);
    xa_node_format(0x0123456789abcdefULL, buf);
    assert_string_equal(buf, "0123456789abcdef");
    xa_node_format(1, buf);
    assert_string_equal(buf, "0000000000000001");
    xa_node_format(UINT64_MAX, buf);
    assert_string_equal(buf, "ffffffffffffffff");

    assert_int_equal(xa_node_parse("0123456789abcdef", &nd), 0);
    assert_true(nd == 0x0123456789abcdefULL);
    assert_int_equal(xa_node_parse("ffffffffffffffff", &nd), 0);
    assert_true(nd == UINT64_MAX);
    assert_int_equal(xa_node_parse("0000000000000001", &nd), 0);
    assert_true(nd == 1);

    /* round trip over varied bits */
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x == 0)
            continue;
        xa_node back = 0;
        xa_node_format(x, buf);
        assert_int_equal(strlen(buf), XA_NODE_HEX);
        assert_int_equal(xa_node_parse(buf, &back), 0);
        assert_true(back == x);
    }
}

static void test_vv__node_parse_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "0000000000000000",
        "000000000000001",
        "00000000000000001",
        "000000000000000g",
        "0x23456789abcdef",
        " 123456789abcdef",
        "123456789abcdef ",
        "-123456789abcdef",
        "+123456789abcdef",
        "0123456789abcde:",
        "0123456789abcdef0",
        "0123456789abcdef:1",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xa_node nd = 0x5555;
        int rc = xa_node_parse(bad[i], &nd);
        if (rc != XA_EINVAL)
            fail_msg("xa_node_parse(\"%s\") returned %d, want XA_EINVAL", bad[i], rc);
        /* out is written only on success */
        assert_true(nd == 0x5555);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vv__empty_vector_reads_zero),
        cmocka_unit_test(test_vv__set_and_get),
        cmocka_unit_test(test_vv__set_keeps_order_for_many_nodes),
        cmocka_unit_test(test_vv__set_refuses_past_max_entries),
        cmocka_unit_test(test_vv__bump_takes_max),
        cmocka_unit_test(test_vv__merge_is_pointwise_max),
        cmocka_unit_test(test_vv__copy_is_deep),
        cmocka_unit_test(test_vv__covers),
        cmocka_unit_test(test_vv__equal),
        cmocka_unit_test(test_vv__format_exact_text),
        cmocka_unit_test(test_vv__format_parse_round_trip),
        cmocka_unit_test(test_vv__parse_replaces_previous_content),
        cmocka_unit_test(test_vv__parse_accepts_largest_seq),
        cmocka_unit_test(test_vv__parse_rejects_malformed),
        cmocka_unit_test(test_vv__parse_rejects_too_many_entries),
        cmocka_unit_test(test_vv__node_format_and_parse),
        cmocka_unit_test(test_vv__node_parse_rejects_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
