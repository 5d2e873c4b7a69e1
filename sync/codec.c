/*
 * The op codec (format in include/xasync/codec.h), with cJSON.
 *
 * Values are JSON text in the store; here they are parsed into the document
 * on encode and printed back, unformatted, on decode.  cJSON's printing of a
 * parsed value is its canonical form, so an op that crosses the wire twice
 * keeps the same text, and the store's byte comparison of held and received
 * ops (forgery detection) is sound.
 *
 * Invariants:
 *   1. decode leaves `out` exactly as it was unless it returns 0;
 *   2. every number read is an integer in its stated range before it is
 *      converted (no float-to-int overflow).
 */
#include "xasync/codec.h"

#include "codec_int.h"
#include "xasync/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "xasync-ops"
#define FORMAT_VERSION 1

/* ---- version vectors -------------------------------------------------- */

/* Integers up to 2^53 - 1 as JSON text: cJSON would print a double with 15
 * significant digits and lose the last ones. */
cJSON *xa_codec_uint(uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    return cJSON_CreateRaw(buf);
}

/* After a document, only whitespace may follow. */
static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return 0;
    return 1;
}

/*
 * cJSON ends a string at a NUL, escaped (\u0000) or raw, silently shortening
 * it, and takes raw control characters inside strings that JSON forbids.
 * Refuse such text before parsing: walks strings and their escapes.
 */
int xa_json_text_check(const char *t, size_t len, const char *what)
{
    int in_str = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];

        if (c == 0)
            return xa_error_set(XA_EINVAL, "%s holds a NUL byte", what);
        if (!in_str) {
            in_str = c == '"';
            if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r')
                return xa_error_set(XA_EINVAL, "%s holds a control character (byte 0x%02x)", what,
                                    c);
            continue;
        }
        if (c < 0x20)
            return xa_error_set(XA_EINVAL,
                                "%s holds a control character (byte 0x%02x) inside a string;"
                                " JSON wants it escaped",
                                what, c);
        if (c == '"') {
            in_str = 0;
        } else if (c == '\\' && i + 1 < len) {
            if (t[i + 1] == 'u' && i + 5 < len && memcmp(t + i + 2, "0000", 4) == 0)
                return xa_error_set(XA_EINVAL, "%s holds a NUL character (\\u0000)", what);
            i++;
        }
    }
    return 0;
}

/* Parse a whole buffer as one JSON document: NULL if it is not one. */
cJSON *xa_codec_parse(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *doc;

    if (xa_json_text_check(text, len, "the text") < 0)
        return NULL;
    doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (doc && (end == NULL || !only_space(end, text + len))) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

cJSON *xa_codec_vv_json(const xa_vv *vv)
{
    cJSON *o = cJSON_CreateObject();

    for (size_t i = 0; o && i < vv->n; i++) {
        char node[XA_NODE_HEX + 1];
        xa_node_format(vv->e[i].node, node);
        cJSON *seq = xa_codec_uint(vv->e[i].seq);
        if (seq == NULL || !cJSON_AddItemToObject(o, node, seq)) {
            cJSON_Delete(seq);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

/* An integer in [lo, hi] held in a JSON number. */
int xa_codec_int(const cJSON *j, double lo, double hi, int64_t *out)
{
    double d;

    if (!cJSON_IsNumber(j))
        return -1;
    d = j->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi)
        return -1;
    *out = (int64_t)d;
    return 0;
}

int xa_codec_vv_read(const cJSON *o, xa_vv *out, const char *what)
{
    const cJSON *e;

    if (!cJSON_IsObject(o))
        return xa_error_set(XA_EINVAL, "%s: a version vector must be a JSON object", what);
    cJSON_ArrayForEach(e, o)
    {
        xa_node node;
        int64_t seq;
        int rc;

        if (xa_node_parse(e->string, &node) < 0)
            return xa_error_set(XA_EINVAL, "%s: '%.40s' is not a node id", what,
                                e->string ? e->string : "");
        if (xa_codec_int(e, 1, (double)(XA_SEQ_MAX - 1), &seq) < 0)
            return xa_error_set(XA_EINVAL, "%s: seq of node %s is not an integer in 1..2^53-1",
                                what, e->string);
        if (xa_vv_get(out, node) != 0)
            return xa_error_set(XA_EINVAL, "%s: node %s appears twice", what, e->string);
        rc = xa_vv_set(out, node, (uint64_t)seq);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int xa_codec_vv_encode(char **out, const xa_vv *vv)
{
    cJSON *o = xa_codec_vv_json(vv);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    if (s == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    *out = s;
    return 0;
}

int xa_codec_vv_decode(xa_vv *out, const char *text, size_t len)
{
    xa_vv vv = XA_VV_INIT;
    cJSON *o;
    int rc;

    if (len > XA_CODEC_MAX_TEXT)
        return xa_error_set(XA_ETOOBIG, "version vector too large");
    if ((rc = xa_json_text_check(text, len, "the version vector")) < 0)
        return rc;
    o = xa_codec_parse(text, len);
    if (o == NULL)
        return xa_error_set(XA_EINVAL, "the version vector is not valid JSON");
    rc = xa_codec_vv_read(o, &vv, "version vector");
    cJSON_Delete(o);
    if (rc < 0) {
        xa_vv_free(&vv);
        return rc;
    }
    xa_vv_free(out);
    *out = vv;
    return 0;
}

/* ---- encode ------------------------------------------------------------ */

/* [seq, entity, field, value, ctx, hlc, author] */
static cJSON *op_to_json(const xa_op *op)
{
    cJSON *a = cJSON_CreateArray(), *v, *ctx;

    if (a == NULL)
        return NULL;
    v = cJSON_Parse(op->value);
    ctx = xa_codec_vv_json(&op->ctx);
    if (v == NULL || ctx == NULL || !cJSON_AddItemToArray(a, xa_codec_uint(op->seq)) ||
        !cJSON_AddItemToArray(a, cJSON_CreateString(op->entity)) ||
        !cJSON_AddItemToArray(a, cJSON_CreateString(op->field)) || !cJSON_AddItemToArray(a, v)) {
        cJSON_Delete(v);
        cJSON_Delete(ctx);
        cJSON_Delete(a);
        return NULL;
    }
    if (!cJSON_AddItemToArray(a, ctx)) {
        cJSON_Delete(ctx);
        cJSON_Delete(a);
        return NULL;
    }
    if (!cJSON_AddItemToArray(a, xa_codec_uint((uint64_t)op->hlc)) ||
        !cJSON_AddItemToArray(a, cJSON_CreateString(op->author))) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

cJSON *xa_codec_nodes_json(const char *scope, const xa_op *ops, size_t n)
{
    cJSON *nodes = cJSON_CreateObject(), *group = NULL;
    xa_node cur = 0;

    if (nodes == NULL) {
        xa_error_set(XA_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *a;
        if (strcmp(ops[i].scope, scope) != 0) {
            xa_error_set(XA_ESCOPE, "an op of scope '%s' in a document of '%s'", ops[i].scope,
                         scope);
            goto fail;
        }
        /* Group by node; ops of a node that come apart join their group. */
        if (group == NULL || ops[i].node != cur) {
            char node[XA_NODE_HEX + 1];
            xa_node_format(ops[i].node, node);
            group = cJSON_GetObjectItemCaseSensitive(nodes, node);
            if (group == NULL && (group = cJSON_AddArrayToObject(nodes, node)) == NULL) {
                xa_error_set(XA_ENOMEM, "out of memory");
                goto fail;
            }
            cur = ops[i].node;
        }
        a = op_to_json(&ops[i]);
        if (a == NULL) {
            xa_error_set(XA_EINVAL, "an op's value is not valid JSON, or out of memory");
            goto fail;
        }
        cJSON_AddItemToArray(group, a);
    }
    return nodes;
fail:
    cJSON_Delete(nodes);
    return NULL;
}

/* "chains": {"<node hex>": [[seq, "<32 hex>"], ...]} */
static cJSON *chains_json(const xa_chains *ch)
{
    cJSON *o = cJSON_CreateObject(), *group = NULL;
    xa_node cur = 0;

    for (size_t i = 0; o && i < ch->n; i++) {
        char node[XA_NODE_HEX + 1], hex[40];
        cJSON *pt = cJSON_CreateArray();
        if (group == NULL || ch->p[i].node != cur) {
            xa_node_format(ch->p[i].node, node);
            group = cJSON_AddArrayToObject(o, node);
            cur = ch->p[i].node;
        }
        snprintf(hex, sizeof(hex), "%016" PRIx64 "%016" PRIx64, ch->p[i].d[0], ch->p[i].d[1]);
        if (group == NULL || pt == NULL || !cJSON_AddItemToArray(group, pt) ||
            !cJSON_AddItemToArray(pt, xa_codec_uint(ch->p[i].seq)) ||
            !cJSON_AddItemToArray(pt, cJSON_CreateString(hex))) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

/* "moves": [["<old hex>", keep, "<new hex>"], ...] */
static cJSON *moves_json(const xa_chains *ch)
{
    cJSON *a = cJSON_CreateArray();

    for (size_t i = 0; a && i < ch->nmv; i++) {
        char old[XA_NODE_HEX + 1], nu[XA_NODE_HEX + 1];
        cJSON *m = cJSON_CreateArray();
        xa_node_format(ch->mv[i].old, old);
        xa_node_format(ch->mv[i].nu, nu);
        if (m == NULL || !cJSON_AddItemToArray(a, m) ||
            !cJSON_AddItemToArray(m, cJSON_CreateString(old)) ||
            !cJSON_AddItemToArray(m, xa_codec_uint(ch->mv[i].keep)) ||
            !cJSON_AddItemToArray(m, cJSON_CreateString(nu))) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static int moves_read(const cJSON *a, xa_chains *ch)
{
    const cJSON *m;

    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > XA_VV_MAX)
        return xa_error_set(XA_EINVAL, "not an ops file: moves must be a list");
    cJSON_ArrayForEach(m, a)
    {
        const cJSON *o = cJSON_GetArrayItem(m, 0), *k = cJSON_GetArrayItem(m, 1),
                    *n = cJSON_GetArrayItem(m, 2);
        xa_node old, nu;
        int64_t keep;
        if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 3 || !cJSON_IsString(o) ||
            !cJSON_IsString(n) || xa_node_parse(o->valuestring, &old) < 0 ||
            xa_node_parse(n->valuestring, &nu) < 0 ||
            xa_codec_int(k, 0, (double)(XA_SEQ_MAX - 1), &keep) < 0)
            return xa_error_set(XA_EINVAL, "not an ops file: a malformed move");
        int rc = xa_chains_add_move(ch, old, (uint64_t)keep, nu);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int chains_read(const cJSON *o, xa_chains *ch)
{
    const cJSON *group, *pt;

    if (!cJSON_IsObject(o))
        return xa_error_set(XA_EINVAL, "not an ops file: chains must be an object");
    cJSON_ArrayForEach(group, o)
    {
        xa_node node;
        uint64_t last = 0;
        if (xa_node_parse(group->string, &node) < 0 || !cJSON_IsArray(group))
            return xa_error_set(XA_EINVAL, "not an ops file: a malformed chain");
        cJSON_ArrayForEach(pt, group)
        {
            const cJSON *q = cJSON_GetArrayItem(pt, 0), *d = cJSON_GetArrayItem(pt, 1);
            int64_t seq;
            uint64_t dd[2];
            char a[17], b[17], *e1, *e2;
            if (!cJSON_IsArray(pt) || cJSON_GetArraySize(pt) != 2 ||
                xa_codec_int(q, 1, (double)(XA_SEQ_MAX - 1), &seq) < 0 || (uint64_t)seq <= last ||
                !cJSON_IsString(d) || strlen(d->valuestring) != 32)
                return xa_error_set(XA_EINVAL, "not an ops file: a malformed chain point");
            memcpy(a, d->valuestring, 16);
            memcpy(b, d->valuestring + 16, 16);
            a[16] = b[16] = '\0';
            dd[0] = strtoull(a, &e1, 16);
            dd[1] = strtoull(b, &e2, 16);
            if (*e1 || *e2)
                return xa_error_set(XA_EINVAL, "not an ops file: a malformed chain digest");
            last = (uint64_t)seq;
            int rc = xa_chains_add(ch, node, (uint64_t)seq, dd);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int xa_codec_encode(char **out, const char *scope, const xa_op *ops, size_t n)
{
    return xa_codec_encode_chains(out, scope, ops, n, NULL);
}

int xa_codec_encode_chains(
    char **out, const char *scope, const xa_op *ops, size_t n, const xa_chains *chains)
{
    cJSON *doc = cJSON_CreateObject(), *nodes = NULL;
    char *text = NULL;
    int rc = 0;

    if (doc == NULL || !cJSON_AddStringToObject(doc, "format", FORMAT_NAME) ||
        !cJSON_AddNumberToObject(doc, "version", FORMAT_VERSION) ||
        !cJSON_AddStringToObject(doc, "scope", scope))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0 && (nodes = xa_codec_nodes_json(scope, ops, n)) == NULL)
        rc = XA_EINVAL;
    if (rc == 0)
        cJSON_AddItemToObject(doc, "nodes", nodes);
    if (rc == 0 && chains && chains->n) {
        cJSON *c = chains_json(chains);
        if (c == NULL || !cJSON_AddItemToObject(doc, "chains", c)) {
            cJSON_Delete(c);
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        }
    }
    if (rc == 0 && chains && chains->nmv) {
        cJSON *m = moves_json(chains);
        if (m == NULL || !cJSON_AddItemToObject(doc, "moves", m)) {
            cJSON_Delete(m);
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        }
    }
    if (rc == 0 && (text = cJSON_PrintUnformatted(doc)) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    cJSON_Delete(doc);
    if (rc == 0)
        *out = text;
    return rc;
}

/* ---- streaming an ops file -------------------------------------------- */

static int w_put(xa_codec_writer *w, const char *t)
{
    size_t n = strlen(t);

    if (w->err == 0 && fwrite(t, 1, n, w->f) != n)
        w->err = xa_error_set(XA_EIO, "writing the ops file: %s", strerror(errno));
    w->bytes += n;
    return w->err;
}

int xa_codec_stream_begin(xa_codec_writer *w, FILE *f, const char *scope)
{
    cJSON *s = cJSON_CreateString(scope);
    char *t = s ? cJSON_PrintUnformatted(s) : NULL, head[128];

    memset(w, 0, sizeof(*w));
    w->f = f;
    snprintf(w->scope, sizeof(w->scope), "%s", scope);
    cJSON_Delete(s);
    if (t == NULL)
        return w->err = xa_error_set(XA_ENOMEM, "out of memory");
    snprintf(head, sizeof(head), "{\"format\":\"%s\",\"version\":%d,\"scope\":", FORMAT_NAME,
             FORMAT_VERSION);
    w_put(w, head);
    w_put(w, t);
    free(t);
    return w_put(w, ",\"nodes\":{");
}

int xa_codec_stream_op(xa_codec_writer *w, const xa_op *op)
{
    char node[XA_NODE_HEX + 8];
    cJSON *a;
    char *t;

    if (w->err)
        return w->err;
    if (strcmp(op->scope, w->scope) != 0)
        return w->err = xa_error_set(XA_ESCOPE, "an op of scope '%s' in a document of '%s'",
                                     op->scope, w->scope);
    if (!w->open || op->node != w->cur) {
        char hex[XA_NODE_HEX + 1];
        xa_node_format(op->node, hex);
        snprintf(node, sizeof(node), "%s\"%s\":[", w->open ? "]," : "", hex);
        w_put(w, node);
        w->open = 1;
        w->first = 1;
        w->cur = op->node;
    }
    if ((a = op_to_json(op)) == NULL || (t = cJSON_PrintUnformatted(a)) == NULL) {
        cJSON_Delete(a);
        return w->err =
                   xa_error_set(XA_EINVAL, "an op's value is not valid JSON, or out of memory");
    }
    cJSON_Delete(a);
    if (!w->first)
        w_put(w, ",");
    w->first = 0;
    w_put(w, t);
    free(t);
    w->ops++;
    return w->err;
}

int xa_codec_stream_end(xa_codec_writer *w, const xa_chains *chains)
{
    w_put(w, w->open ? "]}" : "}");
    if (w->err == 0 && chains && chains->n) {
        cJSON *c = chains_json(chains);
        char *t = c ? cJSON_PrintUnformatted(c) : NULL;
        cJSON_Delete(c);
        if (t == NULL)
            return w->err = xa_error_set(XA_ENOMEM, "out of memory");
        w_put(w, ",\"chains\":");
        w_put(w, t);
        free(t);
    }
    if (w->err == 0 && chains && chains->nmv) {
        cJSON *m = moves_json(chains);
        char *t = m ? cJSON_PrintUnformatted(m) : NULL;
        cJSON_Delete(m);
        if (t == NULL)
            return w->err = xa_error_set(XA_ENOMEM, "out of memory");
        w_put(w, ",\"moves\":");
        w_put(w, t);
        free(t);
    }
    w_put(w, "}\n");
    if (w->err == 0 && fflush(w->f) != 0)
        w->err = xa_error_set(XA_EIO, "writing the ops file: %s", strerror(errno));
    return w->err;
}

/* ---- decode ------------------------------------------------------------ */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

static int op_from_json(const cJSON *a, const char *scope, xa_node node, xa_op *op)
{
    const cJSON *seq, *entity, *field, *value, *ctx, *hlc, *author;
    int64_t iseq, ihlc;
    char node_hex[XA_NODE_HEX + 1];
    int rc;

    xa_node_format(node, node_hex);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 7)
        return xa_error_set(XA_EINVAL, "not an ops file: an op of node %s is not a 7-member array",
                            node_hex);
    seq = cJSON_GetArrayItem(a, 0);
    entity = cJSON_GetArrayItem(a, 1);
    field = cJSON_GetArrayItem(a, 2);
    value = cJSON_GetArrayItem(a, 3);
    ctx = cJSON_GetArrayItem(a, 4);
    hlc = cJSON_GetArrayItem(a, 5);
    author = cJSON_GetArrayItem(a, 6);
    if (xa_codec_int(seq, 1, (double)(XA_SEQ_MAX - 1), &iseq) < 0)
        return xa_error_set(XA_EINVAL, "an op of node %s has a seq that is not in 1..2^53-1",
                            node_hex);
    if (xa_codec_int(hlc, 0, (double)(XA_SEQ_MAX - 1), &ihlc) < 0)
        return xa_error_set(XA_EINVAL, "op %s:%lld has a malformed clock", node_hex,
                            (long long)iseq);
    if (!cJSON_IsString(entity) || !cJSON_IsString(field) || !cJSON_IsString(author))
        return xa_error_set(XA_EINVAL, "op %s:%lld: entity, field and author must be strings",
                            node_hex, (long long)iseq);
    if ((rc = xa_check_entity(entity->valuestring)) < 0 ||
        (rc = xa_check_field(field->valuestring)) < 0 ||
        (rc = xa_check_author(author->valuestring)) < 0)
        return rc;

    op->node = node;
    op->seq = (uint64_t)iseq;
    op->hlc = ihlc;
    rc = xa_codec_vv_read(ctx, &op->ctx, "an op's context");
    if (rc < 0)
        return rc;
    op->value = cJSON_PrintUnformatted(value);
    if (op->value == NULL || (op->scope = dupstr(scope)) == NULL ||
        (op->entity = dupstr(entity->valuestring)) == NULL ||
        (op->field = dupstr(field->valuestring)) == NULL ||
        (op->author = dupstr(author->valuestring)) == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    return xa_check_value(op->value, strlen(op->value));
}

int xa_codec_nodes_read(const cJSON *nodes, const char *scope, xa_op_list *out)
{
    const cJSON *group;
    size_t start = out->n;
    int rc = 0;

    if (!cJSON_IsObject(nodes))
        return xa_error_set(XA_EINVAL, "not an ops document: no nodes object");
    cJSON_ArrayForEach(group, nodes)
    {
        const cJSON *a;
        xa_node node;

        if (xa_node_parse(group->string, &node) < 0) {
            rc = xa_error_set(XA_EINVAL, "not an ops file: '%.40s' is not a node id",
                              group->string ? group->string : "");
            break;
        }
        if (!cJSON_IsArray(group)) {
            rc =
                xa_error_set(XA_EINVAL, "not an ops file: node %s holds no op list", group->string);
            break;
        }
        cJSON_ArrayForEach(a, group)
        {
            xa_op *op = xa_op_list_push(out);
            rc = op ? op_from_json(a, scope, node, op) : XA_ENOMEM;
            if (rc < 0)
                break;
        }
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        while (out->n > start)
            xa_op_clear(&out->ops[--out->n]);
    }
    return rc;
}

int xa_codec_decode(xa_op_list *out, const char *text, size_t len, const char *expect_scope)
{
    return xa_codec_decode_chains(out, text, len, expect_scope, NULL);
}

int xa_codec_decode_chains(
    xa_op_list *out, const char *text, size_t len, const char *expect_scope, xa_chains *chains)
{
    const cJSON *format, *version, *scope, *nodes;
    size_t start = out->n;
    cJSON *doc;
    int rc = 0;

    if (len > XA_CODEC_MAX_TEXT)
        return xa_error_set(XA_ETOOBIG, "ops document too large: %zu bytes, limit %zu", len,
                            XA_CODEC_MAX_TEXT);
    /* cJSON checks no encoding: strings must be UTF-8 before they are trusted. */
    if (!xa_utf8_valid(text, len))
        return xa_error_set(XA_EINVAL, "the ops file is not valid UTF-8");
    if ((rc = xa_json_text_check(text, len, "the ops file")) < 0)
        return rc;
    doc = xa_codec_parse(text, len);
    if (doc == NULL)
        return xa_error_set(XA_EINVAL, "the ops file is not valid JSON (truncated or damaged?)");
    format = cJSON_GetObjectItemCaseSensitive(doc, "format");
    version = cJSON_GetObjectItemCaseSensitive(doc, "version");
    scope = cJSON_GetObjectItemCaseSensitive(doc, "scope");
    nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(format) ||
        strcmp(format->valuestring, FORMAT_NAME) != 0 || !cJSON_IsString(scope) ||
        !cJSON_IsObject(nodes) || !cJSON_IsNumber(version))
        rc = xa_error_set(XA_EINVAL, "not an ops file (no format, version, scope and nodes)");
    else if (version->valuedouble != FORMAT_VERSION)
        rc = xa_error_set(XA_EINVAL,
                          "ops file version %g; this xasync reads version %d (made by a newer"
                          " xasync? update this one)",
                          version->valuedouble, FORMAT_VERSION);
    else if (xa_check_scope(scope->valuestring) < 0)
        rc = xa_error_set(XA_EINVAL, "not an ops file: malformed scope");
    else if (expect_scope && strcmp(scope->valuestring, expect_scope) != 0)
        rc =
            xa_error_set(XA_ESCOPE, "the ops are of scope '%s', but this database holds scope '%s'",
                         scope->valuestring, expect_scope);
    if (rc == 0)
        rc = xa_codec_nodes_read(nodes, scope->valuestring, out);
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(doc, "chains");
    if (rc == 0 && ch && chains) {
        size_t mark = chains->n;
        rc = chains_read(ch, chains);
        if (rc < 0)
            chains->n = mark;
    }
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(doc, "moves");
    if (rc == 0 && mv && chains) {
        size_t mark = chains->nmv;
        rc = moves_read(mv, chains);
        if (rc < 0)
            chains->nmv = mark;
    }
    cJSON_Delete(doc);
    if (rc < 0) {
        while (out->n > start)
            xa_op_clear(&out->ops[--out->n]);
    }
    return rc;
}
