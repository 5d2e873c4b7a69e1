/*
 * Codec pieces shared by codec.c and changeset.c: the "nodes" member (ops
 * grouped by node), version vectors and exact integers on cJSON trees.
 */
#ifndef XA_CODEC_INT_H
#define XA_CODEC_INT_H

#include "xasync/store.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* An integer up to 2^53 - 1, printed exactly. */
cJSON *xa_codec_uint(uint64_t v);
/* An integer in [lo, hi] held in a JSON number; -1 if not. */
int xa_codec_int(const cJSON *j, double lo, double hi, int64_t *out);
/* The whole buffer as one JSON document (no trailing text, no escaped NUL);
 * NULL if it is not one. */
cJSON *xa_codec_parse(const char *text, size_t len);

cJSON *xa_codec_vv_json(const xa_vv *vv);
int xa_codec_vv_read(const cJSON *o, xa_vv *out, const char *what);

/* The "nodes" object for ops of `scope` (NULL with the error set). */
cJSON *xa_codec_nodes_json(const char *scope, const xa_op *ops, size_t n);
/* Append the ops of a "nodes" object to `out` (unchanged on error). */
int xa_codec_nodes_read(const cJSON *nodes, const char *scope, xa_op_list *out);

#endif
