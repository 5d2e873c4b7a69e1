/*
 * The op codec: ops as JSON text, the form of an ops file (the USB-stick
 * transport) and of a changeset's body before compression.
 *
 * Format, version 1:
 *   {"format": "xasync-ops", "version": 1, "scope": "hoang-kim",
 *    "nodes": {"<node hex>": [[seq, entity, field, value, ctx, hlc, author],
 *                             ...], ...}}
 * The ops of one node are grouped under it, so the node id and the names of
 * an op's parts are written once.  `value` is any JSON value; `ctx` is a
 * version vector {"<node hex>": seq, ...}; seq and hlc are integers.
 *
 * Decoding trusts nothing: every member is checked for type and range, names
 * and values go through the store's checks, and the scope must be the one
 * expected.
 */
#ifndef XASYNC_CODEC_H
#define XASYNC_CODEC_H

#include "xasync/store.h"
#include "xasync/vv.h"

#include <stddef.h>
#include <stdio.h>

/* Largest ops document decode accepts, in bytes of JSON text. */
#define XA_CODEC_MAX_TEXT ((size_t)256 * 1024 * 1024)

/* Encode `n` ops of `scope` (all must be of that scope).  *out is a malloc'd
 * NUL-terminated string the caller frees. */
int xa_codec_encode(char **out, const char *scope, const xa_op *ops, size_t n);

/* Decode an ops document of `expect_scope`; ops are appended to `out` (on
 * error `out` is left as it was).  XA_EINVAL for anything malformed (also
 * text after the document, an escaped NUL in a string), XA_ESCOPE for
 * another scope, XA_ETOOBIG past XA_CODEC_MAX_TEXT or for a value over
 * XA_VALUE_MAX. */
int xa_codec_decode(xa_op_list *out, const char *text, size_t len, const char *expect_scope);

/* The same, with the exporter's chain digests (store.h) as an optional
 * "chains" member: {"<node hex>": [[seq, "<32 hex>"], ...]}, so the receiver
 * can tell whether it holds the same ops under a node's dots.  Decode
 * appends them to `chains` (may be NULL: ignored); a file without them
 * decodes as before. */
int xa_codec_encode_chains(
    char **out, const char *scope, const xa_op *ops, size_t n, const xa_chains *chains);
int xa_codec_decode_chains(
    xa_op_list *out, const char *text, size_t len, const char *expect_scope, xa_chains *chains);

/* Writing an ops file in bounded memory: begin, then the ops grouped by
 * node (a node's ops together, in seq order), then end with the chains
 * (may be NULL).  The text is the one xa_codec_encode_chains makes. */
typedef struct xa_codec_writer {
    FILE *f;
    char scope[XA_SCOPE_MAX + 1];
    xa_node cur;
    int open, first, err;
    size_t bytes, ops;
} xa_codec_writer;
int xa_codec_stream_begin(xa_codec_writer *w, FILE *f, const char *scope);
int xa_codec_stream_op(xa_codec_writer *w, const xa_op *op);
int xa_codec_stream_end(xa_codec_writer *w, const xa_chains *chains);

/* JSON text that cJSON would misread: a NUL byte, a \u0000 escape (cJSON
 * cuts the string there), or a raw control character (below 0x20) inside a
 * string, which JSON forbids.  0, or XA_EINVAL with a message beginning with
 * `what` ("the ops file"). */
int xa_json_text_check(const char *text, size_t len, const char *what);

/* A version vector as a JSON object {"<node hex>": seq}.  *out is malloc'd. */
int xa_codec_vv_encode(char **out, const xa_vv *vv);
int xa_codec_vv_decode(xa_vv *out, const char *text, size_t len);

#endif
