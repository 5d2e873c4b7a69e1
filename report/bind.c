/*
 * A commune's table bound to the district's form (form.h): each row to an
 * indicator, by name, by a diacritics-insensitive name (a fallback that is
 * reported), by position (a suggestion, never counted silently) or by hand;
 * a report started from a form; the period a report is for.
 *
 * Invariants: a row bound by hand keeps its binding until bound again by
 * hand; bindings are ordinary fields (code, bound_by) written only where
 * they change, so they sync and have history like every edit.
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(xa_store *st,
               const char *scope,
               const char *entity,
               const char *field,
               const char *text,
               const char *author)
{
    char *j = xa_rvalue_encode(text);
    int rc;

    if (j == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_store_set(st, scope, entity, field, j, author, 0, NULL);
    free(j);
    return rc;
}

static int is_group_tt(const char *tt)
{
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

const char *xa_row_unit(const xa_report *r, size_t i)
{
    /* a ditto mark (") repeats the unit of the row above */
    for (size_t k = i + 1; k-- > 0;) {
        const xa_block *b = &r->b[k];
        if (b->deleted || strcmp(b->kind, "row") != 0)
            continue;
        if (strcmp(b->unit, "\"") != 0 && strcmp(b->unit, "“") != 0 && strcmp(b->unit, "”") != 0)
            return b->unit;
    }
    return "";
}

int xa_report_form(xa_store *st, const char *scope, const char *id, xa_form *out)
{
    xa_field f;
    char *form;
    int rc = xa_store_get(st, scope, id, "form", &f);

    if (rc == XA_ENOTFOUND)
        return xa_error_set(XA_ENOTFOUND,
                            "báo cáo %s chưa gắn biểu mẫu / report %s follows no form (import it "
                            "with --form ID, or start one with `report new --form ID`)",
                            id, id);
    if (rc < 0)
        return rc;
    form = xa_rvalue_decode(f.v[0].value);
    xa_field_clear(&f);
    if (form == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_form_get(st, scope, form, out);
    free(form);
    return rc;
}

typedef struct keyed {
    char *exact, *folded;
} keyed;

static void keys_free(keyed *k, size_t n)
{
    for (size_t i = 0; k && i < n; i++) {
        free(k[i].exact);
        free(k[i].folded);
    }
    free(k);
}

static int unit_fits(const xa_form *f, const xa_indicator *d, const char *unit)
{
    xa_vnum one = {1, 0, 0}, out;

    if (d->unit[0] == '\0' || unit[0] == '\0')
        return 1;
    return xa_unit_convert(&one, unit, d->unit, (const char *const *)f->units, f->nunits, &out) ==
           0;
}

int xa_report_bind_all(xa_store *st,
                       const char *scope,
                       const char *id,
                       const xa_form *f,
                       const char *author,
                       size_t *changed)
{
    xa_report r;
    keyed *k = NULL;
    char *taken = NULL;
    size_t nch = 0;
    int rc = xa_report_load(st, scope, id, &r);

    if (rc < 0)
        return rc;
    if ((k = calloc(f->n + 1, sizeof(*k))) == NULL || (taken = calloc(f->n + 1, 1)) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < f->n; i++) {
        k[i].exact = xa_name_key(f->ind[i].name, 0);
        k[i].folded = xa_name_key(f->ind[i].name, 1);
        if (!k[i].exact || !k[i].folded)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    /* the report's form (and kind) */
    if (rc == 0) {
        xa_field cur;
        int have = xa_store_get(st, scope, id, "form", &cur) == 0;
        char *v = have ? xa_rvalue_decode(cur.v[0].value) : NULL;
        if (have)
            xa_field_clear(&cur);
        if (!have || v == NULL || strcmp(v, f->id) != 0) {
            rc = put(st, scope, id, "form", f->id, author);
            if (rc == 0 && strcmp(r.kind, f->kind) != 0)
                rc = put(st, scope, id, "kind", f->kind, author);
        }
        free(v);
    }
    /* pass 1: names; pass 2: positions for what is left */
    char **code = calloc(r.n + 1, sizeof(char *));
    const char **how = calloc(r.n + 1, sizeof(char *));
    if (rc == 0 && (code == NULL || how == NULL))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        const xa_block *b = &r.b[i];
        if (b->deleted || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt))
            continue;
        if (strcmp(b->bound_by, "manual") == 0) {
            code[i] = b->code;
            how[i] = "manual";
            const xa_indicator *d = b->code[0] ? xa_form_find(f, b->code) : NULL;
            if (d)
                taken[d - f->ind] = 1;
            continue;
        }
        char *ex = xa_name_key(b->name, 0), *fo = xa_name_key(b->name, 1);
        const char *unit = xa_row_unit(&r, i);
        if (!ex || !fo) {
            free(ex);
            free(fo);
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        size_t best = f->n;
        for (int pass = 0; pass < 2 && best == f->n; pass++)
            for (size_t d = 0; d < f->n; d++) {
                if (strcmp(pass == 0 ? k[d].exact : k[d].folded, pass == 0 ? ex : fo) != 0)
                    continue;
                /* a name shared by several indicators: the one whose unit fits */
                if (best == f->n ||
                    (!unit_fits(f, &f->ind[best], unit) && unit_fits(f, &f->ind[d], unit)))
                    best = d;
                if (best != f->n)
                    how[i] = pass == 0 ? "name" : "fallback";
            }
        if (best < f->n) {
            code[i] = f->ind[best].code;
            taken[best] = 1;
        }
        free(ex);
        free(fo);
    }
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        const xa_block *b = &r.b[i];
        if (b->deleted || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt) || how[i] ||
            strcmp(b->tt, "-") == 0 || b->tt[0] == '\0')
            continue;
        for (size_t d = 0; d < f->n; d++)
            if (!taken[d] && strcmp(f->ind[d].tt, b->tt) == 0) {
                code[i] = f->ind[d].code;
                how[i] = "position";
                taken[d] = 1;
                break;
            }
    }
    for (size_t i = 0; rc == 0 && i < r.n; i++) {
        const xa_block *b = &r.b[i];
        char ent[XA_ENTITY_MAX + 1];
        const char *c = code[i] ? code[i] : "", *h = how[i] ? how[i] : "";
        if (b->deleted || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt))
            continue;
        if (strcmp(b->code, c) == 0 && strcmp(b->bound_by, h) == 0)
            continue;
        snprintf(ent, sizeof(ent), "%s/b/%s", id, b->id);
        rc = put(st, scope, ent, "code", c, author);
        if (rc == 0)
            rc = put(st, scope, ent, "bound_by", h, author);
        nch++;
    }
    free(code);
    free(how);
    keys_free(k, f->n);
    free(taken);
    xa_report_free(&r);
    if (rc == 0 && changed)
        *changed = nch;
    return rc;
}

static int add_finding(xa_finding **list,
                       size_t *n,
                       const char *code,
                       const char *severity,
                       const char *where,
                       const char *vi,
                       const char *en)
{
    xa_finding *nl = realloc(*list, (*n + 1) * sizeof(**list));

    if (nl == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    *list = nl;
    memset(&nl[*n], 0, sizeof(nl[*n]));
    nl[*n].where = strdup(where);
    nl[*n].vi = strdup(vi);
    nl[*n].en = strdup(en);
    snprintf(nl[*n].code, sizeof(nl[*n].code), "%s", code);
    snprintf(nl[*n].severity, sizeof(nl[*n].severity), "%s", severity);
    if (!nl[*n].where || !nl[*n].vi || !nl[*n].en) {
        free(nl[*n].where);
        free(nl[*n].vi);
        free(nl[*n].en);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    (*n)++;
    return 0;
}

int xa_bind_findings(const xa_report *r, const xa_form *f, xa_finding **list, size_t *n)
{
    int rc = 0;

    for (size_t i = 0; f && rc == 0 && i < r->n; i++) {
        const xa_block *b = &r->b[i];
        char where[64], vi[700], en[700];
        if (b->deleted || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt))
            continue;
        snprintf(where, sizeof(where), "ind/%s", b->tt);
        const xa_indicator *d = b->code[0] ? xa_form_find(f, b->code) : NULL;
        if (b->code[0] == '\0' || d == NULL) {
            snprintf(vi, sizeof(vi),
                     "dòng \"%s\" chưa gắn với chỉ tiêu nào của biểu mẫu %s; huyện "
                     "sẽ không cộng dòng này (xasync report bind %s MÃ)",
                     b->name, f->id, where);
            snprintf(en, sizeof(en),
                     "row \"%s\" is bound to no indicator of form %s; the "
                     "district will not add it up (xasync report bind %s CODE)",
                     b->name, f->id, where);
            rc = add_finding(list, n, "bind.unbound", "warning", where, vi, en);
            continue;
        }
        if (strcmp(b->bound_by, "position") == 0) {
            snprintf(vi, sizeof(vi),
                     "dòng \"%s\" chỉ khớp với %s \"%s\" theo số thứ tự; huyện "
                     "chưa cộng cho đến khi xác nhận (xasync report bind %s %s)",
                     b->name, d->code, d->name, where, d->code);
            snprintf(en, sizeof(en),
                     "row \"%s\" matches %s \"%s\" by position only; the "
                     "district does not count it until confirmed (xasync report bind %s %s)",
                     b->name, d->code, d->name, where, d->code);
            rc = add_finding(list, n, "bind.position", "warning", where, vi, en);
        } else if (strcmp(b->bound_by, "fallback") == 0) {
            snprintf(vi, sizeof(vi), "dòng \"%s\" khớp với %s \"%s\" khi bỏ dấu; xem lại tên",
                     b->name, d->code, d->name);
            snprintf(en, sizeof(en),
                     "row \"%s\" matches %s \"%s\" only without diacritics; "
                     "check the name",
                     b->name, d->code, d->name);
            rc = add_finding(list, n, "bind.fallback", "warning", where, vi, en);
        }
        const char *unit = xa_row_unit(r, i);
        if (rc == 0 && !unit_fits(f, d, unit)) {
            snprintf(vi, sizeof(vi),
                     "đơn vị \"%s\" không đổi được sang \"%s\" của chỉ tiêu %s; huyện "
                     "sẽ không cộng",
                     unit, d->unit, d->code);
            snprintf(en, sizeof(en),
                     "unit \"%s\" does not convert to %s's \"%s\"; the district "
                     "will not add it up",
                     unit, d->code, d->unit);
            rc = add_finding(list, n, "bind.unit", "error", where, vi, en);
        }
    }
    return rc;
}

int xa_report_rebind(xa_store *st, const char *scope, const char *id, const char *author)
{
    xa_form f;
    int rc = xa_report_form(st, scope, id, &f);

    if (rc == XA_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    rc = xa_report_bind_all(st, scope, id, &f, author, NULL);
    xa_form_free(&f);
    return rc;
}

int xa_report_bind(xa_store *st,
                   const char *scope,
                   const char *id,
                   const char *path,
                   const char *code,
                   const char *author)
{
    xa_report r;
    xa_form f;
    char ent[XA_ENTITY_MAX + 1], field[XA_FIELD_MAX + 1];
    int rc = xa_report_form(st, scope, id, &f);

    if (rc < 0)
        return rc;
    if (strcmp(code, "-") != 0 && xa_form_find(&f, code) == NULL) {
        xa_sb b = {0};
        for (size_t i = 0; i < f.n && i < 40; i++)
            xa_sb_printf(&b, "%s%s", i ? ", " : "", f.ind[i].code);
        xa_sb_add(&b, "", 0);
        rc = xa_error_set(XA_EINVAL,
                          "mã chỉ tiêu '%s' không có trong biểu mẫu %s / code '%s' is not in form "
                          "%s (codes: %s)",
                          code, f.id, code, f.id, b.p ? b.p : "");
        free(b.p);
        xa_form_free(&f);
        return rc;
    }
    xa_form_free(&f);
    rc = xa_report_load(st, scope, id, &r);
    if (rc < 0)
        return rc;
    rc = xa_report_path(&r, path, ent, sizeof(ent), field, sizeof(field));
    if (rc == 0) {
        const char *bid = ent + strlen(id) + 3;
        const xa_block *b = NULL;
        for (size_t i = 0; i < r.n; i++)
            if (strncmp(ent, id, strlen(id)) == 0 && strcmp(r.b[i].id, bid) == 0)
                b = &r.b[i];
        if (b == NULL || strcmp(b->kind, "row") != 0 || is_group_tt(b->tt))
            rc = xa_error_set(XA_EINVAL, "'%s' is not an indicator row (write ind/TT)", path);
    }
    if (rc == 0)
        rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(st, scope, ent, "code", strcmp(code, "-") == 0 ? "" : code, author);
    if (rc == 0)
        rc = put(st, scope, ent, "bound_by", "manual", author);
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    xa_report_free(&r);
    return rc;
}

/* ---- a report from a form ------------------------------------------------- */

static const char digits62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void pos_nth(size_t i, size_t n, char out[8])
{
    unsigned long span = 62UL * 62 * 62, v = (unsigned long)((i + 1) * (span / (n + 1)));

    out[0] = digits62[(v / (62 * 62)) % 62];
    out[1] = digits62[(v / 62) % 62];
    out[2] = digits62[v % 62];
    out[3] = '\0';
}

int xa_report_new(xa_store *st,
                  const char *scope,
                  const char *id,
                  const xa_form *f,
                  const char *period,
                  const char *author)
{
    xa_field cur;
    size_t nblocks, bi = 0;
    int rc;
    char tid[24] = "";

    if ((rc = xa_check_entity(id)) < 0)
        return rc;
    if (strchr(id, '/'))
        return xa_error_set(XA_EINVAL, "a report id has no '/'");
    if ((rc = xa_period_check(f->period_type, period)) < 0)
        return rc;
    if (xa_store_get(st, scope, id, "title", &cur) == 0) {
        xa_field_clear(&cur);
        return xa_error_set(XA_EEXISTS, "report %s already exists; give another --id", id);
    }
    nblocks = f->noutline + f->n + f->ngroups + 1;
    rc = xa_store_begin(st);
    if (rc == 0)
        rc = put(st, scope, id, "kind", f->kind, author);
    if (rc == 0)
        rc = put(st, scope, id, "period", period, author);
    if (rc == 0)
        rc = put(st, scope, id, "form", f->id, author);
    if (rc == 0)
        rc = put(st, scope, id, "doctype", "BÁO CÁO", author);
    if (rc == 0)
        rc = put(st, scope, id, "title", f->title[0] ? f->title : f->id, author);
    int table_done = 0;
    for (size_t o = 0; rc == 0 && o <= f->noutline; o++) {
        int is_table = o == f->noutline ? !table_done : strcmp(f->outline[o].kind, "table") == 0;
        char ent[XA_ENTITY_MAX + 1], bid[24], pos[8];
        if (o < f->noutline && !is_table) {
            snprintf(bid, sizeof(bid), "%04zu", ++bi);
            snprintf(ent, sizeof(ent), "%s/b/%s", id, bid);
            pos_nth(bi - 1, nblocks, pos);
            rc = put(st, scope, ent, "kind", f->outline[o].kind, author);
            if (rc == 0)
                rc = put(st, scope, ent, "pos", pos, author);
            if (rc == 0)
                rc = put(st, scope, ent, "num", f->outline[o].num, author);
            if (rc == 0)
                rc = put(st, scope, ent, "text", f->outline[o].text, author);
            continue;
        }
        if (!is_table || table_done)
            continue;
        table_done = 1;
        snprintf(tid, sizeof(tid), "%04zu", ++bi);
        snprintf(ent, sizeof(ent), "%s/b/%s", id, tid);
        pos_nth(bi - 1, nblocks, pos);
        rc = put(st, scope, ent, "kind", "table", author);
        if (rc == 0)
            rc = put(st, scope, ent, "pos", pos, author);
        if (rc == 0)
            rc = put(st, scope, ent, "head", f->head, author);
        const char *group = NULL;
        for (size_t i = 0; rc == 0 && i < f->n; i++) {
            const xa_indicator *d = &f->ind[i];
            if (d->group[0] && (group == NULL || strcmp(group, d->group) != 0)) {
                group = d->group;
                for (size_t g = 0; rc == 0 && g < f->ngroups; g++) {
                    if (strcmp(f->groups[g].id, group) != 0)
                        continue;
                    snprintf(bid, sizeof(bid), "%04zu", ++bi);
                    snprintf(ent, sizeof(ent), "%s/b/%s", id, bid);
                    pos_nth(bi - 1, nblocks, pos);
                    rc = put(st, scope, ent, "kind", "row", author);
                    if (rc == 0)
                        rc = put(st, scope, ent, "pos", pos, author);
                    if (rc == 0)
                        rc = put(st, scope, ent, "table", tid, author);
                    if (rc == 0)
                        rc = put(st, scope, ent, "tt", f->groups[g].id, author);
                    if (rc == 0)
                        rc = put(st, scope, ent, "name", f->groups[g].name, author);
                }
            }
            snprintf(bid, sizeof(bid), "%04zu", ++bi);
            snprintf(ent, sizeof(ent), "%s/b/%s", id, bid);
            pos_nth(bi - 1, nblocks, pos);
            rc = put(st, scope, ent, "kind", "row", author);
            if (rc == 0)
                rc = put(st, scope, ent, "pos", pos, author);
            if (rc == 0)
                rc = put(st, scope, ent, "table", tid, author);
            if (rc == 0)
                rc = put(st, scope, ent, "tt", d->tt, author);
            if (rc == 0)
                rc = put(st, scope, ent, "name", d->name, author);
            if (rc == 0)
                rc = put(st, scope, ent, "unit", d->unit, author);
            if (rc == 0)
                rc = put(st, scope, ent, "code", d->code, author);
            if (rc == 0)
                rc = put(st, scope, ent, "bound_by", "name", author);
            /* evaluated at year end: said so in a report of a shorter period */
            if (rc == 0 && d->year_end && strcmp(f->period_type, "year") != 0)
                rc = put(st, scope, ent, "note", "Đánh giá vào cuối năm", author);
        }
    }
    if (rc == 0)
        rc = xa_store_commit(st);
    else
        xa_store_rollback(st);
    return rc;
}

/* ---- the period a report is for --------------------------------------------- */

static char *line_after(const char *text, const char *(*pick)(const char *line, size_t n))
{
    const char *p = text;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *hit = pick(p, n);
        if (hit) {
            size_t m = (size_t)(p + n - hit);
            char *s = malloc(m + 1);
            if (s) {
                memcpy(s, hit, m);
                s[m] = '\0';
            }
            return s;
        }
        p += n + (nl != NULL);
    }
    return NULL;
}

static const char *pick_date(const char *line, size_t n)
{
    for (size_t i = 0; i + 6 < n; i++)
        if (strncmp(line + i, ", ngày", 7) == 0)
            return line;
    return NULL;
}

/* the title: the first non-empty line after a line reading "BÁO CÁO" */
static char *find_title(const char *text)
{
    const char *p = text;
    int after = 0;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        if (line == NULL)
            return NULL;
        memcpy(line, p, n);
        line[n] = '\0';
        char *k = xa_name_key(line, 1);
        if (k && after && k[0]) {
            free(k);
            return line;
        }
        if (k && strcmp(k, "bao cao") == 0)
            after = 1;
        free(k);
        free(line);
        p += n + (nl != NULL);
    }
    return NULL;
}

/* the last "năm YYYY" (or a lone YYYY) in a folded line; 0 if none */
static int year_in(const char *k)
{
    int y = 0;

    for (const char *p = k; p && *p; p++)
        if ((p == k || p[-1] == ' ' || p[-1] == '/') && p[0] >= '1' && p[0] <= '2' &&
            strspn(p, "0123456789") == 4 &&
            (p[4] == '\0' || p[4] == ' ' || p[4] == ',' || p[4] == '.' || p[4] == ')'))
            y = atoi(p);
    return y;
}

int xa_period_guess(const char *text, const char *pt, char *out, size_t cap)
{
    char *title = find_title(text), *date = line_after(text, pick_date);
    char *tk = title ? xa_name_key(title, 1) : NULL, *dk = date ? xa_name_key(date, 1) : NULL;
    int year = tk ? year_in(tk) : 0, rc = 0;

    if (year == 0 && dk) {
        const char *m = strstr(dk, "nam ");
        year = m ? year_in(m + 4) : 0;
        /* a year-end report is written in the new year's January */
        if (year && strcmp(pt, "year") == 0 && strstr(dk, "thang 1 nam") &&
            !strstr(dk, "thang 11 nam"))
            year--;
    }
    if (year == 0) {
        rc = xa_error_set(XA_EINVAL,
                          "không xác định được kỳ báo cáo từ tiêu đề và ngày / cannot tell the "
                          "period from the title and the date: give --period (2024-h1, 2024, "
                          "2024-q3, 2024-07)");
    } else if (strcmp(pt, "year") == 0) {
        snprintf(out, cap, "%d", year);
    } else if (strcmp(pt, "half-year") == 0) {
        /* "Sơ kết … 6 tháng đầu năm, triển khai … 6 tháng cuối năm": the
         * half the report looks back on is named first */
        const char *h1p = tk ? strstr(tk, "6 thang dau nam") : NULL;
        const char *h2p = tk ? strstr(tk, "6 thang cuoi nam") : NULL;
        int h2 = h2p && (h1p == NULL || h2p < h1p);
        if (tk && !h1p && !h2p)
            rc = xa_error_set(XA_EINVAL, "the title does not say which half-year; give --period "
                                         "2024-h1 or 2024-h2");
        snprintf(out, cap, "%d-h%d", year, h2 ? 2 : 1);
    } else if (strcmp(pt, "quarter") == 0) {
        static const char *const q[] = {"quy iv", "quy iii", "quy ii", "quy i",
                                        "quy 4",  "quy 3",   "quy 2",  "quy 1"};
        static const int qn[] = {4, 3, 2, 1, 4, 3, 2, 1};
        int n = 0;
        for (size_t i = 0; tk && i < 8 && n == 0; i++)
            if (strstr(tk, q[i]))
                n = qn[i];
        if (n == 0)
            rc = xa_error_set(XA_EINVAL, "the title does not say which quarter; give --period "
                                         "2024-q1 .. 2024-q4");
        snprintf(out, cap, "%d-q%d", year, n);
    } else {
        const char *m = tk ? strstr(tk, "thang ") : NULL;
        int mo = m ? atoi(m + 6) : 0;
        if (mo < 1 || mo > 12)
            rc = xa_error_set(XA_EINVAL, "the title does not say which month; give --period "
                                         "2024-01 .. 2024-12");
        snprintf(out, cap, "%d-%02d", year, mo);
    }
    free(title);
    free(date);
    free(tk);
    free(dk);
    if (rc == 0)
        rc = xa_period_check(pt, out);
    return rc;
}
