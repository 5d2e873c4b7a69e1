/*
 * The store (include/xasync/store.h) refusing: a gap, a forged dot, another
 * scope, a bad name or value, anywhere in a batch. *
 * Through real SQLite files: every refusal must leave the database as it
 * was, which xt_db_digest proves; a file that is not ours must not change
 * by one byte.  The harness: tests/support/storefx.h.
 */
#include "storefx.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs these before it, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */

/* ---- refusals leave the database unchanged -------------------------------- */

static void test_store__gap_is_refused_and_changes_nothing(void **state)
{
    xs_fx *f = *state;
    xa_op a1, a2, a3, b1;

    xt_mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    xt_mkop(&a2, SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2, "clerk-a");
    xt_mkop(&a3, SCOPE, NA, 3, "ind-5", FLD, "3", NULL, 0, HLC0 + 3, "clerk-a");
    xt_mkop(&b1, SCOPE, NB, 1, "ind-6", FLD, "5", NULL, 0, HLC0 + 4, "clerk-b");

    uint64_t d0 = xt_db_digest(f->path);
    assert_true(d0 != 0);
    /* A2 alone, to a database lacking A1 */
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &a2, 1, NULL), XA_EGAP, "A2 alone");
    assert_true(xt_db_digest(f->path) == d0);
    /* with a good op of another node in the same batch: none of it */
    xa_op batch[3] = {b1, a2};
    xs_expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EGAP, "B1 + A2");
    assert_true(xt_db_digest(f->path) == d0);
    /* A1 and A3 without A2 */
    batch[0] = a3;
    batch[1] = a1;
    xs_expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EGAP, "A3 + A1");
    assert_true(xt_db_digest(f->path) == d0);
    xa_vv have = XA_VV_INIT;
    xs_must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(xa_vv_get(&have, NA), 0);
    assert_int_equal(xa_vv_get(&have, NB), 0);
    xa_field got = {0};
    xs_expect_rc(xa_store_get(f->st, SCOPE, "ind-6", FLD, &got), XA_ENOTFOUND, "get B1's field");

    /* with A1 held, A3 alone is still a gap */
    xs_must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "A1");
    uint64_t d1 = xt_db_digest(f->path);
    assert_true(d1 != d0);
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &a3, 1, NULL), XA_EGAP, "A3 after A1");
    assert_true(xt_db_digest(f->path) == d1);
    /* A3 then A2 in one batch is fine: the batch is sorted */
    batch[0] = a3;
    batch[1] = a2;
    batch[2] = b1;
    xa_apply_result res;
    xs_must(xa_store_apply(f->st, SCOPE, batch, 3, &res), "A3 + A2 + B1");
    assert_int_equal(res.applied, 3);
    xs_must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(xa_vv_get(&have, NA), 3);
    assert_int_equal(xa_vv_get(&have, NB), 1);

    xa_vv_free(&have);
    xa_op_clear(&a1);
    xa_op_clear(&a2);
    xa_op_clear(&a3);
    xa_op_clear(&b1);
}

static void test_store__forged_op_is_refused_and_changes_nothing(void **state)
{
    xs_fx *f = *state;
    xa_op a1, a2, forged;

    xt_mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    xt_mkop(&a2, SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2, "clerk-a");
    xs_must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "A1");
    uint64_t d = xt_db_digest(f->path);

    /* the held dot A1 with another value */
    xt_mkop(&forged, SCOPE, NA, 1, ENT, FLD, "99", NULL, 0, HLC0 + 1, "clerk-a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other value");
    assert_true(xt_db_digest(f->path) == d);
    /* in a batch with a good op: none of it */
    xa_op batch[2] = {a2, forged};
    xs_expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EFORGED, "A2 + forged A1");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&forged);

    /* other entity, other field, other ctx, other hlc, other author */
    xt_mkop(&forged, SCOPE, NA, 1, "ind-9", FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other entity");
    xa_op_clear(&forged);
    xt_mkop(&forged, SCOPE, NA, 1, ENT, "plan", "1", NULL, 0, HLC0 + 1, "clerk-a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other field");
    xa_op_clear(&forged);
    xt_mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", CTX_A1B1 + 1, 1, HLC0 + 1, "clerk-a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other ctx");
    xa_op_clear(&forged);
    xt_mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 5, "clerk-a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other hlc");
    xa_op_clear(&forged);
    xt_mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "mallory");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other author");
    xa_op_clear(&forged);
    assert_true(xt_db_digest(f->path) == d);

    /* the identical op is a harmless duplicate */
    xa_apply_result res;
    xs_must(xa_store_apply(f->st, SCOPE, &a1, 1, &res), "A1 again");
    assert_int_equal(res.applied, 0);
    assert_int_equal(res.duplicates, 1);
    assert_true(xt_db_digest(f->path) == d);

    /* two meanings of one new dot in one batch */
    xt_mkop(&forged, SCOPE, NA, 2, ENT, FLD, "3", CTX_A1, 1, HLC0 + 2, "clerk-a");
    batch[0] = a2;
    batch[1] = forged;
    xs_expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EFORGED, "A2 twice, two values");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&forged);

    /* a local write's dot cannot be forged either */
    xa_op mine;
    xs_must(xa_store_set(f->st, SCOPE, "ind-7", FLD, "\"x\"", "clerk", 0, &mine), "set");
    d = xt_db_digest(f->path);
    free(mine.value);
    mine.value = xt_strdup("\"y\"");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &mine, 1, NULL), XA_EFORGED, "forged local dot");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&mine);

    xa_op_clear(&a1);
    xa_op_clear(&a2);
}

static void test_store__other_scope_is_refused(void **state)
{
    xs_fx *f = *state;
    xa_op op;
    uint64_t d = xt_db_digest(f->path);

    xt_mkop(&op, "xa-khac", NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "clerk-a");
    /* an op of another scope in a batch for this one */
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &op, 1, NULL), XA_ESCOPE, "op of another scope");
    assert_true(xt_db_digest(f->path) == d);
    /* a batch for another scope, to a client database of this one */
    xs_expect_rc(xa_store_apply(f->st, "xa-khac", &op, 1, NULL), XA_ESCOPE, "batch of other scope");
    assert_true(xt_db_digest(f->path) == d);
    /* a local write to another scope */
    xs_expect_rc(xa_store_set(f->st, "xa-khac", ENT, FLD, "1", "clerk", 0, NULL), XA_ESCOPE,
                 "set in another scope");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&op);
}

/* Every op of a batch is validated: one bad op refuses the batch. */
static void test_store__apply_validates_every_op(void **state)
{
    xs_fx *f = *state;
    xa_op good, bad;
    uint64_t d = xt_db_digest(f->path);

    xt_mkop(&good, SCOPE, NB, 1, "ind-1", FLD, "1", NULL, 0, HLC0, "clerk-b");

    static const struct {
        const char *entity, *field, *value, *author;
        int want;
    } cases[] = {
        {"", FLD, "1", "a", XA_EINVAL},
        {"ind 4", FLD, "1", "a", XA_EINVAL},
        {"ind-4\n", FLD, "1", "a", XA_EINVAL},
        {ENT, "", "1", "a", XA_EINVAL},
        {ENT, "es/t", "1", "a", XA_EINVAL},
        {ENT, "e:st", "1", "a", XA_EINVAL},
        {ENT, FLD, "", "a", XA_EINVAL},
        {ENT, FLD, "{\"a\":", "a", XA_EINVAL},
        {ENT, FLD, "\"unterminated", "a", XA_EINVAL},
        {ENT, FLD, "\"\xc3\x28\"", "a", XA_EINVAL},
        {ENT, FLD, "1 2", "a", XA_EINVAL},
        /* JSON5 and other near-JSON is not JSON */
        {ENT, FLD, "{a:1}", "a", XA_EINVAL},
        {ENT, FLD, "'x'", "a", XA_EINVAL},
        {ENT, FLD, "[1,]", "a", XA_EINVAL},
        {ENT, FLD, "NaN", "a", XA_EINVAL},
        {ENT, FLD, "0x10", "a", XA_EINVAL},
        {ENT, FLD, "\"a\nb\"", "a", XA_EINVAL},
        {ENT, FLD, "1",
         "bad\x01"
         "author",
         XA_EINVAL},
        {ENT, FLD, "1", "\xff", XA_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xt_mkop(&bad, SCOPE, NA, 1, cases[i].entity, cases[i].field, cases[i].value, NULL, 0, HLC0,
                cases[i].author);
        xa_op batch[2] = {good, bad};
        char what[256];
        snprintf(what, sizeof what, "case %zu (%s/%s = %s by %s)", i, cases[i].entity,
                 cases[i].field, cases[i].value, cases[i].author);
        xs_soft_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), cases[i].want, what);
        assert_true(xt_db_digest(f->path) == d);
        xa_op_clear(&bad);
    }

    /* names past their limits */
    char longname[XA_ENTITY_MAX + 2];
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX + 1] = '\0';
    xt_mkop(&bad, SCOPE, NA, 1, longname, FLD, "1", NULL, 0, HLC0, "a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "entity too long");
    xa_op_clear(&bad);
    longname[XA_FIELD_MAX + 1] = '\0';
    xt_mkop(&bad, SCOPE, NA, 1, ENT, longname, "1", NULL, 0, HLC0, "a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "field too long");
    xa_op_clear(&bad);

    /* a value one byte past the limit */
    xt_mkop(&bad, SCOPE, NA, 1, ENT, FLD, xs_big_value(XA_VALUE_MAX + 1), NULL, 0, HLC0, "a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_ETOOBIG, "value too big");
    xa_op_clear(&bad);

    /* dots: node 0, seq 0, seq past XA_SEQ_MAX */
    xt_mkop(&bad, SCOPE, 0, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "node 0");
    xa_op_clear(&bad);
    xt_mkop(&bad, SCOPE, NA, 0, ENT, FLD, "1", NULL, 0, HLC0, "a");
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "seq 0");
    xa_op_clear(&bad);
    /* an unknown scope name that is not even well-formed */
    xt_mkop(&bad, "Hoang Kim", NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    int rc = xa_store_apply(f->st, SCOPE, &bad, 1, NULL);
    assert_true(rc == XA_EINVAL || rc == XA_ESCOPE);
    xa_op_clear(&bad);
    assert_true(xt_db_digest(f->path) == d);
    xs_soft_done();

    /* exactly XA_VALUE_MAX bytes is fine */
    xt_mkop(&bad, SCOPE, NA, 1, ENT, FLD, xs_big_value(XA_VALUE_MAX), NULL, 0, HLC0, "a");
    xs_must(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), "value of XA_VALUE_MAX bytes");
    xa_field got = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(strlen(got.v[0].value), XA_VALUE_MAX);
    xa_field_clear(&got);
    xa_op_clear(&bad);

    xa_op_clear(&good);
}

static void test_store__set_validates_names_and_values(void **state)
{
    xs_fx *f = *state;
    uint64_t d = xt_db_digest(f->path);
    char longname[XA_ENTITY_MAX + 2];

    xs_soft_rc(xa_store_set(f->st, SCOPE, "", FLD, "1", "a", 0, NULL), XA_EINVAL, "empty entity");
    xs_soft_rc(xa_store_set(f->st, SCOPE, "a b", FLD, "1", "a", 0, NULL), XA_EINVAL, "entity");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, "a/b", "1", "a", 0, NULL), XA_EINVAL, "field");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, "", "1", "a", 0, NULL), XA_EINVAL, "empty field");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "nope", "a", 0, NULL), XA_EINVAL, "not JSON");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "\"\xed\xa0\x80\"", "a", 0, NULL), XA_EINVAL,
               "surrogate in value");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "a\tb", 0, NULL), XA_EINVAL,
               "control character in author");
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX + 1] = '\0';
    xs_soft_rc(xa_store_set(f->st, SCOPE, longname, FLD, "1", "a", 0, NULL), XA_EINVAL,
               "entity too long");
    longname[XA_FIELD_MAX + 1] = '\0';
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, longname, "1", "a", 0, NULL), XA_EINVAL,
               "field too long");
    memset(longname, 'a', sizeof longname);
    longname[XA_AUTHOR_MAX + 1] = '\0';
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", longname, 0, NULL), XA_EINVAL,
               "author too long");
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, xs_big_value(XA_VALUE_MAX + 1), "a", 0, NULL),
               XA_ETOOBIG, "value");
    /* resolve on a field that is not in conflict (or not even written) */
    xs_soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "a", 1, NULL), XA_EINVAL,
               "resolve without conflict");
    assert_true(xt_db_digest(f->path) == d);
    xs_soft_done();

    /* the limits themselves are fine */
    longname[XA_AUTHOR_MAX] = '\0';
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"ok\"", longname, 0, NULL), "author at limit");
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX] = '\0';
    xs_must(xa_store_set(f->st, SCOPE, longname, FLD, "1", "a", 0, NULL), "entity at limit");
    longname[XA_FIELD_MAX] = '\0';
    xs_must(xa_store_set(f->st, SCOPE, ENT, longname, "1", "a", 0, NULL), "field at limit");
    xs_must(xa_store_set(f->st, SCOPE, "report-2024.h1:blk/3_x", "a.b_c-d", "{\"k\":[1,2,null]}",
                         "Nguy\xe1\xbb\x85n V\xc4\x83n A", 0, NULL),
            "every allowed character");
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, xs_big_value(XA_VALUE_MAX), "a", 0, NULL),
            "value at limit");
}

#define SOFT(expr, want) xs_soft_rc((expr), (want), #expr)

static void test_store__name_and_text_checks(void **state)
{
    /* scope: [a-z0-9-], starts with a letter or digit, at most 64 bytes */
    SOFT(xa_check_scope("hoang-kim"), 0);
    SOFT(xa_check_scope("x"), 0);
    SOFT(xa_check_scope("9x-2"), 0);
    SOFT(xa_check_scope(""), XA_EINVAL);
    SOFT(xa_check_scope("-hoang"), XA_EINVAL);
    SOFT(xa_check_scope("Hoang-kim"), XA_EINVAL);
    SOFT(xa_check_scope("hoang_kim"), XA_EINVAL);
    SOFT(xa_check_scope("hoang kim"), XA_EINVAL);
    SOFT(xa_check_scope("ho\xc3\xa0ng"), XA_EINVAL);
    char s[80];
    memset(s, 'a', sizeof s);
    s[XA_SCOPE_MAX] = '\0';
    SOFT(xa_check_scope(s), 0);
    s[XA_SCOPE_MAX] = 'a';
    s[XA_SCOPE_MAX + 1] = '\0';
    SOFT(xa_check_scope(s), XA_EINVAL);

    /* entity: [A-Za-z0-9._:/-], at most 128 */
    SOFT(xa_check_entity("report-2024-h1"), 0);
    SOFT(xa_check_entity("A.b_c:d/e-9"), 0);
    SOFT(xa_check_entity(""), XA_EINVAL);
    SOFT(xa_check_entity("a b"), XA_EINVAL);
    SOFT(xa_check_entity("a\"b"), XA_EINVAL);
    SOFT(xa_check_entity("a,b"), XA_EINVAL);
    SOFT(xa_check_entity("\xc4\x91"), XA_EINVAL);

    /* field: [A-Za-z0-9._-], at most 64 */
    SOFT(xa_check_field("text"), 0);
    SOFT(xa_check_field("A.b_c-9"), 0);
    SOFT(xa_check_field(""), XA_EINVAL);
    SOFT(xa_check_field("a:b"), XA_EINVAL);
    SOFT(xa_check_field("a/b"), XA_EINVAL);

    /* author: UTF-8, no control characters, at most 128 bytes */
    SOFT(xa_check_author("Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b B"), 0);
    SOFT(xa_check_author("a\nb"), XA_EINVAL);
    SOFT(xa_check_author("a\x7f"), XA_EINVAL);
    SOFT(xa_check_author("\xc0\xaf"), XA_EINVAL);

    /* values: UTF-8 JSON, at most XA_VALUE_MAX */
    SOFT(xa_check_value("\"1.460\"", 7), 0);
    SOFT(xa_check_value("636.4", 5), 0);
    SOFT(xa_check_value("null", 4), 0);
    SOFT(xa_check_value("[true,{\"a\":\"\\u00e9\"}]", 21), 0);
    SOFT(xa_check_value("\"\xc4\x91\xe1\xbb\x93ng\"", 9), 0);
    /* That a value is JSON is the store's check (json_valid), tested through
     * xa_store_set and xa_store_apply; xa_check_value is UTF-8 and size. */
    SOFT(xa_check_value("\"\xe0\x80\xaf\"", 5), XA_EINVAL);
    /* the length is what counts, not a NUL */
    SOFT(xa_check_value("12\0"
                        "34",
                        5),
         XA_EINVAL);
    SOFT(xa_check_value("1234", 2), 0);

    /* UTF-8 */
    SOFT(xa_utf8_valid("", 0), 1);
    SOFT(xa_utf8_valid("abc", 3), 1);
    SOFT(xa_utf8_valid("\xc3\xa9", 2), 1);         /* U+00E9 */
    SOFT(xa_utf8_valid("\xe1\xbb\x85", 3), 1);     /* U+1EC5 */
    SOFT(xa_utf8_valid("\xef\xbf\xbf", 3), 1);     /* U+FFFF */
    SOFT(xa_utf8_valid("\xf0\x9f\x98\x80", 4), 1); /* U+1F600 */
    SOFT(xa_utf8_valid("\xf4\x8f\xbf\xbf", 4), 1); /* U+10FFFF */
    SOFT(xa_utf8_valid("\xc3", 1), 0);             /* truncated */
    SOFT(xa_utf8_valid("\xe1\xbb", 2), 0);         /* truncated */
    SOFT(xa_utf8_valid("\x80", 1), 0);             /* lone continuation */
    SOFT(xa_utf8_valid("\xc0\x80", 2), 0);         /* overlong NUL */
    SOFT(xa_utf8_valid("\xc1\xbf", 2), 0);         /* overlong */
    SOFT(xa_utf8_valid("\xe0\x9f\xbf", 3), 0);     /* overlong */
    SOFT(xa_utf8_valid("\xf0\x8f\xbf\xbf", 4), 0); /* overlong */
    SOFT(xa_utf8_valid("\xed\xa0\x80", 3), 0);     /* U+D800 */
    SOFT(xa_utf8_valid("\xed\xbf\xbf", 3), 0);     /* U+DFFF */
    SOFT(xa_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* U+110000 */
    SOFT(xa_utf8_valid("\xf5\x80\x80\x80", 4), 0);
    SOFT(xa_utf8_valid("\xff", 1), 0);
    SOFT(xa_utf8_valid("\xc3\x28", 2), 0);
    SOFT(xa_utf8_valid("a\xc3\xa9\xc3", 4), 0);
    /* only len bytes are read */
    SOFT(xa_utf8_valid("ab\xff", 2), 1);
    xs_soft_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XS_TEST(test_store__gap_is_refused_and_changes_nothing),
        XS_TEST(test_store__forged_op_is_refused_and_changes_nothing),
        XS_TEST(test_store__other_scope_is_refused),
        XS_TEST(test_store__apply_validates_every_op),
        XS_TEST(test_store__set_validates_names_and_values),
        cmocka_unit_test(test_store__name_and_text_checks),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
