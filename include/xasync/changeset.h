/*
 * Changesets: the body of a sync request or response (docs/design.md, "The
 * protocol: one round trip per sync").
 *
 * Text (before compression), a JSON object:
 *   request:  {"scope":S,"node":N,"have":{...},"max":K,"nodes":{...}}
 *   response: {"scope":S,"have":{...},"more":bool,"nodes":{...},
 *              "snapshot":{"have":{...},"fields":[[E,F,fctx,[[node,seq,
 *                          value,ctx,hlc,author],...]],...]}}   (optional)
 * The media type names the format and its version (1); fctx is 0 when it
 * is the join of its values' contexts and dots.
 * "nodes" holds ops grouped by node exactly as in an ops file (codec.h).
 *
 * Compression (the three kinds the server accepts):
 *   XA_PACK_DICT     zlib stream with a preset dictionary; zlib's header
 *                    carries the dictionary's id (Adler-32), so a newer
 *                    dictionary can be told apart.  Media type
 *                    application/x-xasync-changeset, no Content-Encoding.
 *   XA_PACK_DEFLATE  plain zlib stream: application/json + Content-Encoding
 *                    deflate (HTTP's "deflate" is the zlib format).
 *   XA_PACK_GZIP     gzip: application/json + Content-Encoding gzip.
 * Unpacking bounds the inflated size before anything is parsed: a body that
 * would inflate past the bound (a zip bomb) is refused with XA_ETOOBIG
 * after at most `max_out` bytes of work.
 */
#ifndef XASYNC_CHANGESET_H
#define XASYNC_CHANGESET_H

#include "xasync/store.h"
#include "xasync/vv.h"

#include <stddef.h>

#define XA_MEDIA_CHANGESET "application/x-xasync-changeset"
/* Most ops the district server takes in one sync request; a PC never sends
 * more (a request is one write transaction: kept short, it keeps every other
 * commune's commit waiting little). */
#define XA_SYNC_MAX_OPS 1000
/* A body may name its format and version ("format":"xasync-sync",
 * "version":1); one that names others is refused, naming both versions. */
#define XA_SYNC_FORMAT "xasync-sync"
#define XA_SYNC_VERSION 1

enum { XA_PACK_DICT = 1, XA_PACK_DEFLATE = 2, XA_PACK_GZIP = 3 };

/* The newest dictionary's version; every known one is still read. */
#define XA_DICT_VERSION 1

/* Compress `len` bytes.  *out is malloc'd (caller frees). */
int xa_pack(unsigned char **out, size_t *outlen, const char *text, size_t len, int kind);

/* Inflate a body of `kind`, at most `max_out` bytes.  *out is malloc'd and
 * NUL-terminated.  XA_EINVAL for a body that does not inflate (or names an
 * unknown dictionary), XA_ETOOBIG past max_out. */
int xa_unpack(
    char **out, size_t *outlen, const unsigned char *in, size_t inlen, int kind, size_t max_out);

/* One sync message, either direction. */
typedef struct xa_sync_msg {
    char scope[XA_SCOPE_MAX + 1];
    xa_node node;      /* request: the sending replica */
    xa_vv have;        /* request: the client's vector; response: the server's */
    size_t max;        /* request: most ops wanted back */
    int more;          /* response: the server has more for the client */
    xa_op_list ops;    /* contiguous per node */
    xa_snapshot *snap; /* response: a fresh replica's starting state, or NULL (owned) */
} xa_sync_msg;

void xa_sync_msg_init(xa_sync_msg *m);
void xa_sync_msg_clear(xa_sync_msg *m);

/* Encode a request (is_request = 1) or response as JSON text; *out is
 * malloc'd. */
int xa_sync_msg_encode(char **out, size_t *outlen, const xa_sync_msg *m, int is_request);

/* Decode a message of `expect_scope`; `m` must be initialised (filled only
 * on success).  Every op passes the codec's checks. */
int xa_sync_msg_decode(
    xa_sync_msg *m, const char *text, size_t len, const char *expect_scope, int is_request);

#endif
