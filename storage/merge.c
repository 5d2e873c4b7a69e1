/*
 * The merge rule of docs/design.md, on an in-memory field state.  Pure: no I/O,
 * so that it can be tested exhaustively and called by storage the same way
 * on a PC and on the district server.
 *
 * Invariants of a field state, kept by xa_merge_apply():
 *   1. sib is sorted by (node, seq) with no duplicates;
 *   2. every sibling is covered by fctx;
 *   3. no sibling is covered by the ctx of another sibling (it would have
 *      been removed by rule 2 when that one arrived, or dropped by rule 1);
 *   4. no two siblings share a node.
 */
#include "xasync/merge.h"

#include "xasync/error.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void xa_field_state_free(xa_field_state *st)
{
    free(st->sib);
    st->sib = NULL;
    st->nsib = st->cap = 0;
    xa_vv_free(&st->fctx);
}

static int dot_less(xa_dot a, xa_dot b)
{
    return a.node < b.node || (a.node == b.node && a.seq < b.seq);
}

int xa_merge_apply(
    xa_field_state *st, xa_dot dot, const xa_vv *ctx, xa_dot **removed, size_t *nremoved)
{
    xa_vv nctx = XA_VV_INIT;
    xa_dot *gone = NULL;
    size_t ngone = 0, keep = 0, at;
    int rc;

    if (removed) {
        *removed = NULL;
        *nremoved = 0;
    }
    /* Rule 1: seen or superseded. */
    if (dot.seq <= xa_vv_get(&st->fctx, dot.node))
        return 0;

    /* Compute the new context first so a failure leaves st untouched. */
    rc = xa_vv_copy(&nctx, &st->fctx);
    if (rc == 0)
        rc = xa_vv_merge(&nctx, ctx);
    if (rc == 0)
        rc = xa_vv_bump(&nctx, dot.node, dot.seq);
    if (rc == 0 && st->nsib + 1 > st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 2;
        xa_dot *s = realloc(st->sib, cap * sizeof(*s));
        if (s == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        else {
            st->sib = s;
            st->cap = cap;
        }
    }
    if (rc == 0 && removed && st->nsib) {
        gone = malloc(st->nsib * sizeof(*gone));
        if (gone == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    if (rc < 0) {
        xa_vv_free(&nctx);
        return rc;
    }

    /* Rule 2: drop the siblings the writer had seen, and its own node's
     * earlier ones (a node's writes supersede each other: one node never
     * holds two values of a field). */
    for (size_t i = 0; i < st->nsib; i++) {
        if (xa_vv_covers(ctx, st->sib[i]) || st->sib[i].node == dot.node) {
            if (gone)
                gone[ngone++] = st->sib[i];
        } else {
            st->sib[keep++] = st->sib[i];
        }
    }
    st->nsib = keep;

    /* Rule 3: add the op, in order; merge contexts. */
    at = 0;
    while (at < st->nsib && dot_less(st->sib[at], dot))
        at++;
    assert(at == st->nsib || st->sib[at].node != dot.node || st->sib[at].seq != dot.seq);
    memmove(&st->sib[at + 1], &st->sib[at], (st->nsib - at) * sizeof(st->sib[0]));
    st->sib[at] = dot;
    st->nsib++;
    xa_vv_free(&st->fctx);
    st->fctx = nctx;

    if (removed) {
        *removed = gone;
        *nremoved = ngone;
    } else {
        free(gone);
    }
    return 1;
}
