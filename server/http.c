/*
 * The district server's HTTP service (libmicrohttpd).
 *
 *   POST /v1/scopes/{scope}/sync   a changeset in, a changeset out
 *   GET  /v1/scopes                every commune: last sync, ops, conflicts
 *   GET  /v1/scopes/{scope}/state  the latest state of every field
 *
 * Like systemd's journal-remote, everything that can be checked before the
 * body is read is checked first: method, path, token, scope, media type and
 * encoding, declared length.  The body is then read into a buffer bounded by
 * max_body, inflated with a bound, decoded, and applied in one transaction
 * through the same merge code a PC uses.
 *
 * Invariants:
 *   1. a request that fails changes nothing (one transaction, rolled back);
 *   2. no buffer grows past its stated limit, whatever a client sends;
 *   3. every error answer of ours is a 4xx/5xx with {"error": "..."} in JSON
 *      (libmicrohttpd's own 431 for oversized headers is its HTML page);
 *   4. the store is used by one thread at a time (a mutex): SQLite's writes
 *      are serial anyway, and the handle caches statements.
 */
#include "district.h"
#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/view.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT_T;
#else
typedef enum MHD_Result MHD_RESULT_T;
#endif

void xa_serve_opts_default(xa_serve_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->listen = "127.0.0.1:8640";
    o->max_body = 4 * 1024 * 1024;
    o->max_inflated = 64 * 1024 * 1024;
    o->max_header = 16 * 1024;
    o->max_conns = 256;
    o->timeout_s = 60;
    o->threads = 4;
    o->max_ops_back = 5000;
    o->max_answer_bytes = 8 * 1024 * 1024;
}

typedef struct server {
    xa_store *st;
    const xa_serve_opts *o;
    pthread_mutex_t lock;
} server;

/* Per-request state, from the first call of the handler to the last. */
typedef struct req {
    int kind; /* XA_PACK_* of the body */
    char scope[XA_SCOPE_MAX + 1];
    char *body;
    size_t n, cap;
    int too_big;
} req;

/* ---- answers ------------------------------------------------------------ */

static MHD_RESULT_T answer(struct MHD_Connection *c,
                           unsigned status,
                           const char *ctype,
                           const char *cenc,
                           void *data,
                           size_t len,
                           int must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, data, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    MHD_RESULT_T ret;

    if (r == NULL) {
        if (must_free)
            free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (cenc)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, cenc);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* {"error": msg} plus optional extra members (already JSON, no braces). */
static MHD_RESULT_T
fail(struct MHD_Connection *c, unsigned status, const char *msg, const char *extra)
{
    cJSON *o = cJSON_CreateObject();
    char *s;

    cJSON_AddStringToObject(o, "error", msg);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s && extra && *extra) {
        size_t n = strlen(s), e = strlen(extra);
        char *t = malloc(n + e + 2);
        if (t) {
            memcpy(t, s, n - 1);
            t[n - 1] = ',';
            memcpy(t + n, extra, e);
            t[n + e] = '}';
            t[n + e + 1] = '\0';
        }
        free(s);
        s = t;
    }
    if (s == NULL)
        return MHD_NO;
    return answer(c, status, "application/json", NULL, s, strlen(s), 1);
}

/* 405 with the Allow header RFC 9110 asks for. */
static MHD_RESULT_T fail_allow(struct MHD_Connection *c, const char *allow)
{
    static const char body[] = "{\"error\":\"method not allowed here\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_RESULT_T ret;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
    MHD_destroy_response(r);
    return ret;
}

/* XA_E* -> HTTP status, in one table. */
static unsigned status_of(int rc)
{
    switch (rc) {
    case XA_EINVAL:
    case XA_ESCOPE:
        return MHD_HTTP_BAD_REQUEST;
    case XA_EAUTH:
        return MHD_HTTP_FORBIDDEN;
    case XA_ENOTFOUND:
        return MHD_HTTP_NOT_FOUND;
    case XA_EGAP:
    case XA_EFORGED:
    case XA_ECONFLICT:
        return MHD_HTTP_CONFLICT;
    case XA_ETOOBIG:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case XA_EBUSY:
    case XA_ETRANSIENT:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* ---- who is asking ------------------------------------------------------ */

/* 0 and the token's commune (or district = 1), or an HTTP status. */
static unsigned authorize(server *sv, struct MHD_Connection *c, char *scope, int *district)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    uint8_t hash[XA_TOKEN_HASH];
    int rc;

    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) == 0 || strlen(h + 7) > 256)
        return MHD_HTTP_UNAUTHORIZED;
    if (xa_token_hash(h + 7, strlen(h + 7), hash) < 0)
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    pthread_mutex_lock(&sv->lock);
    rc = xa_district_token_find(sv->st, hash, scope, district);
    pthread_mutex_unlock(&sv->lock);
    if (rc == XA_EAUTH)
        return MHD_HTTP_UNAUTHORIZED;
    return rc < 0 ? status_of(rc) : 0;
}

/* Split "/v1/scopes/{scope}/{what}"; 0 if the path is not of that shape. */
static int parse_path(const char *url, char *scope, const char **what)
{
    const char *p = url, *slash;
    size_t n;

    if (strncmp(p, "/v1/scopes/", 11) != 0)
        return 0;
    p += 11;
    slash = strchr(p, '/');
    if (slash == NULL)
        return 0;
    n = (size_t)(slash - p);
    if (n == 0 || n > XA_SCOPE_MAX)
        return 0;
    memcpy(scope, p, n);
    scope[n] = '\0';
    *what = slash + 1;
    return 1;
}

/* The body's kind from its headers, or 0 if not acceptable. */
static int body_kind(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *ce =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    size_t ml = strlen(XA_MEDIA_CHANGESET);

    if (ct && strncasecmp(ct, XA_MEDIA_CHANGESET, ml) == 0 && (ct[ml] == '\0' || ct[ml] == ';'))
        return ce == NULL || strcasecmp(ce, "identity") == 0 ? XA_PACK_DICT : 0;
    if (ct && strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';') &&
        ce) {
        if (strcasecmp(ce, "deflate") == 0)
            return XA_PACK_DEFLATE;
        if (strcasecmp(ce, "gzip") == 0)
            return XA_PACK_GZIP;
    }
    return 0;
}

/* ---- the sync endpoint -------------------------------------------------- */

/* An op's size in an answer, roughly (JSON text before compression). */
static size_t op_bytes(const xa_op *op)
{
    return strlen(op->entity) + strlen(op->field) + strlen(op->value) + strlen(op->author) +
           op->ctx.n * 24 + 48;
}

/* Bound an answer in bytes as well as in ops: cut the op list (keeping at
 * least one op, and each node's run contiguous since the list is by node
 * then seq) and say there is more.  Values may be 64 KiB each, so a count
 * alone could make an answer a client refuses, again and again. */
static void trim_answer(xa_sync_msg *out, size_t budget)
{
    size_t total = 0;

    for (size_t i = 0; i < out->ops.n; i++) {
        total += op_bytes(&out->ops.ops[i]);
        if (total > budget && i > 0) {
            while (out->ops.n > i)
                xa_op_clear(&out->ops.ops[--out->ops.n]);
            out->more = 1;
            return;
        }
    }
}

/* A fresh replica (it holds nothing) gets the state instead of the history
 * when the history is longer than the state: every field's current values
 * and context.  Called with the lock held. */
static int maybe_snapshot(server *sv, const char *scope, xa_sync_msg *out)
{
    uint64_t ops = 0;
    xa_snapshot *sn;
    size_t nsib = 0;
    int rc;

    for (size_t i = 0; i < out->have.n; i++)
        ops += out->have.e[i].seq;
    if (ops == 0)
        return 0;
    sn = calloc(1, sizeof(*sn));
    if (sn == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    size_t bytes = 0;
    rc = xa_store_snapshot(sv->st, scope, sn);
    for (size_t i = 0; rc == 0 && i < sn->n; i++) {
        nsib += sn->f[i].n;
        for (size_t k = 0; k < sn->f[i].n; k++)
            bytes += op_bytes(&sn->f[i].sib[k]);
    }
    /* A state too large for one answer goes as history, in bounded parts. */
    if (rc < 0 || nsib >= ops || bytes > sv->o->max_answer_bytes) {
        xa_snapshot_free(sn);
        free(sn);
        return rc;
    }
    out->snap = sn;
    return xa_vv_copy(&out->have, &sn->have);
}

static MHD_RESULT_T do_sync(server *sv, struct MHD_Connection *c, req *q)
{
    xa_sync_msg in, out;
    xa_apply_result ar;
    char *plain = NULL, *text = NULL, extra[160];
    unsigned char *packed = NULL;
    size_t plainlen = 0, textlen = 0, plen = 0;
    int rc, begun = 0;
    MHD_RESULT_T ret;

    xa_sync_msg_init(&in);
    xa_sync_msg_init(&out);
    extra[0] = '\0';
    rc = xa_unpack(&plain, &plainlen, (unsigned char *)q->body, q->n, q->kind, sv->o->max_inflated);
    if (rc == 0)
        rc = xa_sync_msg_decode(&in, plain, plainlen, q->scope, 1);
    free(plain);
    if (rc < 0)
        goto done;

    pthread_mutex_lock(&sv->lock);
    rc = xa_store_begin(sv->st);
    begun = rc == 0;
    if (rc == 0)
        rc = xa_district_claim_nodes(sv->st, q->scope, in.ops.ops, in.ops.n);
    if (rc == 0)
        rc = xa_store_apply(sv->st, q->scope, in.ops.ops, in.ops.n, &ar);
    if (rc == XA_EFORGED || rc == XA_EGAP) {
        xa_dot d = xa_store_refused_dot(sv->st);
        char hex[XA_NODE_HEX + 1];
        xa_node_format(d.node, hex);
        snprintf(extra, sizeof(extra), "\"code\":\"%s\",\"node\":\"%s\",\"seq\":%llu",
                 rc == XA_EFORGED ? "forged" : "gap", hex, (unsigned long long)d.seq);
    }
    if (rc == 0)
        rc = xa_district_touch(sv->st, q->scope);
    if (rc == 0)
        rc = xa_store_commit(sv->st);
    if (rc < 0 && begun)
        xa_store_rollback(sv->st);
    /* The answer: our vector after the apply, and what the client lacks. */
    if (rc == 0) {
        snprintf(out.scope, sizeof(out.scope), "%s", q->scope);
        size_t max = in.max && in.max < sv->o->max_ops_back ? in.max : sv->o->max_ops_back;
        rc = xa_store_have(sv->st, q->scope, &out.have);
        if (rc == 0 && in.have.n == 0)
            rc = maybe_snapshot(sv, q->scope, &out);
        if (rc == 0)
            rc = xa_store_missing(sv->st, q->scope, out.snap ? &out.snap->have : &in.have, max,
                                  &out.ops, &out.more);
        if (rc == 0)
            trim_answer(&out, sv->o->max_answer_bytes);
    }
    pthread_mutex_unlock(&sv->lock);
    if (rc == 0)
        rc = xa_sync_msg_encode(&text, &textlen, &out, 0);
    if (rc == 0)
        rc = xa_pack(&packed, &plen, text, textlen, q->kind);
    free(text);
done:
    if (rc < 0)
        ret = fail(c, status_of(rc), xa_error_last(), extra);
    else
        ret = answer(c, MHD_HTTP_OK,
                     q->kind == XA_PACK_DICT ? XA_MEDIA_CHANGESET : "application/json",
                     q->kind == XA_PACK_DICT   ? NULL
                     : q->kind == XA_PACK_GZIP ? "gzip"
                                               : "deflate",
                     packed, plen, 1);
    xa_sync_msg_clear(&in);
    xa_sync_msg_clear(&out);
    return ret;
}

/* ---- the district's reads ---------------------------------------------- */

char *xa_communes_json(const xa_commune *v, size_t n, int pretty)
{
    cJSON *a = cJSON_CreateArray();
    char *s;

    for (size_t i = 0; a && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        char t[48] = "";
        cJSON_AddStringToObject(o, "scope", v[i].scope);
        cJSON_AddStringToObject(o, "name", v[i].name);
        if (v[i].last_sync) {
            xa_view_time_iso(v[i].last_sync, t, sizeof(t));
            cJSON_AddStringToObject(o, "last_sync", t);
        } else {
            cJSON_AddNullToObject(o, "last_sync");
        }
        cJSON_AddNumberToObject(o, "ops", (double)v[i].ops);
        cJSON_AddNumberToObject(o, "conflicts", (double)v[i].conflicts);
        cJSON_AddItemToArray(a, o);
    }
    s = a ? (pretty ? cJSON_Print(a) : cJSON_PrintUnformatted(a)) : NULL;
    cJSON_Delete(a);
    return s;
}

static MHD_RESULT_T do_scopes(server *sv, struct MHD_Connection *c)
{
    xa_commune *v = NULL;
    size_t n = 0;
    char *s;
    int rc;

    pthread_mutex_lock(&sv->lock);
    rc = xa_district_communes(sv->st, &v, &n);
    pthread_mutex_unlock(&sv->lock);
    if (rc < 0)
        return fail(c, status_of(rc), xa_error_last(), NULL);
    s = xa_communes_json(v, n, 0);
    free(v);
    if (s == NULL)
        return MHD_NO;
    return answer(c, MHD_HTTP_OK, "application/json", NULL, s, strlen(s), 1);
}

static MHD_RESULT_T do_state(server *sv, struct MHD_Connection *c, const char *scope)
{
    xa_field *f = NULL;
    size_t n = 0;
    char *s;
    int rc;

    pthread_mutex_lock(&sv->lock);
    rc = xa_store_fields(sv->st, scope, NULL, 0, &f, &n);
    pthread_mutex_unlock(&sv->lock);
    if (rc < 0)
        return fail(c, status_of(rc), xa_error_last(), NULL);
    s = xa_view_fields(f, n, 0);
    xa_fields_free(f, n);
    if (s == NULL)
        return MHD_NO;
    return answer(c, MHD_HTTP_OK, "application/json", NULL, s, strlen(s), 1);
}

/* ---- routing ------------------------------------------------------------ */

static MHD_RESULT_T handle(void *cls,
                           struct MHD_Connection *c,
                           const char *url,
                           const char *method,
                           const char *version,
                           const char *upload,
                           size_t *upload_size,
                           void **con_cls)
{
    server *sv = cls;
    req *q = *con_cls;
    char scope[XA_SCOPE_MAX + 1], tscope[XA_SCOPE_MAX + 1];
    const char *what = NULL;
    int district = 0, is_sync, has_scope;
    unsigned st;

    (void)version;
    if (q != NULL) {
        /* Body chunks, then the final call. */
        if (*upload_size) {
            if (!q->too_big && q->n + *upload_size <= sv->o->max_body) {
                if (q->n + *upload_size > q->cap) {
                    size_t cap = q->cap ? q->cap : 16384;
                    while (cap < q->n + *upload_size)
                        cap *= 2;
                    if (cap > sv->o->max_body)
                        cap = sv->o->max_body;
                    char *b = realloc(q->body, cap);
                    if (b == NULL)
                        return MHD_NO;
                    q->body = b;
                    q->cap = cap;
                }
                memcpy(q->body + q->n, upload, *upload_size);
                q->n += *upload_size;
            } else {
                q->too_big = 1;
            }
            *upload_size = 0;
            return MHD_YES;
        }
        if (q->too_big) {
            char msg[96];
            snprintf(msg, sizeof(msg), "the body is over the limit of %zu bytes", sv->o->max_body);
            return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
        }
        return do_sync(sv, c, q);
    }

    /* First call: headers only.  Everything that can be refused is refused
     * here, before a byte of the body is read. */
    has_scope = parse_path(url, scope, &what);
    is_sync = has_scope && strcmp(what, "sync") == 0;
    if (!(is_sync || strcmp(url, "/v1/scopes") == 0 || (has_scope && strcmp(what, "state") == 0)))
        return fail(c, MHD_HTTP_NOT_FOUND, "no such resource", NULL);
    if (is_sync ? strcmp(method, "POST") != 0 : strcmp(method, "GET") != 0)
        return fail_allow(c, is_sync ? "POST" : "GET");
    st = authorize(sv, c, tscope, &district);
    if (st == MHD_HTTP_UNAUTHORIZED)
        return fail(c, st, "a valid token is needed (Authorization: Bearer TOKEN)", NULL);
    if (st)
        return fail(c, st, xa_error_last(), NULL);
    if (!has_scope) {
        if (!district)
            return fail(c, MHD_HTTP_FORBIDDEN, "only a district token lists every commune", NULL);
        return do_scopes(sv, c);
    }
    if (xa_check_scope(scope) < 0)
        return fail(c, MHD_HTTP_NOT_FOUND, "unknown scope", NULL);
    {
        xa_commune cm;
        int rc;
        pthread_mutex_lock(&sv->lock);
        rc = xa_district_commune_get(sv->st, scope, &cm);
        pthread_mutex_unlock(&sv->lock);
        if (rc == XA_ENOTFOUND)
            return fail(c, MHD_HTTP_NOT_FOUND, "unknown scope", NULL);
        if (rc < 0)
            return fail(c, status_of(rc), xa_error_last(), NULL);
    }
    if (!district && strcmp(tscope, scope) != 0)
        return fail(c, MHD_HTTP_FORBIDDEN, "this token is for another commune", NULL);
    if (!is_sync)
        return do_state(sv, c, scope);
    if (district)
        return fail(c, MHD_HTTP_FORBIDDEN, "a district token reads; it does not sync", NULL);

    int kind = body_kind(c);
    if (kind == 0)
        return fail(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "send " XA_MEDIA_CHANGESET ", or application/json with Content-Encoding"
                    " deflate or gzip",
                    NULL);
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > sv->o->max_body) {
        char msg[96];
        snprintf(msg, sizeof(msg), "the body is over the limit of %zu bytes", sv->o->max_body);
        return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return MHD_NO;
    q->kind = kind;
    memcpy(q->scope, scope, sizeof(q->scope));
    *con_cls = q;
    return MHD_YES;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    req *q = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (q) {
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

/* ---- the listening socket ------------------------------------------------ */

/* Bind "HOST:PORT" or "[V6]:PORT"; print the port the OS chose. */
static int bind_listen(const char *spec, int *fd_out)
{
    char host[128];
    const char *colon;
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1;
    long port;
    char *end;

    memset(&ss, 0, sizeof(ss));
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (rb == NULL || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
            return xa_error_set(XA_EINVAL, "--listen wants HOST:PORT or [V6]:PORT, not %s", spec);
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
            return xa_error_set(XA_EINVAL, "--listen wants HOST:PORT, not %s", spec);
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return xa_error_set(XA_EINVAL, "--listen: bad port in %s", spec);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        sl = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        sl = sizeof(*v6);
    } else {
        return xa_error_set(XA_EINVAL, "--listen: '%s' is not an IP address", host);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return xa_error_set(XA_EIO, "cannot make a socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return xa_error_set(XA_EIO, "cannot listen on %s: %s", spec, strerror(e));
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    printf("listening on %s%s%s:%u\n", ss.ss_family == AF_INET6 ? "[" : "", host,
           ss.ss_family == AF_INET6 ? "]" : "",
           (unsigned)ntohs(ss.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port));
    fflush(stdout);
    *fd_out = fd;
    return 0;
}

static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (f == NULL)
        return NULL;
    buf = malloc(1024 * 1024 + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, 1024 * 1024, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("xasync-district: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int xa_serve(xa_store *st, const xa_serve_opts *o)
{
    server sv;
    struct MHD_Daemon *d;
    sigset_t set;
    char *cert = NULL, *key = NULL;
    /* No Date header: clients need none, and on a 2G link every byte counts. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_SUPPRESS_DATE_NO_CLOCK;
    int fd = -1, sig = 0, rc;

    sv.st = st;
    sv.o = o;
    pthread_mutex_init(&sv.lock, NULL);
    if (o->tls_cert || o->tls_key) {
        if (!o->tls_cert || !o->tls_key)
            return xa_error_set(XA_EINVAL, "TLS needs both --tls-cert and --tls-key");
        cert = read_pem(o->tls_cert);
        key = read_pem(o->tls_key);
        if (cert == NULL || key == NULL) {
            free(cert);
            free(key);
            return xa_error_set(XA_EINVAL, "cannot read %s or %s", o->tls_cert, o->tls_key);
        }
        flags |= MHD_USE_TLS;
    }
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = bind_listen(o->listen, &fd);
    if (rc < 0) {
        free(cert);
        free(key);
        return rc;
    }
    d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &sv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                         NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, completed,
                         &sv, MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->max_header,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
                         cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
                         MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        free(cert);
        free(key);
        return xa_error_set(XA_EIO, "cannot start the HTTP service on %s", o->listen);
    }
    while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
        ;
    MHD_stop_daemon(d);
    close(fd);
    free(cert);
    free(key);
    pthread_mutex_destroy(&sv.lock);
    fprintf(stderr, "xasync-district: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}
