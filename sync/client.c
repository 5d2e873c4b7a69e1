/*
 * The sync client: libcurl, one kept-alive connection, round trips until
 * both sides hold the same ops.
 *
 * A round trip: POST the ops past the server's last acknowledgement (a
 * bounded batch) and this replica's version vector; apply what comes back
 * in one transaction; save the server's vector as the acknowledgement.  A
 * lost response is harmless: the same ops go again and the server's rule 1
 * drops them.  The acknowledgement is saved only after a checked answer (a
 * 200 with the changeset media type that decodes for this scope), never
 * after a captive portal's page.
 *
 * Invariants:
 *   1. acked is written only from a decoded server response;
 *   2. every attempt ends in exactly one attempt record;
 *   3. no libcurl call runs without connect, low-speed and total timeouts.
 */
#include "xasync/changeset.h"
#include "xasync/error.h"
#include "xasync/sync.h"
#include "xasync/syncstate.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Largest response body, before and after inflating. */
#define MAX_RESPONSE ((size_t)64 * 1024 * 1024)
#define TOKEN_MAX 256

void xa_sync_opts_default(xa_sync_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->connect_timeout_s = 15;
    o->low_speed_time_s = 30;
    o->request_timeout_s = 120;
    o->batch_ops = 500;
    o->batch_bytes = 256 * 1024;
    o->max_ops_back = 2000;
    o->max_idle_rounds = 3;
}

int xa_sync_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
               ? 0
               : xa_error_set(XA_EIO, "cannot start libcurl");
}

void xa_sync_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- one HTTP exchange ------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n, cap, limit;
    int over;
} buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t len = size * nmemb;

    if (b->n + len > b->limit) {
        b->over = 1;
        return 0; /* aborts the transfer */
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

typedef struct session {
    CURL *curl;
    struct curl_slist *headers;
    char url[XA_URL_MAX + 128];
    char err[CURL_ERROR_SIZE];
    const xa_sync_opts *o;
    xa_sync_report *rep;
    size_t fit; /* ops in the last batch that fitted batch_bytes (0: none yet) */
} session;

/* Translate a libcurl failure into words for a clerk. */
static int curl_fail(session *s, CURLcode cc)
{
    const char *detail = s->err[0] ? s->err : curl_easy_strerror(cc);

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return xa_error_set(XA_ETRANSIENT, "no connection: cannot find the district server (%s)",
                            detail);
    case CURLE_COULDNT_CONNECT:
        return xa_error_set(XA_ETRANSIENT, "could not connect to the district server (%s)", detail);
    case CURLE_OPERATION_TIMEDOUT:
        return xa_error_set(XA_ETRANSIENT, "the link is too slow or down: timed out (%s)", detail);
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
        /* A TLS server takes a plain request for a broken handshake and
         * closes: with an http:// address that is the likely cause. */
        if (strncasecmp(s->url, "http://", 7) == 0)
            return xa_error_set(XA_ETRANSIENT,
                                "máy chủ huyện không trả lời (%s): nếu máy chủ dùng TLS, địa chỉ "
                                "phải bắt đầu bằng https:// / the district server answered nothing"
                                " (%s): if it uses TLS, the address must begin with https:// "
                                "(`xasync remote set https://...`); else it stopped mid-request, "
                                "sync again",
                                detail, detail);
        return xa_error_set(XA_ETRANSIENT, "the connection failed (%s)", detail);
    case CURLE_SSL_CONNECT_ERROR:
        /* An https:// address on a plain HTTP server: the first bytes back
         * are not TLS at all, or the server closes the connection on the
         * handshake it does not understand (SSL_ERROR_SYSCALL, which
         * depends on timing).  Not a certificate's fault. */
        if (strstr(detail, "wrong version number") || strstr(detail, "packet length too long") ||
            strstr(detail, "unexpected message") || strstr(detail, "record layer") ||
            strstr(detail, "SSL_ERROR_SYSCALL"))
            return xa_error_set(XA_EAUTH,
                                "máy chủ huyện không dùng TLS ở địa chỉ này (%s): nếu đó là máy "
                                "chủ HTTP thường, địa chỉ bắt đầu bằng http:// / the district "
                                "server does not speak TLS at this address (%s): if it is a plain"
                                " HTTP server, the address begins with http:// (`xasync remote "
                                "set http://...`); the certificate is not the problem",
                                detail, detail);
        /* fall through */
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return xa_error_set(XA_EAUTH,
                            "the district server's certificate could not be verified (%s);"
                            " check the address and `xasync remote set --cacert`",
                            detail);
    case CURLE_ABORTED_BY_CALLBACK:
        return xa_error_set(XA_ETRANSIENT, "stopped");
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        return xa_error_set(XA_ETRANSIENT, "the server's answer is too large");
    default:
        return xa_error_set(XA_ETRANSIENT, "the connection failed (%s)", detail);
    }
}

/* libcurl's progress callback: abandon the transfer when asked to stop. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const session *s = ud;

    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return s->o->stop && *s->o->stop;
}

static int session_open(session *s, const xa_remote *r, const char *scope, const char *token)
{
    char auth[TOKEN_MAX + 32];
    size_t ulen = strlen(r->url);

    while (ulen && r->url[ulen - 1] == '/')
        ulen--;
    if ((size_t)snprintf(s->url, sizeof(s->url), "%.*s/v1/scopes/%s/sync", (int)ulen, r->url,
                         scope) >= sizeof(s->url))
        return xa_error_set(XA_EINVAL, "the server address is too long");
    s->curl = curl_easy_init();
    if (s->curl == NULL)
        return xa_error_set(XA_ENOMEM, "cannot start libcurl");
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    /* Lean headers: a sync of ten cells is smaller than a browser's headers. */
    struct curl_slist *h = curl_slist_append(NULL, auth);
    if (h)
        h = curl_slist_append(h, "Content-Type: " XA_MEDIA_CHANGESET);
    if (h)
        h = curl_slist_append(h, "Accept:");
    if (h)
        h = curl_slist_append(h, "Expect:");
    if (h == NULL)
        return xa_error_set(XA_ENOMEM, "out of memory");
    s->headers = h;
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->o->connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, s->o->low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->o->request_timeout_s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_RESPONSE);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (r->cacert[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, r->cacert);
    if (s->o->stop) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    return 0;
}

static void session_close(session *s)
{
    curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->headers);
}

/* POST a packed body; on return *status is the HTTP status and `resp`
 * holds the body.  Counts the bytes on the wire. */
static int post(session *s,
                const unsigned char *body,
                size_t len,
                buf *resp,
                long *status,
                char *ctype,
                size_t ctcap)
{
    CURLcode cc;
    curl_off_t up = 0, down = 0;
    long reqsize = 0, hdrsize = 0;
    char *ct = NULL;

    s->err[0] = '\0';
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, (const char *)body);
    curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, resp);
    cc = curl_easy_perform(s->curl);
    curl_easy_getinfo(s->curl, CURLINFO_REQUEST_SIZE, &reqsize);
    curl_easy_getinfo(s->curl, CURLINFO_HEADER_SIZE, &hdrsize);
    curl_easy_getinfo(s->curl, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(s->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    s->rep->requests++;
    /* libcurl's request size counts the body only when it went out with
     * the headers (a small one); a larger body is sent apart and not in it. */
    s->rep->bytes_sent +=
        (uint64_t)reqsize >= (uint64_t)up ? (uint64_t)reqsize : (uint64_t)reqsize + (uint64_t)up;
    s->rep->bytes_received += (uint64_t)hdrsize + (uint64_t)down;
    if (cc != CURLE_OK) {
        if (resp->over)
            return xa_error_set(XA_ETRANSIENT, "the server's answer is too large");
        return curl_fail(s, cc);
    }
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, status);
    s->rep->http_status = (int)*status;
    ctype[0] = '\0';
    if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(ctype, ctcap, "%s", ct);
    return 0;
}

/* The server's short JSON error {"error": "..."}: copy its message. */
static void server_message(const buf *b, char *out, size_t cap)
{
    const char *p = b->p ? strstr(b->p, "\"error\":\"") : NULL;
    size_t n = 0;

    out[0] = '\0';
    if (p == NULL)
        return;
    p += 9;
    while (p[n] && p[n] != '"' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* A 409 for a forged dot: {"code":"forged","node":"..","seq":N}. */
static int forged_dot(const buf *b, xa_node *node, uint64_t *seq)
{
    static const char pat[] = "\"node\":\"";
    char hex[XA_NODE_HEX + 1];
    const char *p;

    if (b->p == NULL || strstr(b->p, "\"code\":\"forged\"") == NULL)
        return 0;
    p = strstr(b->p, pat);
    if (p == NULL || strlen(p) < sizeof(pat) - 1 + XA_NODE_HEX + 8)
        return 0;
    memcpy(hex, p + sizeof(pat) - 1, XA_NODE_HEX);
    hex[XA_NODE_HEX] = '\0';
    p += sizeof(pat) - 1 + XA_NODE_HEX;
    if (strncmp(p, "\",\"seq\":", 8) != 0 || xa_node_parse(hex, node) < 0)
        return 0;
    *seq = strtoull(p + 8, NULL, 10);
    return *seq > 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_token(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        return xa_error_set(XA_EINVAL, "cannot read the token file %s", path);
    n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
    if (n == 0)
        return xa_error_set(XA_EINVAL, "the token file %s is empty", path);
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return xa_error_set(XA_EINVAL, "the token file %s holds something that is not a token",
                                path);
    }
    return 0;
}

/* ---- the sync loop ------------------------------------------------------ */

/* Ops to send: past `acked`, at most batch_ops, and within batch_bytes once
 * encoded (halving the batch until it fits, at least one op).  A batch
 * starts from twice the size that fitted last time (*fit), so a backlog of
 * large values is not read and encoded again, halving, at every round
 * trip: the work stays linear in the backlog. */
static int next_batch(xa_store *st,
                      const xa_sync_opts *o,
                      const char *scope,
                      const xa_vv *acked,
                      xa_sync_msg *req,
                      char **text,
                      size_t *len,
                      size_t *fit)
{
    size_t want = o->batch_ops < XA_SYNC_MAX_OPS ? o->batch_ops : XA_SYNC_MAX_OPS;
    int rc, halved = 0;

    if (*fit > 0 && *fit < want / 2)
        want = *fit * 2;

    for (;;) {
        xa_op_list_free(&req->ops);
        rc = xa_store_missing(st, scope, acked, want, &req->ops, NULL);
        if (rc == 0)
            rc = xa_store_have(st, scope, &req->have);
        if (rc == 0)
            rc = xa_sync_msg_encode(text, len, req, 1);
        if (rc < 0 || *len <= o->batch_bytes || req->ops.n <= 1) {
            if (rc == 0) /* a hint only when the bytes, not the backlog, set the size */
                *fit = halved || req->ops.n == want ? req->ops.n : 0;
            return rc;
        }
        free(*text);
        *text = NULL;
        want = req->ops.n / 2;
        halved = 1;
    }
}

static int round_trip(session *s, xa_store *st, const char *scope, xa_vv *acked, int *done)
{
    xa_sync_msg req, resp;
    xa_apply_result ar = {0, 0, 0};
    unsigned char *packed = NULL;
    char *text = NULL, *plain = NULL, ctype[128], msg[200];
    size_t len = 0, plen = 0, plainlen = 0;
    buf body = {NULL, 0, 0, MAX_RESPONSE, 0};
    long status = 0;
    uint64_t fseq = 0;
    int rc;

    xa_sync_msg_init(&req);
    xa_sync_msg_init(&resp);
    snprintf(req.scope, sizeof(req.scope), "%s", scope);
    req.node = xa_store_node(st);
    req.max = s->o->max_ops_back;
    rc = next_batch(st, s->o, scope, acked, &req, &text, &len, &s->fit);
    if (rc == 0)
        rc = xa_pack(&packed, &plen, text, len, XA_PACK_DICT);
    if (rc == 0)
        rc = post(s, packed, plen, &body, &status, ctype, sizeof(ctype));
    if (rc < 0)
        goto out;

    if (status == 200) {
        if (strncmp(ctype, XA_MEDIA_CHANGESET, strlen(XA_MEDIA_CHANGESET)) != 0 ||
            xa_unpack(&plain, &plainlen, (unsigned char *)body.p, body.n, XA_PACK_DICT,
                      MAX_RESPONSE) < 0 ||
            xa_sync_msg_decode(&resp, plain, plainlen, scope, 0) < 0) {
            rc = xa_error_set(XA_ETRANSIENT,
                              "the answer did not come from the district server (a captive"
                              " portal or a proxy? got %s '%.40s'); check the internet link",
                              ctype[0] ? ctype : "no content type", body.p ? body.p : "");
            goto out;
        }
    } else {
        server_message(&body, msg, sizeof(msg));
        xa_node fnode = 0;
        if (status == 409 && forged_dot(&body, &fnode, &fseq)) {
            /* A PC restored from an old backup (or copied): the server holds
             * other ops under its dots.  Ours: move them past the last
             * common one to a new node id, and go on.  Another PC's, which
             * it handed over by USB before it synced: move this PC's copies
             * of them to a new node id too, so they still reach the
             * district (nothing is lost) and the district's own come back. */
            size_t moved = 0;
            rc = xa_store_rekey(st, scope, fnode, fseq - 1, NULL, &moved);
            if (rc == 0)
                s->rep->renoded += moved;
            goto out;
        }
        if (status >= 300 && status < 400)
            rc = xa_error_set(XA_ETRANSIENT,
                              "the answer did not come from the district server (a captive"
                              " portal or a proxy redirected it: HTTP %ld); check the internet"
                              " link",
                              status);
        else if (status == 401)
            rc = xa_error_set(XA_EAUTH, "the district server refused the token (%s)", msg);
        else if (status == 403)
            rc = xa_error_set(XA_EAUTH, "the district server refused this commune (%s)", msg);
        else if (status == 429 || status == 503 || status >= 500) {
            curl_off_t ra = 0;
            curl_easy_getinfo(s->curl, CURLINFO_RETRY_AFTER, &ra);
            s->rep->retry_after_s = (int)ra;
            rc = xa_error_set(XA_ETRANSIENT, "the district server is unavailable (HTTP %ld%s%s)",
                              status, msg[0] ? ": " : "", msg);
        } else
            rc = xa_error_set(XA_EINVAL, "the district server refused the sync (HTTP %ld: %s)",
                              status, msg[0] ? msg : "no reason given");
        goto out;
    }

    if (resp.snap) {
        /* A fresh PC: start from the district's state, not its history. */
        rc = xa_store_install_snapshot(st, scope, resp.snap);
        if (rc < 0)
            goto out;
        s->rep->snapshot_fields += resp.snap->n;
    }
    rc = xa_store_apply(st, scope, resp.ops.ops, resp.ops.n, &ar);
    if (rc < 0)
        goto out;
    s->rep->ops_sent += req.ops.n;
    s->rep->ops_received += ar.applied;
    rc = xa_vv_copy(acked, &resp.have);
    if (rc == 0)
        rc = xa_syncstate_acked_set(st, scope, acked);
    if (rc == 0) {
        /* Done when the server wants to send nothing more and holds all we
         * have: both sides then hold the same ops. */
        xa_vv have = XA_VV_INIT;
        rc = xa_store_have(st, scope, &have);
        *done = rc == 0 && !resp.more && xa_vv_equal(&have, acked);
        xa_vv_free(&have);
    }
    if (s->o->verbose)
        fprintf(stderr, "xasync: round trip %llu: sent %zu ops (%zu bytes), got %zu ops%s\n",
                (unsigned long long)s->rep->requests, req.ops.n, plen, resp.ops.n,
                resp.more ? ", more to come" : "");
out:
    xa_sync_msg_clear(&req);
    xa_sync_msg_clear(&resp);
    free(text);
    free(packed);
    free(plain);
    free(body.p);
    return rc;
}

int xa_sync_run(xa_store *st, const xa_sync_opts *opts, xa_sync_report *rep)
{
    xa_sync_opts defaults;
    xa_remote r;
    xa_attempt a;
    xa_vv acked = XA_VV_INIT;
    session s;
    char token[TOKEN_MAX];
    const char *scope = xa_store_scope(st);
    int rc, done = 0;

    if (opts == NULL) {
        xa_sync_opts_default(&defaults);
        opts = &defaults;
    }
    memset(rep, 0, sizeof(*rep));
    memset(&s, 0, sizeof(s));
    memset(&a, 0, sizeof(a));
    s.o = opts;
    s.rep = rep;
    a.started = wall_ms();

    rc = xa_syncstate_remote_get(st, &r);
    if (rc == 0)
        rc = read_token(r.token_file, token, sizeof(token));
    if (rc == 0)
        rc = xa_syncstate_acked_get(st, scope, &acked);
    if (rc == 0)
        rc = session_open(&s, &r, scope, token);
    for (size_t idle = 0; rc == 0 && !done;) {
        uint64_t moved = rep->ops_sent + rep->ops_received + rep->renoded + rep->snapshot_fields;

        if (opts->stop && *opts->stop) {
            rc = xa_error_set(XA_ETRANSIENT, "stopped");
            break;
        }
        rc = round_trip(&s, st, scope, &acked, &done);
        if (rc == 0 && opts->on_round)
            opts->on_round(opts->ud);
        if (rc == 0 && !done &&
            rep->ops_sent + rep->ops_received + rep->renoded + rep->snapshot_fields == moved &&
            ++idle >= opts->max_idle_rounds)
            rc = xa_error_set(XA_ETRANSIENT,
                              "the sync made no progress in %zu round trips in a row", idle);
        else if (rc == 0 && !done &&
                 rep->ops_sent + rep->ops_received + rep->renoded + rep->snapshot_fields != moved)
            idle = 0;
    }
    session_close(&s);
    xa_vv_free(&acked);
    memset(token, 0, sizeof(token));

    a.ended = wall_ms();
    a.ok = rc == 0;
    if (rc < 0)
        snprintf(a.error, sizeof(a.error), "%s", xa_error_last());
    a.ops_sent = rep->ops_sent;
    a.ops_received = rep->ops_received;
    a.bytes_sent = rep->bytes_sent;
    a.bytes_received = rep->bytes_received;
    a.requests = rep->requests;
    if (rc == XA_ENOTFOUND)
        return rc; /* no remote: nothing was attempted */
    if (rc < 0 && opts->stop && *opts->stop)
        return rc; /* stopped by the clerk or systemd: not a failed link */
    {
        char keep[512];
        snprintf(keep, sizeof(keep), "%s", xa_error_last());
        if (xa_syncstate_attempt_add(st, &a) == 0 && rc < 0)
            xa_error_set(rc, "%s", keep);
    }
    return rc;
}
