/*
 * A report as a JSON document for programs (report.h), and the one
 * encoding of a report value as the store keeps it (report_int.h).  Both
 * are cJSON: no JSON is written by hand in the report layer.
 *
 *   {"id", "header": {"kind", "period", "number", "place", "date",
 *    "doctype", "title", "body", "signer_role", "signer_name",
 *    "recipients_label", "recipients": [lines], "conflict": bool},
 *    "blocks": [{"id", "entity", "kind", "pos", "text", "num", "marker",
 *    "deleted": bool, "conflict": bool,
 *    rows:   "tt", "name", "unit", "prev", "plan", "est", "vs_prev",
 *            "vs_plan", "remain" (as printed), "note", "table", "code",
 *            "bound_by" (the binding to a form), and "prev_value" ..
 *            "remain_value": each figure as an exact decimal ("636.4") or null,
 *    tables: "head": [lines], "head2": [lines], "break"}]}
 *
 * Every block is listed, deleted ones included (marked).  Every string is
 * valid UTF-8 (bytes that are not become U+FFFD) whatever the model holds.
 */
#include "report_int.h"
#include "xasync/error.h"
#include "xasync/form.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s with every byte that does not start valid UTF-8 replaced by U+FFFD;
 * NULL is "".  malloc'd. */
static char *utf8_clean(const char *s)
{
    size_t n = s ? strlen(s) : 0, o = 0;
    char *out;

    if (n == 0 || xa_utf8_valid(s, n)) {
        out = malloc(n + 1);
        if (out) {
            memcpy(out, s ? s : "", n);
            out[n] = '\0';
        }
        return out;
    }
    out = malloc(n * 3 + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = 1;

        /* the longest valid sequence starting here (1-4 bytes) */
        while (k <= 4 && i + k <= n && !xa_utf8_valid(s + i, k))
            k++;
        if (k <= 4 && i + k <= n) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

static cJSON *str(const char *s)
{
    char *c = utf8_clean(s);
    cJSON *j = c ? cJSON_CreateString(c) : NULL;

    free(c);
    return j;
}

/* Adds key: s; a failure is caught at the end by the print (NULL). */
static void add(cJSON *o, const char *key, const char *s)
{
    cJSON *j = str(s);

    if (j == NULL || !cJSON_AddItemToObject(o, key, j)) {
        cJSON_Delete(j);
        cJSON_AddNullToObject(o, "\x01"); /* poison: see finish() */
    }
}

/* The lines of s (split at '\n') as an array: "" is [], and a final
 * newline does not make an empty last line. */
static void add_lines(cJSON *o, const char *key, const char *s)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    const char *p = s ? s : "";

    if (a == NULL) {
        cJSON_AddNullToObject(o, "\x01");
        return;
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(n + 1);
        cJSON *j = NULL;

        if (line) {
            memcpy(line, p, n);
            line[n] = '\0';
            j = str(line);
            free(line);
        }
        if (j == NULL || !cJSON_AddItemToArray(a, j)) {
            cJSON_Delete(j);
            cJSON_AddNullToObject(o, "\x01");
            return;
        }
        p += n;
        if (*p == '\n')
            p++;
    }
}

static int is_kind(const xa_block *b, const char *kind)
{
    return b->kind && strcmp(b->kind, kind) == 0;
}

static cJSON *json_block(const xa_report *r, const xa_block *b)
{
    char entity[XA_ENTITY_MAX + 8];
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    add(o, "id", b->id);
    /* the entity of the block's fields, for an editor's writes */
    snprintf(entity, sizeof(entity), "%s/b/%s", r->id, b->id ? b->id : "");
    add(o, "entity", entity);
    add(o, "kind", b->kind);
    add(o, "pos", b->pos);
    add(o, "text", b->text);
    add(o, "num", b->num);
    add(o, "marker", b->marker);
    cJSON_AddBoolToObject(o, "deleted", b->deleted != 0);
    cJSON_AddBoolToObject(o, "conflict", b->conflict != 0);
    if (is_kind(b, "row")) {
        static char empty[1];
        xa_block c = *b;
        char **f[] = {&c.kind, &c.tt, &c.prev, &c.plan, &c.est, &c.vs_prev, &c.vs_plan, &c.remain};
        char d[3][64];

        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
            if (*f[i] == NULL)
                *f[i] = empty;
        xa_report_derived(&c, d[0], d[1], d[2], sizeof(d[0]));
        add(o, "tt", b->tt);
        add(o, "name", b->name);
        add(o, "unit", b->unit);
        add(o, "prev", b->prev);
        add(o, "plan", b->plan);
        add(o, "est", b->est);
        add(o, "vs_prev", d[0]);
        add(o, "vs_plan", d[1]);
        add(o, "remain", d[2]);
        add(o, "note", b->note);
        add(o, "table", b->table);
        /* the binding to the district's form, and each figure as an exact
         * decimal for programs ("636.4"; null when the cell is not a number) */
        add(o, "code", b->code);
        add(o, "bound_by", b->bound_by);
        const char *vals[] = {b->prev, b->plan, b->est, d[0], d[1], d[2]};
        static const char *const keys[] = {"prev_value",    "plan_value",    "est_value",
                                           "vs_prev_value", "vs_plan_value", "remain_value"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            xa_vnum v;
            char dec[64];
            if (vals[i] && vals[i][0] && xa_figure_parse(vals[i], &v) == 0) {
                xa_vnum_decimal(&v, dec, sizeof(dec));
                add(o, keys[i], dec);
            } else {
                cJSON_AddNullToObject(o, keys[i]);
            }
        }
    } else if (is_kind(b, "table")) {
        add_lines(o, "head", b->head);
        add_lines(o, "head2", b->head2);
        add(o, "break", b->brk);
    }
    return o;
}

/* A poisoned document (some allocation failed) is refused whole. */
static int poisoned(const cJSON *o)
{
    for (const cJSON *c = o ? o->child : NULL; c; c = c->next) {
        if (c->string && strcmp(c->string, "\x01") == 0)
            return 1;
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && poisoned(c))
            return 1;
    }
    return 0;
}

int xa_report_render_json(const xa_report *r, char **out)
{
    cJSON *doc, *h, *blocks;
    char *s = NULL;

    if (r == NULL || out == NULL)
        return xa_error_set(XA_EINVAL, "render: no report or no output");
    if (r->n > 0 && r->b == NULL)
        return xa_error_set(XA_EINVAL, "render: %zu blocks but no block array", r->n);
    doc = cJSON_CreateObject();
    if (doc == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory rendering a report");
    add(doc, "id", r->id);
    h = cJSON_AddObjectToObject(doc, "header");
    blocks = cJSON_AddArrayToObject(doc, "blocks");
    if (h && blocks) {
        add(h, "kind", r->kind);
        add(h, "period", r->period);
        add(h, "number", r->number);
        add(h, "place", r->place);
        add(h, "date", r->date);
        add(h, "doctype", r->doctype);
        add(h, "title", r->title);
        add(h, "body", r->body);
        add(h, "signer_role", r->signer_role);
        add(h, "signer_name", r->signer_name);
        add(h, "recipients_label", r->recipients_label);
        add_lines(h, "recipients", r->recipients);
        cJSON_AddBoolToObject(h, "conflict", r->header_conflict != 0);
        for (size_t i = 0; i < r->n; i++) {
            cJSON *b = json_block(r, &r->b[i]);

            if (b == NULL || !cJSON_AddItemToArray(blocks, b)) {
                cJSON_Delete(b);
                cJSON_AddNullToObject(doc, "\x01");
                break;
            }
        }
    }
    if (h && blocks && !poisoned(doc))
        s = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (s != NULL) { /* a document ends with a newline, as a text file does */
        size_t n = strlen(s);
        char *t = realloc(s, n + 2);

        if (t == NULL) {
            free(s);
            s = NULL;
        } else {
            t[n] = '\n';
            t[n + 1] = '\0';
            s = t;
        }
    }
    if (s == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory rendering a report");
    *out = s;
    return 0;
}

/* ---- values ----------------------------------------------------------- */

char *xa_rvalue_encode(const char *text)
{
    cJSON *j = cJSON_CreateString(text ? text : "");
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;

    cJSON_Delete(j);
    return s;
}

char *xa_rvalue_decode(const char *json)
{
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    const char *src = json ? json : "";
    char *out;
    size_t n;

    if (cJSON_IsString(j))
        src = j->valuestring;
    n = strlen(src);
    out = malloc(n + 1);
    if (out)
        memcpy(out, src, n + 1);
    cJSON_Delete(j);
    return out;
}
