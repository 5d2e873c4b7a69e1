/*
 * The district server's own records, in its store: communes, access tokens
 * (only their SHA-256 is kept) and which PC (node) belongs to which commune.
 * Plain data; the HTTP lives in server/.
 */
#ifndef XASYNC_DISTRICT_H
#define XASYNC_DISTRICT_H

#include "xasync/store.h"

#include <stddef.h>
#include <stdint.h>

#define XA_TOKEN_HASH 32
#define XA_NAME_MAX 256

typedef struct xa_commune {
    char scope[XA_SCOPE_MAX + 1];
    char name[XA_NAME_MAX];
    int64_t created;   /* ms */
    int64_t last_sync; /* ms; 0: never */
    uint64_t ops;      /* ops held */
    uint64_t conflicts;
} xa_commune;

/* XA_EEXISTS if the scope is taken; XA_EINVAL for a bad scope or name. */
int xa_district_commune_add(xa_store *st, const char *scope, const char *name);
/* XA_ENOTFOUND if no such commune. */
int xa_district_commune_get(xa_store *st, const char *scope, xa_commune *out);
/* Every commune, by scope; *out is the caller's (free()). */
int xa_district_communes(xa_store *st, xa_commune **out, size_t *n);

/* A token's hash, for one commune (scope) or district-wide (scope NULL). */
int xa_district_token_add(xa_store *st,
                          const uint8_t hash[XA_TOKEN_HASH],
                          const char *scope,
                          const char *label);
/* Look a token up: XA_EAUTH if unknown.  *district is 1 for a district-wide
 * token, else `scope` (XA_SCOPE_MAX + 1 bytes) names its commune. */
int xa_district_token_find(xa_store *st,
                           const uint8_t hash[XA_TOKEN_HASH],
                           char *scope,
                           int *district);

/* Remove every token of commune `scope` (XA_ENOTFOUND if no such commune),
 * or, with scope NULL, every district-wide token labelled `label`.  Returns
 * how many were removed.  A running server refuses them from its next
 * request on (it looks every token up in the database). */
int xa_district_token_revoke(xa_store *st, const char *scope, const char *label);

/* Inside the caller's transaction: claim for `scope` every node that writes
 * in `ops`; XA_EAUTH if one already belongs to another commune. */
int xa_district_claim_nodes(xa_store *st, const char *scope, const xa_op *ops, size_t n);

/* Inside the caller's transaction: note a successful sync now. */
int xa_district_touch(xa_store *st, const char *scope);

#endif
