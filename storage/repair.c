/*
 * `xasync repair`: a replica that took in, before contexts were checked, an
 * op whose context claims ops it does not hold (a damaged or crafted file).
 * Such an op makes the field believe it has seen edits of this PC it never
 * made, so this PC's later writes there were dropped by rule 1, and every
 * later op of the PC carried a context covering its own dot, refused by
 * everyone.
 *
 * Repair, in one transaction, losing no edit:
 *   1. another node's op whose context claims what is not held is set aside
 *      in `quarantine` (with every later op of that node: contiguity), and
 *      have[] follows; repeated while setting aside makes more such ops;
 *   2. this PC's own ops from the first such one on move to a new node id
 *      (renumbered from 1, their contexts clamped to what was held), so
 *      nobody ever sees two contents under one dot: they are new edits;
 *   3. every field those ops touched, or whose context claims what is not
 *      held, is rebuilt from the journal.
 */
#include "store_int.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>

static int prep(xa_store *st, sqlite3_stmt **s, const char *sql)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "repairing the database");
}

static int exec_step(xa_store *st, sqlite3_stmt *s)
{
    int step = sqlite3_step(s);

    return step == SQLITE_DONE || step == SQLITE_ROW
               ? 0
               : xa_db_error(st, step, "repairing the database");
}

/* 1 if ctx claims a dot past `have` (or, for the op's own node, its own
 * dot or a later one). */
static int claims_unheld(const xa_vv *ctx, const xa_vv *have, xa_node node, uint64_t seq)
{
    for (size_t k = 0; k < ctx->n; k++) {
        if (ctx->e[k].node == node ? ctx->e[k].seq >= seq
                                   : ctx->e[k].seq > xa_vv_get(have, ctx->e[k].node))
            return 1;
    }
    return 0;
}

/* Mark a field for rebuilding. */
static int mark(xa_store *st, const char *scope, const char *entity, const char *field)
{
    sqlite3_stmt *s = NULL;
    int rc =
        prep(st, &s, "INSERT OR IGNORE INTO temp.xa_fix(scope, entity, field) VALUES (?1, ?2, ?3)");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
        rc = exec_step(st, s);
    }
    sqlite3_finalize(s);
    return rc;
}

static int have_put(xa_store *st, const char *scope, xa_node node, uint64_t seq)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  seq ? "INSERT INTO have(scope, node, seq) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq"
                      : "DELETE FROM have WHERE scope = ?1 AND node = ?2");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
        if (seq)
            sqlite3_bind_int64(s, 3, (sqlite3_int64)seq);
        rc = exec_step(st, s);
    }
    sqlite3_finalize(s);
    return rc;
}

/* One pass: the first op of each node whose context claims what is not
 * held.  Other nodes' are set aside; this PC's first one is returned in
 * *own_bad (0: none).  *changed says whether anything was set aside. */
static int pass(xa_store *st,
                const char *scope,
                xa_vv *have,
                uint64_t *own_bad,
                int *changed,
                size_t *quarantined)
{
    sqlite3_stmt *s = NULL;
    xa_node self = xa_store_node(st);
    xa_vv bad = XA_VV_INIT; /* node -> first bad seq */
    int rc, step = SQLITE_DONE;

    *changed = 0;
    rc = prep(st, &s,
              "SELECT node, seq, ctx, entity, field FROM journal WHERE scope = ?1"
              " ORDER BY node, seq");
    if (rc == 0)
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        xa_node node = XA_NODE_FROM_DB(sqlite3_column_int64(s, 0));
        uint64_t seq = (uint64_t)sqlite3_column_int64(s, 1);
        xa_vv ctx = XA_VV_INIT;

        if (xa_vv_get(&bad, node))
            continue;
        rc = xa_vv_parse((const char *)sqlite3_column_text(s, 2), &ctx);
        if (rc == 0 && claims_unheld(&ctx, have, node, seq)) {
            rc = xa_vv_set(&bad, node, seq);
            if (rc == 0)
                rc = mark(st, scope, (const char *)sqlite3_column_text(s, 3),
                          (const char *)sqlite3_column_text(s, 4));
        }
        xa_vv_free(&ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading the journal");
    sqlite3_finalize(s);
    s = NULL;

    for (size_t i = 0; rc == 0 && i < bad.n; i++) {
        xa_node node = bad.e[i].node;
        uint64_t from = bad.e[i].seq;
        if (node == self) {
            if (*own_bad == 0 || from < *own_bad)
                *own_bad = from;
            continue;
        }
        /* the fields the set-aside ops wrote */
        rc = prep(st, &s,
                  "INSERT OR IGNORE INTO temp.xa_fix(scope, entity, field) SELECT scope, entity,"
                  " field FROM journal WHERE scope = ?1 AND node = ?2 AND seq >= ?3");
        if (rc == 0) {
            sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
            sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
            rc = exec_step(st, s);
        }
        sqlite3_finalize(s);
        s = NULL;
        if (rc == 0)
            rc = prep(st, &s,
                      "INSERT OR REPLACE INTO quarantine(scope, node, seq, entity, field, value,"
                      " ctx, hlc, author, at) SELECT scope, node, seq, entity, field, value, ctx,"
                      " hlc, author, ?4 FROM journal WHERE scope = ?1 AND node = ?2 AND seq >= ?3");
        if (rc == 0) {
            sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
            sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
            sqlite3_bind_int64(s, 4, xa_now_ms());
            rc = exec_step(st, s);
            if (rc == 0)
                *quarantined += (size_t)sqlite3_changes(st->db);
        }
        sqlite3_finalize(s);
        s = NULL;
        if (rc == 0)
            rc = prep(st, &s, "DELETE FROM journal WHERE scope = ?1 AND node = ?2 AND seq >= ?3");
        if (rc == 0) {
            sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(node));
            sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
            rc = exec_step(st, s);
        }
        sqlite3_finalize(s);
        s = NULL;
        if (rc == 0)
            rc = have_put(st, scope, node, from - 1);
        if (rc == 0)
            rc = xa_vv_set(have, node, from - 1);
        *changed = 1;
    }
    xa_vv_free(&bad);
    return rc;
}

/* This PC's own ops from `from` on move to a new node id, their contexts
 * clamped to what is held (storage/rekey.c); the fields they wrote are
 * marked. */
static int move_own(xa_store *st,
                    const char *scope,
                    const xa_vv *have,
                    uint64_t from,
                    size_t *moved,
                    xa_node *nu_out)
{
    sqlite3_stmt *s = NULL;
    int rc = xa_db_exec(st, "CREATE TEMP TABLE IF NOT EXISTS xa_refield(entity TEXT, field TEXT,"
                            " PRIMARY KEY (entity, field)); DELETE FROM temp.xa_refield");

    if (rc == 0)
        rc = xa_rekey_tx(st, scope, xa_store_node(st), from - 1, have, nu_out, moved);
    if (rc == 0)
        rc = *nu_out ? xa_store_take_node(st, *nu_out) : xa_store_new_node(st, nu_out);
    if (rc == 0)
        rc = prep(st, &s,
                  "INSERT OR IGNORE INTO temp.xa_fix(scope, entity, field)"
                  " SELECT ?1, entity, field FROM temp.xa_refield");
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        rc = exec_step(st, s);
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_store_repair(xa_store *st, const char *scope, xa_repair_report *out)
{
    xa_vv have = XA_VV_INIT;
    sqlite3_stmt *s = NULL;
    uint64_t own_bad = 0;
    xa_node nu = 0;
    int rc, changed = 1, step = SQLITE_DONE;

    memset(out, 0, sizeof(*out));
    rc = xa_check_scope(scope);
    if (rc == 0)
        rc = xa_store_begin(st);
    if (rc < 0)
        return rc;
    rc =
        xa_db_exec(st, "CREATE TEMP TABLE IF NOT EXISTS xa_fix(scope TEXT, entity TEXT,"
                       " field TEXT, PRIMARY KEY (scope, entity, field)); DELETE FROM temp.xa_fix");
    if (rc == 0)
        rc = xa_store_have(st, scope, &have);
    while (rc == 0 && changed)
        rc = pass(st, scope, &have, &own_bad, &changed, &out->quarantined);
    if (rc == 0 && own_bad) {
        rc = move_own(st, scope, &have, own_bad, &out->moved, &nu);
        if (rc == 0)
            rc = xa_vv_set(&have, xa_store_node(st), own_bad - 1);
        if (rc == 0)
            rc = xa_vv_set(&have, nu, out->moved);
        /* ops of others that had seen the moved ones (none, unless they
         * travelled before this repair) now claim what is not held */
        uint64_t again = 0;
        changed = 1;
        while (rc == 0 && changed)
            rc = pass(st, scope, &have, &again, &changed, &out->quarantined);
    }
    /* fields whose context claims what is not held */
    if (rc == 0)
        rc = prep(st, &s, "SELECT entity, field, fctx FROM field WHERE scope = ?1");
    if (rc == 0)
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        xa_vv f = XA_VV_INIT;
        rc = xa_vv_parse((const char *)sqlite3_column_text(s, 2), &f);
        for (size_t k = 0; rc == 0 && k < f.n; k++)
            if (f.e[k].seq > xa_vv_get(&have, f.e[k].node)) {
                rc = mark(st, scope, (const char *)sqlite3_column_text(s, 0),
                          (const char *)sqlite3_column_text(s, 1));
                break;
            }
        xa_vv_free(&f);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading fields");
    sqlite3_finalize(s);
    s = NULL;
    if (rc == 0)
        rc = prep(st, &s, "SELECT entity, field FROM temp.xa_fix WHERE scope = ?1");
    if (rc == 0)
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        sqlite3_stmt *d = NULL;
        rc = prep(st, &d, "DELETE FROM field WHERE scope = ?1 AND entity = ?2 AND field = ?3");
        if (rc == 0) {
            sqlite3_bind_text(d, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_value(d, 2, sqlite3_column_value(s, 0));
            sqlite3_bind_value(d, 3, sqlite3_column_value(s, 1));
            rc = exec_step(st, d);
        }
        sqlite3_finalize(d);
        if (rc == 0)
            rc = xa_field_rebuild(st, scope, (const char *)sqlite3_column_text(s, 0),
                                  (const char *)sqlite3_column_text(s, 1));
        out->fields++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "rebuilding fields");
    sqlite3_finalize(s);
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM temp.xa_fix");
    if (rc == 0)
        rc = xa_store_commit(st);
    xa_vv_free(&have);
    if (rc < 0) {
        xa_store_rollback(st);
        return rc;
    }
    if (nu)
        xa_store_adopt_node(st, nu);
    return 0;
}
