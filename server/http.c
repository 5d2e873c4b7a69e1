/*
 * The district server's HTTP service (libmicrohttpd).
 *
 *   POST /v1/scopes/{scope}/sync   a changeset in, a changeset out
 *   GET  /v1/scopes                every commune: last sync, ops, conflicts
 *   GET  /v1/scopes/{scope}/state  the latest state of every field
 *   GET  /v1/communes              every commune's code and name, with no
 *                                  token (a PC's first run offers them)
 *   GET  /                         redirects to the district desk
 *   GET|POST /desk/...             the district desk (desk.c), for people
 *                                  with a session, never a sync token
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
 *   4. every database handle is used by one thread: the polling thread's for
 *      tokens and communes, each worker's own for the work; writes are
 *      serialized by one process lock held only for the write transaction
 *      (SQLite has one writer), and a commune's syncs run one at a time;
 *   5. memory is bounded per request (max_body + max_inflated + the JSON
 *      values counted before parsing, under 64 MiB with the defaults) and in
 *      all (max_buffered for the bodies held, `threads` requests decoded at
 *      once), and a big request's memory is given back (malloc_trim);
 *   6. every connection has a deadline: headers in header_timeout_s, the
 *      body in body_timeout_s; the connection limits are the whole
 *      server's.
 */
#include "desk.h"
#include "district.h"
#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/view.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
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
    o->max_inflated = 8 * 1024 * 1024;
    o->max_values = 200000;
    o->max_ops = XA_SYNC_MAX_OPS;
    o->max_buffered = 32 * 1024 * 1024;
    o->max_header = 16 * 1024;
    o->max_conns = 1024;
    o->max_per_addr = 32;
    o->timeout_s = 60;
    o->header_timeout_s = 15;
    o->body_timeout_s = 120;
    o->threads = 4;
    o->max_ops_back = 5000;
    o->max_answer_bytes = 8 * 1024 * 1024;
}

/* One TCP connection (libmicrohttpd's socket context), for the deadlines. */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    int64_t deadline; /* ms, monotonic; 0: none (the request is being worked on) */
    int cut;
} conn;

/* Per-request state, from the first call of the handler to the last. */
typedef struct req {
    struct req *next; /* in the work queue */
    struct MHD_Connection *c;
    int what; /* WHAT_* */
    int kind; /* XA_PACK_* of the body */
    char scope[XA_SCOPE_MAX + 1];
    char *body;
    size_t n, cap;
    int too_big, no_room;
    int state; /* 0 reading the body, 1 queued or worked on, 2 answer ready */
    /* The answer, made by a worker. */
    unsigned status;
    const char *ctype, *cenc;
    char *out;
    size_t outlen;
    /* The district desk (desk.c): what it reads of the request, copied from
     * the headers; the extra headers of its answer. */
    char *desk_strs;    /* method, url, cookies, origin, ... one block */
    const char *dk[12]; /* into desk_strs: DK_* */
    char *desk_args;    /* GET arguments: key\0value\0 ... */
    size_t desk_nargs, desk_argslen;
    char *hdrs; /* "Name: value\n" lines, or NULL */
} req;

enum { WHAT_SYNC = 1, WHAT_STATE, WHAT_SCOPES, WHAT_DESK };
enum {
    DK_METHOD,
    DK_URL,
    DK_SESSION,
    DK_LOGIN,
    DK_LANG,
    DK_ORIGIN,
    DK_SITE,
    DK_HOST,
    DK_CTYPE,
    DK_ADDR,
    DK__N
};
/* A form posted to the desk is small. */
#define DESK_MAX_BODY (64 * 1024)

/* A commune whose sync a worker is running: its next one waits. */
typedef struct busy {
    struct busy *next;
    char scope[XA_SCOPE_MAX + 1];
} busy;

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The write lock, in two classes: a light changeset (at most LIGHT_OPS ops,
 * what a PC sends after an edit or two) goes before any heavy one that
 * waits, so a commune that sends the largest changesets back to back delays
 * another commune's commit by the one heavy commit under way at most; a
 * heavy one waits for no light one past HEAVY_WAIT_MS, so it is never
 * starved. */
#define LIGHT_OPS 64
#define HEAVY_WAIT_MS 1000

typedef struct write_lock {
    pthread_mutex_t m;
    pthread_cond_t c;
    int held, light_waiting;
} write_lock;

static void write_lock_take(write_lock *l, int heavy)
{
    pthread_mutex_lock(&l->m);
    if (heavy) {
        int64_t until = mono_ms() + HEAVY_WAIT_MS;
        while (l->held || (l->light_waiting && mono_ms() < until)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&l->c, &l->m, &ts);
        }
    } else {
        l->light_waiting++;
        while (l->held)
            pthread_cond_wait(&l->c, &l->m);
        l->light_waiting--;
    }
    l->held = 1;
    pthread_mutex_unlock(&l->m);
}

static void write_lock_give(write_lock *l)
{
    pthread_mutex_lock(&l->m);
    l->held = 0;
    pthread_cond_broadcast(&l->c);
    pthread_mutex_unlock(&l->m);
}

typedef struct server {
    xa_store *st; /* the polling thread's handle: tokens and communes */
    const xa_serve_opts *o;
    write_lock wlock; /* SQLite's one writer, taken in this process */
    /* The work queue and the communes being synced. */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    req *qhead, *qtail;
    busy *busy;
    int stopping;
    size_t buffered; /* bytes of request bodies held (under qlock) */
    /* Open connections and their deadlines (under clock). */
    pthread_mutex_t clock;
    pthread_cond_t ccond;
    conn *conns;
    /* The desk's checks and rollup, made again after syncs (under dlock). */
    pthread_mutex_t dlock;
    pthread_cond_t dcond;
    int desk_dirty, desk_stop;
} server;

static void desk_dirty(server *sv);

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

/* {"error": msg} plus optional extra members (already JSON, no braces);
 * malloc'd, NULL when out of memory. */
static char *error_json(const char *msg, const char *extra)
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
    return s;
}

static MHD_RESULT_T
fail(struct MHD_Connection *c, unsigned status, const char *msg, const char *extra)
{
    char *s = error_json(msg, extra);

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

/* GET /v1/communes: {"communes": [{"scope", "name"}]}, by scope.  No token:
 * a PC being set up has none yet; only what the district hands out with the
 * key anyway (the code and the name), nothing about syncs or data.  Read
 * with the polling thread's handle, as tokens and communes are. */
static MHD_RESULT_T communes_public(server *sv, struct MHD_Connection *c)
{
    xa_commune *v = NULL;
    size_t n = 0;
    int rc = xa_district_communes(sv->st, &v, &n);
    cJSON *o, *a;
    char *s;

    if (rc < 0)
        return fail(c, xa_http_status(rc), xa_error_last(), NULL);
    o = cJSON_CreateObject();
    a = o ? cJSON_AddArrayToObject(o, "communes") : NULL;
    for (size_t i = 0; a && i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        if (e == NULL || !cJSON_AddStringToObject(e, "scope", v[i].scope) ||
            !cJSON_AddStringToObject(e, "name", v[i].name)) {
            cJSON_Delete(e);
            a = NULL;
            break;
        }
        cJSON_AddItemToArray(a, e);
    }
    free(v);
    s = a ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (s == NULL)
        return fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
    return answer(c, MHD_HTTP_OK, "application/json", NULL, s, strlen(s), 1);
}

/* XA_E* -> HTTP status: the one table (sync/view.c). */
static unsigned status_of(int rc)
{
    return xa_http_status(rc);
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
    rc = xa_district_token_find(sv->st, hash, scope, district);
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

/* ---- the work queue ----------------------------------------------------- */

/* The worker's answer, kept in the request until its connection resumes. */
static void
set_answer(req *q, unsigned status, const char *ctype, const char *cenc, char *data, size_t len)
{
    free(q->out);
    q->status = status;
    q->ctype = ctype;
    q->cenc = cenc;
    q->out = data;
    q->outlen = len;
}

static void set_error(req *q, unsigned status, const char *msg, const char *extra)
{
    char *s = error_json(msg, extra);

    set_answer(q, status, "application/json", NULL, s, s ? strlen(s) : 0);
}

static int is_busy(const server *sv, const char *scope)
{
    for (const busy *b = sv->busy; b; b = b->next)
        if (strcmp(b->scope, scope) == 0)
            return 1;
    return 0;
}

/* The next request to work on: the oldest one whose commune is not being
 * synced by another worker (a commune's syncs run one at a time, in order;
 * a commune that sends many at once holds one worker, not all of them).
 * NULL when the server stops. */
static req *next_job(server *sv)
{
    req *q = NULL;

    pthread_mutex_lock(&sv->qlock);
    while (!sv->stopping) {
        req **pp = &sv->qhead, *prev = NULL;
        for (; *pp; prev = *pp, pp = &(*pp)->next)
            if ((*pp)->what != WHAT_SYNC || !is_busy(sv, (*pp)->scope))
                break;
        if (*pp) {
            busy *b = NULL;
            q = *pp;
            if (q->what == WHAT_SYNC && (b = calloc(1, sizeof(*b))) == NULL) {
                q = NULL;
                pthread_cond_wait(&sv->qcond, &sv->qlock);
                continue;
            }
            *pp = q->next;
            if (sv->qtail == q)
                sv->qtail = prev;
            q->next = NULL;
            if (b) {
                memcpy(b->scope, q->scope, sizeof(b->scope));
                b->next = sv->busy;
                sv->busy = b;
            }
            break;
        }
        pthread_cond_wait(&sv->qcond, &sv->qlock);
    }
    pthread_mutex_unlock(&sv->qlock);
    return q;
}

/* The body's memory back to the budget (qlock held). */
static void release_body(server *sv, req *q)
{
    sv->buffered -= q->cap;
    free(q->body);
    q->body = NULL;
    q->n = q->cap = 0;
}

/* The answer is ready: free the commune, wake its connection.  The request
 * belongs to the polling thread from MHD_resume_connection on. */
static void job_done(server *sv, req *q)
{
    struct MHD_Connection *c = q->c;

    pthread_mutex_lock(&sv->qlock);
    if (q->what == WHAT_SYNC) {
        for (busy **bp = &sv->busy; *bp; bp = &(*bp)->next)
            if (strcmp((*bp)->scope, q->scope) == 0) {
                busy *b = *bp;
                *bp = b->next;
                free(b);
                break;
            }
    }
    release_body(sv, q);
    q->state = 2;
    pthread_cond_broadcast(&sv->qcond);
    pthread_mutex_unlock(&sv->qlock);
    MHD_resume_connection(c);
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
 * and context. */
static int maybe_snapshot(server *sv, xa_store *ws, const char *scope, xa_sync_msg *out)
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
    rc = xa_store_snapshot(ws, scope, sn);
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

/* At most how many JSON values `s` holds (commas and opening brackets
 * outside strings, plus one), counting no further than `stop`: a bound on
 * the nodes cJSON would make, known before it makes one.  A tiny op costs
 * about 10 bytes deflated and half a kilobyte decoded, so the body's size
 * alone bounds nothing. */
static size_t json_values(const char *s, size_t n, size_t stop)
{
    size_t v = 1;
    int in = 0;

    for (size_t i = 0; i < n && v <= stop; i++) {
        char ch = s[i];
        if (in) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in = 0;
        } else if (ch == '"') {
            in = 1;
        } else if (ch == ',' || ch == '[' || ch == '{') {
            v++;
        }
    }
    return v;
}

/* A sync, in a worker, with the worker's own database handle.  Decoding and
 * checking take no lock; the write transaction (claim, apply, touch,
 * commit) holds the process's write lock, SQLite having one writer; the
 * answer is read after the commit, outside it. */
static void do_sync(server *sv, xa_store *ws, req *q)
{
    const xa_serve_opts *o = sv->o;
    xa_sync_msg in, out;
    xa_apply_result ar;
    char *plain = NULL, *text = NULL, extra[160];
    unsigned char *packed = NULL;
    size_t plainlen = 0, textlen = 0, plen = 0;
    int rc, begun = 0, big = 0;

    xa_sync_msg_init(&in);
    xa_sync_msg_init(&out);
    extra[0] = '\0';
    rc = xa_unpack(&plain, &plainlen, (unsigned char *)q->body, q->n, q->kind, o->max_inflated);
    big = plainlen > 1024 * 1024 || q->n > 1024 * 1024;
    if (rc == 0 && json_values(plain, plainlen, o->max_values) > o->max_values)
        rc = xa_error_set(XA_ETOOBIG,
                          "the request holds more than %zu JSON values; send at most %zu ops in"
                          " one request",
                          o->max_values, o->max_ops);
    if (rc == 0)
        rc = xa_sync_msg_decode(&in, plain, plainlen, q->scope, 1);
    free(plain);
    if (rc == 0 && in.ops.n > o->max_ops)
        rc = xa_error_set(XA_ETOOBIG, "the request holds %zu ops; send at most %zu in one request",
                          in.ops.n, o->max_ops);
    if (rc < 0)
        goto done;

    write_lock_take(&sv->wlock, in.ops.n > LIGHT_OPS);
    rc = xa_store_begin(ws);
    begun = rc == 0;
    if (rc == 0)
        rc = xa_district_claim_nodes(ws, q->scope, in.ops.ops, in.ops.n);
    if (rc == 0)
        rc = xa_store_apply(ws, q->scope, in.ops.ops, in.ops.n, &ar);
    if (rc == XA_EFORGED || rc == XA_EGAP) {
        xa_dot d = xa_store_refused_dot(ws);
        char hex[XA_NODE_HEX + 1];
        xa_node_format(d.node, hex);
        snprintf(extra, sizeof(extra), "\"code\":\"%s\",\"node\":\"%s\",\"seq\":%llu",
                 rc == XA_EFORGED ? "forged" : "gap", hex, (unsigned long long)d.seq);
    }
    if (rc == 0)
        rc = xa_district_touch(ws, q->scope);
    if (rc == 0)
        rc = xa_store_commit(ws);
    if (rc < 0 && begun)
        xa_store_rollback(ws);
    write_lock_give(&sv->wlock);
    if (rc == 0 && in.ops.n > 0)
        desk_dirty(sv);
    /* The answer: our vector after the apply, and what the client lacks. */
    if (rc == 0) {
        snprintf(out.scope, sizeof(out.scope), "%s", q->scope);
        size_t max = in.max && in.max < o->max_ops_back ? in.max : o->max_ops_back;
        rc = xa_store_have(ws, q->scope, &out.have);
        if (rc == 0 && in.have.n == 0)
            rc = maybe_snapshot(sv, ws, q->scope, &out);
        if (rc == 0)
            rc = xa_store_missing(ws, q->scope, out.snap ? &out.snap->have : &in.have, max,
                                  &out.ops, &out.more);
        if (rc == 0)
            trim_answer(&out, o->max_answer_bytes);
    }
    if (rc == 0)
        rc = xa_sync_msg_encode(&text, &textlen, &out, 0);
    if (rc == 0)
        rc = xa_pack(&packed, &plen, text, textlen, q->kind);
    free(text);
done:
    if (rc < 0)
        set_error(q, status_of(rc), xa_error_last(), extra);
    else
        set_answer(q, MHD_HTTP_OK,
                   q->kind == XA_PACK_DICT ? XA_MEDIA_CHANGESET : "application/json",
                   q->kind == XA_PACK_DICT   ? NULL
                   : q->kind == XA_PACK_GZIP ? "gzip"
                                             : "deflate",
                   (char *)packed, plen);
    xa_sync_msg_clear(&in);
    xa_sync_msg_clear(&out);
    /* Give a big request's memory back to the system (glibc keeps freed
     * heap otherwise, in every thread's arena). */
    if (big)
        malloc_trim(0);
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

static void do_scopes(xa_store *ws, req *q)
{
    xa_commune *v = NULL;
    size_t n = 0;
    char *s;
    int rc;

    rc = xa_district_communes(ws, &v, &n);
    if (rc < 0) {
        set_error(q, status_of(rc), xa_error_last(), NULL);
        return;
    }
    s = xa_communes_json(v, n, 0);
    free(v);
    set_answer(q, MHD_HTTP_OK, "application/json", NULL, s, s ? strlen(s) : 0);
}

static void do_state(xa_store *ws, req *q)
{
    xa_field *f = NULL;
    size_t n = 0;
    char *s;
    int rc;

    rc = xa_store_fields(ws, q->scope, NULL, 0, &f, &n);
    if (rc < 0) {
        set_error(q, status_of(rc), xa_error_last(), NULL);
        return;
    }
    s = xa_view_fields(f, n, 0);
    xa_fields_free(f, n);
    set_answer(q, MHD_HTTP_OK, "application/json", NULL, s, s ? strlen(s) : 0);
}

/* ---- the district desk (desk.c) ---------------------------------------- */

static void desk_lock(void *lk)
{
    write_lock_take(lk, 0);
}

static void desk_unlock(void *lk)
{
    write_lock_give(lk);
}

static void do_desk(server *sv, xa_store *ws, req *q)
{
    xa_desk_req dq;
    xa_desk_resp dr;
    const char *args[2 * 32 + 1];
    size_t na = 0;

    memset(&dq, 0, sizeof(dq));
    memset(&dr, 0, sizeof(dr));
    for (const char *p = q->desk_args; p && na < q->desk_nargs * 2 && na < 2 * 32; na++) {
        args[na] = p;
        p += strlen(p) + 1;
    }
    args[na] = NULL;
    dq.method = q->dk[DK_METHOD];
    dq.path = q->dk[DK_URL];
    dq.args = args;
    dq.session = q->dk[DK_SESSION];
    dq.login_cookie = q->dk[DK_LOGIN];
    dq.lang = q->dk[DK_LANG];
    dq.origin = q->dk[DK_ORIGIN];
    dq.fetch_site = q->dk[DK_SITE];
    dq.host = q->dk[DK_HOST];
    dq.ctype = q->dk[DK_CTYPE];
    dq.addr = q->dk[DK_ADDR];
    dq.tls = sv->o->tls_cert != NULL;
    dq.body = q->body;
    dq.bodylen = q->n;
    xa_desk_handle(ws, &dq, &dr, desk_lock, desk_unlock, &sv->wlock);
    set_answer(q, dr.status, dr.ctype, NULL, dr.body, dr.len);
    free(q->hdrs);
    q->hdrs = dr.headers[0] ? strdup(dr.headers) : NULL;
}

/* The desk's checks and rollup, made at start and again a second after
 * syncs have brought ops (a burst of syncs, once), on a handle of its own:
 * an officer who opens the page seldom waits for them. */
static void *desk_warm(void *arg)
{
    server *sv = arg;
    xa_store *ws = NULL;

    if (xa_store_open(&ws, xa_store_path(sv->st)) < 0)
        return NULL;
    pthread_mutex_lock(&sv->dlock);
    while (!sv->desk_stop) {
        if (!sv->desk_dirty) {
            pthread_cond_wait(&sv->dcond, &sv->dlock);
            continue;
        }
        /* let a burst of syncs end first */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&sv->dcond, &sv->dlock, &ts);
        if (sv->desk_stop)
            break;
        sv->desk_dirty = 0;
        pthread_mutex_unlock(&sv->dlock);
        xa_desk_warm(ws);
        pthread_mutex_lock(&sv->dlock);
    }
    pthread_mutex_unlock(&sv->dlock);
    xa_store_close(ws);
    return NULL;
}

static void desk_dirty(server *sv)
{
    pthread_mutex_lock(&sv->dlock);
    sv->desk_dirty = 1;
    pthread_cond_signal(&sv->dcond);
    pthread_mutex_unlock(&sv->dlock);
}

/* Copy what the desk reads of a request before its connection sleeps. */
static MHD_RESULT_T desk_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    req *q = cls;
    size_t kl = strlen(key), vl = value ? strlen(value) : 0;
    char *b;

    (void)kind;
    if (q->desk_nargs >= 32 || q->desk_argslen + kl + vl + 2 > 16384)
        return MHD_NO;
    b = realloc(q->desk_args, q->desk_argslen + kl + vl + 2);
    if (b == NULL)
        return MHD_NO;
    memcpy(b + q->desk_argslen, key, kl + 1);
    memcpy(b + q->desk_argslen + kl + 1, value ? value : "", vl + 1);
    q->desk_args = b;
    q->desk_argslen += kl + vl + 2;
    q->desk_nargs++;
    return MHD_YES;
}

static req *desk_req(struct MHD_Connection *c, const char *url, const char *method)
{
    const char *v[DK__N];
    char addr[64] = "";
    size_t len = 0;
    req *q = calloc(1, sizeof(*q));
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    if (q == NULL)
        return NULL;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof(addr));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof(addr));
    }
    v[DK_METHOD] = method;
    v[DK_URL] = url;
    v[DK_SESSION] = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "xa_desk");
    v[DK_LOGIN] = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "xa_login");
    v[DK_LANG] = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "xa_lang");
    v[DK_ORIGIN] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    v[DK_SITE] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    v[DK_HOST] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    v[DK_CTYPE] = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    v[DK_ADDR] = addr;
    for (int i = 0; i < DK__N; i++)
        len += (v[i] ? strlen(v[i]) : 0) + 1;
    q->desk_strs = malloc(len);
    if (q->desk_strs == NULL) {
        free(q);
        return NULL;
    }
    len = 0;
    for (int i = 0; i < DK__N; i++) {
        size_t n = v[i] ? strlen(v[i]) : 0;
        memcpy(q->desk_strs + len, v[i] ? v[i] : "", n + 1);
        q->dk[i] = q->desk_strs + len;
        len += n + 1;
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, desk_arg, q);
    q->what = WHAT_DESK;
    return q;
}

/* The desk's answer: its own headers besides the content type. */
static MHD_RESULT_T answer_desk(struct MHD_Connection *c, req *q, char *out)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(q->outlen, out, MHD_RESPMEM_MUST_FREE);
    MHD_RESULT_T ret;

    if (r == NULL) {
        free(out);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, q->ctype);
    for (char *line = q->hdrs; line && *line;) {
        char *nl = strchr(line, '\n'), *colon = strchr(line, ':');
        if (nl == NULL || colon == NULL || colon > nl)
            break;
        *nl = '\0';
        *colon = '\0';
        MHD_add_response_header(r, line, colon + 2);
        line = nl + 1;
    }
    ret = MHD_queue_response(c, q->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A worker: its own database handle, one request at a time. */
static void *work(void *arg)
{
    server *sv = arg;
    xa_store *ws = NULL;
    int rc = xa_store_open(&ws, xa_store_path(sv->st));
    req *q;

    if (rc < 0) {
        fprintf(stderr, "xasync-district: a worker cannot open the database: %s\n",
                xa_error_last());
        ws = NULL;
    }
    while ((q = next_job(sv)) != NULL) {
        if (ws == NULL)
            set_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, "the server cannot open its database", NULL);
        else if (q->what == WHAT_SYNC)
            do_sync(sv, ws, q);
        else if (q->what == WHAT_STATE)
            do_state(ws, q);
        else if (q->what == WHAT_DESK)
            do_desk(sv, ws, q);
        else
            do_scopes(ws, q);
        job_done(sv, q);
    }
    xa_store_close(ws);
    return NULL;
}

/* ---- connections: deadlines --------------------------------------------- */

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static void set_deadline(server *sv, struct MHD_Connection *c, int64_t ms_from_now)
{
    conn *k = conn_of(c);

    if (k == NULL)
        return;
    pthread_mutex_lock(&sv->clock);
    k->deadline = ms_from_now ? mono_ms() + ms_from_now : 0;
    pthread_mutex_unlock(&sv->clock);
}

static void on_connection(void *cls,
                          struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    server *sv = cls;
    conn *k = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k = calloc(1, sizeof(*k));
        if (k == NULL || ci == NULL) {
            free(k);
            return;
        }
        k->fd = ci->connect_fd;
        pthread_mutex_lock(&sv->clock);
        k->deadline = mono_ms() + (int64_t)sv->o->header_timeout_s * 1000;
        k->next = sv->conns;
        if (sv->conns)
            sv->conns->prev = k;
        sv->conns = k;
        pthread_mutex_unlock(&sv->clock);
        *socket_context = k;
    } else if (k) {
        /* Before libmicrohttpd closes the socket: the reaper never touches a
         * descriptor that may have been reused. */
        pthread_mutex_lock(&sv->clock);
        if (k->prev)
            k->prev->next = k->next;
        else
            sv->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        pthread_mutex_unlock(&sv->clock);
        free(k);
        *socket_context = NULL;
    }
}

/* Cuts every connection past its deadline: headers not complete
 * header_timeout_s after the connection opened (or after the previous
 * answer plus the idle allowance), a body not complete body_timeout_s after
 * its headers.  libmicrohttpd's own timeout only catches a silent client;
 * one that sends a byte a second would hold its connection forever. */
static int reaper_stop;

static void *reap(void *arg)
{
    server *sv = arg;

    pthread_mutex_lock(&sv->clock);
    while (!reaper_stop) {
        struct timespec ts;
        int64_t now = mono_ms();
        for (conn *k = sv->conns; k; k = k->next)
            if (!k->cut && k->deadline && now > k->deadline) {
                shutdown(k->fd, SHUT_RDWR);
                k->cut = 1;
            }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sv->ccond, &sv->clock, &ts);
    }
    pthread_mutex_unlock(&sv->clock);
    return NULL;
}

/* ---- routing ------------------------------------------------------------ */

/* Hand a request to the workers; its connection sleeps until the answer. */
static MHD_RESULT_T enqueue(server *sv, struct MHD_Connection *c, req *q)
{
    set_deadline(sv, c, 0);
    q->state = 1;
    q->c = c;
    MHD_suspend_connection(c);
    pthread_mutex_lock(&sv->qlock);
    if (sv->qtail)
        sv->qtail->next = q;
    else
        sv->qhead = q;
    sv->qtail = q;
    pthread_cond_signal(&sv->qcond);
    pthread_mutex_unlock(&sv->qlock);
    return MHD_YES;
}

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
        if (q->state == 2) {
            /* The worker's answer. */
            char *out = q->out;
            q->out = NULL;
            if (out == NULL)
                return MHD_NO;
            if (q->what == WHAT_DESK)
                return answer_desk(c, q, out);
            return answer(c, q->status, q->ctype, q->cenc, out, q->outlen, 1);
        }
        if (q->state == 1)
            return MHD_YES;
        /* Body chunks, then the final call. */
        if (*upload_size) {
            if (!q->too_big && !q->no_room && q->n + *upload_size <= sv->o->max_body &&
                (q->what != WHAT_DESK || q->n + *upload_size <= DESK_MAX_BODY)) {
                if (q->n + *upload_size > q->cap) {
                    size_t cap = q->cap ? q->cap : 16384;
                    while (cap < q->n + *upload_size)
                        cap *= 2;
                    if (cap > sv->o->max_body)
                        cap = sv->o->max_body;
                    /* Every body held counts against one budget: a thousand
                     * slow uploads cannot hold a thousand times max_body. */
                    pthread_mutex_lock(&sv->qlock);
                    int room = sv->buffered - q->cap + cap <= sv->o->max_buffered;
                    char *b = room ? realloc(q->body, cap) : NULL;
                    if (b) {
                        sv->buffered += cap - q->cap;
                        q->body = b;
                        q->cap = cap;
                    } else {
                        release_body(sv, q);
                        q->no_room = 1;
                    }
                    pthread_mutex_unlock(&sv->qlock);
                }
                if (!q->no_room) {
                    memcpy(q->body + q->n, upload, *upload_size);
                    q->n += *upload_size;
                }
            } else {
                q->too_big = 1;
            }
            *upload_size = 0;
            return MHD_YES;
        }
        if (q->too_big) {
            char msg[96];
            snprintf(msg, sizeof(msg), "the body is over the limit of %zu bytes",
                     q->what == WHAT_DESK ? (size_t)DESK_MAX_BODY : sv->o->max_body);
            return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
        }
        if (q->no_room)
            return fail(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "the server is busy receiving other requests; try again shortly", NULL);
        return enqueue(sv, c, q);
    }

    /* First call: headers only.  Everything that can be refused is refused
     * here, before a byte of the body is read. */
    if (strcmp(url, "/") == 0) {
        /* The district desk is the server's front page. */
        static const char body[] = "<!doctype html><a href=\"/desk/\">/desk/</a>\n";
        struct MHD_Response *r =
            MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
        MHD_RESULT_T ret;
        if (r == NULL)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/desk/");
        ret = MHD_queue_response(c, MHD_HTTP_FOUND, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/desk") == 0 || strncmp(url, "/desk/", 6) == 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
            strcmp(method, "HEAD") != 0)
            return fail_allow(c, "GET, POST");
        q = desk_req(c, url, method);
        if (q == NULL)
            return MHD_NO;
        *con_cls = q;
        set_deadline(sv, c, (int64_t)sv->o->body_timeout_s * 1000);
        return MHD_YES;
    }
    if (strcmp(url, "/v1/communes") == 0) {
        if (strcmp(method, "GET") != 0)
            return fail_allow(c, "GET");
        return communes_public(sv, c);
    }
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
    int kind = 0;
    if (!has_scope) {
        if (!district)
            return fail(c, MHD_HTTP_FORBIDDEN, "only a district token lists every commune", NULL);
        scope[0] = '\0';
    } else {
        if (xa_check_scope(scope) < 0)
            return fail(c, MHD_HTTP_NOT_FOUND, "unknown scope", NULL);
        xa_commune cm;
        int rc = xa_district_commune_get(sv->st, scope, &cm);
        if (rc == XA_ENOTFOUND)
            return fail(c, MHD_HTTP_NOT_FOUND, "unknown scope", NULL);
        if (rc < 0)
            return fail(c, status_of(rc), xa_error_last(), NULL);
        if (!district && strcmp(tscope, scope) != 0)
            return fail(c, MHD_HTTP_FORBIDDEN, "this token is for another commune", NULL);
    }
    if (is_sync) {
        if (district)
            return fail(c, MHD_HTTP_FORBIDDEN, "a district token reads; it does not sync", NULL);
        kind = body_kind(c);
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
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return MHD_NO;
    q->what = is_sync ? WHAT_SYNC : has_scope ? WHAT_STATE : WHAT_SCOPES;
    q->kind = kind;
    memcpy(q->scope, scope, sizeof(q->scope));
    *con_cls = q;
    /* The headers are in: the body has body_timeout_s to arrive. */
    set_deadline(sv, c, (int64_t)sv->o->body_timeout_s * 1000);
    return MHD_YES;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    server *sv = cls;
    req *q = *con_cls;

    (void)toe;
    if (q) {
        pthread_mutex_lock(&sv->qlock);
        release_body(sv, q);
        pthread_mutex_unlock(&sv->qlock);
        free(q->out);
        free(q->desk_strs);
        free(q->desk_args);
        free(q->hdrs);
        free(q);
        *con_cls = NULL;
    }
    /* A kept-alive connection: the next request's headers must be in within
     * the idle allowance plus header_timeout_s. */
    set_deadline(sv, c, ((int64_t)sv->o->timeout_s + sv->o->header_timeout_s) * 1000);
}

/* ---- the listening socket ------------------------------------------------ */

/* Bind "HOST:PORT" or "[V6]:PORT"; `shown` gets the address with the port
 * the OS chose. */
static int bind_listen(const char *spec, int *fd_out, char *shown, size_t cap)
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
    snprintf(shown, cap, "%s%s%s:%u", ss.ss_family == AF_INET6 ? "[" : "", host,
             ss.ss_family == AF_INET6 ? "]" : "",
             (unsigned)ntohs(ss.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port));
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

/* The certificate and key, tried before anything listens: a wrong pair is
 * told as such, and "listening on" is printed only by a server that
 * serves. */
static int check_tls(const xa_serve_opts *o, const char *cert, const char *key)
{
    gnutls_certificate_credentials_t cr;
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
    int rc;

    if (gnutls_certificate_allocate_credentials(&cr) < 0)
        return xa_error_set(XA_ENOMEM, "out of memory");
    rc = gnutls_certificate_set_x509_key_mem(cr, &c, &k, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cr);
    if (rc < 0)
        return xa_error_set(XA_EINVAL,
                            "không dùng được chứng chỉ TLS %s với khóa %s (%s): cần hai tệp PEM, "
                            "khóa phải khớp với chứng chỉ / the TLS certificate %s and key %s "
                            "cannot be used (%s): both must be PEM files, the key the "
                            "certificate's own",
                            o->tls_cert, o->tls_key, gnutls_strerror(rc), o->tls_cert, o->tls_key,
                            gnutls_strerror(rc));
    return 0;
}

/* Room for every connection's descriptor: raise the soft limit toward the
 * hard one, and lower max_conns if even that is too small. */
static unsigned fit_fd_limit(unsigned max_conns, unsigned threads)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)max_conns + 64 + 4 * threads;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return max_conns;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) {
        unsigned fit =
            rl.rlim_cur > 64 + 4 * threads + 16 ? (unsigned)(rl.rlim_cur - 64 - 4 * threads) : 16;
        fprintf(stderr,
                "xasync-district: the system allows %llu open files: at most %u connections\n",
                (unsigned long long)rl.rlim_cur, fit);
        return fit;
    }
    return max_conns;
}

/* One polling thread (epoll) holds every connection, so --max-connections
 * and --max-per-address are the whole server's (libmicrohttpd divides its
 * limit among the threads of a pool); `threads` workers decode, apply and
 * answer, each with its own database handle, while the polling thread keeps
 * reading other clients.  A slow client costs a descriptor and a few
 * kilobytes, never a thread. */
int xa_serve(xa_store *st, const xa_serve_opts *o_in)
{
    server sv;
    xa_serve_opts o = *o_in;
    struct MHD_Daemon *d;
    sigset_t set;
    char *cert = NULL, *key = NULL, shown[160];
    pthread_t *workers = NULL, reaper, warmer;
    /* No Date header: clients need none, and on a 2G link every byte counts. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_SUPPRESS_DATE_NO_CLOCK;
    int fd = -1, sig = 0, rc;
    unsigned nw = 0;

    memset(&sv, 0, sizeof(sv));
    sv.st = st;
    sv.o = &o;
    if (o.tls_cert || o.tls_key) {
        if (!o.tls_cert || !o.tls_key)
            return xa_error_set(XA_EINVAL, "TLS needs both --tls-cert and --tls-key");
        cert = read_pem(o.tls_cert);
        key = read_pem(o.tls_key);
        if (cert == NULL || key == NULL) {
            free(cert);
            free(key);
            return xa_error_set(XA_EINVAL, "không đọc được / cannot read %s or %s", o.tls_cert,
                                o.tls_key);
        }
        rc = check_tls(&o, cert, key);
        if (rc < 0) {
            free(cert);
            free(key);
            return rc;
        }
        flags |= MHD_USE_TLS;
    }
    /* Big buffers (bodies, inflated text) are mapped and unmapped, not left
     * in the heap: a fixed threshold stops glibc raising it after a big
     * free. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    o.max_conns = fit_fd_limit(o.max_conns, o.threads);
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = bind_listen(o.listen, &fd, shown, sizeof(shown));
    if (rc < 0) {
        free(cert);
        free(key);
        return rc;
    }
    pthread_mutex_init(&sv.wlock.m, NULL);
    pthread_cond_init(&sv.wlock.c, NULL);
    pthread_mutex_init(&sv.qlock, NULL);
    pthread_cond_init(&sv.qcond, NULL);
    pthread_mutex_init(&sv.clock, NULL);
    pthread_cond_init(&sv.ccond, NULL);
    pthread_mutex_init(&sv.dlock, NULL);
    pthread_cond_init(&sv.dcond, NULL);
    sv.desk_dirty = 1;
    reaper_stop = 0;
    workers = calloc(o.threads, sizeof(*workers));
    for (nw = 0; workers && nw < o.threads; nw++)
        if (pthread_create(&workers[nw], NULL, work, &sv) != 0)
            break;
    int have_reaper = pthread_create(&reaper, NULL, reap, &sv) == 0;
    int have_warmer = pthread_create(&warmer, NULL, desk_warm, &sv) == 0;
    d = nw && have_reaper
            ? MHD_start_daemon(
                  flags, 0, NULL, NULL, handle, &sv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, completed, &sv,
                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, &sv, MHD_OPTION_CONNECTION_LIMIT,
                  (unsigned)o.max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                  (unsigned)o.max_per_addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o.timeout_s,
                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, o.max_header,
                  cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY,
                  key, MHD_OPTION_END)
            : NULL;
    if (d == NULL) {
        rc = xa_error_set(XA_EIO, "cannot start the HTTP service on %s", o.listen);
    } else {
        printf("listening on %s\n", shown);
        fflush(stdout);
        while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
            ;
    }
    /* Stop: workers finish what they hold; what still waits is told 503. */
    pthread_mutex_lock(&sv.qlock);
    sv.stopping = 1;
    pthread_cond_broadcast(&sv.qcond);
    pthread_mutex_unlock(&sv.qlock);
    for (unsigned i = 0; i < nw; i++)
        pthread_join(workers[i], NULL);
    free(workers);
    while (sv.qhead) {
        req *q = sv.qhead;
        sv.qhead = q->next;
        set_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is stopping; try again shortly",
                  NULL);
        pthread_mutex_lock(&sv.qlock);
        release_body(&sv, q);
        q->state = 2;
        pthread_mutex_unlock(&sv.qlock);
        MHD_resume_connection(q->c);
    }
    if (d)
        MHD_stop_daemon(d);
    if (have_warmer) {
        pthread_mutex_lock(&sv.dlock);
        sv.desk_stop = 1;
        pthread_cond_broadcast(&sv.dcond);
        pthread_mutex_unlock(&sv.dlock);
        pthread_join(warmer, NULL);
    }
    if (have_reaper) {
        pthread_mutex_lock(&sv.clock);
        reaper_stop = 1;
        pthread_cond_broadcast(&sv.ccond);
        pthread_mutex_unlock(&sv.clock);
        pthread_join(reaper, NULL);
    }
    close(fd);
    free(cert);
    free(key);
    while (sv.busy) {
        busy *b = sv.busy;
        sv.busy = b->next;
        free(b);
    }
    pthread_mutex_destroy(&sv.wlock.m);
    pthread_cond_destroy(&sv.wlock.c);
    pthread_mutex_destroy(&sv.qlock);
    pthread_cond_destroy(&sv.qcond);
    pthread_mutex_destroy(&sv.clock);
    pthread_cond_destroy(&sv.ccond);
    pthread_mutex_destroy(&sv.dlock);
    pthread_cond_destroy(&sv.dcond);
    if (d == NULL)
        return rc;
    fprintf(stderr, "xasync-district: stopped (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return 0;
}
