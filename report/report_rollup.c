/*
 * The district's rollup (report.h): each indicator summed across the
 * communes that reported it, and the communes that have not reported.
 *
 * Invariants: sums are exact (xa_vnum units at a common scale); a row is
 * additive only if every figure added is a number and its unit is not %.
 */
#include "xasync/error.h"
#include "xasync/report.h"
#include "xasync/vnum.h"

#include <stdlib.h>
#include <string.h>

void xa_rollup_free(xa_rollup *r)
{
    for (size_t i = 0; r && i < r->nrows; i++) {
        free(r->rows[i].tt);
        free(r->rows[i].name);
        free(r->rows[i].unit);
    }
    for (size_t i = 0; r && i < r->nreported; i++)
        free(r->reported[i]);
    for (size_t i = 0; r && i < r->nmissing; i++)
        free(r->missing[i]);
    if (r) {
        free(r->rows);
        free(r->reported);
        free(r->missing);
        memset(r, 0, sizeof(*r));
    }
}

static int push_str(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

    if (nv == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    *v = nv;
    if ((nv[*n] = strdup(s)) == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

/* Scale a value's units up to `scale` (never down: scales only grow). */
static int64_t at_scale(const xa_vnum *v, int scale)
{
    int64_t u = v->units;

    for (int s = v->scale; s < scale; s++)
        u *= 10;
    return u;
}

static void rescale(xa_rollup_row *row, int scale)
{
    while (row->scale < scale) {
        row->prev_u *= 10;
        row->plan_u *= 10;
        row->est_u *= 10;
        row->scale++;
    }
}

static void add_fig(xa_rollup_row *row, const char *fig, int64_t *sum, size_t *count)
{
    xa_vnum v;

    if (fig[0] == '\0')
        return;
    if (xa_vnum_parse(fig, &v) < 0 || v.percent) {
        row->additive = 0;
        return;
    }
    if (v.scale > row->scale)
        rescale(row, v.scale);
    *sum += at_scale(&v, row->scale);
    (*count)++;
}

/* Shares, rates, averages and growth are not added across communes. */
static int additive(const char *name, const char *unit)
{
    static const char *const not_sums[] = {"bình quân", "Tỷ lệ", "tỷ lệ", "Tốc độ", "Cơ cấu"};

    if (strcmp(unit, "%") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(not_sums) / sizeof(not_sums[0]); i++)
        if (strstr(name, not_sums[i]))
            return 0;
    return 1;
}

static xa_rollup_row *find_row(xa_rollup *r, const xa_block *b, const char *key_name)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].tt, b->tt) == 0 &&
            (strcmp(b->tt, "-") != 0 || strcmp(r->rows[i].name, key_name) == 0))
            return &r->rows[i];
    xa_rollup_row *rows = realloc(r->rows, (r->nrows + 1) * sizeof(*rows));
    if (rows == NULL)
        return NULL;
    r->rows = rows;
    xa_rollup_row *row = &rows[r->nrows];
    memset(row, 0, sizeof(*row));
    row->tt = strdup(b->tt);
    row->name = strdup(b->name);
    row->unit = strdup(b->unit);
    if (!row->tt || !row->name || !row->unit) {
        free(row->tt);
        free(row->name);
        free(row->unit);
        return NULL;
    }
    row->additive = additive(b->name, b->unit);
    r->nrows++;
    return row;
}

int xa_report_rollup(xa_store *st,
                     const char *const *scopes,
                     size_t nscopes,
                     const char *kind,
                     const char *period,
                     xa_rollup *out)
{
    xa_rollup r;
    int rc = 0;

    memset(&r, 0, sizeof(r));
    for (size_t s = 0; rc == 0 && s < nscopes; s++) {
        char **ids = NULL;
        size_t n = 0, found = 0;
        rc = xa_report_list(st, scopes[s], &ids, &n);
        for (size_t i = 0; rc == 0 && i < n && !found; i++) {
            xa_report rep;
            if (xa_report_load(st, scopes[s], ids[i], &rep) < 0)
                continue;
            if (strcmp(rep.kind, kind) == 0 && strcmp(rep.period, period) == 0) {
                found = 1;
                const char *unit = "";
                for (size_t k = 0; rc == 0 && k < rep.n; k++) {
                    const xa_block *b = &rep.b[k];
                    if (b->deleted || strcmp(b->kind, "row") != 0 || b->tt[0] == '\0' ||
                        strspn(b->tt, "IVX") == strlen(b->tt))
                        continue;
                    /* a ditto mark (") repeats the unit above */
                    if (strcmp(b->unit, "\"") != 0)
                        unit = b->unit;
                    xa_rollup_row *row = find_row(&r, b, b->name);
                    if (row && !additive(b->name, unit))
                        row->additive = 0;
                    if (row == NULL) {
                        rc = xa_error_set(XA_ENOMEM, "out of memory");
                        break;
                    }
                    add_fig(row, b->prev, &row->prev_u, &row->nprev);
                    add_fig(row, b->plan, &row->plan_u, &row->nplan);
                    add_fig(row, b->est, &row->est_u, &row->nest);
                }
            }
            xa_report_free(&rep);
        }
        xa_report_list_free(ids, n);
        if (rc == 0)
            rc = found ? push_str(&r.reported, &r.nreported, scopes[s])
                       : push_str(&r.missing, &r.nmissing, scopes[s]);
    }
    if (rc < 0) {
        xa_rollup_free(&r);
        return rc;
    }
    *out = r;
    return 0;
}
