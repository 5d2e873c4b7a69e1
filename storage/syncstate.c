/*
 * A PC's sync state: its district server, the server's last acknowledged
 * version vector, the attempt log, and the move to a new node id of a PC
 * restored from an old backup.
 *
 * Invariants:
 *   1. acked only grows between renodes (a server never forgets ops);
 *   2. renode moves exactly the ops past `keep` of the old node and leaves
 *      every other op untouched.
 */
#include "xasync/syncstate.h"

#include "store_int.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int prep(xa_store *st, sqlite3_stmt **s, const char *sql)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "reading the sync state");
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t cap)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    size_t n = t ? strlen(t) : 0;

    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

int xa_syncstate_remote_get(xa_store *st, xa_remote *out)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "SELECT url, token_file, cacert FROM remote WHERE id = 1");

    if (rc == 0) {
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            copy_col(s, 0, out->url, sizeof(out->url));
            copy_col(s, 1, out->token_file, sizeof(out->token_file));
            copy_col(s, 2, out->cacert, sizeof(out->cacert));
        } else if (step == SQLITE_DONE) {
            rc = xa_error_set(XA_ENOTFOUND, "no district server is set; use `xasync remote set`");
        } else {
            rc = xa_db_error(st, step, "reading the remote");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_remote_set(xa_store *st, const xa_remote *r)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "INSERT INTO remote(id, url, token_file, cacert) VALUES (1, ?1, ?2, ?3)"
                  " ON CONFLICT(id) DO UPDATE SET url = excluded.url,"
                  " token_file = excluded.token_file, cacert = excluded.cacert");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, r->url, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->token_file, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, r->cacert, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        rc = step == SQLITE_DONE ? 0 : xa_db_error(st, step, "saving the remote");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_acked_get(xa_store *st, const char *scope, xa_vv *out)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "SELECT have FROM acked WHERE scope = ?1");

    xa_vv_clear(out);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW)
            rc = xa_vv_parse((const char *)sqlite3_column_text(s, 0), out);
        else if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "reading the acknowledgement");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_acked_set(xa_store *st, const char *scope, const xa_vv *acked)
{
    sqlite3_stmt *s = NULL;
    char *text = xa_vv_format(acked);
    int rc;

    if (text == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = prep(st, &s,
              "INSERT INTO acked(scope, have) VALUES (?1, ?2)"
              " ON CONFLICT(scope) DO UPDATE SET have = excluded.have");
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        rc = step == SQLITE_DONE ? 0 : xa_db_error(st, step, "saving the acknowledgement");
    }
    sqlite3_finalize(s);
    free(text);
    return rc;
}

int xa_syncstate_pending(xa_store *st, const char *scope, uint64_t *out)
{
    xa_vv acked = XA_VV_INIT, have = XA_VV_INIT;
    uint64_t n = 0;
    int rc = xa_syncstate_acked_get(st, scope, &acked);

    if (rc == 0)
        rc = xa_store_have(st, scope, &have);
    for (size_t i = 0; rc == 0 && i < have.n; i++) {
        uint64_t a = xa_vv_get(&acked, have.e[i].node);
        if (have.e[i].seq > a)
            n += have.e[i].seq - a;
    }
    xa_vv_free(&acked);
    xa_vv_free(&have);
    if (rc == 0)
        *out = n;
    return rc;
}

int xa_syncstate_attempt_add(xa_store *st, const xa_attempt *a)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "INSERT INTO attempt(started, ended, ok, error, ops_sent, ops_received,"
                  " bytes_sent, bytes_received, requests) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");

    if (rc == 0) {
        sqlite3_bind_int64(s, 1, a->started);
        sqlite3_bind_int64(s, 2, a->ended);
        sqlite3_bind_int(s, 3, a->ok ? 1 : 0);
        sqlite3_bind_text(s, 4, a->error, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)a->ops_sent);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)a->ops_received);
        sqlite3_bind_int64(s, 7, (sqlite3_int64)a->bytes_sent);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)a->bytes_received);
        sqlite3_bind_int64(s, 9, (sqlite3_int64)a->requests);
        int step = sqlite3_step(s);
        rc = step == SQLITE_DONE ? 0 : xa_db_error(st, step, "recording a sync attempt");
    }
    sqlite3_finalize(s);
    /* Keep the newest 1,000, and the newest success whatever its age. */
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM attempt WHERE id <= (SELECT max(id) FROM attempt) - 1000"
                            " AND id <> (SELECT max(id) FROM attempt WHERE ok = 1)");
    return rc;
}

int xa_syncstate_attempt_last(xa_store *st, int ok_only, xa_attempt *out)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  ok_only ? "SELECT started, ended, ok, error, ops_sent, ops_received, bytes_sent,"
                            " bytes_received, requests FROM attempt WHERE ok = 1"
                            " ORDER BY id DESC LIMIT 1"
                          : "SELECT started, ended, ok, error, ops_sent, ops_received, bytes_sent,"
                            " bytes_received, requests FROM attempt ORDER BY id DESC LIMIT 1");

    if (rc == 0) {
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            memset(out, 0, sizeof(*out));
            out->started = sqlite3_column_int64(s, 0);
            out->ended = sqlite3_column_int64(s, 1);
            out->ok = sqlite3_column_int(s, 2);
            copy_col(s, 3, out->error, sizeof(out->error));
            out->ops_sent = (uint64_t)sqlite3_column_int64(s, 4);
            out->ops_received = (uint64_t)sqlite3_column_int64(s, 5);
            out->bytes_sent = (uint64_t)sqlite3_column_int64(s, 6);
            out->bytes_received = (uint64_t)sqlite3_column_int64(s, 7);
            out->requests = (uint64_t)sqlite3_column_int64(s, 8);
        } else if (step == SQLITE_DONE) {
            rc = xa_error_set(XA_ENOTFOUND, "no sync attempt yet");
        } else {
            rc = xa_db_error(st, step, "reading sync attempts");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_daemon_get(xa_store *st, xa_daemon_state *out)
{
    sqlite3_stmt *s = NULL;
    int rc =
        prep(st, &s, "SELECT pid, started, heartbeat, next_try, failures FROM daemon WHERE id = 1");

    memset(out, 0, sizeof(*out));
    if (rc == 0) {
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            out->pid = sqlite3_column_int(s, 0);
            out->started = sqlite3_column_int64(s, 1);
            out->heartbeat = sqlite3_column_int64(s, 2);
            out->next_try = sqlite3_column_int64(s, 3);
            out->failures = (uint32_t)sqlite3_column_int64(s, 4);
        } else if (step != SQLITE_DONE) {
            rc = xa_db_error(st, step, "reading the daemon's state");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_daemon_put(xa_store *st, const xa_daemon_state *d)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "INSERT INTO daemon(id, pid, started, heartbeat, next_try, failures)"
                  " VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO UPDATE SET"
                  " pid = excluded.pid, started = excluded.started,"
                  " heartbeat = excluded.heartbeat, next_try = excluded.next_try,"
                  " failures = excluded.failures");

    if (rc == 0) {
        sqlite3_bind_int(s, 1, d->pid);
        sqlite3_bind_int64(s, 2, d->started);
        sqlite3_bind_int64(s, 3, d->heartbeat);
        sqlite3_bind_int64(s, 4, d->next_try);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)d->failures);
        int step = sqlite3_step(s);
        rc = step == SQLITE_DONE ? 0 : xa_db_error(st, step, "saving the daemon's state");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_syncstate_failing_since(xa_store *st, xa_attempt *out)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s,
                  "SELECT started, ended, error FROM attempt WHERE ok = 0 AND id >"
                  " coalesce((SELECT max(id) FROM attempt WHERE ok = 1), 0)"
                  " ORDER BY id LIMIT 1");

    if (rc == 0) {
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            memset(out, 0, sizeof(*out));
            out->started = sqlite3_column_int64(s, 0);
            out->ended = sqlite3_column_int64(s, 1);
            copy_col(s, 2, out->error, sizeof(out->error));
        } else if (step == SQLITE_DONE) {
            rc = xa_error_set(XA_ENOTFOUND, "the link is not failing");
        } else {
            rc = xa_db_error(st, step, "reading sync attempts");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

/* Rewrite a moved op's context: dots old:(keep+1..) are now nu:(1..). */
static void remap_ctx(xa_vv *ctx, xa_node old, xa_node nu, uint64_t keep)
{
    uint64_t x = xa_vv_get(ctx, old);

    if (x <= keep)
        return;
    xa_vv_set(ctx, old, keep);
    xa_vv_set(ctx, nu, x - keep);
}

int xa_syncstate_renode(xa_store *st, const char *scope, uint64_t keep, size_t *moved)
{
    xa_node old = xa_store_node(st), nu = 0;
    sqlite3_stmt *sel = NULL, *ins = NULL, *del = NULL, *fld = NULL;
    size_t count = 0;
    int rc, step;

    rc = xa_store_begin(st);
    if (rc < 0)
        return rc;
    rc = xa_store_new_node(st, &nu);
    if (rc == 0)
        rc = prep(st, &sel,
                  "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
                  " WHERE scope = ?1 AND node = ?2 AND seq > ?3 ORDER BY seq");
    if (rc == 0)
        rc = prep(st, &ins,
                  "INSERT INTO journal(scope, node, seq, entity, field, value, ctx, hlc, author)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0) {
        sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sel, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(sel, 3, (sqlite3_int64)keep);
    }
    while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW) {
        xa_vv ctx = XA_VV_INIT;
        char *text;

        rc = xa_vv_parse((const char *)sqlite3_column_text(sel, 4), &ctx);
        if (rc < 0)
            break;
        remap_ctx(&ctx, old, nu, keep);
        text = xa_vv_format(&ctx);
        xa_vv_free(&ctx);
        if (text == NULL) {
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        count++;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, XA_NODE_TO_DB(nu));
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)count);
        for (int c = 1; c <= 3; c++)
            sqlite3_bind_value(ins, 3 + c, sqlite3_column_value(sel, c));
        sqlite3_bind_text(ins, 7, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_value(ins, 8, sqlite3_column_value(sel, 5));
        sqlite3_bind_value(ins, 9, sqlite3_column_value(sel, 6));
        int s2 = sqlite3_step(ins);
        free(text);
        if (s2 != SQLITE_DONE)
            rc = xa_db_error(st, s2, "moving ops to a new node");
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "moving ops to a new node");
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);

    /* The moved ops leave the old node; have follows. */
    if (rc == 0)
        rc = prep(st, &del, "DELETE FROM journal WHERE scope = ?1 AND node = ?2 AND seq > ?3");
    if (rc == 0) {
        sqlite3_bind_text(del, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(del, 3, (sqlite3_int64)keep);
        step = sqlite3_step(del);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(del);
    del = NULL;
    if (rc == 0)
        rc = prep(st, &del,
                  "INSERT INTO have(scope, node, seq) VALUES (?1, ?2, ?3), (?1, ?4, ?5)"
                  " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq");
    if (rc == 0) {
        sqlite3_bind_text(del, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(del, 3, (sqlite3_int64)keep);
        sqlite3_bind_int64(del, 4, XA_NODE_TO_DB(nu));
        sqlite3_bind_int64(del, 5, (sqlite3_int64)count);
        step = sqlite3_step(del);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(del);
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM have WHERE seq = 0");

    /* Rebuild every field a moved op wrote. */
    if (rc == 0)
        rc = prep(st, &fld,
                  "SELECT DISTINCT entity, field FROM journal WHERE scope = ?1 AND node = ?2");
    if (rc == 0) {
        sqlite3_bind_text(fld, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(fld, 2, XA_NODE_TO_DB(nu));
    }
    while (rc == 0 && (step = sqlite3_step(fld)) == SQLITE_ROW)
        rc = xa_field_rebuild(st, scope, (const char *)sqlite3_column_text(fld, 0),
                              (const char *)sqlite3_column_text(fld, 1));
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "rebuilding fields");
    sqlite3_finalize(fld);

    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0) {
        xa_store_rollback(st);
        return rc;
    }
    xa_store_adopt_node(st, nu);
    if (moved)
        *moved = count;
    return 0;
}

int xa_syncstate_renode_foreign(
    xa_store *st, const char *scope, xa_node old, uint64_t keep, size_t *moved)
{
    xa_node nu = 0;
    sqlite3_stmt *sel = NULL, *ins = NULL, *upd = NULL, *fld = NULL;
    size_t count = 0;
    char hex[XA_NODE_HEX + 2];
    int rc, step = SQLITE_DONE;

    while (nu == 0 || nu == old || nu == xa_store_node(st))
        if (getrandom(&nu, sizeof(nu), 0) != (ssize_t)sizeof(nu))
            return xa_error_set(XA_EIO, "cannot read random bytes from the OS");
    rc = xa_store_begin(st);
    if (rc < 0)
        return rc;
    rc = xa_db_exec(st, "CREATE TEMP TABLE IF NOT EXISTS xa_refield(entity TEXT, field TEXT,"
                        " PRIMARY KEY (entity, field)); DELETE FROM temp.xa_refield");
    /* the moved ops, renumbered */
    if (rc == 0)
        rc = prep(st, &sel,
                  "SELECT seq, entity, field, value, ctx, hlc, author FROM journal"
                  " WHERE scope = ?1 AND node = ?2 AND seq > ?3 ORDER BY seq");
    if (rc == 0)
        rc = prep(st, &ins,
                  "INSERT INTO journal(scope, node, seq, entity, field, value, ctx, hlc, author)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (rc == 0) {
        sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sel, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_int64(sel, 3, (sqlite3_int64)keep);
    }
    while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW) {
        xa_vv ctx = XA_VV_INIT;
        char *text;
        rc = xa_vv_parse((const char *)sqlite3_column_text(sel, 4), &ctx);
        if (rc < 0)
            break;
        remap_ctx(&ctx, old, nu, keep);
        text = xa_vv_format(&ctx);
        xa_vv_free(&ctx);
        if (text == NULL) {
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        count++;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, XA_NODE_TO_DB(nu));
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)count);
        for (int c = 1; c <= 3; c++)
            sqlite3_bind_value(ins, 3 + c, sqlite3_column_value(sel, c));
        sqlite3_bind_text(ins, 7, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_value(ins, 8, sqlite3_column_value(sel, 5));
        sqlite3_bind_value(ins, 9, sqlite3_column_value(sel, 6));
        int s2 = sqlite3_step(ins);
        free(text);
        if (s2 != SQLITE_DONE)
            rc = xa_db_error(st, s2, "moving ops to a new node");
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "moving ops to a new node");
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    sel = ins = NULL;
    if (rc == 0 && count == 0)
        rc = xa_error_set(XA_EFORGED, "the district holds other edits under dots this PC does"
                                      " not hold (a damaged copy?)");
    /* every other op here whose context named the moved ones */
    xa_node_format(old, hex);
    hex[XA_NODE_HEX] = ':';
    hex[XA_NODE_HEX + 1] = '\0';
    if (rc == 0)
        rc =
            prep(st, &sel,
                 "SELECT node, seq, ctx, entity, field FROM journal WHERE scope = ?1 AND node != ?2"
                 " AND instr(ctx, ?3) > 0");
    if (rc == 0)
        rc = prep(st, &upd,
                  "UPDATE journal SET ctx = ?4 WHERE scope = ?1 AND node = ?2 AND seq = ?3");
    if (rc == 0) {
        sqlite3_bind_text(sel, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sel, 2, XA_NODE_TO_DB(old));
        sqlite3_bind_text(sel, 3, hex, -1, SQLITE_STATIC);
    }
    while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW) {
        xa_vv ctx = XA_VV_INIT;
        char *text;
        rc = xa_vv_parse((const char *)sqlite3_column_text(sel, 2), &ctx);
        if (rc < 0 || xa_vv_get(&ctx, old) <= keep ||
            sqlite3_column_int64(sel, 0) == XA_NODE_TO_DB(nu)) {
            xa_vv_free(&ctx);
            continue;
        }
        remap_ctx(&ctx, old, nu, keep);
        text = xa_vv_format(&ctx);
        xa_vv_free(&ctx);
        if (text == NULL) {
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        sqlite3_reset(upd);
        sqlite3_bind_text(upd, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_value(upd, 2, sqlite3_column_value(sel, 0));
        sqlite3_bind_value(upd, 3, sqlite3_column_value(sel, 1));
        sqlite3_bind_text(upd, 4, text, -1, SQLITE_TRANSIENT);
        int s2 = sqlite3_step(upd);
        free(text);
        if (s2 != SQLITE_DONE) {
            rc = xa_db_error(st, s2, "rewriting a context");
            break;
        }
        sqlite3_stmt *m = NULL;
        rc = prep(st, &m, "INSERT OR IGNORE INTO temp.xa_refield VALUES (?1, ?2)");
        if (rc == 0) {
            sqlite3_bind_value(m, 1, sqlite3_column_value(sel, 3));
            sqlite3_bind_value(m, 2, sqlite3_column_value(sel, 4));
            if (sqlite3_step(m) != SQLITE_DONE)
                rc = xa_db_error(st, SQLITE_ERROR, "rebuilding fields");
        }
        sqlite3_finalize(m);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "rewriting contexts");
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    sel = upd = NULL;
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
        sqlite3_bind_int64(upd, 5, (sqlite3_int64)count);
        step = sqlite3_step(upd);
        if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "moving ops to a new node");
    }
    sqlite3_finalize(upd);
    if (rc == 0)
        rc = xa_db_exec(st, "DELETE FROM have WHERE seq = 0");
    /* rebuild the fields the moved ops wrote and those whose ops changed */
    if (rc == 0)
        rc = prep(st, &fld,
                  "SELECT entity, field FROM temp.xa_refield UNION SELECT DISTINCT entity, field"
                  " FROM journal WHERE scope = ?1 AND node = ?2");
    if (rc == 0) {
        sqlite3_bind_text(fld, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(fld, 2, XA_NODE_TO_DB(nu));
    }
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
    if (moved)
        *moved = count;
    return 0;
}
