/*
 * JSON views of fields (view.h), with cJSON.
 */
#include "xasync/view.h"

#include "codec_int.h"
#include "xasync/error.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void xa_view_time_iso(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char base[32];

    if (gmtime_r(&t, &tm) == NULL || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        base[0] = '\0';
    snprintf(buf, cap, "%s.%03dZ", base, (int)(ms % 1000));
}

static cJSON *value_json(const xa_value *v)
{
    cJSON *o = cJSON_CreateObject(), *val;
    char node[XA_NODE_HEX + 1], t[48];

    if (o == NULL)
        return NULL;
    xa_node_format(v->dot.node, node);
    xa_view_time_iso(v->hlc, t, sizeof(t));
    val = cJSON_Parse(v->value);
    cJSON_AddItemToObject(o, "value", val ? val : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "author", v->author);
    cJSON_AddStringToObject(o, "time", t);
    cJSON_AddItemToObject(o, "hlc", xa_codec_uint((uint64_t)v->hlc));
    cJSON_AddStringToObject(o, "node", node);
    cJSON_AddItemToObject(o, "seq", xa_codec_uint(v->dot.seq));
    return o;
}

static cJSON *field_json(const xa_field *f)
{
    cJSON *o = cJSON_CreateObject(), *vals;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "entity", f->entity);
    cJSON_AddStringToObject(o, "field", f->field);
    cJSON_AddBoolToObject(o, "conflict", f->n > 1);
    vals = cJSON_AddArrayToObject(o, "values");
    for (size_t i = 0; vals && i < f->n; i++)
        cJSON_AddItemToArray(vals, value_json(&f->v[i]));
    return o;
}

static char *print(cJSON *doc, int pretty)
{
    char *s = NULL;

    if (doc)
        s = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return s;
}

char *xa_view_field(const xa_field *f, int pretty)
{
    return print(field_json(f), pretty);
}

char *xa_view_fields(const xa_field *f, size_t n, int pretty)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, field_json(&f[i]));
    return print(a, pretty);
}

char *xa_view_text(const char *json)
{
    cJSON *v = cJSON_Parse(json);
    const char *src = v && cJSON_IsString(v) ? v->valuestring : json;
    size_t n = strlen(src) + 1;
    char *out = malloc(n);

    if (out)
        memcpy(out, src, n);
    cJSON_Delete(v);
    return out;
}

char *xa_view_oneline(const char *json)
{
    char *t = xa_view_text(json), *out;
    size_t n = 0, k = 0;

    if (t == NULL)
        return NULL;
    for (const char *p = t; *p; p++)
        n += (*p == '\n' || *p == '\t' || *p == '\r') ? 2 : 1;
    out = malloc(n + 1);
    if (out) {
        for (const char *p = t; *p; p++) {
            if (*p == '\n' || *p == '\t' || *p == '\r') {
                out[k++] = '\\';
                out[k++] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
            } else {
                out[k++] = *p;
            }
        }
        out[k] = '\0';
    }
    free(t);
    return out;
}

unsigned xa_http_status(int rc)
{
    switch (rc) {
    case XA_EINVAL:
    case XA_ESCOPE:
        return 400;
    case XA_EAUTH:
        return 403;
    case XA_ENOTFOUND:
        return 404;
    case XA_EGAP:
    case XA_EFORGED:
    case XA_ECONFLICT:
        return 409;
    case XA_ETOOBIG:
        return 413;
    case XA_EBUSY:
    case XA_ETRANSIENT:
        return 503;
    default:
        return 500;
    }
}
