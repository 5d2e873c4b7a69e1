/*
 * The merge rule: a field as a multi-value register with dotted version
 * vectors (docs/design.md, "The data model").
 *
 * A field's state is its siblings (the dots of the ops not yet superseded)
 * and its causal context fctx.  Applying op o = (dot, ctx):
 *   1. if o.seq <= fctx[o.node]: already seen or superseded; drop it;
 *   2. remove each sibling s with s.seq <= o.ctx[s.node], and each sibling
 *      of o's own node (its writes supersede each other: one value per node);
 *   3. add o as a sibling; fctx := max(fctx, o.ctx, {o.node: o.seq}).
 * Applying the same ops in any order, any number of times, gives the same
 * state.  This is pure: storage loads a field's state, calls it, and writes
 * the state back in the same transaction, on the client and on the server.
 */
#ifndef XASYNC_MERGE_H
#define XASYNC_MERGE_H

#include "xasync/vv.h"

typedef struct xa_field_state {
    size_t nsib;
    size_t cap;
    xa_dot *sib; /* kept sorted by (node, seq) */
    xa_vv fctx;
} xa_field_state;

#define XA_FIELD_STATE_INIT                                                                        \
    {                                                                                              \
        0, 0, NULL, XA_VV_INIT                                                                     \
    }

void xa_field_state_free(xa_field_state *st);

/* Apply one op to a field state.  Returns 1 if the op became a sibling, 0 if
 * rule 1 dropped it, or a negative XA_E* (state unchanged on error).  When
 * `removed` is not NULL it receives the dots rule 2 removed (caller frees
 * *removed with free(); *nremoved is their count). */
int xa_merge_apply(
    xa_field_state *st, xa_dot dot, const xa_vv *ctx, xa_dot **removed, size_t *nremoved);

#endif
