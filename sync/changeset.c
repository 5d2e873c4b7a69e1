/*
 * Changesets: sync messages as JSON (cJSON), compressed with zlib.
 *
 * Invariants:
 *   1. xa_unpack never holds more than max_out + 1 bytes of output, however
 *      the input is made: a zip bomb costs at most max_out of memory;
 *   2. a message decodes whole or not at all (`m` untouched on error);
 *   3. every dictionary ever shipped stays in `dicts`, found by the id zlib
 *      writes in the stream header.
 */
#include "xasync/changeset.h"

#include "codec_int.h"
#include "xasync/codec.h"
#include "xasync/error.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

extern const unsigned char xa_dict_v1[];
extern const size_t xa_dict_v1_len;

struct dict {
    int version;
    const unsigned char *data;
    const size_t *len;
};

static const struct dict dicts[] = {
    {1, xa_dict_v1, &xa_dict_v1_len},
};

#define NDICTS (sizeof(dicts) / sizeof(dicts[0]))

static uLong dict_id(const struct dict *d)
{
    return adler32(adler32(0L, Z_NULL, 0), d->data, (uInt)*d->len);
}

static const struct dict *newest_dict(void)
{
    for (size_t i = 0; i < NDICTS; i++)
        if (dicts[i].version == XA_DICT_VERSION)
            return &dicts[i];
    return NULL;
}

int xa_pack(unsigned char **out, size_t *outlen, const char *text, size_t len, int kind)
{
    z_stream z;
    unsigned char *buf;
    uLong cap;
    int bits = kind == XA_PACK_GZIP ? 15 + 16 : 15, zrc;

    if (kind != XA_PACK_DICT && kind != XA_PACK_DEFLATE && kind != XA_PACK_GZIP)
        return xa_error_set(XA_EINVAL, "unknown compression kind %d", kind);
    /* zlib counts in 32 bits: one call, one bound. */
    if (len > (size_t)UINT32_MAX / 2)
        return xa_error_set(XA_ETOOBIG, "a changeset of %zu bytes is too large to pack", len);
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return xa_error_set(XA_ENOMEM, "cannot start compression");
    if (kind == XA_PACK_DICT) {
        const struct dict *d = newest_dict();
        if (deflateSetDictionary(&z, d->data, (uInt)*d->len) != Z_OK) {
            deflateEnd(&z);
            return xa_error_set(XA_EIO, "cannot set the compression dictionary");
        }
    }
    cap = deflateBound(&z, (uLong)len) + 32;
    buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&z);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    zrc = deflate(&z, Z_FINISH);
    if (zrc != Z_STREAM_END) {
        deflateEnd(&z);
        free(buf);
        return xa_error_set(XA_EIO, "compression failed");
    }
    *outlen = z.total_out;
    deflateEnd(&z);
    *out = buf;
    return 0;
}

int xa_unpack(
    char **out, size_t *outlen, const unsigned char *in, size_t inlen, int kind, size_t max_out)
{
    z_stream z;
    char *buf = NULL;
    size_t cap = 0;
    int bits = kind == XA_PACK_GZIP ? 15 + 16 : 15, zrc = Z_OK, rc = 0;

    if (kind != XA_PACK_DICT && kind != XA_PACK_DEFLATE && kind != XA_PACK_GZIP)
        return xa_error_set(XA_EINVAL, "unknown compression kind %d", kind);
    if (inlen > UINT32_MAX)
        return xa_error_set(XA_ETOOBIG, "compressed body too large");
    /* zlib's counters are 32-bit: no output bound past that. */
    if (max_out > (size_t)UINT32_MAX - 1)
        max_out = (size_t)UINT32_MAX - 1;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, bits) != Z_OK)
        return xa_error_set(XA_ENOMEM, "cannot start decompression");
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)inlen;
    while (rc == 0 && zrc != Z_STREAM_END) {
        if (z.total_out == cap) {
            /* Grow up to max_out + 1: one byte past the bound proves the
             * body too large without inflating the rest. */
            size_t ncap = cap ? cap * 2 : (inlen * 4 < 4096 ? 4096 : inlen * 4);
            if (ncap > max_out + 1)
                ncap = max_out + 1;
            if (ncap <= cap) {
                rc = xa_error_set(XA_ETOOBIG, "the body inflates past the limit of %zu bytes",
                                  max_out);
                break;
            }
            char *b = realloc(buf, ncap + 1);
            if (b == NULL) {
                rc = xa_error_set(XA_ENOMEM, "out of memory");
                break;
            }
            buf = b;
            cap = ncap;
        }
        z.next_out = (Bytef *)buf + z.total_out;
        z.avail_out = (uInt)(cap - z.total_out);
        zrc = inflate(&z, Z_NO_FLUSH);
        if (zrc == Z_NEED_DICT) {
            const struct dict *d = NULL;
            for (size_t i = 0; i < NDICTS; i++)
                if (dict_id(&dicts[i]) == z.adler)
                    d = &dicts[i];
            if (d == NULL)
                rc = xa_error_set(XA_EINVAL,
                                  "the body uses compression dictionary %08lx, which this xasync"
                                  " does not know (a newer version?)",
                                  (unsigned long)z.adler);
            else if (inflateSetDictionary(&z, d->data, (uInt)*d->len) != Z_OK)
                rc = xa_error_set(XA_EINVAL, "the body does not inflate (dictionary)");
            zrc = Z_OK;
        } else if (zrc == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out != 0) {
            rc = xa_error_set(XA_EINVAL, "the body does not inflate: it ends too soon");
        } else if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            rc = xa_error_set(XA_EINVAL, "the body does not inflate: %s",
                              z.msg ? z.msg : "corrupt data");
        }
    }
    if (rc == 0 && z.avail_in != 0)
        rc = xa_error_set(XA_EINVAL, "the body does not inflate: data after the end");
    if (rc == 0 && z.total_out > max_out)
        rc = xa_error_set(XA_ETOOBIG, "the body inflates past the limit of %zu bytes", max_out);
    if (rc < 0) {
        inflateEnd(&z);
        free(buf);
        return rc;
    }
    if (buf == NULL && (buf = malloc(1)) == NULL) {
        inflateEnd(&z);
        return xa_error_set(XA_ENOMEM, "out of memory");
    }
    buf[z.total_out] = '\0';
    *outlen = z.total_out;
    inflateEnd(&z);
    *out = buf;
    return 0;
}

/* ---- snapshots ---------------------------------------------------------- */

/* 1 if a field's context is the join of its values' contexts and dots. */
static int implied_fctx(const xa_snap_field *f)
{
    xa_vv j = XA_VV_INIT;
    int same = 1;

    for (size_t k = 0; same && k < f->n; k++)
        if (xa_vv_merge(&j, &f->sib[k].ctx) < 0 ||
            xa_vv_bump(&j, f->sib[k].node, f->sib[k].seq) < 0)
            same = 0;
    same = same && xa_vv_equal(&j, &f->fctx);
    xa_vv_free(&j);
    return same;
}

static cJSON *snap_json(const xa_snapshot *sn)
{
    cJSON *o = cJSON_CreateObject(), *fields;

    if (o == NULL || !cJSON_AddItemToObject(o, "have", xa_codec_vv_json(&sn->have)) ||
        (fields = cJSON_AddArrayToObject(o, "fields")) == NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < sn->n; i++) {
        const xa_snap_field *f = &sn->f[i];
        cJSON *a = cJSON_CreateArray(), *sibs = cJSON_CreateArray();
        cJSON_AddItemToArray(fields, a);
        cJSON_AddItemToArray(a, cJSON_CreateString(f->entity));
        cJSON_AddItemToArray(a, cJSON_CreateString(f->field));
        /* The context, or 0 when it is what the values imply (their own
         * contexts and dots): the common case, and 0 is cheaper. */
        cJSON_AddItemToArray(a,
                             implied_fctx(f) ? cJSON_CreateRaw("0") : xa_codec_vv_json(&f->fctx));
        cJSON_AddItemToArray(a, sibs);
        for (size_t k = 0; k < f->n; k++) {
            const xa_op *op = &f->sib[k];
            char node[XA_NODE_HEX + 1];
            cJSON *v = cJSON_Parse(op->value), *oa = cJSON_CreateArray();
            xa_node_format(op->node, node);
            cJSON_AddItemToArray(sibs, oa);
            cJSON_AddItemToArray(oa, cJSON_CreateString(node));
            cJSON_AddItemToArray(oa, xa_codec_uint(op->seq));
            cJSON_AddItemToArray(oa, v ? v : cJSON_CreateNull());
            cJSON_AddItemToArray(oa, xa_codec_vv_json(&op->ctx));
            cJSON_AddItemToArray(oa, xa_codec_uint((uint64_t)op->hlc));
            cJSON_AddItemToArray(oa, cJSON_CreateString(op->author));
        }
    }
    return o;
}

static int snap_read(const cJSON *o, const char *scope, xa_snapshot *sn)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(o, "fields"), *f;
    size_t nf;
    int rc;

    if (!cJSON_IsObject(o) || !cJSON_IsArray(fields))
        return xa_error_set(XA_EINVAL, "a malformed snapshot");
    rc = xa_codec_vv_read(cJSON_GetObjectItemCaseSensitive(o, "have"), &sn->have, "snapshot");
    if (rc < 0)
        return rc;
    nf = (size_t)cJSON_GetArraySize(fields);
    sn->f = calloc(nf ? nf : 1, sizeof(*sn->f));
    if (sn->f == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    cJSON_ArrayForEach(f, fields)
    {
        const cJSON *e = cJSON_GetArrayItem(f, 0), *fl = cJSON_GetArrayItem(f, 1);
        const cJSON *sibs = cJSON_GetArrayItem(f, 3), *sa;
        xa_snap_field *sf = &sn->f[sn->n++];

        if (!cJSON_IsArray(f) || cJSON_GetArraySize(f) != 4 || !cJSON_IsString(e) ||
            !cJSON_IsString(fl) || !cJSON_IsArray(sibs))
            return xa_error_set(XA_EINVAL, "a malformed snapshot field");
        if ((rc = xa_check_entity(e->valuestring)) < 0 ||
            (rc = xa_check_field(fl->valuestring)) < 0)
            return rc;
        sf->entity = strdup(e->valuestring);
        sf->field = strdup(fl->valuestring);
        if (sf->entity == NULL || sf->field == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        const cJSON *fctx = cJSON_GetArrayItem(f, 2);
        int implied = cJSON_IsNumber(fctx) && fctx->valuedouble == 0;
        if (!implied && (rc = xa_codec_vv_read(fctx, &sf->fctx, "snapshot field")) < 0)
            return rc;
        sf->sib = calloc((size_t)cJSON_GetArraySize(sibs) + 1, sizeof(*sf->sib));
        if (sf->sib == NULL)
            return xa_error_set(XA_ENOMEM, "out of memory");
        cJSON_ArrayForEach(sa, sibs)
        {
            const cJSON *node = cJSON_GetArrayItem(sa, 0), *au = cJSON_GetArrayItem(sa, 5);
            xa_op *op = &sf->sib[sf->n++];
            int64_t seq, hlc;

            if (!cJSON_IsArray(sa) || cJSON_GetArraySize(sa) != 6 || !cJSON_IsString(node) ||
                xa_node_parse(node->valuestring, &op->node) < 0 ||
                xa_codec_int(cJSON_GetArrayItem(sa, 1), 1, (double)(XA_SEQ_MAX - 1), &seq) < 0 ||
                xa_codec_int(cJSON_GetArrayItem(sa, 4), 0, (double)(XA_SEQ_MAX - 1), &hlc) < 0 ||
                !cJSON_IsString(au))
                return xa_error_set(XA_EINVAL, "a malformed snapshot op");
            if ((rc = xa_check_author(au->valuestring)) < 0)
                return rc;
            op->seq = (uint64_t)seq;
            op->hlc = hlc;
            op->scope = strdup(scope);
            op->entity = strdup(sf->entity);
            op->field = strdup(sf->field);
            op->author = strdup(au->valuestring);
            op->value = cJSON_PrintUnformatted(cJSON_GetArrayItem(sa, 2));
            if (!op->scope || !op->entity || !op->field || !op->author || !op->value)
                return xa_error_set(XA_ENOMEM, "out of memory");
            rc = xa_codec_vv_read(cJSON_GetArrayItem(sa, 3), &op->ctx, "snapshot op");
            if (rc == 0)
                rc = xa_check_value(op->value, strlen(op->value));
            if (rc == 0 && implied && (rc = xa_vv_merge(&sf->fctx, &op->ctx)) == 0)
                rc = xa_vv_bump(&sf->fctx, op->node, op->seq);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* ---- messages ----------------------------------------------------------- */

void xa_sync_msg_init(xa_sync_msg *m)
{
    memset(m, 0, sizeof(*m));
}

void xa_sync_msg_clear(xa_sync_msg *m)
{
    xa_vv_free(&m->have);
    xa_op_list_free(&m->ops);
    if (m->snap) {
        xa_snapshot_free(m->snap);
        free(m->snap);
    }
    memset(m, 0, sizeof(*m));
}

int xa_sync_msg_encode(char **out, size_t *outlen, const xa_sync_msg *m, int is_request)
{
    cJSON *doc = cJSON_CreateObject(), *have = NULL, *nodes = NULL;
    char node[XA_NODE_HEX + 1], *text = NULL;
    int rc = 0;

    /* No format or version member: the media type names both, and on W1
     * they would cost more than half a kilobyte. */
    if (doc == NULL || !cJSON_AddStringToObject(doc, "scope", m->scope))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0 && is_request) {
        xa_node_format(m->node, node);
        if (!cJSON_AddStringToObject(doc, "node", node))
            rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    if (rc == 0 && ((have = xa_codec_vv_json(&m->have)) == NULL ||
                    !cJSON_AddItemToObject(doc, "have", have))) {
        cJSON_Delete(have);
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    }
    if (rc == 0 && is_request &&
        !cJSON_AddItemToObject(doc, "max", xa_codec_uint((uint64_t)m->max)))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0 && !is_request && !cJSON_AddBoolToObject(doc, "more", m->more))
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    if (rc == 0 && (nodes = xa_codec_nodes_json(m->scope, m->ops.ops, m->ops.n)) == NULL)
        rc = XA_EINVAL;
    if (rc == 0)
        cJSON_AddItemToObject(doc, "nodes", nodes);
    if (rc == 0 && !is_request && m->snap) {
        cJSON *sn = snap_json(m->snap);
        if (sn == NULL || !cJSON_AddItemToObject(doc, "snapshot", sn)) {
            cJSON_Delete(sn);
            rc = xa_error_set(XA_ENOMEM, "out of memory");
        }
    }
    if (rc == 0 && (text = cJSON_PrintUnformatted(doc)) == NULL)
        rc = xa_error_set(XA_ENOMEM, "out of memory");
    cJSON_Delete(doc);
    if (rc < 0)
        return rc;
    *out = text;
    *outlen = strlen(text);
    return 0;
}

int xa_sync_msg_decode(
    xa_sync_msg *m, const char *text, size_t len, const char *expect_scope, int is_request)
{
    const cJSON *scope, *node, *have, *max, *more, *nodes;
    xa_sync_msg r;
    cJSON *doc;
    int64_t imax = 0;
    int rc = 0;

    xa_sync_msg_init(&r);
    if (!xa_utf8_valid(text, len))
        return xa_error_set(XA_EINVAL, "the changeset is not valid UTF-8");
    if ((rc = xa_json_text_check(text, len, "the changeset")) < 0)
        return rc;
    doc = xa_codec_parse(text, len);
    if (doc == NULL)
        return xa_error_set(XA_EINVAL, "the changeset is not valid JSON");
    scope = cJSON_GetObjectItemCaseSensitive(doc, "scope");
    node = cJSON_GetObjectItemCaseSensitive(doc, "node");
    have = cJSON_GetObjectItemCaseSensitive(doc, "have");
    max = cJSON_GetObjectItemCaseSensitive(doc, "max");
    more = cJSON_GetObjectItemCaseSensitive(doc, "more");
    nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    /* Format and version are optional (the media type names them), but a
     * body that names others is not guessed at. */
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
    if (format && (!cJSON_IsString(format) || strcmp(format->valuestring, XA_SYNC_FORMAT) != 0))
        rc = xa_error_set(XA_EINVAL, "not a changeset: format '%.40s', this xasync reads '%s'",
                          cJSON_IsString(format) ? format->valuestring : "?", XA_SYNC_FORMAT);
    else if (version && (!cJSON_IsNumber(version) || version->valuedouble != XA_SYNC_VERSION))
        rc = xa_error_set(XA_EINVAL,
                          "sync %s version %g; this xasync reads version %d (update the older"
                          " side)",
                          is_request ? "request" : "answer",
                          cJSON_IsNumber(version) ? version->valuedouble : -1.0, XA_SYNC_VERSION);
    else if (!cJSON_IsObject(doc) || !cJSON_IsString(scope) || !cJSON_IsObject(have) ||
             !cJSON_IsObject(nodes))
        rc = xa_error_set(XA_EINVAL, "not a changeset (scope, have, nodes)");
    else if (xa_check_scope(scope->valuestring) < 0)
        rc = xa_error_set(XA_EINVAL, "not a changeset: malformed scope");
    else if (expect_scope && strcmp(scope->valuestring, expect_scope) != 0)
        rc = xa_error_set(XA_ESCOPE, "the changeset is of scope '%s', not '%s'", scope->valuestring,
                          expect_scope);
    else if (is_request && (!cJSON_IsString(node) || xa_node_parse(node->valuestring, &r.node) < 0))
        rc = xa_error_set(XA_EINVAL, "not a sync request: no valid node");
    else if (is_request && xa_codec_int(max, 0, 1e9, &imax) < 0)
        rc = xa_error_set(XA_EINVAL, "not a sync request: max must be an integer");
    else if (!is_request && !cJSON_IsBool(more))
        rc = xa_error_set(XA_EINVAL, "not a sync response: no 'more'");
    if (rc == 0) {
        memcpy(r.scope, scope->valuestring, strlen(scope->valuestring) + 1);
        r.max = (size_t)imax;
        r.more = !is_request && cJSON_IsTrue(more);
        rc = xa_codec_vv_read(have, &r.have, "have");
    }
    if (rc == 0)
        rc = xa_codec_nodes_read(nodes, r.scope, &r.ops);
    const cJSON *snap = cJSON_GetObjectItemCaseSensitive(doc, "snapshot");
    if (rc == 0 && snap && !is_request) {
        r.snap = calloc(1, sizeof(*r.snap));
        rc = r.snap ? snap_read(snap, r.scope, r.snap) : xa_error_set(XA_ENOMEM, "out of memory");
    }
    cJSON_Delete(doc);
    if (rc < 0) {
        xa_sync_msg_clear(&r);
        return rc;
    }
    xa_sync_msg_clear(m);
    *m = r;
    return 0;
}
