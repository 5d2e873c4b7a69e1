/*
 * Storage internals shared by schema.c, store.c and query.c: the store
 * handle, its cached statements, and the SQLite error table.
 */
#ifndef XA_STORE_INT_H
#define XA_STORE_INT_H

#include "xasync/store.h"

#include <sqlite3.h>

/* Stored in the database header: 'xasy'.  A file without it is not ours. */
#define XA_APPLICATION_ID 0x78617379

/* Statements kept prepared for the life of the handle. */
enum {
    Q_HAVE_GET,
    Q_HAVE_PUT,
    Q_HAVE_ALL,
    Q_JOURNAL_GET,
    Q_JOURNAL_PUT,
    Q_JOURNAL_RUN,
    Q_JOURNAL_PREV,
    Q_FIELD_GET,
    Q_FIELD_PUT,
    Q_SIB_GET,
    Q_SIB_PUT,
    Q_SIB_DEL,
    Q_SIB_VALUES,
    Q_META_GET,
    Q_META_PUT,
    Q_JSON_VALID,
    Q__COUNT
};

struct xa_store {
    sqlite3 *db;
    char *path;
    char scope[XA_SCOPE_MAX + 1];
    xa_node node;
    xa_dot refused; /* see xa_store_refused_dot() */
    sqlite3_stmt *q[Q__COUNT];
    /* the node marker (storage/incarnation.c) */
    int marker_dirty;       /* an edit of this node awaits the commit */
    xa_node forked_from;    /* the id this open left, or 0 */
    xa_fork_why fork_why;
};

/* Translate an SQLite result into an XA_E* code and set the message;
 * `what` says what was being done. */
int xa_db_error(xa_store *st, int rc, const char *what);

/* The cached statement `id`, reset and with bindings cleared; NULL with the
 * error set on failure. */
sqlite3_stmt *xa_db_stmt(xa_store *st, int id);

/* Run SQL with no result rows. */
int xa_db_exec(xa_store *st, const char *sql);

/* Inside a transaction: recompute a field from the journal. */
int xa_field_rebuild(xa_store *st, const char *scope, const char *entity, const char *field);
/* Inside a transaction: draw and store a new node id (the handle keeps the
 * old one until xa_store_adopt_node(), after the commit). */
int xa_store_new_node(xa_store *st, xa_node *out);
/* Inside a transaction: store `n` as this replica's node id (adopted after
 * the commit, as above). */
int xa_store_take_node(xa_store *st, xa_node n);
void xa_store_adopt_node(xa_store *st, xa_node node);
/* Inside a transaction: read the node id and scope again from the file. */
int xa_store_reload_node(xa_store *st);
/* The node marker beside a PC's database (storage/incarnation.c): check it
 * on opening (a new node id where the file was restored or copied), write it
 * after a commit that holds an edit of this node (when marker_dirty; a
 * failure there is ignored, the edit being saved), and after a move adopted
 * a new id. */
int xa_incarnation_check(xa_store *st);
int xa_incarnation_note(xa_store *st);
void xa_incarnation_adopted(xa_store *st);
/* Inside a transaction: move node `old`'s ops past `keep` to a new node id
 * (storage/rekey.c).  With `clip` (xasync repair), the moved ops' contexts
 * are cut to what `clip` holds and other ops are left alone; without it,
 * every other op here whose context names the moved dots is rewritten the
 * same way.  The fields to rebuild are listed in temp.xa_refield(entity,
 * field); *nu is the new id, *moved the number of ops moved. */
/* The chains' hash (storage/chain.c): two FNV-1a 64 lanes fed with bytes,
 * a little-endian u64, or a text column with its length. */
void xa_hash_feed(uint64_t h[2], const void *p, size_t n);
void xa_hash_feed_u64(uint64_t h[2], uint64_t v);
void xa_hash_feed_col(uint64_t h[2], sqlite3_stmt *s, int col);
/* The id a move of old's ops past keep gets: from this replica's op
 * old:keep+1 (1 if it holds none), or from a given op. */
int xa_rekey_id(xa_store *st, const char *scope, xa_node old, uint64_t keep, xa_node *nu);
int xa_rekey_id_op(const char *scope, xa_node old, uint64_t keep, const xa_op *op, xa_node *nu);
int xa_rekey_tx(xa_store *st,
                const char *scope,
                xa_node old,
                uint64_t keep,
                const xa_vv *clip,
                xa_node *nu,
                size_t *moved);
/* Every check a received op passes before it touches the database. */
int xa_op_validate(xa_store *st, const char *scope, const xa_op *op);
/* Inside a transaction: write an op's journal row (nothing else). */
int xa_journal_put(xa_store *st, const xa_op *op);
/* The scope's base seq for a node (0 if none). */
uint64_t xa_base_get(xa_store *st, const char *scope, xa_node node);
/* Wall-clock milliseconds. */
int64_t xa_now_ms(void);

/* Roll back the open transaction, if any, keeping the current message. */
void xa_db_rollback(xa_store *st);

/* Bring the schema to the newest version, in one transaction: its own, or
 * the caller's when `in_tx` is set. */
int xa_schema_migrate(xa_store *st, int in_tx);
/* 0 if the schema is this program's own, without changing anything. */
int xa_schema_current(xa_store *st);

/* Helpers to read text columns into malloc'd strings (NULL on ENOMEM). */
char *xa_db_text(sqlite3_stmt *s, int col);

/* Node ids are stored as the 64-bit pattern in an INTEGER. */
#define XA_NODE_TO_DB(n) ((sqlite3_int64)(n))
#define XA_NODE_FROM_DB(v) ((xa_node)(sqlite3_uint64)(v))

#endif
