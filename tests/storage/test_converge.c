/*
 * Randomized convergence of three replicas through the real store.
 *
 * Three database files of one scope take 1,000 random local writes to 20
 * fields, interleaved with exchanges between random pairs: the receiver's
 * missing ops, bounded at random, shuffled, padded with repeats of ops it
 * already holds, sometimes cut into batches that may be refused for a gap
 * (which must then change nothing).  After a final exchange until quiet,
 * every replica must hold the same journal, version vector and fields, and
 * no write may be lost: a write is either still a value of its field, or a
 * later write was made by someone who had seen it.
 *
 * The seed is printed; XA_SEED=<n> replays a run.
 */
#include "support.h"
#include "xasync/error.h"
#include "xasync/merge.h"
#include "xasync/store.h"
#include "xasync/vv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* clang-format off: cmocka.h needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

#define SCOPE "hoang-kim"
#define NREP 3
#define NWRITES 1000
#define NENT 4
#define NFLD 5
#define NFIELDS (NENT * NFLD)

static const char *const entities[NENT] = {"ind-1", "ind-2", "report-2024-h1", "blk-7"};
static const char *const fieldnames[NFLD] = {"est", "plan", "prev", "note", "text"};

typedef struct world {
    char *dir;
    char *path[NREP];
    xa_store *st[NREP];
    xa_node node[NREP];
    uint64_t rng;
    uint64_t seed;
    /* every op written, in order, and where to find it by dot */
    size_t nrec;
    xa_op rec[NWRITES];
    int rec_field[NWRITES];
    size_t by_seq[NREP][NWRITES + 1];
    uint64_t nby[NREP];
    /* statistics, printed at the end */
    size_t exchanges, batches, gaps, dups_sent, conflicts_resolved;
} world;

static uint64_t rnd(world *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(world *w, size_t n)
{
    return (size_t)(rnd(w) % n);
}

static void must(world *w, int rc, const char *what)
{
    if (rc != 0)
        fail_msg("%s: %d (%s) %s [seed %llu]", what, rc, xa_error_name(rc), xa_error_last(),
                 (unsigned long long)w->seed);
}

static int replica_of(const world *w, xa_node nd)
{
    for (int r = 0; r < NREP; r++)
        if (w->node[r] == nd)
            return r;
    return -1;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    const char *env = getenv("XA_SEED");
    if (env != NULL && *env != '\0')
        w->seed = strtoull(env, NULL, 10);
    else
        w->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    w->rng = w->seed;
    w->dir = xt_tempdir();
    for (int r = 0; r < NREP; r++) {
        char name[32];
        snprintf(name, sizeof name, "replica-%d.db", r);
        w->path[r] = xt_path(w->dir, name);
        must(w, xa_store_create(&w->st[r], w->path[r], SCOPE), "create");
        w->node[r] = xa_store_node(w->st[r]);
        for (int q = 0; q < r; q++)
            assert_true(w->node[q] != w->node[r]);
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    for (int r = 0; r < NREP; r++) {
        xa_store_close(w->st[r]);
        free(w->path[r]);
    }
    for (size_t i = 0; i < w->nrec; i++)
        xa_op_clear(&w->rec[i]);
    xt_rmdir(w->dir);
    free(w);
    return 0;
}

static void shuffle(world *w, xa_op *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = below(w, i);
        xa_op t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* One local write at replica r to a random field. */
static void write_one(world *w, int r)
{
    int fi = (int)below(w, NFIELDS);
    const char *ent = entities[fi / NFLD], *fld = fieldnames[fi % NFLD];
    xa_field cur = {0};
    int resolve = 0;

    int rc = xa_store_get(w->st[r], SCOPE, ent, fld, &cur);
    if (rc == 0) {
        resolve = cur.n > 1;
        xa_field_clear(&cur);
    } else if (rc != XA_ENOTFOUND) {
        must(w, rc, "get before set");
    }

    char value[64], author[32];
    snprintf(value, sizeof value, "\"w%zu r%d\"", w->nrec, r);
    snprintf(author, sizeof author, "clerk-%d", r);
    if (resolve && below(w, 4) == 0) {
        /* a plain set on a conflict is refused */
        rc = xa_store_set(w->st[r], SCOPE, ent, fld, value, author, 0, NULL);
        if (rc != XA_ECONFLICT)
            fail_msg("set on a conflict returned %d, want XA_ECONFLICT [seed %llu]", rc,
                     (unsigned long long)w->seed);
    }
    xa_op *o = &w->rec[w->nrec];
    must(w, xa_store_set(w->st[r], SCOPE, ent, fld, value, author, resolve, o), "set");
    assert_true(o->node == w->node[r]);
    assert_true(o->seq >= 1 && o->seq <= NWRITES);
    /* a node's seqs count its writes from 1 */
    assert_int_equal(o->seq, w->nby[r] + 1);
    w->nby[r]++;
    w->by_seq[r][o->seq] = w->nrec + 1; /* 0 means none */
    w->rec_field[w->nrec] = fi;
    w->nrec++;
    w->conflicts_resolved += (size_t)resolve;

    /* the writer sees its own value, alone */
    must(w, xa_store_get(w->st[r], SCOPE, ent, fld, &cur), "get after set");
    assert_int_equal(cur.n, 1);
    assert_string_equal(cur.v[0].value, value);
    assert_true(cur.v[0].dot.node == o->node && cur.v[0].dot.seq == o->seq);
    xa_field_clear(&cur);
}

/* Send dst what it lacks from src, the way a flaky sync might. */
static void exchange(world *w, int src, int dst)
{
    xa_vv have = XA_VV_INIT;
    xa_op_list l = XA_OP_LIST_INIT;
    int more = 0;
    size_t max = below(w, 3) == 0 ? 0 : 1 + below(w, 40);

    must(w, xa_store_have(w->st[dst], SCOPE, &have), "have");
    must(w, xa_store_missing(w->st[src], SCOPE, &have, max, &l, &more), "missing");
    if (max == 0)
        assert_int_equal(more, 0);
    if (max != 0 && more)
        assert_int_equal(l.n, max);
    assert_true(max == 0 || l.n <= max);

    /* repeats of ops dst already holds */
    size_t ndup = below(w, 4) == 0 ? 0 : below(w, 6);
    size_t cap = l.n + ndup, n = 0;
    xa_op *batch = calloc(cap ? cap : 1, sizeof *batch);
    assert_non_null(batch);
    for (size_t i = 0; i < l.n; i++)
        batch[n++] = l.ops[i]; /* shallow: apply only reads */
    for (size_t i = 0; i < ndup && w->nrec > 0; i++) {
        const xa_op *o = &w->rec[below(w, w->nrec)];
        if (xa_vv_covers(&have, (xa_dot){o->node, o->seq})) {
            batch[n++] = *o;
            w->dups_sent++;
        }
    }
    shuffle(w, batch, n);

    /* one batch, or a few; a later piece may depend on an earlier refused
     * one, and a piece may gap on its own */
    size_t pieces = (n > 1 && below(w, 2) == 0) ? 2 + below(w, 3) : 1;
    size_t cuts[6] = {0};
    cuts[0] = 0;
    for (size_t i = 1; i < pieces; i++)
        cuts[i] = below(w, n + 1);
    cuts[pieces] = n;
    /* sort cut points */
    for (size_t i = 1; i < pieces; i++)
        for (size_t j = i + 1; j < pieces; j++)
            if (cuts[j] < cuts[i]) {
                size_t t = cuts[i];
                cuts[i] = cuts[j];
                cuts[j] = t;
            }
    for (size_t p = 0; p < pieces; p++) {
        size_t lo = cuts[p], hi = cuts[p + 1];
        if (hi <= lo)
            continue;
        uint64_t before = pieces > 1 ? xt_db_digest(w->path[dst]) : 0;
        xa_apply_result res = {0, 0, 0};
        int rc = xa_store_apply(w->st[dst], SCOPE, batch + lo, hi - lo, &res);
        w->batches++;
        if (rc == XA_EGAP && pieces > 1) {
            w->gaps++;
            if (xt_db_digest(w->path[dst]) != before)
                fail_msg("a batch refused with XA_EGAP changed the database [seed %llu]",
                         (unsigned long long)w->seed);
            continue;
        }
        must(w, rc, pieces > 1 ? "apply a piece" : "apply a whole batch");
        assert_int_equal(res.applied + res.duplicates, hi - lo);
        assert_true(res.superseded <= res.applied);
    }
    free(batch);
    xa_op_list_free(&l);
    xa_vv_free(&have);
    w->exchanges++;
}

/* Everyone sends everyone everything, until a full round moves nothing. */
static void settle(world *w)
{
    for (int round = 0; round < 10; round++) {
        int moved = 0;
        for (int s = 0; s < NREP; s++) {
            for (int d = 0; d < NREP; d++) {
                if (s == d)
                    continue;
                xa_vv have = XA_VV_INIT;
                xa_op_list l = XA_OP_LIST_INIT;
                int more = 1;
                must(w, xa_store_have(w->st[d], SCOPE, &have), "have");
                must(w, xa_store_missing(w->st[s], SCOPE, &have, 0, &l, &more), "missing");
                assert_int_equal(more, 0);
                if (l.n > 0) {
                    shuffle(w, l.ops, l.n);
                    xa_apply_result res;
                    must(w, xa_store_apply(w->st[d], SCOPE, l.ops, l.n, &res), "settle apply");
                    assert_int_equal(res.applied, l.n);
                    moved = 1;
                }
                xa_op_list_free(&l);
                xa_vv_free(&have);
            }
        }
        if (!moved)
            return;
    }
    fail_msg("replicas did not settle in 10 rounds [seed %llu]", (unsigned long long)w->seed);
}

static int op_equal(const xa_op *a, const xa_op *b)
{
    return strcmp(a->scope, b->scope) == 0 && a->node == b->node && a->seq == b->seq &&
           strcmp(a->entity, b->entity) == 0 && strcmp(a->field, b->field) == 0 &&
           strcmp(a->value, b->value) == 0 && xa_vv_equal(&a->ctx, &b->ctx) && a->hlc == b->hlc &&
           strcmp(a->author, b->author) == 0;
}

static const xa_op *recorded(const world *w, xa_dot d)
{
    int r = replica_of(w, d.node);
    if (r < 0 || d.seq == 0 || d.seq > NWRITES || w->by_seq[r][d.seq] == 0)
        return NULL;
    return &w->rec[w->by_seq[r][d.seq] - 1];
}

static int field_index(const char *ent, const char *fld)
{
    for (int e = 0; e < NENT; e++)
        for (int f = 0; f < NFLD; f++)
            if (strcmp(entities[e], ent) == 0 && strcmp(fieldnames[f], fld) == 0)
                return e * NFLD + f;
    return -1;
}

static void check_converged(world *w)
{
    xa_vv have[NREP];
    xa_field *fs[NREP];
    size_t nfs[NREP];
    uint64_t count[NREP] = {0};

    /* the expected version vector: every op written */
    for (size_t i = 0; i < w->nrec; i++)
        count[replica_of(w, w->rec[i].node)]++;
    for (int r = 0; r < NREP; r++) {
        have[r] = (xa_vv)XA_VV_INIT;
        must(w, xa_store_have(w->st[r], SCOPE, &have[r]), "have");
        for (int q = 0; q < NREP; q++)
            if (xa_vv_get(&have[r], w->node[q]) != count[q])
                fail_msg("replica %d holds %llu ops of replica %d, %llu were written [seed %llu]",
                         r, (unsigned long long)xa_vv_get(&have[r], w->node[q]), q,
                         (unsigned long long)count[q], (unsigned long long)w->seed);
        if (r > 0)
            assert_true(xa_vv_equal(&have[r], &have[0]));
        must(w, xa_store_fields(w->st[r], SCOPE, NULL, 0, &fs[r], &nfs[r]), "fields");
    }

    /* every journal holds all the ops, identical to what was written */
    for (int r = 0; r < NREP; r++) {
        xa_op_list l = XA_OP_LIST_INIT;
        xa_vv empty = XA_VV_INIT;
        int more = 1;
        must(w, xa_store_missing(w->st[r], SCOPE, &empty, 0, &l, &more), "missing everything");
        assert_int_equal(l.n, NWRITES);
        assert_int_equal(more, 0);
        for (size_t i = 0; i < l.n; i++) {
            const xa_op *o = recorded(w, (xa_dot){l.ops[i].node, l.ops[i].seq});
            if (o == NULL || !op_equal(o, &l.ops[i]))
                fail_msg("replica %d journals op %016llx:%llu unlike it was written [seed %llu]", r,
                         (unsigned long long)l.ops[i].node, (unsigned long long)l.ops[i].seq,
                         (unsigned long long)w->seed);
        }
        xa_op_list_free(&l);
    }

    /* the model: the merge rule over every op written, per field */
    xa_field_state model[NFIELDS];
    int written[NFIELDS] = {0};
    size_t nwritten = 0;
    for (int i = 0; i < NFIELDS; i++)
        model[i] = (xa_field_state)XA_FIELD_STATE_INIT;
    for (size_t i = 0; i < w->nrec; i++) {
        int fi = w->rec_field[i];
        int rc = xa_merge_apply(&model[fi], (xa_dot){w->rec[i].node, w->rec[i].seq}, &w->rec[i].ctx,
                                NULL, NULL);
        assert_true(rc == 0 || rc == 1);
        if (!written[fi]++)
            nwritten++;
    }

    /* same fields everywhere, equal to the model */
    for (int r = 0; r < NREP; r++) {
        assert_int_equal(nfs[r], nwritten);
        for (size_t k = 0; k < nfs[r]; k++) {
            const xa_field *a = &fs[r][k], *b = &fs[0][k];
            int same = strcmp(a->entity, b->entity) == 0 && strcmp(a->field, b->field) == 0 &&
                       a->n == b->n && xa_vv_equal(&a->fctx, &b->fctx);
            for (size_t i = 0; same && i < a->n; i++)
                same = a->v[i].dot.node == b->v[i].dot.node && a->v[i].dot.seq == b->v[i].dot.seq &&
                       strcmp(a->v[i].value, b->v[i].value) == 0 && a->v[i].hlc == b->v[i].hlc &&
                       strcmp(a->v[i].author, b->v[i].author) == 0;
            if (!same)
                fail_msg("replicas 0 and %d differ on %s/%s [seed %llu]", r, b->entity, b->field,
                         (unsigned long long)w->seed);

            int fi = field_index(a->entity, a->field);
            assert_true(fi >= 0);
            const xa_field_state *m = &model[fi];
            if (a->n != m->nsib || !xa_vv_equal(&a->fctx, &m->fctx))
                fail_msg("%s/%s: %zu siblings, the merge rule gives %zu [seed %llu]", a->entity,
                         a->field, a->n, m->nsib, (unsigned long long)w->seed);
            for (size_t i = 0; i < a->n; i++) {
                int found = 0;
                for (size_t j = 0; j < m->nsib; j++)
                    found |= m->sib[j].node == a->v[i].dot.node && m->sib[j].seq == a->v[i].dot.seq;
                assert_true(found);
                /* each value is the one written with that dot */
                const xa_op *o = recorded(w, a->v[i].dot);
                assert_non_null(o);
                assert_string_equal(a->v[i].value, o->value);
                assert_string_equal(a->v[i].author, o->author);
                assert_true(a->v[i].hlc == o->hlc);
                assert_int_equal(w->rec_field[o - w->rec], fi);
            }
            /* front first: largest (hlc, node) */
            for (size_t i = 1; i < a->n; i++)
                assert_true(a->v[0].hlc > a->v[i].hlc ||
                            (a->v[0].hlc == a->v[i].hlc && a->v[0].dot.node > a->v[i].dot.node));
        }
    }

    /* no write lost, on every replica */
    for (int r = 0; r < NREP; r++) {
        for (size_t i = 0; i < w->nrec; i++) {
            const xa_op *o = &w->rec[i];
            xa_field cur = {0};
            must(w, xa_store_get(w->st[r], SCOPE, o->entity, o->field, &cur), "get");
            int sibling = 0;
            for (size_t k = 0; k < cur.n; k++)
                if (cur.v[k].dot.node == o->node && cur.v[k].dot.seq == o->seq) {
                    sibling = 1;
                    assert_string_equal(cur.v[k].value, o->value);
                }
            if (!sibling && xa_vv_get(&cur.fctx, o->node) < o->seq)
                fail_msg("replica %d lost write %zu (%s/%s) [seed %llu]", r, i, o->entity, o->field,
                         (unsigned long long)w->seed);
            if (!sibling) {
                /* superseded only by a write to that field that had seen it */
                int seen = 0;
                for (size_t j = 0; j < w->nrec && !seen; j++)
                    seen = w->rec_field[j] == w->rec_field[i] &&
                           xa_vv_covers(&w->rec[j].ctx, (xa_dot){o->node, o->seq});
                if (!seen)
                    fail_msg("write %zu is gone though no writer saw it [seed %llu]", i,
                             (unsigned long long)w->seed);
            }
            xa_field_clear(&cur);
        }
    }

    for (int i = 0; i < NFIELDS; i++)
        xa_field_state_free(&model[i]);
    for (int r = 0; r < NREP; r++) {
        xa_fields_free(fs[r], nfs[r]);
        xa_vv_free(&have[r]);
    }
}

static void test_converge__three_replicas_random_writes_and_exchanges(void **state)
{
    world *w = *state;

    printf("test_converge__three_replicas_random_writes_and_exchanges: seed=%llu "
           "(replay with XA_SEED=%llu)\n",
           (unsigned long long)w->seed, (unsigned long long)w->seed);
    fflush(stdout);

    while (w->nrec < NWRITES) {
        write_one(w, (int)below(w, NREP));
        if (below(w, 8) == 0) {
            int s = (int)below(w, NREP);
            int d = (int)((s + 1 + (int)below(w, NREP - 1)) % NREP);
            exchange(w, s, d);
        }
    }
    settle(w);
    check_converged(w);

    printf("  %zu writes, %zu resolutions, %zu exchanges, %zu batches, %zu refused for a gap, "
           "%zu repeats sent\n",
           w->nrec, w->conflicts_resolved, w->exchanges, w->batches, w->gaps, w->dups_sent);
    fflush(stdout);
    /* a run that never made a conflict or a gap tested too little */
    assert_true(w->conflicts_resolved > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_converge__three_replicas_random_writes_and_exchanges,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
