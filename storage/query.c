/*
 * Reads: the version vector, the ops a peer lacks, fields and their values,
 * and the history with the values each write replaced.
 *
 * Nothing here writes; every read runs in one read transaction so that it
 * sees one state even while a sync applies a changeset.
 */
#include "store_int.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

/* A consistent read: a transaction of its own, or, inside a caller's write
 * transaction (a report bound to its form while it is edited), a savepoint
 * that sees the caller's writes and leaves its transaction open. */
static int read_begin(xa_store *st)
{
    return xa_db_exec(st, "SAVEPOINT xa_read");
}

static void read_end(xa_store *st)
{
    if (xa_db_exec(st, "RELEASE xa_read") != 0)
        xa_db_rollback(st);
}

void xa_field_clear(xa_field *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].value);
        free(f->v[i].author);
    }
    free(f->v);
    free(f->entity);
    free(f->field);
    xa_vv_free(&f->fctx);
    memset(f, 0, sizeof(*f));
}

void xa_fields_free(xa_field *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        xa_field_clear(&f[i]);
    free(f);
}

void xa_log_free(xa_logent *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        xa_op_clear(&e[i].op);
        for (size_t k = 0; k < e[i].nbefore; k++) {
            free(e[i].before[k].value);
            free(e[i].before[k].author);
        }
        free(e[i].before);
    }
    free(e);
}

static int have_all(xa_store *st, const char *scope, xa_vv *out)
{
    sqlite3_stmt *s = xa_db_stmt(st, Q_HAVE_ALL);
    int rc;

    if (s == NULL)
        return XA_EIO;
    xa_vv_clear(out);
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int e = xa_vv_set(out, XA_NODE_FROM_DB(sqlite3_column_int64(s, 0)),
                          (uint64_t)sqlite3_column_int64(s, 1));
        if (e < 0) {
            sqlite3_reset(s);
            return e;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : xa_db_error(st, rc, "reading have");
}

int xa_store_have(xa_store *st, const char *scope, xa_vv *out)
{
    xa_vv vv = XA_VV_INIT;
    int rc = xa_check_scope(scope);

    if (rc == 0)
        rc = have_all(st, scope, &vv);
    if (rc < 0) {
        xa_vv_free(&vv);
        return rc;
    }
    xa_vv_free(out);
    *out = vv;
    return 0;
}

/* Fill an op from a Q_JOURNAL_RUN row (seq, entity, field, value, ctx, hlc,
 * author). */
static int op_from_row(sqlite3_stmt *s, const char *scope, xa_node node, xa_op *op)
{
    int rc;

    op->node = node;
    op->seq = (uint64_t)sqlite3_column_int64(s, 0);
    op->hlc = sqlite3_column_int64(s, 5);
    if ((op->scope = dupstr(scope)) == NULL || (op->entity = xa_db_text(s, 1)) == NULL ||
        (op->field = xa_db_text(s, 2)) == NULL || (op->value = xa_db_text(s, 3)) == NULL ||
        (op->author = xa_db_text(s, 6)) == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_vv_parse((const char *)sqlite3_column_text(s, 4), &op->ctx);
    return rc;
}

/*
 * Put ops[start..n) (each node's run in seq order, runs one after another)
 * in causal order: an op comes after every op its context claims that the
 * peer (`have`) lacks, so any prefix of the list is a batch the peer can
 * apply (causal delivery).  At most `max` (0: all) are kept; *cut is set
 * when some are left for later.  Ops that can never be placed (their
 * context claims what this replica lacks) go last when max is 0, so the
 * receiver names them, and are left out otherwise.
 */
static int causal_order(xa_op_list *out, size_t start, const xa_vv *have, size_t max, int *cut)
{
    size_t n = out->n - start, nruns = 0, placed = 0;
    size_t *run = NULL, *end = NULL;
    xa_op *sorted = NULL;
    xa_vv avail = XA_VV_INIT;
    int rc = 0, progress = 1;

    if (n == 0)
        return 0;
    run = malloc((n + 1) * sizeof(*run));
    end = malloc((n + 1) * sizeof(*end));
    sorted = malloc(n * sizeof(*sorted));
    if (run == NULL || end == NULL || sorted == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0)
        rc = xa_vv_copy(&avail, have);
    for (size_t i = start; rc == 0 && i < out->n; i++) {
        if (i == start || out->ops[i].node != out->ops[i - 1].node) {
            run[nruns] = i;
            end[nruns++] = i;
        }
        end[nruns - 1] = i + 1;
    }
    while (rc == 0 && progress && (max == 0 || placed < max)) {
        progress = 0;
        for (size_t r = 0; rc == 0 && r < nruns && (max == 0 || placed < max); r++) {
            while (run[r] < end[r] && (max == 0 || placed < max)) {
                xa_op *op = &out->ops[run[r]];
                int ok = 1;
                for (size_t k = 0; ok && k < op->ctx.n; k++)
                    ok = op->ctx.e[k].seq <= xa_vv_get(&avail, op->ctx.e[k].node);
                if (!ok)
                    break;
                rc = xa_vv_bump(&avail, op->node, op->seq);
                if (rc < 0)
                    break;
                sorted[placed++] = *op;
                memset(op, 0, sizeof(*op));
                run[r]++;
                progress = 1;
            }
        }
    }
    if (rc == 0) {
        for (size_t r = 0; r < nruns; r++) {
            for (size_t i = run[r]; i < end[r]; i++) {
                if (max == 0) {
                    sorted[placed++] = out->ops[i];
                    memset(&out->ops[i], 0, sizeof(out->ops[i]));
                } else {
                    *cut = 1;
                    xa_op_clear(&out->ops[i]);
                }
            }
        }
        memcpy(&out->ops[start], sorted, placed * sizeof(*sorted));
        out->n = start + placed;
    }
    free(run);
    free(end);
    free(sorted);
    xa_vv_free(&avail);
    return rc;
}

int xa_store_missing(
    xa_store *st, const char *scope, const xa_vv *have, size_t max, xa_op_list *out, int *more)
{
    xa_vv mine = XA_VV_INIT;
    /* Each node's run is read up to `max`: the first `max` ops of a causal
     * order hold at most that many of any node. */
    size_t start = out->n;
    int rc, cut = 0;

    rc = xa_check_scope(scope);
    if (rc == 0)
        rc = read_begin(st);
    if (rc < 0)
        return rc;
    xa_vv base = XA_VV_INIT;
    rc = have_all(st, scope, &mine);
    if (rc == 0)
        rc = xa_store_base(st, scope, &base);
    for (size_t i = 0; rc == 0 && i < mine.n; i++) {
        uint64_t from = xa_vv_get(have, mine.e[i].node);
        uint64_t want = mine.e[i].seq > from ? mine.e[i].seq - from : 0;
        sqlite3_stmt *s;

        if (want == 0)
            continue;
        if (from < xa_vv_get(&base, mine.e[i].node)) {
            char hex[XA_NODE_HEX + 1];
            xa_node_format(mine.e[i].node, hex);
            rc = xa_error_set(XA_ENOTFOUND,
                              "this replica started from a snapshot and does not hold the"
                              " history of node %s before seq %llu; ask the district server",
                              hex, (unsigned long long)xa_vv_get(&base, mine.e[i].node) + 1);
            break;
        }
        if (max && want > max) {
            want = max;
            cut = 1;
        }
        s = xa_db_stmt(st, Q_JOURNAL_RUN);
        if (s == NULL) {
            rc = XA_EIO;
            break;
        }
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, XA_NODE_TO_DB(mine.e[i].node));
        sqlite3_bind_int64(s, 3, (sqlite3_int64)from);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)want);
        int step;
        while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
            xa_op *op = xa_op_list_push(out);
            rc = op ? op_from_row(s, scope, mine.e[i].node, op) : XA_ENOMEM;
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = xa_db_error(st, step, "reading the journal");
        sqlite3_reset(s);
    }
    read_end(st);
    if (rc == 0)
        rc = causal_order(out, start, have, max, &cut);
    xa_vv_free(&mine);
    xa_vv_free(&base);
    if (rc < 0) {
        while (out->n > start)
            xa_op_clear(&out->ops[--out->n]);
        return rc;
    }
    if (more)
        *more = cut;
    return 0;
}

/* Front first: largest (hlc, node). */
static int value_order(const void *a, const void *b)
{
    const xa_value *x = a, *y = b;

    if (x->hlc != y->hlc)
        return x->hlc > y->hlc ? -1 : 1;
    if (x->dot.node != y->dot.node)
        return x->dot.node > y->dot.node ? -1 : 1;
    return x->dot.seq > y->dot.seq ? -1 : x->dot.seq < y->dot.seq;
}

/* Load one field's values and context into f (entity/field already set). */
static int load_field(xa_store *st, const char *scope, xa_field *f, const char *fctx)
{
    sqlite3_stmt *s;
    int rc;

    rc = xa_vv_parse(fctx, &f->fctx);
    if (rc < 0)
        return rc;
    s = xa_db_stmt(st, Q_SIB_VALUES);
    if (s == NULL)
        return XA_EIO;
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, f->entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->field, -1, SQLITE_STATIC);
    size_t cap = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (f->n == cap) {
            size_t ncap = cap ? cap * 2 : 2;
            xa_value *v = realloc(f->v, ncap * sizeof(*v));
            if (v == NULL) {
                sqlite3_reset(s);
                return xa_error_set(XA_ENOMEM, "out of memory");
            }
            f->v = v;
            cap = ncap;
        }
        xa_value *v = &f->v[f->n];
        memset(v, 0, sizeof(*v));
        f->n++;
        v->dot.node = XA_NODE_FROM_DB(sqlite3_column_int64(s, 0));
        v->dot.seq = (uint64_t)sqlite3_column_int64(s, 1);
        v->hlc = sqlite3_column_int64(s, 3);
        if ((v->value = xa_db_text(s, 2)) == NULL || (v->author = xa_db_text(s, 4)) == NULL) {
            sqlite3_reset(s);
            return xa_error_set(XA_ENOMEM, "out of memory");
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return xa_db_error(st, rc, "reading a field's values");
    if (f->n == 0)
        return xa_error_set(XA_ECORRUPT, "field %s %s has no value", f->entity, f->field);
    qsort(f->v, f->n, sizeof(f->v[0]), value_order);
    return 0;
}

int xa_store_get(
    xa_store *st, const char *scope, const char *entity, const char *field, xa_field *out)
{
    xa_field f;
    sqlite3_stmt *s;
    char *fctx = NULL;
    int rc;

    memset(&f, 0, sizeof(f));
    if ((rc = xa_check_scope(scope)) < 0 || (rc = xa_check_entity(entity)) < 0 ||
        (rc = xa_check_field(field)) < 0)
        return rc;
    rc = read_begin(st);
    if (rc < 0)
        return rc;
    s = xa_db_stmt(st, Q_FIELD_GET);
    if (s == NULL) {
        read_end(st);
        return XA_EIO;
    }
    sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        fctx = xa_db_text(s, 0);
        rc = fctx ? 0 : xa_error_set(XA_ENOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        rc = xa_error_set(XA_ENOTFOUND, "no field %s %s", entity, field);
    } else {
        rc = xa_db_error(st, rc, "reading a field");
    }
    sqlite3_reset(s);
    if (rc == 0 && ((f.entity = dupstr(entity)) == NULL || (f.field = dupstr(field)) == NULL))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0)
        rc = load_field(st, scope, &f, fctx);
    read_end(st);
    free(fctx);
    if (rc < 0) {
        xa_field_clear(&f);
        return rc;
    }
    *out = f;
    return 0;
}

int xa_store_fields(xa_store *st,
                    const char *scope,
                    const char *entity,
                    int conflicts_only,
                    xa_field **out,
                    size_t *n)
{
    sqlite3_stmt *s = NULL;
    xa_field *fs = NULL;
    size_t nf = 0, cap = 0;
    int rc;

    if ((rc = xa_check_scope(scope)) < 0 || (entity && (rc = xa_check_entity(entity)) < 0))
        return rc;
    rc = read_begin(st);
    if (rc < 0)
        return rc;
    rc = sqlite3_prepare_v2(st->db,
                            "SELECT entity, field, fctx FROM field WHERE scope = ?1"
                            " AND (?2 IS NULL OR entity = ?2) AND (?3 = 0 OR nsib > 1)"
                            " ORDER BY entity, field",
                            -1, &s, NULL);
    if (rc != SQLITE_OK) {
        rc = xa_db_error(st, rc, "listing fields");
    } else {
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        if (entity)
            sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, conflicts_only ? 1 : 0);
        rc = 0;
    }
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (nf == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            xa_field *f = realloc(fs, ncap * sizeof(*f));
            if (f == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            fs = f;
            cap = ncap;
        }
        xa_field *f = &fs[nf++];
        memset(f, 0, sizeof(*f));
        if ((f->entity = xa_db_text(s, 0)) == NULL || (f->field = xa_db_text(s, 1)) == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        else
            rc = load_field(st, scope, f, (const char *)sqlite3_column_text(s, 2));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "listing fields");
    sqlite3_finalize(s);
    read_end(st);
    if (rc < 0) {
        xa_fields_free(fs, nf);
        return rc;
    }
    *out = fs;
    *n = nf;
    return 0;
}

/* History order: (hlc, node, seq). */
static int log_order(const void *a, const void *b)
{
    const xa_op *x = &((const xa_logent *)a)->op, *y = &((const xa_logent *)b)->op;

    if (x->hlc != y->hlc)
        return x->hlc < y->hlc ? -1 : 1;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The values op e[k] replaced: the ops of its field that its ctx covers and
 * that no other covered op had itself replaced (the siblings its writer
 * saw).  A writer's ctx includes the ctx of every op it covers, so "replaced
 * by a covered op" is "covered by the join of the covered ops' ctx": O(n) a
 * write instead of O(n^2).  e[lo..hi) are the ops of one field.
 */
static int fill_before(xa_logent *e, size_t lo, size_t hi, size_t k)
{
    const xa_op *o = &e[k].op;
    xa_vv seen = XA_VV_INIT;
    int rc = 0;

    for (size_t i = lo; rc == 0 && i < hi; i++) {
        xa_dot d = {e[i].op.node, e[i].op.seq};
        if (i != k && xa_vv_covers(&o->ctx, d))
            rc = xa_vv_merge(&seen, &e[i].op.ctx);
    }
    for (size_t i = lo; rc == 0 && i < hi; i++) {
        const xa_op *p = &e[i].op;
        xa_dot pd = {p->node, p->seq};

        if (i == k || !xa_vv_covers(&o->ctx, pd) || xa_vv_covers(&seen, pd))
            continue;
        xa_value *b = realloc(e[k].before, (e[k].nbefore + 1) * sizeof(*b));
        if (b == NULL) {
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        e[k].before = b;
        b = &b[e[k].nbefore];
        memset(b, 0, sizeof(*b));
        e[k].nbefore++;
        b->dot = pd;
        b->hlc = p->hlc;
        if ((b->value = dupstr(p->value)) == NULL || (b->author = dupstr(p->author)) == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    xa_vv_free(&seen);
    return rc;
}

int xa_store_log(xa_store *st,
                 const char *scope,
                 const char *entity,
                 const char *field,
                 xa_logent **out,
                 size_t *n)
{
    sqlite3_stmt *s = NULL;
    xa_logent *e = NULL;
    size_t ne = 0, cap = 0;
    int rc, step = SQLITE_DONE;

    if ((rc = xa_check_scope(scope)) < 0 || (entity && (rc = xa_check_entity(entity)) < 0) ||
        (field && (rc = xa_check_field(field)) < 0))
        return rc;
    if (field && entity == NULL)
        return xa_error_set(XA_EINVAL, "a field's history needs its entity");
    rc = read_begin(st);
    if (rc < 0)
        return rc;
    /* One statement per case, each with plain equalities on the index
     * journal_by_field (scope, entity, field), named: an optional
     * parameter written "?2 IS NULL OR entity = ?2", or SQLite 3.40's
     * choice for the ORDER BY, scans the whole scope by its primary key,
     * and `log ENTITY FIELD` grew with the journal (bench/bench_scale.c).
     * The index gives the rows grouped by field, as the loop below wants. */
    rc = sqlite3_prepare_v2(
        st->db,
        field    ? "SELECT seq, entity, field, value, ctx, hlc, author, node FROM journal"
                   " INDEXED BY journal_by_field"
                   " WHERE scope = ?1 AND entity = ?2 AND field = ?3 ORDER BY entity, field"
        : entity ? "SELECT seq, entity, field, value, ctx, hlc, author, node FROM journal"
                   " INDEXED BY journal_by_field"
                   " WHERE scope = ?1 AND entity = ?2 ORDER BY entity, field"
                 : "SELECT seq, entity, field, value, ctx, hlc, author, node FROM journal"
                   " INDEXED BY journal_by_field WHERE scope = ?1 ORDER BY entity, field",
        -1, &s, NULL);
    if (rc != SQLITE_OK) {
        rc = xa_db_error(st, rc, "reading the history");
    } else {
        rc = 0;
        sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
        if (entity)
            sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
        if (field)
            sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
    }
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (ne == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            xa_logent *ee = realloc(e, ncap * sizeof(*ee));
            if (ee == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            e = ee;
            cap = ncap;
        }
        memset(&e[ne], 0, sizeof(e[ne]));
        rc = op_from_row(s, scope, XA_NODE_FROM_DB(sqlite3_column_int64(s, 7)), &e[ne].op);
        ne++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = xa_db_error(st, step, "reading the history");
    sqlite3_finalize(s);
    read_end(st);

    /* Rows come grouped by field: compute what each op replaced. */
    for (size_t lo = 0; rc == 0 && lo < ne;) {
        size_t hi = lo + 1;
        while (hi < ne && strcmp(e[hi].op.entity, e[lo].op.entity) == 0 &&
               strcmp(e[hi].op.field, e[lo].op.field) == 0)
            hi++;
        for (size_t k = lo; rc == 0 && k < hi; k++)
            rc = fill_before(e, lo, hi, k);
        lo = hi;
    }
    if (rc < 0) {
        xa_log_free(e, ne);
        return rc;
    }
    if (ne)
        qsort(e, ne, sizeof(e[0]), log_order);
    *out = e;
    *n = ne;
    return 0;
}
