/*
 * Moving a node's ops to a new node id: the one way a journal is rewritten.
 *
 * Two different ops under one dot happen when a PC is restored from a
 * backup or copied to another machine: it writes new ops under seqs its
 * other incarnation already used.  Wherever that is found (the district's
 * `409 forged`, an ops file's chains, `xasync repair`), the incarnation that
 * the district does not hold moves: its ops past `keep`, the last seq both
 * incarnations share, go to a new node id, renumbered from 1, with their
 * contexts rewritten to match.  Nothing is lost; no dot ever has two
 * meanings.
 *
 * The new id is not drawn at random: it is a hash of the scope, the old
 * node, `keep` and the first moved op's bytes.  Two replicas that move the
 * same ops (the restored PC itself, and another PC it handed them to by
 * USB) therefore arrive at the same id and the same ops, and those meet
 * later as one edit, not as a conflict of an edit with its own copy.  A
 * replica that already holds the new node's ops (it received them from a
 * replica that moved first) keeps one copy of each.
 */
#include "store_int.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>

static int prep(xa_store *st, sqlite3_stmt **s, const char *sql)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "moving ops to a new node");
}

/* Dots old:(keep+1..) become nu:(1..). */
static int remap(xa_vv *ctx, xa_node old, xa_node nu, uint64_t keep)
{
    uint64_t x = xa_vv_get(ctx, old);

    if (x <= keep)
        return 0;
    int rc = xa_vv_set(ctx, old, keep);
    if (rc == 0)
        rc = xa_vv_set(ctx, nu, x - keep);
    return rc;
}

/* xasync repair's rule for its own poisoned ops: an op's context claims
 * nothing of its own node at or past itself, and nothing not held. */
static int clip_ctx(xa_vv *ctx, const xa_vv *clip, xa_node old, uint64_t seq)
{
    int rc = 0;

    for (size_t k = 0; rc == 0 && k < ctx->n;) {
        xa_dot d = ctx->e[k];
        uint64_t lim = d.node == old ? seq - 1 : xa_vv_get(clip, d.node);
        if (d.seq > lim)
            rc = xa_vv_set(ctx, d.node, lim); /* 0 removes the entry */
        if (k < ctx->n && ctx->e[k].node == d.node)
            k++;
    }
    return rc;
}

static int note_field(xa_store *st, sqlite3_stmt *row, int ecol)
{
    sqlite3_stmt *m = NULL;
    int rc = prep(st, &m, "INSERT OR IGNORE INTO temp.xa_refield VALUES (?1, ?2)");

    if (rc == 0) {
        sqlite3_bind_value(m, 1, sqlite3_column_value(row, ecol));
        sqlite3_bind_value(m, 2, sqlite3_column_value(row, ecol + 1));
        int s = sqlite3_step(m);
        if (s != SQLITE_DONE)
            rc = xa_db_error(st, s, "rebuilding fields");
    }
    sqlite3_finalize(m);
    return rc;
}

/* The new id: a hash of where the move starts and what it moves first
 * (the op's bytes as the journal holds them). */
static void id_start(uint64_t h[2], const char *scope, xa_node old, uint64_t keep)
{
    h[0] = 0xcbf29ce484222325ULL;
    h[1] = 0x84222325cbf29ce4ULL;
    xa_hash_feed(h, "xasync rekey", 12);
    xa_hash_feed(h, scope, strlen(scope) + 1);
    xa_hash_feed_u64(h, old);
    xa_hash_feed_u64(h, keep);
}

static void feed_str(uint64_t h[2], const char *t)
{
    size_t n = strlen(t);

    xa_hash_feed_u64(h, n);
    xa_hash_feed(h, t, n);
}

static xa_node id_end(const uint64_t h[2], xa_node old)
{
    xa_node nu = h[0] ^ ((h[1] << 17) | (h[1] >> 47));

    while (nu == 0 || nu == old)
        nu++;
    return nu;
}

int xa_rekey_id_op(const char *scope, xa_node old, uint64_t keep, const xa_op *op, xa_node *nu)
{
    uint64_t h[2];
    char *ctx = xa_vv_format(&op->ctx);

    if (ctx == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    id_start(h, scope, old, keep);
    feed_str(h, op->entity);
    feed_str(h, op->field);
    feed_str(h, op->value);
    feed_str(h, ctx);
    xa_hash_feed_u64(h, (uint64_t)op->hlc);
    feed_str(h, op->author);
    free(ctx);
    *nu = id_end(h, old);
    return 0;
}

/* From this replica's journal: 1 if it holds no op old:keep+1. */
static int derive(xa_store *st, const char *scope, xa_node old, uint64_t keep, xa_node *nu)
{
    sqlite3_stmt *s = NULL;
    uint64_t h[2];
    int rc = prep(st, &s,
                  "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
                  " WHERE scope = ?1 AND node = ?2 AND seq = ?3");

    if (rc < 0)
        return rc;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(old));
    sqlite3_bind_int64(s, 3, (sqlite3_int64)(keep + 1));
    id_start(h, scope, old, keep);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        for (int c = 1; c <= 4; c++)
            xa_hash_feed_col(h, s, c);
        xa_hash_feed_u64(h, (uint64_t)sqlite3_column_int64(s, 5));
        xa_hash_feed_col(h, s, 6);
    } else if (step == SQLITE_DONE) {
        rc = 1; /* nothing to move */
    } else {
        rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(s);
    *nu = id_end(h, old);
    return rc;
}

int xa_rekey_id(xa_store *st, const char *scope, xa_node old, uint64_t keep, xa_node *nu)
{
    return derive(st, scope, old, keep, nu);
}

int xa_rekey_tx(xa_store *st,
                const char *scope,
                xa_node old,
                uint64_t keep,
                const xa_vv *clip,
                xa_node *nu_out,
                size_t *moved)
{
    xa_node nu = 0;
    sqlite3_stmt *sel = NULL, *ins = NULL, *same = NULL, *upd = NULL;
    uint64_t count = 0, held = 0;
    int rc, step = SQLITE_DONE;
    char hex[XA_NODE_HEX + 2];

    *moved = 0;
    rc = xa_db_exec(st, "CREATE TEMP TABLE IF NOT EXISTS xa_refield(entity TEXT, field TEXT,"
                        " PRIMARY KEY (entity, field))");
    if (rc == 0)
        rc = derive(st, scope, old, keep, &nu);
    if (rc == 1) { /* nothing held past keep: only an own node needs a new id */
        *nu_out = 0;
        return 0;
    }
    if (rc < 0)
        return rc;

    /* what this replica already holds of the new node: a copy moved first
     * elsewhere */
    sqlite3_stmt *h = xa_db_stmt(st, Q_HAVE_GET);
    if (h == NULL)
        return XA_EIO;
    sqlite3_bind_text(h, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_int64(h, 2, XA_NODE_TO_DB(nu));
    if (sqlite3_step(h) == SQLITE_ROW)
        held = (uint64_t)sqlite3_column_int64(h, 0);
    sqlite3_reset(h);

    rc = prep(st, &sel,
              "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
              " WHERE scope = ?1 AND node = ?2 AND seq > ?3 ORDER BY seq");
    if (rc == 0)
        rc = prep(st, &ins,
                  "INSERT INTO journal(scope, node, seq, entity, field, value, ctx, hlc, author)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0)
        rc = prep(st, &same,
                  "SELECT entity = ?4 AND field = ?5 AND value = ?6 AND ctx = ?7 AND hlc = ?8"
                  " AND author = ?9 FROM journal WHERE scope = ?1 AND node = ?2 AND seq = ?3");
    if (rc == 0) {
        sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sel, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(sel, 3, (sqlite3_int64)keep);
    }
    while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW) {
        xa_vv ctx = XA_VV_INIT;
        char *text = NULL;
        uint64_t seq = (uint64_t)sqlite3_column_int64(sel, 0);

        rc = xa_vv_parse((const char *)sqlite3_column_text(sel, 4), &ctx);
        if (rc == 0 && clip)
            rc = clip_ctx(&ctx, clip, old, seq);
        if (rc == 0)
            rc = remap(&ctx, old, nu, keep);
        if (rc == 0 && (text = xa_vv_format(&ctx)) == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        xa_vv_free(&ctx);
        if (rc < 0)
            break;
        count++;
        sqlite3_stmt *w = count <= held ? same : ins;
        sqlite3_reset(w);
        sqlite3_bind_text(w, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(w, 2, XA_NODE_TO_DB(nu));
        sqlite3_bind_int64(w, 3, (sqlite3_int64)count);
        for (int c = 1; c <= 3; c++)
            sqlite3_bind_value(w, 3 + c, sqlite3_column_value(sel, c));
        sqlite3_bind_text(w, 7, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_value(w, 8, sqlite3_column_value(sel, 5));
        sqlite3_bind_value(w, 9, sqlite3_column_value(sel, 6));
        int s2 = sqlite3_step(w);
        free(text);
        if (w == same) {
            /* held already: it must be this very op, moved elsewhere first */
            if (s2 != SQLITE_ROW || sqlite3_column_int(w, 0) != 1)
                rc = xa_error_set(XA_EFORGED,
                                  "moving ops to a new node: the new id already holds other"
                                  " edits; nothing was changed");
        } else if (s2 != SQLITE_DONE) {
            rc = xa_db_error(st, s2, "moving ops to a new node");
        }
        if (rc == 0)
            rc = note_field(st, sel, 1);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "moving ops to a new node");
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sqlite3_finalize(same);
    sel = NULL;

    /* every other op here whose context named the moved dots */
    if (rc == 0 && clip == NULL) {
        xa_node_format(old, hex);
        hex[XA_NODE_HEX] = ':';
        hex[XA_NODE_HEX + 1] = '\0';
        rc = prep(st, &sel,
                  "SELECT node, seq, ctx, entity, field FROM journal WHERE scope = ?1"
                  " AND node NOT IN (?2, ?4) AND instr(ctx, ?3) > 0");
        if (rc == 0)
            rc = prep(st, &upd,
                      "UPDATE journal SET ctx = ?4 WHERE scope = ?1 AND node = ?2 AND seq = ?3");
        if (rc == 0) {
            sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_int64(sel, 2, XA_NODE_TO_DB(old));
            sqlite3_bind_text(sel, 3, hex, -1, SQLITE_STATIC);
            sqlite3_bind_int64(sel, 4, XA_NODE_TO_DB(nu));
        }
        while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW) {
            xa_vv ctx = XA_VV_INIT;
            char *text = NULL;
            rc = xa_vv_parse((const char *)sqlite3_column_text(sel, 2), &ctx);
            if (rc < 0 || xa_vv_get(&ctx, old) <= keep) {
                xa_vv_free(&ctx);
                continue;
            }
            rc = remap(&ctx, old, nu, keep);
            if (rc == 0 && (text = xa_vv_format(&ctx)) == NULL)
                rc = xa_error_set(XA_ENOMEM, "out of memory");
            xa_vv_free(&ctx);
            if (rc < 0)
                break;
            sqlite3_reset(upd);
            sqlite3_bind_text(upd, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_value(upd, 2, sqlite3_column_value(sel, 0));
            sqlite3_bind_value(upd, 3, sqlite3_column_value(sel, 1));
            sqlite3_bind_text(upd, 4, text, -1, SQLITE_TRANSIENT);
            int s2 = sqlite3_step(upd);
            free(text);
            if (s2 != SQLITE_DONE)
                rc = xa_db_error(st, s2, "rewriting a context");
            if (rc == 0)
                rc = note_field(st, sel, 3);
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = xa_db_error(st, step, "rewriting contexts");
        sqlite3_finalize(sel);
        sqlite3_finalize(upd);
        sel = upd = NULL;
    }

    /* the moved ops leave the old node; have follows */
    if (rc == 0)
        rc = prep(st, &upd, "DELETE FROM journal WHERE scope = ?1 AND node = ?2 AND seq > ?3");
    if (rc == 0) {
        sqlite3_bind_text(upd, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(upd, 3, (sqlite3_int64)keep);
        step = sqlite3_step(upd);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(upd);
    upd = NULL;
    if (rc == 0)
        rc = prep(st, &upd,
                  "INSERT INTO have(scope, node, seq) VALUES (?1, ?2, ?3), (?1, ?4, ?5)"
                  " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq");
    if (rc == 0) {
        sqlite3_bind_text(upd, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(upd, 3, (sqlite3_int64)keep);
        sqlite3_bind_int64(upd, 4, XA_NODE_TO_DB(nu));
        sqlite3_bind_int64(upd, 5, (sqlite3_int64)(count > held ? count : held));
        step = sqlite3_step(upd);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(upd);
    upd = NULL;
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM have WHERE seq = 0");
    /* remembered, and carried by ops files, so that a replica that holds
     * the same ops makes the same move, and the old dots never come back */
    if (rc == 0)
        rc = prep(st, &upd,
                  "INSERT OR IGNORE INTO rekey(scope, old, keep, nu) VALUES (?1, ?2, ?3, ?4)");
    if (rc == 0) {
        sqlite3_bind_text(upd, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(upd, 3, (sqlite3_int64)keep);
        sqlite3_bind_int64(upd, 4, XA_NODE_TO_DB(nu));
        step = sqlite3_step(upd);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "recording a move to a new node");
    }
    sqlite3_finalize(upd);
    if (rc == 0) {
        *nu_out = nu;
        *moved = (size_t)count;
    }
    return rc;
}

int xa_store_rekey(
    xa_store *st, const char *scope, xa_node old, uint64_t keep, xa_node *nu_out, size_t *moved_out)
{
    xa_node nu = 0;
    size_t moved = 0;
    sqlite3_stmt *fld = NULL;
    int own = old == xa_store_node(st), rc, step = SQLITE_DONE;

    rc = xa_check_scope(scope);
    if (rc == 0)
        rc = xa_store_begin(st);
    if (rc < 0)
        return rc;
    rc = xa_db_exec(st, "CREATE TEMP TABLE IF NOT EXISTS xa_refield(entity TEXT, field TEXT,"
                        " PRIMARY KEY (entity, field)); DELETE FROM temp.xa_refield");
    if (rc == 0)
        rc = xa_rekey_tx(st, scope, old, keep, NULL, &nu, &moved);
    if (rc == 0 && moved == 0 && !own)
        rc = xa_error_set(XA_EFORGED, "the district holds other edits under dots this PC does"
                                      " not hold (a damaged copy?)");
    if (rc == 0 && own)
        rc = nu ? xa_store_take_node(st, nu) : xa_store_new_node(st, &nu);
    if (rc == 0)
        rc = prep(st, &fld, "SELECT entity, field FROM temp.xa_refield");
    while (rc == 0 && (step = sqlite3_step(fld)) == SQLITE_ROW)
        rc = xa_field_rebuild(st, scope, (const char *)sqlite3_column_text(fld, 0),
                              (const char *)sqlite3_column_text(fld, 1));
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "rebuilding fields");
    sqlite3_finalize(fld);
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM temp.xa_refield");
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0) {
        xa_store_rollback(st);
        return rc;
    }
    if (own)
        xa_store_adopt_node(st, nu);
    if (nu_out)
        *nu_out = nu;
    if (moved_out)
        *moved_out = moved;
    return 0;
}
