/*
 * Tests of the store (include/xasync/store.h) through real SQLite files.
 *
 * The docs/design.md examples go through xa_store_apply in every arrival order,
 * with repeats, each to a fresh database, and must give the same
 * xa_store_get.  Every refusal (gap, forged dot, other scope, bad name or
 * value, conflict) must leave the database as it was, which xt_db_digest
 * proves; a file that is not ours must not change by one byte.
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <errno.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define SCOPE "hoang-kim"
#define ENT "ind-4"
#define FLD "est"

/* B sorts before A numerically. */
#define NA ((xa_node)0xa000000000000001ULL)
#define NB ((xa_node)0x0b00000000000002ULL)

#define HLC0 ((int64_t)1719800000000)

typedef struct fx {
    char *dir;
    char *path;
    xa_store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = xt_tempdir();
    f->path = xt_path(f->dir, "main.db");
    int rc = xa_store_create(&f->st, f->path, SCOPE);
    if (rc != 0)
        fail_msg("xa_store_create: %d %s", rc, xa_error_last());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    xa_store_close(f->st);
    free(f->path);
    xt_rmdir(f->dir);
    free(f);
    return 0;
}

/* A dir only, no store. */
static int setup_dir(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = xt_tempdir();
    f->path = xt_path(f->dir, "main.db");
    *state = f;
    return 0;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* Fill `op` (its strings malloc'd, for xa_op_clear). */
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
    for (size_t i = 0; i < nctx; i++)
        assert_int_equal(xa_vv_set(&op->ctx, ctx[i].node, ctx[i].seq), 0);
    op->hlc = hlc;
    op->author = xstrdup(author);
}

static void must(int rc, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %d (%s) %s", what, rc, xa_error_name(rc), xa_error_last());
}

static void expect_rc(int rc, int want, const char *what)
{
    if (rc != want)
        fail_msg("%s: got %d (%s), want %d (%s)%s%s", what, rc, xa_error_name(rc), want,
                 xa_error_name(want), rc < 0 ? "; " : "", rc < 0 ? xa_error_last() : "");
}

/* For lists of independent checks: report every mismatch, then fail once at
 * the end (soft_done), so one wrong answer does not hide the others. */
static int soft_failures;

static void soft_rc(int rc, int want, const char *what)
{
    if (rc != want) {
        print_error("%s: got %d (%s), want %d (%s)%s%s\n", what, rc, xa_error_name(rc), want,
                    xa_error_name(want), rc < 0 ? "; " : "", rc < 0 ? xa_error_last() : "");
        soft_failures++;
    }
}

static void soft_done(void)
{
    int n = soft_failures;
    soft_failures = 0;
    if (n)
        fail_msg("%d check(s) above failed", n);
}

/* A value of `len` bytes: a JSON string of 'x'. */
static char big[XA_VALUE_MAX + 16];

static const char *big_value(size_t len)
{
    assert_true(len >= 2 && len < sizeof big);
    memset(big, 'x', len);
    big[0] = '"';
    big[len - 1] = '"';
    big[len] = '\0';
    return big;
}

static int value_equal(const xa_value *a, const xa_value *b)
{
    return a->dot.node == b->dot.node && a->dot.seq == b->dot.seq &&
           strcmp(a->value, b->value) == 0 && a->hlc == b->hlc && strcmp(a->author, b->author) == 0;
}

static int field_equal(const xa_field *a, const xa_field *b)
{
    if (strcmp(a->entity, b->entity) != 0 || strcmp(a->field, b->field) != 0 || a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (!value_equal(&a->v[i], &b->v[i]))
            return 0;
    return xa_vv_equal(&a->fctx, &b->fctx);
}

static void print_field(const char *what, const xa_field *f)
{
    fprintf(stderr, "%s: %s/%s [", what, f->entity, f->field);
    for (size_t i = 0; i < f->n; i++)
        fprintf(stderr, "%s%s@%016llx:%llu hlc=%lld by %s", i ? ", " : "", f->v[i].value,
                (unsigned long long)f->v[i].dot.node, (unsigned long long)f->v[i].dot.seq,
                (long long)f->v[i].hlc, f->v[i].author);
    char *s = xa_vv_format(&f->fctx);
    fprintf(stderr, "] fctx {%s}\n", s ? s : "?");
    free(s);
}

static int op_equal(const xa_op *a, const xa_op *b)
{
    return strcmp(a->scope, b->scope) == 0 && a->node == b->node && a->seq == b->seq &&
           strcmp(a->entity, b->entity) == 0 && strcmp(a->field, b->field) == 0 &&
           strcmp(a->value, b->value) == 0 && xa_vv_equal(&a->ctx, &b->ctx) && a->hlc == b->hlc &&
           strcmp(a->author, b->author) == 0;
}

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
    fx *f;
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
    must(xa_store_create(&st, *path, SCOPE), "create");
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
    must(xa_store_get(st, SCOPE, ENT, FLD, &got), "get");
    int ok = got.n == ex->nsib && xa_vv_equal(&got.fctx, &ex->fctx);
    for (size_t i = 0; ok && i < got.n; i++) {
        const xa_op *o = &ex->ops[ex->sib[i]];
        ok = got.v[i].dot.node == o->node && got.v[i].dot.seq == o->seq &&
             strcmp(got.v[i].value, o->value) == 0 && got.v[i].hlc == o->hlc &&
             strcmp(got.v[i].author, o->author) == 0;
    }
    if (ok && ex->have_ref)
        ok = field_equal(&got, &ex->ref);
    if (!ok) {
        print_arrangement(ex, seq, len);
        print_field("got", &got);
        if (ex->have_ref)
            print_field("first", &ex->ref);
        fail_msg("%s: unexpected field state", ex->name);
    }
    must(xa_store_have(st, SCOPE, &have), "have");
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
                        expect_rc(rc, XA_EGAP, "apply of an op after a gap");
                    }
                    assert_true(xt_db_digest(path) == before);
                    ex->gaps_seen++;
                    continue; /* stays queued */
                }
                int rc = xa_store_apply(st, SCOPE, o, 1, &res);
                if (rc != 0)
                    print_arrangement(ex, seq, len);
                must(rc, "apply one op");
                if (o->seq <= h) {
                    assert_int_equal(res.applied, 0);
                    assert_int_equal(res.duplicates, 1);
                    assert_int_equal(res.superseded, 0);
                } else {
                    int covered = xa_vv_get(&fctx, o->node) >= o->seq;
                    assert_int_equal(res.applied, 1);
                    assert_int_equal(res.duplicates, 0);
                    assert_int_equal(res.superseded, covered ? 1 : 0);
                    must(xa_vv_set(&held, o->node, o->seq), "vv");
                    must(xa_vv_merge(&fctx, &o->ctx), "vv");
                    must(xa_vv_bump(&fctx, o->node, o->seq), "vv");
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
    must(rc, "apply a batch");
    assert_int_equal(res.applied, ndistinct);
    assert_int_equal(res.duplicates, len - ndistinct);
    check_result(ex, st, seq, len);

    /* the same batch again: all duplicates, nothing changes */
    uint64_t d = xt_db_digest(path);
    must(xa_store_apply(st, SCOPE, batch, len, &res), "apply a batch again");
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

static const xa_dot CTX_A1[] = {{NA, 1}};
static const xa_dot CTX_A1B1[] = {{NA, 1}, {NB, 1}};

/* (a) A1 x=1 ctx {}, A2 x=2 ctx {A:1} -> {2@A2}. */
static void test_store__example_a_in_every_arrival_order(void **state)
{
    example ex;

    memset(&ex, 0, sizeof ex);
    ex.name = "a";
    ex.f = *state;
    ex.n = 2;
    mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    mkop(&ex.ops[1], SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2000, "clerk-a");
    ex.nsib = 1;
    ex.sib[0] = 1;
    must(xa_vv_set(&ex.fctx, NA, 2), "vv");
    must(xa_vv_set(&ex.have, NA, 2), "vv");
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
    mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    mkop(&ex.ops[1], SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    ex.nsib = 2;
    ex.sib[0] = 1; /* largest (hlc, node) first */
    ex.sib[1] = 0;
    must(xa_vv_set(&ex.fctx, NA, 1), "vv");
    must(xa_vv_set(&ex.fctx, NB, 1), "vv");
    must(xa_vv_copy(&ex.have, &ex.fctx), "vv");
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
    mkop(&ex.ops[0], SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    mkop(&ex.ops[1], SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    mkop(&ex.ops[2], SCOPE, NA, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-a");
    ex.nsib = 1;
    ex.sib[0] = 2;
    must(xa_vv_set(&ex.fctx, NA, 2), "vv");
    must(xa_vv_set(&ex.fctx, NB, 1), "vv");
    must(xa_vv_copy(&ex.have, &ex.fctx), "vv");
    run_arrangements(&ex);
    assert_true(ex.gaps_seen > 0);
    example_free(&ex);
}

/* (d) spelled out: in one batch (applied by dot: B1, B2, A1), A1 comes after
 * B2, which saw it: A1 goes to the journal but not to the siblings.  Alone,
 * B2 before A1 is refused (causal delivery). */
static void test_store__example_d_late_op_is_journaled_but_superseded(void **state)
{
    fx *f = *state;
    xa_op a1, b2, b1;
    xa_apply_result res;
    xa_field got = {0};

    mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    mkop(&b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    mkop(&b2, SCOPE, NB, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-b");
    must(xa_store_apply(f->st, SCOPE, &b1, 1, &res), "apply B1");
    uint64_t d = xt_db_digest(f->path);
    expect_rc(xa_store_apply(f->st, SCOPE, &b2, 1, &res), XA_EGAP, "B2 before A1");
    assert_true(strstr(xa_error_last(), "a000000000000001:1") != NULL);
    assert_true(xt_db_digest(f->path) == d);
    xa_op batch[2] = {a1, b2};
    must(xa_store_apply(f->st, SCOPE, batch, 2, &res), "apply A1 + B2");
    assert_int_equal(res.applied, 2);
    assert_int_equal(res.superseded, 1);
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "7");
    xa_field_clear(&got);

    /* the journal holds A1: it is served to others, before B2 that saw it */
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    int more = 7;
    must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, &more), "missing");
    assert_int_equal(l.n, 3);
    assert_int_equal(more, 0);
    /* in causal order: B1, then A1 (B2 waits for it), then B2 */
    assert_true(op_equal(&l.ops[0], &b1));
    assert_true(op_equal(&l.ops[1], &a1));
    assert_true(op_equal(&l.ops[2], &b2));
    /* bounded to 2: B1 and A1, B2 left for later */
    xa_op_list_free(&l);
    must(xa_store_missing(f->st, SCOPE, &empty, 2, &l, &more), "missing, 2");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 1);
    assert_true(op_equal(&l.ops[0], &b1));
    assert_true(op_equal(&l.ops[1], &a1));
    xa_op_list_free(&l);
    xa_op_clear(&a1);
    xa_op_clear(&b2);
    xa_op_clear(&b1);
}

/* ---- refusals leave the database unchanged -------------------------------- */

static void test_store__gap_is_refused_and_changes_nothing(void **state)
{
    fx *f = *state;
    xa_op a1, a2, a3, b1;

    mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    mkop(&a2, SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2, "clerk-a");
    mkop(&a3, SCOPE, NA, 3, "ind-5", FLD, "3", NULL, 0, HLC0 + 3, "clerk-a");
    mkop(&b1, SCOPE, NB, 1, "ind-6", FLD, "5", NULL, 0, HLC0 + 4, "clerk-b");

    uint64_t d0 = xt_db_digest(f->path);
    assert_true(d0 != 0);
    /* A2 alone, to a database lacking A1 */
    expect_rc(xa_store_apply(f->st, SCOPE, &a2, 1, NULL), XA_EGAP, "A2 alone");
    assert_true(xt_db_digest(f->path) == d0);
    /* with a good op of another node in the same batch: none of it */
    xa_op batch[3] = {b1, a2};
    expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EGAP, "B1 + A2");
    assert_true(xt_db_digest(f->path) == d0);
    /* A1 and A3 without A2 */
    batch[0] = a3;
    batch[1] = a1;
    expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EGAP, "A3 + A1");
    assert_true(xt_db_digest(f->path) == d0);
    xa_vv have = XA_VV_INIT;
    must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(xa_vv_get(&have, NA), 0);
    assert_int_equal(xa_vv_get(&have, NB), 0);
    xa_field got = {0};
    expect_rc(xa_store_get(f->st, SCOPE, "ind-6", FLD, &got), XA_ENOTFOUND, "get B1's field");

    /* with A1 held, A3 alone is still a gap */
    must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "A1");
    uint64_t d1 = xt_db_digest(f->path);
    assert_true(d1 != d0);
    expect_rc(xa_store_apply(f->st, SCOPE, &a3, 1, NULL), XA_EGAP, "A3 after A1");
    assert_true(xt_db_digest(f->path) == d1);
    /* A3 then A2 in one batch is fine: the batch is sorted */
    batch[0] = a3;
    batch[1] = a2;
    batch[2] = b1;
    xa_apply_result res;
    must(xa_store_apply(f->st, SCOPE, batch, 3, &res), "A3 + A2 + B1");
    assert_int_equal(res.applied, 3);
    must(xa_store_have(f->st, SCOPE, &have), "have");
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
    fx *f = *state;
    xa_op a1, a2, forged;

    mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    mkop(&a2, SCOPE, NA, 2, ENT, FLD, "2", CTX_A1, 1, HLC0 + 2, "clerk-a");
    must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "A1");
    uint64_t d = xt_db_digest(f->path);

    /* the held dot A1 with another value */
    mkop(&forged, SCOPE, NA, 1, ENT, FLD, "99", NULL, 0, HLC0 + 1, "clerk-a");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other value");
    assert_true(xt_db_digest(f->path) == d);
    /* in a batch with a good op: none of it */
    xa_op batch[2] = {a2, forged};
    expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EFORGED, "A2 + forged A1");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&forged);

    /* other entity, other field, other ctx, other hlc, other author */
    mkop(&forged, SCOPE, NA, 1, "ind-9", FLD, "1", NULL, 0, HLC0 + 1, "clerk-a");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other entity");
    xa_op_clear(&forged);
    mkop(&forged, SCOPE, NA, 1, ENT, "plan", "1", NULL, 0, HLC0 + 1, "clerk-a");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other field");
    xa_op_clear(&forged);
    mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", CTX_A1B1 + 1, 1, HLC0 + 1, "clerk-a");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other ctx");
    xa_op_clear(&forged);
    mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 5, "clerk-a");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other hlc");
    xa_op_clear(&forged);
    mkop(&forged, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1, "mallory");
    expect_rc(xa_store_apply(f->st, SCOPE, &forged, 1, NULL), XA_EFORGED, "other author");
    xa_op_clear(&forged);
    assert_true(xt_db_digest(f->path) == d);

    /* the identical op is a harmless duplicate */
    xa_apply_result res;
    must(xa_store_apply(f->st, SCOPE, &a1, 1, &res), "A1 again");
    assert_int_equal(res.applied, 0);
    assert_int_equal(res.duplicates, 1);
    assert_true(xt_db_digest(f->path) == d);

    /* two meanings of one new dot in one batch */
    mkop(&forged, SCOPE, NA, 2, ENT, FLD, "3", CTX_A1, 1, HLC0 + 2, "clerk-a");
    batch[0] = a2;
    batch[1] = forged;
    expect_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), XA_EFORGED, "A2 twice, two values");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&forged);

    /* a local write's dot cannot be forged either */
    xa_op mine;
    must(xa_store_set(f->st, SCOPE, "ind-7", FLD, "\"x\"", "clerk", 0, &mine), "set");
    d = xt_db_digest(f->path);
    free(mine.value);
    mine.value = xstrdup("\"y\"");
    expect_rc(xa_store_apply(f->st, SCOPE, &mine, 1, NULL), XA_EFORGED, "forged local dot");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&mine);

    xa_op_clear(&a1);
    xa_op_clear(&a2);
}

static void test_store__other_scope_is_refused(void **state)
{
    fx *f = *state;
    xa_op op;
    uint64_t d = xt_db_digest(f->path);

    mkop(&op, "xa-khac", NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "clerk-a");
    /* an op of another scope in a batch for this one */
    expect_rc(xa_store_apply(f->st, SCOPE, &op, 1, NULL), XA_ESCOPE, "op of another scope");
    assert_true(xt_db_digest(f->path) == d);
    /* a batch for another scope, to a client database of this one */
    expect_rc(xa_store_apply(f->st, "xa-khac", &op, 1, NULL), XA_ESCOPE, "batch of other scope");
    assert_true(xt_db_digest(f->path) == d);
    /* a local write to another scope */
    expect_rc(xa_store_set(f->st, "xa-khac", ENT, FLD, "1", "clerk", 0, NULL), XA_ESCOPE,
              "set in another scope");
    assert_true(xt_db_digest(f->path) == d);
    xa_op_clear(&op);
}

/* Every op of a batch is validated: one bad op refuses the batch. */
static void test_store__apply_validates_every_op(void **state)
{
    fx *f = *state;
    xa_op good, bad;
    uint64_t d = xt_db_digest(f->path);

    mkop(&good, SCOPE, NB, 1, "ind-1", FLD, "1", NULL, 0, HLC0, "clerk-b");

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
        mkop(&bad, SCOPE, NA, 1, cases[i].entity, cases[i].field, cases[i].value, NULL, 0, HLC0,
             cases[i].author);
        xa_op batch[2] = {good, bad};
        char what[256];
        snprintf(what, sizeof what, "case %zu (%s/%s = %s by %s)", i, cases[i].entity,
                 cases[i].field, cases[i].value, cases[i].author);
        soft_rc(xa_store_apply(f->st, SCOPE, batch, 2, NULL), cases[i].want, what);
        assert_true(xt_db_digest(f->path) == d);
        xa_op_clear(&bad);
    }

    /* names past their limits */
    char longname[XA_ENTITY_MAX + 2];
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX + 1] = '\0';
    mkop(&bad, SCOPE, NA, 1, longname, FLD, "1", NULL, 0, HLC0, "a");
    expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "entity too long");
    xa_op_clear(&bad);
    longname[XA_FIELD_MAX + 1] = '\0';
    mkop(&bad, SCOPE, NA, 1, ENT, longname, "1", NULL, 0, HLC0, "a");
    expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "field too long");
    xa_op_clear(&bad);

    /* a value one byte past the limit */
    mkop(&bad, SCOPE, NA, 1, ENT, FLD, big_value(XA_VALUE_MAX + 1), NULL, 0, HLC0, "a");
    expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_ETOOBIG, "value too big");
    xa_op_clear(&bad);

    /* dots: node 0, seq 0, seq past XA_SEQ_MAX */
    mkop(&bad, SCOPE, 0, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "node 0");
    xa_op_clear(&bad);
    mkop(&bad, SCOPE, NA, 0, ENT, FLD, "1", NULL, 0, HLC0, "a");
    expect_rc(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), XA_EINVAL, "seq 0");
    xa_op_clear(&bad);
    /* an unknown scope name that is not even well-formed */
    mkop(&bad, "Hoang Kim", NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    int rc = xa_store_apply(f->st, SCOPE, &bad, 1, NULL);
    assert_true(rc == XA_EINVAL || rc == XA_ESCOPE);
    xa_op_clear(&bad);
    assert_true(xt_db_digest(f->path) == d);
    soft_done();

    /* exactly XA_VALUE_MAX bytes is fine */
    mkop(&bad, SCOPE, NA, 1, ENT, FLD, big_value(XA_VALUE_MAX), NULL, 0, HLC0, "a");
    must(xa_store_apply(f->st, SCOPE, &bad, 1, NULL), "value of XA_VALUE_MAX bytes");
    xa_field got = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
    assert_int_equal(strlen(got.v[0].value), XA_VALUE_MAX);
    xa_field_clear(&got);
    xa_op_clear(&bad);

    xa_op_clear(&good);
}

static void test_store__set_validates_names_and_values(void **state)
{
    fx *f = *state;
    uint64_t d = xt_db_digest(f->path);
    char longname[XA_ENTITY_MAX + 2];

    soft_rc(xa_store_set(f->st, SCOPE, "", FLD, "1", "a", 0, NULL), XA_EINVAL, "empty entity");
    soft_rc(xa_store_set(f->st, SCOPE, "a b", FLD, "1", "a", 0, NULL), XA_EINVAL, "entity");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, "a/b", "1", "a", 0, NULL), XA_EINVAL, "field");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, "", "1", "a", 0, NULL), XA_EINVAL, "empty field");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "nope", "a", 0, NULL), XA_EINVAL, "not JSON");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "\"\xed\xa0\x80\"", "a", 0, NULL), XA_EINVAL,
            "surrogate in value");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "a\tb", 0, NULL), XA_EINVAL,
            "control character in author");
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX + 1] = '\0';
    soft_rc(xa_store_set(f->st, SCOPE, longname, FLD, "1", "a", 0, NULL), XA_EINVAL,
            "entity too long");
    longname[XA_FIELD_MAX + 1] = '\0';
    soft_rc(xa_store_set(f->st, SCOPE, ENT, longname, "1", "a", 0, NULL), XA_EINVAL,
            "field too long");
    memset(longname, 'a', sizeof longname);
    longname[XA_AUTHOR_MAX + 1] = '\0';
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", longname, 0, NULL), XA_EINVAL,
            "author too long");
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, big_value(XA_VALUE_MAX + 1), "a", 0, NULL),
            XA_ETOOBIG, "value");
    /* resolve on a field that is not in conflict (or not even written) */
    soft_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "a", 1, NULL), XA_EINVAL,
            "resolve without conflict");
    assert_true(xt_db_digest(f->path) == d);
    soft_done();

    /* the limits themselves are fine */
    longname[XA_AUTHOR_MAX] = '\0';
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"ok\"", longname, 0, NULL), "author at limit");
    memset(longname, 'e', sizeof longname);
    longname[XA_ENTITY_MAX] = '\0';
    must(xa_store_set(f->st, SCOPE, longname, FLD, "1", "a", 0, NULL), "entity at limit");
    longname[XA_FIELD_MAX] = '\0';
    must(xa_store_set(f->st, SCOPE, ENT, longname, "1", "a", 0, NULL), "field at limit");
    must(xa_store_set(f->st, SCOPE, "report-2024.h1:blk/3_x", "a.b_c-d", "{\"k\":[1,2,null]}",
                      "Nguy\xe1\xbb\x85n V\xc4\x83n A", 0, NULL),
         "every allowed character");
    must(xa_store_set(f->st, SCOPE, ENT, FLD, big_value(XA_VALUE_MAX), "a", 0, NULL),
         "value at limit");
}

#define SOFT(expr, want) soft_rc((expr), (want), #expr)

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
    soft_done();
}

/* ---- local writes, conflicts, history -------------------------------------- */

static void test_store__set_records_an_op(void **state)
{
    fx *f = *state;
    xa_op o1, o2;
    xa_node me = xa_store_node(f->st);

    assert_true(me != 0);
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.460\"", "clerk", 0, &o1), "set 1");
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
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.470\"", "clerk", 0, &o2), "set 2");
    assert_int_equal(o2.seq, 2);
    assert_int_equal(o2.ctx.n, 1);
    assert_int_equal(xa_vv_get(&o2.ctx, me), 1);
    assert_true(o2.hlc >= o1.hlc);
    xa_op_clear(&o2);

    /* seq counts per scope, not per field; a new field's ctx is empty */
    must(xa_store_set(f->st, SCOPE, "ind-5", "plan", "12", "clerk", 0, &o2), "set 3");
    assert_int_equal(o2.seq, 3);
    assert_int_equal(o2.ctx.n, 0);
    assert_true(o2.hlc >= o1.hlc);
    xa_op_clear(&o2);
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.480\"", "clerk", 0, NULL), "set with no out");

    xa_field got = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
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
    must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(have.n, 1);
    assert_int_equal(xa_vv_get(&have, me), 4);
    xa_vv_free(&have);

    /* the local op is in the journal exactly as returned */
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, NULL), "missing");
    assert_int_equal(l.n, 4);
    assert_true(op_equal(&l.ops[0], &o1));
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(l.ops[i].seq, i + 1);
    xa_op_list_free(&l);
    xa_op_clear(&o1);
}

static void test_store__get_of_unwritten_field_is_notfound(void **state)
{
    fx *f = *state;
    xa_field got = {0};

    expect_rc(xa_store_get(f->st, SCOPE, ENT, FLD, &got), XA_ENOTFOUND, "get");
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    expect_rc(xa_store_get(f->st, SCOPE, ENT, "plan", &got), XA_ENOTFOUND, "other field");
    expect_rc(xa_store_get(f->st, SCOPE, "ind-5", FLD, &got), XA_ENOTFOUND, "other entity");
}

/* Make example (b)'s conflict: returns the two ops. */
static void make_conflict(fx *f, xa_op *a1, xa_op *b1, int64_t hlc_a, int64_t hlc_b)
{
    mkop(a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, hlc_a, "clerk-a");
    mkop(b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, hlc_b, "clerk-b");
    xa_op batch[2] = {*a1, *b1};
    must(xa_store_apply(f->st, SCOPE, batch, 2, NULL), "apply A1 + B1");
}

static void test_store__front_sibling_is_largest_hlc_then_node(void **state)
{
    fx *f = *state;
    xa_op a1, b1, c1;
    xa_field got = {0};

    make_conflict(f, &a1, &b1, HLC0 + 2000, HLC0 + 1000);
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
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
    mkop(&c1, SCOPE, NB, 2, "ind-8", FLD, "\"b\"", NULL, 0, HLC0 + 5000, "clerk-b");
    must(xa_store_apply(f->st, SCOPE, &c1, 1, NULL), "B2");
    xa_op_clear(&c1);
    mkop(&c1, SCOPE, NA, 2, "ind-8", FLD, "\"a\"", NULL, 0, HLC0 + 5000, "clerk-a");
    must(xa_store_apply(f->st, SCOPE, &c1, 1, NULL), "A2");
    xa_op_clear(&c1);
    must(xa_store_get(f->st, SCOPE, "ind-8", FLD, &got), "get");
    assert_int_equal(got.n, 2);
    assert_true(got.v[0].dot.node == NA);
    assert_true(got.v[1].dot.node == NB);
    xa_field_clear(&got);

    xa_op_clear(&a1);
    xa_op_clear(&b1);
}

static void test_store__set_on_conflict_needs_resolve(void **state)
{
    fx *f = *state;
    xa_op a1, b1, r;
    xa_field got = {0};
    xa_node me = xa_store_node(f->st);

    make_conflict(f, &a1, &b1, HLC0 + 1000, HLC0 + 1500);
    uint64_t d = xt_db_digest(f->path);
    expect_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "7", "clerk", 0, NULL), XA_ECONFLICT,
              "set on a conflict");
    assert_true(xt_db_digest(f->path) == d);

    must(xa_store_set(f->st, SCOPE, ENT, FLD, "7", "clerk", 1, &r), "resolve");
    assert_true(r.node == me);
    assert_int_equal(r.seq, 1);
    assert_int_equal(xa_vv_get(&r.ctx, NA), 1);
    assert_int_equal(xa_vv_get(&r.ctx, NB), 1);
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got), "get");
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
    expect_rc(xa_store_set(f->st, SCOPE, ENT, FLD, "8", "clerk", 1, NULL), XA_EINVAL,
              "resolve without conflict");
    assert_true(xt_db_digest(f->path) == d);
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "8", "clerk", 0, NULL), "set");

    /* the resolution reaches another replica and supersedes both there */
    char *p2 = xt_path(f->dir, "other.db");
    xa_store *st2 = NULL;
    must(xa_store_create(&st2, p2, SCOPE), "create other");
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv empty = XA_VV_INIT;
    must(xa_store_missing(f->st, SCOPE, &empty, 0, &l, NULL), "missing");
    assert_int_equal(l.n, 4);
    must(xa_store_apply(st2, SCOPE, l.ops, l.n, NULL), "apply to other");
    must(xa_store_get(st2, SCOPE, ENT, FLD, &got), "get other");
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0].value, "8");
    xa_field got1 = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &got1), "get");
    assert_true(field_equal(&got, &got1));
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
    fx *f = *state;
    xa_op a1, b1;
    xa_field *fs = NULL;
    size_t n = 0;

    must(xa_store_fields(f->st, SCOPE, NULL, 0, &fs, &n), "fields of empty scope");
    assert_int_equal(n, 0);
    xa_fields_free(fs, n);

    must(xa_store_set(f->st, SCOPE, "ind-9", "plan", "1", "c", 0, NULL), "set");
    must(xa_store_set(f->st, SCOPE, "ind-1", "text", "2", "c", 0, NULL), "set");
    must(xa_store_set(f->st, SCOPE, "ind-1", "est", "3", "c", 0, NULL), "set");
    make_conflict(f, &a1, &b1, HLC0, HLC0 + 1); /* ind-4/est */

    must(xa_store_fields(f->st, SCOPE, NULL, 0, &fs, &n), "fields");
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
        must(xa_store_get(f->st, SCOPE, fs[i].entity, fs[i].field, &one), "get");
        assert_true(field_equal(&one, &fs[i]));
        xa_field_clear(&one);
    }
    xa_fields_free(fs, n);

    must(xa_store_fields(f->st, SCOPE, "ind-1", 0, &fs, &n), "fields of an entity");
    assert_int_equal(n, 2);
    assert_string_equal(fs[0].field, "est");
    assert_string_equal(fs[1].field, "text");
    xa_fields_free(fs, n);

    must(xa_store_fields(f->st, SCOPE, NULL, 1, &fs, &n), "conflicts");
    assert_int_equal(n, 1);
    assert_string_equal(fs[0].entity, "ind-4");
    assert_int_equal(fs[0].n, 2);
    xa_fields_free(fs, n);

    must(xa_store_fields(f->st, SCOPE, "ind-1", 1, &fs, &n), "conflicts of an entity");
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
    fx *f = *state;
    xa_op a1, b1, a2, o1, o2, o3;
    xa_logent *e = NULL;
    size_t n = 0;
    xa_node me = xa_store_node(f->st);

    /* a chain of local writes to one field */
    must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x1\"", "clerk", 0, &o1), "set 1");
    must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x2\"", "clerk", 0, &o2), "set 2");
    must(xa_store_set(f->st, SCOPE, "ind-2", FLD, "\"x3\"", "clerk2", 0, &o3), "set 3");
    must(xa_store_log(f->st, SCOPE, "ind-2", FLD, &e, &n), "log of a field");
    assert_int_equal(n, 3);
    assert_true(op_equal(&e[0].op, &o1));
    assert_true(op_equal(&e[1].op, &o2));
    assert_true(op_equal(&e[2].op, &o3));
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
    mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0 + 1000, "clerk-a");
    mkop(&b1, SCOPE, NB, 1, ENT, FLD, "5", NULL, 0, HLC0 + 1500, "clerk-b");
    mkop(&a2, SCOPE, NA, 2, ENT, FLD, "7", CTX_A1B1, 2, HLC0 + 3000, "clerk-a");
    xa_op batch[3] = {a2, b1, a1};
    must(xa_store_apply(f->st, SCOPE, batch, 3, NULL), "apply");
    must(xa_store_log(f->st, SCOPE, ENT, FLD, &e, &n), "log");
    assert_int_equal(n, 3);
    /* oldest first by hlc */
    assert_true(op_equal(&e[0].op, &a1));
    assert_true(op_equal(&e[1].op, &b1));
    assert_true(op_equal(&e[2].op, &a2));
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
    must(xa_store_log(f->st, SCOPE, ENT, NULL, &e, &n), "log of an entity");
    assert_int_equal(n, 3);
    xa_log_free(e, n);
    must(xa_store_log(f->st, SCOPE, NULL, NULL, &e, &n), "log of the scope");
    assert_int_equal(n, 6);
    for (size_t i = 1; i < n; i++) {
        const xa_op *p = &e[i - 1].op, *q = &e[i].op;
        int ordered =
            p->hlc < q->hlc ||
            (p->hlc == q->hlc && (p->node < q->node || (p->node == q->node && p->seq < q->seq)));
        assert_true(ordered);
    }
    xa_log_free(e, n);
    must(xa_store_log(f->st, SCOPE, "nothing-here", NULL, &e, &n), "empty log");
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
    fx *f = *state;
    xa_op a[3], b1;
    xa_op_list l = XA_OP_LIST_INIT;
    xa_vv have = XA_VV_INIT, v = XA_VV_INIT;
    int more = -1;
    xa_node me = xa_store_node(f->st);

    must(xa_store_have(f->st, SCOPE, &have), "have of an empty scope");
    assert_int_equal(have.n, 0);

    mkop(&a[0], SCOPE, NA, 1, "e1", FLD, "1", NULL, 0, HLC0 + 1, "a");
    mkop(&a[1], SCOPE, NA, 2, "e2", FLD, "2", NULL, 0, HLC0 + 2, "a");
    mkop(&a[2], SCOPE, NA, 3, "e1", FLD, "3", CTX_A1, 1, HLC0 + 3, "a");
    mkop(&b1, SCOPE, NB, 1, "e3", FLD, "4", NULL, 0, HLC0 + 4, "b");
    must(xa_store_apply(f->st, SCOPE, a, 3, NULL), "A1..A3");
    must(xa_store_apply(f->st, SCOPE, &b1, 1, NULL), "B1");
    xa_op mine;
    must(xa_store_set(f->st, SCOPE, "e4", FLD, "5", "me", 0, &mine), "set");

    must(xa_store_have(f->st, SCOPE, &have), "have");
    assert_int_equal(have.n, 3);
    assert_int_equal(xa_vv_get(&have, NA), 3);
    assert_int_equal(xa_vv_get(&have, NB), 1);
    assert_int_equal(xa_vv_get(&have, me), 1);

    /* everything, by node then seq */
    must(xa_store_missing(f->st, SCOPE, &v, 0, &l, &more), "missing all");
    assert_int_equal(l.n, 5);
    assert_int_equal(more, 0);
    for (size_t i = 1; i < l.n; i++)
        assert_true(l.ops[i - 1].node < l.ops[i].node ||
                    (l.ops[i - 1].node == l.ops[i].node && l.ops[i - 1].seq < l.ops[i].seq));
    for (size_t i = 0; i < l.n; i++) {
        const xa_op *want = l.ops[i].node == NB   ? &b1
                            : l.ops[i].node == NA ? &a[l.ops[i].seq - 1]
                                                  : &mine;
        assert_true(op_equal(&l.ops[i], want));
    }
    xa_op_list_free(&l);

    /* what a replica with {A:1, B:1} lacks */
    must(xa_vv_set(&v, NA, 1), "vv");
    must(xa_vv_set(&v, NB, 1), "vv");
    must(xa_store_missing(f->st, SCOPE, &v, 0, &l, &more), "missing");
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
    must(xa_store_missing(f->st, SCOPE, &v, 2, &l, &more), "missing 2");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 1);
    /* appended after what `out` already holds */
    must(xa_store_missing(f->st, SCOPE, &have, 0, &l, &more), "missing nothing");
    assert_int_equal(l.n, 2);
    assert_int_equal(more, 0);
    must(xa_store_missing(f->st, SCOPE, &v, 5, &l, &more), "missing exactly all");
    assert_int_equal(l.n, 7);
    assert_int_equal(more, 0);
    xa_op_list_free(&l);

    /* a replica ahead of us lacks nothing */
    must(xa_vv_set(&v, NA, 100), "vv");
    must(xa_vv_set(&v, NB, 100), "vv");
    must(xa_vv_set(&v, me, 100), "vv");
    must(xa_store_missing(f->st, SCOPE, &v, 0, &l, NULL), "missing of one ahead");
    assert_int_equal(l.n, 0);
    xa_op_list_free(&l);

    xa_vv_free(&have);
    xa_vv_free(&v);
    for (int i = 0; i < 3; i++)
        xa_op_clear(&a[i]);
    xa_op_clear(&b1);
    xa_op_clear(&mine);
}

/* ---- files: create, open, reopen ------------------------------------------- */

static void test_store__reopen_keeps_identity_and_data(void **state)
{
    fx *f = *state;
    xa_node me = xa_store_node(f->st);

    assert_string_equal(xa_store_scope(f->st), SCOPE);
    assert_string_equal(xa_store_path(f->st), f->path);
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.460\"", "clerk", 0, NULL), "set");
    xa_op a1;
    mkop(&a1, SCOPE, NA, 1, ENT, "plan", "1500", NULL, 0, HLC0, "clerk-a");
    must(xa_store_apply(f->st, SCOPE, &a1, 1, NULL), "apply");
    xa_field before = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &before), "get");
    xa_store_close(f->st);
    f->st = NULL;
    uint64_t d = xt_db_digest(f->path);

    must(xa_store_open(&f->st, f->path), "open");
    assert_true(xa_store_node(f->st) == me);
    assert_string_equal(xa_store_scope(f->st), SCOPE);
    assert_string_equal(xa_store_path(f->st), f->path);
    xa_field after = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &after), "get after reopen");
    assert_true(field_equal(&before, &after));
    xa_field_clear(&after);
    must(xa_store_get(f->st, SCOPE, ENT, "plan", &after), "get after reopen");
    assert_string_equal(after.v[0].value, "1500");
    xa_field_clear(&after);
    xa_field_clear(&before);
    /* opening writes nothing (migrations are already done) */
    assert_true(xt_db_digest(f->path) == d);

    /* and the seqs go on where they stopped */
    xa_op o;
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "\"1.470\"", "clerk", 0, &o), "set after reopen");
    assert_true(o.node == me);
    assert_int_equal(o.seq, 2);
    xa_op_clear(&o);
    xa_op_clear(&a1);
}

static void test_store__create_draws_a_new_node(void **state)
{
    fx *f = *state;
    char *p2 = xt_path(f->dir, "second.db");
    xa_store *st2 = NULL;

    must(xa_store_create(&st2, p2, SCOPE), "create");
    assert_true(xa_store_node(st2) != 0);
    assert_true(xa_store_node(st2) != xa_store_node(f->st));
    xa_store_close(st2);
    xa_store_close(NULL);
    free(p2);
}

static void test_store__create_refuses_existing_path(void **state)
{
    fx *f = *state;
    xa_store *st2 = (xa_store *)0x1;

    /* an xasync database */
    must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "c", 0, NULL), "set");
    uint64_t d = xt_db_digest(f->path);
    expect_rc(xa_store_create(&st2, f->path, SCOPE), XA_EEXISTS, "create over a database");
    assert_true(st2 == (xa_store *)0x1);
    assert_true(xt_db_digest(f->path) == d);

    /* any other file */
    char *p2 = xt_path(f->dir, "notes.txt");
    xt_write_file(p2, "hello\n", 6);
    uint64_t d2 = xt_file_digest(p2);
    expect_rc(xa_store_create(&st2, p2, SCOPE), XA_EEXISTS, "create over a file");
    assert_true(xt_file_digest(p2) == d2);
    free(p2);

    /* an empty file too */
    p2 = xt_path(f->dir, "empty");
    xt_write_file(p2, "", 0);
    expect_rc(xa_store_create(&st2, p2, SCOPE), XA_EEXISTS, "create over an empty file");
    struct stat sb;
    assert_int_equal(stat(p2, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    free(p2);
}

static void test_store__create_rejects_bad_scope_or_folder(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    expect_rc(xa_store_create(&st, f->path, "Hoang Kim"), XA_EINVAL, "bad scope");
    expect_rc(xa_store_create(&st, f->path, ""), XA_EINVAL, "empty scope");
    assert_int_not_equal(stat(f->path, &sb), 0);
    assert_null(st);

    char *p = xt_path(f->dir, "no/such/folder/x.db");
    int rc = xa_store_create(&st, p, SCOPE);
    assert_true(rc < 0);
    assert_null(st);
    free(p);
}

static void test_store__open_missing_path_is_notfound_and_not_created(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    expect_rc(xa_store_open(&st, f->path), XA_ENOTFOUND, "open a missing file");
    assert_null(st);
    int r = stat(f->path, &sb), e = errno;
    assert_int_not_equal(r, 0);
    assert_int_equal(e, ENOENT);
    char *side = NULL;
    size_t len = strlen(f->path) + 8;
    side = malloc(len);
    assert_non_null(side);
    snprintf(side, len, "%s-wal", f->path);
    assert_int_not_equal(stat(side, &sb), 0);
    snprintf(side, len, "%s-journal", f->path);
    assert_int_not_equal(stat(side, &sb), 0);
    free(side);

    char *p = xt_path(f->dir, "no/such/folder/x.db");
    expect_rc(xa_store_open(&st, p), XA_ENOTFOUND, "open in a missing folder");
    free(p);
}

static void no_sidecars(const char *path)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal"};
    struct stat sb;
    char side[4096];

    for (size_t i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffix[i]);
        if (stat(side, &sb) == 0)
            fail_msg("%s was created", side);
    }
}

static void test_store__open_refuses_files_not_ours_unchanged(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    struct stat sb;

    /* text */
    char *p = xt_path(f->dir, "report.txt");
    const char *txt = "B\xc3\x81O C\xc3\x81O S\xc6\xa0 K\xe1\xba\xbeT\n";
    xt_write_file(p, txt, strlen(txt));
    uint64_t d = xt_file_digest(p);
    expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open a text file");
    assert_null(st);
    assert_true(xt_file_digest(p) == d);
    no_sidecars(p);
    free(p);

    /* a file that starts like SQLite but is garbage */
    p = xt_path(f->dir, "fake.db");
    char buf[4096];
    memset(buf, 0xa5, sizeof buf);
    memcpy(buf, "SQLite format 3", 16);
    xt_write_file(p, buf, sizeof buf);
    d = xt_file_digest(p);
    int rc = xa_store_open(&st, p);
    assert_true(rc == XA_ENOTXA || rc == XA_ECORRUPT);
    assert_true(xt_file_digest(p) == d);
    free(p);

    /* an empty file */
    p = xt_path(f->dir, "empty.db");
    xt_write_file(p, "", 0);
    expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open an empty file");
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    no_sidecars(p);
    free(p);

    /* an SQLite database of another application */
    p = xt_path(f->dir, "other-app.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE contacts(id INTEGER PRIMARY KEY, name TEXT);"
                                  "INSERT INTO contacts(name) VALUES ('Lan'), ('Minh');"
                                  "PRAGMA user_version = 7;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    d = xt_file_digest(p);
    uint64_t dd = xt_db_digest(p);
    expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open another application's database");
    assert_null(st);
    assert_true(xt_file_digest(p) == d);
    assert_true(xt_db_digest(p) == dd);
    no_sidecars(p);
    free(p);

    /* an empty SQLite database (no tables) is not ours either */
    p = xt_path(f->dir, "blank.db");
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1; VACUUM;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    d = xt_file_digest(p);
    expect_rc(xa_store_open(&st, p), XA_ENOTXA, "open a blank SQLite database");
    assert_true(xt_file_digest(p) == d);
    free(p);
}

/* The district server's database: no scope of its own, many scopes inside. */
static void test_store__server_database_holds_many_scopes(void **state)
{
    fx *f = *state;
    xa_store *st = NULL;
    xa_op a1, a1k;
    xa_vv have = XA_VV_INIT;

    must(xa_store_create(&st, f->path, NULL), "create a server database");
    assert_string_equal(xa_store_scope(st), "");
    mkop(&a1, SCOPE, NA, 1, ENT, FLD, "1", NULL, 0, HLC0, "a");
    mkop(&a1k, "xa-khac", NA, 1, ENT, FLD, "2", NULL, 0, HLC0, "a");
    must(xa_store_apply(st, SCOPE, &a1, 1, NULL), "apply in one scope");
    must(xa_store_apply(st, "xa-khac", &a1k, 1, NULL), "the same dot in another scope");
    expect_rc(xa_store_apply(st, SCOPE, &a1k, 1, NULL), XA_ESCOPE, "mismatched scope");
    int rc = xa_store_apply(st, "Bad Scope", &a1k, 1, NULL);
    assert_true(rc == XA_EINVAL || rc == XA_ESCOPE);
    must(xa_store_have(st, SCOPE, &have), "have");
    assert_int_equal(xa_vv_get(&have, NA), 1);
    must(xa_store_have(st, "thi-tran", &have), "have of an unknown scope");
    assert_int_equal(have.n, 0);

    xa_field got = {0};
    must(xa_store_get(st, SCOPE, ENT, FLD, &got), "get");
    assert_string_equal(got.v[0].value, "1");
    xa_field_clear(&got);
    must(xa_store_get(st, "xa-khac", ENT, FLD, &got), "get");
    assert_string_equal(got.v[0].value, "2");
    xa_field_clear(&got);

    xa_store_close(st);
    must(xa_store_open(&st, f->path), "reopen");
    assert_string_equal(xa_store_scope(st), "");
    xa_store_close(st);
    xa_vv_free(&have);
    xa_op_clear(&a1);
    xa_op_clear(&a1k);
}

/* Out-parameters are written, never read (STYLE.md: `*out` written only on
 * success): a caller may pass an uninitialised xa_field or xa_op.  Run in a
 * child, so that a store that frees what `out` happens to hold crashes the
 * child and not this test program. */
static void test_store__out_parameters_need_no_initialising(void **state)
{
    fx *f = *state;

    must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    xa_store_close(f->st);
    f->st = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        xa_store *st = NULL;
        xa_field got;
        xa_op op;
        if (xa_store_open(&st, f->path) != 0)
            _exit(10);
        /* garbage, as an uninitialised local may hold */
        memset(&got, 0xa5, sizeof got);
        if (xa_store_get(st, SCOPE, ENT, FLD, &got) != 0)
            _exit(11);
        if (got.n != 1 || strcmp(got.v[0].value, "1") != 0)
            _exit(12);
        xa_field_clear(&got);
        memset(&op, 0xa5, sizeof op);
        if (xa_store_set(st, SCOPE, ENT, FLD, "2", "clerk", 0, &op) != 0)
            _exit(13);
        if (op.seq != 2)
            _exit(14);
        xa_op_clear(&op);
        xa_store_close(st);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("with an uninitialised out: the child %s %d (10 open, 11 get, 12 value, 13 set, "
                 "14 seq; 1 is a sanitizer report, a signal a crash in the store)",
                 WIFEXITED(status) ? "exited" : "died of signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    must(xa_store_open(&f->st, f->path), "reopen");
}

/* A clerk's `xasync set` and the daemon share the file: two handles on one
 * database never hand out the same seq, and each sees the other's writes. */
static void test_store__two_handles_share_one_database(void **state)
{
    fx *f = *state;
    xa_store *st2 = NULL;
    xa_op o;

    must(xa_store_open(&st2, f->path), "open a second handle");
    assert_true(xa_store_node(st2) == xa_store_node(f->st));
    for (int i = 0; i < 10; i++) {
        xa_store *w = i % 2 ? st2 : f->st;
        char val[16];
        snprintf(val, sizeof val, "%d", i);
        must(xa_store_set(w, SCOPE, ENT, FLD, val, "clerk", 0, &o), "set");
        assert_int_equal(o.seq, i + 1);
        /* the write before, through the other handle, is what this one replaced */
        if (i > 0)
            assert_int_equal(xa_vv_get(&o.ctx, o.node), i);
        xa_op_clear(&o);
    }
    xa_field a = {0}, b = {0};
    must(xa_store_get(f->st, SCOPE, ENT, FLD, &a), "get");
    must(xa_store_get(st2, SCOPE, ENT, FLD, &b), "get");
    assert_true(field_equal(&a, &b));
    assert_int_equal(a.n, 1);
    assert_string_equal(a.v[0].value, "9");
    xa_field_clear(&a);
    xa_field_clear(&b);
    xa_store_close(st2);
}

/* A database written by a newer xasync (a schema version this one does not
 * know) is refused, not migrated or written. */
static void test_store__newer_schema_is_refused_unchanged(void **state)
{
    fx *f = *state;
    sqlite3 *db = NULL;
    xa_store *st = NULL;

    must(xa_store_set(f->st, SCOPE, ENT, FLD, "1", "clerk", 0, NULL), "set");
    xa_store_close(f->st);
    f->st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    uint64_t d = xt_db_digest(f->path), fd = xt_file_digest(f->path);

    int rc = xa_store_open(&st, f->path);
    if (rc == 0)
        fail_msg("opened a database of schema version 999");
    assert_null(st);
    assert_true(xt_db_digest(f->path) == d);
    assert_true(xt_file_digest(f->path) == fd);
}

static void test_store__empty_batch_is_a_no_op(void **state)
{
    fx *f = *state;
    xa_apply_result res = {9, 9, 9};
    uint64_t d = xt_db_digest(f->path);

    must(xa_store_apply(f->st, SCOPE, NULL, 0, &res), "apply nothing");
    assert_int_equal(res.applied, 0);
    assert_int_equal(res.duplicates, 0);
    assert_int_equal(res.superseded, 0);
    assert_true(xt_db_digest(f->path) == d);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TD(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_store__example_a_in_every_arrival_order),
        T(test_store__example_b_in_every_arrival_order),
        T(test_store__example_c_in_every_arrival_order),
        T(test_store__example_d_late_op_is_journaled_but_superseded),
        T(test_store__gap_is_refused_and_changes_nothing),
        T(test_store__forged_op_is_refused_and_changes_nothing),
        T(test_store__other_scope_is_refused),
        T(test_store__apply_validates_every_op),
        T(test_store__set_validates_names_and_values),
        cmocka_unit_test(test_store__name_and_text_checks),
        T(test_store__set_records_an_op),
        T(test_store__get_of_unwritten_field_is_notfound),
        T(test_store__front_sibling_is_largest_hlc_then_node),
        T(test_store__set_on_conflict_needs_resolve),
        T(test_store__fields_lists_sorted_and_conflicts),
        T(test_store__log_shows_values_replaced),
        T(test_store__have_and_missing),
        T(test_store__reopen_keeps_identity_and_data),
        T(test_store__create_draws_a_new_node),
        T(test_store__create_refuses_existing_path),
        TD(test_store__create_rejects_bad_scope_or_folder),
        TD(test_store__open_missing_path_is_notfound_and_not_created),
        TD(test_store__open_refuses_files_not_ours_unchanged),
        TD(test_store__server_database_holds_many_scopes),
        T(test_store__empty_batch_is_a_no_op),
        T(test_store__two_handles_share_one_database),
        T(test_store__newer_schema_is_refused_unchanged),
        T(test_store__out_parameters_need_no_initialising),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
