/*
 * The store: one SQLite file holding the journal of ops, the fields derived
 * from it, and this replica's identity (docs/design.md, "The journal").
 *
 * A client database holds one scope (a commune), named at creation; the
 * district server's database holds many, through the same functions.
 *
 * Guarantees:
 *   1. A write or an apply that returned 0 is on disk (WAL, synchronous=FULL).
 *   2. xa_store_apply() applies all of a batch or none of it.
 *   3. have[node] is contiguous: ops of a node are applied in seq order; an
 *      op that would leave a gap is refused (XA_EGAP).
 *   4. A dot is never given two meanings: an op whose dot is held with other
 *      content is refused (XA_EFORGED).
 *   5. Local writes go through the same apply as received ops.
 */
#ifndef XASYNC_STORE_H
#define XASYNC_STORE_H

#include "xasync/vv.h"

#include <stddef.h>
#include <stdint.h>

/* Stated limits, checked on every write and every received op. */
#define XA_SCOPE_MAX 64    /* bytes; [a-z0-9-], starts with a letter or digit */
#define XA_ENTITY_MAX 128  /* bytes; [A-Za-z0-9._:/-] */
#define XA_FIELD_MAX 64    /* bytes; [A-Za-z0-9._-] */
#define XA_AUTHOR_MAX 128  /* bytes of UTF-8, no control characters */
#define XA_VALUE_MAX 65536 /* bytes of the value's JSON text, UTF-8 */

typedef struct xa_store xa_store;

/* One write.  Every pointer member is the holder's (malloc'd); xa_op_clear()
 * frees them.  `value` is JSON text (usually a JSON string) in canonical
 * form: as cJSON_PrintUnformatted() prints it, which is what the client and
 * the codec produce.  The store keeps it as given and compares held and
 * received ops byte for byte, so a caller that writes another spelling of
 * the same JSON (`1.0`, `"\u00e9"`) would see its own op refused as forged
 * after a round trip through the codec. */
typedef struct xa_op {
    char *scope;
    xa_node node;
    uint64_t seq;
    char *entity;
    char *field;
    char *value;
    xa_vv ctx;
    int64_t hlc; /* hybrid logical clock: wall-clock ms, never backwards */
    char *author;
} xa_op;

void xa_op_clear(xa_op *op);

typedef struct xa_op_list {
    size_t n;
    size_t cap;
    xa_op *ops;
} xa_op_list;

#define XA_OP_LIST_INIT                                                                            \
    {                                                                                              \
        0, 0, NULL                                                                                 \
    }

/* Append a zeroed op and return it (NULL on ENOMEM). */
xa_op *xa_op_list_push(xa_op_list *l);
void xa_op_list_free(xa_op_list *l);

/* One of a field's current values (a sibling). */
typedef struct xa_value {
    xa_dot dot;
    char *value; /* JSON text */
    int64_t hlc;
    char *author;
} xa_value;

/* A field's state: its siblings, the front one first (largest (hlc, node)),
 * and its causal context.  More than one value: a conflict. */
typedef struct xa_field {
    char *entity;
    char *field;
    size_t n;
    xa_value *v;
    xa_vv fctx;
} xa_field;

void xa_field_clear(xa_field *f);
void xa_fields_free(xa_field *f, size_t n);

/* One history entry: an op, and the values it replaced as its writer saw
 * them (empty for a first write or when that history is not held here). */
typedef struct xa_logent {
    xa_op op;
    size_t nbefore;
    xa_value *before;
} xa_logent;

void xa_log_free(xa_logent *e, size_t n);

typedef struct xa_apply_result {
    size_t applied;    /* new ops added to the journal */
    size_t duplicates; /* ops already held, identical */
    size_t superseded; /* new ops that rule 1 kept out of the siblings */
} xa_apply_result;

/* Name checks (0 or XA_EINVAL with a message naming the problem; a value
 * over XA_VALUE_MAX is XA_ETOOBIG). */
int xa_check_scope(const char *scope);
int xa_check_entity(const char *entity);
int xa_check_field(const char *field);
int xa_check_author(const char *author);
/* A value: valid UTF-8, at most XA_VALUE_MAX bytes.  (That it is JSON is
 * checked by the store, with SQLite's json_valid().) */
int xa_check_value(const char *json, size_t len);
/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int xa_utf8_valid(const char *s, size_t len);

/* Create a new database at `path` (its folder must exist).  Refuses an
 * existing file (XA_EEXISTS).  `scope` names the client's commune, or is NULL
 * for the district server.  A new random node id is drawn from the OS. */
int xa_store_create(xa_store **out, const char *path, const char *scope);

/* Open an existing database; never creates one (XA_ENOTFOUND) and never
 * writes to a file that is not an xasync database (XA_ENOTXA).  Runs pending
 * migrations. */
int xa_store_open(xa_store **out, const char *path);
/* Open a database that cannot be written (a read-only copy, disk or USB
 * stick) for reading only: nothing is written, not even the journal mode.
 * Any write through the handle fails. */
int xa_store_open_readonly(xa_store **out, const char *path);

void xa_store_close(xa_store *st); /* NULL is a no-op */

/* Why opening a PC's database gave it a new node id (storage/incarnation.c):
 * the record beside the file (`<db>-node`) was missing, named another id,
 * another machine or another path, or counted more edits of this PC than the
 * file holds (a backup put back).  Its earlier edits keep their ids; new ones
 * go under the new id, so no edit number is ever used twice. */
typedef enum {
    XA_FORK_NONE = 0,
    XA_FORK_NO_MARKER,
    XA_FORK_OTHER_NODE,
    XA_FORK_MACHINE,
    XA_FORK_PATH,
    XA_FORK_BEHIND
} xa_fork_why;
/* XA_FORK_NONE if this handle's open kept the node id; else why, and *old
 * (if not NULL) the id it left. */
xa_fork_why xa_store_forked(const xa_store *st, xa_node *old);

/* Borrowed until xa_store_close(): the client's scope ("" on the server). */
const char *xa_store_scope(const xa_store *st);
xa_node xa_store_node(const xa_store *st);
const char *xa_store_path(const xa_store *st);

/* Record a local write of `value` (JSON text) to (scope, entity, field).  The
 * op's ctx is the field's causal context, so it supersedes every value this
 * replica holds.  If the field is in conflict this is refused (XA_ECONFLICT)
 * unless `resolve` is set; with `resolve` set a field that is not in conflict
 * is refused (XA_EINVAL).  Returns only once the op is on disk (inside
 * xa_store_begin(), once the caller commits).  `out`, if
 * not NULL, receives a copy of the op (caller clears it). */
int xa_store_set(xa_store *st,
                 const char *scope,
                 const char *entity,
                 const char *field,
                 const char *value,
                 const char *author,
                 int resolve,
                 xa_op *out);

/* Apply received ops of `scope`, in one transaction: all or none.  Ops may
 * come in any order and repeat; each node's ops must continue contiguously
 * from what is held.  Every op is validated (names, value, scope).  `res` may
 * be NULL. */
int xa_store_apply(
    xa_store *st, const char *scope, const xa_op *ops, size_t n, xa_apply_result *res);

/* A write transaction around several calls (the server's sync: claim nodes,
 * apply, note the time, all or none).  xa_store_apply inside one joins it
 * (as a savepoint).  xa_store_rollback is a no-op outside a transaction. */
int xa_store_begin(xa_store *st);
int xa_store_commit(xa_store *st);
void xa_store_rollback(xa_store *st);

/* The dot of the op that made the last xa_store_apply() fail with XA_EGAP
 * or XA_EFORGED (for the server's answer); {0, 0} otherwise. */
xa_dot xa_store_refused_dot(const xa_store *st);

/*
 * Snapshots: what a fresh replica is sent instead of the whole history
 * (docs/design.md, "The protocol").  Every field's current ops (siblings, with
 * their contexts) and causal context, and the version vector they stand for.
 * A replica that installs one holds every op up to that vector in effect:
 * its journal has the siblings only, and the vector below which history may
 * be absent is kept as the scope's `base`.  Older ops that arrive later fill
 * the journal in (history fetched on demand) without touching the fields.
 */
typedef struct xa_snap_field {
    char *entity;
    char *field;
    xa_vv fctx;
    size_t n;
    xa_op *sib;
} xa_snap_field;

typedef struct xa_snapshot {
    xa_vv have;
    size_t n;
    xa_snap_field *f;
} xa_snapshot;

void xa_snapshot_free(xa_snapshot *s);

/* Read a consistent snapshot of a scope.  *out is the caller's. */
int xa_store_snapshot(xa_store *st, const char *scope, xa_snapshot *out);

/* Install a snapshot into a replica that holds no op of the scope (else
 * XA_EINVAL), in one transaction.  Every op is checked as xa_store_apply
 * checks received ops, and the snapshot must be consistent (each sibling
 * within `have` and covered by its field's context). */
int xa_store_install_snapshot(xa_store *st, const char *scope, const xa_snapshot *s);

/* The vector below which this replica's history may be absent (empty for a
 * replica that never installed a snapshot). */
int xa_store_base(xa_store *st, const char *scope, xa_vv *out);

/*
 * Repair a replica that took in, before contexts were checked, an op whose
 * context claims ops it does not hold (`xasync repair`).  In one
 * transaction: other nodes' such ops (and their nodes' later ones) are set
 * aside in the `quarantine` table; this PC's own ops from the first such
 * one on move to a new node id with their contexts clamped (new edits:
 * nothing is lost, no dot gets two meanings); the fields concerned are
 * rebuilt.  Nothing to do is success with a zeroed report.
 */
typedef struct xa_repair_report {
    size_t quarantined; /* ops of other PCs set aside */
    size_t moved;       /* this PC's edits moved to a new node id */
    size_t fields;      /* fields rebuilt */
} xa_repair_report;

int xa_store_repair(xa_store *st, const char *scope, xa_repair_report *out);

/*
 * Chain digests (storage/chain.c): per node, a hash over its ops 1..seq in
 * order, so two replicas can tell whether they hold the same ops under a
 * node's dots, not only as many.  An ops file carries them.
 */
typedef struct xa_chain_point {
    xa_node node;
    uint64_t seq;
    uint64_t d[2];
} xa_chain_point;

/* A move of node `old`'s ops past `keep` to node `nu` (storage/rekey.c). */
typedef struct xa_move {
    xa_node old;
    uint64_t keep;
    xa_node nu;
} xa_move;

typedef struct xa_chains {
    size_t n, cap;
    xa_chain_point *p; /* grouped by node, seq ascending within a node */
    size_t nmv, capmv;
    xa_move *mv; /* the moves the replica made or followed */
} xa_chains;

void xa_chains_free(xa_chains *c);
int xa_chains_add(xa_chains *c, xa_node node, uint64_t seq, const uint64_t d[2]);
int xa_chains_add_move(xa_chains *c, xa_node old, uint64_t keep, xa_node nu);
/* This replica's chains, for every node whose history it holds from seq 1,
 * at that node's last seq and checkpoints below it, and the moves it made
 * or followed.  Appended to `out`. */
int xa_store_chains(xa_store *st, const char *scope, xa_chains *out);
/* Compare another replica's chains with this one's, at the seqs both hold.
 * *node is the first node whose ops differ (0: none), and *keep the last
 * seq of it that both hold alike (their common prefix, as far as the
 * checkpoints tell). */
int xa_store_chains_compare(
    xa_store *st, const char *scope, const xa_chains *theirs, xa_node *node, uint64_t *keep);

/* Where two replicas meet by an ops file (its chains and its ops), before
 * anything of it is applied.  First the moves the other replica made are
 * followed here where this replica holds the same ops (out->followed).
 * 0: nothing differs.  XA_EFORGED with out->node 0 and out->moved_back:
 * the file brings, under their old dots, ops this replica moved to a new
 * id; the other PC must take this one's file first.
 * XA_EFORGED: the two hold different ops under node out->node's dots past
 * out->keep.  When those are this PC's own, past what the district
 * acknowledged, this PC holds the newer incarnation: its ops past keep
 * moved to a new id (out->rekeyed, out->moved) and the exchange is to be
 * repeated.  Otherwise the other PC must take this one's file first. */
typedef struct xa_meet {
    xa_node node;
    uint64_t keep;
    size_t moved;
    int rekeyed;
    size_t followed;    /* moves of the other replica done here too */
    xa_node moved_back; /* see above */
} xa_meet;
int xa_store_meet(xa_store *st,
                  const char *scope,
                  const xa_chains *theirs,
                  const xa_op *ops,
                  size_t nops,
                  xa_meet *out);

/* Move node `old`'s ops past `keep` (the last seq two incarnations of that
 * node share) to a new node id, renumbered from 1, rewriting every context
 * here that names them; this PC's own node adopts the new id.  The id is
 * derived from what is moved, so every replica that moves the same ops
 * makes the same ones (storage/rekey.c).  *nu and *moved may be NULL. */
int xa_store_rekey(
    xa_store *st, const char *scope, xa_node old, uint64_t keep, xa_node *nu, size_t *moved);

/* SQLite's PRAGMA data_version: changes when another connection commits
 * (a clerk's `xasync set` while the daemon waits). */
int xa_store_data_version(xa_store *st, int64_t *out);

/* This replica's version vector for a scope. */
int xa_store_have(xa_store *st, const char *scope, xa_vv *out);

/* The ops a replica with version vector `have` lacks, by node then seq, at
 * most `max` (0: no bound).  Appended to `out`; *more (if not NULL) is set
 * to 1 when the bound cut the list.  XA_ENOTFOUND if some of them are older
 * than this replica's base (a snapshot's history it does not hold). */
int xa_store_missing(
    xa_store *st, const char *scope, const xa_vv *have, size_t max, xa_op_list *out, int *more);

/* A field's current state.  XA_ENOTFOUND if it was never written.  *out is
 * written only on success (not read: it needs no initialising); the caller
 * frees it with xa_field_clear(). */
int xa_store_get(
    xa_store *st, const char *scope, const char *entity, const char *field, xa_field *out);

/* Every field of a scope (or of one entity when `entity` is not NULL), or
 * only those in conflict, sorted by entity and field.  *out is the caller's:
 * free with xa_fields_free(*out, *n). */
int xa_store_fields(xa_store *st,
                    const char *scope,
                    const char *entity,
                    int conflicts_only,
                    xa_field **out,
                    size_t *n);

/* The history of a scope, an entity or a field (NULLs widen), oldest first
 * by (hlc, node, seq).  Free with xa_log_free(*out, *n). */
int xa_store_log(xa_store *st,
                 const char *scope,
                 const char *entity,
                 const char *field,
                 xa_logent **out,
                 size_t *n);

#endif
