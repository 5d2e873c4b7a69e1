/*
 * The district's rollup by meaning (form.h): each indicator of a form,
 * across the communes' reports of one period, by the indicator's
 * aggregation and in the form's unit; every commune figure left out named
 * with its reason; the communes that have not sent, by name.
 *
 * The document (xa_rollup2):
 *   {"form", "title", "kind", "period", "include_drafts", "communes_total": N,
 *    "communes": [{"scope", "name", "last_sync", "status": sent | accepted |
 *                  returned | draft | none, "report", "sent_at",
 *                  "counted": bool, "reason"}],
 *    "indicators": [{"code", "tt", "name", "unit", "group", "aggregation",
 *       "district": {"prev"|"plan"|"est"|"vs_prev"|"vs_plan"|"remain":
 *                    {"value": "636.4", "text": "636,4", "n": n} | null},
 *       "n", "N", "counted": "n / N xã", "texts": {"Đạt": 3} (aggregation none),
 *       "communes": {SCOPE: {"prev"|"plan"|"est": {"value", "text"}}},
 *       "excluded": [{"scope", "name", "column", "reason", "vi", "en",
 *                     "values": [...]}]}],
 *    "unbound": [{"scope", "name", "tt", "row", "reason"}],
 *    "not_sent": [{"scope", "name", "last_sync"}],
 *    "drafts": [{"scope", "name", "report"}]}
 *
 * Invariants: sums are exact (xa_vnum); a figure is converted to the
 * form's unit or left out, never added as it stands; nothing depends on how
 * report ids sort (the latest submit of a commune, form and period wins).
 */
#include "report_int.h"
#include "xasync/district.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const COLS[3] = {"prev", "plan", "est"};

static void fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, cap, "never");
}

/* One commune's chosen report: its snapshot (sent) or current figures. */
typedef struct pick {
    char id[XA_ENTITY_MAX + 1];
    char status[16];
    int64_t sent_at;
    char reason[512];
    cJSON *snap; /* {"rows": [...], "unbound": [...]} */
} pick;

/* A report's header field from one scan of its scope's fields (front value). */
static char *hdr(const xa_field *f, size_t lo, size_t hi, const char *field)
{
    for (size_t i = lo; i < hi; i++)
        if (strcmp(f[i].field, field) == 0)
            return xa_rvalue_decode(f[i].v[0].value);
    return NULL;
}

/* The report of a commune for the form and period: the latest sent (by
 * sent_at), else a draft.  One scan of the scope's fields. */
static int choose(xa_store *st, const char *scope, const xa_rollup2_opts *o, pick *p)
{
    xa_field *f = NULL;
    size_t nf = 0, best_lo = 0, best_hi = 0;
    int rc = xa_store_fields(st, scope, NULL, 0, &f, &nf);
    int64_t best = -1;
    char draft[XA_ENTITY_MAX + 1] = "";

    memset(p, 0, sizeof(*p));
    snprintf(p->status, sizeof(p->status), "none");
    /* fields come sorted by entity: a report's header is one run */
    for (size_t i = 0; rc == 0 && i < nf;) {
        size_t j = i;
        while (j < nf && strcmp(f[j].entity, f[i].entity) == 0)
            j++;
        if (strchr(f[i].entity, '/') == NULL) {
            char *form = hdr(f, i, j, "form"), *period = hdr(f, i, j, "period");
            char *title = hdr(f, i, j, "title");
            int match = title && form && period && strcmp(form, o->form) == 0 &&
                        strcmp(period, o->period) == 0;
            if (match) {
                char *at = hdr(f, i, j, "sent_at");
                int64_t t = at && at[0] ? strtoll(at, NULL, 10) : -1;
                free(at);
                if (t < 0 && draft[0] == '\0')
                    snprintf(draft, sizeof(draft), "%s", f[i].entity);
                if (t >= 0 && (t > best || (t == best && strcmp(f[i].entity, p->id) > 0))) {
                    best = t;
                    best_lo = i;
                    best_hi = j;
                    snprintf(p->id, sizeof(p->id), "%s", f[i].entity);
                }
            }
            free(form);
            free(period);
            free(title);
        }
        i = j;
    }
    if (rc == 0 && best >= 0) {
        char *state = hdr(f, best_lo, best_hi, "state");
        char *reason = hdr(f, best_lo, best_hi, "state_reason");
        char *sent = hdr(f, best_lo, best_hi, "sent");
        p->sent_at = best;
        snprintf(p->status, sizeof(p->status), "%s", state && state[0] ? state : "sent");
        snprintf(p->reason, sizeof(p->reason), "%s", reason ? reason : "");
        p->snap = sent ? cJSON_Parse(sent) : NULL;
        free(state);
        free(reason);
        free(sent);
        if (p->snap == NULL)
            rc = xa_error_set(XA_EINVAL, "the sent version of %s in %s is damaged", p->id, scope);
    }
    xa_fields_free(f, nf);
    if (rc < 0 || best >= 0)
        return rc;
    if (draft[0]) {
        xa_report r;
        snprintf(p->id, sizeof(p->id), "%s", draft);
        snprintf(p->status, sizeof(p->status), "draft");
        if (o->include_drafts && xa_report_load(st, scope, draft, &r) == 0) {
            char *s = xa_report_snapshot(st, scope, &r);
            xa_report_free(&r);
            p->snap = s ? cJSON_Parse(s) : NULL;
            free(s);
        }
    }
    return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(j) ? j->valuestring : "";
}

/* Running sum of one column of one indicator. */
typedef struct acc {
    xa_vnum sum;
    size_t n;
    int any, overflow;
} acc;

static void acc_add(acc *a, const xa_vnum *v)
{
    if (!a->any) {
        a->sum = *v;
        a->sum.percent = 0;
        a->any = 1;
    } else if (xa_vnum_add(&a->sum, v, &a->sum) < 0) {
        a->overflow = 1;
    }
    a->n++;
}

/* A figure for the document; a sum or mean drops the zeros a conversion
 * added (35 + 3,5000 ha is 108,5), a ratio keeps its one decimal. */
static cJSON *figure_s(const xa_vnum *v, size_t n, int keep_scale)
{
    cJSON *o = cJSON_CreateObject();
    char d[64], t[XA_VNUM_FMT_MAX];
    xa_vnum x = *v;

    x.percent = 0;
    while (!keep_scale && x.scale > 0 && x.units % 10 == 0) {
        x.units /= 10;
        x.scale--;
    }
    xa_vnum_decimal(&x, d, sizeof(d));
    if (xa_vnum_format(&x, t, sizeof(t)) < 0)
        snprintf(t, sizeof(t), "?");
    cJSON_AddStringToObject(o, "value", d);
    cJSON_AddStringToObject(o, "text", t);
    if (n != (size_t)-1)
        cJSON_AddNumberToObject(o, "n", (double)n);
    return o;
}

static cJSON *figure(const xa_vnum *v, size_t n)
{
    return figure_s(v, n, 0);
}

static void exclude(cJSON *ex,
                    const char *scope,
                    const char *name,
                    const char *col,
                    const char *reason,
                    const char *vi,
                    const char *en,
                    const cJSON *values)
{
    cJSON *x = cJSON_CreateObject();

    cJSON_AddStringToObject(x, "scope", scope);
    cJSON_AddStringToObject(x, "name", name);
    cJSON_AddStringToObject(x, "column", col);
    cJSON_AddStringToObject(x, "reason", reason);
    cJSON_AddStringToObject(x, "vi", vi);
    cJSON_AddStringToObject(x, "en", en);
    if (values)
        cJSON_AddItemToObject(x, "values", cJSON_Duplicate(values, 1));
    cJSON_AddItemToArray(ex, x);
}

int xa_rollup2(xa_store *st, const xa_rollup2_opts *o, char **json)
{
    xa_form f;
    xa_commune *cm = NULL;
    size_t ncm = 0;
    pick *picks = NULL;
    cJSON *doc = NULL;
    int rc;

    if ((rc = xa_form_get(st, XA_FORMS_SCOPE, o->form, &f)) < 0)
        return rc;
    if ((rc = xa_period_check(f.period_type, o->period)) < 0) {
        xa_form_free(&f);
        return rc;
    }
    rc = xa_district_communes(st, &cm, &ncm);
    if (rc == 0 && (picks = calloc(ncm + 1, sizeof(*picks))) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t c = 0; rc == 0 && c < ncm; c++)
        rc = choose(st, cm[c].scope, o, &picks[c]);
    if (rc < 0)
        goto done;

    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "form", f.id);
    cJSON_AddStringToObject(doc, "title", f.title);
    cJSON_AddStringToObject(doc, "kind", f.kind);
    cJSON_AddStringToObject(doc, "period", o->period);
    cJSON_AddBoolToObject(doc, "include_drafts", o->include_drafts);
    cJSON_AddNumberToObject(doc, "communes_total", (double)ncm);
    cJSON *jc = cJSON_AddArrayToObject(doc, "communes");
    cJSON *jnot = cJSON_AddArrayToObject(doc, "not_sent");
    cJSON *jdr = cJSON_AddArrayToObject(doc, "drafts");
    cJSON *junb = cJSON_AddArrayToObject(doc, "unbound");
    int *counted = calloc(ncm + 1, sizeof(int));
    for (size_t c = 0; c < ncm; c++) {
        pick *p = &picks[c];
        char t[48];
        cJSON *x = cJSON_CreateObject();
        fmt_time(cm[c].last_sync, t, sizeof(t));
        counted[c] = p->snap != NULL &&
                     (strcmp(p->status, "sent") == 0 || strcmp(p->status, "accepted") == 0 ||
                      (o->include_drafts && strcmp(p->status, "draft") == 0));
        cJSON_AddStringToObject(x, "scope", cm[c].scope);
        cJSON_AddStringToObject(x, "name", cm[c].name);
        cJSON_AddStringToObject(x, "last_sync", t);
        cJSON_AddStringToObject(x, "status", p->status);
        cJSON_AddStringToObject(x, "report", p->id);
        fmt_time(p->sent_at, t, sizeof(t));
        cJSON_AddStringToObject(x, "sent_at", p->sent_at > 0 ? t : "");
        cJSON_AddBoolToObject(x, "counted", counted[c]);
        cJSON_AddStringToObject(x, "reason", p->reason);
        cJSON_AddItemToArray(jc, x);
        if (strcmp(p->status, "draft") == 0) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "scope", cm[c].scope);
            cJSON_AddStringToObject(d, "name", cm[c].name);
            cJSON_AddStringToObject(d, "report", p->id);
            cJSON_AddItemToArray(jdr, d);
        }
        if (!counted[c] && strcmp(p->status, "draft") != 0) {
            cJSON *d = cJSON_CreateObject();
            fmt_time(cm[c].last_sync, t, sizeof(t));
            cJSON_AddStringToObject(d, "scope", cm[c].scope);
            cJSON_AddStringToObject(d, "name", cm[c].name);
            cJSON_AddStringToObject(d, "last_sync", t);
            cJSON_AddStringToObject(d, "status", p->status);
            cJSON_AddStringToObject(d, "reason", p->reason);
            cJSON_AddItemToArray(jnot, d);
        }
        if (!counted[c])
            continue;
        const cJSON *u;
        cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(p->snap, "unbound"))
        {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "scope", cm[c].scope);
            cJSON_AddStringToObject(d, "name", cm[c].name);
            cJSON_AddStringToObject(d, "tt", jstr(u, "tt"));
            cJSON_AddStringToObject(d, "row", jstr(u, "name"));
            cJSON_AddStringToObject(d, "reason", "unbound");
            cJSON_AddItemToArray(junb, d);
        }
        cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(p->snap, "rows"))
        {
            if (strcmp(jstr(u, "bound_by"), "position") != 0)
                continue;
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "scope", cm[c].scope);
            cJSON_AddStringToObject(d, "name", cm[c].name);
            cJSON_AddStringToObject(d, "tt", jstr(u, "tt"));
            cJSON_AddStringToObject(d, "row", jstr(u, "name"));
            cJSON_AddStringToObject(d, "reason", "position");
            cJSON_AddStringToObject(d, "code", jstr(u, "code"));
            cJSON_AddItemToArray(junb, d);
        }
    }

    cJSON *ji = cJSON_AddArrayToObject(doc, "indicators");
    acc *sums = calloc(f.n * 3 + 1, sizeof(acc));
    size_t *nind = calloc(f.n + 1, sizeof(size_t));
    for (size_t i = 0; i < f.n; i++) {
        const xa_indicator *d = &f.ind[i];
        cJSON *x = cJSON_CreateObject(), *ex, *per, *texts = NULL;
        static const char *const aggs[] = {"", "sum", "mean", "ratio", "none"};
        cJSON_AddStringToObject(x, "code", d->code);
        cJSON_AddStringToObject(x, "tt", d->tt);
        cJSON_AddStringToObject(x, "name", d->name);
        cJSON_AddStringToObject(x, "unit", d->unit);
        cJSON_AddStringToObject(x, "group", d->group);
        cJSON_AddStringToObject(x, "aggregation", aggs[d->agg]);
        cJSON_AddBoolToObject(x, "year_end", d->year_end);
        per = cJSON_AddObjectToObject(x, "communes");
        ex = cJSON_AddArrayToObject(x, "excluded");
        if (d->agg == XA_AGG_NONE)
            texts = cJSON_AddObjectToObject(x, "texts");
        for (size_t c = 0; c < ncm; c++) {
            const cJSON *row = NULL, *u;
            int dup = 0;
            char vi[600], en[600];
            if (!counted[c])
                continue;
            cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(picks[c].snap, "rows"))
            {
                if (strcmp(jstr(u, "code"), d->code) != 0)
                    continue;
                if (row)
                    dup = 1;
                else
                    row = u;
            }
            if (row == NULL) {
                exclude(ex, cm[c].scope, cm[c].name, "", "missing",
                        "không có dòng nào gắn với chỉ tiêu này",
                        "no row of the report is bound to this indicator", NULL);
                continue;
            }
            if (dup) {
                exclude(ex, cm[c].scope, cm[c].name, "", "duplicate",
                        "hai dòng cùng gắn với chỉ tiêu này (xasync report bind để sửa)",
                        "two rows are bound to this indicator (fix with xasync report bind)", NULL);
                continue;
            }
            if (strcmp(jstr(row, "bound_by"), "position") == 0) {
                snprintf(vi, sizeof(vi),
                         "dòng %s \"%s\" chỉ khớp theo số thứ tự, chưa xác nhận (xasync report "
                         "bind ind/%s %s)",
                         jstr(row, "tt"), jstr(row, "name"), jstr(row, "tt"), d->code);
                snprintf(en, sizeof(en),
                         "row %s \"%s\" matches by position only, not confirmed (xasync report "
                         "bind ind/%s %s)",
                         jstr(row, "tt"), jstr(row, "name"), jstr(row, "tt"), d->code);
                exclude(ex, cm[c].scope, cm[c].name, "", "position", vi, en, NULL);
                continue;
            }
            const char *unit = jstr(row, "unit");
            cJSON *mine = cJSON_CreateObject();
            const cJSON *conf = cJSON_GetObjectItemCaseSensitive(row, "conflict");
            int unit_bad = 0;
            cJSON_AddItemToObject(per, cm[c].scope, mine);
            for (int k = 0; k < 3; k++) {
                const char *fig = jstr(row, COLS[k]);
                const cJSON *cv = cJSON_GetObjectItemCaseSensitive(conf, COLS[k]);
                xa_vnum v, w;
                if (cv == NULL && cJSON_GetObjectItemCaseSensitive(conf, "unit"))
                    cv = cJSON_GetObjectItemCaseSensitive(conf, "unit");
                if (cv) {
                    xa_sb b = {0};
                    const cJSON *e;
                    cJSON_ArrayForEach(e, cv)
                        xa_sb_printf(&b, "%s%s", b.n ? " | " : "", e->valuestring);
                    xa_sb_add(&b, "", 0);
                    snprintf(vi, sizeof(vi), "đang xung đột giữa các máy: %s", b.p ? b.p : "");
                    snprintf(en, sizeof(en), "in conflict between PCs: %s", b.p ? b.p : "");
                    free(b.p);
                    exclude(ex, cm[c].scope, cm[c].name, COLS[k], "conflict", vi, en, cv);
                    continue;
                }
                if (fig[0] == '\0')
                    continue;
                if (d->agg == XA_AGG_NONE) {
                    if (k == 2) {
                        const cJSON *t = cJSON_GetObjectItemCaseSensitive(texts, fig);
                        if (t)
                            cJSON_SetNumberValue((cJSON *)t, t->valuedouble + 1);
                        else
                            cJSON_AddNumberToObject(texts, fig, 1);
                    }
                    cJSON *fo = cJSON_CreateObject();
                    cJSON_AddStringToObject(fo, "text", fig);
                    cJSON_AddItemToObject(mine, COLS[k], fo);
                    continue;
                }
                if (xa_figure_parse(fig, &v) < 0) {
                    snprintf(vi, sizeof(vi), "'%s' không phải là số", fig);
                    snprintf(en, sizeof(en), "'%s' is not a number", fig);
                    exclude(ex, cm[c].scope, cm[c].name, COLS[k], "nan", vi, en, NULL);
                    continue;
                }
                if (unit[0] && d->unit[0] &&
                    xa_unit_convert(&v, unit, d->unit, (const char *const *)f.units, f.nunits, &w) <
                        0) {
                    if (!unit_bad) {
                        snprintf(vi, sizeof(vi), "đơn vị %s không đổi được sang %s", unit, d->unit);
                        snprintf(en, sizeof(en), "unit %s does not convert to %s", unit, d->unit);
                        exclude(ex, cm[c].scope, cm[c].name, "", "unit", vi, en, NULL);
                    }
                    unit_bad = 1;
                    continue;
                }
                if (!(unit[0] && d->unit[0]))
                    w = v;
                w.percent = 0;
                cJSON_AddItemToObject(mine, COLS[k], figure(&w, (size_t)-1));
                acc_add(&sums[i * 3 + k], &w);
            }
            nind[i]++;
        }
        cJSON_AddItemToArray(ji, x);
    }
    /* district figures */
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, ji)
    {
        const xa_indicator *d = &f.ind[i];
        cJSON *dist = cJSON_AddObjectToObject((cJSON *)x, "district");
        xa_vnum val[3];
        int have[3] = {0, 0, 0};
        size_t nmax = 0;
        for (int k = 0; k < 3; k++) {
            acc *a = &sums[i * 3 + k];
            if (a->n > nmax)
                nmax = a->n;
            if (d->agg == XA_AGG_NONE || !a->any || a->overflow) {
                cJSON_AddNullToObject(dist, COLS[k]);
                continue;
            }
            if (d->agg == XA_AGG_SUM) {
                val[k] = a->sum;
            } else if (d->agg == XA_AGG_MEAN) {
                xa_vnum n100 = {(int64_t)a->n * 100, 0, 0};
                if (xa_vnum_ratio(&a->sum, &n100, 2, &val[k]) < 0) {
                    cJSON_AddNullToObject(dist, COLS[k]);
                    continue;
                }
            } else {
                const xa_indicator *nu = xa_form_find(&f, d->num), *de = xa_form_find(&f, d->den);
                acc *an = &sums[(size_t)(nu - f.ind) * 3 + k],
                    *ad = &sums[(size_t)(de - f.ind) * 3 + k];
                if (!an->any || !ad->any || xa_vnum_ratio(&an->sum, &ad->sum, 1, &val[k]) < 0) {
                    cJSON_AddNullToObject(dist, COLS[k]);
                    continue;
                }
                a->n = an->n < ad->n ? an->n : ad->n;
            }
            have[k] = 1;
            cJSON_AddItemToObject(dist, COLS[k], figure_s(&val[k], a->n, d->agg == XA_AGG_RATIO));
        }
        /* derived columns, recomputed for the district */
        if ((f.derived & 1) && have[2] && have[0] && val[0].units != 0) {
            xa_vnum r;
            if (xa_vnum_ratio(&val[2], &val[0], 1, &r) == 0)
                cJSON_AddItemToObject(dist, "vs_prev", figure_s(&r, (size_t)-1, 1));
        }
        if ((f.derived & 2) && have[2] && have[1] && val[1].units != 0) {
            xa_vnum r;
            if (xa_vnum_ratio(&val[2], &val[1], 1, &r) == 0)
                cJSON_AddItemToObject(dist, "vs_plan", figure_s(&r, (size_t)-1, 1));
        }
        if ((f.derived & 4) && have[2] && have[1] && d->agg == XA_AGG_SUM) {
            xa_vnum r;
            if (xa_vnum_sub(&val[1], &val[2], &r) == 0) {
                if (r.units < 0)
                    r.units = 0;
                cJSON_AddItemToObject(dist, "remain", figure(&r, (size_t)-1));
            }
        }
        size_t n = d->agg == XA_AGG_NONE ? nind[i] : sums[i * 3 + 2].n ? sums[i * 3 + 2].n : nmax;
        char cnt[64];
        snprintf(cnt, sizeof(cnt), "%zu / %zu xã", n, ncm);
        cJSON_AddNumberToObject((cJSON *)x, "n", (double)n);
        cJSON_AddNumberToObject((cJSON *)x, "N", (double)ncm);
        cJSON_AddStringToObject((cJSON *)x, "counted", cnt);
        i++;
    }
    free(sums);
    free(nind);
    free(counted);
    *json = cJSON_Print(doc);
    if (*json == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
done:
    cJSON_Delete(doc);
    for (size_t c = 0; picks && c < ncm; c++)
        cJSON_Delete(picks[c].snap);
    free(picks);
    free(cm);
    xa_form_free(&f);
    return rc;
}

/* ---- printing --------------------------------------------------------------- */

static const char *ftext(const cJSON *o, const char *col)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, col);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "text");

    return cJSON_IsString(t) ? t->valuestring : "";
}

static void csv_field(xa_sb *b, const char *s, int last)
{
    xa_sb_add(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            xa_sb_add(b, "\"", 1);
        xa_sb_add(b, p, 1);
    }
    xa_sb_add(b, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

static void html_text(xa_sb *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<':
            xa_sb_puts(b, "&lt;");
            break;
        case '>':
            xa_sb_puts(b, "&gt;");
            break;
        case '&':
            xa_sb_puts(b, "&amp;");
            break;
        case '"':
            xa_sb_puts(b, "&quot;");
            break;
        default:
            xa_sb_add(b, p, 1);
        }
    }
}

static const char *reason_vi(const char *r)
{
    return strcmp(r, "unbound") == 0    ? "dòng chưa gắn chỉ tiêu / row not bound"
           : strcmp(r, "position") == 0 ? "chỉ khớp theo số thứ tự / bound by position only"
                                        : r;
}

int xa_rollup2_print(const char *json, int format, int by_commune, char **out)
{
    cJSON *doc = cJSON_Parse(json);
    const cJSON *ind, *c, *e;
    const cJSON *communes = cJSON_GetObjectItemCaseSensitive(doc, "communes");
    xa_sb b = {0};

    if (doc == NULL)
        return xa_error_set(XA_EINVAL, "not a rollup document");
    if (format == XA_ROLLUP_JSON) {
        xa_sb_puts(&b, json);
        xa_sb_puts(&b, "\n");
    } else if (format == XA_ROLLUP_CSV) {
        if (by_commune) {
            csv_field(&b, "code", 0);
            csv_field(&b, "name", 0);
            csv_field(&b, "unit", 0);
            cJSON_ArrayForEach(c, communes) csv_field(&b, jstr(c, "name"), 0);
            csv_field(&b, "district", 1);
        } else {
            static const char *const h[] = {"code",   "tt",       "name", "unit",    "aggregation",
                                            "prev",   "plan",     "est",  "vs_prev", "vs_plan",
                                            "remain", "communes", "of"};
            for (size_t k = 0; k < 13; k++)
                csv_field(&b, h[k], k == 12);
        }
        cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
        {
            const cJSON *dist = cJSON_GetObjectItemCaseSensitive(ind, "district");
            char n[32], nn[32];
            if (by_commune) {
                csv_field(&b, jstr(ind, "code"), 0);
                csv_field(&b, jstr(ind, "name"), 0);
                csv_field(&b, jstr(ind, "unit"), 0);
                const cJSON *per = cJSON_GetObjectItemCaseSensitive(ind, "communes");
                cJSON_ArrayForEach(c, communes) csv_field(
                    &b, ftext(cJSON_GetObjectItemCaseSensitive(per, jstr(c, "scope")), "est"), 0);
                csv_field(&b, ftext(dist, "est"), 1);
                continue;
            }
            snprintf(n, sizeof(n), "%d", cJSON_GetObjectItemCaseSensitive(ind, "n")->valueint);
            snprintf(nn, sizeof(nn), "%d", cJSON_GetObjectItemCaseSensitive(ind, "N")->valueint);
            const char *v[] = {jstr(ind, "code"),
                               jstr(ind, "tt"),
                               jstr(ind, "name"),
                               jstr(ind, "unit"),
                               jstr(ind, "aggregation"),
                               ftext(dist, "prev"),
                               ftext(dist, "plan"),
                               ftext(dist, "est"),
                               ftext(dist, "vs_prev"),
                               ftext(dist, "vs_plan"),
                               ftext(dist, "remain"),
                               n,
                               nn};
            for (size_t k = 0; k < 13; k++)
                csv_field(&b, v[k], k == 12);
        }
    } else {
        int html = format == XA_ROLLUP_HTML;
        if (html) {
            xa_sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
                           "<title>Tổng hợp</title><style>body{font-family:'Times New Roman',"
                           "serif;margin:2em}table{border-collapse:collapse}td,th{border:1px "
                           "solid #000;padding:2px 6px}td.n{text-align:right}.x{color:#a00}"
                           "</style></head><body>\n<h1>");
            html_text(&b, "Tổng hợp / Rollup: ");
            html_text(&b, jstr(doc, "title"));
            xa_sb_puts(&b, "</h1>\n<p>");
            html_text(&b, jstr(doc, "form"));
            xa_sb_puts(&b, " · ");
            html_text(&b, jstr(doc, "period"));
            xa_sb_puts(&b, "</p>\n<table><tr><th>Mã</th><th>TT</th><th>Chỉ tiêu</th><th>ĐVT</th>");
            if (by_commune) {
                cJSON_ArrayForEach(c, communes)
                {
                    xa_sb_puts(&b, "<th>");
                    html_text(&b, jstr(c, "name"));
                    xa_sb_puts(&b, "</th>");
                }
                xa_sb_puts(&b, "<th>Toàn huyện</th></tr>\n");
            } else {
                xa_sb_puts(&b, "<th>KQ cùng kỳ</th><th>KH</th><th>Ước thực hiện</th><th>So với "
                               "cùng kỳ (%)</th><th>So với KH (%)</th><th>Còn phải thực hiện"
                               "</th><th>Số xã</th></tr>\n");
            }
        } else {
            xa_sb_printf(&b, "Tổng hợp / rollup: %s — %s, kỳ / period %s\n", jstr(doc, "form"),
                         jstr(doc, "title"), jstr(doc, "period"));
            if (by_commune) {
                xa_sb_puts(&b, "Mã\tChỉ tiêu\tĐVT");
                cJSON_ArrayForEach(c, communes) xa_sb_printf(&b, "\t%s", jstr(c, "name"));
                xa_sb_puts(&b, "\tToàn huyện\n");
            } else {
                xa_sb_puts(&b, "Mã\tTT\tChỉ tiêu\tĐVT\tKQ cùng kỳ\tKH\tƯớc thực hiện\tSo với cùng "
                               "kỳ (%)\tSo với KH (%)\tCòn phải thực hiện\tSố xã / communes\n");
            }
        }
        cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
        {
            const cJSON *dist = cJSON_GetObjectItemCaseSensitive(ind, "district");
            const cJSON *per = cJSON_GetObjectItemCaseSensitive(ind, "communes");
            xa_sb est = {0};
            if (strcmp(jstr(ind, "aggregation"), "none") == 0) {
                const cJSON *t;
                cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ind, "texts"))
                    xa_sb_printf(&est, "%s%s: %d", est.n ? "; " : "", t->string, t->valueint);
            } else {
                xa_sb_puts(&est, ftext(dist, "est"));
            }
            xa_sb_add(&est, "", 0);
            if (html) {
                const char *cells[] = {jstr(ind, "code"), jstr(ind, "tt"), jstr(ind, "name"),
                                       jstr(ind, "unit")};
                xa_sb_puts(&b, "<tr>");
                for (int k = 0; k < 4; k++) {
                    xa_sb_puts(&b, "<td>");
                    html_text(&b, cells[k]);
                    xa_sb_puts(&b, "</td>");
                }
                if (by_commune) {
                    cJSON_ArrayForEach(c, communes)
                    {
                        xa_sb_puts(&b, "<td class=\"n\">");
                        html_text(&b, ftext(cJSON_GetObjectItemCaseSensitive(per, jstr(c, "scope")),
                                            "est"));
                        xa_sb_puts(&b, "</td>");
                    }
                    xa_sb_puts(&b, "<td class=\"n\">");
                    html_text(&b, est.p ? est.p : "");
                    xa_sb_puts(&b, "</td></tr>\n");
                } else {
                    const char *v[] = {ftext(dist, "prev"),    ftext(dist, "plan"),
                                       est.p ? est.p : "",     ftext(dist, "vs_prev"),
                                       ftext(dist, "vs_plan"), ftext(dist, "remain"),
                                       jstr(ind, "counted")};
                    for (int k = 0; k < 7; k++) {
                        xa_sb_puts(&b, "<td class=\"n\">");
                        html_text(&b, v[k]);
                        xa_sb_puts(&b, "</td>");
                    }
                    xa_sb_puts(&b, "</tr>\n");
                }
            } else if (by_commune) {
                xa_sb_printf(&b, "%s\t%s\t%s", jstr(ind, "code"), jstr(ind, "name"),
                             jstr(ind, "unit"));
                cJSON_ArrayForEach(c, communes) xa_sb_printf(
                    &b, "\t%s",
                    ftext(cJSON_GetObjectItemCaseSensitive(per, jstr(c, "scope")), "est"));
                xa_sb_printf(&b, "\t%s\n", est.p ? est.p : "");
            } else {
                xa_sb_printf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", jstr(ind, "code"),
                             jstr(ind, "tt"), jstr(ind, "name"), jstr(ind, "unit"),
                             ftext(dist, "prev"), ftext(dist, "plan"), est.p ? est.p : "",
                             ftext(dist, "vs_prev"), ftext(dist, "vs_plan"), ftext(dist, "remain"),
                             jstr(ind, "counted"));
            }
            free(est.p);
        }
        if (html)
            xa_sb_puts(&b, "</table>\n<h2>Không tính / Left out</h2>\n<ul>\n");
        else
            xa_sb_puts(&b, "\nKhông tính / left out:\n");
        cJSON_ArrayForEach(ind, cJSON_GetObjectItemCaseSensitive(doc, "indicators"))
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(ind, "excluded"))
        {
            if (strcmp(jstr(e, "reason"), "missing") == 0 &&
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ind, "year_end")))
                continue;
            if (html) {
                xa_sb_puts(&b, "<li class=\"x\">");
                xa_sb_printf(&b, "%s ", jstr(ind, "code"));
                html_text(&b, jstr(e, "name"));
                xa_sb_puts(&b, ": ");
                html_text(&b, jstr(e, "vi"));
                xa_sb_puts(&b, " / ");
                html_text(&b, jstr(e, "en"));
                xa_sb_puts(&b, "</li>\n");
            } else {
                xa_sb_printf(&b, "  %s %s%s%s: %s / %s\n", jstr(ind, "code"), jstr(e, "name"),
                             jstr(e, "column")[0] ? " " : "", jstr(e, "column"), jstr(e, "vi"),
                             jstr(e, "en"));
            }
        }
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "unbound"))
        {
            if (html) {
                xa_sb_puts(&b, "<li class=\"x\">");
                html_text(&b, jstr(e, "name"));
                xa_sb_puts(&b, ": ");
                html_text(&b, jstr(e, "tt"));
                xa_sb_puts(&b, " ");
                html_text(&b, jstr(e, "row"));
                xa_sb_puts(&b, " — ");
                html_text(&b, reason_vi(jstr(e, "reason")));
                xa_sb_puts(&b, "</li>\n");
            } else {
                xa_sb_printf(&b, "  %s: dòng / row %s \"%s\": %s\n", jstr(e, "name"), jstr(e, "tt"),
                             jstr(e, "row"), reason_vi(jstr(e, "reason")));
            }
        }
        if (html)
            xa_sb_puts(&b, "</ul>\n<h2>Chưa gửi / Not sent</h2>\n<ul>\n");
        else
            xa_sb_puts(&b, "\nChưa gửi / not sent:\n");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "not_sent"))
        {
            const char *st = jstr(e, "status");
            char line[1024];
            snprintf(line, sizeof(line), "%s (%s): %s; đồng bộ lần cuối / last sync %s%s%s",
                     jstr(e, "name"), jstr(e, "scope"),
                     strcmp(st, "returned") == 0 ? "bị trả lại / returned" : "chưa gửi / not sent",
                     jstr(e, "last_sync"), jstr(e, "reason")[0] ? " — " : "", jstr(e, "reason"));
            if (html) {
                xa_sb_puts(&b, "<li>");
                html_text(&b, line);
                xa_sb_puts(&b, "</li>\n");
            } else {
                xa_sb_printf(&b, "  %s\n", line);
            }
        }
        if (html)
            xa_sb_puts(&b, "</ul>\n<h2>Bản nháp / Drafts</h2>\n<ul>\n");
        else
            xa_sb_printf(&b, "\nBản nháp / drafts%s:\n",
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "include_drafts"))
                             ? " (tính vào / counted)"
                             : " (không tính / not counted; --include-drafts)");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "drafts"))
        {
            if (html) {
                xa_sb_puts(&b, "<li>");
                html_text(&b, jstr(e, "name"));
                xa_sb_puts(&b, "</li>\n");
            } else {
                xa_sb_printf(&b, "  %s (%s): %s\n", jstr(e, "name"), jstr(e, "scope"),
                             jstr(e, "report"));
            }
        }
        if (html)
            xa_sb_puts(&b, "</ul>\n</body></html>\n");
    }
    cJSON_Delete(doc);
    xa_sb_add(&b, "", 0);
    if (b.failed) {
        free(b.p);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    *out = b.p;
    return 0;
}
