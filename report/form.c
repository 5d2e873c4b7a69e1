/*
 * Forms the district defines (form.h): parsed and validated strictly,
 * made from a report's table, written as data into the journal, and the
 * periods a form's period type takes.
 *
 * Invariants: a form that parsed is complete and consistent (every code
 * unique, every unit known, every other unit a commune may write converts
 * to the indicator's, a ratio's codes in the form); the stored JSON is the
 * canonical print of the parsed form, so the same form written twice is
 * the same value.
 */
#include "xasync/form.h"

#include "report_int.h"
#include "xasync/error.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    size_t n = strlen(s ? s : "");
    char *d = malloc(n + 1);

    if (d)
        memcpy(d, s ? s : "", n + 1);
    return d;
}

void xa_form_free(xa_form *f)
{
    if (f == NULL)
        return;
    free(f->id);
    free(f->kind);
    free(f->period_type);
    free(f->title);
    free(f->head);
    free(f->json);
    for (size_t i = 0; i < f->nunits; i++)
        free(f->units[i]);
    free(f->units);
    for (size_t i = 0; i < f->ngroups; i++) {
        free(f->groups[i].id);
        free(f->groups[i].name);
    }
    free(f->groups);
    for (size_t i = 0; i < f->noutline; i++) {
        free(f->outline[i].kind);
        free(f->outline[i].num);
        free(f->outline[i].text);
    }
    free(f->outline);
    for (size_t i = 0; i < f->n; i++) {
        xa_indicator *d = &f->ind[i];
        free(d->code);
        free(d->tt);
        free(d->name);
        free(d->unit);
        free(d->group);
        free(d->num);
        free(d->den);
        for (size_t k = 0; k < d->nalso; k++)
            free(d->also[k]);
        free(d->also);
    }
    free(f->ind);
    memset(f, 0, sizeof(*f));
}

static const struct {
    const char *kind, *period_type;
} kinds[] = {
    {"so-ket-6-thang", "half-year"},
    {"tong-ket-nam", "year"},
    {"quy", "quarter"},
    {"thang", "month"},
};

static const char *const period_types[] = {"half-year", "year", "quarter", "month"};

const char *xa_kind_period_type(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].period_type;
    return NULL;
}

static int valid_token(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return 0;
    return 1;
}

static int period_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int xa_period_check(const char *pt, const char *p)
{
    size_t n = p ? strlen(p) : 0;
    int ok = 0;

    if (p && n >= 4 && period_digits(p, 4) && p[0] != '0') {
        if (strcmp(pt, "year") == 0)
            ok = n == 4;
        else if (strcmp(pt, "half-year") == 0)
            ok = n == 7 && p[4] == '-' && p[5] == 'h' && (p[6] == '1' || p[6] == '2');
        else if (strcmp(pt, "quarter") == 0)
            ok = n == 7 && p[4] == '-' && p[5] == 'q' && p[6] >= '1' && p[6] <= '4';
        else if (strcmp(pt, "month") == 0)
            ok = n == 7 && p[4] == '-' && period_digits(p + 5, 2) &&
                 ((p[5] == '0' && p[6] >= '1') || (p[5] == '1' && p[6] <= '2'));
    }
    if (ok)
        return 0;
    return xa_error_set(XA_EINVAL,
                        "kỳ báo cáo '%s' không hợp lệ cho loại kỳ %s / period '%s' is not a %s "
                        "period; valid: 2024-h1, 2024-h2 (half-year), 2024 (year), 2024-q1 .. "
                        "2024-q4 (quarter), 2024-01 .. 2024-12 (month)",
                        p ? p : "", pt, p ? p : "", pt);
}

/* ---- parse -------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int str_list(const cJSON *a, const char *what, char ***out, size_t *n)
{
    size_t k = 0;
    const cJSON *it;

    *out = NULL;
    *n = 0;
    if (a == NULL)
        return 0;
    if (!cJSON_IsArray(a))
        return xa_error_set(XA_EINVAL, "form: %s must be a list of strings", what);
    *out = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
    if (*out == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsString(it))
            return xa_error_set(XA_EINVAL, "form: %s must be a list of strings", what);
        if (((*out)[k] = dupstr(it->valuestring)) == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        *n = ++k;
    }
    return 0;
}

static int agg_of(const char *s)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "sum") == 0)
        return XA_AGG_SUM;
    if (strcmp(s, "mean") == 0)
        return XA_AGG_MEAN;
    if (strcmp(s, "ratio") == 0)
        return XA_AGG_RATIO;
    if (strcmp(s, "none") == 0)
        return XA_AGG_NONE;
    return 0;
}

static const char *agg_name(int a)
{
    return a == XA_AGG_SUM     ? "sum"
           : a == XA_AGG_MEAN  ? "mean"
           : a == XA_AGG_RATIO ? "ratio"
                               : "none";
}

const xa_indicator *xa_form_find(const xa_form *f, const char *code)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->ind[i].code, code) == 0)
            return &f->ind[i];
    return NULL;
}

/* The canonical JSON of a parsed form (every field, in one order). */
static char *form_print(const xa_form *f, int pretty)
{
    cJSON *o = cJSON_CreateObject(), *a;
    static const char *const der[] = {"vs_prev", "vs_plan", "remain"};
    char *s;

    cJSON_AddStringToObject(o, "format", "xasync-form");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "id", f->id);
    cJSON_AddStringToObject(o, "kind", f->kind);
    cJSON_AddStringToObject(o, "period_type", f->period_type);
    cJSON_AddStringToObject(o, "title", f->title);
    a = cJSON_AddArrayToObject(o, "head");
    for (const char *p = f->head; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        if (line) {
            memcpy(line, p, n);
            line[n] = '\0';
            cJSON_AddItemToArray(a, cJSON_CreateString(line));
            free(line);
        }
        p += n + (nl != NULL);
    }
    a = cJSON_AddArrayToObject(o, "outline");
    for (size_t i = 0; i < f->noutline; i++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "kind", f->outline[i].kind);
        if (strcmp(f->outline[i].kind, "table") != 0) {
            cJSON_AddStringToObject(b, "num", f->outline[i].num);
            cJSON_AddStringToObject(b, "text", f->outline[i].text);
        }
        cJSON_AddItemToArray(a, b);
    }
    a = cJSON_AddArrayToObject(o, "derived");
    for (int k = 0; k < 3; k++)
        if (f->derived & (1 << k))
            cJSON_AddItemToArray(a, cJSON_CreateString(der[k]));
    a = cJSON_AddArrayToObject(o, "units");
    for (size_t i = 0; i < f->nunits; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(f->units[i]));
    a = cJSON_AddArrayToObject(o, "groups");
    for (size_t i = 0; i < f->ngroups; i++) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "id", f->groups[i].id);
        cJSON_AddStringToObject(g, "name", f->groups[i].name);
        cJSON_AddItemToArray(a, g);
    }
    a = cJSON_AddArrayToObject(o, "indicators");
    for (size_t i = 0; i < f->n; i++) {
        const xa_indicator *d = &f->ind[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", d->code);
        cJSON_AddStringToObject(x, "tt", d->tt);
        cJSON_AddStringToObject(x, "name", d->name);
        cJSON_AddStringToObject(x, "unit", d->unit);
        cJSON_AddStringToObject(x, "group", d->group);
        cJSON_AddStringToObject(x, "aggregation", agg_name(d->agg));
        if (d->agg == XA_AGG_RATIO) {
            cJSON_AddStringToObject(x, "numerator", d->num);
            cJSON_AddStringToObject(x, "denominator", d->den);
        }
        cJSON_AddBoolToObject(x, "year_end", d->year_end);
        cJSON *al = cJSON_AddArrayToObject(x, "also_units");
        for (size_t k = 0; k < d->nalso; k++)
            cJSON_AddItemToArray(al, cJSON_CreateString(d->also[k]));
        cJSON_AddItemToArray(a, x);
    }
    s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int parse_indicator(const cJSON *x, size_t i, xa_form *f, xa_indicator *d)
{
    const char *code = jstr(x, "code"), *name = jstr(x, "name"), *unit = jstr(x, "unit");
    const char *agg = jstr(x, "aggregation");
    const cJSON *ye = cJSON_GetObjectItemCaseSensitive(x, "year_end");
    char dim[64];
    int e, rc;

    if (!cJSON_IsObject(x))
        return xa_error_set(XA_EINVAL, "form: indicator %zu is not an object", i + 1);
    if (code == NULL || code[0] == '\0' || strlen(code) > 32 || strpbrk(code, " /\t\n|"))
        return xa_error_set(
            XA_EINVAL, "form: indicator %zu has no code (a short stable code: \"KT-04\")", i + 1);
    if (name == NULL || name[0] == '\0')
        return xa_error_set(XA_EINVAL, "form: indicator %s has no name", code);
    if ((d->agg = agg_of(agg ? agg : "sum")) == 0)
        return xa_error_set(XA_EINVAL,
                            "chỉ tiêu %s: cách tổng hợp '%s' không có / indicator %s: unknown "
                            "aggregation '%s' (sum, mean, ratio or none)",
                            code, agg, code, agg);
    if (ye && !cJSON_IsBool(ye))
        return xa_error_set(XA_EINVAL, "form: indicator %s: year_end must be true or false", code);
    d->year_end = cJSON_IsTrue(ye);
    d->code = dupstr(code);
    d->name = dupstr(name);
    d->unit = dupstr(unit ? unit : "");
    d->tt = dupstr(jstr(x, "tt"));
    d->group = dupstr(jstr(x, "group"));
    d->num = dupstr(jstr(x, "numerator"));
    d->den = dupstr(jstr(x, "denominator"));
    if (!d->code || !d->name || !d->unit || !d->tt || !d->group || !d->num || !d->den)
        return xa_error_set(XA_ENOMEM, "out of memory");
    if ((rc = str_list(cJSON_GetObjectItemCaseSensitive(x, "also_units"), "also_units", &d->also,
                       &d->nalso)) < 0)
        return rc;
    if (d->unit[0] &&
        xa_unit_lookup(d->unit, (const char *const *)f->units, f->nunits, dim, sizeof(dim), &e) < 0)
        return xa_error_set(XA_EINVAL,
                            "chỉ tiêu %s: đơn vị '%s' không có trong bảng đơn vị / indicator %s: "
                            "unit '%s' is not in the unit table (add a count unit to \"units\")",
                            code, d->unit, code, d->unit);
    if (d->unit[0] == '\0' && d->agg != XA_AGG_NONE)
        return xa_error_set(XA_EINVAL,
                            "form: indicator %s has no unit; only a text indicator (aggregation "
                            "none) may have none",
                            code);
    for (size_t k = 0; k < d->nalso; k++) {
        xa_vnum one = {1, 0, 0}, out;
        if (xa_unit_convert(&one, d->also[k], d->unit, (const char *const *)f->units, f->nunits,
                            &out) < 0)
            return xa_error_set(XA_EINVAL,
                                "chỉ tiêu %s: không có phép đổi %s → %s / indicator %s: there is "
                                "no conversion from %s to %s",
                                code, d->also[k], d->unit, code, d->also[k], d->unit);
    }
    return 0;
}

int xa_form_parse(const char *json, size_t len, int new_kind, xa_form *out)
{
    cJSON *o = cJSON_ParseWithLength(json, len), *a, *it;
    xa_form f;
    const char *s;
    int rc = 0;
    size_t k;

    memset(&f, 0, sizeof(f));
    if (o == NULL || !cJSON_IsObject(o) || (s = jstr(o, "format")) == NULL ||
        strcmp(s, "xasync-form") != 0) {
        cJSON_Delete(o);
        return xa_error_set(XA_EINVAL,
                            "tệp không phải một biểu mẫu / not a form: a form is a JSON object "
                            "with \"format\": \"xasync-form\" (make one with `form add "
                            "--from-report FILE`)");
    }
    a = cJSON_GetObjectItemCaseSensitive(o, "version");
    if (!cJSON_IsNumber(a) || a->valuedouble != 1)
        rc = xa_error_set(XA_EINVAL, "form: version 1 is the only one known");
    s = jstr(o, "id");
    if (rc == 0 && (s == NULL || !valid_token(s, 100)))
        rc = xa_error_set(XA_EINVAL, "form: the id must be 1-100 of a-z 0-9 - (\"so-ket-6-thang-"
                                     "2024\")");
    if (rc == 0)
        f.id = dupstr(s);
    s = jstr(o, "kind");
    if (rc == 0 && (s == NULL || !valid_token(s, 64)))
        rc = xa_error_set(XA_EINVAL, "form: kind must be one of a-z 0-9 -");
    if (rc == 0)
        f.kind = dupstr(s);
    s = jstr(o, "period_type");
    for (k = 0; rc == 0 && s && k < 4; k++)
        if (strcmp(period_types[k], s) == 0)
            break;
    if (rc == 0 && (s == NULL || k == 4))
        rc = xa_error_set(XA_EINVAL,
                          "loại kỳ '%s' không có / period type '%s' is not one of half-year, "
                          "year, quarter, month",
                          s ? s : "", s ? s : "");
    if (rc == 0)
        f.period_type = dupstr(s);
    if (rc == 0 && xa_kind_period_type(f.kind) == NULL && !new_kind)
        rc = xa_error_set(XA_EINVAL,
                          "loại báo cáo '%s' không có / kind '%s' is not one of so-ket-6-thang, "
                          "tong-ket-nam, quy, thang (add a new kind with --new-kind)",
                          f.kind, f.kind);
    if (rc == 0 && xa_kind_period_type(f.kind) &&
        strcmp(xa_kind_period_type(f.kind), f.period_type) != 0)
        rc = xa_error_set(XA_EINVAL, "form: kind %s has period type %s, not %s", f.kind,
                          xa_kind_period_type(f.kind), f.period_type);
    if (rc == 0)
        f.title = dupstr(jstr(o, "title"));
    if (rc == 0) {
        char **lines = NULL;
        size_t nl = 0;
        xa_sb b = {0};
        rc = str_list(cJSON_GetObjectItemCaseSensitive(o, "head"), "head", &lines, &nl);
        for (size_t i = 0; i < nl; i++) {
            xa_sb_printf(&b, "%s%s", i ? "\n" : "", lines[i]);
            free(lines[i]);
        }
        free(lines);
        xa_sb_add(&b, "", 0);
        f.head = b.p ? b.p : dupstr("");
    }
    if (rc == 0)
        rc = str_list(cJSON_GetObjectItemCaseSensitive(o, "units"), "units", &f.units, &f.nunits);
    a = cJSON_GetObjectItemCaseSensitive(o, "derived");
    if (rc == 0 && a == NULL)
        f.derived = 7;
    if (rc == 0 && a && !cJSON_IsArray(a))
        rc = xa_error_set(XA_EINVAL, "form: derived must be a list");
    cJSON_ArrayForEach(it, (rc == 0 ? a : NULL))
    {
        static const char *const der[] = {"vs_prev", "vs_plan", "remain"};
        for (k = 0; k < 3; k++)
            if (cJSON_IsString(it) && strcmp(it->valuestring, der[k]) == 0)
                break;
        if (k == 3) {
            rc = xa_error_set(XA_EINVAL,
                              "form: derived column '%s' unknown (vs_prev = est/prev×100, vs_plan "
                              "= est/plan×100, remain = plan−est)",
                              cJSON_IsString(it) ? it->valuestring : "?");
            break;
        }
        f.derived |= 1 << k;
    }
    a = cJSON_GetObjectItemCaseSensitive(o, "groups");
    if (rc == 0 && a) {
        f.groups = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*f.groups));
        if (f.groups == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, (rc == 0 ? a : NULL))
        {
            f.groups[f.ngroups].id = dupstr(jstr(it, "id"));
            f.groups[f.ngroups].name = dupstr(jstr(it, "name"));
            f.ngroups++;
            if (jstr(it, "id") == NULL) {
                rc = xa_error_set(XA_EINVAL, "form: a group has no id");
                break;
            }
        }
    }
    a = cJSON_GetObjectItemCaseSensitive(o, "outline");
    if (rc == 0 && a) {
        f.outline = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*f.outline));
        if (f.outline == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, (rc == 0 ? a : NULL))
        {
            const char *kd = jstr(it, "kind");
            if (kd == NULL ||
                (strcmp(kd, "part") && strcmp(kd, "heading") && strcmp(kd, "table"))) {
                rc = xa_error_set(XA_EINVAL, "form: an outline entry is a part, heading or table");
                break;
            }
            f.outline[f.noutline].kind = dupstr(kd);
            f.outline[f.noutline].num = dupstr(jstr(it, "num"));
            f.outline[f.noutline].text = dupstr(jstr(it, "text"));
            f.noutline++;
        }
    }
    a = cJSON_GetObjectItemCaseSensitive(o, "indicators");
    if (rc == 0 && (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0))
        rc = xa_error_set(XA_EINVAL, "form: it has no indicators (\"indicators\": [...])");
    if (rc == 0) {
        f.ind = calloc((size_t)cJSON_GetArraySize(a), sizeof(*f.ind));
        if (f.ind == NULL)
            rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    cJSON_ArrayForEach(it, (rc == 0 ? a : NULL))
    {
        rc = parse_indicator(it, f.n, &f, &f.ind[f.n]);
        f.n++;
        if (rc < 0)
            break;
        for (size_t i = 0; i + 1 < f.n; i++)
            if (strcmp(f.ind[i].code, f.ind[f.n - 1].code) == 0) {
                rc = xa_error_set(XA_EINVAL, "form: the code %s is used twice", f.ind[i].code);
                break;
            }
        if (rc < 0)
            break;
    }
    for (size_t i = 0; rc == 0 && i < f.n; i++) {
        const xa_indicator *d = &f.ind[i];
        if (d->agg != XA_AGG_RATIO)
            continue;
        const xa_indicator *nu = xa_form_find(&f, d->num), *de = xa_form_find(&f, d->den);
        if (nu == NULL || de == NULL)
            rc = xa_error_set(XA_EINVAL,
                              "form: indicator %s is a ratio of '%s' and '%s'; both must be codes "
                              "of the form",
                              d->code, d->num, d->den);
        else if (nu->agg != XA_AGG_SUM || de->agg != XA_AGG_SUM)
            rc = xa_error_set(XA_EINVAL,
                              "form: indicator %s is a ratio of %s and %s, which must both be sums",
                              d->code, d->num, d->den);
    }
    cJSON_Delete(o);
    if (rc == 0 && (f.id == NULL || f.kind == NULL || f.title == NULL || f.head == NULL))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0 && (f.json = form_print(&f, 0)) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc < 0) {
        xa_form_free(&f);
        return rc;
    }
    *out = f;
    return 0;
}

/* ---- from a report -------------------------------------------------------- */

static int is_group_tt(const char *tt)
{
    return tt[0] && strspn(tt, "IVX") == strlen(tt);
}

int xa_form_from_report(const xa_report *r, const char *id, char **json)
{
    cJSON *o = cJSON_CreateObject(), *outline, *groups, *inds, *head;
    const xa_block *table = NULL;
    const char *group = "";
    char last_num[40] = "";
    int sub = 0;
    char *title_key;
    const char *kind = "so-ket-6-thang", *pt = "half-year";

    if (o == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    title_key = xa_name_key(r->title, 1);
    if (title_key && strstr(title_key, "tong ket") && !strstr(title_key, "6 thang")) {
        kind = "tong-ket-nam";
        pt = "year";
    } else if (title_key && strstr(title_key, "quy ")) {
        kind = "quy";
        pt = "quarter";
    }
    free(title_key);
    cJSON_AddStringToObject(o, "format", "xasync-form");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "period_type", pt);
    cJSON_AddStringToObject(o, "title", r->title);
    head = cJSON_AddArrayToObject(o, "head");
    outline = cJSON_AddArrayToObject(o, "outline");
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        if (b->deleted)
            continue;
        if (strcmp(b->kind, "part") == 0 || strcmp(b->kind, "heading") == 0) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "kind", b->kind);
            cJSON_AddStringToObject(x, "num", b->num);
            cJSON_AddStringToObject(x, "text", b->text);
            cJSON_AddItemToArray(outline, x);
        } else if (strcmp(b->kind, "table") == 0 && table == NULL) {
            cJSON *x = cJSON_CreateObject();
            table = b;
            cJSON_AddStringToObject(x, "kind", "table");
            cJSON_AddItemToArray(outline, x);
            for (const char *p = b->head; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                char *line = malloc(n + 1);
                if (line) {
                    memcpy(line, p, n);
                    line[n] = '\0';
                    cJSON_AddItemToArray(head, cJSON_CreateString(line));
                    free(line);
                }
                p += n + (nl != NULL);
            }
        }
    }
    if (table == NULL) {
        cJSON_Delete(o);
        return xa_error_set(XA_EINVAL, "the report has no indicator table to make a form of");
    }
    cJSON *der = cJSON_AddArrayToObject(o, "derived");
    cJSON_AddItemToArray(der, cJSON_CreateString("vs_prev"));
    cJSON_AddItemToArray(der, cJSON_CreateString("vs_plan"));
    cJSON_AddItemToArray(der, cJSON_CreateString("remain"));
    cJSON *units = cJSON_AddArrayToObject(o, "units");
    groups = cJSON_AddArrayToObject(o, "groups");
    inds = cJSON_AddArrayToObject(o, "indicators");
    for (size_t i = 0; i < r->n; i++) {
        const xa_block *b = &r->b[i];
        char code[64], dim[64];
        int e;
        if (b->deleted || strcmp(b->kind, "row") != 0 || strcmp(b->table, table->id) != 0)
            continue;
        if (is_group_tt(b->tt)) {
            cJSON *g = cJSON_CreateObject();
            group = b->tt;
            cJSON_AddStringToObject(g, "id", b->tt);
            cJSON_AddStringToObject(g, "name", b->name);
            cJSON_AddItemToArray(groups, g);
            continue;
        }
        if (strcmp(b->tt, "-") == 0 || b->tt[0] == '\0') {
            snprintf(code, sizeof(code), "CT-%s%c", last_num, 'a' + (sub < 25 ? sub : 25));
            sub++;
        } else {
            int n = atoi(b->tt);
            if (n > 0)
                snprintf(code, sizeof(code), "CT-%02d", n);
            else
                snprintf(code, sizeof(code), "CT-%s", b->tt);
            snprintf(last_num, sizeof(last_num), "%.32s", code + 3);
            sub = 0;
        }
        const char *unit = xa_row_unit(r, i);
        /* a unit the table does not know becomes a count unit of the form */
        if (unit[0] && xa_unit_lookup(unit, NULL, 0, dim, sizeof(dim), &e) < 0) {
            int have = 0;
            const cJSON *u;
            cJSON_ArrayForEach(u, units) have |= strcmp(u->valuestring, unit) == 0;
            if (!have)
                cJSON_AddItemToArray(units, cJSON_CreateString(unit));
        }
        /* default aggregation */
        xa_vnum v;
        int textual = 0, numeric = 0;
        const char *figs[] = {b->prev, b->plan, b->est};
        for (int k = 0; k < 3; k++) {
            if (figs[k][0] == '\0')
                continue;
            if (xa_figure_parse(figs[k], &v) == 0)
                numeric = 1;
            else
                textual = 1;
        }
        char *nk = xa_name_key(b->name, 1);
        const char *agg = "sum";
        if (unit[0] == '\0' || (textual && !numeric))
            agg = "none";
        else if (strcmp(unit, "%") == 0 || strcmp(unit, "‰") == 0 ||
                 (nk && (strstr(nk, "binh quan") || strstr(nk, "ty le") || strstr(nk, "toc do") ||
                         strstr(nk, "co cau"))))
            agg = "mean";
        free(nk);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", code);
        cJSON_AddStringToObject(x, "tt", b->tt);
        cJSON_AddStringToObject(x, "name", b->name);
        cJSON_AddStringToObject(x, "unit", unit);
        cJSON_AddStringToObject(x, "group", group);
        cJSON_AddStringToObject(x, "aggregation", agg);
        cJSON_AddBoolToObject(x, "year_end", strstr(b->note, "cuối năm") != NULL);
        cJSON_AddArrayToObject(x, "also_units");
        cJSON_AddItemToArray(inds, x);
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (s == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    *json = s;
    return 0;
}

/* ---- in the journal ---------------------------------------------------------- */

int xa_form_put(xa_store *st, const char *scope, const xa_form *f, const char *author)
{
    char ent[XA_ENTITY_MAX + 1];
    char *v = xa_rvalue_encode(f->json);
    xa_field cur;
    int rc;

    if (v == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    snprintf(ent, sizeof(ent), "form/%s", f->id);
    /* the same form again changes nothing (no op, no history line) */
    rc = xa_store_get(st, scope, ent, "json", &cur);
    if (rc == 0) {
        int same = cur.n == 1 && strcmp(cur.v[0].value, v) == 0;
        xa_field_clear(&cur);
        if (same) {
            free(v);
            return 0;
        }
    }
    rc = xa_store_set(st, scope, ent, "json", v, author, 0, NULL);
    if (rc == XA_ECONFLICT)
        rc = xa_store_set(st, scope, ent, "json", v, author, 1, NULL);
    free(v);
    return rc;
}

int xa_form_get(xa_store *st, const char *scope, const char *id, xa_form *out)
{
    char ent[XA_ENTITY_MAX + 1];
    xa_field f;
    char *json;
    int rc;

    if (strlen(id) > 100)
        return xa_error_set(XA_ENOTFOUND, "no form %s", id);
    snprintf(ent, sizeof(ent), "form/%s", id);
    rc = xa_store_get(st, scope, ent, "json", &f);
    if (rc == XA_ENOTFOUND)
        return xa_error_set(XA_ENOTFOUND,
                            "không có biểu mẫu %s / no form %s here (`form list` shows them)", id,
                            id);
    if (rc < 0)
        return rc;
    json = xa_rvalue_decode(f.v[0].value);
    xa_field_clear(&f);
    if (json == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = xa_form_parse(json, strlen(json), 1, out);
    free(json);
    return rc;
}

int xa_form_list(xa_store *st, const char *scope, char ***ids, size_t *n)
{
    xa_field *f = NULL;
    size_t nf = 0, k = 0;
    char **v = NULL;
    int rc = xa_store_fields(st, scope, NULL, 0, &f, &nf);

    for (size_t i = 0; rc == 0 && i < nf; i++) {
        if (strncmp(f[i].entity, "form/", 5) != 0 || strcmp(f[i].field, "json") != 0)
            continue;
        char **nv = realloc(v, (k + 1) * sizeof(*nv));
        if (nv == NULL || (nv[k] = dupstr(f[i].entity + 5)) == NULL) {
            if (nv)
                v = nv;
            rc = xa_error_set(XA_ENOMEM, "out of memory");
            break;
        }
        v = nv;
        k++;
    }
    xa_fields_free(f, nf);
    if (rc < 0) {
        xa_report_list_free(v, k);
        return rc;
    }
    *ids = v;
    *n = k;
    return 0;
}

int xa_forms_push(xa_store *st, const char *scope, const char *author)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = xa_form_list(st, XA_FORMS_SCOPE, &ids, &n);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        xa_form f;
        rc = xa_form_get(st, XA_FORMS_SCOPE, ids[i], &f);
        if (rc == 0) {
            rc = xa_form_put(st, scope, &f, author);
            xa_form_free(&f);
        }
    }
    xa_report_list_free(ids, n);
    return rc;
}
