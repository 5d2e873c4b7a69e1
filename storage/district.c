/*
 * The district's records: communes, token hashes, and node ownership.
 *
 * Invariants:
 *   1. a token is stored only as its SHA-256 (computed by the caller);
 *   2. a node belongs to at most one commune, from its first accepted op on:
 *      no commune can write ops in another's name.
 */
#include "xasync/district.h"

#include "store_int.h"
#include "xasync/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prep(xa_store *st, sqlite3_stmt **s, const char *sql)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);

    return rc == SQLITE_OK ? 0 : xa_db_error(st, rc, "reading the district's records");
}

static int step_done(xa_store *st, sqlite3_stmt *s, const char *what)
{
    int step = sqlite3_step(s);

    return step == SQLITE_DONE ? 0 : xa_db_error(st, step, what);
}

int xa_district_commune_add(xa_store *st, const char *scope, const char *name)
{
    sqlite3_stmt *s = NULL;
    size_t n = name ? strlen(name) : 0;
    int rc = xa_check_scope(scope);

    if (rc < 0)
        return rc;
    if (n == 0 || n >= XA_NAME_MAX || !xa_utf8_valid(name, n))
        return xa_error_set(XA_EINVAL, "a commune's name is 1 to %d bytes of UTF-8",
                            XA_NAME_MAX - 1);
    rc = prep(st, &s, "INSERT INTO commune(scope, name, created) VALUES (?1, ?2, ?3)");
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, xa_now_ms());
        int step = sqlite3_step(s);
        if (step == SQLITE_CONSTRAINT)
            rc = xa_error_set(XA_EEXISTS, "commune %s already exists", scope);
        else if (step != SQLITE_DONE)
            rc = xa_db_error(st, step, "adding a commune");
    }
    sqlite3_finalize(s);
    return rc;
}

static const char *const commune_sql =
    "SELECT c.scope, c.name, c.created, c.last_sync,"
    " (SELECT coalesce(sum(seq), 0) FROM have h WHERE h.scope = c.scope),"
    " (SELECT count(*) FROM field f WHERE f.scope = c.scope AND f.nsib > 1)"
    " FROM commune c";

static void commune_row(sqlite3_stmt *s, xa_commune *c)
{
    const char *scope = (const char *)sqlite3_column_text(s, 0);
    const char *name = (const char *)sqlite3_column_text(s, 1);

    memset(c, 0, sizeof(*c));
    snprintf(c->scope, sizeof(c->scope), "%s", scope ? scope : "");
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
    c->created = sqlite3_column_int64(s, 2);
    c->last_sync = sqlite3_column_int64(s, 3);
    c->ops = (uint64_t)sqlite3_column_int64(s, 4);
    c->conflicts = (uint64_t)sqlite3_column_int64(s, 5);
}

int xa_district_commune_get(xa_store *st, const char *scope, xa_commune *out)
{
    sqlite3_stmt *s = NULL;
    char sql[512];
    int rc;

    snprintf(sql, sizeof(sql), "%s WHERE c.scope = ?1", commune_sql);
    rc = prep(st, &s, sql);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW)
            commune_row(s, out);
        else if (step == SQLITE_DONE)
            rc = xa_error_set(XA_ENOTFOUND, "no commune %s", scope);
        else
            rc = xa_db_error(st, step, "reading a commune");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_district_communes(xa_store *st, xa_commune **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    xa_commune *v = NULL;
    size_t nv = 0, cap = 0;
    char sql[512];
    int rc, step = SQLITE_DONE;

    snprintf(sql, sizeof(sql), "%s ORDER BY c.scope", commune_sql);
    rc = prep(st, &s, sql);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (nv == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            xa_commune *b = realloc(v, ncap * sizeof(*b));
            if (b == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            v = b;
            cap = ncap;
        }
        commune_row(s, &v[nv++]);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "listing communes");
    sqlite3_finalize(s);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

int xa_district_token_add(xa_store *st,
                          const uint8_t hash[XA_TOKEN_HASH],
                          const char *scope,
                          const char *label)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (scope) {
        xa_commune c;
        rc = xa_district_commune_get(st, scope, &c);
        if (rc < 0)
            return rc;
    }
    rc = prep(st, &s, "INSERT INTO token(hash, scope, label, created) VALUES (?1, ?2, ?3, ?4)");
    if (rc == 0) {
        sqlite3_bind_blob(s, 1, hash, XA_TOKEN_HASH, SQLITE_STATIC);
        if (scope)
            sqlite3_bind_text(s, 2, scope, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, label ? label : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, xa_now_ms());
        rc = step_done(st, s, "adding a token");
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_district_token_find(xa_store *st,
                           const uint8_t hash[XA_TOKEN_HASH],
                           char *scope,
                           int *district)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "SELECT scope FROM token WHERE hash = ?1");

    if (rc == 0) {
        sqlite3_bind_blob(s, 1, hash, XA_TOKEN_HASH, SQLITE_STATIC);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            const char *sc = (const char *)sqlite3_column_text(s, 0);
            *district = sc == NULL;
            scope[0] = '\0';
            if (sc) {
                size_t n = strlen(sc);
                if (n > XA_SCOPE_MAX)
                    n = XA_SCOPE_MAX;
                memcpy(scope, sc, n);
                scope[n] = '\0';
            }
        } else if (step == SQLITE_DONE) {
            rc = xa_error_set(XA_EAUTH, "unknown token");
        } else {
            rc = xa_db_error(st, step, "checking a token");
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int xa_district_token_revoke(xa_store *st, const char *scope, const char *label)
{
    sqlite3_stmt *s = NULL;
    int rc = 0;

    if (scope) {
        xa_commune c;
        rc = xa_district_commune_get(st, scope, &c);
        if (rc < 0)
            return rc;
        rc = prep(st, &s, "DELETE FROM token WHERE scope = ?1");
    } else {
        rc = prep(st, &s, "DELETE FROM token WHERE scope IS NULL AND label = ?1");
    }
    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope ? scope : label ? label : "", -1, SQLITE_STATIC);
        rc = step_done(st, s, "revoking a token");
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : sqlite3_changes(st->db);
}

int xa_district_claim_nodes(xa_store *st, const char *scope, const xa_op *ops, size_t n)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    xa_node last = 0;
    int rc = prep(st, &get, "SELECT scope FROM node_owner WHERE node = ?1");

    if (rc == 0)
        rc = prep(st, &put, "INSERT INTO node_owner(node, scope) VALUES (?1, ?2)");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int step;
        if (ops[i].node == last)
            continue;
        last = ops[i].node;
        /* The district's own edits (its forms, its decisions on reports)
         * come back from a PC that got them by USB: they belong to no
         * commune.  Only ops it holds may come back; a new one in its name
         * is forged. */
        if (last == xa_store_node(st)) {
            xa_vv have = XA_VV_INIT;
            uint64_t held = 0;
            rc = xa_store_have(st, scope, &have);
            if (rc == 0)
                held = xa_vv_get(&have, last);
            xa_vv_free(&have);
            for (size_t k = i; rc == 0 && k < n; k++)
                if (ops[k].node == last && ops[k].seq > held)
                    rc = xa_error_set(XA_EAUTH,
                                      "an op in the district's own name that it never "
                                      "wrote (seq %llu)",
                                      (unsigned long long)ops[k].seq);
            continue;
        }
        sqlite3_reset(get);
        sqlite3_bind_int64(get, 1, XA_NODE_TO_DB(last));
        step = sqlite3_step(get);
        if (step == SQLITE_ROW) {
            if (strcmp((const char *)sqlite3_column_text(get, 0), scope) != 0) {
                char hex[XA_NODE_HEX + 1];
                xa_node_format(last, hex);
                rc = xa_error_set(XA_EAUTH, "node %s belongs to another commune", hex);
            }
        } else if (step == SQLITE_DONE) {
            sqlite3_reset(put);
            sqlite3_bind_int64(put, 1, XA_NODE_TO_DB(last));
            sqlite3_bind_text(put, 2, scope, -1, SQLITE_STATIC);
            rc = step_done(st, put, "recording a PC");
        } else {
            rc = xa_db_error(st, step, "checking a PC");
        }
    }
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    return rc;
}

int xa_district_touch(xa_store *st, const char *scope)
{
    sqlite3_stmt *s = NULL;
    int rc = prep(st, &s, "UPDATE commune SET last_sync = ?2 WHERE scope = ?1");

    if (rc == 0) {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, xa_now_ms());
        rc = step_done(st, s, "noting a sync");
    }
    sqlite3_finalize(s);
    return rc;
}
