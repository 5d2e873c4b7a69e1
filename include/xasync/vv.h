/*
 * Version vectors and dots.
 *
 * A node id is 64 random bits, written as 16 lowercase hex digits.  A dot
 * (node, seq) names one write; seq counts a node's writes in a scope from 1.
 * A version vector maps node -> highest seq; absent nodes are 0.
 *
 * Invariants of an xa_vv: entries sorted by node, no duplicate node, no
 * entry with seq 0.  Every function here keeps them.
 */
#ifndef XASYNC_VV_H
#define XASYNC_VV_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t xa_node;

/* Seqs and clocks travel as JSON numbers: keep them exact in a double. */
#define XA_SEQ_MAX ((uint64_t)1 << 53)
/* Most entries a version vector may hold (nodes that ever wrote a scope). */
#define XA_VV_MAX 4096
/* Most nodes that may write one scope: a batch that would bring more is
 * refused before it commits (the nodes already held keep syncing). */
#define XA_NODES_MAX XA_VV_MAX
/* Longest text form of a version vector: "node:seq" entries joined by ','. */
#define XA_NODE_HEX 16

typedef struct xa_dot {
    xa_node node;
    uint64_t seq;
} xa_dot;

typedef struct xa_vv {
    size_t n;
    size_t cap;
    xa_dot *e;
} xa_vv;

/* An empty vector needs no allocation: xa_vv v = XA_VV_INIT; */
#define XA_VV_INIT                                                                                 \
    {                                                                                              \
        0, 0, NULL                                                                                 \
    }

void xa_vv_free(xa_vv *vv); /* frees the entries; leaves an empty vector */
void xa_vv_clear(xa_vv *vv);

/* The seq of node in vv, 0 if absent. */
uint64_t xa_vv_get(const xa_vv *vv, xa_node node);

/* Set vv[node] := seq (seq 0 removes the entry).  XA_ENOMEM, XA_ETOOBIG. */
int xa_vv_set(xa_vv *vv, xa_node node, uint64_t seq);

/* vv[node] := max(vv[node], seq). */
int xa_vv_bump(xa_vv *vv, xa_node node, uint64_t seq);

/* dst := max(dst, src), pointwise. */
int xa_vv_merge(xa_vv *dst, const xa_vv *src);

/* dst := a copy of src. */
int xa_vv_copy(xa_vv *dst, const xa_vv *src);

/* 1 if the dot is covered by vv (seq <= vv[node]), else 0. */
int xa_vv_covers(const xa_vv *vv, xa_dot d);

/* 1 if a and b hold the same entries. */
int xa_vv_equal(const xa_vv *a, const xa_vv *b);

/* Node ids as text: exactly 16 hex digits, 0 is not a node.  `out` must hold
 * XA_NODE_HEX + 1 bytes. */
void xa_node_format(xa_node node, char *out);
int xa_node_parse(const char *s, xa_node *out);

/* The storage text form, "node:seq,node:seq" sorted by node ("" if empty).
 * xa_vv_format returns a malloc'd string the caller frees, or NULL on ENOMEM.
 * xa_vv_parse fills `out` (cleared first) and rejects anything malformed. */
char *xa_vv_format(const xa_vv *vv);
int xa_vv_parse(const char *s, xa_vv *out);

#endif
