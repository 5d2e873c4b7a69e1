/*
 * Snapshots (store.h): a scope's fields with their current ops, read in one
 * transaction on the server, installed in one transaction on a fresh PC.
 *
 * Invariants of an installed snapshot:
 *   1. have = base = the snapshot's vector; the journal holds the sibling
 *      ops, and any older op that arrives later is journaled as history
 *      without touching the fields (store.c, apply_one);
 *   2. every sibling's dot is within `have` and covered by its field's
 *      context, so later ops merge exactly as on a replica with history.
 */
#include "store_int.h"
#include "xasync/error.h"
#include "xasync/merge.h"

#include <stdlib.h>
#include <string.h>

void xa_snapshot_free(xa_snapshot *s)
{
    for (size_t i = 0; s && i < s->n; i++) {
        free(s->f[i].entity);
        free(s->f[i].field);
        xa_vv_free(&s->f[i].fctx);
        for (size_t k = 0; k < s->f[i].n; k++)
            xa_op_clear(&s->f[i].sib[k]);
        free(s->f[i].sib);
    }
    if (s) {
        free(s->f);
        xa_vv_free(&s->have);
        memset(s, 0, sizeof(*s));
    }
}

static char *dupstr(const char *t)
{
    size_t n = strlen(t) + 1;
    char *d = malloc(n);

    if (d)
        memcpy(d, t, n);
    return d;
}

int xa_store_snapshot(xa_store *st, const char *scope, xa_snapshot *out)
{
    xa_snapshot snap;
    sqlite3_stmt *s = NULL;
    size_t cap = 0;
    int rc, step = SQLITE_DONE;

    memset(&snap, 0, sizeof(snap));
    if ((rc = xa_check_scope(scope)) < 0)
        return rc;
    rc = xa_db_exec(st, "BEGIN");
    if (rc < 0)
        return rc;
    rc = xa_store_have(st, scope, &snap.have);
    if (rc == 0 &&
        sqlite3_prepare_v2(st->db,
                           "SELECT f.entity, f.field, f.fctx, s.node, s.seq, j.value, j.ctx, j.hlc,"
                           " j.author FROM field f JOIN sibling s ON s.scope = f.scope AND"
                           " s.entity = f.entity AND s.field = f.field JOIN journal j ON"
                           " j.scope = s.scope AND j.node = s.node AND j.seq = s.seq"
                           " WHERE f.scope = ?1 ORDER BY f.entity, f.field, s.node, s.seq",
                           -1, &s, NULL) != SQLITE_OK)
        rc = xa_db_error(st, sqlite3_errcode(st->db), "reading a snapshot");
    if (rc == 0)
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *e = (const char *)sqlite3_column_text(s, 0);
        const char *fl = (const char *)sqlite3_column_text(s, 1);
        xa_snap_field *f = snap.n ? &snap.f[snap.n - 1] : NULL;

        if (f == NULL || strcmp(f->entity, e) != 0 || strcmp(f->field, fl) != 0) {
            if (snap.n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                xa_snap_field *nf = realloc(snap.f, ncap * sizeof(*nf));
                if (nf == NULL) {
                    rc = xa_error_set(XA_ENOMEM, "out of memory");
                    break;
                }
                snap.f = nf;
                cap = ncap;
            }
            f = &snap.f[snap.n++];
            memset(f, 0, sizeof(*f));
            if ((f->entity = dupstr(e)) == NULL || (f->field = dupstr(fl)) == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            rc = xa_vv_parse((const char *)sqlite3_column_text(s, 2), &f->fctx);
            if (rc < 0)
                break;
        }
        xa_op *nsib = realloc(f->sib, (f->n + 1) * sizeof(*nsib));
        if (nsib == NULL) {
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        f->sib = nsib;
        xa_op *op = &f->sib[f->n++];
        memset(op, 0, sizeof(*op));
        op->node = XA_NODE_FROM_DB(sqlite3_column_int64(s, 3));
        op->seq = (uint64_t)sqlite3_column_int64(s, 4);
        op->hlc = sqlite3_column_int64(s, 7);
        if ((op->scope = dupstr(scope)) == NULL || (op->entity = dupstr(e)) == NULL ||
            (op->field = dupstr(fl)) == NULL || (op->value = xa_db_text(s, 5)) == NULL ||
            (op->author = xa_db_text(s, 8)) == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        else
            rc = xa_vv_parse((const char *)sqlite3_column_text(s, 6), &op->ctx);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading a snapshot");
    sqlite3_finalize(s);
    xa_db_rollback(st);
    if (rc < 0) {
        xa_snapshot_free(&snap);
        return rc;
    }
    *out = snap;
    return 0;
}

int xa_store_base(xa_store *st, const char *scope, xa_vv *out)
{
    sqlite3_stmt *s = NULL;
    int rc = 0, step;

    xa_vv_clear(out);
    if (sqlite3_prepare_v2(st->db, "SELECT node, seq FROM base WHERE scope = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return xa_db_error(st, sqlite3_errcode(st->db), "reading the base");
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = xa_vv_set(out, XA_NODE_FROM_DB(sqlite3_column_int64(s, 0)),
                       (uint64_t)sqlite3_column_int64(s, 1));
    sqlite3_finalize(s);
    return rc;
}

/* A snapshot must hold together before any of it is written. */
static int check_snapshot(xa_store *st, const char *scope, const xa_snapshot *sn)
{
    int rc;

    for (size_t i = 0; i < sn->n; i++) {
        const xa_snap_field *f = &sn->f[i];

        if ((rc = xa_check_entity(f->entity)) < 0 || (rc = xa_check_field(f->field)) < 0)
            return rc;
        if (f->n == 0)
            return xa_error_set(XA_EINVAL, "snapshot field %s %s has no value", f->entity,
                                f->field);
        if (i && (strcmp(sn->f[i - 1].entity, f->entity) > 0 ||
                  (strcmp(sn->f[i - 1].entity, f->entity) == 0 &&
                   strcmp(sn->f[i - 1].field, f->field) >= 0)))
            return xa_error_set(XA_EINVAL, "snapshot fields are not in order");
        for (size_t k = 0; k < f->n; k++) {
            const xa_op *op = &f->sib[k];
            xa_dot d = {op->node, op->seq};
            if ((rc = xa_op_validate(st, scope, op)) < 0)
                return rc;
            if (strcmp(op->entity, f->entity) != 0 || strcmp(op->field, f->field) != 0)
                return xa_error_set(XA_EINVAL, "a snapshot op belongs to another field");
            if (!xa_vv_covers(&sn->have, d) || !xa_vv_covers(&f->fctx, d))
                return xa_error_set(XA_EINVAL, "a snapshot op lies outside its version vector");
            for (size_t j = 0; j < f->n; j++)
                if (j != k && xa_vv_covers(&f->sib[j].ctx, d))
                    return xa_error_set(XA_EINVAL, "a snapshot field keeps a superseded value");
        }
    }
    return 0;
}

int xa_store_install_snapshot(xa_store *st, const char *scope, const xa_snapshot *sn)
{
    sqlite3_stmt *s = NULL;
    xa_vv held = XA_VV_INIT;
    int rc;

    if ((rc = xa_check_scope(scope)) < 0 || (rc = check_snapshot(st, scope, sn)) < 0)
        return rc;
    rc = xa_store_begin(st);
    if (rc < 0)
        return rc;
    rc = xa_store_have(st, scope, &held);
    if (rc == 0 && held.n)
        rc = xa_error_set(XA_EINVAL, "a snapshot is only for a replica that holds no op yet");
    xa_vv_free(&held);
    for (size_t i = 0; rc == 0 && i < sn->n; i++)
        for (size_t k = 0; rc == 0 && k < sn->f[i].n; k++)
            rc = xa_journal_put(st, &sn->f[i].sib[k]);
    /* The fields: rebuilt from the sibling ops just journaled, then given
     * the snapshot's context (which also covers the ops not held). */
    for (size_t i = 0; rc == 0 && i < sn->n; i++) {
        char *fctx = xa_vv_format(&sn->f[i].fctx);
        rc = fctx ? xa_field_rebuild(st, scope, sn->f[i].entity, sn->f[i].field)
                  : xa_error_set(XA_ENOMEM, "out of memory");
        if (rc == 0 && sqlite3_prepare_v2(st->db,
                                          "UPDATE field SET fctx = ?4 WHERE scope = ?1 AND"
                                          " entity = ?2 AND field = ?3",
                                          -1, &s, NULL) == SQLITE_OK) {
            sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, sn->f[i].entity, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, sn->f[i].field, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 4, fctx, -1, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_DONE)
                rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
        } else if (rc == 0) {
            rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
        }
        sqlite3_finalize(s);
        s = NULL;
        free(fctx);
    }
    if (rc == 0 && sqlite3_prepare_v2(st->db,
                                      "INSERT INTO have(scope, node, seq) VALUES (?1, ?2, ?3)"
                                      " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq;",
                                      -1, &s, NULL) != SQLITE_OK)
        rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
    for (size_t i = 0; rc == 0 && i < sn->have.n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(sn->have.e[i].node));
        sqlite3_bind_int64(s, 3, (sqlite3_int64)sn->have.e[i].seq);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == 0 && sqlite3_prepare_v2(st->db,
                                      "INSERT INTO base(scope, node, seq) VALUES (?1, ?2, ?3)"
                                      " ON CONFLICT(scope, node) DO UPDATE SET seq = excluded.seq",
                                      -1, &s, NULL) != SQLITE_OK)
        rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
    for (size_t i = 0; rc == 0 && i < sn->have.n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(sn->have.e[i].node));
        sqlite3_bind_int64(s, 3, (sqlite3_int64)sn->have.e[i].seq);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = xa_db_error(st, sqlite3_errcode(st->db), "installing a snapshot");
    }
    sqlite3_finalize(s);
    if (rc == 0)
        rc = xa_store_commit(st);
    if (rc < 0)
        xa_store_rollback(st);
    return rc;
}
