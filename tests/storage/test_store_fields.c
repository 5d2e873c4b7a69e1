/*
 * The store (include/xasync/store.h) writing locally: the op a set records,
 * conflicts (the front sibling, resolve), the fields listed, the log of
 * values replaced, the version vector and what another replica misses. *
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

/* ---- local writes, conflicts, history -------------------------------------- */

static void test_store__set_records_an_op(void **state)
{
    xs_fx *f = *state;
    xa_op o1, o2;
    xa_node me = xa_store_node(f->st);

    assert_true(me != 0);
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.460\"", "clerk", 0, &o1), "set 1");
    assert_string_equal(o1.scope, SCOPE);
    assert_true(o1.node == me);
    assert_int_equal(o1.seq, 1);
    assert_string_equal(o1.entity, ENT);
    assert_string_equal(o1.field, FLD);
    assert_string_equal(o1.value, "\"1.460\"");
    assert_string_equal(o1.author, "clerk");
    assert_int_equal(o1.ctx.n, 0);
    assert_true(o1.hlc > 0);

    /* the next write to that field carries its context */
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.470\"", "clerk", 0, &o2), "set 2");
    assert_int_equal(o2.seq, 2);
    assert_int_equal(o2.ctx.n, 1);
    assert_int_equal(xa_vv_get(&o2.ctx, me), 1);
    assert_true(o2.hlc >= o1.hlc);
    xa_op_clear(&o2);

    /* seq counts per scope, not per field; a new field's ctx is empty */
    xs_must(xa_store_set(f->st, SCOPE, "ind-5", "plan", "12", "clerk", 0, &o2), "set 3");
    assert_int_equal(o2.seq, 3);
    assert_int_equal(o2.ctx.n, 0);
    assert_true(o2.hlc >= o1.hlc);
    xa_op_clear(&o2);
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.480\"", "clerk", 0, NULL), "set with no out");

    xa_field got = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_string_equal(got.entity, ENT);
    assert_string_equal(got.field, FLD);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "\"1.480\"");
    assert_true(got.v[0].dot.node == me);
    assert_int_equal(got.v[0].dot.seq, 4);
    assert_string_equal(got.v[0].author, "clerk");
    assert_int_equal(got.fctx.n, 1);
    assert_int_equal(xa_vv_get(&got.fctx, me), 4);
    xa_field_clear(&got);

    xa_vv have = XA_VV_INIT;
    xs_must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(have.n, 1);
    assert_int_equal(xa_vv_get(&have, me), 4);
    xa_vv_free(&have);

    /* the local op is in the journal exactly as returned */
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    xs_must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, NULL), "missing");
    assert_int_equal(l.n, 4);
    assert_true(xs_op_equal(&l.ops[0], &o1));
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(l.ops[i].seq, i + 1);
    xa_op_list_free(&l);
    xa_op_clear(&o1);
}

static void test_store__get_of_unwritten_field_is_notfound(void **state)
{
    xs_fx *f = *state;
    xa_field got = {0};

    xs_expect_rc(xa_store_get(f->st, SCOPE, ENT, FLD, &got), XA_ENOTFOUND, "get");
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    xs_expect_rc(xa_store_get(f->st, SCOPE, ENT, "plan", &got), XA_ENOTFOUND, "other field");
    xs_expect_rc(xa_store_get(f->st, SCOPE, "ind-5", FLD, &got), XA_ENOTFOUND, "other entity");
}

/* Make example (b)'s conflict: returns the two ops. */
static void make_conflict(xs_fx *f, xa_op *a1, xa_op *b1, int64_t hlc_a, int64_t hlc_b)
{
    xt_mkop(a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, hlc_a, "clerk-a");
    xt_mkop(b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, hlc_b, "clerk-b");
    xa_op batch[2] = {*a1, *b1};
    xs_must(xa_store_apply(f->st, SCOPE, batch, 2, NULL), "apply A1 + B1");
}

static void test_store__front_sibling_is_largest_hlc_then_node(void **state)
{
    xs_fx *f = *state;
    xa_op a1, b1, c1;
    xa_field got = {0};

    make_conflict(f, &a1, &b1, HLC0 + 2000, HLC0 + 1000);
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(got.n, 2);
    assert_true(got.v[0].dot.node == NA); /* later hlc */
    assert_string_equal(got.v[0].value, "1");
    assert_true(got.v[0].hlc == HLC0 + 2000);
    assert_string_equal(got.v[0].author, "clerk-a");
    assert_true(got.v[1].dot.node == NB);
    assert_string_equal(got.v[1].value, "5");
    assert_string_equal(got.v[1].author, "clerk-b");
    xa_field_clear(&got);

    /* equal hlc: the larger node stands in front */
    xt_mkop(&c1, SCOPE, NB, 2, "ind-8", FLD, "\"b\"", NULL, 0, HLC0 + 5000, "clerk-b");
    xs_must(xa_store_apply(f->st, SCOPE, &c1, 1, NULL), "B2");
    xa_op_clear(&c1);
    xt_mkop(&c1, SCOPE, NA, 2, "ind-8", FLD, "\"a\"", NULL, 0, HLC0 + 5000, "clerk-a");
    xs_must(xa_store_apply(f->st, SCOPE, &c1, 1, NULL), "A2");
    xa_op_clear(&c1);
    xs_must(xa_store_get(f->st, SCOPE, "ind-8", FLD, &got), "get");
    assert_int_equal(got.n, 2);
    assert_true(got.v[0].dot.node == NA);
    assert_true(got.v[1].dot.node == NB);
    xa_field_clear(&got);

    xa_op_clear(&a1);
    xa_op_clear(&b1);
}

static void test_store__set_on_conflict_needs_resolve(void **state)
{
    xs_fx *f = *state;
    xa_op a1, b1, r;
    xa_field got = {0};
    xa_node me = xa_store_node(f->st);

    make_conflict(f, &a1, &b1, HLC0 + 1000, HLC0 + 1500);
    uint64_t d = xt_db_digest(f->path);
    xs_expect_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "7", "clerk", 0, NULL), XA_ECONFLICT,
                 "set on a conflict");
    assert_true(xt_db_digest(f->path) == d);

    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "7", "clerk", 1, &r), "resolve");
    assert_true(r.node == me);
    assert_int_equal(r.seq, 1);
    assert_int_equal(xa_vv_get(&r.ctx, NA), 1);
    assert_int_equal(xa_vv_get(&r.ctx, NB), 1);
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "7");
    assert_true(got.v[0].dot.node == me);
    assert_int_equal(got.v[0].dot.seq, 1);
    assert_int_equal(xa_vv_get(&got.fctx, NA), 1);
    assert_int_equal(xa_vv_get(&got.fctx, NB), 1);
    assert_int_equal(xa_vv_get(&got.fctx, me), 1);
    assert_int_equal(got.fctx.n, 3);
    xa_field_clear(&got);

    /* no longer a conflict: a plain set works, resolve is refused */
    d = xt_db_digest(f->path);
    xs_expect_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "8", "clerk", 1, NULL), XA_EINVAL,
                 "resolve without conflict");
    assert_true(xt_db_digest(f->path) == d);
    xs_must(xa_store_set(f->st, SCOPE, ENT, FLD, "8", "clerk", 0, NULL), "set");

    /* the resolution reaches another replica and supersedes both there */
    char *p2 = xt_path(f->dir, "other.db");
    xa_store *st2 = NULL;
    xs_must(xa_store_create(&st2, p2, SCOPE), "create other");
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    xs_must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, NULL), "missing");
    assert_int_equal(l.n, 4);
    xs_must(xa_store_apply(st2, SCOPE, l.ops, l.n, NULL), "apply to other");
    xs_must(xa_store_get(st2, SCOPE, ENT, FLD, &got), "get other");
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "8");
    xa_field got1 = {0};
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got1), "get");
    assert_true(xs_field_equal(&got, &got1));
    xa_field_clear(&got);
    xa_field_clear(&got1);
    xa_op_list_free(&l);
    xa_store_close(st2);
    free(p2);

    xa_op_clear(&r);
    xa_op_clear(&a1);
    xa_op_clear(&b1);
}

static void test_store__fields_lists_sorted_and_conflicts(void **state)
{
    xs_fx *f = *state;
    xa_op a1, b1;
    xa_field *fs = NULL;
    size_t n = 0;

    xs_must(xa_store_fields(f->st, SCOPE, NULL, 0, &fs, &n), "fields of empty scope");
    assert_int_equal(n, 0);
    xa_fields_free(fs, n);

    xs_must(xa_store_set(f->st, SCOPE, "ind-9", "plan", "1", "c", 0, NULL), "set");
    xs_must(xa_store_set(f->st, SCOPE, "ind-1", "text", "2", "c", 0, NULL), "set");
    xs_must(xa_store_set(f->st, SCOPE, "ind-1", "est", "3", "c", 0, NULL), "set");
    make_conflict(f, &a1, &b1, HLC0, HLC0 + 1); /* ind-4/est */

    xs_must(xa_store_fields(f->st, SCOPE, NULL, 0, &fs, &n), "fields");
    assert_int_equal(n, 4);
    assert_string_equal(fs[0].entity, "ind-1");
    assert_string_equal(fs[0].field, "est");
    assert_string_equal(fs[1].entity, "ind-1");
    assert_string_equal(fs[1].field, "text");
    assert_string_equal(fs[2].entity, "ind-4");
    assert_string_equal(fs[2].field, "est");
    assert_int_equal(fs[2].n, 2);
    assert_string_equal(fs[3].entity, "ind-9");
    for (size_t i = 0; i < n; i++) {
        xa_field one = {0};
        xs_must(xa_store_get(f->st, SCOPE, fs[i].entity, fs[i].field, &one), "get");
        assert_true(xs_field_equal(&one, &fs[i]));
        xa_field_clear(&one);
    }
    xa_fields_free(fs, n);

    xs_must(xa_store_fields(f->st, SCOPE, "ind-1", 0, &fs, &n), "fields of an entity");
    assert_int_equal(n, 2);
    assert_string_equal(fs[0].field, "est");
    assert_string_equal(fs[1].field, "text");
    xa_fields_free(fs, n);

    xs_must(xa_store_fields(f->st, SCOPE, NULL, 1, &fs, &n), "conflicts");
    assert_int_equal(n, 1);
    assert_string_equal(fs[0].entity, "ind-4");
    assert_int_equal(fs[0].n, 2);
    xa_fields_free(fs, n);

    xs_must(xa_store_fields(f->st, SCOPE, "ind-1", 1, &fs, &n), "conflicts of an entity");
    assert_int_equal(n, 0);
    xa_fields_free(fs, n);

    xa_fields_free(NULL, 0);
    xa_op_clear(&a1);
    xa_op_clear(&b1);
}

static int dotcmp_v(const void *a, const void *b)
{
    const xa_value *x = a, *y = b;
    if (x->dot.node != y->dot.node)
        return x->dot.node < y->dot.node ? -1 : 1;
    return (x->dot.seq > y->dot.seq) - (x->dot.seq < y->dot.seq);
}

static void test_store__log_shows_values_replaced(void **state)
{
    xs_fx *f = *state;
    xa_op a1, b1, a2, o1, o2, o3;
    xa_logent *e = NULL;
    size_t n = 0;
    xa_node me = xa_store_node(f->st);

    /* a chain of local writes to one field */
    xs_must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x1\"", "clerk", 0, &o1), "set 1");
    xs_must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x2\"", "clerk", 0, &o2), "set 2");
    xs_must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x3\"", "clerk2", 0, &o3), "set 3");
    xs_must(xa_store_log(f->st, SCOPE, "ind-2", FLD, &e, &n), "log of a field");
    assert_int_equal(n, 3);
    assert_true(xs_op_equal(&e[0].op, &o1));
    assert_true(xs_op_equal(&e[1].op, &o2));
    assert_true(xs_op_equal(&e[2].op, &o3));
    assert_int_equal(e[0].nbefore, 0);
    /* each write replaced exactly the value its writer saw, not older ones */
    assert_int_equal(e[1].nbefore, 1);
    assert_string_equal(e[1].before[0].value, "\"x1\"");
    assert_true(e[1].before[0].dot.node == me && e[1].before[0].dot.seq == 1);
    assert_string_equal(e[1].before[0].author, "clerk");
    assert_true(e[1].before[0].hlc == o1.hlc);
    assert_int_equal(e[2].nbefore, 1);
    assert_string_equal(e[2].before[0].value, "\"x2\"");
    assert_true(e[2].before[0].dot.seq == 2);
    xa_log_free(e, n);

    /* example (c): the resolution replaced both concurrent values */
    xt_mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    xt_mkop(&b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    xt_mkop(&a2, SCOPE, NA, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-a");
    xa_op batch[3] = {a2, b1, a1};
    xs_must(xa_store_apply(f->st, SCOPE, batch, 3, NULL), "apply");
    xs_must(xa_store_log(f->st, SCOPE, ENT, FLD, &e, &n), "log");
    assert_int_equal(n, 3);
    /* oldest first by hlc */
    assert_true(xs_op_equal(&e[0].op, &a1));
    assert_true(xs_op_equal(&e[1].op, &b1));
    assert_true(xs_op_equal(&e[2].op, &a2));
    assert_int_equal(e[0].nbefore, 0);
    assert_int_equal(e[1].nbefore, 0);
    assert_int_equal(e[2].nbefore, 2);
    qsort(e[2].before, 2, sizeof e[2].before[0], dotcmp_v);
    assert_true(e[2].before[0].dot.node == NB && e[2].before[0].dot.seq == 1);
    assert_string_equal(e[2].before[0].value, "5");
    assert_string_equal(e[2].before[0].author, "clerk-b");
    assert_true(e[2].before[0].hlc == HLC0 + 1500);
    assert_true(e[2].before[1].dot.node == NA && e[2].before[1].dot.seq == 1);
    assert_string_equal(e[2].before[1].value, "1");
    xa_log_free(e, n);

    /* wider logs: an entity, the whole scope */
    xs_must(xa_store_log(f->st, SCOPE, ENT, NULL, &e, &n), "log of an entity");
    assert_int_equal(n, 3);
    xa_log_free(e, n);
    xs_must(xa_store_log(f->st, SCOPE, NULL, NULL, &e, &n), "log of the scope");
    assert_int_equal(n, 6);
    for (size_t i = 1; i < n; i++) {
        const xa_op *p = &e[i - 1].op, *q = &e[i].op;
        int ordered =
            p->hlc < q->hlc ||
            (p->hlc == q->hlc && (p->node < q->node || (p->node == q->node && p->seq < q->seq)));
        assert_true(ordered);
    }
    xa_log_free(e, n);
    xs_must(xa_store_log(f->st, SCOPE, "nothing-here", NULL, &e, &n), "empty log");
    assert_int_equal(n, 0);
    xa_log_free(e, n);

    xa_op_clear(&a1);
    xa_op_clear(&b1);
    xa_op_clear(&a2);
    xa_op_clear(&o1);
    xa_op_clear(&o2);
    xa_op_clear(&o3);
}

static void test_store__have_and_missing(void **state)
{
    xs_fx *f = *state;
    xa_op a[3], b1;
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv have = XA_VV_INIT, v = XA_VV_INIT;
    int more = -1;
    xa_node me = xa_store_node(f->st);

    xs_must(xa_store_have(f->st, SCOPE, &have), "have of an empty scope");
    assert_int_equal(have.n, 0);

    xt_mkop(&a[0], SCOPE, NA, 1, "e1", FLD, "1", NULL, 0, HLC0 + 1, "a");
    xt_mkop(&a[1], SCOPE, NA, 2, "e2", FLD, "2", NULL, 0, HLC0 + 2, "a");
    xt_mkop(&a[2], SCOPE, NA, 3, "e1", FLD, "3", CTX_A1, 1, HLC0 + 3, "a");
    xt_mkop(&b1, SCOPE, NB, 1, "e3", FLD, "4", NULL, 0, HLC0 + 4, "b");
    xs_must(xa_store_apply(f->st, SCOPE, a, 3, NULL), "A1..A3");
    xs_must(xa_store_apply(f->st, SCOPE, &b1, 1, NULL), "B1");
    xa_op mine;
    xs_must(xa_store_set(f->st, SCOPE, "e4", FLD, "5", "me", 0, &mine), "set");

    xs_must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(have.n, 3);
    assert_int_equal(xa_vv_get(&have, NA), 3);
    assert_int_equal(xa_vv_get(&have, NB), 1);
    assert_int_equal(xa_vv_get(&have, me), 1);

    /* everything, by node then seq */
    xs_must(xa_store_missing(f->st, SCOPE, &v, 0, &l, &more), "missing all");
    assert_int_equal(l.n, 5);
    assert_int_equal(more, 0);
    for (size_t i = 1; i < l.n; i++)
        assert_true(l.ops[i - 1].node < l.ops[i].node ||
                    (l.ops[i - 1].node == l.ops[i].node && l.ops[i - 1].seq < l.ops[i].seq));
    for (size_t i = 0; i < l.n; i++) {
        const xa_op *want = l.ops[i].node == NB   ? &b1
                            : l.ops[i].node == NA ? &a[l.ops[i].seq - 1]
                                                  : &mine;
        assert_true(xs_op_equal(&l.ops[i], want));
    }
    xa_op_list_free(&l);

    /* what a replica with {A:1, B:1} lacks */
    xs_must(xa_vv_set(&v, NA, 1), "vv");
    xs_must(xa_vv_set(&v, NB, 1), "vv");
    xs_must(xa_store_missing(f->st, SCOPE, &v, 0, &l, &more), "missing");
    assert_int_equal(l.n, 3);
    assert_int_equal(more, 0);
    size_t na = 0;
    for (size_t i = 0; i < l.n; i++) {
        assert_true(l.ops[i].node != NB);
        if (l.ops[i].node == NA) {
            assert_int_equal(l.ops[i].seq, 2 + na);
            na++;
        }
    }
    assert_int_equal(na, 2);
    xa_op_list_free(&l);

    /* bounded: the first ones in order, and `more` */
    xa_vv_clear(&v);
    xs_must(xa_store_missing(f->st, SCOPE, &v, 2, &l, &more), "missing 2");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 1);
    /* appended after what `out` already holds */
    xs_must(xa_store_missing(f->st, SCOPE, &have, 0, &l, &more), "missing nothing");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 0);
    xs_must(xa_store_missing(f->st, SCOPE, &v, 5, &l, &more), "missing exactly all");
    assert_int_equal(l.n, 7);
    assert_int_equal(more, 0);
    xa_op_list_free(&l);

    /* a replica ahead of us lacks nothing */
    xs_must(xa_vv_set(&v, NA, 100), "vv");
    xs_must(xa_vv_set(&v, NB, 100), "vv");
    xs_must(xa_vv_set(&v, me, 100), "vv");
    xs_must(xa_store_missing(f->st, SCOPE, &v, 0, &l, NULL), "missing of one ahead");
    assert_int_equal(l.n, 0);
    xa_op_list_free(&l);

    xa_vv_free(&have);
    xa_vv_free(&v);
    for (int i = 0; i < 3; i++)
        xa_op_clear(&a[i]);
    xa_op_clear(&b1);
    xa_op_clear(&mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XS_TEST(test_store__set_records_an_op),
        XS_TEST(test_store__get_of_unwritten_field_is_notfound),
        XS_TEST(test_store__front_sibling_is_largest_hlc_then_node),
        XS_TEST(test_store__set_on_conflict_needs_resolve),
        XS_TEST(test_store__fields_lists_sorted_and_conflicts),
        XS_TEST(test_store__log_shows_values_replaced),
        XS_TEST(test_store__have_and_missing),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
