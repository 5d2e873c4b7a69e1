/*
 * Tests of the pure merge rule, xa_merge_apply (include/xasync/merge.h).
 *
 * The promise under test: applying the same ops in any order, any number of
 * times, gives the same siblings and causal context.  Each docs/design.md example
 * is applied in every permutation of its ops, and in every arrangement that
 * also repeats any one or two of them anywhere; every single step is also
 * checked against the three rules written out here (return value, `removed`,
 * the siblings and fctx after).
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/merge.h"
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

/* B sorts before A numerically, so sibling order is not insertion order. */
#define NA ((xa_node)0xa000000000000001ULL)
#define NB ((xa_node)0x0b00000000000002ULL)
#define NC ((xa_node)0x5c00000000000003ULL)

#define MAXCTX 4
#define MAXOPS 8

/* An op as the merge rule sees it: its dot and its ctx. */
typedef struct mop {
    const char *name;
    xa_dot dot;
    size_t nctx;
    xa_dot ctx[MAXCTX];
} mop;

static void make_vv(xa_vv *out, const xa_dot *e, size_t n)
{
    xa_vv_clear(out);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(xa_vv_set(out, e[i].node, e[i].seq), 0);
}

static int dot_cmp(const void *a, const void *b)
{
    const xa_dot *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

static void print_state(const char *what, const xa_field_state *st)
{
    fprintf(stderr, "%s: siblings [", what);
    for (size_t i = 0; i < st->nsib; i++)
        fprintf(stderr, "%s%016llx:%llu", i ? " " : "", (unsigned long long)st->sib[i].node,
                (unsigned long long)st->sib[i].seq);
    fprintf(stderr, "] fctx {");
    for (size_t i = 0; i < st->fctx.n; i++)
        fprintf(stderr, "%s%016llx:%llu", i ? " " : "", (unsigned long long)st->fctx.e[i].node,
                (unsigned long long)st->fctx.e[i].seq);
    fprintf(stderr, "}\n");
}

static void check_sorted(const xa_field_state *st)
{
    for (size_t i = 1; i < st->nsib; i++)
        assert_true(dot_cmp(&st->sib[i - 1], &st->sib[i]) < 0);
    for (size_t i = 1; i < st->fctx.n; i++)
        assert_true(st->fctx.e[i - 1].node < st->fctx.e[i].node);
}

static int state_equal(const xa_field_state *a, const xa_field_state *b)
{
    if (a->nsib != b->nsib)
        return 0;
    for (size_t i = 0; i < a->nsib; i++)
        if (dot_cmp(&a->sib[i], &b->sib[i]) != 0)
            return 0;
    return xa_vv_equal(&a->fctx, &b->fctx);
}

/* Apply one op and check the step against the rules of docs/design.md, computed
 * here from the state before.  Returns xa_merge_apply's result. */
static int apply_checked(xa_field_state *st, const mop *o, int want_removed)
{
    xa_vv ctx = XA_VV_INIT;
    make_vv(&ctx, o->ctx, o->nctx);

    /* the expected outcome */
    int drop = st->fctx.n > 0 && xa_vv_get(&st->fctx, o->dot.node) >= o->dot.seq;
    size_t nexp = 0, nexp_removed = 0;
    xa_dot exp[MAXOPS * 3 + 1], exp_removed[MAXOPS * 3 + 1];
    xa_vv exp_fctx = XA_VV_INIT;
    assert_int_equal(xa_vv_copy(&exp_fctx, &st->fctx), 0);
    assert_true(st->nsib <= MAXOPS * 3);
    if (drop) {
        for (size_t i = 0; i < st->nsib; i++)
            exp[nexp++] = st->sib[i];
    } else {
        for (size_t i = 0; i < st->nsib; i++) {
            if (st->sib[i].seq <= xa_vv_get(&ctx, st->sib[i].node))
                exp_removed[nexp_removed++] = st->sib[i];
            else
                exp[nexp++] = st->sib[i];
        }
        exp[nexp++] = o->dot;
        qsort(exp, nexp, sizeof exp[0], dot_cmp);
        assert_int_equal(xa_vv_merge(&exp_fctx, &ctx), 0);
        assert_int_equal(xa_vv_bump(&exp_fctx, o->dot.node, o->dot.seq), 0);
    }

    xa_dot *removed = NULL;
    size_t nremoved = 12345;
    int rc = xa_merge_apply(st, o->dot, &ctx, want_removed ? &removed : NULL,
                            want_removed ? &nremoved : NULL);
    if (rc != (drop ? 0 : 1)) {
        print_state("after", st);
        fail_msg("applying %s returned %d, want %d", o->name, rc, drop ? 0 : 1);
    }
    check_sorted(st);
    if (st->nsib != nexp) {
        print_state("after", st);
        fail_msg("applying %s left %zu siblings, want %zu", o->name, st->nsib, nexp);
    }
    for (size_t i = 0; i < nexp; i++)
        assert_int_equal(dot_cmp(&st->sib[i], &exp[i]), 0);
    assert_true(xa_vv_equal(&st->fctx, &exp_fctx));

    if (want_removed) {
        assert_int_equal(nremoved, nexp_removed);
        if (nremoved > 0) {
            assert_non_null(removed);
            qsort(removed, nremoved, sizeof removed[0], dot_cmp);
            for (size_t i = 0; i < nremoved; i++)
                assert_int_equal(dot_cmp(&removed[i], &exp_removed[i]), 0);
        }
        free(removed);
    }
    xa_vv_free(&ctx);
    xa_vv_free(&exp_fctx);
    return rc;
}

/* Next lexicographic permutation of idx[0..n); 0 when it was the last. */
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

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Calls `visit` with every distinct arrangement of ops[0..n) plus zero, one
 * or two extra copies of any of them; returns how many were visited. */
typedef void (*visit_fn)(const mop *ops, const int *seq, size_t len, void *arg);

static size_t for_each_arrangement(const mop *ops, size_t n, visit_fn visit, void *arg)
{
    size_t count = 0;
    /* extras e1 <= e2, each in [-1, n) with -1 meaning none: (-1, -1) adds
     * nothing, (-1, k) one copy of k, (j, k) copies of j and k */
    for (int e1 = -1; e1 < (int)n; e1++) {
        for (int e2 = e1; e2 < (int)n; e2++) {
            int seq[MAXOPS + 2];
            size_t len = 0;
            for (size_t i = 0; i < n; i++)
                seq[len++] = (int)i;
            if (e1 >= 0)
                seq[len++] = e1;
            if (e2 >= 0)
                seq[len++] = e2;
            qsort(seq, len, sizeof seq[0], cmp_int);
            do {
                visit(ops, seq, len, arg);
                count++;
            } while (next_perm(seq, len));
        }
    }
    return count;
}

typedef struct expect {
    size_t nsib;
    xa_dot sib[MAXOPS];
    size_t nfctx;
    xa_dot fctx[MAXCTX];
    int a2; /* index of the op A2 in ops, or -1 */
    int b1; /* index of the op B1 in ops, or -1 */
    size_t visited;
} expect;

static void run_one(const mop *ops, const int *seq, size_t len, void *arg)
{
    expect *ex = arg;
    xa_field_state st = XA_FIELD_STATE_INIT;
    int seen_a2 = 0, seen_b1 = 0;

    for (size_t i = 0; i < len; i++) {
        int rc = apply_checked(&st, &ops[seq[i]], (int)(i % 2));
        /* (d): B1 arriving after A2 is dropped by rule 1 */
        if (seq[i] == ex->b1 && !seen_b1 && ex->a2 >= 0)
            assert_int_equal(rc, seen_a2 ? 0 : 1);
        if (seq[i] == ex->a2)
            seen_a2 = 1;
        if (seq[i] == ex->b1)
            seen_b1 = 1;
    }

    xa_field_state want = XA_FIELD_STATE_INIT;
    want.nsib = ex->nsib;
    want.sib = (xa_dot *)ex->sib;
    make_vv(&want.fctx, ex->fctx, ex->nfctx);
    if (!state_equal(&st, &want)) {
        fprintf(stderr, "arrangement:");
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %s", ops[seq[i]].name);
        fprintf(stderr, "\n");
        print_state("got ", &st);
        print_state("want", &want);
        fail_msg("arrangements do not converge");
    }
    xa_vv_free(&want.fctx);
    xa_field_state_free(&st);
    ex->visited++;
}

static const mop A1 = {"A1", {NA, 1}, 0, {{0, 0}}};
static const mop A2_after_A1 = {"A2", {NA, 2}, 1, {{NA, 1}}};
static const mop B1 = {"B1", {NB, 1}, 0, {{0, 0}}};
static const mop A2_after_both = {"A2", {NA, 2}, 2, {{NA, 1}, {NB, 1}}};

/* The generator itself: every arrangement holds each op at least once, at
 * most two extra copies, and none is visited twice.  For 3 ops: 3! plain
 * orders, 3 * 4!/2! with one repeat, 3 * 5!/3! with one op thrice and
 * 3 * 5!/(2!2!) with two repeated. */
typedef struct seen {
    size_t n;
    char keys[256][MAXOPS + 3];
} seen;

static void record(const mop *ops, const int *seq, size_t len, void *arg)
{
    seen *sn = arg;
    char key[MAXOPS + 3];
    int count[MAXOPS] = {0};

    assert_true(len <= MAXOPS + 2);
    for (size_t i = 0; i < len; i++) {
        key[i] = (char)('a' + seq[i]);
        count[seq[i]]++;
    }
    key[len] = '\0';
    for (int i = 0; i < 3; i++)
        assert_true(count[i] >= 1);
    for (size_t i = 0; i < sn->n; i++)
        assert_string_not_equal(sn->keys[i], key);
    assert_true(sn->n < 256);
    memcpy(sn->keys[sn->n++], key, len + 1);
}

static void test_merge__arrangements_are_all_generated(void **state)
{
    mop ops[3] = {A1, B1, A2_after_both};
    seen *sn = calloc(1, sizeof *sn);

    assert_non_null(sn);
    assert_int_equal(for_each_arrangement(ops, 3, record, sn), 6 + 36 + 60 + 90);
    assert_int_equal(sn->n, 192);
    free(sn);
}

/* (a) A writes x=1 (A1, ctx {}); A writes x=2 (A2, ctx {A:1}) -> {2@A2}. */
static void test_merge__example_a_later_write_supersedes(void **state)
{
    mop ops[2] = {A1, A2_after_A1};
    expect ex;

    memset(&ex, 0, sizeof ex);
    ex.a2 = 1;
    ex.b1 = -1;
    ex.nsib = 1;
    ex.sib[0] = (xa_dot){NA, 2};
    ex.nfctx = 1;
    ex.fctx[0] = (xa_dot){NA, 2};
    /* 2 + 2 * 3 + (4 + 4 + 6) */
    assert_int_equal(for_each_arrangement(ops, 2, run_one, &ex), 22);
}

/* (b) A1 x=1; B1 x=5 with ctx {} -> {1@A1, 5@B1}. */
static void test_merge__example_b_concurrent_writes_both_kept(void **state)
{
    mop ops[2] = {A1, B1};
    expect ex;

    memset(&ex, 0, sizeof ex);
    ex.a2 = -1;
    ex.b1 = -1;
    ex.nsib = 2;
    ex.sib[0] = (xa_dot){NB, 1}; /* sorted by node: B < A */
    ex.sib[1] = (xa_dot){NA, 1};
    ex.nfctx = 2;
    ex.fctx[0] = (xa_dot){NB, 1};
    ex.fctx[1] = (xa_dot){NA, 1};
    assert_int_equal(for_each_arrangement(ops, 2, run_one, &ex), 22);
}

/* (c) then A writes x=7 with ctx {A:1, B:1} -> {7@A2}, in any order, with
 * repeats; (d) within it: B1 arriving after A2 is dropped by rule 1. */
static void test_merge__example_c_resolution_supersedes_both(void **state)
{
    mop ops[3] = {A1, B1, A2_after_both};
    expect ex;

    memset(&ex, 0, sizeof ex);
    ex.a2 = 2;
    ex.b1 = 1;
    ex.nsib = 1;
    ex.sib[0] = (xa_dot){NA, 2};
    ex.nfctx = 2;
    ex.fctx[0] = (xa_dot){NB, 1};
    ex.fctx[1] = (xa_dot){NA, 2};
    assert_int_equal(for_each_arrangement(ops, 3, run_one, &ex), 192);
}

/* (d) on its own, with the return values and `removed` spelled out. */
static void test_merge__example_d_late_op_dropped_by_rule_1(void **state)
{
    xa_field_state st = XA_FIELD_STATE_INIT;
    xa_vv empty = XA_VV_INIT, ctx = XA_VV_INIT;
    xa_dot *removed = NULL;
    size_t nremoved = 99;

    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 1}, &empty, &removed, &nremoved), 1);
    assert_int_equal(nremoved, 0);
    free(removed);
    removed = NULL;

    assert_int_equal(xa_vv_set(&ctx, NA, 1), 0);
    assert_int_equal(xa_vv_set(&ctx, NB, 1), 0);
    nremoved = 99;
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 2}, &ctx, &removed, &nremoved), 1);
    assert_int_equal(nremoved, 1);
    assert_non_null(removed);
    assert_true(removed[0].node == NA && removed[0].seq == 1);
    free(removed);
    removed = NULL;

    /* B1 arrives late: its dot is covered by fctx (B:1 from A2's ctx) */
    nremoved = 99;
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 1}, &empty, &removed, &nremoved), 0);
    assert_int_equal(nremoved, 0);
    free(removed);
    removed = NULL;
    assert_int_equal(st.nsib, 1);
    assert_true(st.sib[0].node == NA && st.sib[0].seq == 2);
    assert_int_equal(xa_vv_get(&st.fctx, NA), 2);
    assert_int_equal(xa_vv_get(&st.fctx, NB), 1);
    assert_int_equal(st.fctx.n, 2);

    /* and again: a repeat of anything is dropped */
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 2}, &ctx, NULL, NULL), 0);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 1}, &empty, NULL, NULL), 0);
    assert_int_equal(st.nsib, 1);

    xa_vv_free(&empty);
    xa_vv_free(&ctx);
    xa_field_state_free(&st);
}

static void test_merge__removed_lists_superseded_siblings(void **state)
{
    xa_field_state st = XA_FIELD_STATE_INIT;
    xa_vv empty = XA_VV_INIT, ctx = XA_VV_INIT;
    xa_dot *removed = NULL;
    size_t nremoved = 0;

    /* three concurrent siblings A1, B1, C1 */
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 1}, &empty, NULL, NULL), 1);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 1}, &empty, NULL, NULL), 1);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NC, 1}, &empty, NULL, NULL), 1);
    assert_int_equal(st.nsib, 3);
    /* sorted by node: B, C, A */
    assert_true(st.sib[0].node == NB && st.sib[1].node == NC && st.sib[2].node == NA);

    /* B2 saw A1 and B1 only: removes those two, C1 stays */
    assert_int_equal(xa_vv_set(&ctx, NA, 1), 0);
    assert_int_equal(xa_vv_set(&ctx, NB, 1), 0);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 2}, &ctx, &removed, &nremoved), 1);
    assert_int_equal(nremoved, 2);
    qsort(removed, nremoved, sizeof removed[0], dot_cmp);
    assert_true(removed[0].node == NB && removed[0].seq == 1);
    assert_true(removed[1].node == NA && removed[1].seq == 1);
    free(removed);
    removed = NULL;
    assert_int_equal(st.nsib, 2);
    assert_true(st.sib[0].node == NB && st.sib[0].seq == 2);
    assert_true(st.sib[1].node == NC && st.sib[1].seq == 1);

    /* a ctx that covers nothing held removes nothing */
    xa_vv_clear(&ctx);
    assert_int_equal(xa_vv_set(&ctx, NA, 1), 0);
    nremoved = 77;
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 2}, &ctx, &removed, &nremoved), 1);
    assert_int_equal(nremoved, 0);
    free(removed);
    assert_int_equal(st.nsib, 3);
    check_sorted(&st);

    xa_vv_free(&empty);
    xa_vv_free(&ctx);
    xa_field_state_free(&st);
}

static void test_merge__ctx_from_the_future_raises_fctx(void **state)
{
    /* An op may carry a ctx naming dots this field has not seen: they enter
     * fctx, so those ops are dropped when they arrive later. */
    xa_field_state st = XA_FIELD_STATE_INIT;
    xa_vv ctx = XA_VV_INIT, empty = XA_VV_INIT;

    assert_int_equal(xa_vv_set(&ctx, NB, 3), 0);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 1}, &ctx, NULL, NULL), 1);
    assert_int_equal(xa_vv_get(&st.fctx, NB), 3);
    assert_int_equal(xa_vv_get(&st.fctx, NA), 1);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 2}, &empty, NULL, NULL), 0);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 3}, &empty, NULL, NULL), 0);
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 4}, &empty, NULL, NULL), 1);
    assert_int_equal(st.nsib, 2);
    xa_vv_free(&ctx);
    xa_vv_free(&empty);
    xa_field_state_free(&st);
}

static void test_merge__one_value_per_node(void **state)
{
    /* A node's writes supersede each other even when its context forgot
     * its own earlier one: a node never holds two values of a field, so
     * one node cannot flood a field with siblings. */
    xa_field_state st = XA_FIELD_STATE_INIT;
    xa_vv empty = XA_VV_INIT;
    xa_dot *removed = NULL;
    size_t nremoved = 0;

    (void)state;
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NB, 1}, &empty, NULL, NULL), 1);
    for (uint64_t s = 1; s <= 1000; s++) {
        assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, s}, &empty, &removed, &nremoved), 1);
        assert_int_equal(nremoved, s > 1 ? 1 : 0);
        if (s > 1)
            assert_true(removed[0].node == NA && removed[0].seq == s - 1);
        free(removed);
        removed = NULL;
        assert_int_equal(st.nsib, 2);
    }
    assert_true(st.sib[0].node == NB && st.sib[1].node == NA && st.sib[1].seq == 1000);
    /* and an earlier one arriving late is dropped (rule 1) */
    assert_int_equal(xa_merge_apply(&st, (xa_dot){NA, 999}, &empty, NULL, NULL), 0);
    xa_field_state_free(&st);
}

static void test_merge__free_of_empty_state(void **state)
{
    xa_field_state st = XA_FIELD_STATE_INIT;

    xa_field_state_free(&st);
    xa_field_state_free(&st);
}

/* A small deterministic PRNG so a failure replays. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Ops written by three replicas that see each other's writes at random, then
 * delivered in random orders with random repeats: all orders agree, and every
 * step follows the rules. */
static void test_merge__random_histories_converge(void **state)
{
    enum { NREP = 3, NWRITES = MAXOPS };
    const xa_node nodes[NREP] = {NA, NB, NC};
    uint64_t seed = 0x5eed;

    for (int hist = 0; hist < 200; hist++) {
        mop ops[NWRITES];
        xa_field_state rep[NREP] = {XA_FIELD_STATE_INIT, XA_FIELD_STATE_INIT, XA_FIELD_STATE_INIT};
        uint64_t nseq[NREP] = {0, 0, 0};
        char names[NWRITES][8];
        size_t nops = 0;

        while (nops < NWRITES) {
            int r = (int)(rng_next(&seed) % NREP);
            if (nops > 0 && rng_next(&seed) % 2) {
                /* deliver some known op to replica r */
                const mop *o = &ops[rng_next(&seed) % nops];
                apply_checked(&rep[r], o, 0);
                continue;
            }
            mop *o = &ops[nops];
            memset(o, 0, sizeof *o);
            o->dot = (xa_dot){nodes[r], ++nseq[r]};
            snprintf(names[nops], sizeof names[nops], "%c%llu", "ABC"[r],
                     (unsigned long long)nseq[r]);
            o->name = names[nops];
            assert_true(rep[r].fctx.n <= MAXCTX);
            o->nctx = rep[r].fctx.n;
            for (size_t i = 0; i < rep[r].fctx.n; i++)
                o->ctx[i] = rep[r].fctx.e[i];
            nops++;
            apply_checked(&rep[r], o, 1);
        }
        for (int r = 0; r < NREP; r++)
            xa_field_state_free(&rep[r]);

        xa_field_state first = XA_FIELD_STATE_INIT;
        for (int trial = 0; trial < 30; trial++) {
            int seq[NWRITES * 2];
            size_t len = 0;
            for (size_t i = 0; i < nops; i++)
                seq[len++] = (int)i;
            size_t extra = rng_next(&seed) % (NWRITES + 1);
            for (size_t i = 0; i < extra; i++)
                seq[len++] = (int)(rng_next(&seed) % nops);
            for (size_t i = len; i > 1; i--) {
                size_t j = rng_next(&seed) % i;
                int t = seq[i - 1];
                seq[i - 1] = seq[j];
                seq[j] = t;
            }
            xa_field_state st = XA_FIELD_STATE_INIT;
            for (size_t i = 0; i < len; i++)
                apply_checked(&st, &ops[seq[i]], (int)(rng_next(&seed) % 2));
            if (trial == 0) {
                first = st;
            } else {
                if (!state_equal(&st, &first)) {
                    print_state("got  ", &st);
                    print_state("first", &first);
                    fail_msg("history %d: delivery orders disagree", hist);
                }
                xa_field_state_free(&st);
            }
        }
        xa_field_state_free(&first);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge__arrangements_are_all_generated),
        cmocka_unit_test(test_merge__example_a_later_write_supersedes),
        cmocka_unit_test(test_merge__example_b_concurrent_writes_both_kept),
        cmocka_unit_test(test_merge__example_c_resolution_supersedes_both),
        cmocka_unit_test(test_merge__example_d_late_op_dropped_by_rule_1),
        cmocka_unit_test(test_merge__removed_lists_superseded_siblings),
        cmocka_unit_test(test_merge__ctx_from_the_future_raises_fctx),
        cmocka_unit_test(test_merge__one_value_per_node),
        cmocka_unit_test(test_merge__free_of_empty_state),
        cmocka_unit_test(test_merge__random_histories_converge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
