/*
 * The store (include/xasync/store.h): the docs/design.md examples go through
 * xa_store_apply in every arrival order, with repeats, each to a fresh
 * database, and must give the same xa_store_get. *
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

/* ---- the docs/design.md examples, in every arrival order ---------------------- */

#define MAXEX 3

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int next_perm(int *idx, size_t n)
{
    if (n < 2)
        return 0;
    size_t i = n - 1;
    while (i > 0 && idx[i - 1] >= idx[i])
        i--;
    if (i == 0)
        return 0;
    size_t j = n - 1;
    while (idx[j] <= idx[i - 1])
        j--;
    int t = idx[i - 1];
    idx[i - 1] = idx[j];
    idx[j] = t;
    for (size_t a = i, b = n - 1; a < b; a++, b--) {
        t = idx[a];
        idx[a] = idx[b];
        idx[b] = t;
    }
    return 1;
}

typedef struct example {
    const char *name;
    size_t n;
    xa_op ops[MAXEX];
    /* the expected xa_store_get, front first */
    size_t nsib;
    int sib[MAXEX]; /* indexes into ops */
    xa_vv fctx;
    xa_vv have;
    /* per example run */
    xs_fx *f;
    int counter;
    int have_ref;
    xa_field ref;
    size_t per_op_runs, batch_runs, gaps_seen;
} example;

static void example_free(example *ex)
{
    for (size_t i = 0; i < ex->n; i++)
        xa_op_clear(&ex->ops[i]);
    xa_vv_free(&ex->fctx);
    xa_vv_free(&ex->have);
    if (ex->have_ref)
        xa_field_clear(&ex->ref);
}

/* A fresh database in the fixture's folder. */
static xa_store *fresh(example *ex, char **path)
{
    char name[64];
    xa_store *st = NULL;

    snprintf(name, sizeof name, "%s-%d.db", ex->name, ex->counter++);
    *path = xt_path(ex->f->dir, name);
    xs_must(xa_store_create(&st, *path, SCOPE), "create");
    return st;
}

static void print_arrangement(const example *ex, const int *seq, size_t len)
{
    fprintf(stderr, "%s arrangement:", ex->name);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, " %c%llu", ex->ops[seq[i]].node == NA ? 'A' : 'B',
                (unsigned long long)ex->ops[seq[i]].seq);
    fprintf(stderr, "\n");
}

/* The state reached must be the expected one, and the same in every run. */
static void check_result(example *ex, xa_store *st, const int *seq, size_t len)
{
    xa_field got = {0};
    xa_vv have = XA_VV_INIT;

    memset(&got, 0, sizeof got);
    xs_must(xa_store_get(st, SCOPE, ENT, FLD, &got), "get");
    int ok = got.n == ex->nsib && xa_vv_equal(&got.fctx, &ex->fctx);
    for (size_t i = 0; ok && i < got.n; i++) {
        const xa_op *o = &ex->ops[ex->sib[i]];
        ok = got.v[i].dot.node == o->node && got.v[i].dot.seq == o->seq &&
             strcmp(got.v[i].value, o->value) == 0 && got.v[i].hlc == o->hlc &&
             strcmp(got.v[i].author, o->author) == 0;
    }
    if (ok && ex->have_ref)
        ok = xs_field_equal(&got, &ex->ref);
    if (!ok) {
        print_arrangement(ex, seq, len);
        xs_print_field("got", &got);
        if (ex->have_ref)
            xs_print_field("first", &ex->ref);
        fail_msg("%s: unexpected field state", ex->name);
    }
    xs_must(xa_store_have(st, SCOPE, &have), "have");
    assert_true(xa_vv_equal(&have, &ex->have));
    xa_vv_free(&have);
    if (!ex->have_ref) {
        ex->ref = got;
        ex->have_ref = 1;
    } else {
        xa_field_clear(&got);
    }
}

/* Each op its own batch, in the arrangement's order.  An op whose
 * predecessor is not held yet is refused with XA_EGAP, leaving the database
 * unchanged; it is sent again after the next op that is accepted, the way a
 * sync retries. */
static void run_per_op(example *ex, const int *seq, size_t len)
{
    char *path = NULL;
    xa_store *st = fresh(ex, &path);
    xa_vv held = XA_VV_INIT, fctx = XA_VV_INIT;
    int pending[MAXEX * 2 + 4];
    size_t npending = 0;

    for (size_t i = 0; i <= len; i++) {
        /* the arriving op, then any pending ones that now fit */
        int queue[MAXEX * 2 + 5];
        size_t nq = 0;
        if (i < len)
            queue[nq++] = seq[i];
        for (size_t k = 0; k < npending; k++)
            queue[nq++] = pending[k];
        npending = 0;
        int progress = 1;
        while (progress) {
            progress = 0;
            for (size_t q = 0; q < nq; q++) {
                if (queue[q] < 0)
                    continue;
                const xa_op *o = &ex->ops[queue[q]];
                uint64_t h = xa_vv_get(&held, o->node);
                xa_apply_result res = {99, 99, 99};
                /* a gap in its node's seqs, or a context claiming ops not
                 * held yet (causal delivery): refused as a gap */
                int unseen = 0;
                for (size_t k = 0; o->seq > h && k < o->ctx.n; k++)
                    unseen |= o->ctx.e[k].seq > xa_vv_get(&held, o->ctx.e[k].node);
                if (o->seq > h + 1 || unseen) {
                    uint64_t before = xt_db_digest(path);
                    int rc = xa_store_apply(st, SCOPE, o, 1, &res);
                    if (rc != XA_EGAP) {
                        print_arrangement(ex, seq, len);
                        xs_expect_rc(rc, XA_EGAP, "apply of an op after a gap");
                    }
                    assert_true(xt_db_digest(path) == before);
                    ex->gaps_seen++;
                    continue; /* stays queued */
                }
                int rc = xa_store_apply(st, SCOPE, o, 1, &res);
                if (rc != 0)
                    print_arrangement(ex, seq, len);
                xs_must(rc, "apply one op");
                if (o->seq <= h) {
                    assert_int_equal(res.applied, 0);
                    assert_int_equal(res.duplicates, 1);
                    assert_int_equal(res.superseded, 0);
                } else {
                    int covered = xa_vv_get(&fctx, o->node) >= o->seq;
                    assert_int_equal(res.applied, 1);
                    assert_int_equal(res.duplicates, 0);
                    assert_int_equal(res.superseded, covered ? 1 : 0);
                    xs_must(xa_vv_set(&held, o->node, o->seq), "vv");
                    xs_must(xa_vv_merge(&fctx, &o->ctx), "vv");
                    xs_must(xa_vv_bump(&fctx, o->node, o->seq), "vv");
                }
                queue[q] = -1;
                progress = 1;
            }
        }
        for (size_t q = 0; q < nq; q++)
            if (queue[q] >= 0)
                pending[npending++] = queue[q];
    }
    assert_int_equal(npending, 0);
    check_result(ex, st, seq, len);

    /* the state survives closing and reopening */
    uint64_t d = xt_db_digest(path);
    xa_store_close(st);
    st = NULL;
    assert_true(xt_db_digest(path) == d);

    xa_vv_free(&held);
    xa_vv_free(&fctx);
    free(path);
    ex->per_op_runs++;
}

/* The whole arrangement as one batch: apply sorts it, so any order works. */
static void run_one_batch(example *ex, const int *seq, size_t len)
{
    char *path = NULL;
    xa_store *st = fresh(ex, &path);
    xa_op batch[MAXEX * 2 + 2];
    int distinct[MAXEX] = {0};
    size_t ndistinct = 0;

    for (size_t i = 0; i < len; i++) {
        batch[i] = ex->ops[seq[i]]; /* shallow: apply only reads */
        if (!distinct[seq[i]]++)
            ndistinct++;
    }
    xa_apply_result res = {99, 99, 99};
    int rc = xa_store_apply(st, SCOPE, batch, len, &res);
    if (rc != 0)
        print_arrangement(ex, seq, len);
    xs_must(rc, "apply a batch");
    assert_int_equal(res.applied, ndistinct);
    assert_int_equal(res.duplicates, len - ndistinct);
    check_result(ex, st, seq, len);

    /* the same batch again: all duplicates, nothing changes */
    uint64_t d = xt_db_digest(path);
    xs_must(xa_store_apply(st, SCOPE, batch, len, &res), "apply a batch again");
    assert_int_equal(res.applied, 0);
    assert_int_equal(res.duplicates, len);
    assert_int_equal(res.superseded, 0);
    assert_true(xt_db_digest(path) == d);
    check_result(ex, st, seq, len);

    xa_store_close(st);
    free(path);
    ex->batch_runs++;
}

/* Every arrangement of the example's ops plus up to two repeats. */
static void run_arrangements(example *ex)
{
    size_t n = ex->n, runs = 0;

    for (int e1 = -1; e1 < (int)n; e1++) {
        for (int e2 = e1; e2 < (int)n; e2++) {
            int seq[MAXEX + 2];
            size_t len = 0;
            for (size_t i = 0; i < n; i++)
                seq[len++] = (int)i;
            if (e1 >= 0)
                seq[len++] = e1;
            if (e2 >= 0)
                seq[len++] = e2;
            qsort(seq, len, sizeof seq[0], cmp_int);
            do {
                run_per_op(ex, seq, len);
                run_one_batch(ex, seq, len);
                runs++;
            } while (next_perm(seq, len));
        }
    }
    assert_int_equal(runs, n == 2 ? 22 : 192);
    assert_int_equal(ex->per_op_runs, runs);
    assert_int_equal(ex->batch_runs, runs);
}

/* (a) A1 x=1 ctx {}, A2 x=2 ctx {A:1} -> {2@A2}. */
static void test_store__example_a_in_every_arrival_order(void **state)
{
    example ex;

    memset(&ex, 0, sizeof ex);
    ex.name = "a";
    ex.f = *state;
    ex.n = 2;
    xt_mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    xt_mkop(&ex.ops[1], SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2000, "clerk-a");
    ex.nsib = 1;
    ex.sib[0] = 1;
    xs_must(xa_vv_set(&ex.fctx, NA, 2), "vv");
    xs_must(xa_vv_set(&ex.have, NA, 2), "vv");
    run_arrangements(&ex);
    assert_true(ex.gaps_seen > 0);
    example_free(&ex);
}

/* (b) A1 x=1, B1 x=5 with ctx {} -> {1@A1, 5@B1}, B1 in front (later hlc). */
static void test_store__example_b_in_every_arrival_order(void **state)
{
    example ex;

    memset(&ex, 0, sizeof ex);
    ex.name = "b";
    ex.f = *state;
    ex.n = 2;
    xt_mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    xt_mkop(&ex.ops[1], SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    ex.nsib = 2;
    ex.sib[0] = 1; /* largest (hlc, node) first */
    ex.sib[1] = 0;
    xs_must(xa_vv_set(&ex.fctx, NA, 1), "vv");
    xs_must(xa_vv_set(&ex.fctx, NB, 1), "vv");
    xs_must(xa_vv_copy(&ex.have, &ex.fctx), "vv");
    run_arrangements(&ex);
    example_free(&ex);
}

/* (c) A1, B1, then A2 x=7 with ctx {A:1, B:1} -> {7@A2}; (d) on the way: B1
 * arriving after A2 is counted as superseded (checked in run_per_op). */
static void test_store__example_c_in_every_arrival_order(void **state)
{
    example ex;

    memset(&ex, 0, sizeof ex);
    ex.name = "c";
    ex.f = *state;
    ex.n = 3;
    xt_mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    xt_mkop(&ex.ops[1], SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    xt_mkop(&ex.ops[2], SCOPE, NA, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-a");
    ex.nsib = 1;
    ex.sib[0] = 2;
    xs_must(xa_vv_set(&ex.fctx, NA, 2), "vv");
    xs_must(xa_vv_set(&ex.fctx, NB, 1), "vv");
    xs_must(xa_vv_copy(&ex.have, &ex.fctx), "vv");
    run_arrangements(&ex);
    assert_true(ex.gaps_seen > 0);
    example_free(&ex);
}

/* (d) spelled out: in one batch (applied by dot: B1, B2, A1), A1 comes after
 * B2, which saw it: A1 goes to the journal but not to the siblings.  Alone,
 * B2 before A1 is refused (causal delivery). */
static void test_store__example_d_late_op_is_journaled_but_superseded(void **state)
{
    xs_fx *f = *state;
    xa_op a1, b2, b1;
    xa_apply_result res;
    xa_field got = {0};

    xt_mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    xt_mkop(&b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    xt_mkop(&b2, SCOPE, NB, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-b");
    xs_must(xa_store_apply(f->st, SCOPE, &b1, 1, &res), "apply B1");
    uint64_t d = xt_db_digest(f->path);
    xs_expect_rc(xa_store_apply(f->st, SCOPE, &b2, 1, &res), XA_EGAP, "B2 before A1");
    assert_true(strstr(xa_error_last(), "a000000000000001:1") != NULL);
    assert_true(xt_db_digest(f->path) == d);
    xa_op batch[2] = {a1, b2};
    xs_must(xa_store_apply(f->st, SCOPE, batch, 2, &res), "apply A1 + B2");
    assert_int_equal(res.applied, 2);
    assert_int_equal(res.superseded, 1);
    xs_must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "7");
    xa_field_clear(&got);

    /* the journal holds A1: it is served to others, before B2 that saw it */
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    int more = 7;
    xs_must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, &more), "missing");
    assert_int_equal(l.n, 3);
    assert_int_equal(more, 0);
    /* in causal order: B1, then A1 (B2 waits for it), then B2 */
    assert_true(xs_op_equal(&l.ops[0], &b1));
    assert_true(xs_op_equal(&l.ops[1], &a1));
    assert_true(xs_op_equal(&l.ops[2], &b2));
    /* bounded to 2: B1 and A1, B2 left for later */
    xa_op_list_free(&l);
    xs_must(xa_store_missing(f->st, SCOPE, &empty, 2, &l, &more), "missing, 2");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 1);
    assert_true(xs_op_equal(&l.ops[0], &b1));
    assert_true(xs_op_equal(&l.ops[1], &a1));
    xa_op_list_free(&l);
    xa_op_clear(&a1);
    xa_op_clear(&b2);
    xa_op_clear(&b1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        XS_TEST(test_store__example_a_in_every_arrival_order),
        XS_TEST(test_store__example_b_in_every_arrival_order),
        XS_TEST(test_store__example_c_in_every_arrival_order),
        XS_TEST(test_store__example_d_late_op_is_journaled_but_superseded),
    };

    return xt_tests_status(cmocka_run_group_tests(tests, NULL, NULL));
}
