/*
 * The schema and its migrations.
 *
 * PRAGMA user_version holds the number of migrations applied; migration i
 * (1-based) takes the schema from version i-1 to i and runs in the same
 * transaction as the user_version update, so a crash leaves the old or the
 * new schema, never half of one.  A database newer than this program is
 * refused rather than guessed at.
 *
 * Tables (scope-keyed everywhere: a client holds one scope, the server many):
 *   meta     key/value: 'node' (16 hex), 'scope' (client), 'hlc' (last clock)
 *   journal  every op held, keyed by its dot; never rewritten
 *   have     per scope and node, the highest contiguous seq held
 *   field    per field, its causal context (text vv) and sibling count
 *   sibling  per field, the dots of its current values
 *   remote, acked, attempt        a PC's district server, what it last
 *                                 acknowledged, each sync attempt
 *   commune, token, node_owner    the district's communes, token hashes,
 *                                 and which commune each PC belongs to
 *   daemon   the sync daemon's pid, heartbeat, next try and failure count
 *   base     per scope and node, the seq up to which a snapshot stands in
 *            for history the journal may lack
 *   quarantine  ops `xasync repair` set aside (kept, never applied)
 *   desk_user, desk_session, desk_fail, desk_deadline   the district desk
 *   rekey    node ids this replica moved ops away from, and where to
 */
#include "store_int.h"
#include "xasync/error.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 1: the journal and the fields derived from it */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE journal("
    "  scope TEXT NOT NULL, node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  entity TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,"
    "  ctx TEXT NOT NULL, hlc INTEGER NOT NULL, author TEXT NOT NULL,"
    "  PRIMARY KEY (scope, node, seq)) WITHOUT ROWID;"
    "CREATE INDEX journal_by_field ON journal(scope, entity, field);"
    "CREATE TABLE have(scope TEXT NOT NULL, node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, node)) WITHOUT ROWID;"
    "CREATE TABLE field(scope TEXT NOT NULL, entity TEXT NOT NULL, field TEXT NOT NULL,"
    "  fctx TEXT NOT NULL, nsib INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, entity, field)) WITHOUT ROWID;"
    "CREATE INDEX field_conflicts ON field(scope, nsib) WHERE nsib > 1;"
    "CREATE TABLE sibling(scope TEXT NOT NULL, entity TEXT NOT NULL, field TEXT NOT NULL,"
    "  node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, entity, field, node, seq)) WITHOUT ROWID;",

    /* 2: sync state (a PC) and the district's records (the server) */
    "CREATE TABLE remote(id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL,"
    "  token_file TEXT NOT NULL, cacert TEXT NOT NULL);"
    "CREATE TABLE acked(scope TEXT PRIMARY KEY, have TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE attempt(id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
    "  ended INTEGER NOT NULL, ok INTEGER NOT NULL, error TEXT NOT NULL,"
    "  ops_sent INTEGER NOT NULL, ops_received INTEGER NOT NULL,"
    "  bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL,"
    "  requests INTEGER NOT NULL);"
    "CREATE INDEX attempt_ok ON attempt(ok, id);"
    "CREATE TABLE commune(scope TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, last_sync INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE token(hash BLOB PRIMARY KEY, scope TEXT, label TEXT NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE node_owner(node INTEGER PRIMARY KEY, scope TEXT NOT NULL);",

    /* 3: the history a snapshot stands for without holding it */
    "CREATE TABLE base(scope TEXT NOT NULL, node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, node)) WITHOUT ROWID;",

    /* 4: the sync daemon's plan */
    "CREATE TABLE daemon(id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL,"
    "  started INTEGER NOT NULL, heartbeat INTEGER NOT NULL, next_try INTEGER NOT NULL,"
    "  failures INTEGER NOT NULL);",

    /* 5: ops `xasync repair` set aside (their context claimed ops not held) */
    "CREATE TABLE quarantine(scope TEXT NOT NULL, node INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  entity TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, ctx TEXT NOT NULL,"
    "  hlc INTEGER NOT NULL, author TEXT NOT NULL, at INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, node, seq)) WITHOUT ROWID;",

    /* 6: the district desk (server/users.c): its people (a libsodium
     * crypto_pwhash_str each), their sessions (by the SHA-256 of the cookie),
     * failed logins (per user and per address, for the rate limit) and the
     * deadline the district sets per form and period */
    "CREATE TABLE desk_user(name TEXT PRIMARY KEY, role TEXT NOT NULL,"
    "  pwhash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE desk_session(hash BLOB PRIMARY KEY, user TEXT NOT NULL,"
    "  csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE desk_fail(kind TEXT NOT NULL, who TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX desk_fail_by ON desk_fail(kind, who, at);"
    "CREATE TABLE desk_deadline(form TEXT NOT NULL, period TEXT NOT NULL, due INTEGER NOT NULL,"
    "  PRIMARY KEY (form, period)) WITHOUT ROWID;",

    /* 7: the moves of a node's ops to a new id this replica made or
     * followed (storage/rekey.c); ops files carry them */
    "CREATE TABLE rekey(scope TEXT NOT NULL, old INTEGER NOT NULL, keep INTEGER NOT NULL,"
    "  nu INTEGER NOT NULL, PRIMARY KEY (scope, old, keep)) WITHOUT ROWID;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int user_version(xa_store *st, int *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "reading the schema version");
}

/* Apply migrations v..NMIGRATIONS inside the caller's transaction. */
static int run_migrations(xa_store *st, int v)
{
    char sql[64];
    int rc = 0;

    for (; rc == 0 && v < NMIGRATIONS; v++) {
        rc = xa_db_exec(st, migrations[v]);
        if (rc == 0) {
            snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
            rc = xa_db_exec(st, sql);
        }
    }
    return rc;
}

int xa_schema_current(xa_store *st)
{
    int v = 0, rc = user_version(st, &v);

    if (rc < 0)
        return rc;
    if (v == NMIGRATIONS)
        return 0;
    return xa_error_set(XA_ENOTXA,
                        "%s was made by %s xasync (schema %d; this one reads %d) and cannot be"
                        " brought up to date where it is",
                        st->path, v < NMIGRATIONS ? "an older" : "a newer", v, NMIGRATIONS);
}

int xa_schema_migrate(xa_store *st, int in_tx)
{
    int v = 0, rc;

    rc = user_version(st, &v);
    if (rc < 0)
        return rc;
    if (v > NMIGRATIONS)
        return xa_error_set(XA_ENOTXA,
                            "%s was made by a newer xasync (schema %d; this one knows up to %d)",
                            st->path, v, NMIGRATIONS);
    if (v == NMIGRATIONS)
        return 0;
    if (in_tx)
        return run_migrations(st, v);
    rc = xa_db_exec(st, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    /* Read again inside the transaction: another process may have won. */
    rc = user_version(st, &v);
    if (rc == 0)
        rc = run_migrations(st, v);
    if (rc == 0)
        return xa_db_exec(st, "COMMIT");
    xa_db_rollback(st);
    return rc;
}
