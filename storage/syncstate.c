/*
 * A PC's sync state: its district server, the server's last acknowledged
 * version vector, the attempt log.  (A PC restored from an old backup moves
 * its unacknowledged ops to a new node id: storage/rekey.c.)
 *
 * Invariants:
 *   acked only grows between re-keyings (a server never forgets ops).
 */
#include "xasync/syncstate.h"

#include "store_int.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>

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
