/*
 * `xasync ui`: the clerk's editor, served from the PC itself
 * (client/ui/API.md is the contract with the page).
 *
 * One libmicrohttpd thread does everything, with one store handle: the
 * editor is one person's, and SQLite writes are serial anyway.  The page,
 * its CSS and its JavaScript are built into the program (ui_assets.c,
 * generated from client/ui/ at build time).
 *
 * Invariants:
 *   1. it listens on loopback only;
 *   2. a request whose Host (or Origin, when sent) is not this server's own
 *      address is refused before anything else: another web page, or a DNS
 *      rebinding, cannot read or write the report;
 *   3. every write carries the per-start secret the page was given;
 *   4. a write never overwrites a value the clerk has not seen: the page
 *      says what it showed (`expect`), and a changed field is answered 409.
 */
/* mkostemp, POSIX_SPAWN_SETSID */
#define _GNU_SOURCE

#include "cli.h"
#include "xasync/codec.h"
#include "xasync/error.h"
#include "xasync/form.h"
#include "xasync/report.h"
#include "xasync/view.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT_T;
#else
typedef enum MHD_Result MHD_RESULT_T;
#endif

#define MAX_BODY (1024 * 1024)
/* An ops file uploaded to apply (POST /api/apply): its body is the file. */
#define MAX_OPS_BODY (64 * 1024 * 1024)

extern char **environ;

extern const unsigned char xa_ui_index_html[], xa_ui_app_js[], xa_ui_app_css[];
extern const size_t xa_ui_index_html_len, xa_ui_app_js_len, xa_ui_app_css_len;

/* `xasync sync` run for the page ("Gửi ngay"), watched by GET /api/sync. */
typedef struct sync_job {
    pid_t pid;    /* 0: none running */
    int out;      /* its stdout and stderr (a temporary file) */
    unsigned run; /* how many were started */
    int exit;     /* the last one's exit status (-1: killed) */
    char *output; /* the last one's output */
} sync_job;

typedef struct ui {
    xa_store *st;
    const char *author;
    const char *db;     /* the database, for the commands run as children */
    char exe[PATH_MAX]; /* this program (xasync-full) */
    sync_job sync;
    char author_buf[XA_AUTHOR_MAX + 1]; /* the author chosen in the page */
    pid_t daemon;                       /* a daemon this editor started, reaped when it ends */
    char secret[33];
    char host1[64], host2[64];     /* "127.0.0.1:PORT", "localhost:PORT" */
    char origin1[80], origin2[80]; /* "http://" + the same */
    char *index;                   /* the page with the secret in it */
    size_t index_len;
} ui;

typedef struct req {
    char *body;
    size_t n;
    size_t max;
    int too_big;
} req;

/* ---- answers ------------------------------------------------------------ */

static MHD_RESULT_T send_buf(struct MHD_Connection *c,
                             unsigned status,
                             const char *ctype,
                             const void *data,
                             size_t len,
                             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
    MHD_RESULT_T ret;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline';"
                            " img-src 'self' data:; frame-ancestors 'none'");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static MHD_RESULT_T send_json(struct MHD_Connection *c, unsigned status, cJSON *doc)
{
    char *s = doc ? cJSON_PrintUnformatted(doc) : NULL;

    cJSON_Delete(doc);
    if (s == NULL)
        return MHD_NO;
    return send_buf(c, status, "application/json; charset=utf-8", s, strlen(s),
                    MHD_RESPMEM_MUST_FREE);
}

static MHD_RESULT_T fail(struct MHD_Connection *c, unsigned status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "error", msg);
    return send_json(c, status, o);
}

/* XA_E* -> HTTP status: the server's table (sync/view.c), so a value over
 * its limit is a 413 here too. */
static unsigned status_of(int rc)
{
    return xa_http_status(rc);
}

static MHD_RESULT_T fail_xa(struct MHD_Connection *c, int rc)
{
    return fail(c, status_of(rc), xa_error_last());
}

/* ---- reads -------------------------------------------------------------- */

static const char *arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static MHD_RESULT_T api_reports(ui *u, struct MHD_Connection *c)
{
    char **ids = NULL;
    size_t n = 0;
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "reports");
    int rc = xa_report_list(u->st, xa_store_scope(u->st), &ids, &n);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        xa_report r;
        if (xa_report_load(u->st, xa_store_scope(u->st), ids[i], &r) < 0)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", r.id);
        cJSON_AddStringToObject(e, "title", r.title);
        cJSON_AddStringToObject(e, "period", r.period);
        cJSON_AddStringToObject(e, "kind", r.kind);
        cJSON_AddItemToArray(a, e);
        xa_report_free(&r);
    }
    xa_report_list_free(ids, n);
    if (rc < 0) {
        cJSON_Delete(o);
        return fail_xa(c, rc);
    }
    return send_json(c, MHD_HTTP_OK, o);
}

static cJSON *values_json(const xa_field *f)
{
    char *s = xa_view_field(f, 0);
    cJSON *o = s ? cJSON_Parse(s) : NULL;

    free(s);
    return o;
}

/* A change counter: the sum of the seqs of this replica's version vector.
 * Every op written here or arriving (apply, sync, another editor) raises
 * it; the page polls it (GET /api/changes) and loads the report again when
 * it moves.  "" when it cannot be read. */
static void change_version(ui *u, char *out, size_t len)
{
    xa_vv vv = XA_VV_INIT;
    unsigned long long sum = 0;

    if (xa_store_have(u->st, xa_store_scope(u->st), &vv) < 0) {
        snprintf(out, len, "%s", "");
        return;
    }
    for (size_t i = 0; i < vv.n; i++)
        sum += vv.e[i].seq;
    xa_vv_free(&vv);
    snprintf(out, len, "%llu", sum);
}

static MHD_RESULT_T api_report(ui *u, struct MHD_Connection *c)
{
    const char *id = arg(c, "report");
    xa_report r;
    xa_finding *fs = NULL;
    xa_field *f = NULL;
    size_t nfs = 0, nf = 0;
    char *json = NULL, prefix[XA_ENTITY_MAX + 8];
    cJSON *doc, *findings, *fields;
    int rc;

    if (id == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "which report? (?report=ID)");
    char version[32];
    change_version(u, version, sizeof(version)); /* before reading: never newer than what is sent */
    rc = xa_report_load(u->st, xa_store_scope(u->st), id, &r);
    if (rc < 0)
        return fail_xa(c, rc);
    rc = xa_report_render(&r, XA_REPORT_JSON, &json);
    if (rc == 0)
        rc = xa_report_check(&r, &fs, &nfs);
    /* rows bound to nothing, or by position only, shown on their row (form.h) */
    xa_form form;
    char form_id[128] = "";
    if (rc == 0 && xa_report_form(u->st, xa_store_scope(u->st), id, &form) == 0) {
        snprintf(form_id, sizeof(form_id), "%s", form.id ? form.id : "");
        rc = xa_bind_findings(&r, &form, &fs, &nfs);
        xa_form_free(&form);
    }
    if (rc == 0)
        rc = xa_store_fields(u->st, xa_store_scope(u->st), NULL, 1, &f, &nf);
    xa_report_free(&r);
    doc = rc == 0 ? cJSON_Parse(json) : NULL;
    free(json);
    if (doc == NULL) {
        xa_findings_free(fs, nfs);
        xa_fields_free(f, nf);
        return rc < 0 ? fail_xa(c, rc) : fail(c, 500, "cannot read the report");
    }
    cJSON_AddStringToObject(doc, "version", version);
    /* its life (draft, sent, accepted, returned with the district's reason):
     * for a report bound to a district form, the only kind that is sent */
    xa_report_state rs;
    if (form_id[0] && xa_report_state_get(u->st, xa_store_scope(u->st), id, &rs) == 0) {
        cJSON *so = cJSON_AddObjectToObject(doc, "state");
        char t[48] = "";
        cJSON_AddStringToObject(so, "form", form_id);
        cJSON_AddStringToObject(so, "state", rs.state);
        cJSON_AddBoolToObject(so, "edited", rs.edited);
        if (rs.sent_at)
            xa_view_time_iso(rs.sent_at, t, sizeof(t));
        cJSON_AddStringToObject(so, "sent_at", t);
        cJSON_AddStringToObject(so, "reason", rs.reason);
        cJSON_AddBoolToObject(so, "conflict", rs.conflict);
    } else {
        cJSON_AddNullToObject(doc, "state");
    }
    findings = cJSON_AddArrayToObject(doc, "findings");
    for (size_t i = 0; i < nfs; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "where", fs[i].where);
        cJSON_AddStringToObject(e, "vi", fs[i].vi);
        cJSON_AddStringToObject(e, "en", fs[i].en);
        if (fs[i].code[0]) {
            char fid[XA_ENTITY_MAX + 48];
            snprintf(fid, sizeof(fid), "%s@%s", fs[i].code, fs[i].where);
            cJSON_AddStringToObject(e, "id", fid);
            cJSON_AddStringToObject(e, "code", fs[i].code);
            cJSON_AddStringToObject(e, "severity", fs[i].severity);
        }
        if (fs[i].fix_path && fs[i].fix_value) {
            cJSON *x = cJSON_AddObjectToObject(e, "fix");
            cJSON_AddStringToObject(x, "path", fs[i].fix_path);
            cJSON_AddStringToObject(x, "value", fs[i].fix_value);
        }
        cJSON_AddItemToArray(findings, e);
    }
    /* the fields of this report in conflict, with every value */
    fields = cJSON_AddObjectToObject(doc, "fields");
    snprintf(prefix, sizeof(prefix), "%s/", id);
    for (size_t i = 0; i < nf; i++) {
        char key[XA_ENTITY_MAX + XA_FIELD_MAX + 2];
        if (strcmp(f[i].entity, id) != 0 && strncmp(f[i].entity, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(key, sizeof(key), "%s %s", f[i].entity, f[i].field);
        cJSON_AddItemToObject(fields, key, values_json(&f[i]));
    }
    xa_findings_free(fs, nfs);
    xa_fields_free(f, nf);
    return send_json(c, MHD_HTTP_OK, doc);
}

static MHD_RESULT_T api_history(ui *u, struct MHD_Connection *c)
{
    const char *entity = arg(c, "entity"), *field = arg(c, "field");
    xa_logent *e = NULL;
    size_t n = 0;
    cJSON *o, *a;
    int rc;

    if (entity == NULL || field == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "which field? (?entity=E&field=F)");
    rc = xa_store_log(u->st, xa_store_scope(u->st), entity, field, &e, &n);
    if (rc < 0)
        return fail_xa(c, rc);
    o = cJSON_CreateObject();
    a = cJSON_AddArrayToObject(o, "history");
    for (size_t i = 0; i < n; i++) {
        cJSON *h = cJSON_CreateObject(), *before = cJSON_CreateArray();
        char t[48], node[XA_NODE_HEX + 1];
        xa_view_time_iso(e[i].op.hlc, t, sizeof(t));
        xa_node_format(e[i].op.node, node);
        cJSON_AddStringToObject(h, "time", t);
        cJSON_AddStringToObject(h, "author", e[i].op.author);
        cJSON_AddStringToObject(h, "node", node);
        for (size_t k = 0; k < e[i].nbefore; k++) {
            cJSON *v = cJSON_Parse(e[i].before[k].value);
            cJSON_AddItemToArray(before, v ? v : cJSON_CreateNull());
        }
        cJSON_AddItemToObject(h, "before", before);
        cJSON *v = cJSON_Parse(e[i].op.value);
        cJSON_AddItemToObject(h, "value", v ? v : cJSON_CreateNull());
        cJSON_AddItemToArray(a, h);
    }
    xa_log_free(e, n);
    return send_json(c, MHD_HTTP_OK, o);
}

static MHD_RESULT_T api_changes(ui *u, struct MHD_Connection *c)
{
    char v[32];
    cJSON *o = cJSON_CreateObject();

    change_version(u, v, sizeof(v));
    cJSON_AddStringToObject(o, "version", v);
    return send_json(c, MHD_HTTP_OK, o);
}

static MHD_RESULT_T api_status(ui *u, struct MHD_Connection *c)
{
    char *s;

    if (u->daemon > 0 && waitpid(u->daemon, NULL, WNOHANG) == u->daemon)
        u->daemon = 0; /* a daemon this editor started has ended */
    s = xa_cli_status_json(u->st);

    if (s == NULL)
        return fail_xa(c, XA_EIO);
    return send_buf(c, MHD_HTTP_OK, "application/json; charset=utf-8", s, strlen(s),
                    MHD_RESPMEM_MUST_FREE);
}

static MHD_RESULT_T page_print(ui *u, struct MHD_Connection *c)
{
    const char *id = arg(c, "report");
    xa_report r;
    char *html = NULL;
    int rc;

    if (id == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "which report? (?report=ID)");
    rc = xa_report_load(u->st, xa_store_scope(u->st), id, &r);
    if (rc == 0) {
        rc = xa_report_render(&r, XA_REPORT_HTML, &html);
        xa_report_free(&r);
    }
    if (rc < 0)
        return fail_xa(c, rc);
    return send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, strlen(html),
                    MHD_RESPMEM_MUST_FREE);
}

/* ---- writes ------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *quote(const char *text)
{
    cJSON *s = cJSON_CreateString(text);
    char *out = s ? cJSON_PrintUnformatted(s) : NULL;

    cJSON_Delete(s);
    return out;
}

static MHD_RESULT_T api_set(ui *u, struct MHD_Connection *c, const cJSON *in, int resolve)
{
    const char *entity = jstr(in, "entity"), *field = jstr(in, "field"), *value = jstr(in, "value");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(in, "expect");
    xa_field f;
    char *json;
    int rc;

    if (entity == NULL || field == NULL || value == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "entity, field and value are needed");
    if (!resolve) {
        /* What the clerk saw must still be there. */
        memset(&f, 0, sizeof(f));
        rc = xa_store_get(u->st, xa_store_scope(u->st), entity, field, &f);
        if (rc < 0 && rc != XA_ENOTFOUND)
            return fail_xa(c, rc);
        int changed = 0;
        if (rc == 0) {
            char *now = xa_view_text(f.v[0].value);
            changed = f.n > 1 ||
                      (cJSON_IsString(expect) && now && strcmp(now, expect->valuestring) != 0) ||
                      cJSON_IsNull(expect);
            free(now);
        } else {
            changed = cJSON_IsString(expect) && expect->valuestring[0] != '\0';
        }
        if (changed) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "error",
                                    rc == 0 && f.n > 1
                                        ? "this field holds values from two PCs: choose one"
                                        : "this value was just changed on another PC");
            cJSON_AddItemToObject(o, "current", rc == 0 ? values_json(&f) : cJSON_CreateNull());
            if (rc == 0)
                xa_field_clear(&f);
            return send_json(c, MHD_HTTP_CONFLICT, o);
        }
        if (rc == 0)
            xa_field_clear(&f);
    }
    /* a cell of a report's table: checked at the door, stored normalised
     * (report.h, xa_report_cell_value), as `xasync report edit` does */
    char *norm = NULL;
    const char *bs = strstr(entity, "/b/");
    if (bs && (size_t)(bs - entity) <= XA_ENTITY_MAX) {
        char rid[XA_ENTITY_MAX + 1];
        xa_report r;
        snprintf(rid, sizeof(rid), "%.*s", (int)(bs - entity), entity);
        if (xa_report_load(u->st, xa_store_scope(u->st), rid, &r) == 0) {
            rc = xa_report_cell_value(&r, entity, field, NULL, value, &norm);
            xa_report_free(&r);
            if (rc < 0) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "error", xa_error_last());
                cJSON_AddStringToObject(o, "code", "figure");
                return send_json(c, MHD_HTTP_BAD_REQUEST, o);
            }
            value = norm;
        }
    }
    json = quote(value);
    if (json == NULL) {
        free(norm);
        return fail(c, 500, "out of memory");
    }
    rc = xa_store_set(u->st, xa_store_scope(u->st), entity, field, json, u->author, resolve, NULL);
    free(json);
    if (rc < 0) {
        free(norm);
        return fail_xa(c, rc);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddStringToObject(o, "value", value);
    free(norm);
    return send_json(c, MHD_HTTP_OK, o);
}

static MHD_RESULT_T api_add(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *report = jstr(in, "report"), *kind = jstr(in, "kind"), *text = jstr(in, "text");
    const char *after = jstr(in, "after");
    char path[XA_ENTITY_MAX + 1];
    int rc;

    if (report == NULL || kind == NULL || text == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "report, kind and text are needed");
    rc = xa_report_add(u->st, xa_store_scope(u->st), report, after, kind, text, u->author, path);
    if (rc < 0)
        return fail_xa(c, rc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    return send_json(c, MHD_HTTP_OK, o);
}

static MHD_RESULT_T api_delete(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *report = jstr(in, "report"), *path = jstr(in, "path");
    int rc;

    if (report == NULL || path == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "report and path are needed");
    rc = xa_report_delete(u->st, xa_store_scope(u->st), report, path, u->author);
    if (rc < 0)
        return fail_xa(c, rc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    return send_json(c, MHD_HTTP_OK, o);
}

/* A finding's computed fix (report check), applied as `xasync report fix
 * ID` does: an ordinary edit.  {"report", "id": "CODE@WHERE"} ->
 * {"ok", "entity", "field", "before", "value"}: what was written where, and
 * what it replaced (the page's undo writes it back). */
static MHD_RESULT_T api_fix(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *report = jstr(in, "report"), *id = jstr(in, "id");
    xa_report r;
    xa_finding *f = NULL;
    size_t n = 0;
    int rc;

    if (report == NULL || id == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "report and id are needed");
    rc = xa_report_load(u->st, xa_store_scope(u->st), report, &r);
    if (rc < 0)
        return fail_xa(c, rc);
    rc = xa_report_check(&r, &f, &n);
    if (rc < 0) {
        xa_report_free(&r);
        return fail_xa(c, rc);
    }
    for (size_t i = 0; i < n; i++) {
        size_t cl = strlen(f[i].code);
        if (cl == 0 || strncmp(id, f[i].code, cl) != 0 || id[cl] != '@' ||
            strcmp(id + cl + 1, f[i].where) != 0)
            continue;
        if (f[i].fix_path == NULL || f[i].fix_value == NULL)
            break;
        /* the field it writes, and what it holds now */
        char entity[XA_ENTITY_MAX + 1], field[XA_FIELD_MAX + 1];
        char *before = NULL;
        int where = xa_report_path(&r, f[i].fix_path, entity, sizeof(entity), field, sizeof(field));
        if (where == 0) {
            xa_field old;
            memset(&old, 0, sizeof(old));
            if (xa_store_get(u->st, xa_store_scope(u->st), entity, field, &old) == 0) {
                if (old.n == 1)
                    before = xa_view_text(old.v[0].value);
                xa_field_clear(&old);
            }
        }
        xa_report_free(&r);
        rc = xa_report_edit(u->st, xa_store_scope(u->st), report, f[i].fix_path, f[i].fix_value,
                            u->author);
        cJSON *o = rc < 0 ? NULL : cJSON_CreateObject();
        if (o) {
            cJSON_AddTrueToObject(o, "ok");
            if (where == 0) {
                cJSON_AddStringToObject(o, "entity", entity);
                cJSON_AddStringToObject(o, "field", field);
                if (before)
                    cJSON_AddStringToObject(o, "before", before);
                else
                    cJSON_AddNullToObject(o, "before");
            }
            /* the value as stored (what an undo expects to find) */
            char *now = NULL;
            xa_field cur;
            memset(&cur, 0, sizeof(cur));
            if (where == 0 &&
                xa_store_get(u->st, xa_store_scope(u->st), entity, field, &cur) == 0) {
                if (cur.n == 1)
                    now = xa_view_text(cur.v[0].value);
                xa_field_clear(&cur);
            }
            cJSON_AddStringToObject(o, "value", now ? now : f[i].fix_value);
            free(now);
        }
        free(before);
        xa_findings_free(f, n);
        if (rc < 0)
            return fail_xa(c, rc);
        return send_json(c, MHD_HTTP_OK, o);
    }
    xa_report_free(&r);
    xa_findings_free(f, n);
    return fail(c, MHD_HTTP_NOT_FOUND, "no such finding with a computed fix (check again)");
}

/* A new position for a block: after `after` (NULL: first). */
static MHD_RESULT_T api_move(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *report = jstr(in, "report"), *path = jstr(in, "path"), *after = jstr(in, "after");
    xa_report r;
    char ent[XA_ENTITY_MAX + 1], fld[XA_FIELD_MAX + 1], aent[XA_ENTITY_MAX + 1], pos[64];
    const char *lo = "", *hi = "";
    size_t plen;
    int rc;

    if (report == NULL || path == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "report and path are needed");
    rc = xa_report_load(u->st, xa_store_scope(u->st), report, &r);
    if (rc < 0)
        return fail_xa(c, rc);
    plen = strlen(report) + 3;
    rc = xa_report_path(&r, path, ent, sizeof(ent), fld, sizeof(fld));
    if (rc == 0 && after)
        rc = xa_report_path(&r, after, aent, sizeof(aent), fld, sizeof(fld));
    if (rc == 0) {
        /* between `after` and the next block that is not the one moved */
        size_t i = 0;
        if (after) {
            while (i < r.n && strcmp(r.b[i].id, aent + plen) != 0)
                i++;
            if (i < r.n)
                lo = r.b[i++].pos;
        }
        while (i < r.n && strcmp(r.b[i].id, ent + plen) == 0)
            i++;
        if (i < r.n)
            hi = r.b[i].pos;
        rc = xa_pos_between(lo, hi, pos, sizeof(pos));
    }
    xa_report_free(&r);
    if (rc == 0) {
        char *json = quote(pos);
        rc = json ? xa_store_set(u->st, xa_store_scope(u->st), ent, "pos", json, u->author, 0, NULL)
                  : xa_error_set(XA_ENOMEM, "out of memory");
        free(json);
    }
    if (rc < 0)
        return fail_xa(c, rc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    return send_json(c, MHD_HTTP_OK, o);
}

/* ---- what the command line does, for the page ---------------------------- */

/* A temporary file, already unlinked (NULL path) or kept at *path. */
static int temp_fd(char *path, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    char buf[PATH_MAX];
    char *p = path ? path : buf;
    size_t n = path ? cap : sizeof(buf);
    int fd;

    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    if ((size_t)snprintf(p, n, "%s/xasync-ui-XXXXXX", dir) >= n)
        return -1;
    fd = mkostemp(p, O_CLOEXEC);
    if (fd >= 0 && path == NULL)
        unlink(p);
    return fd;
}

/* Run this program (`xasync --db DB ARGS...`) with stdout to `out` and
 * stderr to `err` (-1: /dev/null).  detach: in a session of its own, not
 * waited for here.  The child's pid, or -1 with errno set. */
static pid_t run_self(ui *u, const char *const *args, int out, int err, int detach)
{
    const char *argv[16];
    size_t n = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, def;
    pid_t pid = -1;
    int rc;

    argv[n++] = u->exe;
    argv[n++] = "--db";
    argv[n++] = u->db;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (err >= 0)
        posix_spawn_file_actions_adddup2(&fa, err, 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_init(&at);
    /* the editor ignores SIGPIPE and its thread may block signals: the
     * child starts as a command from a shell would */
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGINT);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      (detach ? POSIX_SPAWN_SETSID : 0));
    rc = posix_spawn(&pid, u->exe, &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

/* All of a file from its start (NUL-terminated); NULL if it cannot. */
static char *slurp(int fd, size_t *len)
{
    struct stat sb;
    char *buf;
    size_t n = 0;

    if (fstat(fd, &sb) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return NULL;
    buf = malloc((size_t)sb.st_size + 1);
    while (buf && n < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* What a command wrote on stderr, as the page shows it: without the
 * "xasync: " each line starts with, and without the last newline. */
static void tidy(char *s)
{
    char *w = s;

    for (char *r = s; *r;) {
        if ((r == s || r[-1] == '\n') && strncmp(r, "xasync: ", 8) == 0)
            r += 8;
        *w++ = *r++;
    }
    while (w > s && (w[-1] == '\n' || w[-1] == ' '))
        w--;
    *w = '\0';
}

/* Run a command and wait for it: its exit status (-1: could not run), its
 * stdout and its stderr (malloc'd). */
static int run_wait(ui *u, const char *const *args, char **out, size_t *outlen, char **err)
{
    int fo = temp_fd(NULL, 0), fe = temp_fd(NULL, 0), st = 0, code = -1;
    pid_t pid = fo >= 0 && fe >= 0 ? run_self(u, args, fo, fe, 0) : -1;

    *out = *err = NULL;
    if (pid > 0) {
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        *out = slurp(fo, outlen);
        *err = slurp(fe, NULL);
        if (*err)
            tidy(*err);
    } else {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof(msg), "cannot run %s: %s", u->exe, strerror(errno));
        *err = strdup(msg);
    }
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    return code;
}

/* The temporary file's name says nothing to the clerk: "PATH: " out. */
static void drop_path(char *err, const char *path)
{
    size_t pl = strlen(path);
    char *at = strstr(err, path);

    if (at == NULL)
        return;
    size_t skip = pl + (at[pl] == ':' ? 1 : 0);
    if (at[skip] == ' ')
        skip++;
    memmove(at, at + skip, strlen(at + skip) + 1);
}

/* A command's failure: 400 with its message (the page puts the clerk's
 * words in front of it) and its exit status. */
static MHD_RESULT_T fail_cmd(struct MHD_Connection *c, int code, const char *err)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "error", err && err[0] ? err : "the command failed");
    cJSON_AddNumberToObject(o, "exit", code);
    return send_json(c, code < 0 ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_BAD_REQUEST, o);
}

/* A file to save: the answer with Content-Disposition: attachment. */
static MHD_RESULT_T send_file(struct MHD_Connection *c, const char *name, char *data, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    char disp[256];
    MHD_RESULT_T ret;

    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Disposition", disp);
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* "SCOPE-YYYYMMDD-HHMM" for the names of the files handed over. */
static void file_stamp(ui *u, char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    char t[32] = "";

    if (localtime_r(&now, &tm))
        strftime(t, sizeof(t), "%Y%m%d-%H%M", &tm);
    snprintf(buf, cap, "%s-%s", xa_store_scope(u->st), t);
}

/* GET /api/have: what this PC holds (`xasync have`), to take to the other
 * PC, which makes the file for this one with it. */
static MHD_RESULT_T api_have(ui *u, struct MHD_Connection *c)
{
    xa_vv vv = XA_VV_INIT;
    char *s = NULL, name[160], stamp[128];
    int rc = xa_store_have(u->st, xa_store_scope(u->st), &vv);

    if (rc == 0)
        rc = xa_codec_vv_encode(&s, &vv);
    xa_vv_free(&vv);
    if (rc < 0)
        return fail_xa(c, rc);
    file_stamp(u, stamp, sizeof(stamp));
    snprintf(name, sizeof(name), "xasync-have-%s.json", stamp);
    return send_file(c, name, s, strlen(s));
}

/* POST /api/export {"have": TEXT | null}: the ops file for the other PC
 * (`xasync export-ops --have FILE`, or `--all` without one). */
static MHD_RESULT_T api_export(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *have = jstr(in, "have");
    char path[PATH_MAX] = "", *out = NULL, *err = NULL, name[160], stamp[128];
    size_t len = 0;
    int code;

    if (have) {
        int fd = temp_fd(path, sizeof(path));
        size_t hl = strlen(have);
        if (fd < 0 || write(fd, have, hl) != (ssize_t)hl) {
            if (fd >= 0) {
                close(fd);
                unlink(path);
            }
            return fail(c, 500, "cannot write a temporary file");
        }
        close(fd);
        const char *args[] = {"export-ops", "--have", path, NULL};
        code = run_wait(u, args, &out, &len, &err);
        unlink(path);
    } else {
        const char *args[] = {"export-ops", "--all", NULL};
        code = run_wait(u, args, &out, &len, &err);
    }
    if (code != 0 || out == NULL) {
        MHD_RESULT_T ret = fail_cmd(c, code, err);
        free(out);
        free(err);
        return ret;
    }
    free(err);
    file_stamp(u, stamp, sizeof(stamp));
    snprintf(name, sizeof(name), "xasync-ops-%s.json", stamp);
    return send_file(c, name, out, len);
}

/* POST /api/apply, the body an ops file: `xasync apply FILE`. */
static MHD_RESULT_T api_apply(ui *u, struct MHD_Connection *c, const char *body, size_t n)
{
    char path[PATH_MAX], *out = NULL, *err = NULL;
    int fd = temp_fd(path, sizeof(path)), code;
    size_t done = 0;

    if (fd < 0)
        return fail(c, 500, "cannot write a temporary file");
    while (done < n) {
        ssize_t w = write(fd, body + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    close(fd);
    if (done < n) {
        unlink(path);
        return fail(c, 500, "cannot write a temporary file");
    }
    const char *args[] = {"apply", path, NULL};
    code = run_wait(u, args, &out, NULL, &err);
    unlink(path);
    if (code != 0) {
        if (err)
            drop_path(err, path);
        MHD_RESULT_T ret = fail_cmd(c, code, err);
        free(out);
        free(err);
        return ret;
    }
    cJSON *o = cJSON_CreateObject();
    if (out)
        tidy(out);
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddStringToObject(o, "message", out ? out : "");
    free(out);
    free(err);
    return send_json(c, MHD_HTTP_OK, o);
}

/* The running `xasync sync`, if it ended: its status and output kept. */
static void sync_reap(ui *u)
{
    int st = 0;

    if (u->sync.pid <= 0 || waitpid(u->sync.pid, &st, WNOHANG) != u->sync.pid)
        return;
    u->sync.pid = 0;
    u->sync.exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    free(u->sync.output);
    u->sync.output = slurp(u->sync.out, NULL);
    if (u->sync.output)
        tidy(u->sync.output);
    close(u->sync.out);
    u->sync.out = -1;
}

static MHD_RESULT_T sync_answer(ui *u, struct MHD_Connection *c)
{
    cJSON *o = cJSON_CreateObject();

    sync_reap(u);
    cJSON_AddBoolToObject(o, "running", u->sync.pid > 0);
    cJSON_AddNumberToObject(o, "run", u->sync.run);
    if (u->sync.pid > 0 || u->sync.run == 0) {
        cJSON_AddNullToObject(o, "exit");
        cJSON_AddNullToObject(o, "output");
    } else {
        cJSON_AddNumberToObject(o, "exit", u->sync.exit);
        cJSON_AddStringToObject(o, "output", u->sync.output ? u->sync.output : "");
    }
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/sync: "Gửi ngay", `xasync sync` in the background (it may wait
 * on the network); GET /api/sync says how it went. */
static MHD_RESULT_T api_sync_start(ui *u, struct MHD_Connection *c)
{
    sync_reap(u);
    if (u->sync.pid <= 0) {
        const char *args[] = {"sync", NULL};
        int fd = temp_fd(NULL, 0);
        pid_t pid = fd >= 0 ? run_self(u, args, fd, fd, 0) : -1;
        if (pid < 0) {
            char msg[PATH_MAX + 64];
            snprintf(msg, sizeof(msg), "cannot run %s: %s", u->exe, strerror(errno));
            if (fd >= 0)
                close(fd);
            return fail(c, 500, msg);
        }
        u->sync.pid = pid;
        u->sync.out = fd;
        u->sync.run++;
    }
    return sync_answer(u, c);
}

/* POST /api/daemon: start the sync daemon (`xasync daemon`), in a session
 * of its own so it outlives the editor; its log beside the database. */
static MHD_RESULT_T api_daemon_start(ui *u, struct MHD_Connection *c)
{
    char log[PATH_MAX];
    int fd = -1;
    const char *args[] = {"daemon", NULL};

    if ((size_t)snprintf(log, sizeof(log), "%s.daemon.log", u->db) < sizeof(log))
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_t pid = run_self(u, args, -1, fd, 1);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (pid < 0) {
        char msg[PATH_MAX + 64];
        snprintf(msg, sizeof(msg), "cannot run %s: %s", u->exe, strerror(e));
        return fail(c, 500, msg);
    }
    if (u->daemon > 0)
        waitpid(u->daemon, NULL, WNOHANG);
    u->daemon = pid;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddNumberToObject(o, "pid", pid);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/submit {"report"}: "Gửi lên huyện" (`xasync report submit`):
 * the version as it is now is marked sent; it reaches the district with
 * the next sync. */
static MHD_RESULT_T api_submit(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *report = jstr(in, "report");
    int rc;

    if (report == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "report is needed");
    rc = xa_report_submit(u->st, xa_store_scope(u->st), report, u->author);
    if (rc < 0)
        return fail_xa(c, rc);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    return send_json(c, MHD_HTTP_OK, o);
}

/* ---- first run: no database yet --------------------------------------- */

/* mkdir -p of the folder a path is in. */
static int make_parent(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
        return -1;
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The database and the files SQLite keeps beside it, removed: a first run
 * that failed leaves nothing behind (only ever called for a database this
 * editor has just created). */
static void remove_new_db(const char *db)
{
    static const char *const ext[] = {"", "-wal", "-shm", "-journal", "-node"};
    char p[PATH_MAX];

    for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++)
        if ((size_t)snprintf(p, sizeof(p), "%s%s", db, ext[i]) < sizeof(p))
            unlink(p);
}

static MHD_RESULT_T api_setup_get(ui *u, struct MHD_Connection *c)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "needed", u->st == NULL);
    cJSON_AddStringToObject(o, "db", u->db);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/setup {"scope", "url", "token"}: `xasync init --scope`, `remote
 * set URL --token-file DB.token` (the key kept beside the database), then a first `sync` that tests
 * the connection (and brings the district's forms).  Any step failing: the new database is removed,
 * the answer names the step (`step`: init, remote, sync) with the command's message. */
static MHD_RESULT_T api_setup(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *scope = jstr(in, "scope"), *url = jstr(in, "url"), *token = jstr(in, "token");
    char tok[PATH_MAX], *out = NULL, *err = NULL;
    const char *step = "init";
    int code, fd;

    if (u->st != NULL)
        return fail(c, MHD_HTTP_CONFLICT, "this PC already has its database");
    if (scope == NULL || url == NULL || token == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "scope, url and token are needed");
    if (xa_check_scope(scope) < 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", xa_error_last());
        cJSON_AddStringToObject(o, "step", "scope");
        return send_json(c, MHD_HTTP_BAD_REQUEST, o);
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", "the address begins with http:// or https://");
        cJSON_AddStringToObject(o, "step", "url");
        return send_json(c, MHD_HTTP_BAD_REQUEST, o);
    }
    if (token[strspn(token, " \t\r\n")] == '\0') {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", "the commune's key is empty");
        cJSON_AddStringToObject(o, "step", "token");
        return send_json(c, MHD_HTTP_BAD_REQUEST, o);
    }
    if (access(u->db, F_OK) == 0)
        return fail(c, MHD_HTTP_CONFLICT, "a database is already there: start the editor again");
    if (make_parent(u->db) != 0)
        return fail(c, 500, "cannot make the folder of the database");
    /* `remote set` keeps the path of the token file: it stays beside the
     * database, readable by the clerk only */
    if ((size_t)snprintf(tok, sizeof(tok), "%s.token", u->db) >= sizeof(tok))
        return fail(c, 500, "the database's path is too long");
    unlink(tok); /* one left by an earlier setup that failed */
    fd = open(tok, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
        write(fd, "\n", 1) != 1) {
        if (fd >= 0) {
            close(fd);
            unlink(tok);
        }
        return fail(c, 500, "cannot write the commune's key beside the database");
    }
    close(fd);
    const char *a_init[] = {"init", "--scope", scope, NULL};
    code = run_wait(u, a_init, &out, NULL, &err);
    if (code == 0) {
        step = "remote";
        free(out);
        free(err);
        const char *a_remote[] = {"remote", "set", url, "--token-file", tok, NULL};
        code = run_wait(u, a_remote, &out, NULL, &err);
    }
    if (code == 0) {
        step = "sync";
        free(out);
        free(err);
        const char *a_sync[] = {"sync", NULL};
        code = run_wait(u, a_sync, &out, NULL, &err);
    }
    if (code == 0 && xa_store_open(&u->st, u->db) < 0) {
        step = "open";
        code = 1;
        free(err);
        err = strdup(xa_error_last());
    }
    if (code != 0) {
        if (u->st) {
            xa_store_close(u->st);
            u->st = NULL;
        }
        remove_new_db(u->db);
        unlink(tok);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", err && err[0] ? err : "the command failed");
        cJSON_AddStringToObject(o, "step", step);
        cJSON_AddNumberToObject(o, "exit", code);
        free(out);
        free(err);
        return send_json(c, MHD_HTTP_BAD_REQUEST, o);
    }
    free(out);
    free(err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    return send_json(c, MHD_HTTP_OK, o);
}

/* The district's list of communes, read for the setup page. */
typedef struct fetched {
    char *p;
    size_t n;
    int too_big;
} fetched;

#define MAX_COMMUNES_BODY (1024 * 1024)

static size_t fetched_add(char *data, size_t size, size_t nmemb, void *cls)
{
    fetched *f = cls;
    size_t k = size * nmemb;

    if (f->n + k > MAX_COMMUNES_BODY) {
        f->too_big = 1;
        return 0;
    }
    char *b = realloc(f->p, f->n + k + 1);
    if (b == NULL)
        return 0;
    memcpy(b + f->n, data, k);
    f->p = b;
    f->n += k;
    f->p[f->n] = '\0';
    return k;
}

/* POST /api/communes {"url"}: the communes the district server at `url`
 * lists (its GET /v1/communes, no key needed) → {"communes": [{"scope",
 * "name"}]}, for the setup page's list.  Unreachable, or an answer that is
 * not such a list: 502 {"error"}, and the page lets the clerk type the code.
 * A POST (with the secret) so that no other page can make the editor fetch
 * an address. */
static MHD_RESULT_T api_communes(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *url = jstr(in, "url");
    char full[2048], errbuf[CURL_ERROR_SIZE] = "";
    fetched f = {0};
    long status = 0;
    CURLcode cc;
    CURL *h;

    (void)u;
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return fail(c, MHD_HTTP_BAD_REQUEST, "the address begins with http:// or https://");
    size_t ul = strlen(url);
    while (ul > 0 && url[ul - 1] == '/')
        ul--;
    if ((size_t)snprintf(full, sizeof(full), "%.*s/v1/communes", (int)ul, url) >= sizeof(full))
        return fail(c, MHD_HTTP_BAD_REQUEST, "the address is too long");
    h = curl_easy_init();
    if (h == NULL)
        return fail(c, 500, "cannot start a connection");
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_COMMUNES_BODY);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetched_add);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    cJSON *got = cc == CURLE_OK && status == 200 && f.p ? cJSON_ParseWithLength(f.p, f.n) : NULL;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(got, "communes");
    free(f.p);
    if (!cJSON_IsArray(list)) {
        char msg[CURL_ERROR_SIZE + 96];
        if (cc != CURLE_OK)
            snprintf(msg, sizeof(msg), "cannot reach the district server: %s",
                     errbuf[0] ? errbuf : curl_easy_strerror(cc));
        else
            snprintf(msg, sizeof(msg), "the district server gave no list of communes (HTTP %ld)",
                     status);
        cJSON_Delete(got);
        return fail(c, MHD_HTTP_BAD_GATEWAY, msg);
    }
    /* only well-formed codes and names go to the page */
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "communes");
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        const char *sc = jstr(e, "scope"), *name = jstr(e, "name");
        if (sc == NULL || xa_check_scope(sc) < 0)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "scope", sc);
        cJSON_AddStringToObject(x, "name", name && xa_utf8_valid(name, strlen(name)) ? name : "");
        cJSON_AddItemToArray(a, x);
    }
    cJSON_Delete(got);
    return send_json(c, MHD_HTTP_OK, o);
}

/* GET /api/forms: the district's forms held here, for a new report. */
static MHD_RESULT_T api_forms(ui *u, struct MHD_Connection *c)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = xa_form_list(u->st, xa_store_scope(u->st), &ids, &n);
    cJSON *o, *a;

    if (rc < 0)
        return fail_xa(c, rc);
    o = cJSON_CreateObject();
    a = cJSON_AddArrayToObject(o, "forms");
    for (size_t i = 0; i < n; i++) {
        xa_form f;
        if (xa_form_get(u->st, xa_store_scope(u->st), ids[i], &f) < 0)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", f.id ? f.id : ids[i]);
        cJSON_AddStringToObject(e, "title", f.title ? f.title : "");
        cJSON_AddStringToObject(e, "kind", f.kind ? f.kind : "");
        cJSON_AddStringToObject(e, "period_type", f.period_type ? f.period_type : "");
        cJSON_AddItemToArray(a, e);
        xa_form_free(&f);
    }
    xa_report_list_free(ids, n);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/new {"form", "period"}: `xasync report new --form F --period P`. */
static MHD_RESULT_T api_new(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *form = jstr(in, "form"), *period = jstr(in, "period");
    char *out = NULL, *err = NULL;

    if (form == NULL || period == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "form and period are needed");
    const char *args[] = {"report", "new",      "--form",  form, "--period",
                          period,   "--author", u->author, NULL};
    int code = run_wait(u, args, &out, NULL, &err);
    if (code != 0) {
        MHD_RESULT_T ret = fail_cmd(c, code, err);
        free(out);
        free(err);
        return ret;
    }
    cJSON *o = cJSON_CreateObject();
    if (out)
        tidy(out);
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddStringToObject(o, "message", out ? out : "");
    free(out);
    free(err);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/copy {"from", "period"}: "copy last period's report", `xasync
 * report copy --report FROM --period P`: its text kept, this period's figures
 * moved to the previous period's column, this period's left empty. */
static MHD_RESULT_T api_copy(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *from = jstr(in, "from"), *period = jstr(in, "period");
    char *out = NULL, *err = NULL;

    if (from == NULL || period == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "from and period are needed");
    const char *args[] = {"report", "copy",     "--report", from, "--period",
                          period,   "--author", u->author,  NULL};
    int code = run_wait(u, args, &out, NULL, &err);
    if (code != 0) {
        MHD_RESULT_T ret = fail_cmd(c, code, err);
        free(out);
        free(err);
        return ret;
    }
    cJSON *o = cJSON_CreateObject();
    if (out)
        tidy(out);
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddStringToObject(o, "message", out ? out : "");
    free(out);
    free(err);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/import, the body a report file (.txt, or a Word .docx, told
 * apart by its first bytes as the command does): `xasync report import FILE`. */
static MHD_RESULT_T api_import(ui *u, struct MHD_Connection *c, const char *body, size_t n)
{
    char path[PATH_MAX], *out = NULL, *err = NULL;
    int fd = temp_fd(path, sizeof(path)), code;
    size_t done = 0;

    if (fd < 0)
        return fail(c, 500, "cannot write a temporary file");
    while (done < n) {
        ssize_t w = write(fd, body + done, n - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    close(fd);
    if (done < n) {
        unlink(path);
        return fail(c, 500, "cannot write a temporary file");
    }
    const char *args[] = {"report", "import", path, "--author", u->author, NULL};
    code = run_wait(u, args, &out, NULL, &err);
    /* the id the file's title gives is taken (a report of the same
     * period): the next free one, ID-2, ID-3, ... */
    if (err)
        drop_path(err, path);
    const char *taken = err ? strstr(err, " already exists") : NULL;
    const char *name = err ? strstr(err, "report ") : NULL;
    if (code != 0 && taken && name && name < taken) {
        char base[XA_ENTITY_MAX + 1], id[XA_ENTITY_MAX + 8];
        snprintf(base, sizeof(base), "%.*s", (int)(taken - name - 7), name + 7);
        for (int k = 2; k < 10 && code != 0 && err && strstr(err, " already exists"); k++) {
            snprintf(id, sizeof(id), "%s-%d", base, k);
            free(out);
            free(err);
            const char *again[] = {"report", "import",   path,      "--id",
                                   id,       "--author", u->author, NULL};
            code = run_wait(u, again, &out, NULL, &err);
            if (err)
                drop_path(err, path);
        }
    }
    unlink(path);
    if (code != 0) {
        MHD_RESULT_T ret = fail_cmd(c, code, err);
        free(out);
        free(err);
        return ret;
    }
    cJSON *o = cJSON_CreateObject();
    if (out)
        tidy(out);
    cJSON_AddTrueToObject(o, "ok");
    cJSON_AddStringToObject(o, "message", out ? out : "");
    free(out);
    free(err);
    return send_json(c, MHD_HTTP_OK, o);
}

/* ---- who is writing ------------------------------------------------------ */

/* The author chosen in the page is kept per PC in a file beside the
 * database (DB.author, one line), so the next start of the editor uses it. */
static void author_path(const char *db, char *buf, size_t cap)
{
    if ((size_t)snprintf(buf, cap, "%s.author", db) >= cap)
        buf[0] = '\0';
}

/* The name kept for this PC; 0 if there is one (in buf). */
static int author_load(const char *db, char *buf, size_t cap)
{
    char path[PATH_MAX];
    FILE *f;
    size_t n;

    author_path(db, path, sizeof(path));
    if (path[0] == '\0' || (f = fopen(path, "re")) == NULL)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return n > 0 && xa_check_author(buf) == 0 ? 0 : -1;
}

/* Keep it: written beside, then renamed over the old one. */
static int author_save(const char *db, const char *name)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    FILE *f;
    int ok;

    author_path(db, path, sizeof(path));
    if (path[0] == '\0' || (size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
        return -1;
    f = fopen(tmp, "we");
    if (f == NULL)
        return -1;
    ok = fprintf(f, "%s\n", name) > 0;
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static MHD_RESULT_T api_author_get(ui *u, struct MHD_Connection *c)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "author", u->author);
    return send_json(c, MHD_HTTP_OK, o);
}

/* POST /api/author {"author"}: who writes from now on, kept for this PC. */
static MHD_RESULT_T api_author_set(ui *u, struct MHD_Connection *c, const cJSON *in)
{
    const char *name = jstr(in, "author");
    char buf[XA_AUTHOR_MAX + 1];
    size_t n;

    if (name == NULL)
        return fail(c, MHD_HTTP_BAD_REQUEST, "author is needed");
    while (*name == ' ')
        name++;
    n = strlen(name);
    while (n > 0 && name[n - 1] == ' ')
        n--;
    if (n == 0)
        return fail(c, MHD_HTTP_BAD_REQUEST, "tên người sửa trống / the author is empty");
    if (n > XA_AUTHOR_MAX)
        return fail(c, MHD_HTTP_BAD_REQUEST, "tên người sửa quá dài / the author name is too long");
    memcpy(buf, name, n);
    buf[n] = '\0';
    if (xa_check_author(buf) < 0)
        return fail(c, MHD_HTTP_BAD_REQUEST, xa_error_last());
    if (author_save(u->db, buf) != 0)
        return fail(c, 500, "cannot keep the author's name beside the database");
    memcpy(u->author_buf, buf, n + 1);
    u->author = u->author_buf;
    return api_author_get(u, c);
}

/* ---- routing ------------------------------------------------------------ */

static int same_host(ui *u, const char *h)
{
    return h && (strcasecmp(h, u->host1) == 0 || strcasecmp(h, u->host2) == 0);
}

static int same_origin(ui *u, const char *o)
{
    return strcasecmp(o, u->origin1) == 0 || strcasecmp(o, u->origin2) == 0;
}

static MHD_RESULT_T
count_host(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        (*(int *)cls)++;
    return MHD_YES;
}

/* A JSON body: application/json, with parameters (charset) or not. */
static int is_json_type(const char *ct)
{
    return ct && strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
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
    ui *u = cls;
    req *q = *con_cls;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    int post = strcmp(method, "POST") == 0;

    (void)version;
    if (q == NULL) {
        /* Before anything: is this our own page asking?  With one Host
         * only: a second one could be read by a proxy in front, or by a
         * later version, as the one that counts (RFC 9112, 3.2). */
        int hosts = 0;
        MHD_get_connection_values(c, MHD_HEADER_KIND, count_host, &hosts);
        if (hosts > 1)
            return fail(c, MHD_HTTP_BAD_REQUEST, "more than one Host header");
        if (!same_host(u, host))
            return fail(c, MHD_HTTP_FORBIDDEN, "wrong Host: this editor answers its own page only");
        if (origin && !same_origin(u, origin))
            return fail(c, MHD_HTTP_FORBIDDEN, "another site may not use this editor");
        if (!post) {
            if (strcmp(method, "GET") != 0)
                return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST");
            if (strcmp(url, "/") == 0)
                return send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", u->index, u->index_len,
                                MHD_RESPMEM_PERSISTENT);
            if (strcmp(url, "/app.js") == 0)
                return send_buf(c, MHD_HTTP_OK, "text/javascript; charset=utf-8", xa_ui_app_js,
                                xa_ui_app_js_len, MHD_RESPMEM_PERSISTENT);
            if (strcmp(url, "/app.css") == 0)
                return send_buf(c, MHD_HTTP_OK, "text/css; charset=utf-8", xa_ui_app_css,
                                xa_ui_app_css_len, MHD_RESPMEM_PERSISTENT);
            if (strcmp(url, "/api/setup") == 0)
                return api_setup_get(u, c);
            if (strcmp(url, "/api/author") == 0)
                return api_author_get(u, c);
            if (u->st == NULL && (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/print") == 0))
                return fail(c, MHD_HTTP_CONFLICT, "no database on this PC yet: set it up first");
            if (strcmp(url, "/print") == 0)
                return page_print(u, c);
            if (strcmp(url, "/api/reports") == 0)
                return api_reports(u, c);
            if (strcmp(url, "/api/report") == 0)
                return api_report(u, c);
            if (strcmp(url, "/api/history") == 0)
                return api_history(u, c);
            if (strcmp(url, "/api/status") == 0)
                return api_status(u, c);
            if (strcmp(url, "/api/changes") == 0)
                return api_changes(u, c);
            if (strcmp(url, "/api/sync") == 0)
                return sync_answer(u, c);
            if (strcmp(url, "/api/have") == 0)
                return api_have(u, c);
            if (strcmp(url, "/api/forms") == 0)
                return api_forms(u, c);
            return fail(c, MHD_HTTP_NOT_FOUND, "no such page");
        }
        const char *secret = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Xasync-Secret");
        if (secret == NULL || strcmp(secret, u->secret) != 0)
            return fail(c, MHD_HTTP_FORBIDDEN, "a write needs the editor's secret");
        if (!is_json_type(
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
            return fail(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "a write is JSON (Content-Type: application/json)");
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        size_t max = strcmp(url, "/api/apply") == 0 || strcmp(url, "/api/import") == 0
                         ? MAX_OPS_BODY
                         : MAX_BODY;
        if (cl && strtoull(cl, NULL, 10) > max)
            return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "the request is too large");
        q = calloc(1, sizeof(*q));
        if (q == NULL)
            return MHD_NO;
        q->max = max;
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (q->n + *upload_size > q->max) {
            q->too_big = 1;
        } else {
            char *b = realloc(q->body, q->n + *upload_size + 1);
            if (b == NULL)
                return MHD_NO;
            q->body = b;
            memcpy(q->body + q->n, upload, *upload_size);
            q->n += *upload_size;
            q->body[q->n] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->too_big)
        return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "the request is too large");
    if (u->st == NULL && strcmp(url, "/api/setup") != 0 && strcmp(url, "/api/communes") != 0)
        return fail(c, MHD_HTTP_CONFLICT, "no database on this PC yet: set it up first");
    if (strcmp(url, "/api/import") == 0) {
        if (q->body == NULL)
            return fail(c, MHD_HTTP_BAD_REQUEST, "no file");
        return api_import(u, c, q->body, q->n);
    }
    /* an ops file: checked by `xasync apply` itself, whole */
    if (strcmp(url, "/api/apply") == 0) {
        if (q->body == NULL)
            return fail(c, MHD_HTTP_BAD_REQUEST, "no file");
        return api_apply(u, c, q->body, q->n);
    }
    /* cJSON would cut a string at a NUL: refuse what JSON forbids first. */
    if (q->body && xa_json_text_check(q->body, q->n, "the request") < 0)
        return fail(c, MHD_HTTP_BAD_REQUEST, xa_error_last());
    cJSON *in = q->body ? cJSON_ParseWithLength(q->body, q->n) : NULL;
    MHD_RESULT_T ret;
    if (!cJSON_IsObject(in))
        ret = fail(c, MHD_HTTP_BAD_REQUEST, "the request is not a JSON object");
    else if (strcmp(url, "/api/set") == 0)
        ret = api_set(u, c, in, 0);
    else if (strcmp(url, "/api/resolve") == 0)
        ret = api_set(u, c, in, 1);
    else if (strcmp(url, "/api/add") == 0)
        ret = api_add(u, c, in);
    else if (strcmp(url, "/api/delete") == 0)
        ret = api_delete(u, c, in);
    else if (strcmp(url, "/api/move") == 0)
        ret = api_move(u, c, in);
    else if (strcmp(url, "/api/fix") == 0)
        ret = api_fix(u, c, in);
    else if (strcmp(url, "/api/sync") == 0)
        ret = api_sync_start(u, c);
    else if (strcmp(url, "/api/daemon") == 0)
        ret = api_daemon_start(u, c);
    else if (strcmp(url, "/api/export") == 0)
        ret = api_export(u, c, in);
    else if (strcmp(url, "/api/submit") == 0)
        ret = api_submit(u, c, in);
    else if (strcmp(url, "/api/author") == 0)
        ret = api_author_set(u, c, in);
    else if (strcmp(url, "/api/setup") == 0)
        ret = api_setup(u, c, in);
    else if (strcmp(url, "/api/new") == 0)
        ret = api_new(u, c, in);
    else if (strcmp(url, "/api/copy") == 0)
        ret = api_copy(u, c, in);
    else if (strcmp(url, "/api/communes") == 0)
        ret = api_communes(u, c, in);
    else
        ret = fail(c, MHD_HTTP_NOT_FOUND, "no such action");
    cJSON_Delete(in);
    return ret;
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

/* ---- start -------------------------------------------------------------- */

/* The page with the per-start secret in place of "@SECRET@". */
static int make_index(ui *u)
{
    const char *page = (const char *)xa_ui_index_html, *at;
    size_t n = xa_ui_index_html_len, sl = strlen(u->secret);
    char *copy = malloc(n + 1);

    if (copy == NULL)
        return -1;
    memcpy(copy, page, n);
    copy[n] = '\0';
    at = strstr(copy, "@SECRET@");
    if (at == NULL) {
        u->index = copy;
        u->index_len = n;
        return 0;
    }
    u->index = malloc(n - 8 + sl + 1);
    if (u->index == NULL) {
        free(copy);
        return -1;
    }
    size_t pre = (size_t)(at - copy);
    memcpy(u->index, copy, pre);
    memcpy(u->index + pre, u->secret, sl);
    memcpy(u->index + pre + sl, at + 8, n - pre - 8 + 1);
    u->index_len = n - 8 + sl;
    free(copy);
    return 0;
}

/* Is an xasync editor answering at this address?  Its GET /api/setup says
 * "needed" (a few bytes; 2 s at most). */
static int editor_answers(const struct sockaddr_in *sa)
{
    char ip[INET_ADDRSTRLEN], ask[160], buf[2048];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {2, 0};

    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    snprintf(ask, sizeof(ask), "GET /api/setup HTTP/1.0\r\nHost: %s:%u\r\n\r\n", ip,
             (unsigned)ntohs(sa->sin_port));
    if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 &&
        write(fd, ask, strlen(ask)) == (ssize_t)strlen(ask)) {
        ssize_t r;
        while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
            n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return strstr(buf, "\"needed\"") != NULL;
}

static int open_page(const struct sockaddr_in *sa)
{
    char ip[INET_ADDRSTRLEN], cmd[160];

    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
    printf("Trình soạn thảo đang chạy / the editor is running: http://%s:%u/\n", ip,
           (unsigned)ntohs(sa->sin_port));
    fflush(stdout);
    snprintf(cmd, sizeof(cmd), "xdg-open 'http://%s:%u/' >/dev/null 2>&1 &", ip,
             (unsigned)ntohs(sa->sin_port));
    if (system(cmd) != 0)
        fprintf(stderr, "xasync: open http://%s:%u/ in the browser\n", ip,
                (unsigned)ntohs(sa->sin_port));
    return XA_EXIT_OK;
}

static volatile sig_atomic_t ui_stop;

static void on_stop(int sig)
{
    (void)sig;
    ui_stop = 1;
}

int xa_cmd_ui(xa_cli *cli)
{
    ui u;
    struct MHD_Daemon *d;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    const char *listen_on = cli->listen ? cli->listen : "127.0.0.1:8641";
    char hostpart[64];
    const char *colon = strrchr(listen_on, ':');
    unsigned char rnd[16];
    long port;
    int fd, one = 1;
    char *end;

    memset(&u, 0, sizeof(u));
    if (colon == NULL || (size_t)(colon - listen_on) >= sizeof(hostpart))
        return xa_cli_fail(XA_EXIT_USAGE, "--listen wants 127.0.0.1:PORT");
    memcpy(hostpart, listen_on, (size_t)(colon - listen_on));
    hostpart[colon - listen_on] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (errno || *end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, strcmp(hostpart, "localhost") == 0 ? "127.0.0.1" : hostpart,
                  &sa.sin_addr) != 1)
        return xa_cli_fail(XA_EXIT_USAGE, "--listen wants 127.0.0.1:PORT");
    /* Loopback only: the report is the clerk's, not the network's. */
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
        return xa_cli_fail(XA_EXIT_USAGE,
                           "the editor listens on this PC only (127.0.0.1), not on %s", hostpart);
    sa.sin_port = htons((uint16_t)port);
    /* no database yet: the page sets one up (POST /api/setup) */
    if (access(cli->db, F_OK) != 0 && errno == ENOENT)
        u.st = NULL;
    else if (xa_cli_open(cli, &u.st) != 0)
        return XA_EXIT_ERR;
    u.db = cli->db;
    /* --author when given; else the name chosen in the page on this PC;
     * else $XASYNC_AUTHOR or the login name */
    if ((cli->author == NULL || cli->author[0] == '\0') &&
        author_load(u.db, u.author_buf, sizeof(u.author_buf)) == 0)
        u.author = u.author_buf;
    else
        u.author = xa_cli_author(cli);
    u.sync.out = -1;
    {
        ssize_t n = readlink("/proc/self/exe", u.exe, sizeof(u.exe) - 1);
        u.exe[n > 0 ? n : 0] = '\0';
    }
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        xa_store_close(u.st);
        return xa_cli_fail(XA_EXIT_ERR, "cannot read random bytes");
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(u.secret + 2 * i, 3, "%02x", rnd[i]);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* the setup page's list of communes */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 32) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        xa_store_close(u.st);
        /* the editor already runs there (a second start from the menu):
         * its page is opened, nothing else */
        if (e == EADDRINUSE && cli->open && editor_answers(&sa))
            return open_page(&sa);
        return xa_cli_fail(XA_EXIT_ERR, "cannot listen on %s: %s", listen_on, strerror(e));
    }
    port = ntohs(sa.sin_port);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
    snprintf(u.host1, sizeof(u.host1), "%s:%ld", ip, port);
    snprintf(u.host2, sizeof(u.host2), "localhost:%ld", port);
    snprintf(u.origin1, sizeof(u.origin1), "http://%s", u.host1);
    snprintf(u.origin2, sizeof(u.origin2), "http://%s", u.host2);
    if (make_index(&u) != 0) {
        close(fd);
        xa_store_close(u.st);
        return xa_cli_fail(XA_EXIT_ERR, "out of memory");
    }
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_SUPPRESS_DATE_NO_CLOCK, 0, NULL,
                         NULL, handle, &u, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, &u, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        free(u.index);
        xa_store_close(u.st);
        return xa_cli_fail(XA_EXIT_ERR, "cannot start the editor on %s", listen_on);
    }
    printf("Trình soạn thảo / editor: http://%s/\n", u.host1);
    fflush(stdout);
    if (cli->open) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "xdg-open 'http://%s/' >/dev/null 2>&1 &", u.host1);
        if (system(cmd) != 0)
            fprintf(stderr, "xasync: open http://%s/ in the browser\n", u.host1);
    }
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_stop;
    sigemptyset(&act.sa_mask);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!ui_stop)
        sleep(1); /* a signal cuts it short */
    MHD_stop_daemon(d);
    close(fd);
    if (u.sync.out >= 0)
        close(u.sync.out);
    free(u.sync.output);
    free(u.index);
    xa_store_close(u.st);
    return XA_EXIT_OK;
}
